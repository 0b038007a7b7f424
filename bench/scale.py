#!/usr/bin/python3
"""Per-packet cost and memory from 1 to 1,000,000 sessions
(`make bench-scale`, part of `make bench`; issue 22: "per-packet cost
within 5% from 1 to 1,000,000 sessions (plot it); resident memory at most
2 KiB per session at 1,000,000 (plot it, with the original's up to its
limit)").

bench.py's namespaces, pinning and counters.  One l2tpns of ours with
`max_sessions` 1,002,000 and a /12 pool; lacsims raise the sessions it
holds step by step (1, 1,000, 10,000, 100,000, 1,000,000), each one
holding what it brought up, so the daemon is never restarted.  At each
step, with every session up:

  upstream    64-octet UDP packets as fast as lacsim sends them, from the
              sessions of the second step's lacsim (999 sessions; the
              first step's one session at the first step);
  downstream  64-octet UDP packets from udpblast to every session's
              address in turn (1,000,000 destinations at the last step:
              the lookups walk the whole table, not a warm corner of it);
  memory      VmRSS, and what a session costs above the idle daemon.

The original (Debian's l2tpns, FreeRADIUS, its compiled-in limit of
59,999 sessions) is measured the same way at 1, 1,000, 10,000 and
59,999, restarted at each step (it has no max_sessions to raise).

Each figure is the median of --reps runs of --window seconds; the cost
is the LNS's CPU time (every thread, schedstat) per packet delivered.
The section "Scale: 1 to 1,000,000 sessions" of Docs/performance.md and
Docs/perf-scale.png are rewritten (bench.py keeps them).

Usage: bench/scale.py [--quick] [--reps N] [--no-original]
"""

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench as B  # noqa: E402
import report as R  # noqa: E402

SECTION = "## Scale: 1 to 1,000,000 sessions"
STEPS = [1, 1000, 10000, 100000, 1000000]
ORIG_STEPS = [1, 1000, 10000, B.ORIG_MAX_SESSIONS]
PER_TUNNEL = 10000
PAUSE = 0               # --pause: seconds to hold the last step (debugging)


class Ctx:
    """What bench.py's Bench methods used here read."""
    bring_up = B.Bench.bring_up
    fwd_run = B.Bench.fwd_run
    note = B.Bench.note
    fetch_original = B.Bench.fetch_original
    sample = B.Bench.sample

    def __init__(self, net, work, window, warmup):
        self.net, self.work = net, work
        self.window, self.warmup = window, warmup
        self.max_pending = 256
        self.pps = None
        self.res = {"fwd": [], "largest": {}, "bring_up": [], "notes": []}


def dsts_file(ctx, tag, lacs):
    """Every session's address, from every lacsim holding some."""
    f = ctx.work / f"{tag}.dsts"
    with open(f, "w") as out:
        for lac in lacs:
            for e in lac.sessions():
                out.write(e["ip"] + "\n")
    return f


def idle_cpu(lns, secs):
    """The share of a core the LNS takes with no traffic: keepalives
    (an LCP echo a session every echo_timeout) and timers."""
    a, t = B.cpu_ns(lns.pid), time.monotonic()
    time.sleep(secs)
    return (B.cpu_ns(lns.pid) - a) / ((time.monotonic() - t) * 1e9)


