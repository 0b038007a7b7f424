/*
 * test_config.c - unit tests of the parsers in config.c: the directive
 * table and its defaults, startup-config lines (set, plugins, router bgp,
 * ip access-list, setforward), cfg_load with its file:line messages and
 * cross checks, the config printer (round trip), the users file with real
 * crypt(3) hashes, and the ip_pool file.
 *
 * Every test runs under an alarm so that a parser loop cannot hang the
 * suite (STYLE 14).  Messages are compared as exact text: they are what an
 * operator sees.
 */
#include <arpa/inet.h>
#include <crypt.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"

#define TEST_TIMEOUT	20	/* seconds per test */

/* A config being built line by line. */
struct fx {
	struct config		 c;
	struct cfg_state	 st;
	const struct cfg_directive *which;
	char			 err[512];
};

/* Messages from cfg_load, users_load and pool_load. */
#define MAXMSGS	32
struct msgs {
	int	n;
	char	m[MAXMSGS][1024];
};

/* Output of cfg_print. */
struct outbuf {
	size_t	len;
	int	lines;
	char	buf[32768];
};

static int
setup(void **state)
{
	struct fx *fx;

	alarm(TEST_TIMEOUT);
	if ((fx = calloc(1, sizeof(*fx))) == NULL)
		return -1;
	cfg_defaults(&fx->c);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;

	cfg_free(&fx->c);
	free(fx);
	alarm(0);
	return 0;
}

static int
line(struct fx *fx, const char *s)
{
	fx->err[0] = '\0';
	return cfg_parse_line(&fx->c, &fx->st, s, &fx->which, fx->err,
	    sizeof(fx->err));
}

/* The line must be accepted. */
#define OK(fx, s) do {							\
	if (line((fx), (s)) != 0)					\
		fail_msg("rejected \"%s\": %s", (s), (fx)->err);	\
} while (0)

/* The line must be rejected with exactly this message. */
#define BAD(fx, s, msg) do {						\
	assert_int_equal(line((fx), (s)), -1);				\
	assert_string_equal((fx)->err, (msg));				\
} while (0)

/* cfg_set must fail with exactly this message. */
#define SETBAD(fx, k, v, msg) do {					\
	(fx)->err[0] = '\0';						\
	assert_int_equal(cfg_set(&(fx)->c, (k), (v), (fx)->err,		\
	    sizeof((fx)->err)), -1);					\
	assert_string_equal((fx)->err, (msg));				\
} while (0)

#define SETOK(fx, k, v) do {						\
	(fx)->err[0] = '\0';						\
	if (cfg_set(&(fx)->c, (k), (v), (fx)->err,			\
	    sizeof((fx)->err)) != 0)					\
		fail_msg("cfg_set %s \"%s\": %s", (k), (v), (fx)->err);	\
} while (0)

static void
collect(void *arg, const char *msg)
{
	struct msgs *ms = arg;

	if (ms->n < MAXMSGS)
		snprintf(ms->m[ms->n], sizeof(ms->m[0]), "%s", msg);
	ms->n++;
}

static int
out_append(void *arg, const char *l)
{
	struct outbuf *o = arg;
	size_t n = strlen(l);

	assert_null(strchr(l, '\n'));
	assert_true(o->len + n + 2 <= sizeof(o->buf));
	memcpy(o->buf + o->len, l, n);
	o->len += n;
	o->buf[o->len++] = '\n';
	o->buf[o->len] = '\0';
	o->lines++;
	return 0;
}

static int
out_fail(void *arg, const char *l)
{
	return -1;
}

/* Write `len` bytes to a new temporary file; its name goes to `path`. */
static void
tmp_write(char *path, size_t pathlen, const void *text, size_t len)
{
	int fd;

	snprintf(path, pathlen, "/tmp/l2tpns-test.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
}

#define TMP_WRITE(path, text) tmp_write((path), sizeof(path), (text), \
	strlen(text))

static in_addr_t
ip(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

static uint32_t
hip(const char *s)
{
	return ntohl(ip(s));
}

/* ---- directive table and defaults ---- */

static void
test_defaults_parse(void **state)
{
	struct fx *fx = *state;
	const struct cfg_directive *d;
	char buf[CFG_STRLEN * 2];
	size_t n, i, j, ndflt = 0;

	d = cfg_directives(&n);
	assert_true(n > 80);
	assert_true(n <= MAXDIRECTIVES);
	for (i = 0; i < n; i++) {
		assert_non_null(d[i].name);
		assert_non_null(d[i].help);
		assert_ptr_equal(cfg_find(d[i].name), &d[i]);
		for (j = 0; j < i; j++)
			assert_string_not_equal(d[i].name, d[j].name);
		if (d[i].type == CT_LEGACY) {
			assert_null(d[i].dflt);
			assert_non_null(d[i].legacy);
			continue;
		}
		assert_non_null(d[i].dflt);
		ndflt++;
		/* The default is valid input... */
		fx->err[0] = '\0';
		if (cfg_set(&fx->c, d[i].name, d[i].dflt, fx->err,
		    sizeof(fx->err)) != 0)
			fail_msg("default of %s \"%s\": %s", d[i].name,
			    d[i].dflt, fx->err);
		/* ...and written in the printer's canonical form. */
		cfg_format(&fx->c, &d[i], buf, sizeof(buf));
		assert_string_equal(buf, d[i].dflt);
		if (d[i].type == CT_INT || d[i].type == CT_SHORT)
			assert_true(d[i].min <= d[i].max);
	}
	assert_true(ndflt > 80);
	assert_null(cfg_find("no_such_key"));
	assert_null(cfg_find(""));
}

static void
test_defaults_values(void **state)
{
	struct fx *fx = *state;
	struct config *c = &fx->c;

	assert_int_equal(c->debug, 0);
	assert_int_equal(c->multi_read_count, 10);
	assert_int_equal(c->primary_radius_port, 1645);
	assert_int_equal(c->secondary_radius_port, 1645);
	assert_int_equal(c->cluster_address, ip("239.192.13.13"));
	assert_string_equal(c->random_device, "/dev/urandom");
	assert_int_equal(c->send_garp, 1);
	assert_int_equal(c->ppp_keepalive, 1);
	assert_int_equal(c->kill_timedout_sessions, 1);
	assert_int_equal(c->scheduler_fifo, 0);
	assert_int_equal(c->l2tp_mtu, 1500);
	assert_int_equal(c->l2tp_port, 1701);
	assert_int_equal(c->hello_interval, 60);
	assert_int_equal(c->max_sessions, 65535);
	assert_int_equal(c->throttle_buckets, 3000);
	assert_int_equal(c->cluster_port, 32792);
	assert_int_equal(c->cluster_hb_timeout, 150);
	assert_int_equal(c->cli_port, 23);
	assert_int_equal(c->nsctl_port, 1702);
	assert_int_equal(c->radius_dae_port, 3799);
	assert_int_equal(c->bind_portremotelns, 65432);
	assert_int_equal(c->bind_address, 0);
	assert_int_equal(c->ipv6_prefix.plen, 0);
	assert_string_equal(c->tundevicename, "tun0");
	assert_string_equal(c->cluster_interface, "eth0");
	assert_string_equal(c->users_file, "/etc/l2tpns/users");
	assert_string_equal(c->ip_pool_file, "/etc/l2tpns/ip_pool");
	assert_string_equal(c->radius_authtypes, "pap");
	assert_string_equal(c->nsctl_allow, "127.0.0.0/8");
	assert_string_equal(c->l2tp_secret, "");
	assert_int_equal(c->throttle_speed, 0);
	assert_int_equal(c->bgp.as, 0);
	assert_int_equal(c->bgp.npeers, 0);
	assert_int_equal(c->nplugins, 0);
	assert_int_equal(c->nacls, 0);
	assert_null(c->acls);
	assert_int_equal(c->nforwards, 0);
	assert_null(c->forwards);
}

/* ---- set: one test per value type ---- */

static void
test_set_int(void **state)
{
	struct fx *fx = *state;

	SETOK(fx, "debug", "3");
	assert_int_equal(fx->c.debug, 3);
	SETOK(fx, "debug", "0");
	assert_int_equal(fx->c.debug, 0);
	SETOK(fx, "debug", "5");
	assert_int_equal(fx->c.debug, 5);
	SETBAD(fx, "debug", "9",
	    "bad value \"9\" for debug: expected an integer from 0 to 5");
	SETBAD(fx, "debug", "-1",
	    "bad value \"-1\" for debug: expected an integer from 0 to 5");
	SETBAD(fx, "debug", "abc",
	    "bad value \"abc\" for debug: expected an integer from 0 to 5");
	SETBAD(fx, "debug", "",
	    "bad value \"\" for debug: expected an integer from 0 to 5");
	SETBAD(fx, "debug", "3x",
	    "bad value \"3x\" for debug: expected an integer from 0 to 5");
	SETBAD(fx, "debug", "99999999999999999999999", "bad value "
	    "\"99999999999999999999999\" for debug: expected an integer from "
	    "0 to 5");
	/* A failed set leaves the value alone. */
	assert_int_equal(fx->c.debug, 5);

	SETBAD(fx, "multi_read_count", "0", "bad value \"0\" for "
	    "multi_read_count: expected an integer from 1 to 1024");
	SETOK(fx, "multi_read_count", "1024");
	assert_int_equal(fx->c.multi_read_count, 1024);
	SETBAD(fx, "l2tp_mtu", "575", "bad value \"575\" for l2tp_mtu: "
	    "expected an integer from 576 to 9000");
	SETOK(fx, "setuid", "2147483647");
	assert_int_equal(fx->c.setuid, INT_MAX);
	SETBAD(fx, "setuid", "2147483648", "bad value \"2147483648\" for "
	    "setuid: expected an integer from 0 to 2147483647");
}

static void
test_set_short(void **state)
{
	struct fx *fx = *state;

	SETOK(fx, "l2tp_port", "65535");
	assert_int_equal(fx->c.l2tp_port, 65535);
	SETOK(fx, "l2tp_port", "1");
	assert_int_equal(fx->c.l2tp_port, 1);
	SETBAD(fx, "l2tp_port", "0", "bad value \"0\" for l2tp_port: "
	    "expected an integer from 1 to 65535");
	SETBAD(fx, "l2tp_port", "65536", "bad value \"65536\" for l2tp_port: "
	    "expected an integer from 1 to 65535");
	SETBAD(fx, "primary_radius_port", "radius", "bad value \"radius\" for "
	    "primary_radius_port: expected an integer from 1 to 65535");
	/* cli_port and nsctl_port may be 0: off. */
	SETOK(fx, "cli_port", "0");
	assert_int_equal(fx->c.cli_port, 0);
	SETOK(fx, "nsctl_port", "0");
	assert_int_equal(fx->c.nsctl_port, 0);
}

static void
test_set_ulong(void **state)
{
	struct fx *fx = *state;

	SETOK(fx, "throttle_speed", "256");
	assert_int_equal(fx->c.throttle_speed, 256);
	SETOK(fx, "throttle_speed", "0");
	assert_int_equal(fx->c.throttle_speed, 0);
	SETOK(fx, "throttle_speed", "4294967295");
	assert_true(fx->c.throttle_speed == 4294967295UL);
	SETBAD(fx, "throttle_speed", "-1", "bad value \"-1\" for "
	    "throttle_speed: expected a non-negative integer");
	SETBAD(fx, "throttle_speed", "", "bad value \"\" for "
	    "throttle_speed: expected a non-negative integer");
	SETBAD(fx, "throttle_speed", "12k", "bad value \"12k\" for "
	    "throttle_speed: expected a non-negative integer");
	SETBAD(fx, "throttle_speed", "999999999999999999999999", "bad value "
	    "\"999999999999999999999999\" for throttle_speed: expected a "
	    "non-negative integer");
	/* strtoul skips blanks and then accepts a sign: must not wrap. */
	SETBAD(fx, "throttle_speed", " -5", "bad value \" -5\" for "
	    "throttle_speed: expected a non-negative integer");
	SETBAD(fx, "throttle_speed", "+5", "bad value \"+5\" for "
	    "throttle_speed: expected a non-negative integer");
	assert_true(fx->c.throttle_speed == 4294967295UL);
}

static void
test_set_bool(void **state)
{
	static const struct { const char *v; int b; } t[] = {
		{ "yes", 1 }, { "no", 0 }, { "true", 1 }, { "false", 0 },
		{ "on", 1 }, { "off", 0 }, { "1", 1 }, { "0", 0 },
		{ "YES", 1 }, { "No", 0 }, { "TrUe", 1 }, { "FALSE", 0 },
		{ "On", 1 }, { "OFF", 0 },
	};
	struct fx *fx = *state;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		fx->c.send_garp = -1;
		SETOK(fx, "send_garp", t[i].v);
		assert_int_equal(fx->c.send_garp, t[i].b);
	}
	SETBAD(fx, "send_garp", "maybe",
	    "bad value \"maybe\" for send_garp: expected yes or no");
	SETBAD(fx, "send_garp", "2",
	    "bad value \"2\" for send_garp: expected yes or no");
	SETBAD(fx, "send_garp", "",
	    "bad value \"\" for send_garp: expected yes or no");
	SETBAD(fx, "send_garp", "yess",
	    "bad value \"yess\" for send_garp: expected yes or no");
	assert_int_equal(fx->c.send_garp, 0);
}

static void
test_set_string(void **state)
{
	struct fx *fx = *state;
	char v[300];

	SETOK(fx, "log_file", "/var/log/l2tpns");
	assert_string_equal(fx->c.log_file, "/var/log/l2tpns");
	SETOK(fx, "random_device", "");
	assert_string_equal(fx->c.random_device, "");

	/* hostname holds 63 characters. */
	memset(v, 'h', 63);
	v[63] = '\0';
	SETOK(fx, "hostname", v);
	assert_string_equal(fx->c.hostname, v);
	v[63] = 'h';
	v[64] = '\0';
	SETBAD(fx, "hostname", v, "value for hostname is too long (64 "
	    "characters, at most 63)");
	v[63] = '\0';
	assert_string_equal(fx->c.hostname, v);

	memset(v, 's', 255);
	v[255] = '\0';
	SETOK(fx, "accounting_dir", v);
	v[255] = 's';
	v[256] = '\0';
	SETBAD(fx, "accounting_dir", v, "value for accounting_dir is too long "
	    "(256 characters, at most 255)");
	SETBAD(fx, "tundevicename", "abcdefghijabcdefghijabcdefghijab",
	    "value for tundevicename is too long (32 characters, at most 31)");
}

static void
test_set_ipv4(void **state)
{
	struct fx *fx = *state;

	SETOK(fx, "bind_address", "192.0.2.1");
	assert_int_equal(fx->c.bind_address, ip("192.0.2.1"));
	SETOK(fx, "primary_dns", "255.255.255.255");
	assert_int_equal(fx->c.primary_dns, 0xffffffff);
	SETBAD(fx, "bind_address", "1.2.3", "bad value \"1.2.3\" for "
	    "bind_address: expected an IPv4 address");
	SETBAD(fx, "bind_address", "256.1.1.1", "bad value \"256.1.1.1\" for "
	    "bind_address: expected an IPv4 address");
	SETBAD(fx, "bind_address", "host.example", "bad value \"host.example\" "
	    "for bind_address: expected an IPv4 address");
	SETBAD(fx, "bind_address", "::1", "bad value \"::1\" for "
	    "bind_address: expected an IPv4 address");
	SETBAD(fx, "bind_address", "", "bad value \"\" for "
	    "bind_address: expected an IPv4 address");
	assert_int_equal(fx->c.bind_address, ip("192.0.2.1"));
}

