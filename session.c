/*
 * session.c - the one place that creates, changes and ends a session's
 * policy and life: the username index, the mutators that keep derived
 * fields consistent, session_drop(), and the notifier the modules that
 * follow sessions subscribe to (RADIUS accounting, usage files,
 * plugins; next the cluster and BGP).
 *
 * State owned: the username index (hash heads and per-session links),
 * per session whether UP fired, the cause it ended with and its
 * Framed-Routes (routed from UP to DOWN), and the subscriber table.
 *
 * Exports: session.h.  session.h says who else may write which fields.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "l2tpns.h"
#include "auth.h"
#include "config.h"
#include "log.h"
#include "evring.h"
#include "session.h"
#include "tbf.h"
#include "util.h"

static struct {
	session_notify_fn	 fn;
	void			*arg;
} subs[SESSION_MAX_SUBSCRIBERS];
static int nsubs;

struct sess {
	sid_t		 user_next, user_prev;	/* one username's sessions */
	uint8_t		 in_user_index;
	uint8_t		 up;			/* UP fired */
	uint8_t		 end_cause;		/* RFC 2866 5.10 */
	const char	*end_reason;		/* during DOWN only */
	/* Framed-Routes (RFC 2865 5.22), routed while the session is up */
	uint8_t		 nroutes, routes_added;
	uint8_t		 kernel_routes;	/* bit per route the kernel took */
	struct auth_route route[AUTH_MAX_ROUTES];
};

static struct sess *ss;
static uint32_t ss_max;
static sid_t *user_heads;
static uint32_t user_mask;

static struct sess *
S(sid_t s)
{
	return ss != NULL && s > 0 && s <= ss_max ? &ss[s] : NULL;
}

int
session_init(uint32_t max_sessions)
{
	uint32_t n = 1024;

	while (n < max_sessions)
		n <<= 1;
	free(ss);
	free(user_heads);
	ss_max = max_sessions;
	ss = calloc((size_t)max_sessions + 1, sizeof(*ss));
	user_heads = calloc(n, sizeof(*user_heads));
	user_mask = n - 1;
	return ss && user_heads ? 0 : -1;
}

/* ---- the notifier ---- */

int
session_subscribe(session_notify_fn fn, void *arg)
{
	int i;

	for (i = 0; i < nsubs; i++)
		if (subs[i].fn == fn && subs[i].arg == arg)
			return 0;	/* once is enough */
	if (nsubs == SESSION_MAX_SUBSCRIBERS)
		return -1;
	subs[nsubs].fn = fn;
	subs[nsubs].arg = arg;
	nsubs++;
	return 0;
}

void
session_notify(sid_t s, enum session_event ev)
{
	int i;

	if (ev == SESSION_EV_DOWN) {
		for (i = nsubs - 1; i >= 0; i--)
			subs[i].fn(s, ev, subs[i].arg);
		return;
	}
	for (i = 0; i < nsubs; i++)
		subs[i].fn(s, ev, subs[i].arg);
}

/* ---- the username index ---- */

static uint32_t
user_hash(const char *u)
{
	return hash_str(u) & user_mask;
}

static void
user_index_del(sid_t s)
{
	struct sess *e = S(s);

	if (e == NULL || !e->in_user_index)
		return;
	if (e->user_prev)
		S(e->user_prev)->user_next = e->user_next;
	else
		user_heads[user_hash(session_get(s)->user)] = e->user_next;
	if (e->user_next)
		S(e->user_next)->user_prev = e->user_prev;
	e->in_user_index = 0;
}

void
session_authenticated(sid_t s)
{
	struct sess *e = S(s);
	uint32_t h;

	if (e == NULL || e->in_user_index)
		return;
	h = user_hash(session_get(s)->user);
	e->user_prev = 0;
	e->user_next = user_heads[h];
	if (user_heads[h])
		S(user_heads[h])->user_prev = s;
	user_heads[h] = s;
	e->in_user_index = 1;
}

sid_t
session_by_user(const char *user)
{
	const struct session *sp;
	sid_t s;

	if (user_heads == NULL || user == NULL || *user == '\0')
		return 0;
	for (s = user_heads[user_hash(user)]; s; s = S(s)->user_next) {
		sp = session_get(s);
		if (sp->state != SESSION_CLOSING && strcmp(sp->user, user) == 0)
			return s;
	}
	return 0;
}

struct session *
session_live(sid_t s)
{
	struct session *sp = session_get(s);

	return sp == NULL || sp->state == SESSION_FREE ? NULL : sp;
}

