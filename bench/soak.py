#!/usr/bin/python3
"""Soak: sessions up and down continuously, with traffic, for N minutes,
against the daemon built with AddressSanitizer (`make soak`, not in CI;
issue 20, "Suites").

In one network namespace: FreeRADIUS (authentication and accounting:
Start, Interim-Update every 10 s, Stop), the daemon (SAN build), a UDP
echo server behind it, and the LAC simulator run two ways at once:

  * a steady population: 200 sessions held for the whole soak, each
    sending UDP to the echo server (200 datagrams a second in all);
  * churn: one lacsim run after another, each bringing 300 sessions
    up through RADIUS (10 tunnels), sending 2,000 datagrams a second
    for 4 s, and tearing them down (LCP Terminate, CDN, StopCCN).

Every 10 s the daemon's resident set size (VmRSS) is sampled.  The soak
fails when:
  * RSS grows by more than the bound: the mean of the last quarter of
    the samples may exceed the mean of the third minute's (after
    warm-up: every session and RADIUS request slot used once, the
    sanitizer's caches filled) by at most max(16 MiB, 10%).  The
    daemon runs with max_sessions 2000 so that its tables are all
    touched within the warm-up, and ASan's quarantine is set to 4 MiB
    (ASAN_OPTIONS) so that freed memory held there does not look like
    growth;
  * a sanitizer reports anything (ASan, LeakSanitizer at exit, UBSan):
    reports go to files under the work directory, and the daemon's
    stderr is checked too;
  * any churn run fails (a session not up, an error, an unexpected
    down), or a steady session goes down before the end.

Usage: bench/soak.py [--minutes N] [--workdir DIR] [--csv FILE]
Prints one line per sample and a summary; exit status 0 when it passed.
Needs root (namespaces, the TUN device), freeradius, a SAN build.
"""
import argparse
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "test" / "system"))

from conftest import Daemon, NetnsFactory, UdpEcho  # noqa: E402
from faultkit import ANY_USER, LACSIM, SERVER, Lacsim, rss_kb   # noqa: E402
from test_radius import FreeRadius, radius_cfg      # noqa: E402

