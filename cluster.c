/*
 * cluster.c - master election and table replication between the servers
 * of one cluster (manual, "Clustering").
 *
 * State owned: the cluster socket (cluster_port, joined to
 * cluster_address on cluster_interface), this node's role, the peer
 * table (address, start time, replay window, last packet, what its pings
 * say), the master's change queue and its history of heartbeats, a
 * slave's replication position, and the drop counters of "show cluster".
 * Exports (cluster.h): cluster_init/close, iam_master, the replication
 * hooks cluster_session_changed/cluster_tunnel_changed, the slave's
 * forwarding (cluster_forward_l2tp, _ip, _dae) and cluster_show.
 *
 * Roles, one FSM (cluster_fsm):
 *	STANDALONE	no cluster interface: master for good, nothing sent.
 *	WAITING		slave without a master: pings every interval; after
 *			cluster_hb_timeout without a heartbeat, elects.
 *	SLAVE		follows a master's heartbeats; applies the changes they
 *			carry; resyncs in chunks when it has no base or fell
 *			too far behind.
 *	MASTER		sends heartbeats with the changes since the last one;
 *			answers LASTSEEN from its history and RESYNC with a
 *			chunked walk of the tables.
 * Election (manual): the best of this node and every peer heard within
 * cluster_hb_timeout, "best" being the longest uptime, the highest
 * address breaking a tie (cl_rank_cmp).  Two masters (a healed
 * partition): the lower-ranked one steps down and resyncs.
 *
 * Replication: records are the struct session / struct tunnel of
 * l2tpns.h by table index (both ends must run the same build: the
 * heartbeat carries the two sizes and a mismatch is refused), checked
 * field by field on receipt, and applied together with the wire-id,
 * peer, address and pool indexes so that a new master knows every
 * inherited address.  Each session entry in use is followed by its
 * extras (CL_REC_EXTRA): the Framed-Routes session.c keeps and the
 * accounting state radius.c keeps, so that a new master routes them
 * and carries the accounting on (RFC 2866: no second Start).  Each
 * tunnel entry in use is followed by its control record (CL_REC_TCTL):
 * Ns, Nr and the messages the LAC has not acknowledged, which a new
 * master sends again (l2tp_ctl_import).  The rest of the process-local
 * L2TP and PPP state (timers, LCP state) is not replicated: a new master
 * rebuilds it (become_master).
 *
 * Routes (routes_update): up-to-date slaves raise them, the master
 * until it has cluster_master_min_adv up-to-date slaves; bgp.c is told
 * through bgp_set_announce().  A slave forwards every L2TP datagram,
 * downstream packet and DAE request it receives to the master.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "cluster.h"
#include "cluster_int.h"
#include "auth.h"
#include "bgp.h"
#include "dataplane.h"
#include "radius.h"
#include "session.h"
#include "clustermsg.h"
#include "event.h"
#include "l2tp.h"
#include "log.h"
#include "plugin.h"
#include "util.h"

#define HB_TARGET	8000	/* heartbeat body bytes we aim at */
#define HB_BURST	64	/* heartbeat datagrams per turn at most */
#define SYNC_SPAN	4096	/* table indexes walked per sync chunk */
#define SYNC_BURST	32	/* sync chunks per peer per turn */
#define SYNC_TICK_MS	5	/* between two sync turns */
#define ASK_GAP_MS	200	/* LASTSEEN / RESYNC at most this often */
#define FWD_HDR		8	/* forward body: addr, port, reserved */
#define WALK_SCAN	16384	/* table indexes a heartbeat's walk looks at */
/* A session's extras at most: fixed part, routes, Class (a RADIUS
 * packet's worth). */
#define EXTRA_MAX	(20 + 5 * AUTH_MAX_ROUTES + RAD_MAXPKT)
/* The most one table entry takes: a session record and its extras. */
#define ENTRY_MAX	(2 * CL_REC_HDR + sizeof(struct session) + EXTRA_MAX)
/* An entry is started only below HB_TARGET, so it always fits. */
_Static_assert(HB_TARGET + ENTRY_MAX + 64 <= CL_MAX_BODY,
    "a heartbeat's last entry must fit its datagram");
/* A tunnel's control record at most: Ns, Nr, count, then messages. */
#define TCTL_MAX	2048
_Static_assert(2 * CL_REC_HDR + sizeof(struct tunnel) + TCTL_MAX < ENTRY_MAX,
    "tunnel record size");

enum cl_event {
	EV_ELECTED,		/* this node won an election */
	EV_MASTER_SEEN,		/* a heartbeat from a master we follow */
	EV_MASTER_LOST,		/* no heartbeat for hb_timeout, or goodbye */
	EV_OUTRANKED,		/* a better master exists: step down */
};

const char *const cl_state_names[CS_MAX] = {
	"standalone", "waiting", "slave", "master"
};

struct cluster_state cl = { .fd = -1, .announcing = -1 };

static void cluster_fsm(enum cl_event, struct peer *);
static void send_heartbeats(void);
static void routes_update(void);
static void tctl_forget(tid_t);

/* ---- small helpers ---- */

