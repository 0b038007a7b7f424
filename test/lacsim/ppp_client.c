/*
 * ppp_client.c - the PPP client lacsim runs over each L2TP session.
 *
 * State: one struct ppp per session, owned by the caller; nothing global.
 * Exports (ppp_client.h): ppp_init, ppp_start, ppp_close, ppp_lower_down,
 * ppp_input and a few queries.
 *
 * Implements, as the side that is authenticated and gets addresses:
 *   - the option negotiation automaton of RFC 1661 section 4, as the
 *     state transition table of 4.1 (fsm_table) run by fsm_run(), with
 *     the Restart timer and the Max-Configure, Max-Terminate and
 *     Max-Failure counters of 4.6, for LCP, IPCP, IPV6CP and CCP;
 *   - LCP (RFC 1661 5, 6): MRU and Magic-Number in our request, the LNS's
 *     request answered option by option from a table, Echo-Reply with our
 *     magic, Code- and Protocol-Reject both ways, phases (3.2 - 3.7);
 *   - PAP (RFC 1334 2) and CHAP with MD5 (RFC 1994 4) or MS-CHAPv2
 *     (RFC 2759), checking the LNS's authenticator response (5, 8.8);
 *   - IPCP (RFC 1332 3.3) with the DNS options of RFC 1877 1.1 and 1.3;
 *   - IPV6CP Interface-Identifier negotiation (RFC 5072 4.1).
 *
 * Anything the LNS does that a correct LNS would not is reported as a
 * PPP_EV_ERROR; the packet is then handled the way the RFC says (mostly:
 * silently discarded).  Written from the RFC text alone.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ppp_client.h"

#define PKT_MAX		1600	/* a packet we build: an MRU and headers */
#define TX_MTU_MAX	1500	/* what we send at most, whatever the MRU */
#define MRU_MIN		68	/* RFC 791: every IPv4 host takes 68 */

/* ---- RFC 1661 4.1: events, actions, the state transition table ---- */

enum fsm_ev {
	EV_UP, EV_DOWN, EV_OPEN, EV_CLOSE, EV_TOP, EV_TOM, EV_RCRP, EV_RCRM,
	EV_RCA, EV_RCN, EV_RTR, EV_RTA, EV_RUC, EV_RXJP, EV_RXJM, EV_RXR,
	EV_COUNT
};

static const char *const ev_name[EV_COUNT] = {
	"Up", "Down", "Open", "Close", "TO+", "TO-", "RCR+", "RCR-", "RCA",
	"RCN", "RTR", "RTA", "RUC", "RXJ+", "RXJ-", "RXR"
};

static const char *const state_name[CPS_NSTATES] = {
	[CPS_INITIAL] = "Initial",
	[CPS_STARTING] = "Starting",
	[CPS_CLOSED] = "Closed",
	[CPS_STOPPED] = "Stopped",
	[CPS_CLOSING] = "Closing",
	[CPS_STOPPING] = "Stopping",
	[CPS_REQSENT] = "Req-Sent",
	[CPS_ACKRCVD] = "Ack-Rcvd",
	[CPS_ACKSENT] = "Ack-Sent",
	[CPS_OPENED] = "Opened",
};

/* 4.4, in the order fsm_run() performs them. */
#define A_TLD	0x0001
#define A_IRC	0x0002
#define A_ZRC	0x0004
#define A_SCR	0x0008
#define A_SCA	0x0010
#define A_SCN	0x0020
#define A_STR	0x0040
#define A_STA	0x0080
#define A_SCJ	0x0100
#define A_SER	0x0200
#define A_TLU	0x0400
#define A_TLS	0x0800
#define A_TLF	0x1000

struct fsm_cell {
	uint16_t	 act;
	uint8_t		 next;
};

#define BAD	0xff
#define C(a, s)	{ (a), CPS_##s }
#define X	{ 0, BAD }

/*
 * Columns: Initial, Starting, Closed, Stopped, Closing, Stopping,
 * Req-Sent, Ack-Rcvd, Ack-Sent, Opened.  X is the table's '-'.
 */
static const struct fsm_cell fsm_table[EV_COUNT][CPS_NSTATES] = {
	[EV_UP] = { C(0, CLOSED), C(A_IRC | A_SCR, REQSENT), X, X, X, X, X,
	    X, X, X },
	[EV_DOWN] = { X, X, C(0, INITIAL), C(A_TLS, STARTING),
	    C(0, INITIAL), C(0, STARTING), C(0, STARTING), C(0, STARTING),
	    C(0, STARTING), C(A_TLD, STARTING) },
	[EV_OPEN] = { C(A_TLS, STARTING), C(0, STARTING),
	    C(A_IRC | A_SCR, REQSENT), C(0, STOPPED), C(0, STOPPING),
	    C(0, STOPPING), C(0, REQSENT), C(0, ACKRCVD), C(0, ACKSENT),
	    C(0, OPENED) },
	[EV_CLOSE] = { C(0, INITIAL), C(A_TLF, INITIAL), C(0, CLOSED),
	    C(0, CLOSED), C(0, CLOSING), C(0, CLOSING),
	    C(A_IRC | A_STR, CLOSING), C(A_IRC | A_STR, CLOSING),
	    C(A_IRC | A_STR, CLOSING), C(A_TLD | A_IRC | A_STR, CLOSING) },
	[EV_TOP] = { X, X, X, X, C(A_STR, CLOSING), C(A_STR, STOPPING),
	    C(A_SCR, REQSENT), C(A_SCR, REQSENT), C(A_SCR, ACKSENT), X },
	[EV_TOM] = { X, X, X, X, C(A_TLF, CLOSED), C(A_TLF, STOPPED),
	    C(A_TLF, STOPPED), C(A_TLF, STOPPED), C(A_TLF, STOPPED), X },
	[EV_RCRP] = { X, X, C(A_STA, CLOSED),
	    C(A_IRC | A_SCR | A_SCA, ACKSENT), C(0, CLOSING),
	    C(0, STOPPING), C(A_SCA, ACKSENT), C(A_SCA | A_TLU, OPENED),
	    C(A_SCA, ACKSENT), C(A_TLD | A_SCR | A_SCA, ACKSENT) },
	[EV_RCRM] = { X, X, C(A_STA, CLOSED),
	    C(A_IRC | A_SCR | A_SCN, REQSENT), C(0, CLOSING),
	    C(0, STOPPING), C(A_SCN, REQSENT), C(A_SCN, ACKRCVD),
	    C(A_SCN, REQSENT), C(A_TLD | A_SCR | A_SCN, REQSENT) },
	[EV_RCA] = { X, X, C(A_STA, CLOSED), C(A_STA, STOPPED),
	    C(0, CLOSING), C(0, STOPPING), C(A_IRC, ACKRCVD),
	    C(A_SCR, REQSENT), C(A_IRC | A_TLU, OPENED),
	    C(A_TLD | A_SCR, REQSENT) },
	[EV_RCN] = { X, X, C(A_STA, CLOSED), C(A_STA, STOPPED),
	    C(0, CLOSING), C(0, STOPPING), C(A_IRC | A_SCR, REQSENT),
	    C(A_SCR, REQSENT), C(A_IRC | A_SCR, ACKSENT),
	    C(A_TLD | A_SCR, REQSENT) },
	[EV_RTR] = { X, X, C(A_STA, CLOSED), C(A_STA, STOPPED),
	    C(A_STA, CLOSING), C(A_STA, STOPPING), C(A_STA, REQSENT),
	    C(A_STA, REQSENT), C(A_STA, REQSENT),
	    C(A_TLD | A_ZRC | A_STA, STOPPING) },
	[EV_RTA] = { X, X, C(0, CLOSED), C(0, STOPPED), C(A_TLF, CLOSED),
	    C(A_TLF, STOPPED), C(0, REQSENT), C(0, REQSENT), C(0, ACKSENT),
	    C(A_TLD | A_SCR, REQSENT) },
	[EV_RUC] = { X, X, C(A_SCJ, CLOSED), C(A_SCJ, STOPPED),
	    C(A_SCJ, CLOSING), C(A_SCJ, STOPPING), C(A_SCJ, REQSENT),
	    C(A_SCJ, ACKRCVD), C(A_SCJ, ACKSENT), C(A_SCJ, OPENED) },
	[EV_RXJP] = { X, X, C(0, CLOSED), C(0, STOPPED), C(0, CLOSING),
	    C(0, STOPPING), C(0, REQSENT), C(0, ACKRCVD), C(0, ACKSENT),
	    C(0, OPENED) },
	[EV_RXJM] = { X, X, C(A_TLF, CLOSED), C(A_TLF, STOPPED),
	    C(A_TLF, CLOSED), C(A_TLF, STOPPED), C(A_TLF, STOPPED),
	    C(A_TLF, STOPPED), C(A_TLF, STOPPED),
	    C(A_TLD | A_IRC | A_STR, STOPPING) },
	[EV_RXR] = { X, X, C(0, CLOSED), C(0, STOPPED), C(0, CLOSING),
	    C(0, STOPPING), C(0, REQSENT), C(0, ACKRCVD), C(0, ACKSENT),
	    C(A_SER, OPENED) },
};

#undef C
#undef X

/* What an event brings along from the packet that caused it. */
struct peer_req;

