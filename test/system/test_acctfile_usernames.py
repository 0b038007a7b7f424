"""Usernames (issue 20, finding 9): a name with a control character is
refused at authentication (PAP Nak, CHAP Failure), logged escaped and
counted; a name with a space or a backslash is written escaped (\\ooo)
in the space-separated usage files, so it cannot forge a line or a
field.
"""
import re

from conftest import wait_until
from test_cli import HOST, counters
from test_radius import FreeRadius, radius_cfg, link, up
from test_acctfile import files, parse
from pppwire import PAP, CHAP, LCP, TERMREQ

USERS = '''\
"two words"	Cleartext-Password := "pw"

"back\\slash"	Cleartext-Password := "pw"
'''


def test_ppp_username_with_control_characters_refused(daemon, netns,
                                                      tmp_path):
    ns = netns()
    rad = FreeRadius(ns, tmp_path / "radius", users=USERS).start()
    d = daemon(radius_cfg(hostname=HOST), ns=ns)
    # PAP: a newline would start a forged log line
    lac, p = link(d, our_sid=70)
    p.lcp_up()
    code, msg = p.pap("evil\nWARN forged line", "pw")
    assert code == 3 and msg == "Invalid username (control characters)"
    p.expect(LCP, TERMREQ, timeout=5)
    d.wait_for_log(r'PAP: username "evil\\012WARN\\040forged\\040line" has '
                   r'control characters: refused')
    d.assert_not_logged(r"^WARN forged line")
    assert "evil" not in rad.output()	# never reached RADIUS
    assert counters(d)["auth_bad_username"] == 1
    d.reload({"radius_authtypes": "chap"})
    lac, p = link(d, our_sid=71, calling="2")
    p.lcp_up()
    code, msg, _, _ = p.chap("tab\there", "pw")
    assert code == 4 and msg == "Invalid username (control characters)"
    d.wait_for_log(r'CHAP: username "tab\\011here" has control characters')
    assert counters(d)["auth_bad_username"] == 2


def test_acctfile_username_with_space_escaped(daemon, netns, tmp_path):
    ns = netns()
    FreeRadius(ns, tmp_path / "radius", users=USERS).start()
    acct = tmp_path / "acct"
    acct.mkdir()
    d = daemon(radius_cfg(hostname=HOST, accounting_dir=str(acct),
                          accounting_dir_interval=1,
                          radius_accounting=False), ns=ns)
    lac, p = link(d, our_sid=72)
    ip = up(p, "two words", "pw")[0]
    lac2, p2 = link(d, our_sid=73, calling="3")
    ip2 = up(p2, "back\\slash", "pw")[0]
    # a little traffic each, so that both get a line
    from test_acctfile import traffic
    traffic(d, p, ip, 1, 1)
    traffic(d, p2, ip2, 1, 1)

    def rows():
        out = {}
        for f in files(acct):
            for line in f.read_text().splitlines():
                if not line.startswith("#"):
                    out[line.split()[0]] = line.split()
        return out
    wait_until(lambda: {"two\\040words", "back\\134slash"} <= set(rows()),
               what="both users in the usage files")
    for name, addr in (("two\\040words", ip), ("back\\134slash", ip2)):
        fields = rows()[name]
        assert len(fields) == 5 and fields[1] == addr, fields
