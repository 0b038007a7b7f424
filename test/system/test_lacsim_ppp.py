"""PPP through the LAC simulator (test/lacsim/lacsim --ppp) against the daemon.

lacsim's PPP client (test/lacsim/ppp_client.c) is an independent reading of
RFC 1661, 1334, 1994, 2759, 1332, 1877 and 5072, so these runs check that the
daemon's PPP meets another reading on the wire: LCP, PAP, CHAP-MD5 and
MS-CHAPv2 (RFC 2759; lacsim checks the authenticator response) with the
daemon's local authentication (local_auth_file), IPCP with an address
from the pool and the configured DNS servers, echo during a hold, the
failure switches (wrong password, unanswered echoes, an unknown LCP
option, a rejected MRU, CCP), and IP traffic through the tunnel both ways.
"""
import ipaddress
import json
import re
import socket
import subprocess

import pytest

# LACSIM and lacsim_bin (a fixture) are imported from here by others
from conftest import (LACSIM, UdpEcho, lacsim_bin,  # noqa: F401
                      lacsim_events as events, local_auth, of)
POOL = "198.51.100.0/26"        # conftest's DEFAULT_IP_POOL
DNS1 = "192.0.2.53"
DNS2 = "192.0.2.54"
PEER = "192.0.2.1"              # the LNS's own address in IPCP
SERVER = "203.0.113.1"          # a host behind the LNS (on its lo)


@pytest.fixture
def lns(daemon, tmp_path):
    """A daemon authenticating locally: user1..userN with "password"."""
    def start(config=None, subscribers="* password\n", pool=POOL):
        auth = local_auth(tmp_path, subscribers)
        cfg = {"debug": 3, "local_auth_file": str(auth),
               "primary_dns": DNS1, "secondary_dns": DNS2,
               "peer_address": PEER}
        cfg.update(config or {})
        return daemon(cfg, ip_pool=pool + "\n")
    return start


def run_lacsim(d, lacsim_bin, *args, timeout=60):
    p = d.ns.run([lacsim_bin, "--lns", "127.0.0.1", "--json", "--ppp",
                  *map(str, args)], check=False, timeout=timeout)
    evs = events(p.stdout)
    assert evs and evs[-1]["event"] == "done", p.stdout[-3000:] + p.stderr
    return p.returncode, evs


def mschapv2_accepted(rc, evs):
    """A clean lacsim run whose one session passed MS-CHAPv2, with the
    authenticator response of RFC 2759 5 ("S=<40 hex> M=..."; lacsim
    checked it against its own computation)."""
    assert not of(evs, "error"), of(evs, "error")
    assert rc == 0 and evs[-1]["ok"] is True, evs[-1]
    ok = of(evs, "ppp_auth_ok")
    assert len(ok) == 1 and ok[0]["auth"] == "mschapv2", ok
    assert re.fullmatch(r"S=[0-9A-F]{40} M=.*", ok[0]["message"]), ok


def check_up(evs, n):
    """n sessions with PPP up, addresses from the pool, our DNS."""
    ups = of(evs, "ppp_up")
    assert len(ups) == n, ups
    pool = ipaddress.ip_network(POOL)
    ips = {e["ip"] for e in ups}
    assert len(ips) == n, "two sessions share an address"
    for e in ups:
        assert ipaddress.ip_address(e["ip"]) in pool, e
        assert e["dns1"] == DNS1 and e["dns2"] == DNS2, e
        assert e["peer_ip"] == PEER, e
    return ups


