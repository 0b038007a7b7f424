/*
 * test_acl.c - the access-list matcher (acl.c) on hand-built IPv4
 * packets: every form of the manual's rule syntax, first match and the
 * implicit deny, fragments, short and malformed packets, hit counters
 * across reloads, and the per-session binding of filter names.
 *
 * Lists are written in startup-config syntax and parsed by config.c, so
 * each case reads like the operator's configuration.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "l2tpns.h"
#include "acl.h"

#define F_FIN	0x01
#define F_SYN	0x02
#define F_RST	0x04
#define F_PSH	0x08
#define F_ACK	0x10
#define F_URG	0x20

static struct config cfg;

/* Parse `text` (lines of startup-config) into cfg and compile it. */
static void
load(const char *text)
{
	struct cfg_state st;
	char buf[4096], err[256], *line, *save = NULL;

	cfg_free(&cfg);
	cfg_defaults(&cfg);
	memset(&st, 0, sizeof(st));
	snprintf(buf, sizeof(buf), "%s", text);
	for (line = strtok_r(buf, "\n", &save); line;
	    line = strtok_r(NULL, "\n", &save)) {
		if (cfg_parse_line(&cfg, &st, line, NULL, err,
		    sizeof(err)) != 0)
			fail_msg("%s: %s", line, err);
	}
	assert_int_equal(acl_reload(&cfg), 0);
}

struct p {
	const char	*src, *dst;
	uint8_t		proto;
	uint16_t	sport, dport;
	uint8_t		flags;
	uint16_t	frag;		/* offset in 8-octet units */
	uint8_t		mf;
	uint8_t		optwords;	/* IP option words (IHL - 5) */
};

/* Build the packet: IPv4 header (+ options), then 20 L4 octets. */
static size_t
build(uint8_t *b, const struct p *p)
{
	size_t ihl = 20 + (size_t)p->optwords * 4, len = ihl + 20;
	in_addr_t a;

	memset(b, 0, len);
	b[0] = (uint8_t)(0x40 | (5 + p->optwords));
	b[2] = (uint8_t)(len >> 8);
	b[3] = (uint8_t)len;
	b[6] = (uint8_t)((p->mf ? 0x20 : 0) | (p->frag >> 8));
	b[7] = (uint8_t)p->frag;
	b[8] = 64;
	b[9] = p->proto;
	a = inet_addr(p->src);
	memcpy(b + 12, &a, 4);
	a = inet_addr(p->dst);
	memcpy(b + 16, &a, 4);
	if (p->optwords)
		memset(b + 20, 1, (size_t)p->optwords * 4);	/* NOPs */
	b[ihl] = (uint8_t)(p->sport >> 8);
	b[ihl + 1] = (uint8_t)p->sport;
	b[ihl + 2] = (uint8_t)(p->dport >> 8);
	b[ihl + 3] = (uint8_t)p->dport;
	if (p->proto == 6) {
		b[ihl + 12] = 0x50;
		b[ihl + 13] = p->flags;
	}
	return len;
}

/* acl_match of list `name` on packet `p`. */
static int
m(const char *name, struct p p)
{
	uint8_t b[128];
	size_t len = build(b, &p);
	int i = acl_lookup(name);

	if (i < 0)
		fail_msg("no list %s", name);
	return acl_match(i, b, len);
}

static uint64_t
hits(const char *name, int rule)
{
	uint64_t n = ~0ULL;

	assert_int_equal(acl_hits(name, rule, &n), 0);
	return n;
}

#define UDP(s, d, sp, dp)	((struct p){ s, d, 17, sp, dp, 0, 0, 0, 0 })
#define TCP(s, d, sp, dp, f)	((struct p){ s, d, 6, sp, dp, f, 0, 0, 0 })
#define ICMP(s, d)		((struct p){ s, d, 1, 0, 0, 0, 0, 0, 0 })

static int
teardown(void **state)
{
	(void)state;
	cfg_free(&cfg);
	cfg_defaults(&cfg);
	acl_reload(&cfg);
	return 0;
}

