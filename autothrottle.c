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

PU_PLUGIN_HEAD


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
		pu_add_avpair(p, text);
	}
	if (out) {
		snprintf(text, sizeof(text), "lcp:interface-config#2="
		    "service-policy output %llu", (unsigned long long)out);
		pu_add_avpair(p, text);
	}
	return PLUGIN_RET_OK;
}
