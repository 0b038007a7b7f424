/*
 * config.h - the running configuration and the parsers of the three
 * configuration files (startup-config, users, ip_pool).
 *
 * A configuration is parsed into a fresh struct config, checked, and only
 * then swapped in (STYLE 13).  Every error names file:line and the key.
 */
#ifndef L2TPNS_CONFIG_H
#define L2TPNS_CONFIG_H

#include <stdint.h>
#include <stddef.h>
#include <netinet/in.h>

#include "tcpflags.h"

#define CFG_STRLEN		256	/* generic string directive */
#define CFG_SECRETLEN		64
#define MAXPLUGINS		32
#define MAXBGPPEER		8
#define MAXACLNAME		32
#define MAXHOSTNAME_CFG		64
#define MAXDIRECTIVES		512

/* Value types of `set` directives. */
enum cfg_type {
	CT_INT,		/* signed int with [min, max] */
	CT_SHORT,	/* 0..65535 (ports) */
	CT_ULONG,	/* unsigned long */
	CT_BOOL,	/* yes/no/true/false/on/off/1/0 */
	CT_STRING,	/* char array of the field's size */
	CT_IPV4,	/* in_addr_t, network order */
	CT_IPV6,	/* struct in6_addr */
	CT_IPV6PFX,	/* struct cfg_ip6pfx: address and length */
	CT_LEGACY,	/* an old key mapped by a handler */
};

/* Directive flags. */
#define CF_RESTART	0x01	/* read at startup only; a change needs a restart */
#define CF_SECRET	0x02	/* hidden from unprivileged views */
#define CF_OBSOLETE	0x04	/* accepted for old configs, has no effect */
#define CF_HIDDEN	0x08	/* not written by the config printer */
#define CF_NOSET	0x10	/* startup-config only: the CLI cannot set it */
#define CF_NEWSESS	0x20	/* a change reaches only the sessions, tunnels
				   and CLI connections set up after it */
#define CF_UNSUPPORTED	0x40	/* a 2.x key this server cannot honour:
				   accepted, ignored, warned about */

/*
 * What a reload (SIGHUP, or `set` in the CLI) does with a changed
 * directive, decided by its flags in the directive table alone
 * (manual, "Reloading"; the Ze LNS reload table is the model):
 *	CFG_NOW		applied at once, to everything running
 *	CFG_NEW		applied to what is set up from now on; running
 *			sessions and tunnels keep what they negotiated
 *	CFG_RESTART	read at startup only: the running value is kept
 *			and the configured one waits for the next start
 *	CFG_IGNORED	an obsolete or unsupported key: no effect at all
 */
enum cfg_reload { CFG_NOW, CFG_NEW, CFG_RESTART, CFG_IGNORED };

struct cfg_ip6pfx {
	struct in6_addr	addr;
	int		plen;	/* 0 = unset */
};

/* ip access-list: RFC-free Cisco syntax, see the manual "Access Lists". */
enum acl_port_op { PORT_ANY = 0, PORT_EQ, PORT_NEQ, PORT_GT, PORT_LT, PORT_RANGE };
enum acl_tcp_op { TCPF_NONE = 0, TCPF_ESTABLISHED, TCPF_MATCH_ANY, TCPF_MATCH_ALL };

struct acl_rule {
	uint8_t		permit;		/* 1 permit, 0 deny */
	uint8_t		proto;		/* 0 = ip (any), 6 tcp, 17 udp */
	in_addr_t	src, src_wild;	/* network order; wildcard bits set = don't care */
	in_addr_t	dst, dst_wild;
	uint8_t		sport_op, dport_op;
	uint16_t	sport[2], dport[2];
	uint8_t		tcp_op;
	uint8_t		tcp_set, tcp_clear;	/* flags that must be set / clear */
	uint8_t		fragments;
};

struct acl {
	char		name[MAXACLNAME];
	int		extended;
	int		nrules;
	struct acl_rule	*rules;
};

struct bgp_neighbour {
	char		name[64];	/* hostname or address */
	uint32_t	remote_as;
	int		keepalive;	/* seconds; -1 = default (60) */
	int		hold;		/* seconds; -1 = default (180) */
	char		update_source[64];
};

