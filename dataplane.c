/*
 * dataplane.c - subscriber IP packets in both directions, between the
 * PPP link of each session and the TUN device.
 *
 * State owned: the ring of TUN read buffers, the batch of downstream
 * L2TP data messages waiting for one sendmmsg(), and per session the
 * packet_limit window.  The session's traffic counters (cin/cout,
 * pin/pout) and last_packet are written here and nowhere else.
 *
 * Exports (dataplane.h): dp_tun_readable for the main loop, dp_ip_input
 * and dp_ip6_input for ppp.c (upstream), dp_send_frame for PPP's own
 * frames, dp_queue_frame for its keepalives (batched to the end of the
 * loop's turn), dp_flush.
 *
 * Upstream, from ppp_input: anti-spoofing, Filter-Id "NAME.in" (acl.c),
 * the packet_rx plugins, MSS clamping, interception, the throttle
 * (tbf.c), then tun_write.  Downstream, from a TUN read: the session by
 * destination (tables.c), packet_limit, Filter-Id "NAME.out",
 * interception, the link MTU (RFC 1191 ICMP or RFC 791 fragments), the
 * packet_tx plugins, MSS clamping, the throttle, then the L2TP data
 * header (l2tp.c, RFC 2661 3.1) and the batch.  Every packet is read
 * through the checked reader (rd.h).
 *
 * Offloads (manual, "Data-plane offloads"), each with a directive to
 * turn it off: a TCP super-segment read from the TUN device (tun_offload)
 * is cut per session MTU (offload.c) and every segment goes the whole
 * way above on its own; the batch leaves with one sendmmsg(), consecutive
 * equal-sized messages to one LAC folded into one UDP_SEGMENT message
 * (udp_gso).  Upstream, the L2TP socket's datagrams are read with
 * recvmmsg(), coalesced ones split (udp_gro), and the TCP segments of
 * one flow that a batch brings are merged into one TUN write (tun_gro);
 * the others may leave in one io_uring submission at the batch's end
 * (tun_uring, tun.c).  No allocation, log line or clock read per
 * packet; every data-path system call is counted (dp_syscalls).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/udp.h>
#include <sys/socket.h>

#include "l2tpns.h"
#include "acl.h"
#include "cluster.h"
#include "dataplane.h"
#include "event.h"
#include "intercept.h"
#include "l2tp.h"
#include "log.h"
#include "haset.h"
#include "mlppp.h"
#include "offload.h"
#include "plugin.h"
#include "ra.h"
#include "rd.h"
#include "tbf.h"

/*
 * Packets read from the TUN device in one turn each have a buffer of
 * their own, so that the downstream ones can leave together in one
 * sendmmsg() at the end.  The batch is flushed whenever the ring wraps,
 * and before any frame that is sent at once (a session's frames stay in
 * order).  Queued messages point into the ring, untouched until then.
 */
#define TUN_BATCH	64
#define TUN_BUF		65536
#define TX_BATCH	128
/* The segments cut from super-segments: a ring like the read ring. */
#define SEG_POOL	128
/* Datagrams in one UDP_SEGMENT message (the kernel's limit is 64+). */
#define GSO_SEGS	64
#define GSO_BYTES	65000

static uint8_t ring[TUN_BATCH][TUN_HEADROOM + TUN_BUF];
static uint8_t segs[SEG_POOL][TUN_HEADROOM + OFF_SEG_MAX];
static unsigned segn;
/* The batch: each message's octets and its LAC. */
static struct iovec txiov[TX_BATCH];
static const struct sockaddr_in *txto[TX_BATCH];
static unsigned txn;
/* What one dp_flush() hands sendmmsg(): groups of the batch. */
static struct mmsghdr outq[TX_BATCH];
static unsigned outcount[TX_BATCH];
static union {
	char		buf[CMSG_SPACE(sizeof(uint16_t))];
	struct cmsghdr	align;
} outcm[TX_BATCH];
/*
 * Keepalives (LCP Echo-Requests) wait in the batch too: copied here
 * with their LAC's address, so that neither the caller's buffer nor a
 * tunnel freed later in the turn matters, and sent with the rest at the
 * end of the loop's turn.  With a million sessions the echo timers send
 * 100,000 frames a second; one sendmmsg() (and UDP_SEGMENT to a LAC)
 * for all those of a turn instead of one sendto() each.
 */
#define KA_POOL		128
#define KA_MAX		64
static struct ka_slot {
	struct sockaddr_in	to;
	uint8_t			buf[L2TP_DATA_HEADROOM + KA_MAX];
} kaq[KA_POOL];
static unsigned kan;
/* The kernel refused UDP_SEGMENT once (no checksum offload on the way). */
static int gso_refused;
/* Inside a batch of L2TP datagrams: upstream TCP may wait to merge. */
static int in_rx_batch;
/* The L2TP socket's receive buffers (dp_udp_readable). */
#define RX_BATCH	64
#define RX_BUF		65536
#define RX_BUF_PLAIN	4096
static uint8_t bufs[RX_BATCH][RX_BUF];

/*
 * Whether a frame lies in those buffers: only such a frame stays put
 * until the batch's end (tun_uring), not one a token bucket releases
 * from its queue, whose slot is reused at once.
 */
