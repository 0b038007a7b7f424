"""Multilink PPP (RFC 1990) against the running daemon.

Scripted subscribers (pppwire.Ppp over l2tpwire.Lac, extended with the
MP fragment header and the LCP options MRRU, Short Sequence Number
Header Format and Endpoint Discriminator) bring up two links of one
user with one endpoint discriminator, from one tunnel and from two,
authenticated by a real FreeRADIUS that records accounting.  The links
must form one bundle: one address, one IPCP, one Start and one Stop;
fragments sent upstream in order, out of order and with one lost must
come out as the right IP packets; downstream, long packets come split
across both links (by their connect speeds) and short ones whole,
round robin.  With `multilink` off the three options are rejected as
before.
"""
import json
import socket
import struct
import time

import pytest

from conftest import wait_until
from l2tpwire import Lac, CDN, avp, A_MSGTYPE, A_RESULT, A_SESSION_ID
from pppwire import (Ppp, opt, LCP, IPCP, IP, CONFREQ, CONFREJ, TERMREQ,
                     TERMACK, MP, MP_B, MP_E, MRRU, SSNHF, EPDISC, mp_header,
                     mp_parse, ipv4_udp)
from test_cli import Cli, USERS as CLI_USERS
from test_radius import FreeRadius, radius_cfg

POOL = "198.51.100.0/26"
RAD_USERS = """\
mluser	Cleartext-Password := "mlpw"

other	Cleartext-Password := "otherpw"
"""


@pytest.fixture
def ml(daemon, netns, tmp_path):
    """ml(multilink=True) -> (lns, radius)"""
    def make(multilink=True):
        ns = netns()
        rad = FreeRadius(ns, tmp_path / "radius", users=RAD_USERS).start()
        cfg = radius_cfg(hostname="lns-cli", multilink=multilink,
                         echo_timeout=30)
        d = daemon(cfg, ns=ns, users=CLI_USERS)
        return d, rad
    return make


def ml_opts(magic, ed=b"cpe-1", ssn=False):
    o = (opt(5, struct.pack("!I", magic)) + opt(MRRU, struct.pack("!H", 1600))
         + opt(EPDISC, b"\x01" + ed))
    return o + (opt(SSNHF) if ssn else b"")


def ml_link(lac, our_sid, ed=b"cpe-1", speed=10000000, user="mluser",
            password="mlpw"):
    """One link: LCP with the multilink options, PAP through RADIUS."""
    sid = lac.open_session(our_sid=our_sid, speed=speed)
    p = Ppp(lac, sid, our_sid)
    p.magic = 0x1000 + our_sid
    their = dict(p.lcp_up(our_opts=ml_opts(p.magic, ed)).opts())
    # RFC 1990 5.1.1, 5.1.3: the LNS offers MRRU and a class 1 EPD
    assert struct.unpack("!H", their[MRRU])[0] == 1600
    assert their[EPDISC] == b"\x01lns-cli"
    code, msg = p.pap(user, password, timeout=10)
    assert code == 2, msg
    return p


def cli(d):
    c = Cli(d).login()
    c.enable("en4ble")
    return c


def counters(c):
    return json.loads(c.cmd("show counters json"))


def send_frags(plan, pkt):
    """Send `pkt` (an IP packet) as MP fragments: plan is a list of
    (ppp link, seq, start, end) slices of the PPP frame 00 21 + pkt,
    sent in list order."""
    frame = struct.pack("!H", IP) + pkt
    for p, seq, a, b in plan:
        flags = (MP_B if a == 0 else 0) | (MP_E if b >= len(frame) else 0)
        p.send(MP, mp_header(seq, flags) + frame[a:b])


def recv_down(links, n, timeout=5, short=False):
    """n MP frames from the given links, as (link index, flags, seq,
    fragment), in arrival order per link; short: with short sequence
    numbers."""
    got = []
    end = time.time() + timeout
    while len(got) < n:
        for i, p in enumerate(links):
            try:
                f = p.recv(timeout=0.2)
            except TimeoutError:
                continue
            if f.proto == MP:
                fl, seq, data = mp_parse(f.payload, short=short)
                # B E 0 0 and 12 bits: the two reserved bits are zero
                assert not short or f.payload[0] & 0x30 == 0, f.payload
                got.append((i, fl, seq, data))
            elif f.proto == IP:
                got.append((i, MP_B | MP_E, None, struct.pack("!H", IP)
                            + f.payload))
        assert time.time() < end, f"only {len(got)} of {n} frames: {got}"
    return got


