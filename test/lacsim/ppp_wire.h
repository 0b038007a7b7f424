/*
 * ppp_wire.h - lacsim's PPP wire format: the frame inside an L2TP data
 * message (RFC 1661 section 2, RFC 2661 3.1), the control-protocol packet
 * shared by LCP, IPCP, IPV6CP and CCP (RFC 1661 section 5), configuration
 * options (RFC 1661 section 6), PAP (RFC 1334 2.2) and CHAP-MD5
 * (RFC 1994 section 4).
 *
 * Like l2tp_wire.h this is an independent reading of the RFCs, stateless:
 * every function works on caller-supplied buffers through the checked
 * read cursor (struct rd) and the bounded writer (struct wr).
 */
#ifndef LACSIM_PPP_WIRE_H
#define LACSIM_PPP_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "l2tp_wire.h"

/* RFC 1661 section 2 and the companion RFCs: protocol numbers. */
#define PPP_ADDR		0xff	/* All-Stations */
#define PPP_CTRL		0x03	/* Unnumbered Information */
#define PPP_PROTO_IP		0x0021	/* RFC 1332 2.1 */
#define PPP_PROTO_IPV6		0x0057	/* RFC 5072 3 */
#define PPP_PROTO_IPCP		0x8021
#define PPP_PROTO_IPV6CP	0x8057
#define PPP_PROTO_CCP		0x80fd	/* RFC 1962 */
#define PPP_PROTO_LCP		0xc021
#define PPP_PROTO_PAP		0xc023
#define PPP_PROTO_CHAP		0xc223

#define PPP_HDR_LEN		4	/* FF 03 and a two-octet protocol */
#define PPP_MRU_DEFAULT		1500	/* RFC 1661 6.1 */
#define CP_HDR_LEN		4	/* Code, Identifier, Length */

/* RFC 1661 5: control-protocol codes (IPCP and IPV6CP use 1-7). */
enum cp_code {
	CP_CONF_REQ	= 1,
	CP_CONF_ACK	= 2,
	CP_CONF_NAK	= 3,
	CP_CONF_REJ	= 4,
	CP_TERM_REQ	= 5,
	CP_TERM_ACK	= 6,
	CP_CODE_REJ	= 7,
	CP_PROTO_REJ	= 8,
	CP_ECHO_REQ	= 9,
	CP_ECHO_REP	= 10,
	CP_DISC_REQ	= 11,
	CP_CODE_MAX	= 11
};

/* RFC 1661 6: LCP option types. */
#define LCP_OPT_MRU		1
#define LCP_OPT_AUTH		3
#define LCP_OPT_QUALITY		4
#define LCP_OPT_MAGIC		5
#define LCP_OPT_PFC		7
#define LCP_OPT_ACFC		8
#define LCP_OPT_TEST		0x7f	/* unassigned: --lcp-unknown-option */

/* RFC 1332 3, RFC 1877 1: IPCP option types. */
#define IPCP_OPT_ADDRS		1
#define IPCP_OPT_COMP		2
#define IPCP_OPT_ADDR		3
#define IPCP_OPT_DNS1		129
#define IPCP_OPT_NBNS1		130
#define IPCP_OPT_DNS2		131
#define IPCP_OPT_NBNS2		132

/* RFC 5072 4: IPV6CP option types. */
#define IPV6CP_OPT_IFID		1
#define IPV6CP_OPT_COMP		2
#define IPV6CP_IFID_LEN		8

/* RFC 1334 2.2 and RFC 1994 4: authentication codes. */
#define PAP_AUTH_REQ		1
#define PAP_AUTH_ACK		2
#define PAP_AUTH_NAK		3
#define CHAP_CHALLENGE		1
#define CHAP_RESPONSE		2
#define CHAP_SUCCESS		3
#define CHAP_FAILURE		4
#define CHAP_ALG_MD5		5	/* RFC 1994 3 */
#define CHAP_MD5_LEN		16

/* ---- the frame: address and control, protocol, information ---- */

struct ppp_frame {
	uint16_t	 proto;
	int		 has_ac;	/* FF 03 were present */
	int		 short_proto;	/* a one-octet (compressed) field */
	struct rd	 info;
};

/*
 * Parse the PPP frame the cursor covers (the payload of an L2TP data
 * message).  FF 03 are optional (ACFC, RFC 1661 6.6) and so is the high
 * octet of the protocol (PFC, 6.5).  Returns -1 with *why when no protocol
 * can be read; a protocol that breaks the rules of section 2 (even, or an
 * odd high octet) is returned as is: the caller treats it as unknown.
 */
