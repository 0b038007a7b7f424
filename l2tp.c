/*
 * l2tp.c - the LNS side of the L2TPv2 control plane (RFC 2661).
 *
 * State owned:
 *   - the UDP socket (bind_address:l2tp_port);
 *   - per tunnel, the reliable control channel (RFC 2661 5.8): Ns/Nr,
 *     the queue of unacknowledged messages, the out-of-order receive
 *     slots, and the retransmit / hello / teardown timers (struct tctl,
 *     process-local, indexed by tunnel index);
 *   - per session, the call state and the proxy LCP/authentication AVPs
 *     (struct sctl, process-local).
 * The display state (ids, peer, host name, counts) lives in the shared
 * tables of tables.c.
 *
 * Implements: header (3.1), AVP format and M bit (4.1, 4.2), hidden AVPs
 * (4.3), the AVPs of 4.4, tunnel authentication (5.1.1), reliable
 * delivery (5.8), the control messages of section 6 and the LNS side of
 * the state machines of section 7 for incoming calls.  Outgoing calls
 * (OCRQ) are refused: l2tpns only terminates calls.
 *
 * Input is triaged by l2tp_input() (header, tunnel lookup, sequence
 * numbers) and each message goes to one recv_*() handler.  Every
 * rejected datagram leaves through a counted drop reason.
 */
#include <errno.h>
#include <md5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "l2tp.h"
#include "dataplane.h"
#include "event.h"
#include "log.h"
#include "rd.h"
#include "util.h"

#define MAXCTL		1400	/* largest control message we build */
#define OUR_RWS		8	/* receive window we advertise */
#define RTX_FIRST_MS	1000	/* RFC 2661 5.8: recommended 1 s */
#define RTX_CAP_MS	8000	/* cap, no less than 8 s (5.8) */
#define DIE_HOLD_MS	31000	/* keep state a full retransmission cycle */
#define CHALLENGE_LEN	16
#define RECENT_IDS	1024	/* freed tunnel ids not reused soon */
#define DROP_LOGS_PER_SEC 20	/* log lines for dropped datagrams */

/* A queued control message, kept until the peer acknowledges it. */
struct qmsg {
	struct qmsg	*next;
	uint16_t	 ns;
	uint16_t	 len;
	uint8_t		 sent;
	uint8_t		 data[];
};

struct tctl {
	uint16_t	 ns;		/* Ns of the next message we queue */
	uint16_t	 nr;		/* Ns we expect next from the peer */
	uint16_t	 peer_rws;	/* peer's Receive Window Size */
	struct qmsg	*q_head, *q_tail;
	int		 tries;		/* transmissions of the oldest message */
	uint64_t	 rtx_ms;	/* current backoff */
	uint8_t		*ooo[OUR_RWS];	/* out-of-order messages, by Ns */
	uint16_t	 ooo_len[OUR_RWS];
	struct timer	 rtx;
	struct timer	 hello;
	struct timer	 die;
	uint8_t		 challenge[CHALLENGE_LEN];	/* ours, in SCCRP */
	int		 challenged;
	int		 sent_since_rx;	/* a reply carried our Nr */
	sid_t		 sessions;	/* first session on this tunnel */
	uint64_t	 last_rx_ms;
	int		 stopping;	/* StopCCN sent or received */
	int		 peer_hides;	/* the LAC hides AVPs: so do we */
};

enum call_state { CALL_IDLE = 0, CALL_WAIT_CONNECT, CALL_ESTABLISHED };

struct sctl {
	enum call_state	 state;
	sid_t		 next, prev;	/* sessions of the same tunnel */
	uint32_t	 serial;
	struct l2tp_proxy *proxy;	/* only when the LAC sent proxy AVPs */
};

/* One parsed control message. */
struct msg {
	int		 type;
	int		 mbit;			/* M bit of Message Type */
	uint64_t	 present;		/* bit per attribute seen */
	int		 unknown_m;		/* unknown mandatory attr, or -1 */
	int		 bad_avp;		/* malformed AVP attr, or -1 */
	char		 why[128];		/* why bad_avp */
	uint16_t	 result, error;
	char		 errmsg[128];
	uint16_t	 proto_ver;
	uint16_t	 firmware;
	uint32_t	 framing_cap, bearer_cap, framing_type, bearer_type;
	uint32_t	 tx_speed, rx_speed, serial, min_bps, max_bps;
	uint16_t	 tunnel_id, session_id, rws;
	char		 host[MAXHOST], vendor[MAXHOST];
	char		 called[MAXCALLING], calling[MAXCALLING];
	char		 sub_address[MAXCALLING];
	uint8_t		 challenge[64];
	size_t		 chal_len;
	uint8_t		 chal_resp[16];
	uint8_t		 tie[8];
	uint8_t		 rv[64];
	size_t		 rv_len;
	struct l2tp_proxy proxy;
	int		 have_proxy;
	int		 hidden;		/* some AVP was hidden */
	uint32_t	 call_errors[6];
	uint32_t	 accm_send, accm_recv;
};

struct avp_def {
	const char	*name;
	uint16_t	 min, max;	/* value length bounds (after unhiding) */
	int		(*parse)(struct msg *, struct rd *);
};

static int udp_fd = -1;
static struct tctl **tctl;
static struct sctl *sctl;
static uint16_t recent_ids[RECENT_IDS];
static unsigned recent_pos;

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

#define BIT(a)	(1ULL << (a))

/* Attributes each message MUST carry (RFC 2661 section 6). */
static const uint64_t required[M_MAX + 1] = {
	[M_SCCRQ] = BIT(A_PROTOCOL_VERSION) | BIT(A_HOST_NAME) |
	    BIT(A_FRAMING_CAP) | BIT(A_ASSIGNED_TUNNEL),
	[M_SCCCN] = 0,
	[M_STOPCCN] = BIT(A_ASSIGNED_TUNNEL) | BIT(A_RESULT_CODE),
	[M_HELLO] = 0,
	[M_ICRQ] = BIT(A_ASSIGNED_SESSION) | BIT(A_CALL_SERIAL),
	[M_ICCN] = BIT(A_TX_SPEED) | BIT(A_FRAMING_TYPE),
	[M_CDN] = BIT(A_RESULT_CODE) | BIT(A_ASSIGNED_SESSION),
	[M_WEN] = BIT(A_CALL_ERRORS),
	[M_SLI] = BIT(A_ACCM),
	[M_OCRQ] = BIT(A_ASSIGNED_SESSION) | BIT(A_CALL_SERIAL),
};

/* Messages about one call rather than the whole tunnel (RFC 2661 4.2). */
static int
is_session_msg(int type)
{
	return type == M_ICRQ || type == M_ICRP || type == M_ICCN ||
	    type == M_CDN || type == M_WEN || type == M_SLI ||
	    type == M_OCRQ || type == M_OCRP || type == M_OCCN;
}

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

