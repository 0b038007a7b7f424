"""Local interfaces that run code or change subscribers as root (issue 20,
finding 3 and the nsctl part of finding 8): who may use the
password-less CLI and nsctl, where plugins may come from.

Local users are played by processes started with setpriv as uid 65534
(nobody) inside the daemon's namespace; each test checks what the
daemon answers them on the wire and what it answers root.
"""
import os
import shutil
import socket
import subprocess

import pytest

from conftest import REPO, wait_until
from nsctlhelp import encode, decode, nsctl, plugin_dir

NOBODY = 65534

# A client run as nobody: the repository may not be readable by that user,
# so the script is given whole on the command line.
CLI_CLIENT = """
import socket, sys
s = socket.create_connection(("127.0.0.1", 23), timeout=3)
data = b""
try:
    while len(data) < 4096:
        b = s.recv(4096)
        if not b:
            break
        data += b
        if data.rstrip().endswith((b">", b"#")):
            break
except socket.timeout:
    pass
sys.stdout.write(data.decode("utf-8", "replace"))
"""

NSCTL_CLIENT = """
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
s.sendto(bytes.fromhex(sys.argv[1]), ("127.0.0.1", 1702))
try:
    sys.stdout.write(s.recv(65535).hex())
except socket.timeout:
    sys.stdout.write("timeout")
"""


def as_user(d, uid, script, *args):
    cmd = ["/usr/bin/python3", "-c", script, *args]
    if uid != 0:
        cmd = ["setpriv", f"--reuid={uid}", f"--regid={uid}",
               "--clear-groups", *cmd]
    p = d.ns.run(cmd, check=False, timeout=15)
    assert p.returncode == 0, p.stderr
    return p.stdout


def test_passwordless_cli_only_for_root(daemon):
    d = daemon({"hostname": "lns-sec"}, users=None)
    out = as_user(d, 0, CLI_CLIENT)
    assert out.rstrip().endswith("lns-sec>"), out
    mark = d.log_mark()
    out = as_user(d, NOBODY, CLI_CLIENT)
    assert "only root on this host may use this CLI" in out
    assert "lns-sec>" not in out
    d.wait_for_log(r"CLI: refused a connection from 127\.0\.0\.1 by local "
                   r"uid 65534", since=mark)


def test_trust_local_users_restores_open_cli(daemon):
    d = daemon({"hostname": "lns-sec", "trust_local_users": "yes"},
               users=None)
    out = as_user(d, NOBODY, CLI_CLIENT)
    assert out.rstrip().endswith("lns-sec>"), out


def test_nsctl_only_for_root(daemon):
    d = daemon()
    req = encode(7, "help").hex()
    rep = as_user(d, 0, NSCTL_CLIENT, req)
    assert rep != "timeout"
    typ, xid, result, _ = decode(bytes.fromhex(rep))
    assert (typ, xid) == (2, 7)
    mark = d.log_mark()
    assert as_user(d, NOBODY, NSCTL_CLIENT, req) == "timeout"
    d.wait_for_log(r"nsctl: ignored request from 127\.0\.0\.1:\d+: sent by "
                   r"local uid 65534, not root", since=mark)
    # The tool, run by root, still works.
    nsctl(d.ns, "help", check=0)


def test_nsctl_trust_local_users(daemon):
    d = daemon({"trust_local_users": "yes"})
    rep = as_user(d, NOBODY, NSCTL_CLIENT, encode(9, "help").hex())
    assert rep != "timeout"
    assert decode(bytes.fromhex(rep))[:2] == (2, 9)


def test_plugin_dir_cannot_be_set_from_cli(daemon, tmp_path):
    from test_cli import Cli
    pd = plugin_dir(tmp_path)
    d = daemon({"hostname": "lns-cli", "plugin_dir": str(pd)},
               users="admin:admin\nenable:en\n")
    c = Cli(d).login()
    c.enable("en")
    c.cmd("configure terminal")
    out = c.cmd("set plugin_dir /tmp")
    assert "plugin_dir can only be set in startup-config" in out
    c.cmd("exit")
    assert f'plugin_dir "{pd}"' in c.cmd("show running-config") or \
        f"plugin_dir {pd}" in c.cmd("show running-config")


@pytest.mark.parametrize("how,why", [
    ("dir-owner", "owned by another user"),
    ("dir-group", "writable by its group"),
    ("file-group", "writable by its group"),
])
def test_plugin_path_must_be_roots_alone(daemon, tmp_path, how, why):
    pd = plugin_dir(tmp_path)
    target = pd / "testplugin.so"
    if how == "dir-owner":
        os.chown(pd, NOBODY, NOBODY)
        target = pd
    elif how == "dir-group":
        os.chmod(pd, 0o775)
        target = pd
    else:
        os.chmod(pd / "testplugin.so", 0o664)
    d = daemon({"plugin_dir": str(pd)})
    p = nsctl(d.ns, "load_plugin", "testplugin", check=1)
    assert f"{target} is {why}" in p.stderr, p.stderr
    assert "plugins run as root" in p.stderr


