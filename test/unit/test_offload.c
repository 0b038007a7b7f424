/*
 * test_offload.c - user-space segmentation and coalescing (offload.c)
 * on hand-built TCP/UDP super-segments over IPv4 and IPv6.
 *
 * Every segment is checked against an independent checksum (a plain
 * big-endian RFC 1071 sum written here), its lengths, sequence numbers,
 * flags and IPv4 Identification, and the payloads put back together
 * must give the super-segment's.  Coalescing is checked by a round trip:
 * segments merged by off_gro_add() and cut again by off_segment() must
 * come back octet for octet, and segments that must not merge (out of
 * order, another flow, a bad checksum, no DF, SYN, a short one) do not.
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

#include "offload.h"

#define F_FIN	0x01
#define F_SYN	0x02
#define F_PSH	0x08
#define F_ACK	0x10
#define F_CWR	0x80

/* ---- an independent checksum: big-endian words, byte by byte ---- */

static uint32_t
be_sum(const uint8_t *p, size_t n, uint32_t s)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

static uint16_t
be_fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

static size_t
l3len_of(const uint8_t *p)
{
	return (p[0] >> 4) == 4 ? (size_t)(p[0] & 0x0f) * 4 : 40;
}

/* The TCP/UDP checksum over the pseudo-header verifies (sums to ~0). */
static int
l4_ok(const uint8_t *p, size_t len)
{
	size_t l3 = l3len_of(p), l4 = len - l3;
	uint32_t s;

	if ((p[0] >> 4) == 4) {
		s = be_sum(p + 12, 8, 0) + p[9] + (uint32_t)l4;
	} else {
		s = be_sum(p + 8, 32, 0) + p[6] + (uint32_t)l4;
	}
	return be_fold(be_sum(p + l3, l4, s)) == 0xffff;
}

static int
ip4_ok(const uint8_t *p)
{
	return be_fold(be_sum(p, (size_t)(p[0] & 0x0f) * 4, 0)) == 0xffff;
}

static uint16_t
g16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
g32(const uint8_t *p)
{
	return (uint32_t)g16(p) << 16 | g16(p + 2);
}

static void
p16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
p32(uint8_t *p, uint32_t v)
{
	p16(p, (uint16_t)(v >> 16));
	p16(p + 2, (uint16_t)v);
}

/* Write a right checksum into a packet built here. */
static void
fix_csums(uint8_t *p, size_t len)
{
	size_t l3 = l3len_of(p);
	uint8_t *f = p + l3 + (p[(p[0] >> 4) == 4 ? 9 : 6] == 6 ? 16 : 6);
	uint32_t s;

	if ((p[0] >> 4) == 4) {
		p[10] = p[11] = 0;
		p16(p + 10, (uint16_t)~be_fold(be_sum(p, l3, 0)));
		s = be_sum(p + 12, 8, 0) + p[9] + (uint32_t)(len - l3);
	} else
		s = be_sum(p + 8, 32, 0) + p[6] + (uint32_t)(len - l3);
	f[0] = f[1] = 0;
	p16(f, (uint16_t)~be_fold(be_sum(p + l3, len - l3, s)));
}

/*
 * A packet: IPv4 (with DF) or IPv6, TCP with `optlen` octets of options
 * (NOPs and a timestamp-like block) or UDP, `payload` octets of a
 * pattern that depends on the offset.  Returns its length.
 */