/* ---- counters ---- */

enum drop {
	D_SHORT, D_VERSION, D_LENGTH, D_CTL_FLAGS, D_NO_TUNNEL, D_BAD_PEER,
	D_FIRST_NOT_SCCRQ, D_DUPLICATE, D_OUT_OF_WINDOW, D_AVP, D_DATA_NO_SESSION,
	D_DYING, D_NO_RESOURCES, D_MAX
};
static const char *drop_names[D_MAX] = {
	"short", "version", "length", "control flags", "no tunnel",
	"wrong peer", "first message not SCCRQ", "duplicate",
	"outside window", "bad AVP", "data for unknown session",
	"tunnel closing", "no resources",
};

static void
drop(enum drop why, const struct sockaddr_in *from, tid_t t)
{
	/* Peers cause these: a flood costs counters, not log writes. */
	static struct log_rl rl = LOG_RL(DROP_LOGS_PER_SEC,
	    "L2TP datagrams dropped");
	char a[INET_ADDRSTRLEN];

	stats->l2tp_drops[why]++;
	if (log_level < LOG_WARN_L || !log_rl_ok(&rl, time_now))
		return;
	inet_ntop(AF_INET, &from->sin_addr, a, sizeof(a));
	LOG(LOG_WARN_L, 0, t, "dropped L2TP datagram from %s:%u: %s", a,
	    ntohs(from->sin_port), drop_names[why]);
}

const char *
l2tp_drop_name(int i)
{
	return i >= 0 && i < D_MAX ? drop_names[i] : NULL;
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
static int
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

static void
avp_hdr(struct wr *w, uint16_t attr, size_t vlen, int mandatory)
{
	wr_u16(w, (uint16_t)((mandatory ? AVP_M : 0) | (AVP_HDR + vlen)));
	wr_u16(w, 0);
	wr_u16(w, attr);
}

static void
avp_u16(struct wr *w, uint16_t attr, uint16_t v, int m)
{
	avp_hdr(w, attr, 2, m);
	wr_u16(w, v);
}

static void
avp_u32(struct wr *w, uint16_t attr, uint32_t v, int m)
{
	avp_hdr(w, attr, 4, m);
	wr_u32(w, v);
}

static void
avp_bytes(struct wr *w, uint16_t attr, const void *p, size_t n, int m)
{
	avp_hdr(w, attr, n, m);
	wr_bytes(w, p, n);
}

static void
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
static void
msg_start(struct wr *w, uint8_t *buf, int type)
{
	wr_init(w, buf, MAXCTL);
	wr_reserve(w, 12);
	avp_u16(w, A_MESSAGE_TYPE, (uint16_t)type, 1);
}

static void
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

static void
udp_send(const struct sockaddr_in *to, const uint8_t *p, size_t len, tid_t t)
{
	if (sendto(udp_fd, p, len, 0, (const struct sockaddr *)to,
	    sizeof(*to)) < 0) {
		stats->l2tp_tx_errors++;
		LOG(LOG_ERROR_L, 0, t, "sendto LAC: %s", strerror(errno));
		return;
	}
	stats->l2tp_ctrl_tx++;
	if (log_level >= LOG_PACKET_L)
		log_hex(LOG_PACKET_L, 0, t, "L2TP control tx", p, len);
}

/*
 * Data messages (RFC 2661 3.1): no Length, no sequence numbers, the PPP
 * frame with its address and control octets (FF 03) after the header,
 * prepended in place.  dataplane.c batches and sends them.
 */
uint8_t *
l2tp_data_header(sid_t s, uint8_t *p, size_t len,
    const struct sockaddr_in **to)
{
	struct session *sp = session_get(s);
	struct tunnel *tp;
	uint8_t *h = p - L2TP_DATA_HEADROOM;

	if (sp == NULL || sp->state == SESSION_FREE || udp_fd < 0)
		return NULL;
	tp = tunnel_get(sp->tunnel);
	h[0] = 0x00;
	h[1] = L2TP_VERSION;
	h[2] = (uint8_t)(tp->far_id >> 8);
	h[3] = (uint8_t)tp->far_id;
	h[4] = (uint8_t)(sp->far_id >> 8);
	h[5] = (uint8_t)sp->far_id;
	h[6] = 0xff;
	h[7] = 0x03;
	if (log_level >= LOG_PACKET_L)
		log_hex(LOG_PACKET_L, s, sp->tunnel, "L2TP data tx", h,
		    len + L2TP_DATA_HEADROOM);
	*to = &tp->peer;
	return h;
}

int
l2tp_data_fd(void)
{
	return udp_fd;
}

static void send_window(tid_t);
static void tunnel_clear(tid_t, const char *why);

static void
send_zlb(tid_t t)
{
	struct tunnel *tp = tunnel_get(t);
	struct tctl *c = tctl[t];
	uint8_t p[12];

	put_header(p, 12, tp->far_id, 0, c->ns, c->nr);
	udp_send(&tp->peer, p, 12, t);
	stats->l2tp_zlb_tx++;
	c->sent_since_rx = 1;
}

/*
 * Queue a built message (Ns assigned now) and send what the peer's
 * window allows.  `session` is the peer's session id for the header.
 */
static int
ctl_queue(tid_t t, struct wr *w, uint16_t session, int type)
{
	struct tunnel *tp = tunnel_get(t);
	struct tctl *c = tctl[t];
	struct qmsg *q;

	if (w->err) {
		LOG(LOG_ERROR_L, 0, t, "%s too large to build",
		    l2tp_msg_name(type));
		return -1;
	}
	if ((q = malloc(sizeof(*q) + w->len)) == NULL) {
		LOG(LOG_ERROR_L, 0, t, "out of memory queueing %s",
		    l2tp_msg_name(type));
		return -1;
	}
	q->next = NULL;
	q->ns = c->ns++;
	q->len = (uint16_t)w->len;
	q->sent = 0;
	memcpy(q->data, w->p, w->len);
	put_header(q->data, q->len, tp->far_id, session, q->ns, 0);
	if (c->q_tail)
		c->q_tail->next = q;
	else
		c->q_head = q;
	c->q_tail = q;
	LOG(LOG_INFO_L, 0, t, "send %s Ns=%u", l2tp_msg_name(type), q->ns);
	send_window(t);
	return 0;
}

static int
seq_lt(uint16_t a, uint16_t b)
{
	return (int16_t)(a - b) < 0;
}

/* Send queued messages that fit in the peer's receive window. */
static void
send_window(tid_t t)
{
	struct tunnel *tp = tunnel_get(t);
	struct tctl *c = tctl[t];
	struct qmsg *q;
	uint16_t first;

	if (c->q_head == NULL)
		return;
	first = c->q_head->ns;
	for (q = c->q_head; q; q = q->next) {
		if ((uint16_t)(q->ns - first) >= c->peer_rws)
			break;
		if (q->sent)
			continue;
		/* Nr is current at every transmission (5.8). */
		wr_put16_at(&(struct wr){ q->data, q->len, q->len, 0 }, 10, c->nr);
		udp_send(&tp->peer, q->data, q->len, t);
		q->sent = 1;
		c->sent_since_rx = 1;
	}
	if (!timer_pending(&c->rtx)) {
		c->tries = 1;
		c->rtx_ms = RTX_FIRST_MS;
		timer_set(&c->rtx, c->rtx_ms);
	}
}

static void
rtx_fire(struct timer *tm, void *arg)
{
	tid_t t = (tid_t)(uintptr_t)arg;
	struct tunnel *tp = tunnel_get(t);
	struct tctl *c = tctl[t];
	struct qmsg *q;
	uint16_t first;

	(void)tm;
	if (c->q_head == NULL)
		return;
	if (c->tries >= config->l2tp_max_retries) {
		/*
		 * RFC 2661 5.8: no response after several tries (5 by
		 * default, and it SHOULD be configurable): clear.
		 */
		LOG(LOG_ERROR_L, 0, t, "peer %s did not acknowledge Ns=%u after "
		    "%d tries: clearing tunnel", tp->hostname, c->q_head->ns,
		    c->tries);
		stats->l2tp_rtx_timeouts++;
		tunnel_clear(t, "no acknowledgement");
		return;
	}
	first = c->q_head->ns;
	for (q = c->q_head; q; q = q->next) {
		if ((uint16_t)(q->ns - first) >= c->peer_rws || !q->sent)
			break;
		wr_put16_at(&(struct wr){ q->data, q->len, q->len, 0 }, 10, c->nr);
		udp_send(&tp->peer, q->data, q->len, t);
		stats->l2tp_retransmits++;
	}
	LOG(LOG_WARN_L, 0, t, "retransmitted from Ns=%u (try %d)", first,
	    c->tries + 1);
	c->tries++;
	c->rtx_ms *= 2;
	if (c->rtx_ms > RTX_CAP_MS)
		c->rtx_ms = RTX_CAP_MS;
	timer_set(&c->rtx, c->rtx_ms);
}

/* Peer acknowledged everything before nr. */
static void
ctl_ack(tid_t t, uint16_t nr)
{
	struct tctl *c = tctl[t];
	struct qmsg *q;
	int freed = 0;

	while ((q = c->q_head) != NULL && seq_lt(q->ns, nr) && q->sent) {
		c->q_head = q->next;
		free(q);
		freed++;
	}
	if (c->q_head == NULL)
		c->q_tail = NULL;
	if (!freed)
		return;
	timer_cancel(&c->rtx);
	if (c->q_head) {
		send_window(t);
	} else if (c->stopping && main_quit == 2) {
		/* Shutting down: our StopCCN was acknowledged. */
		tunnel_clear(t, "StopCCN acknowledged");
	}
}

/* ---- tunnels ---- */

static void hello_fire(struct timer *, void *);
static void die_fire(struct timer *, void *);

static uint16_t
new_tunnel_id(void)
{
	uint16_t id;
	unsigned i;

	for (;;) {
		id = random_u16_nonzero();
		if (tunnel_by_wire(id) != 0)
			continue;
		for (i = 0; i < RECENT_IDS; i++)
			if (recent_ids[i] == id)
				break;
		if (i == RECENT_IDS)
			return id;
	}
}

static tid_t
tunnel_new(const struct sockaddr_in *from, const struct msg *m)
{
	struct tunnel *tp;
	struct tctl *c;
	tid_t t;

	if ((t = tunnel_alloc()) == 0)
		return 0;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		tunnel_release(t);
		return 0;
	}
	tp = tunnel_get(t);
	tp->far_id = m->tunnel_id;
	tp->peer = *from;
	tp->opened = time_now;
	tp->last_rx = time_now;
	snprintf(tp->hostname, sizeof(tp->hostname), "%s", m->host);
	snprintf(tp->vendor, sizeof(tp->vendor), "%s", m->vendor);
	tp->firmware = m->firmware;
	if (m->present & BIT(A_TIE_BREAKER)) {
		memcpy(tp->tie_breaker, m->tie, sizeof(tp->tie_breaker));
		tp->have_tie_breaker = 1;
	}
	tp->framing_cap = m->framing_cap;
	tp->bearer_cap = m->bearer_cap;
	if (tunnel_bind_wire(t, new_tunnel_id()) < 0 ||
	    tunnel_bind_peer(t, from->sin_addr.s_addr, from->sin_port,
	    m->tunnel_id) < 0) {
		free(c);
		tunnel_release(t);
		return 0;
	}
	c->peer_rws = (m->present & BIT(A_RECV_WINDOW)) ? m->rws : 4;
	tp->peer_rws = c->peer_rws;
	c->last_rx_ms = now_ms;
	timer_init(&c->rtx, rtx_fire, (void *)(uintptr_t)t);
	timer_init(&c->hello, hello_fire, (void *)(uintptr_t)t);
	timer_init(&c->die, die_fire, (void *)(uintptr_t)t);
	tctl[t] = c;
	stats->tunnels_created++;
	return t;
}

