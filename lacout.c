/*
 * lacout.c - outgoing L2TP (FireBrick 12.3.1, issue 23): each
 * `l2tp outgoing` line of the configuration is a tunnel of ours to a
 * remote LNS carrying one PPP session of ours as a client.
 *
 * State owned: one `struct out` per configured outgoing tunnel (a copy
 * of its line, its state, the tunnel and session it has now, the
 * retry timer and backoff, the address it was given).  The tunnel and
 * call themselves are l2tp.c's (the LAC side the relay uses:
 * l2tp_out_tunnel, l2tp_out_call), the PPP client is pppc.c's.
 *
 * Life of one (out_set_state() logs every change):
 *
 *   idle -> opening (SCCRQ) -> calling (ICRQ) -> ppp (LCP, auth, IPCP)
 *        -> up (address on the TUN device, routes through the session)
 *   any failure (StopCCN, CDN, setup timeout, LCP Terminate, echo
 *   timeout, authentication refused) -> backoff: the tunnel is closed,
 *   and opened again after 1, 2, 4 ... BACKOFF_MAX_S seconds; being up
 *   resets the wait.
 *
 * The routes go into the kernel through the TUN device with our
 * address as their preferred source, and into the session index
 * (tables.c), so that dataplane.c sends packets to them down this
 * session as it does for any session's routes; what the LNS sends us
 * is written to the TUN device for the kernel to deliver or forward.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "l2tpns.h"
#include "cluster.h"
#include "config.h"
#include "event.h"
#include "l2tp.h"
#include "lacout.h"
#include "log.h"

#define BACKOFF_MIN_S	1
#define BACKOFF_MAX_S	64
#define START_DELAY_MS	1000	/* the first attempt, after start-up */

enum out_state { OUT_IDLE, OUT_OPENING, OUT_CALLING, OUT_PPP, OUT_UP,
	OUT_BACKOFF };

static const char *const out_state_names[] = {
	[OUT_IDLE] = "idle", [OUT_OPENING] = "opening", [OUT_CALLING] =
	"calling", [OUT_PPP] = "ppp", [OUT_UP] = "up",
	[OUT_BACKOFF] = "backoff",
};

struct out {
	struct l2tp_outgoing g;		/* the configuration line */
	enum out_state	 state;
	tid_t		 t;		/* our tunnel, 0 = none */
	sid_t		 s;		/* our call, 0 = none */
	tid_t		 close_t;	/* a tunnel still to close */
	struct timer	 timer;		/* start, retry, the deferred close */
	int		 retry_armed;	/* the timer now is the backoff's */
	unsigned	 backoff;	/* seconds of the next wait */
	unsigned	 failures;	/* since the last time up */
	unsigned	 ups;		/* times up */
	in_addr_t	 addr, dns1, dns2;
	int		 routed;
	time_t		 since;		/* in this state since */
	char		 last[96];	/* why it last failed */
};

static struct out **outs;
static int nouts;

static void
out_set_state(struct out *o, enum out_state new, const char *why)
{
	if (o->state != new)
		LOG(new == OUT_UP || new == OUT_BACKOFF ? LOG_WARN_L :
		    LOG_INFO_L, o->s, o->t, "outgoing %s: %s -> %s: %s",
		    o->g.name, out_state_names[o->state],
		    out_state_names[new], why);
	o->state = new;
	o->since = time_now;
}

static struct out *
by_tunnel(tid_t t)
{
	int i;

	for (i = 0; i < nouts; i++)
		if (outs[i] && (outs[i]->t == t || outs[i]->close_t == t))
			return outs[i];
	return NULL;
}

static struct out *
by_session(sid_t s)
{
	int i;

	for (i = 0; i < nouts; i++)
		if (outs[i] && outs[i]->s == s)
			return outs[i];
	return NULL;
}

/* ---- routes ---- */

static void
routes_up(struct out *o)
{
	char a[INET_ADDRSTRLEN], n[INET_ADDRSTRLEN];
	int i;

	inet_ntop(AF_INET, &o->addr, a, sizeof(a));
	if (tun_addr4(1, o->addr) < 0)
		LOG(LOG_ERROR_L, o->s, o->t, "outgoing %s: address %s not put "
		    "on the tun device: %s", o->g.name, a, strerror(errno));
	for (i = 0; i < o->g.nroutes; i++) {
		inet_ntop(AF_INET, &o->g.route_net[i], n, sizeof(n));
		if (session_route_add(o->s, o->g.route_net[i],
		    o->g.route_len[i]) < 0)
			LOG(LOG_WARN_L, o->s, o->t, "outgoing %s: route %s/%u "
			    "held by another session", o->g.name, n,
			    o->g.route_len[i]);
		else if (tun_route_src(1, o->g.route_net[i], o->g.route_len[i],
		    o->addr) < 0)
			LOG(LOG_WARN_L, o->s, o->t, "outgoing %s: kernel route "
			    "%s/%u not added: %s", o->g.name, n,
			    o->g.route_len[i], strerror(errno));
		else
			LOG(LOG_INFO_L, o->s, o->t, "outgoing %s: route %s/%u "
			    "via the session, source %s", o->g.name, n,
			    o->g.route_len[i], a);
	}
	o->routed = 1;
}

