/*
 * binarytree.c -- a word-frequency binary search tree on pmemalloc
 *
 *	binarytree init POOL		format a 64 KiB pmemalloc pool
 *	binarytree run POOL [WORD...]	insert each word (count + 1 if present)
 *	binarytree check POOL		recover, print "word count" lines in
 *					order, check the tree and for leaks
 *
 * An insert of a new word reserves a clump, fills in and persists the node,
 * and lets pmemalloc_activate link it into the tree, so a crash leaves the
 * insert either complete or without a trace (nothing leaked).  Incrementing
 * the count of a present word is one 8-byte store.
 *
 * Built with -DBUGGY (binarytree-buggy) the node contents are not persisted
 * before activation links the node in: after a crash a reachable node may
 * have lost its word and count, which check reports.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpmem.h>

#include "icount.h"
#include "npool.h"
#include "pmemalloc.h"

#define TREE_POOL_SIZE (64 * 1024)
#define TREE_MAX_WORD 200
#define TREE_MAX_CLUMPS (TREE_POOL_SIZE / 128)

/* the application's root, in pmemalloc's static area */
struct tree_root {
	uint64_t root_;		/* relative pointer to the root node */
};

/* a tree node: the user area of one clump */
struct tree_node {
	uint64_t left_;		/* words less than this one */
	uint64_t right_;	/* words greater than this one */
	uint64_t count;
	char word[];		/* NUL-terminated */
};

/* one clump, as seen by the check */
struct tree_clump {
	uint64_t ptr_;
	size_t usable;
	enum pmemalloc_state state;
	int reached;
};

/* what the check collects and tracks */
struct tree_check {
	struct tree_clump clumps[TREE_MAX_CLUMPS];
	int nclumps;
	const char *prev;	/* last word printed, for the order check */
};

static char *tree_default[] = {
	"the", "quick", "brown", "fox", "jumps", "over", "the", "lazy", "dog",
};

/*
 * tree_init -- format the pool; the static area (empty tree) is zero
 */
static void
tree_init(char *base, size_t size)
{
	if (pmemalloc_format(base, size)) {
		fprintf(stderr, "binarytree: cannot format the pool\n");
		exit(2);
	}
}

/*
 * tree_prepare -- recover the pool before the snippet, as any start does
 */
static void
tree_prepare(char *base, size_t size)
{
	char why[160];

	if (pmemalloc_recover(base, size, why, sizeof(why))) {
		fprintf(stderr, "binarytree: %s (run init first)\n", why);
		exit(2);
	}
}

/*
 * tree_insert -- insert a word, or count one more of it
 */
static void
tree_insert(void *pmp, const char *word)
{
	struct tree_root *root = pmemalloc_static_area(pmp);
	uint64_t *linkp = &root->root_;
	struct tree_node *np;
	size_t len = strlen(word) + 1;
	uint64_t n_;

	while (*linkp) {
		int cmp;

		np = PMEM(pmp, *linkp);
		cmp = strcmp(word, np->word);
		if (cmp == 0) {
			np->count++;
			pmem_persist(&np->count, sizeof(np->count));
			return;
		}
		linkp = cmp < 0 ? &np->left_ : &np->right_;
	}

	if ((n_ = pmemalloc_reserve(pmp, sizeof(*np) + len)) == 0) {
		fprintf(stderr, "binarytree: pool full\n");
		exit(1);
	}
	np = PMEM(pmp, n_);
	np->left_ = 0;
	np->right_ = 0;
	np->count = 1;
	memcpy(np->word, word, len);
#ifndef BUGGY
	pmem_persist(np, sizeof(*np) + len);
#endif
	pmemalloc_onactive(pmp, n_, linkp, n_);
	pmemalloc_activate(pmp, n_);
}

/*
 * tree_run -- insert every word; each insert is one operation
 */
static void
tree_run(char *base, size_t size, int argc, char *argv[])
{
	(void)size;
	if (argc == 0) {
		argc = (int)(sizeof(tree_default) / sizeof(tree_default[0]));
		argv = tree_default;
	}
	for (int i = 0; i < argc; i++) {
		if (i > 0)
			icount_marker("insert");
		tree_insert(base, argv[i]);
	}
}

/*
 * tree_collect -- pmemalloc_walk callback: remember one clump
 */
static int
tree_collect(void *arg, uint64_t ptr_, size_t usable,
		enum pmemalloc_state state)
{
	struct tree_check *tc = arg;

	if (tc->nclumps == TREE_MAX_CLUMPS)
		return -1;
	tc->clumps[tc->nclumps].ptr_ = ptr_;
	tc->clumps[tc->nclumps].usable = usable;
	tc->clumps[tc->nclumps].state = state;
	tc->clumps[tc->nclumps].reached = 0;
	tc->nclumps++;
	return 0;
}

/*
 * tree_find_clump -- the clump whose user area is at ptr_, or NULL
 */
