/*
 * mpreasm.h - the Multilink PPP fragment format, the bounded
 * reassembly buffer of one bundle and the downstream fragment plan
 * (RFC 1990 3, 4).  Nothing here knows about sessions, sockets or the
 * clock: mlppp.c holds one `struct mp_reasm` per bundle and feeds it
 * the Information field of every protocol 0x003d frame.
 */
#ifndef L2TPNS_MPREASM_H
#define L2TPNS_MPREASM_H

#include <stddef.h>
#include <stdint.h>

#include "rd.h"

#define PPP_MP		0x003d		/* RFC 1990 3 */
#define MP_B		0x80		/* (B)eginning fragment bit */
#define MP_E		0x40		/* (E)nding fragment bit */
#define MP_SLOTS	32		/* fragments one bundle may hold */
#define MP_FRAG_MAX	1600		/* the data of one fragment */
#define MP_MRRU		1600		/* the largest frame rebuilt (our MRRU) */
#define MP_MAX_LINKS	8		/* links in one bundle */

struct mp_frag {
	uint32_t	 seq;
	uint16_t	 len;
	uint8_t		 flags;		/* MP_B, MP_E */
	uint8_t		 used;
	uint8_t		 data[MP_FRAG_MAX];
};

struct mp_reasm_stats {
	uint64_t	 fragments;	/* accepted into the buffer */
	uint64_t	 frames;	/* rebuilt and delivered */
	uint64_t	 lost;		/* sequence numbers given up (M rule) */
	uint64_t	 discarded;	/* buffered fragments of a broken frame */
	uint64_t	 overflow;	/* fragments dropped: buffer full */
	uint64_t	 late;		/* behind the reassembly point, or dup */
	uint64_t	 bad;		/* malformed header, too long */
	uint64_t	 too_big;	/* rebuilt frame over the MRRU */
};

struct mp_reasm {
	uint8_t		 bits;		/* 24 (long) or 12 (short) */
	uint8_t		 started;
	uint16_t	 mrru;
	uint32_t	 expect;	/* next sequence number to rebuild from */
	uint32_t	 last[MP_MAX_LINKS];	/* newest seen on each link */
	uint8_t		 seen[MP_MAX_LINKS];
	unsigned	 nfrags;
	struct mp_reasm_stats st;
	struct mp_frag	 frag[MP_SLOTS];
	uint8_t		 out[MP_MRRU];
};

/* A rebuilt frame: its PPP Protocol field and Information. */
typedef void (*mp_deliver_fn)(void *arg, const uint8_t *frame, size_t len);

/*
 * The header of an MP fragment (RFC 1990 3): B, E and the sequence
 * number, long (4 octets, 24 bits) or short (2 octets, 12 bits).
 * 0, or -1 when too short.  `r` is left on the fragment's data.
 */
int	 mp_parse_header(struct rd *r, int short_seq, uint8_t *flags,
	    uint32_t *seq);
/* The header written at `out` (4 or 2 octets); its length. */
size_t	 mp_put_header(uint8_t *out, int short_seq, uint8_t flags,
	    uint32_t seq);

void	 mp_reasm_init(struct mp_reasm *, int short_seq, uint16_t mrru);
/*
 * One fragment (the Information field of a 0x003d frame) from link
 * `link` (0 .. MP_MAX_LINKS-1): buffered, then every frame that is
 * complete is delivered in sequence order.  0, or -1 when dropped
 * (the reason is counted in `st`).
 */
int	 mp_reasm_input(struct mp_reasm *, unsigned link, const uint8_t *p,
	    size_t len, mp_deliver_fn, void *arg);
/* A link left the bundle: it no longer holds M back. */
void	 mp_reasm_link_gone(struct mp_reasm *, unsigned link, mp_deliver_fn,
	    void *arg);

/*
 * The downstream plan for a frame of `len` octets over `n` links with
 * the weights `w` (connect speeds; any 0 means equal shares): how many
 * octets go on each link, at most `max` each (0 = none on that link).
 * A frame of at most `small` octets goes whole on link `rr`.
 * The number of links used.
 */
unsigned mp_plan(size_t len, const uint32_t *w, unsigned n, size_t max,
	    size_t small, unsigned rr, size_t *out);

#endif /* L2TPNS_MPREASM_H */
