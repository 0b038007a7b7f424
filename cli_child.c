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
 * interface (CLI)" describes them.
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
#include "event.h"
#include "control.h"
#include "l2tp.h"
#include "log.h"
#include "radius.h"
#include "tbf.h"
#include "cli.h"

/* ---- child side state ---- */

static struct cli_def *cli;
static int link_fd = -1;
static char peer_name[INET_ADDRSTRLEN + 8];
static char who[96];
static int failures;
static uint32_t req_seq;

/* ---- small helpers ---- */





/*
 * Make a string from the shared tables safe to print: terminated even if
 * the loop was rewriting it, and without bytes a terminal or the telnet
 * protocol (IAC is 0xff) would act on.
 */
static void
clean(char *s, size_t size)
{
	size_t i;

	s[size - 1] = '\0';
	for (i = 0; s[i]; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
			s[i] = '?';
}

static int
parse_u32(const char *s, uint32_t *out)
{
	char *end;
	unsigned long v;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (*end != '\0' || errno != 0 || v > UINT32_MAX)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

/* "?" typed after a command's words reaches the command as its last word. */
static int
wants_help(char **argv, int argc)
{
	size_t n;

	if (argc == 0)
		return 0;
	n = strlen(argv[argc - 1]);
	return n > 0 && argv[argc - 1][n - 1] == '?';
}

static void
fmt_time(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (t == 0 || localtime_r(&t, &tm) == NULL)
		snprintf(buf, len, "never");
	else
		strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
}

static long
ago(time_t t)
{
	time_t now = time(NULL);

	return t == 0 || t > now ? 0 : (long)(now - t);
}

/* A JSON string literal (RFC 8259 7) of a cleaned string. */
static const char *
jstr(const char *s, char *buf, size_t len)
{
	size_t o = 0;

	if (len < 3) {
		buf[0] = '\0';
		return buf;
	}
	buf[o++] = '"';
	for (; *s && o + 3 < len; s++) {
		if (*s == '"' || *s == '\\')
			buf[o++] = '\\';
		buf[o++] = *s;
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

static const char *
session_state_name(int st)
{
	static const char *names[] = { "Free", "Opening", "Open", "Closing" };

	return st >= 0 && st < (int)(sizeof(names) / sizeof(names[0])) ?
	    names[st] : "?";
}

/* The manual's words, "Dieing" included: scripts match on them. */
static const char *
tunnel_state_name(int st)
{
	static const char *names[] = { "Free", "Opening", "Open", "Dieing" };

	return st >= 0 && st < (int)(sizeof(names) / sizeof(names[0])) ?
	    names[st] : "?";
}

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

static int
help_lines(const char *const *lines)
{
	for (; *lines; lines += 2)
		cli_error(cli, "  %-20s %s", lines[0], lines[1]);
	return CLI_OK;
}

/* Copy a table entry so the loop can change the original meanwhile. */
static int
session_copy(sid_t s, struct session *out)
{
	const struct session *sp = session_get(s);

	if (sp == NULL)
		return -1;
	memcpy(out, sp, sizeof(*out));
	if (out->state == SESSION_FREE)
		return -1;
	clean(out->user, sizeof(out->user));
	clean(out->calling, sizeof(out->calling));
	clean(out->called, sizeof(out->called));
	clean(out->acct_session_id, sizeof(out->acct_session_id));
	clean(out->filter_in, sizeof(out->filter_in));
	clean(out->filter_out, sizeof(out->filter_out));
	return 0;
}

static int
tunnel_copy(tid_t t, struct tunnel *out)
{
	const struct tunnel *tp = tunnel_get(t);

	if (tp == NULL)
		return -1;
	memcpy(out, tp, sizeof(*out));
	if (out->state == TUNNEL_FREE)
		return -1;
	clean(out->hostname, sizeof(out->hostname));
	clean(out->vendor, sizeof(out->vendor));
	return 0;
}

static const char *
lac_of(const struct session *s, char *buf)
{
	struct tunnel t;

	if (tunnel_copy(s->tunnel, &t) < 0)
		return "-";
	return inet_ntop(AF_INET, &t.peer.sin_addr, buf, INET_ADDRSTRLEN);
}

static const char *
flag_yn(int v)
{
	return v ? "Y" : "N";
}

/* ---- show session ---- */

/*
 * Seconds until Session-Timeout (counted from authentication) or
 * Idle-Timeout (from the last packet) ends the session; -1 without one.
 */
static long
time_left(uint32_t limit, time_t from)
{
	long left;

	if (limit == 0)
		return -1;
	left = (long)limit - ago(from);
	return left > 0 ? left : 0;
}

static void
session_json(const struct session *s, sid_t sid, char *line, size_t len)
{
	char u[MAXUSER * 2 + 3], c[MAXCALLING * 2 + 3], d[MAXCALLING * 2 + 3];
	char fi[MAXACLNAME * 2 + 3], fo[MAXACLNAME * 2 + 3];
	char acct[sizeof(s->acct_session_id) * 2 + 3];
	char ip[INET_ADDRSTRLEN], lac[INET_ADDRSTRLEN];

	snprintf(line, len, "{\"sid\":%u,\"tid\":%u,\"state\":\"%s\","
	    "\"user\":%s,\"ip\":\"%s\",\"intercept\":%s,\"throttle\":%s,"
	    "\"walled_garden\":%s,\"ipv6\":%s,\"opened\":%ld,"
	    "\"downloaded\":%llu,\"uploaded\":%llu,\"packets_out\":%llu,"
	    "\"packets_in\":%llu,\"idle\":%ld,\"lac\":\"%s\",\"calling\":%s,"
	    "\"called\":%s,\"local_id\":%u,\"peer_id\":%u,\"tx_speed\":%u,"
	    "\"rx_speed\":%u,\"rate_in\":%u,\"rate_out\":%u,\"mru\":%u,"
	    "\"acct_session_id\":%s,\"filter_in\":%s,\"filter_out\":%s,"
	    "\"session_timeout\":%u,\"session_timeout_left\":%ld,"
	    "\"idle_timeout\":%u,\"idle_timeout_left\":%ld}",
	    sid, s->tunnel, session_state_name(s->state),
	    jstr(s->user, u, sizeof(u)), cli_ip_str(s->ip, ip),
	    s->intercept ? "true" : "false", s->throttle ? "true" : "false",
	    s->walled_garden ? "true" : "false", s->ipv6 ? "true" : "false",
	    ago(s->opened), (unsigned long long)s->cout,
	    (unsigned long long)s->cin, (unsigned long long)s->pout,
	    (unsigned long long)s->pin, ago(s->last_packet), lac_of(s, lac),
	    jstr(s->calling, c, sizeof(c)), jstr(s->called, d, sizeof(d)),
	    s->local_id, s->far_id, s->tx_speed, s->rx_speed, s->rate_in,
	    s->rate_out, s->mru, jstr(s->acct_session_id, acct, sizeof(acct)),
	    jstr(s->filter_in, fi, sizeof(fi)),
	    jstr(s->filter_out, fo, sizeof(fo)), s->session_timeout,
	    time_left(s->session_timeout, s->auth_time), s->idle_timeout,
	    time_left(s->idle_timeout, s->last_packet));
}

static void
session_detail(sid_t sid, const struct session *s)
{
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN], t1[32], t2[32];
	char v6[INET6_ADDRSTRLEN];
	struct tunnel t;
	const char *auth;

	cli_print(cli, "Session %u", sid);
	cli_print(cli, "  %-22s %s", "State:", session_state_name(s->state));
	if (tunnel_copy(s->tunnel, &t) == 0)
		cli_print(cli, "  %-22s %u (LAC %s at %s)", "Tunnel:",
		    s->tunnel, t.hostname, cli_ip_str(t.peer.sin_addr.s_addr, a));
	else
		cli_print(cli, "  %-22s %u", "Tunnel:", s->tunnel);
	cli_print(cli, "  %-22s local %u, peer %u", "L2TP session id:",
	    s->local_id, s->far_id);
	cli_print(cli, "  %-22s %s", "User:", s->user[0] ? s->user : "*");
	cli_print(cli, "  %-22s %s", "Calling number (CLI):",
	    s->calling[0] ? s->calling : "-");
	cli_print(cli, "  %-22s %s", "Called number:",
	    s->called[0] ? s->called : "-");
	cli_print(cli, "  %-22s tx %u, rx %u bit/s", "Connect speed:",
	    s->tx_speed, s->rx_speed);
	cli_print(cli, "  %-22s %u%s%s", "Framing:", s->framing,
	    s->framing & 1 ? " sync" : "", s->framing & 2 ? " async" : "");
	cli_print(cli, "  %-22s %s", "IP address:", cli_ip_str(s->ip, a));
	cli_print(cli, "  %-22s %s, %s", "DNS:", cli_ip_str(s->dns1, a),
	    cli_ip_str(s->dns2, b));
	cli_print(cli, "  %-22s %s", "IPv6 (IPV6CP open):", s->ipv6 ? "yes" :
	    "no");
	cli_print(cli, "  %-22s %02x%02x:%02x%02x:%02x%02x:%02x%02x",
	    "IPv6 interface id:", s->ipv6_ifid[0], s->ipv6_ifid[1],
	    s->ipv6_ifid[2], s->ipv6_ifid[3], s->ipv6_ifid[4], s->ipv6_ifid[5],
	    s->ipv6_ifid[6], s->ipv6_ifid[7]);
	inet_ntop(AF_INET6, &s->ipv6_prefix, v6, sizeof(v6));
	cli_print(cli, "  %-22s %s/%u", "IPv6 prefix:", v6, s->ipv6_prefix_len);
	cli_print(cli, "  %-22s %s", "PPP phase:", ppp_phase_name(s->phase));
	cli_print(cli, "  %-22s LCP %s, IPCP %s, IPV6CP %s", "PPP automata:",
	    fsm_state_name(s->lcp_state), fsm_state_name(s->ipcp_state),
	    fsm_state_name(s->ipv6cp_state));
	auth = s->auth_proto == 0xc023 ? "PAP" : s->auth_proto == 0xc223 ?
	    "CHAP" : "none";
	fmt_time(s->auth_time, t1, sizeof(t1));
	cli_print(cli, "  %-22s %s (0x%04x), at %s", "Authentication:", auth,
	    s->auth_proto, t1);
	cli_print(cli, "  %-22s %u", "Peer MRU:", s->mru);
	cli_print(cli, "  %-22s 0x%08x", "LCP magic:", s->magic);
	cli_print(cli, "  %-22s %s", "Acct-Session-Id:",
	    s->acct_session_id[0] ? s->acct_session_id : "-");
	if (s->session_timeout)
		cli_print(cli, "  %-22s %u s, %ld s left", "Session timeout:",
		    s->session_timeout, time_left(s->session_timeout,
		    s->auth_time));
	else
		cli_print(cli, "  %-22s none", "Session timeout:");
	if (s->idle_timeout)
		cli_print(cli, "  %-22s %u s, %ld s left", "Idle timeout:",
		    s->idle_timeout, time_left(s->idle_timeout,
		    s->last_packet));
	else
		cli_print(cli, "  %-22s none", "Idle timeout:");
	cli_print(cli, "  %-22s in %s, out %s", "Filter:",
	    s->filter_in[0] ? s->filter_in : "-",
	    s->filter_out[0] ? s->filter_out : "-");
	cli_print(cli, "  %-22s %u", "Unanswered echoes:", s->echo_fails);
	fmt_time(s->opened, t1, sizeof(t1));
	fmt_time(s->last_packet, t2, sizeof(t2));
	cli_print(cli, "  %-22s %s (%ld s ago)", "Opened:", t1, ago(s->opened));
	cli_print(cli, "  %-22s %s (%ld s ago)", "Last packet:", t2,
	    ago(s->last_packet));
	cli_print(cli, "  %-22s %llu bytes, %llu packets", "Uploaded (in):",
	    (unsigned long long)s->cin, (unsigned long long)s->pin);
	cli_print(cli, "  %-22s %llu bytes, %llu packets", "Downloaded (out):",
	    (unsigned long long)s->cout, (unsigned long long)s->pout);
	if (s->intercept)
		cli_print(cli, "  %-22s yes, to %s:%u", "Intercept:",
		    cli_ip_str(s->snoop_ip, a), s->snoop_port);
	else
		cli_print(cli, "  %-22s no", "Intercept:");
	cli_print(cli, "  %-22s %s (in %u, out %u kbit/s)", "Throttle:",
	    s->throttle ? "yes" : "no", s->rate_in, s->rate_out);
	cli_print(cli, "  %-22s %s", "Walled garden:",
	    s->walled_garden ? "yes" : "no");
}

static int
show_session_list(int json)
{
	char ip[INET_ADDRSTRLEN], lac[INET_ADDRSTRLEN], line[2048];
	struct session s;
	sid_t i;
	int n = 0;

	if (json)
		cli_print(cli, "{\"sessions\":[");
	else
		cli_print(cli, "%5s %4s %-32s %-15s %s %s %s %s %10s %10s %10s "
		    "%4s %-15s %s", "SID", "TID", "Username", "IP", "I", "T",
		    "G", "6", "opened", "downloaded", "uploaded", "idle", "LAC",
		    "CLI");
	for (i = 1; i <= tables->max_sessions; i++) {
		if (session_copy(i, &s) < 0)
			continue;
		if (json) {
			session_json(&s, i, line, sizeof(line));
			cli_print(cli, "%s%s", n ? "," : "", line);
		} else
			cli_print(cli, "%5u %4u %-32s %-15s %s %s %s %s %10ld "
			    "%10llu %10llu %4ld %-15s %s", i, s.tunnel,
			    s.user[0] ? s.user : "*", cli_ip_str(s.ip, ip),
			    flag_yn(s.intercept), flag_yn(s.throttle),
			    flag_yn(s.walled_garden), flag_yn(s.ipv6),
			    ago(s.opened),
			    (unsigned long long)s.cout,
			    (unsigned long long)s.cin, ago(s.last_packet),
			    lac_of(&s, lac), s.calling);
		n++;
	}
	if (json)
		cli_print(cli, "]}");
	else
		cli_print(cli, "%d session%s", n, n == 1 ? "" : "s");
	return CLI_OK;
}

static int
cmd_show_session(struct cli_def *c, const char *command, char **argv,
    int argc)
{
	static const char *const help[] = {
		"<1-N>", "one session in detail", "json", "as JSON",
		"<cr>", "all sessions, one per line", NULL };
	char line[2048];
	struct session s;
	uint32_t id = 0;
	int i, json = 0;

	(void)c;
	(void)command;
	if (wants_help(argv, argc))
		return help_lines(help);
	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "json") == 0)
			json = 1;
		else if (id != 0 || parse_u32(argv[i], &id) < 0 || id == 0) {
			cli_error(cli, "%% Bad session id \"%s\"", argv[i]);
			return CLI_ERROR;
		}
	}
	if (id == 0)
		return show_session_list(json);
	if (session_copy(id, &s) < 0) {
		cli_error(cli, "%% No session %u", id);
		return CLI_ERROR;
	}
	if (json) {
		session_json(&s, id, line, sizeof(line));
		cli_print(cli, "%s", line);
	} else
		session_detail(id, &s);
	return CLI_OK;
}

