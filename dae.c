/*
 * dae.c - the Dynamic Authorization listener: Disconnect-Request and
 * CoA-Request from our RADIUS servers (RFC 3576, RFC 5176).
 *
 * State owned: the DAE socket on radius_dae_port and a small cache of
 * its last answers, so that a retransmitted request gets the same
 * answer without acting twice.
 *
 * Exports (radius.h): dae_open/dae_close for radius_init/radius_close,
 * and radius_dae_input() (one datagram in, the answer out) for the
 * unit tests and the fuzz harness.
 *
 * A request is checked (source, layout, Request Authenticator and
 * Message-Authenticator, Event-Timestamp window RFC 3576 5.4), the
 * session found by the identification attributes (RFC 3576 3), then
 * ended or changed all at once (2.3) and answered ACK or NAK with an
 * Error-Cause (3.1).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <md5.h>

#include "evring.h"
#include "l2tpns.h"
#include "acl.h"
#include "cluster.h"
#include "auth.h"
#include "event.h"
#include "log.h"
#include "plugin.h"
#include "radius.h"
#include "rd.h"
#include "session.h"
#include "throttle.h"
#include "util.h"

#define DAE_CACHE	16	/* answers kept for retransmissions */
#define DAE_CACHE_MS	30000

static int dae_fd = -1;
/* What peers can make us log (STYLE 11). */
static struct log_rl rl = LOG_RL(10, "RADIUS DAE messages");

struct dae_req {
	uint8_t		 code, id;
	uint8_t		 auth[16];
	/* identification, RFC 3576 3 */
	uint8_t		 has_user, has_acct_id, has_ip, has_port;
	uint8_t		 has_calling, has_called, has_nas_ip, has_nas_id;
	uint8_t		 has_port_type, has_service, has_ts, has_ma;
	char		 user[MAXUSER];
	char		 acct_id[64];
	in_addr_t	 ip, nas_ip;
	uint32_t	 port, port_type, service, ts;
	char		 calling[MAXCALLING], called[MAXCALLING];
	char		 nas_id[MAXHOST];
	/* changes (CoA) and Class (both) */
	uint8_t		 has_st, has_it, has_interim, has_filter, has_class;
	uint32_t	 st, it, interim;
	struct auth_reply chg;	/* filters, Class, Cisco-AVPairs */
	/* echoed: State (Note 7), Proxy-State (2.3) */
	uint8_t		 echo[512];
	size_t		 echo_len;
};

static struct dae_cached {
	in_addr_t	 ip;
	uint16_t	 port;
	uint8_t		 id;
	uint8_t		 auth[16];
	uint64_t	 at_ms;
	uint16_t	 len;
	uint8_t		 reply[600];
} dae_cache[DAE_CACHE];
static unsigned dae_cache_next;

static int
text_into(struct rd *v, char *out, size_t cap, uint8_t *flag)
{
	if (radius_rd_text(v, out, cap) < 0)
		return EC_INVALID_REQUEST;
	*flag = 1;
	return 0;
}

/*
 * Who may send us requests (RFC 5176 3: the Dynamic Authorization
 * Clients) and with which secret: the dae_clients list when set (the
 * first entry whose network holds the source), else our RADIUS servers
 * with radius_secret.  NULL when the source may not.
 */
static const char *
dae_secret_for(in_addr_t src)
{
	static char built[CFG_STRLEN];
	static struct dae_client dc[DAE_CLIENTS_MAX];
	static int ndc;
	char e[160];
	int i;

	if (config->dae_clients[0] == '\0')
		return radius_is_server(src) ? config->radius_secret : NULL;
	if (strcmp(built, config->dae_clients) != 0) {
		/* config.c checked it; a bad list allows nobody */
		ndc = dae_clients_parse(config->dae_clients, dc,
		    DAE_CLIENTS_MAX, e, sizeof(e));
		snprintf(built, sizeof(built), "%s", config->dae_clients);
	}
	for (i = 0; i < ndc; i++)
		if ((src & dc[i].mask) == dc[i].net)
			return dc[i].secret[0] ? dc[i].secret :
			    config->radius_secret;
	return NULL;
}

