/*
 * l2tp.h - L2TPv2 protocol constants (RFC 2661) and the control-plane
 * interface of l2tp.c.
 */
#ifndef L2TPNS_L2TP_H
#define L2TPNS_L2TP_H

#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#include "l2tpns.h"

/* Header flags, RFC 2661 3.1 */
#define L2TP_T		0x8000
#define L2TP_L		0x4000
#define L2TP_S		0x0800
#define L2TP_O		0x0200
#define L2TP_P		0x0100
#define L2TP_VER_MASK	0x000f
#define L2TP_VERSION	2
/* bits that must be zero: x in the RFC's figure */
#define L2TP_RESERVED	0x34f0

/* AVP header, RFC 2661 4.1 */
#define AVP_M		0x8000
#define AVP_H		0x4000
#define AVP_RESERVED	0x3c00
#define AVP_LEN_MASK	0x03ff
#define AVP_HDR		6

/* Message types, RFC 2661 3.2 */
enum l2tp_msgtype {
	M_ZLB = 0,		/* not a type: an empty ack */
	M_SCCRQ = 1, M_SCCRP = 2, M_SCCCN = 3, M_STOPCCN = 4,
	M_HELLO = 6, M_OCRQ = 7, M_OCRP = 8, M_OCCN = 9, M_ICRQ = 10,
	M_ICRP = 11, M_ICCN = 12, M_CDN = 14, M_WEN = 15, M_SLI = 16,
	M_MAX = 16
};

/* Attribute types, RFC 2661 4.4 */
enum l2tp_avp {
	A_MESSAGE_TYPE = 0, A_RESULT_CODE = 1, A_PROTOCOL_VERSION = 2,
	A_FRAMING_CAP = 3, A_BEARER_CAP = 4, A_TIE_BREAKER = 5,
	A_FIRMWARE = 6, A_HOST_NAME = 7, A_VENDOR_NAME = 8,
	A_ASSIGNED_TUNNEL = 9, A_RECV_WINDOW = 10, A_CHALLENGE = 11,
	A_Q931_CAUSE = 12, A_CHALLENGE_RESP = 13, A_ASSIGNED_SESSION = 14,
	A_CALL_SERIAL = 15, A_MIN_BPS = 16, A_MAX_BPS = 17,
	A_BEARER_TYPE = 18, A_FRAMING_TYPE = 19, A_CALLED_NUMBER = 21,
	A_CALLING_NUMBER = 22, A_SUB_ADDRESS = 23, A_TX_SPEED = 24,
	A_PHYS_CHANNEL = 25, A_INIT_RCVD_LCP = 26, A_LAST_SENT_LCP = 27,
	A_LAST_RCVD_LCP = 28, A_PROXY_AUTH_TYPE = 29,
	A_PROXY_AUTH_NAME = 30, A_PROXY_AUTH_CHALLENGE = 31,
	A_PROXY_AUTH_ID = 32, A_PROXY_AUTH_RESPONSE = 33,
	A_CALL_ERRORS = 34, A_ACCM = 35, A_RANDOM_VECTOR = 36,
	A_PRIVATE_GROUP = 37, A_RX_SPEED = 38, A_SEQUENCING = 39,
	A_MAX = 39
};

/* StopCCN Result Codes, RFC 2661 4.4.2 */
#define STOP_CLEAR		1	/* general request to clear */
#define STOP_ERROR		2	/* general error, see Error Code */
#define STOP_EXISTS		3	/* control channel already exists */
#define STOP_NOT_AUTHORIZED	4
#define STOP_BAD_VERSION	5
#define STOP_SHUTDOWN		6	/* requester is being shut down */
#define STOP_FSM_ERROR		7

/* CDN Result Codes, RFC 2661 4.4.2 */
#define CDN_LOST_CARRIER	1
#define CDN_ERROR		2
#define CDN_ADMIN		3
#define CDN_NO_FACILITIES_TEMP	4
#define CDN_NO_FACILITIES_PERM	5
#define CDN_BAD_DEST		6