def measure(ctx, lns, upper, lacs, n, reps, row):
    """reps runs of each workload at this step; their medians go into
    row.  up: from upper's sessions; down: to upper's sessions (the same
    few, a warm corner of the tables); down_all: to every session in
    turn.  Cost: CPU per packet, and net of the idle load measured just
    before (what forwarding itself costs)."""
    hot = dsts_file(ctx, f"{lns.name}-{n}-hot", [upper])
    every = dsts_file(ctx, f"{lns.name}-{n}-all", lacs)
    row["idle_cpu"] = idle_cpu(lns, ctx.window)
    ctx.net.drop(True)
    runs = {"up": [], "down": [], "down_all": []}
    for _ in range(reps):
        for w, d, dsts in (("up", "up", hot), ("down", "down", hot),
                           ("down_all", "down", every)):
            runs[w].append(ctx.fwd_run(lns, upper, n, d, 64, 0, dsts,
                                       pps=ctx.pps))
    ctx.net.drop(False)
    for w, rs in runs.items():
        row[f"{w}_ns"] = R.stats([r["ns_per_pkt"] for r in rs])
        row[f"{w}_net_ns"] = R.stats(
            [(r["lns_cpu"] - row["idle_cpu"]) * 1e9 / r["pps"]
             for r in rs if r["pps"]])
        row[f"{w}_kpps"] = R.stats([r["pps"] / 1e3 for r in rs])
        row[f"{w}_loss"] = R.stats([r["loss"] for r in rs])


def run_ours(ctx, steps, reps):
    side = B.SIDES["a"]
    ours = B.Ours(ctx.net, ctx.work, side)
    # One lacsim per step, each with user names of its own.
    plan, have = [], 0
    for i, target in enumerate(steps):
        tunnels, per = B.split(target - have, PER_TUNNEL)
        plan.append((f"s{i}u%d", tunnels, per))
        have += tunnels * per
    ours.start(max_sessions=have + 2000, pool=B.BIG_POOL, tag="scale",
               more_users=[(fmt, t * p) for fmt, t, p in plan])
    idle = ours.idle_rss
    rows, lacs = [], []
    for i, (fmt, tunnels, per) in enumerate(plan):
        t0 = time.monotonic()
        lac = B.Lacsim(ctx.net, ctx.work, f"scale-{i}", side, tunnels, per,
                       hold=1e7, max_pending=ctx.max_pending, timeout=1800,
                       user=fmt)
        lac.wait_event("setup", 1900)
        lacs.append(lac)
        n = sum(len(lc.sessions()) for lc in lacs)
        secs = time.monotonic() - t0
        time.sleep(1.0)
        rss = B.rss_kb(ours.pid)
        row = {"lns": "ours", "target": steps[i], "n": n, "rss_kb": rss,
               "idle_kb": idle, "setup_s": secs,
               "per_session": (rss - idle) * 1024 / n if n else None}
        B.log(f"  ours: {n:,} sessions up ({secs:.0f} s for this step), "
              f"RSS {rss / 1024:.0f} MB, "
              f"{row['per_session']:.0f} octets a session above idle")
        # Upstream from the second lacsim once there is one (999
        # sessions), so that the senders stay the same from then on.
        measure(ctx, ours, lacs[min(i, 1)], lacs, n, reps, row)
        rows.append(row)
    if PAUSE:
        B.log(f"  pausing {PAUSE} s: ours is pid {ours.pid} in {side.ns}")
        time.sleep(PAUSE)
    for lac in lacs:
        lac.stop()
    ours.stop()
    return rows


def run_original(ctx, steps, reps):
    root = ctx.fetch_original()
    orig = B.Original(ctx.net, ctx.work, B.SIDES["b"], root)
    rows = []
    for n in steps:
        lac, sessions, _ = ctx.bring_up(orig, n, f"scale-orig-{n}")
        time.sleep(1.0)
        rss = B.rss_kb(orig.pid)
        up = len(sessions)
        row = {"lns": "original", "target": n, "n": up, "rss_kb": rss,
               "idle_kb": orig.idle_rss,
               "per_session": ((rss - orig.idle_rss) * 1024 / up
                               if up else None)}
        B.log(f"  original: {up:,} sessions up, RSS {rss / 1024:.0f} MB")
        measure(ctx, orig, lac, [lac], up, reps, row)
        rows.append(row)
        lac.stop()
        orig.stop()
    return rows


def cell(s, digits=0):
    return R.fmt(s, 1.0, digits) if s else "n/a"