static void session_free(sid_t, const char *why);

static void
tunnel_clear(tid_t t, const char *why)
{
	struct tunnel *tp = tunnel_get(t);
	struct tctl *c = tctl[t];
	struct qmsg *q;
	char a[INET_ADDRSTRLEN];
	int i;

	if (c == NULL)
		return;
	while (c->sessions)
		session_free(c->sessions, "tunnel cleared");
	inet_ntop(AF_INET, &tp->peer.sin_addr, a, sizeof(a));
	LOG(LOG_WARN_L, 0, t, "tunnel to %s (%s) cleared: %s", tp->hostname, a,
	    why);
	timer_cancel(&c->rtx);
	timer_cancel(&c->hello);
	timer_cancel(&c->die);
	while ((q = c->q_head) != NULL) {
		c->q_head = q->next;
		free(q);
	}
	for (i = 0; i < OUR_RWS; i++)
		free(c->ooo[i]);
	free(c);
	tctl[t] = NULL;
	recent_ids[recent_pos++ % RECENT_IDS] = tp->local_id;
	tunnel_unbind_peer(t);
	tunnel_release(t);
	stats->tunnels_cleared++;
}

static void
die_fire(struct timer *tm, void *arg)
{
	(void)tm;
	tunnel_clear((tid_t)(uintptr_t)arg, "closed");
}

