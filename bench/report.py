"""report.py - Docs/performance.md and the plots, from bench.py's results.

write(res, out, work): res is the results dict (results.json), out the
directory for performance.md and perf-*.png, work a scratch directory
for gnuplot's data files.  The text around the tables is fixed here; the
analysis of where and why we are slower comes from bench/notes.md,
copied in verbatim, after a list of the figures where we are slower,
which is computed.
"""

import re
import statistics
import subprocess
from pathlib import Path

NOTES = Path(__file__).resolve().parent / "notes.md"
NAMES = {"ours": "ours", "original": "original", "ceiling": "ceiling"}


def stats(vals):
    vals = [v for v in vals if v is not None]
    if not vals:
        return None
    return {"med": statistics.median(vals), "min": min(vals),
            "max": max(vals), "n": len(vals)}


def fmt(s, scale=1.0, digits=0):
    """median (min-max), or n/a."""
    if s is None:
        return "n/a"
    f = f"{{:,.{digits}f}}"
    med = f.format(s["med"] * scale)
    if s["n"] == 1 or s["min"] == s["max"]:
        return med
    return (f"{med} ({f.format(s['min'] * scale)}–"
            f"{f.format(s['max'] * scale)})")


def ratio(a, b, invert=False):
    if a is None or b is None or not b["med"] or not a["med"]:
        return None
    return b["med"] / a["med"] if invert else a["med"] / b["med"]


def fmt_ratio(r):
    return "n/a" if r is None else f"{r:.2f}"


def group(rows, keys, fields):
    out = {}
    for r in rows:
        k = tuple(r[x] for x in keys)
        out.setdefault(k, []).append(r)
    return {k: {f: stats([r.get(f) for r in v]) for f in fields} |
            {"rows": v} for k, v in out.items()}


def counts(res, rows_key, field="n"):
    return sorted({r[field] for r in res[rows_key]})


# ---------------------------------------------------------------------
# plots (gnuplot, pngcairo)

def gnuplot(script, work):
    subprocess.run(["gnuplot"], input=script, text=True, check=True,
                   cwd=work)


def write_dat(path, xs, series):
    """series: list of dicts x -> stats; columns x, then med min max each."""
    with open(path, "w") as f:
        for x in xs:
            cols = [str(x)]
            for s in series:
                v = s.get(x)
                cols += ([f"{v['med']:.3f}", f"{v['min']:.3f}",
                          f"{v['max']:.3f}"] if v else ["NaN"] * 3)
            f.write(" ".join(cols) + "\n")


STYLE = {("ours", 64): "lc rgb '#1f77b4' pt 7 lw 2",
         ("ours", 1400): "lc rgb '#1f77b4' pt 5 lw 2 dt 2",
         ("original", 64): "lc rgb '#d62728' pt 7 lw 2",
         ("original", 1400): "lc rgb '#d62728' pt 5 lw 2 dt 2",
         ("ceiling", 64): "lc rgb '#7f7f7f' pt 6 lw 1",
         ("ceiling", 1400): "lc rgb '#7f7f7f' pt 4 lw 1 dt 2"}


def plot_fwd(fwd, ns, out, work, field, ylabel, fname, title):
    lines = []
    for d, dname in (("up", "upstream (LAC to server)"),
                     ("down", "downstream (server to LAC)")):
        series, titles = [], []
        for lns in ("ours", "original", "ceiling"):
            for size in (64, 1400):
                series.append({n: fwd[(lns, n, d, size)][field]
                               for n in ns if (lns, n, d, size) in fwd})
                titles.append((lns, size))
        dat = work / f"{fname}-{d}.dat"
        write_dat(dat, ns, series)
        plots = []
        for i, (lns, size) in enumerate(titles):
            c = 2 + 3 * i
            plots.append(f"'{dat}' using 1:{c}:{c + 1}:{c + 2} with "
                         f"yerrorlines {STYLE[(lns, size)]} title "
                         f"'{NAMES[lns]}, {size} B'")
        lines.append(f"set title '{dname}'\nplot " + ", ".join(plots))
    script = f"""
set terminal pngcairo size 1100,460 font 'DejaVu Sans,10'
set output '{out / fname}.png'
set multiplot layout 1,2 title '{title}'
""" + log_axes(ns, ylabel, "bottom left") + "\n".join(lines) + \
        "\nunset multiplot\n"
    gnuplot(script, work)