SAMPLE_S = 10
BOUND_MIB, BOUND_FRAC = 16, 0.10
SAN_PATTERNS = re.compile(r"ERROR: AddressSanitizer|ERROR: LeakSanitizer|"
                          r"runtime error:|SUMMARY: \w+Sanitizer")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=30)
    ap.add_argument("--workdir", type=Path)
    ap.add_argument("--csv", type=Path)
    args = ap.parse_args()

    binary = REPO / "l2tpns"
    if b"__asan_init" not in binary.read_bytes():
        sys.exit(f"{binary} is not built with AddressSanitizer: run "
                 "`make clean && make SAN=1 all` first")
    if not LACSIM.exists():
        sys.exit(f"{LACSIM} is missing: run make")
    work = args.workdir or Path(tempfile.mkdtemp(prefix="l2tpns-soak-"))
    work.mkdir(parents=True, exist_ok=True)
    san_dir = work / "sanitizer"
    shutil.rmtree(san_dir, ignore_errors=True)
    san_dir.mkdir()
    # Inherited by the daemon (and lacsim, when it is a SAN build too).
    os.environ["ASAN_OPTIONS"] = (f"log_path={san_dir}/asan:"
                                  "quarantine_size_mb=4:detect_leaks=1:"
                                  "abort_on_error=0")
    os.environ["UBSAN_OPTIONS"] = (f"log_path={san_dir}/ubsan:"
                                   "print_stacktrace=1")

    nsf = NetnsFactory(set())
    ns = nsf()
    rad = FreeRadius(ns, work / "radius", users=ANY_USER)
    d = None
    failures = []
    samples = []            # (t seconds, rss kB, sessions up in lacsim)
    cycles = ok_cycles = 0
    echo = steady = None
    try:
        rad.start()
        # Slots are handed out first-in first-out (an id is reused as
        # late as possible), so RSS grows until every slot has been used
        # once: small tables make that happen during the warm-up, and
        # what grows afterwards is a leak.
        cfg = radius_cfg(debug=1, radius_timeout=2, radius_interim=10,
                         echo_timeout=5, idle_echo_timeout=30,
                         max_sessions=2000, max_tunnels=200)
        d = Daemon(binary, ns, work / "l2tpns", "l2tpns", cfg, [],
                   "admin:admin\n", "10.64.0.0/21\n")
        d.start(timeout=20)
        ns.run(["ip", "addr", "add", f"{SERVER}/32", "dev", "lo"])
        echo = UdpEcho(ns, SERVER, 7)
        total = args.minutes * 60
        t0 = time.monotonic()
        steady = Lacsim(ns, "--ppp", "--tunnels", 4, "--sessions", 50,
                        "--user", "steady%d", "--traffic-dst", SERVER,
                        "--dport", 7, "--pps", 200,
                        "--duration", int(total) + 120,
                        "--hold", int(total) + 120, "--timeout", 60)
        steady.wait("setup", 1, 90)
        next_sample = time.monotonic()
        churn = None
        while True:
            now = time.monotonic()
            if churn is not None and churn.p.poll() is not None:
                rc, done = churn.finish(10)
                cycles += 1
                if rc == 0 and done["ppp_up"] == 300:
                    ok_cycles += 1
                else:
                    failures.append(f"churn cycle {cycles}: rc {rc} "
                                    f"{json.dumps(done)[:400]}")
                churn = None
            if churn is None and now - t0 < total:
                churn = Lacsim(ns, "--ppp", "--tunnels", 10, "--sessions",
                               30, "--user", f"c{cycles % 7}u%d",
                               "--traffic-dst", SERVER, "--dport", 7,
                               "--pps", 2000, "--duration", 4,
                               "--hold", 5, "--timeout", 60)
            if now >= next_sample:
                rss = rss_kb(d.pid)
                samples.append((round(now - t0, 1), rss, cycles))
                print(f"t={now - t0:7.1f}s rss={rss} kB cycles={cycles} "
                      f"echoed={echo.count}", flush=True)
                next_sample += SAMPLE_S
            if churn is None and now - t0 >= total:
                break
            if not d.running():
                failures.append("the daemon exited during the soak")
                break
            time.sleep(0.2)
        if steady.events("ppp_down") or steady.p.poll() is not None:
            failures.append("a steady session went down: "
                            f"{steady.events('ppp_down')[:3]}")
        rc, done = steady.stop(120)
        if rc != 0:
            failures.append(f"steady lacsim: rc {rc} {json.dumps(done)[:400]}")
    finally:
        if steady is not None:
            steady.kill()
        if echo is not None:
            echo.close()
        if d is not None:
            # TERM: the daemon exits and LeakSanitizer runs at exit
            d.stop(timeout=30)
            d._close_files()
        rad.stop()
        nsf.cleanup()

    # RSS bound: the baseline is the third minute, once every session
    # slot (2,000, about 2,000 sessions a minute) and every RADIUS
    # request slot (16,384, about 6,000 requests a minute) has been used.
    if len(samples) >= 24:
        warm = [r for t, r, c in samples if 120 <= t < 180]
        base = statistics.mean(warm)
        tail = statistics.mean(r for _, r, _ in
                               samples[-max(2, len(samples) // 4):])
        bound = max(BOUND_MIB * 1024, BOUND_FRAC * base)
        growth = tail - base
        print(f"RSS after warm-up {base / 1024:.1f} MiB, at the end "
              f"{tail / 1024:.1f} MiB: growth {growth / 1024:+.1f} MiB "
              f"(bound {bound / 1024:.1f} MiB)")
        if growth > bound:
            failures.append(f"RSS grew by {growth / 1024:.1f} MiB, more "
                            f"than {bound / 1024:.1f} MiB")
    else:
        failures.append("too few samples for the RSS bound (run at least "
                        "4 minutes)")
    reports = []
    for f in sorted(san_dir.iterdir()):
        text = f.read_text(errors="replace")
        if SAN_PATTERNS.search(text):
            reports.append(f"{f}:\n{text[:3000]}")
    stderr = d.stderr() if d is not None else ""
    if SAN_PATTERNS.search(stderr):
        reports.append(f"daemon stderr:\n{stderr[-3000:]}")
    failures += [f"sanitizer report: {r}" for r in reports]
    if args.csv:
        args.csv.write_text("t_s,rss_kb,cycles\n" + "".join(
            f"{t},{r},{c}\n" for t, r, c in samples))
    print(f"{cycles} churn cycles ({ok_cycles} ok, {cycles * 300} sessions "
          f"up and down), {len(samples)} RSS samples, work directory {work}")
    if failures:
        print("SOAK FAILED:\n  " + "\n  ".join(failures))
        return 1
    print("SOAK PASSED")
    return 0


if __name__ == "__main__":
    sys.exit(main())
