/*
 * test_mschap.c - MS-CHAPv2 (RFC 2759): the hashes against the example
 * of section 9.2 and the DES keys of 9.3, the Response value parser,
 * the Success and Failure texts; the local users backend answering an
 * MS-CHAPv2 Response (auth.c); the RADIUS side: MS-CHAP2-Success and
 * MS-CHAP-Error in an Access-Accept/Reject (RFC 2548 2.3.3, 2.1.5).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "unit.h"

#include "l2tpns.h"
#include "auth.h"
#include "log.h"
#include "mschap.h"
#include "radius.h"
#include "../radius_pkt.h"

/* Exactly n octets from hex string s (spaces allowed). */
static void
hex(const char *s, uint8_t *out, size_t n)
{
	assert_int_equal(unit_unhex(s, out, n), n);
}

/* RFC 2759 9.2 */
static const char *USER = "User";
static const char *PASS = "clientPass";
static const char *AUTH_CHAL = "5B 5D 7C 7D 7B 3F 2F 3E 3C 2C 60 21 32 26 26 28";
static const char *PEER_CHAL = "21 40 23 24 25 5E 26 2A 28 29 5F 2B 3A 33 7C 7E";
static const char *PW_HASH = "44 EB BA 8D 53 12 B8 D6 11 47 44 11 F5 69 89 AE";
static const char *NT_RESP = "82 30 9E CD 8D 70 8B 5E A0 8F AA 39 81 CD 83 54 "
    "42 33 11 4A 3D 85 D6 DF";
static const char *AUTH_RESP = "S=407A5589115FD0D6209F510FE9C04566932CDA56";

static void
test_rfc2759_9_2(void **state)
{
	uint8_t ac[16], pc[16], ph[16], want_ph[16], nt[24], want_nt[24];
	char ar[MSCHAP2_AUTH_LEN + 1];

	(void)state;
	hex(AUTH_CHAL, ac, 16);
	hex(PEER_CHAL, pc, 16);
	hex(PW_HASH, want_ph, 16);
	hex(NT_RESP, want_nt, 24);
	mschap2_nt_hash((const uint8_t *)PASS, strlen(PASS), ph);
	assert_memory_equal(ph, want_ph, 16);
	mschap2_nt_response(ac, pc, USER, ph, nt);
	assert_memory_equal(nt, want_nt, 24);
	mschap2_auth_response(ph, nt, pc, ac, USER, ar);
	assert_string_equal(ar, AUTH_RESP);
	assert_true(mschap2_auth_string_ok(ar, strlen(ar)));
	/* The domain is not part of the hashed name (4, 8.2). */
	assert_string_equal(mschap2_user("BIGCO\\User"), "User");
	assert_string_equal(mschap2_user("User"), "User");
	mschap2_nt_response(ac, pc, mschap2_user("BIGCO\\User"), ph, nt);
	assert_memory_equal(nt, want_nt, 24);
	/* Another password or challenge gives another response. */
	mschap2_nt_hash((const uint8_t *)"clientPasS", 10, ph);
	mschap2_nt_response(ac, pc, USER, ph, nt);
	assert_memory_not_equal(nt, want_nt, 24);
}

/* RFC 2759 9.3: password "MyPw", its hash and the two DES keys. */
static void
test_rfc2759_9_3_des_keys(void **state)
{
	uint8_t ph[16], want[16], k[8], wk[8];

	(void)state;
	hex("FC 15 6A F7 ED CD 6C 0E DD E3 33 7D 42 7F 4E AC", want, 16);
	mschap2_nt_hash((const uint8_t *)"MyPw", 4, ph);
	assert_memory_equal(ph, want, 16);
	mschap2_des_key(ph, k);
	hex("FD 0B 5B 5E 7F 6E 34 D9", wk, 8);
	assert_memory_equal(k, wk, 8);
	mschap2_des_key(ph + 7, k);
	hex("0E 6E 79 67 37 EA 08 FE", wk, 8);
	assert_memory_equal(k, wk, 8);
}

/* UTF-8 passwords hash as UTF-16LE: "é" is U+00E9 = E9 00. */
static void
test_nt_hash_unicode(void **state)
{
	uint8_t a[16], b[16];

	(void)state;
	mschap2_nt_hash((const uint8_t *)"\xc3\xa9", 2, a);
	/* an invalid octet counts as itself: E9 alone is the same char */
	mschap2_nt_hash((const uint8_t *)"\xe9", 1, b);
	assert_memory_equal(a, b, 16);
	mschap2_nt_hash((const uint8_t *)"\xc3\xa8", 2, b);
	assert_memory_not_equal(a, b, 16);
}

