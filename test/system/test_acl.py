"""Access lists applied to subscriber traffic (acl.c), end to end.

A real FreeRADIUS hands the subscriber its Filter-Id ("NAME.in",
"NAME.out"); the lists come from the daemon's startup-config, a reload,
or the CLI's configuration mode.  A scripted subscriber (pppwire.Ppp)
sends real packets up; a raw socket in the daemon's namespace sends
packets down to the session's address.  What got through is read on the
wire: upstream with a packet socket on the tun device, downstream as the
PPP frames the subscriber receives.  Every probe carries its own IP
identification; each batch ends with a probe the list permits, and the
daemon handles one session's packets in order, so once that last probe
is seen every earlier one that was going to pass has passed.  The rule
hit counts of ``show ip access-list`` are checked against the probes.
"""
import json
import re
import socket
import struct

import pytest

from test_cli import Cli
from test_radius import FreeRadius, radius_cfg, link, up, radclient
from pppwire import IP
from test_dataplane import OFFLOADS

HOST = "lns-cli"                # test_cli's prompt
SUB_IP = "198.51.100.40"
ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
FIN, SYN, RST, PSH, ACK, URG = 0x01, 0x02, 0x04, 0x08, 0x10, 0x20


# ---------------------------------------------------------------------------
# packets


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack(f"!{len(b) // 2}H", b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ipv4(src, dst, proto, l4, ident, frag=0, mf=False):
    """An IPv4 datagram; ``frag`` is the offset in 8-octet units."""
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), ident,
                      (0x2000 if mf else 0) | frag, 64, proto, 0,
                      socket.inet_aton(src), socket.inet_aton(dst))
    return hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:] + l4


def udp(src, dst, sport, dport, ident, **kw):
    body = b"acl-probe"
    return ipv4(src, dst, 17, struct.pack("!HHHH", sport, dport,
                                          8 + len(body), 0) + body,
                ident, **kw)


def tcp(src, dst, sport, dport, flags, ident):
    return ipv4(src, dst, 6, struct.pack("!HHIIBBHHH", sport, dport, 1000,
                                         0, 0x50, flags, 8192, 0, 0),
                ident)


def icmp(src, dst, ident):
    body = struct.pack("!BBHHH", 8, 0, 0, ident, 1) + b"ping"
    return ipv4(src, dst, 1, body[:2] + struct.pack("!H", csum(body)) +
                body[4:], ident)


def ident_of(pkt):
    return struct.unpack_from("!H", pkt, 4)[0]


# ---------------------------------------------------------------------------
# a subscriber with filters


def radius_user(filters):
    attrs = [f"\tFramed-IP-Address = {SUB_IP}"]
    attrs += [f'\tFilter-Id += "{f}"' for f in filters]
    return 'sub\tCleartext-Password := "pw"\n' + ",\n".join(attrs) + "\n"


class Sub:
    """The subscriber's session, the daemon, and the probes' plumbing."""

    def __init__(self, d, rad, lac, p):
        self.d, self.rad, self.lac, self.p = d, rad, lac, p
        # Upstream: what the daemon writes to the tun device.
        self.tap = d.ns.socket(socket.AF_PACKET, socket.SOCK_DGRAM,
                               socket.htons(ETH_P_ALL))
        self.tap.bind((d.tun, 0))
        self.tap.settimeout(5)
        # Downstream: datagrams as built, routed to the tun device.
        self.raw = d.ns.socket(socket.AF_INET, socket.SOCK_RAW,
                               socket.IPPROTO_RAW)
        self.cli = None

    def close(self):
        self.tap.close()
        self.raw.close()
        if self.cli:
            self.cli.close()

    def up(self, probes):
        """Send ``probes`` from the subscriber; the last must be permitted.
        Returns the identifications that reached the tun device."""
        for pkt in probes:
            self.p.send(IP, pkt)
        return self._collect(probes, self._tap_next)

    def _tap_next(self):
        while True:
            data, addr = self.tap.recvfrom(65535)
            if addr[2] != PACKET_OUTGOING:
                return data

    @staticmethod
    def _collect(probes, next_packet):
        """Identifications of the probes seen, up to the last one; other
        packets (the kernel's ICMP errors, say) are passed over."""
        want = {ident_of(p): p[12:20] for p in probes}
        last, got = ident_of(probes[-1]), set()
        while last not in got:
            data = next_packet()
            i = ident_of(data) if len(data) >= 20 else None
            if i in want and data[12:20] == want[i]:
                got.add(i)
        return got

    def down(self, probes):
        """Send ``probes`` to the subscriber; the last must be permitted.
        Returns the identifications the subscriber received."""
        for pkt in probes:
            self.raw.sendto(pkt, (socket.inet_ntoa(pkt[16:20]), 0))
        return self._collect(probes,
                             lambda: self.p.expect(IP, timeout=5).payload)

    def login(self):
        if self.cli is None:
            self.cli = Cli(self.d).login()
            self.cli.enable("en")
        return self.cli

    def hits(self, name):
        """The "(N matches)" of each rule of ``show ip access-list NAME``."""
        out = self.login().cmd(f"show ip access-list {name}")
        return [int(n) for n in re.findall(r"^\s+\d+ .* \((\d+) match(?:es)?\)$",
                                           out, re.M)]

    def counters(self):
        return json.loads(self.login().cmd("show counters json"))


