/*
 * test_radius_window.c - the per-server window of outstanding RADIUS
 * requests (radius_window, issue 22): never more than the window at one
 * server, the rest sent in order as replies free places, Acct-Stops
 * in that order too (a session's Start before its Stop; a Stop that
 * could go sooner goes) and never lost, a cancelled Access-Request
 * leaving the queue, the queue's bound, 0 as no window, and the failover
 * to the secondary server keeping to the window.
 *
 * The tests run in order on one daemon state (sessions come up, their
 * requests are answered through radius_reply_input()).  No socket is
 * open, so the "sends" are the per-server counters.
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
#define QMAX	(NSLOT / 2)		/* radius.c's WAITQ_MAX */
#define NSESS	(QMAX + 400)
#define RQ_START_KIND	2		/* radius.c's RQ_*, for the tx table */
#define RQ_STOP_KIND	4

static sid_t sids[NSESS];

static int
group_setup(void **state)
{
	(void)state;
	unit_radius_sessions("win", 8, sids, NSESS);
	return 0;
}

static uint32_t
outstanding(int srv)
{
	struct radius_server_info si;

	assert_int_equal(radius_server_info(srv, &si), 0);
	return si.outstanding;
}

/* Requests in `state` (NULL: any), sent (queued 0) or waiting (1). */
static int
count(const char *state, int queued)
{
	struct radius_req_info ri;
	uint32_t cur = 0;
	int n = 0;

	while (radius_request_info(&cur, &ri) == 0)
		if ((state == NULL || strcmp(ri.state, state) == 0) &&
		    ri.queued == queued)
			n++;
	return n;
}

/* Whether session s has a sent request in `state`. */
static int
sent_for(sid_t s, const char *state)
{
	struct radius_req_info ri;
	uint32_t cur = 0;

	while (radius_request_info(&cur, &ri) == 0)
		if (ri.sid == s && !ri.queued && strcmp(ri.state, state) == 0)
			return 1;
	return 0;
}

/* Answer n sent requests in `state` (NULL: any) from server srv; the
 * window is checked after each answer. */
static void
answer(const char *state, int n, int srv)
{
	struct radius_req_info ri;
	uint32_t cur;

	while (n > 0) {
		cur = 0;
		while (radius_request_info(&cur, &ri) == 0)
			if (!ri.queued && ri.server == srv &&
			    (state == NULL || strcmp(ri.state, state) == 0))
				break;
		assert_true(cur > 0 && cur <= NSLOT);
		assert_int_equal(unit_acct_reply(&ri, srv), RAD_OK);
		if (config->radius_window > 0)
			assert_true(outstanding(srv) <=
			    (uint32_t)config->radius_window);
		n--;
	}
}

static void
test_window_caps_and_keeps_order(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < 100; i++)
		session_notify(sids[i], SESSION_EV_UP);
	assert_int_equal(outstanding(0), 8);
	assert_int_equal(count("START", 0), 8);
	assert_int_equal(count("START", 1), 92);
	assert_int_equal(radius_queue_length(), 92);
	assert_int_equal(stats->radius_queued, 92);
	assert_int_equal(stats->radius_window_full, 92);
	assert_int_equal(stats->radius_srv_tx[0][RQ_START_KIND], 8);
	assert_int_equal(radius_busy(), 100);	/* queued ones count */
	for (i = 0; i < 8; i++)
		assert_true(sent_for(sids[i], "START"));

	/* Five answers: the next five in order go, no more. */
	answer("START", 5, 0);
	assert_int_equal(outstanding(0), 8);
	assert_int_equal(radius_queue_length(), 87);
	assert_int_equal(stats->radius_srv_tx[0][RQ_START_KIND], 13);
	for (i = 8; i < 13; i++)
		assert_true(sent_for(sids[i], "START"));
	assert_false(sent_for(sids[13], "START"));
}

static void
test_reply_to_a_queued_request_dropped(void **state)
{
	struct radius_req_info ri;
	uint32_t cur = 0;
	uint64_t unexpected = stats->radius_unexpected;

	(void)state;
	while (radius_request_info(&cur, &ri) == 0 && !ri.queued)
		;
	assert_int_equal(ri.queued, 1);
	assert_int_not_equal(unit_acct_reply(&ri, 0), RAD_OK);
	assert_int_equal(stats->radius_unexpected, unexpected + 1);
	assert_int_equal(radius_queue_length(), 87);
}

