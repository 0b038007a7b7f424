"""HA sets (FireBrick 12.3.3, issue 23) against the running daemon.

Two sessions of one subscriber, each over a tunnel of its own (two
scripted LACs: l2tpwire.Lac + pppwire.Ppp), authenticated by a real
FreeRADIUS whose Access-Accept names the set with Cisco-AVPair
"ha-set=NAME".  Both get the one address; the first holds its route.
A numbered UDP stream runs downstream (the Internet side of the TUN
device to the subscriber) and upstream (the subscriber sends each
packet on both sessions) while one session is torn down with a CDN:
the receiver must see every number, and the counters must show exactly
the duplicates sent and dropped.
"""
import json
import socket
import struct
import threading
import time

import pytest

from conftest import wait_until
from l2tpwire import Lac, CDN, avp, A_MSGTYPE, A_RESULT, A_SESSION_ID
from pppwire import Ppp, IP, ipv4_udp
from test_cli import Cli, USERS as CLI_USERS
from test_radius import FreeRadius, radius_cfg

POOL = "198.51.100.0/26"
SET = "office-7"
RAD_USERS = f"""\
hauser	Cleartext-Password := "hapw"
	Cisco-AVPair = "ha-set={SET}"

solo	Cleartext-Password := "solopw"
"""


@pytest.fixture
def ha(daemon, netns, tmp_path):
    """ha(**cfg) -> (lns, radius)"""
    def make(**cfg):
        ns = netns()
        rad = FreeRadius(ns, tmp_path / "radius", users=RAD_USERS).start()
        d = daemon(radius_cfg(hostname="lns-cli", echo_timeout=30, **cfg),
                   ns=ns, users=CLI_USERS)
        return d, rad
    return make


def cli(d):
    c = Cli(d).login()
    c.enable("en4ble")
    return c


def counters(d):
    return json.loads(cli(d).cmd("show counters json"))


def sets(d):
    return json.loads(cli(d).cmd("show ha-set json"))["sets"]


def link(d, host, our_sid, user="hauser", password="hapw"):
    """A tunnel of its own and one session up to IPCP: (lac, ppp, ip)."""
    lac = d.ns.run_in(Lac, "127.0.0.1")
    lac.open_tunnel(host=host)
    sid = lac.open_session(our_sid=our_sid)
    p = Ppp(lac, sid, our_sid)
    p.magic = 0x5000 + our_sid
    p.lcp_up()
    code, msg = p.pap(user, password, timeout=10)
    assert code == 2, msg
    return lac, p, p.ipcp_up()[0]


def pair(d):
    """Two members of the set: (lac1, p1, lac2, p2, ip, anchor, member)."""
    lac1, p1, ip1 = link(d, "lac-ha-a", 11)
    d.wait_for_log(rf"ha-set {SET}: new set, anchor \"hauser\"")
    lac2, p2, ip2 = link(d, "lac-ha-b", 12)
    d.wait_for_log(rf'ha-set {SET}: "hauser" joins \(anchor session \d+, '
                   r'2 members\)')
    # One address for both; no duplicate login dropped the first.
    assert ip1 == ip2
    d.assert_not_logged(r"logged in again")
    s = sets(d)
    assert len(s) == 1 and s[0]["name"] == SET and s[0]["ip"] == ip1, s
    anchor = s[0]["anchor"]
    assert len(s[0]["members"]) == 2 and s[0]["members"][0] == anchor, s
    member = s[0]["members"][1]
    text = cli(d).cmd("show ha-set")
    assert SET in text and ip1 in text and "1 HA set" in text, text
    return lac1, p1, lac2, p2, ip1, anchor, member


def send_cdn(lac, p, result=3):
    lac.send(avp(A_MSGTYPE, CDN) + avp(A_RESULT, struct.pack("!H", result)) +
             avp(A_SESSION_ID, p.our_sid), sid=p.sid)


