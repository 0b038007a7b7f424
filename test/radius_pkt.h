/*
 * radius_pkt.h - for the RADIUS unit tests and fuzz target: a packet
 * put together from its code, identifier and attributes (RFC 2865 3),
 * the authenticator left zero for the caller to fill or sign.
 */
#ifndef TEST_RADIUS_PKT_H
#define TEST_RADIUS_PKT_H

#include <stdint.h>
#include <string.h>

/* pkt (room for 20 + alen octets) gets the packet; its length. */
static inline size_t
radius_pkt(uint8_t *pkt, uint8_t code, uint8_t id, const uint8_t *attrs,
    size_t alen)
{
	memset(pkt, 0, 20);
	pkt[0] = code;
	pkt[1] = id;
	pkt[2] = (uint8_t)((20 + alen) >> 8);
	pkt[3] = (uint8_t)(20 + alen);
	memcpy(pkt + 20, attrs, alen);
	return 20 + alen;
}

#endif
