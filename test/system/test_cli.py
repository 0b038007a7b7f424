"""The telnet CLI (cli.c) driven by a real client: Debian's telnet under
pexpect, inside the daemon's namespace, against live tunnels and PPP
sessions brought up by the scripted LAC (l2tpwire.Lac, pppwire.Ppp).

Each test checks what the CLI prints against the state the test created
(hostnames, addresses, calling numbers, counters) and, for the actions,
what really happens on the wire (StopCCN, CDN) and in the files
(write memory).
"""
import json
import subprocess
import re
import socket
import struct
import time
import warnings

import pexpect
import pytest

from conftest import REPO, local_auth, wait_until
from l2tpwire import Lac, STOPCCN, CDN, result_code
from nsctlhelp import nsctl, plugin_dir
from pppwire import Ppp, LCP, PAP, TERMREQ, TERMACK, IP, opt, ipv4_udp
from test_radius import AUTH_PORT, DEAD_PORT, FreeRadius, radius_cfg
from test_radius import link as radius_link, up as radius_up

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt

HOST = "lns-cli"


def prompt_for(hostname):
    """The CLI prompt of a daemon whose `hostname` is this, in any mode."""
    return re.escape(hostname) + r"(\([a-z-]+\))?[>#] "


PROMPT = prompt_for(HOST)
POOL = "198.51.100.0/26"
SUBSCRIBERS = "alice secret\nbob pw2\n"
MD5 = crypt.crypt("md5pass", "$1$l2tpns$")
DES = crypt.crypt("despass", "ab")
ENABLE = crypt.crypt("en4ble", "$1$saltsalt$")
USERS = (f"admin:admin\nmd5user:{MD5}\ndesuser:{{crypt}}{DES}\n"
         f"enable:{ENABLE}\n")


class Cli:
    """One telnet connection to the daemon's CLI; `hostname` is the daemon's
    (its prompt), PROMPT given to expect() stands for that prompt."""

    def __init__(self, d, host="127.0.0.1", port=23, timeout=5,
                 hostname=HOST):
        self.d = d
        self.prompt = prompt_for(hostname)
        self.p = pexpect.spawn(
            "ip", ["netns", "exec", d.ns.name, "telnet", host, str(port)],
            encoding="utf-8", codec_errors="replace", timeout=timeout)
        d.ns.track(self.p.pid)

    def expect(self, pattern, timeout=None):
        if pattern is PROMPT:
            pattern = self.prompt
        return self.p.expect(pattern, timeout=timeout or self.p.timeout)

    def login(self, user="admin", password="admin"):
        self.expect("Username: ")
        self.p.send(user + "\r")
        self.expect("Password: ")
        self.p.send(password + "\r")
        self.expect(PROMPT)
        return self

    def enable(self, password="en4ble"):
        self.p.send("enable\r")
        self.expect("Password: ")
        self.p.send(password + "\r")
        self.expect(PROMPT)
        assert self.p.after.endswith("# "), self.p.before
        return self

    def cmd(self, line, timeout=None):
        """Run one command; returns its output (the echo removed)."""
        self.p.send(line + "\r")
        self.expect(PROMPT, timeout)
        out = self.p.before.replace("\r", "")
        first, _, rest = out.partition("\n")
        assert first.strip() == line.strip(), (first, line)
        return rest.rstrip("\n")

    def close(self):
        if self.p.isalive():
            self.p.close(force=True)


@pytest.fixture
def clis(cleanup):
    """clis(d, ...) -> a Cli to daemon d, closed when the test ends."""
    return lambda d, **kw: cleanup(Cli(d, **kw))


@pytest.fixture
def lns(daemon, tmp_path):
    subs = local_auth(tmp_path, SUBSCRIBERS)
    return daemon({"hostname": HOST, "local_auth_file": str(subs),
                   "debug": 4, "ppp_restart_time": 1}, users=USERS)


def counters(d):
    """The daemon's counters (show counters json), through a CLI login of
    its own."""
    c = Cli(d).login()
    try:
        return json.loads(c.cmd("show counters json"))
    finally:
        c.close()


def rows(text):
    """Table rows of a show command: lines whose first field is a number
    (the "N sessions" summary line excepted)."""
    return [f for f in (line.split() for line in text.splitlines())
            if len(f) >= 4 and f[0].isdigit()]


def lac_for(d):
    return d.ns.run_in(Lac, "127.0.0.1")


def ppp_session(d, host="lac-cli", calling="02079460123", user="alice",
                password="secret", our_tid=4242):
    """A tunnel from `host` with one PPP session up; returns (lac, ppp, ip)."""
    lac = lac_for(d)
    lac.our_tid = our_tid
    lac.open_tunnel(host=host)
    sid = lac.open_session(our_sid=77, calling=calling)
    p = Ppp(lac, sid, 77)
    ip = p.up(user, password)[0]
    return lac, p, ip


def listening(d):
    """Local addresses:ports listening on TCP in the daemon's namespace."""
    out = d.ns.run(["ss", "-Hltn"]).stdout
    return sorted(line.split()[3] for line in out.splitlines() if line)


# ---------------------------------------------------------------------------
# access


def test_login_plain_md5_des_and_wrong_password(lns, clis):
    c = clis(lns)
    c.expect(f"l2tpns .* on {HOST}")
    c.expect("Username: ")
    c.p.send("admin\r")
    c.expect("Password: ")
    c.p.send("wrong\r")
    c.expect("Access denied")
    c.expect("Username: ")
    lns.wait_for_log(r'CLI login as "admin" from 127\.0\.0\.1 refused '
                     r'\(1 of 3\)')
    # the same connection, now with the right password (plain text)
    c.p.send("admin\r")
    c.expect("Password: ")
    c.p.send("admin\r")
    c.expect(PROMPT)
    assert c.p.after == f"{HOST}> "
    lns.wait_for_log(r"CLI login by admin@127\.0\.0\.1")
    for user, pw in (("md5user", "md5pass"), ("desuser", "despass")):
        c = clis(lns).login(user, pw)
        assert c.p.after == f"{HOST}> "
        assert "Sessions" in c.cmd("show tunnel")
        lns.wait_for_log(rf"CLI login by {user}@127\.0\.0\.1")


