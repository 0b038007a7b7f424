"""L2TP control plane (RFC 2661) against the running daemon.

A scripted LAC (l2tpwire.Lac) lives in the daemon's namespace and talks to
it over loopback; every test checks what comes back on the wire and what
the daemon logs.
"""
import signal
import struct
import time

import pytest

from l2tpwire import (Lac, avp, u32, control, parse, get, result_code, hide,
                      unhide, H_BIT,
                      chap, SCCRQ, SCCRP, SCCCN, STOPCCN, HELLO, ICRQ, ICRP,
                      ICCN, CDN, A_MSGTYPE, A_PROTOVER, A_HOSTNAME,
                      A_FRAMING_CAP, A_TUNNEL_ID, A_RWS, A_CHALLENGE,
                      A_CHAL_RESP, A_SESSION_ID, A_SERIAL, A_CALLING,
                      A_TX_SPEED, A_FRAMING_TYPE, A_RANDOM_VECTOR, A_RESULT,
                      A_VENDOR)


def lac_for(d):
    return d.ns.run_in(Lac, "127.0.0.1")


@pytest.fixture
def lns(daemon):
    return daemon({"debug": 3, "hostname": "lns-test"})


def test_tunnel_and_session_lifecycle(lns):
    lac = lac_for(lns)
    rp = lac.open_tunnel(host="lac-one")
    # RFC 2661 6.2: the SCCRP's mandatory AVPs
    for attr in (A_PROTOVER, A_FRAMING_CAP, A_HOSTNAME, A_TUNNEL_ID):
        assert get(rp, attr) is not None, attr
    assert get(rp, A_PROTOVER) == b"\x01\x00"
    assert get(rp, A_HOSTNAME) == b"lns-test"
    assert rp["tid"] == lac.our_tid and rp["ns"] == 0 and rp["nr"] == 1
    assert lac.tid != 0
    lns.wait_for_log(r"tunnel up with lac-one, local id %d, peer id %d"
                     % (lac.tid, lac.our_tid))
    # the SCCCN is acknowledged with a ZLB
    zlb = lac.recv_any(2)
    assert zlb["avps"] == [] and zlb["nr"] == 2

    sid = lac.open_session(our_sid=77, calling="02071234567")
    assert sid != 0
    lns.wait_for_log(r'ICRQ: call 1 from "02071234567"')
    lns.wait_for_log(r"ICCN: call connected at 10000000 bit/s")

    lac.send(avp(A_MSGTYPE, CDN) + avp(A_RESULT, struct.pack("!HH", 1, 0)) +
             avp(A_SESSION_ID, 77), sid=sid)
    lns.wait_for_log(r"session \(no user\) closed: CDN from LAC")
    lac.send(avp(A_MSGTYPE, STOPCCN) + avp(A_RESULT, struct.pack("!HH", 1, 0))
             + avp(A_TUNNEL_ID, lac.our_tid))
    lns.wait_for_log(r"StopCCN from lac-one: result 1")
    # the StopCCN is acknowledged: a ZLB with Nr past it
    deadline = time.time() + 2
    while time.time() < deadline:
        m = lac.recv_any(2)
        if m["avps"] == [] and m["nr"] == lac.ns:
            break
    else:
        pytest.fail("StopCCN not acknowledged")


def test_lns_initiated_session_and_tunnel_ids_distinct(lns):
    a, b = lac_for(lns), lac_for(lns)
    a.open_tunnel(host="a")
    b.our_tid = 4242            # same peer id, other port: another tunnel
    b.open_tunnel(host="b")
    assert a.tid != b.tid
    s1 = a.open_session(our_sid=1)
    s2 = a.open_session(our_sid=2, serial=2)
    assert s1 != s2


def test_duplicate_sccrq_reuses_tunnel(lns):
    lac = lac_for(lns)
    lac.send(lac.sccrq())
    first = lac.recv()
    # Resend the SCCRQ with Ns 0 as if the SCCRP was lost.
    lac.send_raw(control(0, 0, 0, 0, lac.sccrq()))
    seen = []
    end = time.time() + 1.5
    while time.time() < end:
        try:
            seen.append(lac.recv_any(0.3))
        except OSError:
            pass
    for m in seen:
        if m["type"] == SCCRP:
            assert get(m, A_TUNNEL_ID) == get(first, A_TUNNEL_ID)
    lns.assert_not_logged(r"tid=2 ")


