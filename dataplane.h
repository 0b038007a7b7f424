/*
 * dataplane.h - subscriber IP packets in both directions (dataplane.c).
 *
 * Upstream: ppp.c hands the Information field of an IP or IPv6 frame to
 * dp_ip_input / dp_ip6_input, which end at the TUN device.  Downstream:
 * the main loop calls dp_tun_readable when the TUN device has packets;
 * they leave as L2TP data messages in one sendmmsg() per batch (TCP
 * super-segments cut per session first, runs of equal size to one LAC
 * as one UDP_SEGMENT message).  The L2TP socket is read here too
 * (dp_udp_readable: recvmmsg, UDP_GRO), each datagram handed to
 * l2tp_input(), and upstream TCP coalesced at the batch's end.  PPP's
 * own frames (LCP, authentication, NCPs) go out through dp_send_frame,
 * after whatever is batched, so that a session's frames stay in order.
 */
#ifndef L2TPNS_DATAPLANE_H
#define L2TPNS_DATAPLANE_H

#include <stddef.h>
#include <stdint.h>

#include "l2tpns.h"

/* PPP protocol numbers of the network layer (RFC 1332, RFC 5072). */
#define PPP_IP		0x0021
#define PPP_IPV6	0x0057

int	 dp_init(uint32_t max_sessions);
/* A new session in slot s: its packet_limit window starts afresh. */
void	 dp_session_start(sid_t);
/* Drain up to `budget` packets from the TUN device fd; the number read. */
int	 dp_tun_readable(int fd, int budget);
/* Upstream IP / IPv6 from the subscriber (the PPP Information field). */
void	 dp_ip_input(sid_t, const uint8_t *p, size_t len);
void	 dp_ip6_input(sid_t, const uint8_t *p, size_t len);
/*
 * Downstream IP / IPv6 to session s; `pkt` has TUN_HEADROOM writable
 * bytes before it for the PPP and L2TP headers.
 */
void	 dp_send_ip(sid_t, uint8_t *pkt, size_t len);
void	 dp_send_ip6(sid_t, uint8_t *pkt, size_t len);
/*
 * One PPP frame now: `proto_field` is the PPP Protocol field with
 * L2TP_DATA_HEADROOM writable bytes before it.  0, or -1 if not sent.
 */
int	 dp_send_frame(sid_t, uint8_t *proto_field, size_t len);
/*
 * A keepalive frame (at most 64 octets) copied into the batch, to leave
 * at the next dp_flush() (the end of the loop's turn, l2tpns.c): for
 * frames nothing else must follow on the wire.  0, or -1.
 */
int	 dp_queue_frame(sid_t, const uint8_t *proto_field, size_t len);
/* cluster.c, the master: a downstream IP or IPv6 packet a slave read
 * from its TUN device, handled as if read from ours. */
void	 dp_forwarded(const uint8_t *pkt, size_t len);
/* Send what is batched (the end of each TUN read, and of each turn). */
void	 dp_flush(void);
/* The L2TP socket: readable (an ev_fn), and its options once bound. */
void	 dp_udp_readable(int fd, uint32_t events, void *arg);
void	 dp_udp_socket(int fd);

#endif /* L2TPNS_DATAPLANE_H */
