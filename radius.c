/*
 * radius.c - the RADIUS client: authentication and accounting requests,
 * their retries and the failover between servers.  Packets are built
 * and read by radius_codec.c; Disconnect/CoA requests arrive at dae.c.
 *
 * State owned:
 *   - RAD_NSOCK client UDP sockets (bound to radius_bind_min..max when
 *     set), each with its own 256 identifiers, and the table of
 *     requests in flight: slot = identifier * RAD_NSOCK + socket, so a
 *     reply finds its request in O(1).  Free slots wait in a FIFO, so an
 *     identifier is reused as late as possible;
 *   - per server and per port (authentication, accounting) the time
 *     until which a server that stopped answering is skipped;
 *   - per session (`struct rsess`, indexed like the session table): the
 *     pending Access-Request, the Class attributes to echo, the
 *     interim interval and the Interim-Update timer
 *     (ppp.c enforces Session-Timeout and Idle-Timeout).
 *
 * Exports (radius.h): the backend behind auth.c, radius_init/close/
 * reload/busy for l2tpns.c, the "show radius" view, and what dae.c
 * changes of a session's RADIUS state (Class, interim interval).
 *
 * Implements RFC 2865 (Access-Request with User-Password 5.2 or
 * CHAP-Password 5.3, Access-Accept/Reject/Challenge), RFC 2866
 * (Accounting Start, Interim-Update, Stop), RFC 2869 5.16
 * (Acct-Interim-Interval).
 *
 * Retries: a request is sent RAD_TRIES times to one server,
 * radius_timeout seconds apart, then to the other server; when neither
 * answers it is given up (authentication fails, accounting is lost and
 * counted).  A server that let a request down is skipped by new
 * requests for DEAD_MS unless every server is.
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

#include "l2tpns.h"
#include "auth.h"
#include "event.h"
#include "log.h"
#include "plugin.h"
#include "radius.h"
#include "cluster.h"
#include "rd.h"
#include "session.h"
#include "tbf.h"
#include "util.h"

#define RAD_NSLOT	(RAD_NSOCK * 256)
#define DEAD_MS		30000	/* a silent server is skipped this long */
#define ACCT_START	1	/* RFC 2866 5.1 */
#define ACCT_STOP	2
#define ACCT_INTERIM	3
#define AUTHENTIC_RADIUS 1	/* RFC 2866 5.6 */
#define AUTHENTIC_LOCAL	2

/* ---- requests in flight ---- */

enum req_kind { RQ_FREE = 0, RQ_AUTH, RQ_START, RQ_INTERIM, RQ_STOP };

static const char *const kind_names[] = {
	[RQ_FREE] = "FREE", [RQ_AUTH] = "AUTH", [RQ_START] = "START",
	[RQ_INTERIM] = "INTERIM", [RQ_STOP] = "STOP",
};

struct rad_req {
	uint8_t		 kind;		/* enum req_kind */
	uint8_t		 server;	/* 0 primary, 1 secondary */
	uint8_t		 tries;		/* sends to that server */
	uint8_t		 servers_tried;
	sid_t		 sid;
	uint32_t	 next_free;	/* free FIFO link, slot + 1 */
	uint32_t	 next_wait, prev_wait;	/* window queue links, slot + 1 */
	uint8_t		 waiting;	/* in the window queue, not sent */
	uint8_t		 counted;	/* in srv_out[server] */
	uint16_t	 len;
	uint16_t	 delay_off;	/* Acct-Delay-Time value, 0 = none */
	uint64_t	 born_ms;
	uint64_t	 sent_us;	/* the last send (latency metric) */
	uint8_t		*pkt;
	struct timer	 timer;
};

static struct rad_req *reqs;
static uint32_t free_head, free_tail;	/* slot + 1 */
static uint32_t acct_inflight;
static int sock_fd[RAD_NSOCK];
static uint16_t sock_port[RAD_NSOCK];
static int nsock;
static uint64_t dead_until[2][2];	/* [server][accounting] */

/*
 * The per-server window (radius_window, issue 22): at most that many
 * requests are outstanding at one server (sent and neither answered nor
 * given up; its retransmissions are the same request).  A request that
 * finds its server's window full keeps its identifier and waits, built,
 * in a FIFO; replies and give-ups free window places and the oldest
 * waiting request is sent (an Acct-Stop waits in its own queue below,
 * and the older of the two heads goes first).  A LAC's reboot brings hundreds of Access-Requests at once:
 * without the window they reach the server in one burst and overflow
 * its socket buffer (FreeRADIUS drops them, we resend after
 * radius_timeout).  0 is the unbounded behaviour.  The queue is bounded
 * at WAITQ_MAX, half the identifiers, so the other half stays for the
 * requests in flight and the Stops.
 */
#define WAITQ_MAX	(RAD_NSLOT / 2)
static uint32_t srv_out[2];		/* outstanding, per server */
static uint32_t waitq_head, waitq_tail;	/* slot + 1 */
static uint32_t waitq_len;
static int draining;

/*
 * Acct-Stops waiting for a free identifier (issue 20, finding 4): a Stop
 * is the one record that can never be sent again later, since its
 * session is gone, so when every slot is in flight it is built at once
 * (the session's fields are still readable) and queued here, then sent
 * as slots free, before any new request.  Bounded: past STOPQ_MAX the
 * Stop is lost, logged and counted.
 */
#define STOPQ_MAX	65536
struct stopq {
	uint8_t		*pkt;
	uint16_t	 len, delay_off;
	sid_t		 sid;
	uint64_t	 born_ms;
};
static struct stopq *stopq;	/* ring of STOPQ_MAX, allocated on use */
/*
 * Acct-Stops in flight at once, at most: a mass disconnect (QUIT, a LAC
 * gone, thousands of sessions) otherwise sends every Stop in one burst,
 * which overflows a RADIUS server's socket buffer and loses records
 * after the retries; the rest wait in the queue above, in order.
 */
#define STOP_MAX_INFLIGHT	256
static uint32_t stops_inflight;
static uint32_t stopq_head, stopq_len;

/*
 * Blast-RADIUS (CVE-2024-3596): per server, whether it has ever signed
 * an Access reply with a Message-Authenticator (then, under `auto`, it
 * must always), and whether we said once that it does not.  Keyed by
 * the server's address and port, so a server changed on HUP starts
 * afresh.
 */
static struct {
	in_addr_t	addr;
	in_port_t	port;
	uint8_t		seen;
	uint8_t		warned;
} msgauth[2];

/* ---- per-session state ---- */

struct rsess {
	uint32_t	 auth_slot;	/* slot + 1 of the Access-Request */
	uint32_t	 interim_slot;	/* slot + 1 of an Interim-Update */
	uint8_t		 authentic;	/* Acct-Authentic */
	uint8_t		 up;		/* radius_session_up ran */
	uint8_t		 acct;		/* Start sent: Stop owed */
	uint32_t	 interim;	/* from the Accept or a CoA; 0 = config */
	time_t		 acct_start;
	uint8_t		*class;		/* Class attributes, whole */
	uint16_t	 class_len;
	struct timer	 interim_timer;
};

static struct rsess *rsess;
static uint32_t rsess_max;
static uint32_t acct_seq;

static struct rsess *
RS(sid_t s)
{
	return rsess != NULL && s > 0 && s <= rsess_max ? &rsess[s] : NULL;
}

/* What peers can make us log (STYLE 11). */
static struct log_rl rl = LOG_RL(10, "RADIUS messages");

/* What identifies the NAS and the port (RFC 2865 4.1, 5.4-5.7, 5.30-32,
 * 5.41), in Access-Request and Accounting-Request alike. */
static void
put_nas(struct wr *w, sid_t s)
{
	const struct session *sp = session_get(s);

	if (config->bind_address)
		radius_put_addr(w, RA_NAS_IP_ADDRESS, config->bind_address);
	radius_put_str(w, RA_NAS_IDENTIFIER, config->hostname);
	radius_put_u32(w, RA_NAS_PORT, s);
	radius_put_u32(w, RA_NAS_PORT_TYPE, NAS_PORT_VIRTUAL);
	radius_put_u32(w, RA_SERVICE_TYPE, SERVICE_FRAMED);
	radius_put_u32(w, RA_FRAMED_PROTOCOL, PROTO_PPP);
	radius_put_str(w, RA_CALLING_STATION_ID, sp->calling);
	radius_put_str(w, RA_CALLED_STATION_ID, sp->called);
}

/* ---- reading attributes ---- */


/*
 * Each Cisco-AVPair to the radius_response plugins, in the reply's
 * order (manual, "Plugins"): the autothrottle plugin sets the rates
 * from them, autosnoop the interception target.
 */