@pytest.fixture(params=list(OFFLOADS))
def sub(daemon, netns, tmp_path, request, cleanup):
    """sub(lists, filters) -> Sub: a daemon whose startup-config holds the
    ``lists`` lines, and a subscriber whose Access-Accept carries the
    Filter-Ids ``filters`` (None: no session yet, see ``Sub.connect``).
    With the data-plane offloads and without (test_dataplane.OFFLOADS)."""
    def make(lists, filters):
        ns = netns()
        rad = FreeRadius(ns, tmp_path / "radius",
                         users=radius_user(filters)).start()
        cfg = radius_cfg(hostname=HOST, debug=3)
        cfg.update(OFFLOADS[request.param])
        d = daemon(cfg, ns=ns,
                   extra_lines=lists, users="admin:admin\nenable:en\n")
        lac, p = link(d)
        assert up(p, "sub", "pw")[0] == SUB_IP
        return cleanup(Sub(d, rad, lac, p))
    return make


def connect_later(d):
    """A subscriber brought up after the lists were edited."""
    lac, p = link(d)
    assert up(p, "sub", "pw")[0] == SUB_IP
    return lac, p


# ---------------------------------------------------------------------------
# one test per form of the syntax


def test_standard_source_and_destination(sub):
    s = sub(["ip access-list standard std-in",
             " deny any host 192.0.2.66",
             " permit 198.51.100.0 0.0.0.63 192.0.2.0 0.0.0.255",
             "ip access-list standard std-out",
             " permit host 192.0.2.7",
             " deny 192.0.2.0 0.0.0.255",
             " permit any"],
            ["std-in.in", "std-out.out"])
    got = s.up([udp(SUB_IP, "192.0.2.66", 1000, 2000, 1),
                udp(SUB_IP, "192.0.2.5", 1000, 2000, 2),
                icmp(SUB_IP, "203.0.113.1", 3),          # implicit deny
                tcp(SUB_IP, "192.0.2.6", 1000, 80, SYN, 4)])
    assert got == {2, 4}
    got = s.down([udp("192.0.2.7", SUB_IP, 53, 1000, 11),
                  udp("192.0.2.9", SUB_IP, 53, 1000, 12),
                  udp("203.0.113.5", SUB_IP, 53, 1000, 13)])
    assert got == {11, 13}
    assert s.hits("std-in") == [1, 2]
    assert s.hits("std-out") == [1, 1, 1]
    c = s.counters()
    assert (c["acl_denied_in"], c["acl_denied_out"]) == (2, 1)


def test_extended_ip_addresses(sub):
    s = sub(["ip access-list extended ext-ip",
             " deny ip any host 192.0.2.66",
             " permit ip host 198.51.100.40 192.0.2.0 0.0.0.127",
             " deny ip any any"],
            ["ext-ip.in"])
    got = s.up([icmp(SUB_IP, "192.0.2.66", 1),
                udp(SUB_IP, "192.0.2.10", 5, 6, 2),
                tcp(SUB_IP, "192.0.2.200", 5, 6, ACK, 3),
                icmp(SUB_IP, "192.0.2.11", 4)])
    assert got == {2, 4}
    assert s.hits("ext-ip") == [1, 2, 1]
    # no output list: everything comes down
    assert s.down([tcp("192.0.2.66", SUB_IP, 5, 6, SYN, 20)]) == {20}


def test_extended_udp_ports(sub):
    s = sub(["ip access-list extended ext-udp",
             " permit udp any any eq 53",
             " deny udp any neq 5000 any range 6000 6999",
             " permit udp any range 5000 5001 any gt 6000",
             " permit udp any lt 1024 any"],
            ["ext-udp.in", "ext-udp.out"])
    got = s.up([udp(SUB_IP, "192.0.2.1", 40000, 53, 1),
                udp(SUB_IP, "192.0.2.1", 40000, 6500, 2),
                udp(SUB_IP, "192.0.2.1", 5000, 6500, 3),
                udp(SUB_IP, "192.0.2.1", 5002, 7000, 4),   # implicit deny
                udp(SUB_IP, "192.0.2.1", 1023, 7000, 5),
                tcp(SUB_IP, "192.0.2.1", 100, 53, SYN, 6),  # not udp
                udp(SUB_IP, "192.0.2.1", 40001, 53, 7)])
    assert got == {1, 3, 5, 7}
    # the same list on the way down: ports of the packets sent down
    got = s.down([udp("192.0.2.1", SUB_IP, 4000, 6001, 11),
                  udp("192.0.2.1", SUB_IP, 5000, 6001, 12),
                  udp("192.0.2.1", SUB_IP, 1, 53, 13)])
    assert got == {12, 13}
    assert s.hits("ext-udp") == [3, 2, 2, 1]


