"""The nsctl tool and the control protocol against the running daemon
(manual: "nsctl", "The control protocol"): built-in commands, exit
statuses, plugin commands, nsctl_allow, malformed datagrams, retries.
"""
import os
import re
import socket
import subprocess
import time

import pytest

from conftest import REPO
from nsctlhelp import (NSCTL_BIN, PLUGINS, REPLY, decode, encode, nsctl,
                       plugin_dir)


@pytest.fixture
def lns(daemon, tmp_path):
    return daemon({"plugin_dir": str(plugin_dir(tmp_path))})


def udp_exchange(ns, payload, port=1702, timeout=1.0, src=None):
    """Send one datagram to 127.0.0.1:port from inside ``ns``; returns the
    reply bytes or None."""
    def run():
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(timeout)
        try:
            if src:
                s.bind((src, 0))
            s.sendto(payload, ("127.0.0.1", port))
            try:
                return s.recv(65536)
            except (socket.timeout, ConnectionRefusedError):
                return None
        finally:
            s.close()
    return ns.run_in(run)


def test_help_lists_builtins(lns):
    p = nsctl(lns.ns, "help", check=0)
    for word in ("help", "load_plugin NAME", "unload_plugin NAME"):
        assert word in p.stdout
    assert p.stderr == ""
    lns.wait_for_log(r"nsctl from 127\.0\.0\.1:\d+: help: ok")


def test_usage_errors(lns):
    p = nsctl(lns.ns, check=64)
    assert "usage:" in p.stderr
    assert nsctl(lns.ns, "load_plugin", check=1).stderr.strip() == \
        "usage: load_plugin NAME"
    assert "usage:" in nsctl(lns.ns, "help", "extra", check=1).stderr
    p = lns.ns.run([NSCTL_BIN, "-t", "0", "help"], check=False)
    assert p.returncode == 64 and "bad timeout" in p.stderr
    p = lns.ns.run([NSCTL_BIN, "--help"], check=False)
    assert p.returncode == 0 and "Exit status" in p.stdout


def test_unknown_command(lns):
    p = nsctl(lns.ns, "frobnicate", "x", check=2)
    assert 'unknown command "frobnicate"' in p.stderr
    assert p.stdout == ""


def test_load_plugin_command_unload(lns):
    p = nsctl(lns.ns, "load_plugin", "testplugin", check=0)
    assert re.search(r"plugin testplugin loaded from .*/testplugin\.so",
                     p.stdout)
    lns.wait_for_log(r"plugin testplugin loaded from \S+/testplugin\.so "
                     r"\(on request\); hooks: pre_auth post_auth .*control")
    # Its help lines, and its command.
    p = nsctl(lns.ns, "help", check=0)
    assert "Plugin testplugin:" in p.stdout
    assert "test_echo ARGS..." in p.stdout
    p = nsctl(lns.ns, "test_echo", "hello", "two words", check=0)
    assert p.stdout == "hello two words\n"
    # Loading it twice is refused.
    p = nsctl(lns.ns, "load_plugin", "testplugin", check=1)
    assert "already loaded" in p.stderr
    # Unloaded: its command is unknown again, and its done ran.
    mark = lns.log_mark()
    p = nsctl(lns.ns, "unload_plugin", "testplugin", check=0)
    assert p.stdout.strip() == "plugin testplugin unloaded"
    lns.wait_for_log(r"plugin testplugin: testplugin done", since=mark)
    nsctl(lns.ns, "test_echo", "x", check=2)
    assert "testplugin" not in nsctl(lns.ns, "help", check=0).stdout
    p = nsctl(lns.ns, "unload_plugin", "testplugin", check=1)
    assert "plugin testplugin is not loaded" in p.stderr


def test_load_missing_plugin_clear_error_daemon_serves(lns):
    p = nsctl(lns.ns, "load_plugin", "nosuchplugin", check=1)
    assert re.search(r"cannot load plugin nosuchplugin: \S+/nosuchplugin"
                     r"\.so: No such file or directory", p.stderr), p.stderr
    lns.wait_for_log(r"ERROR cannot load plugin nosuchplugin")
    nsctl(lns.ns, "help", check=0)
    assert lns.running()


def test_plugin_name_cannot_leave_plugin_dir(lns):
    for name in ("../testplugin", "/tmp/x", "a.b", "x" * 64, ""):
        p = nsctl(lns.ns, "load_plugin", name, check=1)
        assert "bad plugin name" in p.stderr, (name, p.stderr)