struct fsm_in {
	uint8_t		 id;
	const uint8_t	*raw;		/* the packet, for a Code-Reject */
	size_t		 raw_len;
	uint8_t		 reply_code;	/* for sca and scn */
	const uint8_t	*reply;
	size_t		 reply_len;
	const struct peer_req *pr;	/* values to keep once we Ack */
	uint8_t		 nrej;		/* what our Configure-Reject holds */
	uint8_t		 rej[4];
	uint32_t	 req_sum;	/* hash of the request's options */
	struct rd	 echo;		/* Echo-Request data after the magic */
};

/* ---- option tables (STYLE 4) ---- */

/* What the LNS's Configure-Request asks, kept until we Ack it. */
struct peer_req {
	uint8_t		 has;
	uint16_t	 mru;
	uint16_t	 auth;
	uint32_t	 magic;
	uint32_t	 addr;
	uint8_t		 ifid[IPV6CP_IFID_LEN];
};

#define PR_MRU		0x01
#define PR_AUTH		0x02
#define PR_MAGIC	0x04
#define PR_ADDR		0x08
#define PR_IFID		0x10

enum { OPT_ACK, OPT_NAK, OPT_REJ };

struct opt_handler {
	const char	*name;
	uint8_t		 min, max;	/* the whole option's Length */
	/* The LNS requests it: OPT_ACK, OPT_NAK (value written), OPT_REJ. */
	int		(*req)(struct ppp *, struct peer_req *,
			    const struct cp_opt *, struct wr *nak);
	/* The option we want in place of a malformed one (6: Nak it). */
	void		(*fix)(struct ppp *, struct wr *nak);
	/* The LNS Naks our request with this value; -1 if unacceptable. */
	int		(*nak)(struct ppp *, const struct cp_opt *);
	/* The LNS rejects it. */
	void		(*rej)(struct ppp *, const struct cp_opt *);
};

struct cp_desc {
	uint16_t	 proto;
	const char	*name;
	uint8_t		 max_code;	/* higher codes are unknown (RUC) */
	const struct opt_handler *opts;	/* 256 entries, by type */
	void		(*build)(struct ppp *, struct wr *);
	void		(*peer_acked)(struct ppp *, const struct peer_req *);
	void		(*tlu)(struct ppp *, uint64_t);
	void		(*tld)(struct ppp *, uint64_t);
	void		(*tlf)(struct ppp *, uint64_t);
};

static const struct cp_desc cp_table[CP_COUNT];

static void	fsm_run(struct ppp_fsm *, enum fsm_ev, const struct fsm_in *,
		    uint64_t);
static void	network_begin(struct ppp *, uint64_t);

/* ---- events ---- */

static void
ev_emit(struct ppp *p, enum ppp_ev_type type, const char *text)
{
	struct ppp_event e;

	memset(&e, 0, sizeof(e));
	e.type = type;
	e.text = text;
	e.rej_code = -1;
	p->conf->event(p, &e);
}

static void perr(struct ppp *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

/* Something a correct LNS would not have sent. */
static void
perr(struct ppp *p, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	ev_emit(p, PPP_EV_ERROR, why);
}

static void
trace_pkt(struct ppp *p, enum ppp_ev_type type, uint16_t proto,
    uint8_t code, uint8_t id, size_t len)
{
	struct ppp_event e;

	if (!p->conf->trace)
		return;
	memset(&e, 0, sizeof(e));
	e.type = type;
	e.proto = proto;
	e.code = code;
	e.id = id;
	e.len = len;
	e.rej_code = -1;
	p->conf->event(p, &e);
}

/* The first reason wins: it is the cause, the rest are consequences. */
static void
set_why(struct ppp *p, const char *why)
{
	if (p->why == NULL)
		p->why = why;
}

static void
report_down(struct ppp *p)
{
	struct ppp_event e;
	const char *why = p->why != NULL ? p->why : "unknown";

	if (p->reported)
		return;
	p->reported = 1;
	memset(&e, 0, sizeof(e));
	e.type = PPP_EV_DOWN;
	e.text = why;
	e.rej_code = -1;
	/* An exchange of Terminate packets is an orderly close. */
	e.clean = strcmp(why, "closed") == 0 ||
	    strcmp(why, "terminate_rx") == 0;
	p->conf->event(p, &e);
}

/* The session cannot come up any more. */
static void
fail(struct ppp *p, const char *why)
{
	if (p->ready_once || p->failed)
		return;
	p->failed = 1;
	ev_emit(p, PPP_EV_FAILED, why);
}

/* ---- small helpers ---- */

static uint32_t
rand_u32(struct ppp *p)
{
	uint32_t v = 0;
	int i;

	/* 6.4: zero is not a Magic-Number; a bounded loop all the same. */
	for (i = 0; i < 16 && v == 0; i++)
		p->conf->random(&v, sizeof(v));
	return v != 0 ? v : 0x4c414353;
}

static int
ifid_zero(const uint8_t *id)
{
	static const uint8_t zero[IPV6CP_IFID_LEN];

	return memcmp(id, zero, IPV6CP_IFID_LEN) == 0;
}

/* RFC 5072 4.1: random, non-zero, the "u" bit clear. */
static void
ifid_random(struct ppp *p, uint8_t *id, const uint8_t *avoid)
{
	int i;

	for (i = 0; i < 16; i++) {
		p->conf->random(id, IPV6CP_IFID_LEN);
		id[0] &= (uint8_t)~0x02;
		if (!ifid_zero(id) && (avoid == NULL ||
		    memcmp(id, avoid, IPV6CP_IFID_LEN) != 0))
			return;
	}
	memcpy(id, "\x00lacsim\x01", IPV6CP_IFID_LEN);
}

static size_t
tx_mtu(const struct ppp *p)
{
	return p->peer_mru < TX_MTU_MAX ? p->peer_mru : TX_MTU_MAX;
}

/* 6.1: the MRU we asked for, but never less than 1500. */
static size_t
rx_limit(const struct ppp *p)
{
	return p->mru > PPP_MRU_DEFAULT ? p->mru : PPP_MRU_DEFAULT;
}

static uint32_t
our_magic(const struct ppp *p)
{
	/* 5.8: zero until the Magic-Number is negotiated. */
	return p->magic_acked ? p->magic : 0;
}

static void
send_packet(struct ppp *p, uint16_t proto, const uint8_t *buf, size_t len,
    uint8_t code, uint8_t id)
{
	trace_pkt(p, PPP_EV_TX, proto, code, id, len);
	p->conf->send(p, proto, buf, len);
}

static void
cp_send(struct ppp *p, uint16_t proto, uint8_t code, uint8_t id,
    const void *data, size_t n)
{
	uint8_t buf[PKT_MAX];
	struct wr w;
	size_t off;

	wr_init(&w, buf, sizeof(buf));
	off = cp_begin(&w, code, id);
	wr_bytes(&w, data, n);
	if (cp_end(&w, off) == -1) {
		perr(p, "%s %s of %zu octets does not fit",
		    ppp_proto_name(proto), cp_code_name(code), n);
		return;
	}
	send_packet(p, proto, buf, w.len, code, id);
}

static const struct cp_desc *
desc(const struct ppp_fsm *f)
{
	return &cp_table[f->cp];
}

/* ---- the automaton (STYLE 6) ---- */

static int
timer_state(uint8_t s)
{
	return s >= CPS_CLOSING && s <= CPS_ACKSENT;
}

static void
set_state(struct ppp_fsm *f, uint8_t to)
{
	struct ppp_event e;

	if (f->ppp->conf->trace && f->state != to) {
		memset(&e, 0, sizeof(e));
		e.type = PPP_EV_STATE;
		e.proto = desc(f)->proto;
		e.from = state_name[f->state];
		e.to = state_name[to];
		e.rej_code = -1;
		f->ppp->conf->event(f->ppp, &e);
	}
	f->state = to;
	/* 4.1: the Restart timer stops in a state without TO events. */
	if (!timer_state(to))
		lt_cancel(&f->tm);
}

static void
build_request(struct ppp_fsm *f, struct wr *w, uint8_t *buf, size_t cap)
{
	wr_init(w, buf, cap);
	desc(f)->build(f->ppp, w);
}

/* scr: a new Identifier for every request (5.1 allows keeping it). */
static void
act_scr(struct ppp_fsm *f, uint64_t now)
{
	struct ppp *p = f->ppp;
	uint8_t opts[256];
	struct wr w;

	build_request(f, &w, opts, sizeof(opts));
	if (w.err) {
		perr(p, "%s Configure-Request does not fit", desc(f)->name);
		return;
	}
	if (f->restart > 0)
		f->restart--;
	f->reqid++;
	cp_send(p, desc(f)->proto, CP_CONF_REQ, f->reqid, opts, w.len);
	lt_set_at(&f->tm, now + p->conf->restart_us);
}

static void
act_str(struct ppp_fsm *f, uint64_t now)
{
	struct ppp *p = f->ppp;

	if (f->restart > 0)
		f->restart--;
	f->reqid++;
	f->term_acked = 0;
	cp_send(p, desc(f)->proto, CP_TERM_REQ, f->reqid, NULL, 0);
	lt_set_at(&f->tm, now + p->conf->restart_us);
}

/* 5.6: the rejected packet, truncated to the peer's MRU. */
static void
act_scj(struct ppp_fsm *f, const struct fsm_in *in)
{
	struct ppp *p = f->ppp;
	size_t n = in->raw_len;

	if (n > tx_mtu(p) - CP_HDR_LEN)
		n = tx_mtu(p) - CP_HDR_LEN;
	cp_send(p, desc(f)->proto, CP_CODE_REJ, ++p->xid, in->raw, n);
}

/* 5.8: our magic, the request's data, the request's Identifier. */
static void
act_ser(struct ppp_fsm *f, const struct fsm_in *in)
{
	struct ppp *p = f->ppp;
	uint8_t buf[PKT_MAX];
	struct wr w;
	size_t n = in->echo.left;

	if (n > tx_mtu(p) - CP_HDR_LEN - 4)
		n = tx_mtu(p) - CP_HDR_LEN - 4;
	wr_init(&w, buf, sizeof(buf));
	wr_u32(&w, our_magic(p));
	wr_bytes(&w, in->echo.p, n);
	p->echo_tx++;
	cp_send(p, PPP_PROTO_LCP, CP_ECHO_REP, in->id, buf, w.len);
}

static void
fsm_run(struct ppp_fsm *f, enum fsm_ev ev, const struct fsm_in *in,
    uint64_t now)
{
	const struct fsm_cell *c = &fsm_table[ev][f->state];
	const struct cp_desc *d = desc(f);
	const struct ppp_conf *conf = f->ppp->conf;
	struct ppp *p = f->ppp;

	if (c->next == BAD) {
		/* 4.4 Illegal-Event: report it, no transition. */
		perr(p, "%s: internal error: event %s in state %s", d->name,
		    ev_name[ev], state_name[f->state]);
		return;
	}
	set_state(f, c->next);
	if (c->act & A_TLD)
		d->tld(p, now);
	if (c->act & A_IRC)
		f->restart = (c->act & A_STR) ? conf->max_terminate :
		    conf->max_configure;
	if (c->act & A_ZRC) {
		/* 4.4: zero, and wait one Restart period all the same. */
		f->restart = 0;
		lt_set_at(&f->tm, now + conf->restart_us);
	}
	if (c->act & A_SCR)
		act_scr(f, now);
	if (c->act & A_SCA) {
		f->naks = 0;
		f->nrej = 0;
		if (in->pr != NULL && d->peer_acked != NULL)
			d->peer_acked(p, in->pr);
		cp_send(p, d->proto, CP_CONF_ACK, in->id, in->reply,
		    in->reply_len);
	}
	if (c->act & A_SCN) {
		if (in->reply_code == CP_CONF_NAK)
			f->naks++;
		f->nrej = in->nrej;
		memcpy(f->rej, in->rej, sizeof(f->rej));
		f->rej_id = in->id;
		f->rej_sum = in->req_sum;
		cp_send(p, d->proto, in->reply_code, in->id, in->reply,
		    in->reply_len);
	}
	if (c->act & A_STR)
		act_str(f, now);
	if (c->act & A_STA)
		cp_send(p, d->proto, CP_TERM_ACK, in->id, NULL, 0);
	if (c->act & A_SCJ)
		act_scj(f, in);
	if (c->act & A_SER)
		act_ser(f, in);
	if (c->act & A_TLU)
		d->tlu(p, now);
	/* A_TLS: the lower layer (the L2TP session) is already up. */
	if (c->act & A_TLF)
		d->tlf(p, now);
}

static void
fsm_timeout(struct ltimer *tm, void *arg)
{
	struct ppp_fsm *f = arg;

	if (!timer_state(f->state))
		return;
	if (f->restart > 0) {
		fsm_run(f, EV_TOP, NULL, tm->when);
		return;
	}
	if (f->cp == CP_LCP && f->state >= CPS_REQSENT)
		set_why(f->ppp, "lcp_timeout");
	fsm_run(f, EV_TOM, NULL, tm->when);
}

/* An NCP gets the Up of LCP's This-Layer-Up and our Open (3.6). */
static void
ncp_begin(struct ppp_fsm *f, uint64_t now)
{
	if (f->state == CPS_INITIAL) {
		fsm_run(f, EV_UP, NULL, now);
		fsm_run(f, EV_OPEN, NULL, now);
	} else if (f->state == CPS_STARTING) {
		fsm_run(f, EV_UP, NULL, now);
	}
}

static void
ncp_down(struct ppp_fsm *f, uint64_t now)
{
	if (f->state >= CPS_CLOSED)
		fsm_run(f, EV_DOWN, NULL, now);
}

/* ---- Configure-Request from the LNS: answer option by option ---- */

static int
type_in(const uint8_t *list, size_t n, uint8_t type)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (list[i] == type)
			return 1;
	return 0;
}

