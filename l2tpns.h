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
#include <netinet/ip6.h>

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
	uint8_t		lac;		/* we opened it, as a LAC (relay) */
};

enum session_state {
	SESSION_FREE = 0,
	SESSION_OPENING,
	SESSION_OPEN,
	SESSION_CLOSING,
};

/* PPP link phases, RFC 1661 3.2 (the CLI's view of a session). */
enum ppp_phase {
	PHASE_DEAD = 0,
	PHASE_ESTABLISH,	/* LCP negotiating */
	PHASE_AUTHENTICATE,	/* PAP/CHAP, or waiting for the backend */
	PHASE_NETWORK,		/* NCPs */
	PHASE_TERMINATE,
};

/* RFC 1661 4.2 automaton states, shared by LCP, IPCP and IPV6CP. */
enum fsm_state {
	ST_INITIAL = 0, ST_STARTING, ST_CLOSED, ST_STOPPED, ST_CLOSING,
	ST_STOPPING, ST_REQ_SENT, ST_ACK_RCVD, ST_ACK_SENT, ST_OPENED
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
	in_addr_t	dns1, dns2;	/* offered by IPCP (RFC 1877) */
	uint8_t		ipv6_ifid[8];	/* peer's IPV6CP interface identifier */
	struct in6_addr	ipv6_prefix;	/* delegated/framed prefix, if any */
	uint8_t		ipv6_prefix_len;
	/* PPP (ppp.c) */
	uint8_t		phase;		/* enum ppp_phase */
	uint8_t		lcp_state, ipcp_state, ipv6cp_state; /* enum fsm_state */
	uint16_t	auth_proto;	/* PPP protocol: 0xc023 PAP, 0xc223 CHAP */
	uint16_t	mru;		/* the peer's MRU (what we may send) */
	uint32_t	magic;		/* our LCP magic number */
	time_t		auth_time;	/* authenticated at */
	uint32_t	session_timeout; /* seconds, 0 = none */
	uint32_t	idle_timeout;	/* seconds, 0 = none */
	uint32_t	echo_fails;	/* unanswered LCP echoes in a row */
	/* Policy (throttle, intercept, garden), kbit/s, 0 = none */
	uint32_t	rate_in, rate_out;
	in_addr_t	snoop_ip;
	uint16_t	snoop_port;
	time_t		opened;
	uint64_t	icrq_ms;	/* now_ms at ICRQ; 0 once IPCP is up */
	time_t		last_packet;
	uint64_t	cin, cout;	/* octets in/out */
	uint64_t	pin, pout;	/* packets in/out */
	uint8_t		intercept, throttle, walled_garden, ipv6;
	/* RADIUS (radius.c) */
	char		acct_session_id[20];	/* RFC 2866 5.5, hex */
	char		filter_in[MAXACLNAME];	/* Filter-Id "NAME.in" */
	char		filter_out[MAXACLNAME];	/* Filter-Id "NAME.out" */
	/* acl.c: the lists those names resolved to, at generation acl_gen;
	 * whoever writes the names sets acl_gen to 0 (look them up again). */
	uint16_t	acl_in, acl_out;
	uint32_t	acl_gen;
	sid_t		next_free;	/* free list link while FREE */
	/* Relay (l2tp.c): the other half of a relayed call, 0 = none.  On
	 * the subscriber's side `relay_out` is 0, on the far LNS's 1. */
	sid_t		relay;
	uint8_t		relay_out;
	uint8_t		client;		/* our PPP client (outgoing L2TP) */
	uint16_t	haset;		/* haset.c: its HA set + 1, 0 = none */
	sid_t		bundle;		/* mlppp.c: master of its bundle, 0 */
};

/*
 * Latency histograms (metrics.c prints them as Prometheus histograms):
 * counts per bucket, not cumulative; upper bounds in milliseconds.
 */
#define LAT_NBUCKETS	12
#define LAT_BOUNDS_MS	5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, \
			10000, 30000
struct lat_hist {
	uint64_t	bucket[LAT_NBUCKETS];
	uint64_t	count;
	uint64_t	sum_us;
};

