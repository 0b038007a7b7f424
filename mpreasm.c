/*
 * mpreasm.c - Multilink PPP fragments: the header (RFC 1990 3), the
 * reassembly of one bundle (RFC 1990 4.1) in a buffer of fixed size,
 * and the plan that splits a downstream frame across the links.
 *
 * State owned: none of its own; each bundle's `struct mp_reasm`
 * (mlppp.c allocates one per bundle).  Exports mpreasm.h.
 *
 * Reassembly.  Fragments are kept in MP_SLOTS slots, never more; the
 * frame being rebuilt starts at `expect`.  RFC 1990 4.1: each link
 * carries fragments in increasing sequence order, so once every link
 * has shown a number above S (M, the least of the newest numbers seen
 * on each link, is past S), a fragment S still missing is lost: the
 * frame it belonged to is discarded, and so is every fragment up to
 * the next one with the B bit.  When the buffer is full (a link went
 * quiet and M stays behind), the oldest pending frame is given up to
 * make room, and that is counted as overflow: the buffer never grows
 * and no fragment is written outside its slot.
 */
#include <string.h>

#include "mpreasm.h"

static uint32_t
seq_mask(const struct mp_reasm *m)
{
	return m->bits == 12 ? 0xfffu : 0xffffffu;
}

/* a - b in the sequence space, as a signed distance (serial numbers). */
static int32_t
sdiff(const struct mp_reasm *m, uint32_t a, uint32_t b)
{
	uint32_t mask = seq_mask(m), d = (a - b) & mask;

	return d > (mask >> 1) ? (int32_t)d - (int32_t)(mask + 1) :
	    (int32_t)d;
}

int
mp_parse_header(struct rd *r, int short_seq, uint8_t *flags, uint32_t *seq)
{
	uint8_t b0, b1;
	uint16_t lo;

	/*
	 * RFC 1990 3: B, E, then reserved bits (sent as zero; not
	 * checked on receipt) and the sequence number.
	 */
	if (short_seq) {
		if (rd_u8(r, &b0) < 0 || rd_u8(r, &b1) < 0)
			return -1;
		*flags = b0 & (MP_B | MP_E);
		*seq = (uint32_t)(b0 & 0x0f) << 8 | b1;
		return 0;
	}
	if (rd_u8(r, &b0) < 0 || rd_u8(r, &b1) < 0 || rd_u16(r, &lo) < 0)
		return -1;
	*flags = b0 & (MP_B | MP_E);
	*seq = (uint32_t)b1 << 16 | lo;
	return 0;
}

size_t
mp_put_header(uint8_t *out, int short_seq, uint8_t flags, uint32_t seq)
{
	flags &= MP_B | MP_E;
	if (short_seq) {
		out[0] = (uint8_t)(flags | ((seq >> 8) & 0x0f));
		out[1] = (uint8_t)seq;
		return 2;
	}
	out[0] = flags;
	out[1] = (uint8_t)(seq >> 16);
	out[2] = (uint8_t)(seq >> 8);
	out[3] = (uint8_t)seq;
	return 4;
}

void
mp_reasm_init(struct mp_reasm *m, int short_seq, uint16_t mrru)
{
	memset(m, 0, sizeof(*m));
	m->bits = short_seq ? 12 : 24;
	m->mrru = mrru && mrru < MP_MRRU ? mrru : MP_MRRU;
}

static int
find(const struct mp_reasm *m, uint32_t seq)
{
	int i;

	if (m->nfrags == 0)
		return -1;
	for (i = 0; i < MP_SLOTS; i++)
		if (m->frag[i].used && m->frag[i].seq == seq)
			return i;
	return -1;
}

static void
drop_slot(struct mp_reasm *m, int i)
{
	m->frag[i].used = 0;
	m->nfrags--;
}

/*
 * M of RFC 1990 4.1, as a distance from `expect`: the least of the
 * newest numbers seen on the links.  0 when no link has shown one
 * (then nothing is declared lost).
 */
static int
m_dist(const struct mp_reasm *m, int32_t *out)
{
	int have = 0;
	unsigned l;

	for (l = 0; l < MP_MAX_LINKS; l++) {
		int32_t d;

		if (!m->seen[l])
			continue;
		d = sdiff(m, m->last[l], m->expect);
		if (!have || d < *out)
			*out = d;
		have = 1;
	}
	return have;
}

