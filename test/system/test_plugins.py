"""Plugins against the running daemon (manual: "Plugins", "Writing a
plugin"): loading from startup-config and on reload, refusal of plugins
built for another API version, the timer event, the order of hooks and
PLUGIN_RET_STOP, the session accessors, and the shipped plugins on a
real PPP session (sessionctl, snoopctl, throttlectl, stripdomain).
"""
import os
import re
import shlex
import shutil
import subprocess
import time

import pytest

from conftest import REPO, local_auth, wait_until
from l2tpwire import Lac, result_code
from nsctlhelp import nsctl, plugin_dir
from pppwire import Ppp, LCP, TERMREQ, TERMACK
from test_radius import FreeRadius, radius_cfg
from test_radius import link as radius_link, up as radius_up

SUBSCRIBERS = """\
alice secret
joe pw
"""


def events(d, name="testplugin"):
    return nsctl(d.ns, "test_events", name, check=0).stdout.splitlines()


def test_load_plugin_in_startup_config(daemon, tmp_path):
    d = daemon({"plugin_dir": str(plugin_dir(tmp_path))},
               extra_lines=["load plugin testplugin",
                            "load plugin sessionctl"])
    d.wait_for_log(r"plugin testplugin loaded from \S+/testplugin\.so "
                   r"\(startup-config\)")
    d.wait_for_log(r"plugin sessionctl loaded from \S+ \(startup-config\); "
                   r"hooks: control$")
    ev = events(d)
    assert ev[0] == "init api=100 size=%s" % ev[0].split("size=")[1]
    p = nsctl(d.ns, "help", check=0)
    # In load order.
    assert p.stdout.index("Plugin testplugin:") < \
        p.stdout.index("Plugin sessionctl:")
    assert "drop_session SID|USER [REASON]" in p.stdout


def test_timer_event_once_a_second(daemon, tmp_path):
    d = daemon({"plugin_dir": str(plugin_dir(tmp_path))},
               extra_lines=["load plugin testplugin"])

    def calls():
        return int(events(d)[-1].split("=")[1])
    a = calls()
    time.sleep(2.2)
    b = calls()
    assert 2 <= b - a <= 3, (a, b)


def test_wrong_api_version_refused_daemon_carries_on(daemon, tmp_path):
    d = daemon({"plugin_dir": str(plugin_dir(tmp_path))},
               extra_lines=["load plugin badversion",
                            "load plugin noversion",
                            "load plugin missing",
                            "load plugin testplugin"])
    d.wait_for_log(r"ERROR cannot load plugin badversion: built for plugin "
                   r"API version 7, this l2tpns has version 100; carrying "
                   r"on without it")
    d.wait_for_log(r"ERROR cannot load plugin noversion: \S+/noversion\.so "
                   r"exports no plugin_api_version \(not an l2tpns "
                   r"plugin\?\)")
    d.wait_for_log(r"ERROR cannot load plugin missing: \S+/missing\.so: No "
                   r"such file or directory")
    # The one good plugin after them is loaded.
    nsctl(d.ns, "test_echo", "ok", check=0)
    p = nsctl(d.ns, "load_plugin", "badversion", check=1)
    assert "built for plugin API version 7" in p.stderr


def test_plugin_init_refusal(daemon, tmp_path, monkeypatch):
    monkeypatch.setenv("TESTPLUGIN_REFUSE", "refuser")
    d = daemon({"plugin_dir": str(plugin_dir(
        tmp_path, copies=[("refuser", "testplugin")]))})
    p = nsctl(d.ns, "load_plugin", "refuser", check=1)
    assert "its plugin_init refused (returned -1)" in p.stderr
    nsctl(d.ns, "load_plugin", "testplugin", check=0)


def test_world_writable_plugin_refused(daemon, tmp_path):
    pd = plugin_dir(tmp_path)
    os.chmod(pd / "testplugin.so", 0o666)
    d = daemon({"plugin_dir": str(pd)})
    p = nsctl(d.ns, "load_plugin", "testplugin", check=1)
    assert "testplugin.so is writable by anybody" in p.stderr


