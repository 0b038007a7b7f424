/*
 * test_lacsim_ppp.c - the LAC simulator's PPP client and traffic code
 * (test/lacsim/ppp_wire.c, ppp_client.c, traffic.c), driven with
 * hand-made frames: frame and packet parsing, the LCP answer to the LNS's
 * Configure-Request (Ack, Nak, Reject), Nak and Reject of our requests,
 * PAP frame layout, CHAP-MD5 known answers, IPCP with the DNS options,
 * IPV6CP, echo, termination, rejects, the Restart timer, malformed
 * lengths, and IPv4/UDP/ICMP building and checksums.
 *
 * The expected MD5 values are RFC 1321's own test suite (MD5("abc"),
 * MD5("message digest")) and one computed apart from this code with
 * Python's hashlib; the UDP datagram was built and checksummed by an
 * independent Python script.  Every test runs under an alarm (STYLE 14).
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

#include "ppp_client.h"
#include "ppp_wire.h"
#include "traffic.h"

#define TEST_TIMEOUT	10
#define T0		1000000000ULL	/* "now" in microseconds */
#define RESTART		3000000ULL

/* ---- a fake owner: records what the client sends and reports ---- */

struct sent {
	uint16_t	 proto;
	size_t		 len;
	uint8_t		 buf[1600];
};

struct evrec {
	enum ppp_ev_type type;
	char		 text[256];
	int		 clean;
	uint16_t	 rej_proto;
	int		 rej_code;
};

static struct sent	 sent[64];
static int		 nsent;
static struct evrec	 evs[128];
static int		 nevs;
static int		 nip;
static uint8_t		 rnd;
static struct ppp_conf	 conf;
static struct ppp	 pp;

static void
t_send(struct ppp *p, uint16_t proto, const uint8_t *b, size_t n)
{
	assert_true(nsent < (int)(sizeof(sent) / sizeof(sent[0])));
	assert_true(n <= sizeof(sent[0].buf));
	sent[nsent].proto = proto;
	sent[nsent].len = n;
	memcpy(sent[nsent].buf, b, n);
	nsent++;
}

static void
t_event(struct ppp *p, const struct ppp_event *e)
{
	struct evrec *r;

	if (e->type == PPP_EV_STATE || e->type == PPP_EV_RX ||
	    e->type == PPP_EV_TX)
		return;
	assert_true(nevs < (int)(sizeof(evs) / sizeof(evs[0])));
	r = &evs[nevs++];
	memset(r, 0, sizeof(*r));
	r->type = e->type;
	if (e->text != NULL)
		snprintf(r->text, sizeof(r->text), "%s", e->text);
	r->clean = e->clean;
	r->rej_proto = e->rej_proto;
	r->rej_code = e->rej_code;
}

static void
t_ip(struct ppp *p, const uint8_t *b, size_t n)
{
	nip++;
}

static size_t
t_user(struct ppp *p, char *buf, size_t cap)
{
	return (size_t)snprintf(buf, cap, "user1");
}

/* Deterministic "random": never zero for long. */
static void
t_random(void *p, size_t n)
{
	uint8_t *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		b[i] = (uint8_t)(0x11 * ++rnd);
}

static int
setup(void **state)
{
	(void)state;
	alarm(TEST_TIMEOUT);
	assert_int_equal(lt_heap_init(64), 0);
	memset(&conf, 0, sizeof(conf));
	conf.auth = PPP_PROTO_PAP;
	conf.password = "password";
	conf.password_len = 8;
	conf.mru = 1460;
	conf.restart_us = RESTART;
	conf.max_configure = 10;
	conf.max_terminate = 2;
	conf.max_failure = 5;
	conf.send = t_send;
	conf.event = t_event;
	conf.ip_input = t_ip;
	conf.user = t_user;
	conf.random = t_random;
	nsent = nevs = nip = 0;
	rnd = 0;
	ppp_init(&pp, &conf, NULL);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	lt_heap_free();
	alarm(0);
	return 0;
}

/* ---- helpers ---- */

/* A frame from the LNS: FF 03, the protocol, the hex bytes. */
static void
feed(uint16_t proto, const char *hex)
{
	uint8_t buf[1600];
	size_t n;

	buf[0] = 0xff;
	buf[1] = 0x03;
	buf[2] = (uint8_t)(proto >> 8);
	buf[3] = (uint8_t)proto;
	n = unit_unhex(hex, buf + 4, sizeof(buf) - 4);
	ppp_input(&pp, buf, n + 4, T0);
}

static void
expect_sent(int i, uint16_t proto, const char *hex)
{
	uint8_t want[1600];
	size_t n = unit_unhex(hex, want, sizeof(want));

	assert_true(i < nsent);
	assert_int_equal(sent[i].proto, proto);
	assert_int_equal(sent[i].len, n);
	assert_memory_equal(sent[i].buf, want, n);
}

static int
count_ev(enum ppp_ev_type t)
{
	int i, n = 0;

	for (i = 0; i < nevs; i++)
		n += evs[i].type == t;
	return n;
}

static const struct evrec *
find_ev(enum ppp_ev_type t)
{
	int i;

	for (i = nevs - 1; i >= 0; i--)
		if (evs[i].type == t)
			return &evs[i];
	return NULL;
}

/* The LNS acknowledges the last request we sent for proto, verbatim. */
static void
ack_last(uint16_t proto)
{
	uint8_t buf[1600];
	int i;

	for (i = nsent - 1; i >= 0; i--)
		if (sent[i].proto == proto && sent[i].buf[0] == CP_CONF_REQ)
			break;
	assert_true(i >= 0);
	buf[0] = 0xff;
	buf[1] = 0x03;
	buf[2] = (uint8_t)(proto >> 8);
	buf[3] = (uint8_t)proto;
	memcpy(buf + 4, sent[i].buf, sent[i].len);
	buf[4] = CP_CONF_ACK;
	ppp_input(&pp, buf, sent[i].len + 4, T0);
}

/* LCP opened, authentication (if any) as the LNS asks. */
static void
open_lcp(const char *lns_req)
{
	ppp_start(&pp, T0);
	ack_last(PPP_PROTO_LCP);
	feed(PPP_PROTO_LCP, lns_req);
	assert_int_equal(pp.fsm[CP_LCP].state, CPS_OPENED);
}

/* LCP and PAP done, IPCP Opened with 192.0.2.10 and DNS. */
static void
open_all(void)
{
	open_lcp("01 01 000e 0304c023 0506 12345678");
	feed(PPP_PROTO_PAP, "02 01 0005 00");
	feed(PPP_PROTO_IPCP,
	    "03 01 0016 0306 c000020a 8106 c6336401 8306 c6336402");
	feed(PPP_PROTO_IPCP, "01 07 000a 0306 c0000201");
	ack_last(PPP_PROTO_IPCP);
	assert_int_equal(pp.fsm[CP_IPCP].state, CPS_OPENED);
}

