/*
 * x86pm.h -- the raw x86 persistence instructions the twin scenarios use
 *
 * No libpmem here: the twins must issue exactly the flushes and fences
 * they show.  Every helper is also a compiler barrier, so the compiler
 * cannot move pool stores across it.  Build with -mclwb.
 */

#ifndef X86PM_H
#define X86PM_H 1

#include <stddef.h>
#include <stdint.h>
#include <immintrin.h>

#define X86PM_LINE 64

/*
 * x86pm_barrier -- compiler barrier (emits no instruction)
 */
static inline void
x86pm_barrier(void)
{
	__asm__ __volatile__("" ::: "memory");
}

/*
 * x86pm_clwb -- clwb every cache line of [addr, addr + len)
 */
static inline void
x86pm_clwb(const void *addr, size_t len)
{
	uintptr_t p = (uintptr_t)addr & ~(uintptr_t)(X86PM_LINE - 1);

	x86pm_barrier();
	for (; p < (uintptr_t)addr + len; p += X86PM_LINE)
		_mm_clwb((void *)p);
	x86pm_barrier();
}

/*
 * x86pm_sfence -- sfence: drains flushes and non-temporal stores
 */
static inline void
x86pm_sfence(void)
{
	x86pm_barrier();
	_mm_sfence();
	x86pm_barrier();
}

/*
 * x86pm_store64 -- one aligned 8-byte store (atomic to pmem)
 */
static inline void
x86pm_store64(void *addr, uint64_t val)
{
	*(volatile uint64_t *)addr = val;
}

/*
 * x86pm_load64 -- one 8-byte load
 */
static inline uint64_t
x86pm_load64(const void *addr)
{
	return *(const volatile uint64_t *)addr;
}

#endif
