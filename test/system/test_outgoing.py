"""Outgoing L2TP (issue 23, FireBrick 12.3.1): our l2tpns opens a tunnel
to a remote LNS and runs a PPP client session of its own on it.

Two namespaces:

    client: our l2tpns with an `l2tp outgoing` line (LAC and PPP client),
            route 10.99.0.0/24 into the session
    lns:    another l2tpns as the LNS (tunnel secret, local subscriber
            file), with 10.99.0.1 behind it (on its loopback)

The client gets its address from the LNS's pool by IPCP, puts it on its
TUN device, and routes 10.99.0.0/24 into the session with that address
as source; a ping from the client namespace to 10.99.0.1 crosses the
tunnel both ways.  Clearing the session or the tunnel on the LNS makes
the client reconnect; a wrong password is refused, logged, and retried
with a growing backoff.
"""
import re

import pytest

import test_cli
from conftest import wait_until

CLIENT_ADDR = "10.78.0.1"
LNS_ADDR = "10.78.0.2"
BEHIND_LNS = "10.99.0.1"
LNS_POOL = "203.0.113.0/26"
TUNNEL_PW = "tunnel-pw-9"
USERS = "admin:admin\nenable:en\n"
METHODS = {"pap": "PAP", "chap": "CHAP", "mschapv2": "MS-CHAPv2"}


def outgoing_line(method, password="secret", extra=""):
    return (f"l2tp outgoing isp lns {LNS_ADDR} hostname client-lac "
            f"secret {TUNNEL_PW} user alice password {password} "
            f"auth {method} route 10.99.0.0/24 dns{extra}")


@pytest.fixture
def pair(daemon, netns, tmp_path):
    """pair(method, password) -> (client ns, client daemon, lns ns, lns)"""
    def make(method="pap", password="secret", lns_method=None,
             lns_lines=(), lns_cfg=None):
        cns, lns_ns = netns(), netns()
        netns.veth(cns, lns_ns, CLIENT_ADDR + "/24", LNS_ADDR + "/24")
        # An address behind the LNS (on its loopback: no dummy module)
        lns_ns.ip("link", "set", "lo", "up")
        lns_ns.ip("addr", "add", BEHIND_LNS + "/32", "dev", "lo")
        subs = tmp_path / "subscribers"
        subs.write_text("alice secret\n")
        subs.chmod(0o600)
        lns = daemon({"debug": 4, "hostname": "far-lns",
                      "l2tp_secret": TUNNEL_PW,
                      "local_auth_file": str(subs),
                      "radius_authtypes": lns_method or method,
                      "peer_address": "192.0.2.77",
                      "primary_dns": "192.0.2.53",
                      "secondary_dns": "192.0.2.54",
                      "echo_timeout": 2, **(lns_cfg or {})},
                     ns=lns_ns, ip_pool=LNS_POOL + "\n", users=USERS,
                     extra_lines=list(lns_lines))
        client = daemon({"debug": 4, "hostname": "client",
                         "ppp_restart_time": 1, "l2tp_setup_timeout": 3,
                         "echo_timeout": 2},
                        ns=cns, users=USERS,
                        extra_lines=[outgoing_line(method, password)])
        return cns, client, lns_ns, lns
    return make


def client_address(client, since=0, timeout=20):
    m = wait_until(lambda: re.search(
        r"outgoing isp: ppp -> up: address (\S+),",
        client.log_text(since)), timeout, "the outgoing session up")
    return m.group(1)


def ping(ns, dst, count=3):
    r = ns.run(["ping", "-n", "-c", str(count), "-W", "2", "-i", "0.3", dst],
               check=False, timeout=20)
    return r