/* Buffered fragments from `expect` up to, not including, `upto`. */
static void
discard_to(struct mp_reasm *m, uint32_t upto)
{
	uint32_t mask = seq_mask(m);
	int i;

	for (i = 0; i < MP_SLOTS; i++)
		if (m->frag[i].used &&
		    sdiff(m, m->frag[i].seq, m->expect) >= 0 &&
		    sdiff(m, m->frag[i].seq, upto) < 0) {
			drop_slot(m, i);
			m->st.discarded++;
		}
	m->expect = upto & mask;
}

/* The nearest buffered sequence number at or after `expect`. */
static int
next_buffered(const struct mp_reasm *m, int32_t *dist)
{
	int have = 0, i;

	for (i = 0; i < MP_SLOTS; i++) {
		int32_t d;

		if (!m->frag[i].used)
			continue;
		d = sdiff(m, m->frag[i].seq, m->expect);
		if (d >= 0 && (!have || d < *dist)) {
			*dist = d;
			have = 1;
		}
	}
	return have;
}

/* Rebuild the frame of fragments expect..end into `out` and deliver. */
static void
emit(struct mp_reasm *m, uint32_t end, mp_deliver_fn fn, void *arg)
{
	uint32_t mask = seq_mask(m), s = m->expect;
	size_t len = 0;
	int big = 0;

	for (;;) {
		int i = find(m, s);

		if (i < 0)
			break;		/* cannot be: checked by the caller */
		if (len + m->frag[i].len > m->mrru)
			big = 1;
		else {
			memcpy(m->out + len, m->frag[i].data, m->frag[i].len);
			len += m->frag[i].len;
		}
		drop_slot(m, i);
		if (s == end)
			break;
		s = (s + 1) & mask;
	}
	m->expect = (end + 1) & mask;
	if (big) {
		m->st.too_big++;
		return;
	}
	m->st.frames++;
	if (fn != NULL && len > 0)
		fn(arg, m->out, len);
}

/* Deliver what is complete; give up on what M says is lost. */
static void
run(struct mp_reasm *m, mp_deliver_fn fn, void *arg)
{
	uint32_t mask = seq_mask(m);
	int guard;

	/* Each turn removes a fragment or moves `expect`; capped anyway. */
	for (guard = 0; guard < 4 * MP_SLOTS + 8; guard++) {
		int32_t md = 0, nd = 0, k;
		int have_m = m_dist(m, &md);
		int i = find(m, m->expect);
		uint32_t s;

		if (i < 0) {
			/* `expect` missing: lost once M is past it. */
			if (!have_m || md <= 0)
				return;
			if (next_buffered(m, &nd) && nd < md)
				md = nd;
			m->st.lost += (uint64_t)md;
			m->expect = (m->expect + (uint32_t)md) & mask;
			continue;
		}
		if (!(m->frag[i].flags & MP_B)) {
			/* The middle of a frame whose start is gone. */
			drop_slot(m, i);
			m->st.discarded++;
			m->expect = (m->expect + 1) & mask;
			continue;
		}
		/* Walk the frame that starts here. */
		s = m->expect;
		for (k = 0; k < MP_SLOTS; k++) {
			int j = find(m, s);

			if (j < 0)
				break;
			if (k > 0 && (m->frag[j].flags & MP_B))
				break;
			if (m->frag[j].flags & MP_E)
				break;
			s = (s + 1) & mask;
		}
		i = find(m, s);
		if (i >= 0 && (m->frag[i].flags & MP_E) &&
		    (s == m->expect || !(m->frag[i].flags & MP_B))) {
			emit(m, s, fn, arg);
			continue;
		}
		if (i >= 0) {
			/* A new B before this frame's E: the E is lost. */
			discard_to(m, s);
			continue;
		}
		/* A gap at s: wait, unless M says s is lost. */
		if (have_m && sdiff(m, s, m->expect) < md) {
			discard_to(m, s);
			continue;
		}
		return;
	}
}

