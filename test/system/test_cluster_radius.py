"""Clustering and RADIUS (cluster.c, radius.c): a real FreeRADIUS on the
cluster's segment records the accounting of sessions brought up through
a slave, across a SIGKILL of the master.

Checked in FreeRADIUS's detail file (Packet-Src-IP-Address says which
node sent each record): exactly one Start and one Stop per session, the
Stop and the interims after the failover from the new master with the
same Acct-Session-Id and Class, counters that include the traffic the
old master counted, and a session time from the first Start.  Checked
in state and on the wire: the new master routes the inherited session's
Framed-Route (the slave did not), throttles it (the autothrottle rate
from the Access-Accept), and a session inherited while still in LCP is
negotiated again and then accounted once.
"""
import json
import re
import socket
import struct
import time

from clusterhelp import lac_call
from conftest import wait_until
from l2tpwire import Lac, avp, A_MSGTYPE, A_RESULT, A_SESSION_ID, CDN
from nsctlhelp import plugin_dir
from pppwire import (CONFACK, CONFREQ, IP, LCP, TERMACK, TERMREQ,
                     Ppp, ipv4_udp, opt)
from test_cluster import (HB_TIMEOUT, NET, cluster,  # noqa: F401
                          wait_follows, wait_master)
from test_ipv6 import (FAR, ipv6cp_up, next_ra, prefix_both_ways,
                       six_routes)
from test_radius import RADIUSD_CONF, SECRET, FreeRadius, dae_packet

RADIUS_ADDR = f"{NET}.60"
V6_PREFIX = "2001:db8:1:7::/64"
PD = "2001:db8:aa00::/56"
V6_USERS = """
gwen	Cleartext-Password := "pw7"
	Delegated-IPv6-Prefix = 2001:db8:aa00::/56
"""
ROUTE = "203.0.113.0/28"

USERS = """\
alice	Cleartext-Password := "secret"
	Framed-IP-Address = 198.51.100.40,
	Class = "class-alice",
	Acct-Interim-Interval = 2,
	Framed-Route = "203.0.113.0/28 0.0.0.0 1",
	Cisco-AVPair += "throttle=64"

bob	Cleartext-Password := "pw2"
	Framed-IP-Address = 198.51.100.41,
	Class = "class-bob",
	Acct-Interim-Interval = 2

dave	Cleartext-Password := "pw4"
	Framed-IP-Address = 198.51.100.42,
	Acct-Interim-Interval = 2
"""


def radius_on_segment(cl, netns, tmp_path, users=USERS):
    """FreeRADIUS in its own namespace on the cluster's bridge, taking
    requests from every node."""
    ns = netns()
    cl.attach(ns, RADIUS_ADDR)
    rad = FreeRadius(ns, tmp_path / "radius", users=users)
    conf = RADIUSD_CONF.replace("ipaddr = 127.0.0.1", f"ipaddr = "
                                f"{RADIUS_ADDR}").replace(
        "ipaddr = 127.0.0.0/8", f"ipaddr = {NET}.0/24").replace(
        'header = "%t"', 'header = "%t"\n\t\tlog_packet_header = yes')
    (rad.dir / "radiusd.conf").write_text(conf.format(
        dir=rad.dir, secret=SECRET, auth=1812, acct=1813))
    return rad.start()


def node_cfg(plugins):
    return {"primary_radius": RADIUS_ADDR, "primary_radius_port": 1812,
            "radius_secret": SECRET,
            "radius_accounting": True, "radius_timeout": 1,
            "peer_address": "192.0.2.1", "ppp_restart_time": 1,
            "plugin_dir": plugins, "echo_timeout": 1}


def records(rad, acct_id):
    return [r for r in rad.records() if r.get("Acct-Session-Id") == acct_id]


def drain(lac):
    try:
        while True:
            lac.recv_any(timeout=0.3)
    except socket.timeout:
        pass


def sessions(cl, d):
    return {s["user"]: s for s in json.loads(
        cl.cli(d).cmd("show session json"))["sessions"]}


