/*
 * cli_child.c - the child's half of the CLI: one libcli session on a
 * telnet connection, in a process forked for it (cli.c says why).
 *
 * State owned (in the child only): its libcli session, its end of the
 * request pair, the peer's name and the count of wrong passwords.
 *
 * Reads the session and tunnel tables and the counters straight from
 * shared memory, copying an entry before printing it; every action and
 * every view of the running configuration is a struct cli_req to the
 * daemon (ask()), which answers with a struct cli_reply.
 *
 * Commands live in one token table, cli_commands[], registered with
 * libcli as trees of words; the manual's section "The command-line
 * interface (CLI)" describes them.  The views the child prints itself
 * from the shared tables (show session, tunnel, counters, ...) are in
 * cli_show.c; the helpers both files use are in cli_child.h.
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

#include "l2tpns.h"
#include "acctfile.h"
#include "peercred.h"
#include "acl.h"
#include "cqm.h"
#include "evring.h"
#include "event.h"
#include "control.h"
#include "l2tp.h"
#include "log.h"
#include "radius.h"
#include "tbf.h"
#include "cli.h"
#include "cli_child.h"

/* ---- child side state ---- */

struct cli_def *cli;		/* cli_child.h */
static int link_fd = -1;
static char peer_name[INET_ADDRSTRLEN + 8];
static char who[96];
static int failures;
static uint32_t req_seq;

/* ==================================================================== */
/* The child's side: one libcli session                                 */
/* ==================================================================== */

/*
 * Ask the daemon.  Returns the status (0 done, -1 refused or no answer)
 * and the reply's text, NUL-terminated, in a static buffer.
 */
static int
ask(struct cli_req *rq, const char **text)
{
	static char buf[sizeof(struct cli_reply) + CLI_REPLY_MAX + 1];
	struct cli_reply rp;
	ssize_t n;

	rq->seq = ++req_seq;
	snprintf(rq->who, sizeof(rq->who), "%s", who);
	*text = "% the daemon did not answer";
	n = send(link_fd, rq, sizeof(*rq), MSG_NOSIGNAL);
	if (n != (ssize_t)sizeof(*rq))
		return -1;
	for (;;) {
		n = recv(link_fd, buf, sizeof(buf) - 1, 0);
		/* A timeout (SO_RCVTIMEO), or the daemon is gone. */
		if (n < (ssize_t)sizeof(rp))
			return -1;
		memcpy(&rp, buf, sizeof(rp));
		if (rp.seq == rq->seq)
			break;
		/* A late answer to a request we gave up on. */
	}
	if (rp.len > (size_t)n - sizeof(rp))
		rp.len = (uint32_t)((size_t)n - sizeof(rp));
	buf[sizeof(rp) + rp.len] = '\0';
	*text = buf + sizeof(rp);
	return rp.status;
}

/* Print a reply's text line by line (so filters such as "include" apply). */
static void
print_text(const char *text, int error)
{
	const char *p = text, *nl;

	while (*p) {
		nl = strchr(p, '\n');
		if (nl == NULL)
			nl = p + strlen(p);
		if (error)
			cli_error(cli, "%.*s", (int)(nl - p), p);
		else
			cli_print(cli, "%.*s", (int)(nl - p), p);
		p = *nl ? nl + 1 : nl;
	}
}

/* Send a request and print what comes back. */
static int
run_op(struct cli_req *rq)
{
	const char *text;
	int st = ask(rq, &text);

	print_text(text, st != 0);
	return st == 0 ? CLI_OK : CLI_ERROR;
}

static int
simple_op(int op, uint32_t id, const char *name)
{
	struct cli_req rq;

	memset(&rq, 0, sizeof(rq));
	rq.op = (uint32_t)op;
	rq.id = id;
	if (name)
		snprintf(rq.name, sizeof(rq.name), "%s", name);
	return run_op(&rq);
}

/* ---- views of the running configuration (the daemon formats them) ---- */

static int
cmd_show_running_config(struct cli_def *c, const char *command, char **argv,
    int argc)
{
	(void)command;
	(void)argv;
	(void)argc;
	/* Secrets only in privileged mode. */
	return simple_op(OP_SHOW_CONFIG, c->privilege == PRIVILEGE_PRIVILEGED ?
	    SHOWCFG_SECRETS : 0, NULL);
}

static int
cmd_show_acl(struct cli_def *c, const char *command, char **argv, int argc)
{
	static const char *const help[] = {
		"NAME", "one access list", "<cr>", "every access list", NULL };

	(void)c;
	(void)command;
	if (wants_help(argv, argc))
		return help_lines(help);
	if (argc > 1) {
		cli_error(cli, "%% Usage: show ip access-list [NAME]");
		return CLI_ERROR;
	}
	return simple_op(OP_SHOW_ACL, 0, argc ? argv[0] : NULL);
}

static int
cmd_show_plugins(struct cli_def *c, const char *command, char **argv,
    int argc)
{
	(void)c;
	(void)command;
	(void)argv;
	(void)argc;
	return simple_op(OP_SHOW_PLUGINS, 0, NULL);
}

static int
cmd_show_tbf(struct cli_def *c, const char *command, char **argv, int argc)
{
	(void)c;
	(void)command;
	(void)argv;
	if (argc > 0) {
		cli_error(cli, "%% \"show tbf\" takes no argument");
		return CLI_ERROR;
	}
	return simple_op(OP_SHOW_TBF, 0, NULL);
}

static int
cmd_show_haset(struct cli_def *c, const char *command, char **argv, int argc)
{
	(void)c;
	(void)command;
	if (argc > 1 || (argc == 1 && strcmp(argv[0], "json") != 0)) {
		cli_error(cli, "%% \"show ha-set\" takes json or nothing");
		return CLI_ERROR;
	}
	return simple_op(OP_SHOW_HASET, argc == 1 ? 1 : 0, NULL);
}

static int
cmd_show_radius(struct cli_def *c, const char *command, char **argv, int argc)
{
	static const char *const help[] = {
		"json", "as JSON", "<cr>", "servers, requests in flight, "
		"counters", NULL };

	(void)c;
	(void)command;
	if (wants_help(argv, argc))
		return help_lines(help);
	if (argc > 1 || (argc == 1 && strcmp(argv[0], "json") != 0)) {
		cli_error(cli, "%% Bad argument \"%s\": expected json",
		    argv[argc - 1]);
		return CLI_ERROR;
	}
	return simple_op(OP_SHOW_RADIUS, argc == 1, NULL);
}

static int
cmd_show_cluster(struct cli_def *c, const char *command, char **argv,
    int argc)
{
	static const char *const help[] = {
		"json", "as JSON", "<cr>", "role, master, peers, drop counters",
		NULL };

	(void)c;
	(void)command;
	if (wants_help(argv, argc))
		return help_lines(help);
	if (argc > 1 || (argc == 1 && strcmp(argv[0], "json") != 0)) {
		cli_error(cli, "%% Bad argument \"%s\": expected json",
		    argv[argc - 1]);
		return CLI_ERROR;
	}
	return simple_op(OP_SHOW_CLUSTER, argc == 1, NULL);
}

