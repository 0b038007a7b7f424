/*
 * test_l2tp.c - the L2TP codec: hidden AVPs and challenge responses
 * against vectors computed independently (Python hashlib, from the RFC
 * text), and every malformed-header class of l2tp_input() counted under
 * its drop reason.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "l2tpns.h"
#include "event.h"
#include "l2tp.h"
#include "log.h"
#include "unit_daemon.h"


/* hide(22, "secret", 01020304 x4, "441632960123-a-much-longer-calling-number") */
static const uint8_t hidden_vec[] = {
	0x7e,0x60,0x34,0x03,0x7b,0x9a,0xba,0xe6,0x23,0x34,0xb2,0x69,0x5b,0x40,
	0x72,0xab,0x8a,0x38,0x4f,0xb0,0x9e,0x7d,0x8b,0x49,0xbd,0x0b,0x70,0xe2,
	0x28,0x0b,0x5f,0x27,0xb9,0x01,0xfc,0xf7,0x58,0x58,0x4c,0x81,0xbc,0x35,
	0xcf,
};
static const char calling[] = "441632960123-a-much-longer-calling-number";
static const uint8_t rv[16] = {
	1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4,
};

static void
test_hide_matches_rfc_vector(void **state)
{
	uint8_t out[128];
	size_t n;

	(void)state;
	n = l2tp_hide(A_CALLING_NUMBER, "secret", rv, sizeof(rv),
	    (const uint8_t *)calling, strlen(calling), out, sizeof(out));
	assert_int_equal(n, sizeof(hidden_vec));
	assert_memory_equal(out, hidden_vec, n);
}

static void
test_unhide(void **state)
{
	uint8_t out[128];
	int n;

	(void)state;
	n = l2tp_unhide(A_CALLING_NUMBER, "secret", rv, sizeof(rv), hidden_vec,
	    sizeof(hidden_vec), out, sizeof(out));
	assert_int_equal(n, (int)strlen(calling));
	assert_memory_equal(out, calling, (size_t)n);
	/* wrong secret: the length field decodes to garbage -> refused */
	n = l2tp_unhide(A_CALLING_NUMBER, "wrong", rv, sizeof(rv), hidden_vec,
	    sizeof(hidden_vec), out, sizeof(out));
	assert_int_equal(n, -1);
	/* too short for the length field */
	assert_int_equal(l2tp_unhide(1, "s", rv, 16, hidden_vec, 1, out,
	    sizeof(out)), -1);
	/* output buffer too small */
	assert_int_equal(l2tp_unhide(A_CALLING_NUMBER, "secret", rv, 16,
	    hidden_vec, sizeof(hidden_vec), out, 4), -1);
}

static void
test_chap_response_vector(void **state)
{
	static const uint8_t want[16] = {
		0x5a,0x86,0xf2,0x09,0x25,0xb9,0xa5,0xd7,0x3b,0xaf,0xe3,0xd2,
		0x18,0xc9,0x23,0x5e,
	};
	uint8_t out[16];

	(void)state;
	l2tp_chap_md5(M_SCCRP, "secret", (const uint8_t *)"challenge-16byte",
	    16, out);
	assert_memory_equal(out, want, 16);
}

static int
setup(void **state)
{
	(void)state;
	unit_globals();
	if (ev_init() < 0 || tables_init(16, 4) < 0 || l2tp_init_state() < 0)
		return -1;
	return 0;
}

static void
feed(const uint8_t *p, size_t len)
{
	struct sockaddr_in from;

	memset(&from, 0, sizeof(from));
	from.sin_family = AF_INET;
	from.sin_addr.s_addr = htonl(0x7f000001);
	from.sin_port = htons(1701);
	l2tp_input(p, len, &from);
}

/* Drop reasons, in l2tp.c's order (named through l2tp_drop_name). */
static int
drop_index(const char *name)
{
	int i;
	const char *n;

	for (i = 0; (n = l2tp_drop_name(i)) != NULL; i++)
		if (strcmp(n, name) == 0)
			return i;
	fail_msg("no drop reason %s", name);
	return -1;
}

static void
expect_drop(const uint8_t *p, size_t len, const char *reason)
{
	int i = drop_index(reason);
	uint64_t before = stats->l2tp_drops[i];

	feed(p, len);
	assert_int_equal(stats->l2tp_drops[i], before + 1);
}

static void
test_malformed_headers_counted(void **state)
{
	static const uint8_t one[] = { 0xc8 };
	static const uint8_t v3[] = { 0xc8, 0x03, 0, 12, 0, 0, 0, 0, 0, 0, 0, 0 };
	static const uint8_t longer[] = { 0xc8, 0x02, 0, 64, 0, 0, 0, 0, 0, 0,
	    0, 0 };
	static const uint8_t tiny_len[] = { 0xc8, 0x02, 0, 4, 0, 0, 0, 0, 0, 0,
	    0, 0 };
	static const uint8_t no_l[] = { 0x88, 0x02, 0, 12, 0, 0, 0, 0, 0, 0, 0,
	    0 };
	static const uint8_t ctl_offset[] = { 0xca, 0x02, 0, 14, 0, 0, 0, 0, 0,
	    0, 0, 0, 0, 0 };
	static const uint8_t short_ns[] = { 0xc8, 0x02, 0, 8, 0, 0, 0, 0 };
	static const uint8_t no_tunnel[] = { 0xc8, 0x02, 0, 20, 0x12, 0x34, 0,
	    0, 0, 0, 0, 0, 0x80, 8, 0, 0, 0, 0, 0, 6 };
	static const uint8_t data_no_tunnel[] = { 0x40, 0x02, 0, 10, 0x12, 0x34,
	    0, 1, 0xff, 0x03 };
	static const uint8_t data_offset_past[] = { 0x02, 0x02, 0, 1, 0, 1,
	    0xff, 0xff };
	/* SCCRQ whose AVP claims more bytes than the message holds */
	static const uint8_t trunc_avp[] = { 0xc8, 0x02, 0, 20, 0, 0, 0, 0, 0,
	    0, 0, 0, 0x80, 0x20, 0, 0, 0, 0, 0, 1 };
	/* first AVP is not Message Type */
	static const uint8_t not_msgtype[] = { 0xc8, 0x02, 0, 20, 0, 0, 0, 0,
	    0, 0, 0, 0, 0x80, 8, 0, 0, 0, 7, 'x', 'y' };

	(void)state;
	expect_drop(one, sizeof(one), "short");
	expect_drop(v3, sizeof(v3), "version");
	expect_drop(longer, sizeof(longer), "length");
	expect_drop(tiny_len, sizeof(tiny_len), "length");
	expect_drop(no_l, sizeof(no_l), "control flags");
	expect_drop(ctl_offset, sizeof(ctl_offset), "control flags");
	expect_drop(short_ns, sizeof(short_ns), "short");
	expect_drop(no_tunnel, sizeof(no_tunnel), "no tunnel");
	expect_drop(data_no_tunnel, sizeof(data_no_tunnel), "no tunnel");
	expect_drop(data_offset_past, sizeof(data_offset_past), "length");
	expect_drop(trunc_avp, sizeof(trunc_avp), "first message not SCCRQ");
	expect_drop(not_msgtype, sizeof(not_msgtype),
	    "first message not SCCRQ");
	assert_int_equal(tables->tunnels_used, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hide_matches_rfc_vector),
		cmocka_unit_test(test_unhide),
		cmocka_unit_test(test_chap_response_vector),
		cmocka_unit_test(test_malformed_headers_counted),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