/* ---- show users, show user ---- */

static int
cmd_show_users(struct cli_def *c, const char *command, char **argv, int argc)
{
	char ip[INET_ADDRSTRLEN];
	struct session s;
	sid_t i;
	int n = 0;

	(void)c;
	(void)command;
	(void)argv;
	if (argc > 0) {
		cli_error(cli, "%% \"show users\" takes no argument; see "
		    "\"show user NAME\"");
		return CLI_ERROR;
	}
	cli_print(cli, "%-32s %5s %-15s %s", "Username", "SID", "IP", "CLI");
	for (i = 1; i <= tables->max_sessions; i++) {
		if (session_copy(i, &s) < 0 || s.user[0] == '\0')
			continue;
		cli_print(cli, "%-32s %5u %-15s %s", s.user, i,
		    cli_ip_str(s.ip, ip), s.calling);
		n++;
	}
	cli_print(cli, "%d user session%s (sessions that have not "
	    "authenticated are not listed)", n, n == 1 ? "" : "s");
	return CLI_OK;
}

static int
cmd_show_user(struct cli_def *c, const char *command, char **argv, int argc)
{
	static const char *const help[] = {
		"NAME", "the sessions of this user, in detail", NULL };
	struct session s;
	sid_t i;
	int n = 0;

	(void)c;
	(void)command;
	if (wants_help(argv, argc))
		return help_lines(help);
	if (argc != 1) {
		cli_error(cli, "%% Usage: show user NAME");
		return CLI_ERROR;
	}
	for (i = 1; i <= tables->max_sessions; i++) {
		if (session_copy(i, &s) < 0 || strcmp(s.user, argv[0]) != 0)
			continue;
		if (n++)
			cli_print(cli, "%s", "");
		session_detail(i, &s);
	}
	if (n == 0) {
		cli_error(cli, "%% No session for user %s", argv[0]);
		return CLI_ERROR;
	}
	return CLI_OK;
}

