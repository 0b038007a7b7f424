/*
 * clustermsg.h - the cluster wire protocol: header, authentication,
 * replay window, record lists and the election ranking.  Pure functions
 * with no daemon state, so the unit tests and the fuzz target link
 * clustermsg.c alone.  cluster.c owns the socket and the state machine.
 *
 * Every datagram (UDP, cluster_port; multicast to cluster_address or
 * unicast to a node) is, in network byte order:
 *
 *	0      magic "L2CL" (0x4c32434c)
 *	4      version (CL_VERSION), type (enum cl_type), flags, reserved
 *	8      length of the whole datagram, MAC included; reserved (0)
 *	12     sender: the node's address on cluster_interface
 *	16     cluster id: bind_address (nodes of other clusters are ignored)
 *	20     epoch: the sender's start time, ms since 1970 (64 bits)
 *	28     sequence number of this datagram from this sender, per epoch
 *	32     body (type-specific)
 *	...    HMAC-SHA-256 (RFC 2104, RFC 4231) over bytes 0..length-33,
 *	       present when flags has CL_F_AUTH (every datagram when a
 *	       cluster_key is set; none otherwise)
 *
 * The length field must equal the datagram's size: a shorter datagram is
 * truncated, a longer one carries trailing bytes; both are dropped.
 */
#ifndef L2TPNS_CLUSTERMSG_H
#define L2TPNS_CLUSTERMSG_H

#include <stddef.h>
#include <stdint.h>

#include "rd.h"

#define CL_MAGIC	0x4c32434cu	/* "L2CL" */
#define CL_VERSION	3		/* 2: session extras (CL_REC_EXTRA),
					 * 3: tunnel control (CL_REC_TCTL) */
#define CL_HDR_LEN	32
#define CL_MAC_LEN	32		/* HMAC-SHA-256 */
#define CL_MAX_PKT	16384		/* largest datagram accepted */
#define CL_MAX_BODY	(CL_MAX_PKT - CL_HDR_LEN - CL_MAC_LEN)

#define CL_F_AUTH	0x01		/* an HMAC follows the body */

enum cl_type {
	CL_PING = 1,	/* slave -> all: I am here (node info) */
	CL_HEARTBEAT,	/* master -> all: node info, hb seq, changes */
	CL_LASTSEEN,	/* slave -> master: resend after this hb seq */
	CL_RESYNC,	/* slave -> master: send me the full tables */
	CL_SYNC,	/* master -> slave: one chunk of the full tables */
	CL_FORWARD,	/* slave -> master: an L2TP datagram it received */
	CL_GOODBYE,	/* any -> all: I am leaving (SIGTERM) */
	CL_FORWARD_IP,	/* slave -> master: an IP packet for a session,
			 * read from its TUN device */
	CL_FORWARD_DAE,	/* slave -> master: a Disconnect/CoA request and
			 * the client's address and port */
	CL_TYPE_MAX
};

/* Why a datagram was dropped; counted per reason (show cluster). */
enum cl_err {
	CL_OK = 0,
	CL_E_TRUNCATED,		/* shorter than its header or length */
	CL_E_LENGTH,		/* length field below the minimum, or trailing bytes */
	CL_E_MAGIC,		/* not a cluster datagram */
	CL_E_VERSION,		/* unknown protocol version */
	CL_E_TYPE,		/* unknown message type */
	CL_E_UNSIGNED,		/* no HMAC while a key is set */
	CL_E_FORGED,		/* HMAC does not verify, or HMAC without a key */
	CL_E_REPLAYED,		/* sequence number already seen or too old */
	CL_E_BODY,		/* body malformed for its type */
	CL_E_FOREIGN,		/* another cluster (cluster id) */
	CL_E_MAX
};

struct cl_hdr {
	uint8_t		version, type, flags;
	uint16_t	len;
	uint32_t	sender;		/* network byte order */
	uint32_t	cluster_id;	/* network byte order */
	uint64_t	epoch;
	uint32_t	seq;
};

/* Node information, the body of a ping and the start of a heartbeat. */
struct cl_node {
	uint8_t		role;		/* 1 = master */
	uint8_t		uptodate;
	uint16_t	interval;	/* the sender's cluster_hb_interval */
	uint32_t	hb_seq;		/* master: last sent; slave: last applied */
	uint32_t	sessions, tunnels;	/* in use */
};
#define CL_NODE_LEN	16

