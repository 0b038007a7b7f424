/*
 * tables.c - the session and tunnel tables and their O(1) indexes.
 *
 * State owned: `tables` and everything it points to.  All of it lives in
 * anonymous MAP_SHARED mappings made at startup, so a process forked from
 * the daemon (the CLI) reads live state.  Only the main loop writes.
 *
 * Indexes:
 *  - session index and tunnel index: direct array positions (1-based);
 *  - (tunnel, 16-bit wire session id) -> session, and 16-bit wire tunnel
 *    id -> tunnel: open-addressing hashes with linear probing and
 *    backward-shift deletion (no tombstones, so lookups never degrade);
 *    each hash starts at a page and doubles as it fills (to at most half
 *    full), up to the capacity max_sessions needs, so that its memory
 *    grows with the sessions rather than being touched all at once;
 *  - destination address -> session: one hash keyed by (prefix, length)
 *    plus a count of entries per prefix length; a lookup probes only the
 *    lengths in use, longest first: O(number of lengths), never a scan of
 *    sessions.
 *  - IPv6 destination -> session, for the sessions' own prefixes
 *    (Framed-IPv6-Prefix, Delegated-IPv6-Prefix) of length 1 to 64: one
 *    exact hash per length, keyed by the first 64 bits masked to the
 *    length and made when that length is first used; a lookup probes the
 *    lengths in use, longest first, as for IPv4.
 * Free slots are kept on a FIFO list so that a freed index is reused as
 * late as possible.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/mman.h>

#include "l2tpns.h"
#include "util.h"

struct tables *tables;

struct hent {
	uint64_t	key;		/* 0 = empty */
	uint32_t	val;
};

/*
 * A hash's mapping holds two regions of its largest capacity: the table
 * in use is in one, and doubling rehashes it into the other and gives
 * the first's pages back (MADV_REMOVE), so a reader in a forked process,
 * which sees e and mask change, only ever reads inside the mapping.
 */
struct hash {
	struct hent	*e;		/* the table in use */
	uint64_t	 mask;		/* its capacity - 1 */
	uint64_t	 used;
	struct hent	*base;		/* the mapping: 2 x cap_max entries */
	uint64_t	 cap_max;
};

#define HASH_START	(4096 / sizeof(struct hent))	/* one page */

static uint64_t	mix(uint64_t);

/* Index state, shared too so that a forked reader sees current lengths. */
struct index_state {
	struct hash	wire_sessions, wire_tunnels, ip_index, peers;
	uint32_t	plen_count[33];
	int		plen_list[33], nplens;	/* in use, longest first */
	uint32_t	plen6_count[65];
	int		plen6_list[64], nplens6;	/* the same for IPv6 */
	sid_t		session_tail;
	tid_t		tunnel_tail;
	/* Entries above these were never used: handed out before the free
	 * lists (which then hold only freed ones), so that an entry's pages
	 * are touched when a session or tunnel first needs it. */
	sid_t		session_hwm;
	tid_t		tunnel_hwm;
	int		free_stale;	/* cluster.c wrote entries in place */
};
static struct index_state *ix;

#define wire_sessions	(ix->wire_sessions)
#define wire_tunnels	(ix->wire_tunnels)
#define ip_index	(ix->ip_index)
#define peers		(ix->peers)
#define plen_count	(ix->plen_count)
#define plen_list	(ix->plen_list)
#define nplens		(ix->nplens)
#define session_tail	(ix->session_tail)
#define tunnel_tail	(ix->tunnel_tail)

/*
 * The IPv6 hashes, [1..64] by prefix length.  Their entries are shared
 * like the rest, but these headers are private: a hash is mapped when
 * its length is first used, and a process forked before that has no
 * such mapping, so it sees an empty header and skips the length.
 */
static struct hash v6_index[65];
static uint32_t v6_capacity;

/*
 * The replication hook (cluster.c): an entry was allocated (created 1),
 * or freed or bound (created 0).
 */
static void (*change_hook)(int tunnel, uint32_t idx, int created);
#define CHANGED(tunnel, idx, created) do {				\
	if (change_hook != NULL)					\
		change_hook((tunnel), (idx), (created));		\
} while (0)

void
tables_set_hook(void (*fn)(int tunnel, uint32_t idx, int created))
{
	change_hook = fn;
}

static uint64_t
pow2_at_least(uint64_t n)
{
	uint64_t p = 16;

	while (p < n)
		p <<= 1;
	return p;
}