static size_t
build(uint8_t *p, int v6, int tcp, size_t payload, uint32_t seq,
    uint8_t flags, size_t optlen, unsigned pattern_at)
{
	size_t l3 = v6 ? 40 : 20, l4 = tcp ? 20 + optlen : 8, i;
	size_t len = l3 + l4 + payload;

	memset(p, 0, l3 + l4);
	if (v6) {
		p[0] = 0x60;
		p16(p + 4, (uint16_t)(l4 + payload));
		p[6] = tcp ? 6 : 17;
		p[7] = 64;
		inet_pton(AF_INET6, "2001:db8::1", p + 8);
		inet_pton(AF_INET6, "2001:db8:100::5", p + 24);
	} else {
		p[0] = 0x45;
		p16(p + 2, (uint16_t)len);
		p16(p + 4, 0x1234);
		p[6] = 0x40;		/* DF */
		p[8] = 64;
		p[9] = tcp ? 6 : 17;
		inet_pton(AF_INET, "198.18.0.2", p + 12);
		inet_pton(AF_INET, "100.64.0.7", p + 16);
	}
	p16(p + l3, 5001);
	p16(p + l3 + 2, 40000);
	if (tcp) {
		p32(p + l3 + 4, seq);
		p32(p + l3 + 8, 0xa0b0c0d0);
		p[l3 + 12] = (uint8_t)((5 + optlen / 4) << 4);
		p[l3 + 13] = flags;
		p16(p + l3 + 14, 501);
		for (i = 0; i < optlen; i++)
			p[l3 + 20 + i] = (uint8_t)(i < 2 ? 1 : 0x40 + i);
	} else
		p16(p + l3 + 4, (uint16_t)(8 + payload));
	for (i = 0; i < payload; i++)
		p[l3 + l4 + i] = (uint8_t)((pattern_at + i) * 7 + 3);
	fix_csums(p, len);
	return len;
}

/* ---- segments collected from off_segment ---- */

#define MAXSEG	128
static struct {
	uint8_t	buf[MAXSEG][OFF_SEG_MAX];
	size_t	len[MAXSEG];
	int	n, limit;
} out;

static uint8_t *
get(void *arg)
{
	(void)arg;
	if (out.n >= MAXSEG || (out.limit && out.n >= out.limit))
		return NULL;
	return out.buf[out.n];
}

static void
emit(void *arg, uint8_t *pkt, size_t len)
{
	(void)arg;
	assert_ptr_equal(pkt, out.buf[out.n]);
	out.len[out.n++] = len;
}

static const struct off_out sink = { get, emit, NULL };

static int
segment(uint8_t type, uint16_t gso_size, const uint8_t *p, size_t len,
    size_t mtu)
{
	struct virtio_net_hdr vh;

	memset(&vh, 0, sizeof(vh));
	vh.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	vh.gso_type = type;
	vh.gso_size = gso_size;
	out.n = 0;
	return off_segment(&vh, p, len, mtu, &sink);
}

static uint8_t big[70000], big2[70000];

/* Every segment well formed; payloads put together give the original. */
static void
check_segments(const uint8_t *orig, size_t len, int tcp, size_t mtu,
    size_t seg)
{
	size_t l3 = l3len_of(orig);
	size_t hdr = l3 + (tcp ? (size_t)(orig[l3 + 12] >> 4) * 4 : 8);
	size_t payload = len - hdr, off = 0;
	int k, v6 = (orig[0] >> 4) == 6;

	assert_int_equal(out.n, (int)((payload + seg - 1) / seg));
	for (k = 0; k < out.n; k++) {
		const uint8_t *q = out.buf[k];
		size_t n = out.len[k] - hdr;
		uint8_t fl;

		assert_true(out.len[k] <= mtu);
		assert_int_equal(n, k < out.n - 1 ? seg : payload - off);
		if (v6)
			assert_int_equal(g16(q + 4), out.len[k] - 40);
		else {
			assert_int_equal(g16(q + 2), out.len[k]);
			assert_int_equal(g16(q + 4), (uint16_t)(0x1234 + k));
			assert_true(ip4_ok(q));
			/* the rest of the IP header as it was */
			assert_memory_equal(q + 6, orig + 6, 4);
			assert_memory_equal(q + 12, orig + 12, 8);
		}
		assert_true(l4_ok(q, out.len[k]));
		assert_memory_equal(q + hdr, orig + hdr + off, n);
		if (tcp) {
			assert_int_equal(g32(q + l3 + 4), g32(orig + l3 + 4) +
			    (uint32_t)off);
			fl = orig[l3 + 13];
			if (k < out.n - 1)
				fl &= (uint8_t)~(F_FIN | F_PSH);
			if (k > 0)
				fl &= (uint8_t)~F_CWR;
			assert_int_equal(q[l3 + 13], fl);
			/* ack, window, options unchanged */
			assert_memory_equal(q + l3 + 8, orig + l3 + 8, 5);
			assert_memory_equal(q + l3 + 14, orig + l3 + 14, 2);
			assert_memory_equal(q + l3 + 18, orig + l3 + 18,
			    hdr - l3 - 18);
		} else
			assert_int_equal(g16(q + l3 + 4), 8 + n);
		off += n;
	}
	assert_int_equal(off, payload);
}