def rebuild(frags):
    """The PPP frame of fragments (any order), checking B, E, sequence."""
    frags = sorted(frags, key=lambda t: t[2])
    seqs = [t[2] for t in frags]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), seqs
    assert frags[0][1] & MP_B and frags[-1][1] & MP_E
    assert all(not (t[1] & MP_B) for t in frags[1:])
    return b"".join(t[3] for t in frags)


def hang_up(p):
    p.send_cp(LCP, TERMREQ, 0x31, b"bye")
    p.expect(LCP, TERMACK, timeout=5)
    p.cdn(timeout=6)


def test_options_rejected_when_multilink_off(ml):
    d, rad = ml(multilink=False)
    lac = d.ns.run_in(Lac, "127.0.0.1")
    lac.open_tunnel(host="lac-ml")
    sid = lac.open_session(our_sid=5)
    p = Ppp(lac, sid, 5)
    p.send_cp(LCP, CONFREQ, 1, ml_opts(p.magic, ssn=True))
    rej = their = None
    end = time.time() + 5
    while rej is None or their is None:
        f = p.expect(LCP, timeout=max(0.01, end - time.time()))
        if f.code == CONFREJ and f.id == 1:
            rej = f
        elif f.code == CONFREQ:
            their = f
    assert [t for t, _ in rej.opts()] == [MRRU, EPDISC, SSNHF]
    assert not {MRRU, EPDISC} & {t for t, _ in their.opts()}


def bundle_up(d, rad, lac1, lac2, speeds=(10000000, 10000000)):
    """Two links of mluser; returns (p1, p2, ip, cli)."""
    p1 = ml_link(lac1, 11, speed=speeds[0])
    ip = p1.ipcp_up()[0]
    start = rad.wait_record("Start", User_Name="mluser")
    assert start["Framed-IP-Address"] == ip
    p2 = ml_link(lac2, 12, speed=speeds[1])
    d.wait_for_log(r'multilink: "mluser" joins the bundle of session \d+ '
                   r'\(2 links\)')
    # The member runs no IPCP of its own (the bundle's is the master's).
    with pytest.raises(TimeoutError):
        p2.expect(IPCP, timeout=1.5)
    c = cli(d)
    rows = [r.split() for r in c.cmd("show session").splitlines()
            if "mluser" in r]
    assert len(rows) == 2, rows
    master = [r for r in rows if r[3] == ip]
    member = [r for r in rows if r[3] != ip]
    assert len(master) == 1 and len(member) == 1, rows
    assert member[0][3] == "0.0.0.0"
    detail = c.cmd("show session %s" % member[0][0])
    assert "link of the bundle of session %s" % master[0][0] in detail
    assert "master of a bundle" in c.cmd("show session %s" % master[0][0])
    js = json.loads(c.cmd("show session %s json" % member[0][0]))
    assert js["bundle"] == int(master[0][0]) and js["ip"] == "0.0.0.0"
    return p1, p2, ip, c


