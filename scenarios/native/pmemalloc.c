/*
 * pmemalloc.c -- a small crash-safe allocator for a pmem pool
 *
 * See pmemalloc.h for the layout and the clump state machine.  The rules
 * that make it crash-safe:
 *
 * - every pmem word that decides anything (a clump's size, its state, a
 *   pointer set on activation) is one aligned 8-byte store, which x86
 *   writes to pmem atomically;
 * - a clump header fits in one 64-byte cache line, and within it the
 *   stores are issued in the order recovery needs (stores to one line
 *   reach pmem in program order);
 * - whatever a later step depends on is persisted (flushed and drained)
 *   before that step's first store.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpmem.h>

#include "pmemalloc.h"

#define PMEMALLOC_MAGIC "PMFITPMA"
#define PMEMALLOC_VERSION 1
#define PMEMALLOC_LINE 64
#define PMEMALLOC_STATIC_OFF 64
#define PMEMALLOC_CLUMPS_OFF 128
#define PMEMALLOC_MIN_CLUMP 128	/* header line + one line of user data */

/* the pool header, at offset 0 */
struct pmemalloc_hdr {
	char magic[8];
	uint64_t size;
	uint64_t version;
	uint64_t unused[5];
};

/* one deferred assignment: *(uint64_t *)PMEM(pmp, off) = val */
struct pmemalloc_on {
	uint64_t off;
	uint64_t val;
};

/* a clump header: exactly one cache line */
struct pmemalloc_clump {
	uint64_t size;		/* whole clump, header included */
	uint64_t state;		/* enum pmemalloc_state */
	struct pmemalloc_on on[PMEMALLOC_MAX_ON];
};

_Static_assert(sizeof(struct pmemalloc_hdr) == PMEMALLOC_LINE, "header");
_Static_assert(sizeof(struct pmemalloc_clump) == PMEMALLOC_LINE, "clump");

/*
 * pmemalloc_pool_size -- the pool size recorded in the header
 */
static uint64_t
pmemalloc_pool_size(void *pmp)
{
	return ((struct pmemalloc_hdr *)pmp)->size;
}

/*
 * pmemalloc_clump_of -- the clump header of a user pointer
 */
static struct pmemalloc_clump *
pmemalloc_clump_of(void *pmp, uint64_t ptr_)
{
	return PMEM(pmp, ptr_ - sizeof(struct pmemalloc_clump));
}

/*
 * pmemalloc_fatal -- report a misuse of the allocator API and abort
 */
static void
pmemalloc_fatal(const char *what, uint64_t ptr_)
{
	fprintf(stderr, "pmemalloc: %s (clump 0x%llx)\n", what,
			(unsigned long long)ptr_);
	abort();
}

/*
 * pmemalloc_state_name -- printable name of a clump state
 */
const char *
pmemalloc_state_name(uint64_t state)
{
	switch (state) {
	case PMEMALLOC_FREE:		return "FREE";
	case PMEMALLOC_RESERVED:	return "RESERVED";
	case PMEMALLOC_ACTIVATING:	return "ACTIVATING";
	case PMEMALLOC_ACTIVE:		return "ACTIVE";
	case PMEMALLOC_FREEING:		return "FREEING";
	default:			return "INVALID";
	}
}

/*
 * pmemalloc_format -- lay out an empty pool: header, static area, one
 * FREE clump covering the rest
 *
 * The magic is written and persisted last, so a pool is never seen as
 * formatted before it is.  Returns 0, or -1 if size is unusable.
 */
int
pmemalloc_format(void *pmp, size_t size)
{
	struct pmemalloc_hdr *hdr = pmp;
	struct pmemalloc_clump *c = PMEM(pmp, PMEMALLOC_CLUMPS_OFF);

	if (size < PMEMALLOC_MIN_POOL || size % PMEMALLOC_LINE)
		return -1;

	memset(pmp, 0, PMEMALLOC_CLUMPS_OFF);
	memset(c, 0, sizeof(*c));
	c->size = size - PMEMALLOC_CLUMPS_OFF;
	c->state = PMEMALLOC_FREE;
	pmem_persist(c, sizeof(*c));

	hdr->size = size;
	hdr->version = PMEMALLOC_VERSION;
	pmem_persist(pmp, PMEMALLOC_CLUMPS_OFF);

	memcpy(hdr->magic, PMEMALLOC_MAGIC, sizeof(hdr->magic));
	pmem_persist(hdr->magic, sizeof(hdr->magic));
	return 0;
}

