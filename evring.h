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

#define EVRING_SIZE	12		/* at most this many events kept */
#define EVRING_TEXT	84		/* longest text of an event, NUL included */
#define EVRING_BYTES	244		/* a slot's user name and events, encoded */
/*
 * The blocks a slot's contents move to when EVRING_BYTES is not enough:
 * a middle size (a session's usual events with long names), then room
 * for the longest user name and EVRING_SIZE events of the longest text.
 */
#define EVRING_MID	512
#define EVRING_BIG	1280

enum sev_type {
	SEV_NONE = 0, SEV_TUNNEL_UP, SEV_CALL, SEV_AUTH_OK, SEV_AUTH_FAIL,
	SEV_ADDRESS, SEV_SESSION_UP, SEV_THROTTLE, SEV_INTERCEPT, SEV_COA,
	SEV_DISCONNECT_REQ, SEV_DOWN, SEV_MAX
};

enum sev_actor {
	SEA_NONE = 0, SEA_LAC, SEA_CLI, SEA_DAE, SEA_RADIUS, SEA_TIMEOUT,
	SEA_LNS, SEA_PLUGIN, SEA_WEB, SEA_MAX
};

/* One event as evring_read() decodes it for a reader. */
struct sev {
	uint32_t	t_s;		/* wall clock seconds */
	uint16_t	t_ms;		/* and milliseconds */
	uint8_t		type;		/* enum sev_type */
	uint8_t		actor;		/* enum sev_actor */
	uint16_t	cause;		/* Acct-Terminate-Cause, 0 = none */
	char		text[EVRING_TEXT];
};

/*
 * A slot as it is stored (evring.c): the user name, then the events
 * oldest first, each a 10-octet header (time, type, actor, cause), a
 * length octet and its text without the NUL.  The events of a session's
 * usual life with short names fit in the slot; when one more does not,
 * the slot's contents move to a block of EVRING_MID octets, then of
 * EVRING_BIG, where the last EVRING_SIZE events always fit, until the
 * slot is used again.
 */
struct evring {
	uint32_t	next;		/* events ever written */
	uint32_t	big;		/* block holding the data, 0 = data[] */
	uint8_t		ulen;		/* user name: first ulen octets */
	uint8_t		n;		/* events held */
	uint16_t	used;		/* octets of data in use */
	uint8_t		data[EVRING_BYTES];
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

/*
 * Readers (CLI children, the web view): decode the ring of slot s,
 * oldest first, into ev (EVRING_SIZE entries) and its user name into
 * user (NUL-terminated, at most ulen).  Returns the number of events,
 * 0 if none was ever recorded, -1 for no such slot.  A ring written
 * while it is read decodes to fewer or garbled events, never past its
 * bounds.
 */
int	 evring_read(sid_t s, char *user, size_t ulen, struct sev *ev);
const char *sev_type_name(int);
const char *sev_actor_name(int);

#endif /* L2TPNS_EVRING_H */
