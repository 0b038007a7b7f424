/*
 * l2tp_avp.c - the L2TPv2 message codec (RFC 2661): the attribute table,
 * one parser per AVP, hidden AVPs (4.3), the message walk (4.1, 4.2) and
 * the builders of outgoing control messages.
 *
 * State owned: none (the tables are constant).  Exports, through
 * l2tp_avp.h to l2tp.c only: parse_avps(), the avp_*() builders,
 * msg_start(), put_header(); through l2tp.h: the name lookups, hiding and
 * the challenge response.  Every peer byte goes through the checked
 * reader (rd.h).
 */
#include <md5.h>
#include <stdio.h>
#include <string.h>

#include "l2tp.h"
#include "l2tp_avp.h"
#include "rd.h"
#include "util.h"

struct avp_def {
	const char	*name;
	uint16_t	 min, max;	/* value length bounds (after unhiding) */
	int		(*parse)(struct msg *, struct rd *);
};


static int parse_msgtype(struct msg *, struct rd *);
static int parse_result(struct msg *, struct rd *);
static int parse_protover(struct msg *, struct rd *);
static int parse_framing_cap(struct msg *, struct rd *);
static int parse_bearer_cap(struct msg *, struct rd *);
static int parse_tie(struct msg *, struct rd *);
static int parse_firmware(struct msg *, struct rd *);
static int parse_host(struct msg *, struct rd *);
static int parse_vendor(struct msg *, struct rd *);
static int parse_tunnel_id(struct msg *, struct rd *);
static int parse_rws(struct msg *, struct rd *);
static int parse_challenge(struct msg *, struct rd *);
static int parse_q931(struct msg *, struct rd *);
static int parse_chal_resp(struct msg *, struct rd *);
static int parse_session_id(struct msg *, struct rd *);
static int parse_serial(struct msg *, struct rd *);
static int parse_min_bps(struct msg *, struct rd *);
static int parse_max_bps(struct msg *, struct rd *);
static int parse_bearer_type(struct msg *, struct rd *);
static int parse_framing_type(struct msg *, struct rd *);
static int parse_called(struct msg *, struct rd *);
static int parse_calling(struct msg *, struct rd *);
static int parse_sub_address(struct msg *, struct rd *);
static int parse_tx_speed(struct msg *, struct rd *);
static int parse_ignore(struct msg *, struct rd *);
static int parse_init_rcvd_lcp(struct msg *, struct rd *);
static int parse_last_sent_lcp(struct msg *, struct rd *);
static int parse_last_rcvd_lcp(struct msg *, struct rd *);
static int parse_proxy_type(struct msg *, struct rd *);
static int parse_proxy_name(struct msg *, struct rd *);
static int parse_proxy_chal(struct msg *, struct rd *);
static int parse_proxy_id(struct msg *, struct rd *);
static int parse_proxy_resp(struct msg *, struct rd *);
static int parse_call_errors(struct msg *, struct rd *);
static int parse_accm(struct msg *, struct rd *);
static int parse_rx_speed(struct msg *, struct rd *);

