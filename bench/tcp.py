#!/usr/bin/python3
"""Bulk TCP through one session, ours against the original
(`make bench-tcp`, part of `make bench`; issue 22: "Bulk TCP through one
session (kernel TCP at both ends, e.g. the LAC simulator's TUN mode and a
server namespace): at least 3x the original's Mbit/s each way").

bench.py's namespaces and pinning.  For each LNS in turn (ours with a
local subscriber, the original through FreeRADIUS), lacsim brings one
PPP session up in TUN mode (`--tun`: a kernel device in the LAC
namespace with the session's address, and a source rule into it), and
iperf3 (Debian's) runs between that address and an iperf3 server in
the server namespace: one TCP stream for --seconds, upstream (the
subscriber sends) and downstream (-R), --reps times each, ours and the
original alternating so that the machine's other load falls on both.
The kernel's TCP is at both ends; the L2TP tunnel's far end is lacsim,
in user space, on the generators' CPU.

Reported per direction: Mbit/s as iperf3's receiver counted it, and the
LNS's CPU time per megabyte carried (schedstat, every thread).  The
section "Bulk TCP through one session" of Docs/performance.md is
rewritten (bench.py keeps it).

Usage: bench/tcp.py [--quick] [--reps N] [--seconds S]
"""

import argparse
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench as B  # noqa: E402
import report as R  # noqa: E402

SECTION = "## Bulk TCP through one session"
IPERF_PORT = 5201


class Ctx:
    fetch_original = B.Bench.fetch_original

    def __init__(self, work):
        self.work = work
        self.res = {}


