/*
 * test_event.c - the timer heap and the epoll fd registry.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <cmocka.h>

#include "event.h"

static int order[128], norder;

static void
record(struct timer *t, void *arg)
{
	(void)t;
	order[norder++] = (int)(intptr_t)arg;
}

static int
setup(void **state)
{
	(void)state;
	norder = 0;
	return ev_init();
}

static int
teardown(void **state)
{
	(void)state;
	ev_close();
	return 0;
}

/* Timers fire in expiry order whatever the order they were armed in. */
static void
test_fire_order(void **state)
{
	struct timer t[8];
	static const int delays[8] = { 50, 10, 40, 10, 30, 0, 70, 20 };
	int i;

	(void)state;
	now_ms = 1000;
	for (i = 0; i < 8; i++) {
		timer_init(&t[i], record, (void *)(intptr_t)i);
		timer_set(&t[i], (uint64_t)delays[i]);
	}
	assert_int_equal(timers_count(), 8);
	assert_int_equal(timers_next_ms(), 0);
	now_ms = 1035;
	assert_int_equal(timers_run(), 5);
	assert_int_equal(norder, 5);
	assert_int_equal(order[0], 5);		/* delay 0 */
	/* the two 10 ms timers, in either order */
	assert_true((order[1] == 1 && order[2] == 3) ||
	    (order[1] == 3 && order[2] == 1));
	assert_int_equal(order[3], 7);		/* 20 */
	assert_int_equal(order[4], 4);		/* 30 */
	assert_int_equal(timers_next_ms(), 5);	/* t[2] at 1040 */
	now_ms = 2000;
	assert_int_equal(timers_run(), 3);
	assert_int_equal(order[5], 2);
	assert_int_equal(order[6], 0);
	assert_int_equal(order[7], 6);
	assert_int_equal(timers_count(), 0);
	assert_int_equal(timers_next_ms(), -1);
}

/* Cancel and re-arm from any position keep the heap ordered. */
static void
test_cancel_rearm(void **state)
{
	struct timer t[100];
	uint64_t last = 0;
	int i, fired;

	(void)state;
	now_ms = 0;
	srandom(7);
	for (i = 0; i < 100; i++) {
		timer_init(&t[i], record, (void *)(intptr_t)(i % 64));
		timer_set(&t[i], (uint64_t)(random() % 1000) + 1);
	}
	for (i = 0; i < 100; i += 3) {
		timer_cancel(&t[i]);
		assert_false(timer_pending(&t[i]));
	}
	timer_cancel(&t[0]);	/* cancelling twice is harmless */
	/* re-arm some live timers, moving them up or down the heap */
	for (i = 1; i < 100; i += 7)
		if (i % 3 != 0)
			timer_set(&t[i], (uint64_t)(random() % 1000) + 1);
	assert_int_equal(timers_count(), 100 - 34);
	/* Drain one millisecond at a time: expiries never go backwards. */
	fired = 0;
	for (now_ms = 0; now_ms <= 1001; now_ms++) {
		int n = timers_run();

		if (n > 0) {
			assert_true(now_ms >= last);
			last = now_ms;
		}
		fired += n;
	}
	assert_int_equal(fired, 66);
	for (i = 0; i < 100; i++)
		assert_false(timer_pending(&t[i]));
}

static struct timer periodic;
static int ticks;

static void
tick(struct timer *t, void *arg)
{
	(void)arg;
	ticks++;
	timer_set_at(t, t->when + 100);
}

/* A periodic timer's next expiry follows its last one: no drift. */
static void
test_periodic_no_drift(void **state)
{
	(void)state;
	ticks = 0;
	now_ms = 0;
	timer_init(&periodic, tick, NULL);
	timer_set(&periodic, 100);
	now_ms = 150;		/* late by 50 ms */
	timers_run();
	assert_int_equal(ticks, 1);
	assert_int_equal(periodic.when, 200);
	now_ms = 1000;
	timers_run();		/* fires for 200..1000, catching up */
	assert_int_equal(ticks, 10);
	assert_int_equal(periodic.when, 1100);
	timer_cancel(&periodic);
}

