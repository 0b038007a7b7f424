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
#include "throttle.h"

#define VENDOR_CISCO	9
#define CISCO_AVPAIR	1

PU_PLUGIN_HEAD

int plugin_radius_response(struct param_radius_response *p);
int plugin_radius_reset(struct param_radius_reset *p);
int plugin_radius_account(struct param_radius_account *p);

static void
set(uint32_t sid, int field, uint32_t rate)
{
	if (f->session_set_int(sid, field, (uint64_t)rate) < 0)
		f->log(PLUGIN_LOG_WARN, sid, 0, "autothrottle: cannot set the "
		    "rate");
}

int
plugin_radius_response(struct param_radius_response *p)
{
	const char *k = p->key, *v = p->value;
	uint32_t r = 0;
	char buf[32];
	enum throttle_pair kind = throttle_parse_pair(k, v, &r);

	switch (kind) {
	case THROTTLE_NONE:
		break;
	case THROTTLE_BAD:
		f->log(PLUGIN_LOG_WARN, p->sid, p->tid, "autothrottle: "
		    "bad value in %s=%s (ignored)", k, v);
		break;
	case THROTTLE_YES:
		if (f->config_get("throttle_speed", buf, sizeof(buf)) < 0 ||
		    throttle_rate(buf, &r) < 0 || r == 0) {
			f->log(PLUGIN_LOG_WARN, p->sid, p->tid,
			    "autothrottle: throttle=yes but "
			    "throttle_speed is 0: not throttled");
			break;
		}
		/* FALLTHROUGH */
	case THROTTLE_BOTH:
		set(p->sid, PSF_RATE_IN, r);
		set(p->sid, PSF_RATE_OUT, r);
		f->log(PLUGIN_LOG_INFO, p->sid, p->tid, "autothrottle: %u "
		    "kbit/s both ways", r);
		break;
	case THROTTLE_IN:
	case THROTTLE_OUT:
		set(p->sid, kind == THROTTLE_IN ? PSF_RATE_IN : PSF_RATE_OUT,
		    r);
		f->log(PLUGIN_LOG_INFO, p->sid, p->tid, "autothrottle: %s %u "
		    "kbit/s", kind == THROTTLE_IN ? "upstream" : "downstream",
		    r);
		break;
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
