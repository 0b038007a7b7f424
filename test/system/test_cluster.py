"""Clustering (cluster.c): two and three real daemons, each in its own
network namespace, joined by a Linux bridge in a switch namespace the
test creates (multicast snooping off, so the group reaches every port).

Checked on the wire and in state: one master is elected (the longest
running node), a SIGKILLed master is replaced within cluster_hb_timeout
plus a second, a healed partition leaves exactly one master, forged,
replayed, truncated and wrong-version datagrams sent from Python are each
dropped and counted (read through "show cluster json"), and a session
brought up through a slave (which forwards the L2TP datagrams to the
master) is replicated to the slave's tables and pool, so that after a
failover the new master never hands its address out again.
"""
import hmac
import hashlib
import json
import re
import socket
import struct
import subprocess
import time
from pathlib import Path

import pytest

from conftest import wait_until
from l2tpwire import (Lac, avp, get, u32, A_CALLED, A_FRAMING_TYPE,
                      A_MSGTYPE, A_RESULT, A_SERIAL, A_SESSION_ID,
                      A_TX_SPEED, CDN, HELLO, ICCN, ICRP, ICRQ, STOPCCN)
from nsctlhelp import nsctl, plugin_dir
from pppwire import ECHOREQ, IP, LCP, Ppp, ipv4_udp
from test_cli import USERS, Cli

GROUP = "239.192.13.13"
PORT = 32792
NET = "10.99.0"
HB_INTERVAL = 2         # tenths
HB_TIMEOUT = 10         # tenths: 1 s
KEY = "s3cret-cluster-key"
SUBSCRIBERS = "alice secret\nbob pw2\n"
MAGIC = 0x4c32434c
LACSIM = Path(__file__).resolve().parents[2] / "test" / "lacsim" / "lacsim"


class Cluster:
    """A switch namespace with a bridge, and nodes attached to it."""

    def __init__(self, netns, daemon, clis, tmp_path):
        self.netns = netns
        self.daemon = daemon
        self.clis = clis
        self.tmp_path = tmp_path
        self.sw = netns()
        self.sw.ip("link", "add", "br0", "type", "bridge", "mcast_snooping",
                   "0")
        self.sw.ip("link", "set", "br0", "up")
        self.nodes = []         # (daemon, address, switch-side veth)
        self.ports = {}

    def attach(self, ns, addr):
        """Connect namespace ``ns`` to the bridge with address ``addr``;
        returns (its interface, the switch-side interface)."""
        a, b = self.netns.veth(ns, self.sw, f"{addr}/24", None)
        self.sw.ip("link", "set", b, "master", "br0")
        self.ports[addr] = b
        return a, b

    def node(self, i, key=None, vip=None, extra_lines=(),
             subscribers=SUBSCRIBERS, ip_pool=None, users=None, **extra):
        ns = self.netns()
        addr = f"{NET}.{i}"
        ifname, _ = self.attach(ns, addr)
        if vip:
            # The single-segment setup: every node holds bind_address.
            ns.ip("addr", "add", f"{vip}/32", "dev", ifname)
            extra["bind_address"] = vip
        subs = self.tmp_path / f"subscribers{i}"
        subs.write_text(subscribers)
        cfg = {"hostname": "lns-cli", "cluster_interface": ifname,
               "cluster_hb_interval": HB_INTERVAL,
               "cluster_hb_timeout": HB_TIMEOUT,
               "local_auth_file": str(subs), "debug": 3}
        if key:
            cfg["cluster_key"] = key
        cfg.update(extra)
        kw = {"ip_pool": ip_pool} if ip_pool else {}
        if users:
            kw["users"] = users
        d = self.daemon(cfg, ns=ns, extra_lines=extra_lines, **kw)
        d.addr = addr
        d.ifname = ifname
        d.cli = None
        self.nodes.append(d)
        return d

    def cli(self, d):
        if d.cli is None:
            d.cli = self.clis(d).login()
        return d.cli

    def state(self, d):
        return json.loads(self.cli(d).cmd("show cluster json"))

    def masters(self, nodes=None):
        return [d for d in (nodes or self.nodes)
                if d.running() and self.state(d)["status"] == "Master"]

    def partition(self, addr, cut):
        self.sw.ip("link", "set", self.ports[addr], "nomaster" if cut else
                   "master", *([] if cut else ["br0"]))


@pytest.fixture
def cluster(netns, daemon, tmp_path):
    opened = []

    def make_cli(d):
        c = Cli(d)
        opened.append(c)
        return c
    yield Cluster(netns, daemon, make_cli, tmp_path)
    for c in opened:
        c.close()


def wait_master(cl, d, timeout=5):
    wait_until(lambda: cl.state(d)["status"] == "Master", timeout,
               f"{d.name} to become master")


def wait_follows(cl, d, master, timeout=5):
    def ok():
        s = cl.state(d)
        return s["status"] == "Slave" and s["master"] == master.addr and \
            s["uptodate"]
    wait_until(ok, timeout, f"{d.name} up to date behind {master.addr}")



def two_nodes(cl, **kw):
    """Nodes 1 and 2 (kw to both): node 1 the master, node 2 up to date
    behind it; (n1, n2)."""
    n1 = cl.node(1, **kw)
    n2 = cl.node(2, **kw)
    wait_master(cl, n1, timeout=6)
    wait_follows(cl, n2, n1)
    return n1, n2


