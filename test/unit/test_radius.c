/*
 * test_radius.c - the RADIUS codec of radius.c: HMAC-MD5 (RFC 2104
 * vectors), User-Password hiding and the authenticators (the RFC 2865
 * section 7 examples, and values computed here from the RFC formulas
 * with MD5 directly), the layout checks, the Access-Accept attributes,
 * and the DAE input path (Disconnect/CoA) on a table of sessions.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <md5.h>
#include <cmocka.h>

#include "unit.h"

#include "l2tpns.h"
#include "auth.h"
#include "event.h"
#include "log.h"
#include "radius.h"
#include "unit_daemon.h"
#include "../radius_pkt.h"


static const char *SECRET = "xyzzy5461";	/* the RFC 2865 7 examples' */

/* Exactly n octets from hex string s (spaces allowed). */
static void
hex(const char *s, uint8_t *out, size_t n)
{
	assert_int_equal(unit_unhex(s, out, n), n);
}

/* ---- HMAC-MD5 (RFC 2104 appendix; RFC 2202 2) ---- */

static void
test_hmac_md5_vectors(void **state)
{
	uint8_t key[80], data[64], mac[16], want[16];

	(void)state;
	memset(key, 0x0b, 16);
	radius_hmac_md5(key, 16, (const uint8_t *)"Hi There", 8, mac);
	hex("9294727a3638bb1c13f48ef8158bfc9d", want, 16);
	assert_memory_equal(mac, want, 16);

	radius_hmac_md5((const uint8_t *)"Jefe", 4,
	    (const uint8_t *)"what do ya want for nothing?", 28, mac);
	hex("750c783e6ab0b503eaa86e310a5db738", want, 16);
	assert_memory_equal(mac, want, 16);

	memset(key, 0xaa, 16);
	memset(data, 0xdd, 50);
	radius_hmac_md5(key, 16, data, 50, mac);
	hex("56be34521d144c88dbb8c733f0e8b3f6", want, 16);
	assert_memory_equal(mac, want, 16);

	/* a key longer than the block is hashed first */
	memset(key, 0xaa, 80);
	radius_hmac_md5(key, 80, (const uint8_t *)"Test Using Larger Than "
	    "Block-Size Key - Hash Key First", 54, mac);
	hex("6b1ab7fe4bd7bf8f0b62e6ce61b9d0cd", want, 16);
	assert_memory_equal(mac, want, 16);
}

/* ---- User-Password, RFC 2865 5.2 ---- */

static void
test_hide_password_rfc_7_1(void **state)
{
	uint8_t ra[16], out[128], want[16];

	(void)state;
	hex("0f403f9473978057bd83d5cb98f4227a", ra, 16);
	assert_int_equal(radius_hide_password((const uint8_t *)"arctangent",
	    10, SECRET, ra, out), 16);
	hex("0dbe708d93d413ce3196e43f782a0aee", want, 16);
	assert_memory_equal(out, want, 16);
}

/* Two blocks: c2 = p2 xor MD5(S + c1), computed here independently. */
static void
test_hide_password_two_blocks_and_limits(void **state)
{
	const char *pw = "a-password-of-23-octets";
	uint8_t ra[16], out[128], b[16], want[32];
	MD5_CTX ctx;
	int i;

	(void)state;
	for (i = 0; i < 16; i++)
		ra[i] = (uint8_t)(i * 7 + 1);
	assert_int_equal(radius_hide_password((const uint8_t *)pw, 23,
	    "s3cret", ra, out), 32);
	memset(want, 0, sizeof(want));
	memcpy(want, pw, 23);
	MD5Init(&ctx);
	MD5Update(&ctx, (const uint8_t *)"s3cret", 6);
	MD5Update(&ctx, ra, 16);
	MD5Final(b, &ctx);
	for (i = 0; i < 16; i++)
		want[i] ^= b[i];
	MD5Init(&ctx);
	MD5Update(&ctx, (const uint8_t *)"s3cret", 6);
	MD5Update(&ctx, want, 16);
	MD5Final(b, &ctx);
	for (i = 0; i < 16; i++)
		want[16 + i] ^= b[i];
	assert_memory_equal(out, want, 32);
	/* empty: one block of padding; over 128 octets: refused */
	assert_int_equal(radius_hide_password(NULL, 0, "s", ra, out), 16);
	assert_int_equal(radius_hide_password((const uint8_t *)pw, 129, "s",
	    ra, out), 0);
	assert_int_equal(radius_hide_password((const uint8_t *)
	    "0123456789012345678901234567890123456789012345678901234567890123"
	    "0123456789012345678901234567890123456789012345678901234567890123",
	    128, "s", ra, out), 128);
}

/* ---- Response Authenticator: the RFC 2865 7.1 and 7.2 replies ---- */

static const char *req71 =
    "01 00 00 38 0f 40 3f 94 73 97 80 57 bd 83 d5 cb 98 f4 22 7a 01 06 6e 65"
    "6d 6f 02 12 0d be 70 8d 93 d4 13 ce 31 96 e4 3f 78 2a 0a ee 04 06 c0 a8"
    "01 10 05 06 00 00 00 03";
static const char *acc71 =
    "02 00 00 26 86 fe 22 0e 76 24 ba 2a 10 05 f6 bf 9b 55 e0 b2 06 06 00 00"
    "00 01 0f 06 00 00 00 00 0e 06 c0 a8 01 03";
static const char *req72 =
    "01 01 00 47 2a ee 86 f0 8d 0d 55 96 9c a5 97 8e 0d 33 67 a2 01 08 66 6c"
    "6f 70 73 79 03 13 16 e9 75 57 c3 16 18 58 95 f2 93 ff 63 44 07 72 75 04"
    "06 c0 a8 01 10 05 06 00 00 00 14 06 06 00 00 00 02 07 06 00 00 00 01";
