/*
 * pmfit-tracer.c -- QEMU user-mode TCG plugin recording a native program's
 * pmem events (stores, flushes, fences, msync, markers) into a pmfit trace
 *
 * Arguments (comma separated after the plugin path):
 *	pool=PATH	the pool file whose mappings are traced (pool id 0)
 *	out=PATH	the trace file (docs/trace-format.md); a summary goes
 *			to PATH.summary.json
 *	from=FUNC	open the window at each entry of FUNC (main binary)
 *	to=FUNC		close it at entry of FUNC (default: when FUNC returns)
 *	whole=1		trace the whole run; markers are events, not gates
 *	exact=1		the run uses qemu -singlestep (flush addresses exact)
 *
 * Without from/whole the window is the whole run until the first
 * icount_start, which discards what came before it (icount.h).
 *
 * Guest registers: QEMU 7.2 gives plugins no register access. The tracer
 * reads them from the TCG CPU state that the generated code keeps in host
 * %rbp (TCG_AREG0) when it calls a plugin callback. Those values are exact
 * at the start of a translation block and right after any guest memory
 * access in it (TCG writes dirty guest registers back before every load or
 * store); in between they may be stale. The tracer decides per flush, at
 * translation, whether the registers forming its address are provably
 * exact and counts the flushes where they are not ("inexactFlushes" in the
 * summary); the driver then re-runs under -singlestep, where every
 * instruction starts its own block and all of them are exact.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "qemu-plugin-api.h"

QPA_EXPORT int qemu_plugin_version = QPA_API_VERSION;

#define TRACER_OUTBUF (1 << 20)
#define TRACER_MAX_MAPS 16
#define TRACER_NAME_MAX 256
#define TRACER_ENV_CHECKS 64

/* x86-64 guest register numbers, as in the TCG CPU state's regs[] */
#define GR_RSP 4
#define GR_EIP 16 /* regs[16] is eip in the CPU state */
#define GR_ALL 0xffffu

/* x86-64 Linux syscall numbers */
#define SYS_X_MMAP 9
#define SYS_X_MUNMAP 11
#define SYS_X_MREMAP 25
#define SYS_X_MSYNC 26
#define SYS_X_EXIT 60
#define SYS_X_EXIT_GROUP 231

/* record kinds and flags of docs/trace-format.md */
enum tracer_kind {
	TK_STORE = 1, TK_FLUSH, TK_FENCE, TK_MSYNC, TK_MARKER, TK_SITE, TK_MAP
};
enum tracer_marker { TM_START, TM_STOP, TM_USER, TM_TOTAL };

/* what an instruction is to the tracer (decided once, at translation) */
enum tracer_insn_kind {
	TI_PLAIN, TI_MARKER, TI_FLUSH, TI_FENCE
};

/* struct tracer_insn -- per-instruction descriptor handed to callbacks */
struct tracer_insn {
	uint64_t pc;
	uint8_t kind;	/* enum tracer_insn_kind */
	uint8_t sub;	/* marker, flush or fence kind */
	uint8_t nt;	/* its stores are non-temporal */
	uint8_t movst;	/* plain mov store through base+disp (env check) */
	uint8_t exact;	/* flush address registers are exact in env */
	uint8_t len;	/* instruction length in bytes */
	uint8_t func;	/* 1 entry of `from`, 2 entry of `to` */
	uint8_t addr32;	/* 0x67 prefix: 32-bit address */
	int8_t base;	/* flush address: base register or -1 */
	int8_t index;	/* index register or -1 */
	uint8_t scale;
	uint8_t riprel;
	int32_t disp;
};

/* struct tracer_map -- one mapping of the pool in the guest */
struct tracer_map {
	uint64_t base;
	uint64_t len;
	uint64_t off;
};

enum tracer_mode { MODE_AUTO, MODE_WHOLE, MODE_FUNC };

/* struct tracer_state -- everything the plugin knows (one vCPU) */
static struct tracer_state {
	qpa_id_t id;
	char *pool_path;
	char *out_path;
	char *from_name;
	char *to_name;
	int mode;
	int singlestep;

	int fd;
	uint8_t *buf;
	size_t used;
	int header_done;
	off_t header_end;
	size_t header_room;
	int write_failed;

	uint64_t guest_base;
	int guest_base_known;
	uint64_t main_base;
	uint64_t from_pc;
	uint64_t to_pc;

	int open;
	int provisional;
	uint64_t count;
	uint64_t all;
	uint64_t seq;
	uint64_t pc;
	int armed;
	uint64_t kill_at;
	int ret_watch;
	uint64_t ret_addr;

	int pending;
	uint64_t pending_pc;

	struct tracer_map maps[TRACER_MAX_MAPS];
	int nmaps;
	uint64_t map_lo;
	uint64_t map_hi;

	int64_t sc_num;
	uint64_t sc_args[6];

	uint64_t stores, nt_stores, flushes, fences, msyncs, markers;
	uint64_t inexact_flushes;
	int env_checks;
	uint64_t env_verified;
	int env_bad;
	int exited;
	int64_t exit_code;
	int finished;
} Tr;

/* tracer_out_flush -- write the buffered records to the trace file */
static void
tracer_out_flush(void)
{
	size_t done = 0;

	while (done < Tr.used) {
		ssize_t n = write(Tr.fd, Tr.buf + done, Tr.used - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (!Tr.write_failed)
				fprintf(stderr, "pmfit-tracer: write %s: %s\n",
					Tr.out_path, strerror(errno));
			Tr.write_failed = 1;
			break;
		}
		done += (size_t)n;
	}
	Tr.used = 0;
}

/* tracer_out_put -- append bytes to the trace through the buffer */
static void
tracer_out_put(const void *p, size_t n)
{
	if (Tr.used + n > TRACER_OUTBUF)
		tracer_out_flush();
	if (n > TRACER_OUTBUF) {
		if (write(Tr.fd, p, n) != (ssize_t)n)
			Tr.write_failed = 1;
		return;
	}
	memcpy(Tr.buf + Tr.used, p, n);
	Tr.used += n;
}

