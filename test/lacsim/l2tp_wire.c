/*
 * l2tp_wire.c - RFC 2661 wire format for the LAC simulator.
 *
 * State: none.  Exports (l2tp_wire.h): the rd read cursor and wr writer,
 * header parse/check/build (3.1), the AVP and message tables (3.2, 4.4,
 * section 6 for the required AVPs), l2tp_msg_parse() for a whole control
 * message body (4.1, 4.2, 4.3, 7.1), AVP writers with optional hiding
 * (4.3) and the tunnel authentication response (4.4.3, 5.1.1).
 *
 * Written from the RFC text alone, independently of the daemon's l2tp.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <md5.h>

#include "l2tp_wire.h"

#define B(x)		((uint64_t)1 << (x))
#define AVP_LOOP_MAX	1024	/* a message of 6-byte AVPs has fewer */

/* ---- read cursor ---- */

void
rd_init(struct rd *r, const void *p, size_t len)
{
	r->p = p;
	r->left = len;
}

int
rd_u8(struct rd *r, uint8_t *v)
{
	if (r->left < 1)
		return -1;
	*v = r->p[0];
	r->p++;
	r->left--;
	return 0;
}

int
rd_u16(struct rd *r, uint16_t *v)
{
	if (r->left < 2)
		return -1;
	*v = (uint16_t)(r->p[0] << 8 | r->p[1]);
	r->p += 2;
	r->left -= 2;
	return 0;
}

int
rd_u32(struct rd *r, uint32_t *v)
{
	if (r->left < 4)
		return -1;
	*v = (uint32_t)r->p[0] << 24 | (uint32_t)r->p[1] << 16 |
	    (uint32_t)r->p[2] << 8 | (uint32_t)r->p[3];
	r->p += 4;
	r->left -= 4;
	return 0;
}

int
rd_bytes(struct rd *r, void *dst, size_t n)
{
	if (r->left < n)
		return -1;
	memcpy(dst, r->p, n);
	r->p += n;
	r->left -= n;
	return 0;
}

int
rd_skip(struct rd *r, size_t n)
{
	if (r->left < n)
		return -1;
	r->p += n;
	r->left -= n;
	return 0;
}

int
rd_sub(struct rd *r, size_t n, struct rd *sub)
{
	if (r->left < n)
		return -1;
	sub->p = r->p;
	sub->left = n;
	r->p += n;
	r->left -= n;
	return 0;
}

/* ---- writer ---- */

void
wr_init(struct wr *w, void *buf, size_t cap)
{
	w->buf = buf;
	w->len = 0;
	w->cap = cap;
	w->err = 0;
}

static int
wr_room(struct wr *w, size_t n)
{
	if (w->err || w->cap - w->len < n) {
		w->err = 1;
		return 0;
	}
	return 1;
}

void
wr_u8(struct wr *w, uint8_t v)
{
	if (!wr_room(w, 1))
		return;
	w->buf[w->len++] = v;
}

void
wr_u16(struct wr *w, uint16_t v)
{
	if (!wr_room(w, 2))
		return;
	w->buf[w->len++] = (uint8_t)(v >> 8);
	w->buf[w->len++] = (uint8_t)v;
}

void
wr_u32(struct wr *w, uint32_t v)
{
	wr_u16(w, (uint16_t)(v >> 16));
	wr_u16(w, (uint16_t)v);
}

void
wr_bytes(struct wr *w, const void *p, size_t n)
{
	if (n == 0 || !wr_room(w, n))
		return;
	memcpy(w->buf + w->len, p, n);
	w->len += n;
}

void
wr_patch_u16(struct wr *w, size_t off, uint16_t v)
{
	if (w->err || off > w->len || w->len - off < 2) {
		w->err = 1;
		return;
	}
	w->buf[off] = (uint8_t)(v >> 8);
	w->buf[off + 1] = (uint8_t)v;
}

/* ---- header, RFC 2661 3.1 ---- */

