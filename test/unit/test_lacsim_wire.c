/*
 * test_lacsim_wire.c - the LAC simulator's RFC 2661 wire code
 * (test/lacsim/l2tp_wire.c): the read cursor, header parse and checks,
 * AVP parsing with its fatal and non-fatal breaches, hidden AVPs (4.3) and
 * the tunnel authentication response (4.4.3).
 *
 * The expected MD5 outputs were computed apart from this code, with
 * Python's hashlib following the RFC text, so these are known answers and
 * not only round trips.  Every test runs under an alarm (STYLE 14).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "unit.h"

#include "l2tp_wire.h"


static const uint8_t secret[] = "s3cret";
#define SECRET_LEN	(sizeof(secret) - 1)

/* Deterministic "random" padding for the builder. */
static void
fill_seq(void *p, size_t n)
{
	uint8_t *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		b[i] = (uint8_t)(0xa0 + i);
}

static void
builder(struct l2tp_builder *b, uint8_t *buf, size_t cap, int hide,
    uint16_t type)
{
	size_t i;

	memset(b, 0, sizeof(*b));
	wr_init(&b->w, buf, cap);
	b->hide = hide;
	b->secret = secret;
	b->secret_len = SECRET_LEN;
	b->pad_to = 16;
	b->fill = fill_seq;
	for (i = 0; i < sizeof(b->rv); i++)
		b->rv[i] = (uint8_t)(0x10 + i);
	l2tp_ctrl_begin(&b->w, 7, 0, 3, 5);
	avp_put_u16(b, L2TP_AVP_MSG_TYPE, type);
}

/* Parse a whole datagram as a control message. */
static int
parse_dgram(const uint8_t *buf, size_t len, const uint8_t *sec,
    size_t sec_len, struct l2tp_hdr *h, struct l2tp_msg *m)
{
	const char *why = NULL;
	struct rd r;

	rd_init(&r, buf, len);
	if (l2tp_hdr_parse(&r, h, &why) == -1)
		return -2;
	if (l2tp_hdr_check_ctrl(h, len, &why) == -1)
		return -3;
	return l2tp_msg_parse(&r, sec, sec_len, m);
}

/* ---- cursor ---- */

static void
test_cursor(void **state)
{
	static const uint8_t d[] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06 };
	struct rd r, sub;
	uint32_t u32;
	uint16_t u16;
	uint8_t u8, b[8];

	(void)state;
	rd_init(&r, d, sizeof(d));
	assert_int_equal(rd_u8(&r, &u8), 0);
	assert_int_equal(u8, 0x01);
	assert_int_equal(rd_u16(&r, &u16), 0);
	assert_int_equal(u16, 0x0203);
	/* Short reads fail without moving the cursor. */
	assert_int_equal(rd_u32(&r, &u32), -1);
	assert_int_equal(r.left, 3);
	assert_int_equal(rd_bytes(&r, b, 4), -1);
	assert_int_equal(rd_sub(&r, 4, &sub), -1);
	assert_int_equal(rd_skip(&r, 4), -1);
	assert_int_equal(r.left, 3);
	assert_int_equal(rd_sub(&r, 2, &sub), 0);
	assert_int_equal(sub.left, 2);
	assert_int_equal(r.left, 1);
	assert_int_equal(rd_u16(&sub, &u16), 0);
	assert_int_equal(u16, 0x0405);
	assert_int_equal(rd_u8(&sub, &u8), -1);
	assert_int_equal(rd_u8(&r, &u8), 0);
	assert_int_equal(u8, 0x06);
	assert_int_equal(rd_u8(&r, &u8), -1);

	rd_init(&r, d, 4);
	assert_int_equal(rd_u32(&r, &u32), 0);
	assert_int_equal(u32, 0x01020304);
}

static void
test_writer(void **state)
{
	uint8_t buf[5];
	struct wr w;

	(void)state;
	wr_init(&w, buf, sizeof(buf));
	wr_u16(&w, 0x1234);
	wr_u16(&w, 0x5678);
	assert_int_equal(w.err, 0);
	wr_u16(&w, 0x9abc);		/* one byte of room */
	assert_int_equal(w.err, 1);
	assert_int_equal(w.len, 4);
	wr_u8(&w, 1);			/* sticks */
	assert_int_equal(w.len, 4);
	assert_int_equal(buf[0], 0x12);
	assert_int_equal(buf[3], 0x78);
}

/* ---- header ---- */