int	 ppp_frame_parse(struct rd *, struct ppp_frame *, const char **why);
/* Whether a protocol number is well formed (RFC 1661 section 2). */
int	 ppp_proto_valid(uint16_t proto);
/* FF 03 and the protocol, uncompressed. */
void	 ppp_frame_begin(struct wr *, uint16_t proto);

/* ---- control-protocol packets, RFC 1661 5 ---- */

struct cp_pkt {
	uint8_t		 code;
	uint8_t		 id;
	uint16_t	 len;
	struct rd	 data;		/* cut to Length: the rest is padding */
};

/*
 * Parse a packet from an information field.  Length must be at least 4
 * and no more than the field (RFC 1661 5: a bad Length is discarded).
 */
int	 cp_parse(struct rd *, struct cp_pkt *, const char **why);
/* Start a packet; cp_end fills in its Length.  Returns its offset. */
size_t	 cp_begin(struct wr *, uint8_t code, uint8_t id);
int	 cp_end(struct wr *, size_t off);

/* ---- configuration options, RFC 1661 6 ---- */

struct cp_opt {
	uint8_t		 type;
	uint8_t		 len;		/* the whole option, type and length */
	const uint8_t	*raw;		/* the option as received */
	struct rd	 val;		/* its data */
};

/*
 * The next option of an options field.  Returns 1 with the option, 0 at
 * the end, -1 with *why when a Length is below 2 or runs past the field
 * (RFC 1661 6: the whole packet is then discarded).
 */
int	 cp_opt_next(struct rd *, struct cp_opt *, const char **why);
/* Check a whole options field without looking at the values. */
int	 cp_opts_check(const struct rd *, const char **why);
void	 cp_opt_put(struct wr *, uint8_t type, const void *, size_t);
void	 cp_opt_put_u16(struct wr *, uint8_t type, uint16_t);
void	 cp_opt_put_u32(struct wr *, uint8_t type, uint32_t);

const char	*ppp_proto_name(uint16_t);
const char	*cp_code_name(uint8_t);

/* ---- PAP, RFC 1334 2.2 ---- */

/* A whole Authenticate-Request packet: Peer-ID and Password, 0-255 each. */
int	 pap_build_request(struct wr *, uint8_t id, const void *peer_id,
	    size_t peer_id_len, const void *password, size_t password_len);
/*
 * The Message of an Authenticate-Ack or -Nak, as a C string (bytes after a
 * NUL are lost).  Returns -1 when Msg-Length runs past the packet.
 */
int	 pap_parse_reply(const struct cp_pkt *, char *msg, size_t cap,
	    const char **why);

/* ---- CHAP, RFC 1994 4 ---- */

struct chap_challenge {
	const uint8_t	*value;
	size_t		 value_len;
	const uint8_t	*name;
	size_t		 name_len;
};

/* Value-Size, Value and Name of a Challenge; Value-Size 0 is refused. */
int	 chap_parse_challenge(const struct cp_pkt *, struct chap_challenge *,
	    const char **why);
/* RFC 1994 4.1: MD5 over the Identifier, the secret and the challenge. */
void	 chap_md5(uint8_t id, const void *secret, size_t secret_len,
	    const uint8_t *chal, size_t chal_len, uint8_t out[CHAP_MD5_LEN]);
/* A whole Response packet: Value-Size 16, the hash, the Name. */
int	 chap_build_response(struct wr *, uint8_t id,
	    const uint8_t value[CHAP_MD5_LEN], const void *name,
	    size_t name_len);
/* The Message of a Success or Failure as a C string. */
void	 chap_parse_message(const struct cp_pkt *, char *msg, size_t cap);

/* ---- MS-CHAPv2, RFC 2759 ---- */

#define CHAP_ALG_MSCHAPV2	0x81	/* RFC 2759 2 */
#define MSCHAPV2_VALUE_LEN	49	/* RFC 2759 4 */

/*
 * The peer's side of RFC 2759: from the LNS's 16-octet challenge, our
 * Peer-Challenge, the name (a "DOMAIN\" prefix is left out of the
 * hash, 4) and the password (octets taken as Latin-1 characters), the
 * 49-octet Response Value and the "S=..." string the LNS's Success must
 * carry (8.7), NUL-terminated.
 */
void	 mschapv2_respond(const uint8_t auth_chal[16],
	    const uint8_t peer_chal[16], const char *name, size_t name_len,
	    const void *pw, size_t pw_len, uint8_t value[MSCHAPV2_VALUE_LEN],
	    char expect[43]);
/* A Response packet with any Value (MS-CHAPv2's is 49 octets). */
int	 chap_build_response_value(struct wr *, uint8_t id,
	    const uint8_t *value, size_t value_len, const void *name,
	    size_t name_len);

#endif /* LACSIM_PPP_WIRE_H */
