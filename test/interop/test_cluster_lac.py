"""Clustering with a real LAC (issue 18): xl2tpd + pppd in the qemu guest
dial a two-node l2tpns cluster, and the master is SIGKILLed while the
session is up and the guest pings through it.

Topology: the guest's tap device is a port of a bridge in a switch
namespace; each node has its own namespace with a veth on the bridge
(10.98.0.11 and .12, the cluster's interface) and holds the shared
``bind_address`` (LNS_ADDR, the address the guest's xl2tpd dials) on it,
the manual's single-segment setup.  Node 1 starts alone and becomes
master; the guest dials and ARPs the shared address while node 1 is the
only holder, so its L2TP traffic goes to the master.  Node 2 joins then,
resyncs and follows.  During the guest's hold it pings our address
through ppp0 every 0.2 s (guest-init.sh's ``lac.pingrun``); the test
kills node 1 with SIGKILL.  Node 2 must take the session over (the
gratuitous ARP moves the guest's traffic to it) without pppd noticing:

* pppd negotiates once (no LCP Configure-Request after the kill, one IPCP up,
  the same address before and after), sees no Terminate and no echo
  timeout, and its LCP echoes are answered by the new master;
* the pings stop for no longer than the failover window
  (``cluster_hb_timeout`` plus a second, plus a second for the guest's
  ARP cache to follow the gratuitous ARP) and resume until the end;
* at the end of the hold pppd hangs up and the new master closes the
  session (the guest's CDN/StopCCN go to it, with the Ns it expects).
"""
import json
import re
import signal
import time

import pytest

from conftest import LNS_ADDR, TAP, wait_until
from test_real_lac import (BOOT_TIMEOUT, CLI_USERS, PASSWORD, POOL,
                           TUN_ADDR, USER, Cli, check_guest_hangs_up, count,
                           lines, lns_config, session_row, summary)

HB_INTERVAL = 2         # tenths
HB_TIMEOUT = 10         # tenths: 1 s
PING_INTERVAL = 0.2     # guest-init.sh's lac.pingrun
HOLD = 40               # seconds the guest keeps the session after its pings
NODES = {1: "10.98.0.11", 2: "10.98.0.12"}


@pytest.fixture
def lan(netns):
    """The switch: a bridge (no multicast snooping, so the cluster's
    group reaches every port) with the guest's tap as a port.  It replaces
    conftest's ``lan`` (a namespace where the LNS holds the tap)."""
    ns = netns()
    ns.ip("link", "add", "br0", "type", "bridge", "mcast_snooping", "0")
    ns.ip("link", "set", "br0", "up")
    ns.ip("tuntap", "add", "dev", TAP, "mode", "tap")
    ns.ip("link", "set", TAP, "master", "br0")
    ns.ip("link", "set", TAP, "up")
    return ns


def start_node(i, netns, daemon, lan, tmp_path):
    ns = netns()
    addr = NODES[i]
    ifname, sw = netns.veth(ns, lan, f"{addr}/24", None)
    lan.ip("link", "set", sw, "master", "br0")
    ns.ip("addr", "add", f"{LNS_ADDR}/32", "dev", ifname)
    config = lns_config(tmp_path / f"subscribers{i}", echo_timeout=2,
                        cluster_interface=ifname,
                        cluster_hb_interval=HB_INTERVAL,
                        cluster_hb_timeout=HB_TIMEOUT,
                        cluster_key="interop-cluster-key")
    d = daemon(config, ns=ns, users=CLI_USERS, ip_pool=POOL + "\n")
    d.addr = addr
    d.ifname = ifname
    return d


def status(cli):
    m = re.search(r"^Cluster status : (\w+)", cli.cmd("show cluster"), re.M)
    return m and m.group(1)


