/*
 * radius.c - the RADIUS client (authentication and accounting) and the
 * Dynamic Authorization listener (Disconnect-Request, CoA-Request).
 *
 * State owned:
 *   - RAD_NSOCK client UDP sockets (bound to radius_bind_min..max when
 *     set), each with its own 256 identifiers, and the table of
 *     requests in flight: slot = identifier * RAD_NSOCK + socket, so a
 *     reply finds its request in O(1).  Free slots wait in a FIFO, so an
 *     identifier is reused as late as possible;
 *   - per server and per port (authentication, accounting) the time
 *     until which a server that stopped answering is skipped;
 *   - per session (`struct rsess`, indexed like the session table): the
 *     pending Access-Request, the Class attributes to echo, the
 *     Framed-Routes, the interim interval and the Interim-Update timer
 *     (ppp.c enforces Session-Timeout and Idle-Timeout);
 *   - the DAE socket on radius_dae_port and a small cache of its last
 *     answers (retransmitted requests get the same answer).
 *
 * Exports (radius.h): the backend behind auth.c, radius_init/close/
 * reload/busy for l2tpns.c, the "show radius" view, and the codec.
 *
 * Implements RFC 2865 (Access-Request with User-Password 5.2 or
 * CHAP-Password 5.3, Access-Accept/Reject/Challenge, authenticators 3),
 * RFC 2866 (Accounting Start, Interim-Update, Stop), RFC 2869 5.14
 * (Message-Authenticator, HMAC-MD5 of RFC 2104) and 5.16
 * (Acct-Interim-Interval), RFC 2548 2.7.6-7 (MS DNS servers), RFC 3162
 * 2.3 and RFC 4818 (IPv6 prefixes), RFC 3576 (Disconnect and CoA).
 *
 * Retries: a request is sent RAD_TRIES times to one server,
 * radius_timeout seconds apart, then to the other server; when neither
 * answers it is given up (authentication fails, accounting is lost and
 * counted).  A server that let a request down is skipped by new
 * requests for DEAD_MS unless every server is.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <md5.h>

#include "l2tpns.h"
#include "auth.h"
#include "event.h"
#include "log.h"
#include "plugin.h"
#include "radius.h"
#include "rd.h"
#include "tbf.h"
#include "util.h"

#define RAD_NSLOT	(RAD_NSOCK * 256)
#define DEAD_MS		30000	/* a silent server is skipped this long */
#define DAE_CACHE	16	/* answers kept for retransmissions */
#define DAE_CACHE_MS	30000
#define DAE_WINDOW	300	/* Event-Timestamp window, RFC 3576 5.4 */
#define NAS_PORT_VIRTUAL 5	/* RFC 2865 5.41 */
#define SERVICE_FRAMED	2	/* RFC 2865 5.6 */
#define PROTO_PPP	1	/* RFC 2865 5.7 */
#define ACCT_START	1	/* RFC 2866 5.1 */
#define ACCT_STOP	2
#define ACCT_INTERIM	3
#define AUTHENTIC_RADIUS 1	/* RFC 2866 5.6 */
#define AUTHENTIC_LOCAL	2

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

static const char *
code_name(uint8_t code)
{
	return code_names[code] ? code_names[code] : "unknown code";
}

/* ---- requests in flight ---- */

enum req_kind { RQ_FREE = 0, RQ_AUTH, RQ_START, RQ_INTERIM, RQ_STOP };

static const char *const kind_names[] = {
	[RQ_FREE] = "FREE", [RQ_AUTH] = "AUTH", [RQ_START] = "START",
	[RQ_INTERIM] = "INTERIM", [RQ_STOP] = "STOP",
};

struct rad_req {
	uint8_t		 kind;		/* enum req_kind */
	uint8_t		 server;	/* 0 primary, 1 secondary */
	uint8_t		 tries;		/* sends to that server */
	uint8_t		 servers_tried;
	sid_t		 sid;
	uint32_t	 next_free;	/* free FIFO link, slot + 1 */
	uint16_t	 len;
	uint16_t	 delay_off;	/* Acct-Delay-Time value, 0 = none */
	uint64_t	 born_ms;
	uint8_t		*pkt;
	struct timer	 timer;
};

static struct rad_req *reqs;
static uint32_t free_head, free_tail;	/* slot + 1 */
static uint32_t acct_inflight;
static int sock_fd[RAD_NSOCK];
static uint16_t sock_port[RAD_NSOCK];
static int nsock;
static int dae_fd = -1;
static uint64_t dead_until[2][2];	/* [server][accounting] */

/* ---- per-session state ---- */

struct rsess {
	uint32_t	 auth_slot;	/* slot + 1 of the Access-Request */
	uint32_t	 interim_slot;	/* slot + 1 of an Interim-Update */
	uint8_t		 authentic;	/* Acct-Authentic */
	uint8_t		 up;		/* radius_session_up ran */
	uint8_t		 acct;		/* Start sent: Stop owed */
	uint8_t		 nroutes, routes_added;
	uint8_t		 kernel_routes;	/* bit per route the kernel took */
	struct auth_route route[AUTH_MAX_ROUTES];
	uint32_t	 interim;	/* from the Accept or a CoA; 0 = config */
	time_t		 acct_start;
	uint8_t		*class;		/* Class attributes, whole */
	uint16_t	 class_len;
	struct timer	 interim_timer;
};

static struct rsess *rsess;
static uint32_t rsess_max;
static uint32_t acct_seq;

static struct rsess *
RS(sid_t s)
{
	return rsess != NULL && s > 0 && s <= rsess_max ? &rsess[s] : NULL;
}

/* Rate limit for what peers can make us log (STYLE 11). */
static int
log_budget(void)
{
	static time_t sec;
	static int n;

	if (sec != time_now) {
		sec = time_now;
		n = 0;
	}
	return n++ < 10;
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
static int
attr_next(struct rd *r, uint8_t *type, struct rd *val)
{
	uint8_t len;

	if (r->left == 0)
		return 0;
	if (rd_u8(r, type) < 0 || rd_u8(r, &len) < 0 || len < 2 ||
	    rd_sub(r, len - 2u, val) < 0)
		return -1;
	return 1;
}

static int
attr_len_ok(uint8_t type, size_t n)
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
	while ((k = attr_next(&a, &type, &v)) == 1)
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
	while (attr_next(&r, &type, &v) == 1)
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

static void
put_attr(struct wr *w, uint8_t type, const void *v, size_t n)
{
	if (n > 253) {
		w->err = 1;
		return;
	}
	wr_u8(w, type);
	wr_u8(w, (uint8_t)(n + 2));
	wr_bytes(w, v, n);
}

static void
put_u32(struct wr *w, uint8_t type, uint32_t v)
{
	wr_u8(w, type);
	wr_u8(w, 6);
	wr_u32(w, v);
}

static void
put_addr(struct wr *w, uint8_t type, in_addr_t a)
{
	put_attr(w, type, &a, 4);	/* already network order */
}

/* A text attribute, cut at 253 octets (RFC 2865 5). */
static void
put_str(struct wr *w, uint8_t type, const char *s)
{
	size_t n = strlen(s);

	if (n == 0)
		return;
	put_attr(w, type, s, n > 253 ? 253 : n);
}

/* What identifies the NAS and the port (RFC 2865 4.1, 5.4-5.7, 5.30-32,
 * 5.41), in Access-Request and Accounting-Request alike. */
static void
put_nas(struct wr *w, sid_t s)
{
	const struct session *sp = session_get(s);

	if (config->bind_address)
		put_addr(w, RA_NAS_IP_ADDRESS, config->bind_address);
	put_str(w, RA_NAS_IDENTIFIER, config->hostname);
	put_u32(w, RA_NAS_PORT, s);
	put_u32(w, RA_NAS_PORT_TYPE, NAS_PORT_VIRTUAL);
	put_u32(w, RA_SERVICE_TYPE, SERVICE_FRAMED);
	put_u32(w, RA_FRAMED_PROTOCOL, PROTO_PPP);
	put_str(w, RA_CALLING_STATION_ID, sp->calling);
	put_str(w, RA_CALLED_STATION_ID, sp->called);
}

/* ---- reading attributes ---- */

/* A text value as a C string; -1 if too long or holding a NUL. */
static int
rd_text(struct rd *v, char *out, size_t cap)
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
static int
parse_filter(struct auth_reply *rp, const char *text)
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
static void
add_class(struct auth_reply *rp, struct rd *v)
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

	if (rd_text(v, buf, sizeof(buf)) < 0)
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
 * Vendor-Specific (RFC 2865 5.26): Vendor-Id, then the vendor's
 * sub-attributes in the recommended type-length-value format.  Sets
 * *unknown for a vendor or type we do not use.  -1 if a sub-attribute
 * we use has a bad length.
 */
static int
parse_vsa(struct rd *v, struct auth_reply *rp, int *unknown)
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
	while ((k = attr_next(v, &vt, &sub)) == 1) {
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
		} else
			*unknown = 1;
	}
	if (k < 0)	/* not the recommended format: not ours to read */
		*unknown = 1;
	return 0;
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
	while ((k = attr_next(&r, &type, &v)) == 1) {
		/* RFC 2865 5, Length: a bad one makes it a reject */
		if (!attr_len_ok(type, v.left))
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
			    rd_text(&v, text, sizeof(text)) == 0) {
				size_t n = strlen(text);

				if (n >= sizeof(rp->msg))
					n = sizeof(rp->msg) - 1;
				memcpy(rp->msg, text, n);
				rp->msg[n] = '\0';
			}
			break;
		case RA_FILTER_ID:		/* 5.11 */
			if (rd_text(&v, text, sizeof(text)) < 0 ||
			    parse_filter(rp, text) < 0)
				LOG(LOG_WARN_L, 0, 0, "RADIUS: Filter-Id not "
				    "NAME.in or NAME.out (ignored)");
			break;
		case RA_FRAMED_ROUTE:		/* 5.22 */
			if (rd_text(&v, text, sizeof(text)) < 0 ||
			    rp->nroutes == AUTH_MAX_ROUTES ||
			    parse_route(text, &rp->route[rp->nroutes]) < 0)
				LOG(LOG_WARN_L, 0, 0, "RADIUS: Framed-Route "
				    "unusable or too many (ignored)");
			else
				rp->nroutes++;
			break;
		case RA_CLASS:			/* 5.25 */
			add_class(rp, &v);
			break;
		case RA_VENDOR_SPECIFIC:	/* 5.26 */
			if (parse_vsa(&v, rp, &unknown) < 0)
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
		default:			/* 5: MAY ignore the rest */
			break;
		}
	}
	return k < 0 ? RAD_E_ATTR : RAD_OK;
}