const char *
cl_ipstr(in_addr_t a, char *buf)
{
	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

uint64_t
cl_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t
interval_ms(void)
{
	return (uint64_t)config->cluster_hb_interval * 100;
}

static uint64_t
timeout_ms(void)
{
	return (uint64_t)config->cluster_hb_timeout * 100;
}

static const uint8_t *
key(size_t *len)
{
	*len = strlen(config->cluster_key);
	return (const uint8_t *)config->cluster_key;
}

int
iam_master(void)
{
	return cl.state == CS_MASTER || cl.state == CS_STANDALONE;
}

int
cluster_active(void)
{
	return cl.fd >= 0;
}

static void
set_state(enum cl_state s)
{
	if (s == cl.state)
		return;
	LOG(LOG_WARN_L, 0, 0, "cluster: %s -> %s", cl_state_names[cl.state],
	    cl_state_names[s]);
	cl.state = s;
}

static struct peer *
peer_find(in_addr_t a)
{
	int i;

	for (i = 0; i < CL_MAX_PEERS; i++)
		if (cl.peers[i].addr == a)
			return &cl.peers[i];
	return NULL;
}

/* A slot for a new peer: a free one, else the one heard from longest ago. */
static struct peer *
peer_new(in_addr_t a)
{
	struct peer *p = NULL;
	int i;

	for (i = 0; i < CL_MAX_PEERS; i++) {
		if (cl.peers[i].addr == 0) {
			p = &cl.peers[i];
			break;
		}
		if (p == NULL || cl.peers[i].last_ms < p->last_ms)
			p = &cl.peers[i];
	}
	if (p == cl.master)
		return NULL;
	memset(p, 0, sizeof(*p));
	p->addr = a;
	return p;
}

int
cl_peer_alive(const struct peer *p)
{
	return p->addr && !p->gone && now_ms - p->last_ms <= timeout_ms();
}

int
cluster_successor(void)
{
	int i;

	if (cl.fd < 0 || cl.state == CS_STANDALONE)
		return 0;
	/* A slave's tables are the master's sessions: they stay with it. */
	if (cl.state != CS_MASTER)
		return 1;
	for (i = 0; i < CL_MAX_PEERS; i++)
		if (cl_peer_alive(&cl.peers[i]) && cl.peers[i].info.uptodate &&
		    cl.peers[i].info.role != 1)
			return 1;
	return 0;
}

/* ---- sending ---- */

static int
send_to(const struct sockaddr_in *to, uint8_t type, const uint8_t *body,
    size_t len)
{
	static uint8_t pkt[CL_MAX_PKT];
	struct cl_hdr h;
	size_t kl;
	const uint8_t *k = key(&kl);
	int n;

	memset(&h, 0, sizeof(h));
	h.version = CL_VERSION;
	h.type = type;
	h.sender = cl.my_addr;
	h.cluster_id = config->bind_address;
	h.epoch = cl.epoch;
	h.seq = ++cl.tx_seq;
	if ((n = cl_encode(pkt, sizeof(pkt), &h, body, len, k, kl)) < 0) {
		cl.tx_errors++;
		return -1;
	}
	if (sendto(cl.fd, pkt, (size_t)n, MSG_DONTWAIT,
	    (const struct sockaddr *)to, sizeof(*to)) < 0) {
		cl.tx_errors++;
		LOG(LOG_INFO_L, 0, 0, "cluster: send %s: %s",
		    cl_type_name(type), strerror(errno));
		return -1;
	}
	cl.tx++;
	cl.tx_bytes += (uint64_t)n;
	if (type == CL_HEARTBEAT)
		cl.hb_bytes += (uint64_t)n;
	return 0;
}

static int
send_unicast(in_addr_t a, uint8_t type, const uint8_t *body, size_t len)
{
	struct sockaddr_in to = cl.group;

	to.sin_addr.s_addr = a;
	return send_to(&to, type, body, len);
}

static void
my_node(struct cl_node *n)
{
	n->role = cl.state == CS_MASTER;
	n->uptodate = cl.state == CS_MASTER || (cl.state == CS_SLAVE &&
	    cl.have_base && !cl.syncing);
	n->interval = (uint16_t)config->cluster_hb_interval;
	n->hb_seq = cl.state == CS_MASTER ? cl.hb_seq : cl.applied;
	n->sessions = tables->sessions_used;
	n->tunnels = tables->tunnels_used;
}

static void
send_ping(void)
{
	uint8_t body[CL_NODE_LEN];
	struct cl_node n;
	struct wr w;

	my_node(&n);
	wr_init(&w, body, sizeof(body));
	cl_put_node(&w, &n);
	send_to(&cl.group, CL_PING, body, w.len);
}

/* ---- applying records (slave) ---- */

static int
in_pool(in_addr_t ip)
{
	return ippool != NULL && ippool_find(ip) >= 0;
}

/* A kernel route for an address outside the pool (only with a socket:
 * never from the fuzz harness). */
static void
kroute(int add, in_addr_t ip)
{
	if (cl.fd >= 0 && !tun_routed(ip))
		tun_route(add, ip, 32);
}

/*
 * A session's own IPv6 prefix (indexed while IPV6CP is Opened, as the
 * master does) and its kernel route, so that what reaches a slave is
 * forwarded too: in (add 1) or out.  ra.c owns it again on a new master.
 */
static void
prefix6(int add, sid_t s, const struct session *sp)
{
	struct in6_addr net = sp->ipv6_prefix;
	int plen = sp->ipv6_prefix_len, i;

	if (plen == 0 || plen > 64)
		return;
	for (i = plen; i < 128; i++)
		net.s6_addr[i / 8] &= (uint8_t)~(0x80 >> (i % 8));
	if (add) {
		if (sp->ipv6cp_state == ST_OPENED &&
		    session_route6_add(s, &net, plen) == 0 && cl.fd >= 0)
			tun_route6(1, &net, plen);
	} else if (session_route6_del(s, &net, plen) == 0 && cl.fd >= 0)
		tun_route6(0, &net, plen);
}

/* Take the entry out of every index before it changes. */
static void
session_unindex(sid_t s, struct session *sp)
{
	if (sp->local_id)
		session_unbind_wire(s);
	if (sp->ip) {
		session_route_del(s, sp->ip, 32);
		if (in_pool(sp->ip)) {
			int64_t i = ippool_find(sp->ip);

			if (ippool->a[i].sid == s)
				ippool_release(sp->ip);
		} else
			kroute(0, sp->ip);
	}
	prefix6(0, s, sp);
}

static void
session_index(sid_t s, struct session *sp)
{
	uint16_t wire = sp->local_id;

	if (wire && sp->tunnel) {
		sp->local_id = 0;
		if (session_bind_wire(s, wire) < 0)
			LOG(LOG_ERROR_L, s, sp->tunnel, "cluster: wire id %u of "
			    "the master's session is taken here", wire);
		sp->local_id = wire;
	}
	if (sp->ip) {
		char a[INET_ADDRSTRLEN];

		if (session_route_add(s, sp->ip, 32) < 0 ||
		    ippool_take(s, sp->ip, sp->user) < 0)
			LOG(LOG_ERROR_L, s, sp->tunnel, "cluster: address %s "
			    "of the master's session is held here",
			    cl_ipstr(sp->ip, a));
		if (!in_pool(sp->ip))
			kroute(1, sp->ip);
	}
	prefix6(1, s, sp);
}

/* The fields session_index() indexes by are the same in a and b. */
static int
same_keys(const struct session *a, const struct session *b)
{
	return a->tunnel == b->tunnel && a->local_id == b->local_id &&
	    a->ip == b->ip && a->ipv6_prefix_len == b->ipv6_prefix_len &&
	    memcmp(&a->ipv6_prefix, &b->ipv6_prefix,
	    sizeof(a->ipv6_prefix)) == 0 &&
	    (a->ipv6cp_state == ST_OPENED) == (b->ipv6cp_state == ST_OPENED);
}

/*
 * A replicated table entry: empty (the slot is free) or exactly the
 * struct this build uses; another size is another build's layout,
 * dropped and counted.  0, or -1.
 */
static int
record_take(void *out, size_t size, const uint8_t *data, uint16_t len)
{
	if (len == 0)
		memset(out, 0, size);
	else if (len != size) {
		cl.drop_layout++;
		return -1;
	} else
		memcpy(out, data, size);
	return 0;
}

static void
apply_session(sid_t s, const uint8_t *data, uint16_t len)
{
	struct session *sp = session_get(s), n;
	int was_used;

	if (sp == NULL) {
		cl.drops[CL_E_BODY]++;
		return;
	}
	if (record_take(&n, sizeof(n), data, len) < 0)
		return;
	if (session_record_check(&n) < 0) {
		cl.drops[CL_E_BODY]++;
		return;
	}
	was_used = sp->state != SESSION_FREE;
	if (was_used && n.state != SESSION_FREE && same_keys(sp, &n)) {
		/* What the indexes hold is unchanged (the usual refresh):
		 * leave them, and the routes BGP follows, alone. */
		*sp = n;
		tables_mark_stale();
		cl.records_applied++;
		return;
	}
	if (was_used)
		session_unindex(s, sp);
	if (n.state == SESSION_FREE || !was_used) {
		/* Another session, or none: the extras follow (or not). */
		session_routes_restore(s, NULL, 0, 0);
		radius_acct_set(s, NULL);
	}
	*sp = n;
	if (n.state != SESSION_FREE)
		session_index(s, sp);
	if (was_used && n.state == SESSION_FREE)
		tables->sessions_used--;
	else if (!was_used && n.state != SESSION_FREE)
		tables->sessions_used++;
	tables_written(0, s);
	cl.records_applied++;
}

static void
apply_tunnel(tid_t t, const uint8_t *data, uint16_t len)
{
	struct tunnel *tp = tunnel_get(t), n;
	int was_used;

	if (tp == NULL) {
		cl.drops[CL_E_BODY]++;
		return;
	}
	if (record_take(&n, sizeof(n), data, len) < 0)
		return;
	if (tunnel_record_check(&n) < 0) {
		cl.drops[CL_E_BODY]++;
		return;
	}
	tctl_forget(t);		/* its CL_REC_TCTL follows, if in use */
	was_used = tp->state != TUNNEL_FREE;
	if (was_used) {
		if (tp->local_id)
			tunnel_unbind_wire(t);
		tunnel_unbind_peer(t);
	}
	*tp = n;
	if (n.state != TUNNEL_FREE) {
		uint16_t wire = tp->local_id;

		tp->local_id = 0;
		if (wire && tunnel_bind_wire(t, wire) < 0)
			LOG(LOG_ERROR_L, 0, t, "cluster: tunnel id %u of the "
			    "master's tunnel is taken here", wire);
		tp->local_id = wire;
		if (tp->far_id)
			tunnel_bind_peer(t, tp->peer.sin_addr.s_addr,
			    tp->peer.sin_port, tp->far_id);
	}
	if (was_used && n.state == TUNNEL_FREE)
		tables->tunnels_used--;
	else if (!was_used && n.state != TUNNEL_FREE)
		tables->tunnels_used++;
	tables_written(1, t);
	cl.records_applied++;
}

/*
 * A session's extras (CL_REC_EXTRA), what session.c and radius.c keep
 * of it outside struct session, so that a new master carries on:
 *	u8 flags (1 up, 2 accounted), u8 Acct-Authentic, u8 routes,
 *	u8 reserved, u32 Acct-Interim-Interval, u64 accounting start
 *	(time_t), routes x (u32 network, u8 length), u16 Class length,
 *	the Class attributes.
 */
static void
put_extra(struct wr *w, sid_t s)
{
	struct auth_route rt[AUTH_MAX_ROUTES];
	struct radius_acct_state st;
	size_t at;
	int n, i;

	memset(&st, 0, sizeof(st));
	radius_acct_get(s, &st);
	n = session_routes_get(s, rt);
	wr_u8(w, CL_REC_EXTRA);
	wr_u8(w, 0);
	at = w->len;
	wr_u16(w, 0);
	wr_u32(w, s);
	wr_u8(w, (uint8_t)((st.up ? 1 : 0) | (st.acct ? 2 : 0)));
	wr_u8(w, st.authentic);
	wr_u8(w, (uint8_t)n);
	wr_u8(w, 0);
	wr_u32(w, st.interim);
	wr_u32(w, (uint32_t)((uint64_t)st.acct_start >> 32));
	wr_u32(w, (uint32_t)st.acct_start);
	for (i = 0; i < n; i++) {
		wr_bytes(w, &rt[i].net, 4);
		wr_u8(w, rt[i].plen);
	}
	wr_u16(w, st.class_len);
	if (st.class_len)
		wr_bytes(w, st.class, st.class_len);
	wr_put16_at(w, at, (uint16_t)(w->len - at - 6));
}

static void
apply_extra(sid_t s, const uint8_t *data, uint16_t len)
{
	struct auth_route rt[AUTH_MAX_ROUTES];
	struct radius_acct_state st;
	uint8_t flags, nr, rsvd;
	uint32_t hi, lo;
	uint16_t i;
	struct rd r;

	if (session_live(s) == NULL) {
		cl.drops[CL_E_BODY]++;
		return;
	}
	memset(&st, 0, sizeof(st));
	rd_init(&r, data, len);
	if (rd_u8(&r, &flags) < 0 || rd_u8(&r, &st.authentic) < 0 ||
	    rd_u8(&r, &nr) < 0 || rd_u8(&r, &rsvd) < 0 ||
	    rd_u32(&r, &st.interim) < 0 || rd_u32(&r, &hi) < 0 ||
	    rd_u32(&r, &lo) < 0 || nr > AUTH_MAX_ROUTES)
		goto bad;
	for (i = 0; i < nr; i++)
		if (rd_bytes(&r, &rt[i].net, 4) < 0 ||
		    rd_u8(&r, &rt[i].plen) < 0 || rt[i].plen > 32)
			goto bad;
	if (rd_u16(&r, &st.class_len) < 0 || r.left != st.class_len)
		goto bad;
	st.class = r.p;
	st.up = flags & 1;
	st.acct = (flags & 2) != 0;
	st.acct_start = (int64_t)(((uint64_t)hi << 32) | lo);
	session_routes_restore(s, rt, nr, st.up);
	radius_acct_set(s, &st);
	return;
bad:
	cl.drops[CL_E_BODY]++;
}

/*
 * A tunnel's control channel (CL_REC_TCTL, issue 18), so that a new
 * master goes on from the old one's sequence numbers and sends again
 * what the LAC had not acknowledged (RFC 2661 5.8):
 *	u16 Ns of the next message, u16 Nr, u8 messages, u8 reserved,
 *	messages x (u16 Ns, u16 length, the datagram).
 * The oldest messages that fit TCTL_MAX are sent (one or two, usually).
 */
static int
tunnel_used(tid_t t)
{
	const struct tunnel *tp = tunnel_get(t);

	return tp != NULL && tp->state != TUNNEL_FREE;
}

struct tctl_put {
	struct wr	*w;
	size_t		 count_at, end;
	uint8_t		 n, full;
};

static void
put_tctl_msg(void *arg, uint16_t ns, const uint8_t *p, uint16_t len)
{
	struct tctl_put *tp = arg;

	if (tp->full || tp->n == 255 || tp->w->len + 4 + len > tp->end) {
		tp->full = 1;
		return;
	}
	wr_u16(tp->w, ns);
	wr_u16(tp->w, len);
	wr_bytes(tp->w, p, len);
	tp->n++;
}

static int
put_tctl(struct wr *w, tid_t t)
{
	struct tctl_put tp = { .w = w };
	uint16_t ns, nr;
	size_t at, start;

	wr_u8(w, CL_REC_TCTL);
	wr_u8(w, 0);
	at = w->len;
	wr_u16(w, 0);
	wr_u32(w, t);
	start = w->len;
	wr_u16(w, 0);
	wr_u16(w, 0);
	tp.count_at = w->len;
	wr_u8(w, 0);
	wr_u8(w, 0);
	tp.end = start + TCTL_MAX;
	if (l2tp_ctl_export(t, &ns, &nr, put_tctl_msg, &tp) < 0) {
		/* No control state here (a master that inherited it and
		 * has not met the LAC yet): nothing to replicate. */
		w->len = at - 2;
		return 0;
	}
	wr_put16_at(w, start, ns);
	wr_put16_at(w, start + 2, nr);
	w->p[tp.count_at] = tp.n;
	wr_put16_at(w, at, (uint16_t)(w->len - at - 6));
	return 1;
}

static void
tctl_forget(tid_t t)
{
	if (cl.tctl == NULL)
		return;
	free(cl.tctl[t]);
	cl.tctl[t] = NULL;
	cl.tctl_len[t] = 0;
}

static void
apply_tctl(tid_t t, const uint8_t *data, uint16_t len)
{
	uint16_t ns, nr, mns, mlen;
	uint8_t n, rsvd, i;
	struct rd r;

	if (!tunnel_used(t) || cl.tctl == NULL) {
		cl.drops[CL_E_BODY]++;
		return;
	}
	rd_init(&r, data, len);
	if (rd_u16(&r, &ns) < 0 || rd_u16(&r, &nr) < 0 ||
	    rd_u8(&r, &n) < 0 || rd_u8(&r, &rsvd) < 0)
		goto bad;
	for (i = 0; i < n; i++)
		if (rd_u16(&r, &mns) < 0 || rd_u16(&r, &mlen) < 0 ||
		    mlen < 12 || rd_skip(&r, mlen) < 0)
			goto bad;
	if (r.left != 0)
		goto bad;
	tctl_forget(t);
	if ((cl.tctl[t] = malloc(len)) == NULL)
		return;
	memcpy(cl.tctl[t], data, len);
	cl.tctl_len[t] = len;
	return;
bad:
	cl.drops[CL_E_BODY]++;
}

/* A new master: each inherited tunnel carries on from its record. */
static void
tctl_takeover(void)
{
	uint32_t t, tunnels = 0, msgs = 0;

	if (cl.tctl == NULL)
		return;
	for (t = 1; t <= tables->max_tunnels; t++) {
		uint16_t ns = 0, nr = 0, mns = 0, mlen = 0;
		uint8_t n = 0, rsvd, i;
		struct rd r;

		if (cl.tctl[t] == NULL)
			continue;
		rd_init(&r, cl.tctl[t], cl.tctl_len[t]);
		/* Checked on receipt (apply_tctl). */
		rd_u16(&r, &ns);
		rd_u16(&r, &nr);
		rd_u8(&r, &n);
		rd_u8(&r, &rsvd);
		if (tunnel_used(t)) {
			l2tp_ctl_import(t, ns, nr);
			tunnels++;
			for (i = 0; i < n; i++) {
				rd_u16(&r, &mns);
				rd_u16(&r, &mlen);
				if (l2tp_ctl_requeue(t, mns, r.p, mlen) == 0)
					msgs++;
				rd_skip(&r, mlen);
			}
		}
		tctl_forget(t);
	}
	if (tunnels)
		LOG(LOG_WARN_L, 0, 0, "cluster: %u tunnels go on from their "
		    "replicated Ns/Nr; %u unacknowledged control messages "
		    "sent again", tunnels, msgs);
}

/* Free every entry in use in [from, to) of a kind (a sync span). */
static void
free_span(uint8_t kind, uint32_t from, uint32_t to)
{
	uint32_t i;

	for (i = from; i < to; i++)
		if (kind == CL_REC_TUNNEL) {
			if (tables->tunnel[i].state != TUNNEL_FREE)
				apply_tunnel(i, NULL, 0);
		} else if (tables->session[i].state != SESSION_FREE)
			apply_session(i, NULL, 0);
}

/* The records of a heartbeat or a sync chunk; -1 if malformed. */
static int
apply_records(struct rd *r, uint16_t nrec)
{
	struct cl_rec rec;
	uint16_t i;

	for (i = 0; i < nrec && i < CL_MAX_RECORDS; i++) {
		if (cl_get_rec(r, &rec) < 0)
			return -1;
		if (rec.type == CL_REC_SESSION)
			apply_session(rec.index, rec.data, rec.len);
		else if (rec.type == CL_REC_EXTRA)
			apply_extra(rec.index, rec.data, rec.len);
		else if (rec.type == CL_REC_TCTL)
			apply_tctl(rec.index, rec.data, rec.len);
		else
			apply_tunnel(rec.index, rec.data, rec.len);
	}
	return i == nrec && r->left == 0 ? 0 : -1;
}

/* ---- slave side ---- */

/* Rate-limited requests to the master. */
static int
may_ask(void)
{
	if (cl.master == NULL || now_ms - cl.last_ask_ms < ASK_GAP_MS)
		return 0;
	cl.last_ask_ms = now_ms;
	return 1;
}

/* LASTSEEN: resend the heartbeats after `seq`. */
static void
ask_lastseen(uint32_t seq)
{
	uint8_t body[4];
	struct wr w;

	if (!may_ask())
		return;
	wr_init(&w, body, sizeof(body));
	wr_u32(&w, seq);
	LOG(LOG_INFO_L, 0, 0, "cluster: asking the master for heartbeats "
	    "after last seen %u", seq);
	send_unicast(cl.master->addr, CL_LASTSEEN, body, w.len);
}

/*
 * RESYNC: the whole tables, or (resume) the rest of the sync in
 * progress from the chunk that went missing: body u32 sync id, u8 kind,
 * u32 next index; empty for a fresh one.
 */
static void
ask_resync(int resume)
{
	uint8_t body[9];
	struct wr w;

	if (!may_ask())
		return;
	wr_init(&w, body, sizeof(body));
	if (resume) {
		wr_u32(&w, cl.sync_id);
		wr_u8(&w, cl.sync_kind);
		wr_u32(&w, cl.sync_next);
	}
	LOG(LOG_INFO_L, 0, 0, "cluster: asking the master for %s",
	    resume ? "the rest of the resync" : "a full resync");
	send_unicast(cl.master->addr, CL_RESYNC, body, w.len);
}

static int
sizes_ok(struct rd *r)
{
	uint16_t ss, ts;

	if (rd_u16(r, &ss) < 0 || rd_u16(r, &ts) < 0)
		return -1;
	if (ss != sizeof(struct session) || ts != sizeof(struct tunnel)) {
		cl.drop_layout++;
		return -1;
	}
	return 0;
}

static void
recv_heartbeat(struct peer *p, struct rd *r)
{
	uint16_t nrec, rsvd;

	if (cl.state == CS_MASTER) {
		if (cl_rank_cmp(p->epoch, p->addr, cl.epoch, cl.my_addr) > 0)
			cluster_fsm(EV_OUTRANKED, p);
		return;		/* the other one steps down */
	}
	if (cl.state == CS_STANDALONE)
		return;
	if (cl.master != p) {
		/* A second master: follow the better one (manual). */
		if (cl.master != NULL && cl_peer_alive(cl.master) &&
		    cl_rank_cmp(cl.master->epoch, cl.master->addr, p->epoch,
		    p->addr) > 0)
			return;
		cluster_fsm(EV_MASTER_SEEN, p);
	}
	cl.master_last_ms = now_ms;
	if (p->info.hb_seq > cl.master_hb || !cl.have_base)
		cl.master_hb = p->info.hb_seq;
	if (!cl.have_base && !cl.syncing) {
		ask_resync(0);
		return;
	}
	if (p->info.hb_seq < cl.expected)
		return;		/* resent, already applied */
	if (p->info.hb_seq > cl.expected) {
		ask_lastseen(cl.expected - 1);
		return;
	}
	if (sizes_ok(r) < 0 || rd_u16(r, &nrec) < 0 || rd_u16(r, &rsvd) < 0 ||
	    apply_records(r, nrec) < 0) {
		cl.drops[CL_E_BODY]++;
		return;
	}
	cl.applied = p->info.hb_seq;
	cl.expected = cl.applied + 1;
}

static void
recv_sync(struct peer *p, struct rd *r)
{
	uint32_t id, base, first, end;
	uint8_t kind, last;
	uint16_t nrec;

	if (cl.state != CS_SLAVE || p != cl.master)
		return;
	if (rd_u32(r, &id) < 0 || rd_u32(r, &base) < 0 ||
	    rd_u32(r, &first) < 0 || rd_u32(r, &end) < 0 ||
	    rd_u8(r, &kind) < 0 || rd_u8(r, &last) < 0 || sizes_ok(r) < 0 ||
	    rd_u16(r, &nrec) < 0 || kind == 0 || kind >= CL_REC_MAX ||
	    first == 0 || end < first) {
		cl.drops[CL_E_BODY]++;
		return;
	}
	if (first == 1 && kind == CL_REC_TUNNEL) {
		/* A new sync: the snapshot starts after heartbeat `base`. */
		cl.syncing = 1;
		cl.have_base = 0;
		cl.sync_id = id;
		cl.sync_kind = kind;
		cl.sync_next = 1;
		cl.expected = base + 1;
		cl.applied = base;
		cl.resyncs++;
	}
	if (!cl.syncing || id != cl.sync_id) {
		/* Not the sync we follow: start one. */
		cl.syncing = 0;
		ask_resync(0);
		return;
	}
	if (kind != cl.sync_kind || first != cl.sync_next) {
		/* A chunk went missing: ask for the rest from there. */
		ask_resync(1);
		return;
	}
	{
		uint32_t max = kind == CL_REC_TUNNEL ? tables->max_tunnels :
		    tables->max_sessions;
		struct rd save = *r;
		struct cl_rec rec;
		uint32_t prev = first;
		uint16_t k;

		if (end > max + 1) {
			cl.drops[CL_E_BODY]++;
			return;
		}
		/* Every index of the span without a record is free. */
		for (k = 0; k < nrec && k < CL_MAX_RECORDS; k++) {
			int got = cl_get_rec(r, &rec);

			if (got == 0 && prev > first && rec.index == prev - 1 &&
			    ((rec.type == CL_REC_EXTRA &&
			    kind == CL_REC_SESSION) ||
			    (rec.type == CL_REC_TCTL &&
			    kind == CL_REC_TUNNEL)))
				continue;	/* the extras of the last one */
			if (got < 0 || rec.type != kind ||
			    rec.index < prev || rec.index >= end) {
				cl.drops[CL_E_BODY]++;
				cl.syncing = 0;
				return;
			}
			free_span(kind, prev, rec.index);
			prev = rec.index + 1;
		}
		if (k != nrec || r->left != 0) {
			cl.drops[CL_E_BODY]++;
			cl.syncing = 0;
			return;
		}
		*r = save;
		if (apply_records(r, nrec) < 0) {
			cl.syncing = 0;
			return;
		}
		free_span(kind, prev, end);
	}
	cl.sync_next = end;
	cl.last_sync_ms = now_ms;
	if (kind == CL_REC_TUNNEL && end > tables->max_tunnels) {
		cl.sync_kind = CL_REC_SESSION;
		cl.sync_next = 1;
	}
	if (last) {
		cl.syncing = 0;
		cl.have_base = 1;
		cl.ever_uptodate = 1;
		LOG(LOG_WARN_L, 0, 0, "cluster: resync from the master done: "
		    "%u sessions, %u tunnels; up to date", tables->sessions_used,
		    tables->tunnels_used);
	}
}

/* ---- master side ---- */

/* Queue an entry for the next heartbeat (once until it is sent). */
static void
enqueue(int tunnel, uint32_t idx)
{
	uint8_t *bits = tunnel ? cl.dirty_t : cl.dirty_s;

	if (bits == NULL || (bits[idx >> 3] & (1 << (idx & 7))))
		return;
	if (cl.qlen == cl.qcap)
		return;		/* cannot happen: qcap covers both tables */
	bits[idx >> 3] |= (uint8_t)(1 << (idx & 7));
	cl.queue[cl.qlen++] = ((uint32_t)tunnel << 31) | idx;
}

void
cluster_session_changed(sid_t s)
{
	if (cl.state == CS_MASTER && s && s <= tables->max_sessions)
		enqueue(0, s);
}

void
cluster_tunnel_changed(tid_t t)
{
	if (cl.state == CS_MASTER && t && t <= tables->max_tunnels)
		enqueue(1, t);
}

static void
table_changed(int tunnel, uint32_t idx, int created)
{
	if (created && cl.state == CS_MASTER)
		cl.created++;
	if (tunnel)
		cluster_tunnel_changed(idx);
	else
		cluster_session_changed(idx);
}

/* An entry's records (a session in use has its extras): how many. */
static uint16_t
put_entry(struct wr *w, int tunnel, uint32_t idx)
{
	if (tunnel) {
		const struct tunnel *tp = &tables->tunnel[idx];

		cl_put_rec(w, CL_REC_TUNNEL, idx, tp, tp->state == TUNNEL_FREE ?
		    0 : sizeof(*tp));
		if (tp->state != TUNNEL_FREE)
			return (uint16_t)(1 + put_tctl(w, idx));
	} else {
		const struct session *sp = &tables->session[idx];

		cl_put_rec(w, CL_REC_SESSION, idx, sp, sp->state ==
		    SESSION_FREE ? 0 : sizeof(*sp));
		if (sp->state != SESSION_FREE) {
			put_extra(w, idx);
			return 2;
		}
	}
	return 1;
}

static void
hist_store(uint32_t seq, const uint8_t *body, size_t len)
{
	struct hb_hist *h = &cl.hist[seq % HB_HISTORY];

	if (h->body == NULL && (h->body = malloc(CL_MAX_BODY)) == NULL)
		return;
	memcpy(h->body, body, len);
	h->len = (uint16_t)len;
	h->seq = seq;
}

/*
 * The room a heartbeat has left goes to entries in use taken round-robin
 * from the tables (as the original does): a field changed without a
 * hook reaches the slaves all the same, within a few heartbeats.  At
 * most WALK_SCAN indexes are looked at per heartbeat.
 */
static uint16_t
walk(struct wr *w, uint16_t room)
{
	uint16_t n = 0;
	uint32_t scanned;

	for (scanned = 0; scanned < WALK_SCAN && n + 2 <= room &&
	    w->len <= HB_TARGET;
	    scanned++) {
		if (++cl.walk_s > tables->max_sessions)
			cl.walk_s = 1;
		if (tables->session[cl.walk_s].state == SESSION_FREE)
			continue;
		n += put_entry(w, 0, cl.walk_s);
	}
	for (scanned = 0; scanned < WALK_SCAN && n < room &&
	    w->len <= HB_TARGET;
	    scanned++) {
		if (++cl.walk_t > tables->max_tunnels)
			cl.walk_t = 1;
		if (tables->tunnel[cl.walk_t].state == TUNNEL_FREE)
			continue;
		n += put_entry(w, 1, cl.walk_t);
	}
	return n;
}

/*
 * One heartbeat: our node info, the sizes, then as many queued changes
 * as fit, then the walk.  Sent every interval even when empty (it is the liveness
 * signal), and in a burst while changes are queued.
 */
static void
send_heartbeats(void)
{
	static uint8_t body[CL_MAX_BODY];
	uint32_t done = 0;
	int burst;

	for (burst = 0; burst < HB_BURST; burst++) {
		struct cl_node n;
		struct wr w;
		size_t at;
		uint16_t nrec = 0;

		cl.hb_seq++;
		my_node(&n);
		wr_init(&w, body, sizeof(body));
		cl_put_node(&w, &n);
		wr_u16(&w, sizeof(struct session));
		wr_u16(&w, sizeof(struct tunnel));
		at = w.len;
		wr_u16(&w, 0);
		wr_u16(&w, 0);
		while (done < cl.qlen && nrec + 2 <= CL_MAX_RECORDS &&
		    w.len <= HB_TARGET) {
			uint32_t e = cl.queue[done++];
			int tunnel = e >> 31;
			uint32_t idx = e & 0x7fffffff;
			uint8_t *bits = tunnel ? cl.dirty_t : cl.dirty_s;

			bits[idx >> 3] &= (uint8_t)~(1 << (idx & 7));
			nrec += put_entry(&w, tunnel, idx);
			cl.changes_sent++;
		}
		if (done == cl.qlen) {
			uint16_t k = walk(&w, CL_MAX_RECORDS - nrec);

			nrec += k;
			cl.refresh_sent += k;
		}
		wr_put16_at(&w, at, nrec);
		if (w.err)
			break;
		hist_store(cl.hb_seq, body, w.len);
		send_to(&cl.group, CL_HEARTBEAT, body, w.len);
		if (done == cl.qlen)
			break;
	}
	/* What did not fit this turn moves to the front. */
	memmove(cl.queue, cl.queue + done, (cl.qlen - done) * sizeof(*cl.queue));
	cl.qlen -= done;
	if (cl.qlen)
		timer_set(&cl.sync_timer, SYNC_TICK_MS);
}

static void
start_sync(struct peer *p)
{
	p->syncing = 1;
	p->sync_id = ++cl.next_sync_id;
	p->sync_base = cl.hb_seq;
	p->sync_kind = CL_REC_TUNNEL;
	p->sync_next = 1;
	timer_set(&cl.sync_timer, 0);
}

static void
resend_history(struct peer *p, uint32_t after)
{
	uint32_t s;

	if (cl.hb_seq - after > HB_HISTORY - 1 || after > cl.hb_seq)
		goto resync;		/* too old: a full resync instead */
	for (s = after + 1; s <= cl.hb_seq; s++) {
		struct hb_hist *h = &cl.hist[s % HB_HISTORY];

		if (h->body == NULL || h->seq != s)
			goto resync;
		send_unicast(p->addr, CL_HEARTBEAT, h->body, h->len);
	}
	return;
resync:
	start_sync(p);
}

static void
recv_resync(struct peer *p, struct rd *r)
{
	uint32_t id, next, max;
	uint8_t kind;

	if (cl.state != CS_MASTER)
		return;
	if (r->left == 0) {
		start_sync(p);
		return;
	}
	if (rd_u32(r, &id) < 0 || rd_u8(r, &kind) < 0 ||
	    rd_u32(r, &next) < 0 || r->left != 0 ||
	    (kind != CL_REC_TUNNEL && kind != CL_REC_SESSION)) {
		cl.drops[CL_E_BODY]++;
		return;
	}
	max = kind == CL_REC_TUNNEL ? tables->max_tunnels :
	    tables->max_sessions;
	if (id == 0 || id != p->sync_id || next == 0 || next > max + 1) {
		start_sync(p);
		return;
	}
	/* Resume: same snapshot base, from the chunk the slave lacks. */
	p->syncing = 1;
	p->sync_kind = kind;
	p->sync_next = next;
	timer_set(&cl.sync_timer, 0);
}

/*
 * One chunk of a resync to p: 1 when it was the last, 0 sent, -1 not
 * sent (the socket is full: the same chunk again next turn).
 */
static int
send_sync_chunk(struct peer *p)
{
	static uint8_t body[CL_MAX_BODY];
	uint32_t max = p->sync_kind == CL_REC_TUNNEL ? tables->max_tunnels :
	    tables->max_sessions;
	uint32_t i = p->sync_next, end;
	uint16_t nrec = 0;
	size_t at;
	struct wr w;
	int last;

	wr_init(&w, body, sizeof(body));
	wr_u32(&w, p->sync_id);
	wr_u32(&w, p->sync_base);
	wr_u32(&w, i);
	wr_u32(&w, 0);			/* end, below */
	wr_u8(&w, p->sync_kind);
	wr_u8(&w, 0);			/* last, below */
	wr_u16(&w, sizeof(struct session));
	wr_u16(&w, sizeof(struct tunnel));
	at = w.len;
	wr_u16(&w, 0);
	for (; i <= max && i < p->sync_next + SYNC_SPAN &&
	    nrec + 2 <= CL_MAX_RECORDS && w.len <= HB_TARGET; i++) {
		if (p->sync_kind == CL_REC_TUNNEL ?
		    tables->tunnel[i].state == TUNNEL_FREE :
		    tables->session[i].state == SESSION_FREE)
			continue;
		nrec += put_entry(&w, p->sync_kind == CL_REC_TUNNEL, i);
	}
	end = i;
	last = p->sync_kind == CL_REC_SESSION && end > max;
	w.p[12] = (uint8_t)(end >> 24);
	w.p[13] = (uint8_t)(end >> 16);
	w.p[14] = (uint8_t)(end >> 8);
	w.p[15] = (uint8_t)end;
	w.p[17] = (uint8_t)last;
	wr_put16_at(&w, at, nrec);
	if (w.err)
		return 1;
	if (send_unicast(p->addr, CL_SYNC, body, w.len) < 0)
		return -1;
	p->sync_next = end;
	if (p->sync_kind == CL_REC_TUNNEL && end > max) {
		p->sync_kind = CL_REC_SESSION;
		p->sync_next = 1;
	}
	return last;
}

static void
sync_turn(struct timer *t, void *arg)
{
	int i, k, more = 0;

	(void)arg;
	if (cl.state != CS_MASTER)
		return;
	if (cl.qlen)
		send_heartbeats();
	for (i = 0; i < CL_MAX_PEERS; i++) {
		struct peer *p = &cl.peers[i];

		if (!p->addr || !p->syncing)
			continue;
		if (!cl_peer_alive(p)) {
			p->syncing = 0;
			continue;
		}
		for (k = 0; k < SYNC_BURST; k++) {
			int rc = send_sync_chunk(p);

			if (rc < 0)
				break;
			if (rc > 0) {
				char a[INET_ADDRSTRLEN];

				p->syncing = 0;
				LOG(LOG_INFO_L, 0, 0, "cluster: resync of %s "
				    "sent", cl_ipstr(p->addr, a));
				break;
			}
		}
		if (p->syncing)
			more = 1;
	}
	if (more || cl.qlen)
		timer_set(t, SYNC_TICK_MS);
}

/* ---- roles ---- */

/*
 * A session inherited while PPP was still negotiating (the call is
 * connected, LCP, authentication or IPCP not finished): its PPP state
 * died with the old master, so PPP starts again here (a fresh LCP
 * Configure-Request, which the peer answers by negotiating again, RFC
 * 1661 4.2 Opened/RCR).  Nothing was accounted yet (the Start comes
 * with the network phase); an address it held goes back to the pool.
 * A call not yet connected waits for its ICCN (l2tp_adopt).
 */
static void
renegotiate(sid_t s)
{
	struct session *sp = session_get(s);

	if (sp->state != SESSION_OPEN)
		return;
	LOG(LOG_INFO_L, s, sp->tunnel, "cluster: session of \"%s\" "
	    "inherited while negotiating (%s): PPP starts again",
	    sp->user[0] ? sp->user : "(no user)", ppp_phase_name(sp->phase));
	session_unindex(s, sp);
	if (sp->local_id) {
		uint16_t wire = sp->local_id;

		sp->local_id = 0;
		session_bind_wire(s, wire);	/* only the wire id back */
		sp->local_id = wire;
	}
	sp->ip = 0;
	sp->ipv6_prefix_len = 0;
	session_routes_restore(s, NULL, 0, 0);
	radius_acct_set(s, NULL);
	ppp_session_start(s);
}

static void
become_master(void)
{
	struct param_become_master bm = { .time_now = time_now };
	uint64_t t0 = mono_us();
	uint32_t i, relayed;

	set_state(CS_MASTER);
	cl.master = NULL;
	cl.elections++;
	cl.created = 0;
	cl.adopted = tables->sessions_used + tables->tunnels_used;
	tables_rebuild_free();
	l2tp_adopt();		/* control state for inherited tunnels */
	tctl_takeover();	/* ... going on from the replicated Ns/Nr */
	/* Heartbeats carry our own numbering from here. */
	cl.hb_seq = 0;
	cl.qlen = 0;
	memset(cl.dirty_s, 0, tables->max_sessions / 8 + 1);
	memset(cl.dirty_t, 0, tables->max_tunnels / 8 + 1);
	LOG(LOG_WARN_L, 0, 0, "cluster: I am the master now (%u sessions, "
	    "%u tunnels inherited)", tables->sessions_used,
	    tables->tunnels_used);
	plugin_run(PLUGIN_BECOME_MASTER, &bm);
	relayed = 0;
	for (i = 1; i <= tables->max_sessions; i++) {
		struct session *sp = &tables->session[i];
		struct param_new_session_master nm;

		if (sp->state == SESSION_FREE)
			continue;
		prefix6(0, i, sp);	/* ra.c routes it again if it is up */
		if (sp->relay && sp->state == SESSION_OPEN) {
			/*
			 * A half of a relayed call (manual, "Relay"): its PPP
			 * is the far LNS's, so nothing is negotiated here;
			 * the data messages are switched between the two
			 * halves (replicated with each other's index) as on
			 * the old master, and its accounting carries on.
			 */
			radius_acct_adopt(i);
			relayed++;
		} else if (ppp_adopt(i)) {
			/* Keepalives and limits run here now; its routes,
			 * its accounting (no second Start) too. */
			session_take_over(i);
			radius_acct_adopt(i);
		} else
			renegotiate(i);
		nm.sid = i;
		nm.tid = sp->tunnel;
		plugin_run(PLUGIN_NEW_SESSION_MASTER, &nm);
	}
	send_heartbeats();
	/* Every slave starts again from our tables. */
	/*
	 * Without BGP the traffic for bind_address must come here: tell
	 * the segment (manual, send_garp; the slaves never announce it).
	 */
	if (config->send_garp && config->bind_address && config->bgp.as == 0)
		send_garp(config->bind_address);
	if (relayed)
		LOG(LOG_WARN_L, 0, 0, "cluster: %u halves of relayed calls "
		    "taken over: switched as before", relayed);
	cl.takeover_us = mono_us() - t0;
	LOG(LOG_WARN_L, 0, 0, "cluster: takeover of %u sessions and %u "
	    "tunnels done in %llu ms", tables->sessions_used,
	    tables->tunnels_used, (unsigned long long)(cl.takeover_us / 1000));
}

static void
step_down(struct peer *better)
{
	char a[INET_ADDRSTRLEN];

	LOG(LOG_WARN_L, 0, 0, "cluster: %s is a better master; stepping "
	    "down", cl_ipstr(better->addr, a));
	if (cl.created || cl.adopted) {
		/*
		 * Tunnels or sessions set up or taken over while we were
		 * master have L2TP and PPP state here (timers, keepalives,
		 * accounting) that cannot be handed over in place: leave
		 * like TERM and let the service manager restart us as a
		 * slave, as the original does.  With none, we simply resync.
		 */
		LOG(LOG_CRIT_L, 0, 0, "cluster: stepping down after setting up "
		    "%u and taking over %u tunnels/sessions as master: exiting "
		    "to rejoin as a slave", cl.created, cl.adopted);
		main_quit = 1;
	}
	cl.qlen = 0;
}

/*
 * The one state machine of the cluster role (STYLE 6).
 */
static void
cluster_fsm(enum cl_event ev, struct peer *p)
{
	char a[INET_ADDRSTRLEN];

	switch (ev) {
	case EV_ELECTED:
		if (cl.state == CS_WAITING)
			become_master();
		break;
	case EV_OUTRANKED:
		if (cl.state != CS_MASTER)
			break;
		step_down(p);
		/* FALLTHROUGH */
	case EV_MASTER_SEEN:
		LOG(LOG_WARN_L, 0, 0, "cluster: following master %s",
		    cl_ipstr(p->addr, a));
		cl.master = p;
		cl.master_last_ms = now_ms;
		cl.have_base = 0;
		cl.syncing = 0;
		cl.last_ask_ms = 0;
		set_state(CS_SLAVE);
		break;
	case EV_MASTER_LOST:
		if (cl.state != CS_SLAVE)
			break;
		LOG(LOG_WARN_L, 0, 0, "cluster: lost master %s",
		    cl.master ? cl_ipstr(cl.master->addr, a) : "?");
		cl.master = NULL;
		cl.syncing = 0;
		cl.master_last_ms = 0;	/* elect without waiting again */
		set_state(CS_WAITING);
		break;
	}
	routes_update();
}

/*
 * Who raises routes (manual, "Clustering"; with BGP they are the
 * announcements of bgp.c): a slave once it is up to date; the master
 * until it has cluster_master_min_adv up-to-date slaves alive (0: the
 * master always keeps its own), and again as soon as it has fewer; a
 * stand-alone server always.  A node that joins or rejoins announces
 * nothing until its first resync is complete.  Whichever node the traffic
 * reaches, the master handles it: a slave forwards L2TP datagrams,
 * downstream packets and DAE requests to it.
 */
static void
routes_update(void)
{
	int i, want, min = config->cluster_master_min_adv;
	uint32_t n = 0;

	for (i = 0; i < CL_MAX_PEERS; i++)
		if (cl_peer_alive(&cl.peers[i]) && cl.peers[i].info.uptodate &&
		    cl.peers[i].info.role == 0)
			n++;
	cl.uptodate_slaves = n;
	switch (cl.state) {
	case CS_STANDALONE:
		want = 1;
		break;
	case CS_MASTER:
		want = min == 0 || n < (uint32_t)min;
		break;
	default:
		/*
		 * A slave, or one electing: once up to date in this run it
		 * keeps its routes while it follows another master or
		 * elects (whoever wins handles what it forwards), so that
		 * a failover costs the routers nothing.
		 */
		want = cl.ever_uptodate;
		break;
	}
	if (want == cl.announcing)
		return;
	cl.announcing = want;
	LOG(LOG_WARN_L, 0, 0, "cluster: %s routes (%s, %u up-to-date "
	    "slave%s, cluster_master_min_adv %d)", want ? "raising" :
	    "dropping", cl_state_names[cl.state], n, n == 1 ? "" : "s", min);
	bgp_set_announce(want);
}

/* The best candidate among this node and the live peers. */
static int
i_am_best(void)
{
	int i;

	for (i = 0; i < CL_MAX_PEERS; i++) {
		const struct peer *p = &cl.peers[i];

		if (cl_peer_alive(p) && cl_rank_cmp(p->epoch, p->addr, cl.epoch,
		    cl.my_addr) > 0)
			return 0;
	}
	return 1;
}

static void
tick(struct timer *t, void *arg)
{
	(void)arg;
	timer_set_at(t, t->when + interval_ms());
	routes_update();
	switch (cl.state) {
	case CS_MASTER:
		send_heartbeats();
		break;
	case CS_SLAVE:
		if (now_ms - cl.master_last_ms > timeout_ms()) {
			cluster_fsm(EV_MASTER_LOST, NULL);
			/* An election without waiting another timeout. */
			if (i_am_best())
				cluster_fsm(EV_ELECTED, NULL);
			break;
		}
		if (!cl.have_base && !cl.syncing)
			ask_resync(0);
		else if (cl.syncing && now_ms - cl.last_sync_ms > interval_ms())
			ask_resync(1);	/* the rest stopped coming */
		else if (cl.have_base && cl.master_hb >= cl.expected)
			ask_lastseen(cl.expected - 1);
		send_ping();
		break;
	case CS_WAITING:
		send_ping();
		if (now_ms - cl.master_last_ms > timeout_ms() && i_am_best())
			cluster_fsm(EV_ELECTED, NULL);
		break;
	default:
		break;
	}
}

/* ---- input ---- */

static void
recv_forward(struct peer *p, uint8_t type, struct rd *r)
{
	struct sockaddr_in from;
	uint16_t port, rsvd;

	(void)p;
	if (cl.state != CS_MASTER)
		return;
	memset(&from, 0, sizeof(from));
	from.sin_family = AF_INET;
	if (rd_bytes(r, &from.sin_addr.s_addr, 4) < 0 ||
	    rd_u16(r, &port) < 0 || rd_u16(r, &rsvd) < 0 || r->left == 0) {
		cl.drops[CL_E_BODY]++;
		return;
	}
	from.sin_port = htons(port);
	cl.fwd_received++;
	if (type == CL_FORWARD_IP)
		dp_forwarded(r->p, r->left);
	else if (type == CL_FORWARD_DAE)
		dae_forwarded(r->p, r->left, &from);
	else
		l2tp_input(r->p, r->left, &from);
}

void
cluster_input(const uint8_t *buf, size_t len)
{
	struct cl_hdr h;
	struct rd body;
	struct peer *p;
	size_t kl;
	const uint8_t *k = key(&kl);
	enum cl_err e;
	uint32_t arg;

	e = cl_decode(buf, len, k, kl, &h, &body);
	if (e != CL_OK)
		goto drop;
	if (h.cluster_id != config->bind_address) {
		e = CL_E_FOREIGN;
		goto drop;
	}
	if (h.sender == cl.my_addr) {
		cl.drop_self++;
		return;
	}
	if ((p = peer_find(h.sender)) != NULL &&
	    cl_replay_check(&p->rp, h.epoch, h.seq) < 0) {
		e = CL_E_REPLAYED;
		goto drop;
	}
	/* Parse the node info before anything changes. */
	if (h.type == CL_PING || h.type == CL_HEARTBEAT) {
		struct cl_node n;

		if (cl_get_node(&body, &n) < 0) {
			e = CL_E_BODY;
			goto drop;
		}
		if (p == NULL && (p = peer_new(h.sender)) == NULL)
			return;
		if (p->epoch != h.epoch && p->epoch) {
			char a[INET_ADDRSTRLEN];

			LOG(LOG_WARN_L, 0, 0, "cluster: peer %s restarted",
			    cl_ipstr(p->addr, a));
			p->syncing = 0;
			if (p == cl.master && cl.state == CS_SLAVE)
				cl.master_lost = 1;	/* its tables are new */
		}
		p->info = n;
		p->gone = 0;
	} else if (p == NULL) {
		/* Only a node we have heard ping may ask or forward. */
		e = CL_E_BODY;
		goto drop;
	}
	cl_replay_update(&p->rp, h.epoch, h.seq);
	p->epoch = h.epoch;
	p->last_ms = now_ms;
	cl.rx++;

	switch (h.type) {
	case CL_PING:
		if (p == cl.master && cl.state == CS_SLAVE)
			cl.master_lost = 1;	/* our master is a slave now */
		break;
	case CL_HEARTBEAT:
		recv_heartbeat(p, &body);
		break;
	case CL_LASTSEEN:
		if (cl.state == CS_MASTER && rd_u32(&body, &arg) == 0)
			resend_history(p, arg);
		break;
	case CL_RESYNC:
		recv_resync(p, &body);
		break;
	case CL_SYNC:
		recv_sync(p, &body);
		break;
	case CL_FORWARD:
	case CL_FORWARD_IP:
	case CL_FORWARD_DAE:
		recv_forward(p, h.type, &body);
		break;
	case CL_GOODBYE:
		p->gone = 1;
		if (p == cl.master && cl.state == CS_SLAVE)
			cl.master_lost = 1;
		break;
	}
	return;
drop:
	cl.drops[e]++;
	LOG(LOG_CALLS_L, 0, 0, "cluster: dropped a datagram (%s)",
	    cl_err_name(e));
}

static void
readable(int fd, uint32_t events, void *arg)
{
	static uint8_t buf[CL_MAX_PKT + 1];
	int i;

	(void)events;
	(void)arg;
	for (i = 0; i < config->multi_read_count; i++) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n < 0)
			break;
		if ((size_t)n > CL_MAX_PKT) {
			cl.drops[CL_E_LENGTH]++;
			continue;
		}
		cluster_input(buf, (size_t)n);
	}
	/* A master lost: elect now rather than at the next tick. */
	if (cl.master_lost) {
		cl.master_lost = 0;
		if (cl.state == CS_SLAVE) {
			cluster_fsm(EV_MASTER_LOST, NULL);
			if (i_am_best())
				cluster_fsm(EV_ELECTED, NULL);
		}
	}
	routes_update();
}

