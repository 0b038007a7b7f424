/*
 * fuzz_config.c - libFuzzer target for the startup-config parser.
 *
 * The input is cut into lines, as cfg_load() reads a file, and each line
 * goes to cfg_parse_line() with one cfg_state kept across the lines, so
 * that router bgp and ip access-list blocks are entered and left.  The
 * result is written out with cfg_print() and freed with cfg_free().
 *
 * The printout must also read back: parsed into a fresh config and
 * printed again it gives the same text (the config round trip, STYLE 13).
 * Neighbours that only the old bgp_peerN keys can make (without a name,
 * without remote-as, or two with one name) are left out of that check.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct text {
	char	*buf;
	size_t	 len, cap;
};

static int
append(void *arg, const char *line)
{
	struct text *t = arg;
	size_t n = strlen(line);
	char *nb;

	/* One statement per line: the printer never writes a newline. */
	if (memchr(line, '\n', n) != NULL)
		abort();
	if (t->len + n + 2 > t->cap) {
		t->cap = (t->len + n + 2) * 2;
		if ((nb = realloc(t->buf, t->cap)) == NULL)
			abort();
		t->buf = nb;
	}
	memcpy(t->buf + t->len, line, n);
	t->len += n;
	t->buf[t->len++] = '\n';
	t->buf[t->len] = '\0';
	return 0;
}

/*
 * Feed `len` bytes line by line, as cfg_load() does: a line holding a NUL
 * byte is an error and is skipped.  Returns the number of errors.
 */
static int
parse_text(struct config *c, char *text, size_t len)
{
	struct cfg_state st = { CFGMODE_TOP, 0 };
	const struct cfg_directive *d;
	char err[512], *line, *nl, *end = text + len;
	int errors = 0;

	for (line = text; line < end; line = nl + 1) {
		if ((nl = memchr(line, '\n', (size_t)(end - line))) == NULL)
			nl = end;
		*nl = '\0';
		if (memchr(line, '\0', (size_t)(nl - line)) != NULL) {
			errors++;
			continue;
		}
		if (cfg_parse_line(c, &st, line, &d, err, sizeof(err)) != 0) {
			/* An error always says something. */
			if (err[0] == '\0')
				abort();
			errors++;
		}
	}
	return errors;
}

/* The BGP part is one that cfg_load() accepts (see cfg_check()). */
static int
bgp_sane(const struct config *c)
{
	int i, j;

	for (i = 0; i < c->bgp.npeers; i++) {
		if (c->bgp.peer[i].remote_as == 0 ||
		    c->bgp.peer[i].name[0] == '\0')
			return 0;
		for (j = 0; j < i; j++)
			if (strcmp(c->bgp.peer[i].name,
			    c->bgp.peer[j].name) == 0)
				return 0;
	}
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct config c, c2;
	struct text t1 = { 0 }, t2 = { 0 };
	char *text;

	if ((text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';

	cfg_defaults(&c);
	(void)parse_text(&c, text, size);
	/* The string directives cfg_check() parses further. */
	{
		struct dae_client dc[DAE_CLIENTS_MAX];
		char e[160];
		int n = dae_clients_parse(c.dae_clients, dc, DAE_CLIENTS_MAX,
		    e, sizeof(e));

		if (n < -1 || n > DAE_CLIENTS_MAX)
			abort();
		(void)radius_msgauth_mode(&c);
	}
	if (cfg_print(&c, 0, 1, append, &t1) != 0)
		abort();
	/* The other printer modes must not fail either. */
	if (cfg_print(&c, 0, 0, append, &t2) != 0)
		abort();

	if (bgp_sane(&c) && t1.buf != NULL) {
		char *copy = strdup(t1.buf);

		if (copy == NULL)
			abort();
		cfg_defaults(&c2);
		if (parse_text(&c2, copy, t1.len) != 0) {
			fprintf(stderr, "printed config does not parse:\n%s",
			    t1.buf);
			abort();
		}
		t2.len = 0;
		if (t2.buf != NULL)
			t2.buf[0] = '\0';
		if (cfg_print(&c2, 0, 1, append, &t2) != 0)
			abort();
		if (t2.buf == NULL || strcmp(t1.buf, t2.buf) != 0) {
			fprintf(stderr, "round trip differs:\n%s---\n%s",
			    t1.buf, t2.buf ? t2.buf : "");
			abort();
		}
		cfg_free(&c2);
		free(copy);
	}
	cfg_free(&c);
	free(t1.buf);
	free(t2.buf);
	free(text);
	return 0;
}
