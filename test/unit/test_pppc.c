/*
 * test_pppc.c - our PPP client (pppc.c, outgoing L2TP, issue 23) driven
 * as a scripted LNS would: frames go in through pppc_input(), what the
 * client sends is read off a real UDP socket on loopback (the L2TP data
 * messages of its session) and decoded here, independently of pppc.c.
 *
 * Checked: the LNS's LCP options acked, naked (an Auth-Protocol we do
 * not allow: the strongest we do) or rejected (unknown); our CHAP-MD5
 * Response (RFC 1994 4.1, the MD5 computed here with libmd); the
 * MS-CHAPv2 Success checked against the authenticator response (RFC
 * 2759 5), a wrong one ending the session; IPCP asking for 0.0.0.0 and
 * the DNS addresses, then taking what the LNS naks with (RFC 1332,
 * RFC 1877).
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
#include <sys/socket.h>
#include <md5.h>
#include <cmocka.h>

#include "l2tpns.h"
#include "config.h"
#include "dataplane.h"
#include "event.h"
#include "fsm.h"
#include "l2tp.h"
#include "lacout.h"
#include "log.h"
#include "mschap.h"
#include "unit_daemon.h"

#define LCP	0xc021
#define PAP	0xc023
#define CHAP	0xc223
#define IPCP	0x8021

static int lns_fd, far_fd;
static struct sockaddr_in far_addr;
static struct l2tp_outgoing g;
static sid_t s;

/* One PPP control packet the client sent. */
struct pkt {
	uint16_t	proto;
	uint8_t		code, id;
	uint8_t		data[1500];
	size_t		len;
};

/* The next packet of `proto` (others skipped); 0, or -1 if none. */
static int
next_pkt(uint16_t proto, struct pkt *p)
{
	uint8_t b[2048];
	ssize_t n;

	while ((n = recv(far_fd, b, sizeof(b), 0)) > 0) {
		/* RFC 2661 3.1: flags 0x0002, tunnel, session, then FF 03 */
		assert_true(n >= 14);
		assert_int_equal(b[0], 0x00);
		assert_int_equal(b[1], 0x02);
		assert_int_equal(b[6], 0xff);
		assert_int_equal(b[7], 0x03);
		p->proto = (uint16_t)(b[8] << 8 | b[9]);
		if (p->proto != proto)
			continue;
		p->code = b[10];
		p->id = b[11];
		assert_int_equal((b[12] << 8 | b[13]), n - 10);
		p->len = (size_t)n - 14;
		memcpy(p->data, b + 14, p->len);
		return 0;
	}
	return -1;
}

static void
drain(void)
{
	uint8_t b[2048];

	while (recv(far_fd, b, sizeof(b), 0) > 0)
		;
}

/* A packet from the LNS: FF 03, protocol, code, id, length, data. */
static void
lns_send(uint16_t proto, uint8_t code, uint8_t id, const void *data,
    size_t len)
{
	uint8_t b[1500];

	b[0] = 0xff;
	b[1] = 0x03;
	b[2] = (uint8_t)(proto >> 8);
	b[3] = (uint8_t)proto;
	b[4] = code;
	b[5] = id;
	b[6] = (uint8_t)((len + 4) >> 8);
	b[7] = (uint8_t)(len + 4);
	memcpy(b + 8, data, len);
	pppc_input(s, b, len + 8);
}

static int
setup(void **state)
{
	struct sockaddr_in lns;
	struct tunnel *tp;
	struct session *sp;
	tid_t t;

	(void)state;
	config = calloc(1, sizeof(*config));
	cfg_defaults(config);
	log_level = getenv("TEST_LOG") ? 4 : -1;
	if (ev_init() < 0 || tables_init(16, 4) < 0 || l2tp_init_state() < 0 ||
	    dp_init(16) < 0)
		return -1;
	if ((lns_fd = unit_udp_socket(&lns, SOCK_NONBLOCK)) < 0 ||
	    (far_fd = unit_udp_socket(&far_addr, SOCK_NONBLOCK)) < 0)
		return -1;
	l2tp_set_socket(lns_fd);
	ev_update_time();
	if ((t = tunnel_alloc()) == 0 || tunnel_bind_wire(t, 77) < 0)
		return -1;
	tp = tunnel_get(t);
	tp->peer = far_addr;
	tp->far_id = 88;
	tp->state = TUNNEL_OPEN;
	if ((s = session_alloc()) == 0)
		return -1;
	sp = session_get(s);
	sp->tunnel = t;
	if (session_bind_wire(s, 5) < 0)
		return -1;
	sp->far_id = 6;
	sp->state = SESSION_OPEN;
	sp->client = 1;
	return 0;
}

