"""The walled garden plugin (garden.c; manual, "Walled garden") against the
running daemon, with real iptables (Debian's iptables-nft) inside the
test's own network namespaces only.

Topology: the daemon's namespace routes between its tun device (the
subscribers, pool 198.51.100.0/26) and a veth to a server namespace,
which holds two web servers: the garden's portal 203.0.113.2 and an
ordinary site 203.0.113.3.  The build-garden script written by the test
sends TCP port 80 to the portal (DNAT).  Scripted subscribers
(pppwire.Ppp) send hand-built TCP SYNs and complete the handshake, so
the listener that accepts the connection says where it went.
"""
import os
import select
import shutil
import signal
import socket
import struct

import pytest

from conftest import local_auth, wait_until
from l2tpwire import Lac, result_code
from nsctlhelp import nsctl, plugin_dir
from pppwire import Ppp, LCP, IP, TERMREQ, TERMACK, ipv4_udp
from test_cli import Cli, rows
from test_ppp import tcp_syn, inet_csum
from test_radius import FreeRadius, radius_cfg

POOL = "198.51.100.0/26"
PORTAL = "203.0.113.2"
SITE = "203.0.113.3"
SUBSCRIBERS = "alice secret\nbob pw\n"
BUILD_GARDEN = f"""\
# test build-garden: the web goes to the portal
iptables -t nat -N garden 2>/dev/null
iptables -t nat -F garden || exit 1
iptables -t nat -A garden -p tcp --dport 80 -j DNAT --to-destination {PORTAL}
"""


@pytest.fixture
def garden(daemon, netns, tmp_path, monkeypatch):
    """garden(script=BUILD_GARDEN, cfg=None, ns=None) -> (lns, srv):
    an l2tpns with the garden plugin, routing to the server namespace."""
    def make(script=BUILD_GARDEN, cfg=None, ns=None, wait=True):
        path = tmp_path / "build-garden"
        path.write_text(script)
        monkeypatch.setenv("L2TPNS_BUILD_GARDEN", str(path))
        subs = local_auth(tmp_path, SUBSCRIBERS)
        lns_ns = ns or netns()
        srv = netns()
        netns.veth(lns_ns, srv, "203.0.113.1/24",
                   [f"{PORTAL}/24", f"{SITE}/24"])
        lns_ns.run(["sysctl", "-qw", "net.ipv4.ip_forward=1"])
        srv.ip("route", "add", POOL, "via", "203.0.113.1")
        c = {"debug": 4, "hostname": "lns-cli",      # test_cli.Cli's prompt
             "local_auth_file": str(subs),
             "primary_dns": "192.0.2.53", "peer_address": "192.0.2.1",
             "ppp_restart_time": 1,
             "plugin_dir": str(plugin_dir(tmp_path))}
        c.update(cfg or {})
        d = daemon(c, ns=lns_ns, extra_lines=["load plugin garden"])
        if wait:
            d.wait_for_log(r"plugin garden loaded from \S+ "
                           r"\(startup-config\)")
        return d, srv
    return make


def login(d, user, password, our_sid=77):
    """A tunnel of its own and a PPP session: (lac, ppp, address)."""
    lac = d.ns.run_in(Lac, "127.0.0.1")
    lac.open_tunnel(host=f"lac-{user}-{our_sid}")
    p = Ppp(lac, lac.open_session(our_sid=our_sid), our_sid)
    return lac, p, p.up(user, password)[0]


# The real one, found before a test puts a slow stub first in PATH.
IPTABLES = shutil.which("iptables") or "iptables"


def ipt(ns, *args):
    """``iptables -t nat ARGS`` in ``ns``: the CompletedProcess."""
    return ns.run([IPTABLES, "-t", "nat", *args], check=False)


def user_rules(d):
    """The rules of garden_users, as -S prints them."""
    return [line for line in ipt(d.ns, "-S", "garden_users")
            .stdout.splitlines() if line.startswith("-A")]