static const char *acc72 =
    "02 01 00 38 15 ef bc 7d ab 26 cf a3 dc 34 d9 c0 3c 86 01 a4 06 06 00 00"
    "00 02 07 06 00 00 00 01 08 06 ff ff ff fe 0a 06 00 00 00 02 0d 06 00 00"
    "00 01 0c 06 00 00 05 dc";

static void
test_response_authenticator_rfc_examples(void **state)
{
	uint8_t rq[0x47], ac[0x38];
	size_t len;

	(void)state;
	hex(req71, rq, 0x38);
	hex(acc71, ac, 0x26);
	assert_int_equal(radius_check_layout(rq, 0x38, &len), RAD_OK);
	assert_int_equal(len, 0x38);
	assert_int_equal(radius_check_layout(ac, 0x26, &len), RAD_OK);
	assert_int_equal(radius_verify_response(ac, 0x26, rq + 4, SECRET),
	    RAD_OK);
	assert_int_equal(radius_verify_response(ac, 0x26, rq + 4, "xyzzy5460"),
	    RAD_E_AUTH);
	ac[0x25] ^= 1;	/* Login-IP-Host changed */
	assert_int_equal(radius_verify_response(ac, 0x26, rq + 4, SECRET),
	    RAD_E_AUTH);

	hex(req72, rq, 0x47);
	hex(acc72, ac, 0x38);
	assert_int_equal(radius_verify_response(ac, 0x38, rq + 4, SECRET),
	    RAD_OK);
	/* the reply to another request does not verify */
	hex(req71, rq, 0x38);
	assert_int_equal(radius_verify_response(ac, 0x38, rq + 4, SECRET),
	    RAD_E_AUTH);
}

/* A reply with attrs, a Response Authenticator over ra and, if
 * `with_ma`, a Message-Authenticator (RFC 2869 5.14). */
static size_t
make_reply(uint8_t *pkt, uint8_t code, uint8_t id, const uint8_t ra[16],
    const uint8_t *attrs, size_t alen, int with_ma, const char *secret)
{
	size_t len = 20 + alen + (with_ma ? 18 : 0), off = 20 + alen;

	pkt[0] = code;
	pkt[1] = id;
	pkt[2] = (uint8_t)(len >> 8);
	pkt[3] = (uint8_t)len;
	memcpy(pkt + 4, ra, 16);
	if (alen > 0)
		memcpy(pkt + 20, attrs, alen);
	if (with_ma) {
		pkt[off] = RA_MESSAGE_AUTHENTICATOR;
		pkt[off + 1] = 18;
		memset(pkt + off + 2, 0, 16);
		radius_hmac_md5((const uint8_t *)secret, strlen(secret), pkt,
		    len, pkt + off + 2);
	}
	radius_pkt_auth(pkt, len, ra, secret, pkt + 4);
	return len;
}

static void
test_message_authenticator_in_reply(void **state)
{
	static const uint8_t ra[16] = { 9, 8, 7, 6, 5, 4, 3, 2, 1 };
	static const uint8_t attrs[] = { 27, 6, 0, 0, 0, 60 };
	uint8_t pkt[128];
	size_t len;

	(void)state;
	len = make_reply(pkt, 2, 3, ra, attrs, sizeof(attrs), 1, "k");
	assert_int_equal(radius_verify_response(pkt, len, ra, "k"), RAD_OK);
	/* a MAC made with a zero authenticator does not verify: redo the
	 * Response Authenticator only */
	len = make_reply(pkt, 2, 3, (const uint8_t[16]){ 0 }, attrs,
	    sizeof(attrs), 1, "k");
	radius_pkt_auth(pkt, len, ra, "k", pkt + 4);
	assert_int_equal(radius_verify_response(pkt, len, ra, "k"),
	    RAD_E_MSGAUTH);
}

static void
test_request_authenticator_sign_verify(void **state)
{
	uint8_t pkt[64], want[16];
	size_t len = 20 + 6 + 18;

	(void)state;
	memset(pkt, 0, sizeof(pkt));
	pkt[0] = RAD_ACCT_REQUEST;
	pkt[1] = 42;
	pkt[3] = (uint8_t)len;
	pkt[20] = RA_ACCT_STATUS_TYPE;
	pkt[21] = 6;
	pkt[25] = 1;
	pkt[26] = RA_MESSAGE_AUTHENTICATOR;
	pkt[27] = 18;
	radius_sign_request(pkt, len, "abc");
	/* RFC 2866 3, computed here: MD5(hdr + 16 zeros + attrs + secret) */
	radius_pkt_auth(pkt, len, (const uint8_t[16]){ 0 }, "abc", want);
	assert_memory_equal(pkt + 4, want, 16);
	assert_int_equal(radius_verify_request(pkt, len, "abc"), RAD_OK);
	assert_int_equal(radius_verify_request(pkt, len, "abd"), RAD_E_AUTH);
	/* the MAC covers the attributes: change one, keep the MD5 right */
	pkt[25] = 2;
	radius_pkt_auth(pkt, len, (const uint8_t[16]){ 0 }, "abc", pkt + 4);
	assert_int_equal(radius_verify_request(pkt, len, "abc"),
	    RAD_E_MSGAUTH);
}

/* ---- layout ---- */

