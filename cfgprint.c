/*
 * cfgprint.c - the configuration printer: the running configuration
 * written back as startup-config lines ("show running-config", "write
 * memory", the config round-trip tests), values waiting for a restart
 * marked, and the list of changed directives that take effect only at
 * a restart.
 *
 * State owned: none.  Reads the directive table through
 * cfg_directives() (config.c), so that what is parsed and what is
 * printed are one table (STYLE 13).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int
cfg_format(const struct config *c, const struct cfg_directive *d, char *buf,
    size_t len)
{
	const char *field = (const char *)c + d->offset;
	char a[INET6_ADDRSTRLEN];

	switch (d->type) {
	case CT_INT:
	case CT_SHORT:
		return snprintf(buf, len, "%d", *(const int *)field);
	case CT_ULONG:
		return snprintf(buf, len, "%lu", *(const unsigned long *)field);
	case CT_BOOL:
		return snprintf(buf, len, "%s", *(const int *)field ? "yes" : "no");
	case CT_STRING:
		return snprintf(buf, len, "%s", field);
	case CT_IPV4:
		inet_ntop(AF_INET, field, a, sizeof(a));
		return snprintf(buf, len, "%s", a);
	case CT_IPV6:
		inet_ntop(AF_INET6, field, a, sizeof(a));
		return snprintf(buf, len, "%s", a);
	case CT_IPV6PFX: {
		const struct cfg_ip6pfx *p = (const struct cfg_ip6pfx *)field;

		if (p->plen == 0)
			return snprintf(buf, len, "%s", "");
		inet_ntop(AF_INET6, &p->addr, a, sizeof(a));
		return snprintf(buf, len, "%s/%d", a, p->plen);
	}
	case CT_LEGACY:
		break;
	}
	return snprintf(buf, len, "%s", "");
}

/* Quote a value for the file: bare if it is one plain word. */
static void
quote(const char *v, char *out, size_t len)
{
	size_t o = 0;
	int plain = *v != '\0';
	const char *p;

	for (p = v; *p; p++)
		if (isspace((unsigned char)*p) || *p == '"' || *p == '\'' ||
		    *p == '\\' || *p == '#' || *p == '!')
			plain = 0;
	if (plain) {
		snprintf(out, len, "%s", v);
		return;
	}
	if (len < 3) {
		out[0] = '\0';
		return;
	}
	out[o++] = '"';
	for (p = v; *p && o + 3 < len; p++) {
		if (*p == '"' || *p == '\\')
			out[o++] = '\\';
		out[o++] = *p;
	}
	out[o++] = '"';
	out[o] = '\0';
}

static void
fmt_addr(in_addr_t a, in_addr_t w, char *out, size_t len)
{
	char s[INET_ADDRSTRLEN], m[INET_ADDRSTRLEN];

	if (w == 0xffffffff)
		snprintf(out, len, "any");
	else if (w == 0) {
		inet_ntop(AF_INET, &a, s, sizeof(s));
		snprintf(out, len, "host %s", s);
	} else {
		inet_ntop(AF_INET, &a, s, sizeof(s));
		inet_ntop(AF_INET, &w, m, sizeof(m));
		snprintf(out, len, "%s %s", s, m);
	}
}

static void
fmt_ports(uint8_t op, const uint16_t p[2], char *out, size_t len)
{
	static const char *w[] = { "", "eq", "neq", "gt", "lt", "range" };

	if (op == PORT_ANY)
		out[0] = '\0';
	else if (op == PORT_RANGE)
		snprintf(out, len, " range %u %u", p[0], p[1]);
	else
		snprintf(out, len, " %s %u", w[op], p[0]);
}

