/*
 * bgp.c - the BGP-4 speaker: announces this node's routes to the
 * configured neighbours (manual, "Routing" and "BGP").
 *
 * State owned: the neighbours (peers[], one per `neighbour` line, each
 * with its FSM, socket, timers, read buffer and send queue), the table
 * of routes to announce (`routes`) and the announce switches (cluster,
 * suspend).
 * Exports (bgp.h): bgp_init, bgp_reload, bgp_close, bgp_set_announce,
 * bgp_suspend, bgp_restart, bgp_show, bgp_session_route.  The stateless
 * message codec (parsers, checks, the attribute table, error names) is
 * in bgp_msg.c; this file builds the messages it sends from the peer's
 * state.
 *
 * Implements RFC 4271 (BGP-4: messages 4, errors 6, FSM 8, timers 10),
 * RFC 5492 (capabilities), RFC 6793 (4-octet AS numbers), RFC 4760
 * (multiprotocol: IPv4 and IPv6 unicast offered together), RFC 2918
 * (route refresh), RFC 4724 (graceful restart, as the restarting
 * speaker), RFC 7606 (revised UPDATE error handling), RFC 1997
 * (communities), RFC 4486 and RFC 6608 (NOTIFICATION subcodes).
 *
 * Announce-only: routes received are parsed, checked and counted per
 * peer, never installed.  The node connects out to each neighbour on
 * bgp_port (179) and does not listen: "Active" is the state where it
 * waits for the next connection attempt (bgp_connect_retry seconds).
 *
 * What is announced: bind_address/32, every block of the ip_pool file
 * (CIDR lines as they are, lone addresses as /32s), ipv6_prefix, and
 * each session's routes while the session is up (Framed-Route, the
 * delegated IPv6 prefix, an address outside the pool), except those a
 * pool block or ipv6_prefix already covers.
 *
 * Keeping off the packet loop: sockets are non-blocking (connect
 * included), every message is read by its length across any number of
 * reads into a per-peer buffer, and every message sent goes through a
 * per-peer queue flushed when the socket is writable; a peer whose
 * queue passes BGP_SENDQ_MAX is dropped.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "bgp.h"
#include "bgp_msg.h"
#include "config.h"
#include "event.h"
#include "log.h"
#include "rd.h"

#define BGP_OPENSENT_HOLD	240	/* RFC 4271 8.2.2: "large", 4 min */
#define BGP_SENDQ_MAX		(16u << 20)
#define BGP_READ_BUDGET		16	/* reads per readable event */
#define BGP_DEFAULT_KEEPALIVE	60
#define BGP_DEFAULT_HOLD	180

static const char *const state_names[] = {
	[BGP_ST_IDLE] = "Idle",
	[BGP_ST_CONNECT] = "Connect",
	[BGP_ST_ACTIVE] = "Active",
	[BGP_ST_OPENSENT] = "OpenSent",
	[BGP_ST_OPENCONFIRM] = "OpenConfirm",
	[BGP_ST_ESTABLISHED] = "Established",
};

static const char *const msg_names[] = {
	[BGP_OPEN] = "OPEN",
	[BGP_UPDATE] = "UPDATE",
	[BGP_NOTIFICATION] = "NOTIFICATION",
	[BGP_KEEPALIVE] = "KEEPALIVE",
	[BGP_ROUTE_REFRESH] = "ROUTE-REFRESH",
};

/* ---- the route table ---- */

struct pfx {
	uint8_t		af;		/* 4 or 6 */
	uint8_t		plen;
	uint8_t		a[16];
};

struct pset_ent {
	struct pfx	k;
	uint32_t	ref;		/* 0: empty or deleted */
	uint8_t		used;		/* 1 live, 2 tombstone */
};

struct pset {
	struct pset_ent	*e;
	uint32_t	 cap, n, tombs;
};

static uint32_t
pfx_hash(const struct pfx *k)
{
	const uint8_t *p = (const uint8_t *)k;
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < sizeof(*k); i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

static void
pfx_make(struct pfx *k, int af, const void *addr, int plen)
{
	int i, bytes = af == 4 ? 4 : 16;

	memset(k, 0, sizeof(*k));
	k->af = (uint8_t)af;
	k->plen = (uint8_t)plen;
	memcpy(k->a, addr, (size_t)bytes);
	/* Host bits off: the same prefix is the same key. */
	for (i = 0; i < bytes * 8; i++)
		if (i >= plen)
			k->a[i / 8] &= (uint8_t)~(0x80 >> (i % 8));
}

static struct pset_ent *
pset_find(const struct pset *s, const struct pfx *k, int for_insert)
{
	uint32_t i, mask;
	struct pset_ent *tomb = NULL;

	if (s->cap == 0)
		return NULL;
	mask = s->cap - 1;
	for (i = pfx_hash(k) & mask;; i = (i + 1) & mask) {
		struct pset_ent *e = &s->e[i];

		if (e->used == 0)
			return for_insert ? (tomb ? tomb : e) : NULL;
		if (e->used == 2) {
			if (tomb == NULL)
				tomb = e;
			continue;
		}
		if (memcmp(&e->k, k, sizeof(*k)) == 0)
			return e;
	}
}

static int
pset_grow(struct pset *s)
{
	struct pset old = *s;
	uint32_t i, cap = 64;

	/* Sized on the live entries: tombstones do not make it grow. */
	while (cap < (s->n + 1) * 2)
		cap *= 2;

	if ((s->e = calloc(cap, sizeof(*s->e))) == NULL) {
		*s = old;
		return -1;
	}
	s->cap = cap;
	s->n = s->tombs = 0;
	for (i = 0; i < old.cap; i++)
		if (old.e[i].used == 1) {
			struct pset_ent *e = pset_find(s, &old.e[i].k, 1);

			*e = old.e[i];
			s->n++;
		}
	free(old.e);
	return 0;
}

/* Add a reference; returns 1 if the prefix is new, 0 if known, -1. */
static int
pset_add(struct pset *s, const struct pfx *k)
{
	struct pset_ent *e;

	if ((s->n + s->tombs + 1) * 4 >= s->cap * 3 && pset_grow(s) < 0)
		return -1;
	e = pset_find(s, k, 1);
	if (e->used == 1) {
		e->ref++;
		return 0;
	}
	if (e->used == 2)
		s->tombs--;
	e->k = *k;
	e->ref = 1;
	e->used = 1;
	s->n++;
	return 1;
}

/* Drop a reference (all if `all`); returns 1 if the prefix went. */
static int
pset_del(struct pset *s, const struct pfx *k, int all)
{
	struct pset_ent *e = pset_find(s, k, 0);

	if (e == NULL)
		return 0;
	if (!all && --e->ref > 0)
		return 0;
	e->used = 2;
	e->ref = 0;
	s->n--;
	s->tombs++;
	return 1;
}

static void
pset_clear(struct pset *s)
{
	free(s->e);
	memset(s, 0, sizeof(*s));
}

/* ---- the speaker's state ---- */

struct bgp_peer {
	int		 used;
	struct bgp_neighbour cfg;	/* copy of the configuration */
	enum bgp_state	 state;
	int		 fd;
	int		 gen;		/* bumped at each close */
	int		 want_out;	/* EPOLLOUT registered */
	int		 stopped;	/* admin stop: no reconnect */
	int		 restarted;	/* first session since start: R bit */
	struct timer	 t_retry, t_hold, t_keepalive;
	uint16_t	 hold, keepalive;	/* negotiated, seconds */
	struct bgp_open	 open;		/* the peer's */
	int		 as4, ebgp, v4, v6;
	int		 announced;	/* our table is out to this peer */
	struct sockaddr_storage local;	/* our end once connected */
	uint8_t		 rbuf[2 * BGP_MAX_LEN];
	size_t		 rlen;
	uint8_t		*sbuf;
	size_t		 shead, slen, scap;	/* queued: sbuf[shead..slen) */
	struct pset	 rib_in;	/* received prefixes, counted */
	/* show bgp */
	time_t		 since;		/* entered the current state */
	uint64_t	 msgs_in, msgs_out, updates_in, updates_out;
	uint64_t	 withdraw_treated;	/* RFC 7606 treat-as-withdraw */
	uint32_t	 flaps;
	char		 last_error[128];
};

static struct bgp_peer peers[MAXBGPPEER];
static struct pset routes;		/* what we announce */
static int announce_on = 1;		/* the cluster's rule */
static char attr_last[CFG_STRLEN + 128];	/* route attributes announced */
static int suspended;			/* suspend bgp */
static int started;
static uint32_t local_as;
/* Static routes: pool blocks, bind_address, ipv6_prefix. */
static struct cover { int af; uint8_t a[16]; int plen; } *covers;
static int ncovers;

static void bgp_fsm(struct bgp_peer *, int ev);
static void fsm_error(struct bgp_peer *);
static void attr_snapshot(char *, size_t);
static void peer_readable(int fd, uint32_t events, void *arg);
static void send_table(struct bgp_peer *, int announce);

enum bgp_event {
	EV_START = 1,		/* manual or automatic start */
	EV_STOP,		/* manual stop */
	EV_TCP_OK,		/* connection established */
	EV_TCP_FAIL,		/* connection failed or closed */
	EV_RETRY_EXP,		/* ConnectRetry timer */
	EV_HOLD_EXP,
	EV_KEEPALIVE_EXP,
	EV_OPEN,		/* a valid OPEN (peer->open) */
	EV_KEEPALIVE,
	EV_UPDATE,
	EV_NOTIFICATION,
	EV_ROUTE_REFRESH,
};

static int
advertising(void)
{
	return announce_on && !suspended;
}

#define PLOG(level, p, ...) do {					\
	if ((level) <= log_level) {					\
		char _m[256];						\
		snprintf(_m, sizeof(_m), __VA_ARGS__);			\
		log_msg((level), 0, 0, "BGP %s: %s", (p)->cfg.name, _m);\
	}								\
} while (0)

