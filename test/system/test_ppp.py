"""PPP over L2TP against the running daemon: LCP, PAP, CHAP, IPCP, IPV6CP,
keepalive, rejects and teardown (RFC 1661, 1332, 1334, 1994, 1877, 5072).

A scripted subscriber (pppwire.Ppp over l2tpwire.Lac) plays each case on
the wire; the daemon authenticates against its local_auth_file.
"""
import ipaddress
import socket
import struct
import time

import pytest

from conftest import local_auth
from l2tpwire import Lac, CDN, result_code
# inet_csum and udp6 are imported from here by test_garden, test_intercept
from test_ipv6 import csum as inet_csum, ipv6cp_up as ipv6cp_open, udp6
from pppwire import (Ppp, opt, cp, LCP, PAP, CHAP, IPCP, IPV6CP, CCP, IP,
                     CONFREQ, CONFACK, CONFNAK, CONFREJ, TERMREQ, TERMACK,
                     PROTOREJ, ECHOREQ, ECHOREP, CODEREJ, ipv4_udp,
                     ppp_call)

POOL = "198.51.100.0/26"
SUBSCRIBERS = """\
# name password [address]
alice secret
bob "two words"
carol pw3 198.51.100.40
dave pw4 203.0.113.7
"""


@pytest.fixture
def lns_factory(daemon, tmp_path):
    def make(config=None, subscribers=SUBSCRIBERS):
        path = local_auth(tmp_path, subscribers)
        cfg = {"debug": 4, "hostname": "lns-ppp",
               "local_auth_file": str(path),
               "primary_dns": "192.0.2.53", "secondary_dns": "192.0.2.54",
               "peer_address": "192.0.2.1",
               "ppp_restart_time": 1}
        cfg.update(config or {})
        return daemon(cfg)
    return make


@pytest.fixture
def lns(lns_factory):
    return lns_factory()


def link(d, our_sid=77):
    return ppp_call(d.ns, "127.0.0.1", "lac-ppp", our_sid)


def test_pap_session_up_with_pool_address_and_dns(lns):
    lac, p = link(lns)
    their = p.lcp_up()
    o = dict(their.opts())
    # our MRU: l2tp_mtu (1500) less IP, UDP, L2TP and PPP headers
    assert struct.unpack("!H", o[1])[0] == 1460
    assert o[3] == b"\xc0\x23"          # PAP, radius_authtypes default
    assert 5 in o and o[5] != b"\0\0\0\0"
    code, msg = p.pap("alice", "secret")
    assert code == 2 and msg == "Welcome"
    ip, dns1, dns2, gw = p.ipcp_up()
    assert ipaddress.ip_address(ip) in ipaddress.ip_network(POOL)
    assert ip not in ("198.51.100.0", "198.51.100.63")
    assert (dns1, dns2, gw) == ("192.0.2.53", "192.0.2.54", "192.0.2.1")
    lns.wait_for_log(r'IPCP up: "alice" has %s \(DNS 192.0.2.53 '
                     r'192.0.2.54\)' % ip.replace(".", r"\."))


def test_chap_session_up(lns_factory):
    d = lns_factory({"radius_authtypes": "chap,pap"})
    lac, p = link(d)
    their = p.lcp_up()
    assert dict(their.opts())[3] == b"\xc2\x23\x05"     # CHAP with MD5
    code, msg, name, vlen = p.chap("bob", "two words")
    assert code == 3, msg
    assert name == "lns-ppp" and vlen == 16
    ip, dns1, _, _ = p.ipcp_up()
    assert ipaddress.ip_address(ip) in ipaddress.ip_network(POOL)
    assert dns1 == "192.0.2.53"


def test_fixed_address_from_local_file(lns):
    lac, p = link(lns)
    assert p.up("carol", "pw3")[0] == "198.51.100.40"


def test_wrong_password_pap_nak_then_terminate_and_cdn(lns):
    lac, p = link(lns)
    p.lcp_up()
    code, msg = p.pap("alice", "wrong")
    assert code == 3 and msg == "Authentication failed"
    t = p.expect(LCP, TERMREQ)
    p.send_cp(LCP, TERMACK, t.id)
    m = p.cdn()
    assert result_code(m)[0] == 2
    assert "authentication failed" in result_code(m)[2]
    lns.wait_for_log(r'PAP rejected for "alice"')