static void
test_set_ipv6(void **state)
{
	struct fx *fx = *state;
	struct in6_addr a;

	SETOK(fx, "primary_ipv6_dns", "2001:db8::53");
	assert_int_equal(inet_pton(AF_INET6, "2001:db8::53", &a), 1);
	assert_memory_equal(&fx->c.primary_ipv6_dns, &a, sizeof(a));
	SETOK(fx, "nexthop6_address", "::ffff:192.0.2.1");
	assert_int_equal(inet_pton(AF_INET6, "::ffff:192.0.2.1", &a), 1);
	assert_memory_equal(&fx->c.nexthop6_address, &a, sizeof(a));
	SETBAD(fx, "primary_ipv6_dns", "2001:db8::g", "bad value "
	    "\"2001:db8::g\" for primary_ipv6_dns: expected an IPv6 address");
	SETBAD(fx, "primary_ipv6_dns", "192.0.2.1", "bad value \"192.0.2.1\" "
	    "for primary_ipv6_dns: expected an IPv6 address");
	SETBAD(fx, "primary_ipv6_dns", "2001:db8::/64", "bad value "
	    "\"2001:db8::/64\" for primary_ipv6_dns: expected an IPv6 address");
}

static void
test_set_ipv6pfx(void **state)
{
	struct fx *fx = *state;
	struct in6_addr a;
	char buf[128];

	SETOK(fx, "ipv6_prefix", "2001:db8:1::/48");
	assert_int_equal(inet_pton(AF_INET6, "2001:db8:1::", &a), 1);
	assert_memory_equal(&fx->c.ipv6_prefix.addr, &a, sizeof(a));
	assert_int_equal(fx->c.ipv6_prefix.plen, 48);
	cfg_format(&fx->c, cfg_find("ipv6_prefix"), buf, sizeof(buf));
	assert_string_equal(buf, "2001:db8:1::/48");

	/* Without a length the prefix is a /64. */
	SETOK(fx, "ipv6_prefix", "2001:db8:2::");
	assert_int_equal(inet_pton(AF_INET6, "2001:db8:2::", &a), 1);
	assert_memory_equal(&fx->c.ipv6_prefix.addr, &a, sizeof(a));
	assert_int_equal(fx->c.ipv6_prefix.plen, 64);
	SETOK(fx, "ipv6_prefix", "2001:db8::/128");
	assert_int_equal(fx->c.ipv6_prefix.plen, 128);
	SETOK(fx, "ipv6_prefix", "::/1");
	assert_int_equal(fx->c.ipv6_prefix.plen, 1);

	SETBAD(fx, "ipv6_prefix", "2001:db8::/129", "bad value "
	    "\"2001:db8::/129\" for ipv6_prefix: expected an IPv6 prefix such "
	    "as 2001:db8::/64");
	SETBAD(fx, "ipv6_prefix", "2001:db8::/0", "bad value "
	    "\"2001:db8::/0\" for ipv6_prefix: expected an IPv6 prefix such as "
	    "2001:db8::/64");
	SETBAD(fx, "ipv6_prefix", "2001:db8::/", "bad value \"2001:db8::/\" "
	    "for ipv6_prefix: expected an IPv6 prefix such as 2001:db8::/64");
	SETBAD(fx, "ipv6_prefix", "2001:db8::/6x", "bad value "
	    "\"2001:db8::/6x\" for ipv6_prefix: expected an IPv6 prefix such "
	    "as 2001:db8::/64");
	SETBAD(fx, "ipv6_prefix", "10.0.0.0/8", "bad value \"10.0.0.0/8\" for "
	    "ipv6_prefix: expected an IPv6 prefix such as 2001:db8::/64");
	SETBAD(fx, "ipv6_prefix", "2001:db8:0000:0000:0000:0000:0000:0000:0000"
	    "/64", "bad value \"2001:db8:0000:0000:0000:0000:0000:0000:0000"
	    "/64\" for ipv6_prefix: expected an IPv6 prefix such as "
	    "2001:db8::/64");
	SETBAD(fx, "ipv6_prefix", "2001:0db8:0000:0000:0000:0000:0000:0001/"
	    "0000000000000064", "bad value \"2001:0db8:0000:0000:0000:0000:"
	    "0000:0001/0000000000000064\" for ipv6_prefix: expected an IPv6 "
	    "prefix such as 2001:db8::/64");
	assert_int_equal(fx->c.ipv6_prefix.plen, 1);

	/* Empty: IPv6 off. */
	SETOK(fx, "ipv6_prefix", "");
	assert_int_equal(fx->c.ipv6_prefix.plen, 0);
	cfg_format(&fx->c, cfg_find("ipv6_prefix"), buf, sizeof(buf));
	assert_string_equal(buf, "");
}

static void
test_set_unknown(void **state)
{
	struct fx *fx = *state;

	SETBAD(fx, "foo", "1", "unknown key \"foo\"");
	SETBAD(fx, "", "1", "unknown key \"\"");
	SETBAD(fx, "DEBUG", "1", "unknown key \"DEBUG\"");
	/* Error buffers may be absent or tiny. */
	assert_int_equal(cfg_set(&fx->c, "foo", "1", NULL, 0), -1);
	assert_int_equal(cfg_set(&fx->c, "foo", "1", fx->err, 4), -1);
	assert_string_equal(fx->err, "unk");
}

/* ---- lines: tokenizer, comments, set ---- */

static void
test_line_quoting(void **state)
{
	struct fx *fx = *state;

	OK(fx, "set hostname \"a b c\"");
	assert_string_equal(fx->c.hostname, "a b c");
	assert_ptr_equal(fx->which, cfg_find("hostname"));
	OK(fx, "set hostname 'x \"y\" z'");
	assert_string_equal(fx->c.hostname, "x \"y\" z");
	OK(fx, "set hostname \"say \\\"hi\\\" \\\\ \\x\"");
	assert_string_equal(fx->c.hostname, "say \"hi\" \\ x");
	/* No escapes between single quotes. */
	OK(fx, "set hostname 'a\\b'");
	assert_string_equal(fx->c.hostname, "a\\b");
	/* Quoted pieces join the word they touch. */
	OK(fx, "set hostname ab\"c d\"e'f g'");
	assert_string_equal(fx->c.hostname, "abc def g");
	OK(fx, "set hostname \"\"");
	assert_string_equal(fx->c.hostname, "");
	OK(fx, "set hostname ''");
	assert_string_equal(fx->c.hostname, "");
	OK(fx, "set hostname \"#not a comment\"");
	assert_string_equal(fx->c.hostname, "#not a comment");
	OK(fx, "set\thostname\t\"tab\tinside\"\r\n");
	assert_string_equal(fx->c.hostname, "tab\tinside");
	OK(fx, "set debug \"4\"");
	assert_int_equal(fx->c.debug, 4);

	BAD(fx, "set hostname \"abc", "unterminated \" quote");
	BAD(fx, "set hostname 'abc", "unterminated ' quote");
	BAD(fx, "set hostname \"abc\\\"", "unterminated \" quote");
	BAD(fx, "set hostname \"abc'", "unterminated \" quote");
	assert_string_equal(fx->c.hostname, "tab\tinside");
}

static void
test_tokenize(void **state)
{
	char buf[256], err[128], *argv[8];

	snprintf(buf, sizeof(buf), "  one\ttwo  \"three four\"\r\n");
	assert_int_equal(cfg_tokenize(buf, argv, 8, err, sizeof(err)), 3);
	assert_string_equal(argv[0], "one");
	assert_string_equal(argv[1], "two");
	assert_string_equal(argv[2], "three four");

	snprintf(buf, sizeof(buf), " \t\r\n");
	assert_int_equal(cfg_tokenize(buf, argv, 8, err, sizeof(err)), 0);
	snprintf(buf, sizeof(buf), "%s", "");
	assert_int_equal(cfg_tokenize(buf, argv, 8, err, sizeof(err)), 0);

	snprintf(buf, sizeof(buf), "a b c d");
	assert_int_equal(cfg_tokenize(buf, argv, 3, err, sizeof(err)), -1);
	assert_string_equal(err, "too many words (at most 3)");
	snprintf(buf, sizeof(buf), "a b c");
	assert_int_equal(cfg_tokenize(buf, argv, 3, err, sizeof(err)), 3);

	/* A backslash at the very end stays a backslash, then no quote. */
	snprintf(buf, sizeof(buf), "\"a\\");
	assert_int_equal(cfg_tokenize(buf, argv, 8, err, sizeof(err)), -1);
	assert_string_equal(err, "unterminated \" quote");
	snprintf(buf, sizeof(buf), "\"\" ''");
	assert_int_equal(cfg_tokenize(buf, argv, 8, err, sizeof(err)), 2);
	assert_string_equal(argv[0], "");
	assert_string_equal(argv[1], "");
}

static void
test_line_comments(void **state)
{
	static const char *skip[] = {
		"", "\n", "\r\n", "   ", "\t \t\n", "# set debug 5",
		"! set debug 5", "   # indented", "\t! indented",
		"#", "!", "#set debug 5\n",
	};
	struct fx *fx = *state;
	struct config before;
	size_t i;

	memcpy(&before, &fx->c, sizeof(before));
	for (i = 0; i < sizeof(skip) / sizeof(skip[0]); i++) {
		OK(fx, skip[i]);
		assert_null(fx->which);
	}
	assert_memory_equal(&before, &fx->c, sizeof(before));

	OK(fx, "   set debug 2");
	assert_int_equal(fx->c.debug, 2);
	OK(fx, "\t\tset debug 3\n");
	assert_int_equal(fx->c.debug, 3);
	/* Harmless words of the CLI's configuration mode. */
	OK(fx, "exit");
	OK(fx, "end");
}

static void
test_line_set_errors(void **state)
{
	struct fx *fx = *state;
	char big[5000];
	char many[512];
	int i;
	size_t o;

	BAD(fx, "set", "set: missing key");
	assert_null(fx->which);
	BAD(fx, "set debug", "set debug: missing value");
	assert_ptr_equal(fx->which, cfg_find("debug"));
	BAD(fx, "set hostname a b", "set hostname: too many words; quote a "
	    "value containing spaces");
	assert_ptr_equal(fx->which, cfg_find("hostname"));
	BAD(fx, "set debug 3 # no trailing comments",
	    "set debug: too many words; quote a value containing spaces");
	BAD(fx, "set foo 1", "unknown key \"foo\"");
	assert_null(fx->which);
	BAD(fx, "set debug 9",
	    "bad value \"9\" for debug: expected an integer from 0 to 5");
	assert_ptr_equal(fx->which, cfg_find("debug"));
	BAD(fx, "frobnicate x", "unknown command \"frobnicate\"");
	assert_null(fx->which);
	BAD(fx, "Set debug 1", "unknown command \"Set\"");
	BAD(fx, "\"\" x", "unknown command \"\"");

	for (i = 0, o = 0; i < 65; i++)
		o += (size_t)snprintf(many + o, sizeof(many) - o, "w%d ", i);
	BAD(fx, many, "too many words (at most 64)");

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "set hostname ", 13);
	BAD(fx, big, "line too long (at most 4095 characters)");
	assert_int_equal(fx->c.debug, 0);
}

/* ---- legacy keys ---- */

static void
test_legacy_bgp(void **state)
{
	struct fx *fx = *state;
	struct bgp_config *b = &fx->c.bgp;

	OK(fx, "set as_number 65000");
	assert_int_equal(b->as, 65000);
	assert_ptr_equal(fx->which, cfg_find("as_number"));
	OK(fx, "set bgp_peer1 192.0.2.1");
	OK(fx, "set bgp_peer1_as 65001");
	OK(fx, "set bgp_peer2_as 65002");
	OK(fx, "set bgp_peer2 peer2.example");
	assert_int_equal(b->npeers, 2);
	assert_string_equal(b->peer[0].name, "192.0.2.1");
	assert_int_equal(b->peer[0].remote_as, 65001);
	assert_int_equal(b->peer[0].keepalive, -1);
	assert_int_equal(b->peer[0].hold, -1);
	assert_string_equal(b->peer[1].name, "peer2.example");
	assert_int_equal(b->peer[1].remote_as, 65002);
	assert_int_equal(b->peer[1].keepalive, -1);
	assert_int_equal(b->peer[1].hold, -1);
	OK(fx, "set as_number 4294967295");
	assert_true(b->as == 4294967295U);

	BAD(fx, "set as_number 0", "bad value \"0\" for as_number: expected "
	    "an AS number from 1 to 4294967295");
	BAD(fx, "set as_number 4294967296", "bad value \"4294967296\" for "
	    "as_number: expected an AS number from 1 to 4294967295");
	BAD(fx, "set as_number -1", "bad value \"-1\" for as_number: expected "
	    "an AS number from 1 to 4294967295");
	/* strtoul would wrap " -18446744073709551615" to 1. */
	BAD(fx, "set as_number \" -18446744073709551615\"", "bad value "
	    "\" -18446744073709551615\" for as_number: expected an AS number "
	    "from 1 to 4294967295");
	BAD(fx, "router bgp \" -18446744073709551615\"", "expected \"router "
	    "bgp AS\" with AS from 1 to 4294967295");
	BAD(fx, "set bgp_peer1_as abc", "bad value \"abc\" for bgp_peer1_as: "
	    "expected an AS number from 1 to 4294967295");
	BAD(fx, "set bgp_peer2_as 0", "bad value \"0\" for bgp_peer2_as: "
	    "expected an AS number from 1 to 4294967295");
	BAD(fx, "set bgp_peer1 \"\"", "bad value \"\" for bgp_peer1: expected "
	    "a hostname or address");
	BAD(fx, "set bgp_peer2 \"a b\"", "bad value \"a b\" for bgp_peer2: "
	    "expected a hostname or address");
	assert_ptr_equal(fx->which, cfg_find("bgp_peer2"));
	assert_true(b->as == 4294967295U);
	assert_string_equal(b->peer[1].name, "peer2.example");

	/* The printer writes the modern form. */
	{
		struct outbuf o = { 0 };

		assert_int_equal(cfg_print(&fx->c, 0, 1, out_append, &o), 0);
		assert_non_null(strstr(o.buf, "router bgp 4294967295\n"
		    " neighbour 192.0.2.1 remote-as 65001\n"
		    " neighbour peer2.example remote-as 65002\n!\n"));
		assert_null(strstr(o.buf, "as_number"));
		assert_null(strstr(o.buf, "bgp_peer"));
	}
}

static void
test_legacy_obsolete(void **state)
{
	struct fx *fx = *state;
	struct outbuf o = { 0 };

	OK(fx, "set save_state yes");
	assert_int_equal(fx->c.save_state, 1);
	OK(fx, "set cleanup_interval 10");
	assert_int_equal(fx->c.cleanup_interval, 10);
	OK(fx, "set snoop_host 192.0.2.7");
	assert_int_equal(fx->c.snoop_host, ip("192.0.2.7"));
	OK(fx, "set snoop_port 5000");
	assert_int_equal(fx->c.snoop_port, 5000);
	OK(fx, "set cluster_master 192.0.2.8");
	assert_int_equal(fx->c.cluster_master, ip("192.0.2.8"));
	/* save_state keeps the state file now (issue 21): a real directive */
	assert_false(cfg_find("save_state")->flags & CF_OBSOLETE);
	assert_true(cfg_find("save_state")->flags & CF_RESTART);
	assert_true(cfg_find("cleanup_interval")->flags & CF_OBSOLETE);
	OK(fx, "set state_dir /var/run/l2tpns-test");
	assert_string_equal(fx->c.state_dir, "/var/run/l2tpns-test");
	BAD(fx, "set snoop_port 70000", "bad value \"70000\" for snoop_port: "
	    "expected an integer from 0 to 65535");
	BAD(fx, "set save_state perhaps", "bad value \"perhaps\" for "
	    "save_state: expected yes or no");

	/* Accepted, but never written back (save_state is, when set). */
	assert_int_equal(cfg_print(&fx->c, 1, 1, out_append, &o), 0);
	assert_non_null(strstr(o.buf, "set save_state yes"));
	assert_null(strstr(o.buf, "cleanup_interval"));
	assert_null(strstr(o.buf, "snoop_"));
	assert_null(strstr(o.buf, "cluster_master "));
}

