/*
 * tracer-elf.c -- the main binary's load bias and the addresses of the
 * from= / to= / ops= functions, read from its ELF symbol tables (their
 * inlined copies: tracer-inlined.c); and the code objects (tracer-frames.c):
 * each one's executable range, load bias and C start-up code
 */
#include <elf.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tracer.h"

/* the ELF and program headers of any object are within its first page */
#define TRACER_ELF_HEAD 4096
/* glibc's x86-64 _start (38 bytes) calls __libc_start_main within these */
#define TRACER_START_BYTES 64

/* tracer_elf_read -- read an object (at most limit bytes) into memory */
static uint8_t *
tracer_elf_read(const char *path, size_t *size, size_t limit)
{
	struct stat st;
	uint8_t *p;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || fstat(fd, &st) != 0) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	*size = (size_t)st.st_size < limit ? (size_t)st.st_size : limit;
	p = malloc(*size ? *size : 1);
	if (p && pread(fd, p, *size, 0) != (ssize_t)*size) {
		free(p);
		p = NULL;
	}
	close(fd);
	return p;
}

/* tracer_elf_base -- load bias of the main binary (0 unless PIE) */
static uint64_t
tracer_elf_base(const uint8_t *img, size_t size)
{
	const Elf64_Ehdr *eh = (const void *)img;
	uint64_t lowest = UINT64_MAX;

	if (eh->e_type != ET_DYN || eh->e_phoff + (uint64_t)eh->e_phnum *
	    sizeof(Elf64_Phdr) > size)
		return 0;
	for (int i = 0; i < eh->e_phnum; i++) {
		const Elf64_Phdr *ph = (const void *)(img + eh->e_phoff +
			(size_t)i * sizeof(Elf64_Phdr));
		if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X) &&
		    ph->p_vaddr < lowest)
			lowest = ph->p_vaddr;
	}
	/* QEMU's start_code is the bias plus the lowest executable segment */
	return lowest == UINT64_MAX ? 0 : qemu_plugin_start_code() - lowest;
}

/* tracer_elf_lookup -- the function symbol `name`, or NULL */
static const Elf64_Sym *
tracer_elf_lookup(const uint8_t *img, size_t size, const char *name)
{
	const Elf64_Ehdr *eh = (const void *)img;

	if (eh->e_shoff + (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr) > size)
		return 0;
	for (int i = 0; i < eh->e_shnum; i++) {
		const Elf64_Shdr *sh = (const void *)(img + eh->e_shoff +
			(size_t)i * sizeof(Elf64_Shdr));
		const Elf64_Shdr *strs;
		if (sh->sh_type != SHT_SYMTAB && sh->sh_type != SHT_DYNSYM)
			continue;
		if (sh->sh_link >= eh->e_shnum)
			continue;
		strs = (const void *)(img + eh->e_shoff +
			(size_t)sh->sh_link * sizeof(Elf64_Shdr));
		for (uint64_t o = 0; o + sizeof(Elf64_Sym) <= sh->sh_size;
		    o += sizeof(Elf64_Sym)) {
			const Elf64_Sym *s = (const void *)(img + sh->sh_offset + o);
			if (sh->sh_offset + o + sizeof(Elf64_Sym) > size ||
			    strs->sh_offset + s->st_name >= size)
				break;
			if (ELF64_ST_TYPE(s->st_info) == STT_FUNC && s->st_value &&
			    strcmp((const char *)img + strs->sh_offset +
			    s->st_name, name) == 0)
				return s;
		}
	}
	return NULL;
}

/* tracer_elf_symbol -- link-time address of function `name`, or 0 */
static uint64_t
tracer_elf_symbol(const uint8_t *img, size_t size, const char *name)
{
	const Elf64_Sym *s = tracer_elf_lookup(img, size, name);

	return s ? s->st_value : 0;
}

