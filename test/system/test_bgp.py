"""BGP (bgp.c) against real routers: BIRD 2 (bird2), FRR (frr's bgpd,
vtysh) and GoBGP (gobgpd), and a small Python speaker for the error
cases (RFC 4271, 4760, 6793, 2918, 4724, 7606).

Topology: the router in a namespace of its own, each LNS in another,
joined by veth pairs:

    router  10.0.N.1/24 fd00:N::1/64  ----  10.0.N.2/24 fd00:N::2/64  LNS N

Every LNS uses bind_address 10.0.N.2, AS 65001, short timers
(keepalive 2, hold 6) and bgp_connect_retry 1; the routers use AS
65000.  Subscribers come up through the scripted LAC of l2tpwire and
PPP of pppwire, authenticated by FreeRADIUS (for Framed-Route) or by
the local subscriber file.

Checked: each router reaches Established and shows exactly the pool
blocks (a lone address too), bind_address/32, ipv6_prefix and the live
Framed-Routes, a Framed-Route leaving with its session; with two LNS
nodes a multipath BIRD puts the pool in its kernel table with two next
hops; SIGKILL of the daemon (its FIN lost) takes the routes away after
the hold time, a restart brings them back, a router restart is
followed by a reconnect, and with graceful restart a daemon restart
keeps the routes at the router; suspend/no suspend/restart bgp and
show bgp [json] in the CLI; malformed OPENs and UPDATEs get the
NOTIFICATION RFC 4271 6 prescribes (RFC 7606 treat-as-withdraw where it
applies) while a subscriber keeps passing traffic, and messages split
across many TCP segments are read whole.
"""
import json
import re
import signal
import socket
import struct
import subprocess
import threading
import time

import pytest

from conftest import wait_until
from pppwire import LCP, TERMREQ, TERMACK, ECHOREQ, ECHOREP, ppp_call
from test_cli import Cli, ENABLE
from test_ipv6 import ipv6cp_up
from test_radius import FreeRadius, SECRET, AUTH_PORT, up as radius_up

HOST = "lns-cli"                # test_cli's PROMPT expects this hostname
LNS_AS, RTR_AS = 65001, 65000
POOL = "198.51.100.0/26"
LONE = "192.0.2.77"
IP_POOL = f"{POOL}\n{LONE}\n"
V6PFX = "2001:db8:100::/48"
USERS = f"admin:admin\nenable:{ENABLE}\n"
RADIUS_USERS = """\
alice	Cleartext-Password := "secret"
	Framed-Route = "203.0.113.0/28 0.0.0.0 1"

bob	Cleartext-Password := "pw2"
	Framed-Route = "203.0.113.64/27",
	Delegated-IPv6-Prefix = 2001:db8:aa00::/56
"""
PD = "2001:db8:aa00::/56"
SUBSCRIBERS = "carol pw3\n"


def lns_addr(n):
    return f"10.0.{n}.2"


def rtr_addr(n):
    return f"10.0.{n}.1"


def base_routes(n):
    """What LNS n announces with no session up."""
    return {POOL, f"{LONE}/32", f"{lns_addr(n)}/32"}


# ---------------------------------------------------------------------------
# topology and the daemon


def topology(netns, count=1):
    """The router's namespace and `count` LNS namespaces joined to it."""
    rtr = netns()
    lnss = []
    for n in range(1, count + 1):
        ns = netns()
        netns.veth(rtr, ns, [f"{rtr_addr(n)}/24", f"fd00:{n}::1/64"],
                   [f"{lns_addr(n)}/24", f"fd00:{n}::2/64"],
                   name_a=f"r{n}", name_b=f"l{n}")
        lnss.append(ns)
    return rtr, lnss


def lns_config(n, tmp_path, radius=False, **extra):
    cfg = {"hostname": HOST, "debug": 4, "bind_address": lns_addr(n),
           "ipv6_prefix": V6PFX, "nexthop6_address": f"fd00:{n}::2",
           "bgp_connect_retry": 1, "ppp_restart_time": 1}
    if radius:
        cfg.update({"primary_radius": "127.0.0.1",
                    "primary_radius_port": AUTH_PORT,
                    "radius_secret": SECRET, "radius_timeout": 1})
    else:
        subs = tmp_path / f"subscribers{n}"
        subs.write_text(SUBSCRIBERS)
        cfg["local_auth_file"] = str(subs)
    cfg.update(extra)
    return cfg


def bgp_lines(n, peer=None, timers=(2, 6)):
    peer = peer or rtr_addr(n)
    return ["router bgp %d" % LNS_AS,
            f" neighbour {peer} remote-as {RTR_AS}",
            f" neighbour {peer} timers {timers[0]} {timers[1]}"]


def start_lns(daemon, ns, n, tmp_path, radius=False, **extra):
    return daemon(lns_config(n, tmp_path, radius, **extra), ns=ns,
                  extra_lines=bgp_lines(n), users=USERS, ip_pool=IP_POOL)


