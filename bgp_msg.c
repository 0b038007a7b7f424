/*
 * bgp_msg.c - the BGP-4 message codec, without state: the header check,
 * the OPEN (with its capabilities), UPDATE and NOTIFICATION parsers,
 * the table of path attributes with the RFC 7606 revised error handling,
 * the names of errors, and the header writer that bgp.c builds its
 * messages on.
 *
 * State owned: none.  Exports (bgp.h): bgp_check_header, bgp_parse_open,
 * bgp_parse_update, bgp_parse_notification, bgp_error_name; (bgp_msg.h):
 * bgp_wr_header, bgp_wr_finish.  The unit test and the fuzz target call
 * it directly.
 *
 * Implements RFC 4271 4 (messages) and 6 (error detection), RFC 5492
 * (capabilities), RFC 6793 (4-octet AS numbers), RFC 4760 (MP_REACH and
 * MP_UNREACH), RFC 4724 (graceful restart capability), RFC 7606, RFC 1997
 * (communities), RFC 4486 and RFC 6608 (NOTIFICATION subcodes).
 */
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "bgp.h"
#include "bgp_msg.h"
#include "rd.h"

/* RFC 7606 2: what an error in an attribute costs. */
enum attr_action { ACT_NONE = 0, ACT_DISCARD, ACT_WITHDRAW, ACT_RESET };

/*
 * The attributes we know (STYLE 4): expected Optional/Transitive bits,
 * length bounds (-1: checked by the parser), and the RFC 7606 action for
 * a malformed one.
 */
static const struct attr_desc {
	const char	*name;
	uint8_t		 flags;		/* Optional | Transitive as required */
	int		 min, max;
	enum attr_action act;
} attr_table[ATTR_MAX] = {
	[ATTR_ORIGIN] = { "ORIGIN", AF_TRANSITIVE, 1, 1, ACT_WITHDRAW },
	[ATTR_AS_PATH] = { "AS_PATH", AF_TRANSITIVE, 0, 65535, ACT_WITHDRAW },
	[ATTR_NEXT_HOP] = { "NEXT_HOP", AF_TRANSITIVE, 4, 4, ACT_WITHDRAW },
	[ATTR_MED] = { "MULTI_EXIT_DISC", AF_OPTIONAL, 4, 4, ACT_WITHDRAW },
	[ATTR_LOCAL_PREF] = { "LOCAL_PREF", AF_TRANSITIVE, 4, 4,
	    ACT_WITHDRAW },
	[ATTR_ATOMIC_AGGREGATE] = { "ATOMIC_AGGREGATE", AF_TRANSITIVE, 0, 0,
	    ACT_DISCARD },
	[ATTR_AGGREGATOR] = { "AGGREGATOR", AF_OPTIONAL | AF_TRANSITIVE, 6, 8,
	    ACT_DISCARD },
	[ATTR_COMMUNITIES] = { "COMMUNITIES", AF_OPTIONAL | AF_TRANSITIVE, 0,
	    65535, ACT_WITHDRAW },
	[ATTR_MP_REACH] = { "MP_REACH_NLRI", AF_OPTIONAL, 5, 65535,
	    ACT_RESET },
	[ATTR_MP_UNREACH] = { "MP_UNREACH_NLRI", AF_OPTIONAL, 3, 65535,
	    ACT_RESET },
	[ATTR_AS4_PATH] = { "AS4_PATH", AF_OPTIONAL | AF_TRANSITIVE, 0, 65535,
	    ACT_DISCARD },
	[ATTR_AS4_AGGREGATOR] = { "AS4_AGGREGATOR", AF_OPTIONAL |
	    AF_TRANSITIVE, 8, 8, ACT_DISCARD },
};

/* ---- error names (RFC 4271 4.5, 6; RFC 4486; RFC 6608) ---- */