static int
hash_init(struct hash *h, uint64_t entries)
{
	uint64_t cap = pow2_at_least(entries * 2);
	void *p = mmap(NULL, 2 * cap * sizeof(struct hent), PROT_READ |
	    PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED)
		return -1;
	h->base = h->e = p;
	h->cap_max = cap;
	h->mask = (cap < HASH_START ? cap : HASH_START) - 1;
	h->used = 0;
	return 0;
}

static void
hash_free(struct hash *h)
{
	if (h->base)
		munmap(h->base, 2 * h->cap_max * sizeof(struct hent));
	memset(h, 0, sizeof(*h));
}

/* Put key in table e of mask m, where it is not. */
static void
hash_place(struct hent *e, uint64_t m, uint64_t key, uint32_t val)
{
	uint64_t i = mix(key) & m;

	while (e[i].key != 0)
		i = (i + 1) & m;
	e[i].key = key;
	e[i].val = val;
}

/* Double h's table into the other region of its mapping. */
static void
hash_grow(struct hash *h)
{
	struct hent *old = h->e;
	struct hent *ne = old == h->base ? h->base + h->cap_max : h->base;
	uint64_t i, ocap = h->mask + 1;

	for (i = 0; i < ocap; i++)
		if (old[i].key != 0)
			hash_place(ne, 2 * ocap - 1, old[i].key, old[i].val);
	/*
	 * A reader between these two stores uses a mask for the other
	 * table: it may miss a key, never reads outside the mapping.
	 */
	h->e = ne;
	h->mask = 2 * ocap - 1;
	/* The old region must read as zeros when it is next grown into. */
	if (madvise(old, ocap * sizeof(*old), MADV_REMOVE) < 0)
		memset(old, 0, ocap * sizeof(*old));
}

/* 64-bit finaliser (splitmix64): spreads sequential keys. */
static uint64_t
mix(uint64_t k)
{
	k ^= k >> 30;
	k *= 0xbf58476d1ce4e5b9ULL;
	k ^= k >> 27;
	k *= 0x94d049bb133111ebULL;
	k ^= k >> 31;
	return k;
}

static uint32_t
hash_get(const struct hash *h, uint64_t key)
{
	uint64_t i = mix(key) & h->mask;

	while (h->e[i].key != 0) {
		if (h->e[i].key == key)
			return h->e[i].val;
		i = (i + 1) & h->mask;
	}
	return 0;
}

static int
hash_put(struct hash *h, uint64_t key, uint32_t val)
{
	uint64_t i;

	/* At most half full while it can grow: probes stay short. */
	if ((h->used + 1) * 2 > h->mask + 1 && h->mask + 1 < h->cap_max)
		hash_grow(h);
	i = mix(key) & h->mask;

	while (h->e[i].key != 0) {
		if (h->e[i].key == key) {
			h->e[i].val = val;
			return 0;
		}
		i = (i + 1) & h->mask;
	}
	/* Keep the load factor at most 3/4 so probes stay short. */
	if ((h->used + 1) * 4 > (h->mask + 1) * 3) {
		errno = ENOSPC;
		return -1;
	}
	h->e[i].key = key;
	h->e[i].val = val;
	h->used++;
	return 0;
}

static int
hash_del(struct hash *h, uint64_t key)
{
	uint64_t i = mix(key) & h->mask, j, k;

	while (h->e[i].key != key) {
		if (h->e[i].key == 0)
			return -1;
		i = (i + 1) & h->mask;
	}
	/* Backward-shift: move later members of the run into the hole. */
	j = i;
	for (;;) {
		j = (j + 1) & h->mask;
		if (h->e[j].key == 0)
			break;
		k = mix(h->e[j].key) & h->mask;
		/* Leave e[j] if its home lies cyclically in (i, j]. */
		if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		h->e[i] = h->e[j];
		i = j;
	}
	h->e[i].key = 0;
	h->e[i].val = 0;
	h->used--;
	return 0;
}

