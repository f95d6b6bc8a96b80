/*
 * tracer-out.c -- the trace writer: records, the header, OUT.summary.json and
 * the end of the run (docs/trace-format.md)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tracer.h"

/* tracer_out_open -- create the trace file and its buffer */
int
tracer_out_open(void)
{
	Out.fd = open(Args.out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		0644);
	if (!Out.buf)
		Out.buf = malloc(TRACER_OUTBUF);
	if (Out.fd < 0 || !Out.buf) {
		fprintf(stderr, "pmfit-tracer: cannot create %s: %s\n",
			Args.out_path, strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * tracer_out_reopen -- a forked child starts its own trace at path: the
 * parent's file and the records it had not written yet stay the parent's
 * (the child's copy of its buffer is dropped, its descriptor closed)
 */
void
tracer_out_reopen(const char *path)
{
	static char own[PATH_MAX];

	close(Out.fd);
	snprintf(own, sizeof(own), "%s", path);
	Args.out_path = own;
	Out.used = 0;
	Out.header_done = 0;
	Out.header_end = 0;
	Out.header_room = 0;
	Out.seq = 0;
	Out.write_failed = 0;
	Out.thread = 0;
	Out.threads_written = 0;
	Out.frame = -1;
	if (tracer_out_open() != 0)
		Out.write_failed = 1;
}

/*
 * tracer_image_path -- where pool id's initial image is written beside the
 * trace (OUT.imgID), or its name relative to the trace's directory
 */
void
tracer_image_path(int pool, char *buf, size_t cap, int relative)
{
	const char *slash = strrchr(Args.out_path, '/');
	const char *out = relative && slash ? slash + 1 : Args.out_path;

	snprintf(buf, cap, "%s.img%d", out, pool);
}

/* tracer_out_flush -- write the buffered records to the trace file */
static void
tracer_out_flush(void)
{
	size_t done = 0;

	while (done < Out.used) {
		ssize_t n = write(Out.fd, Out.buf + done, Out.used - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (!Out.write_failed)
				fprintf(stderr, "pmfit-tracer: write %s: %s\n",
					Args.out_path, strerror(errno));
			Out.write_failed = 1;
			break;
		}
		done += (size_t)n;
	}
	Out.used = 0;
}

/* tracer_out_put -- append bytes to the trace through the buffer */
static void
tracer_out_put(const void *p, size_t n)
{
	if (Out.used + n > TRACER_OUTBUF)
		tracer_out_flush();
	if (n > TRACER_OUTBUF) {
		if (write(Out.fd, p, n) != (ssize_t)n)
			Out.write_failed = 1;
		return;
	}
	memcpy(Out.buf + Out.used, p, n);
	Out.used += n;
}

/*
 * tracer_thread_before -- an event of thread Threads.cur is about to be
 * written: a thread record first when the previous event was another
 * thread's (the file starts with thread 0's, so one thread writes none)
 */
static void
tracer_thread_before(void)
{
	uint32_t id = Threads.cur->id;

	if (id == Out.thread)
		return;
	Out.thread = id;
	Out.threads_written = 1;
	tracer_emit(TK_THREAD, 0, 0, 0, &id, sizeof(id), NULL, 0);
}

/* tracer_emit -- write one record: 32-byte head, then up to two payloads */
void
tracer_emit(uint8_t kind, uint8_t flags, uint64_t icount, uint64_t pc,
	const void *p1, size_t n1, const void *p2, size_t n2)
{
	uint8_t head[32];
	uint16_t pool = 0;
	uint32_t len = (uint32_t)(n1 + n2);
	uint64_t seq = 0;
	uint64_t lead[3];
	int at = kind == TK_MAP ? 2 : 0; /* which word is a pool address */

	if (__atomic_load_n(&Run.finished, __ATOMIC_RELAXED))
		return; /* another thread's exit closed the files */
	/*
	 * store, flush, msync (first word) and map (third) carry a pool
	 * address: its pool id goes to the record's pool field
	 */
	if ((kind == TK_STORE || kind == TK_FLUSH || kind == TK_MSYNC ||
	    kind == TK_MAP) && n1 >= 8 * (size_t)(at + 1) &&
	    n1 <= sizeof(lead)) {
		memcpy(lead, p1, n1);
		pool = (uint16_t)(lead[at] >> TRACER_POOL_SHIFT);
		lead[at] &= TRACER_POOL_OFF_MASK;
		p1 = lead;
	}
	if (kind <= TK_MARKER) {
		tracer_thread_before();	/* its thread, when it changed */
		tracer_frame_before(pc); /* its user frame, when it changed */
		seq = Out.seq++;
	}
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

/* tracer_emit_map -- write a kind-7 record for one pool mapping */
void
tracer_emit_map(const struct tracer_map *m)
{
	uint64_t p[3] = { m->base, m->len, m->off };

	tracer_emit(TK_MAP, 0, 0, 0, p, sizeof(p), NULL, 0);
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

/* tracer_pool_size -- current size of pool file i (0 if absent) */
static uint64_t
tracer_pool_size(int i)
{
	struct stat st;

	return stat(Args.pool_path[i], &st) == 0 ? (uint64_t)st.st_size : 0;
}

/* tracer_pools_json -- the header's pools: id, real path, current size */
static size_t
tracer_pools_json(char *buf, size_t at, size_t cap)
{
	char abs[PATH_MAX];

	at += (size_t)snprintf(buf + at, cap - at, "[");
	for (int i = 0; i < Args.npools && at < cap; i++) {
		const char *path = Args.pool_path[i];
		if (realpath(path, abs))
			path = abs;
		at += (size_t)snprintf(buf + at, cap - at, "%s{\"id\":%d,\"path\":",
			i ? "," : "", i);
		at = tracer_json_str(buf, at, cap, path);
		at += (size_t)snprintf(buf + at, cap - at, ",\"size\":%llu",
			(unsigned long long)tracer_pool_size(i));
		if (Out.initial_images) { /* a forked child's: its snapshot */
			char image[PATH_MAX + 16];
			tracer_image_path(i, image, sizeof(image), 1);
			at += (size_t)snprintf(buf + at, cap - at,
				",\"initialImage\":{\"file\":");
			at = tracer_json_str(buf, at, cap, image);
			at += (size_t)snprintf(buf + at, cap - at, "}");
		}
		at += (size_t)snprintf(buf + at, cap - at, "}");
	}
	at += (size_t)snprintf(buf + at, cap - at, "]");
	return at;
}

/*
 * tracer_format_version -- 3 once a thread record (kind 10) is in the file;
 * a trace without one is a version-2 trace, byte for byte as before
 */
static int
tracer_format_version(void)
{
	return Out.threads_written ? 3 : 2;
}

/* tracer_header_json -- render the header JSON into buf */
static size_t
tracer_header_json(char *buf, size_t cap)
{
	static const char *modes[] = { "auto", "whole", "function" };
	size_t at = (size_t)snprintf(buf, cap,
		"{\"formatVersion\":%d,\"source\":\"native\",\"program\":",
		tracer_format_version());

	at = tracer_program_json(buf, at, cap);
	at += (size_t)snprintf(buf + at, cap - at, ",\"pools\":");
	at = tracer_pools_json(buf, at, cap);
	at += (size_t)snprintf(buf + at, cap - at,
		",\"mainBase\":%llu,\"mainPath\":",
		(unsigned long long)Guest.main_base);
	at = tracer_json_str(buf, at, cap, qemu_plugin_path_to_binary());
	at += (size_t)snprintf(buf + at, cap - at,
		",\"guestBase\":%llu,\"window\":\"%s\",\"singlestep\":%s}",
		(unsigned long long)Guest.guest_base, modes[Args.mode],
		Args.singlestep ? "true" : "false");
	return at < cap ? at : cap - 1;
}

/* tracer_header_write -- write preamble + header, padded so it can grow */
void
tracer_header_write(int final)
{
	static char json[70000];
	size_t n = tracer_header_json(json, sizeof(json) - 1024);
	uint8_t pre[16];
	uint32_t version = (uint32_t)tracer_format_version(), hlen;

	if (!final)
		Out.header_room = n + 512; /* room for the final pool size */
	if (n > Out.header_room)
		return; /* cannot happen: only numbers grow, by < 512 bytes */
	/* JSON allows trailing blanks: pad to the reserved room */
	memset(json + n, ' ', Out.header_room - n);
	hlen = (uint32_t)Out.header_room;
	memcpy(pre, "PMFTRACE", 8);
	memcpy(pre + 8, &version, 4);
	memcpy(pre + 12, &hlen, 4);
	if (pwrite(Out.fd, pre, 16, 0) != 16 ||
	    pwrite(Out.fd, json, hlen, 16) != (ssize_t)hlen)
		Out.write_failed = 1;
	Out.header_end = (off_t)(16 + hlen);
	if (!final)
		lseek(Out.fd, Out.header_end, SEEK_SET);
	Out.header_done = 1;
}

/* tracer_restart -- drop the provisional trace at the first icount_start */
void
tracer_restart(void)
{
	Out.used = 0;
	if (ftruncate(Out.fd, Out.header_end) != 0 ||
	    lseek(Out.fd, Out.header_end, SEEK_SET) < 0)
		Out.write_failed = 1;
	Out.seq = 0;
	Out.thread = 0;
	Out.threads_written = 0;
	for (int i = 0; i < TRACER_MAX_VCPUS; i++)
		Threads.t[i].count = 0;
	memset(&Counts, 0, sizeof(Counts));
	for (int i = 0; i < Pool.nmaps; i++)
		tracer_emit_map(&Pool.maps[i]);
	tracer_emit_objects();
}

/* tracer_summary_paths -- the other files the program opened, as JSON */
static void
tracer_summary_paths(FILE *f)
{
	static char buf[TRACER_PATH_MAX * 6 + 16];

	fprintf(f, "\"opened\":[");
	for (int i = 0; i < Pool.nopened; i++) {
		size_t n = tracer_json_str(buf, 0, sizeof(buf), Pool.opened[i]);
		fprintf(f, "%s%.*s", i ? "," : "", (int)n, buf);
	}
	fprintf(f, "],\"openedMore\":%s,", Pool.opened_more ? "true" : "false");
}

/*
 * tracer_summary_pools -- how the program used the pools: in all (the
 * fields a one-pool run always had) and per pool id
 */
static void
tracer_summary_pools(FILE *f)
{
	uint64_t rw = 0, ro = 0, priv = 0;
	int opened_ro = 0;

	for (int i = 0; i < Args.npools; i++) {
		rw += Pool.mapped_rw[i];
		ro += Pool.mapped_ro[i];
		priv += Pool.mapped_private[i];
		opened_ro |= Pool.opened_ro[i];
	}
	fprintf(f, "\"poolMappings\":{\"readWrite\":%llu,\"readOnly\":%llu,"
		"\"private\":%llu},\"poolOpenedReadOnly\":%s,\"pools\":[",
		(unsigned long long)rw, (unsigned long long)ro,
		(unsigned long long)priv, opened_ro ? "true" : "false");
	for (int i = 0; i < Args.npools; i++)
		fprintf(f, "%s{\"readWrite\":%llu,\"readOnly\":%llu,"
			"\"private\":%llu,\"openedReadOnly\":%s}", i ? "," : "",
			(unsigned long long)Pool.mapped_rw[i],
			(unsigned long long)Pool.mapped_ro[i],
			(unsigned long long)Pool.mapped_private[i],
			Pool.opened_ro[i] ? "true" : "false");
	fprintf(f, "],");
}

/* tracer_summary -- write OUT.summary.json */
static void
tracer_summary(const char *reason)
{
	char path[PATH_MAX + 32];
	FILE *f;

	uint64_t count = 0, all = 0, dropped = 0;

	for (int i = 0; i < TRACER_MAX_VCPUS; i++) {
		count += Threads.t[i].count;
		all += Threads.t[i].all;
		dropped += Threads.t[i].stack.dropped;
	}
	snprintf(path, sizeof(path), "%s.summary.json", Args.out_path);
	f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "pmfit-tracer: cannot write %s: %s\n", path,
			strerror(errno));
		return;
	}
	fprintf(f, "{\"instructions\":%llu,\"allInstructions\":%llu,"
		"\"stores\":%llu,\"ntStores\":%llu,\"syscallStores\":%llu,"
		"\"flushes\":%llu,"
		"\"fences\":%llu,\"msyncs\":%llu,\"markers\":%llu,"
		"\"events\":%llu,\"inexactFlushes\":%llu,\"envUnusable\":%s,"
		"\"envVerified\":%llu,"
		"\"singlestep\":%s,\"mainBase\":%llu,\"exitReason\":\"%s\","
		"\"exitCode\":",
		(unsigned long long)count, (unsigned long long)all,
		(unsigned long long)Counts.stores,
		(unsigned long long)Counts.nt_stores,
		(unsigned long long)Counts.syscall_stores,
		(unsigned long long)Counts.flushes,
		(unsigned long long)Counts.fences,
		(unsigned long long)Counts.msyncs,
		(unsigned long long)Counts.markers,
		(unsigned long long)Out.seq,
		(unsigned long long)Counts.inexact_flushes,
		Env.bad ? "true" : "false",
		(unsigned long long)Env.verified,
		Args.singlestep ? "true" : "false",
		(unsigned long long)Guest.main_base, reason);
	if (Run.exited)
		fprintf(f, "%lld,", (long long)Run.exit_code);
	else
		fprintf(f, "null,");
	tracer_summary_pools(f);
	tracer_summary_paths(f);
	fprintf(f, "\"objects\":%d,\"objectsMore\":%s,\"stackDropped\":%llu,",
		Objects.n, Objects.more ? "true" : "false",
		(unsigned long long)dropped);
	fprintf(f, "\"forks\":%llu,\"threads\":%u,\"threadPc\":%llu,",
		(unsigned long long)__atomic_load_n(&Run.forks, __ATOMIC_RELAXED),
		Threads.created, (unsigned long long)Run.thread_pc);
	fprintf(f, "\"writeFailed\":%s}\n", Out.write_failed ? "true" : "false");
	fclose(f);
}

/* tracer_claim_finish -- the first caller (of any thread) ends the run */
static int
tracer_claim_finish(void)
{
	return __atomic_exchange_n(&Run.finished, 1, __ATOMIC_ACQ_REL) == 0;
}

/* tracer_finish -- flush the trace, finalize the header, write summary */
void
tracer_finish(const char *reason)
{
	if (Run.child || !tracer_claim_finish())
		return; /* a forked child leaves the files to its parent */
	if (!Out.header_done)
		tracer_header_write(0);
	tracer_out_flush();
	tracer_header_write(1);
	fsync(Out.fd);
	close(Out.fd);
	tracer_summary(reason);
}

/*
 * tracer_checkpoint -- the process is about to exec (its QEMU is replaced,
 * no exit callback will run): make the files whole as they stand, with
 * reason in the summary. The descriptor stays open (exec closes it): if the
 * exec fails, the run goes on and its end writes them again.
 */
void
tracer_checkpoint(const char *reason)
{
	if (Run.child || __atomic_load_n(&Run.finished, __ATOMIC_ACQUIRE))
		return;
	if (!Out.header_done)
		tracer_header_write(0);
	tracer_out_flush();
	tracer_header_write(1);
	tracer_summary(reason);
}

/* tracer_die -- icount_start(life) expired: finish, then SIGKILL ourselves */
void
tracer_die(void)
{
	tracer_finish("icount-life");
	kill(getpid(), SIGKILL);
}

/*
 * tracer_refuse_thread -- a thread the plugin has no room for (a vCPU index
 * past TRACER_MAX_VCPUS) touched the pool: its events would be missing, so
 * the run ends here with exit reason "too-many-threads" (the trace is not
 * finished)
 */
void
tracer_refuse_thread(uint64_t pc)
{
	if (Run.child || !tracer_claim_finish())
		return;
	Run.thread_pc = pc;
	tracer_summary("too-many-threads");
	fprintf(stderr, "pmfit-tracer: more than %d threads at once, and one "
		"past them touched the pool at pc %#llx; stopping the program\n",
		TRACER_MAX_VCPUS, (unsigned long long)pc);
	kill(getpid(), SIGKILL);
}