def test_wrong_password_chap_failure(lns_factory):
    d = lns_factory({"radius_authtypes": "chap"})
    lac, p = link(d)
    p.lcp_up()
    code, msg, _, _ = p.chap("alice", "nope")
    assert code == 4 and msg == "Authentication failed"
    p.expect(LCP, TERMREQ)
    # no Terminate-Ack: the LNS gives up after its restart timer
    assert result_code(p.cdn(timeout=6))[0] == 2


def test_peer_naks_chap_falls_back_to_pap(lns_factory):
    d = lns_factory({"radius_authtypes": "chap,pap"})
    lac, p = link(d)
    seen = []

    def answer(f):
        o = dict(f.opts())
        seen.append(o.get(3))
        if o.get(3, b"")[:2] == b"\xc2\x23":
            return CONFNAK, opt(3, b"\xc0\x23")   # "use PAP"
        return CONFACK, f.data
    p.lcp_up(answer=answer)
    assert seen[0] == b"\xc2\x23\x05" and seen[-1] == b"\xc0\x23"
    assert p.pap("alice", "secret")[0] == 2
    d.wait_for_log(r"peer naked our authentication protocol; trying PAP")


def test_peer_rejects_mru(lns):
    lac, p = link(lns)
    seen = []

    def answer(f):
        o = f.opts()
        seen.append([t for t, _ in o])
        mru = [x for x in o if x[0] == 1]
        if mru:
            return CONFREJ, opt(1, mru[0][1])
        return CONFACK, f.data
    p.lcp_up(answer=answer)
    assert 1 in seen[0] and 1 not in seen[-1]
    assert p.pap("alice", "secret")[0] == 2


def test_unknown_lcp_option_rejected(lns):
    lac, p = link(lns)
    p.send_cp(LCP, CONFREQ, 9, opt(0x7F, b"xyz") + opt(5, b"\x01\x02\x03\x04")
              + opt(1, b"\x05\xd4"))
    f = p.expect(LCP, CONFREJ)
    assert f.id == 9 and f.opts() == [(0x7F, b"xyz")]


def test_lcp_auth_option_from_peer_rejected(lns):
    """The LNS does not authenticate itself to the subscriber."""
    lac, p = link(lns)
    p.send_cp(LCP, CONFREQ, 3, opt(3, b"\xc0\x23"))
    f = p.expect(LCP, CONFREJ)
    assert f.opts() == [(3, b"\xc0\x23")]


def test_magic_number_collision_naked(lns):
    lac, p = link(lns)
    their = p.expect(LCP, CONFREQ)
    magic = dict(their.opts())[5]
    p.send_cp(LCP, CONFREQ, 4, opt(5, magic))
    f = p.expect(LCP, CONFNAK)
    (t, v), = f.opts()
    assert t == 5 and v != magic and v != b"\0\0\0\0"


def test_unknown_protocol_gets_protocol_reject(lns):
    lac, p = link(lns)
    p.up()
    p.send(0x0231, b"\xde\xad\xbe\xef")
    f = p.expect(LCP, PROTOREJ)
    assert f.data[:2] == b"\x02\x31" and f.data[2:6] == b"\xde\xad\xbe\xef"


def test_ccp_request_protocol_rejected(lns):
    lac, p = link(lns)
    p.up()
    p.send_cp(CCP, CONFREQ, 1, opt(18, b"\x00\x00\x00\x01"))    # MPPE
    f = p.expect(LCP, PROTOREJ)
    assert f.data[:2] == b"\x80\xfd"
    # the link carries on: an echo is still answered
    p.send_cp(LCP, ECHOREQ, 5, struct.pack("!I", p.magic))
    assert p.expect(LCP, ECHOREP).id == 5


def test_unknown_lcp_code_gets_code_reject(lns):
    lac, p = link(lns)
    p.lcp_up()
    p.send_cp(LCP, 0x55, 7, b"hello")
    f = p.expect(LCP, CODEREJ)
    assert f.data[:4] == cp(0x55, 7, b"hello")[:4]