/* Enter the closing state: keep acking for a full cycle, then free. */
static void
tunnel_dying(tid_t t)
{
	struct tctl *c = tctl[t];

	c->stopping = 1;
	tunnel_get(t)->state = TUNNEL_DYING;
	timer_cancel(&c->hello);
	while (c->sessions)
		session_free(c->sessions, "tunnel closing");
	if (!timer_pending(&c->die))
		timer_set(&c->die, DIE_HOLD_MS);
}

static void
send_stopccn(tid_t t, int result, int error, const char *text)
{
	struct tunnel *tp = tunnel_get(t);
	uint8_t buf[MAXCTL];
	struct wr w;

	msg_start(&w, buf, M_STOPCCN);
	avp_u16(&w, A_ASSIGNED_TUNNEL, tp->local_id, 1);
	avp_result(&w, A_RESULT_CODE, (uint16_t)result, (uint16_t)error, text);
	LOG(LOG_WARN_L, 0, t, "closing tunnel to %s: StopCCN result %d error "
	    "%d: %s", tp->hostname, result, error, text ? text : "");
	ctl_queue(t, &w, 0, M_STOPCCN);
	tunnel_dying(t);
}

/*
 * Close a tunnel from our side (drop tunnel, QUIT): a CDN for each call,
 * then the StopCCN, all on the reliable channel so they go in order.
 */
int
l2tp_tunnel_close(tid_t t, int result, int error, const char *text)
{
	struct tunnel *tp = tunnel_get(t);

	if (tp == NULL || tp->state == TUNNEL_FREE || tctl[t] == NULL)
		return -1;
	if (tctl[t]->stopping)
		return 0;
	while (tctl[t]->sessions)
		l2tp_session_close(tctl[t]->sessions, CDN_ADMIN, 0, text);
	send_stopccn(t, result, error, text);
	return 0;
}

void
l2tp_shutdown_all(void)
{
	tid_t t;

	for (t = 1; t <= tables->max_tunnels; t++) {
		if (tctl == NULL || tctl[t] == NULL)
			continue;
		if (tctl[t]->stopping) {
			if (tctl[t]->q_head == NULL)
				tunnel_clear(t, "shutdown");
			continue;
		}
		l2tp_tunnel_close(t, STOP_SHUTDOWN, 0, "LNS shutting down");
	}
}

/*
 * HELLO keepalive (RFC 2661 6.5) after hello_interval of silence, and
 * dead-peer detection: a peer silent for dead_peer_hellos intervals is
 * cleared without waiting for retransmissions (beyond the original).
 */
static void
hello_fire(struct timer *tm, void *arg)
{
	tid_t t = (tid_t)(uintptr_t)arg;
	struct tctl *c = tctl[t];
	uint64_t ivl = (uint64_t)config->hello_interval * 1000;
	uint64_t silent = now_ms - c->last_rx_ms;
	uint8_t buf[MAXCTL];
	struct wr w;

	(void)tm;
	if (ivl == 0)
		return;
	if (config->dead_peer_hellos > 0 &&
	    silent >= ivl * (uint64_t)config->dead_peer_hellos) {
		stats->l2tp_dead_peers++;
		LOG(LOG_ERROR_L, 0, t, "peer %s silent for %llu s (%d hello "
		    "intervals): dead peer, clearing tunnel",
		    tunnel_get(t)->hostname, (unsigned long long)silent / 1000,
		    config->dead_peer_hellos);
		tunnel_clear(t, "dead peer");
		return;
	}
	if (silent >= ivl && c->q_head == NULL &&
	    !config->disable_sending_hello) {
		msg_start(&w, buf, M_HELLO);
		ctl_queue(t, &w, 0, M_HELLO);
	}
	timer_set_at(tm, (silent >= ivl ? now_ms : c->last_rx_ms) + ivl);
}

/* ---- sessions ---- */

static void
session_link(tid_t t, sid_t s)
{
	struct tctl *c = tctl[t];

	sctl[s].prev = 0;
	sctl[s].next = c->sessions;
	if (c->sessions)
		sctl[c->sessions].prev = s;
	c->sessions = s;
	tunnel_get(t)->sessions++;
}

static void
session_free(sid_t s, const char *why)
{
	struct session *sp = session_get(s);
	tid_t t = sp->tunnel;
	struct tctl *c = tctl[t];

	LOG(LOG_INFO_L, s, t, "session %s closed: %s",
	    sp->user[0] ? sp->user : "(no user)", why);
	ppp_session_end(s);
	if (sctl[s].prev)
		sctl[sctl[s].prev].next = sctl[s].next;
	else if (c)
		c->sessions = sctl[s].next;
	if (sctl[s].next)
		sctl[sctl[s].next].prev = sctl[s].prev;
	free(sctl[s].proxy);
	memset(&sctl[s], 0, sizeof(sctl[s]));
	if (tunnel_get(t)->sessions)
		tunnel_get(t)->sessions--;
	session_release(s);
	stats->sessions_cleared++;
}

static void
send_cdn(tid_t t, uint16_t our_sid, uint16_t far_sid, int result, int error,
    const char *text)
{
	uint8_t buf[MAXCTL];
	struct wr w;

	msg_start(&w, buf, M_CDN);
	avp_result(&w, A_RESULT_CODE, (uint16_t)result, (uint16_t)error, text);
	avp_u16(&w, A_ASSIGNED_SESSION, our_sid, 1);
	ctl_queue(t, &w, far_sid, M_CDN);
}

int
l2tp_session_close(sid_t s, int result, int error, const char *text)
{
	struct session *sp = session_get(s);

	if (sp == NULL || sp->state == SESSION_FREE)
		return -1;
	LOG(LOG_INFO_L, s, sp->tunnel, "sending CDN result %d: %s", result,
	    text ? text : "");
	send_cdn(sp->tunnel, sp->local_id, sp->far_id, result, error, text);
	session_free(s, text ? text : "closed");
	return 0;
}

const struct l2tp_proxy *
l2tp_session_proxy(sid_t s)
{
	if (session_get(s) == NULL)
		return NULL;
	return sctl[s].proxy;
}

/* ---- message handlers ---- */

/*
 * Refuse an SCCRQ without a tunnel slot: one StopCCN, not retransmitted
 * (there is no state to retransmit from); the LAC's own retransmission
 * of its SCCRQ gets the same answer.
 */
static void
refuse_sccrq(const struct sockaddr_in *from, const struct msg *m, int result,
    int error, const char *text)
{
	uint8_t buf[MAXCTL];
	struct wr w;

	msg_start(&w, buf, M_STOPCCN);
	avp_u16(&w, A_ASSIGNED_TUNNEL, 0, 1);
	avp_result(&w, A_RESULT_CODE, (uint16_t)result, (uint16_t)error, text);
	if (w.err)
		return;
	put_header(buf, (uint16_t)w.len, m->tunnel_id, 0, 0, 1);
	udp_send(from, buf, w.len, 0);
}

