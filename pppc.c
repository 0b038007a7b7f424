/*
 * pppc.c - the client end of PPP on an outgoing L2TP session (issue 23,
 * FireBrick 12.3.1): here we are the peer that dials in, the remote LNS
 * authenticates us and gives us an address.
 *
 * State owned: `struct pppc` per client session (a short list, one per
 * configured outgoing tunnel that has a call up): its LCP and IPCP
 * automatons (fsm.c), the authentication exchange as the one
 * authenticated, the keepalive.  The session's shared fields (phase,
 * LCP/IPCP state, MRU, magic, address, DNS) are kept up to date for the
 * CLI.  Exports (lacout.h): pppc_start, pppc_end, pppc_input,
 * pppc_ip_up, pppc_auth_name; lacout.c hears of the network layer
 * through lacout_ppp_up(), and of a failure through the call's end (we
 * clear the call with a CDN; l2tp.c then tells lacout.c).
 *
 * Implements RFC 1661 (LCP as an ordinary peer: the LNS's options
 * acked, or its Auth-Protocol naked to one we allow; Echo), RFC 1334
 * 2.2.1 (PAP Authenticate-Request), RFC 1994 4.1 (CHAP-MD5 Response),
 * RFC 2759 4 and 5 (MS-CHAPv2 Response, and the LNS's authenticator
 * response checked before we go on), RFC 1332 (IPCP: we request
 * 0.0.0.0 and take the address the LNS naks with), RFC 1877 (DNS
 * addresses the same way, when configured).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>

#include "l2tpns.h"
#include "auth.h"
#include "dataplane.h"
#include "event.h"
#include "fsm.h"
#include "l2tp.h"
#include "lacout.h"
#include "config.h"
#include "log.h"
#include "mschap.h"
#include "rd.h"
#include "util.h"

#define PPP_LCP		0xc021
#define PPP_IPCP	0x8021
#define ECHO_MISSES	3	/* unanswered Echo-Requests: link dead */
#define MIN_MRU		128

enum { LCP_MRU = 1, LCP_ACCM = 2, LCP_AUTH = 3, LCP_MAGIC = 5,
	LCP_PFC = 7, LCP_ACFC = 8 };
enum { IPCP_ADDR = 3, IPCP_DNS1 = 129, IPCP_DNS2 = 131 };

struct pppc {
	struct pppc	*next;
	sid_t		 s;
	const struct l2tp_outgoing *g;
	struct fsm	 lcp, ipcp;
	uint32_t	 magic;
	int		 send_magic;
	uint16_t	 auth;		/* agreed: PPP_PAP, PPP_CHAP or 0 */
	uint8_t		 chap_alg;	/* CHAP_ALG_MD5 or CHAP_ALG_MSCHAPV2 */
	int		 authed;
	uint8_t		 pap_id;
	int		 pap_tries;
	struct timer	 auth_timer;	/* PAP resend; the wait for a verdict */
	struct timer	 echo_timer;
	int		 echo_out;	/* Echo-Requests not answered */
	uint8_t		 echo_id, rej_id;
	struct timer	 kill_timer;	/* the call cleared off the stack */
	int		 dying;
	char		 why[96];
	/* MS-CHAPv2: what the LNS's Success must prove (RFC 2759 5) */
	int		 ms_sent;
	char		 ms_want[MSCHAP2_AUTH_LEN + 1];
	/* IPCP */
	in_addr_t	 addr, dns1, dns2;
	int		 ask_dns;
};

static struct pppc *clients;

static struct pppc *
P(sid_t s)
{
	struct pppc *pc;

	for (pc = clients; pc; pc = pc->next)
		if (pc->s == s)
			return pc;
	return NULL;
}

static tid_t
T(const struct pppc *pc)
{
	return session_get(pc->s)->tunnel;
}

/* ---- output ---- */

static void
cp_send(struct fsm *f, const uint8_t *pkt, size_t len)
{
	ppp_send(f->sid, f->p->proto, pkt, len);
}

