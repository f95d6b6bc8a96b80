/*
 * pmemobj-tx.c -- balance transfers in libpmemobj transactions
 *
 *	pmemobj-tx init POOL			(re)create an 8 MiB obj pool:
 *						a = 1000, b = 0
 *	pmemobj-tx run POOL [AMOUNT [COUNT]]	COUNT transfers (default 3)
 *						of AMOUNT (default 10) from
 *						a to b, one transaction each
 *	pmemobj-tx check POOL			pmemobj_open (which runs the
 *						undo-log recovery), print the
 *						root, check a + b == total
 *
 * init always unlinks POOL if it exists (an empty or stale file included)
 * and creates it with pmemobj_create at PMEMOBJ_MIN_POOL bytes.
 *
 * Built with -DBUGGY (pmemobj-tx-buggy) the transaction changes b without
 * adding it to the undo log: a crash inside the transaction rolls a back
 * but keeps the new b, and a + b != total.
 *
 * PMFIT_TX_CRASH=K (self-test only) makes run exit with status 99 inside
 * the K-th transfer, after b is updated: a crash in which every store
 * survives.  check then shows the buggy variant's broken invariant.
 *
 * Run it with PMEM_IS_PMEM_FORCE=1 so libpmem flushes with instructions
 * rather than msync.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpmemobj.h>

#include "icount.h"

#define TX_LAYOUT "pmfit-tx"
#define TX_TOTAL 1000
#define TX_CRASH_EXIT 99

/*
 * Self-test only: PMFIT_TX_CRASH=K makes run _exit(99) inside the K-th
 * transfer, right after b is updated (a crash with every store surviving,
 * as under eadr).  Unset, the countdown never reaches 0.
 */
static long tx_crash_countdown = -1;

/* the root object; a and b share a cache line on purpose */
struct tx_root {
	uint64_t a;
	uint64_t b;
	uint64_t total;		/* a + b, set by init, never changed */
	uint64_t transfers;	/* committed transfers */
};

/*
 * tx_usage -- print the usage and exit 2
 */
static void
tx_usage(void)
{
	fprintf(stderr, "usage: pmemobj-tx init|check POOL"
			" | pmemobj-tx run POOL [AMOUNT [COUNT]]\n");
	exit(2);
}

/*
 * tx_number -- parse a non-negative decimal argument or exit 2
 */
static uint64_t
tx_number(const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-') {
		fprintf(stderr, "pmemobj-tx: bad number '%s'\n", s);
		exit(2);
	}
	return v;
}

/*
 * tx_init -- create the pool from scratch and persist the initial root
 */
static int
tx_init(const char *path)
{
	PMEMobjpool *pop;
	struct tx_root *rp;

	if (unlink(path) < 0 && errno != ENOENT) {
		fprintf(stderr, "pmemobj-tx: %s: unlink: %s\n", path,
				strerror(errno));
		return 2;
	}
	pop = pmemobj_create(path, TX_LAYOUT, PMEMOBJ_MIN_POOL, 0644);
	if (pop == NULL) {
		fprintf(stderr, "pmemobj-tx: %s: pmemobj_create: %s\n", path,
				pmemobj_errormsg());
		return 2;
	}
	rp = pmemobj_direct(pmemobj_root(pop, sizeof(*rp)));
	rp->a = TX_TOTAL;
	rp->b = 0;
	rp->total = TX_TOTAL;
	rp->transfers = 0;
	pmemobj_persist(pop, rp, sizeof(*rp));
	pmemobj_close(pop);
	return 0;
}

/*
 * tx_open -- open an existing pool; exits 2 if that is impossible
 */
static PMEMobjpool *
tx_open(const char *path, int is_check)
{
	PMEMobjpool *pop;

	if (access(path, R_OK | W_OK) < 0) {
		fprintf(stderr, "pmemobj-tx: %s: %s\n", path, strerror(errno));
		exit(2);
	}
	if ((pop = pmemobj_open(path, TX_LAYOUT)) == NULL) {
		fprintf(stderr, "%spmemobj_open: %s\n",
				is_check ? "inconsistent: " : "pmemobj-tx: ",
				pmemobj_errormsg());
		exit(is_check ? 1 : 2);
	}
	return pop;
}