/* standard: host, wildcard, any; first match wins; implicit deny. */
static void
test_standard_source(void **state)
{
	(void)state;
	load("ip access-list standard s\n"
	    " deny host 10.0.0.5\n"
	    " permit 10.0.0.0 0.0.0.255\n"
	    " permit 172.16.0.0 0.15.255.255\n");
	assert_int_equal(m("s", UDP("10.0.0.5", "1.2.3.4", 1, 2)), 0);
	assert_int_equal(m("s", UDP("10.0.0.6", "1.2.3.4", 1, 2)), 1);
	assert_int_equal(m("s", ICMP("10.0.0.255", "1.2.3.4")), 1);
	assert_int_equal(m("s", TCP("172.31.255.1", "1.2.3.4", 1, 2, 0)), 1);
	assert_int_equal(m("s", UDP("172.32.0.1", "1.2.3.4", 1, 2)), 0);
	assert_int_equal(m("s", UDP("10.0.1.1", "1.2.3.4", 1, 2)), 0);
	/* a standard rule ignores the destination unless it gives one */
	assert_int_equal(m("s", UDP("10.0.0.7", "9.9.9.9", 1, 2)), 1);
	assert_int_equal(hits("s", 0), 1);
	assert_int_equal(hits("s", 1), 3);
	assert_int_equal(hits("s", 2), 1);
	assert_int_equal(hits("s", 3), 2);		/* implicit deny */
	assert_int_equal(acl_hits("s", 4, &(uint64_t){ 0 }), -1);
	assert_int_equal(acl_hits("nosuch", 0, &(uint64_t){ 0 }), -1);

	/* a wildcard with holes: even last octets of 192.0.2.0/24 */
	load("ip access-list standard even\n"
	    " permit 192.0.2.0 0.0.0.254\n"
	    "ip access-list standard all\n"
	    " permit any\n");
	assert_int_equal(m("even", ICMP("192.0.2.8", "1.1.1.1")), 1);
	assert_int_equal(m("even", ICMP("192.0.2.9", "1.1.1.1")), 0);
	assert_int_equal(m("all", ICMP("203.0.113.1", "1.1.1.1")), 1);
}

/* standard with the manual's optional destination */
static void
test_standard_destination(void **state)
{
	(void)state;
	load("ip access-list standard d\n"
	    " permit any host 192.0.2.1\n"
	    " permit 10.0.0.0 0.0.0.255 198.51.100.0 0.0.0.127\n"
	    " deny any any\n"
	    " permit any\n");
	assert_int_equal(m("d", UDP("1.1.1.1", "192.0.2.1", 1, 2)), 1);
	assert_int_equal(m("d", UDP("1.1.1.1", "192.0.2.2", 1, 2)), 0);
	assert_int_equal(m("d", UDP("10.0.0.9", "198.51.100.127", 1, 2)), 1);
	assert_int_equal(m("d", UDP("10.0.0.9", "198.51.100.128", 1, 2)), 0);
	assert_int_equal(m("d", UDP("10.0.1.9", "198.51.100.1", 1, 2)), 0);
	assert_int_equal(hits("d", 2), 3);		/* deny any any */
	assert_int_equal(hits("d", 3), 0);		/* never reached */
	assert_int_equal(hits("d", 4), 0);
}

/* extended: protocol ip/tcp/udp and both addresses */
static void
test_extended_protocols(void **state)
{
	(void)state;
	load("ip access-list extended e\n"
	    " permit tcp any host 192.0.2.80\n"
	    " permit udp host 10.0.0.1 any\n"
	    " deny ip any 192.0.2.0 0.0.0.255\n"
	    " permit ip 10.0.0.0 0.255.255.255 any\n");
	assert_int_equal(m("e", TCP("1.1.1.1", "192.0.2.80", 1, 2, 0)), 1);
	assert_int_equal(m("e", UDP("1.1.1.1", "192.0.2.80", 1, 2)), 0);
	assert_int_equal(m("e", ICMP("1.1.1.1", "192.0.2.80")), 0);
	assert_int_equal(m("e", UDP("10.0.0.1", "192.0.2.80", 1, 2)), 1);
	assert_int_equal(m("e", TCP("10.0.0.1", "192.0.2.81", 1, 2, 0)), 0);
	assert_int_equal(m("e", ICMP("10.9.9.9", "8.8.8.8")), 1);
	assert_int_equal(m("e", ICMP("11.9.9.9", "8.8.8.8")), 0);
	assert_int_equal(hits("e", 0), 1);
	assert_int_equal(hits("e", 1), 1);
	assert_int_equal(hits("e", 2), 3);
	assert_int_equal(hits("e", 3), 1);
	assert_int_equal(hits("e", 4), 1);
}