/* RFC 2661 4.4: every IETF attribute, with its value length bounds. */
static const struct avp_def avps[A_MAX + 1] = {
	[A_MESSAGE_TYPE] = { "Message Type", 2, 2, parse_msgtype },
	[A_RESULT_CODE] = { "Result Code", 2, 1023, parse_result },
	[A_PROTOCOL_VERSION] = { "Protocol Version", 2, 2, parse_protover },
	[A_FRAMING_CAP] = { "Framing Capabilities", 4, 4, parse_framing_cap },
	[A_BEARER_CAP] = { "Bearer Capabilities", 4, 4, parse_bearer_cap },
	[A_TIE_BREAKER] = { "Tie Breaker", 8, 8, parse_tie },
	[A_FIRMWARE] = { "Firmware Revision", 2, 2, parse_firmware },
	[A_HOST_NAME] = { "Host Name", 1, 1023, parse_host },
	[A_VENDOR_NAME] = { "Vendor Name", 0, 1023, parse_vendor },
	[A_ASSIGNED_TUNNEL] = { "Assigned Tunnel ID", 2, 2, parse_tunnel_id },
	[A_RECV_WINDOW] = { "Receive Window Size", 2, 2, parse_rws },
	[A_CHALLENGE] = { "Challenge", 1, 1023, parse_challenge },
	[A_Q931_CAUSE] = { "Q.931 Cause Code", 3, 1023, parse_q931 },
	[A_CHALLENGE_RESP] = { "Challenge Response", 16, 16, parse_chal_resp },
	[A_ASSIGNED_SESSION] = { "Assigned Session ID", 2, 2, parse_session_id },
	[A_CALL_SERIAL] = { "Call Serial Number", 4, 4, parse_serial },
	[A_MIN_BPS] = { "Minimum BPS", 4, 4, parse_min_bps },
	[A_MAX_BPS] = { "Maximum BPS", 4, 4, parse_max_bps },
	[A_BEARER_TYPE] = { "Bearer Type", 4, 4, parse_bearer_type },
	[A_FRAMING_TYPE] = { "Framing Type", 4, 4, parse_framing_type },
	[A_CALLED_NUMBER] = { "Called Number", 0, 1023, parse_called },
	[A_CALLING_NUMBER] = { "Calling Number", 0, 1023, parse_calling },
	[A_SUB_ADDRESS] = { "Sub-Address", 0, 1023, parse_sub_address },
	[A_TX_SPEED] = { "Tx Connect Speed", 4, 4, parse_tx_speed },
	[A_PHYS_CHANNEL] = { "Physical Channel ID", 4, 4, parse_ignore },
	[A_INIT_RCVD_LCP] = { "Initial Received LCP CONFREQ", 0, 1023,
	    parse_init_rcvd_lcp },
	[A_LAST_SENT_LCP] = { "Last Sent LCP CONFREQ", 0, 1023,
	    parse_last_sent_lcp },
	[A_LAST_RCVD_LCP] = { "Last Received LCP CONFREQ", 0, 1023,
	    parse_last_rcvd_lcp },
	[A_PROXY_AUTH_TYPE] = { "Proxy Authen Type", 2, 2, parse_proxy_type },
	[A_PROXY_AUTH_NAME] = { "Proxy Authen Name", 0, 1023, parse_proxy_name },
	[A_PROXY_AUTH_CHALLENGE] = { "Proxy Authen Challenge", 1, 1023,
	    parse_proxy_chal },
	[A_PROXY_AUTH_ID] = { "Proxy Authen ID", 2, 2, parse_proxy_id },
	[A_PROXY_AUTH_RESPONSE] = { "Proxy Authen Response", 0, 1023,
	    parse_proxy_resp },
	[A_CALL_ERRORS] = { "Call Errors", 26, 26, parse_call_errors },
	[A_ACCM] = { "ACCM", 10, 10, parse_accm },
	[A_RANDOM_VECTOR] = { "Random Vector", 1, 1023, NULL },
	[A_PRIVATE_GROUP] = { "Private Group ID", 0, 1023, parse_ignore },
	[A_RX_SPEED] = { "Rx Connect Speed", 4, 4, parse_rx_speed },
	[A_SEQUENCING] = { "Sequencing Required", 0, 0, parse_ignore },
};

static const char *msg_names[M_MAX + 1] = {
	[M_ZLB] = "ZLB", [M_SCCRQ] = "SCCRQ", [M_SCCRP] = "SCCRP",
	[M_SCCCN] = "SCCCN", [M_STOPCCN] = "StopCCN", [M_HELLO] = "HELLO",
	[M_OCRQ] = "OCRQ", [M_OCRP] = "OCRP", [M_OCCN] = "OCCN",
	[M_ICRQ] = "ICRQ", [M_ICRP] = "ICRP", [M_ICCN] = "ICCN",
	[M_CDN] = "CDN", [M_WEN] = "WEN", [M_SLI] = "SLI",
};