void
radius_apply_pairs(sid_t s, const struct auth_reply *rp)
{
	struct session *sp = session_get(s);
	int i;

	for (i = 0; i < rp->navpairs; i++) {
		struct param_radius_response p = { .sid = s,
		    .tid = sp->tunnel, .key = rp->avpair[i].key,
		    .value = rp->avpair[i].value };

		plugin_run(PLUGIN_RADIUS_RESPONSE, &p);
	}
	if (sp->rate_in || sp->rate_out)
		LOG(LOG_INFO_L, s, sp->tunnel, "rate from RADIUS: in %u, out "
		    "%u kbit/s", sp->rate_in, sp->rate_out);
}

static int
set_class(struct rsess *rs, const uint8_t *c, size_t n)
{
	uint8_t *p = NULL;

	if (n > 0 && (p = malloc(n)) == NULL)
		return -1;
	if (n > 0)
		memcpy(p, c, n);
	free(rs->class);
	rs->class = p;
	rs->class_len = (uint16_t)n;
	return 0;
}
/* ---- servers ---- */

static int
server_addr(int i, int acct, struct sockaddr_in *sa)
{
	in_addr_t ip = i == 0 ? config->primary_radius :
	    i == 1 ? config->secondary_radius : 0;
	int port = i == 0 ? config->primary_radius_port :
	    config->secondary_radius_port;

	if (ip == 0 || config->primary_radius == 0)
		return -1;
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_addr.s_addr = ip;
	sa->sin_port = htons((uint16_t)(port + acct));
	return 0;
}

static int
nservers(void)
{
	struct sockaddr_in sa;

	return (server_addr(0, 0, &sa) == 0) + (server_addr(1, 0, &sa) == 0);
}

/* The first server not known to be silent; the primary if all are. */
static int
first_server(int acct)
{
	struct sockaddr_in sa;
	int i;

	for (i = 0; i < 2; i++)
		if (server_addr(i, acct, &sa) == 0 &&
		    dead_until[i][acct] <= now_ms)
			return i;
	return 0;
}

/* Which configured server a datagram came from (address and either of
 * its ports); -1 if none. */
static int
server_of(const struct sockaddr_in *from)
{
	struct sockaddr_in sa;
	int i, acct;

	for (i = 0; i < 2; i++)
		for (acct = 0; acct < 2; acct++)
			if (server_addr(i, acct, &sa) == 0 &&
			    sa.sin_addr.s_addr == from->sin_addr.s_addr &&
			    sa.sin_port == from->sin_port)
				return i;
	return -1;
}

int
radius_is_server(in_addr_t a)
{
	return a != 0 && config->primary_radius != 0 &&
	    (a == config->primary_radius || a == config->secondary_radius);
}

/* ---- request slots ---- */

static void window_drain(void);

static uint32_t
slot_alloc(void)
{
	uint32_t slot;

	if (free_head == 0)
		return 0;
	slot = free_head - 1;
	free_head = reqs[slot].next_free;
	if (free_head == 0)
		free_tail = 0;
	reqs[slot].next_free = 0;
	return slot + 1;
}

static void
slot_push(uint32_t slot)
{
	reqs[slot].next_free = 0;
	if (free_tail)
		reqs[free_tail - 1].next_free = slot + 1;
	else
		free_head = slot + 1;
	free_tail = slot + 1;
}

/* ---- the per-server window and its queue ---- */

static int
win_room(int srv)
{
	return config->radius_window <= 0 ||
	    srv_out[srv] < (uint32_t)config->radius_window;
}

static void
win_take(struct rad_req *q)
{
	srv_out[q->server]++;
	q->counted = 1;
}

/* The request no longer counts against its server's window. */
static void
win_release(struct rad_req *q)
{
	if (q->counted && srv_out[q->server] > 0)
		srv_out[q->server]--;
	q->counted = 0;
}

/* Into the window queue, at its tail, or at its head for a request
 * already under way (a failover waits before the new ones). */
static void
waitq_put(uint32_t slot, int front)
{
	struct rad_req *q = &reqs[slot];

	q->waiting = 1;
	if (front) {
		q->prev_wait = 0;
		q->next_wait = waitq_head;
		if (waitq_head)
			reqs[waitq_head - 1].prev_wait = slot + 1;
		else
			waitq_tail = slot + 1;
		waitq_head = slot + 1;
	} else {
		q->next_wait = 0;
		q->prev_wait = waitq_tail;
		if (waitq_tail)
			reqs[waitq_tail - 1].next_wait = slot + 1;
		else
			waitq_head = slot + 1;
		waitq_tail = slot + 1;
	}
	waitq_len++;
}

static void
waitq_unlink(uint32_t slot)
{
	struct rad_req *q = &reqs[slot];

	if (!q->waiting)
		return;
	if (q->prev_wait)
		reqs[q->prev_wait - 1].next_wait = q->next_wait;
	else
		waitq_head = q->next_wait;
	if (q->next_wait)
		reqs[q->next_wait - 1].prev_wait = q->prev_wait;
	else
		waitq_tail = q->prev_wait;
	q->next_wait = q->prev_wait = 0;
	q->waiting = 0;
	waitq_len--;
}

static void
slot_free(uint32_t slot)
{
	struct rad_req *q = &reqs[slot];

	timer_cancel(&q->timer);
	waitq_unlink(slot);
	win_release(q);
	free(q->pkt);
	if (q->kind != RQ_AUTH && q->kind != RQ_FREE && acct_inflight > 0)
		acct_inflight--;
	if (q->kind == RQ_STOP && stops_inflight > 0)
		stops_inflight--;
	q->pkt = NULL;
	q->kind = RQ_FREE;
	slot_push(slot);
	window_drain();
}

static void
req_send(uint32_t slot)
{
	struct rad_req *q = &reqs[slot];
	struct sockaddr_in sa;
	int acct = q->kind != RQ_AUTH;
	int fd = sock_fd[slot % RAD_NSOCK];

	timer_set(&q->timer, (uint64_t)config->radius_timeout * 1000);
	if (server_addr(q->server, acct, &sa) < 0)
		return;		/* the server went on HUP: the timer ends it */
	q->tries++;
	q->sent_us = mono_us();
	if (q->server < 2)
		stats->radius_srv_tx[q->server][q->kind]++;
	if (acct)
		stats->radius_acct_tx++;
	else
		stats->radius_auth_tx++;
	if (q->tries > 1)
		stats->radius_retransmits++;
	radius_log_packet(q->sid, "send", q->pkt, q->len);
	if (fd >= 0 && sendto(fd, q->pkt, q->len, 0, (struct sockaddr *)&sa,
	    sizeof(sa)) < 0 && log_rl_ok(&rl, time_now))
		LOG(LOG_WARN_L, q->sid, 0, "RADIUS: sendto %s:%u: %s",
		    inet_ntoa(sa.sin_addr), ntohs(sa.sin_port), strerror(errno));
	LOG(LOG_CALLS_L, q->sid, 0, "RADIUS: %s %s id %u to %s:%u (try %u)",
	    kind_names[q->kind], radius_code_name(acct ? RAD_ACCT_REQUEST :
	    RAD_ACCESS_REQUEST), slot / RAD_NSOCK,
	    inet_ntoa(sa.sin_addr), ntohs(sa.sin_port), q->tries);
}

/*
 * Start a request whose packet is in q->pkt: sent now, or queued behind
 * the window (`now` for a Stop the caller let through the window).
 * 0, or -1 when the queue is full (the slot is the caller's to free).
 */
static int
req_start(uint32_t slot, int now)
{
	struct rad_req *q = &reqs[slot];

	q->server = (uint8_t)first_server(q->kind != RQ_AUTH);
	q->tries = 0;
	q->servers_tried = 1;
	q->born_ms = now_ms;
	if (!now && (waitq_len > 0 || !win_room(q->server))) {
		if (waitq_len >= WAITQ_MAX) {
			stats->radius_queue_full++;
			return -1;
		}
		if (!win_room(q->server))
			stats->radius_window_full++;
		stats->radius_queued++;
		waitq_put(slot, 0);
		LOG(LOG_CALLS_L, q->sid, 0, "RADIUS: %s waits for the window "
		    "(%u outstanding at the %s server, %u waiting)",
		    kind_names[q->kind], srv_out[q->server],
		    q->server ? "secondary" : "primary", waitq_len);
		return 0;
	}
	win_take(q);
	req_send(slot);
	return 0;
}

/* RFC 2866 5.2: an accounting request says how long it was held back;
 * the content changed, so it is signed again. */
static void
set_delay(struct rad_req *q, uint64_t since_ms)
{
	uint32_t d = (uint32_t)((now_ms - since_ms) / 1000);

	if (!q->delay_off)
		return;
	q->pkt[q->delay_off] = (uint8_t)(d >> 24);
	q->pkt[q->delay_off + 1] = (uint8_t)(d >> 16);
	q->pkt[q->delay_off + 2] = (uint8_t)(d >> 8);
	q->pkt[q->delay_off + 3] = (uint8_t)d;
	radius_sign_request(q->pkt, q->len, config->radius_secret);
}