/* Code, Identifier, Length and data (RFC 1661 5, 1334 2.2, 1994 4). */
static void
code_send(sid_t s, uint16_t proto, uint8_t code, uint8_t id,
    const uint8_t *data, size_t len)
{
	uint8_t buf[1500];
	struct wr w;

	wr_init(&w, buf, sizeof(buf));
	wr_u8(&w, code);
	wr_u8(&w, id);
	wr_u16(&w, (uint16_t)(4 + len));
	wr_bytes(&w, data, len);
	if (!w.err)
		ppp_send(s, proto, buf, w.len);
}

/*
 * Give up on this session: the CDN goes from a timer of its own, not
 * from under the automaton or the input that decided it (the call's end
 * frees this state).
 */
static void
pppc_fail(struct pppc *pc, const char *why)
{
	if (pc->dying)
		return;
	pc->dying = 1;
	snprintf(pc->why, sizeof(pc->why), "%s", why);
	LOG(LOG_WARN_L, pc->s, T(pc), "outgoing %s: PPP failed: %s",
	    pc->g->name, why);
	timer_set(&pc->kill_timer, 0);
}

static void
kill_fire(struct timer *t, void *arg)
{
	struct pppc *pc = arg;

	(void)t;
	/* pc is freed by the call's end (lacout_call_gone -> pppc_end). */
	l2tp_session_close(pc->s, CDN_ADMIN, 0, pc->why);
}

/* ---- option walking ---- */

/* One option: Type, Length >= 2 and within the packet (RFC 1661 6). */
static int
next_opt(struct rd *r, uint8_t *type, struct rd *val)
{
	uint8_t len;

	if (rd_u8(r, type) < 0 || rd_u8(r, &len) < 0 || len < 2 ||
	    rd_sub(r, (size_t)len - 2, val) < 0)
		return -1;
	return 0;
}

/*
 * Each option of the LNS's Configure-Nak or -Reject to fn(pc, type,
 * value), in order; -1 at the first malformed one or when fn says so.
 */
static int
walk_opts(struct fsm *f, const uint8_t *opt, size_t len,
    int (*fn)(struct pppc *, uint8_t, const struct rd *))
{
	struct pppc *pc = P(f->sid);
	struct rd r, v;
	uint8_t t;

	rd_init(&r, opt, len);
	while (r.left)
		if (next_opt(&r, &t, &v) < 0 || fn(pc, t, &v) < 0)
			return -1;
	return 0;
}

static void
put_opt(struct wr *w, uint8_t type, const void *val, size_t n)
{
	wr_u8(w, type);
	wr_u8(w, (uint8_t)(n + 2));
	wr_bytes(w, val, n);
}

static void
put_u32_opt(struct wr *w, uint8_t type, uint32_t v)
{
	wr_u8(w, type);
	wr_u8(w, 6);
	wr_u32(w, v);
}

/* An Ack must be our request exactly (RFC 1661 5.2). */
static int
ack_is_ours(struct fsm *f, const uint8_t *opt, size_t len)
{
	uint8_t mine[64];
	size_t n = f->p->build_req(f, mine, sizeof(mine));

	return n == len && memcmp(mine, opt, n) == 0 ? 0 : -1;
}

/* ---- LCP, RFC 1661 6 ---- */

static void lcp_tlu(struct fsm *);
static void lcp_tld(struct fsm *);
static void lcp_tlf(struct fsm *);
static size_t lcp_build(struct fsm *, uint8_t *, size_t);
static int lcp_check(struct fsm *, const uint8_t *, size_t, uint8_t *,
    size_t, size_t *, int);
static int lcp_nak(struct fsm *, const uint8_t *, size_t);
static int lcp_rej(struct fsm *, const uint8_t *, size_t);
static int lcp_ext(struct fsm *, uint8_t, uint8_t, const uint8_t *, size_t);

static const struct fsm_proto lcp_proto = {
	.name = "LCP(client)", .proto = PPP_LCP,
	.tlu = lcp_tlu, .tld = lcp_tld, .tlf = lcp_tlf,
	.build_req = lcp_build, .check_req = lcp_check,
	.recv_ack = ack_is_ours, .recv_nak = lcp_nak, .recv_rej = lcp_rej,
	.extcode = lcp_ext, .send = cp_send,
};

/* Our request: a Magic-Number only (the defaults suit L2TP). */
static size_t
lcp_build(struct fsm *f, uint8_t *out, size_t cap)
{
	struct pppc *pc = P(f->sid);
	struct wr w;

	wr_init(&w, out, cap);
	if (pc->send_magic)
		put_u32_opt(&w, LCP_MAGIC, pc->magic);
	return w.err ? 0 : w.len;
}