/* eq, neq, gt, lt, range, on source and destination ports */
static void
test_ports(void **state)
{
	(void)state;
	load("ip access-list extended eq\n permit udp any any eq 53\n"
	    "ip access-list extended neq\n permit tcp any neq 25 any\n"
	    "ip access-list extended gt\n permit udp any any gt 1023\n"
	    "ip access-list extended lt\n permit udp any lt 1024 any\n"
	    "ip access-list extended range\n"
	    " permit tcp any range 1000 2000 any range 80 81\n"
	    "ip access-list extended edge\n"
	    " permit udp any any gt 65535\n"
	    " permit udp any any lt 0\n"
	    " permit udp any eq 0 any range 65535 65535\n");
	assert_int_equal(m("eq", UDP("1.1.1.1", "2.2.2.2", 9, 53)), 1);
	assert_int_equal(m("eq", UDP("1.1.1.1", "2.2.2.2", 53, 54)), 0);
	assert_int_equal(m("eq", TCP("1.1.1.1", "2.2.2.2", 9, 53, 0)), 0);
	assert_int_equal(m("neq", TCP("1.1.1.1", "2.2.2.2", 26, 25, 0)), 1);
	assert_int_equal(m("neq", TCP("1.1.1.1", "2.2.2.2", 25, 80, 0)), 0);
	assert_int_equal(m("gt", UDP("1.1.1.1", "2.2.2.2", 1, 1024)), 1);
	assert_int_equal(m("gt", UDP("1.1.1.1", "2.2.2.2", 1, 1023)), 0);
	assert_int_equal(m("lt", UDP("1.1.1.1", "2.2.2.2", 1023, 1)), 1);
	assert_int_equal(m("lt", UDP("1.1.1.1", "2.2.2.2", 1024, 1)), 0);
	assert_int_equal(m("range", TCP("1.1.1.1", "2.2.2.2", 1000, 80, 0)), 1);
	assert_int_equal(m("range", TCP("1.1.1.1", "2.2.2.2", 2000, 81, 0)), 1);
	assert_int_equal(m("range", TCP("1.1.1.1", "2.2.2.2", 999, 80, 0)), 0);
	assert_int_equal(m("range", TCP("1.1.1.1", "2.2.2.2", 2001, 80, 0)), 0);
	assert_int_equal(m("range", TCP("1.1.1.1", "2.2.2.2", 1500, 82, 0)), 0);
	assert_int_equal(m("range", TCP("1.1.1.1", "2.2.2.2", 1500, 79, 0)), 0);
	/* gt 65535 and lt 0 match nothing; 0 and 65535 themselves */
	assert_int_equal(m("edge", UDP("1.1.1.1", "2.2.2.2", 7, 65535)), 0);
	assert_int_equal(m("edge", UDP("1.1.1.1", "2.2.2.2", 7, 0)), 0);
	assert_int_equal(m("edge", UDP("1.1.1.1", "2.2.2.2", 0, 65535)), 1);
	assert_int_equal(hits("edge", 0), 0);
	assert_int_equal(hits("edge", 1), 0);
	assert_int_equal(hits("edge", 2), 1);
}