struct bgp_config {
	uint32_t	as;		/* 0 = BGP off */
	int		npeers;
	struct bgp_neighbour peer[MAXBGPPEER];
};

/* setforward MASK IP PORT SECRET (2.4: relay matching users to an LNS). */
struct forward_rule {
	char		mask[64];
	in_addr_t	ip;
	uint16_t	port;
	char		secret[CFG_SECRETLEN];
};

/*
 * Static incoming L2TP (FireBrick 12.3.2, issue 23):
 *	l2tp incoming HOSTNAME SECRET
 * a LAC whose Host Name is HOSTNAME authenticates with SECRET (then
 * only the LACs named by such lines are accepted);
 *	l2tp session USER PASSWORD [tunnel HOSTNAME]
 *	    (address IP [route NET/LEN]... | relay IP [PORT [SECRET]])
 * a subscriber USER with PASSWORD ("*": any, the far LNS checks it) on
 * any tunnel, or that LAC's, gets IP and the routes without RADIUS, or
 * is relayed to the LNS at IP.
 */
#define STATIC_ROUTES	4
struct l2tp_tunnel_rule {
	char		host[64];
	char		secret[CFG_SECRETLEN];
};
struct l2tp_session_rule {
	char		user[64];
	char		password[CFG_SECRETLEN];
	char		tunnel[64];		/* "" = any */
	in_addr_t	ip;			/* 0 with relay */
	uint8_t		nroutes;
	in_addr_t	route_net[STATIC_ROUTES];
	uint8_t		route_len[STATIC_ROUTES];
	in_addr_t	relay;			/* 0 = terminate here */
	uint16_t	relay_port;
	char		relay_secret[CFG_SECRETLEN];
	char		haset[32];		/* HA set name, "" = none */
};

/*
 * Outgoing L2TP (FireBrick 12.3.1, issue 23; lacout.c, pppc.c):
 *	l2tp outgoing NAME lns IP [port PORT] [hostname HOST]
 *	    [secret SECRET] user USER password PASSWORD
 *	    [auth pap|chap|mschapv2[,...]] [route NET/LEN]... [dns]
 * a tunnel of ours to the LNS at IP carrying one PPP session of ours
 * as USER; the address it is given is the source of the routes, which
 * go into that session.
 */
#define OUTGOING_ROUTES	8
#define OUT_AUTH_PAP	0x01
#define OUT_AUTH_CHAP	0x02
#define OUT_AUTH_MSCHAPV2 0x04
#define OUT_AUTH_ALL	0x07
struct l2tp_outgoing {
	char		name[32];
	in_addr_t	lns;
	uint16_t	port;
	char		host[64];		/* our Host Name; "" = hostname */
	char		secret[CFG_SECRETLEN];	/* "" = no tunnel auth */
	char		user[64];
	char		password[CFG_SECRETLEN];
	uint8_t		auth;			/* OUT_AUTH_* allowed */
	uint8_t		dns;			/* ask for DNS (RFC 1877) */
	uint8_t		nroutes;
	in_addr_t	route_net[OUTGOING_ROUTES];
	uint8_t		route_len[OUTGOING_ROUTES];
};

struct config {
	/* logging and process */
	int		debug;
	char		log_file[CFG_STRLEN];
	char		pid_file[CFG_STRLEN];
	char		random_device[CFG_STRLEN];
	int		setuid;
	int		scheduler_fifo;
	int		lock_pages;
	int		multi_read_count;
	/* data-plane offloads (dataplane.c, tun.c, offload.c) */
	int		tun_offload, tun_gro, udp_gso, udp_gro, tun_uring;
	char		hostname[MAXHOSTNAME_CFG];
	char		users_file[CFG_STRLEN];
	char		ip_pool_file[CFG_STRLEN];
	char		local_auth_file[CFG_STRLEN];
	char		plugin_dir[CFG_STRLEN];
	int		max_sessions;
	int		max_tunnels;
	int		max_sessions_per_tunnel;

