"""Interoperability with a real Linux LAC: xl2tpd 1.3 + pppd 2.4.9 over the
kernel's L2TP, in a qemu guest (TCG), dialling l2tpns in a namespace.

Our LAC simulator and scripted peers share our reading of the RFCs; this
test does not: everything the guest says comes from Debian's xl2tpd and
pppd.  Each test boots the guest once (15-30 s under TCG) against a fresh
daemon that authenticates from its local subscriber file (no RADIUS), and
checks what pppd reports on the guest's console (its log and the
``@@LAC`` markers of guest-init.sh) and what the daemon logs.

A daemon that does not install the route of its pool (older builds)
gets ``ip route add POOL dev tun0`` from the test, which says so.

Every test prints a summary (pppd's view of the link, pings, timings) and
the guest's console with the host time of each line; ``make interop``
shows them for passed tests too (pytest -rA).
"""
import ipaddress
import re
import time

import pexpect
import pytest

from conftest import LNS_ADDR, wait_until

HOSTNAME = "lns-interop"
TUN_ADDR = "10.99.0.1"          # tun0, and our IPCP address (peer_address)
POOL = "10.99.1.0/28"
DNS1, DNS2 = "192.0.2.53", "192.0.2.54"
USER, PASSWORD = "interop", "interop-pw"
SECRET = "tunnel-s3cret"
ENABLE = "enable-pw"
CLI_USERS = f"admin:admin\nenable:{ENABLE}\n"

BOOT_TIMEOUT = 150      # seconds for a whole guest run (TCG on a busy host)


# ---------------------------------------------------------------------------
# fixtures and helpers


def lns_config(subs, **cfg):
    """The daemon's configuration for the guest's LAC, cfg over it, with
    the subscribers file subs (USER and PASSWORD) written."""
    subs.write_text(f"# name password [address]\n{USER} {PASSWORD}\n")
    subs.chmod(0o600)
    config = {
        "debug": 4,
        "hostname": HOSTNAME,
        "bind_address": LNS_ADDR,
        "iftun_address": TUN_ADDR,
        "peer_address": TUN_ADDR,
        "local_auth_file": str(subs),
        "primary_dns": DNS1,
        "secondary_dns": DNS2,
        "radius_authtypes": "chap,pap",
    }
    config.update(cfg)
    return config


@pytest.fixture
def lns(daemon, lan, tmp_path):
    """``lns(**directives)`` starts l2tpns in the guest's namespace with
    the interop configuration (updated by ``directives``).  At the end
    the daemon is stopped and must not have reported a sanitizer error
    (the test suite runs this test with the SAN=1 build)."""
    started = []

    def start(**cfg):
        config = lns_config(tmp_path / "subscribers", **cfg)
        d = daemon(config, ns=lan, users=CLI_USERS, ip_pool=POOL + "\n")
        # Versions of the daemon that do not route their pool yet need
        # the route by hand (see the module's docstring).
        if not lan.routes(POOL):
            print(f"the daemon did not route {POOL}: the test adds "
                  f"'ip route add {POOL} dev {d.tun}'")
            lan.ip("route", "add", POOL, "dev", d.tun)
        started.append(d)
        return d

    yield start
    for d in started:
        d.stop()
        err = d.stderr()
        assert not re.search(r"Sanitizer|runtime error:", err), \
            f"{d.name} reported:\n{err}"


def lines(g, pattern):
    return g.pppd_lines(pattern)


def count(g, pattern):
    return len(g.pppd_lines(pattern))


def host_time(g, pattern):
    """Host seconds (since qemu started) of the first console line
    matching ``pattern``, or None."""
    rx = re.compile(pattern)
    for l in g.timed_transcript().split("\n"):
        if rx.search(l[7:]):
            try:
                return float(l[:6])
            except ValueError:
                return None
    return None


def ping_from_lns(lan, addr, n=3):
    """Ping the guest's PPP address from the LNS's namespace: the packets
    go through tun0 and l2tpns into the tunnel."""
    p = lan.run(["ping", "-c", str(n), "-i", "0.3", "-W", "2", addr],
                check=False, timeout=20)
    return p.returncode == 0, p.stdout.strip().split("\n")[-2:]