def test_extended_tcp_established(sub):
    s = sub(["ip access-list extended est-out",
             " permit tcp any any established",
             " permit udp any any"],
            ["est-out.out"])
    got = s.down([tcp("192.0.2.1", SUB_IP, 80, 4000, SYN, 1),
                  tcp("192.0.2.1", SUB_IP, 80, 4000, SYN | ACK, 2),
                  tcp("192.0.2.1", SUB_IP, 80, 4000, ACK, 3),
                  tcp("192.0.2.1", SUB_IP, 80, 4000, RST, 4),
                  tcp("192.0.2.1", SUB_IP, 80, 4000, FIN | PSH, 5),
                  udp("192.0.2.1", SUB_IP, 53, 4000, 6)])
    assert got == {2, 3, 4, 6}
    assert s.hits("est-out") == [3, 1]
    # the subscriber's own SYN goes up: no input list
    assert s.up([tcp(SUB_IP, "192.0.2.1", 4000, 80, SYN, 7)]) == {7}


def test_extended_tcp_match_any_match_all(sub):
    s = sub(["ip access-list extended flags-in",
             " deny tcp any any match-all +syn -ack",
             " permit tcp any any match-any +ack +rst",
             " permit udp any any"],
            ["flags-in.in"])
    got = s.up([tcp(SUB_IP, "192.0.2.1", 4000, 80, SYN, 1),
                tcp(SUB_IP, "192.0.2.1", 4000, 80, SYN | URG, 2),
                tcp(SUB_IP, "192.0.2.1", 4000, 80, SYN | ACK, 3),
                tcp(SUB_IP, "192.0.2.1", 4000, 80, FIN, 4),
                tcp(SUB_IP, "192.0.2.1", 4000, 80, RST, 5),
                udp(SUB_IP, "192.0.2.1", 4000, 53, 6)])
    assert got == {3, 5, 6}
    assert s.hits("flags-in") == [2, 2, 1]


def test_fragments(sub):
    """``fragments`` matches non-initial fragments; on those a deny rule
    with ports is passed over and a permit rule with ports matches on its
    addresses (IOS semantics, acl.c rule_matches)."""
    s = sub(["ip access-list extended frag-in",
             " deny ip any host 192.0.2.99 fragments",
             " permit ip any host 192.0.2.99",
             " deny udp any any eq 53",
             " permit udp any any eq 123"],
            ["frag-in.in"])
    got = s.up([udp(SUB_IP, "192.0.2.99", 9, 53, 1, mf=True),
                udp(SUB_IP, "192.0.2.99", 9, 53, 2, frag=2),
                udp(SUB_IP, "192.0.2.5", 9, 53, 3, mf=True),
                udp(SUB_IP, "192.0.2.5", 9, 53, 4, frag=2),
                udp(SUB_IP, "192.0.2.5", 9, 9, 5, mf=True),
                udp(SUB_IP, "192.0.2.5", 9, 123, 6)])
    assert got == {1, 4, 6}
    assert s.hits("frag-in") == [1, 1, 1, 2]


# ---------------------------------------------------------------------------
# lists that change under a live session


def test_reload_rebinds_and_keeps_counters(sub):
    s = sub(["ip access-list extended rl",
             " permit udp any any eq 1",
             " deny udp any any eq 2"],
            ["rl.in"])
    assert s.up([udp(SUB_IP, "192.0.2.1", 9, 2, 1),
                 udp(SUB_IP, "192.0.2.1", 9, 1, 2)]) == {2}
    assert s.hits("rl") == [1, 1]
    s.d.reload(extra_lines=["ip access-list extended rl",
                            " permit udp any any eq 2",
                            " permit udp any any eq 1"])
    assert s.up([udp(SUB_IP, "192.0.2.1", 9, 2, 3),
                 udp(SUB_IP, "192.0.2.1", 9, 3, 4),
                 udp(SUB_IP, "192.0.2.1", 9, 1, 5)]) == {3, 5}
    # the unchanged rule kept its count, the new one started at 0
    assert s.hits("rl") == [1, 2]
    # the list gone: fail closed (issue 20), and the log says so
    mark = s.d.log_mark()
    s.d.reload(extra_lines=[])
    s.p.send(IP, udp(SUB_IP, "192.0.2.1", 9, 7, 6))
    s.tap.settimeout(1.5)
    with pytest.raises(socket.timeout):
        while True:
            data = s._tap_next()
            assert not (len(data) >= 20 and ident_of(data) == 6), \
                "a packet passed a session whose list was removed"
    s.tap.settimeout(None)
    s.d.wait_for_log(r"access list rl \(Filter-Id rl\.in\) does not exist "
                     r"any more: every packet in this direction is denied",
                     since=mark)
    # and back: the session is filtered by it again
    s.d.reload(extra_lines=["ip access-list extended rl",
                            " permit udp any any eq 8"])
    assert s.up([udp(SUB_IP, "192.0.2.1", 9, 9, 8),
                 udp(SUB_IP, "192.0.2.1", 9, 8, 7)]) == {7}