/* General Error Codes, RFC 2661 4.4.2 */
#define ERR_NONE		0
#define ERR_NO_TUNNEL		1
#define ERR_BAD_LENGTH		2
#define ERR_BAD_VALUE		3
#define ERR_NO_RESOURCES	4
#define ERR_BAD_SESSION		5
#define ERR_VENDOR		6
#define ERR_TRY_ANOTHER		7
#define ERR_UNKNOWN_M_AVP	8

/* Proxy LCP and authentication, RFC 2661 4.4.5; kept for PPP. */
#define PROXY_LCP_MAX	256
struct l2tp_proxy {
	uint16_t	auth_type;	/* 0 = none given */
	uint8_t		auth_id;
	uint8_t		init_rcvd_len, last_sent_len, last_rcvd_len;
	uint8_t		chal_len, resp_len;
	char		auth_name[MAXUSER];
	uint8_t		init_rcvd_lcp[PROXY_LCP_MAX];
	uint8_t		last_sent_lcp[PROXY_LCP_MAX];
	uint8_t		last_rcvd_lcp[PROXY_LCP_MAX];
	uint8_t		challenge[64];
	uint8_t		response[64];
};

/*
 * Tunnel and call state machines (l2tp.c).  The states are the shared
 * tables' (enum tunnel_state, enum session_state), which are
 * authoritative; only tunnel_set_state() and call_set_state() change
 * them after allocation.
 */
enum l2tp_tunnel_event {
	/* messages, RFC 2661 6 */
	TEV_SCCRQ, TEV_SCCCN, TEV_STOPCCN, TEV_HELLO, TEV_ICRQ,
	TEV_CALL,		/* ICCN, CDN, WEN, SLI: for a call */
	TEV_REPLY,		/* SCCRP, ICRP, OCRP, OCCN: never to an LNS */
	TEV_OCRQ,
	/* timers and local events */
	TEV_SETUP_TIMEOUT, TEV_RTX_FAIL, TEV_DEAD_PEER, TEV_CLOSE,
	TEV_HOLD_DONE, TEV_MAX
};
enum l2tp_call_event {
	CEV_ICCN, CEV_CDN, CEV_WEN, CEV_SLI, CEV_ICRP,
	CEV_SETUP_TIMEOUT, CEV_CLOSE, CEV_TUNNEL_DOWN, CEV_MAX
};
const char *l2tp_tunnel_state_name(int);
const char *l2tp_call_state_name(int);
const char *l2tp_tunnel_event_name(int);	/* NULL past the last */
const char *l2tp_call_event_name(int);
/* A timer or local event, as its timer would fire it (unit tests). */
void	 l2tp_tunnel_event(tid_t, int ev);
void	 l2tp_call_event(sid_t, int ev);
/* PPP marks a call closing (LCP terminating) through this. */
void	 call_set_state(sid_t, enum session_state, const char *why);

/* l2tp.c */
int	 l2tp_init(void);
int	 l2tp_init_state(void);	/* tables only, no socket (fuzzing) */
void	 l2tp_close(void);
/* Use fd (a bound UDP socket) for sending; unit tests. */
void	 l2tp_set_socket(int fd);
/* Handle one datagram from `from` (exposed for the fuzz harness). */
void	 l2tp_input(const uint8_t *buf, size_t len,
	    const struct sockaddr_in *from);
int	 l2tp_tunnel_close(tid_t, int result, int error, const char *msg);
int	 l2tp_session_close(sid_t, int result, int error, const char *msg);
/* QUIT: StopCCN result 6 to every tunnel. */
void	 l2tp_shutdown_all(void);
/* A new cluster master: control state for inherited tunnels/sessions. */
void	 l2tp_adopt(void);
/*
 * state.c: a tunnel's sequence numbers.  Get: the Ns of our next new
 * message (the first one queued but never sent, if any) and our Nr; -1
 * if the tunnel has no control state.  Set: an adopted tunnel carries on
 * from them at once instead of waiting for the LAC's next message.
 */