static void
test_tcp4_segments(void **state)
{
	size_t len = build(big, 0, 1, 20000, 0xfffff000u,
	    F_ACK | F_PSH | F_FIN | F_CWR, 12, 0);

	(void)state;
	/* gso_size from the kernel, smaller than the session allows */
	assert_int_equal(segment(VIRTIO_NET_HDR_GSO_TCPV4, 1400, big, len,
	    1500), 15);
	check_segments(big, len, 1, 1500, 1400);
	/* a session MTU below gso_size wins (seq wraps past 2^32 too) */
	assert_int_equal(segment(VIRTIO_NET_HDR_GSO_TCPV4, 1448, big, len,
	    1000), 22);
	check_segments(big, len, 1, 1000, 1000 - 52);
}

static void
test_tcp6_segments(void **state)
{
	size_t len = build(big, 1, 1, 9001, 77, F_ACK | F_PSH, 0, 0);

	(void)state;
	assert_int_equal(segment(VIRTIO_NET_HDR_GSO_TCPV6, 1220, big, len,
	    1280), 8);
	check_segments(big, len, 1, 1280, 1220);
}

static void
test_udp_segments(void **state)
{
	size_t len = build(big, 0, 0, 4000, 0, 0, 0, 0);

	(void)state;
	assert_int_equal(segment(VIRTIO_NET_HDR_GSO_UDP_L4, 1000, big, len,
	    1500), 4);
	check_segments(big, len, 0, 1500, 1000);
	len = build(big, 1, 0, 3333, 0, 0, 0, 0);
	assert_int_equal(segment(VIRTIO_NET_HDR_GSO_UDP_L4, 1200, big, len,
	    1500), 3);
	check_segments(big, len, 0, 1500, 1200);
}

static void
test_segment_refuses(void **state)
{
	size_t len = build(big, 0, 1, 3000, 1, F_ACK, 0, 0);

	(void)state;
	/* the GSO type must match the packet */
	assert_int_equal(segment(VIRTIO_NET_HDR_GSO_TCPV6, 1400, big, len,
	    1500), -1);
	assert_int_equal(segment(VIRTIO_NET_HDR_GSO_UDP_L4, 1400, big, len,
	    1500), -1);
	assert_int_equal(segment(VIRTIO_NET_HDR_GSO_UDP, 1400, big, len,
	    1500), -1);
	/* no room for any payload */
	assert_int_equal(segment(VIRTIO_NET_HDR_GSO_TCPV4, 1400, big, len,
	    40), -1);
	/* truncated: Total Length beyond what was read */
	assert_int_equal(segment(VIRTIO_NET_HDR_GSO_TCPV4, 1400, big,
	    len - 1, 1500), -1);
	/* a Data Offset past the packet */
	len = build(big, 0, 1, 10, 1, F_ACK, 0, 0);
	big[20 + 12] = 0xf0;
	assert_int_equal(segment(VIRTIO_NET_HDR_GSO_TCPV4, 1400, big, len,
	    1500), -1);
	/* a fragment */
	len = build(big, 0, 1, 3000, 1, F_ACK, 0, 0);
	big[6] |= 0x20;
	assert_int_equal(segment(VIRTIO_NET_HDR_GSO_TCPV4, 1400, big, len,
	    1500), -1);
	assert_int_equal(out.n, 0);
	/* out of buffers: what was built is kept, and counted */
	len = build(big, 0, 1, 3000, 1, F_ACK, 0, 0);
	out.limit = 2;
	assert_int_equal(segment(VIRTIO_NET_HDR_GSO_TCPV4, 1000, big, len,
	    1500), 2);
	out.limit = 0;
}