/* show bgp [PEER] [json] */
static int
cmd_show_bgp(struct cli_def *c, const char *command, char **argv, int argc)
{
	static const char *const help[] = {
		"PEER", "one neighbour", "json", "as JSON", "<cr>",
		"every neighbour: state, uptime, messages, prefixes, last error",
		NULL };
	const char *peer = NULL;
	int i, json = 0;

	(void)c;
	(void)command;
	if (wants_help(argv, argc))
		return help_lines(help);
	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "json") == 0)
			json = 1;
		else if (peer == NULL)
			peer = argv[i];
		else {
			cli_error(cli, "%% Usage: show bgp [PEER] [json]");
			return CLI_ERROR;
		}
	}
	return simple_op(OP_SHOW_BGP, (uint32_t)json, peer);
}

/* suspend bgp, no suspend bgp, restart bgp [PEER] */
static int
cmd_suspend_bgp(struct cli_def *c, const char *command, char **argv,
    int argc)
{
	(void)c;
	if (argc != 0) {
		cli_error(cli, "%% Usage: %s", command);
		return wants_help(argv, argc) ? CLI_OK : CLI_ERROR;
	}
	return simple_op(OP_BGP_CTL, strncmp(command, "no ", 3) == 0 ?
	    BGPCTL_RESUME : BGPCTL_SUSPEND, NULL);
}

static int
cmd_restart_bgp(struct cli_def *c, const char *command, char **argv,
    int argc)
{
	static const char *const help[] = {
		"PEER", "one neighbour", "<cr>", "every neighbour", NULL };

	(void)c;
	(void)command;
	if (wants_help(argv, argc))
		return help_lines(help);
	if (argc > 1) {
		cli_error(cli, "%% Usage: restart bgp [PEER]");
		return CLI_ERROR;
	}
	return simple_op(OP_BGP_CTL, BGPCTL_RESTART, argc ? argv[0] : NULL);
}

/* ---- actions ---- */

static int
cmd_clear_counters(struct cli_def *c, const char *command, char **argv,
    int argc)
{
	(void)c;
	(void)command;
	(void)argv;
	(void)argc;
	return simple_op(OP_CLEAR_COUNTERS, 0, NULL);
}

/* drop session|tunnel ID [reason TEXT...] [cause CODE] */
static int
drop(int op, const char *what, char **argv, int argc)
{
	struct cli_req rq;
	size_t o = 0;
	uint32_t id, cause = 0;
	int i, end = argc;

	if (wants_help(argv, argc)) {
		cli_error(cli, "  %-20s the %s to close", "<1-N>", what);
		cli_error(cli, "  %-20s %s", "reason TEXT",
		    "why, for the log, the LAC and the event ring");
		if (op == OP_DROP_SESSION)
			cli_error(cli, "  %-20s %s", "cause CODE", "the "
			    "Acct-Terminate-Cause, 1-255 (6, Admin-Reset)");
		return CLI_OK;
	}
	/* "cause CODE" last (sessions only). */
	if (op == OP_DROP_SESSION && argc >= 3 &&
	    strcmp(argv[argc - 2], "cause") == 0) {
		if (parse_u32(argv[argc - 1], &cause) < 0 || cause == 0 ||
		    cause > 255) {
			cli_error(cli, "%% Bad cause \"%s\": 1-255",
			    argv[argc - 1]);
			return CLI_ERROR;
		}
		end = argc - 2;
	}
	if (end < 1 || (end > 1 && (strcmp(argv[1], "reason") != 0 ||
	    end < 3))) {
		cli_error(cli, "%% Usage: drop %s ID [reason TEXT]%s", what,
		    op == OP_DROP_SESSION ? " [cause CODE]" : "");
		return CLI_ERROR;
	}
	if (parse_u32(argv[0], &id) < 0 || id == 0) {
		cli_error(cli, "%% Bad %s id \"%s\"", what, argv[0]);
		return CLI_ERROR;
	}
	memset(&rq, 0, sizeof(rq));
	rq.op = (uint32_t)op;
	rq.id = id;
	rq.cause = cause;
	for (i = 2; i < end && o < sizeof(rq.text); i++)
		o += (size_t)snprintf(rq.text + o, sizeof(rq.text) - o, "%s%s",
		    i > 2 ? " " : "", argv[i]);
	clean(rq.text, sizeof(rq.text));
	return run_op(&rq);
}

static int
cmd_drop_session(struct cli_def *c, const char *command, char **argv,
    int argc)
{
	(void)c;
	(void)command;
	return drop(OP_DROP_SESSION, "session", argv, argc);
}

/* drop user NAME [reason TEXT] [cause CODE]: each session of the user. */
static int
cmd_drop_user(struct cli_def *c, const char *command, char **argv, int argc)
{
	char id[16], *args[64];
	struct session s;
	sid_t i;
	int k, n = 0, rc = CLI_OK;

	(void)c;
	(void)command;
	if (wants_help(argv, argc)) {
		cli_error(cli, "  %-20s %s", "NAME", "the user whose sessions "
		    "to close");
		cli_error(cli, "  %-20s %s", "reason TEXT", "why");
		cli_error(cli, "  %-20s %s", "cause CODE", "Acct-Terminate-Cause");
		return CLI_OK;
	}
	if (argc < 1 || argc > 63) {
		cli_error(cli, "%% Usage: drop user NAME [reason TEXT] "
		    "[cause CODE]");
		return CLI_ERROR;
	}
	/* The same arguments as drop session, with each session's id. */
	args[0] = id;
	for (k = 1; k < argc; k++)
		args[k] = argv[k];
	for (i = 1; i <= tables->max_sessions; i++) {
		if (session_copy(i, &s) < 0 || strcmp(s.user, argv[0]) != 0)
			continue;
		snprintf(id, sizeof(id), "%u", i);
		if (drop(OP_DROP_SESSION, "session", args, argc) != CLI_OK)
			rc = CLI_ERROR;
		n++;
	}
	if (n == 0) {
		cli_error(cli, "%% User %s is not connected", argv[0]);
		return CLI_ERROR;
	}
	return rc;
}

static int
cmd_drop_tunnel(struct cli_def *c, const char *command, char **argv, int argc)
{
	(void)c;
	(void)command;
	return drop(OP_DROP_TUNNEL, "tunnel", argv, argc);
}