@pytest.mark.parametrize("auth", ["pap", "chap", "mschapv2"])
def test_ppp_up_and_down(lns, lacsim_bin, auth):
    d = lns({"radius_authtypes": auth})
    rc, evs = run_lacsim(d, lacsim_bin, "--tunnels", 2, "--sessions", 3,
                         "--auth", auth, "--timeout", 20)
    errors = of(evs, "error")
    assert not errors, errors
    done = evs[-1]
    assert rc == 0 and done["ok"] is True, done
    assert done["ppp_up"] == 6 and done["auth_ok"] == 6
    assert done["auth_failures"] == 0
    lcp = of(evs, "ppp_lcp_up")
    assert len(lcp) == 6 and all(e["auth"] == auth for e in lcp), lcp
    users = {e["user"] for e in of(evs, "ppp_auth_ok")}
    assert users == {f"user{i}" for i in range(1, 7)}
    check_up(evs, 6)
    # our teardown: LCP Terminate-Request answered, then the CDN
    downs = of(evs, "ppp_down")
    assert len(downs) == 6, downs
    assert all(e["reason"] == "closed" and e["clean"] for e in downs), downs
    assert done["sessions_closed"] == 6 and done["tunnels_closed"] == 2


def test_ipv6cp(lns, lacsim_bin):
    d = lns({"ipv6_prefix": "2001:db8:100::/48"})
    rc, evs = run_lacsim(d, lacsim_bin, "--sessions", 2, "--ipv6",
                         "--timeout", 20)
    assert not of(evs, "error"), of(evs, "error")
    assert rc == 0 and evs[-1]["ok"] is True, evs[-1]
    check_up(evs, 2)
    v6 = of(evs, "ppp_ipv6_up")
    assert len(v6) == 2, v6
    for e in v6:
        assert e["local_ifid"] != e["peer_ifid"]
        assert e["local_ifid"] != "0000:0000:0000:0000"
        assert e["peer_ifid"] != "0000:0000:0000:0000"


def test_ipv6cp_rejected_without_prefix(lns, lacsim_bin):
    # no ipv6_prefix: the LNS Protocol-Rejects IPV6CP, so PPP with --ipv6
    # cannot be complete and the run is not ok, but nothing is a breach
    d = lns()
    rc, evs = run_lacsim(d, lacsim_bin, "--ipv6", "--timeout", 10)
    assert not of(evs, "error"), of(evs, "error")
    rej = of(evs, "ppp_rx_reject")
    assert rej and rej[0]["kind"] == "protocol", rej
    assert rej[0]["rejected_protocol"] == "8057"
    assert not of(evs, "ppp_ipv6_up")
    failed = of(evs, "ppp_failed")
    assert failed and failed[0]["reason"] == "ipv6cp_failed", failed
    assert rc == 1 and evs[-1]["ppp_up"] == 0


@pytest.mark.parametrize("auth", ["pap", "chap", "mschapv2"])
def test_wrong_password(lns, lacsim_bin, auth):
    d = lns({"radius_authtypes": auth})
    rc, evs = run_lacsim(d, lacsim_bin, "--sessions", 2, "--auth", auth,
                         "--wrong-password", "--timeout", 20)
    assert not of(evs, "error"), of(evs, "error")
    fails = of(evs, "ppp_auth_fail")
    assert len(fails) == 2, fails
    assert not of(evs, "ppp_up") and not of(evs, "ppp_auth_ok")
    done = evs[-1]
    # refused as it should be: that is the expected outcome
    assert rc == 0 and done["ok"] is True, done
    assert done["auth_failures"] == 2 and done["ppp_up"] == 0
    assert all(e["reason"] == "auth_failed" for e in of(evs, "ppp_down"))


def test_mschapv2_messages(lns, lacsim_bin):
    """RFC 2759 5 and 6: Success carries "S=<40 hex> M=", Failure
    "E=691 R=0 C=<32 hex> V=3"; the domain is not hashed (4)."""
    d = lns({"radius_authtypes": "mschapv2"},
            subscribers='CORP\\alice secret\nuser1 password\n')
    rc, evs = run_lacsim(d, lacsim_bin, "--auth", "mschapv2",
                         "--user", "CORP\\alice", "--password", "secret",
                         "--timeout", 20)
    mschapv2_accepted(rc, evs)
    d.wait_for_log(r'MS-CHAPv2 accepted for "CORP\\alice" \(local\)')
    rc, evs = run_lacsim(d, lacsim_bin, "--auth", "mschapv2",
                         "--wrong-password", "--timeout", 20)
    assert not of(evs, "error"), of(evs, "error")
    fail = of(evs, "ppp_auth_fail")
    assert len(fail) == 1, fail
    assert re.fullmatch(r"E=691 R=0 C=[0-9A-F]{32} V=3 M=.*",
                        fail[0]["message"]), fail


