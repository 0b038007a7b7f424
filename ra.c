/*
 * ra.c - IPv6 on a session's link: Router Advertisements and the
 * session's own routed prefix, while IPV6CP is Opened.
 *
 * State owned: per session, the RA timer, when the last RA went and how
 * many have, and the prefix in tables.c's index and the kernel's routes.
 *
 * Exports (ra.h): ra_up/ra_down for ppp.c (IPV6CP This-Layer-Up and
 * -Down), ra_rs_input, ra_echo_input and ra_source_ok for dataplane.c.
 * Echo Requests to our link-local address (the subscriber's default
 * gateway) are answered here (RFC 4443 4.2), so "ping fe80::1%ppp0"
 * works.
 *
 * Implements the router side of RFC 4861 6.2 on the link (4.2 Router
 * Advertisement with the 4.6.2 prefix and 4.6.4 MTU options, 6.1.1
 * checks and 6.2.6 answers to Router Solicitations, 6.2.4 unsolicited
 * RAs), RFC 8106 5.1 (RDNSS) and RFC 5072 5 (our link-local address).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "l2tpns.h"
#include "dataplane.h"
#include "event.h"
#include "log.h"
#include "ra.h"
#include "rd.h"

#define ICMP6_ECHO_REQUEST	128	/* RFC 4443 4.1 */
#define ICMP6_ECHO_REPLY	129	/* RFC 4443 4.2 */
#define ICMP6_RA		134	/* RFC 4861 4.2 */
#define ND_OPT_SLLA		1	/* RFC 4861 4.6.1 */
#define ND_OPT_PREFIX		3	/* RFC 4861 4.6.2 */
#define ND_OPT_MTU		5	/* RFC 4861 4.6.4 */
#define ND_OPT_RDNSS		25	/* RFC 8106 5.1 */
/* RFC 4861 6.2.1 defaults; intervals in milliseconds, lifetimes in s. */
#define RA_MAX_INTERVAL		600000	/* MaxRtrAdvInterval */
#define RA_MIN_INTERVAL		200000	/* MinRtrAdvInterval, 0.33 x Max */
#define RA_ROUTER_LIFETIME	1800	/* AdvDefaultLifetime, 3 x Max */
#define RA_VALID_LIFETIME	2592000	/* AdvValidLifetime, 30 days */
#define RA_PREFERRED_LIFETIME	604800	/* AdvPreferredLifetime, 7 days */
#define RA_CUR_HOP_LIMIT	64
/* RFC 8106 5.1: between MaxRtrAdvInterval and twice that. */
#define RDNSS_LIFETIME		1200
/* RFC 4861 10, router constants. */
#define MAX_INITIAL_RTR_ADVERT_INTERVAL	16000
#define MAX_INITIAL_RTR_ADVERTISEMENTS	3
#define MIN_DELAY_BETWEEN_RAS	3000
#define MAX_RA_DELAY_TIME	500
#define IPV6_MIN_MTU		1280	/* RFC 8200 5 */


struct ra {
	struct timer	 timer;
	uint64_t	 last_ms;		/* last RA sent, 0 = none */
	uint8_t		 active;		/* between ra_up and ra_down */
	uint8_t		 count;			/* RAs sent since ra_up */
	uint8_t		 indexed;		/* net in tables.c's index */
	uint8_t		 kroute;		/* and routed by the kernel */
	uint8_t		 plen;
	uint8_t		 our_ifid[8];		/* IPV6CP: ours */
	struct in6_addr	 net;
};

static struct ra *ras;
static uint32_t ras_max;

static const uint8_t in6_zero[16];

/* Whether a and b agree in their first `bits` bits. */
static int
prefix_match(const uint8_t *a, const uint8_t *b, int bits)
{
	size_t n = (size_t)bits / 8;
	int r = bits % 8;

	if (memcmp(a, b, n) != 0)
		return 0;
	return r == 0 || ((a[n] ^ b[n]) & (0xff00 >> r) & 0xff) == 0;
}