def exercise(d, rad, p1, p2, ip, c, speeds):
    tun = d.tun_addrs()[0].split("/")[0]
    rx = d.ns.socket()
    rx.bind(("0.0.0.0", 9999))
    rx.settimeout(5)
    up_bytes = 0
    before = counters(c)

    # Upstream in order: one packet in three fragments over both links.
    pkt = ipv4_udp(ip, tun, 4444, 9999, b"in-order" + b"a" * 500)
    send_frags([(p1, 0, 0, 200), (p2, 1, 200, 400), (p1, 2, 400, 9999)], pkt)
    assert rx.recvfrom(2000)[0] == b"in-order" + b"a" * 500
    up_bytes += len(pkt)

    # Out of order: the middle fragment (link 2) arrives first.
    pkt = ipv4_udp(ip, tun, 4444, 9999, b"out-of-order" + b"b" * 300)
    send_frags([(p2, 4, 150, 300), (p1, 3, 0, 150), (p1, 5, 300, 9999)], pkt)
    assert rx.recvfrom(2000)[0] == b"out-of-order" + b"b" * 300
    up_bytes += len(pkt)

    # Lost: 7 never comes; once link 2 shows 9, M is past 7 (RFC 1990
    # 4.1): the frame 6-8 is dropped, 9 and 10 go through.
    lost = ipv4_udp(ip, tun, 4444, 9999, b"lost" + b"c" * 300)
    send_frags([(p1, 6, 0, 100), (p1, 8, 200, 9999)], lost)
    after1 = ipv4_udp(ip, tun, 4444, 9999, b"after-loss-1")
    after2 = ipv4_udp(ip, tun, 4444, 9999, b"after-loss-2")
    send_frags([(p2, 9, 0, 9999)], after1)
    send_frags([(p1, 10, 0, 9999)], after2)
    assert rx.recvfrom(2000)[0] == b"after-loss-1"
    assert rx.recvfrom(2000)[0] == b"after-loss-2"
    up_bytes += len(after1) + len(after2)
    # A plain frame on the member link is the bundle's too (RFC 1990 3).
    plain = ipv4_udp(ip, tun, 4444, 9999, b"plain-on-member")
    p2.send(IP, plain)
    assert rx.recvfrom(2000)[0] == b"plain-on-member"
    up_bytes += len(plain)
    now = counters(c)
    assert now["mp_rx_lost"] - before["mp_rx_lost"] == 1
    assert now["mp_rx_frames"] - before["mp_rx_frames"] == 4

    # Downstream: a long packet split across both links by speed.
    d.ns.ip("route", "replace", POOL, "dev", d.tun)
    tx = d.ns.socket()
    tx.sendto(b"y" * 1000, (ip, 5555))
    down_bytes = 1028
    got = recv_down([p1, p2], 2)
    frame = rebuild(got)
    assert frame[:2] == b"\x00\x21" and frame.endswith(b"y" * 1000)
    assert socket.inet_ntoa(frame[2 + 16:2 + 20]) == ip
    share = {g[0]: len(g[3]) for g in got}
    total = len(frame)
    want0 = total * speeds[0] // sum(speeds)
    assert abs(share[0] - want0) <= 1, (share, want0)
    assert share[0] + share[1] == total
    # Short packets go whole (B and E), one link after the other.
    for i in range(4):
        tx.sendto(b"s%d" % i, (ip, 5555))
        down_bytes += 30
    got = recv_down([p1, p2], 4)
    assert all(fl == MP_B | MP_E for _, fl, _, _ in got)
    assert sorted(i for i, _, _, _ in got) == [0, 0, 1, 1]
    seqs = sorted(s for _, _, s, _ in got)
    assert seqs == list(range(seqs[0], seqs[0] + 4))
    assert {t[-2:] for _, _, _, t in got} == {b"s0", b"s1", b"s2", b"s3"}

    # One accounting record: the member's end stops nothing.
    time.sleep(1)
    assert len([r for r in rad.records()
                if r.get("Acct-Status-Type") == "Start"]) == 1
    hang_up(p2)
    d.wait_for_log(r"multilink: leaves the bundle of session \d+ "
                   r"\(1 links left\)")
    time.sleep(1)
    assert not [r for r in rad.records()
                if r.get("Acct-Status-Type") == "Stop"]
    # Alone again: the master's frames go plain.
    tx.sendto(b"z" * 600, (ip, 5555))
    down_bytes += 628
    f = p1.expect(IP, timeout=5)
    assert f.payload.endswith(b"z" * 600)
    hang_up(p1)
    stop = rad.wait_record("Stop", User_Name="mluser")
    assert stop["Acct-Input-Octets"] == str(up_bytes)
    assert stop["Acct-Output-Octets"] == str(down_bytes)
    assert len([r for r in rad.records()
                if r.get("Acct-Status-Type") == "Stop"]) == 1


def test_bundle_of_two_links_in_one_tunnel(ml):
    d, rad = ml()
    lac = d.ns.run_in(Lac, "127.0.0.1")
    lac.open_tunnel(host="lac-ml")
    p1, p2, ip, c = bundle_up(d, rad, lac, lac)
    exercise(d, rad, p1, p2, ip, c, (10000000, 10000000))


def test_bundle_across_two_tunnels_by_speed(ml):
    d, rad = ml()
    lac1 = d.ns.run_in(Lac, "127.0.0.1")
    lac1.open_tunnel(host="lac-ml-a")
    lac2 = d.ns.run_in(Lac, "127.0.0.1")
    lac2.open_tunnel(host="lac-ml-b")
    speeds = (2000000, 6000000)
    p1, p2, ip, c = bundle_up(d, rad, lac1, lac2, speeds)
    exercise(d, rad, p1, p2, ip, c, speeds)


