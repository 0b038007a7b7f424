/*
 * cli.c - the Cisco-style command-line interface, on libcli, over telnet.
 *
 * State owned: the CLI listening socket, the table of CLI children (pid,
 * request socket, peer), the bandwidth figures of "uptime" (one small
 * MAP_SHARED page, written once a second by the daemon) and, inside a
 * child, that child's libcli session.
 * Exports (l2tpns.h, "cli.c"): cli_setup(), cli_reload().
 *
 * This file is the daemon's half: the listener, the children, and ops[],
 * the daemon's side of every request.  The child's half, the libcli
 * session and the command table, is cli_child.c; cli.h holds what they
 * share.
 *
 * Keeping off the packet loop.  The daemon's loop owns only the listening
 * socket.  It accepts a connection and forks a child for it, and the child
 * runs the blocking libcli session (cli_loop), so a slow or idle telnet
 * client costs the loop nothing.  The child reads live state straight
 * from the session and tunnel tables and the counters, which are MAP_SHARED
 * (tables.c, l2tpns.c); it copies an entry before printing it, since the
 * loop may be changing it.  The child never changes daemon state: actions
 * (drop, clear counters, set ...) and every view of the running
 * configuration, which the child's copy of the heap would show as it was
 * at fork time, go to the daemon as one fixed-size struct cli_req over a
 * SOCK_SEQPACKET pair made for that child.  The loop carries the request
 * out between two packets and sends one struct cli_reply with a status and
 * up to CLI_REPLY_MAX bytes of text, which the child prints.  When a child
 * ends, its end of the pair closes; the loop sees EOF and frees the slot,
 * and l2tpns.c reaps the process on SIGCHLD.  A child dies with the daemon
 * (PR_SET_PDEATHSIG).  At most CLI_MAX_CHILDREN sessions run at once.
 *
 * Access.  When the users file names at least one user, the CLI listens
 * on cli_bind_address:cli_port and asks for a name and a password (plain,
 * $1$ MD5-crypt or {crypt} DES: config.c password_matches); the entry
 * "enable" is the password of privileged mode.  Without a user anybody
 * who connects gets in without a password, so the listener is then held
 * to 127.0.0.1 whatever cli_bind_address says, and the log says so.
 * Sessions idle for cli_idle_timeout seconds are closed, and three wrong
 * passwords end the connection.
 *
 * "write memory" is the one action whose slow part runs in the child:
 * the daemon hands over the configuration text, and the child writes and
 * syncs the file, so the loop never waits on the disk.
 *
 * Commands live in one token table, cli_commands[], registered with
 * libcli as trees of words; the daemon's side of every request is one row
 * of ops[].  The manual's section "The command-line interface (CLI)"
 * describes them.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/mman.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <syslog.h>

#include <libcli.h>

#include "evring.h"
#include "l2tpns.h"
#include "acctfile.h"
#include "acl.h"
#include "bgp.h"
#include "cluster.h"
#include "event.h"
#include "control.h"
#include "l2tp.h"
#include "log.h"
#include "radius.h"
#include "tbf.h"
#include "haset.h"
#include "cli.h"
#include "session.h"
#include "util.h"

/* ---- daemon side state ---- */

struct cli_child {
	pid_t		pid;
	int		fd;		/* our end of the pair; -1: free */
	int		logged_in;	/* past the login (OP_LOGGED_IN) */
	in_addr_t	addr;		/* the client's address */
	uint64_t	started;	/* ms, time_now_ms at accept */
	char		peer[INET_ADDRSTRLEN + 8];
};

static int listen_fd = -1;
static in_addr_t listen_addr;
static int listen_port;
static struct cli_child children[CLI_MAX_CHILDREN];
static struct timer accept_timer;	/* listener paused (EMFILE) */
struct cli_rates *cli_rates;
static struct timer rate_timer;
const char *cli_cfg_path;
const struct users *cli_users;
const struct pool_file *cli_pool;
time_t cli_started;
pid_t cli_daemon_pid;

void
cli_out_printf(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->truncated)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->len, sizeof(o->buf) - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(o->buf) - o->len) {
		o->truncated = 1;
		return;
	}
	o->len += (size_t)n;
}

/* cfg_print's line sink. */
static int
out_line(void *arg, const char *line)
{
	cli_out_printf(arg, "%s\n", line);
	return 0;
}

