/*
 * test_l2tp_fsm.c - the L2TP tunnel and call state machines (l2tp.c),
 * driven over a real UDP socket pair on loopback: every state/event
 * pair of each table, the setup timers, the bounded id searches, the
 * admission limits and the caps on the send queue and the out-of-order
 * slots (issue 20, findings 1 and 6).
 *
 * A scripted LAC builds control messages here (independently of
 * l2tp_avp.c's builders), feeds them to l2tp_input() and reads what the
 * LNS sent back from its own socket.  Timer events are fired either by
 * moving now_ms and running the timer heap, or, for pairs that the
 * entry functions make impossible, through l2tp_tunnel_event() /
 * l2tp_call_event() to check that they are ignored.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "l2tpns.h"
#include "config.h"
#include "event.h"
#include "l2tp.h"
#include "log.h"
#include "unit_daemon.h"

static int lns_fd, lac_fd;
static struct sockaddr_in lac_addr;

/* The scripted LAC's view of one tunnel. */
struct lac {
	uint16_t	our_tid;	/* its Assigned Tunnel ID */
	uint16_t	tid;		/* the LNS's */
	uint16_t	ns, nr;
	tid_t		t;		/* the LNS's tunnel index */
};

/* One message from the LNS. */
struct reply {
	int		type;		/* -1 nothing, 0 ZLB */
	uint16_t	tid, sid, ns, nr;
	int		result, error;	/* Result Code, -1 when absent */
	uint16_t	assigned;	/* Assigned Tunnel/Session ID */
};

/* ---- building messages ---- */

struct mb {
	uint8_t		b[4096];
	size_t		n;
};

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
mb_avp(struct mb *m, uint16_t attr, const void *v, size_t len, int mand)
{
	put16(m->b + m->n, (uint16_t)((mand ? 0x8000 : 0) | (6 + len)));
	put16(m->b + m->n + 2, 0);
	put16(m->b + m->n + 4, attr);
	memcpy(m->b + m->n + 6, v, len);
	m->n += 6 + len;
}

static void
mb_u16(struct mb *m, uint16_t attr, uint16_t v)
{
	uint8_t b[2];

	put16(b, v);
	mb_avp(m, attr, b, 2, 1);
}

static void
mb_u32(struct mb *m, uint16_t attr, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16),
	    (uint8_t)(v >> 8), (uint8_t)v };

	mb_avp(m, attr, b, 4, 1);
}

static void
mb_start(struct mb *m, int type)
{
	m->n = 12;
	mb_u16(m, A_MESSAGE_TYPE, (uint16_t)type);
}

static void
feed_raw(const uint8_t *p, size_t len)
{
	l2tp_input(p, len, &lac_addr);
}

/* Send m on lac's tunnel (or tunnel 0) with session sid. */
static void
lac_send(struct lac *l, struct mb *m, uint16_t tid, uint16_t sid)
{
	put16(m->b, 0xc802);
	put16(m->b + 2, (uint16_t)m->n);
	put16(m->b + 4, tid);
	put16(m->b + 6, sid);
	put16(m->b + 8, l->ns++);
	put16(m->b + 10, l->nr);
	feed_raw(m->b, m->n);
}

/* ---- reading replies ---- */

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Next control message from the LNS (data messages skipped). */
static struct reply
lac_recv(struct lac *l)
{
	struct reply r = { .type = -1, .result = -1, .error = -1 };
	uint8_t b[4096];
	ssize_t n;

	for (;;) {
		size_t off = 12;

		n = recv(lac_fd, b, sizeof(b), MSG_DONTWAIT);
		if (n < 0)
			return r;
		if (n < 12 || !(b[0] & 0x80))
			continue;	/* PPP data */
		r.tid = get16(b + 4);
		r.sid = get16(b + 6);
		r.ns = get16(b + 8);
		r.nr = get16(b + 10);
		r.type = 0;
		while (off + 6 <= (size_t)n) {
			uint16_t len = get16(b + off) & 0x3ff;
			uint16_t attr = get16(b + off + 4);

			if (len < 6 || off + len > (size_t)n)
				break;
			if (attr == A_MESSAGE_TYPE)
				r.type = get16(b + off + 6);
			if (attr == A_RESULT_CODE) {
				r.result = get16(b + off + 6);
				r.error = len >= 10 ? get16(b + off + 8) : -1;
			}
			if ((attr == A_ASSIGNED_TUNNEL ||
			    attr == A_ASSIGNED_SESSION) && len == 8)
				r.assigned = get16(b + off + 6);
			off += len;
		}
		if (r.type != 0 && l != NULL && r.tid == l->our_tid &&
		    r.ns == l->nr)
			l->nr++;
		return r;
	}
}