/* FORWARD, FORWARD_IP, FORWARD_DAE: address and port (0 for IP), then
 * the datagram or packet as received. */
static int
forward(uint8_t type, const uint8_t *buf, size_t len,
    const struct sockaddr_in *from)
{
	static uint8_t body[CL_MAX_BODY];
	struct wr w;

	if (cl.state != CS_SLAVE || cl.master == NULL ||
	    len > CL_MAX_BODY - FWD_HDR) {
		cl.fwd_failed++;
		return -1;
	}
	wr_init(&w, body, sizeof(body));
	if (from != NULL) {
		wr_bytes(&w, &from->sin_addr.s_addr, 4);
		wr_u16(&w, ntohs(from->sin_port));
	} else {
		wr_u32(&w, 0);
		wr_u16(&w, 0);
	}
	wr_u16(&w, 0);
	wr_bytes(&w, buf, len);
	if (w.err || send_unicast(cl.master->addr, type, body, w.len) < 0) {
		cl.fwd_failed++;
		return -1;
	}
	cl.forwarded++;
	return 0;
}

int
cluster_forward_l2tp(const uint8_t *buf, size_t len,
    const struct sockaddr_in *from)
{
	return forward(CL_FORWARD, buf, len, from);
}

int
cluster_forward_ip(const uint8_t *buf, size_t len)
{
	return forward(CL_FORWARD_IP, buf, len, NULL);
}