static void
recv_sccrq(const struct sockaddr_in *from, struct msg *m)
{
	uint8_t buf[MAXCTL], resp[16];
	struct wr w;
	tid_t t;
	int secret = config->l2tp_secret[0] != '\0';

	if ((t = tunnel_new(from, m)) == 0) {
		stats->l2tp_drops[D_NO_RESOURCES]++;
		LOG(LOG_ERROR_L, 0, 0, "no free tunnel for SCCRQ from %s "
		    "(%u in use): refused", m->host, tables->tunnels_used);
		refuse_sccrq(from, m, STOP_ERROR, ERR_NO_RESOURCES,
		    "no free tunnel");
		return;
	}
	tctl[t]->nr = 1;	/* the SCCRQ was Ns 0 */
	tctl[t]->last_rx_ms = now_ms;
	LOG(LOG_INFO_L, 0, t, "SCCRQ from %s (vendor \"%s\", firmware %#x), "
	    "peer tunnel %u, window %u%s", m->host, m->vendor, m->firmware,
	    m->tunnel_id, tctl[t]->peer_rws,
	    (m->present & BIT(A_CHALLENGE)) ? ", with challenge" : "");

	if (main_quit) {
		send_stopccn(t, STOP_SHUTDOWN, 0, "LNS shutting down");
		return;
	}
	/* RFC 2661 4.4.3: Protocol Version 1, Revision 0. */
	if (m->proto_ver != 0x0100) {
		send_stopccn(t, STOP_BAD_VERSION, 0,
		    "only protocol version 1.0 is supported");
		return;
	}
	/* 5.1.1: a challenge we cannot answer disallows the tunnel. */
	if ((m->present & BIT(A_CHALLENGE)) && !secret) {
		send_stopccn(t, STOP_NOT_AUTHORIZED, 0,
		    "challenge received but no l2tp_secret configured");
		return;
	}

	msg_start(&w, buf, M_SCCRP);
	avp_u16(&w, A_PROTOCOL_VERSION, 0x0100, 1);
	avp_u32(&w, A_FRAMING_CAP, 0x3, 1);	/* sync and async */
	avp_bytes(&w, A_HOST_NAME, config->hostname, strlen(config->hostname),
	    1);
	avp_bytes(&w, A_VENDOR_NAME, "l2tpns", 6, 0);
	avp_u16(&w, A_FIRMWARE, 0x0300, 0);
	avp_u16(&w, A_ASSIGNED_TUNNEL, tunnel_get(t)->local_id, 1);
	avp_u16(&w, A_RECV_WINDOW, OUR_RWS, 1);
	if (m->present & BIT(A_CHALLENGE)) {
		l2tp_chap_md5(M_SCCRP, config->l2tp_secret, m->challenge,
		    m->chal_len, resp);
		avp_bytes(&w, A_CHALLENGE_RESP, resp, 16, 1);
	}
	if (secret) {
		/* We authenticate the LAC too (5.1.1), unlike the original. */
		random_bytes(tctl[t]->challenge, CHALLENGE_LEN);
		tctl[t]->challenged = 1;
		avp_bytes(&w, A_CHALLENGE, tctl[t]->challenge, CHALLENGE_LEN, 1);
	}
	ctl_queue(t, &w, 0, M_SCCRP);
}

static void
recv_scccn(tid_t t, struct msg *m)
{
	struct tunnel *tp = tunnel_get(t);
	struct tctl *c = tctl[t];
	uint8_t want[16];

	/* RFC 2661 7.2.1: SCCCN only in wait-ctl-conn; else result 7. */
	if (tp->state != TUNNEL_OPENING) {
		send_stopccn(t, STOP_FSM_ERROR, 0, "SCCCN on an open tunnel");
		return;
	}
	if (c->challenged) {
		l2tp_chap_md5(M_SCCCN, config->l2tp_secret, c->challenge,
		    CHALLENGE_LEN, want);
		if (!(m->present & BIT(A_CHALLENGE_RESP)) ||
		    memcmp(want, m->chal_resp, 16) != 0) {
			stats->l2tp_auth_failures++;
			send_stopccn(t, STOP_NOT_AUTHORIZED, 0,
			    (m->present & BIT(A_CHALLENGE_RESP)) ?
			    "challenge response does not match l2tp_secret" :
			    "no challenge response");
			return;
		}
	}
	tp->state = TUNNEL_OPEN;
	LOG(LOG_WARN_L, 0, t, "tunnel up with %s, local id %u, peer id %u%s",
	    tp->hostname, tp->local_id, tp->far_id,
	    c->challenged ? ", authenticated" : "");
	if (config->hello_interval > 0)
		timer_set(&c->hello, (uint64_t)config->hello_interval * 1000);
}

static void
recv_stopccn(tid_t t, struct msg *m)
{
	LOG(LOG_WARN_L, 0, t, "StopCCN from %s: result %u error %u \"%s\"",
	    tunnel_get(t)->hostname, m->result, m->error, m->errmsg);
	/* Acknowledged by the ZLB the caller sends; hold state, then free. */
	tunnel_dying(t);
	if (main_quit == 2)
		timer_set(&tctl[t]->die, 0);
}

static uint16_t
new_session_id(tid_t t)
{
	uint16_t id;

	do
		id = random_u16_nonzero();
	while (session_by_wire(t, id) != 0);
	return id;
}

