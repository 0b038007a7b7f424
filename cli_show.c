/*
 * cli_show.c - the CLI child's views of running state that it prints
 * itself, from copies of the shared session and tunnel tables, the
 * counters and the pool: show session (list, detail, quality, events,
 * JSON), users, user, throttle, tunnel, pool, counters, version and
 * uptime.  Views of the running configuration are requests to the
 * daemon and stay in cli_child.c with the command table.
 *
 * State owned: none.  Exports (cli_child.h): the cmd_show_* functions
 * for cli_child.c's cli_commands[], and session_copy().
 */
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <libcli.h>

#include "l2tpns.h"
#include "acl.h"
#include "cqm.h"
#include "evring.h"
#include "event.h"
#include "control.h"
#include "l2tp.h"
#include "log.h"
#include "tbf.h"
#include "cli.h"
#include "cli_child.h"

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

/* Copy a table entry so the loop can change the original meanwhile. */
int
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
	    "\"idle_timeout\":%u,\"idle_timeout_left\":%ld,"
	    "\"relay\":%u,\"relay_out\":%s,\"bundle\":%u,\"client\":%s}",
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
	    time_left(s->idle_timeout, s->last_packet), s->relay,
	    s->relay_out ? "true" : "false", s->bundle,
	    s->client ? "true" : "false");
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
	if (s->bundle == sid)
		cli_print(cli, "  %-22s master of a bundle", "Multilink:");
	else if (s->bundle)
		cli_print(cli, "  %-22s link of the bundle of session %u",
		    "Multilink:", s->bundle);
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
		cli_print(cli, "%5s %4s %-32s %-15s %s %s %s %s %s %10s %10s "
		    "%10s %4s %-15s %s", "SID", "TID", "Username", "IP", "I",
		    "T", "G", "6", "R", "opened", "downloaded", "uploaded", "idle", "LAC",
		    "CLI");
	for (i = 1; i <= tables->max_sessions; i++) {
		if (session_copy(i, &s) < 0)
			continue;
		if (json) {
			session_json(&s, i, line, sizeof(line));
			cli_print(cli, "%s%s", n ? "," : "", line);
		} else
			cli_print(cli, "%5u %4u %-32s %-15s %s %s %s %s %s %10ld "
			    "%10llu %10llu %4ld %-15s %s", i, s.tunnel,
			    s.user[0] ? s.user : "*", cli_ip_str(s.ip, ip),
			    flag_yn(s.intercept), flag_yn(s.throttle),
			    flag_yn(s.walled_garden), flag_yn(s.ipv6),
			    s.client ? "C" : s.relay ? "R" : "-",
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

static void
print_line(void *arg, const char *text)
{
	(void)arg;
	cli_print(cli, "%s", text);
}

/* show session ID events [json]: the slot's event ring, oldest first. */
static int
show_events(sid_t id, int json)
{
	struct sev ev[EVRING_SIZE];
	const struct session *sp = session_get(id);
	char tm[32], text[EVRING_TEXT * 2], user[MAXUSER];
	int i, nev, n = 0;

	if ((nev = evring_read(id, user, sizeof(user), ev)) <= 0) {
		cli_error(cli, "%% No events for session %u", id);
		return CLI_ERROR;
	}
	clean(user, sizeof(user));
	if (json)
		cli_print(cli, "{\"sid\":%u,\"user\":\"%s\",\"ended\":%s,"
		    "\"events\":[", id, user, sp == NULL ||
		    sp->state == SESSION_FREE ? "true" : "false");
	else
		cli_print(cli, "Events of session %u (%s)%s:\n%-23s %-20s %-7s "
		    "%-5s %s", id, user[0] ? user : "*", sp == NULL ||
		    sp->state == SESSION_FREE ? ", ended" : "", "Time (UTC)",
		    "Event", "Actor", "Cause", "Detail");
	for (i = 0; i < nev; i++) {
		struct sev *e = &ev[i];
		time_t t = (time_t)e->t_s;
		struct tm g;
		size_t k, o = 0;

		clean(e->text, sizeof(e->text));
		gmtime_r(&t, &g);
		strftime(tm, sizeof(tm), "%Y-%m-%d %H:%M:%S", &g);
		if (!json) {
			char cs[8];

			snprintf(cs, sizeof(cs), "%u", e->cause);
			cli_print(cli, "%s.%03u %-20s %-7s %-5s %s", tm, e->t_ms,
			    sev_type_name(e->type), sev_actor_name(e->actor),
			    e->cause ? cs : "-", e->text);
			continue;
		}
		for (k = 0; e->text[k] && o + 2 < sizeof(text); k++) {
			if (e->text[k] == '"' || e->text[k] == '\\')
				text[o++] = '\\';
			text[o++] = e->text[k];
		}
		text[o] = '\0';
		cli_print(cli, "%s{\"time\":%u.%03u,\"event\":\"%s\",\"actor\":"
		    "\"%s\",\"cause\":%u,\"text\":\"%s\"}", n++ ? "," : "",
		    e->t_s, e->t_ms, sev_type_name(e->type),
		    sev_actor_name(e->actor), e->cause, text);
	}
	if (json)
		cli_print(cli, "]}");
	return CLI_OK;
}

/* show session ID quality [json|csv]: the login's CQM buckets. */
static int
show_quality(const struct session *s, int json, int csv)
{
	const struct cqm_login *l = cqm_find(s->user);

	if (l == NULL) {
		cli_error(cli, "%% No call quality recorded for \"%s\"%s",
		    s->user[0] ? s->user : "*", config->quality_max_logins ?
		    "" : " (quality_max_logins is 0)");
		return CLI_ERROR;
	}
	if (!json && !csv)
		cli_print(cli, "Call quality of \"%s\": LCP echoes in %d-second "
		    "buckets, last 24 hours", l->user, CQM_BUCKET_S);
	cqm_format(l, time(NULL), json ? CQM_JSON : csv ? CQM_CSV : CQM_TEXT,
	    print_line, NULL);
	return CLI_OK;
}

int
cmd_show_session(struct cli_def *c, const char *command, char **argv,
    int argc)
{
	static const char *const help[] = {
		"<1-N>", "one session in detail", "json", "as JSON",
		"<1-N> quality [json|csv]", "its login's call quality (24 h)",
		"<1-N> events [json]", "what happened to it, oldest first",
		"<cr>", "all sessions, one per line", NULL };
	char line[2048];
	struct session s;
	uint32_t id = 0;
	int i, json = 0, quality = 0, csv = 0, events = 0;

	(void)c;
	(void)command;
	if (wants_help(argv, argc))
		return help_lines(help);
	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "json") == 0)
			json = 1;
		else if (strcmp(argv[i], "csv") == 0 && quality)
			csv = 1;
		else if (strcmp(argv[i], "quality") == 0 && id != 0)
			quality = 1;
		else if (strcmp(argv[i], "events") == 0 && id != 0)
			events = 1;
		else if (id != 0 || parse_u32(argv[i], &id) < 0 || id == 0) {
			cli_error(cli, "%% Bad session id \"%s\"", argv[i]);
			return CLI_ERROR;
		}
	}
	if (id == 0)
		return show_session_list(json);
	if (events)	/* also of an ended session, until its slot is reused */
		return show_events(id, json);
	if (session_copy(id, &s) < 0) {
		cli_error(cli, "%% No session %u", id);
		return CLI_ERROR;
	}
	if (quality)
		return show_quality(&s, json, csv);
	if (json) {
		session_json(&s, id, line, sizeof(line));
		cli_print(cli, "%s", line);
	} else
		session_detail(id, &s);
	return CLI_OK;
}

