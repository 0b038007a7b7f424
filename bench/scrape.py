#!/usr/bin/python3
"""What a Prometheus scrape costs the packet loop (`make bench-scrape`,
not in CI; issue 24: "scraping every second at 100,000 sessions costs the
packet loop under 1%").

One l2tpns of ours (bench.py's namespaces, CPU pinning and lacsim) holds
N PPP sessions (100,000 by default) with `metrics_port` on.  The daemon's
CPU time (schedstat, every thread) is read over three windows of the
same length while lacsim keeps every session up (LCP echoes):

  idle       nobody scrapes;
  scrape     `GET /metrics` once a second (the aggregate series, the
             default);
  sessions   the same with `metrics_sessions yes` (the opt-in
             per-session series), in a second daemon run.

Each scrape's cost is the daemon's CPU time from just before the request
to just after the answer (the median over the window: the loop may run
an echo round meanwhile), and its share of one second of the loop (a
scrape a second).  The window's CPU time above the idle windows' is
reported as a cross-check.  The longest scrape (curl's time_total: the
whole round trip, rendering included) bounds how long one scrape can
hold the loop, since the HTTP server runs inside it.  These are CPU
times, not rates, so a busy machine disturbs them little; they are
still one run.

The figures go into Docs/performance.md's "Metrics scrape cost" section
(replaced at each run; `make bench` carries it over).

Usage: bench/scrape.py [--sessions N] [--window S] [--quick]
"""

import argparse
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench as B  # noqa: E402

PORT = 9109
SECTION = "## Metrics scrape cost"
PERF = False            # --perf: `perf record` the daemon while scraped


class Scraper:
    """curl in the LNS's namespace once a second; keeps each scrape's
    time, size and status."""

    def __init__(self, ns, url, pid):
        self.pid = pid
        self.cmd = B.Net.ns(ns, "curl", "-s", "-o", "/dev/null", "-w",
                            "%{http_code} %{time_total} %{size_download}",
                            "--max-time", "10", url)
        self.rows = []
        self.stop = threading.Event()
        self.t = threading.Thread(target=self._loop, daemon=True)

    def _loop(self):
        nxt = time.monotonic()
        while not self.stop.is_set():
            a = B.cpu_ns(self.pid)
            out = subprocess.run(self.cmd, capture_output=True,
                                 text=True).stdout.split()
            cpu = (B.cpu_ns(self.pid) - a) / 1e9
            if len(out) == 3:
                self.rows.append((int(out[0]), float(out[1]), int(out[2]),
                                  cpu))
            nxt += 1.0
            self.stop.wait(max(0.0, nxt - time.monotonic()))

    def __enter__(self):
        self.t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.t.join(15)


def window(pid, secs, scraper=None):
    """Daemon CPU seconds over secs, with the scraper running if any."""
    if scraper is None:
        a = B.cpu_ns(pid)
        time.sleep(secs)
        return (B.cpu_ns(pid) - a) / 1e9, []
    with scraper:
        time.sleep(0.5)         # the first scrape is under way
        a = B.cpu_ns(pid)
        n0 = len(scraper.rows)
        time.sleep(secs)
        cpu = (B.cpu_ns(pid) - a) / 1e9
        rows = scraper.rows[n0:]
    return cpu, rows


