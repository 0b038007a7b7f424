/*
 * throttlectl.c - plugin: throttle sessions from nsctl.
 *
 *	nsctl throttle SID|USER [RATE | in RATE | out RATE ...]
 *	nsctl unthrottle SID|USER
 *
 * RATE is in kbit/s and applies both ways unless "in" (from the
 * subscriber) or "out" (to the subscriber) precedes it.  Without a rate
 * the session gets throttle_speed.  Sets the session's rates, as the
 * CLI's "throttle" command does (manual, "Throttling").
 */
#include "plugutil.h"

PU_PLUGIN_HEAD

const char *plugin_control_help[] = {
	"throttle SID|USER [RATE|in RATE|out RATE]  throttle a session (kbit/s)",
	"unthrottle SID|USER                        stop throttling a session",
	NULL
};


static int
parse_rate(const char *s, uint64_t *v)
{
	char *end;
	unsigned long long r;

	if (*s < '0' || *s > '9')
		return -1;
	r = strtoull(s, &end, 10);
	if (*end || r == 0 || r > UINT32_MAX)
		return -1;
	*v = r;
	return 0;
}

int
plugin_control(struct param_control *p)
{
	uint64_t in = 0, out = 0, r;
	uint32_t sid;
	char buf[32];
	int i;

	if (strcmp(p->argv[0], "unthrottle") == 0) {
		if (!p->iam_master)
			return PLUGIN_RET_NOTMASTER;
		if (p->argc != 2)
			return pu_reply(p, NSCTL_RES_ERR,
			    "usage: unthrottle SID|USER");
		if ((sid = pu_find_session(f, p->argv[1])) == 0)
			return pu_reply(p, NSCTL_RES_ERR, "no session %s",
			    p->argv[1]);
		f->session_set_int(sid, PSF_RATE_IN, 0);
		f->session_set_int(sid, PSF_RATE_OUT, 0);
		f->log(PLUGIN_LOG_INFO, sid, 0, "throttling removed");
		return pu_reply(p, NSCTL_RES_OK, "session %u unthrottled", sid);
	}
	if (strcmp(p->argv[0], "throttle") != 0)
		return PLUGIN_RET_OK;
	if (!p->iam_master)
		return PLUGIN_RET_NOTMASTER;
	if (p->argc < 2 || p->argc > 6)
		return pu_reply(p, NSCTL_RES_ERR, "usage: throttle SID|USER "
		    "[RATE | in RATE | out RATE]");
	if ((sid = pu_find_session(f, p->argv[1])) == 0)
		return pu_reply(p, NSCTL_RES_ERR, "no session %s", p->argv[1]);
	for (i = 2; i < p->argc; i++) {
		int which = 0;	/* 0 both, 1 in, 2 out */

		if (strcmp(p->argv[i], "in") == 0)
			which = 1;
		else if (strcmp(p->argv[i], "out") == 0)
			which = 2;
		if (which && ++i == p->argc)
			return pu_reply(p, NSCTL_RES_ERR, "%s needs a rate",
			    p->argv[i - 1]);
		if (parse_rate(p->argv[i], &r) < 0)
			return pu_reply(p, NSCTL_RES_ERR, "bad rate \"%s\" "
			    "(kbit/s, more than 0)", p->argv[i]);
		if (which != 2)
			in = r;
		if (which != 1)
			out = r;
	}
	if (p->argc == 2) {
		if (f->config_get("throttle_speed", buf, sizeof(buf)) < 0 ||
		    parse_rate(buf, &r) < 0)
			return pu_reply(p, NSCTL_RES_ERR, "no rate given and "
			    "throttle_speed is not set");
		in = out = r;
	}
	if ((in && f->session_set_int(sid, PSF_RATE_IN, in) < 0) ||
	    (out && f->session_set_int(sid, PSF_RATE_OUT, out) < 0))
		return pu_reply(p, NSCTL_RES_ERR, "cannot throttle session %u",
		    sid);
	f->session_get_int(sid, PSF_RATE_IN, &in);
	f->session_get_int(sid, PSF_RATE_OUT, &out);
	f->log(PLUGIN_LOG_INFO, sid, 0, "throttled: in %llu out %llu kbit/s",
	    (unsigned long long)in, (unsigned long long)out);
	return pu_reply(p, NSCTL_RES_OK, "session %u throttled: in %llu, out "
	    "%llu kbit/s", sid, (unsigned long long)in,
	    (unsigned long long)out);
}