static int stopq_ready(void);
static void stopq_send(void);

/*
 * Window places or identifiers freed (a reply, a give-up, a failover):
 * the waiting requests and the queued Stops go, the older first (so a
 * session's Start still leaves before its Stop), each to the server it
 * would choose now (a failover keeps the server it moved to), while
 * that server's window has room.
 */
static void
window_drain(void)
{
	struct rad_req *q;
	uint32_t slot;
	int acct, stop_ok, wait_ok;

	if (draining)
		return;
	draining = 1;
	for (;;) {
		stop_ok = stopq_ready();
		wait_ok = 0;
		q = NULL;
		slot = 0;
		if (waitq_head != 0) {
			slot = waitq_head - 1;
			q = &reqs[slot];
			acct = q->kind != RQ_AUTH;
			if (q->servers_tried <= 1)
				q->server = (uint8_t)first_server(acct);
			wait_ok = win_room(q->server);
		}
		if (stop_ok && (!wait_ok ||
		    stopq[stopq_head].born_ms < q->born_ms)) {
			stopq_send();
			continue;
		}
		if (!wait_ok)
			break;
		waitq_unlink(slot);
		if (q->kind != RQ_AUTH && q->tries == 0 &&
		    now_ms - q->born_ms >= 1000)
			set_delay(q, q->born_ms);
		win_take(q);
		req_send(slot);
	}
	draining = 0;
}

static void auth_failed(uint32_t slot, const char *why);

/*
 * An Access-Request was just given up and every server is now skipped:
 * the Access-Requests still waiting for the window would only go to
 * silent servers, each a window's worth after the other; they fail now,
 * as they would have without the window.  Accounting keeps waiting.
 * Then the window's free places are used.
 */
static void
waiting_auth_fail(void)
{
	struct sockaddr_in sa;
	uint32_t *v, i, n = 0, s;
	int k;

	for (k = 0; k < 2; k++)
		if (server_addr(k, 0, &sa) == 0 && dead_until[k][0] <= now_ms)
			goto drain;
	if (waitq_len == 0 || (v = malloc(waitq_len * sizeof(*v))) == NULL)
		goto drain;
	for (s = waitq_head; s != 0; s = reqs[s - 1].next_wait)
		if (reqs[s - 1].kind == RQ_AUTH && reqs[s - 1].servers_tried <= 1)
			v[n++] = s - 1;
	draining = 1;		/* one drain at the end */
	for (i = 0; i < n; i++)
		if (reqs[v[i]].kind == RQ_AUTH && reqs[v[i]].waiting) {
			stats->radius_timeouts++;	/* given up too */
			auth_failed(v[i], "no RADIUS server answers (the "
			    "request waited for the window)");
		}
	draining = 0;
	free(v);
drain:
	window_drain();
}

/* The retransmission timer: again, the next server, or give up. */
static void
req_timeout(struct timer *t, void *arg)
{
	uint32_t slot = (uint32_t)(uintptr_t)arg;
	struct rad_req *q = &reqs[slot];
	int acct = q->kind != RQ_AUTH;
	struct sockaddr_in sa;

	(void)t;
	if (q->kind == RQ_FREE)
		return;
	if (q->tries < RAD_TRIES && server_addr(q->server, acct, &sa) == 0) {
		req_send(slot);
		return;
	}
	/* This server let the request down: others go elsewhere a while. */
	if (q->server < 2) {
		dead_until[q->server][acct] = now_ms + DEAD_MS;
		stats->radius_srv_timeouts[q->server]++;
	}
	if (q->servers_tried < nservers()) {
		win_release(q);
		q->server = q->server == 0 ? 1 : 0;
		q->servers_tried++;
		q->tries = 0;
		stats->radius_failovers++;
		/* RFC 2866 5.2: how long we have been trying. */
		set_delay(q, q->born_ms);
		LOG(LOG_WARN_L, q->sid, 0, "RADIUS: no answer to %s after %d "
		    "tries: trying the %s server", kind_names[q->kind],
		    RAD_TRIES, q->server == 0 ? "primary" : "secondary");
		if (win_room(q->server)) {
			win_take(q);
			req_send(slot);
		} else {
			/* It keeps its place: first in the queue. */
			stats->radius_window_full++;
			stats->radius_queued++;
			waitq_put(slot, 1);
		}
		window_drain();
		return;
	}
	stats->radius_timeouts++;
	if (q->kind == RQ_AUTH) {
		draining = 1;		/* not yet: the next may fail too */
		auth_failed(slot, "no RADIUS server answered");
		draining = 0;
		waiting_auth_fail();
		return;
	}
	if (log_rl_ok(&rl, time_now))
		LOG(LOG_ERROR_L, q->sid, 0, "RADIUS: accounting %s lost: no server "
		    "answered", kind_names[q->kind]);
	if (q->kind == RQ_INTERIM) {
		struct rsess *rs = RS(q->sid);

		if (rs && rs->interim_slot == slot + 1)
			rs->interim_slot = 0;
	}
	slot_free(slot);
}

/* ---- authentication ---- */

static size_t
auth_build(const struct auth_req *rq, uint8_t id, uint8_t *buf, size_t cap)
{
	static const uint8_t zero[16];
	const struct session *sp = session_get(rq->sid);
	const char *secret = config->radius_secret;
	uint8_t ra[16], hidden[128], mac[16];
	struct wr w;
	size_t ma, n;

	/* RFC 2865 3: the Request Authenticator is unpredictable */
	random_bytes(ra, sizeof(ra));
	wr_init(&w, buf, cap);
	wr_u8(&w, RAD_ACCESS_REQUEST);
	wr_u8(&w, id);
	wr_u16(&w, 0);
	wr_bytes(&w, ra, 16);
	radius_put_str(&w, RA_USER_NAME, rq->user);
	if (rq->proto == PPP_PAP) {
		/* 5.2 */
		if ((n = radius_hide_password(rq->password, rq->password_len,
		    secret, ra, hidden)) == 0)
			return 0;
		radius_put_attr(&w, RA_USER_PASSWORD, hidden, n);
	} else if (rq->chap_alg == CHAP_ALG_MSCHAPV2) {
		/* RFC 2548 2.1.2 and 2.3.2: the challenge; Ident, Flags,
		 * Peer-Challenge, Reserved (zero), Response */
		uint8_t mr[2 + 16 + 8 + 24];

		memset(mr, 0, sizeof(mr));
		mr[0] = rq->chap_id;
		mr[1] = rq->ms_flags;
		memcpy(mr + 2, rq->ms_peer_chal, 16);
		memcpy(mr + 26, rq->ms_nt_resp, 24);
		radius_put_vsa(&w, VENDOR_MICROSOFT, MS_CHAP_CHALLENGE,
		    rq->challenge, rq->challenge_len);
		radius_put_vsa(&w, VENDOR_MICROSOFT, MS_CHAP2_RESPONSE, mr,
		    sizeof(mr));
	} else {
		/* 5.3: CHAP Ident and Response; 5.40: the challenge */
		uint8_t cp[17];

		cp[0] = rq->chap_id;
		memcpy(cp + 1, rq->response, 16);
		radius_put_attr(&w, RA_CHAP_PASSWORD, cp, sizeof(cp));
		radius_put_attr(&w, RA_CHAP_CHALLENGE, rq->challenge,
		    rq->challenge_len);
	}
	put_nas(&w, rq->sid);
	radius_put_str(&w, RA_ACCT_SESSION_ID, sp->acct_session_id);
	/* RFC 2869 5.14, computed over the whole packet, itself zero */
	ma = w.len + 2;
	radius_put_attr(&w, RA_MESSAGE_AUTHENTICATOR, zero, 16);
	if (w.err)
		return 0;
	wr_put16_at(&w, 2, (uint16_t)w.len);
	radius_hmac_md5((const uint8_t *)secret, strlen(secret), buf, w.len,
	    mac);
	memcpy(buf + ma, mac, 16);
	return w.len;
}

static void
auth_reply_now(sid_t s, const char *msg)
{
	struct auth_reply rp;

	memset(&rp, 0, sizeof(rp));
	snprintf(rp.msg, sizeof(rp.msg), "%s", msg);
	ppp_auth_done(s, &rp);
}