/*
 * Cisco-AVPair throttle values (manual, "Throttling"; applied by the
 * autothrottle plugin): throttle=RATE|yes|no and
 * lcp:interface-config[#N]=service-policy input|output RATE, kbit/s.
 * Only checked here, so that a CoA-Request with a bad one is refused
 * as a whole (RFC 3576 2.3).  Returns 1 if the pairs set a rate, 0 if
 * none does, -1 if one is bad.
 */
static int
throttle_pairs(const struct auth_reply *rp, uint32_t *in, uint32_t *out)
{
	int i, found = 0;

	for (i = 0; i < rp->navpairs; i++) {
		const char *k = rp->avpair[i].key, *v = rp->avpair[i].value;
		unsigned long long r;
		char dir[8], *end;

		if (strcmp(k, "throttle") == 0) {
			if (strcmp(v, "yes") == 0)
				r = config->throttle_speed;
			else if (strcmp(v, "no") == 0)
				r = 0;
			else {
				if (*v < '0' || *v > '9')
					return -1;
				r = strtoull(v, &end, 10);
				if (*end != '\0' || r > UINT32_MAX)
					return -1;
			}
			*in = *out = (uint32_t)r;
			found = 1;
		} else if (strncmp(k, "lcp:interface-config", 20) == 0 &&
		    (k[20] == '\0' || k[20] == '#')) {
			if (strncmp(v, "service-policy ", 15) != 0)
				continue;	/* other interface lines */
			v += 15;
			if (sscanf(v, "%7s", dir) != 1)
				return -1;
			v += strlen(dir);
			while (*v == ' ')
				v++;
			if (*v < '0' || *v > '9')
				return -1;
			r = strtoull(v, &end, 10);
			if (*end != '\0' || r > UINT32_MAX)
				return -1;
			if (strcmp(dir, "input") == 0)
				*in = (uint32_t)r;
			else if (strcmp(dir, "output") == 0)
				*out = (uint32_t)r;
			else
				return -1;
			found = 1;
		}
	}
	return found;
}

/*
 * Each Cisco-AVPair to the radius_response plugins, in the reply's
 * order (manual, "Plugins"): the autothrottle plugin sets the rates
 * from them, autosnoop the interception target.
 */
static void
apply_pairs(sid_t s, const struct auth_reply *rp)
{
	struct session *sp = session_get(s);
	int i;

	for (i = 0; i < rp->navpairs; i++) {
		struct param_radius_response p = { .sid = s,
		    .tid = sp->tunnel, .key = rp->avpair[i].key,
		    .value = rp->avpair[i].value };

		plugin_run(PLUGIN_RADIUS_RESPONSE, &p);
	}
	if (sp->rate_in || sp->rate_out)
		LOG(LOG_INFO_L, s, sp->tunnel, "rate from RADIUS: in %u, out "
		    "%u kbit/s", sp->rate_in, sp->rate_out);
}

static int
set_class(struct rsess *rs, const uint8_t *c, size_t n)
{
	uint8_t *p = NULL;

	if (n > 0 && (p = malloc(n)) == NULL)
		return -1;
	if (n > 0)
		memcpy(p, c, n);
	free(rs->class);
	rs->class = p;
	rs->class_len = (uint16_t)n;
	return 0;
}

/* At log level 5: a packet's attributes by name (passwords hidden). */
static void
log_packet(sid_t s, const char *dir, const uint8_t *pkt, size_t len)
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
	    code_name(code), id, len);
	while (attr_next(&r, &type, &v) == 1) {
		const struct attr_def *d = &attr_defs[type];

		val[0] = '\0';
		if (type == RA_USER_PASSWORD || type == RA_CHAP_PASSWORD)
			snprintf(val, sizeof(val), "(hidden)");
		else if (d->kind == K_INT && v.left == 4 && rd_u32(&v, &u) == 0)
			snprintf(val, sizeof(val), "%u", u);
		else if (d->kind == K_ADDR && v.left == 4)
			inet_ntop(AF_INET, v.p, val, sizeof(val));
		else if (d->kind == K_TEXT && rd_text(&v, text, sizeof(text)) == 0)
			snprintf(val, sizeof(val), "\"%s\"", text);
		else
			snprintf(val, sizeof(val), "%zu octets", v.left);
		LOG(LOG_PACKET_L, s, 0, "  %s (%u) = %s",
		    d->name ? d->name : "?", type, val);
	}
}

/* ---- servers ---- */

static int
server_addr(int i, int acct, struct sockaddr_in *sa)
{
	in_addr_t ip = i == 0 ? config->primary_radius :
	    i == 1 ? config->secondary_radius : 0;
	int port = i == 0 ? config->primary_radius_port :
	    config->secondary_radius_port;

	if (ip == 0 || config->primary_radius == 0)
		return -1;
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_addr.s_addr = ip;
	sa->sin_port = htons((uint16_t)(port + acct));
	return 0;
}

static int
nservers(void)
{
	struct sockaddr_in sa;

	return (server_addr(0, 0, &sa) == 0) + (server_addr(1, 0, &sa) == 0);
}

/* The first server not known to be silent; the primary if all are. */
static int
first_server(int acct)
{
	struct sockaddr_in sa;
	int i;

	for (i = 0; i < 2; i++)
		if (server_addr(i, acct, &sa) == 0 &&
		    dead_until[i][acct] <= now_ms)
			return i;
	return 0;
}

/* Which configured server a datagram came from (address and either of
 * its ports); -1 if none. */
static int
server_of(const struct sockaddr_in *from)
{
	struct sockaddr_in sa;
	int i, acct;

	for (i = 0; i < 2; i++)
		for (acct = 0; acct < 2; acct++)
			if (server_addr(i, acct, &sa) == 0 &&
			    sa.sin_addr.s_addr == from->sin_addr.s_addr &&
			    sa.sin_port == from->sin_port)
				return i;
	return -1;
}

static int
is_server_address(in_addr_t a)
{
	return a != 0 && config->primary_radius != 0 &&
	    (a == config->primary_radius || a == config->secondary_radius);
}

/* ---- request slots ---- */

static uint32_t
slot_alloc(void)
{
	uint32_t slot;

	if (free_head == 0)
		return 0;
	slot = free_head - 1;
	free_head = reqs[slot].next_free;
	if (free_head == 0)
		free_tail = 0;
	reqs[slot].next_free = 0;
	return slot + 1;
}

static void
slot_push(uint32_t slot)
{
	reqs[slot].next_free = 0;
	if (free_tail)
		reqs[free_tail - 1].next_free = slot + 1;
	else
		free_head = slot + 1;
	free_tail = slot + 1;
}

static void
slot_free(uint32_t slot)
{
	struct rad_req *q = &reqs[slot];

	timer_cancel(&q->timer);
	free(q->pkt);
	if (q->kind != RQ_AUTH && q->kind != RQ_FREE && acct_inflight > 0)
		acct_inflight--;
	q->pkt = NULL;
	q->kind = RQ_FREE;
	slot_push(slot);
}

static void
req_send(uint32_t slot)
{
	struct rad_req *q = &reqs[slot];
	struct sockaddr_in sa;
	int acct = q->kind != RQ_AUTH;
	int fd = sock_fd[slot % RAD_NSOCK];

	timer_set(&q->timer, (uint64_t)config->radius_timeout * 1000);
	if (server_addr(q->server, acct, &sa) < 0)
		return;		/* the server went on HUP: the timer ends it */
	q->tries++;
	if (acct)
		stats->radius_acct_tx++;
	else
		stats->radius_auth_tx++;
	if (q->tries > 1)
		stats->radius_retransmits++;
	log_packet(q->sid, "send", q->pkt, q->len);
	if (fd >= 0 && sendto(fd, q->pkt, q->len, 0, (struct sockaddr *)&sa,
	    sizeof(sa)) < 0 && log_budget())
		LOG(LOG_WARN_L, q->sid, 0, "RADIUS: sendto %s:%u: %s",
		    inet_ntoa(sa.sin_addr), ntohs(sa.sin_port), strerror(errno));
	LOG(LOG_CALLS_L, q->sid, 0, "RADIUS: %s %s id %u to %s:%u (try %u)",
	    kind_names[q->kind], code_name(acct ? RAD_ACCT_REQUEST :
	    RAD_ACCESS_REQUEST), slot / RAD_NSOCK,
	    inet_ntoa(sa.sin_addr), ntohs(sa.sin_port), q->tries);
}