def test_echo_request_answered_with_lns_magic(lns):
    lac, p = link(lns)
    their = p.lcp_up()
    magic = dict(their.opts())[5]
    p.send_cp(LCP, ECHOREQ, 0x21, struct.pack("!I", p.magic) + b"data")
    f = p.expect(LCP, ECHOREP)
    assert f.id == 0x21 and f.data == magic + b"data"


def test_no_configure_ack_link_goes_down(lns_factory):
    """Max-Configure Configure-Requests unanswered: TO-, CDN."""
    d = lns_factory({"ppp_max_configure": 3, "ppp_restart_time": 1})
    lac, p = link(d)
    reqs = []
    try:
        while True:
            f = p.expect(LCP, timeout=4)
            if f.code == CONFREQ:
                reqs.append(f)
    except TimeoutError:
        pass
    assert len(reqs) == 3
    assert len({f.id for f in reqs}) == 1      # retransmissions keep the id
    m = p.cdn(timeout=3)
    assert "no answer to 3 Configure-Requests" in result_code(m)[2]


def test_configure_request_storm_link_down(lns_factory):
    """A peer that never accepts what it is told does not converge."""
    d = lns_factory({"ppp_max_configure": 4, "ppp_max_failure": 2})
    lac, p = link(d)
    for i in range(12):
        p.send_cp(LCP, CONFREQ, i + 1, opt(1, b"\x00\x10"))    # MRU 16
    naks = [f for f in p.frames if f.proto == LCP]
    m = p.cdn(timeout=4)
    d.wait_for_log(r"LCP: negotiation not converging")
    codes = [f.code for f in p.frames if f.proto == LCP]
    # Max-Failure Naks, then Rejects (RFC 1661 4.6)
    assert CONFNAK in codes and CONFREJ in codes
    assert codes.index(CONFNAK) < codes.index(CONFREJ)
    assert result_code(m)[0] == 2
    del naks


def test_echo_failures_drop_session(lns_factory):
    d = lns_factory({"echo_timeout": 1, "idle_echo_timeout": 3})
    lac, p = link(d)
    p.up()
    p.auto_echo = False
    t0 = time.time()
    echoes = 0
    while True:
        f = p.expect(LCP, timeout=6)
        if f.code == ECHOREQ:
            echoes += 1
        elif f.code == TERMREQ:
            p.send_cp(LCP, TERMACK, f.id)
            break
    assert echoes >= 2
    assert time.time() - t0 >= 2.5
    assert result_code(p.cdn())[0] == 1
    d.wait_for_log(r"no answer from the peer for \d+ s")


def test_echo_answered_keeps_session(lns_factory):
    d = lns_factory({"echo_timeout": 1, "idle_echo_timeout": 2})
    lac, p = link(d)
    p.up()
    end = time.time() + 4
    while time.time() < end:
        try:
            p.recv(0.5)
        except TimeoutError:
            pass
    assert not [m for m in p.ctrl if m["type"] == CDN]
    assert any(f.proto == LCP and f.code == ECHOREQ for f in p.frames)


def test_peer_terminate_clears_call(lns):
    lac, p = link(lns)
    p.up()
    p.send_cp(LCP, TERMREQ, 0x31, b"bye")
    f = p.expect(LCP, TERMACK)
    assert f.id == 0x31
    p.cdn(timeout=4)
    lns.wait_for_log(r"session alice closed")


def test_ipcp_wrong_address_naked_and_options_rejected(lns):
    lac, p = link(lns)
    p.lcp_up()
    assert p.pap("carol", "pw3")[0] == 2
    p.send_cp(IPCP, CONFREQ, 1, opt(3, socket.inet_aton("10.9.9.9")) +
              opt(2, b"\x00\x2d\x0f\x01") + opt(130, b"\0\0\0\0"))
    f = p.expect(IPCP, CONFREJ)
    assert [t for t, _ in f.opts()] == [2, 130]     # VJ, NBNS
    p.send_cp(IPCP, CONFREQ, 2, opt(3, socket.inet_aton("10.9.9.9")))
    f = p.expect(IPCP, CONFNAK)
    assert f.opts() == [(3, socket.inet_aton("198.51.100.40"))]


