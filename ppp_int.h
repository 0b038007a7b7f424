/*
 * ppp_int.h - what the PPP files share: ppp.c (LCP, the NCPs, input,
 * keepalive, a session's PPP life) and ppp_auth.c (the authentication
 * phase: PAP, CHAP, MS-CHAPv2, the backends' answers, relay and static
 * forwarding chosen at authentication).  The per-session `struct ppp`
 * and the helpers both call; nothing outside PPP includes this.
 */
#ifndef L2TPNS_PPP_INT_H
#define L2TPNS_PPP_INT_H

#include <stdint.h>

#include "l2tpns.h"
#include "auth.h"
#include "event.h"
#include "fsm.h"
#include "log.h"
#include "rd.h"
#include "session.h"

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
void	negotiation_free(struct ppp *);
void	texts_free(struct ppp *);
void	keep_text(char **, size_t, const char *, ...)
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

struct ppp	*P(sid_t);
void		 set_phase(sid_t, int phase);
void		 code_send(sid_t, uint16_t proto, uint8_t code, uint8_t id,
		    const uint8_t *a, size_t alen, const uint8_t *b,
		    size_t blen);

extern struct log_rl err_rl;		/* PPP errors peers can cause */
extern const struct fsm_proto ipcp_proto, ipv6cp_proto;

/* ppp_auth.c */
void		 auth_fire(struct timer *, void *);
void		 ppp_follow(sid_t, enum session_event, void *);
int		 refuse_bad_username(sid_t, const char *user, const char *how);
void		 auth_submit_for(sid_t, struct auth_req *);
uint16_t	 auth_proto(const struct ppp *);
const char	*auth_name(uint16_t proto);
void		 auth_parse_order(struct ppp *);
void		 auth_begin(sid_t);
void		 network_begin(sid_t);
void		 pap_input(sid_t, const uint8_t *pkt, size_t len);
void		 chap_input(sid_t, const uint8_t *pkt, size_t len);

#endif /* L2TPNS_PPP_INT_H */
