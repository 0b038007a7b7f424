/*
 * fuzz_l2tp.c - libFuzzer harness for l2tp_input().
 *
 * The input is a sequence of datagrams, each "port (1 byte), length
 * (2 bytes), bytes", so that one run can open a tunnel and then feed it
 * more messages.  Between datagrams the clock advances so retransmit,
 * HELLO and teardown timers fire.  The daemon has no socket here: what
 * it sends fails quietly.
 */
#include <arpa/inet.h>

#include "harness.h"


static void
fuzz_setup(void)
{
	fuzz_globals();
	strcpy(config->l2tp_secret, "fuzz");
	config->hello_interval = 1;
	fuzz_tables(256, 64, NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockaddr_in from;
	uint8_t *buf, port;
	size_t len;

	while ((buf = fuzz_next(&data, &size, 1, &port, &len)) != NULL) {
		from = fuzz_addr(0x7f000001, (uint16_t)(1701 + (port & 3)));
		l2tp_input(buf, len, &from);
		free(buf);
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