/* established, match-any, match-all */
static void
test_tcp_flags(void **state)
{
	(void)state;
	load("ip access-list extended est\n permit tcp any any established\n"
	    "ip access-list extended any\n"
	    " permit tcp any any match-any +fin +rst -ack\n"
	    "ip access-list extended all\n"
	    " permit tcp any any match-all +syn -ack -fin\n");
	/* IOS: ACK or RST set, so the SYN-ACK of a reply is established */
	assert_int_equal(m("est", TCP("1.1.1.1", "2.2.2.2", 1, 2, F_ACK)), 1);
	assert_int_equal(m("est", TCP("1.1.1.1", "2.2.2.2", 1, 2, F_RST)), 1);
	assert_int_equal(m("est", TCP("1.1.1.1", "2.2.2.2", 1, 2,
	    F_SYN | F_ACK)), 1);
	assert_int_equal(m("est", TCP("1.1.1.1", "2.2.2.2", 1, 2, F_SYN)), 0);
	assert_int_equal(m("est", TCP("1.1.1.1", "2.2.2.2", 1, 2,
	    F_FIN | F_PSH | F_URG)), 0);
	assert_int_equal(m("est", UDP("1.1.1.1", "2.2.2.2", 1, 2)), 0);
	/* any of: FIN set, RST set, ACK clear */
	assert_int_equal(m("any", TCP("1.1.1.1", "2.2.2.2", 1, 2,
	    F_FIN | F_ACK)), 1);
	assert_int_equal(m("any", TCP("1.1.1.1", "2.2.2.2", 1, 2, F_SYN)), 1);
	assert_int_equal(m("any", TCP("1.1.1.1", "2.2.2.2", 1, 2,
	    F_ACK | F_PSH)), 0);
	/* all of: SYN set, ACK clear, FIN clear */
	assert_int_equal(m("all", TCP("1.1.1.1", "2.2.2.2", 1, 2, F_SYN)), 1);
	assert_int_equal(m("all", TCP("1.1.1.1", "2.2.2.2", 1, 2,
	    F_SYN | F_URG)), 1);
	assert_int_equal(m("all", TCP("1.1.1.1", "2.2.2.2", 1, 2,
	    F_SYN | F_ACK)), 0);
	assert_int_equal(m("all", TCP("1.1.1.1", "2.2.2.2", 1, 2,
	    F_SYN | F_FIN)), 0);
	assert_int_equal(m("all", TCP("1.1.1.1", "2.2.2.2", 1, 2, 0)), 0);
}

/*
 * Fragments (IOS semantics): `fragments` matches non-initial ones only;
 * a layer-3 rule matches every fragment; on a non-initial fragment a
 * permit rule with ports matches on its addresses, a deny rule with
 * ports is passed over.
 */
static void
test_fragments(void **state)
{
	struct p first = UDP("10.0.0.1", "2.2.2.2", 5, 53);
	struct p later = UDP("10.0.0.1", "2.2.2.2", 0, 0);

	(void)state;
	first.mf = 1;
	later.frag = 185;
	load("ip access-list extended f\n"
	    " deny ip any host 9.9.9.9 fragments\n"
	    " permit ip any host 9.9.9.9\n"
	    "ip access-list extended l3\n"
	    " deny udp any host 2.2.2.2\n"
	    " permit ip any any\n"
	    "ip access-list extended pp\n"
	    " permit udp any any eq 53\n"
	    "ip access-list extended dp\n"
	    " deny udp any any eq 53\n"
	    " permit ip any any\n"
	    "ip access-list extended dpx\n"
	    " deny udp any host 3.3.3.3 eq 53\n"
	    " deny udp any any eq 53\n");
	/* `fragments` */
	first.dst = later.dst = "9.9.9.9";
	assert_int_equal(m("f", first), 1);
	assert_int_equal(m("f", later), 0);
	assert_int_equal(hits("f", 0), 1);
	assert_int_equal(hits("f", 1), 1);
	first.dst = later.dst = "2.2.2.2";
	/* layer 3 only: all fragments */
	assert_int_equal(m("l3", first), 0);
	assert_int_equal(m("l3", later), 0);
	/* permit with ports: the first fragment on its port, later ones on
	 * their addresses */
	assert_int_equal(m("pp", first), 1);
	assert_int_equal(m("pp", later), 1);
	first.dport = 54;
	assert_int_equal(m("pp", first), 0);
	/* deny with ports: skipped for a later fragment */
	first.dport = 53;
	assert_int_equal(m("dp", first), 0);
	assert_int_equal(m("dp", later), 1);
	assert_int_equal(hits("dp", 0), 1);
	assert_int_equal(hits("dp", 1), 1);
	/* every rule skipped: the implicit deny */
	assert_int_equal(m("dpx", later), 0);
	assert_int_equal(hits("dpx", 2), 1);
}

