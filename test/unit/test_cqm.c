/*
 * test_cqm.c - cqm.c's login slots: found again by name, reused idle
 * longest first, none while every login has a session, a reused
 * login's name gone from the index; and 20,000 logins through the same
 * paths (the index keeps each first echo O(1)).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "unit.h"
#include "unit_daemon.h"
#include "l2tpns.h"
#include "cqm.h"
#include "event.h"
#include "log.h"

#define NSESS	20010
#define NLOGINS	3

static sid_t
login(const char *user)
{
	sid_t s = unit_session_open(user);

	cqm_echo_sent(s, 1);		/* the first echo takes the slot */
	cqm_echo_reply(s, 1);
	return s;
}

static void
logout(sid_t s)
{
	cqm_session_end(s);
	session_release(s);
}

static int
group_setup(void **state)
{
	(void)state;
	unit_globals();
	config->quality_max_logins = NLOGINS;
	if (ev_init() < 0 || tables_init(NSESS, 4) < 0 || ppp_init(NSESS) < 0 ||
	    cqm_init(NSESS) < 0)
		return -1;
	return 0;
}

static void
test_reuse_order(void **state)
{
	const struct cqm_login *a, *b, *c;
	sid_t sa, sb, sc, sd, sa2;

	(void)state;
	sa = login("alice");
	sb = login("bob");
	sc = login("carol");
	a = cqm_find("alice");
	b = cqm_find("bob");
	c = cqm_find("carol");
	assert_non_null(a);
	assert_non_null(b);
	assert_non_null(c);
	assert_true(a != b && b != c && a != c);
	assert_int_equal(a->sessions, 1);
	/* A second session of a login shares its slot. */
	sa2 = login("alice");
	assert_ptr_equal(cqm_find("alice"), a);
	assert_int_equal(a->sessions, 2);
	/* Every login busy: dave gets no history. */
	sd = login("dave");
	assert_null(cqm_find("dave"));
	logout(sd);
	/* bob goes idle first, then carol: erin takes bob's slot. */
	logout(sb);
	logout(sc);
	sd = login("erin");
	assert_ptr_equal(cqm_find("erin"), b);
	assert_null(cqm_find("bob"));
	assert_ptr_equal(cqm_find("carol"), c);
	/* carol comes back before her slot is reused: her history stays. */
	sc = login("carol");
	assert_ptr_equal(cqm_find("carol"), c);
	assert_true(c->b[0].sent + c->b[CQM_BUCKETS - 1].sent >= 0);
	logout(sa);
	assert_int_equal(a->sessions, 1);
	logout(sa2);
	logout(sc);
	logout(sd);
}

static void
test_many_logins(void **state)
{
	static sid_t s[20000];
	char u[32];
	uint32_t i, n = 20000, nl = n / 2;

	(void)state;
	/* a fresh map with n / 2 logins */
	config->quality_max_logins = (int)nl;
	assert_int_equal(cqm_init(NSESS), 0);
	for (i = 0; i < n; i++) {
		snprintf(u, sizeof(u), "user%u", i);
		s[i] = login(u);
	}
	/* The first n / 2 have a history, the others none. */
	assert_non_null(cqm_find("user0"));
	assert_non_null(cqm_find("user9999"));
	assert_null(cqm_find("user10000"));
	assert_null(cqm_find("user19999"));
	for (i = 0; i < n; i++)
		logout(s[i]);
	/* Idle now, oldest first: new logins take user0's, user1's... */
	for (i = 0; i < 3; i++) {
		snprintf(u, sizeof(u), "new%u", i);
		s[i] = login(u);
		snprintf(u, sizeof(u), "user%u", i);
		assert_null(cqm_find(u));
	}
	assert_non_null(cqm_find("user3"));
	for (i = 0; i < 3; i++)
		logout(s[i]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reuse_order,
		    unit_alarm_setup, unit_alarm_teardown),
		cmocka_unit_test_setup_teardown(test_many_logins,
		    unit_alarm_setup, unit_alarm_teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, NULL);
}