/* The first non-ZLB message waiting, or a ZLB (0), or nothing (-1). */
static struct reply
lac_answer(struct lac *l)
{
	struct reply r, first = { .type = -1 };

	while ((r = lac_recv(l)).type >= 0) {
		if (l != NULL && r.tid != l->our_tid)
			continue;	/* a stale one for another tunnel */
		if (r.type > 0)
			return r;
		first = r;
	}
	return first;
}

static void
drain(void)
{
	while (lac_recv(NULL).type >= 0)
		;
}

/* ---- getting a tunnel to a state ---- */

static uint16_t next_peer_tid = 100;

static void
sccrq(struct lac *l, struct mb *m)
{
	static const uint8_t fc[4] = { 0, 0, 0, 3 };

	mb_start(m, M_SCCRQ);
	mb_u16(m, A_PROTOCOL_VERSION, 0x0100);
	mb_avp(m, A_HOST_NAME, "lac", 3, 1);
	mb_avp(m, A_FRAMING_CAP, fc, 4, 1);
	mb_u16(m, A_ASSIGNED_TUNNEL, l->our_tid);
	mb_u16(m, A_RECV_WINDOW, 64);
}

/* SCCRQ from the LAC; the tunnel is then in wait-ctl-conn. */
static void
open_opening(struct lac *l)
{
	struct mb m;
	struct reply r;

	memset(l, 0, sizeof(*l));
	l->our_tid = next_peer_tid++;
	sccrq(l, &m);
	lac_send(l, &m, 0, 0);
	r = lac_answer(l);
	assert_int_equal(r.type, M_SCCRP);
	l->tid = r.assigned;
	l->t = tunnel_by_wire(l->tid);
	assert_int_not_equal(l->t, 0);
	assert_int_equal(tunnel_get(l->t)->state, TUNNEL_OPENING);
}

static void
send_simple(struct lac *l, int type, uint16_t sid)
{
	struct mb m;

	mb_start(&m, type);
	lac_send(l, &m, l->tid, sid);
}

/* ICRQ or OCRQ for the LAC's session far_sid. */
static void
send_crq(struct lac *l, int type, uint16_t far_sid, uint32_t serial)
{
	struct mb m;

	mb_start(&m, type);
	mb_u16(&m, A_ASSIGNED_SESSION, far_sid);
	mb_u32(&m, A_CALL_SERIAL, serial);
	lac_send(l, &m, l->tid, 0);
}

static void
open_open(struct lac *l)
{
	open_opening(l);
	send_simple(l, M_SCCCN, 0);
	assert_int_equal(tunnel_get(l->t)->state, TUNNEL_OPEN);
	drain();
}

static void
open_dying(struct lac *l)
{
	struct reply r;

	open_open(l);
	l2tp_tunnel_event(l->t, TEV_CLOSE);
	r = lac_answer(l);
	assert_int_equal(r.type, M_STOPCCN);
	assert_int_equal(tunnel_get(l->t)->state, TUNNEL_DYING);
}

/* Free the tunnel (whatever its state) so the next case starts clean. */
static void
tunnel_gone(struct lac *l)
{
	if (tunnel_by_wire(l->tid) == l->t && l->t != 0)
		l2tp_tunnel_event(l->t, TEV_RTX_FAIL);
	assert_int_equal(tunnel_by_wire(l->tid), 0);
	drain();
}

