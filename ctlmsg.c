/*
 * ctlmsg.c - encoder and decoder of nsctl control messages (the format
 * is described in control.h).  Shared by the daemon (control.c) and the
 * nsctl tool; no state, no logging: errors go back to the caller
 * (STYLE 12).
 *
 * The decoder reads only through the checked cursor of rd.h and checks
 * every length against both its limit and the bytes left (STYLE 2, 3).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "control.h"
#include "rd.h"

static const char *const err_names[] = {
	[CTL_E_NONE]		= "ok",
	[CTL_E_SHORT]		= "short",
	[CTL_E_MAGIC]		= "bad magic",
	[CTL_E_VERSION]		= "unsupported version",
	[CTL_E_TYPE]		= "unexpected type",
	[CTL_E_ARGC]		= "bad argument count",
	[CTL_E_LENGTH]		= "bad string length",
	[CTL_E_TRAILING]	= "trailing bytes",
	[CTL_E_FORMAT]		= "bad format",
};

static const char *const result_names[] = {
	[CTL_RES_OK]		= "ok",
	[CTL_RES_ERR]		= "error",
	[CTL_RES_UNKNOWN]	= "unknown command",
	[CTL_RES_NOTMASTER]	= "not master",
};

const char *
ctl_err_name(int e)
{
	if (e < 0 || e > CTL_E_MAX)
		return "unknown";
	return err_names[e];
}

const char *
ctl_result_name(int r)
{
	if (r < 0 || r > CTL_RES_MAX)
		return "unknown";
	return result_names[r];
}

void
ctl_init(struct ctl_msg *m, uint8_t type, uint32_t xid, uint8_t result)
{
	m->type = type;
	m->xid = xid;
	m->result = result;
	m->argc = 0;
	m->argv[0] = NULL;
	m->used = 0;
	m->wire = CTL_HDRLEN;
	m->truncated = 0;
}

int
ctl_add(struct ctl_msg *m, const char *s, size_t n)
{
	const char *nul = memchr(s, '\0', n);

	if (nul)
		n = (size_t)(nul - s);
	if (n > CTL_MAXARGLEN)
		n = CTL_MAXARGLEN;
	if (m->argc >= CTL_MAXARGS || m->wire + 2 + n > CTL_MAXMSG ||
	    m->used + n + 1 > sizeof(m->store)) {
		m->truncated = 1;
		return -1;
	}
	m->argv[m->argc] = m->store + m->used;
	memcpy(m->store + m->used, s, n);
	m->store[m->used + n] = '\0';
	m->used += n + 1;
	m->wire += 2 + n;
	m->argv[++m->argc] = NULL;
	return 0;
}

int
ctl_addf(struct ctl_msg *m, const char *fmt, ...)
{
	char buf[CTL_MAXARGLEN + 1];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	return ctl_add(m, buf, strlen(buf));
}

int
ctl_add_lines(struct ctl_msg *m, const char *text)
{
	const char *nl;

	while (*text) {
		nl = strchr(text, '\n');
		if (ctl_add(m, text, nl ? (size_t)(nl - text) :
		    strlen(text)) < 0)
			return -1;
		if (nl == NULL)
			break;
		text = nl + 1;
	}
	return 0;
}

int
ctl_encode(const struct ctl_msg *m, uint8_t *buf, size_t cap)
{
	struct wr w;
	int i;

	wr_init(&w, buf, cap);
	wr_u16(&w, CTL_MAGIC);
	wr_u8(&w, CTL_VERSION);
	wr_u8(&w, m->type);
	wr_u32(&w, m->xid);
	wr_u8(&w, m->result);
	wr_u8(&w, (uint8_t)m->argc);
	wr_u16(&w, 0);
	for (i = 0; i < m->argc; i++) {
		size_t n = strlen(m->argv[i]);

		wr_u16(&w, (uint16_t)n);
		wr_bytes(&w, m->argv[i], n);
	}
	if (w.err || m->argc > CTL_MAXARGS || w.len > CTL_MAXMSG)
		return -1;
	return (int)w.len;
}

enum ctl_err
ctl_decode(struct ctl_msg *m, const uint8_t *buf, size_t len, uint8_t want)
{
	struct rd r, s;
	uint16_t magic, reserved, n;
	uint8_t version, argc;
	int i;

	ctl_init(m, 0, 0, 0);
	if (len > CTL_MAXMSG)
		return CTL_E_LENGTH;
	rd_init(&r, buf, len);
	if (rd_u16(&r, &magic) < 0)
		return CTL_E_SHORT;
	if (magic != CTL_MAGIC)
		return CTL_E_MAGIC;
	if (rd_u8(&r, &version) < 0 || rd_u8(&r, &m->type) < 0 ||
	    rd_u32(&r, &m->xid) < 0 || rd_u8(&r, &m->result) < 0 ||
	    rd_u8(&r, &argc) < 0 || rd_u16(&r, &reserved) < 0)
		return CTL_E_SHORT;
	if (version != CTL_VERSION)
		return CTL_E_VERSION;
	if (m->type != want)
		return CTL_E_TYPE;
	if (argc > CTL_MAXARGS || (want == CTL_REQUEST && argc == 0))
		return CTL_E_ARGC;
	if (reserved != 0 || (want == CTL_REQUEST && m->result != 0) ||
	    m->result > CTL_RES_MAX)
		return CTL_E_FORMAT;
	for (i = 0; i < argc; i++) {
		if (rd_u16(&r, &n) < 0 || n > CTL_MAXARGLEN ||
		    rd_sub(&r, n, &s) < 0)
			return CTL_E_LENGTH;
		if (memchr(s.p, '\0', s.left) != NULL)
			return CTL_E_FORMAT;
		/* The decoded form is never larger than the datagram. */
		if (ctl_add(m, (const char *)s.p, s.left) < 0)
			return CTL_E_LENGTH;
	}
	if (r.left != 0)
		return CTL_E_TRAILING;
	return CTL_E_NONE;
}

