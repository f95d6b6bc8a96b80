#!/bin/sh
#
# selftest.sh -- native self-test of the C scenarios (no tracer needed)
#
# For every scenario: init, check, run, check natively, with the exit codes
# and outputs expected.  Then proves each check can fail: it pokes bad
# states into pools (a flag without its data, a torn record, a leaked or
# garbage tree node, ...) and expects exit 1, and simulates a crash inside
# a pmemobj transaction.  The real crash testing is pmfit's job.
#
# Usage (from anywhere): sh scenarios/native/selftest.sh
# Builds with `make -f scenarios/native/native.mk native-scenarios` first;
# if icount/icount.h does not exist yet, a no-op stub in build/stub is used.

set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 2
B=build/scenarios

if [ -f icount/icount.h ]; then
	INC="-Iicount"
else
	mkdir -p build/stub
	cat > build/stub/icount.h <<'EOF'
/* build/stub/icount.h -- no-op stand-in until icount/icount.h exists */
#ifndef ICOUNT_H
#define ICOUNT_H 1
static inline void icount_start(unsigned long life) { (void)life; }
static inline void icount_stop(void) { }
static inline unsigned long icount_total(void) { return 0; }
static inline void icount_marker(const char *name) { (void)name; }
#endif
EOF
	INC="-Ibuild/stub"
	echo "# icount/icount.h missing: building with build/stub/icount.h"
fi
if ! make -s -f scenarios/native/native.mk native-scenarios \
		NATIVE_ICOUNT_INC="$INC"; then
	echo "FAIL - build"
	exit 1
fi

T=$(mktemp -d /tmp/pmfit-native-selftest.XXXXXX) || exit 2
trap 'rm -rf "$T"' EXIT INT TERM
export PMEM_IS_PMEM_FORCE=1
PASS=0
FAIL=0

# ok NAME -- record a passed test
ok() { PASS=$((PASS + 1)); echo "ok   - $1"; }

# bad NAME WHY -- record a failed test
bad() { FAIL=$((FAIL + 1)); echo "FAIL - $1: $2"; }

# expect NAME RC OUT CMD... -- run CMD, want exit RC and (unless OUT is
# "-") stdout equal to OUT
expect() {
	e_name=$1 e_rc=$2 e_out=$3
	shift 3
	out=$("$@" 2>"$T/stderr")
	rc=$?
	if [ "$rc" -ne "$e_rc" ]; then
		bad "$e_name" "exit $rc, want $e_rc ($(head -c 200 "$T/stderr"))"
	elif [ "$e_out" != "-" ] && [ "$out" != "$e_out" ]; then
		bad "$e_name" "output '$out', want '$e_out'"
	elif [ "$e_rc" -eq 1 ] && ! grep -q . "$T/stderr"; then
		bad "$e_name" "exit 1 without a reason on stderr"
	else
		ok "$e_name"
	fi
}