WORKLOADS = (("up", "upstream"), ("down", "downstream, the same sessions"),
             ("down_all", "downstream, every session"))


def render(ours, orig, meta):
    rate = (f"{meta['pps']:,}" if meta.get("pps") else
            "as many as the generators send")
    out = [SECTION, "",
           f"*Written by `make bench-scale` (bench/scale.py) on "
           f"{meta['date']}, commit {meta['commit']}, {meta['reps']} runs "
           f"of {meta['window']} s a figure; {meta['note']}*", "",
           "One daemon of ours holds more and more sessions (lacsims "
           "bring them up step by step and keep them up).  At each step, "
           f"64-octet packets ({rate} a second) go upstream from one "
           "lacsim's sessions (999 "
           "of them; the one session at the first step), downstream to "
           "those same sessions, and downstream to every session's "
           "address in turn (a million destinations at the last step: "
           "the lookups then touch the whole table, and what they cost "
           "is mostly cache and TLB misses, not work that grows with the "
           "count).  *Idle*: the share of a core the daemon takes with "
           "no traffic (an LCP echo a session every `echo_timeout`, and "
           "the timers).  *Cost*: the LNS's CPU time per packet "
           "delivered, less that idle load, median (min–max); *vs 1*: "
           "against the first step.  *A session*: VmRSS above the idle "
           "daemon, divided by the sessions up (the idle daemon includes "
           "the local subscriber list).  The original is restarted at "
           "each of its steps, up to its compiled-in limit, with "
           "FreeRADIUS.", "",
           "| LNS | sessions up | idle | " +
           " | ".join(f"{name} ns/packet | vs 1" for _, name in WORKLOADS)
           + " | VmRSS | a session |",
           "|---|---:|---:|" + "---:|---:|" * len(WORKLOADS) + "---:|---:|"]
    for rows in (ours, orig):
        for r in rows:
            cells = []
            for w, _ in WORKLOADS:
                s = r.get(f"{w}_net_ns")
                b = (rows[0].get(f"{w}_net_ns") or {}).get("med")
                cells += [cell(s), f"{s['med'] / b:.2f}" if s and b
                          else "n/a"]
            per = r["per_session"]
            out.append(
                f"| {r['lns']} | {r['n']:,} | {r['idle_cpu'] * 100:.1f} % | "
                + " | ".join(cells) +
                f" | {r['rss_kb'] / 1024:,.0f} MB | "
                f"{'n/a' if per is None else f'{per:,.0f} octets'} |")
    out += ["", "![cost and memory against sessions](perf-scale.png)", ""]
    return "\n".join(out) + "\n"


