"""accounting_dir usage files (acctfile.c; manual, accounting_dir).

A scripted subscriber moves a known number of IP octets each way; the
files the daemon writes must hold exactly those octets, as deltas since
the previous file, with qos 2 once the session is throttled, and keep
the last octets of a session that ended between two files.
"""
import signal
import time

from conftest import local_auth, wait_until
from pppwire import IP, LCP, TERMREQ, TERMACK, ipv4_udp, ppp_call
from test_cli import Cli

SUBSCRIBERS = "alice secret\nbob pw2\n"


def lns(daemon, tmp_path, **cfg):
    subs = local_auth(tmp_path, SUBSCRIBERS)
    acct = tmp_path / "acct"
    acct.mkdir()
    c = {"hostname": "lns-cli", "local_auth_file": str(subs), "debug": 3,
         "ppp_restart_time": 1, "accounting_dir": str(acct),
         "accounting_dir_interval": 1}
    c.update(cfg)
    return daemon(c, users="admin:admin\nenable:en\n"), acct


def session(d, user, password, our_sid):
    lac, p = ppp_call(d.ns, "127.0.0.1", f"lac-{user}", our_sid)
    return lac, p, p.up(user, password)[0]


def files(acct):
    return sorted(f for f in acct.iterdir() if not f.name.endswith(".tmp"))


def parse(path):
    head, rows = [], {}
    for line in path.read_text().splitlines():
        if line.startswith("#"):
            head.append(line)
        else:
            f = line.split()
            rows[f[0]] = f[1:]
    return head, rows


def traffic(d, p, ip, n_up, n_down, size=100):
    """n_up datagrams from the subscriber, n_down to it; returns the IP
    octets each way."""
    rx = d.ns.socket()
    rx.bind(("0.0.0.0", 7000))
    rx.settimeout(2)
    dst = d.tun_addrs()[0].split("/")[0]
    for _ in range(n_up):
        p.send(IP, ipv4_udp(ip, dst, 5000, 7000, b"u" * size))
        rx.recv(2048)
    rx.close()
    tx = d.ns.socket()
    for _ in range(n_down):
        tx.sendto(b"d" * size, (ip, 7001))
        p.expect(IP)
    tx.close()
    return n_up * (28 + size), n_down * (28 + size)


def rows_since(acct, seen, user):
    """Sum of the user's octets over the files after the first `seen`."""
    up = down = 0
    qos = set()
    for f in files(acct)[seen:]:
        _, rows = parse(f)
        if user in rows:
            up += int(rows[user][2])
            down += int(rows[user][3])
            qos.add(rows[user][1])
    return up, down, qos


def test_files_hold_exact_deltas(daemon, tmp_path):
    d, acct = lns(daemon, tmp_path)
    _, p, ip = session(d, "alice", "secret", 77)
    wait_until(lambda: files(acct), what="a usage file")
    head, _ = parse(files(acct)[-1])
    assert head[0] == "# dslwatch.pl dump file V1.01"
    assert "# host: lns-cli" in head
    assert "# format: username ip qos uptxoctets downrxoctets" in head
    assert any(h.startswith("# time: ") for h in head)
    n0 = len(files(acct))
    up, down = traffic(d, p, ip, 7, 5)
    # the octets appear once, spread over however many files it takes
    wait_until(lambda: rows_since(acct, n0, "alice")[:2] == (up, down),
               what=f"alice {up} up, {down} down in the files")
    _, rows = parse([f for f in files(acct)[n0:]
                     if "alice" in parse(f)[1]][0])
    assert rows["alice"][0] == ip and rows["alice"][1] == "1"
    # idle: no more lines for alice (only sessions that moved traffic)
    n1 = len(files(acct))
    wait_until(lambda: len(files(acct)) >= n1 + 2, what="two more files")
    assert rows_since(acct, n1, "alice")[:2] == (0, 0)


def test_throttled_qos_and_ended_session_kept(daemon, tmp_path):
    d, acct = lns(daemon, tmp_path, accounting_dir_interval=3)
    lac, p, ip = session(d, "bob", "pw2", 78)
    c = Cli(d).login()
    c.enable("en")
    c.cmd("throttle bob 5000")
    wait_until(lambda: files(acct), timeout=8, what="a usage file")
    n0 = len(files(acct))
    up, down = traffic(d, p, ip, 3, 4)
    # the subscriber leaves before the next file: LCP Terminate, CDN
    p.send_cp(LCP, TERMREQ, 9)
    p.expect(LCP, TERMACK)
    wait_until(lambda: rows_since(acct, n0, "bob")[:2] == (up, down),
               timeout=8, what=f"bob {up} up, {down} down in the files")
    assert rows_since(acct, n0, "bob")[2] == {"2"}


def test_last_file_written_at_exit(daemon, tmp_path):
    d, acct = lns(daemon, tmp_path, accounting_dir_interval=3600)
    _, p, ip = session(d, "alice", "secret", 77)
    up, down = traffic(d, p, ip, 2, 2)
    assert files(acct) == []
    d.signal(signal.SIGTERM)
    d.wait_exit()
    assert rows_since(acct, 0, "alice")[:2] == (up, down)