static void
routes_down(struct out *o)
{
	int i;

	if (!o->routed)
		return;
	for (i = 0; i < o->g.nroutes; i++) {
		session_route_del(o->s, o->g.route_net[i], o->g.route_len[i]);
		tun_route_src(0, o->g.route_net[i], o->g.route_len[i], o->addr);
	}
	tun_addr4(0, o->addr);
	o->routed = 0;
}

/* ---- life ---- */

static void out_fail(struct out *, const char *);

static void
out_start(struct out *o)
{
	struct sockaddr_in lns = { .sin_family = AF_INET };
	char why[64];

	/* A cluster's slaves leave it to the master. */
	if (!iam_master()) {
		timer_set(&o->timer, (uint64_t)BACKOFF_MAX_S * 1000);
		return;
	}
	lns.sin_addr.s_addr = o->g.lns;
	lns.sin_port = htons(o->g.port);
	o->addr = o->dns1 = o->dns2 = 0;
	if ((o->t = l2tp_out_tunnel(&lns, o->g.name, o->g.host[0] ?
	    o->g.host : config->hostname, o->g.secret)) == 0) {
		out_fail(o, "no tunnel could be opened");
		return;
	}
	snprintf(why, sizeof(why), "SCCRQ to %s:%u", inet_ntoa(lns.sin_addr),
	    o->g.port);
	out_set_state(o, OUT_OPENING, why);
}

/*
 * The one exit of a failure: the call (if any) is gone already; the
 * tunnel is closed from the timer (never from under l2tp.c), then the
 * next attempt waits its backoff.
 */
static void
out_fail(struct out *o, const char *why)
{
	snprintf(o->last, sizeof(o->last), "%s", why);
	o->failures++;
	stats->outgoing_failures++;
	if (o->t)
		o->close_t = o->t;
	o->t = 0;
	out_set_state(o, OUT_BACKOFF, why);
	timer_set(&o->timer, 0);
}

static void
out_fire(struct timer *tm, void *arg)
{
	struct out *o = arg;
	const struct tunnel *tp;

	if (o->state != OUT_BACKOFF && o->state != OUT_IDLE)
		return;
	if (o->close_t) {
		tid_t t = o->close_t;

		o->close_t = 0;
		tp = tunnel_get(t);
		if (tp && tp->state != TUNNEL_FREE && tp->state !=
		    TUNNEL_DYING)
			l2tp_tunnel_close(t, STOP_CLEAR, 0,
			    "outgoing session ended");
	}
	if (o->state == OUT_BACKOFF && !o->retry_armed) {
		o->retry_armed = 1;
		LOG(LOG_WARN_L, 0, 0, "outgoing %s: next attempt in %u s "
		    "(failure %u in a row: %s)", o->g.name, o->backoff,
		    o->failures, o->last);
		timer_set(tm, (uint64_t)o->backoff * 1000);
		o->backoff = o->backoff * 2 > BACKOFF_MAX_S ? BACKOFF_MAX_S :
		    o->backoff * 2;
		return;
	}
	o->retry_armed = 0;
	if (main_quit)		/* shutting down: l2tp.c closes the rest */
		return;
	stats->outgoing_attempts++;
	out_start(o);
}

void
lacout_tunnel_up(tid_t t)
{
	struct out *o = by_tunnel(t);

	if (o == NULL || o->t != t || o->state != OUT_OPENING)
		return;
	if ((o->s = l2tp_out_call(t, o->g.user)) == 0) {
		out_fail(o, "no session could be made");
		return;
	}
	out_set_state(o, OUT_CALLING, "tunnel up: ICRQ");
}

void
lacout_tunnel_gone(tid_t t, const char *why)
{
	struct out *o = by_tunnel(t);
	char text[96];

	if (o == NULL)
		return;
	if (o->close_t == t)
		o->close_t = 0;		/* closing by itself */
	if (o->t != t)
		return;
	o->t = 0;
	snprintf(text, sizeof(text), "tunnel: %s", why);
	out_fail(o, text);
}

void
lacout_call_up(sid_t s)
{
	struct out *o = by_session(s);

	if (o == NULL || o->state != OUT_CALLING)
		return;
	if (pppc_start(s, &o->g) < 0) {
		l2tp_session_close(s, CDN_NO_FACILITIES_TEMP, 0,
		    "no memory for PPP");
		return;
	}
	out_set_state(o, OUT_PPP, "ICRP: call up, LCP");
}