static void
test_stops_keep_their_place_and_are_kept(void **state)
{
	uint64_t starts;
	int i;

	(void)state;
	/* The window is full: three Stops wait in the Stop queue, each
	 * behind its session's Start. */
	for (i = 100; i < 103; i++) {
		session_notify(sids[i], SESSION_EV_UP);	/* queued Start */
		now_ms++;
		session_ended(sids[i], TERM_LOST_CARRIER, "test");
		now_ms++;
	}
	assert_int_equal(radius_queue_length(), 90);
	assert_int_equal(stats->radius_stop_queued, 3);
	assert_int_equal(count("STOP", 0), 0);
	starts = stats->radius_srv_tx[0][RQ_START_KIND];
	/* Places free: the older Starts go first. */
	answer("START", 3, 0);
	assert_int_equal(count("STOP", 0), 0);
	assert_int_equal(stats->radius_srv_tx[0][RQ_START_KIND], starts + 3);
	assert_int_equal(radius_queue_length(), 87);
	/* Down to session 100's Start: then its Stop, then 101's Start. */
	answer("START", 85, 0);
	assert_true(sent_for(sids[100], "START"));
	assert_false(sent_for(sids[101], "START"));
	assert_int_equal(count("STOP", 0), 0);
	answer("START", 1, 0);
	assert_int_equal(count("STOP", 0), 1);
	/* 101's and 102's Starts wait, their Stops behind them */
	assert_int_equal(radius_queue_length(), 2);
	assert_int_equal(outstanding(0), 8);
	assert_int_equal(stats->radius_stop_lost, 0);
}

static void
test_cancelled_auth_leaves_the_queue(void **state)
{
	struct auth_req rq;
	sid_t s = sids[300];

	(void)state;
	memset(&rq, 0, sizeof(rq));
	rq.sid = s;
	rq.proto = PPP_PAP;
	snprintf(rq.user, sizeof(rq.user), "u300");
	memcpy(rq.password, "secret", 6);
	rq.password_len = 6;
	radius_auth_submit(&rq);
	assert_int_equal(count("AUTH", 1), 1);
	assert_int_equal(radius_queue_length(), 3);
	radius_auth_cancel(s);
	assert_int_equal(count("AUTH", 1) + count("AUTH", 0), 0);
	assert_int_equal(radius_queue_length(), 2);
}

static void
test_queue_drains_within_the_window(void **state)
{
	uint64_t tx;

	(void)state;
	/* 8 outstanding, 2 Starts and 2 Stops waiting: every one
	 * answered, one by one. */
	answer(NULL, 12, 0);
	assert_int_equal(radius_queue_length(), 0);
	assert_int_equal(outstanding(0), 0);
	assert_int_equal(count(NULL, 0) + count(NULL, 1), 0);
	tx = stats->radius_srv_tx[0][RQ_START_KIND];
	assert_int_equal(tx, 103);	/* each Start sent once */
	assert_int_equal(stats->radius_srv_tx[0][RQ_STOP_KIND], 3);
	assert_int_equal(stats->radius_retransmits, 0);
	assert_int_equal(radius_busy(), 0);
}

static void
test_window_zero_is_unbounded(void **state)
{
	uint64_t queued = stats->radius_queued;
	int i;

	(void)state;
	config->radius_window = 0;
	for (i = 103; i < 203; i++)
		session_notify(sids[i], SESSION_EV_UP);
	assert_int_equal(outstanding(0), 100);
	assert_int_equal(radius_queue_length(), 0);
	assert_int_equal(stats->radius_queued, queued);
	answer(NULL, 100, 0);
	assert_int_equal(outstanding(0), 0);
}