/* ---- show users, show user ---- */

int
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

int
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

/* show throttle: the throttled sessions and their rates (2.x). */
int
cmd_show_throttle(struct cli_def *c, const char *command, char **argv,
    int argc)
{
	struct session s;
	sid_t i;
	int n = 0;

	(void)c;
	(void)command;
	(void)argv;
	if (argc > 0) {
		cli_error(cli, "%% \"show throttle\" takes no argument");
		return CLI_ERROR;
	}
	cli_print(cli, "%5s %4s %-32s %10s %10s", "SID", "TID", "Username",
	    "Rate-In", "Rate-Out");
	for (i = 1; i <= tables->max_sessions; i++) {
		if (session_copy(i, &s) < 0 || (!s.rate_in && !s.rate_out))
			continue;
		cli_print(cli, "%5u %4u %-32s %10u %10u", i, s.tunnel,
		    s.user[0] ? s.user : "*", s.rate_in, s.rate_out);
		n++;
	}
	cli_print(cli, "%d throttled session%s (kbit/s, 0 = not throttled "
	    "that way)", n, n == 1 ? "" : "s");
	return CLI_OK;
}

/*
 * show ipcache (2.x): the destination index, IPv4 address or route to
 * session, the table the downstream path looks packets up in; sorted
 * by address.
 */