def test_three_wrong_passwords_hang_up(lns, clis):
    c = clis(lns)
    for i in range(3):
        c.expect("Username: ")
        c.p.send("md5user\r")
        c.expect("Password: ")
        c.p.send("md5pass-wrong\r")
    c.expect("too many failures")
    c.expect(pexpect.EOF)
    lns.wait_for_log(r"refused \(3 of 3\)")


def test_enable_password(lns, clis):
    c = clis(lns).login()
    # privileged commands are not there yet
    assert "drop" not in c.cmd("help")
    c.p.send("enable\r")
    c.expect("Password: ")
    c.p.send("admin\r")
    c.expect("Access denied")
    c.expect(PROMPT)
    assert c.p.after == f"{HOST}> "
    lns.wait_for_log(r"admin@127\.0\.0\.1 gave a wrong enable password")
    c.enable()
    assert "drop session" in c.cmd("help")
    lns.wait_for_log(r"admin@127\.0\.0\.1 entered privileged mode")


def test_enable_locked_without_enable_entry(daemon, clis):
    d = daemon({"hostname": HOST}, users="admin:admin\n")
    c = clis(d).login()
    assert "No enable password is set" in c.cmd("enable")
    assert c.p.after == f"{HOST}> "


def test_no_users_file_loopback_only_and_no_login(daemon, clis):
    d = daemon({"hostname": HOST, "cli_bind_address": "0.0.0.0"},
               users=None)
    d.wait_for_log(r"ERROR CLI listening on 127\.0\.0\.1:23 only, not on "
                   r"0\.0\.0\.0 as cli_bind_address asks")
    assert [a for a in listening(d) if a.endswith(":23")] == \
        ["127.0.0.1:23"]
    c = clis(d)
    c.expect(PROMPT)            # no Username: prompt
    assert c.p.after == f"{HOST}> "
    # Without users, enable asks for nothing.
    c.p.send("enable\r")
    c.expect(PROMPT)
    assert c.p.after == f"{HOST}# "
    # A users file appears: HUP moves the listener to cli_bind_address.
    d.users_path.write_text("admin:admin\n")
    d.reload()
    d.wait_for_log(r"CLI moves from 127\.0\.0\.1:23 to 0\.0\.0\.0:23")
    wait_until(lambda: "0.0.0.0:23" in listening(d), what="CLI on 0.0.0.0")
    clis(d).login()


def test_users_file_binds_cli_bind_address(daemon):
    d = daemon({"hostname": HOST}, users="admin:admin\n")
    assert "0.0.0.0:23" in listening(d)
    d2 = daemon({"hostname": HOST, "cli_port": 2323,
                 "cli_bind_address": "127.0.0.1"}, users="admin:admin\n")
    assert "127.0.0.1:2323" in listening(d2)


def test_idle_client_disconnected(daemon, clis):
    d = daemon({"hostname": HOST, "cli_idle_timeout": 2},
               users="admin:admin\n")
    c = clis(d).login()
    t0 = time.monotonic()
    c.expect("Idle for 2 seconds", timeout=6)
    c.expect(pexpect.EOF, timeout=3)
    assert 1.5 < time.monotonic() - t0 < 6
    d.wait_for_log(r"CLI session of admin@127\.0\.0\.1 closed after 2 idle "
                   r"seconds")
    d.wait_for_log(r"CLI session from 127\.0\.0\.1:\d+ ended")


def test_session_limit(lns, clis):
    # Ten logged-in sessions fill every slot (connections that never log
    # in cannot: test_security.py checks that they make room).
    held = [clis(lns).login() for _ in range(10)]
    try:
        extra = lns.ns.run_in(socket.create_connection, ("127.0.0.1", 23),
                              3)
        data = b""
        while True:
            chunk = extra.recv(200)
            if not chunk:
                break
            data += chunk
        assert b"Too many CLI sessions" in data
        lns.wait_for_log(r"CLI connection from 127\.0\.0\.1:\d+ refused: "
                         r"sessions already open")
    finally:
        for c in held:
            c.p.close()
    # The slots come back once the children see their clients leave.
    wait_until(lambda: len(re.findall(r"CLI session from .* ended",
                                      lns.log_text())) >= 10,
               what="the ten sessions to end")
    clis(lns).login()


# ---------------------------------------------------------------------------
# live state