static int
in_rxbufs(const void *p)
{
	uintptr_t a = (uintptr_t)p, b = (uintptr_t)bufs;

	return a >= b && a < b + sizeof(bufs);
}

/* Per session: the packet_limit window (manual, "packet_limit"). */
static struct dp_sess {
	uint64_t	 pl_tenth;
	uint32_t	 pl_count;
} *dps;
static uint32_t dps_max;

static int
in_ring(const void *p)
{
	uintptr_t a = (uintptr_t)p, r = (uintptr_t)ring, g = (uintptr_t)segs;

	return (a >= r && a < r + sizeof(ring)) ||
	    (a >= g && a < g + sizeof(segs));
}

/*
 * The batch as sendmmsg() messages: a run of messages to the same LAC,
 * all of one size but for a shorter last one, becomes one message with
 * UDP_SEGMENT (Linux 4.18 UDP GSO: the kernel cuts it into those
 * datagrams again, past the socket layer).  Returns the count.
 */
static unsigned
build_out(void)
{
	unsigned i = 0, j, m = 0;

	while (i < txn) {
		size_t seg = txiov[i].iov_len, total = seg;
		struct msghdr *h = &outq[m].msg_hdr;

		j = i + 1;
		if (config->udp_gso && !gso_refused)
			while (j < txn && j - i < GSO_SEGS &&
			    txto[j] == txto[i] && txiov[j - 1].iov_len == seg &&
			    txiov[j].iov_len <= seg &&
			    total + txiov[j].iov_len <= GSO_BYTES) {
				total += txiov[j].iov_len;
				j++;
			}
		memset(h, 0, sizeof(*h));
		h->msg_name = (void *)(uintptr_t)txto[i];
		h->msg_namelen = sizeof(*txto[i]);
		h->msg_iov = &txiov[i];
		h->msg_iovlen = j - i;
		if (j - i > 1) {
			struct cmsghdr *c;
			uint16_t gs = (uint16_t)seg;

			h->msg_control = outcm[m].buf;
			h->msg_controllen = sizeof(outcm[m].buf);
			c = CMSG_FIRSTHDR(h);
			c->cmsg_level = SOL_UDP;
			c->cmsg_type = UDP_SEGMENT;
			c->cmsg_len = CMSG_LEN(sizeof(gs));
			memcpy(CMSG_DATA(c), &gs, sizeof(gs));
		}
		outcount[m++] = j - i;
		i = j;
	}
	return m;
}

/* A UDP_SEGMENT message the kernel refused, one datagram at a time. */
static void
send_each(int fd, unsigned m)
{
	const struct msghdr *h = &outq[m].msg_hdr;
	size_t k;

	for (k = 0; k < h->msg_iovlen; k++) {
		stats->dp_syscalls++;
		if (sendto(fd, h->msg_iov[k].iov_base, h->msg_iov[k].iov_len, 0,
		    h->msg_name, h->msg_namelen) < 0)
			stats->l2tp_tx_errors++;
		else
			stats->l2tp_data_tx++;
	}
}

void
dp_flush(void)
{
	int fd = l2tp_data_fd();
	unsigned done = 0, m;

	if (txn == 0)
		return;
	m = build_out();
	while (done < m) {
		int n, k;

		stats->dp_syscalls++;
		n = sendmmsg(fd, outq + done, m - done, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (outcount[done] > 1 && (errno == EIO ||
			    errno == EINVAL || errno == ENOPROTOOPT)) {
				/* No UDP GSO on this path: never again. */
				if (!gso_refused)
					log_warnx("udp_gso: the kernel refused "
					    "UDP_SEGMENT (%s); sending each "
					    "datagram", strerror(errno));
				gso_refused = 1;
				send_each(fd, done);
			} else	/* the first message failed: count it, go on */
				stats->l2tp_tx_errors += outcount[done];
			done++;
			continue;
		}
		stats->l2tp_tx_batches++;
		for (k = 0; k < n; k++, done++) {
			stats->l2tp_data_tx += outcount[done];
			if (outcount[done] > 1) {
				stats->udp_gso_sends++;
				stats->udp_gso_segments += outcount[done];
			}
		}
	}
	txn = 0;
	kan = 0;
}

int
dp_queue_frame(sid_t s, const uint8_t *proto_field, size_t len)
{
	const struct sockaddr_in *to;
	struct ka_slot *k;
	uint8_t *p, *h;

	if (len > KA_MAX)
		return -1;
	if (kan == KA_POOL || txn == TX_BATCH)
		dp_flush();
	k = &kaq[kan];
	p = k->buf + L2TP_DATA_HEADROOM;
	memcpy(p, proto_field, len);
	if ((h = l2tp_data_header(s, p, len, &to)) == NULL)
		return -1;
	k->to = *to;
	kan++;
	txiov[txn].iov_base = h;
	txiov[txn].iov_len = len + L2TP_DATA_HEADROOM;
	txto[txn] = &k->to;
	txn++;
	return 0;
}