static void
send_event_msg(struct lac *l, int ev)
{
	struct mb m;
	static const uint8_t res[4] = { 0, 1, 0, 0 };

	switch (ev) {
	case TEV_SCCRQ:
		sccrq(l, &m);
		lac_send(l, &m, l->tid, 0);
		break;
	case TEV_SCCCN:
		send_simple(l, M_SCCCN, 0);
		break;
	case TEV_STOPCCN:
		mb_start(&m, M_STOPCCN);
		mb_u16(&m, A_ASSIGNED_TUNNEL, l->our_tid);
		mb_avp(&m, A_RESULT_CODE, res, 4, 1);
		lac_send(l, &m, l->tid, 0);
		break;
	case TEV_HELLO:
		send_simple(l, M_HELLO, 0);
		break;
	case TEV_ICRQ:
		send_crq(l, M_ICRQ, 9, 1);
		break;
	case TEV_CALL:
		/* ICCN for a session the LNS never assigned */
		mb_start(&m, M_ICCN);
		mb_u32(&m, A_TX_SPEED, 1000000);
		mb_u32(&m, A_FRAMING_TYPE, 1);
		lac_send(l, &m, l->tid, 4321);
		break;
	case TEV_REPLY:
		send_simple(l, M_SCCRP, 0);
		break;
	case TEV_OCRQ:
		send_crq(l, M_OCRQ, 9, 1);
		break;
	default:
		l2tp_tunnel_event(l->t, ev);
		break;
	}
}

#define GONE	(-1)		/* tunnel freed */
#define ACK	0		/* only a ZLB */
#define NONE	(-1)		/* nothing sent */

struct expect {
	int	state;		/* TUNNEL_* or GONE */
	int	type;		/* message type sent, ACK or NONE */
	int	result;		/* its Result Code, or -1 */
};

static void
tunnel_pair(int from, int ev, const struct expect *x)
{
	struct lac l;
	struct reply r;
	int st;

	switch (from) {
	case TUNNEL_OPENING:
		open_opening(&l);
		break;
	case TUNNEL_OPEN:
		open_open(&l);
		break;
	default:
		open_dying(&l);
		break;
	}
	send_event_msg(&l, ev);
	r = lac_answer(&l);
	st = tunnel_by_wire(l.tid) == l.t ? (int)tunnel_get(l.t)->state : GONE;
	if (st != x->state || r.type != x->type ||
	    (x->result >= 0 && r.result != x->result))
		fail_msg("%s + %s: state %s (want %s), sent type %d result %d "
		    "(want %d, %d)", l2tp_tunnel_state_name(from),
		    l2tp_tunnel_event_name(ev),
		    st == GONE ? "freed" : l2tp_tunnel_state_name(st),
		    x->state == GONE ? "freed" : l2tp_tunnel_state_name(x->state),
		    r.type, r.result, x->type, x->result);
	tunnel_gone(&l);
}

