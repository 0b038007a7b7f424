"""Relay (L2TP switching, issue 23): a subscriber's call carried on to a
far LNS, with three namespaces chained:

    LAC (l2tpwire.Lac + pppwire.Ppp, a scripted subscriber)
      -> our l2tpns (relaying: FreeRADIUS answers with RFC 2868 tunnel
         attributes, Tunnel-Password salt-encrypted)
      -> far LNS (our own l2tpns, or Debian's l2tpns package binary)

The relay negotiates LCP and authentication with the subscriber, then
opens a tunnel to the far LNS as a LAC (SCCRQ, challenge with the
Tunnel-Password, SCCCN), an outgoing call (ICRQ, ICCN with proxy LCP and
proxy authentication, RFC 2661 4.4.5) and switches the data messages
without touching PPP.  The far LNS answers the authentication and runs
IPCP directly with the subscriber; a ping crosses the far LNS's TUN.
Teardown from either side clears both halves at once.
"""
import ipaddress
import json
import re
import shutil
import socket
import subprocess
import struct
import time
from pathlib import Path

import pytest

from conftest import wait_until
from l2tpwire import Lac, CDN, result_code, avp, A_MSGTYPE, A_RESULT, \
    A_SESSION_ID
import pppwire
from pppwire import Ppp, LCP, PAP, IP, CONFREQ, CONFACK, CONFREJ, TERMREQ, \
    TERMACK
import test_radius
from test_cli import Cli
from test_radius import FreeRadius, radius_cfg

TUNNEL_PW = "tunnel-pw-7"
FAR_ADDR = "10.77.0.2"
RELAY_FAR_ADDR = "10.77.0.1"
LAC_ADDR = "10.76.0.2"
RELAY_LAC_ADDR = "10.76.0.1"
FAR_POOL = "198.51.100.128/26"


def users(endpoints):
    """FreeRADIUS users entry for alice naming `endpoints`:
    [(tag, address, preference, assignment)]."""
    lines = ['alice\tCleartext-Password := "secret"']
    attrs = []
    for tag, addr, pref, assign in endpoints:
        attrs += [f"Tunnel-Type:{tag} = L2TP",
                  f"Tunnel-Medium-Type:{tag} = IPv4",
                  f'Tunnel-Server-Endpoint:{tag} = "{addr}"',
                  f'Tunnel-Password:{tag} = "{TUNNEL_PW}"',
                  f'Tunnel-Assignment-Id:{tag} = "{assign}"',
                  f'Tunnel-Client-Auth-Id:{tag} = "relay-lac"',
                  f"Tunnel-Preference:{tag} = {pref}"]
    return lines[0] + "\n\t" + ",\n\t".join(attrs) + "\n"


def icmp_echo(src, dst, ident, seq, payload=b"relay-ping"):
    def csum(b):
        if len(b) % 2:
            b += b"\0"
        s = sum(struct.unpack(f"!{len(b) // 2}H", b))
        s = (s >> 16) + (s & 0xFFFF)
        s += s >> 16
        return ~s & 0xFFFF
    icmp = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + payload
    icmp = icmp[:2] + struct.pack("!H", csum(icmp)) + icmp[4:]
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(icmp), 7, 0, 64, 1,
                      0, socket.inet_aton(src), socket.inet_aton(dst))
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return hdr + icmp