def test_reload_applies_load_and_remove_lines(daemon, tmp_path):
    d = daemon({"plugin_dir": str(plugin_dir(tmp_path))},
               extra_lines=["load plugin testplugin"])
    nsctl(d.ns, "load_plugin", "snoopctl", check=0)     # on request
    text = d.reload(extra_lines=["load plugin sessionctl"])
    assert re.search(r"plugin testplugin unloaded \(no longer in the "
                     r"configuration\)", text)
    assert re.search(r"plugin sessionctl loaded from \S+ \(startup-config\)",
                     text)
    help_text = nsctl(d.ns, "help", check=0).stdout
    assert "testplugin" not in help_text
    # A plugin loaded through nsctl stays across reloads.
    assert "Plugin snoopctl:" in help_text
    assert "Plugin sessionctl:" in help_text
    # A config line for an already loaded plugin adopts it.
    text = d.reload(extra_lines=["load plugin sessionctl",
                                 "load plugin snoopctl"])
    assert not re.search(r"plugin \S+ (loaded|unloaded)", text)
    text = d.reload(extra_lines=[])
    assert "plugin snoopctl unloaded" in text
    assert "plugin sessionctl unloaded" in text


def test_hooks_run_in_load_order_and_stop_ends_the_chain(daemon, tmp_path):
    d = daemon({"plugin_dir": str(plugin_dir(
        tmp_path, copies=[("second", "testplugin")]))},
        extra_lines=["load plugin testplugin", "load plugin second"])
    # test_pass: both see it, neither handles it.
    nsctl(d.ns, "test_pass", check=2)
    assert "control test_pass argc=1 master=1" in events(d)
    assert "control test_pass argc=1 master=1" in events(d, "second")
    # test_echo: the first answers with STOP; the second never sees it.
    nsctl(d.ns, "test_echo", "x", check=0)
    assert "control test_echo argc=2 master=1" in events(d)
    assert not any("test_echo" in e for e in events(d, "second"))
    # Unload the first: now the second answers.
    nsctl(d.ns, "unload_plugin", "testplugin", check=0)
    assert nsctl(d.ns, "test_echo", "y", check=0).stdout == "y\n"
    assert "control test_echo argc=2 master=1" in events(d, "second")


# ---- with PPP sessions ----


@pytest.fixture
def lns_factory(daemon, tmp_path):
    def make(plugins, config=None, copies=()):
        path = local_auth(tmp_path, SUBSCRIBERS)
        cfg = {"debug": 4, "hostname": "lns-plugins",
               "local_auth_file": str(path),
               "primary_dns": "192.0.2.53",
               "peer_address": "192.0.2.1",
               "throttle_speed": 2048,
               "plugin_dir": str(plugin_dir(tmp_path, copies))}
        cfg.update(config or {})
        return daemon(cfg, extra_lines=[f"load plugin {p}" for p in plugins])
    return make


def session_up(d, user="alice", password="secret"):
    lac = d.ns.run_in(Lac, "127.0.0.1")
    lac.open_tunnel(host="lac-plugins")
    sid = lac.open_session(our_sid=77)
    p = Ppp(lac, sid, 77)
    ip = p.up(user, password)[0]
    return lac, p, ip


def sid_of(d, user):
    return nsctl(d.ns, "test_find", user, check=0).stdout.strip()


def fields(d, sid):
    out = nsctl(d.ns, "test_session", sid, check=0).stdout
    return dict(line.split("=", 1) for line in out.splitlines())


def test_session_accessors(lns_factory):
    d = lns_factory(["testplugin"])
    lac, p, ip = session_up(d)
    sid = sid_of(d, "alice")
    f = fields(d, sid)
    assert f["user"] == "alice"
    packed = sum(int(o) << (8 * i) for i, o in enumerate(ip.split(".")))
    assert int(f["ip"]) == packed       # network byte order
    assert f["rate_in"] == "0" and f["walled_garden"] == "0"
    nsctl(d.ns, "test_set", sid, "walled_garden", "1", check=0)
    nsctl(d.ns, "test_set", sid, "walled_garden", "2", check=1)
    nsctl(d.ns, "test_set", sid, "cin", "5", check=1)       # read-only
    assert fields(d, sid)["walled_garden"] == "1"
    nsctl(d.ns, "test_session", "9999", check=1)
    nsctl(d.ns, "test_find", "nobody", check=1)


def test_sessionctl_drops_session_by_user_and_id(lns_factory):
    d = lns_factory(["testplugin", "sessionctl"])
    lac, p, _ = session_up(d)
    out = nsctl(d.ns, "drop_session", "alice", "bill", "unpaid",
                check=0).stdout
    assert re.match(r"session \d+ dropped", out)
    t = p.expect(LCP, TERMREQ)
    p.send_cp(LCP, TERMACK, t.id)
    m = p.cdn(timeout=4)
    assert result_code(m)[0] == 3           # administrative
    d.wait_for_log(r"plugin sessionctl drops the session: bill unpaid")
    p2 = nsctl(d.ns, "drop_session", "alice", check=1)
    assert "no session alice" in p2.stderr
    nsctl(d.ns, "drop_session", check=1)

    # By id: the number "show session" prints ("drop" is the 2.x word).
    lac2, p3, _ = session_up(d)
    sid = sid_of(d, "alice")
    out = nsctl(d.ns, "drop", sid, check=0).stdout
    assert out.strip() == f"session {sid} dropped"
    t = p3.expect(LCP, TERMREQ)
    p3.send_cp(LCP, TERMACK, t.id)
    p3.cdn(timeout=4)
    d.wait_for_log(r"requested by administrator")


