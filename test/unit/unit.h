/*
 * unit.h - what the cmocka unit tests share.
 *
 * unit_alarm_setup/unit_alarm_teardown run each test under an alarm so
 * that a parser or a search that loops forever fails the suite instead
 * of hanging it (STYLE 14).  unit_unhex() turns a hex string (spaces
 * allowed between octets) into octets, asserting it is well formed.
 */
#ifndef UNIT_H
#define UNIT_H

#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#ifndef TEST_TIMEOUT
#define TEST_TIMEOUT	10
#endif

static inline int
unit_alarm_setup(void **state)
{
	(void)state;
	alarm(TEST_TIMEOUT);
	return 0;
}

static inline int
unit_alarm_teardown(void **state)
{
	(void)state;
	alarm(0);
	return 0;
}

static inline int
unit_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)(c | 0x20);
	assert_true(c >= 'a' && c <= 'f');
	return c - 'a' + 10;
}

/* The octets of hex string s into out (at most cap); their number. */
static inline size_t
unit_unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	int hi = -1;

	for (; *s != '\0'; s++) {
		if (*s == ' ')
			continue;
		if (hi < 0) {
			hi = unit_hexval(*s);
			continue;
		}
		assert_true(n < cap);
		out[n++] = (uint8_t)(hi << 4 | unit_hexval(*s));
		hi = -1;
	}
	assert_int_equal(hi, -1);
	return n;
}

#endif