/*
 * tx_transfer -- move amount from a to b in one transaction
 */
static void
tx_transfer(PMEMobjpool *pop, struct tx_root *rp, uint64_t amount)
{
	TX_BEGIN(pop) {
		pmemobj_tx_add_range_direct(&rp->a, sizeof(rp->a));
		rp->a -= amount;
#ifndef BUGGY
		pmemobj_tx_add_range_direct(&rp->b, sizeof(rp->b));
#endif
		rp->b += amount;
		if (--tx_crash_countdown == 0)
			_exit(TX_CRASH_EXIT);	/* simulated crash */
		pmemobj_tx_add_range_direct(&rp->transfers,
				sizeof(rp->transfers));
		rp->transfers++;
	} TX_ONABORT {
		fprintf(stderr, "pmemobj-tx: transaction aborted: %s\n",
				pmemobj_errormsg());
		exit(1);
	} TX_END
}

/*
 * tx_run -- the snippet under test: count transfers of amount
 */
static int
tx_run(const char *path, uint64_t amount, uint64_t count)
{
	PMEMobjpool *pop = tx_open(path, 0);
	struct tx_root *rp = pmemobj_direct(pmemobj_root(pop, sizeof(*rp)));
	const char *crash = getenv("PMFIT_TX_CRASH");

	if (crash != NULL)
		tx_crash_countdown = (long)tx_number(crash);
	icount_start(0);
	for (uint64_t i = 0; i < count; i++) {
		if (i > 0)
			icount_marker("transfer");
		tx_transfer(pop, rp, amount);
	}
	icount_stop();
	pmemobj_close(pop);
	return 0;
}

/*
 * tx_check -- open (recover), print the root and check the invariant
 */
static int
tx_check(const char *path)
{
	PMEMobjpool *pop = tx_open(path, 1);
	struct tx_root *rp;
	int ret = 0;

	if (pmemobj_root_size(pop) < sizeof(*rp)) {
		fprintf(stderr, "inconsistent: no root object\n");
		pmemobj_close(pop);
		return 1;
	}
	rp = pmemobj_direct(pmemobj_root(pop, sizeof(*rp)));
	printf("a=%llu b=%llu total=%llu transfers=%llu\n",
			(unsigned long long)rp->a, (unsigned long long)rp->b,
			(unsigned long long)rp->total,
			(unsigned long long)rp->transfers);
	fflush(stdout);
	if (rp->total != TX_TOTAL) {
		fprintf(stderr, "inconsistent: total is %llu, not %d\n",
				(unsigned long long)rp->total, TX_TOTAL);
		ret = 1;
	} else if (rp->a + rp->b != rp->total) {
		fprintf(stderr, "inconsistent: a + b = %llu, not %llu\n",
				(unsigned long long)(rp->a + rp->b),
				(unsigned long long)rp->total);
		ret = 1;
	}
	pmemobj_close(pop);
	return ret;
}

/*
 * main -- pmemobj-tx init|run|check POOL [AMOUNT [COUNT]]
 */
int
main(int argc, char *argv[])
{
	uint64_t amount = 10, count = 3;

	if (argc < 3)
		tx_usage();
	if (strcmp(argv[1], "init") == 0 && argc == 3)
		return tx_init(argv[2]);
	if (strcmp(argv[1], "check") == 0 && argc == 3)
		return tx_check(argv[2]);
	if (strcmp(argv[1], "run") == 0 && argc <= 5) {
		if (argc > 3)
			amount = tx_number(argv[3]);
		if (argc > 4)
			count = tx_number(argv[4]);
		if (amount * count > TX_TOTAL) {
			fprintf(stderr, "pmemobj-tx: AMOUNT * COUNT must not"
					" exceed %d\n", TX_TOTAL);
			return 2;
		}
		return tx_run(argv[2], amount, count);
	}
	tx_usage();
	return 2;
}
