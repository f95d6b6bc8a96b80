/*
 * fence-flag.c -- publish clwb-flushed data with a flag, fenced between
 *
 *	fence-flag init POOL	zeroed 4 KiB pool
 *	fence-flag run POOL	write 8 data words, then set the flag
 *	fence-flag check POOL	see flagpub.h
 *
 * Correct: data; clwb data; sfence; flag; clwb flag; sfence.
 * Built with -DBUGGY (fence-flag-buggy) the sfence between clwb data and
 * the flag store is missing: data; clwb data; flag; clwb flag; sfence.
 * Both lines become durable at the same final sfence, so the strict model
 * (only durable stores survive) never sees the flag without the data; the
 * bug shows only when the flag's line may reach pmem early (cache eviction,
 * the full adr model) while the data line is still in flight.
 */

#include "flagpub.h"

/*
 * fence_flag_run -- the snippet under test
 */
static void
fence_flag_run(char *base, size_t size, int argc, char *argv[])
{
	char *data = base + FLAGPUB_DATA_OFF;
	char *flag = base + FLAGPUB_FLAG_OFF;

	(void)size;
	(void)argc;
	(void)argv;
	for (int i = 0; i < FLAGPUB_WORDS; i++)
		x86pm_store64(data + 8 * i, flagpub_word(i));
	x86pm_clwb(data, 8 * FLAGPUB_WORDS);
#ifndef BUGGY
	x86pm_sfence();
#endif
	x86pm_store64(flag, FLAGPUB_VALID);
	x86pm_clwb(flag, 8);
	x86pm_sfence();
}

static const struct npool_scenario fence_flag_scenario = {
#ifdef BUGGY
	.name = "fence-flag-buggy",
#else
	.name = "fence-flag",
#endif
	.pool_size = FLAGPUB_POOL_SIZE,
	.init = flagpub_init,
	.run = fence_flag_run,
	.check = flagpub_check,
};

/*
 * main -- fence-flag init|run|check POOL
 */
int
main(int argc, char *argv[])
{
	return npool_main(&fence_flag_scenario, argc, argv);
}