static void
test_tunnel_every_state_event_pair(void **state)
{
	/* The table in l2tp.c (tunnel_fsm), row by row. */
	static const struct expect opening[TEV_MAX] = {
		[TEV_SCCRQ] = { TUNNEL_DYING, M_STOPCCN, STOP_FSM_ERROR },
		[TEV_SCCCN] = { TUNNEL_OPEN, ACK, -1 },
		[TEV_STOPCCN] = { TUNNEL_DYING, ACK, -1 },
		[TEV_HELLO] = { TUNNEL_OPENING, ACK, -1 },
		[TEV_ICRQ] = { TUNNEL_DYING, M_STOPCCN, STOP_FSM_ERROR },
		[TEV_CALL] = { TUNNEL_DYING, M_STOPCCN, STOP_FSM_ERROR },
		[TEV_REPLY] = { TUNNEL_DYING, M_STOPCCN, STOP_FSM_ERROR },
		[TEV_OCRQ] = { TUNNEL_DYING, M_STOPCCN, STOP_FSM_ERROR },
		[TEV_SETUP_TIMEOUT] = { TUNNEL_DYING, M_STOPCCN, STOP_ERROR },
		[TEV_RTX_FAIL] = { GONE, NONE, -1 },
		[TEV_DEAD_PEER] = { TUNNEL_OPENING, NONE, -1 },
		[TEV_CLOSE] = { TUNNEL_DYING, M_STOPCCN, STOP_CLEAR },
		[TEV_HOLD_DONE] = { TUNNEL_OPENING, NONE, -1 },
	};
	static const struct expect open[TEV_MAX] = {
		[TEV_SCCRQ] = { TUNNEL_DYING, M_STOPCCN, STOP_FSM_ERROR },
		[TEV_SCCCN] = { TUNNEL_DYING, M_STOPCCN, STOP_FSM_ERROR },
		[TEV_STOPCCN] = { TUNNEL_DYING, ACK, -1 },
		[TEV_HELLO] = { TUNNEL_OPEN, ACK, -1 },
		[TEV_ICRQ] = { TUNNEL_OPEN, M_ICRP, -1 },
		[TEV_CALL] = { TUNNEL_OPEN, M_CDN, CDN_ERROR },
		[TEV_REPLY] = { TUNNEL_DYING, M_STOPCCN, STOP_FSM_ERROR },
		[TEV_OCRQ] = { TUNNEL_OPEN, M_CDN, CDN_NO_FACILITIES_PERM },
		[TEV_SETUP_TIMEOUT] = { TUNNEL_OPEN, NONE, -1 },
		[TEV_RTX_FAIL] = { GONE, NONE, -1 },
		[TEV_DEAD_PEER] = { GONE, NONE, -1 },
		[TEV_CLOSE] = { TUNNEL_DYING, M_STOPCCN, STOP_CLEAR },
		[TEV_HOLD_DONE] = { TUNNEL_OPEN, NONE, -1 },
	};
	static const struct expect dying[TEV_MAX] = {
		[TEV_SCCRQ] = { TUNNEL_DYING, ACK, -1 },
		[TEV_SCCCN] = { TUNNEL_DYING, ACK, -1 },
		[TEV_STOPCCN] = { TUNNEL_DYING, ACK, -1 },
		[TEV_HELLO] = { TUNNEL_DYING, ACK, -1 },
		[TEV_ICRQ] = { TUNNEL_DYING, ACK, -1 },
		[TEV_CALL] = { TUNNEL_DYING, ACK, -1 },
		[TEV_REPLY] = { TUNNEL_DYING, ACK, -1 },
		[TEV_OCRQ] = { TUNNEL_DYING, ACK, -1 },
		[TEV_SETUP_TIMEOUT] = { TUNNEL_DYING, NONE, -1 },
		[TEV_RTX_FAIL] = { GONE, NONE, -1 },
		[TEV_DEAD_PEER] = { TUNNEL_DYING, NONE, -1 },
		[TEV_CLOSE] = { TUNNEL_DYING, NONE, -1 },
		[TEV_HOLD_DONE] = { GONE, NONE, -1 },
	};
	int ev;

	(void)state;
	for (ev = 0; ev < TEV_MAX; ev++) {
		tunnel_pair(TUNNEL_OPENING, ev, &opening[ev]);
		tunnel_pair(TUNNEL_OPEN, ev, &open[ev]);
		tunnel_pair(TUNNEL_DYING, ev, &dying[ev]);
	}
	assert_int_equal(tables->tunnels_used, 0);
	assert_int_equal(tables->sessions_used, 0);
}

/* ---- calls ---- */

/* ICRQ on an open tunnel: the call waits for ICCN. */
static sid_t
call_opening(struct lac *l, uint16_t *lns_sid)
{
	struct reply r;
	sid_t s;

	send_crq(l, M_ICRQ, 9, 1);
	r = lac_answer(l);
	assert_int_equal(r.type, M_ICRP);
	*lns_sid = r.assigned;
	lac_send(l, &(struct mb){ .n = 12 }, l->tid, 0);	/* ZLB ack */
	l->ns--;
	s = session_by_wire(l->t, r.assigned);
	assert_int_not_equal(s, 0);
	assert_int_equal(session_get(s)->state, SESSION_OPENING);
	return s;
}

static void
send_iccn(struct lac *l, uint16_t sid)
{
	struct mb m;

	mb_start(&m, M_ICCN);
	mb_u32(&m, A_TX_SPEED, 1000000);
	mb_u32(&m, A_FRAMING_TYPE, 1);
	lac_send(l, &m, l->tid, sid);
}

