/*
 * fsm.h - the PPP option-negotiation automaton of RFC 1661 section 4,
 * written once and shared by LCP, IPCP and IPV6CP.
 *
 * The automaton knows the ten states, the events of 4.3 and the actions
 * of 4.4; a protocol supplies what differs (its options, its layer
 * actions) through `struct fsm_proto`.  Packets go out through the
 * protocol's `send` callback, so the automaton can be driven by unit
 * tests without a daemon around it.
 */
#ifndef L2TPNS_FSM_H
#define L2TPNS_FSM_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "l2tpns.h"

/* Packet codes, RFC 1661 5 */
enum {
	CP_CONF_REQ = 1, CP_CONF_ACK, CP_CONF_NAK, CP_CONF_REJ,
	CP_TERM_REQ, CP_TERM_ACK, CP_CODE_REJ,
	/* LCP only */
	CP_PROTO_REJ, CP_ECHO_REQ, CP_ECHO_REP, CP_DISCARD_REQ,
	CP_IDENTIFICATION,	/* RFC 1570 */
	CP_TIME_REMAINING,	/* RFC 1570 */
};

/* Events, RFC 1661 4.3 (for logs and tests). */
enum fsm_event {
	EV_UP, EV_DOWN, EV_OPEN, EV_CLOSE, EV_TO_PLUS, EV_TO_MINUS,
	EV_RCR_PLUS, EV_RCR_MINUS, EV_RCA, EV_RCN, EV_RTR, EV_RTA, EV_RUC,
	EV_RXJ_PLUS, EV_RXJ_MINUS, EV_RXR, EV_MAX
};

/* What a protocol's request checker decided, RFC 1661 5.1-5.4. */
enum { CI_ACK = CP_CONF_ACK, CI_NAK = CP_CONF_NAK, CI_REJ = CP_CONF_REJ };

struct fsm;

struct fsm_proto {
	const char	*name;		/* "LCP", "IPCP", "IPV6CP" */
	uint16_t	 proto;		/* PPP protocol number */
	/* Layer actions, RFC 1661 4.4 (any may be NULL). */
	void		(*tlu)(struct fsm *);
	void		(*tld)(struct fsm *);
	void		(*tls)(struct fsm *);
	void		(*tlf)(struct fsm *);
	/* Our Configure-Request options, written at `out`; returns length. */
	size_t		(*build_req)(struct fsm *, uint8_t *out, size_t cap);
	/*
	 * Check the peer's Configure-Request options (`opt`, `len`).  Writes
	 * the reply's options to `out` (all options for an Ack, the naked or
	 * rejected ones otherwise) and returns CI_ACK, CI_NAK or CI_REJ.
	 * `may_nak` is 0 once Max-Failure Naks were sent: the checker must
	 * then reject what it would have naked (RFC 1661 4.6).
	 */
	int		(*check_req)(struct fsm *, const uint8_t *opt, size_t len,
			    uint8_t *out, size_t cap, size_t *outlen, int may_nak);
	/* The peer's Ack/Nak/Reject of our request: 0 = good, -1 = bad. */
	int		(*recv_ack)(struct fsm *, const uint8_t *opt, size_t len);
	int		(*recv_nak)(struct fsm *, const uint8_t *opt, size_t len);
	int		(*recv_rej)(struct fsm *, const uint8_t *opt, size_t len);
	/*
	 * Codes beyond 7 (LCP's Protocol-Reject, Echo...).  Returns 0 when
	 * handled, -1 for an unknown code (the automaton sends Code-Reject).
	 */
	int		(*extcode)(struct fsm *, uint8_t code, uint8_t id,
			    const uint8_t *data, size_t len);
	/* Send one packet of this protocol (code, id, length, data). */
	void		(*send)(struct fsm *, const uint8_t *pkt, size_t len);
};

struct fsm {
	const struct fsm_proto *p;
	sid_t		 sid;
	uint8_t		 state;		/* enum fsm_state */
	uint8_t		 id;		/* Identifier of our last request */
	uint8_t		 term_id;
	uint8_t		 restart;	/* Restart counter */
	uint8_t		 naks;		/* Naks sent since the last Ack */
	uint8_t		 rcr_bad;	/* requests refused since irc */
	uint8_t		 heard;		/* a packet came from the peer */
	uint16_t	 restart_ms;
	uint8_t		 max_configure, max_terminate, max_failure;
	struct timer	 timer;		/* the Restart timer */
	uint8_t		*shown;		/* copy of state for the CLI, or NULL */
	char		*reason;	/* why we are closing, fsm_reason() */
};

void	 fsm_init(struct fsm *, const struct fsm_proto *, sid_t,
	    unsigned restart_s, unsigned max_configure, unsigned max_failure);
/* Administrative and lower-layer events, RFC 1661 4.3. */
void	 fsm_up(struct fsm *);
void	 fsm_down(struct fsm *);
void	 fsm_open(struct fsm *);
void	 fsm_close(struct fsm *, const char *reason);
/* One received packet of this protocol (from the Code field on). */
void	 fsm_input(struct fsm *, const uint8_t *pkt, size_t len);
/* Protocol-Reject of this protocol received: RXJ- (RFC 1661 5.7). */
void	 fsm_proto_rejected(struct fsm *);
/*
 * Enter Opened without negotiating: the options were agreed elsewhere
 * (proxy LCP from the LAC, RFC 2661 18).  No layer action runs.
 */
void	 fsm_opened(struct fsm *);
/* Stop the timer without any action (session torn down). */
void	 fsm_stop(struct fsm *);
/* Drive one event directly (tests; RCR/RCA/RCN carry no packet). */
void	 fsm_event(struct fsm *, enum fsm_event);
const char *fsm_event_name(int);
/* Why the automaton is closing ("" if it is not), and that text freed. */
#define FSM_REASON_MAX	64
const char *fsm_reason(const struct fsm *);
void	 fsm_free(struct fsm *);

#endif /* L2TPNS_FSM_H */