def test_other_discriminator_is_not_the_bundle(ml):
    d, rad = ml()
    lac = d.ns.run_in(Lac, "127.0.0.1")
    lac.open_tunnel(host="lac-ml")
    p1 = ml_link(lac, 11)
    p1.ipcp_up()
    # Another endpoint (another discriminator) of the same user is a
    # login of its own: the earlier one gives way (allow_duplicate_users
    # is off), as without multilink.
    p3 = ml_link(lac, 13, ed=b"cpe-2")
    p3.ipcp_up()
    d.wait_for_log(r'"mluser" logged in again \(session \d+\): dropping')
    d.assert_not_logged(r"joins the bundle")


def test_short_sequence_numbers_and_mismatch_refused(ml):
    """The subscriber asks for short sequence numbers (option 18, RFC
    1990 5.1.2): what l2tpns sends carries 12-bit numbers.  A later link
    of the same endpoint without option 18 cannot join that bundle and
    is refused."""
    d, rad = ml()
    lac = d.ns.run_in(Lac, "127.0.0.1")
    lac.open_tunnel(host="lac-ml")
    links = []
    for our_sid in (21, 22):
        sid = lac.open_session(our_sid=our_sid)
        p = Ppp(lac, sid, our_sid)
        p.magic = 0x2000 + our_sid
        p.lcp_up(our_opts=ml_opts(p.magic, ssn=True))
        code, msg = p.pap("mluser", "mlpw", timeout=10)
        assert code == 2, msg
        links.append(p)
    ip = links[0].ipcp_up()[0]
    d.wait_for_log(r"multilink: new bundle for \"mluser\" \(peer MRRU 1600, "
                   r"short sequence numbers\)")
    d.wait_for_log(r'"mluser" joins the bundle of session \d+ \(2 links\)')
    d.ns.ip("route", "replace", POOL, "dev", d.tun)
    tx = d.ns.socket()
    tx.sendto(b"q" * 900, (ip, 5555))
    got = recv_down(links, 2, short=True)
    assert len(got) == 2, got
    frame = rebuild(got)
    assert frame[:2] == b"\x00\x21" and frame.endswith(b"q" * 900)
    assert sorted(i for i, _, _, _ in got) == [0, 1]
    # Same user and endpoint, long numbers: refused.
    sid = lac.open_session(our_sid=23)
    p3 = Ppp(lac, sid, 23)
    p3.magic = 0x2023
    p3.lcp_up(our_opts=ml_opts(p3.magic))
    code, msg = p3.pap("mluser", "mlpw", timeout=10)
    assert code == 3 and msg == "Multilink bundle refused", (code, msg)
    d.wait_for_log(r"cannot join bundle of session \d+ \(other sequence "
                   r"number format\)")


def send_cdn(lac, p, result=3):
    lac.send(avp(A_MSGTYPE, CDN) + avp(A_RESULT, struct.pack("!H", result)) +
             avp(A_SESSION_ID, p.our_sid), sid=p.sid)


