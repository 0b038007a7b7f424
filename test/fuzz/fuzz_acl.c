/*
 * fuzz_acl.c - libFuzzer target for the access lists, parser and matcher.
 *
 * An input without a NUL byte is one rule line: cfg_tokenize() and
 * acl_parse_rule() for a standard and an extended list; a rule that
 * parses is formatted with acl_format_rule() and must parse back to the
 * same rule.
 *
 * An input with a NUL byte is "CONFIG\0PACKET": CONFIG is startup-config
 * lines (ip access-list blocks), parsed and compiled by acl_reload();
 * PACKET goes through every list with acl_match(), as given and with its
 * IPv4 version, header length and total length made plausible so that
 * the rule tests are reached.  Each call must count exactly one hit, on
 * the rule (or the implicit deny) whose verdict it returned.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "acl.h"

#define MAXWORDS	64
#define MAXPKT		256

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check(int extended, int argc, char **argv)
{
	struct acl a;
	struct acl_rule r, r2;
	char out[512], buf[512], err[256], *av[MAXWORDS];
	int ac, n;

	err[0] = '\0';
	if (acl_parse_rule(extended, argc, argv, &r, err, sizeof(err)) != 0) {
		if (err[0] == '\0')
			abort();
		return;
	}
	memset(&a, 0, sizeof(a));
	a.extended = extended;
	n = acl_format_rule(&a, &r, out, sizeof(out));
	if (n <= 0 || (size_t)n >= sizeof(out))
		abort();
	memcpy(buf, out, (size_t)n + 1);
	ac = cfg_tokenize(buf, av, MAXWORDS, err, sizeof(err));
	if (ac <= 0 || acl_parse_rule(extended, ac, av, &r2, err,
	    sizeof(err)) != 0)
		abort();
	if (memcmp(&r, &r2, sizeof(r)) != 0)
		abort();
}

/* One packet through list i: one hit, on the rule that decided. */
static void
match_one(const struct acl *a, int i, const uint8_t *pkt, size_t len)
{
	uint64_t before[MAXWORDS + 1], after;
	int k, n = a->nrules < MAXWORDS ? a->nrules : MAXWORDS, v, hit = -1;

	for (k = 0; k <= n; k++)
		if (acl_hits(a->name, k == n ? a->nrules : k, &before[k]) < 0)
			abort();
	v = acl_match(i, pkt, len);
	if (v != 0 && v != 1)
		abort();
	for (k = 0; k <= n; k++) {
		if (acl_hits(a->name, k == n ? a->nrules : k, &after) < 0)
			abort();
		if (after == before[k])
			continue;
		if (after != before[k] + 1 || hit >= 0)
			abort();
		hit = k;
	}
	if (a->nrules > MAXWORDS && hit < 0)
		return;			/* counted on a rule not watched */
	if (hit < 0)
		abort();
	if (hit == n ? v != 0 : v != (a->rules[hit].permit ? 1 : 0))
		abort();
}

static void
matcher(const char *text, const uint8_t *pkt, size_t len)
{
	struct config c;
	struct cfg_state st;
	char *copy, *line, *save = NULL, err[256];
	uint8_t fixed[MAXPKT];
	int i;

	cfg_defaults(&c);
	memset(&st, 0, sizeof(st));
	if ((copy = strdup(text)) == NULL)
		return;
	for (line = strtok_r(copy, "\n", &save); line;
	    line = strtok_r(NULL, "\n", &save))
		(void)cfg_parse_line(&c, &st, line, NULL, err, sizeof(err));
	free(copy);
	if (acl_reload(&c) < 0)
		abort();
	if (len > MAXPKT)
		len = MAXPKT;
	memcpy(fixed, pkt, len);
	if (len >= 20) {
		fixed[0] = (uint8_t)(0x40 | ((fixed[0] & 0x0f) < 5 ? 5 :
		    (fixed[0] & 0x0f) * 4 > len ? 5 : fixed[0] & 0x0f));
		fixed[2] = (uint8_t)(len >> 8);
		fixed[3] = (uint8_t)len;
	}
	for (i = 0; i < c.nacls; i++) {
		if (acl_lookup(c.acls[i].name) != i)
			abort();
		match_one(&c.acls[i], i, pkt, len);
		match_one(&c.acls[i], i, fixed, len);
	}
	cfg_free(&c);
	cfg_defaults(&c);
	acl_reload(&c);			/* nothing left allocated */
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line, err[256], *argv[MAXWORDS];
	const uint8_t *nul = memchr(data, 0, size);
	int argc;

	if ((line = malloc(size + 1)) == NULL)
		return 0;
	memcpy(line, data, size);
	line[size] = '\0';
	if (nul != NULL) {
		matcher(line, nul + 1, size - (size_t)(nul - data) - 1);
		free(line);
		return 0;
	}
	argc = cfg_tokenize(line, argv, MAXWORDS, err, sizeof(err));
	if (argc >= 0) {
		check(0, argc, argv);
		check(1, argc, argv);
	}
	free(line);
	return 0;
}