const char *
cli_ip_str(in_addr_t a, char *buf)
{
	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

/* ==================================================================== */
/* The daemon's side: listener, children, requests                      */
/* ==================================================================== */

static int
op_drop_session(const struct cli_req *rq, struct out *o)
{
	struct session *sp = session_get(rq->id);
	char why[CFG_STRLEN * 2 + 32];

	if (sp == NULL || sp->state == SESSION_FREE) {
		cli_out_printf(o, "%% No session %u", rq->id);
		return -1;
	}
	if (rq->text[0])
		snprintf(why, sizeof(why), "dropped by CLI: %s", rq->text);
	else
		snprintf(why, sizeof(why), "dropped by CLI");
	LOG(LOG_WARN_L, rq->id, sp->tunnel, "session dropped from the CLI by "
	    "%s: %s", rq->who, why);
	{
		char r[EVRING_TEXT];

		snprintf(r, sizeof(r), "%.30s: %.50s", rq->who, rq->text[0] ?
		    rq->text : "dropped");
		evring_teardown(rq->id, SEA_CLI, rq->cause ? (uint16_t)rq->cause :
		    TERM_ADMIN_RESET, r);
	}
	/* LCP Terminate-Request, then the CDN (result 3, administrative);
	 * `cause` is the Acct-Terminate-Cause (RFC 2866 5.10). */
	session_drop(rq->id, rq->cause ? (int)rq->cause : TERM_ADMIN_RESET,
	    why);
	cli_out_printf(o, "Session %u dropped", rq->id);
	return 0;
}

static int
op_drop_tunnel(const struct cli_req *rq, struct out *o)
{
	struct tunnel *tp = tunnel_get(rq->id);
	char why[CFG_STRLEN * 2 + 32];

	if (tp == NULL || tp->state == TUNNEL_FREE) {
		cli_out_printf(o, "%% No tunnel %u", rq->id);
		return -1;
	}
	if (tp->state == TUNNEL_DYING) {
		cli_out_printf(o, "%% Tunnel %u is already closing", rq->id);
		return -1;
	}
	if (rq->text[0])
		snprintf(why, sizeof(why), "dropped by CLI: %s", rq->text);
	else
		snprintf(why, sizeof(why), "dropped by CLI");
	LOG(LOG_WARN_L, 0, rq->id, "tunnel dropped from the CLI by %s",
	    rq->who);
	if (l2tp_tunnel_close(rq->id, STOP_CLEAR, 0, why) < 0) {
		cli_out_printf(o, "%% Tunnel %u cannot be closed", rq->id);
		return -1;
	}
	cli_out_printf(o, "Tunnel %u dropped", rq->id);
	return 0;
}

static int
op_clear_counters(const struct cli_req *rq, struct out *o)
{
	memset(stats, 0, sizeof(*stats));
	if (cli_rates)
		memset(cli_rates, 0, sizeof(*cli_rates));
	LOG(LOG_WARN_L, 0, 0, "counters cleared from the CLI by %s", rq->who);
	cli_out_printf(o, "Counters cleared");
	return 0;
}

static int
op_show_config(const struct cli_req *rq, struct out *o)
{
	cfg_print_running(config, (rq->id & SHOWCFG_SECRETS) != 0, out_line,
	    o);
	return 0;
}

static int
op_show_acl(const struct cli_req *rq, struct out *o)
{
	char line[CFG_STRLEN * 3];
	int i, k, shown = 0;

	for (i = 0; i < config->nacls; i++) {
		const struct acl *a = &config->acls[i];

		if (rq->name[0] && strcmp(rq->name, a->name) != 0)
			continue;
		cli_out_printf(o, "%s IP access list %s\n", a->extended ?
		    "Extended" : "Standard", a->name);
		for (k = 0; k < a->nrules; k++) {
			uint64_t n = 0;

			/* acl.c counts in this process: live, not copied. */
			acl_hits(a->name, k, &n);
			acl_format_rule(a, &a->rules[k], line, sizeof(line));
			cli_out_printf(o, "    %d %s (%llu match%s)\n", (k + 1) * 10,
			    line, (unsigned long long)n, n == 1 ? "" : "es");
		}
		shown++;
	}
	if (shown)
		return 0;
	if (rq->name[0]) {
		cli_out_printf(o, "%% No access list %s", rq->name);
		return -1;
	}
	cli_out_printf(o, "No access lists configured\n");
	return 0;
}

/*
 * show tbf (2.x): every throttle bucket in use, live (tbf.c keeps them
 * in this process).  A session has a bucket each way it is throttled.
 */
static int
op_show_tbf(const struct cli_req *rq, struct out *o)
{
	struct tbf_stats st;
	uint32_t i, seen;
	int dir;

	(void)rq;
	cli_out_printf(o, "%6s %3s %8s %10s %6s | %12s %9s %12s %9s %8s "
	    "%9s\n", "Sid", "Dir", "Rate", "Credit", "Queued", "ByteIn",
	    "PackIn", "ByteSent", "PackSent", "PackDrop", "PackDelay");
	for (i = 1, seen = 0; i <= tables->max_sessions &&
	    i <= tables_session_hwm() && seen < tables->sessions_used; i++) {
		if (tables->session[i].state == SESSION_FREE)
			continue;
		seen++;
		for (dir = 0; dir < 2; dir++) {
			if (tbf_get(i, dir, &st) < 0)
				continue;
			cli_out_printf(o, "%6u %3s %8u %10lld %6u | %12llu %9llu "
			    "%12llu %9llu %8llu %9llu\n", i, dir ? "out" : "in",
			    st.rate, (long long)st.credit, st.queued,
			    (unsigned long long)st.bytes_in,
			    (unsigned long long)st.pkts_in,
			    (unsigned long long)st.bytes_sent,
			    (unsigned long long)st.pkts_sent,
			    (unsigned long long)st.pkts_dropped,
			    (unsigned long long)st.pkts_delayed);
		}
	}
	cli_out_printf(o, "%d tbf entr%s used, %d total\n", tbf_in_use(),
	    tbf_in_use() == 1 ? "y" : "ies", tbf_total());
	return 0;
}

/*
 * show ha-set: every HA set (haset.c keeps them in this process), its
 * address, anchor, members and counters; rq->id 1 for JSON.
 */
static int
op_show_haset(const struct cli_req *rq, struct out *o)
{
	struct haset_view v;
	char ip[INET_ADDRSTRLEN], mem[HASET_MAX_MEMBERS * 12];
	unsigned k, first = 1;
	size_t at;
	int i;

	if (rq->id == 1)
		cli_out_printf(o, "{\"sets\":[");
	else
		cli_out_printf(o, "%-20s %-15s %6s %-24s %12s %12s %12s\n",
		    "Name", "Address", "Anchor", "Members", "Copies-sent",
		    "Dups-dropped", "Passed-up");
	for (i = 0; (i = haset_get((unsigned)i, &v)) >= 0; i++) {
		inet_ntop(AF_INET, &v.ip, ip, sizeof(ip));
		mem[0] = '\0';
		for (k = 0, at = 0; k < v.n && at < sizeof(mem); k++)
			at += (size_t)snprintf(mem + at, sizeof(mem) - at,
			    "%s%u", k ? "," : "", v.member[k]);
		if (rq->id == 1)
			cli_out_printf(o, "%s{\"name\":\"%s\",\"ip\":\"%s\","
			    "\"anchor\":%u,\"members\":[%s],\"copies_sent\":"
			    "%llu,\"duplicates_dropped\":%llu,\"passed_up\":"
			    "%llu}", first ? "" : ",", v.name, ip, v.anchor,
			    mem, (unsigned long long)v.copies_tx,
			    (unsigned long long)v.dups_rx,
			    (unsigned long long)v.first_rx);
		else
			cli_out_printf(o, "%-20s %-15s %6u %-24s %12llu %12llu "
			    "%12llu\n", v.name, ip, v.anchor, mem,
			    (unsigned long long)v.copies_tx,
			    (unsigned long long)v.dups_rx,
			    (unsigned long long)v.first_rx);
		first = 0;
	}
	if (rq->id == 1)
		cli_out_printf(o, "]}\n");
	else
		cli_out_printf(o, "%u HA set%s\n", haset_count(),
		    haset_count() == 1 ? "" : "s");
	return 0;
}

static int
op_show_plugins(const struct cli_req *rq, struct out *o)
{
	struct plugin_info pi;
	int i, e, j;

	(void)rq;
	cli_out_printf(o, "%-16s %-15s %s\n", "Plugin", "Loaded by", "Hooks");
	for (i = 0; plugin_get_info(i, &pi) == 0; i++) {
		cli_out_printf(o, "%-16s %-15s", pi.name, pi.from_config ?
		    "configuration" : "request");
		for (e = 0; e < 32; e++)
			if (pi.events & (1u << e))
				cli_out_printf(o, " %s", plugin_event_name(e));
		cli_out_printf(o, "\n");
	}
	if (i == 0)
		cli_out_printf(o, "(no plugin loaded; directory %s)\n",
		    config->plugin_dir);
	/* A `load plugin` line whose plugin would not load. */
	for (j = 0; j < config->nplugins; j++) {
		for (e = 0; plugin_get_info(e, &pi) == 0; e++)
			if (strcmp(pi.name, config->plugins[j]) == 0)
				break;
		if (e == i)
			cli_out_printf(o, "%-16s not loaded: see the log\n",
			    config->plugins[j]);
	}
	return 0;
}

static int
plugin_listed(const char *name)
{
	int j;

	for (j = 0; j < config->nplugins; j++)
		if (strcmp(config->plugins[j], name) == 0)
			return j;
	return -1;
}

/*
 * load plugin NAME (configuration mode): load it now and add the line to
 * the running configuration, so "write memory" keeps it.
 */
static int
op_load_plugin(const struct cli_req *rq, struct out *o)
{
	struct plugin_info pi;
	char err[512];
	int i;

	for (i = 0; plugin_get_info(i, &pi) == 0; i++)
		if (strcmp(pi.name, rq->name) == 0)
			break;
	if (plugin_get_info(i, &pi) < 0 &&
	    plugin_load(rq->name, err, sizeof(err)) < 0) {
		cli_out_printf(o, "%% %s", err);
		return -1;
	}
	if (plugin_listed(rq->name) < 0) {
		if (config->nplugins >= MAXPLUGINS ||
		    strlen(rq->name) >= sizeof(config->plugins[0])) {
			cli_out_printf(o, "%% Plugin %s is loaded but cannot be "
			    "added to the configuration (at most %d plugins)",
			    rq->name, MAXPLUGINS);
			return -1;
		}
		/* The length was checked above. */
		memcpy(config->plugins[config->nplugins++], rq->name,
		    strlen(rq->name) + 1);
	}
	LOG(LOG_WARN_L, 0, 0, "plugin %s loaded from the CLI by %s", rq->name,
	    rq->who);
	plugin_config_apply();	/* now loaded for a configuration line */
	cli_out_printf(o, "Plugin %s loaded", rq->name);
	return 0;
}

static int
op_remove_plugin(const struct cli_req *rq, struct out *o)
{
	char err[512];
	int j = plugin_listed(rq->name), unloaded;

	unloaded = plugin_unload(rq->name, err, sizeof(err)) == 0;
	if (!unloaded && j < 0) {
		cli_out_printf(o, "%% Plugin %s is not loaded", rq->name);
		return -1;
	}
	if (j >= 0) {
		memmove(config->plugins[j], config->plugins[j + 1],
		    (size_t)(config->nplugins - j - 1) *
		    sizeof(config->plugins[0]));
		config->nplugins--;
	}
	LOG(LOG_WARN_L, 0, 0, "plugin %s removed from the CLI by %s", rq->name,
	    rq->who);
	cli_out_printf(o, "Plugin %s %s", rq->name, unloaded ? "unloaded" :
	    "removed from the configuration (it was not loaded)");
	return 0;
}

/* radius_show's line sink. */
static void
out_text(void *arg, const char *line)
{
	cli_out_printf(arg, "%s\n", line);
}

/*
 * show radius [json]: the servers, the requests in flight and the
 * RADIUS counters, from radius.c (rq->id 1: JSON; the counters are in
 * "show counters json" under their radius_ and dae_ names).
 */
static int
op_show_radius(const struct cli_req *rq, struct out *o)
{
	struct radius_server_info si;
	struct radius_req_info ri;
	char a[INET_ADDRSTRLEN];
	uint32_t cur = 0;
	int i, n = 0;

	if (rq->id == 0) {
		radius_show(out_text, o);
		return 0;
	}
	cli_out_printf(o, "{\"servers\":[");
	for (i = 0; i < 2; i++) {
		if (radius_server_info(i, &si) < 0)
			continue;
		cli_out_printf(o, "%s{\"server\":\"%s\",\"ip\":\"%s\","
		    "\"auth_port\":%u,\"acct_port\":%u,\"auth_dead_s\":%u,"
		    "\"acct_dead_s\":%u,\"outstanding\":%u}", n++ ? "," : "",
		    i ? "secondary" : "primary", cli_ip_str(si.ip, a), si.auth_port,
		    si.acct_port, si.auth_dead_s, si.acct_dead_s,
		    si.outstanding);
	}
	cli_out_printf(o, "],\"requests\":[");
	for (n = 0; radius_request_info(&cur, &ri) == 0; n++)
		cli_out_printf(o, "%s{\"slot\":%u,\"id\":%u,\"sock\":%u,"
		    "\"port\":%u,\"state\":\"%s\",\"sid\":%u,"
		    "\"server\":\"%s\",\"try\":%u,\"retry_ms\":%u,"
		    "\"queued\":%s}",
		    n ? "," : "", ri.slot, ri.id, ri.sock, ri.port, ri.state,
		    ri.sid, ri.server ? "secondary" : "primary", ri.try,
		    ri.retry_ms, ri.queued ? "true" : "false");
	cli_out_printf(o, "],\"accounting\":%s,\"interim\":%d,\"timeout\":%d,"
	    "\"dae_port\":%d,\"window\":%d,\"waiting\":%u}\n",
	    config->radius_accounting ? "true" :
	    "false", config->radius_interim, config->radius_timeout,
	    config->radius_dae_port, config->radius_window,
	    radius_queue_length());
	return 0;
}

/* show cluster [json]: cluster.c's view (rq->id 1: JSON). */
static int
op_show_cluster(const struct cli_req *rq, struct out *o)
{
	cluster_show(rq->id == 1, out_text, o);
	return 0;
}

/* show bgp [PEER] [json]: bgp.c's view (rq->id 1: JSON). */
static int
op_show_bgp(const struct cli_req *rq, struct out *o)
{
	if (bgp_show(rq->name, rq->id == 1, out_text, o) < 0) {
		cli_out_printf(o, "%% No BGP neighbour %s", rq->name);
		return -1;
	}
	return 0;
}

/* suspend bgp, no suspend bgp, restart bgp [PEER]. */
static int
op_bgp_ctl(const struct cli_req *rq, struct out *o)
{
	if (config->bgp.as == 0) {
		cli_out_printf(o, "%% No router bgp configured");
		return -1;
	}
	switch (rq->id) {
	case BGPCTL_SUSPEND:
	case BGPCTL_RESUME:
		bgp_suspend(rq->id == BGPCTL_SUSPEND);
		LOG(LOG_WARN_L, 0, 0, "BGP %s from the CLI by %s",
		    rq->id == BGPCTL_SUSPEND ? "suspended" : "resumed", rq->who);
		cli_out_printf(o, "BGP %s", rq->id == BGPCTL_SUSPEND ?
		    "suspended: every route withdrawn, sessions kept" :
		    "resumed: routes announced");
		return 0;
	case BGPCTL_RESTART:
		if (bgp_restart(rq->name) == 0) {
			cli_out_printf(o, "%% No BGP neighbour %s", rq->name);
			return -1;
		}
		LOG(LOG_WARN_L, 0, 0, "BGP restart %s from the CLI by %s",
		    rq->name[0] ? rq->name : "(all)", rq->who);
		cli_out_printf(o, "BGP %s restarted", rq->name[0] ? rq->name :
		    "sessions");
		return 0;
	}
	return -1;
}

static int
op_set(const struct cli_req *rq, struct out *o)
{
	const struct cfg_directive *d = cfg_find(rq->name);
	char before[CFG_STRLEN * 2], after[CFG_STRLEN * 2], err[256];

	if (d == NULL) {
		cli_out_printf(o, "%% Unknown setting \"%s\"", rq->name);
		return -1;
	}
	if (d->flags & CF_NOSET) {
		/* plugin_dir: whoever sets it chooses the code run as root. */
		cli_out_printf(o, "%% %s can only be set in startup-config, "
		    "read at startup", d->name);
		return -1;
	}
	if (strcmp(d->name, "hostname") == 0 && rq->text[0] == '\0') {
		/* The system's name is looked up at startup only. */
		cli_out_printf(o, "%% hostname cannot be emptied from the CLI");
		return -1;
	}
	if (d->type != CT_LEGACY)
		cfg_format(config, d, before, sizeof(before));
	if (cfg_reload_class(d) == CFG_RESTART) {
		/*
		 * The running value stays (the tables, sockets and device
		 * were made with it); the new one waits for the restart and
		 * show running-config / write memory give it, marked.
		 */
		static struct config want;

		want = *config;
		cfg_pending_get(d, &want);
		if (cfg_set(&want, rq->name, rq->text, err, sizeof(err)) < 0) {
			cli_out_printf(o, "%% %s", err);
			return -1;
		}
		cfg_pending_note(config, &want, d);
		cfg_format(&want, d, after, sizeof(after));
		LOG(LOG_WARN_L, 0, 0, "config: %s set to \"%s\" from the CLI "
		    "by %s: %s; keeping \"%s\"", d->name, (d->flags &
		    CF_SECRET) ? "<hidden>" : after, rq->who,
		    cfg_reload_text(CFG_RESTART), (d->flags & CF_SECRET) ?
		    "<hidden>" : before);
		cli_out_printf(o, "%% %s is read at startup: the new value takes "
		    "effect after a restart (\"write memory\" keeps it)\n",
		    d->name);
		return 0;
	}
	if (cfg_set(config, rq->name, rq->text, err, sizeof(err)) < 0) {
		cli_out_printf(o, "%% %s", err);
		return -1;
	}
	if (d->type != CT_LEGACY)
		cfg_format(config, d, after, sizeof(after));
	else
		snprintf(after, sizeof(after), "%s", rq->text);
	if (d->flags & CF_SECRET)
		LOG(LOG_WARN_L, 0, 0, "config: %s changed from the CLI by %s",
		    d->name, rq->who);
	else if (d->type == CT_LEGACY)
		LOG(LOG_WARN_L, 0, 0, "config: %s set to \"%s\" from the CLI "
		    "by %s", d->name, after, rq->who);
	else
		LOG(LOG_WARN_L, 0, 0, "config: %s changed from \"%s\" to "
		    "\"%s\" from the CLI by %s", d->name, before, after,
		    rq->who);
	/* The few keys whose new value must be pushed somewhere. */
	if (strcmp(d->name, "debug") == 0)
		log_level = config->debug;
	if (strncmp(d->name, "accounting_dir", 14) == 0)
		acctfile_config_changed();
	if (strncmp(d->name, "bgp_", 4) == 0 || strncmp(d->name, "nexthop", 7)
	    == 0)
		bgp_reload();
	if (d->flags & CF_OBSOLETE)
		cli_out_printf(o, "%% %s is obsolete: accepted, it has no effect\n",
		    d->name);
	else if (d->flags & CF_UNSUPPORTED)
		cli_out_printf(o, "%% %s is not supported by this server: "
		    "accepted, it has no effect\n", d->name);
	else if (cfg_reload_class(d) == CFG_NEW)
		cli_out_printf(o, "%% %s applies to new sessions only: running "
		    "sessions and tunnels keep their value\n", d->name);
	return 0;
}

static int
op_throttle(const struct cli_req *rq, struct out *o)
{
	sid_t s = session_by_user(rq->name);
	struct session *sp = s ? session_get(s) : NULL;
	uint32_t in, out;

	if (sp == NULL || sp->state != SESSION_OPEN) {
		cli_out_printf(o, "%% User %s is not connected", rq->name);
		return -1;
	}
	if (rq->id == 1) {
		if (config->throttle_speed == 0) {
			cli_out_printf(o, "%% No rate given and throttle_speed is 0");
			return -1;
		}
		in = out = (uint32_t)config->throttle_speed;
	} else {
		in = rq->rate_in ? rq->rate_in : sp->rate_in;
		out = rq->rate_out ? rq->rate_out : sp->rate_out;
	}
	session_set_rates(s, in, out);
	LOG(LOG_WARN_L, s, sp->tunnel, "throttled from the CLI by %s: in %u, "
	    "out %u kbit/s", rq->who, in, out);
	cli_out_printf(o, "Throttling user %s (in %u, out %u kbit/s)", rq->name,
	    in, out);
	return 0;
}

static int
op_no_throttle(const struct cli_req *rq, struct out *o)
{
	sid_t s = session_by_user(rq->name);
	struct session *sp = s ? session_get(s) : NULL;

	if (sp == NULL || sp->state != SESSION_OPEN) {
		cli_out_printf(o, "%% User %s is not connected", rq->name);
		return -1;
	}
	if (!sp->throttle) {
		cli_out_printf(o, "%% User %s is not throttled", rq->name);
		return -1;
	}
	session_set_rates(s, 0, 0);
	LOG(LOG_WARN_L, s, sp->tunnel, "unthrottled from the CLI by %s",
	    rq->who);
	cli_out_printf(o, "Unthrottling user %s", rq->name);
	return 0;
}

/*
 * filter USER in NAME [out NAME], no filter USER (2.x): the session's
 * access lists, as Filter-Id "NAME.in" / "NAME.out" set them (manual,
 * "Filtering").  A direction already filtered is refused, as in 2.x.
 */
static int
op_filter(const struct cli_req *rq, struct out *o)
{
	sid_t s = session_by_user(rq->name);
	struct session *sp = s ? session_get(s) : NULL;
	const char *want[2] = { rq->text, rq->text + CFG_STRLEN };
	static const char *dir[2] = { "in", "out" };
	char cur[2][MAXACLNAME];
	int k;

	if (sp == NULL || sp->state != SESSION_OPEN) {
		cli_out_printf(o, "%% User %s is not connected", rq->name);
		return -1;
	}
	snprintf(cur[0], sizeof(cur[0]), "%s", sp->filter_in);
	snprintf(cur[1], sizeof(cur[1]), "%s", sp->filter_out);
	for (k = 0; k < 2; k++) {
		if (want[k][0] == '\0')
			continue;
		if (strlen(want[k]) >= MAXACLNAME ||
		    acl_find(config, want[k]) == NULL) {
			cli_out_printf(o, "%% No access list %s", want[k]);
			return -1;
		}
		if (cur[k][0] != '\0') {
			cli_out_printf(o, "%% User %s is already filtered %s "
			    "(%s): \"no filter %s\" first", rq->name, dir[k],
			    cur[k], rq->name);
			return -1;
		}
		snprintf(cur[k], sizeof(cur[k]), "%s", want[k]);
	}
	session_set_filters(s, cur[0], cur[1]);
	LOG(LOG_WARN_L, s, sp->tunnel, "filters set from the CLI by %s: in "
	    "%s, out %s", rq->who, cur[0][0] ? cur[0] : "-",
	    cur[1][0] ? cur[1] : "-");
	cli_out_printf(o, "Filtering user %s (in %s, out %s)", rq->name,
	    cur[0][0] ? cur[0] : "-", cur[1][0] ? cur[1] : "-");
	return 0;
}

static int
op_no_filter(const struct cli_req *rq, struct out *o)
{
	sid_t s = session_by_user(rq->name);
	struct session *sp = s ? session_get(s) : NULL;

	if (sp == NULL || sp->state != SESSION_OPEN) {
		cli_out_printf(o, "%% User %s is not connected", rq->name);
		return -1;
	}
	if (!sp->filter_in[0] && !sp->filter_out[0]) {
		cli_out_printf(o, "%% User %s is not filtered", rq->name);
		return -1;
	}
	session_set_filters(s, "", "");
	LOG(LOG_WARN_L, s, sp->tunnel, "filters removed from the CLI by %s",
	    rq->who);
	cli_out_printf(o, "Removing filters from user %s", rq->name);
	return 0;
}

/*
 * snoop USER IP PORT: copy the user's packets, both ways, to IP:PORT
 * (manual, "Interception"); intercept.c sends the copies.
 */
static int
op_snoop(const struct cli_req *rq, struct out *o)
{
	sid_t s = session_by_user(rq->name);
	struct session *sp = s ? session_get(s) : NULL;
	char a[INET_ADDRSTRLEN];

	if (sp == NULL || sp->state != SESSION_OPEN) {
		cli_out_printf(o, "%% User %s is not connected", rq->name);
		return -1;
	}
	/* The child checked both; a request is still checked here. */
	if (rq->ip == 0 || rq->ip == INADDR_BROADCAST || rq->port == 0) {
		cli_out_printf(o, "%% Bad interception target");
		return -1;
	}
	session_set_intercept(s, rq->ip, rq->port);
	cli_ip_str(rq->ip, a);
	evring_add(s, SEV_INTERCEPT, SEA_CLI, 0, "to %s:%u by %s", a, rq->port,
	    rq->who);
	LOG(LOG_WARN_L, s, sp->tunnel, "user %s intercepted to %s:%u from the "
	    "CLI by %s", sp->user, a, rq->port, rq->who);
	cli_out_printf(o, "Snooping user %s to %s:%u", rq->name, a, rq->port);
	return 0;
}

static int
op_no_snoop(const struct cli_req *rq, struct out *o)
{
	sid_t s = session_by_user(rq->name);
	struct session *sp = s ? session_get(s) : NULL;

	if (sp == NULL || sp->state != SESSION_OPEN) {
		cli_out_printf(o, "%% User %s is not connected", rq->name);
		return -1;
	}
	/* Like the 2.x CLI: not snooped already is not an error. */
	if (sp->intercept)
		evring_add(s, SEV_INTERCEPT, SEA_CLI, 0, "stopped by %s",
		    rq->who);
	session_set_intercept(s, 0, 0);
	LOG(LOG_WARN_L, s, sp->tunnel, "interception of user %s stopped from "
	    "the CLI by %s", sp->user, rq->who);
	cli_out_printf(o, "Not snooping user %s", rq->name);
	return 0;
}

/*
 * ip access-list, its permit/deny lines and no ip access-list, from
 * configuration mode: the startup-config's own lines (config.c) applied
 * to the running configuration, which acl.c then compiles.  A list a
 * session uses is not deleted (its traffic would pass unfiltered).
 */
static int
op_acl(const struct cli_req *rq, struct out *o)
{
	const char *kind = rq->id & ACLREQ_EXTENDED ? "extended" : "standard";
	int del = (rq->id & ACLREQ_DELETE) != 0;
	char line[CFG_STRLEN], err[256];
	struct cfg_state st;
	sid_t s;

	for (s = 1; del && s <= tables->max_sessions; s++) {
		const struct session *sp = session_get(s);

		if (sp->state != SESSION_FREE &&
		    (strcmp(sp->filter_in, rq->name) == 0 ||
		    strcmp(sp->filter_out, rq->name) == 0)) {
			cli_out_printf(o, "%% Access list %s is in use by session "
			    "%u", rq->name, s);
			return -1;
		}
	}
	memset(&st, 0, sizeof(st));
	snprintf(line, sizeof(line), "%sip access-list %s %s", del ? "no " : "",
	    kind, rq->name);
	if (cfg_parse_line(config, &st, line, NULL, err, sizeof(err)) < 0) {
		cli_out_printf(o, "%% %s", err);
		return -1;
	}
	/* Only a body line: another would be read as a statement. */
	if (!del && rq->text[0] && (st.mode != CFGMODE_ACL ||
	    (strncmp(rq->text, "permit ", 7) != 0 &&
	    strncmp(rq->text, "deny ", 5) != 0))) {
		cli_out_printf(o, "%% Expected permit or deny");
		return -1;
	}
	if (!del && rq->text[0] && cfg_parse_line(config, &st, rq->text, NULL,
	    err, sizeof(err)) < 0) {
		cli_out_printf(o, "%% %s", err);
		return -1;
	}
	acl_reload(config);
	LOG(LOG_WARN_L, 0, 0, "config: \"%s%s%s\" from the CLI by %s", line,
	    rq->text[0] ? ": " : "", rq->text, rq->who);
	bgp_reload();
	return 0;
}

/*
 * router bgp AS, its neighbour lines and no router bgp, from
 * configuration mode: the startup-config's own lines (config.c) applied
 * to the running configuration, then to the speaker (bgp_reload).
 */
static int
op_bgp(const struct cli_req *rq, struct out *o)
{
	char line[CFG_STRLEN], err[256];
	struct cfg_state st;

	uint32_t old = config->bgp.as;

	memset(&st, 0, sizeof(st));
	if (rq->id == 1)
		snprintf(line, sizeof(line), "no router bgp");
	else
		snprintf(line, sizeof(line), "router bgp %s", rq->name);
	if (cfg_parse_line(config, &st, line, NULL, err, sizeof(err)) < 0) {
		cli_out_printf(o, "%% %s", err);
		return -1;
	}
	if (rq->id != 1 && old != 0 && config->bgp.as != old) {
		/* As on a Cisco router: one AS; "no router bgp" first. */
		config->bgp.as = old;
		cli_out_printf(o, "%% BGP is configured with AS %u; \"no router "
		    "bgp\" first", old);
		return -1;
	}
	if (rq->text[0]) {
		/* Only a body line: another would be read as a statement. */
		if (st.mode != CFGMODE_BGP ||
		    (strncmp(rq->text, "neighbour ", 10) != 0 &&
		    strncmp(rq->text, "neighbor ", 9) != 0 &&
		    strncmp(rq->text, "no neighbour ", 13) != 0 &&
		    strncmp(rq->text, "no neighbor ", 12) != 0)) {
			cli_out_printf(o, "%% Expected a neighbour line");
			return -1;
		}
		if (cfg_parse_line(config, &st, rq->text, NULL, err,
		    sizeof(err)) < 0) {
			cli_out_printf(o, "%% %s", err);
			return -1;
		}
	}
	LOG(LOG_WARN_L, 0, 0, "config: \"%s%s%s\" from the CLI by %s", line,
	    rq->text[0] ? ": " : "", rq->text, rq->who);
	bgp_reload();
	return 0;
}

static const struct {
	const char	*name;
	int		(*fn)(const struct cli_req *, struct out *);
} ops[OP_MAX] = {
	[OP_DROP_SESSION] =	{ "drop session", op_drop_session },
	[OP_DROP_TUNNEL] =	{ "drop tunnel", op_drop_tunnel },
	[OP_CLEAR_COUNTERS] =	{ "clear counters", op_clear_counters },
	[OP_SHOW_CONFIG] =	{ "show running-config", op_show_config },
	[OP_SHOW_ACL] =		{ "show ip access-list", op_show_acl },
	[OP_SHOW_PLUGINS] =	{ "show plugins", op_show_plugins },
	[OP_SHOW_RADIUS] =	{ "show radius", op_show_radius },
	[OP_SHOW_CLUSTER] =	{ "show cluster", op_show_cluster },
	[OP_SHOW_BGP] =		{ "show bgp", op_show_bgp },
	[OP_SET] =		{ "set", op_set },
	[OP_SNOOP] =		{ "snoop", op_snoop },
	[OP_NO_SNOOP] =		{ "no snoop", op_no_snoop },
	[OP_THROTTLE] =		{ "throttle", op_throttle },
	[OP_NO_THROTTLE] =	{ "no throttle", op_no_throttle },
	[OP_FILTER] =		{ "filter", op_filter },
	[OP_NO_FILTER] =	{ "no filter", op_no_filter },
	[OP_SHOW_TBF] =		{ "show tbf", op_show_tbf },
	[OP_SHOW_HASET] =	{ "show ha-set", op_show_haset },
	[OP_LOAD_PLUGIN] =	{ "load plugin", op_load_plugin },
	[OP_REMOVE_PLUGIN] =	{ "remove plugin", op_remove_plugin },
	[OP_ACL] =		{ "ip access-list", op_acl },
	[OP_BGP] =		{ "router bgp", op_bgp },
	[OP_BGP_CTL] =		{ "bgp", op_bgp_ctl },
	[OP_LOGGED_IN] =	{ "login", NULL },	/* link_readable */
};

/* Actions on sessions and tunnels: only the cluster master acts. */
static int
slave_refuses(uint32_t op)
{
	switch (op) {
	case OP_DROP_SESSION:
	case OP_DROP_TUNNEL:
	case OP_SNOOP:
	case OP_NO_SNOOP:
	case OP_THROTTLE:
	case OP_NO_THROTTLE:
		return 1;
	}
	return 0;
}

static void
child_gone(struct cli_child *ch)
{
	LOG(LOG_INFO_L, 0, 0, "CLI session from %s ended (pid %d)", ch->peer,
	    (int)ch->pid);
	ev_del(ch->fd);
	close(ch->fd);
	ch->fd = -1;
	ch->pid = 0;
}

/* One request from a child: check it, carry it out, answer. */
static void
link_readable(int fd, uint32_t events, void *arg)
{
	static struct out o;
	struct cli_child *ch = arg;
	struct cli_req rq;
	struct cli_reply rp;
	struct iovec iov[2];
	struct msghdr mh;
	ssize_t n;

	(void)events;
	n = recv(fd, &rq, sizeof(rq), MSG_DONTWAIT);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		child_gone(ch);
		return;
	}
	if (n < 0)
		return;
	o.len = 0;
	o.truncated = 0;
	o.buf[0] = '\0';
	memset(&rp, 0, sizeof(rp));
	if ((size_t)n == sizeof(rq) && rq.op == OP_LOGGED_IN) {
		ch->logged_in = 1;	/* no longer evictable */
	} else if ((size_t)n != sizeof(rq) || rq.op == OP_NONE ||
	    rq.op >= OP_MAX || ops[rq.op].fn == NULL) {
		LOG(LOG_ERROR_L, 0, 0, "CLI child %d (%s) sent a malformed "
		    "request (%zd bytes); ending it", (int)ch->pid, ch->peer,
		    n);
		kill(ch->pid, SIGTERM);
		child_gone(ch);
		return;
	}
	rq.who[sizeof(rq.who) - 1] = '\0';
	rq.name[sizeof(rq.name) - 1] = '\0';
	rq.text[sizeof(rq.text) - 1] = '\0';
	LOG(LOG_CALLS_L, 0, 0, "CLI request %s from %s", ops[rq.op].name,
	    rq.who);
	rp.seq = rq.seq;
	if (rq.op == OP_LOGGED_IN)
		rp.status = 0;
	else if (!iam_master() && slave_refuses(rq.op)) {
		/* A slave's sessions are the master's replicas. */
		cli_out_printf(&o, "%% This server is a cluster slave: run "
		    "\"%s\" on the master", ops[rq.op].name);
		rp.status = -1;
	} else
		rp.status = ops[rq.op].fn(&rq, &o);
	if (o.truncated) {
		static const char more[] = "\n% output truncated\n";

		o.len = sizeof(o.buf) - sizeof(more);
		memcpy(o.buf + o.len, more, sizeof(more) - 1);
		o.len += sizeof(more) - 1;
	}
	rp.len = (uint32_t)o.len;
	iov[0].iov_base = &rp;
	iov[0].iov_len = sizeof(rp);
	iov[1].iov_base = o.buf;
	iov[1].iov_len = o.len;
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = iov;
	mh.msg_iovlen = 2;
	/* The child waits for this one reply: the socket has room for it. */
	if (sendmsg(fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		LOG(LOG_ERROR_L, 0, 0, "CLI reply to %s: %s", ch->peer,
		    strerror(errno));
}

void
cli_serve_link(int fd)
{
	/* No such process (above pid_max), should it be "ended". */
	static struct cli_child ch = { .pid = 0x7ffffff0, .peer = "fuzz" };

	ch.fd = fd;
	link_readable(fd, EPOLLIN, &ch);
}

/* Children of `addr` still at their login prompt. */
static int
pending_from(in_addr_t addr)
{
	int i, n = 0;

	for (i = 0; i < CLI_MAX_CHILDREN; i++)
		if (children[i].fd >= 0 && !children[i].logged_in &&
		    children[i].addr == addr)
			n++;
	return n;
}

static struct cli_child *
oldest_pending(void)
{
	struct cli_child *best = NULL;
	int i;

	for (i = 0; i < CLI_MAX_CHILDREN; i++) {
		struct cli_child *ch = &children[i];

		if (ch->fd >= 0 && !ch->logged_in &&
		    (best == NULL || ch->started < best->started))
			best = ch;
	}
	return best;
}

static void
refuse(int fd, const char *peer, const char *why)
{
	static const char msg[] =
	    "% Too many CLI sessions; try again later\r\n";
	ssize_t n;

	LOG(LOG_WARN_L, 0, 0, "CLI connection from %s refused: %s", peer,
	    why);
	/* Best effort: the client may be gone already. */
	n = write(fd, msg, sizeof(msg) - 1);
	(void)n;
	close(fd);
}

static void
spawn(int fd, const struct sockaddr_in *from, const char *peer)
{
	struct cli_child *ch = NULL;
	int sv[2], i;
	pid_t pid;

	if (pending_from(from->sin_addr.s_addr) >= CLI_PENDING_PER_SOURCE) {
		refuse(fd, peer, "logins already in progress from this address");
		return;
	}
	for (i = 0; i < CLI_MAX_CHILDREN; i++)
		if (children[i].fd < 0) {
			ch = &children[i];
			break;
		}
	/*
	 * All taken: the oldest connection still at its login prompt makes
	 * room, so that connections that never log in cannot lock the
	 * administrators out.
	 */
	if (ch == NULL && (ch = oldest_pending()) != NULL) {
		LOG(LOG_WARN_L, 0, 0, "CLI: %d sessions open; ending the "
		    "oldest one not logged in (%s, pid %d) for %s",
		    CLI_MAX_CHILDREN, ch->peer, (int)ch->pid, peer);
		kill(ch->pid, SIGTERM);
		child_gone(ch);
	}
	if (ch == NULL) {
		refuse(fd, peer, "sessions already open");
		return;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		log_error("CLI connection from %s: socketpair: %s", peer,
		    strerror(errno));
		close(fd);
		return;
	}
	cli_daemon_pid = getpid();
	if ((pid = fork()) < 0) {
		log_error("CLI connection from %s: fork: %s", peer,
		    strerror(errno));
		close(sv[0]);
		close(sv[1]);
		close(fd);
		return;
	}
	if (pid == 0) {
		log_ring_reader();	/* the daemon alone writes the ring */
		cli_child_run(fd, sv[1], from);
		_exit(0);
	}
	close(sv[1]);
	close(fd);
	if (fcntl(sv[0], F_SETFL, O_NONBLOCK) < 0 ||
	    ev_add(sv[0], EPOLLIN, link_readable, ch) < 0) {
		log_error("CLI connection from %s: cannot watch its child: %s",
		    peer, strerror(errno));
		kill(pid, SIGTERM);
		close(sv[0]);
		return;
	}
	ch->fd = sv[0];
	ch->pid = pid;
	ch->logged_in = 0;
	ch->addr = from->sin_addr.s_addr;
	ch->started = now_ms;
	snprintf(ch->peer, sizeof(ch->peer), "%s", peer);
	LOG(LOG_INFO_L, 0, 0, "CLI connection from %s (pid %d)", peer,
	    (int)pid);
}

static void
accept_resume(struct timer *t, void *arg)
{
	(void)t;
	(void)arg;
	if (listen_fd >= 0)
		ev_mod(listen_fd, EPOLLIN);
}

static void
listener_readable(int fd, uint32_t events, void *arg)
{
	struct sockaddr_in from;
	socklen_t len;
	char a[INET_ADDRSTRLEN], peer[INET_ADDRSTRLEN + 8];
	int i, s;

	(void)events;
	(void)arg;
	for (i = 0; i < CLI_ACCEPT_BUDGET; i++) {
		len = sizeof(from);
		s = accept4(fd, (struct sockaddr *)&from, &len, SOCK_CLOEXEC);
		if (s < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == EINTR || errno == ECONNABORTED)
				return;
			/*
			 * EMFILE, ENFILE, ENOBUFS: the connection stays in
			 * the queue and the socket stays readable; stop
			 * watching it for a second instead of spinning.
			 */
			stats->cli_accept_errors++;
			log_error("CLI accept: %s; not accepting for a second",
			    strerror(errno));
			ev_mod(fd, 0);
			timer_set(&accept_timer, 1000);
			return;
		}
		snprintf(peer, sizeof(peer), "%s:%u", inet_ntop(AF_INET,
		    &from.sin_addr, a, sizeof(a)), ntohs(from.sin_port));
		spawn(s, &from, peer);
	}
}

/*
 * Where to listen: cli_bind_address, unless no user can log in, which
 * means no password is asked: then loopback only (the manual, "users").
 */
static in_addr_t
wanted_address(void)
{
	return cli_users->n > 0 ? config->cli_bind_address :
	    htonl(INADDR_LOOPBACK);
}

static int
open_listener(in_addr_t addr, int port)
{
	struct sockaddr_in sin;
	char a[INET_ADDRSTRLEN];
	int fd, one = 1;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		log_error("CLI socket: %s", strerror(errno));
		return -1;
	}
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = addr;
	sin.sin_port = htons((uint16_t)port);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    listen(fd, 16) < 0 ||
	    ev_add(fd, EPOLLIN, listener_readable, NULL) < 0) {
		log_error("CLI cannot listen on %s:%d: %s; the CLI is "
		    "unavailable", cli_ip_str(addr, a), port, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static void
announce(void)
{
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];

	cli_ip_str(listen_addr, a);
	if (cli_users->n > 0) {
		log_warnx("CLI listening on %s:%d (%d users%s)", a, listen_port,
		    cli_users->n, cli_users->have_enable ? ", enable password set" :
		    ", no enable password: privileged mode is locked");
		return;
	}
	if (config->cli_bind_address != htonl(INADDR_LOOPBACK))
		LOG(LOG_ERROR_L, 0, 0, "CLI listening on %s:%d only, not on "
		    "%s as cli_bind_address asks: without a user in %s anyone "
		    "who connects gets in without a password", a, listen_port,
		    cli_ip_str(config->cli_bind_address, b), config->users_file);
	else
		log_warnx("CLI listening on %s:%d without passwords (no user "
		    "in %s)", a, listen_port, config->users_file);
}

/*
 * Once a second: the bandwidth line of "uptime".  UDP-ETH is what the
 * subscribers send (written to the TUN device), ETH-UDP what they receive
 * (read from it).
 */
static void
rate_tick(struct timer *t, void *arg)
{
	static uint64_t last[4], last_ms;
	uint64_t cur[4], next;
	double secs;
	int i, reset = 0;

	(void)arg;
	cur[0] = stats->tun_tx_bytes;
	cur[1] = stats->tun_rx_bytes;
	cur[2] = stats->tun_tx_packets;
	cur[3] = stats->tun_rx_packets;
	for (i = 0; i < 4; i++)
		if (cur[i] < last[i])
			reset = 1;	/* clear counters */
	if (last_ms != 0 && !reset && now_ms > last_ms) {
		secs = (double)(now_ms - last_ms) / 1000.0;
		cli_rates->udp_eth = (double)(cur[0] - last[0]) * 8 / 1e6 / secs;
		cli_rates->eth_udp = (double)(cur[1] - last[1]) * 8 / 1e6 / secs;
		cli_rates->in_pps = (uint64_t)((double)(cur[2] - last[2]) / secs);
		cli_rates->out_pps = (uint64_t)((double)(cur[3] - last[3]) / secs);
		if (cli_rates->udp_eth > cli_rates->udp_eth_peak)
			cli_rates->udp_eth_peak = cli_rates->udp_eth;
		if (cli_rates->eth_udp > cli_rates->eth_udp_peak)
			cli_rates->eth_udp_peak = cli_rates->eth_udp;
	}
	memcpy(last, cur, sizeof(last));
	last_ms = now_ms;
	next = t->when + 1000;
	if (next <= now_ms)
		next = now_ms + 1000;	/* the loop was late: do not catch up */
	timer_set_at(t, next);
}

int
cli_setup(const char *config_file, const struct users *u,
    const struct pool_file *p, time_t start)
{
	int i;

	cli_cfg_path = config_file;
	cli_users = u;
	cli_pool = p;
	cli_started = start;
	for (i = 0; i < CLI_MAX_CHILDREN; i++)
		children[i].fd = -1;
	if (config->cli_port == 0) {
		log_warnx("CLI disabled (cli_port 0)");
		return 0;
	}
	if ((cli_rates = shm_alloc(sizeof(*cli_rates))) == NULL) {
		log_error("CLI: cannot map its shared page: %s",
		    strerror(errno));
		return -1;
	}
	timer_init(&rate_timer, rate_tick, NULL);
	timer_init(&accept_timer, accept_resume, NULL);
	timer_set(&rate_timer, 1000);
	listen_port = config->cli_port;
	listen_addr = wanted_address();
	if ((listen_fd = open_listener(listen_addr, listen_port)) < 0)
		return -1;
	announce();
	return 0;
}

/*
 * HUP.  cli_port and cli_bind_address need a restart (config.c), but the
 * users file may have appeared or gone, which moves the listener between
 * cli_bind_address and loopback: rebind now (CAP_NET_BIND_SERVICE is
 * kept for this).
 */
void
cli_reload(void)
{
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
	in_addr_t want;
	int fd;

	if (cli_rates == NULL || listen_port == 0)
		return;
	want = wanted_address();
	if (listen_fd >= 0) {
		if (want == listen_addr)
			return;
		log_warnx("CLI moves from %s:%d to %s:%d (users file changed)",
		    cli_ip_str(listen_addr, a), listen_port, cli_ip_str(want, b),
		    listen_port);
		ev_del(listen_fd);
		close(listen_fd);
		listen_fd = -1;
	}
	/* Also a second chance for a listener that failed at startup. */
	listen_addr = want;
	if ((fd = open_listener(want, listen_port)) < 0)
		return;
	listen_fd = fd;
	announce();
}
