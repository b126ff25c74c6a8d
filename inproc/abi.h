/*
 * What ptap and the code it puts inside a target agree on: the layout of
 * the memory they share, the site table, the argument programs, the ring
 * of events and the tables of strings and counts.  This header is read by
 * two compilers' worth of code: ptap itself (hosted C) and the recorder
 * (inproc/recorder.c, freestanding, built without libc into a blob that
 * ptap copies into the target).  So it uses nothing but <stdint.h> and
 * <stddef.h>, and every structure has a fixed layout (explicit sizes, no
 * pointers: addresses are uint64_t in the target's address space).
 *
 * Three kinds of memory are mapped in a traced process (ptap(1), "What
 * ptap does to a process"):
 *
 *   code region   private, read+execute (never writable in the target:
 *                 ptap writes it through /proc/PID/mem).  The recorder
 *                 blob, then one trampoline per patched site.  One region
 *                 per neighbourhood of +-2 GiB, since a site's jmp rel32
 *                 reaches only that far.  Its struct ip_code_info (in the
 *                 blob's read-only data) holds the control page's address.
 *
 *   control page  private, read+write, MADV_WIPEONFORK: struct ip_ctl,
 *                 whose only job is to point at the data region.  A
 *                 forked child gets it zeroed, so it records nothing
 *                 until ptap gives it a data region of its own (or
 *                 forever, if ptap is gone or does not follow it).
 *
 *   data region   a memfd mapped shared by the target and by ptap: the
 *                 header, the site table, the event ring, the string and
 *                 count tables.  ptap reads it as its own memory.
 *
 * A trampoline saves the registers in a struct ip_frame-shaped block on
 * the target's stack (below the red zone) and calls ip_hit(frame, site).
 */
#ifndef PTAP_INPROC_ABI_H
#define PTAP_INPROC_ABI_H

#include <stddef.h>
#include <stdint.h>

#define IP_MAGIC 0x31706170746e69ull   /* "inptap1" */
#define IP_ABI_VERSION 1

#define IP_MAX_ARGS 12                 /* = ARGSPEC_MAX_ARGS */
#define IP_COUNT_ARGS 4                /* arguments a counted key holds */

/*
 * The registers a trampoline saves, lowest address first.  The first 15
 * are in the order of the kernel's struct user_regs_struct, so that
 * ptap's compiled argument programs (byte offsets into that struct) read
 * the same slots here.  The stack pointer at the site is not stored: it is
 * the frame's address + IP_FRAME_SP_DELTA.  When a site's arguments name
 * vector registers, the low 8 bytes of %xmm0..%xmm15 are saved just below
 * the frame (frame - 128 + 8 * n).
 */
enum ip_frame_slot {
	IP_R15, IP_R14, IP_R13, IP_R12, IP_RBP, IP_RBX, IP_R11, IP_R10,
	IP_R9, IP_R8, IP_RAX, IP_RCX, IP_RDX, IP_RSI, IP_RDI,
	IP_FLAGS,
	IP_FRAME_SLOTS,
};
#define IP_FRAME_RED_ZONE 128
#define IP_FRAME_SP_DELTA (IP_FRAME_SLOTS * 8 + IP_FRAME_RED_ZONE)
#define IP_FRAME_XMM 128               /* bytes of saved %xmm lanes below it */

/* Operand sources beyond the saved slots. */
#define IP_REG_NONE 0xffff
#define IP_REG_SP 0xfffe               /* the site's stack pointer */
#define IP_REG_XMM0 0x100              /* + n: the low lane of %xmmn */

/* An argument operand, compiled by ptap from the probe's spec. */
enum ip_op_kind {
	IP_OP_NONE,                     /* not evaluated (bad spec): error */
	IP_OP_CONST,                    /* imm */
	IP_OP_REG,                      /* (reg >> shift) & width */
	IP_OP_MEM,                      /* size bytes at base + index * scale + imm */
};

/* How a value that is a pointer to a string travels. */
enum ip_str_mode {
	IP_STR_NONE,                    /* not a string: the value itself */
	IP_STR_NAME,                    /* CPython code name: points into a live
	                                   str object; interned (sid) */
	IP_STR_COPY,                    /* anything else: copied into the record
	                                   with a system call that cannot fault */
};