int
tables_init(uint32_t max_sessions, uint32_t max_tunnels)
{
	if (tables != NULL)
		tables_free();
	if ((tables = shm_alloc(sizeof(*tables))) == NULL)
		return -1;
	memset(tables, 0, sizeof(*tables));
	if ((ix = shm_alloc(sizeof(*ix))) == NULL) {
		munmap(tables, sizeof(*tables));
		tables = NULL;
		return -1;
	}
	memset(ix, 0, sizeof(*ix));
	tables->max_sessions = max_sessions;
	tables->max_tunnels = max_tunnels;
	memset(v6_index, 0, sizeof(v6_index));
	v6_capacity = max_sessions;
	tables->session = shm_alloc((size_t)(max_sessions + 1) *
	    sizeof(struct session));
	tables->tunnel = shm_alloc((size_t)(max_tunnels + 1) *
	    sizeof(struct tunnel));
	if (tables->session == NULL || tables->tunnel == NULL ||
	    hash_init(&wire_sessions, max_sessions) < 0 ||
	    hash_init(&wire_tunnels, max_tunnels) < 0 ||
	    hash_init(&peers, max_tunnels) < 0 ||
	    /* a /32 per session plus routed prefixes */
	    hash_init(&ip_index, (uint64_t)max_sessions * 2) < 0) {
		tables_free();
		return -1;
	}
	/* Index order, 1, 2, ... from the high-water marks; the free
	 * lists start empty (nothing is written to unused entries). */
	tables->session_free = 0;
	session_tail = 0;
	ix->session_hwm = 0;
	tables->tunnel_free = 0;
	tunnel_tail = 0;
	ix->tunnel_hwm = 0;
	return 0;
}

void
tables_free(void)
{
	if (tables == NULL)
		return;
	if (tables->session)
		munmap(tables->session, (size_t)(tables->max_sessions + 1) *
		    sizeof(struct session));
	if (tables->tunnel)
		munmap(tables->tunnel, (size_t)(tables->max_tunnels + 1) *
		    sizeof(struct tunnel));
	if (ix != NULL) {
		int l;

		for (l = 1; l <= 64; l++)
			hash_free(&v6_index[l]);
		hash_free(&wire_sessions);
		hash_free(&wire_tunnels);
		hash_free(&peers);
		hash_free(&ip_index);
		munmap(ix, sizeof(*ix));
		ix = NULL;
	}
	munmap(tables, sizeof(*tables));
	tables = NULL;
}

struct session *
session_get(sid_t s)
{
	if (s == 0 || s > tables->max_sessions)
		return NULL;
	return &tables->session[s];
}

struct tunnel *
tunnel_get(tid_t t)
{
	if (t == 0 || t > tables->max_tunnels)
		return NULL;
	return &tables->tunnel[t];
}

#define TERMINATE(f)	((f)[sizeof(f) - 1] = '\0')

int
session_record_check(struct session *n)
{
	if (n->state > SESSION_CLOSING || n->tunnel > tables->max_tunnels ||
	    n->phase > PHASE_TERMINATE || n->lcp_state > ST_OPENED ||
	    n->ipcp_state > ST_OPENED || n->ipv6cp_state > ST_OPENED ||
	    n->ipv6_prefix_len > 128)
		return -1;
	if (n->state != SESSION_FREE && n->tunnel == 0)
		return -1;
	TERMINATE(n->user);
	TERMINATE(n->calling);
	TERMINATE(n->called);
	TERMINATE(n->acct_session_id);
	TERMINATE(n->filter_in);
	TERMINATE(n->filter_out);
	n->acl_in = n->acl_out = 0;
	n->acl_gen = 0;			/* acl.c looks the names up again */
	n->next_free = 0;
	return 0;
}

int
tunnel_record_check(struct tunnel *n)
{
	if (n->state > TUNNEL_DYING)
		return -1;
	TERMINATE(n->hostname);
	TERMINATE(n->vendor);
	n->next_free = 0;
	return 0;
}

sid_t
session_alloc(void)
{
	sid_t s;
	struct session *sp;

	if (ix->free_stale)
		tables_rebuild_free();
	if (ix->session_hwm < tables->max_sessions) {
		s = ++ix->session_hwm;	/* never used yet */
		sp = &tables->session[s];
	} else if ((s = tables->session_free) != 0) {
		sp = &tables->session[s];
		tables->session_free = sp->next_free;
		if (tables->session_free == 0)
			session_tail = 0;
	} else
		return 0;
	memset(sp, 0, sizeof(*sp));
	sp->state = SESSION_OPENING;
	tables->sessions_used++;
	CHANGED(0, s, 1);
	return s;
}

