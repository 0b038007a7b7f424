/*
 * fuzz_bgp.c - libFuzzer target for bgp.c's message parser: the input
 * is a TCP stream of BGP messages, cut by bgp_check_header() as the
 * speaker does, each body going to bgp_parse_open(), bgp_parse_update()
 * (with 2- and 4-octet AS numbers) or bgp_parse_notification().
 * Invariants: an error always names an RFC 4271 code; prefixes reported
 * have lengths within their family; a message length is within 19..4096.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bgp.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_prefix(void *arg, int announce, int af, const uint8_t *a, int plen)
{
	(void)arg;
	(void)announce;
	(void)a;
	if ((af != 4 && af != 6) || plen < 0 || plen > (af == 4 ? 32 : 128))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off = 0;
	int msgs = 0;

	while (off < size && msgs++ < 64) {
		struct bgp_err e;
		struct bgp_open o;
		uint8_t code, sub, type = 0;
		int len, rc;
		const uint8_t *body;
		size_t blen;
		uint8_t *copy;

		memset(&e, 0, sizeof(e));
		len = bgp_check_header(data + off, size - off, &type, &e);
		if (len < 0) {
			if (e.code != BGP_ERR_HEADER)
				abort();
			break;
		}
		if (len == 0 || (size_t)len > size - off)
			break;
		if (len < BGP_HDR_LEN || len > BGP_MAX_LEN)
			abort();
		/* An exact-size copy, so reads past the end are caught. */
		blen = (size_t)len - BGP_HDR_LEN;
		if ((copy = malloc(blen ? blen : 1)) == NULL)
			return 0;
		memcpy(copy, data + off + BGP_HDR_LEN, blen);
		body = copy;
		switch (type) {
		case BGP_OPEN:
			rc = bgp_parse_open(body, blen, 65000, &o, &e);
			if (rc < 0 && e.code != BGP_ERR_OPEN &&
			    e.code != BGP_ERR_HEADER)
				abort();
			break;
		case BGP_UPDATE:
			rc = bgp_parse_update(body, blen, 1, 1, check_prefix,
			    NULL, &e);
			if (rc != 0 && e.code != BGP_ERR_UPDATE)
				abort();
			rc = bgp_parse_update(body, blen, 0, 0, check_prefix,
			    NULL, &e);
			if (rc < -1 || rc > 1)
				abort();
			break;
		case BGP_NOTIFICATION:
			if (bgp_parse_notification(body, blen, &code, &sub) == 0)
				(void)bgp_error_name(code, sub);
			break;
		}
		free(copy);
		off += (size_t)len;
	}
	return 0;
}