/* tracer_elf_symbol_size -- size of function `name`, or 0 */
static uint64_t
tracer_elf_symbol_size(const uint8_t *img, size_t size, const char *name)
{
	const Elf64_Sym *s = tracer_elf_lookup(img, size, name);

	return s ? s->st_size : 0;
}

/* tracer_elf_phdr -- program header i, or NULL past the image */
static const Elf64_Phdr *
tracer_elf_phdr(const uint8_t *img, size_t size, int i)
{
	const Elf64_Ehdr *eh = (const void *)img;
	uint64_t at = eh->e_phoff + (uint64_t)i * sizeof(Elf64_Phdr);

	return at + sizeof(Elf64_Phdr) <= size ? (const void *)(img + at) : NULL;
}

/*
 * tracer_elf_startup -- the C start-up code the toolchain links into every
 * object (crt1, crti/crtn, crtstuff): libc's start-up and exit handlers
 * call through it, and it is never the line a user wants to see
 */
static void
tracer_elf_startup(const uint8_t *img, size_t size, struct tracer_object *o)
{
	static const char *names[] = { "_start", "__do_global_dtors_aux",
		"frame_dummy", "register_tm_clones", "deregister_tm_clones",
		"__libc_csu_init", "__libc_csu_fini" };
	const Elf64_Ehdr *eh = (const void *)img;
	const Elf64_Shdr *sh, *shstr;

	o->nexcl = 0;
	if (eh->e_shoff + (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr) > size ||
	    eh->e_shstrndx >= eh->e_shnum)
		return;
	sh = (const void *)(img + eh->e_shoff);
	shstr = &sh[eh->e_shstrndx];
	for (int i = 0; i < eh->e_shnum && o->nexcl < TRACER_MAX_EXCL; i++) {
		const char *name = (const char *)img + shstr->sh_offset +
			sh[i].sh_name;
		if (shstr->sh_offset + sh[i].sh_name + 6 > size)
			continue;
		if (strcmp(name, ".init") == 0 || strcmp(name, ".fini") == 0) {
			o->excl[o->nexcl][0] = o->bias + sh[i].sh_addr;
			o->excl[o->nexcl++][1] = o->bias + sh[i].sh_addr +
				sh[i].sh_size;
		}
	}
	for (size_t k = 0; k < sizeof(names) / sizeof(names[0]) &&
	    o->nexcl < TRACER_MAX_EXCL; k++) {
		uint64_t v = tracer_elf_symbol(img, size, names[k]);
		uint64_t n = v ? tracer_elf_symbol_size(img, size, names[k]) : 0;
		if (!n)
			continue;
		o->excl[o->nexcl][0] = o->bias + v;
		o->excl[o->nexcl++][1] = o->bias + v + n;
	}
}

/*
 * tracer_elf_object -- describe the object at path whose bytes from file
 * offset off were mapped executable at addr (len bytes): its executable
 * range and load bias, and its start-up code when it is the user's
 */
int
tracer_elf_object(const char *path, uint64_t addr, uint64_t off,
	uint64_t len, struct tracer_object *o)
{
	size_t size = 0;
	/* a library's symbols matter only when it is the user's */
	uint8_t *img = tracer_elf_read(path, &size,
		o->user ? SIZE_MAX : TRACER_ELF_HEAD);
	const Elf64_Ehdr *eh = (const void *)img;

	o->bias = addr - off;
	o->lo = addr;
	o->hi = addr + len;
	o->nexcl = 0;
	if (!img || size < sizeof(Elf64_Ehdr) ||
	    memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0) {
		free(img);
		return 0; /* not ELF: the mapping is all we know */
	}
	for (int i = 0; i < eh->e_phnum; i++) {
		const Elf64_Phdr *ph = tracer_elf_phdr(img, size, i);
		if (!ph || ph->p_type != PT_LOAD || !(ph->p_flags & PF_X) ||
		    (ph->p_offset & ~4095ULL) != off)
			continue;
		o->bias = addr - (ph->p_vaddr & ~4095ULL);
		o->lo = o->bias + ph->p_vaddr;
		o->hi = o->lo + ph->p_memsz;
		break;
	}
	if (o->user)
		tracer_elf_startup(img, size, o);
	free(img);
	return 0;
}

