"""IPv6 for subscribers (manual, "IPv6"): Router Advertisements sent in
the session when IPV6CP opens and in answer to Router Solicitations
(RFC 4861 4.2, 6.2.4, 6.2.6, RFC 8106), and the sessions' own prefixes
from RADIUS (Framed-IPv6-Prefix, Delegated-IPv6-Prefix) routed to them
by the kernel and the downstream index, with their sources let through
upstream.

A scripted subscriber (pppwire.Ppp over l2tpwire.Lac) plays each case on
the wire; every RA is decoded here, its checksum computed independently.
The prefix cases authenticate against a real FreeRADIUS (test_radius).
"""
import ipaddress
import json
import socket
import struct
import time

import pytest

from conftest import local_auth, wait_until
from l2tpwire import avp, A_MSGTYPE, A_RESULT, A_SESSION_ID, CDN
from pppwire import (opt, LCP, IPV6CP, CONFREQ, CONFACK, TERMREQ, TERMACK,
                     ppp_call)
from test_cli import Cli, HOST         # its prompt is the hostname
from test_dataplane import Lacsim, make_net
from test_radius import FreeRadius, radius_cfg, up as radius_up

IPV6 = 0x0057
SUBSCRIBERS = "alice secret\ncarol pw3 198.51.100.40\n"
CAROL = "198.51.100.40"
CAROL_IFID = "c633:6428:0:0"            # 198.51.100.40 and four zeros
PREFIX = "2001:db8:1:7::/64"
DNS6 = ("2001:db8:53::1", "2001:db8:53::2")
ICMP6_RS, ICMP6_RA = 133, 134
# RFC 4861 6.2.1 defaults and 10 constants, as the manual states them
ROUTER_LIFETIME, VALID, PREFERRED, RDNSS_LIFETIME = 1800, 2592000, 604800, 1200
MIN_DELAY_BETWEEN_RAS = 3.0


def a6(s):
    return socket.inet_pton(socket.AF_INET6, s)


def csum(b):
    """The Internet checksum (RFC 1071) of ``b``."""
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def icmp6_csum(src, dst, msg):
    """RFC 4443 2.3: over the pseudo-header (RFC 8200 8.1) and ``msg``,
    whose checksum field must be zero."""
    return csum(src + dst + struct.pack("!IxxxB", len(msg), 58) + msg)


def ipv6(src, dst, nh, payload, hlim=64):
    return struct.pack("!IHBB", 6 << 28, len(payload), nh, hlim) + \
        a6(src) + a6(dst) + payload


def udp6(src, dst, sport, dport, payload):
    ln = 8 + len(payload)
    udp = struct.pack("!HHHH", sport, dport, ln, 0) + payload
    c = csum(a6(src) + a6(dst) + struct.pack("!IxxxB", ln, 17) + udp)
    udp = udp[:6] + struct.pack("!H", c or 0xFFFF) + udp[8:]
    return ipv6(src, dst, 17, udp)


def rs(src="fe80::" + CAROL_IFID, dst="ff02::2", hlim=255, code=0,
       options=b"", good_sum=True):
    """A Router Solicitation (RFC 4861 4.1)."""
    body = struct.pack("!BBHI", ICMP6_RS, code, 0, 0) + options
    c = icmp6_csum(a6(src), a6(dst), body)
    if not good_sum:
        c ^= 0x5555
    body = body[:2] + struct.pack("!H", c) + body[4:]
    return ipv6(src, dst, 58, body, hlim)


class Ra:
    """A decoded Router Advertisement."""

    def __init__(self, pkt):
        ver = pkt[0] >> 4
        plen, self.nh, self.hlim = struct.unpack_from("!HBB", pkt, 4)
        assert ver == 6 and len(pkt) == 40 + plen, pkt.hex()
        self.src, self.dst = pkt[8:24], pkt[24:40]
        self.icmp = pkt[40:]
        (self.type, self.code, self.csum, self.cur_hop_limit, self.flags,
         self.router_lifetime, self.reachable, self.retrans) = \
            struct.unpack_from("!BBHBBHII", self.icmp)
        self.options = []
        rest = self.icmp[16:]
        while rest:
            t, ln = rest[0], rest[1]
            assert ln > 0 and ln * 8 <= len(rest), rest.hex()
            self.options.append((t, rest[2:ln * 8]))
            rest = rest[ln * 8:]

    def checksum_ok(self):
        zeroed = self.icmp[:2] + b"\0\0" + self.icmp[4:]
        return icmp6_csum(self.src, self.dst, zeroed) == self.csum

    def option(self, t):
        got = [v for k, v in self.options if k == t]
        assert len(got) == 1, self.options
        return got[0]

    def prefix(self):
        """(prefix/len, L+A flags, valid, preferred) of the one PIO."""
        v = self.option(3)
        plen, flags, valid, pref, res = struct.unpack_from("!BBIII", v)
        assert res == 0 and len(v) == 30
        net = socket.inet_ntop(socket.AF_INET6, v[14:30])
        return f"{net}/{plen}", flags, valid, pref