const char *
bgp_state_name(int st)
{
	return st >= 0 && st <= BGP_ST_ESTABLISHED ? state_names[st] : "?";
}

/* STYLE 6: every state change goes through here, logged by name. */
static void
set_state(struct bgp_peer *p, enum bgp_state st)
{
	if (p->state == st)
		return;
	PLOG(st == BGP_ST_ESTABLISHED || p->state == BGP_ST_ESTABLISHED ?
	    LOG_WARN_L : LOG_INFO_L, p, "%s -> %s", state_names[p->state],
	    state_names[st]);
	if (p->state == BGP_ST_ESTABLISHED)
		p->flaps++;
	p->state = st;
	p->since = time_now;
}

static uint16_t
cfg_hold(const struct bgp_peer *p)
{
	return (uint16_t)(p->cfg.hold > 0 ? p->cfg.hold : BGP_DEFAULT_HOLD);
}

static uint16_t
cfg_keepalive(const struct bgp_peer *p)
{
	return (uint16_t)(p->cfg.keepalive > 0 ? p->cfg.keepalive :
	    BGP_DEFAULT_KEEPALIVE);
}

/* ---- sending ---- */

static int
flush_queue(struct bgp_peer *p)
{
	while (p->slen > p->shead) {
		ssize_t n = send(p->fd, p->sbuf + p->shead, p->slen - p->shead,
		    MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			return -1;
		}
		/* Advance the head; the queue is compacted when appending. */
		p->shead += (size_t)n;
	}
	if (p->shead == p->slen)
		p->shead = p->slen = 0;
	if ((p->slen > p->shead) != p->want_out) {
		p->want_out = p->slen > p->shead;
		ev_mod(p->fd, EPOLLIN | (p->want_out ? EPOLLOUT : 0));
	}
	return 0;
}

/* Queue one message of ours; -1 if the queue is over its limit. */
static int
send_msg(struct bgp_peer *p, const uint8_t *m, size_t len)
{
	/* Our own message, built by wr_header: the type is octet 18. */
	uint8_t type = len > BGP_HDR_LEN ? m[18] : 0;

	if (p->fd < 0)
		return -1;
	if (p->slen - p->shead + len > BGP_SENDQ_MAX) {
		snprintf(p->last_error, sizeof(p->last_error), "send queue "
		    "over %u bytes: peer not reading", BGP_SENDQ_MAX);
		return -1;
	}
	if (p->slen + len > p->scap && p->shead > 0) {
		memmove(p->sbuf, p->sbuf + p->shead, p->slen - p->shead);
		p->slen -= p->shead;
		p->shead = 0;
	}
	if (p->slen + len > p->scap) {
		size_t cap = p->scap ? p->scap : 8192;
		uint8_t *n;

		while (cap < p->slen + len)
			cap *= 2;
		if ((n = realloc(p->sbuf, cap)) == NULL)
			return -1;
		p->sbuf = n;
		p->scap = cap;
	}
	memcpy(p->sbuf + p->slen, m, len);
	p->slen += len;
	p->msgs_out++;
	if (type == BGP_UPDATE)
		p->updates_out++;
	if (!p->want_out)
		return flush_queue(p);
	return 0;
}

static void
send_keepalive(struct bgp_peer *p)
{
	uint8_t buf[BGP_HDR_LEN];
	struct wr w;
	size_t at;

	wr_init(&w, buf, sizeof(buf));
	at = bgp_wr_header(&w, BGP_KEEPALIVE);
	bgp_wr_finish(&w, at);
	send_msg(p, buf, w.len);
}

static void
send_notification(struct bgp_peer *p, const struct bgp_err *e)
{
	uint8_t buf[BGP_HDR_LEN + 2 + sizeof(e->data)];
	struct wr w;
	size_t at;

	wr_init(&w, buf, sizeof(buf));
	at = bgp_wr_header(&w, BGP_NOTIFICATION);
	wr_u8(&w, e->code);
	wr_u8(&w, e->sub);
	wr_bytes(&w, e->data, e->dlen);
	bgp_wr_finish(&w, at);
	snprintf(p->last_error, sizeof(p->last_error), "sent %s",
	    bgp_error_name(e->code, e->sub));
	PLOG(LOG_WARN_L, p, "NOTIFICATION sent: %s",
	    bgp_error_name(e->code, e->sub));
	/* Best effort, ahead of a close: bypass a full queue. */
	if (p->slen - p->shead + w.len <= BGP_SENDQ_MAX)
		send_msg(p, buf, w.len);
	else
		(void)!send(p->fd, buf, w.len, MSG_NOSIGNAL | MSG_DONTWAIT);
}

static uint32_t cluster_id;	/* bgp_set_router_id */

void
bgp_set_router_id(uint32_t addr)
{
	cluster_id = addr;
}

/*
 * Our BGP Identifier: a clustered node's own address (the nodes share
 * bind_address, and RFC 6286 2.1 wants identifiers unique within the
 * AS), else bind_address, else our end of the session.
 */
