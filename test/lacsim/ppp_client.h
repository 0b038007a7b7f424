/*
 * ppp_client.h - lacsim's PPP client: one per L2TP session, the peer of
 * the LNS's PPP.  LCP (RFC 1661), PAP (RFC 1334) or CHAP-MD5 (RFC 1994)
 * as the authenticated side, IPCP (RFC 1332) with the DNS options of
 * RFC 1877, IPV6CP (RFC 5072), and a bare CCP Configure-Request for
 * testing the LNS's Protocol-Reject.
 *
 * The module does no I/O: frames go out through conf->send, what happens
 * is reported through conf->event, IPv4 and IPv6 packets for the session
 * through conf->ip_input and conf->ip6_input.  Timers live in the
 * lac_timer.h heap.  That is what lets the unit tests drive it with
 * hand-made frames.
 */
#ifndef LACSIM_PPP_CLIENT_H
#define LACSIM_PPP_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "lac_timer.h"
#include "ppp_wire.h"

/* RFC 1661 4.2: the automaton's states. */
enum cp_state {
	CPS_INITIAL,
	CPS_STARTING,
	CPS_CLOSED,
	CPS_STOPPED,
	CPS_CLOSING,
	CPS_STOPPING,
	CPS_REQSENT,
	CPS_ACKRCVD,
	CPS_ACKSENT,
	CPS_OPENED,
	CPS_NSTATES
};

/* The control protocols a client runs, one automaton each. */
enum { CP_LCP, CP_IPCP, CP_IPV6CP, CP_CCP, CP_COUNT };

/* RFC 1661 3.2: link phases. */
enum ppp_phase {
	PPP_DEAD,
	PPP_ESTABLISH,
	PPP_AUTHENTICATE,
	PPP_NETWORK,
	PPP_TERMINATE
};

enum ppp_auth_state { AUTH_NONE, AUTH_WAIT, AUTH_OK, AUTH_FAILED };

struct ppp;

struct ppp_fsm {
	struct ltimer	 tm;		/* the Restart timer (4.6) */
	struct ppp	*ppp;
	uint8_t		 cp;		/* CP_LCP ... */
	uint8_t		 state;		/* enum cp_state */
	uint8_t		 reqid;		/* Identifier of our last request */
	uint8_t		 restart;	/* the Restart counter */
	uint8_t		 naks;		/* Naks sent since the last Ack */
	uint8_t		 heard;		/* the peer has sent something */
	uint8_t		 term_acked;	/* our Terminate-Request was acked */
	uint8_t		 nrej;		/* options in our last Configure-Rej */
	uint8_t		 rej[4];
	uint8_t		 rej_id;	/* the request it answered */
	uint32_t	 rej_sum;	/* and a hash of that request's options */
};

enum ppp_ev_type {
	PPP_EV_LCP_UP,		/* LCP Opened */
	PPP_EV_AUTH_OK,		/* text: the LNS's message */
	PPP_EV_AUTH_FAIL,	/* text: message, or why */
	PPP_EV_UP,		/* IPCP Opened */
	PPP_EV_IPV6_UP,		/* IPV6CP Opened */
	PPP_EV_READY,		/* every NCP we want is Opened */
	PPP_EV_IP_DOWN,		/* IPCP left Opened */
	PPP_EV_DOWN,		/* text: reason; clean */
	PPP_EV_FAILED,		/* cannot come up any more; text: why */
	PPP_EV_FINISHED,	/* LCP This-Layer-Finished */
	PPP_EV_RX_REJECT,	/* Code- or Protocol-Reject received */
	PPP_EV_ECHO,		/* echo counters, once at the end */
	PPP_EV_ERROR,		/* a breach by the LNS; text */
	PPP_EV_STATE,		/* trace: from, to */
	PPP_EV_RX,		/* trace: proto, code, id, len */
	PPP_EV_TX
};

struct ppp_event {
	enum ppp_ev_type type;
	const char	*text;
	uint16_t	 proto;
	uint8_t		 code;
	uint8_t		 id;
	size_t		 len;
	uint16_t	 rej_proto;	/* RX_REJECT: protocol, or 0 */
	int		 rej_code;	/* RX_REJECT: code, or -1 */
	const char	*from, *to;
	int		 clean;
};

struct ppp_conf {
	uint16_t	 auth;		/* PPP_PROTO_PAP or PPP_PROTO_CHAP */
	int		 mschapv2;	/* CHAP is MS-CHAPv2 (RFC 2759), not MD5 */
	const char	*password;
	size_t		 password_len;
	uint16_t	 mru;		/* what we ask for; 0: no MRU option */
	int		 ipv6;		/* run IPV6CP */
	int		 send_ccp;	/* a CCP Configure-Request after IPCP */
	int		 no_echo_reply;	/* ignore Echo-Requests */
	int		 lcp_test_opt;	/* option 0x7f in our request */
	int		 reject_mru;	/* Configure-Reject the LNS's MRU */
	int		 trace;		/* STATE, RX, TX events */
	uint64_t	 restart_us;	/* RFC 1661 4.6 Restart timer */
	uint64_t	 echo_us;	/* our own Echo-Requests; 0: none */
	uint8_t		 max_configure, max_terminate, max_failure;