int
l2tp_hdr_parse(struct rd *r, struct l2tp_hdr *h, const char **why)
{
	size_t dgram_len = r->left;

	memset(h, 0, sizeof(*h));
	if (rd_u16(r, &h->bits) == -1)
		goto short_hdr;
	h->ver = h->bits & L2TP_HDR_VER_MASK;
	h->ctrl = !!(h->bits & L2TP_HDR_T);
	h->has_len = !!(h->bits & L2TP_HDR_L);
	h->has_seq = !!(h->bits & L2TP_HDR_S);
	h->has_off = !!(h->bits & L2TP_HDR_O);
	h->prio = !!(h->bits & L2TP_HDR_P);
	/* RFC 2661 3.1: an unknown Ver MUST be discarded (1 is L2F, 8.1). */
	if (h->ver != L2TP_VERSION) {
		*why = "version is not 2";
		return -1;
	}
	if (h->has_len && rd_u16(r, &h->length) == -1)
		goto short_hdr;
	if (rd_u16(r, &h->tid) == -1 || rd_u16(r, &h->sid) == -1)
		goto short_hdr;
	if (h->has_seq &&
	    (rd_u16(r, &h->ns) == -1 || rd_u16(r, &h->nr) == -1))
		goto short_hdr;
	if (h->has_off) {
		if (rd_u16(r, &h->off) == -1)
			goto short_hdr;
		if (rd_skip(r, h->off) == -1) {
			*why = "offset padding runs past the datagram";
			return -1;
		}
	}
	h->hdr_len = dgram_len - r->left;
	if (h->has_len) {
		/* STYLE 3: at least the header, at most what arrived. */
		if (h->length < h->hdr_len) {
			*why = "Length is shorter than the header";
			return -1;
		}
		if (h->length > dgram_len) {
			*why = "Length is beyond the datagram";
			return -1;
		}
		r->left = h->length - h->hdr_len;
	}
	return 0;

short_hdr:
	*why = "datagram shorter than its header";
	return -1;
}

int
l2tp_hdr_check_ctrl(const struct l2tp_hdr *h, size_t dgram_len,
    const char **why)
{
	/* RFC 2661 3.1: the MUSTs for control messages. */
	if (!h->has_len)
		*why = "control message without the L bit";
	else if (!h->has_seq)
		*why = "control message without the S bit";
	else if (h->has_off)
		*why = "control message with the O bit";
	else if (h->prio)
		*why = "control message with the P bit";
	else if (h->length != dgram_len)
		*why = "Length does not match the datagram";
	else
		return 0;
	return -1;
}

void
l2tp_ctrl_begin(struct wr *w, uint16_t tid, uint16_t sid, uint16_t ns,
    uint16_t nr)
{
	wr_u16(w, L2TP_HDR_T | L2TP_HDR_L | L2TP_HDR_S | L2TP_VERSION);
	wr_u16(w, 0);			/* Length, set by l2tp_ctrl_end */
	wr_u16(w, tid);
	wr_u16(w, sid);
	wr_u16(w, ns);
	wr_u16(w, nr);
}

int
l2tp_ctrl_end(struct wr *w)
{
	if (w->err || w->len > 0xffff)
		return -1;
	wr_patch_u16(w, 2, (uint16_t)w->len);
	return w->err ? -1 : 0;
}

int
l2tp_ctrl_set_nr(uint8_t *buf, size_t len, uint16_t nr)
{
	struct wr w;

	if (len < L2TP_CTRL_HDR_LEN)
		return -1;
	wr_init(&w, buf, len);
	w.len = len;
	wr_patch_u16(&w, 10, nr);
	return w.err ? -1 : 0;
}

/* ---- AVP value parsers ---- */

static void
copy_str(char *dst, size_t cap, struct rd *v)
{
	size_t n = v->left < cap - 1 ? v->left : cap - 1;

	if (rd_bytes(v, dst, n) == -1)
		n = 0;
	dst[n] = '\0';
}

static int
p_result(struct rd *v, struct l2tp_msg *m)
{
	if (rd_u16(v, &m->result) == -1)
		return -1;
	if (v->left == 0)
		return 0;
	/* 4.4.2: Length is 8, 10, or 10 plus the message; never 9. */
	if (rd_u16(v, &m->error) == -1)
		return -1;
	m->has_error = 1;
	copy_str(m->result_msg, sizeof(m->result_msg), v);
	return 0;
}

static int
p_proto_ver(struct rd *v, struct l2tp_msg *m)
{
	if (rd_u8(v, &m->proto_ver) == -1 || rd_u8(v, &m->proto_rev) == -1)
		return -1;
	return 0;
}

static int
p_framing_cap(struct rd *v, struct l2tp_msg *m)
{
	return rd_u32(v, &m->framing_cap);
}

static int
p_bearer_cap(struct rd *v, struct l2tp_msg *m)
{
	return rd_u32(v, &m->bearer_cap);
}

