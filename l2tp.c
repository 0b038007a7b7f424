/*
 * l2tp.c - the LNS side of the L2TPv2 control plane (RFC 2661).
 *
 * State owned:
 *   - the UDP socket (bind_address:l2tp_port);
 *   - the tunnel state machine (7.2, LNS side) and the call state
 *     machine (7.4.1, incoming calls).  Their states are the `state`
 *     fields of the shared tables (tables.c), which are authoritative:
 *     after allocation only tunnel_set_state() and call_set_state()
 *     change them, logging old -> new, and each state's entry function
 *     owns that state's timer (setup, hello, hold; call setup);
 *   - per tunnel, struct tctl (l2tp_int.h): the reliable channel, whose
 *     queues l2tp_rel.c runs, the challenge, the calls' list;
 *   - per session, struct sctl: the call's timer, the proxy LCP and
 *     authentication AVPs;
 *   - admission control: the tunnels not yet established, and the
 *     freed tunnel ids held back from reuse.
 *
 * Implements: header (3.1), tunnel authentication (5.1.1), the control
 * messages of section 6 and the LNS side of the state machines of
 * section 7 for incoming calls.  Outgoing calls (OCRQ) are refused:
 * l2tpns only terminates calls.  The AVP codec is l2tp_avp.c, reliable
 * delivery (5.8) l2tp_rel.c.
 *
 * Input is triaged by l2tp_input() (header, tunnel lookup, sequence
 * numbers, ctl_reorder()), each message becomes an event of
 * tunnel_fsm() (calls: call_fsm()).  Every rejected datagram leaves
 * through l2tp_drop() with a counted reason; errors leave through
 * tunnel_fail() (StopCCN) or call_fail() (CDN).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "l2tp.h"
#include "l2tp_avp.h"
#include "auth.h"
#include "session.h"
#include "cluster.h"
#include "mlppp.h"
#include "dataplane.h"
#include "evring.h"
#include "state.h"
#include "event.h"
#include "log.h"
#include "rd.h"
#include "util.h"
#include "l2tp_int.h"
#include "lacout.h"

#define DIE_HOLD_MS	31000	/* keep state a full retransmission cycle */
#define RECENT_IDS	1024	/* freed tunnel ids not reused soon */
#define DROP_LOGS_PER_SEC 20	/* log lines for dropped datagrams */
#define ID_TRIES	32	/* random ids tried before the bounded walk */

/* What an event carries besides its type. */
struct tev {
	struct msg	*m;		/* the message, for message events */
	uint16_t	 session;	/* session id of its header */
	int		 result, error;	/* local events: the code to send */
	const char	*text;
};

/* What peers can make us log at level 1 (STYLE 11). */
static struct log_rl err_rl = LOG_RL(10, "L2TP errors");

int udp_fd = -1;
/*
 * The socket of the tunnels we open as a LAC (relay, outgoing), bound to
 * bind_address_remotelns:bind_portremotelns when either is set; -1: they
 * use udp_fd like every other tunnel.
 */
int l2tp_lac_fd = -1;
struct tctl **tctl;
struct sctl *sctl;
static uint16_t recent_ids[RECENT_IDS];
static unsigned recent_pos;
static uint8_t recent_map[65536 / 8];	/* bit per id in recent_ids */
/* Tunnels not yet established (admission control), and their sources. */
static tid_t *opening;
static in_addr_t *opening_addr;
static uint32_t n_opening;


/* Attributes each message MUST carry (RFC 2661 section 6). */
static const uint64_t required[M_MAX + 1] = {
	[M_SCCRQ] = BIT(A_PROTOCOL_VERSION) | BIT(A_HOST_NAME) |
	    BIT(A_FRAMING_CAP) | BIT(A_ASSIGNED_TUNNEL),
	[M_SCCCN] = 0,
	[M_STOPCCN] = BIT(A_ASSIGNED_TUNNEL) | BIT(A_RESULT_CODE),
	[M_HELLO] = 0,
	[M_ICRQ] = BIT(A_ASSIGNED_SESSION) | BIT(A_CALL_SERIAL),
	[M_ICCN] = BIT(A_TX_SPEED) | BIT(A_FRAMING_TYPE),
	[M_CDN] = BIT(A_RESULT_CODE) | BIT(A_ASSIGNED_SESSION),
	[M_WEN] = BIT(A_CALL_ERRORS),
	[M_SLI] = BIT(A_ACCM),
	[M_OCRQ] = BIT(A_ASSIGNED_SESSION) | BIT(A_CALL_SERIAL),
};

/* Messages about one call rather than the whole tunnel (RFC 2661 4.2). */
/*
 * The secret of tunnel t: the Tunnel-Password of one we opened (a
 * relay), the secret of the `l2tp incoming` rule its LAC matched, or
 * l2tp_secret.
 */
static const char *
tsecret(tid_t t)
{
	const struct tctl *c = tctl[t];

	if (c->lac || c->secret[0])
		return c->secret;
	return config->l2tp_secret;
}

static int
is_session_msg(int type)
{
	return type == M_ICRQ || type == M_ICRP || type == M_ICCN ||
	    type == M_CDN || type == M_WEN || type == M_SLI ||
	    type == M_OCRQ || type == M_OCRP || type == M_OCCN;
}
/* ---- counters ---- */

static const char *drop_names[D_MAX] = {
	"short", "version", "length", "control flags", "no tunnel",
	"wrong peer", "first message not SCCRQ", "duplicate",
	"outside window", "bad AVP", "data for unknown session",
	"tunnel closing", "no resources", "admission limit",
	"out-of-order memory full",
};

void
l2tp_drop(enum drop why, const struct sockaddr_in *from, tid_t t)
{
	/* Peers cause these: a flood costs counters, not log writes. */
	static struct log_rl rl = LOG_RL(DROP_LOGS_PER_SEC,
	    "L2TP datagrams dropped");
	char a[INET_ADDRSTRLEN];

	stats->l2tp_drops[why]++;
	if (log_level < LOG_WARN_L || !log_rl_ok(&rl, time_now))
		return;
	if (from == NULL && t != 0)
		from = &tunnel_get(t)->peer;
	if (from == NULL)
		return;
	inet_ntop(AF_INET, &from->sin_addr, a, sizeof(a));
	LOG(LOG_WARN_L, 0, t, "dropped L2TP datagram from %s:%u: %s", a,
	    ntohs(from->sin_port), drop_names[why]);
}

const char *
l2tp_drop_name(int i)
{
	return i >= 0 && i < D_MAX ? drop_names[i] : NULL;
}


int
l2tp_tunnel_fd(tid_t t)
{
	const struct tunnel *tp;

	if (l2tp_lac_fd >= 0 && t && (tp = tunnel_get(t)) != NULL && tp->lac)
		return l2tp_lac_fd;
	return udp_fd;
}

void
l2tp_udp_send(const struct sockaddr_in *to, const uint8_t *p, size_t len, tid_t t)
{
	if (sendto(l2tp_tunnel_fd(t), p, len, 0, (const struct sockaddr *)to,
	    sizeof(*to)) < 0) {
		stats->l2tp_tx_errors++;
		if (log_rl_ok(&err_rl, time_now))
			LOG(LOG_ERROR_L, 0, t, "sendto LAC: %s", strerror(errno));
		return;
	}
	stats->l2tp_ctrl_tx++;
	if (log_level >= LOG_PACKET_L)
		log_hex(LOG_PACKET_L, 0, t, "L2TP control tx", p, len);
}

/*
 * Data messages (RFC 2661 3.1): no Length, no sequence numbers, the PPP
 * frame with its address and control octets (FF 03) after the header,
 * prepended in place.  dataplane.c batches and sends them.
 */
uint8_t *
l2tp_data_header(sid_t s, uint8_t *p, size_t len,
    const struct sockaddr_in **to)
{
	struct session *sp = session_get(s);
	struct tunnel *tp;
	uint8_t *h = p - L2TP_DATA_HEADROOM;

	if (sp == NULL || sp->state == SESSION_FREE || udp_fd < 0)
		return NULL;
	/* A bundle's holder without a link: on a link of its bundle. */
	if (sp->tunnel == 0 && ((sp = session_get(mlppp_carrier(s))) == NULL ||
	    sp->tunnel == 0))
		return NULL;
	tp = tunnel_get(sp->tunnel);
	h[0] = 0x00;
	h[1] = L2TP_VERSION;
	h[2] = (uint8_t)(tp->far_id >> 8);
	h[3] = (uint8_t)tp->far_id;
	h[4] = (uint8_t)(sp->far_id >> 8);
	h[5] = (uint8_t)sp->far_id;
	h[6] = 0xff;
	h[7] = 0x03;
	if (log_level >= LOG_PACKET_L)
		log_hex(LOG_PACKET_L, s, sp->tunnel, "L2TP data tx", h,
		    len + L2TP_DATA_HEADROOM);
	*to = &tp->peer;
	return h;
}

int
l2tp_data_fd(void)
{
	return udp_fd;
}

/* ---- identifiers ---- */

static int
recent(uint16_t id)
{
	return (recent_map[id >> 3] >> (id & 7)) & 1;
}

static void
recent_add(uint16_t id)
{
	uint16_t old = recent_ids[recent_pos % RECENT_IDS];

	if (old)
		recent_map[old >> 3] &= (uint8_t)~(1u << (old & 7));
	recent_ids[recent_pos++ % RECENT_IDS] = id;
	recent_map[id >> 3] |= (uint8_t)(1u << (id & 7));
}