@pytest.fixture
def chain(daemon, netns, tmp_path):
    """chain(far="ours"|"debian") -> (lac_ns, relay daemon, far, radius)"""
    started = []

    def make(far="ours", endpoints=None, relay_cfg=None, relay_lines=(),
             far_cfg=None):
        lac_ns, relay_ns, far_ns = netns(), netns(), netns()
        netns.veth(lac_ns, relay_ns, LAC_ADDR + "/24", RELAY_LAC_ADDR + "/24")
        _, far_dev = netns.veth(relay_ns, far_ns, RELAY_FAR_ADDR + "/24",
                                FAR_ADDR + "/24")
        rad = FreeRadius(relay_ns, tmp_path / "radius",
                         users=users(endpoints or [(1, FAR_ADDR, 1, "far")]))
        rad.start()
        started.append(rad)
        cfg = radius_cfg(hostname="relay", ppp_restart_time=3,
                         l2tp_setup_timeout=3)
        cfg.update(relay_cfg or {})
        relay = daemon(cfg, ns=relay_ns, users="admin:admin\nenable:en\n",
                       extra_lines=relay_lines)
        if far == "ours":
            auth = tmp_path / "far-subscribers"
            auth.write_text("alice secret\nbob@far.example pw-bob\n"
                            "dave pw-dave\n")
            auth.chmod(0o600)
            fard = daemon({"debug": 4, "hostname": "far-lns",
                           "cli_bind_address": "127.0.0.1",
                           "l2tp_secret": TUNNEL_PW,
                           "local_auth_file": str(auth),
                           "peer_address": "192.0.2.77",
                           "primary_dns": "192.0.2.53", **(far_cfg or {})},
                          ns=far_ns, ip_pool=FAR_POOL + "\n",
                          users="admin:admin\nenable:en\n")
        else:
            fard = debian_far(far_ns, tmp_path, started, far_dev)
        return lac_ns, relay, fard, rad

    yield make
    for r in started:
        r.stop()
    for c in clis:
        c.close()


clis = []


def cli(d):
    c = Cli(d, hostname=d.config["hostname"])
    clis.append(c)
    return c.login().enable("en")


class DebianFar:
    """Debian's l2tpns package binary (/usr/sbin/l2tpns, the original
    daemon, which no one here wrote) as the far LNS in namespace `ns`.
    It reads /etc/l2tpns/ip_pool at a fixed path: `ip netns exec` puts
    /etc/netns/NS/l2tpns over /etc/l2tpns for it (ip-netns(8)).  It
    authenticates through RADIUS only: a FreeRADIUS of its own."""

    BIN = "/usr/sbin/l2tpns"

    def __init__(self, ns, directory, dev):
        self.ns = ns
        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True)
        self.etc = Path("/etc/netns") / ns.name / "l2tpns"
        self.etc.mkdir(parents=True, exist_ok=True)
        self.log = self.dir / "l2tpns.log"
        cfg = {"debug": 4, "log_file": str(self.log),
               "pid_file": str(self.dir / "l2tpns.pid"),
               "l2tp_secret": TUNNEL_PW, "primary_radius": "127.0.0.1",
               "radius_secret": test_radius.SECRET,
               "radius_accounting": "no", "peer_address": "192.0.2.77",
               "primary_dns": "192.0.2.53", "cli_bind_address": "127.0.0.1",
               # it will not start without an interface for clustering
               "cluster_interface": dev}
        (self.etc / "startup-config").write_text("".join(
            f'set {k} "{v}"\n' if isinstance(v, str) and " " in v else
            f"set {k} {v}\n" for k, v in cfg.items()))
        (self.etc / "ip_pool").write_text(FAR_POOL + "\n")
        (self.etc / "users").write_text("admin:admin\n")
        self.rad = FreeRadius(ns, directory / "radius",
                              users='alice\tCleartext-Password := "secret"\n')
        self.proc = None

    def start(self):
        if not Path(self.BIN).exists():
            pytest.fail(f"{self.BIN} missing: run scripts/install-deps.sh")
        self.rad.start()
        self.out = open(self.dir / "stdout", "ab")
        self.proc = self.ns.popen([self.BIN, "-c",
                                   "/etc/l2tpns/startup-config"],
                                  stdout=self.out, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL,
                                  # it signals its whole process group
                                  start_new_session=True)
        wait_until(lambda: ":1701 " in self.ns.run(
            ["ss", "-uln"], check=False).stdout or self.proc.poll()
            is not None, 10, "Debian l2tpns to listen")
        assert self.proc.poll() is None, self.log_text()[-3000:]
        # Alone, it serves only once it has declared itself the
        # cluster's master (some heartbeat intervals after its start).
        wait_until(lambda: "becoming master" in self.log_text(), 30,
                   "Debian l2tpns to become master")
        return self

    def log_text(self):
        return self.log.read_text(errors="replace") if self.log.exists() \
            else ""

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.rad.stop()
        shutil.rmtree(self.etc.parent, ignore_errors=True)