static void
test_header_ctrl(void **state)
{
	static const uint8_t zlb[] = {
		0xc8, 0x02, 0x00, 0x0c, 0x00, 0x07, 0x00, 0x00,
		0x00, 0x03, 0x00, 0x05,
	};
	struct l2tp_hdr h;
	const char *why = NULL;
	struct rd r;

	(void)state;
	rd_init(&r, zlb, sizeof(zlb));
	assert_int_equal(l2tp_hdr_parse(&r, &h, &why), 0);
	assert_true(h.ctrl && h.has_len && h.has_seq);
	assert_false(h.has_off || h.prio);
	assert_int_equal(h.ver, 2);
	assert_int_equal(h.length, 12);
	assert_int_equal(h.tid, 7);
	assert_int_equal(h.sid, 0);
	assert_int_equal(h.ns, 3);
	assert_int_equal(h.nr, 5);
	assert_int_equal(h.hdr_len, 12);
	assert_int_equal(r.left, 0);
	assert_int_equal(l2tp_hdr_check_ctrl(&h, sizeof(zlb), &why), 0);
	/* The Length must match the datagram exactly for control. */
	assert_int_equal(l2tp_hdr_check_ctrl(&h, sizeof(zlb) + 1, &why), -1);
	assert_string_equal(why, "Length does not match the datagram");
}

static void
test_header_bad(void **state)
{
	static const struct {
		uint8_t		 d[16];
		size_t		 len;
		int		 parse;		/* l2tp_hdr_parse result */
		const char	*why;
	} cases[] = {
		/* Version 1 (L2F) is discarded. */
		{ { 0xc8, 0x01, 0x00, 0x0c, 0, 1, 0, 0, 0, 0, 0, 0 }, 12, -1,
		  "version is not 2" },
		/* Version 3 too. */
		{ { 0xc8, 0x03, 0x00, 0x0c, 0, 1, 0, 0, 0, 0, 0, 0 }, 12, -1,
		  "version is not 2" },
		/* Cut in the Ns/Nr. */
		{ { 0xc8, 0x02, 0x00, 0x0a, 0, 1, 0, 0, 0, 0 }, 10, -1,
		  "datagram shorter than its header" },
		{ { 0xc8 }, 1, -1, "datagram shorter than its header" },
		/* Length 40 on 12 bytes. */
		{ { 0xc8, 0x02, 0x00, 0x28, 0, 1, 0, 0, 0, 0, 0, 0 }, 12, -1,
		  "Length is beyond the datagram" },
		/* Length 6, below the header. */
		{ { 0xc8, 0x02, 0x00, 0x06, 0, 1, 0, 0, 0, 0, 0, 0 }, 12, -1,
		  "Length is shorter than the header" },
		/* Offset pad past the end. */
		{ { 0x02, 0x02, 0, 1, 0, 1, 0x00, 0x10 }, 8, -1,
		  "offset padding runs past the datagram" },
		/* Control without L: parses, fails the control check. */
		{ { 0x88, 0x02, 0, 1, 0, 0, 0, 0, 0, 0 }, 10, 0,
		  "control message without the L bit" },
		/* Control without S. */
		{ { 0xc0, 0x02, 0x00, 0x08, 0, 1, 0, 0 }, 8, 0,
		  "control message without the S bit" },
		/* Control with O. */
		{ { 0xca, 0x02, 0x00, 0x0e, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0 },
		  14, 0, "control message with the O bit" },
		/* Control with P. */
		{ { 0xc9, 0x02, 0x00, 0x0c, 0, 1, 0, 0, 0, 0, 0, 0 }, 12, 0,
		  "control message with the P bit" },
		/* Length shorter than the datagram: trailing junk. */
		{ { 0xc8, 0x02, 0x00, 0x0c, 0, 1, 0, 0, 0, 0, 0, 0, 0xff },
		  13, 0, "Length does not match the datagram" },
	};
	struct l2tp_hdr h;
	const char *why;
	struct rd r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		why = NULL;
		rd_init(&r, cases[i].d, cases[i].len);
		assert_int_equal(l2tp_hdr_parse(&r, &h, &why), cases[i].parse);
		if (cases[i].parse == 0)
			assert_int_equal(l2tp_hdr_check_ctrl(&h, cases[i].len,
			    &why), -1);
		assert_non_null(why);
		assert_string_equal(why, cases[i].why);
	}
}