/* ---- plugins ---- */

static void
test_plugins(void **state)
{
	struct fx *fx = *state;
	char l[64];
	int i;

	OK(fx, "load plugin garden");
	OK(fx, "load plugin garden");
	assert_int_equal(fx->c.nplugins, 1);
	OK(fx, "load plugin throttlectl");
	OK(fx, "load plugin snoop_ctl-2");
	assert_int_equal(fx->c.nplugins, 3);
	assert_string_equal(fx->c.plugins[0], "garden");
	assert_string_equal(fx->c.plugins[1], "throttlectl");
	assert_string_equal(fx->c.plugins[2], "snoop_ctl-2");
	OK(fx, "remove plugin garden");
	assert_int_equal(fx->c.nplugins, 2);
	assert_string_equal(fx->c.plugins[0], "throttlectl");
	assert_string_equal(fx->c.plugins[1], "snoop_ctl-2");
	/* Removing a plugin that is not loaded is not an error. */
	OK(fx, "remove plugin nosuch");
	assert_int_equal(fx->c.nplugins, 2);

	BAD(fx, "load plugin ../evil", "bad plugin name \"../evil\": use "
	    "letters, digits, '_' or '-'");
	BAD(fx, "load plugin evil.so", "bad plugin name \"evil.so\": use "
	    "letters, digits, '_' or '-'");
	BAD(fx, "load plugin /lib/evil", "bad plugin name \"/lib/evil\": use "
	    "letters, digits, '_' or '-'");
	BAD(fx, "load plugin \"\"", "bad plugin name \"\": use letters, "
	    "digits, '_' or '-'");
	BAD(fx, "remove plugin ../evil", "bad plugin name \"../evil\": use "
	    "letters, digits, '_' or '-'");
	BAD(fx, "load plugin", "expected \"load plugin NAME\"");
	BAD(fx, "load module garden", "expected \"load plugin NAME\"");
	BAD(fx, "remove plugin a b", "expected \"remove plugin NAME\"");
	assert_int_equal(fx->c.nplugins, 2);

	for (i = fx->c.nplugins; i < MAXPLUGINS; i++) {
		snprintf(l, sizeof(l), "load plugin p%d", i);
		OK(fx, l);
	}
	assert_int_equal(fx->c.nplugins, MAXPLUGINS);
	BAD(fx, "load plugin onemore", "too many plugins (at most 32)");
	/* Loading one already loaded is still fine when full. */
	OK(fx, "load plugin throttlectl");
}

static void
test_plugin_name_length(void **state)
{
	struct fx *fx = *state;
	char l[128], name[80];

	memset(name, 'n', 63);
	name[63] = '\0';
	snprintf(l, sizeof(l), "load plugin %s", name);
	OK(fx, l);
	assert_string_equal(fx->c.plugins[0], name);
	memset(name, 'm', 64);
	name[64] = '\0';
	snprintf(l, sizeof(l), "load plugin %s", name);
	assert_int_equal(line(fx, l), -1);
	assert_non_null(strstr(fx->err, "bad plugin name"));
	assert_int_equal(fx->c.nplugins, 1);
}

/* ---- router bgp ---- */

static void
test_bgp_block(void **state)
{
	struct fx *fx = *state;
	struct bgp_config *b = &fx->c.bgp;

	OK(fx, "router bgp 65000");
	assert_int_equal(fx->st.mode, CFGMODE_BGP);
	assert_int_equal(b->as, 65000);
	OK(fx, " neighbour 192.0.2.1 remote-as 65001");
	OK(fx, " neighbor peer.example remote-as 4200000000");
	OK(fx, " neighbour 192.0.2.1 timers 10 30");
	OK(fx, " neighbour 192.0.2.1 update-source 192.0.2.254");
	/* Comments and blank lines do not end the block. */
	OK(fx, "!");
	OK(fx, "");
	OK(fx, "  neighbour peer.example timers 1 3");
	assert_int_equal(b->npeers, 2);
	assert_string_equal(b->peer[0].name, "192.0.2.1");
	assert_int_equal(b->peer[0].remote_as, 65001);
	assert_int_equal(b->peer[0].keepalive, 10);
	assert_int_equal(b->peer[0].hold, 30);
	assert_string_equal(b->peer[0].update_source, "192.0.2.254");
	assert_string_equal(b->peer[1].name, "peer.example");
	assert_true(b->peer[1].remote_as == 4200000000U);
	assert_int_equal(b->peer[1].keepalive, 1);
	assert_int_equal(b->peer[1].hold, 3);
	assert_string_equal(b->peer[1].update_source, "");

	/* A second remote-as changes the AS, not the number of peers. */
	OK(fx, " neighbour 192.0.2.1 remote-as 65011");
	assert_int_equal(b->npeers, 2);
	assert_int_equal(b->peer[0].remote_as, 65011);
	assert_int_equal(b->peer[0].keepalive, 10);

	BAD(fx, " neighbour 10.9.9.9 timers 10 30",
	    "neighbour 10.9.9.9: set remote-as first");
	BAD(fx, " neighbour 10.9.9.9 update-source 192.0.2.1",
	    "neighbour 10.9.9.9: set remote-as first");
	BAD(fx, " neighbour 192.0.2.1 timers 10 2", "bad timers \"10 2\": "
	    "keepalive 1 to 65535, hold 3 to 65535");
	BAD(fx, " neighbour 192.0.2.1 timers 0 30", "bad timers \"0 30\": "
	    "keepalive 1 to 65535, hold 3 to 65535");
	BAD(fx, " neighbour 192.0.2.1 timers 10 65536", "bad timers "
	    "\"10 65536\": keepalive 1 to 65535, hold 3 to 65535");
	BAD(fx, " neighbour 192.0.2.1 timers x 30", "bad timers \"x 30\": "
	    "keepalive 1 to 65535, hold 3 to 65535");
	assert_int_equal(b->peer[0].keepalive, 10);
	assert_int_equal(b->peer[0].hold, 30);
	BAD(fx, " neighbour 192.0.2.1 remote-as 0", "bad remote-as \"0\": "
	    "expected an AS number from 1 to 4294967295");
	BAD(fx, " neighbour 192.0.2.1 remote-as 4294967296", "bad remote-as "
	    "\"4294967296\": expected an AS number from 1 to 4294967295");
	BAD(fx, " neighbour 192.0.2.1 update-source eth0", "bad update-source "
	    "\"eth0\": expected an IPv4 address");
	BAD(fx, " neighbour 192.0.2.1 password x", "unknown neighbour command: "
	    "expected remote-as AS, timers KEEPALIVE HOLD or update-source "
	    "ADDR");
	BAD(fx, " neighbour 192.0.2.1 timers 10", "unknown neighbour command: "
	    "expected remote-as AS, timers KEEPALIVE HOLD or update-source "
	    "ADDR");
	BAD(fx, " neighbour", "expected \"neighbour PEER ...\" in router bgp "
	    "block");
	BAD(fx, " no neighbour", "expected \"neighbour PEER ...\" in router "
	    "bgp block");
	BAD(fx, " neighbour 0123456789012345678901234567890123456789012345678"
	    "901234567890123 remote-as 1", "neighbour name \"0123456789012345"
	    "678901234567890123456789012345678901234567890123\" too long");
	/* Errors do not end the block. */
	assert_int_equal(fx->st.mode, CFGMODE_BGP);

	OK(fx, " no neighbour peer.example");
	assert_int_equal(b->npeers, 1);
	assert_string_equal(b->peer[0].name, "192.0.2.1");
	BAD(fx, " no neighbour peer.example", "no neighbour peer.example to "
	    "remove");
	BAD(fx, " no neighbour 192.0.2.1 remote-as 65001",
	    "no neighbour 192.0.2.1 to remove");
	assert_int_equal(b->npeers, 1);

	/* A line that is not a neighbour line ends the block. */
	OK(fx, "set debug 1");
	assert_int_equal(fx->st.mode, CFGMODE_TOP);
	BAD(fx, "neighbour 192.0.2.9 remote-as 1",
	    "neighbour outside a \"router bgp\" block");
	BAD(fx, "neighbor 192.0.2.9 remote-as 1",
	    "neighbour outside a \"router bgp\" block");
	BAD(fx, "no neighbour 192.0.2.1", "unknown command \"no\"");
	assert_int_equal(b->npeers, 1);

	BAD(fx, "router bgp", "expected \"router bgp AS\" with AS from 1 to "
	    "4294967295");
	BAD(fx, "router bgp 0", "expected \"router bgp AS\" with AS from 1 to "
	    "4294967295");
	BAD(fx, "router ospf 1", "expected \"router bgp AS\" with AS from 1 "
	    "to 4294967295");
	BAD(fx, "router bgp 1 2", "expected \"router bgp AS\" with AS from 1 "
	    "to 4294967295");
	assert_int_equal(fx->st.mode, CFGMODE_TOP);
	assert_int_equal(b->as, 65000);

	/* Reopening the block keeps the neighbours. */
	OK(fx, "router bgp 65100");
	OK(fx, " neighbour 192.0.2.2 remote-as 65002");
	assert_int_equal(b->as, 65100);
	assert_int_equal(b->npeers, 2);
	OK(fx, "no router bgp");
	assert_int_equal(b->as, 0);
	assert_int_equal(b->npeers, 0);
}

static void
test_bgp_too_many(void **state)
{
	struct fx *fx = *state;
	char l[128];
	int i;

	OK(fx, "router bgp 65000");
	for (i = 0; i < MAXBGPPEER; i++) {
		snprintf(l, sizeof(l), "neighbour 192.0.2.%d remote-as %d",
		    i + 1, 65001 + i);
		OK(fx, l);
	}
	BAD(fx, "neighbour 192.0.2.99 remote-as 65099",
	    "too many BGP neighbours (at most 8)");
	assert_int_equal(fx->c.bgp.npeers, MAXBGPPEER);
	/* An existing neighbour can still be changed. */
	OK(fx, "neighbour 192.0.2.8 remote-as 65099");
	assert_int_equal(fx->c.bgp.peer[7].remote_as, 65099);
}

/* ---- ip access-list ---- */

static void
test_acl_standard(void **state)
{
	struct fx *fx = *state;
	struct acl *a;
	struct acl_rule *r;

	OK(fx, "ip access-list standard web");
	assert_int_equal(fx->st.mode, CFGMODE_ACL);
	assert_int_equal(fx->c.nacls, 1);
	OK(fx, " permit host 192.0.2.1");
	OK(fx, " deny 10.0.0.0 0.0.0.255");
	OK(fx, " deny 10.1.2.3 0.0.255.255 host 192.0.2.9");
	OK(fx, " permit any 172.16.0.0 0.15.255.255");
	OK(fx, " permit any");
	a = acl_find(&fx->c, "web");
	assert_non_null(a);
	assert_string_equal(a->name, "web");
	assert_int_equal(a->extended, 0);
	assert_int_equal(a->nrules, 5);

	r = &a->rules[0];
	assert_int_equal(r->permit, 1);
	assert_int_equal(r->proto, 0);
	assert_int_equal(r->src, ip("192.0.2.1"));
	assert_int_equal(r->src_wild, 0);
	assert_int_equal(r->dst, 0);
	assert_int_equal(r->dst_wild, 0xffffffff);

	r = &a->rules[1];
	assert_int_equal(r->permit, 0);
	assert_int_equal(r->src, htonl(0x0a000000));
	assert_int_equal(r->src_wild, htonl(0x000000ff));
	assert_int_equal(r->dst_wild, 0xffffffff);

	/* Host bits under the wildcard are cleared. */
	r = &a->rules[2];
	assert_int_equal(r->src, ip("10.1.0.0"));
	assert_int_equal(r->src_wild, ip("0.0.255.255"));
	assert_int_equal(r->dst, ip("192.0.2.9"));
	assert_int_equal(r->dst_wild, 0);

	r = &a->rules[3];
	assert_int_equal(r->src, 0);
	assert_int_equal(r->src_wild, 0xffffffff);
	assert_int_equal(r->dst, ip("172.16.0.0"));
	assert_int_equal(r->dst_wild, ip("0.15.255.255"));

	r = &a->rules[4];
	assert_int_equal(r->permit, 1);
	assert_int_equal(r->src_wild, 0xffffffff);
	assert_int_equal(r->dst_wild, 0xffffffff);
	assert_int_equal(r->sport_op, PORT_ANY);
	assert_int_equal(r->tcp_op, TCPF_NONE);
	assert_int_equal(r->fragments, 0);

	BAD(fx, " permit 10.0.0.0", "bad source: 10.0.0.0 needs a wildcard "
	    "mask");
	BAD(fx, " permit 10.0.0.0 255.255.255.x", "bad source: 10.0.0.0 needs "
	    "a wildcard mask");
	BAD(fx, " permit host", "bad source: \"host\" needs an IPv4 address");
	BAD(fx, " permit host any", "bad source: \"host\" needs an IPv4 "
	    "address");
	BAD(fx, " permit bogus", "bad source \"bogus\": expected any, host "
	    "ADDR or ADDR WILDCARD");
	BAD(fx, " permit any host", "bad destination: \"host\" needs an IPv4 "
	    "address");
	BAD(fx, " deny any 10.0.0.0", "bad destination: 10.0.0.0 needs a "
	    "wildcard mask");
	BAD(fx, " permit any any extra", "unexpected \"extra\" in standard "
	    "access-list rule");
	BAD(fx, " permit tcp any any", "bad source \"tcp\": expected any, host "
	    "ADDR or ADDR WILDCARD");
	BAD(fx, " permit", "missing source address");
	assert_int_equal(a->nrules, 5);
	assert_int_equal(fx->st.mode, CFGMODE_ACL);
}