/* ---- wire: frames, packets, options ---- */

static void
test_frame_parse(void **state)
{
	static const uint8_t full[] = { 0xff, 0x03, 0xc0, 0x21, 9 };
	static const uint8_t bare[] = { 0x80, 0x21, 1, 2 };
	static const uint8_t pfc[] = { 0xff, 0x03, 0x21, 0x45 };
	static const uint8_t pfc_bare[] = { 0x57, 0x60 };
	static const uint8_t cut[] = { 0xff, 0x03, 0xc0 };
	static const uint8_t empty[] = { 0xff, 0x03 };
	struct ppp_frame f;
	const char *why;
	struct rd r;

	(void)state;
	rd_init(&r, full, sizeof(full));
	assert_int_equal(ppp_frame_parse(&r, &f, &why), 0);
	assert_int_equal(f.proto, PPP_PROTO_LCP);
	assert_true(f.has_ac);
	assert_false(f.short_proto);
	assert_int_equal(f.info.left, 1);

	rd_init(&r, bare, sizeof(bare));
	assert_int_equal(ppp_frame_parse(&r, &f, &why), 0);
	assert_int_equal(f.proto, PPP_PROTO_IPCP);
	assert_false(f.has_ac);
	assert_int_equal(f.info.left, 2);

	/* RFC 1661 6.5: a one-octet protocol field. */
	rd_init(&r, pfc, sizeof(pfc));
	assert_int_equal(ppp_frame_parse(&r, &f, &why), 0);
	assert_int_equal(f.proto, PPP_PROTO_IP);
	assert_true(f.short_proto);
	assert_int_equal(f.info.left, 1);
	assert_int_equal(f.info.p[0], 0x45);

	rd_init(&r, pfc_bare, sizeof(pfc_bare));
	assert_int_equal(ppp_frame_parse(&r, &f, &why), 0);
	assert_int_equal(f.proto, PPP_PROTO_IPV6);
	assert_false(f.has_ac);

	rd_init(&r, cut, sizeof(cut));
	assert_int_equal(ppp_frame_parse(&r, &f, &why), -1);
	rd_init(&r, empty, sizeof(empty));
	assert_int_equal(ppp_frame_parse(&r, &f, &why), -1);

	/* RFC 1661 2: odd low octet, even high octet. */
	assert_true(ppp_proto_valid(PPP_PROTO_LCP));
	assert_true(ppp_proto_valid(PPP_PROTO_IP));
	assert_false(ppp_proto_valid(0xc022));
	assert_false(ppp_proto_valid(0x0121));
}

static void
test_cp_parse_lengths(void **state)
{
	static const uint8_t ok_pad[] = { 1, 7, 0, 8, 1, 4, 5, 0xdc, 0xee,
	    0xee };
	static const uint8_t short_len[] = { 1, 7, 0, 3 };
	static const uint8_t long_len[] = { 1, 7, 0, 9, 1, 4, 5, 0xdc };
	static const uint8_t cut_hdr[] = { 1, 7, 0 };
	struct cp_pkt pk;
	const char *why;
	struct rd r;

	(void)state;
	/* RFC 1661 5: octets beyond Length are padding. */
	rd_init(&r, ok_pad, sizeof(ok_pad));
	assert_int_equal(cp_parse(&r, &pk, &why), 0);
	assert_int_equal(pk.code, 1);
	assert_int_equal(pk.id, 7);
	assert_int_equal(pk.data.left, 4);

	rd_init(&r, short_len, sizeof(short_len));
	assert_int_equal(cp_parse(&r, &pk, &why), -1);
	rd_init(&r, long_len, sizeof(long_len));
	assert_int_equal(cp_parse(&r, &pk, &why), -1);
	rd_init(&r, cut_hdr, sizeof(cut_hdr));
	assert_int_equal(cp_parse(&r, &pk, &why), -1);
}

static void
test_options_iter(void **state)
{
	static const uint8_t good[] = { 1, 4, 5, 0xdc, 7, 2, 5, 6, 1, 2, 3,
	    4 };
	static const uint8_t zero_len[] = { 1, 4, 5, 0xdc, 3, 0 };
	static const uint8_t one_len[] = { 7, 1 };
	static const uint8_t past[] = { 5, 6, 1, 2, 3 };
	static const uint8_t half[] = { 1 };
	struct cp_opt o;
	const char *why;
	struct rd r;
	uint16_t v16;
	uint32_t v32;

	(void)state;
	rd_init(&r, good, sizeof(good));
	assert_int_equal(cp_opt_next(&r, &o, &why), 1);
	assert_int_equal(o.type, 1);
	assert_int_equal(o.len, 4);
	assert_int_equal(rd_u16(&o.val, &v16), 0);
	assert_int_equal(v16, 1500);
	assert_int_equal(cp_opt_next(&r, &o, &why), 1);
	assert_int_equal(o.type, 7);
	assert_int_equal(o.val.left, 0);
	assert_int_equal(cp_opt_next(&r, &o, &why), 1);
	assert_int_equal(rd_u32(&o.val, &v32), 0);
	assert_int_equal(v32, 0x01020304);
	assert_int_equal(cp_opt_next(&r, &o, &why), 0);

	rd_init(&r, good, sizeof(good));
	assert_int_equal(cp_opts_check(&r, &why), 0);
	rd_init(&r, zero_len, sizeof(zero_len));
	assert_int_equal(cp_opts_check(&r, &why), -1);
	rd_init(&r, one_len, sizeof(one_len));
	assert_int_equal(cp_opts_check(&r, &why), -1);
	rd_init(&r, past, sizeof(past));
	assert_int_equal(cp_opts_check(&r, &why), -1);
	rd_init(&r, half, sizeof(half));
	assert_int_equal(cp_opts_check(&r, &why), -1);
}

/* ---- LCP ---- */

/* MRU and Magic-Number, nothing else (RFC 1661 5.1, 6.1, 6.4). */
static void
test_lcp_first_request(void **state)
{
	(void)state;
	ppp_start(&pp, T0);
	assert_int_equal(nsent, 1);
	assert_int_equal(pp.fsm[CP_LCP].state, CPS_REQSENT);
	assert_true(pp.magic != 0);
	expect_sent(0, PPP_PROTO_LCP, "01 01 000e 0104 05b4 0506 44332211");
	assert_int_equal(pp.magic, 0x44332211);
}

