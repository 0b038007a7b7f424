/*
 * test_mpreasm.c - the Multilink PPP fragment codec and reassembly
 * (mpreasm.c, RFC 1990 3 and 4): frames in order and out of order,
 * lost fragments (the M rule), the bounded buffer, sequence wrap in
 * both header formats, and the downstream plan.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "mpreasm.h"

#define MAXOUT	64

static struct mp_reasm m;
static uint8_t outbuf[MAXOUT][MP_MRRU];
static size_t outlen[MAXOUT];
static int nout;

static void
deliver(void *arg, const uint8_t *frame, size_t len)
{
	(void)arg;
	assert_true(nout < MAXOUT);
	assert_true(len <= MP_MRRU);
	memcpy(outbuf[nout], frame, len);
	outlen[nout++] = len;
}

/* One fragment of `len` octets, each the value `fill`. */
static int
frag(unsigned link, int short_seq, uint8_t flags, uint32_t seq,
    uint8_t fill, size_t len)
{
	uint8_t buf[4 + MP_FRAG_MAX + 8];
	size_t h = mp_put_header(buf, short_seq, flags, seq);

	memset(buf + h, fill, len);
	return mp_reasm_input(&m, link, buf, h + len, deliver, NULL);
}

static int
setup(void **state)
{
	(void)state;
	mp_reasm_init(&m, 0, MP_MRRU);
	nout = 0;
	return 0;
}

/* The frame delivered as `i`: `len` octets, made of runs of fills. */
static void
expect_frame(int i, const uint8_t *fills, const size_t *lens, int n)
{
	size_t off = 0;
	int k;

	assert_true(i < nout);
	for (k = 0; k < n; k++) {
		size_t j;

		for (j = 0; j < lens[k]; j++)
			assert_int_equal(outbuf[i][off + j], fills[k]);
		off += lens[k];
	}
	assert_int_equal(outlen[i], off);
}

static void
test_header_long_short(void **state)
{
	uint8_t b[4], fl;
	uint32_t seq;
	struct rd r;

	(void)state;
	assert_int_equal(mp_put_header(b, 0, MP_B | MP_E, 0xabcdef), 4);
	assert_int_equal(b[0], 0xc0);
	assert_int_equal(b[1], 0xab);
	rd_init(&r, b, 4);
	assert_int_equal(mp_parse_header(&r, 0, &fl, &seq), 0);
	assert_int_equal(fl, MP_B | MP_E);
	assert_int_equal(seq, 0xabcdef);
	assert_int_equal(r.left, 0);
	/* Short: B E 0 0 and 12 bits (RFC 1990 3). */
	assert_int_equal(mp_put_header(b, 1, MP_E, 0xfff), 2);
	assert_int_equal(b[0], 0x4f);
	assert_int_equal(b[1], 0xff);
	rd_init(&r, b, 2);
	assert_int_equal(mp_parse_header(&r, 1, &fl, &seq), 0);
	assert_int_equal(fl, MP_E);
	assert_int_equal(seq, 0xfff);
	/* Too short for either. */
	rd_init(&r, b, 1);
	assert_int_equal(mp_parse_header(&r, 1, &fl, &seq), -1);
	rd_init(&r, b, 3);
	assert_int_equal(mp_parse_header(&r, 0, &fl, &seq), -1);
	assert_int_equal(mp_reasm_input(&m, 0, b, 3, deliver, NULL), -1);
	assert_int_equal(m.st.bad, 1);
}

static void
test_in_order(void **state)
{
	const uint8_t f1[] = { 1, 2, 3 }, f2[] = { 9 };
	const size_t l1[] = { 100, 200, 50 }, l2[] = { 40 };

	(void)state;
	assert_int_equal(frag(0, 0, MP_B, 10, 1, 100), 0);
	assert_int_equal(frag(1, 0, 0, 11, 2, 200), 0);
	assert_int_equal(nout, 0);
	assert_int_equal(frag(0, 0, MP_E, 12, 3, 50), 0);
	assert_int_equal(nout, 1);
	expect_frame(0, f1, l1, 3);
	/* A whole frame in one fragment. */
	assert_int_equal(frag(1, 0, MP_B | MP_E, 13, 9, 40), 0);
	assert_int_equal(nout, 2);
	expect_frame(1, f2, l2, 1);
	assert_int_equal(m.nfrags, 0);
	assert_int_equal(m.st.frames, 2);
	assert_int_equal(m.st.lost, 0);
}