static inline void
lat_observe_us(struct lat_hist *h, uint64_t us)
{
	static const uint32_t bound[LAT_NBUCKETS] = { LAT_BOUNDS_MS };
	int i;

	for (i = 0; i < LAT_NBUCKETS && us > (uint64_t)bound[i] * 1000; i++)
		;
	if (i < LAT_NBUCKETS)
		h->bucket[i]++;
	h->count++;
	h->sum_us += us;
}

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
	uint64_t	tun_rx_no_session;
	uint64_t	tun_tx_packets, tun_tx_bytes, tun_tx_errors;
	uint64_t	config_reloads, config_reload_errors;
	/* L2TP */
	uint64_t	l2tp_rx_packets, l2tp_ctrl_rx, l2tp_ctrl_tx, l2tp_tx_errors;
	uint64_t	l2tp_zlb_rx, l2tp_zlb_tx, l2tp_data_rx, l2tp_data_tx;
	uint64_t	l2tp_tx_batches;
	uint64_t	l2tp_retransmits, l2tp_rtx_timeouts, l2tp_out_of_order;
	uint64_t	l2tp_dead_peers, l2tp_auth_failures;
	uint64_t	l2tp_setup_timeouts;	/* no SCCCN / ICCN in time */
	uint64_t	l2tp_id_exhausted;	/* no free tunnel/session id */
	uint64_t	l2tp_admission_refused;	/* SCCRQ over the opening limits */
	uint64_t	l2tp_sendq_overflows, l2tp_ooo_overflows;
	uint64_t	l2tp_ctrl_rx_type[17];
	uint64_t	l2tp_drops[16];
	/* PPP */
	uint64_t	ppp_rx_frames, ppp_tx_frames, ppp_bad_frames;
	uint64_t	ppp_proto_rejects_tx, ppp_proto_rejects_rx;
	uint64_t	ppp_discarded;	/* NCP/data before its phase */
	uint64_t	ppp_auth_ok, ppp_auth_failed, ppp_echo_timeouts;
	uint64_t	auth_bad_username;	/* control characters: refused */
	uint64_t	ppp_lcp_up, ppp_ipcp_up, ppp_ipv6cp_up;
	uint64_t	ipv6_ra_sent, ipv6_rs_received;	/* RFC 4861 */
	uint64_t	ip_spoofed, ip_no_pool_address, tcp_mss_clamped;
	uint64_t	icmp_sent, icmp_rate_limited, packet_limit_drops;
	uint64_t	ipv6_garden_drops;	/* IPv6 of a gardened session */
	uint64_t	ip_fragmented, ip_too_big;
	uint64_t	acl_denied_in, acl_denied_out;
	uint64_t	tbf_delayed, tbf_dropped, tbf_no_bucket;
	uint64_t	packets_snooped, snoop_errors;
	uint64_t	arp_sent;
	uint64_t	acctfile_errors;	/* usage files not written */
	uint64_t	acctfile_lost;	/* ended sessions' usage lost */
	uint64_t	route_refused;	/* session routes against the host's */
	uint64_t	cli_accept_errors;	/* accept() failed: EMFILE... */
	uint64_t	tunnels_created, tunnels_cleared;
	uint64_t	sessions_created, sessions_cleared;
	/* relay (issue 23) */
	uint64_t	relay_started, relay_up, relay_failed, relay_packets;
	/* outgoing L2TP (lacout.c, pppc.c) */
	uint64_t	outgoing_attempts, outgoing_up, outgoing_failures;
	uint64_t	outgoing_auth_failures;
	/* nsctl control protocol (control.c) */
	uint64_t	ctl_rx, ctl_tx, ctl_tx_errors;
	uint64_t	ctl_denied;	/* source not in nsctl_allow: no reply */
	uint64_t	ctl_malformed;	/* dropped: sum of ctl_drops */
	uint64_t	ctl_drops[8];	/* by reason, control.h CTL_E_* */
	uint64_t	ctl_retries;	/* a retried request answered again */
	/* RADIUS client and DAE listener (radius.c) */
	uint64_t	radius_auth_tx, radius_acct_tx, radius_retransmits;
	uint64_t	radius_failovers;	/* moved on to the next server */
	uint64_t	radius_timeouts;	/* no server answered: given up */
	uint64_t	radius_accepts, radius_rejects, radius_acct_acks;
	uint64_t	radius_overflow;	/* no free identifier */
	uint64_t	radius_bad_source;	/* reply from an unknown address */
	uint64_t	radius_bad_auth;	/* Response/Message-Authenticator */
	uint64_t	radius_malformed;	/* length or attribute errors */
	uint64_t	radius_unexpected;	/* no request waits for it */
	uint64_t	radius_no_msgauth;	/* Access reply unsigned: dropped */
	uint64_t	radius_stop_queued;	/* Stop waited for an identifier */
	uint64_t	radius_stop_lost;	/* ... and that queue was full */
	uint64_t	radius_queued;		/* waited for radius_window */
	uint64_t	radius_window_full;	/* found its server's window full */
	uint64_t	radius_queue_full;	/* refused: that queue was full */
	uint64_t	dae_rx, dae_bad_source, dae_bad_auth, dae_malformed;
	uint64_t	dae_disconnects, dae_coas, dae_naks, dae_duplicates;
	/* metrics.c: by type, by server, histograms */
	uint64_t	l2tp_ctrl_tx_type[17];	/* first sends, not retransmits */
	uint64_t	fwd_up_packets, fwd_up_bytes;	/* to the TUN device */
	uint64_t	fwd_down_packets, fwd_down_bytes; /* to the LACs */
	struct lat_hist	setup_latency;	/* ICRQ to IPCP up */
	uint64_t	radius_srv_tx[2][5];	/* [server][RQ_* kind] */
	uint64_t	radius_srv_replies[2];
	uint64_t	radius_srv_timeouts[2];	/* all tries to it unanswered */
	struct lat_hist	radius_latency[2];	/* send to reply, per server */
	uint64_t	lcp_echo_sent, lcp_echo_replies;	/* cqm.c */
	struct lat_hist	lcp_echo_rtt;
	/* Data plane system calls and offloads (dataplane.c, tun.c) */
	uint64_t	dp_syscalls;	/* TUN read/write, L2TP data send/recv */
	uint64_t	tun_gso_rx;	/* super-segments read */
	uint64_t	tun_gso_segments;	/* packets cut from them */
	uint64_t	tun_gso_bad;	/* malformed: dropped */
	uint64_t	tun_gro_writes;	/* coalesced writes */
	uint64_t	tun_gro_segments;	/* packets in them */
	uint64_t	udp_gso_sends;	/* messages sent with UDP_SEGMENT */
	uint64_t	udp_gso_segments;	/* datagrams in them */
	uint64_t	udp_gro_rx;	/* coalesced datagrams received */
	uint64_t	udp_gro_segments;	/* datagrams in them */
	uint64_t	tun_uring_submits;	/* io_uring submissions */
	uint64_t	tun_uring_writes;	/* packets written by them */

	uint64_t	dae_stale;	/* Event-Timestamp missing or old */
	/* Multilink PPP (mlppp.c, mpreasm.c) */
	uint64_t	mp_bundles, mp_joins;
	uint64_t	mp_tx_fragments, mp_tx_whole, mp_tx_dropped;
	uint64_t	mp_rx_fragments, mp_rx_frames, mp_rx_lost;
	uint64_t	mp_rx_discarded, mp_rx_overflow, mp_rx_late;
	uint64_t	mp_rx_bad, mp_rx_too_big;
	/* HA sets (haset.c) */
	uint64_t	haset_sets, haset_joins, haset_handovers;
	uint64_t	haset_copies_tx, haset_dups_rx;
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
/* The highest session index ever handed out: entries above it are
 * untouched (loops over every session may stop there). */