static void
test_header_data(void **state)
{
	/* Data, no L, no S, an offset of 2 then a 4-byte PPP payload. */
	static const uint8_t d[] = {
		0x02, 0x02, 0x00, 0x05, 0x00, 0x09, 0x00, 0x02, 0xee, 0xee,
		0xff, 0x03, 0xc0, 0x21,
	};
	struct l2tp_hdr h;
	const char *why = NULL;
	struct rd r;
	uint16_t v;

	(void)state;
	rd_init(&r, d, sizeof(d));
	assert_int_equal(l2tp_hdr_parse(&r, &h, &why), 0);
	assert_false(h.ctrl);
	assert_int_equal(h.tid, 5);
	assert_int_equal(h.sid, 9);
	assert_int_equal(h.off, 2);
	assert_int_equal(h.hdr_len, 10);
	assert_int_equal(r.left, 4);
	assert_int_equal(rd_u16(&r, &v), 0);
	assert_int_equal(v, 0xff03);
}

static void
test_set_nr(void **state)
{
	uint8_t buf[64];
	struct l2tp_builder b;
	struct l2tp_hdr h;
	struct l2tp_msg m;

	(void)state;
	builder(&b, buf, sizeof(buf), 0, L2TP_HELLO);
	assert_int_equal(l2tp_ctrl_end(&b.w), 0);
	assert_int_equal(l2tp_ctrl_set_nr(buf, b.w.len, 0xbeef), 0);
	assert_int_equal(parse_dgram(buf, b.w.len, NULL, 0, &h, &m), 0);
	assert_int_equal(h.nr, 0xbeef);
	assert_int_equal(h.ns, 3);
	assert_int_equal(m.type, L2TP_HELLO);
	assert_int_equal(l2tp_ctrl_set_nr(buf, 11, 1), -1);
}

/* ---- messages and AVPs ---- */

static void
test_sccrp_round_trip(void **state)
{
	static const uint8_t ver[2] = { 1, 0 }, chal[4] = { 9, 8, 7, 6 };
	uint8_t buf[512], resp[16];
	struct l2tp_builder b;
	struct l2tp_hdr h;
	struct l2tp_msg m;

	(void)state;
	memset(resp, 0x5a, sizeof(resp));
	builder(&b, buf, sizeof(buf), 0, L2TP_SCCRP);
	avp_put(&b, L2TP_AVP_PROTO_VER, ver, sizeof(ver));
	avp_put(&b, L2TP_AVP_HOST_NAME, "lns.example", 11);
	avp_put_u32(&b, L2TP_AVP_FRAMING_CAP, L2TP_FRAMING_SYNC);
	avp_put_u16(&b, L2TP_AVP_FIRMWARE_REV, 0x0201);
	avp_put(&b, L2TP_AVP_VENDOR_NAME, "vendor", 6);
	avp_put_u16(&b, L2TP_AVP_ASSIGNED_TID, 0x4242);
	avp_put_u16(&b, L2TP_AVP_RWS, 10);
	avp_put(&b, L2TP_AVP_CHALLENGE, chal, sizeof(chal));
	avp_put(&b, L2TP_AVP_CHAL_RESPONSE, resp, sizeof(resp));
	/* Vendor-specific, not mandatory: ignored. */
	avp_put_raw(&b.w, 0, 9, 1, "xy", 2);
	assert_int_equal(l2tp_ctrl_end(&b.w), 0);

	assert_int_equal(parse_dgram(buf, b.w.len, NULL, 0, &h, &m), 0);
	assert_int_equal(h.length, b.w.len);
	assert_int_equal(m.type, L2TP_SCCRP);
	assert_true(m.type_m);
	assert_false(m.zlb);
	assert_int_equal(m.proto_ver, 1);
	assert_int_equal(m.proto_rev, 0);
	assert_string_equal(m.host_name, "lns.example");
	assert_string_equal(m.vendor_name, "vendor");
	assert_int_equal(m.framing_cap, L2TP_FRAMING_SYNC);
	assert_int_equal(m.firmware, 0x0201);
	assert_int_equal(m.assigned_tid, 0x4242);
	assert_int_equal(m.rws, 10);
	assert_int_equal(m.challenge_len, 4);
	assert_memory_equal(m.challenge, chal, 4);
	assert_memory_equal(m.chal_response, resp, 16);
	assert_int_equal(m.unknown, 1);
	assert_int_equal(m.nviol, 0);
	assert_int_equal(m.hidden, 0);
}

static void
test_zlb(void **state)
{
	uint8_t buf[16];
	struct wr w;
	struct l2tp_hdr h;
	struct l2tp_msg m;

	(void)state;
	wr_init(&w, buf, sizeof(buf));
	l2tp_ctrl_begin(&w, 1, 0, 4, 4);
	assert_int_equal(l2tp_ctrl_end(&w), 0);
	assert_int_equal(w.len, L2TP_CTRL_HDR_LEN);
	assert_int_equal(parse_dgram(buf, w.len, NULL, 0, &h, &m), 0);
	assert_true(m.zlb);
}

