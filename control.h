/*
 * control.h - the nsctl control protocol: wire format, codec (ctlmsg.c,
 * shared by the daemon and the nsctl tool) and the daemon's server
 * (control.c).
 *
 * One request datagram, one reply datagram, over UDP to nsctl_port
 * (1702).  Version 1 of the format, all integers in network byte order:
 *
 *	 0  magic	u16	CTL_MAGIC ("NC")
 *	 2  version	u8	CTL_VERSION
 *	 3  type	u8	CTL_REQUEST or CTL_REPLY
 *	 4  xid		u32	chosen by the client, echoed in the reply
 *	 8  result	u8	request: 0; reply: CTL_RES_*
 *	 9  argc	u8	strings that follow, at most CTL_MAXARGS
 *	10  reserved	u16	0
 *	12  argc times:	u16 length, then `length` bytes (no NUL inside),
 *			length at most CTL_MAXARGLEN
 *
 * The last string ends the datagram exactly, and a datagram is at most
 * CTL_MAXMSG bytes.  A request carries the command word and its
 * arguments (argc >= 1); a reply carries lines of text for nsctl to
 * print (argc >= 0).  Anything else is malformed and dropped without a
 * reply.
 *
 * A client that gets no reply sends the same request again with the same
 * xid from the same port; the daemon answers a repeat from its cache of
 * recent replies instead of running the command twice.
 */
#ifndef L2TPNS_CONTROL_H
#define L2TPNS_CONTROL_H

#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#define CTL_MAGIC	0x4e43
#define CTL_VERSION	1
#define CTL_HDRLEN	12
#define CTL_MAXMSG	8192
#define CTL_MAXARGS	64
#define CTL_MAXARGLEN	1024

#define CTL_REQUEST	1
#define CTL_REPLY	2

/* Reply results; nsctl's exit status follows them (nsctl.c). */
#define CTL_RES_OK		0	/* done */
#define CTL_RES_ERR		1	/* the command failed */
#define CTL_RES_UNKNOWN		2	/* no built-in or plugin knows it */
#define CTL_RES_NOTMASTER	3	/* must be run on the cluster master */
#define CTL_RES_MAX		3

/* Why a datagram was malformed (ctl_decode); counters ctl_drops[e - 1]. */
enum ctl_err {
	CTL_E_NONE = 0,
	CTL_E_SHORT,		/* shorter than the header */
	CTL_E_MAGIC,		/* not CTL_MAGIC */
	CTL_E_VERSION,		/* a version we do not speak */
	CTL_E_TYPE,		/* neither request nor reply, or not expected */
	CTL_E_ARGC,		/* too many strings, or a request without any */
	CTL_E_LENGTH,		/* a string runs past the end or is too long */
	CTL_E_TRAILING,		/* bytes after the last string */
	CTL_E_FORMAT,		/* reserved bits, NUL in a string, bad result */
	CTL_E_MAX = CTL_E_FORMAT
};

/*
 * A decoded message, or one being built: argv points into store, each
 * string NUL-terminated.  `wire` is the encoded size so far.
 */
struct ctl_msg {
	uint8_t		 type;
	uint8_t		 result;
	uint32_t	 xid;
	int		 argc;
	char		*argv[CTL_MAXARGS + 1];
	size_t		 used;		/* bytes of store in use */
	size_t		 wire;		/* encoded length */
	int		 truncated;	/* ctl_add refused something */
	char		 store[CTL_MAXMSG];
};

/* ctlmsg.c */
/* Start an empty message. */
void	 ctl_init(struct ctl_msg *, uint8_t type, uint32_t xid, uint8_t result);
/*
 * Append a string of n bytes (cut at the first NUL and at CTL_MAXARGLEN).
 * Returns 0, or -1 when the message is full (CTL_MAXARGS strings or
 * CTL_MAXMSG bytes); `truncated` is then set.
 */
int	 ctl_add(struct ctl_msg *, const char *s, size_t n);
int	 ctl_addf(struct ctl_msg *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Append each '\n'-separated line of text (a trailing newline adds none). */
int	 ctl_add_lines(struct ctl_msg *, const char *text);
/* Encode into buf; returns the length, or -1 if cap is too small. */
int	 ctl_encode(const struct ctl_msg *, uint8_t *buf, size_t cap);
/*
 * Decode one datagram.  `want` is the type expected (CTL_REQUEST in the
 * daemon, CTL_REPLY in nsctl).  Returns CTL_E_NONE or the reason.
 */
enum ctl_err ctl_decode(struct ctl_msg *, const uint8_t *buf, size_t len,
	    uint8_t want);
const char *ctl_err_name(int);
const char *ctl_result_name(int);

/*
 * The 2.x format (the original l2tpns's nsctl), answered too so that an
 * operator's existing nsctl binaries and scripts keep working:
 *
 *	 0  magic	u16	CTL2_MAGIC
 *	 2  type	u8	request CTL2_LOAD/UNLOAD/HELP/CONTROL,
 *				reply CTL2_OK/CTL2_ERR
 *	 3  argc	u8
 *	 4  argc times:	u8 length, then `length` bytes
 *	    then	u8	CTL2_END, the last byte of the datagram
 *
 * A request decodes into the same struct ctl_msg as a version 1 request
 * (LOAD NAME as load_plugin NAME, UNLOAD as unload_plugin, HELP as
 * help, CONTROL as its own words); there is no xid, so no reply cache.
 */
#define CTL2_MAGIC	0x9013
#define CTL2_MAXMSG	4096
#define CTL2_LOAD	0x11
#define CTL2_UNLOAD	0x12
#define CTL2_HELP	0x13
#define CTL2_CONTROL	0x14
#define CTL2_OK		0x21
#define CTL2_ERR	0x22
#define CTL2_END	0xff

/* A 2.x request; CTL_E_NONE or the reason. */
enum ctl_err ctl_decode_v2(struct ctl_msg *, const uint8_t *buf, size_t len);
/* A reply in the 2.x format (lines cut at 255 bytes, as many as fit);
 * returns the length, or -1 if cap is too small for the header. */
int	 ctl_encode_v2(const struct ctl_msg *, uint8_t *buf, size_t cap);

/* control.c (the daemon; control_init and control_close in l2tpns.h) */
/*
 * Handle one datagram that arrived from `from` on local address `local`
 * (network order; where the reply is sent from).  Exposed for the fuzz
 * harness.
 */
void	 control_input(const uint8_t *buf, size_t len,
	    const struct sockaddr_in *from, in_addr_t local);
/* 1 if addr (network order) may send requests: nsctl_allow. */
int	 control_allowed(in_addr_t addr);

#endif /* L2TPNS_CONTROL_H */
