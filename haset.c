/*
 * haset.c - HA sets (FireBrick 12.3.3): sessions that carry the same
 * traffic twice (or more) so that losing one loses nothing.
 *
 * State owned: the set table (name, members in join order, the anchor,
 * counters, the upstream duplicate window) and, per session slot,
 * whether it shares an address it does not hold (`passive`).
 * session.haset (shared, index + 1, read by dataplane.c and the CLI) is
 * written here only.  Exports haset.h.
 *
 * Joining: a session is authenticated with a set name (Cisco-AVPair
 * "ha-set=NAME" from RADIUS, or `ha-set NAME` on a static `l2tp
 * session` rule).  The first session of a name creates the set and is
 * its anchor: it takes its address as any session does and holds the
 * address's route and pool entry.  A later one (at most
 * HASET_MAX_MEMBERS in all) is given the anchor's address in IPCP,
 * without a route of its own, and is not dropped as a duplicate login.
 *
 * Downstream (dataplane.c): a packet for the set's address reaches the
 * anchor through the route and is sent, after the anchor's filters and
 * throttle, to every member whose IPCP is up: a copy for each but the
 * last.  Upstream, every member passes its IP packets through
 * haset_dup(): a packet is known by a 64-bit hash of its length and its
 * first 64 octets (the IP header and the transport header with its
 * checksum over the whole payload), kept in a table of HS_SLOTS entries
 * with the set's sequence number; a copy whose hash is there within the
 * last HS_WINDOW packets is dropped.  O(1) and no allocation a packet;
 * an overwritten entry lets a late copy through (harmless: the
 * transport sees a duplicate, as on any path).
 *
 * Leaving: when a member's IPCP goes down or its session ends it leaves
 * the set at once.  An anchor first hands its address over to the next
 * member (the index entry and the pool entry change owner in one step,
 * the kernel route to the TUN device stays), so that no packet finds
 * the address without a session.  The last member's end frees the set.
 *
 * Not carried: IPv6 (the members' IPV6CP is their own), sets over a
 * restart with the state file or a cluster failover (the sessions then
 * go on each on its own).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "l2tpns.h"
#include "auth.h"
#include "dataplane.h"
#include "haset.h"
#include "log.h"
#include "rd.h"

#define MAX_SETS	1024
#define HS_SLOTS	256	/* entries of the duplicate table */
#define HS_WINDOW	64	/* packets a copy may come behind */
#define HS_HASHED	64	/* octets of a packet hashed */

struct hs_slot {
	uint64_t	 h;
	uint32_t	 seq;
	uint32_t	 used;
};

struct hset {
	char		 name[HASET_NAME_MAX];
	sid_t		 anchor;
	sid_t		 member[HASET_MAX_MEMBERS];
	unsigned	 n;
	uint32_t	 seq;		/* upstream packets passed */
	uint64_t	 copies_tx, dups_rx;
	struct hs_slot	 win[HS_SLOTS];
};

static struct hset *sets[MAX_SETS];
static unsigned nsets;		/* high-water mark of sets[] */
static uint8_t *passive;	/* [max_sessions + 1] */
static uint32_t hs_max;

int
haset_init(uint32_t max_sessions)
{
	free(passive);
	passive = calloc((size_t)max_sessions + 1, 1);
	hs_max = max_sessions;
	return passive != NULL ? 0 : -1;
}

const char *
haset_reply_name(const struct auth_reply *rp)
{
	unsigned i;

	for (i = 0; i < rp->navpairs; i++)
		if (strcmp(rp->avpair[i].key, "ha-set") == 0 &&
		    rp->avpair[i].value[0] != '\0')
			return rp->avpair[i].value;
	return NULL;
}

static struct hset *
set_of(sid_t s)
{
	const struct session *sp = session_get(s);
	struct hset *h;
	unsigned i;

	if (sp == NULL || sp->haset == 0 || sp->haset > nsets ||
	    (h = sets[sp->haset - 1]) == NULL)
		return NULL;
	/* A slot adopted from a state file or a cluster peer carries an
	 * index this process never gave it: only a member counts. */
	for (i = 0; i < h->n; i++)
		if (h->member[i] == s)
			return h;
	return NULL;
}