def test_show_tunnel_session_users_pool_with_live_ppp(lns, clis):
    lac, p, ip = ppp_session(lns)
    c = clis(lns).login()

    tunnels = [r for r in rows(c.cmd("show tunnel")) if r[1] == "lac-cli"]
    assert len(tunnels) == 1, tunnels
    tid, host, addr, state, nsess, direction = tunnels[0]
    assert direction == "in"
    assert (addr, state, nsess) == ("127.0.0.1", "Open", "1")
    detail = c.cmd(f"show tunnel {tid}")
    assert re.search(rf"L2TP tunnel id: +local {lac.tid}, peer 4242", detail)
    assert re.search(r"Hostname: +lac-cli$", detail, re.M)
    assert re.search(r"Vendor: +pytest,", detail)
    assert re.search(r"Sessions: +1 \(ids 1\)", detail)

    out = c.cmd("show session")
    assert re.search(r"SID +TID +Username +IP +I +T +G +6 +R +opened +downloaded "
                     r"+uploaded +idle +LAC +CLI", out)
    sess = rows(out)
    assert len(sess) == 1, out
    sid, stid, user, sip, i, t, g, six = sess[0][:8]
    assert (stid, user, sip) == (tid, "alice", ip)
    assert (i, t, g, six) == ("N", "N", "N", "N")
    assert sess[0][-2:] == ["127.0.0.1", "02079460123"]

    detail = c.cmd(f"show session {sid}")
    assert re.search(r"PPP phase: +network", detail), detail
    assert re.search(r"LCP Opened, IPCP Opened", detail)
    assert re.search(r"Calling number \(CLI\): +02079460123", detail)
    assert re.search(rf"IP address: +{re.escape(ip)}", detail)
    assert re.search(r"Authentication: +PAP", detail)

    js = json.loads(c.cmd("show session json"))
    assert [(s["sid"], s["user"], s["ip"], s["calling"], s["lac"])
            for s in js["sessions"]] == \
        [(int(sid), "alice", ip, "02079460123", "127.0.0.1")]
    assert json.loads(c.cmd(f"show tunnel {tid} json"))["hostname"] == \
        "lac-cli"
    [tj] = json.loads(c.cmd("show tunnel json"))["tunnels"]
    assert (tj["tid"], tj["hostname"], tj["ip"], tj["state"],
            tj["sessions"], tj["local_id"], tj["peer_id"]) == \
        (int(tid), "lac-cli", "127.0.0.1", "Open", 1, lac.tid, 4242)
    sj = json.loads(c.cmd(f"show session {sid} json"))
    assert (sj["sid"], sj["tid"], sj["user"], sj["ip"], sj["state"]) == \
        (int(sid), int(tid), "alice", ip, "Open")
    assert re.match(r"\d\d:\d\d:\d\d up \d+ min, 1 users, ",
                    c.cmd("uptime"))

    users = c.cmd("show users")
    assert re.search(rf"^alice +{sid} +{re.escape(ip)} +02079460123$",
                     users, re.M), users
    assert re.search(r"User: +alice", c.cmd("show user alice"))
    assert "% No session for user nobody" in c.cmd("show user nobody")
    assert "% No session 999" in c.cmd("show session 999")
    assert "% No tunnel 999" in c.cmd("show tunnel 999")
    assert '% Bad session id "x"' in c.cmd("show session x")

    pool = c.cmd("show pool")
    assert re.search(rf"^{re.escape(ip)} +Y +{sid} alice$", pool, re.M), pool
    assert "1 in use" in pool


def test_drop_session_sends_cdn_and_frees_the_address(lns, clis):
    lac, p, ip = ppp_session(lns)
    c = clis(lns).login().enable()
    sid = rows(c.cmd("show session"))[0][0]
    assert f"Session {sid} dropped" in c.cmd(f"drop session {sid} reason "
                                             f"maintenance window")
    t = p.expect(LCP, TERMREQ)
    p.send_cp(LCP, TERMACK, t.id)
    m = p.cdn(timeout=6)
    res, err, msg = result_code(m)
    assert res == 3, (res, err, msg)        # administrative
    assert "dropped by CLI: maintenance window" in msg
    lns.wait_for_log(r"session dropped from the CLI by admin@127\.0\.0\.1: "
                     r"dropped by CLI: maintenance window")
    wait_until(lambda: rows(c.cmd("show session")) == [],
               what="the session to go")
    assert re.search(rf"^{re.escape(ip)} +N +\[alice\] \d+s$",
                     c.cmd("show pool"), re.M)
    assert f"% No session {sid}" in c.cmd(f"drop session {sid}")


def test_show_ipcache_lists_the_destination_index(lns, clis):
    # 2.x "show ipcache": which session each address goes to.
    c = clis(lns).login()
    assert c.cmd("show ipcache").splitlines()[-1] == "0 entries"
    lac1, p1, ip1 = ppp_session(lns, host="lac-a", user="alice",
                                password="secret")
    lac2, p2, ip2 = ppp_session(lns, host="lac-b", user="bob",
                                password="pw2", our_tid=4243)
    sids = {r[2]: r[0] for r in rows(c.cmd("show session"))}
    out = c.cmd("show ipcache")
    lines = out.splitlines()
    assert lines[0].split() == ["Sess#", "IP", "Address", "User"], out
    got = sorted(tuple(l.split()) for l in lines[1:-1])
    assert got == sorted([(sids["alice"], ip1, "alice"),
                          (sids["bob"], ip2, "bob")]), out
    assert lines[-1] == "2 entries"
    c.enable()
    c.cmd(f"drop session {sids['alice']}")
    t = p1.expect(LCP, TERMREQ)
    p1.send_cp(LCP, TERMACK, t.id)
    wait_until(lambda: ip1 not in c.cmd("show ipcache"),
               what="alice's address to leave the index")
    assert c.cmd("show ipcache").splitlines()[-1] == "1 entry"


