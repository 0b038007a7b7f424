/*
 * mlppp.c - Multilink PPP (RFC 1990): the LCP options of each link,
 * the bundles, fragments in (reassembly, mpreasm.c) and out.
 *
 * State owned: `struct mlink` per session slot (what LCP negotiated
 * for multilink on that link, the bundle it is in) and the bundle
 * table (its links, the master, the reassembly buffer, the downstream
 * sequence number).  session.bundle (shared, for the CLI) is written
 * here only.  Exports mlppp.h.
 *
 * Multilink is off unless `multilink` is set: then ppp.c rejects
 * options 17-19 as it always did.  When on, our Configure-Request
 * carries MRRU and an Endpoint Discriminator (class 1, locally
 * assigned: our hostname), and the peer's MRRU, Short Sequence Number
 * Header Format and Endpoint Discriminator are acknowledged (RFC 1990
 * 5.1).  Multilink is in effect on a link when MRRU went both ways.
 *
 * Bundles (RFC 1990 5.1.3): an authenticated link joins the bundle of
 * the same username and the same peer Endpoint Discriminator (class,
 * address), from whatever tunnel it came.  The first link is the
 * master: its session holds the address, IPCP/IPV6CP and the one
 * accounting record; the members carry LCP and authentication and pass
 * everything else (fragments, or whole frames without the MP header,
 * RFC 1990 3) to the master.  A member's end only removes it from the
 * bundle.  When the master's link goes while other links remain (a CDN,
 * its tunnel, the peer's Terminate-Request or an echo timeout on that
 * link), the master session stays as the bundle's holder without a link
 * of its own (`detached`: l2tp.c drops its call, ppp.c its LCP, and
 * keeps its NCPs, address and accounting; RFC 1990 runs the NCPs over
 * the bundle, not a link); its frames then leave on the bundle's links
 * (mlppp_carrier) and the bundle ends with its last link.  Ending the
 * master itself (an administrator, a timeout, RADIUS) ends the bundle,
 * its links dropped.
 *
 * Downstream (dataplane.c): a frame of a bundle of two links or more
 * up to MP_SMALL octets goes whole, as one fragment with B and E, on
 * the next link in turn; a longer one is split across the links in
 * proportion to their connect speeds (Tx Connect Speed of ICCN; equal
 * shares when a link does not give one), each fragment no longer than
 * that link's MRU allows.  Every fragment carries the bundle's next
 * sequence number, in the format the peer asked for (short when it
 * sent option 18).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "l2tpns.h"
#include "auth.h"
#include "dataplane.h"
#include "l2tp.h"
#include "log.h"
#include "mlppp.h"
#include "session.h"

#define MP_SMALL	256	/* whole frames up to this, round robin */
#define MAX_BUNDLES	1024
#define ED_MAX		20	/* RFC 1990 5.1.3: at most 20 octets */

struct mlink {
	/* what we offer */
	uint8_t		 send_mrru, send_ed;
	uint16_t	 our_mrru;
	/* what the peer's acknowledged request said */
	uint8_t		 peer_mrru_set, peer_ssn;
	uint16_t	 peer_mrru;
	uint8_t		 ed_class, ed_len;
	uint8_t		 ed[ED_MAX];
	/* membership */
	uint16_t	 bundle;	/* index + 1; 0 = none */
	uint8_t		 idx;		/* slot in its bundle's link[] */
};

struct bundle {
	uint8_t		 in_use;
	uint8_t		 tx_short;	/* the peer sent option 18 */
	uint8_t		 ed_class, ed_len;
	uint8_t		 ed[ED_MAX];
	char		 user[MAXUSER];
	uint16_t	 peer_mrru;
	sid_t		 link[MP_MAX_LINKS];	/* [0]: the master, if linked */
	unsigned	 nlinks;
	sid_t		 owner;		/* the master: address, NCPs, accounting */
	uint8_t		 detached;	/* the owner's own link went */
	unsigned	 rr;
	uint32_t	 tx_seq;
	struct mp_reasm	*rx;
};

static struct mlink *ml;
static uint32_t ml_max;
static struct bundle bundles[MAX_BUNDLES];
static unsigned nbundles;	/* high-water mark of bundles[] */

static struct mlink *
L(sid_t s)
{
	return ml != NULL && s && s <= ml_max ? &ml[s] : NULL;
}