/* A fresh client with `auth` allowed; our first Configure-Request. */
static void
start(uint8_t auth, int dns, struct pkt *req)
{
	memset(&g, 0, sizeof(g));
	strcpy(g.name, "t");
	strcpy(g.user, "alice");
	strcpy(g.password, "secret");
	g.auth = auth;
	g.dns = (uint8_t)dns;
	pppc_end(s);
	drain();
	assert_int_equal(pppc_start(s, &g), 0);
	assert_int_equal(next_pkt(LCP, req), 0);
	assert_int_equal(req->code, CP_CONF_REQ);
	/* Only a Magic-Number (RFC 1661 6.4). */
	assert_int_equal(req->len, 6);
	assert_int_equal(req->data[0], 5);
	assert_int_equal(req->data[1], 6);
}

/* LCP up: our request acked, the LNS's `opts` acked by us. */
static void
lcp_up(uint8_t auth, int dns, const uint8_t *opts, size_t n)
{
	struct pkt req, ack;

	start(auth, dns, &req);
	lns_send(LCP, CP_CONF_ACK, req.id, req.data, req.len);
	lns_send(LCP, CP_CONF_REQ, 1, opts, n);
	assert_int_equal(next_pkt(LCP, &ack), 0);
	assert_int_equal(ack.code, CP_CONF_ACK);
	assert_int_equal(ack.len, n);
	assert_memory_equal(ack.data, opts, n);
}

static void
test_lcp_auth_acked_naked_rejected(void **state)
{
	static const uint8_t pap[] = { 3, 4, 0xc0, 0x23 };
	static const uint8_t chap_md5[] = { 1, 4, 0x05, 0xd4,
	    3, 5, 0xc2, 0x23, 5, 5, 6, 1, 2, 3, 4, 7, 2, 8, 2 };
	static const uint8_t odd[] = { 3, 5, 0xc2, 0x23, 0x80, 13, 3, 6 };
	struct pkt req, r;

	(void)state;
	/* PAP asked, only CHAP allowed: Nak with CHAP-MD5 (RFC 1661 6.2) */
	start(OUT_AUTH_CHAP, 0, &req);
	lns_send(LCP, CP_CONF_REQ, 1, pap, sizeof(pap));
	assert_int_equal(next_pkt(LCP, &r), 0);
	assert_int_equal(r.code, CP_CONF_NAK);
	assert_int_equal(r.id, 1);
	assert_int_equal(r.len, 5);
	assert_memory_equal(r.data, ((uint8_t[]){ 3, 5, 0xc2, 0x23, 5 }), 5);

	/* PAP asked, MS-CHAPv2 and CHAP allowed: the stronger, MS-CHAPv2 */
	start(OUT_AUTH_CHAP | OUT_AUTH_MSCHAPV2, 0, &req);
	lns_send(LCP, CP_CONF_REQ, 2, pap, sizeof(pap));
	assert_int_equal(next_pkt(LCP, &r), 0);
	assert_int_equal(r.code, CP_CONF_NAK);
	assert_memory_equal(r.data, ((uint8_t[]){ 3, 5, 0xc2, 0x23, 0x81 }),
	    5);

	/* Only PAP allowed, CHAP-MD5 asked: Nak with PAP */
	start(OUT_AUTH_PAP, 0, &req);
	lns_send(LCP, CP_CONF_REQ, 3, chap_md5, sizeof(chap_md5));
	assert_int_equal(next_pkt(LCP, &r), 0);
	assert_int_equal(r.code, CP_CONF_NAK);
	assert_int_equal(r.len, 4);
	assert_memory_equal(r.data, pap, 4);

	/* CHAP-MD5, MRU, magic, PFC, ACFC allowed: acked as they are */
	start(OUT_AUTH_ALL, 0, &req);
	lns_send(LCP, CP_CONF_REQ, 4, chap_md5, sizeof(chap_md5));
	assert_int_equal(next_pkt(LCP, &r), 0);
	assert_int_equal(r.code, CP_CONF_ACK);
	assert_int_equal(r.len, sizeof(chap_md5));
	assert_memory_equal(r.data, chap_md5, sizeof(chap_md5));
	assert_int_equal(session_get(s)->auth_proto, CHAP);
	assert_int_equal(session_get(s)->mru, 1492);

	/* An unknown CHAP algorithm (naked) and an unknown option
	 * (Callback, 13): the Reject wins and lists only the unknown. */
	start(OUT_AUTH_ALL, 0, &req);
	lns_send(LCP, CP_CONF_REQ, 5, odd, sizeof(odd));
	assert_int_equal(next_pkt(LCP, &r), 0);
	assert_int_equal(r.code, CP_CONF_REJ);
	assert_int_equal(r.len, 3);
	assert_memory_equal(r.data, ((uint8_t[]){ 13, 3, 6 }), 3);

	/* A malformed option list (length past the end): discarded */
	start(OUT_AUTH_ALL, 0, &req);
	lns_send(LCP, CP_CONF_REQ, 6, ((uint8_t[]){ 3, 9, 0xc0, 0x23 }), 4);
	assert_int_equal(next_pkt(LCP, &r), -1);
	pppc_end(s);
}