/*
 * The authentication protocols we allow, strongest first, as the
 * Auth-Protocol option's value (RFC 1994 3: CHAP carries its algorithm).
 */
static size_t
auth_wanted(uint8_t allowed, uint8_t out[3])
{
	if (allowed & OUT_AUTH_MSCHAPV2) {
		out[0] = 0xc2, out[1] = 0x23, out[2] = CHAP_ALG_MSCHAPV2;
		return 3;
	}
	if (allowed & OUT_AUTH_CHAP) {
		out[0] = 0xc2, out[1] = 0x23, out[2] = CHAP_ALG_MD5;
		return 3;
	}
	out[0] = 0xc0, out[1] = 0x23;
	return 2;
}

/*
 * The LNS's request.  MRU, ACCM, Magic-Number, PFC and ACFC are taken as
 * offered (our input copes with compressed fields); Auth-Protocol must
 * be one we allow, else we nak with the strongest we allow (RFC 1661
 * 6.2; past Max-Failure we reject it instead, 4.6); anything else is
 * rejected.
 */
static int
lcp_check(struct fsm *f, const uint8_t *opt, size_t len, uint8_t *out,
    size_t cap, size_t *outlen, int may_nak)
{
	struct pppc *pc = P(f->sid);
	struct session *sp = session_get(f->sid);
	uint8_t nbuf[64], rbuf[512], want[3], t, alg;
	struct wr nak, rej, *w;
	uint16_t mru = 1500, proto, agreed = 0;
	uint8_t agreed_alg = 0;
	struct rd r, v, c;

	wr_init(&nak, nbuf, sizeof(nbuf));
	wr_init(&rej, rbuf, sizeof(rbuf));
	rd_init(&r, opt, len);
	while (r.left) {
		if (next_opt(&r, &t, &v) < 0)
			return -1;
		c = v;
		switch (t) {
		case LCP_MRU:
			if (v.left != 2 || rd_u16(&c, &mru) < 0)
				return -1;
			if (mru < MIN_MRU) {
				mru = 1500;
				if (may_nak) {
					wr_u8(&nak, LCP_MRU);
					wr_u8(&nak, 4);
					wr_u16(&nak, 1500);
				} else
					put_opt(&rej, t, v.p, v.left);
			}
			break;
		case LCP_ACCM:
		case LCP_MAGIC:
			if (v.left != 4)
				return -1;
			break;
		case LCP_PFC:
		case LCP_ACFC:
			if (v.left != 0)
				return -1;
			break;
		case LCP_AUTH:
			if (rd_u16(&c, &proto) < 0)
				return -1;
			alg = 0;
			if (proto == PPP_CHAP && rd_u8(&c, &alg) < 0)
				return -1;
			if ((proto == PPP_PAP && v.left == 2 &&
			    (pc->g->auth & OUT_AUTH_PAP)) ||
			    (proto == PPP_CHAP && v.left == 3 &&
			    ((alg == CHAP_ALG_MD5 &&
			    (pc->g->auth & OUT_AUTH_CHAP)) ||
			    (alg == CHAP_ALG_MSCHAPV2 &&
			    (pc->g->auth & OUT_AUTH_MSCHAPV2))))) {
				agreed = proto;
				agreed_alg = alg;
			} else if (may_nak)
				put_opt(&nak, t, want, auth_wanted(pc->g->auth,
				    want));
			else
				put_opt(&rej, t, v.p, v.left);
			break;
		default:
			put_opt(&rej, t, v.p, v.left);
			break;
		}
	}
	w = rej.len ? &rej : nak.len ? &nak : NULL;
	if (w == NULL) {
		/* Acked: what we agreed to. */
		pc->auth = agreed;
		pc->chap_alg = agreed_alg;
		sp->mru = mru;
		sp->auth_proto = agreed;
		return CI_ACK;
	}
	if (w->err)
		return -1;
	*outlen = w->len < cap ? w->len : cap;
	memcpy(out, w->p, *outlen);
	return w == &rej ? CI_REJ : CI_NAK;
}