int
tunnel_id_taken(tid_t unused, uint16_t id)
{
	(void)unused;
	return tunnel_by_wire(id) != 0 || recent(id);
}

int
session_id_taken(tid_t t, uint16_t id)
{
	return session_by_wire(t, id) != 0;
}

/*
 * A free id (taken() says which are not): a few random tries, then one
 * walk of the whole id space from a random point.  0 when there is
 * none: the search is bounded (issue 20), whether every tunnel id is in
 * use or held back, or a tunnel already carries 65535 calls (possible
 * with max_sessions above 65535; RFC 2661 ids are 16 bits).
 */
uint16_t
new_id(int (*taken)(tid_t, uint16_t), tid_t t)
{
	uint32_t i, id;

	for (i = 0; i < ID_TRIES; i++) {
		id = random_u16_nonzero();
		if (!taken(t, (uint16_t)id))
			return (uint16_t)id;
	}
	id = random_u16_nonzero();
	for (i = 0; i < 65535; i++, id = id % 65535 + 1)
		if (!taken(t, (uint16_t)id))
			return (uint16_t)id;
	return 0;
}

/* ---- admission control (issue 20, finding 1) ---- */

static void
opening_add(tid_t t)
{
	opening[n_opening] = t;
	opening_addr[n_opening] = tunnel_get(t)->peer.sin_addr.s_addr;
	tctl[t]->opening_idx = ++n_opening;
}

static void
opening_del(tid_t t)
{
	struct tctl *c = tctl[t];
	uint32_t i;

	if (c->opening_idx == 0)
		return;
	i = c->opening_idx - 1;
	n_opening--;
	if (i != n_opening) {
		opening[i] = opening[n_opening];
		opening_addr[i] = opening_addr[n_opening];
		tctl[opening[i]]->opening_idx = i + 1;
	}
	c->opening_idx = 0;
}

/*
 * May a new SCCRQ from `a` have a tunnel?  Tunnels not yet established
 * (waiting for SCCCN, or closing before they ever were) are limited in
 * all and per source address, so that a flood of SCCRQs cannot take
 * the tunnel table.  The walk is over the opening tunnels only, which
 * the global limit bounds.
 */
static int
admit(in_addr_t a)
{
	uint32_t i, n = 0, per = (uint32_t)config->l2tp_max_opening_per_source;

	if (config->l2tp_max_opening_tunnels > 0 &&
	    n_opening >= (uint32_t)config->l2tp_max_opening_tunnels)
		return -1;
	if (per == 0)
		return 0;
	for (i = 0; i < n_opening; i++)
		if (opening_addr[i] == a && ++n >= per)
			return -1;
	return 0;
}

/* ---- tunnel state machine, RFC 2661 7.2 (LNS side) ---- */

static const char *tunnel_state_names[] = {
	[TUNNEL_FREE] = "idle", [TUNNEL_OPENING] = "wait-ctl-conn",
	[TUNNEL_OPEN] = "established", [TUNNEL_DYING] = "closing",
};

static const char *tunnel_event_names[TEV_MAX] = {
	[TEV_SCCRQ] = "SCCRQ", [TEV_SCCCN] = "SCCCN",
	[TEV_STOPCCN] = "StopCCN", [TEV_HELLO] = "HELLO", [TEV_ICRQ] = "ICRQ",
	[TEV_CALL] = "call message", [TEV_REPLY] = "reply message",
	[TEV_OCRQ] = "OCRQ", [TEV_SETUP_TIMEOUT] = "setup timeout",
	[TEV_RTX_FAIL] = "retransmission failure",
	[TEV_DEAD_PEER] = "dead peer", [TEV_CLOSE] = "close",
	[TEV_HOLD_DONE] = "hold time over",
};

const char *
l2tp_tunnel_state_name(int st)
{
	return st >= 0 && st <= TUNNEL_DYING ? tunnel_state_names[st] : "?";
}

const char *
l2tp_tunnel_event_name(int ev)
{
	return ev >= 0 && ev < TEV_MAX ? tunnel_event_names[ev] : NULL;
}

static void tunnel_fsm(tid_t, enum l2tp_tunnel_event, struct tev *);
static void call_fsm(sid_t, enum l2tp_call_event, struct tev *);
static void hello_fire(struct timer *, void *);
static void hold_fire(struct timer *, void *);
static void call_free(sid_t, const char *why);

/* wait-ctl-conn: SCCCN due within l2tp_setup_timeout. */
static void
enter_opening(tid_t t)
{
	struct tctl *c = tctl[t];

	opening_add(t);
	timer_init(&c->st, setup_fire, (void *)(uintptr_t)t);
	timer_set(&c->st, (uint64_t)config->l2tp_setup_timeout * 1000);
}

/* established: the HELLO timer. */
static void
enter_open(tid_t t)
{
	struct tctl *c = tctl[t];

	opening_del(t);
	timer_cancel(&c->st);
	timer_init(&c->st, hello_fire, (void *)(uintptr_t)t);
	if (config->hello_interval > 0)
		timer_set(&c->st, (uint64_t)config->hello_interval * 1000);
}

/* closing: calls gone, keep acknowledging for a cycle, then free. */
static void
enter_dying(tid_t t)
{
	struct tctl *c = tctl[t];

	timer_cancel(&c->st);
	c->closing = 1;
	relay_waiters(t, 0);
	while (c->sessions)
		call_fsm(c->sessions, CEV_TUNNEL_DOWN, &(struct tev){ .text =
		    "tunnel closing" });
	if (c->outgoing)
		lacout_tunnel_gone(t, "tunnel closing");
	timer_init(&c->st, hold_fire, (void *)(uintptr_t)t);
	timer_set(&c->st, DIE_HOLD_MS);
}

/* idle: everything freed, the id kept out of use for a while. */
static void
enter_free(tid_t t, const char *why)
{
	struct tunnel *tp = tunnel_get(t);
	struct tctl *c = tctl[t];
	char a[INET_ADDRSTRLEN];

	c->closing = 1;
	relay_waiters(t, 0);
	while (c->sessions)
		call_fsm(c->sessions, CEV_TUNNEL_DOWN, &(struct tev){ .text =
		    "tunnel cleared" });
	if (c->outgoing)
		lacout_tunnel_gone(t, why);
	inet_ntop(AF_INET, &tp->peer.sin_addr, a, sizeof(a));
	LOG(LOG_WARN_L, 0, t, "tunnel to %s (%s) cleared: %s", tp->hostname, a,
	    why);
	opening_del(t);
	rel_free(c);
	tctl[t] = NULL;
	recent_add(tp->local_id);
	tunnel_unbind_peer(t);
	tunnel_release(t);		/* the table's state becomes FREE */
	stats->tunnels_cleared++;
}

/*
 * The only place a tunnel changes state (after tunnel_alloc() made it
 * wait-ctl-conn): logs old -> new and runs the new state's entry
 * function, which owns that state's timer.
 */
void
tunnel_enter(tid_t t, enum tunnel_state old, enum tunnel_state new,
    const char *why)
{
	LOG(LOG_INFO_L, 0, t, "tunnel %s -> %s: %s", tunnel_state_names[old],
	    tunnel_state_names[new], why);
	if (new != TUNNEL_FREE)
		tunnel_get(t)->state = new;
	switch (new) {
	case TUNNEL_OPENING:
		enter_opening(t);
		break;
	case TUNNEL_OPEN:
		enter_open(t);
		break;
	case TUNNEL_DYING:
		enter_dying(t);
		break;
	case TUNNEL_FREE:
		enter_free(t, why);
		break;
	}
}

void
tunnel_set_state(tid_t t, enum tunnel_state new, const char *why)
{
	enum tunnel_state old = tunnel_get(t)->state;

	if (old == new)
		return;
	tunnel_enter(t, old, new, why);
	if (new != TUNNEL_FREE)		/* freed: tables.c tells the cluster */
		cluster_tunnel_changed(t);	/* replicated (cluster.c) */
	state_tunnel(t);		/* the state file (state.c) */
}

static void
send_stopccn(tid_t t, int result, int error, const char *text)
{
	struct tunnel *tp = tunnel_get(t);
	uint8_t buf[MAXCTL];
	struct wr w;

	msg_start(&w, buf, M_STOPCCN);
	avp_u16(&w, A_ASSIGNED_TUNNEL, tp->local_id, 1);
	avp_result(&w, A_RESULT_CODE, (uint16_t)result, (uint16_t)error, text);
	LOG(LOG_WARN_L, 0, t, "closing tunnel to %s: StopCCN result %d error "
	    "%d: %s", tp->hostname, result, error, text ? text : "");
	ctl_queue(t, &w, 0, M_STOPCCN);
}

/*
 * The one exit of a tunnel on an error or a local close (npppd's
 * fsm_fail): the StopCCN with its RFC 2661 4.4.2 result code (2 general
 * error, 4 not authorized, 5 version, 6 shutdown, 7 FSM error), then
 * the closing state.
 */
void
tunnel_fail(tid_t t, int result, int error, const char *text)
{
	send_stopccn(t, result, error, text);
	tunnel_set_state(t, TUNNEL_DYING, text);
}

static void recv_scccn(tid_t, struct msg *);
static void recv_icrq(tid_t, struct msg *);
static void refuse_call(tid_t, uint16_t far_sid, int result, int error,
    const char *text);
static void call_message(tid_t, struct tev *);