/* ---- the 2.x format (control.h) ---- */

enum ctl_err
ctl_decode_v2(struct ctl_msg *m, const uint8_t *buf, size_t len)
{
	struct rd r, s;
	uint16_t magic;
	uint8_t type, argc, n, end;
	int i;

	ctl_init(m, CTL_REQUEST, 0, 0);
	if (len > CTL2_MAXMSG)
		return CTL_E_LENGTH;
	rd_init(&r, buf, len);
	if (rd_u16(&r, &magic) < 0 || rd_u8(&r, &type) < 0 ||
	    rd_u8(&r, &argc) < 0)
		return CTL_E_SHORT;
	if (magic != CTL2_MAGIC)
		return CTL_E_MAGIC;
	if (argc > CTL_MAXARGS - 1)
		return CTL_E_ARGC;
	switch (type) {
	case CTL2_LOAD:
		ctl_add(m, "load_plugin", 11);
		break;
	case CTL2_UNLOAD:
		ctl_add(m, "unload_plugin", 13);
		break;
	case CTL2_HELP:
		ctl_add(m, "help", 4);
		break;
	case CTL2_CONTROL:
		if (argc == 0)
			return CTL_E_ARGC;
		break;
	default:
		return CTL_E_TYPE;
	}
	for (i = 0; i < argc; i++) {
		if (rd_u8(&r, &n) < 0 || rd_sub(&r, n, &s) < 0)
			return CTL_E_LENGTH;
		if (memchr(s.p, '\0', s.left) != NULL)
			return CTL_E_FORMAT;
		if (ctl_add(m, (const char *)s.p, s.left) < 0)
			return CTL_E_LENGTH;
	}
	if (rd_u8(&r, &end) < 0)
		return CTL_E_SHORT;
	if (end != CTL2_END)
		return CTL_E_FORMAT;
	if (r.left != 0)
		return CTL_E_TRAILING;
	return CTL_E_NONE;
}

int
ctl_encode_v2(const struct ctl_msg *m, uint8_t *buf, size_t cap)
{
	size_t o = 4;
	int i, argc = 0;

	if (cap < 5 || cap > 65535)
		return -1;
	if (cap > CTL2_MAXMSG)
		cap = CTL2_MAXMSG;
	buf[0] = (uint8_t)(CTL2_MAGIC >> 8);
	buf[1] = (uint8_t)CTL2_MAGIC;
	buf[2] = m->result == CTL_RES_OK ? CTL2_OK : CTL2_ERR;
	for (i = 0; i < m->argc && argc < 255; i++) {
		size_t n = strlen(m->argv[i]);

		if (n > 255)
			n = 255;
		if (o + 1 + n + 1 > cap)
			break;		/* what fits, and the end byte */
		buf[o++] = (uint8_t)n;
		memcpy(buf + o, m->argv[i], n);
		o += n;
		argc++;
	}
	buf[3] = (uint8_t)argc;
	buf[o++] = CTL2_END;
	return (int)o;
}
