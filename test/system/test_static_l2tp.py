"""Static incoming L2TP (FireBrick 12.3.2, issue 23): configuration rules
instead of RADIUS.

    l2tp incoming HOSTNAME SECRET
    l2tp session USER PASSWORD [tunnel HOSTNAME]
        (address IP [route NET/LEN]... | relay IP [PORT [SECRET]])

A LAC named by an `l2tp incoming` rule must authenticate with its secret
(RFC 2661 5.1.1, challenged both ways); other LACs are refused (StopCCN
4).  A subscriber named by an `l2tp session` rule gets the rule's address
and routes without RADIUS or the users file; a wrong password is refused.
The relay form is tested in test_relay.py.
"""
import struct

import pytest

from conftest import wait_until
from l2tpwire import Lac, STOPCCN, SCCCN, SCCRP, result_code, avp, get, \
    chap, A_CHALLENGE, A_CHAL_RESP, A_MSGTYPE, A_TUNNEL_ID
from pppwire import Ppp

RULES = [
    "l2tp incoming lac-static t-secret-1",
    "l2tp incoming lac-two t-secret-2",
    "l2tp session carol pw3 tunnel lac-static address 10.99.0.5 "
    "route 203.0.113.64/28 route 203.0.113.96/27",
    "l2tp session erin pw5 address 10.99.0.6",
]


@pytest.fixture
def lns(daemon):
    return daemon({"debug": 4, "hostname": "lns-static",
                   "peer_address": "192.0.2.1", "ppp_restart_time": 1},
                  extra_lines=RULES)


def lac(d, host, secret):
    lc = d.ns.run_in(Lac, "127.0.0.1")
    lc.open_tunnel(host=host, secret=secret.encode())
    return lc


def session(lc, our_sid=55):
    sid = lc.open_session(our_sid=our_sid)
    return Ppp(lc, sid, our_sid)


def kernel_routes(d):
    return {r.get("dst") for r in d.ns.routes() if r.get("dev") == d.tun}


def test_static_session_address_and_routes(lns):
    lc = lac(lns, "lac-static", "t-secret-1")
    p = session(lc)
    ours, _, _, theirs = p.up("carol", "pw3")
    assert ours == "10.99.0.5"
    wait_until(lambda: {"203.0.113.64/28", "203.0.113.96/27"} <=
               kernel_routes(lns), 3, "the rule's routes")
    lns.wait_for_log(r'PAP accepted for "carol" \(static l2tp session rule\)')
    lns.assert_not_logged(r"Access-Request")


def test_static_session_wrong_password_and_wrong_tunnel(lns):
    lc = lac(lns, "lac-two", "t-secret-2")
    p = session(lc)
    p.lcp_up()
    # carol's rule names the tunnel lac-static: not hers here, and no
    # other backend knows her.
    code, _ = p.pap("carol", "pw3")
    assert code == 3
    p2 = session(lc, 56)
    p2.lcp_up()
    code, _ = p2.pap("erin", "wrong")
    assert code == 3
    lns.wait_for_log(r'PAP rejected for "erin" \(static l2tp session rule\)')
    p3 = session(lc, 57)
    ours, _, _, _ = p3.up("erin", "pw5")
    assert ours == "10.99.0.6"


@pytest.mark.parametrize("host,secret", [("lac-unknown", "t-secret-1"),
                                         ("lac-static", "not-the-secret")])
def test_static_tunnel_rules_refuse(lns, host, secret):
    lc = lns.ns.run_in(Lac, "127.0.0.1")
    challenge = b"0123456789abcdef"
    lc.send(lc.sccrq(host, avp(A_CHALLENGE, challenge)))
    rp = lc.recv()
    if host == "lac-unknown":
        assert rp["type"] == STOPCCN, rp
        assert result_code(rp)[0] == 4
        return
    # Our SCCRP answer is checked by the LAC; the LNS's challenge is
    # answered with the wrong secret: StopCCN 4.
    assert rp["type"] == SCCRP
    assert get(rp, A_CHAL_RESP) == chap(SCCRP, b"t-secret-1", challenge)
    lc.tid, = struct.unpack("!H", get(rp, A_TUNNEL_ID))
    lc.send(avp(A_MSGTYPE, SCCCN) + avp(A_CHAL_RESP, chap(
        SCCCN, secret.encode(), get(rp, A_CHALLENGE))))
    m = lc.recv()
    assert m["type"] == STOPCCN and result_code(m)[0] == 4, m
