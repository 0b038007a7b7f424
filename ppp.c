/*
 * ppp.c - the LNS side of PPP over each L2TP session.
 *
 * State owned: `struct ppp` per session (private array indexed like the
 * session table): the LCP, IPCP and IPV6CP automatons (fsm.c), the
 * authentication exchange, the keepalive.  The session's shared fields
 * (phase, FSM states, address, MRU...) are kept up to date for the CLI.
 * Exports ppp_session_start/end, ppp_input, ppp_auth_done,
 * session_shutdown (l2tpns.h, auth.h).
 *
 * Implements RFC 1661 (phases 3, LCP 5-6), RFC 1334 (PAP), RFC 1994
 * (CHAP-MD5), RFC 2759 (MS-CHAPv2, the hashes in mschap.c), RFC 1332 (IPCP), RFC 1877 (DNS addresses), RFC 5072
 * (IPV6CP), on top of the automaton of RFC 1661 4 in fsm.c.  IP and
 * IPv6 frames go to dataplane.c; Router Advertisements and the
 * session's own IPv6 prefix, while IPV6CP is Opened, are ra.c's.
 *
 * Frames come from l2tp.c with or without address and control octets
 * (FF 03) and with 1- or 2-octet protocol fields; frames we send always
 * carry FF 03 and a 2-octet protocol (what the L2TP header prepends).
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "l2tpns.h"
#include "acctfile.h"
#include "acl.h"
#include "auth.h"
#include "cluster.h"
#include "cqm.h"
#include "evring.h"
#include "dataplane.h"
#include "event.h"
#include "fsm.h"
#include "intercept.h"
#include "l2tp.h"
#include "lacout.h"
#include "log.h"
#include "mlppp.h"
#include "haset.h"
#include "plugin.h"
#include "ra.h"
#include "rd.h"
#include "session.h"
#include "state.h"
#include "tbf.h"
#include "util.h"

#include "ppp_int.h"

struct log_rl err_rl = LOG_RL(10, "PPP errors");
static struct ppp *ppp;
static uint32_t ppp_max;

static void lcp_tlu(struct fsm *);
static void lcp_tld(struct fsm *);
static void lcp_tlf(struct fsm *);
static size_t lcp_build(struct fsm *, uint8_t *, size_t);
static int lcp_check(struct fsm *, const uint8_t *, size_t, uint8_t *,
    size_t, size_t *, int);
static int lcp_nak(struct fsm *, const uint8_t *, size_t);
static int lcp_rej(struct fsm *, const uint8_t *, size_t);
static int lcp_ext(struct fsm *, uint8_t, uint8_t, const uint8_t *, size_t);
static void cp_send(struct fsm *, const uint8_t *, size_t);
static int ack_matches(struct fsm *, const uint8_t *, size_t);
static void ipcp_tlu(struct fsm *);
static void ipcp_tld(struct fsm *);
static void ipcp_tlf(struct fsm *);
static size_t ipcp_build(struct fsm *, uint8_t *, size_t);
static int ipcp_check(struct fsm *, const uint8_t *, size_t, uint8_t *,
    size_t, size_t *, int);
static int ipcp_nak(struct fsm *, const uint8_t *, size_t);
static int ipcp_rej(struct fsm *, const uint8_t *, size_t);
static void ipv6cp_tlu(struct fsm *);
static void ipv6cp_tld(struct fsm *);
static size_t ipv6cp_build(struct fsm *, uint8_t *, size_t);
static int ipv6cp_check(struct fsm *, const uint8_t *, size_t, uint8_t *,
    size_t, size_t *, int);
static int ipv6cp_nak(struct fsm *, const uint8_t *, size_t);
static int ipv6cp_rej(struct fsm *, const uint8_t *, size_t);

static const struct fsm_proto lcp_proto = {
	.name = "LCP", .proto = PPP_LCP,
	.tlu = lcp_tlu, .tld = lcp_tld, .tlf = lcp_tlf,
	.build_req = lcp_build, .check_req = lcp_check,
	.recv_ack = ack_matches, .recv_nak = lcp_nak, .recv_rej = lcp_rej,
	.extcode = lcp_ext, .send = cp_send,
};

static void net_input(sid_t, uint16_t, struct rd);

const struct fsm_proto ipcp_proto = {
	.name = "IPCP", .proto = PPP_IPCP,
	.tlu = ipcp_tlu, .tld = ipcp_tld, .tlf = ipcp_tlf,
	.build_req = ipcp_build, .check_req = ipcp_check,
	.recv_ack = ack_matches, .recv_nak = ipcp_nak, .recv_rej = ipcp_rej,
	.send = cp_send,
};

const struct fsm_proto ipv6cp_proto = {
	.name = "IPV6CP", .proto = PPP_IPV6CP,
	.tlu = ipv6cp_tlu, .tld = ipv6cp_tld,
	.build_req = ipv6cp_build, .check_req = ipv6cp_check,
	.recv_ack = ack_matches, .recv_nak = ipv6cp_nak, .recv_rej = ipv6cp_rej,
	.send = cp_send,
};

static const char *const phase_names[] = {
	"dead", "establish", "authenticate", "network", "terminate"
};

const char *
ppp_phase_name(int p)
{
	return p >= 0 && p <= PHASE_TERMINATE ? phase_names[p] : "?";
}

struct ppp *
P(sid_t s)
{
	return s && s <= ppp_max ? &ppp[s] : NULL;
}

void
set_phase(sid_t s, int phase)
{
	struct session *sp = session_get(s);

	if (sp->phase != phase)
		LOG(LOG_CALLS_L, s, sp->tunnel, "PPP phase %s -> %s",
		    phase_names[sp->phase], phase_names[phase]);
	sp->phase = (uint8_t)phase;
	cluster_session_changed(s);	/* PPP's own field, not session.c's */
	state_session(s);		/* the state file (state.c) */
}

/* ---- output ---- */

/* Send `len` bytes of `proto` payload. */
void
ppp_send(sid_t s, uint16_t proto, const uint8_t *data, size_t len)
{
	uint8_t frame[L2TP_DATA_HEADROOM + 2 + FRAME_MAX];
	uint8_t *p = frame + L2TP_DATA_HEADROOM;
	struct wr w;

	if (len > FRAME_MAX)
		len = FRAME_MAX;
	wr_init(&w, p, 2 + FRAME_MAX);
	wr_u16(&w, proto);
	wr_bytes(&w, data, len);
	if (dp_send_frame(s, p, w.len) == 0)
		stats->ppp_tx_frames++;
}

static void
cp_send(struct fsm *f, const uint8_t *pkt, size_t len)
{
	ppp_send(f->sid, f->p->proto, pkt, len);
}

/*
 * A packet of the form LCP, PAP and CHAP share (RFC 1661 5, RFC 1334
 * 2.2, RFC 1994 4): Code, Identifier, Length, then `a` and `b` (either
 * may be empty), cut to what one frame holds.
 */
void
code_send(sid_t s, uint16_t proto, uint8_t code, uint8_t id,
    const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	uint8_t buf[FRAME_MAX];
	struct wr w;

	if (alen > sizeof(buf) - 4)
		alen = sizeof(buf) - 4;
	if (blen > sizeof(buf) - 4 - alen)
		blen = sizeof(buf) - 4 - alen;
	wr_init(&w, buf, sizeof(buf));
	wr_u8(&w, code);
	wr_u8(&w, id);
	wr_u16(&w, (uint16_t)(4 + alen + blen));
	wr_bytes(&w, a, alen);
	wr_bytes(&w, b, blen);
	if (!w.err)
		ppp_send(s, proto, buf, w.len);
}


/* A magic number as it goes on the wire (RFC 1661 6.4). */
static void
magic_bytes(uint32_t m, uint8_t out[4])
{
	struct wr w;

	wr_init(&w, out, 4);
	wr_u32(&w, m);
}


/* ---- teardown ---- */

/*
 * A multilink bundle's master whose own link goes while the bundle has
 * others, for a reason of that link (its call, the peer, an echo
 * timeout): the bundle stays (mlppp.c), its NCPs with it (RFC 1990 runs
 * them over the bundle).  An end the LNS decides for the session
 * (administrator, timeouts, RADIUS, shutdown) ends the bundle.
 */
static int
bundle_survives(sid_t s)
{
	const struct ppp *pp = P(s);

	return pp != NULL && !main_quit && mlppp_others(s) &&
	    (pp->term_cause == 0 || pp->term_cause == TERM_LOST_CARRIER ||
	    pp->term_cause == TERM_USER_REQUEST ||
	    pp->term_cause == TERM_LOST_SERVICE);
}