static int
cmd_snoop(struct cli_def *c, const char *command, char **argv, int argc)
{
	static const char *const help[] = {
		"USER IP PORT", "copy USER's packets to IP:PORT (UDP)", NULL };
	struct cli_req rq;
	struct in_addr a;
	uint32_t port;

	(void)c;
	(void)command;
	if (wants_help(argv, argc))
		return help_lines(help);
	if (argc != 3) {
		cli_error(cli, "%% Usage: snoop USER IP PORT");
		return CLI_ERROR;
	}
	if (inet_pton(AF_INET, argv[1], &a) != 1) {
		cli_error(cli, "%% Bad IP address \"%s\"", argv[1]);
		return CLI_ERROR;
	}
	if (parse_u32(argv[2], &port) < 0 || port == 0 || port > 65535) {
		cli_error(cli, "%% Bad port \"%s\": expected 1 to 65535",
		    argv[2]);
		return CLI_ERROR;
	}
	memset(&rq, 0, sizeof(rq));
	rq.op = OP_SNOOP;
	snprintf(rq.name, sizeof(rq.name), "%s", argv[0]);
	rq.ip = a.s_addr;
	rq.port = (uint16_t)port;
	return run_op(&rq);
}

static int
cmd_no_snoop(struct cli_def *c, const char *command, char **argv, int argc)
{
	(void)c;
	(void)command;
	if (argc != 1 || wants_help(argv, argc)) {
		cli_error(cli, "%% Usage: no snoop USER");
		return wants_help(argv, argc) ? CLI_OK : CLI_ERROR;
	}
	return simple_op(OP_NO_SNOOP, 0, argv[0]);
}

/*
 * throttle USER [RATE | in RATE | out RATE | in RATE out RATE], kbit/s:
 * RATE alone, both ways; no rate at all, throttle_speed both ways (the
 * daemon resolves it: rq.id = 1).  A direction not named keeps its rate.
 */
static int
cmd_throttle(struct cli_def *c, const char *command, char **argv, int argc)
{
	static const char *const help[] = {
		"USER", "both directions at throttle_speed",
		"USER RATE", "both directions to RATE kbit/s",
		"USER in RATE", "upstream (from the user) only",
		"USER out RATE", "downstream (to the user) only",
		"USER in RATE out RATE", "each direction its own rate", NULL };
	struct cli_req rq;
	uint32_t rate;
	int i;

	(void)c;
	(void)command;
	if (wants_help(argv, argc))
		return help_lines(help);
	if (argc < 1 || argc > 5) {
		cli_error(cli, "%% Usage: throttle USER [RATE | in RATE | "
		    "out RATE | in RATE out RATE]");
		return CLI_ERROR;
	}
	memset(&rq, 0, sizeof(rq));
	rq.op = OP_THROTTLE;
	snprintf(rq.name, sizeof(rq.name), "%s", argv[0]);
	if (argc == 1)
		rq.id = 1;
	for (i = 1; i < argc; i++) {
		int which = 0;		/* 0 both, 1 in, 2 out */

		if (strcmp(argv[i], "in") == 0)
			which = 1;
		else if (strcmp(argv[i], "out") == 0)
			which = 2;
		else if (argc != 2) {
			cli_error(cli, "%% Expected \"in\" or \"out\" before "
			    "\"%s\"", argv[i]);
			return CLI_ERROR;
		}
		if (which && ++i == argc) {
			cli_error(cli, "%% \"%s\" needs a rate in kbit/s",
			    argv[i - 1]);
			return CLI_ERROR;
		}
		if (parse_u32(argv[i], &rate) < 0 || rate == 0) {
			cli_error(cli, "%% Bad rate \"%s\": expected kbit/s, at "
			    "least 1", argv[i]);
			return CLI_ERROR;
		}
		if (which != 2)
			rq.rate_in = rate;
		if (which != 1)
			rq.rate_out = rate;
	}
	return run_op(&rq);
}

static int
cmd_no_throttle(struct cli_def *c, const char *command, char **argv, int argc)
{
	(void)c;
	(void)command;
	if (argc != 1 || wants_help(argv, argc)) {
		cli_error(cli, "%% Usage: no throttle USER");
		return wants_help(argv, argc) ? CLI_OK : CLI_ERROR;
	}
	return simple_op(OP_NO_THROTTLE, 0, argv[0]);
}

/* filter USER in NAME [out NAME] (or out first), no filter USER (2.x). */
static int
cmd_filter(struct cli_def *c, const char *command, char **argv, int argc)
{
	static const char *const help[] = {
		"USER in LIST", "filter what the user sends",
		"USER out LIST", "filter what the user receives",
		"USER in LIST out LIST", "both", NULL };
	struct cli_req rq;
	int i, k;

	(void)c;
	(void)command;
	if (wants_help(argv, argc))
		return help_lines(help);
	if (argc != 3 && argc != 5) {
		cli_error(cli, "%% Usage: filter USER in LIST [out LIST]");
		return CLI_ERROR;
	}
	memset(&rq, 0, sizeof(rq));
	rq.op = OP_FILTER;
	snprintf(rq.name, sizeof(rq.name), "%s", argv[0]);
	for (i = 1; i < argc; i += 2) {
		if (strcmp(argv[i], "in") == 0)
			k = 0;
		else if (strcmp(argv[i], "out") == 0)
			k = 1;
		else {
			cli_error(cli, "%% Expected \"in\" or \"out\" before "
			    "\"%s\"", argv[i + 1]);
			return CLI_ERROR;
		}
		if (rq.text[k * CFG_STRLEN] != '\0') {
			cli_error(cli, "%% \"%s\" given twice", argv[i]);
			return CLI_ERROR;
		}
		snprintf(rq.text + k * CFG_STRLEN, CFG_STRLEN, "%s",
		    argv[i + 1]);
	}
	return run_op(&rq);
}

static int
cmd_no_filter(struct cli_def *c, const char *command, char **argv, int argc)
{
	(void)c;
	(void)command;
	if (argc != 1 || wants_help(argv, argc)) {
		cli_error(cli, "%% Usage: no filter USER");
		return wants_help(argv, argc) ? CLI_OK : CLI_ERROR;
	}
	return simple_op(OP_NO_FILTER, 0, argv[0]);
}

/*
 * write memory: the daemon hands over the running configuration (with
 * secrets); the child writes it, so that the disk is never waited on in
 * the packet loop.  Written to a temporary file, synced and renamed over
 * the startup-config, so a crash leaves the old file or the new one.
 */
/* reload, shutdown: the daemon's own signals (manual, "Signals"). */
static int
signal_daemon(int sig, const char *what, int argc)
{
	if (argc > 0) {
		cli_error(cli, "%% \"%s\" takes no argument", what);
		return CLI_ERROR;
	}
	if (kill(cli_daemon_pid, sig) < 0) {
		cli_error(cli, "%% %s: %s", what, strerror(errno));
		return CLI_ERROR;
	}
	cli_print(cli, "%s", sig == SIGHUP ? "Reloading the configuration" :
	    "Shutting down: tunnels are being closed");
	return CLI_OK;
}

