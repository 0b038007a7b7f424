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
#include <arpa/inet.h>

#include "harness.h"
#include "cluster.h"
#include "radius.h"
#include "session.h"

static void
fuzz_setup(void)
{

	fuzz_globals();
	config->bind_address = htonl(0xc0000201);	/* 192.0.2.1 */
	fuzz_tables(256, 64, NULL);
	if (session_init(256) < 0 || radius_init_state(256) < 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *buf;
	size_t len;

	cluster_fuzz_reset(htonl(0x0a000002), htonl(0x0a000001));
	while ((buf = fuzz_next(&data, &size, 0, NULL, &len)) != NULL) {
		cluster_input(buf, len);
		free(buf);
		now_ms += 100;
	}
	return 0;
}
