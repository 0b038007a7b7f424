/*
 * fsm.c - the option-negotiation automaton of RFC 1661 section 4.
 *
 * State owned: nothing global; each `struct fsm` lives in its session's
 * PPP state (ppp.c).  Exports the events of 4.3 (fsm_up, fsm_down,
 * fsm_open, fsm_close, fsm_input for the receive events, the Restart
 * timer for TO+/TO-).  Implements 4.1 (the transition table, transcribed
 * in fsm_event), 4.4 (actions), 4.6 (Restart timer, Max-Terminate,
 * Max-Configure, Max-Failure) and the packet formats of 5.1-5.7.
 *
 * The table's dashes (an event illegal in a state) are logged and
 * ignored: they can only come from a bug here, never from the peer.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsm.h"
#include "log.h"
#include "rd.h"

#define MAX_TERMINATE	2	/* RFC 1661 4.6 default */
#define PKT_MAX		1500
#define EARLY_RESEND_MS	500	/* see rcv_conf_req */

static const char *const event_names[EV_MAX] = {
	"Up", "Down", "Open", "Close", "TO+", "TO-", "RCR+", "RCR-", "RCA",
	"RCN", "RTR", "RTA", "RUC", "RXJ+", "RXJ-", "RXR"
};

static const char *const state_names[] = {
	"Initial", "Starting", "Closed", "Stopped", "Closing", "Stopping",
	"Req-Sent", "Ack-Rcvd", "Ack-Sent", "Opened"
};

const char *
fsm_event_name(int e)
{
	return e >= 0 && e < EV_MAX ? event_names[e] : "?";
}

const char *
fsm_state_name(int s)
{
	return s >= 0 && s <= ST_OPENED ? state_names[s] : "?";
}

/* The Restart timer runs in exactly these states (4.1, after the table). */
static int
timer_state(int s)
{
	return s == ST_CLOSING || s == ST_STOPPING || s == ST_REQ_SENT ||
	    s == ST_ACK_RCVD || s == ST_ACK_SENT;
}

static void
set_state(struct fsm *f, int st)
{
	if (f->state != st)
		LOG(LOG_CALLS_L, f->sid, 0, "%s: %s -> %s", f->p->name,
		    state_names[f->state], state_names[st]);
	if (!timer_state(st))
		timer_cancel(&f->timer);
	f->state = (uint8_t)st;
	if (f->shown)
		*f->shown = (uint8_t)st;
}

/* ---- actions, RFC 1661 4.4 ---- */

static void
send_pkt(struct fsm *f, uint8_t code, uint8_t id, const uint8_t *data,
    size_t len)
{
	uint8_t buf[PKT_MAX];
	struct wr w;

	if (len > sizeof(buf) - 4)
		len = sizeof(buf) - 4;
	/* RFC 1661 5: Code, Identifier, Length, Data */
	wr_init(&w, buf, sizeof(buf));
	wr_u8(&w, code);
	wr_u8(&w, id);
	wr_u16(&w, (uint16_t)(len + 4));
	wr_bytes(&w, data, len);
	f->p->send(f, buf, w.len);
}

static void
tlu(struct fsm *f)
{
	f->rcr_bad = 0;
	f->naks = 0;
	if (f->p->tlu)
		f->p->tlu(f);
}

static void
tld(struct fsm *f)
{
	if (f->p->tld)
		f->p->tld(f);
}

static void
tls(struct fsm *f)
{
	if (f->p->tls)
		f->p->tls(f);
}

static void
tlf(struct fsm *f)
{
	if (f->p->tlf)
		f->p->tlf(f);
}

/* Initialize-Restart-Count: for a Configure-Request or a Terminate. */
static void
irc(struct fsm *f, int for_configure)
{
	f->restart = for_configure ? f->max_configure : f->max_terminate;
}

