/*
 * bgp_msg.h - private to the BGP speaker: what bgp.c (FSM, peers,
 * timers, I/O, announcements) and bgp_msg.c (the stateless message
 * codec) share.  The codec's public entry points are in bgp.h.
 */
#ifndef L2TPNS_BGP_MSG_H
#define L2TPNS_BGP_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "rd.h"

/* Path attribute type codes (RFC 4271 5, 4760, 6793, 1997). */
enum {
	ATTR_ORIGIN = 1,
	ATTR_AS_PATH = 2,
	ATTR_NEXT_HOP = 3,
	ATTR_MED = 4,
	ATTR_LOCAL_PREF = 5,
	ATTR_ATOMIC_AGGREGATE = 6,
	ATTR_AGGREGATOR = 7,
	ATTR_COMMUNITIES = 8,
	ATTR_MP_REACH = 14,
	ATTR_MP_UNREACH = 15,
	ATTR_AS4_PATH = 17,
	ATTR_AS4_AGGREGATOR = 18,
	ATTR_MAX
};

#define AF_OPTIONAL	0x80
#define AF_TRANSITIVE	0x40
#define AF_PARTIAL	0x20
#define AF_EXTLEN	0x10

/* Capability codes (RFC 5492 4 and the IANA registry). */
#define CAP_MP		1
#define CAP_RR		2
#define CAP_GR		64
#define CAP_AS4		65

/*
 * A message's 19-octet header (RFC 4271 4.1): bgp_wr_header() writes the
 * marker and type and returns where the length goes; bgp_wr_finish()
 * fills it in once the body is written.
 */
size_t	 bgp_wr_header(struct wr *, uint8_t type);
void	 bgp_wr_finish(struct wr *, size_t at);

#endif /* L2TPNS_BGP_MSG_H */