static void
send_call_event(struct lac *l, sid_t s, uint16_t sid, int ev)
{
	static const uint8_t res[4] = { 0, 1, 0, 0 };
	static const uint8_t errs[26] = { 0 };
	static const uint8_t accm[10] = { 0 };
	struct mb m;

	switch (ev) {
	case CEV_ICCN:
		send_iccn(l, sid);
		break;
	case CEV_CDN:
		mb_start(&m, M_CDN);
		mb_avp(&m, A_RESULT_CODE, res, 4, 1);
		mb_u16(&m, A_ASSIGNED_SESSION, 9);
		lac_send(l, &m, l->tid, sid);
		break;
	case CEV_WEN:
		mb_start(&m, M_WEN);
		mb_avp(&m, A_CALL_ERRORS, errs, sizeof(errs), 1);
		lac_send(l, &m, l->tid, sid);
		break;
	case CEV_SLI:
		mb_start(&m, M_SLI);
		mb_avp(&m, A_ACCM, accm, sizeof(accm), 1);
		lac_send(l, &m, l->tid, sid);
		break;
	case CEV_ICRP:
		/* A reply to an ICRQ an LNS never sent (RFC 2661 7.2.1). */
		mb_start(&m, M_ICRP);
		mb_u16(&m, A_ASSIGNED_SESSION, 9);
		lac_send(l, &m, l->tid, sid);
		break;
	default:
		l2tp_call_event(s, ev);
		break;
	}
}

static void
call_pair(int from, int ev, const struct expect *x)
{
	struct lac l;
	struct reply r;
	uint16_t sid;
	sid_t s;
	int st;

	open_open(&l);
	s = call_opening(&l, &sid);
	if (from != SESSION_OPENING) {
		send_iccn(&l, sid);
		assert_int_equal(session_get(s)->state, SESSION_OPEN);
	}
	if (from == SESSION_CLOSING)
		call_set_state(s, SESSION_CLOSING, "test");
	assert_int_equal(session_get(s)->state, from);
	drain();
	send_call_event(&l, s, sid, ev);
	r = lac_answer(&l);
	st = session_by_wire(l.t, sid) == s ? (int)session_get(s)->state : GONE;
	if (st != x->state || r.type != x->type ||
	    (x->result >= 0 && r.result != x->result))
		fail_msg("call %s + %s: state %s (want %s), sent type %d result "
		    "%d (want %d, %d)", l2tp_call_state_name(from),
		    l2tp_call_event_name(ev),
		    st == GONE ? "freed" : l2tp_call_state_name(st),
		    x->state == GONE ? "freed" : l2tp_call_state_name(x->state),
		    r.type, r.result, x->type, x->result);
	tunnel_gone(&l);
}

static void
test_call_every_state_event_pair(void **state)
{
	/* The table in l2tp.c (call_fsm). */
	static const struct expect opening[CEV_MAX] = {
		[CEV_ICCN] = { SESSION_OPEN, ACK, -1 },
		[CEV_CDN] = { GONE, ACK, -1 },
		[CEV_WEN] = { SESSION_OPENING, ACK, -1 },
		[CEV_SLI] = { SESSION_OPENING, ACK, -1 },
		[CEV_ICRP] = { GONE, M_STOPCCN, STOP_FSM_ERROR },
		[CEV_SETUP_TIMEOUT] = { GONE, M_CDN, CDN_ERROR },
		[CEV_CLOSE] = { GONE, M_CDN, CDN_ADMIN },
		[CEV_TUNNEL_DOWN] = { GONE, NONE, -1 },
	};
	static const struct expect up[CEV_MAX] = {
		[CEV_ICCN] = { GONE, M_CDN, CDN_ERROR },
		[CEV_CDN] = { GONE, ACK, -1 },
		[CEV_WEN] = { -2, ACK, -1 },	/* -2: unchanged */
		[CEV_SLI] = { -2, ACK, -1 },
		[CEV_ICRP] = { GONE, M_STOPCCN, STOP_FSM_ERROR },
		[CEV_SETUP_TIMEOUT] = { -2, NONE, -1 },
		[CEV_CLOSE] = { GONE, M_CDN, CDN_ADMIN },
		[CEV_TUNNEL_DOWN] = { GONE, NONE, -1 },
	};
	int ev, from;

	(void)state;
	for (ev = 0; ev < CEV_MAX; ev++) {
		call_pair(SESSION_OPENING, ev, &opening[ev]);
		for (from = SESSION_OPEN; from <= SESSION_CLOSING; from++) {
			struct expect x = up[ev];

			if (x.state == -2)
				x.state = from;
			call_pair(from, ev, &x);
		}
	}
	assert_int_equal(tables->sessions_used, 0);
}

