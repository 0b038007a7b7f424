/*
 * l2tp_wire.h - lacsim's own encoder and decoder for RFC 2661 control
 * messages: the checked read cursor, a bounded writer, the header, the AVP
 * table, hidden AVPs (4.3) and the tunnel authentication response (4.4.3,
 * 5.1.1).
 *
 * This is an independent reading of the RFC written for the LAC simulator;
 * it shares nothing with the daemon's sources on purpose, so that the two
 * meet only on the wire.  Nothing here does I/O or keeps state: every
 * function works on caller-supplied buffers, which is what lets the unit
 * tests drive it directly.
 */
#ifndef LACSIM_L2TP_WIRE_H
#define LACSIM_L2TP_WIRE_H

#include <stddef.h>
#include <stdint.h>

/* RFC 2661 3.1: header bits in the first 16-bit word. */
#define L2TP_HDR_T		0x8000	/* control message */
#define L2TP_HDR_L		0x4000	/* length present */
#define L2TP_HDR_S		0x0800	/* Ns, Nr present */
#define L2TP_HDR_O		0x0200	/* offset size present */
#define L2TP_HDR_P		0x0100	/* priority */
#define L2TP_HDR_VER_MASK	0x000f
#define L2TP_VERSION		2
#define L2TP_CTRL_HDR_LEN	12	/* T, L and S set, no offset */
#define L2TP_PORT		1701

/* RFC 2661 4.1: AVP header. */
#define L2TP_AVP_M		0x8000
#define L2TP_AVP_H		0x4000
#define L2TP_AVP_RSVD		0x3c00
#define L2TP_AVP_LEN_MASK	0x03ff
#define L2TP_AVP_HDR_LEN	6
#define L2TP_AVP_VAL_MAX	(L2TP_AVP_LEN_MASK - L2TP_AVP_HDR_LEN)

/* RFC 2661 3.2: control message types. */
enum l2tp_msg_type {
	L2TP_ZLB	= 0,	/* reserved value; used here for a ZLB ack */
	L2TP_SCCRQ	= 1,
	L2TP_SCCRP	= 2,
	L2TP_SCCCN	= 3,
	L2TP_STOPCCN	= 4,
	L2TP_HELLO	= 6,
	L2TP_OCRQ	= 7,
	L2TP_OCRP	= 8,
	L2TP_OCCN	= 9,
	L2TP_ICRQ	= 10,
	L2TP_ICRP	= 11,
	L2TP_ICCN	= 12,
	L2TP_CDN	= 14,
	L2TP_WEN	= 15,
	L2TP_SLI	= 16,
	L2TP_MSG_MAX	= 16
};

/* RFC 2661 4.4: attribute types, vendor 0. */
enum l2tp_avp_type {
	L2TP_AVP_MSG_TYPE	= 0,
	L2TP_AVP_RESULT_CODE	= 1,
	L2TP_AVP_PROTO_VER	= 2,
	L2TP_AVP_FRAMING_CAP	= 3,
	L2TP_AVP_BEARER_CAP	= 4,
	L2TP_AVP_TIE_BREAKER	= 5,
	L2TP_AVP_FIRMWARE_REV	= 6,
	L2TP_AVP_HOST_NAME	= 7,
	L2TP_AVP_VENDOR_NAME	= 8,
	L2TP_AVP_ASSIGNED_TID	= 9,
	L2TP_AVP_RWS		= 10,
	L2TP_AVP_CHALLENGE	= 11,
	L2TP_AVP_Q931_CAUSE	= 12,
	L2TP_AVP_CHAL_RESPONSE	= 13,
	L2TP_AVP_ASSIGNED_SID	= 14,
	L2TP_AVP_CALL_SERIAL	= 15,
	L2TP_AVP_MIN_BPS	= 16,
	L2TP_AVP_MAX_BPS	= 17,
	L2TP_AVP_BEARER_TYPE	= 18,
	L2TP_AVP_FRAMING_TYPE	= 19,
	L2TP_AVP_CALLED_NUMBER	= 21,
	L2TP_AVP_CALLING_NUMBER	= 22,
	L2TP_AVP_SUB_ADDRESS	= 23,
	L2TP_AVP_TX_SPEED	= 24,
	L2TP_AVP_PHYS_CHAN	= 25,
	L2TP_AVP_INIT_RX_LCP	= 26,
	L2TP_AVP_LAST_TX_LCP	= 27,
	L2TP_AVP_LAST_RX_LCP	= 28,
	L2TP_AVP_PROXY_TYPE	= 29,
	L2TP_AVP_PROXY_NAME	= 30,
	L2TP_AVP_PROXY_CHAL	= 31,
	L2TP_AVP_PROXY_ID	= 32,
	L2TP_AVP_PROXY_RESP	= 33,
	L2TP_AVP_CALL_ERRORS	= 34,
	L2TP_AVP_ACCM		= 35,
	L2TP_AVP_RANDOM_VECTOR	= 36,
	L2TP_AVP_PRIV_GROUP	= 37,
	L2TP_AVP_RX_SPEED	= 38,
	L2TP_AVP_SEQ_REQUIRED	= 39,
	L2TP_AVP_MAX		= 39
};

