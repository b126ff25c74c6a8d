/*
 * The recorder: the code ptap copies into a traced process, which every
 * patched site reaches through its trampoline.  It runs on the thread that
 * hit the marker, inside the target, and never stops it: it evaluates the
 * site's arguments from the registers the trampoline saved, and either
 * appends one record to the event ring or adds one to a count, in memory
 * that ptap reads directly (inproc/abi.h).
 *
 * Rules this file lives by, because it runs in someone else's process:
 *  - freestanding: no libc, no writable globals (the blob is mapped
 *    read+execute), position-independent, general-purpose registers only
 *    (built with -mgeneral-regs-only, so the caller's SSE state is never
 *    touched), a small stack;
 *  - reentrant: threads and signal handlers may hit markers at any time;
 *    all shared state is changed with atomic operations;
 *  - never blocks forever: a full ring makes the thread wait for ptap, a
 *    bounded time without progress, then the event is counted as dropped;
 *  - never faults on the target's behalf: only memory that the marker's
 *    own operands name, or the text of CPython's live str objects, is read
 *    directly; any other string goes through process_vm_readv of itself,
 *    which returns an error instead of faulting.
 */
#include <stddef.h>
#include <stdint.h>

#include "inproc/abi.h"

#pragma GCC visibility push(hidden)

/* Filled in by ptap in each copy of the blob (the region is read-only to
 * the target); read through a volatile pointer, since its value is not
 * the one it has here. */
__attribute__((used))
const struct ip_code_info ip_code_info = { IP_MAGIC, 0 };

void ip_hit(uint64_t *frame, uint32_t site);

/* ---- what libc would give ------------------------------------------- */

void *memcpy(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);

void *memcpy(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	/* records are words at word-aligned places: a word at a time */
	if (!(((uintptr_t)d | (uintptr_t)s | n) & 7)) {
		uint64_t *dw = dst;
		const uint64_t *sw = src;

		for (; n; n -= 8)
			*dw++ = *sw++;
		return dst;
	}
	while (n--)
		*d++ = *s++;
	return dst;
}

void *memset(void *dst, int c, size_t n)
{
	unsigned char *d = dst;

	while (n--)
		*d++ = (unsigned char)c;
	return dst;
}

#define SYS_process_vm_readv 310
#define SYS_futex 202
#define SYS_gettid 186
#define SYS_clock_gettime 228
#define FUTEX_WAIT 0
#define CLOCK_MONOTONIC 1
#define EFAULT 14