static void
test_parse_response(void **state)
{
	uint8_t v[MSCHAP2_RESP_LEN + 1];
	struct mschap2_resp r;

	(void)state;
	memset(v, 0, sizeof(v));
	hex(PEER_CHAL, v, 16);
	hex(NT_RESP, v + 24, 24);
	assert_int_equal(mschap2_parse_response(v, MSCHAP2_RESP_LEN, &r), 0);
	assert_memory_equal(r.peer_chal, v, 16);
	assert_memory_equal(r.nt_resp, v + 24, 24);
	assert_int_equal(r.flags, 0);
	/* wrong lengths */
	assert_int_equal(mschap2_parse_response(v, 48, &r), -1);
	assert_int_equal(mschap2_parse_response(v, 50, &r), -1);
	assert_int_equal(mschap2_parse_response(v, 16, &r), -1);
	/* Reserved and Flags MUST be zero (4) */
	v[16] = 1;
	assert_int_equal(mschap2_parse_response(v, MSCHAP2_RESP_LEN, &r), -1);
	v[16] = 0;
	v[48] = 1;
	assert_int_equal(mschap2_parse_response(v, MSCHAP2_RESP_LEN, &r), -1);
}

static void
test_texts(void **state)
{
	uint8_t c[16];
	char out[200];

	(void)state;
	assert_true(mschap2_auth_string_ok(AUTH_RESP, 42));
	assert_true(mschap2_auth_string_ok(
	    "S=407A5589115FD0D6209F510FE9C04566932CDA56 M=hi", 47));
	assert_false(mschap2_auth_string_ok(AUTH_RESP, 41));
	assert_false(mschap2_auth_string_ok(
	    "S=407a5589115FD0D6209F510FE9C04566932CDA56", 42));	/* 5 */
	assert_false(mschap2_auth_string_ok(
	    "T=407A5589115FD0D6209F510FE9C04566932CDA56", 42));
	assert_false(mschap2_auth_string_ok(
	    "S=407A5589115FD0D6209F510FE9C04566932CDA56X", 43));
	assert_false(mschap2_auth_string_ok("", 0));
	hex(AUTH_CHAL, c, 16);
	mschap2_failure(691, c, "Authentication failed", out, sizeof(out));
	assert_string_equal(out, "E=691 R=0 C=5B5D7C7D7B3F2F3E3C2C602132262628 "
	    "V=3 M=Authentication failed");
}

/* ---- the local users backend (auth.c) ---- */

static void
response(struct auth_req *rq, const char *user, const char *pw)
{
	uint8_t ph[16];

	memset(rq, 0, sizeof(*rq));
	rq->proto = PPP_CHAP;
	rq->chap_alg = CHAP_ALG_MSCHAPV2;
	rq->chap_id = 7;
	snprintf(rq->user, sizeof(rq->user), "%s", user);
	hex(AUTH_CHAL, rq->challenge, 16);
	rq->challenge_len = 16;
	hex(PEER_CHAL, rq->ms_peer_chal, 16);
	mschap2_nt_hash((const uint8_t *)pw, strlen(pw), ph);
	mschap2_nt_response(rq->challenge, rq->ms_peer_chal,
	    mschap2_user(user), ph, rq->ms_nt_resp);
}

static void
test_local_users(void **state)
{
	char path[] = "/tmp/test_mschap_users.XXXXXX";
	struct auth_req rq;
	struct auth_reply rp;
	FILE *f;
	int fd;

	(void)state;
	assert_true((fd = mkstemp(path)) >= 0);
	assert_non_null(f = fdopen(fd, "w"));
	fprintf(f, "User clientPass 192.0.2.7\nbob \"two words\"\n");
	fclose(f);
	assert_int_equal(local_auth_load(path, NULL, NULL), 0);
	unlink(path);

	response(&rq, "User", "clientPass");
	local_auth_check(&rq, &rp);
	assert_int_equal(rp.ok, 1);
	assert_string_equal(rp.ms_success, AUTH_RESP);	/* the 9.2 value */
	assert_int_equal(rp.ip, htonl(0xc0000207));

	response(&rq, "User", "clientpass");
	local_auth_check(&rq, &rp);
	assert_int_equal(rp.ok, 0);
	assert_string_equal(rp.ms_success, "");

	response(&rq, "bob", "two words");
	local_auth_check(&rq, &rp);
	assert_int_equal(rp.ok, 1);
	assert_true(mschap2_auth_string_ok(rp.ms_success,
	    strlen(rp.ms_success)));

	response(&rq, "nobody", "clientPass");
	local_auth_check(&rq, &rp);
	assert_int_equal(rp.ok, 0);

	/* CHAP-MD5 on the same file still works (chap_alg 0 = MD5). */
	memset(&rq, 0, sizeof(rq));
	rq.proto = PPP_CHAP;
	rq.chap_id = 3;
	snprintf(rq.user, sizeof(rq.user), "User");
	rq.challenge_len = 16;
	chap_md5(3, (const uint8_t *)"clientPass", 10, rq.challenge, 16,
	    rq.response);
	local_auth_check(&rq, &rp);
	assert_int_equal(rp.ok, 1);
	assert_string_equal(rp.ms_success, "");
}

