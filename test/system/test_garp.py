"""send_garp (garp.c; manual, send_garp): a gratuitous ARP for
bind_address when the server is ready, seen on the wire by a packet
socket on the other end of the segment; none when send_garp is off or
BGP is configured (the manual: ignored with BGP)."""
import socket
import struct

import pytest

BIND = "192.0.2.10"
ETH_P_ARP = 0x0806


def arp_listener(peer_ns, ifname):
    s = peer_ns.run_in(socket.socket, socket.AF_PACKET, socket.SOCK_RAW,
                       socket.htons(ETH_P_ARP))
    s.bind((ifname, ETH_P_ARP))
    s.settimeout(3)
    return s


def garps(s):
    """ARP announcements for BIND received within the timeout."""
    got = []
    while True:
        try:
            frame = s.recv(2048)
        except socket.timeout:
            return got
        dst, src = frame[:6], frame[6:12]
        op, = struct.unpack_from("!H", frame, 14 + 6)
        spa = socket.inet_ntoa(frame[14 + 14:14 + 18])
        tpa = socket.inet_ntoa(frame[14 + 24:14 + 28])
        # An announcement (RFC 5227 2.3) has the sender's address as
        # target too; ARP requests for a BGP neighbour do not count.
        if spa == BIND and tpa == BIND:
            got.append((dst, src, op, spa, tpa))
            return got


@pytest.mark.parametrize("cfg,want", [
    ({}, 1),
    ({"send_garp": False}, 0),
], ids=["on", "off"])
def test_gratuitous_arp_for_bind_address(daemon, netns, cfg, want):
    ns, peer = netns(), netns()
    netns.veth(ns, peer, f"{BIND}/24", "192.0.2.11/24", "lns0", "rtr0")
    s = arp_listener(peer, "rtr0")
    c = {"bind_address": BIND, "debug": 3}
    c.update(cfg)
    d = daemon(c, ns=ns)
    got = garps(s)
    assert len(got) == want, got
    if want:
        dst, src, op, spa, tpa = got[0]
        assert dst == b"\xff" * 6 and op == 1 and tpa == BIND
        mac = ns.run(["cat", "/sys/class/net/lns0/address"]).stdout.strip()
        assert src.hex(":") == mac
        d.wait_for_log(r"gratuitous ARP sent for 192\.0\.2\.10 on lns0")


def test_no_garp_with_bgp(daemon, netns):
    ns, peer = netns(), netns()
    netns.veth(ns, peer, f"{BIND}/24", "192.0.2.11/24", "lns0", "rtr0")
    s = arp_listener(peer, "rtr0")
    daemon({"bind_address": BIND}, ns=ns,
           extra_lines=["router bgp 64512",
                        " neighbour 192.0.2.11 remote-as 64513", "!"])
    assert garps(s) == []
