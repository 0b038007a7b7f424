"""Abuse suite (issue 20, "Suites"): floods and tricks a peer can play,
each a test against the running daemon, each checking what reaches the
victim, what the daemon counts, and that it still serves.

Not here: what test_l2tp.py, test_ppp.py, test_radius.py, test_nsctl.py
and test_security.py already cover (malformed SCCRQs, unknown AVPs in
SCCRQ/ICRQ, CLI login limits, nsctl access), and the SCCRQ floods and
admission control (the l2tpfsm work).
"""
import hashlib
import hmac
import random
import socket
import struct

import pytest

from conftest import local_auth, wait_until
from faultkit import HOST, DaemonCli, Lacsim
from l2tpwire import (Lac, avp, control, result_code, u32, HELLO, ICCN,
                      STOPCCN, A_MSGTYPE, A_TX_SPEED, A_FRAMING_TYPE)
from nsctlhelp import encode, nsctl
from pppwire import Ppp, LCP, IP, ECHOREQ, ECHOREP, TERMREQ, ipv4_udp
from test_cli import USERS, clis  # noqa: F401 (a fixture)

SUBSCRIBERS = "alice secret\nbob pw2\n* password\n"


@pytest.fixture
def lns(daemon, tmp_path):
    def make(config=None):
        subs = local_auth(tmp_path, SUBSCRIBERS)
        cfg = {"debug": 3, "hostname": HOST, "local_auth_file": str(subs),
               "peer_address": "192.0.2.1", "ppp_restart_time": 1}
        cfg.update(config or {})
        return daemon(cfg, users=USERS, ip_pool="10.64.0.0/24\n")
    return make


def ppp_up(d, our_tid, user, password, bind=("0.0.0.0", 0), our_sid=77):
    lac = d.ns.run_in(Lac, "127.0.0.1", bind=bind)
    lac.our_tid = our_tid
    lac.open_tunnel(host=f"lac-{our_tid}")
    sid = lac.open_session(our_sid=our_sid)
    p = Ppp(lac, sid, our_sid)
    ip = p.up(user, password)[0]
    return lac, p, ip


def data_msg(tid, sid, proto, payload):
    """An L2TP data message (no Length, no sequence) carrying a PPP
    frame with address and control."""
    return struct.pack("!HHH", 0x0002, tid, sid) + b"\xff\x03" + \
        struct.pack("!H", proto) + payload


def drops(d):
    c = DaemonCli(d)
    try:
        return c.counters()["l2tp_drops"]
    finally:
        c.close()


# ---------------------------------------------------------------------------
# L2TP


def test_data_for_another_tunnels_session_never_reaches_it(lns):
    """Expected: two LACs on one host (different ports, as two LAC
    processes or two LACs behind one NAT address).  LAC A sends data
    messages aimed at B's session: under A's own tunnel id with B's
    session id, under B's tunnel id from A's port, and from another
    address.  None reaches B's session (an IP packet in it would be
    forwarded from B's address, an LCP Terminate-Request would end it):
    each is dropped and counted, and B's session stays up and works."""
    d = lns()
    a, pa, ip_a = ppp_up(d, 4242, "alice", "secret")
    b, pb, ip_b = ppp_up(d, 4343, "bob", "pw2")
    assert pa.sid != pb.sid, "the two sessions share an id: rerun"
    rx = d.ns.socket()
    rx.bind(("0.0.0.0", 9999))
    rx.settimeout(1)
    tun_addr = d.tun_addrs()[0].split("/")[0]
    before = drops(d)

    def inject(sock, tid, sid, tag):
        pkt = ipv4_udp(ip_b, tun_addr, 4444, 9999, tag)
        sock.sendto(data_msg(tid, sid, IP, pkt), ("127.0.0.1", 1701))
        sock.sendto(data_msg(tid, sid, LCP,
                             struct.pack("!BBH", TERMREQ, 0x66, 4)),
                    ("127.0.0.1", 1701))
    other = d.ns.socket()
    other.bind(("127.0.0.2", 0))
    inject(a.sock, a.tid, pb.sid, b"A-tunnel-B-session")
    inject(a.sock, b.tid, pb.sid, b"B-tunnel-from-A-port")
    inject(other, b.tid, pb.sid, b"B-tunnel-from-elsewhere")
    with pytest.raises(socket.timeout):
        data, src = rx.recvfrom(100)
        pytest.fail(f"injected packet {data!r} from {src} reached B")
    # B never saw a Terminate-Request, and is still up both ways
    assert not [f for f in pb.frames if f.proto == LCP and
                f.code == TERMREQ]
    pb.send(IP, ipv4_udp(ip_b, tun_addr, 4444, 9999, b"B itself"))
    assert rx.recvfrom(100) == (b"B itself", (ip_b, 4444))
    ident = pb.next_id()
    pb.send_cp(LCP, ECHOREQ, ident, struct.pack("!I", pb.magic))
    assert pb.expect(LCP, ECHOREP).id == ident
    after = drops(d)
    assert after["data for unknown session"] > \
        before["data for unknown session"]
    assert after["wrong peer"] >= before["wrong peer"] + 4, after
    assert d.running()