static void
test_layout_errors(void **state)
{
	uint8_t p[64];
	size_t len;

	(void)state;
	memset(p, 0, sizeof(p));
	p[0] = 2;
	p[3] = 20;
	assert_int_equal(radius_check_layout(p, 19, &len), RAD_E_SHORT);
	assert_int_equal(radius_check_layout(p, 20, &len), RAD_OK);
	/* padding after Length is ignored */
	assert_int_equal(radius_check_layout(p, 64, &len), RAD_OK);
	assert_int_equal(len, 20);
	p[3] = 19;
	assert_int_equal(radius_check_layout(p, 64, &len), RAD_E_LENGTH);
	p[2] = 0x10;
	p[3] = 1;		/* 4097 */
	assert_int_equal(radius_check_layout(p, 64, &len), RAD_E_LENGTH);
	p[2] = 0;
	p[3] = 30;		/* longer than the datagram */
	assert_int_equal(radius_check_layout(p, 25, &len), RAD_E_SHORT);
	/* attribute lengths 0, 1, and past the end */
	p[3] = 24;
	p[20] = 1;
	p[21] = 0;
	assert_int_equal(radius_check_layout(p, 24, &len), RAD_E_ATTR);
	p[21] = 1;
	assert_int_equal(radius_check_layout(p, 24, &len), RAD_E_ATTR);
	p[21] = 5;
	assert_int_equal(radius_check_layout(p, 24, &len), RAD_E_ATTR);
	p[21] = 4;
	assert_int_equal(radius_check_layout(p, 24, &len), RAD_OK);
	p[21] = 2;	/* then a lone type octet */
	assert_int_equal(radius_check_layout(p, 24, &len), RAD_E_ATTR);
}

/* ---- Access-Accept attributes ---- */

static size_t
put(uint8_t *p, uint8_t type, const void *v, size_t n)
{
	p[0] = type;
	p[1] = (uint8_t)(n + 2);
	memcpy(p + 2, v, n);
	return n + 2;
}

static size_t
put32(uint8_t *p, uint8_t type, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16),
	    (uint8_t)(v >> 8), (uint8_t)v };

	return put(p, type, b, 4);
}

static size_t
vsa(uint8_t *p, uint32_t vendor, uint8_t vt, const void *v, size_t n)
{
	uint8_t b[253];

	b[0] = (uint8_t)(vendor >> 24);
	b[1] = (uint8_t)(vendor >> 16);
	b[2] = (uint8_t)(vendor >> 8);
	b[3] = (uint8_t)vendor;
	b[4] = vt;
	b[5] = (uint8_t)(n + 2);
	memcpy(b + 6, v, n);
	return put(p, RA_VENDOR_SPECIFIC, b, n + 6);
}

static size_t
accept_with(uint8_t *pkt, const uint8_t *attrs, size_t alen)
{
	return radius_pkt(pkt, RAD_ACCESS_ACCEPT, 0, attrs, alen);
}

static void
test_parse_accept(void **state)
{
	uint8_t a[1024], pkt[1100], v6[18];
	struct auth_reply rp;
	size_t n = 0, len;
	in_addr_t ip = inet_addr("192.0.2.7"), dns = inet_addr("192.0.2.53"),
	    dns2 = inet_addr("192.0.2.54");
	char s6[INET6_ADDRSTRLEN];

	(void)state;
	n += put(a + n, RA_FRAMED_IP_ADDRESS, &ip, 4);
	n += put32(a + n, RA_SESSION_TIMEOUT, 3600);
	n += put32(a + n, RA_IDLE_TIMEOUT, 600);
	n += put32(a + n, RA_ACCT_INTERIM_INTERVAL, 300);
	n += put(a + n, RA_CLASS, "one", 3);
	n += put(a + n, RA_CLASS, "two!", 4);
	n += put(a + n, RA_FILTER_ID, "web.in", 6);
	n += put(a + n, RA_FILTER_ID, "mail.out", 8);
	n += put(a + n, RA_FRAMED_ROUTE, "203.0.113.7/28 0.0.0.0 1", 24);
	n += put(a + n, RA_FRAMED_ROUTE, "10.1.2.3", 8);	/* class A */
	n += put(a + n, RA_REPLY_MESSAGE, "hello", 5);
	n += vsa(a + n, VENDOR_MICROSOFT, MS_PRIMARY_DNS_SERVER, &dns, 4);
	n += vsa(a + n, VENDOR_MICROSOFT, MS_SECONDARY_DNS_SERVER, &dns2, 4);
	n += vsa(a + n, VENDOR_CISCO, CISCO_AVPAIR, "throttle=512", 12);
	n += vsa(a + n, VENDOR_CISCO, CISCO_AVPAIR, "intercept", 9);
	n += vsa(a + n, 4242, 1, "other vendor", 12);
	v6[0] = 0;
	v6[1] = 56;
	inet_pton(AF_INET6, "2001:db8:1:2ff::", v6 + 2);
	n += put(a + n, RA_FRAMED_IPV6_PREFIX, v6, 2 + 8);
	v6[1] = 48;
	n += put(a + n, RA_DELEGATED_IPV6_PREFIX, v6, 18);
	n += put(a + n, 200, "unknown type", 12);
	len = accept_with(pkt, a, n);
	assert_int_equal(radius_check_layout(pkt, len, &len), RAD_OK);
	memset(&rp, 0, sizeof(rp));
	assert_int_equal(radius_parse_reply(pkt, len, &rp), RAD_OK);
	assert_int_equal(rp.ip, ip);
	assert_int_equal(rp.session_timeout, 3600);
	assert_true(rp.has_session_timeout);
	assert_int_equal(rp.idle_timeout, 600);
	assert_int_equal(rp.interim, 300);
	assert_int_equal(rp.class_len, 5 + 6);
	assert_memory_equal(rp.class, "\x19\x05one\x19\x06two!", 11);
	assert_string_equal(rp.filter_in, "web");
	assert_string_equal(rp.filter_out, "mail");
	assert_int_equal(rp.nroutes, 2);
	assert_int_equal(rp.route[0].net, inet_addr("203.0.113.0"));
	assert_int_equal(rp.route[0].plen, 28);
	assert_int_equal(rp.route[1].net, inet_addr("10.0.0.0"));
	assert_int_equal(rp.route[1].plen, 8);
	assert_string_equal(rp.msg, "hello");
	assert_int_equal(rp.dns1, dns);
	assert_int_equal(rp.dns2, dns2);
	assert_int_equal(rp.navpairs, 2);
	assert_string_equal(rp.avpair[0].key, "throttle");
	assert_string_equal(rp.avpair[0].value, "512");
	assert_string_equal(rp.avpair[1].key, "intercept");
	assert_string_equal(rp.avpair[1].value, "");
	assert_int_equal(rp.ipv6_prefix_len, 56);
	inet_ntop(AF_INET6, &rp.ipv6_prefix, s6, sizeof(s6));
	assert_string_equal(s6, "2001:db8:1:200::");	/* bits past 56 cleared */
	assert_int_equal(rp.delegated_len, 48);
	inet_ntop(AF_INET6, &rp.delegated_prefix, s6, sizeof(s6));
	assert_string_equal(s6, "2001:db8:1::");
}