static int
p_firmware(struct rd *v, struct l2tp_msg *m)
{
	return rd_u16(v, &m->firmware);
}

static int
p_host_name(struct rd *v, struct l2tp_msg *m)
{
	copy_str(m->host_name, sizeof(m->host_name), v);
	return 0;
}

static int
p_vendor_name(struct rd *v, struct l2tp_msg *m)
{
	copy_str(m->vendor_name, sizeof(m->vendor_name), v);
	return 0;
}

static int
p_assigned_tid(struct rd *v, struct l2tp_msg *m)
{
	/* 4.4.3: a non-zero value. */
	if (rd_u16(v, &m->assigned_tid) == -1 || m->assigned_tid == 0)
		return -1;
	return 0;
}

static int
p_rws(struct rd *v, struct l2tp_msg *m)
{
	/* 5.8: a Receive Window Size of 0 is invalid. */
	if (rd_u16(v, &m->rws) == -1 || m->rws == 0)
		return -1;
	return 0;
}

static int
p_challenge(struct rd *v, struct l2tp_msg *m)
{
	m->challenge_len = v->left;
	return rd_bytes(v, m->challenge, v->left);
}

static int
p_q931(struct rd *v, struct l2tp_msg *m)
{
	if (rd_u16(v, &m->q931_cause) == -1 || rd_u8(v, &m->q931_msg) == -1)
		return -1;
	return 0;
}

static int
p_chal_response(struct rd *v, struct l2tp_msg *m)
{
	return rd_bytes(v, m->chal_response, sizeof(m->chal_response));
}

static int
p_assigned_sid(struct rd *v, struct l2tp_msg *m)
{
	/* 4.4.4: a non-zero value. */
	if (rd_u16(v, &m->assigned_sid) == -1 || m->assigned_sid == 0)
		return -1;
	return 0;
}

static int
p_call_serial(struct rd *v, struct l2tp_msg *m)
{
	return rd_u32(v, &m->call_serial);
}

static int
p_min_bps(struct rd *v, struct l2tp_msg *m)
{
	return rd_u32(v, &m->min_bps);
}

static int
p_max_bps(struct rd *v, struct l2tp_msg *m)
{
	return rd_u32(v, &m->max_bps);
}

static int
p_bearer_type(struct rd *v, struct l2tp_msg *m)
{
	return rd_u32(v, &m->bearer_type);
}

static int
p_framing_type(struct rd *v, struct l2tp_msg *m)
{
	return rd_u32(v, &m->framing_type);
}

static int
p_called(struct rd *v, struct l2tp_msg *m)
{
	copy_str(m->called, sizeof(m->called), v);
	return 0;
}

static int
p_calling(struct rd *v, struct l2tp_msg *m)
{
	copy_str(m->calling, sizeof(m->calling), v);
	return 0;
}

static int
p_sub_address(struct rd *v, struct l2tp_msg *m)
{
	copy_str(m->sub_address, sizeof(m->sub_address), v);
	return 0;
}

static int
p_tx_speed(struct rd *v, struct l2tp_msg *m)
{
	return rd_u32(v, &m->tx_speed);
}

static int
p_rx_speed(struct rd *v, struct l2tp_msg *m)
{
	return rd_u32(v, &m->rx_speed);
}

static int
p_phys_chan(struct rd *v, struct l2tp_msg *m)
{
	return rd_u32(v, &m->phys_chan);
}

static int
p_accm(struct rd *v, struct l2tp_msg *m)
{
	uint16_t rsvd;

	if (rd_u16(v, &rsvd) == -1 || rd_u32(v, &m->accm_send) == -1 ||
	    rd_u32(v, &m->accm_recv) == -1)
		return -1;
	return 0;
}

/*
 * RFC 2661 4.4: value lengths are before hiding; M and H rules as each
 * AVP's description states them.  The Message Type and Random Vector are
 * handled by the parser itself.
 */