void
session_release(sid_t s)
{
	struct session *sp = session_get(s);

	if (sp == NULL || sp->state == SESSION_FREE)
		return;
	if (sp->local_id)
		hash_del(&wire_sessions, ((uint64_t)sp->tunnel << 16) |
		    sp->local_id);
	if (sp->ip)
		session_route_del(s, sp->ip, 32);
	/* ppp.c removes the prefix first; this only catches a leftover. */
	if (sp->ipv6_prefix_len)
		session_route6_del(s, &sp->ipv6_prefix, sp->ipv6_prefix_len);
	memset(sp, 0, sizeof(*sp));
	sp->state = SESSION_FREE;
	CHANGED(0, s, 0);
	if (session_tail)
		tables->session[session_tail].next_free = s;
	else
		tables->session_free = s;
	session_tail = s;
	tables->sessions_used--;
}

tid_t
tunnel_alloc(void)
{
	tid_t t;
	struct tunnel *tp;

	if (ix->free_stale)
		tables_rebuild_free();
	if (ix->tunnel_hwm < tables->max_tunnels) {
		t = ++ix->tunnel_hwm;
		tp = &tables->tunnel[t];
	} else if ((t = tables->tunnel_free) != 0) {
		tp = &tables->tunnel[t];
		tables->tunnel_free = tp->next_free;
		if (tables->tunnel_free == 0)
			tunnel_tail = 0;
	} else
		return 0;
	memset(tp, 0, sizeof(*tp));
	tp->state = TUNNEL_OPENING;
	tables->tunnels_used++;
	CHANGED(1, t, 1);
	return t;
}

void
tunnel_release(tid_t t)
{
	struct tunnel *tp = tunnel_get(t);

	if (tp == NULL || tp->state == TUNNEL_FREE)
		return;
	if (tp->local_id)
		hash_del(&wire_tunnels, tp->local_id);
	memset(tp, 0, sizeof(*tp));
	CHANGED(1, t, 0);
	if (tunnel_tail)
		tables->tunnel[tunnel_tail].next_free = t;
	else
		tables->tunnel_free = t;
	tunnel_tail = t;
	tables->tunnels_used--;
}

int
session_bind_wire(sid_t s, uint16_t local_id)
{
	struct session *sp = session_get(s);
	uint64_t key;

	if (sp == NULL || local_id == 0 || sp->tunnel == 0)
		return -1;
	key = ((uint64_t)sp->tunnel << 16) | local_id;
	if (hash_get(&wire_sessions, key) != 0) {
		errno = EEXIST;
		return -1;
	}
	if (hash_put(&wire_sessions, key, s) < 0)
		return -1;
	sp->local_id = local_id;
	CHANGED(0, s, 0);
	return 0;
}

void
session_unbind_wire(sid_t s)
{
	struct session *sp = session_get(s);
	uint64_t key;

	if (sp == NULL || sp->local_id == 0)
		return;
	key = ((uint64_t)sp->tunnel << 16) | sp->local_id;
	if (hash_get(&wire_sessions, key) == s)
		hash_del(&wire_sessions, key);
}

sid_t
session_by_wire(tid_t t, uint16_t local_id)
{
	if (local_id == 0)
		return 0;
	return hash_get(&wire_sessions, ((uint64_t)t << 16) | local_id);
}

int
tunnel_bind_wire(tid_t t, uint16_t local_id)
{
	struct tunnel *tp = tunnel_get(t);

	if (tp == NULL || local_id == 0)
		return -1;
	if (hash_get(&wire_tunnels, local_id) != 0) {
		errno = EEXIST;
		return -1;
	}
	if (hash_put(&wire_tunnels, local_id, t) < 0)
		return -1;
	tp->local_id = local_id;
	CHANGED(1, t, 0);
	return 0;
}

void
tunnel_unbind_wire(tid_t t)
{
	struct tunnel *tp = tunnel_get(t);

	if (tp == NULL || tp->local_id == 0)
		return;
	if (hash_get(&wire_tunnels, tp->local_id) == t)
		hash_del(&wire_tunnels, tp->local_id);
}

sid_t
tables_session_hwm(void)
{
	return ix != NULL ? ix->session_hwm : 0;
}

void
tables_mark_stale(void)
{
	ix->free_stale = 1;
}

void
tables_written(int tunnel, uint32_t idx)
{
	if (tunnel && idx <= tables->max_tunnels && idx > ix->tunnel_hwm)
		ix->tunnel_hwm = idx;
	if (!tunnel && idx <= tables->max_sessions && idx > ix->session_hwm)
		ix->session_hwm = idx;
	ix->free_stale = 1;
}