class Drain(threading.Thread):
    """Reads one link's frames, keeping the numbers of the UDP packets
    (payload b"n%06d") that reach it."""

    def __init__(self, p):
        super().__init__(daemon=True)
        self.p = p
        self.got = []
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            try:
                f = self.p.recv(timeout=0.2)
            except (TimeoutError, OSError):
                continue
            if f.proto == IP and f.payload[9] == 17:
                data = f.payload[28:]
                if data[:1] == b"n":
                    self.got.append(int(data[1:7]))


def test_downstream_survives_the_anchor_leaving(ha):
    """Every downstream packet goes to both members; the anchor (which
    holds the route) is cleared mid-stream: its address goes to the
    other member in the same step, and not one packet is lost."""
    d, rad = ha()
    lac1, p1, lac2, p2, ip, anchor, member = pair(d)
    d.ns.ip("route", "replace", POOL, "dev", d.tun)
    before = counters(d)
    r1, r2 = Drain(p1), Drain(p2)
    r1.start()
    r2.start()
    tx = d.ns.socket()
    total, cut = 400, 150
    sent = threading.Event()

    def stream():
        for i in range(total):
            tx.sendto(b"n%06d" % i, (ip, 5555))
            time.sleep(0.002)
        sent.set()
    t = threading.Thread(target=stream, daemon=True)
    t.start()
    end = time.time() + 10
    while len(r2.got) < cut:
        assert time.time() < end, (len(r1.got), len(r2.got))
        time.sleep(0.005)
    send_cdn(lac1, p1)
    assert sent.wait(15)
    end = time.time() + 5
    while len(r2.got) < total and time.time() < end:
        time.sleep(0.05)
    time.sleep(0.3)
    r1.stop.set()
    r2.stop.set()
    r1.join()
    r2.join()
    # Zero lost: the remaining member saw every number once, in order.
    assert r2.got == list(range(total)), (len(r2.got), r2.got[:5])
    # The leaving member had the stream's start, then nothing.
    assert cut <= len(r1.got) < total, len(r1.got)
    assert r1.got == list(range(len(r1.got)))
    d.wait_for_log(rf"ha-set {SET}: the address goes to session {member} "
                   r"\(1 members left\)")
    now = counters(d)
    # Each packet sent to both is one duplicate: exactly what the
    # leaving member received.
    assert now["haset_copies_tx"] - before["haset_copies_tx"] == \
        len(r1.got)
    assert now["haset_handovers"] - before["haset_handovers"] == 1
    s = sets(d)
    assert s[0]["anchor"] == member and s[0]["members"] == [member], s
    assert s[0]["copies_sent"] == len(r1.got), s
    # The address is the remaining member's now: it still answers.
    tx.sendto(b"n%06d" % 999999, (ip, 5555))
    got = []
    end = time.time() + 5
    while not got and time.time() < end:
        try:
            f = p2.recv(timeout=0.5)
        except TimeoutError:
            continue
        if f.proto == IP:
            got.append(f.payload[28:])
    assert got == [b"n999999"]