static void
kill_fire(struct timer *t, void *arg)
{
	sid_t s = (sid_t)(uintptr_t)arg;
	struct ppp *pp = P(s);

	(void)t;
	if (pp == NULL || !pp->in_use)
		return;
	l2tp_session_close(s, pp->cdn_result, 0, txt(pp->cdn_reason));
}

/*
 * The link is finished: clear the call.  Deferred to the next turn of
 * the loop, because we may be deep inside the automaton of this very
 * session (ppp_session_end wipes it).
 */
static void
link_finished(sid_t s, int result, const char *reason)
{
	struct ppp *pp = P(s);

	if (pp == NULL || !pp->in_use || timer_pending(&pp->kill_timer))
		return;
	if (!has_text(pp->cdn_reason)) {
		pp->cdn_result = result;
		keep_text(&pp->cdn_reason, CDN_REASON_MAX, "%s", reason);
	}
	/* A bundle's master that outlives its link stays in the network
	 * phase: the other links' frames go on through it. */
	if (!bundle_survives(s))
		set_phase(s, PHASE_DEAD);
	timer_set(&pp->kill_timer, 0);
}

void
session_shutdown(sid_t s, const char *reason)
{
	session_shutdown_cause(s, TERM_ADMIN_RESET, reason);
}

static void shutdown_session(sid_t, int cause, const char *reason, int now);

void
session_shutdown_cause(sid_t s, int cause, const char *reason)
{
	shutdown_session(s, cause, reason, 0);
}

void
session_kill_cause(sid_t s, int cause, const char *reason)
{
	shutdown_session(s, cause, reason, 1);
}

/*
 * End a session: with `now` 0, an LCP Terminate-Request first (its Ack
 * or timeout clears the call, RFC 1661 3.7); with `now` 1 the call is
 * cleared at once (CDN, no Terminate: the 2.x sessionctl "kill").
 */
static void
shutdown_session(sid_t s, int cause, const char *reason, int now)
{
	struct session *sp = session_get(s);
	struct ppp *pp = P(s);

	if (sp != NULL && sp->state != SESSION_FREE &&
	    (sp->relay_out || sp->client)) {
		/* Our half towards a far LNS (relay), or our own PPP client
		 * (outgoing L2TP, pppc.c): no LNS-side PPP here. */
		l2tp_session_close(s, CDN_ADMIN, 0, reason);
		return;
	}
	if (sp == NULL || sp->state == SESSION_FREE || pp == NULL ||
	    !pp->in_use)
		return;
	if (pp->term_cause == 0)
		pp->term_cause = (uint8_t)cause;
	evring_teardown(s, SEA_LNS, (uint16_t)pp->term_cause, reason);
	call_set_state(s, SESSION_CLOSING, reason);
	LOG(LOG_INFO_L, s, sp->tunnel, "shutting down session %s: %s",
	    sp->user[0] ? sp->user : "(no user)", reason);
	if (!has_text(pp->cdn_reason)) {
		pp->cdn_result = CDN_ADMIN;
		keep_text(&pp->cdn_reason, CDN_REASON_MAX, "%s", reason);
	}
	if (pp->relayed) {
		/* The PPP is the far LNS's: CDN here, the relay the rest. */
		l2tp_session_close(s, CDN_ADMIN, 0, reason);
		return;
	}
	/* A bundle's master losing its link (an echo timeout): the link
	 * alone goes, at once, with no Terminate on a dead line. */
	if (now || bundle_survives(s))
		link_finished(s, CDN_ADMIN, reason);
	else if (pp->lcp.state == ST_OPENED || pp->lcp.state == ST_REQ_SENT ||
	    pp->lcp.state == ST_ACK_RCVD || pp->lcp.state == ST_ACK_SENT) {
		/* Terminate-Request; tlf (Ack or timeout) clears the call. */
		set_phase(s, PHASE_TERMINATE);
		fsm_close(&pp->lcp, reason);
	} else if (pp->lcp.state != ST_CLOSING &&
	    pp->lcp.state != ST_STOPPING)
		link_finished(s, CDN_ADMIN, reason);
}

/* ---- keepalive, RFC 1661 5.8 ---- */

/*
 * An LCP Echo-Request (RFC 1661 5.8) into the data plane's batch: the
 * echoes of one turn leave together at its end.
 */
static void
echo_send(sid_t s, uint8_t id, const uint8_t magic[4])
{
	uint8_t f[2 + 8];
	struct wr w;

	wr_init(&w, f, sizeof(f));
	wr_u16(&w, PPP_LCP);
	wr_u8(&w, CP_ECHO_REQ);
	wr_u8(&w, id);
	wr_u16(&w, 8);
	wr_bytes(&w, magic, 4);
	if (!w.err && dp_queue_frame(s, f, w.len) == 0)
		stats->ppp_tx_frames++;
}

static void
echo_fire(struct timer *t, void *arg)
{
	sid_t s = (sid_t)(uintptr_t)arg;
	struct ppp *pp = P(s);
	struct session *sp = session_get(s);
	uint64_t ivl = (uint64_t)config->echo_timeout * 1000;
	uint64_t silent = now_ms - pp->last_rx_ms;
	uint8_t magic[4];

	if (pp->lcp.state != ST_OPENED)
		return;
	if (config->idle_echo_timeout > 0 &&
	    silent >= (uint64_t)config->idle_echo_timeout * 1000) {
		stats->ppp_echo_timeouts++;
		LOG(LOG_WARN_L, s, sp->tunnel, "no answer from the peer for "
		    "%llu s (%u LCP echoes unanswered): dropping session",
		    (unsigned long long)(silent / 1000), sp->echo_fails);
		pp->cdn_result = CDN_LOST_CARRIER;
		keep_text(&pp->cdn_reason, CDN_REASON_MAX,
		    "no answer to LCP Echo-Request");
		evring_teardown(s, SEA_TIMEOUT, TERM_LOST_CARRIER,
		    "no answer to LCP Echo-Request");
		session_shutdown_cause(s, TERM_LOST_CARRIER,
		    "no answer to LCP Echo-Request");
		return;
	}
	/* ppp_keepalive: only probe a link that has gone quiet. */
	if (!config->ppp_keepalive || silent + 50 >= ivl) {
		magic_bytes(sp->magic, magic);
		if (silent + 50 >= ivl)
			sp->echo_fails++;
		/* Timed before the send: sendto() on loopback can let the
		 * peer run before we do. */
		cqm_echo_sent(s, ++pp->echo_id);
		echo_send(s, pp->echo_id, magic);
	}
	timer_set(t, ivl);
}

/* ---- option helpers ---- */

/*
 * Walk the options of a Configure packet: each has Type, Length >= 2,
 * and must fit.  Returns -1 on a malformed list (RFC 1661 6).
 */
static int
opt_next(struct rd *r, uint8_t *type, struct rd *val)
{
	uint8_t len;

	if (rd_u8(r, type) < 0 || rd_u8(r, &len) < 0 || len < 2 ||
	    rd_sub(r, len - 2u, val) < 0)
		return -1;
	return 0;
}

/* The first 2 or 4 octets of an option's value, through the checked
 * reader; `val` itself stays unread for v_nak() and v_reject().  0 when
 * shorter (the option tables check lengths first). */
static uint16_t
opt_u16(const struct rd *val)
{
	struct rd c = *val;
	uint16_t v = 0;

	rd_u16(&c, &v);
	return v;
}

static uint32_t
opt_u32(const struct rd *val)
{
	struct rd c = *val;
	uint32_t v = 0;

	rd_u32(&c, &v);
	return v;
}

static int
opts_wellformed(const uint8_t *opt, size_t len)
{
	struct rd r, v;
	uint8_t t;

	rd_init(&r, opt, len);
	while (r.left)
		if (opt_next(&r, &t, &v) < 0)
			return 0;
	return 1;
}

static void
opt_put(struct wr *w, uint8_t type, const void *val, size_t n)
{
	wr_u8(w, type);
	wr_u8(w, (uint8_t)(n + 2));
	wr_bytes(w, val, n);
}

/* Requests are checked into three lists; the strongest verdict wins. */
struct verdict {
	struct wr	 nak, rej;
	uint8_t		 nakbuf[256], rejbuf[1500];
	int		 may_nak;
};

static void
v_init(struct verdict *v, int may_nak)
{
	wr_init(&v->nak, v->nakbuf, sizeof(v->nakbuf));
	wr_init(&v->rej, v->rejbuf, sizeof(v->rejbuf));
	v->may_nak = may_nak;
}

static void
v_reject(struct verdict *v, uint8_t type, const struct rd *val)
{
	opt_put(&v->rej, type, val->p, val->left);
}

/* Nak with `want`; past Max-Failure the option is rejected instead. */
static void
v_nak(struct verdict *v, uint8_t type, const struct rd *val,
    const void *want, size_t n)
{
	if (v->may_nak)
		opt_put(&v->nak, type, want, n);
	else
		v_reject(v, type, val);
}