sid_t
haset_join(sid_t s, const char *name)
{
	struct session *sp = session_get(s);
	struct hset *h = NULL;
	unsigned i, fresh = MAX_SETS;

	if (sp == NULL || s > hs_max)
		return 0;
	if (strlen(name) >= HASET_NAME_MAX ||
	    strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789._:@-") != strlen(name)) {
		LOG(LOG_WARN_L, s, sp->tunnel, "ha-set: \"%s\" given a set name "
		    "that is too long or not of [A-Za-z0-9._:@-]: refused",
		    sp->user);
		return 0;
	}
	for (i = 0; i < nsets; i++) {
		if (sets[i] == NULL) {
			if (fresh == MAX_SETS)
				fresh = i;
			continue;
		}
		if (strncmp(sets[i]->name, name, HASET_NAME_MAX - 1) == 0) {
			h = sets[i];
			break;
		}
	}
	if (h != NULL) {
		const struct session *ap = session_get(h->anchor);

		if (h->n >= HASET_MAX_MEMBERS || ap == NULL || ap->ip == 0) {
			LOG(LOG_WARN_L, s, sp->tunnel, "ha-set %s: \"%s\" cannot "
			    "join (%s)", h->name, sp->user, h->n >=
			    HASET_MAX_MEMBERS ? "set full" : "anchor has no "
			    "address");
			return 0;
		}
		h->member[h->n++] = s;
		sp->haset = (uint16_t)(i + 1);
		passive[s] = 1;
		stats->haset_joins++;
		LOG(LOG_INFO_L, s, sp->tunnel, "ha-set %s: \"%s\" joins "
		    "(anchor session %u, %u members)", h->name, sp->user,
		    h->anchor, h->n);
		return h->anchor;
	}
	if (fresh == MAX_SETS) {
		if (nsets >= MAX_SETS) {
			LOG(LOG_WARN_L, s, sp->tunnel, "ha-set %s: no free set: "
			    "\"%s\" goes on alone", name, sp->user);
			return s;
		}
		fresh = nsets++;
	}
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return s;
	snprintf(h->name, sizeof(h->name), "%s", name);
	h->anchor = s;
	h->member[0] = s;
	h->n = 1;
	sets[fresh] = h;
	sp->haset = (uint16_t)(fresh + 1);
	passive[s] = 0;
	stats->haset_sets++;
	LOG(LOG_CALLS_L, s, sp->tunnel, "ha-set %s: new set, anchor \"%s\"",
	    h->name, sp->user);
	return s;
}

int
haset_passive(sid_t s)
{
	return passive != NULL && s > 0 && s <= hs_max && passive[s];
}

unsigned
haset_members(sid_t s, sid_t *out)
{
	struct hset *h = set_of(s);
	unsigned i;

	if (h == NULL)
		return 0;
	for (i = 0; i < h->n; i++)
		out[i] = h->member[i];
	return h->n;
}

void
haset_count_copies(sid_t s, unsigned n)
{
	struct hset *h = set_of(s);

	stats->haset_copies_tx += n;
	if (h != NULL)
		h->copies_tx += n;
}

/* A 64-bit hash of the length and the first HS_HASHED octets. */
static uint64_t
packet_hash(const uint8_t *p, size_t len)
{
	uint64_t x = 0x9e3779b97f4a7c15ull ^ (uint64_t)len;
	uint8_t w[8];
	struct rd r;
	size_t k;

	rd_init(&r, p, len < HS_HASHED ? len : HS_HASHED);
	while (r.left) {
		k = r.left < 8 ? r.left : 8;
		memset(w, 0, sizeof(w));
		if (rd_bytes(&r, w, k) < 0)
			break;
		x ^= (uint64_t)w[0] | (uint64_t)w[1] << 8 |
		    (uint64_t)w[2] << 16 | (uint64_t)w[3] << 24 |
		    (uint64_t)w[4] << 32 | (uint64_t)w[5] << 40 |
		    (uint64_t)w[6] << 48 | (uint64_t)w[7] << 56;
		x *= 0xbf58476d1ce4e5b9ull;
		x ^= x >> 31;
	}
	x *= 0x94d049bb133111ebull;
	return x ^ (x >> 29);
}

