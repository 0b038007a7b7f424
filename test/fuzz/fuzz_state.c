/*
 * fuzz_state.c - the state-file loader (state_parse, state.c) on
 * arbitrary files.  The first input byte picks the mode: odd, the input
 * is the whole file; even, a valid header for small tables (sizes from
 * the next two bytes) is put in front of the rest, zero-padded to the
 * size the header names, so that the record checks (checksums, slots,
 * kinds, indexes, sequence) are reached too.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "state.h"

static uint32_t seen;

static void
count(void *arg, int kind, uint32_t idx, const void *p, size_t len)
{
	const uint8_t *b = p;

	(void)arg;
	(void)kind;
	(void)idx;
	/* touch the whole payload: a length past it would show in ASan */
	if (len > 0)
		seen += b[0] + b[len - 1];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct state_info in;
	struct state_head h;
	char why[256];
	uint8_t *buf;
	size_t len;

	if (size < 3)
		return 0;
	if (data[0] & 1) {
		buf = malloc(size - 1);
		if (buf == NULL)
			return 0;
		memcpy(buf, data + 1, size - 1);
		state_parse(buf, size - 1, &in, count, NULL, why, sizeof(why));
		free(buf);
		return 0;
	}
	state_head_init(&h, 1 + data[1] % 8, 1 + data[2] % 4, "tun0");
	len = state_file_size(h.max_sessions, h.max_tunnels);
	if ((buf = calloc(1, len)) == NULL)
		return 0;
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + STATE_HEAD_SIZE, data + 3, size - 3 < len -
	    STATE_HEAD_SIZE ? size - 3 : len - STATE_HEAD_SIZE);
	/* the last input byte, when odd, cuts the file */
	if (size > 3 && (data[size - 1] & 1))
		len -= data[size - 1];
	state_parse(buf, len, &in, count, NULL, why, sizeof(why));
	free(buf);
	return 0;
}
