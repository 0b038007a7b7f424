"""Reload classes (SIGHUP and the CLI's set; manual, "Reloading").

Each directive is applied at once, applied to new sessions only, or kept
until a restart, as the directive table in config.c says; the log names
what happened to each changed directive and show running-config marks a
configured value that waits for a restart.  One test per class checks
the log line and the behaviour on the wire; the CLI tests check the
marks of show running-config and what write memory keeps.
"""
import re
import struct

import pytest

from conftest import local_auth
from l2tpwire import Lac, avp, u32, A_MSGTYPE, A_SESSION_ID, A_SERIAL, \
    ICRQ, CDN, result_code
from pppwire import Ppp, LCP, ECHOREQ, ECHOREP
from test_cli import HOST, clis  # noqa: F401 (a fixture)

SUBSCRIBERS = "alice secret\nbob pw2\n"
USERS = "admin:admin\nenable:en\n"


@pytest.fixture
def lns(daemon, tmp_path):
    def make(config=None):
        subs = local_auth(tmp_path, SUBSCRIBERS)
        cfg = {"hostname": HOST, "local_auth_file": str(subs),
               "primary_dns": "192.0.2.53", "peer_address": "192.0.2.1",
               "ppp_restart_time": 1}
        cfg.update(config or {})
        return daemon(cfg, users=USERS)
    return make


def lac_for(d, our_tid=4242, port=1701):
    lac = d.ns.run_in(Lac, "127.0.0.1", port)
    lac.our_tid = our_tid
    return lac


def ppp_link(d, our_tid=4242, our_sid=77):
    lac = lac_for(d, our_tid)
    lac.open_tunnel(host="lac-%d" % our_tid)
    sid = lac.open_session(our_sid=our_sid)
    return lac, Ppp(lac, sid, our_sid)


def mru_offered(p):
    """LCP up; the MRU the LNS asked for in its Configure-Request."""
    their = dict(p.lcp_up().opts())
    return struct.unpack("!H", their[1])[0]


def running_config(d, clis):
    c = clis(d).login().enable("en")
    out = c.cmd("show running-config")
    c.close()
    return out


# ---------------------------------------------------------------------------
# applied at once


def test_hup_applied_at_once_reaches_a_running_tunnel(lns):
    d = lns({"max_sessions_per_tunnel": 0})
    lac = lac_for(d)
    lac.open_tunnel()
    lac.open_session(our_sid=1)
    out = d.reload({"max_sessions_per_tunnel": 1})
    assert 'INFO config: max_sessions_per_tunnel changed from "0" to "1": ' \
        'applied' in out, out
    assert re.search(r"reloaded from .*: 1 change, 0 errors$", out, re.M), out
    # The tunnel was opened before the reload: its next call is refused.
    lac.send(avp(A_MSGTYPE, ICRQ) + avp(A_SESSION_ID, 2) +
             avp(A_SERIAL, u32(2)))
    cdn = lac.recv()
    assert cdn["type"] == CDN and cdn["sid"] == 2, cdn
    assert result_code(cdn)[:2] == (4, 4)
    d.wait_for_log(r"tunnel already carries 1 call")


# ---------------------------------------------------------------------------
# applied to new sessions only


def test_hup_new_sessions_only_keeps_running_sessions(lns, clis):
    d = lns()
    lac1, p1 = ppp_link(d, our_tid=4242)
    assert mru_offered(p1) == 1460              # l2tp_mtu 1500 less 40
    assert p1.pap("alice", "secret")[0] == 2
    ip1, dns1, _, _ = p1.ipcp_up()
    assert dns1 == "192.0.2.53"

    out = d.reload({"primary_dns": "192.0.2.99", "l2tp_mtu": 1400})
    assert 'INFO config: primary_dns changed from "192.0.2.53" to ' \
        '"192.0.2.99": applies to new sessions only' in out, out
    assert 'INFO config: l2tp_mtu changed from "1500" to "1400": applies ' \
        'to new sessions only' in out, out
    assert re.search(r"reloaded from .*: 2 changes, 0 errors$", out,
                     re.M), out

    # A session set up after the reload gets the new values ...
    lac2, p2 = ppp_link(d, our_tid=4243, our_sid=78)
    assert mru_offered(p2) == 1360
    assert p2.pap("bob", "pw2")[0] == 2
    ip2, dns2, _, _ = p2.ipcp_up()
    assert dns2 == "192.0.2.99"
    # ... and the one from before is still open, with what it had.
    p1.send_cp(LCP, ECHOREQ, 0x21, struct.pack("!I", p1.magic) + b"live")
    f = p1.expect(LCP, ECHOREP)
    assert f.id == 0x21 and f.data.endswith(b"live")
    c = clis(d).login()
    out = c.cmd("show session")
    assert ip1 in out and ip2 in out, out