def test_filter_and_no_filter(lns, clis):
    # 2.x "filter USER in LIST [out LIST]": the session's access lists.
    lac, p, ip = ppp_session(lns)
    c = clis(lns).login().enable()
    c.cmd("configure terminal")
    c.cmd("ip access-list standard deny-all")
    c.cmd("deny any")
    c.cmd("end")
    sid = rows(c.cmd("show session"))[0][0]

    def denied():
        return json.loads(c.cmd("show counters json"))["acl_denied_in"]
    dst = lns.tun_addrs()[0].split("/")[0]
    pkt = ipv4_udp(ip, dst, 5000, 9, b"x" * 32)
    assert "% No access list nosuch" in c.cmd("filter alice in nosuch")
    assert "% User nobody is not connected" in \
        c.cmd("filter nobody in deny-all")
    before = denied()
    assert c.cmd("filter alice in deny-all") == \
        "Filtering user alice (in deny-all, out -)"
    assert re.search(r"Filter: +in deny-all, out -",
                     c.cmd(f"show session {sid}"))
    p.send(IP, pkt)
    wait_until(lambda: denied() == before + 1, what="the packet denied")
    assert "% User alice is already filtered in (deny-all)" in \
        c.cmd("filter alice in deny-all")
    assert c.cmd("filter alice out deny-all") == \
        "Filtering user alice (in deny-all, out deny-all)"
    assert c.cmd("no filter alice") == "Removing filters from user alice"
    assert re.search(r"Filter: +in -, out -", c.cmd(f"show session {sid}"))
    p.send(IP, pkt)
    time.sleep(0.3)
    assert denied() == before + 1
    assert "% User alice is not filtered" in c.cmd("no filter alice")


def test_drop_tunnel_sends_stopccn(lns, clis):
    lac, p, ip = ppp_session(lns, host="lac-drop")
    c = clis(lns).login().enable()
    tid = [r for r in rows(c.cmd("show tunnel")) if r[1] == "lac-drop"][0][0]
    assert f"Tunnel {tid} dropped" in c.cmd(f"drop tunnel {tid}")
    seen = lac.recv_until(STOPCCN)
    assert CDN in seen, seen                # the call goes first
    res, err, msg = result_code(seen[STOPCCN])
    assert res == 1 and "dropped by CLI" in msg
    lns.wait_for_log(r"tunnel dropped from the CLI by admin@127\.0\.0\.1")
    # Gone from the session list at once; the tunnel itself lingers in
    # the closing state (31 s of acks) before it is freed.
    assert rows(c.cmd("show session")) == []
    row = [r for r in rows(c.cmd("show tunnel")) if r[0] == tid][0]
    assert row[3:] == ["Dieing", "0", "in"], row
    assert "already closing" in c.cmd(f"drop tunnel {tid}")
    assert "% No tunnel 4000" in c.cmd("drop tunnel 4000")


def test_counters_move_and_clear(lns, clis):
    c = clis(lns).login().enable()

    def counters():
        return json.loads(c.cmd("show counters json"))
    before = counters()
    lac = lac_for(lns)
    lac.open_tunnel(host="lac-count")
    lac.open_session(our_sid=5)
    wait_until(lambda: counters()["sessions_created"] >
               before["sessions_created"], what="counters to move")
    after = counters()
    assert after["l2tp_ctrl_rx"] >= before["l2tp_ctrl_rx"] + 3
    assert after["tunnels_created"] == before["tunnels_created"] + 1
    assert after["l2tp_ctrl_rx_type"]["SCCRQ"] >= 1
    assert after["tunnels"] == 1 and after["sessions"] == 1
    text = c.cmd("show counters")
    assert re.search(r"tunnels created +%d$" % after["tunnels_created"],
                     text, re.M)
    assert "Counters cleared" in c.cmd("clear counters")
    z = counters()
    for k in ("l2tp_ctrl_rx", "l2tp_ctrl_tx", "tunnels_created",
              "sessions_created", "l2tp_rx_packets"):
        assert z[k] == 0, (k, z[k])
    assert z["l2tp_ctrl_rx_type"]["SCCRQ"] == 0
    assert z["tunnels"] == 1        # the tables are not counters
    lns.wait_for_log(r"counters cleared from the CLI by admin@127\.0\.0\.1")


def test_show_counters_lists_every_field_of_struct_counters(lns, clis):
    src = (REPO / "l2tpns.h").read_text()
    body = re.search(r"struct counters \{(.*?)\n\};", src, re.S).group(1)
    body = re.sub(r"/\*.*?\*/", "", body, flags=re.S)
    fields = set()
    for decl in body.split(";"):
        decl = decl.replace("uint64_t", "").strip()
        for name in decl.split(","):
            name = re.sub(r"\[.*\]", "", name).strip()
            # "struct lat_hist setup_latency": the field's name is last
            name = name.split()[-1] if name else name
            if name:
                fields.add(name)
    js = json.loads(clis(lns).login().cmd("show counters json"))
    assert fields - set(js) == set(), "not shown by show counters"


def test_write_memory_round_trip(daemon, clis):
    d = daemon({"hostname": HOST, "l2tp_secret": "two words",
                "throttle_speed": 64},
               extra_lines=["ip access-list extended web-only",
                            " permit tcp any any eq 80",
                            " deny ip any any", "!"],
               users="admin:admin\nenable:en\n")
    c = clis(d).login().enable("en")
    c.cmd("configure terminal")
    assert c.cmd("set hello_interval 30") == ""
    c.cmd("exit")
    running = c.cmd("show running-config")
    assert 'set l2tp_secret "two words"' in running
    assert "set hello_interval 30" in running
    assert "ip access-list extended web-only" in running
    out = c.cmd("write memory")
    assert f"Configuration written to {d.config_path}" in out
    text = d.config_path.read_text()
    assert text.startswith("# l2tpns startup-config, written by \"write "
                           "memory\" (admin@127.0.0.1)")
    assert oct(d.config_path.stat().st_mode & 0o777) == "0o600"
    c.close()
    d.stop()
    d.start()
    c2 = clis(d).login().enable("en")
    assert c2.cmd("show running-config") == running
    assert "set hello_interval 30" in running


def test_running_config_needs_enable(daemon, clis):
    # As on the original and on Cisco-style CLIs (issue 20): the
    # configuration is not shown at the unprivileged prompt at all.
    d = daemon({"hostname": HOST, "l2tp_secret": "s3cret"},
               users="admin:admin\nenable:en\n")
    c = clis(d).login()
    for cmd in ("show running-config", "write terminal"):
        out = c.cmd(cmd)
        assert "l2tp_secret" not in out and "hostname" not in out, out
        assert "Invalid command" in out, out
    c.enable("en")
    assert "set l2tp_secret s3cret" in c.cmd("show running-config")