static void
recv_icrq(tid_t t, struct msg *m)
{
	uint8_t buf[MAXCTL];
	struct session *sp;
	struct wr w;
	sid_t s;

	/* RFC 2661 7.2.1: calls only on an established tunnel. */
	if (tunnel_get(t)->state != TUNNEL_OPEN) {
		send_stopccn(t, STOP_FSM_ERROR, 0, "ICRQ before SCCCN");
		return;
	}
	if (main_quit) {
		send_cdn(t, 0, m->session_id, CDN_NO_FACILITIES_TEMP, 0,
		    "LNS shutting down");
		return;
	}
	if (config->max_sessions_per_tunnel > 0 &&
	    tunnel_get(t)->sessions >= (uint32_t)config->max_sessions_per_tunnel) {
		stats->l2tp_drops[D_NO_RESOURCES]++;
		LOG(LOG_WARN_L, 0, t, "tunnel already carries %u calls "
		    "(max_sessions_per_tunnel): refusing call",
		    tunnel_get(t)->sessions);
		send_cdn(t, 0, m->session_id, CDN_NO_FACILITIES_TEMP,
		    ERR_NO_RESOURCES, "too many calls on this tunnel");
		return;
	}
	if ((s = session_alloc()) == 0) {
		stats->l2tp_drops[D_NO_RESOURCES]++;
		LOG(LOG_ERROR_L, 0, t, "session table full (%u): refusing call",
		    tables->max_sessions);
		send_cdn(t, 0, m->session_id, CDN_NO_FACILITIES_TEMP,
		    ERR_NO_RESOURCES, "no free session");
		return;
	}
	sp = session_get(s);
	sp->tunnel = t;
	sp->far_id = m->session_id;
	sp->opened = time_now;
	sp->last_packet = time_now;
	snprintf(sp->calling, sizeof(sp->calling), "%s", m->calling);
	snprintf(sp->called, sizeof(sp->called), "%s", m->called);
	if (session_bind_wire(s, new_session_id(t)) < 0) {
		session_release(s);
		send_cdn(t, 0, m->session_id, CDN_ERROR, ERR_NO_RESOURCES,
		    "cannot index session");
		return;
	}
	memset(&sctl[s], 0, sizeof(sctl[s]));
	sctl[s].state = CALL_WAIT_CONNECT;
	sctl[s].serial = m->serial;
	session_link(t, s);
	stats->sessions_created++;
	LOG(LOG_INFO_L, s, t, "ICRQ: call %u from \"%s\" to \"%s\", peer "
	    "session %u, local session %u", m->serial, m->calling, m->called,
	    m->session_id, sp->local_id);

	msg_start(&w, buf, M_ICRP);
	if (tctl[t]->peer_hides && config->l2tp_secret[0]) {
		/* Answer in kind: hide our Assigned Session ID (4.3). */
		uint8_t rv[16], val[2], hid[2 + 2];
		size_t n;

		random_bytes(rv, sizeof(rv));
		val[0] = (uint8_t)(sp->local_id >> 8);
		val[1] = (uint8_t)sp->local_id;
		avp_bytes(&w, A_RANDOM_VECTOR, rv, sizeof(rv), 1);
		n = l2tp_hide(A_ASSIGNED_SESSION, config->l2tp_secret, rv,
		    sizeof(rv), val, sizeof(val), hid, sizeof(hid));
		wr_u16(&w, (uint16_t)(AVP_M | AVP_H | (AVP_HDR + n)));
		wr_u16(&w, 0);
		wr_u16(&w, A_ASSIGNED_SESSION);
		wr_bytes(&w, hid, n);
	} else
		avp_u16(&w, A_ASSIGNED_SESSION, sp->local_id, 1);
	ctl_queue(t, &w, sp->far_id, M_ICRP);
}

static void
recv_iccn(tid_t t, sid_t s, struct msg *m)
{
	struct session *sp = session_get(s);

	if (sctl[s].state != CALL_WAIT_CONNECT) {
		l2tp_session_close(s, CDN_ERROR, ERR_BAD_VALUE,
		    "ICCN in the wrong state");
		return;
	}
	sp->tx_speed = m->tx_speed;
	sp->rx_speed = (m->present & BIT(A_RX_SPEED)) ? m->rx_speed :
	    m->tx_speed;
	sp->framing = m->framing_type;
	if (m->have_proxy) {
		sctl[s].proxy = malloc(sizeof(*sctl[s].proxy));
		if (sctl[s].proxy)
			*sctl[s].proxy = m->proxy;
	}
	sctl[s].state = CALL_ESTABLISHED;
	sp->state = SESSION_OPEN;
	LOG(LOG_INFO_L, s, t, "ICCN: call connected at %u bit/s (rx %u), "
	    "framing %#x%s%s%s", sp->tx_speed, sp->rx_speed, sp->framing,
	    m->have_proxy ? ", proxy " : "",
	    m->proxy.auth_name[0] ? "user " : "",
	    m->proxy.auth_name);
	ppp_session_start(s);
}

static void
recv_cdn(tid_t t, sid_t s, struct msg *m)
{
	(void)t;
	LOG(LOG_INFO_L, s, t, "CDN: result %u error %u \"%s\"", m->result,
	    m->error, m->errmsg);
	session_free(s, "CDN from LAC");
}

/*
 * Deliver one in-sequence control message to its handler.  `session`
 * is the session id from the header.
 */