static void
test_csum_complete(void **state)
{
	size_t len = build(big, 0, 1, 999, 5, F_ACK, 0, 0), l4 = len - 20;
	uint32_t s = be_sum(big + 12, 8, 0) + 6 + (uint32_t)l4;

	(void)state;
	/* what the kernel leaves: the pseudo-header sum, not complemented */
	p16(big + 36, be_fold(s));
	assert_false(l4_ok(big, len));
	assert_int_equal(off_csum_complete(big, len, 20, 16), 0);
	assert_true(l4_ok(big, len));
	assert_true(off_l4_csum_ok(big, len));
	big[100] ^= 1;
	assert_false(off_l4_csum_ok(big, len));
	/* offsets outside the packet */
	assert_int_equal(off_csum_complete(big, len, len - 1, 0), -1);
	assert_int_equal(off_csum_complete(big, len, 20, len), -1);
	assert_int_equal(off_csum_complete(big, len, len + 1, 0), -1);
}

/* ---- coalescing ---- */

static struct {
	struct virtio_net_hdr	vh;
	int			gso;
	uint8_t			buf[OFF_GRO_MAX];
	size_t			len;
} wr[32];
static int nwr;

static void
writer(const struct virtio_net_hdr *vh, const uint8_t *pkt, size_t len)
{
	assert_true(nwr < 32);
	wr[nwr].gso = vh != NULL;
	if (vh)
		wr[nwr].vh = *vh;
	memcpy(wr[nwr].buf, pkt, len);
	wr[nwr].len = len;
	nwr++;
}

static int
gro_setup(void **state)
{
	(void)state;
	nwr = 0;
	off_gro_init(writer);
	return 0;
}

