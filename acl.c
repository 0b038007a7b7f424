/*
 * acl.c - access lists applied to subscriber traffic (manual, "Access
 * Lists" and "Filtering").
 *
 * State owned: the compiled form of the running configuration's access
 * lists, one struct clist per config->acls entry in the same order, and
 * each rule's hit counter.  These live in the daemon's heap; the CLI's
 * "show ip access-list" is answered by the daemon (cli.c op_show_acl),
 * so it reads them live.  In the session table (l2tpns.h) each session
 * caches the list indexes its filter names resolved to (acl_in, acl_out)
 * and the generation they were resolved at (acl_gen).
 * Exports (acl.h): acl_reload(), acl_check_in(), acl_check_out(),
 * acl_lookup(), acl_match(), acl_hits().
 *
 * The per-packet cost.  A session's names are looked up (strcmp over the
 * lists) only when its acl_gen differs from `generation`: after
 * acl_reload() bumped it, or after radius.c zeroed acl_gen when it wrote
 * new names (Access-Accept, CoA).  Otherwise a packet costs one compare,
 * one parse of the IPv4 header and a linear walk of the list's rules.
 * The walk is fine because lists are short (tens of rules at most: a
 * subscriber's filter, not a firewall); each rule is a few AND/compare
 * operations, its masks and port ranges computed at compile time.
 *
 * Semantics (manual, "Access Lists"; Cisco IOS where the manual is
 * silent): the first rule that matches decides, and a packet no rule
 * matches is denied.  A packet that is not a well-formed IPv4 header is
 * denied.  Fragments follow IOS ("Access Control Lists and IP
 * Fragments"): see rule_matches().
 */
#include <stdlib.h>
#include <string.h>

#include "acl.h"
#include "log.h"
#include "rd.h"

struct crule {
	in_addr_t	src, smask;	/* network order: (a & smask) == src */
	in_addr_t	dst, dmask;
	uint32_t	sp_lo, sp_hi;	/* inclusive; lo > hi is empty */
	uint32_t	dp_lo, dp_hi;
	uint8_t		sp_neg, dp_neg;	/* neq: outside the range */
	uint8_t		proto;		/* 0 = any */
	uint8_t		permit;
	uint8_t		need;		/* L4 octets the rule reads, 0 = none */
	uint8_t		frag;		/* `fragments`: non-initial only */
	uint8_t		all_set, all_clear;	/* TCP flags, match-all */
	uint8_t		any_set, any_clear;	/* match-any, established */
};

struct clist {
	char		name[MAXACLNAME];
	uint32_t	nrules;
	struct crule	*rule;
	uint64_t	*hits;		/* [nrules + 1]; the last: implicit deny */
};

/* What a rule can ask of a packet, read once per packet. */
struct pkt {
	in_addr_t	src, dst;
	uint8_t		proto;
	uint8_t		nonfirst;	/* fragment offset != 0 */
	uint8_t		flags;		/* TCP flags */
	size_t		l4len;		/* L4 octets present (first fragment) */
	uint16_t	sport, dport;
};

static struct clist *lists;
static uint32_t nlists;
static uint32_t generation = 1;		/* never 0: 0 marks a stale session */

/* ---- compiling ---- */

/* A port test as an inclusive range, neq as its complement. */
static void
port_range(uint8_t op, const uint16_t p[2], uint32_t *lo, uint32_t *hi,
    uint8_t *neg)
{
	*neg = 0;
	switch (op) {
	case PORT_EQ:
		*lo = *hi = p[0];
		break;
	case PORT_NEQ:
		*lo = *hi = p[0];
		*neg = 1;
		break;
	case PORT_GT:
		*lo = (uint32_t)p[0] + 1;	/* gt 65535: empty */
		*hi = 65535;
		break;
	case PORT_LT:
		*lo = p[0] == 0 ? 1 : 0;	/* lt 0: empty */
		*hi = p[0] == 0 ? 0 : (uint32_t)p[0] - 1;
		break;
	case PORT_RANGE:
		*lo = p[0];
		*hi = p[1];
		break;
	default:
		*lo = 0;
		*hi = 65535;
		break;
	}
}

static void
compile_rule(const struct acl_rule *r, struct crule *c)
{
	memset(c, 0, sizeof(*c));	/* compared with memcmp on reload */
	c->permit = r->permit ? 1 : 0;
	c->proto = r->proto;
	c->smask = ~r->src_wild;
	c->src = r->src & c->smask;
	c->dmask = ~r->dst_wild;
	c->dst = r->dst & c->dmask;
	port_range(r->sport_op, r->sport, &c->sp_lo, &c->sp_hi, &c->sp_neg);
	port_range(r->dport_op, r->dport, &c->dp_lo, &c->dp_hi, &c->dp_neg);
	c->frag = r->fragments ? 1 : 0;
	if (r->sport_op != PORT_ANY || r->dport_op != PORT_ANY)
		c->need = 4;			/* both ports */
	switch (r->tcp_op) {
	case TCPF_ESTABLISHED:
		/* IOS: ACK or RST set, so a SYN-ACK back is "established". */
		c->any_set = TCP_ACK | TCP_RST;
		c->need = 14;			/* through the flags octet */
		break;
	case TCPF_MATCH_ANY:
		c->any_set = r->tcp_set;
		c->any_clear = r->tcp_clear;
		c->need = 14;
		break;
	case TCPF_MATCH_ALL:
		c->all_set = r->tcp_set;
		c->all_clear = r->tcp_clear;
		c->need = 14;
		break;
	default:
		break;
	}
}

