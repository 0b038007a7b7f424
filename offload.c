/*
 * offload.c - TCP and UDP segmentation and TCP coalescing in user space,
 * for the TUN device's virtio-net header (see offload.h).
 *
 * State owned: the pending upstream super-segments (a few flows at a
 * time) and the function that writes them.  Packets are parsed through
 * the checked reader (rd.h); headers are rebuilt only in our own copies.
 *
 * Segmentation follows what the kernel's own does (RFC 9293 3.4 for the
 * sequence numbers): every segment gets the IP and TCP header of the
 * super-segment with its own Total Length (IPv4 Identification counting
 * up) or Payload Length, Sequence Number, FIN and PSH on the last
 * segment only, CWR on the first only (RFC 3168 6.1.2), and a full
 * checksum (RFC 1071; the pseudo-header of RFC 9293 3.1 and RFC 8200
 * 8.1).  Coalescing merges only segments that segmentation would give
 * back unchanged: same addresses, ports, acknowledgement, window and
 * options, ACK (and PSH on the last) alone, consecutive sequence
 * numbers, equal sizes but for a shorter last one, and a correct
 * checksum (a damaged segment is never laundered into a good one).
 */
#include <string.h>
#include <arpa/inet.h>

#include "offload.h"
#include "rd.h"
#include "tcpflags.h"

/* The layout of an IPv4/IPv6 packet carrying TCP or UDP. */
struct l4pkt {
	int		v6;
	uint8_t		proto;		/* 6 TCP, 17 UDP */
	size_t		l3len;		/* IP header */
	size_t		hdrlen;		/* IP and TCP/UDP headers */
	size_t		len;		/* the IP packet (Total Length) */
};

static int
parse_l4(const uint8_t *p, size_t len, struct l4pkt *k)
{
	uint8_t vihl, proto, doff;
	uint16_t tot, frag;
	struct rd r;

	memset(k, 0, sizeof(*k));
	rd_init(&r, p, len);
	if (rd_u8(&r, &vihl) < 0)
		return -1;
	if ((vihl >> 4) == 4) {
		/* RFC 791 3.1 */
		k->l3len = (size_t)(vihl & 0x0f) * 4;
		if (rd_skip(&r, 1) < 0 || rd_u16(&r, &tot) < 0 ||
		    rd_skip(&r, 2) < 0 || rd_u16(&r, &frag) < 0 ||
		    rd_skip(&r, 1) < 0 || rd_u8(&r, &proto) < 0)
			return -1;
		if (k->l3len < 20 || tot < k->l3len || tot > len ||
		    (frag & 0x3fff) != 0)
			return -1;
		k->len = tot;
	} else if ((vihl >> 4) == 6) {
		/* RFC 8200 3: no extension headers here. */
		if (rd_skip(&r, 3) < 0 || rd_u16(&r, &tot) < 0 ||
		    rd_u8(&r, &proto) < 0 || (size_t)tot + 40 > len)
			return -1;
		k->v6 = 1;
		k->l3len = 40;
		k->len = (size_t)tot + 40;
	} else
		return -1;
	k->proto = proto;
	rd_init(&r, p + k->l3len, k->len - k->l3len);
	if (proto == 6) {
		/* RFC 9293 3.1: Data Offset at 12. */
		if (rd_skip(&r, 12) < 0 || rd_u8(&r, &doff) < 0 ||
		    (doff >> 4) < 5 || (size_t)(doff >> 4) * 4 >
		    k->len - k->l3len)
			return -1;
		k->hdrlen = k->l3len + (size_t)(doff >> 4) * 4;
	} else if (proto == 17) {
		if (k->len - k->l3len < 8)
			return -1;
		k->hdrlen = k->l3len + 8;
	} else
		return -1;
	return 0;
}

/*
 * One's complement sums (RFC 1071 2): words are added in the host's
 * order and the folded result stored the same way, which gives the
 * right octets whatever the byte order (RFC 1071 2(B)).
 */
static uint64_t
sum_add(uint64_t s, const uint8_t *p, size_t n)
{
	uint32_t w;
	uint16_t h;

	while (n >= 4) {
		memcpy(&w, p, 4);
		s += w;
		p += 4;
		n -= 4;
	}
	if (n >= 2) {
		memcpy(&h, p, 2);
		s += h;
		p += 2;
		n -= 2;
	}
	if (n) {
		uint8_t t[2] = { p[0], 0 };

		memcpy(&h, t, 2);
		s += h;
	}
	return s;
}