def debian_far(ns, tmp_path, started, dev):
    far = DebianFar(ns, tmp_path / "debian-far", dev)
    started.append(far)
    return far.start()


def subscriber(lac_ns, our_sid=91):
    lac = lac_ns.run_in(Lac, RELAY_LAC_ADDR)
    lac.open_tunnel(host="lac-sim")
    sid = lac.open_session(our_sid=our_sid, calling="01234")
    return lac, Ppp(lac, sid, our_sid)


def relay_up(lac_ns, pap_timeout=5, our_sid=91, user="alice",
             password="secret"):
    """LCP with the relay, then PAP: the Ack comes from the far LNS (the
    relay does not answer a relayed subscriber); IPCP with the far LNS.
    Returns (lac, ppp, our address, the far's address, frames before
    PAP)."""
    lac, p = subscriber(lac_ns, our_sid)
    p.lcp_up()
    mark = len(p.frames)
    code, msg = p.pap(user, password, timeout=pap_timeout)
    assert code == 2, msg
    ours, _, _, theirs = p.ipcp_up(dns=False)
    return lac, p, ours, theirs, mark


def lcp_requests_after(p, mark):
    return [f for f in p.frames[mark:] if f.proto == LCP and
            f.code == CONFREQ]


def ping(p, ours, dst, seq=1):
    """An ICMP echo through the relay; the echo reply, parsed."""
    p.send(IP, icmp_echo(ours, dst, 0x4242, seq))
    end = time.time() + 5
    while True:
        f = p.expect(IP, timeout=max(0.1, end - time.time()))
        pkt = f.payload
        if pkt[9] == 1 and pkt[20] == 0:        # ICMP echo reply
            return (socket.inet_ntoa(pkt[12:16]),
                    socket.inet_ntoa(pkt[16:20]),
                    struct.unpack_from("!HH", pkt, 24))


def send_cdn(lac, p, result=3):
    lac.send(avp(A_MSGTYPE, CDN) + avp(A_RESULT, struct.pack("!H", result)) +
             avp(A_SESSION_ID, p.our_sid), sid=p.sid)


def sessions(d):
    return json.loads(cli(d).cmd("show session json"))["sessions"]


def tunnels(d):
    return json.loads(cli(d).cmd("show tunnel json"))["tunnels"]


def test_relay_to_our_far_lns(chain):
    lac_ns, relay, far, rad = chain("ours")
    lac, p, ours, theirs, mark = relay_up(lac_ns)
    assert ipaddress.ip_address(ours) in ipaddress.ip_network(FAR_POOL)
    assert theirs == "192.0.2.77"       # the far LNS's peer_address
    # Proxy LCP taken over: no LCP Configure-Request from the far side.
    assert lcp_requests_after(p, mark) == [], p.frames
    relay.wait_for_log(r'relay: "alice" switched to LNS far-lns')
    far.wait_for_log(r'proxy LCP and PAP authentication from the LAC for '
                     r'"alice"')
    # Tunnel authentication with the Tunnel-Password, both ways.
    far.wait_for_log(r"tunnel up with relay-lac, .*authenticated")
    # IP crosses the far LNS's TUN: the echo comes back from its kernel.
    assert ping(p, ours, FAR_ADDR) == (FAR_ADDR, ours, (0x4242, 1))
    # The relay shows the relayed session and its outgoing tunnel.
    rs = sessions(relay)
    mine = [s for s in rs if not s["relay_out"]]
    out = [s for s in rs if s["relay_out"]]
    assert len(mine) == 1 and len(out) == 1, rs
    assert mine[0]["relay"] == out[0]["sid"] and \
        out[0]["relay"] == mine[0]["sid"]
    assert mine[0]["ip"] == "0.0.0.0"           # no address of ours
    assert mine[0]["uploaded"] > 0 and mine[0]["downloaded"] > 0
    row = [r for r in cli(relay).cmd("show session").splitlines()
           if " alice " in r]
    assert any(" R " in r for r in row), row
    ts = tunnels(relay)
    assert [t["ip"] for t in ts if t["outgoing"]] == [FAR_ADDR], ts
    assert [t["outgoing"] for t in tunnels(far)] == [False]
    fs = sessions(far)
    assert [(s["user"], s["ip"]) for s in fs] == [("alice", ours)]
    # Accounting: the relayed session with its far end (RFC 2867).
    rec = rad.wait_record("Start", User_Name="alice")
    assert FAR_ADDR in rec.get("Tunnel-Server-Endpoint:0",
                               rec.get("Tunnel-Server-Endpoint", "")), rec
    # Teardown from the subscriber's side: the far LNS's session goes at
    # once, with the same result code.
    t0 = time.time()
    send_cdn(lac, p, result=3)
    far.wait_for_log(r"CDN: result 3 ", timeout=2)
    wait_until(lambda: sessions(far) == [], 2, "far session cleared")
    assert time.time() - t0 < 2
    wait_until(lambda: sessions(relay) == [], 2, "relay sessions cleared")
    rad.wait_record("Stop", User_Name="alice")