/*
 * debug LEVEL..., no debug [LEVEL...]: the daemon's log lines of the
 * chosen levels, printed live in this session (the 2.x command).  The
 * lines come from the daemon's ring (log.c); only what the daemon logs
 * at its `set debug` level is there to show.
 */
static const char *debug_words[] = {
	"critical", "error", "warning", "info", "calls", "data"
};
#define DEBUG_LEVELS	(sizeof(debug_words) / sizeof(debug_words[0]))
#define DEBUG_ALL	0x1fu		/* "all": every level but data */
static unsigned debug_mask;
static uint64_t debug_from;

static void
debug_line(int level, const char *text, void *arg)
{
	int *shown = arg;

	if (level >= 0 && level < (int)DEBUG_LEVELS &&
	    (debug_mask & (1u << level))) {
		if (*shown == 0)
			cli_print(cli, "%s", "");	/* off the prompt's line */
		cli_print(cli, "%s", text);
		(*shown)++;
	}
}

static int
debug_regular(struct cli_def *c)
{
	uint64_t lost;
	int shown = 0;

	(void)c;
	if (debug_mask == 0)
		return CLI_OK;
	debug_from = log_ring_read(debug_from, debug_line, &shown, &lost);
	if (lost > 0)
		cli_print(cli, "%% %llu log lines went by too fast to show",
		    (unsigned long long)lost);
	if (shown > 0 || lost > 0)
		cli_reprompt(cli);
	return CLI_OK;
}

static void
debug_show(void)
{
	char buf[80];
	size_t i, o = 0;

	buf[0] = '\0';
	for (i = 0; i < DEBUG_LEVELS; i++)
		if (debug_mask & (1u << i))
			o += (size_t)snprintf(buf + o, sizeof(buf) - o, " %s",
			    debug_words[i]);
	cli_print(cli, "Live log:%s", debug_mask ? buf : " off");
}

static int
cmd_debug(struct cli_def *c, const char *command, char **argv, int argc)
{
	int on = strncmp(command, "no ", 3) != 0, i;
	unsigned mask = 0;
	size_t k;

	(void)c;
	if (wants_help(argv, argc)) {
		cli_error(cli, "  all critical error warning info calls data");
		return CLI_OK;
	}
	if (argc == 0) {
		if (on) {
			debug_show();
			return CLI_OK;
		}
		mask = (1u << DEBUG_LEVELS) - 1;
	}
	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "all") == 0) {
			mask |= DEBUG_ALL;
			continue;
		}
		for (k = 0; k < DEBUG_LEVELS; k++)
			if (strcmp(argv[i], debug_words[k]) == 0)
				break;
		if (k == DEBUG_LEVELS) {
			cli_error(cli, "%% Unknown level \"%s\": all, critical, "
			    "error, warning, info, calls or data", argv[i]);
			return CLI_ERROR;
		}
		mask |= 1u << k;
	}
	if (on) {
		if (debug_mask == 0)
			debug_from = log_ring_next();	/* from now on */
		debug_mask |= mask;
	} else
		debug_mask &= ~mask;
	debug_show();
	return CLI_OK;
}

static int
cmd_reload(struct cli_def *c, const char *command, char **argv, int argc)
{
	(void)c; (void)command; (void)argv;
	return signal_daemon(SIGHUP, "reload", argc);
}

static int
cmd_shutdown(struct cli_def *c, const char *command, char **argv, int argc)
{
	(void)c; (void)command; (void)argv;
	return signal_daemon(SIGQUIT, "shutdown", argc);
}

static int
cmd_write_memory(struct cli_def *c, const char *command, char **argv,
    int argc)
{
	char tmp[PATH_MAX], when[32];
	struct cli_req rq;
	const char *text;
	FILE *f;
	int fd, err = 0;

	(void)c;
	(void)command;
	(void)argv;
	(void)argc;
	memset(&rq, 0, sizeof(rq));
	rq.op = OP_SHOW_CONFIG;
	rq.id = SHOWCFG_SECRETS;
	if (ask(&rq, &text) != 0) {
		print_text(text, 1);
		return CLI_ERROR;
	}
	if (strstr(text, "% output truncated") != NULL) {
		cli_error(cli, "%% The configuration is too long to write");
		return CLI_ERROR;
	}
	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", cli_cfg_path) >=
	    (int)sizeof(tmp) || (fd = mkstemp(tmp)) < 0) {
		cli_error(cli, "%% Cannot write %s: %s", cli_cfg_path,
		    strerror(errno));
		return CLI_ERROR;
	}
	fmt_time(time(NULL), when, sizeof(when));
	if ((f = fdopen(fd, "w")) == NULL) {
		close(fd);
		unlink(tmp);
		cli_error(cli, "%% Cannot write %s: %s", cli_cfg_path,
		    strerror(errno));
		return CLI_ERROR;
	}
	if (fprintf(f, "# l2tpns startup-config, written by \"write memory\" "
	    "(%s) on %s\n", who, when) < 0 || fputs(text, f) == EOF ||
	    fflush(f) == EOF || fsync(fileno(f)) < 0)
		err = errno;
	if (fclose(f) == EOF && err == 0)
		err = errno;
	if (err == 0 && rename(tmp, cli_cfg_path) < 0)
		err = errno;
	if (err != 0) {
		unlink(tmp);
		cli_error(cli, "%% Cannot write %s: %s", cli_cfg_path,
		    strerror(err));
		LOG(LOG_ERROR_L, 0, 0, "CLI write memory by %s to %s failed: "
		    "%s", who, cli_cfg_path, strerror(err));
		return CLI_ERROR;
	}
	LOG(LOG_WARN_L, 0, 0, "running configuration written to %s from the "
	    "CLI by %s", cli_cfg_path, who);
	cli_print(cli, "Configuration written to %s", cli_cfg_path);
	return CLI_OK;
}

/* ---- configuration mode ---- */

static int
cmd_set(struct cli_def *c, const char *command, char **argv, int argc)
{
	const struct cfg_directive *d;
	struct cli_req rq;
	const char *text;
	size_t n, i;
	int st;

	(void)command;
	if (argc == 1 && strcmp(argv[0], "?") == 0) {
		d = cfg_directives(&n);
		for (i = 0; i < n; i++)
			if (!(d[i].flags & (CF_HIDDEN | CF_OBSOLETE)) &&
			    d[i].type != CT_LEGACY)
				cli_error(cli, "  %-28s %s%s", d[i].name,
				    d[i].help, d[i].flags & CF_RESTART ?
				    " (needs a restart)" : d[i].flags &
				    CF_NEWSESS ? " (new sessions only)" : "");
		return CLI_OK;
	}
	if (wants_help(argv, argc)) {
		cli_error(cli, "  %-20s %s", "VALUE", "quote it if it has "
		    "blanks");
		return CLI_OK;
	}
	if (argc != 2) {
		cli_error(cli, "%% Usage: set KEY VALUE (quote a value with "
		    "blanks); \"set ?\" lists the keys");
		return CLI_ERROR;
	}
	memset(&rq, 0, sizeof(rq));
	rq.op = OP_SET;
	snprintf(rq.name, sizeof(rq.name), "%s", argv[0]);
	if (strlen(argv[1]) >= sizeof(rq.text)) {
		cli_error(cli, "%% The value for %s is too long", argv[0]);
		return CLI_ERROR;
	}
	snprintf(rq.text, sizeof(rq.text), "%s", argv[1]);
	st = ask(&rq, &text);
	print_text(text, st != 0 || text[0] == '%');
	if (st != 0)
		return CLI_ERROR;
	/* The prompt follows the new name at once. */
	if (strcmp(argv[0], "hostname") == 0 && argv[1][0])
		cli_set_hostname(c, argv[1]);
	return CLI_OK;
}

