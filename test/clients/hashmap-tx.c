/*
 * hashmap-tx.c -- a chained hash map on libpmemobj's transactional API
 *
 * The root holds the hash seed, the number of entries and the bucket
 * array (a separate object: its size and the heads of the chains). An
 * insert links a TX_NEW entry at the head of its chain; when the map holds
 * more than two entries per bucket the same transaction rehashes it into
 * twice as many buckets (a new array, every entry relinked, the old array
 * freed). A remove unlinks the entry and frees it with TX_FREE. Every
 * field of an existing object is TX_ADDed before it changes.
 *
 * check walks every chain: each link must be an allocated entry of the
 * pool reached once, in the bucket its key hashes to, with value
 * client_value(key); the count must match and no entry or bucket array
 * may be unreachable (leak).
 *
 * Built with -DBUGGY, the rehash relinks the entries without adding their
 * next fields to the transaction: a crash inside it rolls back the bucket
 * array but not the rewritten chains.
 */

#include <stdlib.h>

#include "client.h"

#define HM_SEED 0x5eed5eed5eed5eedULL
#define HM_MIN_BUCKETS 2
#define HM_LOAD 2		/* entries per bucket before a rehash */

POBJ_LAYOUT_BEGIN(hashmap_tx);
POBJ_LAYOUT_ROOT(hashmap_tx, struct hm_root);
POBJ_LAYOUT_TOID(hashmap_tx, struct hm_entry);
POBJ_LAYOUT_TOID(hashmap_tx, struct hm_buckets);
POBJ_LAYOUT_END(hashmap_tx);

struct hm_root {
	uint64_t seed;
	uint64_t count;
	TOID(struct hm_buckets) buckets;
};

struct hm_entry {
	uint64_t key;
	uint64_t value;
	TOID(struct hm_entry) next;
};

struct hm_buckets {
	uint64_t nbuckets;	/* a power of two */
	TOID(struct hm_entry) head[];
};

#define HM_ENTRY TOID_TYPE_NUM(struct hm_entry)
#define HM_BUCKETS TOID_TYPE_NUM(struct hm_buckets)

/*
 * hm_root -- the root object
 */
static struct hm_root *
hm_root(PMEMobjpool *pop)
{
	return pmemobj_direct(pmemobj_root(pop, sizeof(struct hm_root)));
}

/*
 * hm_hash -- the bucket of key among n (a power of two)
 */
static uint64_t
hm_hash(uint64_t seed, uint64_t key, uint64_t n)
{
	uint64_t h = (key ^ seed) * 0xff51afd7ed558ccdULL;

	return (h ^ (h >> 33)) & (n - 1);
}

/*
 * hm_new_buckets -- a zeroed bucket array of n buckets, in the transaction
 */
static TOID(struct hm_buckets)
hm_new_buckets(uint64_t n)
{
	TOID(struct hm_buckets) b = TX_ZALLOC(struct hm_buckets,
			sizeof(struct hm_buckets) +
			n * sizeof(TOID(struct hm_entry)));

	D_RW(b)->nbuckets = n;
	return b;
}

/*
 * hm_create -- the empty map, in one transaction
 */
static int
hm_create(PMEMobjpool *pop)
{
	struct hm_root *r = hm_root(pop);
	int ret = 0;

	TX_BEGIN(pop) {
		TX_ADD_DIRECT(r);
		r->seed = HM_SEED;
		r->count = 0;
		r->buckets = hm_new_buckets(HM_MIN_BUCKETS);
	} TX_ONABORT {
		ret = 2;
	} TX_END
	return ret;
}

/*
 * hm_find -- the slot (a chain head or a next field) that holds key or
 * the null slot at the end of its chain
 */
static TOID(struct hm_entry) *
hm_find(struct hm_root *r, uint64_t key)
{
	struct hm_buckets *b = D_RW(r->buckets);
	TOID(struct hm_entry) *slot =
		&b->head[hm_hash(r->seed, key, b->nbuckets)];

	while (!TOID_IS_NULL(*slot) && D_RO(*slot)->key != key)
		slot = &D_RW(*slot)->next;
	return slot;
}

/*
 * hm_rehash -- move every entry into a new array of n buckets (called
 * inside a transaction)
 */
static void
hm_rehash(struct hm_root *r, uint64_t n)
{
	TOID(struct hm_buckets) old = r->buckets;
	TOID(struct hm_buckets) nb = hm_new_buckets(n);

	for (uint64_t i = 0; i < D_RO(old)->nbuckets; i++) {
		TOID(struct hm_entry) e = D_RO(old)->head[i];

		while (!TOID_IS_NULL(e)) {
			TOID(struct hm_entry) next = D_RO(e)->next;
			uint64_t h = hm_hash(r->seed, D_RO(e)->key, n);

#ifndef BUGGY
			TX_ADD_FIELD(e, next);
#endif
			D_RW(e)->next = D_RO(nb)->head[h];
			D_RW(nb)->head[h] = e;
			e = next;
		}
	}
	TX_ADD_FIELD_DIRECT(r, buckets);
	r->buckets = nb;
	TX_FREE(old);
}

/*
 * hm_insert -- add key (no-op if present), one transaction
 */
