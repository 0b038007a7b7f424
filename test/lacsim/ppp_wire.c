/*
 * ppp_wire.c - PPP wire format for the LAC simulator.
 *
 * State: none.  Exports (ppp_wire.h): the frame parser and header writer
 * (RFC 1661 section 2, 6.5, 6.6), the control-protocol packet reader and
 * writer (section 5), the option iterator and writers (section 6), PAP
 * Authenticate-Request and replies (RFC 1334 2.2), CHAP Challenge,
 * Response, Success and Failure (RFC 1994 4.1, 4.2).
 *
 * Written from the RFC text alone, independently of the daemon's ppp.c.
 */
#include <string.h>

#include <md4.h>
#include <sha1.h>
#include <nettle/des.h>

#include "ppp_wire.h"

/* ---- frame, RFC 1661 section 2 ---- */

int
ppp_proto_valid(uint16_t proto)
{
	/* Odd low octet, even high octet. */
	return (proto & 0x0001) != 0 && (proto & 0x0100) == 0;
}

int
ppp_frame_parse(struct rd *r, struct ppp_frame *f, const char **why)
{
	struct rd ac = *r;
	uint8_t a, b;

	memset(f, 0, sizeof(*f));
	/* 6.6: FF 03 may be left out; FF is no protocol's first octet. */
	if (rd_u8(&ac, &a) == 0 && rd_u8(&ac, &b) == 0 && a == PPP_ADDR &&
	    b == PPP_CTRL) {
		f->has_ac = 1;
		*r = ac;
	}
	if (rd_u8(r, &a) == -1) {
		*why = "PPP frame without a protocol field";
		return -1;
	}
	if (a & 0x01) {
		/* 6.5: one octet, the high one elided. */
		f->short_proto = 1;
		f->proto = a;
	} else {
		if (rd_u8(r, &b) == -1) {
			*why = "PPP frame cut inside its protocol field";
			return -1;
		}
		f->proto = (uint16_t)(a << 8 | b);
	}
	f->info = *r;
	return 0;
}

void
ppp_frame_begin(struct wr *w, uint16_t proto)
{
	wr_u8(w, PPP_ADDR);
	wr_u8(w, PPP_CTRL);
	wr_u16(w, proto);
}

/* ---- control-protocol packets, RFC 1661 5 ---- */

int
cp_parse(struct rd *r, struct cp_pkt *p, const char **why)
{
	memset(p, 0, sizeof(*p));
	if (rd_u8(r, &p->code) == -1 || rd_u8(r, &p->id) == -1 ||
	    rd_u16(r, &p->len) == -1) {
		*why = "packet shorter than its header";
		return -1;
	}
	/* STYLE 3: at least the header, at most what arrived. */
	if (p->len < CP_HDR_LEN) {
		*why = "Length below 4";
		return -1;
	}
	if (rd_sub(r, p->len - CP_HDR_LEN, &p->data) == -1) {
		*why = "Length beyond the information field";
		return -1;
	}
	return 0;
}

size_t
cp_begin(struct wr *w, uint8_t code, uint8_t id)
{
	size_t off = w->len;

	wr_u8(w, code);
	wr_u8(w, id);
	wr_u16(w, 0);		/* Length, by cp_end */
	return off;
}

int
cp_end(struct wr *w, size_t off)
{
	if (w->err || w->len < off || w->len - off > 0xffff)
		return -1;
	wr_patch_u16(w, off + 2, (uint16_t)(w->len - off));
	return w->err ? -1 : 0;
}

/* ---- options, RFC 1661 6 ---- */

int
cp_opt_next(struct rd *r, struct cp_opt *o, const char **why)
{
	if (r->left == 0)
		return 0;
	o->raw = r->p;
	if (rd_u8(r, &o->type) == -1 || rd_u8(r, &o->len) == -1) {
		*why = "option cut inside its header";
		return -1;
	}
	if (o->len < 2) {
		*why = "option Length below 2";
		return -1;
	}
	if (rd_sub(r, o->len - 2, &o->val) == -1) {
		*why = "option runs past the end of the packet";
		return -1;
	}
	return 1;
}

int
cp_opts_check(const struct rd *opts, const char **why)
{
	struct rd r = *opts;
	struct cp_opt o;
	int n;

	/* Each option takes at least two octets: the loop is bounded. */
	while ((n = cp_opt_next(&r, &o, why)) == 1)
		;
	return n;
}

void
cp_opt_put(struct wr *w, uint8_t type, const void *val, size_t n)
{
	if (n > 253) {
		w->err = 1;
		return;
	}
	wr_u8(w, type);
	wr_u8(w, (uint8_t)(n + 2));
	wr_bytes(w, val, n);
}