def node_mac(d):
    """Node d's MAC address on the cluster segment."""
    return d.ns.run(["cat", f"/sys/class/net/{d.ifname}/address"]
                    ).stdout.strip()


def pin_vip(ns, dev, vip, d):
    """Every node holds vip and answers ARP for it: the neighbour entry
    for vip in namespace ns (on dev) is made node d's MAC, permanent, so
    that the test chooses the node its packets go to."""
    ns.ip("neigh", "replace", vip, "lladdr", node_mac(d), "dev", dev, "nud",
          "permanent")


def lac_tunnel(cl, netns, addr, host):
    """A LAC in a namespace of its own on the segment (NET.50) with one
    tunnel (its hostname host) to the node at addr; (namespace, LAC)."""
    lacns = netns()
    cl.attach(lacns, f"{NET}.50")
    lac = lacns.run_in(Lac, addr)
    lac.open_tunnel(host=host)
    return lacns, lac


def lac_segment(cl, netns, vip, d):
    """A namespace for a LAC on the segment (NET.50) whose packets to vip
    go to node d; (namespace, its interface)."""
    lacns = netns()
    lacif, _ = cl.attach(lacns, f"{NET}.50")
    pin_vip(lacns, lacif, vip, d)
    return lacns, lacif

def show(cl, d):
    return cl.cli(d).cmd("show cluster")


# ---------------------------------------------------------------------------


def test_two_nodes_elect_and_fail_over(cluster):
    cl = cluster
    n1 = cl.node(1)
    n2 = cl.node(2)
    # The first started runs longest: it wins the first election.
    wait_master(cl, n1, timeout=HB_TIMEOUT / 10 + 5)
    wait_follows(cl, n2, n1)
    assert cl.masters() == [n1]
    # Without a key: forms anyway, warns once in the log.
    for d in (n1, n2):
        log = d.log_text()
        assert len(re.findall(r"no cluster_key set", log)) == 1, log

    text = show(cl, n2)
    assert "Cluster status : Slave" in text
    assert f"My master      : {n1.addr}" in text
    assert "Uptodate       : Yes" in text
    assert "Authentication : none (no cluster_key)" in text
    m = re.search(rf"^{re.escape(n1.addr)} +master +\d+s +[\d.]+s +Yes +0$",
                  text, re.M)
    assert m, text
    text = show(cl, n1)
    assert "Cluster status : Master" in text
    assert f"My master      : {n1.addr}" in text
    assert re.search(rf"^{re.escape(n2.addr)} +slave +\d+s +[\d.]+s +Yes ",
                     text, re.M), text
    s1 = cl.state(n1)
    [peer] = s1["peers"]
    assert peer["address"] == n2.addr and peer["role"] == "slave"
    assert peer["alive"] and peer["uptodate"] and peer["last_seen_ms"] < 1000
    assert s1["hb_seq"] > 0 and s1["elections"] == 1

    # SIGKILL of the master: the slave takes over within hb_timeout + 1 s.
    mark = n2.log_mark()
    t0 = time.monotonic()
    n1.stop(sig=9)
    n2.wait_for_log(r"cluster: I am the master now", timeout=5, since=mark)
    took = time.monotonic() - t0
    assert took <= HB_TIMEOUT / 10 + 1.0, took
    assert cl.state(n2)["status"] == "Master"
    assert "Cluster status : Master" in show(cl, n2)


def test_sigterm_master_goodbye_elects_at_once(cluster):
    cl = cluster
    n1, n2 = two_nodes(cl)
    mark = n2.log_mark()
    t0 = time.monotonic()
    n1.stop()           # TERM: a goodbye, no waiting for the timeout
    n2.wait_for_log(r"cluster: I am the master now", timeout=5, since=mark)
    assert time.monotonic() - t0 < HB_TIMEOUT / 10, "waited for the timeout"


def test_three_nodes_with_key_fail_over_and_heal(cluster):
    cl = cluster
    n1 = cl.node(1, key=KEY)
    n2 = cl.node(2, key=KEY)
    n3 = cl.node(3, key=KEY)
    wait_master(cl, n1, timeout=6)
    wait_follows(cl, n2, n1)
    wait_follows(cl, n3, n1)
    assert cl.masters() == [n1]
    assert "Authentication : HMAC-SHA-256 (cluster_key)" in show(cl, n3)
    assert len(cl.state(n1)["peers"]) == 2
    for d in (n1, n2, n3):
        d.assert_not_logged(r"no cluster_key set")
        assert sum(cl.state(d)["drops"].values()) == 0, cl.state(d)

    # The master dies: n2 (longer up than n3) takes over, n3 follows it.
    mark = n2.log_mark()
    t0 = time.monotonic()
    n1.stop(sig=9)
    n2.wait_for_log(r"cluster: I am the master now", timeout=5, since=mark)
    assert time.monotonic() - t0 <= HB_TIMEOUT / 10 + 1.0
    wait_follows(cl, n3, n2)
    assert cl.masters([n2, n3]) == [n2]

    # Partition n3 away: it elects itself; heal: exactly one master (n2,
    # the longer running), n3 steps down and resyncs.
    mark3 = n3.log_mark()
    cl.partition(n3.addr, cut=True)
    n3.wait_for_log(r"cluster: I am the master now", timeout=5, since=mark3)
    assert cl.masters([n2, n3]) == [n2, n3]
    cl.partition(n3.addr, cut=False)
    n3.wait_for_log(rf"cluster: {re.escape(n2.addr)} is a better master; "
                    r"stepping down", timeout=5, since=mark3)
    wait_follows(cl, n3, n2)
    assert cl.masters([n2, n3]) == [n2]
    assert n3.running()