#define V	L2TP_AVP_VAL_MAX
const struct avp_info l2tp_avp_table[L2TP_AVP_MAX + 1] = {
	[L2TP_AVP_MSG_TYPE] =	{ "Message Type", 2, 2, AVPF_M, NULL },
	[L2TP_AVP_RESULT_CODE] = { "Result Code", 2, V, AVPF_M, p_result },
	[L2TP_AVP_PROTO_VER] =	{ "Protocol Version", 2, 2, AVPF_M,
				  p_proto_ver },
	[L2TP_AVP_FRAMING_CAP] = { "Framing Capabilities", 4, 4,
				  AVPF_M | AVPF_HIDE, p_framing_cap },
	[L2TP_AVP_BEARER_CAP] =	{ "Bearer Capabilities", 4, 4,
				  AVPF_M | AVPF_HIDE, p_bearer_cap },
	[L2TP_AVP_TIE_BREAKER] = { "Tie Breaker", 8, 8, AVPF_NOT_M, NULL },
	[L2TP_AVP_FIRMWARE_REV] = { "Firmware Revision", 2, 2,
				  AVPF_NOT_M | AVPF_HIDE, p_firmware },
	[L2TP_AVP_HOST_NAME] =	{ "Host Name", 1, V, AVPF_M, p_host_name },
	[L2TP_AVP_VENDOR_NAME] = { "Vendor Name", 0, V,
				  AVPF_NOT_M | AVPF_HIDE, p_vendor_name },
	[L2TP_AVP_ASSIGNED_TID] = { "Assigned Tunnel ID", 2, 2,
				  AVPF_M | AVPF_HIDE, p_assigned_tid },
	[L2TP_AVP_RWS] =	{ "Receive Window Size", 2, 2, AVPF_M,
				  p_rws },
	[L2TP_AVP_CHALLENGE] =	{ "Challenge", 1, V, AVPF_M | AVPF_HIDE,
				  p_challenge },
	[L2TP_AVP_Q931_CAUSE] =	{ "Q.931 Cause Code", 3, V, AVPF_M,
				  p_q931 },
	[L2TP_AVP_CHAL_RESPONSE] = { "Challenge Response", 16, 16,
				  AVPF_M | AVPF_HIDE, p_chal_response },
	[L2TP_AVP_ASSIGNED_SID] = { "Assigned Session ID", 2, 2,
				  AVPF_M | AVPF_HIDE, p_assigned_sid },
	[L2TP_AVP_CALL_SERIAL] = { "Call Serial Number", 4, 4,
				  AVPF_M | AVPF_HIDE, p_call_serial },
	[L2TP_AVP_MIN_BPS] =	{ "Minimum BPS", 4, 4, AVPF_M | AVPF_HIDE,
				  p_min_bps },
	[L2TP_AVP_MAX_BPS] =	{ "Maximum BPS", 4, 4, AVPF_M | AVPF_HIDE,
				  p_max_bps },
	[L2TP_AVP_BEARER_TYPE] = { "Bearer Type", 4, 4, AVPF_M | AVPF_HIDE,
				  p_bearer_type },
	[L2TP_AVP_FRAMING_TYPE] = { "Framing Type", 4, 4,
				  AVPF_M | AVPF_HIDE, p_framing_type },
	[L2TP_AVP_CALLED_NUMBER] = { "Called Number", 0, V,
				  AVPF_M | AVPF_HIDE, p_called },
	[L2TP_AVP_CALLING_NUMBER] = { "Calling Number", 0, V,
				  AVPF_M | AVPF_HIDE, p_calling },
	[L2TP_AVP_SUB_ADDRESS] = { "Sub-Address", 0, V, AVPF_M | AVPF_HIDE,
				  p_sub_address },
	[L2TP_AVP_TX_SPEED] =	{ "(Tx) Connect Speed", 4, 4,
				  AVPF_M | AVPF_HIDE, p_tx_speed },
	[L2TP_AVP_PHYS_CHAN] =	{ "Physical Channel ID", 4, 4,
				  AVPF_NOT_M | AVPF_HIDE, p_phys_chan },
	[L2TP_AVP_INIT_RX_LCP] = { "Initial Received LCP CONFREQ", 0, V,
				  AVPF_NOT_M | AVPF_HIDE, NULL },
	[L2TP_AVP_LAST_TX_LCP] = { "Last Sent LCP CONFREQ", 0, V,
				  AVPF_NOT_M | AVPF_HIDE, NULL },
	[L2TP_AVP_LAST_RX_LCP] = { "Last Received LCP CONFREQ", 0, V,
				  AVPF_NOT_M | AVPF_HIDE, NULL },
	[L2TP_AVP_PROXY_TYPE] =	{ "Proxy Authen Type", 2, 2,
				  AVPF_NOT_M | AVPF_HIDE, NULL },
	[L2TP_AVP_PROXY_NAME] =	{ "Proxy Authen Name", 0, V,
				  AVPF_NOT_M | AVPF_HIDE, NULL },
	[L2TP_AVP_PROXY_CHAL] =	{ "Proxy Authen Challenge", 1, V,
				  AVPF_NOT_M | AVPF_HIDE, NULL },
	[L2TP_AVP_PROXY_ID] =	{ "Proxy Authen ID", 2, 2,
				  AVPF_NOT_M | AVPF_HIDE, NULL },
	[L2TP_AVP_PROXY_RESP] =	{ "Proxy Authen Response", 0, V,
				  AVPF_NOT_M | AVPF_HIDE, NULL },
	[L2TP_AVP_CALL_ERRORS] = { "Call Errors", 26, 26,
				  AVPF_M | AVPF_HIDE, NULL },
	[L2TP_AVP_ACCM] =	{ "ACCM", 10, 10, AVPF_M | AVPF_HIDE, p_accm },
	[L2TP_AVP_RANDOM_VECTOR] = { "Random Vector", 0, V,
				  AVPF_M | AVPF_MULTI, NULL },
	[L2TP_AVP_PRIV_GROUP] =	{ "Private Group ID", 0, V,
				  AVPF_NOT_M | AVPF_HIDE, NULL },
	[L2TP_AVP_RX_SPEED] =	{ "Rx Connect Speed", 4, 4,
				  AVPF_NOT_M | AVPF_HIDE, p_rx_speed },
	[L2TP_AVP_SEQ_REQUIRED] = { "Sequencing Required", 0, 0, AVPF_M,
				  NULL },
};
#undef V