void
cp_opt_put_u16(struct wr *w, uint8_t type, uint16_t v)
{
	wr_u8(w, type);
	wr_u8(w, 4);
	wr_u16(w, v);
}

void
cp_opt_put_u32(struct wr *w, uint8_t type, uint32_t v)
{
	wr_u8(w, type);
	wr_u8(w, 6);
	wr_u32(w, v);
}

const char *
ppp_proto_name(uint16_t proto)
{
	switch (proto) {
	case PPP_PROTO_IP:
		return "IP";
	case PPP_PROTO_IPV6:
		return "IPv6";
	case PPP_PROTO_IPCP:
		return "IPCP";
	case PPP_PROTO_IPV6CP:
		return "IPV6CP";
	case PPP_PROTO_CCP:
		return "CCP";
	case PPP_PROTO_LCP:
		return "LCP";
	case PPP_PROTO_PAP:
		return "PAP";
	case PPP_PROTO_CHAP:
		return "CHAP";
	default:
		return "unknown";
	}
}

const char *
cp_code_name(uint8_t code)
{
	static const char *const names[CP_CODE_MAX + 1] = {
		[CP_CONF_REQ] = "Configure-Request",
		[CP_CONF_ACK] = "Configure-Ack",
		[CP_CONF_NAK] = "Configure-Nak",
		[CP_CONF_REJ] = "Configure-Reject",
		[CP_TERM_REQ] = "Terminate-Request",
		[CP_TERM_ACK] = "Terminate-Ack",
		[CP_CODE_REJ] = "Code-Reject",
		[CP_PROTO_REJ] = "Protocol-Reject",
		[CP_ECHO_REQ] = "Echo-Request",
		[CP_ECHO_REP] = "Echo-Reply",
		[CP_DISC_REQ] = "Discard-Request",
	};

	if (code > CP_CODE_MAX || names[code] == NULL)
		return "unknown";
	return names[code];
}

/* ---- PAP, RFC 1334 2.2 ---- */

int
pap_build_request(struct wr *w, uint8_t id, const void *peer_id,
    size_t peer_id_len, const void *password, size_t password_len)
{
	size_t off;

	/* 2.2.1: each length is one octet. */
	if (peer_id_len > 255 || password_len > 255)
		return -1;
	off = cp_begin(w, PAP_AUTH_REQ, id);
	wr_u8(w, (uint8_t)peer_id_len);
	wr_bytes(w, peer_id, peer_id_len);
	wr_u8(w, (uint8_t)password_len);
	wr_bytes(w, password, password_len);
	return cp_end(w, off);
}

static void
copy_text(char *dst, size_t cap, const uint8_t *src, size_t n)
{
	size_t i;

	if (cap == 0)
		return;
	if (n > cap - 1)
		n = cap - 1;
	for (i = 0; i < n && src[i] != '\0'; i++)
		dst[i] = (char)src[i];
	dst[i] = '\0';
}

int
pap_parse_reply(const struct cp_pkt *p, char *msg, size_t cap,
    const char **why)
{
	struct rd r = p->data;
	uint8_t n;

	if (cap > 0)
		msg[0] = '\0';
	/* 2.2.2: Msg-Length, then the Message. */
	if (rd_u8(&r, &n) == -1) {
		*why = "PAP reply without Msg-Length";
		return -1;
	}
	if (n > r.left) {
		*why = "PAP Msg-Length runs past the packet";
		return -1;
	}
	copy_text(msg, cap, r.p, n);
	return 0;
}

/* ---- CHAP, RFC 1994 4 ---- */

int
chap_parse_challenge(const struct cp_pkt *p, struct chap_challenge *c,
    const char **why)
{
	struct rd r = p->data;
	uint8_t n;

	memset(c, 0, sizeof(*c));
	if (rd_u8(&r, &n) == -1) {
		*why = "Challenge without Value-Size";
		return -1;
	}
	/* 4.1: the Value is one or more octets. */
	if (n == 0) {
		*why = "Challenge Value-Size 0";
		return -1;
	}
	c->value = r.p;
	c->value_len = n;
	if (rd_skip(&r, n) == -1) {
		*why = "Challenge Value runs past the packet";
		return -1;
	}
	c->name = r.p;
	c->name_len = r.left;
	return 0;
}

void
chap_md5(uint8_t id, const void *secret, size_t secret_len,
    const uint8_t *chal, size_t chal_len, uint8_t out[CHAP_MD5_LEN])
{
	/* RFC 1994 4.1's digest, the one the tunnel's Challenge Response
	 * uses too (RFC 2661 4.4.3). */
	l2tp_chal_response(id, secret, secret_len, chal, chal_len, out);
}

