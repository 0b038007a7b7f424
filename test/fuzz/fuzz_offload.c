/*
 * fuzz_offload.c - libFuzzer target for offload.c: the parser behind
 * off_segment(), off_csum_complete() and off_gro_add().
 *
 * Input: GSO type (1 octet), gso_size (2), MTU (2), csum_start (2),
 * csum_offset (2), then the packet.  Whatever off_segment() emits must
 * be a packet of at most the MTU whose TCP/UDP checksum verifies, and
 * the payloads must add up to the input's; every segment then goes
 * through off_gro_add(), and every coalesced packet written must verify
 * once its checksum is completed as the kernel would.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "offload.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define MAXSEG	64
static uint8_t segs[MAXSEG][OFF_SEG_MAX];
static size_t seglen[MAXSEG];
static int nseg;
static size_t mtu;

static uint8_t *
get(void *arg)
{
	(void)arg;
	return nseg < MAXSEG ? segs[nseg] : NULL;
}

static void
emit(void *arg, uint8_t *pkt, size_t len)
{
	(void)arg;
	if (pkt != segs[nseg] || len > mtu || len > OFF_SEG_MAX ||
	    !off_l4_csum_ok(pkt, len))
		abort();
	seglen[nseg++] = len;
}

static uint8_t check[OFF_GRO_MAX];

static void
writer(const struct virtio_net_hdr *vh, const uint8_t *pkt, size_t len)
{
	if (len > OFF_GRO_MAX)
		abort();
	if (vh == NULL) {
		if (!off_l4_csum_ok(pkt, len))
			abort();
		return;
	}
	memcpy(check, pkt, len);
	if (off_csum_complete(check, len, vh->csum_start, vh->csum_offset) < 0
	    || !off_l4_csum_ok(check, len))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct virtio_net_hdr vh;
	const struct off_out out = { get, emit, NULL };
	uint8_t *pkt;
	size_t len;
	int n, k;

	if (size < 9)
		return 0;
	memset(&vh, 0, sizeof(vh));
	vh.gso_type = data[0];
	vh.gso_size = (uint16_t)(data[1] << 8 | data[2]);
	mtu = (size_t)(data[3] << 8 | data[4]);
	vh.csum_start = (uint16_t)(data[5] << 8 | data[6]);
	vh.csum_offset = (uint16_t)(data[7] << 8 | data[8]);
	len = size - 9;
	/* exactly the input's length, so that ASan sees any overread */
	if ((pkt = malloc(len ? len : 1)) == NULL)
		return 0;
	memcpy(pkt, data + 9, len);
	nseg = 0;
	n = off_segment(&vh, pkt, len, mtu, &out);
	if (n != -1 && n != nseg)
		abort();
	off_gro_init(writer);
	for (k = 0; k < nseg; k++)
		off_gro_add(segs[k], seglen[k]);
	off_gro_flush();
	(void)off_csum_complete(pkt, len, vh.csum_start, vh.csum_offset);
	(void)off_gro_add(pkt, len);
	off_gro_flush();
	free(pkt);
	return 0;
}