/*
 * Heartbeat body after the node info: hb_seq (in the node info), then
 * u16 struct session size, u16 struct tunnel size, u16 record count,
 * u16 reserved, then the records.  A sync chunk: u32 sync id, u32 hb seq
 * the snapshot starts from, u32 first index, u32 end index (exclusive),
 * u8 kind (CL_REC_SESSION or CL_REC_TUNNEL), u8 last chunk, u16 sizes as
 * above (session, tunnel), u16 record count, then the records.  Every
 * index in [first, end) of that kind that has no record is free.
 */
enum cl_rec_type {
	CL_REC_SESSION = 1,	/* data: struct session, or empty = free */
	CL_REC_TUNNEL = 2,	/* data: struct tunnel, or empty = free */
	CL_REC_EXTRA = 3,	/* right after its session's record: what
				 * other modules keep of it (cluster.c) */
	CL_REC_TCTL = 4,	/* right after its tunnel's record: Ns, Nr
				 * and unacknowledged control messages */
	CL_REC_MAX
};
#define CL_REC_HDR	8	/* u8 type, u8 reserved, u16 len, u32 index */
#define CL_MAX_RECORDS	256	/* per datagram, whatever the count says */

struct cl_rec {
	uint8_t		 type;
	uint16_t	 len;
	uint32_t	 index;
	const uint8_t	*data;
};

/* Replay window per sender (RFC 4303 3.4.3, 64 datagrams). */
struct cl_replay {
	uint64_t	epoch;
	uint32_t	top;		/* highest sequence number accepted */
	uint64_t	bitmap;		/* bit i: top - i seen */
	int		valid;
};

/* ---- HMAC-SHA-256 (RFC 2104 with SHA-256, test vectors RFC 4231) ---- */
void	 cl_hmac_sha256(const uint8_t *key, size_t keylen, const uint8_t *msg,
	    size_t len, uint8_t out[CL_MAC_LEN]);
/* Constant-time comparison of n bytes: 0 when equal. */
int	 cl_memeq_ct(const uint8_t *a, const uint8_t *b, size_t n);

/* ---- datagrams ---- */
/*
 * Build a datagram of `type` around `body` into out (cap bytes): the
 * header from h (len and flags are filled in), the body, and the HMAC
 * when keylen > 0.  Returns its length, or -1 when it does not fit.
 */
int	 cl_encode(uint8_t *out, size_t cap, const struct cl_hdr *h,
	    const uint8_t *body, size_t bodylen, const uint8_t *key,
	    size_t keylen);
/*
 * Check a received datagram: header, length against both ends, version,
 * type, then the HMAC (required when keylen > 0, refused otherwise).
 * On CL_OK h is filled in and body covers the body.
 */
enum cl_err cl_decode(const uint8_t *buf, size_t len, const uint8_t *key,
	    size_t keylen, struct cl_hdr *h, struct rd *body);
const char *cl_err_name(int);
const char *cl_type_name(int);

/* Replay check without changing the window (before the HMAC is known to
 * be good), then the update (after it is). */
int	 cl_replay_check(const struct cl_replay *, uint64_t epoch, uint32_t seq);
void	 cl_replay_update(struct cl_replay *, uint64_t epoch, uint32_t seq);

/* ---- bodies ---- */
void	 cl_put_node(struct wr *, const struct cl_node *);
int	 cl_get_node(struct rd *, struct cl_node *);
/* One record; -1 when it runs past the body or its type is unknown. */
int	 cl_get_rec(struct rd *, struct cl_rec *);
void	 cl_put_rec(struct wr *, uint8_t type, uint32_t index,
	    const void *data, uint16_t len);

/*
 * Election ranking (manual, "Clustering"): the longest uptime (earliest
 * start) is best, the highest address breaks a tie.  Returns > 0 when a
 * ranks above b, < 0 below, 0 for the same node.
 */
int	 cl_rank_cmp(uint64_t a_start, uint32_t a_addr, uint64_t b_start,
	    uint32_t b_addr);

#endif /* L2TPNS_CLUSTERMSG_H */
