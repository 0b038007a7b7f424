/*
 * radius_codec.c - RADIUS packets: the attribute table, building and
 * parsing attributes, the authenticators.  No sockets, no sessions: the
 * client (radius.c) and the DAE listener (dae.c) build and read their
 * packets through it, and the unit tests and the fuzz harness drive it
 * directly.
 *
 * State owned: none (the attribute and code name tables are constant).
 *
 * Exports (radius.h, "the codec"): layout and authenticator checks,
 * signing, Access-Accept parsing into a struct auth_reply, attribute
 * writers over the wr cursor, and the log-level-5 packet dump.
 *
 * Implements RFC 2865 3 (authenticators), 5 (attribute layout), 5.2
 * (User-Password hiding), 5.22 (Framed-Route), 5.26 (Vendor-Specific);
 * RFC 2866 3; RFC 2869 5.14 (Message-Authenticator, HMAC-MD5 of
 * RFC 2104); RFC 2548 2.1.2, 2.1.5, 2.3.2-3 (MS-CHAPv2), 2.7.6-7;
 * RFC 3162 2.3 and RFC 4818 (IPv6 prefixes).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <md5.h>

#include "l2tpns.h"
#include "auth.h"
#include "log.h"
#include "mschap.h"
#include "radius.h"
#include "rd.h"

/* ---- attribute table (STYLE 4): names for logs, value lengths ---- */

enum attr_kind { K_NONE = 0, K_INT, K_ADDR, K_TEXT, K_STRING, K_IPV6PFX,
	K_VSA };

static const struct attr_def {
	const char	*name;
	uint8_t		 kind;
	uint8_t		 min, max;	/* octets of the value */
} attr_defs[256] = {
	[RA_USER_NAME]		= { "User-Name", K_TEXT, 1, 253 },
	[RA_USER_PASSWORD]	= { "User-Password", K_STRING, 16, 128 },
	[RA_CHAP_PASSWORD]	= { "CHAP-Password", K_STRING, 17, 17 },
	[RA_NAS_IP_ADDRESS]	= { "NAS-IP-Address", K_ADDR, 4, 4 },
	[RA_NAS_PORT]		= { "NAS-Port", K_INT, 4, 4 },
	[RA_SERVICE_TYPE]	= { "Service-Type", K_INT, 4, 4 },
	[RA_FRAMED_PROTOCOL]	= { "Framed-Protocol", K_INT, 4, 4 },
	[RA_FRAMED_IP_ADDRESS]	= { "Framed-IP-Address", K_ADDR, 4, 4 },
	[RA_FRAMED_IP_NETMASK]	= { "Framed-IP-Netmask", K_ADDR, 4, 4 },
	[RA_FILTER_ID]		= { "Filter-Id", K_TEXT, 1, 253 },
	[RA_FRAMED_MTU]		= { "Framed-MTU", K_INT, 4, 4 },
	[RA_REPLY_MESSAGE]	= { "Reply-Message", K_TEXT, 1, 253 },
	[RA_FRAMED_ROUTE]	= { "Framed-Route", K_TEXT, 1, 253 },
	[RA_STATE]		= { "State", K_STRING, 1, 253 },
	[RA_CLASS]		= { "Class", K_STRING, 1, 253 },
	[RA_VENDOR_SPECIFIC]	= { "Vendor-Specific", K_VSA, 5, 253 },
	[RA_SESSION_TIMEOUT]	= { "Session-Timeout", K_INT, 4, 4 },
	[RA_IDLE_TIMEOUT]	= { "Idle-Timeout", K_INT, 4, 4 },
	[RA_CALLED_STATION_ID]	= { "Called-Station-Id", K_TEXT, 1, 253 },
	[RA_CALLING_STATION_ID]	= { "Calling-Station-Id", K_TEXT, 1, 253 },
	[RA_NAS_IDENTIFIER]	= { "NAS-Identifier", K_TEXT, 1, 253 },
	[RA_PROXY_STATE]	= { "Proxy-State", K_STRING, 1, 253 },
	[RA_ACCT_STATUS_TYPE]	= { "Acct-Status-Type", K_INT, 4, 4 },
	[RA_ACCT_DELAY_TIME]	= { "Acct-Delay-Time", K_INT, 4, 4 },
	[RA_ACCT_INPUT_OCTETS]	= { "Acct-Input-Octets", K_INT, 4, 4 },
	[RA_ACCT_OUTPUT_OCTETS]	= { "Acct-Output-Octets", K_INT, 4, 4 },
	[RA_ACCT_SESSION_ID]	= { "Acct-Session-Id", K_TEXT, 1, 253 },
	[RA_ACCT_AUTHENTIC]	= { "Acct-Authentic", K_INT, 4, 4 },
	[RA_ACCT_SESSION_TIME]	= { "Acct-Session-Time", K_INT, 4, 4 },
	[RA_ACCT_INPUT_PACKETS]	= { "Acct-Input-Packets", K_INT, 4, 4 },
	[RA_ACCT_OUTPUT_PACKETS] = { "Acct-Output-Packets", K_INT, 4, 4 },
	[RA_ACCT_TERMINATE_CAUSE] = { "Acct-Terminate-Cause", K_INT, 4, 4 },
	[RA_ACCT_INPUT_GIGAWORDS] = { "Acct-Input-Gigawords", K_INT, 4, 4 },
	[RA_ACCT_OUTPUT_GIGAWORDS] = { "Acct-Output-Gigawords", K_INT, 4, 4 },
	[RA_EVENT_TIMESTAMP]	= { "Event-Timestamp", K_INT, 4, 4 },
	[RA_CHAP_CHALLENGE]	= { "CHAP-Challenge", K_STRING, 5, 253 },
	[RA_NAS_PORT_TYPE]	= { "NAS-Port-Type", K_INT, 4, 4 },
	[RA_MESSAGE_AUTHENTICATOR] = { "Message-Authenticator", K_STRING, 16, 16 },
	[RA_TUNNEL_TYPE]	= { "Tunnel-Type", K_INT, 4, 4 },
	[RA_TUNNEL_MEDIUM_TYPE]	= { "Tunnel-Medium-Type", K_INT, 4, 4 },
	[RA_TUNNEL_SERVER_ENDPOINT] = { "Tunnel-Server-Endpoint", K_STRING, 1, 253 },
	[RA_ACCT_TUNNEL_CONNECTION] = { "Acct-Tunnel-Connection", K_STRING, 1, 253 },
	[RA_TUNNEL_PASSWORD]	= { "Tunnel-Password", K_STRING, 3, 253 },
	[RA_TUNNEL_ASSIGNMENT_ID] = { "Tunnel-Assignment-Id", K_STRING, 1, 253 },
	[RA_TUNNEL_PREFERENCE]	= { "Tunnel-Preference", K_INT, 4, 4 },
	[RA_TUNNEL_CLIENT_AUTH_ID] = { "Tunnel-Client-Auth-Id", K_STRING, 1, 253 },
	[RA_ACCT_INTERIM_INTERVAL] = { "Acct-Interim-Interval", K_INT, 4, 4 },
	[RA_FRAMED_IPV6_PREFIX]	= { "Framed-IPv6-Prefix", K_IPV6PFX, 2, 18 },
	[RA_ERROR_CAUSE]	= { "Error-Cause", K_INT, 4, 4 },
	[RA_DELEGATED_IPV6_PREFIX] = { "Delegated-IPv6-Prefix", K_IPV6PFX, 2, 18 },
};