static int
lcp_nak_opt(struct pppc *pc, uint8_t t, const struct rd *v)
{
	if (t == LCP_MAGIC)	/* 6.4: a new number */
		random_bytes(&pc->magic, sizeof(pc->magic));
	return 0;
}

static int
lcp_nak(struct fsm *f, const uint8_t *opt, size_t len)
{
	if (walk_opts(f, opt, len, lcp_nak_opt) < 0)
		return -1;
	session_get(f->sid)->magic = P(f->sid)->magic;
	return 0;
}

static int
lcp_rej_opt(struct pppc *pc, uint8_t t, const struct rd *v)
{
	if (t == LCP_MAGIC)
		pc->send_magic = 0;
	return 0;
}

static int
lcp_rej(struct fsm *f, const uint8_t *opt, size_t len)
{
	return walk_opts(f, opt, len, lcp_rej_opt);
}

static void network_begin(struct pppc *);
static void pap_send(struct pppc *);

static void
auth_fire(struct timer *t, void *arg)
{
	struct pppc *pc = arg;

	(void)t;
	if (pc->authed || pc->dying)
		return;
	if (pc->auth == PPP_PAP &&
	    pc->pap_tries < config->ppp_max_configure) {
		pap_send(pc);
		return;
	}
	pppc_fail(pc, pc->auth == PPP_PAP ? "PAP: no answer from the LNS" :
	    "CHAP: no verdict from the LNS");
}

/* Keepalive, RFC 1661 5.8: an Echo-Request each echo_timeout. */
static void
echo_fire(struct timer *t, void *arg)
{
	struct pppc *pc = arg;
	uint8_t m[4];
	struct wr w;

	if (pc->lcp.state != ST_OPENED || pc->dying)
		return;
	if (pc->echo_out >= ECHO_MISSES) {
		pppc_fail(pc, "LCP echo timeout");
		return;
	}
	wr_init(&w, m, sizeof(m));
	wr_u32(&w, pc->send_magic ? pc->magic : 0);
	code_send(pc->s, PPP_LCP, CP_ECHO_REQ, ++pc->echo_id, m, 4);
	pc->echo_out++;
	timer_set(t, (uint64_t)config->echo_timeout * 1000);
}

static void
lcp_tlu(struct fsm *f)
{
	struct pppc *pc = P(f->sid);
	struct session *sp = session_get(f->sid);

	timer_set(&pc->echo_timer, (uint64_t)config->echo_timeout * 1000);
	LOG(LOG_INFO_L, pc->s, sp->tunnel, "outgoing %s: LCP up, "
	    "authentication %s", pc->g->name, pppc_auth_name(pc->s)[0] ?
	    pppc_auth_name(pc->s) : "none");
	if (pc->auth == 0) {
		network_begin(pc);
		return;
	}
	sp->phase = PHASE_AUTHENTICATE;
	/* The wait for the LNS: a Max-Configure of restart periods each. */
	pc->pap_tries = 0;
	if (pc->auth == PPP_PAP)
		pap_send(pc);
	else
		timer_set(&pc->auth_timer, (uint64_t)config->ppp_restart_time *
		    (uint64_t)config->ppp_max_configure * 1000);
}

static void
lcp_tld(struct fsm *f)
{
	pppc_fail(P(f->sid), "LCP down (Terminate or renegotiation)");
}

static void
lcp_tlf(struct fsm *f)
{
	pppc_fail(P(f->sid), "LCP finished");
}

static int
lcp_ext(struct fsm *f, uint8_t code, uint8_t id, const uint8_t *data,
    size_t len)
{
	struct pppc *pc = P(f->sid);
	uint8_t buf[1500];
	uint16_t proto = 0;
	struct rd r;
	struct wr w;

	rd_init(&r, data, len);
	switch (code) {
	case CP_ECHO_REQ:
		if (f->state != ST_OPENED || len < 4 || len > sizeof(buf))
			return 0;	/* 5.8: only in Opened */
		wr_init(&w, buf, sizeof(buf));
		wr_u32(&w, pc->send_magic ? pc->magic : 0);
		wr_bytes(&w, data + 4, len - 4);
		code_send(f->sid, PPP_LCP, CP_ECHO_REP, id, buf, w.len);
		return 0;
	case CP_ECHO_REP:
		pc->echo_out = 0;
		return 0;
	case CP_PROTO_REJ:
		if (rd_u16(&r, &proto) == 0 && (proto == PPP_IPCP ||
		    proto == PPP_LCP))
			pppc_fail(pc, "the LNS rejects IPCP");
		return 0;
	case CP_DISCARD_REQ:
	case CP_IDENTIFICATION:
	case CP_TIME_REMAINING:
		return 0;
	default:
		return -1;
	}
}