struct ipc_ent {
	uint32_t	net;		/* host order, for sorting */
	int		plen;
	sid_t		sid;
};

struct ipc_list {
	struct ipc_ent	*e;
	size_t		 n, cap;
};

static void
ipc_add(in_addr_t net, int plen, sid_t s, void *arg)
{
	struct ipc_list *l = arg;
	struct ipc_ent *e;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 256;

		if ((e = realloc(l->e, cap * sizeof(*e))) == NULL)
			return;
		l->e = e;
		l->cap = cap;
	}
	l->e[l->n].net = ntohl(net);
	l->e[l->n].plen = plen;
	l->e[l->n].sid = s;
	l->n++;
}

static int
ipc_cmp(const void *a, const void *b)
{
	const struct ipc_ent *x = a, *y = b;

	if (x->net != y->net)
		return x->net < y->net ? -1 : 1;
	return x->plen - y->plen;
}

int
cmd_show_ipcache(struct cli_def *c, const char *command, char **argv,
    int argc)
{
	struct ipc_list l = { NULL, 0, 0 };
	struct session s;
	char ip[INET_ADDRSTRLEN], pfx[INET_ADDRSTRLEN + 4];
	size_t i;

	(void)c;
	(void)command;
	(void)argv;
	if (argc > 0) {
		cli_error(cli, "%% \"show ipcache\" takes no argument");
		return CLI_ERROR;
	}
	session_ip_walk(ipc_add, &l);
	if (l.n > 1)
		qsort(l.e, l.n, sizeof(*l.e), ipc_cmp);
	cli_print(cli, "%5s %-18s %s", "Sess#", "IP Address", "User");
	for (i = 0; i < l.n; i++) {
		in_addr_t a = htonl(l.e[i].net);

		cli_ip_str(a, ip);
		if (l.e[i].plen == 32)
			snprintf(pfx, sizeof(pfx), "%s", ip);
		else
			snprintf(pfx, sizeof(pfx), "%s/%d", ip, l.e[i].plen);
		cli_print(cli, "%5u %-18s %s", l.e[i].sid, pfx,
		    session_copy(l.e[i].sid, &s) == 0 && s.user[0] ? s.user :
		    "*");
	}
	cli_print(cli, "%zu entr%s", l.n, l.n == 1 ? "y" : "ies");
	free(l.e);
	return CLI_OK;
}

/*
 * show histogram idle|open (2.x): the sessions by idle time (since their
 * last packet, 5 s buckets up to 5 minutes) or by age (since they were
 * opened, power-of-two buckets), each bucket with its share.
 */
#define HIST_IDLE_STEP	5
#define HIST_IDLE_N	60		/* 0-4 s ... 295-299 s, then more */
#define HIST_OPEN_N	31		/* < 1 s, < 2 s, ... < 2^30 s */

