/*
 * traffic.c - IP traffic over lacsim's PPP sessions.
 *
 * State: the configuration, one struct tsess per session (address, global
 * number, counters), the list of sessions with an address (for round
 * robin without scanning the idle ones) and the run's totals; all
 * allocated once by traffic_init().
 * Exports (traffic.h): IPv4 parse/build and answers (RFC 791 header,
 * RFC 768 UDP, RFC 792 echo, RFC 1071 checksum), the generator and the
 * receive side.
 *
 * Each generated datagram carries, at the start of its UDP payload, the
 * magic "LACS", the session's global number, a per-session sequence
 * number and the send time in microseconds (all big-endian), so that a
 * receiver behind the LNS can tell sessions apart even when the source
 * ports collide, and so that our own datagrams coming back (from an echo
 * server) are counted and timed rather than reflected again.
 */
#include <stdlib.h>
#include <string.h>

#include "traffic.h"

#define TICK_US		1000	/* the generator's finest step */
#define TICK_BUDGET	4096	/* packets per call at most */

struct tsess {
	uint32_t	 addr;		/* 0: no address, not in the list */
	uint32_t	 number;
	uint32_t	 seq;
	uint32_t	 pos;		/* index in active[] */
	uint16_t	 mtu;
	uint64_t	 rx, tx;
};

static struct {
	struct traffic_conf	 conf;
	struct tsess		*sess;
	uint32_t		 nsess;
	uint32_t		*active;
	uint32_t		 nactive;
	uint32_t		 rr;		/* round-robin cursor */
	int			 running;
	uint64_t		 t_start, t_end;
	uint64_t		 due_done;	/* packets accounted for */
	struct traffic_stats	 st;
} tr;

/* ---- checksums, RFC 1071 ---- */

