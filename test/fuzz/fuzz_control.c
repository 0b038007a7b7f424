/*
 * fuzz_control.c - libFuzzer harness for control_input(), the daemon's
 * nsctl request path: the nsctl_allow check, the decoder, the reply
 * cache and the dispatch to built-in commands and plugins.
 *
 * The input is a sequence of datagrams, each "source (1 byte), length
 * (2 bytes), bytes".  Bit 0 of the source byte picks an allowed
 * (127.0.0.1) or a refused (192.0.2.1) sender, bits 1-2 its port, so
 * that a run can load a plugin and then talk to it.  The plugins come
 * from test/fuzz/plugins (the Makefile builds them there, without
 * sanitizers) or $FUZZ_PLUGIN_DIR; without them load_plugin just fails.
 * Run from the top of the tree.  There is no socket: replies fail
 * quietly.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "harness.h"
#include "control.h"


static void
fuzz_setup(void)
{
	const char *dir = getenv("FUZZ_PLUGIN_DIR");

	fuzz_globals();
	snprintf(config->plugin_dir, sizeof(config->plugin_dir), "%s",
	    dir ? dir : "test/fuzz/plugins");
	fuzz_tables(64, 16, NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockaddr_in from;
	uint8_t *buf, sel;
	size_t len;

	/* Each input starts with the reply cache expired. */
	now_ms += 60000;
	while ((buf = fuzz_next(&data, &size, 1, &sel, &len)) != NULL) {
		from = fuzz_addr(sel & 1 ? 0xc0000201 : 0x7f000001,
		    (uint16_t)(40000 + (sel >> 1 & 3)));
		/* what the socket's buffer lets through at most */
		if (len > CTL_MAXMSG + 1)
			len = CTL_MAXMSG + 1;
		control_input(buf, len, &from, htonl(0x7f000001));
		free(buf);
	}
	/* Leave no plugin loaded for the next input. */
	plugin_unload_all();
	return 0;
}