def test_set_checks_values_and_applies(lns, clis):
    c = clis(lns).login().enable()
    c.cmd("configure terminal")
    assert c.p.after == f"{HOST}(config)# "
    assert '% bad value "x" for debug: expected an integer from 0 to 5' in \
        c.cmd("set debug x")
    assert '% Unknown setting "nosuch"' in c.cmd("set nosuch 1")
    assert "cli_port is read at startup" in c.cmd("set cli_port 2323")
    assert c.cmd("set debug 2") == ""
    lns.wait_for_log(r'config: debug changed from "4" to "2" from the CLI '
                     r'by admin@127\.0\.0\.1')
    c.p.send("set hostname lns-new\r")      # the prompt follows at once
    c.expect(r"lns-new\(config\)# ")
    c.p.send("end\r")
    c.expect(r"lns-new# ")
    c.p.send("show running-config\r")
    c.expect(r"lns-new# ")
    out = c.p.before
    assert "set debug 2" in out and "set cli_port 2323" in out
    assert "set hostname lns-new" in out


def test_debug_shows_the_daemons_log_live(lns, clis):
    # The 2.x "debug" command: the chosen levels, live, in this session.
    assert "Invalid command" in clis(lns).login().cmd("debug warning")
    c = clis(lns).login().enable()
    assert c.cmd("debug") == "Live log: off"
    assert c.cmd("debug warning") == "Live log: warning"
    lac_for(lns).open_tunnel(host="lac-live")
    c.expect(r"WARN tid=\d+ tunnel up with lac-live, local id \d+, peer id "
             r"4242\r?\n", 5)
    c.expect(PROMPT)                 # given back after the lines
    assert c.cmd("debug all") == "Live log: critical error warning info " \
        "calls"
    assert c.cmd("no debug") == "Live log: off"
    assert c.cmd("debug critical error warning") == \
        "Live log: critical error warning"
    assert c.cmd("no debug warning") == "Live log: critical error"
    lac = lac_for(lns)
    lac.our_tid = 4243
    lac.open_tunnel(host="lac-quiet")
    lns.wait_for_log(r"tunnel up with lac-quiet")
    time.sleep(1.5)                 # a turn of the live log
    assert "lac-quiet" not in c.cmd("debug")
    assert '% Unknown level "lots"' in c.cmd("debug lots")
    assert c.cmd("no debug") == "Live log: off"


def test_load_and_remove_plugin(daemon, clis, tmp_path):
    d = daemon({"hostname": HOST, "plugin_dir": str(plugin_dir(tmp_path))},
               users="admin:admin\nenable:en\n")
    c = clis(d).login().enable("en")
    c.cmd("configure terminal")
    assert "Plugin testplugin loaded" in c.cmd("load plugin testplugin")
    assert "cannot load plugin nosuch" in c.cmd("load plugin nosuch")
    c.cmd("end")
    plugins = c.cmd("show plugins")
    assert re.search(r"^testplugin +configuration ", plugins, re.M), plugins
    assert "load plugin testplugin" in c.cmd("show running-config")
    c.cmd("configure terminal")
    assert "Plugin testplugin unloaded" in c.cmd("remove plugin testplugin")
    assert "% Plugin testplugin is not loaded" in \
        c.cmd("remove plugin testplugin")
    c.cmd("end")
    assert "testplugin" not in c.cmd("show plugins")
    assert "load plugin" not in c.cmd("show running-config")


def test_other_show_commands(daemon, clis):
    d = daemon({"hostname": HOST},
               extra_lines=["ip access-list standard office",
                            " permit 192.0.2.0 0.0.0.255", "!",
                            "router bgp 64512",
                            " neighbour 192.0.2.9 remote-as 64513", "!"],
               users="admin:admin\nenable:en\n")
    c = clis(d).login()
    version = c.cmd("show version")
    assert "l2tpns 3.0.0-dev" in version
    assert f"  configuration {d.config_path}\n" in version
    assert re.search(rf"^  started \S+ \S+, pid {d.pid}$", version, re.M)
    assert "tables: 65535 sessions, 65535 tunnels" in version
    up = c.cmd("uptime").splitlines()
    assert re.match(r"\d\d:\d\d:\d\d up \d+ min, 0 users, load average: "
                    r"[\d.]+, [\d.]+, [\d.]+$", up[0]), up
    assert re.match(r"Bandwidth: UDP-ETH:\d+/\d+  ETH-UDP:\d+/\d+  "
                    r"TOTAL:[\d.]+   IN:\d+ OUT:\d+$", up[1]), up
    acl = c.cmd("show ip access-list office")
    assert "Standard IP access list office" in acl
    assert "10 permit 192.0.2.0 0.0.0.255" in acl
    assert "% No access list nosuch" in c.cmd("show ip access-list nosuch")
    cluster = c.cmd("show cluster")
    assert "Cluster status : Master" in cluster
    assert "stand-alone (cluster_interface eth0 has no IPv4 address)" \
        in cluster
    assert json.loads(c.cmd("show cluster json"))["standalone"] is True
    radius = c.cmd("show radius")
    assert "RADIUS: no server configured (primary_radius)" in radius
    assert "0 requests in flight" in radius
    assert json.loads(c.cmd("show radius json"))["servers"] == []
    bgp = c.cmd("show bgp")
    assert "router bgp 64512" in bgp and "192.0.2.9 remote-as 64513" in bgp
    c.enable("en")
    assert "% User alice is not connected" in \
        c.cmd("snoop alice 192.0.2.1 5000")
    assert "% User alice is not connected" in c.cmd("throttle alice in 512")
    assert "% User alice is not connected" in c.cmd("no throttle alice")
    assert '% Bad rate "0"' in c.cmd("throttle alice 0")
    assert '"in" needs a rate' in c.cmd("throttle alice in")
    assert '% Bad IP address "x"' in c.cmd("snoop alice x 5000")