static struct bundle *
B(const struct mlink *m)
{
	return m != NULL && m->bundle ? &bundles[m->bundle - 1] : NULL;
}

int
mlppp_init(uint32_t max_sessions)
{
	free(ml);
	ml = calloc((size_t)max_sessions + 1, sizeof(*ml));
	if (ml == NULL)
		return -1;
	ml_max = max_sessions;
	return 0;
}

void
mlppp_link_start(sid_t s)
{
	struct mlink *m = L(s);

	if (m == NULL)
		return;
	memset(m, 0, sizeof(*m));
	m->send_mrru = m->send_ed = config->multilink != 0;
	m->our_mrru = MP_MRRU;
}

/* ---- LCP, RFC 1990 5.1 ---- */

/* Our Endpoint Discriminator: class 1 (locally assigned), the hostname. */
static size_t
our_ed(uint8_t *out)
{
	size_t n = strnlen(config->hostname, ED_MAX);

	memcpy(out, config->hostname, n);
	return n;
}

void
mlppp_lcp_build(sid_t s, struct wr *w)
{
	struct mlink *m = L(s);

	if (m == NULL || !config->multilink)
		return;
	if (m->send_mrru) {
		wr_u8(w, LCP_MRRU);
		wr_u8(w, 4);
		wr_u16(w, m->our_mrru);
	}
	if (m->send_mrru && m->send_ed) {
		uint8_t ed[ED_MAX];
		size_t n = our_ed(ed);

		wr_u8(w, LCP_EPDISC);
		wr_u8(w, (uint8_t)(3 + n));
		wr_u8(w, 1);
		wr_bytes(w, ed, n);
	}
}

void
mlppp_lcp_peer_reset(sid_t s)
{
	struct mlink *m = L(s);

	if (m == NULL)
		return;
	m->peer_mrru_set = 0;
	m->peer_ssn = 0;
	m->ed_class = 0;
	m->ed_len = 0;
}

/* RFC 1990 5.1.3: the address length each class allows. */
static int
ed_len_ok(uint8_t class, size_t n)
{
	switch (class) {
	case 0:
		return n == 0;		/* Null */
	case 1:
		return n <= ED_MAX;	/* Locally Assigned */
	case 2:
		return n == 4;		/* IP address */
	case 3:
		return n == 6;		/* IEEE 802.1 MAC */
	case 4:
		return n > 0 && n <= ED_MAX && n % 4 == 0; /* magic block */
	case 5:
		return n <= 15;		/* PSN directory number */
	default:
		return 0;
	}
}

int
mlppp_lcp_check(sid_t s, uint8_t type, const struct rd *val, uint8_t *nak,
    size_t *naklen)
{
	struct mlink *m = L(s);
	struct rd r = *val;

	if (m == NULL || !config->multilink)
		return -1;
	switch (type) {
	case LCP_MRRU: {
		uint16_t mrru;

		if (r.left != 2 || rd_u16(&r, &mrru) < 0)
			return -1;
		/* 5.1.1: the largest frame the peer rebuilds. */
		if (mrru < 128) {
			nak[0] = MP_MRRU >> 8;
			nak[1] = MP_MRRU & 0xff;
			*naklen = 2;
			return 1;
		}
		m->peer_mrru = mrru;
		m->peer_mrru_set = 1;
		return 0;
	}
	case LCP_SSNHF:
		/* 5.1.2: the peer wants short numbers in what we send. */
		if (r.left != 0)
			return -1;
		m->peer_ssn = 1;
		return 0;
	case LCP_EPDISC: {
		uint8_t class;

		if (rd_u8(&r, &class) < 0 || !ed_len_ok(class, r.left))
			return -1;
		m->ed_class = class;
		m->ed_len = (uint8_t)r.left;
		memcpy(m->ed, r.p, r.left);
		return 0;
	}
	}
	return -1;
}

void
mlppp_lcp_nak(sid_t s, uint8_t type, const struct rd *val)
{
	struct mlink *m = L(s);
	struct rd r = *val;
	uint16_t mrru;

	if (m == NULL)
		return;
	/* 5.1.1: a smaller MRRU we can take; a larger one we cannot. */
	if (type == LCP_MRRU && rd_u16(&r, &mrru) == 0 && mrru >= 128 &&
	    mrru <= MP_MRRU)
		m->our_mrru = mrru;
	else if (type == LCP_MRRU)
		m->send_mrru = 0;
	else if (type == LCP_EPDISC)
		m->send_ed = 0;
}