/*
 * Tunnel events.  State x event (the unit test drives every pair):
 *
 *             wait-ctl-conn      established        closing
 * SCCRQ       fail 7             fail 7             ignore
 * SCCCN       -> established     fail 7             ignore
 *             (fail 4 bad auth)
 * StopCCN     -> closing         -> closing         (QUIT: hold 0)
 * HELLO       ack                ack                ignore
 * ICRQ        fail 7             new call           ignore
 * call msg    fail 7             to the call        ignore
 * reply msg   fail 7             fail 7             ignore
 * OCRQ        fail 7             CDN 5              ignore
 * setup tmo   fail 2             -                  -
 * rtx fail    -> idle            -> idle            -> idle
 * dead peer   -                  -> idle            -
 * close       CDNs, fail (given) CDNs, fail (given) ignore
 * hold over   -                  -                  -> idle
 *
 * "fail N" is tunnel_fail() with StopCCN result N; "-" cannot happen
 * (the state's entry function does not arm that timer) and is ignored.
 * Messages are acknowledged by l2tp_input() in every state.
 */
static void
tunnel_fsm(tid_t t, enum l2tp_tunnel_event ev, struct tev *e)
{
	struct tunnel *tp = tunnel_get(t);
	enum tunnel_state st = tp->state;

	LOG(LOG_CALLS_L, 0, t, "tunnel event %s in %s", tunnel_event_names[ev],
	    tunnel_state_names[st]);
	if (st == TUNNEL_DYING) {
		switch (ev) {
		case TEV_STOPCCN:
			/* Theirs crossed ours; at QUIT, free once acked. */
			if (main_quit == 2)
				timer_set(&tctl[t]->st, 0);
			break;
		case TEV_RTX_FAIL:
		case TEV_HOLD_DONE:
			tunnel_set_state(t, TUNNEL_FREE, e->text);
			break;
		default:
			break;	/* closing: only acknowledge */
		}
		return;
	}
	switch (ev) {
	case TEV_SCCRQ:
		/* A second SCCRQ on an existing tunnel: RFC 2661 7.2.1. */
		tunnel_fail(t, STOP_FSM_ERROR, 0, "SCCRQ on an existing tunnel");
		break;
	case TEV_SCCCN:
		if (st != TUNNEL_OPENING || tctl[t]->lac)
			tunnel_fail(t, STOP_FSM_ERROR, 0,
			    "SCCCN on an open tunnel");
		else
			recv_scccn(t, e->m);
		break;
	case TEV_STOPCCN:
		LOG(LOG_WARN_L, 0, t, "StopCCN from %s: result %u error %u "
		    "\"%s\"", tp->hostname, e->m->result, e->m->error,
		    e->m->errmsg);
		/* Acknowledged by the caller's ZLB; hold state, then free. */
		tunnel_set_state(t, TUNNEL_DYING, "StopCCN from LAC");
		if (main_quit == 2)
			timer_set(&tctl[t]->st, 0);	/* hold over at once */
		break;
	case TEV_HELLO:
		break;		/* the ack is the answer */
	case TEV_ICRQ:
	case TEV_CALL:
	case TEV_OCRQ:
		/* RFC 2661 7.2.1: calls only on an established tunnel. */
		if (st != TUNNEL_OPEN)
			tunnel_fail(t, STOP_FSM_ERROR, 0, ev == TEV_ICRQ ?
			    "ICRQ before SCCCN" : "call message before SCCCN");
		else if (ev == TEV_ICRQ && tctl[t]->lac)
			/* We are the LAC here: calls go the other way. */
			refuse_call(t, e->m->session_id, CDN_NO_FACILITIES_PERM,
			    0, "incoming calls not accepted on this tunnel");
		else if (ev == TEV_ICRQ)
			recv_icrq(t, e->m);
		else if (ev == TEV_OCRQ)
			/* Outgoing calls are not offered by this LNS. */
			refuse_call(t, e->m->session_id, CDN_NO_FACILITIES_PERM,
			    0, "outgoing calls not supported");
		else
			call_message(t, e);
		break;
	case TEV_REPLY:
		/*
		 * Replies to requests an LNS never sends (RFC 2661 7.2.1);
		 * on a tunnel we opened as a LAC: SCCRP while we wait for
		 * it, ICRP for one of our calls.
		 */
		if (tctl[t]->lac && st == TUNNEL_OPENING &&
		    e->m->type == M_SCCRP)
			recv_sccrp(t, e->m);
		else if (tctl[t]->lac && st == TUNNEL_OPEN &&
		    e->m->type == M_ICRP)
			call_message(t, e);
		else
			tunnel_fail(t, STOP_FSM_ERROR, 0,
			    "unexpected reply message");
		break;
	case TEV_SETUP_TIMEOUT:
		if (st != TUNNEL_OPENING)
			break;
		stats->l2tp_setup_timeouts++;
		LOG(LOG_WARN_L, 0, t, "no %s from %s within %d s",
		    tctl[t]->lac ? "SCCRP" : "SCCCN", tp->hostname,
		    config->l2tp_setup_timeout);
		tunnel_fail(t, STOP_ERROR, 0, tctl[t]->lac ? "no SCCRP in time" :
		    "no SCCCN in time");
		break;
	case TEV_RTX_FAIL:
		tunnel_set_state(t, TUNNEL_FREE, e->text);
		break;
	case TEV_DEAD_PEER:
		if (st == TUNNEL_OPEN)
			tunnel_set_state(t, TUNNEL_FREE, "dead peer");
		break;
	case TEV_CLOSE:
		while (tctl[t]->sessions)
			call_fsm(tctl[t]->sessions, CEV_CLOSE, &(struct tev){
			    .result = CDN_ADMIN, .text = e->text });
		tunnel_fail(t, e->result, e->error, e->text);
		break;
	case TEV_HOLD_DONE:
	case TEV_MAX:
		break;
	}
}

void
tunnel_event(tid_t t, enum l2tp_tunnel_event ev, const char *why)
{
	tunnel_fsm(t, ev, &(struct tev){ .text = why });
}

/* Local and timer events, for the unit test (no message needed). */
void
l2tp_tunnel_event(tid_t t, int ev)
{
	struct tunnel *tp = tunnel_get(t);

	if (tp == NULL || tp->state == TUNNEL_FREE || tctl[t] == NULL ||
	    ev < 0 || ev >= TEV_MAX || ev <= TEV_OCRQ)
		return;
	tunnel_fsm(t, (enum l2tp_tunnel_event)ev, &(struct tev){
	    .result = STOP_CLEAR, .text = "test event" });
}

void
setup_fire(struct timer *tm, void *arg)
{
	(void)tm;
	tunnel_fsm((tid_t)(uintptr_t)arg, TEV_SETUP_TIMEOUT, &(struct tev){
	    .text = "setup timeout" });
}

static void
hold_fire(struct timer *tm, void *arg)
{
	(void)tm;
	tunnel_fsm((tid_t)(uintptr_t)arg, TEV_HOLD_DONE, &(struct tev){
	    .text = "closed" });
}

/*
 * HELLO keepalive (RFC 2661 6.5) after hello_interval of silence, and
 * dead-peer detection: a peer silent for dead_peer_hellos intervals is
 * cleared without waiting for retransmissions (beyond the original).
 */
static void
hello_fire(struct timer *tm, void *arg)
{
	tid_t t = (tid_t)(uintptr_t)arg;
	struct tctl *c = tctl[t];
	uint64_t ivl = (uint64_t)config->hello_interval * 1000;
	uint64_t silent = now_ms - c->last_rx_ms;
	uint8_t buf[MAXCTL];
	struct wr w;

	(void)tm;
	if (ivl == 0)
		return;
	if (config->dead_peer_hellos > 0 &&
	    silent >= ivl * (uint64_t)config->dead_peer_hellos) {
		stats->l2tp_dead_peers++;
		if (log_rl_ok(&err_rl, time_now))
			LOG(LOG_ERROR_L, 0, t, "peer %s silent for %llu s (%d hello "
			    "intervals): dead peer, clearing tunnel",
			    tunnel_get(t)->hostname, (unsigned long long)silent / 1000,
			    config->dead_peer_hellos);
		tunnel_fsm(t, TEV_DEAD_PEER, &(struct tev){ .text =
		    "dead peer" });
		return;
	}
	if (silent >= ivl && c->q_head == NULL && !c->adopted &&
	    !config->disable_sending_hello) {
		msg_start(&w, buf, M_HELLO);
		ctl_queue(t, &w, 0, M_HELLO);
	}
	timer_set_at(tm, (silent >= ivl ? now_ms : c->last_rx_ms) + ivl);
}

static tid_t
tunnel_new(const struct sockaddr_in *from, const struct msg *m)
{
	struct tunnel *tp;
	struct tctl *c;
	uint16_t id;
	tid_t t;

	if ((id = new_id(tunnel_id_taken, 0)) == 0) {
		stats->l2tp_id_exhausted++;
		if (log_rl_ok(&err_rl, time_now))
			LOG(LOG_ERROR_L, 0, 0, "no free tunnel id (%u tunnels, %u ids "
			    "held back after use)", tables->tunnels_used, RECENT_IDS);
		return 0;
	}
	if ((t = tunnel_alloc()) == 0)
		return 0;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		tunnel_release(t);
		return 0;
	}
	tp = tunnel_get(t);
	tp->far_id = m->tunnel_id;
	tp->peer = *from;
	tp->opened = time_now;
	tp->last_rx = time_now;
	snprintf(tp->hostname, sizeof(tp->hostname), "%s", m->host);
	snprintf(tp->vendor, sizeof(tp->vendor), "%s", m->vendor);
	tp->firmware = m->firmware;
	if (m->present & BIT(A_TIE_BREAKER)) {
		memcpy(tp->tie_breaker, m->tie, sizeof(tp->tie_breaker));
		tp->have_tie_breaker = 1;
	}
	tp->framing_cap = m->framing_cap;
	tp->bearer_cap = m->bearer_cap;
	if (tunnel_bind_wire(t, id) < 0 ||
	    tunnel_bind_peer(t, from->sin_addr.s_addr, from->sin_port,
	    m->tunnel_id) < 0) {
		free(c);
		tunnel_release(t);
		return 0;
	}
	c->peer_rws = (m->present & BIT(A_RECV_WINDOW)) ? m->rws : 4;
	tp->peer_rws = c->peer_rws;
	c->nr = 1;		/* the SCCRQ was Ns 0 */
	c->last_rx_ms = now_ms;
	timer_init(&c->st, setup_fire, (void *)(uintptr_t)t);
	tctl[t] = c;
	rel_init(t);
	stats->tunnels_created++;
	tunnel_enter(t, TUNNEL_FREE, TUNNEL_OPENING, "SCCRQ");
	return t;
}