uint32_t
ip_sum(uint32_t sum, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	/* Fold now and then so a long buffer cannot overflow. */
	while (sum >> 24)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

uint16_t
ip_sum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint32_t
pseudo_sum(uint32_t src, uint32_t dst, uint8_t proto, uint16_t len)
{
	return (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) +
	    proto + len;
}

/* ---- IPv4 ---- */

int
ip4_parse(const uint8_t *pkt, size_t len, struct ip4_info *ip,
    const char **why)
{
	uint8_t vihl, tos;
	uint16_t sum;
	struct rd r;

	memset(ip, 0, sizeof(*ip));
	rd_init(&r, pkt, len);
	if (rd_u8(&r, &vihl) == -1 || rd_u8(&r, &tos) == -1 ||
	    rd_u16(&r, &ip->tot_len) == -1 || rd_u16(&r, &ip->id) == -1 ||
	    rd_u16(&r, &ip->frag) == -1 || rd_u8(&r, &ip->ttl) == -1 ||
	    rd_u8(&r, &ip->proto) == -1 || rd_u16(&r, &sum) == -1 ||
	    rd_u32(&r, &ip->src) == -1 || rd_u32(&r, &ip->dst) == -1) {
		*why = "shorter than an IPv4 header";
		return -1;
	}
	if (vihl >> 4 != 4) {
		*why = "not IPv4";
		return -1;
	}
	ip->ihl_len = (uint8_t)((vihl & 0x0f) * 4);
	/* STYLE 3: each length against both ends. */
	if (ip->ihl_len < IP4_HDR_LEN || ip->ihl_len > len) {
		*why = "bad IHL";
		return -1;
	}
	if (ip->tot_len < ip->ihl_len || ip->tot_len > len) {
		*why = "bad Total Length";
		return -1;
	}
	if (ip_sum_fold(ip_sum(0, pkt, ip->ihl_len)) != 0) {
		*why = "bad header checksum";
		return -1;
	}
	if (rd_sub(&r, ip->ihl_len - IP4_HDR_LEN, &ip->opts) == -1 ||
	    rd_sub(&r, ip->tot_len - ip->ihl_len, &ip->payload) == -1) {
		*why = "bad Total Length";
		return -1;
	}
	return 0;
}

static void
ip4_header(struct wr *w, size_t tot_len, uint16_t id, uint8_t proto,
    uint32_t src, uint32_t dst, const struct rd *opts)
{
	size_t hlen = IP4_HDR_LEN + (opts != NULL ? opts->left : 0);
	size_t off = w->len;

	wr_u8(w, (uint8_t)(0x40 | hlen / 4));
	wr_u8(w, 0);			/* TOS */
	wr_u16(w, (uint16_t)tot_len);
	wr_u16(w, id);
	wr_u16(w, 0);			/* flags, fragment offset */
	wr_u8(w, 64);			/* TTL */
	wr_u8(w, proto);
	wr_u16(w, 0);			/* checksum, below */
	wr_u32(w, src);
	wr_u32(w, dst);
	if (opts != NULL)
		wr_bytes(w, opts->p, opts->left);
	if (!w->err)
		wr_patch_u16(w, off + 10,
		    ip_sum_fold(ip_sum(0, w->buf + off, hlen)));
}

/* RFC 768: over the pseudo-header too; a zero result goes out as FFFF. */
static void
udp_cksum(struct wr *w, size_t udp_off, uint32_t src, uint32_t dst)
{
	size_t n = w->len - udp_off;
	uint16_t sum;

	sum = ip_sum_fold(ip_sum(pseudo_sum(src, dst, IP_PROTO_UDP,
	    (uint16_t)n), w->buf + udp_off, n));
	wr_patch_u16(w, udp_off + 6, sum == 0 ? 0xffff : sum);
}

size_t
ip4_udp_build(uint8_t *buf, size_t size, uint32_t src, uint32_t dst,
    uint16_t sport, uint16_t dport, uint16_t id, const uint8_t *payload,
    size_t plen)
{
	size_t room, udp_off;
	struct wr w;

	if (size < IP4_MIN_PKT || size > 0xffff)
		return 0;
	room = size - IP4_MIN_PKT;
	if (plen > room)
		plen = room;
	wr_init(&w, buf, size);
	ip4_header(&w, size, id, IP_PROTO_UDP, src, dst, NULL);
	udp_off = w.len;
	wr_u16(&w, sport);
	wr_u16(&w, dport);
	wr_u16(&w, (uint16_t)(size - IP4_HDR_LEN));
	wr_u16(&w, 0);			/* checksum, below */
	wr_bytes(&w, payload, plen);
	if (!w.err && w.len < size) {
		memset(buf + w.len, 0, size - w.len);
		w.len = size;
	}
	if (w.err)
		return 0;
	udp_cksum(&w, udp_off, src, dst);
	return w.err ? 0 : size;
}

static int
is_ours(const struct rd *udp_payload)
{
	struct rd r = *udp_payload;
	uint32_t magic;

	return rd_u32(&r, &magic) == 0 && magic == TRAFFIC_MAGIC;
}

size_t
ip4_answer(const struct ip4_info *ip, uint8_t *out, size_t cap)
{
	uint16_t sport, dport, ulen, ident, seq, sum;
	uint8_t type, code;
	struct rd r = ip->payload;
	size_t off;
	struct wr w;

	/* A fragment is not a whole message: no answer. */
	if ((ip->frag & 0x3fff) != 0)
		return 0;
	wr_init(&w, out, cap);
	switch (ip->proto) {
	case IP_PROTO_ICMP:
		if (rd_u8(&r, &type) == -1 || rd_u8(&r, &code) == -1 ||
		    rd_u16(&r, &sum) == -1 || rd_u16(&r, &ident) == -1 ||
		    rd_u16(&r, &seq) == -1)
			return 0;
		/* RFC 792: echo request is type 8; checked before answered. */
		if (type != 8 || code != 0 ||
		    ip_sum_fold(ip_sum(0, ip->payload.p,
		    ip->payload.left)) != 0)
			return 0;
		ip4_header(&w, ip->tot_len, ip->id, IP_PROTO_ICMP, ip->dst,
		    ip->src, &ip->opts);
		off = w.len;
		wr_u8(&w, 0);		/* echo reply */
		wr_u8(&w, 0);
		wr_u16(&w, 0);
		wr_u16(&w, ident);
		wr_u16(&w, seq);
		wr_bytes(&w, r.p, r.left);
		if (w.err)
			return 0;
		wr_patch_u16(&w, off + 2,
		    ip_sum_fold(ip_sum(0, w.buf + off, w.len - off)));
		break;
	case IP_PROTO_UDP:
		if (rd_u16(&r, &sport) == -1 || rd_u16(&r, &dport) == -1 ||
		    rd_u16(&r, &ulen) == -1 || rd_u16(&r, &sum) == -1)
			return 0;
		if (ulen < UDP_HDR_LEN || ulen > ip->payload.left)
			return 0;
		r.left = ulen - UDP_HDR_LEN;
		/* Ours coming back: reflecting it again would loop. */
		if (is_ours(&r))
			return 0;
		ip4_header(&w, ip->ihl_len + (size_t)ulen, ip->id,
		    IP_PROTO_UDP, ip->dst, ip->src, &ip->opts);
		off = w.len;
		wr_u16(&w, dport);
		wr_u16(&w, sport);
		wr_u16(&w, ulen);
		wr_u16(&w, 0);
		wr_bytes(&w, r.p, r.left);
		if (w.err)
			return 0;
		/* RFC 768: zero means the sender computed none. */
		if (sum != 0)
			udp_cksum(&w, off, ip->src, ip->dst);
		break;
	default:
		return 0;
	}
	return w.err ? 0 : w.len;
}

/* ---- the run ---- */

int
traffic_init(const struct traffic_conf *conf, uint32_t nsess)
{
	memset(&tr, 0, sizeof(tr));
	tr.conf = *conf;
	tr.nsess = nsess;
	tr.sess = calloc(nsess ? nsess : 1, sizeof(*tr.sess));
	tr.active = calloc(nsess ? nsess : 1, sizeof(*tr.active));
	if (tr.sess == NULL || tr.active == NULL) {
		traffic_free();
		return -1;
	}
	return 0;
}

void
traffic_free(void)
{
	free(tr.sess);
	free(tr.active);
	tr.sess = NULL;
	tr.active = NULL;
	tr.nsess = tr.nactive = 0;
}

void
traffic_up(uint32_t sess, uint32_t addr, uint32_t number, size_t mtu)
{
	struct tsess *s;

	if (sess >= tr.nsess || addr == 0)
		return;
	s = &tr.sess[sess];
	if (s->addr == 0) {
		s->pos = tr.nactive;
		tr.active[tr.nactive++] = sess;
	}
	s->addr = addr;
	s->number = number;
	s->mtu = (uint16_t)(mtu < IP4_MAX_PKT ? mtu : IP4_MAX_PKT);
}

void
traffic_down(uint32_t sess)
{
	struct tsess *s;
	uint32_t last;

	if (sess >= tr.nsess || tr.sess[sess].addr == 0)
		return;
	s = &tr.sess[sess];
	/* Swap the last one into its place: O(1). */
	last = tr.active[--tr.nactive];
	tr.active[s->pos] = last;
	tr.sess[last].pos = s->pos;
	s->addr = 0;
}

uint32_t
traffic_active(void)
{
	return tr.nactive;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

void
traffic_start(uint64_t now)
{
	uint32_t i;

	if (tr.conf.dst == 0 || tr.conf.pps <= 0)
		return;
	/*
	 * Round robin in session order, which is tunnel order: consecutive
	 * datagrams share a tunnel's socket and go out in one sendmmsg(),
	 * however the sessions' IPCP came up interleaved.
	 */
	qsort(tr.active, tr.nactive, sizeof(*tr.active), cmp_u32);
	for (i = 0; i < tr.nactive; i++)
		tr.sess[tr.active[i]].pos = i;
	tr.rr = 0;
	tr.running = 1;
	tr.t_start = now;
	tr.t_end = now + (uint64_t)(tr.conf.duration * 1e6);
	tr.due_done = 0;
}

int
traffic_set(size_t size, double pps, double duration)
{
	if (size < IP4_MIN_PKT || size > IP4_MAX_PKT || !(pps >= 0.001) ||
	    pps > 1e7 || !(duration >= 0.001) || duration > 1e7)
		return -1;
	tr.conf.size = size;
	tr.conf.pps = pps;
	tr.conf.duration = duration;
	return 0;
}

void
traffic_stop(void)
{
	tr.running = 0;
}

int
traffic_running(void)
{
	return tr.running;
}

static void
send_one(uint32_t idx, uint64_t now)
{
	struct tsess *s = &tr.sess[idx];
	uint8_t payload[TRAFFIC_HDR_LEN], *buf;
	size_t size = tr.conf.size;
	uint16_t sport;
	struct wr w;

	if (size > s->mtu)
		size = s->mtu;
	if (size < IP4_MIN_PKT)
		return;
	buf = tr.conf.slot(idx, size);
	if (buf == NULL)
		return;
	wr_init(&w, payload, sizeof(payload));
	wr_u32(&w, TRAFFIC_MAGIC);
	wr_u32(&w, s->number);
	wr_u32(&w, s->seq);
	wr_u32(&w, (uint32_t)(now >> 32));
	wr_u32(&w, (uint32_t)now);
	sport = tr.conf.sport != 0 ? tr.conf.sport :
	    (uint16_t)(1024 + (s->number - 1) % 64512);
	ip4_udp_build(buf, size, s->addr, tr.conf.dst, sport, tr.conf.dport,
	    (uint16_t)s->seq, payload, w.len);
	s->seq++;
	s->tx++;
	tr.st.tx_packets++;
	tr.st.tx_bytes += size;
}

uint64_t
traffic_tick(uint64_t now)
{
	uint64_t due, n, next;

	if (!tr.running)
		return 0;
	if (now >= tr.t_end) {
		tr.running = 0;
		return 0;
	}
	/* Packets due since the start, at --pps; the rest is spread. */
	due = (uint64_t)((double)(now - tr.t_start) * tr.conf.pps / 1e6) + 1;
	n = due > tr.due_done ? due - tr.due_done : 0;
	if (n > TICK_BUDGET)
		n = TICK_BUDGET;
	tr.due_done += n;
	if (tr.nactive == 0) {
		tr.st.tx_no_session += n;
		n = 0;
	}
	while (n-- > 0) {
		if (tr.rr >= tr.nactive)
			tr.rr = 0;
		send_one(tr.active[tr.rr++], now);
	}
	if (tr.due_done < due)
		return now;		/* behind: again at once */
	next = tr.t_start + (uint64_t)((double)tr.due_done * 1e6 /
	    tr.conf.pps);
	if (next < now + TICK_US)
		next = now + TICK_US;
	return next < tr.t_end ? next : tr.t_end;
}

/* Our own datagram back from an echo server: count it, time it. */
static void
own_returned(const struct tsess *s, const struct ip4_info *ip, uint64_t now)
{
	struct rd r = ip->payload;
	uint32_t magic, number, seq, hi, lo;
	uint64_t sent;

	if (ip->proto != IP_PROTO_UDP || rd_skip(&r, UDP_HDR_LEN) == -1 ||
	    rd_u32(&r, &magic) == -1 || magic != TRAFFIC_MAGIC ||
	    rd_u32(&r, &number) == -1 || number != s->number ||
	    rd_u32(&r, &seq) == -1 || rd_u32(&r, &hi) == -1 ||
	    rd_u32(&r, &lo) == -1)
		return;
	sent = (uint64_t)hi << 32 | lo;
	if (sent > now)
		return;
	tr.st.rx_own++;
	tr.st.rtt_sum_us += now - sent;
	if (now - sent > tr.st.rtt_max_us)
		tr.st.rtt_max_us = now - sent;
}

void
traffic_input(uint32_t sess, const uint8_t *pkt, size_t len, uint64_t now)
{
	struct ip4_info ip;
	struct tsess *s;
	const char *why;
	uint8_t *out;
	uint8_t reply[IP4_MAX_PKT];
	size_t n;

	if (sess >= tr.nsess)
		return;
	s = &tr.sess[sess];
	if (ip4_parse(pkt, len, &ip, &why) == -1) {
		tr.st.rx_bad++;
		return;
	}
	tr.st.rx_packets++;
	tr.st.rx_bytes += ip.tot_len;
	s->rx++;
	if (s->addr == 0 || ip.dst != s->addr) {
		tr.st.rx_wrong_session++;
		return;
	}
	own_returned(s, &ip, now);
	if (!tr.conf.echo || ip.tot_len > sizeof(reply))
		return;
	n = ip4_answer(&ip, reply, sizeof(reply));
	if (n == 0 || n > s->mtu || (out = tr.conf.slot(sess, n)) == NULL)
		return;
	memcpy(out, reply, n);
	if (ip.proto == IP_PROTO_ICMP)
		tr.st.icmp_replies++;
	else
		tr.st.udp_reflected++;
}

const struct traffic_stats *
traffic_stats(void)
{
	return &tr.st;
}

uint64_t
traffic_session_rx(uint32_t sess)
{
	return sess < tr.nsess ? tr.sess[sess].rx : 0;
}

uint64_t
traffic_session_tx(uint32_t sess)
{
	return sess < tr.nsess ? tr.sess[sess].tx : 0;
}
