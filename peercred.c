/*
 * peercred.c - which local user is at the other end of a TCP connection
 * or sent a UDP datagram (the password-less CLI, nsctl).
 *
 * SO_PEERCRED exists only for Unix sockets; for the CLI's TCP and
 * nsctl's UDP the kernel's socket table knows the owner of the peer's
 * socket when the peer is a process of this host (and this network
 * namespace).  One NETLINK_SOCK_DIAG request (linux/inet_diag.h) for
 * the socket with the peer's address and port as its local end returns
 * its inet_diag_msg, whose idiag_uid is the owner.  A peer on another
 * host has no socket here: the answer is "not local".
 *
 * Reports errors to the caller (STYLE 12): no logging here.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/inet_diag.h>

#include "peercred.h"

/*
 * One lookup.  inet_diag's id is read from the found socket's point of
 * view for TCP (src = its local end); the UDP lookup takes src as the
 * sender of a datagram to dst.  The answer is checked against `self`.
 */
static int
lookup(int proto, const struct sockaddr_in *src, const struct sockaddr_in *dst,
    const struct sockaddr_in *self, uid_t *uid)
{
	struct {
		struct nlmsghdr		nlh;
		struct inet_diag_req_v2	req;
	} rq;
	union {
		struct nlmsghdr	nlh;
		uint8_t		buf[8192];
	} rep;
	struct sockaddr_nl nl = { .nl_family = AF_NETLINK };
	struct timeval tv = { .tv_sec = 1, .tv_usec = 0 };
	struct nlmsghdr *h;
	ssize_t n;
	int fd, rc = PEER_REMOTE;

	fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd < 0)
		return PEER_ERROR;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	memset(&rq, 0, sizeof(rq));
	rq.nlh.nlmsg_len = sizeof(rq);
	rq.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	rq.nlh.nlmsg_flags = NLM_F_REQUEST;
	rq.req.sdiag_family = AF_INET;
	rq.req.sdiag_protocol = (uint8_t)proto;
	rq.req.idiag_states = ~0u;
	rq.req.id.idiag_sport = src->sin_port;
	rq.req.id.idiag_dport = dst->sin_port;
	rq.req.id.idiag_src[0] = src->sin_addr.s_addr;
	rq.req.id.idiag_dst[0] = dst->sin_addr.s_addr;
	rq.req.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
	rq.req.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
	if (sendto(fd, &rq, sizeof(rq), 0, (struct sockaddr *)&nl,
	    sizeof(nl)) < 0) {
		close(fd);
		return PEER_ERROR;
	}
	if ((n = recv(fd, &rep, sizeof(rep), 0)) < 0) {
		close(fd);
		return PEER_ERROR;
	}
	for (h = &rep.nlh; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
		const struct inet_diag_msg *m;

		if (h->nlmsg_type == NLMSG_ERROR || h->nlmsg_type == NLMSG_DONE)
			break;
		if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
		    h->nlmsg_len < NLMSG_LENGTH(sizeof(*m)))
			continue;
		m = NLMSG_DATA(h);
		/* The peer's own socket: its local port is the peer's. */
		if (m->id.idiag_sport != self->sin_port ||
		    (m->id.idiag_src[0] != self->sin_addr.s_addr &&
		    m->id.idiag_src[0] != INADDR_ANY))
			continue;
		*uid = m->idiag_uid;
		rc = PEER_LOCAL;
		break;
	}
	close(fd);
	return rc;
}

int
peer_uid(int proto, const struct sockaddr_in *local,
    const struct sockaddr_in *peer, uid_t *uid)
{
	int rc;

	if (proto == IPPROTO_TCP)
		return lookup(proto, peer, local, peer, uid);
	/* UDP: the socket that would receive a datagram from us. */
	rc = lookup(proto, local, peer, peer, uid);
	return rc;
}
