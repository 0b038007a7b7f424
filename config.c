/*
 * config.c - startup-config, users and ip_pool parsers; the directive
 * table.  The config printer ("show running-config", "write memory")
 * is cfgprint.c.
 *
 * State owned: none besides the `config` pointer (the running config,
 * swapped by l2tpns.c after a successful load).
 *
 * The startup-config is a list of configuration-mode commands, one per
 * line (manual, "startup-config"):
 *	set KEY VALUE
 *	load plugin NAME / remove plugin NAME
 *	router bgp AS, then neighbour lines
 *	ip access-list {standard|extended} NAME, then permit/deny lines
 *	setforward MASK IP PORT SECRET
 * Comments start with '#' or '!'.  Older editions' keys (cleanup_interval,
 * as_number, bgp_peerN, snoop_host...) are accepted.
 */
#include <arpa/inet.h>
#include <crypt.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "util.h"

#define F(field) offsetof(struct config, field), sizeof(((struct config *)0)->field)

static int legacy_as_number(struct config *, const char *, char *, size_t);
static int legacy_bgp_peer1(struct config *, const char *, char *, size_t);
static int legacy_bgp_peer2(struct config *, const char *, char *, size_t);
static int legacy_bgp_peer1_as(struct config *, const char *, char *, size_t);
static int legacy_bgp_peer2_as(struct config *, const char *, char *, size_t);

/*
 * Every `set` directive.  Defaults are given in file syntax so that the
 * table is also the documentation of the defaults (Docs/manual.md lists
 * the same).  Keep alphabetical order within a group.
 */
