"""MS-CHAPv2 (RFC 2759) through a real FreeRADIUS and its mschap module
(RFC 2548: MS-CHAP-Challenge and MS-CHAP2-Response out, MS-CHAP2-Success
or MS-CHAP-Error back), with the LAC simulator as the subscriber: its own
MS-CHAPv2 client checks the authenticator response that l2tpns relays
from MS-CHAP2-Success (an error event and a failed run otherwise).

FreeRADIUS is the one of test_radius.py (freeradius -X in the daemon's
namespace), with the mschap module added to authorize and authenticate.
"""
import re

import pytest

from test_radius import FreeRadius, RADIUSD_CONF, USERS, SECRET, radius_cfg
from test_lacsim_ppp import LACSIM, mschapv2_accepted, run_lacsim, of

MSCHAP_CONF = RADIUSD_CONF.replace(
    "\tchap {{\n\t}}\n",
    "\tchap {{\n\t}}\n\tmschap {{\n\t\twith_ntdomain_hack = yes\n\t}}\n",
).replace(
    "\tauthorize {{\n\t\tchap\n",
    "\tauthorize {{\n\t\tchap\n\t\tmschap\n",
).replace(
    "\t\tAuth-Type CHAP {{\n\t\t\tchap\n\t\t}}\n",
    "\t\tAuth-Type CHAP {{\n\t\t\tchap\n\t\t}}\n"
    "\t\tAuth-Type MS-CHAP {{\n\t\t\tmschap\n\t\t}}\n",
)


class MschapRadius(FreeRadius):
    def __init__(self, ns, directory, users=USERS):
        super().__init__(ns, directory, users=users)
        (self.dir / "radiusd.conf").write_text(MSCHAP_CONF.format(
            dir=self.dir, secret=SECRET, auth=1812, acct=1813))


@pytest.fixture
def setup(daemon, netns, tmp_path):
    def make(cfg=None):
        assert MSCHAP_CONF.count("mschap") == 3, "the config template moved"
        ns = netns()
        rad = MschapRadius(ns, tmp_path / "radius").start()
        c = radius_cfg(radius_authtypes="mschapv2", **(cfg or {}))
        return daemon(c, ns=ns), rad
    return make


def lacsim(d, *args):
    if not LACSIM.exists():
        pytest.fail(f"{LACSIM} is missing: run make")
    return run_lacsim(d, str(LACSIM), "--auth", "mschapv2", *args)


def test_mschapv2_radius_accept(setup):
    d, rad = setup()
    rc, evs = lacsim(d, "--user", "alice", "--password", "secret",
                     "--timeout", 20)
    # the authenticator response came from MS-CHAP2-Success
    mschapv2_accepted(rc, evs)
    # the Access-Accept's attributes apply as with PAP
    up = of(evs, "ppp_up")
    assert [e["ip"] for e in up] == ["198.51.100.40"], up
    assert up[0]["dns1"] == "192.0.2.153", up
    out = rad.output()
    assert "MS-CHAP-Challenge = 0x" in out and \
        "MS-CHAP2-Response = 0x" in out, out[-3000:]
    assert "mschap: Client is using MS-CHAPv2" in out, out[-3000:]
    assert "Login OK: [alice]" in out, out[-3000:]
    assert "MS-CHAP2-Success = 0x" in out, out[-3000:]
    d.wait_for_log(r'RADIUS: Access-Request for "alice" \(MS-CHAPv2\)')
    d.wait_for_log(r'RADIUS: Access-Accept for "alice"')


def test_mschapv2_radius_reject(setup):
    d, rad = setup()
    rc, evs = lacsim(d, "--user", "alice", "--password", "wrong",
                     "--timeout", 20)
    assert not of(evs, "error"), of(evs, "error")
    fail = of(evs, "ppp_auth_fail")
    assert len(fail) == 1, fail
    # RFC 2759 6: the Failure text FreeRADIUS sent in MS-CHAP-Error
    assert re.match(r"E=691 R=\d C=[0-9A-Fa-f]{32} V=3", fail[0]["message"]), \
        fail
    assert not of(evs, "ppp_up")
    d.wait_for_log(r'RADIUS: Access-Reject for "alice"')
    # Auth-Type := Reject, no MS-CHAP-Error: our own E=691 text
    rc, evs = lacsim(d, "--user", "mallory", "--password", "x",
                     "--timeout", 20)
    fail = of(evs, "ppp_auth_fail")
    assert len(fail) == 1, fail
    assert re.fullmatch(r"E=691 R=0 C=[0-9A-F]{32} V=3 M=.*",
                        fail[0]["message"]), fail
