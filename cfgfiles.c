/*
 * cfgfiles.c - the two files beside startup-config that operators keep:
 * `users` (the CLI's users and the enable password, plain or crypt(3),
 * compared in constant time) and `ip_pool` (address ranges, bare or
 * with a /prefix, each line optionally bound to an address).  Parsed
 * line by line with the line number in every error, as config.c does.
 */
#include <arpa/inet.h>
#include <crypt.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "util.h"

/* ---- users ---- */

static int
crypt_chars(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '.' && s[i] != '/')
			return 0;
	return s[n] == '\0';
}

int
users_parse_line(struct cli_user *u, const char *line, char *err,
    size_t errlen)
{
	const char *colon;
	size_t nlen, plen;

	memset(u, 0, sizeof(*u));
	plen = strcspn(line, "\r\n");
	if ((colon = memchr(line, ':', plen)) == NULL) {
		seterr(err, errlen, "expected user:password");
		return -1;
	}
	nlen = (size_t)(colon - line);
	plen -= nlen + 1;
	if (nlen == 0) {
		seterr(err, errlen, "empty user name");
		return -1;
	}
	if (nlen >= sizeof(u->name)) {
		seterr(err, errlen, "user name too long (at most %zu)",
		    sizeof(u->name) - 1);
		return -1;
	}
	if (plen == 0) {
		seterr(err, errlen, "empty password for user %.*s", (int)nlen,
		    line);
		return -1;
	}
	if (plen >= sizeof(u->pass)) {
		seterr(err, errlen, "password too long (at most %zu)",
		    sizeof(u->pass) - 1);
		return -1;
	}
	memcpy(u->name, line, nlen);
	memcpy(u->pass, colon + 1, plen);

	if (strncmp(u->pass, "$1$", 3) == 0) {
		/* MD5-crypt: $1$SALT$HASH, salt up to 8, hash 22 characters */
		const char *salt = u->pass + 3, *dollar = strchr(salt, '$');

		if (dollar == NULL || dollar - salt > 8 ||
		    !crypt_chars(dollar + 1, 22)) {
			seterr(err, errlen, "malformed MD5 password for user %s "
			    "(expected $1$salt$ and 22 hash characters)",
			    u->name);
			return -1;
		}
		u->kind = PW_MD5;
	} else if (strncmp(u->pass, "{crypt}", 7) == 0) {
		memmove(u->pass, u->pass + 7, strlen(u->pass + 7) + 1);
		if (!crypt_chars(u->pass, 13)) {
			seterr(err, errlen, "malformed DES password for user %s "
			    "(expected {crypt} and 13 characters)", u->name);
			return -1;
		}
		u->kind = PW_DES;
	} else
		u->kind = PW_PLAIN;
	return 0;
}

void
users_free(struct users *us)
{
	free(us->user);
	memset(us, 0, sizeof(*us));
}

int
users_load(struct users *us, const char *path, cfg_errfn fn, void *arg)
{
	struct cli_user u;
	char *line = NULL, err[256];
	size_t cap = 0;
	int lineno = 0, errors = 0, i;
	FILE *f;

	memset(us, 0, sizeof(*us));
	if ((f = fopen(path, "r")) == NULL) {
		if (errno != ENOENT)
			cfg_report(fn, arg, "%s: cannot open: %s", path,
			    strerror(errno));
		return -1;
	}
	while (getline(&line, &cap, f) != -1) {
		const char *p = line;

		lineno++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '#' || *p == '\n' || *p == '\r' || *p == '\0')
			continue;
		if (users_parse_line(&u, p, err, sizeof(err)) < 0) {
			cfg_report(fn, arg, "%s:%d: %s (line ignored)", path, lineno,
			    err);
			errors++;
			continue;
		}
		if (strcmp(u.name, "enable") == 0) {
			us->enable = u;
			us->have_enable = 1;
			continue;
		}
		for (i = 0; i < us->n; i++)
			if (strcmp(us->user[i].name, u.name) == 0)
				break;
		if (i < us->n) {
			cfg_report(fn, arg, "%s:%d: user %s defined again; this line "
			    "replaces the earlier one", path, lineno, u.name);
			us->user[i] = u;
			continue;
		}
		{
			struct cli_user *n = realloc(us->user,
			    (us->n + 1) * sizeof(*n));

			if (n == NULL) {
				cfg_report(fn, arg, "%s:%d: out of memory", path,
				    lineno);
				errors++;
				break;
			}
			us->user = n;
			us->user[us->n++] = u;
		}
	}
	free(line);
	/* A read error (EISDIR, EIO) must not pass for a short file. */
	if (ferror(f)) {
		cfg_report(fn, arg, "%s: read error: %s", path, strerror(errno));
		errors++;
	}
	fclose(f);
	return errors;
}

