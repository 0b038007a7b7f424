/*
 * fuzz_l2tp.c - libFuzzer harness for l2tp_input().
 *
 * The input is a sequence of datagrams, each "port (1 byte), length
 * (2 bytes), bytes", so that one run can open a tunnel and then feed it
 * more messages.  Between datagrams the clock advances so retransmit,
 * HELLO and teardown timers fire.  The daemon has no socket here: what
 * it sends fails quietly.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "l2tpns.h"
#include "event.h"
#include "l2tp.h"
#include "log.h"


static void
setup(void)
{
	static int done;

	if (done)
		return;
	done = 1;
	stats = calloc(1, sizeof(*stats));
	config = calloc(1, sizeof(*config));
	cfg_defaults(config);
	strcpy(config->l2tp_secret, "fuzz");
	strcpy(config->hostname, "fuzz-lns");
	config->hello_interval = 1;
	log_level = -1;
	if (ev_init() < 0 || tables_init(256, 64) < 0 || l2tp_init_state() < 0 ||
	    ippool_init(NULL, 256) < 0 || ppp_init(256) < 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockaddr_in from;
	uint8_t *buf;

	setup();
	memset(&from, 0, sizeof(from));
	from.sin_family = AF_INET;
	from.sin_addr.s_addr = htonl(0x7f000001);
	while (size >= 3) {
		size_t len = (size_t)data[1] << 8 | data[2];

		from.sin_port = htons((uint16_t)(1701 + (data[0] & 3)));
		data += 3;
		size -= 3;
		if (len > size)
			len = size;
		/* An allocation of exactly len: ASan sees any over-read. */
		if ((buf = malloc(len ? len : 1)) == NULL)
			abort();
		memcpy(buf, data, len);
		l2tp_input(buf, len, &from);
		free(buf);
		data += len;
		size -= len;
		now_ms += 700;
		timers_run();
	}
	/* Let every tunnel of this run die so runs stay independent. */
	now_ms += 3600 * 1000;
	timers_run();
	now_ms += 3600 * 1000;
	timers_run();
	return 0;
}