def test_dns_not_configured_is_rejected(lns_factory):
    d = lns_factory({"primary_dns": "0.0.0.0", "secondary_dns": "0.0.0.0"})
    lac, p = link(d)
    ip, dns1, dns2, _ = p.up()
    assert dns1 is None and dns2 is None


def test_ipv6cp_up_with_ipv6_prefix(lns_factory):
    d = lns_factory({"ipv6_prefix": "2001:db8:1::/48"})
    lac, p = link(d)
    ip = p.up("carol", "pw3")[0]
    assert ip == "198.51.100.40"
    p.send_cp(IPV6CP, CONFREQ, 1, opt(1, b"\x11" * 8))
    want = socket.inet_aton(ip) + b"\0\0\0\0"
    got_nak = got_ack = acked_theirs = False
    end = time.time() + 5
    while not (got_nak and got_ack and acked_theirs) and time.time() < end:
        f = p.expect(IPV6CP)
        if f.code == CONFNAK:
            assert f.opts() == [(1, want)]
            got_nak = True
            p.send_cp(IPV6CP, CONFREQ, 2, opt(1, want))
        elif f.code == CONFREQ:
            assert dict(f.opts())[1] == b"\0" * 7 + b"\x01"
            p.send_cp(IPV6CP, CONFACK, f.id, f.data)
            acked_theirs = True
        elif f.code == CONFACK:
            got_ack = True
    assert got_nak and got_ack
    d.wait_for_log(r"IPV6CP up: identifier c633:6428:0000:0000")


def test_ipv6cp_protocol_rejected_without_prefix(lns):
    lac, p = link(lns)
    p.up()
    p.send_cp(IPV6CP, CONFREQ, 1, opt(1, b"\x11" * 8))
    f = p.expect(LCP, PROTOREJ)
    assert f.data[:2] == b"\x80\x57"


def test_ncp_before_authentication_discarded(lns):
    lac, p = link(lns)
    p.lcp_up()
    p.send_cp(IPCP, CONFREQ, 1, opt(3, b"\0\0\0\0"))
    with pytest.raises(TimeoutError):
        p.expect(IPCP, timeout=0.5)


def test_reconnecting_user_gets_same_address(lns):
    lac, p = link(lns, our_sid=5)
    ip1 = p.up("alice", "secret")[0]
    p.send_cp(LCP, TERMREQ, 9)
    p.expect(LCP, TERMACK)
    p.cdn(timeout=4)
    # someone else takes an address meanwhile
    lac2, q = link(lns, our_sid=6)
    ip_bob = q.up("bob", "two words")[0]
    lac3, r = link(lns, our_sid=7)
    assert r.up("alice", "secret")[0] == ip1
    assert ip_bob != ip1


def test_malformed_ppp_frames_counted_and_ignored(lns):
    lac, p = link(lns)
    p.lcp_up()
    p.send(LCP, b"\x01\x01\x00")                    # short header
    p.send(LCP, cp(CONFREQ, 1)[:2] + b"\x00\x40")   # length beyond frame
    p.send(LCP, cp(CONFREQ, 2, b"\x01\x09\x05"))    # option past the end
    p.send(PAP, b"\x01\x01\x00\x06\x09\x41")        # peer-id overruns
    hdr = struct.pack("!HHH", 0x0002, lac.tid, p.sid)
    lac.send_raw(hdr + b"\xff\x03\x00")             # half a protocol field
    # still alive and answering
    p.send_cp(LCP, ECHOREQ, 0x44, struct.pack("!I", p.magic))
    assert p.expect(LCP, ECHOREP).id == 0x44
    code, _ = p.pap("alice", "secret")
    assert code == 2


def test_drop_on_shutdown_sends_terminate_then_cdn(lns):
    """SIGQUIT: every session gets a CDN (via the L2TP shutdown path)."""
    import signal
    lac, p = link(lns)
    p.up()
    lns.signal(signal.SIGQUIT)
    m = p.cdn(timeout=4)
    assert m["type"] == CDN