/*
 * pmemalloc_valid_dest -- is off a place an assignment may write to?
 */
static int
pmemalloc_valid_dest(uint64_t off, uint64_t size)
{
	return off >= PMEMALLOC_STATIC_OFF && off % sizeof(uint64_t) == 0 &&
		off <= size - sizeof(uint64_t);
}

/*
 * pmemalloc_validate -- check the header and the chain of clumps
 *
 * Returns 0 if the pool is structurally sound, else -1 with the reason
 * in why.
 */
static int
pmemalloc_validate(void *pmp, size_t size, char *why, size_t whylen)
{
	struct pmemalloc_hdr *hdr = pmp;
	uint64_t off;

	if (size < PMEMALLOC_MIN_POOL ||
			memcmp(hdr->magic, PMEMALLOC_MAGIC, sizeof(hdr->magic))) {
		snprintf(why, whylen, "no pmemalloc pool header");
		return -1;
	}
	if (hdr->size != size || hdr->version != PMEMALLOC_VERSION) {
		snprintf(why, whylen, "pool header says size %llu version %llu,"
				" file is %zu bytes",
				(unsigned long long)hdr->size,
				(unsigned long long)hdr->version, size);
		return -1;
	}

	for (off = PMEMALLOC_CLUMPS_OFF; off < size; ) {
		struct pmemalloc_clump *c = PMEM(pmp, off);

		if (c->size < PMEMALLOC_MIN_CLUMP ||
				c->size % PMEMALLOC_LINE ||
				c->size > size - off) {
			snprintf(why, whylen, "clump at 0x%llx has bad size"
					" 0x%llx", (unsigned long long)off,
					(unsigned long long)c->size);
			return -1;
		}
		if (c->state < PMEMALLOC_FREE ||
				c->state > PMEMALLOC_FREEING) {
			snprintf(why, whylen, "clump at 0x%llx has bad state"
					" 0x%llx", (unsigned long long)off,
					(unsigned long long)c->state);
			return -1;
		}
		if (c->state == PMEMALLOC_ACTIVATING ||
				c->state == PMEMALLOC_FREEING) {
			for (int i = 0; i < PMEMALLOC_MAX_ON; i++) {
				if (c->on[i].off == 0 ||
					pmemalloc_valid_dest(c->on[i].off,
							size))
					continue;
				snprintf(why, whylen, "clump at 0x%llx has a"
						" bad assignment to 0x%llx",
						(unsigned long long)off,
						(unsigned long long)
						c->on[i].off);
				return -1;
			}
		}
		off += c->size;
	}
	return 0;
}

/*
 * pmemalloc_run_on -- make a clump's deferred assignments durable
 *
 * Idempotent, so recovery can simply redo it.
 */
static void
pmemalloc_run_on(void *pmp, struct pmemalloc_clump *c)
{
	for (int i = 0; i < PMEMALLOC_MAX_ON; i++) {
		uint64_t *dest;

		if (c->on[i].off == 0)
			continue;
		dest = PMEM(pmp, c->on[i].off);
		*dest = c->on[i].val;
		pmem_flush(dest, sizeof(*dest));
	}
	pmem_drain();
}

/*
 * pmemalloc_settle -- set a clump's final state and forget its deferred
 * assignments, durably
 *
 * The state is stored first: if a crash keeps only a prefix of this line,
 * either the old state with its assignments (redone again) survives, or the
 * new state, in which the assignments are ignored.
 */