static int
v_result(struct verdict *v, uint8_t *out, size_t cap, size_t *outlen)
{
	struct wr *w = v->rej.len ? &v->rej : v->nak.len ? &v->nak : NULL;

	if (w == NULL)
		return CI_ACK;
	*outlen = w->len < cap ? w->len : cap;
	memcpy(out, w->p, *outlen);
	return w == &v->rej ? CI_REJ : CI_NAK;
}

/* An Ack must repeat our request exactly (RFC 1661 5.2). */
static int
ack_matches(struct fsm *f, const uint8_t *opt, size_t len)
{
	uint8_t mine[256];
	size_t n = f->p->build_req(f, mine, sizeof(mine));

	if (n != len || memcmp(mine, opt, n) != 0) {
		LOG(LOG_WARN_L, f->sid, 0, "%s: Configure-Ack does not match "
		    "our request (discarded)", f->p->name);
		return -1;
	}
	return 0;
}

/* ---- LCP, RFC 1661 6 ---- */

enum { LCP_MRU = 1, LCP_ACCM = 2, LCP_AUTH = 3, LCP_QUALITY = 4,
	LCP_MAGIC = 5, LCP_PFC = 7, LCP_ACFC = 8 };

static const struct { const char *name; uint8_t min, max; } lcp_opts[] = {
	[LCP_MRU] = { "MRU", 2, 2 },
	[LCP_ACCM] = { "ACCM", 4, 4 },
	[LCP_AUTH] = { "Auth-Protocol", 2, 253 },
	[LCP_QUALITY] = { "Quality-Protocol", 2, 253 },
	[LCP_MAGIC] = { "Magic-Number", 4, 4 },
	[LCP_PFC] = { "PFC", 0, 0 },
	[LCP_ACFC] = { "ACFC", 0, 0 },
};

/*
 * What only authentication needs, gone once it is over: the request
 * kept for the proxy authentication AVPs (wiped: it holds a password)
 * and the LCP requests kept for proxy LCP.
 */
void
negotiation_free(struct ppp *pp)
{
	if (pp->rq != NULL) {
		explicit_bzero(pp->rq, sizeof(*pp->rq));
		free(pp->rq);
		pp->rq = NULL;
	}
	free(pp->lx);
	pp->lx = NULL;
}

/*
 * The texts a session keeps only once they are set (our answer to its
 * authentication, repeated if the peer asks again; the reason its call
 * is cleared with) and the reasons of its automata: allocated at their
 * length, rather than room for the longest in every session.
 */
void
keep_text(char **dst, size_t cap, const char *fmt, ...)
{
	char b[AUTH_MSG_MAX > CDN_REASON_MAX ? AUTH_MSG_MAX : CDN_REASON_MAX];
	va_list ap;

	if (cap > sizeof(b))
		cap = sizeof(b);
	va_start(ap, fmt);
	vsnprintf(b, cap, fmt, ap);	/* first: fmt may name *dst */
	va_end(ap);
	free(*dst);
	*dst = strdup(b);		/* NULL reads as "" */
}

void
texts_free(struct ppp *pp)
{
	free(pp->auth_msg);
	pp->auth_msg = NULL;
	free(pp->cdn_reason);
	pp->cdn_reason = NULL;
	fsm_free(&pp->lcp);
	fsm_free(&pp->ipcp);
	fsm_free(&pp->ipv6cp);
}

/*
 * The copies of pp's Configure-Requests, made on the first one; NULL
 * once authentication is over or when nothing can be relayed.
 */
static struct lcpx *
lcpx_of(struct ppp *pp)
{
	if (pp->lx == NULL && !config->disable_lac_func &&
	    pp->auth_state < AUTH_DONE)
		pp->lx = calloc(1, sizeof(*pp->lx));
	return pp->lx;
}

/* A copy of a Configure-Request's options; 0xff when too long. */
static void
lcpx_keep(uint8_t *dst, uint8_t *dlen, const uint8_t *opt, size_t len)
{
	if (len > LCPX_MAX) {
		*dlen = 0xff;
		return;
	}
	memcpy(dst, opt, len);
	*dlen = (uint8_t)len;
}

static size_t
lcp_build(struct fsm *f, uint8_t *out, size_t cap)
{
	struct ppp *pp = P(f->sid);
	struct session *sp = session_get(f->sid);
	uint16_t ap = auth_proto(pp);
	struct wr w;
	uint8_t v[4];

	wr_init(&w, out, cap);
	if (pp->send_mru) {
		v[0] = (uint8_t)(pp->want_mru >> 8);
		v[1] = (uint8_t)pp->want_mru;
		opt_put(&w, LCP_MRU, v, 2);
	}
	if (ap == PPP_CHAP || ap == AUTH_MSCHAPV2) {
		/* MD5, RFC 1994 3; MS-CHAPv2, RFC 2759 2 */
		v[0] = 0xc2; v[1] = 0x23;
		v[2] = ap == PPP_CHAP ? CHAP_ALG_MD5 : CHAP_ALG_MSCHAPV2;
		opt_put(&w, LCP_AUTH, v, 3);
	} else if (ap == PPP_PAP) {
		v[0] = 0xc0; v[1] = 0x23;
		opt_put(&w, LCP_AUTH, v, 2);
	}
	if (pp->send_magic) {
		v[0] = (uint8_t)(sp->magic >> 24);
		v[1] = (uint8_t)(sp->magic >> 16);
		v[2] = (uint8_t)(sp->magic >> 8);
		v[3] = (uint8_t)sp->magic;
		opt_put(&w, LCP_MAGIC, v, 4);
	}
	mlppp_lcp_build(f->sid, &w);	/* RFC 1990 5.1, when enabled */
	if (w.err)
		return 0;
	if (lcpx_of(pp) != NULL)
		lcpx_keep(pp->lx->sent, &pp->lx->sent_len, out, w.len);
	return w.len;
}

static uint32_t
new_magic(void)
{
	uint32_t m = 0;

	while (m == 0)
		random_bytes(&m, sizeof(m));
	return m;
}

static int
lcp_check(struct fsm *f, const uint8_t *opt, size_t len, uint8_t *out,
    size_t cap, size_t *outlen, int may_nak)
{
	struct session *sp = session_get(f->sid);
	struct ppp *pp = P(f->sid);
	struct verdict v;
	struct rd r, val;
	uint8_t t;
	uint16_t mru = 1500;

	if (!opts_wellformed(opt, len))
		return -1;
	/* RFC 2661 4.4.5: the first and the last request, for relaying. */
	if (lcpx_of(pp) != NULL) {
		if (pp->lx->init_len == 0)
			lcpx_keep(pp->lx->init, &pp->lx->init_len, opt, len);
		lcpx_keep(pp->lx->rcvd, &pp->lx->rcvd_len, opt, len);
	}
	v_init(&v, may_nak);
	mlppp_lcp_peer_reset(f->sid);
	rd_init(&r, opt, len);
	while (r.left && opt_next(&r, &t, &val) == 0) {
		if (t >= LCP_MRRU && t <= LCP_EPDISC && config->multilink) {
			uint8_t want[4];
			size_t wn = 0;
			int ml_v = mlppp_lcp_check(f->sid, t, &val, want, &wn);

			if (ml_v < 0)
				v_reject(&v, t, &val);
			else if (ml_v > 0)
				v_nak(&v, t, &val, want, wn);
			continue;
		}
		if (t >= sizeof(lcp_opts) / sizeof(lcp_opts[0]) ||
		    lcp_opts[t].name == NULL) {
			LOG(LOG_CALLS_L, f->sid, 0, "LCP: rejecting option %u",
			    t);
			v_reject(&v, t, &val);
			continue;
		}
		if (val.left < lcp_opts[t].min || val.left > lcp_opts[t].max) {
			v_reject(&v, t, &val);
			continue;
		}
		switch (t) {
		case LCP_MRU: {
			uint16_t m = opt_u16(&val);

			if (m < MIN_MRU) {
				uint8_t want[2] = { MIN_MRU >> 8, MIN_MRU & 0xff };

				v_nak(&v, t, &val, want, 2);
			} else
				mru = m;
			break;
		}
		case LCP_ACCM:
		case LCP_PFC:
		case LCP_ACFC:
			/*
			 * No async framing on L2TP (RFC 2661 2): ACCM means
			 * nothing; compressed fields are accepted on input
			 * and never sent, so acknowledging costs nothing.
			 */
			break;
		case LCP_AUTH:
			/* The LNS does not authenticate itself to users. */
			v_reject(&v, t, &val);
			break;
		case LCP_MAGIC: {
			uint32_t m = opt_u32(&val);

			if (pp->send_magic && m == sp->magic) {
				/* 6.4: maybe looped back; Nak another value. */
				uint32_t n = new_magic();
				uint8_t want[4] = { (uint8_t)(n >> 24),
				    (uint8_t)(n >> 16), (uint8_t)(n >> 8),
				    (uint8_t)n };

				if (++pp->loops > f->max_failure) {
					LOG(LOG_WARN_L, f->sid, 0, "LCP: link "
					    "appears looped back");
					return -1;
				}
				v_nak(&v, t, &val, want, 4);
			} else if (m == 0) {
				uint32_t n = new_magic();
				uint8_t want[4] = { (uint8_t)(n >> 24),
				    (uint8_t)(n >> 16), (uint8_t)(n >> 8),
				    (uint8_t)n };

				v_nak(&v, t, &val, want, 4);
			}
			break;
		}
		default:
			/* Quality-Protocol: no LQR on L2TP. */
			v_reject(&v, t, &val);
			break;
		}
	}
	if (v.rej.len == 0 && v.nak.len == 0)
		sp->mru = mru;
	return v_result(&v, out, cap, outlen);
}

