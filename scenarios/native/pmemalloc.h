/*
 * pmemalloc.h -- a small crash-safe allocator for a pmem pool
 *
 * The pool is a file mapped at any address, so pointers inside it are
 * offsets from the pool base ("relative pointers", names ending in _);
 * PMEM(pmp, off_) turns one into an address.  Offset 0 is NULL.
 *
 * Layout (all offsets are multiples of 64, one cache line):
 *	0	pool header (magic, size)
 *	64	static area: PMEMALLOC_STATIC_SIZE bytes for the application's
 *		roots (pmemalloc_static_area)
 *	128	clumps, back to back up to the end of the pool
 *
 * Each clump starts with a one-line header: its total size, its state and
 * up to PMEMALLOC_MAX_ON deferred assignments.  The user area follows.
 *
 * Clump states and what pmemalloc_recover does with each after a crash:
 *	FREE		available				(kept)
 *	RESERVED	handed out, not yet reachable		-> FREE (back)
 *	ACTIVATING	its on-activate assignments are being
 *			made; the commit point has passed	-> redo them,
 *								   ACTIVE (forward)
 *	ACTIVE		in use					(kept)
 *	FREEING		its on-free assignments are being made	-> redo them,
 *								   FREE (forward)
 *
 * An allocation is: pmemalloc_reserve, fill in and persist the user area,
 * pmemalloc_onactive for each pointer that must point at it, then
 * pmemalloc_activate.  A crash at any point either loses the allocation
 * completely (nothing leaked) or completes it (every pointer set).
 */

#ifndef PMEMALLOC_H
#define PMEMALLOC_H 1

#include <stddef.h>
#include <stdint.h>

#define PMEMALLOC_MIN_POOL (4 * 1024)
#define PMEMALLOC_STATIC_SIZE 64
#define PMEMALLOC_MAX_ON 3

/* clump states, as stored in pmem (0 and anything else is corruption) */
enum pmemalloc_state {
	PMEMALLOC_FREE = 1,
	PMEMALLOC_RESERVED = 2,
	PMEMALLOC_ACTIVATING = 3,
	PMEMALLOC_ACTIVE = 4,
	PMEMALLOC_FREEING = 5,
};

#define PMEM(pmp, off_) ((void *)((char *)(pmp) + (off_)))

/* called by pmemalloc_walk for every clump */
typedef int pmemalloc_walk_cb(void *arg, uint64_t ptr_, size_t usable,
		enum pmemalloc_state state);

int pmemalloc_format(void *pmp, size_t size);
int pmemalloc_recover(void *pmp, size_t size, char *why, size_t whylen);
void *pmemalloc_static_area(void *pmp);

uint64_t pmemalloc_reserve(void *pmp, size_t size);
void pmemalloc_onactive(void *pmp, uint64_t ptr_, uint64_t *dest,
		uint64_t val);
void pmemalloc_onfree(void *pmp, uint64_t ptr_, uint64_t *dest, uint64_t val);
void pmemalloc_activate(void *pmp, uint64_t ptr_);
void pmemalloc_free(void *pmp, uint64_t ptr_);

int pmemalloc_walk(void *pmp, pmemalloc_walk_cb *cb, void *arg);
const char *pmemalloc_state_name(uint64_t state);

#endif