static void
deliver(tid_t t, const struct sockaddr_in *from, uint16_t session,
    const uint8_t *avp, size_t len)
{
	struct tunnel *tp = tunnel_get(t);
	static struct msg m;
	struct rd r;
	sid_t s = 0;

	rd_init(&r, avp, len);
	if (parse_avps(&m, &r, config->l2tp_secret) < 0) {
		stats->l2tp_drops[D_AVP]++;
		LOG(LOG_ERROR_L, 0, t, "malformed %s from %s: %s",
		    l2tp_msg_name(m.type), tp->hostname, m.why);
		/* A malformed tunnel message is fatal to the tunnel (4.1). */
		if (!is_session_msg(m.type))
			send_stopccn(t, STOP_ERROR, ERR_BAD_LENGTH, m.why);
		else if ((s = session_by_wire(t, session)) != 0)
			l2tp_session_close(s, CDN_ERROR, ERR_BAD_LENGTH, m.why);
		return;
	}
	stats->l2tp_ctrl_rx_type[m.type <= M_MAX ? m.type : 0]++;
	if (m.hidden)
		tctl[t]->peer_hides = 1;
	LOG(LOG_INFO_L, 0, t, "recv %s", l2tp_msg_name(m.type));
	if (tctl[t]->stopping && m.type != M_STOPCCN) {
		/* Closing: only acknowledge (by the caller's ZLB). */
		return;
	}
	if (m.type > M_MAX || msg_names[m.type] == NULL || m.type == M_ZLB) {
		if (m.mbit) {
			/* RFC 2661 4.4.1: unknown type with M set. */
			send_stopccn(t, STOP_ERROR, ERR_UNKNOWN_M_AVP,
			    "unknown mandatory message type");
		}
		return;
	}
	if ((m.present & required[m.type]) != required[m.type]) {
		uint64_t missing = required[m.type] & ~m.present;
		int a = __builtin_ctzll(missing);
		char why[96];

		snprintf(why, sizeof(why), "%s without %s", l2tp_msg_name(m.type),
		    l2tp_avp_name(a));
		LOG(LOG_ERROR_L, 0, t, "%s", why);
		stats->l2tp_drops[D_AVP]++;
		if (is_session_msg(m.type) && m.type != M_ICRQ &&
		    (s = session_by_wire(t, session)) != 0)
			l2tp_session_close(s, CDN_ERROR, ERR_BAD_VALUE, why);
		else if (!is_session_msg(m.type))
			send_stopccn(t, STOP_ERROR, ERR_BAD_VALUE, why);
		else if (m.type == M_ICRQ && (m.present & BIT(A_ASSIGNED_SESSION)))
			send_cdn(t, 0, m.session_id, CDN_ERROR, ERR_BAD_VALUE, why);
		return;
	}
	if (m.unknown_m >= 0) {
		char why[96];

		snprintf(why, sizeof(why), "unknown mandatory AVP %s%d in %s",
		    m.unknown_m & 0x10000 ? "vendor " : "", m.unknown_m & 0xffff,
		    l2tp_msg_name(m.type));
		LOG(LOG_ERROR_L, 0, t, "%s", why);
		/* RFC 2661 4.2: session messages end the session only. */
		if (!is_session_msg(m.type))
			send_stopccn(t, STOP_ERROR, ERR_UNKNOWN_M_AVP, why);
		else if (m.type == M_ICRQ)
			send_cdn(t, 0, m.session_id, CDN_ERROR,
			    ERR_UNKNOWN_M_AVP, why);
		else if ((s = session_by_wire(t, session)) != 0)
			l2tp_session_close(s, CDN_ERROR, ERR_UNKNOWN_M_AVP, why);
		return;
	}
	if (m.present & BIT(A_HOST_NAME) && m.type != M_SCCRQ)
		snprintf(tp->hostname, sizeof(tp->hostname), "%s", m.host);

	switch (m.type) {
	case M_SCCRQ:
		/* A second SCCRQ on an existing tunnel: RFC 2661 7.2.1. */
		send_stopccn(t, STOP_FSM_ERROR, 0, "SCCRQ on an existing tunnel");
		return;
	case M_SCCCN:
		recv_scccn(t, &m);
		return;
	case M_STOPCCN:
		recv_stopccn(t, &m);
		return;
	case M_HELLO:
		return;		/* the ack is the answer */
	case M_ICRQ:
		recv_icrq(t, &m);
		return;
	case M_SCCRP:
	case M_ICRP:
	case M_OCRP:
	case M_OCCN:
		/* Replies to requests an LNS never sends (RFC 2661 7.2.1). */
		send_stopccn(t, STOP_FSM_ERROR, 0, "unexpected reply message");
		return;
	case M_OCRQ:
		/* Outgoing calls are not offered by this LNS. */
		send_cdn(t, 0, m.session_id, CDN_NO_FACILITIES_PERM, 0,
		    "outgoing calls not supported");
		return;
	default:
		break;
	}

	/* Messages about an existing call: ICCN, CDN, WEN, SLI. */
	s = session_by_wire(t, session);
	if (s == 0 && m.type == M_CDN) {
		/* A CDN may name the call by the peer's id only (6.12). */
		sid_t i;

		for (i = tctl[t]->sessions; i; i = sctl[i].next)
			if (session_get(i)->far_id == m.session_id) {
				s = i;
				break;
			}
	}
	if (s == 0) {
		LOG(LOG_WARN_L, 0, t, "%s for unknown session %u",
		    l2tp_msg_name(m.type), session);
		if (m.type == M_ICCN)
			send_cdn(t, 0, m.session_id ? m.session_id : 0,
			    CDN_ERROR, ERR_BAD_SESSION, "unknown session");
		return;
	}
	switch (m.type) {
	case M_ICCN:
		recv_iccn(t, s, &m);
		break;
	case M_CDN:
		recv_cdn(t, s, &m);
		break;
	case M_WEN:
		LOG(LOG_WARN_L, s, t, "WEN: CRC %u framing %u overrun %u buffer "
		    "%u timeout %u alignment %u", m.call_errors[0],
		    m.call_errors[1], m.call_errors[2], m.call_errors[3],
		    m.call_errors[4], m.call_errors[5]);
		break;
	case M_SLI:
		LOG(LOG_INFO_L, s, t, "SLI: send ACCM %#x receive ACCM %#x",
		    m.accm_send, m.accm_recv);
		break;
	}
}

/* ---- input ---- */

/* The first message of a tunnel: parse just enough to create it. */
static void
input_new_tunnel(const struct sockaddr_in *from, uint16_t ns,
    const uint8_t *avp, size_t len)
{
	static struct msg m;
	struct rd r;
	tid_t t;

	rd_init(&r, avp, len);
	if (parse_avps(&m, &r, config->l2tp_secret) < 0 ||
	    m.type != M_SCCRQ || ns != 0) {
		drop(D_FIRST_NOT_SCCRQ, from, 0);
		return;
	}
	/* A retransmitted SCCRQ whose SCCRP was lost: same tunnel. */
	if ((t = tunnel_by_peer(from->sin_addr.s_addr, from->sin_port,
	    m.tunnel_id)) != 0) {
		tctl[t]->last_rx_ms = now_ms;
		send_zlb(t);
		send_window(t);
		stats->l2tp_drops[D_DUPLICATE]++;
		return;
	}
	stats->l2tp_ctrl_rx_type[M_SCCRQ]++;
	if ((m.present & required[M_SCCRQ]) != required[M_SCCRQ] ||
	    m.tunnel_id == 0) {
		LOG(LOG_ERROR_L, 0, 0, "SCCRQ from %s without mandatory AVPs",
		    m.host);
		if (m.tunnel_id != 0 && (t = tunnel_new(from, &m)) != 0) {
			tctl[t]->nr = 1;
			send_stopccn(t, STOP_ERROR, ERR_BAD_VALUE,
			    "SCCRQ missing a mandatory AVP");
		} else
			stats->l2tp_drops[D_AVP]++;
		return;
	}
	if (m.unknown_m >= 0) {
		if ((t = tunnel_new(from, &m)) != 0) {
			tctl[t]->nr = 1;
			send_stopccn(t, STOP_ERROR, ERR_UNKNOWN_M_AVP,
			    "unknown mandatory AVP in SCCRQ");
		}
		return;
	}
	recv_sccrq(from, &m);
}

/* Data message: PPP for a session (RFC 2661 3.1, T=0). */
static void
input_data(tid_t t, uint16_t session, const uint8_t *ppp, size_t len)
{
	sid_t s = session_by_wire(t, session);
	struct session *sp;

	tctl[t]->last_rx_ms = now_ms;
	if (s == 0) {
		stats->l2tp_drops[D_DATA_NO_SESSION]++;
		return;
	}
	sp = session_get(s);
	stats->l2tp_data_rx++;
	if (sctl[s].state != CALL_ESTABLISHED) {
		/* RFC 2661 7.4.1: data flows once the call is connected. */
		stats->l2tp_drops[D_DATA_NO_SESSION]++;
		return;
	}
	(void)sp;
	ppp_input(s, ppp, len);
}