/* A data message on the socket of the tunnels to remote LNSs. */
static int
dp_send_lac(const uint8_t *h, size_t len, const struct sockaddr_in *to)
{
	if (txn)
		dp_flush();
	stats->dp_syscalls++;
	if (sendto(l2tp_lac_fd, h, len + L2TP_DATA_HEADROOM, 0,
	    (const struct sockaddr *)to, sizeof(*to)) < 0) {
		stats->l2tp_tx_errors++;
		return -1;
	}
	stats->l2tp_data_tx++;
	return 0;
}

/* A frame in the ring, queued for the next dp_flush(). */
static int
dp_queue(sid_t s, uint8_t *p, size_t len)
{
	const struct sockaddr_in *to;
	uint8_t *h = l2tp_data_header(s, p, len, &to);

	if (h == NULL)
		return -1;
	/* A tunnel of ours to a remote LNS with a socket of its own. */
	if (l2tp_lac_fd >= 0 && l2tp_tunnel_fd(session_get(s)->tunnel) ==
	    l2tp_lac_fd)
		return dp_send_lac(h, len, to);
	if (txn == TX_BATCH)
		dp_flush();
	txiov[txn].iov_base = h;
	txiov[txn].iov_len = len + L2TP_DATA_HEADROOM;
	txto[txn] = to;
	txn++;
	return 0;
}

int
dp_send_frame(sid_t s, uint8_t *p, size_t len)
{
	const struct sockaddr_in *to;
	uint8_t *h;

	/* What is queued goes first: a session's frames stay in order. */
	if (txn)
		dp_flush();
	if ((h = l2tp_data_header(s, p, len, &to)) == NULL)
		return -1;
	stats->dp_syscalls++;
	if (sendto(l2tp_tunnel_fd(session_get(s)->tunnel), h, len + L2TP_DATA_HEADROOM, 0,
	    (const struct sockaddr *)to, sizeof(*to)) < 0) {
		stats->l2tp_tx_errors++;
		return -1;
	}
	stats->l2tp_data_tx++;
	return 0;
}

/*
 * TCP MSS clamping: a SYN's Maximum Segment Size option (RFC 9293
 * 3.2, 3.7.1) is lowered to what fits the session's link (its MTU less
 * the IP and TCP headers), so that neither side sends segments the
 * tunnel would fragment (the manual's advice on l2tp_mtu, done here).
 * The checksum is updated incrementally (RFC 1624 3).
 */
static void
mss_clamp(uint8_t *ip, size_t len, uint16_t mtu)
{
	uint16_t frag, mss, max = (uint16_t)(mtu > 80 ? mtu - 40 : 40);
	uint8_t vihl, proto, doff, flags, kind, olen;
	struct rd r, opts;
	uint8_t *tcp, *at;
	size_t ihl;
	uint32_t sum;

	rd_init(&r, ip, len);
	if (rd_u8(&r, &vihl) < 0 || rd_skip(&r, 5) < 0 ||
	    rd_u16(&r, &frag) < 0 || rd_skip(&r, 1) < 0 ||
	    rd_u8(&r, &proto) < 0)
		return;
	if (proto != 6 || (frag & 0x1fff) != 0)
		return;		/* not TCP, or not the first fragment */
	ihl = (size_t)(vihl & 0x0f) * 4;
	rd_init(&r, ip, len);
	if (ihl < 20 || rd_skip(&r, ihl) < 0)
		return;
	tcp = ip + ihl;
	/* Data Offset at 12, the flags at 13 (SYN is 0x02). */
	if (rd_skip(&r, 12) < 0 || rd_u8(&r, &doff) < 0 ||
	    rd_u8(&r, &flags) < 0 || rd_skip(&r, 6) < 0)
		return;
	if (!(flags & 0x02) || (size_t)(doff >> 4) * 4 < 20 ||
	    rd_sub(&r, (size_t)(doff >> 4) * 4 - 20, &opts) < 0)
		return;
	/* RFC 9293 3.2: End of Option List, No-Operation, or kind+length. */
	while (rd_u8(&opts, &kind) == 0 && kind != 0) {
		if (kind == 1)
			continue;
		if (rd_u8(&opts, &olen) < 0 || olen < 2)
			return;
		if (kind != 2 || olen != 4) {
			if (rd_skip(&opts, (size_t)olen - 2) < 0)
				return;
			continue;
		}
		at = ip + (opts.p - ip);
		if (rd_u16(&opts, &mss) < 0 || mss <= max)
			return;
		sum = (uint16_t)~(tcp[16] << 8 | tcp[17]);
		sum += (uint16_t)~mss;
		sum += max;
		while (sum >> 16)
			sum = (sum & 0xffff) + (sum >> 16);
		sum = ~sum & 0xffff;
		tcp[16] = (uint8_t)(sum >> 8);
		tcp[17] = (uint8_t)sum;
		at[0] = (uint8_t)(max >> 8);
		at[1] = (uint8_t)max;
		stats->tcp_mss_clamped++;
		return;
	}
}

/* The packet_rx / packet_tx plugins: 1 to go on, 0 if one took it. */
static int
packet_hooks(int event, sid_t s, tid_t t, const uint8_t *p, size_t len)
{
	struct param_packet pk = { .sid = s, .tid = t, .buf = p, .len = len };

	return !plugin_hooked[event] ||
	    plugin_run_hooks(event, &pk) == PLUGIN_RET_OK;
}