/* FNV-1a over a request's options: tells a resent request from a new one. */
static uint32_t
opts_hash(const struct rd *r)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < r->left; i++)
		h = (h ^ r->p[i]) * 16777619u;
	return h;
}

/*
 * 5.2 - 5.4: Reject what we do not know or will not negotiate, else Nak
 * what we cannot accept, else Ack the options unchanged.  Returns the
 * reply code, or -1 when the packet is to be discarded (6: an option runs
 * past the packet).
 */
static int
rcr(struct ppp_fsm *f, const struct cp_pkt *pk, struct fsm_in *in,
    struct peer_req *pr, uint8_t *out, size_t cap)
{
	const struct cp_desc *d = desc(f);
	const struct opt_handler *h;
	struct ppp *p = f->ppp;
	uint8_t nakbuf[PKT_MAX], seen[32];
	struct wr nak, rej;
	struct rd r = pk->data;
	struct cp_opt o;
	const char *why;
	size_t mark;
	int verdict;

	if (cp_opts_check(&pk->data, &why) == -1) {
		perr(p, "%s Configure-Request: %s", d->name, why);
		return -1;
	}
	memset(pr, 0, sizeof(*pr));
	memset(seen, 0, sizeof(seen));
	wr_init(&nak, nakbuf, sizeof(nakbuf));
	wr_init(&rej, out, cap);
	in->req_sum = opts_hash(&pk->data);
	while (cp_opt_next(&r, &o, &why) == 1) {
		h = &d->opts[o.type];
		/*
		 * 5.4: a rejected option MUST NOT come back.  The same
		 * options again under a new Identifier are the request
		 * resent on the Restart timer (5.1 lets it change the
		 * Identifier) because our Configure-Reject was lost, which
		 * a loaded LNS does; it is rejected again, not reported.
		 */
		if (f->nrej > 0 && pk->id != f->rej_id &&
		    in->req_sum != f->rej_sum &&
		    type_in(f->rej, f->nrej, o.type))
			perr(p, "%s Configure-Request %u carries option %u "
			    "again after our Configure-Reject", d->name,
			    pk->id, o.type);
		mark = nak.len;
		if (seen[o.type / 8] & (1 << (o.type % 8))) {
			perr(p, "%s Configure-Request has option %u twice",
			    d->name, o.type);
			verdict = OPT_REJ;
		} else if (h->req == NULL) {
			verdict = OPT_REJ;
		} else if (o.len < h->min || o.len > h->max) {
			perr(p, "%s Configure-Request option %s with Length "
			    "%u", d->name, h->name, o.len);
			if (h->fix != NULL) {
				h->fix(p, &nak);
				verdict = OPT_NAK;
			} else
				verdict = OPT_REJ;
		} else {
			verdict = h->req(p, pr, &o, &nak);
		}
		seen[o.type / 8] |= (uint8_t)(1 << (o.type % 8));
		/* 4.6 Max-Failure: Naks turn into Rejects. */
		if (verdict == OPT_NAK &&
		    f->naks >= p->conf->max_failure) {
			nak.len = mark;
			verdict = OPT_REJ;
		}
		if (verdict == OPT_REJ) {
			wr_bytes(&rej, o.raw, o.len);
			if (in->nrej < sizeof(in->rej))
				in->rej[in->nrej++] = o.type;
		}
	}
	if (nak.err || rej.err) {
		perr(p, "%s Configure-Request: reply does not fit", d->name);
		return -1;
	}
	if (rej.len > 0) {
		in->reply_len = rej.len;
		return CP_CONF_REJ;
	}
	in->nrej = 0;
	if (nak.len > 0) {
		if (nak.len > cap)
			return -1;
		memcpy(out, nakbuf, nak.len);
		in->reply_len = nak.len;
		return CP_CONF_NAK;
	}
	/* 5.2: the options exactly as received. */
	if (pk->data.left > cap)
		return -1;
	memcpy(out, pk->data.p, pk->data.left);
	in->reply_len = pk->data.left;
	return CP_CONF_ACK;
}

static void
recv_conf_req(struct ppp_fsm *f, const struct cp_pkt *pk,
    struct fsm_in *in, uint64_t now)
{
	uint8_t reply[PKT_MAX];
	struct peer_req pr;
	int code;

	code = rcr(f, pk, in, &pr, reply, sizeof(reply));
	if (code == -1)
		return;
	in->reply_code = (uint8_t)code;
	in->reply = reply;
	in->pr = &pr;
	if (f->state == CPS_OPENED && f->cp == CP_LCP)
		set_why(f->ppp, "lcp_renegotiation");
	fsm_run(f, code == CP_CONF_ACK ? EV_RCRP : EV_RCRM, in, now);
}

/* ---- Configure-Ack, -Nak, -Reject of our request ---- */