def test_data_upstream_to_tun_and_spoof_dropped(lns):
    lac, p = link(lns)
    ip = p.up()[0]
    # a listener on the LNS side, reached through the tun device
    rx = lns.ns.socket()
    rx.bind(("0.0.0.0", 9999))
    rx.settimeout(2)
    tun_addr = lns.tun_addrs()[0].split("/")[0]
    p.send(IP, ipv4_udp(ip, tun_addr, 4444, 9999, b"upstream!"))
    data, src = rx.recvfrom(100)
    assert data == b"upstream!" and src == (ip, 4444)
    # a source the session was not given: dropped
    p.send(IP, ipv4_udp("203.0.113.9", tun_addr, 4444, 9999, b"spoofed"))
    with pytest.raises(socket.timeout):
        rx.recvfrom(100)
    lns.wait_for_log(r"ready")


def test_data_downstream_reaches_session(lns):
    lac, p = link(lns)
    ip = p.up()[0]
    # the pool's block was routed to the tun device at startup
    assert any(r.get("dst") == POOL and r.get("dev") == lns.tun
               for r in lns.ns.routes())
    tx = lns.ns.socket()
    tx.sendto(b"downstream!", (ip, 5555))
    f = p.expect(IP)
    assert f.payload[-11:] == b"downstream!"
    assert socket.inet_ntoa(f.payload[16:20]) == ip


def test_shipped_subscribers_example_works(lns_factory):
    """etc/subscribers.default, its example uncommented, logs demo1 in."""
    from pathlib import Path
    text = (Path(__file__).resolve().parents[2] / "etc" /
            "subscribers.default").read_text()
    example = "\n".join(line[1:] for line in text.splitlines()
                        if line.startswith("#demo"))
    d = lns_factory(subscribers=example + "\n")
    d.wait_for_log(r"local subscribers read from \S+subscribers$")
    lac, p = link(d)
    assert p.up("demo1", "demo")[0].startswith("198.51.100.")


def test_duplicate_login_drops_earlier_session(lns):
    lac1, p1 = link(lns, our_sid=11)
    p1.up("alice", "secret")
    lac2, p2 = link(lns, our_sid=12)
    p2.up("alice", "secret")
    # the first session is told to go: Terminate-Request, then CDN
    t = p1.expect(LCP, TERMREQ, timeout=3)
    assert b"duplicate login" in t.data
    p1.send_cp(LCP, TERMACK, t.id)
    assert result_code(p1.cdn())[0] == 3
    # the second one carries on
    p2.send_cp(LCP, ECHOREQ, 0x51, struct.pack("!I", p2.magic))
    assert p2.expect(LCP, ECHOREP).id == 0x51
    assert not [m for m in p2.ctrl if m["type"] == CDN]


@pytest.mark.parametrize("cfg", [{"allow_duplicate_users": "yes"},
                                 {"guest_account": "bob,alice"}])
def test_duplicate_login_allowed(lns_factory, cfg):
    d = lns_factory(cfg)
    lac1, p1 = link(d, our_sid=11)
    ip1 = p1.up("alice", "secret")[0]
    lac2, p2 = link(d, our_sid=12)
    ip2 = p2.up("alice", "secret")[0]
    assert ip1 != ip2
    time.sleep(0.5)
    with pytest.raises(TimeoutError):
        p1.expect(LCP, TERMREQ, timeout=0.5)
    assert not [m for m in p1.ctrl if m["type"] == CDN]


def test_fixed_address_outside_pool_gets_its_own_route(lns):
    lac, p = link(lns)
    assert p.up("dave", "pw4")[0] == "203.0.113.7"

    def routed():
        return any(r.get("dst") == "203.0.113.7" and r.get("dev") == lns.tun
                   for r in lns.ns.routes())
    assert routed()
    tx = lns.ns.socket()
    tx.sendto(b"to-dave", ("203.0.113.7", 5555))
    assert p.expect(IP).payload[-7:] == b"to-dave"
    p.send_cp(LCP, TERMREQ, 0x61)
    p.expect(LCP, TERMACK)
    p.cdn(timeout=4)
    deadline = time.time() + 3
    while routed() and time.time() < deadline:
        time.sleep(0.05)
    assert not routed()