/* RFC 2661 section 6: the AVPs each message MUST carry. */
static const struct {
	const char	*name;
	uint64_t	 required;
	int		 session;
} msg_table[L2TP_MSG_MAX + 1] = {
	[L2TP_SCCRQ] =	{ "SCCRQ", B(0) | B(2) | B(3) | B(7) | B(9), 0 },
	[L2TP_SCCRP] =	{ "SCCRP", B(0) | B(2) | B(3) | B(7) | B(9), 0 },
	[L2TP_SCCCN] =	{ "SCCCN", B(0), 0 },
	[L2TP_STOPCCN] = { "StopCCN", B(0) | B(1) | B(9), 0 },
	[L2TP_HELLO] =	{ "HELLO", B(0), 0 },
	[L2TP_OCRQ] =	{ "OCRQ", B(0) | B(14) | B(15) | B(16) | B(17) |
			  B(18) | B(19) | B(21), 1 },
	[L2TP_OCRP] =	{ "OCRP", B(0) | B(14), 1 },
	[L2TP_OCCN] =	{ "OCCN", B(0) | B(19) | B(24), 1 },
	[L2TP_ICRQ] =	{ "ICRQ", B(0) | B(14) | B(15), 1 },
	[L2TP_ICRP] =	{ "ICRP", B(0) | B(14), 1 },
	[L2TP_ICCN] =	{ "ICCN", B(0) | B(19) | B(24), 1 },
	[L2TP_CDN] =	{ "CDN", B(0) | B(1) | B(14), 1 },
	[L2TP_WEN] =	{ "WEN", B(0) | B(34), 1 },
	[L2TP_SLI] =	{ "SLI", B(0) | B(35), 1 },
};

const char *
l2tp_avp_name(uint16_t type)
{
	if (type > L2TP_AVP_MAX || l2tp_avp_table[type].name == NULL)
		return NULL;
	return l2tp_avp_table[type].name;
}

const char *
l2tp_msg_name(uint16_t type)
{
	if (type > L2TP_MSG_MAX)
		return NULL;
	return msg_table[type].name;
}

uint64_t
l2tp_msg_required(uint16_t type)
{
	if (type > L2TP_MSG_MAX)
		return 0;
	return msg_table[type].required;
}

int
l2tp_msg_is_session(uint16_t type)
{
	if (type > L2TP_MSG_MAX)
		return 0;
	return msg_table[type].session;
}

/* ---- message parse ---- */

static void viol(struct l2tp_msg *, const char *, ...)
    __attribute__((format(printf, 2, 3)));
static int fail(struct l2tp_msg *, uint16_t, const char *, ...)
    __attribute__((format(printf, 3, 4)));