/*
 * Short and odd packets: IP options move the ports; a first fragment
 * too short for the ports meets deny rules, not permit rules; malformed
 * headers are denied; link padding past the IP total length is ignored.
 */
static void
test_short_and_malformed(void **state)
{
	struct p opt = TCP("1.1.1.1", "2.2.2.2", 1, 80, F_ACK);
	uint8_t b[128];
	size_t len;
	int i;

	(void)state;
	load("ip access-list extended w\n"
	    " permit tcp any any eq 80\n"
	    "ip access-list extended d\n"
	    " deny tcp any any eq 80\n"
	    " permit ip any any\n"
	    "ip access-list extended f\n"
	    " permit tcp any any established\n"
	    "ip access-list extended a\n"
	    " permit ip any any\n");
	opt.optwords = 3;
	assert_int_equal(m("w", opt), 1);
	opt.dport = 81;
	assert_int_equal(m("w", opt), 0);

	/* a TCP header cut after 2 octets (a tiny first fragment) */
	len = build(b, &(struct p){ "1.1.1.1", "2.2.2.2", 6, 5, 80, F_ACK,
	    0, 1, 0 });
	len -= 18;
	b[2] = 0;
	b[3] = (uint8_t)len;
	assert_int_equal(acl_match(acl_lookup("w"), b, len), 0);
	assert_int_equal(acl_match(acl_lookup("d"), b, len), 0);
	assert_int_equal(hits("d", 0), 1);
	/* ports present but not the flags octet */
	len = build(b, &(struct p){ "1.1.1.1", "2.2.2.2", 6, 5, 80, F_ACK,
	    0, 1, 0 });
	len -= 8;
	b[3] = (uint8_t)len;
	assert_int_equal(acl_match(acl_lookup("w"), b, len), 1);
	assert_int_equal(acl_match(acl_lookup("f"), b, len), 0);

	/* padding: the datagram says 40 octets, the frame has more */
	len = build(b, &(struct p){ "1.1.1.1", "2.2.2.2", 6, 5, 80, F_ACK,
	    0, 0, 0 });
	memset(b + len, 0xff, 16);
	assert_int_equal(acl_match(acl_lookup("f"), b, len + 16), 1);
	/* ... while the flags octet cut off by the total length is gone */
	b[3] = 20 + 10;
	assert_int_equal(acl_match(acl_lookup("f"), b, len), 0);

	/* malformed: denied even by "permit ip any any" */
	i = acl_lookup("a");
	len = build(b, &(struct p){ "1.1.1.1", "2.2.2.2", 17, 1, 2, 0, 0, 0,
	    0 });
	assert_int_equal(acl_match(i, b, len), 1);
	b[0] = 0x65;				/* version 6 */
	assert_int_equal(acl_match(i, b, len), 0);
	b[0] = 0x44;				/* IHL 4 */
	assert_int_equal(acl_match(i, b, len), 0);
	b[0] = 0x4f;				/* IHL 15: past the end */
	assert_int_equal(acl_match(i, b, 40), 0);
	b[0] = 0x45;
	b[2] = 0;
	b[3] = 19;				/* total < header */
	assert_int_equal(acl_match(i, b, len), 0);
	b[3] = (uint8_t)len;
	assert_int_equal(acl_match(i, b, 19), 0);	/* short */
	assert_int_equal(acl_match(i, b, 0), 0);
	assert_int_equal(hits("a", 0), 1);
	assert_int_equal(hits("a", 1), 6);
}