static int
lcp_nak(struct fsm *f, const uint8_t *opt, size_t len)
{
	struct ppp *pp = P(f->sid);
	struct session *sp = session_get(f->sid);
	struct rd r, val;
	uint8_t t;

	if (!opts_wellformed(opt, len))
		return -1;
	rd_init(&r, opt, len);
	while (r.left && opt_next(&r, &t, &val) == 0) {
		switch (t) {
		case LCP_MRU:
			if (val.left == 2) {
				uint16_t m = opt_u16(&val);

				if (m >= MIN_MRU && m <= pp->want_mru)
					pp->want_mru = m;
				else
					pp->send_mru = 0;	/* the default */
			}
			break;
		case LCP_AUTH: {
			uint16_t sug = 0;
			uint8_t i;

			if (val.left >= 2)
				sug = opt_u16(&val);
			if (sug == PPP_CHAP && val.left == 3) {
				/* the algorithm octet tells MD5 from 0x81 */
				struct rd c = val;
				uint8_t alg = 0;

				(void)rd_skip(&c, 2);
				(void)rd_u8(&c, &alg);
				sug = alg == CHAP_ALG_MSCHAPV2 ? AUTH_MSCHAPV2 :
				    alg == CHAP_ALG_MD5 ? PPP_CHAP : 0;
			}
			/* The peer suggests one: use it if we allow it. */
			for (i = 0; i < pp->nauth; i++)
				if (pp->auth_order[i] == sug)
					break;
			if (i < pp->nauth && i != pp->auth_idx)
				pp->auth_idx = i;
			else
				pp->auth_idx++;
			if (auth_proto(pp) == 0) {
				LOG(LOG_WARN_L, f->sid, sp->tunnel, "LCP: the "
				    "peer refuses every authentication "
				    "protocol we allow (%s)",
				    config->radius_authtypes);
				pp->cdn_result = CDN_ERROR;
				keep_text(&pp->cdn_reason, CDN_REASON_MAX,
				    "no acceptable authentication protocol");
				session_shutdown(f->sid, txt(pp->cdn_reason));
				return -1;
			}
			LOG(LOG_INFO_L, f->sid, sp->tunnel, "LCP: peer naked "
			    "our authentication protocol; trying %s",
			    auth_name(auth_proto(pp)));
			break;
		}
		case LCP_MAGIC:
			sp->magic = new_magic();	/* 6.4 */
			break;
		case LCP_MRRU:
		case LCP_EPDISC:
			mlppp_lcp_nak(f->sid, t, &val);
			break;
		default:
			break;	/* options we did not ask for: ignored */
		}
	}
	return 0;
}

static int
lcp_rej(struct fsm *f, const uint8_t *opt, size_t len)
{
	struct ppp *pp = P(f->sid);
	struct rd r, val;
	uint8_t t;

	if (!opts_wellformed(opt, len))
		return -1;
	rd_init(&r, opt, len);
	while (r.left && opt_next(&r, &t, &val) == 0) {
		if (t == LCP_MRU)
			pp->send_mru = 0;
		else if (t == LCP_MAGIC)
			pp->send_magic = 0;
		else if (t == LCP_MRRU || t == LCP_EPDISC)
			mlppp_lcp_rej(f->sid, t);
		else if (t == LCP_AUTH) {
			LOG(LOG_WARN_L, f->sid, 0, "LCP: the peer rejects "
			    "authentication");
			pp->cdn_result = CDN_ERROR;
			keep_text(&pp->cdn_reason, CDN_REASON_MAX,
			    "peer refuses to authenticate");
			session_shutdown(f->sid, txt(pp->cdn_reason));
			return -1;
		}
	}
	return 0;
}

static void
lcp_tlu(struct fsm *f)
{
	struct ppp *pp = P(f->sid);
	struct session *sp = session_get(f->sid);

	stats->ppp_lcp_up++;
	LOG(LOG_INFO_L, f->sid, sp->tunnel, "LCP up: peer MRU %u, our MRU %u",
	    sp->mru, pp->send_mru ? pp->want_mru : 1500);
	pp->last_rx_ms = now_ms;
	timer_set(&pp->echo_timer, (uint64_t)config->echo_timeout * 1000);
	if (pp->auth_state == AUTH_DONE)
		network_begin(f->sid);	/* LCP renegotiated: NCPs again */
	else
		auth_begin(f->sid);
}

int
ppp_link_detach(sid_t s)
{
	struct ppp *pp = P(s);

	if (pp == NULL || !pp->in_use || pp->ipcp.state != ST_OPENED ||
	    !bundle_survives(s))
		return 0;
	/* The link's LCP ends here (lcp_tld leaves the NCPs up). */
	timer_cancel(&pp->echo_timer);
	timer_cancel(&pp->kill_timer);
	timer_cancel(&pp->auth_timer);
	fsm_stop(&pp->lcp);
	if (pp->lcp.state >= ST_CLOSING)
		fsm_down(&pp->lcp);
	if (mlppp_detach(s) == 0)
		return 0;
	pp->term_cause = 0;
	pp->cdn_result = 0;
	free(pp->cdn_reason);
	pp->cdn_reason = NULL;
	set_phase(s, PHASE_NETWORK);
	return 1;
}

static void
lcp_tld(struct fsm *f)
{
	struct ppp *pp = P(f->sid);

	timer_cancel(&pp->echo_timer);
	timer_cancel(&pp->auth_timer);
	/* 3.4: the NCPs go down with the link, but a bundle's with the
	 * bundle (RFC 1990 3). */
	if (bundle_survives(f->sid))
		return;
	if (pp->ipcp.p && pp->ipcp.state != ST_INITIAL)
		fsm_down(&pp->ipcp);
	if (pp->ipv6cp.p && pp->ipv6cp.state != ST_INITIAL)
		fsm_down(&pp->ipv6cp);
	if (session_get(f->sid)->phase != PHASE_TERMINATE)
		set_phase(f->sid, PHASE_ESTABLISH);
}

static void
lcp_tlf(struct fsm *f)
{
	struct ppp *pp = P(f->sid);

	link_finished(f->sid, CDN_ERROR, *fsm_reason(f) ? fsm_reason(f) :
	    "LCP finished");
	(void)pp;
}

/* Codes 8-13 of LCP (RFC 1661 5.7-5.9, RFC 1570). */
static int
lcp_ext(struct fsm *f, uint8_t code, uint8_t id, const uint8_t *data,
    size_t len)
{
	struct ppp *pp = P(f->sid);
	struct session *sp = session_get(f->sid);
	struct rd r;
	uint32_t magic = 0;
	uint16_t proto = 0;

	rd_init(&r, data, len);
	switch (code) {
	case CP_PROTO_REJ:
		stats->ppp_proto_rejects_rx++;
		if (rd_u16(&r, &proto) < 0)
			return 0;
		LOG(LOG_INFO_L, f->sid, sp->tunnel, "LCP: peer rejects "
		    "protocol %#06x", proto);
		if (proto == PPP_LCP)
			fsm_proto_rejected(&pp->lcp);	/* catastrophic */
		else if (proto == PPP_IPCP && pp->ipcp.p)
			fsm_proto_rejected(&pp->ipcp);
		else if (proto == PPP_IPV6CP && pp->ipv6cp.p)
			fsm_proto_rejected(&pp->ipv6cp);
		return 0;
	case CP_ECHO_REQ:
		if (f->state != ST_OPENED)
			return 0;	/* 5.8: only in Opened */
		if (rd_u32(&r, &magic) == 0 && pp->send_magic &&
		    magic == sp->magic && magic != 0)
			LOG(LOG_WARN_L, f->sid, sp->tunnel, "LCP: Echo-Request "
			    "with our own magic number: looped back?");
		/* The data back, with our magic number in front. */
		if (len >= 4) {
			uint8_t m[4];

			magic_bytes(pp->send_magic ? sp->magic : 0, m);
			code_send(f->sid, PPP_LCP, CP_ECHO_REP, id, m, 4,
			    data + 4, len - 4);
		} else
			code_send(f->sid, PPP_LCP, CP_ECHO_REP, id, data, len,
			    NULL, 0);
		return 0;
	case CP_ECHO_REP:
		sp->echo_fails = 0;
		cqm_echo_reply(f->sid, id);
		return 0;
	case CP_DISCARD_REQ:
	case CP_IDENTIFICATION:
	case CP_TIME_REMAINING:
		LOG(LOG_CALLS_L, f->sid, sp->tunnel, "LCP: code %u "
		    "(ignored)", code);
		return 0;
	default:
		return -1;
	}
}