/* Start a request whose packet is in q->pkt. */
static void
req_start(uint32_t slot)
{
	struct rad_req *q = &reqs[slot];

	q->server = (uint8_t)first_server(q->kind != RQ_AUTH);
	q->tries = 0;
	q->servers_tried = 1;
	q->born_ms = now_ms;
	req_send(slot);
}

static void auth_failed(uint32_t slot, const char *why);

/* The retransmission timer: again, the next server, or give up. */
static void
req_timeout(struct timer *t, void *arg)
{
	uint32_t slot = (uint32_t)(uintptr_t)arg;
	struct rad_req *q = &reqs[slot];
	int acct = q->kind != RQ_AUTH;
	struct sockaddr_in sa;

	(void)t;
	if (q->kind == RQ_FREE)
		return;
	if (q->tries < RAD_TRIES && server_addr(q->server, acct, &sa) == 0) {
		req_send(slot);
		return;
	}
	/* This server let the request down: others go elsewhere a while. */
	if (q->server < 2)
		dead_until[q->server][acct] = now_ms + DEAD_MS;
	if (q->servers_tried < nservers()) {
		q->server = q->server == 0 ? 1 : 0;
		q->servers_tried++;
		q->tries = 0;
		stats->radius_failovers++;
		if (q->delay_off) {
			/* RFC 2866 5.2: how long we have been trying; the
			 * content changed, so sign it again. */
			uint32_t d = (uint32_t)((now_ms - q->born_ms) / 1000);
			uint8_t be[4] = { (uint8_t)(d >> 24), (uint8_t)(d >> 16),
			    (uint8_t)(d >> 8), (uint8_t)d };

			memcpy(q->pkt + q->delay_off, be, 4);
			radius_sign_request(q->pkt, q->len,
			    config->radius_secret);
		}
		LOG(LOG_WARN_L, q->sid, 0, "RADIUS: no answer to %s after %d "
		    "tries: trying the %s server", kind_names[q->kind],
		    RAD_TRIES, q->server == 0 ? "primary" : "secondary");
		req_send(slot);
		return;
	}
	stats->radius_timeouts++;
	if (q->kind == RQ_AUTH) {
		auth_failed(slot, "no RADIUS server answered");
		return;
	}
	LOG(LOG_ERROR_L, q->sid, 0, "RADIUS: accounting %s lost: no server "
	    "answered", kind_names[q->kind]);
	if (q->kind == RQ_INTERIM) {
		struct rsess *rs = RS(q->sid);

		if (rs && rs->interim_slot == slot + 1)
			rs->interim_slot = 0;
	}
	slot_free(slot);
}

/* ---- authentication ---- */

static size_t
auth_build(const struct auth_req *rq, uint8_t id, uint8_t *buf, size_t cap)
{
	static const uint8_t zero[16];
	const struct session *sp = session_get(rq->sid);
	const char *secret = config->radius_secret;
	uint8_t ra[16], hidden[128], mac[16];
	struct wr w;
	size_t ma, n;

	/* RFC 2865 3: the Request Authenticator is unpredictable */
	random_bytes(ra, sizeof(ra));
	wr_init(&w, buf, cap);
	wr_u8(&w, RAD_ACCESS_REQUEST);
	wr_u8(&w, id);
	wr_u16(&w, 0);
	wr_bytes(&w, ra, 16);
	put_str(&w, RA_USER_NAME, rq->user);
	if (rq->proto == PPP_PAP) {
		/* 5.2 */
		if ((n = radius_hide_password(rq->password, rq->password_len,
		    secret, ra, hidden)) == 0)
			return 0;
		put_attr(&w, RA_USER_PASSWORD, hidden, n);
	} else {
		/* 5.3: CHAP Ident and Response; 5.40: the challenge */
		uint8_t cp[17];

		cp[0] = rq->chap_id;
		memcpy(cp + 1, rq->response, 16);
		put_attr(&w, RA_CHAP_PASSWORD, cp, sizeof(cp));
		put_attr(&w, RA_CHAP_CHALLENGE, rq->challenge,
		    rq->challenge_len);
	}
	put_nas(&w, rq->sid);
	put_str(&w, RA_ACCT_SESSION_ID, sp->acct_session_id);
	/* RFC 2869 5.14, computed over the whole packet, itself zero */
	ma = w.len + 2;
	put_attr(&w, RA_MESSAGE_AUTHENTICATOR, zero, 16);
	if (w.err)
		return 0;
	wr_put16_at(&w, 2, (uint16_t)w.len);
	radius_hmac_md5((const uint8_t *)secret, strlen(secret), buf, w.len,
	    mac);
	memcpy(buf + ma, mac, 16);
	return w.len;
}

static void
auth_reply_now(sid_t s, const char *msg)
{
	struct auth_reply rp;

	memset(&rp, 0, sizeof(rp));
	snprintf(rp.msg, sizeof(rp.msg), "%s", msg);
	ppp_auth_done(s, &rp);
}

void
radius_auth_submit(const struct auth_req *rq)
{
	struct rsess *rs = RS(rq->sid);
	uint8_t buf[RAD_MAXPKT];
	struct rad_req *q;
	uint32_t v, slot;
	size_t n;

	if (rs == NULL || reqs == NULL) {
		LOG(LOG_ERROR_L, rq->sid, 0, "RADIUS: client not started: "
		    "refusing \"%s\"", rq->user);
		auth_reply_now(rq->sid, "Authentication failed");
		return;
	}
	if (config->radius_secret[0] == '\0') {
		LOG(LOG_ERROR_L, rq->sid, 0, "RADIUS: radius_secret is not set: "
		    "cannot authenticate \"%s\"", rq->user);
		auth_reply_now(rq->sid, "Authentication failed");
		return;
	}
	radius_auth_cancel(rq->sid);
	if ((v = slot_alloc()) == 0) {
		stats->radius_overflow++;
		LOG(LOG_ERROR_L, rq->sid, 0, "RADIUS: %u requests in flight, "
		    "no identifier free: refusing \"%s\"", RAD_NSLOT, rq->user);
		auth_reply_now(rq->sid, "Authentication server busy");
		return;
	}
	slot = v - 1;
	q = &reqs[slot];
	n = auth_build(rq, (uint8_t)(slot / RAD_NSOCK), buf, sizeof(buf));
	if (n == 0 || (q->pkt = malloc(n)) == NULL) {
		slot_push(slot);
		LOG(LOG_ERROR_L, rq->sid, 0, "RADIUS: cannot build the "
		    "Access-Request for \"%s\" (password over 128 octets?)",
		    rq->user);
		auth_reply_now(rq->sid, "Authentication failed");
		return;
	}
	memcpy(q->pkt, buf, n);
	q->len = (uint16_t)n;
	q->delay_off = 0;
	q->kind = RQ_AUTH;
	q->sid = rq->sid;
	rs->auth_slot = v;
	LOG(LOG_INFO_L, rq->sid, session_get(rq->sid)->tunnel, "RADIUS: "
	    "Access-Request for \"%s\" (%s)", rq->user,
	    rq->proto == PPP_PAP ? "PAP" : "CHAP");
	req_start(slot);
}

void
radius_auth_cancel(sid_t s)
{
	struct rsess *rs = RS(s);

	if (rs == NULL || rs->auth_slot == 0)
		return;
	slot_free(rs->auth_slot - 1);
	rs->auth_slot = 0;
}

static void
auth_failed(uint32_t slot, const char *why)
{
	sid_t s = reqs[slot].sid;
	struct rsess *rs = RS(s);
	struct session *sp = session_get(s);

	if (rs && rs->auth_slot == slot + 1)
		rs->auth_slot = 0;
	slot_free(slot);
	LOG(LOG_ERROR_L, s, sp ? sp->tunnel : 0, "RADIUS: %s for \"%s\"", why,
	    sp ? sp->user : "?");
	auth_reply_now(s, "Authentication server not responding");
}

/* What an Access-Accept gives the session besides what ppp.c applies. */
static void
accept_apply(sid_t s, struct auth_reply *rp)
{
	struct session *sp = session_get(s);
	struct rsess *rs = RS(s);

	if (set_class(rs, rp->class, rp->class_len) < 0)
		LOG(LOG_ERROR_L, s, sp->tunnel, "RADIUS: no memory for Class");
	rs->interim = rp->interim;
	rs->nroutes = rp->nroutes;
	memcpy(rs->route, rp->route, sizeof(rs->route));
	if (rp->filter_in[0] && acl_find(config, rp->filter_in) == NULL) {
		LOG(LOG_WARN_L, s, sp->tunnel, "RADIUS: Filter-Id %s.in: no "
		    "such access list (ignored)", rp->filter_in);
		rp->filter_in[0] = '\0';
	}
	if (rp->filter_out[0] && acl_find(config, rp->filter_out) == NULL) {
		LOG(LOG_WARN_L, s, sp->tunnel, "RADIUS: Filter-Id %s.out: no "
		    "such access list (ignored)", rp->filter_out);
		rp->filter_out[0] = '\0';
	}
	memcpy(sp->filter_in, rp->filter_in, sizeof(sp->filter_in));
	memcpy(sp->filter_out, rp->filter_out, sizeof(sp->filter_out));
	sp->acl_gen = 0;	/* acl.c looks the names up again */
	/* One prefix per session: the delegated one, else the framed. */
	if (rp->delegated_len) {
		sp->ipv6_prefix = rp->delegated_prefix;
		sp->ipv6_prefix_len = rp->delegated_len;
	} else if (rp->ipv6_prefix_len) {
		sp->ipv6_prefix = rp->ipv6_prefix;
		sp->ipv6_prefix_len = rp->ipv6_prefix_len;
	}
	apply_pairs(s, rp);
}

