/*
 * autothrottle.c - throttle sessions from their RADIUS reply (manual,
 * "Throttling").
 *
 * Cisco-AVPair values understood, rates in kbit/s:
 *   throttle=yes       both directions at throttle_speed
 *   throttle=RATE      both directions at RATE
 *   throttle=no        not throttled
 *   lcp:interface-config[#N]=service-policy input RATE    from the user
 *   lcp:interface-config[#N]=service-policy output RATE   to the user
 * Other interface-config lines are left alone.  A CoA-Request resets
 * the rates (radius_reset) before its pairs are applied, so a CoA
 * without throttle pairs unthrottles the session.  Accounting requests
 * carry the rates back as the same Cisco-AVPairs, so that the RADIUS
 * side sees what was applied.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugutil.h"

#define VENDOR_CISCO	9
#define CISCO_AVPAIR	1

int plugin_api_version = PLUGIN_API_VERSION;

static struct pluginfuncs *f;

int plugin_init(struct pluginfuncs *funcs);
int plugin_radius_response(struct param_radius_response *p);
int plugin_radius_reset(struct param_radius_reset *p);
int plugin_radius_account(struct param_radius_account *p);

int
plugin_init(struct pluginfuncs *funcs)
{
	f = funcs;
	return 0;
}

/* A rate in kbit/s: digits only, at most 32 bits; -1 if not that. */
static long long
rate_of(const char *v)
{
	unsigned long long r;
	char *end;

	if (*v < '0' || *v > '9')
		return -1;
	r = strtoull(v, &end, 10);
	if (*end != '\0' || r > 0xffffffffULL)
		return -1;
	return (long long)r;
}

static void
set(uint32_t sid, int field, long long rate)
{
	if (f->session_set_int(sid, field, (uint64_t)rate) < 0)
		f->log(PLUGIN_LOG_WARN, sid, 0, "autothrottle: cannot set the "
		    "rate");
}

int
plugin_radius_response(struct param_radius_response *p)
{
	const char *k = p->key, *v = p->value;
	long long r;

	if (strcmp(k, "throttle") == 0) {
		if (strcmp(v, "yes") == 0) {
			char buf[32];

			if (f->config_get("throttle_speed", buf,
			    sizeof(buf)) < 0 || (r = rate_of(buf)) <= 0) {
				f->log(PLUGIN_LOG_WARN, p->sid, p->tid,
				    "autothrottle: throttle=yes but "
				    "throttle_speed is 0: not throttled");
				return PLUGIN_RET_OK;
			}
		} else if (strcmp(v, "no") == 0)
			r = 0;
		else if ((r = rate_of(v)) < 0) {
			f->log(PLUGIN_LOG_WARN, p->sid, p->tid, "autothrottle: "
			    "bad rate in throttle=%s (ignored)", v);
			return PLUGIN_RET_OK;
		}
		set(p->sid, PSF_RATE_IN, r);
		set(p->sid, PSF_RATE_OUT, r);
		f->log(PLUGIN_LOG_INFO, p->sid, p->tid, "autothrottle: %lld "
		    "kbit/s both ways", r);
		return PLUGIN_RET_OK;
	}
	if (strncmp(k, "lcp:interface-config", 20) == 0 &&
	    (k[20] == '\0' || k[20] == '#') &&
	    strncmp(v, "service-policy ", 15) == 0) {
		int field;

		v += 15;
		if (strncmp(v, "input ", 6) == 0) {
			field = PSF_RATE_IN;
			v += 6;
		} else if (strncmp(v, "output ", 7) == 0) {
			field = PSF_RATE_OUT;
			v += 7;
		} else {
			f->log(PLUGIN_LOG_WARN, p->sid, p->tid, "autothrottle: "
			    "%s=%s: neither input nor output (ignored)", k,
			    p->value);
			return PLUGIN_RET_OK;
		}
		while (*v == ' ')
			v++;
		if ((r = rate_of(v)) < 0) {
			f->log(PLUGIN_LOG_WARN, p->sid, p->tid, "autothrottle: "
			    "bad rate in %s=%s (ignored)", k, p->value);
			return PLUGIN_RET_OK;
		}
		set(p->sid, field, r);
		f->log(PLUGIN_LOG_INFO, p->sid, p->tid, "autothrottle: %s %lld "
		    "kbit/s", field == PSF_RATE_IN ? "upstream" : "downstream",
		    r);
	}
	return PLUGIN_RET_OK;
}

int
plugin_radius_reset(struct param_radius_reset *p)
{
	set(p->sid, PSF_RATE_IN, 0);
	set(p->sid, PSF_RATE_OUT, 0);
	return PLUGIN_RET_OK;
}

/* One Vendor-Specific Cisco-AVPair (RFC 2865 5.26) at buf + *len. */
static void
add_avpair(struct param_radius_account *p, const char *text)
{
	size_t n = strlen(text), total = 2 + 4 + 2 + n;
	uint8_t *a = p->buf + *p->len;

	if (n > 240 || *p->len + total > p->cap)
		return;
	a[0] = 26;			/* Vendor-Specific */
	a[1] = (uint8_t)total;
	a[2] = 0;
	a[3] = 0;
	a[4] = 0;
	a[5] = VENDOR_CISCO;
	a[6] = CISCO_AVPAIR;
	a[7] = (uint8_t)(2 + n);
	memcpy(a + 8, text, n);
	*p->len += total;
}

int
plugin_radius_account(struct param_radius_account *p)
{
	uint64_t in = 0, out = 0;
	char text[80];

	f->session_get_int(p->sid, PSF_RATE_IN, &in);
	f->session_get_int(p->sid, PSF_RATE_OUT, &out);
	if (in) {
		snprintf(text, sizeof(text), "lcp:interface-config#1="
		    "service-policy input %llu", (unsigned long long)in);
		add_avpair(p, text);
	}
	if (out) {
		snprintf(text, sizeof(text), "lcp:interface-config#2="
		    "service-policy output %llu", (unsigned long long)out);
		add_avpair(p, text);
	}
	return PLUGIN_RET_OK;
}
