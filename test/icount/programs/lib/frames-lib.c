/*
 * frames-lib.c -- a shared library the user wrote (built outside the
 * system's directories): its own store, flush and fence are attributed to
 * its own lines (test/icount/frames.test.ts)
 */
#include <immintrin.h>
#include <stdint.h>

/* frames_lib_put -- store a word and persist it with the library's code */
void
frames_lib_put(char *dst, uint64_t v)
{
	*(volatile uint64_t *)dst = v;		/* LIB_STORE */
	_mm_clwb(dst);				/* LIB_FLUSH */
	_mm_sfence();				/* LIB_FENCE */
}
