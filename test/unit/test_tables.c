/*
 * test_tables.c - session/tunnel tables and their O(1) indexes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "l2tpns.h"

static in_addr_t
ip(const char *s)
{
	return inet_addr(s);
}

static int
teardown(void **state)
{
	(void)state;
	tables_free();
	return 0;
}

/* Allocation hands out every index once, then fails; FIFO reuse. */
static void
test_alloc_release(void **state)
{
	sid_t s[5];
	int i;

	(void)state;
	assert_int_equal(tables_init(4, 2), 0);
	for (i = 0; i < 4; i++) {
		s[i] = session_alloc();
		assert_int_equal(s[i], i + 1);
		assert_int_equal(session_get(s[i])->state, SESSION_OPENING);
	}
	assert_int_equal(session_alloc(), 0);
	assert_int_equal(tables->sessions_used, 4);
	session_release(s[1]);
	session_release(s[3]);
	session_release(s[3]);		/* twice: ignored */
	assert_int_equal(tables->sessions_used, 2);
	assert_int_equal(session_alloc(), 2);	/* oldest freed first */
	assert_int_equal(session_alloc(), 4);
	assert_int_equal(session_alloc(), 0);
	assert_null(session_get(0));
	assert_null(session_get(5));

	assert_int_equal(tunnel_alloc(), 1);
	assert_int_equal(tunnel_alloc(), 2);
	assert_int_equal(tunnel_alloc(), 0);
	tunnel_release(1);
	assert_int_equal(tunnel_alloc(), 1);
	assert_null(tunnel_get(3));
}

/* Wire ids map to indexes per tunnel; duplicates are refused. */
static void
test_wire_ids(void **state)
{
	tid_t t1, t2;
	sid_t a, b, c;

	(void)state;
	assert_int_equal(tables_init(100, 10), 0);
	t1 = tunnel_alloc();
	t2 = tunnel_alloc();
	assert_int_equal(tunnel_bind_wire(t1, 0x1234), 0);
	assert_int_equal(tunnel_bind_wire(t2, 0x1234), -1);	/* taken */
	assert_int_equal(tunnel_bind_wire(t2, 0xbeef), 0);
	assert_int_equal(tunnel_by_wire(0x1234), t1);
	assert_int_equal(tunnel_by_wire(0xbeef), t2);
	assert_int_equal(tunnel_by_wire(0), 0);
	assert_int_equal(tunnel_by_wire(7), 0);

	a = session_alloc();
	b = session_alloc();
	c = session_alloc();
	session_get(a)->tunnel = t1;
	session_get(b)->tunnel = t2;
	session_get(c)->tunnel = t1;
	assert_int_equal(session_bind_wire(a, 77), 0);
	assert_int_equal(session_bind_wire(b, 77), 0);	/* other tunnel */
	assert_int_equal(session_bind_wire(c, 77), -1);	/* same tunnel */
	assert_int_equal(session_bind_wire(c, 0), -1);
	assert_int_equal(session_by_wire(t1, 77), a);
	assert_int_equal(session_by_wire(t2, 77), b);
	assert_int_equal(session_by_wire(t1, 78), 0);
	session_release(a);
	assert_int_equal(session_by_wire(t1, 77), 0);
	assert_int_equal(session_by_wire(t2, 77), b);
	tunnel_release(t1);
	assert_int_equal(tunnel_by_wire(0x1234), 0);
}