/*
 * An HA set (haset.c): the frame to every member whose IPCP is up, a
 * copy sent at once for each but the last, which takes the frame itself
 * the usual way.  Each member counts what it was sent.
 */
static int
deliver_haset(sid_t s, uint8_t *frame, size_t len)
{
	static uint8_t copy[L2TP_DATA_HEADROOM + 65536];
	sid_t m[HASET_MAX_MEMBERS];
	unsigned n = haset_members(s, m), i, last = n, sent = 0;
	int r;

	/* Alone (or not really in a set): the usual way. */
	if (n < 2)
		return 0;
	for (i = 0; i < n; i++)
		if (ppp_ncp_opened(m[i], PPP_IP))
			last = i;
	for (i = 0; i < n; i++) {
		struct session *mp = session_get(m[i]);

		if (i != last && (!ppp_ncp_opened(m[i], PPP_IP) ||
		    len > sizeof(copy) - L2TP_DATA_HEADROOM))
			continue;
		if (i != last) {
			memcpy(copy + L2TP_DATA_HEADROOM, frame, len);
			r = dp_send_frame(m[i], copy + L2TP_DATA_HEADROOM, len);
		} else
			r = in_ring(frame) ? dp_queue(m[i], frame, len) :
			    dp_send_frame(m[i], frame, len);
		if (r == 0) {
			mp->cout += len - 2;
			mp->pout++;
			sent++;
		}
	}
	if (sent == 0)
		return 1;
	stats->fwd_down_packets++;
	stats->fwd_down_bytes += len - 2;
	if (sent > 1)
		haset_count_copies(s, sent - 1);
	return 1;
}

/*
 * The last steps of both directions, shared by the packets that go at
 * once and those a throttled session's bucket releases later (tbf.c):
 * up, to the TUN device; down, `frame` is the PPP protocol field and
 * what follows, with room for the L2TP header in front.
 */
static void
deliver(sid_t s, int dir, uint8_t *frame, size_t len)
{
	struct session *sp = session_get(s);

	if (dir == TBF_UP) {
		sp->cin += len;
		sp->pin++;
		stats->fwd_up_packets++;
		stats->fwd_up_bytes += len;
		/* Within a batch TCP may wait to be merged (dp_udp_readable). */
		if (in_rx_batch && config->tun_gro && tun_vnet() &&
		    off_gro_add(frame, len))
			return;
		/* In a receive buffer: may wait for the batch's end. */
		if (in_rx_batch && in_rxbufs(frame))
			tun_write_queued(frame, len);
		else
			tun_write(frame, len);
		return;
	}
	if (sp->haset && deliver_haset(s, frame, len))
		return;
	/* A multilink bundle: fragments across its links (mlppp.c). */
	if (mlppp_send(s, frame, len)) {
		sp->cout += len - 2;
		sp->pout++;
		stats->fwd_down_packets++;
		stats->fwd_down_bytes += len - 2;
		return;
	}
	/* Straight from a TUN read: batched (dp_tun_readable flushes). */
	if ((in_ring(frame) ? dp_queue(s, frame, len) :
	    dp_send_frame(s, frame, len)) == 0) {
		sp->cout += len - 2;
		sp->pout++;
		stats->fwd_down_packets++;
		stats->fwd_down_bytes += len - 2;
	}
}

static sid_t session_of_ip6(const uint8_t dst[16]);

/*
 * no_throttle_local_IP: whether the other end of a packet is another
 * session of this server: its destination going up, its source coming
 * down (RFC 791 3.1: source at 12, destination at 16; RFC 8200 3: at 8
 * and 24).  Up, `frame` is the IP packet; down, the PPP protocol field
 * comes first.
 */
static int
other_end_local(int dir, const uint8_t *frame, size_t len)
{
	uint8_t vers, a6[16];
	in_addr_t a4;
	struct rd r;

	rd_init(&r, frame, len);
	if (dir == TBF_DOWN && rd_skip(&r, 2) < 0)
		return 0;
	if (rd_u8(&r, &vers) < 0)
		return 0;
	if ((vers >> 4) == 4)
		return rd_skip(&r, dir == TBF_UP ? 15 : 11) == 0 &&
		    rd_bytes(&r, &a4, 4) == 0 && session_by_ip(a4) != 0;
	if ((vers >> 4) == 6 && config->ipv6_prefix.plen)
		return rd_skip(&r, dir == TBF_UP ? 23 : 7) == 0 &&
		    rd_bytes(&r, a6, 16) == 0 && session_of_ip6(a6) != 0;
	return 0;
}

/* Throttling, if the session is throttled that way, then delivery. */
static void
forward(sid_t s, int dir, uint8_t *frame, size_t len)
{
	struct session *sp = session_get(s);

	if ((dir == TBF_UP ? sp->rate_in : sp->rate_out) != 0 &&
	    !(config->no_throttle_local_IP &&
	    other_end_local(dir, frame, len)) &&
	    !tbf_admit(s, dir, frame, len))
		return;
	deliver(s, dir, frame, len);
}