def test_relay_teardown_from_the_far_side(chain):
    lac_ns, relay, far, rad = chain("ours")
    lac, p, ours, theirs, mark = relay_up(lac_ns)
    sid = sessions(far)[0]["sid"]
    c = cli(far)
    c.cmd(f"drop session {sid}")
    # The far LNS ends PPP itself (LCP Terminate-Request through the
    # relay, acknowledged by the subscriber), then its CDN is passed on
    # at once with its result code.
    f = p.expect(LCP, TERMREQ, timeout=3)
    p.send_cp(LCP, TERMACK, f.id)
    # Within a second (pppwire's cdn() looks at what came in once its
    # wait is over).
    cdn = p.cdn(timeout=1.0)
    assert result_code(cdn)[0] == 3, cdn        # administrative, as theirs
    wait_until(lambda: sessions(relay) == [], 2, "relay sessions cleared")


def test_relay_falls_back_to_the_next_endpoint(chain):
    # Preference 1: an address nobody answers at; 2: the far LNS.
    lac_ns, relay, far, rad = chain("ours", endpoints=[
        (1, FAR_ADDR, 2, "far"), (2, "10.77.0.9", 1, "dead")])
    lac, p, ours, theirs, mark = relay_up(lac_ns, pap_timeout=15)
    relay.wait_for_log(r"relay: opening a tunnel to 10\.77\.0\.9:1701")
    relay.wait_for_log(r"no SCCRP from 10\.77\.0\.9 within 3 s")
    assert ping(p, ours, FAR_ADDR)[0] == FAR_ADDR


def test_relay_reuses_the_tunnel_to_the_same_lns(chain):
    lac_ns, relay, far, rad = chain("ours")
    a = relay_up(lac_ns, our_sid=91)
    b = relay_up(lac_ns, our_sid=92)
    assert a[2] != b[2]
    out = [t for t in tunnels(relay) if t["outgoing"]]
    assert len(out) == 1 and out[0]["sessions"] == 2, out
    assert ping(b[1], b[2], FAR_ADDR)[0] == FAR_ADDR


def test_relay_refused_call_goes_to_the_next_endpoint(chain):
    """The far LNS refuses a call (CDN before ICRP: its tunnel "a"
    already carries max_sessions_per_tunnel calls): the subscriber goes
    on to the next candidate (assignment "b", a tunnel of its own) and
    does not lose the call."""
    lac_ns, relay, far, rad = chain("ours", endpoints=[
        (1, FAR_ADDR, 1, "a"), (2, FAR_ADDR, 2, "b")],
        far_cfg={"max_sessions_per_tunnel": 1,
                 "allow_duplicate_users": True})
    a = relay_up(lac_ns, our_sid=91)
    b = relay_up(lac_ns, our_sid=92)
    relay.wait_for_log(r"relay: LNS far-lns refused the call \(CDN result "
                       r"4\): trying the next")
    out = [t for t in tunnels(relay) if t["outgoing"]]
    assert sorted(t["sessions"] for t in out) == [1, 1], out
    assert ping(b[1], b[2], FAR_ADDR)[0] == FAR_ADDR
    assert ping(a[1], a[2], FAR_ADDR)[0] == FAR_ADDR