static uint16_t
sum_fold(uint64_t s)
{
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)((s & 0xffff) + (s >> 16));
}

/* The pseudo-header of a TCP/UDP packet of l4len octets. */
static uint64_t
sum_pseudo(const uint8_t *ip, const struct l4pkt *k, size_t l4len)
{
	uint8_t tail[8] = { 0 };

	if (!k->v6) {
		/* RFC 9293 3.1: source, destination, zero, PTCL, length. */
		tail[1] = k->proto;
		tail[2] = (uint8_t)(l4len >> 8);
		tail[3] = (uint8_t)l4len;
		return sum_add(sum_add(0, ip + 12, 8), tail, 4);
	}
	/* RFC 8200 8.1: source, destination, length, zero, next header. */
	tail[0] = (uint8_t)(l4len >> 24);
	tail[1] = (uint8_t)(l4len >> 16);
	tail[2] = (uint8_t)(l4len >> 8);
	tail[3] = (uint8_t)l4len;
	tail[7] = k->proto;
	return sum_add(sum_add(0, ip + 8, 32), tail, 8);
}

static void
put16(uint8_t *at, uint16_t v)
{
	at[0] = (uint8_t)(v >> 8);
	at[1] = (uint8_t)v;
}

static uint16_t
get16(const uint8_t *at)
{
	return (uint16_t)(at[0] << 8 | at[1]);
}

static void
ip4_csum(uint8_t *ip, size_t ihl)
{
	uint16_t c;

	ip[10] = ip[11] = 0;
	c = (uint16_t)~sum_fold(sum_add(0, ip, ihl));
	memcpy(ip + 10, &c, 2);
}

/* The full TCP/UDP checksum of a packet built in our buffer. */
static void
l4_csum(uint8_t *ip, const struct l4pkt *k, size_t len)
{
	uint8_t *f = ip + k->l3len + (k->proto == 6 ? 16 : 6);
	size_t l4len = len - k->l3len;
	uint16_t c;

	f[0] = f[1] = 0;
	c = (uint16_t)~sum_fold(sum_add(sum_pseudo(ip, k, l4len),
	    ip + k->l3len, l4len));
	/* RFC 768: a computed zero is sent as all ones. */
	if (c == 0 && k->proto == 17)
		c = 0xffff;
	memcpy(f, &c, 2);
}

int
off_l4_csum_ok(const uint8_t *pkt, size_t len)
{
	struct l4pkt k;

	if (parse_l4(pkt, len, &k) < 0)
		return 0;
	return sum_fold(sum_add(sum_pseudo(pkt, &k, k.len - k.l3len),
	    pkt + k.l3len, k.len - k.l3len)) == 0xffff;
}

int
off_csum_complete(uint8_t *pkt, size_t len, size_t start, size_t offset)
{
	uint16_t c;

	if (start > len || offset > len - start || len - start - offset < 2)
		return -1;
	c = (uint16_t)~sum_fold(sum_add(0, pkt + start, len - start));
	if (c == 0)
		c = 0xffff;
	memcpy(pkt + start + offset, &c, 2);
	return 0;
}

