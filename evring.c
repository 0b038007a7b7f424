/*
 * evring.c - the per-session event rings (evring.h).
 *
 * State owned: one ring per session slot, in a MAP_SHARED |
 * MAP_NORESERVE mapping made at startup (CLI children read it live; a
 * slot's page becomes resident when it is first used: 256 octets a
 * slot, the events encoded one after the other with their texts at
 * their own length, see struct evring); the blocks of EVRING_MID and
 * EVRING_BIG octets that the rings with more events move to, a mapping
 * of each size, handed out from a high-water mark and a free list; and,
 * private, the teardown a session's end will report (actor, cause,
 * reason), allocated from evring_teardown() to evring_down(): only
 * sessions being torn down hold one.
 *
 * The events are recorded by direct calls where they happen, since
 * each knows its actor: l2tp.c (ICRQ, CDN, the session's end), ppp.c
 * (authentication, IPCP up, timeouts), session.c (rate changes), and
 * the front ends cli.c, plugin.c and dae.c (interception, CoA,
 * Disconnect); the actor and reason of a teardown come from
 * evring_teardown().
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/time.h>

#include "l2tpns.h"
#include "evring.h"
#include "log.h"

struct teardown {
	uint8_t		actor;
	uint16_t	cause;
	char		reason[EVRING_TEXT];
};

/* An event's encoded header: t_s 4, t_ms 2, type, actor, cause 2, length. */
#define EV_HDR	11

static struct evring *rings;
/* The blocks a ring outgrowing its slot moves to, in two sizes. */
static struct blocks {
	uint8_t		*base;		/* block 0 unused */
	size_t		 size;
	uint32_t	*freel, nfree, hw;
} pools[2] = { { .size = EVRING_MID }, { .size = EVRING_BIG } };
#define BIG_TIER	0x80000000u	/* in evring.big: from pools[1] */
static struct teardown **td;
static uint32_t nrings;

static const char *const type_names[SEV_MAX] = {
	[SEV_NONE] = "none", [SEV_TUNNEL_UP] = "tunnel-up",
	[SEV_CALL] = "call", [SEV_AUTH_OK] = "auth-ok",
	[SEV_AUTH_FAIL] = "auth-fail", [SEV_ADDRESS] = "address",
	[SEV_SESSION_UP] = "session-up", [SEV_THROTTLE] = "throttle",
	[SEV_INTERCEPT] = "intercept", [SEV_COA] = "coa",
	[SEV_DISCONNECT_REQ] = "disconnect-requested", [SEV_DOWN] = "down",
};

static const char *const actor_names[SEA_MAX] = {
	[SEA_NONE] = "-", [SEA_LAC] = "lac", [SEA_CLI] = "cli",
	[SEA_DAE] = "dae", [SEA_RADIUS] = "radius", [SEA_TIMEOUT] = "timeout",
	[SEA_LNS] = "lns", [SEA_PLUGIN] = "plugin", [SEA_WEB] = "web",
};

const char *
sev_type_name(int t)
{
	return t >= 0 && t < SEV_MAX ? type_names[t] : "unknown";
}

const char *
sev_actor_name(int a)
{
	return a >= 0 && a < SEA_MAX ? actor_names[a] : "unknown";
}

int
evring_init(uint32_t max_sessions)
{
	size_t len = ((size_t)max_sessions + 1) * sizeof(struct evring);
	int i, bad = 0;

	rings = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED |
	    MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (rings == MAP_FAILED) {
		rings = NULL;
		return -1;
	}
	for (i = 0; i < 2; i++) {
		struct blocks *b = &pools[i];
		void *p = mmap(NULL, ((size_t)max_sessions + 1) * b->size,
		    PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS |
		    MAP_NORESERVE, -1, 0);

		b->base = p == MAP_FAILED ? NULL : p;
		b->freel = calloc((size_t)max_sessions + 1, sizeof(*b->freel));
		b->nfree = b->hw = 0;
		bad |= b->base == NULL || b->freel == NULL;
	}
	td = calloc((size_t)max_sessions + 1, sizeof(*td));
	if (bad || td == NULL) {
		munmap(rings, len);
		rings = NULL;
		for (i = 0; i < 2; i++) {
			if (pools[i].base != NULL)
				munmap(pools[i].base, ((size_t)max_sessions +
				    1) * pools[i].size);
			free(pools[i].freel);
			pools[i].base = NULL;
			pools[i].freel = NULL;
		}
		free(td);
		td = NULL;
		return -1;
	}
	nrings = max_sessions;
	return 0;
}

