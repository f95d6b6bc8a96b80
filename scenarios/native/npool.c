/*
 * npool.c -- shared plumbing of the native pmfit scenarios (see npool.h)
 */

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "icount.h"
#include "npool.h"

/*
 * npool_usage_exit -- print a one-line usage error and exit 2
 */
void
npool_usage_exit(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(NPOOL_EXIT_USAGE);
}

/*
 * npool_bad -- report why a pool is inconsistent (one line on stderr)
 *
 * Returns NPOOL_EXIT_INCONSISTENT so a check can "return npool_bad(...)".
 */
int
npool_bad(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("inconsistent: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return NPOOL_EXIT_INCONSISTENT;
}

/*
 * npool_map -- open and map a pool file of exactly size bytes
 *
 * The file is opened by its path and the descriptor itself is mapped
 * MAP_SHARED, so a tracer that follows open + mmap finds the pool.
 * Exits 2 on any failure.
 */
void *
npool_map(const char *path, size_t size, enum npool_mode mode)
{
	int flags = (mode == NPOOL_RDONLY) ? O_RDONLY : O_RDWR;
	int prot = (mode == NPOOL_RDONLY) ? PROT_READ : PROT_READ | PROT_WRITE;
	struct stat st;
	void *base;
	int fd;

	if (mode == NPOOL_CREATE)
		flags |= O_CREAT;
	if ((fd = open(path, flags, 0644)) < 0)
		npool_usage_exit("%s: %s", path, strerror(errno));
	if (mode == NPOOL_CREATE && ftruncate(fd, (off_t)size) < 0)
		npool_usage_exit("%s: ftruncate: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0)
		npool_usage_exit("%s: fstat: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		npool_usage_exit("%s: not a regular file", path);
	if ((size_t)st.st_size != size)
		npool_usage_exit("%s: pool size is %lld bytes, expected %zu"
				" (run init first)", path,
				(long long)st.st_size, size);
	base = mmap(NULL, size, prot, MAP_SHARED, fd, 0);
	if (base == MAP_FAILED)
		npool_usage_exit("%s: mmap: %s", path, strerror(errno));
	close(fd);
	return base;
}

/*
 * npool_unmap -- unmap a pool mapped by npool_map
 */
void
npool_unmap(void *base, size_t size)
{
	munmap(base, size);
}

/*
 * npool_print_escaped -- print len bytes of s in C-like escaped form
 *
 * Printable ASCII goes out as is (backslash and quote escaped), all
 * other bytes as \xNN, so garbage after a crash prints canonically.
 */
void
npool_print_escaped(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\\' || c == '"')
			printf("\\%c", c);
		else if (c >= 0x20 && c < 0x7f)
			putchar(c);
		else
			printf("\\x%02x", c);
	}
}

/*
 * npool_main -- dispatch init / run / check for a scenario
 */
int
npool_main(const struct npool_scenario *s, int argc, char *argv[])
{
	const char *cmd, *path;
	char *base;
	int ret;

	if (argc < 3)
		npool_usage_exit("usage: %s init|run|check POOL%s%s", s->name,
				s->run_usage ? " " : "",
				s->run_usage ? s->run_usage : "");
	cmd = argv[1];
	path = argv[2];

	if (strcmp(cmd, "init") == 0) {
		if (argc != 3)
			npool_usage_exit("usage: %s init POOL", s->name);
		base = npool_map(path, s->pool_size, NPOOL_CREATE);
		memset(base, 0, s->pool_size);
		s->init(base, s->pool_size);
		if (msync(base, s->pool_size, MS_SYNC) < 0)
			npool_usage_exit("%s: msync: %s", path,
					strerror(errno));
		npool_unmap(base, s->pool_size);
		return NPOOL_EXIT_OK;
	}

	if (strcmp(cmd, "run") == 0) {
		if (argc > 3 && s->run_usage == NULL)
			npool_usage_exit("usage: %s run POOL", s->name);
		base = npool_map(path, s->pool_size, NPOOL_RDWR);
		if (s->prepare)
			s->prepare(base, s->pool_size);
		icount_start(0);
		s->run(base, s->pool_size, argc - 3, argv + 3);
		icount_stop();
		npool_unmap(base, s->pool_size);
		return NPOOL_EXIT_OK;
	}

	if (strcmp(cmd, "check") == 0) {
		if (argc != 3)
			npool_usage_exit("usage: %s check POOL", s->name);
		base = npool_map(path, s->pool_size,
				s->check_writes ? NPOOL_RDWR : NPOOL_RDONLY);
		ret = s->check(base, s->pool_size);
		fflush(stdout);
		npool_unmap(base, s->pool_size);
		return ret;
	}

	npool_usage_exit("%s: unknown subcommand '%s' (init, run or check)",
			s->name, cmd);
}