static int
reply_expected(const struct ppp_fsm *f)
{
	return f->state >= CPS_REQSENT;
}

/* 5.2: the Ack MUST repeat our last request exactly. */
static void
recv_conf_ack(struct ppp_fsm *f, const struct cp_pkt *pk,
    struct fsm_in *in, uint64_t now)
{
	struct ppp *p = f->ppp;
	uint8_t opts[256];
	struct wr w;

	if (reply_expected(f)) {
		if (pk->id != f->reqid) {
			/* An answer to an earlier copy: discarded. */
			p->discarded++;
			return;
		}
		build_request(f, &w, opts, sizeof(opts));
		if (w.len != pk->data.left ||
		    memcmp(opts, pk->data.p, w.len) != 0) {
			perr(p, "%s Configure-Ack %u does not repeat our "
			    "request", desc(f)->name, pk->id);
			return;
		}
		if (f->cp == CP_LCP) {
			p->magic_acked = (p->lcp_want & LW_MAGIC) != 0;
			if (p->lcp_want & LW_TEST)
				perr(p, "LCP Configure-Ack of option %u, "
				    "which no LNS can know", LCP_OPT_TEST);
		}
	}
	fsm_run(f, EV_RCA, in, now);
}

/* 5.4: each rejected option, unchanged, in the order we sent them. */
static int
rej_is_subset(const struct rd *ours, const struct rd *theirs)
{
	struct rd a = *ours, b = *theirs;
	struct cp_opt oa, ob;
	const char *why;

	while (cp_opt_next(&b, &ob, &why) == 1) {
		for (;;) {
			if (cp_opt_next(&a, &oa, &why) != 1)
				return 0;
			if (oa.len == ob.len &&
			    memcmp(oa.raw, ob.raw, oa.len) == 0)
				break;
		}
	}
	return 1;
}

static void
recv_conf_nak(struct ppp_fsm *f, const struct cp_pkt *pk, int is_rej,
    struct fsm_in *in, uint64_t now)
{
	const struct cp_desc *d = desc(f);
	const struct opt_handler *h;
	struct ppp *p = f->ppp;
	uint8_t opts[256], sent[32];
	struct rd ours, r;
	struct cp_opt o;
	const char *why, *what = is_rej ? "Configure-Reject" :
	    "Configure-Nak";
	struct wr w;

	if (!reply_expected(f)) {
		fsm_run(f, EV_RCN, in, now);
		return;
	}
	if (pk->id != f->reqid) {
		p->discarded++;
		return;
	}
	if (cp_opts_check(&pk->data, &why) == -1) {
		perr(p, "%s %s: %s", d->name, what, why);
		return;
	}
	build_request(f, &w, opts, sizeof(opts));
	rd_init(&ours, opts, w.len);
	if (is_rej && !rej_is_subset(&ours, &pk->data)) {
		perr(p, "%s Configure-Reject %u is not a subset of our "
		    "request", d->name, pk->id);
		return;
	}
	memset(sent, 0, sizeof(sent));
	r = ours;
	while (cp_opt_next(&r, &o, &why) == 1)
		sent[o.type / 8] |= (uint8_t)(1 << (o.type % 8));
	r = pk->data;
	while (cp_opt_next(&r, &o, &why) == 1) {
		h = &d->opts[o.type];
		if (is_rej) {
			if (h->rej != NULL)
				h->rej(p, &o);
			continue;
		}
		/* 5.3: an option we did not send is a hint; we take none. */
		if (!(sent[o.type / 8] & (1 << (o.type % 8))))
			continue;
		if (o.len < h->min || o.len > h->max) {
			perr(p, "%s Configure-Nak option %s with Length %u",
			    d->name, h->name, o.len);
			continue;
		}
		if (h->nak != NULL)
			h->nak(p, &o);
	}
	fsm_run(f, EV_RCN, in, now);
}

/* ---- Code-Reject, Protocol-Reject ---- */

static void
ev_reject(struct ppp *p, uint16_t proto, uint16_t rej_proto, int rej_code)
{
	struct ppp_event e;

	memset(&e, 0, sizeof(e));
	e.type = PPP_EV_RX_REJECT;
	e.proto = proto;
	e.rej_proto = rej_proto;
	e.rej_code = rej_code;
	p->conf->event(p, &e);
}

static void
recv_code_rej(struct ppp_fsm *f, const struct cp_pkt *pk, uint64_t now)
{
	struct ppp *p = f->ppp;
	struct rd r = pk->data;
	uint8_t code;

	if (rd_u8(&r, &code) == -1) {
		perr(p, "%s Code-Reject without the rejected packet",
		    desc(f)->name);
		return;
	}
	ev_reject(p, desc(f)->proto, 0, code);
	/* 4.3 RXJ-: a code this version cannot do without. */
	if (code >= CP_CONF_REQ && code <= CP_CODE_REJ) {
		if (f->cp == CP_LCP)
			set_why(p, "rejected");
		fsm_run(f, EV_RXJM, NULL, now);
		return;
	}
	if (f->cp == CP_LCP && code == CP_ECHO_REQ)
		lt_cancel(&p->echo_tm);		/* 4.3: stop sending it */
	fsm_run(f, EV_RXJP, NULL, now);
}

static void
recv_proto_rej(struct ppp_fsm *lcp, const struct cp_pkt *pk, uint64_t now)
{
	struct ppp *p = lcp->ppp;
	struct ppp_fsm *f = NULL;
	struct rd r = pk->data;
	uint16_t proto;

	if (rd_u16(&r, &proto) == -1) {
		perr(p, "LCP Protocol-Reject without Rejected-Protocol");
		return;
	}
	ev_reject(p, PPP_PROTO_LCP, proto, -1);
	switch (proto) {
	case PPP_PROTO_LCP:
		set_why(p, "rejected");
		fsm_run(lcp, EV_RXJM, NULL, now);
		return;
	case PPP_PROTO_IPCP:
		f = &p->fsm[CP_IPCP];
		break;
	case PPP_PROTO_IPV6CP:
		f = &p->fsm[CP_IPV6CP];
		break;
	case PPP_PROTO_CCP:
		f = &p->fsm[CP_CCP];
		break;
	case PPP_PROTO_PAP:
	case PPP_PROTO_CHAP:
	case PPP_PROTO_IP:
	case PPP_PROTO_IPV6:
		perr(p, "Protocol-Reject of %s, which the LNS negotiated",
		    ppp_proto_name(proto));
		break;
	default:
		perr(p, "Protocol-Reject of 0x%04x, which we never sent",
		    proto);
		break;
	}
	/* 4.3: RXJ- for the rejected NCP, RXJ+ for LCP itself. */
	if (f != NULL && f->state >= CPS_CLOSED)
		fsm_run(f, EV_RXJM, NULL, now);
	fsm_run(lcp, EV_RXJP, NULL, now);
}

/* 6.4: zero when the LNS negotiated none, else its own number. */
static void
check_magic(struct ppp *p, uint32_t magic, const char *what)
{
	if (magic != 0 && p->magic_acked && magic == p->magic)
		perr(p, "LCP %s with our own Magic-Number 0x%08x: looped "
		    "back", what, magic);
	else if (magic != p->peer_magic)
		perr(p, "LCP %s Magic-Number 0x%08x, the LNS negotiated "
		    "0x%08x", what, magic, p->peer_magic);
}

/* Codes 8-11, RFC 1661 5.7 - 5.9: only in the Opened state. */
static void
lcp_extra(struct ppp_fsm *f, const struct cp_pkt *pk, struct fsm_in *in,
    uint64_t now)
{
	struct ppp *p = f->ppp;
	struct rd r = pk->data;
	uint32_t magic;

	if (f->state != CPS_OPENED) {
		p->discarded++;
		return;
	}
	if (pk->code == CP_PROTO_REJ) {
		recv_proto_rej(f, pk, now);
		return;
	}
	if (rd_u32(&r, &magic) == -1) {
		perr(p, "LCP %s without a Magic-Number",
		    cp_code_name(pk->code));
		return;
	}
	check_magic(p, magic, cp_code_name(pk->code));
	switch (pk->code) {
	case CP_ECHO_REQ:
		p->echo_rx++;
		if (p->conf->no_echo_reply) {
			p->echo_ignored++;
			return;
		}
		/* RXR in Opened: ser. */
		in->echo = r;
		fsm_run(f, EV_RXR, in, now);
		break;
	case CP_ECHO_REP:
		if (pk->id == p->echo_id)
			p->echo_rep_rx++;
		break;
	default:
		/*
		 * RXR for an Echo-Reply or a Discard-Request: the table's
		 * ser answers only an Echo-Request (4.3, 5.8, 5.9).
		 */
		break;
	}
}

/* ---- one packet of a control protocol (STYLE 5: triage) ---- */

