/*
 * test_state.c - the state file's format (state.c): header checks
 * (magic, version, checksum, layout, sizes), truncation, records with a
 * checksum each in two slots (the newer whole one wins, a cut one falls
 * back to the previous version), serial arithmetic of the sequence.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "state.h"

#define NS	4	/* max_sessions of the test files */
#define NT	2

static uint8_t *img;
static size_t img_len;
static char why[256];

/* What the parse reported: the user name of each session, per index. */
static char users[NS + 1][MAXUSER];
static char hosts[NT + 1][MAXHOST];
static int calls;

static void
collect(void *arg, int kind, uint32_t idx, const void *p, size_t len)
{
	(void)arg;
	calls++;
	if (kind == STATE_REC_SESSION) {
		const struct state_sess *r = p;

		assert_int_equal(len, sizeof(*r));
		assert_true(idx >= 1 && idx <= NS);
		snprintf(users[idx], sizeof(users[idx]), "%s", r->s.user);
	} else {
		const struct state_tun *r = p;

		assert_int_equal(kind, STATE_REC_TUNNEL);
		assert_int_equal(len, sizeof(*r));
		assert_true(idx >= 1 && idx <= NT);
		snprintf(hosts[idx], sizeof(hosts[idx]), "%s", r->t.hostname);
	}
}

static int newer_s[NS + 1], newer_t[NT + 1];
static uint32_t seq;

static uint8_t *
pair(int kind, uint32_t idx)
{
	size_t ss = state_slot_size(STATE_REC_SESSION);
	size_t ts = state_slot_size(STATE_REC_TUNNEL);

	if (kind == STATE_REC_SESSION)
		return img + STATE_HEAD_SIZE + (idx - 1) * 2 * ss;
	return img + STATE_HEAD_SIZE + NS * 2 * ss + (idx - 1) * 2 * ts;
}

static void
put_session(uint32_t idx, const char *user)
{
	struct state_sess r;

	memset(&r, 0, sizeof(r));
	r.s.state = SESSION_OPEN;
	r.s.tunnel = 1;
	snprintf(r.s.user, sizeof(r.s.user), "%s", user);
	state_rec_write(pair(STATE_REC_SESSION, idx),
	    state_slot_size(STATE_REC_SESSION), &newer_s[idx], ++seq,
	    STATE_REC_SESSION, idx, user ? &r : NULL, user ? sizeof(r) : 0);
}

static void
put_tunnel(uint32_t idx, const char *host)
{
	struct state_tun r;

	memset(&r, 0, sizeof(r));
	r.t.state = TUNNEL_OPEN;
	snprintf(r.t.hostname, sizeof(r.t.hostname), "%s", host);
	r.have_seq = 1;
	r.ns = 7;
	r.nr = 9;
	state_rec_write(pair(STATE_REC_TUNNEL, idx),
	    state_slot_size(STATE_REC_TUNNEL), &newer_t[idx], ++seq,
	    STATE_REC_TUNNEL, idx, &r, sizeof(r));
}

static int
parse(struct state_info *in)
{
	memset(users, 0, sizeof(users));
	memset(hosts, 0, sizeof(hosts));
	calls = 0;
	why[0] = '\0';
	return state_parse(img, img_len, in, collect, NULL, why, sizeof(why));
}

static int
setup(void **state)
{
	struct state_head h;

	(void)state;
	img_len = state_file_size(NS, NT);
	img = calloc(1, img_len);
	state_head_init(&h, NS, NT, "tun0");
	memcpy(img, &h, sizeof(h));
	memset(newer_s, 0, sizeof(newer_s));
	memset(newer_t, 0, sizeof(newer_t));
	seq = 0;
	return img == NULL;
}

static int
teardown(void **state)
{
	(void)state;
	free(img);
	return 0;
}

static void
test_crc32c_check_value(void **state)
{
	(void)state;
	/* The CRC-32C check value (RFC 3720 B.4 uses the same polynomial). */
	assert_int_equal(state_crc32c("123456789", 9), 0xe3069283u);
}

static void
test_empty_file_parses(void **state)
{
	struct state_info in;

	(void)state;
	assert_int_equal(parse(&in), 0);
	assert_int_equal(in.sessions + in.tunnels + in.torn + in.bad, 0);
	assert_int_equal(in.max_sessions, NS);
	assert_int_equal(in.max_tunnels, NT);
	assert_string_equal(in.tundev, "tun0");
	assert_int_equal(calls, 0);
}

static void
test_records_round_trip(void **state)
{
	struct state_info in;

	(void)state;
	put_session(1, "alice");
	put_session(4, "bob");
	put_tunnel(2, "lac2");
	put_session(1, "alice2");	/* the newer version, other slot */
	assert_int_equal(parse(&in), 0);
	assert_int_equal(in.sessions, 2);
	assert_int_equal(in.tunnels, 1);
	assert_string_equal(users[1], "alice2");
	assert_string_equal(users[4], "bob");
	assert_string_equal(hosts[2], "lac2");
	assert_int_equal(in.seq, 4);
	assert_int_equal(in.torn, 0);
	/* freed: no longer reported */
	put_session(4, NULL);
	assert_int_equal(parse(&in), 0);
	assert_int_equal(in.sessions, 1);
	assert_string_equal(users[4], "");
}