int
cmd_show_histogram(struct cli_def *c, const char *command, char **argv,
    int argc)
{
	uint32_t count[HIST_IDLE_N + 1 > HIST_OPEN_N ? HIST_IDLE_N + 1 :
	    HIST_OPEN_N];
	uint32_t i, total = 0, nb;
	struct session s;
	time_t now = time(NULL);
	int idle, k;

	(void)c;
	(void)command;
	if (argc != 1 || (strcmp(argv[0], "idle") != 0 &&
	    strcmp(argv[0], "open") != 0)) {
		cli_error(cli, "%% \"show histogram\" takes idle or open");
		return CLI_ERROR;
	}
	idle = strcmp(argv[0], "idle") == 0;
	nb = idle ? HIST_IDLE_N + 1 : HIST_OPEN_N;
	memset(count, 0, sizeof(count));
	for (i = 1; i <= tables->max_sessions && i <= tables_session_hwm();
	    i++) {
		time_t t, age;

		if (session_copy(i, &s) < 0 || s.state == SESSION_FREE)
			continue;
		t = idle ? (s.last_packet ? s.last_packet : s.opened) : s.opened;
		age = now > t ? now - t : 0;
		if (idle)
			k = age / HIST_IDLE_STEP < HIST_IDLE_N ?
			    (int)(age / HIST_IDLE_STEP) : HIST_IDLE_N;
		else
			for (k = 0; k < HIST_OPEN_N - 1 &&
			    age >= ((time_t)1 << k); k++)
				;
		count[k]++;
		total++;
	}
	cli_print(cli, "%s", idle ? "Idle time (since the last packet)" :
	    "Session age (since it was opened)");
	for (i = 0; i < nb; i++) {
		char label[32];

		if (count[i] == 0)
			continue;
		if (idle && i == HIST_IDLE_N)
			snprintf(label, sizeof(label), "%d s or more",
			    HIST_IDLE_N * HIST_IDLE_STEP);
		else if (idle)
			snprintf(label, sizeof(label), "%u-%u s",
			    i * HIST_IDLE_STEP, i * HIST_IDLE_STEP +
			    HIST_IDLE_STEP - 1);
		else
			snprintf(label, sizeof(label), "< %llu s",
			    1ULL << i);
		cli_print(cli, "%16s: %6u %5.1f%%", label, count[i],
		    100.0 * count[i] / total);
	}
	cli_print(cli, "%u session%s", total, total == 1 ? "" : "s");
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
	    "\"opened\":%ld,\"idle\":%ld,\"outgoing\":%s}", tid,
	    jstr(t->hostname, h, sizeof(h)),
	    cli_ip_str(t->peer.sin_addr.s_addr, ip), ntohs(t->peer.sin_port),
	    tunnel_state_name(t->state), t->sessions, t->local_id, t->far_id,
	    jstr(t->vendor, v, sizeof(v)), t->firmware, t->peer_rws,
	    ago(t->opened), ago(t->last_rx), t->lac ? "true" : "false");
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
	cli_print(cli, "  %-22s %s", "Direction:", t->lac == 2 ? "outgoing "
	    "(we are the LAC: outgoing L2TP, our PPP client)" : t->lac ?
	    "outgoing (we are the LAC: relay)" : "incoming (we are the LNS)");
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