static const char *const code_names[256] = {
	[RAD_ACCESS_REQUEST] = "Access-Request",
	[RAD_ACCESS_ACCEPT] = "Access-Accept",
	[RAD_ACCESS_REJECT] = "Access-Reject",
	[RAD_ACCT_REQUEST] = "Accounting-Request",
	[RAD_ACCT_RESPONSE] = "Accounting-Response",
	[RAD_ACCESS_CHALLENGE] = "Access-Challenge",
	[RAD_DISCONNECT_REQUEST] = "Disconnect-Request",
	[RAD_DISCONNECT_ACK] = "Disconnect-ACK",
	[RAD_DISCONNECT_NAK] = "Disconnect-NAK",
	[RAD_COA_REQUEST] = "CoA-Request",
	[RAD_COA_ACK] = "CoA-ACK",
	[RAD_COA_NAK] = "CoA-NAK",
};

const char *
radius_code_name(uint8_t code)
{
	return code_names[code] ? code_names[code] : "unknown code";
}

/* ---- crypto: RFC 2104, RFC 2865 3 and 5.2, RFC 2866 3 ---- */

void
radius_hmac_md5(const uint8_t *key, size_t keylen, const uint8_t *data,
    size_t len, uint8_t out[16])
{
	uint8_t k[64], pad[64], inner[16];
	MD5_CTX ctx;
	size_t i;

	/* RFC 2104 2: a key longer than the block is hashed first. */
	memset(k, 0, sizeof(k));
	if (keylen > sizeof(k)) {
		MD5Init(&ctx);
		MD5Update(&ctx, key, keylen);
		MD5Final(k, &ctx);
	} else if (keylen > 0)
		memcpy(k, key, keylen);
	for (i = 0; i < sizeof(pad); i++)
		pad[i] = k[i] ^ 0x36;
	MD5Init(&ctx);
	MD5Update(&ctx, pad, sizeof(pad));
	MD5Update(&ctx, data, len);
	MD5Final(inner, &ctx);
	for (i = 0; i < sizeof(pad); i++)
		pad[i] = k[i] ^ 0x5c;
	MD5Init(&ctx);
	MD5Update(&ctx, pad, sizeof(pad));
	MD5Update(&ctx, inner, sizeof(inner));
	MD5Final(out, &ctx);
}