static void
cp_input(struct ppp_fsm *f, struct rd *info, uint64_t now)
{
	const struct cp_desc *d = desc(f);
	struct ppp *p = f->ppp;
	struct fsm_in in;
	struct cp_pkt pk;
	const char *why;

	memset(&in, 0, sizeof(in));
	in.raw = info->p;
	if (cp_parse(info, &pk, &why) == -1) {
		/* 5: a bad Length is silently discarded. */
		perr(p, "%s packet: %s", d->name, why);
		return;
	}
	in.raw_len = pk.len;
	in.id = pk.id;
	trace_pkt(p, PPP_EV_RX, d->proto, pk.code, pk.id, pk.len);
	/* 3.4, 3.5: nothing for a protocol whose layer is not up. */
	if (f->state == CPS_INITIAL || f->state == CPS_STARTING) {
		p->discarded++;
		return;
	}
	f->heard = 1;
	switch (pk.code) {
	case CP_CONF_REQ:
		recv_conf_req(f, &pk, &in, now);
		break;
	case CP_CONF_ACK:
		recv_conf_ack(f, &pk, &in, now);
		break;
	case CP_CONF_NAK:
	case CP_CONF_REJ:
		recv_conf_nak(f, &pk, pk.code == CP_CONF_REJ, &in, now);
		break;
	case CP_TERM_REQ:
		if (f->cp == CP_LCP)
			set_why(p, "terminate_rx");
		fsm_run(f, EV_RTR, &in, now);
		break;
	case CP_TERM_ACK:
		if (f->state == CPS_CLOSING || f->state == CPS_STOPPING)
			f->term_acked = 1;
		else if (f->state == CPS_OPENED && f->cp == CP_LCP)
			set_why(p, "terminate_ack_rx");
		fsm_run(f, EV_RTA, &in, now);
		break;
	case CP_CODE_REJ:
		recv_code_rej(f, &pk, now);
		break;
	default:
		if (pk.code >= CP_PROTO_REJ && pk.code <= d->max_code) {
			lcp_extra(f, &pk, &in, now);
			break;
		}
		/* 5: unknown code; 12 and 13 are later LCP extensions. */
		if (!(f->cp == CP_LCP && (pk.code == 12 || pk.code == 13)))
			perr(p, "%s unknown code %u", d->name, pk.code);
		fsm_run(f, EV_RUC, &in, now);
		break;
	}
}

/* ---- authentication, RFC 1334 2 and RFC 1994 4 ---- */

static void
auth_ok(struct ppp *p, const char *msg, uint64_t now)
{
	p->auth_state = AUTH_OK;
	lt_cancel(&p->auth_tm);
	ev_emit(p, PPP_EV_AUTH_OK, msg);
	network_begin(p, now);
}

static void
auth_failed(struct ppp *p, const char *msg, const char *why)
{
	p->auth_state = AUTH_FAILED;
	lt_cancel(&p->auth_tm);
	set_why(p, why);
	ev_emit(p, PPP_EV_AUTH_FAIL, msg);
	fail(p, why);
	/* RFC 1334 2.2.2, 1994 4.2: the LNS terminates the link. */
}

static void
pap_send(struct ppp *p, uint64_t now)
{
	uint8_t buf[PKT_MAX];
	char user[256];
	size_t ulen;
	struct wr w;

	ulen = p->conf->user(p, user, sizeof(user));
	/* 2.2.1: a new Identifier for each Authenticate-Request. */
	p->auth_id = ++p->xid;
	wr_init(&w, buf, sizeof(buf));
	if (pap_build_request(&w, p->auth_id, user, ulen, p->conf->password,
	    p->conf->password_len) == -1) {
		perr(p, "PAP Authenticate-Request does not fit");
		return;
	}
	p->auth_tries++;
	send_packet(p, PPP_PROTO_PAP, buf, w.len, PAP_AUTH_REQ, p->auth_id);
	lt_set_at(&p->auth_tm, now + p->conf->restart_us);
}

/* 2.2.1: repeated until a reply comes, or a retry counter runs out. */
static void
auth_timeout(struct ltimer *tm, void *arg)
{
	struct ppp *p = arg;

	if (p->auth_state != AUTH_WAIT ||
	    p->fsm[CP_LCP].state != CPS_OPENED)
		return;
	if (p->auth_tries < p->conf->max_configure) {
		pap_send(p, tm->when);
		return;
	}
	auth_failed(p, "no reply to Authenticate-Request", "auth_timeout");
	fsm_run(&p->fsm[CP_LCP], EV_CLOSE, NULL, tm->when);
}

static int
auth_input(struct ppp *p, uint16_t proto, struct rd *info, struct cp_pkt *pk)
{
	const char *why;

	if (p->fsm[CP_LCP].state != CPS_OPENED) {
		p->discarded++;
		return -1;
	}
	if (cp_parse(info, pk, &why) == -1) {
		perr(p, "%s packet: %s", ppp_proto_name(proto), why);
		return -1;
	}
	trace_pkt(p, PPP_EV_RX, proto, pk->code, pk->id, pk->len);
	if (p->auth_proto != proto) {
		perr(p, "%s packet, but the LNS asked for %s",
		    ppp_proto_name(proto), ppp_auth_name(p->auth_proto));
		return -1;
	}
	return 0;
}

static void
pap_input(struct ppp *p, struct rd *info, uint64_t now)
{
	char msg[256];
	struct cp_pkt pk;
	const char *why;

	if (auth_input(p, PPP_PROTO_PAP, info, &pk) == -1)
		return;
	switch (pk.code) {
	case PAP_AUTH_ACK:
	case PAP_AUTH_NAK:
		/* The reply to an earlier copy of our request. */
		if (pk.id != p->auth_id) {
			p->discarded++;
			return;
		}
		if (pap_parse_reply(&pk, msg, sizeof(msg), &why) == -1) {
			perr(p, "%s", why);
			return;
		}
		if (p->auth_state != AUTH_WAIT)
			return;		/* 2.2.1: a repeated reply */
		if (pk.code == PAP_AUTH_ACK)
			auth_ok(p, msg, now);
		else
			auth_failed(p, msg, "auth_failed");
		break;
	case PAP_AUTH_REQ:
		perr(p, "PAP Authenticate-Request from the LNS, which we "
		    "never asked to authenticate");
		break;
	default:
		perr(p, "PAP unknown code %u", pk.code);
		break;
	}
}

static void
chap_input(struct ppp *p, struct rd *info, uint64_t now)
{
	uint8_t buf[PKT_MAX], value[CHAP_MD5_LEN];
	struct chap_challenge c;
	char user[256], msg[256];
	struct cp_pkt pk;
	const char *why;
	size_t ulen;
	struct wr w;

	if (auth_input(p, PPP_PROTO_CHAP, info, &pk) == -1)
		return;
	switch (pk.code) {
	case CHAP_CHALLENGE:
		/* 4.1: in the Authentication and Network phases. */
		if (p->phase != PPP_AUTHENTICATE && p->phase != PPP_NETWORK) {
			p->discarded++;
			return;
		}
		if (chap_parse_challenge(&pk, &c, &why) == -1) {
			perr(p, "CHAP %s", why);
			return;
		}
		ulen = p->conf->user(p, user, sizeof(user));
		wr_init(&w, buf, sizeof(buf));
		if (p->conf->mschapv2) {
			uint8_t pc[16], mv[MSCHAPV2_VALUE_LEN];

			/* RFC 2759 3: a 16-octet challenge */
			if (c.value_len != 16) {
				perr(p, "MS-CHAPv2 Challenge of %zu octets, "
				    "not 16", c.value_len);
				return;
			}
			p->conf->random(pc, sizeof(pc));
			mschapv2_respond(c.value, pc, user, ulen,
			    p->conf->password, p->conf->password_len, mv,
			    p->ms_expect);
			if (chap_build_response_value(&w, pk.id, mv, sizeof(mv),
			    user, ulen) == -1) {
				perr(p, "CHAP Response does not fit");
				return;
			}
		} else {
			chap_md5(pk.id, p->conf->password,
			    p->conf->password_len, c.value, c.value_len, value);
			if (chap_build_response(&w, pk.id, value, user,
			    ulen) == -1) {
				perr(p, "CHAP Response does not fit");
				return;
			}
		}
		p->auth_id = pk.id;
		p->chap_answered = 1;
		send_packet(p, PPP_PROTO_CHAP, buf, w.len, CHAP_RESPONSE,
		    pk.id);
		break;
	case CHAP_SUCCESS:
	case CHAP_FAILURE:
		/* 4.2: the Identifier of the Response it answers. */
		if (!p->chap_answered || pk.id != p->auth_id) {
			perr(p, "CHAP %s with Identifier %u, our Response "
			    "had %u", pk.code == CHAP_SUCCESS ? "Success" :
			    "Failure", pk.id, p->auth_id);
			return;
		}
		chap_parse_message(&pk, msg, sizeof(msg));
		if (pk.code == CHAP_SUCCESS && p->conf->mschapv2 &&
		    (strncmp(msg, p->ms_expect, 42) != 0 ||
		    (msg[42] != '\0' && msg[42] != ' '))) {
			/* RFC 2759 5: a missing or wrong authenticator
			 * response ends the session. */
			perr(p, "MS-CHAPv2 Success without our authenticator "
			    "response: \"%.60s\"", msg);
			if (p->auth_state != AUTH_FAILED)
				auth_failed(p, msg, "bad_authenticator");
		} else if (pk.code == CHAP_SUCCESS) {
			if (p->auth_state == AUTH_WAIT)
				auth_ok(p, msg, now);
		} else if (p->auth_state != AUTH_FAILED) {
			auth_failed(p, msg, "auth_failed");
		}
		break;
	case CHAP_RESPONSE:
		perr(p, "CHAP Response from the LNS, which we never "
		    "challenged");
		break;
	default:
		perr(p, "CHAP unknown code %u", pk.code);
		break;
	}
}