int	 l2tp_seq_get(tid_t, uint16_t *ns, uint16_t *nr);
void	 l2tp_seq_set(tid_t, uint16_t ns, uint16_t nr);
/*
 * cluster.c replicates a tunnel's control channel so that a new master
 * answers where the old one stopped (issue 18).  Export: Ns of our next
 * message, our Nr, and each message queued for the peer's
 * acknowledgement (its Ns, the datagram), oldest first; -1 if the
 * tunnel has no control state or no numbers yet (inherited, the LAC not
 * heard since).  Import, on a new master after
 * l2tp_adopt(): the replicated numbers of an inherited tunnel (checked
 * against the LAC's next message, l2tp_input), then each message of the
 * old master still unacknowledged, queued with its Ns and sent again at
 * once (RFC 2661 5.8); -1 if it does not follow the queue.
 */
typedef void (*l2tp_qmsg_fn)(void *arg, uint16_t ns, const uint8_t *p,
	    uint16_t len);
int	 l2tp_ctl_export(tid_t, uint16_t *ns, uint16_t *nr, l2tp_qmsg_fn,
	    void *arg);
void	 l2tp_ctl_import(tid_t, uint16_t ns, uint16_t nr);
int	 l2tp_ctl_requeue(tid_t, uint16_t ns, const uint8_t *p, uint16_t len);
/* state.c: a call of an adopted tunnel that was not up at the restart
 * (no session any more): CDN result 3 (RFC 2661 4.4.2). */
void	 l2tp_clear_call(tid_t, uint16_t our_sid, uint16_t far_sid,
	    const char *text);
const struct l2tp_proxy *l2tp_session_proxy(sid_t);
/*
 * Relay (L2TP switching, issue 23): carry session s on to the LNS the
 * reply names (its RFC 2868 tunnels of type L2TP over IPv4, best
 * preference first), as a LAC, with the proxy AVPs of px (copied).  0
 * when started (the outcome is the relay's), -1 when rp names no
 * usable tunnel or relaying is off.
 */
struct auth_reply;
int	 l2tp_relay_start(sid_t, const struct auth_reply *,
	    const struct l2tp_proxy *px);
/* Bytes before a PPP Protocol field that l2tp_data_header() fills in. */
#define L2TP_DATA_HEADROOM	8
/*
 * The L2TP data message of session s around a PPP frame (RFC 2661 3.1):
 * `proto_field` is the PPP Protocol field with L2TP_DATA_HEADROOM
 * writable bytes before it.  Returns the message's start (len +
 * L2TP_DATA_HEADROOM octets) and where it goes, or NULL if s cannot
 * send.  dataplane.c sends it on l2tp_data_fd().
 */
uint8_t	*l2tp_data_header(sid_t, uint8_t *proto_field, size_t len,
	    const struct sockaddr_in **to);
int	 l2tp_data_fd(void);
/*
 * The socket of tunnels we opened as a LAC when bind_address_remotelns
 * or bind_portremotelns is set (else -1), and the socket tunnel t sends on.
 */
extern int l2tp_lac_fd;
int	 l2tp_tunnel_fd(tid_t);
const char *l2tp_msg_name(int type);
const char *l2tp_avp_name(int type);
const char *l2tp_drop_name(int reason);	/* NULL past the last */
/* Challenge response: MD5(id, secret, challenge), RFC 2661 4.4.3. */
void	 l2tp_chap_md5(uint8_t id, const char *secret, const uint8_t *chal,
	    size_t chal_len, uint8_t out[16]);
/*
 * Hide / unhide an AVP value, RFC 2661 4.3.  unhide writes the original
 * value to out (at most outcap) and returns its length, or -1 if the
 * hidden subformat is inconsistent.
 */
int	 l2tp_unhide(uint16_t attr, const char *secret, const uint8_t *rv,
	    size_t rvlen, const uint8_t *in, size_t inlen, uint8_t *out,
	    size_t outcap);
size_t	 l2tp_hide(uint16_t attr, const char *secret, const uint8_t *rv,
	    size_t rvlen, const uint8_t *val, size_t vallen, uint8_t *out,
	    size_t outcap);

#endif /* L2TPNS_L2TP_H */