def log_axes(ns, ylabel, key):
    """gnuplot's axes for session counts ns on a log scale, y from 0."""
    return f"""set logscale x
set xrange [{ns[0] / 1.6}:{ns[-1] * 1.6}]
set xlabel 'sessions up'
set ylabel '{ylabel}'
set xtics ({', '.join(f'"{n:,}" {n}' for n in ns)})
set yrange [0:*]
set key {key}
set grid
"""


def plot_mem(mem, largest, out, work):
    ns = sorted({k[1] for k in mem})
    series = [{n: mem[(lns, n)]["rss_mb"] for n in ns if (lns, n) in mem}
              for lns in ("ours", "original")]
    dat = work / "perf-memory.dat"
    write_dat(dat, ns, series)
    extra = ""
    big = largest.get("ours")
    steps = largest.get("steps") or ([big] if big else [])
    if steps:
        bdat = work / "perf-memory-largest.dat"
        bdat.write_text("".join(f"{b['n']} {b['rss_kb'] / 1024:.1f}\n"
                                for b in steps))
        extra = (f", '{bdat}' using 1:2 with linespoints lc rgb '#1f77b4' "
                 f"pt 9 ps 1.5 dt 3 title 'ours, max\\_sessions raised "
                 f"(largest count held: {big['n']:,})'")
    xs = sorted(set(ns + [b["n"] for b in steps]))
    script = f"""
set terminal pngcairo size 800,480 font 'DejaVu Sans,10'
set output '{out / 'perf-memory.png'}'
set title 'Resident memory of the LNS process (VmRSS) against sessions up'
{log_axes(xs, "MB", "top left")}plot '{dat}' using 1:2 with linespoints {STYLE[('ours', 64)]} title 'ours', \\
     '{dat}' using 1:5 with linespoints {STYLE[('original', 64)]} title 'original (60,000-session table compiled in)'{extra}
"""
    gnuplot(script, work)


# ---------------------------------------------------------------------
# the document