static const struct cfg_directive directives[] = {
	/* logging and process */
	{ "debug", CT_INT, F(debug), 0, 5, 0, "0",
	    "log level: 0 critical .. 5 packets" },
	{ "log_file", CT_STRING, F(log_file), 0, 0, 0, "",
	    "log file path, or syslog:FACILITY; empty = stdout" },
	{ "pid_file", CT_STRING, F(pid_file), 0, 0, CF_RESTART, "",
	    "write the process id here (absolute path)" },
	{ "random_device", CT_STRING, F(random_device), 0, 0, 0, "/dev/urandom",
	    "random source; empty = random(3)" },
	{ "setuid", CT_INT, F(setuid), 0, INT_MAX, CF_RESTART, "0",
	    "drop to this uid after binding privileged resources (0 = stay root)" },
	{ "scheduler_fifo", CT_BOOL, F(scheduler_fifo), 0, 0, CF_RESTART, "no",
	    "run with SCHED_FIFO (ignored on one CPU)" },
	{ "lock_pages", CT_BOOL, F(lock_pages), 0, 0, CF_RESTART, "no",
	    "mlockall() the process" },
	{ "multi_read_count", CT_INT, F(multi_read_count), 1, 1024, 0, "10",
	    "packets read from one ready fd per loop turn" },
	{ "hostname", CT_STRING, F(hostname), 0, 0, 0, "",
	    "name sent to LACs and shown in the CLI prompt; empty = system hostname" },
	{ "users_file", CT_STRING, F(users_file), 0, 0, 0, "/etc/l2tpns/users",
	    "CLI users file" },
	{ "local_auth_file", CT_STRING, F(local_auth_file), 0, 0, 0,
	    "/etc/l2tpns/subscribers",
	    "subscribers authenticated locally when no RADIUS server is set" },
	{ "ip_pool_file", CT_STRING, F(ip_pool_file), 0, 0, CF_RESTART,
	    "/etc/l2tpns/ip_pool", "address pool file" },
	{ "plugin_dir", CT_STRING, F(plugin_dir), 0, 0, CF_RESTART | CF_NOSET,
	    "/usr/lib/l2tpns",
	    "directory of NAME.so plugins (root's alone; startup-config only)" },
	{ "max_sessions", CT_INT, F(max_sessions), 1, 16777215, CF_RESTART,
	    "65535", "session table size" },
	{ "max_tunnels", CT_INT, F(max_tunnels), 1, 65535, CF_RESTART, "65535",
	    "tunnel table size" },
	{ "max_sessions_per_tunnel", CT_INT, F(max_sessions_per_tunnel), 0,
	    65535, 0, "0", "calls accepted on one tunnel (0 = no limit)" },

	/* L2TP */
	{ "l2tp_secret", CT_STRING, F(l2tp_secret), 0, 0, CF_SECRET, "",
	    "tunnel authentication secret (RFC 2661 5.1.1)" },
	{ "l2tp_mtu", CT_INT, F(l2tp_mtu), 576, 9000, CF_NEWSESS, "1500",
	    "MTU of the path to the LAC; sets MRU and TCP MSS" },
	{ "bind_address", CT_IPV4, F(bind_address), 0, 0, CF_RESTART, "0.0.0.0",
	    "address of the tun device and of the L2TP socket (0.0.0.0: tun gets 1.1.1.1)" },
	{ "l2tp_port", CT_SHORT, F(l2tp_port), 1, 65535, CF_RESTART, "1701",
	    "UDP port of the L2TP listener" },
	{ "hello_interval", CT_INT, F(hello_interval), 0, 3600, 0, "60",
	    "seconds of tunnel silence before a HELLO is sent (0 = never)" },
	{ "l2tp_max_retries", CT_INT, F(l2tp_max_retries), 1, 20, 0, "5",
	    "transmissions of a control message before the tunnel is cleared" },
	{ "dead_peer_hellos", CT_INT, F(dead_peer_hellos), 0, 100, 0, "3",
	    "clear a tunnel silent for this many hello intervals (0 = never)" },
	{ "disable_sending_hello", CT_BOOL, F(disable_sending_hello), 0, 0, 0, "no",
	    "never send HELLO" },
	{ "bind_multi_address", CT_STRING, F(bind_multi_address), 0, 0,
	    CF_UNSUPPORTED, "",
	    "2.x: comma list of L2TP listen addresses; not supported: L2TP "
	    "listens on bind_address only" },
	{ "multi_hostname", CT_STRING, F(multi_hostname), 0, 0, CF_UNSUPPORTED,
	    "", "2.x: comma list of hostnames, one per bind_multi_address; not "
	    "supported: hostname is used" },
	{ "auth_tunnel_change_addr_src", CT_BOOL, F(auth_tunnel_change_addr_src),
	    0, 0, 0, "no", "accept a tunnel whose LAC source address changes" },
	{ "l2tp_setup_timeout", CT_INT, F(l2tp_setup_timeout),
	    1, 3600, CF_NEWSESS, "30",
	    "seconds a tunnel may wait for SCCCN and a call for ICCN" },
	{ "l2tp_max_opening_tunnels", CT_INT, F(l2tp_max_opening_tunnels), 0,
	    65535, 0, "1024",
	    "tunnels being set up at once, from all LACs (0 = no limit)" },
	{ "l2tp_max_opening_per_source", CT_INT,
	    F(l2tp_max_opening_per_source), 0, 65535, 0, "64",
	    "tunnels being set up at once from one address (0 = no limit)" },
	{ "l2tp_challenge_lac", CT_BOOL, F(l2tp_challenge_lac),
	    0, 0, CF_NEWSESS, "no",
	    "with l2tp_secret, challenge every LAC, not only those that challenge us" },

	/* PPP */
	{ "ppp_restart_time", CT_INT, F(ppp_restart_time),
	    1, 60, CF_NEWSESS, "3",
	    "RFC 1661 4.6 Restart timer, seconds" },
	{ "ppp_max_configure", CT_INT, F(ppp_max_configure),
	    1, 255, CF_NEWSESS, "10",
	    "RFC 1661 4.6 Max-Configure" },
	{ "ppp_max_failure", CT_INT, F(ppp_max_failure),
	    1, 255, CF_NEWSESS, "5",
	    "RFC 1661 4.6 Max-Failure" },
	{ "ppp_keepalive", CT_BOOL, F(ppp_keepalive), 0, 0, 0, "yes",
	    "send LCP Echo-Request only when the link is idle" },
	{ "echo_timeout", CT_INT, F(echo_timeout), 1, 3600, 0, "10",
	    "seconds between LCP Echo-Requests" },
	{ "multilink", CT_BOOL, F(multilink), 0, 0, CF_NEWSESS, "no",
	    "negotiate Multilink PPP (RFC 1990): MRRU, short sequence "
	    "numbers, endpoint discriminator; bundles" },
	{ "idle_echo_timeout", CT_INT, F(idle_echo_timeout), 0, 86400, 0, "240",
	    "drop a session that answered nothing for this long (0 = never)" },
	{ "primary_dns", CT_IPV4, F(primary_dns), 0, 0, CF_NEWSESS, "0.0.0.0",
	    "DNS server offered in IPCP (RFC 1877)" },
	{ "secondary_dns", CT_IPV4, F(secondary_dns),
	    0, 0, CF_NEWSESS, "0.0.0.0",
	    "second DNS server offered in IPCP" },
	{ "peer_address", CT_IPV4, F(peer_address), 0, 0, CF_NEWSESS, "0.0.0.0",
	    "our address as given to clients in IPCP" },
	{ "ipv6_prefix", CT_IPV6PFX, F(ipv6_prefix), 0, 0, CF_RESTART, "",
	    "enable IPv6; prefix of subscriber addresses" },
	{ "primary_ipv6_dns", CT_IPV6, F(primary_ipv6_dns), 0, 0, 0, "::",
	    "IPv6 DNS server" },
	{ "secondary_ipv6_dns", CT_IPV6, F(secondary_ipv6_dns), 0, 0, 0, "::",
	    "second IPv6 DNS server" },

	/* RADIUS */
	{ "primary_radius", CT_IPV4, F(primary_radius), 0, 0, 0, "0.0.0.0",
	    "RADIUS server" },
	{ "secondary_radius", CT_IPV4, F(secondary_radius), 0, 0, 0, "0.0.0.0",
	    "backup RADIUS server" },
	{ "primary_radius_port", CT_SHORT, F(primary_radius_port), 1, 65535, 0,
	    "1645", "authentication port; accounting is this plus one" },
	{ "secondary_radius_port", CT_SHORT, F(secondary_radius_port), 1, 65535, 0,
	    "1645", "authentication port of the backup server" },
	{ "radius_accounting", CT_BOOL, F(radius_accounting), 0, 0, 0, "no",
	    "send accounting Start/Interim/Stop" },
	{ "radius_interim", CT_INT, F(radius_interim), 0, 86400, 0, "0",
	    "seconds between Interim-Updates (0 = none)" },
	{ "radius_secret", CT_STRING, F(radius_secret), 0, 0, CF_SECRET, "",
	    "RADIUS shared secret" },
	{ "radius_timeout", CT_INT, F(radius_timeout), 1, 60, 0, "3",
	    "seconds before a RADIUS request is sent again (3 tries per server)" },
	{ "radius_window", CT_INT, F(radius_window), 0, 4096, 0, "64",
	    "RADIUS requests outstanding at one server at most; the rest "
	    "wait in order (0 = no limit)" },
	{ "radius_authtypes", CT_STRING, F(radius_authtypes),
	    0, 0, CF_NEWSESS, "pap",
	    "authentication methods in order of preference: pap, chap, mschapv2" },
	{ "radius_require_message_authenticator", CT_STRING,
	    F(radius_require_message_authenticator), 0, 0, 0, "auto",
	    "drop Access replies without Message-Authenticator: yes, no, or auto "
	    "(once the server has sent one)" },
	{ "radius_bind_min", CT_SHORT, F(radius_bind_min), 0, 65535, CF_RESTART, "0",
	    "lowest local port of RADIUS sockets (0 = any)" },
	{ "radius_bind_max", CT_SHORT, F(radius_bind_max), 0, 65535, CF_RESTART, "0",
	    "highest local port of RADIUS sockets (0 = any)" },
	{ "radius_dae_port", CT_SHORT, F(radius_dae_port), 1, 65535, CF_RESTART,
	    "3799", "Disconnect/CoA listener port (RFC 3576)" },
	{ "dae_clients", CT_STRING, F(dae_clients), 0, 0, CF_SECRET, "",
	    "Disconnect/CoA clients: ADDRESS[/LEN][=SECRET], comma separated "
	    "(empty = the RADIUS servers, with radius_secret)" },
	{ "dae_require_event_timestamp", CT_BOOL,
	    F(dae_require_event_timestamp), 0, 0, 0, "no",
	    "drop Disconnect/CoA requests without Event-Timestamp (RFC 5176 3.5)" },
	{ "dae_event_window", CT_INT, F(dae_event_window), 1, 86400, 0, "300",
	    "seconds an Event-Timestamp may be off our clock (RFC 5176 3.5)" },
	{ "allow_duplicate_users", CT_BOOL, F(allow_duplicate_users),
	    0, 0, CF_NEWSESS, "no",
	    "allow several sessions with one username" },
	{ "kill_timedout_sessions", CT_BOOL, F(kill_timedout_sessions),
	    0, 0, CF_NEWSESS,
	    "yes", "drop a session whose Access-Accept has Session-Timeout 0" },
	{ "guest_account", CT_STRING, F(guest_account), 0, 0, CF_NEWSESS, "",
	    "comma list of usernames allowed several sessions" },

	/* restart without dropping subscribers (state.c) */
	{ "save_state", CT_BOOL, F(save_state), 0, 0, CF_RESTART, "no",
	    "keep sessions and tunnels in a state file: a restart, upgrade or crash adopts them" },
	{ "state_dir", CT_STRING, F(state_dir), 0, 0, CF_RESTART, "/run/l2tpns",
	    "directory of the state file (save_state)" },

	/* data plane */
	{ "tundevicename", CT_STRING, F(tundevicename), 0, 0, CF_RESTART, "tun0",
	    "name of the tun interface" },
	{ "iftun_address", CT_IPV4, F(iftun_address), 0, 0, CF_RESTART, "0.0.0.0",
	    "tun address when it differs from bind_address" },
	{ "tun_offload", CT_BOOL, F(tun_offload), 0, 0, CF_RESTART, "yes",
	    "TUN checksum and TCP/UDP segmentation offloads; super-segments cut per session" },
	{ "tun_gro", CT_BOOL, F(tun_gro), 0, 0, 0, "yes",
	    "coalesce a flow's upstream TCP segments into one TUN write (needs tun_offload)" },
	{ "udp_gso", CT_BOOL, F(udp_gso), 0, 0, 0, "yes",
	    "send equal-sized data messages to one LAC with one UDP_SEGMENT send" },
	{ "tun_uring", CT_BOOL, F(tun_uring), 0, 0, CF_RESTART, "no",
	    "write each batch of upstream packets to the TUN device with one io_uring submission" },
	{ "udp_gro", CT_BOOL, F(udp_gro), 0, 0, CF_RESTART, "yes",
	    "accept coalesced datagrams on the L2TP socket (UDP_GRO)" },
	{ "send_garp", CT_BOOL, F(send_garp), 0, 0, 0, "yes",
	    "send gratuitous ARP for bind_address (ignored with BGP)" },
	{ "throttle_speed", CT_ULONG, F(throttle_speed), 0, 0, 0, "0",
	    "default throttle rate, kbit/s (0 = off)" },
	{ "throttle_buckets", CT_INT, F(throttle_buckets), 1, 16777215, CF_RESTART,
	    "3000", "token buckets (two per throttled session)" },
	{ "icmp_rate", CT_INT, F(icmp_rate), 0, 1000000, 0, "0",
	    "host-unreachable ICMPs per second" },
	{ "packet_limit", CT_INT, F(packet_limit), 0, 1000000, 0, "0",
	    "downstream packets per session per 0.1 s (0 = no limit)" },
	{ "disable_no_spoof", CT_BOOL, F(disable_no_spoof), 0, 0, 0, "no",
	    "do not check upstream source addresses" },
	{ "no_throttle_local_IP", CT_BOOL, F(no_throttle_local_IP), 0, 0, 0, "no",
	    "do not throttle traffic between two sessions of this server" },

	/* accounting */
	{ "accounting_dir", CT_STRING, F(accounting_dir), 0, 0, 0, "",
	    "directory for 5-minute usage files" },
	{ "account_all_origin", CT_BOOL, F(account_all_origin), 0, 0, 0, "no",
	    "add the origin column to usage files" },
	{ "accounting_dir_interval", CT_INT, F(accounting_dir_interval), 1,
	    86400, 0, "300", "seconds between two usage files" },
	{ "dump_speed", CT_BOOL, F(dump_speed), 0, 0, 0, "no",
	    "log the bandwidth line every second" },

	/* cluster */
	{ "cluster_address", CT_IPV4, F(cluster_address), 0, 0, CF_RESTART,
	    "239.192.13.13", "multicast group of the cluster" },
	{ "cluster_interface", CT_STRING, F(cluster_interface), 0, 0, CF_RESTART,
	    "eth0", "interface for cluster packets" },
	{ "cluster_mcast_ttl", CT_INT, F(cluster_mcast_ttl), 0, 255, CF_RESTART, "1",
	    "multicast TTL" },
	{ "cluster_hb_interval", CT_INT, F(cluster_hb_interval), 1, 6000, 0, "5",
	    "heartbeat interval, tenths of a second" },
	{ "cluster_hb_timeout", CT_INT, F(cluster_hb_timeout), 1, 60000, 0, "150",
	    "heartbeat timeout, tenths of a second" },
	{ "cluster_master_min_adv", CT_INT, F(cluster_master_min_adv), 0, 1000, 0,
	    "1", "up-to-date slaves needed before the master drops routes "
	    "(0: it never does)" },
	{ "cluster_port", CT_SHORT, F(cluster_port), 1, 65535, CF_RESTART, "32792",
	    "cluster UDP port" },
	{ "cluster_key", CT_STRING, F(cluster_key), 0, 0, CF_SECRET, "",
	    "shared key: HMAC-SHA-256 on every cluster packet (empty = none)" },

	/* BGP */
	{ "nexthop_address", CT_IPV4, F(nexthop_address), 0, 0, 0, "0.0.0.0",
	    "BGP NEXT_HOP for IPv4 routes (0.0.0.0 = our address)" },
	{ "nexthop6_address", CT_IPV6, F(nexthop6_address), 0, 0, 0, "::",
	    "BGP next hop for IPv6 routes (:: = our address, or IPv4-mapped)" },
	{ "bgp_port", CT_SHORT, F(bgp_port), 1, 65535, 0, "179",
	    "TCP port of the BGP neighbours" },
	{ "bgp_connect_retry", CT_INT, F(bgp_connect_retry), 1, 3600, 0, "5",
	    "seconds between two connection attempts to a BGP neighbour" },
	{ "bgp_graceful_restart", CT_INT, F(bgp_graceful_restart), 0, 4095, 0,
	    "0", "offer graceful restart with this Restart Time, seconds (0 = off)" },
	{ "bgp_med", CT_INT, F(bgp_med), -1, INT_MAX, 0, "-1",
	    "MULTI_EXIT_DISC of the routes announced (-1 = none)" },
	{ "bgp_communities", CT_STRING, F(bgp_communities), 0, 0, 0, "",
	    "communities of the routes announced: AS:VALUE, no-export ..." },

	/* CLI and control */
	{ "cli_bind_address", CT_IPV4, F(cli_bind_address), 0, 0, CF_RESTART,
	    "0.0.0.0", "CLI listen address (without a users file: 127.0.0.1)" },
	{ "cli_port", CT_SHORT, F(cli_port), 0, 65535, CF_RESTART, "23",
	    "CLI TCP port (0 = no CLI)" },
	{ "cli_idle_timeout", CT_INT, F(cli_idle_timeout),
	    0, 86400, CF_NEWSESS, "600",
	    "seconds before an idle CLI connection is closed (0 = never)" },
	{ "nsctl_port", CT_SHORT, F(nsctl_port), 0, 65535, CF_RESTART, "1702",
	    "control protocol UDP port (0 = off)" },
	{ "nsctl_allow", CT_STRING, F(nsctl_allow), 0, 0, 0, "127.0.0.0/8",
	    "comma list of networks allowed to send nsctl requests" },
	{ "trust_local_users", CT_BOOL, F(trust_local_users), 0, 0, CF_NOSET,
	    "no", "any local user, not only root, may use nsctl and the "
	    "password-less CLI" },

	/* monitoring */
	{ "metrics_port", CT_SHORT, F(metrics_port), 0, 65535, CF_RESTART, "0",
	    "HTTP port of GET /metrics, Prometheus text format (0 = off)" },
	{ "metrics_bind_address", CT_IPV4, F(metrics_bind_address), 0, 0,
	    CF_RESTART, "127.0.0.1", "listen address of the metrics port" },
	{ "metrics_sessions", CT_BOOL, F(metrics_sessions), 0, 0, 0, "no",
	    "per-session series in /metrics (costly with many sessions)" },
	{ "web_enabled", CT_BOOL, F(web_enabled), 0, 0, 0, "no",
	    "the web view under /l2tp on the metrics port (CLI users file)" },
	{ "quality_max_logins", CT_INT, F(quality_max_logins), 0, 1000000,
	    CF_RESTART, "1024", "logins whose LCP echo quality is kept for 24 "
	    "hours, about 20 KiB each (0 = off)" },

	/* LAC relay */
	{ "disable_lac_func", CT_BOOL, F(disable_lac_func), 0, 0, 0, "no",
	    "disable relaying sessions to a remote LNS" },
	{ "bind_address_remotelns", CT_IPV4, F(bind_address_remotelns), 0, 0,
	    CF_RESTART, "0.0.0.0", "local address of tunnels to remote LNSs "
	    "(when unset, as bind_portremotelns: the L2TP socket)" },
	{ "bind_portremotelns", CT_SHORT, F(bind_portremotelns), 1, 65535,
	    CF_RESTART, "65432", "local port of tunnels to remote LNSs (when "
	    "either is set)" },

	/* keys of older editions of the manual */
	{ "cleanup_interval", CT_INT, F(cleanup_interval), 0, INT_MAX, CF_OBSOLETE,
	    "0", "obsolete: cleanups are driven by timers" },
	{ "snoop_host", CT_IPV4, F(snoop_host), 0, 0, CF_OBSOLETE, "0.0.0.0",
	    "obsolete: use the snoop command with a host" },
	{ "snoop_port", CT_INT, F(snoop_port), 0, 65535, CF_OBSOLETE, "0",
	    "obsolete: use the snoop command with a port" },
	{ "cluster_master", CT_IPV4, F(cluster_master), 0, 0, CF_OBSOLETE,
	    "0.0.0.0", "obsolete: the master is elected" },
	{ "as_number", CT_LEGACY, 0, 0, 0, 0, CF_HIDDEN, NULL,
	    "old form of: router bgp AS", legacy_as_number },
	{ "bgp_peer1", CT_LEGACY, 0, 0, 0, 0, CF_HIDDEN, NULL,
	    "old form of: neighbour PEER", legacy_bgp_peer1 },
	{ "bgp_peer1_as", CT_LEGACY, 0, 0, 0, 0, CF_HIDDEN, NULL,
	    "old form of: neighbour PEER remote-as AS", legacy_bgp_peer1_as },
	{ "bgp_peer2", CT_LEGACY, 0, 0, 0, 0, CF_HIDDEN, NULL,
	    "old form of: neighbour PEER", legacy_bgp_peer2 },
	{ "bgp_peer2_as", CT_LEGACY, 0, 0, 0, 0, CF_HIDDEN, NULL,
	    "old form of: neighbour PEER remote-as AS", legacy_bgp_peer2_as },
};