def rules_become(d, *ips):
    """Wait until garden_users holds exactly the rules of ``ips``.  (The
    subscriber's IPCP is up once the LNS has acked it; the LNS adds the
    rule right after, before it reads the subscriber's next packet.)"""
    want = [f"-A garden_users -s {ip}/32 -j garden" for ip in ips]
    wait_until(lambda: user_rules(d) == want, 3, f"garden_users == {want}")


def listener(srv, addr):
    s = srv.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, 80))
    s.listen(8)
    s.settimeout(3)
    return s


def tcp_ack(src, dst, sport, dport, seq, ack):
    s, d = socket.inet_aton(src), socket.inet_aton(dst)
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, 0x10,
                      65535, 0, 0)
    tcp = tcp[:16] + struct.pack("!H", inet_csum(
        s + d + struct.pack("!BBH", 0, 6, len(tcp)) + tcp)) + tcp[18:]
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 8, 0x4000,
                      64, 6, 0, s, d)
    hdr = hdr[:10] + struct.pack("!H", inet_csum(hdr)) + hdr[12:]
    return hdr + tcp


def connect(p, ip, dst, sport):
    """The subscriber opens TCP to dst:80 (SYN, SYN-ACK, ACK); returns the
    source address of the SYN-ACK it got."""
    p.send(IP, tcp_syn(ip, dst, sport, 80, 1460))
    while True:
        pkt = p.expect(IP, timeout=3).payload
        ihl = (pkt[0] & 15) * 4
        if pkt[9] != 6:
            continue
        sp, dp, seq, ack = struct.unpack_from("!HHII", pkt, ihl)
        if dp == sport and pkt[ihl + 13] & 0x12 == 0x12:
            break
    assert (sp, ack) == (80, 1001)
    src = socket.inet_ntoa(pkt[12:16])
    p.send(IP, tcp_ack(ip, src, sport, 80, 1001, seq + 1))
    return src


def accepted(s, ip, sport):
    """The listener accepts the subscriber's connection from ip:sport."""
    conn, peer = s.accept()
    conn.close()
    assert peer == (ip, sport)


def idle(s):
    """Nothing waits to be accepted on ``s``."""
    return not select.select([s], [], [], 0)[0]


def session_row(d, user):
    c = Cli(d)
    try:
        out = c.login().cmd("show session")
    finally:
        c.close()
    return [r for r in rows(out) if r[2] == user][0]


def test_rejected_subscriber_gardened_then_ungardened(garden):
    d, srv = garden()
    d.wait_for_log(r"walled garden ready: packets from tun0 go through nat "
                   r"chain garden_users")
    # the hook: first in PREROUTING, for what comes in on the tun device
    pre = ipt(d.ns, "-S", "PREROUTING").stdout.splitlines()
    assert pre[1] == "-A PREROUTING -i tun0 -j garden_users", pre
    portal, site = listener(srv, PORTAL), listener(srv, SITE)

    # a wrong password: accepted, into the garden
    lac, p, ip = login(d, "alice", "wrong")
    d.wait_for_log(r"authentication of \"alice\" failed: let into the "
                   r"walled garden")
    sid, _, user, sip, i, t, g = session_row(d, "alice")[:7]
    assert (sip, g) == (ip, "Y")
    rules_become(d, ip)

    # its web request reaches the portal; the answer seems to come from
    # the site it asked for (conntrack undoes the DNAT)
    assert connect(p, ip, SITE, 40001) == SITE
    accepted(portal, ip, 40001)
    assert idle(site)
    out = ipt(d.ns, "-L", "garden", "-nvx").stdout
    dnat = [line.split() for line in out.splitlines() if "DNAT" in line]
    assert len(dnat) == 1 and dnat[0][0] == "1", out     # one connection
    assert f"to:{PORTAL}" in out

    # out of the garden, at once, on the same PPP session
    r = nsctl(d.ns, "ungarden", "alice", check=0)
    assert r.stdout == f"session {sid} ungardened\n"
    assert session_row(d, "alice")[6] == "N"
    rules_become(d)         # the worker removes it within milliseconds
    assert connect(p, ip, SITE, 40002) == SITE
    accepted(site, ip, 40002)
    assert idle(portal)
    assert "not in the walled garden" in nsctl(d.ns, "ungarden", sid,
                                               check=1).stderr

    # and in again, by session id
    assert nsctl(d.ns, "garden", sid, check=0).stdout == \
        f"session {sid} gardened\n"
    assert session_row(d, "alice")[6] == "Y"
    rules_become(d, ip)
    connect(p, ip, SITE, 40003)
    accepted(portal, ip, 40003)
    assert "already in the walled garden" in nsctl(d.ns, "garden", "alice",
                                                   check=1).stderr

    # the subscriber hangs up: its rule goes with the session
    p.send_cp(LCP, TERMREQ, 0x41, b"bye")
    p.expect(LCP, TERMACK, timeout=5)
    p.cdn(timeout=6)
    rules_become(d)


