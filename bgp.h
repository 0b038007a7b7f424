/*
 * bgp.h - the BGP-4 speaker (bgp.c, bgp_msg.c): announce-only, to every
 * configured neighbour (manual, "Routing" and "BGP").
 *
 * The daemon side: bgp_init() at startup, bgp_reload() after the
 * configuration changed (HUP, CLI), bgp_close() at exit.  The cluster
 * calls bgp_set_announce(); the CLI calls bgp_suspend(), bgp_restart()
 * and bgp_show().
 *
 * The codec (bgp_check_header, bgp_parse_open, bgp_parse_update and
 * bgp_parse_notification, in bgp_msg.c) is exported for the unit test
 * and the fuzz target; it keeps no state.
 */
#ifndef L2TPNS_BGP_H
#define L2TPNS_BGP_H

#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#include "config.h"

/* RFC 4271 4.1 */
#define BGP_HDR_LEN		19
#define BGP_MAX_LEN		4096
#define BGP_VERSION		4
#define BGP_AS_TRANS		23456	/* RFC 6793 9 */

enum bgp_msg_type {
	BGP_OPEN = 1,
	BGP_UPDATE = 2,
	BGP_NOTIFICATION = 3,
	BGP_KEEPALIVE = 4,
	BGP_ROUTE_REFRESH = 5,		/* RFC 2918 3 */
};

/* RFC 4271 4.5 error codes; subcodes in 6.1-6.7, RFC 4486, RFC 6608. */
#define BGP_ERR_HEADER		1
#define  BGP_HDR_SYNC		1
#define  BGP_HDR_LENGTH		2
#define  BGP_HDR_TYPE		3
#define BGP_ERR_OPEN		2
#define  BGP_OPEN_VERSION	1
#define  BGP_OPEN_PEER_AS	2
#define  BGP_OPEN_BGP_ID	3
#define  BGP_OPEN_OPT_PARAM	4
#define  BGP_OPEN_HOLD		6
#define BGP_ERR_UPDATE		3
#define  BGP_UPD_ATTR_LIST	1
#define  BGP_UPD_UNKNOWN_WK	2
#define  BGP_UPD_MISSING_WK	3
#define  BGP_UPD_FLAGS		4
#define  BGP_UPD_LENGTH		5
#define  BGP_UPD_ORIGIN		6
#define  BGP_UPD_NEXT_HOP	8
#define  BGP_UPD_OPTIONAL	9
#define  BGP_UPD_NETWORK	10
#define  BGP_UPD_AS_PATH	11
#define BGP_ERR_HOLD		4
#define BGP_ERR_FSM		5
#define BGP_ERR_CEASE		6
#define  BGP_CEASE_SHUTDOWN	2	/* RFC 4486 3 */
#define  BGP_CEASE_DECONFIG	3
#define  BGP_CEASE_RESET	4
#define  BGP_CEASE_CONFIG	6
#define  BGP_CEASE_RESOURCES	8

/* A NOTIFICATION to send: code, subcode and data (RFC 4271 4.5). */
struct bgp_err {
	uint8_t		code, sub;
	uint8_t		dlen;
	uint8_t		data[64];
};

/* What a received OPEN said (RFC 4271 4.2, RFC 5492 capabilities). */
struct bgp_open {
	uint8_t		version;
	uint32_t	as;		/* AS4 capability, else My AS */
	uint16_t	hold;
	uint32_t	id;		/* network order */
	unsigned	cap_mp4:1, cap_mp6:1, cap_rr:1, cap_as4:1, cap_gr:1,
			cap_any_mp:1;
	uint16_t	gr_time;	/* RFC 4724 3: Restart Time */
};

/* RFC 4760 address families; `af` below is 4 or 6. */
#define BGP_AFI_IPV4		1
#define BGP_AFI_IPV6		2
#define BGP_SAFI_UNICAST	1

/* One received prefix: announced (1) or withdrawn (0). */
typedef void (*bgp_prefix_fn)(void *arg, int announce, int af,
    const uint8_t *addr, int plen);