def test_plugin_through_symlink_to_unsafe_place_refused(daemon, tmp_path):
    pd = plugin_dir(tmp_path)
    evil = tmp_path / "evil"
    evil.mkdir()
    shutil.copy(pd / "testplugin.so", evil / "evilplugin.so")
    os.chown(evil, NOBODY, NOBODY)
    os.symlink(evil / "evilplugin.so", pd / "evilplugin.so")
    d = daemon({"plugin_dir": str(pd)})
    p = nsctl(d.ns, "load_plugin", "evilplugin", check=1)
    assert f"{evil} is owned by another user" in p.stderr, p.stderr
    # A safe plugin next to it still loads.
    nsctl(d.ns, "load_plugin", "testplugin", check=0)


# ---- the CLI cannot be locked by connections that never log in ----

def pending(d, src):
    """A connection from 127.0.0.x that stays at the login prompt."""
    s = d.ns.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((src, 0))
    s.settimeout(5)
    s.connect(("127.0.0.1", 23))
    data = b""
    while b"Username:" not in data:
        b = s.recv(4096)
        assert b, data
        data += b
    return s


def closed_by_peer(s, timeout=5):
    s.settimeout(timeout)
    try:
        data = b""
        while True:
            b = s.recv(4096)
            if not b:
                return True
            data += b
    except socket.timeout:
        return False
    except ConnectionResetError:
        return True


def test_cli_pending_logins_capped_per_source(daemon):
    d = daemon({"hostname": "lns-cli"}, users="admin:admin\n")
    held = [pending(d, "127.0.0.2") for _ in range(3)]
    mark = d.log_mark()
    s = d.ns.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.2", 0))
    s.settimeout(5)
    s.connect(("127.0.0.1", 23))
    assert b"Too many CLI sessions" in s.recv(4096)
    d.wait_for_log(r"CLI connection from 127\.0\.0\.2:\d+ refused: logins "
                   r"already in progress from this address", since=mark)
    # Another address is not affected.
    from test_cli import Cli
    Cli(d).login()
    for h in held:
        h.close()


def test_cli_idle_logins_cannot_lock_out_admin(daemon):
    from test_cli import Cli
    d = daemon({"hostname": "lns-cli"}, users="admin:admin\n")
    # Ten connections that never log in, from four addresses.
    held = [pending(d, f"127.0.0.{2 + i // 3}") for i in range(10)]
    mark = d.log_mark()
    # The administrator still gets in: the oldest pending one makes room.
    c = Cli(d).login()
    d.wait_for_log(r"CLI: 10 sessions open; ending the oldest one not "
                   r"logged in \(127\.0\.0\.2:\d+", since=mark)
    assert closed_by_peer(held[0])
    # Logged-in sessions are never the ones ended: ten admins fill every
    # slot, and the next connection is refused.
    for h in held[1:]:
        h.close()
    admins = [c] + [Cli(d).login() for _ in range(9)]
    s = d.ns.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(("127.0.0.1", 23))
    assert b"Too many CLI sessions" in s.recv(4096)
    for a in admins:
        a.cmd("show users")


def test_cli_accept_emfile_does_not_spin(daemon):
    d = daemon({"hostname": "lns-cli"}, users="admin:admin\n")
    pid = d.read_pid_file()
    nfd = len(os.listdir(f"/proc/{pid}/fd"))
    # The soft limit only: it can be raised back afterwards.
    subprocess.run(["prlimit", f"--pid={pid}", f"--nofile={nfd}:"],
                   check=True)
    mark = d.log_mark()

    def cpu():
        f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")
    c0 = cpu()
    s = d.ns.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(("127.0.0.1", 23))     # queued; accept() gets EMFILE
    d.wait_for_log(r"CLI accept: Too many open files; not accepting for a "
                   r"second", since=mark)
    import time
    time.sleep(3)
    used = cpu() - c0
    lines = d.log_text(since=mark).count("CLI accept:")
    # Paused a second at a time: a few lines, not a flood, and the loop
    # idles instead of spinning on the readable listener.
    assert 1 <= lines <= 6, lines
    assert used < 1.0, used
    # Descriptors come back: the queued connection is served.
    subprocess.run(["prlimit", f"--pid={pid}", "--nofile=1024:"],
                   check=True)
    data = b""
    while b"Username:" not in data:
        b = s.recv(4096)
        assert b
        data += b
