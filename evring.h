/*
 * evring.h - the event ring of each session: what happened to it, when,
 * by whose doing (tunnel up, call, authentication, address, throttle and
 * interception changes, CoA/DAE, teardown with actor, reason and cause).
 * "show session ID events" prints it; it outlives the session until its
 * slot is used again.
 */
#ifndef L2TPNS_EVRING_H
#define L2TPNS_EVRING_H

#include <stdint.h>

#include "l2tpns.h"

#define EVRING_SIZE	12		/* events kept a session */
#define EVRING_TEXT	84

enum sev_type {
	SEV_NONE = 0, SEV_TUNNEL_UP, SEV_CALL, SEV_AUTH_OK, SEV_AUTH_FAIL,
	SEV_ADDRESS, SEV_SESSION_UP, SEV_THROTTLE, SEV_INTERCEPT, SEV_COA,
	SEV_DISCONNECT_REQ, SEV_DOWN, SEV_MAX
};

enum sev_actor {
	SEA_NONE = 0, SEA_LAC, SEA_CLI, SEA_DAE, SEA_RADIUS, SEA_TIMEOUT,
	SEA_LNS, SEA_PLUGIN, SEA_WEB, SEA_MAX
};

struct sev {
	uint32_t	t_s;		/* wall clock seconds */
	uint16_t	t_ms;		/* and milliseconds */
	uint8_t		type;		/* enum sev_type */
	uint8_t		actor;		/* enum sev_actor */
	uint16_t	cause;		/* Acct-Terminate-Cause, 0 = none */
	uint16_t	pad;
	char		text[EVRING_TEXT];
};

struct evring {
	uint32_t	next;		/* events ever written; slot next % N */
	char		user[MAXUSER];
	struct sev	ev[EVRING_SIZE];
};

int	 evring_init(uint32_t max_sessions);
/* A new call in slot s: the ring starts again. */
void	 evring_reset(sid_t);
void	 evring_add(sid_t, enum sev_type, enum sev_actor, uint16_t cause,
	    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/*
 * Who is ending the session and why, before the teardown starts; the
 * SEV_DOWN event at the end carries it (the first caller wins).
 */
void	 evring_teardown(sid_t, enum sev_actor, uint16_t cause,
	    const char *reason);
/* The session's slot is being freed (l2tp.c): the SEV_DOWN event. */
void	 evring_down(sid_t, const char *why, uint16_t cause);

/* Readers (CLI children): the ring of slot s, NULL if none. */
const struct evring *evring_get(sid_t);
const char *sev_type_name(int);
const char *sev_actor_name(int);

#endif /* L2TPNS_EVRING_H */