/* ---- Framed-Routes ---- */

/* In our index and, through the tun device, in the kernel. */
static void
routes_add(sid_t s, struct sess *e)
{
	const struct session *sp = session_get(s);
	char a[INET_ADDRSTRLEN];
	int i;

	for (i = 0; i < e->nroutes; i++) {
		inet_ntop(AF_INET, &e->route[i].net, a, sizeof(a));
		if (session_route_add(s, e->route[i].net,
		    e->route[i].plen) < 0) {
			LOG(LOG_WARN_L, s, sp->tunnel, "Framed-Route %s/%u "
			    "not installed: held by another session", a,
			    e->route[i].plen);
			/* drop it, so that teardown leaves the other alone */
			e->route[i--] = e->route[--e->nroutes];
			continue;
		}
		if (tun_route(1, e->route[i].net, e->route[i].plen) == 0)
			e->kernel_routes |= (uint8_t)(1u << i);
		else
			LOG(LOG_WARN_L, s, sp->tunnel, "Framed-Route %s/%u: "
			    "kernel route not added: %s", a, e->route[i].plen,
			    strerror(errno));
	}
	e->routes_added = 1;
}

static void
routes_del(sid_t s, struct sess *e)
{
	int i;

	if (!e->routes_added)
		return;
	for (i = 0; i < e->nroutes; i++) {
		session_route_del(s, e->route[i].net, e->route[i].plen);
		if (e->kernel_routes & (1u << i))
			tun_route(0, e->route[i].net, e->route[i].plen);
	}
	e->kernel_routes = 0;
	e->routes_added = 0;
}

void
session_set_routes(sid_t s, const struct auth_route *r, int n)
{
	struct sess *e = S(s);

	if (e == NULL)
		return;
	routes_del(s, e);
	if (n < 0 || r == NULL)
		n = 0;
	if (n > AUTH_MAX_ROUTES)
		n = AUTH_MAX_ROUTES;
	e->nroutes = (uint8_t)n;
	if (n > 0)
		memcpy(e->route, r, (size_t)n * sizeof(*r));
	if (e->up)
		routes_add(s, e);
}

/* ---- the cluster ---- */

int
session_routes_get(sid_t s, struct auth_route *out)
{
	struct sess *e = S(s);

	if (e == NULL)
		return 0;
	memcpy(out, e->route, (size_t)e->nroutes * sizeof(*out));
	return e->nroutes;
}

void
session_routes_restore(sid_t s, const struct auth_route *r, int n, int up)
{
	struct sess *e = S(s);

	if (e == NULL)
		return;
	if (n < 0 || r == NULL)
		n = 0;
	if (n > AUTH_MAX_ROUTES)
		n = AUTH_MAX_ROUTES;
	/* Unchanged and routed as wanted: nothing to do (every heartbeat
	 * that carries the session carries them again). */
	if (e->nroutes == n && e->routes_added == (up && n > 0) &&
	    (n == 0 || memcmp(e->route, r, (size_t)n * sizeof(*r)) == 0))
		return;
	routes_del(s, e);
	e->up = 0;		/* UP fires on no slave */
	e->nroutes = (uint8_t)n;
	if (n > 0)
		memcpy(e->route, r, (size_t)n * sizeof(*r));
	if (up && n > 0)
		routes_add(s, e);
}

void
session_take_over(sid_t s)
{
	struct sess *e = S(s);

	if (e == NULL || e->up)
		return;
	e->up = 1;
	if (!e->routes_added)
		routes_add(s, e);
}

/* ---- life ---- */

void
session_up(sid_t s)
{
	struct sess *e = S(s);

	if (e == NULL || e->up)
		return;
	e->up = 1;
	routes_add(s, e);
	session_notify(s, SESSION_EV_UP);
}

/*
 * state.c: a session carried over from the previous process, up as it
 * was: in the username index, its Framed-Routes back in; no UP (nothing
 * is started again: no accounting Start, no plugin event).
 */
void
session_adopt(sid_t s, const struct auth_route *r, int n)
{
	struct sess *e = S(s);

	if (e == NULL || e->up)
		return;
	session_authenticated(s);
	if (n < 0 || r == NULL)
		n = 0;
	if (n > AUTH_MAX_ROUTES)
		n = AUTH_MAX_ROUTES;
	e->nroutes = (uint8_t)n;
	if (n > 0)
		memcpy(e->route, r, (size_t)n * sizeof(*r));
	e->up = 1;
	routes_add(s, e);
}

int
session_is_up(sid_t s)
{
	struct sess *e = S(s);

	return e != NULL && e->up;
}