/* ---- finding 1: setup timeouts on real timers ---- */

static void
run_timers_after(uint64_t ms)
{
	now_ms += ms;
	timers_run();
}

static void
test_setup_timeouts(void **state)
{
	uint64_t before = stats->l2tp_setup_timeouts;
	struct lac l;
	struct reply r;
	uint16_t sid;
	sid_t s;

	(void)state;
	/* SCCRP acknowledged, then silence: no SCCCN ever comes. */
	snprintf(config->l2tp_secret, sizeof(config->l2tp_secret), "%s", "x");
	config->l2tp_challenge_lac = 1;
	open_opening(&l);
	lac_send(&l, &(struct mb){ .n = 12 }, l.tid, 0);	/* ZLB ack */
	l.ns--;		/* a ZLB takes no Ns */
	run_timers_after((uint64_t)config->l2tp_setup_timeout * 1000 - 1);
	assert_int_equal(tunnel_get(l.t)->state, TUNNEL_OPENING);
	run_timers_after(1);
	r = lac_answer(&l);
	assert_int_equal(r.type, M_STOPCCN);
	assert_int_equal(r.result, STOP_ERROR);
	assert_int_equal(tunnel_get(l.t)->state, TUNNEL_DYING);
	assert_int_equal(stats->l2tp_setup_timeouts, before + 1);
	run_timers_after(31000);
	assert_int_equal(tunnel_by_wire(l.tid), 0);
	config->l2tp_secret[0] = '\0';
	config->l2tp_challenge_lac = 0;

	/* ICRQ, then no ICCN: CDN, the call freed, the tunnel stays. */
	open_open(&l);
	s = call_opening(&l, &sid);
	run_timers_after((uint64_t)config->l2tp_setup_timeout * 1000);
	r = lac_answer(&l);
	assert_int_equal(r.type, M_CDN);
	assert_int_equal(r.result, CDN_ERROR);
	assert_int_equal(session_by_wire(l.t, sid), 0);
	assert_int_equal(session_get(s)->state, SESSION_FREE);
	assert_int_equal(tunnel_get(l.t)->state, TUNNEL_OPEN);
	assert_int_equal(stats->l2tp_setup_timeouts, before + 2);
	tunnel_gone(&l);
}

/* An unverified peer gets the SCCRP twice, not l2tp_max_retries times. */
static void
test_unverified_peer_not_retransmitted_to(void **state)
{
	struct lac l;
	int i, sent = 0;

	(void)state;
	open_opening(&l);
	sent = 1;
	for (i = 0; i < 60; i++) {
		run_timers_after(1000);
		while (lac_recv(NULL).type == M_SCCRP)
			sent++;
	}
	assert_int_equal(sent, 2);
	tunnel_gone(&l);
}

/* ---- finding 1: admission control ---- */

static void
free_all_tunnels(void)
{
	tid_t t;

	for (t = 1; t <= tables->max_tunnels; t++)
		if (tunnel_get(t)->state != TUNNEL_FREE)
			l2tp_tunnel_event(t, TEV_RTX_FAIL);
	assert_int_equal(tables->tunnels_used, 0);
	drain();
}