/* ---- authentication, as the authenticated peer ---- */

const char *
pppc_auth_name(sid_t s)
{
	struct pppc *pc = P(s);

	if (pc == NULL || pc->auth == 0)
		return "";
	if (pc->auth == PPP_PAP)
		return "PAP";
	return pc->chap_alg == CHAP_ALG_MSCHAPV2 ? "MS-CHAPv2" : "CHAP";
}

/* RFC 1334 2.2.1: Peer-ID and Password, each after its length. */
static void
pap_send(struct pppc *pc)
{
	uint8_t buf[2 + 255 + 255];
	size_t ul = strlen(pc->g->user), pl = strlen(pc->g->password);
	struct wr w;

	if (ul > 255)
		ul = 255;
	if (pl > 255)
		pl = 255;
	wr_init(&w, buf, sizeof(buf));
	wr_u8(&w, (uint8_t)ul);
	wr_bytes(&w, pc->g->user, ul);
	wr_u8(&w, (uint8_t)pl);
	wr_bytes(&w, pc->g->password, pl);
	pc->pap_tries++;
	code_send(pc->s, PPP_PAP, 1, ++pc->pap_id, buf, w.len);
	explicit_bzero(buf, sizeof(buf));
	timer_set(&pc->auth_timer, (uint64_t)config->ppp_restart_time * 1000);
}

static void
auth_ok(struct pppc *pc, const char *how)
{
	struct session *sp = session_get(pc->s);

	pc->authed = 1;
	timer_cancel(&pc->auth_timer);
	sp->auth_time = time_now;
	LOG(LOG_WARN_L, pc->s, sp->tunnel, "outgoing %s: authenticated as "
	    "\"%s\" (%s)", pc->g->name, pc->g->user, how);
	network_begin(pc);
}

/* The LNS's message, printable, for the log. */
static void
msg_text(const struct rd *m, char *out, size_t cap)
{
	size_t i, n = m->left < cap - 1 ? m->left : cap - 1;

	for (i = 0; i < n; i++)
		out[i] = m->p[i] >= 0x20 && m->p[i] < 0x7f ? (char)m->p[i] :
		    '.';
	out[n] = '\0';
}

static void
auth_refused(struct pppc *pc, const char *proto, const struct rd *msg)
{
	char text[64], why[96];

	msg_text(msg, text, sizeof(text));
	stats->outgoing_auth_failures++;
	snprintf(why, sizeof(why), "%s: authentication failed: \"%s\"",
	    proto, text);
	pppc_fail(pc, why);
}

static void
pap_input(struct pppc *pc, struct rd r)
{
	uint8_t code, id, mlen;
	uint16_t len;
	struct rd msg = { 0 };

	if (rd_u8(&r, &code) < 0 || rd_u8(&r, &id) < 0 ||
	    rd_u16(&r, &len) < 0 || len < 4 || len - 4u > r.left)
		return;
	r.left = len - 4u;
	if (pc->auth != PPP_PAP || pc->authed || id != pc->pap_id)
		return;
	/* RFC 1334 2.2.2: Msg-Length and Message */
	if (rd_u8(&r, &mlen) == 0)
		rd_sub(&r, mlen <= r.left ? mlen : r.left, &msg);
	if (code == 2)
		auth_ok(pc, "PAP");
	else if (code == 3)
		auth_refused(pc, "PAP", &msg);
}