/* The block a ring's big names, or NULL; its size in *cap. */
static uint8_t *
block_of(uint32_t big, size_t *cap)
{
	const struct blocks *b = &pools[big & BIG_TIER ? 1 : 0];
	uint32_t i = big & ~BIG_TIER;

	if (big == 0 || i == 0 || i > nrings || b->base == NULL)
		return NULL;
	*cap = b->size;
	return b->base + (size_t)i * b->size;
}

/* Where r's data is, and its room. */
static uint8_t *
ring_data(struct evring *r, size_t *cap)
{
	uint8_t *d = block_of(r->big, cap);

	if (d != NULL)
		return d;
	*cap = EVRING_BYTES;
	return r->data;
}

/* r's block back to its pool. */
static void
block_free(struct evring *r)
{
	struct blocks *b = &pools[r->big & BIG_TIER ? 1 : 0];
	uint32_t i = r->big & ~BIG_TIER;

	if (i != 0 && i <= b->hw)
		b->freel[b->nfree++] = i;
	r->big = 0;
}

/*
 * Move r's data to the next size of block (the slot to EVRING_MID, that
 * to EVRING_BIG): 0, or -1 if there is none.
 */
static int
ring_grow(struct evring *r)
{
	struct blocks *b;
	uint8_t *from, *to;
	uint32_t i;
	size_t cap;
	int tier = r->big == 0 ? 0 : r->big & BIG_TIER ? 2 : 1;

	if (tier == 2)
		return -1;
	b = &pools[tier];
	if (b->nfree > 0)
		i = b->freel[--b->nfree];
	else if (b->hw < nrings)
		i = ++b->hw;
	else
		return -1;
	from = ring_data(r, &cap);
	to = b->base + (size_t)i * b->size;
	memcpy(to, from, r->used);
	if (r->big != 0)
		block_free(r);
	r->big = tier == 1 ? i | BIG_TIER : i;
	return 0;
}

/* Drop the oldest event of r. */
static void
drop_oldest(struct evring *r)
{
	size_t at = r->ulen, sz, cap;
	uint8_t *d = ring_data(r, &cap);

	if (r->n == 0 || at + EV_HDR > r->used)
		return;
	sz = EV_HDR + d[at + EV_HDR - 1];
	if (at + sz > r->used)
		sz = r->used - at;
	memmove(d + at, d + at + sz, r->used - at - sz);
	r->used = (uint16_t)(r->used - sz);
	r->n--;
}

/* The ring's user name becomes user (len octets, no NUL). */
static void
set_user(struct evring *r, const char *user, size_t len)
{
	size_t cap;
	uint8_t *d = ring_data(r, &cap);

	if (len == r->ulen && memcmp(d, user, len) == 0)
		return;
	while (r->used - r->ulen + len > cap && ring_grow(r) == 0)
		d = ring_data(r, &cap);
	while (r->n > 0 && r->used - r->ulen + len > cap)
		drop_oldest(r);
	memmove(d + len, d + r->ulen, r->used - r->ulen);
	memcpy(d, user, len);
	r->used = (uint16_t)(r->used - r->ulen + len);
	r->ulen = (uint8_t)len;
}