int
cluster_forward_dae(const uint8_t *buf, size_t len,
    const struct sockaddr_in *from)
{
	return forward(CL_FORWARD_DAE, buf, len, from);
}

/*
 * The fuzz harness: no socket; this node (me) a slave in step with
 * master, which is known with epoch 1 and has sent nothing yet.
 */
void
cluster_fuzz_reset(in_addr_t me, in_addr_t master)
{
	size_t qcap = (size_t)tables->max_sessions + tables->max_tunnels;

	if (cl.queue == NULL) {
		cl.dirty_s = calloc(tables->max_sessions / 8 + 1, 1);
		cl.dirty_t = calloc(tables->max_tunnels / 8 + 1, 1);
		cl.queue = calloc(qcap, sizeof(*cl.queue));
		cl.tctl = calloc(tables->max_tunnels + 1, sizeof(*cl.tctl));
		cl.tctl_len = calloc(tables->max_tunnels + 1,
		    sizeof(*cl.tctl_len));
		if (!cl.dirty_s || !cl.dirty_t || !cl.queue || !cl.tctl ||
		    !cl.tctl_len)
			abort();
		cl.qcap = (uint32_t)qcap;
	}
	memset(cl.peers, 0, sizeof(cl.peers));
	timer_init(&cl.tick, tick, NULL);
	timer_init(&cl.sync_timer, sync_turn, NULL);
	cl.my_addr = me;
	cl.epoch = 2;
	cl.state = CS_SLAVE;
	cl.master = &cl.peers[0];
	cl.master->addr = master;
	cl.master->epoch = 1;
	cl.master->last_ms = now_ms;
	cl.master_last_ms = now_ms;
	cl.have_base = 1;
	cl.syncing = 0;
	cl.expected = 1;
	cl.applied = 0;
	cl.master_lost = 0;
	cl.qlen = 0;
}