	/* L2TP */
	char		l2tp_secret[CFG_SECRETLEN];
	int		l2tp_mtu;
	in_addr_t	bind_address;
	int		l2tp_port;
	int		hello_interval;
	int		dead_peer_hellos;
	int		l2tp_max_retries;
	int		disable_sending_hello;
	char		bind_multi_address[CFG_STRLEN];
	char		multi_hostname[CFG_STRLEN];
	int		auth_tunnel_change_addr_src;
	int		l2tp_setup_timeout;
	int		l2tp_max_opening_tunnels;
	int		l2tp_max_opening_per_source;
	int		l2tp_challenge_lac;

	/* PPP */
	int		ppp_restart_time;
	int		ppp_max_configure;
	int		ppp_max_failure;
	int		ppp_keepalive;
	int		echo_timeout;
	int		idle_echo_timeout;
	in_addr_t	primary_dns;
	in_addr_t	secondary_dns;
	in_addr_t	peer_address;
	struct cfg_ip6pfx ipv6_prefix;
	struct in6_addr	primary_ipv6_dns;
	struct in6_addr	secondary_ipv6_dns;

	/* RADIUS */
	in_addr_t	primary_radius;
	in_addr_t	secondary_radius;
	int		primary_radius_port;
	int		secondary_radius_port;
	int		radius_accounting;
	int		radius_interim;
	int		radius_timeout;
	int		radius_window;	/* outstanding per server, 0 = no cap */
	char		radius_secret[CFG_SECRETLEN];
	char		radius_authtypes[CFG_STRLEN];
	char		radius_require_message_authenticator[CFG_STRLEN];
	int		radius_bind_min;
	int		radius_bind_max;
	int		radius_dae_port;
	char		dae_clients[CFG_STRLEN];
	int		dae_require_event_timestamp;
	int		dae_event_window;
	int		allow_duplicate_users;
	int		multilink;		/* RFC 1990 (mlppp.c) */
	int		kill_timedout_sessions;
	char		guest_account[CFG_STRLEN];

	/* data plane */
	char		tundevicename[32];
	in_addr_t	iftun_address;
	int		send_garp;
	unsigned long	throttle_speed;
	int		throttle_buckets;
	int		icmp_rate;
	int		packet_limit;
	int		disable_no_spoof;
	int		no_throttle_local_IP;

	/* accounting */
	char		accounting_dir[CFG_STRLEN];
	int		account_all_origin;
	int		accounting_dir_interval;	/* seconds */
	int		dump_speed;

	/* cluster */
	in_addr_t	cluster_address;
	char		cluster_interface[32];
	int		cluster_mcast_ttl;
	int		cluster_hb_interval;
	int		cluster_hb_timeout;
	int		cluster_master_min_adv;
	int		cluster_port;
	char		cluster_key[CFG_STRLEN];	/* "" = unauthenticated */

	/* BGP (2.4 next hops) */
	in_addr_t	nexthop_address;
	struct in6_addr	nexthop6_address;
	int		bgp_port;
	int		bgp_connect_retry;	/* seconds */
	int		bgp_graceful_restart;	/* Restart Time, 0 = off */
	int		bgp_med;		/* -1 = none */
	char		bgp_communities[CFG_STRLEN];

	/* CLI and control */
	in_addr_t	cli_bind_address;
	int		cli_port;
	int		cli_idle_timeout;
	int		nsctl_port;
	char		nsctl_allow[CFG_STRLEN];
	int		trust_local_users;

	/* monitoring (metrics.c, cqm.c) */
	int		metrics_port;
	in_addr_t	metrics_bind_address;
	int		metrics_sessions;
	int		quality_max_logins;
	int		web_enabled;

	/* LAC relay (2.4) */
	int		disable_lac_func;
	in_addr_t	bind_address_remotelns;
	int		bind_portremotelns;

	/* obsolete keys of the older manuals: accepted, reported, unused */
	int		save_state;	/* state.c: keep sessions over a restart */
	char		state_dir[CFG_STRLEN];
	int		cleanup_interval;
	in_addr_t	snoop_host;
	int		snoop_port;
	in_addr_t	cluster_master;

	/* statements other than `set` */
	int		nplugins;
	char		plugins[MAXPLUGINS][64];
	struct bgp_config bgp;
	int		nacls;
	struct acl	*acls;
	int		nforwards;
	struct forward_rule *forwards;
	int		nl2tp_tunnels;
	struct l2tp_tunnel_rule *l2tp_tunnels;
	int		nl2tp_sessions;
	struct l2tp_session_rule *l2tp_sessions;
	int		nl2tp_outgoing;
	struct l2tp_outgoing *l2tp_outgoing;