/* The attributes of a Disconnect- or CoA-Request: 0, or the Error-Cause
 * to answer with (RFC 3576 3, 3.2: every attribute is mandatory). */
static uint32_t
dae_parse(const uint8_t *pkt, size_t len, struct dae_req *d)
{
	int coa = d->code == RAD_COA_REQUEST;
	struct rd r, v, whole;
	char text[254];
	uint8_t type;
	uint32_t ec = 0;
	int k;

	rd_init(&r, pkt, len);
	if (rd_skip(&r, RAD_HDRLEN) < 0)
		return EC_INVALID_REQUEST;
	for (;;) {
		whole = r;
		if ((k = radius_attr_next(&r, &type, &v)) <= 0)
			break;
		if (!radius_attr_len_ok(type, v.left))
			return EC_INVALID_REQUEST;
		switch (type) {
		case RA_USER_NAME:
			ec = text_into(&v, d->user, sizeof(d->user),
			    &d->has_user);
			break;
		case RA_ACCT_SESSION_ID:
			ec = text_into(&v, d->acct_id, sizeof(d->acct_id),
			    &d->has_acct_id);
			break;
		case RA_CALLING_STATION_ID:
			ec = text_into(&v, d->calling, sizeof(d->calling),
			    &d->has_calling);
			break;
		case RA_CALLED_STATION_ID:
			ec = text_into(&v, d->called, sizeof(d->called),
			    &d->has_called);
			break;
		case RA_NAS_IDENTIFIER:
			ec = text_into(&v, d->nas_id, sizeof(d->nas_id),
			    &d->has_nas_id);
			break;
		case RA_FRAMED_IP_ADDRESS:
			rd_bytes(&v, &d->ip, 4);
			d->has_ip = 1;
			break;
		case RA_NAS_IP_ADDRESS:
			rd_bytes(&v, &d->nas_ip, 4);
			d->has_nas_ip = 1;
			break;
		case RA_NAS_PORT:
			rd_u32(&v, &d->port);
			d->has_port = 1;
			break;
		case RA_NAS_PORT_TYPE:
			rd_u32(&v, &d->port_type);
			d->has_port_type = 1;
			break;
		case RA_SERVICE_TYPE:
			rd_u32(&v, &d->service);
			d->has_service = 1;
			break;
		case RA_EVENT_TIMESTAMP:
			rd_u32(&v, &d->ts);
			d->has_ts = 1;
			break;
		case RA_MESSAGE_AUTHENTICATOR:
			d->has_ma = 1;
			break;
		case RA_STATE:
		case RA_PROXY_STATE:
			if (d->echo_len + v.left + 2 > sizeof(d->echo))
				return EC_INVALID_REQUEST;
			memcpy(d->echo + d->echo_len, whole.p, v.left + 2);
			d->echo_len += v.left + 2;
			break;
		case RA_REPLY_MESSAGE:	/* Note 2: nothing to display it */
			break;
		case RA_CLASS:		/* Notes 3, 4 */
			radius_add_class(&d->chg, &v);
			d->has_class = 1;
			break;
		case RA_VENDOR_SPECIFIC: {
			int unknown = 0;

			if (radius_parse_vsa(&v, &d->chg, &unknown) < 0)
				return EC_INVALID_REQUEST;
			/* A CoA must not ignore what it cannot do. */
			if (coa && (unknown || d->chg.dns1 || d->chg.dns2))
				return EC_UNSUPPORTED_ATTRIBUTE;
			break;
		}
		case RA_SESSION_TIMEOUT:
			if (!coa)
				return EC_UNSUPPORTED_ATTRIBUTE;
			rd_u32(&v, &d->st);
			d->has_st = 1;
			break;
		case RA_IDLE_TIMEOUT:
			if (!coa)
				return EC_UNSUPPORTED_ATTRIBUTE;
			rd_u32(&v, &d->it);
			d->has_it = 1;
			break;
		case RA_ACCT_INTERIM_INTERVAL:
			if (!coa)
				return EC_UNSUPPORTED_ATTRIBUTE;
			rd_u32(&v, &d->interim);
			d->has_interim = 1;
			break;
		case RA_FILTER_ID:
			if (!coa)
				return EC_UNSUPPORTED_ATTRIBUTE;
			if (radius_rd_text(&v, text, sizeof(text)) < 0 ||
			    radius_parse_filter(&d->chg, text) < 0)
				return EC_INVALID_REQUEST;
			d->has_filter = 1;
			break;
		default:
			return EC_UNSUPPORTED_ATTRIBUTE;
		}
		if (ec)
			return ec;
	}
	return k < 0 ? EC_INVALID_REQUEST : 0;
}