def test_mschapv2_nak_falls_back_to_chap(lns, lacsim_bin):
    """A client that Naks MS-CHAPv2 with CHAP-MD5 gets CHAP-MD5 when
    radius_authtypes allows it, and is refused when it does not."""
    d = lns({"radius_authtypes": "mschapv2,chap"})
    rc, evs = run_lacsim(d, lacsim_bin, "--auth", "chap", "--timeout", 20)
    assert not of(evs, "error"), of(evs, "error")
    assert rc == 0 and evs[-1]["ok"] is True, evs[-1]
    assert [e["auth"] for e in of(evs, "ppp_lcp_up")] == ["chap"]
    d.wait_for_log(r"peer naked our authentication protocol; trying CHAP")
    d.reload({"radius_authtypes": "mschapv2"})
    rc, evs = run_lacsim(d, lacsim_bin, "--auth", "chap", "--timeout", 20)
    assert not of(evs, "ppp_up"), evs
    d.wait_for_log(r"peer refuses every authentication protocol we allow")


def test_unknown_user_refused(lns, lacsim_bin):
    d = lns(subscribers="alice secret\n")
    rc, evs = run_lacsim(d, lacsim_bin, "--timeout", 10)
    assert of(evs, "ppp_auth_fail")
    assert rc == 1 and evs[-1]["ok"] is False
    assert evs[-1]["auth_failures"] == 1


def test_echo_during_hold(lns, lacsim_bin):
    d = lns({"echo_timeout": 1, "ppp_keepalive": False})
    rc, evs = run_lacsim(d, lacsim_bin, "--sessions", 2, "--hold", 3.5,
                         "--lcp-echo", 1, "--timeout", 20)
    assert not of(evs, "error"), of(evs, "error")
    assert rc == 0 and evs[-1]["ok"] is True, evs[-1]
    done = evs[-1]
    assert done["echo_rx"] >= 4 and done["echo_tx"] == done["echo_rx"]
    echo = of(evs, "ppp_echo")
    assert len(echo) == 2, echo
    for e in echo:
        assert e["rx_requests"] >= 2 and e["tx_replies"] == e["rx_requests"]
        # our own Echo-Requests were answered with the LNS's magic
        assert e["tx_requests"] >= 2 and e["rx_replies"] >= 2


def test_no_echo_reply_gets_session_dropped(lns, lacsim_bin):
    d = lns({"echo_timeout": 1, "idle_echo_timeout": 3})
    rc, evs = run_lacsim(d, lacsim_bin, "--no-echo-reply", "--hold", 10,
                         "--timeout", 10, timeout=60)
    assert of(evs, "ppp_up")
    echo = of(evs, "ppp_echo")
    assert echo and echo[0]["ignored"] >= 2 and echo[0]["tx_replies"] == 0
    # the LNS gave up on us well before the hold was over
    downs = of(evs, "ppp_down") + of(evs, "cdn_rx")
    assert downs, evs[-5:]
    assert downs[0]["t"] < 10
    assert rc == 1 and evs[-1]["unexpected_down"] >= 1
    d.wait_for_log(r"no answer|LCP Echo", timeout=1)


def test_lcp_unknown_option_rejected(lns, lacsim_bin):
    d = lns()
    rc, evs = run_lacsim(d, lacsim_bin, "--lcp-unknown-option",
                         "--timeout", 10)
    assert not of(evs, "error"), of(evs, "error")
    assert rc == 0 and evs[-1]["ok"] is True, evs[-1]
    assert of(evs, "ppp_lcp_up")[0]["rejected"] == "0x7f"