def is_ra(f):
    return (f.proto == IPV6 and len(f.payload) > 40 and f.payload[6] == 58
            and f.payload[40] == ICMP6_RA)


def next_ra(p, timeout=3.0, others=None):
    """The next RA in the session; other frames go to ``others``."""
    end = time.monotonic() + timeout
    while True:
        f = p.recv(max(0.01, end - time.monotonic()))
        if is_ra(f):
            return Ra(f.payload)
        if others is not None:
            others.append(f)


def next_data6(p, timeout=3.0):
    """The next IPv6 frame that is not an RA."""
    end = time.monotonic() + timeout
    while True:
        f = p.recv(max(0.01, end - time.monotonic()))
        if f.proto == IPV6 and not is_ra(f):
            return f.payload


def ipv6cp_up(p, ip):
    """Open IPV6CP with the identifier the manual's rule gives."""
    p.send_cp(IPV6CP, CONFREQ, 1, opt(1, socket.inet_aton(ip) + b"\0" * 4))
    acked = theirs = False
    while not (acked and theirs):
        f = p.expect(IPV6CP)
        if f.code == CONFREQ:
            p.send_cp(IPV6CP, CONFACK, f.id, f.data)
            theirs = True
        elif f.code == CONFACK:
            acked = True


def link(d, our_sid=77):
    return ppp_call(d.ns, "127.0.0.1", "lac-v6", our_sid)


def six_routes(d):
    return {r["dst"]: r.get("dev") for r in d.ns.ip_json("-6", "route",
                                                          "show")}


@pytest.fixture
def clis(cleanup):
    return lambda d: cleanup(Cli(d).login())


def counters(c):
    return json.loads(c.cmd("show counters json"))


@pytest.fixture
def lns(daemon, tmp_path):
    def make(config=None):
        path = local_auth(tmp_path, SUBSCRIBERS)
        cfg = {"debug": 4, "hostname": HOST,
               "local_auth_file": str(path), "peer_address": "192.0.2.1",
               "ipv6_prefix": PREFIX, "ppp_restart_time": 1}
        cfg.update(config or {})
        return daemon(cfg)
    return make


def carol_up(d):
    """carol's session with IPV6CP open; (lac, ppp, the LNS's LCP
    request as acked, the first RA and when it came)."""
    lac, p = link(d)
    theirs = p.lcp_up()
    code, msg = p.pap("carol", "pw3")
    assert code == 2, msg
    assert p.ipcp_up()[0] == CAROL
    ipv6cp_up(p, CAROL)
    ra = next_ra(p)
    return lac, p, theirs, ra, time.monotonic()


# ---------------------------------------------------------------------------
# Router Advertisements


def test_ra_when_ipv6cp_opens(lns, clis):
    d = lns({"primary_ipv6_dns": DNS6[0], "secondary_ipv6_dns": DNS6[1]})
    lac, p, lcp, ra, _ = carol_up(d)
    # from our link-local address (identifier ::1) to all nodes, hop
    # limit 255 (RFC 4861 6.1.2), a checksum computed here again
    assert ra.src == a6("fe80::1") and ra.dst == a6("ff02::1")
    assert ra.nh == 58 and ra.hlim == 255
    assert ra.checksum_ok(), ra.icmp.hex()
    assert (ra.type, ra.code) == (ICMP6_RA, 0)
    assert (ra.cur_hop_limit, ra.flags, ra.router_lifetime, ra.reachable,
            ra.retrans) == (64, 0, ROUTER_LIFETIME, 0, 0)
    assert [t for t, _ in ra.options] == [3, 5, 25]
    # the shared /64, on-link and autonomous, for SLAAC
    assert ra.prefix() == ("2001:db8:1:7::/64", 0xC0, VALID, PREFERRED)
    # the link MTU: the smaller of the two MRUs (ours went unsaid: 1500)
    mru = struct.unpack("!H", dict(lcp.opts())[1])[0]
    assert ra.option(5) == struct.pack("!HI", 0, min(mru, 1500))
    # RDNSS (RFC 8106 5.1): both servers
    assert ra.option(25) == struct.pack("!HI", 0, RDNSS_LIFETIME) + \
        a6(DNS6[0]) + a6(DNS6[1])
    ctr = counters(clis(d))
    assert ctr["ipv6_ra_sent"] == 1 and ctr["ipv6_rs_received"] == 0