/* ---- show tunnel ---- */

static void
tunnel_json(const struct tunnel *t, tid_t tid, char *line, size_t len)
{
	char h[MAXHOST * 2 + 3], v[MAXHOST * 2 + 3], ip[INET_ADDRSTRLEN];

	snprintf(line, len, "{\"tid\":%u,\"hostname\":%s,\"ip\":\"%s\","
	    "\"port\":%u,\"state\":\"%s\",\"sessions\":%u,\"local_id\":%u,"
	    "\"peer_id\":%u,\"vendor\":%s,\"firmware\":%u,\"peer_rws\":%u,"
	    "\"opened\":%ld,\"idle\":%ld}", tid,
	    jstr(t->hostname, h, sizeof(h)),
	    cli_ip_str(t->peer.sin_addr.s_addr, ip), ntohs(t->peer.sin_port),
	    tunnel_state_name(t->state), t->sessions, t->local_id, t->far_id,
	    jstr(t->vendor, v, sizeof(v)), t->firmware, t->peer_rws,
	    ago(t->opened), ago(t->last_rx));
}

static void
tunnel_detail(tid_t tid, const struct tunnel *t)
{
	char a[INET_ADDRSTRLEN], t1[32], list[256];
	struct session s;
	size_t o = 0;
	sid_t i;
	int n = 0;

	cli_print(cli, "Tunnel %u", tid);
	cli_print(cli, "  %-22s %s", "State:", tunnel_state_name(t->state));
	cli_print(cli, "  %-22s %s", "Hostname:", t->hostname);
	cli_print(cli, "  %-22s %s:%u", "LAC address:",
	    cli_ip_str(t->peer.sin_addr.s_addr, a), ntohs(t->peer.sin_port));
	cli_print(cli, "  %-22s local %u, peer %u", "L2TP tunnel id:",
	    t->local_id, t->far_id);
	cli_print(cli, "  %-22s %s, firmware 0x%04x", "Vendor:",
	    t->vendor[0] ? t->vendor : "-", t->firmware);
	cli_print(cli, "  %-22s %u", "Peer receive window:", t->peer_rws);
	cli_print(cli, "  %-22s framing 0x%x, bearer 0x%x", "Capabilities:",
	    t->framing_cap, t->bearer_cap);
	if (t->have_tie_breaker)
		cli_print(cli, "  %-22s %02x%02x%02x%02x%02x%02x%02x%02x",
		    "Tie breaker:", t->tie_breaker[0], t->tie_breaker[1],
		    t->tie_breaker[2], t->tie_breaker[3], t->tie_breaker[4],
		    t->tie_breaker[5], t->tie_breaker[6], t->tie_breaker[7]);
	fmt_time(t->opened, t1, sizeof(t1));
	cli_print(cli, "  %-22s %s (%ld s ago)", "Opened:", t1, ago(t->opened));
	cli_print(cli, "  %-22s %ld s ago", "Last message:", ago(t->last_rx));
	list[0] = '\0';
	for (i = 1; i <= tables->max_sessions; i++) {
		if (session_copy(i, &s) < 0 || s.tunnel != tid)
			continue;
		n++;
		if (o + 16 < sizeof(list))
			o += (size_t)snprintf(list + o, sizeof(list) - o, " %u",
			    i);
		else if (o + 5 < sizeof(list) && list[o - 1] != '.')
			o += (size_t)snprintf(list + o, sizeof(list) - o,
			    " ...");
	}
	cli_print(cli, "  %-22s %u%s%s%s", "Sessions:", t->sessions,
	    n ? " (ids" : "", list, n ? ")" : "");
}

