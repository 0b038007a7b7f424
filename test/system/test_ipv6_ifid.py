"""IPV6CP interface identifiers (RFC 5072 4.1; issue 20): a session with
a /64 of its own (Framed-IPv6-Prefix), which the RA gives it for SLAAC,
keeps the identifier it asks for; a zero one gets a suggestion with the
universal/local bit clear.  A session on the shared ipv6_prefix is
Naked towards the IPv4-derived identifier the manual's rule needs.
"""
import socket

from pppwire import opt, IPV6CP, CONFREQ, CONFACK, CONFNAK
from test_ipv6 import (IPV6, FAR, udp6, next_ra, next_data6, link, rlns,  # noqa
                       a6)
from test_radius import up as radius_up

MINE = bytes.fromhex("0211 22ff fe33 4455".replace(" ", ""))


def ask(p, ident, ifid, acked=[]):
    """Our Configure-Request; the LNS's answer to it.  Its own request is
    acked on the way; an Ack of ours waits for that too, so IPV6CP is
    then Opened."""
    p.send_cp(IPV6CP, CONFREQ, ident, opt(1, ifid))
    answer, theirs = None, p in acked
    while answer is None or (answer.code == CONFACK and not theirs):
        f = p.expect(IPV6CP)
        if f.code == CONFREQ:
            p.send_cp(IPV6CP, CONFACK, f.id, f.data)
            theirs = True
            acked.append(p)
        elif f.id == ident:
            answer = f
    return answer


def test_ipv6_own_prefix_keeps_the_peers_identifier(rlns):
    d, rx = rlns
    lac, p = link(d, 31)
    radius_up(p, "fay", "pw6")
    f = ask(p, 1, MINE)
    assert f.code == CONFACK and f.data == opt(1, MINE)
    ra = next_ra(p)
    assert ra.prefix()[0] == "2001:db8:bb:1::/64"
    addr = socket.inet_ntop(socket.AF_INET6, a6("2001:db8:bb:1::")[:8] + MINE)
    d.wait_for_log(r"IPV6CP up: identifier 0211:22ff:fe33:4455")
    p.send(IPV6, udp6(addr, FAR, 5000, 7777, b"own-ifid"))
    data, src = rx.recvfrom(100)
    assert data == b"own-ifid" and src[0] == addr
    rx.sendto(b"back", src)
    assert next_data6(p)[-4:] == b"back"


def test_ipv6_own_prefix_zero_identifier_gets_a_local_suggestion(rlns):
    d, rx = rlns
    lac, p = link(d, 32)
    radius_up(p, "fay", "pw6")
    f = ask(p, 1, bytes(8))
    assert f.code == CONFNAK
    (t, v), = f.opts()
    assert t == 1 and len(v) == 8 and v != bytes(8)
    assert v[0] & 0x02 == 0			# u bit clear (RFC 4291 2.5.1)
    g = ask(p, 2, bytes(8))
    assert g.code == CONFNAK and g.opts()[0][1] == v	# stable
    assert ask(p, 3, v).code == CONFACK


def test_ipv6_shared_prefix_naks_towards_the_ipv4_identifier(rlns):
    d, rx = rlns
    lac, p = link(d, 33)
    ip = radius_up(p, "dave", "pw4")[0]		# a /56: the shared /64 in RAs
    f = ask(p, 1, MINE)
    assert f.code == CONFNAK
    assert f.opts()[0][1] == socket.inet_aton(ip) + bytes(4)