#define NDIRECTIVES (sizeof(directives) / sizeof(directives[0]))

_Static_assert(NDIRECTIVES <= MAXDIRECTIVES, "was_set bitmap too small");

const struct cfg_directive *
cfg_directives(size_t *count)
{
	*count = NDIRECTIVES;
	return directives;
}

const struct cfg_directive *
cfg_find(const char *name)
{
	size_t i;

	for (i = 0; i < NDIRECTIVES; i++)
		if (strcmp(directives[i].name, name) == 0)
			return &directives[i];
	return NULL;
}

int
cfg_parse_long(const char *s, long *out)
{
	char *end;
	long v;

	if (*s == '\0')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*out = v;
	return 0;
}

static int
parse_bool(const char *s, int *out)
{
	static const char *yes[] = { "yes", "true", "on", "1" };
	static const char *no[] = { "no", "false", "off", "0" };
	size_t i;

	for (i = 0; i < 4; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return -1;
}

static int
parse_ip6pfx(const char *s, struct cfg_ip6pfx *out)
{
	char buf[INET6_ADDRSTRLEN + 8];
	char *slash;
	long plen = 64;

	memset(out, 0, sizeof(*out));
	if (*s == '\0')
		return 0;		/* unset */
	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	if ((slash = strchr(buf, '/')) != NULL) {
		*slash++ = '\0';
		if (cfg_parse_long(slash, &plen) < 0 || plen < 1 || plen > 128)
			return -1;
	}
	if (inet_pton(AF_INET6, buf, &out->addr) != 1)
		return -1;
	out->plen = (int)plen;
	return 0;
}

/* Parse `value` for directive `d` into `c`.  No side effect on failure. */
static int
set_value(struct config *c, const struct cfg_directive *d, const char *value,
    char *err, size_t errlen)
{
	char *field = (char *)c + d->offset;
	long l;
	int b;

	switch (d->type) {
	case CT_INT:
	case CT_SHORT:
		if (cfg_parse_long(value, &l) < 0 || l < d->min || l > d->max) {
			seterr(err, errlen, "bad value \"%s\" for %s: expected an "
			    "integer from %ld to %ld", value, d->name, d->min,
			    d->max);
			return -1;
		}
		*(int *)field = (int)l;
		return 0;
	case CT_ULONG: {
		char *end;
		unsigned long ul;

		/* strtoul would skip blanks and accept a sign: digits only. */
		errno = 0;
		ul = strtoul(value, &end, 10);
		if (!isdigit((unsigned char)*value) || *end != '\0' ||
		    errno != 0) {
			seterr(err, errlen, "bad value \"%s\" for %s: expected "
			    "a non-negative integer", value, d->name);
			return -1;
		}
		*(unsigned long *)field = ul;
		return 0;
	}
	case CT_BOOL:
		if (parse_bool(value, &b) < 0) {
			seterr(err, errlen, "bad value \"%s\" for %s: expected "
			    "yes or no", value, d->name);
			return -1;
		}
		*(int *)field = b;
		return 0;
	case CT_STRING:
		if (strlen(value) >= d->size) {
			seterr(err, errlen, "value for %s is too long (%zu "
			    "characters, at most %zu)", d->name, strlen(value),
			    d->size - 1);
			return -1;
		}
		/* Clear the tail: cfg_restart_changes compares whole fields. */
		memset(field, 0, d->size);
		memcpy(field, value, strlen(value));
		return 0;
	case CT_IPV4: {
		struct in_addr a;

		if (inet_pton(AF_INET, value, &a) != 1) {
			seterr(err, errlen, "bad value \"%s\" for %s: expected "
			    "an IPv4 address", value, d->name);
			return -1;
		}
		*(in_addr_t *)field = a.s_addr;
		return 0;
	}
	case CT_IPV6: {
		struct in6_addr a;

		if (inet_pton(AF_INET6, value, &a) != 1) {
			seterr(err, errlen, "bad value \"%s\" for %s: expected "
			    "an IPv6 address", value, d->name);
			return -1;
		}
		memcpy(field, &a, sizeof(a));
		return 0;
	}
	case CT_IPV6PFX: {
		struct cfg_ip6pfx p;

		if (parse_ip6pfx(value, &p) < 0) {
			seterr(err, errlen, "bad value \"%s\" for %s: expected "
			    "an IPv6 prefix such as 2001:db8::/64", value,
			    d->name);
			return -1;
		}
		memcpy(field, &p, sizeof(p));
		return 0;
	}
	case CT_LEGACY:
		return d->legacy(c, value, err, errlen);
	}
	seterr(err, errlen, "internal error: type of %s", d->name);
	return -1;
}

void
cfg_defaults(struct config *c)
{
	size_t i;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < NDIRECTIVES; i++) {
		if (directives[i].dflt == NULL)
			continue;
		/* The table's defaults are checked by a unit test. */
		(void)set_value(c, &directives[i], directives[i].dflt, NULL, 0);
	}
}

