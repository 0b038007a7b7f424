/*
 * l2tp_lac.c - the LAC side of L2TP (issue 23): tunnels we open to
 * another LNS (SCCRQ/SCCRP/SCCCN as the initiator, RFC 2661 5.1 and
 * 7.2), the calls we place on them (ICRQ/ICRP/ICCN, RFC 2661 7.3),
 * relaying a subscriber's call to a far LNS chosen by RADIUS tunnel
 * attributes (RFC 2868, with fallback by Tunnel-Preference) or a static
 * rule, and the outgoing tunnels of lacout.c (our own PPP client).  The
 * tunnel and call state machines stay in l2tp.c; both share l2tp_int.h.
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

/* ---- the LAC side: relay (L2TP switching, issue 23) ---- */

/* Take s off the list of calls waiting for tunnel r->waiting. */
static void
relay_unwait(sid_t s)
{
	struct relay *r = sctl[s].relay;
	sid_t *pp;

	if (r == NULL || r->waiting == 0 || tctl[r->waiting] == NULL) {
		if (r)
			r->waiting = 0;
		return;
	}
	for (pp = &tctl[r->waiting]->waiting; *pp; pp = &sctl[*pp].relay->wnext)
		if (*pp == s) {
			*pp = r->wnext;
			break;
		}
	r->waiting = 0;
	r->wnext = 0;
}

/*
 * One half of a relayed call ends: the other goes at once, with a CDN
 * carrying the result code this half ended with (a CDN's, or ours),
 * lost carrier when its tunnel went (issue 23; RFC 2661 4.4.2).
 */
void
relay_end(sid_t s, const char *why)
{
	struct session *sp = session_get(s);
	sid_t o = sp->relay;
	char text[160];

	relay_unwait(s);
	if (sctl[s].relay) {
		explicit_bzero(sctl[s].relay, sizeof(*sctl[s].relay));
		free(sctl[s].relay);
		sctl[s].relay = NULL;
	}
	if (o == 0)
		return;
	sp->relay = 0;
	/* The other half ends already (it cleared its link first)? */
	if (session_get(o)->relay != s || session_get(o)->state == SESSION_FREE)
		return;
	snprintf(text, sizeof(text), "relay: %s", why);
	LOG(LOG_INFO_L, o, session_get(o)->tunnel, "other half of the relayed "
	    "call (session %u) ended: %s", s, why);
	call_fail(o, sctl[s].end_result ? sctl[s].end_result :
	    CDN_LOST_CARRIER, 0, text);
}

/*
 * The far LNS refused our call o (CDN before its ICRP): the subscriber's
 * call goes on to the next endpoint instead of ending.
 */
void
relay_refused(sid_t o, struct msg *m)
{
	struct session *op = session_get(o);
	sid_t s = op->relay;

	LOG(LOG_WARN_L, s, session_get(s)->tunnel, "relay: LNS %s refused the "
	    "call (CDN result %u): trying the next", tunnel_get(op->tunnel)->
	    hostname, m->result);
	op->relay = 0;			/* not the end of s: detached first */
	session_get(s)->relay = 0;
	call_set_state(o, SESSION_FREE, "CDN from the far LNS");
	if (sctl[s].relay == NULL)
		return;
	sctl[s].relay->idx++;
	relay_try(s);
}

/* An established or opening tunnel of ours to d, to reuse (one per far
 * endpoint and Tunnel-Assignment-Id, RFC 2868 3.7). */
static tid_t
lac_tunnel_find(const struct relay_dest *d)
{
	tid_t t;

	for (t = 1; t <= tables->max_tunnels; t++) {
		struct tunnel *tp = &tables->tunnel[t];

		if (tctl[t] == NULL || !tctl[t]->lac || tctl[t]->closing ||
		    tctl[t]->outgoing ||
		    (tp->state != TUNNEL_OPEN && tp->state != TUNNEL_OPENING) ||
		    tp->peer.sin_addr.s_addr != d->addr.sin_addr.s_addr ||
		    tctl[t]->assignment[0] != d->assignment[0] ||
		    strcmp(tctl[t]->assignment, d->assignment) != 0 ||
		    strcmp(tctl[t]->secret, d->secret) != 0)
			continue;
		/* an opening one may have learnt another port: the address
		 * and the assignment decide */
		return t;
	}
	return 0;
}

