/*
 * torn16.c -- update a 16-byte record {value, ~value} crash-atomically
 *
 *	torn16 init POOL		4 KiB pool, record value 1
 *	torn16 run POOL [VALUE]		set the record to VALUE (default: the
 *					current value + 1)
 *	torn16 check POOL		print "value=N"; exit 1 if the two
 *					halves of the record disagree
 *
 * Layout: the current slot index (0 or 1) is the 8-byte word at offset 256,
 * alone in its cache line; slot 0 is 16 bytes at offset 56 and slot 1 at
 * offset 184, each straddling a cache-line boundary (56..71 crosses 64,
 * 184..199 crosses 192).  A record is {value, ~value}.
 *
 * Correct: write the new record into the other slot (one 16-byte SSE
 * store, which may tear -- nobody reads that slot yet), clwb, sfence, then
 * publish it by storing the index (one aligned 8-byte store, atomic), clwb,
 * sfence.
 * Built with -DBUGGY (torn16-buggy) the record is overwritten in place in
 * the current slot with the one 16-byte store, then clwb, sfence.  The two
 * halves lie in two cache lines that persist independently, and no 16-byte
 * store is atomic to pmem, so a crash before the sfence can keep one half
 * new and the other old.  Stores are whole at every crash point under eadr
 * and nothing of the store is durable before the sfence under strict adr,
 * so only the full adr model (lines reaching pmem early, tearing) finds it.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "npool.h"
#include "x86pm.h"

#define TORN16_POOL_SIZE 4096
#define TORN16_IDX_OFF 256

static const size_t torn16_slot_off[2] = { 56, 184 };

static uint64_t torn16_value_arg;	/* VALUE from the command line */
static int torn16_have_value;

/*
 * torn16_slot -- address of slot i
 */
static char *
torn16_slot(char *base, uint64_t i)
{
	return base + torn16_slot_off[i];
}

/*
 * torn16_write -- write {value, ~value} to rec with one 16-byte store
 */
static void
torn16_write(char *rec, uint64_t value)
{
	__m128i v = _mm_set_epi64x((long long)~value, (long long)value);

	x86pm_barrier();
	_mm_storeu_si128((__m128i *)rec, v);
	x86pm_barrier();
}

/*
 * torn16_init -- slot 0 holds value 1, index 0
 */
static void
torn16_init(char *base, size_t size)
{
	(void)size;
	torn16_write(torn16_slot(base, 0), 1);
	x86pm_store64(base + TORN16_IDX_OFF, 0);
}

/*
 * torn16_run -- the snippet under test
 */
static void
torn16_run(char *base, size_t size, int argc, char *argv[])
{
	uint64_t idx = x86pm_load64(base + TORN16_IDX_OFF) & 1;
	uint64_t value = torn16_have_value ? torn16_value_arg :
		x86pm_load64(torn16_slot(base, idx)) + 1;

	(void)size;
	(void)argc;
	(void)argv;
#ifndef BUGGY
	char *rec = torn16_slot(base, idx ^ 1);

	torn16_write(rec, value);
	x86pm_clwb(rec, 16);
	x86pm_sfence();
	x86pm_store64(base + TORN16_IDX_OFF, idx ^ 1);
	x86pm_clwb(base + TORN16_IDX_OFF, 8);
	x86pm_sfence();
#else
	char *rec = torn16_slot(base, idx);

	torn16_write(rec, value);
	x86pm_clwb(rec, 16);
	x86pm_sfence();
#endif
}

/*
 * torn16_check -- the published record must be whole
 */
static int
torn16_check(char *base, size_t size)
{
	uint64_t idx = x86pm_load64(base + TORN16_IDX_OFF);
	uint64_t value, check;

	(void)size;
	if (idx > 1) {
		printf("idx=0x%llx\n", (unsigned long long)idx);
		return npool_bad("slot index is garbage 0x%llx",
				(unsigned long long)idx);
	}
	value = x86pm_load64(torn16_slot(base, idx));
	check = x86pm_load64(torn16_slot(base, idx) + 8);
	if (check != ~value) {
		printf("torn value=0x%llx check=0x%llx\n",
				(unsigned long long)value,
				(unsigned long long)check);
		return npool_bad("torn record in slot %llu: value 0x%llx,"
				" check 0x%llx is not its complement",
				(unsigned long long)idx,
				(unsigned long long)value,
				(unsigned long long)check);
	}
	printf("value=%llu\n", (unsigned long long)value);
	return NPOOL_EXIT_OK;
}

static const struct npool_scenario torn16_scenario = {
#ifdef BUGGY
	.name = "torn16-buggy",
#else
	.name = "torn16",
#endif
	.pool_size = TORN16_POOL_SIZE,
	.init = torn16_init,
	.run = torn16_run,
	.check = torn16_check,
	.run_usage = "[VALUE]",
};

/*
 * main -- torn16 init|run|check POOL [VALUE]
 */
int
main(int argc, char *argv[])
{
	if (argc > 3 && strcmp(argv[1], "run") == 0) {
		char *end;

		if (argc > 4)
			npool_usage_exit("usage: torn16 run POOL [VALUE]");
		errno = 0;
		torn16_value_arg = strtoull(argv[3], &end, 0);
		if (errno || end == argv[3] || *end || argv[3][0] == '-')
			npool_usage_exit("torn16: bad VALUE '%s'", argv[3]);
		torn16_have_value = 1;
	}
	return npool_main(&torn16_scenario, argc, argv);
}