static void
test_lcp_unknown_option_sent(void **state)
{
	(void)state;
	conf.lcp_test_opt = 1;
	ppp_start(&pp, T0);
	expect_sent(0, PPP_PROTO_LCP,
	    "01 01 0012 0104 05b4 0506 44332211 7f04 6c73");
	/* The LNS rejects it: the next request goes without it. */
	feed(PPP_PROTO_LCP, "04 01 0008 7f04 6c73");
	assert_true(pp.lcp_rejected & LW_TEST);
	expect_sent(1, PPP_PROTO_LCP, "01 02 000e 0104 05b4 0506 44332211");
	assert_int_equal(count_ev(PPP_EV_ERROR), 0);
}

/* 5.2: an acceptable request is acked with the options unchanged. */
static void
test_lcp_ack_lns_request(void **state)
{
	(void)state;
	ppp_start(&pp, T0);
	feed(PPP_PROTO_LCP, "01 05 0016 0104 05dc 0304 c023 0506 cafebabe "
	    "0702 0802");
	expect_sent(1, PPP_PROTO_LCP, "02 05 0016 0104 05dc 0304 c023 0506 "
	    "cafebabe 0702 0802");
	assert_int_equal(pp.fsm[CP_LCP].state, CPS_ACKSENT);
	assert_int_equal(pp.peer_mru, 1500);
	assert_int_equal(pp.peer_magic, 0xcafebabe);
	assert_int_equal(pp.auth_proto, PPP_PROTO_PAP);
	assert_int_equal(count_ev(PPP_EV_ERROR), 0);
}

/* 5.3: an auth protocol we are not configured for: Nak with ours. */
static void
test_lcp_nak_auth(void **state)
{
	(void)state;
	ppp_start(&pp, T0);
	feed(PPP_PROTO_LCP, "01 05 0013 0104 05dc 0305 c22305 0506 cafebabe");
	expect_sent(1, PPP_PROTO_LCP, "03 05 0008 0304 c023");
	assert_int_equal(pp.fsm[CP_LCP].state, CPS_REQSENT);
	/* Nothing of a refused request is kept. */
	assert_int_equal(pp.auth_proto, 0);
	assert_int_equal(pp.peer_magic, 0);
}

static void
test_lcp_nak_chap_algorithm(void **state)
{
	(void)state;
	conf.auth = PPP_PROTO_CHAP;
	ppp_start(&pp, T0);
	/* CHAP with algorithm 0x81 (MS-CHAPv2): Nak with MD5. */
	feed(PPP_PROTO_LCP, "01 06 0009 0305 c22381");
	expect_sent(1, PPP_PROTO_LCP, "03 06 0009 0305 c22305");
	/* PAP while we want CHAP. */
	feed(PPP_PROTO_LCP, "01 07 0008 0304 c023");
	expect_sent(2, PPP_PROTO_LCP, "03 07 0009 0305 c22305");
	/* CHAP-MD5: acked. */
	feed(PPP_PROTO_LCP, "01 08 0009 0305 c22305");
	expect_sent(3, PPP_PROTO_LCP, "02 08 0009 0305 c22305");
	assert_int_equal(pp.auth_proto, PPP_PROTO_CHAP);
}

/* 5.4: unknown options rejected, unmodified and in order; no Nak. */
static void
test_lcp_reject_unknown(void **state)
{
	(void)state;
	ppp_start(&pp, T0);
	feed(PPP_PROTO_LCP, "01 09 001a 0104 05dc 0408 c0250000 0bb8 "
	    "4205 aabbcc 0305 c22305");
	expect_sent(1, PPP_PROTO_LCP, "04 09 0011 0408 c0250000 0bb8 "
	    "4205 aabbcc");
	/* 5.4: the LNS MUST NOT send them again. */
	feed(PPP_PROTO_LCP, "01 0a 000d 0104 05dc 4205 aabbcc");
	assert_int_equal(count_ev(PPP_EV_ERROR), 1);
	/* A retransmission of the same request is no breach. */
	nevs = 0;
	feed(PPP_PROTO_LCP, "01 0a 000d 0104 05dc 4205 aabbcc");
	assert_int_equal(count_ev(PPP_EV_ERROR), 0);
}

/*
 * Our Configure-Reject lost on the way: the LNS resends the same request
 * on its Restart timer under a new Identifier (5.1).  That is no breach
 * of 5.4; it is rejected again.
 */
static void
test_lcp_reject_lost(void **state)
{
	(void)state;
	ppp_start(&pp, T0);
	feed(PPP_PROTO_LCP, "01 01 000f 0104 05d6 1104 05d6 1303 00");
	expect_sent(1, PPP_PROTO_LCP, "04 01 000b 1104 05d6 1303 00");
	feed(PPP_PROTO_LCP, "01 02 000f 0104 05d6 1104 05d6 1303 00");
	assert_int_equal(count_ev(PPP_EV_ERROR), 0);
	expect_sent(2, PPP_PROTO_LCP, "04 02 000b 1104 05d6 1303 00");
	/* Heard, then one option back with the others changed: a breach. */
	feed(PPP_PROTO_LCP, "01 03 000c 0104 05dc 1104 05d6");
	assert_int_equal(count_ev(PPP_EV_ERROR), 1);
}

/* 6.4: a zero Magic-Number is Nak'd, so is our own. */
static void
test_lcp_magic(void **state)
{
	(void)state;
	ppp_start(&pp, T0);
	feed(PPP_PROTO_LCP, "01 02 000a 0506 00000000");
	assert_int_equal(sent[1].buf[0], CP_CONF_NAK);
	assert_int_equal(sent[1].len, 10);
	assert_int_equal(sent[1].buf[4], LCP_OPT_MAGIC);
	assert_true(memcmp(sent[1].buf + 6, "\0\0\0\0", 4) != 0);
	feed(PPP_PROTO_LCP, "01 03 000a 0506 44332211");
	assert_int_equal(sent[2].buf[0], CP_CONF_NAK);
	assert_true(memcmp(sent[2].buf + 6, "\x44\x33\x22\x11", 4) != 0);
	/* Our magic Nak'd by the LNS: a new one in the next request. */
	feed(PPP_PROTO_LCP, "03 01 000a 0506 44332211");
	assert_int_equal(sent[3].buf[0], CP_CONF_REQ);
	assert_true(pp.magic != 0x44332211 && pp.magic != 0);
}