def check_lns_ping(d, ip, extra, how="from the LNS namespace"):
    """The LNS pings the guest's PPP address ip and every ping is
    answered; the result goes into extra (for summary())."""
    ok, res = ping_from_lns(d.ns, ip)
    extra.append(f"host ping {ip} {how}: "
                 f"{'ok' if ok else 'FAILED'}: {' '.join(res)}")
    assert ok, res


def check_session_pings(g, d, extra):
    """check_link(), the guest's pings (check_guest_pings()), and at the
    start of the guest's hold the LNS's (check_lns_ping()); the guest's
    address."""
    ip = check_link(g, d)
    check_guest_pings(g)
    g.wait_for("HOLD", 20)
    check_lns_ping(d, ip, extra)
    return ip


def check_guest_hangs_up(g, timeout):
    """The guest's pppd hangs up at the end of its hold (PPPD_EXIT with
    its link gone, not LINKDOWN) and the guest's run ends."""
    ev, rest = g.wait_for(["PPPD_EXIT", "LINKDOWN"], timeout)
    g.wait_exit(30)
    assert ev == "PPPD_EXIT" and "gone=yes" in rest, (ev, rest)


def summary(title, g, d, extra=()):
    """Print what the test saw: pppd's view, pings, timings, then the
    guest's console with the host time of each line."""
    v = g.pppd_view()
    boot = host_time(g, r"@@LAC \S+ BOOT")
    dial = host_time(g, r"@@LAC \S+ DIAL")
    up = host_time(g, r"@@LAC \S+ UP ")
    attach = host_time(g, r"^Connect: ppp0")
    first_req = host_time(g, r"^rcvd \[LCP ConfReq")
    total = (g.t_end or time.monotonic()) - g.t_start
    out = [f"==== {title}",
           f"pppd: local {v.get('local')} remote {v.get('remote')} "
           f"DNS {v.get('dns1')} {v.get('dns2')}"]
    for ev in ("IPUP", "RESOLV", "PING", "PINGBIG", "LINKDOWN", "PPPD_EXIT",
               "FAIL"):
        m = g.mark(ev)
        if m is not None:
            out.append(f"guest {ev}: {m}")
    out += list(extra)

    def fmt(x):
        return "-" if x is None else f"{x:.2f} s"
    out.append(f"timings (host): guest /init at {fmt(boot)}, dial at "
               f"{fmt(dial)}, pppd attached at {fmt(attach)}, first LCP "
               f"Configure-Request from the LNS at {fmt(first_req)}, "
               f"ppp0 up at {fmt(up)}, guest off after {total:.1f} s")
    if attach is not None and first_req is not None:
        out.append(f"  the LNS's first Configure-Request reached pppd "
                   f"{first_req - attach:.2f} s after pppd attached")
    out.append("---- guest console (host seconds, line)")
    out.append(g.timed_transcript())
    print("\n".join(out))


class Cli:
    """The daemon's telnet CLI, driven with Debian's telnet in the LNS's
    namespace."""

    PROMPT = rf"{HOSTNAME}(\([a-z-]+\))?[>#] "

    def __init__(self, d):
        self.p = pexpect.spawn(
            "ip", ["netns", "exec", d.ns.name, "telnet", "127.0.0.1", "23"],
            encoding="utf-8", codec_errors="replace", timeout=10)
        d.ns.track(self.p.pid)

    def login(self, user="admin", password="admin", enable=ENABLE):
        self.p.expect("Username: ")
        self.p.send(user + "\r")
        self.p.expect("Password: ")
        self.p.send(password + "\r")
        self.p.expect(self.PROMPT)
        self.p.send("enable\r")
        self.p.expect("Password: ")
        self.p.send(enable + "\r")
        self.p.expect(self.PROMPT)
        assert self.p.after.endswith("# "), self.p.before
        return self

    def cmd(self, line):
        self.p.send(line + "\r")
        self.p.expect(self.PROMPT)
        return self.p.before.replace("\r", "").partition("\n")[2]

    def close(self):
        if self.p.isalive():
            self.p.close(force=True)


def session_row(cli, user, ip):
    """The fields of the ``show session`` row of ``user`` at ``ip``."""
    for line in cli.cmd("show session").split("\n"):
        f = line.split()
        if len(f) >= 4 and f[0].isdigit() and f[2] == user and f[3] == ip:
            return f
    return None