static uint32_t
router_id(const struct bgp_peer *p)
{
	if (cluster_id)
		return cluster_id;
	if (config->bind_address)
		return config->bind_address;
	if (p->local.ss_family == AF_INET)
		return ((const struct sockaddr_in *)&p->local)->sin_addr.s_addr;
	return htonl(0x01010101);
}

static void
send_open(struct bgp_peer *p)
{
	uint8_t buf[BGP_MAX_LEN];
	struct wr w;
	size_t at, opt, caps;
	uint32_t id = router_id(p);
	int gr = config->bgp_graceful_restart;

	wr_init(&w, buf, sizeof(buf));
	at = bgp_wr_header(&w, BGP_OPEN);
	wr_u8(&w, BGP_VERSION);
	/* RFC 6793 4.1: AS_TRANS in My AS when ours needs 4 octets. */
	wr_u16(&w, local_as > 0xffff ? BGP_AS_TRANS : (uint16_t)local_as);
	wr_u16(&w, cfg_hold(p));
	wr_bytes(&w, &id, 4);
	opt = w.len;
	wr_u8(&w, 0);			/* Opt Parm Len, patched below */
	wr_u8(&w, 2);			/* RFC 5492 4: Capabilities */
	caps = w.len;
	wr_u8(&w, 0);
	/* RFC 4760 8: IPv4 and IPv6 unicast, both, always. */
	wr_u8(&w, CAP_MP); wr_u8(&w, 4);
	wr_u16(&w, BGP_AFI_IPV4); wr_u8(&w, 0); wr_u8(&w, BGP_SAFI_UNICAST);
	wr_u8(&w, CAP_MP); wr_u8(&w, 4);
	wr_u16(&w, BGP_AFI_IPV6); wr_u8(&w, 0); wr_u8(&w, BGP_SAFI_UNICAST);
	wr_u8(&w, CAP_RR); wr_u8(&w, 0);	/* RFC 2918 2 */
	wr_u8(&w, CAP_AS4); wr_u8(&w, 4);	/* RFC 6793 3 */
	wr_u32(&w, local_as);
	if (gr > 0) {
		/*
		 * RFC 4724 3: Restart State set on the first session after
		 * a start (we restarted), Forwarding State set for both
		 * families: the data plane carries on through a restart
		 * with saved state, so the routers keep our stale routes
		 * until our End-of-RIB.
		 */
		wr_u8(&w, CAP_GR); wr_u8(&w, 2 + 8);
		wr_u16(&w, (uint16_t)((p->restarted ? 0x8000 : 0) |
		    (gr & 0x0fff)));
		wr_u16(&w, BGP_AFI_IPV4); wr_u8(&w, BGP_SAFI_UNICAST);
		wr_u8(&w, 0x80);
		wr_u16(&w, BGP_AFI_IPV6); wr_u8(&w, BGP_SAFI_UNICAST);
		wr_u8(&w, 0x80);
	}
	if (!w.err) {
		w.p[caps] = (uint8_t)(w.len - caps - 1);
		w.p[opt] = (uint8_t)(w.len - opt - 1);
	}
	bgp_wr_finish(&w, at);
	send_msg(p, buf, w.len);
}

/* The next hops of our routes towards `p`. */
static in_addr_t
nexthop4(const struct bgp_peer *p)
{
	if (config->nexthop_address)
		return config->nexthop_address;
	if (p->local.ss_family == AF_INET)
		return ((const struct sockaddr_in *)&p->local)->sin_addr.s_addr;
	return config->bind_address;
}

static void
nexthop6(const struct bgp_peer *p, struct in6_addr *a)
{
	static const struct in6_addr any = IN6ADDR_ANY_INIT;
	in_addr_t v4;

	if (memcmp(&config->nexthop6_address, &any, sizeof(any)) != 0) {
		*a = config->nexthop6_address;
		return;
	}
	if (p->local.ss_family == AF_INET6) {
		*a = ((const struct sockaddr_in6 *)&p->local)->sin6_addr;
		return;
	}
	/* An IPv4 session: the IPv4-mapped form of the IPv4 next hop
	 * (RFC 4291 2.5.5.2), as other speakers do. */
	v4 = nexthop4(p);
	memset(a, 0, sizeof(*a));
	a->s6_addr[10] = a->s6_addr[11] = 0xff;
	memcpy(&a->s6_addr[12], &v4, 4);
}

/* The path attributes of every route we announce (RFC 4271 5). */
static void
wr_attrs(struct wr *w, const struct bgp_peer *p, int af)
{
	uint32_t comm[32];
	int i, nc;

	/* ORIGIN IGP (5.1.1) */
	wr_u8(w, AF_TRANSITIVE); wr_u8(w, ATTR_ORIGIN); wr_u8(w, 1);
	wr_u8(w, 0);
	/* AS_PATH (5.1.2): empty towards an internal peer, our AS as one
	 * AS_SEQUENCE towards an external one; 2-octet ASes with AS_TRANS
	 * and AS4_PATH to a peer without the AS4 capability (RFC 6793 4.2). */
	wr_u8(w, AF_TRANSITIVE); wr_u8(w, ATTR_AS_PATH);
	if (!p->ebgp) {
		wr_u8(w, 0);
	} else if (p->as4) {
		wr_u8(w, 6); wr_u8(w, 2); wr_u8(w, 1); wr_u32(w, local_as);
	} else {
		wr_u8(w, 4); wr_u8(w, 2); wr_u8(w, 1);
		wr_u16(w, local_as > 0xffff ? BGP_AS_TRANS :
		    (uint16_t)local_as);
	}
	if (p->ebgp && !p->as4 && local_as > 0xffff) {
		wr_u8(w, AF_OPTIONAL | AF_TRANSITIVE); wr_u8(w, ATTR_AS4_PATH);
		wr_u8(w, 6); wr_u8(w, 2); wr_u8(w, 1); wr_u32(w, local_as);
	}
	if (af == 4) {
		in_addr_t nh = nexthop4(p);

		wr_u8(w, AF_TRANSITIVE); wr_u8(w, ATTR_NEXT_HOP); wr_u8(w, 4);
		wr_bytes(w, &nh, 4);
	}
	if (config->bgp_med >= 0) {	/* 5.1.4 */
		wr_u8(w, AF_OPTIONAL); wr_u8(w, ATTR_MED); wr_u8(w, 4);
		wr_u32(w, (uint32_t)config->bgp_med);
	}
	if (!p->ebgp) {			/* 5.1.5: internal peers only */
		wr_u8(w, AF_TRANSITIVE); wr_u8(w, ATTR_LOCAL_PREF);
		wr_u8(w, 4); wr_u32(w, 100);
	}
	nc = bgp_parse_communities(config->bgp_communities, comm, 32, NULL,
	    0);
	if (nc > 0) {			/* RFC 1997 */
		wr_u8(w, AF_OPTIONAL | AF_TRANSITIVE);
		wr_u8(w, ATTR_COMMUNITIES); wr_u8(w, (uint8_t)(nc * 4));
		for (i = 0; i < nc; i++)
			wr_u32(w, comm[i]);
	}
}

static void
wr_prefix(struct wr *w, const struct pfx *k)
{
	wr_u8(w, k->plen);
	wr_bytes(w, k->a, ((size_t)k->plen + 7) / 8);
}

