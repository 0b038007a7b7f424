/*
 * tundev.h - the kernel side of a lacsim subscriber (--tun): a TUN device
 * per PPP session, configured over rtnetlink (RFC 3549) so that the
 * namespace's own TCP/IP stack can use the session.
 *
 * The device gets the session's IPCP address as a /32 (the IPCP peer as
 * its peer address, without the prefix route that would add to the main
 * table), and source routing sends whatever leaves from that address out
 * of it: a routing table holding only "default dev DEVICE" and a rule
 * "from ADDRESS lookup TABLE".  Many sessions can so share a namespace,
 * and a socket bound to a session's address (curl --interface, iperf3 -B)
 * goes through that session.
 *
 * No state of lacsim here: descriptors and numbers in, -1 and errno out.
 */
#ifndef LACSIM_TUNDEV_H
#define LACSIM_TUNDEV_H

#include <stddef.h>
#include <stdint.h>

/* A routing-netlink socket for the calls below, or -1 with errno. */
int	 tundev_nl_open(void);
/*
 * Create TUN device name (IFF_TUN, IFF_NO_PI), non-blocking.  Returns its
 * descriptor (closing it deletes the device) and sets *ifindex, or -1
 * with errno.
 */
int	 tundev_create(const char *name, unsigned *ifindex);
/* MTU set and the device up. */
int	 tundev_link_up(int nl, unsigned ifindex, unsigned mtu);
/* addr/32 (host order), peer the IPCP peer or 0, no prefix route. */
int	 tundev_addr4(int nl, unsigned ifindex, uint32_t addr, uint32_t peer);
/* fe80::IFID/64, without duplicate address detection (RFC 5072 4.1). */
int	 tundev_addr6_ll(int nl, unsigned ifindex, const uint8_t ifid[8]);
/* "default dev ifindex src addr" in table (every table id but 0). */
int	 tundev_route(int nl, unsigned ifindex, uint32_t addr, uint32_t table);
/*
 * Add (add != 0) or delete the rule "from addr/32 lookup table" at
 * priority prio.  Adding a rule that is already there is not an error.
 */
int	 tundev_rule(int nl, int add, uint32_t addr, uint32_t table,
	    uint32_t prio);
/* Best effort: no IPv6 on the device (router solicitations, MLD). */
void	 tundev_no_ipv6(const char *name);

#endif /* LACSIM_TUNDEV_H */