struct ip_op {
	uint8_t kind;                   /* enum ip_op_kind */
	uint8_t size;                   /* bytes read or kept: 1, 2, 4, 8 */
	uint8_t shift;                  /* REG: bit shift of the named part */
	uint8_t width;                  /* REG: bytes of the named part */
	uint8_t scale;                  /* MEM: index scale */
	uint8_t str;                    /* enum ip_str_mode */
	uint16_t base;                  /* byte offset of a frame slot, IP_REG_* */
	uint16_t index;                 /* the same, for MEM's index */
	uint8_t direct;                 /* MEM: ptap proved the bytes mapped (a
	                                   global of the module): read them directly */
	uint8_t pad;
	uint32_t pad2;
	int64_t imm;                    /* CONST: value; MEM: displacement (SYMBOL
	                                   operands arrive here already relocated) */
};

enum ip_site_kind {
	IP_SITE_PROBE,                  /* a stapsdt marker */
	IP_SITE_CODEFREE,               /* CPython's code_dealloc: retire names */
	IP_SITE_DLHOOK,                 /* the loader's _dl_debug_state: the list of
	                                   loaded objects changed; wait for ptap to
	                                   arm what is new */
};

enum ip_site_mode {
	IP_MODE_OFF,                    /* pass through: nothing recorded */
	IP_MODE_EVENT,                  /* one ring record per hit */
	IP_MODE_COUNT,                  /* add one to the count of its key */
};

/*
 * COUNT mode: the last key a site counted, by its raw argument values (a
 * name's address, not its sid), and the count slot it went to, so that a
 * hit with the same values (a loop, a recursion) skips interning and the
 * table.  A seqlock: seq is odd while one thread writes it, and a reader
 * uses it only if seq was even and the same before and after.  It holds
 * only while names keep their addresses: epoch is the header's, which
 * every retired name bumps.
 */
struct ip_count_cache {
	uint32_t seq;
	uint32_t slot;
	uint32_t epoch;
	uint32_t errmask;
	uint64_t raw[IP_COUNT_ARGS];
};

struct ip_site {
	uint32_t kind;                  /* enum ip_site_kind */
	uint32_t mode;                  /* enum ip_site_mode (ptap may change it) */
	uint32_t nargs;
	uint32_t probe_id;              /* ptap's probe id, for ptap's lookups */
	uint64_t pc;                    /* run-time address of the site */
	struct ip_op op[IP_MAX_ARGS];
	struct ip_count_cache cache;    /* COUNT mode */
};

#define IP_STR_TRUNCATED (1ull << 62)  /* a copied string's length: no NUL ended it */

/*
 * A ring record, 8-byte aligned, never split by the end of the ring in
 * its header (the payload may wrap).  len is stored first; commit last,
 * with release order, once the payload is complete: 0 means "not yet".
 * After the values come, for each IP_STR_COPY argument in order, its
 * bytes (value = their length, or an error), padded to 8.
 */
struct ip_rec {
	uint32_t len;                   /* bytes, header included, multiple of 8 */
	uint32_t commit;                /* site index + 1 */
	uint64_t time;                  /* TSC, or ns if the header says so */
	uint32_t tid;
	uint32_t errmask;               /* bit i: argument i could not be read;
	                                   its value is then the address tried */
	uint64_t val[];                 /* nargs values; sids for IP_STR_NAME */
};
#define IP_REC_HDR 24

/* The process's pointer-keyed string cache and the content-keyed one. */
struct ip_strslot {
	uint64_t key;                   /* text address, or content hash; 0 empty,
	                                   1 retired */
	uint32_t sid;
	uint32_t ready;                 /* 1 once sid is set */
};
#define IP_KEY_EMPTY 0
#define IP_KEY_RETIRED 1

struct ip_sid {                         /* sid n (1-based) is sids[n - 1] */
	uint32_t off;                   /* in the arena */
	uint32_t len;
};

struct ip_count {
	uint32_t ready;                 /* 0 empty, 1 claimed, 2 key set */
	uint32_t site;
	uint32_t errmask;               /* as in struct ip_rec: part of the key */
	uint32_t pad;
	uint64_t key[IP_COUNT_ARGS];
	uint64_t count;
};

