/*
 * client.h -- the driver shared by the libpmemobj client maps
 *
 * Every client is one program with three commands:
 *
 *	PROG init POOL		(re)create POOL with pmemobj_create (the
 *				client's layout, PMEMOBJ_MIN_POOL bytes) and
 *				an empty map in its root object
 *	PROG op POOL K...	one operation per argument: K inserts key K
 *				(value client_value(K)), -K removes it; an
 *				icount_marker("op") sits between operations
 *	PROG check POOL		pmemobj_open, the client's recovery, a walk of
 *				the whole structure checking its invariants;
 *				prints the keys, sorted, one per line; exit 1
 *				with "inconsistent: REASON" on stderr if broken
 *
 * Exit 2 on bad usage or a pool that cannot be used at all (op only: a
 * check that cannot open the pool reports it as inconsistent).
 */
#ifndef CLIENT_H
#define CLIENT_H 1

#include <stddef.h>
#include <stdint.h>

#include <libpmemobj.h>

/* the value stored with a key; checks verify it */
#define client_value(key) ((key) * 0x9E3779B97F4A7C15ULL + 1)

/* a growable set of keys, printed sorted by the driver */
struct client_keys {
	uint64_t *key;
	size_t n;
	size_t cap;
};

/* what a map supplies to the driver */
struct client_map {
	const char *name;	/* program name, for messages */
	const char *layout;	/* pmemobj layout name */
	size_t root_size;	/* sizeof the root object */
	/* build the empty map in the fresh pool's root; 0 or exit status */
	int (*create)(PMEMobjpool *pop);
	/* recovery run after every open (op and check); may be NULL */
	void (*recover)(PMEMobjpool *pop);
	/* insert / remove one key (a no-op when present / absent) */
	void (*insert)(PMEMobjpool *pop, uint64_t key);
	void (*remove)(PMEMobjpool *pop, uint64_t key);
	/* walk the map into keys; 0, or 1 after client_broken() */
	int (*check)(PMEMobjpool *pop, struct client_keys *keys);
};

/* the objects a pool holds, for pointer-validity and leak checks */
struct client_objs {
	uint64_t *off;		/* sorted offsets */
	uint64_t *type;		/* their type numbers */
	unsigned char *seen;	/* set by client_objs_visit */
	size_t n;
	uint64_t root_off;
	uint64_t uuid_lo;	/* the pool's, in every valid PMEMoid */
};

int client_main(int argc, char *argv[], const struct client_map *map);
int client_broken(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
void client_fatal(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));
void client_keys_add(struct client_keys *keys, uint64_t key);
void client_objs_load(PMEMobjpool *pop, struct client_objs *objs);
long client_objs_find(const struct client_objs *objs, uint64_t off);
int client_objs_visit(struct client_objs *objs, PMEMoid oid,
		uint64_t *type, const char *what);
int client_objs_leaks(const struct client_objs *objs, uint64_t type,
		const char *what);
void client_objs_free(struct client_objs *objs);

#endif