void
cfg_free(struct config *c)
{
	int i;

	if (c == NULL)
		return;
	for (i = 0; i < c->nacls; i++)
		free(c->acls[i].rules);
	free(c->acls);
	free(c->forwards);
	free(c->l2tp_tunnels);
	free(c->l2tp_sessions);
	if (c->l2tp_outgoing)
		explicit_bzero(c->l2tp_outgoing, (size_t)c->nl2tp_outgoing *
		    sizeof(*c->l2tp_outgoing));
	free(c->l2tp_outgoing);
	c->l2tp_outgoing = NULL;
	c->nl2tp_outgoing = 0;
	c->acls = NULL;
	c->nacls = 0;
	c->forwards = NULL;
	c->nforwards = 0;
	c->l2tp_tunnels = NULL;
	c->nl2tp_tunnels = 0;
	c->l2tp_sessions = NULL;
	c->nl2tp_sessions = 0;
}

int
cfg_set(struct config *c, const char *key, const char *value, char *err,
    size_t errlen)
{
	const struct cfg_directive *d;

	if ((d = cfg_find(key)) == NULL) {
		seterr(err, errlen, "unknown key \"%s\"", key);
		return -1;
	}
	if (set_value(c, d, value, err, errlen) < 0)
		return -1;
	c->was_set[(d - directives) / 8] |= 1 << ((d - directives) % 8);
	return 0;
}

int
cfg_copy_value(struct config *dst, const struct config *src,
    const struct cfg_directive *d)
{
	size_t i = (size_t)(d - directives);

	/* Whether the key was set travels with its value (cfg_check). */
	dst->was_set[i / 8] = (dst->was_set[i / 8] & ~(1 << (i % 8))) |
	    (src->was_set[i / 8] & (1 << (i % 8)));
	if (d->type == CT_LEGACY) {
		dst->bgp = src->bgp;
		return 0;
	}
	memcpy((char *)dst + d->offset, (const char *)src + d->offset, d->size);
	return 0;
}

/* ---- reload classes and values waiting for a restart ---- */

enum cfg_reload
cfg_reload_class(const struct cfg_directive *d)
{
	if (d->flags & (CF_OBSOLETE | CF_UNSUPPORTED))
		return CFG_IGNORED;
	if (d->flags & CF_RESTART)
		return CFG_RESTART;
	if (d->flags & CF_NEWSESS)
		return CFG_NEW;
	return CFG_NOW;
}

const char *
cfg_reload_text(enum cfg_reload r)
{
	static const char *text[] = {
		[CFG_NOW] = "applied",
		[CFG_NEW] = "applies to new sessions only",
		[CFG_RESTART] = "needs a restart",
		[CFG_IGNORED] = "ignored, no effect",
	};

	return (unsigned)r < sizeof(text) / sizeof(text[0]) ? text[r] : "?";
}

/*
 * The configured values of restart-only directives that differ from the
 * running ones.  Static state of the daemon only (the CLI children ask
 * the daemon); a restart starts with none.
 */
static struct config pending;
static uint8_t pending_bits[MAXDIRECTIVES / 8];

void
cfg_pending_note(const struct config *running, const struct config *configured,
    const struct cfg_directive *d)
{
	size_t i = (size_t)(d - directives);

	if (i >= NDIRECTIVES || d->type == CT_LEGACY)
		return;
	if (memcmp((const char *)running + d->offset,
	    (const char *)configured + d->offset, d->size) == 0) {
		pending_bits[i / 8] &= (uint8_t)~(1 << (i % 8));
		return;
	}
	cfg_copy_value(&pending, configured, d);
	pending_bits[i / 8] |= (uint8_t)(1 << (i % 8));
}

int
cfg_pending_get(const struct cfg_directive *d, struct config *into)
{
	size_t i = (size_t)(d - directives);

	if (i >= NDIRECTIVES || !(pending_bits[i / 8] & (1 << (i % 8))))
		return 0;
	if (into != NULL)
		cfg_copy_value(into, &pending, d);
	return 1;
}

/* ---- legacy keys: BGP of the 1.x/2.0 manual ---- */

static int
parse_as(const char *s, uint32_t *as)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (!isdigit((unsigned char)*s) || *end != '\0' || errno != 0 ||
	    v == 0 || v > 4294967295UL)
		return -1;
	*as = (uint32_t)v;
	return 0;
}

static int
legacy_as_number(struct config *c, const char *v, char *err, size_t errlen)
{
	if (parse_as(v, &c->bgp.as) < 0) {
		seterr(err, errlen, "bad value \"%s\" for as_number: expected "
		    "an AS number from 1 to 4294967295", v);
		return -1;
	}
	return 0;
}

static int
legacy_peer(struct config *c, int i, const char *v, char *err, size_t errlen)
{
	struct bgp_neighbour *n = &c->bgp.peer[i];

	if (*v == '\0' || strlen(v) >= sizeof(n->name) || strchr(v, ' ')) {
		seterr(err, errlen, "bad value \"%s\" for bgp_peer%d: expected "
		    "a hostname or address", v, i + 1);
		return -1;
	}
	strcpy(n->name, v);
	if (n->keepalive == 0)
		n->keepalive = n->hold = -1;
	if (c->bgp.npeers < i + 1)
		c->bgp.npeers = i + 1;
	return 0;
}

static int
legacy_peer_as(struct config *c, int i, const char *v, char *err, size_t errlen)
{
	struct bgp_neighbour *n = &c->bgp.peer[i];

	if (parse_as(v, &n->remote_as) < 0) {
		seterr(err, errlen, "bad value \"%s\" for bgp_peer%d_as: "
		    "expected an AS number from 1 to 4294967295", v, i + 1);
		return -1;
	}
	if (n->keepalive == 0)
		n->keepalive = n->hold = -1;
	if (c->bgp.npeers < i + 1)
		c->bgp.npeers = i + 1;
	return 0;
}

static int
legacy_bgp_peer1(struct config *c, const char *v, char *e, size_t l)
{
	return legacy_peer(c, 0, v, e, l);
}

static int
legacy_bgp_peer2(struct config *c, const char *v, char *e, size_t l)
{
	return legacy_peer(c, 1, v, e, l);
}

static int
legacy_bgp_peer1_as(struct config *c, const char *v, char *e, size_t l)
{
	return legacy_peer_as(c, 0, v, e, l);
}

static int
legacy_bgp_peer2_as(struct config *c, const char *v, char *e, size_t l)
{
	return legacy_peer_as(c, 1, v, e, l);
}

/* ---- tokenizer ---- */

int
cfg_tokenize(char *line, char **argv, int max, char *err, size_t errlen)
{
	char *r = line, *w;
	int argc = 0;

	for (;;) {
		while (*r == ' ' || *r == '\t' || *r == '\r' || *r == '\n')
			r++;
		if (*r == '\0')
			break;
		if (argc == max) {
			seterr(err, errlen, "too many words (at most %d)", max);
			return -1;
		}
		argv[argc++] = w = r;
		while (*r != '\0' && *r != ' ' && *r != '\t' && *r != '\r' &&
		    *r != '\n') {
			if (*r == '"' || *r == '\'') {
				char q = *r++;

				while (*r != q) {
					if (*r == '\0') {
						seterr(err, errlen, "unterminated "
						    "%c quote", q);
						return -1;
					}
					if (q == '"' && *r == '\\' && r[1] != '\0')
						r++;
					*w++ = *r++;
				}
				r++;
			} else
				*w++ = *r++;
		}
		if (*r != '\0')
			r++;
		*w = '\0';
	}
	return argc;
}

/* ---- access lists ---- */

struct acl *
acl_find(const struct config *c, const char *name)
{
	int i;

	for (i = 0; i < c->nacls; i++)
		if (strcmp(c->acls[i].name, name) == 0)
			return &c->acls[i];
	return NULL;
}

int
cfg_parse_ip4(const char *s, in_addr_t *a)
{
	struct in_addr in;

	if (inet_pton(AF_INET, s, &in) != 1)
		return -1;
	*a = in.s_addr;
	return 0;
}

/* {host A | A WILDCARD | any}; advances *i. */
static int
acl_addr(int argc, char **argv, int *i, in_addr_t *a, in_addr_t *w,
    const char *what, char *err, size_t errlen)
{
	if (*i >= argc) {
		seterr(err, errlen, "missing %s address", what);
		return -1;
	}
	if (strcmp(argv[*i], "any") == 0) {
		*a = 0;
		*w = 0xffffffff;
		(*i)++;
		return 0;
	}
	if (strcmp(argv[*i], "host") == 0) {
		if (*i + 1 >= argc || cfg_parse_ip4(argv[*i + 1], a) < 0) {
			seterr(err, errlen, "bad %s: \"host\" needs an IPv4 "
			    "address", what);
			return -1;
		}
		*w = 0;
		*i += 2;
		return 0;
	}
	if (cfg_parse_ip4(argv[*i], a) < 0) {
		seterr(err, errlen, "bad %s \"%s\": expected any, host ADDR "
		    "or ADDR WILDCARD", what, argv[*i]);
		return -1;
	}
	if (*i + 1 >= argc || cfg_parse_ip4(argv[*i + 1], w) < 0) {
		seterr(err, errlen, "bad %s: %s needs a wildcard mask", what,
		    argv[*i]);
		return -1;
	}
	*a &= ~*w;
	*i += 2;
	return 0;
}

static int
parse_port(const char *s, uint16_t *p)
{
	long l;

	if (cfg_parse_long(s, &l) < 0 || l < 0 || l > 65535)
		return -1;
	*p = (uint16_t)l;
	return 0;
}