/* Build a message from raw AVPs after a Message Type AVP. */
static size_t
raw_msg(uint8_t *buf, size_t cap, uint16_t type,
    void (*more)(struct wr *))
{
	struct wr w;
	uint8_t v[2] = { (uint8_t)(type >> 8), (uint8_t)type };

	wr_init(&w, buf, cap);
	l2tp_ctrl_begin(&w, 1, 0, 0, 0);
	avp_put_raw(&w, L2TP_AVP_M, 0, L2TP_AVP_MSG_TYPE, v, 2);
	more(&w);
	assert_int_equal(l2tp_ctrl_end(&w), 0);
	return w.len;
}

static void
more_cdn_ok(struct wr *w)
{
	static const uint8_t rc[] = { 0, 2, 0, 6, 'o', 'o', 'p', 's' };
	static const uint8_t sid[] = { 0x12, 0x34 };

	avp_put_raw(w, L2TP_AVP_M, 0, L2TP_AVP_RESULT_CODE, rc, sizeof(rc));
	avp_put_raw(w, L2TP_AVP_M, 0, L2TP_AVP_ASSIGNED_SID, sid, 2);
}

static void
more_unknown_m(struct wr *w)
{
	more_cdn_ok(w);
	avp_put_raw(w, L2TP_AVP_M, 0, 200, "z", 1);
}

static void
more_unknown_vendor_m(struct wr *w)
{
	more_cdn_ok(w);
	avp_put_raw(w, L2TP_AVP_M, 311, 1, "z", 1);
}

static void
more_reserved_bits(struct wr *w)
{
	static const uint8_t sid[] = { 0x12, 0x34 };

	more_cdn_ok(w);
	/* 4.1: a reserved bit makes it unrecognized, here mandatory. */
	avp_put_raw(w, L2TP_AVP_M | 0x0800, 0, L2TP_AVP_ASSIGNED_SID,
	    sid, 2);
}

static void
more_short_avp(struct wr *w)
{
	more_cdn_ok(w);
	wr_u16(w, L2TP_AVP_M | 5);		/* Length 5 */
	wr_u16(w, 0);
	wr_u16(w, L2TP_AVP_CALL_SERIAL);
}

static void
more_long_avp(struct wr *w)
{
	more_cdn_ok(w);
	wr_u16(w, L2TP_AVP_M | 20);		/* Length 20, 8 there */
	wr_u16(w, 0);
	wr_u16(w, L2TP_AVP_CALL_SERIAL);
	wr_u16(w, 0);
}

static void
more_truncated_hdr(struct wr *w)
{
	more_cdn_ok(w);
	wr_u16(w, L2TP_AVP_M | 8);
	wr_u16(w, 0);
}

static void
more_missing_sid(struct wr *w)
{
	static const uint8_t rc[] = { 0, 3 };

	avp_put_raw(w, L2TP_AVP_M, 0, L2TP_AVP_RESULT_CODE, rc, sizeof(rc));
}

static void
more_bad_len_m(struct wr *w)
{
	static const uint8_t sid[] = { 0x12, 0x34, 0x56 };
	static const uint8_t rc[] = { 0, 3 };

	avp_put_raw(w, L2TP_AVP_M, 0, L2TP_AVP_RESULT_CODE, rc, sizeof(rc));
	avp_put_raw(w, L2TP_AVP_M, 0, L2TP_AVP_ASSIGNED_SID, sid, 3);
}

static void
more_result_len9(struct wr *w)
{
	static const uint8_t rc[] = { 0, 3, 0 };
	static const uint8_t sid[] = { 0x12, 0x34 };

	/* 4.4.2: a Result Code AVP of Length 9 cannot be. */
	avp_put_raw(w, L2TP_AVP_M, 0, L2TP_AVP_RESULT_CODE, rc, sizeof(rc));
	avp_put_raw(w, L2TP_AVP_M, 0, L2TP_AVP_ASSIGNED_SID, sid, 2);
}

static void
more_sid_zero(struct wr *w)
{
	static const uint8_t rc[] = { 0, 3 };
	static const uint8_t sid[] = { 0, 0 };

	avp_put_raw(w, L2TP_AVP_M, 0, L2TP_AVP_RESULT_CODE, rc, sizeof(rc));
	avp_put_raw(w, L2TP_AVP_M, 0, L2TP_AVP_ASSIGNED_SID, sid, 2);
}