void
l2tp_input(const uint8_t *buf, size_t len, const struct sockaddr_in *from)
{
	struct rd r, body;
	uint16_t flags, length, tunnel, session, ns = 0, nr = 0, off;
	struct tunnel *tp;
	struct tctl *c;
	tid_t t;

	stats->l2tp_rx_packets++;
	if (log_level >= LOG_PACKET_L)
		log_hex(LOG_PACKET_L, 0, 0, "L2TP rx", buf, len);
	rd_init(&r, buf, len);
	if (rd_u16(&r, &flags) < 0) {
		drop(D_SHORT, from, 0);
		return;
	}
	if ((flags & L2TP_VER_MASK) != L2TP_VERSION) {
		/* Version 3 or L2F: silently discard (RFC 2661 3.1). */
		drop(D_VERSION, from, 0);
		return;
	}
	if (flags & L2TP_T) {
		/* Control: L and S MUST be set, O and P MUST be clear. */
		if ((flags & (L2TP_L | L2TP_S | L2TP_O | L2TP_P)) !=
		    (L2TP_L | L2TP_S)) {
			drop(D_CTL_FLAGS, from, 0);
			return;
		}
	}
	if (flags & L2TP_L) {
		if (rd_u16(&r, &length) < 0 || length < 6 || length > len) {
			drop(D_LENGTH, from, 0);
			return;
		}
		/* Trailing bytes beyond Length (UDP padding) are ignored. */
		rd_init(&r, buf + 4, length - 4u);
	}
	if (rd_u16(&r, &tunnel) < 0 || rd_u16(&r, &session) < 0) {
		drop(D_SHORT, from, 0);
		return;
	}
	if (flags & L2TP_S) {
		if (rd_u16(&r, &ns) < 0 || rd_u16(&r, &nr) < 0) {
			drop(D_SHORT, from, 0);
			return;
		}
	}
	if (flags & L2TP_O) {
		if (rd_u16(&r, &off) < 0 || rd_skip(&r, off) < 0) {
			drop(D_LENGTH, from, 0);
			return;
		}
	}
	body = r;

	if (!(flags & L2TP_T)) {
		if ((t = tunnel_by_wire(tunnel)) == 0) {
			drop(D_NO_TUNNEL, from, 0);
			return;
		}
		tp = tunnel_get(t);
		if (tp->peer.sin_addr.s_addr != from->sin_addr.s_addr) {
			drop(D_BAD_PEER, from, t);
			return;
		}
		input_data(t, session, body.p, body.left);
		return;
	}

	stats->l2tp_ctrl_rx++;
	if (tunnel == 0) {
		input_new_tunnel(from, ns, body.p, body.left);
		return;
	}
	if ((t = tunnel_by_wire(tunnel)) == 0) {
		drop(D_NO_TUNNEL, from, 0);
		return;
	}
	tp = tunnel_get(t);
	c = tctl[t];
	/* Only the LAC that opened the tunnel may speak on it. */
	if (tp->peer.sin_addr.s_addr != from->sin_addr.s_addr ||
	    (tp->peer.sin_port != from->sin_port &&
	    !config->auth_tunnel_change_addr_src)) {
		drop(D_BAD_PEER, from, t);
		return;
	}
	if (config->auth_tunnel_change_addr_src)
		tp->peer = *from;
	c->last_rx_ms = now_ms;
	tp->last_rx = time_now;
	ctl_ack(t, nr);
	if (tctl[t] == NULL)
		return;		/* cleared by the ack (shutdown) */
	if (body.left == 0) {
		stats->l2tp_zlb_rx++;
		return;		/* ZLB: nothing more */
	}

	c->sent_since_rx = 0;
	if (ns == c->nr) {
		c->nr++;
		deliver(t, from, session, body.p, body.left);
		/* Then whatever was waiting behind it, in order. */
		while (tctl[t] != NULL) {
			c = tctl[t];
			unsigned slot = c->nr % OUR_RWS;

			if (c->ooo[slot] == NULL)
				break;
			uint8_t *p = c->ooo[slot];
			uint16_t plen = c->ooo_len[slot];
			struct rd q;
			uint16_t qs = 0;

			c->ooo[slot] = NULL;
			/* stored: session id (2) then the AVPs */
			rd_init(&q, p, plen);
			rd_u16(&q, &qs);
			c->nr++;
			deliver(t, from, qs, q.p, q.left);
			free(p);
		}
	} else if (seq_lt(ns, c->nr)) {
		/* Duplicate: acknowledge again (5.8), do not process. */
		stats->l2tp_drops[D_DUPLICATE]++;
	} else if ((uint16_t)(ns - c->nr) < OUR_RWS) {
		unsigned slot = ns % OUR_RWS;

		if (c->ooo[slot] == NULL &&
		    (c->ooo[slot] = malloc(body.left + 2)) != NULL) {
			c->ooo[slot][0] = (uint8_t)(session >> 8);
			c->ooo[slot][1] = (uint8_t)session;
			memcpy(c->ooo[slot] + 2, body.p, body.left);
			c->ooo_len[slot] = (uint16_t)(body.left + 2);
			stats->l2tp_out_of_order++;
		}
	} else {
		drop(D_OUT_OF_WINDOW, from, t);
	}
	/* Acknowledge unless a reply already carried our Nr. */
	if (tctl[t] != NULL && !tctl[t]->sent_since_rx)
		send_zlb(t);
}

int
l2tp_init_state(void)
{
	if ((tctl = calloc(tables->max_tunnels + 1, sizeof(*tctl))) == NULL ||
	    (sctl = calloc(tables->max_sessions + 1, sizeof(*sctl))) == NULL) {
		log_crit("cannot allocate L2TP state: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int
l2tp_init(void)
{
	struct sockaddr_in sin;
	int on = 1, rcvbuf = 8 * 1024 * 1024;

	if (l2tp_init_state() < 0)
		return -1;
	udp_fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (udp_fd < 0) {
		log_crit("L2TP socket: %s", strerror(errno));
		return -1;
	}
	setsockopt(udp_fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	/*
	 * A burst of LACs (a LAC reboot brings back all its tunnels) must
	 * not overflow the socket: ask for a large buffer, past rmem_max
	 * when we are allowed to.
	 */
	if (setsockopt(udp_fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
	    sizeof(rcvbuf)) < 0)
		setsockopt(udp_fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
		    sizeof(rcvbuf));
	setsockopt(udp_fd, SOL_SOCKET, SO_SNDBUF, &rcvbuf, sizeof(rcvbuf));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = config->bind_address;
	sin.sin_port = htons((uint16_t)config->l2tp_port);
	if (bind(udp_fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		char a[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &sin.sin_addr, a, sizeof(a));
		log_crit("cannot bind L2TP to %s:%d: %s", a, config->l2tp_port,
		    strerror(errno));
		close(udp_fd);
		udp_fd = -1;
		return -1;
	}
	dp_udp_socket(udp_fd);
	if (ev_add(udp_fd, EPOLLIN, dp_udp_readable, NULL) < 0) {
		log_crit("epoll L2TP: %s", strerror(errno));
		return -1;
	}
	return 0;
}

void
l2tp_close(void)
{
	if (udp_fd >= 0) {
		ev_del(udp_fd);
		close(udp_fd);
	}
	udp_fd = -1;
}
