/*
 * ctree.c -- a crit-bit tree map on libpmemobj's transactional API
 *
 * Internal nodes hold the index of the highest bit in which the keys of
 * their two subtrees differ and two child slots; leaves hold a key and
 * its value. Child slots are untyped PMEMoids: the object's type number
 * (leaf or node) tells what they point to. Every insert and remove is one
 * transaction: new objects with TX_NEW, every changed slot of an existing
 * object with TX_ADD first, removed objects with TX_FREE.
 *
 * check walks the tree from the root: every slot must be an allocated
 * object of the pool reached once, node bits must decrease downwards,
 * the keys of child d of a node with bit b must have bit b = d and agree
 * above b, each value must be client_value(key), the count must be the
 * number of leaves and no leaf or node may be unreachable (leak).
 *
 * Built with -DBUGGY, insert links the new node into its parent slot
 * without adding that slot to the transaction: a crash before the commit
 * rolls the allocation back but keeps the link (a dangling slot).
 */

#include <stdlib.h>

#include "client.h"

POBJ_LAYOUT_BEGIN(ctree);
POBJ_LAYOUT_ROOT(ctree, struct ctree_root);
POBJ_LAYOUT_TOID(ctree, struct ctree_leaf);
POBJ_LAYOUT_TOID(ctree, struct ctree_node);
POBJ_LAYOUT_END(ctree);

struct ctree_root {
	PMEMoid top;		/* a leaf, a node, or OID_NULL when empty */
	uint64_t count;		/* number of leaves */
};

struct ctree_leaf {
	uint64_t key;
	uint64_t value;
};

struct ctree_node {
	uint64_t bit;		/* the critical bit, 0..63 */
	PMEMoid child[2];	/* keys with that bit 0 / 1 */
};

#define CTREE_LEAF TOID_TYPE_NUM(struct ctree_leaf)
#define CTREE_NODE TOID_TYPE_NUM(struct ctree_node)

/*
 * ctree_root -- the root object
 */
static struct ctree_root *
ctree_root(PMEMobjpool *pop)
{
	return pmemobj_direct(pmemobj_root(pop, sizeof(struct ctree_root)));
}

/*
 * ctree_dir -- the child of a node with this bit that key belongs to
 */
static unsigned
ctree_dir(uint64_t key, uint64_t bit)
{
	return (unsigned)((key >> bit) & 1);
}

/*
 * ctree_is_node -- whether a non-null slot points to an internal node
 */
static int
ctree_is_node(PMEMoid oid)
{
	return pmemobj_type_num(oid) == CTREE_NODE;
}

/*
 * ctree_create -- the empty tree
 */
static int
ctree_create(PMEMobjpool *pop)
{
	struct ctree_root *r = ctree_root(pop);

	r->top = OID_NULL;
	r->count = 0;
	pmemobj_persist(pop, r, sizeof(*r));
	return 0;
}

/*
 * ctree_best -- the leaf a search for key ends at (the tree is not empty)
 */
static struct ctree_leaf *
ctree_best(struct ctree_root *r, uint64_t key)
{
	PMEMoid oid = r->top;

	while (ctree_is_node(oid)) {
		struct ctree_node *n = pmemobj_direct(oid);

		oid = n->child[ctree_dir(key, n->bit)];
	}
	return pmemobj_direct(oid);
}

/*
 * ctree_new_leaf -- allocate and fill a leaf inside the transaction
 */
static PMEMoid
ctree_new_leaf(uint64_t key)
{
	TOID(struct ctree_leaf) leaf = TX_NEW(struct ctree_leaf);

	D_RW(leaf)->key = key;
	D_RW(leaf)->value = client_value(key);
	return leaf.oid;
}

/*
 * ctree_insert -- add key (no-op if present), one transaction
 */
static void
ctree_insert(PMEMobjpool *pop, uint64_t key)
{
	struct ctree_root *r = ctree_root(pop);
	uint64_t diff = 0;

	if (!OID_IS_NULL(r->top)) {
		struct ctree_leaf *best = ctree_best(r, key);

		if (best->key == key)
			return;
		diff = 63 - (uint64_t)__builtin_clzll(best->key ^ key);
	}
	TX_BEGIN(pop) {
		PMEMoid *slot = &r->top;

		if (OID_IS_NULL(r->top)) {
			TX_ADD_DIRECT(slot);
			*slot = ctree_new_leaf(key);
		} else {
			TOID(struct ctree_node) node;
			unsigned d = ctree_dir(key, diff);

			while (ctree_is_node(*slot)) {
				struct ctree_node *n = pmemobj_direct(*slot);

				if (n->bit < diff)
					break;
				slot = &n->child[ctree_dir(key, n->bit)];
			}
			node = TX_NEW(struct ctree_node);
			D_RW(node)->bit = diff;
			D_RW(node)->child[d] = ctree_new_leaf(key);
			D_RW(node)->child[!d] = *slot;
#ifndef BUGGY
			TX_ADD_DIRECT(slot);
#endif
			*slot = node.oid;
		}
		TX_ADD_FIELD_DIRECT(r, count);
		r->count++;
	} TX_ONABORT {
		client_fatal("insert %llu aborted: %s", (unsigned long long)key,
				pmemobj_errormsg());
	} TX_END
}