def proxied_link(d, auth_type, name, response, challenge=None, auth_id=7,
                 our_sid=90, rcvd_mru=b"\x05\x50"):
    """A call whose ICCN carries proxy LCP and authentication (RFC 2661
    4.4.5): the LAC already talked LCP and PAP/CHAP with the client."""
    from l2tpwire import (avp, u32, get, ICRQ, ICRP, ICCN, A_MSGTYPE,
                          A_SESSION_ID, A_SERIAL, A_TX_SPEED,
                          A_FRAMING_TYPE)
    lac = d.ns.run_in(Lac, "127.0.0.1")
    lac.open_tunnel(host="lac-proxy")
    lac.send(avp(A_MSGTYPE, ICRQ) + avp(A_SESSION_ID, our_sid) +
             avp(A_SERIAL, u32(1)))
    rp = lac.recv()
    sid, = struct.unpack("!H", get(rp, A_SESSION_ID))
    sent = opt(1, b"\x05\x78") + opt(3, b"\xc0\x23") + opt(5, b"\xaa\xbb\xcc\xdd")
    rcvd = opt(1, rcvd_mru) + opt(5, b"\x11\x22\x33\x44")
    extra = (avp(26, rcvd, mandatory=False) + avp(27, sent, mandatory=False) +
             avp(28, rcvd, mandatory=False) +
             avp(29, auth_type, mandatory=False) +
             avp(30, name, mandatory=False) +
             avp(32, struct.pack("!H", auth_id), mandatory=False) +
             avp(33, response, mandatory=False))
    if challenge:
        extra += avp(31, challenge, mandatory=False)
    lac.send(avp(A_MSGTYPE, ICCN) + avp(A_TX_SPEED, u32(10000000)) +
             avp(A_FRAMING_TYPE, u32(1)) + extra, sid=sid)
    return lac, Ppp(lac, sid, our_sid)


def test_proxy_lcp_and_pap_accepted(lns):
    lac, p = proxied_link(lns, 3, "alice", b"secret")
    f = p.expect(PAP)
    assert f.code == 2 and f.id == 7
    # no LCP renegotiation: IPCP straight away
    ip, dns1, _, _ = p.ipcp_up()
    assert ipaddress.ip_address(ip) in ipaddress.ip_network(POOL)
    assert not [x for x in p.frames if x.proto == LCP and x.code == CONFREQ]
    # echoes carry the magic number the LAC gave the client
    p.send_cp(LCP, ECHOREQ, 0x71, b"\x11\x22\x33\x44")
    assert p.expect(LCP, ECHOREP).data[:4] == b"\xaa\xbb\xcc\xdd"
    lns.wait_for_log(r'proxy LCP and PAP authentication from the LAC for '
                     r'"alice"')


def test_proxy_chap_accepted_and_wrong_refused(lns_factory):
    import hashlib
    d = lns_factory({"radius_authtypes": "chap,pap"})
    chal = b"C" * 16
    good = hashlib.md5(bytes([9]) + b"two words" + chal).digest()
    lac, p = proxied_link(d, 2, "bob", good, challenge=chal, auth_id=9)
    f = p.expect(CHAP)
    assert f.code == 3 and f.id == 9
    lac2, q = proxied_link(d, 2, "bob", b"\0" * 16, challenge=chal,
                           auth_id=9, our_sid=91)
    f = q.expect(CHAP)
    assert f.code == 4
    q.expect(LCP, TERMREQ)
    assert result_code(q.cdn(timeout=6))[0] == 2


def test_proxy_without_usable_auth_renegotiates_lcp(lns):
    """Proxy type 4 (no authentication): LCP starts again from scratch."""
    lac, p = proxied_link(lns, 4, "alice", b"")
    f = p.expect(LCP, CONFREQ)
    assert dict(f.opts())[3] == b"\xc0\x23"


def tcp_syn(src, dst, sport, dport, mss):
    """An IPv4 TCP SYN with an MSS option and correct checksums."""
    s, d = socket.inet_aton(src), socket.inet_aton(dst)
    opts = struct.pack("!BBH", 2, 4, mss)
    tcp = struct.pack("!HHIIBBHHH", sport, dport, 1000, 0, (5 + 1) << 4,
                      0x02, 65535, 0, 0) + opts
    tcp = tcp[:16] + struct.pack("!H", inet_csum(
        s + d + struct.pack("!BBH", 0, 6, len(tcp)) + tcp)) + tcp[18:]
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 7, 0x4000, 64,
                      6, 0, s, d)
    hdr = hdr[:10] + struct.pack("!H", inet_csum(hdr)) + hdr[12:]
    return hdr + tcp


