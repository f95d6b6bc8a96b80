/*
 * flagpub.h -- layout and check shared by the publish-with-a-flag twins
 *		(flag-data, fence-flag, nt-publish)
 *
 * A 4 KiB pool: eight 8-byte data words fill cache line 0, the flag is
 * the first word of cache line 1.  The run writes the data and then sets
 * the flag to FLAGPUB_VALID; the data must be durable whenever the flag
 * is.  The check prints "flag=0" (nothing published; the data is not
 * looked at) or "flag=1 data=W0,...,W7" and exits 1 if the flag is set
 * and any data word is not the expected one, or the flag is garbage.
 */

#ifndef FLAGPUB_H
#define FLAGPUB_H 1

#include <stdint.h>
#include <stdio.h>

#include "npool.h"
#include "x86pm.h"

#define FLAGPUB_POOL_SIZE 4096
#define FLAGPUB_WORDS 8
#define FLAGPUB_DATA_OFF 0
#define FLAGPUB_FLAG_OFF 64
#define FLAGPUB_VALID 0x600df1a6600df1a6ULL

/*
 * flagpub_word -- the expected value of data word i
 */
static inline uint64_t
flagpub_word(int i)
{
	return 0x5ca1ab1e00000000ULL + (uint64_t)i + 1;
}

/*
 * flagpub_init -- nothing to format: flag 0, data 0
 */
static inline void
flagpub_init(char *base, size_t size)
{
	(void)base;
	(void)size;
}

/*
 * flagpub_check -- the published data must be complete
 */
static inline int
flagpub_check(char *base, size_t size)
{
	uint64_t *data = (uint64_t *)(base + FLAGPUB_DATA_OFF);
	uint64_t flag = x86pm_load64(base + FLAGPUB_FLAG_OFF);

	(void)size;
	if (flag == 0) {
		printf("flag=0\n");
		return NPOOL_EXIT_OK;
	}
	if (flag != FLAGPUB_VALID) {
		printf("flag=0x%016llx\n", (unsigned long long)flag);
		return npool_bad("flag holds garbage 0x%016llx",
				(unsigned long long)flag);
	}
	printf("flag=1 data=");
	for (int i = 0; i < FLAGPUB_WORDS; i++)
		printf("%s%llx", i ? "," : "", (unsigned long long)data[i]);
	printf("\n");
	for (int i = 0; i < FLAGPUB_WORDS; i++)
		if (data[i] != flagpub_word(i))
			return npool_bad("flag set but data word %d is"
					" 0x%llx, expected 0x%llx", i,
					(unsigned long long)data[i],
					(unsigned long long)flagpub_word(i));
	return NPOOL_EXIT_OK;
}

#endif