size_t
radius_hide_password(const uint8_t *pw, size_t len, const char *secret,
    const uint8_t ra[16], uint8_t out[128])
{
	size_t slen = strlen(secret), n, i, j;
	const uint8_t *prev = ra;
	uint8_t b[16];
	MD5_CTX ctx;

	/* RFC 2865 5.2: padded with NULs to a multiple of 16, at most 128 */
	if (len > 128)
		return 0;
	n = len == 0 ? 16 : (len + 15) & ~(size_t)15;
	memset(out, 0, n);
	if (len > 0)
		memcpy(out, pw, len);
	for (i = 0; i < n; i += 16) {
		/* b(i) = MD5(S + c(i-1)), c(0) = the Request Authenticator */
		MD5Init(&ctx);
		MD5Update(&ctx, (const uint8_t *)secret, slen);
		MD5Update(&ctx, prev, 16);
		MD5Final(b, &ctx);
		for (j = 0; j < 16; j++)
			out[i + j] ^= b[j];
		prev = out + i;
	}
	return n;
}

/* Compare without a data-dependent early exit. */
static int
same16(const uint8_t *a, const uint8_t *b)
{
	uint8_t d = 0;
	int i;

	for (i = 0; i < 16; i++)
		d |= a[i] ^ b[i];
	return d == 0;
}

/* Next attribute of r: 1 with its type and value, 0 at the end, -1 if
 * its Length field is below 2 or past the end (RFC 2865 5). */
int
radius_attr_next(struct rd *r, uint8_t *type, struct rd *val)
{
	uint8_t len;

	if (r->left == 0)
		return 0;
	if (rd_u8(r, type) < 0 || rd_u8(r, &len) < 0 || len < 2 ||
	    rd_sub(r, len - 2u, val) < 0)
		return -1;
	return 1;
}

int
radius_attr_len_ok(uint8_t type, size_t n)
{
	const struct attr_def *d = &attr_defs[type];

	return d->name == NULL || (n >= d->min && n <= d->max);
}

int
radius_check_layout(const uint8_t *pkt, size_t n, size_t *plen)
{
	struct rd r, a, v;
	uint8_t code, id, type;
	uint16_t len;
	int k;

	rd_init(&r, pkt, n);
	if (rd_u8(&r, &code) < 0 || rd_u8(&r, &id) < 0 || rd_u16(&r, &len) < 0)
		return RAD_E_SHORT;
	/* RFC 2865 3: 20..4096; octets past Length are padding */
	if (len < RAD_HDRLEN || len > RAD_MAXPKT)
		return RAD_E_LENGTH;
	if (len > n)
		return RAD_E_SHORT;
	rd_init(&r, pkt, len);
	if (rd_skip(&r, RAD_HDRLEN) < 0 || rd_sub(&r, len - RAD_HDRLEN, &a) < 0)
		return RAD_E_SHORT;
	while ((k = radius_attr_next(&a, &type, &v)) == 1)
		;
	if (k < 0)
		return RAD_E_ATTR;
	*plen = len;
	return RAD_OK;
}

/* Offset of the first value of attribute `want` in pkt, 0 if none. */
static size_t
find_attr(const uint8_t *pkt, size_t len, uint8_t want, size_t *vlen)
{
	struct rd r, v;
	uint8_t type;

	rd_init(&r, pkt, len);
	if (rd_skip(&r, RAD_HDRLEN) < 0)
		return 0;
	while (radius_attr_next(&r, &type, &v) == 1)
		if (type == want) {
			*vlen = v.left;
			return (size_t)(v.p - pkt);
		}
	return 0;
}

/*
 * The Message-Authenticator of pkt (RFC 2869 5.14) with `auth` in the
 * Authenticator field and the attribute's own value zeroed.
 */
static int
msgauth_ok(const uint8_t *pkt, size_t len, const uint8_t auth[16],
    const char *secret)
{
	uint8_t tmp[RAD_MAXPKT], mac[16];
	size_t off, vlen = 0;

	if ((off = find_attr(pkt, len, RA_MESSAGE_AUTHENTICATOR, &vlen)) == 0)
		return 1;	/* absent: nothing to check */
	if (vlen != 16 || len > sizeof(tmp))
		return 0;
	memcpy(tmp, pkt, len);
	memcpy(tmp + 4, auth, 16);
	memset(tmp + off, 0, 16);
	radius_hmac_md5((const uint8_t *)secret, strlen(secret), tmp, len, mac);
	return same16(mac, pkt + off);
}

