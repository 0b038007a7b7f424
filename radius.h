/*
 * radius.h - the RADIUS client (radius.c: authentication, accounting),
 * the Dynamic Authorization listener (dae.c: Disconnect/CoA) and the
 * packet codec both use (radius_codec.c).
 *
 * auth.c hands authentication to radius_auth_submit() when
 * `primary_radius` is set and forwards the accounting hooks; the CLI
 * reads the servers and the requests in flight through
 * radius_request_info() / radius_server_info() or radius_show().  The
 * packet codec is exported for the unit tests and the fuzz harness.
 */
#ifndef L2TPNS_RADIUS_H
#define L2TPNS_RADIUS_H

#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#include "auth.h"

/* Packet codes: RFC 2865 3, RFC 2866 4, RFC 3576 2.3 */
#define RAD_ACCESS_REQUEST	1
#define RAD_ACCESS_ACCEPT	2
#define RAD_ACCESS_REJECT	3
#define RAD_ACCT_REQUEST	4
#define RAD_ACCT_RESPONSE	5
#define RAD_ACCESS_CHALLENGE	11
#define RAD_DISCONNECT_REQUEST	40
#define RAD_DISCONNECT_ACK	41
#define RAD_DISCONNECT_NAK	42
#define RAD_COA_REQUEST		43
#define RAD_COA_ACK		44
#define RAD_COA_NAK		45

/* Attribute types: RFC 2865 5, RFC 2866 5, RFC 2869 5, RFC 3162 2,
 * RFC 3576 3, RFC 4818 3 */
#define RA_USER_NAME		1
#define RA_USER_PASSWORD	2
#define RA_CHAP_PASSWORD	3
#define RA_NAS_IP_ADDRESS	4
#define RA_NAS_PORT		5
#define RA_SERVICE_TYPE		6
#define RA_FRAMED_PROTOCOL	7
#define RA_FRAMED_IP_ADDRESS	8
#define RA_FRAMED_IP_NETMASK	9
#define RA_FILTER_ID		11
#define RA_FRAMED_MTU		12
#define RA_REPLY_MESSAGE	18
#define RA_FRAMED_ROUTE		22
#define RA_STATE		24
#define RA_CLASS		25
#define RA_VENDOR_SPECIFIC	26
#define RA_SESSION_TIMEOUT	27
#define RA_IDLE_TIMEOUT		28
#define RA_CALLED_STATION_ID	30
#define RA_CALLING_STATION_ID	31
#define RA_NAS_IDENTIFIER	32
#define RA_PROXY_STATE		33
#define RA_ACCT_STATUS_TYPE	40
#define RA_ACCT_DELAY_TIME	41
#define RA_ACCT_INPUT_OCTETS	42
#define RA_ACCT_OUTPUT_OCTETS	43
#define RA_ACCT_SESSION_ID	44
#define RA_ACCT_AUTHENTIC	45
#define RA_ACCT_SESSION_TIME	46
#define RA_ACCT_INPUT_PACKETS	47
#define RA_ACCT_OUTPUT_PACKETS	48
#define RA_ACCT_TERMINATE_CAUSE	49
#define RA_ACCT_INPUT_GIGAWORDS	52
#define RA_ACCT_OUTPUT_GIGAWORDS 53
#define RA_EVENT_TIMESTAMP	55
#define RA_CHAP_CHALLENGE	60
#define RA_NAS_PORT_TYPE	61
#define RA_MESSAGE_AUTHENTICATOR 80
#define RA_TUNNEL_TYPE		64	/* RFC 2868 3.1-3.9, tagged */
#define RA_TUNNEL_MEDIUM_TYPE	65
#define RA_TUNNEL_SERVER_ENDPOINT 67
#define RA_TUNNEL_PASSWORD	69
#define RA_TUNNEL_ASSIGNMENT_ID	82
#define RA_TUNNEL_PREFERENCE	83
#define RA_TUNNEL_CLIENT_AUTH_ID 90
#define RA_ACCT_TUNNEL_CONNECTION 68	/* RFC 2867 4.1 */
#define RA_ACCT_INTERIM_INTERVAL 85
#define RA_FRAMED_IPV6_PREFIX	97
#define RA_ERROR_CAUSE		101
#define RA_DELEGATED_IPV6_PREFIX 123