def tcp_mss_of(ip_pkt):
    ihl = (ip_pkt[0] & 15) * 4
    tcp = ip_pkt[ihl:]
    end = (tcp[12] >> 4) * 4
    i = 20
    while i < end:
        if tcp[i] == 0:
            break
        if tcp[i] == 1:
            i += 1
            continue
        if tcp[i] == 2:
            return struct.unpack_from("!H", tcp, i + 2)[0], tcp[13]
        i += tcp[i + 1]
    return None, tcp[13]


def test_tcp_mss_clamped_both_ways(lns):
    lac, p = link(lns)
    ip = p.up()[0]
    tun_addr = lns.tun_addrs()[0].split("/")[0]
    srv = lns.ns.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.bind(("0.0.0.0", 8080))
    srv.listen(4)
    raw = lns.ns.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
    raw.settimeout(2)
    # upstream SYN with MSS 1460: the LNS side's kernel accepts it (so the
    # rewritten checksum is right) and its SYN-ACK comes back clamped too
    p.send(IP, tcp_syn(ip, tun_addr, 40000, 8080, 1460))
    f = p.expect(IP)
    mss, flags = tcp_mss_of(f.payload)
    assert flags & 0x12 == 0x12             # SYN-ACK
    assert mss == 1420                      # MRU 1460 - 40
    while True:                             # what reached the LNS side
        seen = raw.recv(2048)
        if struct.unpack_from("!H", seen, 20)[0] == 40000:
            break
    assert tcp_mss_of(seen) == (1420, 0x02)
    raw.close()
    pkt = f.payload
    ihl = (pkt[0] & 15) * 4
    assert inet_csum(pkt[12:20] + struct.pack("!BBH", 0, 6, len(pkt) - ihl)
                     + pkt[ihl:]) == 0
    srv.close()
    # a SYN from the LNS side towards the subscriber is clamped as well
    c = lns.ns.socket(socket.AF_INET, socket.SOCK_STREAM)
    c.setblocking(False)
    try:
        c.connect((ip, 9090))
    except BlockingIOError:
        pass
    f = p.expect(IP)
    mss, flags = tcp_mss_of(f.payload)
    assert flags & 0x12 == 0x02 and mss == 1420
    c.close()


def ipv6cp_up(p, ip):
    ipv6cp_open(p, ip)
    # the Router Advertisement sent as IPV6CP opens (RFC 4861 6.2.4)
    ra = p.expect(0x0057)
    assert ra.payload[6] == 58 and ra.payload[40] == 134, ra


def test_ipv6_forwarding_both_ways(lns_factory):
    d = lns_factory({"ipv6_prefix": "2001:db8:1::/64"})
    lac, p = link(d)
    ip = p.up("carol", "pw3")[0]
    ipv6cp_up(p, ip)
    ours = "2001:db8:1:0:c633:6428::"           # prefix + 198.51.100.40
    d.ns.ip("-6", "addr", "add", "2001:db8:ff::1/128", "dev", "lo")
    rx = d.ns.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    rx.bind(("2001:db8:ff::1", 7777))
    rx.settimeout(2)
    p.send(0x0057, udp6(ours, "2001:db8:ff::1", 5000, 7777, b"six-up"))
    data, src = rx.recvfrom(100)
    assert data == b"six-up" and src[0] == ours
    # someone else's address: dropped
    p.send(0x0057, udp6("2001:db8:1::99", "2001:db8:ff::1", 5000, 7777,
                        b"spoof6"))
    with pytest.raises(socket.timeout):
        rx.recvfrom(100)
    # downstream, through the route of ipv6_prefix
    rx.sendto(b"six-down", (ours, 6000))
    f = p.expect(0x0057)
    assert f.payload[-8:] == b"six-down"
    assert f.payload[24:40] == socket.inet_pton(socket.AF_INET6, ours)