static void
test_lcp_reject_mru_switch(void **state)
{
	(void)state;
	conf.reject_mru = 1;
	ppp_start(&pp, T0);
	feed(PPP_PROTO_LCP, "01 04 000e 0104 05dc 0506 cafebabe");
	expect_sent(1, PPP_PROTO_LCP, "04 04 0008 0104 05dc");
	feed(PPP_PROTO_LCP, "01 05 000a 0506 cafebabe");
	expect_sent(2, PPP_PROTO_LCP, "02 05 000a 0506 cafebabe");
	assert_int_equal(count_ev(PPP_EV_ERROR), 0);
	assert_int_equal(pp.peer_mru, 1500);
}

/* Our request Nak'd and rejected by the LNS. */
static void
test_lcp_nak_reject_of_ours(void **state)
{
	(void)state;
	ppp_start(&pp, T0);
	feed(PPP_PROTO_LCP, "03 01 0008 0104 0578");
	assert_int_equal(pp.mru, 1400);
	expect_sent(1, PPP_PROTO_LCP, "01 02 000e 0104 0578 0506 44332211");
	/* A Nak for an old Identifier is discarded. */
	feed(PPP_PROTO_LCP, "03 01 0008 0104 0500");
	assert_int_equal(nsent, 2);
	assert_int_equal(pp.mru, 1400);
	/* A Reject that is no subset of our request: error, ignored. */
	feed(PPP_PROTO_LCP, "04 02 0008 0104 05dc");
	assert_int_equal(count_ev(PPP_EV_ERROR), 1);
	assert_int_equal(nsent, 2);
	/* Reject of MRU and magic: an empty request follows. */
	feed(PPP_PROTO_LCP, "04 02 000e 0104 0578 0506 44332211");
	expect_sent(2, PPP_PROTO_LCP, "01 03 0004");
	assert_true(pp.lcp_rejected & LW_MRU);
	assert_true(pp.lcp_rejected & LW_MAGIC);
}

/* 5.2: an Ack must repeat our request exactly. */
static void
test_lcp_bad_ack(void **state)
{
	(void)state;
	ppp_start(&pp, T0);
	feed(PPP_PROTO_LCP, "02 01 000e 0104 05dc 0506 44332211");
	assert_int_equal(count_ev(PPP_EV_ERROR), 1);
	assert_int_equal(pp.fsm[CP_LCP].state, CPS_REQSENT);
	ack_last(PPP_PROTO_LCP);
	assert_int_equal(pp.fsm[CP_LCP].state, CPS_ACKRCVD);
}

/* RFC 1661 5, 6: malformed lengths are discarded, nothing answered. */
static void
test_malformed_lengths(void **state)
{
	uint8_t frame[] = { 0xff, 0x03, 0xc0, 0x21, 1, 1, 0, 8, 1, 4, 5 };

	(void)state;
	ppp_start(&pp, T0);
	/* Length beyond the frame. */
	ppp_input(&pp, frame, sizeof(frame), T0);
	/* Length below 4. */
	feed(PPP_PROTO_LCP, "01 01 0003");
	/* An option running past the packet. */
	feed(PPP_PROTO_LCP, "01 01 000a 0104 05dc 0506 1234");
	/* An option of Length 1. */
	feed(PPP_PROTO_LCP, "01 01 0006 0701");
	/* MRU with Length 3: Nak'd with a proper one (RFC 1661 6). */
	assert_int_equal(nsent, 1);
	assert_int_equal(count_ev(PPP_EV_ERROR), 4);
	feed(PPP_PROTO_LCP, "01 02 0007 0103 05");
	expect_sent(1, PPP_PROTO_LCP, "03 02 0008 0104 05dc");
	/* A frame with no protocol at all. */
	frame[2] = 0xc0;
	ppp_input(&pp, frame, 3, T0);
	assert_int_equal(count_ev(PPP_EV_ERROR), 6);
	assert_int_equal(pp.fsm[CP_LCP].state, CPS_REQSENT);
}

static void
test_restart_timer(void **state)
{
	int i;

	(void)state;
	ppp_start(&pp, T0);
	/* 4.6: Max-Configure transmissions, a new Identifier each. */
	for (i = 1; i < 10; i++) {
		lt_run(T0 + (uint64_t)i * RESTART);
		assert_int_equal(nsent, i + 1);
		assert_int_equal(sent[i].buf[1], i + 1);
	}
	lt_run(T0 + 10 * RESTART);
	assert_int_equal(nsent, 10);
	assert_int_equal(pp.fsm[CP_LCP].state, CPS_STOPPED);
	assert_int_equal(count_ev(PPP_EV_FINISHED), 1);
	assert_string_equal(find_ev(PPP_EV_DOWN)->text, "lcp_timeout");
	assert_string_equal(find_ev(PPP_EV_FAILED)->text, "lcp_timeout");
}

/* ---- PAP, RFC 1334 2.2 ---- */

static void
test_pap_layout(void **state)
{
	uint8_t buf[64];
	struct wr w;

	(void)state;
	wr_init(&w, buf, sizeof(buf));
	assert_int_equal(pap_build_request(&w, 9, "bob", 3, "pw", 2), 0);
	assert_int_equal(w.len, 11);
	assert_memory_equal(buf, "\x01\x09\x00\x0b\x03" "bob" "\x02" "pw", 11);

	open_lcp("01 01 000e 0304c023 0506 12345678");
	assert_int_equal(count_ev(PPP_EV_LCP_UP), 1);
	assert_int_equal(pp.phase, PPP_AUTHENTICATE);
	/* Authenticate-Request: Peer-ID "user1", Password "password". */
	assert_int_equal(sent[nsent - 1].proto, PPP_PROTO_PAP);
	expect_sent(nsent - 1, PPP_PROTO_PAP,
	    "01 01 0013 05 7573657231 08 70617373776f7264");
	/* Retransmitted with a new Identifier until a reply comes. */
	lt_run(T0 + RESTART);
	expect_sent(nsent - 1, PPP_PROTO_PAP,
	    "01 02 0013 05 7573657231 08 70617373776f7264");
	/* The Ack of the first copy is stale now. */
	feed(PPP_PROTO_PAP, "02 01 0005 00");
	assert_int_equal(count_ev(PPP_EV_AUTH_OK), 0);
	feed(PPP_PROTO_PAP, "02 02 000c 07 57656c636f6d65");
	assert_int_equal(count_ev(PPP_EV_AUTH_OK), 1);
	assert_string_equal(find_ev(PPP_EV_AUTH_OK)->text, "Welcome");
	assert_int_equal(pp.phase, PPP_NETWORK);
	/* And IPCP starts. */
	assert_int_equal(sent[nsent - 1].proto, PPP_PROTO_IPCP);
}