static int
cmd_load_plugin(struct cli_def *c, const char *command, char **argv, int argc)
{
	(void)c;
	(void)command;
	if (argc != 1 || wants_help(argv, argc)) {
		cli_error(cli, "%% Usage: load plugin NAME");
		return wants_help(argv, argc) ? CLI_OK : CLI_ERROR;
	}
	return simple_op(OP_LOAD_PLUGIN, 0, argv[0]);
}

static int
cmd_remove_plugin(struct cli_def *c, const char *command, char **argv,
    int argc)
{
	(void)c;
	(void)command;
	if (argc != 1 || wants_help(argv, argc)) {
		cli_error(cli, "%% Usage: remove plugin NAME");
		return wants_help(argv, argc) ? CLI_OK : CLI_ERROR;
	}
	return simple_op(OP_REMOVE_PLUGIN, 0, argv[0]);
}

/* ---- access lists in configuration mode ---- */

#define MODE_CONFIG_ACL	10	/* inside "ip access-list": permit, deny */

static char acl_name[MAXACLNAME];	/* the list being edited */
static uint32_t acl_kind;		/* ACLREQ_EXTENDED or 0 */

static int
acl_kind_of(const char *w)
{
	if (strcmp(w, "standard") == 0)
		return 0;
	if (strcmp(w, "extended") == 0)
		return ACLREQ_EXTENDED;
	return -1;
}

static int
cmd_ip_acl(struct cli_def *c, const char *command, char **argv, int argc)
{
	static const char *const help[] = {
		"standard NAME", "rules on the source (and destination)",
		"extended NAME", "rules on protocol, addresses, ports, flags",
		NULL };
	int k;

	(void)command;
	if (wants_help(argv, argc))
		return help_lines(help);
	if (argc != 2 || (k = acl_kind_of(argv[0])) < 0) {
		cli_error(cli, "%% Usage: ip access-list {standard|extended} "
		    "NAME");
		return CLI_ERROR;
	}
	/* The daemon creates the list, or checks the kind of an old one. */
	if (simple_op(OP_ACL, (uint32_t)k, argv[1]) != CLI_OK)
		return CLI_ERROR;
	snprintf(acl_name, sizeof(acl_name), "%s", argv[1]);
	acl_kind = (uint32_t)k;
	cli_set_configmode(c, MODE_CONFIG_ACL, k ? "ext-nacl" : "std-nacl");
	return CLI_OK;
}

static int
cmd_no_ip_acl(struct cli_def *c, const char *command, char **argv, int argc)
{
	int k;

	(void)c;
	(void)command;
	if (argc != 2 || wants_help(argv, argc) ||
	    (k = acl_kind_of(argv[0])) < 0) {
		cli_error(cli, "%% Usage: no ip access-list {standard|extended} "
		    "NAME");
		return wants_help(argv, argc) ? CLI_OK : CLI_ERROR;
	}
	return simple_op(OP_ACL, (uint32_t)k | ACLREQ_DELETE, argv[1]);
}

/*
 * A command and its arguments as one line for the daemon's config
 * parser (config-mode block bodies); -1 when it does not fit.
 */
static int
join_words(char *buf, size_t size, const char *command, char **argv,
    int argc)
{
	size_t o = (size_t)snprintf(buf, size, "%s", command);
	int i, n;

	for (i = 0; i < argc && o < size; i++) {
		n = snprintf(buf + o, size - o, " %s", argv[i]);
		o += n < 0 ? size : (size_t)n;
	}
	return o < size ? 0 : -1;
}

/* permit/deny inside "ip access-list": appended to the list at once. */
static int
cmd_acl_rule(struct cli_def *c, const char *command, char **argv, int argc)
{
	static const char *const std_help[] = {
		"SOURCE [DESTINATION]", "any | host A.B.C.D | A.B.C.D WILDCARD",
		NULL };
	static const char *const ext_help[] = {
		"ip SRC DST", "[fragments]",
		"tcp SRC [PORTS] DST [PORTS]", "[established | match-any|"
		    "match-all +FLAG -FLAG ... | fragments]",
		"udp SRC [PORTS] DST [PORTS]", "[fragments]",
		"PORTS", "eq|neq|gt|lt PORT, range LOW HIGH",
		NULL };
	struct cli_req rq;

	(void)c;
	if (wants_help(argv, argc))
		return help_lines(acl_kind ? ext_help : std_help);
	memset(&rq, 0, sizeof(rq));
	rq.op = OP_ACL;
	rq.id = acl_kind;
	snprintf(rq.name, sizeof(rq.name), "%s", acl_name);
	if (join_words(rq.text, sizeof(rq.text), command, argv, argc) < 0) {
		cli_error(cli, "%% The rule is too long");
		return CLI_ERROR;
	}
	return run_op(&rq);
}

/* ---- router bgp in configuration mode ---- */

#define MODE_CONFIG_BGP	11	/* inside "router bgp": neighbour lines */

static char bgp_as[16];			/* the block being edited */

static int
cmd_router_bgp(struct cli_def *c, const char *command, char **argv, int argc)
{
	(void)command;
	if (wants_help(argv, argc)) {
		cli_error(cli, "  %-20s %s", "AS", "this server's AS number, "
		    "1 to 4294967295");
		return CLI_OK;
	}
	if (argc != 1 || strlen(argv[0]) >= sizeof(bgp_as)) {
		cli_error(cli, "%% Usage: router bgp AS");
		return CLI_ERROR;
	}
	/* The daemon checks the AS (and refuses a second, other one). */
	if (simple_op(OP_BGP, 0, argv[0]) != CLI_OK)
		return CLI_ERROR;
	snprintf(bgp_as, sizeof(bgp_as), "%s", argv[0]);
	cli_set_configmode(c, MODE_CONFIG_BGP, "router");
	return CLI_OK;
}

