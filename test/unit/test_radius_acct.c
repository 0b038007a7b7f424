/*
 * test_radius_acct.c - accounting under load (issue 20, finding 4): an
 * Acct-Stop that finds every RADIUS identifier in flight is queued and
 * sent as identifiers free, never dropped; radius_stop_all() accounts
 * for every session (SIGTERM with no cluster).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <md5.h>
#include <cmocka.h>

#include "l2tpns.h"
#include "auth.h"
#include "event.h"
#include "log.h"
#include "radius.h"
#include "session.h"
#include "unit_daemon.h"
#include "unit_radius.h"

#define NSLOT	(RAD_NSOCK * 256)
#define NSESS	(NSLOT + 60)

static sid_t sids[NSESS];

static void
setup(void)
{
	/* every identifier in flight at once: no window */
	unit_radius_sessions("acct", 0, sids, NSESS);
}

/* How many requests in flight are in `state`. */
static int
in_flight(const char *state)
{
	struct radius_req_info ri;
	uint32_t cur = 0;
	int n = 0;

	while (radius_request_info(&cur, &ri) == 0)
		if (strcmp(ri.state, state) == 0)
			n++;
	return n;
}

/* Answer `n` requests in `state` with an Accounting-Response. */
static void
answer(const char *state, int n)
{
	struct radius_req_info ri;
	uint32_t cur = 0;

	while (n > 0 && radius_request_info(&cur, &ri) == 0) {
		if (strcmp(ri.state, state) != 0)
			continue;
		assert_int_equal(unit_acct_reply(&ri, 0), RAD_OK);
		n--;
	}
	assert_int_equal(n, 0);
}

static void
test_stop_queued_when_identifiers_run_out(void **state)
{
	uint64_t lost_before;
	int i;

	(void)state;
	setup();
	/* Every session comes up: NSLOT Starts fill every identifier. */
	for (i = 0; i < NSESS; i++)
		session_notify(sids[i], SESSION_EV_UP);
	assert_int_equal(in_flight("START"), NSLOT);
	assert_int_equal(radius_busy(), NSLOT);
	lost_before = stats->radius_overflow;
	assert_int_equal(lost_before, NSESS - NSLOT);	/* Starts: lost */

	/* 40 sessions end: their Stops wait for identifiers. */
	for (i = 0; i < 40; i++)
		session_ended(sids[i], TERM_LOST_CARRIER, "test");
	assert_int_equal(stats->radius_stop_queued, 40);
	assert_int_equal(stats->radius_stop_lost, 0);
	assert_int_equal(in_flight("STOP"), 0);
	assert_int_equal(radius_busy(), NSLOT + 40);

	/* Each answer frees an identifier, which goes to a queued Stop. */
	answer("START", 25);
	assert_int_equal(in_flight("STOP"), 25);
	assert_int_equal(radius_busy(), NSLOT + 15);
	answer("START", 30);
	assert_int_equal(in_flight("STOP"), 40);
	assert_int_equal(radius_busy(), NSLOT - 15);
	/* and the Stops themselves are answered normally */
	answer("STOP", 40);
	assert_int_equal(in_flight("STOP"), 0);
}

static void
test_stop_all(void **state)
{
	int n;

	(void)state;
	/* The rest of the sessions (accounted: their Start went out). */
	n = radius_stop_all(TERM_ADMIN_REBOOT);
	assert_true(n > 0);
	assert_int_equal(in_flight("STOP") + (int)stats->radius_stop_queued -
	    40, n);
	/* once only */
	assert_int_equal(radius_stop_all(TERM_ADMIN_REBOOT), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stop_queued_when_identifiers_run_out),
		cmocka_unit_test(test_stop_all),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