static void
more_lesser(struct wr *w)
{
	static const uint8_t rc[] = { 0, 3 };
	static const uint8_t sid[] = { 0x12, 0x34 };
	static const uint8_t rx[] = { 0, 1 };

	/* M clear where it MUST be set: noted, accepted. */
	avp_put_raw(w, 0, 0, L2TP_AVP_RESULT_CODE, rc, sizeof(rc));
	avp_put_raw(w, L2TP_AVP_M, 0, L2TP_AVP_ASSIGNED_SID, sid, 2);
	/* 7.1's own example: Rx Connect Speed of Length 8, no M: ignored. */
	avp_put_raw(w, 0, 0, L2TP_AVP_RX_SPEED, rx, sizeof(rx));
	/* Twice the same AVP. */
	avp_put_raw(w, L2TP_AVP_M, 0, L2TP_AVP_ASSIGNED_SID, sid, 2);
	/* Non-mandatory unknown: ignored silently. */
	avp_put_raw(w, 0, 0, 250, "q", 1);
}

static void
test_cdn_parse(void **state)
{
	uint8_t buf[256];
	struct l2tp_hdr h;
	struct l2tp_msg m;
	size_t len;

	(void)state;
	len = raw_msg(buf, sizeof(buf), L2TP_CDN, more_cdn_ok);
	assert_int_equal(parse_dgram(buf, len, NULL, 0, &h, &m), 0);
	assert_int_equal(m.type, L2TP_CDN);
	assert_int_equal(m.result, 2);
	assert_true(m.has_error);
	assert_int_equal(m.error, 6);
	assert_string_equal(m.result_msg, "oops");
	assert_int_equal(m.assigned_sid, 0x1234);
	assert_true(l2tp_msg_is_session(m.type));
	assert_false(l2tp_msg_is_session(L2TP_STOPCCN));
}

static void
test_parse_fatal(void **state)
{
	static const struct {
		void		(*more)(struct wr *);
		uint16_t	 error;
		const char	*why;
	} cases[] = {
		{ more_unknown_m, L2TP_ERR_UNKNOWN_M,
		  "unknown mandatory AVP vendor 0 type 200" },
		{ more_unknown_vendor_m, L2TP_ERR_UNKNOWN_M,
		  "unknown mandatory AVP vendor 311 type 1" },
		{ more_reserved_bits, L2TP_ERR_UNKNOWN_M,
		  "unknown mandatory AVP vendor 0 type 14 (reserved bits "
		  "set)" },
		{ more_short_avp, L2TP_ERR_LENGTH,
		  "AVP type 15 Length 5 is below 6" },
		{ more_long_avp, L2TP_ERR_LENGTH,
		  "AVP type 15 Length 20 runs past the message" },
		{ more_truncated_hdr, L2TP_ERR_LENGTH,
		  "AVP header runs past the message" },
		{ more_missing_sid, L2TP_ERR_VENDOR,
		  "CDN without a Assigned Session ID AVP" },
		{ more_bad_len_m, L2TP_ERR_LENGTH,
		  "Assigned Session ID AVP value of 3 bytes is out of range" },
		{ more_result_len9, L2TP_ERR_RANGE,
		  "Result Code AVP value is malformed" },
		{ more_sid_zero, L2TP_ERR_RANGE,
		  "Assigned Session ID AVP value is malformed" },
	};
	uint8_t buf[256];
	struct l2tp_hdr h;
	struct l2tp_msg m;
	size_t i, len;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		len = raw_msg(buf, sizeof(buf), L2TP_CDN, cases[i].more);
		assert_int_equal(parse_dgram(buf, len, NULL, 0, &h, &m), -1);
		assert_int_equal(m.fail_result, 2);
		assert_int_equal(m.fail_error, cases[i].error);
		assert_string_equal(m.why, cases[i].why);
	}
}

static void
test_parse_lesser(void **state)
{
	uint8_t buf[256];
	struct l2tp_hdr h;
	struct l2tp_msg m;
	size_t len;

	(void)state;
	len = raw_msg(buf, sizeof(buf), L2TP_CDN, more_lesser);
	assert_int_equal(parse_dgram(buf, len, NULL, 0, &h, &m), 0);
	assert_int_equal(m.nviol, 3);
	assert_string_equal(m.viol[0], "Result Code AVP without the M bit");
	assert_string_equal(m.viol[1], "Rx Connect Speed AVP value of 2 "
	    "bytes is out of range; ignored");
	assert_string_equal(m.viol[2],
	    "Assigned Session ID AVP appears more than once");
	assert_int_equal(m.unknown, 1);
	assert_int_equal(m.result, 3);
	assert_false(m.has_error);
	assert_int_equal(m.rx_speed, 0);
}