static int
cmd_show_tunnel(struct cli_def *c, const char *command, char **argv, int argc)
{
	static const char *const help[] = {
		"<1-N>", "one tunnel in detail", "json", "as JSON",
		"<cr>", "all tunnels, one per line", NULL };
	char ip[INET_ADDRSTRLEN], line[1024];
	struct tunnel t;
	uint32_t id = 0;
	tid_t i;
	int k, n = 0, json = 0;

	(void)c;
	(void)command;
	if (wants_help(argv, argc))
		return help_lines(help);
	for (k = 0; k < argc; k++) {
		if (strcmp(argv[k], "json") == 0)
			json = 1;
		else if (id != 0 || parse_u32(argv[k], &id) < 0 || id == 0) {
			cli_error(cli, "%% Bad tunnel id \"%s\"", argv[k]);
			return CLI_ERROR;
		}
	}
	if (id != 0) {
		if (tunnel_copy(id, &t) < 0) {
			cli_error(cli, "%% No tunnel %u", id);
			return CLI_ERROR;
		}
		if (json) {
			tunnel_json(&t, id, line, sizeof(line));
			cli_print(cli, "%s", line);
		} else
			tunnel_detail(id, &t);
		return CLI_OK;
	}
	if (json)
		cli_print(cli, "{\"tunnels\":[");
	else
		cli_print(cli, "%4s %-32s %-15s %-8s %8s", "TID", "Hostname",
		    "IP", "State", "Sessions");
	for (i = 1; i <= tables->max_tunnels; i++) {
		if (tunnel_copy(i, &t) < 0)
			continue;
		if (json) {
			tunnel_json(&t, i, line, sizeof(line));
			cli_print(cli, "%s%s", n ? "," : "", line);
		} else
			cli_print(cli, "%4u %-32s %-15s %-8s %8u", i,
			    t.hostname, cli_ip_str(t.peer.sin_addr.s_addr, ip),
			    tunnel_state_name(t.state), t.sessions);
		n++;
	}
	if (json)
		cli_print(cli, "]}");
	else
		cli_print(cli, "%d tunnel%s", n, n == 1 ? "" : "s");
	return CLI_OK;
}