void
mlppp_lcp_rej(sid_t s, uint8_t type)
{
	struct mlink *m = L(s);

	if (m == NULL)
		return;
	if (type == LCP_MRRU) {
		/* 5.1.1: no multilink on this link. */
		m->send_mrru = 0;
		LOG(LOG_CALLS_L, s, session_get(s)->tunnel, "multilink: "
		    "the peer rejects MRRU");
	} else if (type == LCP_EPDISC)
		m->send_ed = 0;
}

int
mlppp_active(sid_t s)
{
	struct mlink *m = L(s);

	return config->multilink && m != NULL && m->send_mrru &&
	    m->peer_mrru_set;
}

/* ---- bundles ---- */

static void
set_shown(sid_t s, sid_t master)
{
	struct session *sp = session_get(s);

	if (sp != NULL)
		sp->bundle = master;
}

static void
show_bundle(const struct bundle *b)
{
	unsigned i;

	for (i = 0; i < b->nlinks; i++)
		set_shown(b->link[i], b->nlinks > 1 || b->detached ? b->owner :
		    0);
	if (b->detached)
		set_shown(b->owner, b->owner);
}

sid_t
mlppp_join(sid_t s)
{
	struct mlink *m = L(s);
	const struct session *sp = session_get(s);
	struct bundle *b, *fresh = NULL;
	unsigned i;

	if (!mlppp_active(s) || m->bundle)
		return s;
	for (i = 0; i < nbundles; i++) {
		const struct session *mp;

		b = &bundles[i];
		if (!b->in_use) {
			if (fresh == NULL)
				fresh = b;
			continue;
		}
		mp = session_live(b->owner);
		if (mp == NULL || mp->state == SESSION_CLOSING ||
		    strcmp(b->user, sp->user) != 0 ||
		    b->ed_class != m->ed_class || b->ed_len != m->ed_len ||
		    memcmp(b->ed, m->ed, m->ed_len) != 0)
			continue;
		if (b->nlinks >= MP_MAX_LINKS ||
		    b->tx_short != m->peer_ssn) {
			LOG(LOG_WARN_L, s, sp->tunnel, "multilink: \"%s\" "
			    "cannot join bundle of session %u (%s)", sp->user,
			    b->owner, b->nlinks >= MP_MAX_LINKS ?
			    "bundle full" : "other sequence number format");
			return 0;
		}
		m->bundle = (uint16_t)(i + 1);
		m->idx = (uint8_t)b->nlinks;
		b->link[b->nlinks++] = s;
		show_bundle(b);
		stats->mp_joins++;
		LOG(LOG_INFO_L, s, sp->tunnel, "multilink: \"%s\" joins the "
		    "bundle of session %u (%u links)", sp->user, b->owner,
		    b->nlinks);
		return b->owner;
	}
	if (fresh == NULL) {
		if (nbundles >= MAX_BUNDLES) {
			LOG(LOG_WARN_L, s, sp->tunnel, "multilink: no free "
			    "bundle: \"%s\" goes on alone", sp->user);
			return s;
		}
		fresh = &bundles[nbundles++];
	}
	b = fresh;
	memset(b, 0, sizeof(*b));
	b->rx = malloc(sizeof(*b->rx));
	if (b->rx == NULL)
		return s;
	/* What the peer sends us is long-numbered: we never ask for 18. */
	mp_reasm_init(b->rx, 0, m->our_mrru);
	b->in_use = 1;
	b->tx_short = m->peer_ssn;
	b->ed_class = m->ed_class;
	b->ed_len = m->ed_len;
	memcpy(b->ed, m->ed, m->ed_len);
	snprintf(b->user, sizeof(b->user), "%s", sp->user);
	b->peer_mrru = m->peer_mrru;
	b->link[0] = s;
	b->nlinks = 1;
	b->owner = s;
	m->bundle = (uint16_t)(b - bundles + 1);
	m->idx = 0;
	stats->mp_bundles++;
	LOG(LOG_CALLS_L, s, sp->tunnel, "multilink: new bundle for \"%s\" "
	    "(peer MRRU %u%s)", sp->user, m->peer_mrru, m->peer_ssn ?
	    ", short sequence numbers" : "");
	return s;
}