/*
 * Close a tunnel from our side (drop tunnel, QUIT): a CDN for each call,
 * then the StopCCN, all on the reliable channel so they go in order.
 */
int
l2tp_tunnel_close(tid_t t, int result, int error, const char *text)
{
	struct tunnel *tp = tunnel_get(t);

	if (tp == NULL || tp->state == TUNNEL_FREE || tctl[t] == NULL)
		return -1;
	tunnel_fsm(t, TEV_CLOSE, &(struct tev){ .result = result,
	    .error = error, .text = text });
	return 0;
}

void
l2tp_shutdown_all(void)
{
	tid_t t;

	for (t = 1; t <= tables->max_tunnels; t++) {
		if (tctl == NULL || tctl[t] == NULL)
			continue;
		if (tunnel_get(t)->state == TUNNEL_DYING) {
			/* Nothing to wait for: acknowledged, or not
			 * retransmitted any more (unverified peer). */
			if (tctl[t]->q_head == NULL || !tctl[t]->verified)
				tunnel_set_state(t, TUNNEL_FREE, "shutdown");
			continue;
		}
		l2tp_tunnel_close(t, STOP_SHUTDOWN, 0, "LNS shutting down");
	}
}

/* ---- call state machine, RFC 2661 7.4.1 (LNS, incoming calls) ---- */

static const char *call_state_names[] = {
	[SESSION_FREE] = "idle", [SESSION_OPENING] = "wait-connect",
	[SESSION_OPEN] = "established", [SESSION_CLOSING] = "closing",
};

static const char *call_event_names[CEV_MAX] = {
	[CEV_ICCN] = "ICCN", [CEV_CDN] = "CDN", [CEV_WEN] = "WEN",
	[CEV_SLI] = "SLI", [CEV_ICRP] = "ICRP",
	[CEV_SETUP_TIMEOUT] = "setup timeout",
	[CEV_CLOSE] = "close", [CEV_TUNNEL_DOWN] = "tunnel down",
};

const char *
l2tp_call_state_name(int st)
{
	return st >= 0 && st <= SESSION_CLOSING ? call_state_names[st] : "?";
}

const char *
l2tp_call_event_name(int ev)
{
	return ev >= 0 && ev < CEV_MAX ? call_event_names[ev] : NULL;
}

static void
call_setup_fire(struct timer *tm, void *arg)
{
	(void)tm;
	call_fsm((sid_t)(uintptr_t)arg, CEV_SETUP_TIMEOUT, &(struct tev){
	    .text = "setup timeout" });
}

void
session_link(tid_t t, sid_t s)
{
	struct tctl *c = tctl[t];

	sctl[s].prev = 0;
	sctl[s].next = c->sessions;
	if (c->sessions)
		sctl[c->sessions].prev = s;
	c->sessions = s;
	tunnel_get(t)->sessions++;
}

/* idle: PPP told, unlinked, the slot released. */

/* The call's place in its tunnel: off the tunnel's list. */
static void
call_unlink(sid_t s, tid_t t)
{
	struct tctl *c = tctl[t];

	if (sctl[s].prev)
		sctl[sctl[s].prev].next = sctl[s].next;
	else if (c)
		c->sessions = sctl[s].next;
	if (sctl[s].next)
		sctl[sctl[s].next].prev = sctl[s].prev;
	free(sctl[s].proxy);
	memset(&sctl[s], 0, sizeof(sctl[s]));
	if (tunnel_get(t) != NULL && tunnel_get(t)->sessions)
		tunnel_get(t)->sessions--;
}

/*
 * The call of a multilink bundle's master ends while the bundle has
 * other links (ppp_link_detach): the call goes, the session stays as
 * the bundle's holder with no tunnel, wire id or call of its own.
 */
static void
call_detach(sid_t s, const char *why)
{
	struct session *sp = session_get(s);
	tid_t t = sp->tunnel;

	LOG(LOG_INFO_L, s, t, "call of %s closed, its bundle goes on: %s",
	    sp->user, why);
	timer_cancel(&sctl[s].setup);
	call_unlink(s, t);
	session_unbind_wire(s);
	sp->tunnel = 0;
	sp->local_id = 0;
	sp->far_id = 0;
	sp->state = SESSION_OPEN;
	cluster_session_changed(s);
}

static void
call_free(sid_t s, const char *reason)
{
	struct session *sp = session_get(s);
	tid_t t = sp->tunnel;
	char why[128];

	/* The reason may be PPP's own text, which what follows frees. */
	snprintf(why, sizeof(why), "%s", reason);
	/* RFC 1990: a bundle outlives its first link (mlppp.c). */
	if (t != 0 && ppp_link_detach(s)) {
		call_detach(s, why);
		return;
	}
	LOG(LOG_INFO_L, s, t, "session %s closed: %s",
	    sp->user[0] ? sp->user : "(no user)", why);
	timer_cancel(&sctl[s].setup);
	evring_down(s, why, 0);
	if (sp->client)
		lacout_call_gone(s, why);	/* our PPP client's */
	else
		ppp_session_end(s);	/* the Stop still sees the relay's far end */
	relay_end(s, why);
	call_unlink(s, t);
	session_release(s);		/* the table's state becomes FREE */
	stats->sessions_cleared++;
}

void
call_enter(sid_t s, enum session_state old, enum session_state new,
    const char *why)
{
	struct session *sp = session_get(s);

	LOG(LOG_INFO_L, s, sp->tunnel, "call %s -> %s: %s",
	    call_state_names[old], call_state_names[new], why);
	if (new != SESSION_FREE)
		sp->state = new;
	switch (new) {
	case SESSION_OPENING:
		/* wait-connect: ICCN due within l2tp_setup_timeout. */
		timer_init(&sctl[s].setup, call_setup_fire,
		    (void *)(uintptr_t)s);
		timer_set(&sctl[s].setup,
		    (uint64_t)config->l2tp_setup_timeout * 1000);
		break;
	case SESSION_OPEN:
	case SESSION_CLOSING:
		timer_cancel(&sctl[s].setup);
		break;
	case SESSION_FREE:
		call_free(s, why);
		break;
	}
}

/*
 * The only place a call changes state after session_alloc() made it
 * wait-connect.  ppp.c uses it to mark a call closing (PPP terminating;
 * the L2TP call itself stays up until the CDN).
 */
void
call_set_state(sid_t s, enum session_state new, const char *why)
{
	struct session *sp = session_get(s);

	if (sp == NULL || sp->state == SESSION_FREE || sp->state == new)
		return;
	call_enter(s, sp->state, new, why);
	if (new != SESSION_FREE)	/* freed: tables.c tells the cluster */
		cluster_session_changed(s);	/* the call's state */
	state_session(s);		/* the state file (state.c) */
}

static void
send_cdn(tid_t t, uint16_t our_sid, uint16_t far_sid, int result, int error,
    const char *text)
{
	uint8_t buf[MAXCTL];
	struct wr w;

	msg_start(&w, buf, M_CDN);
	avp_result(&w, A_RESULT_CODE, (uint16_t)result, (uint16_t)error, text);
	avp_u16(&w, A_ASSIGNED_SESSION, our_sid, 1);
	ctl_queue(t, &w, far_sid, M_CDN);
}

/* A call we never created (ICRQ/OCRQ refused): CDN with session 0. */
static void
refuse_call(tid_t t, uint16_t far_sid, int result, int error,
    const char *text)
{
	LOG(LOG_WARN_L, 0, t, "refusing call (peer session %u): CDN result "
	    "%d error %d: %s", far_sid, result, error, text);
	send_cdn(t, 0, far_sid, result, error, text);
}

/* The one exit of a call: CDN with its result code, then idle. */
void
call_fail(sid_t s, int result, int error, const char *text)
{
	struct session *sp = session_get(s);

	/* A detached bundle holder (call_detach) has no call to clear. */
	if (sp->tunnel != 0) {
		LOG(LOG_INFO_L, s, sp->tunnel, "sending CDN result %d: %s",
		    result, text ? text : "");
		send_cdn(sp->tunnel, sp->local_id, sp->far_id, result, error,
		    text);
	}
	sctl[s].end_result = result;
	call_set_state(s, SESSION_FREE, text ? text : "closed");
}

static void recv_iccn(sid_t, struct msg *);