void
radius_auth_submit(const struct auth_req *rq)
{
	struct rsess *rs = RS(rq->sid);
	uint8_t buf[RAD_MAXPKT];
	struct rad_req *q;
	uint32_t v, slot;
	size_t n;

	if (rs == NULL || reqs == NULL) {
		LOG(LOG_ERROR_L, rq->sid, 0, "RADIUS: client not started: "
		    "refusing \"%s\"", rq->user);
		auth_reply_now(rq->sid, "Authentication failed");
		return;
	}
	if (config->radius_secret[0] == '\0') {
		LOG(LOG_ERROR_L, rq->sid, 0, "RADIUS: radius_secret is not set: "
		    "cannot authenticate \"%s\"", rq->user);
		auth_reply_now(rq->sid, "Authentication failed");
		return;
	}
	radius_auth_cancel(rq->sid);
	if ((v = slot_alloc()) == 0) {
		stats->radius_overflow++;
		if (log_rl_ok(&rl, time_now))
			LOG(LOG_ERROR_L, rq->sid, 0, "RADIUS: %u requests in flight, "
			    "no identifier free: refusing \"%s\"", RAD_NSLOT, rq->user);
		auth_reply_now(rq->sid, "Authentication server busy");
		return;
	}
	slot = v - 1;
	q = &reqs[slot];
	n = auth_build(rq, (uint8_t)(slot / RAD_NSOCK), buf, sizeof(buf));
	if (n == 0 || (q->pkt = malloc(n)) == NULL) {
		slot_push(slot);
		LOG(LOG_ERROR_L, rq->sid, 0, "RADIUS: cannot build the "
		    "Access-Request for \"%s\" (password over 128 octets?)",
		    rq->user);
		auth_reply_now(rq->sid, "Authentication failed");
		return;
	}
	memcpy(q->pkt, buf, n);
	q->len = (uint16_t)n;
	q->delay_off = 0;
	q->kind = RQ_AUTH;
	q->sid = rq->sid;
	rs->auth_slot = v;
	LOG(LOG_INFO_L, rq->sid, session_get(rq->sid)->tunnel, "RADIUS: "
	    "Access-Request for \"%s\" (%s)", rq->user,
	    rq->proto == PPP_PAP ? "PAP" : rq->chap_alg == CHAP_ALG_MSCHAPV2 ?
	    "MS-CHAPv2" : "CHAP");
	if (req_start(slot, 0) < 0) {
		rs->auth_slot = 0;
		slot_free(slot);
		if (log_rl_ok(&rl, time_now))
			LOG(LOG_ERROR_L, rq->sid, 0, "RADIUS: %u requests wait for "
			    "the window (radius_window %d): refusing \"%s\"",
			    waitq_len, config->radius_window, rq->user);
		auth_reply_now(rq->sid, "Authentication server busy");
	}
}

void
radius_auth_cancel(sid_t s)
{
	struct rsess *rs = RS(s);

	if (rs == NULL || rs->auth_slot == 0)
		return;
	slot_free(rs->auth_slot - 1);
	rs->auth_slot = 0;
}

static void
auth_failed(uint32_t slot, const char *why)
{
	sid_t s = reqs[slot].sid;
	struct rsess *rs = RS(s);
	struct session *sp = session_get(s);

	if (rs && rs->auth_slot == slot + 1)
		rs->auth_slot = 0;
	slot_free(slot);
	if (log_rl_ok(&rl, time_now))
		LOG(LOG_ERROR_L, s, sp ? sp->tunnel : 0, "RADIUS: %s for \"%s\"", why,
		    sp ? sp->user : "?");
	auth_reply_now(s, "Authentication server not responding");
}

/* What an Access-Accept gives the session besides what ppp.c applies. */
static void
accept_apply(sid_t s, struct auth_reply *rp)
{
	struct session *sp = session_get(s);
	struct rsess *rs = RS(s);

	if (set_class(rs, rp->class, rp->class_len) < 0)
		LOG(LOG_ERROR_L, s, sp->tunnel, "RADIUS: no memory for Class");
	rs->interim = rp->interim;
	/* Framed-Route (RFC 2865 5.22): session.c routes them at UP. */
	session_set_routes(s, rp->route, rp->nroutes);
	if (rp->filter_in[0] && acl_find(config, rp->filter_in) == NULL) {
		LOG(LOG_WARN_L, s, sp->tunnel, "RADIUS: Filter-Id %s.in: no "
		    "such access list (ignored)", rp->filter_in);
		rp->filter_in[0] = '\0';
	}
	if (rp->filter_out[0] && acl_find(config, rp->filter_out) == NULL) {
		LOG(LOG_WARN_L, s, sp->tunnel, "RADIUS: Filter-Id %s.out: no "
		    "such access list (ignored)", rp->filter_out);
		rp->filter_out[0] = '\0';
	}
	session_set_filters(s, rp->filter_in, rp->filter_out);
	/* One prefix per session: the delegated one, else the framed. */
	if (rp->delegated_len)
		session_set_ipv6_prefix(s, &rp->delegated_prefix,
		    rp->delegated_len);
	else if (rp->ipv6_prefix_len)
		session_set_ipv6_prefix(s, &rp->ipv6_prefix,
		    rp->ipv6_prefix_len);
	radius_apply_pairs(s, rp);
}

static void
auth_answer(uint32_t slot, uint8_t code, const uint8_t *pkt, size_t len)
{
	sid_t s = reqs[slot].sid;
	struct rsess *rs = RS(s);
	struct session *sp = session_get(s);
	struct auth_reply rp;
	uint8_t ra[16];
	int e;

	rs->auth_slot = 0;
	memcpy(ra, reqs[slot].pkt + 4, 16);	/* for Tunnel-Password */
	slot_free(slot);
	memset(&rp, 0, sizeof(rp));
	e = radius_parse_reply(pkt, len, &rp);
	if (e == RAD_OK)
		radius_tunnel_passwords(&rp, config->radius_secret, ra);
	if (code == RAD_ACCESS_ACCEPT) {
		stats->radius_accepts++;
		rp.ok = 1;
		if (e != RAD_OK) {
			/* RFC 2865 5: treated as an Access-Reject */
			LOG(LOG_WARN_L, s, sp->tunnel, "RADIUS: Access-Accept "
			    "with a malformed attribute: rejecting \"%s\"",
			    sp->user);
			rp.ok = 0;
			rp.msg[0] = '\0';
		} else if (rp.has_session_timeout && rp.session_timeout == 0 &&
		    config->kill_timedout_sessions) {
			LOG(LOG_INFO_L, s, sp->tunnel, "RADIUS: Session-Timeout "
			    "0 for \"%s\" and kill_timedout_sessions: refusing",
			    sp->user);
			rp.ok = 0;
			snprintf(rp.msg, sizeof(rp.msg), "Session timed out");
		}
	} else {
		stats->radius_rejects++;
		if (code == RAD_ACCESS_CHALLENGE)
			LOG(LOG_WARN_L, s, sp->tunnel, "RADIUS: Access-Challenge "
			    "for \"%s\": PAP and CHAP cannot answer it, "
			    "rejecting", sp->user);
	}
	if (rp.ok) {
		LOG(LOG_INFO_L, s, sp->tunnel, "RADIUS: Access-Accept for "
		    "\"%s\"", sp->user);
		accept_apply(s, &rp);
	} else {
		if (!rp.msg[0])
			snprintf(rp.msg, sizeof(rp.msg), "Authentication "
			    "failed");
		LOG(LOG_WARN_L, s, sp->tunnel, "RADIUS: %s for \"%s\"",
		    radius_code_name(code), sp->user);
	}
	ppp_auth_done(s, &rp);
}

/* ---- accounting, RFC 2866 ---- */

/*
 * A relayed session's far end (RFC 2867 4, the RFC 2868 attributes in
 * accounting): L2TP over IPv4 to the far LNS's address, and
 * Acct-Tunnel-Connection naming our tunnel and call to it.
 */
static void
put_relay(struct wr *w, const struct session *sp)
{
	const struct session *op = session_get(sp->relay);
	const struct tunnel *tp;
	char a[INET_ADDRSTRLEN], conn[48];

	if (op == NULL || op->state == SESSION_FREE ||
	    (tp = tunnel_get(op->tunnel)) == NULL)
		return;
	radius_put_u32(w, RA_TUNNEL_TYPE, 3);		/* L2TP, tag 0 */
	radius_put_u32(w, RA_TUNNEL_MEDIUM_TYPE, 1);	/* IPv4 */
	inet_ntop(AF_INET, &tp->peer.sin_addr, a, sizeof(a));
	radius_put_str(w, RA_TUNNEL_SERVER_ENDPOINT, a);
	snprintf(conn, sizeof(conn), "%u/%u", tp->local_id, op->local_id);
	radius_put_str(w, RA_ACCT_TUNNEL_CONNECTION, conn);
}

