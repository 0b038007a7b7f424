/*
 * clustermsg.c - encoding and checking of cluster datagrams (the format
 * is described in clustermsg.h), HMAC-SHA-256, the replay window and the
 * election ranking.  No daemon state: everything here is a function of
 * its arguments.
 *
 * Implements: HMAC (RFC 2104 section 2) over SHA-256 from libmd; the
 * anti-replay sliding window of RFC 4303 section 3.4.3.
 */
#include <string.h>
#include <arpa/inet.h>
#include <sha2.h>

#include "clustermsg.h"

/* ---- HMAC-SHA-256 ---- */

/*
 * RFC 2104 2: H(K XOR opad, H(K XOR ipad, text)), B = 64; a key longer
 * than B is hashed first, a shorter one is padded with zeros.
 */
void
cl_hmac_sha256(const uint8_t *key, size_t keylen, const uint8_t *msg,
    size_t len, uint8_t out[CL_MAC_LEN])
{
	uint8_t k[SHA256_BLOCK_LENGTH], pad[SHA256_BLOCK_LENGTH];
	uint8_t inner[SHA256_DIGEST_LENGTH];
	SHA2_CTX c;
	size_t i;

	memset(k, 0, sizeof(k));
	if (keylen > sizeof(k)) {
		SHA256Init(&c);
		SHA256Update(&c, key, keylen);
		SHA256Final(k, &c);
	} else if (keylen > 0)
		memcpy(k, key, keylen);

	for (i = 0; i < sizeof(pad); i++)
		pad[i] = k[i] ^ 0x36;
	SHA256Init(&c);
	SHA256Update(&c, pad, sizeof(pad));
	if (len > 0)
		SHA256Update(&c, msg, len);
	SHA256Final(inner, &c);

	for (i = 0; i < sizeof(pad); i++)
		pad[i] = k[i] ^ 0x5c;
	SHA256Init(&c);
	SHA256Update(&c, pad, sizeof(pad));
	SHA256Update(&c, inner, sizeof(inner));
	SHA256Final(out, &c);
	memset(k, 0, sizeof(k));
	memset(pad, 0, sizeof(pad));
}

int
cl_memeq_ct(const uint8_t *a, const uint8_t *b, size_t n)
{
	uint8_t d = 0;
	size_t i;

	for (i = 0; i < n; i++)
		d |= a[i] ^ b[i];
	return d;
}

/* ---- datagrams ---- */

static const char *const err_names[CL_E_MAX] = {
	[CL_OK] = "ok",
	[CL_E_TRUNCATED] = "truncated",
	[CL_E_LENGTH] = "bad_length",
	[CL_E_MAGIC] = "bad_magic",
	[CL_E_VERSION] = "bad_version",
	[CL_E_TYPE] = "bad_type",
	[CL_E_UNSIGNED] = "unsigned",
	[CL_E_FORGED] = "forged",
	[CL_E_REPLAYED] = "replayed",
	[CL_E_BODY] = "bad_body",
	[CL_E_FOREIGN] = "other_cluster",
};

static const char *const type_names[CL_TYPE_MAX] = {
	[CL_PING] = "PING",
	[CL_HEARTBEAT] = "HEARTBEAT",
	[CL_LASTSEEN] = "LASTSEEN",
	[CL_RESYNC] = "RESYNC",
	[CL_SYNC] = "SYNC",
	[CL_FORWARD] = "FORWARD",
	[CL_GOODBYE] = "GOODBYE",
	[CL_FORWARD_IP] = "FORWARD_IP",
	[CL_FORWARD_DAE] = "FORWARD_DAE",
};

const char *
cl_err_name(int e)
{
	return e >= 0 && e < CL_E_MAX ? err_names[e] : NULL;
}

const char *
cl_type_name(int t)
{
	return t > 0 && t < CL_TYPE_MAX ? type_names[t] : "unknown";
}

int
cl_encode(uint8_t *out, size_t cap, const struct cl_hdr *h,
    const uint8_t *body, size_t bodylen, const uint8_t *key, size_t keylen)
{
	size_t total = CL_HDR_LEN + bodylen + (keylen ? CL_MAC_LEN : 0);
	struct wr w;

	if (total > cap || total > CL_MAX_PKT)
		return -1;
	wr_init(&w, out, cap);
	wr_u32(&w, CL_MAGIC);
	wr_u8(&w, h->version);
	wr_u8(&w, h->type);
	wr_u8(&w, keylen ? CL_F_AUTH : 0);
	wr_u8(&w, 0);
	wr_u16(&w, (uint16_t)total);
	wr_u16(&w, 0);
	wr_bytes(&w, &h->sender, 4);
	wr_bytes(&w, &h->cluster_id, 4);
	wr_u32(&w, (uint32_t)(h->epoch >> 32));
	wr_u32(&w, (uint32_t)h->epoch);
	wr_u32(&w, h->seq);
	wr_bytes(&w, body, bodylen);
	if (w.err)
		return -1;
	if (keylen) {
		uint8_t *mac = wr_reserve(&w, CL_MAC_LEN);

		if (mac == NULL)
			return -1;
		cl_hmac_sha256(key, keylen, out, total - CL_MAC_LEN, mac);
	}
	return (int)w.len;
}

enum cl_err
cl_decode(const uint8_t *buf, size_t len, const uint8_t *key, size_t keylen,
    struct cl_hdr *h, struct rd *body)
{
	uint8_t mac[CL_MAC_LEN];
	uint32_t magic, hi, lo;
	uint16_t rsvd;
	uint8_t r8;
	size_t maclen;
	struct rd r;