def test_correct_password_never_gardened(garden):
    d, srv = garden()
    portal, site = listener(srv, PORTAL), listener(srv, SITE)
    lac, p, ip = login(d, "bob", "pw")
    assert session_row(d, "bob")[6] == "N"
    assert user_rules(d) == []
    assert connect(p, ip, SITE, 40011) == SITE
    accepted(site, ip, 40011)
    assert idle(portal)
    d.assert_not_logged(r"let into the walled garden")
    # nsctl answers for scripts
    assert "no session nobody" in nsctl(d.ns, "garden", "nobody",
                                        check=1).stderr
    assert "usage: garden SID|USER" in nsctl(d.ns, "garden", check=1).stderr
    assert "garden SID|USER" in nsctl(d.ns, "help", check=0).stdout


def test_failed_login_does_not_push_out_the_real_user(garden):
    """With allow_duplicate_users off, a login drops the user's earlier
    sessions; a failed one let into the garden must not."""
    d, srv = garden()
    lac1, p1, ip1 = login(d, "alice", "secret", our_sid=11)
    lac2, p2, ip2 = login(d, "alice", "guess", our_sid=12)
    assert ip1 != ip2
    with pytest.raises(TimeoutError):
        p1.expect(LCP, TERMREQ, timeout=1)
    c = Cli(d)
    try:
        out = c.login().cmd("show session")
    finally:
        c.close()
    got = sorted((r[3], r[6]) for r in rows(out) if r[2] == "alice")
    assert got == sorted([(ip1, "N"), (ip2, "Y")]), out
    # a successful login does drop the earlier ones, gardened or not
    lac3, p3, ip3 = login(d, "alice", "secret", our_sid=13)
    for p in (p1, p2):
        t = p.expect(LCP, TERMREQ, timeout=3)
        assert b"duplicate login" in t.data


def test_rules_removed_on_unload_and_when_the_daemon_stops(garden):
    d, srv = garden()
    lac1, p1, ip1 = login(d, "alice", "wrong", our_sid=21)
    lac2, p2, ip2 = login(d, "bob", "pw", our_sid=22)
    rules_become(d, ip1)
    # unloaded: nobody is confined any more, so the gardened session goes
    nsctl(d.ns, "unload_plugin", "garden", check=0)
    t = p1.expect(LCP, TERMREQ, timeout=3)
    assert b"walled garden closed" in t.data
    p1.send_cp(LCP, TERMACK, t.id)
    assert result_code(p1.cdn(timeout=4))[0] == 3
    with pytest.raises(TimeoutError):
        p2.expect(LCP, TERMREQ, timeout=0.5)
    assert ipt(d.ns, "-S", "garden_users").returncode != 0
    assert "garden_users" not in ipt(d.ns, "-S", "PREROUTING").stdout
    # the garden itself is build-garden's: left as it is
    assert "DNAT" in ipt(d.ns, "-S", "garden").stdout

    # loaded again, then the daemon stops with a gardened session
    mark = d.log_mark()
    nsctl(d.ns, "load_plugin", "garden", check=0)
    d.wait_for_log(r"build-garden script \S+ done", since=mark)
    lac3, p3, ip3 = login(d, "alice", "wrong", our_sid=23)
    rules_become(d, ip3)
    assert ipt(d.ns, "-S", "PREROUTING").stdout.count("garden_users") == 1
    d.stop(signal.SIGTERM)
    assert ipt(d.ns, "-S", "garden_users").returncode != 0
    assert "garden_users" not in ipt(d.ns, "-S", "PREROUTING").stdout