/* [{eq|neq|gt|lt} PORT | range A B]; advances *i. */
static int
acl_ports(int argc, char **argv, int *i, uint8_t *op, uint16_t port[2],
    char *err, size_t errlen)
{
	static const struct { const char *w; uint8_t op; } ops[] = {
		{ "eq", PORT_EQ }, { "neq", PORT_NEQ }, { "gt", PORT_GT },
		{ "lt", PORT_LT },
	};
	size_t k;

	*op = PORT_ANY;
	if (*i >= argc)
		return 0;
	if (strcmp(argv[*i], "range") == 0) {
		if (*i + 2 >= argc || parse_port(argv[*i + 1], &port[0]) < 0 ||
		    parse_port(argv[*i + 2], &port[1]) < 0 ||
		    port[0] > port[1]) {
			seterr(err, errlen, "bad port range: expected "
			    "\"range LOW HIGH\" with 0 <= LOW <= HIGH <= 65535");
			return -1;
		}
		*op = PORT_RANGE;
		*i += 3;
		return 0;
	}
	for (k = 0; k < sizeof(ops) / sizeof(ops[0]); k++) {
		if (strcmp(argv[*i], ops[k].w) != 0)
			continue;
		if (*i + 1 >= argc || parse_port(argv[*i + 1], &port[0]) < 0) {
			seterr(err, errlen, "bad port after \"%s\": expected "
			    "0 to 65535", ops[k].w);
			return -1;
		}
		*op = ops[k].op;
		*i += 2;
		return 0;
	}
	return 0;
}

static int
tcp_flag(const char *s, uint8_t *f)
{
	static const struct { const char *n; uint8_t f; } flags[] = {
		{ "fin", TCP_FIN }, { "syn", TCP_SYN }, { "rst", TCP_RST },
		{ "psh", TCP_PSH }, { "ack", TCP_ACK }, { "urg", TCP_URG },
	};
	size_t k;

	for (k = 0; k < sizeof(flags) / sizeof(flags[0]); k++)
		if (strcmp(s, flags[k].n) == 0) {
			*f = flags[k].f;
			return 0;
		}
	return -1;
}

int
acl_parse_rule(int extended, int argc, char **argv, struct acl_rule *r,
    char *err, size_t errlen)
{
	int i = 0;

	memset(r, 0, sizeof(*r));
	if (argc < 1 || (strcmp(argv[0], "permit") != 0 &&
	    strcmp(argv[0], "deny") != 0)) {
		seterr(err, errlen, "access-list rule must start with permit "
		    "or deny");
		return -1;
	}
	r->permit = argv[0][0] == 'p';
	i = 1;

	if (!extended) {
		/* {permit|deny} SRC [DST] (manual "Access Lists") */
		if (acl_addr(argc, argv, &i, &r->src, &r->src_wild, "source",
		    err, errlen) < 0)
			return -1;
		r->dst = 0;
		r->dst_wild = 0xffffffff;
		if (i < argc && acl_addr(argc, argv, &i, &r->dst, &r->dst_wild,
		    "destination", err, errlen) < 0)
			return -1;
		if (i < argc) {
			seterr(err, errlen, "unexpected \"%s\" in standard "
			    "access-list rule", argv[i]);
			return -1;
		}
		return 0;
	}

	if (i >= argc) {
		seterr(err, errlen, "missing protocol: expected ip, tcp or udp");
		return -1;
	}
	if (strcmp(argv[i], "ip") == 0)
		r->proto = 0;
	else if (strcmp(argv[i], "tcp") == 0)
		r->proto = 6;
	else if (strcmp(argv[i], "udp") == 0)
		r->proto = 17;
	else {
		seterr(err, errlen, "bad protocol \"%s\": expected ip, tcp or "
		    "udp", argv[i]);
		return -1;
	}
	i++;
	if (acl_addr(argc, argv, &i, &r->src, &r->src_wild, "source", err,
	    errlen) < 0)
		return -1;
	if (r->proto && acl_ports(argc, argv, &i, &r->sport_op, r->sport, err,
	    errlen) < 0)
		return -1;
	if (acl_addr(argc, argv, &i, &r->dst, &r->dst_wild, "destination",
	    err, errlen) < 0)
		return -1;
	if (r->proto && acl_ports(argc, argv, &i, &r->dport_op, r->dport, err,
	    errlen) < 0)
		return -1;

	while (i < argc) {
		const char *w = argv[i++];

		if (strcmp(w, "fragments") == 0) {
			r->fragments = 1;
		} else if (r->proto == 6 && strcmp(w, "established") == 0 &&
		    r->tcp_op == TCPF_NONE) {
			r->tcp_op = TCPF_ESTABLISHED;
		} else if (r->proto == 6 && r->tcp_op == TCPF_NONE &&
		    (strcmp(w, "match-any") == 0 || strcmp(w, "match-all") == 0)) {
			r->tcp_op = strcmp(w, "match-any") == 0 ?
			    TCPF_MATCH_ANY : TCPF_MATCH_ALL;
			if (i >= argc) {
				seterr(err, errlen, "%s needs at least one "
				    "+flag or -flag", w);
				return -1;
			}
			while (i < argc && (argv[i][0] == '+' ||
			    argv[i][0] == '-')) {
				uint8_t f;

				if (tcp_flag(argv[i] + 1, &f) < 0) {
					seterr(err, errlen, "bad TCP flag \"%s\": "
					    "expected +/- and one of fin syn "
					    "rst psh ack urg", argv[i]);
					return -1;
				}
				if (argv[i][0] == '+')
					r->tcp_set |= f;
				else
					r->tcp_clear |= f;
				i++;
			}
		} else {
			seterr(err, errlen, "unexpected \"%s\" in extended "
			    "access-list rule", w);
			return -1;
		}
	}
	if (r->fragments && (r->sport_op || r->dport_op || r->tcp_op)) {
		seterr(err, errlen, "\"fragments\" cannot be combined with port "
		    "or TCP flag matches");
		return -1;
	}
	return 0;
}

static int
valid_name(const char *s, size_t max)
{
	size_t n = 0;

	for (; *s; s++, n++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-' &&
		    *s != '.')
			return 0;
	return n > 0 && n < max;
}

static int
acl_open(struct config *c, int extended, const char *name, char *err,
    size_t errlen)
{
	struct acl *a;

	if (!valid_name(name, MAXACLNAME)) {
		seterr(err, errlen, "bad access-list name \"%s\": use up to %d "
		    "letters, digits, '_', '-' or '.'", name, MAXACLNAME - 1);
		return -1;
	}
	if ((a = acl_find(c, name)) != NULL) {
		if (a->extended != extended) {
			seterr(err, errlen, "access-list %s already exists as "
			    "%s", name, a->extended ? "extended" : "standard");
			return -1;
		}
		return (int)(a - c->acls);
	}
	a = realloc(c->acls, (c->nacls + 1) * sizeof(*a));
	if (a == NULL) {
		seterr(err, errlen, "out of memory");
		return -1;
	}
	c->acls = a;
	a = &c->acls[c->nacls];
	memset(a, 0, sizeof(*a));
	strcpy(a->name, name);
	a->extended = extended;
	return c->nacls++;
}

static int
acl_delete(struct config *c, const char *name)
{
	struct acl *a = acl_find(c, name);
	int i;

	if (a == NULL)
		return -1;
	i = (int)(a - c->acls);
	free(a->rules);
	memmove(&c->acls[i], &c->acls[i + 1],
	    (c->nacls - i - 1) * sizeof(*a));
	c->nacls--;
	return 0;
}

static int
acl_append(struct acl *a, const struct acl_rule *r, char *err, size_t errlen)
{
	struct acl_rule *n;
	int i;

	/* An exact duplicate adds nothing: keep lists minimal. */
	for (i = 0; i < a->nrules; i++)
		if (memcmp(&a->rules[i], r, sizeof(*r)) == 0)
			return 0;
	if ((n = realloc(a->rules, (a->nrules + 1) * sizeof(*n))) == NULL) {
		seterr(err, errlen, "out of memory");
		return -1;
	}
	a->rules = n;
	a->rules[a->nrules++] = *r;
	return 0;
}

/* ---- BGP block ---- */

static struct bgp_neighbour *
bgp_peer(struct config *c, const char *name, int create)
{
	int i;

	for (i = 0; i < c->bgp.npeers; i++)
		if (strcmp(c->bgp.peer[i].name, name) == 0)
			return &c->bgp.peer[i];
	if (!create || c->bgp.npeers == MAXBGPPEER)
		return NULL;
	memset(&c->bgp.peer[c->bgp.npeers], 0, sizeof(c->bgp.peer[0]));
	strcpy(c->bgp.peer[c->bgp.npeers].name, name);
	c->bgp.peer[c->bgp.npeers].keepalive = -1;
	c->bgp.peer[c->bgp.npeers].hold = -1;
	return &c->bgp.peer[c->bgp.npeers++];
}