/* Counters survive a reload for rules that did not change. */
static void
test_counters_across_reload(void **state)
{
	static const char base[] =
	    "ip access-list extended c\n"
	    " permit udp any any eq 1\n"
	    " permit udp any any eq 2\n";
	static const char changed[] =
	    "ip access-list extended c\n"
	    " permit udp any any eq 9\n"
	    " permit udp any any eq 2\n"
	    " permit udp any any eq 1\n"
	    "ip access-list extended other\n"
	    " permit udp any any eq 2\n";

	(void)state;
	load(base);
	assert_int_equal(m("c", UDP("1.1.1.1", "2.2.2.2", 0, 1)), 1);
	assert_int_equal(m("c", UDP("1.1.1.1", "2.2.2.2", 0, 2)), 1);
	assert_int_equal(m("c", UDP("1.1.1.1", "2.2.2.2", 0, 2)), 1);
	load(changed);
	assert_int_equal(hits("c", 0), 0);	/* new rule */
	assert_int_equal(hits("c", 1), 2);	/* moved, same rule */
	assert_int_equal(hits("c", 2), 1);
	assert_int_equal(hits("other", 0), 0);	/* another list's rule */
	/* a rule the old list did not have starts at 0 */
	load("ip access-list standard c\n permit any\n");
	assert_int_equal(hits("c", 0), 0);
}

/* Sessions: names resolved once per generation, re-resolved on demand. */
static void
test_sessions(void **state)
{
	uint8_t b[128];
	size_t len = build(b, &(struct p){ "10.0.0.1", "2.2.2.2", 17, 1, 53,
	    0, 0, 0, 0 });
	struct session *sp;
	sid_t s;

	(void)state;
	assert_int_equal(tables_init(4, 2), 0);
	load("ip access-list standard none\n deny any\n"
	    "ip access-list extended dns\n permit udp any any eq 53\n");
	s = session_alloc();
	sp = session_get(s);
	strcpy(sp->filter_in, "none");
	strcpy(sp->filter_out, "dns");
	assert_int_equal(acl_check_in(s, b, len), 0);
	assert_int_equal(acl_check_out(s, b, len), 1);
	assert_int_equal(hits("none", 0), 1);
	assert_int_equal(hits("dns", 0), 1);

	/* a name written without acl_gen = 0 is not looked at: cached */
	strcpy(sp->filter_in, "dns");
	assert_int_equal(acl_check_in(s, b, len), 0);
	/* the writer's side of the contract (radius.c) */
	sp->acl_gen = 0;
	assert_int_equal(acl_check_in(s, b, len), 1);

	/* a reload re-resolves: the list now at another index */
	load("ip access-list standard first\n deny any\n"
	    "ip access-list extended dns\n deny udp any any eq 53\n");
	assert_int_equal(acl_check_in(s, b, len), 0);
	assert_int_equal(hits("dns", 0), 1);
	/* a list that disappeared denies everything (fail closed, logged) */
	load("ip access-list standard first\n deny any\n");
	assert_int_equal(acl_check_in(s, b, len), 0);
	assert_int_equal(acl_check_out(s, b, len), 0);
	assert_int_equal(sp->acl_in, ACL_GONE);
	/* a session without a name stays unfiltered */
	sp->filter_in[0] = '\0';
	sp->acl_gen = 0;
	assert_int_equal(acl_check_in(s, b, len), 1);
	tables_free();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_standard_source, teardown),
		cmocka_unit_test_teardown(test_standard_destination, teardown),
		cmocka_unit_test_teardown(test_extended_protocols, teardown),
		cmocka_unit_test_teardown(test_ports, teardown),
		cmocka_unit_test_teardown(test_tcp_flags, teardown),
		cmocka_unit_test_teardown(test_fragments, teardown),
		cmocka_unit_test_teardown(test_short_and_malformed, teardown),
		cmocka_unit_test_teardown(test_counters_across_reload,
		    teardown),
		cmocka_unit_test_teardown(test_sessions, teardown),
	};

	cfg_defaults(&cfg);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
