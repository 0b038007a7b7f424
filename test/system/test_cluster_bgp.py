"""Clustering and BGP (cluster.c's rule of who raises routes, bgp.c's
announcements): two nodes and a BIRD 2 router on one bridge, each in its
own namespace.

Checked at the router (birdc, and the kernel table BIRD exports to): an
up-to-date slave announces the pool, the master withdraws it once it
has cluster_master_min_adv (1) up-to-date slaves; downstream traffic
the router sends to the slave is forwarded to the master and reaches
the subscriber; when the master is killed the pool never leaves the
router (the slave that announced it becomes master and keeps it), and
the subscriber's traffic carries on; the killed node, restarted, joins
as a slave, announces only after its resync, and the master then
withdraws again.  With cluster_master_min_adv 0 the master keeps its
routes, and after a failover they come from the new master only.
"""
import re
import time

from clusterhelp import lac_call
from conftest import wait_until
from pppwire import IP
from test_bgp import LNS_AS, RTR_AS, Bird, routers  # noqa: F401
from test_cluster import HB_TIMEOUT, NET, cluster  # noqa: F401
from test_cluster import wait_follows, wait_master

POOL = "198.51.100.0/26"
RTR = f"{NET}.254"


def bgp_node(cl, i, **extra):
    return cl.node(i, ip_pool=f"{POOL}\n", subscribers="carol pw3\n",
                   bgp_connect_retry=1, ppp_restart_time=1,
                   extra_lines=["router bgp %d" % LNS_AS,
                                f" neighbour {RTR} remote-as {RTR_AS}",
                                f" neighbour {RTR} timers 2 6"], **extra)


def start_all(cl, netns, routers, tmp_path, **extra):
    rtr = netns()
    cl.attach(rtr, RTR)
    r = routers(Bird, rtr, tmp_path / "bird",
                {"lns1": f"{NET}.1", "lns2": f"{NET}.2"}).start()
    n1 = bgp_node(cl, 1, **extra)
    n2 = bgp_node(cl, 2, **extra)
    for d in (n1, n2):
        d.ns.run(["sysctl", "-q", "-w", "net.ipv4.ip_forward=1"])
    wait_master(cl, n1, timeout=6)
    wait_follows(cl, n2, n1)
    r.wait_established(n1.addr)
    r.wait_established(n2.addr)
    return rtr, r, n1, n2


def carol(cl, netns, via):
    lac, p = lac_call(cl, netns, via, "lac-carol", 77)
    return lac, p, p.up("carol", "pw3")[0]


def downstream(rtr, p, ip, text):
    so = rtr.socket()
    so.sendto(text, (ip, 9))
    so.close()
    f = p.expect(IP, timeout=3)
    assert f.payload.endswith(text), f


def pool_hops(rtr):
    rt = [r for r in rtr.routes() if r.get("dst") == POOL]
    if not rt:
        return []
    if "nexthops" in rt[0]:
        return sorted(h["gateway"] for h in rt[0]["nexthops"])
    return [rt[0].get("gateway")]


def test_slaves_announce_master_withdraws_failover_rejoin(cluster, netns,
                                                         routers, tmp_path):
    cl = cluster
    rtr, r, n1, n2 = start_all(cl, netns, routers, tmp_path)
    # Default cluster_master_min_adv 1: the slave announces, the master,
    # with one up-to-date slave, does not.
    r.wait_routes({POOL}, peer=n2.addr)
    r.wait_routes(set(), peer=n1.addr)
    n1.wait_for_log(r"cluster: dropping routes \(master, 1 up-to-date "
                    r"slave, cluster_master_min_adv 1\)")
    wait_until(lambda: pool_hops(rtr) == [n2.addr], 10,
               "the pool via the slave in the router's kernel")

    # A subscriber through the slave; the router sends its downstream
    # to the slave, which forwards it to the master.
    lac, p, ip = carol(cl, netns, n2)
    # (once the slave has it: the next heartbeat)
    wait_until(lambda: ip in cl.cli(n2).cmd("show session"), 3,
               "carol's session on the slave")
    fwd = cl.state(n2)["forwarded"]
    downstream(rtr, p, ip, b"through the slave")
    assert cl.state(n2)["forwarded"] > fwd

    # The master dies: the pool never leaves the router.
    mark = n2.log_mark()
    n1.cli.close()          # its CLI child would outlive it
    n1.cli = None
    n1.stop(sig=9)
    n2.wait_for_log(r"cluster: I am the master now", timeout=5, since=mark)
    end = time.monotonic() + 7      # past BIRD's hold time (6 s)
    while time.monotonic() < end:
        assert r.routes(peer=n2.addr) == {POOL}
        assert pool_hops(rtr) == [n2.addr]
        time.sleep(0.5)
    n2.assert_not_logged(r"cluster: dropping routes", since=mark)
    downstream(rtr, p, ip, b"from the new master")

    # The killed node comes back: a slave, resynced, then it announces,
    # and the master withdraws.
    mark1 = n1.log_mark()
    n1.start()
    wait_until(lambda: "0.0.0.0:23 " in n1.ns.run(["ss", "-ltn"]).stdout,
               5, "the restarted node's CLI")
    wait_follows(cl, n1, n2, timeout=10)
    r.wait_routes({POOL}, peer=n1.addr)
    r.wait_routes(set(), peer=n2.addr)
    log = n1.log_text(mark1)
    synced = log.index("cluster: resync from the master done")
    raised = log.index("cluster: raising routes (slave")
    assert synced < raised, log
    assert not re.search(r"raising routes", log[:synced]), log
    wait_until(lambda: pool_hops(rtr) == [n1.addr], 10,
               "the pool via the rejoined slave")
    downstream(rtr, p, ip, b"through the rejoined slave")


def test_min_adv_zero_master_keeps_routes_and_they_move(cluster, netns,
                                                       routers, tmp_path):
    cl = cluster
    rtr, r, n1, n2 = start_all(cl, netns, routers, tmp_path,
                           cluster_master_min_adv=0)
    # Both announce: the master keeps its routes.
    r.wait_routes({POOL}, peer=n1.addr)
    r.wait_routes({POOL}, peer=n2.addr)
    wait_until(lambda: pool_hops(rtr) == [n1.addr, n2.addr], 10,
               "the pool with two next hops")
    # The master dies: the routes now come from the new master only.
    mark = n2.log_mark()
    n1.stop(sig=9)
    n2.wait_for_log(r"cluster: I am the master now", timeout=5, since=mark)
    r.wait_routes(set(), peer=n1.addr, timeout=10)
    r.wait_routes({POOL}, peer=n2.addr)
    wait_until(lambda: pool_hops(rtr) == [n2.addr], 10,
               "the pool via the new master only")


def test_nodes_sharing_bind_address_have_distinct_bgp_identifiers(
        cluster, netns, routers, tmp_path):
    """The nodes of a cluster share bind_address (here the manual's
    single-segment setup, where every node holds it), but each sends its
    own address on the cluster interface as its BGP Identifier, so that
    no two speakers of one cluster share one (RFC 6286 2.1: unique within
    an AS for iBGP); before, both sent bind_address."""
    cl = cluster
    vip = f"{NET}.100"
    rtr, r, n1, n2 = start_all(cl, netns, routers, tmp_path, vip=vip)

    def neighbor_id(d):
        out = r.birdc("show", "protocols", "all", r.name_of(d.addr))
        m = re.search(r"Neighbor ID:\s+(\S+)", out)
        return m and m.group(1)
    assert neighbor_id(n1) == n1.addr
    assert neighbor_id(n2) == n2.addr