static inline long sys6(long n, long a, long b, long c, long d, long e, long f)
{
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "0"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

struct iov {
	uint64_t base, len;
};

struct timespec_k {
	long sec, nsec;
};

#define load_acq(p) __atomic_load_n(p, __ATOMIC_ACQUIRE)
#define load_rlx(p) __atomic_load_n(p, __ATOMIC_RELAXED)
#define store_rel(p, v) __atomic_store_n(p, v, __ATOMIC_RELEASE)
#define add_rlx(p, v) __atomic_fetch_add(p, v, __ATOMIC_RELAXED)
#define cas(p, expp, v) \
	__atomic_compare_exchange_n(p, expp, v, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)

static inline uint64_t now(const struct ip_header *h)
{
	uint32_t lo, hi;
	struct timespec_k ts;

	if (h->use_tsc) {
		__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
		return (uint64_t)hi << 32 | lo;
	}
	sys6(SYS_clock_gettime, CLOCK_MONOTONIC, (long)&ts, 0, 0, 0, 0);
	return (uint64_t)ts.sec * 1000000000u + (uint64_t)ts.nsec;
}

static inline uint32_t thread_id(const struct ip_header *h)
{
	uint32_t tid;

	if (h->tid_off == IP_TID_SYSCALL)
		return (uint32_t)sys6(SYS_gettid, 0, 0, 0, 0, 0, 0);
	/* glibc keeps the kernel's id in its struct pthread, which %fs points at */
	__asm__ volatile("movl %%fs:(%1), %0" : "=r"(tid) : "r"((long)h->tid_off));
	return tid;
}

/* Read len bytes of our own memory at addr without the risk of a fault:
 * bytes read, or -errno. */
static long safe_read(const struct ip_header *h, uint64_t addr, void *buf, uint64_t len)
{
	struct iov local = { (uint64_t)buf, len }, remote = { addr, len };

	return sys6(SYS_process_vm_readv, h->pid, (long)&local, 1, (long)&remote, 1, 0);
}

static inline void *at(const struct ip_header *h, uint64_t off)
{
	return (char *)h + off;
}

/* ---- arguments ------------------------------------------------------ */

static inline uint64_t frame_reg(const uint64_t *frame, uint16_t r)
{
	if (r == IP_REG_SP)
		return (uint64_t)frame + IP_FRAME_SP_DELTA;
	if (r >= IP_REG_XMM0)
		return ((const uint64_t *)((const char *)frame - IP_FRAME_XMM))[(r - IP_REG_XMM0) & 15];
	return *(const uint64_t *)((const char *)frame + r);
}

static inline uint64_t keep(uint64_t v, unsigned size)
{
	return size >= 8 ? v : v & ((1ull << (size * 8)) - 1);
}

/* Whether [addr, addr + size) is in the page of the stack pointer,
 * which is surely mapped. */
static inline int on_stack_page(const uint64_t *frame, uint64_t addr, unsigned size)
{
	uint64_t page = ((uint64_t)frame + IP_FRAME_SP_DELTA) & ~4095ull;

	return addr >= page && addr + size <= page + 4096 && addr + size > addr;
}

/* The operand's raw bits.  Memory is read directly only where it surely
 * is mapped (the stack pointer's page, or a global ptap checked); any
 * other address through a system call that fails instead of faulting
 * (hand-written operands may point anywhere). */
static uint64_t op_value(const struct ip_header *h, const struct ip_op *op, const uint64_t *frame,
			 int *err)
{
	uint64_t v = 0, addr;

	switch (op->kind) {
	case IP_OP_CONST:
		return keep((uint64_t)op->imm, op->size);
	case IP_OP_REG:
		v = frame_reg(frame, op->base) >> op->shift;
		return keep(keep(v, op->width), op->size);
	case IP_OP_MEM:
		addr = (uint64_t)op->imm;
		if (op->base != IP_REG_NONE)
			addr += frame_reg(frame, op->base);
		if (op->index != IP_REG_NONE)
			addr += frame_reg(frame, op->index) * op->scale;
		if (!op->direct && !on_stack_page(frame, addr, op->size)) {
			if (safe_read(h, addr, &v, op->size) != op->size) {
				*err = 1;
				return addr;
			}
			return v;
		}
		switch (op->size) {
		case 1: return *(volatile const uint8_t *)addr;
		case 2: return *(volatile const uint16_t *)addr;
		case 4: return *(volatile const uint32_t *)addr;
		default: return *(volatile const uint64_t *)addr;
		}
	default:
		*err = 1;
		return 0;
	}
}

/* ---- strings -------------------------------------------------------- */

static inline uint64_t mix(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdull;
	k ^= k >> 33;
	return k;
}

/* A new sid for len bytes at text: 0 if a table is full. */
static uint32_t sid_new(struct ip_header *h, const char *text, uint32_t len)
{
	struct ip_sid *sids = at(h, h->sids_off);
	uint32_t n = add_rlx(&h->nsids, 1);
	uint64_t off;

	if (n >= h->sids_max)
		return 0;
	off = add_rlx(&h->arena_used, (uint64_t)len);
	if (off + len > h->arena_size)
		return 0;
	memcpy((char *)at(h, h->arena_off) + off, text, len);
	sids[n].off = (uint32_t)off;
	sids[n].len = len;
	return n + 1;
}

static int same_text(const struct ip_header *h, uint32_t sid, const char *text, uint32_t len)
{
	const struct ip_sid *s = (const struct ip_sid *)at(h, h->sids_off) + (sid - 1);
	const char *a = (const char *)at(h, h->arena_off) + s->off;
	uint32_t i;

	if (s->len != len)
		return 0;
	for (i = 0; i < len; i++)
		if (a[i] != text[i])
			return 0;
	return 1;
}

/*
 * Find or add the slot for key in a table; with by_content, a key found
 * is ours only if its text is the same (the key is a hash).  Returns the sid, making one with text if the key is new; 0 when
 * the table or the arena is full.
 */
static uint32_t table_intern(struct ip_header *h, struct ip_strslot *tab, uint64_t key,
			     const char *text, uint32_t len, int by_content)
{
	uint32_t mask = h->strtab_slots - 1, i = (uint32_t)mix(key) & mask, n = 0, sid;
	uint64_t k;

	while (n <= mask) {
		k = load_acq(&tab[i].key);
		if (k == IP_KEY_EMPTY) {
			if (!cas(&tab[i].key, &k, key))
				continue;       /* taken meanwhile: look at it again */
			sid = sid_new(h, text, len);
			tab[i].sid = sid;
			store_rel(&tab[i].ready, 1);
			return sid;
		}
		if (k == key) {
			if (!load_acq(&tab[i].ready))
				return 0;       /* another thread is filling it: rare */
			sid = tab[i].sid;
			if (sid && (!by_content || same_text(h, sid, text, len)))
				return sid;
		}
		n++;
		i = (i + 1) & mask;
	}
	return 0;
}

static uint32_t intern_content(struct ip_header *h, const char *text, uint32_t len)
{
	struct ip_strslot *tab = (struct ip_strslot *)at(h, h->strtab_off) + h->strtab_slots;
	uint64_t hash = 0xcbf29ce484222325ull;
	uint32_t i;

	for (i = 0; i < len; i++)
		hash = (hash ^ (unsigned char)text[i]) * 0x100000001b3ull;
	hash ^= len;
	if (hash <= IP_KEY_RETIRED)
		hash += 2;
	return table_intern(h, tab, hash, text, len, 1);
}

/*
 * The sid of a CPython code name: ptr is the UTF-8 text of a str object
 * that a live code object holds.  A compact ASCII str keeps that text
 * inside the object, immutable while it lives, and its death is seen at
 * code_dealloc (ip_codefree), so it is interned by address; any other
 * text by content.
 */
/* The sid of an address already interned, or 0: the hit path's case. */
static inline uint32_t lookup_address(struct ip_header *h, uint64_t ptr)
{
	const struct ip_strslot *tab = at(h, h->strtab_off);
	uint32_t mask = h->strtab_slots - 1, i = (uint32_t)mix(ptr) & mask, n;
	uint64_t k;

	for (n = 0; n <= mask; n++, i = (i + 1) & mask) {
		k = load_acq(&tab[i].key);
		if (k == ptr)
			return load_acq(&tab[i].ready) ? tab[i].sid : 0;
		if (k == IP_KEY_EMPTY)
			return 0;
	}
	return 0;
}

static uint32_t intern_name(struct ip_header *h, uint64_t ptr)
{
	const struct ip_pylayout *l = &h->py;
	const char *text = (const char *)ptr;
	const char *obj = text - l->header;
	uint64_t len;
	uint32_t n;

	if (load_rlx(&h->strcache)) {
		n = lookup_address(h, ptr);
		if (n)
			return n;
	}
	/* new: is it the inline text of a compact ASCII str? */
	if (load_rlx(&h->strcache) && (ptr & 4095) >= l->header &&
	    *(const uint64_t *)(obj + l->type_off) == l->unicode_type &&
	    (*(const uint32_t *)(obj + l->state_off) & l->state_mask) == l->state_mask) {
		len = *(const uint64_t *)(obj + l->length_off);
		if (len <= h->str_max && text[len] == '\0') {
			n = table_intern(h, at(h, h->strtab_off), ptr, text, (uint32_t)len, 0);
			if (n)
				return n;
		}
	}
	for (len = 0; len < h->str_max && text[len]; len++)
		;
	return intern_content(h, text, (uint32_t)len);
}

/* A code object dies: its names may be freed after this; forget their
 * addresses (the sids and their text stay, for records already made). */
static void codefree(struct ip_header *h, const uint64_t *frame)
{
	const struct ip_pylayout *l = &h->py;
	struct ip_strslot *tab = at(h, h->strtab_off);
	uint32_t mask = h->strtab_slots - 1, i, n, f;
	const char *code = (const char *)frame[IP_RDI];
	uint64_t names[2], key, k;

	if (!load_rlx(&h->strcache) || !code)
		return;
	names[0] = *(const uint64_t *)(code + l->code_filename);
	names[1] = *(const uint64_t *)(code + l->code_name);
	for (f = 0; f < 2; f++) {
		if (!names[f] || *(const uint64_t *)(names[f] + l->type_off) != l->unicode_type) {
			/* not the layout we were told: stop interning by address */
			add_rlx(&h->bad_layout, 1);
			store_rel(&h->strcache, 0);
			__atomic_fetch_add(&h->epoch, 1, __ATOMIC_RELEASE);
			return;
		}
	}
	__atomic_fetch_add(&h->epoch, 1, __ATOMIC_RELEASE);
	for (f = 0; f < 2; f++) {
		key = names[f] + l->header;
		i = (uint32_t)mix(key) & mask;
		for (n = 0; n <= mask; n++, i = (i + 1) & mask) {
			k = load_acq(&tab[i].key);
			if (k == IP_KEY_EMPTY)
				break;
			if (k == key) {
				cas(&tab[i].key, &k, IP_KEY_RETIRED);
				break;
			}
		}
	}
}

/* ---- the ring ------------------------------------------------------- */

/* Whether ptap reads the ring: it says so, and it has not died. */
static int tracer_reads(struct ip_header *h)
{
	return load_acq(&h->state) == IP_STATE_ON && !(load_acq(&h->tracer_lock[0]) & IP_OWNER_DIED);
}

/* Wait for ptap to make room: 1 to try again, 0 to give up.  *stalls
 * counts the waits during which ptap did not move. */
static int ring_wait(struct ip_header *h, uint64_t tail, unsigned *stalls)
{
	struct timespec_k ts = { 0, 10 * 1000 * 1000 };

	if (!tracer_reads(h)) {
		store_rel(&h->state, IP_STATE_OFF);
		return 0;
	}
	add_rlx(&h->waiters, 1);
	sys6(SYS_futex, (long)&h->tail_futex, FUTEX_WAIT, (long)(uint32_t)tail, (long)&ts, 0, 0);
	__atomic_fetch_sub(&h->waiters, 1, __ATOMIC_RELAXED);
	if (load_acq(&h->tail) != tail) {
		*stalls = 0;
		return 1;
	}
	if (++*stalls < 1000)
		return 1;
	/* ten seconds without progress: ptap is alive but stopped or stuck.
	 * Nobody waits any more until it reads again (it turns this back on) */
	store_rel(&h->state, IP_STATE_OFF);
	return 0;
}

static int ring_reserve(struct ip_header *h, uint64_t len, uint64_t *pos)
{
	uint64_t head, tail;
	unsigned stalls = 0;

	for (;;) {
		head = load_rlx(&h->head);
		tail = load_acq(&h->tail);
		if (head + len - tail <= h->ring_size) {
			if (cas(&h->head, &head, head + len)) {
				*pos = head;
				return 1;
			}
			continue;
		}
		if (!ring_wait(h, tail, &stalls))
			return 0;
	}
}

/* Copy len bytes to ring position pos, wrapping at its end. */
static void ring_put(struct ip_header *h, uint64_t pos, const void *src, uint64_t len)
{
	char *ring = at(h, h->ring_off);
	uint64_t mask = h->ring_size - 1, o = pos & mask, first = h->ring_size - o;

	if (len <= first) {
		memcpy(ring + o, src, len);
	} else {
		memcpy(ring + o, src, first);
		memcpy(ring, (const char *)src + first, len - first);
	}
}

/* A string read with safe_read into the ring at pos, up to max bytes and
 * its NUL; returns its length, with IP_STR_TRUNCATED if no NUL ended it
 * (max reached, or an unreadable page), or -errno if nothing could be read. */
static long ring_copy_str(struct ip_header *h, uint64_t pos, uint64_t ptr, uint64_t max)
{
	char buf[256];
	uint64_t got = 0, want;
	long r, i;

	while (got < max) {
		want = 4096 - ((ptr + got) & 4095);
		if (want > sizeof(buf))
			want = sizeof(buf);
		if (want > max - got)
			want = max - got;
		r = safe_read(h, ptr + got, buf, want);
		if (r <= 0)
			return got ? (long)(got | IP_STR_TRUNCATED) : (r ? r : -EFAULT);
		for (i = 0; i < r && buf[i]; i++)
			;
		ring_put(h, pos + got, buf, (uint64_t)i);
		got += (uint64_t)i;
		if (i < r)
			return (long)got;
	}
	return (long)(got | IP_STR_TRUNCATED);
}

static void record_event(struct ip_header *h, const struct ip_site *s, uint32_t site,
			 const uint64_t *val, uint32_t errmask, uint64_t t)
{
	struct ip_rec rec;
	uint64_t len = IP_REC_HDR + 8ull * s->nargs, pos, at_str, copies[IP_MAX_ARGS];
	uint32_t i, ncopy = 0, str_room = (h->str_max + 7) & ~7u;
	long got;

	for (i = 0; i < s->nargs; i++)
		ncopy += s->op[i].str == IP_STR_COPY;
	len += (uint64_t)ncopy * str_room;
	if (!ring_reserve(h, len, &pos)) {
		add_rlx(&h->dropped, 1);
		return;
	}
	at_str = pos + IP_REC_HDR + 8ull * s->nargs;
	for (i = 0; i < s->nargs; i++) {
		copies[i] = val[i];
		if (s->op[i].str != IP_STR_COPY)
			continue;
		got = (errmask & (1u << i)) ? -EFAULT : ring_copy_str(h, at_str, val[i], h->str_max);
		if (got < 0)
			errmask |= 1u << i;
		else
			copies[i] = (uint64_t)got;
		at_str += str_room;     /* room for every string, read or not */
	}
	rec.len = (uint32_t)len;
	rec.commit = 0;
	rec.time = t;
	rec.tid = thread_id(h);
	rec.errmask = errmask;
	ring_put(h, pos + 8, &rec.time, IP_REC_HDR - 8);
	ring_put(h, pos + IP_REC_HDR, copies, 8ull * s->nargs);
	/* the first 8 bytes never wrap: positions and lengths are multiples of 8 */
	{
		uint32_t *hdr = (uint32_t *)((char *)at(h, h->ring_off) + (pos & (h->ring_size - 1)));

		hdr[0] = rec.len;
		store_rel(&hdr[1], site + 1);
	}
}

/* ---- counts --------------------------------------------------------- */

/* The slot the site's cache names for these raw values, or -1. */
static inline int64_t cache_get(const struct ip_header *h, const struct ip_site *s, uint32_t nk,
				const uint64_t *raw, uint32_t errmask)
{
	const struct ip_count_cache *c = &s->cache;
	uint32_t seq = load_acq(&c->seq), slot, j;

	if (seq & 1 || c->epoch != load_acq(&h->epoch) || c->errmask != errmask)
		return -1;
	for (j = 0; j < nk; j++)
		if (c->raw[j] != raw[j])
			return -1;
	slot = c->slot;
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	return load_rlx(&c->seq) == seq ? (int64_t)slot : -1;
}

static inline void cache_put(struct ip_header *h, struct ip_site *s, uint32_t nk,
			     const uint64_t *raw, uint32_t errmask, uint32_t slot, uint32_t epoch)
{
	struct ip_count_cache *c = &s->cache;
	uint32_t seq = load_rlx(&c->seq), j;

	if (seq & 1 || !cas(&c->seq, &seq, seq + 1))
		return;         /* another thread is writing it: leave it */
	(void)h;
	c->slot = slot;
	c->epoch = epoch;
	c->errmask = errmask;
	for (j = 0; j < nk; j++)
		c->raw[j] = raw[j];
	store_rel(&c->seq, seq + 2);
}

/* Count one hit with the values val; the slot used, or -1 if none. */
static int64_t record_count(struct ip_header *h, const struct ip_site *s, uint32_t site,
			    const uint64_t *val, uint32_t errmask)
{
	struct ip_count *tab = at(h, h->counts_off);
	uint32_t *used = at(h, h->used_off);
	uint32_t mask = h->counts_slots - 1, i, n, j, nk = s->nargs, zero, ready;
	uint64_t hash = site ^ (uint64_t)errmask << 32;

	if (nk > IP_COUNT_ARGS)
		nk = IP_COUNT_ARGS;
	for (j = 0; j < nk; j++)
		hash = mix(hash ^ val[j]) + j;
	i = (uint32_t)hash & mask;
	for (n = 0; n <= mask; n++, i = (i + 1) & mask) {
		ready = load_acq(&tab[i].ready);
		if (ready == 2) {
			if (tab[i].site != site || tab[i].errmask != errmask)
				continue;
			for (j = 0; j < nk && tab[i].key[j] == val[j]; j++)
				;
			if (j < nk)
				continue;
			add_rlx(&tab[i].count, 1);
			return i;
		}
		if (ready == 1)
			continue;       /* being filled; a twin entry is harmless */
		zero = 0;
		if (!cas(&tab[i].ready, &zero, 1))
			continue;
		tab[i].site = site;
		tab[i].errmask = errmask;
		for (j = 0; j < IP_COUNT_ARGS; j++)
			tab[i].key[j] = j < nk ? val[j] : 0;
		tab[i].count = 1;
		store_rel(&tab[i].ready, 2);
		used[add_rlx(&h->ncounts, 1)] = i;
		return i;
	}
	add_rlx(&h->count_overflow, 1);
	return -1;
}

/* ---- the loader's hook ---------------------------------------------- */

/*
 * The list of loaded objects changed (a dlopen, a dlclose, the start):
 * while ptap reads, wait until it has armed what is new, so that a
 * library's markers are armed before its constructors run.  Nothing here
 * touches the thread pointer: at the start it is not set up yet.
 */
static void dlhook(struct ip_header *h)
{
	struct timespec_k ts = { 0, 10 * 1000 * 1000 };
	uint32_t seq, done;
	unsigned waits;

	if (!tracer_reads(h))
		return;
	seq = __atomic_add_fetch(&h->dl_seq, 1, __ATOMIC_ACQ_REL);
	for (waits = 0; waits < 500 && tracer_reads(h); waits++) {
		done = load_acq(&h->dl_done);
		if ((int32_t)(done - seq) >= 0)
			return;
		sys6(SYS_futex, (long)&h->dl_done, FUTEX_WAIT, (long)done, (long)&ts, 0, 0);
	}
}

/* ---- the entry point ------------------------------------------------ */

void ip_hit(uint64_t *frame, uint32_t site)
{
	const struct ip_ctl *ctl =
		(const struct ip_ctl *)*(volatile const uint64_t *)&ip_code_info.ctl;
	struct ip_header *h = ctl ? (struct ip_header *)ctl->data : 0;
	struct ip_site *s;
	uint64_t val[IP_MAX_ARGS], raw[IP_COUNT_ARGS], t;
	uint32_t i, errmask = 0, mode, epoch = 0, nk;
	int64_t slot;
	int err;

	if (!h || h->magic != IP_MAGIC || site >= h->nsites_max)
		return;
	s = (struct ip_site *)at(h, h->sites_off) + site;
	if (s->kind == IP_SITE_CODEFREE) {
		codefree(h, frame);
		return;
	}
	if (s->kind == IP_SITE_DLHOOK) {
		dlhook(h);
		return;
	}
	mode = load_acq(&s->mode);
	if (mode == IP_MODE_OFF)
		return;
	t = mode == IP_MODE_EVENT ? now(h) : 0;
	for (i = 0; i < s->nargs && i < IP_MAX_ARGS; i++) {
		err = 0;
		val[i] = op_value(h, &s->op[i], frame, &err);
		if (!err && s->op[i].str != IP_STR_NONE && val[i] < 4096)
			err = 1;        /* NULL and the like: never dereferenced */
		if (err)
			errmask |= 1u << i;
	}
	/* counting the same key as last time: no interning, no table */
	nk = s->nargs < IP_COUNT_ARGS ? s->nargs : IP_COUNT_ARGS;
	if (mode == IP_MODE_COUNT && load_acq(&h->strcache)) {
		epoch = load_acq(&h->epoch);
		memcpy(raw, val, nk * sizeof(*raw));
		slot = cache_get(h, s, nk, raw, errmask);
		if (slot >= 0) {
			add_rlx(&((struct ip_count *)at(h, h->counts_off))[slot].count, 1);
			return;
		}
	}
	for (i = 0; i < s->nargs && i < IP_MAX_ARGS; i++) {
		err = (errmask >> i) & 1;
		if (!err && s->op[i].str == IP_STR_NAME) {
			uint32_t sid = intern_name(h, val[i]);

			if (sid)
				val[i] = sid;
			else {
				add_rlx(&h->str_overflow, 1);
				err = 1;
			}
		}
		if (err)
			errmask |= 1u << i;
	}
	if (mode == IP_MODE_EVENT && load_rlx(&h->state) != IP_STATE_ON) {
		add_rlx(&h->dropped, 1);        /* nobody reads: not even tried */
		return;
	}
	if (mode == IP_MODE_COUNT) {
		slot = record_count(h, s, site, val, errmask);
		if (slot >= 0 && load_acq(&h->strcache))
			cache_put(h, s, nk, raw, errmask, (uint32_t)slot, epoch);
	} else {
		record_event(h, s, site, val, errmask, t);
		if (!((t >> 6) & 63)) {         /* a sample of what it cost */
			add_rlx(&h->cost_time, now(h) - t);
			add_rlx(&h->cost_samples, 1);
		}
	}
}