def test_rs_answered_and_malformed_ones_ignored(lns, clis):
    d = lns()
    lac, p, _, ra0, t0 = carol_up(d)
    # no IPv6 DNS configured: no RDNSS option
    assert [t for t, _ in ra0.options] == [3, 5]
    sllao = b"\x01\x01" + b"\x02" + b"\0" * 5  # length in 8-octet units
    for bad in (rs(good_sum=False), rs(hlim=64), rs(code=1),
                rs(src="::", options=sllao),     # 6.1.1: not from ::
                rs(options=b"\x01\x00" + b"\0" * 6),    # length 0
                rs(options=b"\x01\x02" + b"\0" * 6),    # past the end
                rs()[:44]):                      # shorter than an RS
        p.send(IPV6, bad)
    p.send(IPV6, rs(options=sllao))
    ra1 = next_ra(p, timeout=MIN_DELAY_BETWEEN_RAS + 2)
    t1 = time.monotonic()
    # answered (the next unsolicited RA is 16 s away), but not sooner
    # than MIN_DELAY_BETWEEN_RAS after the first one (6.2.6)
    assert MIN_DELAY_BETWEEN_RAS - 0.2 <= t1 - t0 <= MIN_DELAY_BETWEEN_RAS + 1
    assert ra1.checksum_ok() and ra1.options == ra0.options
    c = clis(d)
    assert counters(c)["ipv6_rs_received"] == 1
    # a solicitation from the unspecified address, without options
    p.send(IPV6, rs(src="::"))
    next_ra(p, timeout=MIN_DELAY_BETWEEN_RAS + 2)
    ctr = counters(c)
    assert ctr["ipv6_rs_received"] == 2 and ctr["ipv6_ra_sent"] == 3


def test_rs_flood_rate_limited(lns, clis):
    d = lns()
    lac, p, _, _, t0 = carol_up(d)
    sent, ras = 0, []
    while time.monotonic() < t0 + 7.5:
        p.send(IPV6, rs())
        sent += 1
        try:
            f = p.recv(timeout=0.05)
        except TimeoutError:
            continue
        if is_ra(f):
            ras.append(time.monotonic())
    # each solicitation counted, one RA every 3 s at most, and still
    # answered: at about t0 + 3 and t0 + 6
    c = clis(d)
    wait_until(lambda: counters(c)["ipv6_rs_received"] == sent,
               what=f"{sent} solicitations counted")
    assert sent > 100
    assert 2 <= len(ras) <= 3, ras
    gaps = [b - a for a, b in zip([t0] + ras, ras)]
    assert all(g >= MIN_DELAY_BETWEEN_RAS - 0.2 for g in gaps), gaps
    assert counters(c)["ipv6_ra_sent"] <= 1 + len(ras) + 1


def test_link_local_traffic_other_than_rs_stays_on_the_link(lns, clis):
    d = lns()
    lac, p, _, _, _ = carol_up(d)
    d.ns.ip("-6", "addr", "add", "2001:db8:ff::1/128", "dev", "lo")
    rx = d.ns.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    rx.bind(("::", 7777))
    rx.settimeout(0.3)
    c = clis(d)
    base = counters(c)
    p.send(IPV6, udp6("fe80::" + CAROL_IFID, "2001:db8:ff::1", 1, 7777,
                      b"ll"))
    # a neighbour solicitation for duplicate address detection, from ::
    ns = struct.pack("!BBHI", 135, 0, 0, 0) + a6("2001:db8:1:7::1")
    p.send(IPV6, ipv6("::", "ff02::1:ff00:1", 58, ns, 255))
    wait_until(lambda: counters(c)["ppp_discarded"] == base["ppp_discarded"]
               + 2, what="two frames discarded")
    with pytest.raises(socket.timeout):
        rx.recvfrom(100)
    after = counters(c)
    assert after["ip_spoofed"] == base["ip_spoofed"]
    assert after["ipv6_rs_received"] == 0