def icmp_listener(ns):
    s = ns.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    s.settimeout(0.5)
    return s


def icmp_errors(s, want_type=3):
    out = []
    try:
        while True:
            pkt = s.recv(2048)
            ihl = (pkt[0] & 15) * 4
            if pkt[ihl] == want_type:
                out.append(pkt[ihl:])
    except socket.timeout:
        pass
    return out


@pytest.mark.parametrize("rate", [0, 2])
def test_icmp_unreachable_for_unused_pool_address(lns_factory, rate):
    d = lns_factory({"icmp_rate": rate})
    ic = icmp_listener(d.ns)
    tx = d.ns.socket()
    for i in range(10):
        tx.sendto(b"anyone?", ("198.51.100.50", 4000 + i))
    got = icmp_errors(ic)
    if rate == 0:
        assert got == []
    else:
        # host unreachable (code 1), at most icmp_rate a second
        assert 1 <= len(got) <= 2 * rate
        assert all(g[1] == 1 for g in got)
        assert got[0][8 + 16:8 + 20] == socket.inet_aton("198.51.100.50")


def test_packet_limit_drops_excess(lns_factory):
    d = lns_factory({"packet_limit": 5})
    lac, p = link(d)
    ip = p.up()[0]
    tx = d.ns.socket()
    for i in range(60):
        tx.sendto(b"flood%d" % i, (ip, 5555))
    got = 0
    try:
        while True:
            if p.expect(IP, timeout=0.5):
                got += 1
    except TimeoutError:
        pass
    assert 5 <= got <= 20


def test_oversized_downstream_df_gets_frag_needed(lns):
    lac, p = link(lns)
    ip = p.up()[0]
    ic = icmp_listener(lns.ns)
    tx = lns.ns.socket()
    tx.setsockopt(socket.IPPROTO_IP, 10, 2)     # IP_MTU_DISCOVER = DO
    tx.sendto(b"x" * 1472, (ip, 5555))         # 1500 octets with DF
    got = icmp_errors(ic)
    assert got and got[0][1] == 4               # fragmentation needed
    assert struct.unpack_from("!H", got[0], 6)[0] == 1460   # RFC 1191


def test_oversized_downstream_without_df_fragmented(lns):
    lac, p = link(lns)
    ip = p.up()[0]
    tx = lns.ns.socket()
    tx.setsockopt(socket.IPPROTO_IP, 10, 0)     # IP_MTU_DISCOVER = DONT
    payload = bytes(range(256)) * 5 + b"y" * 192    # 1472 octets
    tx.sendto(payload, (ip, 5555))
    f1, f2 = p.expect(IP), p.expect(IP)
    assert len(f1.payload) <= 1460 and f1.payload[6] & 0x20     # MF
    assert not f2.payload[6] & 0x20
    off2 = (struct.unpack_from("!H", f2.payload, 6)[0] & 0x1FFF) * 8
    data = f1.payload[20:] + f2.payload[20:]
    assert off2 == len(f1.payload) - 20
    assert data[8:] == payload                  # after the UDP header
    for f in (f1, f2):
        assert inet_csum(f.payload[:20]) == 0


def test_hup_rereads_local_auth_file(lns_factory, tmp_path):
    d = lns_factory()
    lac, p = link(d, our_sid=21)
    p.lcp_up()
    assert p.pap("erin", "new")[0] == 3
    (tmp_path / "subscribers").write_text(SUBSCRIBERS + "erin new\n")
    mark = d.log_mark()
    d.reload()
    d.wait_for_log(r"local subscribers read from", since=mark)
    lac2, q = link(d, our_sid=22)
    assert q.up("erin", "new")[0].startswith("198.51.100.")


def test_term_cuts_quit_shutdown_short(lns):
    """QUIT waits for the LACs; TERM during that wait exits at once."""
    import signal
    lac, p = link(lns)
    p.up()
    lns.signal(signal.SIGQUIT)
    lns.wait_for_log(r"SIGQUIT")
    # the LAC never answers the StopCCN: the daemon would wait for it
    lns.signal(signal.SIGTERM)
    lns.wait_exit(timeout=3)