static void
test_pap_nak(void **state)
{
	(void)state;
	open_lcp("01 01 0008 0304c023");
	feed(PPP_PROTO_PAP, "03 01 0011 0c 426164207061737377726f64");
	assert_int_equal(count_ev(PPP_EV_AUTH_FAIL), 1);
	assert_string_equal(find_ev(PPP_EV_AUTH_FAIL)->text, "Bad passwrod");
	assert_string_equal(find_ev(PPP_EV_FAILED)->text, "auth_failed");
	assert_int_equal(pp.auth_state, AUTH_FAILED);
	/* Msg-Length past the packet: malformed. */
	nevs = 0;
	feed(PPP_PROTO_PAP, "03 01 0006 05 41");
	assert_int_equal(count_ev(PPP_EV_ERROR), 1);
	/* The LNS then terminates the link (RFC 1334 2.2.2). */
	feed(PPP_PROTO_LCP, "05 09 0004");
	expect_sent(nsent - 1, PPP_PROTO_LCP, "06 09 0004");
	/* Never up: the link's end is reported after a Restart period. */
	assert_null(find_ev(PPP_EV_DOWN));
	lt_run(T0 + RESTART);
	assert_non_null(find_ev(PPP_EV_DOWN));
	assert_string_equal(find_ev(PPP_EV_DOWN)->text, "auth_failed");
	assert_int_equal(count_ev(PPP_EV_FINISHED), 1);
}

/* ---- CHAP, RFC 1994 ---- */

static void
test_chap_md5_known_answers(void **state)
{
	static const uint8_t abc[16] = { 0x90, 0x01, 0x50, 0x98, 0x3c, 0xd2,
	    0x4f, 0xb0, 0xd6, 0x96, 0x3f, 0x7d, 0x28, 0xe1, 0x7f, 0x72 };
	static const uint8_t md[16] = { 0xf9, 0x6b, 0x69, 0x7d, 0x7c, 0xb7,
	    0x93, 0x8d, 0x52, 0x5a, 0x2f, 0x31, 0xaa, 0xf1, 0x61, 0xd0 };
	uint8_t out[16];

	(void)state;
	/* RFC 1321 A.5: MD5("abc"), split as Identifier 'a', "b", "c". */
	chap_md5('a', "b", 1, (const uint8_t *)"c", 1, out);
	assert_memory_equal(out, abc, 16);
	/* MD5("message digest"). */
	chap_md5('m', "essage", 6, (const uint8_t *)" digest", 7, out);
	assert_memory_equal(out, md, 16);
}

static void
test_chap_response(void **state)
{
	(void)state;
	conf.auth = PPP_PROTO_CHAP;
	open_lcp("01 01 0009 0305 c22305");
	assert_int_equal(pp.phase, PPP_AUTHENTICATE);
	/* Challenge: Identifier 0x2a, Value 00..0f, Name "lns". */
	feed(PPP_PROTO_CHAP, "01 2a 0018 10 000102030405060708090a0b0c0d0e0f "
	    "6c6e73");
	/* hashlib.md5(b'\x2a' + b'password' + bytes(range(16))). */
	expect_sent(nsent - 1, PPP_PROTO_CHAP, "02 2a 001a 10 "
	    "3e0949a5572c2d338c182b7f6377471d 7573657231");
	/* Success with another Identifier: a breach, ignored. */
	feed(PPP_PROTO_CHAP, "03 2b 0004");
	assert_int_equal(count_ev(PPP_EV_ERROR), 1);
	assert_int_equal(count_ev(PPP_EV_AUTH_OK), 0);
	feed(PPP_PROTO_CHAP, "03 2a 0008 57656c63");
	assert_int_equal(count_ev(PPP_EV_AUTH_OK), 1);
	assert_string_equal(find_ev(PPP_EV_AUTH_OK)->text, "Welc");
	assert_int_equal(pp.phase, PPP_NETWORK);
}

static void
test_chap_failure_and_malformed(void **state)
{
	(void)state;
	conf.auth = PPP_PROTO_CHAP;
	open_lcp("01 01 0009 0305 c22305");
	/* Value-Size 0, then a Value running past the packet. */
	feed(PPP_PROTO_CHAP, "01 01 0005 00");
	feed(PPP_PROTO_CHAP, "01 01 0008 10 616263");
	assert_int_equal(count_ev(PPP_EV_ERROR), 2);
	feed(PPP_PROTO_CHAP, "01 02 0009 04 01020304");
	assert_int_equal(sent[nsent - 1].proto, PPP_PROTO_CHAP);
	feed(PPP_PROTO_CHAP, "04 02 000a 6e6f7065 2121");
	assert_int_equal(count_ev(PPP_EV_AUTH_FAIL), 1);
	assert_string_equal(find_ev(PPP_EV_AUTH_FAIL)->text, "nope!!");
}

/* ---- IPCP, RFC 1332 and 1877 ---- */

static void
test_ipcp_nak_address_dns(void **state)
{
	const struct evrec *e;

	(void)state;
	open_lcp("01 01 000e 0304c023 0506 12345678");
	feed(PPP_PROTO_PAP, "02 01 0005 00");
	/* IP-Address, Primary and Secondary DNS, all 0.0.0.0. */
	expect_sent(nsent - 1, PPP_PROTO_IPCP,
	    "01 01 0016 0306 00000000 8106 00000000 8306 00000000");
	feed(PPP_PROTO_IPCP,
	    "03 01 0016 0306 c000020a 8106 c6336401 8306 c6336402");
	expect_sent(nsent - 1, PPP_PROTO_IPCP,
	    "01 02 0016 0306 c000020a 8106 c6336401 8306 c6336402");
	/* The LNS's own address: acked. */
	feed(PPP_PROTO_IPCP, "01 07 000a 0306 c0000201");
	expect_sent(nsent - 1, PPP_PROTO_IPCP, "02 07 000a 0306 c0000201");
	ack_last(PPP_PROTO_IPCP);
	assert_int_equal(pp.fsm[CP_IPCP].state, CPS_OPENED);
	assert_int_equal(pp.addr, 0xc000020a);
	assert_int_equal(pp.dns1, 0xc6336401);
	assert_int_equal(pp.dns2, 0xc6336402);
	assert_int_equal(pp.peer_addr, 0xc0000201);
	assert_int_equal(count_ev(PPP_EV_UP), 1);
	assert_int_equal(count_ev(PPP_EV_READY), 1);
	assert_int_equal(count_ev(PPP_EV_ERROR), 0);
	e = find_ev(PPP_EV_READY);
	assert_non_null(e);
}