def test_tunnel_authentication(daemon):
    d = daemon({"l2tp_secret": "s3cret"})
    lac = lac_for(d)
    rp = lac.open_tunnel(secret=b"s3cret")
    assert get(rp, A_CHALLENGE) is not None
    d.wait_for_log(r"tunnel up with lac1, .*authenticated")


def test_tunnel_authentication_wrong_secret(daemon):
    d = daemon({"l2tp_secret": "s3cret"})
    lac = lac_for(d)
    challenge = b"0123456789abcdef"
    lac.send(lac.sccrq(extra=avp(A_CHALLENGE, challenge)))
    rp = lac.recv()
    # the LNS proved it knows the secret...
    assert get(rp, A_CHAL_RESP) == chap(SCCRP, b"s3cret", challenge)
    # ...but we answer its challenge with the wrong one
    lac.tid, = struct.unpack("!H", get(rp, A_TUNNEL_ID))
    lac.send(avp(A_MSGTYPE, SCCCN) +
             avp(A_CHAL_RESP, chap(SCCCN, b"wrong", get(rp, A_CHALLENGE))))
    stop = lac.recv()
    assert stop["type"] == STOPCCN
    assert result_code(stop)[0] == 4           # not authorized
    d.wait_for_log(r"challenge response does not match l2tp_secret")
    d.assert_not_logged(r"tunnel up")


def test_challenge_without_secret_refused(lns):
    lac = lac_for(lns)
    lac.send(lac.sccrq(extra=avp(A_CHALLENGE, b"abcd")))
    stop = lac.recv()
    assert stop["type"] == STOPCCN and result_code(stop)[0] == 4


def test_bad_protocol_version(lns):
    lac = lac_for(lns)
    sccrq = (avp(A_MSGTYPE, SCCRQ) + avp(A_PROTOVER, 0x0200) +
             avp(A_HOSTNAME, "x") + avp(A_FRAMING_CAP, u32(3)) +
             avp(A_TUNNEL_ID, 9))
    lac.send(sccrq)
    stop = lac.recv()
    assert stop["type"] == STOPCCN and result_code(stop)[0] == 5
    assert get(stop, A_TUNNEL_ID) is not None


def test_unknown_avps(lns):
    lac = lac_for(lns)
    # not mandatory: ignored (RFC 2661 4.1)
    lac.send(lac.sccrq(extra=avp(200, b"xx", mandatory=False)))
    assert lac.recv()["type"] == SCCRP
    # mandatory, in a tunnel message: the tunnel is cleared
    other = lac_for(lns)
    other.send(other.sccrq(extra=avp(200, b"xx", mandatory=True)))
    stop = other.recv()
    assert stop["type"] == STOPCCN
    assert result_code(stop)[:2] == (2, 8)


def test_unknown_mandatory_avp_in_icrq_ends_call_only(lns):
    lac = lac_for(lns)
    lac.open_tunnel()
    lac.send(avp(A_MSGTYPE, ICRQ) + avp(A_SESSION_ID, 5) +
             avp(A_SERIAL, u32(1)) + avp(201, b"zz", mandatory=True))
    cdn = lac.recv()
    assert cdn["type"] == CDN and cdn["sid"] == 5
    assert result_code(cdn)[:2] == (2, 8)
    # the tunnel is still up: a session still opens
    assert lac.open_session(our_sid=6) != 0


def test_missing_mandatory_avp(lns):
    lac = lac_for(lns)
    lac.open_tunnel()
    # ICCN without Tx Connect Speed for an existing call -> CDN
    lac.send(avp(A_MSGTYPE, ICRQ) + avp(A_SESSION_ID, 8) + avp(A_SERIAL, u32(1)))
    rp = lac.recv()
    sid, = struct.unpack("!H", get(rp, A_SESSION_ID))
    lac.send(avp(A_MSGTYPE, ICCN) + avp(A_FRAMING_TYPE, u32(1)), sid=sid)
    cdn = lac.recv()
    assert cdn["type"] == CDN and result_code(cdn)[0] == 2
    assert "Tx Connect Speed" in result_code(cdn)[2]


def test_hidden_calling_number(daemon):
    d = daemon({"l2tp_secret": "hideme"})
    lac = lac_for(d)
    lac.open_tunnel(secret=b"hideme")
    rv = b"\x11" * 16
    hidden = hide(A_CALLING, b"hideme", rv, b"441632960123")
    lac.send(avp(A_MSGTYPE, ICRQ) + avp(A_SESSION_ID, 3) +
             avp(A_SERIAL, u32(7)) + avp(A_RANDOM_VECTOR, rv) +
             avp(A_CALLING, hidden, hidden=True))
    assert lac.recv()["type"] == ICRP
    d.wait_for_log(r'ICRQ: call 7 from "441632960123"')