static void
test_admission_limits(void **state)
{
	uint64_t before = stats->l2tp_admission_refused;
	struct lac a, b, c;
	struct mb m;

	(void)state;
	config->l2tp_max_opening_per_source = 2;
	open_opening(&a);
	open_opening(&b);
	/* a third from the same address: dropped without an answer */
	memset(&c, 0, sizeof(c));
	c.our_tid = next_peer_tid++;
	sccrq(&c, &m);
	lac_send(&c, &m, 0, 0);
	assert_int_equal(lac_answer(NULL).type, NONE);
	assert_int_equal(stats->l2tp_admission_refused, before + 1);
	/* established tunnels do not count */
	send_simple(&a, M_SCCCN, 0);
	drain();
	c.ns = 0;
	lac_send(&c, &m, 0, 0);
	assert_int_equal(lac_answer(NULL).type, M_SCCRP);
	config->l2tp_max_opening_per_source = 0;
	config->l2tp_max_opening_tunnels = 2;
	memset(&c, 0, sizeof(c));
	c.our_tid = next_peer_tid++;
	sccrq(&c, &m);
	lac_send(&c, &m, 0, 0);
	assert_int_equal(lac_answer(NULL).type, NONE);
	assert_int_equal(stats->l2tp_admission_refused, before + 2);
	config->l2tp_max_opening_tunnels = 1024;
	config->l2tp_max_opening_per_source = 64;
	free_all_tunnels();
}

/* ---- big tables: id exhaustion and the memory caps ---- */

static void
big_tables(uint32_t sessions, uint32_t tunnels)
{
	tables_free();
	assert_int_equal(tables_init(sessions, tunnels), 0);
	assert_int_equal(l2tp_init_state(), 0);
}

/*
 * Every tunnel id in use or recently freed: the SCCRQ is refused with
 * StopCCN result 2 error 4, counted; no endless search.
 */
static void
test_tunnel_ids_exhausted(void **state)
{
	uint64_t before = stats->l2tp_id_exhausted;
	struct lac l;
	struct mb m;
	struct reply r;
	uint32_t i;

	(void)state;
	alarm(120);	/* before the fix this searched forever */
	big_tables(16, 65535);
	config->l2tp_max_opening_per_source = 0;
	config->l2tp_max_opening_tunnels = 0;
	/* from another port: 65535 SCCRPs need not be read */
	lac_addr.sin_port = htons(ntohs(lac_addr.sin_port) ^ 1);
	for (i = 0; i < 65535; i++) {
		memset(&l, 0, sizeof(l));
		l.our_tid = (uint16_t)(i + 1);
		sccrq(&l, &m);
		lac_send(&l, &m, 0, 0);
	}
	lac_addr.sin_port = htons(ntohs(lac_addr.sin_port) ^ 1);
	assert_int_equal(tables->tunnels_used, 65535);
	/* free 1024: their ids are held back, every other id is in use */
	for (i = 1; i <= 1024; i++)
		l2tp_tunnel_event(i, TEV_RTX_FAIL);
	drain();
	memset(&l, 0, sizeof(l));
	l.our_tid = 7;
	sccrq(&l, &m);
	lac_send(&l, &m, 0, 0);
	r = lac_answer(NULL);
	assert_int_equal(r.type, M_STOPCCN);
	assert_int_equal(r.result, STOP_ERROR);
	assert_int_equal(r.error, ERR_NO_RESOURCES);
	assert_int_equal(stats->l2tp_id_exhausted, before + 1);
	assert_int_equal(tables->tunnels_used, 65535 - 1024);
	alarm(0);
	free_all_tunnels();
	config->l2tp_max_opening_tunnels = 1024;
	config->l2tp_max_opening_per_source = 64;
}

/*
 * max_sessions above 65535: the 65536th ICRQ on one tunnel gets a CDN
 * (4, 4), counted; no endless search.
 */
static void
test_session_ids_exhausted(void **state)
{
	uint64_t before = stats->l2tp_id_exhausted;
	struct lac l;
	struct reply r;
	uint32_t i;

	(void)state;
	alarm(120);
	big_tables(70000, 4);
	open_open(&l);
	for (i = 0; i <= 65535; i++) {
		send_crq(&l, M_ICRQ, (uint16_t)(i % 65535 + 1), i);
		r = lac_answer(&l);
		if (i < 65535)
			assert_int_equal(r.type, M_ICRP);
	}
	assert_int_equal(r.type, M_CDN);
	assert_int_equal(r.result, CDN_NO_FACILITIES_TEMP);
	assert_int_equal(r.error, ERR_NO_RESOURCES);
	assert_int_equal(stats->l2tp_id_exhausted, before + 1);
	assert_int_equal(tables->sessions_used, 65535);
	alarm(0);
	free_all_tunnels();
	assert_int_equal(tables->sessions_used, 0);
}