static void
auth_answer(uint32_t slot, uint8_t code, const uint8_t *pkt, size_t len)
{
	sid_t s = reqs[slot].sid;
	struct rsess *rs = RS(s);
	struct session *sp = session_get(s);
	struct auth_reply rp;
	int e;

	rs->auth_slot = 0;
	slot_free(slot);
	memset(&rp, 0, sizeof(rp));
	e = radius_parse_reply(pkt, len, &rp);
	if (code == RAD_ACCESS_ACCEPT) {
		stats->radius_accepts++;
		rp.ok = 1;
		if (e != RAD_OK) {
			/* RFC 2865 5: treated as an Access-Reject */
			LOG(LOG_WARN_L, s, sp->tunnel, "RADIUS: Access-Accept "
			    "with a malformed attribute: rejecting \"%s\"",
			    sp->user);
			rp.ok = 0;
			rp.msg[0] = '\0';
		} else if (rp.has_session_timeout && rp.session_timeout == 0 &&
		    config->kill_timedout_sessions) {
			LOG(LOG_INFO_L, s, sp->tunnel, "RADIUS: Session-Timeout "
			    "0 for \"%s\" and kill_timedout_sessions: refusing",
			    sp->user);
			rp.ok = 0;
			snprintf(rp.msg, sizeof(rp.msg), "Session timed out");
		}
	} else {
		stats->radius_rejects++;
		if (code == RAD_ACCESS_CHALLENGE)
			LOG(LOG_WARN_L, s, sp->tunnel, "RADIUS: Access-Challenge "
			    "for \"%s\": PAP and CHAP cannot answer it, "
			    "rejecting", sp->user);
	}
	if (rp.ok) {
		LOG(LOG_INFO_L, s, sp->tunnel, "RADIUS: Access-Accept for "
		    "\"%s\"", sp->user);
		accept_apply(s, &rp);
	} else {
		if (!rp.msg[0])
			snprintf(rp.msg, sizeof(rp.msg), "Authentication "
			    "failed");
		LOG(LOG_WARN_L, s, sp->tunnel, "RADIUS: %s for \"%s\"",
		    code_name(code), sp->user);
	}
	ppp_auth_done(s, &rp);
}

/* ---- accounting, RFC 2866 ---- */

static size_t
acct_build(sid_t s, int status, int cause, uint8_t id, uint8_t *buf,
    size_t cap, uint16_t *delay_off)
{
	const struct session *sp = session_get(s);
	const struct rsess *rs = RS(s);
	struct wr w;
	size_t before;

	wr_init(&w, buf, cap);
	wr_u8(&w, RAD_ACCT_REQUEST);
	wr_u8(&w, id);
	wr_u16(&w, 0);
	wr_bytes(&w, (const uint8_t[16]){ 0 }, 16);
	put_str(&w, RA_USER_NAME, sp->user);
	put_nas(&w, s);
	if (sp->ip)
		put_addr(&w, RA_FRAMED_IP_ADDRESS, sp->ip);
	put_u32(&w, RA_ACCT_STATUS_TYPE, (uint32_t)status);	/* 5.1 */
	put_str(&w, RA_ACCT_SESSION_ID, sp->acct_session_id);	/* 5.5 */
	put_u32(&w, RA_ACCT_AUTHENTIC, rs->authentic ? rs->authentic :
	    AUTHENTIC_RADIUS);					/* 5.6 */
	*delay_off = (uint16_t)(w.len + 2);
	put_u32(&w, RA_ACCT_DELAY_TIME, 0);			/* 5.2 */
	put_u32(&w, RA_EVENT_TIMESTAMP, (uint32_t)time_now);	/* 2869 5.3 */
	if (rs->class_len)					/* 2865 5.25 */
		wr_bytes(&w, rs->class, rs->class_len);
	if (sp->session_timeout)
		put_u32(&w, RA_SESSION_TIMEOUT, sp->session_timeout);
	if (sp->idle_timeout)
		put_u32(&w, RA_IDLE_TIMEOUT, sp->idle_timeout);
	if (status != ACCT_START) {
		/* 5.3-5.4, 5.7-5.9; RFC 2869 5.1-5.2 for the wraps */
		put_u32(&w, RA_ACCT_SESSION_TIME,
		    (uint32_t)(time_now - rs->acct_start));
		put_u32(&w, RA_ACCT_INPUT_OCTETS, (uint32_t)sp->cin);
		put_u32(&w, RA_ACCT_OUTPUT_OCTETS, (uint32_t)sp->cout);
		put_u32(&w, RA_ACCT_INPUT_GIGAWORDS, (uint32_t)(sp->cin >> 32));
		put_u32(&w, RA_ACCT_OUTPUT_GIGAWORDS,
		    (uint32_t)(sp->cout >> 32));
		put_u32(&w, RA_ACCT_INPUT_PACKETS, (uint32_t)sp->pin);
		put_u32(&w, RA_ACCT_OUTPUT_PACKETS, (uint32_t)sp->pout);
	}
	if (status == ACCT_STOP)
		put_u32(&w, RA_ACCT_TERMINATE_CAUSE, (uint32_t)cause); /* 5.10 */
	if (w.err)
		return 0;
	before = w.len;
	if (plugin_hooked[PLUGIN_RADIUS_ACCOUNT]) {
		struct param_radius_account pa = { .sid = s, .tid = sp->tunnel,
		    .status_type = status, .buf = buf, .len = &w.len,
		    .cap = cap };
		struct rd r, v;
		uint8_t t;
		int k;

		plugin_run(PLUGIN_RADIUS_ACCOUNT, &pa);
		/* What a plugin added must be whole attributes. */
		if (w.len < before || w.len > cap)
			k = -1;
		else {
			rd_init(&r, buf + before, w.len - before);
			while ((k = attr_next(&r, &t, &v)) == 1)
				;
		}
		if (k < 0) {
			LOG(LOG_WARN_L, s, sp->tunnel, "RADIUS: a radius_account "
			    "plugin added malformed attributes (dropped)");
			w.len = before;
		}
	}
	wr_put16_at(&w, 2, (uint16_t)w.len);
	radius_sign_request(buf, w.len, config->radius_secret);
	return w.len;
}

static int
acct_on(void)
{
	return config->radius_accounting && config->primary_radius != 0 &&
	    config->radius_secret[0] != '\0' && reqs != NULL;
}

/* Queue one accounting request; the slot + 1, or 0. */
static uint32_t
acct_send(sid_t s, int status, int cause)
{
	static const uint8_t kinds[] = { [ACCT_START] = RQ_START,
	    [ACCT_STOP] = RQ_STOP, [ACCT_INTERIM] = RQ_INTERIM };
	const struct session *sp = session_get(s);
	uint8_t buf[RAD_MAXPKT];
	struct rad_req *q;
	uint32_t v, slot;
	uint16_t doff;
	size_t n;

	if ((v = slot_alloc()) == 0) {
		stats->radius_overflow++;
		LOG(LOG_ERROR_L, s, sp->tunnel, "RADIUS: no identifier free: "
		    "accounting %s for \"%s\" not sent", kind_names[kinds[status]],
		    sp->user);
		return 0;
	}
	slot = v - 1;
	q = &reqs[slot];
	n = acct_build(s, status, cause, (uint8_t)(slot / RAD_NSOCK), buf,
	    sizeof(buf), &doff);
	if (n == 0 || (q->pkt = malloc(n)) == NULL) {
		slot_push(slot);
		LOG(LOG_ERROR_L, s, sp->tunnel, "RADIUS: cannot build the "
		    "accounting %s", kind_names[kinds[status]]);
		return 0;
	}
	memcpy(q->pkt, buf, n);
	q->len = (uint16_t)n;
	q->delay_off = doff;
	q->kind = kinds[status];
	q->sid = s;
	acct_inflight++;
	LOG(LOG_INFO_L, s, sp->tunnel, "RADIUS: accounting %s for \"%s\" "
	    "(%s)", kind_names[q->kind], sp->user, sp->acct_session_id);
	req_start(slot);
	return v;
}

static uint32_t
interim_secs(const struct rsess *rs)
{
	return rs->interim ? rs->interim : (uint32_t)config->radius_interim;
}

