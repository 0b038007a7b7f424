/*
 * fuzz_users.c - libFuzzer target for users_parse_line(), one line of
 * the CLI users file, and password_matches() on what it accepts.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cli_user u;
	char *line, err[256];

	if ((line = malloc(size + 1)) == NULL)
		return 0;
	memcpy(line, data, size);
	line[size] = '\0';
	err[0] = '\0';
	if (users_parse_line(&u, line, err, sizeof(err)) == 0) {
		/* A name and a password, each terminated inside its field. */
		if (u.name[0] == '\0' || strchr(u.name, ':') != NULL ||
		    memchr(u.name, '\0', sizeof(u.name)) == NULL ||
		    memchr(u.pass, '\0', sizeof(u.pass)) == NULL ||
		    u.pass[0] == '\0')
			abort();
		if (u.kind == PW_PLAIN && !password_matches(&u, u.pass))
			abort();
		/* A hash is never its own password. */
		if (u.kind != PW_PLAIN && password_matches(&u, u.pass))
			abort();
		(void)password_matches(&u, "");
	} else if (err[0] == '\0')
		abort();
	free(line);
	return 0;
}