/* RFC 1994 4.1 (MD5), RFC 2759 4 (MS-CHAPv2): our Response. */
static void
chap_challenge(struct pppc *pc, uint8_t id, struct rd val)
{
	uint8_t buf[1 + MSCHAP2_RESP_LEN + 255], hash[16];
	size_t ul = strlen(pc->g->user);
	struct wr w;

	if (ul > 255)
		ul = 255;
	wr_init(&w, buf, sizeof(buf));
	if (pc->chap_alg == CHAP_ALG_MD5) {
		l2tp_chap_md5(id, pc->g->password, val.p, val.left, hash);
		wr_u8(&w, 16);
		wr_bytes(&w, hash, 16);
	} else {
		uint8_t peer[MSCHAP2_CHAL_LEN], nt[MSCHAP2_NT_LEN];
		uint8_t zero[8] = { 0 };
		const char *u = mschap2_user(pc->g->user);

		if (val.left != MSCHAP2_CHAL_LEN)
			return;		/* 4: the challenge is 16 octets */
		random_bytes(peer, sizeof(peer));
		mschap2_nt_hash((const uint8_t *)pc->g->password,
		    strlen(pc->g->password), hash);
		mschap2_nt_response(val.p, peer, u, hash, nt);
		mschap2_auth_response(hash, nt, peer, val.p, u, pc->ms_want);
		wr_u8(&w, MSCHAP2_RESP_LEN);
		wr_bytes(&w, peer, sizeof(peer));
		wr_bytes(&w, zero, sizeof(zero));	/* Reserved */
		wr_bytes(&w, nt, sizeof(nt));
		wr_u8(&w, 0);				/* Flags */
		pc->ms_sent = 1;
	}
	explicit_bzero(hash, sizeof(hash));
	wr_bytes(&w, pc->g->user, ul);
	code_send(pc->s, PPP_CHAP, 2, id, buf, w.len);
}

static void
chap_input(struct pppc *pc, struct rd r)
{
	uint8_t code, id, vlen;
	uint16_t len;
	struct rd val;

	if (rd_u8(&r, &code) < 0 || rd_u8(&r, &id) < 0 ||
	    rd_u16(&r, &len) < 0 || len < 4 || len - 4u > r.left)
		return;
	r.left = len - 4u;
	if (pc->auth != PPP_CHAP)
		return;
	/* RFC 1994 3: a new Challenge may come at any time, even once
	 * authenticated; the verdicts count only before. */
	if (pc->authed && code != 1)
		return;
	switch (code) {
	case 1:		/* Challenge: Value-Size, Value, Name */
		if (rd_u8(&r, &vlen) < 0 || vlen == 0 ||
		    rd_sub(&r, vlen, &val) < 0)
			return;
		chap_challenge(pc, id, val);
		break;
	case 3:		/* Success */
		if (pc->chap_alg == CHAP_ALG_MSCHAPV2) {
			/* RFC 2759 5: "S=<40 hex>" proves the LNS knows the
			 * password; without it we do not go on. */
			if (!pc->ms_sent || r.left < MSCHAP2_AUTH_LEN ||
			    strncasecmp((const char *)r.p, pc->ms_want,
			    MSCHAP2_AUTH_LEN) != 0) {
				stats->outgoing_auth_failures++;
				pppc_fail(pc, "MS-CHAPv2: the LNS's "
				    "authenticator response does not match");
				return;
			}
			auth_ok(pc, "MS-CHAPv2, authenticator response "
			    "checked");
		} else
			auth_ok(pc, "CHAP");
		break;
	case 4:		/* Failure */
		auth_refused(pc, pc->chap_alg == CHAP_ALG_MSCHAPV2 ?
		    "MS-CHAPv2" : "CHAP", &r);
		break;
	}
}

/* ---- IPCP, RFC 1332 and 1877 ---- */

/* 0.0.0.0 until the LNS naks with our address (RFC 1332 3.3). */
static size_t
ipcp_build(struct fsm *f, uint8_t *out, size_t cap)
{
	struct pppc *pc = P(f->sid);
	struct wr w;

	wr_init(&w, out, cap);
	wr_u8(&w, IPCP_ADDR);
	wr_u8(&w, 6);
	wr_bytes(&w, &pc->addr, 4);
	if (pc->ask_dns) {
		wr_u8(&w, IPCP_DNS1);
		wr_u8(&w, 6);
		wr_bytes(&w, &pc->dns1, 4);
		wr_u8(&w, IPCP_DNS2);
		wr_u8(&w, 6);
		wr_bytes(&w, &pc->dns2, 4);
	}
	return w.err ? 0 : w.len;
}