def test_real_lac_keeps_session_and_ping_through_master_kill(
        netns, daemon, lan, guests, tmp_path):
    n1 = start_node(1, netns, daemon, lan, tmp_path)
    n1.wait_for_log(r"cluster: I am the master now", timeout=10)
    g = guests({"auth": "pap", "user": USER, "pass": PASSWORD, "echo": 2,
                "hold": HOLD, "pingrun": "yes"})
    extra = []
    clis = []
    try:
        ev, rest = g.wait_for(["UP", "FAIL"], BOOT_TIMEOUT)
        assert ev == "UP", f"no session: {rest}"
        ip = g.pppd_view()["local"]
        assert g.pppd_view()["remote"] == TUN_ADDR
        g.wait_for("HOLD", 30)

        # Node 2 joins now: it resyncs the session and follows.
        n2 = start_node(2, netns, daemon, lan, tmp_path)
        c1 = Cli(n1).login()
        c2 = Cli(n2).login()
        clis += [c1, c2]
        wait_until(lambda: status(c2) == "Slave" and
                   "Uptodate       : Yes" in c2.cmd("show cluster"), 10,
                   "node 2 up to date")
        row = wait_until(lambda: session_row(c2, USER, ip), 5,
                         "the session replicated to node 2")
        extra.append("node 2 before the kill: " + " ".join(row))
        assert status(c1) == "Master"
        time.sleep(3)       # pings flowing through the master
        # The guest's L2TP goes to node 1 (it was the only holder of the
        # shared address when the guest resolved it): node 2 received
        # nothing to forward.
        st2 = json.loads(c2.cmd("show cluster json"))
        assert st2["forwarded"] == 0, st2
        confreqs = count(g, r"^rcvd \[LCP ConfReq")
        echo_replies = count(g, r"^rcvd \[LCP EchoRep")
        mark = n2.log_mark()
        t_kill = time.monotonic()
        n1.stop(sig=signal.SIGKILL)
        m = n2.wait_for_log(r"cluster: I am the master now \((\d+) "
                            r"sessions, (\d+) tunnels inherited\)",
                            timeout=5, since=mark)
        took = time.monotonic() - t_kill
        extra.append(f"node 2 master {took:.2f} s after the kill: "
                     f"{m.group(0)}")
        assert m.groups() == ("1", "1")
        assert took <= HB_TIMEOUT / 10 + 1.0, took
        n2.wait_for_log(rf"gratuitous ARP sent for {re.escape(LNS_ADDR)}",
                        timeout=2, since=mark)
        row = session_row(c2, USER, ip)
        assert row, c2.cmd("show session")
        extra.append("node 2 after the kill: " + " ".join(row))

        check_guest_hangs_up(g, HOLD + 60)
    finally:
        for c in clis:
            c.close()
        summary("cluster master kill under a real LAC", g, n1, extra)

    # pppd kept its link: one negotiation, no Terminate, no echo timeout,
    # the same address, and its echoes answered after the kill too.
    assert count(g, r"^rcvd \[LCP ConfReq") == confreqs
    assert len(lines(g, r"@@LAC \S+ IPUP ")) == 1
    assert g.pppd_view()["local"] == ip
    assert not lines(g, r"^rcvd \[LCP TermReq")
    assert not lines(g, r"No response to \d+ echo-requests")
    assert count(g, r"^rcvd \[LCP EchoRep") > echo_replies

    # The pings: answered before and after, one gap at most the failover
    # window (detection, cluster_hb_timeout + 1 s, and a second for the
    # guest's ARP entry to follow the gratuitous ARP).
    pr = dict(kv.split("=") for kv in g.mark("PINGRUN").split())
    sent, got, gap, last = (int(pr[k]) for k in
                            ("sent", "received", "maxgap", "last"))
    window = HB_TIMEOUT / 10 + 1.0 + 1.0
    print(f"pings during the hold: {sent} sent, {got} answered, longest "
          f"gap {gap} ({gap * PING_INTERVAL:.1f} s), window {window} s")
    assert gap >= 1, "no ping lost: the kill did not hit the pinged path"
    assert gap * PING_INTERVAL <= window, pr
    assert got >= sent - gap - 1, pr     # one gap, the failover's
    assert last >= sent - 1, pr           # answered to the end

    # The new master handled the guest's hang-up.
    n2.wait_for_log(rf"session {USER} closed: ", since=mark)
    assert n2.running()
    # (make interop also runs with the SAN=1 build)
    for d in (n1, n2):
        assert not re.search(r"Sanitizer|runtime error:", d.stderr()), \
            f"{d.name} reported:\n{d.stderr()}"
