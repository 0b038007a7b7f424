/*
 * metrics.c - the monitoring HTTP server and GET /metrics.
 *
 * State owned: the libmicrohttpd daemon (off unless metrics_port is set),
 * its timer in the one heap, and the start time shown as a metric.
 *
 * The HTTP server is libmicrohttpd in its "external epoll" mode
 * (MHD_USE_EPOLL without an internal thread): it keeps its own epoll fd,
 * which we register with event.c like any other fd, and we call MHD_run()
 * when that fd is readable or when MHD_get_timeout() says a connection
 * timeout is due (a timer in the heap).  So the HTTP work happens on the
 * loop's thread, between packets, and is bounded:
 *   - every socket is non-blocking (MHD's epoll mode requires it): a
 *     scraper that does not read only leaves its reply queued;
 *   - at most HTTP_MAX_CONNECTIONS connections, HTTP_MAX_PER_IP from one
 *     address, each closed after HTTP_TIMEOUT_S seconds without progress;
 *   - the request head is limited by MHD's connection memory (32 KiB);
 *     bodies are refused (GET and HEAD only).
 * Rendering the exposition is one pass over the session and tunnel
 * tables, up to the last slot in use, plus the counters; per-session
 * series only with metrics_sessions.  (Not yet measured at 100,000
 * sessions: the benchmark row is still to be written.)
 *
 * Exports (metrics.h): metrics_init/close for l2tpns.c, metrics_render
 * for tests, and the small text buffer.
 *
 * Format: Prometheus text exposition format 0.0.4 (HELP, TYPE, samples;
 * histograms as cumulative _bucket{le=...}, _sum, _count).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/epoll.h>
#include <microhttpd.h>

#include "l2tpns.h"
#include "control.h"
#include "event.h"
#include "l2tp.h"
#include "log.h"
#include "metrics.h"
#include "radius.h"
#include "web.h"

static struct MHD_Daemon *httpd;
static int httpd_fd = -1;
static struct timer httpd_timer;
static time_t started;

/* ---- text buffer ---- */

void
mbuf_printf(struct mbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->err)
		return;
	for (;;) {
		size_t room = b->cap - b->len;

		va_start(ap, fmt);
		n = vsnprintf(b->p ? b->p + b->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->err = 1;
			return;
		}
		if ((size_t)n < room) {
			b->len += (size_t)n;
			return;
		}
		{
			size_t cap = b->cap ? b->cap * 2 : 16384;
			char *p;

			while (cap - b->len <= (size_t)n)
				cap *= 2;
			if ((p = realloc(b->p, cap)) == NULL) {
				b->err = 1;
				return;
			}
			b->p = p;
			b->cap = cap;
		}
	}
}

void
mbuf_free(struct mbuf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

/* ---- exposition helpers ---- */

static void
head(struct mbuf *b, const char *name, const char *type, const char *help)
{
	mbuf_printf(b, "# HELP l2tpns_%s %s\n# TYPE l2tpns_%s %s\n", name,
	    help, name, type);
}

/* A label value: \ " and newline escaped; other bytes as they are. */
static void
label_value(struct mbuf *b, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			mbuf_printf(b, "\\%c", *v);
		else if (*v == '\n')
			mbuf_printf(b, "\\n");
		else
			mbuf_printf(b, "%c", *v);
	}
}

/* A reason as a label value: lower case, spaces as underscores. */
static void
reason_value(struct mbuf *b, const char *v)
{
	char r[64];
	size_t i;

	for (i = 0; v[i] && i < sizeof(r) - 1; i++)
		r[i] = v[i] == ' ' ? '_' : v[i];
	r[i] = '\0';
	label_value(b, r);
}