static void
hm_insert(PMEMobjpool *pop, uint64_t key)
{
	struct hm_root *r = hm_root(pop);
	TOID(struct hm_entry) *slot = hm_find(r, key);

	if (!TOID_IS_NULL(*slot))
		return;
	TX_BEGIN(pop) {
		struct hm_buckets *b = D_RW(r->buckets);
		TOID(struct hm_entry) *head =
			&b->head[hm_hash(r->seed, key, b->nbuckets)];
		TOID(struct hm_entry) e = TX_NEW(struct hm_entry);

		D_RW(e)->key = key;
		D_RW(e)->value = client_value(key);
		D_RW(e)->next = *head;
		TX_ADD_DIRECT(head);
		*head = e;
		TX_ADD_FIELD_DIRECT(r, count);
		r->count++;
		if (r->count > HM_LOAD * b->nbuckets)
			hm_rehash(r, 2 * b->nbuckets);
	} TX_ONABORT {
		client_fatal("insert %llu aborted: %s", (unsigned long long)key,
				pmemobj_errormsg());
	} TX_END
}

/*
 * hm_remove -- remove key (no-op if absent), one transaction
 */
static void
hm_remove(PMEMobjpool *pop, uint64_t key)
{
	struct hm_root *r = hm_root(pop);
	TOID(struct hm_entry) *slot = hm_find(r, key);

	if (TOID_IS_NULL(*slot))
		return;
	TX_BEGIN(pop) {
		TOID(struct hm_entry) e = *slot;

		TX_ADD_DIRECT(slot);
		*slot = D_RO(e)->next;
		TX_FREE(e);
		TX_ADD_FIELD_DIRECT(r, count);
		r->count--;
	} TX_ONABORT {
		client_fatal("remove %llu aborted: %s", (unsigned long long)key,
				pmemobj_errormsg());
	} TX_END
}

/*
 * hm_check_chain -- check the chain of bucket i and collect its keys
 */
static int
hm_check_chain(struct client_objs *objs, struct hm_root *r, uint64_t i,
		uint64_t n, struct client_keys *keys)
{
	TOID(struct hm_entry) e = D_RO(r->buckets)->head[i];
	uint64_t type;

	for (; !TOID_IS_NULL(e); e = D_RO(e)->next) {
		const struct hm_entry *p;

		if (client_objs_visit(objs, e.oid, &type, "entry"))
			return 1;
		if (type != HM_ENTRY)
			return client_broken("entry 0x%llx has type %llu",
					(unsigned long long)e.oid.off,
					(unsigned long long)type);
		p = D_RO(e);
		if (p->value != client_value(p->key))
			return client_broken("key %llu has value 0x%llx",
					(unsigned long long)p->key,
					(unsigned long long)p->value);
		if (hm_hash(r->seed, p->key, n) != i)
			return client_broken("key %llu is in bucket %llu, not"
					" %llu", (unsigned long long)p->key,
					(unsigned long long)i,
					(unsigned long long)hm_hash(r->seed,
						p->key, n));
		client_keys_add(keys, p->key);
	}
	return 0;
}

/*
 * hm_check -- walk every chain and check the map's invariants
 */
static int
hm_check(PMEMobjpool *pop, struct client_keys *keys)
{
	struct hm_root *r = hm_root(pop);
	struct client_objs objs;
	uint64_t type, n = 0;
	int ret;

	client_objs_load(pop, &objs);
	if (r->seed != HM_SEED)
		ret = client_broken("seed is 0x%llx",
				(unsigned long long)r->seed);
	else if (TOID_IS_NULL(r->buckets))
		ret = client_broken("no bucket array");
	else if ((ret = client_objs_visit(&objs, r->buckets.oid, &type,
			"bucket array")) != 0)
		;
	else if (type != HM_BUCKETS)
		ret = client_broken("bucket array has type %llu",
				(unsigned long long)type);
	else if ((n = D_RO(r->buckets)->nbuckets) < HM_MIN_BUCKETS ||
			(n & (n - 1)) ||
			pmemobj_alloc_usable_size(r->buckets.oid) <
			sizeof(struct hm_buckets) +
			n * sizeof(TOID(struct hm_entry)))
		ret = client_broken("bad bucket count %llu",
				(unsigned long long)n);
	for (uint64_t i = 0; ret == 0 && i < n; i++)
		ret = hm_check_chain(&objs, r, i, n, keys);
	if (ret == 0 && r->count != keys->n)
		ret = client_broken("count is %llu, the chains hold %zu",
				(unsigned long long)r->count, keys->n);
	if (ret == 0 && r->count > HM_LOAD * n)
		ret = client_broken("%llu entries in %llu buckets",
				(unsigned long long)r->count,
				(unsigned long long)n);
	if (ret == 0)
		ret = client_objs_leaks(&objs, HM_ENTRY, "entry") ||
			client_objs_leaks(&objs, HM_BUCKETS, "bucket array");
	client_objs_free(&objs);
	return ret;
}

static const struct client_map hm_map = {
	.name = "hashmap-tx",
	.layout = POBJ_LAYOUT_NAME(hashmap_tx),
	.root_size = sizeof(struct hm_root),
	.create = hm_create,
	.recover = NULL,
	.insert = hm_insert,
	.remove = hm_remove,
	.check = hm_check,
};

/*
 * main -- hashmap-tx init|check POOL | hashmap-tx op POOL [K|-K]...
 */
int
main(int argc, char *argv[])
{
	return client_main(argc, argv, &hm_map);
}