/* ---- IPCP, RFC 1332 and 1877 ---- */

enum { IPCP_ADDRS = 1, IPCP_COMP = 2, IPCP_ADDR = 3, IPCP_DNS1 = 129,
	IPCP_NBNS1 = 130, IPCP_DNS2 = 131, IPCP_NBNS2 = 132 };

static size_t
ipcp_build(struct fsm *f, uint8_t *out, size_t cap)
{
	struct ppp *pp = P(f->sid);
	struct wr w;

	wr_init(&w, out, cap);
	if (pp->send_ipaddr)
		opt_put(&w, IPCP_ADDR, &pp->our_ip, 4);
	return w.err ? 0 : w.len;
}

static void
check_addr(struct verdict *v, uint8_t t, const struct rd *val, in_addr_t want)
{
	in_addr_t got;

	if (want == 0) {
		/* 1877: a server we do not have is not offered. */
		v_reject(v, t, val);
		return;
	}
	memcpy(&got, val->p, 4);
	if (got != want)
		v_nak(v, t, val, &want, 4);
}

static int
ipcp_check(struct fsm *f, const uint8_t *opt, size_t len, uint8_t *out,
    size_t cap, size_t *outlen, int may_nak)
{
	struct session *sp = session_get(f->sid);
	struct verdict v;
	struct rd r, val;
	uint8_t t;

	if (!opts_wellformed(opt, len))
		return -1;
	v_init(&v, may_nak);
	rd_init(&r, opt, len);
	while (r.left && opt_next(&r, &t, &val) == 0) {
		switch (t) {
		case IPCP_ADDR:
			if (val.left != 4)
				v_reject(&v, t, &val);
			else
				check_addr(&v, t, &val, sp->ip);
			break;
		case IPCP_DNS1:
		case IPCP_DNS2:
			if (val.left != 4)
				v_reject(&v, t, &val);
			else
				check_addr(&v, t, &val, t == IPCP_DNS1 ?
				    sp->dns1 : sp->dns2);
			break;
		default:
			/* VJ compression, NBNS, the old IP-Addresses. */
			LOG(LOG_CALLS_L, f->sid, 0, "IPCP: rejecting option %u",
			    t);
			v_reject(&v, t, &val);
			break;
		}
	}
	return v_result(&v, out, cap, outlen);
}

static int
ipcp_nak(struct fsm *f, const uint8_t *opt, size_t len)
{
	/*
	 * Our address is ours: a Nak of it changes nothing, we ask again
	 * (RFC 1332 3.3: the option gives the sender's own address).
	 */
	(void)f;
	return opts_wellformed(opt, len) ? 0 : -1;
}

static int
ipcp_rej(struct fsm *f, const uint8_t *opt, size_t len)
{
	struct ppp *pp = P(f->sid);
	struct rd r, val;
	uint8_t t;

	if (!opts_wellformed(opt, len))
		return -1;
	rd_init(&r, opt, len);
	while (r.left && opt_next(&r, &t, &val) == 0)
		if (t == IPCP_ADDR)
			pp->send_ipaddr = 0;
	return 0;
}

static void
ipcp_tlu(struct fsm *f)
{
	struct session *sp = session_get(f->sid);
	char a[INET_ADDRSTRLEN], d1[INET_ADDRSTRLEN], d2[INET_ADDRSTRLEN];

	/* An HA set's member shares the anchor's address and route. */
	if (!haset_passive(f->sid) && session_route_add(f->sid, sp->ip, 32) < 0)
		LOG(LOG_ERROR_L, f->sid, sp->tunnel, "cannot index address "
		    "of session");
	/* An address outside the pool's blocks needs its own route. */
	if (!haset_passive(f->sid) && !tun_routed(sp->ip) &&
	    tun_route(1, sp->ip, 32) < 0)
		LOG(LOG_ERROR_L, f->sid, sp->tunnel, "cannot route the "
		    "session's address: %s", strerror(errno));
	stats->ppp_ipcp_up++;
	{
		char ea[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &sp->ip, ea, sizeof(ea));
		evring_add(f->sid, SEV_ADDRESS, SEA_LNS, 0, "%s", ea);
		evring_add(f->sid, SEV_SESSION_UP, SEA_NONE, 0, "IPCP up");
	}
	if (sp->icrq_ms) {	/* the first IPCP up: set-up latency */
		lat_observe_us(&stats->setup_latency,
		    (now_ms - sp->icrq_ms) * 1000);
		sp->icrq_ms = 0;
	}
	session_up(f->sid);	/* the first time: accounting, plugins */
	inet_ntop(AF_INET, &sp->ip, a, sizeof(a));
	inet_ntop(AF_INET, &sp->dns1, d1, sizeof(d1));
	inet_ntop(AF_INET, &sp->dns2, d2, sizeof(d2));
	LOG(LOG_INFO_L, f->sid, sp->tunnel, "IPCP up: \"%s\" has %s (DNS %s "
	    "%s)", sp->user, a, d1, d2);
	sp->last_packet = time_now;
}

static void
ipcp_tld(struct fsm *f)
{
	struct session *sp = session_get(f->sid);

	/* An HA set's anchor hands its address over first. */
	haset_leave(f->sid);
	if (haset_passive(f->sid))
		goto down;
	session_route_del(f->sid, sp->ip, 32);
	if (!tun_routed(sp->ip))
		tun_route(0, sp->ip, 32);
down:
	LOG(LOG_INFO_L, f->sid, sp->tunnel, "IPCP down");
}

static void
ipcp_tlf(struct fsm *f)
{
	struct session *sp = session_get(f->sid);

	/* An IPv4 session without IPCP is of no use: end it. */
	if (sp->phase == PHASE_NETWORK)
		session_shutdown(f->sid, *fsm_reason(f) ? fsm_reason(f) :
		    "IPCP failed");
}

/* ---- IPV6CP, RFC 5072 ---- */

enum { IPV6CP_IFID = 1, IPV6CP_COMP = 2 };

/*
 * The manual's rule: a subscriber's address is the first 64 bits of
 * ipv6_prefix then its IPv4 address and four zero octets; that last
 * half is the identifier we want the peer to use.
 */
static void
peer_ifid(const struct session *sp, uint8_t id[8])
{
	memset(id, 0, 8);
	memcpy(id, &sp->ip, 4);
}

/*
 * The session has a routed /64 of its own, which the RA advertises
 * instead of ipv6_prefix (ra.c): its addresses need no identifier
 * derived from the IPv4 address.
 */
static int
own_slaac_prefix(const struct session *sp)
{
	return sp->ipv6_prefix_len == 64;
}

/*
 * An identifier to suggest (RFC 5072 4.1): random, not zero, not ours,
 * with the universal/local bit clear since it is not a global token
 * (RFC 4291 2.5.1); the same one on each Nak of a negotiation.
 */
static void
suggest_ifid(sid_t s, uint8_t out[8])
{
	struct ppp *pp = P(s);
	int i;

	for (i = 0; i < 4 && (memcmp(pp->sugg_ifid, "\0\0\0\0\0\0\0\0",
	    8) == 0 || memcmp(pp->sugg_ifid, pp->our_ifid, 8) == 0); i++) {
		random_bytes(pp->sugg_ifid, 8);
		pp->sugg_ifid[0] &= (uint8_t)~0x02;
	}
	if (memcmp(pp->sugg_ifid, "\0\0\0\0\0\0\0\0", 8) == 0)
		pp->sugg_ifid[7] = 2;	/* random(3) never gave one */
	memcpy(out, pp->sugg_ifid, 8);
}

static size_t
ipv6cp_build(struct fsm *f, uint8_t *out, size_t cap)
{
	struct ppp *pp = P(f->sid);
	struct wr w;

	wr_init(&w, out, cap);
	opt_put(&w, IPV6CP_IFID, pp->our_ifid, 8);
	return w.err ? 0 : w.len;
}

