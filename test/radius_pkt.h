/*
 * radius_pkt.h - for the RADIUS unit tests and fuzz target: a packet
 * put together from its code, identifier and attributes (RFC 2865 3),
 * the authenticator left zero for the caller to fill or sign; and the
 * authenticator of a reply or an accounting request.
 */
#ifndef TEST_RADIUS_PKT_H
#define TEST_RADIUS_PKT_H

#include <stdint.h>
#include <string.h>
#include <md5.h>

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

/*
 * MD5(Code, Identifier, Length, ra, the attributes, secret) of pkt (len
 * octets) into out: the Response Authenticator with ra the request's
 * (RFC 2865 3), an Accounting-Request's with ra zero (RFC 2866 3), a
 * CoA or Disconnect reply's (RFC 5176 3.5).  out may be pkt + 4.
 */
static inline void
radius_pkt_auth(const uint8_t *pkt, size_t len, const uint8_t *ra,
    const char *secret, uint8_t *out)
{
	MD5_CTX ctx;

	MD5Init(&ctx);
	MD5Update(&ctx, pkt, 4);
	MD5Update(&ctx, ra, 16);
	MD5Update(&ctx, pkt + 20, len - 20);
	MD5Update(&ctx, (const uint8_t *)secret, strlen(secret));
	MD5Final(out, &ctx);
}

#endif