/* Format one access-list rule in config syntax (used by the CLI too). */
int
acl_format_rule(const struct acl *a, const struct acl_rule *r, char *buf,
    size_t len)
{
	/* tcp: " match-all" and all twelve " +flag"/" -flag" take 71 bytes. */
	char src[48], dst[48], sp[24], dp[24], tcp[80] = "";
	static const char *fl[] = { "fin", "syn", "rst", "psh", "ack", "urg" };
	int k;

	fmt_addr(r->src, r->src_wild, src, sizeof(src));
	fmt_addr(r->dst, r->dst_wild, dst, sizeof(dst));
	if (!a->extended) {
		if (r->dst_wild == 0xffffffff)
			return snprintf(buf, len, "%s %s",
			    r->permit ? "permit" : "deny", src);
		return snprintf(buf, len, "%s %s %s",
		    r->permit ? "permit" : "deny", src, dst);
	}
	fmt_ports(r->sport_op, r->sport, sp, sizeof(sp));
	fmt_ports(r->dport_op, r->dport, dp, sizeof(dp));
	if (r->tcp_op == TCPF_ESTABLISHED)
		snprintf(tcp, sizeof(tcp), " established");
	else if (r->tcp_op != TCPF_NONE) {
		size_t o = (size_t)snprintf(tcp, sizeof(tcp), " %s",
		    r->tcp_op == TCPF_MATCH_ANY ? "match-any" : "match-all");

		for (k = 0; k < 6 && o < sizeof(tcp); k++) {
			if (r->tcp_set & (1 << k))
				o += (size_t)snprintf(tcp + o, sizeof(tcp) - o,
				    " +%s", fl[k]);
			if (r->tcp_clear & (1 << k) && o < sizeof(tcp))
				o += (size_t)snprintf(tcp + o, sizeof(tcp) - o,
				    " -%s", fl[k]);
		}
	}
	return snprintf(buf, len, "%s %s %s%s %s%s%s%s",
	    r->permit ? "permit" : "deny",
	    r->proto == 6 ? "tcp" : r->proto == 17 ? "udp" : "ip",
	    src, sp, dst, dp, tcp, r->fragments ? " fragments" : "");
}

static int print_config(const struct config *, int all, int secrets,
    int mark, int (*out)(void *, const char *), void *arg);

/* The static incoming L2TP rules (config.h), one line each. */
static int
print_l2tp_rules(const struct config *c, int secrets,
    int (*out)(void *, const char *), void *arg)
{
	char line[1024], a[INET_ADDRSTRLEN], h[140], u[140], p[140];
	size_t o;
	int j, k;

	for (j = 0; j < c->nl2tp_tunnels; j++) {
		const struct l2tp_tunnel_rule *t = &c->l2tp_tunnels[j];

		quote(t->host, h, sizeof(h));
		quote(secrets ? t->secret : "<hidden>", p, sizeof(p));
		snprintf(line, sizeof(line), "l2tp incoming %s %s", h, p);
		if (out(arg, line) < 0)
			return -1;
	}
	for (j = 0; j < c->nl2tp_sessions; j++) {
		const struct l2tp_session_rule *r = &c->l2tp_sessions[j];

		quote(r->user, u, sizeof(u));
		quote(secrets || strcmp(r->password, "*") == 0 ? r->password :
		    "<hidden>", p, sizeof(p));
		o = (size_t)snprintf(line, sizeof(line), "l2tp session %s %s",
		    u, p);
		if (r->tunnel[0]) {
			quote(r->tunnel, h, sizeof(h));
			o += (size_t)snprintf(line + o, sizeof(line) - o,
			    " tunnel %s", h);
		}
		if (r->relay) {
			inet_ntop(AF_INET, &r->relay, a, sizeof(a));
			o += (size_t)snprintf(line + o, sizeof(line) - o,
			    " relay %s %u", a, r->relay_port);
			if (r->relay_secret[0]) {
				quote(secrets ? r->relay_secret : "<hidden>",
				    p, sizeof(p));
				o += (size_t)snprintf(line + o, sizeof(line) - o,
				    " %s", p);
			}
		} else {
			inet_ntop(AF_INET, &r->ip, a, sizeof(a));
			o += (size_t)snprintf(line + o, sizeof(line) - o,
			    " address %s", a);
			for (k = 0; k < r->nroutes && o < sizeof(line); k++) {
				inet_ntop(AF_INET, &r->route_net[k], a,
				    sizeof(a));
				o += (size_t)snprintf(line + o, sizeof(line) - o,
				    " route %s/%u", a, r->route_len[k]);
			}
			if (r->haset[0] && o < sizeof(line)) {
				quote(r->haset, h, sizeof(h));
				o += (size_t)snprintf(line + o, sizeof(line) - o,
				    " ha-set %s", h);
			}
		}
		if (out(arg, line) < 0)
			return -1;
	}
	return 0;
}

/* The outgoing tunnels (config.h), one line each, in the parser's
 * order of keywords. */