@pytest.mark.parametrize("method", list(METHODS))
def test_outgoing_up_route_and_ping(pair, method):
    cns, client, lns_ns, lns = pair(method)
    addr = client_address(client)
    # The address is the LNS's, from its pool, and the LNS agrees.
    assert addr.startswith("203.0.113."), addr
    lns.wait_for_log(r"(?i)alice", timeout=5)
    client.wait_for_log(rf"outgoing isp: authenticated as \"alice\" "
                        rf"\({re.escape(METHODS[method])}", timeout=5)
    if method == "mschapv2":
        client.wait_for_log(r"authenticator response checked", timeout=1)
    # On the TUN device as a /32, and the route with it as source.
    wait_until(lambda: f"{addr}/32" in client.tun_addrs(), 5,
               "the address on the tun device")
    routes = cns.run(["ip", "-4", "route", "show", "10.99.0.0/24"]).stdout
    assert f"dev {client.tun}" in routes and f"src {addr}" in routes, routes
    # Traffic both ways through the tunnel.
    r = ping(cns, BEHIND_LNS)
    assert r.returncode == 0, r.stdout + r.stderr
    assert re.search(r"3 packets transmitted, 3 received", r.stdout), r.stdout
    # The LNS routes the address it gave into its own TUN device.
    lns_route = lns_ns.run(["ip", "-4", "route", "get", addr]).stdout
    assert f"dev {lns.tun}" in lns_route, lns_route
    # DNS asked for and given (RFC 1877).
    client.wait_for_log(r"outgoing isp: .*DNS 192\.0\.2\.53 192\.0\.2\.54",
                        timeout=1)


def cli(d, hostname):
    return test_cli.Cli(d, hostname=hostname).login().enable("en")


def test_outgoing_cli_and_config(pair):
    cns, client, lns_ns, lns = pair("pap")
    addr = client_address(client)
    c = cli(client, "client")
    try:
        text = c.cmd("show session")
        line = [ln for ln in text.splitlines() if " alice " in ln]
        assert line, text
        assert addr in line[0] and " C " in line[0], line[0]
        text = c.cmd("show tunnel")
        # Named by the LNS's Host Name (its SCCRP), marked outgoing.
        tl = [ln for ln in text.splitlines() if " far-lns " in ln]
        assert tl and LNS_ADDR in tl[0] and "out" in tl[0], text
        tid = tl[0].split()[0]
        text = c.cmd(f"show tunnel {tid}")
        assert "outgoing L2TP" in text, text
        # The line as parsed (an enabled user sees the secrets).
        text = c.cmd("show running-config")
        assert ("l2tp outgoing isp lns 10.78.0.2 port 1701 hostname "
                f"client-lac secret {TUNNEL_PW} user alice password secret "
                "auth pap route 10.99.0.0/24 dns") in text, text
        text = c.cmd("show counters")
        assert re.search(r"outgoing L2TP: sessions up\s+1\b", text), text
    finally:
        c.close()


@pytest.mark.parametrize("how", ["session", "tunnel", "restart"])
def test_outgoing_reconnects(pair, how):
    """Cleared on the LNS (session, tunnel) or the LNS restarted: the
    client notices (CDN, StopCCN, or its echoes unanswered) and dials
    again."""
    cns, client, lns_ns, lns = pair("chap")
    addr = client_address(client)
    assert ping(cns, BEHIND_LNS).returncode == 0
    mark = client.log_mark()
    if how == "restart":
        # The LNS goes away and comes back: the client's echoes or
        # the tunnel's retransmissions notice, and it dials again.
        lns.stop()
        lns.start()
    else:
        c = cli(lns, "far-lns")
        try:
            if how == "session":
                text = c.cmd("show session")
                sid = [ln.split()[0] for ln in text.splitlines()
                       if " alice " in ln][0]
                c.cmd(f"drop session {sid}")
            else:
                text = c.cmd("show tunnel")
                tid = [ln.split()[0] for ln in text.splitlines()
                       if "client-lac" in ln][0]
                c.cmd(f"drop tunnel {tid}")
        finally:
            c.close()
    # drop session: the LNS's LCP Terminate-Request first; drop tunnel:
    # its CDN (then StopCCN); a restarted LNS knows nothing of us: our
    # echoes go unanswered.
    why = {"session": r"session: LCP down",
           "tunnel": r"session: CDN from the LNS",
           "restart": r"session: LCP echo timeout"}[how]
    client.wait_for_log(rf"outgoing isp: \S+ -> backoff: .*({why})",
                        since=mark, timeout=30)
    addr2 = client_address(client, since=mark, timeout=60)
    assert addr2.startswith("203.0.113.")
    # The routes follow the new session; traffic passes again.
    wait_until(lambda: f"src {addr2}" in cns.run(
        ["ip", "-4", "route", "show", "10.99.0.0/24"]).stdout, 5,
        "the route back with the new address")
    wait_until(lambda: ping(cns, BEHIND_LNS, 1).returncode == 0, 10,
               "a ping through the new session")
    del addr


