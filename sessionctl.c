/*
 * sessionctl.c - plugin: disconnect sessions from nsctl.
 *
 *	nsctl drop_session SID|USER [REASON...]
 *	nsctl kill_session SID|USER [REASON...]
 *
 * ("drop" and "kill" are accepted too, as l2tpns 2.x spelled them.)
 * drop closes the session as the CLI's "drop session" does: LCP
 * Terminate-Request, then a CDN with result 3 (administrative),
 * Acct-Terminate-Cause Admin-Reset.  kill clears the call at once: the
 * CDN without waiting for PPP's goodbye, for a subscriber that no longer
 * answers.
 */
#include <stddef.h>

#include "plugutil.h"

PU_PLUGIN_HEAD

const char *plugin_control_help[] = {
	"drop_session SID|USER [REASON]  disconnect a session",
	"kill_session SID|USER [REASON]  disconnect at once, no LCP Terminate",
	NULL
};


int
plugin_control(struct param_control *p)
{
	char reason[256];
	uint32_t sid;
	int kill;

	if (strcmp(p->argv[0], "drop_session") == 0 ||
	    strcmp(p->argv[0], "drop") == 0)
		kill = 0;
	else if (strcmp(p->argv[0], "kill_session") == 0 ||
	    strcmp(p->argv[0], "kill") == 0)
		kill = 1;
	else
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
	if (kill) {
		/* A daemon older than the callback has no kill. */
		if (f->size < offsetof(struct pluginfuncs, session_kill) +
		    sizeof(f->session_kill) || f->session_kill == NULL)
			return pu_reply(p, NSCTL_RES_ERR, "kill is not "
			    "supported by this daemon");
		if (f->session_kill(sid, reason) < 0)
			return pu_reply(p, NSCTL_RES_ERR, "cannot kill "
			    "session %u", sid);
		return pu_reply(p, NSCTL_RES_OK, "session %u killed", sid);
	}
	if (f->session_drop(sid, reason) < 0)
		return pu_reply(p, NSCTL_RES_ERR, "cannot drop session %u",
		    sid);
	return pu_reply(p, NSCTL_RES_OK, "session %u dropped", sid);
}
