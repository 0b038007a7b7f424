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

#define PPP_IPCP	0x8021
#define PPP_IPV6CP	0x8057
#define PPP_CCP		0x80fd
#define PPP_LCP		0xc021

/*
 * IPv4 + UDP + the shortest L2TP data header (flags, tunnel, session,
 * plus Length when a LAC sets it) + FF 03 + Protocol: what l2tp_mtu
 * must hold besides the PPP Information field (our MRU, RFC 1661 6.1).
 */
#define L2TP_PPP_OVERHEAD	(20 + 8 + 8 + 4)
#define MIN_MRU			128
#define FRAME_MAX		1600
#define CHAP_CHAL_LEN		16
#define PAP_WAIT_FACTOR		2	/* restart periods x max_configure */
/* In auth_order only (not a PPP protocol): CHAP with algorithm 0x81. */
#define AUTH_MSCHAPV2		0xc281

enum auth_state { AUTH_NONE = 0, AUTH_WAIT_PEER, AUTH_PENDING, AUTH_DONE,
	AUTH_FAILED };

#define LCPX_MAX	64	/* LCP options kept for proxy LCP */
/*
 * The LCP Configure-Requests of the negotiation (RFC 2661 4.4.5: the
 * first received, the last sent and received), kept for the proxy LCP
 * AVPs should the session be relayed: allocated at the first, freed
 * once authentication is over (a session up carries none of it).
 * A length of 0xff: too long to pass on.
 */
struct lcpx {
	uint8_t		init_len, sent_len, rcvd_len;
	uint8_t		init[LCPX_MAX], sent[LCPX_MAX], rcvd[LCPX_MAX];
};