def test_outgoing_routes_a_lan_behind_the_client(pair, netns):
    """A LAN behind the client end: its hosts reach the network behind
    the LNS through the session, forwarded by the client's kernel both
    ways.  The LNS routes the LAN back to the session by a static
    session rule (address and route, no RADIUS); its anti-spoofing
    check takes only the session's own address as a source, so it is
    off here (disable_no_spoof)."""
    cns, client, lns_ns, lns = pair(
        "chap", lns_lines=["l2tp session alice secret address 203.0.113.9 "
                           "route 10.77.0.0/24"],
        lns_cfg={"disable_no_spoof": "yes"})
    lan = netns()
    netns.veth(lan, cns, "10.77.0.2/24", "10.77.0.1/24")
    lan.ip("route", "add", "default", "via", "10.77.0.1")
    cns.run(["sysctl", "-qw", "net.ipv4.ip_forward=1"])
    addr = client_address(client)
    assert addr == "203.0.113.9"
    r = ping(lan, BEHIND_LNS)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "3 received" in r.stdout, r.stdout
    # The LNS saw the LAN's own address (no translation on the way).
    st = lns_ns.run(["ip", "-4", "route", "get", "10.77.0.2"]).stdout
    assert f"dev {lns.tun}" in st, st


def test_outgoing_reload(pair):
    """HUP: an unchanged line keeps its session; a changed one dials
    again with the new settings; a removed one is closed (CDN, StopCCN)
    and its routes go."""
    cns, client, lns_ns, lns = pair("pap")
    client_address(client)
    mark = client.log_mark()
    client.reload(extra_lines=[outgoing_line("pap")])
    client.assert_not_logged(r"outgoing isp: \S+ -> backoff", since=mark)
    # Changed (a second route): closed and dialled again, both routes in.
    mark = client.log_mark()
    client.reload(extra_lines=[outgoing_line(
        "pap", extra=" route 10.98.0.0/24")])
    client.wait_for_log(r"outgoing isp: removed or changed", since=mark,
                        timeout=5)
    addr = client_address(client, since=mark)
    wait_until(lambda: f"src {addr}" in cns.run(
        ["ip", "-4", "route", "show", "10.98.0.0/24"]).stdout, 5,
        "the new route")
    # Removed: the LNS sees the call and the tunnel go, the routes go.
    lmark = lns.log_mark()
    client.reload(extra_lines=[])
    lns.wait_for_log(r"StopCCN from", since=lmark, timeout=10)
    wait_until(lambda: cns.run(["ip", "-4", "route", "show",
                                "10.99.0.0/24"]).stdout.strip() == "", 5,
               "the route gone")
    assert f"{addr}/32" not in client.tun_addrs()


def test_outgoing_wrong_password_backoff(pair):
    cns, client, lns_ns, lns = pair("pap", password="wrong")
    client.wait_for_log(r"outgoing isp: PPP failed: PAP: authentication "
                        r"failed", timeout=20)
    # Waits of 1, 2, 4 s: the backoff doubles after each failure.
    m = wait_until(lambda: re.findall(
        r"outgoing isp: next attempt in (\d+) s", client.log_text()), 40,
        "retries", interval=0.5)
    wait_until(lambda: len(re.findall(
        r"outgoing isp: next attempt in (\d+) s", client.log_text())) >= 3,
        40, "three retries")
    waits = [int(x) for x in re.findall(
        r"outgoing isp: next attempt in (\d+) s", client.log_text())]
    assert waits[:3] == [1, 2, 4], waits
    del m
    client.assert_not_logged(r"ppp -> up")
    # No route into a session that is not there.
    routes = cns.run(["ip", "-4", "route", "show", "10.99.0.0/24"]).stdout
    assert routes.strip() == "", routes


def test_outgoing_method_not_allowed(pair):
    """The LNS offers only PAP; we allow only MS-CHAPv2: we nak with
    MS-CHAPv2, the LNS cannot, no session comes up."""
    cns, client, lns_ns, lns = pair("mschapv2", lns_method="pap")
    client.wait_for_log(r"outgoing isp: \S+ -> backoff", timeout=30)
    client.assert_not_logged(r"ppp -> up")