const char *
bgp_error_name(uint8_t code, uint8_t sub)
{
	static const char *const codes[] = { "", "Message Header Error",
	    "OPEN Message Error", "UPDATE Message Error", "Hold Timer Expired",
	    "Finite State Machine Error", "Cease", "ROUTE-REFRESH Message Error" };
	static const char *const hdr[] = { "",
	    "Connection Not Synchronized",
	    "Bad Message Length",
	    "Bad Message Type" };
	static const char *const open[] = { "",
	    "Unsupported Version Number",
	    "Bad Peer AS",
	    "Bad BGP Identifier",
	    "Unsupported Optional Parameter",
	    "",
	    "Unacceptable Hold Time",
	    "Unsupported Capability" };
	static const char *const upd[] = { "",
	    "Malformed Attribute List",
	    "Unrecognized Well-known Attribute",
	    "Missing Well-known Attribute",
	    "Attribute Flags Error",
	    "Attribute Length Error",
	    "Invalid ORIGIN Attribute",
	    "",
	    "Invalid NEXT_HOP Attribute",
	    "Optional Attribute Error",
	    "Invalid Network Field",
	    "Malformed AS_PATH" };
	static const char *const cease[] = { "",
	    "Maximum Number of Prefixes Reached",
	    "Administrative Shutdown",
	    "Peer De-configured",
	    "Administrative Reset",
	    "Connection Rejected",
	    "Other Configuration Change",
	    "Connection Collision Resolution",
	    "Out of Resources" };
	static const char *const fsm[] = { "",
	    "Unexpected Message in OpenSent",
	    "Unexpected Message in OpenConfirm",
	    "Unexpected Message in Established" };
	static char buf[96];
	const char *c = code < sizeof(codes) / sizeof(codes[0]) ? codes[code] :
	    "unknown error";
	const char *s = "";

#define SUB(t)	(sub < sizeof(t) / sizeof(t[0]) ? t[sub] : "")
	switch (code) {
	case BGP_ERR_HEADER: s = SUB(hdr); break;
	case BGP_ERR_OPEN: s = SUB(open); break;
	case BGP_ERR_UPDATE: s = SUB(upd); break;
	case BGP_ERR_FSM: s = SUB(fsm); break;
	case BGP_ERR_CEASE: s = SUB(cease); break;
	}
#undef SUB
	if (*s)
		snprintf(buf, sizeof(buf), "%s/%s (%u/%u)", c, s, code, sub);
	else
		snprintf(buf, sizeof(buf), "%s (%u/%u)", c, code, sub);
	return buf;
}

static int
set_err(struct bgp_err *e, uint8_t code, uint8_t sub, const void *data,
    size_t dlen)
{
	e->code = code;
	e->sub = sub;
	if (dlen > sizeof(e->data))
		dlen = sizeof(e->data);
	e->dlen = (uint8_t)dlen;
	if (dlen)
		memcpy(e->data, data, dlen);
	return -1;
}

/* ---- codec: reading (STYLE 2, 3) ---- */

int
bgp_check_header(const uint8_t *msg, size_t have, uint8_t *typep,
    struct bgp_err *e)
{
	static const uint16_t min_len[] = {
		[BGP_OPEN] = 29, [BGP_UPDATE] = 23, [BGP_NOTIFICATION] = 21,
		[BGP_KEEPALIVE] = 19, [BGP_ROUTE_REFRESH] = 23,
	};
	struct rd r;
	uint8_t marker[16], type;
	uint16_t len;
	size_t i;