def _unknown(n, size):
    return b"".join(avp(300 + i, b"x" * size, mandatory=False)
                    for i in range(n))


# (name, builder(lac) -> datagram, expected): "discard" = no answer and
# counted as a length drop; "zlb" = acknowledged, the tunnel stays;
# (result, error) = StopCCN with that Result Code (RFC 2661 4.4.2, 7.1);
# ("CDN", result, error) = a CDN for the call.
MALFORMED = [
    ("oversized-8k",        # past the receive buffer: header unusable
     lambda l: control(l.tid, 0, l.ns, l.nr,
                       avp(A_MSGTYPE, HELLO) + _unknown(8, 1000)),
     "discard"),
    ("length-past-datagram",
     lambda l: control(l.tid, 0, l.ns, l.nr, avp(A_MSGTYPE, HELLO))[:-1],
     "discard"),
    ("large-valid-4000",    # unknown non-mandatory AVPs: ignored (4.1)
     lambda l: control(l.tid, 0, l.ns, l.nr,
                       avp(A_MSGTYPE, HELLO) + _unknown(40, 94)),
     "zlb"),
    ("unknown-type-not-mandatory",
     lambda l: control(l.tid, 0, l.ns, l.nr,
                       avp(A_MSGTYPE, 99, mandatory=False)),
     "zlb"),
    ("unknown-type-mandatory",      # an invalid control message (7.1)
     lambda l: control(l.tid, 0, l.ns, l.nr, avp(A_MSGTYPE, 99)),
     (2, 8)),
    ("avp-length-past-message",     # cannot be parsed on: malformed
     lambda l: control(l.tid, 0, l.ns, l.nr, avp(A_MSGTYPE, HELLO) +
                       struct.pack("!HHH", 0x8000 | 40, 0, 7) + b"abc"),
     (2, 2)),
    ("message-type-length-7",
     lambda l: control(l.tid, 0, l.ns, l.nr,
                       struct.pack("!HHH", 0x8000 | 7, 0, 0) + b"\x06"),
     (2, 2)),
    ("sccrp-to-the-lns",            # out of sequence (7.1): FSM error
     lambda l: control(l.tid, 0, l.ns, l.nr,
                       avp(A_MSGTYPE, 2) + avp(2, 0x0100) + avp(7, "x") +
                       avp(3, u32(3)) + avp(9, 5)),
     (7, 0)),
    ("iccn-unknown-call",
     lambda l: control(l.tid, 4321, l.ns, l.nr,
                       avp(A_MSGTYPE, ICCN) + avp(A_TX_SPEED, u32(1)) +
                       avp(A_FRAMING_TYPE, u32(1))),
     ("CDN", 2, 5)),
]


@pytest.mark.parametrize("name,build,expected", MALFORMED,
                         ids=[m[0] for m in MALFORMED])
