/*
 * test_pool.c - the address pool of pool.c: FIFO reuse, the same
 * address for a returning user, fixed addresses, and a 200k-address
 * pool under churn checked against a simple model.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "l2tpns.h"
#include "log.h"


static void
make_pool(uint32_t first, uint32_t last, uint32_t max)
{
	struct pool_range r = { first, last };
	struct pool_file pf = { .n = 1, .range = &r,
	    .count = (uint64_t)last - first + 1 };

	assert_int_equal(ippool_init(&pf, max), 0);
}

static in_addr_t
A(const char *s)
{
	return inet_addr(s);
}

static void
test_fifo_and_sticky(void **state)
{
	in_addr_t a, b, c, d;

	(void)state;
	make_pool(0x0a000001, 0x0a000004, 100);	/* 10.0.0.1 - .4 */
	assert_int_equal(ippool->n, 4);
	a = ippool_alloc(1, "alice");
	b = ippool_alloc(2, "bob");
	assert_int_equal(a, A("10.0.0.1"));
	assert_int_equal(b, A("10.0.0.2"));
	assert_int_equal(ippool->used, 2);
	ippool_release(a);
	/* Released addresses go to the back: carol gets .3, not .1. */
	c = ippool_alloc(3, "carol");
	assert_int_equal(c, A("10.0.0.3"));
	/* Alice comes back: her address is still free, she gets it. */
	d = ippool_alloc(4, "alice");
	assert_int_equal(d, a);
	assert_int_equal(ippool->a[0].sid, 4);
	/* .4 left, then nothing. */
	assert_int_equal(ippool_alloc(5, "dave"), A("10.0.0.4"));
	assert_int_equal(ippool_alloc(6, "erin"), 0);
	assert_int_equal(ippool->used, 4);
}

static void
test_take(void **state)
{
	(void)state;
	make_pool(0x0a000001, 0x0a000004, 100);
	assert_int_equal(ippool_take(1, A("10.0.0.3"), "carol"), 0);
	assert_int_equal(ippool_take(2, A("10.0.0.3"), "eve"), -1);
	assert_int_equal(ippool_take(1, A("10.0.0.3"), "carol"), 0);
	/* Outside the pool: accepted, not tracked. */
	assert_int_equal(ippool_take(2, A("192.0.2.1"), "x"), 0);
	assert_int_equal(ippool->used, 1);
	/* The taken address is not handed out. */
	assert_int_equal(ippool_alloc(3, "f"), A("10.0.0.1"));
	assert_int_equal(ippool_alloc(4, "g"), A("10.0.0.2"));
	assert_int_equal(ippool_alloc(5, "h"), A("10.0.0.4"));
	assert_int_equal(ippool_alloc(6, "i"), 0);
	ippool_release(A("10.0.0.3"));
	assert_int_equal(ippool_find(A("10.0.0.3")), 2);
	assert_int_equal(ippool_find(A("10.0.0.9")), -1);
	assert_string_equal(ippool->a[2].user, "carol");
}

static void
test_max_sessions_caps_pool(void **state)
{
	(void)state;
	make_pool(0x0a000000, 0x0a0000ff, 10);
	assert_int_equal(ippool->n, 10);
	assert_int_equal(ippool_find(A("10.0.0.10")), -1);
}

/* 200k addresses, 1M random operations, checked against a model. */
static void
test_large_churn(void **state)
{
	enum { N = 200000, OPS = 1000000, USERS = 300000 };
	sid_t *holder = calloc(N, sizeof(*holder));
	int32_t *addr_of = calloc(USERS, sizeof(*addr_of));
	uint32_t seed = 12345, used = 0;
	char name[32];
	int i;

	(void)state;
	assert_non_null(holder);
	assert_non_null(addr_of);
	make_pool(0x0a000000, 0x0a000000 + N - 1, N);
	assert_int_equal(ippool->n, N);
	for (i = 0; i < USERS; i++)
		addr_of[i] = -1;
	for (i = 0; i < OPS; i++) {
		uint32_t u;

		seed = seed * 1103515245u + 12345u;
		u = (seed >> 8) % USERS;
		snprintf(name, sizeof(name), "user%u", u);
		if (addr_of[u] >= 0) {
			ippool_release(ippool->a[addr_of[u]].ip);
			holder[addr_of[u]] = 0;
			addr_of[u] = -1;
			used--;
		} else {
			in_addr_t ip = ippool_alloc(u + 1, name);
			int64_t k;

			if (used == N) {
				assert_int_equal(ip, 0);
				continue;
			}
			k = ippool_find(ip);
			assert_true(k >= 0);
			assert_int_equal(holder[k], 0);	/* never twice */
			holder[k] = u + 1;
			addr_of[u] = (int32_t)k;
			used++;
		}
		assert_int_equal(ippool->used, used);
	}
	free(holder);
	free(addr_of);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fifo_and_sticky),
		cmocka_unit_test(test_take),
		cmocka_unit_test(test_max_sessions_caps_pool),
		cmocka_unit_test(test_large_churn),
	};

	log_level = -1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