struct ppp;
static void	negotiation_free(struct ppp *);
static void	texts_free(struct ppp *);
static void	keep_text(char **, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

#define AUTH_MSG_MAX	200	/* our PAP/CHAP message, NUL included */
#define CDN_REASON_MAX	96	/* the CDN's text, NUL included */

/* A kept text, "" when none. */
static inline const char *
txt(const char *p)
{
	return p != NULL ? p : "";
}

static inline int
has_text(const char *p)
{
	return p != NULL && *p != '\0';
}

struct ppp {
	struct fsm	 lcp, ipcp, ipv6cp;
	/* LCP: what goes in our Configure-Request */
	uint16_t	 want_mru;
	uint8_t		 send_mru, send_magic;
	uint16_t	 auth_order[3];		/* from radius_authtypes */
	uint8_t		 nauth, auth_idx;
	uint8_t		 loops;			/* magic-number collisions */
	uint8_t		 in_use;
	/* authentication */
	uint8_t		 auth_state;
	uint8_t		 chap_id;
	uint8_t		 chap_alg;		/* CHAP_ALG_MD5 or _MSCHAPV2 */
	uint8_t		 auth_tries;
	uint8_t		 challenge[CHAP_CHAL_LEN];
	char		*auth_msg;		/* keep_text(), AUTH_MSG_MAX */
	struct timer	 auth_timer;
	/* keepalive and teardown */
	struct timer	 echo_timer;
	uint8_t		 echo_id;
	uint64_t	 last_rx_ms;
	struct timer	 kill_timer;		/* deferred CDN */
	struct timer	 limit_timer;		/* Session-/Idle-Timeout */
	int		 cdn_result;
	char		*cdn_reason;		/* keep_text(), CDN_REASON_MAX */
	uint8_t		 term_cause;		/* RFC 2866 Acct-Terminate-Cause */
	/* IPCP: our address; IPV6CP: our identifier */
	in_addr_t	 our_ip;
	uint8_t		 send_ipaddr;
	uint8_t		 our_ifid[8];
	uint8_t		 sugg_ifid[8];		/* what we Nak with, own /64 */
	/*
	 * Relaying (l2tp.c, issue 23): the LCP Configure-Requests and the
	 * credentials the proxy AVPs of RFC 2661 4.4.5 carry to the far
	 * LNS.  A request longer than LCPX_MAX is not kept (its length
	 * 0xff): the far LNS then negotiates LCP again.
	 */
	uint8_t		 relayed;		/* PPP handed to another LNS */
	struct lcpx	*lx;		/* until authentication is over */
	struct auth_req	*rq;			/* while AUTH_PENDING */
};

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

static const struct fsm_proto ipcp_proto = {
	.name = "IPCP", .proto = PPP_IPCP,
	.tlu = ipcp_tlu, .tld = ipcp_tld, .tlf = ipcp_tlf,
	.build_req = ipcp_build, .check_req = ipcp_check,
	.recv_ack = ack_matches, .recv_nak = ipcp_nak, .recv_rej = ipcp_rej,
	.send = cp_send,
};

static const struct fsm_proto ipv6cp_proto = {
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

static struct ppp *
P(sid_t s)
{
	return s && s <= ppp_max ? &ppp[s] : NULL;
}

static void
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
static void
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

static void
auth_send(sid_t s, uint16_t proto, uint8_t code, uint8_t id,
    const uint8_t *data, size_t len)
{
	code_send(s, proto, code, id, data, len, NULL, 0);
}

/* A magic number as it goes on the wire (RFC 1661 6.4). */
static void
magic_bytes(uint32_t m, uint8_t out[4])
{
	struct wr w;

	wr_init(&w, out, 4);
	wr_u32(&w, m);
}

/* guest_account: a comma list of names allowed several sessions. */
static int
is_guest(const char *user)
{
	const char *p = config->guest_account;
	size_t n = strlen(user);

	while (*p) {
		size_t l = strcspn(p, ", ");

		if (l == n && l > 0 && strncmp(p, user, n) == 0)
			return 1;
		p += l;
		p += strspn(p, ", ");
	}
	return 0;
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

/* ---- authentication ---- */

static void
auth_parse_order(struct ppp *pp)
{
	char buf[CFG_STRLEN], *tok, *save = NULL;

	pp->nauth = 0;
	snprintf(buf, sizeof(buf), "%s", config->radius_authtypes);
	for (tok = strtok_r(buf, ", \t", &save); tok && pp->nauth < 3;
	    tok = strtok_r(NULL, ", \t", &save)) {
		uint16_t p = strcasecmp(tok, "chap") == 0 ? PPP_CHAP :
		    strcasecmp(tok, "pap") == 0 ? PPP_PAP :
		    strcasecmp(tok, "mschapv2") == 0 ? AUTH_MSCHAPV2 : 0;
		uint8_t i;

		for (i = 0; i < pp->nauth && pp->auth_order[i] != p; i++)
			;
		if (p && i == pp->nauth)
			pp->auth_order[pp->nauth++] = p;
	}
	if (pp->nauth == 0)
		pp->auth_order[pp->nauth++] = PPP_PAP;
	pp->auth_idx = 0;
}

static uint16_t
auth_proto(const struct ppp *pp)
{
	return pp->auth_idx < pp->nauth ? pp->auth_order[pp->auth_idx] : 0;
}

static const char *
auth_name(uint16_t ap)
{
	return ap == AUTH_MSCHAPV2 ? "MS-CHAPv2" : ap == PPP_CHAP ? "CHAP" :
	    "PAP";
}

/* The session's method for logs: sp->auth_proto is the PPP protocol. */
static const char *
sess_auth_name(sid_t s)
{
	const struct ppp *pp = P(s);

	if (session_get(s)->auth_proto != PPP_CHAP)
		return "PAP";
	return pp->chap_alg == CHAP_ALG_MSCHAPV2 ? "MS-CHAPv2" : "CHAP";
}

static void
chap_send_challenge(sid_t s)
{
	struct ppp *pp = P(s);
	uint8_t buf[1 + CHAP_CHAL_LEN + MAXHOSTNAME_CFG];
	size_t hl = strlen(config->hostname);

	if (hl > MAXHOSTNAME_CFG)
		hl = MAXHOSTNAME_CFG;
	buf[0] = CHAP_CHAL_LEN;
	memcpy(buf + 1, pp->challenge, CHAP_CHAL_LEN);
	memcpy(buf + 1 + CHAP_CHAL_LEN, config->hostname, hl);
	auth_send(s, PPP_CHAP, 1, pp->chap_id, buf, 1 + CHAP_CHAL_LEN + hl);
}

static void
auth_fire(struct timer *t, void *arg)
{
	sid_t s = (sid_t)(uintptr_t)arg;
	struct ppp *pp = P(s);
	struct session *sp = session_get(s);

	if (pp->auth_state != AUTH_WAIT_PEER)
		return;
	if (sp->auth_proto == PPP_CHAP && pp->auth_tries < pp->lcp.max_configure) {
		/* RFC 1994 4.1: retransmit the Challenge on timeout. */
		pp->auth_tries++;
		chap_send_challenge(s);
		timer_set(t, pp->lcp.restart_ms);
		return;
	}
	LOG(LOG_WARN_L, s, sp->tunnel, "%s: the peer did not authenticate "
	    "in time", sess_auth_name(s));
	stats->ppp_auth_failed++;
	pp->auth_state = AUTH_FAILED;
	pp->cdn_result = CDN_ERROR;
	keep_text(&pp->cdn_reason, CDN_REASON_MAX,
	    "authentication timeout");
	session_shutdown(s, "authentication timeout");
}

static void
auth_begin(sid_t s)
{
	struct ppp *pp = P(s);
	struct session *sp = session_get(s);

	set_phase(s, PHASE_AUTHENTICATE);
	sp->auth_proto = auth_proto(pp);
	pp->chap_alg = CHAP_ALG_MD5;
	if (sp->auth_proto == AUTH_MSCHAPV2) {
		/* RFC 2759 2: CHAP with another algorithm */
		sp->auth_proto = PPP_CHAP;
		pp->chap_alg = CHAP_ALG_MSCHAPV2;
	}
	pp->auth_state = AUTH_WAIT_PEER;
	pp->auth_tries = 0;
	if (sp->auth_proto == PPP_CHAP) {
		random_bytes(pp->challenge, sizeof(pp->challenge));
		pp->chap_id++;
		chap_send_challenge(s);
		timer_set(&pp->auth_timer, pp->lcp.restart_ms);
	} else {
		/* PAP: the peer speaks first (RFC 1334 2.2.1). */
		timer_set(&pp->auth_timer, (uint64_t)pp->lcp.restart_ms *
		    pp->lcp.max_configure * PAP_WAIT_FACTOR);
	}
}

static void ipv6cp_start(sid_t);
static void net_input(sid_t, uint16_t, struct rd);

static void
network_begin(sid_t s)
{
	struct ppp *pp = P(s);
	struct session *sp = session_get(s);

	set_phase(s, PHASE_NETWORK);
	if (mlppp_master(s) != s)
		return;	/* a multilink member: the NCPs are the bundle's */
	fsm_init(&pp->ipcp, &ipcp_proto, s, (unsigned)config->ppp_restart_time,
	    (unsigned)config->ppp_max_configure,
	    (unsigned)config->ppp_max_failure);
	pp->ipcp.shown = &sp->ipcp_state;
	fsm_open(&pp->ipcp);
	fsm_up(&pp->ipcp);
	if (config->ipv6_prefix.plen == 0)
		return;
	/* A failed login let into the walled garden gets no IPv6: the
	 * garden is IPv4 only (IPV6CP gets a Protocol-Reject). */
	if (sp->walled_garden) {
		LOG(LOG_CALLS_L, s, sp->tunnel, "IPV6CP not started: session "
		    "in the walled garden");
		return;
	}
	ipv6cp_start(s);
}

static void
ipv6cp_start(sid_t s)
{
	struct ppp *pp = P(s);
	struct session *sp = session_get(s);

	if (pp->ipv6cp.p != NULL) {
		fsm_open(&pp->ipv6cp);	/* closed on gardening: again */
		return;
	}
	fsm_init(&pp->ipv6cp, &ipv6cp_proto, s,
	    (unsigned)config->ppp_restart_time,
	    (unsigned)config->ppp_max_configure,
	    (unsigned)config->ppp_max_failure);
	pp->ipv6cp.shown = &sp->ipv6cp_state;
	fsm_open(&pp->ipv6cp);
	fsm_up(&pp->ipv6cp);
}

/*
 * The walled garden and IPv6 (session.h notifier): a session put into
 * the garden loses IPV6CP (Terminate-Request); one let out of it gets
 * IPV6CP started (the peer may take it up, or not if it gave IPv6 up
 * at the Protocol-Reject).
 */
static void
follow(sid_t s, enum session_event ev, void *arg)
{
	struct ppp *pp = P(s);
	struct session *sp = session_get(s);

	(void)arg;
	if (pp == NULL || !pp->in_use || sp == NULL ||
	    sp->phase != PHASE_NETWORK || config->ipv6_prefix.plen == 0)
		return;
	if (ev == SESSION_EV_UNGARDENED && !sp->walled_garden)
		ipv6cp_start(s);
	else if (ev == SESSION_EV_CHANGED && sp->walled_garden &&
	    pp->ipv6cp.p != NULL && pp->ipv6cp.state != ST_CLOSED &&
	    pp->ipv6cp.state != ST_INITIAL)
		fsm_close(&pp->ipv6cp, "walled garden");
}

/*
 * Our verdict, kept in auth_state and auth_msg, to the peer: PAP
 * Authenticate-Ack/Nak with a Msg-Length octet (RFC 1334 2.2.2), or
 * CHAP Success/Failure with the bare message (RFC 1994 4.2).  Also
 * used again when the peer repeats a request whose answer was lost.
 */
static void
auth_answer(sid_t s, uint8_t id)
{
	struct ppp *pp = P(s);
	int ok = pp->auth_state == AUTH_DONE;
	const char *msg = txt(pp->auth_msg);
	size_t n = strlen(msg);

	if (session_get(s)->auth_proto == PPP_PAP) {
		uint8_t b[1 + AUTH_MSG_MAX];

		b[0] = (uint8_t)n;
		memcpy(b + 1, msg, n);
		auth_send(s, PPP_PAP, ok ? 2 : 3, id, b, n + 1);
	} else
		auth_send(s, PPP_CHAP, ok ? 3 : 4, id,
		    (const uint8_t *)msg, n);
}

/* What peers can make us log (STYLE 11). */
static struct log_rl user_rl = LOG_RL(10, "refused usernames");
static struct log_rl err_rl = LOG_RL(10, "PPP errors");

/* Authentication failed: Nak or Failure, and the link goes down. */
static void
auth_fail(sid_t s, const char *msg)
{
	struct ppp *pp = P(s);
	struct session *sp = session_get(s);

	stats->ppp_auth_failed++;
	evring_add(s, SEV_AUTH_FAIL, config->radius_secret[0] ? SEA_RADIUS :
	    SEA_LNS, 0, "\"%s\": %s", sp->user, msg);
	evring_teardown(s, config->radius_secret[0] ? SEA_RADIUS : SEA_LNS,
	    0, "authentication failed");
	pp->auth_state = AUTH_FAILED;
	if (sp->auth_proto == PPP_CHAP && pp->chap_alg == CHAP_ALG_MSCHAPV2 &&
	    strncmp(msg, "E=", 2) != 0) {
		/* RFC 2759 6: the peer reads the error code from the text */
		char m[AUTH_MSG_MAX];

		mschap2_failure(MSCHAP2_ERR_AUTH, pp->challenge, msg, m,
		    sizeof(m));
		keep_text(&pp->auth_msg, AUTH_MSG_MAX, "%s", m);
	} else
		keep_text(&pp->auth_msg, AUTH_MSG_MAX, "%s", msg);
	auth_answer(s, pp->chap_id);
	/* RFC 1994 4.2 / RFC 1334 2.2.2: the link SHOULD be terminated. */
	pp->cdn_result = CDN_ERROR;
	keep_text(&pp->cdn_reason, CDN_REASON_MAX,
	    "authentication failed: %.70s", msg);
	session_shutdown(s, txt(pp->cdn_reason));
}

/*
 * A username with a control character (a newline forges a line in the
 * log and the usage files) is refused before anything sees it: no
 * backend, no plugin, and only its escaped form is logged and kept.
 * 1 when refused.
 */
static int
refuse_bad_username(sid_t s, const char *user, const char *how)
{
	struct session *sp = session_get(s);
	char esc[MAXUSER * 4];

	if (username_ok(user))
		return 0;
	stats->auth_bad_username++;
	username_escape(user, esc, sizeof(esc));
	username_escape(user, sp->user, sizeof(sp->user));
	if (log_rl_ok(&user_rl, time_now))
		LOG(LOG_WARN_L, s, sp->tunnel, "%s: username \"%s\" has "
		    "control characters: refused", how, esc);
	auth_fail(s, "Invalid username (control characters)");
	return 1;
}

/*
 * RFC 1990: link s joined the bundle of `master`: authenticated, but
 * it takes no address and runs no NCP of its own; the bundle's are
 * the master's.
 */
static void
ppp_link_joined(sid_t s, sid_t master, const char *msg)
{
	struct ppp *pp = P(s);
	struct session *sp = session_get(s);

	sp->auth_time = time_now;
	pp->auth_state = AUTH_DONE;
	session_authenticated(s);
	keep_text(&pp->auth_msg, AUTH_MSG_MAX, "%s", msg);
	stats->ppp_auth_ok++;
	evring_add(s, SEV_AUTH_OK, config->radius_secret[0] ? SEA_RADIUS :
	    SEA_LNS, 0, "\"%s\" joins multilink bundle %u", sp->user, master);
	auth_answer(s, pp->chap_id);
	set_phase(s, PHASE_NETWORK);
}

/* The backend's answer (auth.h). */
/*
 * Relaying (issue 23): an accepted subscriber whose reply names an L2TP
 * tunnel is carried on to that LNS (l2tp_relay_start) with what we
 * negotiated as the proxy LCP and authentication AVPs (RFC 2661 4.4.5,
 * 18), and its PPP stops here: no answer to its authentication (the far
 * LNS gives it), no keepalive, no address.  0 when relayed, -1 when the
 * session goes on here.
 */
static int
relay_begin(sid_t s, const struct auth_reply *rp)
{
	struct ppp *pp = P(s);
	struct session *sp = session_get(s);
	struct l2tp_proxy *px;
	struct auth_req *rq = pp->rq;

	if (config->disable_lac_func || rp->ntunnels == 0 || rq == NULL)
		return -1;
	if ((px = calloc(1, sizeof(*px))) == NULL)
		return -1;
	snprintf(px->auth_name, sizeof(px->auth_name), "%s", rq->user);
	px->auth_id = rq->proto == PPP_CHAP ? rq->chap_id : pp->chap_id;
	if (rq->proto == PPP_CHAP && rq->chap_alg == CHAP_ALG_MSCHAPV2) {
		/* RFC 2661 4.4.5 has no proxy type for MS-CHAPv2: none is
		 * sent, and the far LNS authenticates the subscriber again. */
		px->auth_type = 0;
	} else if (rq->proto == PPP_CHAP) {
		px->auth_type = 2;		/* CHAP, 4.4.5 */
		memcpy(px->challenge, rq->challenge, rq->challenge_len);
		px->chal_len = (uint8_t)rq->challenge_len;
		memcpy(px->response, rq->response, 16);
		px->resp_len = 16;
	} else {
		px->auth_type = 3;		/* PAP */
		px->resp_len = (uint8_t)(rq->password_len < sizeof(px->response) ?
		    rq->password_len : sizeof(px->response));
		memcpy(px->response, rq->password, px->resp_len);
	}
	if (pp->lx != NULL && pp->lx->init_len != 0xff &&
	    pp->lx->sent_len != 0xff && pp->lx->rcvd_len != 0xff) {
		memcpy(px->init_rcvd_lcp, pp->lx->init, pp->lx->init_len);
		px->init_rcvd_len = pp->lx->init_len;
		memcpy(px->last_sent_lcp, pp->lx->sent, pp->lx->sent_len);
		px->last_sent_len = pp->lx->sent_len;
		memcpy(px->last_rcvd_lcp, pp->lx->rcvd, pp->lx->rcvd_len);
		px->last_rcvd_len = pp->lx->rcvd_len;
	}
	/*
	 * Handed over before the relay starts: it may clear the call at
	 * once (no LNS reachable), which frees this session's PPP.
	 */
	pp->relayed = 1;
	pp->auth_state = AUTH_DONE;
	timer_cancel(&pp->auth_timer);
	timer_cancel(&pp->echo_timer);
	timer_cancel(&pp->limit_timer);
	if (l2tp_relay_start(s, rp, px) < 0) {
		explicit_bzero(px, sizeof(*px));
		free(px);
		pp->relayed = 0;
		pp->auth_state = AUTH_PENDING;
		return -1;
	}
	explicit_bzero(px, sizeof(*px));
	free(px);
	if (!pp->in_use || sp->state == SESSION_FREE)
		return 0;		/* cleared already */
	negotiation_free(pp);
	sp->auth_time = time_now;
	session_authenticated(s);
	stats->ppp_auth_ok++;
	set_phase(s, PHASE_NETWORK);
	return 0;
}

/*
 * setforward MASK IP PORT SECRET: a user whose name ends with MASK
 * ("@realm", the original's "/friendISP@company.com"), or matches it as
 * a shell pattern (fnmatch(3): "*@isp.example", "*"), is relayed to
 * IP:PORT with SECRET as the tunnel password, without authenticating
 * here (the far LNS does, from the proxy AVPs).  0 when relayed.
 */
static int
forward_static(sid_t s, const char *user)
{
	size_t ul = strlen(user);
	struct auth_reply *rp;
	int i, r;

	for (i = 0; i < config->nforwards; i++) {
		const struct forward_rule *f = &config->forwards[i];
		size_t ml = strlen(f->mask);

		if ((ml > 0 && ml <= ul && strcmp(user + ul - ml, f->mask) == 0) ||
		    fnmatch(f->mask, user, 0) == 0)
			break;
	}
	if (i == config->nforwards || (rp = calloc(1, sizeof(*rp))) == NULL)
		return -1;
	rp->ok = 1;
	rp->ntunnels = 1;
	rp->tunnel[0].type = 3;			/* L2TP over IPv4 */
	rp->tunnel[0].medium = 1;
	rp->tunnel[0].endpoint = config->forwards[i].ip;
	rp->tunnel[0].port = config->forwards[i].port;
	snprintf(rp->tunnel[0].password, sizeof(rp->tunnel[0].password), "%s",
	    config->forwards[i].secret);
	LOG(LOG_INFO_L, s, session_get(s)->tunnel, "\"%s\" matches setforward "
	    "%s: relayed without local authentication", user,
	    config->forwards[i].mask);
	r = relay_begin(s, rp);
	explicit_bzero(rp, sizeof(*rp));
	free(rp);
	return r;
}

void
ppp_auth_done(sid_t s, const struct auth_reply *rp)
{
	struct ppp *pp = P(s);
	struct session *sp = session_get(s);
	const char *msg = rp->msg[0] ? rp->msg : rp->ok ? "Welcome" :
	    "Authentication failed";
	in_addr_t ip = 0;

	int ok = rp->ok;

	if (pp == NULL || !pp->in_use || pp->auth_state != AUTH_PENDING)
		return;
	timer_cancel(&pp->auth_timer);
	if (ok && rp->ntunnels && relay_begin(s, rp) == 0)
		return;
	negotiation_free(pp);
	if (plugin_hooked[PLUGIN_POST_AUTH]) {
		struct param_post_auth pa = {
			.sid = s, .tid = sp->tunnel, .username = sp->user,
			.auth_allowed = ok, .protocol = sp->auth_proto,
		};

		plugin_run(PLUGIN_POST_AUTH, &pa);
		if (pa.auth_allowed != ok)
			LOG(LOG_INFO_L, s, sp->tunnel, "a post_auth plugin "
			    "%s \"%s\"", pa.auth_allowed ? "accepts" :
			    "refuses", sp->user);
		ok = pa.auth_allowed;
		if (ok && !rp->ok)
			msg = "Welcome";
	}
	if (sp->auth_proto == PPP_CHAP && pp->chap_alg == CHAP_ALG_MSCHAPV2) {
		/* RFC 2759 5: a Success without the authenticator response
		 * makes the peer end the session, so it is a failure here;
		 * 6: a server's Failure text is passed on as it is. */
		if (ok && !mschap2_auth_string_ok(rp->ms_success,
		    strlen(rp->ms_success))) {
			LOG(LOG_WARN_L, s, sp->tunnel, "MS-CHAPv2: accepted "
			    "\"%s\" without an authenticator response "
			    "(MS-CHAP2-Success): refusing", sp->user);
			ok = 0;
			msg = "Authentication failed";
		}
		if (!ok && rp->ms_error[0] && strncmp(rp->ms_error, "E=", 2) == 0)
			msg = rp->ms_error;
	}
	if (ok) {
		sid_t other, master = mlppp_join(s);
		const char *hs;

		if (master != s) {
			/* RFC 1990: a link of an existing bundle (or one
			 * that cannot join it: refused). */
			if (master == 0) {
				msg = "Multilink bundle refused";
				goto fail;
			}
			ppp_link_joined(s, master, msg);
			return;
		}
		/* An HA set (haset.c): a later member shares the anchor's
		 * address, and is no duplicate login. */
		if ((hs = haset_reply_name(rp)) != NULL) {
			sid_t anchor = haset_join(s, hs);

			if (anchor == 0) {
				msg = "HA set refused";
				goto fail;
			}
			if (anchor != s) {
				ip = session_get(anchor)->ip;
				goto addressed;
			}
		}
		/* allow_duplicate_users: the earlier login gives way, but
		 * not to a failed one the walled garden let in. */
		if (!config->allow_duplicate_users && !is_guest(sp->user) &&
		    !sp->walled_garden)
			while ((other = session_by_user(sp->user)) != 0) {
				LOG(LOG_INFO_L, other, session_get(other)->tunnel,
				    "\"%s\" logged in again (session %u): "
				    "dropping this session", sp->user, s);
				session_drop(other, TERM_ADMIN_RESET,
				    "duplicate login");
			}
		/* An address now, so that IPCP can offer it at once. */
		if (rp->ip) {
			if (ippool_take(s, rp->ip, sp->user) < 0 ||
			    (session_by_ip(rp->ip) != 0 &&
			    session_by_ip(rp->ip) != s)) {
				char a[INET_ADDRSTRLEN];

				inet_ntop(AF_INET, &rp->ip, a, sizeof(a));
				LOG(LOG_WARN_L, s, sp->tunnel, "address %s for "
				    "\"%s\" is held by another session: "
				    "refusing", a, sp->user);
				msg = "Address in use";
				goto fail;
			}
			ip = rp->ip;
		} else if ((ip = ippool_alloc(s, sp->user)) == 0) {
			stats->ip_no_pool_address++;
			if (log_rl_ok(&err_rl, time_now))
				LOG(LOG_ERROR_L, s, sp->tunnel, "no free address in "
				    "the pool for \"%s\"", sp->user);
			msg = "No address available";
			goto fail;
		}
addressed:
		sp->ip = ip;
		sp->dns1 = rp->dns1 ? rp->dns1 : config->primary_dns;
		sp->dns2 = rp->dns2 ? rp->dns2 : config->secondary_dns;
		session_set_limits(s, rp->session_timeout, rp->idle_timeout);
		sp->auth_time = time_now;
		pp->auth_state = AUTH_DONE;
		session_authenticated(s);
		ppp_limits_changed(s);
		if (sp->auth_proto == PPP_CHAP &&
		    pp->chap_alg == CHAP_ALG_MSCHAPV2)
			/* RFC 2759 5: "S=<auth_string> M=<message>" */
			keep_text(&pp->auth_msg, AUTH_MSG_MAX, "%.42s "
			    "M=%s", rp->ms_success, msg);
		else
			keep_text(&pp->auth_msg, AUTH_MSG_MAX, "%s", msg);
		stats->ppp_auth_ok++;
		evring_add(s, SEV_AUTH_OK, config->radius_secret[0] ?
		    SEA_RADIUS : SEA_LNS, 0, "\"%s\" %s: %s", sp->user,
		    sess_auth_name(s), msg);
		auth_answer(s, pp->chap_id);
		network_begin(s);
		return;
	}
fail:
	auth_fail(s, msg);
}

static void
auth_submit_for(sid_t s, struct auth_req *rq)
{
	struct ppp *pp = P(s);
	struct session *sp = session_get(s);

	rq->sid = s;
	if (plugin_hooked[PLUGIN_PRE_AUTH]) {
		char pw[sizeof(rq->password) + 1];
		struct param_pre_auth pa = {
			.sid = s, .tid = sp->tunnel, .username = rq->user,
			.username_size = sizeof(rq->user), .password = pw,
			.password_size = sizeof(pw), .response = rq->response,
			.response_len = sizeof(rq->response),
			.protocol = rq->proto, .continue_auth = 1,
		};

		memcpy(pw, rq->password, rq->password_len);
		pw[rq->password_len] = '\0';
		if (plugin_run(PLUGIN_PRE_AUTH, &pa) == PLUGIN_RET_ERROR)
			pa.continue_auth = 0;
		rq->user[sizeof(rq->user) - 1] = '\0';
		pw[sizeof(pw) - 1] = '\0';
		if (rq->proto == PPP_PAP) {
			rq->password_len = strnlen(pw, sizeof(rq->password));
			memcpy(rq->password, pw, rq->password_len);
		}
		if (!pa.continue_auth) {
			struct auth_reply no;

			memset(&no, 0, sizeof(no));
			snprintf(no.msg, sizeof(no.msg), "Authentication failed");
			snprintf(sp->user, sizeof(sp->user), "%s", rq->user);
			pp->auth_state = AUTH_PENDING;
			LOG(LOG_INFO_L, s, sp->tunnel, "\"%s\" refused by a "
			    "pre_auth plugin", rq->user);
			ppp_auth_done(s, &no);
			return;
		}
	}
	snprintf(sp->user, sizeof(sp->user), "%s", rq->user);
	pp->auth_state = AUTH_PENDING;
	timer_cancel(&pp->auth_timer);
	/* Kept for the proxy authentication AVPs should we relay. */
	if (!config->disable_lac_func) {
		if (pp->rq == NULL)
			pp->rq = malloc(sizeof(*pp->rq));
		if (pp->rq != NULL)
			*pp->rq = *rq;
		if (pp->rq != NULL && forward_static(s, rq->user) == 0)
			return;
	}
	auth_submit(rq);
}

/* RFC 1334 2.2: Authenticate-Request from the peer. */
static void
pap_input(sid_t s, const uint8_t *pkt, size_t len)
{
	struct ppp *pp = P(s);
	struct session *sp = session_get(s);
	struct auth_req rq;
	struct rd r, d;
	uint8_t code, id, ulen, plen;
	uint16_t l;

	rd_init(&r, pkt, len);
	if (rd_u8(&r, &code) < 0 || rd_u8(&r, &id) < 0 || rd_u16(&r, &l) < 0 ||
	    l < 4 || l > len || rd_sub(&r, l - 4u, &d) < 0)
		goto bad;
	if (code != 1) {
		LOG(LOG_INFO_L, s, sp->tunnel, "PAP: code %u from the peer "
		    "(ignored)", code);
		return;
	}
	if (sp->auth_proto != PPP_PAP || sp->phase < PHASE_AUTHENTICATE) {
		stats->ppp_discarded++;
		return;
	}
	if (pp->auth_state == AUTH_DONE || pp->auth_state == AUTH_FAILED) {
		/* Our answer was lost: say it again (2.2.1). */
		auth_answer(s, id);
		return;
	}
	if (pp->auth_state == AUTH_PENDING) {
		/* The backend is still thinking.  The peer asked again under
		 * a new Identifier (2.2.1) and takes only an answer that
		 * carries it: answer this copy when the backend does. */
		pp->chap_id = id;
		return;
	}
	if (pp->auth_state != AUTH_WAIT_PEER)
		return;
	memset(&rq, 0, sizeof(rq));
	if (rd_u8(&d, &ulen) < 0 || ulen >= sizeof(rq.user) ||
	    rd_bytes(&d, rq.user, ulen) < 0 || rd_u8(&d, &plen) < 0 ||
	    rd_bytes(&d, rq.password, plen) < 0)
		goto bad;
	rq.user[ulen] = '\0';
	if (memchr(rq.user, '\0', ulen) != NULL)
		goto bad;
	rq.password_len = plen;
	rq.proto = PPP_PAP;
	pp->chap_id = id;	/* the Ack/Nak echoes the request's id */
	if (refuse_bad_username(s, rq.user, "PAP"))
		return;
	LOG(LOG_INFO_L, s, sp->tunnel, "PAP: Authenticate-Request for \"%s\"",
	    rq.user);
	auth_submit_for(s, &rq);
	return;
bad:
	stats->ppp_bad_frames++;
	LOG(LOG_WARN_L, s, sp->tunnel, "PAP: malformed packet (discarded)");
}

/* RFC 1994 4.1: the peer's Response to our Challenge. */
static void
chap_input(sid_t s, const uint8_t *pkt, size_t len)
{
	struct ppp *pp = P(s);
	struct session *sp = session_get(s);
	struct auth_req rq;
	struct rd r, d;
	uint8_t code, id, vlen;
	uint16_t l;

	rd_init(&r, pkt, len);
	if (rd_u8(&r, &code) < 0 || rd_u8(&r, &id) < 0 || rd_u16(&r, &l) < 0 ||
	    l < 4 || l > len || rd_sub(&r, l - 4u, &d) < 0)
		goto bad;
	if (code != 2) {
		LOG(LOG_INFO_L, s, sp->tunnel, "CHAP: code %u from the peer "
		    "(ignored)", code);
		return;
	}
	if (sp->auth_proto != PPP_CHAP || sp->phase < PHASE_AUTHENTICATE) {
		stats->ppp_discarded++;
		return;
	}
	if (id != pp->chap_id) {
		LOG(LOG_CALLS_L, s, sp->tunnel, "CHAP: response id %u, "
		    "expected %u (discarded)", id, pp->chap_id);
		return;
	}
	if (pp->auth_state == AUTH_DONE || pp->auth_state == AUTH_FAILED) {
		/* 4.2: a repeated Response gets the same answer. */
		auth_answer(s, id);
		return;
	}
	if (pp->auth_state != AUTH_WAIT_PEER)
		return;
	memset(&rq, 0, sizeof(rq));
	if (pp->chap_alg == CHAP_ALG_MSCHAPV2) {
		/* RFC 2759 4: Peer-Challenge, Reserved, NT-Response, Flags */
		struct mschap2_resp mr;

		if (rd_u8(&d, &vlen) < 0 || vlen != MSCHAP2_RESP_LEN ||
		    d.left < vlen || mschap2_parse_response(d.p, vlen, &mr) < 0 ||
		    rd_skip(&d, vlen) < 0 || d.left >= sizeof(rq.user))
			goto bad;
		memcpy(rq.ms_peer_chal, mr.peer_chal, sizeof(mr.peer_chal));
		memcpy(rq.ms_nt_resp, mr.nt_resp, sizeof(mr.nt_resp));
		rq.ms_flags = mr.flags;
	} else if (rd_u8(&d, &vlen) < 0 || vlen != 16 ||
	    rd_bytes(&d, rq.response, 16) < 0 || d.left >= sizeof(rq.user))
		goto bad;
	memcpy(rq.user, d.p, d.left);
	rq.user[d.left] = '\0';
	if (memchr(d.p, '\0', d.left) != NULL)
		goto bad;
	rq.proto = PPP_CHAP;
	rq.chap_alg = pp->chap_alg;
	rq.chap_id = id;
	memcpy(rq.challenge, pp->challenge, CHAP_CHAL_LEN);
	rq.challenge_len = CHAP_CHAL_LEN;
	if (refuse_bad_username(s, rq.user, sess_auth_name(s)))
		return;
	LOG(LOG_INFO_L, s, sp->tunnel, "%s: Response for \"%s\"",
	    sess_auth_name(s), rq.user);
	auth_submit_for(s, &rq);
	return;
bad:
	stats->ppp_bad_frames++;
	LOG(LOG_WARN_L, s, sp->tunnel, "%s: malformed packet (discarded)",
	    sess_auth_name(s));
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
static void
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
static void
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

static void
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
	    session_subscribe(follow, NULL) < 0)
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
