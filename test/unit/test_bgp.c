/*
 * test_bgp.c - the BGP codec (header, OPEN, UPDATE checks with their
 * RFC 4271 section 6 / RFC 7606 outcomes) and the speaker's FSM driven
 * over a real TCP connection on 127.0.0.1: the test is the peer.
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
#include <netinet/in.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "bgp.h"
#include "config.h"
#include "event.h"
#include "log.h"

/* ---- message builders (the test's own) ---- */

static size_t
msg(uint8_t *out, uint8_t type, const uint8_t *body, size_t blen)
{
	memset(out, 0xff, 16);
	out[16] = (uint8_t)((19 + blen) >> 8);
	out[17] = (uint8_t)(19 + blen);
	out[18] = type;
	if (blen)
		memcpy(out + 19, body, blen);
	return 19 + blen;
}

/* OPEN body: version, AS (2 octets), hold, id, capabilities. */
static size_t
open_body(uint8_t *b, uint8_t version, uint16_t as2, uint16_t hold,
    uint32_t id, const uint8_t *caps, size_t clen)
{
	size_t n = 0;

	b[n++] = version;
	b[n++] = (uint8_t)(as2 >> 8); b[n++] = (uint8_t)as2;
	b[n++] = (uint8_t)(hold >> 8); b[n++] = (uint8_t)hold;
	memcpy(b + n, &id, 4); n += 4;
	if (clen == 0) {
		b[n++] = 0;
		return n;
	}
	b[n++] = (uint8_t)(clen + 2);
	b[n++] = 2;
	b[n++] = (uint8_t)clen;
	memcpy(b + n, caps, clen);
	return n + clen;
}

static const uint8_t CAPS[] = {
	1, 4, 0, 1, 0, 1,		/* MP IPv4 unicast */
	1, 4, 0, 2, 0, 1,		/* MP IPv6 unicast */
	2, 0,				/* route refresh */
	65, 4, 0, 0, 0xfd, 0xe8,	/* AS4: 65000 */
};

/* ---- header ---- */

static void
test_header(void **state)
{
	uint8_t m[64];
	struct bgp_err e;
	uint8_t t = 0;
	size_t n;

	(void)state;
	n = msg(m, BGP_KEEPALIVE, NULL, 0);
	assert_int_equal(bgp_check_header(m, n, &t, &e), 19);
	assert_int_equal(t, BGP_KEEPALIVE);
	assert_int_equal(bgp_check_header(m, 18, &t, &e), 0);
	/* 6.1: marker */
	m[3] = 0;
	assert_int_equal(bgp_check_header(m, n, &t, &e), -1);
	assert_int_equal(e.code, 1);
	assert_int_equal(e.sub, 1);
	/* type */
	n = msg(m, 9, NULL, 0);
	assert_int_equal(bgp_check_header(m, n, &t, &e), -1);
	assert_int_equal(e.sub, 3);
	assert_int_equal(e.dlen, 1);
	assert_int_equal(e.data[0], 9);
	/* lengths: a KEEPALIVE of 20, an OPEN of 28, 4097 */
	n = msg(m, BGP_KEEPALIVE, (const uint8_t *)"x", 1);
	assert_int_equal(bgp_check_header(m, n, &t, &e), -1);
	assert_int_equal(e.sub, 2);
	assert_int_equal(e.data[1], 20);
	n = msg(m, BGP_OPEN, (const uint8_t *)"123456789", 9);
	assert_int_equal(bgp_check_header(m, n, &t, &e), -1);
	m[16] = 0x10; m[17] = 0x01; m[18] = BGP_UPDATE;
	assert_int_equal(bgp_check_header(m, 19, &t, &e), -1);
	assert_int_equal(e.sub, 2);
	/* the length is known before the body is there */
	m[16] = 0x01; m[17] = 0x00;
	assert_int_equal(bgp_check_header(m, 19, &t, &e), 256);
}

/* ---- OPEN ---- */