def run(net, work, n, secs, per_session):
    side = B.SIDES["a"]
    sets = [f"metrics_port {PORT}", "metrics_bind_address 127.0.0.1"]
    if per_session:
        sets.append("metrics_sessions yes")
    os.environ["L2TPNS_BENCH_SET"] = "; ".join(sets)
    tag = f"scrape-{n}-{'sess' if per_session else 'agg'}"
    ours = B.Ours(net, work, side)
    ours.start(max_sessions=n + 1000, pool=B.BIG_POOL, tag=tag, nusers=n)
    tunnels, per = B.split(n, 1000)
    t0 = time.monotonic()
    lac = B.Lacsim(net, work, tag, side, tunnels, per, hold=1e7,
                   max_pending=256, timeout=900)
    setup = lac.wait_event("setup", 960)
    up = setup.get("sessions_up", 0)
    B.log(f"  {up} of {tunnels * per} sessions up in "
          f"{time.monotonic() - t0:.0f} s")
    time.sleep(2)
    url = f"http://127.0.0.1:{PORT}/metrics"
    res = {"n": tunnels * per, "up": up, "per_session": per_session,
           "rss_kb": B.rss_kb(ours.pid)}
    idle, _ = window(ours.pid, secs)
    perf = None
    if PERF:
        perf = subprocess.Popen(["perf", "record", "-q", "-o",
                                 str(work / f"perf-{tag}.data"), "-p",
                                 str(ours.pid)],
                                stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
    busy, rows = window(ours.pid, secs, Scraper(side.ns, url, ours.pid))
    if perf is not None:
        perf.send_signal(2)
        perf.wait(30)
    idle2, _ = window(ours.pid, secs)
    ok = [r for r in rows if r[0] == 200]
    base = (idle + idle2) / 2
    res.update({
        "window_s": secs, "idle_cpu_s": [idle, idle2], "scrape_cpu_s": busy,
        "scrapes": len(rows), "scrapes_ok": len(ok),
        "bytes": max((r[2] for r in ok), default=0),
        "max_time_s": max((r[1] for r in ok), default=0.0),
        "mean_time_s": sum(r[1] for r in ok) / len(ok) if ok else 0.0,
    })
    # The daemon's CPU time from just before each request to just after
    # its answer: the scrape, plus whatever the loop did meanwhile (an
    # echo round, a timer) -- hence the median.
    per = sorted(r[3] for r in ok)
    res["cost_per_scrape_ms"] = per[len(per) // 2] * 1000 if ok else None
    res["cost_max_ms"] = per[-1] * 1000 if ok else None
    res["window_extra_ms"] = (max(0.0, busy - base) * 1000 / len(ok)
                              if ok else None)
    # A scrape a second: the share of each second of the loop it takes.
    res["share_pct"] = (res["cost_per_scrape_ms"] / 10
                        if ok else None)
    B.log(f"  {'per-session' if per_session else 'aggregate'}: "
          f"{len(ok)}/{len(rows)} scrapes of {res['bytes']:,} bytes, "
          f"idle {idle:.3f}/{idle2:.3f} s, scraping {busy:.3f} s CPU in "
          f"{secs} s; {res['cost_per_scrape_ms']} ms per scrape, "
          f"longest {res['max_time_s'] * 1000:.1f} ms")
    lac.stop()
    ours.stop()
    return res


def render(results, meta):
    out = [SECTION, "",
           f"*Written by `make bench-scrape` (bench/scrape.py) on "
           f"{meta['date']}, commit {meta['commit']}; {meta['note']}*", "",
           "lacsim holds the sessions (LCP echoes running) while "
           "`GET /metrics` is requested once a second for "
           f"{results[0]['window_s']} s.  *Per scrape*: the daemon's CPU "
           "time from just before each request to just after its answer "
           "(median; max in brackets); *share*: that, as a part of each "
           "second of the loop.  *Window*: the CPU time of the scraped "
           "window above the mean of two idle windows (before, after), "
           "per scrape, as a cross-check.  *Longest*: curl's whole round "
           "trip, rendering included; for the aggregate series, rendered "
           "in one piece, it bounds how long a scrape holds the loop (the "
           "HTTP server runs inside it); the per-session series are "
           "streamed, 2,048 session slots per turn of the loop, so no "
           "turn is held longer than one slice.", "",
           "| series | sessions up | body | per scrape | share of the "
           "loop | window | longest scrape |",
           "|---|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        cost = r["cost_per_scrape_ms"]
        series = ("per-session (`metrics_sessions yes`)" if r["per_session"]
                  else "aggregate (default)")
        per = ("n/a" if cost is None else
               f"{cost:.2f} ms ({r['cost_max_ms']:.2f})")
        share = "n/a" if cost is None else f"{r['share_pct']:.2f} %"
        win = ("n/a" if r["window_extra_ms"] is None else
               f"{r['window_extra_ms']:.2f} ms")
        out.append(f"| {series} | {r['up']:,} | {r['bytes'] / 1024:,.0f} KiB "
                   f"| {per} | {share} | {win} "
                   f"| {r['max_time_s'] * 1000:.1f} ms |")
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sessions", type=int, default=100000)
    ap.add_argument("--window", type=int, default=30)
    ap.add_argument("--quick", action="store_true",
                    help="2,000 sessions, 5 s windows; report not written")
    ap.add_argument("--perf", action="store_true",
                    help="perf record the daemon during the scrape windows")
    ap.add_argument("--note", default="one run",
                    help="a word on the conditions, for the report")
    args = ap.parse_args()
    global PERF
    PERF = args.perf
    if args.quick:
        args.sessions, args.window = 2000, 5
    work, net = B.side_bench("scrape")
    results = [run(net, work, args.sessions, args.window, False),
               run(net, work, args.sessions, args.window, True)]
    meta = B.run_meta(args.note)
    B.side_report(work, "scrape", {"meta": meta, "results": results},
                  SECTION, render(results, meta), args.quick)


if __name__ == "__main__":
    main()