static void
test_acl_extended(void **state)
{
	struct fx *fx = *state;
	struct acl *a;
	struct acl_rule *r;

	OK(fx, "ip access-list extended filt");
	OK(fx, " permit tcp any host 192.0.2.1 eq 80");
	OK(fx, " deny udp 10.0.0.0 0.255.255.255 range 1000 2000 any neq 53");
	OK(fx, " permit tcp any gt 1023 any lt 1024 established");
	OK(fx, " permit tcp any any match-any +syn -ack");
	OK(fx, " deny tcp any any match-all +fin +rst -psh -urg");
	OK(fx, " permit ip any any fragments");
	OK(fx, " deny ip host 1.2.3.4 0.0.0.0 255.255.255.255");
	OK(fx, " permit udp any eq 0 any range 65535 65535");
	a = acl_find(&fx->c, "filt");
	assert_non_null(a);
	assert_int_equal(a->extended, 1);
	assert_int_equal(a->nrules, 8);

	r = &a->rules[0];
	assert_int_equal(r->permit, 1);
	assert_int_equal(r->proto, 6);
	assert_int_equal(r->src_wild, 0xffffffff);
	assert_int_equal(r->sport_op, PORT_ANY);
	assert_int_equal(r->dst, ip("192.0.2.1"));
	assert_int_equal(r->dst_wild, 0);
	assert_int_equal(r->dport_op, PORT_EQ);
	assert_int_equal(r->dport[0], 80);

	r = &a->rules[1];
	assert_int_equal(r->permit, 0);
	assert_int_equal(r->proto, 17);
	assert_int_equal(r->src, ip("10.0.0.0"));
	assert_int_equal(r->src_wild, ip("0.255.255.255"));
	assert_int_equal(r->sport_op, PORT_RANGE);
	assert_int_equal(r->sport[0], 1000);
	assert_int_equal(r->sport[1], 2000);
	assert_int_equal(r->dport_op, PORT_NEQ);
	assert_int_equal(r->dport[0], 53);

	r = &a->rules[2];
	assert_int_equal(r->sport_op, PORT_GT);
	assert_int_equal(r->sport[0], 1023);
	assert_int_equal(r->dport_op, PORT_LT);
	assert_int_equal(r->dport[0], 1024);
	assert_int_equal(r->tcp_op, TCPF_ESTABLISHED);

	r = &a->rules[3];
	assert_int_equal(r->tcp_op, TCPF_MATCH_ANY);
	assert_int_equal(r->tcp_set, TCP_SYN);
	assert_int_equal(r->tcp_clear, TCP_ACK);

	r = &a->rules[4];
	assert_int_equal(r->tcp_op, TCPF_MATCH_ALL);
	assert_int_equal(r->tcp_set, TCP_FIN | TCP_RST);
	assert_int_equal(r->tcp_clear, TCP_PSH | TCP_URG);

	r = &a->rules[5];
	assert_int_equal(r->proto, 0);
	assert_int_equal(r->fragments, 1);

	r = &a->rules[6];
	assert_int_equal(r->permit, 0);
	assert_int_equal(r->src, ip("1.2.3.4"));
	assert_int_equal(r->src_wild, 0);
	assert_int_equal(r->dst, 0);
	assert_int_equal(r->dst_wild, 0xffffffff);

	r = &a->rules[7];
	assert_int_equal(r->sport_op, PORT_EQ);
	assert_int_equal(r->sport[0], 0);
	assert_int_equal(r->dport_op, PORT_RANGE);
	assert_int_equal(r->dport[0], 65535);
	assert_int_equal(r->dport[1], 65535);
	assert_int_equal(r->fragments, 0);

	BAD(fx, " permit icmp any any", "bad protocol \"icmp\": expected ip, "
	    "tcp or udp");
	BAD(fx, " permit TCP any any", "bad protocol \"TCP\": expected ip, "
	    "tcp or udp");
	BAD(fx, " permit", "missing protocol: expected ip, tcp or udp");
	BAD(fx, " permit tcp", "missing source address");
	BAD(fx, " permit tcp any", "missing destination address");
	BAD(fx, " permit tcp any eq 80", "missing destination address");
	BAD(fx, " permit tcp 10.0.0.0 any", "bad source: 10.0.0.0 needs a "
	    "wildcard mask");
	BAD(fx, " permit udp any 10.0.0.0", "bad destination: 10.0.0.0 needs a "
	    "wildcard mask");
	BAD(fx, " permit tcp any any eq 80 fragments", "\"fragments\" cannot "
	    "be combined with port or TCP flag matches");
	BAD(fx, " permit tcp any range 1 2 any fragments", "\"fragments\" "
	    "cannot be combined with port or TCP flag matches");
	BAD(fx, " permit tcp any any established fragments", "\"fragments\" "
	    "cannot be combined with port or TCP flag matches");
	BAD(fx, " permit udp any any established", "unexpected \"established\" "
	    "in extended access-list rule");
	BAD(fx, " permit ip any any match-any +syn", "unexpected \"match-any\" "
	    "in extended access-list rule");
	BAD(fx, " permit tcp any any established established", "unexpected "
	    "\"established\" in extended access-list rule");
	BAD(fx, " permit tcp any any eq 70000", "bad port after \"eq\": "
	    "expected 0 to 65535");
	BAD(fx, " permit tcp any any lt", "bad port after \"lt\": expected 0 "
	    "to 65535");
	BAD(fx, " permit tcp any neq -1 any", "bad port after \"neq\": "
	    "expected 0 to 65535");
	BAD(fx, " permit tcp any any range 2000 1000", "bad port range: "
	    "expected \"range LOW HIGH\" with 0 <= LOW <= HIGH <= 65535");
	BAD(fx, " permit tcp any any range 1", "bad port range: expected "
	    "\"range LOW HIGH\" with 0 <= LOW <= HIGH <= 65535");
	BAD(fx, " permit tcp any any match-any", "match-any needs at least one "
	    "+flag or -flag");
	BAD(fx, " permit tcp any any match-all", "match-all needs at least one "
	    "+flag or -flag");
	BAD(fx, " permit tcp any any match-any +foo", "bad TCP flag \"+foo\": "
	    "expected +/- and one of fin syn rst psh ack urg");
	BAD(fx, " permit tcp any any match-any +syn -SYN", "bad TCP flag "
	    "\"-SYN\": expected +/- and one of fin syn rst psh ack urg");
	BAD(fx, " permit tcp any any match-any syn", "unexpected \"syn\" in "
	    "extended access-list rule");
	/* Ports belong to tcp and udp only. */
	BAD(fx, " permit ip any eq 80 any", "bad destination \"eq\": expected "
	    "any, host ADDR or ADDR WILDCARD");
	BAD(fx, " permit tcp any any bogus", "unexpected \"bogus\" in extended "
	    "access-list rule");
	assert_int_equal(a->nrules, 8);
}

static void
test_acl_parse_direct(void **state)
{
	char buf[256], err[256], *argv[32];
	struct acl_rule r;
	int argc;

	snprintf(buf, sizeof(buf), "allow any");
	argc = cfg_tokenize(buf, argv, 32, err, sizeof(err));
	assert_int_equal(acl_parse_rule(0, argc, argv, &r, err, sizeof(err)),
	    -1);
	assert_string_equal(err, "access-list rule must start with permit or "
	    "deny");
	assert_int_equal(acl_parse_rule(1, 0, argv, &r, err, sizeof(err)), -1);
	assert_string_equal(err, "access-list rule must start with permit or "
	    "deny");

	/* The same words mean different things in the two kinds. */
	snprintf(buf, sizeof(buf), "deny host 10.0.0.1 any");
	argc = cfg_tokenize(buf, argv, 32, err, sizeof(err));
	assert_int_equal(acl_parse_rule(0, argc, argv, &r, err, sizeof(err)),
	    0);
	assert_int_equal(r.src, ip("10.0.0.1"));
	assert_int_equal(acl_parse_rule(1, argc, argv, &r, err, sizeof(err)),
	    -1);
	assert_string_equal(err, "bad protocol \"host\": expected ip, tcp or "
	    "udp");
}

static void
test_acl_blocks(void **state)
{
	struct fx *fx = *state;
	struct acl *a;

	BAD(fx, "permit any", "permit outside an \"ip access-list\" block");
	BAD(fx, "deny any", "deny outside an \"ip access-list\" block");

	OK(fx, "ip access-list standard web");
	OK(fx, " permit host 192.0.2.1");
	OK(fx, " permit host 192.0.2.1");	/* duplicate: ignored */
	OK(fx, " permit host 192.0.2.2");
	OK(fx, " deny host 192.0.2.1");		/* differs in permit */
	a = acl_find(&fx->c, "web");
	assert_int_equal(a->nrules, 3);

	/* Any other line ends the block. */
	OK(fx, "set debug 1");
	assert_int_equal(fx->st.mode, CFGMODE_TOP);
	BAD(fx, " permit any", "permit outside an \"ip access-list\" block");

	OK(fx, "ip access-list extended ext");
	OK(fx, " permit tcp any any eq 22");
	assert_int_equal(fx->c.nacls, 2);
	/* Reopening a list appends to it... */
	OK(fx, "ip access-list standard web");
	assert_int_equal(fx->st.acl, 0);
	OK(fx, " permit host 192.0.2.3");
	assert_int_equal(fx->c.nacls, 2);
	a = acl_find(&fx->c, "web");
	assert_int_equal(a->nrules, 4);
	assert_int_equal(a->rules[3].src, ip("192.0.2.3"));
	/* ...but only as the same kind. */
	BAD(fx, "ip access-list extended web", "access-list web already exists "
	    "as standard");
	BAD(fx, "ip access-list standard ext", "access-list ext already exists "
	    "as extended");
	assert_int_equal(fx->st.mode, CFGMODE_TOP);

	BAD(fx, "ip access-list standard bad/name", "bad access-list name "
	    "\"bad/name\": use up to 31 letters, digits, '_', '-' or '.'");
	BAD(fx, "ip access-list standard \"\"", "bad access-list name \"\": "
	    "use up to 31 letters, digits, '_', '-' or '.'");
	BAD(fx, "ip access-list standard 0123456789012345678901234567890"
	    "1", "bad access-list name \"01234567890123456789012345678901\": "
	    "use up to 31 letters, digits, '_', '-' or '.'");
	OK(fx, "ip access-list standard a_b-c.901234567890123456789012");
	BAD(fx, "ip access-list foo x", "expected \"ip access-list "
	    "{standard|extended} NAME\"");
	BAD(fx, "ip access-list standard", "expected \"ip access-list "
	    "{standard|extended} NAME\"");
	BAD(fx, "ip route 0.0.0.0 0.0.0.0", "expected \"ip access-list "
	    "{standard|extended} NAME\"");
	assert_int_equal(fx->c.nacls, 3);

	/* no ip access-list removes a list, whatever its kind. */
	OK(fx, "no ip access-list standard web");
	assert_int_equal(fx->c.nacls, 2);
	assert_null(acl_find(&fx->c, "web"));
	assert_non_null(acl_find(&fx->c, "ext"));
	assert_int_equal(acl_find(&fx->c, "ext")->nrules, 1);
	BAD(fx, "no ip access-list standard web", "no access-list web");
	BAD(fx, "no ip access-list standard", "expected \"ip access-list "
	    "{standard|extended} NAME\"");
	OK(fx, "no ip access-list standard a_b-c.901234567890123456789012");
	OK(fx, "no ip access-list standard ext");
	assert_int_equal(fx->c.nacls, 0);
	assert_null(acl_find(&fx->c, "ext"));

	/* A list can be recreated with the other kind after removal. */
	OK(fx, "ip access-list extended web");
	OK(fx, " deny ip any any");
	assert_int_equal(acl_find(&fx->c, "web")->extended, 1);
}

static void
test_acl_format(void **state)
{
	static const struct { int ext; const char *in, *out; } t[] = {
		{ 0, "permit any", "permit any" },
		{ 0, "permit any any", "permit any" },
		{ 0, "deny host 192.0.2.1", "deny host 192.0.2.1" },
		{ 0, "permit 10.1.2.3 0.0.255.255 host 192.0.2.9",
		    "permit 10.1.0.0 0.0.255.255 host 192.0.2.9" },
		{ 0, "permit 10.0.0.0 0.0.0.0", "permit host 10.0.0.0" },
		{ 1, "permit ip any any", "permit ip any any" },
		{ 1, "deny tcp any eq 80 host 192.0.2.1 range 1 1024 "
		    "established",
		    "deny tcp any eq 80 host 192.0.2.1 range 1 1024 "
		    "established" },
		{ 1, "permit udp 10.0.0.0 0.0.0.255 neq 53 any gt 1023",
		    "permit udp 10.0.0.0 0.0.0.255 neq 53 any gt 1023" },
		{ 1, "permit tcp any any match-all -ack +syn",
		    "permit tcp any any match-all +syn -ack" },
		{ 1, "permit tcp any any match-any +fin -fin +syn -syn +rst "
		    "-rst +psh -psh +ack -ack +urg -urg",
		    "permit tcp any any match-any +fin -fin +syn -syn +rst "
		    "-rst +psh -psh +ack -ack +urg -urg" },
		{ 1, "deny ip any any fragments", "deny ip any any fragments" },
		{ 1, "deny udp any any lt 10", "deny udp any any lt 10" },
	};
	struct acl a;
	struct acl_rule r, r2;
	char buf[512], out[512], err[256], *argv[64];
	size_t i;
	int argc;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		memset(&a, 0, sizeof(a));
		a.extended = t[i].ext;
		snprintf(buf, sizeof(buf), "%s", t[i].in);
		argc = cfg_tokenize(buf, argv, 64, err, sizeof(err));
		if (acl_parse_rule(t[i].ext, argc, argv, &r, err,
		    sizeof(err)) != 0)
			fail_msg("\"%s\": %s", t[i].in, err);
		assert_true(acl_format_rule(&a, &r, out, sizeof(out)) > 0);
		assert_string_equal(out, t[i].out);
		/* The printed rule parses back to the same rule. */
		snprintf(buf, sizeof(buf), "%s", out);
		argc = cfg_tokenize(buf, argv, 64, err, sizeof(err));
		assert_int_equal(acl_parse_rule(t[i].ext, argc, argv, &r2, err,
		    sizeof(err)), 0);
		assert_memory_equal(&r, &r2, sizeof(r));
	}
}

/* ---- setforward ---- */

static void
test_setforward(void **state)
{
	struct fx *fx = *state;
	struct forward_rule *f;

	OK(fx, "setforward user@* 192.0.2.10 1701 s3cret");
	OK(fx, "setforward \"*@isp.example\" 192.0.2.11 65535 'two words'");
	assert_int_equal(fx->c.nforwards, 2);
	f = &fx->c.forwards[0];
	assert_string_equal(f->mask, "user@*");
	assert_int_equal(f->ip, ip("192.0.2.10"));
	assert_int_equal(f->port, 1701);
	assert_string_equal(f->secret, "s3cret");
	f = &fx->c.forwards[1];
	assert_string_equal(f->mask, "*@isp.example");
	assert_int_equal(f->ip, ip("192.0.2.11"));
	assert_int_equal(f->port, 65535);
	assert_string_equal(f->secret, "two words");

	BAD(fx, "setforward", "expected \"setforward MASK IP PORT SECRET\"");
	BAD(fx, "setforward a 192.0.2.1 1701", "expected \"setforward MASK IP "
	    "PORT SECRET\"");
	BAD(fx, "setforward a 192.0.2.1 1701 s extra", "expected \"setforward "
	    "MASK IP PORT SECRET\"");
	BAD(fx, "setforward a lns.example 1701 s", "expected \"setforward MASK "
	    "IP PORT SECRET\"");
	BAD(fx, "setforward a 192.0.2.1 0 s", "expected \"setforward MASK IP "
	    "PORT SECRET\"");
	BAD(fx, "setforward a 192.0.2.1 65536 s", "expected \"setforward MASK "
	    "IP PORT SECRET\"");
	BAD(fx, "setforward a 192.0.2.1 l2tp s", "expected \"setforward MASK "
	    "IP PORT SECRET\"");
	BAD(fx, "setforward a 192.0.2.1 1701 "
	    "0123456789012345678901234567890123456789012345678901234567890123",
	    "expected \"setforward MASK IP PORT SECRET\"");
	BAD(fx, "setforward "
	    "0123456789012345678901234567890123456789012345678901234567890123 "
	    "192.0.2.1 1701 s", "expected \"setforward MASK IP PORT SECRET\"");
	assert_int_equal(fx->c.nforwards, 2);
}

/* ---- static incoming L2TP: l2tp incoming / l2tp session ---- */