static void
test_open(void **state)
{
	uint8_t b[128];
	struct bgp_open o;
	struct bgp_err e;
	uint32_t id = htonl(0x0a000001);
	size_t n;
	uint8_t bad[sizeof(CAPS)];

	(void)state;
	n = open_body(b, 4, 65000, 90, id, CAPS, sizeof(CAPS));
	assert_int_equal(bgp_parse_open(b, n, 65000, &o, &e), 0);
	assert_true(o.cap_mp4 && o.cap_mp6 && o.cap_rr && o.cap_as4);
	assert_false(o.cap_gr);
	assert_int_equal(o.as, 65000);
	assert_int_equal(o.hold, 90);
	/* 6.2: Unsupported Version Number, data 4 */
	n = open_body(b, 3, 65000, 90, id, CAPS, sizeof(CAPS));
	assert_int_equal(bgp_parse_open(b, n, 65000, &o, &e), -1);
	assert_int_equal(e.code, 2);
	assert_int_equal(e.sub, 1);
	assert_int_equal(e.dlen, 2);
	assert_int_equal(e.data[1], 4);
	/* Bad Peer AS, from the AS4 capability */
	n = open_body(b, 4, 65000, 90, id, CAPS, sizeof(CAPS));
	assert_int_equal(bgp_parse_open(b, n, 65001, &o, &e), -1);
	assert_int_equal(e.sub, 2);
	/* a 4-octet AS: AS_TRANS in My AS (RFC 6793) */
	memcpy(bad, CAPS, sizeof(CAPS));
	bad[16] = 0x00; bad[17] = 0x03; bad[18] = 0x0d; bad[19] = 0x40;
	n = open_body(b, 4, BGP_AS_TRANS, 90, id, bad, sizeof(bad));
	assert_int_equal(bgp_parse_open(b, n, 200000, &o, &e), 0);
	assert_int_equal(o.as, 200000);
	/* Unacceptable Hold Time */
	n = open_body(b, 4, 65000, 2, id, CAPS, sizeof(CAPS));
	assert_int_equal(bgp_parse_open(b, n, 65000, &o, &e), -1);
	assert_int_equal(e.sub, 6);
	/* hold 0 is fine: no keepalives */
	n = open_body(b, 4, 65000, 0, id, CAPS, sizeof(CAPS));
	assert_int_equal(bgp_parse_open(b, n, 65000, &o, &e), 0);
	/* Bad BGP Identifier */
	n = open_body(b, 4, 65000, 90, 0, CAPS, sizeof(CAPS));
	assert_int_equal(bgp_parse_open(b, n, 65000, &o, &e), -1);
	assert_int_equal(e.sub, 3);
	/* Unsupported Optional Parameter (type 9) */
	n = open_body(b, 4, 65000, 90, id, CAPS, sizeof(CAPS));
	b[10] = 9;
	assert_int_equal(bgp_parse_open(b, n, 65000, &o, &e), -1);
	assert_int_equal(e.sub, 4);
	/* a capability running past its parameter */
	n = open_body(b, 4, 65000, 90, id, CAPS, sizeof(CAPS));
	b[12 + 1] = 40;
	assert_int_equal(bgp_parse_open(b, n, 65000, &o, &e), -1);
	assert_int_equal(e.code, 2);
	/* Opt Parm Len not matching the message */
	n = open_body(b, 4, 65000, 90, id, CAPS, sizeof(CAPS));
	assert_int_equal(bgp_parse_open(b, n - 1, 65000, &o, &e), -1);
	/* graceful restart capability */
	{
		uint8_t gr[] = { 65, 4, 0, 0, 0xfd, 0xe8, 64, 6, 0x80, 120,
		    0, 1, 1, 0x80 };

		n = open_body(b, 4, 65000, 90, id, gr, sizeof(gr));
		assert_int_equal(bgp_parse_open(b, n, 65000, &o, &e), 0);
		assert_true(o.cap_gr);
		assert_int_equal(o.gr_time, 120);
		assert_false(o.cap_any_mp);
	}
}

/* ---- UPDATE ---- */

struct seen {
	int	ann, wd;
	int	af;
	int	plen;
	uint8_t	a[16];
};

static void
note_prefix(void *arg, int announce, int af, const uint8_t *a, int plen)
{
	struct seen *s = arg;

	if (announce)
		s->ann++;
	else
		s->wd++;
	s->af = af;
	s->plen = plen;
	memcpy(s->a, a, 16);
}