/* Vendor-Specific (RFC 2865 5.26): vendors and their types */
#define VENDOR_CISCO		9
#define VENDOR_MICROSOFT	311
#define CISCO_AVPAIR		1	/* "key=value" */
#define MS_PRIMARY_DNS_SERVER	28	/* RFC 2548 2.7.6 */
#define MS_SECONDARY_DNS_SERVER	29	/* RFC 2548 2.7.7 */
#define MS_CHAP_ERROR		2	/* RFC 2548 2.1.5 */
#define MS_CHAP_CHALLENGE	11	/* RFC 2548 2.1.2 */
#define MS_CHAP2_RESPONSE	25	/* RFC 2548 2.3.2 */
#define MS_CHAP2_SUCCESS	26	/* RFC 2548 2.3.3 */

/* Error-Cause values, RFC 3576 3.1 */
#define EC_UNSUPPORTED_ATTRIBUTE	401
#define EC_MISSING_ATTRIBUTE		402
#define EC_NAS_MISMATCH			403
#define EC_INVALID_REQUEST		404
#define EC_UNSUPPORTED_SERVICE		405
#define EC_SESSION_NOT_FOUND		503

#define NAS_PORT_VIRTUAL	5	/* NAS-Port-Type, RFC 2865 5.41 */
#define SERVICE_FRAMED		2	/* Service-Type, RFC 2865 5.6 */
#define PROTO_PPP		1	/* Framed-Protocol, RFC 2865 5.7 */

#define RAD_HDRLEN		20
#define RAD_MAXPKT		4096	/* RFC 2865 3 */
#define RAD_NSOCK		64	/* client sockets, 256 identifiers each */
#define RAD_TRIES		3	/* sends to one server before the next */

/* ---- the daemon ---- */

/* Per-session state only (no sockets): tests and fuzzing. */
int	 radius_init_state(uint32_t max_sessions);
/* State, the client sockets and the DAE listener; 0, or -1. */
int	 radius_init(void);
void	 radius_close(void);
/* HUP: servers and secret are read live; forget which server is dead. */
void	 radius_reload(void);
/* Accounting requests still waiting for an answer or for an identifier
 * (clean shutdown). */
int	 radius_busy(void);
/* SIGTERM with nobody to take the sessions over: an Acct-Stop with
 * `cause` for every accounted session, which stays in the table; how
 * many were sent or queued. */
int	 radius_stop_all(int cause);

/*
 * state.c: what a restarted daemon needs to carry a session's accounting
 * on (no second Start): whether a Start was sent, Acct-Authentic, the
 * interim interval, when accounting started and the Class attributes.
 */
struct radius_saved {
	uint8_t		acct;		/* Start sent: Stop owed */
	uint8_t		authentic;
	uint16_t	class_len;
	uint32_t	interim;
	int64_t		acct_start;
	uint8_t		class[AUTH_CLASS_MAX];
};
void	 radius_save(sid_t, struct radius_saved *);
/* The session is up again in this process: accounting resumes, the
 * Interim-Updates on their schedule (Start + k * interval, as after a
 * cluster takeover); nothing is sent now. */
void	 radius_adopt(sid_t, const struct radius_saved *);

/* ---- the backend behind auth.c ---- */

/* A new authentication of s starts: reset its state, give it an
 * Acct-Session-Id if it has none. `radius` says who will answer. */
void	 radius_session_begin(sid_t, int radius);
void	 radius_auth_submit(const struct auth_req *);
void	 radius_auth_cancel(sid_t);
/* Accounting follows the sessions through session.h (radius.c
 * subscribes): Start at UP, or at UNGARDENED for a session that was in
 * the walled garden; Stop at DOWN. */

/* ---- what dae.c asks of the client ---- */

/* A configured server's address: the only sources DAE accepts. */
int	 radius_is_server(in_addr_t);
/* Class attributes to echo in s's accounting (RFC 2865 5.25); -1 if
 * out of memory. */
int	 radius_set_class(sid_t, const uint8_t *c, size_t n);
/* Acct-Interim-Interval of s (0 = the configured one), re-armed. */
void	 radius_set_interim(sid_t, uint32_t secs);
/* Each Cisco-AVPair of rp to the radius_response plugins. */
void	 radius_apply_pairs(sid_t, const struct auth_reply *);