# ---------------------------------------------------------------------------
# hostile datagrams


def hb_body(hb_seq):
    """A heartbeat body with no records (node info, sizes are not checked
    before the MAC)."""
    return struct.pack("!BBHIII", 1, 1, HB_INTERVAL, hb_seq, 0, 0) + \
        struct.pack("!HHHH", 0, 0, 0, 0)


def datagram(typ, sender, body, seq, epoch, key=None, version=3):
    total = 32 + len(body) + (32 if key else 0)
    h = struct.pack("!IBBBBHH4s4sQI", MAGIC, version, typ,
                    1 if key else 0, 0, total, 0, socket.inet_aton(sender),
                    socket.inet_aton("0.0.0.0"), epoch, seq)
    pkt = h + body
    if key:
        pkt += hmac.new(key.encode(), pkt, hashlib.sha256).digest()
    return pkt


def test_forged_replayed_truncated_dropped_and_counted(cluster, netns):
    cl = cluster
    n1, n2 = two_nodes(cl, key=KEY)

    # An outsider on the segment: it hears the group like any node.
    ext = netns()
    cl.attach(ext, f"{NET}.99")

    def listener():
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("", PORT))
        mreq = socket.inet_aton(GROUP) + socket.inet_aton(f"{NET}.99")
        s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
        s.settimeout(3)
        return s
    s = ext.run_in(listener)
    try:
        while True:
            pkt, src = s.recvfrom(65536)
            if src[0] == n1.addr and pkt[5] == 2:       # a heartbeat
                break
        assert pkt[6] == 1, "the heartbeat is not signed"
        assert hmac.compare_digest(
            hmac.new(KEY.encode(), pkt[:-32], hashlib.sha256).digest(),
            pkt[-32:]), "MAC is not HMAC-SHA-256 over the datagram"
        epoch, seq = struct.unpack_from("!QI", pkt, 20)

        def drops():
            return cl.state(n2)["drops"]
        before = drops()
        to = (n2.addr, PORT)

        def sent(reason, data):
            base = drops()[reason]
            s.sendto(data, to)
            wait_until(lambda: drops()[reason] == base + 1, 3,
                       f"{reason} counted")

        # Forged: a heartbeat claiming to be the master, with a wrong key
        # and sequence numbers that would be accepted.
        sent("forged", datagram(2, n1.addr, hb_body(10 ** 6), seq + 1000,
                                epoch, key="not-the-key"))
        # The same content, unsigned.
        sent("unsigned", datagram(2, n1.addr, hb_body(10 ** 6), seq + 1001,
                                  epoch))
        # Replayed: the genuine heartbeat, verbatim.
        sent("replayed", pkt)
        # Truncated: the genuine one, cut short.
        sent("truncated", pkt[:-10])
        # An unknown version.
        sent("bad_version", pkt[:4] + b"\x09" + pkt[5:])
        after = drops()
        changed = {k: after[k] - before[k] for k in after
                   if after[k] != before[k]}
        assert changed == {"forged": 1, "unsigned": 1, "replayed": 1,
                           "truncated": 1, "bad_version": 1}, changed
        text = show(cl, n2)
        assert re.search(r"Dropped +: truncated 1, bad_length 0, "
                         r"bad_magic 0, bad_version 1, bad_type 0, "
                         r"unsigned 1, forged 1, replayed 1,", text), text
        # None of it moved the slave.
        st = cl.state(n2)
        assert st["status"] == "Slave" and st["master"] == n1.addr
        assert st["uptodate"]
        assert n2.log_text().count("stepping down") == 0
    finally:
        s.close()


# ---------------------------------------------------------------------------
# replication