def test_sessionctl_kill_clears_the_call_without_lcp_terminate(
        lns_factory):
    # 2.x sessionctl "kill": no grace period, the CDN at once.
    d = lns_factory(["testplugin", "sessionctl"])
    lac, p, ip = session_up(d)
    n = len(p.frames)
    out = nsctl(d.ns, "kill_session", "alice", "line", "fault",
                check=0).stdout
    assert re.match(r"session \d+ killed", out), out
    m = p.cdn(timeout=2)
    assert result_code(m)[0] == 3           # administrative
    assert not [f for f in p.frames[n:] if f.proto == LCP and
                f.code == TERMREQ], p.frames[n:]
    d.wait_for_log(r"plugin sessionctl kills the session: line fault")
    nsctl(d.ns, "kill_session", "alice", check=1)
    # By id, with the 2.x word.
    lac2, p2, _ = session_up(d)
    sid = sid_of(d, "alice")
    assert nsctl(d.ns, "kill", sid, check=0).stdout.strip() == \
        f"session {sid} killed"
    p2.cdn(timeout=2)


def test_snoopctl_and_throttlectl_set_session_fields(lns_factory):
    d = lns_factory(["testplugin", "snoopctl", "throttlectl"])
    session_up(d)
    sid = sid_of(d, "alice")
    nsctl(d.ns, "snoop", "alice", "192.0.2.9", "5000", check=0)
    f = fields(d, sid)
    assert int(f["snoop_ip"]) == 0x0902_00C0 and f["snoop_port"] == "5000"
    p = nsctl(d.ns, "snoop", sid, "192.0.2.9", "5000", check=1)
    assert "already intercepted" in p.stderr
    nsctl(d.ns, "snoop", "alice", "192.0.2.9", "0", check=1)
    nsctl(d.ns, "snoop", "alice", "nowhere", "1", check=1)
    nsctl(d.ns, "unsnoop", "alice", check=0)
    assert fields(d, sid)["snoop_ip"] == "0"
    assert "not intercepted" in nsctl(d.ns, "unsnoop", "alice",
                                      check=1).stderr

    nsctl(d.ns, "throttle", "alice", check=0)         # throttle_speed
    f = fields(d, sid)
    assert (f["rate_in"], f["rate_out"]) == ("2048", "2048")
    out = nsctl(d.ns, "throttle", sid, "in", "64", "out", "512",
                check=0).stdout
    assert out.strip() == f"session {sid} throttled: in 64, out 512 kbit/s"
    nsctl(d.ns, "throttle", "alice", "in", check=1)
    nsctl(d.ns, "throttle", "alice", "fast", check=1)
    nsctl(d.ns, "unthrottle", "alice", check=0)
    f = fields(d, sid)
    assert (f["rate_in"], f["rate_out"]) == ("0", "0")
    nsctl(d.ns, "throttle", "nobody", check=1)


# ---- the PPP events (pre_auth, post_auth, new_session, kill_session) ----
#
# They are raised by the PPP code (ppp.c), new_session and kill_session
# through the session notifier (session.c, plugin.c).  Each test below
# runs once the daemon raises the events it checks, and says why it is
# skipped before.

def _raised(*events):
    from conftest import REPO
    src = "".join((REPO / f).read_text()
                  for f in ("ppp.c", "auth.c", "plugin.c")
                  if (REPO / f).exists())
    missing = [e for e in events if e not in src]
    return pytest.mark.skipif(
        bool(missing), reason="ppp.c does not raise %s yet" %
        ", ".join(missing))


@_raised("PLUGIN_PRE_AUTH", "PLUGIN_POST_AUTH", "PLUGIN_NEW_SESSION",
         "PLUGIN_KILL_SESSION")
