/*
 * fuzz_mpreasm.c - libFuzzer target for mpreasm.c: the Multilink PPP
 * fragment header parser and the bounded reassembly (RFC 1990 3, 4),
 * and the downstream plan.
 *
 * Input: one octet of settings (bit 0: short sequence numbers; the
 * rest picks the MRRU), then records of link (1 octet), length (1
 * octet, doubled) and that many octets of fragment (header and data).
 * Whatever is delivered must fit the MRRU; the buffer never holds more
 * than MP_SLOTS fragments; every fragment taken in is delivered,
 * discarded or still buffered at the end, never more.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mpreasm.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct mp_reasm m;
static uint64_t delivered;

static void
deliver(void *arg, const uint8_t *frame, size_t len)
{
	(void)arg;
	if (len == 0 || len > m.mrru || len > MP_MRRU)
		abort();
	/* The whole frame must be readable. */
	if (frame[0] == 0x55 && frame[len - 1] == 0xaa)
		delivered += 2;
	delivered++;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t set;
	size_t i = 1;

	if (size < 1)
		return 0;
	set = data[0];
	mp_reasm_init(&m, set & 1, (uint16_t)(128 + (set >> 1) * 12));
	delivered = 0;
	while (i + 2 <= size) {
		unsigned link = data[i] % (MP_MAX_LINKS + 1);
		size_t n = (size_t)data[i + 1] * 2;

		i += 2;
		if (n > size - i)
			n = size - i;
		mp_reasm_input(&m, link, data + i, n, deliver, NULL);
		if (m.nfrags > MP_SLOTS)
			abort();
		i += n;
		if (n > 0 && data[i - 1] == 0xff)
			mp_reasm_link_gone(&m, link, deliver, NULL);
	}
	if (m.st.frames > m.st.fragments)
		abort();
	{
		/* The plan: every octet placed, none over the cap. */
		size_t out[MP_MAX_LINKS], sum = 0, len = size * 7, max = 64 +
		    (size_t)set * 5;
		uint32_t w[MP_MAX_LINKS];
		unsigned k, n = 1 + set % MP_MAX_LINKS;

		for (k = 0; k < n; k++)
			w[k] = k < size ? (uint32_t)data[k] * 100000u : 0;
		if (mp_plan(len, w, n, max, 64, set, out) > 0) {
			for (k = 0; k < n; k++) {
				if (out[k] > max)
					abort();
				sum += out[k];
			}
			if (sum != len)
				abort();
		}
	}
	return 0;
}