/*
 * The free lists and counts from the entries' states, in index order
 * (O(n), once per role change: a new master, or the first allocation
 * after a slave wrote entries in place).
 */
void
tables_rebuild_free(void)
{
	uint32_t i;
	sid_t last_s = 0;
	tid_t last_t = 0;

	/*
	 * Entries above the high-water marks were never written (entries
	 * written in place say so, tables_written): only those below are
	 * read, so that the pages of unused entries stay untouched.
	 */
	tables->session_free = 0;
	tables->sessions_used = 0;
	for (i = 1; i <= ix->session_hwm; i++) {
		struct session *sp = &tables->session[i];

		if (sp->state != SESSION_FREE) {
			tables->sessions_used++;
			continue;
		}
		sp->next_free = 0;
		if (last_s)
			tables->session[last_s].next_free = i;
		else
			tables->session_free = i;
		last_s = i;
	}
	session_tail = last_s;
	tables->tunnel_free = 0;
	tables->tunnels_used = 0;
	for (i = 1; i <= ix->tunnel_hwm; i++) {
		struct tunnel *tp = &tables->tunnel[i];

		if (tp->state != TUNNEL_FREE) {
			tables->tunnels_used++;
			continue;
		}
		tp->next_free = 0;
		if (last_t)
			tables->tunnel[last_t].next_free = i;
		else
			tables->tunnel_free = i;
		last_t = i;
	}
	tunnel_tail = last_t;
	ix->free_stale = 0;
}

tid_t
tunnel_by_wire(uint16_t local_id)
{
	if (local_id == 0)
		return 0;
	return hash_get(&wire_tunnels, local_id);
}

static uint64_t
peer_key(in_addr_t a, uint16_t port, uint16_t far_id)
{
	/* Never 0 (empty): a LAC's Assigned Tunnel ID is non-zero. */
	return ((uint64_t)ntohl(a) << 32) | ((uint64_t)port << 16) | far_id;
}

int
tunnel_bind_peer(tid_t t, in_addr_t a, uint16_t port, uint16_t far_id)
{
	struct tunnel *tp = tunnel_get(t);
	uint64_t key = peer_key(a, port, far_id);

	if (tp == NULL)
		return -1;
	if (hash_get(&peers, key) != 0) {
		errno = EEXIST;
		return -1;
	}
	return hash_put(&peers, key, t);
}

void
tunnel_unbind_peer(tid_t t)
{
	struct tunnel *tp = tunnel_get(t);
	uint64_t key;

	if (tp == NULL)
		return;
	key = peer_key(tp->peer.sin_addr.s_addr, tp->peer.sin_port, tp->far_id);
	if (hash_get(&peers, key) == t)
		hash_del(&peers, key);
}

tid_t
tunnel_by_peer(in_addr_t a, uint16_t port, uint16_t far_id)
{
	return hash_get(&peers, peer_key(a, port, far_id));
}

static uint64_t
ip_key(uint32_t net_host, int plen)
{
	/* bit 40 keeps 0.0.0.0/0 from looking like an empty slot */
	return (1ULL << 40) | ((uint64_t)plen << 32) | net_host;
}

static uint32_t
plen_mask(int plen)
{
	return plen == 0 ? 0 : 0xffffffffu << (32 - plen);
}

static void
plen_rebuild(void)
{
	int l;

	nplens = 0;
	for (l = 32; l >= 0; l--)
		if (plen_count[l])
			plen_list[nplens++] = l;
}

/*
 * The BGP speaker hears of every session route
 * here, where they are added and removed (the session notifier of the
 * core helper replaces this shim).
 */
session_route_fn session_route_hook;

static void
route_hook(int add, sid_t s, int af, const void *net, int plen)
{
	if (session_route_hook)
		session_route_hook(add, s, af, net, plen);
}

int
session_route_add(sid_t s, in_addr_t net, int plen)
{
	uint32_t h = ntohl(net);
	uint64_t key;
	sid_t owner;
	int existed;

	if (plen < 0 || plen > 32 || session_get(s) == NULL) {
		errno = EINVAL;
		return -1;
	}
	key = ip_key(h & plen_mask(plen), plen);
	owner = hash_get(&ip_index, key);
	if (owner != 0 && owner != s) {
		/* Another session routes this prefix: never steal it. */
		errno = EEXIST;
		return -1;
	}
	existed = owner != 0;
	if (hash_put(&ip_index, key, s) < 0)
		return -1;
	if (!existed && plen_count[plen]++ == 0)
		plen_rebuild();
	CHANGED(0, s, 0);
	if (!existed)
		route_hook(1, s, 4, &net, plen);
	return 0;
}