def test_reject_mru(lns, lacsim_bin):
    d = lns()
    rc, evs = run_lacsim(d, lacsim_bin, "--reject-mru", "--timeout", 10)
    # the LNS must not ask for the MRU again (RFC 1661 5.4): an error
    assert not of(evs, "error"), of(evs, "error")
    assert rc == 0 and evs[-1]["ok"] is True, evs[-1]
    assert of(evs, "ppp_lcp_up")[0]["peer_mru"] == 1500


def test_send_ccp_protocol_rejected(lns, lacsim_bin):
    d = lns()
    rc, evs = run_lacsim(d, lacsim_bin, "--send-ccp", "--hold", 0.5,
                         "--timeout", 10)
    assert not of(evs, "error"), of(evs, "error")
    rej = of(evs, "ppp_rx_reject")
    assert len(rej) == 1 and rej[0]["rejected_protocol"] == "80fd", rej
    assert rc == 0 and evs[-1]["ok"] is True, evs[-1]


def behind_lns(d):
    """A server address on the LNS host; the daemon routes its pool to
    the tun device itself."""
    d.ns.run(["ip", "addr", "add", f"{SERVER}/32", "dev", "lo"])


def icmp_checksum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(int.from_bytes(b[i:i + 2], "big") for i in range(0, len(b), 2))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def ping(ns, ip, ident, seq):
    """One ICMP echo request from the LNS's namespace; True on a reply."""
    def go():
        s = socket.socket(socket.AF_INET, socket.SOCK_RAW,
                          socket.IPPROTO_ICMP)
        s.settimeout(2)
        try:
            body = ident.to_bytes(2, "big") + seq.to_bytes(2, "big") + \
                b"lacsim-ping"
            pkt = bytes([8, 0]) + b"\0\0" + body
            pkt = pkt[:2] + icmp_checksum(pkt).to_bytes(2, "big") + pkt[4:]
            s.sendto(pkt, (ip, 0))
            while True:
                data, src = s.recvfrom(2048)
                hl = (data[0] & 0x0f) * 4
                icmp = data[hl:]
                if src[0] == ip and icmp[0] == 0 and icmp[4:] == body:
                    return icmp_checksum(icmp) == 0
        except socket.timeout:
            return False
        finally:
            s.close()
    return ns.run_in(go)


def test_traffic_to_server_and_back(lns, lacsim_bin):
    d = lns()
    behind_lns(d)
    echo = UdpEcho(d.ns, SERVER, 7)
    try:
        rc, evs = run_lacsim(d, lacsim_bin, "--tunnels", 2, "--sessions", 5,
                             "--traffic-dst", SERVER, "--dport", 7,
                             "--pps", 500, "--duration", 2, "--size", 200,
                             "--timeout", 20)
    finally:
        echo.close()
    assert not echo.errors, echo.errors
    assert not of(evs, "error"), of(evs, "error")
    done = evs[-1]
    assert rc == 0 and done["ok"] is True, done
    # about 500 pps for 2 s, spread over the 10 sessions
    assert 900 <= done["tx_packets"] <= 1100, done
    assert done["tx_bytes"] == 200 * done["tx_packets"]
    assert done["data_tx_dropped"] == 0
    # every datagram reached the server, from each session's address and
    # its own source port, and came back to the session that sent it
    assert echo.count == done["tx_packets"], (echo.count, done)
    ips = {e["ip"] for e in of(evs, "ppp_up")}
    assert {a for a, _ in echo.sources} == ips
    assert len({p for _, p in echo.sources}) == 10
    assert done["rx_packets"] == done["tx_packets"]
    assert done["rx_own"] == done["rx_packets"]
    assert done["rx_wrong_session"] == 0 and done["rx_bad"] == 0
    assert done["rtt_avg_ms"] < 1000
    traffic = of(evs, "traffic")
    assert len(traffic) >= 2, traffic
    assert traffic[0]["sessions"] == 10 and traffic[0]["tx_pps"] > 300
    for e in of(evs, "ppp_down"):
        assert e["tx_packets"] > 50 and e["rx_packets"] == e["tx_packets"]