static void
test_l2tp_rules(void **state)
{
	struct fx *fx = *state;
	struct l2tp_session_rule *r;
	const char *use = "expected \"l2tp incoming HOSTNAME SECRET\" or "
	    "\"l2tp session USER PASSWORD [tunnel HOSTNAME] (address IP "
	    "[route NET/LEN]... [ha-set NAME] | relay IP [PORT [SECRET]])\"";

	OK(fx, "l2tp incoming lac-1 'two words'");
	OK(fx, "l2tp session carol pw3 tunnel lac-1 address 10.99.0.5 route "
	    "203.0.113.64/28 route 10.0.0.0/8");
	OK(fx, "l2tp session dave * relay 192.0.2.9");
	OK(fx, "l2tp session erin x relay 192.0.2.10 1702 s3cret");
	OK(fx, "l2tp session fred pw address 10.99.0.6 ha-set office-7");
	assert_int_equal(fx->c.nl2tp_tunnels, 1);
	assert_string_equal(fx->c.l2tp_tunnels[0].host, "lac-1");
	assert_string_equal(fx->c.l2tp_tunnels[0].secret, "two words");
	assert_int_equal(fx->c.nl2tp_sessions, 4);
	r = &fx->c.l2tp_sessions[0];
	assert_string_equal(r->user, "carol");
	assert_string_equal(r->password, "pw3");
	assert_string_equal(r->tunnel, "lac-1");
	assert_int_equal(r->ip, ip("10.99.0.5"));
	assert_int_equal(r->nroutes, 2);
	assert_int_equal(r->route_net[0], ip("203.0.113.64"));
	assert_int_equal(r->route_len[0], 28);
	assert_int_equal(r->route_len[1], 8);
	assert_int_equal(r->relay, 0);
	r = &fx->c.l2tp_sessions[1];
	assert_int_equal(r->relay, ip("192.0.2.9"));
	assert_int_equal(r->relay_port, 1701);
	assert_string_equal(r->relay_secret, "");
	r = &fx->c.l2tp_sessions[2];
	assert_int_equal(r->relay_port, 1702);
	assert_string_equal(r->relay_secret, "s3cret");
	assert_string_equal(r->haset, "");
	r = &fx->c.l2tp_sessions[3];
	assert_int_equal(r->ip, ip("10.99.0.6"));
	assert_string_equal(r->haset, "office-7");

	BAD(fx, "l2tp incoming lac-1", use);
	BAD(fx, "l2tp session a b", use);
	BAD(fx, "l2tp session a b address 0.0.0.0", use);
	BAD(fx, "l2tp session a b address 10.0.0.1 route 10.0.0.1/8", use);
	BAD(fx, "l2tp session a b address 10.0.0.1 route 10.0.0.0/33", use);
	BAD(fx, "l2tp session a b address 10.0.0.1 route 1/8 route 2/8 route "
	    "3/8 route 4/8 route 5/8", use);
	BAD(fx, "l2tp session a b relay 192.0.2.1 0", use);
	BAD(fx, "l2tp session a b relay 192.0.2.1 1701 s extra", use);
	BAD(fx, "l2tp session a b tunnel", use);
	BAD(fx, "l2tp session a b other 1.2.3.4", use);
	BAD(fx, "l2tp session a b address 10.0.0.1 ha-set", use);
	BAD(fx, "l2tp session a b relay 192.0.2.1 ha-set x", use);
	BAD(fx, "l2tp session a b address 10.0.0.1 ha-set "
	    "a-name-of-more-than-thirty-one-octets", use);
	assert_int_equal(fx->c.nl2tp_sessions, 4);
}

/* ---- outgoing L2TP: l2tp outgoing (issue 23) ---- */

static void parse_text(struct config *, const char *);

static void
test_l2tp_outgoing(void **state)
{
	struct fx *fx = *state;
	struct l2tp_outgoing *g;
	struct outbuf *o = calloc(1, sizeof(*o));
	struct config c2;
	const char *use = "expected \"l2tp outgoing NAME lns IP [port PORT] "
	    "[hostname HOST] [secret SECRET] user USER password PASSWORD "
	    "[auth pap,chap,mschapv2] [route NET/LEN]... [dns]\"";

	assert_non_null(o);
	OK(fx, "l2tp outgoing isp lns 192.0.2.1 port 1702 hostname lac-a "
	    "secret 'tun pw' user bob@isp password pw auth chap,MSCHAPv2 "
	    "route 10.99.0.0/24 route 0.0.0.0/0 dns");
	OK(fx, "l2tp outgoing b lns 192.0.2.2 user u password p");
	assert_int_equal(fx->c.nl2tp_outgoing, 2);
	g = &fx->c.l2tp_outgoing[0];
	assert_string_equal(g->name, "isp");
	assert_int_equal(g->lns, ip("192.0.2.1"));
	assert_int_equal(g->port, 1702);
	assert_string_equal(g->host, "lac-a");
	assert_string_equal(g->secret, "tun pw");
	assert_string_equal(g->user, "bob@isp");
	assert_string_equal(g->password, "pw");
	assert_int_equal(g->auth, OUT_AUTH_CHAP | OUT_AUTH_MSCHAPV2);
	assert_int_equal(g->nroutes, 2);
	assert_int_equal(g->route_net[0], ip("10.99.0.0"));
	assert_int_equal(g->route_len[0], 24);
	assert_int_equal(g->route_len[1], 0);
	assert_int_equal(g->dns, 1);
	g = &fx->c.l2tp_outgoing[1];
	assert_int_equal(g->port, 1701);
	assert_int_equal(g->auth, OUT_AUTH_ALL);
	assert_int_equal(g->dns, 0);
	assert_string_equal(g->secret, "");

	BAD(fx, "l2tp outgoing", use);
	BAD(fx, "l2tp outgoing x user u password p", use);	/* no lns */
	BAD(fx, "l2tp outgoing x lns 192.0.2.1 password p", use);
	BAD(fx, "l2tp outgoing x lns 192.0.2.1 user u auth md4", use);
	BAD(fx, "l2tp outgoing x lns 192.0.2.1 user u port 0", use);
	BAD(fx, "l2tp outgoing x lns 192.0.2.1 user u route 10.0.0.1/8", use);
	BAD(fx, "l2tp outgoing x lns 192.0.2.1 user u colour red", use);
	BAD(fx, "l2tp outgoing x lns 192.0.2.1 user", use);
	BAD(fx, "l2tp outgoing b lns 192.0.2.1 user u",
	    "l2tp outgoing b: defined twice");
	assert_int_equal(fx->c.nl2tp_outgoing, 2);

	/* Printed back (secrets shown) and parsed again: the same. */
	assert_int_equal(cfg_print(&fx->c, 0, 1, out_append, o), 0);
	assert_non_null(strstr(o->buf, "l2tp outgoing isp lns 192.0.2.1 port "
	    "1702 hostname lac-a secret \"tun pw\" user bob@isp password pw "
	    "auth chap,mschapv2 route 10.99.0.0/24 route 0.0.0.0/0 dns\n"));
	cfg_defaults(&c2);
	parse_text(&c2, o->buf);
	assert_int_equal(c2.nl2tp_outgoing, 2);
	assert_memory_equal(c2.l2tp_outgoing, fx->c.l2tp_outgoing,
	    2 * sizeof(*g));
	cfg_free(&c2);
	/* Hidden secrets when asked. */
	o->len = 0;
	o->buf[0] = '\0';
	assert_int_equal(cfg_print(&fx->c, 0, 0, out_append, o), 0);
	assert_null(strstr(o->buf, "tun pw"));
	assert_non_null(strstr(o->buf, "password <hidden>"));
	free(o);
}

/* ---- cfg_load ---- */

static void
test_load_messages(void **state)
{
	struct fx *fx = *state;
	struct msgs ms = { 0 };
	char path[64], want[256];

	TMP_WRITE(path, "# startup-config\n"
	    "set debug 3\n"
	    "set debug 9\n"
	    "\n"
	    "bogus words\n"
	    "router bgp 65000\n"
	    " neighbour 192.0.2.1 remote-as 65001\n"
	    " neighbour 192.0.2.1 timers 10 2\n"
	    "set hostname \"lns\n"
	    "set l2tp_mtu 1400");	/* no final newline */
	assert_int_equal(cfg_load(&fx->c, path, NULL, collect, &ms), 4);
	assert_int_equal(ms.n, 4);
	snprintf(want, sizeof(want), "%s:3: bad value \"9\" for debug: "
	    "expected an integer from 0 to 5", path);
	assert_string_equal(ms.m[0], want);
	snprintf(want, sizeof(want), "%s:5: unknown command \"bogus\"", path);
	assert_string_equal(ms.m[1], want);
	snprintf(want, sizeof(want), "%s:8: bad timers \"10 2\": keepalive 1 "
	    "to 65535, hold 3 to 65535", path);
	assert_string_equal(ms.m[2], want);
	snprintf(want, sizeof(want), "%s:9: unterminated \" quote", path);
	assert_string_equal(ms.m[3], want);
	/* Good lines took effect; the bad one left the value alone. */
	assert_int_equal(fx->c.debug, 3);
	assert_int_equal(fx->c.l2tp_mtu, 1400);
	assert_int_equal(fx->c.bgp.as, 65000);
	assert_int_equal(fx->c.bgp.peer[0].remote_as, 65001);
	assert_int_equal(fx->c.bgp.peer[0].keepalive, -1);
	unlink(path);

	/* A clean file: no messages, no errors; fn may be NULL. */
	cfg_free(&fx->c);
	cfg_defaults(&fx->c);
	TMP_WRITE(path, "set debug 2\r\n! comment\r\n");
	assert_int_equal(cfg_load(&fx->c, path, NULL, NULL, NULL), 0);
	assert_int_equal(fx->c.debug, 2);
	unlink(path);
}

static void
test_load_nul_byte(void **state)
{
	struct fx *fx = *state;
	struct msgs ms = { 0 };
	static const char text[] =
	    "set debug 1\nset host\0name x\nset debug 2\n";
	char path[64], want[256];

	tmp_write(path, sizeof(path), text, sizeof(text) - 1);
	assert_int_equal(cfg_load(&fx->c, path, NULL, collect, &ms), 1);
	assert_int_equal(ms.n, 1);
	snprintf(want, sizeof(want), "%s:2: NUL byte in line", path);
	assert_string_equal(ms.m[0], want);
	assert_int_equal(fx->c.debug, 2);
	unlink(path);
}

static void
test_load_keep_old(void **state)
{
	struct fx *fx = *state;
	struct config old;
	struct msgs ms = { 0 };
	char path[64], want[256];

	cfg_defaults(&old);
	assert_int_equal(cfg_set(&old, "debug", "4", NULL, 0), 0);
	assert_int_equal(cfg_set(&old, "hostname", "running", NULL, 0), 0);
	assert_int_equal(cfg_set(&old, "as_number", "65000", NULL, 0), 0);

	TMP_WRITE(path, "set debug 1\n"
	    "set hostname new\n"
	    "set debug 9\n"
	    "set hostname\n"
	    "unknown line\n"
	    "set as_number 0\n"
	    "set multi_read_count 20\n");
	assert_int_equal(cfg_load(&fx->c, path, &old, collect, &ms), 4);
	assert_int_equal(ms.n, 4);
	snprintf(want, sizeof(want), "%s:3: bad value \"9\" for debug: "
	    "expected an integer from 0 to 5 (keeping the running value)",
	    path);
	assert_string_equal(ms.m[0], want);
	snprintf(want, sizeof(want), "%s:4: set hostname: missing value "
	    "(keeping the running value)", path);
	assert_string_equal(ms.m[1], want);
	/* No key, nothing to keep. */
	snprintf(want, sizeof(want), "%s:5: unknown command \"unknown\"",
	    path);
	assert_string_equal(ms.m[2], want);
	snprintf(want, sizeof(want), "%s:6: bad value \"0\" for as_number: "
	    "expected an AS number from 1 to 4294967295 (keeping the running "
	    "value)", path);
	assert_string_equal(ms.m[3], want);

	/* The running value wins over the file's good line for that key. */
	assert_int_equal(fx->c.debug, 4);
	assert_string_equal(fx->c.hostname, "running");
	assert_int_equal(fx->c.bgp.as, 65000);
	assert_int_equal(fx->c.multi_read_count, 20);
	unlink(path);

	/* Without `old` the same file only reports. */
	cfg_free(&fx->c);
	cfg_defaults(&fx->c);
	ms.n = 0;
	TMP_WRITE(path, "set debug 1\nset debug 9\n");
	assert_int_equal(cfg_load(&fx->c, path, NULL, collect, &ms), 1);
	assert_null(strstr(ms.m[0], "keeping"));
	assert_int_equal(fx->c.debug, 1);
	unlink(path);
	cfg_free(&old);
}

static void
test_load_keep_old_secondary_port(void **state)
{
	struct fx *fx = *state;
	struct config old;
	struct msgs ms = { 0 };
	char path[64];

	/* The running config set the backup server's port explicitly. */
	cfg_defaults(&old);
	assert_int_equal(cfg_set(&old, "secondary_radius_port", "1812", NULL,
	    0), 0);
	TMP_WRITE(path, "set secondary_radius_port 99999\n");
	assert_int_equal(cfg_load(&fx->c, path, &old, collect, &ms), 1);
	/* A bad line keeps the running value: it must not follow primary. */
	assert_int_equal(fx->c.secondary_radius_port, 1812);
	assert_int_equal(fx->c.primary_radius_port, 1645);
	unlink(path);
	cfg_free(&old);
}

static void
test_load_cross_checks(void **state)
{
	struct fx *fx = *state;
	struct msgs ms = { 0 };
	char path[64], want[256];

	TMP_WRITE(path, "set radius_bind_min 1000\n"
	    "set radius_bind_max 1010\n"
	    "set pid_file run/l2tpns.pid\n"
	    "set log_file l2tpns.log\n"
	    "set radius_authtypes \"pap,mschap\"\n");
	assert_int_equal(cfg_load(&fx->c, path, NULL, collect, &ms), 4);
	assert_int_equal(ms.n, 4);
	snprintf(want, sizeof(want), "%s: radius_bind_min 1000 to "
	    "radius_bind_max 1010: the range must hold at least 64 ports",
	    path);
	assert_string_equal(ms.m[0], want);
	snprintf(want, sizeof(want), "%s: pid_file \"run/l2tpns.pid\" must be "
	    "an absolute path", path);
	assert_string_equal(ms.m[1], want);
	snprintf(want, sizeof(want), "%s: log_file \"l2tpns.log\" must be an "
	    "absolute path or syslog:FACILITY", path);
	assert_string_equal(ms.m[2], want);
	snprintf(want, sizeof(want), "%s: radius_authtypes: unknown method "
	    "\"mschap\" (expected pap, chap or mschapv2)", path);
	assert_string_equal(ms.m[3], want);
	unlink(path);

	/* The good forms of the same keys. */
	cfg_free(&fx->c);
	cfg_defaults(&fx->c);
	ms.n = 0;
	TMP_WRITE(path, "set radius_bind_min 1000\n"
	    "set radius_bind_max 1063\n"
	    "set pid_file /run/l2tpns.pid\n"
	    "set log_file syslog:local5\n"
	    "set radius_authtypes \"MSCHAPv2, CHAP, pap\"\n");
	assert_int_equal(cfg_load(&fx->c, path, NULL, collect, &ms), 0);
	assert_int_equal(ms.n, 0);
	unlink(path);

	cfg_free(&fx->c);
	cfg_defaults(&fx->c);
	TMP_WRITE(path, "set log_file /var/log/l2tpns\n"
	    "set radius_bind_min 2000\n"
	    "set radius_bind_max 1999\n");
	assert_int_equal(cfg_load(&fx->c, path, NULL, collect, &ms), 1);
	assert_non_null(strstr(ms.m[0], "radius_bind_min 2000 to "
	    "radius_bind_max 1999"));
	unlink(path);
}

static void
test_load_secondary_port(void **state)
{
	struct fx *fx = *state;
	char path[64];

	TMP_WRITE(path, "set primary_radius_port 1812\n");
	assert_int_equal(cfg_load(&fx->c, path, NULL, NULL, NULL), 0);
	assert_int_equal(fx->c.primary_radius_port, 1812);
	assert_int_equal(fx->c.secondary_radius_port, 1812);
	unlink(path);

	cfg_free(&fx->c);
	cfg_defaults(&fx->c);
	TMP_WRITE(path, "set secondary_radius_port 1645\n"
	    "set primary_radius_port 1812\n");
	assert_int_equal(cfg_load(&fx->c, path, NULL, NULL, NULL), 0);
	assert_int_equal(fx->c.primary_radius_port, 1812);
	assert_int_equal(fx->c.secondary_radius_port, 1645);
	unlink(path);
}