static void
hist(struct mbuf *b, const char *name, const char *labels,
    const struct lat_hist *h)
{
	static const uint32_t bound[LAT_NBUCKETS] = { LAT_BOUNDS_MS };
	uint64_t cum = 0;
	int i;

	for (i = 0; i < LAT_NBUCKETS; i++) {
		cum += h->bucket[i];
		mbuf_printf(b, "l2tpns_%s_bucket{%s%sle=\"%g\"} %llu\n", name,
		    labels, *labels ? "," : "", bound[i] / 1000.0,
		    (unsigned long long)cum);
	}
	mbuf_printf(b, "l2tpns_%s_bucket{%s%sle=\"+Inf\"} %llu\n", name,
	    labels, *labels ? "," : "", (unsigned long long)h->count);
	mbuf_printf(b, "l2tpns_%s_sum%s%s%s %.6f\n", name, *labels ? "{" : "",
	    labels, *labels ? "}" : "", h->sum_us / 1e6);
	mbuf_printf(b, "l2tpns_%s_count%s%s%s %llu\n", name, *labels ? "{" : "",
	    labels, *labels ? "}" : "", (unsigned long long)h->count);
}

static void
counter(struct mbuf *b, const char *name, const char *help, uint64_t v)
{
	head(b, name, "counter", help);
	mbuf_printf(b, "l2tpns_%s %llu\n", name, (unsigned long long)v);
}

static void
gauge(struct mbuf *b, const char *name, const char *help, double v)
{
	head(b, name, "gauge", help);
	mbuf_printf(b, "l2tpns_%s %.17g\n", name, v);
}

/* ---- the metrics ---- */

static const char *const rad_kind[5] = { NULL, "auth", "start", "interim",
	"stop" };

/* Drop counters outside L2TP, by layer and reason. */
#define DROP(layer, reason, field) { layer, reason, \
	offsetof(struct counters, field) }
static const struct {
	const char	*layer, *reason;
	size_t		 off;
} drops[] = {
	DROP("ppp", "bad_frame", ppp_bad_frames),
	DROP("ppp", "before_phase", ppp_discarded),
	DROP("ip", "spoofed_source", ip_spoofed),
	DROP("ip", "too_big", ip_too_big),
	DROP("ip", "packet_limit", packet_limit_drops),
	DROP("ip", "no_session", tun_rx_no_session),
	DROP("ip", "acl_in", acl_denied_in),
	DROP("ip", "acl_out", acl_denied_out),
	DROP("ip", "throttle", tbf_dropped),
	DROP("radius", "bad_source", radius_bad_source),
	DROP("radius", "bad_authenticator", radius_bad_auth),
	DROP("radius", "malformed", radius_malformed),
	DROP("radius", "unexpected", radius_unexpected),
	DROP("dae", "bad_source", dae_bad_source),
	DROP("dae", "bad_authenticator", dae_bad_auth),
	DROP("dae", "malformed", dae_malformed),
	DROP("nsctl", "denied", ctl_denied),
};

static uint64_t
ctr_at(size_t off)
{
	uint64_t v;

	memcpy(&v, (const char *)stats + off, sizeof(v));
	return v;
}

