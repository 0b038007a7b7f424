/*
 * test_evring.c - evring.c: events read back as written, oldest first;
 * a ring past its slot moves to a big block and still keeps the last
 * EVRING_SIZE events of the longest text; the user name names the ring;
 * the teardown's actor, cause and reason reach the down event (the
 * first caller wins); a new call empties the ring.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "l2tpns.h"
#include "evring.h"
#include "event.h"
#include "log.h"
#include "session.h"

#define NSLOTS	8

static int
setup(void **state)
{
	(void)state;
	config = calloc(1, sizeof(*config));
	cfg_defaults(config);
	log_level = -1;
	if (ev_init() < 0 || tables_init(NSLOTS, 4) < 0)
		return -1;
	return evring_init(NSLOTS);
}

static sid_t
new_session(const char *user)
{
	sid_t s = session_alloc();
	struct session *sp;

	assert_true(s != 0 && s <= NSLOTS);
	sp = session_get(s);
	sp->state = SESSION_OPEN;
	snprintf(sp->user, sizeof(sp->user), "%s", user);
	evring_reset(s);
	return s;
}

static void
end_session(sid_t s)
{
	session_release(s);
	assert_int_equal(session_get(s)->state, SESSION_FREE);
}

static void
test_usual_life(void **state)
{
	struct sev ev[EVRING_SIZE];
	char user[MAXUSER];
	sid_t s = new_session("alice@example.net");

	(void)state;
	assert_int_equal(evring_read(s, user, sizeof(user), ev), 0);
	evring_add(s, SEV_TUNNEL_UP, SEA_LAC, 0, "tunnel %u from \"%s\"", 3,
	    "lac-1");
	evring_add(s, SEV_CALL, SEA_LAC, 0, "ICRQ from \"%s\" to \"%s\"",
	    "0123", "4567");
	evring_add(s, SEV_AUTH_OK, SEA_RADIUS, 0, "\"alice\" PAP: ok");
	evring_add(s, SEV_ADDRESS, SEA_LNS, 0, "10.0.0.1");
	evring_add(s, SEV_SESSION_UP, SEA_NONE, 0, "IPCP up");
	assert_int_equal(evring_read(s, user, sizeof(user), ev), 5);
	assert_string_equal(user, "alice@example.net");
	assert_int_equal(ev[0].type, SEV_TUNNEL_UP);
	assert_int_equal(ev[0].actor, SEA_LAC);
	assert_string_equal(ev[0].text, "tunnel 3 from \"lac-1\"");
	assert_string_equal(ev[1].text, "ICRQ from \"0123\" to \"4567\"");
	assert_int_equal(ev[2].actor, SEA_RADIUS);
	assert_string_equal(ev[3].text, "10.0.0.1");
	assert_int_equal(ev[4].type, SEV_SESSION_UP);
	assert_string_equal(ev[4].text, "IPCP up");
	assert_true(ev[0].t_s > 0 && ev[4].t_s >= ev[0].t_s);

	/* Teardown: the first caller's actor, cause and reason. */
	evring_teardown(s, SEA_CLI, 10, "admin: line test");
	evring_teardown(s, SEA_TIMEOUT, 5, "later");
	evring_down(s, "CDN", 0);
	end_session(s);
	assert_int_equal(evring_read(s, user, sizeof(user), ev), 6);
	assert_string_equal(user, "alice@example.net");	/* after the end */
	assert_int_equal(ev[5].type, SEV_DOWN);
	assert_int_equal(ev[5].actor, SEA_CLI);
	assert_int_equal(ev[5].cause, 10);
	assert_string_equal(ev[5].text, "admin: line test");

	/* No teardown recorded: the LNS and the end's own reason. */
	s = new_session("bob");
	evring_add(s, SEV_CALL, SEA_LAC, 0, "ICRQ");
	evring_down(s, "tunnel closed", 2);
	assert_int_equal(evring_read(s, user, sizeof(user), ev), 2);
	assert_int_equal(ev[1].actor, SEA_LNS);
	assert_int_equal(ev[1].cause, 2);
	assert_string_equal(ev[1].text, "tunnel closed");
	end_session(s);
}