def test_relay_with_no_tunnel_left_clears_the_call(chain):
    """No tunnel slot for the far LNS (max_tunnels 1: the LAC's takes
    it): the call is cleared at once with CDN 4 (no facilities,
    temporary) and the daemon goes on."""
    lac_ns, relay, far, rad = chain("ours", relay_cfg={"max_tunnels": 1})
    lac, p = subscriber(lac_ns)
    p.lcp_up()
    ident = p.next_id()
    p.send_cp(pppwire.PAP, 1, ident, b"\x05alice\x06secret")
    cdn = p.cdn(timeout=2)
    assert result_code(cdn)[0] == 4, cdn
    relay.wait_for_log(r'relay: no LNS for "alice" answered')
    assert relay.running()
    assert sessions(relay) == []


def test_disable_lac_func_terminates_here(chain):
    lac_ns, relay, far, rad = chain("ours",
                                    relay_cfg={"disable_lac_func": True})
    lac, p = subscriber(lac_ns)
    p.lcp_up()
    code, msg = p.pap("alice", "secret")
    assert code == 2, msg
    ours, _, _, _ = p.ipcp_up(dns=False)
    assert ipaddress.ip_address(ours) in \
        ipaddress.ip_network("198.51.100.0/26")     # the relay's own pool
    assert [t for t in tunnels(relay) if t["outgoing"]] == []
    relay.assert_not_logged(r"relay: ")


def test_setforward_relays_a_realm_without_radius(chain):
    """The static rule: users of a realm go to an LNS without RADIUS
    (FreeRADIUS does not know bob); the far LNS authenticates them from
    the proxy authentication."""
    lac_ns, relay, far, rad = chain("ours", relay_lines=[
        f"setforward @far.example {FAR_ADDR} 1701 {TUNNEL_PW}"])
    lac, p, ours, theirs, mark = relay_up(lac_ns, user="bob@far.example",
                                          password="pw-bob")
    assert lcp_requests_after(p, mark) == [], p.frames
    relay.wait_for_log(r'"bob@far.example" matches setforward @far.example')
    assert ping(p, ours, FAR_ADDR)[0] == FAR_ADDR
    relay.assert_not_logged(r'Access-Request for "bob')
    rad.wait_record("Start", User_Name="bob@far.example")   # accounted
    # alice (no realm) is not forwarded by the rule: RADIUS relays her.
    relay.assert_not_logged(r'"alice" matches setforward')


def test_static_session_rule_relays(chain):
    """`l2tp session USER * relay IP PORT SECRET` (FireBrick 12.3.2): a
    static rule relays dave, any password here, the far LNS checks it."""
    lac_ns, relay, far, rad = chain("ours", relay_lines=[
        f"l2tp session dave * relay {FAR_ADDR} 1701 {TUNNEL_PW}"])
    lac, p, ours, theirs, mark = relay_up(lac_ns, user="dave",
                                          password="pw-dave")
    assert lcp_requests_after(p, mark) == [], p.frames
    relay.wait_for_log(r'PAP accepted for "dave" \(static l2tp session '
                       r'rule: relay\)')
    far.wait_for_log(r'PAP accepted for "dave" \(local\)')
    assert ping(p, ours, FAR_ADDR)[0] == FAR_ADDR
    relay.assert_not_logged(r'Access-Request for "dave')


def reject_multilink(f):
    """Our answer to an LCP Configure-Request: Reject MRRU (17) and the
    Endpoint Discriminator (19) (RFC 1990), Ack the rest."""
    rej = b"".join(pppwire.opt(t, v) for t, v in f.opts() if t in (17, 19))
    return (CONFREJ, rej) if rej else (CONFACK, f.data)