	if (have < BGP_HDR_LEN)
		return 0;
	rd_init(&r, msg, have);
	if (rd_bytes(&r, marker, 16) < 0 || rd_u16(&r, &len) < 0 ||
	    rd_u8(&r, &type) < 0)
		return 0;
	/* RFC 4271 6.1: the marker is all ones. */
	for (i = 0; i < 16; i++)
		if (marker[i] != 0xff)
			return set_err(e, BGP_ERR_HEADER, BGP_HDR_SYNC, NULL, 0);
	/* RFC 4271 6.1: unknown type: Bad Message Type, data the type. */
	if (type < BGP_OPEN || type > BGP_ROUTE_REFRESH)
		return set_err(e, BGP_ERR_HEADER, BGP_HDR_TYPE, &type, 1);
	/* The length within bounds and at least the type's minimum;
	 * KEEPALIVE exactly 19 (4.4), ROUTE-REFRESH exactly 23 (RFC 2918). */
	if (len < min_len[type] || len > BGP_MAX_LEN ||
	    (type == BGP_KEEPALIVE && len != 19) ||
	    (type == BGP_ROUTE_REFRESH && len != 23)) {
		uint8_t d[2] = { (uint8_t)(len >> 8), (uint8_t)len };

		return set_err(e, BGP_ERR_HEADER, BGP_HDR_LENGTH, d, 2);
	}
	*typep = type;
	return len;
}

/* One capability (RFC 5492 4) of an OPEN. */
static int
parse_capability(uint8_t code, struct rd *v, struct bgp_open *o,
    struct bgp_err *e)
{
	uint16_t afi, flags;
	uint8_t res, safi, f;
	uint32_t as;

	switch (code) {
	case CAP_MP:	/* RFC 4760 8 */
		if (v->left != 4 || rd_u16(v, &afi) < 0 || rd_u8(v, &res) < 0 ||
		    rd_u8(v, &safi) < 0)
			return set_err(e, BGP_ERR_OPEN, 0, NULL, 0);
		o->cap_any_mp = 1;
		if (afi == BGP_AFI_IPV4 && safi == BGP_SAFI_UNICAST)
			o->cap_mp4 = 1;
		if (afi == BGP_AFI_IPV6 && safi == BGP_SAFI_UNICAST)
			o->cap_mp6 = 1;
		return 0;
	case CAP_RR:	/* RFC 2918 2 */
		if (v->left != 0)
			return set_err(e, BGP_ERR_OPEN, 0, NULL, 0);
		o->cap_rr = 1;
		return 0;
	case CAP_AS4:	/* RFC 6793 3 */
		if (v->left != 4 || rd_u32(v, &as) < 0)
			return set_err(e, BGP_ERR_OPEN, 0, NULL, 0);
		o->cap_as4 = 1;
		o->as = as;
		return 0;
	case CAP_GR:	/* RFC 4724 3 */
		if (v->left < 2 || (v->left - 2) % 4 != 0 ||
		    rd_u16(v, &flags) < 0)
			return set_err(e, BGP_ERR_OPEN, 0, NULL, 0);
		o->cap_gr = 1;
		o->gr_time = flags & 0x0fff;
		while (v->left >= 4)
			if (rd_u16(v, &afi) < 0 || rd_u8(v, &safi) < 0 ||
			    rd_u8(v, &f) < 0)
				return set_err(e, BGP_ERR_OPEN, 0, NULL, 0);
		return 0;
	}
	return 0;	/* RFC 5492 4: unknown capabilities are ignored */
}

int
bgp_parse_open(const uint8_t *body, size_t len, uint32_t remote_as,
    struct bgp_open *o, struct bgp_err *e)
{
	struct rd r, params, p, v;
	uint8_t optlen, ptype, plen, code, clen;
	uint16_t my_as;
	int caps = 0;

