/*
 * peercred.h - the local user behind a TCP or UDP peer (peercred.c).
 */
#ifndef L2TPNS_PEERCRED_H
#define L2TPNS_PEERCRED_H

#include <sys/types.h>
#include <netinet/in.h>

#define PEER_ERROR	-1	/* the kernel could not be asked */
#define PEER_REMOTE	0	/* no socket of this host: another host */
#define PEER_LOCAL	1	/* a local process; *uid is its owner */

/*
 * Who owns the socket at `peer` that talks to our `local` end, for
 * proto IPPROTO_TCP (a connection) or IPPROTO_UDP (a datagram's sender).
 */
int	 peer_uid(int proto, const struct sockaddr_in *local,
	    const struct sockaddr_in *peer, uid_t *uid);

#endif /* L2TPNS_PEERCRED_H */