sid_t
mlppp_master(sid_t s)
{
	struct bundle *b = B(L(s));

	return b != NULL ? b->owner : s;
}

int
mlppp_others(sid_t s)
{
	struct bundle *b = B(L(s));

	return b != NULL && b->owner == s && !b->detached && b->nlinks >= 2;
}

sid_t
mlppp_carrier(sid_t s)
{
	struct bundle *b = B(L(s));

	return b != NULL && b->owner == s && b->detached && b->nlinks > 0 ?
	    b->link[0] : 0;
}

/* ---- upstream ---- */

static void
rebuilt(void *arg, const uint8_t *frame, size_t len)
{
	sid_t master = (sid_t)(uintptr_t)arg;

	ppp_bundle_input(master, frame, len);
}

/* The reassembler's counters since `was`, into the global ones. */
static void
count_rx(const struct mp_reasm_stats *was, const struct mp_reasm_stats *now)
{
	stats->mp_rx_fragments += now->fragments - was->fragments;
	stats->mp_rx_frames += now->frames - was->frames;
	stats->mp_rx_lost += now->lost - was->lost;
	stats->mp_rx_discarded += now->discarded - was->discarded;
	stats->mp_rx_overflow += now->overflow - was->overflow;
	stats->mp_rx_late += now->late - was->late;
	stats->mp_rx_bad += now->bad - was->bad;
	stats->mp_rx_too_big += now->too_big - was->too_big;
}

int
mlppp_input(sid_t s, const uint8_t *p, size_t len)
{
	struct mlink *m = L(s);
	struct bundle *b = B(m);
	struct mp_reasm_stats was;

	if (b == NULL || b->rx == NULL)
		return -1;
	was = b->rx->st;
	mp_reasm_input(b->rx, m->idx, p, len, rebuilt,
	    (void *)(uintptr_t)b->owner);
	/* The delivery may have ended the bundle (a frame ended it). */
	if (b->in_use && b->rx != NULL)
		count_rx(&was, &b->rx->st);
	return 0;
}

/* ---- downstream ---- */

/* The most one fragment may hold on link s: its MRU less the headers. */
static size_t
frag_room(sid_t s, int short_seq)
{
	size_t mtu = ppp_link_mtu(s), hdr = 2 + (short_seq ? 2 : 4);

	return mtu > hdr ? mtu - hdr : 0;
}

int
mlppp_send(sid_t s, const uint8_t *frame, size_t len)
{
	struct bundle *b = B(L(s));
	uint8_t buf[L2TP_DATA_HEADROOM + 2 + 4 + MP_FRAG_MAX];
	size_t share[MP_MAX_LINKS], max = (size_t)-1, off = 0;
	uint32_t w[MP_MAX_LINKS];
	unsigned i, n;

	if (b == NULL || b->owner != s || b->nlinks == 0)
		return 0;
	if (b->nlinks == 1) {
		/* One link left: whole frames without the MP header (RFC
		 * 1990 3), on the holder's own link the usual way. */
		if (!b->detached)
			return 0;
		if (dp_send_frame(b->link[0], (uint8_t *)(uintptr_t)frame,
		    len) == 0)
			stats->mp_tx_whole++;
		return 1;
	}
	for (i = 0; i < b->nlinks; i++) {
		size_t room = frag_room(b->link[i], b->tx_short);

		w[i] = session_get(b->link[i])->tx_speed;
		if (room < max)
			max = room;
	}
	if (max > MP_FRAG_MAX)
		max = MP_FRAG_MAX;
	n = mp_plan(len, w, b->nlinks, max, MP_SMALL, b->rr, share);
	if (n == 0 || len > b->peer_mrru + 2u) {
		stats->mp_tx_dropped++;
		return 1;
	}
	if (n == 1)
		stats->mp_tx_whole++;
	b->rr = (b->rr + 1) % b->nlinks;
	/* In link order: the sequence numbers follow the frame's order. */
	for (i = 0; i < b->nlinks; i++) {
		uint8_t *p = buf + L2TP_DATA_HEADROOM, flags = 0;
		size_t h;

		if (share[i] == 0)
			continue;
		if (off == 0)
			flags |= MP_B;
		if (off + share[i] == len)
			flags |= MP_E;
		p[0] = 0x00;
		p[1] = PPP_MP;
		h = mp_put_header(p + 2, b->tx_short, flags, b->tx_seq);
		b->tx_seq = (b->tx_seq + 1) & (b->tx_short ? 0xfffu :
		    0xffffffu);
		memcpy(p + 2 + h, frame + off, share[i]);
		off += share[i];
		if (dp_send_frame(b->link[i], p, 2 + h + share[i]) == 0)
			stats->mp_tx_fragments++;
	}
	return 1;
}

