"""The per-session event ring (evring.c): show session ID events.

A session through FreeRADIUS records the tunnel, the call, the RADIUS
authentication, its address and IPCP; a CLI throttle and snoop are
recorded with their actor; a CLI drop with `reason TEXT cause CODE`
ends it with that reason in the ring and that cause as the RADIUS Stop's
Acct-Terminate-Cause; the ring stays readable after the session ended.
A CoA-Request and a Disconnect-Request from the RADIUS server are
recorded with the DAE as actor.
"""
import json
import re

from conftest import wait_until
from l2tpwire import result_code
from pppwire import LCP, TERMREQ, TERMACK
from test_cli import USERS, clis, rows  # noqa: F401 (clis: a fixture)
from test_radius import FreeRadius, radius_cfg, link, up, radclient

import pytest

RAD_USERS = """\
alice	Cleartext-Password := "secret"

bob	Cleartext-Password := "pw2"
"""


@pytest.fixture
def rad_lns(daemon, netns, tmp_path, cleanup):
    def make():
        ns = netns()
        rad = cleanup(FreeRadius(ns, tmp_path / "radius",
                                 users=RAD_USERS).start(), "stop")
        d = daemon(radius_cfg(hostname="lns-cli"), ns=ns, users=USERS)
        return d, rad
    return make


def events(c, sid):
    out = c.cmd(f"show session {sid} events json")
    assert out.startswith("{"), out
    return json.loads(out)


def test_events_cli_throttle_snoop_drop_with_reason_and_cause(rad_lns, clis):
    d, rad = rad_lns()
    lac, p = link(d)
    ip = up(p, "alice", "secret")[0]
    start = rad.wait_record("Start", User_Name="alice")
    c = clis(d).login().enable()
    sid = rows(c.cmd("show session"))[0][0]
    js = events(c, sid)
    assert js["user"] == "alice" and js["ended"] is False
    kinds = [e["event"] for e in js["events"]]
    assert kinds == ["tunnel-up", "call", "auth-ok", "address",
                     "session-up"], js
    ev = {e["event"]: e for e in js["events"]}
    assert 'tunnel 1 from "lac-rad"' in ev["tunnel-up"]["text"]
    assert ev["call"]["actor"] == "lac"
    assert ev["auth-ok"]["actor"] == "radius"
    assert '"alice" PAP' in ev["auth-ok"]["text"]
    assert ev["address"]["text"] == ip
    times = [e["time"] for e in js["events"]]
    assert times == sorted(times)

    c.cmd("throttle alice 1000")
    c.cmd("snoop alice 127.0.0.1 9999")
    c.cmd("no snoop alice")
    js = events(c, sid)
    th, sn1, sn2 = js["events"][5:8]
    assert (th["event"], th["text"]) == ("throttle", "in 1000, out 1000 "
                                         "kbit/s"), th
    assert (sn1["event"], sn1["actor"]) == ("intercept", "cli"), sn1
    assert sn1["text"] == "to 127.0.0.1:9999 by admin@127.0.0.1", sn1
    assert (sn2["event"], sn2["text"]) == ("intercept",
                                           "stopped by admin@127.0.0.1")

    # the teardown: reason and cause (10 = NAS-Request, RFC 2866 5.10)
    assert "% Bad cause" in c.cmd(f"drop session {sid} cause 0")
    out = c.cmd(f"drop session {sid} reason line test for ticket 42 "
                f"cause 10")
    assert f"Session {sid} dropped" in out, out
    t = p.expect(LCP, TERMREQ)
    p.send_cp(LCP, TERMACK, t.id)
    m = p.cdn(timeout=6)
    assert result_code(m)[0] == 3
    assert "line test for ticket 42" in result_code(m)[2]
    stop = rad.wait_record("Stop", Acct_Session_Id=start["Acct-Session-Id"])
    assert stop["Acct-Terminate-Cause"] == "NAS-Request", stop
    wait_until(lambda: rows(c.cmd("show session")) == [], 10,
               "the session to end")
    js = events(c, sid)             # readable after the end
    assert js["ended"] is True
    down = js["events"][-1]
    assert down["event"] == "down" and down["actor"] == "cli", down
    assert down["cause"] == 10
    assert down["text"] == "admin@127.0.0.1: line test for ticket 42", down
    table = c.cmd(f"show session {sid} events")
    assert re.search(r"^Events of session \d+ \(alice\), ended:", table,
                     re.M), table
    assert re.search(r" down +cli +10 +admin@127\.0\.0\.1: line test",
                     table), table
    assert "% No events for session 999" in c.cmd("show session 999 events")


def test_events_dae_coa_and_disconnect(rad_lns, clis):
    d, rad = rad_lns()
    lac, p = link(d)
    up(p, "bob", "pw2")
    rad.wait_record("Start", User_Name="bob")
    c = clis(d).login()
    sid = rows(c.cmd("show session"))[0][0]
    out = radclient(d, "coa", 'User-Name = "bob", Session-Timeout = 500')
    assert "Received CoA-ACK" in out, out
    out = radclient(d, "disconnect", 'User-Name = "bob"')
    assert "Received Disconnect-ACK" in out, out
    t = p.expect(LCP, TERMREQ)
    p.send_cp(LCP, TERMACK, t.id)
    p.cdn(timeout=6)
    wait_until(lambda: events(c, sid)["ended"], 10, "the session to end")
    evs = events(c, sid)["events"]
    coa = [e for e in evs if e["event"] == "coa"]
    assert len(coa) == 1 and coa[0]["actor"] == "dae", evs
    assert "session-timeout 500" in coa[0]["text"]
    req = [e for e in evs if e["event"] == "disconnect-requested"]
    assert len(req) == 1 and req[0]["actor"] == "dae", evs
    down = evs[-1]
    assert (down["event"], down["actor"], down["cause"]) == \
        ("down", "dae", 6), down
    assert down["text"] == "RADIUS Disconnect-Request"