# ---------------------------------------------------------------------------
# prefixes from RADIUS

RADIUS_USERS = """\
dave	Cleartext-Password := "pw4"
	Delegated-IPv6-Prefix = 2001:db8:aa00::/56

erin	Cleartext-Password := "pw5"
	Delegated-IPv6-Prefix = 2001:db8:aa00::/56

fay	Cleartext-Password := "pw6"
	Framed-IPv6-Prefix = 2001:db8:bb:1::/64

gus	Cleartext-Password := "pw7"
	Delegated-IPv6-Prefix = 2001:db8:1::/48
"""
FAR = "2001:db8:ff::1"


@pytest.fixture
def rlns(daemon, netns, tmp_path):
    """An LNS authenticating against FreeRADIUS, with a listener at FAR
    (port 7777) on its side."""
    ns = netns()
    FreeRadius(ns, tmp_path / "radius", users=RADIUS_USERS).start()
    d = daemon(radius_cfg(hostname=HOST, ipv6_prefix=PREFIX,
                          radius_accounting=False), ns=ns)
    d.ns.ip("-6", "addr", "add", f"{FAR}/128", "dev", "lo")
    rx = d.ns.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    rx.bind((FAR, 7777))
    rx.settimeout(2)
    return d, rx


def radius_session(d, user, password, our_sid=77):
    lac, p = link(d, our_sid)
    ip = radius_up(p, user, password)[0]
    ipv6cp_up(p, ip)
    return lac, p, ip, next_ra(p)


def test_delegated_prefix_routed_both_ways_and_removed(rlns, clis):
    d, rx = rlns
    lac, p, ip, ra = radius_session(d, "dave", "pw4")
    # a /56 is not for SLAAC: the RA still carries the shared /64
    assert ra.prefix()[0] == "2001:db8:1:7::/64"
    wait_until(lambda: six_routes(d).get("2001:db8:aa00::/56") == d.tun,
               what="a kernel route for the delegated prefix")
    d.wait_for_log(r"IPv6 prefix 2001:db8:aa00::/56 routed to the session")
    inside = "2001:db8:aa00:12::5"
    tx = prefix_both_ways(d.ns, p, rx, inside)
    # from just outside it: dropped and counted
    c = clis(d)
    base = counters(c)["ip_spoofed"]
    p.send(IPV6, udp6("2001:db8:aa01::5", FAR, 5000, 7777, b"outside"))
    wait_until(lambda: counters(c)["ip_spoofed"] == base + 1,
               what="the spoofed packet counted")
    rx.settimeout(0.3)
    with pytest.raises(socket.timeout):
        rx.recvfrom(100)
    # the session ends: the route goes
    p.send_cp(LCP, TERMREQ, 9)
    p.expect(LCP, TERMACK)
    p.cdn(timeout=4)
    wait_until(lambda: "2001:db8:aa00::/56" not in six_routes(d),
               what="the delegated prefix's route removed")
    base = counters(c)["tun_rx_no_session"]
    d.ns.ip("-6", "route", "add", "2001:db8:aa00::/56", "dev", d.tun)
    tx.sendto(b"after", (inside, 6000))
    wait_until(lambda: counters(c)["tun_rx_no_session"] > base,
               what="no session for the prefix any more")


def prefix_both_ways(ns, p, rx, inside):
    """A datagram from ns to an address inside the session's delegated
    prefix reaches the session (downstream: the kernel route, then the
    index), and one from that address passes upstream to rx (bound to
    FAR:7777).  The socket that sent, for more."""
    tx = ns.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    tx.sendto(b"pd-down", (inside, 6000))
    pkt = next_data6(p)
    assert pkt[24:40] == a6(inside) and pkt[-7:] == b"pd-down"
    p.send(IPV6, udp6(inside, FAR, 5000, 7777, b"pd-up"))
    data, src = rx.recvfrom(100)
    assert data == b"pd-up" and src[0] == inside
    return tx


