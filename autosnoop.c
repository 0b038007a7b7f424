/*
 * autosnoop.c - plugin: interception requested by RADIUS.
 *
 * A Cisco-AVPair "intercept=IP:PORT" in an Access-Accept or a
 * CoA-Request intercepts the session to IP:PORT (manual,
 * "Interception"), as the CLI's "snoop" command does.  A CoA-Request
 * replaces the pairs the session was given: without an intercept pair it
 * stops the interception.  While a session is intercepted its accounting
 * requests carry the same pair, so the RADIUS server's records show it.
 */
#include <arpa/inet.h>

#include "plugutil.h"

PU_PLUGIN_HEAD


/* "a.b.c.d:port" -> address (network order) and port; -1 if malformed. */
static int
parse_target(const char *v, struct in_addr *ip, uint16_t *port)
{
	const char *colon = strchr(v, ':');
	char host[INET_ADDRSTRLEN], *end;
	unsigned long n;

	if (colon == NULL || (size_t)(colon - v) >= sizeof(host))
		return -1;
	memcpy(host, v, (size_t)(colon - v));
	host[colon - v] = '\0';
	if (inet_pton(AF_INET, host, ip) != 1 || ip->s_addr == 0 ||
	    ip->s_addr == INADDR_BROADCAST)
		return -1;
	if (colon[1] < '0' || colon[1] > '9')
		return -1;
	n = strtoul(colon + 1, &end, 10);
	if (*end != '\0' || n == 0 || n > 65535)
		return -1;
	*port = (uint16_t)n;
	return 0;
}

int
plugin_radius_response(struct param_radius_response *p)
{
	struct in_addr ip;
	uint16_t port;

	if (strcmp(p->key, "intercept") != 0)
		return PLUGIN_RET_OK;
	if (parse_target(p->value, &ip, &port) < 0) {
		f->log(PLUGIN_LOG_WARN, p->sid, p->tid, "Cisco-AVPair "
		    "intercept=\"%s\" is not IP:PORT; ignored", p->value);
		return PLUGIN_RET_OK;
	}
	if (f->session_set_int(p->sid, PSF_SNOOP_IP, ip.s_addr) < 0 ||
	    f->session_set_int(p->sid, PSF_SNOOP_PORT, port) < 0) {
		f->log(PLUGIN_LOG_ERROR, p->sid, p->tid, "cannot intercept "
		    "the session to %s", p->value);
		return PLUGIN_RET_OK;
	}
	f->log(PLUGIN_LOG_INFO, p->sid, p->tid, "intercepted to %s:%u (RADIUS)",
	    inet_ntoa(ip), port);
	return PLUGIN_RET_OK;
}

int
plugin_radius_reset(struct param_radius_reset *p)
{
	uint64_t ip = 0;

	if (f->session_get_int(p->sid, PSF_SNOOP_IP, &ip) < 0 || ip == 0)
		return PLUGIN_RET_OK;
	f->session_set_int(p->sid, PSF_SNOOP_IP, 0);
	f->session_set_int(p->sid, PSF_SNOOP_PORT, 0);
	f->log(PLUGIN_LOG_INFO, p->sid, p->tid, "interception reset (CoA)");
	return PLUGIN_RET_OK;
}

/* Cisco-AVPair "intercept=IP:PORT" on the session's accounting. */
int
plugin_radius_account(struct param_radius_account *p)
{
	uint64_t ip = 0, port = 0;
	struct in_addr a;
	char text[48];
	int n;

	if (f->session_get_int(p->sid, PSF_SNOOP_IP, &ip) < 0 || ip == 0 ||
	    f->session_get_int(p->sid, PSF_SNOOP_PORT, &port) < 0 || port == 0)
		return PLUGIN_RET_OK;
	a.s_addr = (uint32_t)ip;
	n = snprintf(text, sizeof(text), "intercept=%s:%u", inet_ntoa(a),
	    (unsigned)port);
	if (n > 0 && (size_t)n < sizeof(text))
		pu_add_avpair(p, text);
	return PLUGIN_RET_OK;
}