static void
test_parse_accept_bad_values(void **state)
{
	uint8_t a[64], pkt[128], v6[4] = { 0, 129, 0x20, 0x01 };
	struct auth_reply rp;
	size_t n, len;
	in_addr_t any = htonl(0xfffffffe);

	(void)state;
	/* 255.255.255.254: the pool (RFC 2865 5.8) */
	n = put(a, RA_FRAMED_IP_ADDRESS, &any, 4);
	len = accept_with(pkt, a, n);
	memset(&rp, 0, sizeof(rp));
	assert_int_equal(radius_parse_reply(pkt, len, &rp), RAD_OK);
	assert_int_equal(rp.ip, 0);
	/* a Framed-IP-Address of 5 octets, a Session-Timeout of 3 */
	n = put(a, RA_FRAMED_IP_ADDRESS, "\1\2\3\4\5", 5);
	len = accept_with(pkt, a, n);
	assert_int_equal(radius_parse_reply(pkt, len, &rp), RAD_E_VALUE);
	n = put(a, RA_SESSION_TIMEOUT, "\1\2\3", 3);
	len = accept_with(pkt, a, n);
	assert_int_equal(radius_parse_reply(pkt, len, &rp), RAD_E_VALUE);
	/* IPv6 prefix length 129, or fewer octets than it needs */
	n = put(a, RA_FRAMED_IPV6_PREFIX, v6, 4);
	len = accept_with(pkt, a, n);
	assert_int_equal(radius_parse_reply(pkt, len, &rp), RAD_E_VALUE);
	v6[1] = 64;
	len = accept_with(pkt, a, put(a, RA_FRAMED_IPV6_PREFIX, v6, 4));
	assert_int_equal(radius_parse_reply(pkt, len, &rp), RAD_E_VALUE);
	/* an MS DNS server of 3 octets; a Cisco-AVPair with a NUL */
	len = accept_with(pkt, a, vsa(a, VENDOR_MICROSOFT,
	    MS_PRIMARY_DNS_SERVER, "\1\2\3", 3));
	assert_int_equal(radius_parse_reply(pkt, len, &rp), RAD_E_VALUE);
	len = accept_with(pkt, a, vsa(a, VENDOR_CISCO, CISCO_AVPAIR,
	    "a=b\0c", 5));
	assert_int_equal(radius_parse_reply(pkt, len, &rp), RAD_E_VALUE);
	/* a Framed-Route we cannot read is skipped, not fatal */
	memset(&rp, 0, sizeof(rp));
	len = accept_with(pkt, a, put(a, RA_FRAMED_ROUTE, "1.2.3.4/33", 10));
	assert_int_equal(radius_parse_reply(pkt, len, &rp), RAD_OK);
	assert_int_equal(rp.nroutes, 0);
}

/*
 * RFC 2868: tagged tunnel attributes grouped by tag, and Tunnel-Password
 * (3.5) decrypted.  The encrypted values were computed by an
 * independent implementation of 3.5 (Python hashlib) with secret
 * "s3cret" and the Request Authenticator 00 01 .. 0f.
 */
