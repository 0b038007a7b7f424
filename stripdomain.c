/*
 * stripdomain.c - plugin: authenticate "user@realm" as "user".
 *
 * On pre_auth the user name is cut at its first '@', so RADIUS sees the
 * bare name.  The realm is gone for everything after, accounting too.
 */
#include "plugutil.h"

PU_PLUGIN_HEAD


int
plugin_pre_auth(struct param_pre_auth *p)
{
	char *at;

	if (p->username == NULL || (at = strchr(p->username, '@')) == NULL)
		return PLUGIN_RET_OK;
	f->log(PLUGIN_LOG_DEBUG, p->sid, p->tid, "user %s authenticates "
	    "as %.*s", p->username, (int)(at - p->username), p->username);
	*at = '\0';
	return PLUGIN_RET_OK;
}