/*
 * Send `n` prefixes of family `af` to `p`, announced or withdrawn, as
 * few UPDATEs as fit (RFC 4271 4.3; IPv6 in MP_REACH_NLRI /
 * MP_UNREACH_NLRI, RFC 4760 3, 4).  n == 0: End-of-RIB (RFC 4724 2).
 */
static int
send_prefixes(struct bgp_peer *p, int af, int announce,
    const struct pfx *const *list, size_t n)
{
	uint8_t buf[BGP_MAX_LEN];
	size_t i = 0;

	do {
		struct wr w;
		size_t at, alen_at, mp_at = 0, mp_len_at = 0, wd_at;

		wr_init(&w, buf, sizeof(buf));
		at = bgp_wr_header(&w, BGP_UPDATE);
		wd_at = w.len;
		wr_u16(&w, 0);			/* Withdrawn Routes Length */
		if (af == 4 && !announce) {
			while (i < n && w.len + 1 + 4 + 2 <= BGP_MAX_LEN)
				wr_prefix(&w, list[i++]);
			wr_put16_at(&w, wd_at, (uint16_t)(w.len - wd_at - 2));
		}
		alen_at = w.len;
		wr_u16(&w, 0);			/* Total Path Attribute Length */
		if (af == 4 && announce && n > 0) {
			wr_attrs(&w, p, 4);
			wr_put16_at(&w, alen_at, (uint16_t)(w.len - alen_at - 2));
			while (i < n && w.len + 1 + 4 <= BGP_MAX_LEN)
				wr_prefix(&w, list[i++]);
		} else if (af == 6) {
			struct in6_addr nh;

			if (announce && n > 0)
				wr_attrs(&w, p, 6);
			wr_u8(&w, AF_OPTIONAL | AF_EXTLEN);
			wr_u8(&w, announce && n > 0 ? ATTR_MP_REACH :
			    ATTR_MP_UNREACH);
			mp_len_at = w.len;
			wr_u16(&w, 0);
			mp_at = w.len;
			wr_u16(&w, BGP_AFI_IPV6);
			wr_u8(&w, BGP_SAFI_UNICAST);
			if (announce && n > 0) {
				nexthop6(p, &nh);
				wr_u8(&w, 16);
				wr_bytes(&w, &nh, 16);
				wr_u8(&w, 0);		/* Reserved */
			}
			while (i < n && w.len + 1 + 16 <= BGP_MAX_LEN)
				wr_prefix(&w, list[i++]);
			wr_put16_at(&w, mp_len_at, (uint16_t)(w.len - mp_at));
			wr_put16_at(&w, alen_at, (uint16_t)(w.len - alen_at - 2));
		}
		bgp_wr_finish(&w, at);
		if (w.err || send_msg(p, buf, w.len) < 0)
			return -1;
	} while (i < n);
	return 0;
}

/* Whether `p` takes family `af` (RFC 4760 8: IPv4 without any MP
 * capability is the default). */
static int
peer_af(const struct bgp_peer *p, int af)
{
	return af == 4 ? p->v4 : p->v6;
}

/* One route to every established peer that takes its family. */
static void
send_one(const struct pfx *k, int announce)
{
	int i;

	for (i = 0; i < MAXBGPPEER; i++) {
		struct bgp_peer *p = &peers[i];

		if (!p->used || p->state != BGP_ST_ESTABLISHED ||
		    !p->announced || !peer_af(p, k->af))
			continue;
		if (send_prefixes(p, k->af, announce, &k, 1) < 0)
			bgp_fsm(p, EV_TCP_FAIL);
	}
}

/* The whole table (one family at a time), then End-of-RIB if announcing. */
static void
send_table(struct bgp_peer *p, int announce)
{
	const struct pfx **list;
	size_t n, af;
	uint32_t i;

	if ((list = calloc(routes.n + 1, sizeof(*list))) == NULL) {
		bgp_fsm(p, EV_TCP_FAIL);
		return;
	}
	for (af = 4; af <= 6; af += 2) {
		if (!peer_af(p, (int)af))
			continue;
		for (n = 0, i = 0; i < routes.cap; i++)
			if (routes.e[i].used == 1 && routes.e[i].k.af == af)
				list[n++] = &routes.e[i].k;
		if ((n > 0 && send_prefixes(p, (int)af, announce, list, n) < 0)
		    || (announce && send_prefixes(p, (int)af, 0, NULL, 0) < 0)) {
			free(list);
			bgp_fsm(p, EV_TCP_FAIL);
			return;
		}
	}
	free(list);
	p->announced = announce;
}

/* ---- routes ---- */

static int
covered(const struct pfx *k)
{
	int i, j;

	for (i = 0; i < ncovers; i++) {
		const struct cover *c = &covers[i];

		if (c->af != k->af || c->plen > k->plen)
			continue;
		for (j = 0; j < c->plen; j++)
			if ((c->a[j / 8] ^ k->a[j / 8]) & (0x80 >> (j % 8)))
				break;
		if (j == c->plen)
			return 1;
	}
	return 0;
}

static void
route_add(int af, const void *addr, int plen, int is_static)
{
	struct pfx k;
	int r;

	pfx_make(&k, af, addr, plen);
	if (!is_static && covered(&k))
		return;
	if ((r = pset_add(&routes, &k)) < 0) {
		log_error("BGP: out of memory for the route table");
		return;
	}
	if (r == 1 && advertising())
		send_one(&k, 1);
}

static void
route_del(int af, const void *addr, int plen)
{
	struct pfx k;

	pfx_make(&k, af, addr, plen);
	if (covered(&k))
		return;
	if (pset_del(&routes, &k, 0) == 1 && advertising())
		send_one(&k, 0);
}

void
bgp_session_route(int add, uint32_t sid, int af, const void *addr, int plen)
{
	char a[INET6_ADDRSTRLEN];

	if (!started)
		return;
	inet_ntop(af == 4 ? AF_INET : AF_INET6, addr, a, sizeof(a));
	LOG(LOG_CALLS_L, sid, 0, "BGP: session route %s/%d %s", a, plen,
	    add ? "up" : "down");
	if (add)
		route_add(af, addr, plen, 0);
	else
		route_del(af, addr, plen);
}

static void
add_cover(int af, const void *a, int plen)
{
	struct cover *n = realloc(covers, (size_t)(ncovers + 1) * sizeof(*n));
	struct pfx k;

	if (n == NULL)
		return;
	covers = n;
	pfx_make(&k, af, a, plen);
	covers[ncovers].af = af;
	memcpy(covers[ncovers].a, k.a, 16);
	covers[ncovers].plen = plen;
	ncovers++;
}

/* A range of the pool as the fewest CIDR blocks. */
static void
add_range(uint32_t first, uint32_t last)
{
	for (;;) {
		int plen = 32;
		uint64_t next;
		in_addr_t net;

		/* The largest aligned block from `first` within the range. */
		while (plen > 1) {
			int np = plen - 1;
			uint32_t mask = 0xffffffffu << (32 - np);

			if ((first & ~mask) != 0 ||
			    (uint64_t)first + (1ull << (32 - np)) - 1 > last)
				break;
			plen = np;
		}
		net = htonl(first);
		add_cover(4, &net, plen);
		route_add(4, &net, plen, 1);
		next = (uint64_t)first + (1ull << (32 - plen));
		if (next > last)
			break;
		first = (uint32_t)next;
	}
}