/* ---- LCP, RFC 1661 6 ---- */

static void
lcp_build(struct ppp *p, struct wr *w)
{
	static const uint8_t test[2] = { 'l', 's' };

	if (p->lcp_want & LW_MRU)
		cp_opt_put_u16(w, LCP_OPT_MRU, p->mru);
	if (p->lcp_want & LW_MAGIC)
		cp_opt_put_u32(w, LCP_OPT_MAGIC, p->magic);
	if (p->lcp_want & LW_TEST)
		cp_opt_put(w, LCP_OPT_TEST, test, sizeof(test));
}

static int
lcp_req_mru(struct ppp *p, struct peer_req *pr, const struct cp_opt *o,
    struct wr *nak)
{
	struct rd v = o->val;
	uint16_t mru;

	if (p->conf->reject_mru)
		return OPT_REJ;
	rd_u16(&v, &mru);
	if (mru < MRU_MIN) {
		cp_opt_put_u16(nak, LCP_OPT_MRU, PPP_MRU_DEFAULT);
		return OPT_NAK;
	}
	pr->mru = mru;
	pr->has |= PR_MRU;
	return OPT_ACK;
}

static void
lcp_fix_mru(struct ppp *p, struct wr *nak)
{
	cp_opt_put_u16(nak, LCP_OPT_MRU, PPP_MRU_DEFAULT);
}

static int
lcp_nak_mru(struct ppp *p, const struct cp_opt *o)
{
	struct rd v = o->val;
	uint16_t mru;

	rd_u16(&v, &mru);
	if (mru < MRU_MIN) {
		perr(p, "LCP Configure-Nak suggests MRU %u", mru);
		p->lcp_want &= (uint8_t)~LW_MRU;
		return -1;
	}
	p->mru = mru;
	return 0;
}

static void
lcp_rej_mru(struct ppp *p, const struct cp_opt *o)
{
	p->lcp_want &= (uint8_t)~LW_MRU;
	p->lcp_rejected |= LW_MRU;
}

/* The Authentication-Protocol we are configured for. */
static void
lcp_fix_auth(struct ppp *p, struct wr *nak)
{
	uint8_t chap[3] = { PPP_PROTO_CHAP >> 8, PPP_PROTO_CHAP & 0xff,
	    p->conf->mschapv2 ? CHAP_ALG_MSCHAPV2 : CHAP_ALG_MD5 };

	if (p->conf->auth == PPP_PROTO_CHAP)
		cp_opt_put(nak, LCP_OPT_AUTH, chap, sizeof(chap));
	else
		cp_opt_put_u16(nak, LCP_OPT_AUTH, PPP_PROTO_PAP);
}

/* RFC 1334 2.1, RFC 1994 3: PAP is Length 4, CHAP-MD5 Length 5. */
static int
lcp_req_auth(struct ppp *p, struct peer_req *pr, const struct cp_opt *o,
    struct wr *nak)
{
	struct rd v = o->val;
	uint16_t proto;
	uint8_t alg = 0;

	rd_u16(&v, &proto);
	if (proto == PPP_PROTO_CHAP)
		rd_u8(&v, &alg);
	if ((p->conf->auth == PPP_PROTO_PAP && proto == PPP_PROTO_PAP &&
	    o->len == 4) || (p->conf->auth == PPP_PROTO_CHAP &&
	    proto == PPP_PROTO_CHAP && o->len == 5 && alg ==
	    (p->conf->mschapv2 ? CHAP_ALG_MSCHAPV2 : CHAP_ALG_MD5))) {
		pr->auth = proto;
		pr->has |= PR_AUTH;
		return OPT_ACK;
	}
	/* 5.3: Nak it with the one we want. */
	lcp_fix_auth(p, nak);
	return OPT_NAK;
}

static void
lcp_fix_magic(struct ppp *p, struct wr *nak)
{
	uint32_t v;

	do
		v = rand_u32(p);
	while (v == p->magic);
	cp_opt_put_u32(nak, LCP_OPT_MAGIC, v);
}

/* 6.4: zero MUST be Nak'd; our own number may mean a loop: Nak it. */
static int
lcp_req_magic(struct ppp *p, struct peer_req *pr, const struct cp_opt *o,
    struct wr *nak)
{
	struct rd v = o->val;
	uint32_t magic;

	rd_u32(&v, &magic);
	if (magic == 0 || ((p->lcp_want & LW_MAGIC) && magic == p->magic)) {
		lcp_fix_magic(p, nak);
		return OPT_NAK;
	}
	pr->magic = magic;
	pr->has |= PR_MAGIC;
	return OPT_ACK;
}

static int
lcp_nak_magic(struct ppp *p, const struct cp_opt *o)
{
	struct rd v = o->val;
	uint32_t magic;

	/* 6.4: in either case, a new Magic-Number. */
	rd_u32(&v, &magic);
	do
		p->magic = rand_u32(p);
	while (p->magic == magic);
	return 0;
}

static void
lcp_rej_magic(struct ppp *p, const struct cp_opt *o)
{
	p->lcp_want &= (uint8_t)~LW_MAGIC;
	p->lcp_rejected |= LW_MAGIC;
}

/* PFC and ACFC: the LNS can receive compressed frames; fine. */
static int
lcp_req_flag(struct ppp *p, struct peer_req *pr, const struct cp_opt *o,
    struct wr *nak)
{
	return OPT_ACK;
}

static int
lcp_nak_test(struct ppp *p, const struct cp_opt *o)
{
	perr(p, "LCP Configure-Nak of option %u, which the LNS cannot "
	    "know: 5.4 says Reject", LCP_OPT_TEST);
	p->lcp_want &= (uint8_t)~LW_TEST;
	return -1;
}

static void
lcp_rej_test(struct ppp *p, const struct cp_opt *o)
{
	p->lcp_want &= (uint8_t)~LW_TEST;
	p->lcp_rejected |= LW_TEST;
}

static void
lcp_peer_acked(struct ppp *p, const struct peer_req *pr)
{
	p->peer_mru = (pr->has & PR_MRU) ? pr->mru : PPP_MRU_DEFAULT;
	p->peer_magic = (pr->has & PR_MAGIC) ? pr->magic : 0;
	p->auth_proto = (pr->has & PR_AUTH) ? pr->auth : 0;
}

static void
echo_timeout(struct ltimer *tm, void *arg)
{
	struct ppp *p = arg;
	uint8_t buf[4];
	struct wr w;

	if (p->fsm[CP_LCP].state != CPS_OPENED)
		return;
	wr_init(&w, buf, sizeof(buf));
	wr_u32(&w, our_magic(p));
	p->echo_id = ++p->xid;
	p->echo_req_tx++;
	cp_send(p, PPP_PROTO_LCP, CP_ECHO_REQ, p->echo_id, buf, w.len);
	lt_set_at(&p->echo_tm, tm->when + p->conf->echo_us);
}

static void
lcp_tlu(struct ppp *p, uint64_t now)
{
	p->ended = 0;
	p->auth_state = AUTH_NONE;
	p->auth_tries = 0;
	p->chap_answered = 0;
	ev_emit(p, PPP_EV_LCP_UP, NULL);
	if (p->conf->echo_us > 0)
		lt_set_at(&p->echo_tm, now + p->conf->echo_us);
	/* 3.5: authenticate first when the LNS asked for it. */
	switch (p->auth_proto) {
	case PPP_PROTO_PAP:
		p->phase = PPP_AUTHENTICATE;
		p->auth_state = AUTH_WAIT;
		pap_send(p, now);
		break;
	case PPP_PROTO_CHAP:
		p->phase = PPP_AUTHENTICATE;
		p->auth_state = AUTH_WAIT;	/* the LNS challenges */
		break;
	default:
		network_begin(p, now);
		break;
	}
}

static void
lcp_tld(struct ppp *p, uint64_t now)
{
	int i;

	p->phase = p->closing ? PPP_TERMINATE : PPP_ESTABLISH;
	lt_cancel(&p->auth_tm);
	lt_cancel(&p->echo_tm);
	/* 4.3: This-Layer-Down of LCP is the Down event of each NCP. */
	for (i = CP_IPCP; i < CP_COUNT; i++)
		ncp_down(&p->fsm[i], now);
}

/* The link is over: report it once. */
static void
link_end(struct ppp *p)
{
	struct ppp_event e;

	if (p->ended)
		return;
	p->ended = 1;
	report_down(p);
	fail(p, p->why != NULL ? p->why : "unknown");
	if (p->echo_rx + p->echo_req_tx + p->echo_rep_rx > 0) {
		memset(&e, 0, sizeof(e));
		e.type = PPP_EV_ECHO;
		e.rej_code = -1;
		p->conf->event(p, &e);
	}
}

static void
lcp_tlf(struct ppp *p, uint64_t now)
{
	p->phase = PPP_DEAD;
	lt_cancel(&p->auth_tm);
	lt_cancel(&p->echo_tm);
	if (p->closing && p->why == NULL)
		p->why = p->fsm[CP_LCP].term_acked ? "closed" :
		    "closed_timeout";
	set_why(p, "lcp_finished");
	link_end(p);
	ev_emit(p, PPP_EV_FINISHED, p->why);
}