static size_t
acct_build(sid_t s, int status, int cause, uint8_t id, uint8_t *buf,
    size_t cap, uint16_t *delay_off)
{
	const struct session *sp = session_get(s);
	const struct rsess *rs = RS(s);
	struct wr w;
	size_t before;

	wr_init(&w, buf, cap);
	wr_u8(&w, RAD_ACCT_REQUEST);
	wr_u8(&w, id);
	wr_u16(&w, 0);
	wr_bytes(&w, (const uint8_t[16]){ 0 }, 16);
	radius_put_str(&w, RA_USER_NAME, sp->user);
	put_nas(&w, s);
	if (sp->ip)
		radius_put_addr(&w, RA_FRAMED_IP_ADDRESS, sp->ip);
	radius_put_u32(&w, RA_ACCT_STATUS_TYPE, (uint32_t)status);	/* 5.1 */
	radius_put_str(&w, RA_ACCT_SESSION_ID, sp->acct_session_id);	/* 5.5 */
	radius_put_u32(&w, RA_ACCT_AUTHENTIC, rs->authentic ? rs->authentic :
	    AUTHENTIC_RADIUS);					/* 5.6 */
	*delay_off = (uint16_t)(w.len + 2);
	radius_put_u32(&w, RA_ACCT_DELAY_TIME, 0);			/* 5.2 */
	radius_put_u32(&w, RA_EVENT_TIMESTAMP, (uint32_t)time_now);	/* 2869 5.3 */
	if (rs->class_len)					/* 2865 5.25 */
		wr_bytes(&w, rs->class, rs->class_len);
	if (sp->relay && !sp->relay_out)
		put_relay(&w, sp);
	if (sp->session_timeout)
		radius_put_u32(&w, RA_SESSION_TIMEOUT, sp->session_timeout);
	if (sp->idle_timeout)
		radius_put_u32(&w, RA_IDLE_TIMEOUT, sp->idle_timeout);
	if (status != ACCT_START) {
		/* 5.3-5.4, 5.7-5.9; RFC 2869 5.1-5.2 for the wraps */
		radius_put_u32(&w, RA_ACCT_SESSION_TIME,
		    (uint32_t)(time_now - rs->acct_start));
		radius_put_u32(&w, RA_ACCT_INPUT_OCTETS, (uint32_t)sp->cin);
		radius_put_u32(&w, RA_ACCT_OUTPUT_OCTETS, (uint32_t)sp->cout);
		radius_put_u32(&w, RA_ACCT_INPUT_GIGAWORDS, (uint32_t)(sp->cin >> 32));
		radius_put_u32(&w, RA_ACCT_OUTPUT_GIGAWORDS,
		    (uint32_t)(sp->cout >> 32));
		radius_put_u32(&w, RA_ACCT_INPUT_PACKETS, (uint32_t)sp->pin);
		radius_put_u32(&w, RA_ACCT_OUTPUT_PACKETS, (uint32_t)sp->pout);
	}
	if (status == ACCT_STOP)
		radius_put_u32(&w, RA_ACCT_TERMINATE_CAUSE, (uint32_t)cause); /* 5.10 */
	if (w.err)
		return 0;
	before = w.len;
	if (plugin_hooked[PLUGIN_RADIUS_ACCOUNT]) {
		struct param_radius_account pa = { .sid = s, .tid = sp->tunnel,
		    .status_type = status, .buf = buf, .len = &w.len,
		    .cap = cap };
		struct rd r, v;
		uint8_t t;
		int k;

		plugin_run(PLUGIN_RADIUS_ACCOUNT, &pa);
		/* What a plugin added must be whole attributes. */
		if (w.len < before || w.len > cap)
			k = -1;
		else {
			rd_init(&r, buf + before, w.len - before);
			while ((k = radius_attr_next(&r, &t, &v)) == 1)
				;
		}
		if (k < 0) {
			LOG(LOG_WARN_L, s, sp->tunnel, "RADIUS: a radius_account "
			    "plugin added malformed attributes (dropped)");
			w.len = before;
		}
	}
	wr_put16_at(&w, 2, (uint16_t)w.len);
	radius_sign_request(buf, w.len, config->radius_secret);
	return w.len;
}

static int
acct_on(void)
{
	return config->radius_accounting && config->primary_radius != 0 &&
	    config->radius_secret[0] != '\0' && reqs != NULL;
}

/* A Stop with no identifier free: build it now, send it later. */
static void
stopq_put(sid_t s, int cause)
{
	const struct session *sp = session_get(s);
	uint8_t buf[RAD_MAXPKT];
	struct stopq *e;
	uint16_t doff;
	size_t n;

	if (stopq == NULL &&
	    (stopq = calloc(STOPQ_MAX, sizeof(*stopq))) == NULL)
		goto lost;
	if (stopq_len == STOPQ_MAX)
		goto lost;
	if ((n = acct_build(s, ACCT_STOP, cause, 0, buf, sizeof(buf),
	    &doff)) == 0)
		goto lost;
	e = &stopq[(stopq_head + stopq_len) % STOPQ_MAX];
	if ((e->pkt = malloc(n)) == NULL)
		goto lost;
	memcpy(e->pkt, buf, n);
	e->len = (uint16_t)n;
	e->delay_off = doff;
	e->sid = s;
	e->born_ms = now_ms;
	stopq_len++;
	stats->radius_stop_queued++;
	LOG(LOG_CALLS_L, s, sp->tunnel, "RADIUS: accounting STOP for \"%s\" "
	    "queued (%u waiting, %u in flight)", sp->user, stopq_len,
	    stops_inflight);
	return;
lost:
	stats->radius_stop_lost++;
	if (log_rl_ok(&rl, time_now))
		LOG(LOG_ERROR_L, s, sp->tunnel, "RADIUS: accounting STOP for "
		    "\"%s\" lost: %u Stops already wait for an identifier",
		    sp->user, stopq_len);
}

/* A queued Stop can go: an identifier free, room in the pacing and in
 * the window of the server it would go to (window_drain). */
static int
stopq_ready(void)
{
	return stopq_len > 0 && stops_inflight < STOP_MAX_INFLIGHT &&
	    win_room(first_server(1)) && free_head != 0;
}

/* The oldest queued Stop, sent (stopq_ready() said it can go). */
static void
stopq_send(void)
{
	struct stopq *e;
	struct rad_req *q;
	uint32_t v, slot;

	if ((v = slot_alloc()) != 0) {
		slot = v - 1;
		q = &reqs[slot];
		e = &stopq[stopq_head];
		stopq_head = (stopq_head + 1) % STOPQ_MAX;
		stopq_len--;
		q->pkt = e->pkt;
		q->len = e->len;
		q->delay_off = e->delay_off;
		q->kind = RQ_STOP;
		q->sid = e->sid;
		e->pkt = NULL;
		/* Our identifier, and RFC 2866 5.2: how long it waited. */
		q->pkt[1] = (uint8_t)(slot / RAD_NSOCK);
		set_delay(q, e->born_ms);
		acct_inflight++;
		stops_inflight++;
		req_start(slot, 1);
		q->born_ms = e->born_ms;
	}
}

/* Queue one accounting request; the slot + 1, or 0. */
static uint32_t
acct_send(sid_t s, int status, int cause)
{
	static const uint8_t kinds[] = { [ACCT_START] = RQ_START,
	    [ACCT_STOP] = RQ_STOP, [ACCT_INTERIM] = RQ_INTERIM };
	const struct session *sp = session_get(s);
	uint8_t buf[RAD_MAXPKT];
	struct rad_req *q;
	uint32_t v, slot;
	uint16_t doff;
	size_t n;

	/* Behind the waiting requests too: a session's Start goes first. */
	if (status == ACCT_STOP && (stops_inflight >= STOP_MAX_INFLIGHT ||
	    stopq_len > 0 || waitq_len > 0 || !win_room(first_server(1)))) {
		if (!win_room(first_server(1)))
			stats->radius_window_full++;
		stopq_put(s, cause);	/* paced, in order */
		return 0;
	}
	if ((v = slot_alloc()) == 0) {
		stats->radius_overflow++;
		if (status == ACCT_STOP) {
			stopq_put(s, cause);
			return 0;
		}
		if (log_rl_ok(&rl, time_now))
			LOG(LOG_ERROR_L, s, sp->tunnel, "RADIUS: no identifier free: "
			    "accounting %s for \"%s\" not sent", kind_names[kinds[status]],
			    sp->user);
		return 0;
	}
	slot = v - 1;
	q = &reqs[slot];
	n = acct_build(s, status, cause, (uint8_t)(slot / RAD_NSOCK), buf,
	    sizeof(buf), &doff);
	if (n == 0 || (q->pkt = malloc(n)) == NULL) {
		slot_push(slot);
		LOG(LOG_ERROR_L, s, sp->tunnel, "RADIUS: cannot build the "
		    "accounting %s", kind_names[kinds[status]]);
		return 0;
	}
	memcpy(q->pkt, buf, n);
	q->len = (uint16_t)n;
	q->delay_off = doff;
	q->kind = kinds[status];
	q->sid = s;
	acct_inflight++;
	if (q->kind == RQ_STOP)
		stops_inflight++;
	LOG(LOG_INFO_L, s, sp->tunnel, "RADIUS: accounting %s for \"%s\" "
	    "(%s)", kind_names[q->kind], sp->user, sp->acct_session_id);
	/* A Stop here passed the window check above: it never waits. */
	if (req_start(slot, q->kind == RQ_STOP) < 0) {
		if (log_rl_ok(&rl, time_now))
			LOG(LOG_ERROR_L, s, sp->tunnel, "RADIUS: %u requests wait "
			    "for the window: accounting %s for \"%s\" not sent",
			    waitq_len, kind_names[q->kind], sp->user);
		slot_free(slot);
		return 0;
	}
	return v;
}