int
chap_build_response(struct wr *w, uint8_t id,
    const uint8_t value[CHAP_MD5_LEN], const void *name, size_t name_len)
{
	size_t off;

	off = cp_begin(w, CHAP_RESPONSE, id);
	wr_u8(w, CHAP_MD5_LEN);
	wr_bytes(w, value, CHAP_MD5_LEN);
	wr_bytes(w, name, name_len);
	return cp_end(w, off);
}

void
chap_parse_message(const struct cp_pkt *p, char *msg, size_t cap)
{
	/* 4.2: the Message is the rest of the packet. */
	copy_text(msg, cap, p->data.p, p->data.left);
}

/* ---- MS-CHAPv2, RFC 2759 ---- */

int
chap_build_response_value(struct wr *w, uint8_t id, const uint8_t *value,
    size_t value_len, const void *name, size_t name_len)
{
	size_t off;

	if (value_len > 255)
		return -1;
	off = cp_begin(w, CHAP_RESPONSE, id);
	wr_u8(w, (uint8_t)value_len);
	wr_bytes(w, value, value_len);
	wr_bytes(w, name, name_len);
	return cp_end(w, off);
}

/* 8.6: 56 key bits, seven to an octet, the eighth bit left for parity. */
static void
ms_des(const uint8_t key7[7], const uint8_t clear[8], uint8_t out[8])
{
	uint8_t key[8] = { 0 };
	struct des_ctx ctx;
	int bit;

	for (bit = 0; bit < 56; bit++)
		if (key7[bit / 8] & (0x80 >> (bit % 8)))
			key[bit / 7] |= (uint8_t)(0x80 >> (bit % 7));
	des_set_key(&ctx, key);	/* parity is ignored; weak keys still set */
	des_encrypt(&ctx, 8, out, clear);
}

void
mschapv2_respond(const uint8_t auth_chal[16], const uint8_t peer_chal[16],
    const char *name, size_t name_len, const void *pw, size_t pw_len,
    uint8_t value[MSCHAPV2_VALUE_LEN], char expect[43])
{
	static const char m1[] = "Magic server to client signing constant";
	static const char m2[] = "Pad to make it do more than one iteration";
	static const char digits[] = "0123456789ABCDEF";
	const uint8_t *pwb = pw;
	const char *bs;
	uint8_t uni[512], hash[21], hh[16], chal[8], dig[20], *nt;
	MD4_CTX m;
	SHA1_CTX sh;
	size_t i, n = pw_len > 256 ? 256 : pw_len;

	/* 4: without any domain in front of the name */
	for (bs = name + name_len; bs > name && bs[-1] != '\\'; bs--)
		;
	name_len -= (size_t)(bs - name);
	name = bs;
	/* 8.2 ChallengeHash */
	SHA1Init(&sh);
	SHA1Update(&sh, peer_chal, 16);
	SHA1Update(&sh, auth_chal, 16);
	SHA1Update(&sh, (const uint8_t *)name, name_len);
	SHA1Final(dig, &sh);
	memcpy(chal, dig, 8);
	/* 8.3 NtPasswordHash: MD4 of the UTF-16LE password */
	for (i = 0; i < n; i++) {
		uni[2 * i] = pwb[i];
		uni[2 * i + 1] = 0;
	}
	memset(hash, 0, sizeof(hash));
	MD4Init(&m);
	MD4Update(&m, uni, 2 * n);
	MD4Final(hash, &m);
	/* 4: Peer-Challenge, 8 zero octets, NT-Response (8.5), Flags 0 */
	memset(value, 0, MSCHAPV2_VALUE_LEN);
	memcpy(value, peer_chal, 16);
	nt = value + 24;
	for (i = 0; i < 3; i++)
		ms_des(hash + 7 * i, chal, nt + 8 * i);
	/* 8.7 GenerateAuthenticatorResponse */
	MD4Init(&m);
	MD4Update(&m, hash, 16);
	MD4Final(hh, &m);
	SHA1Init(&sh);
	SHA1Update(&sh, hh, 16);
	SHA1Update(&sh, nt, 24);
	SHA1Update(&sh, (const uint8_t *)m1, 39);
	SHA1Final(dig, &sh);
	SHA1Init(&sh);
	SHA1Update(&sh, dig, 20);
	SHA1Update(&sh, chal, 8);
	SHA1Update(&sh, (const uint8_t *)m2, 41);
	SHA1Final(dig, &sh);
	expect[0] = 'S';
	expect[1] = '=';
	for (i = 0; i < 20; i++) {
		expect[2 + 2 * i] = digits[dig[i] >> 4];
		expect[3 + 2 * i] = digits[dig[i] & 15];
	}
	expect[42] = '\0';
}