def test_session_through_slave_replicated_and_inherited(cluster, netns,
                                                       tmp_path):
    cl = cluster
    n1 = cl.node(1)
    n2 = cl.node(2, plugin_dir=str(plugin_dir(tmp_path)),
                 extra_lines=["load plugin testplugin"], echo_timeout=1,
                 users=USERS)
    wait_master(cl, n1, timeout=6)
    wait_follows(cl, n2, n1)

    # A LAC on the segment talks to the slave; the slave forwards every
    # L2TP datagram to the master, which answers from its own socket.
    lacns, lac = lac_tunnel(cl, netns, n2.addr, "lac-cluster")
    sid = lac.open_session(our_sid=77, calling="02079460123")
    p = Ppp(lac, sid, 77)
    ip = p.up("alice", "secret")[0]
    assert cl.state(n2)["forwarded"] > 0
    assert cl.state(n1)["forwards_received"] > 0

    def sessions(d):
        return json.loads(cl.cli(d).cmd("show session json"))["sessions"]
    [s1] = sessions(n1)
    assert (s1["user"], s1["ip"]) == ("alice", ip)

    # The slave has the same session at the same index, address included,
    # and its pool knows the address is taken.
    def replicated():
        ss = sessions(n2)
        return ss and [(s["sid"], s["user"], s["ip"]) for s in ss] == \
            [(s1["sid"], "alice", ip)]
    wait_until(replicated, 5, "the session on the slave")
    assert [t["hostname"] for t in json.loads(
        cl.cli(n2).cmd("show tunnel json"))["tunnels"]] == ["lac-cluster"]
    pool = cl.cli(n2).cmd("show pool")
    assert re.search(rf"^{re.escape(ip)} +Y +{s1['sid']} alice$", pool,
                     re.M), pool
    assert cl.state(n2)["records_applied"] >= 2

    # Traffic changes the byte counters without any hook: the heartbeats'
    # round-robin walk still brings them to the slave.
    for _ in range(3):
        p.send(IP, ipv4_udp(ip, "192.0.2.200", 5000, 7000, b"x" * 100))

    def packets_in(d):
        return [s["packets_in"] for s in sessions(d)]
    wait_until(lambda: packets_in(n1) == [3], 3, "3 packets on the master")
    wait_until(lambda: packets_in(n2) == [3], 3, "the counter on the slave")

    assert "master=0" in nsctl(n2.ns, "test_events", "testplugin",
                               check=0).stdout
    # A slave refuses actions on the master's sessions (its are replicas).
    c2 = cl.cli(n2).enable()
    assert c2.cmd(f"drop session {s1['sid']}") == \
        '% This server is a cluster slave: run "drop session" on the master'
    assert [s["user"] for s in sessions(n2)] == ["alice"]
    # Failover: the new master inherits the session and its address.
    mark = n2.log_mark()
    n1.stop(sig=9)
    m = n2.wait_for_log(r"cluster: I am the master now \((\d+) sessions, "
                        r"(\d+) tunnels inherited\)", timeout=5, since=mark)
    assert m.groups() == ("1", "1")
    # The plugin events of a new master, once, for the inherited session;
    # plugins saw iam_master 0 before, 1 now.
    events = [e for e in nsctl(n2.ns, "test_events", "testplugin",
                               check=0).stdout.splitlines()
              if "master" in e]
    assert events == ["control test_events argc=2 master=0",
                      "become_master",
                      f"new_session_master sid={s1['sid']}",
                      "control test_events argc=2 master=1"], events
    # The inherited session carries on: upstream and downstream through
    # the new master, which runs its LCP keepalive now.
    try:                        # what the old master sent, unread
        while True:
            lac.recv_any(timeout=0.3)
    except socket.timeout:
        pass
    n2.wait_for_log(r'session of "alice" \(' + re.escape(ip) +
                    r'\) taken over from the cluster', since=mark)
    for _ in range(2):
        p.send(IP, ipv4_udp(ip, "192.0.2.200", 5000, 7000, b"y" * 100))
    wait_until(lambda: [s["packets_in"] for s in sessions(n2)] == [5], 3,
               "alice's upstream packets counted by the new master")

    def downstream():
        so = n2.ns.socket()
        so.sendto(b"to alice after failover", (ip, 9))
        so.close()
    downstream()
    f = p.expect(IP, timeout=3)
    assert f.payload.endswith(b"to alice after failover"), f
    p.frames.clear()

    def echoed():
        try:
            p.recv(0.3)
        except TimeoutError:
            pass
        return any(fr.proto == LCP and fr.code == ECHOREQ
                   for fr in p.frames)
    wait_until(echoed, 4, "an LCP Echo-Request from the new master")

    # A new subscriber gets another address (the original would give it
    # the inherited one again).
    lac2 = lacns.run_in(Lac, n2.addr)
    lac2.our_tid = 5151
    lac2.open_tunnel(host="lac-cluster-2")
    sid2 = lac2.open_session(our_sid=78, calling="02079460124")
    ip2 = Ppp(lac2, sid2, 78).up("bob", "pw2")[0]
    assert ip2 != ip
    users = {s["user"]: s["ip"] for s in sessions(n2)}
    assert users == {"alice": ip, "bob": ip2}

    # The inherited tunnel carries on: the new master goes on from the
    # replicated Ns/Nr, which the LAC's next message confirms, and
    # acknowledges it (no StopCCN) ...
    mark = n2.log_mark()
    lac.send(avp(A_MSGTYPE, HELLO))
    zlb = lac.recv_any(timeout=2)
    assert zlb["type"] is None and not zlb["avps"], zlb
    assert zlb["nr"] == lac.ns
    n2.wait_for_log(rf"inherited tunnel with lac-cluster: replicated Ns "
                    rf"{lac.nr} Nr {lac.ns - 1} confirmed by its first "
                    rf"message", since=mark)
    # ... and a CDN for the inherited session frees it and its address.
    lac.send(avp(A_MSGTYPE, CDN) + avp(A_RESULT, struct.pack("!HH", 1, 0)) +
             avp(A_SESSION_ID, 77), sid=sid)
    wait_until(lambda: {s["user"] for s in sessions(n2)} == {"bob"}, 3,
               "alice's session freed")
    pool = cl.cli(n2).cmd("show pool")
    assert "1 in use" in pool and \
        not re.search(rf"^{re.escape(ip)} +Y ", pool, re.M), pool
    try:
        while True:
            m = lac.recv_any(timeout=0.5)
            assert m["type"] != STOPCCN, m
    except socket.timeout:
        pass


