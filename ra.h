/*
 * ra.h - Router Advertisements and a session's own IPv6 prefix (ra.c).
 */
#ifndef L2TPNS_RA_H
#define L2TPNS_RA_H

#include <stddef.h>
#include <stdint.h>

#include "l2tpns.h"

#define ICMP6_RS	133	/* Router Solicitation, RFC 4861 4.1 */

int	 ra_init(uint32_t max_sessions);
/* IPV6CP Opened: route the session's prefix, advertise at once and then
 * periodically from our link-local address fe80::`our_ifid`. */
void	 ra_up(sid_t, const uint8_t our_ifid[8]);
/* IPV6CP left Opened, or the session ends: stop, unroute. */
void	 ra_down(sid_t, int session_ends);
/* A Router Solicitation (the whole IPv6 packet) from the subscriber. */
void	 ra_rs_input(sid_t, const uint8_t *pkt, size_t len);
/* An Echo Request to our link-local address: answered, 0; else -1. */
int	 ra_echo_input(sid_t, const uint8_t *pkt, size_t len);
/* A source the subscriber may use: its address or its own prefix. */
int	 ra_source_ok(sid_t, const uint8_t src[16]);
/* The ICMPv6 checksum of msg from src to dst (RFC 4443 2.3); 0 over a
 * message whose checksum field is right. */
uint16_t ra_icmp6_sum(const uint8_t *src, const uint8_t *dst,
	    const uint8_t *msg, size_t len);

#endif /* L2TPNS_RA_H */