static void
test_first_avp(void **state)
{
	static const uint8_t sid[] = { 0, 1 }, mt[] = { 0, L2TP_HELLO };
	uint8_t buf[64];
	struct wr w;
	struct l2tp_hdr h;
	struct l2tp_msg m;

	(void)state;
	/* 4.4.1: Message Type first. */
	wr_init(&w, buf, sizeof(buf));
	l2tp_ctrl_begin(&w, 1, 0, 0, 0);
	avp_put_raw(&w, L2TP_AVP_M, 0, L2TP_AVP_ASSIGNED_SID, sid, 2);
	avp_put_raw(&w, L2TP_AVP_M, 0, L2TP_AVP_MSG_TYPE, mt, 2);
	assert_int_equal(l2tp_ctrl_end(&w), 0);
	assert_int_equal(parse_dgram(buf, w.len, NULL, 0, &h, &m), -1);
	assert_string_equal(m.why,
	    "first AVP is not Message Type (vendor 0 type 14)");

	/* ... never hidden ... */
	wr_init(&w, buf, sizeof(buf));
	l2tp_ctrl_begin(&w, 1, 0, 0, 0);
	avp_put_raw(&w, L2TP_AVP_M | L2TP_AVP_H, 0, L2TP_AVP_MSG_TYPE, mt, 2);
	assert_int_equal(l2tp_ctrl_end(&w), 0);
	assert_int_equal(parse_dgram(buf, w.len, NULL, 0, &h, &m), -1);
	assert_string_equal(m.why, "Message Type AVP is hidden");

	/* ... of Length 8 ... */
	wr_init(&w, buf, sizeof(buf));
	l2tp_ctrl_begin(&w, 1, 0, 0, 0);
	avp_put_raw(&w, L2TP_AVP_M, 0, L2TP_AVP_MSG_TYPE, "\0\6\0", 3);
	assert_int_equal(l2tp_ctrl_end(&w), 0);
	assert_int_equal(parse_dgram(buf, w.len, NULL, 0, &h, &m), -1);
	assert_string_equal(m.why, "Message Type AVP Length 9 is not 8");

	/* ... with the M bit (noted) and unknown types are reported. */
	wr_init(&w, buf, sizeof(buf));
	l2tp_ctrl_begin(&w, 1, 0, 0, 0);
	avp_put_raw(&w, 0, 0, L2TP_AVP_MSG_TYPE, mt, 2);
	assert_int_equal(l2tp_ctrl_end(&w), 0);
	assert_int_equal(parse_dgram(buf, w.len, NULL, 0, &h, &m), 0);
	assert_int_equal(m.nviol, 1);
	assert_false(m.type_m);

	wr_init(&w, buf, sizeof(buf));
	l2tp_ctrl_begin(&w, 1, 0, 0, 0);
	avp_put_raw(&w, L2TP_AVP_M, 0, L2TP_AVP_MSG_TYPE, "\0\x63", 2);
	assert_int_equal(l2tp_ctrl_end(&w), 0);
	assert_int_equal(parse_dgram(buf, w.len, NULL, 0, &h, &m), 0);
	assert_int_equal(m.type, 99);
	assert_true(m.type_m);
	assert_null(l2tp_msg_name(99));
}

/* ---- RFC 2661 4.3 ---- */

static void
test_hide_known_answer(void **state)
{
	static const uint8_t want22[] = {
		0x83, 0xa3, 0xd8, 0x87, 0x20, 0x15, 0x68, 0xd9, 0xf0, 0xe7,
		0xf0, 0x21, 0x8d, 0x74, 0xb4, 0x1d, 0x7d, 0xd2, 0x0d, 0x6c,
		0x74, 0x60,
	};
	static const uint8_t want9[] = {
		0x83, 0xb0, 0x8c, 0xd0, 0x76, 0x41, 0x3c, 0x8d, 0xa4,
	};
	uint8_t rv[16], buf[32];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rv); i++)
		rv[i] = (uint8_t)(0x10 + i);
	/* Two segments: 16 and 6 octets. */
	buf[0] = 0;
	buf[1] = 20;
	memcpy(buf + 2, "abcdefghijklmnopqrst", 20);
	l2tp_hide(L2TP_AVP_CALLING_NUMBER, secret, SECRET_LEN, rv, 16, buf, 22);
	assert_memory_equal(buf, want22, sizeof(want22));
	l2tp_unhide(L2TP_AVP_CALLING_NUMBER, secret, SECRET_LEN, rv, 16, buf,
	    22);
	assert_int_equal(buf[1], 20);
	assert_memory_equal(buf + 2, "abcdefghijklmnopqrst", 20);

	/* Shorter than 16: only the octets present change. */
	buf[0] = 0;
	buf[1] = 7;
	memcpy(buf + 2, "5550123", 7);
	l2tp_hide(L2TP_AVP_CALLING_NUMBER, secret, SECRET_LEN, rv, 16, buf, 9);
	assert_memory_equal(buf, want9, sizeof(want9));
}