	/* The information field of a frame of protocol proto. */
	void		(*send)(struct ppp *, uint16_t proto, const uint8_t *,
			    size_t);
	void		(*event)(struct ppp *, const struct ppp_event *);
	/* An IPv4 packet received while IPCP is Opened. */
	void		(*ip_input)(struct ppp *, const uint8_t *, size_t);
	/* An IPv6 packet while IPV6CP is Opened; NULL: only counted. */
	void		(*ip6_input)(struct ppp *, const uint8_t *, size_t);
	/* The session's user name; returns its length (at most 255). */
	size_t		(*user)(struct ppp *, char *, size_t);
	void		(*random)(void *, size_t);
};

struct ppp {
	const struct ppp_conf *conf;
	void		*ctx;		/* the owner's session */
	struct ppp_fsm	 fsm[CP_COUNT];
	struct ltimer	 auth_tm;	/* PAP retransmission */
	struct ltimer	 echo_tm;	/* our Echo-Requests */
	uint8_t		 phase;		/* enum ppp_phase */
	uint8_t		 started;	/* lower layer up */
	uint8_t		 closing;	/* we sent Close */
	uint8_t		 reported;	/* PPP_EV_DOWN sent since last up */
	uint8_t		 ended;		/* the link's end was reported */
	uint8_t		 up4;		/* IPCP Opened */
	uint8_t		 ready;		/* every NCP we want is Opened */
	uint8_t		 ready_once;
	uint8_t		 failed;	/* PPP_EV_FAILED sent */
	uint8_t		 xid;		/* Identifier for rejects, echoes */
	uint8_t		 echo_id;	/* of our last Echo-Request */
	const char	*why;		/* why it is going down */

	/* LCP, RFC 1661 6 */
	uint16_t	 mru;		/* the MRU we request */
	uint16_t	 peer_mru;	/* the LNS's, what we may send */
	uint32_t	 magic;
	uint32_t	 peer_magic;	/* 0 when the LNS negotiated none */
	uint16_t	 auth_proto;	/* what the LNS asked of us, or 0 */
	uint8_t		 lcp_want;	/* LW_* options we still send */
	uint8_t		 lcp_rejected;	/* LW_* the LNS rejected */
	uint8_t		 magic_acked;

	/* PAP, CHAP */
	uint8_t		 auth_state;	/* enum ppp_auth_state */
	uint8_t		 auth_id;	/* last PAP request, CHAP response */
	uint8_t		 auth_tries;
	uint8_t		 chap_answered;
	char		 ms_expect[43];	/* MS-CHAPv2: the Success's "S=..." */

	/* IPCP, RFC 1332 3.3, RFC 1877 */
	uint8_t		 ipcp_want;	/* IW_* */
	uint32_t	 addr, dns1, dns2, peer_addr;	/* host order */

	/* IPV6CP, RFC 5072 4.1 */
	uint8_t		 ipv6_want;
	uint8_t		 ifid[IPV6CP_IFID_LEN];
	uint8_t		 peer_ifid[IPV6CP_IFID_LEN];
	uint8_t		 nak_ifid[IPV6CP_IFID_LEN];	/* our last Nak's */

	/* counters */
	uint32_t	 echo_rx, echo_tx, echo_ignored;
	uint32_t	 echo_req_tx, echo_rep_rx;
	uint32_t	 discarded;	/* frames dropped by phase or state */
	uint32_t	 rx_ip, rx_ipv6;
};

/* lcp_want and lcp_rejected bits */
#define LW_MRU		0x01
#define LW_MAGIC	0x02
#define LW_TEST		0x04
/* ipcp_want bits */
#define IW_ADDR		0x01
#define IW_DNS1		0x02
#define IW_DNS2		0x04

void	 ppp_init(struct ppp *, const struct ppp_conf *, void *ctx);
/* The L2TP session is established: lower layer Up and LCP Open. */
void	 ppp_start(struct ppp *, uint64_t now);
/* Administrative Close (teardown); PPP_EV_FINISHED follows unless done. */
void	 ppp_close(struct ppp *, uint64_t now);
/* The L2TP session is gone: lower layer Down. */
void	 ppp_lower_down(struct ppp *, uint64_t now);
/* A PPP frame from an L2TP data message of the session. */
void	 ppp_input(struct ppp *, const uint8_t *, size_t, uint64_t now);
/* LCP is in Initial, Starting, Closed or Stopped: nothing to wait for. */
int	 ppp_finished(const struct ppp *);
/* The LNS has sent us any LCP packet. */
int	 ppp_heard(const struct ppp *);
const char *cp_state_name(uint8_t);
const char *ppp_auth_name(uint16_t);

#endif /* LACSIM_PPP_CLIENT_H */
