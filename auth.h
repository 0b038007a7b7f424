/*
 * auth.h - the authentication backend interface between PPP and
 * whatever checks a subscriber's credentials.
 *
 * PPP (ppp.c) fills a `struct auth_req` after PAP or CHAP and calls
 * auth_submit(); the answer comes back, possibly later, through
 * ppp_auth_done().  Today's backends: RADIUS when `primary_radius` is
 * set (radius.c, issue "RADIUS"), otherwise the local file
 * `local_auth_file` (this file's auth.c).
 */
#ifndef L2TPNS_AUTH_H
#define L2TPNS_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "l2tpns.h"
#include "mschap.h"

#define PPP_PAP		0xc023
#define PPP_CHAP	0xc223

struct auth_req {
	sid_t		sid;
	uint16_t	proto;		/* PPP_PAP or PPP_CHAP */
	char		user[MAXUSER];
	uint8_t		password[256];	/* PAP */
	size_t		password_len;
	uint8_t		chap_id;	/* CHAP-MD5, RFC 1994 */
	uint8_t		challenge[32];
	size_t		challenge_len;
	uint8_t		response[16];
	/* MS-CHAPv2 (RFC 2759) when chap_alg is CHAP_ALG_MSCHAPV2: the
	 * challenge above is the authenticator's 16 octets. */
	uint8_t		chap_alg;	/* CHAP_ALG_MD5 (0 too) or _MSCHAPV2 */
	uint8_t		ms_peer_chal[16];
	uint8_t		ms_nt_resp[24];
	uint8_t		ms_flags;
};

#define AUTH_MAX_ROUTES		8	/* Framed-Route attributes kept */
#define AUTH_MAX_AVPAIRS	16	/* Cisco-AVPair attributes kept */
#define AUTH_CLASS_MAX		512	/* octets of Class attributes kept */

struct auth_route {
	in_addr_t	net;		/* network order */
	uint8_t		plen;
};

/*
 * One tunnel of an Access-Accept (RFC 2868): the attributes sharing a
 * tag.  Relaying (l2tp.c) uses those of type L2TP over IPv4 with a
 * server endpoint, in order of preference.
 */
#define AUTH_MAX_TUNNELS	4
#define AUTH_TUNNEL_TEXT	64
struct auth_tunnel {
	uint8_t		tag;		/* 0..31, RFC 2868 3.1 */
	uint8_t		type;		/* Tunnel-Type, 3 = L2TP */
	uint8_t		medium;		/* Tunnel-Medium-Type, 1 = IPv4 */
	uint8_t		has_password;
	uint32_t	preference;	/* Tunnel-Preference, 0 = none */
	in_addr_t	endpoint;	/* Tunnel-Server-Endpoint */
	uint16_t	port;		/* its ":port", 0 = 1701 */
	char		password[AUTH_TUNNEL_TEXT];	/* decrypted */
	char		assignment[AUTH_TUNNEL_TEXT];	/* Tunnel-Assignment-Id */
	char		client_auth[AUTH_TUNNEL_TEXT];	/* Tunnel-Client-Auth-Id */
	/* the salt-encrypted Tunnel-Password until radius.c decrypts it */
	uint8_t		pw_enc[AUTH_TUNNEL_TEXT * 2];
	uint8_t		pw_enc_len;
};

struct auth_avpair {
	char		key[64];	/* Cisco-AVPair "key=value", split */
	char		value[248];
};

/*
 * The backend's answer.  ppp.c reads ok, msg, ip, dns1/2 and the
 * timeouts; the rest comes from RADIUS (radius.c applies it to the
 * session itself and keeps what only accounting needs).
 */
struct auth_reply {
	int		ok;
	char		msg[128];	/* to the subscriber (PAP/CHAP message) */
	in_addr_t	ip;		/* fixed address, 0 = from the pool */
	in_addr_t	dns1, dns2;	/* 0 = the configured ones */
	uint32_t	session_timeout, idle_timeout;
	/* RADIUS (RFC 2865 5, RFC 2866, RFC 2869 5.16, RFC 3162, RFC 4818) */
	uint8_t		has_session_timeout;	/* even when 0 */
	in_addr_t	netmask;		/* Framed-IP-Netmask, 0 = none */
	uint32_t	interim;		/* Acct-Interim-Interval, 0 = none */
	char		filter_in[MAXACLNAME];	/* Filter-Id "NAME.in" */
	char		filter_out[MAXACLNAME];	/* Filter-Id "NAME.out" */
	uint8_t		nroutes;
	struct auth_route route[AUTH_MAX_ROUTES];
	struct in6_addr	ipv6_prefix;		/* Framed-IPv6-Prefix */
	uint8_t		ipv6_prefix_len;	/* 0 = none */
	struct in6_addr	delegated_prefix;	/* Delegated-IPv6-Prefix */
	uint8_t		delegated_len;		/* 0 = none */
	uint8_t		class[AUTH_CLASS_MAX];	/* Class attributes, whole */
	uint16_t	class_len;
	uint8_t		navpairs;
	struct auth_avpair avpair[AUTH_MAX_AVPAIRS];
	/* MS-CHAPv2: the authenticator response "S=..." (RFC 2759 5; from
	 * MS-CHAP2-Success, RFC 2548 2.3.3, or computed for local users),
	 * and the server's Failure text (MS-CHAP-Error, RFC 2548 2.1.5). */
	char		ms_success[64];
	char		ms_error[128];
	uint8_t		ntunnels;	/* RFC 2868 tunnels, by tag */
	struct auth_tunnel tunnel[AUTH_MAX_TUNNELS];
};

/* Start checking; the reply arrives through ppp_auth_done(). */
void	 auth_submit(const struct auth_req *);
/* Cancel a pending check (the session went away). */
void	 auth_cancel(sid_t);
/* (Re)read local_auth_file; returns the number of errors, -1 if absent. */
int	 local_auth_load(const char *path, void (*err)(void *, const char *),
	    void *arg);
/* Check against the loaded file (exposed for tests and fuzzing). */
void	 local_auth_check(const struct auth_req *, struct auth_reply *);
/* CHAP-MD5 response: MD5(id || secret || challenge), RFC 1994 4.1. */
void	 chap_md5(uint8_t id, const uint8_t *secret, size_t secret_len,
	    const uint8_t *chal, size_t chal_len, uint8_t out[16]);

/* Accounting (RFC 2866) follows the sessions through session.h: radius.c
 * subscribes to their UP, UNGARDENED and DOWN. */

/* Acct-Terminate-Cause values, RFC 2866 5.10 */
#define TERM_USER_REQUEST	1
#define TERM_LOST_CARRIER	2
#define TERM_LOST_SERVICE	3
#define TERM_IDLE_TIMEOUT	4
#define TERM_SESSION_TIMEOUT	5
#define TERM_ADMIN_RESET	6
#define TERM_ADMIN_REBOOT	7
#define TERM_PORT_ERROR		8
#define TERM_NAS_ERROR		9
#define TERM_NAS_REQUEST	10

/* ppp.c */
/* Like session_shutdown(), with the Acct-Terminate-Cause to report. */
void	 session_shutdown_cause(sid_t, int terminate_cause, const char *reason);
/* The same without the LCP Terminate-Request: the call is cleared now. */
void	 session_kill_cause(sid_t, int terminate_cause, const char *reason);
void	 ppp_auth_done(sid_t, const struct auth_reply *);

#endif /* L2TPNS_AUTH_H */