static void
test_hide_round_trip_lengths(void **state)
{
	uint8_t rv[5] = { 1, 2, 3, 4, 5 }, buf[80], orig[80];
	size_t len, i;

	(void)state;
	for (len = 1; len <= sizeof(buf); len++) {
		for (i = 0; i < len; i++)
			orig[i] = (uint8_t)(i * 7 + len);
		memcpy(buf, orig, len);
		l2tp_hide(L2TP_AVP_PROXY_RESP, secret, SECRET_LEN, rv,
		    sizeof(rv), buf, len);
		if (len >= 4)
			assert_memory_not_equal(buf, orig, len);
		l2tp_unhide(L2TP_AVP_PROXY_RESP, secret, SECRET_LEN, rv,
		    sizeof(rv), buf, len);
		assert_memory_equal(buf, orig, len);
	}
}

static void
test_hidden_message(void **state)
{
	static const uint8_t sec_bad[] = "wrong";
	uint8_t buf[512];
	struct l2tp_builder b;
	struct l2tp_hdr h;
	struct l2tp_msg m;
	struct rd r, val;
	uint16_t bits, vendor, type, n_hidden = 0, first_hidden = 0, idx = 0;
	uint16_t rv_at = 0;

	(void)state;
	builder(&b, buf, sizeof(buf), 1, L2TP_ICRQ);
	avp_put_u16(&b, L2TP_AVP_ASSIGNED_SID, 0x0102);
	avp_put_u32(&b, L2TP_AVP_CALL_SERIAL, 0xdeadbeef);
	avp_put_u32(&b, L2TP_AVP_BEARER_TYPE, L2TP_BEARER_DIGITAL);
	avp_put(&b, L2TP_AVP_CALLING_NUMBER, "lacsim-12345678901", 18);
	avp_put(&b, L2TP_AVP_CALLED_NUMBER, "l2tpns", 6);
	assert_int_equal(l2tp_ctrl_end(&b.w), 0);

	/* The Random Vector sits before the first hidden AVP. */
	rd_init(&r, buf, b.w.len);
	assert_int_equal(rd_skip(&r, L2TP_CTRL_HDR_LEN), 0);
	while (r.left > 0) {
		assert_int_equal(rd_u16(&r, &bits), 0);
		assert_int_equal(rd_u16(&r, &vendor), 0);
		assert_int_equal(rd_u16(&r, &type), 0);
		assert_int_equal(rd_sub(&r, (bits & L2TP_AVP_LEN_MASK) - 6,
		    &val), 0);
		if (type == L2TP_AVP_RANDOM_VECTOR)
			rv_at = idx;
		if (bits & L2TP_AVP_H) {
			if (n_hidden++ == 0)
				first_hidden = idx;
			/* Padded to 16: 2 + value + padding. */
			assert_int_equal(val.left % 16, 0);
		}
		idx++;
	}
	assert_int_equal(n_hidden, 5);
	assert_int_equal(rv_at, 1);
	assert_int_equal(first_hidden, 2);

	assert_int_equal(parse_dgram(buf, b.w.len, secret, SECRET_LEN, &h, &m),
	    0);
	assert_int_equal(m.hidden, 5);
	assert_int_equal(m.nviol, 0);
	assert_int_equal(m.assigned_sid, 0x0102);
	assert_int_equal(m.call_serial, 0xdeadbeef);
	assert_int_equal(m.bearer_type, L2TP_BEARER_DIGITAL);
	assert_string_equal(m.calling, "lacsim-12345678901");
	assert_string_equal(m.called, "l2tpns");

	/* No secret: the mandatory hidden AVP is fatal. */
	assert_int_equal(parse_dgram(buf, b.w.len, NULL, 0, &h, &m), -1);
	assert_string_equal(m.why, "Assigned Session ID AVP hidden but no "
	    "shared secret is configured");
	/* The wrong secret decodes to garbage lengths. */
	assert_int_equal(parse_dgram(buf, b.w.len, sec_bad,
	    sizeof(sec_bad) - 1, &h, &m), -1);
}