def test_plugin_results(lns):
    nsctl(lns.ns, "load_plugin", "testplugin", check=0)
    p = nsctl(lns.ns, "test_fail", check=1)
    assert p.stderr.strip() == "testplugin: failure requested"
    p = nsctl(lns.ns, "test_error", check=1)
    assert p.stderr.strip() == "test_error failed in a plugin"
    p = nsctl(lns.ns, "test_notmaster", check=1)
    assert "must be run on the cluster master" in p.stderr
    p = nsctl(lns.ns, "test_config", "nsctl_port", check=0)
    assert p.stdout.strip() == "nsctl_port=1702"
    nsctl(lns.ns, "test_config", "no_such_key", check=1)
    # A reply too big for one datagram is cut, and says so.
    p = nsctl(lns.ns, "test_many", "1000", check=0)
    lines = p.stdout.splitlines()
    assert lines[0] == "line 0" and lines[-1] == "(output truncated)"
    assert len(lines) <= 64


def test_no_daemon_connection_refused(lns):
    p = nsctl(lns.ns, "-h", "127.0.0.1:1703", "help", check=3)
    assert "connection refused" in p.stderr


def test_nsctl_port_zero_closes_the_port(daemon, tmp_path):
    d = daemon({"nsctl_port": 0})
    d.wait_for_log(r"nsctl_port is 0: no control protocol")
    nsctl(d.ns, "help", check=3)


def test_other_port(daemon):
    d = daemon({"nsctl_port": 11702})
    nsctl(d.ns, "help", check=3)
    nsctl(d.ns, "-h", "localhost:11702", "help", check=0)


def test_dump_option(lns):
    p = nsctl(lns.ns, "-d", "help", check=0)
    assert "request (18 bytes):\n  4e 43 01 01" in p.stderr
    assert "reply (" in p.stderr


def test_source_not_allowed_gets_nothing_and_is_counted(lns, netns):
    other = netns()
    netns.veth(lns.ns, other, "10.9.0.1/24", "10.9.0.2/24")
    start = time.monotonic()
    p = nsctl(other, "-h", "10.9.0.1", "-t", "1.5", "load_plugin",
              "testplugin", check=3)
    assert time.monotonic() - start >= 1.4
    assert "no answer from 10.9.0.1:1702 after 1.5 s" in p.stderr
    assert "nsctl_allow" in p.stderr
    # Three attempts (retries), each ignored and counted; nothing ran.
    m = lns.wait_for_log(r"nsctl: ignored request from 10\.9\.0\.2:\d+: "
                         r"not in nsctl_allow \(3 ignored so far\)")
    assert m
    assert "testplugin" not in lns.log_text()
    assert "testplugin" not in nsctl(lns.ns, "help", check=0).stdout

    # Allowed after a reload that adds the network; loopback still is.
    lns.reload({"nsctl_allow": "127.0.0.0/8, 10.9.0.0/24"})
    nsctl(other, "-h", "10.9.0.1", "help", check=0)
    nsctl(lns.ns, "help", check=0)
    # Loopback dropped from the list: refused from the server too.
    lns.reload({"nsctl_allow": "10.9.0.2"})
    nsctl(other, "-h", "10.9.0.1", "help", check=0)
    nsctl(lns.ns, "help", timeout=1, check=3)
    lns.wait_for_log(r"ignored request from 127\.0\.0\.1")


def test_bad_allow_entries_grant_nothing(daemon):
    d = daemon({"nsctl_allow": "127.0.0.1/33,bogus,127.0.0.1"})
    d.wait_for_log(r'nsctl_allow: bad prefix length in "127.0.0.1/33"')
    d.wait_for_log(r'nsctl_allow: "bogus" is not an IPv4 address')
    nsctl(d.ns, "help", check=0)


MALFORMED = [
    ("short", b"\x4e"),
    ("short", b"\x4e\x43\x01\x01\x00"),
    ("bad magic", encode(1, "help", magic=0x1234)),  # 0x9013: 2.x format
    ("unsupported version", encode(1, "help", version=2)),
    ("unexpected type", encode(1, "help", typ=REPLY)),
    ("bad argument count", encode(1)),
    ("bad argument count", encode(1, "help", argc=200)),
    ("bad string length", encode(1, "help")[:-1]),
    ("bad string length", encode(1, "help", argc=2)),
    ("trailing bytes", encode(1, "help") + b"\0"),
    ("bad format", encode(1, "he\0p")),
    ("bad format", encode(1, "help", reserved=1)),
    ("bad format", encode(1, "help", result=1)),
]


