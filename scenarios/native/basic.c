/*
 * basic.c -- store a few strings to pmem with no atomicity at all
 *
 * Like the seed's basic example: strings are appended one after the other,
 * each NUL-terminated, and each is made durable with libpmem's
 * pmem_persist() right after it is copied.  Nothing makes a string
 * all-or-nothing, so crashes show partial strings and garbage: the check
 * just prints what is there and always exits 0 (a collate demo).
 *
 *	basic init POOL			zeroed 4 KiB pool
 *	basic run POOL [STRING...]	append the strings (default: three)
 *	basic check POOL		one quoted, escaped line per string
 */

#include <stdio.h>
#include <string.h>

#include <libpmem.h>

#include "icount.h"
#include "npool.h"

#define BASIC_POOL_SIZE 4096

static char *basic_default[] = { "hello,", "persistent", "world!" };

/*
 * basic_end -- offset of the first free byte (after the last string)
 *
 * The strings area ends at the first empty string (two NULs in a row).
 */
static size_t
basic_end(const char *base, size_t size)
{
	size_t off = 0;

	while (off < size && base[off] != '\0')
		off += strnlen(base + off, size - off) + 1;
	return off;
}

/*
 * basic_init -- nothing to format: an all-zero pool holds no strings
 */
static void
basic_init(char *base, size_t size)
{
	(void)base;
	(void)size;
}

/*
 * basic_run -- append each string and pmem_persist it, one at a time
 */
static void
basic_run(char *base, size_t size, int argc, char *argv[])
{
	size_t off = basic_end(base, size);

	if (argc == 0) {
		argc = (int)(sizeof(basic_default) / sizeof(basic_default[0]));
		argv = basic_default;
	}
	for (int i = 0; i < argc; i++) {
		size_t len = strlen(argv[i]) + 1;

		if (i > 0)
			icount_marker("store");
		/* keep one NUL after the area so the end stays findable */
		if (len == 1 || off + len + 1 > size) {
			fprintf(stderr, "basic: skipping '%s' (empty or no"
					" room)\n", argv[i]);
			continue;
		}
		memcpy(base + off, argv[i], len);
		pmem_persist(base + off, len);
		off += len;
	}
}

/*
 * basic_check -- print every stored string, quoted and escaped
 */
static int
basic_check(char *base, size_t size)
{
	size_t off = 0;

	while (off < size && base[off] != '\0') {
		size_t len = strnlen(base + off, size - off);

		putchar('"');
		npool_print_escaped(base + off, len);
		printf("\"\n");
		off += len + 1;
	}
	return NPOOL_EXIT_OK;
}

static const struct npool_scenario basic_scenario = {
	.name = "basic",
	.pool_size = BASIC_POOL_SIZE,
	.init = basic_init,
	.run = basic_run,
	.check = basic_check,
	.check_writes = 0,
	.run_usage = "[STRING...]",
};

/*
 * main -- basic init|run|check POOL [STRING...]
 */
int
main(int argc, char *argv[])
{
	return npool_main(&basic_scenario, argc, argv);
}