class Link:
    """One LNS holding one session in TUN mode, and an iperf3 server."""

    def __init__(self, net, work, lns):
        self.net, self.work, self.lns = net, work, lns
        side = lns.side
        tag = f"tcp-{lns.name}"
        self.out = work / f"lacsim-{tag}.jsonl"
        self.lac = B.PROCS.start(
            net.ns(net.lac, *B.PROCS.pin(B.GEN_CPU), B.LACSIM, "--lns",
                   side.lns_addr, "--tunnels", 1, "--sessions", 1, "--ppp",
                   "--auth", "pap", "--user", "bench%d", "--password",
                   B.PASSWORD, "--tun", f"tcp{side.key}%d", "--tun-table",
                   2000 + 100 * ord(side.key), "--hold", 10000000,
                   "--timeout", 60, "--hello", 0, "--json"),
            stdin=subprocess.DEVNULL, stdout=open(self.out, "w"),
            stderr=subprocess.STDOUT)
        self.addr = B.wait_until(self.tun_up, 60, f"{tag}: the session's "
                                 "device", 0.1)
        self.server = B.PROCS.start(
            net.ns(net.srv, *B.PROCS.pin(B.GEN_CPU), "iperf3", "-s", "-B",
                   side.srv_addr, "-p", IPERF_PORT),
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        time.sleep(0.5)

    def tun_up(self):
        if self.lac.poll() is not None:
            raise RuntimeError("lacsim exited: " + self.out.read_text())
        for line in self.out.read_text().splitlines():
            try:
                e = json.loads(line)
            except ValueError:
                continue
            if e.get("event") == "tun_up":
                return e["address"]
        return None

    def run(self, direction, secs):
        side = self.lns.side
        cmd = ["iperf3", "-c", side.srv_addr, "-B", self.addr, "-p",
               IPERF_PORT, "-t", secs, "-J"]
        if direction == "down":
            cmd.append("-R")
        a = B.cpu_ns(self.lns.pid)
        out = B.sh(self.net.ns(self.net.lac, *B.PROCS.pin(B.GEN_CPU), *cmd),
                   check=False)
        cpu = (B.cpu_ns(self.lns.pid) - a) / 1e9
        try:
            end = json.loads(out)["end"]
            got = end["sum_received"]
            sent = end["sum_sent"]
        except (ValueError, KeyError) as e:
            raise RuntimeError(f"iperf3 {direction}: {e}: {out[-2000:]}")
        mb = got["bytes"] / 1e6
        r = {"lns": self.lns.name, "dir": direction,
             "mbps": got["bits_per_second"] / 1e6,
             "retransmits": sent.get("retransmits"),
             "lns_cpu_s": cpu,
             "lns_busy": cpu / secs,
             "cpu_ms_per_mb": cpu * 1000 / mb if mb else None}
        B.log(f"  {self.lns.name:8} {direction:4}: {r['mbps']:7.1f} Mbit/s, "
              f"LNS {cpu:.2f} s CPU ({r['cpu_ms_per_mb'] or 0:.3f} ms/MB), "
              f"{r['retransmits']} retransmits")
        return r

    def close(self):
        B.PROCS.stop(self.server)
        B.PROCS.stop(self.lac, signal.SIGTERM, 30)
        self.lns.stop()


def render(rows, meta):
    by = {}
    for r in rows:
        by.setdefault((r["lns"], r["dir"]), []).append(r)
    out = [SECTION, "",
           f"*Written by `make bench-tcp` (bench/tcp.py) on {meta['date']}, "
           f"commit {meta['commit']}, {meta['reps']} runs of "
           f"{meta['seconds']} s each way and LNS, alternating; "
           f"{meta['note']}*", "",
           "One PPP session, brought up by lacsim in TUN mode (a kernel "
           "device in the LAC namespace), one iperf3 TCP stream between "
           "its address and a server behind the LNS: kernel TCP at both "
           "ends, lacsim's user-space L2TP at the far end of the tunnel "
           "(on the generators' CPU, so it can bound both LNSs alike).  "
           "*Rate*: what iperf3's receiver counted, median (min–max); "
           "*CPU*: the LNS's CPU time per megabyte carried; *busy*: the "
           "LNS's CPU time over the run's length (below 100 %, the LNS "
           "was not what bounded the rate: lacsim or the TCP window "
           "was).", "",
           "| way | ours: Mbit/s | original: Mbit/s | ours / original | "
           "ours: CPU ms/MB | original: CPU ms/MB | ours / original | "
           "ours busy | original busy |",
           "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for d, name in (("up", "upstream (subscriber sends)"),
                    ("down", "downstream (subscriber receives)")):
        o = by.get(("ours", d), [])
        g = by.get(("original", d), [])
        om, gm = (R.stats([r["mbps"] for r in o]),
                  R.stats([r["mbps"] for r in g]))
        oc, gc = (R.stats([r["cpu_ms_per_mb"] for r in o]),
                  R.stats([r["cpu_ms_per_mb"] for r in g]))
        rate = R.ratio(om, gm)
        cost = R.ratio(oc, gc)
        out.append(f"| {name} | {R.fmt(om, 1, 0)} | {R.fmt(gm, 1, 0)} | "
                   f"{'n/a' if rate is None else f'{rate:.2f}'} | "
                   f"{R.fmt(oc, 1, 3)} | {R.fmt(gc, 1, 3)} | "
                   f"{'n/a' if cost is None else f'{cost:.2f}'} | "
                   f"{R.fmt(R.stats([r['lns_busy'] for r in o]), 100)} % | "
                   f"{R.fmt(R.stats([r['lns_busy'] for r in g]), 100)} % |")
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="one run of 3 s each; the report is not written")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--note", default="one run",
                    help="a word on the conditions, for the report")
    args = ap.parse_args()
    if args.quick:
        args.reps, args.seconds = 1, 3
    work, net = B.side_bench("tcp")
    ctx = Ctx(work)
    root = ctx.fetch_original()
    radius = B.Radius(net, work, 10)
    radius.start()
    ours = B.Ours(net, work, B.SIDES["a"])
    ours.start(tag="tcp", nusers=1)
    orig = B.Original(net, work, B.SIDES["b"], root)
    orig.start(tag="tcp")
    links = [Link(net, work, ours), Link(net, work, orig)]
    rows = []
    try:
        for _ in range(args.reps):
            for d in ("up", "down"):
                for link in links:
                    rows.append(link.run(d, args.seconds))
    finally:
        for link in links:
            link.close()
    meta = B.run_meta(args.note, reps=args.reps, seconds=args.seconds)
    B.side_report(work, "tcp", {"meta": meta, "rows": rows}, SECTION,
                  render(rows, meta), args.quick)


if __name__ == "__main__":
    main()
