"""IPv6 where IPv4 has the walled garden, the access lists and
packet_limit (issue 20, finding 7; manual "Walled garden", "Filtering",
"IPv6"): a gardened session gets no IPV6CP (Protocol-Reject) until it is
let out, and loses it when put back; a session with a Filter-Id in a
direction gets no IPv6 that way (the lists are IPv4 only: fail closed);
packet_limit counts IPv6 packets too.
"""
import socket
import struct

import pytest

from conftest import wait_until
from nsctlhelp import nsctl
from pppwire import (opt, LCP, IPV6CP, CONFREQ, CONFACK, TERMREQ, TERMACK,
                     PROTOREJ)
from test_garden import garden, login, session_row  # noqa: F401
from test_ipv6 import (IPV6, PREFIX, FAR, udp6, ipv6cp_up, next_data6,
                       next_ra, link, lns, carol_up, CAROL, clis,  # noqa
                       counters)
from test_radius import FreeRadius, radius_cfg, up as radius_up
from test_cli import HOST


def test_garden_session_gets_no_ipv6_until_ungardened(garden):
    d, srv = garden(cfg={"ipv6_prefix": PREFIX})
    lac, p, ip = login(d, "alice", "wrong")
    d.wait_for_log(r"IPV6CP not started: session in the walled garden")
    sid = session_row(d, "alice")[0]
    # the subscriber asks for IPV6CP: Protocol-Reject quoting its request
    req = opt(1, socket.inet_aton(ip) + b"\0" * 4)
    p.send_cp(IPV6CP, CONFREQ, 1, req)
    f = p.expect(LCP, PROTOREJ)
    assert f.data[:2] == struct.pack("!H", IPV6CP)
    assert f.data[2:6] == bytes([CONFREQ, 1, 0, 4 + len(req)])
    # let out: IPV6CP starts from our side
    assert nsctl(d.ns, "ungarden", "alice", check=0).stdout == \
        f"session {sid} ungardened\n"
    ipv6cp_up(p, ip)
    next_ra(p)
    # put back: IPV6CP is closed
    nsctl(d.ns, "garden", sid, check=0)
    t = p.expect(IPV6CP, TERMREQ, timeout=5)
    p.send_cp(IPV6CP, TERMACK, t.id)


FILTER_USERS = """\
sub	Cleartext-Password := "pw"
	Filter-Id = "v4only.in"

out	Cleartext-Password := "pw"
	Filter-Id = "v4only.out"
"""


def test_ipv6_of_a_filtered_session_denied(daemon, netns, tmp_path, clis):
    ns = netns()
    FreeRadius(ns, tmp_path / "radius", users=FILTER_USERS).start()
    d = daemon(radius_cfg(hostname=HOST, ipv6_prefix=PREFIX,
                          radius_accounting=False), ns=ns,
               extra_lines=["ip access-list extended v4only",
                            " permit ip any any"])
    d.ns.ip("-6", "addr", "add", f"{FAR}/128", "dev", "lo")
    rx = d.ns.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    rx.bind((FAR, 7777))
    rx.settimeout(0.5)
    c = clis(d)
    base = counters(c)
    # a list on the way in: IPv6 from the subscriber is dropped
    lac, p = link(d, 80)
    ip = radius_up(p, "sub", "pw")[0]
    ipv6cp_up(p, ip)
    next_ra(p)
    me = f"2001:db8:1:7:{socket.inet_aton(ip).hex()[:4]}:" \
        f"{socket.inet_aton(ip).hex()[4:]}::"
    p.send(IPV6, udp6(me, FAR, 5000, 7777, b"up"))
    wait_until(lambda: counters(c)["acl_denied_in"] ==
               base["acl_denied_in"] + 1, what="IPv6 denied in")
    with pytest.raises(socket.timeout):
        rx.recvfrom(100)
    # downstream to it is not filtered (no .out list)
    rx.sendto(b"down", (me, 6000))
    assert next_data6(p)[-4:] == b"down"
    # a list on the way out: IPv6 to the subscriber is dropped
    lac2, p2 = link(d, 81)
    ip2 = radius_up(p2, "out", "pw")[0]
    ipv6cp_up(p2, ip2)
    next_ra(p2)
    h = socket.inet_aton(ip2).hex()
    me2 = f"2001:db8:1:7:{h[:4]}:{h[4:]}::"
    rx.sendto(b"down", (me2, 6000))
    wait_until(lambda: counters(c)["acl_denied_out"] ==
               base["acl_denied_out"] + 1, what="IPv6 denied out")
    p2.send(IPV6, udp6(me2, FAR, 5000, 7777, b"up2"))
    assert rx.recvfrom(100)[0] == b"up2"


def test_ipv6_packet_limit(lns, clis):
    d = lns({"packet_limit": 3})
    lac, p, _, _, _ = carol_up(d)
    h = socket.inet_aton(CAROL).hex()
    me = f"2001:db8:1:7:{h[:4]}:{h[4:]}::"
    c = clis(d)
    base = counters(c)["packet_limit_drops"]
    tx = d.ns.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    for i in range(40):
        tx.sendto(b"x%d" % i, (me, 6000))
    wait_until(lambda: counters(c)["packet_limit_drops"] > base + 10,
               what="IPv6 packets over packet_limit dropped")