/* What segmenting a written super-segment gives must be `segs`. */
static void
round_trip(int w, uint8_t segs[][OFF_SEG_MAX], const size_t *lens, int n,
    size_t mtu)
{
	int k;

	assert_true(wr[w].gso);
	assert_int_equal(wr[w].vh.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	/* the kernel's own check: the pseudo-header sum in the field */
	memcpy(big2, wr[w].buf, wr[w].len);
	assert_int_equal(off_csum_complete(big2, wr[w].len,
	    wr[w].vh.csum_start, wr[w].vh.csum_offset), 0);
	assert_true(l4_ok(big2, wr[w].len));
	if ((big2[0] >> 4) == 4)
		assert_true(ip4_ok(big2));
	out.n = 0;
	assert_int_equal(off_segment(&wr[w].vh, big2, wr[w].len, mtu, &sink),
	    n);
	for (k = 0; k < n; k++) {
		assert_int_equal(out.len[k], lens[k]);
		assert_memory_equal(out.buf[k], segs[k], lens[k]);
	}
}

static uint8_t segcopy[MAXSEG][OFF_SEG_MAX];
static size_t seglen[MAXSEG];

static int
cut(int v6, size_t payload, uint8_t flags, size_t mtu)
{
	size_t len = build(big, v6, 1, payload, 1000, flags, 12, 0);
	int n, k;

	n = segment(v6 ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4,
	    0, big, len, mtu);
	for (k = 0; k < n; k++) {
		memcpy(segcopy[k], out.buf[k], out.len[k]);
		seglen[k] = out.len[k];
	}
	return n;
}

static void
test_gro_round_trip(void **state)
{
	int v6, n, k;

	(void)state;
	for (v6 = 0; v6 <= 1; v6++) {
		nwr = 0;
		n = cut(v6, 14000, F_ACK | F_PSH, 1400);
		for (k = 0; k < n; k++)
			assert_int_equal(off_gro_add(segcopy[k], seglen[k]), 1);
		assert_int_equal(nwr, 0);	/* PSH ended it: held */
		off_gro_flush();
		assert_int_equal(nwr, 1);
		assert_int_equal(wr[0].vh.gso_type, v6 ?
		    VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4);
		assert_int_equal(wr[0].vh.gso_size, seglen[0] -
		    (v6 ? 40 : 20) - 32);
		round_trip(0, segcopy, seglen, n, 1400);
		off_gro_flush();
		assert_int_equal(nwr, 1);	/* nothing left */
	}
}

static void
test_gro_refuses(void **state)
{
	int n, k;

	(void)state;
	n = cut(0, 5000, F_ACK, 1400);
	assert_int_equal(n, 4);
	/* out of order: 0, 2 -> 0 alone, then 2 starts again */
	assert_int_equal(off_gro_add(segcopy[0], seglen[0]), 1);
	assert_int_equal(off_gro_add(segcopy[2], seglen[2]), 1);
	assert_int_equal(nwr, 1);
	assert_false(wr[0].gso);
	assert_int_equal(wr[0].len, seglen[0]);
	assert_memory_equal(wr[0].buf, segcopy[0], seglen[0]);
	off_gro_flush();
	assert_int_equal(nwr, 2);

	/* a damaged segment: the pending one goes, it goes as it is */
	nwr = 0;
	assert_int_equal(off_gro_add(segcopy[0], seglen[0]), 1);
	segcopy[1][200] ^= 0x55;
	assert_int_equal(off_gro_add(segcopy[1], seglen[1]), 0);
	segcopy[1][200] ^= 0x55;
	assert_int_equal(nwr, 1);
	assert_false(wr[0].gso);

	/* no DF; SYN; no payload: never held */
	nwr = 0;
	segcopy[1][6] = 0;
	fix_csums(segcopy[1], seglen[1]);
	assert_int_equal(off_gro_add(segcopy[1], seglen[1]), 0);
	k = (int)build(big, 0, 1, 100, 1, F_SYN, 0, 0);
	assert_int_equal(off_gro_add(big, (size_t)k), 0);
	k = (int)build(big, 0, 1, 0, 1, F_ACK, 0, 0);
	assert_int_equal(off_gro_add(big, (size_t)k), 0);
	/* UDP is not ours to merge */
	k = (int)build(big, 0, 0, 100, 0, 0, 0, 0);
	assert_int_equal(off_gro_add(big, (size_t)k), 0);
	assert_int_equal(nwr, 0);
}

static void
test_gro_flows(void **state)
{
	static uint8_t other[MAXSEG][OFF_SEG_MAX];
	static size_t olen[MAXSEG];
	int n, k;

	(void)state;
	/* two flows interleaved: each merged on its own */
	n = cut(0, 4200, F_ACK, 1452);
	for (k = 0; k < n; k++) {
		memcpy(other[k], segcopy[k], seglen[k]);
		other[k][19]++;		/* another subscriber */
		fix_csums(other[k], seglen[k]);
		olen[k] = seglen[k];
	}
	for (k = 0; k < n; k++) {
		assert_int_equal(off_gro_add(segcopy[k], seglen[k]), 1);
		assert_int_equal(off_gro_add(other[k], olen[k]), 1);
	}
	off_gro_flush();
	assert_int_equal(nwr, 2);
	round_trip(0, segcopy, seglen, n, 1452);
	round_trip(1, other, olen, n, 1452);

	/* a short segment ends the run; the next one starts anew */
	nwr = 0;
	n = cut(0, 3000, F_ACK, 1452);	/* 1400, 1400, 200 */
	assert_int_equal(n, 3);
	for (k = 0; k < n; k++)
		assert_int_equal(off_gro_add(segcopy[k], seglen[k]), 1);
	k = (int)build(big, 0, 1, 1400, 1000 + 3000, F_ACK, 12, 3000);
	assert_int_equal(off_gro_add(big, (size_t)k), 1);
	assert_int_equal(nwr, 1);
	round_trip(0, segcopy, seglen, 3, 1452);
	off_gro_flush();
	assert_int_equal(nwr, 2);
	assert_false(wr[1].gso);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp4_segments),
		cmocka_unit_test(test_tcp6_segments),
		cmocka_unit_test(test_udp_segments),
		cmocka_unit_test(test_segment_refuses),
		cmocka_unit_test(test_csum_complete),
		cmocka_unit_test_setup(test_gro_round_trip, gro_setup),
		cmocka_unit_test_setup(test_gro_refuses, gro_setup),
		cmocka_unit_test_setup(test_gro_flows, gro_setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