void
session_ended(sid_t s, int cause, const char *reason)
{
	struct sess *e = S(s);

	if (e == NULL)
		return;
	e->end_cause = (uint8_t)cause;
	e->end_reason = reason;
	session_notify(s, SESSION_EV_DOWN);
	user_index_del(s);
	routes_del(s, e);
	e->nroutes = 0;
	e->up = 0;
	e->end_reason = NULL;
}

const char *
session_end_reason(sid_t s)
{
	struct sess *e = S(s);

	return e != NULL ? e->end_reason : NULL;
}

int
session_end_cause(sid_t s)
{
	struct sess *e = S(s);

	return e != NULL ? e->end_cause : 0;
}

void
session_drop(sid_t s, int cause, const char *reason)
{
	if (session_live(s) == NULL)
		return;
	/* A closing session is no longer found by its name. */
	user_index_del(s);
	session_shutdown_cause(s, cause, reason);
}

void
session_kill(sid_t s, int cause, const char *reason)
{
	if (session_live(s) == NULL)
		return;
	user_index_del(s);
	session_kill_cause(s, cause, reason);
}

/* ---- mutators ---- */

void
session_set_rates(sid_t s, uint32_t in, uint32_t out)
{
	struct session *sp = session_get(s);

	if (sp == NULL)
		return;
	if (sp->rate_in != in || sp->rate_out != out)
		evring_add(s, SEV_THROTTLE, SEA_NONE, 0, "in %u, out %u kbit/s%s",
		    in, out, in || out ? "" : " (none)");
	sp->rate_in = in;
	sp->rate_out = out;
	sp->throttle = in != 0 || out != 0;
	tbf_rates_changed(s, in, out);
	session_notify(s, SESSION_EV_CHANGED);
}

void
session_set_intercept(sid_t s, in_addr_t ip, uint16_t port)
{
	struct session *sp = session_get(s);

	if (sp == NULL)
		return;
	sp->snoop_ip = ip;
	sp->snoop_port = port;
	sp->intercept = ip != 0 && port != 0;
	session_notify(s, SESSION_EV_CHANGED);
}

void
session_set_filters(sid_t s, const char *in, const char *out)
{
	struct session *sp = session_get(s);

	if (sp == NULL)
		return;
	snprintf(sp->filter_in, sizeof(sp->filter_in), "%s", in);
	snprintf(sp->filter_out, sizeof(sp->filter_out), "%s", out);
	sp->acl_gen = 0;	/* acl.c looks the names up again */
	session_notify(s, SESSION_EV_CHANGED);
}

void
session_set_limits(sid_t s, uint32_t session_timeout, uint32_t idle_timeout)
{
	struct session *sp = session_get(s);

	if (sp == NULL)
		return;
	sp->session_timeout = session_timeout;
	sp->idle_timeout = idle_timeout;
	ppp_limits_changed(s);	/* ppp.c keeps the one timer */
	session_notify(s, SESSION_EV_CHANGED);
}

void
session_set_garden(sid_t s, int on)
{
	struct session *sp = session_get(s);
	int leaving;

	if (sp == NULL)
		return;
	leaving = sp->walled_garden && !on;
	sp->walled_garden = on != 0;
	session_notify(s, SESSION_EV_CHANGED);
	/* Out of the garden: accounted from now on. */
	if (leaving)
		session_notify(s, SESSION_EV_UNGARDENED);
}

void
session_set_speeds(sid_t s, uint32_t tx, uint32_t rx)
{
	struct session *sp = session_get(s);

	if (sp == NULL)
		return;
	sp->tx_speed = tx;
	sp->rx_speed = rx;
	session_notify(s, SESSION_EV_CHANGED);
}

void
session_set_ipv6_prefix(sid_t s, const struct in6_addr *a, uint8_t plen)
{
	struct session *sp = session_get(s);

	if (sp == NULL)
		return;
	sp->ipv6_prefix = *a;
	sp->ipv6_prefix_len = plen;
	session_notify(s, SESSION_EV_CHANGED);
}

void
session_set_acct_id(sid_t s, const char *id)
{
	struct session *sp = session_get(s);

	if (sp == NULL || sp->acct_session_id[0] != '\0')
		return;
	snprintf(sp->acct_session_id, sizeof(sp->acct_session_id), "%s", id);
}

void
session_reset_counters(sid_t s)
{
	struct session *sp = session_get(s);

	if (sp == NULL)
		return;
	sp->cin = sp->cout = 0;
	sp->pin = sp->pout = 0;
}