/* tracer_emit -- write one record: 32-byte head, then up to two payloads */
static void
tracer_emit(uint8_t kind, uint8_t flags, uint64_t icount, uint64_t pc,
	const void *p1, size_t n1, const void *p2, size_t n2)
{
	uint8_t head[32];
	uint16_t pool = 0;
	uint32_t len = (uint32_t)(n1 + n2);
	uint64_t seq = 0;

	if (kind <= TK_MARKER)
		seq = Tr.seq++;
	head[0] = kind;
	head[1] = flags;
	memcpy(head + 2, &pool, 2); /* the host is little-endian like the format */
	memcpy(head + 4, &len, 4);
	memcpy(head + 8, &seq, 8);
	memcpy(head + 16, &icount, 8);
	memcpy(head + 24, &pc, 8);
	tracer_out_put(head, sizeof(head));
	if (n1)
		tracer_out_put(p1, n1);
	if (n2)
		tracer_out_put(p2, n2);
}

/* tracer_json_str -- append a JSON string literal to buf (bounded) */
static size_t
tracer_json_str(char *buf, size_t at, size_t cap, const char *s)
{
	at += (size_t)snprintf(buf + at, at < cap ? cap - at : 0, "\"");
	for (; *s && at + 8 < cap; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			at += (size_t)snprintf(buf + at, cap - at, "\\%c", c);
		else if (c < 0x20)
			at += (size_t)snprintf(buf + at, cap - at, "\\u%04x", c);
		else
			buf[at++] = (char)c;
	}
	at += (size_t)snprintf(buf + at, at < cap ? cap - at : 0, "\"");
	return at;
}

/* tracer_program_json -- the guest argv as a JSON array (from cmdline) */
static size_t
tracer_program_json(char *buf, size_t at, size_t cap)
{
	static char cmd[65536];
	const char *bin = qemu_plugin_path_to_binary();
	ssize_t n = 0;
	int fd = open("/proc/self/cmdline", O_RDONLY);
	int found = 0, first = 1;

	if (fd >= 0) {
		n = read(fd, cmd, sizeof(cmd) - 1);
		close(fd);
	}
	if (n < 0)
		n = 0;
	cmd[n] = '\0';
	at += (size_t)snprintf(buf + at, cap - at, "[");
	/* QEMU's own options come first; the guest argv starts at the binary */
	for (char *p = cmd; p < cmd + n; p += strlen(p) + 1) {
		if (!found && p != cmd && bin && strcmp(p, bin) == 0)
			found = 1;
		if (!found)
			continue;
		if (!first)
			buf[at++] = ',';
		first = 0;
		at = tracer_json_str(buf, at, cap, p);
	}
	if (!found && bin)
		at = tracer_json_str(buf, at, cap, bin);
	at += (size_t)snprintf(buf + at, cap - at, "]");
	return at;
}

/* tracer_pool_size -- current size of the pool file (0 if absent) */
static uint64_t
tracer_pool_size(void)
{
	struct stat st;

	return stat(Tr.pool_path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

/* tracer_header_json -- render the header JSON into buf */
static size_t
tracer_header_json(char *buf, size_t cap)
{
	static const char *modes[] = { "auto", "whole", "function" };
	char abs[4096];
	const char *pool = realpath(Tr.pool_path, abs) ? abs : Tr.pool_path;
	size_t at = (size_t)snprintf(buf, cap,
		"{\"formatVersion\":1,\"source\":\"native\",\"program\":");

	at = tracer_program_json(buf, at, cap);
	at += (size_t)snprintf(buf + at, cap - at, ",\"pools\":[{\"id\":0,\"path\":");
	at = tracer_json_str(buf, at, cap, pool);
	at += (size_t)snprintf(buf + at, cap - at,
		",\"size\":%llu}],\"mainBase\":%llu,\"mainPath\":",
		(unsigned long long)tracer_pool_size(),
		(unsigned long long)Tr.main_base);
	at = tracer_json_str(buf, at, cap, qemu_plugin_path_to_binary());
	at += (size_t)snprintf(buf + at, cap - at,
		",\"guestBase\":%llu,\"window\":\"%s\",\"singlestep\":%s}",
		(unsigned long long)Tr.guest_base, modes[Tr.mode],
		Tr.singlestep ? "true" : "false");
	return at < cap ? at : cap - 1;
}

/* tracer_header_write -- write preamble + header, padded so it can grow */
static void
tracer_header_write(int final)
{
	static char json[70000];
	size_t n = tracer_header_json(json, sizeof(json) - 1024);
	uint8_t pre[16];
	uint32_t version = 1, hlen;

	if (!final)
		Tr.header_room = n + 512; /* room for the final pool size */
	if (n > Tr.header_room)
		return; /* cannot happen: only numbers grow, by < 512 bytes */
	/* JSON allows trailing blanks: pad to the reserved room */
	memset(json + n, ' ', Tr.header_room - n);
	hlen = (uint32_t)Tr.header_room;
	memcpy(pre, "PMFTRACE", 8);
	memcpy(pre + 8, &version, 4);
	memcpy(pre + 12, &hlen, 4);
	if (pwrite(Tr.fd, pre, 16, 0) != 16 ||
	    pwrite(Tr.fd, json, hlen, 16) != (ssize_t)hlen)
		Tr.write_failed = 1;
	Tr.header_end = (off_t)(16 + hlen);
	if (!final)
		lseek(Tr.fd, Tr.header_end, SEEK_SET);
}

/* tracer_emit_map -- write a kind-7 record for one pool mapping */
static void
tracer_emit_map(const struct tracer_map *m)
{
	uint64_t p[3] = { m->base, m->len, m->off };

	tracer_emit(TK_MAP, 0, 0, 0, p, sizeof(p), NULL, 0);
}

/* tracer_restart -- drop the provisional trace at the first icount_start */
static void
tracer_restart(void)
{
	Tr.used = 0;
	if (ftruncate(Tr.fd, Tr.header_end) != 0 ||
	    lseek(Tr.fd, Tr.header_end, SEEK_SET) < 0)
		Tr.write_failed = 1;
	Tr.seq = 0;
	Tr.count = 0;
	Tr.stores = Tr.nt_stores = Tr.flushes = Tr.fences = 0;
	Tr.msyncs = Tr.markers = Tr.inexact_flushes = 0;
	for (int i = 0; i < Tr.nmaps; i++)
		tracer_emit_map(&Tr.maps[i]);
}

/* tracer_summary -- write OUT.summary.json */
static void
tracer_summary(const char *reason)
{
	char path[4200];
	FILE *f;

	snprintf(path, sizeof(path), "%s.summary.json", Tr.out_path);
	f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "pmfit-tracer: cannot write %s: %s\n", path,
			strerror(errno));
		return;
	}
	fprintf(f, "{\"instructions\":%llu,\"allInstructions\":%llu,"
		"\"stores\":%llu,\"ntStores\":%llu,\"flushes\":%llu,"
		"\"fences\":%llu,\"msyncs\":%llu,\"markers\":%llu,"
		"\"events\":%llu,\"inexactFlushes\":%llu,\"envUnusable\":%s,"
		"\"envVerified\":%llu,"
		"\"singlestep\":%s,\"mainBase\":%llu,\"exitReason\":\"%s\","
		"\"exitCode\":",
		(unsigned long long)Tr.count, (unsigned long long)Tr.all,
		(unsigned long long)Tr.stores, (unsigned long long)Tr.nt_stores,
		(unsigned long long)Tr.flushes, (unsigned long long)Tr.fences,
		(unsigned long long)Tr.msyncs, (unsigned long long)Tr.markers,
		(unsigned long long)Tr.seq,
		(unsigned long long)Tr.inexact_flushes,
		Tr.env_bad ? "true" : "false",
		(unsigned long long)Tr.env_verified, Tr.singlestep ? "true" : "false",
		(unsigned long long)Tr.main_base, reason);
	if (Tr.exited)
		fprintf(f, "%lld,", (long long)Tr.exit_code);
	else
		fprintf(f, "null,");
	fprintf(f, "\"writeFailed\":%s}\n", Tr.write_failed ? "true" : "false");
	fclose(f);
}