static void
test_ipcp_reject_dns(void **state)
{
	(void)state;
	open_lcp("01 01 0004");
	/* No auth asked: IPCP at once. */
	assert_int_equal(pp.phase, PPP_NETWORK);
	feed(PPP_PROTO_IPCP, "04 01 0010 8106 00000000 8306 00000000");
	expect_sent(nsent - 1, PPP_PROTO_IPCP, "01 02 000a 0306 00000000");
	/* A Nak offering 0.0.0.0 is no answer. */
	feed(PPP_PROTO_IPCP, "03 02 000a 0306 00000000");
	assert_int_equal(count_ev(PPP_EV_ERROR), 1);
	/* A Nak with a hint we never asked for is ignored. */
	feed(PPP_PROTO_IPCP, "03 03 0010 0306 0a000005 8206 0a000001");
	expect_sent(nsent - 1, PPP_PROTO_IPCP, "01 04 000a 0306 0a000005");
	assert_int_equal(pp.dns1, 0);
	/* The LNS's request for our address to give it: refused. */
	feed(PPP_PROTO_IPCP, "01 09 000a 0306 00000000");
	expect_sent(nsent - 1, PPP_PROTO_IPCP, "04 09 000a 0306 00000000");
	/* Its DNS options are not ours to serve: rejected. */
	feed(PPP_PROTO_IPCP, "01 0a 0010 0306 0a000001 8106 00000000");
	expect_sent(nsent - 1, PPP_PROTO_IPCP, "04 0a 000a 8106 00000000");
}

/* IPCP before authentication is over: dropped (RFC 1661 3.5). */
static void
test_ncp_before_network_phase(void **state)
{
	int before;

	(void)state;
	open_lcp("01 01 0008 0304c023");
	before = nsent;
	feed(PPP_PROTO_IPCP, "01 01 000a 0306 0a000001");
	assert_int_equal(nsent, before);
	assert_true(pp.discarded > 0);
	assert_int_equal(count_ev(PPP_EV_ERROR), 0);
}

/* ---- IPV6CP, RFC 5072 4.1 ---- */

static void
test_ipv6cp(void **state)
{
	const struct ppp_fsm *f = &pp.fsm[CP_IPV6CP];
	uint8_t ours[8];
	char hex[64];

	(void)state;
	conf.ipv6 = 1;
	open_lcp("01 01 0004");
	assert_int_equal(sent[nsent - 1].proto, PPP_PROTO_IPV6CP);
	assert_int_equal(sent[nsent - 1].len, 14);
	assert_int_equal(sent[nsent - 1].buf[4], IPV6CP_OPT_IFID);
	memcpy(ours, pp.ifid, 8);
	/* "u" bit clear, non-zero. */
	assert_int_equal(ours[0] & 0x02, 0);
	/* A zero identifier from the LNS: Nak with a suggestion. */
	feed(PPP_PROTO_IPV6CP, "01 01 000e 010a 0000000000000000");
	assert_int_equal(sent[nsent - 1].buf[0], CP_CONF_NAK);
	assert_true(memcmp(sent[nsent - 1].buf + 6, ours, 8) != 0);
	/* Ours repeated by the LNS: Nak too. */
	snprintf(hex, sizeof(hex), "01 02 000e 010a %02x%02x%02x%02x%02x%02x"
	    "%02x%02x", ours[0], ours[1], ours[2], ours[3], ours[4], ours[5],
	    ours[6], ours[7]);
	feed(PPP_PROTO_IPV6CP, hex);
	assert_int_equal(sent[nsent - 1].buf[0], CP_CONF_NAK);
	assert_true(memcmp(sent[nsent - 1].buf + 6, ours, 8) != 0);
	/* A distinct one: acked. */
	feed(PPP_PROTO_IPV6CP, "01 03 000e 010a 0211223344556677");
	expect_sent(nsent - 1, PPP_PROTO_IPV6CP,
	    "02 03 000e 010a 0211223344556677");
	/* The LNS Naks ours with another: taken. */
	feed(PPP_PROTO_IPV6CP, "03 01 000e 010a 0000000000000099");
	assert_memory_equal(pp.ifid, "\0\0\0\0\0\0\0\x99", 8);
	ack_last(PPP_PROTO_IPV6CP);
	assert_int_equal(f->state, CPS_OPENED);
	assert_memory_equal(pp.peer_ifid, "\x02\x11\x22\x33\x44\x55\x66\x77",
	    8);
	assert_int_equal(count_ev(PPP_EV_IPV6_UP), 1);
	/* Ready needs IPCP too. */
	assert_int_equal(count_ev(PPP_EV_READY), 0);
	feed(PPP_PROTO_IPCP, "03 01 0016 0306 c000020a 8106 c6336401 8306 "
	    "c6336402");
	feed(PPP_PROTO_IPCP, "01 07 000a 0306 c0000201");
	ack_last(PPP_PROTO_IPCP);
	assert_int_equal(count_ev(PPP_EV_READY), 1);
}

/* ---- echo, terminate, rejects ---- */

static void
test_echo(void **state)
{
	int n;

	(void)state;
	open_all();
	/* 5.8: our magic, its Identifier, its data. */
	feed(PPP_PROTO_LCP, "09 33 000c 12345678 abcd0102");
	expect_sent(nsent - 1, PPP_PROTO_LCP, "0a 33 000c 44332211 abcd0102");
	assert_int_equal(pp.echo_rx, 1);
	assert_int_equal(pp.echo_tx, 1);
	assert_int_equal(count_ev(PPP_EV_ERROR), 0);
	/* Another magic: a breach (6.4), still answered. */
	feed(PPP_PROTO_LCP, "09 34 0008 87654321");
	assert_int_equal(count_ev(PPP_EV_ERROR), 1);
	expect_sent(nsent - 1, PPP_PROTO_LCP, "0a 34 0008 44332211");
	/* Our own: looped back. */
	feed(PPP_PROTO_LCP, "09 35 0008 44332211");
	assert_int_equal(count_ev(PPP_EV_ERROR), 2);
	/* Echo-Reply and Discard-Request get no answer (5.8, 5.9). */
	n = nsent;
	feed(PPP_PROTO_LCP, "0a 36 0008 12345678");
	feed(PPP_PROTO_LCP, "0b 37 000a 12345678 ffff");
	assert_int_equal(nsent, n);
	assert_int_equal(count_ev(PPP_EV_ERROR), 2);
}

static void
test_echo_ignored(void **state)
{
	int before;

	(void)state;
	conf.no_echo_reply = 1;
	open_all();
	before = nsent;
	feed(PPP_PROTO_LCP, "09 33 0008 12345678");
	assert_int_equal(nsent, before);
	assert_int_equal(pp.echo_ignored, 1);
}