static void
free_lists(struct clist *l, uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n; i++) {
		free(l[i].rule);
		free(l[i].hits);
	}
	free(l);
}

/* Carry a rule's counter over from the old list of the same name. */
static uint64_t
old_hits(const char *name, const struct crule *r)
{
	uint32_t i, k;

	for (i = 0; i < nlists; i++) {
		if (strcmp(lists[i].name, name) != 0)
			continue;
		for (k = 0; k < lists[i].nrules; k++)
			if (memcmp(&lists[i].rule[k], r, sizeof(*r)) == 0)
				return lists[i].hits[k];
		return 0;
	}
	return 0;
}

int
acl_reload(const struct config *c)
{
	struct clist *nl = NULL;
	uint32_t n = 0, i, k, rules = 0;

	if (c->nacls > 0) {
		n = (uint32_t)c->nacls;
		if (n >= ACL_GONE) {
			LOG(LOG_ERROR_L, 0, 0, "access lists: %u lists, only "
			    "the first %u are used", n, ACL_GONE - 1);
			n = ACL_GONE - 1;
		}
		if ((nl = calloc(n, sizeof(*nl))) == NULL)
			goto nomem;
	}
	for (i = 0; i < n; i++) {
		const struct acl *a = &c->acls[i];
		struct clist *l = &nl[i];

		memcpy(l->name, a->name, sizeof(l->name));
		l->name[sizeof(l->name) - 1] = '\0';
		l->nrules = a->nrules > 0 ? (uint32_t)a->nrules : 0;
		l->hits = calloc(l->nrules + 1, sizeof(*l->hits));
		if (l->nrules)
			l->rule = calloc(l->nrules, sizeof(*l->rule));
		if (l->hits == NULL || (l->nrules && l->rule == NULL))
			goto nomem;
		for (k = 0; k < l->nrules; k++) {
			compile_rule(&a->rules[k], &l->rule[k]);
			l->hits[k] = old_hits(l->name, &l->rule[k]);
		}
		rules += l->nrules;
	}
	free_lists(lists, nlists);
	lists = nl;
	nlists = n;
	if (++generation == 0)
		generation = 1;
	LOG(LOG_INFO_L, 0, 0, "access lists: %u list%s, %u rule%s in force", n,
	    n == 1 ? "" : "s", rules, rules == 1 ? "" : "s");
	return 0;

nomem:
	free_lists(nl, n);
	LOG(LOG_ERROR_L, 0, 0, "access lists: out of memory compiling them; "
	    "the previous lists stay in force");
	return -1;
}

/* ---- matching ---- */

/*
 * Read what the rules look at.  -1: not an IPv4 header we can trust
 * (RFC 791 3.1: IHL at least 5 words, within the datagram).
 */
static int
parse_pkt(const uint8_t *ip, size_t len, struct pkt *k)
{
	struct rd r, l4;
	uint8_t vihl, proto, flags;
	uint16_t total, frag;
	size_t ihl;

	rd_init(&r, ip, len);
	if (rd_u8(&r, &vihl) < 0 || (vihl >> 4) != 4)
		return -1;
	ihl = (size_t)(vihl & 0x0f) * 4;
	if (ihl < 20 || ihl > len || rd_skip(&r, 1) < 0 ||
	    rd_u16(&r, &total) < 0 || total < ihl)
		return -1;
	if (total < len)
		len = total;		/* link padding after the datagram */
	if (rd_skip(&r, 2) < 0 || rd_u16(&r, &frag) < 0 ||
	    rd_skip(&r, 1) < 0 || rd_u8(&r, &proto) < 0 ||
	    rd_skip(&r, 2) < 0 || rd_bytes(&r, &k->src, 4) < 0 ||
	    rd_bytes(&r, &k->dst, 4) < 0)
		return -1;
	k->proto = proto;
	k->nonfirst = (frag & 0x1fff) != 0;
	k->l4len = 0;
	k->flags = 0;
	k->sport = k->dport = 0;
	if (k->nonfirst || (proto != IPPROTO_TCP && proto != IPPROTO_UDP))
		return 0;
	rd_init(&l4, ip + ihl, len - ihl);
	k->l4len = len - ihl;
	if (rd_u16(&l4, &k->sport) < 0 || rd_u16(&l4, &k->dport) < 0)
		return 0;
	/* TCP: offset 13 holds the flags (RFC 793 3.1). */
	if (proto == IPPROTO_TCP && rd_skip(&l4, 9) == 0 &&
	    rd_u8(&l4, &flags) == 0)
		k->flags = flags & 0x3f;
	return 0;
}