static void
test_load_bgp_checks(void **state)
{
	struct fx *fx = *state;
	struct msgs ms = { 0 };
	char path[64], want[256];

	/* Only the old keys can leave a neighbour without an AS. */
	TMP_WRITE(path, "set as_number 65000\nset bgp_peer1 192.0.2.1\n");
	assert_int_equal(cfg_load(&fx->c, path, NULL, collect, &ms), 1);
	assert_int_equal(ms.n, 1);
	snprintf(want, sizeof(want), "%s: BGP neighbour 192.0.2.1 has no "
	    "remote-as", path);
	assert_string_equal(ms.m[0], want);
	unlink(path);

	cfg_free(&fx->c);
	cfg_defaults(&fx->c);
	ms.n = 0;
	TMP_WRITE(path, "set bgp_peer1 192.0.2.1\nset bgp_peer1_as 65001\n");
	assert_int_equal(cfg_load(&fx->c, path, NULL, collect, &ms), 1);
	snprintf(want, sizeof(want), "%s: BGP neighbours configured but no "
	    "local AS (router bgp AS)", path);
	assert_string_equal(ms.m[0], want);
	unlink(path);

	cfg_free(&fx->c);
	cfg_defaults(&fx->c);
	ms.n = 0;
	TMP_WRITE(path, "set as_number 65000\n"
	    "set bgp_peer1 192.0.2.1\nset bgp_peer1_as 65001\n"
	    "set bgp_peer2 192.0.2.2\nset bgp_peer2_as 65002\n");
	assert_int_equal(cfg_load(&fx->c, path, NULL, collect, &ms), 0);
	assert_int_equal(fx->c.bgp.npeers, 2);
	unlink(path);
}

static void
test_load_missing(void **state)
{
	struct fx *fx = *state;
	struct msgs ms = { 0 };

	assert_int_equal(cfg_load(&fx->c, "/nonexistent/startup-config", NULL,
	    collect, &ms), -1);
	assert_int_equal(ms.n, 1);
	assert_string_equal(ms.m[0], "/nonexistent/startup-config: cannot "
	    "open: No such file or directory");
	assert_int_equal(cfg_load(&fx->c, "/nonexistent/x", NULL, NULL, NULL),
	    -1);

	/* A directory opens but cannot be read. */
	ms.n = 0;
	assert_int_equal(cfg_load(&fx->c, "/", NULL, collect, &ms), 1);
	assert_int_equal(ms.n, 1);
	assert_string_equal(ms.m[0], "/: read error: Is a directory");

	/* cfg_free takes NULL and can run twice. */
	cfg_free(NULL);
	cfg_free(&fx->c);
	cfg_free(&fx->c);
}

/* ---- printer ---- */

static const char *roundtrip_conf[] = {
	"set debug 4",
	"set log_file /var/log/l2tpns",
	"set pid_file /run/l2tpns.pid",
	"set random_device \"\"",
	"set hostname \"lns one \\\"main\\\" 'x' #1\"",
	"set l2tp_secret \"s3cr3t with space\"",
	"set radius_secret 'rad\\secret'",
	"set l2tp_mtu 1460",
	"set bind_address 192.0.2.1",
	"set ppp_keepalive no",
	"set primary_dns 192.0.2.53",
	"set ipv6_prefix 2001:db8:100::/48",
	"set primary_ipv6_dns 2001:db8::53",
	"set primary_radius 192.0.2.10",
	"set primary_radius_port 1812",
	"set secondary_radius_port 1813",
	"set radius_authtypes \"chap, pap\"",
	"set radius_bind_min 20000",
	"set radius_bind_max 20999",
	"set throttle_speed 4000000000",
	"set send_garp off",
	"set scheduler_fifo yes",
	"set cluster_address 239.1.2.3",
	"set nsctl_allow 127.0.0.0/8,10.0.0.0/8",
	"set cli_port 2323",
	"set accounting_dir \"/var/lib/l2tpns/acct dir\"",
	"set guest_account !guest",
	"load plugin garden",
	"load plugin throttlectl",
	"router bgp 65000",
	" neighbour 192.0.2.254 remote-as 65001",
	" neighbour 192.0.2.254 timers 10 30",
	" neighbor bgp.example remote-as 4200000000",
	" neighbour bgp.example update-source 192.0.2.1",
	" neighbour \"odd \\\"name\\\"\" remote-as 65003",
	"ip access-list standard std1",
	" permit host 10.0.0.1",
	" deny 10.1.0.0 0.0.255.255 host 192.0.2.1",
	"ip access-list extended ext1",
	" permit tcp any eq 80 10.0.0.0 0.0.0.255 range 1024 65535 "
	    "established",
	" deny udp host 1.2.3.4 any neq 53",
	" permit tcp any any match-all +syn -ack",
	" deny ip any any fragments",
	"setforward user@* 192.0.2.99 1701 \"fw secret\"",
	"setforward \"two words\" 192.0.2.98 1702 plain",
	"l2tp incoming lac-1 \"t secret\"",
	"l2tp session carol pw3 tunnel lac-1 address 10.99.0.5 route "
	    "203.0.113.64/28",
	"l2tp session dave * relay 192.0.2.9 1701",
	"l2tp session fred pw address 10.99.0.6 ha-set office-7",
};

static void
parse_text(struct config *c, const char *text)
{
	struct cfg_state st = { 0 };
	char l[1024], err[512];
	const char *p, *nl;

	for (p = text; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		assert_non_null(nl);
		assert_true((size_t)(nl - p) < sizeof(l));
		memcpy(l, p, nl - p);
		l[nl - p] = '\0';
		if (cfg_parse_line(c, &st, l, NULL, err, sizeof(err)) != 0)
			fail_msg("printed line \"%s\" rejected: %s", l, err);
	}
}

static void
assert_same_config(const struct config *a, const struct config *b)
{
	const struct cfg_directive *d;
	char va[CFG_STRLEN * 2], vb[CFG_STRLEN * 2];
	size_t n, i;
	int j;

	d = cfg_directives(&n);
	for (i = 0; i < n; i++) {
		if (d[i].type == CT_LEGACY || d[i].flags & CF_OBSOLETE)
			continue;
		cfg_format(a, &d[i], va, sizeof(va));
		cfg_format(b, &d[i], vb, sizeof(vb));
		if (strcmp(va, vb) != 0)
			fail_msg("%s: \"%s\" != \"%s\"", d[i].name, va, vb);
	}
	assert_int_equal(a->nplugins, b->nplugins);
	assert_memory_equal(a->plugins, b->plugins, sizeof(a->plugins));
	assert_memory_equal(&a->bgp, &b->bgp, sizeof(a->bgp));
	assert_int_equal(a->nacls, b->nacls);
	for (j = 0; j < a->nacls; j++) {
		assert_string_equal(a->acls[j].name, b->acls[j].name);
		assert_int_equal(a->acls[j].extended, b->acls[j].extended);
		assert_int_equal(a->acls[j].nrules, b->acls[j].nrules);
		assert_memory_equal(a->acls[j].rules, b->acls[j].rules,
		    a->acls[j].nrules * sizeof(struct acl_rule));
	}
	assert_int_equal(a->nl2tp_tunnels, b->nl2tp_tunnels);
	if (a->nl2tp_tunnels)
		assert_memory_equal(a->l2tp_tunnels, b->l2tp_tunnels,
		    a->nl2tp_tunnels * sizeof(*a->l2tp_tunnels));
	assert_int_equal(a->nl2tp_sessions, b->nl2tp_sessions);
	if (a->nl2tp_sessions)
		assert_memory_equal(a->l2tp_sessions, b->l2tp_sessions,
		    a->nl2tp_sessions * sizeof(*a->l2tp_sessions));
	assert_int_equal(a->nforwards, b->nforwards);
	for (j = 0; j < a->nforwards; j++) {
		assert_string_equal(a->forwards[j].mask, b->forwards[j].mask);
		assert_int_equal(a->forwards[j].ip, b->forwards[j].ip);
		assert_int_equal(a->forwards[j].port, b->forwards[j].port);
		assert_string_equal(a->forwards[j].secret,
		    b->forwards[j].secret);
	}
}

static void
test_print_roundtrip(void **state)
{
	struct fx *fx = *state;
	struct config c2, c3;
	struct outbuf *o1, *o2, *o3;
	size_t i;

	for (i = 0; i < sizeof(roundtrip_conf) / sizeof(roundtrip_conf[0]);
	    i++)
		OK(fx, roundtrip_conf[i]);
	assert_string_equal(fx->c.hostname, "lns one \"main\" 'x' #1");
	assert_string_equal(fx->c.radius_secret, "rad\\secret");

	o1 = calloc(1, sizeof(*o1));
	o2 = calloc(1, sizeof(*o2));
	o3 = calloc(1, sizeof(*o3));
	assert_non_null(o1);
	assert_non_null(o2);
	assert_non_null(o3);
	assert_int_equal(cfg_print(&fx->c, 0, 1, out_append, o1), 0);

	/* Spot checks of the printed form. */
	assert_non_null(strstr(o1->buf, "set debug 4\n"));
	assert_non_null(strstr(o1->buf,
	    "set hostname \"lns one \\\"main\\\" 'x' #1\"\n"));
	assert_non_null(strstr(o1->buf,
	    "set radius_secret \"rad\\\\secret\"\n"));
	assert_non_null(strstr(o1->buf, "set random_device \"\"\n"));
	assert_non_null(strstr(o1->buf, "set guest_account \"!guest\"\n"));
	assert_non_null(strstr(o1->buf, "set ipv6_prefix 2001:db8:100::/48\n"));
	assert_non_null(strstr(o1->buf, "set throttle_speed 4000000000\n"));
	assert_non_null(strstr(o1->buf, "set send_garp no\n"));
	assert_non_null(strstr(o1->buf, "load plugin garden\n"
	    "load plugin throttlectl\n"));
	assert_non_null(strstr(o1->buf, "router bgp 65000\n"
	    " neighbour 192.0.2.254 remote-as 65001\n"
	    " neighbour 192.0.2.254 timers 10 30\n"
	    " neighbour bgp.example remote-as 4200000000\n"
	    " neighbour bgp.example update-source 192.0.2.1\n"
	    " neighbour \"odd \\\"name\\\"\" remote-as 65003\n!\n"));
	assert_non_null(strstr(o1->buf, "ip access-list standard std1\n"
	    " permit host 10.0.0.1\n"
	    " deny 10.1.0.0 0.0.255.255 host 192.0.2.1\n!\n"
	    "ip access-list extended ext1\n"
	    " permit tcp any eq 80 10.0.0.0 0.0.0.255 range 1024 65535 "
	    "established\n"
	    " deny udp host 1.2.3.4 any neq 53\n"
	    " permit tcp any any match-all +syn -ack\n"
	    " deny ip any any fragments\n!\n"));
	assert_non_null(strstr(o1->buf,
	    "setforward user@* 192.0.2.99 1701 \"fw secret\"\n"
	    "setforward \"two words\" 192.0.2.98 1702 plain\n"));
	assert_non_null(strstr(o1->buf,
	    "l2tp incoming lac-1 \"t secret\"\n"
	    "l2tp session carol pw3 tunnel lac-1 address 10.99.0.5 route "
	    "203.0.113.64/28\n"
	    "l2tp session dave * relay 192.0.2.9 1701\n"));
	/* Defaults are not written. */
	assert_null(strstr(o1->buf, "set multi_read_count"));
	assert_null(strstr(o1->buf, "set cluster_port"));

	cfg_defaults(&c2);
	parse_text(&c2, o1->buf);
	assert_same_config(&fx->c, &c2);
	assert_int_equal(cfg_print(&c2, 0, 1, out_append, o2), 0);
	assert_string_equal(o1->buf, o2->buf);

	/* The same with every directive written. */
	o1->len = o2->len = 0;
	o1->lines = 0;
	assert_int_equal(cfg_print(&fx->c, 1, 1, out_append, o1), 0);
	assert_non_null(strstr(o1->buf, "set multi_read_count 10\n"));
	assert_non_null(strstr(o1->buf, "set cluster_port 32792\n"));
	cfg_defaults(&c3);
	parse_text(&c3, o1->buf);
	assert_same_config(&fx->c, &c3);
	assert_int_equal(cfg_print(&c3, 1, 1, out_append, o3), 0);
	assert_string_equal(o1->buf, o3->buf);

	cfg_free(&c2);
	cfg_free(&c3);
	free(o1);
	free(o2);
	free(o3);
}

static void
test_print_all_count(void **state)
{
	struct fx *fx = *state;
	const struct cfg_directive *d;
	struct outbuf *o;
	size_t n, i;
	int want = 0;

	d = cfg_directives(&n);
	for (i = 0; i < n; i++)
		if (d[i].type != CT_LEGACY &&
		    !(d[i].flags & (CF_HIDDEN | CF_OBSOLETE)))
			want++;
	o = calloc(1, sizeof(*o));
	assert_non_null(o);
	assert_int_equal(cfg_print(&fx->c, 1, 0, out_append, o), 0);
	assert_int_equal(o->lines, want);
	/* Empty secrets are printed as empty, not as hidden. */
	assert_non_null(strstr(o->buf, "set l2tp_secret \"\"\n"));
	assert_null(strstr(o->buf, "<hidden>"));

	/* Nothing differs from the defaults: nothing to print. */
	o->len = 0;
	o->lines = 0;
	o->buf[0] = '\0';
	assert_int_equal(cfg_print(&fx->c, 0, 1, out_append, o), 0);
	assert_int_equal(o->lines, 0);
	free(o);
}

static void
test_print_hidden(void **state)
{
	struct fx *fx = *state;
	struct outbuf *o;

	OK(fx, "set l2tp_secret tunnelpw");
	OK(fx, "set radius_secret \"radius pw\"");
	OK(fx, "setforward user@* 192.0.2.99 1701 fwpw");
	o = calloc(1, sizeof(*o));
	assert_non_null(o);
	assert_int_equal(cfg_print(&fx->c, 0, 0, out_append, o), 0);
	assert_string_equal(o->buf, "set l2tp_secret <hidden>\n"
	    "set radius_secret <hidden>\n"
	    "setforward user@* 192.0.2.99 1701 <hidden>\n");
	o->len = 0;
	assert_int_equal(cfg_print(&fx->c, 0, 1, out_append, o), 0);
	assert_string_equal(o->buf, "set l2tp_secret tunnelpw\n"
	    "set radius_secret \"radius pw\"\n"
	    "setforward user@* 192.0.2.99 1701 fwpw\n");
	free(o);

	/* A failing output stops the printer. */
	assert_int_equal(cfg_print(&fx->c, 0, 1, out_fail, NULL), -1);
	assert_int_equal(cfg_print(&fx->c, 1, 1, out_fail, NULL), -1);
}

static void
test_print_fail_blocks(void **state)
{
	struct fx *fx = *state;

	/* Only non-`set` statements: the first output is in each block. */
	OK(fx, "load plugin garden");
	assert_int_equal(cfg_print(&fx->c, 0, 1, out_fail, NULL), -1);
	cfg_free(&fx->c);
	cfg_defaults(&fx->c);
	OK(fx, "router bgp 1");
	assert_int_equal(cfg_print(&fx->c, 0, 1, out_fail, NULL), -1);
	OK(fx, "no router bgp");
	OK(fx, "ip access-list standard a");
	assert_int_equal(cfg_print(&fx->c, 0, 1, out_fail, NULL), -1);
	OK(fx, "no ip access-list standard a");
	OK(fx, "setforward m 192.0.2.1 1 s");
	assert_int_equal(cfg_print(&fx->c, 0, 1, out_fail, NULL), -1);
}

/* ---- restart changes and copies ---- */