/* Full: give up the oldest pending frame (to its next B) to make room. */
static void
make_room(struct mp_reasm *m)
{
	uint32_t mask = seq_mask(m), upto;
	int32_t nd = 0, best = -1;
	int i, have;

	have = next_buffered(m, &nd);
	if (!have) {
		/* Everything buffered is behind `expect`: cannot be. */
		for (i = 0; i < MP_SLOTS; i++)
			if (m->frag[i].used) {
				drop_slot(m, i);
				m->st.overflow++;
			}
		return;
	}
	/* The next fragment with B after the oldest one. */
	for (i = 0; i < MP_SLOTS; i++) {
		int32_t d;

		if (!m->frag[i].used || !(m->frag[i].flags & MP_B))
			continue;
		d = sdiff(m, m->frag[i].seq, m->expect);
		if (d > nd && (best < 0 || d < best))
			best = d;
	}
	if (best < 0) {
		/* No later start: everything buffered goes. */
		int32_t far = 0;

		for (i = 0; i < MP_SLOTS; i++)
			if (m->frag[i].used) {
				int32_t d = sdiff(m, m->frag[i].seq, m->expect);

				if (d > far)
					far = d;
			}
		best = far + 1;
	}
	upto = (m->expect + (uint32_t)best) & mask;
	for (i = 0; i < MP_SLOTS; i++)
		if (m->frag[i].used &&
		    sdiff(m, m->frag[i].seq, upto) < 0) {
			drop_slot(m, i);
			m->st.overflow++;
		}
	m->expect = upto;
}

int
mp_reasm_input(struct mp_reasm *m, unsigned link, const uint8_t *p,
    size_t len, mp_deliver_fn fn, void *arg)
{
	struct rd r;
	uint8_t flags;
	uint32_t seq;
	int i;

	rd_init(&r, p, len);
	if (link >= MP_MAX_LINKS ||
	    mp_parse_header(&r, m->bits == 12, &flags, &seq) < 0 ||
	    r.left > MP_FRAG_MAX) {
		m->st.bad++;
		return -1;
	}
	if (!m->started) {
		m->expect = seq;
		m->started = 1;
	}
	/* This link has now shown seq (4.1: numbers rise on each link). */
	if (!m->seen[link] || sdiff(m, seq, m->last[link]) > 0) {
		m->last[link] = seq;
		m->seen[link] = 1;
	}
	if (sdiff(m, seq, m->expect) < 0 || find(m, seq) >= 0) {
		m->st.late++;
		run(m, fn, arg);	/* M may have moved all the same */
		return -1;
	}
	if (m->nfrags >= MP_SLOTS) {
		make_room(m);
		if (sdiff(m, seq, m->expect) < 0) {
			m->st.overflow++;
			run(m, fn, arg);
			return -1;
		}
	}
	for (i = 0; i < MP_SLOTS && m->frag[i].used; i++)
		;
	if (i == MP_SLOTS) {
		m->st.overflow++;
		return -1;
	}
	m->frag[i].used = 1;
	m->frag[i].seq = seq;
	m->frag[i].flags = flags;
	m->frag[i].len = (uint16_t)r.left;
	memcpy(m->frag[i].data, r.p, r.left);
	m->nfrags++;
	m->st.fragments++;
	run(m, fn, arg);
	return 0;
}

void
mp_reasm_link_gone(struct mp_reasm *m, unsigned link, mp_deliver_fn fn,
    void *arg)
{
	if (link >= MP_MAX_LINKS)
		return;
	m->seen[link] = 0;
	run(m, fn, arg);
}

unsigned
mp_plan(size_t len, const uint32_t *w, unsigned n, size_t max, size_t small,
    unsigned rr, size_t *out)
{
	uint64_t sum = 0;
	size_t left = len, given = 0;
	unsigned i, used = 0, eq = 0;

	if (n == 0 || max == 0)
		return 0;
	for (i = 0; i < n; i++) {
		out[i] = 0;
		if (w[i] == 0)
			eq = 1;
		sum += w[i];
	}
	if (len <= small || n == 1) {
		if (len > max)
			return 0;
		out[rr % n] = len;
		return 1;
	}
	if ((uint64_t)max * n < len)
		return 0;
	/* Shares in proportion to the weights, each at most `max`. */
	for (i = 0; i < n; i++) {
		uint64_t share = eq ? len / n :
		    (uint64_t)len * w[i] / sum;

		out[i] = share > max ? max : (size_t)share;
		given += out[i];
	}
	left = len - given;
	/* What rounding and the caps left over, to links with room. */
	for (i = 0; left > 0 && i < 2 * n; i++) {
		unsigned k = (rr + i) % n;
		size_t room = max - out[k];
		size_t add = room < left ? room : left;

		out[k] += add;
		left -= add;
	}
	for (i = 0; i < n; i++)
		if (out[i])
			used++;
	return used;
}