def test_late_joiner_resyncs_and_missed_heartbeats_are_resent(cluster,
                                                             netns):
    cl = cluster
    n1 = cl.node(1)
    wait_master(cl, n1, timeout=6)
    lacns, lac = lac_tunnel(cl, netns, n1.addr, "lac-early")
    sid = lac.open_session(our_sid=77, calling="02079460123")
    ip = Ppp(lac, sid, 77).up("alice", "secret")[0]

    # A node that joins later gets everything through a resync.
    n2 = cl.node(2)
    wait_follows(cl, n2, n1)
    st = cl.state(n2)
    assert st["resyncs"] == 1 and st["lag"] == 0
    assert [(s["user"], s["ip"]) for s in json.loads(
        cl.cli(n2).cmd("show session json"))["sessions"]] == [("alice", ip)]

    # Cut n2 off for less than the timeout while the master changes
    # state: the heartbeats it missed are asked for and resent.
    mark = n2.log_mark()
    hb = cl.state(n1)["hb_seq"]
    cl.partition(n2.addr, cut=True)
    t0 = time.monotonic()
    lac2 = lacns.run_in(Lac, n1.addr)
    lac2.our_tid = 5151
    lac2.open_tunnel(host="lac-during-cut")
    wait_until(lambda: cl.state(n1)["hb_seq"] >= hb + 2, 1,
               "two heartbeats sent during the cut")
    assert time.monotonic() - t0 < HB_TIMEOUT / 10 * 0.8, \
        "too slow: the cut would start an election"
    cl.partition(n2.addr, cut=False)
    n2.wait_for_log(r"cluster: asking the master for heartbeats after last "
                    r"seen", timeout=3, since=mark)

    def caught_up():
        tunnels = json.loads(cl.cli(n2).cmd("show tunnel json"))["tunnels"]
        return sorted(t["hostname"] for t in tunnels) == \
            ["lac-during-cut", "lac-early"]
    wait_until(caught_up, 3, "the tunnel opened during the cut on n2")
    st = cl.state(n2)
    assert st["status"] == "Slave" and st["uptodate"]
    assert st["resyncs"] == 1           # resent, not a full resync
    n2.assert_not_logged(r"I am the master now", since=mark)


def test_gratuitous_arp_from_the_elected_master(cluster, netns):
    vip = f"{NET}.100"
    cl = cluster
    ext = netns()
    ifname, _ = cl.attach(ext, f"{NET}.99")
    s = ext.run_in(socket.socket, socket.AF_PACKET, socket.SOCK_RAW,
                   socket.htons(0x0806))
    s.bind((ifname, 0x0806))
    s.settimeout(0.2)

    def garps(seconds):
        got = []
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            try:
                frame = s.recv(2048)
            except socket.timeout:
                continue
            spa = socket.inet_ntoa(frame[28:32])
            tpa = socket.inet_ntoa(frame[38:42])
            if spa == vip and tpa == vip:
                got.append(frame[6:12].hex(":"))
        return got

    n1, n2 = two_nodes(cl, vip=vip)
    # One announcement since the listener opened, from the master; the
    # slave never sends one.
    n1.wait_for_log(rf"gratuitous ARP sent for {re.escape(vip)}")
    assert garps(0.5) == [node_mac(n1)]
    n1.wait_for_log(rf"gratuitous ARP sent for {re.escape(vip)}")
    n2.assert_not_logged(r"gratuitous ARP sent")
    mark = n2.log_mark()
    n1.stop(sig=9)
    got = garps(HB_TIMEOUT / 10 + 1.5)
    assert got == [node_mac(n2)], (got, node_mac(n2))
    n2.wait_for_log(rf"gratuitous ARP sent for {re.escape(vip)}",
                    since=mark)


def test_1000_sessions_through_a_slave_on_every_node(cluster, netns):
    """lacsim brings 1,000 PPP sessions up through a slave (every
    datagram forwarded to the master, which answers from the shared
    bind_address); all three nodes hold them, with their addresses in
    the pool; after the master dies the new master inherits all of them
    and the third node resyncs them from it."""
    cl = cluster
    vip = f"{NET}.100"
    nodes = [cl.node(i, key=KEY, vip=vip, subscribers="* password\n",
                     ip_pool="10.200.0.0/22\n", debug=2)
             for i in (1, 2, 3)]
    n1, n2, n3 = nodes
    wait_master(cl, n1, timeout=6)
    wait_follows(cl, n2, n1)
    wait_follows(cl, n3, n1)
    lacns, _ = lac_segment(cl, netns, vip, n2)     # the LAC to a slave
    p = lacns.popen([str(LACSIM), "--lns", vip, "--json", "--ppp",
                     "--tunnels", 20, "--sessions", 50, "--max-pending", 100,
                     "--hold", 120, "--timeout", 90],
                    stdout=subprocess.PIPE, text=True)
    try:
        up = 0
        while up < 1000:
            line = p.stdout.readline()
            assert line, f"lacsim ended with {up} sessions up"
            ev = json.loads(line)
            assert ev["event"] not in ("done", "error"), ev
            up += ev["event"] == "ppp_up"

        def counts(d):
            c = json.loads(cl.cli(d).cmd("show counters json"))
            return c["sessions"], c["tunnels"]

        def pool_used(d):
            m = re.search(r"(\d+) in use", cl.cli(d).cmd("show pool"))
            return int(m.group(1))
        for d in nodes:
            wait_until(lambda: counts(d) == (1000, 20) and
                       pool_used(d) == 1000, 10,
                       f"1000 sessions and addresses on {d.name}")
        st = cl.state(n2)
        assert st["forwarded"] >= 1000 and st["uptodate"], st
        assert sum(cl.state(n3)["drops"].values()) == 0

        mark = n2.log_mark()
        n1.stop(sig=9)
        m = n2.wait_for_log(r"cluster: I am the master now \((\d+) "
                            r"sessions, (\d+) tunnels inherited\)",
                            timeout=5, since=mark)
        assert m.groups() == ("1000", "20")
        wait_follows(cl, n3, n2, timeout=10)
        assert counts(n3) == (1000, 20) and pool_used(n3) == 1000
        assert cl.state(n3)["resyncs"] == 2
    finally:
        p.send_signal(9)
        p.communicate(timeout=30)