static uint32_t
interim_secs(const struct rsess *rs)
{
	return rs->interim ? rs->interim : (uint32_t)config->radius_interim;
}

/* Interim-Update (RFC 2866 5.1 value 3; RFC 2869 2.1). */
static void
interim_fire(struct timer *t, void *arg)
{
	sid_t s = (sid_t)(uintptr_t)arg;
	struct rsess *rs = RS(s);
	uint32_t ivl;

	if (rs == NULL || !rs->acct)
		return;
	ivl = interim_secs(rs);
	/* One at a time: a slow server does not pile them up. */
	if (rs->interim_slot == 0 && acct_on())
		rs->interim_slot = acct_send(s, ACCT_INTERIM, 0);
	if (ivl > 0)
		timer_set_at(t, t->when + (uint64_t)ivl * 1000);
}

static void
interim_arm(sid_t s)
{
	struct rsess *rs = RS(s);
	uint32_t ivl = interim_secs(rs);

	timer_cancel(&rs->interim_timer);
	if (rs->interim_timer.fn == NULL)
		timer_init(&rs->interim_timer, interim_fire,
		    (void *)(uintptr_t)s);
	if (rs->acct && ivl > 0)
		timer_set(&rs->interim_timer, (uint64_t)ivl * 1000);
}

int
radius_set_class(sid_t s, const uint8_t *c, size_t n)
{
	struct rsess *rs = RS(s);

	cluster_session_changed(s);	/* the slaves need the new Class */
	return rs ? set_class(rs, c, n) : 0;
}

void
radius_set_interim(sid_t s, uint32_t secs)
{
	struct rsess *rs = RS(s);

	if (rs == NULL)
		return;
	rs->interim = secs;
	interim_arm(s);
	cluster_session_changed(s);
}

/* ---- replication (cluster.c) ---- */

static void rs_reset(sid_t);

int
radius_acct_get(sid_t s, struct radius_acct_state *st)
{
	const struct rsess *rs = RS(s);

	if (rs == NULL)
		return -1;
	memset(st, 0, sizeof(*st));
	st->acct = rs->acct;
	st->authentic = rs->authentic;
	st->up = rs->up;
	st->interim = rs->interim;
	st->acct_start = (int64_t)rs->acct_start;
	st->class = rs->class;
	st->class_len = rs->class_len;
	return 0;
}

void
radius_acct_set(sid_t s, const struct radius_acct_state *st)
{
	struct rsess *rs = RS(s);

	if (rs == NULL)
		return;
	rs_reset(s);
	if (st == NULL)
		return;
	if (set_class(rs, st->class, st->class_len) < 0)
		LOG(LOG_ERROR_L, s, 0, "RADIUS: no memory for a replicated "
		    "Class");
	rs->acct = st->acct != 0;
	rs->authentic = st->authentic;
	rs->up = st->up != 0;
	rs->interim = st->interim;
	rs->acct_start = (time_t)st->acct_start;
}

void
radius_acct_adopt(sid_t s)
{
	struct rsess *rs = RS(s);
	uint32_t ivl;
	time_t next;

	if (rs == NULL || !rs->acct)
		return;
	ivl = interim_secs(rs);
	timer_cancel(&rs->interim_timer);
	if (ivl == 0 || !acct_on())
		return;
	/* RFC 2869 2.1: the old master sent one every ivl seconds from the
	 * Start; the next is the first of that schedule still to come. */
	next = rs->acct_start + ivl;
	if (next <= time_now)
		next += ((time_now - next) / ivl + 1) * ivl;
	timer_set(&rs->interim_timer, (uint64_t)(next - time_now) * 1000);
	LOG(LOG_INFO_L, s, 0, "RADIUS: accounting of \"%s\" (%s) carried "
	    "on: next interim in %lld s", session_get(s)->user,
	    session_get(s)->acct_session_id, (long long)(next - time_now));
}

/* ---- per-session life ---- */

static void
rs_reset(sid_t s)
{
	struct rsess *rs = RS(s);

	if (rs == NULL)
		return;
	radius_auth_cancel(s);
	timer_cancel(&rs->interim_timer);
	free(rs->class);
	memset(rs, 0, sizeof(*rs));
	timer_init(&rs->interim_timer, interim_fire, (void *)(uintptr_t)s);
}

void
radius_session_begin(sid_t s, int radius)
{
	struct session *sp = session_get(s);
	struct rsess *rs;

	if (sp == NULL)
		return;
	/* RFC 2866 5.5: unique; "%08X%08X" of a per-run sequence (seeded
	 * with the start time) and the session index, so DAE finds it. */
	if (sp->acct_session_id[0] == '\0') {
		char id[sizeof(sp->acct_session_id)];

		snprintf(id, sizeof(id), "%08X%08X", (unsigned)acct_seq++,
		    (unsigned)s);
		session_set_acct_id(s, id);
	}
	rs_reset(s);
	session_set_routes(s, NULL, 0);
	if ((rs = RS(s)) != NULL)
		rs->authentic = radius ? AUTHENTIC_RADIUS : AUTHENTIC_LOCAL;
}

static void
radius_session_up(sid_t s)
{
	struct session *sp = session_get(s);
	struct rsess *rs = RS(s);

	if (rs == NULL || sp == NULL)
		return;
	rs->up = 1;
	/* The walled garden's sessions: from radius_session_ungardened. */
	if (!acct_on() || sp->walled_garden)
		return;
	rs->acct = 1;
	rs->acct_start = time_now;
	acct_send(s, ACCT_START, 0);
	interim_arm(s);
}

/*
 * The session left the walled garden (the garden plugin): it is
 * accounted from now on, as if it had just come up, with its counters
 * started again so that the Stop reports only what it used outside the
 * garden.  Nothing to do before it is up (radius_session_up starts it)
 * or if it was accounted before it was gardened.
 */
static void
radius_session_ungardened(sid_t s)
{
	struct session *sp = session_get(s);
	struct rsess *rs = RS(s);

	if (rs == NULL || sp == NULL || !rs->up || rs->acct || !acct_on())
		return;
	session_reset_counters(s);
	rs->acct = 1;
	rs->acct_start = time_now;
	acct_send(s, ACCT_START, 0);
	interim_arm(s);
}

/*
 * The state file's record (state.c): the replicated accounting state
 * (radius_acct_get/set, as the cluster sends it) with Class in place.
 */
void
radius_save(sid_t s, struct radius_saved *out)
{
	struct radius_acct_state st;

	memset(out, 0, sizeof(*out));
	if (radius_acct_get(s, &st) < 0)
		return;
	out->acct = st.acct;
	out->authentic = st.authentic;
	out->interim = st.interim;
	out->acct_start = st.acct_start;
	out->class_len = st.class_len > AUTH_CLASS_MAX ? AUTH_CLASS_MAX :
	    st.class_len;
	if (out->class_len)
		memcpy(out->class, st.class, out->class_len);
}

/* As a new cluster master does: interims go on on their schedule. */
void
radius_adopt(sid_t s, const struct radius_saved *in)
{
	struct radius_acct_state st = {
		.acct = in->acct, .authentic = in->authentic, .up = 1,
		.interim = in->interim, .acct_start = in->acct_start,
		.class = in->class,
		.class_len = in->class_len <= AUTH_CLASS_MAX ? in->class_len : 0,
	};

	radius_acct_set(s, &st);
	radius_acct_adopt(s);
}

static void
radius_session_down(sid_t s, int cause)
{
	struct rsess *rs = RS(s);

	if (rs == NULL)
		return;
	timer_cancel(&rs->interim_timer);
	if (rs->acct && acct_on())
		acct_send(s, ACCT_STOP, cause);
	rs->acct = 0;
	rs_reset(s);
}

static void
acct_answer(uint32_t slot)
{
	struct rad_req *q = &reqs[slot];
	struct rsess *rs = RS(q->sid);

	stats->radius_acct_acks++;
	LOG(LOG_CALLS_L, q->sid, 0, "RADIUS: accounting %s acknowledged",
	    kind_names[q->kind]);
	if (q->kind == RQ_INTERIM && rs && rs->interim_slot == slot + 1)
		rs->interim_slot = 0;
	slot_free(slot);
}

/* ---- replies from the servers ---- */

/*
 * An Access-Accept, -Reject or -Challenge whose authenticators checked:
 * 0 to take it, -1 to drop it for want of a Message-Authenticator.
 * Every Access-Request of ours carries one, so a server that knows the
 * attribute signs its reply; a forged reply (CVE-2024-3596, the MD5
 * collision on the Response Authenticator) cannot.
 */