def test_cli_set_new_sessions_only_says_so(lns, clis):
    d = lns()
    c = clis(d).login().enable("en")
    c.cmd("configure terminal")
    out = c.cmd("set primary_dns 192.0.2.77")
    assert "% primary_dns applies to new sessions only: running sessions " \
        "and tunnels keep their value" in out, out
    assert c.cmd("set hello_interval 30") == ""         # applied at once
    c.cmd("end")
    assert "set primary_dns 192.0.2.77" in c.cmd("show running-config")


# ---------------------------------------------------------------------------
# needs a restart


def test_hup_restart_keeps_running_value_and_marks_it(lns, clis):
    d = lns()
    out = d.reload({"l2tp_port": 1799})
    assert re.search(r"WARN .*: l2tp_port changed to \"1799\" but needs a "
                     r"restart; keeping \"1701\"", out), out
    assert "INFO config: l2tp_port" not in out, out
    assert re.search(r"0 changes, 0 errors$", out, re.M), out
    # Still served on the running port.
    lac_for(d, 4242, 1701).open_tunnel()
    running = running_config(d, clis)
    lines = running.splitlines()
    i = lines.index("set l2tp_port 1799")
    assert lines[i - 1] == "! l2tp_port waits for a restart: running " \
        "value 1701", running

    # A second reload with the same file says it again and keeps the mark.
    out = d.reload()
    assert 'l2tp_port changed to "1799" but needs a restart' in out, out
    assert "! l2tp_port waits for a restart" in running_config(d, clis)

    # The restart takes it: served on the new port, no mark.
    d.stop()
    d.start()
    lac_for(d, 4243, 1799).open_tunnel()
    running = running_config(d, clis)
    assert "set l2tp_port 1799" in running
    assert "waits for a restart" not in running, running


def test_hup_back_to_running_value_forgets_the_waiting_one(lns, clis):
    d = lns()
    d.reload({"max_sessions": 100})
    assert "! max_sessions waits for a restart: running value 65535" in \
        running_config(d, clis)
    out = d.reload({"max_sessions": None})      # the line removed again
    assert "max_sessions" not in out, out
    running = running_config(d, clis)
    assert "max_sessions" not in running, running


def test_cli_set_restart_waits_and_write_memory_keeps_it(lns, clis):
    d = lns()
    c = clis(d).login().enable("en")
    c.cmd("configure terminal")
    assert "cli_port is read at startup" in c.cmd("set cli_port 2323")
    c.cmd("end")
    d.wait_for_log(r'config: cli_port set to "2323" from the CLI by '
                   r'admin@127\.0\.0\.1: needs a restart; keeping "23"')
    running = c.cmd("show running-config")
    lines = running.splitlines()
    i = lines.index("set cli_port 2323")
    assert lines[i - 1] == "! cli_port waits for a restart: running value " \
        "23", running
    # The CLI still listens where it did.
    assert any(a.endswith(":23") for a in
               d.ns.run(["ss", "-Hltn"]).stdout.split())
    assert "Configuration written" in c.cmd("write memory")
    text = d.config_path.read_text()
    assert "\nset cli_port 2323\n" in text, text

    # Set back to the running value: nothing waits any more.
    c.cmd("configure terminal")
    c.cmd("set cli_port 23")
    c.cmd("end")
    running = c.cmd("show running-config")
    assert "cli_port" not in running, running


# ---------------------------------------------------------------------------
# 2.x keys this server cannot honour: accepted, ignored, said so


def test_unsupported_multi_address_keys_are_warned_about(lns, clis):
    d = lns({"bind_multi_address": "192.0.2.21,192.0.2.22",
             "multi_hostname": "lns-a,lns-b"})
    for key in ("bind_multi_address", "multi_hostname"):
        d.wait_for_log(rf"WARN .*startup-config: {key} is not supported by "
                       r"this server: accepted and ignored")
    # Still one listener, on bind_address, and the tun has no extra address.
    lac_for(d).open_tunnel()
    assert d.tun_addrs() == ["1.1.1.1/32"], d.tun_addrs()
    out = d.reload()
    assert "bind_multi_address is not supported" in out, out
    out = d.reload({"multi_hostname": "lns-c"})
    assert 'config: multi_hostname changed from "lns-a,lns-b" to "lns-c": ' \
        'ignored, no effect' in out, out
    c = clis(d).login().enable("en")
    c.cmd("configure terminal")
    assert "% multi_hostname is not supported by this server: accepted, " \
        "it has no effect" in c.cmd("set multi_hostname x")