const char *
l2tp_msg_name(int type)
{
	if (type >= 0 && type <= M_MAX && msg_names[type])
		return msg_names[type];
	return "unknown";
}

const char *
l2tp_avp_name(int type)
{
	if (type >= 0 && type <= A_MAX && avps[type].name)
		return avps[type].name;
	return "unknown";
}

int
l2tp_msg_known(int type)
{
	return type > M_ZLB && type <= M_MAX && msg_names[type] != NULL;
}

/* ---- AVP parsers ---- */

static int
get_str(struct rd *r, char *out, size_t cap)
{
	size_t n = r->left < cap - 1 ? r->left : cap - 1;

	rd_bytes(r, out, n);
	out[n] = '\0';
	/* Keep log lines and CLI columns printable. */
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)out[i] < 0x20 || (unsigned char)out[i] == 0x7f)
			out[i] = '?';
	return 0;
}

static int
parse_msgtype(struct msg *m, struct rd *r)
{
	uint16_t v = 0;

	rd_u16(r, &v);
	m->type = v;
	return 0;
}

static int
parse_result(struct msg *m, struct rd *r)
{
	rd_u16(r, &m->result);
	if (r->left == 1)
		return -1;	/* an Error Code is two octets */
	if (r->left >= 2)
		rd_u16(r, &m->error);
	get_str(r, m->errmsg, sizeof(m->errmsg));
	return 0;
}

static int
parse_protover(struct msg *m, struct rd *r)
{
	return rd_u16(r, &m->proto_ver);
}

static int
parse_framing_cap(struct msg *m, struct rd *r)
{
	return rd_u32(r, &m->framing_cap);
}

static int
parse_bearer_cap(struct msg *m, struct rd *r)
{
	return rd_u32(r, &m->bearer_cap);
}

static int
parse_tie(struct msg *m, struct rd *r)
{
	return rd_bytes(r, m->tie, sizeof(m->tie));
}

static int
parse_firmware(struct msg *m, struct rd *r)
{
	return rd_u16(r, &m->firmware);
}

static int
parse_host(struct msg *m, struct rd *r)
{
	return get_str(r, m->host, sizeof(m->host));
}

static int
parse_vendor(struct msg *m, struct rd *r)
{
	return get_str(r, m->vendor, sizeof(m->vendor));
}

static int
parse_tunnel_id(struct msg *m, struct rd *r)
{
	return rd_u16(r, &m->tunnel_id);
}

static int
parse_rws(struct msg *m, struct rd *r)
{
	rd_u16(r, &m->rws);
	return m->rws == 0 ? -1 : 0;	/* 0 is invalid (5.8) */
}

static int
parse_challenge(struct msg *m, struct rd *r)
{
	m->chal_len = r->left < sizeof(m->challenge) ? r->left :
	    sizeof(m->challenge);
	return rd_bytes(r, m->challenge, m->chal_len);
}

static int
parse_q931(struct msg *m, struct rd *r)
{
	(void)m;
	(void)r;
	return 0;
}

static int
parse_chal_resp(struct msg *m, struct rd *r)
{
	return rd_bytes(r, m->chal_resp, 16);
}

static int
parse_session_id(struct msg *m, struct rd *r)
{
	return rd_u16(r, &m->session_id);
}

static int
parse_serial(struct msg *m, struct rd *r)
{
	return rd_u32(r, &m->serial);
}

static int
parse_min_bps(struct msg *m, struct rd *r)
{
	return rd_u32(r, &m->min_bps);
}

static int
parse_max_bps(struct msg *m, struct rd *r)
{
	return rd_u32(r, &m->max_bps);
}

static int
parse_bearer_type(struct msg *m, struct rd *r)
{
	return rd_u32(r, &m->bearer_type);
}

static int
parse_framing_type(struct msg *m, struct rd *r)
{
	return rd_u32(r, &m->framing_type);
}

static int
parse_called(struct msg *m, struct rd *r)
{
	return get_str(r, m->called, sizeof(m->called));
}

