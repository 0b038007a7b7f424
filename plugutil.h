/*
 * plugutil.h - helpers shared by the plugins shipped with l2tpns.  Only
 * plugin.h's interface is used, so a third-party plugin may copy this.
 */
#ifndef L2TPNS_PLUGUTIL_H
#define L2TPNS_PLUGUTIL_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin.h"

/*
 * The head every simple plugin shares: its ABI version (plugin.h), `f`,
 * the daemon's callbacks, and a plugin_init that keeps them.  Write it
 * once at file scope: PU_PLUGIN_HEAD
 */
#define PU_PLUGIN_HEAD							\
	int plugin_api_version = PLUGIN_API_VERSION;			\
	static struct pluginfuncs *f;					\
	int plugin_init(struct pluginfuncs *);				\
	int								\
	plugin_init(struct pluginfuncs *funcs)				\
	{								\
		f = funcs;						\
		return 0;						\
	}

/*
 * A session named on an nsctl command line: a session id (digits) that
 * is in use, else a user name.  0 if neither matches.
 */
static inline uint32_t
pu_find_session(struct pluginfuncs *f, const char *arg)
{
	char *end;
	unsigned long v;

	if (arg[0] >= '0' && arg[0] <= '9') {
		v = strtoul(arg, &end, 10);
		if (*end == '\0' && v > 0 && v <= UINT32_MAX &&
		    f->session_exists((uint32_t)v))
			return (uint32_t)v;
	}
	return f->session_by_user(arg);
}

/* Answer a control command: result and one line of text. */
static inline int
pu_reply(struct param_control *p, int response, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static inline int
pu_reply(struct param_control *p, int response, const char *fmt, ...)
{
	va_list ap;

	p->response = response;
	if (p->reply && p->reply_size) {
		va_start(ap, fmt);
		vsnprintf(p->reply, p->reply_size, fmt, ap);
		va_end(ap);
	}
	return PLUGIN_RET_STOP;
}

/* Join argv[from..argc) with blanks into buf. */
static inline void
pu_join(char *buf, size_t len, int argc, char **argv, int from)
{
	size_t off = 0;
	int i;

	buf[0] = '\0';
	for (i = from; i < argc && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s",
		    i > from ? " " : "", argv[i]);
}

#endif /* L2TPNS_PLUGUTIL_H */