/* An IPv4 UPDATE: ORIGIN, AS_PATH (4-octet), NEXT_HOP, then `nlri`. */
static size_t
upd(uint8_t *b, uint8_t origin, const uint8_t *extra, size_t elen,
    const uint8_t *nlri, size_t nlen)
{
	uint8_t attrs[128];
	size_t a = 0, n = 0;
	const uint8_t base[] = {
		0x40, 1, 1, origin,
		0x40, 2, 6, 2, 1, 0, 0, 0xfd, 0xe8,
		0x40, 3, 4, 10, 0, 0, 1,
	};

	memcpy(attrs, base, sizeof(base));
	a = sizeof(base);
	if (elen)
		memcpy(attrs + a, extra, elen);
	a += elen;
	b[n++] = 0; b[n++] = 0;
	b[n++] = (uint8_t)(a >> 8); b[n++] = (uint8_t)a;
	memcpy(b + n, attrs, a); n += a;
	if (nlen)
		memcpy(b + n, nlri, nlen);
	return n + nlen;
}

static void
test_update(void **state)
{
	uint8_t b[512];
	const uint8_t nlri[] = { 24, 192, 0, 2, 25, 198, 51, 100, 128 };
	struct bgp_err e;
	struct seen s;
	size_t n;

	(void)state;
	memset(&s, 0, sizeof(s));
	n = upd(b, 0, NULL, 0, nlri, sizeof(nlri));
	assert_int_equal(bgp_parse_update(b, n, 1, 1, note_prefix, &s, &e), 0);
	assert_int_equal(s.ann, 2);
	assert_int_equal(s.plen, 25);
	assert_int_equal(s.a[3], 128);
	/* RFC 7606 7.1: a bad ORIGIN: treat-as-withdraw, 3/6 noted */
	memset(&s, 0, sizeof(s));
	n = upd(b, 5, NULL, 0, nlri, sizeof(nlri));
	assert_int_equal(bgp_parse_update(b, n, 1, 1, note_prefix, &s, &e), 1);
	assert_int_equal(s.ann, 0);
	assert_int_equal(s.wd, 2);
	assert_int_equal(e.sub, 6);
	/* Attribute Flags Error on MED (transitive set): treat-as-withdraw */
	{
		const uint8_t med[] = { 0xc0, 4, 4, 0, 0, 0, 1 };

		n = upd(b, 0, med, sizeof(med), nlri, sizeof(nlri));
		assert_int_equal(bgp_parse_update(b, n, 1, 1, NULL, NULL, &e),
		    1);
		assert_int_equal(e.sub, 4);
	}
	/* AS_PATH with 2-octet ASes read as 4: malformed, withdraw */
	n = upd(b, 0, NULL, 0, nlri, sizeof(nlri));
	assert_int_equal(bgp_parse_update(b, n, 0, 1, NULL, NULL, &e), 1);
	assert_int_equal(e.sub, 11);
	/* NEXT_HOP 0.0.0.0: 3/8, withdraw */
	n = upd(b, 0, NULL, 0, nlri, sizeof(nlri));
	memset(b + 4 + 16, 0, 4);	/* the NEXT_HOP value */
	assert_int_equal(bgp_parse_update(b, n, 1, 1, NULL, NULL, &e), 1);
	assert_int_equal(e.sub, 8);
	/* missing NEXT_HOP: Missing Well-known, data the type */
	{
		const uint8_t m[] = { 0, 0, 0, 13, 0x40, 1, 1, 0,
		    0x40, 2, 6, 2, 1, 0, 0, 0xfd, 0xe8, 24, 10, 1, 2 };

		assert_int_equal(bgp_parse_update(m, sizeof(m), 1, 1, NULL,
		    NULL, &e), 1);
		assert_int_equal(e.sub, 3);
		assert_int_equal(e.data[0], 3);
	}
	/* an NLRI prefix of 33 bits: Invalid Network Field, reset */
	{
		const uint8_t bad[] = { 33, 10, 0, 0, 0, 0 };

		n = upd(b, 0, NULL, 0, bad, sizeof(bad));
		assert_int_equal(bgp_parse_update(b, n, 1, 1, NULL, NULL, &e),
		    -1);
		assert_int_equal(e.code, 3);
		assert_int_equal(e.sub, 10);
	}
	/* Withdrawn Routes Length past the end: Malformed Attribute List */
	{
		const uint8_t bad[] = { 0, 200, 0, 0 };

		assert_int_equal(bgp_parse_update(bad, sizeof(bad), 1, 1, NULL,
		    NULL, &e), -1);
		assert_int_equal(e.sub, 1);
	}
	/* withdrawals only */
	{
		const uint8_t w[] = { 0, 4, 24, 192, 0, 2, 0, 0 };

		memset(&s, 0, sizeof(s));
		assert_int_equal(bgp_parse_update(w, sizeof(w), 1, 1,
		    note_prefix, &s, &e), 0);
		assert_int_equal(s.wd, 1);
	}
	/* an unknown well-known attribute: 3/2, reset */
	{
		const uint8_t x[] = { 0x40, 99, 1, 0 };

		n = upd(b, 0, x, sizeof(x), nlri, sizeof(nlri));
		assert_int_equal(bgp_parse_update(b, n, 1, 1, NULL, NULL, &e),
		    -1);
		assert_int_equal(e.sub, 2);
	}
	/* an unknown optional one is passed over */
	{
		const uint8_t x[] = { 0xc0, 99, 1, 0 };

		n = upd(b, 0, x, sizeof(x), nlri, sizeof(nlri));
		assert_int_equal(bgp_parse_update(b, n, 1, 1, NULL, NULL, &e),
		    0);
	}
	/* MP_REACH_NLRI for IPv6 (RFC 4760) */
	{
		uint8_t mp[] = { 0x80, 14, 26, 0, 2, 1, 16,
		    0xfd, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0,
		    32, 0x20, 0x01, 0x0d, 0xb8 };

		memset(&s, 0, sizeof(s));
		n = upd(b, 0, mp, sizeof(mp), NULL, 0);
		assert_int_equal(bgp_parse_update(b, n, 1, 1, note_prefix, &s,
		    &e), 0);
		assert_int_equal(s.ann, 1);
		assert_int_equal(s.af, 6);
		assert_int_equal(s.plen, 32);
		assert_int_equal(s.a[1], 0x01);
		/* a next hop of 15 octets: RFC 7606 7.11, reset */
		mp[6] = 15;
		n = upd(b, 0, mp, sizeof(mp), NULL, 0);
		assert_int_equal(bgp_parse_update(b, n, 1, 1, NULL, NULL, &e),
		    -1);
		assert_int_equal(e.sub, 9);
		/* twice: reset (RFC 7606 3.g) */
		mp[6] = 16;
		memcpy(b, mp, sizeof(mp));
		memcpy(b + sizeof(mp), mp, sizeof(mp));
		n = upd(b + 100, 0, b, 2 * sizeof(mp), NULL, 0);
		assert_int_equal(bgp_parse_update(b + 100, n, 1, 1, NULL, NULL,
		    &e), -1);
		assert_int_equal(e.sub, 1);
	}
	/* communities not a multiple of 4: withdraw */
	{
		const uint8_t c[] = { 0xc0, 8, 3, 1, 2, 3 };

		n = upd(b, 0, c, sizeof(c), nlri, sizeof(nlri));
		assert_int_equal(bgp_parse_update(b, n, 1, 1, NULL, NULL, &e),
		    1);
		assert_int_equal(e.sub, 5);
	}
}

