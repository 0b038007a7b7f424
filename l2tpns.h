/*
 * l2tpns.h - shared state of the l2tpns daemon.
 *
 * The only mutable state shared between modules lives here and is declared
 * extern exactly once:
 *   - the running configuration (config.h, `config`);
 *   - the session and tunnel tables, with their lookup indexes (tables.c);
 *   - the global counters.
 * The tables live in one anonymous MAP_SHARED mapping so that a process
 * forked from the daemon (a CLI child, a state dumper) reads live state
 * without copying it.
 *
 * Prototypes are grouped by the file that defines them.
 */
#ifndef L2TPNS_H
#define L2TPNS_H

#include <stdint.h>
#include <stddef.h>
#include <time.h>
#include <netinet/in.h>

#include "config.h"

#define L2TPNS_VERSION		"3.0.0-dev"

/* Default paths; the manual's installation layout. */
#ifndef ETCDIR
#define ETCDIR			"/etc/l2tpns"
#endif
#ifndef LIBDIR
#define LIBDIR			"/usr/lib/l2tpns"
#endif
#define CONFIGFILE		ETCDIR "/startup-config"
#define USERSFILE		ETCDIR "/users"
#define IPPOOLFILE		ETCDIR "/ip_pool"

#define L2TP_PORT		1701
#define NSCTL_PORT		1702

/*
 * Identifiers.
 *
 * A session index (sid_t) and a tunnel index (tid_t) are positions in the
 * tables, 1-based (0 means "none").  They are 32-bit so the tables are not
 * limited to 65535 entries; the 16-bit identifiers seen on the wire by
 * the LAC are separate fields mapped to indexes through hash lookups.
 */
typedef uint32_t sid_t;
typedef uint32_t tid_t;

#define MAXUSER			128
#define MAXHOST			64
#define MAXCALLING		64

enum tunnel_state {
	TUNNEL_FREE = 0,
	TUNNEL_OPENING,
	TUNNEL_OPEN,
	TUNNEL_DYING,
};

struct tunnel {
	enum tunnel_state state;
	uint16_t	far_id;		/* peer's Assigned Tunnel ID */
	uint16_t	local_id;	/* our Assigned Tunnel ID (wire) */
	struct sockaddr_in peer;	/* LAC address and port */
	char		hostname[MAXHOST];
	char		vendor[MAXHOST];
	uint16_t	firmware;
	uint16_t	peer_rws;
	uint32_t	framing_cap, bearer_cap;
	uint8_t		tie_breaker[8];
	uint8_t		have_tie_breaker;
	uint32_t	sessions;	/* sessions open on this tunnel */
	time_t		opened;
	time_t		last_rx;
	tid_t		next_free;	/* free list link while FREE */
};

enum session_state {
	SESSION_FREE = 0,
	SESSION_OPENING,
	SESSION_OPEN,
	SESSION_CLOSING,
};

struct session {
	enum session_state state;
	tid_t		tunnel;
	uint16_t	far_id;		/* peer's Assigned Session ID */
	uint16_t	local_id;	/* our Assigned Session ID (wire) */
	char		user[MAXUSER];
	char		calling[MAXCALLING];	/* Calling-Number: "CLI" column */
	char		called[MAXCALLING];
	uint32_t	tx_speed, rx_speed;	/* connect speeds, bit/s */
	uint32_t	framing;
	in_addr_t	ip;		/* network byte order; 0 = none */
	time_t		opened;
	time_t		last_packet;
	uint64_t	cin, cout;	/* octets in/out */
	uint64_t	pin, pout;	/* packets in/out */
	uint8_t		intercept, throttle, walled_garden, ipv6;
	sid_t		next_free;	/* free list link while FREE */
};

/*
 * Counters shown by "show counters"; plain uint64_t, only the main loop
 * writes them.
 */
struct counters {
	uint64_t	loops;
	uint64_t	events;
	uint64_t	multi_read_used;
	uint64_t	multi_read_exceeded;
	uint64_t	timers_fired;
	uint64_t	tun_rx_packets, tun_rx_bytes, tun_rx_errors;
	uint64_t	tun_tx_packets, tun_tx_bytes, tun_tx_errors;
	uint64_t	config_reloads, config_reload_errors;
	/* L2TP */
	uint64_t	l2tp_rx_packets, l2tp_ctrl_rx, l2tp_ctrl_tx, l2tp_tx_errors;
	uint64_t	l2tp_zlb_rx, l2tp_zlb_tx, l2tp_data_rx;
	uint64_t	l2tp_retransmits, l2tp_rtx_timeouts, l2tp_out_of_order;
	uint64_t	l2tp_dead_peers, l2tp_auth_failures;
	uint64_t	l2tp_ctrl_rx_type[17];
	uint64_t	l2tp_drops[16];
	uint64_t	tunnels_created, tunnels_cleared;
	uint64_t	sessions_created, sessions_cleared;
};

/* l2tpns.c */
extern struct counters *stats;
extern const char *progname;
extern int main_quit;		/* 1 = TERM/INT (leave sessions), 2 = QUIT */

/* tables.c */
struct tables {
	uint32_t	max_sessions;
	uint32_t	max_tunnels;
	struct session	*session;	/* [max_sessions + 1], index 0 unused */
	struct tunnel	*tunnel;	/* [max_tunnels + 1], index 0 unused */
	uint32_t	sessions_used;
	uint32_t	tunnels_used;
	sid_t		session_free;	/* free list heads */
	tid_t		tunnel_free;
};
extern struct tables *tables;

int		 tables_init(uint32_t max_sessions, uint32_t max_tunnels);
void		 tables_free(void);
sid_t		 session_alloc(void);
void		 session_release(sid_t);
tid_t		 tunnel_alloc(void);
void		 tunnel_release(tid_t);
struct session	*session_get(sid_t);
struct tunnel	*tunnel_get(tid_t);
/* Wire-id indexes: (tunnel index, 16-bit session id) -> session index. */
int		 session_bind_wire(sid_t, uint16_t local_id);
sid_t		 session_by_wire(tid_t, uint16_t local_id);
int		 tunnel_bind_wire(tid_t, uint16_t local_id);
tid_t		 tunnel_by_wire(uint16_t local_id);
/* (LAC address, port, LAC's tunnel id) -> tunnel: spots SCCRQ resends. */
int		 tunnel_bind_peer(tid_t, in_addr_t, uint16_t port, uint16_t far_id);
void		 tunnel_unbind_peer(tid_t);
tid_t		 tunnel_by_peer(in_addr_t, uint16_t port, uint16_t far_id);
/* Address index: longest-prefix match over /32s and routed prefixes. */
int		 session_route_add(sid_t, in_addr_t net, int plen);
int		 session_route_del(sid_t, in_addr_t net, int plen);
sid_t		 session_by_ip(in_addr_t addr);

/* tun.c */
int		 tun_open(char *ifname, size_t ifnamelen);
int		 tun_configure(const char *ifname, in_addr_t addr, int mtu);
int		 tun_set_mtu(const char *ifname, int mtu);
int		 tun_handle_readable(int fd, int budget);

#endif /* L2TPNS_H */