/* ---- RADIUS: the Microsoft attributes of a reply ---- */

static size_t
reply(uint8_t *pkt, uint8_t code, const uint8_t *attrs, size_t n)
{
	return radius_pkt(pkt, code, 0, attrs, n);
}

/* Vendor-Specific 311, one sub-attribute: Ident then text. */
static size_t
ms_attr(uint8_t *a, uint8_t vt, uint8_t ident, const char *text)
{
	size_t n = strlen(text);

	a[0] = RA_VENDOR_SPECIFIC;
	a[1] = (uint8_t)(2 + 4 + 2 + 1 + n);
	a[2] = 0; a[3] = 0; a[4] = 0x01; a[5] = 0x37;	/* 311 */
	a[6] = vt;
	a[7] = (uint8_t)(2 + 1 + n);
	a[8] = ident;
	memcpy(a + 9, text, n);
	return a[1];
}

static void
test_radius_ms_attributes(void **state)
{
	uint8_t a[600], pkt[700];
	struct auth_reply rp;
	size_t n;

	(void)state;
	n = ms_attr(a, MS_CHAP2_SUCCESS, 7, AUTH_RESP);
	memset(&rp, 0, sizeof(rp));
	assert_int_equal(radius_parse_reply(pkt, reply(pkt, RAD_ACCESS_ACCEPT,
	    a, n), &rp), RAD_OK);
	assert_string_equal(rp.ms_success, AUTH_RESP);

	n = ms_attr(a, MS_CHAP_ERROR, 7, "E=691 R=1 C=00112233445566778899"
	    "AABBCCDDEEFF V=3");
	memset(&rp, 0, sizeof(rp));
	assert_int_equal(radius_parse_reply(pkt, reply(pkt, RAD_ACCESS_REJECT,
	    a, n), &rp), RAD_OK);
	assert_string_equal(rp.ms_error, "E=691 R=1 C=00112233445566778899"
	    "AABBCCDDEEFF V=3");

	/* A Success that is no authenticator response is malformed. */
	n = ms_attr(a, MS_CHAP2_SUCCESS, 7, "S=nothex");
	memset(&rp, 0, sizeof(rp));
	assert_int_equal(radius_parse_reply(pkt, reply(pkt, RAD_ACCESS_ACCEPT,
	    a, n), &rp), RAD_E_VALUE);
	/* Ident alone */
	n = ms_attr(a, MS_CHAP2_SUCCESS, 7, "");
	memset(&rp, 0, sizeof(rp));
	assert_int_equal(radius_parse_reply(pkt, reply(pkt, RAD_ACCESS_ACCEPT,
	    a, n), &rp), RAD_E_VALUE);
	/* A NUL inside the text */
	n = ms_attr(a, MS_CHAP_ERROR, 7, "E=691 R=0");
	a[12] = '\0';
	memset(&rp, 0, sizeof(rp));
	assert_int_equal(radius_parse_reply(pkt, reply(pkt, RAD_ACCESS_REJECT,
	    a, n), &rp), RAD_E_VALUE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc2759_9_2),
		cmocka_unit_test(test_rfc2759_9_3_des_keys),
		cmocka_unit_test(test_nt_hash_unicode),
		cmocka_unit_test(test_parse_response),
		cmocka_unit_test(test_texts),
		cmocka_unit_test(test_local_users),
		cmocka_unit_test(test_radius_ms_attributes),
	};

	log_level = -1;
	config = calloc(1, sizeof(*config));
	stats = calloc(1, sizeof(*stats));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