/*
 * cluster.c: a session's accounting state, replicated so that a new
 * master carries on where the old one stopped: no second Start, the
 * interims on the same schedule, the Stop with the same Class and
 * session time (manual, "Clustering").
 */
struct radius_acct_state {
	uint8_t		 acct;		/* Start sent: Stop owed */
	uint8_t		 authentic;	/* Acct-Authentic */
	uint8_t		 up;		/* the session came up */
	uint32_t	 interim;	/* Acct-Interim-Interval, 0 = config */
	int64_t		 acct_start;	/* the Start's time, time_t */
	const uint8_t	*class;		/* Class attributes, whole */
	uint16_t	 class_len;
};
/* Read it (class points into radius.c's copy); -1 without state. */
int	 radius_acct_get(sid_t, struct radius_acct_state *);
/* A slave stores what the master sent (no timer, nothing sent);
 * NULL forgets it (the slot is free). */
void	 radius_acct_set(sid_t, const struct radius_acct_state *);
/* A new master: the interim timer of an inherited, accounted session,
 * on the old master's schedule (acct_start + k * interval). */
void	 radius_acct_adopt(sid_t);

/* ---- the DAE listener (dae.c) ---- */

/* The socket on radius_dae_port; -1 (logged, not fatal) if not bound. */
int	 dae_open(void);
void	 dae_close(void);
int	 dae_listening(void);
/* One request from `from` (read here, or forwarded by a cluster slave):
 * checked, acted on, answered from the DAE socket. */
void	 dae_forwarded(const uint8_t *pkt, size_t n,
	    const struct sockaddr_in *from);

/* ---- "show radius" ---- */

struct radius_req_info {
	uint32_t	 slot;
	uint8_t		 id;		/* RADIUS Identifier */
	uint8_t		 sock;		/* socket index */
	uint16_t	 port;		/* its local UDP port */
	const char	*state;		/* AUTH, START, INTERIM, STOP */
	sid_t		 sid;
	uint8_t		 server;	/* 0 primary, 1 secondary */
	uint8_t		 try;		/* sends to that server so far */
	uint32_t	 retry_ms;	/* until the next send or give-up */
	uint8_t		 queued;	/* waiting for the window, not sent */
};

struct radius_server_info {
	in_addr_t	 ip;
	uint16_t	 auth_port, acct_port;
	uint32_t	 auth_dead_s, acct_dead_s;	/* skipped for, s */
	uint32_t	 outstanding;	/* in its window (radius_window) */
};

/* The next request in use at or after *cursor (then advanced); 0, or -1
 * at the end. */
int	 radius_request_info(uint32_t *cursor, struct radius_req_info *);
/* Server i (0 primary, 1 secondary); -1 if not configured. */
int	 radius_server_info(int i, struct radius_server_info *);
/* Requests waiting for a place in their server's window. */
uint32_t radius_queue_length(void);
/* The whole "show radius" text, one line per call of `line`. */
void	 radius_show(void (*line)(void *arg, const char *text), void *arg);

/* ---- the codec (exposed for tests and fuzzing) ---- */

enum rad_err {
	RAD_OK = 0,
	RAD_E_SHORT,		/* shorter than its header or Length field */
	RAD_E_LENGTH,		/* Length field out of range */
	RAD_E_ATTR,		/* an attribute runs past the end */
	RAD_E_VALUE,		/* an attribute of a bad length for its type */
	RAD_E_AUTH,		/* Request/Response Authenticator wrong */
	RAD_E_MSGAUTH,		/* Message-Authenticator wrong */
	RAD_E_CODE,		/* unexpected code */
};

/* HMAC-MD5, RFC 2104. */
void	 radius_hmac_md5(const uint8_t *key, size_t keylen,
	    const uint8_t *data, size_t len, uint8_t out[16]);
/* User-Password hiding, RFC 2865 5.2: writes the hidden value (a
 * multiple of 16 octets) to out; its length, or 0 if pw is over 128. */
size_t	 radius_hide_password(const uint8_t *pw, size_t len,
	    const char *secret, const uint8_t ra[16], uint8_t out[128]);
/*
 * Tunnel-Password, RFC 2868 3.5: the salt-encrypted value v (Salt and
 * String, after the Tag) decrypted with the shared secret and the
 * Request Authenticator of the Access-Request.  Writes the password,
 * NUL-terminated, to out; its length, or -1 if v is malformed (short,
 * not a multiple of 16, a Data-Length past the data, salt without its
 * high bit) or the password does not fit outcap.
 */
