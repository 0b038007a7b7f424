/*
 * unit_session.h - for the unit tests that need sessions in the tables:
 * one allocated and Open for a user, as a subscriber's is once up.
 * Include after cmocka.h.
 */
#ifndef UNIT_SESSION_H
#define UNIT_SESSION_H

#include <stdio.h>

#include "l2tpns.h"

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