def test_event_sequence_of_a_session(lns_factory):
    d = lns_factory(["testplugin"])
    lac, p, ip = session_up(d)
    sid = sid_of(d, "alice")
    nsctl(d.ns, "test_drop", sid, check=0)
    t = p.expect(LCP, TERMREQ)
    p.send_cp(LCP, TERMACK, t.id)
    p.cdn(timeout=4)
    ev = [e for e in events(d) if not e.startswith(("control ", "init ",
                                                   "timer"))]
    tid = re.search(r"tid=(\d+)", ev[0]).group(1)
    assert tid != "0"
    assert ev[0] == f"pre_auth sid={sid} tid={tid} user=alice proto=0xc023", \
        ev
    assert ev[1] == (f"post_auth sid={sid} tid={tid} user=alice allowed=1 "
                     f"proto=0xc023"), ev
    assert ev[2] == f"new_session sid={sid} tid={tid}", ev
    assert ev[3] == f"kill_session sid={sid} tid={tid} reason=test_drop", ev


@_raised("PLUGIN_PRE_AUTH")
def test_pre_auth_stop_ends_the_chain_and_reject(lns_factory, monkeypatch):
    monkeypatch.setenv("TESTPLUGIN_STOP", "testplugin")
    monkeypatch.setenv("TESTPLUGIN_REJECT", "second")
    d = lns_factory(["testplugin", "second"],
                    copies=[("second", "testplugin")])
    # The first plugin returns STOP: the second (which would reject)
    # never sees pre_auth, and alice gets in.
    session_up(d)
    assert any(e.startswith("pre_auth") for e in events(d))
    assert not any(e.startswith("pre_auth") for e in events(d, "second"))
    # Without the first, the second rejects.
    nsctl(d.ns, "unload_plugin", "testplugin", check=0)
    lac = d.ns.run_in(Lac, "127.0.0.1")
    lac.open_tunnel(host="lac-2")
    p = Ppp(lac, lac.open_session(our_sid=78), 78)
    p.lcp_up()
    code, _ = p.pap("alice", "secret")
    assert code == 3


@_raised("PLUGIN_PRE_AUTH")
def test_stripdomain_authenticates_user_at_realm_as_user(lns_factory):
    d = lns_factory(["stripdomain", "testplugin"])
    session_up(d, "joe@isp.example", "pw")
    assert sid_of(d, "joe")
    assert any(e.startswith("post_auth") and "user=joe " in e
               for e in events(d))


# ---- against a real FreeRADIUS ----

RADIUS_USERS = """\
alice	Cleartext-Password := "secret"
	Cisco-AVPair += "throttle=512",
	Cisco-AVPair += "lcp:interface-config#1=service-policy output 2048",
	Cisco-AVPair += "x-test=third pair"

joe	Cleartext-Password := "pw"
"""


@pytest.fixture
def radius_lns(daemon, netns, tmp_path):
    """radius_lns(plugins) -> (lns, FreeRADIUS), both in one namespace;
    the FreeRADIUS of test_radius.py with RADIUS_USERS."""
    def make(plugins, config=None):
        ns = netns()
        rad = FreeRadius(ns, tmp_path / "radius", users=RADIUS_USERS).start()
        cfg = radius_cfg(hostname="lns-plugins",
                         plugin_dir=str(plugin_dir(tmp_path)))
        cfg.update(config or {})
        d = daemon(cfg, ns=ns,
                   extra_lines=[f"load plugin {p}" for p in plugins])
        return d, rad
    return make


def test_event_sequence_with_radius_avpairs(radius_lns):
    """The order the manual gives ("Writing a plugin"): pre_auth, one
    radius_response per Cisco-AVPair of the Access-Accept in the reply's
    order, post_auth, radius_account (Start), new_session, timer while
    the session is up, kill_session, radius_account (Stop)."""
    d, rad = radius_lns(["testplugin"])
    lac, p = radius_link(d)
    radius_up(p, "alice", "secret")
    sid = sid_of(d, "alice")
    rad.wait_record("Start", User_Name="alice")

    def tail_after_new_session():
        ev = events(d)
        k = [i for i, e in enumerate(ev) if e.startswith("new_session")]
        return k and [e for e in ev[k[0]:] if e.startswith("timer n=")]
    wait_until(tail_after_new_session, what="a timer event after "
               "new_session")
    nsctl(d.ns, "test_drop", sid, check=0)
    t = p.expect(LCP, TERMREQ)
    p.send_cp(LCP, TERMACK, t.id)
    p.cdn(timeout=6)
    rad.wait_record("Stop", User_Name="alice")
    wait_until(lambda: any(e.startswith("radius_account") and "status=2"
                           in e for e in events(d)), what="the Stop event")
    ev = events(d)
    life = [e for e in ev if not e.startswith(("control ", "init ",
                                               "timer"))]
    tid = re.search(r"tid=(\d+)", life[0]).group(1)
    assert life == [
        f"pre_auth sid={sid} tid={tid} user=alice proto=0xc023",
        f"radius_response sid={sid} key=throttle value=512",
        f"radius_response sid={sid} key=lcp:interface-config#1 "
        "value=service-policy output 2048",
        f"radius_response sid={sid} key=x-test value=third pair",
        f"post_auth sid={sid} tid={tid} user=alice allowed=1 proto=0xc023",
        f"radius_account sid={sid} status=1",
        f"new_session sid={sid} tid={tid}",
        f"kill_session sid={sid} tid={tid} reason=test_drop",
        f"radius_account sid={sid} status=2",
    ], ev
    # The timer ran while the session was up, between new_session and
    # kill_session.
    i = ev.index(f"new_session sid={sid} tid={tid}")
    k = ev.index(f"kill_session sid={sid} tid={tid} reason=test_drop")
    assert any(e.startswith("timer n=") for e in ev[i:k]), ev