int
haset_dup(sid_t s, const uint8_t *p, size_t len)
{
	struct hset *h = set_of(s);
	struct hs_slot *e;
	uint64_t x;

	if (h == NULL || h->n < 2)
		return 0;
	x = packet_hash(p, len);
	e = &h->win[x >> 56];
	if (e->used && e->h == x && h->seq - e->seq < HS_WINDOW) {
		h->dups_rx++;
		stats->haset_dups_rx++;
		return 1;
	}
	e->h = x;
	e->seq = h->seq++;
	e->used = 1;
	return 0;
}

void
haset_leave(sid_t s)
{
	struct session *sp = session_get(s);
	struct hset *h = set_of(s);
	unsigned i, k;

	if (h == NULL)
		return;
	for (i = k = 0; i < h->n; i++)
		if (h->member[i] != s)
			h->member[k++] = h->member[i];
	h->n = k;
	sp->haset = 0;
	if (h->anchor == s && h->n > 0) {
		sid_t to = h->member[0];
		struct session *tp = session_get(to);

		for (i = 0; i < h->n; i++)
			if (ppp_ncp_opened(h->member[i], PPP_IP)) {
				to = h->member[i];
				tp = session_get(to);
				break;
			}
		/* The index entry and the pool entry change hands; the
		 * TUN route stays. */
		if (sp->ip && session_by_ip(sp->ip) == s) {
			session_route_del(s, sp->ip, 32);
			if (session_route_add(to, tp->ip, 32) < 0)
				LOG(LOG_ERROR_L, to, tp->tunnel, "ha-set %s: "
				    "cannot index the set's address", h->name);
		}
		if (sp->ip)
			ippool_move(sp->ip, s, to);
		h->anchor = to;
		passive[to] = 0;
		passive[s] = 1;
		stats->haset_handovers++;
		LOG(LOG_CALLS_L, s, sp->tunnel, "ha-set %s: the address goes "
		    "to session %u (%u members left)", h->name, to, h->n);
	} else
		LOG(LOG_CALLS_L, s, sp->tunnel, "ha-set %s: leaves (%u "
		    "members left)", h->name, h->n);
	if (h->n == 0) {
		for (i = 0; i < nsets; i++)
			if (sets[i] == h)
				sets[i] = NULL;
		free(h);
		while (nsets > 0 && sets[nsets - 1] == NULL)
			nsets--;
	}
}

void
haset_link_end(sid_t s)
{
	haset_leave(s);
	if (passive != NULL && s > 0 && s <= hs_max)
		passive[s] = 0;
}

unsigned
haset_count(void)
{
	unsigned i, n = 0;

	for (i = 0; i < nsets; i++)
		n += sets[i] != NULL;
	return n;
}

int
haset_get(unsigned i, struct haset_view *v)
{
	const struct hset *h;
	const struct session *ap;
	unsigned k;

	for (; i < nsets && sets[i] == NULL; i++)
		;
	if (i >= nsets)
		return -1;
	h = sets[i];
	memset(v, 0, sizeof(*v));
	snprintf(v->name, sizeof(v->name), "%s", h->name);
	ap = session_get(h->anchor);
	v->ip = ap != NULL ? ap->ip : 0;
	v->anchor = h->anchor;
	for (k = 0; k < h->n; k++)
		v->member[k] = h->member[k];
	v->n = h->n;
	v->copies_tx = h->copies_tx;
	v->dups_rx = h->dups_rx;
	v->first_rx = h->seq;
	return (int)i;
}