static void
test_out_of_order(void **state)
{
	const uint8_t f1[] = { 1, 2, 3 }, f2[] = { 4, 5 };
	const size_t l1[] = { 10, 20, 30 }, l2[] = { 7, 8 };

	(void)state;
	/* Link 1 is faster: the second fragment arrives first. */
	assert_int_equal(frag(1, 0, 0, 101, 2, 20), 0);
	assert_int_equal(frag(1, 0, MP_B, 103, 4, 7), 0);
	/* The first arrival set where reassembly starts: 101 is not B. */
	assert_int_equal(nout, 0);
	setup(NULL);
	assert_int_equal(frag(0, 0, MP_B, 100, 1, 10), 0);
	assert_int_equal(frag(1, 0, MP_E, 102, 3, 30), 0);
	assert_int_equal(frag(1, 0, MP_B, 103, 4, 7), 0);
	assert_int_equal(nout, 0);
	assert_int_equal(frag(0, 0, 0, 101, 2, 20), 0);
	assert_int_equal(nout, 1);
	expect_frame(0, f1, l1, 3);
	assert_int_equal(frag(0, 0, MP_E, 104, 5, 8), 0);
	assert_int_equal(nout, 2);
	expect_frame(1, f2, l2, 2);
	assert_int_equal(m.st.lost, 0);
	/* A duplicate, and one behind the reassembly point. */
	assert_int_equal(frag(0, 0, MP_E, 104, 5, 8), -1);
	assert_int_equal(m.st.late, 1);
}

static void
test_lost_fragment(void **state)
{
	(void)state;
	assert_int_equal(frag(0, 0, MP_B, 200, 1, 10), 0);
	/* 201 is lost on link 1; link 0 goes on with 202, 203. */
	assert_int_equal(frag(0, 0, MP_E, 202, 3, 10), 0);
	assert_int_equal(frag(0, 0, MP_B | MP_E, 203, 5, 10), 0);
	/* Link 1 has shown nothing yet: M is link 0's 203 alone, so 201
	 * (below it) is lost, the frame 200-202 goes, 203 is delivered. */
	assert_int_equal(nout, 1);
	assert_int_equal(outbuf[0][0], 5);
	assert_int_equal(m.st.lost, 1);
	assert_int_equal(m.st.discarded, 2);
	/* Now both links: M waits for the slower one. */
	setup(NULL);
	assert_int_equal(frag(0, 0, MP_B | MP_E, 300, 1, 5), 0);
	assert_int_equal(frag(1, 0, MP_B | MP_E, 301, 2, 5), 0);
	assert_int_equal(nout, 2);
	assert_int_equal(frag(0, 0, MP_B, 302, 3, 5), 0);
	/* 303 lost (it was for link 1) */
	assert_int_equal(frag(0, 0, MP_B | MP_E, 304, 4, 5), 0);
	assert_int_equal(frag(0, 0, MP_B, 305, 6, 5), 0);
	/* Link 1's newest is 301: 303 may still come. */
	assert_int_equal(nout, 2);
	assert_int_equal(m.st.lost, 0);
	/* Link 1 shows 306: 303 is below M = 305 now, so it is lost. */
	assert_int_equal(frag(1, 0, MP_E, 306, 7, 33), 0);
	assert_int_equal(nout, 4);
	assert_int_equal(outbuf[2][0], 4);
	assert_int_equal(outlen[2], 5);
	expect_frame(3, (const uint8_t []){ 6, 7 },
	    (const size_t []){ 5, 33 }, 2);
	assert_int_equal(m.st.lost, 1);
	assert_int_equal(m.nfrags, 0);
}

static void
test_overflow_bounded(void **state)
{
	unsigned i;

	(void)state;
	/* Link 0 starts a frame; its next fragment never comes and link 1
	 * stays silent, so M never passes it: the buffer fills. */
	assert_int_equal(frag(0, 0, MP_B, 0, 1, 10), 0);
	assert_int_equal(frag(1, 0, MP_B, 0x800, 2, 10), 0);
	for (i = 1; i < 200; i++)
		frag(1, 0, 0, 0x800 + i, 3, MP_FRAG_MAX);
	assert_true(m.nfrags <= MP_SLOTS);
	assert_true(m.st.overflow > 0);
	assert_int_equal(nout, 0);
	/* The buffer recovers: a later whole frame goes through. */
	for (i = 0; i < MP_SLOTS + 2; i++)
		frag(0, 0, MP_B | MP_E, 0x900 + i, 4, 10);
	frag(1, 0, MP_B | MP_E, 0x900 + MP_SLOTS + 2, 5, 10);
	assert_true(nout > 0);
	assert_int_equal(outbuf[nout - 1][0], 5);
	assert_true(m.nfrags <= MP_SLOTS);
	/* A fragment longer than one slot is refused, never copied. */
	{
		static uint8_t big[4 + MP_FRAG_MAX + 1];

		mp_put_header(big, 0, MP_B | MP_E, 0xa00);
		assert_int_equal(mp_reasm_input(&m, 0, big, sizeof(big),
		    deliver, NULL), -1);
		assert_int_equal(m.st.bad, 1);
	}
}

