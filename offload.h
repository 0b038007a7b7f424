/*
 * offload.h - segmentation and coalescing of TCP/UDP packets in user
 * space (offload.c), for the TUN device's virtio-net header
 * (IFF_VNET_HDR).
 *
 * Downstream the kernel hands us one TCP (or UDP) super-segment per
 * read; off_segment() cuts it into packets of at most the session's MTU,
 * each with its own headers and checksums, as the kernel's segmentation
 * would have.  Upstream off_gro_add() merges consecutive in-order TCP
 * segments of one flow into one super-segment written to the device
 * with a GSO header.  Nothing here knows about sessions or sockets.
 */
#ifndef L2TPNS_OFFLOAD_H
#define L2TPNS_OFFLOAD_H

#include <stddef.h>
#include <stdint.h>
#include <linux/virtio_net.h>

/* Since Linux 6.2; Debian 12's headers predate it. */
#ifndef VIRTIO_NET_HDR_GSO_UDP_L4
#define VIRTIO_NET_HDR_GSO_UDP_L4	5
#endif

#define OFF_VNET_LEN	((size_t)sizeof(struct virtio_net_hdr))
/* The largest packet off_segment() builds; the segment buffers' size. */
#define OFF_SEG_MAX	9216
/* The largest IP packet off_gro_add() builds. */
#define OFF_GRO_MAX	65535

/*
 * The Internet checksum (RFC 1071) of a packet whose checksum field
 * holds the pseudo-header sum (VIRTIO_NET_HDR_F_NEEDS_CSUM): the sum
 * from `start` to the end goes into the field at start + offset.
 * 0, or -1 when the offsets do not fit the packet.
 */
int	 off_csum_complete(uint8_t *pkt, size_t len, size_t start,
	    size_t offset);
/* 1 when the TCP or UDP checksum of an IPv4/IPv6 packet is right. */
int	 off_l4_csum_ok(const uint8_t *pkt, size_t len);

/*
 * Cut a super-segment (vh->gso_type TCPV4, TCPV6 or UDP_L4) into
 * packets of at most `mtu` octets.  get() returns a buffer of
 * OFF_SEG_MAX octets for the next packet (NULL: stop); emit() takes the
 * packet built there.  Returns the number of packets, or -1 when the
 * super-segment is malformed (nothing emitted).
 */
struct off_out {
	uint8_t	*(*get)(void *arg);
	void	 (*emit)(void *arg, uint8_t *pkt, size_t len);
	void	*arg;
};
int	 off_segment(const struct virtio_net_hdr *, const uint8_t *pkt,
	    size_t len, size_t mtu, const struct off_out *);

/*
 * Upstream coalescing.  off_gro_add() takes an IP packet: 1 when it was
 * copied into a pending super-segment (written later), 0 when the caller
 * is to write it now (after any pending packet of the same flow, which
 * off_gro_add has written first).  off_gro_flush() writes every pending
 * super-segment.  The writer gets a NULL header for a plain packet.
 */
typedef void (*off_write_fn)(const struct virtio_net_hdr *,
	    const uint8_t *pkt, size_t len);
void	 off_gro_init(off_write_fn);
int	 off_gro_add(const uint8_t *pkt, size_t len);
void	 off_gro_flush(void);

#endif /* L2TPNS_OFFLOAD_H */