static int
cmd_no_router_bgp(struct cli_def *c, const char *command, char **argv,
    int argc)
{
	(void)c;
	(void)command;
	if (argc != 0) {
		cli_error(cli, "%% Usage: no router bgp");
		return wants_help(argv, argc) ? CLI_OK : CLI_ERROR;
	}
	return simple_op(OP_BGP, 1, NULL);
}

/* neighbour PEER ..., no neighbour PEER: inside "router bgp". */
static int
cmd_bgp_line(struct cli_def *c, const char *command, char **argv, int argc)
{
	static const char *const help[] = {
		"PEER remote-as AS", "add a peer (first), or change its AS",
		"PEER timers KEEPALIVE HOLD", "seconds; default 60 180",
		"PEER update-source ADDRESS", "local address of the session",
		NULL };
	struct cli_req rq;

	(void)c;
	if (wants_help(argv, argc))
		return help_lines(help);
	memset(&rq, 0, sizeof(rq));
	rq.op = OP_BGP;
	snprintf(rq.name, sizeof(rq.name), "%s", bgp_as);
	if (join_words(rq.text, sizeof(rq.text), command, argv, argc) < 0) {
		cli_error(cli, "%% The line is too long");
		return CLI_ERROR;
	}
	return run_op(&rq);
}

static int
cmd_end(struct cli_def *c, const char *command, char **argv, int argc)
{
	(void)command;
	(void)argv;
	(void)argc;
	cli_set_configmode(c, MODE_EXEC, NULL);
	return CLI_OK;
}

/*
 * enable: libcli's own, except when the users file has users but no
 * "enable" entry: then privileged mode is locked (a Cisco router without
 * an enable secret refuses enable on its vty lines too).
 */
static int
cmd_enable(struct cli_def *c, const char *command, char **argv, int argc)
{
	if (cli_users->n > 0 && !cli_users->have_enable) {
		cli_error(cli, "%% No enable password is set: add an "
		    "\"enable\" line to %s", config->users_file);
		return CLI_ERROR;
	}
	return cli_enable(c, command, argv, argc);
}

/* ---- the command table ---- */

#define PRIV	PRIVILEGE_PRIVILEGED
#define UNPRIV	PRIVILEGE_UNPRIVILEGED

typedef int (*cmd_fn)(struct cli_def *, const char *, char **, int);

