/*
 * cli.h - what the two halves of the CLI share: the daemon's half
 * (cli.c: listener, children, the operations that change state) and
 * the child's half (cli_child.c: one libcli session per connection).
 * Only these two files include it; the rest of the daemon sees
 * cli_setup() and cli_reload() in l2tpns.h.
 */
#ifndef L2TPNS_CLI_H
#define L2TPNS_CLI_H

#include <stdint.h>
#include <sys/types.h>
#include <time.h>
#include <netinet/in.h>

#include "l2tpns.h"
#include "config.h"

#define CLI_MAX_CHILDREN	10
#define CLI_MAX_FAILURES	3	/* wrong passwords before hanging up */
#define CLI_REPLY_MAX		65000	/* text bytes in one reply */
#define CLI_REPLY_WAIT		10	/* seconds a child waits for one */
#define CLI_ACCEPT_BUDGET	8	/* connections accepted per wakeup */
#define CLI_LOGIN_TIMEOUT	60	/* seconds to get past the login */
#define CLI_PENDING_PER_SOURCE	3	/* logins in progress from one address */

/* ---- the request protocol between a child and the daemon ---- */

enum cli_op {
	OP_NONE = 0,
	OP_DROP_SESSION,	/* id, text = reason */
	OP_DROP_TUNNEL,		/* id, text = reason */
	OP_CLEAR_COUNTERS,
	OP_SHOW_CONFIG,		/* id = SHOWCFG_* flags */
	OP_SHOW_ACL,		/* name = list, "" = all */
	OP_SHOW_PLUGINS,
	OP_SHOW_RADIUS,
	OP_SHOW_CLUSTER,
	OP_SHOW_BGP,
	OP_SET,			/* name = key, text = value */
	OP_SNOOP,		/* name = user, ip, port */
	OP_NO_SNOOP,		/* name = user */
	OP_THROTTLE,		/* name = user, rate_in, rate_out */
	OP_NO_THROTTLE,		/* name = user */
	OP_LOAD_PLUGIN,		/* name */
	OP_REMOVE_PLUGIN,	/* name */
	OP_ACL,			/* name = list, id = ACLREQ_*, text = rule */
	OP_BGP,			/* name = AS, id = 1: delete, text = line */
	OP_BGP_CTL,		/* id = BGPCTL_*, name = peer ("" = all) */
	OP_LOGGED_IN,		/* the child's user got past the login */
	OP_FILTER,		/* name = user, text = in list, text +
				   CFG_STRLEN = out list ("" = unchanged) */
	OP_NO_FILTER,		/* name = user */
	OP_SHOW_TBF,		/* show tbf (2.x): the throttle buckets */
	OP_SHOW_HASET,		/* show ha-set: the HA sets, live; id 1 = JSON */
	OP_MAX
};

#define SHOWCFG_SECRETS	0x1
#define BGPCTL_SUSPEND	1
#define BGPCTL_RESUME	2
#define BGPCTL_RESTART	3
#define ACLREQ_EXTENDED	0x1
#define ACLREQ_DELETE	0x2

struct cli_req {
	uint32_t	seq;
	uint32_t	op;		/* enum cli_op */
	uint32_t	id;
	uint32_t	rate_in, rate_out;	/* kbit/s */
	in_addr_t	ip;
	uint16_t	port;
	char		who[96];	/* "user@address", for the log */
	char		name[MAXUSER];
	char		text[CFG_STRLEN * 2];
	uint32_t	cause;		/* OP_DROP_SESSION: 0, or 1..255 */
};

struct cli_reply {
	uint32_t	seq;
	int32_t		status;		/* 0 done, -1 refused (text says why) */
	uint32_t	len;		/* bytes of text that follow */
};

/* A reply's text, built by the daemon. */
struct out {
	char		buf[CLI_REPLY_MAX];
	size_t		len;
	int		truncated;
};

/* "uptime": written by the daemon each second, read by the children. */
struct cli_rates {
	double		udp_eth, eth_udp;	/* Mbit/s in the last second */
	double		udp_eth_peak, eth_udp_peak;
	uint64_t	in_pps, out_pps;
};

/* ---- the daemon's state a child reads (set before it forks) ---- */

extern struct cli_rates *cli_rates;	/* MAP_SHARED, "uptime" */
extern const char *cli_cfg_path;	/* "write memory" */
extern const struct users *cli_users;
extern const struct pool_file *cli_pool;
extern time_t cli_started;
extern pid_t cli_daemon_pid;

void	 cli_out_printf(struct out *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
const char *cli_ip_str(in_addr_t, char *buf);	/* INET_ADDRSTRLEN */

/* cli_child.c: the forked child's whole life; never returns. */
void	 cli_child_run(int sock, int link, const struct sockaddr_in *from)
	    __attribute__((noreturn));
/* The child's libcli session with the command table, its requests going
 * over `link` (cli_child_run; the CLI fuzzer).  0 or -1. */
int	 cli_child_commands(int link);
/* The daemon's side of one request on `fd`, as for a child (fuzzer). */
void	 cli_serve_link(int fd);

#endif /* L2TPNS_CLI_H */