/* Longest prefix wins; removal falls back to the shorter prefix. */
static void
test_lpm(void **state)
{
	sid_t a, b, c;

	(void)state;
	assert_int_equal(tables_init(10, 2), 0);
	a = session_alloc();
	b = session_alloc();
	c = session_alloc();
	assert_int_equal(session_route_add(a, ip("10.0.0.0"), 8), 0);
	assert_int_equal(session_route_add(b, ip("10.1.0.0"), 16), 0);
	assert_int_equal(session_route_add(c, ip("10.1.2.3"), 32), 0);
	session_get(c)->ip = ip("10.1.2.3");
	assert_int_equal(session_by_ip(ip("10.1.2.3")), c);
	assert_int_equal(session_by_ip(ip("10.1.2.4")), b);
	assert_int_equal(session_by_ip(ip("10.2.0.1")), a);
	assert_int_equal(session_by_ip(ip("11.0.0.1")), 0);
	/* host bits of the prefix are ignored */
	assert_int_equal(session_route_add(a, ip("192.168.1.77"), 24), 0);
	assert_int_equal(session_by_ip(ip("192.168.1.1")), a);
	/* a prefix another session routes is not taken over */
	assert_int_equal(session_route_add(b, ip("10.0.0.0"), 8), -1);
	assert_int_equal(session_by_ip(ip("10.2.0.1")), a);
	/* only the owner removes an entry */
	assert_int_equal(session_route_del(a, ip("10.1.0.0"), 16), -1);
	assert_int_equal(session_route_del(b, ip("10.1.0.0"), 16), 0);
	assert_int_equal(session_by_ip(ip("10.1.2.4")), a);
	/* releasing a session removes its /32 */
	session_release(c);
	assert_int_equal(session_by_ip(ip("10.1.2.3")), a);
	assert_int_equal(session_route_add(a, 0, 0), 0);	/* default */
	assert_int_equal(session_by_ip(ip("8.8.8.8")), a);
	assert_int_equal(session_route_add(a, 0, 33), -1);
}

/*
 * Many entries with heavy churn: every lookup still answers right (this
 * exercises backward-shift deletion across probe chains).
 */
static void
test_churn(void **state)
{
	enum { N = 20000 };
	sid_t *owner;
	uint32_t i, round;

	(void)state;
	assert_int_equal(tables_init(N, 2), 0);
	owner = calloc(N + 1, sizeof(*owner));
	for (i = 1; i <= N; i++) {
		assert_int_equal(session_alloc(), i);
		assert_int_equal(session_route_add(i, htonl(0x0a000000 + i), 32),
		    0);
	}
	srandom(11);
	for (round = 0; round < 5 * N; round++) {
		sid_t s = (sid_t)(random() % N) + 1;
		uint32_t a = 0x0a000000 + s;

		assert_int_equal(session_route_del(s, htonl(a), 32), 0);
		assert_int_equal(session_by_ip(htonl(a)), 0);
		assert_int_equal(session_route_add(s, htonl(a), 32), 0);
	}
	for (i = 1; i <= N; i++)
		assert_int_equal(session_by_ip(htonl(0x0a000000 + i)), i);
	free(owner);
}

/* A forked child (the CLI) sees changes the parent makes afterwards. */
static void
test_shared_with_child(void **state)
{
	int p[2], q[2], status;
	pid_t pid;
	char c;
	sid_t s;

	(void)state;
	assert_int_equal(tables_init(10, 2), 0);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(pipe(q), 0);
	if ((pid = fork()) == 0) {
		/* wait for the parent's change, then look it up */
		if (read(p[0], &c, 1) != 1)
			_exit(2);
		s = session_by_ip(ip("100.64.0.9"));
		_exit(s == 1 && strcmp(session_get(1)->user, "joe") == 0 ? 0 : 1);
	}
	s = session_alloc();
	strcpy(session_get(s)->user, "joe");
	assert_int_equal(session_route_add(s, ip("100.64.0.9"), 32), 0);
	assert_int_equal(write(p[1], "x", 1), 1);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	close(p[0]); close(p[1]); close(q[0]); close(q[1]);
}

/* No 65535 ceiling: a table larger than 16 bits works. */
static void
test_large_table(void **state)
{
	sid_t s = 0;
	uint32_t i;

	(void)state;
	assert_int_equal(tables_init(70000, 2), 0);
	for (i = 0; i < 70000; i++)
		s = session_alloc();
	assert_int_equal(s, 70000);
	assert_int_equal(session_route_add(s, ip("100.100.100.100"), 32), 0);
	assert_int_equal(session_by_ip(ip("100.100.100.100")), 70000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_alloc_release, teardown),
		cmocka_unit_test_teardown(test_wire_ids, teardown),
		cmocka_unit_test_teardown(test_lpm, teardown),
		cmocka_unit_test_teardown(test_churn, teardown),
		cmocka_unit_test_teardown(test_shared_with_child, teardown),
		cmocka_unit_test_teardown(test_large_table, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