int
evring_read(sid_t s, char *user, size_t ulen, struct sev *ev)
{
	struct evring r;
	uint8_t d[EVRING_BIG];
	const uint8_t *from;
	size_t at, k, len, cap;
	int n = 0;

	if (rings == NULL || s == 0 || s > nrings)
		return -1;
	/* Copies: the daemon may write the ring meanwhile. */
	memcpy(&r, &rings[s], sizeof(r));
	if ((from = block_of(r.big, &cap)) == NULL) {
		from = r.data;
		cap = EVRING_BYTES;
	}
	if (r.used > cap)
		r.used = (uint16_t)cap;
	memcpy(d, from, r.used);
	if (r.ulen > r.used)
		r.ulen = (uint8_t)r.used;
	if (ulen > 0) {
		len = r.ulen < ulen - 1 ? r.ulen : ulen - 1;
		memcpy(user, d, len);
		user[len] = '\0';
	}
	if (r.next == 0)
		return 0;
	for (at = r.ulen; n < EVRING_SIZE && n < r.n && at + EV_HDR <= r.used;
	    n++) {
		struct sev *e = &ev[n];
		const uint8_t *h = d + at;

		memset(e, 0, sizeof(*e));
		memcpy(&e->t_s, h, 4);
		memcpy(&e->t_ms, h + 4, 2);
		e->type = h[6];
		e->actor = h[7];
		memcpy(&e->cause, h + 8, 2);
		len = h[10];
		at += EV_HDR;
		if (len > r.used - at)
			len = r.used - at;
		k = len < EVRING_TEXT - 1 ? len : EVRING_TEXT - 1;
		memcpy(e->text, d + at, k);
		at += len;
	}
	return n;
}

void
evring_reset(sid_t s)
{
	if (rings == NULL || s == 0 || s > nrings)
		return;
	if (rings[s].big != 0)
		block_free(&rings[s]);
	memset(&rings[s], 0, sizeof(rings[s]));
	if (td[s] != NULL) {	/* else its page stays untouched */
		free(td[s]);
		td[s] = NULL;
	}
}

void
evring_add(sid_t s, enum sev_type type, enum sev_actor actor, uint16_t cause,
    const char *fmt, ...)
{
	const struct session *sp;
	struct evring *r;
	struct timeval tv;
	char text[EVRING_TEXT];
	uint8_t *d, *h;
	size_t cap;
	uint16_t ms;
	uint32_t t;
	size_t len;
	va_list ap;
	int k;

	if (rings == NULL || s == 0 || s > nrings)
		return;
	r = &rings[s];
	/* The user, once known, names the ring after the session ends. */
	if ((sp = session_get(s)) != NULL && sp->user[0])
		set_user(r, sp->user, strnlen(sp->user, MAXUSER - 1));
	va_start(ap, fmt);
	k = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	len = k < 0 ? 0 : (size_t)k < sizeof(text) ? (size_t)k :
	    sizeof(text) - 1;
	d = ring_data(r, &cap);
	while (r->used + EV_HDR + len > cap && ring_grow(r) == 0)
		d = ring_data(r, &cap);
	while (r->n > 0 && (r->n >= EVRING_SIZE ||
	    r->used + EV_HDR + len > cap))
		drop_oldest(r);
	if (r->used + EV_HDR + len > cap)	/* cannot happen */
		return;
	gettimeofday(&tv, NULL);
	t = (uint32_t)tv.tv_sec;
	ms = (uint16_t)(tv.tv_usec / 1000);
	h = d + r->used;
	memcpy(h, &t, 4);
	memcpy(h + 4, &ms, 2);
	h[6] = (uint8_t)type;
	h[7] = (uint8_t)actor;
	memcpy(h + 8, &cause, 2);
	h[10] = (uint8_t)len;
	memcpy(h + EV_HDR, text, len);
	r->used = (uint16_t)(r->used + EV_HDR + len);
	r->n++;
	r->next++;
}

void
evring_teardown(sid_t s, enum sev_actor actor, uint16_t cause,
    const char *reason)
{
	struct teardown *t;

	if (td == NULL || s == 0 || s > nrings || td[s] != NULL)
		return;
	if ((t = malloc(sizeof(*t))) == NULL)
		return;		/* the end then reports the LNS's reason */
	t->actor = (uint8_t)actor;
	t->cause = cause;
	snprintf(t->reason, sizeof(t->reason), "%s", reason ? reason : "");
	td[s] = t;
}

void
evring_down(sid_t s, const char *why, uint16_t cause)
{
	struct teardown *t;

	if (td == NULL || s == 0 || s > nrings)
		return;
	if ((t = td[s]) != NULL) {
		evring_add(s, SEV_DOWN, (enum sev_actor)t->actor,
		    t->cause ? t->cause : cause, "%s", t->reason[0] ?
		    t->reason : why);
		free(t);
		td[s] = NULL;
	} else
		evring_add(s, SEV_DOWN, SEA_LNS, cause, "%s", why);
}