/* tracer_finish -- flush the trace, finalize the header, write summary */
static void
tracer_finish(const char *reason)
{
	if (Tr.finished)
		return;
	Tr.finished = 1;
	if (!Tr.header_done) {
		tracer_header_write(0);
		Tr.header_done = 1;
	}
	tracer_out_flush();
	tracer_header_write(1);
	fsync(Tr.fd);
	close(Tr.fd);
	tracer_summary(reason);
}

/* tracer_atexit -- QEMU is exiting: finish the files */
static void
tracer_atexit(qpa_id_t id, void *udata)
{
	(void)id;
	(void)udata;
	tracer_finish(Tr.exited ? "exit" : "unknown");
}

/* tracer_die -- icount_start(life) expired: finish, then SIGKILL ourselves */
static void
tracer_die(void)
{
	tracer_finish("icount-life");
	kill(getpid(), SIGKILL);
}

/* ------------------------------------------------------------ ELF lookups */

/* tracer_elf_read -- read the whole main binary into memory */
static uint8_t *
tracer_elf_read(const char *path, size_t *size)
{
	struct stat st;
	uint8_t *p;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || fstat(fd, &st) != 0) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	p = malloc((size_t)st.st_size);
	if (p && pread(fd, p, (size_t)st.st_size, 0) != st.st_size) {
		free(p);
		p = NULL;
	}
	close(fd);
	*size = (size_t)st.st_size;
	return p;
}

/* tracer_elf_base -- load bias of the main binary (0 unless PIE) */
static uint64_t
tracer_elf_base(const uint8_t *img, size_t size)
{
	const Elf64_Ehdr *eh = (const void *)img;
	uint64_t lowest = UINT64_MAX;

	if (eh->e_type != ET_DYN || eh->e_phoff + (uint64_t)eh->e_phnum *
	    sizeof(Elf64_Phdr) > size)
		return 0;
	for (int i = 0; i < eh->e_phnum; i++) {
		const Elf64_Phdr *ph = (const void *)(img + eh->e_phoff +
			(size_t)i * sizeof(Elf64_Phdr));
		if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X) &&
		    ph->p_vaddr < lowest)
			lowest = ph->p_vaddr;
	}
	/* QEMU's start_code is the bias plus the lowest executable segment */
	return lowest == UINT64_MAX ? 0 : qemu_plugin_start_code() - lowest;
}

/* tracer_elf_symbol -- link-time address of function `name`, or 0 */
static uint64_t
tracer_elf_symbol(const uint8_t *img, size_t size, const char *name)
{
	const Elf64_Ehdr *eh = (const void *)img;

	if (eh->e_shoff + (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr) > size)
		return 0;
	for (int i = 0; i < eh->e_shnum; i++) {
		const Elf64_Shdr *sh = (const void *)(img + eh->e_shoff +
			(size_t)i * sizeof(Elf64_Shdr));
		const Elf64_Shdr *strs;
		if (sh->sh_type != SHT_SYMTAB && sh->sh_type != SHT_DYNSYM)
			continue;
		if (sh->sh_link >= eh->e_shnum)
			continue;
		strs = (const void *)(img + eh->e_shoff +
			(size_t)sh->sh_link * sizeof(Elf64_Shdr));
		for (uint64_t o = 0; o + sizeof(Elf64_Sym) <= sh->sh_size;
		    o += sizeof(Elf64_Sym)) {
			const Elf64_Sym *s = (const void *)(img + sh->sh_offset + o);
			if (sh->sh_offset + o + sizeof(Elf64_Sym) > size ||
			    strs->sh_offset + s->st_name >= size)
				break;
			if (ELF64_ST_TYPE(s->st_info) == STT_FUNC && s->st_value &&
			    strcmp((const char *)img + strs->sh_offset +
			    s->st_name, name) == 0)
				return s->st_value;
		}
	}
	return 0;
}

/* tracer_resolve -- learn the main binary's bias and the window functions */
static int
tracer_resolve(void)
{
	size_t size = 0;
	uint8_t *img = tracer_elf_read(qemu_plugin_path_to_binary(), &size);
	uint64_t v;

	if (!img || size < sizeof(Elf64_Ehdr)) {
		free(img);
		return Tr.from_name ? -1 : 0;
	}
	Tr.main_base = tracer_elf_base(img, size);
	if (Tr.from_name) {
		v = tracer_elf_symbol(img, size, Tr.from_name);
		if (!v) {
			fprintf(stderr, "pmfit-tracer: function %s not found in %s\n",
				Tr.from_name, qemu_plugin_path_to_binary());
			free(img);
			return -1;
		}
		Tr.from_pc = Tr.main_base + v;
	}
	if (Tr.to_name) {
		v = tracer_elf_symbol(img, size, Tr.to_name);
		if (!v) {
			fprintf(stderr, "pmfit-tracer: function %s not found in %s\n",
				Tr.to_name, qemu_plugin_path_to_binary());
			free(img);
			return -1;
		}
		Tr.to_pc = Tr.main_base + v;
	}
	free(img);
	return 0;
}

/* ------------------------------------------------------------ x86 decoding */

