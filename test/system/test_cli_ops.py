"""The 2.x operator commands the CLI gained (issue 24): `show tunnels`
(the 2.x spelling of `show tunnel`), `write terminal`, `reload` (as
SIGHUP) and `shutdown` (as SIGQUIT: every tunnel closed with StopCCN
result 6, then exit)."""
import re
import time

from l2tpwire import STOPCCN, result_code
from pppwire import LCP, TERMREQ, TERMACK
from conftest import wait_until
from test_cli import clis, lns, ppp_session, rows   # noqa: F401 (fixtures)


def test_show_tunnels_is_show_tunnel(lns, clis):
    lac, p, ip = ppp_session(lns, host="lac-alias")
    c = clis(lns).login()
    one = c.cmd("show tunnel")
    assert [r[1] for r in rows(one)] == ["lac-alias"], one
    assert c.cmd("show tunnels") == one
    tid = rows(one)[0][0]
    assert c.cmd(f"show tunnels {tid}") == c.cmd(f"show tunnel {tid}")


def test_write_terminal_is_show_running_config(lns, clis):
    c = clis(lns).login().enable()
    out = c.cmd("write terminal")
    assert out == c.cmd("show running-config")
    assert re.search(r"^set hostname lns-cli$", out, re.M), out


def test_reload_and_shutdown(lns, clis):
    lac, p, ip = ppp_session(lns, host="lac-quit")
    c = clis(lns).login()
    assert "Reloading" not in c.cmd("reload")    # privileged only
    assert "Shutting" not in c.cmd("shutdown")
    assert lns.running()
    c = clis(lns).login().enable()
    lns.write_config({"debug": 3})
    mark = lns.log_mark()
    assert "Reloading the configuration" in c.cmd("reload")
    lns.wait_for_log(r"SIGHUP from pid \d+: reloading configuration",
                     since=mark)
    lns.wait_for_log(r'config: debug changed from "4" to "3"', since=mark)
    assert "Shutting down" in c.cmd("shutdown")
    seen = lac.recv_until(STOPCCN)
    assert STOPCCN in seen, seen
    assert result_code(seen[STOPCCN])[0] == 6     # shutting down
    assert lns.wait_exit(timeout=40) == 0
    assert re.search(r"SIGQUIT from pid \d+: shutting down", lns.log_text())


def test_show_throttle_and_drop_user(lns, clis):
    lac, p, ip = ppp_session(lns, host="lac-user")
    c = clis(lns).login().enable()
    assert c.cmd("show throttle").endswith("0 throttled sessions (kbit/s, "
                                           "0 = not throttled that way)")
    c.cmd("throttle alice in 512 out 1024")
    out = c.cmd("show throttle")
    sid = rows(c.cmd("show session"))[0][0]
    assert re.search(rf"^ *{sid} +\d+ +alice +512 +1024$", out, re.M), out
    assert "1 throttled session " in out
    assert "% User nobody is not connected" in c.cmd("drop user nobody")
    out = c.cmd("drop user alice reason moved to fibre")
    assert f"Session {sid} dropped" in out, out
    t = p.expect(LCP, TERMREQ)
    p.send_cp(LCP, TERMACK, t.id)
    m = p.cdn(timeout=6)
    res, err, msg = result_code(m)
    assert res == 3 and "moved to fibre" in msg, (res, msg)


def test_show_tbf_lists_live_buckets(lns, clis):
    # 2.x "show tbf": the throttle buckets, live from the daemon.
    from pppwire import ipv4_udp
    lac, p, ip = ppp_session(lns, host="lac-tbf")
    c = clis(lns).login().enable()
    assert re.search(r"^0 tbf entries used, \d+ total$",
                     c.cmd("show tbf").splitlines()[-1])
    c.cmd("throttle alice in 64 out 64")
    sid = rows(c.cmd("show session"))[0][0]
    # the upstream bucket comes with the first packet through it
    for i in range(5):
        p.send(0x0021, ipv4_udp(ip, "192.0.2.99", 4000, 9, b"x" * 200))
    wait_until(lambda: re.search(rf"^ *{sid} +in +64 ", c.cmd("show tbf"),
                                 re.M), what="the upstream bucket")
    out = c.cmd("show tbf")
    row = re.search(rf"^ *{sid} +in +64 +(-?\d+) +(\d+) \| +(\d+) +(\d+) "
                    r"+(\d+) +(\d+) +(\d+) +(\d+)$", out, re.M)
    assert row, out
    bytes_in, pkts_in = int(row.group(3)), int(row.group(4))
    assert pkts_in == 5 and bytes_in >= 5 * 228, out
    assert re.search(r"^[1-9]\d* tbf entr(y|ies) used, \d+ total$",
                     out.splitlines()[-1]), out
    c.cmd("no throttle alice")
    wait_until(lambda: not re.search(rf"^ *{sid} +in ", c.cmd("show tbf"),
                                     re.M), what="the bucket to go")


def test_show_histogram_idle_and_open(lns, clis):
    # 2.x "show histogram idle|open": sessions by idle time and by age.
    lac, p, ip = ppp_session(lns, host="lac-hist")
    c = clis(lns).login()
    out = c.cmd("show histogram open")
    assert out.splitlines()[0].startswith("Session age"), out
    assert out.splitlines()[-1] == "1 session", out
    assert re.search(r"^ +< \d+ s: +1 +100\.0%$", out, re.M), out
    out = c.cmd("show histogram idle")
    assert re.search(r"^ +0-4 s: +1 +100\.0%$", out, re.M), out
    time.sleep(5.5)
    out = c.cmd("show histogram idle")
    assert re.search(r"^ +5-9 s: +1 +100\.0%$", out, re.M), out
    assert "takes idle or open" in c.cmd("show histogram")