/*
 * ctree_remove -- remove key (no-op if absent), one transaction
 */
static void
ctree_remove(PMEMobjpool *pop, uint64_t key)
{
	struct ctree_root *r = ctree_root(pop);
	PMEMoid *parent = NULL, *slot = &r->top;
	struct ctree_leaf *leaf;

	if (OID_IS_NULL(r->top))
		return;
	while (ctree_is_node(*slot)) {
		struct ctree_node *n = pmemobj_direct(*slot);

		parent = slot;
		slot = &n->child[ctree_dir(key, n->bit)];
	}
	leaf = pmemobj_direct(*slot);
	if (leaf->key != key)
		return;
	TX_BEGIN(pop) {
		pmemobj_tx_free(*slot);
		if (parent == NULL) {
			TX_ADD_DIRECT(slot);
			*slot = OID_NULL;
		} else {
			PMEMoid node = *parent;
			struct ctree_node *n = pmemobj_direct(node);

			TX_ADD_DIRECT(parent);
			*parent = n->child[!ctree_dir(key, n->bit)];
			pmemobj_tx_free(node);
		}
		TX_ADD_FIELD_DIRECT(r, count);
		r->count--;
	} TX_ONABORT {
		client_fatal("remove %llu aborted: %s", (unsigned long long)key,
				pmemobj_errormsg());
	} TX_END
}

/*
 * ctree_walk -- check the subtree at oid (node bits below limit) and
 * collect its keys; *rep is one of them
 */
static int
ctree_walk(struct client_objs *objs, PMEMoid oid, uint64_t limit,
		struct client_keys *keys, uint64_t *rep)
{
	uint64_t type, rk[2];
	struct ctree_node *n;

	if (OID_IS_NULL(oid))
		return client_broken("null slot inside the tree");
	if (client_objs_visit(objs, oid, &type, "tree slot"))
		return 1;
	if (type == CTREE_LEAF) {
		struct ctree_leaf *l = pmemobj_direct(oid);

		if (l->value != client_value(l->key))
			return client_broken("leaf 0x%llx: key %llu has value"
					" 0x%llx", (unsigned long long)oid.off,
					(unsigned long long)l->key,
					(unsigned long long)l->value);
		client_keys_add(keys, l->key);
		*rep = l->key;
		return 0;
	}
	if (type != CTREE_NODE)
		return client_broken("tree slot 0x%llx has type %llu",
				(unsigned long long)oid.off,
				(unsigned long long)type);
	n = pmemobj_direct(oid);
	if (n->bit >= limit)
		return client_broken("node 0x%llx: bit %llu under bit %llu",
				(unsigned long long)oid.off,
				(unsigned long long)n->bit,
				(unsigned long long)limit);
	for (unsigned d = 0; d < 2; d++) {
		if (ctree_walk(objs, n->child[d], n->bit, keys, &rk[d]))
			return 1;
		if (ctree_dir(rk[d], n->bit) != d)
			return client_broken("node 0x%llx: key %llu on side %u"
					" of bit %llu",
					(unsigned long long)oid.off,
					(unsigned long long)rk[d], d,
					(unsigned long long)n->bit);
	}
	if ((rk[0] ^ rk[1]) >> n->bit >> 1)
		return client_broken("node 0x%llx: keys %llu and %llu differ"
				" above bit %llu", (unsigned long long)oid.off,
				(unsigned long long)rk[0],
				(unsigned long long)rk[1],
				(unsigned long long)n->bit);
	*rep = rk[0];
	return 0;
}

/*
 * ctree_check -- walk the whole tree and check its invariants
 */
static int
ctree_check(PMEMobjpool *pop, struct client_keys *keys)
{
	struct ctree_root *r = ctree_root(pop);
	struct client_objs objs;
	uint64_t rep;
	int ret = 0;

	client_objs_load(pop, &objs);
	if (!OID_IS_NULL(r->top))
		ret = ctree_walk(&objs, r->top, 64, keys, &rep);
	if (ret == 0 && r->count != keys->n)
		ret = client_broken("count is %llu, the tree has %zu leaves",
				(unsigned long long)r->count, keys->n);
	if (ret == 0)
		ret = client_objs_leaks(&objs, CTREE_LEAF, "leaf") ||
			client_objs_leaks(&objs, CTREE_NODE, "node");
	client_objs_free(&objs);
	return ret;
}

static const struct client_map ctree_map = {
	.name = "ctree",
	.layout = POBJ_LAYOUT_NAME(ctree),
	.root_size = sizeof(struct ctree_root),
	.create = ctree_create,
	.recover = NULL,
	.insert = ctree_insert,
	.remove = ctree_remove,
	.check = ctree_check,
};

/*
 * main -- ctree init|check POOL | ctree op POOL [K|-K]...
 */
int
main(int argc, char *argv[])
{
	return client_main(argc, argv, &ctree_map);
}