/* Open a tunnel to d as a LAC: SCCRQ (RFC 2661 6.1, 5.1.1). */
static tid_t
lac_tunnel_new(const struct relay_dest *d)
{
	uint8_t buf[MAXCTL];
	struct tunnel *tp;
	struct tctl *c;
	struct wr w;
	uint16_t id;
	tid_t t;

	if ((id = new_id(tunnel_id_taken, 0)) == 0 ||
	    (t = tunnel_alloc()) == 0)
		return 0;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		tunnel_release(t);
		return 0;
	}
	tp = tunnel_get(t);
	tp->far_id = 0;		/* until the SCCRP */
	tp->peer = d->addr;
	tp->opened = time_now;
	tp->last_rx = time_now;
	tp->lac = 1;
	snprintf(tp->hostname, sizeof(tp->hostname), "%s",
	    inet_ntoa(d->addr.sin_addr));
	if (tunnel_bind_wire(t, id) < 0) {
		free(c);
		tunnel_release(t);
		return 0;
	}
	c->lac = 1;
	c->outgoing = d->outgoing;
	snprintf(c->secret, sizeof(c->secret), "%s", d->secret);
	snprintf(c->assignment, sizeof(c->assignment), "%s", d->assignment);
	c->peer_rws = 4;
	c->nr = 0;		/* the SCCRP will be Ns 0 */
	c->verified = 1;	/* we chose this peer: full retransmission */
	c->last_rx_ms = now_ms;
	timer_init(&c->st, setup_fire, (void *)(uintptr_t)t);
	tctl[t] = c;
	rel_init(t);
	stats->tunnels_created++;
	tunnel_enter(t, TUNNEL_FREE, TUNNEL_OPENING, c->outgoing ?
	    "outgoing: SCCRQ" : "relay: SCCRQ");

	msg_start(&w, buf, M_SCCRQ);
	avp_u16(&w, A_PROTOCOL_VERSION, 0x0100, 1);
	avp_bytes(&w, A_HOST_NAME, d->host[0] ? d->host : config->hostname,
	    strlen(d->host[0] ? d->host : config->hostname), 1);
	avp_u32(&w, A_FRAMING_CAP, 0x3, 1);
	avp_u32(&w, A_BEARER_CAP, 0x3, 0);
	avp_bytes(&w, A_VENDOR_NAME, "l2tpns", 6, 0);
	avp_u16(&w, A_FIRMWARE, 0x0300, 0);
	avp_u16(&w, A_ASSIGNED_TUNNEL, id, 1);
	avp_u16(&w, A_RECV_WINDOW, OUR_RWS, 1);
	if (c->secret[0]) {
		/* 5.1.1: we authenticate the LNS with the Tunnel-Password */
		random_bytes(c->challenge, CHALLENGE_LEN);
		c->challenged = 1;
		avp_bytes(&w, A_CHALLENGE, c->challenge, CHALLENGE_LEN, 1);
	}
	LOG(LOG_WARN_L, 0, t, "%s: opening a tunnel to %s:%u%s%s",
	    c->outgoing ? "outgoing" : "relay", inet_ntoa(d->addr.sin_addr), ntohs(d->addr.sin_port),
	    d->assignment[0] ? " assignment " : "", d->assignment);
	ctl_queue(t, &w, 0, M_SCCRQ);
	return t;
}