def test_malformed_control_on_established_tunnel(lns, name, build,
                                                 expected):
    """Expected, on an established tunnel (RFC 2661 7.1): a control
    message whose header is unusable is discarded, unacknowledged, and
    counted; one with unknown non-mandatory parts is acknowledged; an
    invalid or malformed one clears the tunnel with the StopCCN Result
    and Error Codes of 4.4.2 (a call message: the call, with a CDN).
    Whatever came, the daemon serves a new tunnel."""
    d = lns({"debug": 2})
    lac = d.ns.run_in(Lac, "127.0.0.1")
    lac.open_tunnel()
    assert lac.recv_any(2)["avps"] == []            # the SCCCN's ZLB
    before = drops(d)
    ns0 = lac.ns
    lac.send_raw(build(lac))
    if expected == "discard":
        with pytest.raises(socket.timeout):
            lac.recv_any(1.5)
        assert drops(d)["length"] == before["length"] + 1
        # never accepted: the next message takes its Ns and is acked
        lac.send(avp(A_MSGTYPE, HELLO), ns=ns0)
        zlb = lac.recv_any(2)
        assert zlb["avps"] == [] and zlb["nr"] == (ns0 + 1) & 0xFFFF
    elif expected == "zlb":
        zlb = lac.recv_any(2)
        assert zlb["avps"] == [] and zlb["nr"] == (ns0 + 1) & 0xFFFF
        lac.ns = (ns0 + 1) & 0xFFFF
        lac.send(avp(A_MSGTYPE, HELLO))
        assert lac.recv_any(2)["nr"] == (ns0 + 2) & 0xFFFF
    else:
        m = lac.recv(2)
        if expected[0] == "CDN":
            # no call of the LAC's is known: its session id is 0
            assert m["type"] == 14 and m["sid"] == 0, m
            assert result_code(m)[:2] == expected[1:], result_code(m)
        else:
            assert m["type"] == STOPCCN, m
            assert result_code(m)[:2] == expected, result_code(m)
    lac.close()
    other = d.ns.run_in(Lac, "127.0.0.1")
    other.our_tid = 777
    assert other.open_tunnel()["type"] == 2
    assert d.running()


# ---------------------------------------------------------------------------
# PPP


def udp_rcvbuf_errors(ns):
    """The kernel's count of datagrams dropped on full UDP sockets."""
    lines = ns.run(["cat", "/proc/net/snmp"]).stdout.splitlines()
    head, vals = [l.split() for l in lines if l.startswith("Udp:")][:2]
    return int(vals[head.index("RcvbufErrors")])


def test_ppp_flood_on_one_session_does_not_starve_anothers_echoes(lns):
    """Expected: one subscriber sends 100,000 PPP frames a second (28-
    octet IP packets; about what the daemon reads under ASan on a quiet
    machine); meanwhile another subscriber, in another tunnel, logs in
    and exchanges LCP echoes every second both ways for 10 s.  Its
    login succeeds, the LNS never declares it dead, every echo the LNS
    sends it arrives and is answered, and at least half of its own
    echoes are answered.  Not all: every L2TP peer shares the daemon's
    one UDP socket, so when the flood outruns the daemon (a loaded
    machine) the kernel drops a share of every peer's datagrams, the
    victim's included (RcvbufErrors, shown on failure); only one socket
    per tunnel would isolate them."""
    d = lns({"debug": 2, "echo_timeout": 1, "idle_echo_timeout": 3,
             "ppp_keepalive": False})
    cli = DaemonCli(d)
    before = cli.counters()
    overflow0 = udp_rcvbuf_errors(d.ns)
    flood = Lacsim(d.ns, "--ppp", "--sessions", 1, "--user", "flood%d",
                   "--traffic-dst", "192.0.2.99", "--pps", 100000,
                   "--size", 28, "--duration", 16, "--hold", 17,
                   "--timeout", 20)
    try:
        flood.wait("traffic", 1, 30)
        victim = Lacsim(d.ns, "--ppp", "--sessions", 1, "--user", "vic%d",
                        "--lcp-echo", 1, "--hold", 10, "--timeout", 10)
        rc, done = victim.finish(40)
        during = cli.counters()
        assert flood.p.poll() is None, "the flood ended before the victim"
    finally:
        flood.kill()
    overflow = udp_rcvbuf_errors(d.ns) - overflow0
    assert rc == 0 and done["ppp_up"] == 1, done
    assert done["unexpected_down"] == 0, done
    (e,) = victim.events("ppp_echo")
    why = (e, f"{overflow} datagrams dropped on full sockets")
    # ours, one a second: answered
    assert e["tx_requests"] >= 9, why
    assert e["rx_replies"] >= 0.5 * e["tx_requests"], why
    # the LNS's, one a second: they reach the victim, which answers
    assert e["rx_requests"] >= 8 and e["tx_replies"] == e["rx_requests"], \
        why
    assert during["ppp_echo_timeouts"] == before["ppp_echo_timeouts"]
    flooded = during["ppp_rx_frames"] - before["ppp_rx_frames"]
    assert flooded > 20000, flooded
    cli.close()
    assert d.running()