static struct tree_clump *
tree_find_clump(struct tree_check *tc, uint64_t ptr_)
{
	int lo = 0, hi = tc->nclumps - 1;

	while (lo <= hi) {
		int mid = (lo + hi) / 2;

		if (tc->clumps[mid].ptr_ == ptr_)
			return &tc->clumps[mid];
		if (tc->clumps[mid].ptr_ < ptr_)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return NULL;
}

/*
 * tree_check_word -- is the node's word a proper non-empty printable
 * string within its clump?
 */
static int
tree_check_word(const struct tree_node *np, size_t usable)
{
	size_t room = usable - sizeof(*np);
	size_t len = strnlen(np->word, room);

	if (len == 0 || len == room || len > TREE_MAX_WORD)
		return -1;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)np->word[i] < 0x21 ||
				(unsigned char)np->word[i] > 0x7e)
			return -1;
	return 0;
}

/*
 * tree_check_node -- check and print the subtree at node_, in order
 */
static int
tree_check_node(void *pmp, struct tree_check *tc, uint64_t node_)
{
	struct tree_clump *cl;
	struct tree_node *np;
	int ret;

	if (node_ == 0)
		return 0;
	if ((cl = tree_find_clump(tc, node_)) == NULL)
		return npool_bad("tree points at 0x%llx, not a clump",
				(unsigned long long)node_);
	if (cl->state != PMEMALLOC_ACTIVE)
		return npool_bad("reachable node 0x%llx is in a %s clump",
				(unsigned long long)node_,
				pmemalloc_state_name(cl->state));
	if (cl->reached)
		return npool_bad("node 0x%llx reached twice (cycle)",
				(unsigned long long)node_);
	cl->reached = 1;

	np = PMEM(pmp, node_);
	if (tree_check_word(np, cl->usable))
		return npool_bad("node 0x%llx has no valid word (garbage or"
				" zero contents)", (unsigned long long)node_);
	if (np->count == 0)
		return npool_bad("node 0x%llx (\"%s\") has count 0",
				(unsigned long long)node_, np->word);

	if ((ret = tree_check_node(pmp, tc, np->left_)) != 0)
		return ret;
	if (tc->prev != NULL && strcmp(tc->prev, np->word) >= 0)
		return npool_bad("words out of order: \"%s\" before \"%s\"",
				tc->prev, np->word);
	tc->prev = np->word;
	printf("%s %llu\n", np->word, (unsigned long long)np->count);
	return tree_check_node(pmp, tc, np->right_);
}

/*
 * tree_check -- recover, print the tree, check it and look for leaks
 */
static int
tree_check(char *base, size_t size)
{
	static struct tree_check tc;
	struct tree_root *root;
	char why[160];
	int ret;

	if (pmemalloc_recover(base, size, why, sizeof(why)))
		return npool_bad("%s", why);

	tc.nclumps = 0;
	tc.prev = NULL;
	if (pmemalloc_walk(base, tree_collect, &tc))
		return npool_bad("more than %d clumps", TREE_MAX_CLUMPS);

	root = pmemalloc_static_area(base);
	if ((ret = tree_check_node(base, &tc, root->root_)) != 0)
		return ret;

	for (int i = 0; i < tc.nclumps; i++) {
		struct tree_clump *cl = &tc.clumps[i];

		if (cl->state != PMEMALLOC_FREE &&
				cl->state != PMEMALLOC_ACTIVE)
			return npool_bad("clump 0x%llx still %s after"
					" recovery",
					(unsigned long long)cl->ptr_,
					pmemalloc_state_name(cl->state));
		if (cl->state == PMEMALLOC_ACTIVE && !cl->reached)
			return npool_bad("leak: ACTIVE clump 0x%llx (%zu"
					" bytes) is not in the tree",
					(unsigned long long)cl->ptr_,
					cl->usable);
	}
	return NPOOL_EXIT_OK;
}

static const struct npool_scenario tree_scenario = {
#ifdef BUGGY
	.name = "binarytree-buggy",
#else
	.name = "binarytree",
#endif
	.pool_size = TREE_POOL_SIZE,
	.init = tree_init,
	.prepare = tree_prepare,
	.run = tree_run,
	.check = tree_check,
	.check_writes = 1,
	.run_usage = "[WORD...]",
};

/*
 * tree_valid_arg -- can this argument be stored as a word?
 */
static int
tree_valid_arg(const char *word)
{
	size_t len = strlen(word);

	if (len == 0 || len > TREE_MAX_WORD)
		return 0;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)word[i] < 0x21 ||
				(unsigned char)word[i] > 0x7e)
			return 0;
	return 1;
}

/*
 * main -- binarytree init|run|check POOL [WORD...]
 */
int
main(int argc, char *argv[])
{
	if (argc > 3 && strcmp(argv[1], "run") == 0)
		for (int i = 3; i < argc; i++)
			if (!tree_valid_arg(argv[i]))
				npool_usage_exit("binarytree: bad word '%s'"
						" (1-%d printable characters,"
						" no spaces)", argv[i],
						TREE_MAX_WORD);
	return npool_main(&tree_scenario, argc, argv);
}