def test_partitioned_master_that_took_sessions_over_exits_on_heal(cluster,
                                                                  netns):
    """A slave cut off from the master elects itself and takes the
    sessions over; when the partition heals it is the lower ranked
    master: its PPP and L2TP state for them cannot be handed back, so
    it exits (like TERM) to rejoin as a slave, and the first master
    keeps the session."""
    cl = cluster
    n1, n2 = two_nodes(cl)
    _, lac = lac_tunnel(cl, netns, n1.addr, "lac-heal")
    sid = lac.open_session(our_sid=77)
    Ppp(lac, sid, 77).up("alice", "secret")
    wait_until(lambda: "alice" in cl.cli(n2).cmd("show session"), 3,
               "alice on the slave")
    mark = n2.log_mark()
    cl.partition(n2.addr, cut=True)
    n2.wait_for_log(r"cluster: I am the master now \(1 sessions, 1 "
                    r"tunnels inherited\)", timeout=5, since=mark)
    cl.partition(n2.addr, cut=False)
    n2.wait_for_log(r"stepping down after setting up 0 and taking over 2 "
                    r"tunnels/sessions as master: exiting", timeout=5,
                    since=mark)
    wait_until(lambda: not n2.running(), 25, "the stepped-down node to exit")
    st = cl.state(n1)
    assert st["status"] == "Master"
    assert "alice" in cl.cli(n1).cmd("show session")


def test_unacknowledged_icrp_sent_again_by_the_new_master(cluster, netns):
    """The old master's unacknowledged control messages survive it
    (issue 18): the LAC's ICRQ is answered with an ICRP that the LAC
    does not acknowledge, the master is SIGKILLed, and the new master,
    from the replicated Ns/Nr and send queue of the tunnel, sends the
    same ICRP (same Ns, same session id) again at takeover (RFC 2661
    5.8); the LAC's ICCN, acknowledging it, is accepted with the
    replicated numbers, not numbers guessed from the LAC's message."""
    cl = cluster
    vip = f"{NET}.100"
    n1, n2 = two_nodes(cl, key=KEY, vip=vip)
    lacns, lacif = lac_segment(cl, netns, vip, n1)
    lac = lacns.run_in(Lac, vip)
    lac.open_tunnel(host="lac-unacked")

    def on_n2():
        tunnels = json.loads(cl.cli(n2).cmd("show tunnel json"))["tunnels"]
        return [t["hostname"] for t in tunnels] == ["lac-unacked"]
    wait_until(on_n2, 3, "the tunnel on n2")
    lac.send(avp(A_MSGTYPE, ICRQ) + avp(A_SESSION_ID, 88) +
             avp(A_SERIAL, u32(1)) + avp(A_CALLED, "lns"))
    rp = lac.recv()
    assert rp["type"] == ICRP, rp
    sid = get(rp, A_SESSION_ID)
    time.sleep(HB_INTERVAL / 10 * 3)    # replicated, still unacknowledged
    mark = n2.log_mark()
    n1.stop(sig=9)
    # What the old master sent (its own retransmissions) is drained: from
    # here on only the new master talks to the LAC.
    lac.sock.setblocking(False)
    try:
        while True:
            lac.sock.recv(4096)
    except BlockingIOError:
        pass
    lac.sock.settimeout(2)
    n2.wait_for_log(r"cluster: I am the master now", timeout=5, since=mark)
    again = lac.recv_any(timeout=HB_TIMEOUT / 10 + 2)
    assert again["type"] == ICRP, again
    assert again["ns"] == rp["ns"] and get(again, A_SESSION_ID) == sid
    assert again["tid"] == lac.our_tid
    n2.wait_for_log(r"cluster: 1 tunnels go on from their replicated "
                    r"Ns/Nr; 1 unacknowledged control messages sent again",
                    timeout=1, since=mark)

    # The LAC's ICCN acknowledges it and is accepted at once.
    pin_vip(lacns, lacif, vip, n2)
    lac.send(avp(A_MSGTYPE, ICCN) + avp(A_TX_SPEED, u32(10000000)) +
             avp(A_FRAMING_TYPE, u32(1)), sid=struct.unpack("!H", sid)[0])
    n2.wait_for_log(r"ICCN: call connected", timeout=3, since=mark)
    n2.wait_for_log(r"inherited tunnel with lac-unacked: replicated Ns "
                    rf"{(rp['ns'] + 1) & 0xffff} Nr {lac.ns - 1} confirmed",
                    timeout=1, since=mark)
    n2.assert_not_logged(r"taken from its first message", since=mark)