	memset(o, 0, sizeof(*o));
	rd_init(&r, body, len);
	if (rd_u8(&r, &o->version) < 0 || rd_u16(&r, &my_as) < 0 ||
	    rd_u16(&r, &o->hold) < 0 || rd_bytes(&r, &o->id, 4) < 0 ||
	    rd_u8(&r, &optlen) < 0) {
		uint8_t d[2] = { 0, (uint8_t)(len + BGP_HDR_LEN) };

		return set_err(e, BGP_ERR_HEADER, BGP_HDR_LENGTH, d, 2);
	}
	/* RFC 4271 6.2: data is the largest version we support. */
	if (o->version != BGP_VERSION) {
		uint8_t d[2] = { 0, BGP_VERSION };

		return set_err(e, BGP_ERR_OPEN, BGP_OPEN_VERSION, d, 2);
	}
	/* The optional parameters fill the rest exactly. */
	if (optlen != r.left || rd_sub(&r, optlen, &params) < 0)
		return set_err(e, BGP_ERR_OPEN, 0, NULL, 0);
	while (params.left > 0) {
		if (rd_u8(&params, &ptype) < 0 || rd_u8(&params, &plen) < 0 ||
		    rd_sub(&params, plen, &p) < 0)
			return set_err(e, BGP_ERR_OPEN, 0, NULL, 0);
		/* RFC 5492 4: type 2 carries capabilities; no other known. */
		if (ptype != 2)
			return set_err(e, BGP_ERR_OPEN, BGP_OPEN_OPT_PARAM,
			    NULL, 0);
		while (p.left > 0) {
			if (rd_u8(&p, &code) < 0 || rd_u8(&p, &clen) < 0 ||
			    rd_sub(&p, clen, &v) < 0)
				return set_err(e, BGP_ERR_OPEN, 0, NULL, 0);
			if (++caps > 64)	/* STYLE 3: cap the loop */
				return set_err(e, BGP_ERR_OPEN, 0, NULL, 0);
			if (parse_capability(code, &v, o, e) < 0)
				return -1;
		}
	}
	if (!o->cap_as4)
		o->as = my_as;
	/* RFC 6793 4.2 and RFC 4271 6.2: the AS must be the configured one. */
	if (o->as == 0 || (remote_as != 0 && o->as != remote_as) ||
	    (o->cap_as4 && my_as != BGP_AS_TRANS && my_as != o->as)) {
		uint8_t d[2] = { (uint8_t)(my_as >> 8), (uint8_t)my_as };

		return set_err(e, BGP_ERR_OPEN, BGP_OPEN_PEER_AS, d, 2);
	}
	/* RFC 4271 6.2: Hold Time 1 or 2 is unacceptable. */
	if (o->hold == 1 || o->hold == 2) {
		uint8_t d[2] = { 0, (uint8_t)o->hold };

		return set_err(e, BGP_ERR_OPEN, BGP_OPEN_HOLD, d, 2);
	}
	/* RFC 6286 2.2 / RFC 4271 6.2: a BGP Identifier of 0 is invalid. */
	if (o->id == 0)
		return set_err(e, BGP_ERR_OPEN, BGP_OPEN_BGP_ID, &o->id, 4);
	return 0;
}

int
bgp_parse_notification(const uint8_t *body, size_t len, uint8_t *code,
    uint8_t *sub)
{
	struct rd r;

	rd_init(&r, body, len);
	if (rd_u8(&r, code) < 0 || rd_u8(&r, sub) < 0)
		return -1;
	return 0;
}

/* RFC 4271 4.3: prefixes as (length, the significant octets). */
static int
parse_prefixes(struct rd *r, int af, int announce, bgp_prefix_fn fn,
    void *arg, int *count, struct bgp_err *e)
{
	uint8_t plen, a[16];
	int max = af == 4 ? 32 : 128;

	while (r->left > 0) {
		size_t n;

		memset(a, 0, sizeof(a));
		if (rd_u8(r, &plen) < 0)
			break;
		n = ((size_t)plen + 7) / 8;
		/* RFC 7606 5.3: an NLRI that cannot be parsed resets. */
		if (plen > max || rd_bytes(r, a, n) < 0)
			return set_err(e, BGP_ERR_UPDATE, BGP_UPD_NETWORK,
			    NULL, 0);
		if (fn)
			fn(arg, announce, af, a, plen);
		(*count)++;
	}
	return 0;
}

/* RFC 4271 6.3 and RFC 7606 7.2: segments of known types, none empty,
 * none overrunning. */
static int
check_as_path(struct rd v, int asz)
{
	uint8_t type, n;

	while (v.left > 0) {
		if (rd_u8(&v, &type) < 0 || rd_u8(&v, &n) < 0)
			return -1;
		if (type < 1 || type > 4 || n == 0 ||
		    rd_skip(&v, (size_t)n * (size_t)asz) < 0)
			return -1;
	}
	return 0;
}