/* ---- IPCP, RFC 1332 3.3 and RFC 1877 ---- */

static void
ipcp_build(struct ppp *p, struct wr *w)
{
	if (p->ipcp_want & IW_ADDR)
		cp_opt_put_u32(w, IPCP_OPT_ADDR, p->addr);
	if (p->ipcp_want & IW_DNS1)
		cp_opt_put_u32(w, IPCP_OPT_DNS1, p->dns1);
	if (p->ipcp_want & IW_DNS2)
		cp_opt_put_u32(w, IPCP_OPT_DNS2, p->dns2);
}

/* 3.3: the LNS's own address; zero would ask us for one. */
static int
ipcp_req_addr(struct ppp *p, struct peer_req *pr, const struct cp_opt *o,
    struct wr *nak)
{
	struct rd v = o->val;
	uint32_t a;

	rd_u32(&v, &a);
	if (a == 0) {
		perr(p, "IPCP Configure-Request asks us for the LNS's own "
		    "address");
		return OPT_REJ;
	}
	pr->addr = a;
	pr->has |= PR_ADDR;
	return OPT_ACK;
}

static int
ipcp_nak_addr(struct ppp *p, const struct cp_opt *o)
{
	struct rd v = o->val;
	uint32_t a;

	rd_u32(&v, &a);
	if (a == 0) {
		perr(p, "IPCP Configure-Nak offers IP-Address 0.0.0.0");
		return -1;
	}
	p->addr = a;
	return 0;
}

static void
ipcp_rej_addr(struct ppp *p, const struct cp_opt *o)
{
	p->ipcp_want &= (uint8_t)~IW_ADDR;
}

/* RFC 1877 1.1, 1.3: a zero is a request, not an answer. */
static int
ipcp_nak_dns(struct ppp *p, const struct cp_opt *o)
{
	uint8_t bit = o->type == IPCP_OPT_DNS1 ? IW_DNS1 : IW_DNS2;
	struct rd v = o->val;
	uint32_t a;

	rd_u32(&v, &a);
	if (a == 0) {
		perr(p, "IPCP Configure-Nak offers DNS option %u 0.0.0.0",
		    o->type);
		p->ipcp_want &= (uint8_t)~bit;
		return -1;
	}
	if (bit == IW_DNS1)
		p->dns1 = a;
	else
		p->dns2 = a;
	return 0;
}

static void
ipcp_rej_dns(struct ppp *p, const struct cp_opt *o)
{
	if (o->type == IPCP_OPT_DNS1) {
		p->ipcp_want &= (uint8_t)~IW_DNS1;
		p->dns1 = 0;
	} else {
		p->ipcp_want &= (uint8_t)~IW_DNS2;
		p->dns2 = 0;
	}
}

static void
ipcp_peer_acked(struct ppp *p, const struct peer_req *pr)
{
	p->peer_addr = (pr->has & PR_ADDR) ? pr->addr : 0;
}

static void
check_ready(struct ppp *p)
{
	if (p->ready || p->fsm[CP_IPCP].state != CPS_OPENED ||
	    (p->conf->ipv6 && p->fsm[CP_IPV6CP].state != CPS_OPENED))
		return;
	p->ready = 1;
	p->ready_once = 1;
	ev_emit(p, PPP_EV_READY, NULL);
}

static void
ipcp_tlu(struct ppp *p, uint64_t now)
{
	if (p->addr == 0)
		perr(p, "IPCP Opened without an address for us");
	p->up4 = 1;
	p->reported = 0;
	p->why = NULL;
	ev_emit(p, PPP_EV_UP, NULL);
	if (p->conf->send_ccp)
		ncp_begin(&p->fsm[CP_CCP], now);
	check_ready(p);
}

/* An NCP left Opened: the session is down unless we are closing it. */
static void
ncp_left(struct ppp *p, const char *why)
{
	p->ready = 0;
	if (p->closing)
		return;
	set_why(p, why);
	report_down(p);
}

static void
ipcp_tld(struct ppp *p, uint64_t now)
{
	p->up4 = 0;
	ev_emit(p, PPP_EV_IP_DOWN, NULL);
	ncp_left(p, "ipcp_down");
}

static void
ipcp_tlf(struct ppp *p, uint64_t now)
{
	fail(p, "ipcp_failed");
}

/* ---- IPV6CP, RFC 5072 4.1 ---- */

static void
ipv6cp_build(struct ppp *p, struct wr *w)
{
	if (p->ipv6_want)
		cp_opt_put(w, IPV6CP_OPT_IFID, p->ifid, IPV6CP_IFID_LEN);
}

/* A suggestion for the LNS: non-zero, not ours, "u" bit clear. */
static void
ipv6cp_suggest(struct ppp *p, struct wr *nak)
{
	ifid_random(p, p->nak_ifid, p->ifid);
	cp_opt_put(nak, IPV6CP_OPT_IFID, p->nak_ifid, IPV6CP_IFID_LEN);
}

static int
ipv6cp_req_ifid(struct ppp *p, struct peer_req *pr, const struct cp_opt *o,
    struct wr *nak)
{
	uint8_t id[IPV6CP_IFID_LEN];
	struct rd v = o->val;

	rd_bytes(&v, id, sizeof(id));
	if (ifid_zero(id)) {
		/* Both zero: no unique identifier can be had. */
		if (!p->ipv6_want || ifid_zero(p->ifid))
			return OPT_REJ;
		ipv6cp_suggest(p, nak);
		return OPT_NAK;
	}
	if (p->ipv6_want && memcmp(id, p->ifid, sizeof(id)) == 0) {
		ipv6cp_suggest(p, nak);
		return OPT_NAK;
	}
	memcpy(pr->ifid, id, sizeof(id));
	pr->has |= PR_IFID;
	return OPT_ACK;
}

static int
ipv6cp_nak_ifid(struct ppp *p, const struct cp_opt *o)
{
	uint8_t id[IPV6CP_IFID_LEN];
	struct rd v = o->val;

	rd_bytes(&v, id, sizeof(id));
	if (ifid_zero(id)) {
		perr(p, "IPV6CP Configure-Nak suggests a zero "
		    "Interface-Identifier");
		return -1;
	}
	/* The one we suggested to the LNS: choose anew. */
	if (memcmp(id, p->nak_ifid, sizeof(id)) == 0)
		ifid_random(p, p->ifid, id);
	else
		memcpy(p->ifid, id, sizeof(id));
	return 0;
}

static void
ipv6cp_rej_ifid(struct ppp *p, const struct cp_opt *o)
{
	perr(p, "IPV6CP Configure-Reject of our Interface-Identifier");
	p->ipv6_want = 0;
}

static void
ipv6cp_peer_acked(struct ppp *p, const struct peer_req *pr)
{
	if (pr->has & PR_IFID)
		memcpy(p->peer_ifid, pr->ifid, IPV6CP_IFID_LEN);
	else
		memset(p->peer_ifid, 0, IPV6CP_IFID_LEN);
}

static void
ipv6cp_tlu(struct ppp *p, uint64_t now)
{
	ev_emit(p, PPP_EV_IPV6_UP, NULL);
	check_ready(p);
}

static void
ipv6cp_tld(struct ppp *p, uint64_t now)
{
	ncp_left(p, "ipv6cp_down");
}

static void
ipv6cp_tlf(struct ppp *p, uint64_t now)
{
	fail(p, "ipv6cp_failed");
}

/* ---- CCP: an empty request, to see the LNS reject the protocol ---- */

static void
ccp_build(struct ppp *p, struct wr *w)
{
}

static void
ccp_nothing(struct ppp *p, uint64_t now)
{
}

/* ---- the tables ---- */

static const struct opt_handler lcp_opts[256] = {
	[LCP_OPT_MRU] = { "MRU", 4, 4, lcp_req_mru, lcp_fix_mru,
	    lcp_nak_mru, lcp_rej_mru },
	[LCP_OPT_AUTH] = { "Authentication-Protocol", 4, 255, lcp_req_auth,
	    lcp_fix_auth, NULL, NULL },
	[LCP_OPT_QUALITY] = { "Quality-Protocol", 4, 255, NULL, NULL, NULL,
	    NULL },
	[LCP_OPT_MAGIC] = { "Magic-Number", 6, 6, lcp_req_magic,
	    lcp_fix_magic, lcp_nak_magic, lcp_rej_magic },
	[LCP_OPT_PFC] = { "Protocol-Field-Compression", 2, 2, lcp_req_flag,
	    NULL, NULL, NULL },
	[LCP_OPT_ACFC] = { "Address-and-Control-Field-Compression", 2, 2,
	    lcp_req_flag, NULL, NULL, NULL },
	[LCP_OPT_TEST] = { "test option 0x7f", 2, 255, NULL, NULL,
	    lcp_nak_test, lcp_rej_test },
};