/* ---- the end of a link ---- */

/* Link slot idx leaves b's links: the others move down one slot. */
static void
unlink_slot(struct bundle *b, unsigned idx)
{
	unsigned i;

	if (b->rx != NULL) {
		struct mp_reasm_stats was = b->rx->st;

		mp_reasm_link_gone(b->rx, idx, rebuilt,
		    (void *)(uintptr_t)b->owner);
		count_rx(&was, &b->rx->st);
	}
	for (i = idx; i + 1 < b->nlinks; i++) {
		b->link[i] = b->link[i + 1];
		L(b->link[i])->idx = (uint8_t)i;
		if (b->rx != NULL) {
			b->rx->last[i] = b->rx->last[i + 1];
			b->rx->seen[i] = b->rx->seen[i + 1];
		}
	}
	b->nlinks--;
	if (b->rx != NULL)
		b->rx->seen[b->nlinks] = 0;
	b->rr = 0;
}

static void
bundle_free(struct bundle *b)
{
	free(b->rx);
	memset(b, 0, sizeof(*b));
	while (nbundles > 0 && !bundles[nbundles - 1].in_use)
		nbundles--;
}

void
mlppp_link_end(sid_t s)
{
	struct mlink *m = L(s);
	struct bundle *b = B(m);
	unsigned i, idx;

	if (b == NULL) {
		if (m != NULL)
			memset(m, 0, sizeof(*m));
		return;
	}
	idx = m->idx;
	set_shown(s, 0);
	if (s == b->owner) {
		sid_t members[MP_MAX_LINKS];
		unsigned n = 0;

		/* The master goes: so does the bundle, members and all. */
		for (i = 0; i < b->nlinks; i++) {
			if (b->link[i] == s)
				continue;
			members[n++] = b->link[i];
			L(b->link[i])->bundle = 0;
			set_shown(b->link[i], 0);
		}
		LOG(LOG_CALLS_L, s, session_get(s)->tunnel, "multilink: "
		    "bundle of \"%s\" ends (%u links)", b->user, b->nlinks);
		bundle_free(b);
		memset(m, 0, sizeof(*m));
		for (i = 0; i < n; i++)
			session_drop(members[i], TERM_ADMIN_RESET,
			    "multilink bundle ended");
		return;
	}
	/* A member leaves. */
	unlink_slot(b, idx);
	show_bundle(b);
	LOG(LOG_CALLS_L, s, session_get(s)->tunnel, "multilink: leaves the "
	    "bundle of session %u (%u links left)", b->owner, b->nlinks);
	memset(m, 0, sizeof(*m));
	/* The holder had no link of its own: with the last, it goes. */
	if (b->detached && b->nlinks == 0)
		session_drop(b->owner, TERM_LOST_CARRIER,
		    "multilink: the bundle's last link went");
}

/*
 * The master's link goes while the bundle has others: the master stays
 * as the holder of the bundle without a link (ppp.c and l2tp.c drop the
 * link's LCP and call).  1 when done.
 */
int
mlppp_detach(sid_t s)
{
	struct mlink *m = L(s);
	struct bundle *b = B(m);

	if (b == NULL || b->owner != s || b->detached || b->nlinks < 2)
		return 0;
	unlink_slot(b, m->idx);
	b->detached = 1;
	show_bundle(b);
	LOG(LOG_CALLS_L, s, session_get(s)->tunnel, "multilink: the first "
	    "link of \"%s\" goes; the bundle stays on %u link%s", b->user,
	    b->nlinks, b->nlinks == 1 ? "" : "s");
	return 1;
}
