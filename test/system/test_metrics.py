"""The Prometheus endpoint (metrics.c): GET /metrics on metrics_port.

A real Prometheus server (Debian's prometheus, its own config and data
directory under the test's tmp dir, in the daemon's namespace) scrapes the
daemon every second while the LAC simulator brings sessions up through
FreeRADIUS and down again; Prometheus's HTTP API must then give the
sessions, the set-up histogram, the L2TP and RADIUS counters.  promtool
checks the exposition.  A hostile client (idle connections, a request
head that never ends, a reader that never reads) must not stall the
packet loop, and its connections are closed after the timeout.
"""
import json
import re
import socket
import subprocess
import time
import urllib.parse
from pathlib import Path

import pytest

from conftest import wait_until
from test_radius import FreeRadius, radius_cfg

LACSIM = Path(__file__).resolve().parents[2] / "test" / "lacsim" / "lacsim"
PORT = 9417
PROM_PORT = 9090
RAD_USERS = 'DEFAULT\tCleartext-Password := "password"\n'


def http_get(ns, path, port=PORT, timeout=5):
    p = ns.run(["curl", "-sS", "-m", str(timeout), "-o", "-", "-w",
                "\n%{http_code} %{content_type}",
                f"http://127.0.0.1:{port}{path}"], check=False,
               timeout=timeout + 5)
    body, _, tail = p.stdout.rpartition("\n")
    return tail, body


def sample(text, name, **labels):
    """The value of one sample of the exposition text."""
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        m = re.match(r"^([a-zA-Z_:][\w:]*)(\{(.*)\})? (\S+)$", line)
        if not m or m.group(1) != name:
            continue
        got = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(3) or ""))
        if all(got.get(k) == str(v) for k, v in labels.items()):
            return float(m.group(4))
    return None


class Prometheus:
    def __init__(self, ns, directory, target):
        self.ns = ns
        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True)
        (self.dir / "prometheus.yml").write_text(
            "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
            "scrape_configs:\n  - job_name: l2tpns\n"
            f"    static_configs:\n      - targets: ['{target}']\n")
        self.out = open(self.dir / "stdout", "ab")
        self.proc = ns.popen(
            ["prometheus", f"--config.file={self.dir / 'prometheus.yml'}",
             f"--storage.tsdb.path={self.dir / 'data'}",
             f"--web.listen-address=127.0.0.1:{PROM_PORT}"],
            stdout=self.out, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL)
        wait_until(lambda: self.api("query", query="up") is not None or
                   self.proc.poll() is not None, 30, "Prometheus to start")
        assert self.proc.poll() is None, self.log()

    def log(self):
        return (self.dir / "stdout").read_text(errors="replace")[-3000:]

    def api(self, what, **params):
        q = urllib.parse.urlencode(params)
        p = self.ns.run(["curl", "-sS", "-m", "5",
                         f"http://127.0.0.1:{PROM_PORT}/api/v1/{what}?{q}"],
                        check=False, timeout=10)
        try:
            js = json.loads(p.stdout)
        except ValueError:
            return None
        return js if js.get("status") == "success" else None

    def value(self, query):
        """The single value of an instant query, or None."""
        js = self.api("query", query=query)
        if not js or not js["data"]["result"]:
            return None
        return float(js["data"]["result"][0]["value"][1])

    def wait_value(self, query, want, timeout=30):
        return wait_until(lambda: self.value(query) == want, timeout,
                          f"Prometheus: {query} == {want} (last "
                          f"{self.value(query)})")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        self.out.close()


@pytest.fixture
def prom_lns(daemon, netns, tmp_path):
    made = []

    def make(config=None):
        ns = netns()
        rad = FreeRadius(ns, tmp_path / "radius", users=RAD_USERS).start()
        cfg = radius_cfg(metrics_port=PORT, debug=3)
        cfg.update(config or {})
        d = daemon(cfg, ns=ns)
        prom = Prometheus(ns, tmp_path / "prometheus", f"127.0.0.1:{PORT}")
        made.append((rad, prom))
        return d, rad, prom
    yield make
    for rad, prom in made:
        prom.stop()
        rad.stop()


def test_metrics_off_by_default(daemon):
    d = daemon()
    p = d.ns.run(["ss", "-Hltn"])
    assert f":{PORT} " not in p.stdout
    assert "metrics:" not in d.log_text()