static void
viol(struct l2tp_msg *m, const char *fmt, ...)
{
	va_list ap;

	if (m->nviol >= L2TP_VIOL_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(m->viol[m->nviol++], L2TP_VIOL_LEN, fmt, ap);
	va_end(ap);
}

static int
fail(struct l2tp_msg *m, uint16_t error, const char *fmt, ...)
{
	va_list ap;

	m->fail_result = L2TP_STOP_GENERAL;	/* same value for CDN */
	m->fail_error = error;
	va_start(ap, fmt);
	vsnprintf(m->why, sizeof(m->why), fmt, ap);
	va_end(ap);
	return -1;
}

/*
 * Decode one hidden value (RFC 2661 4.3) into clear[], leaving *val on
 * the original value.  Returns NULL or the reason it cannot be decoded.
 */
static const char *
unhide_value(uint16_t type, struct rd *val, const uint8_t *secret,
    size_t secret_len, const struct rd *rv, uint8_t *clear)
{
	struct rd sub;
	uint16_t olen;
	size_t n = val->left;

	if (secret == NULL)
		return "hidden but no shared secret is configured";
	if (rv->p == NULL)
		return "hidden with no Random Vector before it";
	if (rd_bytes(val, clear, n) == -1)
		return "truncated";
	l2tp_unhide(type, secret, secret_len, rv->p, rv->left, clear, n);
	rd_init(&sub, clear, n);
	if (rd_u16(&sub, &olen) == -1)
		return "hidden subformat shorter than its length field";
	if (olen > sub.left)
		return "hidden length beyond the value (wrong secret?)";
	sub.left = olen;
	*val = sub;
	return NULL;
}

int
l2tp_msg_parse(struct rd *r, const uint8_t *secret, size_t secret_len,
    struct l2tp_msg *m)
{
	uint8_t clear[L2TP_AVP_VAL_MAX];
	struct rd rv = { NULL, 0 }, val;
	const struct avp_info *ai;
	const char *err, *name;
	uint16_t bits, len, vendor, type;
	uint64_t missing;
	int n, mbit;

	memset(m, 0, sizeof(*m));
	if (r->left == 0) {
		m->zlb = 1;
		return 0;
	}
	for (n = 0; r->left > 0; n++) {
		if (n >= AVP_LOOP_MAX)
			return fail(m, L2TP_ERR_LENGTH, "too many AVPs");
		if (rd_u16(r, &bits) == -1 || rd_u16(r, &vendor) == -1 ||
		    rd_u16(r, &type) == -1)
			return fail(m, L2TP_ERR_LENGTH,
			    "AVP header runs past the message");
		len = bits & L2TP_AVP_LEN_MASK;
		/* 4.1: the minimum Length is 6. */
		if (len < L2TP_AVP_HDR_LEN)
			return fail(m, L2TP_ERR_LENGTH,
			    "AVP type %u Length %u is below 6", type, len);
		if (rd_sub(r, len - L2TP_AVP_HDR_LEN, &val) == -1)
			return fail(m, L2TP_ERR_LENGTH,
			    "AVP type %u Length %u runs past the message",
			    type, len);
		mbit = !!(bits & L2TP_AVP_M);

		/* 4.4.1: Message Type first, never hidden, Length 8. */
		if (n == 0) {
			if (vendor != 0 || type != L2TP_AVP_MSG_TYPE)
				return fail(m, L2TP_ERR_RANGE,
				    "first AVP is not Message Type "
				    "(vendor %u type %u)", vendor, type);
			if (bits & L2TP_AVP_H)
				return fail(m, L2TP_ERR_RANGE,
				    "Message Type AVP is hidden");
			if (rd_u16(&val, &m->type) == -1 || val.left != 0)
				return fail(m, L2TP_ERR_LENGTH,
				    "Message Type AVP Length %u is not 8",
				    len);
			m->type_m = mbit;
			m->seen |= B(L2TP_AVP_MSG_TYPE);
			if (l2tp_msg_name(m->type) != NULL && !mbit)
				viol(m, "Message Type AVP without the M bit");
			continue;
		}

		/* 4.1: reserved bits or an unknown type: unrecognized. */
		name = vendor == 0 ? l2tp_avp_name(type) : NULL;
		if (name == NULL || (bits & L2TP_AVP_RSVD) != 0) {
			if (mbit)
				return fail(m, L2TP_ERR_UNKNOWN_M,
				    "unknown mandatory AVP vendor %u type %u%s",
				    vendor, type, (bits & L2TP_AVP_RSVD) ?
				    " (reserved bits set)" : "");
			m->unknown++;
			continue;
		}
		ai = &l2tp_avp_table[type];
		if (type == L2TP_AVP_MSG_TYPE)
			return fail(m, L2TP_ERR_RANGE,
			    "second Message Type AVP");
		if ((ai->flags & AVPF_M) && !mbit)
			viol(m, "%s AVP without the M bit", name);
		if ((ai->flags & AVPF_NOT_M) && mbit)
			viol(m, "%s AVP with the M bit", name);

		if (bits & L2TP_AVP_H) {
			err = NULL;
			if (!(ai->flags & AVPF_HIDE))
				err = "MUST NOT be hidden";
			else
				err = unhide_value(type, &val, secret,
				    secret_len, &rv, clear);
			if (err != NULL) {
				/* 7.1: the M bit decides if it is fatal. */
				if (mbit)
					return fail(m, L2TP_ERR_VENDOR,
					    "%s AVP %s", name, err);
				viol(m, "%s AVP %s; ignored", name, err);
				continue;
			}
			m->hidden++;
		}

		if (val.left < ai->min || val.left > ai->max) {
			if (mbit)
				return fail(m, L2TP_ERR_LENGTH,
				    "%s AVP value of %zu bytes is out of "
				    "range", name, val.left);
			viol(m, "%s AVP value of %zu bytes is out of range; "
			    "ignored", name, val.left);
			continue;
		}
		if ((m->seen & B(type)) && !(ai->flags & AVPF_MULTI))
			viol(m, "%s AVP appears more than once", name);
		m->seen |= B(type);

		/* 4.3: a hidden AVP uses the closest Random Vector before. */
		if (type == L2TP_AVP_RANDOM_VECTOR) {
			rv = val;
			continue;
		}
		if (ai->parse != NULL && ai->parse(&val, m) == -1) {
			if (mbit)
				return fail(m, L2TP_ERR_RANGE,
				    "%s AVP value is malformed", name);
			viol(m, "%s AVP value is malformed; ignored", name);
			m->seen &= ~B(type);
		}
	}

	missing = l2tp_msg_required(m->type) & ~m->seen;
	for (type = 0; missing != 0 && type <= L2TP_AVP_MAX; type++)
		if (missing & B(type))
			return fail(m, L2TP_ERR_VENDOR, "%s without a %s AVP",
			    l2tp_msg_name(m->type), l2tp_avp_name(type));
	return 0;
}

/* ---- AVP writing ---- */

void
avp_put_raw(struct wr *w, uint16_t bits, uint16_t vendor, uint16_t type,
    const void *val, size_t len)
{
	if (len > L2TP_AVP_VAL_MAX) {
		w->err = 1;
		return;
	}
	wr_u16(w, (uint16_t)((bits & ~L2TP_AVP_LEN_MASK) |
	    (L2TP_AVP_HDR_LEN + len)));
	wr_u16(w, vendor);
	wr_u16(w, type);
	wr_bytes(w, val, len);
}

static void
avp_put_hidden(struct l2tp_builder *b, uint16_t bits, uint16_t type,
    const void *val, size_t len)
{
	uint8_t sub[L2TP_AVP_VAL_MAX], pad[64];
	struct wr sw;
	size_t npad = 0, n = 2 + len;

	/* 4.3: the Random Vector precedes the first hidden AVP. */
	if (!b->rv_sent) {
		avp_put_raw(&b->w, L2TP_AVP_M, 0, L2TP_AVP_RANDOM_VECTOR,
		    b->rv, sizeof(b->rv));
		b->rv_sent = 1;
	}
	if (b->pad_to > 1 && b->pad_to <= sizeof(pad))
		npad = (b->pad_to - n % b->pad_to) % b->pad_to;
	if (n + npad > sizeof(sub))
		npad = 0;
	memset(pad, 0, sizeof(pad));
	if (npad > 0 && b->fill != NULL)
		b->fill(pad, npad);
	wr_init(&sw, sub, sizeof(sub));
	wr_u16(&sw, (uint16_t)len);
	wr_bytes(&sw, val, len);
	wr_bytes(&sw, pad, npad);
	if (sw.err) {
		b->w.err = 1;
		return;
	}
	l2tp_hide(type, b->secret, b->secret_len, b->rv, sizeof(b->rv),
	    sub, sw.len);
	avp_put_raw(&b->w, bits | L2TP_AVP_H, 0, type, sub, sw.len);
}

void
avp_put(struct l2tp_builder *b, uint16_t type, const void *val, size_t len)
{
	const struct avp_info *ai = NULL;
	uint16_t bits = 0;

	if (type <= L2TP_AVP_MAX && l2tp_avp_table[type].name != NULL)
		ai = &l2tp_avp_table[type];
	if (ai != NULL && (ai->flags & AVPF_M))
		bits |= L2TP_AVP_M;
	if (b->hide && b->secret != NULL && ai != NULL &&
	    (ai->flags & AVPF_HIDE)) {
		avp_put_hidden(b, bits, type, val, len);
		return;
	}
	avp_put_raw(&b->w, bits, 0, type, val, len);
}

void
avp_put_u16(struct l2tp_builder *b, uint16_t type, uint16_t v)
{
	uint8_t buf[2];
	struct wr w;

	wr_init(&w, buf, sizeof(buf));
	wr_u16(&w, v);
	avp_put(b, type, buf, w.len);
}

void
avp_put_u32(struct l2tp_builder *b, uint16_t type, uint32_t v)
{
	uint8_t buf[4];
	struct wr w;

	wr_init(&w, buf, sizeof(buf));
	wr_u32(&w, v);
	avp_put(b, type, buf, w.len);
}

/* ---- RFC 2661 4.3 and 4.4.3 ---- */

/*
 * b1 = MD5(attribute type + secret + RV), bi = MD5(secret + c(i-1));
 * c(i) = p(i) xor b(i), a short last segment xored over its own length.
 */
void
l2tp_hide(uint16_t type, const uint8_t *secret, size_t secret_len,
    const uint8_t *rv, size_t rv_len, uint8_t *buf, size_t len)
{
	uint8_t digest[MD5_DIGEST_LENGTH], attr[2];
	MD5_CTX ctx;
	size_t off, i, n;

	attr[0] = (uint8_t)(type >> 8);
	attr[1] = (uint8_t)type;
	MD5Init(&ctx);
	MD5Update(&ctx, attr, sizeof(attr));
	MD5Update(&ctx, secret, secret_len);
	MD5Update(&ctx, rv, rv_len);
	MD5Final(digest, &ctx);
	for (off = 0; off < len; off += MD5_DIGEST_LENGTH) {
		n = len - off < MD5_DIGEST_LENGTH ? len - off :
		    MD5_DIGEST_LENGTH;
		for (i = 0; i < n; i++)
			buf[off + i] ^= digest[i];
		if (off + n < len) {
			MD5Init(&ctx);
			MD5Update(&ctx, secret, secret_len);
			MD5Update(&ctx, buf + off, n);
			MD5Final(digest, &ctx);
		}
	}
}

/* The same chain run backwards: each hash is over the ciphertext. */
void
l2tp_unhide(uint16_t type, const uint8_t *secret, size_t secret_len,
    const uint8_t *rv, size_t rv_len, uint8_t *buf, size_t len)
{
	uint8_t digest[MD5_DIGEST_LENGTH], next[MD5_DIGEST_LENGTH], attr[2];
	MD5_CTX ctx;
	size_t off, i, n;

	attr[0] = (uint8_t)(type >> 8);
	attr[1] = (uint8_t)type;
	MD5Init(&ctx);
	MD5Update(&ctx, attr, sizeof(attr));
	MD5Update(&ctx, secret, secret_len);
	MD5Update(&ctx, rv, rv_len);
	MD5Final(digest, &ctx);
	for (off = 0; off < len; off += MD5_DIGEST_LENGTH) {
		n = len - off < MD5_DIGEST_LENGTH ? len - off :
		    MD5_DIGEST_LENGTH;
		if (off + n < len) {
			MD5Init(&ctx);
			MD5Update(&ctx, secret, secret_len);
			MD5Update(&ctx, buf + off, n);
			MD5Final(next, &ctx);
		}
		for (i = 0; i < n; i++)
			buf[off + i] ^= digest[i];
		if (off + n < len)
			memcpy(digest, next, sizeof(digest));
	}
}

void
l2tp_chal_response(uint8_t msg_type, const uint8_t *secret,
    size_t secret_len, const uint8_t *chal, size_t chal_len,
    uint8_t out[L2TP_CHAL_RESP_LEN])
{
	MD5_CTX ctx;

	/* RFC 1994 style: Identifier, secret, challenge. */
	MD5Init(&ctx);
	MD5Update(&ctx, &msg_type, 1);
	MD5Update(&ctx, secret, secret_len);
	MD5Update(&ctx, chal, chal_len);
	MD5Final(out, &ctx);
}