int
off_segment(const struct virtio_net_hdr *vh, const uint8_t *pkt, size_t len,
    size_t mtu, const struct off_out *out)
{
	struct l4pkt k;
	size_t seg, payload, off, n;
	uint32_t seq0 = 0;
	uint16_t id0;
	uint8_t flags0 = 0;
	int count = 0;

	if (parse_l4(pkt, len, &k) < 0)
		return -1;
	switch (vh->gso_type & ~VIRTIO_NET_HDR_GSO_ECN) {
	case VIRTIO_NET_HDR_GSO_TCPV4:
		if (k.v6 || k.proto != 6)
			return -1;
		break;
	case VIRTIO_NET_HDR_GSO_TCPV6:
		if (!k.v6 || k.proto != 6)
			return -1;
		break;
	case VIRTIO_NET_HDR_GSO_UDP_L4:
		if (k.proto != 17)
			return -1;
		break;
	default:
		return -1;
	}
	if (mtu > OFF_SEG_MAX)
		mtu = OFF_SEG_MAX;
	if (mtu <= k.hdrlen)
		return -1;
	seg = vh->gso_size;
	if (seg == 0 || seg > mtu - k.hdrlen)
		seg = mtu - k.hdrlen;
	payload = k.len - k.hdrlen;
	id0 = get16(pkt + 4);
	if (k.proto == 6) {
		const uint8_t *th = pkt + k.l3len;

		seq0 = (uint32_t)get16(th + 4) << 16 | get16(th + 6);
		flags0 = th[13];
	}
	for (off = 0; off < payload || count == 0; off += n) {
		uint8_t *q = out->get(out->arg), *l4;
		int last;

		if (q == NULL)
			break;
		n = payload - off < seg ? payload - off : seg;
		last = off + n >= payload;
		memcpy(q, pkt, k.hdrlen);
		memcpy(q + k.hdrlen, pkt + k.hdrlen + off, n);
		l4 = q + k.l3len;
		if (k.v6)
			put16(q + 4, (uint16_t)(k.hdrlen - 40 + n));
		else {
			put16(q + 2, (uint16_t)(k.hdrlen + n));
			put16(q + 4, (uint16_t)(id0 + count));
			ip4_csum(q, k.l3len);
		}
		if (k.proto == 6) {
			uint32_t seq = seq0 + (uint32_t)off;
			uint8_t fl = flags0;

			put16(l4 + 4, (uint16_t)(seq >> 16));
			put16(l4 + 6, (uint16_t)seq);
			if (!last)
				fl &= (uint8_t)~(TCP_FIN | TCP_PSH);
			if (count > 0)
				fl &= (uint8_t)~TCP_CWR;
			l4[13] = fl;
		} else
			put16(l4 + 4, (uint16_t)(8 + n));
		l4_csum(q, &k, k.hdrlen + n);
		out->emit(out->arg, q, k.hdrlen + n);
		count++;
		if (n == 0)
			break;
	}
	return count;
}

/*
 * Upstream: a few flows at a time, each one super-segment being built.
 * A flow is its addresses and ports; its first segment's headers are
 * kept at the front of buf and the payloads appended behind them.
 */
#define GRO_SLOTS	8
#define GRO_SEGS	64

static struct gro_slot {
	int		used;
	struct l4pkt	k;
	uint32_t	next_seq;
	size_t		seg;		/* payload of the first segment */
	size_t		len;
	unsigned	count;
	int		closed;		/* a short or PSH segment ended it */
	uint8_t		buf[OFF_GRO_MAX];
} gro[GRO_SLOTS];
static unsigned gro_next;
static off_write_fn gro_write;

void
off_gro_init(off_write_fn fn)
{
	unsigned i;

	gro_write = fn;
	for (i = 0; i < GRO_SLOTS; i++)
		gro[i].used = 0;
	gro_next = 0;
}

static void
slot_flush(struct gro_slot *g)
{
	struct virtio_net_hdr vh;
	uint8_t *ip = g->buf;
	uint16_t c;

	if (!g->used)
		return;
	g->used = 0;
	if (g->count == 1) {
		gro_write(NULL, ip, g->len);
		return;
	}
	if (g->k.v6)
		put16(ip + 4, (uint16_t)(g->len - 40));
	else {
		put16(ip + 2, (uint16_t)g->len);
		ip4_csum(ip, g->k.l3len);
	}
	/*
	 * The kernel completes the checksum (VIRTIO_NET_HDR_F_NEEDS_CSUM):
	 * the field holds the pseudo-header sum, not complemented.
	 */
	c = sum_fold(sum_pseudo(ip, &g->k, g->len - g->k.l3len));
	memcpy(ip + g->k.l3len + 16, &c, 2);
	memset(&vh, 0, sizeof(vh));
	vh.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	vh.gso_type = g->k.v6 ? VIRTIO_NET_HDR_GSO_TCPV6 :
	    VIRTIO_NET_HDR_GSO_TCPV4;
	vh.hdr_len = (uint16_t)g->k.hdrlen;
	vh.gso_size = (uint16_t)g->seg;
	vh.csum_start = (uint16_t)g->k.l3len;
	vh.csum_offset = 16;
	gro_write(&vh, ip, g->len);
}

void
off_gro_flush(void)
{
	unsigned i;

	for (i = 0; i < GRO_SLOTS; i++)
		slot_flush(&gro[i]);
}