def test_metrics_prometheus_scrapes_sessions_up_and_down(prom_lns, tmp_path):
    d, rad, prom = prom_lns({"metrics_sessions": True})
    status, text = http_get(d.ns, "/metrics")
    assert status == "200 text/plain; version=0.0.4; charset=utf-8", status
    assert sample(text, "l2tpns_sessions", state="active") == 0
    assert http_get(d.ns, "/nothing")[0].startswith("404")
    # Prometheus sees the target up
    prom.wait_value('up{job="l2tpns"}', 1)

    lac = d.ns.popen([str(LACSIM), "--lns", "127.0.0.1", "--json", "--ppp",
                      "--tunnels", "2", "--sessions", "3", "--hold", "8",
                      "--timeout", "20"], stdout=subprocess.PIPE,
                     stderr=subprocess.PIPE, text=True)
    prom.wait_value('l2tpns_sessions{state="active"}', 6)
    assert prom.value('l2tpns_tunnels{state="open"}') == 2
    assert prom.value("l2tpns_pool_addresses_used") == 6
    assert prom.value("l2tpns_pool_addresses_free") == 64 - 6 - 2
    assert prom.value("count(l2tpns_session_rx_bytes_total)") == 6
    out, err = lac.communicate(timeout=60)
    done = json.loads(out.strip().splitlines()[-1])
    assert done["event"] == "done" and done["ok"] and done["ppp_up"] == 6, \
        out[-2000:] + err

    prom.wait_value('l2tpns_sessions{state="active"}', 0)
    prom.wait_value('l2tpns_tunnels{state="open"}', 0)
    assert prom.value('l2tpns_tunnels{state="closing"}') == 2
    prom.wait_value("l2tpns_session_setup_seconds_count", 6)
    # every set-up took less than the 20 s deadline, at least 0
    assert prom.value('l2tpns_session_setup_seconds_bucket{le="30"}') == 6
    assert prom.value("l2tpns_session_setup_seconds_sum") > 0
    assert prom.value("l2tpns_sessions_created_total") == 6
    assert prom.value('l2tpns_l2tp_control_messages_total{type="ICRQ",'
                      'direction="rx"}') == 6
    assert prom.value('l2tpns_l2tp_control_messages_total{type="ICRP",'
                      'direction="tx"}') == 6
    assert prom.value('l2tpns_l2tp_control_messages_total{type="SCCRP",'
                      'direction="tx"}') == 2
    assert prom.value('l2tpns_l2tp_control_messages_total{type="CDN",'
                      'direction="rx"}') == 6
    srv = 'server="127.0.0.1:1812"'
    assert prom.value(f'l2tpns_radius_up{{{srv}}}') == 1
    assert prom.value(f'l2tpns_radius_requests_total{{{srv},kind="auth"}}') \
        == 6
    assert prom.value("l2tpns_radius_access_accepts_total") == 6
    # 6 Access-Accepts, 6 Starts and 6 Stops answered
    prom.wait_value(f'l2tpns_radius_requests_total{{{srv},kind="stop"}}', 6)
    prom.wait_value(f'l2tpns_radius_replies_total{{{srv}}}', 18)
    prom.wait_value(f'l2tpns_radius_latency_seconds_count{{{srv}}}', 18)
    assert prom.value(f'l2tpns_radius_latency_seconds_bucket{{{srv},'
                      f'le="1"}}') == 18
    assert prom.value(f'l2tpns_radius_timeouts_total{{{srv}}}') == 0
    assert prom.value("count(l2tpns_session_rx_bytes_total)") is None

    # promtool accepts the exposition
    status, text = http_get(d.ns, "/metrics")
    p = subprocess.run(["promtool", "check", "metrics"], input=text,
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stdout + p.stderr
    assert p.stdout.strip() == "" and p.stderr.strip() == "", \
        p.stdout + p.stderr


def test_metrics_hostile_client_does_not_stall(daemon, tmp_path):
    """Idle connections, a never-ending request head and a client that
    does not read its replies: the loop keeps setting up sessions at
    normal speed, the extra connections are refused, and the server
    closes the idle ones after its timeout."""
    (tmp_path / "subs").write_text("* password\n")
    (tmp_path / "subs").chmod(0o600)
    d = daemon({"metrics_port": PORT, "metrics_sessions": True,
                "local_auth_file": str(tmp_path / "subs")})
    socks = []

    def connect():
        s = socket.create_connection(("127.0.0.1", PORT), timeout=5)
        socks.append(s)
        return s

    # a reader that asks again and again and never reads (tiny buffer):
    # its reply is left to the kernel, the server does not wait for it
    slow = d.ns.run_in(connect)
    slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
    slow.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n" * 50)
    time.sleep(0.5)
    # per address at most 4 connections: fill them, half a head each
    for _ in range(4):
        s = d.ns.run_in(connect)
        s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    time.sleep(0.5)
    # more connections from the same address are refused (closed)
    extra = d.ns.run_in(connect)
    extra.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
    extra.settimeout(5)
    try:
        assert extra.recv(100) == b""
    except ConnectionResetError:
        pass
    t0 = time.monotonic()
    p = d.ns.run([str(LACSIM), "--lns", "127.0.0.1", "--json", "--ppp",
                  "--sessions", "5", "--timeout", "10"], check=False,
                 timeout=30)
    took = time.monotonic() - t0
    done = json.loads(p.stdout.strip().splitlines()[-1])
    assert done["ok"] and done["ppp_up"] == 5, p.stdout[-2000:]
    assert took < 5, took
    # the server hangs up on the idle ones within its 10 s timeout
    deadline = time.monotonic() + 15
    for s in socks[1:5]:
        s.settimeout(max(0.1, deadline - time.monotonic()))
        try:
            while s.recv(4096):
                pass
        except ConnectionResetError:
            pass
    assert time.monotonic() < deadline
    for s in socks:
        s.close()
    extra.close()
    # and serves a well-behaved scraper again
    status, text = wait_until(lambda: (lambda r: r if r[0].startswith("200")
                                       else None)(http_get(d.ns, "/metrics")),
                              15, "a scrape after the hostile clients left")
    assert sample(text, "l2tpns_sessions_created_total") == 5
    assert d.running()


def test_metrics_per_session_series_streamed_in_slices(daemon, tmp_path):
    """metrics_sessions with more sessions than one rendering slice
    (2,048 table slots): the per-session series come out complete, once
    each, in the right family, and promtool accepts the whole body;
    meanwhile a second scraper and LCP keep being served."""
    (tmp_path / "subs").write_text("* password\n")
    (tmp_path / "subs").chmod(0o600)
    d = daemon({"metrics_port": PORT, "metrics_sessions": True,
                "max_sessions": 6000,
                "local_auth_file": str(tmp_path / "subs")},
               ip_pool="100.64.0.0/19\n")
    n = 5000
    lac = d.ns.popen([str(LACSIM), "--lns", "127.0.0.1", "--json", "--ppp",
                      "--tunnels", "10", "--sessions", str(n // 10),
                      "--max-pending", "256", "--hold", "60",
                      "--timeout", "120"],
                     stdout=open(tmp_path / "lacsim.out", "w"),
                     stderr=subprocess.STDOUT)
    try:
        def all_up():
            _, body = http_get(d.ns, "/metrics")
            v = sample(body, "l2tpns_sessions", state="active")
            return body if v == n else None
        body = wait_until(all_up, 120, f"{n} active sessions")
        code, body = http_get(d.ns, "/metrics", timeout=20)
        assert code.startswith("200 text/plain; version=0.0.4")
        rx = re.findall(r'^l2tpns_session_rx_bytes_total\{sid="(\d+)",'
                        r'user="[^"]*"\} \d+$', body, re.M)
        tx = re.findall(r'^l2tpns_session_tx_bytes_total\{sid="(\d+)",'
                        r'user="[^"]*"\} \d+$', body, re.M)
        assert len(rx) == n and len(set(rx)) == n, len(rx)
        assert sorted(rx, key=int) == sorted(tx, key=int)
        assert max(map(int, rx)) > 2048         # beyond the first slice
        # each family's HELP/TYPE once, the samples after it
        assert body.count("# TYPE l2tpns_session_rx_bytes_total counter") \
            == 1
        assert body.index("# TYPE l2tpns_session_tx_bytes_total") > \
            body.rindex("l2tpns_session_rx_bytes_total{")
        p = subprocess.run(["promtool", "check", "metrics"], input=body,
                           capture_output=True, text=True)
        assert p.returncode == 0, p.stdout + p.stderr
        # the aggregate part leads, as without metrics_sessions
        assert body.index("l2tpns_sessions{") < body.index(
            "l2tpns_session_rx_bytes_total{")
    finally:
        lac.kill()
        lac.wait(10)
