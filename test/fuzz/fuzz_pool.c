/*
 * fuzz_pool.c - libFuzzer target for pool_parse_line(), one line of the
 * ip_pool file, as seen by the node whose bind_address is 192.0.2.1.
 */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pool_range r;
	char *line, err[256];
	uint64_t n;
	int cidr, rc;

	if ((line = malloc(size + 1)) == NULL)
		return 0;
	memcpy(line, data, size);
	line[size] = '\0';
	err[0] = '\0';
	rc = pool_parse_line(line, htonl(0xc0000201), &r, &cidr, err,
	    sizeof(err));
	switch (rc) {
	case 0:
	case 3:
		if (r.first > r.last)
			abort();
		n = (uint64_t)r.last - r.first + 1;
		if (!cidr && n != 1)
			abort();
		/* A CIDR block: a power of two, aligned, never all of it. */
		if (cidr && ((n & (n - 1)) != 0 || (r.first & (n - 1)) != 0 ||
		    n > 0x80000000ULL))
			abort();
		if (rc == 3 && strncmp(err, "warning: ", 9) != 0)
			abort();
		break;
	case 1:
	case 2:
		break;
	case -1:
		if (err[0] == '\0')
			abort();
		break;
	default:
		abort();
	}
	free(line);
	return 0;
}
