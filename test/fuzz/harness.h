/*
 * harness.h - what the daemon-level fuzz targets share: a quiet daemon
 * with its tables, and the "datagram stream" input format.
 *
 * Most targets read their input as a sequence of records, each "pre
 * octets of selectors, a 2-octet big-endian length, that many octets"
 * (a short last record keeps what is left).  fuzz_next() cuts one off
 * and gives back an allocation of exactly its length, so that
 * AddressSanitizer sees any read past the end of what the parser was
 * given.
 *
 * A target that includes this defines fuzz_setup(): libFuzzer calls it
 * once, through LLVMFuzzerInitialize() below, before the first input.
 */
#ifndef FUZZ_HARNESS_H
#define FUZZ_HARNESS_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "../daemon_globals.h"
#include "l2tpns.h"
#include "event.h"
#include "l2tp.h"
#include "log.h"

/* config and stats with the defaults, nothing logged, host "fuzz-lns". */
static inline void
fuzz_globals(void)
{
	if (daemon_globals() < 0)
		abort();
	strcpy(config->hostname, "fuzz-lns");
}

/*
 * The timer heap, the session and tunnel tables, the L2TP state, the
 * pool (pf may be NULL: no addresses) and PPP, for `sessions` sessions.
 */
static inline void
fuzz_tables(int sessions, int tunnels, const struct pool_file *pf)
{
	if (ev_init() < 0 || tables_init(sessions, tunnels) < 0 ||
	    l2tp_init_state() < 0 || ippool_init(pf, sessions) < 0 ||
	    ppp_init(sessions) < 0)
		abort();
}

/*
 * An allocation of exactly len octets holding p[0..len): a parser given
 * it cannot read past the end without AddressSanitizer seeing it.
 */
static inline uint8_t *
fuzz_copy(const void *p, size_t len)
{
	uint8_t *buf;

	if ((buf = malloc(len ? len : 1)) == NULL)
		abort();
	memcpy(buf, p, len);
	return buf;
}

/* A datagram's source: IPv4 address and port, both in host order. */
static inline struct sockaddr_in
fuzz_addr(uint32_t ip, uint16_t port)
{
	struct sockaddr_in a;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(ip);
	a.sin_port = htons(port);
	return a;
}

/*
 * The next record of the input: its `pre` selector octets are copied to
 * sel (when pre > 0), and *lenp is set to its length.  NULL when fewer
 * than pre + 2 octets remain.  The caller frees what it gets.
 */
static inline uint8_t *
fuzz_next(const uint8_t **data, size_t *size, size_t pre, uint8_t *sel,
    size_t *lenp)
{
	size_t len;
	uint8_t *buf;

	if (*size < pre + 2)
		return NULL;
	if (pre > 0)
		memcpy(sel, *data, pre);
	len = (size_t)(*data)[pre] << 8 | (*data)[pre + 1];
	*data += pre + 2;
	*size -= pre + 2;
	if (len > *size)
		len = *size;
	buf = fuzz_copy(*data, len);
	*data += len;
	*size -= len;
	*lenp = len;
	return buf;
}

/*
 * A session on tunnel 1 for one input, `client` when it is our own PPP
 * client's (outgoing L2TP); abort() when the table is full (a leak).
 */
static inline sid_t
fuzz_session(int client)
{
	sid_t s;

	if ((s = session_alloc()) == 0)
		abort();
	session_get(s)->tunnel = 1;
	session_get(s)->client = (uint8_t)client;
	return s;
}

/* Each record of the rest of the input to input(), a frame of session s. */
static inline void
fuzz_frames(sid_t s, const uint8_t *data, size_t size,
    void (*input)(sid_t, const uint8_t *, size_t))
{
	uint8_t *buf;
	size_t len;

	while ((buf = fuzz_next(&data, &size, 0, NULL, &len)) != NULL) {
		input(s, buf, len);
		free(buf);
	}
}

static void fuzz_setup(void);

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_setup();
	return 0;
}

#endif
