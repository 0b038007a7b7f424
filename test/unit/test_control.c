/*
 * test_control.c - the nsctl control-message codec (ctlmsg.c): round
 * trips, limits, and every class of malformed datagram, each decoded
 * to its own reason.  Every test runs under an alarm (STYLE 14).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "unit.h"

#include "control.h"


static struct ctl_msg m, d;
static uint8_t buf[CTL_MAXMSG + 64];

/* A request with the given words, encoded into buf; returns its length. */
static size_t
request(uint32_t xid, int argc, const char **argv)
{
	int i, n;

	ctl_init(&m, CTL_REQUEST, xid, 0);
	for (i = 0; i < argc; i++)
		assert_int_equal(ctl_add(&m, argv[i], strlen(argv[i])), 0);
	n = ctl_encode(&m, buf, sizeof(buf));
	assert_true(n > 0);
	return (size_t)n;
}

static void
test_request_layout(void **state)
{
	static const uint8_t want[] = {
		0x4e, 0x43, 0x01, 0x01, 0x12, 0x34, 0x56, 0x78, 0x00, 0x02,
		0x00, 0x00,
		0x00, 0x04, 'h', 'e', 'l', 'p',
		0x00, 0x00,
	};
	const char *argv[] = { "help", "" };
	size_t n;

	(void)state;
	n = request(0x12345678, 2, argv);
	assert_int_equal(n, sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
}

static void
test_round_trip(void **state)
{
	const char *argv[] = { "drop_session", "joe@isp.example", "bye now" };
	size_t n;

	(void)state;
	n = request(7, 3, argv);
	assert_int_equal(ctl_decode(&d, buf, n, CTL_REQUEST), CTL_E_NONE);
	assert_int_equal(d.type, CTL_REQUEST);
	assert_int_equal(d.xid, 7);
	assert_int_equal(d.argc, 3);
	assert_string_equal(d.argv[0], "drop_session");
	assert_string_equal(d.argv[1], "joe@isp.example");
	assert_string_equal(d.argv[2], "bye now");
	assert_null(d.argv[3]);
	assert_int_equal(d.wire, n);
}

static void
test_reply_round_trip(void **state)
{
	int n;

	(void)state;
	ctl_init(&m, CTL_REPLY, 99, CTL_RES_UNKNOWN);
	assert_int_equal(ctl_add_lines(&m, "one\ntwo\n\nfour\n"), 0);
	assert_int_equal(m.argc, 4);
	n = ctl_encode(&m, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(ctl_decode(&d, buf, (size_t)n, CTL_REPLY), CTL_E_NONE);
	assert_int_equal(d.result, CTL_RES_UNKNOWN);
	assert_int_equal(d.argc, 4);
	assert_string_equal(d.argv[2], "");
	assert_string_equal(d.argv[3], "four");
	/* A reply is not a request, and the other way round. */
	assert_int_equal(ctl_decode(&d, buf, (size_t)n, CTL_REQUEST),
	    CTL_E_TYPE);
}

static void
test_empty_reply(void **state)
{
	int n;

	(void)state;
	ctl_init(&m, CTL_REPLY, 1, CTL_RES_OK);
	n = ctl_encode(&m, buf, sizeof(buf));
	assert_int_equal(n, CTL_HDRLEN);
	assert_int_equal(ctl_decode(&d, buf, (size_t)n, CTL_REPLY), CTL_E_NONE);
	assert_int_equal(d.argc, 0);
}

static void
test_short(void **state)
{
	const char *argv[] = { "help" };
	size_t n = request(1, 1, argv), len;

	(void)state;
	assert_int_equal(ctl_decode(&d, buf, 0, CTL_REQUEST), CTL_E_SHORT);
	assert_int_equal(ctl_decode(&d, buf, 1, CTL_REQUEST), CTL_E_SHORT);
	for (len = 2; len < CTL_HDRLEN; len++)
		assert_int_equal(ctl_decode(&d, buf, len, CTL_REQUEST),
		    CTL_E_SHORT);
	/* Cut inside the string's length, then inside the string. */
	for (len = CTL_HDRLEN; len < n; len++)
		assert_int_equal(ctl_decode(&d, buf, len, CTL_REQUEST),
		    CTL_E_LENGTH);
}

static void
test_bad_magic_version_type(void **state)
{
	const char *argv[] = { "help" };
	size_t n = request(1, 1, argv);

	(void)state;
	buf[0] = 0x90;
	buf[1] = 0x13;		/* l2tpns 2.x's magic: not ours */
	assert_int_equal(ctl_decode(&d, buf, n, CTL_REQUEST), CTL_E_MAGIC);
	n = request(1, 1, argv);
	buf[2] = 2;
	assert_int_equal(ctl_decode(&d, buf, n, CTL_REQUEST), CTL_E_VERSION);
	buf[2] = 0;
	assert_int_equal(ctl_decode(&d, buf, n, CTL_REQUEST), CTL_E_VERSION);
	n = request(1, 1, argv);
	buf[3] = 0;
	assert_int_equal(ctl_decode(&d, buf, n, CTL_REQUEST), CTL_E_TYPE);
	buf[3] = 0xff;
	assert_int_equal(ctl_decode(&d, buf, n, CTL_REQUEST), CTL_E_TYPE);
}

static void
test_bad_counts(void **state)
{
	const char *argv[] = { "help" };
	size_t n = request(1, 1, argv);

	(void)state;
	/* argc says two strings, one is there. */
	buf[9] = 2;
	assert_int_equal(ctl_decode(&d, buf, n, CTL_REQUEST), CTL_E_LENGTH);
	/* argc says none: the string is trailing garbage. */
	ctl_init(&m, CTL_REPLY, 1, 0);
	buf[3] = CTL_REPLY;
	buf[9] = 0;
	assert_int_equal(ctl_decode(&d, buf, n, CTL_REPLY), CTL_E_TRAILING);
	/* A request must name a command. */
	buf[3] = CTL_REQUEST;
	assert_int_equal(ctl_decode(&d, buf, CTL_HDRLEN, CTL_REQUEST),
	    CTL_E_ARGC);
	/* More strings than allowed. */
	buf[9] = CTL_MAXARGS + 1;
	assert_int_equal(ctl_decode(&d, buf, n, CTL_REQUEST), CTL_E_ARGC);
	buf[9] = 0xff;
	assert_int_equal(ctl_decode(&d, buf, n, CTL_REQUEST), CTL_E_ARGC);
}

static void
test_bad_lengths(void **state)
{
	const char *argv[] = { "help" };
	size_t n = request(1, 1, argv);

	(void)state;
	/* The string's length runs past the datagram. */
	buf[12] = 0;
	buf[13] = 5;
	assert_int_equal(ctl_decode(&d, buf, n, CTL_REQUEST), CTL_E_LENGTH);
	buf[12] = 0xff;
	buf[13] = 0xff;
	assert_int_equal(ctl_decode(&d, buf, n, CTL_REQUEST), CTL_E_LENGTH);
	/* Shorter than the bytes: what is left over is trailing. */
	buf[12] = 0;
	buf[13] = 3;
	assert_int_equal(ctl_decode(&d, buf, n, CTL_REQUEST), CTL_E_TRAILING);
	/* Trailing byte after a well-formed message. */
	n = request(1, 1, argv);
	buf[n] = 0;
	assert_int_equal(ctl_decode(&d, buf, n + 1, CTL_REQUEST),
	    CTL_E_TRAILING);
	/* Longer than a datagram may be. */
	assert_int_equal(ctl_decode(&d, buf, CTL_MAXMSG + 1, CTL_REQUEST),
	    CTL_E_LENGTH);
}

static void
test_string_too_long(void **state)
{
	static char big[CTL_MAXARGLEN + 2];
	size_t n;

	(void)state;
	/* Encode a legal maximum, then claim one more byte. */
	memset(big, 'x', CTL_MAXARGLEN);
	ctl_init(&m, CTL_REQUEST, 1, 0);
	assert_int_equal(ctl_add(&m, big, CTL_MAXARGLEN), 0);
	n = (size_t)ctl_encode(&m, buf, sizeof(buf));
	assert_int_equal(ctl_decode(&d, buf, n, CTL_REQUEST), CTL_E_NONE);
	assert_int_equal(strlen(d.argv[0]), CTL_MAXARGLEN);
	buf[12] = (CTL_MAXARGLEN + 1) >> 8;
	buf[13] = (CTL_MAXARGLEN + 1) & 0xff;
	buf[n] = 'x';
	assert_int_equal(ctl_decode(&d, buf, n + 1, CTL_REQUEST),
	    CTL_E_LENGTH);
	/* The builder cuts a long string at the limit. */
	memset(big, 'y', sizeof(big) - 1);
	ctl_init(&m, CTL_REQUEST, 1, 0);
	assert_int_equal(ctl_add(&m, big, sizeof(big) - 1), 0);
	assert_int_equal(strlen(m.argv[0]), CTL_MAXARGLEN);
}

static void
test_format(void **state)
{
	const char *argv[] = { "help" };
	size_t n = request(1, 1, argv);

	(void)state;
	buf[10] = 1;		/* reserved */
	assert_int_equal(ctl_decode(&d, buf, n, CTL_REQUEST), CTL_E_FORMAT);
	n = request(1, 1, argv);
	buf[8] = 1;		/* a result in a request */
	assert_int_equal(ctl_decode(&d, buf, n, CTL_REQUEST), CTL_E_FORMAT);
	n = request(1, 1, argv);
	buf[15] = '\0';		/* NUL inside a string */
	assert_int_equal(ctl_decode(&d, buf, n, CTL_REQUEST), CTL_E_FORMAT);
	/* A reply with a result we do not know. */
	ctl_init(&m, CTL_REPLY, 1, CTL_RES_OK);
	n = (size_t)ctl_encode(&m, buf, sizeof(buf));
	buf[8] = CTL_RES_MAX + 1;
	assert_int_equal(ctl_decode(&d, buf, n, CTL_REPLY), CTL_E_FORMAT);
}

/* The builder refuses past CTL_MAXARGS strings or CTL_MAXMSG bytes. */
static void
test_builder_limits(void **state)
{
	static char line[CTL_MAXARGLEN];
	int i, n;

	(void)state;
	ctl_init(&m, CTL_REPLY, 1, 0);
	for (i = 0; i < CTL_MAXARGS; i++)
		assert_int_equal(ctl_add(&m, "x", 1), 0);
	assert_int_equal(ctl_add(&m, "x", 1), -1);
	assert_true(m.truncated);
	n = ctl_encode(&m, buf, sizeof(buf));
	assert_int_equal(ctl_decode(&d, buf, (size_t)n, CTL_REPLY), CTL_E_NONE);
	assert_int_equal(d.argc, CTL_MAXARGS);

	memset(line, 'z', sizeof(line));
	ctl_init(&m, CTL_REPLY, 1, 0);
	for (i = 0; ctl_add(&m, line, sizeof(line)) == 0; i++)
		;
	assert_true(m.truncated);
	assert_true(m.wire <= CTL_MAXMSG);
	assert_int_equal(i, (CTL_MAXMSG - CTL_HDRLEN) / (CTL_MAXARGLEN + 2));
	n = ctl_encode(&m, buf, sizeof(buf));
	assert_int_equal((size_t)n, m.wire);
	assert_int_equal(ctl_decode(&d, buf, (size_t)n, CTL_REPLY), CTL_E_NONE);
	/* Encoding into a small buffer fails cleanly. */
	assert_int_equal(ctl_encode(&m, buf, 100), -1);
	/* A string is cut at an embedded NUL. */
	ctl_init(&m, CTL_REQUEST, 1, 0);
	assert_int_equal(ctl_add(&m, "ab\0cd", 5), 0);
	assert_string_equal(m.argv[0], "ab");
	assert_int_equal(m.wire, CTL_HDRLEN + 2 + 2);
}

/* Every byte flipped in every position decodes or fails, never crashes. */
static void
test_mutations(void **state)
{
	const char *argv[] = { "load_plugin", "x", "" };
	size_t n = request(0xdeadbeef, 3, argv), i;
	uint8_t copy[64];
	int v;

	(void)state;
	assert_true(n <= sizeof(copy));
	memcpy(copy, buf, n);
	for (i = 0; i < n; i++)
		for (v = 0; v < 256; v++) {
			memcpy(buf, copy, n);
			buf[i] = (uint8_t)v;
			(void)ctl_decode(&d, buf, n, CTL_REQUEST);
			assert_true(d.argc <= CTL_MAXARGS);
		}
}

static void
test_names(void **state)
{
	int i;

	(void)state;
	for (i = 0; i <= CTL_E_MAX; i++)
		assert_non_null(ctl_err_name(i));
	assert_string_equal(ctl_err_name(-1), "unknown");
	assert_string_equal(ctl_err_name(CTL_E_MAX + 1), "unknown");
	assert_string_equal(ctl_result_name(CTL_RES_NOTMASTER), "not master");
	assert_string_equal(ctl_result_name(99), "unknown");
}

/* The 2.x format: requests decode to our commands, replies encode. */
static void
test_v2(void **state)
{
	static const uint8_t load[] = { 0x90, 0x13, 0x11, 0x01, 0x03, 'a',
		'b', 'c', 0xff };
	static const uint8_t ctl[] = { 0x90, 0x13, 0x14, 0x02, 0x01, 'x', 0x00,
		0xff };
	static const uint8_t help[] = { 0x90, 0x13, 0x13, 0x00, 0xff };
	char longline[300];
	int n;

	(void)state;
	assert_int_equal(ctl_decode_v2(&d, load, sizeof(load)), CTL_E_NONE);
	assert_int_equal(d.argc, 2);
	assert_string_equal(d.argv[0], "load_plugin");
	assert_string_equal(d.argv[1], "abc");
	assert_int_equal(ctl_decode_v2(&d, ctl, sizeof(ctl)), CTL_E_NONE);
	assert_int_equal(d.argc, 2);
	assert_string_equal(d.argv[0], "x");
	assert_string_equal(d.argv[1], "");
	assert_int_equal(ctl_decode_v2(&d, help, sizeof(help)), CTL_E_NONE);
	assert_string_equal(d.argv[0], "help");
	/* every byte missing, a wrong end byte, a trailing byte */
	for (n = 0; n < (int)sizeof(load); n++)
		assert_int_not_equal(ctl_decode_v2(&d, load, (size_t)n),
		    CTL_E_NONE);
	memcpy(buf, load, sizeof(load));
	buf[sizeof(load) - 1] = 0xfe;
	assert_int_equal(ctl_decode_v2(&d, buf, sizeof(load)), CTL_E_FORMAT);
	buf[sizeof(load) - 1] = 0xff;
	buf[sizeof(load)] = 0;
	assert_int_equal(ctl_decode_v2(&d, buf, sizeof(load) + 1),
	    CTL_E_TRAILING);
	buf[2] = 0x21;
	assert_int_equal(ctl_decode_v2(&d, buf, sizeof(load)), CTL_E_TYPE);
	/* a reply: OK, a line cut at 255 bytes, the end byte */
	ctl_init(&m, CTL_REPLY, 0, CTL_RES_OK);
	memset(longline, 'z', sizeof(longline) - 1);
	longline[sizeof(longline) - 1] = '\0';
	ctl_add(&m, "hi", 2);
	ctl_add(&m, longline, strlen(longline));
	n = ctl_encode_v2(&m, buf, sizeof(buf));
	assert_int_equal(n, 4 + 3 + 256 + 1);
	assert_int_equal(buf[2], 0x21);
	assert_int_equal(buf[3], 2);
	assert_int_equal(buf[4], 2);
	assert_int_equal(buf[7], 255);
	assert_int_equal(buf[n - 1], 0xff);
	m.result = CTL_RES_UNKNOWN;
	assert_true(ctl_encode_v2(&m, buf, 10) == 4 + 3 + 1);
	assert_int_equal(buf[2], 0x22);
	assert_int_equal(buf[3], 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_request_layout, unit_alarm_setup, unit_alarm_teardown),
		cmocka_unit_test_setup_teardown(test_round_trip, unit_alarm_setup, unit_alarm_teardown),
		cmocka_unit_test_setup_teardown(test_reply_round_trip, unit_alarm_setup, unit_alarm_teardown),
		cmocka_unit_test_setup_teardown(test_empty_reply, unit_alarm_setup, unit_alarm_teardown),
		cmocka_unit_test_setup_teardown(test_short, unit_alarm_setup, unit_alarm_teardown),
		cmocka_unit_test_setup_teardown(test_bad_magic_version_type, unit_alarm_setup, unit_alarm_teardown),
		cmocka_unit_test_setup_teardown(test_bad_counts, unit_alarm_setup, unit_alarm_teardown),
		cmocka_unit_test_setup_teardown(test_bad_lengths, unit_alarm_setup, unit_alarm_teardown),
		cmocka_unit_test_setup_teardown(test_string_too_long, unit_alarm_setup, unit_alarm_teardown),
		cmocka_unit_test_setup_teardown(test_format, unit_alarm_setup, unit_alarm_teardown),
		cmocka_unit_test_setup_teardown(test_builder_limits, unit_alarm_setup, unit_alarm_teardown),
		cmocka_unit_test_setup_teardown(test_mutations, unit_alarm_setup, unit_alarm_teardown),
		cmocka_unit_test_setup_teardown(test_names, unit_alarm_setup, unit_alarm_teardown),
		cmocka_unit_test_setup_teardown(test_v2, unit_alarm_setup, unit_alarm_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