/* Our Acct-Session-Id ends with the session index (radius_session_begin). */
static sid_t
sid_of_acct_id(const char *id)
{
	const struct session *sp;
	unsigned long v;
	char *end;

	if (strlen(id) != 16)
		return 0;
	v = strtoul(id + 8, &end, 16);
	if (*end != '\0' || v == 0 || v > tables->max_sessions)
		return 0;
	sp = session_get((sid_t)v);
	if (sp == NULL || strcmp(sp->acct_session_id, id) != 0)
		return 0;
	return (sid_t)v;
}

/* RFC 3576 3: the NAS identification must be ours, the session's all
 * given identifiers must match it. */
static uint32_t
dae_find(const struct dae_req *d, sid_t *out)
{
	const struct session *sp;
	sid_t s;

	if (d->has_nas_ip && config->bind_address &&
	    d->nas_ip != config->bind_address)
		return EC_NAS_MISMATCH;
	if (d->has_nas_id && strcmp(d->nas_id, config->hostname) != 0)
		return EC_NAS_MISMATCH;
	if (d->has_acct_id)
		s = sid_of_acct_id(d->acct_id);
	else if (d->has_ip)
		s = session_by_ip(d->ip);
	else if (d->has_port)
		s = d->port <= tables->max_sessions ? d->port : 0;
	else if (d->has_user)
		s = session_by_user(d->user);
	else
		return EC_MISSING_ATTRIBUTE;
	if (s == 0 || (sp = session_get(s)) == NULL ||
	    sp->state == SESSION_FREE)
		return EC_SESSION_NOT_FOUND;
	if ((d->has_user && strcmp(d->user, sp->user) != 0) ||
	    (d->has_acct_id && strcmp(d->acct_id, sp->acct_session_id) != 0) ||
	    (d->has_ip && d->ip != sp->ip) ||
	    (d->has_port && d->port != s) ||
	    (d->has_calling && strcmp(d->calling, sp->calling) != 0) ||
	    (d->has_called && strcmp(d->called, sp->called) != 0) ||
	    (d->has_port_type && d->port_type != NAS_PORT_VIRTUAL))
		return EC_SESSION_NOT_FOUND;
	*out = s;
	return 0;
}

static uint32_t
dae_disconnect(sid_t s, const struct dae_req *d)
{
	struct session *sp = session_get(s);

	/* Note 4: a Class here goes into the Stop. */
	if (d->has_class)
		radius_set_class(s, d->chg.class, d->chg.class_len);
	LOG(LOG_WARN_L, s, sp->tunnel, "RADIUS Disconnect-Request for \"%s\"",
	    sp->user);
	evring_add(s, SEV_DISCONNECT_REQ, SEA_DAE, TERM_ADMIN_RESET,
	    "RADIUS Disconnect-Request");
	evring_teardown(s, SEA_DAE, TERM_ADMIN_RESET,
	    "RADIUS Disconnect-Request");
	session_drop(s, TERM_ADMIN_RESET, "RADIUS Disconnect-Request");
	stats->dae_disconnects++;
	return 0;
}