static int
ipv6cp_check(struct fsm *f, const uint8_t *opt, size_t len, uint8_t *out,
    size_t cap, size_t *outlen, int may_nak)
{
	struct session *sp = session_get(f->sid);
	struct verdict v;
	struct rd r, val;
	uint8_t t, want[8];

	if (!opts_wellformed(opt, len))
		return -1;
	v_init(&v, may_nak);
	rd_init(&r, opt, len);
	while (r.left && opt_next(&r, &t, &val) == 0) {
		if (t == IPV6CP_IFID && val.left == 8 && own_slaac_prefix(sp)) {
			/*
			 * RFC 5072 4.1: the session's own /64 is what the RA
			 * gives it for SLAAC, reached through the prefix
			 * index, so any identifier of the peer's will do
			 * unless it is zero or ours; then we suggest one.
			 */
			if (memcmp(val.p, "\0\0\0\0\0\0\0\0", 8) == 0 ||
			    memcmp(val.p, P(f->sid)->our_ifid, 8) == 0) {
				suggest_ifid(f->sid, want);
				v_nak(&v, t, &val, want, 8);
			} else
				memcpy(sp->ipv6_ifid, val.p, 8);
		} else if (t == IPV6CP_IFID && val.left == 8) {
			peer_ifid(sp, want);
			if (memcmp(val.p, want, 8) != 0)
				v_nak(&v, t, &val, want, 8);
			else
				memcpy(sp->ipv6_ifid, want, 8);
		} else
			v_reject(&v, t, &val);
	}
	return v_result(&v, out, cap, outlen);
}

static int
ipv6cp_nak(struct fsm *f, const uint8_t *opt, size_t len)
{
	struct ppp *pp = P(f->sid);
	struct session *sp = session_get(f->sid);
	struct rd r, val;
	uint8_t t, theirs[8];

	if (!opts_wellformed(opt, len))
		return -1;
	if (own_slaac_prefix(sp))
		memcpy(theirs, sp->ipv6_ifid, 8);
	else
		peer_ifid(sp, theirs);
	rd_init(&r, opt, len);
	while (r.left && opt_next(&r, &t, &val) == 0)
		/* 5072 4.1: take a suggestion unless it is the peer's own. */
		if (t == IPV6CP_IFID && val.left == 8 &&
		    memcmp(val.p, theirs, 8) != 0 &&
		    memcmp(val.p, "\0\0\0\0\0\0\0\0", 8) != 0)
			memcpy(pp->our_ifid, val.p, 8);
	return 0;
}

static int
ipv6cp_rej(struct fsm *f, const uint8_t *opt, size_t len)
{
	(void)f;
	return opts_wellformed(opt, len) ? 0 : -1;
}

/* ---- IPv6 on the link: ra.c ---- */

static void
ipv6cp_tlu(struct fsm *f)
{
	struct ppp *pp = P(f->sid);
	struct session *sp = session_get(f->sid);

	sp->ipv6 = 1;
	stats->ppp_ipv6cp_up++;
	LOG(LOG_INFO_L, f->sid, sp->tunnel, "IPV6CP up: identifier "
	    "%02x%02x:%02x%02x:%02x%02x:%02x%02x", sp->ipv6_ifid[0],
	    sp->ipv6_ifid[1], sp->ipv6_ifid[2], sp->ipv6_ifid[3],
	    sp->ipv6_ifid[4], sp->ipv6_ifid[5], sp->ipv6_ifid[6],
	    sp->ipv6_ifid[7]);
	ra_up(f->sid, pp->our_ifid);
}

static void
ipv6cp_tld(struct fsm *f)
{
	session_get(f->sid)->ipv6 = 0;
	ra_down(f->sid, 0);
}

/* ---- input ---- */

/*
 * Protocol-Reject, RFC 1661 5.7: only while LCP is Opened.  The
 * Rejected-Protocol field is always two octets, whether the frame's
 * protocol field was compressed to one (6.5) or not, then as much of the
 * frame's Information as fits the peer's MRU.
 */
static void
proto_reject(sid_t s, uint16_t proto, const uint8_t *info, size_t len)
{
	struct ppp *pp = P(s);
	uint8_t rp[2] = { (uint8_t)(proto >> 8), (uint8_t)proto };
	size_t mru = session_get(s)->mru, n = len;

	if (pp->lcp.state != ST_OPENED) {
		stats->ppp_discarded++;
		return;
	}
	/* Code, Identifier, Length and the protocol: 6 octets. */
	if (mru < 6)
		n = 0;
	else if (n > mru - 6)
		n = mru - 6;
	stats->ppp_proto_rejects_tx++;
	code_send(s, PPP_LCP, CP_PROTO_REJ, ++pp->lcp.term_id, rp, 2, info, n);
}

uint16_t
ppp_link_mtu(sid_t s)
{
	struct ppp *pp = P(s);
	uint16_t ours = pp->send_mru ? pp->want_mru : 1500;
	uint16_t theirs = session_get(s)->mru;

	return ours < theirs ? ours : theirs;
}

/*
 * Session-Timeout and Idle-Timeout (RFC 2865 5.27, 5.28): one timer per
 * session, due at the nearer of the two limits; an idle check that
 * finds recent traffic re-arms for the new deadline.
 */
static void
limit_fire(struct timer *t, void *arg)
{
	sid_t s = (sid_t)(uintptr_t)arg;
	struct session *sp = session_get(s);
	struct ppp *pp = P(s);

	(void)t;
	if (pp == NULL || !pp->in_use)
		return;
	if (sp->session_timeout &&
	    time_now >= sp->auth_time + (time_t)sp->session_timeout) {
		LOG(LOG_INFO_L, s, sp->tunnel, "Session-Timeout of %u s "
		    "reached", sp->session_timeout);
		evring_teardown(s, SEA_TIMEOUT, TERM_SESSION_TIMEOUT,
		    "Session-Timeout reached");
		session_shutdown_cause(s, TERM_SESSION_TIMEOUT,
		    "session timeout");
		return;
	}
	if (sp->idle_timeout &&
	    time_now >= sp->last_packet + (time_t)sp->idle_timeout) {
		LOG(LOG_INFO_L, s, sp->tunnel, "idle for %u s (Idle-Timeout)",
		    sp->idle_timeout);
		evring_teardown(s, SEA_TIMEOUT, TERM_IDLE_TIMEOUT,
		    "Idle-Timeout reached");
		session_shutdown_cause(s, TERM_IDLE_TIMEOUT, "idle timeout");
		return;
	}
	ppp_limits_changed(s);
}

void
ppp_limits_changed(sid_t s)
{
	struct session *sp = session_get(s);
	struct ppp *pp = P(s);
	time_t due = 0;

	if (pp == NULL || !pp->in_use || pp->auth_state != AUTH_DONE)
		return;
	if (sp->session_timeout)
		due = sp->auth_time + (time_t)sp->session_timeout;
	if (sp->idle_timeout) {
		time_t idle = sp->last_packet + (time_t)sp->idle_timeout;

		if (due == 0 || idle < due)
			due = idle;
	}
	if (due == 0) {
		timer_cancel(&pp->limit_timer);
		return;
	}
	timer_set(&pp->limit_timer, due > time_now ?
	    (uint64_t)(due - time_now) * 1000 : 0);
}

int
ppp_ncp_opened(sid_t s, uint16_t proto)
{
	struct ppp *pp = P(s);
	struct session *sp = session_get(s);

	if (sp != NULL && sp->client)	/* outgoing L2TP (pppc.c) */
		return proto == PPP_IP && pppc_ip_up(s);
	if (pp == NULL)
		return 0;
	if (proto == PPP_IP)
		return pp->ipcp.state == ST_OPENED;
	return pp->ipv6cp.p != NULL && pp->ipv6cp.state == ST_OPENED;
}