/* Clear the bits of `a` past the first `bits`. */
static void
prefix_mask(uint8_t *a, int bits)
{
	int i;

	for (i = 0; i < 16; i++, bits -= 8)
		if (bits <= 0)
			a[i] = 0;
		else if (bits < 8)
			a[i] &= (uint8_t)(0xff00 >> bits);
}

/*
 * The ICMPv6 checksum of `msg` with its pseudo-header (RFC 4443 2.3,
 * RFC 8200 8.1).  Over a message carrying the right checksum it is 0.
 */
uint16_t
ra_icmp6_sum(const uint8_t *src, const uint8_t *dst, const uint8_t *msg,
    size_t len)
{
	uint32_t sum = (uint32_t)(len >> 16) + (uint32_t)(len & 0xffff) +
	    IPPROTO_ICMPV6;
	size_t i;

	for (i = 0; i < 16; i += 2)
		sum += (uint32_t)(src[i] << 8 | src[i + 1]) +
		    (uint32_t)(dst[i] << 8 | dst[i + 1]);
	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(msg[i] << 8 | msg[i + 1]);
	if (len & 1)
		sum += (uint32_t)msg[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/*
 * An IPv6 header (RFC 8200 3; plen 0: the payload length is written
 * later) and the start of an ICMPv6 message of that type, code 0,
 * checksum zero to be written once the message is whole (RFC 4443 2.1).
 */
static void
put_icmp6_head(struct wr *w, uint16_t plen, uint8_t hlim,
    const uint8_t src[16], const uint8_t dst[16], uint8_t type)
{
	wr_u32(w, 0x60000000);
	wr_u16(w, plen);
	wr_u8(w, IPPROTO_ICMPV6);
	wr_u8(w, hlim);
	wr_bytes(w, src, 16);
	wr_bytes(w, dst, 16);
	wr_u8(w, type);
	wr_u8(w, 0);
	wr_u16(w, 0);
}

/*
 * The session's own prefix (RADIUS Framed-IPv6-Prefix or Delegated-
 * IPv6-Prefix, radius.c keeps one), while IPV6CP is Opened: in the
 * downstream index of tables.c and routed to the TUN device.  A prefix
 * another session has, one covering the shared ipv6_prefix /64 or one
 * longer than /64 is not routed (and its sources stay spoofed).
 */
static void
v6_prefix_up(sid_t s)
{
	struct ra *pp = &ras[s];
	struct session *sp = session_get(s);
	int plen = sp->ipv6_prefix_len;
	char a[INET6_ADDRSTRLEN];
	struct in6_addr net;

	if (plen == 0 || pp->indexed)
		return;
	net = sp->ipv6_prefix;
	prefix_mask(net.s6_addr, plen);
	inet_ntop(AF_INET6, &net, a, sizeof(a));
	if (plen > 64) {
		LOG(LOG_WARN_L, s, sp->tunnel, "IPv6 prefix %s/%d not routed: "
		    "longer than /64", a, plen);
		return;
	}
	if (prefix_match(net.s6_addr, config->ipv6_prefix.addr.s6_addr,
	    plen)) {
		LOG(LOG_WARN_L, s, sp->tunnel, "IPv6 prefix %s/%d not routed: "
		    "it covers ipv6_prefix", a, plen);
		return;
	}
	if (session_route6_add(s, &net, plen) < 0) {
		LOG(LOG_WARN_L, s, sp->tunnel, "IPv6 prefix %s/%d not routed: "
		    "%s", a, plen, errno == EEXIST ? "another session has it" :
		    strerror(errno));
		return;
	}
	pp->indexed = 1;
	pp->net = net;
	pp->plen = (uint8_t)plen;
	if (tun_route6(1, &net, plen) < 0) {
		LOG(LOG_ERROR_L, s, sp->tunnel, "cannot route %s/%d to the tun "
		    "device: %s", a, plen, strerror(errno));
		return;
	}
	pp->kroute = 1;
	LOG(LOG_INFO_L, s, sp->tunnel, "IPv6 prefix %s/%d routed to the "
	    "session", a, plen);
}

static void
v6_prefix_down(sid_t s)
{
	struct ra *pp = &ras[s];
	char a[INET6_ADDRSTRLEN];

	if (!pp->indexed)
		return;
	session_route6_del(s, &pp->net, pp->plen);
	if (pp->kroute && tun_route6(0, &pp->net, pp->plen) < 0) {
		inet_ntop(AF_INET6, &pp->net, a, sizeof(a));
		LOG(LOG_ERROR_L, s, session_get(s)->tunnel, "cannot remove the "
		    "route of %s/%u: %s", a, pp->plen, strerror(errno));
	}
	pp->indexed = 0;
	pp->kroute = 0;
}

int
ra_source_ok(sid_t s, const uint8_t src[16])
{
	const struct session *sp = session_get(s);
	const struct ra *pp = &ras[s];

	if (memcmp(src, &config->ipv6_prefix.addr, 8) == 0 &&
	    memcmp(src + 8, sp->ipv6_ifid, 8) == 0)
		return 1;
	return pp->indexed && prefix_match(src, pp->net.s6_addr,
	    pp->plen);
}

/*
 * A Router Advertisement (RFC 4861 4.2) from our link-local address
 * (RFC 5072 5: fe80:: and our identifier, ::1) to all nodes.  It
 * carries one /64 with the on-link and autonomous flags, for SLAAC:
 * the session's own prefix when that is a routed /64, else the first 64
 * bits of ipv6_prefix (the subscriber's identifier makes its address
 * the manual's one).  Then the link MTU (4.6.4) and the IPv6 DNS
 * servers (RFC 8106 5.1).  No DHCPv6, so M and O are clear.
 */
static void
ra_send(sid_t s)
{
	static const uint8_t all_nodes[16] = { 0xff, 0x02, [15] = 1 };
	struct ra *pp = &ras[s];
	const struct in6_addr *dns[2] = { &config->primary_ipv6_dns,
	    &config->secondary_ipv6_dns };
	uint8_t pkt[40 + 16 + 32 + 8 + 8 + 2 * 16], src[16];
	const uint8_t *prefix = config->ipv6_prefix.addr.s6_addr;
	uint16_t mtu = ppp_link_mtu(s);
	int i, ndns = 0;
	struct wr w;

	memset(src, 0, sizeof(src));
	src[0] = 0xfe;
	src[1] = 0x80;
	memcpy(src + 8, pp->our_ifid, 8);
	if (pp->indexed && pp->plen == 64)
		prefix = pp->net.s6_addr;
	for (i = 0; i < 2; i++)
		if (!IN6_IS_ADDR_UNSPECIFIED(dns[i]))
			ndns++;
	wr_init(&w, pkt, sizeof(pkt));
	/* RFC 4861 6.1.2: hop limit 255, or receivers discard it. */
	put_icmp6_head(&w, 0, 255, src, all_nodes, ICMP6_RA);
	wr_u8(&w, RA_CUR_HOP_LIMIT);
	wr_u8(&w, 0);				/* M, O */
	wr_u16(&w, RA_ROUTER_LIFETIME);
	wr_u32(&w, 0);				/* Reachable Time */
	wr_u32(&w, 0);				/* Retrans Timer */
	wr_u8(&w, ND_OPT_PREFIX);
	wr_u8(&w, 4);
	wr_u8(&w, 64);
	wr_u8(&w, 0xc0);			/* L, A */
	wr_u32(&w, RA_VALID_LIFETIME);
	wr_u32(&w, RA_PREFERRED_LIFETIME);
	wr_u32(&w, 0);
	wr_bytes(&w, prefix, 8);
	wr_bytes(&w, in6_zero, 8);
	/* A link below the IPv6 minimum cannot carry IPv6: no option. */
	if (mtu >= IPV6_MIN_MTU) {
		wr_u8(&w, ND_OPT_MTU);
		wr_u8(&w, 1);
		wr_u16(&w, 0);
		wr_u32(&w, mtu);
	}
	if (ndns) {
		wr_u8(&w, ND_OPT_RDNSS);
		wr_u8(&w, (uint8_t)(1 + 2 * ndns));
		wr_u16(&w, 0);
		wr_u32(&w, RDNSS_LIFETIME);
		for (i = 0; i < 2; i++)
			if (!IN6_IS_ADDR_UNSPECIFIED(dns[i]))
				wr_bytes(&w, dns[i], 16);
	}
	if (w.err)
		return;
	wr_put16_at(&w, 4, (uint16_t)(w.len - 40));
	wr_put16_at(&w, 42, ra_icmp6_sum(src, all_nodes, pkt + 40, w.len - 40));
	ppp_send(s, PPP_IPV6, pkt, w.len);
	pp->last_ms = now_ms;
	if (pp->count < 255)
		pp->count++;
	stats->ipv6_ra_sent++;
}

/*
 * The next unsolicited RA (RFC 4861 6.2.4): at a random interval
 * between MinRtrAdvInterval and MaxRtrAdvInterval, at most
 * MAX_INITIAL_RTR_ADVERT_INTERVAL for the first few.  They keep the
 * router, RDNSS and prefix lifetimes of a long session fresh.
 */
static void
ra_schedule(struct ra *pp)
{
	uint64_t next = RA_MIN_INTERVAL + (uint64_t)random() %
	    (RA_MAX_INTERVAL - RA_MIN_INTERVAL + 1);

	if (pp->count < MAX_INITIAL_RTR_ADVERTISEMENTS &&
	    next > MAX_INITIAL_RTR_ADVERT_INTERVAL)
		next = MAX_INITIAL_RTR_ADVERT_INTERVAL;
	timer_set(&pp->timer, next);
}

static void
ra_fire(struct timer *t, void *arg)
{
	sid_t s = (sid_t)(uintptr_t)arg;
	struct ra *pp = &ras[s];

	(void)t;
	if (!pp->active)
		return;
	ra_send(s);
	ra_schedule(pp);
}

/*
 * A Router Solicitation (RFC 4861 4.1), checked as 6.1.1 says and
 * answered as 6.2.6 says: after a random delay of up to
 * MAX_RA_DELAY_TIME, and never sooner than MIN_DELAY_BETWEEN_RAS after
 * the previous RA, by moving the RA timer earlier.  A flood of
 * solicitations gets one RA every 3 seconds at most.
 */
void
ra_rs_input(sid_t s, const uint8_t *p, size_t len)
{
	struct ra *pp = &ras[s];
	uint8_t nh, hlim, src[16], dst[16], type, code, t, l;
	struct rd r, msg;
	uint16_t plen;
	uint64_t at;

	rd_init(&r, p, len);
	if (rd_skip(&r, 4) < 0 || rd_u16(&r, &plen) < 0 ||
	    rd_u8(&r, &nh) < 0 || rd_u8(&r, &hlim) < 0 ||
	    rd_bytes(&r, src, 16) < 0 || rd_bytes(&r, dst, 16) < 0)
		goto drop;
	if (nh != IPPROTO_ICMPV6 || hlim != 255 || plen < 8 ||
	    rd_sub(&r, plen, &msg) < 0)
		goto drop;
	if (ra_icmp6_sum(src, dst, msg.p, msg.left) != 0)
		goto drop;
	if (rd_u8(&msg, &type) < 0 || rd_u8(&msg, &code) < 0 ||
	    rd_skip(&msg, 6) < 0 || type != ICMP6_RS || code != 0)
		goto drop;
	/* 4.6: no option of length 0; no source link-layer address from ::. */
	while (msg.left > 0) {
		if (rd_u8(&msg, &t) < 0 || rd_u8(&msg, &l) < 0 || l == 0 ||
		    rd_skip(&msg, (size_t)l * 8 - 2) < 0)
			goto drop;
		if (t == ND_OPT_SLLA && memcmp(src, in6_zero, 16) == 0)
			goto drop;
	}
	stats->ipv6_rs_received++;
	at = now_ms + (uint64_t)random() % (MAX_RA_DELAY_TIME + 1);
	if (pp->last_ms != 0 && pp->last_ms + MIN_DELAY_BETWEEN_RAS >
	    now_ms)
		at += pp->last_ms + MIN_DELAY_BETWEEN_RAS - now_ms;
	if (pp->timer.fn == NULL)
		timer_init(&pp->timer, ra_fire, (void *)(uintptr_t)s);
	if (!timer_pending(&pp->timer) || at < pp->timer.when)
		timer_set_at(&pp->timer, at);
	return;
drop:
	stats->ppp_discarded++;
}

/*
 * An ICMPv6 Echo Request from the subscriber's link-local address to
 * ours: RFC 4443 4.2, the Reply carries the request's identifier,
 * sequence number and data, from the address the request was sent to.
 * Returns 0 when it was one (answered or dropped), -1 when it is not.
 */
int
ra_echo_input(sid_t s, const uint8_t *p, size_t len)
{
	static uint8_t out[40 + 1500];
	struct ra *pp = &ras[s];
	uint8_t nh, hlim, src[16], dst[16], ours[16], type, code;
	struct rd r, msg, whole;
	uint16_t plen;
	struct wr w;

	memset(ours, 0, sizeof(ours));
	ours[0] = 0xfe;
	ours[1] = 0x80;
	memcpy(ours + 8, pp->our_ifid, 8);
	rd_init(&r, p, len);
	if (rd_skip(&r, 4) < 0 || rd_u16(&r, &plen) < 0 ||
	    rd_u8(&r, &nh) < 0 || rd_u8(&r, &hlim) < 0 ||
	    rd_bytes(&r, src, 16) < 0 || rd_bytes(&r, dst, 16) < 0 ||
	    nh != IPPROTO_ICMPV6 || memcmp(dst, ours, 16) != 0 ||
	    rd_sub(&r, plen, &msg) < 0 || msg.left < 8)
		return -1;
	whole = msg;			/* the ICMPv6 message, for its sum */
	if (rd_u8(&msg, &type) < 0 || rd_u8(&msg, &code) < 0 ||
	    type != ICMP6_ECHO_REQUEST)
		return -1;
	if (!pp->active || code != 0 ||
	    ra_icmp6_sum(src, dst, whole.p, whole.left) != 0 ||
	    plen > sizeof(out) - 40 || (size_t)plen + 40 > ppp_link_mtu(s)) {
		stats->ppp_discarded++;
		return 0;
	}
	wr_init(&w, out, sizeof(out));
	put_icmp6_head(&w, plen, 64, ours, src, ICMP6_ECHO_REPLY);
	rd_skip(&msg, 2);			/* the request's checksum */
	wr_bytes(&w, msg.p, msg.left);		/* identifier, sequence, data */
	if (w.err)
		return 0;
	wr_put16_at(&w, 42, ra_icmp6_sum(ours, src, out + 40, w.len - 40));
	ppp_send(s, PPP_IPV6, out, w.len);
	stats->icmp_sent++;
	return 0;
}

void
ra_up(sid_t s, const uint8_t our_ifid[8])
{
	struct ra *pp = &ras[s];

	if (pp->timer.fn == NULL)
		timer_init(&pp->timer, ra_fire, (void *)(uintptr_t)s);
	memcpy(pp->our_ifid, our_ifid, 8);
	pp->active = 1;
	v6_prefix_up(s);
	/* RFC 4861 6.2.4: the link became advertising, an RA at once. */
	pp->count = 0;
	ra_send(s);
	ra_schedule(pp);
}

void
ra_down(sid_t s, int session_ends)
{
	struct ra *pp;

	if (ras == NULL || s == 0 || s > ras_max)
		return;
	pp = &ras[s];
	pp->active = 0;
	if (session_ends)
		pp->last_ms = 0;	/* the next session starts afresh */
	timer_cancel(&pp->timer);
	v6_prefix_down(s);
}

int
ra_init(uint32_t max_sessions)
{
	/* Each timer is initialised at ra_up: unused slots stay untouched. */
	ras_max = max_sessions;
	if ((ras = calloc((size_t)max_sessions + 1, sizeof(*ras))) == NULL)
		return -1;
	return 0;
}