/* In wait-ctl-reply (our tunnel): check the LNS, SCCCN, up. */
void
recv_sccrp(tid_t t, struct msg *m)
{
	struct tunnel *tp = tunnel_get(t);
	struct tctl *c = tctl[t];
	uint8_t want[16], buf[MAXCTL];
	struct wr w;

	if ((m->present & (BIT(A_PROTOCOL_VERSION) | BIT(A_HOST_NAME) |
	    BIT(A_FRAMING_CAP) | BIT(A_ASSIGNED_TUNNEL))) !=
	    (BIT(A_PROTOCOL_VERSION) | BIT(A_HOST_NAME) | BIT(A_FRAMING_CAP) |
	    BIT(A_ASSIGNED_TUNNEL)) || m->tunnel_id == 0) {
		tunnel_fail(t, STOP_ERROR, ERR_BAD_VALUE,
		    "SCCRP missing a mandatory AVP");
		return;
	}
	tp->far_id = m->tunnel_id;
	snprintf(tp->vendor, sizeof(tp->vendor), "%s", m->vendor);
	tp->firmware = m->firmware;
	tp->framing_cap = m->framing_cap;
	tp->bearer_cap = m->bearer_cap;
	c->peer_rws = (m->present & BIT(A_RECV_WINDOW)) ? m->rws : 4;
	tp->peer_rws = c->peer_rws;
	if (c->challenged) {
		l2tp_chap_md5(M_SCCRP, c->secret, c->challenge, CHALLENGE_LEN,
		    want);
		if (!(m->present & BIT(A_CHALLENGE_RESP)) ||
		    memcmp(want, m->chal_resp, 16) != 0) {
			stats->l2tp_auth_failures++;
			tunnel_fail(t, STOP_NOT_AUTHORIZED, 0,
			    "LNS's challenge response does not match the "
			    "tunnel password");
			return;
		}
	}
	if ((m->present & BIT(A_CHALLENGE)) && !c->secret[0]) {
		tunnel_fail(t, STOP_NOT_AUTHORIZED, 0,
		    "challenged by the LNS but no tunnel password");
		return;
	}
	msg_start(&w, buf, M_SCCCN);
	if (m->present & BIT(A_CHALLENGE)) {
		l2tp_chap_md5(M_SCCCN, c->secret, m->challenge, m->chal_len,
		    want);
		avp_bytes(&w, A_CHALLENGE_RESP, want, 16, 1);
	}
	ctl_queue(t, &w, 0, M_SCCCN);
	tunnel_set_state(t, TUNNEL_OPEN, "SCCRP");
	LOG(LOG_WARN_L, 0, t, "%s: tunnel up with LNS %s, local id %u, "
	    "peer id %u%s", c->outgoing ? "outgoing" : "relay", tp->hostname, tp->local_id, tp->far_id,
	    c->challenged ? ", authenticated" : "");
	relay_waiters(t, 1);
	if (c->outgoing)
		lacout_tunnel_up(t);
}

/*
 * The calls waiting for tunnel t: carried on at once when it is up
 * (the original dropped them), tried at their next endpoint when it
 * failed.
 */
void
relay_waiters(tid_t t, int up)
{
	struct tctl *c = tctl[t];
	sid_t s;

	if (c == NULL)
		return;
	while ((s = c->waiting) != 0) {
		struct relay *r = sctl[s].relay;

		c->waiting = r->wnext;
		r->waiting = 0;
		r->wnext = 0;
		if (!up)
			r->idx++;
		relay_try(s);
	}
}

/* Our half of a relayed call on open tunnel t: ICRQ (6.6, 7.4.2). */
static int
relay_call(sid_t s, tid_t t)
{
	struct session *sp = session_get(s), *op;
	uint8_t buf[MAXCTL];
	struct wr w;
	uint16_t id;
	sid_t o;

	if ((id = new_id(session_id_taken, t)) == 0 ||
	    (o = session_alloc()) == 0)
		return -1;
	op = session_get(o);
	op->tunnel = t;
	op->far_id = 0;		/* until the ICRP */
	op->opened = time_now;
	op->last_packet = time_now;
	op->relay_out = 1;
	op->tx_speed = sp->tx_speed;
	op->rx_speed = sp->rx_speed;
	op->framing = sp->framing;
	snprintf(op->user, sizeof(op->user), "%s", sp->user);
	snprintf(op->calling, sizeof(op->calling), "%s", sp->calling);
	snprintf(op->called, sizeof(op->called), "%s", sp->called);
	if (session_bind_wire(o, id) < 0) {
		session_release(o);
		return -1;
	}
	memset(&sctl[o], 0, sizeof(sctl[o]));
	sctl[o].serial = sctl[s].serial;
	session_link(t, o);
	stats->sessions_created++;
	op->relay = s;
	sp->relay = o;
	call_enter(o, SESSION_FREE, SESSION_OPENING, "relay: ICRQ");
	msg_start(&w, buf, M_ICRQ);
	avp_u16(&w, A_ASSIGNED_SESSION, op->local_id, 1);
	avp_u32(&w, A_CALL_SERIAL, sctl[s].serial, 1);
	avp_u32(&w, A_BEARER_TYPE, 0x2, 1);	/* analog: what we carry */
	if (sp->called[0])
		avp_bytes(&w, A_CALLED_NUMBER, sp->called, strlen(sp->called),
		    1);
	if (sp->calling[0])
		avp_bytes(&w, A_CALLING_NUMBER, sp->calling,
		    strlen(sp->calling), 1);
	LOG(LOG_INFO_L, s, sp->tunnel, "relay: call of \"%s\" carried on as "
	    "session %u on tunnel %u to %s", sp->user, o, t,
	    tunnel_get(t)->hostname);
	ctl_queue(t, &w, 0, M_ICRQ);
	return 0;
}