def test_interception_carries_on_at_the_new_master(cluster, netns):
    """An intercepted session (CLI ``snoop``) stays intercepted through a
    master kill (issue 18): its target is replicated with the session,
    and the new master sends the copies, both ways, from its own
    address, of the packets it handles from then on."""
    cl = cluster
    n1, n2 = two_nodes(cl, users=USERS)
    lacns = netns()
    target = f"{NET}.50"
    cl.attach(lacns, target)
    # The LAC talks to the slave, which forwards to the master; after the
    # kill the slave is the master and handles it itself.
    lac = lacns.run_in(Lac, n2.addr)
    lac.open_tunnel(host="lac-snoop")
    sid = lac.open_session(our_sid=77)
    p = Ppp(lac, sid, 77)
    ip = p.up("alice", "secret")[0]
    tap = lacns.socket()
    tap.bind((target, 40001))
    tap.settimeout(3)
    assert cl.cli(n1).enable().cmd(f"snoop alice {target} 40001") == \
        f"Snooping user alice to {target}:40001"
    wait_until(lambda: any(s["user"] == "alice" for s in json.loads(
        cl.cli(n2).cmd("show session json"))["sessions"]), 3,
        "alice on the slave")
    time.sleep(HB_INTERVAL / 10 * 3)    # the target in a heartbeat

    def copy_of(marker):
        while True:
            data, src = tap.recvfrom(4096)
            if data.endswith(marker):
                return src[0]

    p.send(IP, ipv4_udp(ip, "192.0.2.200", 5000, 7000, b"up-before"))
    assert copy_of(b"up-before") == n1.addr

    mark = n2.log_mark()
    n1.stop(sig=9)
    n2.wait_for_log(r"cluster: I am the master now \(1 sessions",
                    timeout=5, since=mark)
    p.send(IP, ipv4_udp(ip, "192.0.2.200", 5000, 7000, b"up-after"))
    assert copy_of(b"up-after") == n2.addr
    so = n2.ns.socket()
    so.sendto(b"down-after", (ip, 9))
    so.close()
    assert copy_of(b"down-after") == n2.addr
    tap.close()


def test_gardened_session_stays_in_the_garden_at_the_new_master(
        cluster, netns, tmp_path, monkeypatch):
    """A session in the walled garden (the garden plugin; a wrong
    password lets the subscriber in) stays there through a master kill
    (issue 18): the slave holds no rule for it while it follows, the new
    master adds the session's rule on new_session_master, and the
    subscriber's web request then reaches the portal, not the site it
    asked for."""
    from test_garden import (BUILD_GARDEN, PORTAL, POOL, SITE, accepted,
                             connect, idle, listener, user_rules)
    script = tmp_path / "build-garden"
    script.write_text(BUILD_GARDEN)
    monkeypatch.setenv("L2TPNS_BUILD_GARDEN", str(script))
    cl = cluster
    cfg = {"plugin_dir": str(plugin_dir(tmp_path)), "ppp_restart_time": 1,
           "debug": 4}
    n1, n2 = two_nodes(cl, extra_lines=["load plugin garden"], **cfg)
    # The web behind the node that will take over.
    srv = netns()
    netns.veth(n2.ns, srv, "203.0.113.1/24", [f"{PORTAL}/24", f"{SITE}/24"])
    n2.ns.run(["sysctl", "-qw", "net.ipv4.ip_forward=1"])
    srv.ip("route", "add", POOL, "via", "203.0.113.1")
    portal, site = listener(srv, PORTAL), listener(srv, SITE)

    _, lac = lac_tunnel(cl, netns, n2.addr, "lac-garden")
    sid = lac.open_session(our_sid=77)
    p = Ppp(lac, sid, 77)
    ip = p.up("alice", "wrong")[0]
    n1.wait_for_log(r'authentication of "alice" failed: let into the '
                    r'walled garden')
    want = [f"-A garden_users -s {ip}/32 -j garden"]
    wait_until(lambda: user_rules(n1) == want, 3, "the rule on the master")

    wait_until(lambda: "alice" in cl.cli(n2).cmd("show session"), 3,
               "alice on the slave")
    time.sleep(HB_INTERVAL / 10 * 3)
    assert user_rules(n2) == []          # a slave fences nothing

    mark = n2.log_mark()
    n1.stop(sig=9)
    n2.wait_for_log(r"cluster: I am the master now \(1 sessions",
                    timeout=5, since=mark)
    wait_until(lambda: user_rules(n2) == want, 3, "the rule on n2")
    try:                        # what the old master sent, unread
        while True:
            lac.recv_any(timeout=0.3)
    except socket.timeout:
        pass
    assert connect(p, ip, SITE, 40001) == SITE
    accepted(portal, ip, 40001)
    assert idle(site)