static void
test_communities(void **state)
{
	uint32_t c[4];
	char err[128];

	(void)state;
	assert_int_equal(bgp_parse_communities("65001:100, no-export 7", c, 4,
	    err, sizeof(err)), 3);
	assert_int_equal(c[0], (65001u << 16) | 100);
	assert_int_equal(c[1], 0xffffff01u);
	assert_int_equal(c[2], 7);
	assert_int_equal(bgp_parse_communities("", c, 4, err, sizeof(err)), 0);
	assert_int_equal(bgp_parse_communities("70000:1", c, 4, err,
	    sizeof(err)), -1);
	assert_int_equal(bgp_parse_communities("blue", c, 4, err, sizeof(err)),
	    -1);
}

/* ---- the FSM over TCP ---- */

static int lfd = -1, pfd = -1;

static void
pump(int turns)
{
	while (turns-- > 0)
		ev_run_once(10);
}

/* Read one whole message from the daemon, pumping the loop meanwhile. */
static int
peer_recv(uint8_t *m, size_t cap)
{
	size_t have = 0, want = 19;
	int tries;

	for (tries = 0; tries < 300 && have < want; tries++) {
		ssize_t n = recv(pfd, m + have, want - have, MSG_DONTWAIT);

		if (n > 0) {
			have += (size_t)n;
			if (have == 19) {
				want = (size_t)(m[16] << 8 | m[17]);
				assert_true(want >= 19 && want <= cap);
			}
			continue;
		}
		if (n == 0)
			return -1;
		pump(1);
	}
	return have == want ? m[18] : -1;
}