static int
print_outgoing(const struct config *c, int secrets,
    int (*out)(void *, const char *), void *arg)
{
	static const char *auth_names[] = { "pap", "chap", "mschapv2" };
	char line[1400], a[INET_ADDRSTRLEN], q[140];
	const char *sep;
	size_t o;
	int j, k;

	for (j = 0; j < c->nl2tp_outgoing; j++) {
		const struct l2tp_outgoing *g = &c->l2tp_outgoing[j];

		quote(g->name, q, sizeof(q));
		inet_ntop(AF_INET, &g->lns, a, sizeof(a));
		o = (size_t)snprintf(line, sizeof(line), "l2tp outgoing %s lns "
		    "%s port %u", q, a, g->port);
		if (g->host[0]) {
			quote(g->host, q, sizeof(q));
			o += (size_t)snprintf(line + o, sizeof(line) - o,
			    " hostname %s", q);
		}
		if (g->secret[0]) {
			quote(secrets ? g->secret : "<hidden>", q, sizeof(q));
			o += (size_t)snprintf(line + o, sizeof(line) - o,
			    " secret %s", q);
		}
		quote(g->user, q, sizeof(q));
		o += (size_t)snprintf(line + o, sizeof(line) - o, " user %s", q);
		quote(secrets ? g->password : "<hidden>", q, sizeof(q));
		o += (size_t)snprintf(line + o, sizeof(line) - o,
		    " password %s auth ", q);
		for (k = 0, sep = ""; k < 3; k++)
			if (g->auth & (1u << k)) {
				o += (size_t)snprintf(line + o, sizeof(line) - o,
				    "%s%s", sep, auth_names[k]);
				sep = ",";
			}
		for (k = 0; k < g->nroutes && o < sizeof(line); k++) {
			inet_ntop(AF_INET, &g->route_net[k], a, sizeof(a));
			o += (size_t)snprintf(line + o, sizeof(line) - o,
			    " route %s/%u", a, g->route_len[k]);
		}
		if (g->dns && o < sizeof(line))
			snprintf(line + o, sizeof(line) - o, " dns");
		if (out(arg, line) < 0)
			return -1;
	}
	return 0;
}

int
cfg_print(const struct config *c, int all, int secrets,
    int (*out)(void *, const char *), void *arg)
{
	return print_config(c, all, secrets, 0, out, arg);
}

int
cfg_print_running(const struct config *c, int secrets,
    int (*out)(void *, const char *), void *arg)
{
	return print_config(c, 0, secrets, 1, out, arg);
}

/*
 * A directive whose configured value waits for a restart: a comment
 * line, then the configured value (written even when it is the
 * default, since the running value is not).  Returns 1 if it printed.
 */
static int
print_pending(const struct config *c, const struct cfg_directive *d,
    int secrets, int (*out)(void *, const char *), void *arg, int *err)
{
	static struct config want;
	char now[CFG_STRLEN * 2 + 8], v[CFG_STRLEN * 2 + 8];
	char q[CFG_STRLEN * 2 + 8], line[CFG_STRLEN * 3];

	if (!cfg_pending_get(d, &want))
		return 0;
	cfg_format(c, d, now, sizeof(now));
	cfg_format(&want, d, v, sizeof(v));
	if ((d->flags & CF_SECRET) && !secrets) {
		snprintf(now, sizeof(now), "%s", "<hidden>");
		snprintf(v, sizeof(v), "%s", "<hidden>");
	}
	quote(now, q, sizeof(q));
	snprintf(line, sizeof(line), "! %s waits for a restart: running "
	    "value %s", d->name, q);
	if (out(arg, line) < 0)
		*err = -1;
	quote(v, q, sizeof(q));
	snprintf(line, sizeof(line), "set %s %s", d->name, q);
	if (out(arg, line) < 0)
		*err = -1;
	return 1;
}

