/*
 * rd.h - the checked read cursor every parser of peer data uses
 * (STYLE 2, 3).  Each getter returns -1 when the data runs short and
 * converts from network byte order; nothing indexes packet bytes
 * directly.
 */
#ifndef L2TPNS_RD_H
#define L2TPNS_RD_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct rd {
	const uint8_t	*p;
	size_t		 left;
};

static inline void
rd_init(struct rd *r, const void *p, size_t len)
{
	r->p = p;
	r->left = len;
}

static inline int
rd_u8(struct rd *r, uint8_t *v)
{
	if (r->left < 1)
		return -1;
	*v = r->p[0];
	r->p++;
	r->left--;
	return 0;
}

static inline int
rd_u16(struct rd *r, uint16_t *v)
{
	if (r->left < 2)
		return -1;
	*v = (uint16_t)(r->p[0] << 8 | r->p[1]);
	r->p += 2;
	r->left -= 2;
	return 0;
}

static inline int
rd_u32(struct rd *r, uint32_t *v)
{
	if (r->left < 4)
		return -1;
	*v = (uint32_t)r->p[0] << 24 | (uint32_t)r->p[1] << 16 |
	    (uint32_t)r->p[2] << 8 | r->p[3];
	r->p += 4;
	r->left -= 4;
	return 0;
}

static inline int
rd_bytes(struct rd *r, void *out, size_t n)
{
	if (r->left < n)
		return -1;
	memcpy(out, r->p, n);
	r->p += n;
	r->left -= n;
	return 0;
}

static inline int
rd_skip(struct rd *r, size_t n)
{
	if (r->left < n)
		return -1;
	r->p += n;
	r->left -= n;
	return 0;
}

/* Split off the next n bytes as their own cursor. */
static inline int
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

/* Write cursor for building messages: sums failures, checked once. */
struct wr {
	uint8_t		*p;
	size_t		 len, cap;
	int		 err;
};

static inline void
wr_init(struct wr *w, void *buf, size_t cap)
{
	w->p = buf;
	w->len = 0;
	w->cap = cap;
	w->err = 0;
}

static inline uint8_t *
wr_reserve(struct wr *w, size_t n)
{
	uint8_t *at;

	if (w->err || w->cap - w->len < n) {
		w->err = 1;
		return NULL;
	}
	at = w->p + w->len;
	w->len += n;
	return at;
}

static inline void
wr_u8(struct wr *w, uint8_t v)
{
	uint8_t *p = wr_reserve(w, 1);

	if (p)
		p[0] = v;
}

static inline void
wr_u16(struct wr *w, uint16_t v)
{
	uint8_t *p = wr_reserve(w, 2);

	if (p) {
		p[0] = (uint8_t)(v >> 8);
		p[1] = (uint8_t)v;
	}
}

static inline void
wr_u32(struct wr *w, uint32_t v)
{
	uint8_t *p = wr_reserve(w, 4);

	if (p) {
		p[0] = (uint8_t)(v >> 24);
		p[1] = (uint8_t)(v >> 16);
		p[2] = (uint8_t)(v >> 8);
		p[3] = (uint8_t)v;
	}
}

static inline void
wr_bytes(struct wr *w, const void *v, size_t n)
{
	uint8_t *p = wr_reserve(w, n);

	if (p && n)
		memcpy(p, v, n);
}

/* Patch a 16-bit value written earlier at offset `at`. */
static inline void
wr_put16_at(struct wr *w, size_t at, uint16_t v)
{
	if (at + 2 <= w->len) {
		w->p[at] = (uint8_t)(v >> 8);
		w->p[at + 1] = (uint8_t)v;
	}
}

#endif /* L2TPNS_RD_H */