void
dp_ip_input(sid_t s, const uint8_t *p, size_t len)
{
	struct session *sp = session_get(s);
	in_addr_t src;
	uint8_t vihl;
	struct rd r;

	rd_init(&r, p, len);
	if (!ppp_ncp_opened(s, PPP_IP) || len < 20 || rd_u8(&r, &vihl) < 0 ||
	    (vihl >> 4) != 4 || rd_skip(&r, 11) < 0 ||
	    rd_bytes(&r, &src, 4) < 0) {
		stats->ppp_discarded++;
		return;
	}
	if (src != sp->ip && !config->disable_no_spoof) {
		stats->ip_spoofed++;
		return;
	}
	/* An HA set: a copy another member brought first goes no further. */
	if (sp->haset && haset_dup(s, p, len))
		return;
	/* Filter-Id "NAME.in" (manual, "Filtering"). */
	if (sp->filter_in[0] && !acl_check_in(s, p, len)) {
		stats->acl_denied_in++;
		return;
	}
	if (!packet_hooks(PLUGIN_PACKET_RX, s, sp->tunnel, p, len))
		return;
	sp->last_packet = time_now;
	/* The frame sits in our receive buffer: clamping edits it there. */
	mss_clamp((uint8_t *)(uintptr_t)p, len, ppp_link_mtu(s));
	if (sp->intercept)
		intercept_copy(s, p, len);
	forward(s, TBF_UP, (uint8_t *)(uintptr_t)p, len);
}

/* The DF flag of an IPv4 header (RFC 791 3.1). */
static int
dont_fragment(const uint8_t *pkt, size_t len)
{
	struct rd r;
	uint16_t frag;

	rd_init(&r, pkt, len);
	return rd_skip(&r, 6) == 0 && rd_u16(&r, &frag) == 0 &&
	    (frag & 0x4000) != 0;
}

/*
 * A packet larger than the session's link: fragments of at most `mtu`
 * octets (RFC 791 3.2), each built in a scratch buffer (this is the
 * rare path; the common one sends in place).
 */
static void
send_fragments(sid_t s, const uint8_t *pkt, size_t len, uint16_t mtu)
{
	uint8_t buf[L2TP_DATA_HEADROOM + 2 + 1600];
	uint8_t *ip = buf + L2TP_DATA_HEADROOM + 2;
	uint8_t vihl;
	uint16_t frag, fo;
	size_t ihl, off, chunk;
	struct rd r;
	int more;

	/* RFC 791 3.1: IHL, then Flags and Fragment Offset at 6. */
	rd_init(&r, pkt, len);
	if (rd_u8(&r, &vihl) < 0 || rd_skip(&r, 5) < 0 ||
	    rd_u16(&r, &frag) < 0)
		return;
	ihl = (size_t)(vihl & 0x0f) * 4;
	fo = frag & 0x1fff;
	more = (frag & 0x2000) != 0;
	if (ihl < 20 || ihl > len || mtu < ihl + 8 || mtu > 1600)
		return;
	chunk = (mtu - ihl) & ~(size_t)7;
	stats->ip_fragmented++;
	for (off = ihl; off < len; off += chunk) {
		size_t n = len - off < chunk ? len - off : chunk;
		uint16_t f = (uint16_t)(fo + (off - ihl) / 8);
		uint32_t sum = 0;
		size_t i;

		memcpy(ip, pkt, ihl);
		memcpy(ip + ihl, pkt + off, n);
		ip[2] = (uint8_t)((ihl + n) >> 8);
		ip[3] = (uint8_t)(ihl + n);
		if (off + n < len || more)
			f |= 0x2000;		/* MF */
		ip[6] = (uint8_t)(f >> 8);
		ip[7] = (uint8_t)f;
		ip[10] = ip[11] = 0;
		for (i = 0; i < ihl; i += 2)
			sum += (uint32_t)(ip[i] << 8 | ip[i + 1]);
		while (sum >> 16)
			sum = (sum & 0xffff) + (sum >> 16);
		ip[10] = (uint8_t)(~sum >> 8);
		ip[11] = (uint8_t)~sum;
		ip[-2] = 0x00;
		ip[-1] = PPP_IP;
		forward(s, TBF_DOWN, ip - 2, ihl + n + 2);
	}
}

/* packet_limit: downstream packets per tenth of a second, IPv4 and
 * IPv6 together (manual). */
static int
packet_limit_ok(sid_t s)
{
	struct dp_sess *d = &dps[s];
	uint64_t tenth;

	if (config->packet_limit <= 0)
		return 1;
	tenth = now_ms / 100;
	if (tenth != d->pl_tenth) {
		d->pl_tenth = tenth;
		d->pl_count = 0;
	}
	if (++d->pl_count > (uint32_t)config->packet_limit) {
		stats->packet_limit_drops++;
		return 0;
	}
	return 1;
}

/*
 * What IPv6 may pass where IPv4 has the walled garden and the access
 * lists (issue 20, finding 7): a gardened session gets none (the garden
 * is IPv4 only); and since the Filter-Id lists are IPv4 only, a session
 * with a list in a direction gets no IPv6 in that direction rather than
 * unfiltered IPv6 (fail closed, manual "Filtering").
 */