/* Interim-Update (RFC 2866 5.1 value 3; RFC 2869 2.1). */
static void
interim_fire(struct timer *t, void *arg)
{
	sid_t s = (sid_t)(uintptr_t)arg;
	struct rsess *rs = RS(s);
	uint32_t ivl;

	if (rs == NULL || !rs->acct)
		return;
	ivl = interim_secs(rs);
	/* One at a time: a slow server does not pile them up. */
	if (rs->interim_slot == 0 && acct_on())
		rs->interim_slot = acct_send(s, ACCT_INTERIM, 0);
	if (ivl > 0)
		timer_set_at(t, t->when + (uint64_t)ivl * 1000);
}

static void
interim_arm(sid_t s)
{
	struct rsess *rs = RS(s);
	uint32_t ivl = interim_secs(rs);

	timer_cancel(&rs->interim_timer);
	if (rs->acct && ivl > 0)
		timer_set(&rs->interim_timer, (uint64_t)ivl * 1000);
}

/* ---- per-session life ---- */

static void
routes_del(sid_t s, struct rsess *rs)
{
	int i;

	if (!rs->routes_added)
		return;
	for (i = 0; i < rs->nroutes; i++) {
		session_route_del(s, rs->route[i].net, rs->route[i].plen);
		if (rs->kernel_routes & (1u << i))
			tun_route(0, rs->route[i].net, rs->route[i].plen);
	}
	rs->kernel_routes = 0;
	rs->routes_added = 0;
}

static void
rs_reset(sid_t s)
{
	struct rsess *rs = RS(s);

	if (rs == NULL)
		return;
	radius_auth_cancel(s);
	timer_cancel(&rs->interim_timer);
	routes_del(s, rs);
	free(rs->class);
	memset(rs, 0, sizeof(*rs));
	timer_init(&rs->interim_timer, interim_fire, (void *)(uintptr_t)s);
}

void
radius_session_begin(sid_t s, int radius)
{
	struct session *sp = session_get(s);
	struct rsess *rs;

	if (sp == NULL)
		return;
	/* RFC 2866 5.5: unique; "%08X%08X" of a per-run sequence (seeded
	 * with the start time) and the session index, so DAE finds it. */
	if (sp->acct_session_id[0] == '\0')
		snprintf(sp->acct_session_id, sizeof(sp->acct_session_id),
		    "%08X%08X", (unsigned)acct_seq++, (unsigned)s);
	rs_reset(s);
	if ((rs = RS(s)) != NULL)
		rs->authentic = radius ? AUTHENTIC_RADIUS : AUTHENTIC_LOCAL;
}

void
radius_session_up(sid_t s)
{
	struct session *sp = session_get(s);
	struct rsess *rs = RS(s);
	int i;

	if (rs == NULL || sp == NULL)
		return;
	rs->up = 1;
	/* Framed-Route: routed to this session (RFC 2865 5.22), in our
	 * index and, through the tun device, in the kernel. */
	for (i = 0; i < rs->nroutes; i++) {
		char a[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &rs->route[i].net, a, sizeof(a));
		if (session_route_add(s, rs->route[i].net,
		    rs->route[i].plen) < 0) {
			LOG(LOG_WARN_L, s, sp->tunnel, "Framed-Route %s/%u "
			    "not installed: held by another session", a,
			    rs->route[i].plen);
			/* drop it, so that teardown leaves the other alone */
			rs->route[i--] = rs->route[--rs->nroutes];
			continue;
		}
		if (tun_route(1, rs->route[i].net, rs->route[i].plen) == 0)
			rs->kernel_routes |= (uint8_t)(1u << i);
		else
			LOG(LOG_WARN_L, s, sp->tunnel, "Framed-Route %s/%u: "
			    "kernel route not added: %s", a, rs->route[i].plen,
			    strerror(errno));
	}
	rs->routes_added = 1;
	/* The walled garden's sessions: from radius_session_ungardened. */
	if (!acct_on() || sp->walled_garden)
		return;
	rs->acct = 1;
	rs->acct_start = time_now;
	acct_send(s, ACCT_START, 0);
	interim_arm(s);
}

/*
 * The session left the walled garden (the garden plugin): it is
 * accounted from now on, as if it had just come up, with its counters
 * started again so that the Stop reports only what it used outside the
 * garden.  Nothing to do before it is up (radius_session_up starts it)
 * or if it was accounted before it was gardened.
 */
void
radius_session_ungardened(sid_t s)
{
	struct session *sp = session_get(s);
	struct rsess *rs = RS(s);

	if (rs == NULL || sp == NULL || !rs->up || rs->acct || !acct_on())
		return;
	sp->cin = sp->cout = 0;
	sp->pin = sp->pout = 0;
	rs->acct = 1;
	rs->acct_start = time_now;
	acct_send(s, ACCT_START, 0);
	interim_arm(s);
}

void
radius_session_down(sid_t s, int cause)
{
	struct rsess *rs = RS(s);

	if (rs == NULL)
		return;
	timer_cancel(&rs->interim_timer);
	if (rs->acct && acct_on())
		acct_send(s, ACCT_STOP, cause);
	rs->acct = 0;
	rs_reset(s);
}

static void
acct_answer(uint32_t slot)
{
	struct rad_req *q = &reqs[slot];
	struct rsess *rs = RS(q->sid);

	stats->radius_acct_acks++;
	LOG(LOG_CALLS_L, q->sid, 0, "RADIUS: accounting %s acknowledged",
	    kind_names[q->kind]);
	if (q->kind == RQ_INTERIM && rs && rs->interim_slot == slot + 1)
		rs->interim_slot = 0;
	slot_free(slot);
}

/* ---- replies from the servers ---- */

int
radius_reply_input(int sock, const uint8_t *pkt, size_t n,
    const struct sockaddr_in *from)
{
	const char *why;
	struct rad_req *q = NULL;
	struct rd r;
	uint8_t code = 0, id = 0;
	uint32_t slot;
	size_t len;
	int srv, e;

	if ((srv = server_of(from)) < 0) {
		stats->radius_bad_source++;
		why = "not from a configured server";
		e = RAD_E_CODE;
		goto drop;
	}
	if ((e = radius_check_layout(pkt, n, &len)) != RAD_OK) {
		stats->radius_malformed++;
		why = "malformed";
		goto drop;
	}
	rd_init(&r, pkt, len);
	rd_u8(&r, &code);
	rd_u8(&r, &id);
	slot = (uint32_t)id * RAD_NSOCK + (uint32_t)sock;
	if (sock < 0 || sock >= RAD_NSOCK || reqs == NULL ||
	    (q = &reqs[slot])->kind == RQ_FREE) {
		stats->radius_unexpected++;
		why = "no request waits for it";
		e = RAD_E_CODE;
		goto drop;
	}
	if ((e = radius_verify_response(pkt, len, q->pkt + 4,
	    config->radius_secret)) != RAD_OK) {
		stats->radius_bad_auth++;
		why = e == RAD_E_MSGAUTH ? "bad Message-Authenticator" :
		    "bad Response Authenticator";
		goto drop;
	}
	if (q->kind == RQ_AUTH ? code != RAD_ACCESS_ACCEPT &&
	    code != RAD_ACCESS_REJECT && code != RAD_ACCESS_CHALLENGE :
	    code != RAD_ACCT_RESPONSE) {
		stats->radius_unexpected++;
		why = "wrong code for the request";
		e = RAD_E_CODE;
		goto drop;
	}
	dead_until[srv][q->kind != RQ_AUTH] = 0;
	log_packet(q->sid, "recv", pkt, len);
	if (q->kind == RQ_AUTH)
		auth_answer(slot, code, pkt, len);
	else
		acct_answer(slot);
	return RAD_OK;
drop:
	if (log_budget())
		LOG(LOG_WARN_L, 0, 0, "RADIUS: %zu-octet reply from %s:%u "
		    "dropped: %s", n, inet_ntoa(from->sin_addr),
		    ntohs(from->sin_port), why);
	return e;
}

static void
sock_readable(int fd, uint32_t events, void *arg)
{
	uint8_t buf[RAD_MAXPKT + 1];
	struct sockaddr_in from;
	socklen_t fl;
	ssize_t n;
	int budget = config->multi_read_count;

	(void)events;
	while (budget-- > 0) {
		fl = sizeof(from);
		n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT,
		    (struct sockaddr *)&from, &fl);
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR &&
			    errno != ECONNREFUSED && log_budget())
				LOG(LOG_WARN_L, 0, 0, "RADIUS: recvfrom: %s",
				    strerror(errno));
			return;
		}
		if (fl < sizeof(from) || from.sin_family != AF_INET)
			continue;
		radius_reply_input((int)(uintptr_t)arg, buf, (size_t)n, &from);
	}
}

/* ---- Dynamic Authorization: RFC 3576 ---- */

struct dae_req {
	uint8_t		 code, id;
	uint8_t		 auth[16];
	/* identification, RFC 3576 3 */
	uint8_t		 has_user, has_acct_id, has_ip, has_port;
	uint8_t		 has_calling, has_called, has_nas_ip, has_nas_id;
	uint8_t		 has_port_type, has_service, has_ts, has_ma;
	char		 user[MAXUSER];
	char		 acct_id[64];
	in_addr_t	 ip, nas_ip;
	uint32_t	 port, port_type, service, ts;
	char		 calling[MAXCALLING], called[MAXCALLING];
	char		 nas_id[MAXHOST];
	/* changes (CoA) and Class (both) */
	uint8_t		 has_st, has_it, has_interim, has_filter, has_class;
	uint32_t	 st, it, interim;
	struct auth_reply chg;	/* filters, Class, Cisco-AVPairs */
	/* echoed: State (Note 7), Proxy-State (2.3) */
	uint8_t		 echo[512];
	size_t		 echo_len;
};