def test_upstream_duplicates_dropped_and_member_loss(ha):
    """The subscriber sends each packet on both sessions: one copy
    passes, the other is counted and dropped.  The second member is
    cleared mid-stream; what it no longer carries comes on the first
    alone, and nothing is lost or passed twice."""
    d, rad = ha()
    lac1, p1, lac2, p2, ip, anchor, member = pair(d)
    tun = d.tun_addrs()[0].split("/")[0]
    rx = d.ns.socket()
    rx.bind(("0.0.0.0", 9999))
    rx.settimeout(3)
    rx.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    before = counters(d)
    total, cut = 300, 120
    for i in range(total):
        pkt = ipv4_udp(ip, tun, 4444, 9999, b"n%06d" % i)
        if i == cut:
            send_cdn(lac2, p2)
        if i < cut:
            p2.send(IP, pkt)
        p1.send(IP, pkt)
        if i % 50 == 49:
            time.sleep(0.02)
    got = []
    try:
        while len(got) < total + 5:
            got.append(int(rx.recvfrom(2000)[0][1:7]))
    except socket.timeout:
        pass
    # Each number once, in the order sent: zero lost, no duplicate.
    assert got == list(range(total)), (len(got), got[:10])
    d.wait_for_log(rf"ha-set {SET}: leaves \(1 members left\)")
    now = counters(d)
    assert now["haset_dups_rx"] - before["haset_dups_rx"] == cut
    s = sets(d)
    assert s[0]["members"] == [anchor] and s[0]["anchor"] == anchor, s
    assert s[0]["duplicates_dropped"] == cut, s
    # Without a second member nothing more is taken for a duplicate:
    # the same packet twice passes twice.
    pkt = ipv4_udp(ip, tun, 4444, 9999, b"n%06d" % 777777)
    p1.send(IP, pkt)
    p1.send(IP, pkt)
    assert [rx.recvfrom(2000)[0] for _ in range(2)] == [b"n777777"] * 2
    # Each member had its own accounting record.
    rad.wait_record("Stop", User_Name="hauser")


def test_a_session_without_a_set_is_untouched(ha):
    """A session with no set: no set shown, its own address, the same
    packet twice upstream passes twice."""
    d, rad = ha()
    lac, p, ip = link(d, "lac-solo", 21, user="solo", password="solopw")
    assert sets(d) == []
    assert "0 HA sets" in cli(d).cmd("show ha-set")
    tun = d.tun_addrs()[0].split("/")[0]
    rx = d.ns.socket()
    rx.bind(("0.0.0.0", 9999))
    rx.settimeout(3)
    pkt = ipv4_udp(ip, tun, 4444, 9999, b"twice")
    p.send(IP, pkt)
    p.send(IP, pkt)
    assert [rx.recvfrom(2000)[0] for _ in range(2)] == [b"twice"] * 2
    assert counters(d)["haset_dups_rx"] == 0


def test_static_rule_names_the_set(daemon):
    """`l2tp session ... address IP ha-set NAME`: without RADIUS, the
    rule's two sessions form one set on the rule's address (outside the
    pool: its own kernel route, which stays while a member is left)."""
    d = daemon({"debug": 4, "hostname": "lns-cli", "peer_address":
                "192.0.2.1", "ppp_restart_time": 1, "echo_timeout": 30},
               users=CLI_USERS,
               extra_lines=["l2tp session hauser hapw address 10.99.0.5 "
                            "ha-set static-1"])
    lac1, p1, ip1 = link(d, "lac-st-a", 31)
    lac2, p2, ip2 = link(d, "lac-st-b", 32)
    assert ip1 == ip2 == "10.99.0.5"
    s = sets(d)
    assert [(x["name"], x["ip"], len(x["members"])) for x in s] == \
        [("static-1", "10.99.0.5", 2)], s
    tx = d.ns.socket()
    tx.sendto(b"n%06d" % 5, ("10.99.0.5", 5555))
    for p in (p1, p2):
        f = p.expect(IP, timeout=5)
        assert f.payload[28:] == b"n000005"
    assert counters(d)["haset_copies_tx"] == 1

    def routed():
        return "10.99.0.5" in {r.get("dst") for r in d.ns.routes()
                               if r.get("dev") == d.tun}
    assert routed()
    send_cdn(lac1, p1)
    d.wait_for_log(r"ha-set static-1: the address goes to session \d+")
    assert routed()
    tx.sendto(b"n%06d" % 6, ("10.99.0.5", 5555))
    assert p2.expect(IP, timeout=5).payload[28:] == b"n000006"
    send_cdn(lac2, p2)
    d.wait_for_log(r"ha-set static-1: leaves \(0 members left\)")
    wait_until(lambda: not routed(), 3, "the route gone with the last")
    assert sets(d) == []
