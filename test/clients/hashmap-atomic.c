/*
 * hashmap-atomic.c -- a chained hash map on libpmemobj's atomic API
 *
 * No transactions: an entry is allocated by pmemobj_alloc with a
 * constructor that fills in its key, value and link to the current head
 * of its chain and persists them; the entry is then published by one
 * aligned 8-byte store of its offset into the chain head, persisted. A
 * remove unlinks the entry with one 8-byte store of its successor's
 * offset, persisted, and then frees it with pmemobj_free. Links are pool
 * offsets (0 ends a chain), so each publish is a single atomic store.
 *
 * A crash between the allocation and the publish, or between the unlink
 * and the free, leaves an allocated entry that no chain reaches; the
 * recovery run at every open frees those (a mark and sweep over
 * POBJ_FOREACH), so the map never leaks across crashes.
 *
 * check (after that recovery) walks every chain: each link must be an
 * allocated entry of the pool reached once, in the bucket its key hashes
 * to, with value client_value(key), and no entry may be unreachable.
 *
 * Built with -DBUGGY, insert publishes the entry before its link to the
 * rest of the chain is set and persisted: a crash in between cuts the
 * chain (found under eadr as well as adr).
 */

#include <stdlib.h>

#include "client.h"

#define HMA_LAYOUT "hashmap-atomic"
#define HMA_SEED 0xa70a1c5eed5eedULL
#define HMA_NBUCKETS 4
#define HMA_ENTRY 1		/* type number of the entries */

struct hma_root {
	uint64_t seed;
	uint64_t nbuckets;
	uint64_t head[HMA_NBUCKETS];	/* offset of the first entry, or 0 */
};

struct hma_entry {
	uint64_t key;
	uint64_t value;
	uint64_t next;		/* offset of the next entry, or 0 */
};

/* what the constructor fills a new entry with */
struct hma_args {
	uint64_t key;
	uint64_t next;
};

/*
 * hma_root -- the root object
 */
static struct hma_root *
hma_root(PMEMobjpool *pop)
{
	return pmemobj_direct(pmemobj_root(pop, sizeof(struct hma_root)));
}

/*
 * hma_entry -- the entry at a pool offset
 */
static struct hma_entry *
hma_entry(PMEMobjpool *pop, uint64_t off)
{
	return (struct hma_entry *)((char *)pop + off);
}

/*
 * hma_hash -- the bucket of key among n (a power of two)
 */
static uint64_t
hma_hash(uint64_t seed, uint64_t key, uint64_t n)
{
	uint64_t h = (key ^ seed) * 0xff51afd7ed558ccdULL;

	return (h ^ (h >> 33)) & (n - 1);
}

/*
 * hma_create -- the empty map: seed and bucket count, persisted
 */
static int
hma_create(PMEMobjpool *pop)
{
	struct hma_root *r = hma_root(pop);

	r->seed = HMA_SEED;
	r->nbuckets = HMA_NBUCKETS;
	for (int i = 0; i < HMA_NBUCKETS; i++)
		r->head[i] = 0;
	pmemobj_persist(pop, r, sizeof(*r));
	return 0;
}

/*
 * hma_construct -- pmemobj_alloc constructor: fill and persist an entry
 */
static int
hma_construct(PMEMobjpool *pop, void *ptr, void *arg)
{
	struct hma_entry *e = ptr;
	const struct hma_args *a = arg;

	e->key = a->key;
	e->value = client_value(a->key);
#ifndef BUGGY
	e->next = a->next;
#else
	e->next = 0;		/* linked after the publish */
#endif
	pmemobj_persist(pop, e, sizeof(*e));
	return 0;
}

/*
 * hma_find -- the link (a chain head or a next field) that holds key's
 * entry, or the 0 link ending its chain
 */
static uint64_t *
hma_find(PMEMobjpool *pop, struct hma_root *r, uint64_t key)
{
	uint64_t *link = &r->head[hma_hash(r->seed, key, r->nbuckets)];

	while (*link != 0 && hma_entry(pop, *link)->key != key)
		link = &hma_entry(pop, *link)->next;
	return link;
}

/*
 * hma_insert -- add key (no-op if present): allocate, then publish
 */
static void
hma_insert(PMEMobjpool *pop, uint64_t key)
{
	struct hma_root *r = hma_root(pop);
	uint64_t *head = &r->head[hma_hash(r->seed, key, r->nbuckets)];
	struct hma_args args = { key, *head };
	PMEMoid oid;

	if (*hma_find(pop, r, key) != 0)
		return;
	if (pmemobj_alloc(pop, &oid, sizeof(struct hma_entry), HMA_ENTRY,
			hma_construct, &args) != 0)
		client_fatal("insert %llu: pmemobj_alloc: %s",
				(unsigned long long)key, pmemobj_errormsg());
	*head = oid.off;	/* the atomic publish */
	pmemobj_persist(pop, head, sizeof(*head));
#ifdef BUGGY
	hma_entry(pop, oid.off)->next = args.next;
	pmemobj_persist(pop, &hma_entry(pop, oid.off)->next, sizeof(uint64_t));
#endif
}