/*
 * The throttle pairs of a CoA (throttle.h, the autothrottle plugin
 * applies them): only checked here, so that a bad one refuses the
 * request as a whole (RFC 3576 2.3).  -1 if one is bad.
 */
static int
throttle_pairs_ok(const struct auth_reply *rp)
{
	uint32_t rate;
	int i;

	for (i = 0; i < rp->navpairs; i++)
		if (throttle_parse_pair(rp->avpair[i].key,
		    rp->avpair[i].value, &rate) == THROTTLE_BAD)
			return -1;
	return 0;
}

/* RFC 3576 2.3: all of it or nothing; Note 3: what is absent stays. */
static uint32_t
dae_coa(sid_t s, struct dae_req *d)
{
	struct session *sp = session_get(s);
	struct param_radius_reset pr = { .sid = s, .tid = sp->tunnel };

	if (d->has_filter &&
	    ((d->chg.filter_in[0] && !acl_find(config, d->chg.filter_in)) ||
	    (d->chg.filter_out[0] && !acl_find(config, d->chg.filter_out))))
		return EC_INVALID_REQUEST;
	if (throttle_pairs_ok(&d->chg) < 0)
		return EC_INVALID_REQUEST;
	if (d->has_class && radius_set_class(s, d->chg.class,
	    d->chg.class_len) < 0)
		return EC_INVALID_REQUEST;
	/*
	 * Cisco-AVPairs replace the ones the session was given: plugins
	 * reset what theirs set (autothrottle unthrottles) before the new
	 * ones apply.  Without any, the plugins' settings stay (Note 3).
	 */
	if (d->chg.navpairs > 0)
		plugin_run(PLUGIN_RADIUS_RESET, &pr);
	if (d->has_filter)
		session_set_filters(s, d->chg.filter_in, d->chg.filter_out);
	radius_apply_pairs(s, &d->chg);
	if (d->has_interim)
		radius_set_interim(s, d->interim);
	if (d->has_st || d->has_it)
		session_set_limits(s, d->has_st ? d->st : sp->session_timeout,
		    d->has_it ? d->it : sp->idle_timeout);
	LOG(LOG_WARN_L, s, sp->tunnel, "RADIUS CoA-Request for \"%s\": "
	    "session-timeout %u, idle-timeout %u, rate in %u out %u kbit/s",
	    sp->user, sp->session_timeout, sp->idle_timeout, sp->rate_in,
	    sp->rate_out);
	evring_add(s, SEV_COA, SEA_DAE, 0, "session-timeout %u, idle-timeout "
	    "%u, rate in %u out %u", sp->session_timeout, sp->idle_timeout,
	    sp->rate_in, sp->rate_out);
	stats->dae_coas++;
	return 0;
}

/* ACK or NAK, RFC 3576 2.3 and 3.1. */
static size_t
dae_answer(const struct dae_req *d, uint32_t ec, uint8_t *out, size_t cap,
    const char *secret)
{
	static const uint8_t zero[16];
	uint8_t mac[16];
	struct wr w;
	size_t ma = 0;
	MD5_CTX ctx;

	wr_init(&w, out, cap);
	wr_u8(&w, (uint8_t)(d->code + (ec ? 2 : 1)));
	wr_u8(&w, d->id);
	wr_u16(&w, 0);
	wr_bytes(&w, d->auth, 16);	/* for the MAC; replaced below */
	if (ec)
		radius_put_u32(&w, RA_ERROR_CAUSE, ec);
	wr_bytes(&w, d->echo, d->echo_len);
	if (d->has_ma) {
		ma = w.len + 2;
		radius_put_attr(&w, RA_MESSAGE_AUTHENTICATOR, zero, 16);
	}
	if (w.err)
		return 0;
	wr_put16_at(&w, 2, (uint16_t)w.len);
	if (ma) {
		radius_hmac_md5((const uint8_t *)secret, strlen(secret), out,
		    w.len, mac);
		memcpy(out + ma, mac, 16);
	}
	/* Response Authenticator: MD5(Code+ID+Length+RequestAuth+Attrs+S) */
	MD5Init(&ctx);
	MD5Update(&ctx, out, 4);
	MD5Update(&ctx, d->auth, 16);
	MD5Update(&ctx, out + RAD_HDRLEN, w.len - RAD_HDRLEN);
	MD5Update(&ctx, (const uint8_t *)secret, strlen(secret));
	MD5Final(mac, &ctx);
	memcpy(out + 4, mac, 16);
	return w.len;
}

