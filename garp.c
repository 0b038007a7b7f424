/*
 * garp.c - a gratuitous ARP for bind_address (manual, send_garp).
 *
 * When the server is ready, routers on the LAC-facing segment learn (or
 * relearn, after a failover to this box) that bind_address is here: an
 * ARP Request whose sender and target protocol addresses are both
 * bind_address, broadcast on the interface that holds that address
 * (RFC 5227 3, "ARP Announcement"; RFC 826 for the packet).
 */
#include <errno.h>
#include <ifaddrs.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "l2tpns.h"
#include "config.h"
#include "log.h"

struct arp_pkt {
	uint16_t	htype, ptype;
	uint8_t		hlen, plen;
	uint16_t	op;
	uint8_t		sha[6], spa[4], tha[6], tpa[4];
} __attribute__((packed));

/* The name of the interface holding `addr`, or -1. */
static int
iface_of(in_addr_t addr, char name[IF_NAMESIZE])
{
	struct ifaddrs *ifa, *i;
	int rc = -1;

	if (getifaddrs(&ifa) < 0)
		return -1;
	for (i = ifa; i != NULL; i = i->ifa_next)
		if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET &&
		    ((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr ==
		    addr) {
			snprintf(name, IF_NAMESIZE, "%s", i->ifa_name);
			rc = 0;
			break;
		}
	freeifaddrs(ifa);
	return rc;
}

int
send_garp(in_addr_t addr)
{
	char ifname[IF_NAMESIZE], a[INET_ADDRSTRLEN];
	struct sockaddr_ll to;
	struct arp_pkt p;
	struct ifreq ifr;
	int fd, rc = -1;

	inet_ntop(AF_INET, &addr, a, sizeof(a));
	if (iface_of(addr, ifname) < 0) {
		LOG(LOG_WARN_L, 0, 0, "send_garp: no interface holds %s; no "
		    "gratuitous ARP sent", a);
		return -1;
	}
	if ((fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC,
	    htons(ETH_P_ARP))) < 0) {
		LOG(LOG_WARN_L, 0, 0, "send_garp: packet socket: %s",
		    strerror(errno));
		return -1;
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0 ||
	    ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER) {
		/* Loopback, tunnels...: nothing to announce there. */
		LOG(LOG_INFO_L, 0, 0, "send_garp: %s (%s) is not an Ethernet "
		    "interface; no gratuitous ARP", ifname, a);
		goto out;
	}
	memset(&p, 0, sizeof(p));
	p.htype = htons(ARPHRD_ETHER);
	p.ptype = htons(ETH_P_IP);
	p.hlen = 6;
	p.plen = 4;
	p.op = htons(ARPOP_REQUEST);
	memcpy(p.sha, ifr.ifr_hwaddr.sa_data, 6);
	memcpy(p.spa, &addr, 4);
	memcpy(p.tpa, &addr, 4);	/* target hardware address: zero */
	memset(&to, 0, sizeof(to));
	to.sll_family = AF_PACKET;
	to.sll_protocol = htons(ETH_P_ARP);
	to.sll_ifindex = (int)if_nametoindex(ifname);
	to.sll_halen = 6;
	memset(to.sll_addr, 0xff, 6);
	if (sendto(fd, &p, sizeof(p), 0, (struct sockaddr *)&to,
	    sizeof(to)) < 0) {
		LOG(LOG_WARN_L, 0, 0, "send_garp: sendto on %s: %s", ifname,
		    strerror(errno));
		goto out;
	}
	stats->arp_sent++;
	LOG(LOG_INFO_L, 0, 0, "gratuitous ARP sent for %s on %s", a, ifname);
	rc = 0;
out:
	close(fd);
	return rc;
}