/* RFC 2661 4.4.2: StopCCN and CDN result codes, general error codes. */
#define L2TP_STOP_CLEAR		1
#define L2TP_STOP_GENERAL	2
#define L2TP_STOP_NOT_AUTH	4
#define L2TP_STOP_FSM		7
#define L2TP_CDN_CARRIER	1
#define L2TP_CDN_GENERAL	2
#define L2TP_CDN_ADMIN		3
#define L2TP_ERR_NONE		0
#define L2TP_ERR_LENGTH		2
#define L2TP_ERR_RANGE		3
#define L2TP_ERR_VENDOR		6
#define L2TP_ERR_UNKNOWN_M	8

/* Framing and bearer bit masks, 4.4.3 and 4.4.4. */
#define L2TP_FRAMING_SYNC	0x00000001
#define L2TP_FRAMING_ASYNC	0x00000002
#define L2TP_BEARER_DIGITAL	0x00000001
#define L2TP_BEARER_ANALOG	0x00000002

#define L2TP_CHAL_RESP_LEN	16

/* ---- checked read cursor (STYLE 2) ---- */

struct rd {
	const uint8_t	*p;
	size_t		 left;
};

void	 rd_init(struct rd *, const void *, size_t);
int	 rd_u8(struct rd *, uint8_t *);
int	 rd_u16(struct rd *, uint16_t *);
int	 rd_u32(struct rd *, uint32_t *);
int	 rd_bytes(struct rd *, void *, size_t);
int	 rd_skip(struct rd *, size_t);
/* Split the next n bytes off into their own cursor. */
int	 rd_sub(struct rd *, size_t, struct rd *);

/* ---- bounded writer: failures stick in err and are checked once ---- */

struct wr {
	uint8_t		*buf;
	size_t		 len;
	size_t		 cap;
	int		 err;
};

void	 wr_init(struct wr *, void *, size_t);
void	 wr_u8(struct wr *, uint8_t);
void	 wr_u16(struct wr *, uint16_t);
void	 wr_u32(struct wr *, uint32_t);
void	 wr_bytes(struct wr *, const void *, size_t);
/* Overwrite two bytes already written, at offset off. */
void	 wr_patch_u16(struct wr *, size_t off, uint16_t);

/* ---- header, RFC 2661 3.1 ---- */

struct l2tp_hdr {
	uint16_t	 bits;		/* first word as received */
	uint8_t		 ver;
	int		 ctrl;		/* T */
	int		 has_len;	/* L */
	int		 has_seq;	/* S */
	int		 has_off;	/* O */
	int		 prio;		/* P */
	uint16_t	 length;	/* when has_len */
	uint16_t	 tid;
	uint16_t	 sid;
	uint16_t	 ns;		/* when has_seq */
	uint16_t	 nr;
	uint16_t	 off;		/* when has_off */
	size_t		 hdr_len;	/* bytes up to the payload */
};

/*
 * Parse the header of the datagram the cursor covers.  On success the
 * cursor is left on the payload, cut to the Length field when there is
 * one.  Returns -1 with *why set when the datagram cannot be an L2TP
 * packet at all (short, unknown version, Length out of range).
 */
int	 l2tp_hdr_parse(struct rd *, struct l2tp_hdr *, const char **why);
/*
 * The extra rules for control messages (T, L, S set; O, P clear; Length
 * equal to the datagram).  Returns -1 with *why on the first breach.
 */
int	 l2tp_hdr_check_ctrl(const struct l2tp_hdr *, size_t dgram_len,
	    const char **why);

/* Start a control message; l2tp_ctrl_end fills in the Length. */
void	 l2tp_ctrl_begin(struct wr *, uint16_t tid, uint16_t sid,
	    uint16_t ns, uint16_t nr);
int	 l2tp_ctrl_end(struct wr *);
/* Rewrite Nr of a built control message, for a retransmission (5.8). */
int	 l2tp_ctrl_set_nr(uint8_t *, size_t, uint16_t nr);

/* ---- AVP table (STYLE 4) ---- */

#define AVPF_M		0x01	/* the M bit MUST be 1 */
#define AVPF_NOT_M	0x02	/* the M bit MUST be 0 */
#define AVPF_HIDE	0x04	/* the value may be hidden */
#define AVPF_MULTI	0x08	/* may appear more than once */

struct l2tp_msg;

struct avp_info {
	const char	*name;
	uint16_t	 min;		/* value length bounds, before hiding */
	uint16_t	 max;
	uint8_t		 flags;
	int		(*parse)(struct rd *, struct l2tp_msg *);
};

extern const struct avp_info	 l2tp_avp_table[L2TP_AVP_MAX + 1];