static void
peer_send(const uint8_t *m, size_t len)
{
	assert_int_equal(send(pfd, m, len, 0), (ssize_t)len);
}

static void
peer_accept(void)
{
	int i;

	for (i = 0; i < 300 && pfd < 0; i++) {
		pfd = accept(lfd, NULL, NULL);
		pump(1);
	}
	assert_true(pfd >= 0);
}

/* Skip messages until one of `type`; returns its length. */
static size_t
expect_type(uint8_t *m, size_t cap, int type)
{
	int t, i;

	for (i = 0; i < 20; i++) {
		t = peer_recv(m, cap);
		assert_true(t > 0);
		if (t == type)
			return (size_t)(m[16] << 8 | m[17]);
	}
	fail_msg("no message of type %d", type);
	return 0;
}

static void
test_fsm_tcp(void **state)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	uint8_t m[4096], b[256];
	uint32_t id = htonl(0x7f000002);
	in_addr_t fr = inet_addr("203.0.113.0");
	size_t n, len;
	int one = 1;

	(void)state;
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	assert_true(lfd >= 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(lfd, 4), 0);
	getsockname(lfd, (struct sockaddr *)&sin, &sl);

	config = calloc(1, sizeof(*config));
	cfg_defaults(config);
	config->bgp_port = ntohs(sin.sin_port);
	config->bgp_connect_retry = 1;
	config->bind_address = inet_addr("192.0.2.10");
	config->bgp.as = 65001;
	config->bgp.npeers = 1;
	strcpy(config->bgp.peer[0].name, "127.0.0.1");
	config->bgp.peer[0].remote_as = 65000;
	config->bgp.peer[0].keepalive = 1;
	config->bgp.peer[0].hold = 3;
	assert_int_equal(ev_init(), 0);
	assert_int_equal(bgp_init(NULL), 0);
	assert_int_equal(bgp_route_count(), 1);		/* bind_address */

	/* Connect -> OpenSent: our OPEN */
	peer_accept();
	assert_int_equal(peer_recv(m, sizeof(m)), BGP_OPEN);
	assert_int_equal(bgp_peer_state("127.0.0.1"), BGP_ST_OPENSENT);
	assert_int_equal(m[19], 4);
	assert_int_equal(m[20] << 8 | m[21], 65001);
	assert_int_equal(m[22] << 8 | m[23], 3);	/* our hold */
	/* -> OpenConfirm -> Established */
	n = open_body(b, 4, 65000, 3, id, CAPS, sizeof(CAPS));
	len = msg(m, BGP_OPEN, b, n);
	peer_send(m, len);
	assert_int_equal(peer_recv(m, sizeof(m)), BGP_KEEPALIVE);
	assert_int_equal(bgp_peer_state("127.0.0.1"), BGP_ST_OPENCONFIRM);
	/* a KEEPALIVE in two pieces */
	len = msg(m, BGP_KEEPALIVE, NULL, 0);
	peer_send(m, 7);
	pump(3);
	assert_int_equal(bgp_peer_state("127.0.0.1"), BGP_ST_OPENCONFIRM);
	peer_send(m + 7, len - 7);
	pump(3);
	assert_int_equal(bgp_peer_state("127.0.0.1"), BGP_ST_ESTABLISHED);
	/* the table: 192.0.2.10/32 with ORIGIN, AS_PATH, NEXT_HOP */
	len = expect_type(m, sizeof(m), BGP_UPDATE);
	assert_memory_equal(m + len - 5, "\x20\xc0\x00\x02\x0a", 5);
	/* End-of-RIB for IPv4, then IPv6 */
	len = expect_type(m, sizeof(m), BGP_UPDATE);
	assert_int_equal(len, 23);
	len = expect_type(m, sizeof(m), BGP_UPDATE);
	assert_int_equal(len, 30);

	/* a session route comes and goes */
	bgp_session_route(1, 5, 4, &fr, 28);
	len = expect_type(m, sizeof(m), BGP_UPDATE);
	assert_memory_equal(m + len - 5, "\x1c\xcb\x00\x71\x00", 5);
	bgp_session_route(0, 5, 4, &fr, 28);
	len = expect_type(m, sizeof(m), BGP_UPDATE);
	assert_int_equal(len, 23 + 5);
	assert_memory_equal(m + 21, "\x1c\xcb\x00\x71\x00", 5);
	/* one inside the announced /32 is not announced apart */
	bgp_session_route(1, 6, 4, &config->bind_address, 32);
	assert_int_equal(bgp_route_count(), 1);

	/* suspend: a withdrawal; resume: the announcement and End-of-RIB */
	bgp_suspend(1);
	len = expect_type(m, sizeof(m), BGP_UPDATE);
	assert_int_equal(m[19] << 8 | m[20], 5);	/* withdrawn length */
	bgp_suspend(0);
	len = expect_type(m, sizeof(m), BGP_UPDATE);
	assert_memory_equal(m + len - 5, "\x20\xc0\x00\x02\x0a", 5);

	/* keepalives keep coming (hold 3: every second) */
	expect_type(m, sizeof(m), BGP_KEEPALIVE);
	peer_send(m, 19);

	/* ROUTE-REFRESH: the table again */
	{
		const uint8_t rr[] = { 0, 1, 0, 1 };

		len = msg(m, BGP_ROUTE_REFRESH, rr, sizeof(rr));
		peer_send(m, len);
		len = expect_type(m, sizeof(m), BGP_UPDATE);
		assert_memory_equal(m + len - 5, "\x20\xc0\x00\x02\x0a", 5);
	}

	/* a malformed UPDATE: NOTIFICATION 3/10, Idle, then a reconnect */
	{
		const uint8_t bad[] = { 33, 10, 0, 0, 0, 0 };

		n = upd(b, 0, NULL, 0, bad, sizeof(bad));
		len = msg(m, BGP_UPDATE, b, n);
		peer_send(m, len);
		expect_type(m, sizeof(m), BGP_NOTIFICATION);
		assert_int_equal(m[19], 3);
		assert_int_equal(m[20], 10);
		assert_int_equal(bgp_peer_state("127.0.0.1"), BGP_ST_IDLE);
	}
	close(pfd);
	pfd = -1;
	peer_accept();			/* after bgp_connect_retry (1 s) */
	assert_int_equal(peer_recv(m, sizeof(m)), BGP_OPEN);

	/* a peer that goes silent: Hold Timer Expired after 3 s */
	n = open_body(b, 4, 65000, 3, id, CAPS, sizeof(CAPS));
	len = msg(m, BGP_OPEN, b, n);
	peer_send(m, len);
	len = msg(m, BGP_KEEPALIVE, NULL, 0);
	peer_send(m, len);
	pump(10);
	assert_int_equal(bgp_peer_state("127.0.0.1"), BGP_ST_ESTABLISHED);
	expect_type(m, sizeof(m), BGP_NOTIFICATION);
	assert_int_equal(m[19], 4);
	assert_int_equal(bgp_peer_state("127.0.0.1"), BGP_ST_IDLE);
	close(pfd);
	pfd = -1;

	/* restart bgp: reconnects at once; closing: Cease */
	peer_accept();
	assert_int_equal(peer_recv(m, sizeof(m)), BGP_OPEN);
	bgp_close(0);
	pump(2);
	close(pfd);
	close(lfd);
	ev_close();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header),
		cmocka_unit_test(test_open),
		cmocka_unit_test(test_update),
		cmocka_unit_test(test_communities),
		cmocka_unit_test(test_fsm_tcp),
	};

	log_level = -1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
