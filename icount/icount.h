/*
 * icount.h -- markers that pmfit's tracer recognizes in a native snippet
 *
 * Each call is a "magic" instruction sequence: a distinctive 8-byte NOP,
 *
 *	0F 1F 84 00 kk 46 4D 50		nopl 0x504d46kk(%rax,%rax,1)
 *
 * whose displacement spells "PMF" plus a kind byte kk, followed (for the
 * calls that carry a value) by one 8-byte store. Under the tracer the plugin
 * recognizes the NOP by its bytes and takes the value from the very next
 * store it observes (store address and stored bytes are exact in a QEMU
 * memory callback; guest registers are not readable in QEMU 7.2):
 *
 *	kk = A1  icount_start(life)  NOP, then store of `life` to a static mailbox
 *	kk = A2  icount_stop()       NOP only
 *	kk = A3  icount_marker(name) NOP, then store of the pointer `name`
 *	kk = A4  icount_total()      NOP, then store of 0 to a local; the tracer
 *	                             overwrites that local with the count
 *
 * Outside the tracer the NOP does nothing and the store goes to a variable
 * nobody reads, so markers change nothing; icount_total() returns 0 there.
 */
#ifndef PMFIT_ICOUNT_H
#define PMFIT_ICOUNT_H 1

#define ICOUNT_KIND_START 0xA1
#define ICOUNT_KIND_STOP 0xA2
#define ICOUNT_KIND_MARKER 0xA3
#define ICOUNT_KIND_TOTAL 0xA4

/* a write-only sink for the values the markers hand to the tracer */
static volatile unsigned long icount_mailbox_ __attribute__((unused));

/*
 * icount_start -- open the traced window; with life > 0 the tracer kills the
 * program (SIGKILL) after `life` instructions of the window
 */
static inline __attribute__((always_inline)) void
icount_start(unsigned long life)
{
	__asm__ volatile("nopl 0x504d46a1(%%rax,%%rax,1)\n\t"
		"movq %1, %0"
		: "=m"(icount_mailbox_) : "r"(life) : "memory");
}

/* icount_stop -- close the traced window */
static inline __attribute__((always_inline)) void
icount_stop(void)
{
	__asm__ volatile("nopl 0x504d46a2(%%rax,%%rax,1)" ::: "memory");
}

/* icount_marker -- record a named user marker splitting the snippet */
static inline __attribute__((always_inline)) void
icount_marker(const char *name)
{
	__asm__ volatile("nopl 0x504d46a3(%%rax,%%rax,1)\n\t"
		"movq %1, %0"
		: "=m"(icount_mailbox_) : "r"(name) : "memory");
}

/* icount_total -- instructions counted in the window so far (0 untraced) */
static inline __attribute__((always_inline)) unsigned long
icount_total(void)
{
	volatile unsigned long total;

	__asm__ volatile("nopl 0x504d46a4(%%rax,%%rax,1)\n\t"
		"movq $0, %0"
		: "=m"(total) : : "memory");
	return total;
}

#endif
