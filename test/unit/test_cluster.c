/*
 * test_cluster.c - the cluster wire codec (clustermsg.c): HMAC-SHA-256
 * against the RFC 4231 test vectors, datagram round trips with and
 * without a key, every class of malformed datagram decoded to its own
 * reason, the RFC 4303 replay window and the election ranking.  Every
 * test runs under an alarm (STYLE 14).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "unit.h"

#include "clustermsg.h"


static uint8_t pkt[CL_MAX_PKT + 64];

/* Exactly n octets from hex string h. */
static void
unhex(const char *h, uint8_t *out, size_t n)
{
	assert_int_equal(unit_unhex(h, out, n), n);
}

/* RFC 4231 4.2 - 4.8 (4.6 is truncated to 128 bits). */
static void
test_hmac_rfc4231(void **state)
{
	static const char tc7[] = "This is a test using a larger than "
	    "block-size key and a larger than block-size data. The key needs "
	    "to be hashed before being used by the HMAC algorithm.";
	uint8_t key[131], data[64], want[32], mac[32];
	size_t i;

	(void)state;
	/* 4.2 */
	memset(key, 0x0b, 20);
	cl_hmac_sha256(key, 20, (const uint8_t *)"Hi There", 8, mac);
	unhex("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
	    want, 32);
	assert_memory_equal(mac, want, 32);
	/* 4.3: a key shorter than the output */
	cl_hmac_sha256((const uint8_t *)"Jefe", 4,
	    (const uint8_t *)"what do ya want for nothing?", 28, mac);
	unhex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
	    want, 32);
	assert_memory_equal(mac, want, 32);
	/* 4.4 */
	memset(key, 0xaa, 20);
	memset(data, 0xdd, 50);
	cl_hmac_sha256(key, 20, data, 50, mac);
	unhex("773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
	    want, 32);
	assert_memory_equal(mac, want, 32);
	/* 4.5 */
	for (i = 0; i < 25; i++)
		key[i] = (uint8_t)(i + 1);
	memset(data, 0xcd, 50);
	cl_hmac_sha256(key, 25, data, 50, mac);
	unhex("82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
	    want, 32);
	assert_memory_equal(mac, want, 32);
	/* 4.6: truncated output, first 128 bits */
	memset(key, 0x0c, 20);
	cl_hmac_sha256(key, 20, (const uint8_t *)"Test With Truncation", 20,
	    mac);
	unhex("a3b6167473100ee06e0c796c2955552b", want, 16);
	assert_memory_equal(mac, want, 16);
	/* 4.7: a key longer than the block is hashed first */
	memset(key, 0xaa, 131);
	cl_hmac_sha256(key, 131, (const uint8_t *)"Test Using Larger Than "
	    "Block-Size Key - Hash Key First", 54, mac);
	unhex("60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
	    want, 32);
	assert_memory_equal(mac, want, 32);
	/* 4.8: and data longer than the block */
	cl_hmac_sha256(key, 131, (const uint8_t *)tc7, strlen(tc7), mac);
	unhex("9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
	    want, 32);
	assert_memory_equal(mac, want, 32);
}

static void
hdr(struct cl_hdr *h, uint8_t type, uint32_t seq)
{
	memset(h, 0, sizeof(*h));
	h->version = CL_VERSION;
	h->type = type;
	h->sender = inet_addr("10.0.0.1");
	h->cluster_id = inet_addr("192.0.2.1");
	h->epoch = 0x0000018c12345678ULL;
	h->seq = seq;
}

static const uint8_t K[] = "correct horse battery staple";
#define KL (sizeof(K) - 1)

static void
test_layout_and_round_trip(void **state)
{
	static const uint8_t want[] = {
		0x4c, 0x32, 0x43, 0x4c,		/* magic */
		0x03, 0x01, 0x00, 0x00,		/* version, PING, flags */
		0x00, 0x24, 0x00, 0x00,		/* length 36 */
		10, 0, 0, 1,			/* sender */
		192, 0, 2, 1,			/* cluster id */
		0x00, 0x00, 0x01, 0x8c, 0x12, 0x34, 0x56, 0x78,
		0x00, 0x00, 0x00, 0x07,		/* seq */
		0xde, 0xad, 0xbe, 0xef,
	};
	static const uint8_t body[] = { 0xde, 0xad, 0xbe, 0xef };
	struct cl_hdr h, d;
	struct rd r;
	int n;

	(void)state;
	hdr(&h, CL_PING, 7);
	n = cl_encode(pkt, sizeof(pkt), &h, body, 4, NULL, 0);
	assert_int_equal(n, sizeof(want));
	assert_memory_equal(pkt, want, sizeof(want));
	assert_int_equal(cl_decode(pkt, (size_t)n, NULL, 0, &d, &r), CL_OK);
	assert_int_equal(d.type, CL_PING);
	assert_int_equal(d.seq, 7);
	assert_true(d.epoch == h.epoch);
	assert_int_equal(d.sender, h.sender);
	assert_int_equal(d.cluster_id, h.cluster_id);
	assert_int_equal(r.left, 4);
	assert_memory_equal(r.p, body, 4);

	/* With a key: flag, 32 more bytes, and it verifies. */
	n = cl_encode(pkt, sizeof(pkt), &h, body, 4, K, KL);
	assert_int_equal(n, sizeof(want) + CL_MAC_LEN);
	assert_int_equal(pkt[6], CL_F_AUTH);
	assert_int_equal(cl_decode(pkt, (size_t)n, K, KL, &d, &r), CL_OK);
	assert_int_equal(r.left, 4);
	/* Too small a buffer fails cleanly. */
	assert_int_equal(cl_encode(pkt, 40, &h, body, 4, K, KL), -1);
}