/* ---- show pool ---- */

/*
 * The pool lives in shared memory (pool.c).  An address not in use that
 * has had a user stays that user's until it comes round again in the free
 * FIFO: the manual's "[user] Ns" lines.
 */
static int
cmd_show_pool(struct cli_def *c, const char *command, char **argv, int argc)
{
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN], who_s[MAXUSER + 32];
	struct pool_addr pa;
	uint32_t i, n;
	int k, used = 0, kept = 0;

	(void)c;
	(void)command;
	(void)argv;
	(void)argc;
	n = ippool ? ippool->n : 0;
	cli_print(cli, "%-15s %4s %7s %s", "IP Address", "Used", "Session",
	    "User");
	for (i = 0; i < n; i++) {
		memcpy(&pa, &ippool->a[i], sizeof(pa));
		clean(pa.user, sizeof(pa.user));
		if (pa.sid != 0) {
			cli_print(cli, "%-15s %4s %7u %s", cli_ip_str(pa.ip, a),
			    "Y", pa.sid, pa.user[0] ? pa.user : "*");
			used++;
		} else if (pa.user[0]) {
			snprintf(who_s, sizeof(who_s), "[%s] %lds", pa.user,
			    ago(pa.released));
			cli_print(cli, "%-15s %4s %7s %s", cli_ip_str(pa.ip, a),
			    "N", "", who_s);
			kept++;
		}
	}
	cli_print(cli, "%u address%s, %d in use, %d free with a previous "
	    "user, %u never used", n, n == 1 ? "" : "es", used, kept,
	    n - (uint32_t)used - (uint32_t)kept);
	for (k = 0; k < cli_pool->n; k++)
		cli_print(cli, "Range %s - %s",
		    cli_ip_str(htonl(cli_pool->range[k].first), a),
		    cli_ip_str(htonl(cli_pool->range[k].last), b));
	return CLI_OK;
}

/* ---- show counters ---- */

/*
 * Every field of struct counters (l2tpns.h), in groups.  A field added
 * there needs its row here: test_cli.py compares the two.
 */
struct counter_row {
	const char	*key;		/* NULL: a group heading */
	size_t		 off;
	const char	*label;
};
#define CTR(f, label)	{ #f, offsetof(struct counters, f), label }
#define GROUP(label)	{ NULL, 0, label }