/*
 * Call events.  State x event (the unit test drives every pair):
 *
 *               wait-connect        established / closing
 * ICCN          -> established      CDN 2, -> idle
 * CDN           -> idle             -> idle
 * WEN, SLI      logged              logged
 * setup tmo     CDN 2, -> idle      -
 * close         CDN (given), idle   CDN (given), -> idle
 * tunnel down   -> idle             -> idle
 *
 * Data messages are delivered in established and closing only
 * (input_data).  "closing" is entered by PPP (call_set_state).
 */
static void
call_fsm(sid_t s, enum l2tp_call_event ev, struct tev *e)
{
	struct session *sp = session_get(s);
	enum session_state st = sp->state;
	struct msg *m = e->m;

	LOG(LOG_CALLS_L, s, sp->tunnel, "call event %s in %s",
	    call_event_names[ev], call_state_names[st]);
	switch (ev) {
	case CEV_ICCN:
		if (st != SESSION_OPENING || sp->relay_out || sp->client)
			call_fail(s, CDN_ERROR, ERR_BAD_VALUE,
			    "ICCN in the wrong state");
		else
			recv_iccn(s, m);
		break;
	case CEV_ICRP:
		/* Our outgoing half (relay) waiting for it, RFC 2661 7.4.2 */
		if (st != SESSION_OPENING || !(sp->relay_out || sp->client))
			call_fail(s, CDN_ERROR, ERR_BAD_VALUE,
			    "ICRP in the wrong state");
		else
			recv_icrp(s, m);
		break;
	case CEV_CDN:
		LOG(LOG_INFO_L, s, sp->tunnel, "CDN: result %u error %u \"%s\"",
		    m->result, m->error, m->errmsg);
		{
			char r[EVRING_TEXT];

			snprintf(r, sizeof(r), "CDN from LAC: result %u error "
			    "%u %.40s", m->result, m->error, m->errmsg);
			evring_teardown(s, SEA_LAC, 0, r);
		}
		sctl[s].end_result = m->result;
		if (sp->relay_out && st == SESSION_OPENING && sp->relay) {
			relay_refused(s, m);	/* the next LNS, if any */
			break;
		}
		call_set_state(s, SESSION_FREE, sp->relay_out ?
		    "CDN from the far LNS" : sp->client ? "CDN from the LNS" :
		    "CDN from LAC");
		break;
	case CEV_WEN:
		LOG(LOG_WARN_L, s, sp->tunnel, "WEN: CRC %u framing %u overrun "
		    "%u buffer %u timeout %u alignment %u", m->call_errors[0],
		    m->call_errors[1], m->call_errors[2], m->call_errors[3],
		    m->call_errors[4], m->call_errors[5]);
		break;
	case CEV_SLI:
		LOG(LOG_INFO_L, s, sp->tunnel, "SLI: send ACCM %#x receive ACCM "
		    "%#x", m->accm_send, m->accm_recv);
		break;
	case CEV_SETUP_TIMEOUT:
		if (st != SESSION_OPENING)
			break;
		stats->l2tp_setup_timeouts++;
		call_fail(s, CDN_ERROR, ERR_NONE, sp->relay_out ?
		    "no ICRP in time" : "no ICCN in time");
		break;
	case CEV_CLOSE:
		call_fail(s, e->result, e->error, e->text);
		break;
	case CEV_TUNNEL_DOWN:
		call_set_state(s, SESSION_FREE, e->text);
		break;
	case CEV_MAX:
		break;
	}
}

void
l2tp_call_event(sid_t s, int ev)
{
	struct session *sp = session_get(s);

	if (sp == NULL || sp->state == SESSION_FREE || ev < CEV_SETUP_TIMEOUT ||
	    ev >= CEV_MAX)
		return;
	call_fsm(s, (enum l2tp_call_event)ev, &(struct tev){
	    .result = CDN_ADMIN, .text = "test event" });
}

int
l2tp_session_close(sid_t s, int result, int error, const char *text)
{
	struct session *sp = session_get(s);

	if (sp == NULL || sp->state == SESSION_FREE)
		return -1;
	call_fsm(s, CEV_CLOSE, &(struct tev){ .result = result, .error = error,
	    .text = text });
	return 0;
}

const struct l2tp_proxy *
l2tp_session_proxy(sid_t s)
{
	if (session_get(s) == NULL)
		return NULL;
	return sctl[s].proxy;
}

/* ---- message handlers ---- */

/*
 * Refuse an SCCRQ without a tunnel slot: one StopCCN, not retransmitted
 * (there is no state to retransmit from); the LAC's own retransmission
 * of its SCCRQ gets the same answer.
 */
static void
refuse_sccrq(const struct sockaddr_in *from, const struct msg *m, int result,
    int error, const char *text)
{
	uint8_t buf[MAXCTL];
	struct wr w;

	msg_start(&w, buf, M_STOPCCN);
	avp_u16(&w, A_ASSIGNED_TUNNEL, 0, 1);
	avp_result(&w, A_RESULT_CODE, (uint16_t)result, (uint16_t)error, text);
	if (w.err)
		return;
	put_header(buf, (uint16_t)w.len, m->tunnel_id, 0, 0, 1);
	stats->l2tp_ctrl_tx_type[M_STOPCCN]++;
	l2tp_udp_send(from, buf, w.len, 0);
}

static void
recv_sccrq(const struct sockaddr_in *from, struct msg *m)
{
	uint8_t buf[MAXCTL], resp[16];
	struct wr w;
	tid_t t;
	int secret, rule = -1, i;

	if ((t = tunnel_new(from, m)) == 0) {
		l2tp_drop(D_NO_RESOURCES, from, 0);
		if (log_rl_ok(&err_rl, time_now))
			LOG(LOG_ERROR_L, 0, 0, "no free tunnel for SCCRQ from %s "
			    "(%u in use): refused", m->host, tables->tunnels_used);
		refuse_sccrq(from, m, STOP_ERROR, ERR_NO_RESOURCES,
		    "no free tunnel");
		return;
	}
	LOG(LOG_INFO_L, 0, t, "SCCRQ from %s (vendor \"%s\", firmware %#x), "
	    "peer tunnel %u, window %u%s", m->host, m->vendor, m->firmware,
	    m->tunnel_id, tctl[t]->peer_rws,
	    (m->present & BIT(A_CHALLENGE)) ? ", with challenge" : "");

	if (main_quit) {
		tunnel_fail(t, STOP_SHUTDOWN, 0, "LNS shutting down");
		return;
	}
	/* RFC 2661 4.4.3: Protocol Version 1, Revision 0. */
	if (m->proto_ver != 0x0100) {
		tunnel_fail(t, STOP_BAD_VERSION, 0,
		    "only protocol version 1.0 is supported");
		return;
	}
	/*
	 * Static incoming tunnels (FireBrick 12.3.2): with `l2tp incoming`
	 * rules, only a LAC whose Host Name one names, authenticated with
	 * its secret (we challenge it, 5.1.1).
	 */
	for (i = 0; i < config->nl2tp_tunnels; i++)
		if (strcmp(config->l2tp_tunnels[i].host, m->host) == 0) {
			rule = i;
			break;
		}
	if (config->nl2tp_tunnels > 0 && rule < 0) {
		stats->l2tp_auth_failures++;
		tunnel_fail(t, STOP_NOT_AUTHORIZED, 0,
		    "no l2tp incoming rule for this host name");
		return;
	}
	if (rule >= 0)
		snprintf(tctl[t]->secret, sizeof(tctl[t]->secret), "%s",
		    config->l2tp_tunnels[rule].secret);
	secret = tsecret(t)[0] != '\0';
	/* 5.1.1: a challenge we cannot answer disallows the tunnel. */
	if ((m->present & BIT(A_CHALLENGE)) && !secret) {
		tunnel_fail(t, STOP_NOT_AUTHORIZED, 0,
		    "challenge received but no l2tp_secret configured");
		return;
	}

	msg_start(&w, buf, M_SCCRP);
	avp_u16(&w, A_PROTOCOL_VERSION, 0x0100, 1);
	avp_u32(&w, A_FRAMING_CAP, 0x3, 1);	/* sync and async */
	avp_bytes(&w, A_HOST_NAME, config->hostname, strlen(config->hostname),
	    1);
	avp_bytes(&w, A_VENDOR_NAME, "l2tpns", 6, 0);
	avp_u16(&w, A_FIRMWARE, 0x0300, 0);
	avp_u16(&w, A_ASSIGNED_TUNNEL, tunnel_get(t)->local_id, 1);
	avp_u16(&w, A_RECV_WINDOW, OUR_RWS, 1);
	if (m->present & BIT(A_CHALLENGE)) {
		l2tp_chap_md5(M_SCCRP, tsecret(t), m->challenge,
		    m->chal_len, resp);
		avp_bytes(&w, A_CHALLENGE_RESP, resp, 16, 1);
	}
	/*
	 * 5.1.1: we challenge a LAC that challenged us (it has the secret
	 * and expects mutual authentication), and every LAC with
	 * l2tp_challenge_lac.  Not by default: a LAC without a secret of
	 * its own refuses a challenge, and the manual has always said the
	 * secret is used only when the LAC asks for authentication.
	 */
	if (secret && ((m->present & BIT(A_CHALLENGE)) ||
	    config->l2tp_challenge_lac || rule >= 0)) {
		random_bytes(tctl[t]->challenge, CHALLENGE_LEN);
		tctl[t]->challenged = 1;
		avp_bytes(&w, A_CHALLENGE, tctl[t]->challenge, CHALLENGE_LEN, 1);
	}
	ctl_queue(t, &w, 0, M_SCCRP);
}