sid_t		 tables_session_hwm(void);
void		 tunnel_release(tid_t);
struct session	*session_get(sid_t);
struct tunnel	*tunnel_get(tid_t);
/*
 * An entry that comes from outside this process (a cluster heartbeat, the
 * state file), before it is written into the tables: its enumerations in
 * range, its strings terminated, the links and derived state of the
 * previous owner cleared.  0, or -1 (to be dropped).  A free entry passes.
 */
int		 session_record_check(struct session *);
int		 tunnel_record_check(struct tunnel *);
/* Wire-id indexes: (tunnel index, 16-bit session id) -> session index. */
int		 session_bind_wire(sid_t, uint16_t local_id);
sid_t		 session_by_wire(tid_t, uint16_t local_id);
int		 tunnel_bind_wire(tid_t, uint16_t local_id);
tid_t		 tunnel_by_wire(uint16_t local_id);
/* (LAC address, port, LAC's tunnel id) -> tunnel: spots SCCRQ resends. */
int		 tunnel_bind_peer(tid_t, in_addr_t, uint16_t port, uint16_t far_id);
void		 tunnel_unbind_peer(tid_t);
tid_t		 tunnel_by_peer(in_addr_t, uint16_t port, uint16_t far_id);
/*
 * cluster.c: a slave writes replicated entries in place.  It takes them
 * out of the wire-id indexes itself, marks the free lists stale (rebuilt
 * at the next allocation or when it becomes master) and is told of every
 * change a master makes through the alloc/release/bind/route functions.
 */
void		 session_unbind_wire(sid_t);
void		 tunnel_unbind_wire(tid_t);
void		 tables_mark_stale(void);
/* cluster.c wrote entry idx (a tunnel's if `tunnel`) in place: stale,
 * and the high-water mark covers it. */
void		 tables_written(int tunnel, uint32_t idx);
void		 tables_rebuild_free(void);
void		 tables_set_hook(void (*fn)(int tunnel, uint32_t idx,
		    int created));
