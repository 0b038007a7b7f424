/*
 * throttle.h - the grammar of the Cisco-AVPair throttle values (manual,
 * "Throttling"), in one place for the two that read it: the autothrottle
 * plugin, which applies them, and the DAE listener (dae.c), which only
 * checks a CoA-Request's pairs so that a bad one refuses the request as
 * a whole (RFC 3576 2.3).
 *
 *   throttle=yes | no | RATE
 *   lcp:interface-config[#N]=service-policy input|output RATE
 *
 * RATE is kbit/s, digits only, at most 32 bits.  Header-only, so that
 * a plugin (built apart from the daemon) shares it.
 */
#ifndef L2TPNS_THROTTLE_H
#define L2TPNS_THROTTLE_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum throttle_pair {
	THROTTLE_NONE = 0,	/* not a throttle pair: left alone */
	THROTTLE_BAD,		/* a throttle pair with a bad value */
	THROTTLE_YES,		/* both ways at throttle_speed */
	THROTTLE_BOTH,		/* both ways at *rate (0 = off) */
	THROTTLE_IN,		/* from the subscriber at *rate */
	THROTTLE_OUT,		/* to the subscriber at *rate */
};

/* A rate in kbit/s: digits only, at most 32 bits; -1 if not that. */
static inline int
throttle_rate(const char *v, uint32_t *rate)
{
	unsigned long long r;
	char *end;

	if (*v < '0' || *v > '9')
		return -1;
	r = strtoull(v, &end, 10);
	if (*end != '\0' || r > 0xffffffffULL)
		return -1;
	*rate = (uint32_t)r;
	return 0;
}

static inline enum throttle_pair
throttle_parse_pair(const char *k, const char *v, uint32_t *rate)
{
	enum throttle_pair dir;

	if (strcmp(k, "throttle") == 0) {
		if (strcmp(v, "yes") == 0)
			return THROTTLE_YES;
		if (strcmp(v, "no") == 0) {
			*rate = 0;
			return THROTTLE_BOTH;
		}
		return throttle_rate(v, rate) < 0 ? THROTTLE_BAD :
		    THROTTLE_BOTH;
	}
	if (strncmp(k, "lcp:interface-config", 20) != 0 ||
	    (k[20] != '\0' && k[20] != '#') ||
	    strncmp(v, "service-policy ", 15) != 0)
		return THROTTLE_NONE;	/* other interface lines */
	v += 15;
	if (strncmp(v, "input ", 6) == 0) {
		dir = THROTTLE_IN;
		v += 6;
	} else if (strncmp(v, "output ", 7) == 0) {
		dir = THROTTLE_OUT;
		v += 7;
	} else
		return THROTTLE_BAD;
	while (*v == ' ')
		v++;
	return throttle_rate(v, rate) < 0 ? THROTTLE_BAD : dir;
}

#endif /* L2TPNS_THROTTLE_H */