	/* bookkeeping */
	uint8_t		was_set[MAXDIRECTIVES / 8];	/* bit per directive: set by a line */
};


/* One row of the directive table. */
struct cfg_directive {
	const char	*name;
	enum cfg_type	 type;
	size_t		 offset;
	size_t		 size;
	long		 min, max;	/* CT_INT/CT_SHORT bounds */
	int		 flags;
	const char	*dflt;		/* default, in the file syntax */
	const char	*help;
	int		(*legacy)(struct config *, const char *value,
			    char *err, size_t errlen);
};

/*
 * Error sink: called once per error with a complete message of the form
 * "FILE:LINE: text".  `arg` is the caller's.
 */
typedef void (*cfg_errfn)(void *arg, const char *msg);

/* config.c's parsing helpers, shared with cfgfiles.c (users, ip_pool). */
int	 cfg_parse_long(const char *s, long *out);	/* 0, or -1 */
int	 cfg_parse_ip4(const char *s, in_addr_t *a);	/* 0, or -1 */
void	 cfg_report(cfg_errfn, void *arg, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

extern struct config *config;	/* the running configuration */

const struct cfg_directive *cfg_directives(size_t *count);
const struct cfg_directive *cfg_find(const char *name);
/* 1 when directive `name` was set by a line of c's file. */
int	 cfg_was_set(const struct config *c, const char *name);

void	 cfg_defaults(struct config *);
void	 cfg_free(struct config *);
/*
 * Parse one line of startup-config syntax.  Returns 0 if the line was
 * accepted, -1 on error (err filled, without the file:line prefix).
 * `state` carries the block context (router bgp / access-list) between
 * lines of one file; zero it before the first line.
 */
struct cfg_state {
	int		mode;		/* CFGMODE_* */
	int		acl;		/* index of the open access list */
};
#define CFGMODE_TOP	0
#define CFGMODE_BGP	1
#define CFGMODE_ACL	2
int	 cfg_parse_line(struct config *, struct cfg_state *, const char *line,
	    const struct cfg_directive **which, char *err, size_t errlen);
/*
 * Read a whole startup-config.  With `old` NULL (startup) any error makes
 * the call fail.  With `old` set (reload) a directive whose line is bad
 * keeps its value from `old` and the call succeeds; every error is still
 * reported.  Returns the number of errors, or -1 if the file cannot be read.
 */
int	 cfg_load(struct config *, const char *path, const struct config *old,
	    cfg_errfn, void *arg);
/* Set one directive from text, as `set KEY VALUE` does. */
int	 cfg_set(struct config *, const char *key, const char *value,
	    char *err, size_t errlen);
/* Format a directive's value in file syntax. */
int	 cfg_format(const struct config *, const struct cfg_directive *,
	    char *buf, size_t len);
/*
 * Write the configuration back out in startup-config syntax: every
 * directive that differs from its default (all if `all`), plugins, BGP,
 * access lists.  Secrets are written only if `secrets`.
 */
int	 cfg_print(const struct config *, int all, int secrets,
	    int (*out)(void *, const char *), void *arg);
/* Which directives differ between two configs and need a restart. */
int	 cfg_restart_changes(const struct config *old, const struct config *new,
	    const struct cfg_directive **list, int max);
int	 cfg_copy_value(struct config *dst, const struct config *src,
	    const struct cfg_directive *);

/* The reload class of a directive, and its words for the log. */
enum cfg_reload cfg_reload_class(const struct cfg_directive *);
const char *cfg_reload_text(enum cfg_reload);
/*
 * Values that wait for a restart: a CFG_RESTART directive whose
 * configured value (from a reload or the CLI) differs from the running
 * one.  cfg_pending_note() records `configured`'s value of `d`, or
 * forgets it when it equals `running`'s.  cfg_pending_get() copies the
 * waiting value into `into` and returns 1, or returns 0 if none waits.
 */
void	 cfg_pending_note(const struct config *running,
	    const struct config *configured, const struct cfg_directive *d);
int	 cfg_pending_get(const struct cfg_directive *d, struct config *into);
/*
 * The running configuration as show running-config and write memory
 * give it: cfg_print()'s lines, but a value that waits for a restart is
 * written as configured (so that write memory keeps it), after a
 * comment line that names the value still in use.
 */
int	 cfg_print_running(const struct config *, int secrets,
	    int (*out)(void *, const char *), void *arg);

/* Tokenizer shared with the CLI: splits on blanks, honours "..." and '...'. */
int	 cfg_tokenize(char *line, char **argv, int max, char *err, size_t errlen);

/* Access list rule parser (the body line after `ip access-list`). */
int	 acl_parse_rule(int extended, int argc, char **argv, struct acl_rule *,
	    char *err, size_t errlen);
struct acl *acl_find(const struct config *, const char *name);
int	 acl_format_rule(const struct acl *, const struct acl_rule *, char *buf,
	    size_t len);

/* users file */
enum pw_kind { PW_PLAIN, PW_MD5, PW_DES };
struct cli_user {
	char		name[64];
	char		pass[160];	/* as stored, prefix stripped for {crypt} */
	enum pw_kind	kind;
};
struct users {
	int		 n;
	struct cli_user	*user;
	int		 have_enable;
	struct cli_user	 enable;
};
int	 users_load(struct users *, const char *path, cfg_errfn, void *arg);
int	 users_parse_line(struct cli_user *, const char *line, char *err,
	    size_t errlen);
void	 users_free(struct users *);
/* Returns 1 if name/password match an entry, 0 otherwise. */
int	 users_check(const struct users *, const char *name, const char *pass);
int	 users_check_enable(const struct users *, const char *pass);
int	 password_matches(const struct cli_user *, const char *pass);

/*
 * bgp_communities: "AS:VALUE", a 32-bit number or no-export,
 * no-advertise, no-export-subconfed, separated by blanks or commas
 * (RFC 1997).  Returns how many were stored in `out` (at most `max`), or
 * -1 with the reason in err.
 */
int	 bgp_parse_communities(const char *, uint32_t *out, int max,
	    char *err, size_t errlen);

/*
 * radius_require_message_authenticator (CVE-2024-3596): MSGAUTH_AUTO,
 * MSGAUTH_YES or MSGAUTH_NO, or -1 for an unknown value.
 */
enum { MSGAUTH_AUTO, MSGAUTH_YES, MSGAUTH_NO };
int	 radius_msgauth_mode(const struct config *);

/*
 * dae_clients: a comma list of ADDRESS[/LEN][=SECRET] (RFC 5176 DACs).
 * Fills at most `max` entries; returns how many, or -1 with the reason
 * in err.  An entry with no secret uses radius_secret.
 */
#define DAE_CLIENTS_MAX	16
struct dae_client {
	in_addr_t	net;		/* network byte order, host bits clear */
	in_addr_t	mask;
	char		secret[CFG_SECRETLEN];
};
int	 dae_clients_parse(const char *, struct dae_client *out, int max,
	    char *err, size_t errlen);

/* ip_pool file */
struct pool_range {
	uint32_t	first, last;	/* host byte order, inclusive */
};
struct pool_file {
	int		 n;
	struct pool_range *range;	/* sorted, merged */
	uint64_t	 count;		/* addresses in all ranges */
	int		 nroutes;	/* CIDR lines: routes to install */
	struct pool_range *routes;	/* network, broadcast of each CIDR */
};
/*
 * Read ip_pool.  `bind` is this node's bind_address (network order) used
 * for "BINDADDR:" prefixed lines; entries for other nodes are skipped.
 * Returns the number of errors, or -1 if the file cannot be read.
 * Messages containing ": warning: " are reported but are not errors.
 * pool_parse_line returns 0 for an entry, 1 for a blank or comment line,
 * 2 for another node's entry, 3 for an entry accepted with a warning
 * (in err), -1 on error.
 */
int	 pool_load(struct pool_file *, const char *path, in_addr_t bind,
	    uint64_t warn_above, cfg_errfn, void *arg);
int	 pool_parse_line(const char *line, in_addr_t bind, struct pool_range *,
	    int *is_cidr, char *err, size_t errlen);
void	 pool_free(struct pool_file *);

#endif /* L2TPNS_CONFIG_H */
