"""MS-CHAPv2 with the real LAC (xl2tpd + pppd in the qemu guest, see
test_real_lac.py) through a real FreeRADIUS and its mschap module.

pppd is told to authenticate only with MS-CHAPv2 (refuse-pap,
refuse-chap, refuse-mschap, refuse-eap: guest-init.sh with
``lac.auth=mschapv2``).  As an MS-CHAPv2 client pppd checks the
authenticator response of the CHAP Success (RFC 2759 5, pppd's "mutual
authentication") and hangs up on a wrong or missing one, so a session
that comes up and pings proves that l2tpns relayed FreeRADIUS's
MS-CHAP2-Success correctly.  A wrong password gets FreeRADIUS's
MS-CHAP-Error as the CHAP Failure text, which pppd decodes (E=691).
"""
import sys
from pathlib import Path

from conftest import LNS_ADDR
from test_real_lac import (lns, USER, PASSWORD, BOOT_TIMEOUT, lines,
                           check_session_pings, summary)

# The FreeRADIUS of the system tests, with its mschap module.
sys.path.append(str(Path(__file__).resolve().parents[1] / "system"))
from test_mschap import MschapRadius  # noqa: E402

RAD_SECRET = "s3cret-lns"   # test_radius.SECRET, which MschapRadius uses
USERS = f'{USER}\tCleartext-Password := "{PASSWORD}"\n'

__all__ = ["lns"]   # the fixture, imported for the tests below


def radius_lns(lns, lan, tmp_path):
    rad = MschapRadius(lan, tmp_path / "radius", users=USERS)
    # l2tpns sends from bind_address (the tap's), not from 127.0.0.1
    conf = rad.dir / "radiusd.conf"
    text = conf.read_text()
    assert "ipaddr = 127.0.0.0/8" in text
    conf.write_text(text.replace("ipaddr = 127.0.0.0/8",
                                 f"ipaddr = {LNS_ADDR}/32"))
    rad.start()
    d = lns(radius_authtypes="mschapv2", primary_radius="127.0.0.1",
            primary_radius_port=1812, radius_secret=RAD_SECRET,
            radius_timeout=2)
    return d, rad


def test_mschapv2_radius_session_pings(lns, lan, guests, tmp_path):
    """pppd authenticates with MS-CHAPv2 through FreeRADIUS, checks the
    authenticator response, gets its address and pings both ways."""
    d, rad = radius_lns(lns, lan, tmp_path)
    g = guests({"auth": "mschapv2", "user": USER, "pass": PASSWORD,
                "hold": 3})
    extra = []
    try:
        check_session_pings(g, d, extra)
    finally:
        summary("MS-CHAPv2 through FreeRADIUS, pings", g, d, extra)
        rad.stop()
    # LCP asked for CHAP with algorithm 0x81 and pppd took it.
    assert lines(g, r"^rcvd \[LCP ConfReq id=\S+ .*<auth chap MS-v2>")
    assert lines(g, r"^sent \[LCP ConfAck id=\S+ .*<auth chap MS-v2>")
    # Our Success carried the authenticator response pppd checked.
    assert lines(g, r'^rcvd \[CHAP Success id=\S+ "S=[0-9A-F]{40} M=')
    assert not lines(g, r"(?i)mutual authentication failed|"
                        r"invalid authenticator")
    assert lines(g, r"(?i)CHAP authentication succeeded")
    d.wait_for_log(rf'RADIUS: Access-Request for "{USER}" \(MS-CHAPv2\)')
    d.wait_for_log(rf'RADIUS: Access-Accept for "{USER}"')
    out = rad.output()
    assert "mschap: Client is using MS-CHAPv2" in out, out[-3000:]
    assert f"Login OK: [{USER}]" in out, out[-3000:]
    assert d.running()


def test_mschapv2_radius_wrong_password(lns, lan, guests, tmp_path):
    """A wrong password: FreeRADIUS rejects with MS-CHAP-Error, l2tpns
    sends it as the CHAP Failure, pppd reports error 691; no address."""
    d, rad = radius_lns(lns, lan, tmp_path)
    g = guests({"auth": "mschapv2", "user": USER, "pass": "not-the-pw"})
    try:
        ev, rest = g.wait_for(["UP", "FAIL"], BOOT_TIMEOUT)
        g.wait_exit(30)
    finally:
        summary("MS-CHAPv2 with a wrong password", g, d)
        rad.stop()
    assert ev == "FAIL", "the session came up with a wrong password"
    assert lines(g, r'^rcvd \[CHAP Failure id=\S+ "E=691 R=\d C=')
    assert lines(g, r"(?i)CHAP authentication failed")
    d.wait_for_log(rf'RADIUS: Access-Reject for "{USER}"')
    d.assert_not_logged(r"IPCP up")
    assert not g.pppd_view()
