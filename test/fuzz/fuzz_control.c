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

#include "l2tpns.h"
#include "control.h"
#include "event.h"
#include "l2tp.h"
#include "log.h"


static void
setup(void)
{
	static int done;
	const char *dir = getenv("FUZZ_PLUGIN_DIR");

	if (done)
		return;
	done = 1;
	stats = calloc(1, sizeof(*stats));
	config = calloc(1, sizeof(*config));
	cfg_defaults(config);
	snprintf(config->plugin_dir, sizeof(config->plugin_dir), "%s",
	    dir ? dir : "test/fuzz/plugins");
	log_level = -1;
	if (ev_init() < 0 || tables_init(64, 16) < 0 || l2tp_init_state() < 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockaddr_in from;
	uint8_t *buf;

	setup();
	/* Each input starts with the reply cache expired. */
	now_ms += 60000;
	memset(&from, 0, sizeof(from));
	from.sin_family = AF_INET;
	while (size >= 3) {
		size_t len = (size_t)data[1] << 8 | data[2];

		from.sin_addr.s_addr = htonl(data[0] & 1 ? 0xc0000201 :
		    0x7f000001);
		from.sin_port = htons((uint16_t)(40000 + (data[0] >> 1 & 3)));
		data += 3;
		size -= 3;
		if (len > size)
			len = size;
		if (len > CTL_MAXMSG + 1)
			len = CTL_MAXMSG + 1;
		/* An allocation of exactly len: ASan sees any over-read. */
		if ((buf = malloc(len ? len : 1)) == NULL)
			abort();
		memcpy(buf, data, len);
		control_input(buf, len, &from, htonl(0x7f000001));
		free(buf);
		data += len;
		size -= len;
	}
	/* Leave no plugin loaded for the next input. */
	plugin_unload_all();
	return 0;
}
