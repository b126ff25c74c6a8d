/*
 * The stapsdt note descriptor, parsed from raw bytes.
 *
 *   $ readelf -n /usr/bin/python3.11
 *     stapsdt  0x00000045  NT_STAPSDT (SystemTap probe descriptors)
 *       Provider: python
 *       Name: function__entry
 *       Location: 0x4c779b, Base: 0x8c99c0, Semaphore: 0xa7ed40
 *       Arguments: 8@%rbp 8@%r12 -4@%eax
 *
 * Each note is named "stapsdt" with type 3 (NT_STAPSDT).  Its descriptor is
 *
 *   pc, base, semaphore      3 addresses of 4 or 8 bytes (ELF class),
 *                            in the file's byte order, maybe unaligned
 *   provider\0 name\0 args\0 three strings that must end inside the descriptor
 *
 * Pure function over bytes: every length is checked, nothing is read past
 * size, and the strings point into the caller's buffer.
 */
#ifndef PTAP_ELF_SDT_NOTE_H
#define PTAP_ELF_SDT_NOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SDT_NOTE_NAME "stapsdt"
#define SDT_NOTE_TYPE 3

struct sdt_note {
	uint64_t pc;             /* link-time address of the probe site */
	uint64_t base;           /* link-time address of .stapsdt.base as recorded */
	uint64_t semaphore;      /* link-time address of the semaphore, 0 if none */
	const char *provider;    /* NUL-terminated, inside the descriptor */
	const char *name;
	const char *args;        /* may be empty: a probe without arguments */
};

/*
 * Parse one descriptor of size bytes.  is64 selects 8-byte addresses,
 * msb big-endian fields.  Returns 0, or -EINVAL if the descriptor is too
 * short for its addresses, a string runs past its end, or provider or
 * name is empty.
 */
int sdt_note_parse(const uint8_t *desc, size_t size, bool is64, bool msb, struct sdt_note *out);

/* Why sdt_note_parse rejects a descriptor, as a short phrase for a
 * warning ("empty provider", ...), or NULL if it is well formed. */
const char *sdt_note_diagnose(const uint8_t *desc, size_t size, bool is64);

#endif