static int
bgp_line(struct config *c, int argc, char **argv, char *err, size_t errlen)
{
	struct bgp_neighbour *n;
	int neg = 0;
	long ka, hold;

	if (strcmp(argv[0], "no") == 0) {
		neg = 1;
		argv++;
		argc--;
	}
	if (argc < 2 || (strcmp(argv[0], "neighbour") != 0 &&
	    strcmp(argv[0], "neighbor") != 0)) {
		seterr(err, errlen, "expected \"neighbour PEER ...\" in router "
		    "bgp block");
		return -1;
	}
	if (strlen(argv[1]) >= sizeof(n->name)) {
		seterr(err, errlen, "neighbour name \"%s\" too long", argv[1]);
		return -1;
	}
	if (neg) {
		int i;

		if (argc != 2 || (n = bgp_peer(c, argv[1], 0)) == NULL) {
			seterr(err, errlen, "no neighbour %s to remove", argv[1]);
			return -1;
		}
		i = (int)(n - c->bgp.peer);
		memmove(n, n + 1, (c->bgp.npeers - i - 1) * sizeof(*n));
		c->bgp.npeers--;
		return 0;
	}
	if (argc == 4 && strcmp(argv[2], "remote-as") == 0) {
		uint32_t as;

		if (parse_as(argv[3], &as) < 0) {
			seterr(err, errlen, "bad remote-as \"%s\": expected an "
			    "AS number from 1 to 4294967295", argv[3]);
			return -1;
		}
		if ((n = bgp_peer(c, argv[1], 1)) == NULL) {
			seterr(err, errlen, "too many BGP neighbours (at most "
			    "%d)", MAXBGPPEER);
			return -1;
		}
		n->remote_as = as;
		return 0;
	}
	if ((n = bgp_peer(c, argv[1], 0)) == NULL) {
		seterr(err, errlen, "neighbour %s: set remote-as first",
		    argv[1]);
		return -1;
	}
	if (argc == 5 && strcmp(argv[2], "timers") == 0) {
		if (cfg_parse_long(argv[3], &ka) < 0 || ka < 1 || ka > 65535 ||
		    cfg_parse_long(argv[4], &hold) < 0 || hold < 3 ||
		    hold > 65535) {
			seterr(err, errlen, "bad timers \"%s %s\": keepalive 1 "
			    "to 65535, hold 3 to 65535", argv[3], argv[4]);
			return -1;
		}
		n->keepalive = (int)ka;
		n->hold = (int)hold;
		return 0;
	}
	if (argc == 4 && strcmp(argv[2], "update-source") == 0) {
		in_addr_t a;

		if (cfg_parse_ip4(argv[3], &a) < 0) {
			seterr(err, errlen, "bad update-source \"%s\": expected "
			    "an IPv4 address", argv[3]);
			return -1;
		}
		strcpy(n->update_source, argv[3]);
		return 0;
	}
	seterr(err, errlen, "unknown neighbour command: expected remote-as AS, "
	    "timers KEEPALIVE HOLD or update-source ADDR");
	return -1;
}

/* load plugin NAME / remove plugin NAME */
static int
plugin_line(struct config *c, int argc, char **argv, char *err,
    size_t errlen)
{
	int i;

	if (argc != 3 || strcmp(argv[1], "plugin") != 0) {
		seterr(err, errlen, "expected \"%s plugin NAME\"",
		    argv[0]);
		return -1;
	}
	if (!valid_name(argv[2], sizeof(c->plugins[0])) ||
	    strchr(argv[2], '.')) {
		seterr(err, errlen, "bad plugin name \"%s\": use "
		    "letters, digits, '_' or '-'", argv[2]);
		return -1;
	}
	for (i = 0; i < c->nplugins; i++)
		if (strcmp(c->plugins[i], argv[2]) == 0)
			break;
	if (argv[0][0] == 'l') {
		if (i < c->nplugins)
			return 0;	/* loaded once */
		if (c->nplugins == MAXPLUGINS) {
			seterr(err, errlen, "too many plugins (at most "
			    "%d)", MAXPLUGINS);
			return -1;
		}
		strcpy(c->plugins[c->nplugins++], argv[2]);
	} else if (i < c->nplugins) {
		memmove(c->plugins[i], c->plugins[i + 1],
		    (c->nplugins - i - 1) * sizeof(c->plugins[0]));
		c->nplugins--;
	}
	return 0;
}

/* setforward MASK IP PORT SECRET */
static int
forward_line(struct config *c, int argc, char **argv, char *err,
    size_t errlen)
{
	struct forward_rule f, *n;
	long port;

	memset(&f, 0, sizeof(f));
	if (argc != 5 || strlen(argv[1]) >= sizeof(f.mask) ||
	    cfg_parse_ip4(argv[2], &f.ip) < 0 || cfg_parse_long(argv[3], &port) < 0 ||
	    port < 1 || port > 65535 ||
	    strlen(argv[4]) >= sizeof(f.secret)) {
		seterr(err, errlen, "expected \"setforward MASK IP PORT "
		    "SECRET\"");
		return -1;
	}
	strcpy(f.mask, argv[1]);
	f.port = (uint16_t)port;
	strcpy(f.secret, argv[4]);
	if ((n = realloc(c->forwards, (c->nforwards + 1) *
	    sizeof(*n))) == NULL) {
		seterr(err, errlen, "out of memory");
		return -1;
	}
	c->forwards = n;
	c->forwards[c->nforwards++] = f;
	return 0;
}

/* "NET/LEN" with the host bits clear. */
static int
parse_net(const char *s, in_addr_t *net, uint8_t *len)
{
	char a[INET_ADDRSTRLEN];
	const char *slash = strchr(s, '/');
	long l;

	if (slash == NULL || (size_t)(slash - s) >= sizeof(a) ||
	    cfg_parse_long(slash + 1, &l) < 0 || l < 0 || l > 32)
		return -1;
	memcpy(a, s, (size_t)(slash - s));
	a[slash - s] = '\0';
	if (cfg_parse_ip4(a, net) < 0)
		return -1;
	*len = (uint8_t)l;
	if (l < 32 && (ntohl(*net) & (0xffffffffu >> l)) != 0)
		return -1;
	return 0;
}

/* A string argument that must fit `cap` (with its NUL). */
static int
arg_str(char *dst, size_t cap, const char *v)
{
	if (strlen(v) >= cap)
		return -1;
	strcpy(dst, v);
	return 0;
}

/* "pap,chap,mschapv2": the OUT_AUTH_* bits, -1 on an unknown name. */
static int
out_auth(const char *v)
{
	char buf[64], *tok, *save;
	int m = 0;

	if (arg_str(buf, sizeof(buf), v) < 0)
		return -1;
	for (tok = strtok_r(buf, ",", &save); tok;
	    tok = strtok_r(NULL, ",", &save)) {
		if (strcasecmp(tok, "pap") == 0)
			m |= OUT_AUTH_PAP;
		else if (strcasecmp(tok, "chap") == 0)
			m |= OUT_AUTH_CHAP;
		else if (strcasecmp(tok, "mschapv2") == 0)
			m |= OUT_AUTH_MSCHAPV2;
		else
			return -1;
	}
	return m ? m : -1;
}

/*
 * l2tp outgoing NAME lns IP [port PORT] [hostname HOST] [secret SECRET]
 *     user USER password PASSWORD [auth LIST] [route NET/LEN]... [dns]
 */
static int
outgoing_line(struct config *c, int argc, char **argv, char *err,
    size_t errlen)
{
	struct l2tp_outgoing o, *n;
	long port;
	int i, a;

	memset(&o, 0, sizeof(o));
	o.port = 1701;
	o.auth = OUT_AUTH_ALL;
	if (argc < 3 || arg_str(o.name, sizeof(o.name), argv[2]) < 0)
		goto usage;
	for (i = 3; i < argc; i++) {
		const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(k, "dns") == 0) {
			o.dns = 1;
			continue;
		}
		if (v == NULL)
			goto usage;
		i++;
		if (strcmp(k, "lns") == 0) {
			if (cfg_parse_ip4(v, &o.lns) < 0 || o.lns == 0)
				goto usage;
		} else if (strcmp(k, "port") == 0) {
			if (cfg_parse_long(v, &port) < 0 || port < 1 ||
			    port > 65535)
				goto usage;
			o.port = (uint16_t)port;
		} else if (strcmp(k, "hostname") == 0) {
			if (arg_str(o.host, sizeof(o.host), v) < 0)
				goto usage;
		} else if (strcmp(k, "secret") == 0) {
			if (arg_str(o.secret, sizeof(o.secret), v) < 0)
				goto usage;
		} else if (strcmp(k, "user") == 0) {
			if (arg_str(o.user, sizeof(o.user), v) < 0)
				goto usage;
		} else if (strcmp(k, "password") == 0) {
			if (arg_str(o.password, sizeof(o.password), v) < 0)
				goto usage;
		} else if (strcmp(k, "auth") == 0) {
			if ((a = out_auth(v)) < 0)
				goto usage;
			o.auth = (uint8_t)a;
		} else if (strcmp(k, "route") == 0) {
			if (o.nroutes == OUTGOING_ROUTES ||
			    parse_net(v, &o.route_net[o.nroutes],
			    &o.route_len[o.nroutes]) < 0)
				goto usage;
			o.nroutes++;
		} else
			goto usage;
	}
	if (o.lns == 0 || o.user[0] == '\0')
		goto usage;
	for (i = 0; i < c->nl2tp_outgoing; i++)
		if (strcmp(c->l2tp_outgoing[i].name, o.name) == 0) {
			seterr(err, errlen, "l2tp outgoing %s: defined twice",
			    o.name);
			return -1;
		}
	if ((n = realloc(c->l2tp_outgoing, (c->nl2tp_outgoing + 1) *
	    sizeof(*n))) == NULL) {
		seterr(err, errlen, "out of memory");
		return -1;
	}
	c->l2tp_outgoing = n;
	c->l2tp_outgoing[c->nl2tp_outgoing++] = o;
	explicit_bzero(&o, sizeof(o));
	return 0;
