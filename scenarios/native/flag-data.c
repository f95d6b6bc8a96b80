/*
 * flag-data.c -- publish data with a flag: data durable first, then flag
 *
 *	flag-data init POOL	zeroed 4 KiB pool
 *	flag-data run POOL	write 8 data words, then set the flag
 *	flag-data check POOL	see flagpub.h
 *
 * Correct: data; clwb data; sfence; flag; clwb flag; sfence.
 * Built with -DBUGGY (flag-data-buggy): data; flag; clwb flag; sfence;
 * clwb data; sfence -- the flag is made durable before the data, so a
 * crash after the first sfence leaves the flag set and the data lost.
 * Every store executes before the flag's, so only a model in which
 * unflushed stores are lost (adr, even its strict corner) finds it.
 */

#include "flagpub.h"

/*
 * flag_data_run -- the snippet under test
 */
static void
flag_data_run(char *base, size_t size, int argc, char *argv[])
{
	char *data = base + FLAGPUB_DATA_OFF;
	char *flag = base + FLAGPUB_FLAG_OFF;

	(void)size;
	(void)argc;
	(void)argv;
	for (int i = 0; i < FLAGPUB_WORDS; i++)
		x86pm_store64(data + 8 * i, flagpub_word(i));
#ifndef BUGGY
	x86pm_clwb(data, 8 * FLAGPUB_WORDS);
	x86pm_sfence();
	x86pm_store64(flag, FLAGPUB_VALID);
	x86pm_clwb(flag, 8);
	x86pm_sfence();
#else
	x86pm_store64(flag, FLAGPUB_VALID);
	x86pm_clwb(flag, 8);
	x86pm_sfence();
	x86pm_clwb(data, 8 * FLAGPUB_WORDS);
	x86pm_sfence();
#endif
}

static const struct npool_scenario flag_data_scenario = {
#ifdef BUGGY
	.name = "flag-data-buggy",
#else
	.name = "flag-data",
#endif
	.pool_size = FLAGPUB_POOL_SIZE,
	.init = flagpub_init,
	.run = flag_data_run,
	.check = flagpub_check,
};

/*
 * main -- flag-data init|run|check POOL
 */
int
main(int argc, char *argv[])
{
	return npool_main(&flag_data_scenario, argc, argv);
}
