/*
 * snoopctl.c - plugin: start and stop interception from nsctl.
 *
 *	nsctl snoop SID|USER IP PORT	copy the session's packets to IP:PORT
 *	nsctl unsnoop SID|USER		stop
 *
 * Sets the session's intercept target, as the CLI's "snoop" command
 * does (manual, "Interception").
 */
#include <arpa/inet.h>

#include "plugutil.h"

PU_PLUGIN_HEAD

const char *plugin_control_help[] = {
	"snoop SID|USER IP PORT  intercept a session's traffic to IP:PORT",
	"unsnoop SID|USER        stop intercepting a session",
	NULL
};


int
plugin_control(struct param_control *p)
{
	struct in_addr ip;
	unsigned long port;
	uint64_t cur_ip = 0, cur_port = 0;
	uint32_t sid;
	char *end;
	int snoop;

	if (strcmp(p->argv[0], "snoop") == 0)
		snoop = 1;
	else if (strcmp(p->argv[0], "unsnoop") == 0)
		snoop = 0;
	else
		return PLUGIN_RET_OK;
	if (!p->iam_master)
		return PLUGIN_RET_NOTMASTER;
	if (p->argc != (snoop ? 4 : 2))
		return pu_reply(p, NSCTL_RES_ERR, "usage: %s", snoop ?
		    "snoop SID|USER IP PORT" : "unsnoop SID|USER");
	if ((sid = pu_find_session(f, p->argv[1])) == 0)
		return pu_reply(p, NSCTL_RES_ERR, "no session %s",
		    p->argv[1]);
	f->session_get_int(sid, PSF_SNOOP_IP, &cur_ip);
	f->session_get_int(sid, PSF_SNOOP_PORT, &cur_port);
	if (!snoop) {
		if (cur_ip == 0)
			return pu_reply(p, NSCTL_RES_ERR, "session %u is not "
			    "intercepted", sid);
		f->session_set_int(sid, PSF_SNOOP_IP, 0);
		f->session_set_int(sid, PSF_SNOOP_PORT, 0);
		f->log(PLUGIN_LOG_INFO, sid, 0, "interception stopped");
		return pu_reply(p, NSCTL_RES_OK, "session %u no longer "
		    "intercepted", sid);
	}
	if (inet_pton(AF_INET, p->argv[2], &ip) != 1 || ip.s_addr == 0)
		return pu_reply(p, NSCTL_RES_ERR, "bad address \"%s\"",
		    p->argv[2]);
	port = strtoul(p->argv[3], &end, 10);
	if (*end || end == p->argv[3] || port == 0 || port > 65535)
		return pu_reply(p, NSCTL_RES_ERR, "bad port \"%s\"",
		    p->argv[3]);
	if (cur_ip == ip.s_addr && cur_port == port)
		return pu_reply(p, NSCTL_RES_ERR, "session %u is already "
		    "intercepted to %s:%lu", sid, p->argv[2], port);
	if (f->session_set_int(sid, PSF_SNOOP_IP, ip.s_addr) < 0 ||
	    f->session_set_int(sid, PSF_SNOOP_PORT, port) < 0)
		return pu_reply(p, NSCTL_RES_ERR, "cannot intercept session "
		    "%u", sid);
	f->log(PLUGIN_LOG_INFO, sid, 0, "intercepted to %s:%lu", p->argv[2],
	    port);
	return pu_reply(p, NSCTL_RES_OK, "session %u intercepted to %s:%lu",
	    sid, p->argv[2], port);
}