int
session_route_del(sid_t s, in_addr_t net, int plen)
{
	uint32_t h = ntohl(net);
	uint64_t key;

	if (plen < 0 || plen > 32)
		return -1;
	key = ip_key(h & plen_mask(plen), plen);
	/* Only the owner may remove its entry. */
	if (hash_get(&ip_index, key) != s)
		return -1;
	hash_del(&ip_index, key);
	if (--plen_count[plen] == 0)
		plen_rebuild();
	route_hook(0, s, 4, &net, plen);
	return 0;
}

sid_t
session_by_ip(in_addr_t addr)
{
	uint32_t h = ntohl(addr);
	sid_t s;
	int i;

	for (i = 0; i < nplens; i++) {
		int l = plen_list[i];

		if ((s = hash_get(&ip_index, ip_key(h & plen_mask(l), l))) != 0)
			return s;
	}
	return 0;
}

uint32_t
session_ip_walk(void (*fn)(in_addr_t, int, sid_t, void *), void *arg)
{
	uint64_t i, key;
	uint32_t n = 0;
	sid_t s;

	if (ix == NULL || ip_index.e == NULL)
		return 0;
	for (i = 0; i <= ip_index.mask; i++) {
		key = ip_index.e[i].key;
		s = ip_index.e[i].val;
		if (key == 0 || s == 0)
			continue;
		fn(htonl((uint32_t)key), (int)((key >> 32) & 0xff), s, arg);
		n++;
	}
	return n;
}

/* ---- IPv6 prefixes ---- */

/* The first 64 bits of an address, masked to `plen` (1..64). */
static uint64_t
v6_key(const struct in6_addr *a, int plen)
{
	const uint8_t *b = (const uint8_t *)a;
	uint64_t k = 0;
	int i;

	for (i = 0; i < 8; i++)
		k = k << 8 | b[i];
	return k & ~0ULL << (64 - plen);
}

static void
plen6_rebuild(void)
{
	int l;

	ix->nplens6 = 0;
	for (l = 64; l >= 1; l--)
		if (ix->plen6_count[l])
			ix->plen6_list[ix->nplens6++] = l;
}

int
session_route6_add(sid_t s, const struct in6_addr *net, int plen)
{
	struct hash *h;
	uint64_t key;
	sid_t owner;

	if (plen < 1 || plen > 64 || session_get(s) == NULL) {
		errno = EINVAL;
		return -1;
	}
	/* 0 marks an empty slot; ::/N is no subscriber's prefix anyway. */
	if ((key = v6_key(net, plen)) == 0) {
		errno = EINVAL;
		return -1;
	}
	h = &v6_index[plen];
	if (h->e == NULL && hash_init(h, v6_capacity) < 0)
		return -1;
	owner = hash_get(h, key);
	if (owner != 0 && owner != s) {
		/* Another session has this prefix: never steal it. */
		errno = EEXIST;
		return -1;
	}
	if (owner == s)
		return 0;
	if (hash_put(h, key, s) < 0)
		return -1;
	if (ix->plen6_count[plen]++ == 0)
		plen6_rebuild();
	route_hook(1, s, 6, net, plen);
	return 0;
}

int
session_route6_del(sid_t s, const struct in6_addr *net, int plen)
{
	struct hash *h;
	uint64_t key;

	if (plen < 1 || plen > 64)
		return -1;
	h = &v6_index[plen];
	key = v6_key(net, plen);
	/* Only the owner may remove its entry. */
	if (h->e == NULL || key == 0 || hash_get(h, key) != s)
		return -1;
	hash_del(h, key);
	if (--ix->plen6_count[plen] == 0)
		plen6_rebuild();
	route_hook(0, s, 6, net, plen);
	return 0;
}

sid_t
session_by_ip6(const struct in6_addr *addr)
{
	uint64_t key = v6_key(addr, 64);
	sid_t s;
	int i;

	for (i = 0; i < ix->nplens6; i++) {
		int l = ix->plen6_list[i];
		const struct hash *h = &v6_index[l];

		if (h->e != NULL &&
		    (s = hash_get(h, key & ~0ULL << (64 - l))) != 0)
			return s;
	}
	return 0;
}