/*
 * Try s's current endpoint: a call on an established tunnel to it, or
 * wait for one opening (ours or new).  Past the last endpoint the call
 * is cleared (CDN 4: no facilities, temporarily).
 */
void
relay_try(sid_t s)
{
	struct relay *r = sctl[s].relay;
	struct session *sp = session_get(s);
	tid_t t;

	for (; r->idx < r->n; r->idx++) {
		const struct relay_dest *d = &r->dest[r->idx];

		if ((t = lac_tunnel_find(d)) == 0 &&
		    (t = lac_tunnel_new(d)) == 0)
			continue;
		if (tunnel_get(t)->state == TUNNEL_OPEN) {
			if (relay_call(s, t) == 0)
				return;
			continue;
		}
		r->waiting = t;
		r->wnext = tctl[t]->waiting;
		tctl[t]->waiting = s;
		LOG(LOG_INFO_L, s, sp->tunnel, "relay: \"%s\" waits for tunnel "
		    "%u to %s", sp->user, t, inet_ntoa(d->addr.sin_addr));
		return;
	}
	stats->relay_failed++;
	LOG(LOG_WARN_L, s, sp->tunnel, "relay: no LNS for \"%s\" answered: "
	    "clearing the call", sp->user);
	call_fail(s, CDN_NO_FACILITIES_TEMP, 0, "no LNS to relay to");
}

/*
 * Outgoing L2TP (lacout.c, issue 23): the same LAC side as a relay's,
 * a tunnel of its own (never shared with relays) and one call whose PPP
 * is our client's (pppc.c).
 */
tid_t
l2tp_out_tunnel(const struct sockaddr_in *lns, const char *name,
    const char *host, const char *secret)
{
	struct relay_dest d;
	tid_t t;

	if (udp_fd < 0)
		return 0;
	memset(&d, 0, sizeof(d));
	d.addr = *lns;
	snprintf(d.secret, sizeof(d.secret), "%s", secret);
	snprintf(d.host, sizeof(d.host), "%s", host);
	d.outgoing = 1;
	/* Named `name` until the LNS's SCCRP gives its Host Name. */
	if ((t = lac_tunnel_new(&d)) != 0) {
		tunnel_get(t)->lac = 2;		/* the CLI: outgoing L2TP */
		snprintf(tunnel_get(t)->hostname,
		    sizeof(tunnel_get(t)->hostname), "%s", name);
	}
	explicit_bzero(&d, sizeof(d));
	return t;
}

sid_t
l2tp_out_call(tid_t t, const char *user)
{
	struct session *op;
	uint8_t buf[MAXCTL];
	struct wr w;
	uint16_t id;
	sid_t o;

	if (tctl[t] == NULL || tunnel_get(t)->state != TUNNEL_OPEN ||
	    (id = new_id(session_id_taken, t)) == 0 ||
	    (o = session_alloc()) == 0)
		return 0;
	op = session_get(o);
	op->tunnel = t;
	op->far_id = 0;		/* until the ICRP */
	op->opened = time_now;
	op->last_packet = time_now;
	op->client = 1;
	op->framing = 1;
	snprintf(op->user, sizeof(op->user), "%s", user);
	if (session_bind_wire(o, id) < 0) {
		session_release(o);
		return 0;
	}
	memset(&sctl[o], 0, sizeof(sctl[o]));
	random_bytes(&sctl[o].serial, sizeof(sctl[o].serial));
	session_link(t, o);
	stats->sessions_created++;
	call_enter(o, SESSION_FREE, SESSION_OPENING, "outgoing: ICRQ");
	/* RFC 2661 6.6 */
	msg_start(&w, buf, M_ICRQ);
	avp_u16(&w, A_ASSIGNED_SESSION, op->local_id, 1);
	avp_u32(&w, A_CALL_SERIAL, sctl[o].serial, 1);
	avp_u32(&w, A_BEARER_TYPE, 0x2, 1);
	ctl_queue(t, &w, 0, M_ICRQ);
	return o;
}