def test_question_mark_help(lns, clis):
    c = clis(lns).login()
    c.p.send("show session ?")
    c.expect(r"json +as JSON")
    c.p.send("\x15")            # ^U: clear the line left for editing
    c.p.send("show session\r")
    c.expect(r"0 sessions\s+" + PROMPT)


# ---------------------------------------------------------------------------
# the loop is never blocked by the CLI


def test_idle_cli_does_not_block_the_loop(lns, clis):
    # One client idle at the prompt, one idle at the login prompt, one
    # that opened TCP and says nothing at all.
    c = clis(lns).login()
    half = clis(lns)
    half.expect("Username: ")
    raw = lns.ns.run_in(socket.create_connection, ("127.0.0.1", 23), 3)
    try:
        t0 = time.monotonic()
        lac, p, ip = ppp_session(lns, host="lac-busy")
        lac2, p2, ip2 = ppp_session(lns, host="lac-busy2", user="bob",
                                    password="pw2", our_tid=4343)
        assert time.monotonic() - t0 < 5
        assert ip != ip2
        # ... and the CLI that sat idle sees them.
        users = {r[2] for r in rows(c.cmd("show session"))}
        assert users == {"alice", "bob"}
    finally:
        raw.close()


def test_lacsim_sessions_and_traffic_while_cli_idle(daemon, clis, tmp_path):
    """The issue's check: with a telnet client idle at the prompt, the LAC
    simulator brings 50 PPP sessions up and their traffic flows; the CLI
    then sees them, their counters and the bandwidth line move."""
    lacsim = REPO / "test" / "lacsim" / "lacsim"
    subs = local_auth(tmp_path, "".join(f"user{i} pw\n" for i in range(1, 51)))
    d = daemon({"hostname": HOST, "local_auth_file": str(subs), "debug": 2},
               users="admin:admin\n")
    idle = clis(d).login()
    lac = d.ns.popen([lacsim, "--lns", "127.0.0.1", "--tunnels", "5",
                      "--sessions", "10", "--ppp", "--user", "user%d",
                      "--password", "pw", "--traffic-dst", "1.1.1.1",
                      "--pps", "200", "--duration", "4", "--json"],
                     stdout=subprocess.PIPE, text=True)
    try:
        c = clis(d).login()
        up = wait_until(lambda: len(rows(c.cmd("show session"))) == 50 and
                        rows(c.cmd("show session")), timeout=10,
                        what="50 sessions in show session")
        assert {r[2] for r in up} == {f"user{i}" for i in range(1, 51)}
        assert len(rows(c.cmd("show tunnel"))) == 5
        wait_until(lambda: int(re.search(r"IN:(\d+)", c.cmd("uptime"))
                               .group(1)) > 0, timeout=4,
                   what="IN packets/s in uptime")
        out, _ = lac.communicate(timeout=20)
    finally:
        if lac.poll() is None:
            lac.kill()
    done = json.loads(out.strip().splitlines()[-1])
    assert done["ok"] and done["sessions_up"] == 50, done
    js = json.loads(idle.cmd("show counters json"))
    assert js["tun_tx_packets"] >= done["tx_packets"] > 0
    assert js["ppp_auth_ok"] == 50


# ---------------------------------------------------------------------------
# RADIUS (a real FreeRADIUS, as in test_radius.py): show radius, and the
# fields of the session detail view that come from an Access-Accept

CLI_RADIUS_USERS = """\
alice	Cleartext-Password := "secret"
	Session-Timeout = 3600,
	Idle-Timeout = 1800,
	Filter-Id += "web.in",
	Filter-Id += "web.out"

bob	Cleartext-Password := "pw2"
"""

RADIUS_ROW = re.compile(r"^ *(\d+) +(\d+) +(\d+) +(AUTH|START|INTERIM|STOP) "
                        r"+(\d+) +(primary|secondary) +(\d+) +([\d.]+) s$",
                        re.M)


@pytest.fixture
def radius_lns(daemon, netns, tmp_path):
    """radius_lns(config) -> (lns, FreeRADIUS) in one namespace."""
    def make(config=None, extra_lines=()):
        ns = netns()
        rad = FreeRadius(ns, tmp_path / "radius",
                         users=CLI_RADIUS_USERS).start()
        cfg = radius_cfg(hostname=HOST)
        cfg.update(config or {})
        return daemon(cfg, ns=ns, extra_lines=extra_lines,
                      users=USERS), rad
    return make


def radius_rows(text):
    return [dict(zip(("id", "sock", "port", "state", "sid", "server", "try",
                      "retry"), m)) for m in RADIUS_ROW.findall(text)]