static void
test_malformed(void **state)
{
	static const uint8_t body[16];
	struct cl_hdr h, d;
	struct rd r;
	int n;
	size_t i;

	(void)state;
	hdr(&h, CL_HEARTBEAT, 1);
	n = cl_encode(pkt, sizeof(pkt), &h, body, sizeof(body), K, KL);
	assert_true(n > 0);

	/* Every truncation is caught, whatever its length. */
	for (i = 0; i < (size_t)n; i++) {
		enum cl_err e = cl_decode(pkt, i, K, KL, &d, &r);

		assert_true(e == CL_E_TRUNCATED);
	}
	/* Trailing bytes. */
	pkt[n] = 0;
	assert_int_equal(cl_decode(pkt, (size_t)n + 1, K, KL, &d, &r),
	    CL_E_LENGTH);
	/* A length field below the header (and the MAC). */
	pkt[8] = 0;
	pkt[9] = 40;
	assert_int_equal(cl_decode(pkt, 40, K, KL, &d, &r), CL_E_LENGTH);
	n = cl_encode(pkt, sizeof(pkt), &h, body, sizeof(body), K, KL);
	/* Magic, version, type. */
	pkt[0] ^= 1;
	assert_int_equal(cl_decode(pkt, (size_t)n, K, KL, &d, &r), CL_E_MAGIC);
	pkt[0] ^= 1;
	pkt[4] = CL_VERSION + 1;	/* and the previous one below */
	assert_int_equal(cl_decode(pkt, (size_t)n, K, KL, &d, &r),
	    CL_E_VERSION);
	pkt[4] = CL_VERSION - 1;
	assert_int_equal(cl_decode(pkt, (size_t)n, K, KL, &d, &r),
	    CL_E_VERSION);
	pkt[4] = CL_VERSION;
	pkt[5] = CL_TYPE_MAX;
	assert_int_equal(cl_decode(pkt, (size_t)n, K, KL, &d, &r), CL_E_TYPE);
	pkt[5] = 0;
	assert_int_equal(cl_decode(pkt, (size_t)n, K, KL, &d, &r), CL_E_TYPE);
	pkt[5] = CL_HEARTBEAT;
	assert_int_equal(cl_decode(pkt, (size_t)n, K, KL, &d, &r), CL_OK);
	/* Forged: any bit of header, body or MAC flipped; the wrong key. */
	for (i = 12; i < (size_t)n; i += 7) {
		pkt[i] ^= 0x10;
		assert_int_equal(cl_decode(pkt, (size_t)n, K, KL, &d, &r),
		    CL_E_FORGED);
		pkt[i] ^= 0x10;
	}
	assert_int_equal(cl_decode(pkt, (size_t)n, (const uint8_t *)"other",
	    5, &d, &r), CL_E_FORGED);
	/* Signed but we have no key: cannot be ours. */
	assert_int_equal(cl_decode(pkt, (size_t)n, NULL, 0, &d, &r),
	    CL_E_FORGED);
	/* Unsigned while we have a key. */
	n = cl_encode(pkt, sizeof(pkt), &h, body, sizeof(body), NULL, 0);
	assert_int_equal(cl_decode(pkt, (size_t)n, K, KL, &d, &r),
	    CL_E_UNSIGNED);
	/* Each reason has a name. */
	for (i = 0; i < CL_E_MAX; i++)
		assert_non_null(cl_err_name((int)i));
	assert_null(cl_err_name(CL_E_MAX));
}

static void
test_replay_window(void **state)
{
	struct cl_replay w;
	uint32_t s;

	(void)state;
	memset(&w, 0, sizeof(w));
	assert_int_equal(cl_replay_check(&w, 100, 5), 0);
	cl_replay_update(&w, 100, 5);
	assert_int_equal(cl_replay_check(&w, 100, 5), -1);	/* replayed */
	assert_int_equal(cl_replay_check(&w, 100, 6), 0);
	cl_replay_update(&w, 100, 10);
	/* 6..9 never came: still acceptable once, out of order. */
	assert_int_equal(cl_replay_check(&w, 100, 7), 0);
	cl_replay_update(&w, 100, 7);
	assert_int_equal(cl_replay_check(&w, 100, 7), -1);
	assert_int_equal(cl_replay_check(&w, 100, 8), 0);
	/* Far ahead: the window slides, old ones fall off the left. */
	cl_replay_update(&w, 100, 10 + 64);
	assert_int_equal(cl_replay_check(&w, 100, 10), -1);
	assert_int_equal(cl_replay_check(&w, 100, 11), 0);
	/* An older epoch is a replay of a previous run; a newer is a restart. */
	assert_int_equal(cl_replay_check(&w, 99, 1000), -1);
	assert_int_equal(cl_replay_check(&w, 101, 1), 0);
	cl_replay_update(&w, 101, 1);
	assert_int_equal(cl_replay_check(&w, 100, 75), -1);
	/* A long in-order run is all accepted, each once. */
	for (s = 2; s < 300; s++) {
		assert_int_equal(cl_replay_check(&w, 101, s), 0);
		cl_replay_update(&w, 101, s);
		assert_int_equal(cl_replay_check(&w, 101, s), -1);
	}
}