static const struct counter_row counter_rows[] = {
	GROUP("Main loop"),
	CTR(loops, "loop turns"),
	CTR(events, "fd events"),
	CTR(timers_fired, "timers fired"),
	CTR(multi_read_used, "reads of more than one packet"),
	CTR(multi_read_exceeded, "reads that hit multi_read_count"),
	GROUP("TUN device"),
	CTR(tun_rx_packets, "packets read"),
	CTR(tun_rx_bytes, "bytes read"),
	CTR(tun_rx_errors, "read errors"),
	CTR(tun_rx_no_session, "packets for no session"),
	CTR(tun_tx_packets, "packets written"),
	CTR(tun_tx_bytes, "bytes written"),
	CTR(tun_tx_errors, "write errors"),
	GROUP("Configuration"),
	CTR(config_reloads, "reloads"),
	CTR(config_reload_errors, "reloads with errors"),
	GROUP("L2TP"),
	CTR(l2tp_rx_packets, "datagrams received"),
	CTR(l2tp_ctrl_rx, "control messages received"),
	CTR(l2tp_ctrl_tx, "control messages sent"),
	CTR(l2tp_tx_errors, "send errors"),
	CTR(l2tp_zlb_rx, "ZLB acks received"),
	CTR(l2tp_zlb_tx, "ZLB acks sent"),
	CTR(l2tp_data_rx, "data messages received"),
	CTR(l2tp_data_tx, "data messages sent"),
	CTR(l2tp_tx_batches, "sendmmsg calls for data messages"),
	CTR(l2tp_retransmits, "retransmissions"),
	CTR(l2tp_rtx_timeouts, "retransmission give-ups"),
	CTR(l2tp_out_of_order, "out-of-order messages"),
	CTR(l2tp_dead_peers, "dead peers"),
	CTR(l2tp_auth_failures, "tunnel authentication failures"),
	CTR(l2tp_setup_timeouts, "setup timeouts (no SCCCN/ICCN)"),
	CTR(l2tp_id_exhausted, "no free tunnel/session id"),
	CTR(l2tp_admission_refused, "SCCRQs over the admission limits"),
	CTR(l2tp_sendq_overflows, "send queue overflows"),
	CTR(l2tp_ooo_overflows, "out-of-order memory overflows"),
	GROUP("PPP"),
	CTR(ppp_rx_frames, "frames received"),
	CTR(ppp_tx_frames, "frames sent"),
	CTR(ppp_bad_frames, "bad frames"),
	CTR(ppp_proto_rejects_tx, "Protocol-Rejects sent"),
	CTR(ppp_proto_rejects_rx, "Protocol-Rejects received"),
	CTR(ppp_discarded, "frames before their phase"),
	CTR(ppp_auth_ok, "authentications accepted"),
	CTR(ppp_auth_failed, "authentications refused"),
	CTR(ppp_echo_timeouts, "LCP echo timeouts"),
	CTR(auth_bad_username, "usernames refused: control characters"),
	CTR(ppp_lcp_up, "LCP opened"),
	CTR(ppp_ipcp_up, "IPCP opened"),
	CTR(ppp_ipv6cp_up, "IPV6CP opened"),
	CTR(ipv6_ra_sent, "IPv6 Router Advertisements sent"),
	CTR(ipv6_rs_received, "IPv6 Router Solicitations received"),
	CTR(ip_spoofed, "packets from a foreign source"),
	CTR(ip_no_pool_address, "sessions without a pool address"),
	CTR(tcp_mss_clamped, "TCP SYNs with their MSS clamped"),
	CTR(icmp_sent, "ICMP errors sent"),
	CTR(icmp_rate_limited, "ICMP unreachables held back (icmp_rate)"),
	CTR(packet_limit_drops, "packets dropped by packet_limit"),
	CTR(ipv6_garden_drops, "IPv6 packets of gardened sessions dropped"),
	CTR(ip_fragmented, "packets fragmented for a session"),
	CTR(acl_denied_in, "packets from subscribers denied by a filter"),
	CTR(acl_denied_out, "packets to subscribers denied by a filter"),
	CTR(tbf_delayed, "throttled packets queued for later"),
	CTR(tbf_dropped, "throttled packets dropped (queue full)"),
	CTR(tbf_no_bucket, "packets not throttled: no token bucket free"),
	CTR(packets_snooped, "intercepted packets copied"),
	CTR(snoop_errors, "intercepted packets that could not be sent"),
	CTR(ip_too_big, "packets too big with DF (ICMP sent)"),
	CTR(arp_sent, "gratuitous ARPs sent (send_garp)"),
	CTR(acctfile_errors, "usage files that could not be written"),
	CTR(acctfile_lost, "ended sessions whose usage was lost"),
	CTR(route_refused, "session routes refused: the host's own"),
	CTR(cli_accept_errors, "CLI connections not accepted (EMFILE...)"),
	GROUP("Tunnels and sessions"),
	CTR(tunnels_created, "tunnels created"),
	CTR(tunnels_cleared, "tunnels cleared"),
	CTR(sessions_created, "sessions created"),
	CTR(sessions_cleared, "sessions cleared"),
	GROUP("nsctl control protocol"),
	CTR(ctl_rx, "requests received"),
	CTR(ctl_tx, "replies sent"),
	CTR(ctl_tx_errors, "send errors"),
	CTR(ctl_denied, "requests from outside nsctl_allow"),
	CTR(ctl_malformed, "malformed requests"),
	CTR(ctl_retries, "retried requests answered again"),
	GROUP("RADIUS"),
	CTR(radius_auth_tx, "authentication requests sent"),
	CTR(radius_acct_tx, "accounting requests sent"),
	CTR(radius_retransmits, "retransmissions"),
	CTR(radius_failovers, "moves to the next server"),
	CTR(radius_timeouts, "requests given up"),
	CTR(radius_accepts, "Access-Accepts"),
	CTR(radius_rejects, "Access-Rejects"),
	CTR(radius_acct_acks, "Accounting-Responses"),
	CTR(radius_overflow, "no free identifier"),
	CTR(radius_bad_source, "replies from an unknown address"),
	CTR(radius_bad_auth, "replies failing authentication"),
	CTR(radius_no_msgauth, "Access replies without Message-Authenticator"),
	CTR(radius_stop_queued, "Acct-Stops queued for an identifier"),
	CTR(radius_stop_lost, "Acct-Stops lost: that queue was full"),
	CTR(radius_malformed, "malformed replies"),
	CTR(radius_unexpected, "replies no request waits for"),
	GROUP("RADIUS Disconnect and CoA (DAE)"),
	CTR(dae_rx, "requests received"),
	CTR(dae_bad_source, "requests from an unknown address"),
	CTR(dae_bad_auth, "requests failing authentication"),
	CTR(dae_malformed, "malformed requests"),
	CTR(dae_disconnects, "Disconnect-Requests done"),
	CTR(dae_coas, "CoA-Requests done"),
	CTR(dae_naks, "requests refused (NAK)"),
	CTR(dae_duplicates, "duplicate requests"),
	CTR(dae_stale, "requests with a missing or old Event-Timestamp"),
};

