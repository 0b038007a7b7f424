/*
 * test_tables.c - session/tunnel tables and their O(1) indexes.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/mman.h>
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

/* A child forked as the CLI is, sharing the tables, held until released. */
struct reader {
	int	 go[2];		/* the pipe that releases it */
	pid_t	 pid;
};

/*
 * Fork the reader: it waits for reader_check(), then exits with
 * check()'s result (0 when it found what it should).
 */
static void
reader_fork(struct reader *r, int (*check)(void))
{
	char c;

	assert_int_equal(pipe(r->go), 0);
	if ((r->pid = fork()) == 0) {
		if (read(r->go[0], &c, 1) != 1)
			_exit(2);
		_exit(check());
	}
	assert_true(r->pid > 0);
}

/* Release the reader; it must exit 0. */
static void
reader_check(struct reader *r)
{
	int status;

	assert_int_equal(write(r->go[1], "x", 1), 1);
	assert_int_equal(waitpid(r->pid, &status, 0), r->pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	close(r->go[0]);
	close(r->go[1]);
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

/* Fresh tables (10 sessions, 2 tunnels), sessions a, b and c (if given). */
static void
fresh_sessions(sid_t *a, sid_t *b, sid_t *c)
{
	assert_int_equal(tables_init(10, 2), 0);
	*a = session_alloc();
	*b = session_alloc();
	if (c != NULL)
		*c = session_alloc();
}

/* Longest prefix wins; removal falls back to the shorter prefix. */
static void
test_lpm(void **state)
{
	sid_t a, b, c;

	(void)state;
	fresh_sessions(&a, &b, &c);
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

/* The parent's change, looked up in the child. */
static int
sees_joe(void)
{
	sid_t s = session_by_ip(ip("100.64.0.9"));

	return s == 1 && strcmp(session_get(1)->user, "joe") == 0 ? 0 : 1;
}

/* A forked child (the CLI) sees changes the parent makes afterwards. */
static void
test_shared_with_child(void **state)
{
	struct reader r;
	sid_t s;

	(void)state;
	assert_int_equal(tables_init(10, 2), 0);
	reader_fork(&r, sees_joe);
	s = session_alloc();
	strcpy(session_get(s)->user, "joe");
	assert_int_equal(session_route_add(s, ip("100.64.0.9"), 32), 0);
	reader_check(&r);
}

/*
 * Issue 22: the hashes start at a page and double as they fill, each
 * time into the other half of their mapping; a child forked before any
 * of it (the CLI) finds every entry after the growths, and entries
 * deleted on the way stay gone.
 */
enum { GROWN = 50000 };

/* Every entry the parent added and kept; none it deleted. */
static int
sees_grown(void)
{
	uint32_t i;

	for (i = 1; i <= GROWN; i++)
		if (session_by_ip(htonl(0x0a000000 + i)) != (i % 7 ? i : 0) ||
		    session_by_wire(1, (uint16_t)i) != (i % 7 ? i : 0))
			return 1;
	return 0;
}

static void
test_hashes_grow_shared_with_child(void **state)
{
	enum { N = GROWN };
	struct reader r;
	uint32_t i;

	(void)state;
	assert_int_equal(tables_init(100000, 2), 0);
	reader_fork(&r, sees_grown);
	for (i = 1; i <= N; i++) {
		assert_int_equal(session_alloc(), i);
		session_get(i)->tunnel = 1;
		assert_int_equal(session_route_add(i, htonl(0x0a000000 + i),
		    32), 0);
		assert_int_equal(session_bind_wire(i, (uint16_t)i), 0);
		if (i % 7 == 0 && i > 7) {	/* one behind: across growths */
			assert_int_equal(session_route_del(i - 7,
			    htonl(0x0a000000 + i - 7), 32), 0);
			session_unbind_wire(i - 7);
		}
	}
	assert_int_equal(session_route_del(N - N % 7, htonl(0x0a000000 + N -
	    N % 7), 32), 0);
	session_unbind_wire(N - N % 7);
	for (i = 1; i <= N; i++)
		assert_int_equal(session_by_ip(htonl(0x0a000000 + i)),
		    i % 7 ? i : 0);
	reader_check(&r);
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

static struct in6_addr
ip6(const char *s)
{
	struct in6_addr a;

	assert_int_equal(inet_pton(AF_INET6, s, &a), 1);
	return a;
}

static int
add6(sid_t s, const char *net, int plen)
{
	struct in6_addr a = ip6(net);

	return session_route6_add(s, &a, plen);
}

static int
del6(sid_t s, const char *net, int plen)
{
	struct in6_addr a = ip6(net);

	return session_route6_del(s, &a, plen);
}

static sid_t
by6(const char *addr)
{
	struct in6_addr a = ip6(addr);

	return session_by_ip6(&a);
}

/* IPv6 prefixes: the longest of /48, /56, /64 wins; removal falls back. */
static void
test_v6_lpm(void **state)
{
	sid_t a, b, c;

	(void)state;
	fresh_sessions(&a, &b, &c);
	assert_int_equal(by6("2001:db8:aa::1"), 0);	/* nothing yet */
	assert_int_equal(add6(a, "2001:db8:aa::", 48), 0);
	assert_int_equal(add6(b, "2001:db8:aa:100::", 56), 0);
	assert_int_equal(add6(c, "2001:db8:aa:142::", 64), 0);
	assert_int_equal(by6("2001:db8:aa:142::99"), c);
	assert_int_equal(by6("2001:db8:aa:142:ffff:ffff:ffff:ffff"), c);
	assert_int_equal(by6("2001:db8:aa:143::1"), b);
	assert_int_equal(by6("2001:db8:aa:1ff::1"), b);
	assert_int_equal(by6("2001:db8:aa:200::1"), a);
	assert_int_equal(by6("2001:db8:aa:ffff::1"), a);
	assert_int_equal(by6("2001:db8:ab::1"), 0);
	assert_int_equal(by6("::1"), 0);
	/* host bits of a prefix are ignored */
	assert_int_equal(add6(a, "2001:db8:cc:1234:5678::9", 48), 0);
	assert_int_equal(by6("2001:db8:cc:ff::1"), a);
	/* adding again is no change; deleting once removes it */
	assert_int_equal(add6(a, "2001:db8:cc::", 48), 0);
	assert_int_equal(del6(a, "2001:db8:cc::", 48), 0);
	assert_int_equal(by6("2001:db8:cc:ff::1"), 0);
	assert_int_equal(del6(a, "2001:db8:cc::", 48), -1);
	/* removal falls back to the next shorter prefix */
	assert_int_equal(del6(c, "2001:db8:aa:142::", 64), 0);
	assert_int_equal(by6("2001:db8:aa:142::99"), b);
	assert_int_equal(del6(b, "2001:db8:aa:100::", 56), 0);
	assert_int_equal(by6("2001:db8:aa:142::99"), a);
	/* odd lengths too */
	assert_int_equal(add6(b, "2001:db8:aa:8000::", 33 + 16), 0);
	assert_int_equal(by6("2001:db8:aa:8000::1"), b);
	assert_int_equal(by6("2001:db8:aa:7fff::1"), a);
	/* lengths outside 1..64 and the all-zero prefix are refused */
	assert_int_equal(add6(a, "2001:db8::", 0), -1);
	assert_int_equal(add6(a, "2001:db8::", 65), -1);
	assert_int_equal(add6(a, "2001:db8::", 128), -1);
	assert_int_equal(add6(a, "::", 16), -1);
	assert_int_equal(add6(a, "0:0:0:0:1::", 64), -1);
	assert_int_equal(add6(0, "2001:db8::", 32), -1);
	assert_int_equal(add6(11, "2001:db8::", 32), -1);
	assert_int_equal(del6(a, "2001:db8::", 65), -1);
}

/* A prefix another session has is refused; only the owner removes it. */
static void
test_v6_owner(void **state)
{
	sid_t a, b;

	(void)state;
	fresh_sessions(&a, &b, NULL);
	assert_int_equal(add6(a, "2001:db8:bb00::", 56), 0);
	errno = 0;
	assert_int_equal(add6(b, "2001:db8:bb00::", 56), -1);
	assert_int_equal(errno, EEXIST);
	assert_int_equal(by6("2001:db8:bb00::1"), a);
	assert_int_equal(del6(b, "2001:db8:bb00::", 56), -1);
	assert_int_equal(by6("2001:db8:bb00::1"), a);
	/* once the owner lets go, another session may take it */
	assert_int_equal(del6(a, "2001:db8:bb00::", 56), 0);
	assert_int_equal(add6(b, "2001:db8:bb00::", 56), 0);
	assert_int_equal(by6("2001:db8:bb00::1"), b);
	/* releasing a session drops the prefix it was given */
	session_get(b)->ipv6_prefix = ip6("2001:db8:bb00::");
	session_get(b)->ipv6_prefix_len = 56;
	session_release(b);
	assert_int_equal(by6("2001:db8:bb00::1"), 0);
	assert_int_equal(add6(a, "2001:db8:bb00::", 56), 0);
}

/*
 * Over 10k sessions, each with a /56 of one /40, some /64s inside and a
 * /48 covering several: every lookup answers right, before and after
 * half of them go.
 */
static void
test_v6_many(void **state)
{
	enum { N = 12000 };
	struct in6_addr a;
	uint32_t i;
	sid_t big;

	(void)state;
	assert_int_equal(tables_init(N + 1, 2), 0);
	for (i = 1; i <= N; i++) {
		assert_int_equal(session_alloc(), i);
		a = ip6("2001:db8::");
		/* the /56 number i lives in bits 40..55 */
		a.s6_addr[5] = (uint8_t)(i >> 8);
		a.s6_addr[6] = (uint8_t)i;
		assert_int_equal(session_route6_add(i, &a, 56), 0);
	}
	big = session_alloc();
	assert_int_equal(big, N + 1);
	/* a /40 under all of them catches what no /56 has */
	assert_int_equal(add6(big, "2001:db8::", 40), 0);
	for (i = 1; i <= N; i++) {
		a = ip6("2001:db8::1234");
		a.s6_addr[5] = (uint8_t)(i >> 8);
		a.s6_addr[6] = (uint8_t)i;
		a.s6_addr[7] = (uint8_t)(i * 7);
		assert_int_equal(session_by_ip6(&a), i);
	}
	for (i = 1; i <= N; i += 2) {
		a = ip6("2001:db8::");
		a.s6_addr[5] = (uint8_t)(i >> 8);
		a.s6_addr[6] = (uint8_t)i;
		assert_int_equal(session_route6_del(i, &a, 56), 0);
	}
	for (i = 1; i <= N; i++) {
		a = ip6("2001:db8::1");
		a.s6_addr[5] = (uint8_t)(i >> 8);
		a.s6_addr[6] = (uint8_t)i;
		assert_int_equal(session_by_ip6(&a), i % 2 ? big : i);
	}
	assert_int_equal(by6("2001:db8:ff:ff00::1"), big);
	assert_int_equal(by6("2001:db9::1"), 0);
}

/*
 * A forked reader (the CLI) sees entries added later to a length that
 * existed when it forked, and skips a length first used after that.
 */
static int
sees_v6_after_fork(void)
{
	if (by6("2001:db8:2::1") != 2)
		return 3;	/* a /48 added after the fork */
	if (by6("2001:db8:1:5::1") != 1)
		return 4;	/* a /64 hash made after the fork */
	return 0;
}

static void
test_v6_shared_with_child(void **state)
{
	struct reader r;

	(void)state;
	assert_int_equal(tables_init(10, 2), 0);
	assert_int_equal(session_alloc(), 1);
	assert_int_equal(session_alloc(), 2);
	assert_int_equal(add6(1, "2001:db8:1::", 48), 0);
	reader_fork(&r, sees_v6_after_fork);
	assert_int_equal(add6(2, "2001:db8:2::", 48), 0);
	assert_int_equal(add6(2, "2001:db8:1:5::", 64), 0);
	assert_int_equal(by6("2001:db8:1:5::1"), 2);
	reader_check(&r);
}

/* Resident pages of [p, p + len), by mincore(2). */
static size_t
resident_pages(const void *p, size_t len)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE), n, i, res = 0;
	uintptr_t start = (uintptr_t)p & ~(pg - 1);
	unsigned char *vec;

	n = ((uintptr_t)p + len - start + pg - 1) / pg;
	assert_non_null(vec = malloc(n));
	assert_int_equal(mincore((void *)start, n * pg, vec), 0);
	for (i = 0; i < n; i++)
		res += vec[i] & 1;
	free(vec);
	return res;
}

/*
 * Issue 22: a table of a million entries costs nothing until used.
 * Never-used entries are handed out first, in index order, then freed
 * ones (oldest first); after a cluster rewrite (stale free lists) the
 * lists are rebuilt from the entries' states.
 */
static void
test_untouched_until_used(void **state)
{
	size_t len = (1000000 + 1) * sizeof(struct session);

	(void)state;
	assert_int_equal(tables_init(1000000, 16), 0);
	assert_int_equal(resident_pages(tables->session, len), 0);
	assert_int_equal(session_alloc(), 1);
	assert_int_equal(session_alloc(), 2);
	assert_int_equal(session_alloc(), 3);
	session_release(2);
	assert_int_equal(session_alloc(), 4);	/* never used, before 2 */
	assert_int_equal(tables_session_hwm(), 4);
	/* two sessions of 536 octets a page or two each: a handful */
	assert_true(resident_pages(tables->session, len) <= 2);
	/* an entry written in place (a cluster slave), then rebuilt: only
	 * the entries below the mark are read */
	tables->session[10].state = SESSION_OPEN;
	tables_written(0, 10);
	assert_int_equal(session_alloc(), 11);
	assert_int_equal(tables_session_hwm(), 11);
	assert_int_equal(tables->sessions_used, 5);
	assert_true(resident_pages(tables->session, len) <= 3);
	/* the marks exhausted, the rebuilt free list: 2, 5, ... 9 */
	assert_int_equal(tables->session_free, 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_alloc_release, teardown),
		cmocka_unit_test_teardown(test_untouched_until_used, teardown),
		cmocka_unit_test_teardown(test_wire_ids, teardown),
		cmocka_unit_test_teardown(test_lpm, teardown),
		cmocka_unit_test_teardown(test_churn, teardown),
		cmocka_unit_test_teardown(test_shared_with_child, teardown),
		cmocka_unit_test_teardown(test_large_table, teardown),
		cmocka_unit_test_teardown(test_hashes_grow_shared_with_child,
		    teardown),
		cmocka_unit_test_teardown(test_v6_lpm, teardown),
		cmocka_unit_test_teardown(test_v6_owner, teardown),
		cmocka_unit_test_teardown(test_v6_many, teardown),
		cmocka_unit_test_teardown(test_v6_shared_with_child, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