/* Note a problem with attribute `type` and keep the gravest action. */
static void
attr_fail(enum attr_action *worst, enum attr_action act, struct bgp_err *e,
    uint8_t sub, const uint8_t *attr, size_t alen)
{
	if (act <= *worst)
		return;
	*worst = act;
	set_err(e, BGP_ERR_UPDATE, sub, attr, alen);
}

/* What the path attributes of one UPDATE said so far. */
struct upd {
	int		 as4;
	uint32_t	 seen;		/* attribute types met, ATTR_MAX < 32 */
	enum attr_action worst;
	int		 have_origin, have_path, have_nh;
	struct rd	 mp_reach, mp_unreach;
	struct bgp_err	*e;
};

/* The value of a known attribute whose flags and length are right. */
static void
update_attr_value(struct upd *u, uint8_t type, struct rd v,
    const uint8_t *start, size_t whole)
{
	switch (type) {
	case ATTR_ORIGIN: {
		uint8_t o;

		/* RFC 4271 6.3: IGP, EGP or INCOMPLETE. */
		if (rd_u8(&v, &o) < 0 || o > 2)
			attr_fail(&u->worst, ACT_WITHDRAW, u->e,
			    BGP_UPD_ORIGIN, start, whole);
		u->have_origin = 1;
		break;
	}
	case ATTR_AS_PATH:
		if (check_as_path(v, u->as4 ? 4 : 2) < 0)
			attr_fail(&u->worst, ACT_WITHDRAW, u->e,
			    BGP_UPD_AS_PATH, NULL, 0);
		u->have_path = 1;
		break;
	case ATTR_AS4_PATH:
		/* RFC 6793 6: a malformed AS4_PATH is discarded. */
		if (check_as_path(v, 4) < 0)
			attr_fail(&u->worst, ACT_DISCARD, u->e,
			    BGP_UPD_OPTIONAL, NULL, 0);
		break;
	case ATTR_NEXT_HOP: {
		uint8_t nh[4];

		/* RFC 4271 6.3: syntactically a unicast address;
		 * RFC 7606 7.3: treat-as-withdraw. */
		if (rd_bytes(&v, nh, 4) < 0 ||
		    (nh[0] == 0 && nh[1] == 0 && nh[2] == 0 &&
		    nh[3] == 0) || nh[0] >= 224)
			attr_fail(&u->worst, ACT_WITHDRAW, u->e,
			    BGP_UPD_NEXT_HOP, start, whole);
		u->have_nh = 1;
		break;
	}
	case ATTR_MP_REACH:
		u->mp_reach = v;
		break;
	case ATTR_MP_UNREACH:
		u->mp_unreach = v;
		break;
	default:
		break;
	}
}

/*
 * The next path attribute of the list: 0 to go on, 1 to stop reading
 * the list (it overran), -1 with the NOTIFICATION in u->e.
 */