def test_framed_64_advertised_and_ipv6cp_down_unroutes(rlns, clis):
    d, rx = rlns
    lac, p, ip, ra = radius_session(d, "fay", "pw6")
    # a /64 of the session's own is advertised instead of the shared one
    assert ra.prefix() == ("2001:db8:bb:1::/64", 0xC0, VALID, PREFERRED)
    assert ra.checksum_ok()
    wait_until(lambda: six_routes(d).get("2001:db8:bb:1::/64") == d.tun,
               what="a kernel route for the framed prefix")
    # the address SLAAC gives the subscriber works both ways
    ifid = socket.inet_aton(ip).hex()
    slaac = f"2001:db8:bb:1:{ifid[:4]}:{ifid[4:]}::"
    p.send(IPV6, udp6(slaac, FAR, 5001, 7777, b"slaac-up"))
    data, src = rx.recvfrom(100)
    assert data == b"slaac-up" and src[0] == slaac
    rx.sendto(b"slaac-down", src)
    pkt = next_data6(p)
    assert pkt[24:40] == a6(slaac) and pkt[-10:] == b"slaac-down"
    # IPV6CP closed by the subscriber: the route goes, IPv4 stays
    p.send_cp(IPV6CP, TERMREQ, 5)
    p.expect(IPV6CP, TERMACK)
    wait_until(lambda: "2001:db8:bb:1::/64" not in six_routes(d),
               what="the framed prefix's route removed")
    c = clis(d)
    base = counters(c)["ppp_discarded"]
    p.send(IPV6, udp6(slaac, FAR, 5001, 7777, b"closed"))
    wait_until(lambda: counters(c)["ppp_discarded"] == base + 1,
               what="IPv6 after IPV6CP closed discarded")
    assert "fay" in c.cmd("show session")


def test_prefix_of_another_session_refused(rlns, clis):
    d, rx = rlns
    lac1, p1, ip1, _ = radius_session(d, "dave", "pw4", our_sid=21)
    d.wait_for_log(r"IPv6 prefix 2001:db8:aa00::/56 routed to the session")
    lac2, p2, ip2, _ = radius_session(d, "erin", "pw5", our_sid=22)
    d.wait_for_log(r"IPv6 prefix 2001:db8:aa00::/56 not routed: another "
                   r"session has it")
    # downstream still reaches the owner
    tx = d.ns.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    tx.sendto(b"to-dave", ("2001:db8:aa00::77", 6000))
    assert next_data6(p1)[-7:] == b"to-dave"
    # and erin may not use it
    c = clis(d)
    base = counters(c)["ip_spoofed"]
    p2.send(IPV6, udp6("2001:db8:aa00::78", FAR, 5000, 7777, b"erin"))
    wait_until(lambda: counters(c)["ip_spoofed"] == base + 1,
               what="erin's packet counted as spoofed")
    # a prefix covering the shared /64 is never routed to one session
    lac3, p3, ip3, ra3 = radius_session(d, "gus", "pw7", our_sid=23)
    d.wait_for_log(r"IPv6 prefix 2001:db8:1::/48 not routed: it covers "
                   r"ipv6_prefix")
    assert "2001:db8:1::/48" not in six_routes(d)
    # dave's call cleared by the LAC (no LCP goodbye): the prefix goes
    # with the session and is free for the next that asks
    lac1.send(avp(A_MSGTYPE, CDN) + avp(A_RESULT, struct.pack("!HH", 1, 0))
              + avp(A_SESSION_ID, 21), sid=p1.sid)
    d.wait_for_log(r"session dave closed: CDN from LAC")
    wait_until(lambda: "2001:db8:aa00::/56" not in six_routes(d),
               what="dave's route removed")
    lac4, p4, ip4, _ = radius_session(d, "dave", "pw4", our_sid=24)
    wait_until(lambda: six_routes(d).get("2001:db8:aa00::/56") == d.tun,
               what="the prefix routed again")


# ---------------------------------------------------------------------------
# a kernel as the subscriber: lacsim --tun (test_dataplane's network)