/* Address index: longest-prefix match over /32s and routed prefixes. */
int		 session_route_add(sid_t, in_addr_t net, int plen);
int		 session_route_del(sid_t, in_addr_t net, int plen);
/*
 * Called after a session route (IPv4 or IPv6,
 * af 4 or 6, address in network order) enters (add 1) or leaves the
 * index; the BGP speaker sets it.
 */
typedef void (*session_route_fn)(int add, uint32_t sid, int af,
    const void *net, int plen);
extern session_route_fn session_route_hook;
sid_t		 session_by_ip(in_addr_t addr);
/*
 * Every IPv4 destination in the index ("show ipcache"): fn(net, plen,
 * sid, arg), net in network order, in the hash's order.  A forked
 * reader walks the shared entries as they are: an entry moved while it
 * reads may be missed or seen twice.  Returns how many were handed.
 */
uint32_t	 session_ip_walk(void (*fn)(in_addr_t net, int plen, sid_t,
		    void *), void *arg);
/*
 * IPv6 prefixes of sessions, lengths 1..64 (only the first 64 bits count):
 * longest-prefix match; -1 with EEXIST when another session has it.
 */
int		 session_route6_add(sid_t, const struct in6_addr *net, int plen);
int		 session_route6_del(sid_t, const struct in6_addr *net, int plen);
sid_t		 session_by_ip6(const struct in6_addr *addr);

/*
 * pool.c: the IPv4 address pool, in shared memory so that "show pool"
 * in a CLI child reads it live.  Free addresses wait in a FIFO (the
 * longest-free address is handed out first) so that a user who comes
 * back soon finds their last address still free and gets it again.
 */
struct pool_addr {
	in_addr_t	ip;		/* network byte order */
	sid_t		sid;		/* holder, 0 = free */
	uint32_t	prev, next;	/* free FIFO links (index + 1) */
	time_t		released;	/* when it was last freed */
	char		user[MAXUSER];	/* last holder */
};
struct ippool {
	uint32_t	n, used;
	uint32_t	head, tail;	/* free FIFO (index + 1) */
	struct pool_addr a[];
};
extern struct ippool *ippool;

int		 ippool_init(const struct pool_file *, uint32_t max);
/* An address for `user`: their last one when it is free, else the oldest. */
in_addr_t	 ippool_alloc(sid_t, const char *user);
/* A given address (RADIUS, local file): 0, or -1 if held by another. */
int		 ippool_take(sid_t, in_addr_t, const char *user);
void		 ippool_release(in_addr_t);
/* Index of an address in the pool, or -1. */
int64_t		 ippool_find(in_addr_t);
/* The holder of a pool address changes from `from` to `to` (HA sets). */
void		 ippool_move(in_addr_t, sid_t from, sid_t to);

/* ppp.c */
/* An incoming call is connected (ICCN): start LCP. */
void		 ppp_session_start(sid_t);
/* One PPP frame from an L2TP data message (address/control optional). */
void		 ppp_input(sid_t, const uint8_t *frame, size_t len);
/* cluster.c, a new master: PPP state for an inherited session that is
 * up; 1 if taken over, 0 if it is not up (still negotiating). */
int		 ppp_adopt(sid_t);
/* The L2TP session is going away: stop timers, release the address. */
void		 ppp_session_end(sid_t);
/*
 * Administrative drop ("drop session", nsctl, plugins, timeouts): LCP
 * Terminate-Request, then CDN with result 3 (administrative).  `reason`
 * goes to the log and the CDN's error message.
 */
void		 session_shutdown(sid_t, const char *reason);
const char	*ppp_phase_name(int phase);
/* session_timeout / idle_timeout changed (CoA): re-arm the timer. */
void		 ppp_limits_changed(sid_t);
/* An authenticated session of `user` that is not closing, or 0
 * (session.c; session.h has the other session functions). */
sid_t		 session_by_user(const char *user);
int		 ppp_init(uint32_t max_sessions);
/* A PPP frame of `proto` with `len` bytes of payload, now. */
void		 ppp_send(sid_t, uint16_t proto, const uint8_t *data,
		    size_t len);
/* The IP MTU of s's link: the smaller of the two MRUs. */
uint16_t	 ppp_link_mtu(sid_t);
/* Whether IPCP (proto 0x0021) or IPV6CP (0x0057) is Opened. */
int		 ppp_ncp_opened(sid_t, uint16_t proto);
/*
 * s's call ends: 1 when s is a multilink bundle's master that stays,
 * without a link, for the bundle's other links (l2tp.c then drops the
 * call alone and keeps the session).
 */