usage:
	explicit_bzero(&o, sizeof(o));
	seterr(err, errlen, "expected \"l2tp outgoing NAME lns IP [port PORT] "
	    "[hostname HOST] [secret SECRET] user USER password PASSWORD "
	    "[auth pap,chap,mschapv2] [route NET/LEN]... [dns]\"");
	return -1;
}

/*
 * l2tp incoming HOSTNAME SECRET
 * l2tp session USER PASSWORD [tunnel HOSTNAME]
 *     (address IP [route NET/LEN]... [ha-set NAME] | relay IP [PORT [SECRET]])
 * l2tp outgoing ... (outgoing_line)
 */
static int
l2tp_line(struct config *c, int argc, char **argv, char *err, size_t errlen)
{
	struct l2tp_session_rule r, *ns;
	struct l2tp_tunnel_rule t, *nt;
	int i = 4;
	long port;

	if (argc >= 2 && strcmp(argv[1], "outgoing") == 0)
		return outgoing_line(c, argc, argv, err, errlen);
	if (argc == 4 && strcmp(argv[1], "incoming") == 0) {
		memset(&t, 0, sizeof(t));
		if (strlen(argv[2]) >= sizeof(t.host) ||
		    strlen(argv[3]) >= sizeof(t.secret)) {
			seterr(err, errlen, "l2tp incoming: name or secret too "
			    "long");
			return -1;
		}
		strcpy(t.host, argv[2]);
		strcpy(t.secret, argv[3]);
		if ((nt = realloc(c->l2tp_tunnels, (c->nl2tp_tunnels + 1) *
		    sizeof(*nt))) == NULL) {
			seterr(err, errlen, "out of memory");
			return -1;
		}
		c->l2tp_tunnels = nt;
		c->l2tp_tunnels[c->nl2tp_tunnels++] = t;
		return 0;
	}
	if (argc < 6 || strcmp(argv[1], "session") != 0)
		goto usage;
	memset(&r, 0, sizeof(r));
	if (strlen(argv[2]) >= sizeof(r.user) ||
	    strlen(argv[3]) >= sizeof(r.password))
		goto usage;
	strcpy(r.user, argv[2]);
	strcpy(r.password, argv[3]);
	if (strcmp(argv[i], "tunnel") == 0) {
		if (i + 1 >= argc || strlen(argv[i + 1]) >= sizeof(r.tunnel))
			goto usage;
		strcpy(r.tunnel, argv[i + 1]);
		i += 2;
	}
	if (i + 1 < argc && strcmp(argv[i], "address") == 0) {
		if (cfg_parse_ip4(argv[i + 1], &r.ip) < 0 || r.ip == 0)
			goto usage;
		for (i += 2; i + 1 < argc && strcmp(argv[i], "route") == 0;
		    i += 2) {
			if (r.nroutes == STATIC_ROUTES ||
			    parse_net(argv[i + 1], &r.route_net[r.nroutes],
			    &r.route_len[r.nroutes]) < 0)
				goto usage;
			r.nroutes++;
		}
		/* FireBrick 12.3.3: the sessions of this rule form one set. */
		if (i + 1 < argc && strcmp(argv[i], "ha-set") == 0) {
			if (strlen(argv[i + 1]) >= sizeof(r.haset))
				goto usage;
			strcpy(r.haset, argv[i + 1]);
			i += 2;
		}
	} else if (i + 1 < argc && strcmp(argv[i], "relay") == 0) {
		if (cfg_parse_ip4(argv[i + 1], &r.relay) < 0 || r.relay == 0)
			goto usage;
		r.relay_port = 1701;
		i += 2;
		if (i < argc) {
			if (cfg_parse_long(argv[i], &port) < 0 || port < 1 ||
			    port > 65535)
				goto usage;
			r.relay_port = (uint16_t)port;
			i++;
		}
		if (i < argc) {
			if (strlen(argv[i]) >= sizeof(r.relay_secret))
				goto usage;
			strcpy(r.relay_secret, argv[i++]);
		}
	} else
		goto usage;
	if (i != argc)
		goto usage;
	if ((ns = realloc(c->l2tp_sessions, (c->nl2tp_sessions + 1) *
	    sizeof(*ns))) == NULL) {
		seterr(err, errlen, "out of memory");
		return -1;
	}
	c->l2tp_sessions = ns;
	c->l2tp_sessions[c->nl2tp_sessions++] = r;
	return 0;
usage:
	seterr(err, errlen, "expected \"l2tp incoming HOSTNAME SECRET\" or "
	    "\"l2tp session USER PASSWORD [tunnel HOSTNAME] (address IP "
	    "[route NET/LEN]... [ha-set NAME] | relay IP [PORT [SECRET]])\"");
	return -1;
}

/* ---- one line ---- */

#define MAXARGS	64

int
cfg_parse_line(struct config *c, struct cfg_state *st, const char *line,
    const struct cfg_directive **which, char *err, size_t errlen)
{
	char buf[4096];
	char *argv[MAXARGS];
	int argc;
	const char *p;

	if (which)
		*which = NULL;
	for (p = line; *p == ' ' || *p == '\t'; p++)
		;
	if (*p == '\0' || *p == '\n' || *p == '\r' || *p == '#' || *p == '!')
		return 0;
	if (strlen(p) >= sizeof(buf)) {
		seterr(err, errlen, "line too long (at most %zu characters)",
		    sizeof(buf) - 1);
		return -1;
	}
	strcpy(buf, p);
	if ((argc = cfg_tokenize(buf, argv, MAXARGS, err, errlen)) < 0)
		return -1;
	if (argc == 0)
		return 0;

	/* Block bodies first: a line that is not a body line ends the block. */
	if (st->mode == CFGMODE_BGP && (strcmp(argv[0], "neighbour") == 0 ||
	    strcmp(argv[0], "neighbor") == 0 || (strcmp(argv[0], "no") == 0 &&
	    argc > 1 && (strcmp(argv[1], "neighbour") == 0 ||
	    strcmp(argv[1], "neighbor") == 0))))
		return bgp_line(c, argc, argv, err, errlen);
	if (st->mode == CFGMODE_ACL && (strcmp(argv[0], "permit") == 0 ||
	    strcmp(argv[0], "deny") == 0)) {
		struct acl_rule r;
		struct acl *a = &c->acls[st->acl];

		if (acl_parse_rule(a->extended, argc, argv, &r, err, errlen) < 0)
			return -1;
		return acl_append(a, &r, err, errlen);
	}
	st->mode = CFGMODE_TOP;

	if (strcmp(argv[0], "set") == 0) {
		const struct cfg_directive *d;

		if (argc < 2) {
			seterr(err, errlen, "set: missing key");
			return -1;
		}
		if ((d = cfg_find(argv[1])) == NULL) {
			seterr(err, errlen, "unknown key \"%s\"", argv[1]);
			return -1;
		}
		if (which)
			*which = d;
		if (argc != 3) {
			seterr(err, errlen, argc == 2 ? "set %s: missing value" :
			    "set %s: too many words; quote a value containing "
			    "spaces", argv[1]);
			return -1;
		}
		return cfg_set(c, argv[1], argv[2], err, errlen);
	}
	if (strcmp(argv[0], "load") == 0 || strcmp(argv[0], "remove") == 0)
		return plugin_line(c, argc, argv, err, errlen);
	if (argc == 3 && strcmp(argv[0], "no") == 0 &&
	    strcmp(argv[1], "router") == 0 && strcmp(argv[2], "bgp") == 0) {
		memset(&c->bgp, 0, sizeof(c->bgp));
		return 0;
	}
	if (strcmp(argv[0], "router") == 0) {
		uint32_t as;

		if (argc != 3 || strcmp(argv[1], "bgp") != 0 ||
		    parse_as(argv[2], &as) < 0) {
			seterr(err, errlen, "expected \"router bgp AS\" with AS "
			    "from 1 to 4294967295");
			return -1;
		}
		c->bgp.as = as;
		st->mode = CFGMODE_BGP;
		return 0;
	}
	if (strcmp(argv[0], "ip") == 0 || (strcmp(argv[0], "no") == 0 &&
	    argc > 1 && strcmp(argv[1], "ip") == 0)) {
		int neg = argv[0][0] == 'n';
		int ext, idx;

		if (argc != 4 + neg || strcmp(argv[1 + neg], "access-list") != 0 ||
		    (strcmp(argv[2 + neg], "standard") != 0 &&
		    strcmp(argv[2 + neg], "extended") != 0)) {
			seterr(err, errlen, "expected \"ip access-list "
			    "{standard|extended} NAME\"");
			return -1;
		}
		ext = argv[2 + neg][0] == 'e';
		if (neg) {
			if (acl_delete(c, argv[4]) < 0) {
				seterr(err, errlen, "no access-list %s", argv[4]);
				return -1;
			}
			return 0;
		}
		if ((idx = acl_open(c, ext, argv[3], err, errlen)) < 0)
			return -1;
		st->mode = CFGMODE_ACL;
		st->acl = idx;
		return 0;
	}
	if (strcmp(argv[0], "setforward") == 0)
		return forward_line(c, argc, argv, err, errlen);
	if (strcmp(argv[0], "l2tp") == 0)
		return l2tp_line(c, argc, argv, err, errlen);
	if (strcmp(argv[0], "exit") == 0 || strcmp(argv[0], "end") == 0)
		return 0;
	if (strcmp(argv[0], "neighbour") == 0 || strcmp(argv[0], "neighbor") == 0) {
		seterr(err, errlen, "neighbour outside a \"router bgp\" block");
		return -1;
	}
	if (strcmp(argv[0], "permit") == 0 || strcmp(argv[0], "deny") == 0) {
		seterr(err, errlen, "%s outside an \"ip access-list\" block",
		    argv[0]);
		return -1;
	}
	seterr(err, errlen, "unknown command \"%s\"", argv[0]);
	return -1;
}