/* ---- setup ---- */

static int
iface_addr(const char *name, in_addr_t *addr, int *ifindex)
{
	struct ifreq ifr;
	int s, rc = -1;

	if (strlen(name) >= sizeof(ifr.ifr_name))
		return -1;
	if ((s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, name, strlen(name));
	if (ioctl(s, SIOCGIFADDR, &ifr) == 0) {
		*addr = ((struct sockaddr_in *)&ifr.ifr_addr)->sin_addr.s_addr;
		if (ioctl(s, SIOCGIFINDEX, &ifr) == 0) {
			*ifindex = ifr.ifr_ifindex;
			rc = 0;
		}
	}
	close(s);
	return rc;
}

/*
 * The session core's notifier (session.h): every change made through
 * session.c reaches the slaves.  DOWN needs nothing: the slot's release
 * comes through tables.c's hook.
 */
static void
session_changed(sid_t s, enum session_event ev, void *arg)
{
	(void)arg;
	if (ev != SESSION_EV_DOWN)
		cluster_session_changed(s);
}

int
cluster_init(time_t started)
{
	struct sockaddr_in sin;
	struct ip_mreqn mr;
	char a[INET_ADDRSTRLEN], g[INET_ADDRSTRLEN];
	int one = 1, zero = 0, ttl = config->cluster_mcast_ttl, ifindex;
	int bufsz = 4 << 20;
	size_t qcap;

	cl.started = started;
	cl.epoch = cl_wall_ms();
	cl.state = CS_STANDALONE;
	if (iface_addr(config->cluster_interface, &cl.my_addr, &ifindex) < 0) {
		snprintf(cl.why_standalone, sizeof(cl.why_standalone),
		    "cluster_interface %s has no IPv4 address",
		    config->cluster_interface);
		LOG(LOG_WARN_L, 0, 0, "cluster: %s: running stand-alone (this "
		    "server is its own master)", cl.why_standalone);
		cl.announcing = 1;
		return 0;
	}
	bgp_set_router_id(cl.my_addr);	/* unique in the cluster */
	qcap = (size_t)tables->max_sessions + tables->max_tunnels;
	if ((cl.dirty_s = calloc(tables->max_sessions / 8 + 1, 1)) == NULL ||
	    (cl.dirty_t = calloc(tables->max_tunnels / 8 + 1, 1)) == NULL ||
	    (cl.queue = calloc(qcap, sizeof(*cl.queue))) == NULL)
		return -1;
	cl.qcap = (uint32_t)qcap;
	if ((cl.tctl = calloc(tables->max_tunnels + 1, sizeof(*cl.tctl))) ==
	    NULL || (cl.tctl_len = calloc(tables->max_tunnels + 1,
	    sizeof(*cl.tctl_len))) == NULL)
		return -1;
	tables_set_hook(table_changed);
	session_subscribe(session_changed, NULL);

	if ((cl.fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) < 0)
		return -1;
	setsockopt(cl.fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* Room for a burst of heartbeats or sync chunks (root may force). */
	if (setsockopt(cl.fd, SOL_SOCKET, SO_SNDBUFFORCE, &bufsz,
	    sizeof(bufsz)) < 0)
		setsockopt(cl.fd, SOL_SOCKET, SO_SNDBUF, &bufsz, sizeof(bufsz));
	if (setsockopt(cl.fd, SOL_SOCKET, SO_RCVBUFFORCE, &bufsz,
	    sizeof(bufsz)) < 0)
		setsockopt(cl.fd, SOL_SOCKET, SO_RCVBUF, &bufsz, sizeof(bufsz));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)config->cluster_port);
	memset(&mr, 0, sizeof(mr));
	mr.imr_multiaddr.s_addr = config->cluster_address;
	mr.imr_address.s_addr = cl.my_addr;
	mr.imr_ifindex = ifindex;
	if (bind(cl.fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    setsockopt(cl.fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr,
	    sizeof(mr)) < 0 ||
	    setsockopt(cl.fd, IPPROTO_IP, IP_MULTICAST_IF, &mr,
	    sizeof(mr)) < 0 ||
	    setsockopt(cl.fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl,
	    sizeof(ttl)) < 0 ||
	    setsockopt(cl.fd, IPPROTO_IP, IP_MULTICAST_LOOP, &zero,
	    sizeof(zero)) < 0 ||
	    ev_add(cl.fd, EPOLLIN, readable, NULL) < 0) {
		LOG(LOG_ERROR_L, 0, 0, "cluster: socket on %s port %d: %s",
		    config->cluster_interface, config->cluster_port,
		    strerror(errno));
		close(cl.fd);
		cl.fd = -1;
		return -1;
	}
	cl.group = sin;
	cl.group.sin_addr.s_addr = config->cluster_address;
	if (config->cluster_key[0] == '\0') {
		cl.warned_nokey = 1;
		LOG(LOG_WARN_L, 0, 0, "cluster: no cluster_key set: cluster "
		    "packets are neither authenticated nor protected from "
		    "forgery");
	}
	LOG(LOG_WARN_L, 0, 0, "cluster: node %s on %s, group %s port %d, "
	    "slave until a master is heard or elected",
	    cl_ipstr(cl.my_addr, a), config->cluster_interface,
	    cl_ipstr(config->cluster_address, g), config->cluster_port);
	set_state(CS_WAITING);
	routes_update();	/* none until up to date or master */
	cl.master_last_ms = now_ms;
	timer_init(&cl.tick, tick, NULL);
	timer_init(&cl.sync_timer, sync_turn, NULL);
	timer_set(&cl.tick, 0);
	return 0;
}

void
cluster_close(void)
{
	int i;

	if (cl.fd < 0)
		return;
	send_to(&cl.group, CL_GOODBYE, NULL, 0);
	timer_cancel(&cl.tick);
	timer_cancel(&cl.sync_timer);
	ev_del(cl.fd);
	close(cl.fd);
	cl.fd = -1;
	for (i = 0; i < HB_HISTORY; i++) {
		free(cl.hist[i].body);
		cl.hist[i].body = NULL;
	}
	if (cl.tctl != NULL)
		for (i = 1; i <= (int)tables->max_tunnels; i++)
			free(cl.tctl[i]);
	free(cl.tctl);
	free(cl.tctl_len);
	cl.tctl = NULL;
	cl.tctl_len = NULL;
	free(cl.dirty_s);
	free(cl.dirty_t);
	free(cl.queue);
	cl.dirty_s = cl.dirty_t = NULL;
	cl.queue = NULL;
}