def test_accounting_routes_throttle_across_master_kill(cluster, netns,
                                                      tmp_path):
    cl = cluster
    rad = radius_on_segment(cl, netns, tmp_path)
    extra = ["load plugin autothrottle"]
    # One copy of the plugins for both (copying over a loaded .so
    # would change it under the first node).
    plugins = str(plugin_dir(tmp_path))
    n1 = cl.node(1, extra_lines=extra, **node_cfg(plugins))
    n2 = cl.node(2, extra_lines=extra, **node_cfg(plugins))
    wait_master(cl, n1, timeout=6)
    wait_follows(cl, n2, n1)

    # Three LACs talk to the slave, which forwards to the master.
    lacns = netns()
    cl.attach(lacns, f"{NET}.50")
    lacs, ppps = {}, {}
    for i, user in enumerate(("alice", "bob", "dave")):
        lac = lacns.run_in(Lac, n2.addr)
        lac.our_tid = 6000 + i
        lac.open_tunnel(host=f"lac-{user}")
        sid = lac.open_session(our_sid=70 + i, calling=f"0207946012{i}")
        lacs[user] = lac
        ppps[user] = Ppp(lac, sid, 70 + i)
    ip_a = ppps["alice"].up("alice", "secret")[0]
    ip_b = ppps["bob"].up("bob", "pw2")[0]
    assert (ip_a, ip_b) == ("198.51.100.40", "198.51.100.41")
    # dave stops after LCP: inherited while negotiating.
    ppps["dave"].lcp_up()

    start_a = rad.wait_record("Start", User_Name="alice")
    start_b = rad.wait_record("Start", User_Name="bob")
    aid, bid = start_a["Acct-Session-Id"], start_b["Acct-Session-Id"]
    assert start_a["Packet-Src-IP-Address"] == n1.addr
    assert start_a["Class"] == "0x" + b"class-alice".hex()
    # The old master's interims.
    rad.wait_record("Interim-Update", Acct_Session_Id=aid,
                    Packet_Src_IP_Address=n1.addr)

    # Upstream traffic counted by the master, replicated to the slave.
    pa = ppps["alice"]
    sent = 0
    for i in range(4):
        pkt = ipv4_udp(ip_a, "192.0.2.200", 5000, 7000, b"x" * (100 + i))
        pa.send(IP, pkt)
        sent += len(pkt)
    wait_until(lambda: sessions(cl, n2)["alice"]["packets_in"] == 4, 5,
               "alice's counters on the slave")
    # Both route the Framed-Route: an up-to-date slave carries traffic
    # too, forwarding it to the master.
    def kroute(d):
        return [r for r in d.ns.routes() if r.get("dst") == ROUTE]
    assert kroute(n1)
    wait_until(lambda: kroute(n2), 3, "the Framed-Route on the slave")
    fwd = cl.state(n2)["forwarded"]
    so = n2.ns.socket()
    so.sendto(b"via the slave", ("203.0.113.5", 9))
    so.close()
    f = pa.expect(IP, timeout=3)
    assert f.payload.endswith(b"via the slave"), f
    assert socket.inet_ntoa(f.payload[16:20]) == "203.0.113.5"
    assert cl.state(n2)["forwarded"] > fwd

    # SIGKILL the master.
    mark = n2.log_mark()
    t_kill = time.time()
    n1.stop(sig=9)
    n2.wait_for_log(r"cluster: I am the master now \(3 sessions, 3 "
                    r"tunnels inherited\)", timeout=HB_TIMEOUT / 10 + 3,
                    since=mark)
    for lac in lacs.values():
        drain(lac)

    # Framed-Route and throttle carried over.
    wait_until(lambda: kroute(n2), 3, "the Framed-Route on the new master")
    assert [r.get("dev") for r in kroute(n2)] == [n2.tun]
    s_a = sessions(cl, n2)["alice"]
    assert (s_a["rate_in"], s_a["rate_out"]) == (64, 64), s_a

    # Interims from the new master, same id and Class, counters that
    # include what the old master counted.
    def new_interim():
        rs = [r for r in records(rad, aid)
              if r["Acct-Status-Type"] == "Interim-Update" and
              r["Packet-Src-IP-Address"] == n2.addr]
        return rs[-1] if rs else None
    im = wait_until(new_interim, 5, "an interim from the new master")
    assert im["Class"] == start_a["Class"]
    assert int(im["Acct-Input-Packets"]) >= 4
    assert int(im["Acct-Input-Octets"]) >= sent

    # The throttle works on the new master: a burst above 64 kbit/s to
    # alice is queued or dropped, counted.
    def tbf():
        c = json.loads(cl.cli(n2).cmd("show counters json"))
        return c["tbf_delayed"] + c["tbf_dropped"]
    before = tbf()
    so = n2.ns.socket()
    for _ in range(40):
        so.sendto(b"z" * 1000, (ip_a, 9))
    so.close()
    wait_until(lambda: tbf() >= before + 10, 3, "alice's downstream "
               "throttled by the new master")

    # More upstream through the new master.
    for i in range(2):
        pkt = ipv4_udp(ip_a, "192.0.2.200", 5000, 7000, b"y" * 50)
        pa.send(IP, pkt)
        sent += len(pkt)
    wait_until(lambda: sessions(cl, n2)["alice"]["packets_in"] == 6, 3,
               "alice's upstream on the new master")

    # dave: PPP starts again from the new master; he negotiates again,
    # then gets accounted (one Start, from the new master).
    pd = ppps["dave"]
    # The new master's Configure-Requests came every restart interval
    # since the takeover: answer the one that comes next (acking an
    # older one too would restart LCP again, RFC 1661 Opened/RCA).
    drain(lacs["dave"])
    f = pd.expect(LCP, CONFREQ, timeout=3)
    rid = pd.next_id()
    pd.send_cp(LCP, CONFREQ, rid, opt(5, struct.pack("!I", pd.magic)))
    pd.send_cp(LCP, CONFACK, f.id, f.data)
    while True:
        g = pd.expect(LCP, timeout=3)
        if g.code == CONFACK and g.id == rid:
            break
    code, msg = pd.pap("dave", "pw4", timeout=5)
    assert code == 2, msg
    assert pd.ipcp_up()[0] == "198.51.100.42"
    start_d = rad.wait_record("Start", User_Name="dave")
    assert start_d["Packet-Src-IP-Address"] == n2.addr

    # alice hangs up; bob's LAC clears the call.
    pa.send_cp(LCP, TERMREQ, 0x31, b"bye")
    pa.expect(LCP, TERMACK, timeout=5)
    lb = lacs["bob"]
    lb.send(avp(A_MSGTYPE, CDN) + avp(A_RESULT, struct.pack("!HH", 1, 0)) +
            avp(A_SESSION_ID, 71), sid=ppps["bob"].sid)
    stop_a = rad.wait_record("Stop", Acct_Session_Id=aid)
    stop_b = rad.wait_record("Stop", Acct_Session_Id=bid)
    for st in (stop_a, stop_b):
        assert st["Packet-Src-IP-Address"] == n2.addr
    assert stop_a["Class"] == start_a["Class"]
    assert stop_b["Class"] == "0x" + b"class-bob".hex()
    assert stop_a["Acct-Input-Packets"] == "6"
    assert stop_a["Acct-Input-Octets"] == str(sent)
    assert int(stop_a["Acct-Session-Time"]) >= int(time.time() - t_kill)
    time.sleep(1)
    for sid_ in (aid, bid):
        kinds = [r["Acct-Status-Type"] for r in records(rad, sid_)]
        assert kinds.count("Start") == 1 and kinds.count("Stop") == 1, kinds
        assert kinds[0] == "Start" and kinds[-1] == "Stop", kinds
    # dave was never accounted by the old master, once by the new one.
    assert [r["Acct-Status-Type"] for r in rad.records()
            if r.get("User-Name") == "dave"].count("Start") == 1
    assert re.search(r"inherited while negotiating", n2.log_text(mark))


