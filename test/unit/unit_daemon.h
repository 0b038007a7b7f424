/*
 * unit_daemon.h - for the unit tests that run daemon code: its globals
 * (config with the defaults, the counters, logging off) and a session
 * allocated and Open for a user, as a subscriber's is once up.  Include
 * after cmocka.h.
 */
#ifndef UNIT_DAEMON_H
#define UNIT_DAEMON_H

#include <stdio.h>
#include <stdlib.h>

#include "../daemon_globals.h"

static inline void
unit_globals(void)
{
	assert_int_equal(daemon_globals(), 0);
}

static inline sid_t
unit_session_open(const char *user)
{
	sid_t s = session_alloc();
	struct session *sp;

	assert_true(s != 0);
	sp = session_get(s);
	sp->state = SESSION_OPEN;
	snprintf(sp->user, sizeof(sp->user), "%s", user);
	return s;
}

#endif
