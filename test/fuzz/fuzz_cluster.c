/*
 * fuzz_cluster.c - libFuzzer harness for the cluster input path
 * (cluster_input: clustermsg.c's header, length and HMAC checks, the
 * replay window, then the ping, heartbeat, sync and forward bodies and
 * the replicated records applied to the tables and their indexes, and
 * a session's extras: its Framed-Routes and accounting state).
 *
 * The input is a sequence of datagrams, each "length (2 bytes), bytes".
 * This node (10.0.0.2) is a slave in step with master 10.0.0.1 (epoch
 * 1), reset before every run; no cluster_key, so the fuzzer reaches the
 * bodies (the HMAC path has its own unit tests).  No socket: what the
 * node sends fails quietly.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "l2tpns.h"
#include "cluster.h"
#include "event.h"
#include "l2tp.h"
#include "log.h"
#include "radius.h"
#include "session.h"

static void
setup(void)
{
	static int done;

	if (done)
		return;
	done = 1;
	config = calloc(1, sizeof(*config));
	cfg_defaults(config);
	config->bind_address = htonl(0xc0000201);	/* 192.0.2.1 */
	log_level = -1;
	if (ev_init() < 0 || tables_init(256, 64) < 0 || l2tp_init_state() < 0 ||
	    ippool_init(NULL, 256) < 0 || ppp_init(256) < 0 ||
	    session_init(256) < 0 || radius_init_state(256) < 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *buf;

	setup();
	cluster_fuzz_reset(htonl(0x0a000002), htonl(0x0a000001));
	while (size >= 2) {
		size_t len = (size_t)data[0] << 8 | data[1];

		data += 2;
		size -= 2;
		if (len > size)
			len = size;
		/* an exact-size copy so ASan sees any over-read */
		if ((buf = malloc(len ? len : 1)) == NULL)
			abort();
		memcpy(buf, data, len);
		cluster_input(buf, len);
		free(buf);
		data += len;
		size -= len;
		now_ms += 100;
	}
	return 0;
}