/* The LNS's own request: its IP-Address is taken, the rest rejected. */
static int
ipcp_check(struct fsm *f, const uint8_t *opt, size_t len, uint8_t *out,
    size_t cap, size_t *outlen, int may_nak)
{
	uint8_t rbuf[512], t;
	struct rd r, v;
	struct wr rej;

	wr_init(&rej, rbuf, sizeof(rbuf));
	rd_init(&r, opt, len);
	while (r.left) {
		if (next_opt(&r, &t, &v) < 0)
			return -1;
		if (t == IPCP_ADDR && v.left == 4)
			continue;
		put_opt(&rej, t, v.p, v.left);
	}
	if (rej.len == 0)
		return CI_ACK;
	if (rej.err)
		return -1;
	*outlen = rej.len < cap ? rej.len : cap;
	memcpy(out, rbuf, *outlen);
	return CI_REJ;
}

static int
ipcp_nak_opt(struct pppc *pc, uint8_t t, const struct rd *v)
{
	if (v->left != 4)
		return 0;
	if (t == IPCP_ADDR)
		memcpy(&pc->addr, v->p, 4);
	else if (t == IPCP_DNS1)
		memcpy(&pc->dns1, v->p, 4);
	else if (t == IPCP_DNS2)
		memcpy(&pc->dns2, v->p, 4);
	return 0;
}

static int
ipcp_nak(struct fsm *f, const uint8_t *opt, size_t len)
{
	return walk_opts(f, opt, len, ipcp_nak_opt);
}

static int
ipcp_rej_opt(struct pppc *pc, uint8_t t, const struct rd *v)
{
	if (t == IPCP_DNS1 || t == IPCP_DNS2)
		pc->ask_dns = 0;	/* RFC 1877: not offered */
	else if (t == IPCP_ADDR)
		return -1;	/* no address: nothing to route */
	return 0;
}

static int
ipcp_rej(struct fsm *f, const uint8_t *opt, size_t len)
{
	return walk_opts(f, opt, len, ipcp_rej_opt);
}

static void
ipcp_tlu(struct fsm *f)
{
	struct pppc *pc = P(f->sid);
	struct session *sp = session_get(f->sid);

	if (pc->addr == 0) {
		pppc_fail(pc, "IPCP: the LNS gave no address");
		return;
	}
	sp->ip = pc->addr;
	sp->dns1 = pc->dns1;
	sp->dns2 = pc->dns2;
	sp->icrq_ms = 0;
	lacout_ppp_up(pc->s, pc->addr, pc->dns1, pc->dns2);
}

static void
ipcp_tld(struct fsm *f)
{
	pppc_fail(P(f->sid), "IPCP down");
}

static const struct fsm_proto ipcp_proto = {
	.name = "IPCP(client)", .proto = PPP_IPCP,
	.tlu = ipcp_tlu, .tld = ipcp_tld, .tlf = ipcp_tld,
	.build_req = ipcp_build, .check_req = ipcp_check,
	.recv_ack = ack_is_ours, .recv_nak = ipcp_nak, .recv_rej = ipcp_rej,
	.send = cp_send,
};

static void
network_begin(struct pppc *pc)
{
	struct session *sp = session_get(pc->s);

	sp->phase = PHASE_NETWORK;
	pc->ask_dns = pc->g->dns;
	fsm_init(&pc->ipcp, &ipcp_proto, pc->s,
	    (unsigned)config->ppp_restart_time,
	    (unsigned)config->ppp_max_configure,
	    (unsigned)config->ppp_max_failure);
	pc->ipcp.shown = &sp->ipcp_state;
	fsm_open(&pc->ipcp);
	fsm_up(&pc->ipcp);
}

/* ---- input ---- */

/* RFC 1661 5.7: a protocol we do not run. */
static void
proto_reject(struct pppc *pc, uint16_t proto, struct rd r)
{
	uint8_t buf[1500];
	struct wr w;
	size_t n = r.left < sizeof(buf) - 2 ? r.left : sizeof(buf) - 2;

	if (pc->lcp.state != ST_OPENED)
		return;
	wr_init(&w, buf, sizeof(buf));
	wr_u16(&w, proto);
	wr_bytes(&w, r.p, n);
	code_send(pc->s, PPP_LCP, CP_PROTO_REJ, ++pc->rej_id, buf, w.len);
}