def check_link(g, d):
    """The session is up as pppd sees it: an address from the pool, our
    address as the peer, the configured DNS servers; the daemon agrees."""
    ev, rest = g.wait_for(["UP", "FAIL"], BOOT_TIMEOUT)
    assert ev == "UP", f"no session: {rest}"
    v = g.pppd_view()
    assert set(v) == {"local", "remote", "dns1", "dns2"}, v
    ip = v["local"]
    net = ipaddress.ip_network(POOL)
    assert ipaddress.ip_address(ip) in net
    assert ip not in (str(net.network_address), str(net.broadcast_address))
    assert v["remote"] == TUN_ADDR
    assert (v["dns1"], v["dns2"]) == (DNS1, DNS2)
    # pppd's ip-up script and its usepeerdns file say the same.
    g.wait_for("RESOLV", 10)
    assert g.mark("IPUP") == (f"iface=ppp0 local={ip} remote={TUN_ADDR} "
                              f"dns1={DNS1} dns2={DNS2}")
    assert g.mark("RESOLV").split() == ["nameserver", DNS1,
                                        "nameserver", DNS2]
    d.wait_for_log(rf'IPCP up: "{USER}" has {re.escape(ip)} '
                   rf'\(DNS {re.escape(DNS1)} {re.escape(DNS2)}\)')
    return ip


def check_guest_pings(g):
    """The guest pinged our address through ppp0, small and 1200-octet."""
    g.wait_for("PINGBIG", 30)
    assert g.mark("PING").startswith("ok "), g.mark("PING")
    assert " 0% packet loss" in g.mark("PING")
    assert g.mark("PINGBIG").startswith("ok "), g.mark("PINGBIG")


# ---------------------------------------------------------------------------
# the tests


def test_chap_session_pings_lcp_echo_and_guest_hangs_up(lns, guests):
    """CHAP: address and DNS as pppd sees them, pings both ways, LCP echo
    answered in both directions, then the guest hangs up (pppd sends
    Terminate-Request) and the daemon closes the session."""
    d = lns(radius_authtypes="chap", echo_timeout=2, ppp_keepalive=False)
    g = guests({"auth": "chap", "user": USER, "pass": PASSWORD, "echo": 2,
                "hold": 7})
    extra = []
    try:
        ip = check_link(g, d)
        assert lines(g, r"^CHAP authentication succeeded")
        d.wait_for_log(rf'CHAP accepted for "{USER}"')
        check_guest_pings(g)

        g.wait_for("HOLD", 20)
        check_lns_ping(d, ip, extra)

        check_guest_hangs_up(g, 40)
    finally:
        summary("CHAP session, pings, LCP echo, guest hangs up", g, d, extra)

    # LCP echo, both ways, for the whole hold (about 4 intervals of 2 s).
    lns_req = count(g, r"^rcvd \[LCP EchoReq")
    lac_rep = count(g, r"^sent \[LCP EchoRep")
    lac_req = count(g, r"^sent \[LCP EchoReq")
    lns_rep = count(g, r"^rcvd \[LCP EchoRep")
    print(f"LCP echo: the LNS sent {lns_req} Echo-Requests, pppd answered "
          f"{lac_rep}; pppd sent {lac_req}, the LNS answered {lns_rep}")
    assert lns_req >= 2 and lac_rep >= 2
    assert lac_req >= 2 and lns_rep >= lac_req - 1
    assert not lines(g, r"No response to \d+ echo-requests")

    # The guest's hangup: Terminate-Request acknowledged, then the CDN.
    assert lines(g, r'^sent \[LCP TermReq id=\S+ "User request"\]')
    assert lines(g, r"^rcvd \[LCP TermAck")
    assert lines(g, r"^Connection terminated")
    d.wait_for_log(r"LCP: Terminate-Request from the peer: User request")
    d.wait_for_log(rf"session {USER} closed: ")
    d.wait_for_log(r"StopCCN from lac-interop: result 1 ")
    assert d.running()