int
radius_verify_response(const uint8_t *pkt, size_t len, const uint8_t ra[16],
    const char *secret)
{
	uint8_t want[16];
	MD5_CTX ctx;

	if (len < RAD_HDRLEN)
		return RAD_E_SHORT;
	/* RFC 2865 3: MD5(Code+ID+Length+RequestAuth+Attributes+Secret) */
	MD5Init(&ctx);
	MD5Update(&ctx, pkt, 4);
	MD5Update(&ctx, ra, 16);
	MD5Update(&ctx, pkt + RAD_HDRLEN, len - RAD_HDRLEN);
	MD5Update(&ctx, (const uint8_t *)secret, strlen(secret));
	MD5Final(want, &ctx);
	if (!same16(want, pkt + 4))
		return RAD_E_AUTH;
	/* RFC 2869 5.14: computed with the Request Authenticator */
	if (!msgauth_ok(pkt, len, ra, secret))
		return RAD_E_MSGAUTH;
	return RAD_OK;
}

static void
request_auth(const uint8_t *pkt, size_t len, const char *secret,
    uint8_t out[16])
{
	static const uint8_t zero[16];
	MD5_CTX ctx;

	/* RFC 2866 3: MD5(Code+ID+Length+16 zero octets+Attributes+Secret),
	 * which RFC 3576 2.3 takes for Disconnect and CoA requests too. */
	MD5Init(&ctx);
	MD5Update(&ctx, pkt, 4);
	MD5Update(&ctx, zero, 16);
	MD5Update(&ctx, pkt + RAD_HDRLEN, len - RAD_HDRLEN);
	MD5Update(&ctx, (const uint8_t *)secret, strlen(secret));
	MD5Final(out, &ctx);
}

int
radius_verify_request(const uint8_t *pkt, size_t len, const char *secret)
{
	static const uint8_t zero[16];
	uint8_t want[16];

	if (len < RAD_HDRLEN)
		return RAD_E_SHORT;
	request_auth(pkt, len, secret, want);
	if (!same16(want, pkt + 4))
		return RAD_E_AUTH;
	/* The Message-Authenticator of such a request is computed over a
	 * zero Authenticator field, as for Accounting-Request. */
	if (!msgauth_ok(pkt, len, zero, secret))
		return RAD_E_MSGAUTH;
	return RAD_OK;
}

void
radius_sign_request(uint8_t *pkt, size_t len, const char *secret)
{
	uint8_t mac[16];
	size_t off, vlen = 0;

	if (len < RAD_HDRLEN)
		return;
	memset(pkt + 4, 0, 16);
	if ((off = find_attr(pkt, len, RA_MESSAGE_AUTHENTICATOR, &vlen)) &&
	    vlen == 16) {
		memset(pkt + off, 0, 16);
		radius_hmac_md5((const uint8_t *)secret, strlen(secret), pkt,
		    len, mac);
		memcpy(pkt + off, mac, 16);
	}
	request_auth(pkt, len, secret, mac);
	memcpy(pkt + 4, mac, 16);
}

/* ---- writing attributes ---- */

void
radius_put_attr(struct wr *w, uint8_t type, const void *v, size_t n)
{
	if (n > 253) {
		w->err = 1;
		return;
	}
	wr_u8(w, type);
	wr_u8(w, (uint8_t)(n + 2));
	wr_bytes(w, v, n);
}

void
radius_put_u32(struct wr *w, uint8_t type, uint32_t v)
{
	wr_u8(w, type);
	wr_u8(w, 6);
	wr_u32(w, v);
}

void
radius_put_addr(struct wr *w, uint8_t type, in_addr_t a)
{
	radius_put_attr(w, type, &a, 4);	/* already network order */
}

/* A text attribute, cut at 253 octets (RFC 2865 5). */
void
radius_put_str(struct wr *w, uint8_t type, const char *s)
{
	size_t n = strlen(s);

	if (n == 0)
		return;
	radius_put_attr(w, type, s, n > 253 ? 253 : n);
}

void
radius_put_vsa(struct wr *w, uint32_t vendor, uint8_t vtype, const void *v,
    size_t n)
{
	uint8_t b[253];

	/* RFC 2865 5.26: Vendor-Id, then Vendor-Type, Vendor-Length, value */
	if (n > sizeof(b) - 6) {
		w->err = 1;
		return;
	}
	b[0] = (uint8_t)(vendor >> 24);
	b[1] = (uint8_t)(vendor >> 16);
	b[2] = (uint8_t)(vendor >> 8);
	b[3] = (uint8_t)vendor;
	b[4] = vtype;
	b[5] = (uint8_t)(n + 2);
	memcpy(b + 6, v, n);
	radius_put_attr(w, RA_VENDOR_SPECIFIC, b, n + 6);
}

/* A text value as a C string; -1 if too long or holding a NUL. */
int
radius_rd_text(struct rd *v, char *out, size_t cap)
{
	size_t n = v->left;

	if (n >= cap || memchr(v->p, '\0', n) != NULL)
		return -1;
	memcpy(out, v->p, n);
	out[n] = '\0';
	return rd_skip(v, n);
}