/* tracer_elf_main -- the main binary as a code object (QEMU loaded it) */
static void
tracer_elf_main(const uint8_t *img, size_t size)
{
	static struct tracer_object o;
	const Elf64_Ehdr *eh = (const void *)img;
	const char *bin = qemu_plugin_path_to_binary();
	char real[PATH_MAX];
	const char *p = realpath(bin, real) ? real : bin;
	size_t n = strnlen(p, sizeof(o.path) - 1);

	memcpy(o.path, p, n);
	o.path[n] = '\0';
	o.main = 1;
	o.user = tracer_user_path(o.path, 1);
	o.bias = Guest.main_base;
	o.lo = UINT64_MAX;
	o.hi = 0;
	for (int i = 0; i < eh->e_phnum; i++) {
		const Elf64_Phdr *ph = tracer_elf_phdr(img, size, i);
		if (!ph || ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
			continue;
		if (o.bias + ph->p_vaddr < o.lo)
			o.lo = o.bias + ph->p_vaddr;
		if (o.bias + ph->p_vaddr + ph->p_memsz > o.hi)
			o.hi = o.bias + ph->p_vaddr + ph->p_memsz;
	}
	if (o.lo >= o.hi)
		return;
	if (o.user)
		tracer_elf_startup(img, size, &o);
	/* stripped: _start has no symbol, but it is where execution enters */
	if (o.user && !tracer_elf_symbol(img, size, "_start") &&
	    o.nexcl < TRACER_MAX_EXCL && eh->e_entry) {
		o.excl[o.nexcl][0] = o.bias + eh->e_entry;
		o.excl[o.nexcl++][1] = o.bias + eh->e_entry + TRACER_START_BYTES;
	}
	tracer_object_add(&o);
}

/*
 * tracer_elf_function -- set *pc to the run-time address of function `name`
 * (0 when it has no symbol but has inlined copies of `role`); -1 when it has
 * neither
 */
static int
tracer_elf_function(const uint8_t *img, size_t size, const char *name,
	int role, uint64_t *pc)
{
	uint64_t v = tracer_elf_symbol(img, size, name);

	*pc = v ? Guest.main_base + v : 0;
	if (v || tracer_inlined_has(role))
		return 0;
	fprintf(stderr, "pmfit-tracer: function %s not found in %s\n",
		name, qemu_plugin_path_to_binary());
	return -1;
}

/*
 * tracer_resolve -- learn the main binary's bias and the window and ops
 * functions (their symbols and inlined copies); -1 when a function named by
 * from=, to= or ops= is missing
 */
int
tracer_resolve(void)
{
	size_t size = 0;
	uint8_t *img = tracer_elf_read(qemu_plugin_path_to_binary(), &size,
		SIZE_MAX);
	int ret = 0;

	if (!img || size < sizeof(Elf64_Ehdr)) {
		free(img);
		return Args.from_name || Args.ops_name ? -1 : 0;
	}
	Guest.main_base = tracer_elf_base(img, size);
	tracer_elf_main(img, size);
	if (tracer_inlined_load() != 0)
		ret = -1;
	if (ret == 0 && Args.from_name)
		ret = tracer_elf_function(img, size, Args.from_name,
			TI_ROLE_FROM, &Guest.from_pc);
	if (ret == 0 && Args.to_name)
		ret = tracer_elf_function(img, size, Args.to_name, TI_ROLE_TO,
			&Guest.to_pc);
	if (ret == 0 && Args.ops_name)
		ret = tracer_elf_function(img, size, Args.ops_name,
			TI_ROLE_OPS, &Guest.ops_pc);
	free(img);
	return ret;
}