@pytest.mark.parametrize("how", ["cdn", "terminate"])
def test_bundle_survives_its_first_link(ml, how):
    """The first link (the one that made the bundle and holds its
    address, IPCP and accounting record) leaves, by a CDN from its LAC
    or by the subscriber's LCP Terminate-Request on that link:
    the bundle goes on over the other two (fragments both ways), then on
    the last one alone (whole frames); it ends with its last link, with
    one Start and one Stop that counts every octet."""
    d, rad = ml()
    lac1 = d.ns.run_in(Lac, "127.0.0.1")
    lac1.open_tunnel(host="lac-ml-a")
    lac2 = d.ns.run_in(Lac, "127.0.0.1")
    lac2.open_tunnel(host="lac-ml-b")
    p1, p2, ip, c = bundle_up(d, rad, lac1, lac2)
    p3 = ml_link(lac2, 13)
    d.wait_for_log(r'multilink: "mluser" joins the bundle of session \d+ '
                   r'\(3 links\)')
    rows = [r.split() for r in c.cmd("show session").splitlines()
            if "mluser" in r]
    master = [r[0] for r in rows if r[3] == ip]
    assert len(master) == 1, rows
    master = master[0]
    tun = d.tun_addrs()[0].split("/")[0]
    rx = d.ns.socket()
    rx.bind(("0.0.0.0", 9999))
    rx.settimeout(5)
    d.ns.ip("route", "replace", POOL, "dev", d.tun)
    tx = d.ns.socket()
    up_bytes = down_bytes = 0

    # The first link goes.
    if how == "cdn":
        send_cdn(lac1, p1)
    else:
        hang_up(p1)
    d.wait_for_log(r'multilink: the first link of "mluser" goes; the '
                   r'bundle stays on 2 links')
    d.wait_for_log(r"call of mluser closed, its bundle goes on")
    # The holder keeps the address and says so; no Stop.
    detail = c.cmd("show session %s" % master)
    assert ip in detail and "master of a bundle" in detail, detail
    assert [r for r in rad.records()
            if r.get("Acct-Status-Type") == "Stop"] == []

    # Downstream: a long packet split across the two links left.
    tx.sendto(b"y" * 1000, (ip, 5555))
    down_bytes += 1028
    got = recv_down([p2, p3], 2)
    frame = rebuild(got)
    assert frame[:2] == b"\x00\x21" and frame.endswith(b"y" * 1000)
    assert sorted(g[0] for g in got) == [0, 1]
    # Upstream: fragments over both, rebuilt on the holder.
    pkt = ipv4_udp(ip, tun, 4444, 9999, b"after-first" + b"a" * 400)
    send_frags([(p2, 0, 0, 200), (p3, 1, 200, 9999)], pkt)
    assert rx.recvfrom(2000)[0] == b"after-first" + b"a" * 400
    up_bytes += len(pkt)

    # Another link goes: one left, whole frames both ways.
    hang_up(p2)
    d.wait_for_log(r"multilink: leaves the bundle of session %s "
                   r"\(1 links left\)" % master)
    tx.sendto(b"z" * 600, (ip, 5555))
    down_bytes += 628
    f = p3.expect(IP, timeout=5)
    assert f.payload.endswith(b"z" * 600)
    plain = ipv4_udp(ip, tun, 4444, 9999, b"on-the-last-link")
    p3.send(IP, plain)
    assert rx.recvfrom(2000)[0] == b"on-the-last-link"
    up_bytes += len(plain)
    time.sleep(1)
    assert [r for r in rad.records()
            if r.get("Acct-Status-Type") == "Stop"] == []

    # The last link goes: the bundle ends, one Stop for all of it.
    hang_up(p3)
    d.wait_for_log(r"multilink: the bundle's last link went")
    stop = rad.wait_record("Stop", User_Name="mluser")
    assert stop["Acct-Input-Octets"] == str(up_bytes)
    assert stop["Acct-Output-Octets"] == str(down_bytes)
    assert stop["Framed-IP-Address"] == ip
    time.sleep(1)
    recs = rad.records()
    assert len([r for r in recs if r.get("Acct-Status-Type") == "Start"]) \
        == 1
    assert len([r for r in recs if r.get("Acct-Status-Type") == "Stop"]) \
        == 1
    assert [r for r in c.cmd("show session").splitlines()
            if "mluser" in r] == []


def test_dropping_the_holder_ends_the_bundle(ml):
    """After its first link went, the bundle's holder is dropped by the
    administrator: the links left are cleared with it, one Stop."""
    d, rad = ml()
    lac1 = d.ns.run_in(Lac, "127.0.0.1")
    lac1.open_tunnel(host="lac-ml-a")
    lac2 = d.ns.run_in(Lac, "127.0.0.1")
    lac2.open_tunnel(host="lac-ml-b")
    p1, p2, ip, c = bundle_up(d, rad, lac1, lac2)
    master = [r.split()[0] for r in c.cmd("show session").splitlines()
              if "mluser" in r and ip in r][0]
    send_cdn(lac1, p1)
    d.wait_for_log(r'the bundle stays on 1 link$')
    c.cmd("drop session %s" % master)
    p2.expect(LCP, TERMREQ, timeout=5)
    rad.wait_record("Stop", User_Name="mluser")
    d.wait_for_log(r"multilink: bundle of \"mluser\" ends")
    time.sleep(1)
    assert len([r for r in rad.records()
                if r.get("Acct-Status-Type") == "Stop"]) == 1