static struct dae_cached {
	in_addr_t	 ip;
	uint16_t	 port;
	uint8_t		 id;
	uint8_t		 auth[16];
	uint64_t	 at_ms;
	uint16_t	 len;
	uint8_t		 reply[600];
} dae_cache[DAE_CACHE];
static unsigned dae_cache_next;

static int
text_into(struct rd *v, char *out, size_t cap, uint8_t *flag)
{
	if (rd_text(v, out, cap) < 0)
		return EC_INVALID_REQUEST;
	*flag = 1;
	return 0;
}

/* The attributes of a Disconnect- or CoA-Request: 0, or the Error-Cause
 * to answer with (RFC 3576 3, 3.2: every attribute is mandatory). */
static uint32_t
dae_parse(const uint8_t *pkt, size_t len, struct dae_req *d)
{
	int coa = d->code == RAD_COA_REQUEST;
	struct rd r, v, whole;
	char text[254];
	uint8_t type;
	uint32_t ec = 0;
	int k;

	rd_init(&r, pkt, len);
	if (rd_skip(&r, RAD_HDRLEN) < 0)
		return EC_INVALID_REQUEST;
	for (;;) {
		whole = r;
		if ((k = attr_next(&r, &type, &v)) <= 0)
			break;
		if (!attr_len_ok(type, v.left))
			return EC_INVALID_REQUEST;
		switch (type) {
		case RA_USER_NAME:
			ec = text_into(&v, d->user, sizeof(d->user),
			    &d->has_user);
			break;
		case RA_ACCT_SESSION_ID:
			ec = text_into(&v, d->acct_id, sizeof(d->acct_id),
			    &d->has_acct_id);
			break;
		case RA_CALLING_STATION_ID:
			ec = text_into(&v, d->calling, sizeof(d->calling),
			    &d->has_calling);
			break;
		case RA_CALLED_STATION_ID:
			ec = text_into(&v, d->called, sizeof(d->called),
			    &d->has_called);
			break;
		case RA_NAS_IDENTIFIER:
			ec = text_into(&v, d->nas_id, sizeof(d->nas_id),
			    &d->has_nas_id);
			break;
		case RA_FRAMED_IP_ADDRESS:
			rd_bytes(&v, &d->ip, 4);
			d->has_ip = 1;
			break;
		case RA_NAS_IP_ADDRESS:
			rd_bytes(&v, &d->nas_ip, 4);
			d->has_nas_ip = 1;
			break;
		case RA_NAS_PORT:
			rd_u32(&v, &d->port);
			d->has_port = 1;
			break;
		case RA_NAS_PORT_TYPE:
			rd_u32(&v, &d->port_type);
			d->has_port_type = 1;
			break;
		case RA_SERVICE_TYPE:
			rd_u32(&v, &d->service);
			d->has_service = 1;
			break;
		case RA_EVENT_TIMESTAMP:
			rd_u32(&v, &d->ts);
			d->has_ts = 1;
			break;
		case RA_MESSAGE_AUTHENTICATOR:
			d->has_ma = 1;
			break;
		case RA_STATE:
		case RA_PROXY_STATE:
			if (d->echo_len + v.left + 2 > sizeof(d->echo))
				return EC_INVALID_REQUEST;
			memcpy(d->echo + d->echo_len, whole.p, v.left + 2);
			d->echo_len += v.left + 2;
			break;
		case RA_REPLY_MESSAGE:	/* Note 2: nothing to display it */
			break;
		case RA_CLASS:		/* Notes 3, 4 */
			add_class(&d->chg, &v);
			d->has_class = 1;
			break;
		case RA_VENDOR_SPECIFIC: {
			int unknown = 0;

			if (parse_vsa(&v, &d->chg, &unknown) < 0)
				return EC_INVALID_REQUEST;
			/* A CoA must not ignore what it cannot do. */
			if (coa && (unknown || d->chg.dns1 || d->chg.dns2))
				return EC_UNSUPPORTED_ATTRIBUTE;
			break;
		}
		case RA_SESSION_TIMEOUT:
			if (!coa)
				return EC_UNSUPPORTED_ATTRIBUTE;
			rd_u32(&v, &d->st);
			d->has_st = 1;
			break;
		case RA_IDLE_TIMEOUT:
			if (!coa)
				return EC_UNSUPPORTED_ATTRIBUTE;
			rd_u32(&v, &d->it);
			d->has_it = 1;
			break;
		case RA_ACCT_INTERIM_INTERVAL:
			if (!coa)
				return EC_UNSUPPORTED_ATTRIBUTE;
			rd_u32(&v, &d->interim);
			d->has_interim = 1;
			break;
		case RA_FILTER_ID:
			if (!coa)
				return EC_UNSUPPORTED_ATTRIBUTE;
			if (rd_text(&v, text, sizeof(text)) < 0 ||
			    parse_filter(&d->chg, text) < 0)
				return EC_INVALID_REQUEST;
			d->has_filter = 1;
			break;
		default:
			return EC_UNSUPPORTED_ATTRIBUTE;
		}
		if (ec)
			return ec;
	}
	return k < 0 ? EC_INVALID_REQUEST : 0;
}

/* Our Acct-Session-Id ends with the session index (radius_session_begin). */
static sid_t
sid_of_acct_id(const char *id)
{
	const struct session *sp;
	unsigned long v;
	char *end;

	if (strlen(id) != 16)
		return 0;
	v = strtoul(id + 8, &end, 16);
	if (*end != '\0' || v == 0 || v > tables->max_sessions)
		return 0;
	sp = session_get((sid_t)v);
	if (sp == NULL || strcmp(sp->acct_session_id, id) != 0)
		return 0;
	return (sid_t)v;
}

/* RFC 3576 3: the NAS identification must be ours, the session's all
 * given identifiers must match it. */
static uint32_t
dae_find(const struct dae_req *d, sid_t *out)
{
	const struct session *sp;
	sid_t s;

	if (d->has_nas_ip && config->bind_address &&
	    d->nas_ip != config->bind_address)
		return EC_NAS_MISMATCH;
	if (d->has_nas_id && strcmp(d->nas_id, config->hostname) != 0)
		return EC_NAS_MISMATCH;
	if (d->has_acct_id)
		s = sid_of_acct_id(d->acct_id);
	else if (d->has_ip)
		s = session_by_ip(d->ip);
	else if (d->has_port)
		s = d->port <= tables->max_sessions ? d->port : 0;
	else if (d->has_user)
		s = session_by_user(d->user);
	else
		return EC_MISSING_ATTRIBUTE;
	if (s == 0 || (sp = session_get(s)) == NULL ||
	    sp->state == SESSION_FREE)
		return EC_SESSION_NOT_FOUND;
	if ((d->has_user && strcmp(d->user, sp->user) != 0) ||
	    (d->has_acct_id && strcmp(d->acct_id, sp->acct_session_id) != 0) ||
	    (d->has_ip && d->ip != sp->ip) ||
	    (d->has_port && d->port != s) ||
	    (d->has_calling && strcmp(d->calling, sp->calling) != 0) ||
	    (d->has_called && strcmp(d->called, sp->called) != 0) ||
	    (d->has_port_type && d->port_type != NAS_PORT_VIRTUAL))
		return EC_SESSION_NOT_FOUND;
	*out = s;
	return 0;
}

static uint32_t
dae_disconnect(sid_t s, const struct dae_req *d)
{
	struct session *sp = session_get(s);
	struct rsess *rs = RS(s);

	/* Note 4: a Class here goes into the Stop. */
	if (d->has_class && rs)
		set_class(rs, d->chg.class, d->chg.class_len);
	LOG(LOG_WARN_L, s, sp->tunnel, "RADIUS Disconnect-Request for \"%s\"",
	    sp->user);
	session_shutdown_cause(s, TERM_ADMIN_RESET,
	    "RADIUS Disconnect-Request");
	stats->dae_disconnects++;
	return 0;
}

/* RFC 3576 2.3: all of it or nothing; Note 3: what is absent stays. */
static uint32_t
dae_coa(sid_t s, struct dae_req *d)
{
	struct session *sp = session_get(s);
	struct rsess *rs = RS(s);
	struct param_radius_reset pr = { .sid = s, .tid = sp->tunnel };
	uint32_t in = sp->rate_in, out = sp->rate_out;

	if (d->has_filter &&
	    ((d->chg.filter_in[0] && !acl_find(config, d->chg.filter_in)) ||
	    (d->chg.filter_out[0] && !acl_find(config, d->chg.filter_out))))
		return EC_INVALID_REQUEST;
	if (throttle_pairs(&d->chg, &in, &out) < 0)
		return EC_INVALID_REQUEST;
	if (d->has_class && rs && set_class(rs, d->chg.class,
	    d->chg.class_len) < 0)
		return EC_INVALID_REQUEST;
	/*
	 * Cisco-AVPairs replace the ones the session was given: plugins
	 * reset what theirs set (autothrottle unthrottles) before the new
	 * ones apply.  Without any, the plugins' settings stay (Note 3).
	 */
	if (d->chg.navpairs > 0)
		plugin_run(PLUGIN_RADIUS_RESET, &pr);
	if (d->has_st)
		sp->session_timeout = d->st;
	if (d->has_it)
		sp->idle_timeout = d->it;
	if (d->has_filter) {
		memcpy(sp->filter_in, d->chg.filter_in, sizeof(sp->filter_in));
		memcpy(sp->filter_out, d->chg.filter_out,
		    sizeof(sp->filter_out));
		sp->acl_gen = 0;	/* acl.c looks the names up again */
	}
	apply_pairs(s, &d->chg);
	if (rs && d->has_interim) {
		rs->interim = d->interim;
		interim_arm(s);
	}
	if (d->has_st || d->has_it)
		ppp_limits_changed(s);	/* ppp.c keeps both timeouts */
	LOG(LOG_WARN_L, s, sp->tunnel, "RADIUS CoA-Request for \"%s\": "
	    "session-timeout %u, idle-timeout %u, rate in %u out %u kbit/s",
	    sp->user, sp->session_timeout, sp->idle_timeout, sp->rate_in,
	    sp->rate_out);
	stats->dae_coas++;
	return 0;
}