void
ppp_input(sid_t s, const uint8_t *frame, size_t len)
{
	struct session *sp = session_get(s);
	struct ppp *pp = P(s);
	struct rd r, peek;
	uint8_t b0, code;
	uint16_t proto, ac;

	if (pp == NULL || !pp->in_use)
		return;
	stats->ppp_rx_frames++;
	pp->last_rx_ms = now_ms;
	rd_init(&r, frame, len);
	/* Address and Control may be present (FF 03) or compressed. */
	peek = r;
	if (rd_u16(&peek, &ac) == 0 && ac == 0xff03)
		r = peek;
	if (rd_u8(&r, &b0) < 0)
		goto bad;
	if (b0 & 1)
		proto = b0;	/* PFC: one octet (RFC 1661 6.5) */
	else {
		uint8_t b1;

		if (rd_u8(&r, &b1) < 0 || !(b1 & 1))
			goto bad;
		proto = (uint16_t)(b0 << 8 | b1);
	}
	switch (proto) {
	case PPP_IP:
		/* A multilink member's: the bundle's (RFC 1990 3). */
		dp_ip_input(mlppp_master(s), r.p, r.left);
		return;
	case PPP_LCP:
		peek = r;
		if (rd_u8(&peek, &code) == 0 && code == CP_TERM_REQ &&
		    pp->term_cause == 0)
			pp->term_cause = TERM_USER_REQUEST;
		fsm_input(&pp->lcp, r.p, r.left);
		return;
	case PPP_PAP:
		pap_input(s, r.p, r.left);
		return;
	case PPP_CHAP:
		chap_input(s, r.p, r.left);
		return;
	}
	/* RFC 1661 3.4, 3.5: only LCP and authentication before network. */
	if (sp->phase != PHASE_NETWORK) {
		stats->ppp_discarded++;
		return;
	}
	/* RFC 1990 3: fragments, and a member link's whole frames, are
	 * the bundle's (its master's). */
	if (proto == PPP_MP && mlppp_input(s, r.p, r.left) == 0)
		return;
	if (proto != PPP_MP && mlppp_master(s) != s) {
		net_input(mlppp_master(s), proto, r);
		return;
	}
	net_input(s, proto, r);
	return;
bad:
	stats->ppp_bad_frames++;
	LOG(LOG_CALLS_L, s, sp->tunnel, "PPP: malformed frame of %zu bytes",
	    len);
}

/* A rebuilt multilink frame: Protocol field (maybe compressed), data. */
void
ppp_bundle_input(sid_t s, const uint8_t *frame, size_t len)
{
	struct ppp *pp = P(s);
	struct session *sp = session_get(s);
	struct rd r;
	uint8_t b0, b1;
	uint16_t proto;

	if (pp == NULL || !pp->in_use || sp->phase != PHASE_NETWORK)
		return;
	rd_init(&r, frame, len);
	if (rd_u8(&r, &b0) < 0)
		return;
	if (b0 & 1)
		proto = b0;
	else if (rd_u8(&r, &b1) < 0 || !(b1 & 1))
		return;
	else
		proto = (uint16_t)(b0 << 8 | b1);
	/* RFC 1990 3: link control never travels in fragments. */
	if (proto == PPP_LCP || proto == PPP_PAP || proto == PPP_CHAP ||
	    proto == PPP_MP) {
		stats->ppp_discarded++;
		return;
	}
	net_input(s, proto, r);
}

/* A network-phase frame of session s (RFC 1661 3.5). */
static void
net_input(sid_t s, uint16_t proto, struct rd r)
{
	struct session *sp = session_get(s);
	struct ppp *pp = P(s);

	if (pp == NULL || !pp->in_use || sp->phase != PHASE_NETWORK) {
		stats->ppp_discarded++;
		return;
	}
	switch (proto) {
	case PPP_IP:
		dp_ip_input(s, r.p, r.left);
		return;
	case PPP_IPCP:
		fsm_input(&pp->ipcp, r.p, r.left);
		return;
	case PPP_IPV6CP:
		if (pp->ipv6cp.p != NULL) {
			fsm_input(&pp->ipv6cp, r.p, r.left);
			return;
		}
		break;		/* IPv6 is off: Protocol-Reject */
	case PPP_IPV6:
		if (pp->ipv6cp.p != NULL) {
			dp_ip6_input(s, r.p, r.left);
			return;
		}
		break;
	}
	/* CCP, ECP, multilink, anything else (5.7). */
	LOG(LOG_INFO_L, s, sp->tunnel, "PPP: Protocol-Reject of %#06x", proto);
	proto_reject(s, proto, r.p, r.left);
}

/* ---- session life ---- */

int
ppp_init(uint32_t max_sessions)
{
	ppp_max = max_sessions;
	ppp = calloc((size_t)max_sessions + 1, sizeof(*ppp));
	if (session_init(max_sessions) < 0 || dp_init(max_sessions) < 0 ||
	    ra_init(max_sessions) < 0 || mlppp_init(max_sessions) < 0 ||
	    haset_init(max_sessions) < 0 ||
	    session_subscribe(ppp_follow, NULL) < 0)
		return -1;
	return ppp ? 0 : -1;
}

/*
 * Proxy LCP and authentication (RFC 2661 4.4.5, 18): the LAC already
 * negotiated LCP with the subscriber and collected its credentials.
 * When it sends both the final Configure-Requests and a PAP or CHAP
 * exchange we allow, take them over: LCP is Opened with the options
 * the two sides agreed and the credentials go to the backend.  In any
 * other case LCP is negotiated again from the start (the RFC's
 * alternative), which every client handles.
 */
/*
 * An MRU from the LAC's proxy LCP, which we cannot negotiate again: one
 * below MIN_MRU (0 would blackhole the session, and the Protocol-Reject
 * truncation would underflow) is raised to MIN_MRU, the value our own
 * LCP Naks such an MRU with, and logged.
 */
static uint16_t
proxy_mru(sid_t s, uint16_t mru, const char *whose)
{
	if (mru >= MIN_MRU)
		return mru;
	if (log_rl_ok(&err_rl, time_now))
		LOG(LOG_WARN_L, s, session_get(s)->tunnel, "proxy LCP: the %s "
		    "MRU %u is below %u: using %u", whose, mru, MIN_MRU,
		    MIN_MRU);
	return MIN_MRU;
}

static int
proxy_start(sid_t s)
{
	const struct l2tp_proxy *px = l2tp_session_proxy(s);
	struct ppp *pp = P(s);
	struct session *sp = session_get(s);
	uint16_t want = 0;
	struct auth_req rq;
	struct rd r, val;
	uint8_t t, i;

	if (px == NULL || px->last_sent_len == 0 || px->last_rcvd_len == 0 ||
	    px->auth_name[0] == '\0')
		return 0;
	if (px->auth_type == 3 && px->resp_len > 0)
		want = PPP_PAP;
	else if (px->auth_type == 2 && px->resp_len == 16 &&
	    px->chal_len > 0 && px->chal_len <= sizeof(rq.challenge))
		want = PPP_CHAP;
	for (i = 0; want && i < pp->nauth; i++)
		if (pp->auth_order[i] == want)
			break;
	if (want == 0 || i == pp->nauth ||
	    !opts_wellformed(px->last_sent_lcp, px->last_sent_len) ||
	    !opts_wellformed(px->last_rcvd_lcp, px->last_rcvd_len)) {
		LOG(LOG_INFO_L, s, sp->tunnel, "proxy authentication type %u "
		    "not usable: negotiating LCP again", px->auth_type);
		return 0;
	}
	/* The subscriber's request: its MRU. */
	rd_init(&r, px->last_rcvd_lcp, px->last_rcvd_len);
	while (r.left && opt_next(&r, &t, &val) == 0)
		if (t == LCP_MRU && val.left == 2)
			sp->mru = proxy_mru(s, opt_u16(&val), "subscriber's");
	/* The LAC's request, now ours: our MRU and magic number. */
	pp->send_mru = 0;
	pp->send_magic = 0;
	rd_init(&r, px->last_sent_lcp, px->last_sent_len);
	while (r.left && opt_next(&r, &t, &val) == 0) {
		if (t == LCP_MRU && val.left == 2) {
			pp->send_mru = 1;
			pp->want_mru = proxy_mru(s, opt_u16(&val), "LAC's");
		} else if (t == LCP_MAGIC && val.left == 4) {
			pp->send_magic = 1;
			sp->magic = opt_u32(&val);
		}
	}
	fsm_opened(&pp->lcp);
	stats->ppp_lcp_up++;
	pp->auth_idx = i;
	sp->auth_proto = want;
	pp->chap_alg = CHAP_ALG_MD5;	/* RFC 2661 4.4.5: type 2 is MD5 */
	set_phase(s, PHASE_AUTHENTICATE);
	timer_set(&pp->echo_timer, (uint64_t)config->echo_timeout * 1000);
	memset(&rq, 0, sizeof(rq));
	snprintf(rq.user, sizeof(rq.user), "%s", px->auth_name);
	rq.proto = want;
	pp->chap_id = px->auth_id;
	if (want == PPP_PAP) {
		memcpy(rq.password, px->response, px->resp_len);
		rq.password_len = px->resp_len;
	} else {
		rq.chap_id = px->auth_id;
		memcpy(rq.challenge, px->challenge, px->chal_len);
		rq.challenge_len = px->chal_len;
		memcpy(rq.response, px->response, 16);
	}
	if (refuse_bad_username(s, rq.user, "proxy authentication"))
		return 1;
	LOG(LOG_INFO_L, s, sp->tunnel, "proxy LCP and %s authentication "
	    "from the LAC for \"%s\"", want == PPP_PAP ? "PAP" : "CHAP",
	    rq.user);
	auth_submit_for(s, &rq);
	return 1;
}