static int
rule_matches(const struct crule *r, const struct pkt *k)
{
	uint32_t in;

	if ((k->src & r->smask) != r->src || (k->dst & r->dmask) != r->dst)
		return 0;
	if (r->proto != 0 && r->proto != k->proto)
		return 0;
	if (r->frag)
		return k->nonfirst;	/* `fragments`: non-initial only */
	if (r->need == 0)
		return 1;		/* layer 3 only: every fragment */
	/*
	 * A non-initial fragment has no ports or flags.  IOS ("Access
	 * Control Lists and IP Fragments"): when the layer 3 part of a rule
	 * with layer 4 tests matches, a permit rule lets the fragment
	 * through and a deny rule is passed over for the next one.  The
	 * first fragment was judged on its ports; reassembly fails without
	 * it anyway.
	 */
	if (k->nonfirst)
		return r->permit;
	/*
	 * A first fragment (or a whole packet) too short to hold what the
	 * rule tests: a deny rule matches it, a permit rule does not, so a
	 * tiny fragment cannot slip past a port filter (RFC 1858 3.1).
	 */
	if (k->l4len < r->need)
		return !r->permit;
	in = k->sport >= r->sp_lo && k->sport <= r->sp_hi;
	if (in == r->sp_neg)
		return 0;
	in = k->dport >= r->dp_lo && k->dport <= r->dp_hi;
	if (in == r->dp_neg)
		return 0;
	if ((k->flags & r->all_set) != r->all_set ||
	    (k->flags & r->all_clear) != 0)
		return 0;
	if ((r->any_set | r->any_clear) != 0 && (k->flags & r->any_set) == 0 &&
	    (~k->flags & r->any_clear) == 0)
		return 0;
	return 1;
}

int
acl_match(int list, const uint8_t *ip, size_t len)
{
	struct clist *l;
	struct pkt k;
	uint32_t i;

	if (list < 0 || (uint32_t)list >= nlists)
		return 1;
	l = &lists[list];
	if (parse_pkt(ip, len, &k) < 0) {
		l->hits[l->nrules]++;
		return 0;
	}
	for (i = 0; i < l->nrules; i++)
		if (rule_matches(&l->rule[i], &k)) {
			l->hits[i]++;
			return l->rule[i].permit;
		}
	l->hits[l->nrules]++;		/* implicit deny */
	return 0;
}

int
acl_lookup(const char *name)
{
	uint32_t i;

	for (i = 0; i < nlists; i++)
		if (strcmp(lists[i].name, name) == 0)
			return (int)i;
	return -1;
}

int
acl_hits(const char *name, int rule, uint64_t *hits)
{
	int i = acl_lookup(name);

	if (i < 0 || rule < 0 || (uint32_t)rule > lists[i].nrules)
		return -1;
	*hits = lists[i].hits[rule];
	return 0;
}

/* ---- sessions ---- */

static uint16_t
resolve_one(sid_t s, const struct session *sp, const char *name,
    const char *dir)
{
	int i;

	if (name[0] == '\0')
		return ACL_NONE;
	if ((i = acl_lookup(name)) >= 0)
		return (uint16_t)i;
	/*
	 * radius.c keeps only names that existed at login, so the list was
	 * removed by a reload: fail closed (issue 20), not open, until the
	 * list comes back or a CoA gives the session another filter.
	 */
	LOG(LOG_WARN_L, s, sp->tunnel, "access list %s (Filter-Id %s.%s) "
	    "does not exist any more: every packet in this direction is "
	    "denied", name, name, dir);
	return ACL_GONE;
}

/* Look the session's names up: once per generation, not per packet. */
static struct session *
bound(sid_t s)
{
	struct session *sp = session_get(s);

	/* acl.c's cache in the session: the names are session.c's
	 * (session_set_filters, always terminated). */
	if (sp->acl_gen != generation) {
		sp->acl_in = resolve_one(s, sp, sp->filter_in, "in");
		sp->acl_out = resolve_one(s, sp, sp->filter_out, "out");
		sp->acl_gen = generation;
	}
	return sp;
}

/* A session's bound list on a packet: none passes it, a gone one not. */
static int
check(uint16_t list, const uint8_t *ip, size_t len)
{
	if (list == ACL_NONE)
		return 1;
	if (list == ACL_GONE)
		return 0;
	return acl_match(list, ip, len);
}

int
acl_check_in(sid_t s, const uint8_t *ip, size_t len)
{
	return check(bound(s)->acl_in, ip, len);
}

int
acl_check_out(sid_t s, const uint8_t *ip, size_t len)
{
	return check(bound(s)->acl_out, ip, len);
}