/* In wait-ctl-conn: check the LAC's answer to our challenge, then up. */
static void
recv_scccn(tid_t t, struct msg *m)
{
	struct tunnel *tp = tunnel_get(t);
	struct tctl *c = tctl[t];
	uint8_t want[16];

	if (c->challenged) {
		l2tp_chap_md5(M_SCCCN, tsecret(t), c->challenge,
		    CHALLENGE_LEN, want);
		if (!(m->present & BIT(A_CHALLENGE_RESP)) ||
		    memcmp(want, m->chal_resp, 16) != 0) {
			stats->l2tp_auth_failures++;
			tunnel_fail(t, STOP_NOT_AUTHORIZED, 0,
			    (m->present & BIT(A_CHALLENGE_RESP)) ?
			    "challenge response does not match l2tp_secret" :
			    "no challenge response");
			return;
		}
	}
	tunnel_set_state(t, TUNNEL_OPEN, "SCCCN");
	LOG(LOG_WARN_L, 0, t, "tunnel up with %s, local id %u, peer id %u%s",
	    tp->hostname, tp->local_id, tp->far_id,
	    c->challenged ? ", authenticated" : "");
}

static void
recv_icrq(tid_t t, struct msg *m)
{
	uint8_t buf[MAXCTL];
	struct session *sp;
	struct wr w;
	uint16_t id;
	sid_t s;

	if (main_quit) {
		refuse_call(t, m->session_id, CDN_NO_FACILITIES_TEMP, 0,
		    "LNS shutting down");
		return;
	}
	if (config->max_sessions_per_tunnel > 0 &&
	    tunnel_get(t)->sessions >= (uint32_t)config->max_sessions_per_tunnel) {
		l2tp_drop(D_NO_RESOURCES, NULL, t);
		LOG(LOG_WARN_L, 0, t, "tunnel already carries %u calls "
		    "(max_sessions_per_tunnel): refusing call",
		    tunnel_get(t)->sessions);
		refuse_call(t, m->session_id, CDN_NO_FACILITIES_TEMP,
		    ERR_NO_RESOURCES, "too many calls on this tunnel");
		return;
	}
	/* RFC 2661 4.4.3: 65535 session ids per tunnel, whatever the table. */
	if ((id = new_id(session_id_taken, t)) == 0) {
		stats->l2tp_id_exhausted++;
		l2tp_drop(D_NO_RESOURCES, NULL, t);
		refuse_call(t, m->session_id, CDN_NO_FACILITIES_TEMP,
		    ERR_NO_RESOURCES, "no free session id on this tunnel");
		return;
	}
	if ((s = session_alloc()) == 0) {
		l2tp_drop(D_NO_RESOURCES, NULL, t);
		if (log_rl_ok(&err_rl, time_now))
			LOG(LOG_ERROR_L, 0, t, "session table full (%u): refusing call",
			    tables->max_sessions);
		refuse_call(t, m->session_id, CDN_NO_FACILITIES_TEMP,
		    ERR_NO_RESOURCES, "no free session");
		return;
	}
	sp = session_get(s);
	sp->tunnel = t;
	sp->far_id = m->session_id;
	sp->opened = time_now;
	sp->last_packet = time_now;
	snprintf(sp->calling, sizeof(sp->calling), "%s", m->calling);
	snprintf(sp->called, sizeof(sp->called), "%s", m->called);
	if (session_bind_wire(s, id) < 0) {
		session_release(s);
		refuse_call(t, m->session_id, CDN_ERROR, ERR_NO_RESOURCES,
		    "cannot index session");
		return;
	}
	memset(&sctl[s], 0, sizeof(sctl[s]));
	sctl[s].serial = m->serial;
	session_link(t, s);
	stats->sessions_created++;
	sp->icrq_ms = now_ms ? now_ms : 1;	/* set-up latency (metrics) */
	evring_reset(s);
	evring_add(s, SEV_TUNNEL_UP, SEA_LAC, 0, "tunnel %u from \"%s\", up "
	    "%ld s", t, tunnel_get(t)->hostname,
	    (long)(time_now - tunnel_get(t)->opened));
	evring_add(s, SEV_CALL, SEA_LAC, 0, "ICRQ from \"%s\" to \"%s\"",
	    m->calling, m->called);
	call_enter(s, SESSION_FREE, SESSION_OPENING, "ICRQ");
	LOG(LOG_INFO_L, s, t, "ICRQ: call %u from \"%s\" to \"%s\", peer "
	    "session %u, local session %u", m->serial, m->calling, m->called,
	    m->session_id, sp->local_id);

	msg_start(&w, buf, M_ICRP);
	if (tctl[t]->peer_hides && tsecret(t)[0]) {
		/* Answer in kind: hide our Assigned Session ID (4.3). */
		uint8_t rv[16], val[2], hid[2 + 2];
		size_t n;

		random_bytes(rv, sizeof(rv));
		val[0] = (uint8_t)(sp->local_id >> 8);
		val[1] = (uint8_t)sp->local_id;
		avp_bytes(&w, A_RANDOM_VECTOR, rv, sizeof(rv), 1);
		n = l2tp_hide(A_ASSIGNED_SESSION, tsecret(t), rv,
		    sizeof(rv), val, sizeof(val), hid, sizeof(hid));
		wr_u16(&w, (uint16_t)(AVP_M | AVP_H | (AVP_HDR + n)));
		wr_u16(&w, 0);
		wr_u16(&w, A_ASSIGNED_SESSION);
		wr_bytes(&w, hid, n);
	} else
		avp_u16(&w, A_ASSIGNED_SESSION, sp->local_id, 1);
	ctl_queue(t, &w, sp->far_id, M_ICRP);
}

/* In wait-connect: the call is up, PPP starts. */
static void
recv_iccn(sid_t s, struct msg *m)
{
	struct session *sp = session_get(s);

	sp->tx_speed = m->tx_speed;
	sp->rx_speed = (m->present & BIT(A_RX_SPEED)) ? m->rx_speed :
	    m->tx_speed;
	sp->framing = m->framing_type;
	if (m->have_proxy) {
		sctl[s].proxy = malloc(sizeof(*sctl[s].proxy));
		if (sctl[s].proxy)
			*sctl[s].proxy = m->proxy;
	}
	call_set_state(s, SESSION_OPEN, "ICCN");
	LOG(LOG_INFO_L, s, sp->tunnel, "ICCN: call connected at %u bit/s (rx "
	    "%u), framing %#x%s%s%s", sp->tx_speed, sp->rx_speed, sp->framing,
	    m->have_proxy ? ", proxy " : "",
	    m->proxy.auth_name[0] ? "user " : "",
	    m->proxy.auth_name);
	ppp_session_start(s);
}

/* ICCN, CDN, WEN, SLI on an established tunnel: find the call. */
static void
call_message(tid_t t, struct tev *e)
{
	struct msg *m = e->m;
	sid_t s = session_by_wire(t, e->session);

	if (s == 0 && m->type == M_CDN) {
		/* A CDN may name the call by the peer's id only (6.12). */
		sid_t i;

		for (i = tctl[t]->sessions; i; i = sctl[i].next)
			if (session_get(i)->far_id == m->session_id) {
				s = i;
				break;
			}
	}
	if (s == 0) {
		LOG(LOG_WARN_L, 0, t, "%s for unknown session %u",
		    l2tp_msg_name(m->type), e->session);
		/*
		 * An ICCN for a call we no longer hold (freed by its setup
		 * timeout while the LAC was slow): a CDN naming it by the id
		 * the LAC addressed, which is ours.  The peer's id is not in
		 * an ICCN, so the header carries 0; the Assigned Session ID
		 * must be non-zero (RFC 2661 4.4.4), and 0 there makes a
		 * strict LAC drop the whole tunnel.
		 */
		if (m->type == M_ICCN && e->session != 0) {
			LOG(LOG_WARN_L, 0, t, "refusing call (our session %u): "
			    "CDN result %d error %d: unknown session",
			    e->session, CDN_ERROR, ERR_BAD_SESSION);
			send_cdn(t, e->session, 0, CDN_ERROR, ERR_BAD_SESSION,
			    "unknown session");
		}
		return;
	}
	call_fsm(s, m->type == M_ICCN ? CEV_ICCN : m->type == M_CDN ? CEV_CDN :
	    m->type == M_WEN ? CEV_WEN : m->type == M_ICRP ? CEV_ICRP : CEV_SLI,
	    e);
}

/* A message that fails its checks: the tunnel's or the call's error. */
static void
reject_msg(tid_t t, const struct sockaddr_in *from, struct msg *m,
    uint16_t session, int error, const char *why)
{
	sid_t s;

	l2tp_drop(D_AVP, from, t);
	/* RFC 2661 4.1, 4.2: session messages end the session only. */
	if (!is_session_msg(m->type))
		tunnel_fail(t, STOP_ERROR, error, why);
	else if ((m->type == M_ICRQ || m->type == M_OCRQ) &&
	    (m->present & BIT(A_ASSIGNED_SESSION)))
		refuse_call(t, m->session_id, CDN_ERROR, error, why);
	else if ((s = session_by_wire(t, session)) != 0)
		call_fsm(s, CEV_CLOSE, &(struct tev){ .result = CDN_ERROR,
		    .error = error, .text = why });
}

/*
 * Deliver one in-sequence control message to the tunnel state machine.
 * `session` is the session id from the header.
 */