# poke64 FILE OFF VALUE -- store a little-endian 8-byte word at OFF
poke64() {
	v=$(($3)) s="" i=0
	while [ $i -lt 8 ]; do
		s="$s\\$(printf %03o $(((v >> (8 * i)) & 255)))"
		i=$((i + 1))
	done
	printf "$s" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

# peek64 FILE OFF -- print the little-endian 8-byte word at OFF
peek64() {
	od -An -t u8 -j "$2" -N 8 "$1" | tr -d ' '
}

# unchanged NAME PROG -- check must not modify a read-only-checked pool
unchanged() {
	cp "$T/$2.pool" "$T/before"
	"$B/$2" check "$T/$2.pool" >/dev/null 2>&1
	if cmp -s "$T/before" "$T/$2.pool"; then ok "$1"; else
		bad "$1" "check modified the pool"; fi
}

# basic_cycle PROG BEFORE AFTER [RUNARGS] -- init, check, run, check
basic_cycle() {
	c_p=$1 c_before=$2 c_after=$3
	shift 3
	expect "$c_p init" 0 "" "$B/$c_p" init "$T/$c_p.pool"
	expect "$c_p check after init" 0 "$c_before" \
		"$B/$c_p" check "$T/$c_p.pool"
	expect "$c_p run" 0 "" "$B/$c_p" run "$T/$c_p.pool" "$@"
	expect "$c_p check after run" 0 "$c_after" \
		"$B/$c_p" check "$T/$c_p.pool"
}

NL='
'
WORDS="brown 1${NL}dog 1${NL}fox 1${NL}jumps 1${NL}lazy 1${NL}over 1${NL}quick 1${NL}the 2"
DATA="flag=1 data=5ca1ab1e00000001,5ca1ab1e00000002,5ca1ab1e00000003,5ca1ab1e00000004,5ca1ab1e00000005,5ca1ab1e00000006,5ca1ab1e00000007,5ca1ab1e00000008"

echo "# trivial"
basic_cycle trivial '""' '"Hello, persistent memory!"'
expect "trivial run STRING" 0 "" $B/trivial run "$T/trivial.pool" 'a"b'
expect "trivial check STRING" 0 '"a\"b"' \
	$B/trivial check "$T/trivial.pool"
unchanged "trivial check is read-only" trivial

echo "# basic"
basic_cycle basic "" "\"hello,\"${NL}\"persistent\"${NL}\"world!\""
expect "basic run appends" 0 "" $B/basic run "$T/basic.pool" one two
expect "basic check appended" 0 \
	"\"hello,\"${NL}\"persistent\"${NL}\"world!\"${NL}\"one\"${NL}\"two\"" \
	$B/basic check "$T/basic.pool"
unchanged "basic check is read-only" basic

for p in binarytree binarytree-buggy; do
	echo "# $p"
	basic_cycle $p "" "$WORDS"
	expect "$p run again counts" 0 "" $B/$p run "$T/$p.pool" dog cat
	expect "$p check counts" 0 \
		"brown 1${NL}cat 1${NL}dog 2${NL}fox 1${NL}jumps 1${NL}lazy 1${NL}over 1${NL}quick 1${NL}the 2" \
		$B/$p check "$T/$p.pool"
done
expect "binarytree rejects a bad word" 2 "" \
	$B/binarytree run "$T/binarytree.pool" "two words"

# corrupt copies of a good tree: root pointer at 64, node = clump + 64,
# clump header {size, state, on[3] {off, val}}, node {left, right, count, word}
P=$T/binarytree.pool
R=$(peek64 "$P" 64)
cp "$P" "$T/t1"; poke64 "$T/t1" 64 0
expect "binarytree unreachable node is a leak" 1 - $B/binarytree check "$T/t1"
cp "$P" "$T/t1"; poke64 "$T/t1" $((R + 24)) 0
expect "binarytree node with zero word" 1 - $B/binarytree check "$T/t1"
cp "$P" "$T/t1"; poke64 "$T/t1" $((R + 16)) 0
expect "binarytree node with zero count" 1 - $B/binarytree check "$T/t1"
cp "$P" "$T/t1"; poke64 "$T/t1" $((R - 56)) 2
expect "binarytree reachable RESERVED node rolls back to FREE" 1 - \
	$B/binarytree check "$T/t1"
cp "$P" "$T/t1"; poke64 "$T/t1" $((R - 56)) 77
expect "binarytree garbage clump state" 1 - $B/binarytree check "$T/t1"
cp "$P" "$T/t1"; poke64 "$T/t1" $((R - 64)) 8
expect "binarytree garbage clump size" 1 - $B/binarytree check "$T/t1"
cp "$P" "$T/t1"; poke64 "$T/t1" $((R + 8)) "$R"
expect "binarytree cycle" 1 - $B/binarytree check "$T/t1"

# recovery: a crash after ACTIVATING was durable, before the link
P=$T/solo.pool
$B/binarytree init "$P" && $B/binarytree run "$P" solo
R=$(peek64 "$P" 64)
poke64 "$P" 64 0
poke64 "$P" $((R - 56)) 3
poke64 "$P" $((R - 40)) "$R"
poke64 "$P" $((R - 48)) 64
expect "binarytree ACTIVATING rolls forward" 0 "solo 1" \
	$B/binarytree check "$P"
cp "$T/binarytree.pool" "$T/t1"
$B/binarytree check "$T/t1" >/dev/null 2>&1
if cmp -s "$T/t1" "$T/binarytree.pool"; then
	ok "binarytree check of a clean pool writes nothing"
else
	bad "binarytree check of a clean pool writes nothing" "pool changed"
fi

echo "# pmemalloc-test"
basic_cycle pmemalloc-test \
	"slot0 empty${NL}slot1 empty${NL}slot2 empty${NL}slot3 empty" \
	"slot0 empty${NL}slot1 empty${NL}slot2 tag=c size=40${NL}slot3 empty"
expect "pmemalloc-test run needs a fresh pool" 2 "" \
	$B/pmemalloc-test run "$T/pmemalloc-test.pool"
P=$T/pmemalloc-test.pool
S2=$(peek64 "$P" 80)
cp "$P" "$T/t1"; poke64 "$T/t1" 80 0
expect "pmemalloc-test leak" 1 - $B/pmemalloc-test check "$T/t1"
cp "$P" "$T/t1"; poke64 "$T/t1" 88 "$S2"
expect "pmemalloc-test shared object" 1 - $B/pmemalloc-test check "$T/t1"
cp "$P" "$T/t1"; poke64 "$T/t1" $((S2 + 16)) 0
expect "pmemalloc-test corrupt object" 1 - $B/pmemalloc-test check "$T/t1"
# a crash during a free, after FREEING was durable: rolls forward
cp "$P" "$T/t1"; poke64 "$T/t1" $((S2 - 56)) 5
poke64 "$T/t1" $((S2 - 40)) 0
poke64 "$T/t1" $((S2 - 48)) 80
expect "pmemalloc-test FREEING rolls forward" 0 \
	"slot0 empty${NL}slot1 empty${NL}slot2 empty${NL}slot3 empty" \
	$B/pmemalloc-test check "$T/t1"

echo "# crash sweeps (eadr-like: crash before the K-th libpmem call)"
# allowed outputs of the binarytree sweep: the tree after each prefix
TREE_WORDS="the quick brown fox jumps over the lazy dog"
i=0
$B/binarytree init "$T/pre.pool"
$B/binarytree check "$T/pre.pool" > "$T/allowed.binarytree.0"
for w in $TREE_WORDS; do
	i=$((i + 1))
	$B/binarytree run "$T/pre.pool" "$w"
	$B/binarytree check "$T/pre.pool" > "$T/allowed.binarytree.$i"
done
i=0
for st in "" "0 a 100" "0 a 100|1 b 300" "1 b 300" "1 b 300|2 c 40" "2 c 40"; do
	: > "$T/allowed.pmemalloc-test.$i"
	for s in 0 1 2 3; do
		line="slot$s empty"
		for e in $(echo "$st" | tr ' |' '_ '); do
			set -- $(echo "$e" | tr '_' ' ')
			[ "$1" = "$s" ] && line="slot$s tag=$2 size=$3"
		done
		echo "$line" >> "$T/allowed.pmemalloc-test.$i"
	done
	i=$((i + 1))
done

# crash_sweep PROG ALLOWED [RUNARGS] -- crash run before each libpmem call;
# check must exit 0 with one of the allowed outputs (ALLOWED.*)
crash_sweep() {
	w_p=$1 w_allowed=$2
	shift 2
	$B/$w_p init "$T/sw.pool"
	n=$(PMFIT_CRASH_COUNT=1 LD_PRELOAD="$ROOT/$B/crashshim.so" \
		$B/$w_p run "$T/sw.pool" "$@" 2>&1 >/dev/null |
		sed -n 's/^calls //p')
	w_bad="" k=1
	while [ "$k" -le "${n:-0}" ]; do
		$B/$w_p init "$T/sw.pool"
		PMFIT_CRASH_AT=$k LD_PRELOAD="$ROOT/$B/crashshim.so" \
			$B/$w_p run "$T/sw.pool" "$@" >/dev/null 2>&1
		if ! $B/$w_p check "$T/sw.pool" > "$T/out" 2>"$T/stderr"; then
			w_bad="crash $k: $(cat "$T/stderr")"
			break
		fi
		found=0
		for a in "$T/$w_allowed".*; do
			cmp -s "$a" "$T/out" && found=1
		done
		if [ $found -eq 0 ]; then
			w_bad="crash $k: output not at an operation boundary"
			break
		fi
		k=$((k + 1))
	done
	if [ "${n:-0}" -lt 10 ]; then
		bad "crash sweep $w_p" "only ${n:-0} libpmem calls counted"
	elif [ -n "$w_bad" ]; then
		bad "crash sweep $w_p" "$w_bad"
	else
		ok "crash sweep $w_p: $n crash points, all at operation boundaries"
	fi
}
crash_sweep binarytree allowed.binarytree $TREE_WORDS
# the buggy tree only loses unflushed stores; with every store surviving
# (eadr) it is correct too -- the strict adr model is what finds it
crash_sweep binarytree-buggy allowed.binarytree $TREE_WORDS
crash_sweep pmemalloc-test allowed.pmemalloc-test

for p in pmemobj-tx pmemobj-tx-buggy; do
	echo "# $p"
	: > "$T/$p.pool"	# init must cope with an existing empty file
	basic_cycle $p "a=1000 b=0 total=1000 transfers=0" \
		"a=970 b=30 total=1000 transfers=3"
	expect "$p run 100 2" 0 "" $B/$p run "$T/$p.pool" 100 2
	expect "$p check after run 100 2" 0 \
		"a=770 b=230 total=1000 transfers=5" $B/$p check "$T/$p.pool"
	expect "$p run too much" 2 "" $B/$p run "$T/$p.pool" 600 2
	$B/$p init "$T/$p.pool"
	expect "$p crash inside transfer 2" 99 "" \
		env PMFIT_TX_CRASH=2 $B/$p run "$T/$p.pool"
done
expect "pmemobj-tx after the crash: rolled back" 0 \
	"a=990 b=10 total=1000 transfers=1" \
	$B/pmemobj-tx check "$T/pmemobj-tx.pool"
expect "pmemobj-tx-buggy after the crash: invariant broken" 1 \
	"a=990 b=20 total=1000 transfers=1" \
	$B/pmemobj-tx-buggy check "$T/pmemobj-tx-buggy.pool"
dd if=/dev/zero of="$T/junk" bs=1M count=8 status=none
expect "pmemobj-tx check of a non-pool" 1 - $B/pmemobj-tx check "$T/junk"

for p in flag-data fence-flag nt-publish; do
	for v in $p $p-buggy; do
		echo "# $v"
		basic_cycle $v "flag=0" "$DATA"
		unchanged "$v check is read-only" $v
	done
	$B/$p init "$T/t1"
	poke64 "$T/t1" 64 0x600df1a6600df1a6
	expect "$p flag without data" 1 - $B/$p check "$T/t1"
	$B/$p init "$T/t1"
	poke64 "$T/t1" 64 1
	expect "$p garbage flag" 1 - $B/$p check "$T/t1"
	cp "$T/$p.pool" "$T/t1"
	poke64 "$T/t1" 56 0
	expect "$p last data word lost" 1 - $B/$p check "$T/t1"
done

for p in torn16 torn16-buggy; do
	echo "# $p"
	basic_cycle $p "value=1" "value=2"
	expect "$p run VALUE" 0 "" $B/$p run "$T/$p.pool" 1234
	expect "$p check VALUE" 0 "value=1234" $B/$p check "$T/$p.pool"
	unchanged "$p check is read-only" $p
done
expect "torn16 run bad VALUE" 2 "" $B/torn16 run "$T/torn16.pool" x
$B/torn16 init "$T/t1"
poke64 "$T/t1" 64 5
expect "torn16 torn record (new check half)" 1 - $B/torn16 check "$T/t1"
$B/torn16 init "$T/t1"
poke64 "$T/t1" 56 5
expect "torn16 torn record (new value half)" 1 - $B/torn16 check "$T/t1"
$B/torn16 init "$T/t1"
poke64 "$T/t1" 256 2
expect "torn16 garbage index" 1 - $B/torn16 check "$T/t1"

echo "# usage"
expect "check of a missing pool" 2 "" $B/flag-data check "$T/nonexistent"
expect "unknown subcommand" 2 "" $B/basic frob "$T/basic.pool"
expect "no arguments" 2 "" $B/binarytree
head -c 100 /dev/zero > "$T/small"
expect "pool of the wrong size" 2 "" $B/torn16 check "$T/small"

echo "# $PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