static void
test_hidden_without_rv(void **state)
{
	static const uint8_t sid[] = { 0x00, 0x02, 0x12, 0x34 };
	static const uint8_t mt[] = { 0, L2TP_ICRP };
	uint8_t buf[64];
	struct wr w;
	struct l2tp_hdr h;
	struct l2tp_msg m;

	(void)state;
	wr_init(&w, buf, sizeof(buf));
	l2tp_ctrl_begin(&w, 1, 1, 0, 0);
	avp_put_raw(&w, L2TP_AVP_M, 0, L2TP_AVP_MSG_TYPE, mt, 2);
	avp_put_raw(&w, L2TP_AVP_M | L2TP_AVP_H, 0, L2TP_AVP_ASSIGNED_SID,
	    sid, sizeof(sid));
	assert_int_equal(l2tp_ctrl_end(&w), 0);
	assert_int_equal(parse_dgram(buf, w.len, secret, SECRET_LEN, &h, &m),
	    -1);
	assert_string_equal(m.why, "Assigned Session ID AVP hidden with no "
	    "Random Vector before it");

	/* An AVP that MUST NOT be hidden (Host Name) is refused. */
	wr_init(&w, buf, sizeof(buf));
	l2tp_ctrl_begin(&w, 1, 1, 0, 0);
	avp_put_raw(&w, L2TP_AVP_M, 0, L2TP_AVP_MSG_TYPE, mt, 2);
	avp_put_raw(&w, L2TP_AVP_M, 0, L2TP_AVP_RANDOM_VECTOR, "abcd", 4);
	avp_put_raw(&w, L2TP_AVP_M | L2TP_AVP_H, 0, L2TP_AVP_HOST_NAME,
	    sid, sizeof(sid));
	assert_int_equal(l2tp_ctrl_end(&w), 0);
	assert_int_equal(parse_dgram(buf, w.len, secret, SECRET_LEN, &h, &m),
	    -1);
	assert_string_equal(m.why, "Host Name AVP MUST NOT be hidden");
}

/* ---- RFC 2661 4.4.3, 5.1.1 ---- */

static void
test_chal_response(void **state)
{
	static const uint8_t want2[] = {
		0xd7, 0xcd, 0xc5, 0x8a, 0xe8, 0xfe, 0xc2, 0xb9, 0x94, 0xe7,
		0xed, 0xd0, 0xb9, 0x4b, 0xd8, 0xa1,
	};
	static const uint8_t want3[] = {
		0x64, 0x3b, 0x6a, 0xd8, 0x1f, 0xd3, 0x82, 0x57, 0x66, 0xd3,
		0x96, 0xd2, 0x18, 0x86, 0xac, 0xb3,
	};
	uint8_t chal[16], out[16];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(chal); i++)
		chal[i] = (uint8_t)i;
	l2tp_chal_response(L2TP_SCCRP, secret, SECRET_LEN, chal, 16, out);
	assert_memory_equal(out, want2, 16);
	l2tp_chal_response(L2TP_SCCCN, secret, SECRET_LEN, chal, 16, out);
	assert_memory_equal(out, want3, 16);
}

/* A builder that runs out of room reports it once, at the end. */
static void
test_builder_overflow(void **state)
{
	uint8_t buf[40], big[100];
	struct l2tp_builder b;

	(void)state;
	memset(big, 'x', sizeof(big));
	builder(&b, buf, sizeof(buf), 0, L2TP_SCCRQ);
	avp_put(&b, L2TP_AVP_HOST_NAME, big, sizeof(big));
	assert_int_equal(l2tp_ctrl_end(&b.w), -1);

	builder(&b, buf, sizeof(buf), 0, L2TP_SCCRQ);
	avp_put_raw(&b.w, 0, 0, L2TP_AVP_HOST_NAME, big,
	    L2TP_AVP_VAL_MAX + 1);
	assert_int_equal(b.w.err, 1);
}

#define T(f)	cmocka_unit_test_setup_teardown(f, unit_alarm_setup, unit_alarm_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_cursor),
		T(test_writer),
		T(test_header_ctrl),
		T(test_header_bad),
		T(test_header_data),
		T(test_set_nr),
		T(test_sccrp_round_trip),
		T(test_zlb),
		T(test_cdn_parse),
		T(test_parse_fatal),
		T(test_parse_lesser),
		T(test_first_avp),
		T(test_hide_known_answer),
		T(test_hide_round_trip_lengths),
		T(test_hidden_message),
		T(test_hidden_without_rv),
		T(test_chal_response),
		T(test_builder_overflow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