def test_show_radius_requests_in_flight_failover_and_counters(radius_lns,
                                                              clis):
    """The primary does not answer (nothing listens on its port), the
    secondary is FreeRADIUS: show radius lists the Access-Request and
    then the accounting Start while they are retried at the primary,
    with the identifier and source port FreeRADIUS then logs, marks the
    primary as not answering and counts every send."""
    d, rad = radius_lns({"primary_radius_port": DEAD_PORT,
                         "secondary_radius": "127.0.0.1",
                         "secondary_radius_port": AUTH_PORT,
                         "radius_timeout": 2})
    c = clis(d).login()
    out = c.cmd("show radius")
    assert re.search(r"^primary   127\.0\.0\.1 auth 1645 acct 1646$", out,
                     re.M), out
    assert re.search(r"^secondary 127\.0\.0\.1 auth 1812 acct 1813$", out,
                     re.M), out
    assert "accounting on, interim 0 s, timeout 2 s x 3 tries per server, " \
        "64 sockets, DAE port 3799" in out
    assert re.search(r"^Radius +Sock +Port +State +Session +Server +Try "
                     r"+Retry$", out, re.M), out
    assert "0 requests in flight" in out
    assert "sent: 0 auth, 0 acct, 0 again" in out

    lac, p = radius_link(d)
    p.lcp_up()
    ident = p.next_id()
    p.send_cp(PAP, 1, ident, b"\x05alice\x06secret")
    sid = rows(c.cmd("show session"))[0][0]
    auth = wait_until(lambda: [r for r in radius_rows(c.cmd("show radius"))
                               if r["state"] == "AUTH"], timeout=5,
                      what="the Access-Request in show radius")[0]
    assert (auth["sid"], auth["server"]) == (sid, "primary"), auth
    assert 1 <= int(auth["try"]) <= 3 and float(auth["retry"]) <= 2.0, auth
    js = json.loads(c.cmd("show radius json"))
    [req] = [r for r in js["requests"] if r["state"] == "AUTH"]
    assert (req["id"], req["sock"], req["port"], req["sid"]) == \
        (int(auth["id"]), int(auth["sock"]), int(auth["port"]), int(sid))
    assert req["slot"] == req["id"] * 64 + req["sock"]
    assert req["retry_ms"] <= 2000
    # FreeRADIUS gets it from the secondary round, same id and port.
    f = p.expect(PAP, timeout=15)
    assert (f.code, f.id) == (2, ident)
    assert re.search(rf"Received Access-Request Id {auth['id']} from "
                     rf"127\.0\.0\.1:{auth['port']} ", rad.output())

    # Accounting Start: the primary's accounting port is tried first too.
    p.ipcp_up()
    start = wait_until(lambda: [r for r in radius_rows(c.cmd("show radius"))
                                if r["state"] == "START"], timeout=5,
                       what="the accounting Start in show radius")[0]
    assert (start["sid"], start["server"]) == (sid, "primary"), start
    rec = rad.wait_record("Start", timeout=15, User_Name="alice")
    assert re.search(rf"Received Accounting-Request Id {start['id']} from "
                     rf"127\.0\.0\.1:{start['port']} ", rad.output())
    assert int(rec["NAS-Port"]) == int(sid)

    out = wait_until(lambda: (lambda t: "0 requests in flight" in t and t)(
        c.cmd("show radius")), what="no request in flight")
    assert radius_rows(out) == []
    assert re.search(r"^primary   127\.0\.0\.1 auth 1645 \(not answering\) "
                     r"acct 1646 \(not answering\)$", out, re.M), out
    assert re.search(r"^secondary 127\.0\.0\.1 auth 1812 acct 1813$", out,
                     re.M), out
    ctr = json.loads(c.cmd("show counters json"))
    # Three sends to the primary and one to the secondary, each way.
    assert (ctr["radius_auth_tx"], ctr["radius_acct_tx"],
            ctr["radius_retransmits"], ctr["radius_failovers"]) == \
        (4, 4, 4, 2), ctr
    assert "sent: 4 auth, 4 acct, 4 again, 2 moved to the other server, " \
        "0 not sent (no free id)" in out, out
    assert "answers: 1 accepts, 0 rejects, 1 acct acks, 0 timeouts; " \
        "dropped 0 bad authenticator, 0 malformed, 0 unknown source, " \
        "0 unexpected" in out, out
    js = json.loads(c.cmd("show radius json"))
    assert js["requests"] == []
    assert [(s["server"], s["auth_port"], s["acct_port"]) for s in
            js["servers"]] == [("primary", 1645, 1646),
                               ("secondary", 1812, 1813)]
    assert 0 < js["servers"][0]["auth_dead_s"] <= 30
    assert 0 < js["servers"][0]["acct_dead_s"] <= 30
    assert js["servers"][1]["auth_dead_s"] == 0
    assert (js["accounting"], js["timeout"], js["dae_port"]) == \
        (True, 2, 3799)
    assert '% Bad argument "x": expected json' in c.cmd("show radius x")