/* Zero-Restart-Count: wait one Restart period, then TO- (4.4). */
static void
zrc(struct fsm *f)
{
	f->restart = 0;
	timer_set(&f->timer, f->restart_ms);
}

/*
 * Send-Configure-Request.  The Identifier changes whenever the contents
 * may have changed; a retransmission on TO+ keeps it (RFC 1661 5.1).
 */
static void
scr(struct fsm *f, int retransmit)
{
	uint8_t opt[PKT_MAX - 4];
	size_t n = f->p->build_req ? f->p->build_req(f, opt, sizeof(opt)) : 0;

	if (!retransmit)
		f->id++;
	if (f->restart > 0)
		f->restart--;
	send_pkt(f, CP_CONF_REQ, f->id, opt, n);
	timer_set(&f->timer, f->restart_ms);
}

/*
 * Why we are closing, kept at its length: most automata never close
 * before their session ends, and then need no room for it.
 */
static void __attribute__((format(printf, 2, 3)))
set_reason(struct fsm *f, const char *fmt, ...)
{
	char b[FSM_REASON_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(b, sizeof(b), fmt, ap);	/* first: fmt may be ours */
	va_end(ap);
	free(f->reason);
	f->reason = strdup(b);			/* NULL reads as "" */
}

const char *
fsm_reason(const struct fsm *f)
{
	return f->reason != NULL ? f->reason : "";
}

void
fsm_free(struct fsm *f)
{
	free(f->reason);
	f->reason = NULL;
}

static void
str(struct fsm *f)
{
	const char *why = fsm_reason(f);

	f->term_id++;
	if (f->restart > 0)
		f->restart--;
	send_pkt(f, CP_TERM_REQ, f->term_id, (const uint8_t *)why,
	    strlen(why));
	timer_set(&f->timer, f->restart_ms);
}

static void
sta(struct fsm *f, uint8_t id)
{
	send_pkt(f, CP_TERM_ACK, id, NULL, 0);
}

/*
 * The transition table of RFC 1661 4.1 for events that carry no reply
 * of ours (RCR's Ack/Nak and RTR's Ack are sent by the caller, which
 * has the packet; see the comments at each).
 */
void
fsm_event(struct fsm *f, enum fsm_event e)
{
	int s = f->state;

	LOG(LOG_CALLS_L, f->sid, 0, "%s: event %s in %s", f->p->name,
	    event_names[e], state_names[s]);
	switch (e) {
	case EV_UP:
		if (s == ST_INITIAL)
			set_state(f, ST_CLOSED);
		else if (s == ST_STARTING) {
			irc(f, 1);
			scr(f, 0);
			set_state(f, ST_REQ_SENT);
		} else
			goto illegal;
		break;
	case EV_DOWN:
		switch (s) {
		case ST_CLOSED: case ST_CLOSING:
			set_state(f, ST_INITIAL);
			break;
		case ST_STOPPED:
			tls(f);
			set_state(f, ST_STARTING);
			break;
		case ST_STOPPING: case ST_REQ_SENT: case ST_ACK_RCVD:
		case ST_ACK_SENT:
			set_state(f, ST_STARTING);
			break;
		case ST_OPENED:
			tld(f);
			set_state(f, ST_STARTING);
			break;
		default:
			goto illegal;
		}
		break;
	case EV_OPEN:
		switch (s) {
		case ST_INITIAL:
			tls(f);
			set_state(f, ST_STARTING);
			break;
		case ST_CLOSED:
			irc(f, 1);
			scr(f, 0);
			set_state(f, ST_REQ_SENT);
			break;
		case ST_CLOSING:
			/* [r]: no restart option; carry on towards Stopped. */
			set_state(f, ST_STOPPING);
			break;
		default:
			break;	/* 1, 3, 5, 6-9: stay */
		}
		break;
	case EV_CLOSE:
		switch (s) {
		case ST_STARTING:
			set_state(f, ST_INITIAL);
			tlf(f);
			break;
		case ST_STOPPED:
			set_state(f, ST_CLOSED);
			break;
		case ST_STOPPING:
			set_state(f, ST_CLOSING);
			break;
		case ST_OPENED:
			tld(f);
			/* FALLTHROUGH */
		case ST_REQ_SENT: case ST_ACK_RCVD: case ST_ACK_SENT:
			irc(f, 0);
			str(f);
			set_state(f, ST_CLOSING);
			break;
		default:
			break;	/* 0, 2, 4 stay */
		}
		break;
	case EV_TO_PLUS:
		switch (s) {
		case ST_CLOSING: case ST_STOPPING:
			str(f);
			break;
		case ST_REQ_SENT: case ST_ACK_RCVD:
			scr(f, 1);
			set_state(f, ST_REQ_SENT);
			break;
		case ST_ACK_SENT:
			scr(f, 1);
			break;
		default:
			goto illegal;
		}
		break;
	case EV_TO_MINUS:
		switch (s) {
		case ST_CLOSING:
			set_state(f, ST_CLOSED);
			tlf(f);
			break;
		case ST_STOPPING: case ST_REQ_SENT: case ST_ACK_RCVD:
		case ST_ACK_SENT:
			/* [p]: passive; the layer above decides (tlf). */
			set_state(f, ST_STOPPED);
			tlf(f);
			break;
		default:
			goto illegal;
		}
		break;
	case EV_RCR_PLUS:	/* the caller sends the Ack (sca) */
	case EV_RCR_MINUS:	/* the caller sends the Nak/Reject (scn) */
		switch (s) {
		case ST_STOPPED:
			irc(f, 1);
			scr(f, 0);
			set_state(f, e == EV_RCR_PLUS ? ST_ACK_SENT :
			    ST_REQ_SENT);
			break;
		case ST_REQ_SENT: case ST_ACK_SENT:
			set_state(f, e == EV_RCR_PLUS ? ST_ACK_SENT :
			    ST_REQ_SENT);
			break;
		case ST_ACK_RCVD:
			if (e == EV_RCR_PLUS) {
				set_state(f, ST_OPENED);
				tlu(f);
			}
			break;
		case ST_OPENED:
			/* tld was done by the caller before checking. */
			scr(f, 0);
			set_state(f, e == EV_RCR_PLUS ? ST_ACK_SENT :
			    ST_REQ_SENT);
			break;
		default:
			break;	/* 2: sta sent by caller; 4, 5 stay */
		}
		break;
	case EV_RCA:
		switch (s) {
		case ST_REQ_SENT:
			irc(f, 1);
			set_state(f, ST_ACK_RCVD);
			timer_set(&f->timer, f->restart_ms);
			break;
		case ST_ACK_RCVD:
			/* [x] crossed connection */
			scr(f, 0);
			set_state(f, ST_REQ_SENT);
			break;
		case ST_ACK_SENT:
			irc(f, 1);
			set_state(f, ST_OPENED);
			tlu(f);
			break;
		case ST_OPENED:
			tld(f);
			scr(f, 0);
			set_state(f, ST_REQ_SENT);
			break;
		default:
			break;	/* 2, 3: sta by caller; 4, 5 stay */
		}
		break;
	case EV_RCN:
		switch (s) {
		case ST_REQ_SENT: case ST_ACK_SENT:
			irc(f, 1);
			scr(f, 0);
			break;
		case ST_ACK_RCVD:
			scr(f, 0);
			set_state(f, ST_REQ_SENT);
			break;
		case ST_OPENED:
			tld(f);
			scr(f, 0);
			set_state(f, ST_REQ_SENT);
			break;
		default:
			break;
		}
		break;
	case EV_RTR:		/* the caller sends the Terminate-Ack (sta) */
		switch (s) {
		case ST_ACK_RCVD: case ST_ACK_SENT:
			set_state(f, ST_REQ_SENT);
			break;
		case ST_OPENED:
			tld(f);
			zrc(f);
			set_state(f, ST_STOPPING);
			break;
		default:
			break;
		}
		break;
	case EV_RTA:
		switch (s) {
		case ST_CLOSING:
			set_state(f, ST_CLOSED);
			tlf(f);
			break;
		case ST_STOPPING:
			set_state(f, ST_STOPPED);
			tlf(f);
			break;
		case ST_ACK_RCVD:
			set_state(f, ST_REQ_SENT);
			break;
		case ST_OPENED:
			tld(f);
			scr(f, 0);
			set_state(f, ST_REQ_SENT);
			break;
		default:
			break;
		}
		break;
	case EV_RXJ_PLUS:
		/* The table sends Ack-Rcvd back to Req-Sent (column 7). */
		if (s == ST_ACK_RCVD)
			set_state(f, ST_REQ_SENT);
		break;
	case EV_RUC:		/* the caller sends the Code-Reject (scj) */
	case EV_RXR:		/* the protocol sends the Echo-Reply (ser) */
		break;
	case EV_RXJ_MINUS:
		switch (s) {
		case ST_CLOSED: case ST_CLOSING:
			set_state(f, ST_CLOSED);
			tlf(f);
			break;
		case ST_STOPPED: case ST_STOPPING: case ST_REQ_SENT:
		case ST_ACK_RCVD: case ST_ACK_SENT:
			set_state(f, ST_STOPPED);
			tlf(f);
			break;
		case ST_OPENED:
			tld(f);
			irc(f, 0);
			str(f);
			set_state(f, ST_STOPPING);
			break;
		default:
			break;
		}
		break;
	default:
		goto illegal;
	}
	return;
illegal:
	LOG(LOG_WARN_L, f->sid, 0, "%s: event %s illegal in state %s "
	    "(ignored)", f->p->name, event_names[e], state_names[s]);
}

static void
restart_fire(struct timer *t, void *arg)
{
	struct fsm *f = arg;

	(void)t;
	if (!timer_state(f->state))
		return;
	if (f->restart > 0)
		fsm_event(f, EV_TO_PLUS);
	else {
		if (f->state == ST_REQ_SENT || f->state == ST_ACK_RCVD ||
		    f->state == ST_ACK_SENT)
			set_reason(f, "%s: no answer "
			    "to %u Configure-Requests", f->p->name,
			    f->max_configure);
		LOG(LOG_INFO_L, f->sid, 0, "%s: Restart counter expired in %s",
		    f->p->name, state_names[f->state]);
		fsm_event(f, EV_TO_MINUS);
	}
}

void
fsm_init(struct fsm *f, const struct fsm_proto *p, sid_t sid,
    unsigned restart_s, unsigned max_configure, unsigned max_failure)
{
	timer_cancel(&f->timer);
	free(f->reason);
	memset(f, 0, sizeof(*f));
	f->p = p;
	f->sid = sid;
	f->state = ST_INITIAL;
	f->restart_ms = (uint16_t)(restart_s ? restart_s * 1000 : 3000);
	f->max_configure = (uint8_t)(max_configure ? max_configure : 10);
	f->max_terminate = MAX_TERMINATE;
	f->max_failure = (uint8_t)(max_failure ? max_failure : 5);
	timer_init(&f->timer, restart_fire, f);
}

void
fsm_up(struct fsm *f)
{
	fsm_event(f, EV_UP);
}

void
fsm_down(struct fsm *f)
{
	fsm_event(f, EV_DOWN);
}

void
fsm_open(struct fsm *f)
{
	fsm_event(f, EV_OPEN);
}

void
fsm_close(struct fsm *f, const char *reason)
{
	set_reason(f, "%s", reason ? reason : "");
	fsm_event(f, EV_CLOSE);
}

void
fsm_opened(struct fsm *f)
{
	set_state(f, ST_OPENED);
}

void
fsm_stop(struct fsm *f)
{
	timer_cancel(&f->timer);
}

void
fsm_proto_rejected(struct fsm *f)
{
	set_reason(f, "%s rejected by the peer",
	    f->p->name);
	fsm_event(f, EV_RXJ_MINUS);
}

/* ---- receive events ---- */

static void
rcv_conf_req(struct fsm *f, uint8_t id, const uint8_t *opt, size_t len)
{
	uint8_t reply[PKT_MAX - 4];
	size_t rlen = 0;
	int verdict, first = !f->heard;

	f->heard = 1;

	switch (f->state) {
	case ST_CLOSED:
		sta(f, id);	/* 4.1: sta/2 */
		return;
	case ST_CLOSING: case ST_STOPPING:
		return;
	case ST_INITIAL: case ST_STARTING:
		LOG(LOG_CALLS_L, f->sid, 0, "%s: Configure-Request before the "
		    "lower layer is up (discarded)", f->p->name);
		return;
	default:
		break;
	}
	verdict = f->p->check_req(f, opt, len, reply, sizeof(reply), &rlen,
	    f->naks < f->max_failure);
	if (verdict < 0) {
		/* Malformed options: discard, as for a bad Length (5). */
		LOG(LOG_WARN_L, f->sid, 0, "%s: malformed Configure-Request "
		    "(discarded)", f->p->name);
		return;
	}
	if (f->state == ST_OPENED)
		tld(f);		/* Opened row: tld, scr, sca/scn */
	if (verdict == CI_ACK) {
		f->naks = 0;
		send_pkt(f, CP_CONF_ACK, id, opt, len);
	} else {
		if (verdict == CI_NAK)
			f->naks++;
		send_pkt(f, (uint8_t)verdict, id, reply, rlen);
		/*
		 * A peer that never accepts what we say does not converge
		 * (4.6): give up after Max-Configure + Max-Failure refusals
		 * as if the Restart counter had run out.
		 */
		if (++f->rcr_bad > f->max_configure + f->max_failure) {
			set_reason(f, "%s: "
			    "negotiation not converging (%u requests refused)",
			    f->p->name, f->rcr_bad);
			LOG(LOG_WARN_L, f->sid, 0, "%s", fsm_reason(f));
			if (f->state == ST_OPENED)
				set_state(f, ST_REQ_SENT);
			set_state(f, ST_STOPPED);
			tlf(f);
			return;
		}
	}
	/*
	 * The peer's first request while ours is unanswered: the peer may
	 * not have been listening when ours went out (xl2tpd starts pppd
	 * only after its ICCN and drops what arrives before).  Shorten
	 * this Restart period so ours goes again soon if no Ack follows.
	 * Resending at once would not do: a peer that did get ours and
	 * acks it would take the copy for a new negotiation (RFC 1661 4.1,
	 * RCR in Opened).  4.6 leaves the Restart timer's value to us.
	 */
	if (first && f->state == ST_REQ_SENT) {
		fsm_event(f, verdict == CI_ACK ? EV_RCR_PLUS : EV_RCR_MINUS);
		if ((f->state == ST_ACK_SENT || f->state == ST_REQ_SENT) &&
		    f->restart_ms > EARLY_RESEND_MS)
			timer_set(&f->timer, EARLY_RESEND_MS);
		return;
	}
	/* The Opened row's tld is done; the table's event does the rest. */
	if (f->state == ST_OPENED) {
		scr(f, 0);
		set_state(f, verdict == CI_ACK ? ST_ACK_SENT : ST_REQ_SENT);
		return;
	}
	fsm_event(f, verdict == CI_ACK ? EV_RCR_PLUS : EV_RCR_MINUS);
}

static int
is_reply_state(int s)
{
	return s == ST_REQ_SENT || s == ST_ACK_RCVD || s == ST_ACK_SENT ||
	    s == ST_OPENED;
}

void
fsm_input(struct fsm *f, const uint8_t *pkt, size_t len)
{
	struct rd r, data;
	uint8_t code, id;
	uint16_t plen;

	rd_init(&r, pkt, len);
	/* RFC 1661 5: an invalid Length means silent discard. */
	if (rd_u8(&r, &code) < 0 || rd_u8(&r, &id) < 0 ||
	    rd_u16(&r, &plen) < 0 || plen < 4 || plen > len) {
		LOG(LOG_WARN_L, f->sid, 0, "%s: bad packet length %zu "
		    "(discarded)", f->p->name, len);
		return;
	}
	/* Octets beyond Length are padding. */
	rd_init(&data, pkt + 4, plen - 4u);
	if (f->state == ST_INITIAL || f->state == ST_STARTING) {
		LOG(LOG_CALLS_L, f->sid, 0, "%s: code %u while %s (discarded)",
		    f->p->name, code, state_names[f->state]);
		return;
	}
	switch (code) {
	case CP_CONF_REQ:
		rcv_conf_req(f, id, data.p, data.left);
		return;
	case CP_CONF_ACK:
	case CP_CONF_NAK:
	case CP_CONF_REJ:
		if (f->state == ST_CLOSED || f->state == ST_STOPPED) {
			sta(f, id);
			return;
		}
		/* 5.2-5.4: a reply to another request is discarded. */
		if (!is_reply_state(f->state) || id != f->id) {
			LOG(LOG_CALLS_L, f->sid, 0, "%s: reply id %u, expected "
			    "%u (discarded)", f->p->name, id, f->id);
			return;
		}
		if (code == CP_CONF_ACK) {
			if (f->p->recv_ack && f->p->recv_ack(f, data.p,
			    data.left) < 0)
				return;
			fsm_event(f, EV_RCA);
		} else {
			int (*fn)(struct fsm *, const uint8_t *, size_t) =
			    code == CP_CONF_NAK ? f->p->recv_nak :
			    f->p->recv_rej;

			if (fn && fn(f, data.p, data.left) < 0)
				return;
			fsm_event(f, EV_RCN);
		}
		return;
	case CP_TERM_REQ:
		LOG(LOG_INFO_L, f->sid, 0, "%s: Terminate-Request from the "
		    "peer%s%.*s", f->p->name, data.left ? ": " : "",
		    (int)(data.left > 64 ? 64 : data.left),
		    (const char *)data.p);
		sta(f, id);
		if (f->state == ST_OPENED)
			set_reason(f, "%s terminated by the peer", f->p->name);
		fsm_event(f, EV_RTR);
		return;
	case CP_TERM_ACK:
		fsm_event(f, EV_RTA);
		return;
	case CP_CODE_REJ: {
		uint8_t rcode = 0;

		rd_u8(&data, &rcode);
		LOG(LOG_WARN_L, f->sid, 0, "%s: peer rejected our code %u",
		    f->p->name, rcode);
		/* 4.3 RXJ: rejecting a code we must use is catastrophic. */
		if (rcode >= CP_CONF_REQ && rcode <= CP_CODE_REJ) {
			set_reason(f, "%s: peer "
			    "rejected code %u", f->p->name, rcode);
			fsm_event(f, EV_RXJ_MINUS);
		} else
			fsm_event(f, EV_RXJ_PLUS);
		return;
	}
	default:
		if (f->p->extcode && f->p->extcode(f, code, id, data.p,
		    data.left) == 0)
			return;
		/* RUC: Code-Reject carrying the packet (5.6). */
		LOG(LOG_INFO_L, f->sid, 0, "%s: unknown code %u: Code-Reject",
		    f->p->name, code);
		f->term_id++;
		send_pkt(f, CP_CODE_REJ, f->term_id, pkt, plen);
		fsm_event(f, EV_RUC);
		return;
	}
}
