/*
 * nt-publish.c -- publish data written with non-temporal stores
 *
 *	nt-publish init POOL	zeroed 4 KiB pool
 *	nt-publish run POOL	movnti 8 data words, then set the flag
 *	nt-publish check POOL	see flagpub.h
 *
 * Correct: movnti data; sfence; flag; clwb flag; sfence.
 * Built with -DBUGGY (nt-publish-buggy) there is no sfence after the
 * non-temporal stores: movnti data; flag; clwb flag; sfence.  The data and
 * the flag become durable at the same final sfence, so the strict model
 * sees nothing wrong; the bug shows only when the flag's line may reach
 * pmem early (cache eviction, the full adr model) while the non-temporal
 * stores are still in the write-combining buffers.
 */

#include "flagpub.h"

/*
 * nt_publish_run -- the snippet under test
 */
static void
nt_publish_run(char *base, size_t size, int argc, char *argv[])
{
	long long *data = (long long *)(base + FLAGPUB_DATA_OFF);
	char *flag = base + FLAGPUB_FLAG_OFF;

	(void)size;
	(void)argc;
	(void)argv;
	x86pm_barrier();
	for (int i = 0; i < FLAGPUB_WORDS; i++)
		_mm_stream_si64(&data[i], (long long)flagpub_word(i));
	x86pm_barrier();	/* compiler only: keeps the program order */
#ifndef BUGGY
	x86pm_sfence();
#endif
	x86pm_store64(flag, FLAGPUB_VALID);
	x86pm_clwb(flag, 8);
	x86pm_sfence();
}

static const struct npool_scenario nt_publish_scenario = {
#ifdef BUGGY
	.name = "nt-publish-buggy",
#else
	.name = "nt-publish",
#endif
	.pool_size = FLAGPUB_POOL_SIZE,
	.init = flagpub_init,
	.run = nt_publish_run,
	.check = flagpub_check,
};

/*
 * main -- nt-publish init|run|check POOL
 */
int
main(int argc, char *argv[])
{
	return npool_main(&nt_publish_scenario, argc, argv);
}
