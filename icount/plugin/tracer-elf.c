/*
 * tracer-elf.c -- the main binary's load bias and the addresses of the
 * from= / to= functions, read from its ELF symbol tables
 */
#include <elf.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tracer.h"

/* tracer_elf_read -- read the whole main binary into memory */
static uint8_t *
tracer_elf_read(const char *path, size_t *size)
{
	struct stat st;
	uint8_t *p;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || fstat(fd, &st) != 0) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	p = malloc((size_t)st.st_size);
	if (p && pread(fd, p, (size_t)st.st_size, 0) != st.st_size) {
		free(p);
		p = NULL;
	}
	close(fd);
	*size = (size_t)st.st_size;
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

/* tracer_elf_symbol -- link-time address of function `name`, or 0 */
static uint64_t
tracer_elf_symbol(const uint8_t *img, size_t size, const char *name)
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
				return s->st_value;
		}
	}
	return 0;
}

/* tracer_elf_function -- run-time address of function `name`, 0 if none */
static uint64_t
tracer_elf_function(const uint8_t *img, size_t size, const char *name)
{
	uint64_t v = tracer_elf_symbol(img, size, name);

	if (!v) {
		fprintf(stderr, "pmfit-tracer: function %s not found in %s\n",
			name, qemu_plugin_path_to_binary());
		return 0;
	}
	return Guest.main_base + v;
}

/*
 * tracer_resolve -- learn the main binary's bias and the window functions;
 * -1 when a function named by from= or to= is missing
 */
int
tracer_resolve(void)
{
	size_t size = 0;
	uint8_t *img = tracer_elf_read(qemu_plugin_path_to_binary(), &size);
	int ret = 0;

	if (!img || size < sizeof(Elf64_Ehdr)) {
		free(img);
		return Args.from_name ? -1 : 0;
	}
	Guest.main_base = tracer_elf_base(img, size);
	if (Args.from_name &&
	    !(Guest.from_pc = tracer_elf_function(img, size, Args.from_name)))
		ret = -1;
	if (ret == 0 && Args.to_name &&
	    !(Guest.to_pc = tracer_elf_function(img, size, Args.to_name)))
		ret = -1;
	free(img);
	return ret;
}