static const struct cli_cmd {
	const char	*words;		/* path from the top; parents first */
	cmd_fn		 fn;		/* NULL: a word of longer commands */
	int		 privilege;
	int		 mode;
	const char	*help;
} cli_commands[] = {
	{ "enable", cmd_enable, UNPRIV, MODE_EXEC,
	    "Turn on privileged commands" },
	{ "show", NULL, UNPRIV, MODE_EXEC, "Show running state" },
	{ "show session", cmd_show_session, UNPRIV, MODE_EXEC,
	    "Sessions: all, or one in detail (show session [ID] [json]; "
	    "show session ID quality [json|csv]; show session ID events "
	    "[json])" },
	{ "show users", cmd_show_users, UNPRIV, MODE_EXEC,
	    "Users of connected sessions" },
	{ "show user", cmd_show_user, UNPRIV, MODE_EXEC,
	    "The sessions of one user, in detail" },
	{ "show tunnel", cmd_show_tunnel, UNPRIV, MODE_EXEC,
	    "Tunnels: all, or one in detail (show tunnel [ID] [json])" },
	{ "show tunnels", cmd_show_tunnel, UNPRIV, MODE_EXEC,
	    "Same as show tunnel (the 2.x spelling)" },
	{ "show ipcache", cmd_show_ipcache, UNPRIV, MODE_EXEC,
	    "Destination addresses and routes, and their sessions (2.x)" },
	{ "show throttle", cmd_show_throttle, UNPRIV, MODE_EXEC,
	    "Throttled sessions and their rates" },
	{ "show ha-set", cmd_show_haset, UNPRIV, MODE_EXEC,
	    "HA sets: address, anchor, members, duplicates" },
	{ "show tbf", cmd_show_tbf, UNPRIV, MODE_EXEC,
	    "The throttle buckets: rate, credit, queue, counters (2.x)" },
	{ "show histogram", cmd_show_histogram, UNPRIV, MODE_EXEC,
	    "Sessions by idle time (idle) or by age (open) (2.x)" },
	{ "show pool", cmd_show_pool, UNPRIV, MODE_EXEC,
	    "The address pool and the addresses in use" },
	{ "show radius", cmd_show_radius, UNPRIV, MODE_EXEC,
	    "RADIUS servers and requests in flight (show radius [json])" },
	{ "show running-config", cmd_show_running_config, PRIV, MODE_EXEC,
	    "The running configuration (secrets need enable)" },
	{ "show counters", cmd_show_counters, UNPRIV, MODE_EXEC,
	    "Internal counters (show counters [json])" },
	{ "show cluster", cmd_show_cluster, UNPRIV, MODE_EXEC,
	    "Cluster state" },
	{ "show plugins", cmd_show_plugins, UNPRIV, MODE_EXEC,
	    "Plugins" },
	{ "show bgp", cmd_show_bgp, UNPRIV, MODE_EXEC,
	    "BGP neighbours (show bgp [PEER] [json])" },
	{ "show version", cmd_show_version, UNPRIV, MODE_EXEC,
	    "Version and build" },
	{ "show ip", NULL, UNPRIV, MODE_EXEC, "IP" },
	{ "show ip access-list", cmd_show_acl, UNPRIV, MODE_EXEC,
	    "Access lists (show ip access-list [NAME])" },
	{ "uptime", cmd_uptime, UNPRIV, MODE_EXEC,
	    "Time running, sessions and bandwidth" },
	{ "clear", NULL, PRIV, MODE_EXEC, "Reset" },
	{ "clear counters", cmd_clear_counters, PRIV, MODE_EXEC,
	    "Zero every counter" },
	{ "drop", NULL, PRIV, MODE_EXEC, "Disconnect" },
	{ "drop session", cmd_drop_session, PRIV, MODE_EXEC,
	    "Close a session: drop session ID [reason TEXT] [cause CODE]" },
	{ "drop user", cmd_drop_user, PRIV, MODE_EXEC,
	    "Close every session of a user: drop user NAME [reason TEXT] "
	    "[cause CODE]" },
	{ "drop tunnel", cmd_drop_tunnel, PRIV, MODE_EXEC,
	    "Close a tunnel and its sessions: drop tunnel ID [reason TEXT]" },
	{ "snoop", cmd_snoop, PRIV, MODE_EXEC,
	    "Intercept a user: snoop USER IP PORT" },
	{ "throttle", cmd_throttle, PRIV, MODE_EXEC,
	    "Throttle a user: throttle USER [RATE | in RATE | out RATE]" },
	{ "no", NULL, PRIV, MODE_EXEC, "Undo" },
	{ "no snoop", cmd_no_snoop, PRIV, MODE_EXEC,
	    "Stop intercepting a user" },
	{ "no throttle", cmd_no_throttle, PRIV, MODE_EXEC,
	    "Stop throttling a user" },
	{ "filter", cmd_filter, PRIV, MODE_EXEC,
	    "Apply access lists to a user: filter USER in LIST [out LIST]" },
	{ "no filter", cmd_no_filter, PRIV, MODE_EXEC,
	    "Remove a user's access lists" },
	{ "no suspend", NULL, PRIV, MODE_EXEC, "Resume" },
	{ "no suspend bgp", cmd_suspend_bgp, PRIV, MODE_EXEC,
	    "Announce the BGP routes again" },
	{ "suspend", NULL, PRIV, MODE_EXEC, "Suspend" },
	{ "suspend bgp", cmd_suspend_bgp, PRIV, MODE_EXEC,
	    "Withdraw every BGP route, keeping the sessions" },
	{ "restart", NULL, PRIV, MODE_EXEC, "Restart" },
	{ "restart bgp", cmd_restart_bgp, PRIV, MODE_EXEC,
	    "Reset BGP sessions: restart bgp [PEER]" },
	{ "write", NULL, PRIV, MODE_EXEC, "Save" },
	{ "write terminal", cmd_show_running_config, PRIV, MODE_EXEC,
	    "Same as show running-config" },
	{ "debug", cmd_debug, PRIV, MODE_EXEC,
	    "Show the daemon's log live: debug [all|critical|error|warning|"
	    "info|calls|data ...]; alone, what is shown" },
	{ "no debug", cmd_debug, PRIV, MODE_EXEC,
	    "Stop showing log levels live: no debug [LEVEL ...] (all if none)" },
	{ "reload", cmd_reload, PRIV, MODE_EXEC,
	    "Re-read the configuration (as SIGHUP)" },
	{ "shutdown", cmd_shutdown, PRIV, MODE_EXEC,
	    "Close every tunnel cleanly and exit (as SIGQUIT)" },
	{ "write memory", cmd_write_memory, PRIV, MODE_EXEC,
	    "Save the running configuration as the startup-config" },
	/* configure terminal comes with libcli */
	{ "set", cmd_set, PRIV, MODE_CONFIG,
	    "Set a directive: set KEY VALUE (set ? lists them)" },
	{ "load", NULL, PRIV, MODE_CONFIG, "Load" },
	{ "load plugin", cmd_load_plugin, PRIV, MODE_CONFIG,
	    "Load a plugin" },
	{ "remove", NULL, PRIV, MODE_CONFIG, "Remove" },
	{ "remove plugin", cmd_remove_plugin, PRIV, MODE_CONFIG,
	    "Unload a plugin" },
	{ "router", NULL, PRIV, MODE_CONFIG, "Routing" },
	{ "router bgp", cmd_router_bgp, PRIV, MODE_CONFIG,
	    "Edit the BGP configuration: router bgp AS" },
	{ "neighbour", cmd_bgp_line, PRIV, MODE_CONFIG_BGP,
	    "A BGP peer: neighbour PEER remote-as|timers|update-source ..." },
	{ "neighbor", cmd_bgp_line, PRIV, MODE_CONFIG_BGP,
	    "The same as neighbour" },
	{ "no", NULL, PRIV, MODE_CONFIG_BGP, "Undo" },
	{ "no neighbour", cmd_bgp_line, PRIV, MODE_CONFIG_BGP,
	    "Remove a BGP peer: no neighbour PEER" },
	{ "no neighbor", cmd_bgp_line, PRIV, MODE_CONFIG_BGP,
	    "The same as no neighbour" },
	{ "end", cmd_end, PRIV, MODE_CONFIG_BGP, "Leave configuration mode" },
	{ "ip", NULL, PRIV, MODE_CONFIG, "IP" },
	{ "ip access-list", cmd_ip_acl, PRIV, MODE_CONFIG,
	    "Edit an access list: ip access-list {standard|extended} NAME" },
	{ "no", NULL, PRIV, MODE_CONFIG, "Undo" },
	{ "no ip", NULL, PRIV, MODE_CONFIG, "IP" },
	{ "no ip access-list", cmd_no_ip_acl, PRIV, MODE_CONFIG,
	    "Delete an access list: no ip access-list {standard|extended} "
	    "NAME" },
	{ "no router", NULL, PRIV, MODE_CONFIG, "Routing" },
	{ "no router bgp", cmd_no_router_bgp, PRIV, MODE_CONFIG,
	    "Remove the BGP configuration" },
	{ "permit", cmd_acl_rule, PRIV, MODE_CONFIG_ACL,
	    "Append a rule that lets matching packets through" },
	{ "deny", cmd_acl_rule, PRIV, MODE_CONFIG_ACL,
	    "Append a rule that drops matching packets" },
	{ "end", cmd_end, PRIV, MODE_CONFIG_ACL, "Leave configuration mode" },
	{ "end", cmd_end, PRIV, MODE_CONFIG, "Leave configuration mode" },
};

#define NCOMMANDS	(sizeof(cli_commands) / sizeof(cli_commands[0]))

/* Register the table: each row's parent is the row whose words prefix it. */
static int
register_commands(void)
{
	struct cli_command *reg[NCOMMANDS];
	const char *last;
	size_t i, j, plen;

	for (i = 0; i < NCOMMANDS; i++) {
		const struct cli_cmd *c = &cli_commands[i];
		struct cli_command *parent = NULL;

		last = strrchr(c->words, ' ');
		plen = last ? (size_t)(last - c->words) : 0;
		for (j = 0; last && j < i; j++)
			if (strlen(cli_commands[j].words) == plen &&
			    strncmp(cli_commands[j].words, c->words,
			    plen) == 0 && cli_commands[j].mode == c->mode)
				parent = reg[j];
		/* The table lists a child before its parent. */
		if (last && parent == NULL)
			return -1;
		reg[i] = cli_register_command(cli, parent, last ? last + 1 :
		    c->words, c->fn, c->privilege, c->mode, c->help);
		if (reg[i] == NULL)
			return -1;
	}
	return 0;
}

/* ---- the session ---- */

static void logged_in(void);

static int
auth_cb(const char *name, const char *pass)
{
	if (users_check(cli_users, name, pass)) {
		snprintf(who, sizeof(who), "%.40s@%s", name, peer_name);
		clean(who, sizeof(who));
		LOG(LOG_INFO_L, 0, 0, "CLI login by %s", who);
		logged_in();
		return CLI_OK;
	}
	failures++;
	LOG(LOG_WARN_L, 0, 0, "CLI login as \"%.40s\" from %s refused (%d of "
	    "%d)", name, peer_name, failures, CLI_MAX_FAILURES);
	sleep(1);	/* slows a password guesser, in this child only */
	if (failures >= CLI_MAX_FAILURES) {
		cli_error(cli, "\r\n%% Access denied: too many failures");
		_exit(0);
	}
	return CLI_ERROR;
}