def test_dae_request_to_a_slave_handled_by_the_master(cluster, netns,
                                                      tmp_path):
    """A Disconnect-Request that reaches a slave is forwarded to the
    master, which ends the session, answers ACK from its DAE socket and
    sends the one Stop."""
    cl = cluster
    rad = radius_on_segment(cl, netns, tmp_path)
    plugins = str(plugin_dir(tmp_path))
    n1 = cl.node(1, **node_cfg(plugins))
    n2 = cl.node(2, **node_cfg(plugins))
    wait_master(cl, n1, timeout=6)
    wait_follows(cl, n2, n1)
    lac, p = lac_call(cl, netns, n2, "lac-bob", 71)
    assert p.up("bob", "pw2")[0] == "198.51.100.41"
    start = rad.wait_record("Start", User_Name="bob")
    wait_until(lambda: "bob" in sessions(cl, n2), 3, "bob on the slave")

    def ask():
        so = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        so.bind((RADIUS_ADDR, 0))
        so.settimeout(3)
        attrs = b"\x01\x05bob" + struct.pack("!BBI", 55, 6, int(time.time()))
        so.sendto(dae_packet(40, attrs, SECRET.encode()), (n2.addr, 3799))
        try:
            return so.recvfrom(4096)
        finally:
            so.close()
    fwd = cl.state(n2)["forwarded"]
    reply, src = rad.ns.run_in(ask)
    assert reply[0] == 41, reply.hex()        # Disconnect-ACK
    assert src[0] == n1.addr                  # from the master
    assert cl.state(n2)["forwarded"] > fwd
    stop = rad.wait_record("Stop", Acct_Session_Id=start["Acct-Session-Id"])
    assert stop["Acct-Terminate-Cause"] == "Admin-Reset"
    assert stop["Packet-Src-IP-Address"] == n1.addr
    wait_until(lambda: "bob" not in sessions(cl, n1), 5, "bob gone")
    n2.assert_not_logged(r"RADIUS Disconnect-Request from .* refused")