static int
msgauth_check(int srv, const struct sockaddr_in *from, const uint8_t *pkt,
    size_t len)
{
	int mode = radius_msgauth_mode(config), has = 0;
	struct rd r, v;
	uint8_t type;

	if (msgauth[srv].addr != from->sin_addr.s_addr ||
	    msgauth[srv].port != from->sin_port) {
		memset(&msgauth[srv], 0, sizeof(msgauth[srv]));
		msgauth[srv].addr = from->sin_addr.s_addr;
		msgauth[srv].port = from->sin_port;
	}
	rd_init(&r, pkt, len);
	rd_skip(&r, RAD_HDRLEN);
	while (radius_attr_next(&r, &type, &v) == 1)
		if (type == RA_MESSAGE_AUTHENTICATOR)
			has = 1;
	if (has) {
		msgauth[srv].seen = 1;
		return 0;
	}
	if (mode == MSGAUTH_YES ||
	    (mode == MSGAUTH_AUTO && msgauth[srv].seen))
		return -1;
	if (mode == MSGAUTH_AUTO && !msgauth[srv].warned) {
		msgauth[srv].warned = 1;
		LOG(LOG_WARN_L, 0, 0, "RADIUS: server %s:%u sends Access "
		    "replies without Message-Authenticator: a forged reply "
		    "cannot be told apart (Blast-RADIUS, CVE-2024-3596); make "
		    "it sign them (FreeRADIUS: \"Message-Authenticator := "
		    "0x00\" in its replies, or version 3.2.5 or later), then set "
		    "radius_require_message_authenticator yes",
		    inet_ntoa(from->sin_addr), ntohs(from->sin_port));
	}
	return 0;
}

int
radius_reply_input(int sock, const uint8_t *pkt, size_t n,
    const struct sockaddr_in *from)
{
	const char *why;
	struct rad_req *q = NULL;
	struct rd r;
	uint8_t code = 0, id = 0;
	uint32_t slot;
	size_t len;
	int srv, e;

	if ((srv = server_of(from)) < 0) {
		stats->radius_bad_source++;
		why = "not from a configured server";
		e = RAD_E_CODE;
		goto drop;
	}
	if ((e = radius_check_layout(pkt, n, &len)) != RAD_OK) {
		stats->radius_malformed++;
		why = "malformed";
		goto drop;
	}
	rd_init(&r, pkt, len);
	rd_u8(&r, &code);
	rd_u8(&r, &id);
	slot = (uint32_t)id * RAD_NSOCK + (uint32_t)sock;
	if (sock < 0 || sock >= RAD_NSOCK || reqs == NULL ||
	    (q = &reqs[slot])->kind == RQ_FREE || q->waiting) {
		stats->radius_unexpected++;
		why = "no request waits for it";
		e = RAD_E_CODE;
		goto drop;
	}
	if ((e = radius_verify_response(pkt, len, q->pkt + 4,
	    config->radius_secret)) != RAD_OK) {
		stats->radius_bad_auth++;
		why = e == RAD_E_MSGAUTH ? "bad Message-Authenticator" :
		    "bad Response Authenticator";
		goto drop;
	}
	if (q->kind == RQ_AUTH ? code != RAD_ACCESS_ACCEPT &&
	    code != RAD_ACCESS_REJECT && code != RAD_ACCESS_CHALLENGE :
	    code != RAD_ACCT_RESPONSE) {
		stats->radius_unexpected++;
		why = "wrong code for the request";
		e = RAD_E_CODE;
		goto drop;
	}
	if (q->kind == RQ_AUTH && msgauth_check(srv, from, pkt, len) < 0) {
		stats->radius_no_msgauth++;
		why = "no Message-Authenticator (radius_require_message_"
		    "authenticator)";
		e = RAD_E_MSGAUTH;
		goto drop;
	}
	dead_until[srv][q->kind != RQ_AUTH] = 0;
	stats->radius_srv_replies[srv]++;
	lat_observe_us(&stats->radius_latency[srv], mono_us() - q->sent_us);
	radius_log_packet(q->sid, "recv", pkt, len);
	if (q->kind == RQ_AUTH)
		auth_answer(slot, code, pkt, len);
	else
		acct_answer(slot);
	return RAD_OK;
drop:
	if (log_rl_ok(&rl, time_now))
		LOG(LOG_WARN_L, 0, 0, "RADIUS: %zu-octet reply from %s:%u "
		    "dropped: %s", n, inet_ntoa(from->sin_addr),
		    ntohs(from->sin_port), why);
	return e;
}

static void
sock_readable(int fd, uint32_t events, void *arg)
{
	uint8_t buf[RAD_MAXPKT + 1];
	struct sockaddr_in from;
	socklen_t fl;
	ssize_t n;
	int budget = config->multi_read_count;

	(void)events;
	while (budget-- > 0) {
		fl = sizeof(from);
		n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT,
		    (struct sockaddr *)&from, &fl);
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR &&
			    errno != ECONNREFUSED && log_rl_ok(&rl, time_now))
				LOG(LOG_WARN_L, 0, 0, "RADIUS: recvfrom: %s",
				    strerror(errno));
			return;
		}
		if (fl < sizeof(from) || from.sin_family != AF_INET)
			continue;
		radius_reply_input((int)(uintptr_t)arg, buf, (size_t)n, &from);
	}
}

/* ---- setup ---- */

/* RADIUS accounting follows the sessions (session.h). */
static void
follow(sid_t s, enum session_event ev, void *arg)
{
	(void)arg;
	switch (ev) {
	case SESSION_EV_UP:
		radius_session_up(s);
		break;
	case SESSION_EV_UNGARDENED:
		radius_session_ungardened(s);
		break;
	case SESSION_EV_DOWN:
		radius_session_down(s, session_end_cause(s));
		break;
	case SESSION_EV_CHANGED:
		break;
	}
}

int
radius_init_state(uint32_t max_sessions)
{
	uint32_t i;

	if (session_subscribe(follow, NULL) < 0)
		return -1;
	rsess_max = max_sessions;
	if ((rsess = calloc((size_t)max_sessions + 1, sizeof(*rsess))) == NULL ||
	    (reqs = calloc(RAD_NSLOT, sizeof(*reqs))) == NULL)
		return -1;
	/* Each timer is initialised when its session starts (rs_reset,
	 * interim_arm): the pages of unused slots stay untouched. */
	free_head = free_tail = 0;
	for (i = 0; i < RAD_NSLOT; i++) {
		timer_init(&reqs[i].timer, req_timeout, (void *)(uintptr_t)i);
		slot_push(i);
	}
	for (i = 0; i < RAD_NSOCK; i++)
		sock_fd[i] = -1;
	nsock = RAD_NSOCK;
	acct_seq = (uint32_t)time(NULL);
	return 0;
}

/* One client socket, on a port of the range when one is set. */
static int
open_client(int *next_port)
{
	struct sockaddr_in sin;
	int fd, lo = config->radius_bind_min, hi = config->radius_bind_max;
	int rcvbuf = 256 * 2048;
	int ranged = lo || hi, down = !lo && hi;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	/* Room for the replies to its 256 identifiers at once (a datagram
	 * costs about 1 KiB of buffer), past rmem_max when allowed. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
	    sizeof(rcvbuf)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = config->bind_address;
	if (!ranged) {
		if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0)
			return fd;
		close(fd);
		return -1;
	}
	if (hi == 0)
		hi = 65535;
	if (lo == 0)
		lo = 1;
	while (*next_port >= lo && *next_port <= hi) {
		sin.sin_port = htons((uint16_t)*next_port);
		*next_port += down ? -1 : 1;
		if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0)
			return fd;
	}
	close(fd);
	errno = EADDRINUSE;
	return -1;
}

int
radius_init(void)
{
	struct sockaddr_in sin;
	socklen_t sl;
	uint32_t slot;
	int port;

	if (radius_init_state(tables->max_sessions) < 0) {
		log_crit("RADIUS: cannot allocate state: %s", strerror(errno));
		return -1;
	}
	port = config->radius_bind_min ? config->radius_bind_min :
	    config->radius_bind_max;
	for (nsock = 0; nsock < RAD_NSOCK; nsock++) {
		if ((sock_fd[nsock] = open_client(&port)) < 0)
			break;
		if (ev_add(sock_fd[nsock], EPOLLIN, sock_readable,
		    (void *)(uintptr_t)nsock) < 0) {
			close(sock_fd[nsock]);
			sock_fd[nsock] = -1;
			break;
		}
		sl = sizeof(sin);
		if (getsockname(sock_fd[nsock], (struct sockaddr *)&sin,
		    &sl) == 0)
			sock_port[nsock] = ntohs(sin.sin_port);
	}
	if (nsock == 0) {
		log_crit("RADIUS: cannot open a client socket: %s",
		    strerror(errno));
		return -1;
	}
	if (nsock < RAD_NSOCK)
		log_error("RADIUS: only %d of %d client sockets (%s): %d "
		    "requests can be in flight", nsock, RAD_NSOCK,
		    strerror(errno), nsock * 256);
	/* Only the identifiers of open sockets are handed out. */
	free_head = free_tail = 0;
	for (slot = 0; slot < RAD_NSLOT; slot++)
		if ((int)(slot % RAD_NSOCK) < nsock)
			slot_push(slot);

	dae_open();
	log_info("RADIUS: %d client sockets (ports %u..%u), DAE on port %d",
	    nsock, sock_port[0], sock_port[nsock - 1], config->radius_dae_port);
	return 0;
}