/* struct tracer_dec -- prefixes, opcode map and ModRM of one instruction */
struct tracer_dec {
	const uint8_t *b;
	size_t n;
	size_t op;	/* index of the opcode byte */
	int map;	/* 0 one-byte, 1 0F, 2 0F38, 3 0F3A, -1 unknown */
	int vex;
	int p66, pf2, pf3, lock, seg, addr32;
	unsigned rex_r, rex_x, rex_b;
	int has_modrm;
	uint8_t modrm;
};

/* tracer_decode -- parse prefixes, REX/VEX and the opcode map */
static void
tracer_decode(const uint8_t *b, size_t n, struct tracer_dec *d)
{
	size_t i = 0;

	memset(d, 0, sizeof(*d));
	d->b = b;
	d->n = n;
	for (; i < n; i++) {
		uint8_t c = b[i];
		if (c == 0x66)
			d->p66 = 1;
		else if (c == 0x67)
			d->addr32 = 1;
		else if (c == 0xF0)
			d->lock = 1;
		else if (c == 0xF2)
			d->pf2 = 1;
		else if (c == 0xF3)
			d->pf3 = 1;
		else if (c == 0x64 || c == 0x65)
			d->seg = c;
		else if (c != 0x2E && c != 0x36 && c != 0x3E && c != 0x26)
			break;
	}
	if (i < n && (b[i] & 0xF0) == 0x40) {
		d->rex_r = (b[i] >> 2) & 1;
		d->rex_x = (b[i] >> 1) & 1;
		d->rex_b = b[i] & 1;
		i++;
	}
	d->map = -1;
	if (i + 2 < n && b[i] == 0xC5) {
		d->vex = 1;
		d->rex_r = !(b[i + 1] & 0x80);
		d->p66 = (b[i + 1] & 3) == 1;
		d->pf3 = (b[i + 1] & 3) == 2;
		d->pf2 = (b[i + 1] & 3) == 3;
		d->map = 1;
		d->op = i + 2;
	} else if (i + 3 < n && b[i] == 0xC4) {
		d->vex = 1;
		d->rex_r = !(b[i + 1] & 0x80);
		d->rex_x = !(b[i + 1] & 0x40);
		d->rex_b = !(b[i + 1] & 0x20);
		d->map = (b[i + 1] & 0x1F) <= 3 ? (b[i + 1] & 0x1F) : -1;
		d->p66 = (b[i + 2] & 3) == 1;
		d->pf3 = (b[i + 2] & 3) == 2;
		d->pf2 = (b[i + 2] & 3) == 3;
		d->op = i + 3;
	} else if (i < n && b[i] == 0x62) {
		d->map = -1; /* EVEX: not modeled (QEMU 7.2 has no AVX-512) */
		d->op = i;
	} else if (i + 1 < n && b[i] == 0x0F) {
		if (b[i + 1] == 0x38 || b[i + 1] == 0x3A) {
			d->map = b[i + 1] == 0x38 ? 2 : 3;
			d->op = i + 2;
		} else {
			d->map = 1;
			d->op = i + 1;
		}
	} else if (i < n) {
		d->map = 0;
		d->op = i;
	}
	if (d->op >= n)
		d->map = -1;
	d->has_modrm = d->map >= 0 && d->op + 1 < n;
	if (d->has_modrm)
		d->modrm = b[d->op + 1];
}

/* tracer_gpr_vector_op -- 0F-map opcodes whose destination is never a GPR */
static int
tracer_gpr_vector_op(uint8_t o)
{
	return (o >= 0x10 && o <= 0x17) || o == 0x28 || o == 0x29 ||
		o == 0x2B || o == 0x6F || o == 0x7F || o == 0xE7 || o == 0xD6;
}

/*
 * tracer_gpr_writes -- conservative set of general registers an instruction
 * may write (GR_ALL when unknown); *mem set when it surely accesses guest
 * memory through a TCG load/store, before which TCG syncs all registers
 */
static unsigned
tracer_gpr_writes(const struct tracer_dec *d, int *mem)
{
	uint8_t o = d->b[d->op], m = d->modrm;
	unsigned mod = m >> 6, r3 = (m >> 3) & 7;
	unsigned regbit = 1u << (r3 | (d->rex_r << 3));
	unsigned rmbit = mod == 3 ? 1u << ((m & 7) | (d->rex_b << 3)) : 0;
	unsigned lowreg = 1u << ((o & 7) | (d->rex_b << 3));
	int memop = d->has_modrm && mod != 3;

	*mem = 0;
	if (d->map == 1 && d->vex) {
		if (o == 0x77)
			return 0;
		if (!tracer_gpr_vector_op(o) || !d->has_modrm)
			return GR_ALL;
		*mem = memop;
		return 0;
	}
	if (d->map == 1) {
		if (o == 0x1F || o == 0x18 || o == 0x0D || o == 0xAE)
			return d->has_modrm ? 0 : GR_ALL;
		if (!d->has_modrm)
			return GR_ALL;
		*mem = memop;
		if (tracer_gpr_vector_op(o) || o == 0xC3)
			return 0;
		if ((o >= 0x40 && o <= 0x4F) || o == 0xAF || o == 0xB6 ||
		    o == 0xB7 || o == 0xBE || o == 0xBF)
			return regbit;
		if (o >= 0x90 && o <= 0x9F)
			return rmbit;
		*mem = 0;
		return GR_ALL;
	}
	if (d->map != 0)
		return GR_ALL;
	if (o < 0x40 && (o & 7) < 6) {
		int cmp = (o >> 3) == 7;
		if ((o & 7) >= 4)
			return cmp ? 0 : 1u;
		if (!d->has_modrm)
			return GR_ALL;
		*mem = memop;
		if (cmp)
			return 0;
		return (o & 7) <= 1 ? rmbit : regbit;
	}
	if (o >= 0x50 && o <= 0x57) {
		*mem = 1;
		return 1u << GR_RSP;
	}
	if (o >= 0x58 && o <= 0x5F) {
		*mem = 1;
		return lowreg | 1u << GR_RSP;
	}
	if (o >= 0xB0 && o <= 0xBF)
		return lowreg;
	if (o >= 0x91 && o <= 0x97)
		return 1u | lowreg;
	switch (o) {
	case 0x68: case 0x6A:
		*mem = 1;
		return 1u << GR_RSP;
	case 0x90:
		return d->rex_b ? (1u | 1u << 8) : 0;
	case 0x98:
		return 1u;
	case 0x99:
		return 1u << 2;
	case 0xA8: case 0xA9:
		return 0;
	case 0x8D:
		return d->has_modrm ? regbit : GR_ALL;
	}
	if (!d->has_modrm)
		return GR_ALL;
	*mem = memop;
	switch (o) {
	case 0x63: case 0x69: case 0x6B: case 0x8A: case 0x8B:
		return regbit;
	case 0x84: case 0x85:
		return 0;
	case 0x86: case 0x87:
		return regbit | rmbit;
	case 0x88: case 0x89: case 0xC0: case 0xC1: case 0xC6: case 0xC7:
	case 0xD0: case 0xD1: case 0xD2: case 0xD3:
		return rmbit;
	case 0xF6: case 0xF7:
		if (r3 <= 1)
			return 0;
		return r3 <= 3 ? rmbit : (1u | 1u << 2);
	case 0xFE: case 0xFF:
		if (r3 <= 1)
			return rmbit;
		if (o == 0xFF && r3 == 6)
			return 1u << GR_RSP;
		break;
	}
	*mem = 0;
	return GR_ALL;
}