def test_out_of_order_delivery(lns):
    lac = lac_for(lns)
    lac.open_tunnel()
    icrq = [avp(A_MSGTYPE, ICRQ) + avp(A_SESSION_ID, 10 + i) +
            avp(A_SERIAL, u32(100 + i)) for i in range(2)]
    ns = lac.ns
    lac.send(icrq[1], ns=ns + 1)        # arrives first
    lac.send(icrq[0], ns=ns)
    got = [lac.recv(), lac.recv()]
    assert [m["type"] for m in got] == [ICRP, ICRP]
    # delivered in Ns order: the first ICRP answers session 10
    assert got[0]["sid"] == 10 and got[1]["sid"] == 11
    text = lns.log_text()
    assert text.index("call 100 ") < text.index("call 101 ")


def test_retransmission(lns):
    lac = lac_for(lns)
    lac.send(lac.sccrq())
    first = lac.recv()
    # do not acknowledge: the same message comes again, same Ns
    again = lac.recv_any(3)
    assert again["type"] == SCCRP and again["ns"] == first["ns"]
    lns.wait_for_log(r"retransmitted from Ns=0 \(try 2\)")


def test_hello_and_dead_peer(daemon):
    d = daemon({"hello_interval": 1, "dead_peer_hellos": 3})
    lac = lac_for(d)
    lac.open_tunnel()
    hello = lac.recv(3)
    assert hello["type"] == HELLO
    lac.ack()
    # now stay silent: cleared after 3 silent intervals
    d.wait_for_log(r"dead peer, clearing tunnel", timeout=8)
    d.wait_for_log(r"tunnel to lac1 .* cleared: dead peer")


def test_malformed_datagrams_dropped(lns):
    lac = lac_for(lns)
    bad = [
        b"\xc8",                                      # short
        b"\xc8\x03\x00\x0c\x00\x00\x00\x00\x00\x00\x00\x00",   # version 3
        b"\xc8\x02\x00\x40\x00\x00\x00\x00\x00\x00\x00\x00",   # length > dgram
        b"\x88\x02\x00\x0c\x00\x00\x00\x00\x00\x00\x00\x00",   # control w/o L
        control(0, 0, 0, 0, b"\x83\xff\x00\x00\x00\x00"),      # AVP len 1023
        control(0, 0, 0, 0, b"\x80\x03\x00\x00\x00\x00"),      # AVP len 3
        control(0, 0, 0, 0, avp(A_HOSTNAME, "first not msgtype")),
        control(999, 0, 0, 0, avp(A_MSGTYPE, HELLO)),          # no tunnel
    ]
    for b in bad:
        lac.send_raw(b)
    lns.wait_for_log(r"dropped L2TP datagram from 127\.0\.0\.1:\d+: length")
    lns.wait_for_log(r": version")
    lns.wait_for_log(r": control flags")
    lns.wait_for_log(r": no tunnel")
    # and the daemon still serves a tunnel
    good = lac_for(lns)
    assert good.open_tunnel()["type"] == SCCRP
    assert lns.running()


def test_quit_sends_stopccn(lns):
    lac = lac_for(lns)
    lac.open_tunnel()
    lac.recv_any(2)                              # ZLB for SCCCN
    lns.signal(signal.SIGQUIT)
    stop = lac.recv(3)
    assert stop["type"] == STOPCCN and result_code(stop)[0] == 6
    lac.ack()
    assert lns.wait_exit(5) == 0
    lns.wait_for_log(r"clean shutdown")


def test_tunnel_table_full_is_refused(daemon):
    d = daemon({"max_tunnels": 1})
    a = lac_for(d)
    a.open_tunnel(host="first")
    b = lac_for(d)
    b.send(b.sccrq(host="second"))
    stop = b.recv()
    assert stop["type"] == STOPCCN and stop["tid"] == b.our_tid
    assert result_code(stop)[:2] == (2, 4)     # insufficient resources
    d.wait_for_log(r"no free tunnel for SCCRQ from second")