def test_ipv6_prefix_carried_by_slave_and_new_master(cluster, netns,
                                                     tmp_path):
    """A session's delegated IPv6 prefix: routed on the slave too (what
    reaches it is forwarded), and after a master SIGKILL the new master
    has IPV6CP Opened for it, sends it Router Advertisements and routes
    the prefix both ways; the route goes when the session ends."""
    cl = cluster
    radius_on_segment(cl, netns, tmp_path, users=USERS + V6_USERS)
    v6 = {"ipv6_prefix": V6_PREFIX}
    plugins = str(plugin_dir(tmp_path))
    n1 = cl.node(1, **node_cfg(plugins), **v6)
    n2 = cl.node(2, **node_cfg(plugins), **v6)
    wait_master(cl, n1, timeout=6)
    wait_follows(cl, n2, n1)
    lac, p = lac_call(cl, netns, n2, "lac-gwen", 73)
    ip = p.up("gwen", "pw7")[0]
    ipv6cp_up(p, ip)
    next_ra(p)
    for d in (n1, n2):
        wait_until(lambda: six_routes(d).get(PD) == d.tun, 5,
                   f"the delegated prefix routed on {d.name}")
    n2.ns.ip("-6", "addr", "add", f"{FAR}/128", "dev", "lo")
    rx = n2.ns.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    rx.bind((FAR, 7777))
    rx.settimeout(3)

    mark = n2.log_mark()
    n1.stop(sig=9)
    n2.wait_for_log(r"cluster: I am the master now", timeout=5, since=mark)
    n2.wait_for_log(r"IPv6 prefix 2001:db8:aa00::/56 routed to the "
                    r"session", since=mark)
    # An RA from the new master, sent when it takes IPV6CP over.
    ra = next_ra(p, timeout=5)
    assert ra.prefix()[0] == V6_PREFIX
    assert six_routes(n2).get(PD) == n2.tun
    prefix_both_ways(n2.ns, p, rx, "2001:db8:aa00:12::5")
    # The session ends: the route goes.
    lac.send(avp(A_MSGTYPE, CDN) + avp(A_RESULT, struct.pack("!HH", 1, 0)) +
             avp(A_SESSION_ID, 73), sid=p.sid)
    wait_until(lambda: PD not in six_routes(n2), 5,
               "the delegated prefix's route removed")