int
l2tp_relay_start(sid_t s, const struct auth_reply *rp,
    const struct l2tp_proxy *px)
{
	struct session *sp = session_get(s);
	struct relay *r;
	uint8_t i, j, n = 0;
	const struct auth_tunnel *by[AUTH_MAX_TUNNELS];

	if (sp == NULL || sp->state != SESSION_OPEN || config->disable_lac_func ||
	    sctl[s].relay != NULL)
		return -1;
	/* RFC 2868: L2TP (3) over IPv4 (1) with a server endpoint */
	for (i = 0; i < rp->ntunnels; i++) {
		const struct auth_tunnel *a = &rp->tunnel[i];

		if (a->type != 3 || a->medium != 1 || a->endpoint == 0)
			continue;
		/* 3.8: the lowest Tunnel-Preference first (stable) */
		for (j = n; j > 0 && by[j - 1]->preference > a->preference; j--)
			by[j] = by[j - 1];
		by[j] = a;
		n++;
	}
	if (n == 0)
		return -1;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return -1;
	for (i = 0; i < n && i < RELAY_DESTS; i++) {
		struct relay_dest *d = &r->dest[i];

		d->addr.sin_family = AF_INET;
		d->addr.sin_addr.s_addr = by[i]->endpoint;
		d->addr.sin_port = htons(by[i]->port ? by[i]->port : 1701);
		snprintf(d->secret, sizeof(d->secret), "%s", by[i]->password);
		snprintf(d->assignment, sizeof(d->assignment), "%s",
		    by[i]->assignment);
		snprintf(d->host, sizeof(d->host), "%s", by[i]->client_auth);
	}
	r->n = i;
	r->px = *px;
	sctl[s].relay = r;
	stats->relay_started++;
	evring_add(s, SEV_AUTH_OK, SEA_RADIUS, 0, "relayed to %s (%u "
	    "candidates)", inet_ntoa(r->dest[0].addr.sin_addr), r->n);
	relay_try(s);
	return 0;
}

/* Our half of a relayed call gets its ICRP: ICCN with the proxy AVPs
 * (RFC 2661 6.8, 4.4.5), and data flows both ways. */
void
recv_icrp(sid_t o, struct msg *m)
{
	struct session *op = session_get(o);
	sid_t s = op->relay;
	struct session *sp = session_get(s);
	const struct l2tp_proxy *px;
	uint8_t buf[MAXCTL];
	struct wr w;

	if (!(m->present & BIT(A_ASSIGNED_SESSION)) || m->session_id == 0) {
		call_fail(o, CDN_ERROR, ERR_BAD_VALUE,
		    "ICRP without Assigned Session ID");
		return;
	}
	op->far_id = m->session_id;
	if (op->client) {
		/* Outgoing L2TP: our own PPP on it, no proxy AVPs (6.8). */
		msg_start(&w, buf, M_ICCN);
		avp_u32(&w, A_TX_SPEED, 10000000, 1);
		avp_u32(&w, A_FRAMING_TYPE, 1, 1);	/* synchronous */
		ctl_queue(op->tunnel, &w, op->far_id, M_ICCN);
		call_set_state(o, SESSION_OPEN, "ICRP");
		lacout_call_up(o);
		return;
	}
	if (s == 0 || sctl[s].relay == NULL) {
		call_fail(o, CDN_ADMIN, 0, "subscriber's call gone");
		return;
	}
	px = &sctl[s].relay->px;
	msg_start(&w, buf, M_ICCN);
	avp_u32(&w, A_TX_SPEED, sp->tx_speed ? sp->tx_speed : 10000000, 1);
	avp_u32(&w, A_FRAMING_TYPE, sp->framing ? sp->framing : 1, 1);
	if (sp->rx_speed)
		avp_u32(&w, A_RX_SPEED, sp->rx_speed, 0);
	if (px->last_sent_len && px->last_rcvd_len) {
		avp_bytes(&w, A_INIT_RCVD_LCP, px->init_rcvd_lcp,
		    px->init_rcvd_len, 0);
		avp_bytes(&w, A_LAST_SENT_LCP, px->last_sent_lcp,
		    px->last_sent_len, 0);
		avp_bytes(&w, A_LAST_RCVD_LCP, px->last_rcvd_lcp,
		    px->last_rcvd_len, 0);
	}
	if (px->auth_type) {
		avp_u16(&w, A_PROXY_AUTH_TYPE, px->auth_type, 0);
		avp_bytes(&w, A_PROXY_AUTH_NAME, px->auth_name,
		    strlen(px->auth_name), 0);
		if (px->chal_len)
			avp_bytes(&w, A_PROXY_AUTH_CHALLENGE, px->challenge,
			    px->chal_len, 0);
		avp_u16(&w, A_PROXY_AUTH_ID, px->auth_id, 0);
		avp_bytes(&w, A_PROXY_AUTH_RESPONSE, px->response,
		    px->resp_len, 0);
	}
	ctl_queue(op->tunnel, &w, op->far_id, M_ICCN);
	call_set_state(o, SESSION_OPEN, "ICRP");
	stats->relay_up++;
	/* The credentials are not needed any more. */
	explicit_bzero(&sctl[s].relay->px, sizeof(sctl[s].relay->px));
	LOG(LOG_WARN_L, s, sp->tunnel, "relay: \"%s\" switched to LNS %s "
	    "(tunnel %u session %u, peer session %u)", sp->user,
	    tunnel_get(op->tunnel)->hostname, op->tunnel, o, op->far_id);
	evring_add(s, SEV_AUTH_OK, SEA_LNS, 0, "relay up to %s",
	    tunnel_get(op->tunnel)->hostname);
	session_up(s);		/* accounting Start, plugins */
}