static void
test_rank(void **state)
{
	uint32_t a = inet_addr("10.0.0.1"), b = inet_addr("10.0.0.2");
	uint32_t c = inet_addr("9.255.255.255");

	(void)state;
	/* The longest uptime (earliest start) wins, whatever the address. */
	assert_true(cl_rank_cmp(1000, a, 2000, b) > 0);
	assert_true(cl_rank_cmp(2000, b, 1000, a) < 0);
	/* A tie: the highest address, compared as a number. */
	assert_true(cl_rank_cmp(1000, b, 1000, a) > 0);
	assert_true(cl_rank_cmp(1000, a, 1000, c) > 0);
	assert_true(cl_rank_cmp(1000, c, 1000, a) < 0);
	assert_int_equal(cl_rank_cmp(1000, a, 1000, a), 0);
}

static void
test_node_and_records(void **state)
{
	uint8_t buf[256], data[40];
	struct cl_node n = { 1, 1, 5, 77, 1000, 20 }, m;
	struct cl_rec rec;
	struct wr w;
	struct rd r;

	(void)state;
	memset(data, 0x5a, sizeof(data));
	wr_init(&w, buf, sizeof(buf));
	cl_put_node(&w, &n);
	assert_int_equal(w.len, CL_NODE_LEN);
	cl_put_rec(&w, CL_REC_SESSION, 3, data, sizeof(data));
	cl_put_rec(&w, CL_REC_TUNNEL, 9, NULL, 0);
	assert_false(w.err);
	rd_init(&r, buf, w.len);
	assert_int_equal(cl_get_node(&r, &m), 0);
	assert_memory_equal(&n, &m, sizeof(n));
	assert_int_equal(cl_get_rec(&r, &rec), 0);
	assert_int_equal(rec.type, CL_REC_SESSION);
	assert_int_equal(rec.index, 3);
	assert_int_equal(rec.len, sizeof(data));
	assert_memory_equal(rec.data, data, sizeof(data));
	assert_int_equal(cl_get_rec(&r, &rec), 0);
	assert_int_equal(rec.type, CL_REC_TUNNEL);
	assert_int_equal(rec.len, 0);
	assert_int_equal(r.left, 0);
	assert_int_equal(cl_get_rec(&r, &rec), -1);

	/* A record longer than what is left; index 0; unknown type. */
	wr_init(&w, buf, sizeof(buf));
	cl_put_rec(&w, CL_REC_SESSION, 3, data, sizeof(data));
	rd_init(&r, buf, w.len - 1);
	assert_int_equal(cl_get_rec(&r, &rec), -1);
	wr_init(&w, buf, sizeof(buf));
	cl_put_rec(&w, CL_REC_SESSION, 0, NULL, 0);
	rd_init(&r, buf, w.len);
	assert_int_equal(cl_get_rec(&r, &rec), -1);
	wr_init(&w, buf, sizeof(buf));
	cl_put_rec(&w, CL_REC_MAX, 1, NULL, 0);
	rd_init(&r, buf, w.len);
	assert_int_equal(cl_get_rec(&r, &rec), -1);
	/* A node with a role other than 0/1. */
	n.role = 2;
	wr_init(&w, buf, sizeof(buf));
	cl_put_node(&w, &n);
	rd_init(&r, buf, w.len);
	assert_int_equal(cl_get_node(&r, &m), -1);
	rd_init(&r, buf, CL_NODE_LEN - 1);
	assert_int_equal(cl_get_node(&r, &m), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_hmac_rfc4231,
		    unit_alarm_setup, unit_alarm_teardown),
		cmocka_unit_test_setup_teardown(test_layout_and_round_trip,
		    unit_alarm_setup, unit_alarm_teardown),
		cmocka_unit_test_setup_teardown(test_malformed,
		    unit_alarm_setup, unit_alarm_teardown),
		cmocka_unit_test_setup_teardown(test_replay_window,
		    unit_alarm_setup, unit_alarm_teardown),
		cmocka_unit_test_setup_teardown(test_rank, unit_alarm_setup, unit_alarm_teardown),
		cmocka_unit_test_setup_teardown(test_node_and_records,
		    unit_alarm_setup, unit_alarm_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