def test_stale_hook_replaced_not_doubled(garden, netns):
    """A hook and rules left by an l2tpns that died are cleaned up."""
    ns = netns()
    ns.run(["iptables", "-t", "nat", "-N", "garden_users"])
    ns.run(["iptables", "-t", "nat", "-N", "garden"])
    for _ in range(2):
        ns.run(["iptables", "-t", "nat", "-A", "PREROUTING", "-i", "tun0",
                "-j", "garden_users"])
    ns.run(["iptables", "-t", "nat", "-A", "garden_users", "-s",
            "198.51.100.9", "-j", "garden"])
    d, srv = garden(ns=ns)
    d.wait_for_log(r"walled garden ready")
    assert ipt(ns, "-S", "PREROUTING").stdout.count("garden_users") == 1
    assert user_rules(d) == []


@pytest.mark.parametrize("script,why", [
    ("echo broken rules >&2\nexit 3\n",
     r"build-garden script \S+ failed \(3\): broken rules"),
    ("true\n", r"the nat chain \"garden\" is empty: a gardened session "
     r"would not be confined"),
    ("iptables -t nat -X garden\n",
     r"no nat chain \"garden\": run build-garden or create it"),
])
def test_no_garden_no_plugin(garden, script, why):
    """Without a working garden the plugin refuses to load, and a wrong
    password is refused as usual."""
    d, srv = garden(script=script, wait=False)
    d.wait_for_log(why)
    d.wait_for_log(r"cannot load plugin garden: its plugin_init refused")
    assert ipt(d.ns, "-S", "garden_users").returncode != 0
    lac = d.ns.run_in(Lac, "127.0.0.1")
    lac.open_tunnel(host="lac-refused")
    p = Ppp(lac, lac.open_session(our_sid=31), 31)
    p.lcp_up()
    assert p.pap("alice", "wrong")[0] == 3      # Authenticate-Nak


# The manual's own example: bare "-A garden" lines, no "-N" (the plugin
# creates the chain before it runs the script).
MANUAL_STYLE = f"""\
iptables -t nat -A garden -p tcp -m tcp --dport 80 -j DNAT --to {PORTAL}
iptables -t nat -A garden -p udp -m udp --dport 53 -j DNAT --to {PORTAL}
"""


def test_manual_style_build_garden_loads(garden):
    d, srv = garden(script=MANUAL_STYLE)
    d.wait_for_log(r"walled garden ready")
    rules = ipt(d.ns, "-S", "garden").stdout
    assert rules.count("-A garden") == 2, rules


RADIUS_USERS = """\
alice	Cleartext-Password := "secret"

mallory	Auth-Type := Reject
	Reply-Message = "Account disabled"
"""


def test_accounting_starts_when_ungardened(garden, netns, tmp_path):
    """A RADIUS Access-Reject lets the subscriber into the garden with no
    accounting; ungarden sends the Start, and the Stop counts only what
    was used outside the garden."""
    ns = netns()
    rad = FreeRadius(ns, tmp_path / "radius", users=RADIUS_USERS).start()
    d, srv = garden(ns=ns, cfg=radius_cfg(hostname="lns-cli"))
    lac1, p1, ip1 = login(d, "mallory", "anything", our_sid=41)
    d.wait_for_log(r"RADIUS: Access-Reject for \"mallory\"")
    assert session_row(d, "mallory")[6] == "Y"
    tun = d.tun_addrs()[0].split("/")[0]
    p1.send(IP, ipv4_udp(ip1, tun, 4444, 9, b"g" * 100))    # in the garden
    # alice's Start comes after mallory's session is up: had mallory got
    # one, it would be in the detail file before it
    lac2, p2, ip2 = login(d, "alice", "secret", our_sid=42)
    rad.wait_record("Start", User_Name="alice")
    assert [r for r in rad.records() if r.get("User-Name") == "mallory"] \
        == []

    nsctl(d.ns, "ungarden", "mallory", check=0)
    start = rad.wait_record("Start", User_Name="mallory")
    assert start["Framed-IP-Address"] == ip1
    pkt = ipv4_udp(ip1, tun, 4444, 9, b"o" * 40)             # outside
    p1.send(IP, pkt)
    p1.send_cp(LCP, TERMREQ, 0x42, b"bye")
    p1.expect(LCP, TERMACK, timeout=5)
    p1.cdn(timeout=6)
    stop = rad.wait_record("Stop", User_Name="mallory")
    assert stop["Acct-Session-Id"] == start["Acct-Session-Id"]
    assert (stop["Acct-Input-Octets"], stop["Acct-Input-Packets"]) == \
        (str(len(pkt)), "1")
    rad.stop()