int
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
		cli_print(cli, "%4s %-32s %-15s %-8s %8s %s", "TID", "Hostname",
		    "IP", "State", "Sessions", "Dir");
	for (i = 1; i <= tables->max_tunnels; i++) {
		if (tunnel_copy(i, &t) < 0)
			continue;
		if (json) {
			tunnel_json(&t, i, line, sizeof(line));
			cli_print(cli, "%s%s", n ? "," : "", line);
		} else
			cli_print(cli, "%4u %-32s %-15s %-8s %8u %s", i,
			    t.hostname, cli_ip_str(t.peer.sin_addr.s_addr, ip),
			    tunnel_state_name(t.state), t.sessions,
			    t.lac ? "out" : "in");
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
int
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
	GROUP("Forwarding and call quality"),
	CTR(fwd_up_packets, "packets forwarded upstream"),
	CTR(fwd_up_bytes, "bytes forwarded upstream"),
	CTR(fwd_down_packets, "packets forwarded downstream"),
	CTR(fwd_down_bytes, "bytes forwarded downstream"),
	CTR(lcp_echo_sent, "LCP Echo-Requests sent"),
	CTR(lcp_echo_replies, "LCP Echo-Replies matched"),
	GROUP("Tunnels and sessions"),
	CTR(tunnels_created, "tunnels created"),
	CTR(tunnels_cleared, "tunnels cleared"),
	CTR(sessions_created, "sessions created"),
	CTR(sessions_cleared, "sessions cleared"),
	CTR(relay_started, "relays started"),
	CTR(relay_up, "relays switched to the far LNS"),
	CTR(relay_failed, "relays with no LNS answering"),
	CTR(relay_packets, "data messages relayed"),
	CTR(outgoing_attempts, "outgoing L2TP: attempts"),
	CTR(outgoing_up, "outgoing L2TP: sessions up"),
	CTR(outgoing_failures, "outgoing L2TP: failures"),
	CTR(outgoing_auth_failures, "outgoing L2TP: authentication refused"),
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
	CTR(radius_queued, "requests queued behind radius_window"),
	CTR(radius_window_full, "requests finding the window full"),
	CTR(radius_queue_full, "requests refused: window queue full"),
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
	GROUP("Data plane offloads"),
	CTR(dp_syscalls, "data-path system calls (TUN, L2TP data)"),
	CTR(tun_gso_rx, "TUN super-segments read"),
	CTR(tun_gso_segments, "packets cut from them"),
	CTR(tun_gso_bad, "malformed offload packets dropped"),
	CTR(tun_gro_writes, "coalesced TUN writes"),
	CTR(tun_gro_segments, "packets coalesced into them"),
	CTR(udp_gso_sends, "UDP_SEGMENT messages sent"),
	CTR(udp_gso_segments, "data messages in them"),
	CTR(udp_gro_rx, "coalesced datagrams received (UDP_GRO)"),
	CTR(udp_gro_segments, "data messages in them"),
	CTR(tun_uring_submits, "io_uring submissions of TUN writes"),
	CTR(tun_uring_writes, "packets written through them"),
	GROUP("Multilink PPP"),
	CTR(mp_bundles, "bundles created"),
	CTR(mp_joins, "links joined to a bundle"),
	CTR(mp_tx_fragments, "fragments sent"),
	CTR(mp_tx_whole, "frames sent whole on one link"),
	CTR(mp_tx_dropped, "frames not sent: over the MRRU or MRUs"),
	CTR(mp_rx_fragments, "fragments received"),
	CTR(mp_rx_frames, "frames rebuilt"),
	CTR(mp_rx_lost, "sequence numbers lost"),
	CTR(mp_rx_discarded, "fragments of broken frames discarded"),
	CTR(mp_rx_overflow, "fragments dropped: reassembly buffer full"),
	CTR(mp_rx_late, "fragments late or duplicated"),
	CTR(mp_rx_bad, "malformed fragments"),
	CTR(mp_rx_too_big, "rebuilt frames over the MRRU"),
	GROUP("HA sets"),
	CTR(haset_sets, "sets created"),
	CTR(haset_joins, "sessions joined to a set"),
	CTR(haset_handovers, "addresses handed to another member"),
	CTR(haset_copies_tx, "duplicates sent downstream"),
	CTR(haset_dups_rx, "upstream duplicates dropped"),
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
	cli_out_printf(&o, "},\"l2tp_ctrl_tx_type\":{");
	for (k = 1, n = 0; k <= M_MAX; k++)
		if (strcmp(l2tp_msg_name(k), "unknown") != 0)
			cli_out_printf(&o, "%s\"%s\":%llu", n++ ? "," : "",
			    l2tp_msg_name(k),
			    (unsigned long long)c->l2tp_ctrl_tx_type[k]);
	cli_out_printf(&o, "},\"radius_srv_tx\":[");
	for (k = 0; k < 2; k++)
		cli_out_printf(&o, "%s{\"auth\":%llu,\"start\":%llu,"
		    "\"interim\":%llu,\"stop\":%llu}", k ? "," : "",
		    (unsigned long long)c->radius_srv_tx[k][1],
		    (unsigned long long)c->radius_srv_tx[k][2],
		    (unsigned long long)c->radius_srv_tx[k][3],
		    (unsigned long long)c->radius_srv_tx[k][4]);
	cli_out_printf(&o, "],\"radius_srv_replies\":[%llu,%llu],"
	    "\"radius_srv_timeouts\":[%llu,%llu],",
	    (unsigned long long)c->radius_srv_replies[0],
	    (unsigned long long)c->radius_srv_replies[1],
	    (unsigned long long)c->radius_srv_timeouts[0],
	    (unsigned long long)c->radius_srv_timeouts[1]);
	cli_out_printf(&o, "\"setup_latency\":{\"count\":%llu,\"sum_us\":%llu},"
	    "\"lcp_echo_rtt\":{\"count\":%llu,\"sum_us\":%llu},"
	    "\"radius_latency\":[{\"count\":%llu,\"sum_us\":%llu},"
	    "{\"count\":%llu,\"sum_us\":%llu}]",
	    (unsigned long long)c->setup_latency.count,
	    (unsigned long long)c->setup_latency.sum_us,
	    (unsigned long long)c->lcp_echo_rtt.count,
	    (unsigned long long)c->lcp_echo_rtt.sum_us,
	    (unsigned long long)c->radius_latency[0].count,
	    (unsigned long long)c->radius_latency[0].sum_us,
	    (unsigned long long)c->radius_latency[1].count,
	    (unsigned long long)c->radius_latency[1].sum_us);
	cli_out_printf(&o, ",\"l2tp_drops\":{");
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

int
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
	cli_print(cli, "\nL2TP control messages sent, by type:");
	for (k = 1; k <= M_MAX; k++)
		if (strcmp(l2tp_msg_name(k), "unknown") != 0)
			cli_print(cli, "  %-34s %20llu", l2tp_msg_name(k),
			    (unsigned long long)cs.l2tp_ctrl_tx_type[k]);
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

int
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

int
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