static void
test_cut_record_falls_back_to_previous(void **state)
{
	struct state_info in;
	size_t slot = state_slot_size(STATE_REC_SESSION);
	uint8_t *p;

	(void)state;
	put_session(2, "old");
	put_session(2, "new");
	/* the newer copy cut half-way: a byte of its payload not written */
	p = pair(STATE_REC_SESSION, 2) + (size_t)newer_s[2] * slot;
	p[sizeof(struct state_rec) + offsetof(struct session, user)] ^= 1;
	assert_int_equal(parse(&in), 0);
	assert_string_equal(users[2], "old");
	assert_int_equal(in.torn, 1);
	assert_int_equal(in.bad, 0);
	/* the other one too: nothing valid, the entry is dropped */
	p = pair(STATE_REC_SESSION, 2) + (size_t)(newer_s[2] ^ 1) * slot;
	p[slot - 1] ^= 0x80;	/* its checksum */
	assert_int_equal(parse(&in), 0);
	assert_int_equal(in.sessions, 0);
	assert_int_equal(in.bad, 1);
	assert_string_equal(users[2], "");
}

static void
test_record_in_the_wrong_place_refused(void **state)
{
	struct state_info in;

	(void)state;
	/* a record of index 1 copied over index 3: its checksum holds but
	 * it names another entry */
	put_session(1, "carol");
	memcpy(pair(STATE_REC_SESSION, 3), pair(STATE_REC_SESSION, 1),
	    2 * state_slot_size(STATE_REC_SESSION));
	assert_int_equal(parse(&in), 0);
	assert_int_equal(in.sessions, 1);
	assert_int_equal(in.bad, 1);
	assert_string_equal(users[3], "");
}

static void
test_sequence_wraps(void **state)
{
	struct state_info in;

	(void)state;
	seq = 0xfffffffeu;
	put_session(1, "before");	/* 0xffffffff */
	seq = 0;
	put_session(1, "after");	/* 1: newer in serial arithmetic */
	assert_int_equal(parse(&in), 0);
	assert_string_equal(users[1], "after");
}

static void
test_truncated_refused(void **state)
{
	struct state_info in;

	(void)state;
	put_session(1, "x");
	img_len -= 1;
	assert_int_equal(parse(&in), -1);
	assert_non_null(strstr(why, "truncated"));
	img_len = 50;
	assert_int_equal(parse(&in), -1);
	assert_non_null(strstr(why, "shorter than the header"));
	img_len = 0;
	assert_int_equal(parse(&in), -1);
	img_len = state_file_size(NS, NT);
}

static void
test_trailing_bytes_refused(void **state)
{
	struct state_info in;

	(void)state;
	img_len += 8;
	img = realloc(img, img_len);
	assert_int_equal(parse(&in), -1);
	assert_non_null(strstr(why, "where the header says"));
	img_len -= 8;
}

static void
rewrite_head(void (*change)(struct state_head *))
{
	struct state_head h;

	memcpy(&h, img, sizeof(h));
	change(&h);
	h.crc = state_crc32c(&h, offsetof(struct state_head, crc));
	memcpy(img, &h, sizeof(h));
}

static void other_version(struct state_head *h) { h->version = 2; }
static void other_layout(struct state_head *h) { h->layout ^= 1; }
static void other_slot(struct state_head *h) { h->sess_slot += 8; }
static void closed(struct state_head *h) { h->status = 0; }
static void huge(struct state_head *h) { h->max_sessions = 0xffffffffu; }

static void
test_header_refusals(void **state)
{
	struct state_info in;
	static const struct {
		void (*change)(struct state_head *);
		const char *why;
	} t[] = {
		{ other_version, "format version 2; this build reads version 1" },
		{ other_layout, "differs from this build's" },
		{ other_slot, "differs from this build's" },
		{ closed, "marked closed" },
		{ huge, "out of range" },
	};
	struct state_head good;
	size_t i;

	(void)state;
	memcpy(&good, img, sizeof(good));
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		rewrite_head(t[i].change);
		assert_int_equal(parse(&in), -1);
		assert_non_null(strstr(why, t[i].why));
		memcpy(img, &good, sizeof(good));
	}
	/* a bit flipped anywhere in the header: its checksum */
	img[offsetof(struct state_head, tundev) + 1] ^= 4;
	assert_int_equal(parse(&in), -1);
	assert_string_equal(why, "header checksum mismatch (corrupt)");
	memcpy(img, &good, sizeof(good));
	img[0] = 'X';
	assert_int_equal(parse(&in), -1);
	assert_non_null(strstr(why, "bad magic"));
	memcpy(img, &good, sizeof(good));
	assert_int_equal(parse(&in), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32c_check_value),
		cmocka_unit_test_setup_teardown(test_empty_file_parses, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_records_round_trip, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_cut_record_falls_back_to_previous, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_record_in_the_wrong_place_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sequence_wraps, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_truncated_refused, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_trailing_bytes_refused,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_header_refusals, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