/* "a.b.c.d[/len] [gateway] [metric]" (RFC 2865 5.22); without a length
 * the classful mask, as routers read it. */
static int
parse_route(const char *text, struct auth_route *rt)
{
	char buf[64], *slash, *end;
	struct in_addr a;
	uint32_t h, mask;
	long plen;
	size_t n = strcspn(text, " \t");

	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, text, n);
	buf[n] = '\0';
	if ((slash = strchr(buf, '/')) != NULL)
		*slash = '\0';
	if (inet_pton(AF_INET, buf, &a) != 1)
		return -1;
	h = ntohl(a.s_addr);
	if (slash != NULL) {
		plen = strtol(slash + 1, &end, 10);
		if (end == slash + 1 || *end != '\0' || plen < 0 || plen > 32)
			return -1;
	} else
		plen = h < 0x80000000u ? 8 : h < 0xc0000000u ? 16 :
		    h < 0xe0000000u ? 24 : 32;
	mask = plen == 0 ? 0 : 0xffffffffu << (32 - plen);
	rt->net = htonl(h & mask);
	rt->plen = (uint8_t)plen;
	return 0;
}

/* Filter-Id "NAME.in" or "NAME.out" (manual, "Filtering"). */
int
radius_parse_filter(struct auth_reply *rp, const char *text)
{
	size_t n = strlen(text);

	if (n > 3 && n - 3 < MAXACLNAME && strcmp(text + n - 3, ".in") == 0) {
		memcpy(rp->filter_in, text, n - 3);
		rp->filter_in[n - 3] = '\0';
		return 0;
	}
	if (n > 4 && n - 4 < MAXACLNAME && strcmp(text + n - 4, ".out") == 0) {
		memcpy(rp->filter_out, text, n - 4);
		rp->filter_out[n - 4] = '\0';
		return 0;
	}
	return -1;
}

/* RFC 3162 2.3 (and RFC 4818 3): Reserved, Prefix-Length, Prefix. */
static int
parse_v6pfx(struct rd *v, struct in6_addr *a, uint8_t *plen)
{
	uint8_t res, pl;
	size_t have;
	int i;

	if (rd_u8(v, &res) < 0 || rd_u8(v, &pl) < 0 || pl == 0 || pl > 128)
		return -1;
	have = v->left;
	if (have < (pl + 7u) / 8 || have > 16)
		return -1;
	memset(a, 0, sizeof(*a));
	if (rd_bytes(v, a->s6_addr, have) < 0)
		return -1;
	for (i = 0; i < 16; i++) {	/* bits past the length must be 0 */
		int keep = (int)pl - i * 8;

		if (keep <= 0)
			a->s6_addr[i] = 0;
		else if (keep < 8)
			a->s6_addr[i] &= (uint8_t)(0xff << (8 - keep));
	}
	*plen = pl;
	return 0;
}

/* Keep a whole Class attribute (RFC 2865 5.25) to echo it. */
void
radius_add_class(struct auth_reply *rp, struct rd *v)
{
	size_t n = v->left;

	if ((size_t)rp->class_len + n + 2 > sizeof(rp->class))
		return;
	rp->class[rp->class_len++] = RA_CLASS;
	rp->class[rp->class_len++] = (uint8_t)(n + 2);
	memcpy(rp->class + rp->class_len, v->p, n);
	rp->class_len = (uint16_t)(rp->class_len + n);
}

/* One Cisco-AVPair "key=value": -1 if it is not text. */
static int
add_avpair(struct auth_reply *rp, struct rd *v)
{
	char buf[248], *eq;
	struct auth_avpair *ap;

	if (radius_rd_text(v, buf, sizeof(buf)) < 0)
		return -1;
	if (rp->navpairs == AUTH_MAX_AVPAIRS)
		return 0;
	eq = strchr(buf, '=');
	if (eq != NULL)
		*eq = '\0';
	if (buf[0] == '\0' || strlen(buf) >= sizeof(ap->key))
		return -1;
	ap = &rp->avpair[rp->navpairs++];
	snprintf(ap->key, sizeof(ap->key), "%s", buf);
	snprintf(ap->value, sizeof(ap->value), "%s", eq ? eq + 1 : "");
	return 0;
}

/*
 * MS-CHAP2-Success and MS-CHAP-Error (RFC 2548 2.3.3, 2.1.5): Ident,
 * then the text of the CHAP Success or Failure message.  The Ident is
 * not checked: one request is in flight per session.  The Success text
 * must be an authenticator response (RFC 2759 5); -1 if malformed.
 */
static int
ms_text(struct rd *v, char *out, size_t cap, int success)
{
	uint8_t ident;

	if (rd_u8(v, &ident) < 0 || v->left == 0 || v->left >= cap ||
	    memchr(v->p, '\0', v->left) != NULL)
		return -1;
	if (success && !mschap2_auth_string_ok((const char *)v->p, v->left))
		return -1;
	memcpy(out, v->p, v->left);
	out[v->left] = '\0';
	return 0;
}