static int
update_attr(struct upd *u, struct rd *attrs, int *nattrs)
{
	const uint8_t *start = attrs->p;
	uint8_t flags, type;
	uint16_t l16;
	uint8_t l8;
	struct rd v;
	const struct attr_desc *d;
	size_t whole;
	struct bgp_err *e = u->e;

	if (++*nattrs > 256 || rd_u8(attrs, &flags) < 0 ||
	    rd_u8(attrs, &type) < 0)
		return set_err(e, BGP_ERR_UPDATE, BGP_UPD_ATTR_LIST, NULL, 0);
	if (flags & AF_EXTLEN) {
		if (rd_u16(attrs, &l16) < 0)
			return set_err(e, BGP_ERR_UPDATE, BGP_UPD_ATTR_LIST,
			    NULL, 0);
	} else {
		if (rd_u8(attrs, &l8) < 0)
			return set_err(e, BGP_ERR_UPDATE, BGP_UPD_ATTR_LIST,
			    NULL, 0);
		l16 = l8;
	}
	/*
	 * RFC 7606 4: an attribute overrunning the attribute list leaves
	 * the NLRI untouched but the attributes unknown: treat-as-withdraw
	 * (reset if MP_REACH/MP_UNREACH could be the one).
	 */
	if (rd_sub(attrs, l16, &v) < 0) {
		if (type == ATTR_MP_REACH || type == ATTR_MP_UNREACH)
			return set_err(e, BGP_ERR_UPDATE, BGP_UPD_ATTR_LIST,
			    NULL, 0);
		attr_fail(&u->worst, ACT_WITHDRAW, e, BGP_UPD_ATTR_LIST,
		    NULL, 0);
		return 1;
	}
	whole = (size_t)(attrs->p - start);
	d = type < ATTR_MAX && attr_table[type].name ?
	    &attr_table[type] : NULL;
	if (d == NULL) {
		/* RFC 4271 6.3: an unknown well-known attribute. */
		if (!(flags & AF_OPTIONAL))
			return set_err(e, BGP_ERR_UPDATE, BGP_UPD_UNKNOWN_WK,
			    start, whole);
		return 0;	/* unknown optional: passed over */
	}
	/* RFC 7606 3.g: duplicates: MP ones reset, others keep the first. */
	if (u->seen & (1u << type)) {
		if (type == ATTR_MP_REACH || type == ATTR_MP_UNREACH)
			return set_err(e, BGP_ERR_UPDATE, BGP_UPD_ATTR_LIST,
			    NULL, 0);
		return 0;
	}
	u->seen |= 1u << type;
	/* RFC 4271 6.3 Attribute Flags Error; RFC 7606 3.c. */
	if ((flags & (AF_OPTIONAL | AF_TRANSITIVE)) != d->flags) {
		if (d->act == ACT_RESET)
			return set_err(e, BGP_ERR_UPDATE, BGP_UPD_FLAGS, start,
			    whole);
		attr_fail(&u->worst, d->act, e, BGP_UPD_FLAGS, start, whole);
		return 0;
	}
	/* Attribute Length Error (RFC 4271 6.3). */
	if ((int)v.left < d->min || (int)v.left > d->max ||
	    (type == ATTR_AGGREGATOR && v.left != (u->as4 ? 8u : 6u)) ||
	    (type == ATTR_COMMUNITIES && v.left % 4 != 0)) {
		if (d->act == ACT_RESET)
			return set_err(e, BGP_ERR_UPDATE, BGP_UPD_LENGTH,
			    start, whole);
		attr_fail(&u->worst, d->act, e, BGP_UPD_LENGTH, start, whole);
		return 0;
	}
	update_attr_value(u, type, v, start, whole);
	return 0;
}

/* MP_UNREACH_NLRI (RFC 4760 4): 0, or -1 with the NOTIFICATION. */
static int
update_mp_unreach(struct upd *u, bgp_prefix_fn fn, void *arg, int *n)
{
	struct rd *r = &u->mp_unreach;
	uint16_t afi;
	uint8_t safi;

	if (rd_u16(r, &afi) < 0 || rd_u8(r, &safi) < 0)
		return set_err(u->e, BGP_ERR_UPDATE, BGP_UPD_OPTIONAL, NULL,
		    0);
	if (safi == BGP_SAFI_UNICAST && (afi == BGP_AFI_IPV4 ||
	    afi == BGP_AFI_IPV6) && parse_prefixes(r,
	    afi == BGP_AFI_IPV4 ? 4 : 6, 0, fn, arg, n, u->e) < 0)
		return -1;
	return 0;
}

