/*
 * fuzz_acl.c - libFuzzer target for cfg_tokenize() and acl_parse_rule(),
 * a rule line of a standard and of an extended access list.  A rule that
 * parses is formatted with acl_format_rule() and must parse back to the
 * same rule.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

#define MAXWORDS	64

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

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line, err[256], *argv[MAXWORDS];
	int argc;

	if ((line = malloc(size + 1)) == NULL)
		return 0;
	memcpy(line, data, size);
	line[size] = '\0';
	argc = cfg_tokenize(line, argv, MAXWORDS, err, sizeof(err));
	if (argc >= 0) {
		check(0, argc, argv);
		check(1, argc, argv);
	}
	free(line);
	return 0;
}