void
cfg_report(cfg_errfn fn, void *arg, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (fn == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fn(arg, msg);
}

int
dae_clients_parse(const char *list, struct dae_client *out, int max,
    char *err, size_t errlen)
{
	char buf[CFG_STRLEN], *p, *tok, *sec, *slash, *end;
	struct in_addr a;
	long len;
	int n = 0;

	if (strlen(list) >= sizeof(buf)) {
		seterr(err, errlen, "list too long");
		return -1;
	}
	strcpy(buf, list);
	for (p = buf; (tok = strsep(&p, ",")) != NULL;) {
		while (*tok == ' ' || *tok == '\t')
			tok++;
		end = tok + strlen(tok);
		while (end > tok && (end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
		if (*tok == '\0')
			continue;
		if (n == max) {
			seterr(err, errlen, "more than %d clients", max);
			return -1;
		}
		memset(&out[n], 0, sizeof(out[n]));
		if ((sec = strchr(tok, '=')) != NULL) {
			*sec++ = '\0';
			if (*sec == '\0' || strlen(sec) >= CFG_SECRETLEN) {
				seterr(err, errlen, "\"%s\": a secret of 1 to "
				    "%d characters after =", tok,
				    CFG_SECRETLEN - 1);
				return -1;
			}
			strcpy(out[n].secret, sec);
		}
		len = 32;
		if ((slash = strchr(tok, '/')) != NULL) {
			*slash++ = '\0';
			len = strtol(slash, &end, 10);
			if (*slash == '\0' || *end != '\0' || len < 0 ||
			    len > 32) {
				seterr(err, errlen, "\"%s/%s\": bad prefix "
				    "length", tok, slash);
				return -1;
			}
		}
		if (inet_pton(AF_INET, tok, &a) != 1) {
			seterr(err, errlen, "\"%s\" is not an IPv4 address",
			    tok);
			return -1;
		}
		out[n].mask = len == 0 ? 0 : htonl(0xffffffffu << (32 - len));
		out[n].net = a.s_addr & out[n].mask;
		n++;
	}
	return n;
}

int
radius_msgauth_mode(const struct config *c)
{
	const char *v = c->radius_require_message_authenticator;

	if (*v == '\0' || strcasecmp(v, "auto") == 0)
		return MSGAUTH_AUTO;
	if (strcasecmp(v, "yes") == 0)
		return MSGAUTH_YES;
	if (strcasecmp(v, "no") == 0)
		return MSGAUTH_NO;
	return -1;
}

int
cfg_was_set(const struct config *c, const char *name)
{
	const struct cfg_directive *d = cfg_find(name);
	size_t i;

	if (d == NULL)
		return 0;
	i = (size_t)(d - directives);
	return (c->was_set[i / 8] & (1 << (i % 8))) != 0;
}

/* Checks that involve several directives; run after the whole file. */
static int
cfg_check(struct config *c, const char *path, cfg_errfn fn, void *arg)
{
	const struct cfg_directive *d;
	int errors = 0;
	char *p, *tok, buf[CFG_STRLEN], e2[160];

	/* The secondary server's port follows the primary's unless set. */
	d = cfg_find("secondary_radius_port");
	if (!(c->was_set[(d - directives) / 8] & (1 << ((d - directives) % 8))))
		c->secondary_radius_port = c->primary_radius_port;

	if ((c->radius_bind_min || c->radius_bind_max) &&
	    c->radius_bind_min && c->radius_bind_max &&
	    c->radius_bind_max - c->radius_bind_min + 1 < 64) {
		cfg_report(fn, arg, "%s: radius_bind_min %d to radius_bind_max %d: "
		    "the range must hold at least 64 ports", path,
		    c->radius_bind_min, c->radius_bind_max);
		errors++;
	}
	if (c->pid_file[0] != '\0' && c->pid_file[0] != '/') {
		cfg_report(fn, arg, "%s: pid_file \"%s\" must be an absolute path",
		    path, c->pid_file);
		errors++;
	}
	if (c->log_file[0] != '\0' && c->log_file[0] != '/' &&
	    strncmp(c->log_file, "syslog:", 7) != 0) {
		cfg_report(fn, arg, "%s: log_file \"%s\" must be an absolute path "
		    "or syslog:FACILITY", path, c->log_file);
		errors++;
	}
	strcpy(buf, c->radius_authtypes);
	for (p = buf; (tok = strsep(&p, ", ")) != NULL;) {
		if (*tok == '\0')
			continue;
		if (strcasecmp(tok, "pap") != 0 && strcasecmp(tok, "chap") != 0 &&
		    strcasecmp(tok, "mschapv2") != 0) {
			cfg_report(fn, arg, "%s: radius_authtypes: unknown method "
			    "\"%s\" (expected pap, chap or mschapv2)", path, tok);
			errors++;
		}
	}
	{
		struct dae_client dc[DAE_CLIENTS_MAX];

		if (dae_clients_parse(c->dae_clients, dc, DAE_CLIENTS_MAX, e2,
		    sizeof(e2)) < 0) {
			cfg_report(fn, arg, "%s: dae_clients: %s", path, e2);
			errors++;
		}
	}
	if (radius_msgauth_mode(c) < 0) {
		cfg_report(fn, arg, "%s: radius_require_message_authenticator: "
		    "\"%s\" (expected auto, yes or no)", path,
		    c->radius_require_message_authenticator);
		errors++;
	}
	for (int i = 0; i < c->bgp.npeers; i++) {
		if (c->bgp.peer[i].remote_as == 0) {
			cfg_report(fn, arg, "%s: BGP neighbour %s has no remote-as",
			    path, c->bgp.peer[i].name);
			errors++;
		}
	}
	if (bgp_parse_communities(c->bgp_communities, NULL, 0, e2,
	    sizeof(e2)) < 0) {
		cfg_report(fn, arg, "%s: bgp_communities: %s", path, e2);
		errors++;
	}
	if (c->bgp.npeers > 0 && c->bgp.as == 0) {
		cfg_report(fn, arg, "%s: BGP neighbours configured but no local AS "
		    "(router bgp AS)", path);
		errors++;
	}
	return errors;
}

int
cfg_load(struct config *c, const char *path, const struct config *old,
    cfg_errfn fn, void *arg)
{
	struct cfg_state st = { CFGMODE_TOP, 0 };
	const struct cfg_directive *d;
	char err[512];
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int lineno = 0, errors = 0;
	FILE *f;

	if ((f = fopen(path, "r")) == NULL) {
		cfg_report(fn, arg, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	while ((len = getline(&line, &cap, f)) != -1) {
		lineno++;
		if ((size_t)len != strlen(line)) {
			cfg_report(fn, arg, "%s:%d: NUL byte in line", path, lineno);
			errors++;
			continue;
		}
		if (cfg_parse_line(c, &st, line, &d, err, sizeof(err)) == 0)
			continue;
		errors++;
		cfg_report(fn, arg, "%s:%d: %s%s", path, lineno, err,
		    old && d ? " (keeping the running value)" : "");
		if (old && d)
			cfg_copy_value(c, old, d);
	}
	free(line);
	if (ferror(f)) {
		cfg_report(fn, arg, "%s: read error: %s", path, strerror(errno));
		errors++;
	}
	fclose(f);
	errors += cfg_check(c, path, fn, arg);
	return errors;
}

/* ---- the printer: cfgprint.c ---- */

/* ---- BGP communities (RFC 1997) ---- */

int
bgp_parse_communities(const char *s, uint32_t *out, int max, char *err,
    size_t errlen)
{
	static const struct { const char *name; uint32_t v; } wk[] = {
		{ "no-export", 0xffffff01 },
		{ "no-advertise", 0xffffff02 },
		{ "no-export-subconfed", 0xffffff03 },
	};
	char tok[64];
	int n = 0;

	while (*s) {
		size_t len = strcspn(s, " \t,");
		unsigned long a, b;
		uint32_t v = 0;
		char *end;
		size_t i;
		int ok = 0;

		if (len == 0) {
			s++;
			continue;
		}
		if (len >= sizeof(tok)) {
			seterr(err, errlen, "community too long");
			return -1;
		}
		memcpy(tok, s, len);
		tok[len] = '\0';
		s += len;
		for (i = 0; i < sizeof(wk) / sizeof(wk[0]); i++)
			if (strcasecmp(tok, wk[i].name) == 0) {
				v = wk[i].v;
				ok = 1;
			}
		if (!ok && isdigit((unsigned char)tok[0])) {
			errno = 0;
			a = strtoul(tok, &end, 10);
			if (*end == ':' && isdigit((unsigned char)end[1])) {
				b = strtoul(end + 1, &end, 10);
				ok = *end == '\0' && errno == 0 && a <= 65535 &&
				    b <= 65535;
				v = (uint32_t)(a << 16 | b);
			} else {
				ok = *end == '\0' && errno == 0 &&
				    a <= 0xffffffffUL;
				v = (uint32_t)a;
			}
		}
		if (!ok) {
			seterr(err, errlen, "bad community \"%s\": expected "
			    "AS:VALUE (0-65535 each), a number, no-export, "
			    "no-advertise or no-export-subconfed", tok);
			return -1;
		}
		if (n >= 32) {
			seterr(err, errlen, "more than 32 communities");
			return -1;
		}
		if (out && n < max)
			out[n] = v;
		n++;
	}
	return out && n > max ? max : n;
}
