/*
 * crashshim.c -- LD_PRELOAD shim for the native self-test: crash at the
 *		  K-th libpmem flush call
 *
 * Interposes pmem_persist, pmem_flush and pmem_drain.  With
 * PMFIT_CRASH_AT=K the K-th such call _exit(99)s before doing anything:
 * a crash at that point in which every store issued so far survives (the
 * pool is a MAP_SHARED file, as under eadr).  With PMFIT_CRASH_COUNT set,
 * the number of calls is printed to stderr at exit ("calls N").  Only
 * selftest.sh uses it; the harness does real crash testing.
 */

#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static unsigned long crashshim_calls;

/*
 * crashshim_tick -- count one call; crash if it is the chosen one
 */
static void
crashshim_tick(void)
{
	static long at = -1;

	if (at < 0) {
		const char *s = getenv("PMFIT_CRASH_AT");

		at = s ? atol(s) : 0;
	}
	if (++crashshim_calls == (unsigned long)at)
		_exit(99);
}

/*
 * crashshim_report -- print the number of calls if asked to
 */
__attribute__((destructor)) static void
crashshim_report(void)
{
	if (getenv("PMFIT_CRASH_COUNT"))
		fprintf(stderr, "calls %lu\n", crashshim_calls);
}

/*
 * pmem_persist -- counted pass-through
 */
void
pmem_persist(const void *addr, size_t len)
{
	static void (*real)(const void *, size_t);

	crashshim_tick();
	if (!real)
		real = (void (*)(const void *, size_t))dlsym(RTLD_NEXT,
				"pmem_persist");
	real(addr, len);
}

/*
 * pmem_flush -- counted pass-through
 */
void
pmem_flush(const void *addr, size_t len)
{
	static void (*real)(const void *, size_t);

	crashshim_tick();
	if (!real)
		real = (void (*)(const void *, size_t))dlsym(RTLD_NEXT,
				"pmem_flush");
	real(addr, len);
}

/*
 * pmem_drain -- counted pass-through
 */
void
pmem_drain(void)
{
	static void (*real)(void);

	crashshim_tick();
	if (!real)
		real = (void (*)(void))dlsym(RTLD_NEXT, "pmem_drain");
	real();
}