/*
 * A data message of one half of a relayed call goes out as the other's
 * (issue 23): its PPP frame untouched, a new header with the other
 * half's tunnel and session ids (RFC 2661 3.1, no Length, no sequence
 * numbers).  O(1), into one static buffer; nothing allocated.
 */
void
relay_data(sid_t s, struct session *sp, const uint8_t *ppp, size_t len)
{
	static uint8_t buf[65536];
	struct session *op = session_get(sp->relay);
	struct tunnel *otp;

	if (op == NULL || op->state != SESSION_OPEN || op->relay != s ||
	    len + 6 > sizeof(buf)) {
		l2tp_drop(D_DATA_NO_SESSION, NULL, sp->tunnel);
		return;
	}
	otp = tunnel_get(op->tunnel);
	buf[0] = 0x00;
	buf[1] = L2TP_VERSION;
	buf[2] = (uint8_t)(otp->far_id >> 8);
	buf[3] = (uint8_t)otp->far_id;
	buf[4] = (uint8_t)(op->far_id >> 8);
	buf[5] = (uint8_t)op->far_id;
	memcpy(buf + 6, ppp, len);
	/* The traffic counters of both halves (what dataplane.c keeps for
	 * the sessions it switches itself). */
	sp->cin += len;
	sp->pin++;
	sp->last_packet = time_now;
	op->cout += len;
	op->pout++;
	if (sendto(l2tp_tunnel_fd(op->tunnel), buf, len + 6, 0,
	    (const struct sockaddr *)&otp->peer,
	    sizeof(otp->peer)) < 0) {
		stats->l2tp_tx_errors++;
		return;
	}
	stats->l2tp_data_tx++;
	stats->relay_packets++;
}

/*
 * The tunnels towards remote LNSs leave from their own address and port
 * when bind_address_remotelns or bind_portremotelns says so (the
 * original's 2.4 LAC socket).  What comes back on it is read like the
 * L2TP socket: the tunnel id says whose it is.
 */
int
lac_socket_open(void)
{
	struct sockaddr_in sin;
	char a[INET_ADDRSTRLEN];
	int on = 1;

	if (!cfg_was_set(config, "bind_address_remotelns") &&
	    !cfg_was_set(config, "bind_portremotelns"))
		return 0;
	l2tp_lac_fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (l2tp_lac_fd < 0) {
		log_crit("L2TP socket for remote LNSs: %s", strerror(errno));
		return -1;
	}
	setsockopt(l2tp_lac_fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = config->bind_address_remotelns;
	sin.sin_port = htons((uint16_t)config->bind_portremotelns);
	inet_ntop(AF_INET, &sin.sin_addr, a, sizeof(a));
	if (bind(l2tp_lac_fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		log_crit("cannot bind the L2TP socket for remote LNSs to "
		    "%s:%d: %s", a, config->bind_portremotelns,
		    strerror(errno));
		close(l2tp_lac_fd);
		l2tp_lac_fd = -1;
		return -1;
	}
	dp_udp_socket(l2tp_lac_fd);
	if (ev_add(l2tp_lac_fd, EPOLLIN, dp_udp_readable, NULL) < 0) {
		log_crit("epoll L2TP (remote LNSs): %s", strerror(errno));
		return -1;
	}
	log_info("tunnels to remote LNSs leave from %s:%d", a,
	    config->bind_portremotelns);
	return 0;
}
