/*
 * test_session.c - session.c: the notifier (order, DOWN in reverse, the
 * end cause readable during DOWN), the mutators keeping their derived
 * flags, the walled garden's UNGARDENED, and the username index.
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
#include "auth.h"
#include "event.h"
#include "log.h"
#include "session.h"
#include "unit_daemon.h"

/* What the subscribers saw, as "tag:event:sid" words. */
static char seen[512];

static const char *const ev_names[] = { "up", "changed", "down", "ungardened" };

static void
note(sid_t s, enum session_event ev, void *arg)
{
	char w[64];

	snprintf(w, sizeof(w), "%s%s:%s:%u", seen[0] ? " " : "",
	    (const char *)arg, ev_names[ev], s);
	strcat(seen, w);
}

static int down_cause = -1;

static void
cause_at_down(sid_t s, enum session_event ev, void *arg)
{
	(void)arg;
	if (ev == SESSION_EV_DOWN)
		down_cause = session_end_cause(s);
}

static int
setup(void **state)
{
	static int done;

	(void)state;
	seen[0] = '\0';
	if (done)
		return 0;
	done = 1;
	unit_globals();
	if (ev_init() < 0 || tables_init(64, 4) < 0 || ppp_init(64) < 0)
		return -1;
	/* Subscribed once for the whole run, in this order. */
	if (session_subscribe(note, "A") < 0 ||
	    session_subscribe(note, "B") < 0 ||
	    session_subscribe(cause_at_down, NULL) < 0)
		return -1;
	return 0;
}

static void
end_session(sid_t s)
{
	session_ended(s, TERM_USER_REQUEST, NULL);
	session_release(s);
}

static void
test_up_in_order_down_in_reverse(void **state)
{
	sid_t s = unit_session_open("alice");
	char want[256];

	(void)state;
	assert_false(session_is_up(s));
	session_up(s);
	session_up(s);		/* only the first time */
	assert_true(session_is_up(s));
	snprintf(want, sizeof(want), "A:up:%u B:up:%u", s, s);
	assert_string_equal(seen, want);
	seen[0] = '\0';
	session_ended(s, TERM_SESSION_TIMEOUT, "limit");
	snprintf(want, sizeof(want), "B:down:%u A:down:%u", s, s);
	assert_string_equal(seen, want);
	assert_int_equal(down_cause, TERM_SESSION_TIMEOUT);
	assert_false(session_is_up(s));
	session_release(s);
}

static void
test_subscribe_once_and_table_full(void **state)
{
	int i, r = 0;

	(void)state;
	/* The same subscriber again is not a second entry. */
	assert_int_equal(session_subscribe(note, "A"), 0);
	for (i = 0; i < SESSION_MAX_SUBSCRIBERS && r == 0; i++)
		r = session_subscribe(cause_at_down, (void *)(uintptr_t)(i + 1));
	assert_int_equal(r, -1);
}

static void
test_rates_keep_the_throttle_flag(void **state)
{
	sid_t s = unit_session_open("bob");
	struct session *sp = session_get(s);
	char want[128];

	(void)state;
	session_set_rates(s, 512, 0);
	assert_int_equal(sp->rate_in, 512);
	assert_int_equal(sp->rate_out, 0);
	assert_true(sp->throttle);
	snprintf(want, sizeof(want), "A:changed:%u B:changed:%u", s, s);
	assert_string_equal(seen, want);
	session_set_rates(s, 0, 0);
	assert_false(sp->throttle);
	end_session(s);
}

static void
test_intercept_flag_follows_target(void **state)
{
	sid_t s = unit_session_open("carol");
	struct session *sp = session_get(s);

	(void)state;
	session_set_intercept(s, htonl(0x0a000001), 0);
	assert_false(sp->intercept);		/* no port yet */
	session_set_intercept(s, htonl(0x0a000001), 5000);
	assert_true(sp->intercept);
	assert_int_equal(sp->snoop_port, 5000);
	session_set_intercept(s, 0, 0);
	assert_false(sp->intercept);
	assert_int_equal(sp->snoop_ip, 0);
	end_session(s);
}

static void
test_filters_reset_the_acl_generation(void **state)
{
	sid_t s = unit_session_open("dave");
	struct session *sp = session_get(s);

	(void)state;
	sp->acl_gen = 7;
	session_set_filters(s, "web", "");
	assert_string_equal(sp->filter_in, "web");
	assert_string_equal(sp->filter_out, "");
	assert_int_equal(sp->acl_gen, 0);
	end_session(s);
}

static void
test_ungardened_once(void **state)
{
	sid_t s = unit_session_open("erin");
	char want[128];

	(void)state;
	session_set_garden(s, 1);
	assert_true(session_get(s)->walled_garden);
	seen[0] = '\0';
	session_set_garden(s, 0);
	snprintf(want, sizeof(want), "A:changed:%u B:changed:%u "
	    "A:ungardened:%u B:ungardened:%u", s, s, s, s);
	assert_string_equal(seen, want);
	seen[0] = '\0';
	session_set_garden(s, 0);	/* not in it: no UNGARDENED */
	assert_null(strstr(seen, "ungardened"));
	end_session(s);
}

static void
test_by_user_authenticated_not_closing(void **state)
{
	sid_t a = unit_session_open("frank"), b = unit_session_open("frank");
	sid_t other[20];
	char name[16];
	int i;

	(void)state;
	/* Not authenticated yet: not found by its name. */
	assert_int_equal(session_by_user("frank"), 0);
	session_authenticated(a);
	session_authenticated(b);
	/* Many other names share the hash table. */
	for (i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "user%d", i);
		other[i] = unit_session_open(name);
		session_authenticated(other[i]);
	}
	assert_true(session_by_user("frank") == a ||
	    session_by_user("frank") == b);
	session_get(b)->state = SESSION_CLOSING;
	assert_int_equal(session_by_user("frank"), a);
	end_session(a);
	assert_int_equal(session_by_user("frank"), 0);
	end_session(b);
	for (i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "user%d", i);
		assert_int_equal(session_by_user(name), other[i]);
		end_session(other[i]);
		assert_int_equal(session_by_user(name), 0);
	}
	assert_int_equal(session_by_user(""), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_up_in_order_down_in_reverse, setup),
		cmocka_unit_test_setup(test_rates_keep_the_throttle_flag, setup),
		cmocka_unit_test_setup(test_intercept_flag_follows_target,
		    setup),
		cmocka_unit_test_setup(test_filters_reset_the_acl_generation,
		    setup),
		cmocka_unit_test_setup(test_ungardened_once, setup),
		cmocka_unit_test_setup(test_by_user_authenticated_not_closing,
		    setup),
		cmocka_unit_test_setup(test_subscribe_once_and_table_full,
		    setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