SLOW_IPTABLES = """#!/bin/sh
# iptables as slow as on a loaded box, once the test says so
[ -e {mark} ] && sleep {delay}
exec {real} "$@"
"""


def test_slow_iptables_does_not_stall_the_loop(garden, tmp_path, monkeypatch):
    """The per-session rules are the worker's (garden.c): while iptables
    takes seconds for a gardened login, the daemon still answers another
    subscriber's LCP echoes at once; the rule arrives later, and a session
    that ends while its rule is being added leaves no rule behind (the
    worker keeps the order of a session's add and delete)."""
    import time
    from pppwire import ECHOREQ, ECHOREP
    stubs, mark = tmp_path / "bin", tmp_path / "slow"
    stubs.mkdir()
    for tool in ("iptables", "iptables-restore"):
        s = stubs / tool
        s.write_text(SLOW_IPTABLES.format(mark=mark, delay=3,
                                          real=shutil.which(tool)))
        s.chmod(0o755)
    monkeypatch.setenv("PATH", f"{stubs}:{os.environ['PATH']}")
    d, srv = garden()
    lac1, bob, ipb = login(d, "bob", "pw", our_sid=51)
    mark.write_text("")
    lac2, p, ip = login(d, "alice", "wrong", our_sid=52)
    # the rule is being added (3 s): bob's echo is answered meanwhile
    t0 = time.monotonic()
    bob.send_cp(LCP, ECHOREQ, 7, struct.pack("!I", bob.magic) + b"ping")
    f = bob.expect(LCP, ECHOREP, timeout=2)
    assert f.id == 7 and time.monotonic() - t0 < 1.0
    assert user_rules(d) == []          # not yet: iptables is still busy
    wait_until(lambda: user_rules(d) == [
        f"-A garden_users -s {ip}/32 -j garden"], 10, "alice's rule")
    d.wait_for_log(rf"{ip} in the walled garden")

    # a gardened session that hangs up while its rule is being added
    lac3, p3, ip3 = login(d, "mallory", "wrong", our_sid=53)
    p3.send_cp(LCP, TERMREQ, 0x43, b"bye")
    p3.expect(LCP, TERMACK, timeout=2)
    p3.cdn(timeout=6)
    d.wait_for_log(rf"{ip3} out of the walled garden", timeout=15)
    assert user_rules(d) == [f"-A garden_users -s {ip}/32 -j garden"]
    mark.unlink()


def test_worker_lost_rules_rebuilt(garden):
    """The worker that runs iptables dies: a new one empties garden_users
    and adds the gardened sessions' rules again; later logins still get
    theirs."""
    d, srv = garden()
    lac1, p1, ip1 = login(d, "alice", "wrong", our_sid=71)
    rules_become(d, ip1)
    with open(f"/proc/{d.pid}/task/{d.pid}/children") as f:
        kids = [int(k) for k in f.read().split()]
    workers = []
    for k in kids:
        with open(f"/proc/{k}/comm") as f:
            if f.read().strip() == "l2tpns-garden":
                workers.append(k)
    assert len(workers) == 1, kids
    mark = d.log_mark()
    os.kill(workers[0], signal.SIGKILL)
    d.wait_for_log(r"the iptables worker was lost \(it exited\); a new one "
                   r"rebuilds garden_users", since=mark)
    lac2, p2, ip2 = login(d, "bob", "wrong", our_sid=72)
    rules_become(d, ip1, ip2)