static int
ip6_policy_ok(const struct session *sp, int up)
{
	if (sp->walled_garden) {
		stats->ipv6_garden_drops++;
		return 0;
	}
	if (up && sp->filter_in[0]) {
		stats->acl_denied_in++;
		return 0;
	}
	if (!up && sp->filter_out[0]) {
		stats->acl_denied_out++;
		return 0;
	}
	return 1;
}

void
dp_send_ip(sid_t s, uint8_t *pkt, size_t len)
{
	struct session *sp = session_get(s);
	uint8_t *proto = pkt - 2;
	uint16_t mtu;

	/* A slave's sessions are the master's: it carries them. */
	if (!iam_master()) {
		cluster_forward_ip(pkt, len);
		return;
	}
	if (!ppp_ncp_opened(s, PPP_IP)) {
		stats->ppp_discarded++;
		return;
	}
	if (!packet_limit_ok(s))
		return;
	/* Filter-Id "NAME.out" (manual, "Filtering"). */
	if (sp->filter_out[0] && !acl_check_out(s, pkt, len)) {
		stats->acl_denied_out++;
		return;
	}
	if (sp->intercept)
		intercept_copy(s, pkt, len);
	mtu = ppp_link_mtu(s);
	if (len > mtu) {
		if (dont_fragment(pkt, len)) {
			/* DF: RFC 1191, tell the sender the MTU. */
			stats->ip_too_big++;
			tun_icmp_error(pkt, len, 4, mtu);
		} else
			send_fragments(s, pkt, len, mtu);
		return;
	}
	if (!packet_hooks(PLUGIN_PACKET_TX, s, sp->tunnel, pkt, len))
		return;
	mss_clamp(pkt, len, mtu);
	proto[0] = 0x00;
	proto[1] = PPP_IP;
	forward(s, TBF_DOWN, proto, len + 2);
}

/*
 * IPv6 from the subscriber.  From the link itself (a link-local or the
 * unspecified source) only Router Solicitations are taken, by us; the
 * rest of that stays on the link.  Other packets are forwarded when
 * their source is the subscriber's address (the first 64 bits of
 * ipv6_prefix and its negotiated identifier) or lies in its own routed
 * prefix.
 */
void
dp_ip6_input(sid_t s, const uint8_t *p, size_t len)
{
	static const uint8_t unspecified[16];
	struct session *sp = session_get(s);
	uint8_t vtc, nh, src[16], icmp_type;
	struct rd r;

	/* RFC 8200 3: version, ..., Next Header at 6, Source at 8. */
	rd_init(&r, p, len);
	if (!ppp_ncp_opened(s, PPP_IPV6) || len < 40 ||
	    rd_u8(&r, &vtc) < 0 || (vtc >> 4) != 6 || rd_skip(&r, 5) < 0 ||
	    rd_u8(&r, &nh) < 0 || rd_skip(&r, 1) < 0 ||
	    rd_bytes(&r, src, 16) < 0 || rd_skip(&r, 16) < 0) {
		stats->ppp_discarded++;
		return;
	}
	if (sp->walled_garden) {
		stats->ipv6_garden_drops++;
		return;
	}
	if ((src[0] == 0xfe && (src[1] & 0xc0) == 0x80) ||
	    memcmp(src, unspecified, 16) == 0) {
		if (nh == IPPROTO_ICMPV6 && rd_u8(&r, &icmp_type) == 0 &&
		    icmp_type == ICMP6_RS)
			ra_rs_input(s, p, len);
		else if (nh != IPPROTO_ICMPV6 || ra_echo_input(s, p, len) < 0)
			stats->ppp_discarded++;
		return;
	}
	if (!ra_source_ok(s, src) && !config->disable_no_spoof) {
		stats->ip_spoofed++;
		return;
	}
	if (!ip6_policy_ok(sp, 1))
		return;
	sp->last_packet = time_now;
	if (sp->intercept)
		intercept_copy(s, p, len);
	forward(s, TBF_UP, (uint8_t *)(uintptr_t)p, len);
}

void
dp_send_ip6(sid_t s, uint8_t *pkt, size_t len)
{
	struct session *sp = session_get(s);
	uint8_t *proto = pkt - 2;

	if (!iam_master()) {
		cluster_forward_ip(pkt, len);
		return;
	}
	if (!ppp_ncp_opened(s, PPP_IPV6)) {
		stats->ppp_discarded++;
		return;
	}
	if (!packet_limit_ok(s) || !ip6_policy_ok(sp, 0))
		return;
	if (sp->intercept)
		intercept_copy(s, pkt, len);
	proto[0] = 0x00;
	proto[1] = PPP_IPV6;
	forward(s, TBF_DOWN, proto, len + 2);
}

/*
 * The session owning an IPv6 destination: the manual's rule makes the
 * common lookup O(1) (a subscriber's address is the prefix's first 64
 * bits, its IPv4 address, then four zero octets), else a session's own
 * prefix (tables.c).
 */
static sid_t
session_of_ip6(const uint8_t dst[16])
{
	struct in6_addr a6;
	in_addr_t v4;
	sid_t s;

	if (memcmp(dst, &config->ipv6_prefix.addr, 8) == 0 &&
	    memcmp(dst + 12, "\0\0\0\0", 4) == 0) {
		memcpy(&v4, dst + 8, 4);
		if ((s = session_by_ip(v4)) != 0)
			return s;
	}
	memcpy(&a6, dst, sizeof(a6));
	return session_by_ip6(&a6);
}