static void
static_routes(const struct pool_file *pool)
{
	int i, j;

	if (config->bind_address) {
		add_cover(4, &config->bind_address, 32);
		route_add(4, &config->bind_address, 32, 1);
	}
	for (i = 0; pool && i < pool->nroutes; i++)
		add_range(pool->routes[i].first, pool->routes[i].last);
	/* Addresses of the pool outside its CIDR lines (lone addresses). */
	for (i = 0; pool && i < pool->n; i++) {
		uint32_t a = pool->range[i].first, b = pool->range[i].last;
		uint32_t x;

		for (x = a;; x++) {
			int in = 0;

			for (j = 0; j < pool->nroutes && !in; j++)
				in = x >= pool->routes[j].first &&
				    x <= pool->routes[j].last;
			if (!in)
				add_range(x, x);
			if (x == b)
				break;
		}
	}
	if (config->ipv6_prefix.plen > 0) {
		add_cover(6, &config->ipv6_prefix.addr,
		    config->ipv6_prefix.plen);
		route_add(6, &config->ipv6_prefix.addr,
		    config->ipv6_prefix.plen, 1);
	}
}

uint32_t
bgp_route_count(void)
{
	return routes.n;
}

/* ---- connections ---- */

static void
peer_close(struct bgp_peer *p)
{
	if (p->fd >= 0) {
		flush_queue(p);
		ev_del(p->fd);
		close(p->fd);
	}
	p->fd = -1;
	p->gen++;
	p->want_out = 0;
	p->rlen = 0;
	p->slen = p->shead = 0;
	p->announced = 0;
	free(p->sbuf);
	p->sbuf = NULL;
	p->scap = 0;
	timer_cancel(&p->t_hold);
	timer_cancel(&p->t_keepalive);
	pset_clear(&p->rib_in);
}

/* Fail to the state after an error: Idle, reconnecting after the delay. */
static void
peer_fail(struct bgp_peer *p, const struct bgp_err *e)
{
	if (e != NULL)
		send_notification(p, e);
	peer_close(p);
	set_state(p, BGP_ST_IDLE);
	if (!p->stopped)
		timer_set(&p->t_retry, (uint64_t)config->bgp_connect_retry *
		    1000);
}