static const struct opt_handler ipcp_opts[256] = {
	[IPCP_OPT_ADDRS] = { "IP-Addresses", 10, 10, NULL, NULL, NULL,
	    NULL },
	[IPCP_OPT_COMP] = { "IP-Compression-Protocol", 4, 255, NULL, NULL,
	    NULL, NULL },
	[IPCP_OPT_ADDR] = { "IP-Address", 6, 6, ipcp_req_addr, NULL,
	    ipcp_nak_addr, ipcp_rej_addr },
	[IPCP_OPT_DNS1] = { "Primary-DNS-Address", 6, 6, NULL, NULL,
	    ipcp_nak_dns, ipcp_rej_dns },
	[IPCP_OPT_NBNS1] = { "Primary-NBNS-Address", 6, 6, NULL, NULL, NULL,
	    NULL },
	[IPCP_OPT_DNS2] = { "Secondary-DNS-Address", 6, 6, NULL, NULL,
	    ipcp_nak_dns, ipcp_rej_dns },
	[IPCP_OPT_NBNS2] = { "Secondary-NBNS-Address", 6, 6, NULL, NULL,
	    NULL, NULL },
};

static const struct opt_handler ipv6cp_opts[256] = {
	[IPV6CP_OPT_IFID] = { "Interface-Identifier", 10, 10,
	    ipv6cp_req_ifid, ipv6cp_suggest, ipv6cp_nak_ifid,
	    ipv6cp_rej_ifid },
	[IPV6CP_OPT_COMP] = { "IPv6-Compression-Protocol", 4, 255, NULL,
	    NULL, NULL, NULL },
};

static const struct opt_handler no_opts[256];

static const struct cp_desc cp_table[CP_COUNT] = {
	[CP_LCP] = { PPP_PROTO_LCP, "LCP", CP_CODE_MAX, lcp_opts, lcp_build,
	    lcp_peer_acked, lcp_tlu, lcp_tld, lcp_tlf },
	/* RFC 1332 2, RFC 5072 3: codes 1 to 7 only. */
	[CP_IPCP] = { PPP_PROTO_IPCP, "IPCP", CP_CODE_REJ, ipcp_opts,
	    ipcp_build, ipcp_peer_acked, ipcp_tlu, ipcp_tld, ipcp_tlf },
	[CP_IPV6CP] = { PPP_PROTO_IPV6CP, "IPV6CP", CP_CODE_REJ,
	    ipv6cp_opts, ipv6cp_build, ipv6cp_peer_acked, ipv6cp_tlu,
	    ipv6cp_tld, ipv6cp_tlf },
	[CP_CCP] = { PPP_PROTO_CCP, "CCP", CP_CODE_REJ, no_opts, ccp_build,
	    NULL, ccp_nothing, ccp_nothing, ccp_nothing },
};

/* ---- phases ---- */

static void
network_begin(struct ppp *p, uint64_t now)
{
	/* 3.6: each NCP is configured on its own. */
	p->phase = PPP_NETWORK;
	ncp_begin(&p->fsm[CP_IPCP], now);
	if (p->conf->ipv6)
		ncp_begin(&p->fsm[CP_IPV6CP], now);
}

/* ---- the interface ---- */

void
ppp_init(struct ppp *p, const struct ppp_conf *conf, void *ctx)
{
	int i;

	memset(p, 0, sizeof(*p));
	p->conf = conf;
	p->ctx = ctx;
	for (i = 0; i < CP_COUNT; i++) {
		p->fsm[i].ppp = p;
		p->fsm[i].cp = (uint8_t)i;
		p->fsm[i].state = CPS_INITIAL;
		lt_init(&p->fsm[i].tm, fsm_timeout, &p->fsm[i]);
	}
	lt_init(&p->auth_tm, auth_timeout, p);
	lt_init(&p->echo_tm, echo_timeout, p);
	p->phase = PPP_DEAD;
	p->peer_mru = PPP_MRU_DEFAULT;
}

void
ppp_start(struct ppp *p, uint64_t now)
{
	const struct ppp_conf *conf = p->conf;

	if (p->started)
		return;
	p->started = 1;
	p->closing = p->reported = p->ended = 0;
	p->ready = p->failed = 0;
	p->why = NULL;
	p->mru = conf->mru;
	p->lcp_want = LW_MAGIC | (conf->mru != 0 ? LW_MRU : 0) |
	    (conf->lcp_test_opt ? LW_TEST : 0);
	p->magic = rand_u32(p);
	p->ipcp_want = IW_ADDR | IW_DNS1 | IW_DNS2;
	p->ipv6_want = conf->ipv6 != 0;
	if (conf->ipv6)
		ifid_random(p, p->ifid, NULL);
	p->phase = PPP_ESTABLISH;
	/* 3.3, 4.3: Open, then the lower layer's Up. */
	fsm_run(&p->fsm[CP_LCP], EV_OPEN, NULL, now);
	fsm_run(&p->fsm[CP_LCP], EV_UP, NULL, now);
}

void
ppp_close(struct ppp *p, uint64_t now)
{
	if (!p->started)
		return;
	p->closing = 1;
	fsm_run(&p->fsm[CP_LCP], EV_CLOSE, NULL, now);
}

void
ppp_lower_down(struct ppp *p, uint64_t now)
{
	int i;

	if (!p->started)
		return;
	set_why(p, "lower_down");
	if (p->fsm[CP_LCP].state >= CPS_CLOSED)
		fsm_run(&p->fsm[CP_LCP], EV_DOWN, NULL, now);
	for (i = 0; i < CP_COUNT; i++)
		lt_cancel(&p->fsm[i].tm);
	lt_cancel(&p->auth_tm);
	lt_cancel(&p->echo_tm);
	p->phase = PPP_DEAD;
	link_end(p);
	p->started = 0;
}

int
ppp_finished(const struct ppp *p)
{
	return p->fsm[CP_LCP].state <= CPS_STOPPED;
}

int
ppp_heard(const struct ppp *p)
{
	return p->fsm[CP_LCP].heard;
}

const char *
cp_state_name(uint8_t s)
{
	return s < CPS_NSTATES ? state_name[s] : "?";
}

const char *
ppp_auth_name(uint16_t proto)
{
	switch (proto) {
	case PPP_PROTO_PAP:
		return "pap";
	case PPP_PROTO_CHAP:
		return "chap";
	case 0:
		return "none";
	default:
		return "unknown";
	}
}

static void
ncp_input(struct ppp *p, int cp, struct rd *info, uint64_t now)
{
	/* 3.4, 3.5: NCP packets before the Network phase are dropped. */
	if (p->phase != PPP_NETWORK) {
		p->discarded++;
		return;
	}
	cp_input(&p->fsm[cp], info, now);
}

void
ppp_input(struct ppp *p, const uint8_t *buf, size_t len, uint64_t now)
{
	struct ppp_frame fr;
	uint8_t rej[PKT_MAX];
	const char *why;
	struct rd r;
	struct wr w;
	size_t n;

	if (!p->started) {
		p->discarded++;
		return;
	}
	rd_init(&r, buf, len);
	if (ppp_frame_parse(&r, &fr, &why) == -1) {
		perr(p, "%s", why);
		return;
	}
	/* 5: Length MUST NOT exceed the MRU; 6.1: we take 1500 always. */
	if (fr.info.left > rx_limit(p)) {
		perr(p, "%s frame of %zu octets, over our MRU",
		    ppp_proto_name(fr.proto), fr.info.left);
		return;
	}
	/* 6.6: LCP always carries the Address and Control fields. */
	if (fr.proto == PPP_PROTO_LCP && !fr.has_ac)
		perr(p, "LCP frame without FF 03");
	if (!ppp_proto_valid(fr.proto))
		goto unknown;
	switch (fr.proto) {
	case PPP_PROTO_LCP:
		cp_input(&p->fsm[CP_LCP], &fr.info, now);
		return;
	case PPP_PROTO_PAP:
		pap_input(p, &fr.info, now);
		return;
	case PPP_PROTO_CHAP:
		chap_input(p, &fr.info, now);
		return;
	case PPP_PROTO_IPCP:
		ncp_input(p, CP_IPCP, &fr.info, now);
		return;
	case PPP_PROTO_IPV6CP:
		if (!p->conf->ipv6)
			break;
		ncp_input(p, CP_IPV6CP, &fr.info, now);
		return;
	case PPP_PROTO_CCP:
		if (!p->conf->send_ccp)
			break;
		ncp_input(p, CP_CCP, &fr.info, now);
		return;
	case PPP_PROTO_IP:
		/* 3.6: dropped unless IPCP is Opened. */
		if (p->fsm[CP_IPCP].state != CPS_OPENED) {
			p->discarded++;
			return;
		}
		p->rx_ip++;
		p->conf->ip_input(p, fr.info.p, fr.info.left);
		return;
	case PPP_PROTO_IPV6:
		if (!p->conf->ipv6)
			break;
		if (p->fsm[CP_IPV6CP].state != CPS_OPENED) {
			p->discarded++;
			return;
		}
		p->rx_ipv6++;
		if (p->conf->ip6_input != NULL)
			p->conf->ip6_input(p, fr.info.p, fr.info.left);
		return;
	default:
		break;
	}
unknown:
	/* 5.7: a Protocol-Reject, only in the LCP Opened state. */
	if (p->fsm[CP_LCP].state != CPS_OPENED) {
		p->discarded++;
		return;
	}
	n = fr.info.left;
	if (n > tx_mtu(p) - CP_HDR_LEN - 2)
		n = tx_mtu(p) - CP_HDR_LEN - 2;
	wr_init(&w, rej, sizeof(rej));
	wr_u16(&w, fr.proto);
	wr_bytes(&w, fr.info.p, n);
	cp_send(p, PPP_PROTO_LCP, CP_PROTO_REJ, ++p->xid, rej, w.len);
}