/*
 * cluster.c: a new master takes over a session it inherited, up as it
 * stood on the old master: LCP and IPCP Opened, authenticated, the
 * keepalive and the session limits running.  Nothing is sent, so the
 * peer sees no renegotiation.  A session not up yet (still negotiating)
 * is left alone: the peer's retries go unanswered until the LAC clears
 * the call.  Not taken over: IPV6CP, and RADIUS accounting (no second
 * Start; no Stop either).
 */
int
ppp_adopt(sid_t s)
{
	struct ppp *pp = P(s);
	struct session *sp = session_get(s);
	int mtu = config->l2tp_mtu;

	if (pp == NULL || sp == NULL || pp->in_use ||
	    sp->state != SESSION_OPEN || sp->phase != PHASE_NETWORK ||
	    sp->lcp_state != ST_OPENED || sp->ipcp_state != ST_OPENED)
		return 0;
	texts_free(pp);
	memset(pp, 0, sizeof(*pp));
	pp->in_use = 1;
	timer_init(&pp->auth_timer, auth_fire, (void *)(uintptr_t)s);
	timer_init(&pp->echo_timer, echo_fire, (void *)(uintptr_t)s);
	timer_init(&pp->kill_timer, kill_fire, (void *)(uintptr_t)s);
	timer_init(&pp->limit_timer, limit_fire, (void *)(uintptr_t)s);
	fsm_init(&pp->lcp, &lcp_proto, s, (unsigned)config->ppp_restart_time,
	    (unsigned)config->ppp_max_configure,
	    (unsigned)config->ppp_max_failure);
	pp->lcp.shown = &sp->lcp_state;
	pp->lcp.state = ST_OPENED;
	pp->lcp.heard = 1;
	fsm_init(&pp->ipcp, &ipcp_proto, s, (unsigned)config->ppp_restart_time,
	    (unsigned)config->ppp_max_configure,
	    (unsigned)config->ppp_max_failure);
	pp->ipcp.shown = &sp->ipcp_state;
	pp->ipcp.state = ST_OPENED;
	pp->ipcp.heard = 1;
	/*
	 * IPV6CP Opened on the old master: Opened here too, with our
	 * identifier ::1 (the one we offer unless the peer suggested
	 * another), and RAs and the session's own prefix (ra.c) from here.
	 */
	fsm_init(&pp->ipv6cp, &ipv6cp_proto, s,
	    (unsigned)config->ppp_restart_time,
	    (unsigned)config->ppp_max_configure,
	    (unsigned)config->ppp_max_failure);
	pp->ipv6cp.shown = &sp->ipv6cp_state;
	if (sp->ipv6cp_state == ST_OPENED && sp->ipv6 &&
	    config->ipv6_prefix.plen != 0 && !sp->walled_garden) {
		pp->ipv6cp.state = ST_OPENED;
		pp->ipv6cp.heard = 1;
	} else {
		sp->ipv6cp_state = ST_INITIAL;
		sp->ipv6 = 0;
	}
	pp->want_mru = (uint16_t)(mtu - L2TP_PPP_OVERHEAD > MIN_MRU ?
	    mtu - L2TP_PPP_OVERHEAD : MIN_MRU);
	pp->send_mru = 1;
	pp->send_magic = 1;
	auth_parse_order(pp);
	pp->our_ip = config->peer_address ? config->peer_address :
	    config->bind_address ? config->bind_address :
	    config->iftun_address;
	pp->send_ipaddr = pp->our_ip != 0;
	pp->our_ifid[7] = 1;
	pp->auth_state = AUTH_DONE;
	pp->last_rx_ms = now_ms;
	if (pp->ipv6cp.state == ST_OPENED)
		ra_up(s, pp->our_ifid);
	session_authenticated(s);	/* in the username index */
	ppp_limits_changed(s);
	timer_set(&pp->echo_timer, (uint64_t)config->echo_timeout * 1000);
	{
		char a[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &sp->ip, a, sizeof(a));
		LOG(LOG_INFO_L, s, sp->tunnel, "session of \"%s\" (%s) taken "
		    "over from the cluster", sp->user, a);
	}	return 1;
}

void
ppp_session_start(sid_t s)
{
	struct ppp *pp = P(s);
	struct session *sp = session_get(s);
	int mtu = config->l2tp_mtu;

	if (pp == NULL || sp == NULL)
		return;
	texts_free(pp);
	memset(pp, 0, sizeof(*pp));
	pp->in_use = 1;
	acctfile_session_start(s);
	timer_init(&pp->auth_timer, auth_fire, (void *)(uintptr_t)s);
	timer_init(&pp->echo_timer, echo_fire, (void *)(uintptr_t)s);
	timer_init(&pp->kill_timer, kill_fire, (void *)(uintptr_t)s);
	timer_init(&pp->limit_timer, limit_fire, (void *)(uintptr_t)s);
	fsm_init(&pp->lcp, &lcp_proto, s, (unsigned)config->ppp_restart_time,
	    (unsigned)config->ppp_max_configure,
	    (unsigned)config->ppp_max_failure);
	pp->lcp.shown = &sp->lcp_state;
	pp->want_mru = (uint16_t)(mtu - L2TP_PPP_OVERHEAD > MIN_MRU ?
	    mtu - L2TP_PPP_OVERHEAD : MIN_MRU);
	pp->send_mru = 1;
	pp->send_magic = 1;
	sp->magic = new_magic();
	sp->mru = 1500;
	auth_parse_order(pp);
	pp->our_ip = config->peer_address ? config->peer_address :
	    config->bind_address ? config->bind_address :
	    config->iftun_address;
	pp->send_ipaddr = pp->our_ip != 0;
	/* Our IPV6CP identifier: ::1 on the link (RFC 5072 4.1). */
	memset(pp->our_ifid, 0, 8);
	pp->our_ifid[7] = 1;
	pp->last_rx_ms = now_ms;
	mlppp_link_start(s);
	dp_session_start(s);
	set_phase(s, PHASE_ESTABLISH);
	if (proxy_start(s))
		return;
	/* The call is connected: the lower layer is up (RFC 1661 3.2). */
	fsm_open(&pp->lcp);
	fsm_up(&pp->lcp);
}

void
ppp_session_end(sid_t s)
{
	struct ppp *pp = P(s);
	struct session *sp = session_get(s);

	if (pp != NULL && !pp->in_use && sp != NULL && sp->ip) {
		/*
		 * Inherited from the cluster (no PPP state here): give its
		 * address back to the index and the pool all the same.
		 */
		int64_t i = ippool_find(sp->ip);

		session_route_del(s, sp->ip, 32);
		if (i >= 0 && ippool->a[i].sid == s)
			ippool_release(sp->ip);
		sp->ip = 0;
	}
	if (pp != NULL && !pp->in_use && sp != NULL && sp->ipv6_prefix_len)
		session_route6_del(s, &sp->ipv6_prefix, sp->ipv6_prefix_len);
	if (pp == NULL || !pp->in_use)
		return;
	haset_leave(s);		/* an anchor's address to another member */
	fsm_stop(&pp->lcp);
	fsm_stop(&pp->ipcp);
	fsm_stop(&pp->ipv6cp);
	ra_down(s, 1);
	timer_cancel(&pp->auth_timer);
	timer_cancel(&pp->echo_timer);
	timer_cancel(&pp->kill_timer);
	timer_cancel(&pp->limit_timer);
	tbf_session_end(s);
	cqm_session_end(s);
	if (pp->auth_state == AUTH_PENDING)
		auth_cancel(s);
	negotiation_free(pp);
	mlppp_link_end(s);	/* leaves its bundle (a master ends it) */
	/* DOWN: plugins, accounting (RADIUS Stop, usage files). */
	session_ended(s, pp->term_cause ? pp->term_cause : main_quit ?
	    TERM_ADMIN_REBOOT : TERM_LOST_CARRIER,
	    has_text(pp->cdn_reason) ? pp->cdn_reason : NULL);
	if (sp->ip && !haset_passive(s)) {
		/* A call cleared without IPCP going down (CDN) takes the
		 * route of an address outside the pool with it too. */
		if (session_route_del(s, sp->ip, 32) == 0 &&
		    !tun_routed(sp->ip))
			tun_route(0, sp->ip, 32);
		ippool_release(sp->ip);
	}
	sp->ip = 0;
	haset_link_end(s);
	sp->phase = PHASE_DEAD;
	texts_free(pp);
	memset(pp, 0, sizeof(*pp));
}