/* Same flow: addresses and ports. */
static int
same_flow(const struct gro_slot *g, const uint8_t *p, const struct l4pkt *k)
{
	const uint8_t *q = g->buf;

	if (g->k.v6 != k->v6 || g->k.proto != k->proto)
		return 0;
	if (k->v6 ? memcmp(q + 8, p + 8, 32) != 0 :
	    memcmp(q + 12, p + 12, 8) != 0)
		return 0;
	return memcmp(q + g->k.l3len, p + k->l3len, 4) == 0;
}

/*
 * Whether segmenting the merged packet gives this one back: the same
 * IP header but for the lengths, Identification and checksum; the same
 * TCP header but for the sequence number, PSH and the checksum.
 */
static int
mergeable(const struct gro_slot *g, const uint8_t *p, const struct l4pkt *k,
    size_t payload)
{
	const uint8_t *q = g->buf, *qt = q + g->k.l3len, *pt = p + k->l3len;
	uint32_t seq = (uint32_t)get16(pt + 4) << 16 | get16(pt + 6);

	if (g->closed || g->count >= GRO_SEGS || k->hdrlen != g->k.hdrlen ||
	    payload > g->seg || g->len + payload > OFF_GRO_MAX ||
	    seq != g->next_seq)
		return 0;
	if (k->v6) {
		/* Version, Traffic Class, Flow Label; Hop Limit. */
		if (memcmp(q, p, 4) != 0 || q[7] != p[7])
			return 0;
	} else {
		/* Version, IHL, DSCP/ECN; flags (DF); TTL; and options. */
		if (memcmp(q, p, 2) != 0 || q[6] != p[6] || q[8] != p[8] ||
		    memcmp(q + 20, p + 20, k->l3len - 20) != 0)
			return 0;
	}
	/* Acknowledgement, Data Offset; Window; Urgent; options. */
	return memcmp(qt + 8, pt + 8, 5) == 0 &&
	    memcmp(qt + 14, pt + 14, 2) == 0 &&
	    memcmp(qt + 18, pt + 18, k->hdrlen - k->l3len - 18) == 0;
}

int
off_gro_add(const uint8_t *p, size_t len)
{
	struct gro_slot *g = NULL;
	struct l4pkt k;
	size_t payload;
	uint8_t flags;
	unsigned i;

	if (gro_write == NULL || parse_l4(p, len, &k) < 0 || k.proto != 6 ||
	    k.len != len)
		return 0;
	for (i = 0; i < GRO_SLOTS; i++)
		if (gro[i].used && same_flow(&gro[i], p, &k)) {
			g = &gro[i];
			break;
		}
	payload = len - k.hdrlen;
	flags = p[k.l3len + 13];
	/* Data with ACK (and PSH) alone, IPv4 with DF, checksum right. */
	if (payload == 0 || (flags & ~TCP_PSH) != TCP_ACK ||
	    (!k.v6 && !(p[6] & 0x40)) || !off_l4_csum_ok(p, len)) {
		if (g != NULL)
			slot_flush(g);
		return 0;
	}
	if (g != NULL && mergeable(g, p, &k, payload)) {
		memcpy(g->buf + g->len, p + k.hdrlen, payload);
		g->len += payload;
		g->next_seq += (uint32_t)payload;
		g->count++;
		if (flags & TCP_PSH) {
			g->buf[g->k.l3len + 13] |= TCP_PSH;
			g->closed = 1;
		}
		if (payload < g->seg)
			g->closed = 1;
		return 1;
	}
	if (g != NULL)
		slot_flush(g);
	else {
		for (i = 0; i < GRO_SLOTS && gro[i].used; i++)
			;
		if (i == GRO_SLOTS) {
			/* All in use: one goes, each in turn. */
			i = gro_next;
			gro_next = (gro_next + 1) % GRO_SLOTS;
			slot_flush(&gro[i]);
		}
		g = &gro[i];
	}
	memcpy(g->buf, p, len);
	g->k = k;
	g->len = len;
	g->seg = payload;
	g->count = 1;
	g->closed = (flags & TCP_PSH) != 0;
	g->next_seq = (uint32_t)get16(p + k.l3len + 4) << 16 |
	    get16(p + k.l3len + 6);
	g->next_seq += (uint32_t)payload;
	g->used = 1;
	return 1;
}