def test_pap_session_dropped_from_our_cli(lns, guests):
    """PAP (the LNS asks for CHAP first: pppd, refusing it, Naks with PAP):
    session up with a pool address and our DNS, pings both ways, then
    ``drop session`` in our CLI and pppd reports the link terminated by
    the peer."""
    d = lns(radius_authtypes="chap,pap")
    g = guests({"auth": "pap", "user": USER, "pass": PASSWORD, "hold": 60})
    extra = []
    cli = None
    try:
        ip = check_link(g, d)
        assert lines(g, r"^rcvd \[LCP ConfReq id=\S+ .*<auth chap MD5>")
        assert lines(g, r"^sent \[LCP ConfNak id=\S+ <auth pap>\]")
        assert lines(g, r"^PAP authentication succeeded")
        d.wait_for_log(rf'PAP accepted for "{USER}"')
        check_guest_pings(g)

        g.wait_for("HOLD", 20)
        check_lns_ping(d, ip, extra)

        cli = Cli(d).login()
        row = wait_until(lambda: session_row(cli, USER, ip), 5,
                         "the session in show session")
        extra.append("show session: " + " ".join(row))
        sid = row[0]
        out = cli.cmd(f"drop session {sid}")
        extra.append(f"drop session {sid}: {out.strip()}")
        assert f"Session {sid} dropped" in out
        t_drop = time.monotonic() - g.t_start
        ev, rest = g.wait_for(["LINKDOWN", "PPPD_EXIT"], 30)
        extra.append(f"drop session at {t_drop:.2f} s (host)")
        g.wait_exit(30)
    finally:
        if cli:
            cli.close()
        summary("PAP session, pings, drop session from our CLI", g, d, extra)
    assert ev == "LINKDOWN", (ev, rest)
    assert lines(g, r"^rcvd \[LCP TermReq")
    assert lines(g, r"^sent \[LCP TermAck")
    assert lines(g, r"^LCP terminated by peer")
    d.wait_for_log(r"session dropped from the CLI by admin@127\.0\.0\.1")
    d.wait_for_log(rf"session {USER} closed: ")
    assert d.running()


@pytest.mark.parametrize("auth", ["chap", "pap"])
def test_wrong_password_refused(lns, guests, auth):
    """A wrong password: pppd reports the authentication failure, the
    daemon refuses and clears the call, no address is given."""
    d = lns(radius_authtypes=auth)
    g = guests({"auth": auth, "user": USER, "pass": "not-the-password"})
    try:
        ev, rest = g.wait_for(["UP", "FAIL"], BOOT_TIMEOUT)
        g.wait_exit(30)
    finally:
        summary(f"{auth.upper()} with a wrong password", g, d)
    assert ev == "FAIL", "the session came up with a wrong password"
    name = auth.upper()
    if auth == "chap":
        assert lines(g, r'^rcvd \[CHAP Failure id=\S+ "Authentication '
                        r'failed"\]')
        assert lines(g, r"^CHAP authentication failed")
    else:
        assert lines(g, r'^rcvd \[PAP AuthNak id=\S+ "Authentication '
                        r'failed"\]')
        assert lines(g, r"^PAP authentication failed")
    d.wait_for_log(rf'{name} rejected for "{USER}"')
    d.assert_not_logged(r"IPCP up")
    assert not g.pppd_view()


def test_tunnel_secret_both_sides(lns, guests):
    """``l2tp_secret`` on both sides, each challenging the other (xl2tpd
    ``challenge = yes``, with its ``hidden bit`` set): the tunnel
    authenticates both ways and the session carries traffic."""
    d = lns(l2tp_secret=SECRET)
    g = guests({"auth": "chap", "user": USER, "pass": PASSWORD,
                "secret": SECRET, "challenge": "yes", "hidden": "yes"})
    try:
        check_link(g, d)
        check_guest_pings(g)
        g.wait_exit(60)
    finally:
        summary("tunnel secret on both sides", g, d)
    d.wait_for_log(r"SCCRQ from lac-interop .*, with challenge")
    d.wait_for_log(r"tunnel up with lac-interop, .*, authenticated")
    # xl2tpd checked our Challenge Response in the SCCRP, or it would
    # have closed the tunnel ("Invalid challenge authentication").
    assert not lines(g, r"xl2tpd: .*(Invalid|No secret)")


def test_secret_set_lac_without_one_still_served(lns, guests):
    """The manual's rule (issue 20): with ``l2tp_secret`` set, a LAC that
    has no secret and does not challenge us is not challenged either, so
    an operator's existing xl2tpd keeps working; before, we challenged it
    and xl2tpd answered StopCCN "No secret key on our end"."""
    d = lns(l2tp_secret=SECRET)
    g = guests({"auth": "chap", "user": USER, "pass": PASSWORD})
    try:
        check_link(g, d)
        g.wait_exit(60)
    finally:
        summary("l2tp_secret set, LAC without one", g, d)
    d.wait_for_log(r"tunnel up with lac-interop")
    assert not lines(g, r"xl2tpd: .*(Invalid|No secret)")