def test_quit_sends_cdn_then_stopccn(lns):
    lac = lac_for(lns)
    lac.open_tunnel()
    sid = lac.open_session(our_sid=31)
    lns.wait_for_log(r"ICCN: call connected")
    lns.signal(signal.SIGQUIT)
    cdn = lac.recv(3)
    assert cdn["type"] == CDN and cdn["sid"] == 31
    assert result_code(cdn)[0] == 3            # administrative
    assert struct.unpack("!H", get(cdn, A_SESSION_ID))[0] == sid
    stop = lac.recv(3)
    assert stop["type"] == STOPCCN and result_code(stop)[0] == 6
    lac.ack()
    assert lns.wait_exit(5) == 0


def test_hidden_avps_answered_hidden(daemon):
    """A LAC that hides gets its ICRP's Assigned Session ID hidden too."""
    d = daemon({"l2tp_secret": "hideme"})
    lac = lac_for(d)
    lac.open_tunnel(secret=b"hideme")
    rv = b"\x22" * 16
    lac.send(avp(A_MSGTYPE, ICRQ) + avp(A_SESSION_ID, 4) +
             avp(A_SERIAL, u32(9)) + avp(A_RANDOM_VECTOR, rv) +
             avp(A_CALLING, hide(A_CALLING, b"hideme", rv, b"123"),
                 hidden=True))
    rp = lac.recv()
    assert rp["type"] == ICRP
    rv_out = get(rp, A_RANDOM_VECTOR)
    assert rv_out is not None and len(rv_out) == 16
    (flags, _, _, val), = [a for a in rp["avps"] if a[2] == A_SESSION_ID]
    assert flags & H_BIT
    sid, = struct.unpack("!H", unhide(A_SESSION_ID, b"hideme", rv_out, val))
    assert sid != 0
    # the unhidden id is the one the LNS uses: ICCN on it connects the call
    lac.send(avp(A_MSGTYPE, ICCN) + avp(A_TX_SPEED, u32(1000)) +
             avp(A_FRAMING_TYPE, u32(1)), sid=sid)
    d.wait_for_log(r"ICCN: call connected at 1000 bit/s")


def test_max_sessions_per_tunnel(daemon):
    d = daemon({"max_sessions_per_tunnel": 2})
    lac = lac_for(d)
    lac.open_tunnel()
    lac.open_session(our_sid=1)
    lac.open_session(our_sid=2, serial=2)
    lac.send(avp(A_MSGTYPE, ICRQ) + avp(A_SESSION_ID, 3) +
             avp(A_SERIAL, u32(3)))
    cdn = lac.recv()
    assert cdn["type"] == CDN and cdn["sid"] == 3
    assert result_code(cdn)[:2] == (4, 4)
    d.wait_for_log(r"tunnel already carries 2 calls")


def test_iccn_for_unknown_call_gets_cdn_naming_it(daemon):
    """An ICCN for a call the LNS does not hold (its setup timed out, the
    LAC was slow) is answered with a CDN whose Assigned Session ID is the
    id the ICCN was sent to: non-zero (RFC 2661 4.4.4), so the LAC can
    match its call and the tunnel's other calls live on."""
    d = daemon({})
    lac = lac_for(d)
    lac.open_tunnel()
    kept = lac.open_session(our_sid=1)
    lac.send(avp(A_MSGTYPE, ICCN) + avp(A_TX_SPEED, u32(1000000)) +
             avp(A_FRAMING_TYPE, u32(1)), sid=4321)
    cdn = lac.recv()
    assert cdn["type"] == CDN and cdn["sid"] == 0, cdn
    assert struct.unpack("!H", get(cdn, A_SESSION_ID)) == (4321,)
    assert result_code(cdn)[:2] == (2, 5)
    d.wait_for_log(r"refusing call \(our session 4321\)")
    # the tunnel and its other call are untouched
    assert kept != 4321
    assert "StopCCN" not in d.log_text()


def test_drop_logging_is_rate_limited(lns):
    lac = lac_for(lns)
    for _ in range(200):
        lac.send_raw(b"\xc8\x03\x00\x0c" + b"\x00" * 8)     # version 3
    time.sleep(1.1)
    # the next drop, in a new second, reports how many went unlogged
    lac.send_raw(b"\xc8\x03\x00\x0c" + b"\x00" * 8)
    lns.wait_for_log(r"\d+ more L2TP datagrams dropped \(not logged\)",
                     timeout=4)
    lines = lns.log_text().count(": version")
    assert 0 < lines <= 40, lines          # two one-second windows at most
    assert lns.running()