/*
 * Check the 19-octet header of a message that starts at `msg` with
 * `have` bytes available (RFC 4271 6.1).  Returns the message length
 * (>= 19) and its type in *type once the header is there, 0 when fewer
 * than 19 bytes are available, -1 with `e` filled on a bad marker,
 * length or type.
 */
int	 bgp_check_header(const uint8_t *msg, size_t have, uint8_t *type,
	    struct bgp_err *e);
/* OPEN body (after the header): 0, or -1 with the NOTIFICATION in `e`. */
int	 bgp_parse_open(const uint8_t *body, size_t len, uint32_t remote_as,
	    struct bgp_open *, struct bgp_err *e);
/*
 * UPDATE body: every prefix announced or withdrawn goes to `fn`.
 * Returns 0, 1 when RFC 7606 "treat-as-withdraw" applied (the
 * announced prefixes were reported as withdrawn, `e` says why), or -1
 * with the NOTIFICATION in `e` (the session must be reset).
 * `as4`: AS numbers are 4 octets (RFC 6793); `ebgp` for checks that
 * only apply to external peers.
 */
int	 bgp_parse_update(const uint8_t *body, size_t len, int as4, int ebgp,
	    bgp_prefix_fn fn, void *arg, struct bgp_err *e);
/* NOTIFICATION body: code and subcode; -1 if shorter than 2 octets. */
int	 bgp_parse_notification(const uint8_t *body, size_t len,
	    uint8_t *code, uint8_t *sub);
/* Names for the log: "Established", "UPDATE message error/Invalid ORIGIN". */
const char *bgp_error_name(uint8_t code, uint8_t sub);

/* ---- the speaker ---- */

enum bgp_state {
	BGP_ST_IDLE = 0,
	BGP_ST_CONNECT,
	BGP_ST_ACTIVE,
	BGP_ST_OPENSENT,
	BGP_ST_OPENCONFIRM,
	BGP_ST_ESTABLISHED,
};

struct pool_file;

/* Start the configured neighbours; `pool` gives the blocks to announce. */
int	 bgp_init(const struct pool_file *pool);
/* The configuration changed: add, remove or restart neighbours. */
void	 bgp_reload(void);
/*
 * Exit.  `graceful`: when graceful restart is configured and the peer
 * offered it, close the TCP sessions without a NOTIFICATION, so that the
 * routers keep our routes for bgp_graceful_restart seconds (RFC 4724
 * 4.2); otherwise send Cease/Administrative Shutdown.
 */
void	 bgp_close(int graceful);
/*
 * Cluster rule (manual, "Clustering"): 1 = announce (a stand-alone node,
 * an up-to-date slave), 0 = withdraw everything but keep the sessions
 * (a master with enough slaves).  The default is 1.
 */
void	 bgp_set_announce(int on);
/*
 * A clustered node's own address (cluster.c): our BGP Identifier, which
 * must differ between the nodes (RFC 6286 2.1: unique within an AS for
 * iBGP) although they share bind_address.  0: none (stand-alone).
 */
void	 bgp_set_router_id(uint32_t addr);
/* CLI: suspend bgp (1) / no suspend bgp (0): the same, by hand. */
void	 bgp_suspend(int on);
/* CLI: restart bgp [PEER]: Cease/Administrative Reset, reconnect now.
 * Returns the number of peers restarted (0: no such peer). */
int	 bgp_restart(const char *peer);
/*
 * show bgp [PEER] [json]: text lines (or one JSON object) to `out`.
 * Returns -1 if PEER is given and not configured.
 */
int	 bgp_show(const char *peer, int json,
	    void (*out)(void *, const char *line), void *arg);
/* The state of configured neighbour `name` (tests), or -1. */
int	 bgp_peer_state(const char *name);
const char *bgp_state_name(int state);
/* Routes currently in the announced table (all families). */
uint32_t bgp_route_count(void);

/*
 * The session routes (tables.c calls this through session_route_hook):
 * a route of a session came (add 1) or went.
 */
void	 bgp_session_route(int add, uint32_t sid, int af, const void *addr,
	    int plen);

#endif /* L2TPNS_BGP_H */
