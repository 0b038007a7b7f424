/*
 * l2tp_int.h - private interface between the parts of the L2TP control
 * plane: l2tp.c (state machines, handlers, input) and l2tp_rel.c (the
 * reliable delivery of RFC 2661 5.8).  Not for other modules.
 */
#ifndef L2TPNS_L2TP_INT_H
#define L2TPNS_L2TP_INT_H

#include "auth.h"
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#include "event.h"
#include "rd.h"
#include "l2tp.h"

#define OUR_RWS		8	/* receive window we advertise */
#define RTX_FIRST_MS	1000	/* RFC 2661 5.8: recommended 1 s */
#define RTX_CAP_MS	8000	/* cap, no less than 8 s (5.8) */
#define CHALLENGE_LEN	16
#define UNVERIFIED_TRIES 2	/* transmissions to an unverified peer */

/*
 * Memory a peer can make us hold (issue 20, finding 6), fixed caps
 * documented in the manual (L2TP limits):
 *  - the send queue of a tunnel holds at most SENDQ_MAX messages, all
 *    tunnels together at most SENDQ_MAX_BYTES; a tunnel whose peer does
 *    not acknowledge past either is cleared;
 *  - out-of-order messages: OUR_RWS slots per tunnel (the window we
 *    advertise, RFC 2661 5.8), at most OOO_MAX_BYTES over all tunnels;
 *    past that a message is dropped and the peer retransmits it.
 */
#define SENDQ_MAX	1024
#define SENDQ_MAX_BYTES	(32u << 20)
#define OOO_MAX_BYTES	(8u << 20)

/* A queued control message, kept until the peer acknowledges it. */
struct qmsg {
	struct qmsg	*next;
	uint16_t	 ns;
	uint16_t	 len;
	uint8_t		 sent;
	uint8_t		 data[];
};

/*
 * Per tunnel control state.  The tunnel's state itself is
 * tunnel_get(t)->state (the shared table is authoritative; only
 * tunnel_set_state() changes it after tunnel_alloc()).
 */
struct tctl {
	uint16_t	 ns;		/* Ns of the next message we queue */
	uint16_t	 nr;		/* Ns we expect next from the peer */
	uint16_t	 peer_rws;	/* peer's Receive Window Size */
	struct qmsg	*q_head, *q_tail;
	uint32_t	 qlen;		/* messages queued */
	int		 tries;		/* transmissions of the oldest message */
	uint64_t	 rtx_ms;	/* current backoff */
	uint8_t		*ooo[OUR_RWS];	/* out-of-order messages, by Ns */
	uint16_t	 ooo_len[OUR_RWS];
	struct timer	 rtx;
	struct timer	 st;		/* the state's timer: setup, hello, hold */
	uint8_t		 challenge[CHALLENGE_LEN];	/* ours, in SCCRP */
	int		 challenged;
	int		 sent_since_rx;	/* a reply carried our Nr */
	int		 verified;	/* the peer acknowledged a message */
	int		 overflow;	/* send queue over its cap: clear */
	sid_t		 sessions;	/* first session on this tunnel */
	uint64_t	 last_rx_ms;
	uint32_t	 opening_idx;	/* position in opening[] plus one */
	int		 peer_hides;	/* the LAC hides AVPs: so do we */
	int		 adopted;	/* inherited: Ns/Nr from the next message
					 * (1), or replicated, to be confirmed
					 * by it (2) */
	/* A tunnel we opened as a LAC (relay, issue 23) */
	int		 lac;
	char		 secret[64];	/* Tunnel-Password, "" = none */
	char		 assignment[64];	/* Tunnel-Assignment-Id */
	sid_t		 waiting;	/* relayed calls waiting for it to open */
	int		 closing;	/* leaving: not to be reused */
	int		 outgoing;	/* outgoing L2TP's (lacout.c): ours alone */
};

extern struct tctl **tctl;	/* by tunnel index; NULL when free */

/* Why a datagram was dropped (counted, logged at a limited rate). */
enum drop {
	D_SHORT, D_VERSION, D_LENGTH, D_CTL_FLAGS, D_NO_TUNNEL, D_BAD_PEER,
	D_FIRST_NOT_SCCRQ, D_DUPLICATE, D_OUT_OF_WINDOW, D_AVP, D_DATA_NO_SESSION,
	D_DYING, D_NO_RESOURCES, D_ADMISSION, D_OOO_FULL, D_MAX
};

/*
 * Per call control state.  The call's state is session_get(s)->state
 * (authoritative; only call_set_state() changes it after
 * session_alloc()).
 */