void
radius_close(void)
{
	int i;

	for (i = 0; i < RAD_NSOCK; i++)
		if (sock_fd[i] >= 0) {
			ev_del(sock_fd[i]);
			close(sock_fd[i]);
			sock_fd[i] = -1;
		}
	dae_close();
}

void
radius_reload(void)
{
	/* Servers and secret are read from config at each use. */
	memset(dead_until, 0, sizeof(dead_until));
	window_drain();		/* radius_window may have grown */
}

int
radius_busy(void)
{
	return (int)(acct_inflight + stopq_len);	/* queued ones included */
}

int
radius_stop_all(int cause)
{
	int n = 0;
	uint32_t i;

	if (!acct_on())
		return 0;
	for (i = 1; i <= rsess_max && i <= tables_session_hwm(); i++)
		if (rsess[i].acct && session_get(i) != NULL) {
			timer_cancel(&rsess[i].interim_timer);
			acct_send(i, ACCT_STOP, cause);
			rsess[i].acct = 0;
			n++;
		}
	return n;
}

/* ---- "show radius" ---- */

int
radius_request_info(uint32_t *cursor, struct radius_req_info *ri)
{
	uint32_t slot;

	if (reqs == NULL)
		return -1;
	for (slot = *cursor; slot < RAD_NSLOT; slot++) {
		const struct rad_req *q = &reqs[slot];

		if (q->kind == RQ_FREE)
			continue;
		memset(ri, 0, sizeof(*ri));
		ri->slot = slot;
		ri->id = (uint8_t)(slot / RAD_NSOCK);
		ri->sock = (uint8_t)(slot % RAD_NSOCK);
		ri->port = sock_port[ri->sock];
		ri->state = kind_names[q->kind];
		ri->sid = q->sid;
		ri->server = q->server;
		ri->try = q->tries;
		ri->queued = q->waiting;
		ri->retry_ms = q->timer.when > now_ms ?
		    (uint32_t)(q->timer.when - now_ms) : 0;
		*cursor = slot + 1;
		return 0;
	}
	*cursor = RAD_NSLOT;
	return -1;
}

int
radius_request_authenticator(uint32_t slot, uint8_t out[16])
{
	if (reqs == NULL || slot >= RAD_NSLOT || reqs[slot].kind == RQ_FREE)
		return -1;
	memcpy(out, reqs[slot].pkt + 4, 16);
	return 0;
}

int
radius_server_info(int i, struct radius_server_info *si)
{
	struct sockaddr_in sa;
	int acct;

	if (server_addr(i, 0, &sa) < 0)
		return -1;
	memset(si, 0, sizeof(*si));
	si->ip = sa.sin_addr.s_addr;
	si->auth_port = ntohs(sa.sin_port);
	si->acct_port = (uint16_t)(si->auth_port + 1);
	si->outstanding = srv_out[i];
	for (acct = 0; acct < 2; acct++) {
		uint32_t d = dead_until[i][acct] > now_ms ?
		    (uint32_t)((dead_until[i][acct] - now_ms + 999) / 1000) : 0;

		if (acct)
			si->acct_dead_s = d;
		else
			si->auth_dead_s = d;
	}
	return 0;
}

uint32_t
radius_queue_length(void)
{
	return waitq_len;
}

void
radius_show(void (*line)(void *, const char *), void *arg)
{
	struct radius_server_info si;
	struct radius_req_info ri;
	char buf[512], a[INET_ADDRSTRLEN];
	uint32_t cur = 0, n = 0;
	int i;

	if (config->primary_radius == 0)
		line(arg, "RADIUS: no server configured (primary_radius)");
	for (i = 0; i < 2; i++) {
		if (radius_server_info(i, &si) < 0)
			continue;
		inet_ntop(AF_INET, &si.ip, a, sizeof(a));
		snprintf(buf, sizeof(buf), "%-9s %s auth %u%s acct %u%s",
		    i ? "secondary" : "primary", a, si.auth_port,
		    si.auth_dead_s ? " (not answering)" : "", si.acct_port,
		    si.acct_dead_s ? " (not answering)" : "");
		line(arg, buf);
	}
	snprintf(buf, sizeof(buf), "accounting %s, interim %d s, timeout "
	    "%d s x %d tries per server, %d sockets, DAE port %d%s",
	    config->radius_accounting ? "on" : "off", config->radius_interim,
	    config->radius_timeout, RAD_TRIES, reqs ? nsock : 0,
	    config->radius_dae_port, dae_listening() ? "" : " (closed)");
	line(arg, buf);
	snprintf(buf, sizeof(buf), "%6s %4s %5s %-7s %7s %-9s %3s %8s",
	    "Radius", "Sock", "Port", "State", "Session", "Server", "Try",
	    "Retry");
	line(arg, buf);
	while (radius_request_info(&cur, &ri) == 0) {
		if (ri.queued)
			snprintf(buf, sizeof(buf), "%6u %4u %5u %-7s %7u %-9s "
			    "%3u %8s", ri.id, ri.sock, ri.port, ri.state, ri.sid,
			    "-", ri.try, "queued");
		else
			snprintf(buf, sizeof(buf), "%6u %4u %5u %-7s %7u %-9s "
			    "%3u %6.1f s", ri.id, ri.sock, ri.port, ri.state,
			    ri.sid, ri.server ? "secondary" : "primary", ri.try,
			    ri.retry_ms / 1000.0);
		line(arg, buf);
		n++;
	}
	snprintf(buf, sizeof(buf), "%u request%s in flight", n,
	    n == 1 ? "" : "s");
	line(arg, buf);
	if (config->radius_window > 0)
		snprintf(buf, sizeof(buf), "window %d per server: %u "
		    "outstanding at the primary, %u at the secondary; %u "
		    "waiting, %u Stops queued", config->radius_window,
		    srv_out[0], srv_out[1], waitq_len, stopq_len);
	else
		snprintf(buf, sizeof(buf), "window: none (radius_window 0): "
		    "%u outstanding at the primary, %u at the secondary; %u "
		    "Stops queued", srv_out[0], srv_out[1], stopq_len);
	line(arg, buf);
	snprintf(buf, sizeof(buf), "window: %llu queued, %llu found it full, "
	    "%llu refused (queue full)",
	    (unsigned long long)stats->radius_queued,
	    (unsigned long long)stats->radius_window_full,
	    (unsigned long long)stats->radius_queue_full);
	line(arg, buf);
	snprintf(buf, sizeof(buf), "sent: %llu auth, %llu acct, %llu again, "
	    "%llu moved to the other server, %llu not sent (no free id)",
	    (unsigned long long)stats->radius_auth_tx,
	    (unsigned long long)stats->radius_acct_tx,
	    (unsigned long long)stats->radius_retransmits,
	    (unsigned long long)stats->radius_failovers,
	    (unsigned long long)stats->radius_overflow);
	line(arg, buf);
	snprintf(buf, sizeof(buf), "answers: %llu accepts, %llu rejects, "
	    "%llu acct acks, %llu timeouts; dropped %llu bad authenticator, "
	    "%llu malformed, %llu unknown source, %llu unexpected",
	    (unsigned long long)stats->radius_accepts,
	    (unsigned long long)stats->radius_rejects,
	    (unsigned long long)stats->radius_acct_acks,
	    (unsigned long long)stats->radius_timeouts,
	    (unsigned long long)stats->radius_bad_auth,
	    (unsigned long long)stats->radius_malformed,
	    (unsigned long long)stats->radius_bad_source,
	    (unsigned long long)stats->radius_unexpected);
	line(arg, buf);
	snprintf(buf, sizeof(buf), "DAE: %llu received, %llu disconnects, "
	    "%llu CoA, %llu NAK, %llu repeated; dropped %llu bad "
	    "authenticator, %llu malformed, %llu unknown source",
	    (unsigned long long)stats->dae_rx,
	    (unsigned long long)stats->dae_disconnects,
	    (unsigned long long)stats->dae_coas,
	    (unsigned long long)stats->dae_naks,
	    (unsigned long long)stats->dae_duplicates,
	    (unsigned long long)stats->dae_bad_auth,
	    (unsigned long long)stats->dae_malformed,
	    (unsigned long long)stats->dae_bad_source);
	line(arg, buf);
}