/* MP_REACH_NLRI (RFC 4760 3): 0, or -1 with the NOTIFICATION. */
static int
update_mp_reach(struct upd *u, bgp_prefix_fn fn, void *arg, int *n)
{
	struct rd *r = &u->mp_reach;
	uint16_t afi;
	uint8_t safi, nhlen, reserved;

	if (rd_u16(r, &afi) < 0 || rd_u8(r, &safi) < 0 ||
	    rd_u8(r, &nhlen) < 0 || rd_skip(r, nhlen) < 0 ||
	    rd_u8(r, &reserved) < 0)
		return set_err(u->e, BGP_ERR_UPDATE, BGP_UPD_OPTIONAL, NULL,
		    0);
	if (safi != BGP_SAFI_UNICAST || (afi != BGP_AFI_IPV4 &&
	    afi != BGP_AFI_IPV6))
		return 0;
	/* RFC 2545 3: 16 or 32 octets for IPv6; RFC 7606 7.11: an
	 * inconsistent length resets. */
	if ((afi == BGP_AFI_IPV6 && nhlen != 16 && nhlen != 32) ||
	    (afi == BGP_AFI_IPV4 && nhlen != 4 && nhlen != 16))
		return set_err(u->e, BGP_ERR_UPDATE, BGP_UPD_OPTIONAL, NULL,
		    0);
	return parse_prefixes(r, afi == BGP_AFI_IPV4 ? 4 : 6,
	    u->worst != ACT_WITHDRAW, fn, arg, n, u->e);
}

int
bgp_parse_update(const uint8_t *body, size_t len, int as4, int ebgp,
    bgp_prefix_fn fn, void *arg, struct bgp_err *e)
{
	struct upd u;
	struct rd r, wd, attrs, nlri;
	uint16_t wlen, alen;
	int n = 0, nattrs = 0, rc;

	(void)ebgp;
	memset(&u, 0, sizeof(u));
	u.as4 = as4;
	u.worst = ACT_NONE;
	u.e = e;
	rd_init(&r, body, len);
	/* RFC 4271 6.3: the two lengths must fit the message. */
	if (rd_u16(&r, &wlen) < 0 || rd_sub(&r, wlen, &wd) < 0 ||
	    rd_u16(&r, &alen) < 0 || rd_sub(&r, alen, &attrs) < 0)
		return set_err(e, BGP_ERR_UPDATE, BGP_UPD_ATTR_LIST, NULL, 0);
	nlri = r;

	while (attrs.left > 0) {
		rc = update_attr(&u, &attrs, &nattrs);
		if (rc < 0)
			return -1;
		if (rc > 0)
			break;
	}

	/* Withdrawn routes (IPv4) */
	if (parse_prefixes(&wd, 4, 0, fn, arg, &n, e) < 0)
		return -1;
	if (u.mp_unreach.p != NULL && update_mp_unreach(&u, fn, arg, &n) < 0)
		return -1;
	/* RFC 4271 6.3 / RFC 7606 3.d: missing well-known attributes when
	 * there is reachability information. */
	if ((nlri.left > 0 || u.mp_reach.p != NULL) &&
	    (!u.have_origin || !u.have_path)) {
		uint8_t t = !u.have_origin ? ATTR_ORIGIN : ATTR_AS_PATH;

		attr_fail(&u.worst, ACT_WITHDRAW, e, BGP_UPD_MISSING_WK, &t, 1);
	}
	if (nlri.left > 0 && !u.have_nh) {
		uint8_t t = ATTR_NEXT_HOP;

		attr_fail(&u.worst, ACT_WITHDRAW, e, BGP_UPD_MISSING_WK, &t, 1);
	}
	if (u.mp_reach.p != NULL && update_mp_reach(&u, fn, arg, &n) < 0)
		return -1;
	if (parse_prefixes(&nlri, 4, u.worst != ACT_WITHDRAW, fn, arg, &n,
	    e) < 0)
		return -1;
	return u.worst == ACT_WITHDRAW ? 1 : 0;
}

/* ---- codec: writing ---- */

size_t
bgp_wr_header(struct wr *w, uint8_t type)
{
	static const uint8_t marker[16] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	size_t at;

	wr_bytes(w, marker, 16);
	at = w->len;
	wr_u16(w, 0);
	wr_u8(w, type);
	return at;
}

void
bgp_wr_finish(struct wr *w, size_t at)
{
	wr_put16_at(w, at, (uint16_t)w->len);
}