/* Compare without leaking the position of the first difference. */
static int
ct_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i;
	unsigned char d = la != lb;

	for (i = 0; i < la && i < lb; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

int
password_matches(const struct cli_user *u, const char *pass)
{
	const char *h;

	if (u->kind == PW_PLAIN)
		return ct_equal(u->pass, pass);
	h = crypt(pass, u->pass);
	return h != NULL && h[0] != '*' && ct_equal(h, u->pass);
}

int
users_check(const struct users *us, const char *name, const char *pass)
{
	int i;

	for (i = 0; i < us->n; i++)
		if (strcmp(us->user[i].name, name) == 0)
			return password_matches(&us->user[i], pass);
	return 0;
}

int
users_check_enable(const struct users *us, const char *pass)
{
	return us->have_enable && password_matches(&us->enable, pass);
}

/* ---- ip_pool ---- */

int
pool_parse_line(const char *line, in_addr_t bind, struct pool_range *r,
    int *is_cidr, char *err, size_t errlen)
{
	char buf[128], *p, *slash, *colon;
	size_t n;
	in_addr_t a, m;
	uint32_t host, mask;
	long plen;

	*is_cidr = 0;
	n = strcspn(line, "#\r\n");
	while (n > 0 && (line[n - 1] == ' ' || line[n - 1] == '\t'))
		n--;
	while (n > 0 && (*line == ' ' || *line == '\t'))
		line++, n--;
	if (n == 0)
		return 1;		/* blank or comment */
	if (n >= sizeof(buf)) {
		seterr(err, errlen, "line too long");
		return -1;
	}
	memcpy(buf, line, n);
	buf[n] = '\0';
	p = buf;
	/* "BINDADDR:entry": only for the node whose bind_address it is */
	if ((colon = strchr(p, ':')) != NULL) {
		*colon = '\0';
		if (cfg_parse_ip4(p, &a) < 0) {
			seterr(err, errlen, "bad node address \"%s\" before ':'",
			    p);
			return -1;
		}
		p = colon + 1;
		if (a != bind)
			return 2;	/* another node's entry */
	}
	if ((slash = strchr(p, '/')) != NULL)
		*slash++ = '\0';
	if (cfg_parse_ip4(p, &a) < 0) {
		seterr(err, errlen, "bad address \"%s\": expected a.b.c.d or "
		    "a.b.c.d/len", p);
		return -1;
	}
	host = ntohl(a);
	if (slash == NULL) {
		r->first = r->last = host;
		return 0;
	}
	if (strchr(slash, '.') != NULL) {
		/* the older manual's "IP mask" form: a.b.c.d/255.255.255.0 */
		if (cfg_parse_ip4(slash, &m) < 0) {
			seterr(err, errlen, "bad netmask \"%s\"", slash);
			return -1;
		}
		mask = ntohl(m);
		if (mask != 0 && (~mask & (~mask + 1)) != 0) {
			seterr(err, errlen, "netmask %s is not contiguous",
			    slash);
			return -1;
		}
	} else {
		if (cfg_parse_long(slash, &plen) < 0 || plen < 1 || plen > 32) {
			seterr(err, errlen, "bad prefix length \"/%s\": expected "
			    "1 to 32", slash);
			return -1;
		}
		mask = plen == 32 ? 0xffffffff : ~(0xffffffffu >> plen);
	}
	if (mask == 0) {
		seterr(err, errlen, "a /0 pool is not allowed");
		return -1;
	}
	r->first = host & mask;
	r->last = host | ~mask;
	*is_cidr = 1;
	if (host & ~mask) {
		/* Older pools have such lines; accept them as the network. */
		seterr(err, errlen, "warning: %s has host bits set; using "
		    "%u.%u.%u.%u/%s", p, r->first >> 24,
		    (r->first >> 16) & 0xff, (r->first >> 8) & 0xff,
		    r->first & 0xff, slash);
		return 3;
	}
	return 0;
}

static int
range_cmp(const void *a, const void *b)
{
	const struct pool_range *x = a, *y = b;

	return x->first < y->first ? -1 : x->first > y->first;
}

void
pool_free(struct pool_file *pf)
{
	free(pf->range);
	free(pf->routes);
	memset(pf, 0, sizeof(*pf));
}

int
pool_load(struct pool_file *pf, const char *path, in_addr_t bind,
    uint64_t warn_above, cfg_errfn fn, void *arg)
{
	struct pool_range r, *n;
	char *line = NULL, err[256];
	size_t cap = 0;
	int lineno = 0, errors = 0, cidr, rc, i, o;
	uint64_t raw = 0;
	FILE *f;

	memset(pf, 0, sizeof(*pf));
	if ((f = fopen(path, "r")) == NULL) {
		cfg_report(fn, arg, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	while (getline(&line, &cap, f) != -1) {
		lineno++;
		rc = pool_parse_line(line, bind, &r, &cidr, err, sizeof(err));
		if (rc < 0) {
			cfg_report(fn, arg, "%s:%d: %s", path, lineno, err);
			errors++;
			continue;
		}
		if (rc == 3)
			cfg_report(fn, arg, "%s:%d: %s", path, lineno, err);
		else if (rc > 0)
			continue;
		if (cidr) {
			n = realloc(pf->routes, (pf->nroutes + 1) * sizeof(*n));
			if (n == NULL)
				goto nomem;
			pf->routes = n;
			pf->routes[pf->nroutes++] = r;
			/*
			 * The network and broadcast addresses of a block that
			 * has them are not handed out (a /31 or /32 has none).
			 */
			if (r.last - r.first >= 3) {
				r.first++;
				r.last--;
			}
		}
		n = realloc(pf->range, (pf->n + 1) * sizeof(*n));
		if (n == NULL)
			goto nomem;
		pf->range = n;
		pf->range[pf->n++] = r;
		raw += (uint64_t)r.last - r.first + 1;
	}
	free(line);
	if (ferror(f)) {
		cfg_report(fn, arg, "%s: read error: %s", path, strerror(errno));
		errors++;
	}
	fclose(f);

	/* Sort and merge overlapping or adjacent ranges. */
	if (pf->n > 0) {
		qsort(pf->range, pf->n, sizeof(*pf->range), range_cmp);
		for (i = 1, o = 0; i < pf->n; i++) {
			if ((uint64_t)pf->range[i].first <=
			    (uint64_t)pf->range[o].last + 1) {
				if (pf->range[i].last > pf->range[o].last)
					pf->range[o].last = pf->range[i].last;
			} else
				pf->range[++o] = pf->range[i];
		}
		pf->n = o + 1;
	}
	for (i = 0; i < pf->n; i++)
		pf->count += (uint64_t)pf->range[i].last - pf->range[i].first + 1;
	if (raw > pf->count)
		cfg_report(fn, arg, "%s: warning: %llu addresses listed more than "
		    "once (merged)", path, (unsigned long long)(raw - pf->count));
	if (warn_above && pf->count > warn_above)
		cfg_report(fn, arg, "%s: warning: %llu addresses, more than the %llu "
		    "sessions this process holds (max_sessions); the rest will "
		    "not be used", path, (unsigned long long)pf->count,
		    (unsigned long long)warn_above);
	return errors;

nomem:
	cfg_report(fn, arg, "%s:%d: out of memory", path, lineno);
	free(line);
	fclose(f);
	return errors + 1;
}