static int
print_config(const struct config *c, int all, int secrets, int mark,
    int (*out)(void *, const char *), void *arg)
{
	static struct config dflt;
	static int have_dflt;
	int err = 0;
	char v[CFG_STRLEN * 2 + 8], dv[CFG_STRLEN], q[CFG_STRLEN * 2 + 8];
	char line[CFG_STRLEN * 3];
	size_t i, ndirectives;
	const struct cfg_directive *directives = cfg_directives(&ndirectives);
	int j, k;

	if (!have_dflt) {
		cfg_defaults(&dflt);
		have_dflt = 1;
	}
	for (i = 0; i < ndirectives; i++) {
		const struct cfg_directive *d = &directives[i];

		if (d->flags & (CF_HIDDEN | CF_OBSOLETE) || d->type == CT_LEGACY)
			continue;
		if (mark && print_pending(c, d, secrets, out, arg, &err)) {
			if (err < 0)
				return -1;
			continue;
		}
		cfg_format(c, d, v, sizeof(v));
		cfg_format(&dflt, d, dv, sizeof(dv));
		/* secondary_radius_port follows the primary when unset */
		if (!all && strcmp(v, dv) == 0)
			continue;
		if ((d->flags & CF_SECRET) && !secrets && v[0] != '\0')
			snprintf(v, sizeof(v), "%s", "<hidden>");
		quote(v, q, sizeof(q));
		snprintf(line, sizeof(line), "set %s %s", d->name, q);
		if (out(arg, line) < 0)
			return -1;
	}
	for (j = 0; j < c->nplugins; j++) {
		snprintf(line, sizeof(line), "load plugin %s", c->plugins[j]);
		if (out(arg, line) < 0)
			return -1;
	}
	if (c->bgp.as) {
		snprintf(line, sizeof(line), "router bgp %u", c->bgp.as);
		if (out(arg, line) < 0)
			return -1;
		for (j = 0; j < c->bgp.npeers; j++) {
			const struct bgp_neighbour *n = &c->bgp.peer[j];

			/* Quoted like values, so that any name reads back. */
			quote(n->name, q, sizeof(q));
			snprintf(line, sizeof(line), " neighbour %s remote-as %u",
			    q, n->remote_as);
			if (out(arg, line) < 0)
				return -1;
			if (n->keepalive > 0 && n->hold > 0) {
				snprintf(line, sizeof(line), " neighbour %s "
				    "timers %d %d", q, n->keepalive,
				    n->hold);
				if (out(arg, line) < 0)
					return -1;
			}
			if (n->update_source[0]) {
				snprintf(line, sizeof(line), " neighbour %s "
				    "update-source %s", q,
				    n->update_source);
				if (out(arg, line) < 0)
					return -1;
			}
		}
		if (out(arg, "!") < 0)
			return -1;
	}
	for (j = 0; j < c->nacls; j++) {
		const struct acl *a = &c->acls[j];

		snprintf(line, sizeof(line), "ip access-list %s %s",
		    a->extended ? "extended" : "standard", a->name);
		if (out(arg, line) < 0)
			return -1;
		for (k = 0; k < a->nrules; k++) {
			line[0] = ' ';
			acl_format_rule(a, &a->rules[k], line + 1,
			    sizeof(line) - 1);
			if (out(arg, line) < 0)
				return -1;
		}
		if (out(arg, "!") < 0)
			return -1;
	}
	for (j = 0; j < c->nforwards; j++) {
		const struct forward_rule *f = &c->forwards[j];
		char ip[INET_ADDRSTRLEN], m[sizeof(f->mask) * 2 + 3];

		inet_ntop(AF_INET, &f->ip, ip, sizeof(ip));
		quote(f->mask, m, sizeof(m));
		quote(secrets ? f->secret : "<hidden>", q, sizeof(q));
		snprintf(line, sizeof(line), "setforward %s %s %u %s", m, ip,
		    f->port, q);
		if (out(arg, line) < 0)
			return -1;
	}
	if (print_outgoing(c, secrets, out, arg) < 0)
		return -1;
	if (print_l2tp_rules(c, secrets, out, arg) < 0)
		return -1;
	return 0;
}

int
cfg_restart_changes(const struct config *old, const struct config *new,
    const struct cfg_directive **list, int max)
{
	size_t i, ndirectives;
	const struct cfg_directive *directives = cfg_directives(&ndirectives);
	int n = 0;

	for (i = 0; i < ndirectives; i++) {
		const struct cfg_directive *d = &directives[i];

		if (!(d->flags & CF_RESTART) || d->type == CT_LEGACY)
			continue;
		if (memcmp((const char *)old + d->offset,
		    (const char *)new + d->offset, d->size) == 0)
			continue;
		if (n < max)
			list[n] = d;
		n++;
	}
	return n;
}