void
ctl_deliver(tid_t t, const struct sockaddr_in *from, uint16_t session,
    const uint8_t *avp, size_t len)
{
	struct tunnel *tp = tunnel_get(t);
	static struct msg m;
	static const uint8_t events[M_MAX + 1] = {
		[M_SCCRQ] = TEV_SCCRQ, [M_SCCCN] = TEV_SCCCN,
		[M_STOPCCN] = TEV_STOPCCN, [M_HELLO] = TEV_HELLO,
		[M_ICRQ] = TEV_ICRQ, [M_OCRQ] = TEV_OCRQ,
		[M_SCCRP] = TEV_REPLY, [M_ICRP] = TEV_REPLY,
		[M_OCRP] = TEV_REPLY, [M_OCCN] = TEV_REPLY,
		[M_ICCN] = TEV_CALL, [M_CDN] = TEV_CALL, [M_WEN] = TEV_CALL,
		[M_SLI] = TEV_CALL,
	};
	char why[160];
	struct rd r;

	rd_init(&r, avp, len);
	if (parse_avps(&m, &r, tsecret(t)) < 0) {
		if (tp->state == TUNNEL_DYING) {
			l2tp_drop(D_DYING, from, t);
			return;
		}
		if (log_rl_ok(&err_rl, time_now))
			LOG(LOG_ERROR_L, 0, t, "malformed %s from %s: %s",
			    l2tp_msg_name(m.type), tp->hostname, m.why);
		/* A malformed tunnel message is fatal to the tunnel (4.1). */
		m.present = 0;
		reject_msg(t, from, &m, session, ERR_BAD_LENGTH, m.why);
		return;
	}
	stats->l2tp_ctrl_rx_type[m.type <= M_MAX ? m.type : 0]++;
	if (m.hidden)
		tctl[t]->peer_hides = 1;
	LOG(LOG_INFO_L, 0, t, "recv %s", l2tp_msg_name(m.type));
	if (tp->state == TUNNEL_DYING && m.type != M_STOPCCN) {
		l2tp_drop(D_DYING, from, t);	/* closing: only acknowledge */
		return;
	}
	if (!l2tp_msg_known(m.type)) {
		/* RFC 2661 4.4.1: unknown type with M set. */
		if (m.mbit)
			tunnel_fail(t, STOP_ERROR, ERR_UNKNOWN_M_AVP,
			    "unknown mandatory message type");
		return;
	}
	if ((m.present & required[m.type]) != required[m.type]) {
		uint64_t missing = required[m.type] & ~m.present;

		snprintf(why, sizeof(why), "%s without %s", l2tp_msg_name(m.type),
		    l2tp_avp_name(__builtin_ctzll(missing)));
		if (log_rl_ok(&err_rl, time_now))
			LOG(LOG_ERROR_L, 0, t, "%s", why);
		reject_msg(t, from, &m, session, ERR_BAD_VALUE, why);
		return;
	}
	if (m.unknown_m >= 0) {
		snprintf(why, sizeof(why), "unknown mandatory AVP %s%d in %s",
		    m.unknown_m & 0x10000 ? "vendor " : "", m.unknown_m & 0xffff,
		    l2tp_msg_name(m.type));
		if (log_rl_ok(&err_rl, time_now))
			LOG(LOG_ERROR_L, 0, t, "%s", why);
		reject_msg(t, from, &m, session, ERR_UNKNOWN_M_AVP, why);
		return;
	}
	if (m.present & BIT(A_HOST_NAME) && m.type != M_SCCRQ)
		snprintf(tp->hostname, sizeof(tp->hostname), "%s", m.host);
	tunnel_fsm(t, (enum l2tp_tunnel_event)events[m.type],
	    &(struct tev){ .m = &m, .session = session });
}

/* ---- input ---- */

/* The first message of a tunnel: parse just enough to create it. */
static void
input_new_tunnel(const struct sockaddr_in *from, uint16_t ns,
    const uint8_t *avp, size_t len)
{
	static struct msg m;
	struct rd r;
	tid_t t;

	rd_init(&r, avp, len);
	if (parse_avps(&m, &r, config->l2tp_secret) < 0 ||
	    m.type != M_SCCRQ || ns != 0) {
		l2tp_drop(D_FIRST_NOT_SCCRQ, from, 0);
		return;
	}
	/*
	 * A retransmitted SCCRQ whose answer was lost: same tunnel, and
	 * the answer again (past UNVERIFIED_TRIES, the only
	 * retransmission an unverified peer gets, see send_window).
	 */
	if ((t = tunnel_by_peer(from->sin_addr.s_addr, from->sin_port,
	    m.tunnel_id)) != 0) {
		tctl[t]->last_rx_ms = now_ms;
		if (tctl[t]->q_head != NULL && tctl[t]->q_head->sent)
			ctl_resend(t);
		else
			send_zlb(t);
		l2tp_drop(D_DUPLICATE, from, t);
		return;
	}
	/* Admission control: silently, the LAC retransmits (5.8). */
	if (admit(from->sin_addr.s_addr) < 0) {
		stats->l2tp_admission_refused++;
		l2tp_drop(D_ADMISSION, from, 0);
		return;
	}
	stats->l2tp_ctrl_rx_type[M_SCCRQ]++;
	if ((m.present & required[M_SCCRQ]) != required[M_SCCRQ] ||
	    m.tunnel_id == 0) {
		if (log_rl_ok(&err_rl, time_now))
			LOG(LOG_ERROR_L, 0, 0, "SCCRQ from %s without mandatory AVPs",
			    m.host);
		if (m.tunnel_id != 0 && (t = tunnel_new(from, &m)) != 0)
			tunnel_fail(t, STOP_ERROR, ERR_BAD_VALUE,
			    "SCCRQ missing a mandatory AVP");
		else
			l2tp_drop(D_AVP, from, 0);
		return;
	}
	if (m.unknown_m >= 0) {
		if ((t = tunnel_new(from, &m)) != 0)
			tunnel_fail(t, STOP_ERROR, ERR_UNKNOWN_M_AVP,
			    "unknown mandatory AVP in SCCRQ");
		else
			l2tp_drop(D_NO_RESOURCES, from, 0);
		return;
	}
	recv_sccrq(from, &m);
}

/* Data message: PPP for a session (RFC 2661 3.1, T=0). */
static void
input_data(tid_t t, const struct sockaddr_in *from, uint16_t session,
    const uint8_t *ppp, size_t len)
{
	sid_t s = session_by_wire(t, session);
	struct session *sp;

	if (tctl[t] == NULL) {
		/* In the table but not ours (a cluster slave's replica). */
		l2tp_drop(D_NO_TUNNEL, from, t);
		return;
	}
	tctl[t]->last_rx_ms = now_ms;
	if (s == 0) {
		l2tp_drop(D_DATA_NO_SESSION, from, t);
		return;
	}
	sp = session_get(s);
	stats->l2tp_data_rx++;
	/* RFC 2661 7.4.1: data flows once the call is connected. */
	if (sp->state != SESSION_OPEN && sp->state != SESSION_CLOSING) {
		l2tp_drop(D_DATA_NO_SESSION, from, t);
		return;
	}
	if (sp->relay) {
		relay_data(s, sp, ppp, len);
		return;
	}
	if (sp->client) {
		pppc_input(s, ppp, len);	/* outgoing L2TP: ours */
		return;
	}
	ppp_input(s, ppp, len);
}