static void
test_tunnel_attributes(void **state)
{
	static const uint8_t ra[16] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
	    12, 13, 14, 15 };
	static const uint8_t pw1[] = "\x01\x81\x23\xce\x3b\x8d\xe9\x89\xdf"
	    "\x01\xba\xdd\x57\x3c\xea\xf5\x43\x32\xda";
	static const uint8_t pw2[] = "\x02\xc0\x01\x89\x74\x31\x3c\xfb\xa3"
	    "\xde\xb9\x1d\x84\x7e\x5c\x3b\xeb\x8b\x3d\xf3\x96\x27\x32\xe8"
	    "\xba\x31\x25\x54\xc5\x07\xb8\xb6\xc1\xf8\x6d";
	uint8_t a[300], pkt[400], bad[sizeof(pw1)];
	struct auth_reply rp;
	char out[64];
	size_t n = 0, len;

	(void)state;
	n += put(a + n, RA_TUNNEL_TYPE, "\x01\x00\x00\x03", 4);
	n += put(a + n, RA_TUNNEL_MEDIUM_TYPE, "\x01\x00\x00\x01", 4);
	n += put(a + n, RA_TUNNEL_SERVER_ENDPOINT, "\x01" "192.0.2.9", 10);
	n += put(a + n, RA_TUNNEL_PASSWORD, pw1, sizeof(pw1) - 1);
	n += put(a + n, RA_TUNNEL_ASSIGNMENT_ID, "\x01" "lns-a", 6);
	n += put(a + n, RA_TUNNEL_PREFERENCE, "\x01\x00\x00\x07", 4);
	/* tag 2; an untagged string ("1..." > 0x1f) is tag 0 */
	n += put(a + n, RA_TUNNEL_TYPE, "\x02\x00\x00\x03", 4);
	n += put(a + n, RA_TUNNEL_MEDIUM_TYPE, "\x02\x00\x00\x01", 4);
	n += put(a + n, RA_TUNNEL_SERVER_ENDPOINT, "\x02" "198.51.100.7:1702",
	    18);
	n += put(a + n, RA_TUNNEL_PASSWORD, pw2, sizeof(pw2) - 1);
	n += put(a + n, RA_TUNNEL_CLIENT_AUTH_ID, "\x02" "relay", 6);
	n += put(a + n, RA_TUNNEL_PREFERENCE, "\x02\x00\x00\x02", 4);
	n += put(a + n, RA_TUNNEL_SERVER_ENDPOINT, "10.0.0.1", 8);
	len = accept_with(pkt, a, n);
	memset(&rp, 0, sizeof(rp));
	assert_int_equal(radius_parse_reply(pkt, len, &rp), RAD_OK);
	radius_tunnel_passwords(&rp, "s3cret", ra);
	assert_int_equal(rp.ntunnels, 3);
	assert_int_equal(rp.tunnel[0].tag, 1);
	assert_int_equal(rp.tunnel[0].type, 3);
	assert_int_equal(rp.tunnel[0].medium, 1);
	assert_int_equal(rp.tunnel[0].endpoint, inet_addr("192.0.2.9"));
	assert_int_equal(rp.tunnel[0].port, 0);
	assert_true(rp.tunnel[0].has_password);
	assert_string_equal(rp.tunnel[0].password, "tunnel-pw");
	assert_string_equal(rp.tunnel[0].assignment, "lns-a");
	assert_int_equal(rp.tunnel[0].preference, 7);
	assert_int_equal(rp.tunnel[1].tag, 2);
	assert_int_equal(rp.tunnel[1].endpoint, inet_addr("198.51.100.7"));
	assert_int_equal(rp.tunnel[1].port, 1702);
	assert_string_equal(rp.tunnel[1].password, "a-longer-tunnel-password");
	assert_string_equal(rp.tunnel[1].client_auth, "relay");
	assert_int_equal(rp.tunnel[1].preference, 2);
	assert_int_equal(rp.tunnel[2].tag, 0);
	assert_int_equal(rp.tunnel[2].endpoint, inet_addr("10.0.0.1"));
	assert_int_equal(rp.tunnel[0].pw_enc_len, 0);	/* wiped */

	/* The wrong secret or authenticator: a bad Data-Length, refused. */
	assert_true(radius_tunnel_password(pw1 + 1, sizeof(pw1) - 2, "other",
	    ra, out, sizeof(out)) < 0 || strcmp(out, "tunnel-pw") != 0);
	assert_int_equal(radius_tunnel_password(pw1 + 1, sizeof(pw1) - 2,
	    "s3cret", ra, out, sizeof(out)), 9);
	assert_string_equal(out, "tunnel-pw");
	/* salt without its high bit, a length not 2 + 16k, too small out */
	memcpy(bad, pw1, sizeof(pw1));
	bad[1] &= 0x7f;
	assert_int_equal(radius_tunnel_password(bad + 1, sizeof(bad) - 2,
	    "s3cret", ra, out, sizeof(out)), -1);
	assert_int_equal(radius_tunnel_password(pw1 + 1, sizeof(pw1) - 3,
	    "s3cret", ra, out, sizeof(out)), -1);
	assert_int_equal(radius_tunnel_password(pw1 + 1, sizeof(pw1) - 2,
	    "s3cret", ra, out, 9), -1);
	/* malformed values make the Accept a reject (RFC 2865 5) */
	len = accept_with(pkt, a, put(a, RA_TUNNEL_TYPE, "\x20\x00\x00\x03",
	    4));
	assert_int_equal(radius_parse_reply(pkt, len, &rp), RAD_E_VALUE);
	len = accept_with(pkt, a, put(a, RA_TUNNEL_SERVER_ENDPOINT,
	    "\x01" "not-an-address", 15));
	assert_int_equal(radius_parse_reply(pkt, len, &rp), RAD_E_VALUE);
	len = accept_with(pkt, a, put(a, RA_TUNNEL_SERVER_ENDPOINT,
	    "\x01" "192.0.2.1:70000", 16));
	assert_int_equal(radius_parse_reply(pkt, len, &rp), RAD_E_VALUE);
	len = accept_with(pkt, a, put(a, RA_TUNNEL_PASSWORD, "\x01\x80", 2));
	assert_int_equal(radius_parse_reply(pkt, len, &rp), RAD_E_VALUE);
}

/* ---- the DAE input path ---- */

static struct sockaddr_in server = { .sin_family = AF_INET };
static sid_t alice;

static void
dae_setup(void)
{
	static int done;
	struct session *sp;

	if (done)
		return;
	done = 1;
	unit_globals();
	config->primary_radius = inet_addr("192.0.2.1");
	config->secondary_radius = inet_addr("192.0.2.2");
	snprintf(config->radius_secret, sizeof(config->radius_secret), "dae");
	snprintf(config->hostname, sizeof(config->hostname), "lns1");
	server.sin_addr.s_addr = config->primary_radius;
	server.sin_port = htons(40000);
	ev_update_time();
	assert_int_equal(ev_init(), 0);
	assert_int_equal(tables_init(8, 2), 0);
	assert_int_equal(ppp_init(8), 0);
	assert_int_equal(radius_init_state(8), 0);
	alice = unit_session_open("alice");
	sp = session_get(alice);
	sp->ip = inet_addr("198.51.100.9");
	radius_session_begin(alice, 1);
	sp->rate_in = sp->rate_out = 100;
}

/* User-Name and NAS-Port (the user index belongs to ppp.c's logins). */
static size_t
id_alice(uint8_t *a)
{
	size_t n = put(a, RA_USER_NAME, "alice", 5);

	return n + put32(a + n, RA_NAS_PORT, alice);
}

/* A signed request: code, id, attributes (RFC 3576 2.3). */
static size_t
dae_req(uint8_t *pkt, uint8_t code, uint8_t id, const uint8_t *attrs,
    size_t alen, const char *secret)
{
	size_t len = radius_pkt(pkt, code, id, attrs, alen);

	radius_sign_request(pkt, len, secret);
	return len;
}