def test_coa_changes_the_filter(sub):
    s = sub(["ip access-list extended coa-a",
             " permit udp any any eq 1",
             "ip access-list extended coa-b",
             " permit udp any any eq 2"],
            ["coa-a.in"])
    assert s.up([udp(SUB_IP, "192.0.2.1", 9, 2, 1),
                 udp(SUB_IP, "192.0.2.1", 9, 1, 2)]) == {2}
    out = radclient(s.d, "coa", 'User-Name = "sub", Filter-Id = "coa-b.in"')
    assert "Received CoA-ACK" in out, out
    assert s.up([udp(SUB_IP, "192.0.2.1", 9, 1, 3),
                 udp(SUB_IP, "192.0.2.1", 9, 2, 4)]) == {4}
    assert s.hits("coa-a") == [1]
    assert s.hits("coa-b") == [1]


def test_cli_configuration_mode(daemon, netns, tmp_path):
    ns = netns()
    FreeRadius(ns, tmp_path / "radius", users=radius_user(["web.in"])).start()
    d = daemon(radius_cfg(hostname=HOST, debug=3), ns=ns,
               users="admin:admin\nenable:en\n")
    c = Cli(d).login().enable("en")
    try:
        c.cmd("configure terminal")
        c.cmd("ip access-list extended web")
        assert c.p.after.startswith("lns-cli(config-ext-nacl)#")
        assert c.cmd("permit udp any any eq 53") == ""
        assert c.cmd("deny tcp any any eq 23") == ""
        assert "bad port" in c.cmd("permit udp any any eq 99999")
        c.cmd("exit")
        assert c.p.after.startswith("lns-cli(config)#")
        assert "already exists as extended" in \
            c.cmd("ip access-list standard web")
        c.cmd("ip access-list standard office")
        assert c.p.after.startswith("lns-cli(config-std-nacl)#")
        c.cmd("permit 192.0.2.0 0.0.0.255")
        c.cmd("end")
        assert c.p.after.startswith("lns-cli#")
        shown = c.cmd("show ip access-list")
        assert "10 permit udp any any eq 53 (0 matches)" in shown
        assert "20 deny tcp any any eq 23 (0 matches)" in shown
        assert "Standard IP access list office" in shown
        running = c.cmd("show running-config")
        assert "ip access-list extended web\n permit udp any any eq 53\n" \
            " deny tcp any any eq 23\n" in running

        # RADIUS finds the list made from the CLI
        lac, p = connect_later(d)
        s = Sub(d, None, lac, p)
        s.cli = c
        assert s.up([tcp(SUB_IP, "192.0.2.1", 4000, 23, SYN, 1),
                     tcp(SUB_IP, "192.0.2.1", 4000, 22, SYN, 2),
                     udp(SUB_IP, "192.0.2.1", 4000, 53, 3)]) == {3}
        # a rule added now applies to the running session at once
        c.cmd("configure terminal")
        c.cmd("ip access-list extended web")
        c.cmd("permit tcp any any eq 22")
        c.cmd("end")
        assert s.up([tcp(SUB_IP, "192.0.2.1", 4000, 23, SYN, 4),
                     tcp(SUB_IP, "192.0.2.1", 4000, 22, SYN, 5)]) == {5}
        assert s.hits("web") == [1, 2, 1]
        # not deleted while the session uses it; the other one is
        c.cmd("configure terminal")
        assert "% Access list web is in use by session" in \
            c.cmd("no ip access-list extended web")
        assert c.cmd("no ip access-list standard office") == ""
        c.cmd("end")
        assert "% No access list office" in \
            c.cmd("show ip access-list office")
        d.wait_for_log(r'config: "ip access-list extended web: permit tcp '
                       r'any any eq 22" from the CLI by admin@')
        s.tap.close()
        s.raw.close()
    finally:
        c.close()