size_t
radius_dae_input(const uint8_t *pkt, size_t n, const struct sockaddr_in *from,
    uint8_t *reply, size_t cap)
{
	struct dae_req *d;
	struct dae_cached *c;
	const char *why, *secret;
	struct rd r;
	uint32_t ec;
	size_t len, out;
	sid_t s = 0;
	unsigned i;
	int e;

	stats->dae_rx++;
	/* Only our RADIUS servers, or dae_clients, may ask (manual,
	 * "RADIUS"). */
	if ((secret = dae_secret_for(from->sin_addr.s_addr)) == NULL) {
		stats->dae_bad_source++;
		why = config->dae_clients[0] ? "not in dae_clients" :
		    "not from a configured RADIUS server";
		goto drop;
	}
	if ((e = radius_check_layout(pkt, n, &len)) != RAD_OK) {
		stats->dae_malformed++;
		why = "malformed";
		goto drop;
	}
	if ((d = calloc(1, sizeof(*d))) == NULL) {
		why = "out of memory";
		goto drop;
	}
	rd_init(&r, pkt, len);
	rd_u8(&r, &d->code);
	rd_u8(&r, &d->id);
	rd_skip(&r, 2);
	rd_bytes(&r, d->auth, 16);
	/* 2.3: another code is silently discarded */
	if (d->code != RAD_DISCONNECT_REQUEST && d->code != RAD_COA_REQUEST) {
		free(d);
		stats->dae_malformed++;
		why = "not a Disconnect- or CoA-Request";
		goto drop;
	}
	if (secret[0] == '\0' ||
	    radius_verify_request(pkt, len, secret) != RAD_OK) {
		free(d);
		stats->dae_bad_auth++;
		why = "bad Request Authenticator or Message-Authenticator";
		goto drop;
	}
	/* A retransmission (same source, id, authenticator): same answer. */
	for (i = 0; i < DAE_CACHE; i++) {
		c = &dae_cache[i];
		if (c->len && c->ip == from->sin_addr.s_addr &&
		    c->port == from->sin_port && c->id == d->id &&
		    memcmp(c->auth, d->auth, 16) == 0 &&
		    now_ms - c->at_ms < DAE_CACHE_MS && c->len <= cap) {
			stats->dae_duplicates++;
			memcpy(reply, c->reply, c->len);
			free(d);
			return c->len;
		}
	}
	radius_log_packet(0, "recv", pkt, len);
	ec = dae_parse(pkt, len, d);
	/*
	 * RFC 5176 3.5 (RFC 3576 5.4): an Event-Timestamp not current is
	 * silently discarded, and so, when configured, is a request
	 * without one: a request recorded and replayed later could hit
	 * another session that reuses the NAS-Port or address.
	 */
	if (d->has_ts ? (int64_t)d->ts + config->dae_event_window <
	    (int64_t)time_now || (int64_t)d->ts > (int64_t)time_now +
	    config->dae_event_window : config->dae_require_event_timestamp) {
		why = d->has_ts ? "Event-Timestamp outside dae_event_window" :
		    "no Event-Timestamp (dae_require_event_timestamp)";
		free(d);
		stats->dae_stale++;
		goto drop;
	}
	/* Note 6: Authorize Only needs a reauthorisation we do not do. */
	if (ec == 0 && d->has_service && d->service != SERVICE_FRAMED)
		ec = EC_UNSUPPORTED_SERVICE;
	if (ec == 0)
		ec = dae_find(d, &s);
	if (ec == 0)
		ec = d->code == RAD_DISCONNECT_REQUEST ? dae_disconnect(s, d) :
		    dae_coa(s, d);
	if (ec) {
		stats->dae_naks++;
		LOG(LOG_WARN_L, s, 0, "RADIUS %s from %s refused: Error-Cause "
		    "%u", radius_code_name(d->code), inet_ntoa(from->sin_addr), ec);
	}
	out = dae_answer(d, ec, reply, cap, secret);
	if (out > 0 && out <= sizeof(c->reply)) {
		c = &dae_cache[dae_cache_next++ % DAE_CACHE];
		c->ip = from->sin_addr.s_addr;
		c->port = from->sin_port;
		c->id = d->id;
		memcpy(c->auth, d->auth, 16);
		c->at_ms = now_ms;
		c->len = (uint16_t)out;
		memcpy(c->reply, reply, out);
	}
	free(d);
	return out;
drop:
	if (log_rl_ok(&rl, time_now))
		LOG(LOG_WARN_L, 0, 0, "RADIUS DAE: %zu octets from %s:%u "
		    "dropped: %s", n, inet_ntoa(from->sin_addr),
		    ntohs(from->sin_port), why);
	return 0;
}