def test_show_session_detail_radius_fields(radius_lns, clis):
    """Acct-Session-Id, the Filter-Id access lists, Session-Timeout and
    Idle-Timeout with the time left, the peer's MRU and the connect
    speeds, in the detail view and its JSON, against the Access-Accept
    and the accounting Start FreeRADIUS recorded."""
    d, rad = radius_lns(extra_lines=["ip access-list extended web",
                                     " permit ip any any", "!"])
    lac, p = radius_link(d)
    p.lcp_up(our_opts=opt(1, struct.pack("!H", 1400)) +
             opt(5, struct.pack("!I", p.magic)))
    assert p.pap("alice", "secret", timeout=10)[0] == 2
    ip = p.ipcp_up()[0]
    rec = rad.wait_record("Start", User_Name="alice")
    c = clis(d).login()
    sid = rows(c.cmd("show session"))[0][0]
    detail = c.cmd(f"show session {sid}")
    assert re.search(rf"^  Acct-Session-Id: +{rec['Acct-Session-Id']}$",
                     detail, re.M), detail
    m = re.search(r"^  Session timeout: +3600 s, (\d+) s left$", detail,
                  re.M)
    assert m and 3590 <= int(m.group(1)) <= 3600, detail
    m = re.search(r"^  Idle timeout: +1800 s, (\d+) s left$", detail, re.M)
    assert m and 1790 <= int(m.group(1)) <= 1800, detail
    assert re.search(r"^  Filter: +in web, out web$", detail, re.M), detail
    assert re.search(r"^  Peer MRU: +1400$", detail, re.M), detail
    m = re.search(r"^  Connect speed: +tx (\d+), rx (\d+) bit/s$", detail,
                  re.M)
    assert m and m.group(1) == "10000000", detail   # the ICCN's Tx speed
    assert re.search(rf"IP address: +{re.escape(ip)}$", detail, re.M)
    js = json.loads(c.cmd(f"show session {sid} json"))
    assert (js["sid"], js["user"], js["ip"]) == (int(sid), "alice", ip)
    assert js["acct_session_id"] == rec["Acct-Session-Id"]
    assert (js["filter_in"], js["filter_out"]) == ("web", "web")
    assert (js["session_timeout"], js["idle_timeout"]) == (3600, 1800)
    assert 3590 <= js["session_timeout_left"] <= 3600
    assert 1790 <= js["idle_timeout_left"] <= 1800
    assert js["mru"] == 1400
    assert (js["tx_speed"], js["rx_speed"]) == (10000000, int(m.group(2)))
    # The list form carries the same objects (less the clocks).
    def steady(o):
        return {k: v for k, v in o.items() if k not in (
            "opened", "idle", "session_timeout_left", "idle_timeout_left")}
    [listed] = json.loads(c.cmd("show session json"))["sessions"]
    assert steady(listed) == steady(js)

    # bob's Accept has no limits and no filter.
    lac2, q = radius_link(d, our_sid=78)
    radius_up(q, "bob", "pw2")
    sid2 = [r[0] for r in rows(c.cmd("show session")) if r[2] == "bob"][0]
    detail = c.cmd(f"show session {sid2}")
    assert re.search(r"^  Session timeout: +none$", detail, re.M), detail
    assert re.search(r"^  Idle timeout: +none$", detail, re.M), detail
    assert re.search(r"^  Filter: +in -, out -$", detail, re.M), detail
    assert re.search(r"^  Acct-Session-Id: +[0-9A-F]{16}$", detail, re.M)
    js = json.loads(c.cmd(f"show session {sid2} json"))
    assert (js["session_timeout"], js["session_timeout_left"],
            js["idle_timeout_left"], js["filter_in"]) == (0, -1, -1, "")
    assert js["acct_session_id"] != json.loads(
        c.cmd(f"show session {sid} json"))["acct_session_id"]


def test_plugins_loaded_by_nsctl_show_in_the_cli(daemon, clis, tmp_path):
    """nsctl load_plugin / unload_plugin: the CLI's show plugins follows,
    says "request", and the running configuration does not change."""
    d = daemon({"hostname": HOST, "plugin_dir": str(plugin_dir(tmp_path))},
               extra_lines=["load plugin sessionctl"], users=USERS)
    c = clis(d).login()
    out = c.cmd("show plugins")
    assert re.search(r"^sessionctl +configuration +control$", out, re.M), out
    nsctl(d.ns, "load_plugin", "testplugin", check=0)
    lines = c.cmd("show plugins").splitlines()
    assert lines[1].split()[:2] == ["sessionctl", "configuration"], lines
    assert lines[2].split() == [
        "testplugin", "request", "pre_auth", "post_auth", "packet_rx",
        "packet_tx", "timer", "new_session", "kill_session", "control",
        "radius_response", "radius_reset", "radius_account", "become_master",
        "new_session_master"], lines
    c.enable()
    assert "load plugin sessionctl" in c.cmd("show running-config")
    assert "load plugin testplugin" not in c.cmd("show running-config")
    # A plugin nsctl could not load is not listed.
    nsctl(d.ns, "load_plugin", "badversion", check=1)
    assert "badversion" not in c.cmd("show plugins")
    nsctl(d.ns, "unload_plugin", "testplugin", check=0)
    assert "testplugin" not in c.cmd("show plugins")
    nsctl(d.ns, "unload_plugin", "sessionctl", check=0)
    # Unloaded, but its configuration line is still there: show plugins
    # says so.
    assert re.search(r"^sessionctl +not loaded: see the log$",
                     c.cmd("show plugins"), re.M)


def test_router_bgp_in_configuration_mode(daemon, clis):
    d = daemon({"hostname": HOST}, users="admin:admin\nenable:en\n")
    c = clis(d).login().enable("en")
    c.cmd("configure terminal")
    assert c.cmd("router bgp 64512") == ""
    assert c.p.after.startswith("lns-cli(config-router)")
    assert c.cmd("neighbour 192.0.2.9 remote-as 64513") == ""
    assert c.cmd("neighbor 192.0.2.10 remote-as 64514") == ""
    assert c.cmd("neighbour 192.0.2.9 timers 10 30") == ""
    assert "set remote-as first" in c.cmd("neighbour 192.0.2.11 timers 1 3")
    assert c.cmd("no neighbour 192.0.2.10") == ""
    c.cmd("end")
    bgp = c.cmd("show bgp")
    assert "router bgp 64512" in bgp
    assert "192.0.2.9 remote-as 64513" in bgp
    assert "192.0.2.10" not in bgp
    running = c.cmd("show running-config")
    assert "router bgp 64512" in running
    assert " neighbour 192.0.2.9 timers 10 30" in running
    # one AS at a time, as on a router
    c.cmd("configure terminal")
    assert 'BGP is configured with AS 64512; "no router bgp" first' in \
        c.cmd("router bgp 65000")
    assert "AS from 1 to 4294967295" in c.cmd("router bgp 0")
    assert c.cmd("no router bgp") == ""
    c.cmd("end")
    assert "router bgp" not in c.cmd("show running-config")
    d.wait_for_log(r'config: "router bgp 64512: neighbour 192\.0\.2\.9 '
                   r'remote-as 64513" from the CLI by admin@127\.0\.0\.1')