static int
parse_calling(struct msg *m, struct rd *r)
{
	return get_str(r, m->calling, sizeof(m->calling));
}

static int
parse_sub_address(struct msg *m, struct rd *r)
{
	return get_str(r, m->sub_address, sizeof(m->sub_address));
}

static int
parse_tx_speed(struct msg *m, struct rd *r)
{
	return rd_u32(r, &m->tx_speed);
}

static int
parse_rx_speed(struct msg *m, struct rd *r)
{
	return rd_u32(r, &m->rx_speed);
}

static int
parse_ignore(struct msg *m, struct rd *r)
{
	(void)m;
	(void)r;
	return 0;
}

static int
lcp_copy(struct msg *m, struct rd *r, uint8_t *out, uint8_t *len)
{
	if (r->left > PROXY_LCP_MAX)
		return -1;
	*len = (uint8_t)(r->left == PROXY_LCP_MAX ? PROXY_LCP_MAX - 1 :
	    r->left);
	m->have_proxy = 1;
	return rd_bytes(r, out, *len);
}

static int
parse_init_rcvd_lcp(struct msg *m, struct rd *r)
{
	return lcp_copy(m, r, m->proxy.init_rcvd_lcp, &m->proxy.init_rcvd_len);
}

static int
parse_last_sent_lcp(struct msg *m, struct rd *r)
{
	return lcp_copy(m, r, m->proxy.last_sent_lcp, &m->proxy.last_sent_len);
}

static int
parse_last_rcvd_lcp(struct msg *m, struct rd *r)
{
	return lcp_copy(m, r, m->proxy.last_rcvd_lcp, &m->proxy.last_rcvd_len);
}

static int
parse_proxy_type(struct msg *m, struct rd *r)
{
	m->have_proxy = 1;
	return rd_u16(r, &m->proxy.auth_type);
}

static int
parse_proxy_name(struct msg *m, struct rd *r)
{
	m->have_proxy = 1;
	return get_str(r, m->proxy.auth_name, sizeof(m->proxy.auth_name));
}

static int
parse_proxy_chal(struct msg *m, struct rd *r)
{
	if (r->left > sizeof(m->proxy.challenge))
		return -1;
	m->have_proxy = 1;
	m->proxy.chal_len = (uint8_t)r->left;
	return rd_bytes(r, m->proxy.challenge, r->left);
}

static int
parse_proxy_id(struct msg *m, struct rd *r)
{
	uint16_t v = 0;

	m->have_proxy = 1;
	rd_u16(r, &v);
	m->proxy.auth_id = (uint8_t)v;
	return 0;
}

static int
parse_proxy_resp(struct msg *m, struct rd *r)
{
	if (r->left > sizeof(m->proxy.response))
		return -1;
	m->have_proxy = 1;
	m->proxy.resp_len = (uint8_t)r->left;
	return rd_bytes(r, m->proxy.response, r->left);
}

static int
parse_call_errors(struct msg *m, struct rd *r)
{
	int i;

	rd_skip(r, 2);		/* reserved */
	for (i = 0; i < 6; i++)
		rd_u32(r, &m->call_errors[i]);
	return 0;
}

static int
parse_accm(struct msg *m, struct rd *r)
{
	rd_skip(r, 2);		/* reserved */
	rd_u32(r, &m->accm_send);
	return rd_u32(r, &m->accm_recv);
}

/* ---- hiding, RFC 2661 4.3 ---- */

void
l2tp_chap_md5(uint8_t id, const char *secret, const uint8_t *chal,
    size_t chal_len, uint8_t out[16])
{
	MD5_CTX ctx;

	MD5Init(&ctx);
	MD5Update(&ctx, &id, 1);
	MD5Update(&ctx, (const uint8_t *)secret, strlen(secret));
	MD5Update(&ctx, chal, chal_len);
	MD5Final(out, &ctx);
}

/*
 * The keystream: b1 = MD5(attr, secret, RV); bi = MD5(secret, c(i-1))
 * where c(i-1) is the previous 16 octets of hidden (XORed) data.
 */