/* A slave's sessions are the master's replicas: the master acts and
 * answers (manual, "Clustering"). */
static void
dae_datagram(const uint8_t *pkt, size_t n, const struct sockaddr_in *from,
    void *arg)
{
	(void)arg;
	if (!iam_master())
		cluster_forward_dae(pkt, n, from);
	else
		dae_forwarded(pkt, n, from);
}

static void
dae_readable(int fd, uint32_t events, void *arg)
{
	uint8_t buf[RAD_MAXPKT + 1];

	(void)events;
	(void)arg;
	if (dgram_drain(fd, buf, sizeof(buf), config->multi_read_count,
	    dae_datagram, NULL) < 0 && log_rl_ok(&rl, time_now))
		LOG(LOG_WARN_L, 0, 0, "RADIUS DAE: recvfrom: %s",
		    strerror(errno));
}

void
dae_forwarded(const uint8_t *pkt, size_t n, const struct sockaddr_in *from)
{
	uint8_t reply[RAD_MAXPKT];
	size_t out;

	if (dae_fd < 0)
		return;
	out = radius_dae_input(pkt, n, from, reply, sizeof(reply));
	if (out > 0 && sendto(dae_fd, reply, out, 0,
	    (const struct sockaddr *)from, sizeof(*from)) < 0 &&
	    log_rl_ok(&rl, time_now))
		LOG(LOG_WARN_L, 0, 0, "RADIUS DAE: sendto: %s",
		    strerror(errno));
}

int
dae_open(void)
{
	struct sockaddr_in sin;
	int on = 1;

	dae_fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = config->bind_address;
	sin.sin_port = htons((uint16_t)config->radius_dae_port);
	if (dae_fd >= 0)
		setsockopt(dae_fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (dae_fd < 0 ||
	    bind(dae_fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    ev_add(dae_fd, EPOLLIN, dae_readable, NULL) < 0) {
		/* Not fatal: authentication and accounting still work. */
		log_error("RADIUS: no Disconnect/CoA listener on port %d: %s",
		    config->radius_dae_port, strerror(errno));
		if (dae_fd >= 0)
			close(dae_fd);
		dae_fd = -1;
		return -1;
	}
	return 0;
}

int
dae_listening(void)
{
	return dae_fd >= 0;
}

void
dae_close(void)
{
	if (dae_fd >= 0) {
		ev_del(dae_fd);
		close(dae_fd);
		dae_fd = -1;
	}
}