/* ACK or NAK, RFC 3576 2.3 and 3.1. */
static size_t
dae_answer(const struct dae_req *d, uint32_t ec, uint8_t *out, size_t cap)
{
	static const uint8_t zero[16];
	const char *secret = config->radius_secret;
	uint8_t mac[16];
	struct wr w;
	size_t ma = 0;
	MD5_CTX ctx;

	wr_init(&w, out, cap);
	wr_u8(&w, (uint8_t)(d->code + (ec ? 2 : 1)));
	wr_u8(&w, d->id);
	wr_u16(&w, 0);
	wr_bytes(&w, d->auth, 16);	/* for the MAC; replaced below */
	if (ec)
		put_u32(&w, RA_ERROR_CAUSE, ec);
	wr_bytes(&w, d->echo, d->echo_len);
	if (d->has_ma) {
		ma = w.len + 2;
		put_attr(&w, RA_MESSAGE_AUTHENTICATOR, zero, 16);
	}
	if (w.err)
		return 0;
	wr_put16_at(&w, 2, (uint16_t)w.len);
	if (ma) {
		radius_hmac_md5((const uint8_t *)secret, strlen(secret), out,
		    w.len, mac);
		memcpy(out + ma, mac, 16);
	}
	/* Response Authenticator: MD5(Code+ID+Length+RequestAuth+Attrs+S) */
	MD5Init(&ctx);
	MD5Update(&ctx, out, 4);
	MD5Update(&ctx, d->auth, 16);
	MD5Update(&ctx, out + RAD_HDRLEN, w.len - RAD_HDRLEN);
	MD5Update(&ctx, (const uint8_t *)secret, strlen(secret));
	MD5Final(mac, &ctx);
	memcpy(out + 4, mac, 16);
	return w.len;
}

size_t
radius_dae_input(const uint8_t *pkt, size_t n, const struct sockaddr_in *from,
    uint8_t *reply, size_t cap)
{
	struct dae_req *d;
	struct dae_cached *c;
	const char *why;
	struct rd r;
	uint32_t ec;
	size_t len, out;
	sid_t s = 0;
	unsigned i;
	int e;

	stats->dae_rx++;
	/* Only our RADIUS servers may ask (manual, "RADIUS"). */
	if (!is_server_address(from->sin_addr.s_addr)) {
		stats->dae_bad_source++;
		why = "not from a configured RADIUS server";
		goto drop;
	}
	if ((e = radius_check_layout(pkt, n, &len)) != RAD_OK) {
		stats->dae_malformed++;
		why = "malformed";
		goto drop;
	}
	if ((d = calloc(1, sizeof(*d))) == NULL) {
		why = "out of memory";
		goto drop;
	}
	rd_init(&r, pkt, len);
	rd_u8(&r, &d->code);
	rd_u8(&r, &d->id);
	rd_skip(&r, 2);
	rd_bytes(&r, d->auth, 16);
	/* 2.3: another code is silently discarded */
	if (d->code != RAD_DISCONNECT_REQUEST && d->code != RAD_COA_REQUEST) {
		free(d);
		stats->dae_malformed++;
		why = "not a Disconnect- or CoA-Request";
		goto drop;
	}
	if (config->radius_secret[0] == '\0' ||
	    radius_verify_request(pkt, len, config->radius_secret) != RAD_OK) {
		free(d);
		stats->dae_bad_auth++;
		why = "bad Request Authenticator or Message-Authenticator";
		goto drop;
	}
	/* A retransmission (same source, id, authenticator): same answer. */
	for (i = 0; i < DAE_CACHE; i++) {
		c = &dae_cache[i];
		if (c->len && c->ip == from->sin_addr.s_addr &&
		    c->port == from->sin_port && c->id == d->id &&
		    memcmp(c->auth, d->auth, 16) == 0 &&
		    now_ms - c->at_ms < DAE_CACHE_MS && c->len <= cap) {
			stats->dae_duplicates++;
			memcpy(reply, c->reply, c->len);
			free(d);
			return c->len;
		}
	}
	log_packet(0, "recv", pkt, len);
	ec = dae_parse(pkt, len, d);
	/* 5.4: an Event-Timestamp outside the window is discarded */
	if (d->has_ts && (d->ts + (int64_t)DAE_WINDOW < (int64_t)time_now ||
	    d->ts > (int64_t)time_now + DAE_WINDOW)) {
		free(d);
		stats->dae_bad_auth++;
		why = "Event-Timestamp out of the 300 s window";
		goto drop;
	}
	/* Note 6: Authorize Only needs a reauthorisation we do not do. */
	if (ec == 0 && d->has_service && d->service != SERVICE_FRAMED)
		ec = EC_UNSUPPORTED_SERVICE;
	if (ec == 0)
		ec = dae_find(d, &s);
	if (ec == 0)
		ec = d->code == RAD_DISCONNECT_REQUEST ? dae_disconnect(s, d) :
		    dae_coa(s, d);
	if (ec) {
		stats->dae_naks++;
		LOG(LOG_WARN_L, s, 0, "RADIUS %s from %s refused: Error-Cause "
		    "%u", code_name(d->code), inet_ntoa(from->sin_addr), ec);
	}
	out = dae_answer(d, ec, reply, cap);
	if (out > 0 && out <= sizeof(c->reply)) {
		c = &dae_cache[dae_cache_next++ % DAE_CACHE];
		c->ip = from->sin_addr.s_addr;
		c->port = from->sin_port;
		c->id = d->id;
		memcpy(c->auth, d->auth, 16);
		c->at_ms = now_ms;
		c->len = (uint16_t)out;
		memcpy(c->reply, reply, out);
	}
	free(d);
	return out;
drop:
	if (log_budget())
		LOG(LOG_WARN_L, 0, 0, "RADIUS DAE: %zu octets from %s:%u "
		    "dropped: %s", n, inet_ntoa(from->sin_addr),
		    ntohs(from->sin_port), why);
	return 0;
}

static void
dae_readable(int fd, uint32_t events, void *arg)
{
	uint8_t buf[RAD_MAXPKT + 1], reply[RAD_MAXPKT];
	struct sockaddr_in from;
	socklen_t fl;
	ssize_t n;
	size_t out;
	int budget = config->multi_read_count;

	(void)events;
	(void)arg;
	while (budget-- > 0) {
		fl = sizeof(from);
		n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT,
		    (struct sockaddr *)&from, &fl);
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR && log_budget())
				LOG(LOG_WARN_L, 0, 0, "RADIUS DAE: recvfrom: %s",
				    strerror(errno));
			return;
		}
		if (fl < sizeof(from) || from.sin_family != AF_INET)
			continue;
		out = radius_dae_input(buf, (size_t)n, &from, reply,
		    sizeof(reply));
		if (out > 0 && sendto(fd, reply, out, 0,
		    (struct sockaddr *)&from, sizeof(from)) < 0 &&
		    log_budget())
			LOG(LOG_WARN_L, 0, 0, "RADIUS DAE: sendto: %s",
			    strerror(errno));
	}
}

/* ---- setup ---- */

int
radius_init_state(uint32_t max_sessions)
{
	uint32_t i;

	rsess_max = max_sessions;
	if ((rsess = calloc((size_t)max_sessions + 1, sizeof(*rsess))) == NULL ||
	    (reqs = calloc(RAD_NSLOT, sizeof(*reqs))) == NULL)
		return -1;
	for (i = 1; i <= max_sessions; i++)
		timer_init(&rsess[i].interim_timer, interim_fire,
		    (void *)(uintptr_t)i);
	free_head = free_tail = 0;
	for (i = 0; i < RAD_NSLOT; i++) {
		timer_init(&reqs[i].timer, req_timeout, (void *)(uintptr_t)i);
		slot_push(i);
	}
	for (i = 0; i < RAD_NSOCK; i++)
		sock_fd[i] = -1;
	nsock = RAD_NSOCK;
	acct_seq = (uint32_t)time(NULL);
	return 0;
}