def test_ping_and_udp_reflected_by_sessions(lns, lacsim_bin):
    d = lns()
    behind_lns(d)
    p = d.ns.popen([lacsim_bin, "--lns", "127.0.0.1", "--json", "--echo",
                    "--sessions", 3, "--hold", 30, "--timeout", 20],
                   stdout=subprocess.PIPE, text=True)
    evs = []
    try:
        while len(of(evs, "ppp_up")) < 3:
            line = p.stdout.readline()
            assert line, evs
            evs.append(json.loads(line))
            assert evs[-1]["event"] != "done", evs
        ips = [e["ip"] for e in of(evs, "ppp_up")]
        # ping through the LNS and the tunnel: lacsim answers
        for n, ip in enumerate(ips):
            assert ping(d.ns, ip, 0x4c00 + n, 1), ip
            assert ping(d.ns, ip, 0x4c00 + n, 2), ip
        # UDP is sent back with addresses and ports swapped
        s = d.ns.socket()
        s.bind((SERVER, 5555))
        s.settimeout(2)
        for ip in ips:
            s.sendto(b"reflect me", (ip, 4444))
            data, src = s.recvfrom(100)
            assert data == b"reflect me" and src == (ip, 4444)
        s.close()
    finally:
        p.send_signal(2)            # SIGINT: tear down now
        out, _ = p.communicate(timeout=30)
    evs += [json.loads(l) for l in out.splitlines() if l.strip()]
    assert not of(evs, "error"), of(evs, "error")
    done = evs[-1]
    assert done["event"] == "done" and done["interrupted"] is True
    assert done["icmp_replies"] == 6 and done["udp_reflected"] == 3, done
    assert done["rx_packets"] == 9 and done["rx_wrong_session"] == 0
    assert done["ppp_up"] == 3 and done["errors"] == 0


def test_1000_sessions_with_traffic(lns, lacsim_bin):
    pool = "10.64.0.0/20"
    d = lns({"debug": 2}, pool=pool)
    behind_lns(d)
    echo = UdpEcho(d.ns, SERVER, 7)
    try:
        rc, evs = run_lacsim(d, lacsim_bin, "--tunnels", 50, "--sessions", 20,
                             "--auth", "pap", "--traffic-dst", SERVER,
                             "--dport", 7, "--pps", 5000, "--duration", 3,
                             "--timeout", 60, timeout=120)
    finally:
        echo.close()
    done = evs[-1]
    assert not of(evs, "error"), of(evs, "error")[:5]
    assert rc == 0 and done["ok"] is True, done
    assert done["ppp_up"] == 1000 and done["sessions_closed"] == 1000
    assert len({a for a, _ in echo.sources}) == 1000
    assert done["tx_packets"] >= 14000, done
    # UDP over loopback may drop under load; most must come back
    assert done["rx_packets"] >= 0.9 * done["tx_packets"], done
    assert done["rx_wrong_session"] == 0


def test_ppp_option_rules(lacsim_bin):
    for args in (["--no-ppp", "--auth", "chap"],
                 ["--auth", "mschap"],
                 ["--traffic-dst", "0.0.0.0"],
                 ["--size", "27"],
                 ["--mru", "60"],
                 ["--password", ""],
                 ["--ppp", "--sessions", "0"]):
        p = subprocess.run([lacsim_bin, "--lns", "127.0.0.1", *args],
                           capture_output=True, timeout=10)
        assert p.returncode == 2, args


def test_verbose_trace(lns, lacsim_bin):
    d = lns()
    p = d.ns.run([lacsim_bin, "--lns", "127.0.0.1", "--ppp", "-v"],
                 check=False, timeout=30)
    assert p.returncode == 0, p.stdout[-2000:]
    out = p.stdout
    for needle in ("ppp_state", 'from="Req-Sent"', 'to="Opened"',
                   "ppp_tx", "ppp_rx", "protocol=\"LCP\"", "protocol=\"PAP\"",
                   "protocol=\"IPCP\"", "ppp_up", "ip=\"198.51.100.",
                   "ppp_down", "reason=\"closed\"", "ok=true"):
        assert needle in out, needle