static void
hide_block(uint16_t attr, const char *secret, const uint8_t *rv, size_t rvlen,
    const uint8_t *prev_cipher, uint8_t out[16])
{
	MD5_CTX ctx;
	uint8_t a[2] = { (uint8_t)(attr >> 8), (uint8_t)attr };

	MD5Init(&ctx);
	if (prev_cipher == NULL) {
		MD5Update(&ctx, a, 2);
		MD5Update(&ctx, (const uint8_t *)secret, strlen(secret));
		MD5Update(&ctx, rv, rvlen);
	} else {
		MD5Update(&ctx, (const uint8_t *)secret, strlen(secret));
		MD5Update(&ctx, prev_cipher, 16);
	}
	MD5Final(out, &ctx);
}

int
l2tp_unhide(uint16_t attr, const char *secret, const uint8_t *rv, size_t rvlen,
    const uint8_t *in, size_t inlen, uint8_t *out, size_t outcap)
{
	uint8_t plain[1024], key[16];
	size_t i, j;
	uint16_t olen;

	if (inlen < 2 || inlen > sizeof(plain))
		return -1;
	for (i = 0; i < inlen; i += 16) {
		hide_block(attr, secret, rv, rvlen, i ? in + i - 16 : NULL, key);
		for (j = 0; j < 16 && i + j < inlen; j++)
			plain[i + j] = in[i + j] ^ key[j];
	}
	olen = (uint16_t)(plain[0] << 8 | plain[1]);
	if ((size_t)olen > inlen - 2 || olen > outcap)
		return -1;
	memcpy(out, plain + 2, olen);
	return olen;
}

size_t
l2tp_hide(uint16_t attr, const char *secret, const uint8_t *rv, size_t rvlen,
    const uint8_t *val, size_t vallen, uint8_t *out, size_t outcap)
{
	uint8_t key[16];
	size_t n = vallen + 2, i, j;

	if (n > outcap)
		return 0;
	out[0] = (uint8_t)(vallen >> 8);
	out[1] = (uint8_t)vallen;
	memcpy(out + 2, val, vallen);
	for (i = 0; i < n; i += 16) {
		hide_block(attr, secret, rv, rvlen, i ? out + i - 16 : NULL, key);
		for (j = 0; j < 16 && i + j < n; j++)
			out[i + j] ^= key[j];
	}
	return n;
}

/* ---- message parsing ---- */

/*
 * Walk the AVPs of a control message (RFC 2661 4.1).  Returns 0, or -1
 * for a malformed message (m->why says why).  Unknown mandatory AVPs are
 * noted in m->unknown_m for the caller to act on (4.2).
 */