static uint64_t
counter_at(const struct counters *c, size_t off)
{
	uint64_t v;

	memcpy(&v, (const char *)c + off, sizeof(v));
	return v;
}

static int
show_counters_json(const struct counters *c)
{
	static struct out o;
	size_t i;
	int k, n;

	o.len = 0;
	o.truncated = 0;
	cli_out_printf(&o, "{");
	for (i = 0; i < sizeof(counter_rows) / sizeof(counter_rows[0]); i++)
		if (counter_rows[i].key != NULL)
			cli_out_printf(&o, "\"%s\":%llu,", counter_rows[i].key,
			    (unsigned long long)counter_at(c,
			    counter_rows[i].off));
	cli_out_printf(&o, "\"l2tp_ctrl_rx_type\":{");
	for (k = 1, n = 0; k <= M_MAX; k++) {
		if (strcmp(l2tp_msg_name(k), "unknown") == 0)
			continue;	/* types 5 and 13 are not assigned */
		cli_out_printf(&o, "%s\"%s\":%llu", n++ ? "," : "",
		    l2tp_msg_name(k),
		    (unsigned long long)c->l2tp_ctrl_rx_type[k]);
	}
	cli_out_printf(&o, "},\"l2tp_drops\":{");
	for (k = 0; k < 16 && l2tp_drop_name(k) != NULL; k++)
		cli_out_printf(&o, "%s\"%s\":%llu", k ? "," : "", l2tp_drop_name(k),
		    (unsigned long long)c->l2tp_drops[k]);
	cli_out_printf(&o, "},\"ctl_drops\":{");
	for (k = 1; k <= CTL_E_MAX && k <= 8; k++)
		cli_out_printf(&o, "%s\"%s\":%llu", k > 1 ? "," : "",
		    ctl_err_name(k), (unsigned long long)c->ctl_drops[k - 1]);
	cli_out_printf(&o, "},\"tunnels\":%u,\"sessions\":%u}",
	    tables->tunnels_used, tables->sessions_used);
	if (o.truncated) {
		cli_error(cli, "%% output truncated");
		return CLI_ERROR;
	}
	cli_print(cli, "%s", o.buf);
	return CLI_OK;
}

static int
cmd_show_counters(struct cli_def *c, const char *command, char **argv,
    int argc)
{
	static const char *const help[] = {
		"json", "as JSON", "<cr>", "grouped, with names", NULL };
	struct counters cs;
	size_t i;
	int k;

	(void)c;
	(void)command;
	if (wants_help(argv, argc))
		return help_lines(help);
	memcpy(&cs, stats, sizeof(cs));
	if (argc == 1 && strcmp(argv[0], "json") == 0)
		return show_counters_json(&cs);
	if (argc > 0) {
		cli_error(cli, "%% Bad argument \"%s\": expected json",
		    argv[0]);
		return CLI_ERROR;
	}
	for (i = 0; i < sizeof(counter_rows) / sizeof(counter_rows[0]); i++) {
		if (counter_rows[i].key == NULL) {
			cli_print(cli, "%s%s:", i ? "\n" : "",
			    counter_rows[i].label);
			continue;
		}
		cli_print(cli, "  %-34s %20llu", counter_rows[i].label,
		    (unsigned long long)counter_at(&cs, counter_rows[i].off));
	}
	cli_print(cli, "\nL2TP control messages received, by type:");
	for (k = 1; k <= M_MAX; k++)
		if (strcmp(l2tp_msg_name(k), "unknown") != 0)
			cli_print(cli, "  %-34s %20llu", l2tp_msg_name(k),
			    (unsigned long long)cs.l2tp_ctrl_rx_type[k]);
	cli_print(cli, "\nL2TP datagrams dropped, by reason:");
	for (k = 0; k < 16 && l2tp_drop_name(k) != NULL; k++)
		cli_print(cli, "  %-34s %20llu", l2tp_drop_name(k),
		    (unsigned long long)cs.l2tp_drops[k]);
	cli_print(cli, "\nnsctl requests dropped, by reason:");
	for (k = 1; k <= CTL_E_MAX && k <= 8; k++)
		cli_print(cli, "  %-34s %20llu", ctl_err_name(k),
		    (unsigned long long)cs.ctl_drops[k - 1]);
	cli_print(cli, "\nNow: %u tunnels, %u sessions", tables->tunnels_used,
	    tables->sessions_used);
	return CLI_OK;
}