static void
render_sessions(struct mbuf *b)
{
	uint64_t starting = 0, active = 0, finishing = 0;
	uint64_t throttled = 0, intercepted = 0, garden = 0;
	uint32_t i, seen = 0;

	/* Up to the last session in use, not the whole table. */
	for (i = 1; i <= tables->max_sessions &&
	    seen < tables->sessions_used; i++) {
		const struct session *sp = &tables->session[i];

		if (sp->state == SESSION_FREE)
			continue;
		seen++;
		if (sp->state == SESSION_CLOSING ||
		    sp->phase == PHASE_TERMINATE)
			finishing++;
		else if (sp->state == SESSION_OPEN &&
		    sp->phase == PHASE_NETWORK)
			active++;
		else
			starting++;
		if (sp->throttle || sp->rate_in || sp->rate_out)
			throttled++;
		if (sp->intercept)
			intercepted++;
		if (sp->walled_garden)
			garden++;
	}
	head(b, "sessions", "gauge", "Sessions by state (starting: L2TP or "
	    "PPP negotiating; active: network phase; finishing: closing)");
	mbuf_printf(b, "l2tpns_sessions{state=\"starting\"} %llu\n"
	    "l2tpns_sessions{state=\"active\"} %llu\n"
	    "l2tpns_sessions{state=\"finishing\"} %llu\n",
	    (unsigned long long)starting, (unsigned long long)active,
	    (unsigned long long)finishing);
	gauge(b, "sessions_throttled", "Sessions with a rate limit", throttled);
	gauge(b, "sessions_intercepted", "Sessions whose traffic is copied "
	    "(snoop)", intercepted);
	gauge(b, "sessions_walled_garden", "Sessions in the walled garden",
	    garden);
	gauge(b, "sessions_max", "Size of the session table",
	    tables->max_sessions);
	counter(b, "sessions_created_total", "Sessions created (ICRQ)",
	    stats->sessions_created);
	counter(b, "sessions_cleared_total", "Sessions ended",
	    stats->sessions_cleared);
	counter(b, "haset_duplicates_sent_total", "HA sets: copies sent "
	    "downstream beyond the first", stats->haset_copies_tx);
	counter(b, "haset_duplicates_dropped_total", "HA sets: upstream "
	    "copies dropped as duplicates", stats->haset_dups_rx);
	head(b, "session_setup_seconds", "histogram", "From ICRQ to IPCP "
	    "up, per session");
	hist(b, "session_setup_seconds", "", &stats->setup_latency);
}

/*
 * The opt-in per-session series (metrics_sessions), rendered a slice at
 * a time as the scraper reads them: at 100,000 sessions they are ~12
 * MB and ~100 ms of CPU, which must not hold the packet loop in one
 * piece.  MHD asks for more (ps_read) each time the socket drains; each
 * call renders at most PS_SLICE slots of the session table.
 */
#define PS_SLICE	2048

struct ps_stream {
	struct mbuf	buf;		/* rendered, not yet handed to MHD */
	size_t		off;		/* of buf, handed out */
	uint32_t	next;		/* next session slot to render */
	int		dir;		/* 0: rx series, 1: tx; 2: done */
};

static void
ps_slice(struct ps_stream *ps)
{
	uint32_t i, end;

	ps->buf.len = 0;
	ps->off = 0;
	if (ps->next == 1)
		head(&ps->buf, ps->dir ? "session_tx_bytes_total" :
		    "session_rx_bytes_total", "counter", ps->dir ?
		    "Octets sent to the subscriber" :
		    "Octets received from the subscriber");
	end = ps->next + PS_SLICE;
	for (i = ps->next; i < end && i <= tables->max_sessions; i++) {
		const struct session *sp = &tables->session[i];

		if (sp->state == SESSION_FREE)
			continue;
		mbuf_printf(&ps->buf, "l2tpns_session_%s_bytes_total{sid=\"%u\","
		    "user=\"", ps->dir ? "tx" : "rx", i);
		label_value(&ps->buf, sp->user);
		mbuf_printf(&ps->buf, "\"} %llu\n", (unsigned long long)
		    (ps->dir ? sp->cout : sp->cin));
	}
	ps->next = i;
	if (i > tables->max_sessions) {
		ps->dir++;
		ps->next = 1;
	}
}

static ssize_t
ps_read(void *cls, uint64_t pos, char *out, size_t max)
{
	struct ps_stream *ps = cls;
	size_t n;

	(void)pos;
	while (ps->off == ps->buf.len) {
		if (ps->dir >= 2 || ps->buf.err)
			return ps->buf.err ? MHD_CONTENT_READER_END_WITH_ERROR :
			    MHD_CONTENT_READER_END_OF_STREAM;
		ps_slice(ps);
	}
	n = ps->buf.len - ps->off;
	if (n > max)
		n = max;
	memcpy(out, ps->buf.p + ps->off, n);
	ps->off += n;
	return (ssize_t)n;
}

static void
ps_free(void *cls)
{
	struct ps_stream *ps = cls;

	mbuf_free(&ps->buf);
	free(ps);
}