def test_kernel_subscriber_autoconfigures_from_our_ra(daemon, netns, tmp_path,
                                                     lacsim_bin, clis):
    """The LAC namespace's kernel solicits, takes our RA as valid and
    autoconfigures an address in the shared /64 with our lifetimes, and
    a default route through fe80::1.  (Its tun device is not an ND
    device: the kernel may pick a random or stable-privacy identifier,
    which the manual's rule does not route; see the manual.)"""
    d, lac_ns, _ = make_net(daemon, netns, tmp_path,
                            {"ipv6_prefix": "2001:db8:100::/48"})
    lac = Lacsim(lac_ns, "--tun", "v6", "--ipv6", "--hold", 60,
                 "--timeout", 30)
    try:
        lac.wait("ppp_ipv6_up", 1, 20)

        def slaac():
            a = lac_ns.addr("v6") or {}
            return [i for i in a.get("addr_info", [])
                    if i["family"] == "inet6" and i["scope"] == "global"]
        # An RS sent before IPV6CP opened is lost, and so is an RA that
        # reaches lacsim before its device is ready; the kernel then waits
        # for our unsolicited RAs, 16 s apart at first (RFC 4861 6.2.4):
        # 40 s covers two of them.
        got = wait_until(slaac, 40, "an address autoconfigured on v6")
        assert len(got) == 1, got
        net = ipaddress.ip_network(f"{got[0]['local']}/64", strict=False)
        assert (str(net), got[0]["prefixlen"]) == ("2001:db8:100::/64", 64)
        assert VALID - 60 <= got[0]["valid_life_time"] <= VALID
        assert PREFERRED - 60 <= got[0]["preferred_life_time"] <= PREFERRED
        default = [r for r in lac_ns.ip_json("-6", "route", "show")
                   if r["dst"] == "default"]
        assert [(r["gateway"], r["dev"], r["protocol"]) for r in default] \
            == [("fe80::1", "v6", "ra")], default
        # Our RAs reached it.  (Its solicitations may all have gone before
        # IPV6CP opened, and then none is counted: whether a solicitation
        # arrives depends on the kernel's timing.  RS answers are checked
        # on the wire by test_rs_answered_and_malformed_ones_ignored.)
        ctr = counters(clis(d))
        assert ctr["ipv6_ra_sent"] >= 1, ctr
    finally:
        lac.stop()


# ---------------------------------------------------------------------------
# The LNS itself over IPv6 (issue 20: a subscriber could not ping its
# gateway)


def echo6(src, dst, ident, seq, data):
    body = struct.pack("!BBHHH", 128, 0, 0, ident, seq) + data
    c = icmp6_csum(a6(src), a6(dst), body)
    return ipv6(src, dst, 58, body[:2] + struct.pack("!H", c) + body[4:])


def check_reply(pkt, src, dst, ident, seq, data):
    plen, nh = struct.unpack_from("!HB", pkt, 4)
    assert nh == 58 and len(pkt) == 40 + plen, pkt.hex()
    assert (pkt[8:24], pkt[24:40]) == (a6(src), a6(dst))
    icmp = pkt[40:]
    typ, code, c, i, s = struct.unpack_from("!BBHHH", icmp)
    assert (typ, code, i, s, icmp[8:]) == (129, 0, ident, seq, data)
    zeroed = icmp[:2] + b"\0\0" + icmp[4:]
    assert icmp6_csum(pkt[8:24], pkt[24:40], zeroed) == c


def test_subscriber_pings_its_gateway_and_the_lns(lns, clis):
    d = lns()
    lac, p, _, _, _ = carol_up(d)
    ll = "fe80::" + CAROL_IFID
    # The default gateway the RA gave it: fe80::1, answered in-session.
    p.send(IPV6, echo6(ll, "fe80::1", 0x4242, 1, b"gateway?" * 8))
    check_reply(next_data6(p), "fe80::1", ll, 0x4242, 1, b"gateway?" * 8)
    # A corrupt checksum gets no answer.
    bad = bytearray(echo6(ll, "fe80::1", 0x4242, 2, b"x"))
    bad[42] ^= 0xff
    p.send(IPV6, bytes(bad))
    with pytest.raises(Exception):
        next_data6(p, timeout=1.0)
    # The LNS's own address in ipv6_prefix (::1), on the TUN device,
    # answered by the kernel through the session.
    net = PREFIX.split("::/")[0]
    mine = f"{net}:" + CAROL_IFID
    lns_addr = f"{net}::1"
    assert any(a["local"] == lns_addr and a["prefixlen"] == 128
               for a in d.ns.addr(d.tun)["addr_info"])
    p.send(IPV6, echo6(mine, lns_addr, 7, 9, b"lns?"))
    check_reply(next_data6(p), lns_addr, mine, 7, 9, b"lns?")