/* The Error-Cause of an answer, 0 if none; checks its authenticator. */
static uint32_t
answer_check(const uint8_t *rep, size_t n, const uint8_t *req, uint8_t code)
{
	uint8_t want[16];
	size_t i;

	assert_true(n >= 20);
	assert_int_equal(rep[0], code);
	assert_int_equal(rep[1], req[1]);
	assert_int_equal((size_t)(rep[2] << 8 | rep[3]), n);
	radius_pkt_auth(rep, n, req + 4, "dae", want);
	assert_memory_equal(rep + 4, want, 16);
	for (i = 20; i + 6 <= n; i += rep[i + 1])
		if (rep[i] == RA_ERROR_CAUSE)
			return (uint32_t)rep[i + 4] << 8 | rep[i + 5];
	return 0;
}

/*
 * Request code/id with attributes a (n octets), signed with the shared
 * secret, from the server: its answer must be `want`; its Error-Cause.
 */
static uint32_t
dae_answer(uint8_t code, uint8_t id, const uint8_t *a, size_t n,
    uint8_t want)
{
	uint8_t pkt[300], rep[600];
	size_t len = dae_req(pkt, code, id, a, n, "dae");
	size_t out = radius_dae_input(pkt, len, &server, rep, sizeof(rep));

	return answer_check(rep, out, pkt, want);
}

static void
test_dae_coa_and_naks(void **state)
{
	static const struct {
		const char	*what;
		int		 alice;	/* her User-Name and NAS-Port first */
		uint8_t		 type;	/* then this attribute: */
		uint32_t	 num;	/* a number, */
		const char	*str;	/* or this text */
		uint8_t		 code;
		uint32_t	 cause;
	} naks[] = {
		{ "unsupported attribute", 1, RA_FRAMED_MTU, 1400, NULL,
		    RAD_COA_REQUEST, EC_UNSUPPORTED_ATTRIBUTE },
		{ "Session-Timeout in a Disconnect-Request", 1,
		    RA_SESSION_TIMEOUT, 5, NULL, RAD_DISCONNECT_REQUEST,
		    EC_UNSUPPORTED_ATTRIBUTE },
		{ "unknown user", 0, RA_USER_NAME, 0, "bob",
		    RAD_DISCONNECT_REQUEST, EC_SESSION_NOT_FOUND },
		{ "mismatching identifiers", 1, RA_FRAMED_IP_ADDRESS, 0,
		    "\xc6\x33\x64\x0a", RAD_DISCONNECT_REQUEST,
		    EC_SESSION_NOT_FOUND },
		{ "no identifier at all", 0, RA_REPLY_MESSAGE, 0, "hi",
		    RAD_DISCONNECT_REQUEST, EC_MISSING_ATTRIBUTE },
		{ "NAS-Identifier not ours", 1, RA_NAS_IDENTIFIER, 0, "lns2",
		    RAD_DISCONNECT_REQUEST, EC_NAS_MISMATCH },
		{ "Service-Type Authorize Only", 1, RA_SERVICE_TYPE, 17, NULL,
		    RAD_DISCONNECT_REQUEST, EC_UNSUPPORTED_SERVICE },
	};
	uint8_t a[256], pkt[300], rep[600];
	struct session *sp;
	size_t n, len, out, i;
	struct sockaddr_in stranger = server;

	(void)state;
	dae_setup();
	sp = session_get(alice);
	/* CoA: Session-Timeout, Idle-Timeout, a rate */
	n = id_alice(a);
	n += put32(a + n, RA_SESSION_TIMEOUT, 77);
	n += put32(a + n, RA_IDLE_TIMEOUT, 33);
	n += vsa(a + n, VENDOR_CISCO, CISCO_AVPAIR, "throttle=64", 11);
	n += put(a + n, RA_PROXY_STATE, "ps", 2);
	len = dae_req(pkt, RAD_COA_REQUEST, 1, a, n, "dae");
	out = radius_dae_input(pkt, len, &server, rep, sizeof(rep));
	assert_int_equal(answer_check(rep, out, pkt, RAD_COA_ACK), 0);
	/* Proxy-State echoed */
	assert_int_equal(out, 20 + 4);
	assert_memory_equal(rep + 20, "\x21\x04ps", 4);
	assert_int_equal(sp->session_timeout, 77);
	assert_int_equal(sp->idle_timeout, 33);
	/* the rate is the autothrottle plugin's (test_radius.py) */
	/* the same request again: the same answer, counted */
	assert_int_equal(radius_dae_input(pkt, len, &server, rep,
	    sizeof(rep)), out);
	assert_int_equal(stats->dae_duplicates, 1);

	/* a bad rate: NAK 404, nothing changed (RFC 3576 2.3 atomic) */
	n = id_alice(a);
	n += put32(a + n, RA_SESSION_TIMEOUT, 5);
	n += vsa(a + n, VENDOR_CISCO, CISCO_AVPAIR, "throttle=fast", 13);
	assert_int_equal(dae_answer(RAD_COA_REQUEST, 2, a, n,
	    RAD_COA_NAK), EC_INVALID_REQUEST);
	assert_int_equal(sp->session_timeout, 77);
	/* the other refusals, each with its Error-Cause (RFC 5176 3.5) */
	for (i = 0; i < sizeof(naks) / sizeof(naks[0]); i++) {
		uint32_t cause;

		n = naks[i].alice ? id_alice(a) : 0;
		n += naks[i].str != NULL ? put(a + n, naks[i].type,
		    naks[i].str, strlen(naks[i].str)) :
		    put32(a + n, naks[i].type, naks[i].num);
		cause = dae_answer(naks[i].code, (uint8_t)(3 + i), a, n,
		    naks[i].code == RAD_COA_REQUEST ? RAD_COA_NAK :
		    RAD_DISCONNECT_NAK);
		if (cause != naks[i].cause)
			fail_msg("%s: Error-Cause %u, not %u", naks[i].what,
			    cause, naks[i].cause);
	}

	/* silently dropped: wrong secret, stranger, bad code, truncated,
	 * stale Event-Timestamp */
	n = id_alice(a);
	len = dae_req(pkt, RAD_DISCONNECT_REQUEST, 10, a, n, "other");
	assert_int_equal(radius_dae_input(pkt, len, &server, rep,
	    sizeof(rep)), 0);
	assert_int_equal(stats->dae_bad_auth, 1);
	len = dae_req(pkt, RAD_DISCONNECT_REQUEST, 11, a, n, "dae");
	stranger.sin_addr.s_addr = inet_addr("192.0.2.99");
	assert_int_equal(radius_dae_input(pkt, len, &stranger, rep,
	    sizeof(rep)), 0);
	assert_int_equal(stats->dae_bad_source, 1);
	assert_int_equal(radius_dae_input(pkt, len - 1, &server, rep,
	    sizeof(rep)), 0);
	len = dae_req(pkt, RAD_ACCESS_REQUEST, 12, a, n, "dae");
	assert_int_equal(radius_dae_input(pkt, len, &server, rep,
	    sizeof(rep)), 0);
	assert_int_equal(stats->dae_malformed, 2);
	n += put32(a + n, RA_EVENT_TIMESTAMP, (uint32_t)time_now - 1000);
	len = dae_req(pkt, RAD_DISCONNECT_REQUEST, 13, a, n, "dae");
	assert_int_equal(radius_dae_input(pkt, len, &server, rep,
	    sizeof(rep)), 0);
	assert_int_equal(stats->dae_stale, 1);
	assert_int_equal(stats->dae_bad_auth, 1);

	/* Disconnect by Acct-Session-Id, with a Message-Authenticator */
	n = put(a, RA_ACCT_SESSION_ID, sp->acct_session_id,
	    strlen(sp->acct_session_id));
	n += put(a + n, RA_MESSAGE_AUTHENTICATOR, (const uint8_t[16]){ 0 },
	    16);
	len = dae_req(pkt, RAD_DISCONNECT_REQUEST, 14, a, n, "dae");
	out = radius_dae_input(pkt, len, &server, rep, sizeof(rep));
	assert_int_equal(answer_check(rep, out, pkt, RAD_DISCONNECT_ACK), 0);
	assert_int_equal(stats->dae_disconnects, 1);
	/* the answer carries a Message-Authenticator over the request's
	 * authenticator */
	{
		uint8_t copy[64], mac[16];

		assert_int_equal(out, 38);
		memcpy(copy, rep, out);
		memcpy(copy + 4, pkt + 4, 16);
		memset(copy + 22, 0, 16);
		radius_hmac_md5((const uint8_t *)"dae", 3, copy, out, mac);
		assert_memory_equal(rep + 22, mac, 16);
	}
}