def test_stripdomain_at_freeradius(radius_lns):
    """Only "joe" exists at FreeRADIUS: joe@isp.example is refused
    without stripdomain, and authenticates and is accounted as "joe"
    once nsctl has loaded it."""
    d, rad = radius_lns(["testplugin"])
    lac, p = radius_link(d)
    p.lcp_up()
    code, _ = p.pap("joe@isp.example", "pw", timeout=10)
    assert code == 3
    wait_until(lambda: 'User-Name = "joe@isp.example"' in rad.output(),
               what="FreeRADIUS to see the full name")
    nsctl(d.ns, "load_plugin", "stripdomain", check=0)
    mark = len(rad.output())
    lac2, q = radius_link(d, our_sid=78)
    radius_up(q, "joe@isp.example", "pw")
    seen = rad.output()[mark:]
    assert 'User-Name = "joe"' in seen, seen
    assert "joe@isp.example" not in seen, seen
    start = rad.wait_record("Start", User_Name="joe")
    sid = sid_of(d, "joe")
    assert int(start["NAS-Port"]) == int(sid)
    assert fields(d, sid)["user"] == "joe"
    assert any(e.startswith(f"pre_auth sid={sid} ") and
               "user=joe@isp.example " in e for e in events(d))
    tid = fields(d, sid)["tunnel"]
    assert f"post_auth sid={sid} tid={tid} user=joe allowed=1 " \
        "proto=0xc023" in events(d)


# ---- the manual's example ----


def test_manual_example_plugin_builds_loads_and_answers(daemon, tmp_path):
    """The plugin of "Writing a plugin" in the manual, built with the
    manual's command line against plugin.h alone (as installed in
    /usr/include/l2tpns), loaded with the manual's nsctl line."""
    text = (REPO / "Docs" / "manual.md").read_text()
    sec = text.split("\n### Writing a plugin\n", 1)[1].split("\n## ", 1)[0]
    code = re.search(r"```c\n(.*?)```", sec, re.S).group(1)
    steps = re.search(r"```\n(cc [^\n]+)\n(install [^\n]+)\n"
                      r"(nsctl [^\n]+)\n```", sec)
    assert steps, "the build, install and load lines"
    inc = tmp_path / "include" / "l2tpns"
    inc.mkdir(parents=True)
    shutil.copy(REPO / "plugin.h", inc / "plugin.h")
    (tmp_path / "hello.c").write_text(code)
    cc = shlex.split(steps.group(1).replace("/usr/include/l2tpns",
                                            str(inc)))
    p = subprocess.run(cc + ["-Wall", "-Wextra", "-Werror"], cwd=tmp_path,
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    pd = plugin_dir(tmp_path)
    inst = shlex.split(steps.group(2))
    assert inst[-1] == "/usr/lib/l2tpns/"
    subprocess.run(inst[:-1] + [str(pd) + "/"], cwd=tmp_path, check=True)
    d = daemon({"plugin_dir": str(pd)})
    # "nsctl load_plugin hello && nsctl hello"
    first, second = [shlex.split(c) for c in steps.group(3).split("&&")]
    assert first[:2] == ["nsctl", "load_plugin"] and second[0] == "nsctl"
    nsctl(d.ns, *first[1:], check=0)
    assert "Plugin hello:\n  hello  say hello" in \
        nsctl(d.ns, "help", check=0).stdout
    assert nsctl(d.ns, *second[1:], check=0).stdout == "hello, world\n"
    nsctl(d.ns, "hellox", check=2)      # not its command: unknown