/*
 * The session a packet read from the TUN device goes to, by its
 * destination (RFC 791 3.1: at 16; RFC 8200 3: at 24), with *v6 set
 * for IPv6; 0 when none has it (counted; an ICMP unreachable for a pool
 * address).
 */
static sid_t
tun_dest(const uint8_t *buf, size_t n, int *v6)
{
	uint8_t vers, dst6[16];
	in_addr_t dst;
	struct rd r;
	sid_t s;

	rd_init(&r, buf, n);
	if (rd_u8(&r, &vers) < 0)
		vers = 0;
	*v6 = (vers >> 4) == 6;
	if ((vers >> 4) == 4 && n >= 20 && rd_skip(&r, 15) == 0 &&
	    rd_bytes(&r, &dst, 4) == 0) {
		if ((s = session_by_ip(dst)) != 0)
			return s;
		tun_unreachable(buf, n, dst);
	}
	if ((vers >> 4) == 6 && n >= 40 && config->ipv6_prefix.plen &&
	    rd_skip(&r, 23) == 0 && rd_bytes(&r, dst6, 16) == 0 &&
	    (s = session_of_ip6(dst6)) != 0)
		return s;
	stats->tun_rx_no_session++;
	if (log_level >= LOG_PACKET_L)
		log_hex(LOG_PACKET_L, 0, 0, "tun rx (no session)", buf, n);
	return 0;
}

/* A buffer for the next segment; the batch goes when the ring wraps. */
static uint8_t *
seg_get(void *arg)
{
	(void)arg;
	if (segn == SEG_POOL) {
		dp_flush();
		segn = 0;
	}
	return segs[segn++] + TUN_HEADROOM;
}

struct seg_to {
	sid_t	s;
	int	v6;
};

/* Each segment the whole way, as if it had been read on its own. */
static void
seg_emit(void *arg, uint8_t *pkt, size_t len)
{
	const struct seg_to *t = arg;

	if (t->v6)
		dp_send_ip6(t->s, pkt, len);
	else
		dp_send_ip(t->s, pkt, len);
}

/*
 * A super-segment (virtio-net header GSO type TCPV4, TCPV6, UDP_L4):
 * cut to the session's link MTU, so that neither fragmentation nor an
 * ICMP "too big" is needed, whatever the device's MTU.
 */
static void
tun_gso(const struct virtio_net_hdr *vh, const uint8_t *pkt, size_t len)
{
	struct seg_to t;
	struct off_out o = { seg_get, seg_emit, &t };
	int n;

	if ((t.s = tun_dest(pkt, len, &t.v6)) == 0)
		return;
	if ((n = off_segment(vh, pkt, len, ppp_link_mtu(t.s), &o)) < 0) {
		stats->tun_gso_bad++;
		return;
	}
	stats->tun_gso_rx++;
	stats->tun_gso_segments += (uint64_t)n;
}

/*
 * Drain up to `budget` packets, each to the session owning its
 * destination (longest-prefix match in tables.c).  Packets are read
 * after headroom for the PPP and L2TP headers, which are prepended in
 * place; the virtio-net header, when the device has one, is read into
 * that headroom and copied out first.  Returns the number read.
 */
int
dp_tun_readable(int fd, int budget)
{
	struct virtio_net_hdr vh;
	size_t vl = (size_t)tun_vnet();
	uint8_t *buf;
	ssize_t n;
	int i, v6;
	sid_t s;

	memset(&vh, 0, sizeof(vh));
	for (i = 0; i < budget; i++) {
		if (i > 0 && i % TUN_BATCH == 0)
			dp_flush();	/* the ring's buffers are reused */
		buf = ring[i % TUN_BATCH] + TUN_HEADROOM;
		stats->dp_syscalls++;
		n = read(fd, buf - vl, TUN_BUF + vl);
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR) {
				stats->tun_rx_errors++;
				log_error("tun read: %s", strerror(errno));
			}
			break;
		}
		if ((size_t)n < vl) {
			stats->tun_rx_errors++;
			continue;
		}
		if (vl)
			memcpy(&vh, buf - vl, sizeof(vh));
		n -= (ssize_t)vl;
		stats->tun_rx_packets++;
		stats->tun_rx_bytes += (uint64_t)n;
		if (vh.gso_type != VIRTIO_NET_HDR_GSO_NONE) {
			tun_gso(&vh, buf, (size_t)n);
			continue;
		}
		/* The kernel left the TCP/UDP checksum to us (TUN_F_CSUM). */
		if ((vh.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) &&
		    off_csum_complete(buf, (size_t)n, vh.csum_start,
		    vh.csum_offset) < 0) {
			stats->tun_gso_bad++;
			continue;
		}
		if ((s = tun_dest(buf, (size_t)n, &v6)) == 0)
			continue;
		if (v6)
			dp_send_ip6(s, buf, (size_t)n);
		else
			dp_send_ip(s, buf, (size_t)n);
	}
	dp_flush();
	return i;
}