/* The answer code to a Disconnect-Request for "bob" (no such session)
 * signed with `secret`, from `src`, with an Event-Timestamp `ts` off our
 * clock (none when ts is INT32_MIN); 0 when dropped. */
static uint8_t
dae_try(const char *src, const char *secret, int32_t ts, uint8_t id)
{
	uint8_t a[64], pkt[128], rep[600], want[16];
	struct sockaddr_in from = server;
	size_t n, out;

	from.sin_addr.s_addr = inet_addr(src);
	n = put(a, RA_USER_NAME, "bob", 3);
	if (ts != INT32_MIN)
		n += put32(a + n, RA_EVENT_TIMESTAMP,
		    (uint32_t)(time_now + ts));
	n = dae_req(pkt, RAD_DISCONNECT_REQUEST, id, a, n, secret);
	if ((out = radius_dae_input(pkt, n, &from, rep, sizeof(rep))) == 0)
		return 0;
	/* signed with the client's own secret */
	radius_pkt_auth(rep, out, pkt + 4, secret, want);
	assert_memory_equal(rep + 4, want, 16);
	return rep[0];
}

/* dae_clients (RFC 5176 3) and the Event-Timestamp rules (3.5). */
static void
test_dae_clients_and_event_timestamp(void **state)
{
	struct counters before;

	(void)state;
	dae_setup();
	before = *stats;
	snprintf(config->dae_clients, sizeof(config->dae_clients),
	    "192.0.2.64/26=other, 203.0.113.5");
	/* the list replaces the RADIUS servers */
	assert_int_equal(dae_try("192.0.2.1", "dae", INT32_MIN, 100), 0);
	assert_int_equal(stats->dae_bad_source, before.dae_bad_source + 1);
	assert_int_equal(dae_try("192.0.2.70", "other", INT32_MIN, 101),
	    RAD_DISCONNECT_NAK);
	assert_int_equal(dae_try("192.0.2.70", "dae", INT32_MIN, 102), 0);
	assert_int_equal(stats->dae_bad_auth, before.dae_bad_auth + 1);
	assert_int_equal(dae_try("203.0.113.5", "dae", INT32_MIN, 103),
	    RAD_DISCONNECT_NAK);
	assert_int_equal(dae_try("203.0.113.6", "dae", INT32_MIN, 104), 0);
	assert_int_equal(stats->dae_bad_source, before.dae_bad_source + 2);
	config->dae_clients[0] = '\0';
	assert_int_equal(dae_try("192.0.2.1", "dae", INT32_MIN, 105),
	    RAD_DISCONNECT_NAK);

	/* Event-Timestamp: required, within the window */
	config->dae_require_event_timestamp = 1;
	assert_int_equal(dae_try("192.0.2.1", "dae", INT32_MIN, 106), 0);
	assert_int_equal(stats->dae_stale, before.dae_stale + 1);
	assert_int_equal(dae_try("192.0.2.1", "dae", -10, 107),
	    RAD_DISCONNECT_NAK);
	assert_int_equal(dae_try("192.0.2.1", "dae", -400, 108), 0);
	assert_int_equal(dae_try("192.0.2.1", "dae", 400, 109), 0);
	assert_int_equal(stats->dae_stale, before.dae_stale + 3);
	config->dae_event_window = 600;
	assert_int_equal(dae_try("192.0.2.1", "dae", -400, 110),
	    RAD_DISCONNECT_NAK);
	config->dae_event_window = 300;
	config->dae_require_event_timestamp = 0;
	assert_int_equal(dae_try("192.0.2.1", "dae", INT32_MIN, 111),
	    RAD_DISCONNECT_NAK);
}