/* ---- show version, uptime ---- */

static int
cmd_show_version(struct cli_def *c, const char *command, char **argv,
    int argc)
{
	char t[32];

	(void)c;
	(void)command;
	(void)argv;
	(void)argc;
	fmt_time(cli_started, t, sizeof(t));
	cli_print(cli, "l2tpns %s", L2TPNS_VERSION);
	cli_print(cli, "  libcli %d.%d.%d, built %s %s", LIBCLI_VERSION_MAJOR,
	    LIBCLI_VERISON_MINOR, LIBCLI_VERISON_REVISION, __DATE__, __TIME__);
	cli_print(cli, "  configuration %s", cli_cfg_path);
	cli_print(cli, "  started %s, pid %d", t, (int)cli_daemon_pid);
	cli_print(cli, "  tables: %u sessions, %u tunnels",
	    tables->max_sessions, tables->max_tunnels);
	return CLI_OK;
}

static int
cmd_uptime(struct cli_def *c, const char *command, char **argv, int argc)
{
	char now_s[16], up[48];
	struct cli_rates r;
	double load[3] = { 0, 0, 0 };
	struct tm tm;
	time_t now = time(NULL);
	long secs = ago(cli_started), days = secs / 86400;
	size_t o = 0;

	(void)c;
	(void)command;
	(void)argv;
	(void)argc;
	localtime_r(&now, &tm);
	strftime(now_s, sizeof(now_s), "%H:%M:%S", &tm);
	if (days > 0)
		o += (size_t)snprintf(up, sizeof(up), "%ld day%s, ", days,
		    days == 1 ? "" : "s");
	if (secs % 86400 >= 3600)
		snprintf(up + o, sizeof(up) - o, "%ld:%02ld",
		    secs % 86400 / 3600, secs % 3600 / 60);
	else
		snprintf(up + o, sizeof(up) - o, "%ld min", secs % 3600 / 60);
	if (getloadavg(load, 3) < 0)
		load[0] = load[1] = load[2] = 0;
	memcpy(&r, cli_rates, sizeof(r));
	cli_print(cli, "%s up %s, %u users, load average: %.2f, %.2f, %.2f",
	    now_s, up, tables->sessions_used, load[0], load[1], load[2]);
	cli_print(cli, "Bandwidth: UDP-ETH:%.0f/%.0f  ETH-UDP:%.0f/%.0f  "
	    "TOTAL:%.1f   IN:%llu OUT:%llu", r.udp_eth, r.udp_eth_peak,
	    r.eth_udp, r.eth_udp_peak, r.udp_eth + r.eth_udp,
	    (unsigned long long)r.in_pps, (unsigned long long)r.out_pps);
	return CLI_OK;
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

/* drop session|tunnel ID [reason TEXT...] */
static int
drop(int op, const char *what, char **argv, int argc)
{
	struct cli_req rq;
	size_t o = 0;
	uint32_t id;
	int i;

	if (wants_help(argv, argc)) {
		cli_error(cli, "  %-20s the %s to close", "<1-N>", what);
		cli_error(cli, "  %-20s %s", "reason TEXT",
		    "why, for the log and the LAC");
		return CLI_OK;
	}
	if (argc < 1 || (argc > 1 && (strcmp(argv[1], "reason") != 0 ||
	    argc < 3))) {
		cli_error(cli, "%% Usage: drop %s ID [reason TEXT]", what);
		return CLI_ERROR;
	}
	if (parse_u32(argv[0], &id) < 0 || id == 0) {
		cli_error(cli, "%% Bad %s id \"%s\"", what, argv[0]);
		return CLI_ERROR;
	}
	memset(&rq, 0, sizeof(rq));
	rq.op = (uint32_t)op;
	rq.id = id;
	for (i = 2; i < argc && o < sizeof(rq.text); i++)
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

/*
 * write memory: the daemon hands over the running configuration (with
 * secrets); the child writes it, so that the disk is never waited on in
 * the packet loop.  Written to a temporary file, synced and renamed over
 * the startup-config, so a crash leaves the old file or the new one.
 */
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
				    " (needs a restart)" : "");
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
	    "Sessions: all, or one in detail (show session [ID] [json])" },
	{ "show users", cmd_show_users, UNPRIV, MODE_EXEC,
	    "Users of connected sessions" },
	{ "show user", cmd_show_user, UNPRIV, MODE_EXEC,
	    "The sessions of one user, in detail" },
	{ "show tunnel", cmd_show_tunnel, UNPRIV, MODE_EXEC,
	    "Tunnels: all, or one in detail (show tunnel [ID] [json])" },
	{ "show pool", cmd_show_pool, UNPRIV, MODE_EXEC,
	    "The address pool and the addresses in use" },
	{ "show radius", cmd_show_radius, UNPRIV, MODE_EXEC,
	    "RADIUS servers and requests in flight (show radius [json])" },
	{ "show running-config", cmd_show_running_config, UNPRIV, MODE_EXEC,
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
	    "Close a session: drop session ID [reason TEXT]" },
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
	link_fd = link;
	setsockopt(link_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
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
	if ((cli = cli_init()) == NULL)
		_exit(1);
	cli_unregister_command(cli, "enable");
	if (register_commands() < 0) {
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
	cli_loop(cli, sock);
	cli_done(cli);
	_exit(0);
}