void
lacout_call_gone(sid_t s, const char *why)
{
	struct out *o = by_session(s);
	char text[96];

	/* why may be the PPP client's own text: copied before it goes */
	snprintf(text, sizeof(text), "session: %s", why);
	pppc_end(s);
	if (o == NULL)
		return;
	routes_down(o);
	o->s = 0;
	out_fail(o, text);
}

void
lacout_ppp_up(sid_t s, in_addr_t addr, in_addr_t dns1, in_addr_t dns2)
{
	struct out *o = by_session(s);
	char a[INET_ADDRSTRLEN], why[96];

	if (o == NULL)
		return;
	o->addr = addr;
	o->dns1 = dns1;
	o->dns2 = dns2;
	routes_up(o);
	o->backoff = BACKOFF_MIN_S;
	o->failures = 0;
	o->ups++;
	stats->outgoing_up++;
	inet_ntop(AF_INET, &addr, a, sizeof(a));
	snprintf(why, sizeof(why), "address %s, %u route%s (up %u time%s)", a,
	    o->g.nroutes, o->g.nroutes == 1 ? "" : "s", o->ups,
	    o->ups == 1 ? "" : "s");
	if (dns1 || dns2) {
		char d1[INET_ADDRSTRLEN], d2[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &dns1, d1, sizeof(d1));
		inet_ntop(AF_INET, &dns2, d2, sizeof(d2));
		LOG(LOG_INFO_L, s, o->t, "outgoing %s: DNS %s %s", o->g.name,
		    d1, d2);
	}
	out_set_state(o, OUT_UP, why);
}

static struct out *
out_new(const struct l2tp_outgoing *g)
{
	struct out *o = calloc(1, sizeof(*o));

	if (o == NULL)
		return NULL;
	o->g = *g;
	o->backoff = BACKOFF_MIN_S;
	o->since = time_now;
	timer_init(&o->timer, out_fire, o);
	timer_set(&o->timer, START_DELAY_MS);
	return o;
}

/* Closed for good (removed from the configuration, or changed). */
static void
out_free(struct out *o)
{
	timer_cancel(&o->timer);
	if (o->s) {
		sid_t s = o->s;

		routes_down(o);
		o->s = 0;		/* its end is not a failure now */
		pppc_end(s);
		l2tp_session_close(s, CDN_ADMIN, 0, "outgoing tunnel removed");
	}
	if (o->t) {
		tid_t t = o->t;

		o->t = 0;		/* nor is its tunnel's */
		l2tp_tunnel_close(t, STOP_CLEAR, 0, "outgoing tunnel removed");
	}
	explicit_bzero(o, sizeof(*o));
	free(o);
}

void
lacout_init(void)
{
	int i;

	nouts = 0;
	if (config->nl2tp_outgoing == 0)
		return;
	if ((outs = calloc((size_t)config->nl2tp_outgoing,
	    sizeof(*outs))) == NULL)
		return;
	for (i = 0; i < config->nl2tp_outgoing; i++)
		if ((outs[nouts] = out_new(&config->l2tp_outgoing[i])) != NULL)
			nouts++;
	LOG(LOG_INFO_L, 0, 0, "%d outgoing L2TP tunnel%s configured", nouts,
	    nouts == 1 ? "" : "s");
}

/* A HUP: the unchanged go on, the changed start again, the removed go. */
void
lacout_reload(void)
{
	struct out **n = NULL;
	int i, j, nn = 0;

	if (config->nl2tp_outgoing > 0 && (n = calloc((size_t)
	    config->nl2tp_outgoing, sizeof(*n))) == NULL)
		return;
	for (i = 0; i < config->nl2tp_outgoing; i++) {
		const struct l2tp_outgoing *g = &config->l2tp_outgoing[i];

		for (j = 0; j < nouts; j++)
			if (outs[j] && memcmp(&outs[j]->g, g, sizeof(*g)) == 0)
				break;
		if (j < nouts) {
			n[nn++] = outs[j];
			outs[j] = NULL;
		} else if ((n[nn] = out_new(g)) != NULL) {
			LOG(LOG_INFO_L, 0, 0, "outgoing %s: (re)configured",
			    g->name);
			nn++;
		}
	}
	for (j = 0; j < nouts; j++)
		if (outs[j]) {
			struct out *o = outs[j];

			outs[j] = NULL;
			LOG(LOG_INFO_L, 0, 0, "outgoing %s: removed or changed",
			    o->g.name);
			out_free(o);
		}
	free(outs);
	outs = n;
	nouts = nn;
}