void
pppc_input(sid_t s, const uint8_t *frame, size_t len)
{
	struct pppc *pc = P(s);
	struct session *sp = session_get(s);
	struct rd r, peek;
	uint16_t ac, proto;
	uint8_t b0, b1;

	if (pc == NULL || pc->dying)
		return;
	rd_init(&r, frame, len);
	peek = r;
	if (rd_u16(&peek, &ac) == 0 && ac == 0xff03)
		r = peek;		/* Address and Control, or ACFC */
	if (rd_u8(&r, &b0) < 0)
		return;
	if (b0 & 1)
		proto = b0;		/* PFC (RFC 1661 6.5) */
	else if (rd_u8(&r, &b1) < 0 || !(b1 & 1))
		return;
	else
		proto = (uint16_t)(b0 << 8 | b1);
	pc->echo_out = 0;		/* the link is alive */
	switch (proto) {
	case PPP_LCP:
		fsm_input(&pc->lcp, r.p, r.left);
		return;
	case PPP_PAP:
		pap_input(pc, r);
		return;
	case PPP_CHAP:
		chap_input(pc, r);
		return;
	}
	/* RFC 1661 3.5: the network layer only once authenticated. */
	if (sp->phase != PHASE_NETWORK)
		return;
	if (proto == PPP_IPCP) {
		fsm_input(&pc->ipcp, r.p, r.left);
		return;
	}
	if (proto == PPP_IP) {
		if (pc->ipcp.state != ST_OPENED || r.left < 20)
			return;
		/* Downstream from the LNS: the kernel routes it on. */
		sp->cin += r.left;
		sp->pin++;
		sp->last_packet = time_now;
		tun_write(r.p, r.left);
		return;
	}
	proto_reject(pc, proto, r);
}

int
pppc_ip_up(sid_t s)
{
	struct pppc *pc = P(s);

	return pc != NULL && !pc->dying && pc->ipcp.p != NULL &&
	    pc->ipcp.state == ST_OPENED;
}

/* ---- life ---- */

int
pppc_start(sid_t s, const struct l2tp_outgoing *g)
{
	struct session *sp = session_get(s);
	struct pppc *pc;

	if (sp == NULL || P(s) != NULL || (pc = calloc(1, sizeof(*pc))) ==
	    NULL)
		return -1;
	pc->s = s;
	pc->g = g;
	pc->send_magic = 1;
	random_bytes(&pc->magic, sizeof(pc->magic));
	timer_init(&pc->auth_timer, auth_fire, pc);
	timer_init(&pc->echo_timer, echo_fire, pc);
	timer_init(&pc->kill_timer, kill_fire, pc);
	pc->next = clients;
	clients = pc;
	sp->magic = pc->magic;
	sp->mru = 1500;
	sp->phase = PHASE_ESTABLISH;
	dp_session_start(s);
	fsm_init(&pc->lcp, &lcp_proto, s, (unsigned)config->ppp_restart_time,
	    (unsigned)config->ppp_max_configure,
	    (unsigned)config->ppp_max_failure);
	pc->lcp.shown = &sp->lcp_state;
	/* The call is connected: the lower layer is up (RFC 1661 3.2). */
	fsm_open(&pc->lcp);
	fsm_up(&pc->lcp);
	return 0;
}

void
pppc_end(sid_t s)
{
	struct pppc **pp, *pc;
	struct session *sp = session_get(s);

	for (pp = &clients; *pp; pp = &(*pp)->next)
		if ((*pp)->s == s)
			break;
	if ((pc = *pp) == NULL)
		return;
	*pp = pc->next;
	fsm_stop(&pc->lcp);
	fsm_free(&pc->lcp);
	if (pc->ipcp.p)
		fsm_stop(&pc->ipcp);
	fsm_free(&pc->ipcp);		/* the reason of a Terminate, if any */
	timer_cancel(&pc->auth_timer);
	timer_cancel(&pc->echo_timer);
	timer_cancel(&pc->kill_timer);
	if (sp) {
		sp->phase = PHASE_DEAD;
		sp->ip = 0;
	}
	explicit_bzero(pc, sizeof(*pc));
	free(pc);
}