/* tracer_flush_operand -- decode a flush's memory operand into `in` */
static void
tracer_flush_operand(const struct tracer_dec *d, struct tracer_insn *in)
{
	const uint8_t *b = d->b;
	size_t pos = d->op + 2;
	unsigned mod = d->modrm >> 6, rm = d->modrm & 7;
	int disp_bytes = mod == 1 ? 1 : mod == 2 ? 4 : 0;

	in->base = in->index = -1;
	in->scale = 1;
	in->addr32 = (uint8_t)d->addr32;
	if (rm == 4 && pos < d->n) {
		uint8_t sib = b[pos++];
		unsigned idx = ((sib >> 3) & 7) | (d->rex_x << 3);
		in->scale = (uint8_t)(1u << (sib >> 6));
		if (idx != 4)
			in->index = (int8_t)idx;
		if ((sib & 7) == 5 && mod == 0)
			disp_bytes = 4;
		else
			in->base = (int8_t)((sib & 7) | (d->rex_b << 3));
	} else if (rm == 5 && mod == 0) {
		in->riprel = 1;
		disp_bytes = 4;
	} else {
		in->base = (int8_t)(rm | (d->rex_b << 3));
	}
	if (disp_bytes == 1 && pos < d->n)
		in->disp = (int8_t)b[pos];
	else if (disp_bytes == 4 && pos + 4 <= d->n)
		memcpy(&in->disp, b + pos, 4);
}

/* tracer_classify -- decide what an instruction is to the tracer */
static void
tracer_classify(const uint8_t *b, size_t n, struct tracer_insn *in)
{
	static const uint8_t magic[] = { 0x0F, 0x1F, 0x84, 0x00 };
	struct tracer_dec d;
	unsigned mod, r3;

	if (n == 8 && memcmp(b, magic, 4) == 0 && b[5] == 0x46 &&
	    b[6] == 0x4D && b[7] == 0x50 && b[4] >= 0xA1 && b[4] <= 0xA4) {
		in->kind = TI_MARKER;
		in->sub = (uint8_t)(b[4] - 0xA1);
		return;
	}
	tracer_decode(b, n, &d);
	if (d.map == 1 && (b[d.op] == 0xE7 || b[d.op] == 0x2B ||
	    b[d.op] == 0xC3 || b[d.op] == 0xF7))
		in->nt = 1; /* movntq/dq, movntps/pd, movnti, maskmov* */
	if (d.lock || (d.map == 0 && (b[d.op] == 0x86 || b[d.op] == 0x87) &&
	    d.has_modrm && (d.modrm >> 6) != 3)) {
		in->kind = TI_FENCE;
		in->sub = 2; /* locked instruction */
		return;
	}
	if (d.map == 0 && (b[d.op] == 0x88 || b[d.op] == 0x89) &&
	    d.has_modrm && (d.modrm >> 6) != 3 && (d.modrm & 7) != 4 &&
	    !((d.modrm >> 6) == 0 && (d.modrm & 7) == 5) && !d.seg &&
	    !d.addr32) {
		tracer_flush_operand(&d, in); /* same operand form as a flush */
		in->movst = 1;
		return;
	}
	if (d.map != 1 || d.vex || b[d.op] != 0xAE || !d.has_modrm)
		return;
	mod = d.modrm >> 6;
	r3 = (d.modrm >> 3) & 7;
	if (mod == 3 && !d.p66 && !d.pf2 && !d.pf3 && (r3 == 6 || r3 == 7)) {
		in->kind = TI_FENCE;
		in->sub = r3 == 7 ? 0 : 1; /* sfence, mfence */
	} else if (mod != 3 && !d.pf2 && !d.pf3 &&
	    (r3 == 7 || (r3 == 6 && d.p66))) {
		in->kind = TI_FLUSH;
		in->sub = r3 == 6 ? 2 : d.p66 ? 1 : 0; /* clwb, clflushopt, clflush */
		tracer_flush_operand(&d, in);
		if (d.seg)
			in->exact = 0; /* fs/gs bases are not modeled */
	}
}

/*
 * tracer_flush_exact -- are the flush's address registers exact in env?
 * Walks back from the flush to the block start: a write to one of them
 * makes the value possibly stale; a memory access syncs all registers.
 */
static int
tracer_flush_exact(struct qpa_tb *tb, size_t k, const struct tracer_insn *in)
{
	unsigned need = 0;

	if (in->base >= 0)
		need |= 1u << in->base;
	if (in->index >= 0)
		need |= 1u << in->index;
	if (!need || k == 0)
		return 1;
	while (k-- > 0) {
		struct qpa_insn *p = qemu_plugin_tb_get_insn(tb, k);
		struct tracer_dec d;
		int mem;
		tracer_decode(qemu_plugin_insn_data(p), qemu_plugin_insn_size(p), &d);
		if (d.map < 0 || (tracer_gpr_writes(&d, &mem) & need))
			return 0;
		if (mem)
			return 1;
	}
	return 1;
}

/* ------------------------------------------------------------ pool mappings */

/* tracer_maps_bounds -- recompute the quick-reject range of the mappings */
static void
tracer_maps_bounds(void)
{
	Tr.map_lo = UINT64_MAX;
	Tr.map_hi = 0;
	for (int i = 0; i < Tr.nmaps; i++) {
		if (Tr.maps[i].base < Tr.map_lo)
			Tr.map_lo = Tr.maps[i].base;
		if (Tr.maps[i].base + Tr.maps[i].len > Tr.map_hi)
			Tr.map_hi = Tr.maps[i].base + Tr.maps[i].len;
	}
}