static void
test_chap_md5_response(void **state)
{
	static const uint8_t chap_md5[] = { 3, 5, 0xc2, 0x23, 5 };
	uint8_t chal[1 + 8 + 7], want[16], id = 0x42;
	uint64_t fails;
	struct pkt r;
	MD5_CTX ctx;

	(void)state;
	lcp_up(OUT_AUTH_CHAP, 0, chap_md5, sizeof(chap_md5));
	chal[0] = 8;
	memcpy(chal + 1, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	memcpy(chal + 9, "far-lns", 7);
	lns_send(CHAP, 1, id, chal, sizeof(chal));
	assert_int_equal(next_pkt(CHAP, &r), 0);
	assert_int_equal(r.code, 2);
	assert_int_equal(r.id, id);
	/* RFC 1994 4.1: MD5(Identifier, secret, Challenge), then Name */
	MD5Init(&ctx);
	MD5Update(&ctx, &id, 1);
	MD5Update(&ctx, (const uint8_t *)"secret", 6);
	MD5Update(&ctx, chal + 1, 8);
	MD5Final(want, &ctx);
	assert_int_equal(r.data[0], 16);
	assert_memory_equal(r.data + 1, want, 16);
	assert_int_equal(r.len, 1 + 16 + 5);
	assert_memory_equal(r.data + 17, "alice", 5);
	/* Success: on to IPCP */
	lns_send(CHAP, 3, id, "ok", 2);
	assert_int_equal(next_pkt(IPCP, &r), 0);
	assert_int_equal(r.code, CP_CONF_REQ);
	/* A new Challenge later (RFC 1994 3): answered; a Failure after
	 * the Success does not count */
	lns_send(CHAP, 1, id + 1, chal, sizeof(chal));
	assert_int_equal(next_pkt(CHAP, &r), 0);
	assert_int_equal(r.code, 2);
	assert_int_equal(r.id, id + 1);
	fails = stats->outgoing_auth_failures;
	lns_send(CHAP, 4, id + 1, "no", 2);
	assert_int_equal(stats->outgoing_auth_failures, fails);
	pppc_end(s);
}

/* MS-CHAPv2 up to the LNS's Success carrying `good` or a wrong proof. */
static void
mschap_success(int good)
{
	static const uint8_t ms[] = { 3, 5, 0xc2, 0x23, 0x81 };
	uint8_t chal[1 + 16], hash[16];
	char auth[MSCHAP2_AUTH_LEN + 1], msg[64];
	uint64_t fails = stats->outgoing_auth_failures;
	struct pkt r;
	int i;

	lcp_up(OUT_AUTH_MSCHAPV2, 0, ms, sizeof(ms));
	chal[0] = 16;
	for (i = 0; i < 16; i++)
		chal[1 + i] = (uint8_t)(0xa0 + i);
	lns_send(CHAP, 1, 9, chal, sizeof(chal));
	assert_int_equal(next_pkt(CHAP, &r), 0);
	assert_int_equal(r.code, 2);
	/* RFC 2759 4: Value-Size 49: Peer-Challenge, 8 zero, NT-Response,
	 * Flags 0; then the Name */
	assert_int_equal(r.data[0], 49);
	assert_memory_equal(r.data + 17, "\0\0\0\0\0\0\0\0", 8);
	assert_int_equal(r.data[49], 0);
	assert_memory_equal(r.data + 50, "alice", 5);
	mschap2_nt_hash((const uint8_t *)"secret", 6, hash);
	mschap2_auth_response(hash, r.data + 25, r.data + 1, chal + 1, "alice",
	    auth);
	if (!good)
		auth[5] = auth[5] == '0' ? '1' : '0';
	snprintf(msg, sizeof(msg), "%s M=welcome", auth);
	lns_send(CHAP, 3, 9, msg, strlen(msg));
	if (good) {
		assert_int_equal(next_pkt(IPCP, &r), 0);
		assert_int_equal(stats->outgoing_auth_failures, fails);
	} else {
		/* No IPCP: the LNS did not prove it knows the password. */
		assert_int_equal(next_pkt(IPCP, &r), -1);
		assert_int_equal(stats->outgoing_auth_failures, fails + 1);
	}
	pppc_end(s);
}

static void
test_mschapv2_authenticator_checked(void **state)
{
	(void)state;
	mschap_success(1);
	mschap_success(0);
}

static void
test_ipcp_takes_naked_address_and_dns(void **state)
{
	static const uint8_t none[] = { 5, 6, 9, 9, 9, 9 };
	static const uint8_t lns_req[] = { 3, 6, 192, 0, 2, 77 };
	static const uint8_t want0[] = { 3, 6, 0, 0, 0, 0, 129, 6, 0, 0, 0, 0,
	    131, 6, 0, 0, 0, 0 };
	static const uint8_t nak[] = { 3, 6, 203, 0, 113, 5,
	    129, 6, 192, 0, 2, 53, 131, 6, 192, 0, 2, 54 };
	struct pkt r, req0;

	(void)state;
	lcp_up(OUT_AUTH_ALL, 1, none, sizeof(none));	/* no auth asked */
	/* RFC 1332 3.3 / RFC 1877: 0.0.0.0 and zero DNS asked for */
	assert_int_equal(next_pkt(IPCP, &req0), 0);
	assert_int_equal(req0.code, CP_CONF_REQ);
	assert_int_equal(req0.len, sizeof(want0));
	assert_memory_equal(req0.data, want0, sizeof(want0));
	/* The LNS's own request (its address, and compression): the
	 * compression is rejected */
	lns_send(IPCP, CP_CONF_REQ, 1, ((uint8_t[]){ 3, 6, 192, 0, 2, 77,
	    2, 6, 0, 0x2d, 0x0f, 0x01 }), 12);
	assert_int_equal(next_pkt(IPCP, &r), 0);
	assert_int_equal(r.code, CP_CONF_REJ);
	assert_int_equal(r.len, 6);
	assert_int_equal(r.data[0], 2);
	/* Nak with our address and DNS: asked again with them */
	lns_send(IPCP, CP_CONF_NAK, req0.id, nak, sizeof(nak));
	{
		struct pkt q;

		assert_int_equal(next_pkt(IPCP, &q), 0);
		assert_int_equal(q.code, CP_CONF_REQ);
		assert_int_equal(q.len, sizeof(nak));
		assert_memory_equal(q.data, nak, sizeof(nak));
		lns_send(IPCP, CP_CONF_ACK, q.id, q.data, q.len);
	}
	assert_false(pppc_ip_up(s));
	lns_send(IPCP, CP_CONF_REQ, 2, lns_req, sizeof(lns_req));
	assert_int_equal(next_pkt(IPCP, &r), 0);
	assert_int_equal(r.code, CP_CONF_ACK);
	assert_true(pppc_ip_up(s));
	assert_int_equal(session_get(s)->ip, htonl(0xcb007105));
	assert_int_equal(session_get(s)->dns1, htonl(0xc0000235));
	assert_int_equal(session_get(s)->dns2, htonl(0xc0000236));
	/* Echo-Request from the LNS: answered with our magic */
	lns_send(LCP, CP_ECHO_REQ, 7, "\0\0\0\0ping", 8);
	assert_int_equal(next_pkt(LCP, &r), 0);
	assert_int_equal(r.code, CP_ECHO_REP);
	assert_int_equal(r.id, 7);
	assert_memory_equal(r.data + 4, "ping", 4);
	/* A protocol we do not run: Protocol-Reject (RFC 1661 5.7) */
	{
		uint8_t f[] = { 0xff, 0x03, 0x80, 0x57, 1, 1, 0, 4 };

		pppc_input(s, f, sizeof(f));
		assert_int_equal(next_pkt(LCP, &r), 0);
		assert_int_equal(r.code, CP_PROTO_REJ);
		assert_int_equal(r.data[0], 0x80);
		assert_int_equal(r.data[1], 0x57);
	}
	pppc_end(s);
	assert_int_equal(session_get(s)->ip, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lcp_auth_acked_naked_rejected),
		cmocka_unit_test(test_chap_md5_response),
		cmocka_unit_test(test_mschapv2_authenticator_checked),
		cmocka_unit_test(test_ipcp_takes_naked_address_and_dns),
	};

	alarm(30);
	return cmocka_run_group_tests(tests, setup, NULL);
}