static void
test_restart_changes(void **state)
{
	struct fx *fx = *state;
	struct config nc;
	const struct cfg_directive *list[8];

	cfg_defaults(&nc);
	assert_int_equal(cfg_restart_changes(&fx->c, &nc, list, 8), 0);
	assert_int_equal(cfg_set(&nc, "debug", "5", NULL, 0), 0);
	assert_int_equal(cfg_set(&nc, "hostname", "other", NULL, 0), 0);
	assert_int_equal(cfg_restart_changes(&fx->c, &nc, list, 8), 0);
	assert_int_equal(cfg_set(&nc, "bind_address", "192.0.2.1", NULL, 0),
	    0);
	assert_int_equal(cfg_restart_changes(&fx->c, &nc, list, 8), 1);
	assert_ptr_equal(list[0], cfg_find("bind_address"));
	assert_int_equal(cfg_set(&nc, "ipv6_prefix", "2001:db8::/64", NULL,
	    0), 0);
	assert_int_equal(cfg_restart_changes(&fx->c, &nc, list, 8), 2);
	/* The count is complete even when the list is short. */
	assert_int_equal(cfg_restart_changes(&fx->c, &nc, list, 1), 2);
	assert_int_equal(cfg_restart_changes(&fx->c, &nc, NULL, 0), 2);

	/* Copying the running value back removes the change. */
	cfg_copy_value(&nc, &fx->c, cfg_find("bind_address"));
	cfg_copy_value(&nc, &fx->c, cfg_find("ipv6_prefix"));
	assert_int_equal(nc.bind_address, 0);
	assert_int_equal(cfg_restart_changes(&fx->c, &nc, list, 8), 0);
	cfg_free(&nc);
}

static void
test_restart_changes_strings(void **state)
{
	struct fx *fx = *state;
	struct config nc;
	const struct cfg_directive *list[8];

	/*
	 * A string set twice in one file must compare by its value, not by
	 * the bytes the longer value left behind.
	 */
	cfg_defaults(&nc);
	assert_int_equal(cfg_set(&nc, "tundevicename", "tunnel-long", NULL, 0),
	    0);
	assert_int_equal(cfg_set(&nc, "tundevicename", "tun0", NULL, 0), 0);
	assert_int_equal(cfg_restart_changes(&fx->c, &nc, list, 8), 0);
	assert_int_equal(cfg_set(&nc, "tundevicename", "tun1", NULL, 0), 0);
	assert_int_equal(cfg_restart_changes(&fx->c, &nc, list, 8), 1);
	assert_ptr_equal(list[0], cfg_find("tundevicename"));
	cfg_free(&nc);
}

/* ---- reload classes, values waiting for a restart ---- */

static void
test_reload_classes(void **state)
{
	const struct cfg_directive *d;
	size_t n, i;
	int seen[4] = { 0, 0, 0, 0 };

	(void)state;
	assert_int_equal(cfg_reload_class(cfg_find("debug")), CFG_NOW);
	assert_int_equal(cfg_reload_class(cfg_find("primary_dns")), CFG_NEW);
	assert_int_equal(cfg_reload_class(cfg_find("l2tp_mtu")), CFG_NEW);
	assert_int_equal(cfg_reload_class(cfg_find("max_sessions")),
	    CFG_RESTART);
	assert_int_equal(cfg_reload_class(cfg_find("pid_file")), CFG_RESTART);
	assert_int_equal(cfg_reload_class(cfg_find("save_state")),
	    CFG_RESTART);
	assert_int_equal(cfg_reload_class(cfg_find("bind_multi_address")),
	    CFG_IGNORED);
	assert_string_equal(cfg_reload_text(CFG_NEW),
	    "applies to new sessions only");
	/* Every directive has exactly one class; no flag pair conflicts. */
	d = cfg_directives(&n);
	for (i = 0; i < n; i++) {
		assert_false((d[i].flags & CF_RESTART) &&
		    (d[i].flags & CF_NEWSESS));
		seen[cfg_reload_class(&d[i])]++;
	}
	for (i = 0; i < 4; i++)
		assert_true(seen[i] > 0);
}

static void
test_pending_and_print_running(void **state)
{
	struct fx *fx = *state;
	struct config want, got;
	const struct cfg_directive *ms = cfg_find("max_sessions");
	struct outbuf *o = calloc(1, sizeof(*o));

	assert_non_null(o);
	want = fx->c;
	assert_int_equal(cfg_set(&want, "max_sessions", "2000", NULL, 0), 0);
	assert_int_equal(cfg_pending_get(ms, NULL), 0);
	cfg_pending_note(&fx->c, &want, ms);
	got = fx->c;
	assert_int_equal(cfg_pending_get(ms, &got), 1);
	assert_int_equal(got.max_sessions, 2000);
	assert_int_equal(fx->c.max_sessions, 65535);

	assert_int_equal(cfg_print_running(&fx->c, 1, out_append, o), 0);
	assert_non_null(strstr(o->buf, "! max_sessions waits for a restart: "
	    "running value 65535\nset max_sessions 2000\n"));
	/* cfg_print itself prints the running values only. */
	memset(o, 0, sizeof(*o));
	assert_int_equal(cfg_print(&fx->c, 0, 1, out_append, o), 0);
	assert_null(strstr(o->buf, "max_sessions"));

	/* Back to the running value: forgotten. */
	cfg_pending_note(&fx->c, &fx->c, ms);
	assert_int_equal(cfg_pending_get(ms, NULL), 0);
	memset(o, 0, sizeof(*o));
	assert_int_equal(cfg_print_running(&fx->c, 1, out_append, o), 0);
	assert_null(strstr(o->buf, "max_sessions"));
	free(o);
}

static void
test_copy_value(void **state)
{
	struct fx *fx = *state;
	struct config src;

	cfg_defaults(&src);
	assert_int_equal(cfg_set(&src, "hostname", "source", NULL, 0), 0);
	assert_int_equal(cfg_set(&src, "as_number", "65000", NULL, 0), 0);
	assert_int_equal(cfg_set(&src, "bgp_peer1", "192.0.2.1", NULL, 0), 0);
	assert_int_equal(cfg_copy_value(&fx->c, &src, cfg_find("hostname")),
	    0);
	assert_string_equal(fx->c.hostname, "source");
	/* A legacy key carries the whole BGP block. */
	assert_int_equal(cfg_copy_value(&fx->c, &src, cfg_find("bgp_peer1")),
	    0);
	assert_int_equal(fx->c.bgp.as, 65000);
	assert_int_equal(fx->c.bgp.npeers, 1);
	assert_string_equal(fx->c.bgp.peer[0].name, "192.0.2.1");
	cfg_free(&src);
}

/* ---- users ---- */

/* crypt(3) hashes made here, so that verification is real. */
static char md5_hash[128], des_hash[32];

static void
make_hashes(void)
{
	const char *h;

	h = crypt("md5pw", "$1$abcdefgh$");
	assert_non_null(h);
	assert_true(strncmp(h, "$1$abcdefgh$", 12) == 0);
	snprintf(md5_hash, sizeof(md5_hash), "%s", h);
	h = crypt("despw", "ab");
	assert_non_null(h);
	assert_int_equal(strlen(h), 13);
	snprintf(des_hash, sizeof(des_hash), "%s", h);
}

static void
test_users_parse(void **state)
{
	struct cli_user u;
	char l[256], err[256];

	make_hashes();

	assert_int_equal(users_parse_line(&u, "admin:secret\n", err,
	    sizeof(err)), 0);
	assert_string_equal(u.name, "admin");
	assert_string_equal(u.pass, "secret");
	assert_int_equal(u.kind, PW_PLAIN);
	/* The password runs to the end of the line, colons and all. */
	assert_int_equal(users_parse_line(&u, "x:a:b c\r\n", err, sizeof(err)),
	    0);
	assert_string_equal(u.name, "x");
	assert_string_equal(u.pass, "a:b c");
	assert_int_equal(u.kind, PW_PLAIN);

	snprintf(l, sizeof(l), "bob:%s\n", md5_hash);
	assert_int_equal(users_parse_line(&u, l, err, sizeof(err)), 0);
	assert_string_equal(u.name, "bob");
	assert_string_equal(u.pass, md5_hash);
	assert_int_equal(u.kind, PW_MD5);

	snprintf(l, sizeof(l), "carol:{crypt}%s", des_hash);
	assert_int_equal(users_parse_line(&u, l, err, sizeof(err)), 0);
	assert_string_equal(u.name, "carol");
	assert_string_equal(u.pass, des_hash);	/* prefix stripped */
	assert_int_equal(u.kind, PW_DES);

	assert_int_equal(users_parse_line(&u, "nocolon\n", err, sizeof(err)),
	    -1);
	assert_string_equal(err, "expected user:password");
	assert_int_equal(users_parse_line(&u, "", err, sizeof(err)), -1);
	assert_string_equal(err, "expected user:password");
	/* The colon must be on this line. */
	assert_int_equal(users_parse_line(&u, "a\n:b", err, sizeof(err)), -1);
	assert_string_equal(err, "expected user:password");
	assert_int_equal(users_parse_line(&u, ":pw\n", err, sizeof(err)), -1);
	assert_string_equal(err, "empty user name");
	assert_int_equal(users_parse_line(&u, "dave:\n", err, sizeof(err)),
	    -1);
	assert_string_equal(err, "empty password for user dave");
	assert_int_equal(users_parse_line(&u, "dave:", err, sizeof(err)), -1);
	assert_string_equal(err, "empty password for user dave");

	assert_int_equal(users_parse_line(&u, "eve:$1$abc", err, sizeof(err)),
	    -1);
	assert_string_equal(err, "malformed MD5 password for user eve "
	    "(expected $1$salt$ and 22 hash characters)");
	assert_int_equal(users_parse_line(&u, "eve:$1$abc$short", err,
	    sizeof(err)), -1);
	assert_string_equal(err, "malformed MD5 password for user eve "
	    "(expected $1$salt$ and 22 hash characters)");
	assert_int_equal(users_parse_line(&u,
	    "eve:$1$abcdefghi$IQtUouv7y7Q9dRWkQEPCc.", err, sizeof(err)), -1);
	assert_string_equal(err, "malformed MD5 password for user eve "
	    "(expected $1$salt$ and 22 hash characters)");
	assert_int_equal(users_parse_line(&u,
	    "eve:$1$abcdefgh$IQtUouv7y7Q9dRWkQEPCc.x", err, sizeof(err)), -1);
	assert_int_equal(users_parse_line(&u,
	    "eve:$1$abcdefgh$IQtUouv7y7Q9dRWkQEPC!.", err, sizeof(err)), -1);
	assert_string_equal(err, "malformed MD5 password for user eve "
	    "(expected $1$salt$ and 22 hash characters)");

	assert_int_equal(users_parse_line(&u, "frank:{crypt}abc", err,
	    sizeof(err)), -1);
	assert_string_equal(err, "malformed DES password for user frank "
	    "(expected {crypt} and 13 characters)");
	assert_int_equal(users_parse_line(&u, "frank:{crypt}", err,
	    sizeof(err)), -1);
	assert_string_equal(err, "malformed DES password for user frank "
	    "(expected {crypt} and 13 characters)");
	assert_int_equal(users_parse_line(&u, "frank:{crypt}abzlUXK5ed5r$", err,
	    sizeof(err)), -1);
	assert_string_equal(err, "malformed DES password for user frank "
	    "(expected {crypt} and 13 characters)");

	memset(l, 'n', 64);
	snprintf(l + 64, sizeof(l) - 64, ":pw");
	assert_int_equal(users_parse_line(&u, l, err, sizeof(err)), -1);
	assert_string_equal(err, "user name too long (at most 63)");
	l[0] = 'u';
	l[1] = ':';
	memset(l + 2, 'p', 160);
	l[162] = '\0';
	assert_int_equal(users_parse_line(&u, l, err, sizeof(err)), -1);
	assert_string_equal(err, "password too long (at most 159)");
	l[161] = '\0';
	assert_int_equal(users_parse_line(&u, l, err, sizeof(err)), 0);
	assert_int_equal(strlen(u.pass), 159);
}

static void
test_users_passwords(void **state)
{
	struct cli_user u;
	char l[256], err[256];

	make_hashes();
	assert_int_equal(users_parse_line(&u, "a:plain", err, sizeof(err)), 0);
	assert_int_equal(password_matches(&u, "plain"), 1);
	assert_int_equal(password_matches(&u, "plai"), 0);
	assert_int_equal(password_matches(&u, "plainx"), 0);
	assert_int_equal(password_matches(&u, "Plain"), 0);
	assert_int_equal(password_matches(&u, ""), 0);

	snprintf(l, sizeof(l), "b:%s", md5_hash);
	assert_int_equal(users_parse_line(&u, l, err, sizeof(err)), 0);
	assert_int_equal(password_matches(&u, "md5pw"), 1);
	assert_int_equal(password_matches(&u, "md5pW"), 0);
	assert_int_equal(password_matches(&u, ""), 0);
	/* The hash itself is not the password. */
	assert_int_equal(password_matches(&u, md5_hash), 0);

	snprintf(l, sizeof(l), "c:{crypt}%s", des_hash);
	assert_int_equal(users_parse_line(&u, l, err, sizeof(err)), 0);
	assert_int_equal(password_matches(&u, "despw"), 1);
	assert_int_equal(password_matches(&u, "despW"), 0);
	assert_int_equal(password_matches(&u, des_hash), 0);

	/* A damaged hash never matches. */
	u.pass[12] = u.pass[12] == 'A' ? 'B' : 'A';
	assert_int_equal(password_matches(&u, "despw"), 0);
}

static void
test_users_load(void **state)
{
	struct users us;
	struct msgs ms = { 0 };
	char path[64], text[1024], want[256];

	make_hashes();
	snprintf(text, sizeof(text),
	    "# CLI users\n"
	    "\n"
	    "admin:plainpw\n"
	    "  bob:%s\n"
	    "\tenable:{crypt}%s\n"
	    "broken line\n"
	    "admin:newpw\r\n"
	    "   # indented comment\n"
	    "carol:\n",
	    md5_hash, des_hash);
	TMP_WRITE(path, text);
	assert_int_equal(users_load(&us, path, collect, &ms), 2);
	assert_int_equal(ms.n, 3);
	snprintf(want, sizeof(want), "%s:6: expected user:password (line "
	    "ignored)", path);
	assert_string_equal(ms.m[0], want);
	snprintf(want, sizeof(want), "%s:7: user admin defined again; this "
	    "line replaces the earlier one", path);
	assert_string_equal(ms.m[1], want);
	snprintf(want, sizeof(want), "%s:9: empty password for user carol "
	    "(line ignored)", path);
	assert_string_equal(ms.m[2], want);

	assert_int_equal(us.n, 2);
	assert_string_equal(us.user[0].name, "admin");
	assert_string_equal(us.user[1].name, "bob");
	assert_int_equal(us.have_enable, 1);
	assert_int_equal(us.enable.kind, PW_DES);

	/* The later definition wins. */
	assert_int_equal(users_check(&us, "admin", "newpw"), 1);
	assert_int_equal(users_check(&us, "admin", "plainpw"), 0);
	assert_int_equal(users_check(&us, "bob", "md5pw"), 1);
	assert_int_equal(users_check(&us, "bob", "wrong"), 0);
	assert_int_equal(users_check(&us, "nobody", "md5pw"), 0);
	assert_int_equal(users_check(&us, "enable", "despw"), 0);
	assert_int_equal(users_check(&us, "carol", ""), 0);
	assert_int_equal(users_check_enable(&us, "despw"), 1);
	assert_int_equal(users_check_enable(&us, "wrong"), 0);
	users_free(&us);
	assert_int_equal(us.n, 0);
	assert_null(us.user);
	unlink(path);

	/* No enable line: enable never succeeds. */
	TMP_WRITE(path, "admin:pw\n");
	assert_int_equal(users_load(&us, path, NULL, NULL), 0);
	assert_int_equal(us.have_enable, 0);
	assert_int_equal(users_check_enable(&us, ""), 0);
	assert_int_equal(users_check_enable(&us, "pw"), 0);
	assert_int_equal(users_check(&us, "admin", "pw"), 1);
	users_free(&us);
	unlink(path);

	/* A missing file is not worth a message: the CLI is open. */
	ms.n = 0;
	assert_int_equal(users_load(&us, "/nonexistent/users", collect, &ms),
	    -1);
	assert_int_equal(ms.n, 0);
	assert_int_equal(us.n, 0);
	assert_int_equal(users_check(&us, "admin", "pw"), 0);
	users_free(&us);

	/* A file that cannot be read is an error, not an empty list. */
	assert_int_equal(users_load(&us, "/", collect, &ms), 1);
	assert_int_equal(ms.n, 1);
	assert_string_equal(ms.m[0], "/: read error: Is a directory");
	users_free(&us);
}