def start_radius(ns, tmp_path):
    rad = FreeRadius(ns, tmp_path / "radius", users=RADIUS_USERS)
    # The daemon's RADIUS socket is bound to bind_address.
    conf = rad.dir / "radiusd.conf"
    conf.write_text(conf.read_text().replace("ipaddr = 127.0.0.0/8",
                                             "ipaddr = 0.0.0.0/0"))
    return rad.start()


def subscriber(d, n, user, password, radius=True, our_sid=77):
    """A PPP session up through LNS n: (lac, ppp, address)."""
    lac, p = ppp_call(d.ns, lns_addr(n), f"lac-{user}", our_sid)
    ip = radius_up(p, user, password)[0]
    return lac, p, ip


def hang_up(p):
    p.send_cp(LCP, TERMREQ, 0x31, b"bye")
    p.expect(LCP, TERMACK, timeout=5)
    p.cdn(timeout=6)


def echo(p, ident=0x42):
    """An LCP echo through the LNS: the subscriber's link still works."""
    p.send_cp(LCP, ECHOREQ, ident, struct.pack("!I", p.magic) + b"ping")
    f = p.expect(LCP, ECHOREP, timeout=3)
    assert f.id == ident


def cli_json(d, cmd):
    c = Cli(d)
    try:
        c.login()
        return json.loads(c.cmd(cmd))
    finally:
        c.close()


def cli_enabled(d):
    return Cli(d).login().enable()


# ---------------------------------------------------------------------------
# the routers