def test_relay_to_debian_l2tpns(chain):
    """Debian's l2tpns 2.4.1 as the far LNS: it takes the relayed call
    with our tunnel authentication and reads the proxy AVPs, but does not
    take the proxy LCP over: it negotiates LCP again and asks for PAP
    (RFC 2661 18 allows this).  Then IPCP, a ping through its TUN, and a
    CDN from the subscriber clears both halves."""
    lac_ns, relay, far, rad = chain("debian")
    lac, p = subscriber(lac_ns)
    p.lcp_up()
    ident = p.next_id()
    u = b"alice"
    p.send_cp(PAP, 1, ident, bytes([len(u)]) + u + bytes([6]) + b"secret")
    relay.wait_for_log(r'relay: "alice" switched to LNS', timeout=10)
    wait_until(lambda: "Proxy Auth Name (alice)" in far.log_text(), 5,
               "Debian l2tpns to read the proxy authentication")
    # Its own LCP, then PAP again, over the relayed call.
    p.lcp_up(answer=reject_multilink)
    code, msg = p.pap("alice", "secret", timeout=8)
    assert code == 2, msg
    ours, _, _, theirs = p.ipcp_up(dns=False)
    assert ipaddress.ip_address(ours) in ipaddress.ip_network(FAR_POOL)
    assert ping(p, ours, FAR_ADDR) == (FAR_ADDR, ours, (0x4242, 1))
    out = [t for t in tunnels(relay) if t["outgoing"]]
    assert len(out) == 1 and out[0]["sessions"] == 1, out
    # Teardown from the subscriber's side reaches Debian's l2tpns at once.
    send_cdn(lac, p, result=3)
    wait_until(lambda: sessions(relay) == [], 2, "relay sessions cleared")
    wait_until(lambda: "Received CDN" in far.log_text(), 2,
               "Debian l2tpns to receive the CDN")


def test_relay_tunnels_leave_from_bind_address_remotelns(chain):
    """bind_address_remotelns / bind_portremotelns: the relay's tunnel
    to the far LNS comes from that address and port (a socket of its
    own), while the LAC's tunnel still reaches the relay on 1701; data
    and teardown use the same socket."""
    lac_ns, relay, far, rad = chain("ours", relay_cfg={
        "bind_address_remotelns": RELAY_FAR_ADDR,
        "bind_portremotelns": 56123})
    relay.wait_for_log(r"tunnels to remote LNSs leave from "
                       + re.escape(RELAY_FAR_ADDR) + r":56123")
    lac, p, ours, theirs, mark = relay_up(lac_ns)
    assert lcp_requests_after(p, mark) == [], p.frames
    assert ping(p, ours, FAR_ADDR) == (FAR_ADDR, ours, (0x4242, 1))
    # What the far LNS sees: the relay's tunnel from 10.77.0.1:56123.
    ft = tunnels(far)
    assert [(t["ip"], t["port"]) for t in ft] == [(RELAY_FAR_ADDR, 56123)], ft
    # The LAC's tunnel to the relay is on the L2TP port as before.
    assert [(t["ip"], t["outgoing"]) for t in tunnels(relay)
            if not t["outgoing"]] == [(LAC_ADDR, False)]
    send_cdn(lac, p, result=3)
    wait_until(lambda: sessions(far) == [], 3, "far session cleared")
    wait_until(lambda: sessions(relay) == [], 3, "relay sessions cleared")


def test_relay_without_remotelns_binding_uses_the_l2tp_port(chain):
    """Without either directive the relay's tunnels share the L2TP
    socket (bind_address:1701), as before."""
    lac_ns, relay, far, rad = chain("ours")
    lac, p, ours, theirs, mark = relay_up(lac_ns)
    ft = tunnels(far)
    assert [(t["ip"], t["port"]) for t in ft] == [(RELAY_FAR_ADDR, 1701)], ft
    relay.assert_not_logged(r"tunnels to remote LNSs leave from")