def test_tunnel_wrong_secret_refused(lns, guests):
    """With ``l2tp_challenge_lac yes`` every LAC is challenged; this one
    answers our Challenge with another secret: the daemon refuses the
    tunnel (StopCCN result 4, RFC 2661 5.1.1) and no session is
    attempted.  The LAC does not challenge us itself, so the refusal is
    ours, not xl2tpd's."""
    d = lns(l2tp_secret=SECRET, l2tp_challenge_lac="yes")
    g = guests({"auth": "chap", "user": USER, "pass": PASSWORD,
                "secret": "another-secret", "challenge": "no"})
    try:
        ev, rest = g.wait_for(["UP", "FAIL"], BOOT_TIMEOUT)
        g.wait_exit(30)
    finally:
        summary("tunnel with a wrong secret", g, d)
    assert ev == "FAIL"
    d.wait_for_log(r"closing tunnel to lac-interop: StopCCN result 4 error 0: "
                   r"challenge response does not match l2tp_secret")
    d.assert_not_logged(r"tunnel up with")
    # xl2tpd sends its ICRQ right behind the SCCCN; the closing tunnel
    # only acknowledges it.
    d.assert_not_logged(r"ICRQ: call|ICCN")
    assert not lines(g, r"^Connect: ppp0")


def test_ipv6cp_interface_identifiers(lns, guests):
    """With ``ipv6_prefix`` set, pppd's IPV6CP accepts the identifier we
    Nak it with (its IPv4 address and four zero octets, the manual's rule)
    and ours, ::1."""
    d = lns(ipv6_prefix="2001:db8:99::/64")
    g = guests({"auth": "chap", "user": USER, "pass": PASSWORD})
    try:
        ip = check_link(g, d)
        g.wait_exit(60)
    finally:
        summary("IPV6CP", g, d)
    a, b, c, e = (int(x) for x in ip.split("."))
    ifid = f"{a:02x}{b:02x}:{c:02x}{e:02x}:0000:0000"
    assert lines(g, rf"^rcvd \[IPV6CP ConfNak id=\S+ <addr fe80::{ifid}>\]")
    assert lines(g, rf"^local +LL address fe80::{ifid}$")
    assert lines(g, r"^remote LL address fe80::0000:0000:0000:0001$")
    assert not lines(g, r"Protocol-Reject for 'IPv6 Control Protocol'")
    d.wait_for_log(rf"IPV6CP up: identifier {ifid}")


def test_session_survives_sigkill_and_restart(lns, guests, tmp_path):
    """save_state (issue 21): the daemon is SIGKILLed while the guest's
    session is up, and started again; the new process adopts the
    session.  pppd keeps its link: no second LCP negotiation, no
    Terminate, no LINKDOWN, its LCP echoes answered; the LNS pings the
    guest's address through the adopted session, and the guest's pppd
    hangs up normally at the end of its hold."""
    import signal
    d = lns(save_state=True, state_dir=str(tmp_path / "state"),
            echo_timeout=2)
    g = guests({"auth": "pap", "user": USER, "pass": PASSWORD, "echo": 2,
                "hold": 40})
    extra = []
    try:
        ip = check_session_pings(g, d, extra)
        confreqs = count(g, r"^rcvd \[LCP ConfReq")
        mark = d.log_mark()
        d.signal(signal.SIGKILL)
        d.wait_exit(10)
        d.start(wait_ready=False)
        d.wait_for_log(r" ready: ", 30, since=mark)
        d.wait_for_log(r"state: adopted 1 sessions and 1 tunnels", 5,
                       since=mark)
        if not d.ns.routes(POOL):
            d.ns.ip("route", "add", POOL, "dev", d.tun)
        check_lns_ping(d, ip, extra, "through the adopted session")
        check_guest_hangs_up(g, 60)
    finally:
        summary("session through SIGKILL and restart", g, d, extra)
    # pppd saw one negotiation only, and no echo timeout
    assert count(g, r"^rcvd \[LCP ConfReq") == confreqs
    assert not lines(g, r"No response to \d+ echo-requests")
    assert not lines(g, r"^rcvd \[LCP TermReq")
    assert count(g, r"^rcvd \[LCP EchoRep") >= 2
    d.wait_for_log(rf"session {USER} closed: ", since=mark)