/*
 * hma_remove -- remove key (no-op if absent): unlink, then free
 */
static void
hma_remove(PMEMobjpool *pop, uint64_t key)
{
	struct hma_root *r = hma_root(pop);
	uint64_t *link = hma_find(pop, r, key);
	PMEMoid oid = pmemobj_root(pop, sizeof(*r));

	if (*link == 0)
		return;
	oid.off = *link;
	*link = hma_entry(pop, oid.off)->next;	/* the atomic unlink */
	pmemobj_persist(pop, link, sizeof(*link));
	pmemobj_free(&oid);
}

/*
 * hma_mark -- mark every entry the chains reach; -1 if a link is not an
 * unmarked entry (a broken map: left alone for check to report)
 */
static int
hma_mark(PMEMobjpool *pop, struct hma_root *r, struct client_objs *objs)
{
	for (uint64_t i = 0; i < HMA_NBUCKETS; i++) {
		for (uint64_t off = r->head[i]; off != 0;
				off = hma_entry(pop, off)->next) {
			long k = client_objs_find(objs, off);

			if (k < 0 || objs->seen[k] ||
					objs->type[k] != HMA_ENTRY)
				return -1;
			objs->seen[k] = 1;
		}
	}
	return 0;
}

/*
 * hma_recover -- free the entries no chain reaches (a crash between an
 * allocation and its publish, or between an unlink and its free)
 */
static void
hma_recover(PMEMobjpool *pop)
{
	struct hma_root *r = hma_root(pop);
	struct client_objs objs;
	PMEMoid oid = pmemobj_root(pop, sizeof(*r));

	if (r->nbuckets != HMA_NBUCKETS)
		return;
	client_objs_load(pop, &objs);
	if (hma_mark(pop, r, &objs) == 0) {
		for (size_t k = 0; k < objs.n; k++) {
			if (objs.type[k] != HMA_ENTRY || objs.seen[k])
				continue;
			oid.off = objs.off[k];
			pmemobj_free(&oid);
		}
	}
	client_objs_free(&objs);
}

/*
 * hma_check -- walk every chain and check the map's invariants
 */
static int
hma_check(PMEMobjpool *pop, struct client_keys *keys)
{
	struct hma_root *r = hma_root(pop);
	PMEMoid oid = pmemobj_root(pop, sizeof(*r));
	struct client_objs objs;
	uint64_t type;
	int ret = 0;

	if (r->seed != HMA_SEED || r->nbuckets != HMA_NBUCKETS)
		return client_broken("root is seed 0x%llx, %llu buckets",
				(unsigned long long)r->seed,
				(unsigned long long)r->nbuckets);
	client_objs_load(pop, &objs);
	for (uint64_t i = 0; ret == 0 && i < HMA_NBUCKETS; i++) {
		for (oid.off = r->head[i]; ret == 0 && oid.off != 0;
				oid.off = hma_entry(pop, oid.off)->next) {
			const struct hma_entry *e = hma_entry(pop, oid.off);

			if ((ret = client_objs_visit(&objs, oid, &type,
					"entry")) != 0)
				break;
			if (type != HMA_ENTRY)
				ret = client_broken("entry 0x%llx has type"
					" %llu", (unsigned long long)oid.off,
					(unsigned long long)type);
			else if (e->value != client_value(e->key))
				ret = client_broken("key %llu has value 0x%llx",
					(unsigned long long)e->key,
					(unsigned long long)e->value);
			else if (hma_hash(r->seed, e->key, HMA_NBUCKETS) != i)
				ret = client_broken("key %llu is in bucket %llu",
					(unsigned long long)e->key,
					(unsigned long long)i);
			else
				client_keys_add(keys, e->key);
		}
	}
	if (ret == 0)
		ret = client_objs_leaks(&objs, HMA_ENTRY, "entry");
	client_objs_free(&objs);
	return ret;
}

static const struct client_map hma_map = {
	.name = "hashmap-atomic",
	.layout = HMA_LAYOUT,
	.root_size = sizeof(struct hma_root),
	.create = hma_create,
	.recover = hma_recover,
	.insert = hma_insert,
	.remove = hma_remove,
	.check = hma_check,
};

/*
 * main -- hashmap-atomic init|check POOL | hashmap-atomic op POOL [K|-K]...
 */
int
main(int argc, char *argv[])
{
	return client_main(argc, argv, &hma_map);
}
