/*
 * web.h - the operator's web view on the metrics HTTP server (web.c):
 * session list, session detail with its events and call quality chart,
 * disconnect with a reason.  Off unless web_enabled is set.
 */
#ifndef L2TPNS_WEB_H
#define L2TPNS_WEB_H

#include <stddef.h>
#include <microhttpd.h>

struct users;

/* The CLI's users file authenticates (HTTP Basic); reloaded in place. */
void	 web_set_users(const struct users *);
/*
 * A request under /l2tp: queues the answer; MHD_NO hangs up.  `body`
 * is the whole request body (POST), NULL for GET.
 */
enum MHD_Result web_request(struct MHD_Connection *, const char *url,
	    const char *method, const char *body, size_t body_len);

#endif /* L2TPNS_WEB_H */
