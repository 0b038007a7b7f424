/*
 * fuzz_ppp.c - libFuzzer harness for ppp_input(): LCP, PAP, CHAP, IPCP,
 * IPV6CP and everything else a subscriber can put in a PPP frame.
 *
 * The input is a sequence of frames, each "length (2 bytes), bytes",
 * fed to one fresh session whose LCP has just started.  The local
 * subscriber file accepts any name with password "x" (PAP) so runs get
 * through authentication into IPCP and IPV6CP.  Nothing is sent (no
 * socket) and timers are not run: the session is torn down directly
 * at the end of each run.  Inputs of odd length run with `multilink`
 * on (the LCP options of RFC 1990 5.1, a bundle, 0x003d fragments).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "harness.h"
#include "auth.h"


static void
fuzz_setup(void)
{
	struct pool_range r = { 0x0a000001, 0x0a0000fe };
	struct pool_file pf = { .n = 1, .range = &r, .count = 254 };
	char path[] = "/tmp/fuzz_ppp_XXXXXX";
	int fd;

	fuzz_globals();
	strcpy(config->radius_authtypes, "pap,chap,mschapv2");
	config->ipv6_prefix.plen = 64;
	config->primary_dns = htonl(0xc0000235);
	fuzz_tables(16, 4, &pf);
	if ((fd = mkstemp(path)) < 0 || write(fd, "* x\n", 4) != 4)
		abort();
	close(fd);
	if (local_auth_load(path, NULL, NULL) != 0)
		abort();
	unlink(path);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sid_t s;

	config->multilink = size & 1;
	s = fuzz_session(0);
	ppp_session_start(s);
	fuzz_frames(s, data, size, ppp_input);
	ppp_session_end(s);
	session_release(s);
	return 0;
}