int	 radius_tunnel_password(const uint8_t *v, size_t n, const char *secret,
	    const uint8_t ra[16], char *out, size_t outcap);
/* Decrypt every tunnel password of rp (after radius_parse_reply). */
void	 radius_tunnel_passwords(struct auth_reply *, const char *secret,
	    const uint8_t ra[16]);
/* Header and attribute layout of pkt: RAD_OK and *plen = the Length
 * field (octets past it are padding), or the error. */
int	 radius_check_layout(const uint8_t *pkt, size_t n, size_t *plen);
/* Response Authenticator (RFC 2865 3) of a reply to the request whose
 * authenticator is ra, and its Message-Authenticator if present. */
int	 radius_verify_response(const uint8_t *pkt, size_t len,
	    const uint8_t ra[16], const char *secret);
/* Request Authenticator of an Accounting, Disconnect or CoA request
 * (RFC 2866 3, RFC 3576 2.3) and its Message-Authenticator. */
int	 radius_verify_request(const uint8_t *pkt, size_t len,
	    const char *secret);
/* Sets the Request Authenticator of such a request in place. */
void	 radius_sign_request(uint8_t *pkt, size_t len, const char *secret);

struct rd;
struct wr;
/* Name of a packet code for logs. */
const char *radius_code_name(uint8_t code);
/* The next attribute of r: 1 with its type and value, 0 at the end, -1
 * if its Length is below 2 or past the end (RFC 2865 5). */
int	 radius_attr_next(struct rd *r, uint8_t *type, struct rd *val);
/* The value length n is within the table's bounds for `type`. */
int	 radius_attr_len_ok(uint8_t type, size_t n);
/* A text value as a C string; -1 if too long or holding a NUL. */
int	 radius_rd_text(struct rd *v, char *out, size_t cap);
/* Filter-Id "name.in" / "name.out" into rp; -1 if neither. */
int	 radius_parse_filter(struct auth_reply *rp, const char *text);
/* A Class value appended to rp's. */
void	 radius_add_class(struct auth_reply *rp, struct rd *v);
/* A Vendor-Specific value into rp; *unknown set for vendors or types
 * we do not know; -1 if malformed. */
int	 radius_parse_vsa(struct rd *v, struct auth_reply *rp, int *unknown);
/* Attribute writers; a value over 253 octets sets w->err. */
void	 radius_put_attr(struct wr *w, uint8_t type, const void *v, size_t n);
void	 radius_put_u32(struct wr *w, uint8_t type, uint32_t v);
void	 radius_put_addr(struct wr *w, uint8_t type, in_addr_t a);
/* A text attribute, cut at 253 octets; nothing when empty. */
void	 radius_put_str(struct wr *w, uint8_t type, const char *s);
/* A Vendor-Specific attribute holding one sub-attribute (RFC 2865 5.26). */
void	 radius_put_vsa(struct wr *w, uint32_t vendor, uint8_t vtype,
	    const void *v, size_t n);
/* At log level 5: a packet's attributes by name (passwords hidden). */
void	 radius_log_packet(uint32_t sid, const char *dir,
	    const uint8_t *pkt, size_t len);
/* The attributes of an Access-Accept/Reject into rp (ok untouched);
 * RAD_OK or RAD_E_VALUE. */
int	 radius_parse_reply(const uint8_t *pkt, size_t len,
	    struct auth_reply *rp);
/*
 * One datagram to the DAE port from `from`: checks it, acts on it and
 * writes the answer to reply.  Returns the answer's length, 0 when the
 * request is dropped silently.
 */
size_t	 radius_dae_input(const uint8_t *pkt, size_t n,
	    const struct sockaddr_in *from, uint8_t *reply, size_t cap);
/* The Request Authenticator of the request in `slot` (tests, fuzzing
 * and the CLI's debugging); -1 if the slot is free. */
int	 radius_request_authenticator(uint32_t slot, uint8_t out[16]);
/*
 * One datagram on client socket `sock`: a reply to one of our
 * requests.  Returns RAD_OK when it was accepted.
 */
int	 radius_reply_input(int sock, const uint8_t *pkt, size_t n,
	    const struct sockaddr_in *from);

#endif /* L2TPNS_RADIUS_H */
