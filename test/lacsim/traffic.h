/*
 * traffic.h - lacsim's IP traffic over the PPP sessions: a UDP generator
 * (--traffic-dst, --pps, --size, --duration), the receive side that counts
 * what the LNS delivers to each session, and the optional reflector
 * (--echo) that answers ICMP echo requests and sends UDP back.
 *
 * IPv4, UDP and ICMP are built and checked here (RFC 791, 768, 792,
 * RFC 1071 checksums).  Nothing is allocated per packet: packets are
 * written straight into the slot the caller's slot() hands out, which is
 * where the caller batches them for sendmmsg().
 */
#ifndef LACSIM_TRAFFIC_H
#define LACSIM_TRAFFIC_H

#include <stddef.h>
#include <stdint.h>

#include "l2tp_wire.h"

#define IP4_HDR_LEN		20
#define UDP_HDR_LEN		8
#define IP4_MIN_PKT		(IP4_HDR_LEN + UDP_HDR_LEN)
#define IP4_MAX_PKT		1500
#define IP_PROTO_ICMP		1
#define IP_PROTO_UDP		17
#define TRAFFIC_MAGIC		0x4c414353	/* "LACS" */
#define TRAFFIC_HDR_LEN		20	/* magic, session, seq, time */

/* ---- IPv4 wire format ---- */

struct ip4_info {
	uint8_t		 ihl_len;	/* header length in octets */
	uint8_t		 proto;
	uint8_t		 ttl;
	uint16_t	 tot_len;
	uint16_t	 id;
	uint16_t	 frag;		/* flags and fragment offset */
	uint32_t	 src, dst;	/* host order */
	struct rd	 opts;		/* header options */
	struct rd	 payload;	/* cut to Total Length */
};

/* RFC 1071: the one's complement sum, and its folded complement. */
uint32_t ip_sum(uint32_t sum, const uint8_t *, size_t);
uint16_t ip_sum_fold(uint32_t sum);
/*
 * Check an IPv4 packet: version 4, IHL at least 5, Total Length within
 * the packet and not below the header, the header checksum.  Returns -1
 * with *why otherwise.
 */
int	 ip4_parse(const uint8_t *, size_t, struct ip4_info *,
	    const char **why);
/*
 * Write a UDP datagram of exactly size octets of IP packet (at least 28),
 * the payload taken from payload and padded with zeros.  Returns the size,
 * or 0 when it does not fit.
 */
size_t	 ip4_udp_build(uint8_t *, size_t size, uint32_t src, uint32_t dst,
	    uint16_t sport, uint16_t dport, uint16_t id,
	    const uint8_t *payload, size_t plen);
/*
 * The answer to a received packet: an ICMP echo reply to an echo request,
 * or the UDP datagram sent back with addresses and ports swapped.  Writes
 * into out (cap at least the packet's Total Length) and returns the
 * length, or 0 when the packet gets no answer.
 */
size_t	 ip4_answer(const struct ip4_info *, uint8_t *out, size_t cap);

/* ---- the generator and the receive side ---- */

struct traffic_conf {
	uint32_t	 dst;		/* host order; 0: no generator */
	uint16_t	 sport;		/* 0: 1024 + (session - 1) % 64512 */
	uint16_t	 dport;
	size_t		 size;		/* IP packet size */
	double		 pps;		/* in all */
	double		 duration;	/* seconds */
	int		 echo;		/* answer ICMP, reflect UDP */
	/* Room for len octets of IP packet on session sess, or NULL. */
	uint8_t		*(*slot)(uint32_t sess, size_t len);
};

struct traffic_stats {
	uint64_t	 tx_packets, tx_bytes;
	uint64_t	 rx_packets, rx_bytes;
	uint64_t	 rx_wrong_session;	/* not to the session's addr */
	uint64_t	 rx_bad;		/* not a valid IPv4 packet */
	uint64_t	 rx_own;		/* our datagrams coming back */
	uint64_t	 rtt_sum_us, rtt_max_us;
	uint64_t	 icmp_replies;
	uint64_t	 udp_reflected;
	uint64_t	 tx_no_session;		/* due while none was up */
};

int	 traffic_init(const struct traffic_conf *, uint32_t nsess);
void	 traffic_free(void);
/* Session sess (0-based) has an address; number is its global number. */
void	 traffic_up(uint32_t sess, uint32_t addr, uint32_t number,
	    size_t mtu);
void	 traffic_down(uint32_t sess);
uint32_t traffic_active(void);
/* Start the generator now, for the configured duration. */
void	 traffic_start(uint64_t now);
/*
 * New size, rate and duration for the next traffic_start() (lacsim's
 * --control); -1 when out of the ranges of --size, --pps, --duration.
 */
int	 traffic_set(size_t size, double pps, double duration);
void	 traffic_stop(void);
int	 traffic_running(void);
/*
 * Send what is due by now, at most a budget of packets.  Returns the time
 * to call again (absolute microseconds), or 0 when the run is over.
 */
uint64_t traffic_tick(uint64_t now);
/* An IPv4 packet the LNS delivered on session sess. */
void	 traffic_input(uint32_t sess, const uint8_t *, size_t, uint64_t now);
const struct traffic_stats *traffic_stats(void);
/* Packets received on one session. */
uint64_t traffic_session_rx(uint32_t sess);
uint64_t traffic_session_tx(uint32_t sess);

#endif /* LACSIM_TRAFFIC_H */