METHOD = """\
## How it was measured

Everything runs on this one machine, in network namespaces the script
creates and deletes: one for the LAC simulator (`test/lacsim/lacsim`),
one for the server behind the LNS (`bench/udpblast`, FreeRADIUS) and one
per LNS.  Ours, the original and the ceiling relay each have their own
namespace, links and address pool, and all three hold their sessions at
the same time, so that each repetition of a forwarding workload runs
ours, the original and the relay back to back: whatever else the
machine is doing then falls on all three alike.

* **Pinning.**  Every LNS (ours, the original, the relay) runs on CPU 1
  and nothing else the benchmark starts does; lacsim, udpblast,
  FreeRADIUS and the script run on CPU 0 (`taskset`), all at nice
  {nice}.  veth runs a receiver's network stack on the sender's CPU, so
  the LNS's own ingress (UDP receive, forwarding into its TUN device)
  is done on CPU 0, and what the LNS sends is counted and dropped at the
  LAC's and the server's ingress on CPU 1 (nftables, `ingress` hook):
  the LNS's CPU carries the daemon, its system calls, its egress, and
  that small counting cost.
* **Setup** (group 1): a fresh LNS per run; lacsim opens tunnels of up
  to 100 sessions, all at once, with at most {max_pending} sessions
  between their ICRQ and IPCP up at any time (`--max-pending`, a closed
  loop: the LNS sets the pace and a slow one is not flooded into
  retransmissions).  The rate is the sessions up divided by the time
  from the first SCCRQ to the last IPCP up; the latencies are per
  session, ICRQ to IPCP up.  "CPU/session" is the LNS's CPU time
  during the run divided by the sessions.  FreeRADIUS (Debian's, the
  `files` module, one entry per user, no debug output) runs in the
  server namespace, so RADIUS goes over a link.
* **Forwarding** (group 2): lacsim sends UDP datagrams of 64 or 1400
  octets (IP packet, inside PPP inside L2TP) round robin over every
  session as fast as it can (upstream); udpblast sends them to every
  session's address as fast as it can (downstream).  Each run lasts
  {dur:.1f} s; the figures come from the middle {window:.1f} s.
  Delivered packets are counted by nftables where they arrive (the
  server's link upstream, the LAC's link downstream, data messages of
  the size being sent only), the offered ones where they leave.  The
  **per-packet cost** is the LNS process's CPU time (all threads,
  `/proc/PID/task/*/schedstat`) divided by the packets it delivered;
  "user" is the part in user space (`utime`, tick resolution).  Before
  the throughput runs each LNS is checked at {check_pps} packets/s with
  the receivers reading: the sink must hear every session upstream and
  lacsim must get every datagram downstream on the right session
  (table at the end).
* **Ceiling** (group 4): `bench/relay` takes an LNS's place with the
  sessions that LNS brought up (an l2tpns of ours, killed): it strips
  or adds a fixed L2TP/PPP header between UDP and TUN and looks the
  session up by address, nothing else.  It moves the same packets
  through the same kernel paths, so its rate is what this kernel and
  these tools allow, and each LNS's figure can be read as a fraction
  of it.
* **Memory** (group 3): VmRSS of the LNS process with the sessions up,
  against its VmRSS when started and idle; per session is the
  difference divided by the sessions.  The largest count: ours with
  `max_sessions` raised, doubling until a step fails or the list ends.
* **The original** is Debian's `l2tpns` {orig_version}, fetched with
  `apt-get download` and unpacked with `dpkg-deb -x` into
  `/var/tmp/l2tpns-bench` (no maintainer scripts, no service), and run
  in a mount namespace of its own whose `/etc/l2tpns` is the run's
  directory (its `ip_pool` path is compiled in).  It is a cluster of
  one: it takes tunnels once it has elected itself master.  It has no
  local authentication, so its setup figures are with FreeRADIUS only,
  and its forwarding runs authenticate through FreeRADIUS too (ours
  uses its local subscriber file there; forwarding does not touch
  authentication).  Both daemons run with `debug 2`, default
  `multi_read_count`, socket buffers and echo settings, the same pool
  size, DNS and `radius_authtypes "pap,chap"`.
* **Repetitions**: each figure is the median of {reps} runs, with the
  minimum and maximum in parentheses.
"""


def where(rows):
    return " ".join(rows)