static void
render_l2tp(struct mbuf *b)
{
	uint64_t st[4] = { 0, 0, 0, 0 };
	uint32_t i;
	int k;

	for (i = 1, k = 0; i <= tables->max_tunnels &&
	    (uint32_t)k < tables->tunnels_used; i++)
		if (tables->tunnel[i].state != TUNNEL_FREE &&
		    tables->tunnel[i].state <= TUNNEL_DYING) {
			st[tables->tunnel[i].state]++;
			k++;
		}
	head(b, "tunnels", "gauge", "Tunnels by state (closing: StopCCN "
	    "sent or received, kept a while for retransmissions)");
	mbuf_printf(b, "l2tpns_tunnels{state=\"opening\"} %llu\n"
	    "l2tpns_tunnels{state=\"open\"} %llu\n"
	    "l2tpns_tunnels{state=\"closing\"} %llu\n",
	    (unsigned long long)st[TUNNEL_OPENING],
	    (unsigned long long)st[TUNNEL_OPEN],
	    (unsigned long long)st[TUNNEL_DYING]);
	counter(b, "tunnels_created_total", "Tunnels created (SCCRQ)",
	    stats->tunnels_created);
	head(b, "l2tp_control_messages_total", "counter", "L2TP control "
	    "messages by type and direction (tx: first sends)");
	for (k = 1; k <= M_MAX; k++) {
		const char *n = l2tp_msg_name(k);

		if (strcmp(n, "unknown") == 0)
			continue;
		mbuf_printf(b, "l2tpns_l2tp_control_messages_total{type=\"%s\","
		    "direction=\"rx\"} %llu\n", n,
		    (unsigned long long)stats->l2tp_ctrl_rx_type[k]);
		mbuf_printf(b, "l2tpns_l2tp_control_messages_total{type=\"%s\","
		    "direction=\"tx\"} %llu\n", n,
		    (unsigned long long)stats->l2tp_ctrl_tx_type[k]);
	}
	mbuf_printf(b, "l2tpns_l2tp_control_messages_total{type=\"ZLB\","
	    "direction=\"rx\"} %llu\n", (unsigned long long)stats->l2tp_zlb_rx);
	mbuf_printf(b, "l2tpns_l2tp_control_messages_total{type=\"ZLB\","
	    "direction=\"tx\"} %llu\n", (unsigned long long)stats->l2tp_zlb_tx);
	counter(b, "l2tp_retransmits_total", "L2TP control messages sent "
	    "again", stats->l2tp_retransmits);

	head(b, "drops_total", "counter", "Packets dropped, by layer and "
	    "reason");
	for (k = 0; k < 16 && l2tp_drop_name(k) != NULL; k++) {
		mbuf_printf(b, "l2tpns_drops_total{layer=\"l2tp\",reason=\"");
		reason_value(b, l2tp_drop_name(k));
		mbuf_printf(b, "\"} %llu\n",
		    (unsigned long long)stats->l2tp_drops[k]);
	}
	for (k = 1; k <= CTL_E_MAX && k <= 8; k++) {
		mbuf_printf(b, "l2tpns_drops_total{layer=\"nsctl\",reason=\"");
		reason_value(b, ctl_err_name(k));
		mbuf_printf(b, "\"} %llu\n",
		    (unsigned long long)stats->ctl_drops[k - 1]);
	}
	for (k = 0; k < (int)(sizeof(drops) / sizeof(drops[0])); k++)
		mbuf_printf(b, "l2tpns_drops_total{layer=\"%s\",reason=\"%s\"} "
		    "%llu\n", drops[k].layer, drops[k].reason,
		    (unsigned long long)ctr_at(drops[k].off));
}