/* One client socket, on a port of the range when one is set. */
static int
open_client(int *next_port)
{
	struct sockaddr_in sin;
	int fd, lo = config->radius_bind_min, hi = config->radius_bind_max;
	int ranged = lo || hi, down = !lo && hi;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = config->bind_address;
	if (!ranged) {
		if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0)
			return fd;
		close(fd);
		return -1;
	}
	if (hi == 0)
		hi = 65535;
	if (lo == 0)
		lo = 1;
	while (*next_port >= lo && *next_port <= hi) {
		sin.sin_port = htons((uint16_t)*next_port);
		*next_port += down ? -1 : 1;
		if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0)
			return fd;
	}
	close(fd);
	errno = EADDRINUSE;
	return -1;
}

int
radius_init(void)
{
	struct sockaddr_in sin;
	socklen_t sl;
	uint32_t slot;
	int port, on = 1;

	if (radius_init_state(tables->max_sessions) < 0) {
		log_crit("RADIUS: cannot allocate state: %s", strerror(errno));
		return -1;
	}
	port = config->radius_bind_min ? config->radius_bind_min :
	    config->radius_bind_max;
	for (nsock = 0; nsock < RAD_NSOCK; nsock++) {
		if ((sock_fd[nsock] = open_client(&port)) < 0)
			break;
		if (ev_add(sock_fd[nsock], EPOLLIN, sock_readable,
		    (void *)(uintptr_t)nsock) < 0) {
			close(sock_fd[nsock]);
			sock_fd[nsock] = -1;
			break;
		}
		sl = sizeof(sin);
		if (getsockname(sock_fd[nsock], (struct sockaddr *)&sin,
		    &sl) == 0)
			sock_port[nsock] = ntohs(sin.sin_port);
	}
	if (nsock == 0) {
		log_crit("RADIUS: cannot open a client socket: %s",
		    strerror(errno));
		return -1;
	}
	if (nsock < RAD_NSOCK)
		log_error("RADIUS: only %d of %d client sockets (%s): %d "
		    "requests can be in flight", nsock, RAD_NSOCK,
		    strerror(errno), nsock * 256);
	/* Only the identifiers of open sockets are handed out. */
	free_head = free_tail = 0;
	for (slot = 0; slot < RAD_NSLOT; slot++)
		if ((int)(slot % RAD_NSOCK) < nsock)
			slot_push(slot);

	dae_fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = config->bind_address;
	sin.sin_port = htons((uint16_t)config->radius_dae_port);
	if (dae_fd >= 0)
		setsockopt(dae_fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (dae_fd < 0 ||
	    bind(dae_fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    ev_add(dae_fd, EPOLLIN, dae_readable, NULL) < 0) {
		/* Not fatal: authentication and accounting still work. */
		log_error("RADIUS: no Disconnect/CoA listener on port %d: %s",
		    config->radius_dae_port, strerror(errno));
		if (dae_fd >= 0)
			close(dae_fd);
		dae_fd = -1;
	}
	log_info("RADIUS: %d client sockets (ports %u..%u), DAE on port %d",
	    nsock, sock_port[0], sock_port[nsock - 1], config->radius_dae_port);
	return 0;
}

void
radius_close(void)
{
	int i;

	for (i = 0; i < RAD_NSOCK; i++)
		if (sock_fd[i] >= 0) {
			ev_del(sock_fd[i]);
			close(sock_fd[i]);
			sock_fd[i] = -1;
		}
	if (dae_fd >= 0) {
		ev_del(dae_fd);
		close(dae_fd);
		dae_fd = -1;
	}
}

void
radius_reload(void)
{
	/* Servers and secret are read from config at each use. */
	memset(dead_until, 0, sizeof(dead_until));
}

int
radius_busy(void)
{
	return (int)acct_inflight;
}

/* ---- "show radius" ---- */

int
radius_request_info(uint32_t *cursor, struct radius_req_info *ri)
{
	uint32_t slot;

	if (reqs == NULL)
		return -1;
	for (slot = *cursor; slot < RAD_NSLOT; slot++) {
		const struct rad_req *q = &reqs[slot];

		if (q->kind == RQ_FREE)
			continue;
		memset(ri, 0, sizeof(*ri));
		ri->slot = slot;
		ri->id = (uint8_t)(slot / RAD_NSOCK);
		ri->sock = (uint8_t)(slot % RAD_NSOCK);
		ri->port = sock_port[ri->sock];
		ri->state = kind_names[q->kind];
		ri->sid = q->sid;
		ri->server = q->server;
		ri->try = q->tries;
		ri->retry_ms = q->timer.when > now_ms ?
		    (uint32_t)(q->timer.when - now_ms) : 0;
		*cursor = slot + 1;
		return 0;
	}
	*cursor = RAD_NSLOT;
	return -1;
}

int
radius_request_authenticator(uint32_t slot, uint8_t out[16])
{
	if (reqs == NULL || slot >= RAD_NSLOT || reqs[slot].kind == RQ_FREE)
		return -1;
	memcpy(out, reqs[slot].pkt + 4, 16);
	return 0;
}

int
radius_server_info(int i, struct radius_server_info *si)
{
	struct sockaddr_in sa;
	int acct;

	if (server_addr(i, 0, &sa) < 0)
		return -1;
	memset(si, 0, sizeof(*si));
	si->ip = sa.sin_addr.s_addr;
	si->auth_port = ntohs(sa.sin_port);
	si->acct_port = (uint16_t)(si->auth_port + 1);
	for (acct = 0; acct < 2; acct++) {
		uint32_t d = dead_until[i][acct] > now_ms ?
		    (uint32_t)((dead_until[i][acct] - now_ms + 999) / 1000) : 0;

		if (acct)
			si->acct_dead_s = d;
		else
			si->auth_dead_s = d;
	}
	return 0;
}

void
radius_show(void (*line)(void *, const char *), void *arg)
{
	struct radius_server_info si;
	struct radius_req_info ri;
	char buf[512], a[INET_ADDRSTRLEN];
	uint32_t cur = 0, n = 0;
	int i;

	if (config->primary_radius == 0)
		line(arg, "RADIUS: no server configured (primary_radius)");
	for (i = 0; i < 2; i++) {
		if (radius_server_info(i, &si) < 0)
			continue;
		inet_ntop(AF_INET, &si.ip, a, sizeof(a));
		snprintf(buf, sizeof(buf), "%-9s %s auth %u%s acct %u%s",
		    i ? "secondary" : "primary", a, si.auth_port,
		    si.auth_dead_s ? " (not answering)" : "", si.acct_port,
		    si.acct_dead_s ? " (not answering)" : "");
		line(arg, buf);
	}
	snprintf(buf, sizeof(buf), "accounting %s, interim %d s, timeout "
	    "%d s x %d tries per server, %d sockets, DAE port %d%s",
	    config->radius_accounting ? "on" : "off", config->radius_interim,
	    config->radius_timeout, RAD_TRIES, reqs ? nsock : 0,
	    config->radius_dae_port, dae_fd >= 0 ? "" : " (closed)");
	line(arg, buf);
	snprintf(buf, sizeof(buf), "%6s %4s %5s %-7s %7s %-9s %3s %8s",
	    "Radius", "Sock", "Port", "State", "Session", "Server", "Try",
	    "Retry");
	line(arg, buf);
	while (radius_request_info(&cur, &ri) == 0) {
		snprintf(buf, sizeof(buf), "%6u %4u %5u %-7s %7u %-9s %3u "
		    "%6.1f s", ri.id, ri.sock, ri.port, ri.state, ri.sid,
		    ri.server ? "secondary" : "primary", ri.try,
		    ri.retry_ms / 1000.0);
		line(arg, buf);
		n++;
	}
	snprintf(buf, sizeof(buf), "%u request%s in flight", n,
	    n == 1 ? "" : "s");
	line(arg, buf);
	snprintf(buf, sizeof(buf), "sent: %llu auth, %llu acct, %llu again, "
	    "%llu moved to the other server, %llu not sent (no free id)",
	    (unsigned long long)stats->radius_auth_tx,
	    (unsigned long long)stats->radius_acct_tx,
	    (unsigned long long)stats->radius_retransmits,
	    (unsigned long long)stats->radius_failovers,
	    (unsigned long long)stats->radius_overflow);
	line(arg, buf);
	snprintf(buf, sizeof(buf), "answers: %llu accepts, %llu rejects, "
	    "%llu acct acks, %llu timeouts; dropped %llu bad authenticator, "
	    "%llu malformed, %llu unknown source, %llu unexpected",
	    (unsigned long long)stats->radius_accepts,
	    (unsigned long long)stats->radius_rejects,
	    (unsigned long long)stats->radius_acct_acks,
	    (unsigned long long)stats->radius_timeouts,
	    (unsigned long long)stats->radius_bad_auth,
	    (unsigned long long)stats->radius_malformed,
	    (unsigned long long)stats->radius_bad_source,
	    (unsigned long long)stats->radius_unexpected);
	line(arg, buf);
	snprintf(buf, sizeof(buf), "DAE: %llu received, %llu disconnects, "
	    "%llu CoA, %llu NAK, %llu repeated; dropped %llu bad "
	    "authenticator, %llu malformed, %llu unknown source",
	    (unsigned long long)stats->dae_rx,
	    (unsigned long long)stats->dae_disconnects,
	    (unsigned long long)stats->dae_coas,
	    (unsigned long long)stats->dae_naks,
	    (unsigned long long)stats->dae_duplicates,
	    (unsigned long long)stats->dae_bad_auth,
	    (unsigned long long)stats->dae_malformed,
	    (unsigned long long)stats->dae_bad_source);
	line(arg, buf);
}