/* ---- ip_pool ---- */

#define POOL(l, bind) pool_parse_line((l), (bind), &r, &cidr, err, \
	sizeof(err))

static void
test_pool_parse(void **state)
{
	struct pool_range r;
	char err[256], l[256];
	int cidr;
	in_addr_t me = ip("192.0.2.1");

	assert_int_equal(POOL("192.0.2.10", me), 0);
	assert_int_equal(r.first, hip("192.0.2.10"));
	assert_int_equal(r.last, hip("192.0.2.10"));
	assert_int_equal(cidr, 0);
	assert_int_equal(POOL("  10.0.0.1\t# a comment\r\n", me), 0);
	assert_int_equal(r.first, hip("10.0.0.1"));
	assert_int_equal(r.last, hip("10.0.0.1"));

	assert_int_equal(POOL("10.0.0.0/24\n", me), 0);
	assert_int_equal(r.first, hip("10.0.0.0"));
	assert_int_equal(r.last, hip("10.0.0.255"));
	assert_int_equal(cidr, 1);
	assert_int_equal(POOL("10.0.0.0/255.255.255.0", me), 0);
	assert_int_equal(r.first, hip("10.0.0.0"));
	assert_int_equal(r.last, hip("10.0.0.255"));
	assert_int_equal(cidr, 1);
	assert_int_equal(POOL("10.0.0.7/32", me), 0);
	assert_int_equal(r.first, hip("10.0.0.7"));
	assert_int_equal(r.last, hip("10.0.0.7"));
	assert_int_equal(cidr, 1);
	assert_int_equal(POOL("10.0.0.7/255.255.255.255", me), 0);
	assert_int_equal(r.first, r.last);
	assert_int_equal(POOL("128.0.0.0/1", me), 0);
	assert_int_equal(r.first, 0x80000000);
	assert_int_equal(r.last, 0xffffffff);
	assert_int_equal(POOL("10.0.0.0/128.0.0.0", me), 3);

	/* Blank and comment lines. */
	assert_int_equal(POOL("", me), 1);
	assert_int_equal(POOL("\n", me), 1);
	assert_int_equal(POOL("  \t \r\n", me), 1);
	assert_int_equal(POOL("# 10.0.0.1", me), 1);
	assert_int_equal(POOL("   # indented", me), 1);

	/* Errors. */
	assert_int_equal(POOL("10.0.0.0/255.0.255.0", me), -1);
	assert_string_equal(err, "netmask 255.0.255.0 is not contiguous");
	assert_int_equal(POOL("10.0.0.0/0.0.0.255", me), -1);
	assert_string_equal(err, "netmask 0.0.0.255 is not contiguous");
	assert_int_equal(POOL("10.0.0.0/255.255.255.x", me), -1);
	assert_string_equal(err, "bad netmask \"255.255.255.x\"");
	assert_int_equal(POOL("10.0.0.0/33", me), -1);
	assert_string_equal(err, "bad prefix length \"/33\": expected 1 to 32");
	assert_int_equal(POOL("10.0.0.0/0", me), -1);
	assert_string_equal(err, "bad prefix length \"/0\": expected 1 to 32");
	assert_int_equal(POOL("10.0.0.0/", me), -1);
	assert_string_equal(err, "bad prefix length \"/\": expected 1 to 32");
	assert_int_equal(POOL("10.0.0.0/2x", me), -1);
	assert_string_equal(err, "bad prefix length \"/2x\": expected 1 to 32");
	assert_int_equal(POOL("0.0.0.0/0.0.0.0", me), -1);
	assert_string_equal(err, "a /0 pool is not allowed");
	assert_int_equal(POOL("10.0.0", me), -1);
	assert_string_equal(err, "bad address \"10.0.0\": expected a.b.c.d or "
	    "a.b.c.d/len");
	assert_int_equal(POOL("10.0.0.1 10.0.0.2", me), -1);
	assert_string_equal(err, "bad address \"10.0.0.1 10.0.0.2\": expected "
	    "a.b.c.d or a.b.c.d/len");
	assert_int_equal(POOL("2001:db8::/64", me), -1);
	assert_string_equal(err, "bad node address \"2001\" before ':'");
	memset(l, '1', 200);
	l[200] = '\0';
	assert_int_equal(POOL(l, me), -1);
	assert_string_equal(err, "line too long");
}

static void
test_pool_host_bits(void **state)
{
	struct pool_range r;
	char err[256];
	int cidr;
	in_addr_t me = ip("192.0.2.1");

	assert_int_equal(POOL("10.0.0.5/24", me), 3);
	assert_string_equal(err, "warning: 10.0.0.5 has host bits set; using "
	    "10.0.0.0/24");
	assert_int_equal(r.first, hip("10.0.0.0"));
	assert_int_equal(r.last, hip("10.0.0.255"));
	assert_int_equal(cidr, 1);
	assert_int_equal(POOL("10.1.2.3/255.255.0.0 # old form", me), 3);
	assert_string_equal(err, "warning: 10.1.2.3 has host bits set; using "
	    "10.1.0.0/255.255.0.0");
	assert_int_equal(r.first, hip("10.1.0.0"));
	assert_int_equal(r.last, hip("10.1.255.255"));
	/* With a node prefix the message names the entry, not the node. */
	assert_int_equal(POOL("192.0.2.1:10.0.0.5/24", me), 3);
	assert_string_equal(err, "warning: 10.0.0.5 has host bits set; using "
	    "10.0.0.0/24");
	assert_int_equal(r.first, hip("10.0.0.0"));
}

static void
test_pool_bindaddr(void **state)
{
	struct pool_range r;
	char err[256];
	int cidr;
	in_addr_t me = ip("192.0.2.1");

	r.first = r.last = 0;
	assert_int_equal(POOL("192.0.2.1:10.1.0.0/16", me), 0);
	assert_int_equal(r.first, hip("10.1.0.0"));
	assert_int_equal(r.last, hip("10.1.255.255"));
	assert_int_equal(cidr, 1);
	assert_int_equal(POOL("192.0.2.1:10.2.0.9 # mine", me), 0);
	assert_int_equal(r.first, hip("10.2.0.9"));
	assert_int_equal(cidr, 0);
	/* Another node's entry is skipped, even if it is malformed. */
	assert_int_equal(POOL("192.0.2.2:10.1.0.0/16", me), 2);
	assert_int_equal(POOL("192.0.2.2:10.1.0.0/99", me), 2);
	assert_int_equal(POOL("192.0.2.1:10.1.0.0/99", me), -1);
	assert_string_equal(err, "bad prefix length \"/99\": expected 1 to 32");
	assert_int_equal(POOL("lns1:10.0.0.1", me), -1);
	assert_string_equal(err, "bad node address \"lns1\" before ':'");
	assert_int_equal(POOL("192.0.2.1:", me), -1);
	assert_string_equal(err, "bad address \"\": expected a.b.c.d or "
	    "a.b.c.d/len");
}

static void
test_pool_load(void **state)
{
	struct pool_file pf;
	struct msgs ms = { 0 };
	char path[64], want[256];

	TMP_WRITE(path, "# pool\n"
	    "10.0.0.0/30\n"			/* .1-.2 */
	    "10.0.1.0/31\n"			/* both */
	    "10.0.2.1/32\n"			/* one */
	    "10.0.3.0/24\n"			/* .1-.254 */
	    "10.0.3.10\n"			/* inside the /24 */
	    "10.0.3.128/25\n"			/* .129-.254, inside too */
	    "192.0.2.2:10.9.0.0/16\n"		/* another node */
	    "10.0.4.9/24\n"			/* warning, .1-.254 */
	    "bad\n");
	assert_int_equal(pool_load(&pf, path, ip("192.0.2.1"), 100, collect,
	    &ms), 1);
	assert_int_equal(ms.n, 4);
	snprintf(want, sizeof(want), "%s:9: warning: 10.0.4.9 has host bits "
	    "set; using 10.0.4.0/24", path);
	assert_string_equal(ms.m[0], want);
	snprintf(want, sizeof(want), "%s:10: bad address \"bad\": expected "
	    "a.b.c.d or a.b.c.d/len", path);
	assert_string_equal(ms.m[1], want);
	snprintf(want, sizeof(want), "%s: warning: 127 addresses listed more "
	    "than once (merged)", path);
	assert_string_equal(ms.m[2], want);
	snprintf(want, sizeof(want), "%s: warning: 513 addresses, more than "
	    "the 100 sessions this process holds (max_sessions); the rest will "
	    "not be used", path);
	assert_string_equal(ms.m[3], want);

	assert_int_equal(pf.n, 5);
	assert_int_equal(pf.range[0].first, hip("10.0.0.1"));
	assert_int_equal(pf.range[0].last, hip("10.0.0.2"));
	assert_int_equal(pf.range[1].first, hip("10.0.1.0"));
	assert_int_equal(pf.range[1].last, hip("10.0.1.1"));
	assert_int_equal(pf.range[2].first, hip("10.0.2.1"));
	assert_int_equal(pf.range[2].last, hip("10.0.2.1"));
	assert_int_equal(pf.range[3].first, hip("10.0.3.1"));
	assert_int_equal(pf.range[3].last, hip("10.0.3.254"));
	assert_int_equal(pf.range[4].first, hip("10.0.4.1"));
	assert_int_equal(pf.range[4].last, hip("10.0.4.254"));
	assert_int_equal(pf.count, 2 + 2 + 1 + 254 + 254);

	/* Routes: one per CIDR line, network to broadcast. */
	assert_int_equal(pf.nroutes, 6);
	assert_int_equal(pf.routes[0].first, hip("10.0.0.0"));
	assert_int_equal(pf.routes[0].last, hip("10.0.0.3"));
	assert_int_equal(pf.routes[1].first, hip("10.0.1.0"));
	assert_int_equal(pf.routes[1].last, hip("10.0.1.1"));
	assert_int_equal(pf.routes[2].first, hip("10.0.2.1"));
	assert_int_equal(pf.routes[3].first, hip("10.0.3.0"));
	assert_int_equal(pf.routes[3].last, hip("10.0.3.255"));
	assert_int_equal(pf.routes[4].first, hip("10.0.3.128"));
	assert_int_equal(pf.routes[4].last, hip("10.0.3.255"));
	assert_int_equal(pf.routes[5].first, hip("10.0.4.0"));
	pool_free(&pf);
	assert_int_equal(pf.n, 0);
	assert_null(pf.range);
	unlink(path);
}

static void
test_pool_load_merge(void **state)
{
	struct pool_file pf;
	struct msgs ms = { 0 };
	char path[64], want[256];

	/* Adjacent single addresses merge without a warning. */
	TMP_WRITE(path, "10.0.0.3\n10.0.0.1\n10.0.0.2\n10.0.0.5\n");
	assert_int_equal(pool_load(&pf, path, 0, 0, collect, &ms), 0);
	assert_int_equal(ms.n, 0);
	assert_int_equal(pf.n, 2);
	assert_int_equal(pf.range[0].first, hip("10.0.0.1"));
	assert_int_equal(pf.range[0].last, hip("10.0.0.3"));
	assert_int_equal(pf.range[1].first, hip("10.0.0.5"));
	assert_int_equal(pf.count, 4);
	assert_int_equal(pf.nroutes, 0);
	pool_free(&pf);
	unlink(path);

	/* A duplicate is merged and reported. */
	TMP_WRITE(path, "10.0.0.1\n10.0.0.1\n10.0.0.0/30\n");
	assert_int_equal(pool_load(&pf, path, 0, 65535, collect, &ms), 0);
	assert_int_equal(ms.n, 1);
	snprintf(want, sizeof(want), "%s: warning: 2 addresses listed more "
	    "than once (merged)", path);
	assert_string_equal(ms.m[0], want);
	assert_int_equal(pf.n, 1);
	assert_int_equal(pf.count, 2);
	pool_free(&pf);
	unlink(path);

	/* The top of the address space does not wrap. */
	ms.n = 0;
	TMP_WRITE(path, "255.255.255.255\n255.255.255.254/31\n");
	assert_int_equal(pool_load(&pf, path, 0, 0, collect, &ms), 0);
	assert_int_equal(pf.n, 1);
	assert_int_equal(pf.range[0].first, 0xfffffffe);
	assert_int_equal(pf.range[0].last, 0xffffffff);
	assert_int_equal(pf.count, 2);
	assert_int_equal(ms.n, 1);
	pool_free(&pf);
	unlink(path);

	/* An empty file gives an empty pool. */
	ms.n = 0;
	TMP_WRITE(path, "");
	assert_int_equal(pool_load(&pf, path, 0, 1, collect, &ms), 0);
	assert_int_equal(ms.n, 0);
	assert_int_equal(pf.n, 0);
	assert_int_equal(pf.count, 0);
	pool_free(&pf);
	unlink(path);

	assert_int_equal(pool_load(&pf, "/nonexistent/ip_pool", 0, 0, collect,
	    &ms), -1);
	assert_string_equal(ms.m[0], "/nonexistent/ip_pool: cannot open: No "
	    "such file or directory");
	pool_free(&pf);

	ms.n = 0;
	assert_int_equal(pool_load(&pf, "/", 0, 0, collect, &ms), 1);
	assert_int_equal(ms.n, 1);
	assert_string_equal(ms.m[0], "/: read error: Is a directory");
	assert_int_equal(pf.count, 0);
	pool_free(&pf);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_defaults_parse),
		T(test_defaults_values),
		T(test_set_int),
		T(test_set_short),
		T(test_set_ulong),
		T(test_set_bool),
		T(test_set_string),
		T(test_set_ipv4),
		T(test_set_ipv6),
		T(test_set_ipv6pfx),
		T(test_set_unknown),
		T(test_line_quoting),
		T(test_tokenize),
		T(test_line_comments),
		T(test_line_set_errors),
		T(test_legacy_bgp),
		T(test_legacy_obsolete),
		T(test_plugins),
		T(test_plugin_name_length),
		T(test_bgp_block),
		T(test_bgp_too_many),
		T(test_acl_standard),
		T(test_acl_extended),
		T(test_acl_parse_direct),
		T(test_acl_blocks),
		T(test_acl_format),
		T(test_setforward),
		T(test_l2tp_rules),
		T(test_l2tp_outgoing),
		T(test_load_messages),
		T(test_load_nul_byte),
		T(test_load_keep_old),
		T(test_load_keep_old_secondary_port),
		T(test_load_cross_checks),
		T(test_load_secondary_port),
		T(test_load_bgp_checks),
		T(test_load_missing),
		T(test_print_roundtrip),
		T(test_print_all_count),
		T(test_print_hidden),
		T(test_print_fail_blocks),
		T(test_restart_changes),
		T(test_restart_changes_strings),
		T(test_copy_value),
		T(test_reload_classes),
		T(test_pending_and_print_running),
		T(test_users_parse),
		T(test_users_passwords),
		T(test_users_load),
		T(test_pool_parse),
		T(test_pool_host_bits),
		T(test_pool_bindaddr),
		T(test_pool_load),
		T(test_pool_load_merge),
	};

	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