# ---------------------------------------------------------------------------
# RADIUS


RAD_SECRET = "s3cret-lns"


def rad_reply(code, req, secret=RAD_SECRET):
    """A correctly signed reply to Access-Request ``req``, with a
    Message-Authenticator (RFC 2869 5.14) and Response Authenticator
    (RFC 2865 3)."""
    rid, ra = req[1], req[4:20]
    hdr = struct.pack("!BBH", code, rid, 20 + 18)
    ma = hmac.new(secret.encode(), hdr + ra + b"\x50\x12" + bytes(16),
                  "md5").digest()
    attrs = b"\x50\x12" + ma
    auth = hashlib.md5(hdr + ra + attrs + secret.encode()).digest()
    return hdr + auth + attrs


def test_radius_reply_spoofed_from_wrong_source_ignored(lns, netns):
    """Expected: a forged Access-Accept, correctly signed with the
    shared secret (an insider, or a replay of a genuine one), arrives
    before the real server's Access-Reject, from the server's address
    but another port, and from another address with the server's port.
    Both are ignored and counted (radius_bad_source); the real answer
    decides: the subscriber is refused."""
    d = lns({"primary_radius": "127.0.0.1", "primary_radius_port": 1812,
             "radius_secret": RAD_SECRET, "radius_accounting": False,
             "radius_timeout": 3, "local_auth_file": None})
    srv = d.ns.socket()
    srv.bind(("127.0.0.1", 1812))
    srv.settimeout(5)
    port_spoof = d.ns.socket()
    port_spoof.bind(("127.0.0.1", 1645))
    addr_spoof = d.ns.socket()
    addr_spoof.bind(("127.0.0.2", 1812))
    cli = DaemonCli(d)
    before = cli.counters()
    lac = d.ns.run_in(Lac, "127.0.0.1")
    lac.open_tunnel()
    sid = lac.open_session(our_sid=5)
    p = Ppp(lac, sid, 5)
    p.lcp_up()
    ident = p.next_id()
    p.send_cp(0xC023, 1, ident, b"\x05alice\x06secret")
    req, src = srv.recvfrom(4096)
    assert req[0] == 1
    accept = rad_reply(2, req)
    port_spoof.sendto(accept, src)
    addr_spoof.sendto(accept, src)
    wait_until(lambda: cli.counters()["radius_bad_source"] >=
               before["radius_bad_source"] + 2, 3, "the forgeries counted")
    srv.sendto(rad_reply(3, req), src)
    f = p.expect(0xC023, timeout=5)
    assert f.code == 3, f               # Authenticate-Nak: refused
    after = cli.counters()
    assert after["radius_accepts"] == before["radius_accepts"]
    assert after["radius_rejects"] == before["radius_rejects"] + 1
    assert after["radius_bad_source"] == before["radius_bad_source"] + 2
    cli.close()
    assert d.running()


# ---------------------------------------------------------------------------
# local interfaces: nsctl and the CLI