static void
render_traffic(struct mbuf *b)
{
	head(b, "forwarded_packets_total", "counter", "Packets forwarded, "
	    "upstream (subscriber to network) and downstream");
	mbuf_printf(b, "l2tpns_forwarded_packets_total{direction=\"upstream\"} "
	    "%llu\nl2tpns_forwarded_packets_total{direction=\"downstream\"} "
	    "%llu\n", (unsigned long long)stats->fwd_up_packets,
	    (unsigned long long)stats->fwd_down_packets);
	head(b, "forwarded_bytes_total", "counter", "IP octets forwarded, "
	    "upstream and downstream");
	mbuf_printf(b, "l2tpns_forwarded_bytes_total{direction=\"upstream\"} "
	    "%llu\nl2tpns_forwarded_bytes_total{direction=\"downstream\"} "
	    "%llu\n", (unsigned long long)stats->fwd_up_bytes,
	    (unsigned long long)stats->fwd_down_bytes);
	gauge(b, "pool_addresses_used", "IPv4 pool addresses held",
	    ippool ? ippool->used : 0);
	gauge(b, "pool_addresses_free", "IPv4 pool addresses free",
	    ippool ? ippool->n - ippool->used : 0);
	counter(b, "ppp_auth_success_total", "PPP authentications accepted",
	    stats->ppp_auth_ok);
	counter(b, "ppp_auth_failure_total", "PPP authentications refused",
	    stats->ppp_auth_failed);
	counter(b, "lcp_echo_requests_total", "LCP Echo-Requests sent",
	    stats->lcp_echo_sent);
	counter(b, "lcp_echo_replies_total", "LCP Echo-Replies matched to a "
	    "request", stats->lcp_echo_replies);
	counter(b, "lcp_echo_timeouts_total", "Sessions dropped for "
	    "unanswered LCP echoes", stats->ppp_echo_timeouts);
	head(b, "lcp_echo_rtt_seconds", "histogram", "LCP echo round-trip "
	    "time, all sessions (call quality)");
	hist(b, "lcp_echo_rtt_seconds", "", &stats->lcp_echo_rtt);
}

static void
render_radius(struct mbuf *b)
{
	struct radius_server_info si[2];
	char lab[2][64], a[INET_ADDRSTRLEN];
	int have[2], i, k;

	for (i = 0; i < 2; i++) {
		have[i] = radius_server_info(i, &si[i]) == 0;
		if (have[i]) {
			inet_ntop(AF_INET, &si[i].ip, a, sizeof(a));
			snprintf(lab[i], sizeof(lab[i]), "server=\"%s:%u\"", a,
			    si[i].auth_port);
		}
	}
	head(b, "radius_up", "gauge", "1 while the server is not being "
	    "skipped after unanswered requests");
	for (i = 0; i < 2; i++)
		if (have[i])
			mbuf_printf(b, "l2tpns_radius_up{%s} %d\n", lab[i],
			    si[i].auth_dead_s == 0 && si[i].acct_dead_s == 0);
	head(b, "radius_requests_total", "counter", "RADIUS requests sent, "
	    "retransmissions included, by server and kind");
	for (i = 0; i < 2; i++)
		for (k = 1; k < 5 && have[i]; k++)
			mbuf_printf(b, "l2tpns_radius_requests_total{%s,kind=\"%s\"} "
			    "%llu\n", lab[i], rad_kind[k],
			    (unsigned long long)stats->radius_srv_tx[i][k]);
	head(b, "radius_replies_total", "counter", "Valid RADIUS replies, by "
	    "server");
	for (i = 0; i < 2; i++)
		if (have[i])
			mbuf_printf(b, "l2tpns_radius_replies_total{%s} %llu\n",
			    lab[i],
			    (unsigned long long)stats->radius_srv_replies[i]);
	head(b, "radius_timeouts_total", "counter", "Requests a server left "
	    "unanswered after every try");
	for (i = 0; i < 2; i++)
		if (have[i])
			mbuf_printf(b, "l2tpns_radius_timeouts_total{%s} %llu\n",
			    lab[i],
			    (unsigned long long)stats->radius_srv_timeouts[i]);
	head(b, "radius_latency_seconds", "histogram", "From a request's "
	    "(last) send to its reply, by server");
	for (i = 0; i < 2; i++)
		if (have[i])
			hist(b, "radius_latency_seconds", lab[i],
			    &stats->radius_latency[i]);
	counter(b, "radius_access_accepts_total", "Access-Accepts",
	    stats->radius_accepts);
	counter(b, "radius_access_rejects_total", "Access-Rejects",
	    stats->radius_rejects);
	counter(b, "radius_gave_up_total", "Requests no server answered",
	    stats->radius_timeouts);
	head(b, "radius_outstanding", "gauge", "Requests sent to the server "
	    "and not yet answered or given up (at most radius_window)");
	for (i = 0; i < 2; i++)
		if (have[i])
			mbuf_printf(b, "l2tpns_radius_outstanding{%s} %u\n",
			    lab[i], si[i].outstanding);
	gauge(b, "radius_queue_length", "Requests waiting for a place in "
	    "their server's window", (double)radius_queue_length());
	counter(b, "radius_queued_total", "Requests that waited for the "
	    "window", stats->radius_queued);
	counter(b, "radius_window_full_total", "Requests that found their "
	    "server's window full", stats->radius_window_full);
	counter(b, "radius_queue_full_total", "Requests refused because the "
	    "window's queue was full", stats->radius_queue_full);
	counter(b, "dae_requests_total", "Disconnect and CoA requests "
	    "received", stats->dae_rx);
}