/* tracer_maps_add -- remember a new pool mapping and record it */
static void
tracer_maps_add(uint64_t base, uint64_t len, uint64_t off)
{
	struct tracer_map m = { base, len, off };

	if (Tr.nmaps == TRACER_MAX_MAPS) {
		fprintf(stderr, "pmfit-tracer: more than %d pool mappings\n",
			TRACER_MAX_MAPS);
		return;
	}
	Tr.maps[Tr.nmaps++] = m;
	tracer_maps_bounds();
	tracer_emit_map(&m);
}

/* tracer_maps_remove -- forget [addr, addr+len) in the pool mappings */
static void
tracer_maps_remove(uint64_t addr, uint64_t len)
{
	uint64_t end = addr + len;

	for (int i = 0; i < Tr.nmaps; i++) {
		struct tracer_map *m = &Tr.maps[i];
		uint64_t mend = m->base + m->len;
		if (end <= m->base || addr >= mend)
			continue;
		if (addr <= m->base && end >= mend) {
			Tr.maps[i--] = Tr.maps[--Tr.nmaps];
		} else if (addr <= m->base) {
			m->off += end - m->base;
			m->len = mend - end;
			m->base = end;
		} else if (end >= mend) {
			m->len = addr - m->base;
		} else if (Tr.nmaps < TRACER_MAX_MAPS) {
			struct tracer_map tail = { end, mend - end,
				m->off + (end - m->base) };
			m->len = addr - m->base;
			Tr.maps[Tr.nmaps++] = tail;
		}
	}
	tracer_maps_bounds();
}

/* tracer_pool_offset -- pool offset of guest address a, *room bytes left */
static int
tracer_pool_offset(uint64_t a, uint64_t *off, uint64_t *room)
{
	if (a < Tr.map_lo || a >= Tr.map_hi)
		return 0;
	for (int i = 0; i < Tr.nmaps; i++) {
		const struct tracer_map *m = &Tr.maps[i];
		if (a - m->base < m->len) {
			*off = m->off + (a - m->base);
			*room = m->len - (a - m->base);
			return 1;
		}
	}
	return 0;
}

