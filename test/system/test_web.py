"""The web view (web.c) in headless Chromium (webdrive.py, Selenium and
chromedriver), against sessions from the LAC simulator that answer LCP
echoes: login with the CLI's users file, the session list and its
sorting, one session's detail with the quality chart's data (checked
against the JSON API) and its events, then a disconnect with a reason:
the LAC gets the CDN with that reason and the event ring records the
web user, the cause and the reason.  The screenshots stay in the test's
directory (web.png, web-after.png)."""
import base64
import json
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from conftest import wait_until
from test_cli import USERS

HERE = Path(__file__).resolve().parent
LACSIM = HERE.parents[1] / "test" / "lacsim" / "lacsim"
PORT = 9417


def curl(ns, path, *args, auth="admin:admin"):
    cmd = ["curl", "-sS", "-m", "5", "-o", "-", "-w", "\n%{http_code}"]
    if auth:
        cmd += ["-u", auth]
    p = ns.run(cmd + list(args) + [f"http://127.0.0.1:{PORT}{path}"],
               check=False, timeout=10)
    body, _, code = p.stdout.rpartition("\n")
    return int(code or 0), body


@pytest.fixture
def web_lns(daemon, tmp_path):
    subs = tmp_path / "subscribers"
    subs.write_text("* password\n")
    subs.chmod(0o600)

    def make(web=True):
        return daemon({"local_auth_file": str(subs), "metrics_port": PORT,
                       "web_enabled": web, "echo_timeout": 1,
                       "ppp_keepalive": False, "hostname": "lns-web"},
                      users=USERS)
    return make


def test_web_off_unless_enabled(web_lns):
    d = web_lns(web=False)
    assert curl(d.ns, "/l2tp")[0] == 404
    assert curl(d.ns, "/metrics")[0] == 200


def test_web_view_in_chromium(web_lns, tmp_path):
    for tool in ("/usr/bin/chromium", "/usr/bin/chromedriver"):
        if not Path(tool).exists():
            pytest.fail(f"{tool} missing: run scripts/install-deps.sh")
    d = web_lns()
    # authentication: none, wrong, right
    code, _ = curl(d.ns, "/l2tp", auth=None)
    assert code == 401
    assert curl(d.ns, "/l2tp", auth="admin:wrong")[0] == 401
    assert curl(d.ns, "/l2tp/api/sessions")[0] == 200

    lac = d.ns.popen([str(LACSIM), "--lns", "127.0.0.1", "--json", "--ppp",
                      "--sessions", "2", "--hold", "25", "--timeout", "20"],
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                     text=True)
    sessions = wait_until(
        lambda: (lambda js: js if len(js) == 2 and all(
            s["phase"] == "network" for s in js) else None)(
            json.loads(curl(d.ns, "/l2tp/api/sessions")[1])["sessions"]),
        20, "two sessions up")
    sid = [s["sid"] for s in sessions if s["user"] == "user1"][0]
    # a few echoes answered
    wait_until(lambda: json.loads(curl(d.ns, f"/l2tp/api/session/{sid}/"
                                       "quality")[1])["sent"][-1:] >= [3],
               10, "echoes in the quality buckets")
    # the disconnect needs the page's header: a plain form post is refused
    code, _ = curl(d.ns, f"/l2tp/api/session/{sid}/disconnect", "-d", "x")
    assert code == 403

    reason = "web test: line fault 7"
    shot = tmp_path / "web.png"
    p = d.ns.run(["/usr/bin/python3", str(HERE / "webdrive.py"),
                  f"http://127.0.0.1:{PORT}/l2tp", "admin", "admin", sid,
                  reason, shot, tmp_path], check=False, timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr
    seen = json.loads(p.stdout.strip().splitlines()[-1])
    api_q = json.loads(curl(d.ns, f"/l2tp/api/session/{sid}/quality")[1])

    # the list, sorted both ways by SID
    listed = sorted(int(r[0]) for r in seen["list"])
    assert listed == sorted(s["sid"] for s in sessions), seen["list"]
    assert {r[1] for r in seen["list"]} == {"user1", "user2"}
    assert [int(r[0]) for r in seen["sorted_desc"]] == listed[::-1]
    assert [int(r[0]) for r in seen["sorted_asc"]] == listed
    # the detail: the chart's data points are the API's buckets
    assert seen["user"] == "user1"
    chart = seen["chart"]
    assert chart["user"] == "user1" and chart["time"], chart
    assert chart["time"] == api_q["time"][:len(chart["time"])]
    # The echoes waited for above are in the chart; a bucket boundary
    # (every 100 s) may fall between that wait and the page's load, so
    # they are counted over the chart's buckets, each no more than the
    # API says of it a moment later.
    assert 3 <= sum(chart["sent"]), chart["sent"]
    assert all(c <= a for c, a in zip(chart["sent"], api_q["sent"])), \
        (chart["sent"], api_q["sent"])
    assert all(v is not None and 0 < v < 100 for v in chart["rtt_avg_ms"])
    assert seen["qsum"] == f"{len(chart['time'])} buckets of 100 s"
    kinds = [r[1] for r in seen["events"]]
    assert kinds[:5] == ["tunnel-up", "call", "auth-ok", "address",
                         "session-up"], seen["events"]
    assert seen["dropres"] == "dropped"
    down = seen["events_after"][-1]
    assert down[1:4] == ["down", "web", "6"], down
    assert down[4] == f"admin: {reason}", down
    assert shot.exists() and shot.stat().st_size > 1000
    assert (tmp_path / "web-after.png").exists()

    # the CDN on the wire, with the reason
    out, err = lac.communicate(timeout=60)
    evs = [json.loads(l) for l in out.splitlines() if l.strip()]
    cdns = [e for e in evs if e["event"] == "cdn_rx"]
    assert len(cdns) == 1, cdns
    assert cdns[0]["result"] == 3, cdns
    assert reason in cdns[0]["message"], cdns
    d.wait_for_log(r"session dropped from the web by admin: dropped from "
                   r"the web: web test: line fault 7")