void
metrics_render(struct mbuf *b)
{
	gauge(b, "start_time_seconds", "Daemon start, Unix time",
	    (double)started);
	render_sessions(b);
	render_l2tp(b);
	render_traffic(b);
	render_radius(b);
}

/* ---- the HTTP server ---- */

static enum MHD_Result
reply(struct MHD_Connection *c, unsigned status, const char *type,
    char *body, size_t len, enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, body, mode);
	if (r == NULL) {
		if (mode == MHD_RESPMEM_MUST_FREE)
			free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

#define METRICS_TYPE	"text/plain; version=0.0.4; charset=utf-8"

/* The aggregate series (b, taken over), then the per-session ones. */
static enum MHD_Result
reply_streamed(struct MHD_Connection *c, struct mbuf *b)
{
	struct MHD_Response *r;
	struct ps_stream *ps;
	enum MHD_Result ret;

	if ((ps = calloc(1, sizeof(*ps))) == NULL) {
		mbuf_free(b);
		return MHD_NO;
	}
	ps->buf = *b;
	ps->next = 1;
	r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 262144,
	    ps_read, ps, ps_free);
	if (r == NULL) {
		ps_free(ps);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, METRICS_TYPE);
	ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

/* A POST body being read (web view), at most WEB_BODY_MAX bytes. */
#define WEB_BODY_MAX	512
struct post {
	size_t	len;
	char	buf[WEB_BODY_MAX];
};

static void
http_completed(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	(void)cls; (void)c; (void)toe;
	free(*con_cls);
	*con_cls = NULL;
}

static enum MHD_Result
http_request(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_len, void **con_cls)
{
	static char notfound[] = "not found\n", badmethod[] = "GET only\n";
	struct mbuf b;

	(void)cls; (void)version;
	if (config->web_enabled && strncmp(url, "/l2tp", 5) == 0 &&
	    (url[5] == '\0' || url[5] == '/')) {
		struct post *p = *con_cls;

		if (strcmp(method, "POST") != 0)
			return *upload_len ? MHD_NO : web_request(c, url,
			    method, NULL, 0);
		if (p == NULL) {	/* the head: the body follows */
			if ((p = calloc(1, sizeof(*p))) == NULL)
				return MHD_NO;
			*con_cls = p;
			return MHD_YES;
		}
		if (*upload_len) {
			if (*upload_len > sizeof(p->buf) - p->len)
				return MHD_NO;	/* too long: hang up */
			memcpy(p->buf + p->len, upload, *upload_len);
			p->len += *upload_len;
			*upload_len = 0;
			return MHD_YES;
		}
		return web_request(c, url, method, p->buf, p->len);
	}
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain",
		    badmethod, sizeof(badmethod) - 1, MHD_RESPMEM_PERSISTENT);
	if (*upload_len)
		return MHD_NO;	/* a GET with a body: hang up */
	if (strcmp(url, "/metrics") != 0)
		return reply(c, MHD_HTTP_NOT_FOUND, "text/plain", notfound,
		    sizeof(notfound) - 1, MHD_RESPMEM_PERSISTENT);
	memset(&b, 0, sizeof(b));
	metrics_render(&b);
	if (b.err) {
		mbuf_free(&b);
		return MHD_NO;
	}
	if (config->metrics_sessions)
		return reply_streamed(c, &b);
	return reply(c, MHD_HTTP_OK, METRICS_TYPE, b.p, b.len,
	    MHD_RESPMEM_MUST_FREE);
}