static void
test_too_big_frame(void **state)
{
	(void)state;
	mp_reasm_init(&m, 0, 300);
	assert_int_equal(frag(0, 0, MP_B, 5, 1, 200), 0);
	assert_int_equal(frag(0, 0, MP_E, 6, 2, 200), 0);
	assert_int_equal(nout, 0);
	assert_int_equal(m.st.too_big, 1);
	assert_int_equal(frag(0, 0, MP_B | MP_E, 7, 3, 300), 0);
	assert_int_equal(nout, 1);
	assert_int_equal(outlen[0], 300);
}

static void
test_wrap_long(void **state)
{
	(void)state;
	assert_int_equal(frag(0, 0, MP_B, 0xfffffe, 1, 10), 0);
	assert_int_equal(frag(1, 0, 0, 0x000000, 3, 10), 0);	/* early */
	assert_int_equal(frag(0, 0, 0, 0xffffff, 2, 10), 0);
	assert_int_equal(frag(0, 0, MP_E, 0x000001, 4, 10), 0);
	assert_int_equal(nout, 1);
	expect_frame(0, (const uint8_t []){ 1, 2, 3, 4 },
	    (const size_t []){ 10, 10, 10, 10 }, 4);
	assert_int_equal(m.expect, 2);
}

static void
test_wrap_short(void **state)
{
	int i;

	(void)state;
	mp_reasm_init(&m, 1, MP_MRRU);
	/* Whole frames across 0xfff -> 0, alternating links. */
	for (i = 0; i < 6; i++)
		assert_int_equal(frag((unsigned)i & 1, 1, MP_B | MP_E,
		    (0xffd + (uint32_t)i) & 0xfff, (uint8_t)i, 8), 0);
	assert_int_equal(nout, 6);
	for (i = 0; i < 6; i++)
		assert_int_equal(outbuf[i][0], i);
	/* A loss across the wrap: 0x003 missing, 0x004 on both links. */
	assert_int_equal(frag(0, 1, MP_B | MP_E, 0x004, 9, 8), 0);
	assert_int_equal(nout, 6);
	assert_int_equal(frag(1, 1, MP_B | MP_E, 0x005, 10, 8), 0);
	assert_int_equal(nout, 8);
	assert_int_equal(m.st.lost, 1);
}

static void
test_link_gone(void **state)
{
	(void)state;
	assert_int_equal(frag(0, 0, MP_B | MP_E, 50, 1, 5), 0);
	assert_int_equal(frag(1, 0, MP_B | MP_E, 51, 2, 5), 0);
	/* 52 was for link 1, which then leaves the bundle. */
	assert_int_equal(frag(0, 0, MP_B | MP_E, 53, 3, 5), 0);
	assert_int_equal(nout, 2);
	mp_reasm_link_gone(&m, 1, deliver, NULL);
	assert_int_equal(nout, 3);
	assert_int_equal(outbuf[2][0], 3);
}

static void
test_plan(void **state)
{
	size_t out[4];
	uint32_t eq[3] = { 0, 0, 0 }, w[3] = { 1000000, 3000000, 0 };
	uint32_t w2[2] = { 1000000, 3000000 };

	(void)state;
	/* Small: whole, on link rr. */
	assert_int_equal(mp_plan(100, eq, 3, 1400, 256, 2, out), 1);
	assert_int_equal(out[0], 0);
	assert_int_equal(out[2], 100);
	/* Equal shares when a speed is missing. */
	assert_int_equal(mp_plan(1000, w, 3, 1400, 256, 0, out), 3);
	assert_int_equal(out[0] + out[1] + out[2], 1000);
	assert_true(out[0] >= 333 && out[0] <= 334);
	/* 1:3 by speed. */
	assert_int_equal(mp_plan(1000, w2, 2, 1400, 256, 0, out), 2);
	assert_int_equal(out[0], 250);
	assert_int_equal(out[1], 750);
	/* Capped at `max`: the rest goes to the other link. */
	assert_int_equal(mp_plan(1000, w2, 2, 600, 256, 0, out), 2);
	assert_int_equal(out[1], 600);
	assert_int_equal(out[0], 400);
	/* Cannot fit. */
	assert_int_equal(mp_plan(1300, w2, 2, 600, 256, 0, out), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_header_long_short, setup),
		cmocka_unit_test_setup(test_in_order, setup),
		cmocka_unit_test_setup(test_out_of_order, setup),
		cmocka_unit_test_setup(test_lost_fragment, setup),
		cmocka_unit_test_setup(test_overflow_bounded, setup),
		cmocka_unit_test_setup(test_too_big_frame, setup),
		cmocka_unit_test_setup(test_wrap_long, setup),
		cmocka_unit_test_setup(test_wrap_short, setup),
		cmocka_unit_test_setup(test_link_gone, setup),
		cmocka_unit_test_setup(test_plan, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
