/*
 * client.c -- the driver shared by the libpmemobj client maps (client.h)
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "icount.h"

static const char *client_prog = "client";

/*
 * client_fatal -- print "PROG: MESSAGE" and exit 2 (unusable input)
 */
void
client_fatal(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", client_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

/*
 * client_broken -- report a broken invariant on stderr; returns 1
 */
int
client_broken(const char *fmt, ...)
{
	va_list ap;

	fputs("inconsistent: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

/*
 * client_keys_add -- append a key to a key set
 */
void
client_keys_add(struct client_keys *keys, uint64_t key)
{
	if (keys->n == keys->cap) {
		keys->cap = keys->cap ? 2 * keys->cap : 64;
		keys->key = realloc(keys->key, keys->cap * sizeof(*keys->key));
		if (keys->key == NULL)
			client_fatal("out of memory");
	}
	keys->key[keys->n++] = key;
}

/*
 * client_u64_cmp -- qsort comparator of uint64_t
 */
static int
client_u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * client_objs_load -- list every allocated object of the pool, sorted
 */
void
client_objs_load(PMEMobjpool *pop, struct client_objs *objs)
{
	size_t cap = 0;
	PMEMoid oid;

	memset(objs, 0, sizeof(*objs));
	oid = pmemobj_root(pop, 0);
	objs->root_off = oid.off;
	objs->uuid_lo = oid.pool_uuid_lo;
	POBJ_FOREACH(pop, oid) {
		if (objs->n == cap) {
			cap = cap ? 2 * cap : 64;
			objs->off = realloc(objs->off, cap * sizeof(uint64_t));
			objs->type = realloc(objs->type, cap * sizeof(uint64_t));
			if (objs->off == NULL || objs->type == NULL)
				client_fatal("out of memory");
		}
		objs->off[objs->n] = oid.off;
		objs->type[objs->n] = pmemobj_type_num(oid);
		objs->n++;
	}
	/* pmemobj_next walks the heap in address order; make sure */
	for (size_t i = 1; i < objs->n; i++)
		if (objs->off[i - 1] >= objs->off[i])
			client_fatal("pmemobj_next out of order");
	objs->seen = calloc(objs->n ? objs->n : 1, 1);
	if (objs->seen == NULL)
		client_fatal("out of memory");
}

/*
 * client_objs_find -- the index of the object at off, or -1
 */
long
client_objs_find(const struct client_objs *objs, uint64_t off)
{
	uint64_t *p = bsearch(&off, objs->off, objs->n, sizeof(uint64_t),
			client_u64_cmp);

	return p == NULL ? -1 : (long)(p - objs->off);
}

/*
 * client_objs_visit -- check that oid is an allocated object of this pool,
 * reached for the first time, and give its type; 0, or 1 after
 * client_broken()
 */
int
client_objs_visit(struct client_objs *objs, PMEMoid oid, uint64_t *type,
		const char *what)
{
	long i;

	if (oid.pool_uuid_lo != objs->uuid_lo)
		return client_broken("%s 0x%llx has pool id 0x%llx, not 0x%llx",
				what, (unsigned long long)oid.off,
				(unsigned long long)oid.pool_uuid_lo,
				(unsigned long long)objs->uuid_lo);
	i = client_objs_find(objs, oid.off);
	if (i < 0)
		return client_broken("%s 0x%llx is not an allocated object",
				what, (unsigned long long)oid.off);
	if (objs->seen[i])
		return client_broken("%s 0x%llx is reached twice", what,
				(unsigned long long)oid.off);
	objs->seen[i] = 1;
	*type = objs->type[i];
	return 0;
}

/*
 * client_objs_leaks -- check that every object of the type was visited
 */
int
client_objs_leaks(const struct client_objs *objs, uint64_t type,
		const char *what)
{
	for (size_t i = 0; i < objs->n; i++)
		if (objs->type[i] == type && !objs->seen[i] &&
				objs->off[i] != objs->root_off)
			return client_broken("%s 0x%llx is allocated but"
					" unreachable (leak)", what,
					(unsigned long long)objs->off[i]);
	return 0;
}

/*
 * client_objs_free -- release an object list
 */
void
client_objs_free(struct client_objs *objs)
{
	free(objs->off);
	free(objs->type);
	free(objs->seen);
	memset(objs, 0, sizeof(*objs));
}

/*
 * client_key -- parse "K" (insert) or "-K" (remove), K in 1..2^63-1
 */
static uint64_t
client_key(const char *s, int *is_remove)
{
	char *end;
	unsigned long long v;

	*is_remove = s[0] == '-';
	if (*is_remove)
		s++;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || s[0] == '+' ||
			v == 0 || v > INT64_MAX)
		client_fatal("bad key '%s' (K or -K, 1 <= K < 2^63)", s);
	return v;
}

/*
 * client_init -- create the pool from scratch with an empty map
 */
static int
client_init(const char *path, const struct client_map *map)
{
	PMEMobjpool *pop;
	int ret;

	/* CLIENT_POOL_BYTES: a bigger pool (bench/pmemobj-map.ts's 16 MiB) */
	const char *bytes = getenv("CLIENT_POOL_BYTES");
	size_t size = bytes ? strtoull(bytes, NULL, 10) : PMEMOBJ_MIN_POOL;

	if (size < PMEMOBJ_MIN_POOL)
		client_fatal("CLIENT_POOL_BYTES=%s is below PMEMOBJ_MIN_POOL", bytes);
	if (unlink(path) < 0 && errno != ENOENT)
		client_fatal("%s: unlink: %s", path, strerror(errno));
	pop = pmemobj_create(path, map->layout, size, 0644);
	if (pop == NULL)
		client_fatal("%s: pmemobj_create: %s", path,
				pmemobj_errormsg());
	if (OID_IS_NULL(pmemobj_root(pop, map->root_size)))
		client_fatal("%s: pmemobj_root: %s", path, pmemobj_errormsg());
	ret = map->create(pop);
	pmemobj_close(pop);
	return ret;
}

/*
 * client_open -- open the pool and run the map's recovery
 */
static PMEMobjpool *
client_open(const char *path, const struct client_map *map, int is_check)
{
	PMEMobjpool *pop;

	if (access(path, R_OK | W_OK) < 0)
		client_fatal("%s: %s", path, strerror(errno));
	pop = pmemobj_open(path, map->layout);
	if (pop == NULL) {
		if (!is_check)
			client_fatal("%s: pmemobj_open: %s", path,
					pmemobj_errormsg());
		client_broken("pmemobj_open: %s", pmemobj_errormsg());
		exit(1);
	}
	if (pmemobj_root_size(pop) < map->root_size) {
		if (!is_check)
			client_fatal("%s: no root object (run init)", path);
		client_broken("no root object");
		exit(1);
	}
	if (map->recover != NULL)
		map->recover(pop);
	return pop;
}

/*
 * client_op -- the snippet under test: one operation per key argument
 */
static int
client_op(const char *path, int nkeys, char *args[],
		const struct client_map *map)
{
	PMEMobjpool *pop;
	uint64_t *keys = calloc(nkeys ? (size_t)nkeys : 1, sizeof(*keys));
	int *removes = calloc(nkeys ? (size_t)nkeys : 1, sizeof(*removes));

	if (keys == NULL || removes == NULL)
		client_fatal("out of memory");
	for (int i = 0; i < nkeys; i++)
		keys[i] = client_key(args[i], &removes[i]);
	pop = client_open(path, map, 0);
	icount_start(0);
	for (int i = 0; i < nkeys; i++) {
		if (i > 0)
			icount_marker("op");
		if (removes[i])
			map->remove(pop, keys[i]);
		else
			map->insert(pop, keys[i]);
	}
	icount_stop();
	pmemobj_close(pop);
	free(keys);
	free(removes);
	return 0;
}

/*
 * client_check -- open (recover), walk and check, print the sorted keys
 */
static int
client_check(const char *path, const struct client_map *map)
{
	PMEMobjpool *pop = client_open(path, map, 1);
	struct client_keys keys = { NULL, 0, 0 };
	int ret = map->check(pop, &keys);

	if (ret == 0) {
		qsort(keys.key, keys.n, sizeof(*keys.key), client_u64_cmp);
		for (size_t i = 1; i < keys.n && ret == 0; i++)
			if (keys.key[i] == keys.key[i - 1])
				ret = client_broken("key %llu is present twice",
					(unsigned long long)keys.key[i]);
	}
	for (size_t i = 0; ret == 0 && i < keys.n; i++)
		printf("%llu\n", (unsigned long long)keys.key[i]);
	fflush(stdout);
	free(keys.key);
	pmemobj_close(pop);
	return ret;
}

/*
 * client_main -- PROG init|check POOL | PROG op POOL K...
 */
int
client_main(int argc, char *argv[], const struct client_map *map)
{
	client_prog = map->name;
	if (argc >= 3 && strcmp(argv[1], "init") == 0 && argc == 3)
		return client_init(argv[2], map);
	if (argc >= 3 && strcmp(argv[1], "check") == 0 && argc == 3)
		return client_check(argv[2], map);
	if (argc >= 3 && strcmp(argv[1], "op") == 0)
		return client_op(argv[2], argc - 3, argv + 3, map);
	fprintf(stderr, "usage: %s init|check POOL | %s op POOL [K|-K]...\n",
			map->name, map->name);
	return 2;
}