static void
test_terminate_by_lns(void **state)
{
	const struct evrec *e;

	(void)state;
	open_all();
	feed(PPP_PROTO_LCP, "05 44 0004");
	expect_sent(nsent - 1, PPP_PROTO_LCP, "06 44 0004");
	assert_int_equal(pp.fsm[CP_LCP].state, CPS_STOPPING);
	assert_int_equal(pp.fsm[CP_IPCP].state, CPS_STARTING);
	e = find_ev(PPP_EV_DOWN);
	assert_non_null(e);
	assert_string_equal(e->text, "terminate_rx");
	assert_true(e->clean);
	/* 3.7: wait a Restart period, then finished. */
	lt_run(T0 + RESTART);
	assert_int_equal(pp.fsm[CP_LCP].state, CPS_STOPPED);
	assert_int_equal(count_ev(PPP_EV_FINISHED), 1);
	assert_int_equal(count_ev(PPP_EV_DOWN), 1);
}

static void
test_close_by_us(void **state)
{
	const struct evrec *e;

	(void)state;
	open_all();
	ppp_close(&pp, T0);
	expect_sent(nsent - 1, PPP_PROTO_LCP, "05 02 0004");
	assert_int_equal(pp.fsm[CP_LCP].state, CPS_CLOSING);
	assert_int_equal(count_ev(PPP_EV_DOWN), 0);
	feed(PPP_PROTO_LCP, "06 02 0004");
	assert_int_equal(pp.fsm[CP_LCP].state, CPS_CLOSED);
	assert_true(ppp_finished(&pp));
	e = find_ev(PPP_EV_DOWN);
	assert_string_equal(e->text, "closed");
	assert_true(e->clean);
	assert_int_equal(count_ev(PPP_EV_FINISHED), 1);
	assert_int_equal(count_ev(PPP_EV_FAILED), 0);
}

static void
test_protocol_reject(void **state)
{
	(void)state;
	conf.send_ccp = 1;
	open_all();
	/* CCP went out once IPCP was up; the LNS rejects the protocol. */
	assert_int_equal(pp.fsm[CP_CCP].state, CPS_REQSENT);
	feed(PPP_PROTO_LCP, "08 50 000a 80fd 01010004");
	assert_int_equal(count_ev(PPP_EV_RX_REJECT), 1);
	assert_int_equal(find_ev(PPP_EV_RX_REJECT)->rej_proto, PPP_PROTO_CCP);
	assert_int_equal(pp.fsm[CP_CCP].state, CPS_STOPPED);
	assert_int_equal(pp.fsm[CP_LCP].state, CPS_OPENED);
	assert_int_equal(count_ev(PPP_EV_ERROR), 0);
	/* An unknown protocol from the LNS: our Protocol-Reject (5.7). */
	feed(0x8207, "0102");
	expect_sent(nsent - 1, PPP_PROTO_LCP, "08 02 0008 8207 0102");
	/* IPV6CP without --ipv6 is unknown too. */
	feed(PPP_PROTO_IPV6CP, "01 01 0004");
	expect_sent(nsent - 1, PPP_PROTO_LCP, "08 03 000a 8057 01010004");
}

static void
test_code_reject(void **state)
{
	(void)state;
	open_all();
	/* An unknown LCP code: Code-Reject with the packet (5.6). */
	feed(PPP_PROTO_LCP, "20 01 0006 aabb");
	expect_sent(nsent - 1, PPP_PROTO_LCP, "07 02 000a 20 01 0006 aabb");
	assert_int_equal(count_ev(PPP_EV_ERROR), 1);
	/* The LNS Code-Rejects our Echo-Request: fine (RXJ+). */
	feed(PPP_PROTO_LCP, "07 09 000c 09 01 0008 44332211");
	assert_int_equal(count_ev(PPP_EV_RX_REJECT), 1);
	assert_int_equal(find_ev(PPP_EV_RX_REJECT)->rej_code, CP_ECHO_REQ);
	assert_int_equal(pp.fsm[CP_LCP].state, CPS_OPENED);
	/* ... but of Configure-Request: catastrophic (RXJ-). */
	feed(PPP_PROTO_LCP, "07 0a 0008 01 01 0004");
	assert_int_equal(pp.fsm[CP_LCP].state, CPS_STOPPING);
	assert_string_equal(find_ev(PPP_EV_DOWN)->text, "rejected");
}

static void
test_ip_delivery(void **state)
{
	static const uint8_t pfc_ip[] = { 0x21, 0x45, 0, 0, 20 };
	uint8_t frame[8] = { 0xff, 0x03, 0x00, 0x21, 0x45, 0, 0, 20 };

	(void)state;
	/* Before IPCP: dropped. */
	ppp_start(&pp, T0);
	ppp_input(&pp, frame, sizeof(frame), T0);
	assert_int_equal(nip, 0);
	ppp_lower_down(&pp, T0);
	teardown(state);
	setup(state);
	open_all();
	ppp_input(&pp, frame, sizeof(frame), T0);
	/* Without FF 03 and with a one-octet protocol (6.5, 6.6). */
	ppp_input(&pp, pfc_ip, sizeof(pfc_ip), T0);
	assert_int_equal(nip, 2);
	/* An LCP frame without FF 03 is a breach. */
	ppp_input(&pp, (const uint8_t *)"\xc0\x21\x09\x01\x00\x08\x12\x34"
	    "\x56\x78", 10, T0);
	assert_int_equal(count_ev(PPP_EV_ERROR), 1);
}

static void
test_lower_down(void **state)
{
	(void)state;
	open_all();
	ppp_lower_down(&pp, T0);
	assert_string_equal(find_ev(PPP_EV_DOWN)->text, "lower_down");
	assert_false(find_ev(PPP_EV_DOWN)->clean);
	assert_int_equal(count_ev(PPP_EV_FINISHED), 0);
	/* Nothing left on the timer heap. */
	assert_int_equal(lt_next(T0), -1);
}

/* ---- IPv4, UDP, ICMP ---- */

static void
test_udp_known_answer(void **state)
{
	uint8_t want[64], buf[64];
	struct ip4_info ip;
	const char *why;
	size_t n;

	(void)state;
	/* Built by an independent Python script (struct, RFC 1071). */
	n = unit_unhex("45000021000700004011aeba0a000002c000020904010009000debec"
	    "68656c6c6f", want, sizeof(want));
	assert_int_equal(ip4_udp_build(buf, 33, 0x0a000002, 0xc0000209, 1025,
	    9, 7, (const uint8_t *)"hello", 5), 33);
	assert_int_equal(n, 33);
	assert_memory_equal(buf, want, n);
	assert_int_equal(ip4_parse(buf, n, &ip, &why), 0);
	assert_int_equal(ip.src, 0x0a000002);
	assert_int_equal(ip.dst, 0xc0000209);
	assert_int_equal(ip.proto, IP_PROTO_UDP);
	assert_int_equal(ip.payload.left, 13);
	/* A broken header checksum, a short Total Length. */
	buf[10] ^= 1;
	assert_int_equal(ip4_parse(buf, n, &ip, &why), -1);
	buf[10] ^= 1;
	assert_int_equal(ip4_parse(buf, 32, &ip, &why), -1);
	assert_int_equal(ip4_parse(buf, 19, &ip, &why), -1);
	/* Padding a small packet: size below 28 refused. */
	assert_int_equal(ip4_udp_build(buf, 27, 1, 2, 3, 4, 5, NULL, 0), 0);
}

