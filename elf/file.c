/*
 * Opening ELF files with libelf; see file.h.
 */
#include "elf/file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"

void elf_file_close(struct elf_file *f)
{
	if (f->elf)
		elf_end(f->elf);
	if (f->own_fd >= 0)
		close(f->own_fd);
	f->elf = NULL;
	f->own_fd = -1;
}

int elf_file_open(const char *path, int fd, struct elf_file *f, struct stat *st)
{
	struct stat own_st;
	unsigned char ident[EI_NIDENT];
	ssize_t n;
	int err;

	memset(f, 0, sizeof(*f));
	f->own_fd = -1;
	if (!st)
		st = &own_st;
	if (fd < 0) {
		if (!path)
			return -EINVAL;
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		f->own_fd = fd;
	}
	if (fstat(fd, st) < 0) {
		err = -errno;
		goto fail;
	}
	if (S_ISDIR(st->st_mode)) {
		err = -EISDIR;
		goto fail;
	}
	if (!S_ISREG(st->st_mode)) {
		err = -ENOEXEC;
		goto fail;
	}
	f->size = (uint64_t)st->st_size;
	/* Our own look at the magic tells "not ELF" from "damaged ELF",
	 * which libelf's errors do not separate reliably. */
	n = pread(fd, ident, sizeof(ident), 0);
	if (n < 0) {
		err = -errno;
		goto fail;
	}
	if ((size_t)n < SELFMAG || memcmp(ident, ELFMAG, SELFMAG) != 0) {
		err = -ENOEXEC;
		goto fail;
	}
	/* Idempotent and cheap: calling it on every open spares a global flag. */
	if (elf_version(EV_CURRENT) == EV_NONE) {
		err = -ENOEXEC;
		goto fail;
	}
	f->elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!f->elf) {
		err = -EINVAL;
		goto fail;
	}
	if (elf_kind(f->elf) != ELF_K_ELF) {
		err = -ENOEXEC;
		goto fail;
	}
	return 0;
fail:
	elf_file_close(f);
	return err;
}

bool elf_section_in_file(const struct elf_file *f, const GElf_Shdr *sh)
{
	if (sh->sh_type == SHT_NOBITS)
		return false;
	return sh->sh_offset <= f->size && sh->sh_size <= f->size - sh->sh_offset;
}

int elf_file_segments(const struct elf_file *f, bool skip_bad, struct elf_segment **segs,
		      size_t *nsegs, size_t *cap)
{
	size_t phnum, i;
	GElf_Phdr ph;

	if (elf_getphdrnum(f->elf, &phnum))
		return -EINVAL;
	for (i = 0; i < phnum; i++) {
		if (!gelf_getphdr(f->elf, (int)MIN(i, (size_t)INT32_MAX), &ph)) {
			if (skip_bad)
				continue;
			return -EINVAL;
		}
		if (ph.p_type != PT_LOAD)
			continue;
		VEC_RESERVE(*segs, *cap, *nsegs + 1);
		(*segs)[(*nsegs)++] = (struct elf_segment){
			.vaddr = ph.p_vaddr,
			.memsz = ph.p_memsz,
			.offset = ph.p_offset,
			.filesz = ph.p_filesz,
			.flags = ph.p_flags,
		};
	}
	return 0;
}

Elf_Data *elf_section_data(const struct elf_file *f, Elf_Scn *scn, GElf_Shdr *sh)
{
	if (!scn || !gelf_getshdr(scn, sh) || !elf_section_in_file(f, sh))
		return NULL;
	return elf_getdata(scn, NULL);
}

Elf_Scn *elf_section_named(const struct elf_file *f, const char *want)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	GElf_Shdr sh;
	const char *name;

	if (elf_getshdrstrndx(f->elf, &shstrndx))
		return NULL;
	while ((scn = elf_nextscn(f->elf, scn))) {
		if (!gelf_getshdr(scn, &sh))
			return NULL;
		name = elf_strptr(f->elf, shstrndx, sh.sh_name);
		if (name && !strcmp(name, want))
			return scn;
	}
	return NULL;
}

#define NT_GNU_BUILD_ID_TYPE 3

size_t elf_file_build_id(const struct elf_file *f, uint8_t *id)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	GElf_Nhdr nh;
	Elf_Data *d;
	size_t off, name_off, desc_off;

	while ((scn = elf_nextscn(f->elf, scn))) {
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
			continue;
		d = elf_section_data(f, scn, &sh);
		for (off = 0; d && off < d->d_size;) {
			off = gelf_getnote(d, off, &nh, &name_off, &desc_off);
			if (!off)
				break;
			if (nh.n_type == NT_GNU_BUILD_ID_TYPE && nh.n_namesz == 4 &&
			    !memcmp((const char *)d->d_buf + name_off, "GNU", 4) &&
			    nh.n_descsz && nh.n_descsz <= ELF_BUILD_ID_MAX) {
				memcpy(id, (const char *)d->d_buf + desc_off, nh.n_descsz);
				return nh.n_descsz;
			}
		}
	}
	return 0;
}