static int got_fd = -1, got_calls;

static void
on_readable(int fd, uint32_t events, void *arg)
{
	char buf[8];

	got_fd = fd;
	got_calls++;
	assert_true(events & EPOLLIN);
	assert_ptr_equal(arg, &got_fd);
	assert_int_equal(read(fd, buf, sizeof(buf)), 1);
}

/* A readable fd dispatches to its handler; a deleted one no longer does. */
static void
test_fd_dispatch(void **state)
{
	int p[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(ev_add(p[0], EPOLLIN, on_readable, &got_fd), 0);
	assert_int_equal(ev_run_once(0), 0);
	assert_int_equal(got_calls, 0);
	assert_int_equal(write(p[1], "x", 1), 1);
	assert_int_equal(ev_run_once(1000), 1);
	assert_int_equal(got_calls, 1);
	assert_int_equal(got_fd, p[0]);
	assert_int_equal(ev_del(p[0]), 0);
	assert_int_equal(write(p[1], "y", 1), 1);
	assert_int_equal(ev_run_once(0), 0);
	assert_int_equal(got_calls, 1);
	assert_int_equal(ev_del(p[0]), -1);
	close(p[0]);
	close(p[1]);
}

/* The wait is bounded by the first timer, and the timer fires. */
static void
test_wait_bounded_by_timer(void **state)
{
	struct timer t;
	uint64_t start;

	(void)state;
	ev_update_time();
	start = now_ms;
	timer_init(&t, record, (void *)(intptr_t)42);
	timer_set(&t, 30);
	ev_run_once(5000);
	while (timer_pending(&t))
		ev_run_once(5000);
	assert_true(now_ms - start >= 30);
	assert_true(now_ms - start < 2000);
	assert_int_equal(order[norder - 1], 42);
}

/*
 * Many timers, moved, cancelled and re-armed at random (a fixed seed):
 * every pending timer fires once, none early, in expiry order, and the
 * heap keeps its count -- across the heap's growth and with every shape
 * of the 4-ary tree's last level.
 */
static uint64_t fired_at[5000];
static uint64_t last_when;
static int fired_total, out_of_order;

static void
stamp(struct timer *t, void *arg)
{
	int i = (int)(intptr_t)arg;

	if (t->when < last_when || t->when > now_ms)
		out_of_order++;
	last_when = t->when;
	fired_at[i]++;
	fired_total++;
}

static void
test_random_operations(void **state)
{
	static struct timer t[5000];
	static uint64_t due[5000];
	uint32_t seed = 12345;
	int i, k, pending = 0;

	(void)state;
	now_ms = 0;
	last_when = 0;
	fired_total = out_of_order = 0;
	memset(fired_at, 0, sizeof(fired_at));
	for (i = 0; i < 5000; i++) {
		timer_init(&t[i], stamp, (void *)(intptr_t)i);
		due[i] = 0;
	}
	for (k = 0; k < 40000; k++) {
		seed = seed * 1103515245u + 12345u;
		i = (int)((seed >> 8) % 5000);
		if (((seed >> 4) & 3) == 0 && timer_pending(&t[i])) {
			timer_cancel(&t[i]);
			due[i] = 0;
		} else {
			due[i] = 1 + (seed >> 12) % 100000;
			timer_set_at(&t[i], due[i]);
		}
	}
	for (i = 0; i < 5000; i++)
		pending += due[i] != 0;
	assert_int_equal(timers_count(), pending);
	/* Run the clock forward in steps; each step fires what is due. */
	for (now_ms = 0; now_ms <= 100000; now_ms += 997)
		timers_run();
	now_ms = 200000;
	timers_run();
	assert_int_equal(out_of_order, 0);
	assert_int_equal(fired_total, pending);
	for (i = 0; i < 5000; i++)
		assert_int_equal(fired_at[i], due[i] != 0);
	assert_int_equal(timers_count(), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fire_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel_rearm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_periodic_no_drift, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_fd_dispatch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wait_bounded_by_timer, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_random_operations, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