struct sctl {
	sid_t		 next, prev;	/* sessions of the same tunnel */
	uint32_t	 serial;
	struct l2tp_proxy *proxy;	/* only when the LAC sent proxy AVPs */
	struct timer	 setup;		/* wait-connect: ICCN due */
	struct relay	*relay;		/* subscriber's side of a relay */
	int		 end_result;	/* CDN result to pass to the other half */
};

/*
 * Relay (L2TP switching, issue 23): the subscriber's call s (ours as an
 * LNS) is carried on as a call of ours as a LAC to a far LNS.  Each
 * half is a session; session->relay links them, so that a data message
 * of one goes out as the other's (l2tp_input -> relay_data, O(1)).
 * While the far tunnel opens, s waits on its tunnel's list.
 */
#define RELAY_DESTS	AUTH_MAX_TUNNELS
struct relay_dest {
	struct sockaddr_in addr;
	char		 secret[64];
	char		 assignment[64];
	char		 host[64];	/* Tunnel-Client-Auth-Id: our Host Name */
	int		 outgoing;	/* outgoing L2TP's (lacout.c), not a relay */
};
struct relay {
	struct relay_dest dest[RELAY_DESTS];	/* by preference */
	uint8_t		 n, idx;		/* candidates, the one tried */
	tid_t		 waiting;		/* the tunnel it waits for */
	sid_t		 wnext;			/* next waiting on that tunnel */
	struct l2tp_proxy px;
};

struct msg;

/* l2tp.c */
extern int udp_fd;			/* the L2TP socket */
extern struct sctl *sctl;		/* per call, by session slot */
int	 session_id_taken(tid_t t, uint16_t id);
int	 tunnel_id_taken(tid_t unused, uint16_t id);
uint16_t new_id(int (*taken)(tid_t, uint16_t), tid_t t);
void	 setup_fire(struct timer *tm, void *arg);
void	 tunnel_set_state(tid_t t, enum tunnel_state new, const char *why);
void	 tunnel_fail(tid_t t, int result, int error, const char *text);
void	 tunnel_enter(tid_t t, enum tunnel_state old,
	    enum tunnel_state new, const char *why);
void	 session_link(tid_t t, sid_t s);
void	 call_fail(sid_t s, int result, int error, const char *text);
void	 call_enter(sid_t s, enum session_state old,
	    enum session_state new, const char *why);
void	 l2tp_drop(enum drop, const struct sockaddr_in *from, tid_t);
void	 l2tp_udp_send(const struct sockaddr_in *to, const uint8_t *p, size_t len,
	    tid_t);
/* A timer or local event of the tunnel state machine. */
void	 tunnel_event(tid_t, enum l2tp_tunnel_event, const char *why);
/* One in-sequence control message to its handler. */
void	 ctl_deliver(tid_t, const struct sockaddr_in *from, uint16_t session,
	    const uint8_t *avp, size_t len);

/* l2tp_lac.c: the tunnels we open and the calls we place (relay, lacout) */
/* One half of a relayed call ends: the other goes, with its result. */
void	 relay_end(sid_t, const char *why);
void	 relay_waiters(tid_t, int up);	/* the tunnel came up, or failed */
void	 relay_try(sid_t);		/* the next far LNS for this call */
void	 relay_refused(sid_t, struct msg *);
void	 recv_sccrp(tid_t, struct msg *);
void	 recv_icrp(sid_t, struct msg *);
/* A data message of one half of a relayed call out as the other's. */
void	 relay_data(sid_t, struct session *, const uint8_t *ppp, size_t len);
/* The LAC socket (bind_address_remotelns/bind_portremotelns): 0, -1. */
int	 lac_socket_open(void);

/* l2tp_rel.c */
void	 rel_init(tid_t);
void	 rel_free(struct tctl *);
void	 send_zlb(tid_t);
int	 ctl_queue(tid_t, struct wr *, uint16_t session, int type);
uint16_t ctl_resend(tid_t);
void	 ctl_ack(tid_t, uint16_t nr);
void	 ctl_reorder(tid_t, const struct sockaddr_in *from, uint16_t ns,
	    uint16_t session, const uint8_t *p, size_t len);
/* An inherited tunnel's replicated numbers fit the LAC's first message. */
int	 rel_adopt_ok(tid_t, uint16_t ns, uint16_t nr);
/* Forget what is queued (replicated numbers that did not fit). */
void	 rel_drop_queue(tid_t);

#endif /* L2TPNS_L2TP_INT_H */