/*
 * Vendor-Specific (RFC 2865 5.26): Vendor-Id, then the vendor's
 * sub-attributes in the recommended type-length-value format.  Sets
 * *unknown for a vendor or type we do not use.  -1 if a sub-attribute
 * we use has a bad length.
 */
int
radius_parse_vsa(struct rd *v, struct auth_reply *rp, int *unknown)
{
	struct rd sub;
	uint32_t vendor;
	uint8_t vt;
	int k;

	if (rd_u32(v, &vendor) < 0)
		return -1;
	if (vendor != VENDOR_CISCO && vendor != VENDOR_MICROSOFT) {
		*unknown = 1;
		return 0;
	}
	while ((k = radius_attr_next(v, &vt, &sub)) == 1) {
		if (vendor == VENDOR_CISCO && vt == CISCO_AVPAIR) {
			if (add_avpair(rp, &sub) < 0)
				return -1;
		} else if (vendor == VENDOR_MICROSOFT &&
		    (vt == MS_PRIMARY_DNS_SERVER ||
		    vt == MS_SECONDARY_DNS_SERVER)) {
			in_addr_t a;

			if (sub.left != 4 || rd_bytes(&sub, &a, 4) < 0)
				return -1;
			if (vt == MS_PRIMARY_DNS_SERVER)
				rp->dns1 = a;
			else
				rp->dns2 = a;
		} else if (vendor == VENDOR_MICROSOFT &&
		    (vt == MS_CHAP2_SUCCESS || vt == MS_CHAP_ERROR)) {
			int ok = vt == MS_CHAP2_SUCCESS;

			if (ms_text(&sub, ok ? rp->ms_success : rp->ms_error,
			    ok ? sizeof(rp->ms_success) : sizeof(rp->ms_error),
			    ok) < 0)
				return -1;
		} else
			*unknown = 1;
	}
	if (k < 0)	/* not the recommended format: not ours to read */
		*unknown = 1;
	return 0;
}

/*
 * The tunnel of rp with tag `tag` (RFC 2868 3.1: attributes with the
 * same tag describe one tunnel), added if new; NULL when
 * AUTH_MAX_TUNNELS are already described (the rest ignored).
 */
static struct auth_tunnel *
tunnel_of(struct auth_reply *rp, uint8_t tag)
{
	uint8_t i;

	for (i = 0; i < rp->ntunnels; i++)
		if (rp->tunnel[i].tag == tag)
			return &rp->tunnel[i];
	if (rp->ntunnels == AUTH_MAX_TUNNELS)
		return NULL;
	memset(&rp->tunnel[i], 0, sizeof(rp->tunnel[i]));
	rp->tunnel[i].tag = tag;
	return &rp->tunnel[rp->ntunnels++];
}

/* A tagged string (RFC 2868 3.3, 3.7, 3.9): a first octet up to 0x1f
 * is the tag, anything else is the string's first octet (tag 0). */
static int
tagged_text(struct rd *v, uint8_t *tag, char *out, size_t cap)
{
	*tag = 0;
	if (v->left > 0 && v->p[0] <= 0x1f)
		rd_u8(v, tag);
	if (v->left == 0 || v->left >= cap)
		return -1;
	return radius_rd_text(v, out, cap);
}

/* "a.b.c.d" or "a.b.c.d:port" (IPv4, RFC 2868 3.3). */
static int
parse_endpoint(const char *text, struct auth_tunnel *t)
{
	char a[INET_ADDRSTRLEN], *end;
	const char *colon = strchr(text, ':');
	size_t n = colon ? (size_t)(colon - text) : strlen(text);
	unsigned long port = 0;

	if (n == 0 || n >= sizeof(a))
		return -1;
	memcpy(a, text, n);
	a[n] = '\0';
	if (inet_pton(AF_INET, a, &t->endpoint) != 1 || t->endpoint == 0)
		return -1;
	if (colon) {
		port = strtoul(colon + 1, &end, 10);
		if (*end != '\0' || port == 0 || port > 65535)
			return -1;
	}
	t->port = (uint16_t)port;
	return 0;
}