/*
 * Past the login: the login deadline ends, and the daemon no longer
 * counts this session among those it may end to make room.
 */
static void
logged_in(void)
{
	struct cli_req rq;
	const char *text;

	alarm(0);
	memset(&rq, 0, sizeof(rq));
	rq.op = OP_LOGGED_IN;
	(void)ask(&rq, &text);
}

static int
enable_cb(const char *pass)
{
	if (users_check_enable(cli_users, pass)) {
		LOG(LOG_INFO_L, 0, 0, "CLI: %s entered privileged mode", who);
		return 1;
	}
	LOG(LOG_WARN_L, 0, 0, "CLI: %s gave a wrong enable password", who);
	return 0;
}

static int
idle_cb(struct cli_def *c)
{
	cli_error(c, "%% Idle for %d seconds: closing the connection",
	    config->cli_idle_timeout);
	LOG(LOG_INFO_L, 0, 0, "CLI session of %s closed after %d idle seconds",
	    who, config->cli_idle_timeout);
	return CLI_QUIT;
}

/*
 * Close every descriptor the session does not need (the L2TP socket, the
 * TUN device, the epoll and signal fds, the listener, other children's
 * request sockets): the child must never touch them, and must not keep
 * them open should the daemon restart.
 */
static void
close_other_fds(int keep_a, int keep_b)
{
	int fds[1024], n = 0, i, keep_log = log_fileno();
	struct dirent *e;
	DIR *d;

	if (keep_log < 0)
		closelog();	/* syslog reconnects by itself when used */
	if ((d = opendir("/proc/self/fd")) == NULL)
		return;
	while ((e = readdir(d)) != NULL &&
	    n < (int)(sizeof(fds) / sizeof(fds[0]))) {
		int fd = atoi(e->d_name);

		if (e->d_name[0] == '.' || fd == dirfd(d))
			continue;
		if (fd > STDERR_FILENO && fd != keep_a && fd != keep_b &&
		    fd != keep_log)
			fds[n++] = fd;
	}
	closedir(d);
	for (i = 0; i < n; i++)
		close(fds[i]);
}

/*
 * Without a user in the users file nobody is asked a password, so only
 * root (or the daemon's own user) on this host gets in: another local
 * user could otherwise drop, snoop or reconfigure subscribers.
 * trust_local_users restores the older rule (any local process).
 */
static int
local_root(int sock, const struct sockaddr_in *from)
{
	static const char msg[] = "% No user in the users file: only root on "
	    "this host may use this CLI.\r\n";
	struct sockaddr_in local;
	socklen_t len = sizeof(local);
	uid_t uid = (uid_t)-1;
	int rc;

	if (config->trust_local_users)
		return 1;
	if (getsockname(sock, (struct sockaddr *)&local, &len) < 0)
		return 0;
	rc = peer_uid(IPPROTO_TCP, &local, from, &uid);
	if (rc == PEER_LOCAL && (uid == 0 || uid == geteuid()))
		return 1;
	if (rc == PEER_LOCAL)
		LOG(LOG_WARN_L, 0, 0, "CLI: refused a connection from %s by "
		    "local uid %u: no user in %s, only root may log in "
		    "(trust_local_users lets any local user)", peer_name,
		    (unsigned)uid, config->users_file);
	else
		LOG(LOG_WARN_L, 0, 0, "CLI: refused a connection from %s: its "
		    "owner cannot be found (%s)", peer_name,
		    rc == PEER_ERROR ? strerror(errno) : "not a local socket");
	if (write(sock, msg, sizeof(msg) - 1) < 0)
		return 0;
	return 0;
}

int
cli_child_commands(int link)
{
	link_fd = link;
	if ((cli = cli_init()) == NULL)
		return -1;
	cli_unregister_command(cli, "enable");
	return register_commands();
}

void
cli_child_run(int sock, int link, const struct sockaddr_in *from)
{
	struct timeval tv = { .tv_sec = CLI_REPLY_WAIT, .tv_usec = 0 };
	char a[INET_ADDRSTRLEN], banner[MAXHOSTNAME_CFG + 64];
	sigset_t none;
	int one = 1, fd;

	/* Die with the daemon; it may have gone between fork and here. */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != cli_daemon_pid)
		_exit(0);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);	/* a vanished client ends the child */
	signal(SIGCHLD, SIG_DFL);
	prctl(PR_SET_NAME, "l2tpns-cli", 0, 0, 0);

	close_other_fds(sock, link);
	/* libcli reports socket errors with perror(): not on our stderr. */
	if (log_fileno() != STDERR_FILENO &&
	    (fd = open("/dev/null", O_RDWR | O_CLOEXEC)) >= 0) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDERR_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
	setsockopt(link, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	/* libcli waits with select(): the socket must be below FD_SETSIZE. */
	if (sock >= FD_SETSIZE) {
		if ((fd = fcntl(sock, F_DUPFD, STDERR_FILENO + 1)) < 0 ||
		    fd >= FD_SETSIZE)
			_exit(1);
		close(sock);
		sock = fd;
	}
	setsockopt(sock, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	tv.tv_sec = 60;		/* a client that stops reading */
	setsockopt(sock, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));

	snprintf(peer_name, sizeof(peer_name), "%s", inet_ntop(AF_INET,
	    &from->sin_addr, a, sizeof(a)));
	snprintf(who, sizeof(who), "(no login)@%s", peer_name);

	if (cli_users->n == 0 && !local_root(sock, from))
		_exit(0);
	/* CLI_LOGIN_TIMEOUT to log in (SIGALRM ends the child). */
	signal(SIGALRM, SIG_DFL);
	alarm(CLI_LOGIN_TIMEOUT);
	if (cli_child_commands(link) < 0) {
		LOG(LOG_ERROR_L, 0, 0, "CLI: cannot register the commands");
		_exit(1);
	}
	cli_set_hostname(cli, config->hostname);
	snprintf(banner, sizeof(banner), "l2tpns %s on %s", L2TPNS_VERSION,
	    config->hostname);
	cli_set_banner(cli, banner);
	if (cli_users->n > 0)
		cli_set_auth_callback(cli, auth_cb);
	else {
		LOG(LOG_INFO_L, 0, 0, "CLI session from %s without a login "
		    "(no users)", peer_name);
		logged_in();
	}
	if (cli_users->have_enable)
		cli_set_enable_callback(cli, enable_cb);
	if (config->cli_idle_timeout > 0)
		cli_set_idle_timeout_callback(cli,
		    (unsigned)config->cli_idle_timeout, idle_cb);
	cli_regular(cli, debug_regular);	/* the live log, each second */
	cli_regular_interval(cli, 1);
	cli_loop(cli, sock);
	cli_done(cli);
	_exit(0);
}