static void
pmemalloc_settle(struct pmemalloc_clump *c, enum pmemalloc_state state)
{
	c->state = state;
	memset(c->on, 0, sizeof(c->on));
	pmem_persist(c, sizeof(*c));
}

/*
 * pmemalloc_recover -- validate the pool and roll every clump in a
 * transient state forward or back
 *
 * Returns 0, or -1 with the reason in why if the pool is corrupt.
 */
int
pmemalloc_recover(void *pmp, size_t size, char *why, size_t whylen)
{
	uint64_t off;

	if (pmemalloc_validate(pmp, size, why, whylen))
		return -1;

	for (off = PMEMALLOC_CLUMPS_OFF; off < size; ) {
		struct pmemalloc_clump *c = PMEM(pmp, off);
		int dirty = 0;

		switch (c->state) {
		case PMEMALLOC_RESERVED:
			/* never reachable: give it back */
			pmemalloc_settle(c, PMEMALLOC_FREE);
			break;
		case PMEMALLOC_ACTIVATING:
			pmemalloc_run_on(pmp, c);
			pmemalloc_settle(c, PMEMALLOC_ACTIVE);
			break;
		case PMEMALLOC_FREEING:
			pmemalloc_run_on(pmp, c);
			pmemalloc_settle(c, PMEMALLOC_FREE);
			break;
		case PMEMALLOC_ACTIVE:
			/* on-free assignments of a free that never began */
			for (int i = 0; i < PMEMALLOC_MAX_ON; i++)
				dirty |= c->on[i].off != 0;
			if (dirty)
				pmemalloc_settle(c, PMEMALLOC_ACTIVE);
			break;
		default:
			break;
		}
		off += c->size;
	}
	return 0;
}

/*
 * pmemalloc_static_area -- the application's PMEMALLOC_STATIC_SIZE bytes
 * of roots
 */
void *
pmemalloc_static_area(void *pmp)
{
	return PMEM(pmp, PMEMALLOC_STATIC_OFF);
}

/*
 * pmemalloc_reserve -- take a FREE clump with at least size usable bytes
 *
 * First fit.  Adjacent FREE clumps met on the way are merged (one 8-byte
 * size store).  A bigger clump is split: the header of the remainder is
 * persisted before the clump shrinks, so every crash leaves a valid chain.
 * Returns the relative pointer to the user area, or 0 if there is no room.
 * The clump is RESERVED: recovery frees it unless it is activated.
 */
uint64_t
pmemalloc_reserve(void *pmp, size_t size)
{
	uint64_t psize = pmemalloc_pool_size(pmp);
	uint64_t need, off;

	need = (size + sizeof(struct pmemalloc_clump) + PMEMALLOC_LINE - 1) &
		~(uint64_t)(PMEMALLOC_LINE - 1);
	if (need < PMEMALLOC_MIN_CLUMP)
		need = PMEMALLOC_MIN_CLUMP;

	for (off = PMEMALLOC_CLUMPS_OFF; off < psize; ) {
		struct pmemalloc_clump *c = PMEM(pmp, off);

		if (c->state != PMEMALLOC_FREE) {
			off += c->size;
			continue;
		}

		while (off + c->size < psize) {
			struct pmemalloc_clump *next = PMEM(pmp, off + c->size);

			if (next->state != PMEMALLOC_FREE)
				break;
			c->size += next->size;
			pmem_persist(&c->size, sizeof(c->size));
		}

		if (c->size < need) {
			off += c->size;
			continue;
		}

		if (c->size - need >= PMEMALLOC_MIN_CLUMP) {
			struct pmemalloc_clump *rest = PMEM(pmp, off + need);

			memset(rest, 0, sizeof(*rest));
			rest->size = c->size - need;
			rest->state = PMEMALLOC_FREE;
			pmem_persist(rest, sizeof(*rest));
			c->size = need;
		}
		c->state = PMEMALLOC_RESERVED;
		memset(c->on, 0, sizeof(c->on));
		pmem_persist(c, sizeof(*c));
		return off + sizeof(struct pmemalloc_clump);
	}
	return 0;
}