def test_malformed_datagrams_dropped_and_counted(lns):
    mark = lns.log_mark()
    for i, (why, payload) in enumerate(MALFORMED, 1):
        assert udp_exchange(lns.ns, payload, timeout=0.3) is None, why
        lns.wait_for_log(rf"nsctl: dropped malformed request from "
                         rf"127\.0\.0\.1:\d+: {why} \({i} malformed so "
                         rf"far\)", since=mark)
    # A datagram larger than any request.
    assert udp_exchange(lns.ns, encode(1, "x" * 1000, *(["y" * 1000] * 8)),
                        timeout=0.3) is None
    lns.wait_for_log(r"bad string length \(%d malformed" %
                     (len(MALFORMED) + 1), since=mark)
    # Still serving.
    nsctl(lns.ns, "help", check=0)


def test_reply_format_and_retry_answered_from_cache(lns):
    nsctl(lns.ns, "load_plugin", "testplugin", check=0)
    req = encode(0xABCDEF01, "test_pass", "once")
    r1 = udp_exchange(lns.ns, req)
    typ, xid, result, strings = decode(r1)
    assert (typ, xid, result) == (REPLY, 0xABCDEF01, 2)     # unknown
    assert strings == ['unknown command "test_pass" ("help" lists the '
                       'commands)']
    # Same xid from another port: another client, run again.  Same xid
    # from the same port (a retry): the cached reply, not run again.
    def retry():
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(1)
        s.sendto(encode(7, "test_pass", "retried"), ("127.0.0.1", 1702))
        a = s.recv(65536)
        s.sendto(encode(7, "test_pass", "retried"), ("127.0.0.1", 1702))
        b = s.recv(65536)
        s.close()
        return a, b
    a, b = lns.ns.run_in(retry)
    assert a == b
    events = nsctl(lns.ns, "test_events", "testplugin", check=0).stdout
    assert events.count("control test_pass argc=2") == 2, events


# ---- the manual page ----


def control_help(name):
    """The plugin_control_help lines of plugin NAME, read from its source
    (not dlopen()ed here: under the sanitizer build it would need the
    sanitizer runtime in this process)."""
    src = (REPO / f"{name}.c").read_text()
    m = re.search(r"plugin_control_help\[\]\s*=\s*\{(.*?)\};", src, re.S)
    if m is None:
        return []
    lines, cur = [], None
    for lit, comma in re.findall(r'"((?:[^"\\]|\\.)*)"|(,)', m.group(1)):
        if comma:
            if cur is not None:
                lines.append(cur)
            cur = None
        else:           # adjacent literals are one string
            cur = (cur or "") + lit.replace('\\"', '"')
    if cur is not None:
        lines.append(cur)
    return lines


def test_man_page_documents_options_statuses_and_plugin_commands(lns):
    env = dict(os.environ, MANWIDTH="80", MAN_KEEP_FORMATTING="",
               LC_ALL="C.UTF-8")
    page = subprocess.run(["man", "-l", str(REPO / "Docs" / "nsctl.8")],
                          capture_output=True, text=True, env=env,
                          timeout=30, check=True).stdout
    page = re.sub(r".\x08", "", page)
    section = {}
    for name, body in re.findall(r"^([A-Z][A-Z ]+)\n(.*?)(?=^[A-Z]|\Z)",
                                 page, re.M | re.S):
        section[name] = body
    usage = lns.ns.run([NSCTL_BIN, "--help"]).stdout
    for opt in re.findall(r"^\s+(-\w|--[\w-]+)", usage, re.M):
        assert re.search(r"^ {7}%s\b" % re.escape(opt), section["OPTIONS"],
                         re.M), opt
    statuses = re.findall(r"(\d+) [a-z]", usage.split("Exit status:")[1])
    assert statuses == ["0", "1", "2", "3", "64"], usage
    assert re.findall(r"^ {7}(\d+) ", section["EXIT STATUS"], re.M) == \
        statuses
    # The built-in commands, as the daemon's help lists them.
    text = nsctl(lns.ns, "help", check=0).stdout
    builtins = re.findall(r"^  (\w+)", text.split("Plugin ")[0], re.M)
    assert builtins == ["help", "load_plugin", "unload_plugin"], text
    for word in builtins:
        assert re.search(r"^ {7}%s\b" % word, section["DESCRIPTION"], re.M)
    # Every command of every shipped plugin, attributed to its plugin.
    documented = dict(re.findall(r"^ {7}(\w+)[^\n]*\n {14}\((\w+)\)",
                                 section["DESCRIPTION"], re.M))
    commands = {line.split()[0]: name for name in PLUGINS
                for line in control_help(name)}
    assert "drop_session" in commands and "throttle" in commands
    assert {w: documented.get(w) for w in commands} == commands
    # What a plugin exports is what nsctl help shows once it is loaded.
    nsctl(lns.ns, "load_plugin", "sessionctl", check=0)
    text = nsctl(lns.ns, "help", check=0).stdout
    assert text.split("Plugin sessionctl:\n")[1].splitlines() == \
        ["  " + line for line in control_help("sessionctl")]