/* Finding 6: a peer that never acknowledges fills at most SENDQ_MAX. */
static void
test_send_queue_capped(void **state)
{
	uint64_t before = stats->l2tp_sendq_overflows;
	struct lac l;
	uint32_t i;

	(void)state;
	big_tables(4096, 4);
	open_open(&l);
	for (i = 0; i < 2000 && tunnel_by_wire(l.tid) == l.t; i++) {
		l.nr = 0;		/* never acknowledge */
		send_crq(&l, M_ICRQ, (uint16_t)(i + 1), i);
		drain();
		timers_run();
	}
	assert_int_equal(stats->l2tp_sendq_overflows, before + 1);
	assert_int_equal(tunnel_by_wire(l.tid), 0);	/* cleared */
	assert_true(i > 1000 && i < 1100);
	assert_int_equal(tables->sessions_used, 0);
}

/* Finding 6: out-of-order messages over all tunnels are capped. */
static void
test_out_of_order_capped(void **state)
{
	uint64_t before = stats->l2tp_ooo_overflows;
	static struct lac ls[400];
	struct mb m;
	uint8_t pad[1000];
	uint32_t i, k;

	(void)state;
	memset(pad, 'p', sizeof(pad));
	big_tables(16, 400);
	config->l2tp_max_opening_per_source = 0;
	config->l2tp_max_opening_tunnels = 0;
	for (i = 0; i < 400; i++) {
		open_opening(&ls[i]);
		/* Ns 2..8 while 1 is missing: 7 messages of ~4 kB held */
		for (k = 0; k < 7; k++) {
			mb_start(&m, M_HELLO);
			mb_avp(&m, 1000, pad, sizeof(pad), 0);
			mb_avp(&m, 1000, pad, sizeof(pad), 0);
			mb_avp(&m, 1000, pad, sizeof(pad), 0);
			mb_avp(&m, 1000, pad, sizeof(pad), 0);
			ls[i].ns = (uint16_t)(2 + k);
			lac_send(&ls[i], &m, ls[i].tid, 0);
		}
		drain();
	}
	/* 400 x 7 x ~4 kB = 11 MB offered, 8 MB held at most */
	assert_true(stats->l2tp_ooo_overflows > before + 500);
	free_all_tunnels();
	/* freed: the memory is counted back, a new message is kept again */
	before = stats->l2tp_ooo_overflows;
	open_opening(&ls[0]);
	ls[0].ns = 3;
	mb_start(&m, M_HELLO);
	lac_send(&ls[0], &m, ls[0].tid, 0);
	assert_int_equal(stats->l2tp_ooo_overflows, before);
	free_all_tunnels();
	config->l2tp_max_opening_tunnels = 1024;
	config->l2tp_max_opening_per_source = 64;
}

/* A loopback UDP socket with room for a burst of the daemon's sends. */
static int
udp_socket(struct sockaddr_in *sin)
{
	int fd = unit_udp_socket(sin, 0), big = 4 << 20;

	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	return fd;
}

static int
setup(void **state)
{
	struct sockaddr_in lns;

	(void)state;
	unit_globals();
	if (getenv("TEST_LOG"))
		log_level = 4;
	if (ev_init() < 0 || tables_init(64, 16) < 0 || l2tp_init_state() < 0)
		return -1;
	if ((lns_fd = udp_socket(&lns)) < 0 ||
	    (lac_fd = udp_socket(&lac_addr)) < 0 ||
	    connect(lac_fd, (struct sockaddr *)&lns, sizeof(lns)) < 0)
		return -1;
	l2tp_set_socket(lns_fd);
	ev_update_time();
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tunnel_every_state_event_pair),
		cmocka_unit_test(test_call_every_state_event_pair),
		cmocka_unit_test(test_setup_timeouts),
		cmocka_unit_test(test_unverified_peer_not_retransmitted_to),
		cmocka_unit_test(test_admission_limits),
		cmocka_unit_test(test_tunnel_ids_exhausted),
		cmocka_unit_test(test_session_ids_exhausted),
		cmocka_unit_test(test_send_queue_capped),
		cmocka_unit_test(test_out_of_order_capped),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