/*
 * pmemalloc_add_on -- record one deferred assignment in a clump header
 */
static void
pmemalloc_add_on(void *pmp, uint64_t ptr_, uint64_t *dest, uint64_t val,
		enum pmemalloc_state want)
{
	struct pmemalloc_clump *c = pmemalloc_clump_of(pmp, ptr_);
	uint64_t doff = (uint64_t)((char *)dest - (char *)pmp);

	if (c->state != want)
		pmemalloc_fatal("clump in the wrong state", ptr_);
	if (!pmemalloc_valid_dest(doff, pmemalloc_pool_size(pmp)))
		pmemalloc_fatal("assignment target outside the pool", ptr_);

	for (int i = 0; i < PMEMALLOC_MAX_ON; i++) {
		if (c->on[i].off != 0)
			continue;
		/* val first: off != 0 marks the entry as complete */
		c->on[i].val = val;
		c->on[i].off = doff;
		pmem_persist(&c->on[i], sizeof(c->on[i]));
		return;
	}
	pmemalloc_fatal("too many deferred assignments", ptr_);
}

/*
 * pmemalloc_onactive -- at activation, set *dest = val (dest in the pool)
 */
void
pmemalloc_onactive(void *pmp, uint64_t ptr_, uint64_t *dest, uint64_t val)
{
	pmemalloc_add_on(pmp, ptr_, dest, val, PMEMALLOC_RESERVED);
}

/*
 * pmemalloc_onfree -- when the clump is freed, set *dest = val
 */
void
pmemalloc_onfree(void *pmp, uint64_t ptr_, uint64_t *dest, uint64_t val)
{
	pmemalloc_add_on(pmp, ptr_, dest, val, PMEMALLOC_ACTIVE);
}

/*
 * pmemalloc_activate -- make a RESERVED clump ACTIVE and its on-activate
 * assignments durable, atomically with respect to crashes
 *
 * The durable ACTIVATING state is the commit point.
 */
void
pmemalloc_activate(void *pmp, uint64_t ptr_)
{
	struct pmemalloc_clump *c = pmemalloc_clump_of(pmp, ptr_);

	if (c->state != PMEMALLOC_RESERVED)
		pmemalloc_fatal("activate: clump not RESERVED", ptr_);
	c->state = PMEMALLOC_ACTIVATING;
	pmem_persist(&c->state, sizeof(c->state));
	pmemalloc_run_on(pmp, c);
	pmemalloc_settle(c, PMEMALLOC_ACTIVE);
}

/*
 * pmemalloc_free -- free an ACTIVE clump, making its on-free assignments
 * durable, atomically with respect to crashes
 *
 * The durable FREEING state is the commit point.
 */
void
pmemalloc_free(void *pmp, uint64_t ptr_)
{
	struct pmemalloc_clump *c = pmemalloc_clump_of(pmp, ptr_);

	if (c->state != PMEMALLOC_ACTIVE)
		pmemalloc_fatal("free: clump not ACTIVE", ptr_);
	c->state = PMEMALLOC_FREEING;
	pmem_persist(&c->state, sizeof(c->state));
	pmemalloc_run_on(pmp, c);
	pmemalloc_settle(c, PMEMALLOC_FREE);
}

/*
 * pmemalloc_walk -- call cb for every clump, in address order
 *
 * The pool must have passed pmemalloc_recover.  Stops at the first
 * non-zero return of cb and returns it.
 */
int
pmemalloc_walk(void *pmp, pmemalloc_walk_cb *cb, void *arg)
{
	uint64_t psize = pmemalloc_pool_size(pmp);
	uint64_t off;
	int ret;

	for (off = PMEMALLOC_CLUMPS_OFF; off < psize; ) {
		struct pmemalloc_clump *c = PMEM(pmp, off);

		ret = cb(arg, off + sizeof(*c), c->size - sizeof(*c),
				(enum pmemalloc_state)c->state);
		if (ret)
			return ret;
		off += c->size;
	}
	return 0;
}