/* One of the RFC 2868 attributes; -1 for a malformed value. */
static int
parse_tunnel_attr(uint8_t type, struct rd *v, struct auth_reply *rp)
{
	struct auth_tunnel *t;
	char text[254];
	uint8_t tag = 0;
	uint32_t u = 0;
	size_t n;

	switch (type) {
	case RA_TUNNEL_TYPE:		/* 3.1, 3.2, 3.8: tag, 24-bit value */
	case RA_TUNNEL_MEDIUM_TYPE:
	case RA_TUNNEL_PREFERENCE:
		rd_u32(v, &u);
		tag = (uint8_t)(u >> 24);
		if (tag > 0x1f)
			return -1;
		if ((t = tunnel_of(rp, tag)) == NULL)
			return 0;
		u &= 0xffffff;
		if (type == RA_TUNNEL_TYPE)
			t->type = u > 255 ? 0 : (uint8_t)u;
		else if (type == RA_TUNNEL_MEDIUM_TYPE)
			t->medium = u > 255 ? 0 : (uint8_t)u;
		else
			t->preference = u;
		return 0;
	case RA_TUNNEL_PASSWORD:	/* 3.5: the tag is always there */
		rd_u8(v, &tag);
		if (tag > 0x1f || v->left < 2 || v->left > sizeof(t->pw_enc))
			return -1;
		if ((t = tunnel_of(rp, tag)) == NULL)
			return 0;
		t->pw_enc_len = (uint8_t)v->left;
		return rd_bytes(v, t->pw_enc, v->left);
	default:			/* 3.3, 3.7, 3.9: tagged text */
		if (tagged_text(v, &tag, text, sizeof(text)) < 0)
			return -1;
		if ((t = tunnel_of(rp, tag)) == NULL)
			return 0;
		if (type == RA_TUNNEL_SERVER_ENDPOINT)
			return parse_endpoint(text, t);
		if ((n = strlen(text)) >= AUTH_TUNNEL_TEXT)
			return -1;
		memcpy(type == RA_TUNNEL_ASSIGNMENT_ID ? t->assignment :
		    t->client_auth, text, n + 1);
		return 0;
	}
}

int
radius_tunnel_password(const uint8_t *v, size_t n, const char *secret,
    const uint8_t ra[16], char *out, size_t outcap)
{
	size_t slen = strlen(secret), i, j, len;
	uint8_t b[16], p[256];
	const uint8_t *c = v + 2;
	MD5_CTX ctx;

	/* Salt (2 octets, high bit set) and a multiple of 16 octets */
	if (n < 2 + 16 || (n - 2) % 16 != 0 || n - 2 > sizeof(p) ||
	    !(v[0] & 0x80))
		return -1;
	for (i = 0; i < n - 2; i += 16) {
		/* b(1) = MD5(S + R + A), b(i) = MD5(S + c(i-1)) */
		MD5Init(&ctx);
		MD5Update(&ctx, (const uint8_t *)secret, slen);
		if (i == 0) {
			MD5Update(&ctx, ra, 16);
			MD5Update(&ctx, v, 2);
		} else
			MD5Update(&ctx, c + i - 16, 16);
		MD5Final(b, &ctx);
		for (j = 0; j < 16; j++)
			p[i + j] = c[i + j] ^ b[j];
	}
	/* The first plaintext octet is the Data-Length of the password. */
	len = p[0];
	if (len + 1 > n - 2 || len + 1 > outcap)
		return -1;
	memcpy(out, p + 1, len);
	out[len] = '\0';
	if (memchr(out, '\0', len) != NULL)
		return -1;
	return (int)len;
}

void
radius_tunnel_passwords(struct auth_reply *rp, const char *secret,
    const uint8_t ra[16])
{
	uint8_t i;

	for (i = 0; i < rp->ntunnels; i++) {
		struct auth_tunnel *t = &rp->tunnel[i];

		if (t->pw_enc_len == 0)
			continue;
		t->has_password = radius_tunnel_password(t->pw_enc,
		    t->pw_enc_len, secret, ra, t->password,
		    sizeof(t->password)) >= 0;
		if (!t->has_password)
			LOG(LOG_WARN_L, 0, 0, "RADIUS: Tunnel-Password of tag "
			    "%u cannot be decrypted (ignored)", t->tag);
		memset(t->pw_enc, 0, sizeof(t->pw_enc));
		t->pw_enc_len = 0;
	}
}