/* tracer_is_pool_fd -- does guest fd refer to the pool file? */
static int
tracer_is_pool_fd(int fd)
{
	struct stat a, b;

	return fd >= 0 && fstat(fd, &a) == 0 && stat(Tr.pool_path, &b) == 0 &&
		a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* ------------------------------------------------------------ events */

/* tracer_marker_event -- record a kind-5 marker */
static void
tracer_marker_event(int kind, uint64_t pc, const char *name)
{
	Tr.markers++;
	tracer_emit(TK_MARKER, (uint8_t)kind, Tr.count, pc, name, strlen(name),
		NULL, 0);
}

/* tracer_window_open -- the traced window opens (marker or function entry) */
static void
tracer_window_open(uint64_t pc, const char *name)
{
	if (Tr.mode == MODE_AUTO && Tr.provisional) {
		tracer_restart();
		Tr.provisional = 0;
	}
	if (Tr.mode != MODE_WHOLE)
		Tr.open = 1;
	if (Tr.open)
		tracer_marker_event(TM_START, pc, name);
}

/* tracer_window_close -- the traced window closes */
static void
tracer_window_close(uint64_t pc, const char *name)
{
	if (Tr.open)
		tracer_marker_event(TM_STOP, pc, name);
	if (Tr.mode != MODE_WHOLE)
		Tr.open = 0;
	Tr.armed = 0;
}

/* tracer_marker_store -- the store after a magic NOP carries its value */
static void
tracer_marker_store(uint64_t vaddr, unsigned size)
{
	int kind = Tr.pending - 1;
	uint64_t v = 0;

	Tr.pending = 0;
	if (size != 8)
		return;
	memcpy(&v, (void *)(uintptr_t)(vaddr + Tr.guest_base), 8);
	if (kind == TM_START) {
		if (Tr.mode == MODE_AUTO)
			tracer_window_open(Tr.pending_pc, "");
		else if (Tr.open)
			tracer_marker_event(TM_START, Tr.pending_pc, "");
		Tr.armed = v > 0;
		Tr.kill_at = Tr.count + v;
	} else if (kind == TM_USER && Tr.open) {
		char name[TRACER_NAME_MAX];
		const char *s = (const char *)(uintptr_t)(v + Tr.guest_base);
		size_t n = v ? strnlen(s, sizeof(name) - 1) : 0;
		memcpy(name, s, n);
		name[n] = '\0';
		tracer_marker_event(TM_USER, Tr.pending_pc, name);
	} else if (kind == TM_TOTAL) {
		memcpy((void *)(uintptr_t)(vaddr + Tr.guest_base), &Tr.count, 8);
	}
}

/* tracer_flush_addr -- effective address of a flush from the guest regs */
static uint64_t
tracer_flush_addr(const struct tracer_insn *in, const uint64_t *env)
{
	uint64_t a = (uint64_t)(int64_t)in->disp;

	if (in->riprel)
		a += in->pc + in->len;
	if (in->base >= 0)
		a += env[in->base];
	if (in->index >= 0)
		a += env[in->index] * in->scale;
	return in->addr32 ? (uint32_t)a : a;
}

/* tracer_flush -- a flush instruction executes inside the window */
static void
tracer_flush(const struct tracer_insn *in, const uint64_t *env)
{
	uint64_t a, off, room;

	if (!in->exact || Tr.env_bad)
		Tr.inexact_flushes++;
	if (Tr.env_bad)
		return;
	a = tracer_flush_addr(in, env);
	if (!tracer_pool_offset(a, &off, &room))
		return;
	Tr.flushes++;
	tracer_emit(TK_FLUSH, in->sub, Tr.count, in->pc, &off, 8, NULL, 0);
}

/*
 * tracer_check_env -- verify that env (host %rbp) is the guest CPU state:
 * right after a `mov` store through base+disp, TCG has written all guest
 * registers back, so env's base register plus disp must be the address
 */
static void
tracer_check_env(const struct tracer_insn *in, uint64_t vaddr,
	const uint64_t *env)
{
	uint64_t want = env[in->base] + (uint64_t)(int64_t)in->disp;

	Tr.env_checks++;
	if (want == vaddr) {
		Tr.env_verified++;
		return;
	}
	if (!Tr.env_bad)
		fprintf(stderr, "pmfit-tracer: cannot locate the guest CPU state "
			"(store to %#llx at pc %#llx, env says %#llx); flush "
			"addresses unknown\n", (unsigned long long)vaddr,
			(unsigned long long)in->pc, (unsigned long long)want);
	Tr.env_bad = 1;
}

/* tracer_func_entry -- entry of the `from` or `to` function */
static void
tracer_func_entry(const struct tracer_insn *in, const uint64_t *env)
{
	if ((in->func & 2) && Tr.open) {
		tracer_window_close(in->pc, Tr.to_name);
		Tr.ret_watch = 0;
	}
	if ((in->func & 1) && !Tr.open) {
		tracer_window_open(in->pc, Tr.from_name);
		if (!Tr.to_name && !Tr.env_bad) {
			/* a call just ended the previous block: rsp is exact */
			uint64_t sp = env[GR_RSP];
			memcpy(&Tr.ret_addr, (void *)(uintptr_t)(sp + Tr.guest_base), 8);
			Tr.ret_watch = 1;
		}
	}
}

/*
 * tracer_exec -- runs before every guest instruction (reached through
 * tracer_exec_tramp, which passes the TCG env pointer as `env`)
 */
__attribute__((visibility("hidden"))) void
tracer_exec(unsigned vcpu, void *udata, const uint64_t *env)
{
	const struct tracer_insn *in = udata;

	(void)vcpu;
	Tr.all++;
	Tr.pc = in->pc;
	if (__builtin_expect(Tr.armed, 0) && Tr.count == Tr.kill_at && Tr.open)
		tracer_die();
	if (__builtin_expect(Tr.ret_watch, 0) && in->pc == Tr.ret_addr) {
		Tr.ret_watch = 0;
		tracer_window_close(in->pc, "return");
	}
	if (__builtin_expect(in->func, 0))
		tracer_func_entry(in, env);
	if (in->kind == TI_PLAIN) {
		Tr.count += (uint64_t)Tr.open;
		return;
	}
	if (in->kind == TI_MARKER) {
		if (in->sub == TM_STOP) {
			if (Tr.mode == MODE_AUTO)
				tracer_window_close(in->pc, "");
			else if (Tr.open)
				tracer_marker_event(TM_STOP, in->pc, "");
		} else {
			Tr.pending = in->sub + 1;
			Tr.pending_pc = in->pc;
		}
		Tr.count += (uint64_t)Tr.open;
		return;
	}
	if (!Tr.open)
		return;
	Tr.count++;
	if (in->kind == TI_FLUSH) {
		tracer_flush(in, env);
	} else {
		Tr.fences++;
		tracer_emit(TK_FENCE, in->sub, Tr.count, in->pc, NULL, 0, NULL, 0);
	}
}

/* the callback QEMU calls: hands host %rbp (TCG_AREG0, the env) to C */
void tracer_exec_tramp(unsigned vcpu, void *udata);
__asm__(".text\n"
	".globl tracer_exec_tramp\n"
	".hidden tracer_exec_tramp\n"
	".type tracer_exec_tramp, @function\n"
	"tracer_exec_tramp:\n"
	"\tmovq %rbp, %rdx\n"
	"\tjmp tracer_exec\n"
	".size tracer_exec_tramp, .-tracer_exec_tramp\n");

/*
 * tracer_store -- a guest store happened: record it if it hit the pool
 * (reached through tracer_store_tramp, which passes the TCG env)
 */
__attribute__((visibility("hidden"))) void
tracer_store(unsigned vcpu, qpa_meminfo_t info, uint64_t vaddr, void *udata,
	const uint64_t *env)
{
	const struct tracer_insn *in = udata;
	unsigned size = 1u << qemu_plugin_mem_size_shift(info);
	uint64_t off, room;

	(void)vcpu;
	/* QEMU 7.2 also calls a W-only memory callback for some loads */
	if (!qemu_plugin_mem_is_store(info))
		return;
	if (__builtin_expect(in->movst, 0) && Tr.env_checks < TRACER_ENV_CHECKS)
		tracer_check_env(in, vaddr, env);
	if (__builtin_expect(Tr.pending, 0)) {
		tracer_marker_store(vaddr, size);
		return;
	}
	if (!Tr.open || !tracer_pool_offset(vaddr, &off, &room))
		return;
	if (size > room)
		size = (unsigned)room;
	Tr.stores++;
	Tr.nt_stores += in->nt;
	tracer_emit(TK_STORE, in->nt, Tr.count, in->pc, &off, 8,
		(void *)(uintptr_t)(vaddr + Tr.guest_base), size);
}

/* the memory callback QEMU calls: passes host %rbp (the env) as well */
void tracer_store_tramp(unsigned vcpu, qpa_meminfo_t info, uint64_t vaddr,
	void *udata);
__asm__(".text\n"
	".globl tracer_store_tramp\n"
	".hidden tracer_store_tramp\n"
	".type tracer_store_tramp, @function\n"
	"tracer_store_tramp:\n"
	"\tmovq %rbp, %r8\n"
	"\tjmp tracer_store\n"
	".size tracer_store_tramp, .-tracer_store_tramp\n");

/* tracer_first_tb -- one-time setup once the guest binary is loaded */
static void
tracer_first_tb(struct qpa_tb *tb)
{
	struct qpa_insn *in = qemu_plugin_tb_get_insn(tb, 0);
	void *h = qemu_plugin_insn_haddr(in);

	/* user mode: host address = guest address + guest_base */
	if (h)
		Tr.guest_base = (uint64_t)(uintptr_t)h - qemu_plugin_insn_vaddr(in);
	Tr.guest_base_known = 1;
	if (tracer_resolve() != 0) {
		tracer_finish("bad-function");
		_exit(2);
	}
	tracer_header_write(0);
	Tr.header_done = 1;
}

/* tracer_tb_trans -- instrument a freshly translated block */
static void
tracer_tb_trans(qpa_id_t id, struct qpa_tb *tb)
{
	size_t n = qemu_plugin_tb_n_insns(tb);
	struct tracer_insn *ins;

	(void)id;
	if (!Tr.header_done)
		tracer_first_tb(tb);
	ins = calloc(n ? n : 1, sizeof(*ins));
	if (!ins)
		abort();
	for (size_t i = 0; i < n; i++) {
		struct qpa_insn *q = qemu_plugin_tb_get_insn(tb, i);
		struct tracer_insn *in = &ins[i];
		in->pc = qemu_plugin_insn_vaddr(q);
		in->len = (uint8_t)qemu_plugin_insn_size(q);
		in->exact = 1;
		tracer_classify(qemu_plugin_insn_data(q), in->len, in);
		if (in->kind == TI_FLUSH && in->exact)
			in->exact = (uint8_t)tracer_flush_exact(tb, i, in);
		if (Tr.from_pc && in->pc == Tr.from_pc)
			in->func |= 1;
		if (Tr.to_pc && in->pc == Tr.to_pc)
			in->func |= 2;
		qemu_plugin_register_vcpu_insn_exec_cb(q, tracer_exec_tramp,
			QPA_CB_R_REGS, in);
		qemu_plugin_register_vcpu_mem_cb(q, tracer_store_tramp, QPA_CB_R_REGS,
			QPA_MEM_W, in);
	}
}

/* tracer_syscall -- remember a syscall's arguments; record msync */
static void
tracer_syscall(qpa_id_t id, unsigned vcpu, int64_t num, uint64_t a1,
	uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5, uint64_t a6,
	uint64_t a7, uint64_t a8)
{
	(void)id; (void)vcpu; (void)a7; (void)a8;
	Tr.sc_num = num;
	Tr.sc_args[0] = a1; Tr.sc_args[1] = a2; Tr.sc_args[2] = a3;
	Tr.sc_args[3] = a4; Tr.sc_args[4] = a5; Tr.sc_args[5] = a6;
	if (num == SYS_X_EXIT_GROUP || num == SYS_X_EXIT) {
		Tr.exited = 1;
		Tr.exit_code = (int64_t)(int32_t)a1;
	}
	if (num == SYS_X_MSYNC && Tr.open) {
		uint64_t off, room, p[2];
		for (uint64_t a = a1; a < a1 + a2; a += room) {
			if (!tracer_pool_offset(a, &off, &room)) {
				room = 4096 - (a & 4095); /* skip to the next page */
				continue;
			}
			p[0] = off;
			p[1] = room < a1 + a2 - a ? room : a1 + a2 - a;
			Tr.msyncs++;
			tracer_emit(TK_MSYNC, 0, Tr.count, Tr.pc, p, sizeof(p),
				NULL, 0);
		}
	}
}

/* tracer_syscall_ret -- follow mmap/munmap/mremap of the pool */
static void
tracer_syscall_ret(qpa_id_t id, unsigned vcpu, int64_t num, int64_t ret)
{
	uint64_t *a = Tr.sc_args;

	(void)id; (void)vcpu;
	if (ret < 0 && ret > -4096)
		return;
	if (num == SYS_X_MMAP && !(a[3] & 0x20 /* MAP_ANONYMOUS */)) {
		tracer_maps_remove((uint64_t)ret, a[1]);
		if (tracer_is_pool_fd((int)a[4]))
			tracer_maps_add((uint64_t)ret, a[1], a[5]);
	} else if (num == SYS_X_MMAP) {
		tracer_maps_remove((uint64_t)ret, a[1]); /* MAP_FIXED over it */
	} else if (num == SYS_X_MUNMAP) {
		tracer_maps_remove(a[0], a[1]);
	} else if (num == SYS_X_MREMAP) {
		uint64_t off, room;
		int was = tracer_pool_offset(a[0], &off, &room);
		tracer_maps_remove(a[0], a[1]);
		if (was)
			tracer_maps_add((uint64_t)ret, a[2], off);
	}
}

/* tracer_parse_args -- read pool=, out=, from=, to=, whole=, exact= */
static int
tracer_parse_args(int argc, char **argv)
{
	for (int i = 0; i < argc; i++) {
		char *v = strchr(argv[i], '=');
		if (!v) {
			fprintf(stderr, "pmfit-tracer: bad argument '%s'\n", argv[i]);
			return -1;
		}
		*v++ = '\0';
		if (strcmp(argv[i], "pool") == 0)
			Tr.pool_path = v;
		else if (strcmp(argv[i], "out") == 0)
			Tr.out_path = v;
		else if (strcmp(argv[i], "from") == 0)
			Tr.from_name = v;
		else if (strcmp(argv[i], "to") == 0)
			Tr.to_name = v;
		else if (strcmp(argv[i], "whole") == 0)
			Tr.mode = strcmp(v, "1") == 0 ? MODE_WHOLE : Tr.mode;
		else if (strcmp(argv[i], "exact") == 0)
			Tr.singlestep = strcmp(v, "1") == 0;
		else {
			fprintf(stderr, "pmfit-tracer: unknown argument '%s'\n",
				argv[i]);
			return -1;
		}
	}
	if (!Tr.pool_path || !Tr.out_path) {
		fprintf(stderr, "pmfit-tracer: pool=PATH and out=PATH are required\n");
		return -1;
	}
	if (Tr.to_name && !Tr.from_name) {
		fprintf(stderr, "pmfit-tracer: to=FUNC needs from=FUNC\n");
		return -1;
	}
	if (Tr.from_name)
		Tr.mode = MODE_FUNC;
	return 0;
}

/* qemu_plugin_install -- entry point: check the API, parse args, register */
QPA_EXPORT int
qemu_plugin_install(qpa_id_t id, const struct qpa_info *info, int argc,
	char **argv)
{
	if (info->version.cur < QPA_API_VERSION ||
	    info->version.min > QPA_API_VERSION) {
		fprintf(stderr, "pmfit-tracer: QEMU plugin API version %d..%d is "
			"not supported (this tracer is built for version %d)\n",
			info->version.min, info->version.cur, QPA_API_VERSION);
		return -1;
	}
	if (info->system_emulation || strcmp(info->target_name, "x86_64") != 0) {
		fprintf(stderr, "pmfit-tracer: needs qemu-x86_64 user mode "
			"(got %s)\n", info->target_name);
		return -1;
	}
	Tr.id = id;
	if (tracer_parse_args(argc, argv) != 0)
		return -1;
	Tr.fd = open(Tr.out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	Tr.buf = malloc(TRACER_OUTBUF);
	if (Tr.fd < 0 || !Tr.buf) {
		fprintf(stderr, "pmfit-tracer: cannot create %s: %s\n",
			Tr.out_path, strerror(errno));
		return -1;
	}
	Tr.open = Tr.mode != MODE_FUNC;
	Tr.provisional = Tr.mode == MODE_AUTO;
	Tr.map_lo = UINT64_MAX;
	qemu_plugin_register_vcpu_tb_trans_cb(id, tracer_tb_trans);
	qemu_plugin_register_vcpu_syscall_cb(id, tracer_syscall);
	qemu_plugin_register_vcpu_syscall_ret_cb(id, tracer_syscall_ret);
	qemu_plugin_register_atexit_cb(id, tracer_atexit, NULL);
	return 0;
}
