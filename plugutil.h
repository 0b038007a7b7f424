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
 * What a plugin may define (plugin.h says when the daemon calls each),
 * declared once here: a plugin defines the hooks it needs and no more.
 */
extern int plugin_api_version;
extern const char *plugin_control_help[];
int	plugin_init(struct pluginfuncs *);
void	plugin_done(void);
int	plugin_pre_auth(struct param_pre_auth *);
int	plugin_post_auth(struct param_post_auth *);
int	plugin_packet_rx(struct param_packet *);
int	plugin_packet_tx(struct param_packet *);
int	plugin_timer(struct param_timer *);
int	plugin_new_session(struct param_new_session *);
int	plugin_kill_session(struct param_kill_session *);
int	plugin_control(struct param_control *);
int	plugin_radius_response(struct param_radius_response *);
int	plugin_radius_reset(struct param_radius_reset *);
int	plugin_radius_account(struct param_radius_account *);
int	plugin_become_master(struct param_become_master *);
int	plugin_new_session_master(struct param_new_session_master *);

/*
 * The head every simple plugin shares: its ABI version (plugin.h), `f`,
 * the daemon's callbacks, and a plugin_init that keeps them.  Write it
 * once at file scope: PU_PLUGIN_HEAD
 */
#define PU_PLUGIN_HEAD							\
	int plugin_api_version = PLUGIN_API_VERSION;			\
	static struct pluginfuncs *f;					\
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

#define PU_VSA		26	/* Vendor-Specific, RFC 2865 5.26 */
#define PU_VENDOR_CISCO	9
#define PU_CISCO_AVPAIR	1

/*
 * One Cisco-AVPair (RFC 2865 5.26: type, length, vendor id, then Cisco's
 * own attribute, its value the text) added to the accounting request
 * being built; left out if it does not fit.
 */
static inline void
pu_add_avpair(struct param_radius_account *p, const char *text)
{
	size_t n = strlen(text), total = 2 + 4 + 2 + n;
	uint8_t *a = p->buf + *p->len;

	if (n > 240 || *p->len + total > p->cap)
		return;
	a[0] = PU_VSA;
	a[1] = (uint8_t)total;
	a[2] = 0;
	a[3] = 0;
	a[4] = 0;
	a[5] = PU_VENDOR_CISCO;
	a[6] = PU_CISCO_AVPAIR;
	a[7] = (uint8_t)(2 + n);
	memcpy(a + 8, text, n);
	*p->len += total;
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