const char	*l2tp_avp_name(uint16_t type);
const char	*l2tp_msg_name(uint16_t type);
/* Bit mask of the AVPs RFC 2661 section 6 requires in a message type. */
uint64_t	 l2tp_msg_required(uint16_t type);
/* Whether a message type belongs to a session rather than the tunnel. */
int		 l2tp_msg_is_session(uint16_t type);

/* ---- parsed control message ---- */

#define L2TP_NAME_MAX	256
#define L2TP_VIOL_MAX	8
#define L2TP_VIOL_LEN	128

struct l2tp_msg {
	uint16_t	 type;
	int		 type_m;	/* M bit of the Message Type AVP */
	int		 zlb;
	uint64_t	 seen;		/* bit per attribute type seen */
	int		 hidden;	/* number of hidden AVPs decoded */
	int		 unknown;	/* ignored non-mandatory AVPs */

	uint8_t		 proto_ver, proto_rev;
	uint32_t	 framing_cap, bearer_cap;
	uint16_t	 firmware;
	char		 host_name[L2TP_NAME_MAX];
	char		 vendor_name[L2TP_NAME_MAX];
	uint16_t	 assigned_tid, assigned_sid;
	uint16_t	 rws;
	uint8_t		 challenge[L2TP_AVP_VAL_MAX];
	size_t		 challenge_len;
	uint8_t		 chal_response[L2TP_CHAL_RESP_LEN];
	uint16_t	 result, error;
	int		 has_error;
	char		 result_msg[L2TP_NAME_MAX];
	uint16_t	 q931_cause;
	uint8_t		 q931_msg;
	uint32_t	 call_serial, min_bps, max_bps, bearer_type;
	uint32_t	 framing_type, tx_speed, rx_speed, phys_chan;
	char		 called[L2TP_NAME_MAX], calling[L2TP_NAME_MAX];
	char		 sub_address[L2TP_NAME_MAX];
	uint32_t	 accm_send, accm_recv;

	/* Diagnostics: breaches that did not stop the parse. */
	int		 nviol;
	char		 viol[L2TP_VIOL_MAX][L2TP_VIOL_LEN];
	/* Fatal error: the result and error code to send and why. */
	uint16_t	 fail_result;
	uint16_t	 fail_error;
	char		 why[L2TP_VIOL_LEN];
};

/*
 * Parse the AVPs of a control message body (the cursor l2tp_hdr_parse
 * left).  secret may be NULL when none is configured.  Returns 0 when the
 * message can be acted on (m->viol lists lesser breaches) and -1 when it
 * cannot (m->why, m->fail_result and m->fail_error say why and what the
 * RFC makes us answer).
 */
int	 l2tp_msg_parse(struct rd *, const uint8_t *secret, size_t secret_len,
	    struct l2tp_msg *);

/* ---- AVP writing ---- */

#define L2TP_RV_LEN	16

/*
 * A control message under construction.  With hide set, every AVP the
 * table marks hideable is hidden under rv; the Random Vector AVP goes out
 * before the first of them.  fill supplies the random padding.
 */
struct l2tp_builder {
	struct wr	 w;
	int		 hide;
	const uint8_t	*secret;
	size_t		 secret_len;
	uint8_t		 rv[L2TP_RV_LEN];
	int		 rv_sent;
	size_t		 pad_to;	/* pad the hidden subformat to this */
	void		(*fill)(void *, size_t);
};

void	 avp_put(struct l2tp_builder *, uint16_t type, const void *, size_t);
void	 avp_put_u16(struct l2tp_builder *, uint16_t type, uint16_t);
void	 avp_put_u32(struct l2tp_builder *, uint16_t type, uint32_t);
/* An AVP written as given, M and H bits included; for tests. */
void	 avp_put_raw(struct wr *, uint16_t bits, uint16_t vendor,
	    uint16_t type, const void *, size_t);

/* ---- RFC 2661 4.3 hiding and 4.4.3 challenge response ---- */

/*
 * Encrypt or decrypt in place a Hidden AVP Subformat of len bytes for
 * attribute type, with the shared secret and random vector.
 */
void	 l2tp_hide(uint16_t type, const uint8_t *secret, size_t secret_len,
	    const uint8_t *rv, size_t rv_len, uint8_t *, size_t len);
void	 l2tp_unhide(uint16_t type, const uint8_t *secret, size_t secret_len,
	    const uint8_t *rv, size_t rv_len, uint8_t *, size_t len);
/*
 * The Challenge Response: MD5 over the Message Type of the message that
 * carries it (one octet, as the CHAP Identifier), the secret and the
 * challenge.
 */
void	 l2tp_chal_response(uint8_t msg_type, const uint8_t *secret,
	    size_t secret_len, const uint8_t *chal, size_t chal_len,
	    uint8_t out[L2TP_CHAL_RESP_LEN]);

#endif /* LACSIM_L2TP_WIRE_H */