static int
resolve(struct bgp_peer *p, struct sockaddr_storage *ss, socklen_t *len)
{
	struct addrinfo hints, *res;
	char port[8];
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	snprintf(port, sizeof(port), "%d", config->bgp_port);
	if ((rc = getaddrinfo(p->cfg.name, port, &hints, &res)) != 0) {
		snprintf(p->last_error, sizeof(p->last_error), "cannot "
		    "resolve: %s", gai_strerror(rc));
		return -1;
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

/* RFC 4271 8.2.2 Idle, ManualStart: a non-blocking connect. */
static int
peer_connect(struct bgp_peer *p)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd, tos = IPTOS_PREC_INTERNETCONTROL;

	if (resolve(p, &ss, &sl) < 0)
		return -1;
	if ((fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) < 0)
		goto fail;
	if (ss.ss_family == AF_INET)
		setsockopt(fd, IPPROTO_IP, IP_TOS, &tos, sizeof(tos));
	if (p->cfg.update_source[0] && ss.ss_family == AF_INET) {
		struct sockaddr_in src;

		memset(&src, 0, sizeof(src));
		src.sin_family = AF_INET;
		if (inet_pton(AF_INET, p->cfg.update_source,
		    &src.sin_addr) == 1 && bind(fd, (struct sockaddr *)&src,
		    sizeof(src)) < 0)
			goto fail;
	}
	if (connect(fd, (struct sockaddr *)&ss, sl) < 0 &&
	    errno != EINPROGRESS)
		goto fail;
	if (ev_add(fd, EPOLLOUT, peer_readable, p) < 0)
		goto fail;
	p->fd = fd;
	p->want_out = 1;
	return 0;
fail:
	snprintf(p->last_error, sizeof(p->last_error), "connect: %s",
	    strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

/* ---- input: triage by type (STYLE 5) ---- */

/* Received prefixes: counted in the peer's rib_in. */
static void
count_prefix(void *arg, int announce, int af, const uint8_t *a, int plen)
{
	struct bgp_peer *p = arg;
	struct pfx k;

	pfx_make(&k, af, a, plen);
	if (announce)
		pset_add(&p->rib_in, &k);
	else
		pset_del(&p->rib_in, &k, 1);
}

static int
recv_update(struct bgp_peer *p, const uint8_t *body, size_t len)
{
	struct bgp_err e;
	int rc;

	memset(&e, 0, sizeof(e));
	rc = bgp_parse_update(body, len, p->as4, p->ebgp, count_prefix, p, &e);
	if (rc < 0) {
		peer_fail(p, &e);
		return -1;
	}
	if (rc == 1) {
		/* RFC 7606 2: the session stays; the routes are withdrawn. */
		p->withdraw_treated++;
		snprintf(p->last_error, sizeof(p->last_error), "received a "
		    "malformed UPDATE, treated as withdraw: %s",
		    bgp_error_name(e.code, e.sub));
		PLOG(LOG_WARN_L, p, "%s", p->last_error);
	}
	bgp_fsm(p, EV_UPDATE);
	return 0;
}

/* One whole message, checked by bgp_check_header; -1 if the peer was
 * closed. */
static int
recv_msg(struct bgp_peer *p, uint8_t type, const uint8_t *m, size_t len)
{
	const uint8_t *body = m + BGP_HDR_LEN;
	size_t blen = len - BGP_HDR_LEN;
	uint8_t code, sub;
	struct bgp_err e;
	int gen = p->gen;

	memset(&e, 0, sizeof(e));
	p->msgs_in++;
	LOG(LOG_PACKET_L, 0, 0, "BGP %s: received %s, %zu octets",
	    p->cfg.name, msg_names[type], len);
	switch (type) {
	case BGP_OPEN:
		if (p->state != BGP_ST_OPENSENT)
			break;		/* the FSM sends the FSM error */
		if (bgp_parse_open(body, blen, p->cfg.remote_as, &p->open,
		    &e) < 0) {
			snprintf(p->last_error, sizeof(p->last_error),
			    "bad OPEN");
			peer_fail(p, &e);
			return -1;
		}
		bgp_fsm(p, EV_OPEN);
		return gen == p->gen ? 0 : -1;
	case BGP_UPDATE:
		if (p->state != BGP_ST_ESTABLISHED)
			break;
		p->updates_in++;
		if (recv_update(p, body, blen) < 0)
			return -1;
		return gen == p->gen ? 0 : -1;
	case BGP_NOTIFICATION:
		if (bgp_parse_notification(body, blen, &code, &sub) == 0) {
			snprintf(p->last_error, sizeof(p->last_error),
			    "received %s", bgp_error_name(code, sub));
			PLOG(LOG_WARN_L, p, "NOTIFICATION received: %s",
			    bgp_error_name(code, sub));
		}
		bgp_fsm(p, EV_NOTIFICATION);
		return -1;
	case BGP_KEEPALIVE:
		bgp_fsm(p, EV_KEEPALIVE);
		return gen == p->gen ? 0 : -1;
	case BGP_ROUTE_REFRESH: {
		struct rd r;
		uint16_t afi;
		uint8_t res, safi;

		if (p->state != BGP_ST_ESTABLISHED)
			break;
		rd_init(&r, body, blen);
		if (rd_u16(&r, &afi) < 0 || rd_u8(&r, &res) < 0 ||
		    rd_u8(&r, &safi) < 0)
			return 0;
		/* RFC 2918 4: a family we did not offer is ignored. */
		if (safi == BGP_SAFI_UNICAST && (afi == BGP_AFI_IPV4 ||
		    afi == BGP_AFI_IPV6))
			bgp_fsm(p, EV_ROUTE_REFRESH);
		return gen == p->gen ? 0 : -1;
	}
	}
	/* A message the state does not expect: RFC 4271 8.2.2 / 6608. */
	fsm_error(p);
	return -1;
}

static void
peer_readable(int fd, uint32_t events, void *arg)
{
	struct bgp_peer *p = arg;
	int gen = p->gen, reads;

	if (p->state == BGP_ST_CONNECT) {
		int err = 0;
		socklen_t el = sizeof(err);
		socklen_t sl = sizeof(p->local);

		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0)
			err = errno;
		if (err != 0) {
			snprintf(p->last_error, sizeof(p->last_error),
			    "connect: %s", strerror(err));
			bgp_fsm(p, EV_TCP_FAIL);
			return;
		}
		getsockname(fd, (struct sockaddr *)&p->local, &sl);
		p->want_out = 0;
		ev_mod(fd, EPOLLIN);
		bgp_fsm(p, EV_TCP_OK);
		return;
	}
	if ((events & EPOLLOUT) && flush_queue(p) < 0) {
		snprintf(p->last_error, sizeof(p->last_error), "send: %s",
		    strerror(errno));
		bgp_fsm(p, EV_TCP_FAIL);
		return;
	}
	if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return;
	for (reads = 0; reads < BGP_READ_BUDGET && gen == p->gen; reads++) {
		ssize_t n = recv(fd, p->rbuf + p->rlen, sizeof(p->rbuf) -
		    p->rlen, 0);
		size_t off = 0;

		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(p->last_error, sizeof(p->last_error), "%s",
			    n == 0 ? "connection closed by the peer" :
			    strerror(errno));
			bgp_fsm(p, EV_TCP_FAIL);
			return;
		}
		p->rlen += (size_t)n;
		/* Every whole message in the buffer, by its length field. */
		while (gen == p->gen) {
			struct bgp_err e;
			uint8_t type = 0;
			int len;

			memset(&e, 0, sizeof(e));
			len = bgp_check_header(p->rbuf + off, p->rlen - off,
			    &type, &e);
			if (len < 0) {
				peer_fail(p, &e);
				return;
			}
			if (len == 0 || p->rlen - off < (size_t)len)
				break;
			if (recv_msg(p, type, p->rbuf + off, (size_t)len) < 0)
				return;
			off += (size_t)len;
		}
		if (gen != p->gen)
			return;
		memmove(p->rbuf, p->rbuf + off, p->rlen - off);
		p->rlen -= off;
	}
}

/* ---- timers ---- */

static void
retry_fire(struct timer *t, void *arg)
{
	(void)t;
	bgp_fsm(arg, EV_RETRY_EXP);
}

static void
hold_fire(struct timer *t, void *arg)
{
	(void)t;
	bgp_fsm(arg, EV_HOLD_EXP);
}

static void
keepalive_fire(struct timer *t, void *arg)
{
	(void)t;
	bgp_fsm(arg, EV_KEEPALIVE_EXP);
}

static void
hold_restart(struct bgp_peer *p)
{
	if (p->hold > 0)
		timer_set(&p->t_hold, (uint64_t)p->hold * 1000);
}

/* ---- the FSM (RFC 4271 8.2.2), one function (STYLE 6) ---- */

static void
fsm_error(struct bgp_peer *p)
{
	struct bgp_err e;
	uint8_t sub = p->state == BGP_ST_OPENSENT ? 1 :
	    p->state == BGP_ST_OPENCONFIRM ? 2 : 3;

	/* RFC 6608 4: the subcode names the state. */
	memset(&e, 0, sizeof(e));
	e.code = BGP_ERR_FSM;
	e.sub = sub;
	peer_fail(p, &e);
}

/*
 * The peer's OPEN was good in OpenSent: agree the timers and what the
 * session carries, answer with a KEEPALIVE, enter OpenConfirm.
 */
static void
open_received(struct bgp_peer *p)
{
	uint16_t hold = cfg_hold(p);
	char id[INET_ADDRSTRLEN];

	/* 4.2: the smaller of the two hold times; keepalive a third of it
	 * at most (10.). */
	if (p->open.hold < hold)
		hold = p->open.hold;
	p->hold = hold;
	p->keepalive = hold == 0 ? 0 : cfg_keepalive(p) <= hold / 3 ?
	    cfg_keepalive(p) : (uint16_t)(hold / 3 ? hold / 3 : 1);
	p->as4 = p->open.cap_as4;
	p->ebgp = p->cfg.remote_as != local_as;
	p->v4 = !p->open.cap_any_mp || p->open.cap_mp4;
	p->v6 = p->open.cap_mp6;
	inet_ntop(AF_INET, &p->open.id, id, sizeof(id));
	PLOG(LOG_INFO_L, p, "OPEN: AS %u, hold %u, id %s, "
	    "capabilities:%s%s%s%s%s", p->open.as, p->open.hold, id,
	    p->open.cap_mp4 ? " ipv4" : "",
	    p->open.cap_mp6 ? " ipv6" : "",
	    p->open.cap_as4 ? " as4" : "",
	    p->open.cap_rr ? " route-refresh" : "",
	    p->open.cap_gr ? " graceful-restart" : "");
	send_keepalive(p);
	timer_cancel(&p->t_hold);
	hold_restart(p);
	if (p->keepalive > 0)
		timer_set(&p->t_keepalive, (uint64_t)p->keepalive * 1000);
	set_state(p, BGP_ST_OPENCONFIRM);
}

static void
bgp_fsm(struct bgp_peer *p, int ev)
{
	struct bgp_err e;

	memset(&e, 0, sizeof(e));
	switch (ev) {
	case EV_START:
		if (p->state != BGP_ST_IDLE && p->state != BGP_ST_ACTIVE)
			return;
		timer_cancel(&p->t_retry);
		p->stopped = 0;
		if (peer_connect(p) < 0) {
			PLOG(LOG_INFO_L, p, "%s", p->last_error);
			set_state(p, BGP_ST_ACTIVE);
			timer_set(&p->t_retry, (uint64_t)config->bgp_connect_retry
			    * 1000);
			return;
		}
		set_state(p, BGP_ST_CONNECT);
		/* The ConnectRetry timer bounds the connect too. */
		timer_set(&p->t_retry, (uint64_t)config->bgp_connect_retry *
		    1000 + 5000);
		return;
	case EV_STOP:
		p->stopped = 1;
		timer_cancel(&p->t_retry);
		peer_close(p);
		set_state(p, BGP_ST_IDLE);
		return;
	case EV_RETRY_EXP:
		if (p->state == BGP_ST_CONNECT) {
			snprintf(p->last_error, sizeof(p->last_error),
			    "connect: timed out");
			peer_close(p);
			set_state(p, BGP_ST_ACTIVE);
		}
		if (p->state == BGP_ST_IDLE || p->state == BGP_ST_ACTIVE)
			bgp_fsm(p, EV_START);
		return;
	case EV_TCP_OK:
		if (p->state != BGP_ST_CONNECT)
			return;
		timer_cancel(&p->t_retry);
		send_open(p);
		/* 8.2.2: a large hold time until the OPEN comes. */
		timer_set(&p->t_hold, BGP_OPENSENT_HOLD * 1000);
		set_state(p, BGP_ST_OPENSENT);
		return;
	case EV_TCP_FAIL:
		if (p->state == BGP_ST_CONNECT) {
			PLOG(LOG_INFO_L, p, "%s", p->last_error);
			peer_close(p);
			set_state(p, BGP_ST_ACTIVE);
			timer_set(&p->t_retry, (uint64_t)config->bgp_connect_retry
			    * 1000);
			return;
		}
		if (p->state == BGP_ST_IDLE)
			return;
		PLOG(LOG_WARN_L, p, "%s", p->last_error);
		peer_fail(p, NULL);
		return;
	case EV_HOLD_EXP:
		if (p->state < BGP_ST_OPENSENT)
			return;
		snprintf(p->last_error, sizeof(p->last_error), "hold timer "
		    "expired");
		e.code = BGP_ERR_HOLD;
		peer_fail(p, &e);
		return;
	case EV_KEEPALIVE_EXP:
		if (p->state != BGP_ST_OPENCONFIRM &&
		    p->state != BGP_ST_ESTABLISHED)
			return;
		send_keepalive(p);
		if (p->keepalive > 0)
			timer_set_at(&p->t_keepalive, p->t_keepalive.when +
			    (uint64_t)p->keepalive * 1000);
		return;
	case EV_OPEN:
		if (p->state != BGP_ST_OPENSENT) {
			fsm_error(p);
			return;
		}
		open_received(p);
		return;
	case EV_KEEPALIVE:
		if (p->state == BGP_ST_OPENCONFIRM) {
			hold_restart(p);
			set_state(p, BGP_ST_ESTABLISHED);
			p->restarted = 0;
			p->last_error[0] = '\0';
			if (advertising())
				send_table(p, 1);
			else if (p->v4 || p->v6) {
				/* Nothing to say, but say so (RFC 4724 2). */
				if (p->v4)
					send_prefixes(p, 4, 0, NULL, 0);
				if (p->v6)
					send_prefixes(p, 6, 0, NULL, 0);
			}
			return;
		}
		if (p->state == BGP_ST_ESTABLISHED) {
			hold_restart(p);
			return;
		}
		fsm_error(p);
		return;
	case EV_UPDATE:
		if (p->state != BGP_ST_ESTABLISHED) {
			fsm_error(p);
			return;
		}
		hold_restart(p);
		return;
	case EV_ROUTE_REFRESH:
		/* RFC 2918 4: re-advertise the Adj-RIB-Out. */
		hold_restart(p);
		if (advertising())
			send_table(p, 1);
		return;
	case EV_NOTIFICATION:
		peer_fail(p, NULL);
		return;
	}
}

/* ---- life ---- */

static void
peer_setup(struct bgp_peer *p, const struct bgp_neighbour *n)
{
	memset(p, 0, sizeof(*p));
	p->used = 1;
	p->cfg = *n;
	p->fd = -1;
	p->restarted = 1;
	p->since = time_now;
	timer_init(&p->t_retry, retry_fire, p);
	timer_init(&p->t_hold, hold_fire, p);
	timer_init(&p->t_keepalive, keepalive_fire, p);
}

static void
peer_remove(struct bgp_peer *p, uint8_t sub)
{
	struct bgp_err e;

	memset(&e, 0, sizeof(e));
	e.code = BGP_ERR_CEASE;
	e.sub = sub;
	if (p->state >= BGP_ST_OPENSENT)
		send_notification(p, &e);
	bgp_fsm(p, EV_STOP);
	timer_cancel(&p->t_retry);
	p->used = 0;
}

static void
start_peers(void)
{
	int i;

	for (i = 0; i < config->bgp.npeers && i < MAXBGPPEER; i++) {
		struct bgp_peer *p = &peers[i];

		peer_setup(p, &config->bgp.peer[i]);
		PLOG(LOG_INFO_L, p, "neighbour, remote-as %u",
		    p->cfg.remote_as);
		bgp_fsm(p, EV_START);
	}
}

int
bgp_init(const struct pool_file *pool)
{
	started = 1;
	local_as = config->bgp.as;
	attr_snapshot(attr_last, sizeof(attr_last));
	static_routes(pool);
	if (local_as == 0)
		return 0;
	log_info("BGP: AS %u, %d neighbour%s, %u routes to announce",
	    local_as, config->bgp.npeers, config->bgp.npeers == 1 ? "" : "s",
	    routes.n);
	start_peers();
	return 0;
}

/* What the routes look like, to resend them when it changes. */
static void
attr_snapshot(char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	inet_ntop(AF_INET6, &config->nexthop6_address, a, sizeof(a));
	snprintf(buf, len, "%u %d %s %s", config->nexthop_address,
	    config->bgp_med, config->bgp_communities, a);
}

void
bgp_reload(void)
{
	char now[sizeof(attr_last)];
	int i, j;

	if (!started)
		return;
	attr_snapshot(now, sizeof(now));
	if (config->bgp.as != local_as) {
		/* A new AS: every session starts again. */
		for (i = 0; i < MAXBGPPEER; i++)
			if (peers[i].used)
				peer_remove(&peers[i], BGP_CEASE_CONFIG);
		local_as = config->bgp.as;
		if (local_as)
			start_peers();
		memcpy(attr_last, now, sizeof(attr_last));
		return;
	}
	/* Peers gone or changed. */
	for (i = 0; i < MAXBGPPEER; i++) {
		struct bgp_peer *p = &peers[i];
		const struct bgp_neighbour *n = NULL;

		if (!p->used)
			continue;
		for (j = 0; j < config->bgp.npeers; j++)
			if (strcmp(config->bgp.peer[j].name, p->cfg.name) == 0)
				n = &config->bgp.peer[j];
		if (n == NULL) {
			PLOG(LOG_WARN_L, p, "removed from the configuration");
			peer_remove(p, BGP_CEASE_DECONFIG);
		} else if (memcmp(n, &p->cfg, sizeof(*n)) != 0) {
			PLOG(LOG_WARN_L, p, "configuration changed: restarting");
			peer_remove(p, BGP_CEASE_CONFIG);
		}
	}
	/* Peers new or restarted. */
	for (j = 0; j < config->bgp.npeers; j++) {
		const struct bgp_neighbour *n = &config->bgp.peer[j];
		int found = 0, free_slot = -1;

		for (i = 0; i < MAXBGPPEER; i++) {
			if (peers[i].used && strcmp(peers[i].cfg.name,
			    n->name) == 0)
				found = 1;
			if (!peers[i].used && free_slot < 0)
				free_slot = i;
		}
		if (found || free_slot < 0)
			continue;
		peer_setup(&peers[free_slot], n);
		PLOG(LOG_INFO_L, &peers[free_slot], "neighbour, remote-as %u",
		    n->remote_as);
		bgp_fsm(&peers[free_slot], EV_START);
	}
	/* New attributes: announce everything again (an implicit replace). */
	if (strcmp(attr_last, now) != 0 && advertising())
		for (i = 0; i < MAXBGPPEER; i++)
			if (peers[i].used &&
			    peers[i].state == BGP_ST_ESTABLISHED)
				send_table(&peers[i], 1);
	memcpy(attr_last, now, sizeof(attr_last));
}

void
bgp_close(int graceful)
{
	int i;

	for (i = 0; i < MAXBGPPEER; i++) {
		struct bgp_peer *p = &peers[i];

		if (!p->used)
			continue;
		if (graceful && config->bgp_graceful_restart > 0 &&
		    p->open.cap_gr && p->state == BGP_ST_ESTABLISHED) {
			/* RFC 4724 4.2: the TCP session ends without a
			 * NOTIFICATION; the routers keep our routes. */
			PLOG(LOG_WARN_L, p, "closing for a graceful restart "
			    "(%d s)", config->bgp_graceful_restart);
			bgp_fsm(p, EV_STOP);
		} else
			peer_remove(p, BGP_CEASE_SHUTDOWN);
		p->used = 0;
	}
	pset_clear(&routes);
	free(covers);
	covers = NULL;
	ncovers = 0;
	started = 0;
}

static void
advertise_changed(int was)
{
	int i, now = advertising();

	if (was == now)
		return;
	if (local_as)
		log_warnx("BGP: %s every route", now ? "announcing" :
		    "withdrawing");
	for (i = 0; i < MAXBGPPEER; i++)
		if (peers[i].used && peers[i].state == BGP_ST_ESTABLISHED &&
		    peers[i].announced != now)
			send_table(&peers[i], now);
}

void
bgp_set_announce(int on)
{
	int was = advertising();

	announce_on = on != 0;
	advertise_changed(was);
}

void
bgp_suspend(int on)
{
	int was = advertising();

	suspended = on != 0;
	advertise_changed(was);
}

int
bgp_restart(const char *name)
{
	int i, n = 0;

	for (i = 0; i < MAXBGPPEER; i++) {
		struct bgp_peer *p = &peers[i];
		struct bgp_err e;

		if (!p->used || (name && *name && strcmp(name, p->cfg.name)))
			continue;
		memset(&e, 0, sizeof(e));
		e.code = BGP_ERR_CEASE;
		e.sub = BGP_CEASE_RESET;
		if (p->state >= BGP_ST_OPENSENT)
			send_notification(p, &e);
		bgp_fsm(p, EV_STOP);
		PLOG(LOG_WARN_L, p, "restarted by hand");
		bgp_fsm(p, EV_START);
		n++;
	}
	return n;
}

int
bgp_peer_state(const char *name)
{
	int i;

	for (i = 0; i < MAXBGPPEER; i++)
		if (peers[i].used && strcmp(peers[i].cfg.name, name) == 0)
			return peers[i].state;
	return -1;
}

/* Prefixes out to a peer: the table's routes of the families it takes. */
static uint32_t
prefixes_out(const struct bgp_peer *p)
{
	uint32_t i, n = 0;

	if (!p->announced || p->state != BGP_ST_ESTABLISHED)
		return 0;
	for (i = 0; i < routes.cap; i++)
		if (routes.e[i].used == 1 && peer_af(p, routes.e[i].k.af))
			n++;
	return n;
}

static void
json_str(char *out, size_t len, const char *s)
{
	size_t o = 0;

	for (; *s && o + 7 < len; s++) {
		if (*s == '"' || *s == '\\') {
			out[o++] = '\\';
			out[o++] = *s;
		} else if ((unsigned char)*s < 0x20)
			o += (size_t)snprintf(out + o, len - o, "\\u%04x",
			    (unsigned char)*s);
		else
			out[o++] = *s;
	}
	out[o] = '\0';
}

int
bgp_show(const char *name, int json, void (*out)(void *, const char *),
    void *arg)
{
	char line[1024], err[256], nm[160];
	int i, n = 0, found = 0;

	for (i = 0; name && *name && i < MAXBGPPEER; i++)
		if (peers[i].used && strcmp(peers[i].cfg.name, name) == 0)
			found = 1;
	if (name && *name && !found)
		return -1;
	if (json) {
		snprintf(line, sizeof(line), "{\"as\":%u,\"announcing\":%s,"
		    "\"suspended\":%s,\"cluster_announce\":%s,\"routes\":%u,"
		    "\"peers\":[", local_as, advertising() ? "true" : "false",
		    suspended ? "true" : "false", announce_on ? "true" :
		    "false", routes.n);
		out(arg, line);
	} else {
		if (local_as == 0) {
			out(arg, "BGP: not configured (no router bgp).");
			return 0;
		}
		snprintf(line, sizeof(line), "BGP: router bgp %u, %u route%s "
		    "to announce, %s%s", local_as, routes.n, routes.n == 1 ? "" :
		    "s", advertising() ? "announcing" : "withdrawn",
		    suspended ? " (suspended)" : !announce_on ?
		    " (cluster master with enough slaves)" : "");
		out(arg, line);
	}
	for (i = 0; i < MAXBGPPEER; i++) {
		const struct bgp_peer *p = &peers[i];
		long up = (long)(time_now - p->since);

		if (!p->used || (name && *name && strcmp(name, p->cfg.name)))
			continue;
		if (json) {
			json_str(err, sizeof(err), p->last_error);
			json_str(nm, sizeof(nm), p->cfg.name);
			snprintf(line, sizeof(line), "%s{\"peer\":\"%s\","
			    "\"remote_as\":%u,\"state\":\"%s\","
			    "\"state_seconds\":%ld,\"hold\":%u,"
			    "\"keepalive\":%u,\"msgs_in\":%llu,"
			    "\"msgs_out\":%llu,\"updates_in\":%llu,"
			    "\"updates_out\":%llu,\"prefixes_in\":%u,"
			    "\"prefixes_out\":%u,\"treat_as_withdraw\":%llu,"
			    "\"flaps\":%u,\"ipv4\":%s,\"ipv6\":%s,"
			    "\"send_queue\":%zu,"
			    "\"last_error\":\"%s\"}", n++ ? "," : "", nm,
			    p->cfg.remote_as, state_names[p->state], up,
			    p->hold, p->keepalive,
			    (unsigned long long)p->msgs_in,
			    (unsigned long long)p->msgs_out,
			    (unsigned long long)p->updates_in,
			    (unsigned long long)p->updates_out,
			    p->rib_in.n, prefixes_out(p),
			    (unsigned long long)p->withdraw_treated, p->flaps,
			    p->v4 ? "true" : "false",
			    p->v6 ? "true" : "false", p->slen - p->shead, err);
			out(arg, line);
			continue;
		}
		snprintf(line, sizeof(line), "Neighbour %s remote-as %u: %s "
		    "for %ldd%02ld:%02ld:%02ld%s", p->cfg.name,
		    p->cfg.remote_as, state_names[p->state], up / 86400,
		    up / 3600 % 24, up / 60 % 60, up % 60,
		    p->state == BGP_ST_ESTABLISHED ? "" : "");
		out(arg, line);
		if (p->state == BGP_ST_ESTABLISHED) {
			snprintf(line, sizeof(line), "  hold %u s, keepalive "
			    "%u s, %s%s%s", p->hold, p->keepalive,
			    p->ebgp ? "external" : "internal",
			    p->v4 ? ", ipv4" : "", p->v6 ? ", ipv6" : "");
			out(arg, line);
		}
		snprintf(line, sizeof(line), "  messages in %llu out %llu, "
		    "updates in %llu out %llu", (unsigned long long)p->msgs_in,
		    (unsigned long long)p->msgs_out,
		    (unsigned long long)p->updates_in,
		    (unsigned long long)p->updates_out);
		out(arg, line);
		snprintf(line, sizeof(line), "  prefixes received %u, sent %u",
		    p->rib_in.n, prefixes_out(p));
		out(arg, line);
		if (p->last_error[0]) {
			snprintf(line, sizeof(line), "  last error: %s",
			    p->last_error);
			out(arg, line);
		}
	}
	if (json)
		out(arg, "]}");
	return 0;
}