class Router:
    """Common part: a routing daemon in namespace ``ns``, its files in
    ``dir``."""

    def __init__(self, ns, directory):
        self.ns = ns
        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True)
        self.proc = None
        self.out = None

    def popen(self, argv):
        self.out = open(self.dir / "stdout", "ab")
        self.proc = self.ns.popen(argv, stdout=self.out,
                                  stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL)
        return self.proc

    def stop(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if self.out:
            self.out.close()
            self.out = None

    def wait_routes(self, want, peer=None, af=4, timeout=20):
        want = set(want)
        last = {}

        def check():
            last["r"] = self.routes(af, peer)
            return last["r"] == want
        try:
            wait_until(check, timeout, f"routes {sorted(want)}")
        except BaseException:
            raise AssertionError(f"router shows {sorted(last.get('r', []))}"
                                 f", expected {sorted(want)}")

    def wait_established(self, peer, timeout=20):
        wait_until(lambda: self.established(peer), timeout,
                   f"{type(self).__name__} session with {peer}")


class Bird(Router):
    CONF = """\
router id {rid};
log "{dir}/bird.log" all;
protocol device {{ scan time 1; }}
protocol kernel k4 {{
    ipv4 {{ export all; import none; }};
    merge paths on;
    learn off;
}}
protocol kernel k6 {{
    ipv6 {{ export all; import none; }};
    merge paths on;
}}
template bgp lns {{
    local as {asn};
    hold time 6;
    keepalive time 2;
    connect retry time 1;
    error wait time 1, 2;
    graceful restart {gr};
    ipv4 {{ import all; export none; }};
    ipv6 {{ import all; export none; }};
}}
{peers}
"""

    def __init__(self, ns, directory, peers, gr="aware"):
        super().__init__(ns, directory)
        self.peers = peers      # {name: address}
        self.sock = self.dir / "bird.ctl"
        body = "".join(f"protocol bgp {name} from lns {{ neighbor {addr} "
                       f"as {LNS_AS}; }}\n" for name, addr in peers.items())
        (self.dir / "bird.conf").write_text(self.CONF.format(
            rid=rtr_addr(1), dir=self.dir, asn=RTR_AS, peers=body, gr=gr))

    def start(self):
        self.popen(["bird", "-f", "-c", self.dir / "bird.conf", "-s",
                    self.sock, "-P", self.dir / "bird.pid"])
        wait_until(lambda: self.sock.exists(), 10, "bird's socket")
        return self

    def birdc(self, *args):
        return self.ns.run(["birdc", "-s", self.sock, *args]).stdout

    def name_of(self, addr):
        return next(n for n, a in self.peers.items() if a == addr)

    def established(self, addr):
        return "Established" in self.birdc("show", "protocols",
                                           self.name_of(addr))

    def routes(self, af=4, peer=None):
        args = ["show", "route", "table", "master4" if af == 4 else
                "master6"]
        if peer:
            args += ["protocol", self.name_of(peer)]
        out = self.birdc(*args)
        return set(re.findall(r"^([0-9a-f.:]+/\d+)\s", out, re.M))


class Frr(Router):
    """bgpd alone (-Z: no zebra), its vty socket in ``dir``; the
    neighbours as in the manual's worked configuration."""
    CONF = """\
frr defaults traditional
hostname rtr
log file {dir}/bgpd.log debugging
router bgp {asn}
 bgp router-id {rid}
 no bgp ebgp-requires-policy
 no bgp network import-check
{neighbours}
 address-family ipv4 unicast
  maximum-paths 8
 exit-address-family
 address-family ipv6 unicast
{activate}
  maximum-paths 8
 exit-address-family
"""

    def __init__(self, ns, directory, peer, more=()):
        super().__init__(ns, directory)
        self.peer = peer
        peers = [peer, *more]
        nb = "".join(f" neighbor {a} remote-as {LNS_AS}\n"
                     f" neighbor {a} timers 2 6\n"
                     f" neighbor {a} timers connect 1\n" for a in peers)
        act = "".join(f"  neighbor {a} activate\n" for a in peers)
        (self.dir / "bgpd.conf").write_text(self.CONF.format(
            dir=self.dir, asn=RTR_AS, rid=rtr_addr(1),
            neighbours=nb.rstrip("\n"), activate=act.rstrip("\n")))

    def start(self):
        self.popen(["/usr/lib/frr/bgpd", "-f", self.dir / "bgpd.conf",
                    "-i", self.dir / "bgpd.pid", "-z",
                    self.dir / "zserv.api", "--vty_socket", self.dir,
                    "-S", "-Z", "-n", "-A",
                    "127.0.0.1", "-P", "0"])
        wait_until(lambda: (self.dir / "bgpd.vty").exists(), 10,
                   "bgpd's vty socket")
        return self

    def vtysh(self, cmd):
        p = self.ns.run(["vtysh", "--vty_socket", self.dir, "-c", cmd],
                        check=False)
        return p.stdout

    def established(self, addr):
        try:
            j = json.loads(self.vtysh(f"show bgp neighbors {addr} json"))
        except ValueError:
            return False
        return j.get(addr, {}).get("bgpState") == "Established"

    def routes(self, af=4, peer=None):
        out = self.vtysh("show bgp %s unicast json" %
                         ("ipv4" if af == 4 else "ipv6"))
        try:
            return set(json.loads(out).get("routes", {}))
        except ValueError:
            return set()


class Gobgp(Router):
    CONF = """\
[global.config]
  as = {asn}
  router-id = "{rid}"
[[neighbors]]
  [neighbors.config]
    neighbor-address = "{peer}"
    peer-as = {lns_as}
  [neighbors.timers.config]
    hold-time = 6
    keepalive-interval = 2
    connect-retry = 1
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv4-unicast"
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv6-unicast"
"""

    def __init__(self, ns, directory, peer):
        super().__init__(ns, directory)
        self.peer = peer
        (self.dir / "gobgpd.toml").write_text(self.CONF.format(
            asn=RTR_AS, rid=rtr_addr(1), peer=peer, lns_as=LNS_AS))

    def start(self):
        self.popen(["gobgpd", "-f", self.dir / "gobgpd.toml", "-p",
                    "--api-hosts", "127.0.0.1:50051", "--pprof-disable"])
        wait_until(lambda: self.gobgp("global").returncode == 0, 10,
                   "gobgpd's API")
        return self

    def gobgp(self, *args):
        return self.ns.run(["gobgp", "-u", "127.0.0.1", "-p", "50051",
                            *args], check=False)

    def established(self, addr):
        p = self.gobgp("neighbor", addr, "-j")
        if p.returncode != 0:
            return False
        try:
            st = json.loads(p.stdout)["state"]["session_state"]
        except (ValueError, KeyError):
            return False
        return st in (6, "established", "ESTABLISHED")

    def routes(self, af=4, peer=None):
        p = self.gobgp("global", "rib", "-a", "ipv4" if af == 4 else "ipv6",
                       "-j")
        try:
            return set(json.loads(p.stdout)) if p.stdout.strip() else set()
        except ValueError:
            return set()


@pytest.fixture
def routers(cleanup):
    return lambda cls, *args, **kw: cleanup(cls(*args, **kw), "stop")


# ---------------------------------------------------------------------------
# real routers


def check_router_session(r, d, tmp_path):
    """Established; exactly the static routes; a Framed-Route comes and
    goes with its session; IPv6: ipv6_prefix."""
    r.wait_established(lns_addr(1))
    r.wait_routes(base_routes(1))
    r.wait_routes({V6PFX}, af=6)
    lac, p, ip = subscriber(d, 1, "alice", "secret")
    assert ip.startswith("198.51.100.") or ip == LONE
    r.wait_routes(base_routes(1) | {"203.0.113.0/28"})
    lac2, p2, ip2 = subscriber(d, 1, "bob", "pw2", our_sid=78)
    r.wait_routes(base_routes(1) | {"203.0.113.0/28", "203.0.113.64/27"})
    # bob's delegated prefix comes with IPV6CP
    ipv6cp_up(p2, ip2)
    r.wait_routes({V6PFX, PD}, af=6)
    hang_up(p)
    r.wait_routes(base_routes(1) | {"203.0.113.64/27"})
    hang_up(p2)
    r.wait_routes(base_routes(1))
    r.wait_routes({V6PFX}, af=6)
    j = cli_json(d, "show bgp json")
    peer = j["peers"][0]
    assert peer["state"] == "Established"
    assert peer["prefixes_out"] == len(base_routes(1)) + 1   # + ipv6_prefix
    assert peer["ipv4"] and peer["ipv6"]


def test_bird_routes_follow_sessions(netns, daemon, routers, tmp_path):
    rtr, (ns,) = topology(netns)
    r = routers(Bird, rtr, tmp_path / "bird", {"lns1": lns_addr(1)}).start()
    start_radius(ns, tmp_path)
    d = start_lns(daemon, ns, 1, tmp_path, radius=True)
    check_router_session(r, d, tmp_path)
    # BIRD's kernel table has the pool via the LNS
    rt = rtr.routes(POOL)
    assert rt and rt[0].get("gateway") == lns_addr(1), rt


@pytest.mark.parametrize("router", [Frr, Gobgp], ids=["frr", "gobgp"])
def test_routes_follow_sessions(netns, daemon, routers, tmp_path, router):
    """FRR and GoBGP: as with BIRD above."""
    rtr, (ns,) = topology(netns)
    r = routers(router, rtr, tmp_path / router.__name__.lower(),
                lns_addr(1)).start()
    start_radius(ns, tmp_path)
    d = start_lns(daemon, ns, 1, tmp_path, radius=True)
    check_router_session(r, d, tmp_path)


def test_bird_over_ipv6_transport(netns, daemon, routers, tmp_path):
    """A neighbour named by its IPv6 address: the session runs over
    IPv6, the IPv6 routes carry our address on it as next hop, the IPv4
    routes bind_address."""
    rtr, (ns,) = topology(netns)
    r = routers(Bird, rtr, tmp_path / "bird", {"lns1": "fd00:1::2"}).start()
    cfg = lns_config(1, tmp_path)
    del cfg["nexthop6_address"]
    daemon(cfg, ns=ns, users=USERS, ip_pool=IP_POOL,
           extra_lines=["router bgp %d" % LNS_AS,
                        f" neighbour fd00:1::1 remote-as {RTR_AS}",
                        " neighbour fd00:1::1 timers 2 6"])
    r.wait_established("fd00:1::2")
    r.wait_routes(base_routes(1))
    r.wait_routes({V6PFX}, af=6)
    six = r.birdc("show", "route", V6PFX, "all")
    assert "via fd00:1::2" in six, six
    four = r.birdc("show", "route", POOL, "all")
    assert f"via {lns_addr(1)}" in four, four


def test_two_nodes_multipath_in_bird_kernel_table(netns, daemon, routers,
                                                  tmp_path):
    rtr, (ns1, ns2) = topology(netns, 2)
    r = routers(Bird, rtr, tmp_path / "bird",
                {"lns1": lns_addr(1), "lns2": lns_addr(2)}).start()
    start_lns(daemon, ns1, 1, tmp_path)
    start_lns(daemon, ns2, 2, tmp_path)
    r.wait_established(lns_addr(1))
    r.wait_established(lns_addr(2))

    def two_hops():
        rt = rtr.routes(POOL)
        if not rt or "nexthops" not in rt[0]:
            return None
        return sorted(h["gateway"] for h in rt[0]["nexthops"])
    hops = wait_until(two_hops, 20, f"{POOL} with two next hops")
    assert hops == [lns_addr(1), lns_addr(2)]


def test_two_nodes_multipath_in_frr(netns, daemon, routers, tmp_path):
    """The manual's FRR configuration: maximum-paths 8, both nodes'
    paths to the pool in the multipath set."""
    rtr, (ns1, ns2) = topology(netns, 2)
    r = routers(Frr, rtr, tmp_path / "frr", lns_addr(1),
                more=[lns_addr(2)]).start()
    start_lns(daemon, ns1, 1, tmp_path)
    start_lns(daemon, ns2, 2, tmp_path)
    r.wait_established(lns_addr(1))
    r.wait_established(lns_addr(2))

    def multipath():
        try:
            j = json.loads(r.vtysh(f"show bgp ipv4 unicast {POOL} json"))
        except ValueError:
            return None
        hops = sorted(p["nexthops"][0]["ip"] for p in j.get("paths", [])
                      if p.get("multipath") is True)
        return hops if len(hops) == 2 else None
    hops = wait_until(multipath, 20, f"two multipath paths to {POOL}")
    assert hops == [lns_addr(1), lns_addr(2)]


def test_kill_hold_time_restart_and_router_restart(netns, daemon, routers,
                                                   tmp_path):
    rtr, (ns,) = topology(netns)
    r = routers(Bird, rtr, tmp_path / "bird", {"lns1": lns_addr(1)}).start()
    d = start_lns(daemon, ns, 1, tmp_path)
    r.wait_established(lns_addr(1))
    r.wait_routes(base_routes(1))
    # The node dies and its FIN never reaches the router: only the hold
    # timer (6 s) takes the routes away.
    ns.run(["iptables", "-A", "OUTPUT", "-p", "tcp", "--sport", "179",
            "-j", "DROP"])
    ns.run(["iptables", "-A", "OUTPUT", "-p", "tcp", "--dport", "179",
            "-j", "DROP"])
    killed = time.monotonic()
    d.stop(signal.SIGKILL)
    time.sleep(2)
    assert r.routes() == base_routes(1), "routes went before the hold time"
    r.wait_routes(set(), timeout=10)
    # hold 6 s, counted from our last KEEPALIVE (every 2 s)
    assert time.monotonic() - killed >= 3.5
    ns.run(["iptables", "-F", "OUTPUT"])
    # restart: back
    d.start()
    r.wait_established(lns_addr(1))
    r.wait_routes(base_routes(1))
    # the router restarts: the daemon reconnects and announces again
    mark = d.log_mark()
    r.stop()
    d.wait_for_log(r"BGP 10\.0\.1\.1: Established -> Idle", 10, since=mark)
    r.start()
    r.wait_established(lns_addr(1), timeout=20)
    r.wait_routes(base_routes(1))
    assert d.running()


def test_graceful_restart_keeps_routes(netns, daemon, routers, tmp_path):
    rtr, (ns,) = topology(netns)
    r = routers(Bird, rtr, tmp_path / "bird", {"lns1": lns_addr(1)},
                gr="aware").start()
    d = start_lns(daemon, ns, 1, tmp_path, bgp_graceful_restart=60)
    r.wait_established(lns_addr(1))
    r.wait_routes(base_routes(1))
    d.stop(signal.SIGTERM)
    assert "graceful restart" in d.log_text()
    # The router keeps them (stale) while the daemon is away, its
    # session down: longer than the hold time ...
    wait_until(lambda: not r.established(lns_addr(1)), 5, "session down")
    for _ in range(16):
        assert r.routes() == base_routes(1)
        time.sleep(0.5)
    assert not r.established(lns_addr(1))
    # ... and after it is back, with its End-of-RIB.
    d.start()
    r.wait_established(lns_addr(1))
    r.wait_routes(base_routes(1))
    # Without graceful restart the same stop withdraws at once.
    d.stop(signal.SIGTERM)
    time.sleep(1.5)
    assert r.routes() == base_routes(1)
    d.write_config({"bgp_graceful_restart": 0})
    d.start()
    r.wait_established(lns_addr(1))
    d.stop(signal.SIGTERM)
    r.wait_routes(set(), timeout=3)


def test_cli_suspend_restart_show(netns, daemon, routers, tmp_path):
    rtr, (ns,) = topology(netns)
    r = routers(Bird, rtr, tmp_path / "bird", {"lns1": lns_addr(1)}).start()
    d = start_lns(daemon, ns, 1, tmp_path,
                  bgp_med=50, bgp_communities="65001:100 no-export")
    r.wait_established(lns_addr(1))
    r.wait_routes(base_routes(1))
    attrs = r.birdc("show", "route", POOL, "all")
    assert "BGP.med: 50" in attrs, attrs
    assert "(65001,100)" in attrs and "(65535,65281)" in attrs, attrs
    c = cli_enabled(d)
    try:
        text = c.cmd("show bgp")
        assert "router bgp 65001" in text
        assert f"Neighbour {rtr_addr(1)} remote-as {RTR_AS}: Established" \
            in text
        assert "prefixes received 0, sent 4" in text
        assert "suspended" in c.cmd("suspend bgp")
        r.wait_routes(set(), timeout=5)
        assert r.established(lns_addr(1))       # the session stays
        j = json.loads(c.cmd("show bgp json"))
        assert j["suspended"] is True and j["announcing"] is False
        assert j["peers"][0]["prefixes_out"] == 0
        assert "resumed" in c.cmd("no suspend bgp")
        r.wait_routes(base_routes(1), timeout=5)
        flaps = json.loads(c.cmd(f"show bgp {rtr_addr(1)} json"))[
            "peers"][0]["flaps"]
        assert "restarted" in c.cmd(f"restart bgp {rtr_addr(1)}")
        assert "No BGP neighbour 192.0.2.99" in c.cmd("restart bgp 192.0.2.99")
        assert "No BGP neighbour 192.0.2.99" in c.cmd("show bgp 192.0.2.99")
        wait_until(lambda: json.loads(c.cmd("show bgp json"))["peers"][0][
            "flaps"] == flaps + 1, 5, "the session to be reset")
        r.wait_established(lns_addr(1))
        r.wait_routes(base_routes(1))
        last = json.loads(c.cmd("show bgp json"))["peers"][0]
        assert last["state"] == "Established"
        assert last["msgs_in"] > 0 and last["updates_out"] > 0
    finally:
        c.close()
    d.wait_for_log(r"NOTIFICATION sent: Cease/Administrative Reset")
    # HUP with a new MED: announced again at once
    d.reload({"bgp_med": 70})
    wait_until(lambda: "BGP.med: 70" in r.birdc("show", "route", POOL,
                                                 "all"), 5, "MED 70")
    # HUP without the neighbour: Cease/Peer De-configured, routes gone
    d.reload(extra_lines=["router bgp %d" % LNS_AS])
    d.wait_for_log(r"NOTIFICATION sent: Cease/Peer De-configured")
    r.wait_routes(set(), timeout=5)


# ---------------------------------------------------------------------------
# a small test speaker for the error cases


def bgp_msg(t, body=b""):
    return b"\xff" * 16 + struct.pack("!HB", 19 + len(body), t) + body


KEEPALIVE = bgp_msg(4)


def cap(code, value=b""):
    return bytes([code, len(value)]) + value


def open_msg(asn=RTR_AS, hold=6, rid="10.0.1.1", caps=None, version=4,
             params=None):
    if caps is None:
        caps = (cap(1, struct.pack("!HBB", 1, 0, 1)) +
                cap(1, struct.pack("!HBB", 2, 0, 1)) +
                cap(65, struct.pack("!I", asn)))
    if params is None:
        params = bytes([2, len(caps)]) + caps if caps else b""
    return bgp_msg(1, struct.pack("!BHH4sB", version,
                                  asn if asn < 65536 else 23456, hold,
                                  socket.inet_aton(rid), len(params)) +
                   params)


def attr(flags, t, value):
    return bytes([flags, t, len(value)]) + value


def update(nlri=(), withdrawn=(), origin=0, path=(RTR_AS,), nh="10.0.1.1",
           raw_nlri=None):
    def pfx(p):
        a, l = p.split("/")
        l = int(l)
        return bytes([l]) + socket.inet_aton(a)[:(l + 7) // 8]
    wd = b"".join(pfx(p) for p in withdrawn)
    attrs = b""
    if nlri or raw_nlri:
        attrs = (attr(0x40, 1, bytes([origin])) +
                 attr(0x40, 2, bytes([2, len(path)]) +
                      b"".join(struct.pack("!I", a) for a in path)) +
                 attr(0x40, 3, socket.inet_aton(nh)))
    body = (struct.pack("!H", len(wd)) + wd + struct.pack("!H", len(attrs)) +
            attrs + (raw_nlri if raw_nlri is not None else
                     b"".join(pfx(p) for p in nlri)))
    return bgp_msg(2, body)


def recv_msg(conn, timeout=10):
    conn.settimeout(timeout)
    buf = b""
    while len(buf) < 19:
        chunk = conn.recv(19 - len(buf))
        if not chunk:
            raise EOFError("connection closed")
        buf += chunk
    length, t = struct.unpack_from("!HB", buf, 16)
    while len(buf) < length:
        chunk = conn.recv(length - len(buf))
        if not chunk:
            raise EOFError("connection closed")
        buf += chunk
    return t, buf[19:]


def expect_notification(conn, code, sub, timeout=10):
    """Skip to the NOTIFICATION; assert its code and subcode."""
    while True:
        t, body = recv_msg(conn, timeout)
        if t == 3:
            assert (body[0], body[1]) == (code, sub), body.hex()
            return body[2:]


class Speaker:
    """Listens on 10.0.1.1:179 in the router's namespace; the daemon
    connects to it."""

    def __init__(self, ns):
        self.ns = ns
        self.srv = ns.run_in(socket.create_server, (rtr_addr(1), 179))
        self.srv.settimeout(15)

    def accept(self):
        conn, _ = self.srv.accept()
        return conn

    def session(self):
        """A connection through OPEN and KEEPALIVE: (conn, daemon's OPEN)."""
        conn = self.accept()
        t, their_open = recv_msg(conn)
        assert t == 1
        conn.sendall(open_msg() + KEEPALIVE)
        t, _ = recv_msg(conn)
        assert t == 4
        return conn, their_open

    def close(self):
        self.srv.close()


def parse_caps(open_body):
    """{code: [values]} of the capabilities in an OPEN body."""
    optlen = open_body[9]
    params = open_body[10:10 + optlen]
    caps = {}
    while params:
        ptype, plen = params[0], params[1]
        p = params[2:2 + plen]
        params = params[2 + plen:]
        assert ptype == 2
        while p:
            code, clen = p[0], p[1]
            caps.setdefault(code, []).append(p[2:2 + clen])
            p = p[2 + clen:]
    return caps


def speaker_and_carol(netns, daemon, tmp_path, **cfg):
    """A scripted BGP speaker on the router, an LNS (cfg added to its
    configuration) and carol's session on it: (speaker, daemon, lac, ppp)."""
    rtr, (ns,) = topology(netns)
    sp = Speaker(rtr)
    d = start_lns(daemon, ns, 1, tmp_path, **cfg)
    lac, p, _ = subscriber(d, 1, "carol", "pw3")
    return sp, d, lac, p


def test_open_capabilities_and_malformed_open(netns, daemon, tmp_path):
    sp, d, lac, p = speaker_and_carol(netns, daemon, tmp_path,
                                      bgp_graceful_restart=90)
    try:
        conn = sp.accept()
        t, body = recv_msg(conn)
        assert t == 1
        version, my_as, hold = struct.unpack_from("!BHH", body)
        assert (version, my_as, hold) == (4, LNS_AS, 6)
        assert socket.inet_ntoa(body[5:9]) == lns_addr(1)
        caps = parse_caps(body)
        # RFC 4760: IPv4 and IPv6 unicast together; RFC 6793; RFC 2918
        assert sorted(caps[1]) == [struct.pack("!HBB", 1, 0, 1),
                                   struct.pack("!HBB", 2, 0, 1)]
        assert caps[65] == [struct.pack("!I", LNS_AS)]
        assert caps[2] == [b""]
        # RFC 4724: Restart State (first session after a start), time 90,
        # both families with the Forwarding State bit
        flags, = struct.unpack_from("!H", caps[64][0])
        assert flags == 0x8000 | 90
        assert caps[64][0][2:] == bytes([0, 1, 1, 0x80, 0, 2, 1, 0x80])
        # RFC 4271 6.2: version 3: Unsupported Version Number, data 4
        conn.sendall(open_msg(version=3))
        assert expect_notification(conn, 2, 1) == b"\x00\x04"
        conn.close()
        cases = [
            (open_msg(asn=65099), 2, 2),            # Bad Peer AS
            (open_msg(hold=2), 2, 6),               # Unacceptable Hold Time
            (open_msg(rid="0.0.0.0"), 2, 3),        # Bad BGP Identifier
            (open_msg(params=bytes([9, 1, 0])), 2, 4),  # Unsupported Opt Param
            (b"\xff" * 15 + b"\xfe" + KEEPALIVE[16:], 1, 1),  # marker
            (bgp_msg(9), 1, 3),                     # Bad Message Type
            (KEEPALIVE, 5, 1),                      # FSM: KEEPALIVE in OpenSent
        ]
        for msg, code, sub in cases:
            conn = sp.accept()      # the daemon reconnects after 1 s
            assert recv_msg(conn)[0] == 1
            conn.sendall(msg)
            expect_notification(conn, code, sub)
            conn.close()
            echo(p)
        # A bad length in the header: 1/2 with the length as data
        conn = sp.accept()
        recv_msg(conn)
        conn.sendall(b"\xff" * 16 + struct.pack("!HB", 5000, 4))
        assert expect_notification(conn, 1, 2) == struct.pack("!H", 5000)
        conn.close()
        assert d.running()
        echo(p)
        d.wait_for_log(r"NOTIFICATION sent: OPEN Message Error/Bad Peer AS")
    finally:
        sp.close()


def test_split_messages_and_malformed_update(netns, daemon, tmp_path):
    sp, d, lac, p = speaker_and_carol(netns, daemon, tmp_path)
    try:
        conn, _ = sp.session()
        # Our table comes, then End-of-RIB for each family.
        got, eor = set(), 0
        while eor < 2:
            t, body = recv_msg(conn)
            if t != 2:
                continue
            # RFC 4724 2: End-of-RIB, IPv4 and IPv6 (MP_UNREACH alone)
            if body in (b"\x00\x00\x00\x00",
                        b"\x00\x00\x00\x07\x90\x0f\x00\x03\x00\x02\x01"):
                eor += 1
                continue
            wl, = struct.unpack_from("!H", body)
            al, = struct.unpack_from("!H", body, 2 + wl)
            nlri = body[4 + wl + al:]
            while nlri:
                plen = nlri[0]
                n = (plen + 7) // 8
                a = socket.inet_ntoa(nlri[1:1 + n] + b"\x00" * (4 - n))
                got.add(f"{a}/{plen}")
                nlri = nlri[1 + n:]
        assert got == base_routes(1)
        # A KEEPALIVE one octet at a time, then 900 prefixes in one
        # UPDATE sent in three pieces: read whole across reads.
        for b in KEEPALIVE:
            conn.sendall(bytes([b]))
            time.sleep(0.02)
        big = update([f"100.{i // 250}.{i % 250}.0/24" for i in range(900)])
        assert len(big) > 3000
        for part in (big[:7], big[7:2000], big[2000:]):
            conn.sendall(part)
            time.sleep(0.3)
        wait_until(lambda: cli_json(d, "show bgp json")["peers"][0][
            "prefixes_in"] == 900, 5, "900 prefixes counted")
        # Withdraw 100 of them
        conn.sendall(update(withdrawn=[f"100.0.{i}.0/24" for i in range(100)]))
        wait_until(lambda: cli_json(d, "show bgp json")["peers"][0][
            "prefixes_in"] == 800, 5, "800 prefixes")
        # RFC 7606 7.1: a bad ORIGIN: treat-as-withdraw, no NOTIFICATION
        conn.sendall(update(["100.1.0.0/24"], origin=7))
        wait_until(lambda: cli_json(d, "show bgp json")["peers"][0][
            "prefixes_in"] == 799, 5, "the bad-ORIGIN route withdrawn")
        j = cli_json(d, "show bgp json")["peers"][0]
        assert j["state"] == "Established"
        assert j["treat_as_withdraw"] == 1
        assert "Invalid ORIGIN" in j["last_error"]
        conn.sendall(KEEPALIVE)
        echo(p)
        # RFC 4271 6.3: an NLRI prefix length of 33: Invalid Network Field
        conn.sendall(update(raw_nlri=bytes([33, 10, 0, 0, 0, 0])))
        expect_notification(conn, 3, 10)
        conn.close()
        echo(p)
        # Withdrawn Routes Length past the message: Malformed Attribute List
        conn, _ = sp.session()
        conn.sendall(bgp_msg(2, struct.pack("!H", 200) + b"\x00\x00"))
        expect_notification(conn, 3, 1)
        conn.close()
        # An unknown well-known attribute: Unrecognized Well-known
        conn, _ = sp.session()
        body = struct.pack("!H", 0) + struct.pack("!H", 4) + \
            bytes([0x40, 99, 1, 0])
        conn.sendall(bgp_msg(2, body))
        expect_notification(conn, 3, 2)
        conn.close()
        # A second OPEN in Established: FSM error 5/3 (RFC 6608)
        conn, _ = sp.session()
        conn.sendall(open_msg())
        expect_notification(conn, 5, 3)
        conn.close()
        assert d.running()
        echo(p)
        assert cli_json(d, "show bgp json")["peers"][0]["flaps"] >= 4
    finally:
        sp.close()


def test_peer_not_reading_costs_the_loop_nothing(netns, daemon, tmp_path):
    """A peer that sends ROUTE-REFRESHes but never reads our answers:
    the answers wait in its send queue, subscribers are served
    meanwhile, and past BGP_SENDQ_MAX (16 MB) the peer is dropped, not
    the loop; then it reconnects."""
    sp, d, lac, p = speaker_and_carol(netns, daemon, tmp_path)
    try:
        conn, _ = sp.session()
        rr = bgp_msg(5, struct.pack("!HBB", 1, 0, 1)) * 1000
        queued = 0
        try:
            for i in range(150):
                conn.sendall(rr)
                if i == 20:
                    j = cli_json(d, "show bgp json")["peers"][0]
                    queued = j["send_queue"]
                    echo(p, 0x60)
        except OSError:
            pass                # dropped by the daemon: expected
        assert queued > 0, "nothing queued: the peer read everything?"
        d.wait_for_log(r"BGP 10\.0\.1\.1: send queue over 16777216 bytes",
                       10)
        echo(p, 0x61)
        conn.close()
        conn2 = sp.accept()     # it comes back
        assert recv_msg(conn2)[0] == 1
        conn2.close()
        assert d.running()
    finally:
        sp.close()


def parse_attrs(body):
    """{type: value} of an UPDATE body's path attributes, and its NLRI."""
    wl, = struct.unpack_from("!H", body)
    al, = struct.unpack_from("!H", body, 2 + wl)
    a = body[4 + wl:4 + wl + al]
    attrs = {}
    while a:
        flags, t = a[0], a[1]
        if flags & 0x10:
            ln, = struct.unpack_from("!H", a, 2)
            v, a = a[4:4 + ln], a[4 + ln:]
        else:
            ln = a[2]
            v, a = a[3:3 + ln], a[3 + ln:]
        attrs[t] = v
    return attrs, body[4 + wl + al:]


def test_four_octet_as_to_a_two_octet_peer(netns, daemon, tmp_path):
    """RFC 6793: AS 4200000001 goes out as AS_TRANS in My AS and in
    AS_PATH, with AS4_PATH, to a peer without the AS4 capability; a peer
    offering only IPv4 gets no IPv6 (RFC 4760)."""
    big = 4200000001
    rtr, (ns,) = topology(netns)
    sp = Speaker(rtr)
    daemon(lns_config(1, tmp_path), ns=ns, users=USERS, ip_pool=IP_POOL,
           extra_lines=[f"router bgp {big}",
                        f" neighbour {rtr_addr(1)} remote-as {RTR_AS}",
                        f" neighbour {rtr_addr(1)} timers 2 6"])
    try:
        conn = sp.accept()
        t, body = recv_msg(conn)
        assert t == 1
        assert struct.unpack_from("!H", body, 1)[0] == 23456
        assert parse_caps(body)[65] == [struct.pack("!I", big)]
        conn.sendall(open_msg(caps=cap(1, struct.pack("!HBB", 1, 0, 1))) +
                     KEEPALIVE)
        assert recv_msg(conn)[0] == 4
        seen, eors = [], 0
        while eors < 1:
            t, body = recv_msg(conn)
            if t != 2:
                continue
            attrs, nlri = parse_attrs(body)
            assert 14 not in attrs and 15 not in attrs, "IPv6 sent"
            if body == b"\x00\x00\x00\x00":
                eors += 1
                continue
            seen.append(attrs)
        assert seen
        for attrs in seen:
            assert attrs[1] == b"\x00"                   # ORIGIN IGP
            assert attrs[2] == bytes([2, 1]) + struct.pack("!H", 23456)
            assert attrs[17] == bytes([2, 1]) + struct.pack("!I", big)
            assert attrs[3] == socket.inet_aton(lns_addr(1))
        # nothing for IPv6 follows, only keepalives
        conn.settimeout(3)
        t, _ = recv_msg(conn, 3)
        assert t == 4
        conn.close()
    finally:
        sp.close()