static void
http_log(void *cls, const char *fmt, va_list ap)
{
	static struct log_rl rl = LOG_RL(5, "HTTP server messages");
	char msg[256];

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	if (log_rl_ok(&rl, time_now))
		log_warnx("HTTP: %s", msg);
}

/*
 * Run MHD, then arm the timer for its next connection timeout.  A zero
 * timeout means MHD has more to do now (a streamed reply whose socket
 * can take more: MHD watches connections edge-triggered, so no new
 * event would come): again after 1 ms, the packets in between.
 */
static void
http_run(void)
{
	MHD_UNSIGNED_LONG_LONG t;

	MHD_run(httpd);
	if (MHD_get_timeout(httpd, &t) == MHD_YES)
		timer_set(&httpd_timer, t == 0 ? 1 : t < 10 ? 10 : t);
	else
		timer_cancel(&httpd_timer);
}

static void
http_readable(int fd, uint32_t events, void *arg)
{
	(void)fd; (void)events; (void)arg;
	http_run();
}

static void
http_timeout(struct timer *t, void *arg)
{
	(void)t; (void)arg;
	http_run();
}

int
metrics_init(void)
{
	struct sockaddr_in sa;
	const union MHD_DaemonInfo *di;
	char a[INET_ADDRSTRLEN];

	started = time_now;
	if (config->metrics_port == 0)
		return 0;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)config->metrics_port);
	sa.sin_addr.s_addr = config->metrics_bind_address;
	inet_ntop(AF_INET, &sa.sin_addr, a, sizeof(a));
	httpd = MHD_start_daemon(MHD_USE_EPOLL | MHD_USE_ERROR_LOG,
	    (uint16_t)config->metrics_port, NULL, NULL, http_request, NULL,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)HTTP_MAX_CONNECTIONS,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)HTTP_MAX_PER_IP,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HTTP_TIMEOUT_S,
	    MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)16,
	    MHD_OPTION_EXTERNAL_LOGGER, http_log, NULL,
	    MHD_OPTION_NOTIFY_COMPLETED, http_completed, NULL,
	    MHD_OPTION_END);
	if (httpd == NULL) {
		log_error("metrics: cannot listen on %s:%d: %s", a,
		    config->metrics_port, strerror(errno));
		return -1;
	}
	di = MHD_get_daemon_info(httpd, MHD_DAEMON_INFO_EPOLL_FD);
	if (di == NULL || ev_add(di->epoll_fd, EPOLLIN, http_readable,
	    NULL) < 0) {
		log_error("metrics: cannot watch the HTTP server");
		MHD_stop_daemon(httpd);
		httpd = NULL;
		return -1;
	}
	httpd_fd = di->epoll_fd;
	timer_init(&httpd_timer, http_timeout, NULL);
	log_info("metrics: GET /metrics on %s:%d", a, config->metrics_port);
	return 0;
}

void
metrics_close(void)
{
	if (httpd == NULL)
		return;
	timer_cancel(&httpd_timer);
	ev_del(httpd_fd);
	MHD_stop_daemon(httpd);
	httpd = NULL;
	httpd_fd = -1;
}