static void
test_queue_bounded_stops_still_kept(void **state)
{
	uint64_t stopq = stats->radius_stop_queued;
	int i;

	(void)state;
	config->radius_window = 1;
	for (i = 203; i < 203 + 1 + QMAX + 10; i++)
		session_notify(sids[i], SESSION_EV_UP);
	assert_int_equal(outstanding(0), 1);
	assert_int_equal(radius_queue_length(), QMAX);
	assert_int_equal(stats->radius_queue_full, 10);
	/* A Stop with the queue full is kept in the Stop queue. */
	now_ms++;
	session_ended(sids[203 + QMAX + 5], TERM_LOST_CARRIER, "test");
	assert_int_equal(stats->radius_stop_queued, stopq + 1);
	assert_int_equal(stats->radius_stop_lost, 0);
	/* the rest drains with a larger window (HUP), the Stop last */
	config->radius_window = 64;
	radius_reload();
	assert_int_equal(outstanding(0), 64);
	answer(NULL, QMAX, 0);
	assert_int_equal(radius_queue_length(), 0);
	assert_int_equal(count("STOP", 0), 1);
	assert_int_equal(outstanding(0), 2);	/* the last Start, the Stop */
	answer(NULL, 2, 0);
	assert_int_equal(outstanding(0), 0);
	assert_int_equal(radius_busy(), 0);
}

static void
test_failover_keeps_the_window(void **state)
{
	int i;

	(void)state;
	config->radius_window = 2;
	config->secondary_radius = inet_addr("192.0.2.2");
	for (i = NSESS - 3; i < NSESS; i++)
		session_notify(sids[i], SESSION_EV_UP);
	assert_int_equal(outstanding(0), 2);
	assert_int_equal(radius_queue_length(), 1);
	/* No answer: RAD_TRIES sends to the primary, then the secondary. */
	for (i = 0; i < RAD_TRIES; i++) {
		now_ms += (uint64_t)config->radius_timeout * 1000;
		timers_run();
	}
	assert_int_equal(stats->radius_failovers, 2);
	assert_int_equal(outstanding(0), 0);
	assert_int_equal(outstanding(1), 2);
	/* The primary is skipped now; the secondary's window is full. */
	assert_int_equal(radius_queue_length(), 1);
	answer("START", 1, 1);
	assert_int_equal(radius_queue_length(), 0);
	assert_int_equal(outstanding(1), 2);
	assert_int_equal(stats->radius_srv_tx[1][RQ_START_KIND], 3);
	answer("START", 2, 1);
	assert_int_equal(outstanding(1), 0);
	assert_int_equal(radius_busy(), 0);
}

/* Every server silent: the Access-Requests waiting for the window fail
 * with the one given up, not a window's worth at a time. */
static void
test_waiting_auth_fails_when_every_server_is_silent(void **state)
{
	struct auth_req rq;
	uint64_t timeouts = stats->radius_timeouts;
	int i;

	(void)state;
	config->radius_window = 1;
	config->secondary_radius = 0;
	radius_reload();		/* the primary is tried afresh */
	for (i = 0; i < 3; i++) {
		memset(&rq, 0, sizeof(rq));
		rq.sid = sids[400 + i];
		rq.proto = PPP_PAP;
		snprintf(rq.user, sizeof(rq.user), "u%d", 400 + i);
		memcpy(rq.password, "secret", 6);
		rq.password_len = 6;
		radius_auth_submit(&rq);
	}
	assert_int_equal(count("AUTH", 0), 1);
	assert_int_equal(count("AUTH", 1), 2);
	for (i = 0; i < RAD_TRIES; i++) {
		now_ms += (uint64_t)config->radius_timeout * 1000;
		timers_run();
	}
	assert_int_equal(stats->radius_timeouts, timeouts + 3);
	assert_int_equal(count("AUTH", 0) + count("AUTH", 1), 0);
	assert_int_equal(radius_queue_length(), 0);
	assert_int_equal(outstanding(0), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_window_caps_and_keeps_order),
		cmocka_unit_test(test_reply_to_a_queued_request_dropped),
		cmocka_unit_test(test_stops_keep_their_place_and_are_kept),
		cmocka_unit_test(test_cancelled_auth_leaves_the_queue),
		cmocka_unit_test(test_queue_drains_within_the_window),
		cmocka_unit_test(test_window_zero_is_unbounded),
		cmocka_unit_test(test_queue_bounded_stops_still_kept),
		cmocka_unit_test(test_failover_keeps_the_window),
		cmocka_unit_test(test_waiting_auth_fails_when_every_server_is_silent),
	};

	return cmocka_run_group_tests(tests, group_setup, NULL);
}