static void
test_dae_clients_parse(void **state)
{
	struct dae_client dc[DAE_CLIENTS_MAX];
	char e[160];

	(void)state;
	assert_int_equal(dae_clients_parse("", dc, DAE_CLIENTS_MAX, e,
	    sizeof(e)), 0);
	assert_int_equal(dae_clients_parse(" 10.1.2.3/8=a b ,192.0.2.9", dc,
	    DAE_CLIENTS_MAX, e, sizeof(e)), 2);
	assert_int_equal(dc[0].net, inet_addr("10.0.0.0"));
	assert_int_equal(dc[0].mask, inet_addr("255.0.0.0"));
	assert_string_equal(dc[0].secret, "a b");
	assert_int_equal(dc[1].mask, 0xffffffffu);
	assert_string_equal(dc[1].secret, "");
	assert_int_equal(dae_clients_parse("10.0.0.0/33", dc, DAE_CLIENTS_MAX,
	    e, sizeof(e)), -1);
	assert_int_equal(dae_clients_parse("host", dc, DAE_CLIENTS_MAX, e,
	    sizeof(e)), -1);
	assert_int_equal(dae_clients_parse("10.0.0.1=", dc, DAE_CLIENTS_MAX,
	    e, sizeof(e)), -1);
	assert_int_equal(dae_clients_parse("0.0.0.0/0", dc, 1, e,
	    sizeof(e)), 1);
	assert_int_equal(dc[0].mask, 0);
}

/* A reply nobody waits for, or from a stranger, is counted and dropped. */
static void
test_reply_input_unexpected(void **state)
{
	uint8_t pkt[64];
	size_t len;
	struct sockaddr_in from = server;

	(void)state;
	dae_setup();
	len = make_reply(pkt, 2, 5, (const uint8_t[16]){ 0 }, NULL, 0, 0,
	    "dae");
	from.sin_port = htons((uint16_t)config->primary_radius_port);
	assert_int_equal(radius_reply_input(0, pkt, len, &from), RAD_E_CODE);
	assert_int_equal(stats->radius_unexpected, 1);
	from.sin_port = htons(9);
	assert_int_equal(radius_reply_input(0, pkt, len, &from), RAD_E_CODE);
	assert_int_equal(stats->radius_bad_source, 1);
	from.sin_port = htons((uint16_t)config->primary_radius_port + 1);
	assert_int_equal(radius_reply_input(0, pkt, 10, &from), RAD_E_SHORT);
	assert_int_equal(stats->radius_malformed, 1);
}

static void
collect(void *arg, const char *line)
{
	char *buf = arg;

	strncat(buf, line, 4000 - strlen(buf));
	strncat(buf, "\n", 4000 - strlen(buf));
}

/* "show radius": the servers and a pending Access-Request. */
static void
test_show_radius(void **state)
{
	struct radius_req_info ri;
	struct auth_req rq;
	char out[4096] = "";
	uint32_t cur = 0;
	uint8_t ra[16];

	(void)state;
	dae_setup();
	memset(&rq, 0, sizeof(rq));
	rq.sid = alice;
	rq.proto = PPP_CHAP;
	snprintf(rq.user, sizeof(rq.user), "alice");
	rq.chap_id = 1;
	rq.challenge_len = 16;
	radius_auth_submit(&rq);
	assert_int_equal(radius_request_info(&cur, &ri), 0);
	assert_string_equal(ri.state, "AUTH");
	assert_int_equal(ri.sid, alice);
	assert_int_equal(ri.try, 1);
	assert_int_equal(ri.server, 0);
	assert_int_equal(radius_request_authenticator(ri.slot, ra), 0);
	assert_int_equal(radius_request_info(&cur, &ri), -1);
	radius_show(collect, out);
	assert_non_null(strstr(out, "primary   192.0.2.1 auth 1645"));
	assert_non_null(strstr(out, "secondary 192.0.2.2 auth 1645"));
	assert_non_null(strstr(out, " AUTH "));
	assert_non_null(strstr(out, "1 request in flight"));
	radius_auth_cancel(alice);
	cur = 0;
	assert_int_equal(radius_request_info(&cur, &ri), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hmac_md5_vectors),
		cmocka_unit_test(test_hide_password_rfc_7_1),
		cmocka_unit_test(test_hide_password_two_blocks_and_limits),
		cmocka_unit_test(test_response_authenticator_rfc_examples),
		cmocka_unit_test(test_message_authenticator_in_reply),
		cmocka_unit_test(test_request_authenticator_sign_verify),
		cmocka_unit_test(test_layout_errors),
		cmocka_unit_test(test_parse_accept),
		cmocka_unit_test(test_parse_accept_bad_values),
		cmocka_unit_test(test_tunnel_attributes),
		cmocka_unit_test(test_dae_coa_and_naks),
		cmocka_unit_test(test_dae_clients_and_event_timestamp),
		cmocka_unit_test(test_dae_clients_parse),
		cmocka_unit_test(test_reply_input_unexpected),
		cmocka_unit_test(test_show_radius),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