def render(res, out):
    m = res["machine"]
    p = res["params"]
    L = []
    add = L.append
    add("# Performance")
    add("")
    add("*Generated by `make bench` (bench/bench.py, bench/report.py); "
        "do not edit by hand — edit bench/notes.md for the analysis and "
        "run it again.*")
    add("")
    add(f"* **Date:** {res['date']}; the run took "
        f"{res['elapsed_s'] / 60:.0f} minutes.")
    add(f"* **Commit:** {res['commit']}.")
    add(f"* **Machine:** {m['cpu']}, {m['cores']} CPUs, {m['mem_gb']} GB, "
        f"Linux {m['kernel']}, Debian {m['os']}" +
        (" (a virtual machine)." if m.get("vm", True) else "."))
    la, lb = m["load_start"], m.get("load_end", (0, 0, 0))
    add(f"* **Load:** load average {la[0]:.2f} / {la[1]:.2f} / {la[2]:.2f} "
        f"(1/5/15 min) before the run and {lb[0]:.2f} / {lb[1]:.2f} / "
        f"{lb[2]:.2f} after.  Other work on the machine (other test "
        "suites) shares both CPUs with the benchmark; that is where most "
        "of the spread in the tables comes from, and why the forwarding "
        "runs of ours, the original and the ceiling are interleaved.")
    add(f"* **Original:** Debian's `l2tpns` {res.get('original_version')}.")
    add("")
    add(METHOD.format(nice=p["nice"], max_pending=p["max_pending"],
                      dur=p["warmup_s"] + p["window_s"] + 0.5,
                      window=p["window_s"], reps=p["reps"],
                      check_pps="20,000–60,000",
                      orig_version=res.get("original_version")))

    # ---- spread
    def spread(groups, field):
        vals = [(g[field]["max"] - g[field]["min"]) / g[field]["med"]
                for g in groups.values()
                if g.get(field) and g[field]["n"] > 1 and g[field]["med"]]
        return statistics.median(vals) if vals else None
    fwd_all = group(res["fwd"], ("lns", "n", "dir", "size"),
                    ("pps", "ns_per_pkt"))
    setup_all = group(res["setup"], ("lns", "auth", "proto", "n"),
                      ("rate",))
    sp = [spread(fwd_all, "pps"), spread(fwd_all, "ns_per_pkt"),
          spread(setup_all, "rate")]
    if all(x is not None for x in sp):
        add("**Variance.**  Over the repetitions of each figure, the "
            "spread (maximum minus minimum, over the median) was, as a "
            f"median over all figures, {sp[0] * 100:.0f} % for forwarding "
            f"rates, {sp[1] * 100:.0f} % for per-packet costs and "
            f"{sp[2] * 100:.0f} % for setup rates.  Differences smaller "
            "than that between ours and the original are noise; the "
            "interleaving keeps the ratios steadier than the absolute "
            "figures.")
        add("")

    # ---- group 1
    setup = group(res["setup"], ("lns", "auth", "proto", "n"),
                  ("rate", "p50", "p95", "max", "cpu_us_per_session",
                   "retransmits", "up"))
    add("## 1. Session setup rate")
    add("")
    add("Sessions per second from the first SCCRQ to the last IPCP up "
        "(median, min–max); per-session latency ICRQ to IPCP up, median "
        "of the runs' p50 and p95; the LNS's CPU time per session.")
    add("")
    add("| sessions | auth | | ours: sessions/s | original: sessions/s | "
        "ours / original | ours: p50 / p95 ms | original: p50 / p95 ms | "
        "ours: CPU µs/session | original: CPU µs/session |")
    add("|---:|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for n in counts(res, "setup"):
        for auth in ("local", "radius"):
            for proto in ("pap", "chap"):
                o = setup.get(("ours", auth, proto, n))
                g = setup.get(("original", auth, proto, n))
                if o is None and g is None:
                    continue

                def lat(x):
                    if x is None:
                        return "n/a"
                    return (f"{x['p50']['med']:.0f} / {x['p95']['med']:.0f}"
                            if x["p50"] and x["p95"] else "n/a")
                add(f"| {n:,} | {'local' if auth == 'local' else 'FreeRADIUS'}"
                    f" | {proto.upper()} | {fmt(o and o['rate'])} | "
                    f"{fmt(g and g['rate']) if g else 'n/a (RADIUS only)'} | "
                    f"{fmt_ratio(ratio(o and o['rate'], g and g['rate']))} | "
                    f"{lat(o)} | {lat(g)} | "
                    f"{fmt(o and o['cpu_us_per_session'])} | "
                    f"{fmt(g and g['cpu_us_per_session'])} |")
    busy = {}
    for r in res["setup"]:
        if r.get("lns_busy") is not None:
            busy.setdefault(r["lns"], ([], []))
            busy[r["lns"]][0].append(r["lns_busy"])
            if r.get("lacsim_busy") is not None:
                busy[r["lns"]][1].append(r["lacsim_busy"])
    if busy:
        add("")
        add("How busy each side was during the setup runs (medians: the "
            "LNS's CPU time, and lacsim's, over the setup's duration): " +
            "; ".join(f"{lns}: LNS {statistics.median(b[0]) * 100:.0f} %, "
                      f"lacsim {statistics.median(b[1]) * 100:.0f} %"
                      for lns, b in sorted(busy.items()) if b[1]) +
            ".  An LNS well below 100 % was not limited by its CPU but by "
            "the round trips of the sessions in flight (at most "
            f"{p['max_pending']}: rate = sessions in flight / latency).")
    rtx = [r for r in res["setup"] if r["retransmits"] or r["up"] != r["n"]]
    if rtx:
        add("")
        add("Runs with L2TP retransmissions or sessions that did not come "
            "up:")
        add("")
        for r in rtx:
            add(f"* {r['lns']}, {r['auth']} {r['proto']}, {r['n']:,} "
                f"sessions, run {r['rep'] + 1}: {r['up']:,} up, "
                f"{r['retransmits']} retransmissions, "
                f"{r['unexpected_down']} PPP renegotiations.")
    add("")

    # ---- group 2 and 4
    fwd = group(res["fwd"], ("lns", "n", "dir", "size"),
                ("pps", "mbps", "ns_per_pkt", "user_ns_per_pkt", "loss",
                 "lns_cpu", "offered_pps", "cpu0_busy", "cpu1_busy"))
    ns = counts(res, "fwd")
    add("## 2. Forwarding rate and per-packet cost")
    add("")
    add("Packets per second delivered and Mbit/s of IP packets "
        "(median, min–max); the LNS's CPU time per delivered packet, and "
        "its user-space part; the LNS process's share of CPU 1 and how "
        "busy CPU 1 was in all (medians).  An LNS share well below 100 % "
        "with few packets lost means the LNS kept up with everything "
        "offered and the generator side (CPU 0) set the rate; with many "
        "lost and CPU 1 busy, something else ran on CPU 1.  The "
        "per-packet cost is valid either way.")
    add("")
    for d, dname in (("up", "Upstream (LAC → LNS → server)"),
                     ("down", "Downstream (server → LNS → LAC)")):
        add(f"### {dname}")
        add("")
        add("| sessions | size | LNS | kpps | Mbit/s | ns/packet | user "
            "ns/packet | LNS CPU | CPU 1 busy | offered kpps |")
        add("|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|")
        for n in ns:
            for size in (64, 1400):
                for lns in ("ours", "original", "ceiling"):
                    x = fwd.get((lns, n, d, size))
                    if x is None:
                        continue
                    add(f"| {n:,} | {size} | {NAMES[lns]} | "
                        f"{fmt(x['pps'], 1e-3)} | {fmt(x['mbps'])} | "
                        f"{fmt(x['ns_per_pkt'])} | "
                        f"{fmt(x['user_ns_per_pkt'])} | "
                        f"{x['lns_cpu']['med'] * 100:.0f} % | "
                        f"{x['cpu1_busy']['med'] * 100:.0f} % | "
                        f"{fmt(x['offered_pps'], 1e-3)} |")
        add("")
    add("![per-packet cost](perf-cost.png)")
    add("")
    add("![forwarding rate](perf-rate.png)")
    add("")

    # ---- group 3
    mem = {}
    for r in res["mem"]:
        mem[(r["lns"], r["n"])] = {
            "rss_mb": {"med": r["rss_kb"] / 1024, "min": r["rss_kb"] / 1024,
                       "max": r["rss_kb"] / 1024, "n": 1},
            "raw": r}
    add("## 3. Memory")
    add("")
    add("VmRSS of the LNS process with the sessions up and when idle "
        "(just started); per session is the difference over the count.  "
        "Ours allocates its session table for `max_sessions` (65,535 "
        "here) at start and touches an entry when a session uses it; "
        "the original allocates its fixed 60,000-entry tables at start.")
    add("")
    add("| sessions | ours: RSS MB | ours: idle MB | ours: kB/session | "
        "original: RSS MB | original: idle MB | original: kB/session | "
        "ceiling relay: RSS MB |")
    add("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n in sorted({k[1] for k in mem}):
        cells = []
        for lns in ("ours", "original"):
            x = mem.get((lns, n))
            if not x:
                cells += ["n/a"] * 3
                continue
            r = x["raw"]
            held = r.get("held", r["n"])
            cells += [f"{r['rss_kb'] / 1024:,.1f}" +
                      (f" ({held:,} held)" if held != r["n"] else ""),
                      f"{r['idle_rss_kb'] / 1024:,.1f}",
                      f"{(r['rss_kb'] - r['idle_rss_kb']) / held:,.2f}"]
        c = mem.get(("ceiling", n))
        cells.append(f"{c['raw']['rss_kb'] / 1024:,.1f}" if c else "n/a")
        add(f"| {n:,} | " + " | ".join(cells) + " |")
    add("")
    top = max((k[1] for k in mem), default=None)
    if top and any(mem.get((l, top), {}).get("raw", {}).get("maps")
                   for l in ("ours", "original")):
        add(f"Where the memory is at {top:,} sessions (the mappings "
            "holding the most, from /proc/PID/smaps):")
        add("")
        add("| LNS | resident MB | mapped MB | mapping |")
        add("|---|---:|---:|---|")
        for lns in ("ours", "original"):
            for mp in mem.get((lns, top), {}).get("raw", {}).get("maps",
                                                                 []):
                # MAP_SHARED | MAP_ANONYMOUS shows as /dev/zero.
                what = ("anonymous, shared (mmap)" if mp["what"] ==
                        "/dev/zero" else mp["what"].strip("[]"))
                add(f"| {lns} | {mp['rss_kb'] / 1024:,.1f} | "
                    f"{mp['size_kb'] / 1024:,.1f} | {what} |")
        add("")
    big = res["largest"].get("ours")
    orig = res["largest"].get("original")
    add("**Largest session count one process holds.**")
    add("")
    if big:
        add(f"* Ours: {big['n']:,} sessions up (PPP and IPCP) in "
            f"{big['secs']:.0f} s, VmRSS {big['rss_kb'] / 1024:,.0f} MB "
            f"({big['idle_rss_kb'] / 1024:,.0f} MB idle with "
            f"`max_sessions` {big['n'] + 1000:,}); "
            + ("no larger count was tried (the time the run may take, "
               "not a limit of the design)." if not
               res["largest"].get("failed") else
               f"{res['largest']['failed']['n']:,} failed "
               f"({res['largest']['failed']['up']:,} up)."))
        steps = res["largest"].get("steps") or []
        if len(steps) > 1:
            add("  The steps: " + "; ".join(
                f"{b['n']:,} sessions in {b['secs']:.0f} s, "
                f"{b['rss_kb'] / 1024:,.0f} MB" for b in steps) + ".")
    else:
        add("* Ours: the largest-count steps did not complete; see the "
            "notes below.")
    if orig:
        add(f"* Original: {orig['up']:,} of {orig['n']:,} offered sessions "
            f"came up (in {orig['secs']:.0f} s, for the forwarding runs at "
            f"{max(ns):,}); its session table is a compile-time array of "
            f"60,000 (ids 1 to 59,999), so 59,999 is its ceiling whatever "
            f"the memory.  It refused the rest with a CDN that has no "
            f"Assigned Session ID AVP, which RFC 2661 6.12 requires "
            f"(lacsim reported {orig.get('refused', 0):,} such errors).")
    add("")
    if res.get("bring_up"):
        add("**Bringing the sessions up for the forwarding runs** (one "
            "run each, PAP; ours with local authentication, the original "
            "with FreeRADIUS; the third is ours again, for the relay):")
        add("")
        add("| sessions | LNS | up | seconds | sessions/s |")
        add("|---:|---|---:|---:|---:|")
        for b in res["bring_up"]:
            add(f"| {b['n']:,} | {b['lns']} | {b['up']:,} | "
                f"{b['secs']:.1f} | {b['up'] / b['secs']:,.0f} |")
        add("")
    add("![memory](perf-memory.png)")
    add("")

    add("## 4. Against the ceiling")
    add("")
    add("Each LNS's delivered rate as a fraction of the relay's in the "
        "same workload (medians), and its per-packet cost minus the "
        "relay's: what the protocol work costs on top of moving the "
        "packets.")
    add("")
    add("| sessions | direction | size | ours / ceiling | original / "
        "ceiling | ours − ceiling ns/packet | original − ceiling "
        "ns/packet |")
    add("|---:|---|---:|---:|---:|---:|---:|")
    for n in ns:
        for d in ("up", "down"):
            for size in (64, 1400):
                c = fwd.get(("ceiling", n, d, size))
                o = fwd.get(("ours", n, d, size))
                g = fwd.get(("original", n, d, size))
                if not c:
                    continue

                def over(x):
                    if not x or not x["ns_per_pkt"] or not c["ns_per_pkt"]:
                        return "n/a"
                    diff = x["ns_per_pkt"]["med"] - c["ns_per_pkt"]["med"]
                    return f"{diff:+,.0f}"
                add(f"| {n:,} | {d} | {size} | "
                    f"{fmt_ratio(ratio(o and o['pps'], c['pps']))} | "
                    f"{fmt_ratio(ratio(g and g['pps'], c['pps']))} | "
                    f"{over(o)} | {over(g)} |")
    add("")

    # ---- group 5
    add("## 5. Ours against the original")
    add("")
    add("Ratios of medians, ours / original: above 1 is better for us in "
        "rates, below 1 is better for us in costs and memory.")
    add("")
    add("| figure | " + " | ".join(f"{n:,} sessions" for n in ns) + " |")
    add("|---|" + "---:|" * len(ns))
    for d in ("up", "down"):
        for size in (64, 1400):
            for field, label in (("pps", "rate"), ("ns_per_pkt",
                                                   "cost per packet")):
                cells = [fmt_ratio(ratio(
                    (fwd.get(("ours", n, d, size)) or {}).get(field),
                    (fwd.get(("original", n, d, size)) or {}).get(field)))
                    for n in ns]
                add(f"| {d}stream {size} B {label} | " + " | ".join(cells)
                    + " |")
    cells = []
    for n in ns:
        o, g = mem.get(("ours", n)), mem.get(("original", n))
        cells.append(fmt_ratio(o["raw"]["rss_kb"] / g["raw"]["rss_kb"])
                     if o and g else "n/a")
    add("| memory (RSS) | " + " | ".join(cells) + " |")
    add("")
    add("| setup | " + " | ".join(f"{n:,} sessions" for n in
                                   counts(res, "setup")) + " |")
    add("|---|" + "---:|" * len(counts(res, "setup")))
    for proto in ("pap", "chap"):
        cells = [fmt_ratio(ratio(
            (setup.get(("ours", "radius", proto, n)) or {}).get("rate"),
            (setup.get(("original", "radius", proto, n)) or {}).get("rate")))
            for n in counts(res, "setup")]
        add(f"| FreeRADIUS, {proto.upper()}, sessions/s | " +
            " | ".join(cells) + " |")
    add("")

    # ---- where we are slower
    slower = []

    def apart(a, b):
        """Whether two figures' min-max ranges do not overlap."""
        return a["max"] < b["min"] or b["max"] < a["min"]

    def noise(a, b):
        return (" (outside the two ranges)" if apart(a, b) else
                " (the ranges overlap: within the spread)")
    for (lns, n, d, size), x in fwd.items():
        if lns != "ours":
            continue
        g = fwd.get(("original", n, d, size))
        if not g:
            continue
        r = ratio(x["pps"], g["pps"])
        c = ratio(x["ns_per_pkt"], g["ns_per_pkt"])
        if r is not None and r < 0.95:
            slower.append(f"{d}stream {size} B at {n:,} sessions: rate "
                          f"{r:.2f} of the original's" +
                          noise(x["pps"], g["pps"]))
        if c is not None and c > 1.05:
            slower.append(f"{d}stream {size} B at {n:,} sessions: "
                          f"{c:.2f} times the original's CPU per packet" +
                          noise(x["ns_per_pkt"], g["ns_per_pkt"]))
    for n in ns:
        o, g = mem.get(("ours", n)), mem.get(("original", n))
        if o and g and o["raw"]["rss_kb"] > 1.05 * g["raw"]["rss_kb"]:
            slower.append(f"memory at {n:,} sessions: "
                          f"{o['raw']['rss_kb'] / g['raw']['rss_kb']:.2f} "
                          "times the original's resident memory")
    for (lns, auth, proto, n), x in setup.items():
        if lns != "ours" or auth != "radius":
            continue
        g = setup.get(("original", auth, proto, n))
        r = ratio(x["rate"], g and g["rate"])
        if r is not None and r < 0.95:
            slower.append(f"setup, FreeRADIUS {proto.upper()}, {n:,} "
                          f"sessions: {r:.2f} of the original's rate")
    add("## Where we are slower, and why")
    add("")
    if slower:
        add("In this run ours was more than 5 % behind the original "
            "(medians) in:")
        add("")
        for s in sorted(slower):
            add(f"* {s}")
    else:
        add("In this run ours was nowhere more than 5 % behind the "
            "original (medians).")
    add("")
    if NOTES.exists():
        add(NOTES.read_text().rstrip())
        add("")

    # ---- profiles
    if res.get("perf"):
        add("## Profiles of the forwarding runs")
        add("")
        add("`perf record -g` on the LNS process during a 64-octet run at "
            f"{counts(res, 'fwd')[1] if len(ns) > 1 else ns[0]:,} "
            "sessions; the top entries by self time (the original's "
            "binary is stripped, so its own functions show as addresses "
            "or not at all).")
        add("")
        order = [f"{l} {d}" for l in ("ours", "original", "ceiling")
                 for d in ("up", "down")]
        for key in [k for k in order if k in res["perf"]]:
            rows = res["perf"][key]
            add(f"**{key}stream**")
            add("")
            add("| self % | object | symbol |")
            add("|---:|---|---|")
            for pct, dso, sym in rows:
                add(f"| {pct:.1f} | {dso} | `{sym}` |")
            add("")

    # ---- checks and notes
    add("## Checks")
    add("")
    add("Before the throughput runs, at a low rate, with the receivers "
        "reading every packet.  A check passes when every session "
        "forwarded upstream (the sink heard each session's datagrams), "
        "downstream datagrams reached the sessions they were sent to, "
        "and at most 10 % were lost; the losses are shown as they are.")
    add("")
    add("| LNS | sessions | upstream: received / sent | sessions heard | "
        "downstream: received / sent | to a wrong session | |")
    add("|---|---:|---:|---:|---:|---:|---|")
    for c in res.get("checks", []):
        add(f"| {NAMES[c['lns']]} | {c['n']:,} | {c['up_received']:,} / "
            f"{c['up_sent']:,} | {c['up_sessions_heard']:,} | "
            f"{c['down_received']:,} / {c['down_sent']:,} | "
            f"{c['down_wrong_session']} | {'ok' if c['ok'] else 'FAILED'} |")
    add("")
    if res.get("notes"):
        add("Notes from the run:")
        add("")
        for n in res["notes"]:
            add(f"* {n}")
        add("")
    return "\n".join(L)


def write(res, out, work):
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    fwd = group(res["fwd"], ("lns", "n", "dir", "size"),
                ("pps", "ns_per_pkt"))
    ns = counts(res, "fwd")
    if ns:
        for (lns, n, d, size), x in fwd.items():
            x["kpps"] = x["pps"] and {k: v / 1e3 if k != "n" else v
                                      for k, v in x["pps"].items()}
        plot_fwd(fwd, ns, out, work, "ns_per_pkt", "LNS CPU ns per packet",
                 "perf-cost", "Per-packet cost (LNS CPU time per forwarded"
                 " packet; lower is better)")
        plot_fwd(fwd, ns, out, work, "kpps", "thousand packets/s",
                 "perf-rate", "Forwarding rate (packets delivered per "
                 "second)")
    mem = {(r["lns"], r["n"]): {"rss_mb": {"med": r["rss_kb"] / 1024,
                                           "min": r["rss_kb"] / 1024,
                                           "max": r["rss_kb"] / 1024}}
           for r in res["mem"] if r["lns"] != "ceiling"}
    if mem:
        plot_mem(mem, res["largest"], out, work)
    # Sections measured elsewhere (the soak: bench/soak.py; the scrape
    # cost: bench/scrape.py) and sections added by hand are carried
    # over from the current file: every "## " section whose heading is
    # not one this report writes.
    text = render(res, out)
    mine = set(re.findall(r"^## .*$", text, re.M))
    kept = ""
    old = out / "performance.md"
    if old.exists():
        for m in re.finditer(r"^(## [^\n]*)\n.*?(?=^## |\Z)",
                             old.read_text(), re.M | re.S):
            if m.group(1) not in mine:
                kept += "\n" + m.group(0).rstrip() + "\n"
    (out / "performance.md").write_text(text + kept)

