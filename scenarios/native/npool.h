/*
 * npool.h -- shared plumbing of the native pmfit scenarios
 *
 * Every scenario is one program with three subcommands:
 *
 *	PROG init POOL		create (if missing), size, zero and format the pool
 *	PROG run POOL [ARGS]	the snippet under test, between icount_start(0)
 *				and icount_stop()
 *	PROG check POOL		recovery + consistency check: a canonical text
 *				description of the state on stdout; exit 0 if
 *				consistent, 1 (one-line reason on stderr) if not
 *
 * Exit status 2 means bad usage or a pool file that cannot be used at all
 * (missing, wrong size).  npool_main() implements this dispatch for the
 * scenarios that work on a plain file of a fixed size mapped with mmap(2).
 */

#ifndef NPOOL_H
#define NPOOL_H 1

#include <stddef.h>
#include <stdint.h>

#define NPOOL_EXIT_OK 0
#define NPOOL_EXIT_INCONSISTENT 1
#define NPOOL_EXIT_USAGE 2

/* how npool_map opens the file */
enum npool_mode {
	NPOOL_CREATE,	/* create if missing, set the size, read-write */
	NPOOL_RDWR,	/* must exist with the right size, read-write */
	NPOOL_RDONLY,	/* must exist with the right size, read-only */
};

/* one scenario, as npool_main drives it */
struct npool_scenario {
	const char *name;
	size_t pool_size;
	/* format a zeroed pool; persisted by npool_main with msync */
	void (*init)(char *base, size_t size);
	/* before the snippet, untraced (e.g. recovery); NULL if none */
	void (*prepare)(char *base, size_t size);
	/* the snippet under test; icount_start/stop are around it */
	void (*run)(char *base, size_t size, int argc, char *argv[]);
	/* print the state; return 0 if consistent, else 1 after npool_bad */
	int (*check)(char *base, size_t size);
	/* check needs a writable mapping (it runs recovery) */
	int check_writes;
	/* usage text for the run arguments, or NULL */
	const char *run_usage;
};

int npool_main(const struct npool_scenario *s, int argc, char *argv[]);

void *npool_map(const char *path, size_t size, enum npool_mode mode);
void npool_unmap(void *base, size_t size);

void npool_usage_exit(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));
int npool_bad(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

void npool_print_escaped(const char *s, size_t len);

#endif
