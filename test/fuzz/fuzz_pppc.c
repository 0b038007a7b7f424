/*
 * fuzz_pppc.c - libFuzzer harness for pppc_input(): everything a remote
 * LNS can put in a PPP frame to our PPP client (outgoing L2TP, issue
 * 23): its LCP options (Auth-Protocol, MRU, ...), Naks and Rejects of
 * our requests, Echo, PAP Ack/Nak, CHAP and MS-CHAPv2 Challenge,
 * Success (the authenticator response) and Failure, IPCP Naks with our
 * address and DNS, IP frames, other protocols.
 *
 * The input is a sequence of frames, each "length (2 bytes), bytes",
 * fed to one fresh client session whose LCP has just started.  The
 * first octet of the input picks the authentication methods allowed.
 * Nothing is sent (no socket), timers are not run: the session is torn
 * down directly at the end of each run.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "lacout.h"

static struct l2tp_outgoing g = {
	.name = "fuzz", .user = "alice", .password = "secret",
	.auth = OUT_AUTH_ALL, .dns = 1,
};

static void
fuzz_setup(void)
{
	struct pool_range r = { 0x0a000001, 0x0a0000fe };
	struct pool_file pf = { .n = 1, .range = &r, .count = 254 };

	fuzz_globals();
	fuzz_tables(16, 4, &pf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sid_t s;

	if (size < 1)
		return 0;
	g.auth = (uint8_t)(data[0] & OUT_AUTH_ALL);
	if (g.auth == 0)
		g.auth = OUT_AUTH_ALL;
	g.dns = data[0] >> 7;
	data++;
	size--;
	s = fuzz_session(1);
	if (pppc_start(s, &g) < 0)
		abort();
	fuzz_frames(s, data, size, pppc_input);
	pppc_end(s);
	session_release(s);
	return 0;
}
