/*
 * list-atomic.c -- a set of keys on libpmemobj's atomic lists
 *
 * The root holds a POBJ_LIST_HEAD of entries; an insert is one
 * POBJ_LIST_INSERT_NEW_HEAD (allocation, constructor and link in one
 * fail-safe atomic action), a remove one POBJ_LIST_REMOVE_FREE (unlink
 * and free). Each entry carries its key, value and a name, "key-K", that
 * lies in its own cache line: the library persists only the list links
 * it writes, the constructor must persist the rest.
 *
 * check walks the circular list from the head: every element must be an
 * allocated entry of the pool reached once, with its neighbours pointing
 * back at it, value client_value(key) and name "key-K"; no entry may be
 * unreachable (the atomic lists never leak).
 *
 * Built with -DBUGGY, the constructor does not persist the entry: the
 * link is durable, the name is not (found under adr, not eadr).
 */

#include <stdio.h>
#include <string.h>

#include "client.h"

#define LA_NAME_LEN 48

POBJ_LAYOUT_BEGIN(list_atomic);
POBJ_LAYOUT_ROOT(list_atomic, struct la_root);
POBJ_LAYOUT_TOID(list_atomic, struct la_entry);
POBJ_LAYOUT_END(list_atomic);

struct la_entry {
	POBJ_LIST_ENTRY(struct la_entry) list;
	uint64_t key;
	uint64_t value;
	char name[LA_NAME_LEN];		/* "key-K", NUL-padded */
};

struct la_root {
	POBJ_LIST_HEAD(la_head, struct la_entry) head;
};

#define LA_ENTRY TOID_TYPE_NUM(struct la_entry)

/*
 * la_root -- the root object
 */
static struct la_root *
la_root(PMEMobjpool *pop)
{
	return pmemobj_direct(pmemobj_root(pop, sizeof(struct la_root)));
}

/*
 * la_name -- the name an entry with key must carry
 */
static void
la_name(uint64_t key, char name[LA_NAME_LEN])
{
	memset(name, 0, LA_NAME_LEN);
	snprintf(name, LA_NAME_LEN, "key-%llu", (unsigned long long)key);
}

/*
 * la_create -- the empty list (pmemobj_root zeroed the head)
 */
static int
la_create(PMEMobjpool *pop)
{
	return POBJ_LIST_EMPTY(&la_root(pop)->head) ? 0 : 2;
}

/*
 * la_construct -- list constructor: fill (and persist) a new entry
 */
static int
la_construct(PMEMobjpool *pop, void *ptr, void *arg)
{
	struct la_entry *e = ptr;
	uint64_t key = *(const uint64_t *)arg;
	char name[LA_NAME_LEN];

	la_name(key, name);
	e->key = key;
	e->value = client_value(key);
	memcpy(e->name, name, LA_NAME_LEN);
#ifndef BUGGY
	pmemobj_persist(pop, e, sizeof(*e));
#else
	(void)pop;
#endif
	return 0;
}

/*
 * la_find -- the entry holding key, or a null TOID
 */
static TOID(struct la_entry)
la_find(struct la_root *r, uint64_t key)
{
	TOID(struct la_entry) e;

	POBJ_LIST_FOREACH(e, &r->head, list)
		if (D_RO(e)->key == key)
			return e;
	return (TOID(struct la_entry))OID_NULL;
}

/*
 * la_insert -- add key (no-op if present): one atomic list insert
 */
static void
la_insert(PMEMobjpool *pop, uint64_t key)
{
	struct la_root *r = la_root(pop);
	PMEMoid e;

	if (!TOID_IS_NULL(la_find(r, key)))
		return;
	e = POBJ_LIST_INSERT_NEW_HEAD(pop, &r->head, list,
			sizeof(struct la_entry), la_construct, &key);
	if (OID_IS_NULL(e))
		client_fatal("insert %llu: %s", (unsigned long long)key,
				pmemobj_errormsg());
}

/*
 * la_remove -- remove key (no-op if absent): one atomic unlink and free
 */
static void
la_remove(PMEMobjpool *pop, uint64_t key)
{
	struct la_root *r = la_root(pop);
	TOID(struct la_entry) e = la_find(r, key);

	if (TOID_IS_NULL(e))
		return;
	if (POBJ_LIST_REMOVE_FREE(pop, &r->head, e, list) != 0)
		client_fatal("remove %llu: %s", (unsigned long long)key,
				pmemobj_errormsg());
}

/*
 * la_check_entry -- check one element of the list and its links
 */
static int
la_check_entry(struct client_objs *objs, TOID(struct la_entry) e)
{
	const struct la_entry *p;
	char name[LA_NAME_LEN];
	uint64_t type;

	if (client_objs_visit(objs, e.oid, &type, "list element"))
		return 1;
	if (type != LA_ENTRY)
		return client_broken("list element 0x%llx has type %llu",
				(unsigned long long)e.oid.off,
				(unsigned long long)type);
	p = D_RO(e);
	if (TOID_IS_NULL(p->list.pe_next) || TOID_IS_NULL(p->list.pe_prev))
		return client_broken("entry 0x%llx has a null link",
				(unsigned long long)e.oid.off);
	if (!TOID_EQUALS(D_RO(p->list.pe_next)->list.pe_prev, e) ||
			!TOID_EQUALS(D_RO(p->list.pe_prev)->list.pe_next, e))
		return client_broken("entry 0x%llx: its neighbours do not"
				" point back at it",
				(unsigned long long)e.oid.off);
	if (p->value != client_value(p->key))
		return client_broken("key %llu has value 0x%llx",
				(unsigned long long)p->key,
				(unsigned long long)p->value);
	la_name(p->key, name);
	if (memcmp(name, p->name, LA_NAME_LEN) != 0)
		return client_broken("key %llu is named \"%.*s\"",
				(unsigned long long)p->key, LA_NAME_LEN,
				p->name);
	return 0;
}

/*
 * la_check -- walk the circular list and check its invariants
 */
static int
la_check(PMEMobjpool *pop, struct client_keys *keys)
{
	struct la_root *r = la_root(pop);
	TOID(struct la_entry) first = POBJ_LIST_FIRST(&r->head);
	TOID(struct la_entry) e = first;
	struct client_objs objs;
	int ret = 0;

	client_objs_load(pop, &objs);
	if (!TOID_IS_NULL(first)) {
		do {
			if ((ret = la_check_entry(&objs, e)) != 0)
				break;
			client_keys_add(keys, D_RO(e)->key);
			e = D_RO(e)->list.pe_next;
		} while (!TOID_EQUALS(e, first));
	}
	if (ret == 0)
		ret = client_objs_leaks(&objs, LA_ENTRY, "entry");
	client_objs_free(&objs);
	return ret;
}

static const struct client_map la_map = {
	.name = "list-atomic",
	.layout = POBJ_LAYOUT_NAME(list_atomic),
	.root_size = sizeof(struct la_root),
	.create = la_create,
	.recover = NULL,
	.insert = la_insert,
	.remove = la_remove,
	.check = la_check,
};

/*
 * main -- list-atomic init|check POOL | list-atomic op POOL [K|-K]...
 */
int
main(int argc, char *argv[])
{
	return client_main(argc, argv, &la_map);
}