def plot(ours, orig, out, work):
    def dat(rows, name):
        f = work / f"scale-{name}.dat"
        with open(f, "w") as fh:
            for r in rows:
                cols = [str(r["n"])]
                for w, _ in WORKLOADS:
                    s = r.get(f"{w}_net_ns")
                    cols.append(f"{s['med']:.1f}" if s else "NaN")
                cols.append(f"{r['rss_kb'] / 1024:.1f}")
                fh.write(" ".join(cols) + "\n")
        return f
    styles = ("pt 7 lw 2", "pt 5 lw 2 dt 2", "pt 9 lw 2 dt 3")
    series, mem = [], []
    for rows, name, color, works, mtitle in (
            (ours, "ours", "#1f77b4", WORKLOADS, "ours"),
            (orig, "original", "#d62728", WORKLOADS[:2],
             "original (to its limit)")):
        if not rows:
            continue
        f = dat(rows, name)
        series += [f"'{f}' using 1:{2 + i} with linespoints lc rgb "
                   f"'{color}' {styles[i]} title '{name}, {wname}'"
                   for i, (_, wname) in enumerate(works)]
        mem.append(f"'{f}' using 1:5 with linespoints lc rgb '{color}' "
                   f"pt 7 lw 2 title '{mtitle}'")
    xs = sorted({r["n"] for r in ours + orig if r["n"]})
    script = f"""
set terminal pngcairo size 800,900 font 'DejaVu Sans,10'
set output '{out / 'perf-scale.png'}'
set multiplot layout 2,1
set logscale x
set xrange [{max(xs[0], 1) / 1.6}:{xs[-1] * 1.6}]
set xlabel 'sessions up'
set grid
set key top left
set title 'LNS CPU time per 64-octet packet (less the idle load) against sessions up'
set ylabel 'ns per packet'
set yrange [0:*]
plot {', '.join(series)}
set title 'Resident memory (VmRSS) against sessions up'
set ylabel 'MB'
set logscale y
set yrange [*:*]
set key bottom right
plot {', '.join(mem)}
unset multiplot
"""
    R.gnuplot(script, work)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="1 to 3,000 sessions, one run of 1 s; the report "
                    "stays in the work directory")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--window", type=float, default=2.5)
    ap.add_argument("--pps", type=int, default=50000,
                    help="offered packets a second in each run (50,000): "
                    "below what the LNS can carry, so that its CPU time "
                    "per packet is not that of an overloaded loop; 0 for "
                    "as fast as the generators go")
    ap.add_argument("--no-original", action="store_true")
    ap.add_argument("--no-ours", action="store_true")
    ap.add_argument("--report-only", nargs="+", metavar="SCALE_JSON",
                    help="write the report from earlier runs' scale.json "
                    "(ours from the first that has it, the original too)")
    ap.add_argument("--out", default=str(B.ROOT / "Docs"),
                    help="where performance.md and perf-scale.png go")
    ap.add_argument("--steps", help="comma list of session counts for ours "
                    "(1,1000,10000,100000,1000000)")
    ap.add_argument("--pause", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--note", default="one run",
                    help="a word on the conditions, for the report")
    args = ap.parse_args()
    steps, orig_steps = STEPS, ORIG_STEPS
    if args.quick:
        steps, orig_steps = [1, 100, 1000, 3000], [1, 100, 1000]
        args.reps, args.window = 1, 1.0
    if args.steps:
        steps = [int(x) for x in args.steps.split(",")]
    if args.no_original:
        orig_steps = []
    global PAUSE
    PAUSE = args.pause
    if args.report_only:
        runs = [json.loads(Path(f).read_text()) for f in args.report_only]
        ours = next((r["ours"] for r in runs if r["ours"]), [])
        orig = next((r["original"] for r in runs if r["original"]), [])
        meta = runs[0]["meta"]
        work = Path(tempfile.mkdtemp(prefix="l2tpns-scale-", dir="/var/tmp"))
        report(ours, orig, meta, Path(args.out), work)
        return
    work, net = B.side_bench("scale")
    ctx = Ctx(net, work, args.window, 0.5 if not args.quick else 0.3)
    ctx.pps = args.pps or None
    meta = B.run_meta(args.note, reps=args.reps, window=args.window,
                      pps=args.pps)
    ours, orig = [], []

    def save():
        (work / "scale.json").write_text(json.dumps(
            {"meta": meta, "ours": ours, "original": orig}, indent=1))
    if not args.no_ours:
        ours = run_ours(ctx, steps, args.reps)
        save()
    if orig_steps:
        radius = B.Radius(net, work, max(orig_steps) + 300)
        radius.start()
        orig = run_original(ctx, orig_steps, args.reps)
        save()
    B.log(f"results in {work}/scale.json")
    report(ours, orig, meta, work if args.quick else Path(args.out), work,
           write=not args.quick)


def report(ours, orig, meta, out, work, write=True):
    text = render(ours, orig, meta)
    print(text)
    plot(ours, orig, out, work)
    if write:
        B.write_section(out / "performance.md", SECTION, text)


if __name__ == "__main__":
    main()
