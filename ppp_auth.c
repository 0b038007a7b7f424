/*
 * ppp_auth.c - the authentication phase of a PPP session (RFC 1661 3.5):
 * PAP (RFC 1334), CHAP-MD5 (RFC 1994) and MS-CHAPv2 (RFC 2759) towards
 * the subscriber, in the order radius_authtypes gives; the request to
 * the backends (auth.c: static rules, RADIUS, the local users file) and
 * their answer (ppp_auth_done): the address, a relay or a static
 * forward, a multilink bundle joined, then the network phase.
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
#include "mschap.h"
#include "plugin.h"
#include "ppp_int.h"
#include "ra.h"
#include "rd.h"
#include "session.h"
#include "state.h"
#include "tbf.h"
#include "util.h"

/* ---- authentication ---- */

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

static void
auth_send(sid_t s, uint16_t proto, uint8_t code, uint8_t id,
    const uint8_t *data, size_t len)
{
	code_send(s, proto, code, id, data, len, NULL, 0);
}


void
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

uint16_t
auth_proto(const struct ppp *pp)
{
	return pp->auth_idx < pp->nauth ? pp->auth_order[pp->auth_idx] : 0;
}

const char *
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

void
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

void
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

void
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
void
ppp_follow(sid_t s, enum session_event ev, void *arg)
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
int
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

void
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
void
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
void
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