static void
test_icmp_and_udp_answers(void **state)
{
	uint8_t req[64], out[64];
	struct ip4_info ip, rep;
	const char *why;
	size_t n;

	(void)state;
	/* Echo request 192.0.2.9 -> 10.0.0.2, id 0x1234 seq 1, "ping". */
	n = unit_unhex("4500002000010000400100000000000000000000"
	    "08000000123400017069 6e67", req, sizeof(req));
	req[12] = 192; req[13] = 0; req[14] = 2; req[15] = 9;
	req[16] = 10; req[17] = 0; req[18] = 0; req[19] = 2;
	/* Checksums by the code under test's inverse: verified below. */
	{
		uint16_t s = ip_sum_fold(ip_sum(0, req, 20));

		req[10] = (uint8_t)(s >> 8);
		req[11] = (uint8_t)s;
		s = ip_sum_fold(ip_sum(0, req + 20, n - 20));
		req[22] = (uint8_t)(s >> 8);
		req[23] = (uint8_t)s;
	}
	assert_int_equal(ip4_parse(req, n, &ip, &why), 0);
	assert_int_equal(ip4_answer(&ip, out, sizeof(out)), n);
	assert_int_equal(ip4_parse(out, n, &rep, &why), 0);
	assert_int_equal(rep.src, 0x0a000002);
	assert_int_equal(rep.dst, 0xc0000209);
	assert_int_equal(out[20], 0);			/* echo reply */
	assert_memory_equal(out + 24, req + 24, n - 24);
	assert_int_equal(ip_sum_fold(ip_sum(0, out + 20, n - 20)), 0);

	/* UDP: ports and addresses swapped, checksum still valid. */
	n = ip4_udp_build(req, 33, 0xc0000209, 0x0a000002, 5000, 7, 1,
	    (const uint8_t *)"hello", 5);
	assert_int_equal(ip4_parse(req, n, &ip, &why), 0);
	assert_int_equal(ip4_answer(&ip, out, sizeof(out)), n);
	assert_int_equal(ip4_parse(out, n, &rep, &why), 0);
	assert_int_equal(rep.src, 0x0a000002);
	assert_int_equal(rep.dst, 0xc0000209);
	assert_int_equal(out[20] << 8 | out[21], 7);
	assert_int_equal(out[22] << 8 | out[23], 5000);
	assert_int_equal(ip_sum_fold(ip_sum(0x0a00 + 0x0002 + 0xc000 +
	    0x0209 + 17 + 13, out + 20, 13)), 0);
	/* Our own generator's datagrams are never reflected. */
	n = ip4_udp_build(req, 48, 0xc0000209, 0x0a000002, 5000, 7, 1,
	    (const uint8_t *)"LACS", 4);
	assert_int_equal(ip4_parse(req, n, &ip, &why), 0);
	assert_int_equal(ip4_answer(&ip, out, sizeof(out)), 0);
}

#define T(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)

/* RFC 2759 9.2: "User", "clientPass", the two challenges. */
static void
test_mschapv2_rfc_example(void **state)
{
	static const uint8_t ac[16] = { 0x5B, 0x5D, 0x7C, 0x7D, 0x7B, 0x3F,
	    0x2F, 0x3E, 0x3C, 0x2C, 0x60, 0x21, 0x32, 0x26, 0x26, 0x28 };
	static const uint8_t pc[16] = { 0x21, 0x40, 0x23, 0x24, 0x25, 0x5E,
	    0x26, 0x2A, 0x28, 0x29, 0x5F, 0x2B, 0x3A, 0x33, 0x7C, 0x7E };
	static const uint8_t nt[24] = { 0x82, 0x30, 0x9E, 0xCD, 0x8D, 0x70,
	    0x8B, 0x5E, 0xA0, 0x8F, 0xAA, 0x39, 0x81, 0xCD, 0x83, 0x54,
	    0x42, 0x33, 0x11, 0x4A, 0x3D, 0x85, 0xD6, 0xDF };
	static const uint8_t zero[8];
	uint8_t v[MSCHAPV2_VALUE_LEN];
	char expect[43];

	(void)state;
	mschapv2_respond(ac, pc, "User", 4, "clientPass", 10, v, expect);
	assert_memory_equal(v, pc, 16);
	assert_memory_equal(v + 16, zero, 8);
	assert_memory_equal(v + 24, nt, 24);
	assert_int_equal(v[48], 0);
	assert_string_equal(expect, "S=407A5589115FD0D6209F510FE9C04566932CDA56");
	/* a domain before the name is not hashed (4) */
	mschapv2_respond(ac, pc, "DOM\\User", 8, "clientPass", 10, v, expect);
	assert_memory_equal(v + 24, nt, 24);
}


int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_mschapv2_rfc_example),
		T(test_frame_parse),
		T(test_cp_parse_lengths),
		T(test_options_iter),
		T(test_lcp_first_request),
		T(test_lcp_unknown_option_sent),
		T(test_lcp_ack_lns_request),
		T(test_lcp_nak_auth),
		T(test_lcp_nak_chap_algorithm),
		T(test_lcp_reject_unknown),
		T(test_lcp_reject_lost),
		T(test_lcp_magic),
		T(test_lcp_reject_mru_switch),
		T(test_lcp_nak_reject_of_ours),
		T(test_lcp_bad_ack),
		T(test_malformed_lengths),
		T(test_restart_timer),
		T(test_pap_layout),
		T(test_pap_nak),
		T(test_chap_md5_known_answers),
		T(test_chap_response),
		T(test_chap_failure_and_malformed),
		T(test_ipcp_nak_address_dns),
		T(test_ipcp_reject_dns),
		T(test_ncp_before_network_phase),
		T(test_ipv6cp),
		T(test_echo),
		T(test_echo_ignored),
		T(test_terminate_by_lns),
		T(test_close_by_us),
		T(test_protocol_reject),
		T(test_code_reject),
		T(test_ip_delivery),
		T(test_lower_down),
		T(test_udp_known_answer),
		T(test_icmp_and_udp_answers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