void
dp_forwarded(const uint8_t *pkt, size_t len)
{
	static uint8_t buf[TUN_HEADROOM + TUN_BUF];
	int v6;
	sid_t s;

	if (len == 0 || len > TUN_BUF)
		return;
	memcpy(buf + TUN_HEADROOM, pkt, len);
	if ((s = tun_dest(buf + TUN_HEADROOM, len, &v6)) == 0)
		return;
	if (v6)
		dp_send_ip6(s, buf + TUN_HEADROOM, len);
	else
		dp_send_ip(s, buf + TUN_HEADROOM, len);
	dp_flush();
}

/* A coalesced upstream packet (or a plain one) to the device. */
static void
gro_write(const struct virtio_net_hdr *vh, const uint8_t *pkt, size_t len)
{
	tun_write_vnet(vh, pkt, len);
}

/*
 * The L2TP socket: datagrams by recvmmsg() in batches of up to
 * multi_read_count.  With UDP_GRO the kernel may hand over several
 * datagrams of one tunnel as one buffer and their size in a control
 * message (Linux 5.0): each is taken on its own.  Upstream TCP merged
 * during the batch goes to the device at its end.
 */
void
dp_udp_readable(int fd, uint32_t events, void *arg)
{
	static struct mmsghdr mm[RX_BATCH];
	static struct iovec iov[RX_BATCH];
	static struct sockaddr_in from[RX_BATCH];
	static union {
		char		buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr	align;
	} cm[RX_BATCH];
	int budget = config->multi_read_count, i, n;
	size_t cap = config->udp_gro ? RX_BUF : RX_BUF_PLAIN;

	(void)events;
	(void)arg;
	in_rx_batch = 1;
	while (budget > 0) {
		int want = budget < RX_BATCH ? budget : RX_BATCH;

		for (i = 0; i < want; i++) {
			iov[i].iov_base = bufs[i];
			iov[i].iov_len = cap;
			memset(&mm[i].msg_hdr, 0, sizeof(mm[i].msg_hdr));
			mm[i].msg_hdr.msg_iov = &iov[i];
			mm[i].msg_hdr.msg_iovlen = 1;
			mm[i].msg_hdr.msg_name = &from[i];
			mm[i].msg_hdr.msg_namelen = sizeof(from[i]);
			mm[i].msg_hdr.msg_control = cm[i].buf;
			mm[i].msg_hdr.msg_controllen = sizeof(cm[i].buf);
		}
		stats->dp_syscalls++;
		n = recvmmsg(fd, mm, (unsigned)want, MSG_DONTWAIT, NULL);
		if (n <= 0) {
			if (n < 0 && errno != EAGAIN && errno != EINTR)
				LOG(LOG_ERROR_L, 0, 0, "L2TP recvmmsg: %s",
				    strerror(errno));
			break;
		}
		for (i = 0; i < n; i++) {
			struct cmsghdr *c;
			size_t len = mm[i].msg_len, seg = len, off;
			int gs;

			for (c = CMSG_FIRSTHDR(&mm[i].msg_hdr); c != NULL;
			    c = CMSG_NXTHDR(&mm[i].msg_hdr, c))
				if (c->cmsg_level == SOL_UDP &&
				    c->cmsg_type == UDP_GRO &&
				    c->cmsg_len >= CMSG_LEN(sizeof(gs))) {
					memcpy(&gs, CMSG_DATA(c), sizeof(gs));
					if (gs > 0 && (size_t)gs < len)
						seg = (size_t)gs;
				}
			/*
			 * A lone datagram is held to the plain buffer's size
			 * whether or not udp_gro made the buffer larger, so
			 * that what is accepted does not depend on the
			 * offload: a longer one arrives cut, and l2tp_input
			 * drops it on its Length field, as without UDP_GRO.
			 */
			if (seg == len && len > RX_BUF_PLAIN)
				seg = len = RX_BUF_PLAIN;
			if (seg < len) {
				stats->udp_gro_rx++;
				stats->udp_gro_segments +=
				    (len + seg - 1) / seg;
			}
			for (off = 0; off < len; off += seg)
				l2tp_input(bufs[i] + off, len - off < seg ?
				    len - off : seg, &from[i]);
		}
		/* The buffers are read into again: what points there goes. */
		tun_uring_flush();
		budget -= n;
		if (n < want)
			break;
	}
	in_rx_batch = 0;
	tun_uring_flush();
	off_gro_flush();
}

/* The L2TP socket's data-path options: UDP_GRO (udp_gro). */
void
dp_udp_socket(int fd)
{
	int on = 1;

	if (config->udp_gro && setsockopt(fd, SOL_UDP, UDP_GRO, &on,
	    sizeof(on)) < 0)
		log_warnx("udp_gro: UDP_GRO: %s", strerror(errno));
}

void
dp_session_start(sid_t s)
{
	if (dps != NULL && s > 0 && s <= dps_max)
		memset(&dps[s], 0, sizeof(dps[s]));
}

int
dp_init(uint32_t max_sessions)
{
	dps_max = max_sessions;
	if ((dps = calloc((size_t)max_sessions + 1, sizeof(*dps))) == NULL)
		return -1;
	off_gro_init(gro_write);
	return tbf_init(config->throttle_buckets, deliver);
}