int
parse_avps(struct msg *m, struct rd *r, const char *secret)
{
	int first = 1;

	memset(m, 0, sizeof(*m));
	m->unknown_m = -1;
	m->bad_avp = -1;
	while (r->left > 0) {
		uint16_t flags, vendor, attr, len;
		struct rd v;
		uint8_t plain[1024];
		int hidden;

		if (rd_u16(r, &flags) < 0 || rd_u16(r, &vendor) < 0 ||
		    rd_u16(r, &attr) < 0) {
			snprintf(m->why, sizeof(m->why), "truncated AVP header");
			return -1;
		}
		len = flags & AVP_LEN_MASK;
		if (len < AVP_HDR || rd_sub(r, len - AVP_HDR, &v) < 0) {
			snprintf(m->why, sizeof(m->why), "AVP %u length %u "
			    "outside 6..%zu", attr, len, r->left + AVP_HDR);
			return -1;
		}
		hidden = (flags & AVP_H) != 0;
		if (first && (vendor != 0 || attr != A_MESSAGE_TYPE || hidden)) {
			snprintf(m->why, sizeof(m->why), "first AVP is not a "
			    "clear Message Type");
			return -1;
		}
		/* Reserved bits set: treat as unrecognised (4.1). */
		if (vendor != 0 || attr > A_MAX || avps[attr].name == NULL ||
		    (flags & AVP_RESERVED)) {
			if ((flags & AVP_M) && m->unknown_m < 0)
				m->unknown_m = vendor ? 0x10000 | attr : attr;
			continue;
		}
		if (hidden) {
			int n;

			if (m->rv_len == 0 || secret == NULL || *secret == '\0') {
				snprintf(m->why, sizeof(m->why), "hidden %s "
				    "without %s", avps[attr].name,
				    m->rv_len == 0 ? "a Random Vector" :
				    "l2tp_secret");
				m->bad_avp = attr;
				return -1;
			}
			n = l2tp_unhide(attr, secret, m->rv, m->rv_len, v.p,
			    v.left, plain, sizeof(plain));
			if (n < 0) {
				snprintf(m->why, sizeof(m->why), "cannot unhide "
				    "%s (wrong secret?)", avps[attr].name);
				m->bad_avp = attr;
				return -1;
			}
			rd_init(&v, plain, (size_t)n);
			m->hidden = 1;
		}
		if (v.left < avps[attr].min || v.left > avps[attr].max) {
			snprintf(m->why, sizeof(m->why), "%s value length %zu "
			    "outside %u..%u", avps[attr].name, v.left,
			    avps[attr].min, avps[attr].max);
			m->bad_avp = attr;
			return -1;
		}
		if (attr == A_RANDOM_VECTOR) {
			m->rv_len = v.left < sizeof(m->rv) ? v.left : sizeof(m->rv);
			rd_bytes(&v, m->rv, m->rv_len);
		} else if (avps[attr].parse(m, &v) < 0) {
			snprintf(m->why, sizeof(m->why), "bad %s value",
			    avps[attr].name);
			m->bad_avp = attr;
			return -1;
		}
		if (first)
			m->mbit = (flags & AVP_M) != 0;
		first = 0;
		m->present |= BIT(attr);
	}
	if (first) {
		snprintf(m->why, sizeof(m->why), "no Message Type AVP");
		return -1;
	}
	return 0;
}

/* ---- building and sending ---- */

void
avp_hdr(struct wr *w, uint16_t attr, size_t vlen, int mandatory)
{
	wr_u16(w, (uint16_t)((mandatory ? AVP_M : 0) | (AVP_HDR + vlen)));
	wr_u16(w, 0);
	wr_u16(w, attr);
}

void
avp_u16(struct wr *w, uint16_t attr, uint16_t v, int m)
{
	avp_hdr(w, attr, 2, m);
	wr_u16(w, v);
}

void
avp_u32(struct wr *w, uint16_t attr, uint32_t v, int m)
{
	avp_hdr(w, attr, 4, m);
	wr_u32(w, v);
}

void
avp_bytes(struct wr *w, uint16_t attr, const void *p, size_t n, int m)
{
	avp_hdr(w, attr, n, m);
	wr_bytes(w, p, n);
}

void
avp_result(struct wr *w, uint16_t attr, uint16_t result, uint16_t error,
    const char *text)
{
	size_t tl = text ? strlen(text) : 0;

	if (tl > 200)
		tl = 200;
	avp_hdr(w, attr, 4 + tl, 1);
	wr_u16(w, result);
	wr_u16(w, error);
	wr_bytes(w, text, tl);
}

/* Start a control message: room for the 12-byte header, Message Type. */
void
msg_start(struct wr *w, uint8_t *buf, int type)
{
	wr_init(w, buf, MAXCTL);
	wr_reserve(w, 12);
	avp_u16(w, A_MESSAGE_TYPE, (uint16_t)type, 1);
}

void
put_header(uint8_t *p, uint16_t len, uint16_t tunnel, uint16_t session,
    uint16_t ns, uint16_t nr)
{
	struct wr w;

	wr_init(&w, p, 12);
	wr_u16(&w, L2TP_T | L2TP_L | L2TP_S | L2TP_VERSION);
	wr_u16(&w, len);
	wr_u16(&w, tunnel);
	wr_u16(&w, session);
	wr_u16(&w, ns);
	wr_u16(&w, nr);
}
