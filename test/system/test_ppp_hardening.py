"""PPP hardening (issue 20, finding 10): a proxy-LCP MRU below the
minimum does not blackhole the session; a Protocol-Reject quotes the
two-octet protocol number even when the frame's protocol field was
compressed to one octet (RFC 1661 5.7, 6.5); ERROR lines a peer can
cause are rate-limited.
"""
import socket
import struct
import time

from conftest import wait_until
from l2tpwire import Lac, avp, control, SCCRQ
from pppwire import LCP, PROTOREJ, IP
from test_ppp import lns_factory, lns, link, proxied_link  # noqa: F401


def test_ppp_proxy_mru_zero_clamped(lns):
    lac, p = proxied_link(lns, 3, "alice", b"secret", rcvd_mru=b"\x00\x00")
    f = p.expect(0xC023)			# PAP Ack
    assert f.code == 2
    ip = p.ipcp_up()[0]
    lns.wait_for_log(r"proxy LCP: the subscriber's MRU 0 is below 128: "
                     r"using 128")
    # a small datagram reaches it (MRU 0 would have dropped everything)
    tx = lns.ns.socket()
    tx.sendto(b"s" * 60, (ip, 7000))
    assert p.expect(IP, timeout=3).payload[-60:] == b"s" * 60
    # a 400-octet one comes in fragments that fit 128 octets
    tx.setsockopt(socket.IPPROTO_IP, 10, 0)	# IP_MTU_DISCOVER: DONT
    tx.sendto(b"m" * 372, (ip, 7000))
    got = []
    while sum(len(x) - 20 for x in got) < 380:
        f = p.expect(IP, timeout=3)
        assert len(f.payload) <= 128
        got.append(f.payload)


def test_ppp_protocol_reject_of_a_one_octet_protocol(lns):
    lac, p = link(lns)
    p.up()
    hdr = struct.pack("!HHH", 0x0002, lac.tid, p.sid)
    # protocol 0x003d (multilink) compressed to one octet (RFC 1661 6.5)
    lac.send_raw(hdr + b"\xff\x03\x3d" + b"\xde\xad\xbe\xef")
    f = p.expect(LCP, PROTOREJ)
    assert f.data == b"\x00\x3d\xde\xad\xbe\xef"
    # and without address and control either
    lac.send_raw(hdr + b"\x3d" + b"\x01\x02")
    f = p.expect(LCP, PROTOREJ)
    assert f.data == b"\x00\x3d\x01\x02"


def test_ppp_peer_error_lines_rate_limited(lns):
    # 60 SCCRQs without their mandatory AVPs, each an ERROR line
    s = lns.ns.socket()
    for i in range(60):
        s.sendto(control(0, 0, 0, 0, avp(0, struct.pack("!H", SCCRQ))),
                 ("127.0.0.1", 1701))
    wait_until(lambda: lns.log_text().count("without mandatory AVPs") >= 1,
               what="the first lines")
    time.sleep(1.2)
    n = lns.log_text().count("without mandatory AVPs")
    assert 1 <= n <= 20, n
    # the next second: one more line, and the count of those held back
    s.sendto(control(0, 0, 0, 0, avp(0, struct.pack("!H", SCCRQ))),
             ("127.0.0.1", 1701))
    lns.wait_for_log(r"\d+ more L2TP errors \(not logged\)", timeout=5)
