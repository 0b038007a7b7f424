/*
 * routecheck.h - routes from RADIUS against the host's own (routecheck.c).
 */
#ifndef L2TPNS_ROUTECHECK_H
#define L2TPNS_ROUTECHECK_H

#include <stddef.h>

/*
 * Whether routing net/plen (family AF_INET or AF_INET6, net in network
 * byte order) to the tun device would take traffic from the host's own
 * routes or addresses: 1 with the reason in `why`, 0 when it may be
 * added, -1 with errno when the kernel could not be asked.
 */
int	 route_conflict(int family, const void *net, int plen,
	    int tun_ifindex, char *why, size_t whylen);

#endif /* L2TPNS_ROUTECHECK_H */