	rd_init(&r, buf, len);
	if (rd_u32(&r, &magic) < 0)
		return CL_E_TRUNCATED;
	if (magic != CL_MAGIC)
		return CL_E_MAGIC;
	if (rd_u8(&r, &h->version) < 0 || rd_u8(&r, &h->type) < 0 ||
	    rd_u8(&r, &h->flags) < 0 || rd_u8(&r, &r8) < 0 ||
	    rd_u16(&r, &h->len) < 0 || rd_u16(&r, &rsvd) < 0 ||
	    rd_bytes(&r, &h->sender, 4) < 0 ||
	    rd_bytes(&r, &h->cluster_id, 4) < 0 ||
	    rd_u32(&r, &hi) < 0 || rd_u32(&r, &lo) < 0 ||
	    rd_u32(&r, &h->seq) < 0)
		return CL_E_TRUNCATED;
	h->epoch = (uint64_t)hi << 32 | lo;
	if (h->version != CL_VERSION)
		return CL_E_VERSION;
	/* The length against both ends (STYLE 3). */
	maclen = (h->flags & CL_F_AUTH) ? CL_MAC_LEN : 0;
	if (h->len < CL_HDR_LEN + maclen)
		return CL_E_LENGTH;
	if (h->len > len)
		return CL_E_TRUNCATED;
	if (h->len < len)
		return CL_E_LENGTH;
	if (h->type == 0 || h->type >= CL_TYPE_MAX)
		return CL_E_TYPE;
	if (keylen > 0 && maclen == 0)
		return CL_E_UNSIGNED;
	if (keylen == 0 && maclen != 0)
		return CL_E_FORGED;	/* we cannot check it: not ours */
	if (maclen) {
		cl_hmac_sha256(key, keylen, buf, len - CL_MAC_LEN, mac);
		if (cl_memeq_ct(mac, buf + len - CL_MAC_LEN, CL_MAC_LEN) != 0)
			return CL_E_FORGED;
	}
	rd_init(body, buf + CL_HDR_LEN, len - CL_HDR_LEN - maclen);
	return CL_OK;
}

/* ---- replay window, RFC 4303 3.4.3 ---- */

int
cl_replay_check(const struct cl_replay *w, uint64_t epoch, uint32_t seq)
{
	uint32_t diff;

	if (!w->valid || epoch > w->epoch)
		return 0;		/* a new incarnation of the sender */
	if (epoch < w->epoch)
		return -1;		/* an old one: replayed */
	if (seq > w->top)
		return 0;
	diff = w->top - seq;
	if (diff >= 64)
		return -1;		/* left of the window */
	return (w->bitmap >> diff) & 1 ? -1 : 0;
}

void
cl_replay_update(struct cl_replay *w, uint64_t epoch, uint32_t seq)
{
	uint32_t diff;

	if (!w->valid || epoch > w->epoch) {
		w->valid = 1;
		w->epoch = epoch;
		w->top = seq;
		w->bitmap = 1;
		return;
	}
	if (seq > w->top) {
		diff = seq - w->top;
		w->bitmap = diff >= 64 ? 1 : (w->bitmap << diff) | 1;
		w->top = seq;
	} else if (w->top - seq < 64)
		w->bitmap |= 1ULL << (w->top - seq);
}

/* ---- bodies ---- */

void
cl_put_node(struct wr *w, const struct cl_node *n)
{
	wr_u8(w, n->role);
	wr_u8(w, n->uptodate);
	wr_u16(w, n->interval);
	wr_u32(w, n->hb_seq);
	wr_u32(w, n->sessions);
	wr_u32(w, n->tunnels);
}

int
cl_get_node(struct rd *r, struct cl_node *n)
{
	if (rd_u8(r, &n->role) < 0 || rd_u8(r, &n->uptodate) < 0 ||
	    rd_u16(r, &n->interval) < 0 || rd_u32(r, &n->hb_seq) < 0 ||
	    rd_u32(r, &n->sessions) < 0 || rd_u32(r, &n->tunnels) < 0)
		return -1;
	if (n->role > 1 || n->uptodate > 1)
		return -1;
	return 0;
}

int
cl_get_rec(struct rd *r, struct cl_rec *rec)
{
	uint8_t rsvd;

	if (rd_u8(r, &rec->type) < 0 || rd_u8(r, &rsvd) < 0 ||
	    rd_u16(r, &rec->len) < 0 || rd_u32(r, &rec->index) < 0)
		return -1;
	if (rec->type == 0 || rec->type >= CL_REC_MAX || rec->index == 0)
		return -1;
	if (r->left < rec->len)
		return -1;
	rec->data = r->p;
	return rd_skip(r, rec->len);
}

void
cl_put_rec(struct wr *w, uint8_t type, uint32_t index, const void *data,
    uint16_t len)
{
	wr_u8(w, type);
	wr_u8(w, 0);
	wr_u16(w, len);
	wr_u32(w, index);
	if (len)
		wr_bytes(w, data, len);
}

/* ---- election ---- */

int
cl_rank_cmp(uint64_t a_start, uint32_t a_addr, uint64_t b_start,
    uint32_t b_addr)
{
	uint32_t a = ntohl(a_addr), b = ntohl(b_addr);

	if (a_start != b_start)
		return a_start < b_start ? 1 : -1;	/* longer uptime */
	if (a != b)
		return a > b ? 1 : -1;		/* highest address */
	return 0;
}