/* CPython's layout as the string cache needs it (tracer/strcache.h). */
struct ip_pylayout {
	uint64_t unicode_type;          /* run-time address of PyUnicode_Type */
	uint16_t type_off, length_off, state_off, header;
	uint32_t state_mask;
	uint16_t code_filename, code_name;
	uint32_t pad;
};

enum ip_state {
	IP_STATE_OFF,                   /* nobody consumes: never wait */
	IP_STATE_ON,                    /* ptap consumes the ring */
};

#define IP_TID_SYSCALL ((int32_t)0x80000000)
#define IP_OWNER_DIED 0x40000000u       /* FUTEX_OWNER_DIED */

#define IP_LINE 64
struct ip_header {
	/* set once by ptap */
	uint64_t magic;
	uint32_t version;
	uint32_t pid;                   /* the process (for safe self-reads) */
	uint64_t size;                  /* of the whole region */
	uint64_t sites_off;
	uint32_t nsites_max;
	int32_t tid_off;                /* %fs offset of the thread id, or
	                                   IP_TID_SYSCALL */
	uint64_t ring_off, ring_size;   /* a power of two */
	uint64_t strtab_off;            /* strtab_slots slots keyed by address,
	                                   then strtab_slots keyed by content */
	uint32_t strtab_slots;          /* a power of two */
	uint32_t sids_max;
	uint64_t sids_off;
	uint64_t arena_off, arena_size;
	uint64_t counts_off;
	uint32_t counts_slots;          /* a power of two */
	uint32_t str_max;               /* bytes of a copied string kept */
	uint64_t used_off;              /* counts_slots uint32_t: claimed slots */
	struct ip_pylayout py;
	uint32_t use_tsc;               /* time = rdtsc, else CLOCK_MONOTONIC ns */
	uint32_t strcache;              /* 1: intern CPython names by address */
	uint32_t epoch;                 /* one more at each name retired (or the
	                                   cache turned off): count caches go stale */
	uint32_t pad1;

	/* ptap -> target */
	uint32_t state __attribute__((aligned(IP_LINE)));  /* enum ip_state */
	uint32_t pad0;
	uint64_t heartbeat;             /* ptap adds one at each poll */
	/* A robust, process-shared pthread mutex that ptap locks and holds
	 * while it reads this region: if ptap dies, however it dies, the
	 * kernel sets IP_OWNER_DIED in its first word, and the recorder
	 * stops waiting for it. */
	uint32_t tracer_lock[16] __attribute__((aligned(IP_LINE)));

	/* target -> ptap, each written by many threads: own lines */
	uint64_t head __attribute__((aligned(IP_LINE)));   /* next ring byte to reserve */
	uint64_t tail __attribute__((aligned(IP_LINE)));   /* next ring byte ptap reads */
	uint32_t tail_futex;            /* low half of tail, for FUTEX_WAIT */
	uint32_t waiters;               /* threads waiting for room */
	uint64_t dropped __attribute__((aligned(IP_LINE)));  /* events lost: no room
	                                   and ptap gone or stuck */
	uint64_t str_overflow;          /* names not interned: a table was full */
	uint64_t count_overflow;        /* counts lost: the count table was full */
	uint64_t bad_layout;            /* code objects not as ip_pylayout says */
	/* what an event costs the thread: the recorder's time (clock units,
	 * from its timestamp to the event's commit) of about one event in 64 */
	uint64_t cost_time __attribute__((aligned(IP_LINE)));
	uint64_t cost_samples;
	/* the loader's hook: a thread adds one to dl_seq and waits, while
	 * ptap reads, until ptap has set dl_done to it (FUTEX_WAKE) */
	uint32_t dl_seq __attribute__((aligned(IP_LINE)));
	uint32_t dl_done;
	uint32_t nsids __attribute__((aligned(IP_LINE)));
	uint32_t ncounts;               /* entries of used[] */
	uint64_t arena_used;
};

/* Read-only data of each code region, filled in by ptap. */
struct ip_code_info {
	uint64_t magic;                 /* IP_MAGIC: ptap checks it is where nm said */
	uint64_t ctl;                   /* address of the process's struct ip_ctl */
};

struct ip_ctl {
	uint64_t data;                  /* address of the data region; 0: off */
	uint64_t pad[7];
};

/* The recorder's entry point, as a trampoline calls it. */
typedef void ip_hit_fn(uint64_t *frame, uint32_t site);

#endif