int		 ppp_link_detach(sid_t);
/* A frame rebuilt from a multilink bundle's fragments (mlppp.c), for
 * its master session: Protocol field and Information. */
void		 ppp_bundle_input(sid_t master, const uint8_t *frame,
		    size_t len);
const char	*fsm_state_name(int state);

/* plugin.c: the daemon side of plugin.h (include it for the events) */
struct plugin_info {
	const char	*name;
	const char	*path;
	int		 from_config;	/* loaded for a `load plugin` line */
	uint32_t	 events;	/* bit per enum plugin_event hooked */
};
extern unsigned char plugin_hooked[];	/* per event: some plugin hooks it */
int		 plugin_run_hooks(int event, void *params);
/*
 * Run the hooks of `event` in load order (plugin.h has the semantics);
 * returns the first result other than PLUGIN_RET_OK, else PLUGIN_RET_OK.
 * When no plugin hooks the event this is one test and no call.
 */
#define plugin_run(event, params) (plugin_hooked[(event)] ?		\
	plugin_run_hooks((event), (params)) : PLUGIN_RET_OK)
/* Load or unload PLUGIN_DIR/NAME.so now; -1 with the reason in err. */
int		 plugin_load(const char *name, char *err, size_t errlen);
int		 plugin_unload(const char *name, char *err, size_t errlen);
/* Sync the loaded plugins with config->plugins (startup, reload). */
void		 plugin_config_apply(void);
void		 plugin_unload_all(void);
/* Loaded plugin number i (0-based, load order); -1 past the last. */
int		 plugin_get_info(int i, struct plugin_info *);
void		 plugin_help_lines(void (*fn)(void *, const char *plugin,
		    const char *line), void *arg);
const char	*plugin_event_name(int event);
void		 plugin_second(void);	/* the timer event, once a second */

/* control.c: the nsctl control protocol (UDP nsctl_port) */
int		 control_init(void);
void		 control_close(void);

/* cli.c */
/*
 * Listen on cli_bind_address:cli_port (loopback when no user can log in);
 * a forked child serves each connection.  The pointers stay valid for the
 * daemon's life: `users` is reloaded in place on HUP.
 */
int		 cli_setup(const char *config_path, const struct users *,
		    const struct pool_file *, time_t started);
/* HUP: follow the users file (listener moves to or from loopback). */
void		 cli_reload(void);

/* tun.c */
int		 tun_open(char *ifname, size_t ifnamelen);
int		 tun_configure(const char *ifname, in_addr_t addr, int mtu);
int		 tun_set_mtu(const char *ifname, int mtu);
int		 tun_write(const uint8_t *, size_t);
/* With a virtio-net header (struct virtio_net_hdr; NULL: a plain one). */
int		 tun_write_vnet(const void *vh, const uint8_t *, size_t);
/* The virtio-net header's size in front of every packet, or 0. */
int		 tun_vnet(void);
/* Tests and fuzzers: fd as the device, with a vnet header or not. */
void		 tun_attach(int fd, int vnet);
/* tun_uring: queue a packet (kept valid until the flush), then flush. */
int		 tun_uring_init(void);
int		 tun_write_queued(const uint8_t *, size_t);
void		 tun_uring_flush(void);
/* A packet to pool address `dst` that no session has: ICMP host
 * unreachable, rate-limited by icmp_rate. */
void		 tun_unreachable(const uint8_t *pkt, size_t len, in_addr_t dst);
int		 tun_route(int add, in_addr_t net, int plen);
/* Outgoing L2TP (lacout.c): a route with a preferred source, and our
 * PPP client's address as a /32 on the device. */
int		 tun_route_src(int add, in_addr_t net, int plen, in_addr_t src);
int		 tun_addr4(int add, in_addr_t addr);
int		 tun_route6(int add, const struct in6_addr *net, int plen);
/* ipv6_prefix's first 64 bits and ::1 on the device, as a /128. */
int		 tun_addr6(const struct in6_addr *prefix);
void		 tun_add_pool_routes(const struct pool_file *);
void		 tun_watch(void);	/* routes back when the device is up */
int		 tun_routed(in_addr_t);
/* ICMP destination unreachable `code` about an IPv4 packet, to its source. */
void		 tun_icmp_error(const uint8_t *pkt, size_t len, uint8_t code,
		    uint16_t mtu);
/* garp.c: a gratuitous ARP for `addr` on the interface holding it. */
int		 send_garp(in_addr_t addr);
/* Bytes kept free before each packet read from the tun device. */
#define TUN_HEADROOM	16

#endif /* L2TPNS_H */