def test_nsctl_garbage_dropped_counted_and_served(lns):
    """Expected: 600 random datagrams to the nsctl port (random bytes;
    a valid header with random arguments; truncations of a valid
    request) from root on the host: each is either dropped and counted
    as malformed or answered as a request; none kills or wedges the
    daemon, and nsctl works afterwards."""
    d = lns({"debug": 2})
    rng = random.Random(20)
    good = encode(1, "help")
    dgrams = []
    for i in range(200):
        dgrams.append(rng.randbytes(rng.randrange(0, 1500)))
    for i in range(200):
        dgrams.append(good[:4] + rng.randbytes(rng.randrange(0, 300)))
    for i in range(200):
        b = bytearray(encode(1000 + i, "load_plugin", "x" * rng.randrange(
            0, 50)))
        b = b[:rng.randrange(0, len(b) + 1)]
        if b and rng.random() < 0.5:
            b[rng.randrange(len(b))] = rng.randrange(256)
        dgrams.append(bytes(b))
    cli = DaemonCli(d)
    before = cli.counters()
    s = d.ns.socket()
    s.settimeout(0.3)
    answered = 0
    for k in range(0, len(dgrams), 50):
        for b in dgrams[k:k + 50]:
            s.sendto(b, ("127.0.0.1", 1702))
        try:
            while True:
                s.recvfrom(65536)
                answered += 1
        except socket.timeout:
            pass
    p = nsctl(d.ns, "help", check=0)
    assert "load_plugin" in p.stdout
    after = cli.counters()
    rx = after["ctl_rx"] - before["ctl_rx"]
    bad = after["ctl_malformed"] - before["ctl_malformed"]
    assert rx == len(dgrams) + 1, (rx, len(dgrams))
    # each one dropped as malformed, or answered
    assert bad > 400 and bad + answered == len(dgrams), (bad, answered)
    cli.close()
    assert d.running()


def cli_garbage(rng):
    """Byte strings a broken or hostile telnet client might send."""
    IAC, SB, WILL, DO = 255, 250, 251, 253
    out = [rng.randbytes(4096),
           bytes([IAC, SB, 24]) + b"x" * 8000,          # SB never ended
           bytes([IAC, WILL, 1, IAC, DO, 3] * 2000),     # option storm
           b"A" * 70000,                                # one endless line
           b"\x00" * 1000 + b"\r\n" * 500,
           b"\x1b[" + b"9" * 5000 + b"m",               # escape sequence
           bytes(range(256)) * 40,
           b"\x03\x04\x1a\x7f\x08" * 500]
    return out


def test_cli_garbage_does_not_hurt(lns, clis):
    """Expected: eight connections to the CLI each send a different
    kind of garbage (random bytes, a telnet subnegotiation never ended,
    an option storm, a 70,000-octet line, NULs, a huge escape sequence,
    control characters) and hang up.  The daemon keeps serving L2TP
    meanwhile, no CLI process is left behind or spinning, and an
    administrator logs in and runs commands afterwards."""
    d = lns({"debug": 2})
    rng = random.Random(7)
    conns = []
    for g in cli_garbage(rng):
        c = d.ns.run_in(socket.create_connection, ("127.0.0.1", 23), 3)
        c.settimeout(2)
        try:
            c.sendall(g)
        except OSError:
            pass                # the CLI may hang up on us: fine
        conns.append(c)
    # the daemon's loop is not held up by its CLI children
    lac = d.ns.run_in(Lac, "127.0.0.1")
    assert lac.open_tunnel()["type"] == 2
    for c in conns:
        try:
            while c.recv(65536):
                pass
        except OSError:
            pass
        c.close()

    def children():
        return [pid for pid in d.ns.ns_pids() if pid != d.pid and
                open(f"/proc/{pid}/comm").read().strip() ==
                open(f"/proc/{d.pid}/comm").read().strip()]
    wait_until(lambda: not children(), 10, "the CLI children to exit")
    c = clis(d).login()
    assert "tunnels" in c.cmd("show counters")
    assert d.running()
