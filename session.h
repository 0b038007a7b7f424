/*
 * session.h - the one module that changes a session (session.c).
 *
 * Who may write a `struct session`: session.c through the functions
 * below; ppp.c and l2tp.c for the protocol state they own (PPP phase,
 * automaton states, negotiated MRU, magic, address and identifiers,
 * the L2TP ids and call details); dataplane.c for the traffic counters
 * and last_packet; acl.c for its cache of the resolved lists (acl_in,
 * acl_out, acl_gen); tables.c for allocation and the indexes.  Everyone
 * else (RADIUS and DAE, the CLI, nsctl, plugins) asks here.
 *
 * Lookups: session_get, session_by_wire, session_by_ip, session_by_ip6
 * are tables.c's O(1) indexes (declared in l2tpns.h); session_by_user
 * is the hashed username index kept here.
 *
 * Notifier: a small fixed table of subscribers, called in subscription
 * order (DOWN in the reverse order).  UP fires once the session's network phase is up (address
 * assigned, routes in); CHANGED after a mutator below changed a field;
 * UNGARDENED when it leaves the walled garden; DOWN just before its
 * slot is freed (fields still readable; session_end_cause() says why),
 * for every session that was started.
 */
#ifndef L2TPNS_SESSION_H
#define L2TPNS_SESSION_H

#include <stdint.h>
#include <netinet/in.h>

#include "l2tpns.h"

enum session_event {
	SESSION_EV_UP,
	SESSION_EV_CHANGED,
	SESSION_EV_DOWN,
	SESSION_EV_UNGARDENED,
};

typedef void (*session_notify_fn)(sid_t, enum session_event, void *arg);

#define SESSION_MAX_SUBSCRIBERS	8

/* 0, or -1 when the table is full. */
int	 session_subscribe(session_notify_fn, void *arg);
void	 session_notify(sid_t, enum session_event);

int	 session_init(uint32_t max_sessions);

/* ---- life (ppp.c calls these at the PPP milestones) ---- */

/* Authenticated as sp->user: in the username index. */
void	 session_authenticated(sid_t);
/* The network phase is up the first time: UP. */
void	 session_up(sid_t);
int	 session_is_up(sid_t);
struct auth_route;
/* state.c: a session carried over a restart, up without UP; its
 * Framed-Routes (up to AUTH_MAX_ROUTES) for the state file. */
void	 session_adopt(sid_t, const struct auth_route *, int n);
/* The slot is about to be freed, for RFC 2866 5.10 `cause` and a
 * reason for the logs (NULL = none): DOWN, to the subscribers in the
 * reverse order of their subscription (last up, first down). */
void	 session_ended(sid_t, int cause, const char *reason);
/* During DOWN: the Acct-Terminate-Cause and the reason. */
int	 session_end_cause(sid_t);
const char *session_end_reason(sid_t);

/* End a session: PPP terminates, then the call is cleared. */
void	 session_drop(sid_t, int cause, const char *reason);
/* End a session at once: the call is cleared without a PPP goodbye. */
void	 session_kill(sid_t, int cause, const char *reason);

/* ---- lookups ---- */

/* An authenticated session of `user` that is not closing, or 0. */
sid_t	 session_by_user(const char *user);
/* A session that is in use (not FREE), or NULL. */
struct session *session_live(sid_t);

/* ---- mutators: each keeps the derived fields and fires CHANGED ---- */

/* Throttle rates in kbit/s (0 = off); the T flag and buckets follow. */
void	 session_set_rates(sid_t, uint32_t in, uint32_t out);
/* Interception to ip:port; 0, 0 stops it.  The I flag follows. */
void	 session_set_intercept(sid_t, in_addr_t ip, uint16_t port);
/* Filter-Id names ("" = none); acl.c resolves them again. */
void	 session_set_filters(sid_t, const char *in, const char *out);
/* Session-Timeout and Idle-Timeout in seconds (0 = none), re-armed. */
void	 session_set_limits(sid_t, uint32_t session_timeout,
	    uint32_t idle_timeout);
/* Into (1) or out of (0) the walled garden; out fires UNGARDENED. */
void	 session_set_garden(sid_t, int on);
/* Connect speeds, bit/s. */
void	 session_set_speeds(sid_t, uint32_t tx, uint32_t rx);
/* The session's own IPv6 prefix (RADIUS); plen 0 = none. */
void	 session_set_ipv6_prefix(sid_t, const struct in6_addr *, uint8_t plen);
/* Framed-Routes (RFC 2865 5.22): routed to the session from UP (now,
 * if it is up) until it ends; n = 0 removes them. */
struct auth_route;
void	 session_set_routes(sid_t, const struct auth_route *, int n);
/* Acct-Session-Id (RFC 2866 5.5), when it has none yet. */
void	 session_set_acct_id(sid_t, const char *id);
/* Traffic counters from zero (accounting starts again). */
void	 session_reset_counters(sid_t);

/* ---- the cluster (cluster.c) ---- */

/* s's Framed-Routes into out[AUTH_MAX_ROUTES]: how many. */
int	 session_routes_get(sid_t, struct auth_route *out);
/* A slave stores the master's Framed-Routes of s and, while the
 * session is up there, routes them here too (the index, the kernel,
 * BGP), since an up-to-date slave carries traffic (it forwards it to
 * the master); n = 0 forgets them. */
void	 session_routes_restore(sid_t, const struct auth_route *, int n,
	    int up);
/* A new master takes over a session that is up: marked up without UP
 * (nobody is told twice), its Framed-Routes routed here.  (state.c's
 * session_adopt does the same for a session of the previous process.) */
void	 session_take_over(sid_t);

#endif /* L2TPNS_SESSION_H */