void
l2tp_input(const uint8_t *buf, size_t len, const struct sockaddr_in *from)
{
	struct rd r, body;
	uint16_t flags, length, tunnel, session, ns = 0, nr = 0, off;
	struct tunnel *tp;
	struct tctl *c;
	tid_t t;

	/*
	 * A slave hands everything to the master (manual, "Clustering"):
	 * it runs no L2TP or PPP state of its own yet.  Without a master
	 * (an election pending) the LAC retransmits.
	 */
	if (!iam_master()) {
		cluster_forward_l2tp(buf, len, from);
		return;
	}
	stats->l2tp_rx_packets++;
	if (log_level >= LOG_PACKET_L)
		log_hex(LOG_PACKET_L, 0, 0, "L2TP rx", buf, len);
	rd_init(&r, buf, len);
	if (rd_u16(&r, &flags) < 0) {
		l2tp_drop(D_SHORT, from, 0);
		return;
	}
	if ((flags & L2TP_VER_MASK) != L2TP_VERSION) {
		/* Version 3 or L2F: silently discard (RFC 2661 3.1). */
		l2tp_drop(D_VERSION, from, 0);
		return;
	}
	if (flags & L2TP_T) {
		/* Control: L and S MUST be set, O and P MUST be clear. */
		if ((flags & (L2TP_L | L2TP_S | L2TP_O | L2TP_P)) !=
		    (L2TP_L | L2TP_S)) {
			l2tp_drop(D_CTL_FLAGS, from, 0);
			return;
		}
	}
	if (flags & L2TP_L) {
		if (rd_u16(&r, &length) < 0 || length < 6 || length > len) {
			l2tp_drop(D_LENGTH, from, 0);
			return;
		}
		/* Trailing bytes beyond Length (UDP padding) are ignored. */
		rd_init(&r, buf + 4, length - 4u);
	}
	if (rd_u16(&r, &tunnel) < 0 || rd_u16(&r, &session) < 0) {
		l2tp_drop(D_SHORT, from, 0);
		return;
	}
	if (flags & L2TP_S) {
		if (rd_u16(&r, &ns) < 0 || rd_u16(&r, &nr) < 0) {
			l2tp_drop(D_SHORT, from, 0);
			return;
		}
	}
	if (flags & L2TP_O) {
		if (rd_u16(&r, &off) < 0 || rd_skip(&r, off) < 0) {
			l2tp_drop(D_LENGTH, from, 0);
			return;
		}
	}
	body = r;

	if (!(flags & L2TP_T)) {
		if ((t = tunnel_by_wire(tunnel)) == 0) {
			l2tp_drop(D_NO_TUNNEL, from, 0);
			return;
		}
		tp = tunnel_get(t);
		/* As for control messages: the LAC's port too, or another
		 * LAC on that address (a NAT) could feed our sessions. */
		if (tp->peer.sin_addr.s_addr != from->sin_addr.s_addr ||
		    (tp->peer.sin_port != from->sin_port &&
		    !config->auth_tunnel_change_addr_src)) {
			l2tp_drop(D_BAD_PEER, from, t);
			return;
		}
		input_data(t, from, session, body.p, body.left);
		return;
	}

	stats->l2tp_ctrl_rx++;
	if (tunnel == 0) {
		input_new_tunnel(from, ns, body.p, body.left);
		return;
	}
	if ((t = tunnel_by_wire(tunnel)) == 0) {
		l2tp_drop(D_NO_TUNNEL, from, 0);
		return;
	}
	tp = tunnel_get(t);
	if ((c = tctl[t]) == NULL) {
		/* In the table but not ours (a cluster slave's replica). */
		l2tp_drop(D_NO_TUNNEL, from, t);
		return;
	}
	/*
	 * A far LNS may answer our SCCRQ from another port (RFC 2661
	 * 8.1): its first message sets the port of our tunnel.
	 */
	if (c->lac && tp->state == TUNNEL_OPENING && tp->far_id == 0 &&
	    tp->peer.sin_addr.s_addr == from->sin_addr.s_addr)
		tp->peer.sin_port = from->sin_port;
	/* Only the LAC that opened the tunnel may speak on it. */
	if (tp->peer.sin_addr.s_addr != from->sin_addr.s_addr ||
	    (tp->peer.sin_port != from->sin_port &&
	    !config->auth_tunnel_change_addr_src)) {
		l2tp_drop(D_BAD_PEER, from, t);
		return;
	}
	if (config->auth_tunnel_change_addr_src)
		tp->peer = *from;
	if (c->adopted == 2 && !rel_adopt_ok(t, ns, nr)) {
		LOG(LOG_WARN_L, 0, t, "inherited tunnel with %s: its Ns %u Nr "
		    "%u do not fit the replicated Ns %u Nr %u", tp->hostname,
		    ns, nr, c->ns, c->nr);
		rel_drop_queue(t);
		c->adopted = 1;
	}
	if (c->adopted == 2) {
		/* Replicated numbers, confirmed (cluster.c, issue 18). */
		c->adopted = 0;
		LOG(LOG_INFO_L, 0, t, "inherited tunnel with %s: replicated Ns "
		    "%u Nr %u confirmed by its first message", tp->hostname,
		    c->ns, c->nr);
	} else if (c->adopted) {
		/*
		 * Inherited from the cluster: the LAC's Nr is the Ns it
		 * expects from us, its Ns the next we accept (RFC 2661
		 * 5.8).  What the old master had not had acknowledged is
		 * lost; the LAC retransmits its own.
		 */
		c->adopted = 0;
		c->ns = nr;
		c->nr = ns;
		LOG(LOG_WARN_L, 0, t, "inherited tunnel with %s: Ns %u Nr %u "
		    "taken from its first message", tp->hostname, nr, ns);
	}
	c->last_rx_ms = now_ms;
	tp->last_rx = time_now;
	ctl_ack(t, nr);
	cluster_tunnel_changed(t);	/* queue and Nr replicated (issue 18) */
	if (tctl[t] == NULL)
		return;		/* cleared by the ack (shutdown) */
	if (body.left == 0) {
		stats->l2tp_zlb_rx++;
		return;		/* ZLB: nothing more */
	}
	c->sent_since_rx = 0;
	ctl_reorder(t, from, ns, session, body.p, body.left);
	/* Acknowledge unless a reply already carried our Nr. */
	if (tctl[t] != NULL && !tctl[t]->sent_since_rx)
		send_zlb(t);
	if (tctl[t] != NULL)
		state_tunnel(t);	/* Nr committed (state.c) */
}

int
l2tp_init_state(void)
{
	/* Again (tests, after tables_init with other sizes): start empty. */
	free(tctl);
	free(sctl);
	free(opening);
	free(opening_addr);
	n_opening = 0;
	recent_pos = 0;
	memset(recent_ids, 0, sizeof(recent_ids));
	memset(recent_map, 0, sizeof(recent_map));
	if ((tctl = calloc(tables->max_tunnels + 1, sizeof(*tctl))) == NULL ||
	    (sctl = calloc(tables->max_sessions + 1, sizeof(*sctl))) == NULL ||
	    (opening = calloc(tables->max_tunnels, sizeof(*opening))) == NULL ||
	    (opening_addr = calloc(tables->max_tunnels,
	    sizeof(*opening_addr))) == NULL) {
		log_crit("cannot allocate L2TP state: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int
l2tp_init(void)
{
	struct sockaddr_in sin;
	int on = 1, rcvbuf = 8 * 1024 * 1024;

	if (l2tp_init_state() < 0)
		return -1;
	udp_fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (udp_fd < 0) {
		log_crit("L2TP socket: %s", strerror(errno));
		return -1;
	}
	setsockopt(udp_fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	/*
	 * A burst of LACs (a LAC reboot brings back all its tunnels) must
	 * not overflow the socket: ask for a large buffer, past rmem_max
	 * when we are allowed to.
	 */
	if (setsockopt(udp_fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
	    sizeof(rcvbuf)) < 0)
		setsockopt(udp_fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
		    sizeof(rcvbuf));
	setsockopt(udp_fd, SOL_SOCKET, SO_SNDBUF, &rcvbuf, sizeof(rcvbuf));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = config->bind_address;
	sin.sin_port = htons((uint16_t)config->l2tp_port);
	if (bind(udp_fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		char a[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &sin.sin_addr, a, sizeof(a));
		log_crit("cannot bind L2TP to %s:%d: %s", a, config->l2tp_port,
		    strerror(errno));
		close(udp_fd);
		udp_fd = -1;
		return -1;
	}
	dp_udp_socket(udp_fd);
	if (ev_add(udp_fd, EPOLLIN, dp_udp_readable, NULL) < 0) {
		log_crit("epoll L2TP: %s", strerror(errno));
		return -1;
	}
	return lac_socket_open();
}

void
l2tp_close(void)
{
	if (udp_fd >= 0) {
		ev_del(udp_fd);
		close(udp_fd);
	}
	udp_fd = -1;
	if (l2tp_lac_fd >= 0) {
		ev_del(l2tp_lac_fd);
		close(l2tp_lac_fd);
	}
	l2tp_lac_fd = -1;
}

void
l2tp_set_socket(int fd)
{
	udp_fd = fd;
}

void
l2tp_clear_call(tid_t t, uint16_t our_sid, uint16_t far_sid, const char *text)
{
	if (tctl == NULL || t == 0 || t > tables->max_tunnels ||
	    tctl[t] == NULL)
		return;
	LOG(LOG_WARN_L, 0, t, "clearing call (peer session %u): CDN result "
	    "%d: %s", far_sid, CDN_ADMIN, text);
	send_cdn(t, our_sid, far_sid, CDN_ADMIN, 0, text);
}

/*
 * A new cluster master takes over the tunnels and sessions it inherited
 * (cluster.c wrote them into the tables): control state for each tunnel
 * that has none, its sequence numbers taken from the LAC's next message
 * (c->adopted, see l2tp_input), the timer of its state, and each call
 * linked to its tunnel.
 */
void
l2tp_adopt(void)
{
	uint32_t t, s, nt = 0, ns = 0;

	if (tctl == NULL || sctl == NULL)
		return;
	for (t = 1; t <= tables->max_tunnels; t++) {
		struct tunnel *tp = &tables->tunnel[t];
		struct tctl *c;

		if (tp->state == TUNNEL_FREE || tctl[t] != NULL)
			continue;
		if ((c = calloc(1, sizeof(*c))) == NULL)
			break;
		c->adopted = 1;
		c->peer_rws = tp->peer_rws ? tp->peer_rws : 4;
		c->last_rx_ms = now_ms;
		timer_init(&c->st, hello_fire, (void *)(uintptr_t)t);
		tctl[t] = c;
		rel_init(t);
		tp->sessions = 0;	/* counted again below */
		switch (tp->state) {
		case TUNNEL_OPENING:
			enter_opening(t);
			break;
		case TUNNEL_OPEN:
			enter_open(t);
			break;
		default:
			enter_dying(t);
			break;
		}
		nt++;
	}
	for (s = 1; s <= tables->max_sessions; s++) {
		struct session *sp = &tables->session[s];
		struct tctl *c;

		if (sp->state == SESSION_FREE || sp->tunnel == 0 ||
		    (c = tctl[sp->tunnel]) == NULL || !c->adopted ||
		    c->sessions == s || sctl[s].prev || sctl[s].next)
			continue;
		session_link(sp->tunnel, s);
		if (sp->state == SESSION_OPENING) {
			timer_init(&sctl[s].setup, call_setup_fire,
			    (void *)(uintptr_t)s);
			timer_set(&sctl[s].setup,
			    (uint64_t)config->l2tp_setup_timeout * 1000);
		}
		ns++;
	}
	if (nt || ns)
		LOG(LOG_WARN_L, 0, 0, "L2TP: took over %u tunnels and %u "
		    "sessions (cluster takeover or state file)", nt, ns);
}
