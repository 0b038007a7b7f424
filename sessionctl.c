/*
 * sessionctl.c - plugin: disconnect sessions from nsctl.
 *
 *	nsctl drop_session SID|USER [REASON...]
 *
 * ("drop" is accepted too, as l2tpns 2.x spelled it.)  The session is
 * closed as the CLI's "drop session" does: LCP Terminate-Request, then a
 * CDN with result 3 (administrative), Acct-Terminate-Cause Admin-Reset.
 */
#include "plugutil.h"

PU_PLUGIN_HEAD

const char *plugin_control_help[] = {
	"drop_session SID|USER [REASON]  disconnect a session",
	NULL
};

int plugin_control(struct param_control *p);

int
plugin_control(struct param_control *p)
{
	char reason[256];
	uint32_t sid;

	if (strcmp(p->argv[0], "drop_session") != 0 &&
	    strcmp(p->argv[0], "drop") != 0)
		return PLUGIN_RET_OK;
	if (!p->iam_master)
		return PLUGIN_RET_NOTMASTER;
	if (p->argc < 2)
		return pu_reply(p, NSCTL_RES_ERR,
		    "usage: %s SID|USER [REASON]", p->argv[0]);
	if ((sid = pu_find_session(f, p->argv[1])) == 0)
		return pu_reply(p, NSCTL_RES_ERR, "no session %s",
		    p->argv[1]);
	if (p->argc > 2)
		pu_join(reason, sizeof(reason), p->argc, p->argv, 2);
	else
		snprintf(reason, sizeof(reason), "requested by administrator");
	if (f->session_drop(sid, reason) < 0)
		return pu_reply(p, NSCTL_RES_ERR, "cannot drop session %u",
		    sid);
	return pu_reply(p, NSCTL_RES_OK, "session %u dropped", sid);
}