def test_relayed_session_survives_a_master_kill(cluster, netns, daemon,
                                                tmp_path):
    """A relayed call (setforward: the subscriber's call carried on to a
    far LNS through an outgoing tunnel of the cluster's) keeps passing
    traffic through a master kill: both halves and both tunnels are
    replicated, and the new master switches the data messages between
    them (issue 18)."""
    from test_relay import FAR_POOL, TUNNEL_PW, ping
    cl = cluster
    vip = f"{NET}.100"
    far_addr = f"{NET}.77"
    fwd = [f"setforward @far.example {far_addr} 1701 {TUNNEL_PW}"]
    n1, n2 = two_nodes(cl, key=KEY, vip=vip, extra_lines=fwd,
                       ppp_restart_time=1)
    farns = netns()
    cl.attach(farns, far_addr)
    auth = tmp_path / "far-subscribers"
    auth.write_text("bob@far.example pw-bob\n")
    auth.chmod(0o600)
    far = daemon({"debug": 4, "hostname": "far-lns",
                  "cli_bind_address": "127.0.0.1",
                  "l2tp_secret": TUNNEL_PW, "local_auth_file": str(auth),
                  "peer_address": "192.0.2.77"}, ns=farns,
                 ip_pool=FAR_POOL + "\n")
    lacns = netns()
    lacif, _ = cl.attach(lacns, f"{NET}.50")

    def pin(d):
        for ns, dev in ((lacns, lacif), (farns, None)):
            dev = dev or ns.run(["ip", "-o", "-4", "addr", "show", "to",
                                 far_addr]).stdout.split()[1]
            pin_vip(ns, dev, vip, d)
    pin(n1)
    lac = lacns.run_in(Lac, vip)
    lac.open_tunnel(host="lac-relay")
    sid = lac.open_session(our_sid=91)
    p = Ppp(lac, sid, 91)
    p.lcp_up()
    code, msg = p.pap("bob@far.example", "pw-bob", timeout=5)
    assert code == 2, msg
    ours = p.ipcp_up(dns=False)[0]
    n1.wait_for_log(r'relay: "bob@far.example" switched to LNS far-lns')
    assert ping(p, ours, far_addr, seq=1)[0] == far_addr
    wait_until(lambda: len(json.loads(cl.cli(n2).cmd(
        "show session json"))["sessions"]) == 2, 3,
        "both halves on the slave")
    time.sleep(HB_INTERVAL / 10 * 3)

    mark = n2.log_mark()
    n1.stop(sig=9)
    n2.wait_for_log(r"cluster: I am the master now \(2 sessions, 2 "
                    r"tunnels inherited\)", timeout=5, since=mark)
    pin(n2)
    try:                        # what the old master sent, unread
        while True:
            lac.recv_any(timeout=0.3)
    except socket.timeout:
        pass
    p.frames.clear()
    assert ping(p, ours, far_addr, seq=2)[0] == far_addr
    far.assert_not_logged(r"StopCCN|CDN")


def test_stale_replicated_numbers_taken_from_the_lacs_message(cluster,
                                                              netns):
    """The fallback of the replicated control channel: the slave is cut
    off, the LAC and the master exchange a HELLO it never hears of, the
    master is killed and the slave takes over with numbers one message
    behind.  The LAC's next message does not fit them: the new master
    drops what it had, takes Ns/Nr from that message (RFC 2661 5.8) and
    acknowledges it; the tunnel carries on (no StopCCN)."""
    cl = cluster
    vip = f"{NET}.100"
    n1, n2 = two_nodes(cl, key=KEY, vip=vip)
    lacns, lacif = lac_segment(cl, netns, vip, n1)

    def drain():
        try:
            while True:
                lac.recv_any(timeout=0.3)
        except socket.timeout:
            pass
    lac = lacns.run_in(Lac, vip)
    lac.open_tunnel(host="lac-stale")
    wait_until(lambda: [t["hostname"] for t in json.loads(
        cl.cli(n2).cmd("show tunnel json"))["tunnels"]] == ["lac-stale"], 3,
        "the tunnel on n2")
    time.sleep(HB_INTERVAL / 10 * 3)
    mark = n2.log_mark()
    cl.partition(n2.addr, cut=True)
    drain()                     # the SCCCN's acknowledgement
    lac.send(avp(A_MSGTYPE, HELLO))
    zlb = lac.recv_any(timeout=2)
    assert zlb["nr"] == lac.ns
    n1.stop(sig=9)
    n2.wait_for_log(r"cluster: I am the master now \(0 sessions, 1 "
                    r"tunnels inherited\)", timeout=5, since=mark)
    cl.partition(n2.addr, cut=False)
    pin_vip(lacns, lacif, vip, n2)
    lac.send(avp(A_MSGTYPE, HELLO))
    zlb = lac.recv_any(timeout=2)
    assert zlb["type"] is None and zlb["nr"] == lac.ns, zlb
    n2.wait_for_log(rf"inherited tunnel with lac-stale: its Ns {lac.ns - 1} "
                    rf"Nr {lac.nr} do not fit the replicated Ns {lac.nr} Nr "
                    rf"{lac.ns - 2}", timeout=1, since=mark)
    n2.wait_for_log(rf"inherited tunnel with lac-stale: Ns {lac.nr} Nr "
                    rf"{lac.ns - 1} taken from its first message", timeout=1,
                    since=mark)
    n2.assert_not_logged(r"StopCCN", since=mark)