int
radius_parse_reply(const uint8_t *pkt, size_t len, struct auth_reply *rp)
{
	struct rd r, v;
	char text[254];
	uint8_t type;
	uint32_t u = 0;
	int k, unknown = 0;

	rd_init(&r, pkt, len);
	if (rd_skip(&r, RAD_HDRLEN) < 0)
		return RAD_E_SHORT;
	while ((k = radius_attr_next(&r, &type, &v)) == 1) {
		/* RFC 2865 5, Length: a bad one makes it a reject */
		if (!radius_attr_len_ok(type, v.left))
			return RAD_E_VALUE;
		switch (type) {
		case RA_FRAMED_IP_ADDRESS:	/* 5.8 */
			rd_bytes(&v, &rp->ip, 4);
			/* 255.255.255.254: the NAS picks; ...255: the user */
			if (rp->ip == htonl(0xfffffffe) ||
			    rp->ip == htonl(0xffffffff))
				rp->ip = 0;
			break;
		case RA_FRAMED_IP_NETMASK:	/* 5.9 */
			rd_bytes(&v, &rp->netmask, 4);
			break;
		case RA_SESSION_TIMEOUT:	/* 5.27 */
			rd_u32(&v, &rp->session_timeout);
			rp->has_session_timeout = 1;
			break;
		case RA_IDLE_TIMEOUT:		/* 5.28 */
			rd_u32(&v, &rp->idle_timeout);
			break;
		case RA_ACCT_INTERIM_INTERVAL:	/* RFC 2869 5.16 */
			rd_u32(&v, &u);
			rp->interim = u;
			break;
		case RA_REPLY_MESSAGE:		/* 5.18: the first one */
			if (rp->msg[0] == '\0' &&
			    radius_rd_text(&v, text, sizeof(text)) == 0) {
				size_t n = strlen(text);

				if (n >= sizeof(rp->msg))
					n = sizeof(rp->msg) - 1;
				memcpy(rp->msg, text, n);
				rp->msg[n] = '\0';
			}
			break;
		case RA_FILTER_ID:		/* 5.11 */
			if (radius_rd_text(&v, text, sizeof(text)) < 0 ||
			    radius_parse_filter(rp, text) < 0)
				LOG(LOG_WARN_L, 0, 0, "RADIUS: Filter-Id not "
				    "NAME.in or NAME.out (ignored)");
			break;
		case RA_FRAMED_ROUTE:		/* 5.22 */
			if (radius_rd_text(&v, text, sizeof(text)) < 0 ||
			    rp->nroutes == AUTH_MAX_ROUTES ||
			    parse_route(text, &rp->route[rp->nroutes]) < 0)
				LOG(LOG_WARN_L, 0, 0, "RADIUS: Framed-Route "
				    "unusable or too many (ignored)");
			else
				rp->nroutes++;
			break;
		case RA_CLASS:			/* 5.25 */
			radius_add_class(rp, &v);
			break;
		case RA_VENDOR_SPECIFIC:	/* 5.26 */
			if (radius_parse_vsa(&v, rp, &unknown) < 0)
				return RAD_E_VALUE;
			break;
		case RA_FRAMED_IPV6_PREFIX:	/* RFC 3162 2.3 */
			if (parse_v6pfx(&v, &rp->ipv6_prefix,
			    &rp->ipv6_prefix_len) < 0)
				return RAD_E_VALUE;
			break;
		case RA_DELEGATED_IPV6_PREFIX:	/* RFC 4818 3 */
			if (parse_v6pfx(&v, &rp->delegated_prefix,
			    &rp->delegated_len) < 0)
				return RAD_E_VALUE;
			break;
		case RA_TUNNEL_TYPE:		/* RFC 2868 3 */
		case RA_TUNNEL_MEDIUM_TYPE:
		case RA_TUNNEL_SERVER_ENDPOINT:
		case RA_TUNNEL_PASSWORD:
		case RA_TUNNEL_ASSIGNMENT_ID:
		case RA_TUNNEL_PREFERENCE:
		case RA_TUNNEL_CLIENT_AUTH_ID:
			if (parse_tunnel_attr(type, &v, rp) < 0)
				return RAD_E_VALUE;
			break;
		default:			/* 5: MAY ignore the rest */
			break;
		}
	}
	return k < 0 ? RAD_E_ATTR : RAD_OK;
}


/* At log level 5: a packet's attributes by name (passwords hidden). */
void
radius_log_packet(sid_t s, const char *dir, const uint8_t *pkt, size_t len)
{
	struct rd r, v;
	uint8_t type, code = 0, id = 0;
	char text[254], val[300];
	uint32_t u;

	if (log_level < LOG_PACKET_L)
		return;
	rd_init(&r, pkt, len);
	if (rd_u8(&r, &code) < 0 || rd_u8(&r, &id) < 0 ||
	    rd_skip(&r, RAD_HDRLEN - 2) < 0)
		return;
	LOG(LOG_PACKET_L, s, 0, "RADIUS %s %s id %u, %zu octets", dir,
	    radius_code_name(code), id, len);
	while (radius_attr_next(&r, &type, &v) == 1) {
		const struct attr_def *d = &attr_defs[type];

		val[0] = '\0';
		if (type == RA_USER_PASSWORD || type == RA_CHAP_PASSWORD)
			snprintf(val, sizeof(val), "(hidden)");
		else if (d->kind == K_INT && v.left == 4 && rd_u32(&v, &u) == 0)
			snprintf(val, sizeof(val), "%u", u);
		else if (d->kind == K_ADDR && v.left == 4)
			inet_ntop(AF_INET, v.p, val, sizeof(val));
		else if (d->kind == K_TEXT && radius_rd_text(&v, text, sizeof(text)) == 0)
			snprintf(val, sizeof(val), "\"%s\"", text);
		else
			snprintf(val, sizeof(val), "%zu octets", v.left);
		LOG(LOG_PACKET_L, s, 0, "  %s (%u) = %s",
		    d->name ? d->name : "?", type, val);
	}
}