static void
test_many_long_events_keep_the_last(void **state)
{
	struct sev ev[EVRING_SIZE];
	char user[MAXUSER], longuser[MAXUSER], text[200];
	sid_t s, t;
	int i, n;

	(void)state;
	memset(longuser, 'u', sizeof(longuser) - 1);
	longuser[sizeof(longuser) - 1] = '\0';
	memset(text, 'x', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	s = new_session(longuser);
	for (i = 0; i < 3 * EVRING_SIZE; i++)
		evring_add(s, SEV_THROTTLE, SEA_CLI, (uint16_t)i, "%02d%s", i,
		    text);
	n = evring_read(s, user, sizeof(user), ev);
	assert_int_equal(n, EVRING_SIZE);
	assert_string_equal(user, longuser);
	for (i = 0; i < n; i++) {
		/* The last twelve, each cut at EVRING_TEXT - 1 characters. */
		assert_int_equal(ev[i].cause, 2 * EVRING_SIZE + i);
		assert_int_equal(strlen(ev[i].text), EVRING_TEXT - 1);
		assert_int_equal(atoi(ev[i].text), 2 * EVRING_SIZE + i);
	}

	/* Another ring beside it stays whole and separate. */
	t = new_session("carol");
	for (i = 0; i < EVRING_SIZE; i++)
		evring_add(t, SEV_THROTTLE, SEA_NONE, 0, "in %d, out %d kbit/s",
		    i, i);
	assert_int_equal(evring_read(t, user, sizeof(user), ev), EVRING_SIZE);
	assert_string_equal(user, "carol");
	assert_string_equal(ev[0].text, "in 0, out 0 kbit/s");
	assert_string_equal(ev[EVRING_SIZE - 1].text, "in 11, out 11 kbit/s");
	assert_int_equal(evring_read(s, user, sizeof(user), ev), EVRING_SIZE);
	assert_int_equal(ev[0].cause, 2 * EVRING_SIZE);

	/* A new call in the slot starts an empty ring (the block freed). */
	evring_reset(s);
	assert_int_equal(evring_read(s, user, sizeof(user), ev), 0);
	assert_string_equal(user, "");
	evring_add(s, SEV_CALL, SEA_LAC, 0, "again");
	assert_int_equal(evring_read(s, user, sizeof(user), ev), 1);
	assert_string_equal(ev[0].text, "again");
	end_session(s);
	end_session(t);
}

/*
 * Slots used again and again, each ring outgrowing its slot and the
 * middle block: the blocks go back to their pools at each new call
 * (with 8 slots, 8 blocks of each size must serve 200 calls).
 */
static void
test_blocks_reused(void **state)
{
	struct sev ev[EVRING_SIZE];
	char user[MAXUSER];
	int round, i;

	(void)state;
	for (round = 0; round < 200; round++) {
		sid_t s = new_session("erin@example.net");

		for (i = 0; i < 20; i++)
			evring_add(s, SEV_THROTTLE, SEA_CLI, (uint16_t)i,
			    "%04d %060d", round, i);
		assert_int_equal(evring_read(s, user, sizeof(user), ev),
		    EVRING_SIZE);
		assert_int_equal(ev[0].cause, 20 - EVRING_SIZE);
		assert_int_equal(atoi(ev[EVRING_SIZE - 1].text), round);
		end_session(s);
	}
}

static void
test_user_renamed_and_short_buffers(void **state)
{
	struct sev ev[EVRING_SIZE];
	char user[4];
	sid_t s = new_session("dave");

	(void)state;
	evring_add(s, SEV_CALL, SEA_LAC, 0, "one");
	snprintf(session_get(s)->user, MAXUSER, "%s", "dave@realm");
	evring_add(s, SEV_AUTH_OK, SEA_LNS, 0, "two");
	assert_int_equal(evring_read(s, user, sizeof(user), ev), 2);
	assert_string_equal(user, "dav");		/* cut to the buffer */
	assert_string_equal(ev[0].text, "one");
	assert_string_equal(ev[1].text, "two");
	assert_int_equal(evring_read(0, user, sizeof(user), ev), -1);
	assert_int_equal(evring_read(NSLOTS + 1, user, sizeof(user), ev), -1);
	end_session(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_usual_life),
		cmocka_unit_test(test_many_long_events_keep_the_last),
		cmocka_unit_test(test_blocks_reused),
		cmocka_unit_test(test_user_renamed_and_short_buffers),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
