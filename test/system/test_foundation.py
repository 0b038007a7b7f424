"""
Foundation system tests: startup, the tun device, the pid file, signals,
configuration reload, startup refusal on bad configuration, and the
command-line options (manual: "Running", "startup-config", "Signals").
"""

import re
import signal
import time

import pytest

from conftest import PROGNAME, REPO, wait_until


def version_from_source():
    m = re.search(r'#define\s+L2TPNS_VERSION\s+"([^"]+)"',
                  (REPO / "l2tpns.h").read_text())
    assert m, "L2TPNS_VERSION not found in l2tpns.h"
    return m.group(1)


def assert_tun(d, addr, mtu):
    """The tun device exists, is UP, has exactly ``addr``/32 and ``mtu``."""
    a = d.ns.addr(d.tun)
    assert a is not None, f"no {d.tun} in {d.ns.name}: {d.ns.links().keys()}"
    assert "UP" in a["flags"], a["flags"]
    assert a["mtu"] == mtu
    assert d.tun_addrs() == [f"{addr}/32"]


def refusal(d, rc_timeout=5):
    """Start a daemon expected to refuse its config; returns stderr."""
    d.start(wait_ready=False)
    rc = d.wait_exit(rc_timeout)
    err = d.stderr()
    assert rc == 1, f"exit status {rc}, stderr:\n{err}"
    assert re.search(rf"^{PROGNAME}: refusing to start: \d+ errors? in "
                     rf"{re.escape(str(d.config_path))}$", err, re.M), err
    # Nothing was set up: no tun device, no pid file, no log.
    assert d.tun_link() is None, d.ns.links()
    assert not d.pid_path.exists()
    assert d.log_text() == ""
    return err


# ---------------------------------------------------------------------------
# startup and the tun device


def test_tun_has_bind_address_mtu_and_is_up(daemon):
    d = daemon({"bind_address": "192.0.2.7", "l2tp_mtu": 1400})
    assert_tun(d, "192.0.2.7", 1400)
    d.wait_for_log(r"tun device tun0 up with address 192\.0\.2\.7 mtu 1400")


def test_tun_defaults_to_1_1_1_1_and_mtu_1500(daemon):
    d = daemon({"bind_address": None, "l2tp_mtu": None})
    assert_tun(d, "1.1.1.1", 1500)


def test_tundevicename(daemon):
    d = daemon({"tundevicename": "l2tptest0", "bind_address": "192.0.2.9"})
    assert_tun(d, "192.0.2.9", 1500)
    assert d.tun == "l2tptest0"
    assert d.ns.link("tun0") is None


def test_startup_log_lines(daemon):
    d = daemon({"debug": 3})
    log = d.log_text()
    assert re.search(rf"WARN l2tpns {re.escape(version_from_source())} "
                     rf"starting, config {re.escape(str(d.config_path))}, "
                     r"debug 3$", log, re.M), log
    assert re.search(r"INFO 1 CLI users loaded from ", log), log
    # 198.51.100.0/26: 62 usable addresses (network and broadcast excluded)
    assert re.search(r"INFO ip_pool .*: 62 addresses in 1 ranges?$", log,
                     re.M), log
    assert re.search(r"WARN ready: 62 pool addresses", log), log


# ---------------------------------------------------------------------------
# pid file


def test_pid_file_holds_pid_and_is_removed_after_term(daemon):
    d = daemon()
    assert d.read_pid_file() == d.proc.pid
    assert d.pid_path.read_text() == f"{d.proc.pid}\n"
    assert d.ns.owns_pid(d.read_pid_file())
    d.signal(signal.SIGTERM)
    assert d.wait_exit() == 0
    assert not d.pid_path.exists()


# ---------------------------------------------------------------------------
# signals


@pytest.mark.parametrize("sig,name", [(signal.SIGTERM, "SIGTERM"),
                                      (signal.SIGINT, "SIGINT")])
def test_term_and_int_exit_leaving_sessions(daemon, sig, name):
    d = daemon()
    mark = d.log_mark()
    d.signal(sig)
    assert d.wait_exit() == 0
    log = d.log_text(mark)
    assert re.search(rf"WARN {name} from pid \d+: exiting", log), log
    # stand-alone (no cluster_interface address): nobody takes them over
    assert re.search(r"WARN exiting after \d+ seconds \(tunnels and "
                     r"sessions left alone\)$", log, re.M), log
    assert "clean shutdown" not in log
    assert not d.pid_path.exists()
    # The device goes with the process.
    assert d.tun_link() is None


def test_quit_is_clean_shutdown(daemon):
    d = daemon()
    mark = d.log_mark()
    d.signal(signal.SIGQUIT)
    assert d.wait_exit() == 0
    log = d.log_text(mark)
    assert re.search(r"WARN SIGQUIT from pid \d+: shutting down", log), log
    assert re.search(r"WARN exiting after \d+ seconds \(clean shutdown\)$",
                     log, re.M), log
    assert "sessions left to the cluster" not in log
    assert not d.pid_path.exists()


# ---------------------------------------------------------------------------
# HUP: configuration reload


def test_hup_applies_debug_change(daemon):
    d = daemon({"debug": 3})
    out = d.reload({"debug": 4})
    assert re.search(r"SIGHUP from pid \d+: reloading configuration", out), out
    assert 'config: debug changed from "3" to "4"' in out, out
    assert re.search(rf"configuration reloaded from "
                     rf"{re.escape(str(d.config_path))}: 1 change, 0 errors$",
                     out, re.M), out
    # The new level is in force: a second reload with no change says so.
    out = d.reload()
    assert not re.search(r"INFO config: ", out), out
    assert out.rstrip().endswith("0 changes, 0 errors"), out


def test_hup_without_changes_reports_none(daemon):
    d = daemon()
    out = d.reload()
    assert "changed from" not in out
    assert re.search(r"configuration reloaded from .*: 0 changes, 0 errors$",
                     out, re.M), out


def test_hup_bad_line_keeps_running_value(daemon):
    d = daemon({"debug": 3, "primary_dns": "192.0.2.53"},
               extra_lines=["# comment", ""])
    out = d.reload({"debug": "9", "primary_dns": "192.0.2.54"})
    line = d.line_of("debug")
    assert re.search(rf"ERROR {re.escape(str(d.config_path))}:{line}: "
                     rf'bad value "9" for debug: .* \(keeping the running '
                     rf"value\)$", out, re.M), out
    # The other, good change of the same reload is applied.
    assert 'config: primary_dns changed from "192.0.2.53" to "192.0.2.54"' \
        in out, out
    assert "debug changed" not in out
    assert re.search(r"reloaded from .*: 1 change, 1 error$", out, re.M), out
    # The running debug is still 3: a later good change starts from it.
    out = d.reload({"debug": 4})
    assert 'config: debug changed from "3" to "4"' in out, out
    assert out.rstrip().endswith("1 change, 0 errors"), out
    assert d.running()


def test_hup_unknown_key_is_reported_and_ignored(daemon):
    d = daemon()
    out = d.reload(extra_lines=["", "set no_such_key 1"])
    line = d.line_of("no_such_key")
    assert re.search(rf"{re.escape(str(d.config_path))}:{line}: unknown key "
                     r'"no_such_key"', out), out
    assert re.search(r"0 changes, 1 error$", out, re.M), out
    assert d.running()


def test_hup_bind_address_needs_restart(daemon):
    d = daemon({"bind_address": "192.0.2.7"})
    out = d.reload({"bind_address": "192.0.2.8"})
    assert re.search(rf"WARN {re.escape(str(d.config_path))}: bind_address "
                     r'changed to "192\.0\.2\.8" but needs a restart; '
                     r'keeping "192\.0\.2\.7"', out), out
    assert "INFO config: bind_address" not in out
    assert re.search(r"0 changes, 0 errors$", out, re.M), out
    assert d.tun_addrs() == ["192.0.2.7/32"]


def test_hup_missing_config_keeps_running_config(daemon):
    d = daemon({"debug": 3})
    d.config_path.unlink()
    mark = d.log_mark()
    d.signal(signal.SIGHUP)
    d.wait_for_log(r"reload of .* failed; running configuration kept",
                   since=mark)
    assert "cannot open" in d.log_text(mark)
    # Still running with the old values.
    d.write_config({"debug": 4})
    out = d.reload()
    assert 'config: debug changed from "3" to "4"' in out, out


def test_hup_reopens_log_file(daemon):
    d = daemon()
    rotated = d.log_path.with_suffix(".log.1")
    d.log_path.rename(rotated)
    d.signal(signal.SIGHUP)
    d.wait_for_log(r"configuration reloaded from ")
    # The HUP itself is logged before the reopen, to the old file.
    assert re.search(r"SIGHUP from pid \d+", rotated.read_text())
    assert "configuration reloaded" not in rotated.read_text()
    assert " ready: " not in d.log_text()


# ---------------------------------------------------------------------------
# startup refusal


def test_refuses_unknown_key_with_file_and_line(daemon):
    d = daemon(extra_lines=["# a comment", "! another", "",
                            "set no_such_key 1", "set debug 3"], start=False)
    line = d.line_of("no_such_key")
    assert line > 5
    err = refusal(d)
    assert f'{PROGNAME}: {d.config_path}:{line}: unknown key "no_such_key"' \
        in err.splitlines(), err
    assert "refusing to start: 1 error in" in err


def test_refuses_bad_value_with_file_and_line(daemon):
    d = daemon({"debug": 3, "l2tp_mtu": "abc", "primary_dns": "192.0.2.1"},
               start=False)
    line = d.line_of("l2tp_mtu")
    err = refusal(d)
    assert re.search(rf"^{PROGNAME}: {re.escape(str(d.config_path))}:{line}: "
                     r'bad value "abc" for l2tp_mtu', err, re.M), err


def test_refuses_out_of_range_value(daemon):
    d = daemon({"debug": 6}, start=False)
    err = refusal(d)
    assert re.search(rf"^{PROGNAME}: {re.escape(str(d.config_path))}:"
                     rf"{d.line_of('debug')}: bad value \"6\" for debug",
                     err, re.M), err


def test_refusal_counts_every_error_with_its_line(daemon):
    d = daemon({"bind_address": "999.1.1.1"},
               extra_lines=["", "# x", "set bogus_one 1", "set bogus_two 2"],
               start=False)
    err = refusal(d)
    p = re.escape(str(d.config_path))
    for key, pat in (("bind_address", r'bad value "999\.1\.1\.1" for '
                      r"bind_address"),
                     ("bogus_one", r'unknown key "bogus_one"'),
                     ("bogus_two", r'unknown key "bogus_two"')):
        assert re.search(rf"^{PROGNAME}: {p}:{d.line_of(key)}: {pat}", err,
                         re.M), err
    assert f"refusing to start: 3 errors in {d.config_path}" in err


def test_refuses_relative_pid_file(daemon):
    d = daemon({"pid_file": "l2tpns.pid"}, start=False)
    d.start(wait_ready=False)
    assert d.wait_exit() == 1
    err = d.stderr()
    assert re.search(r'pid_file "l2tpns\.pid" must be an absolute path', err)
    assert "refusing to start" in err
    assert d.tun_link() is None


def test_refuses_missing_config(daemon):
    d = daemon(start=False)
    d.config_path.unlink()
    d.start(wait_ready=False)
    assert d.wait_exit() == 1
    err = d.stderr()
    assert str(d.config_path) in err and "refusing to start" in err, err
    assert d.tun_link() is None


# ---------------------------------------------------------------------------
# command-line options


def test_check_only_good_config(daemon):
    d = daemon(start=False)
    p = d.run("-n")
    assert p.returncode == 0, p.stderr
    assert "configuration OK" in p.stdout
    assert d.tun_link() is None
    assert not d.pid_path.exists()


def test_check_only_bad_config(daemon):
    d = daemon(extra_lines=["set no_such_key 1"], start=False)
    p = d.run("-n")
    assert p.returncode == 1
    assert f'{d.config_path}:{d.line_of("no_such_key")}: unknown key ' \
        '"no_such_key"' in p.stderr, p.stderr
    assert "refusing to start" in p.stderr
    assert d.tun_link() is None


def test_check_only_bad_ip_pool(daemon):
    d = daemon(ip_pool="198.51.100.0/26\nnot-an-address\n", start=False)
    p = d.run("-n")
    assert p.returncode == 1, (p.stdout, p.stderr)
    assert f"{d.ip_pool_path}:2: " in p.stderr, p.stderr


def test_version(daemon):
    d = daemon(start=False)
    p = d.run("-V", with_config=False)
    assert p.returncode == 0
    assert p.stdout == f"l2tpns {version_from_source()}\n"
    p = d.run("--version", with_config=False)
    assert p.returncode == 0
    assert p.stdout == f"l2tpns {version_from_source()}\n"


@pytest.mark.parametrize("opt", ["-h", "--help"])
def test_help(daemon, opt):
    d = daemon(start=False)
    p = d.run(opt, with_config=False)
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith(f"usage: {PROGNAME} "), p.stdout
    for o in ("-c FILE", "-d", "-n", "-V"):
        assert o in p.stdout
    assert d.tun_link() is None


def test_bad_option_is_refused(daemon):
    d = daemon(start=False)
    p = d.run("-Z", with_config=False)
    assert p.returncode == 1
    assert "usage:" in p.stderr
    p = d.run("extra-argument")
    assert p.returncode == 1
    assert 'unexpected argument "extra-argument"' in p.stderr


def test_verbose_raises_debug(daemon):
    d = daemon({"debug": 0}, args=("-v", "-v", "-v"))
    # At debug 0 nothing below CRIT would be logged; -v -v -v gives 3.
    d.wait_for_log(r"starting, config .*, debug 3$")
    d.wait_for_log(r"INFO tun device tun0 up")


def start_detached(daemon):
    d = daemon(start=False)
    t0 = time.monotonic()
    d.start("-d", wait_ready=False)
    assert d.proc.wait(timeout=5) == 0
    assert time.monotonic() - t0 < 2
    pid = d.adopt_pid_file()
    assert pid != d.proc.pid
    d.wait_for_log(r" ready: ")
    return d


def test_detach(daemon):
    d = start_detached(daemon)
    time.sleep(0.2)
    assert d.ns.owns_pid(d.pid), "detached daemon died"
    assert d.tun_link() is not None
    # Detached: stdio on /dev/null, so nothing reached the launcher's.
    assert d.stdout() == "" and d.stderr() == ""
    # TERM is covered below; KILL keeps this teardown fast.
    d.stop(signal.SIGKILL, timeout=1)


def test_detached_daemon_handles_hup_and_term(daemon):
    d = start_detached(daemon)
    try:
        out = d.reload({"debug": 4}, timeout=1)
        assert 'config: debug changed from "3" to "4"' in out
        mark = d.log_mark()
        d.signal(signal.SIGTERM)
        d.wait_exit(timeout=1)
        d.wait_for_log(r"exiting after \d+ seconds \(tunnels and sessions "
                       r"left alone\)", since=mark)
        assert not d.pid_path.exists()
        wait_until(lambda: d.tun_link() is None, what="tun device to go away")
    finally:
        d.stop(signal.SIGKILL, timeout=1)


# ---------------------------------------------------------------------------
# logging and old configurations


def test_log_file_gets_the_log_and_stdout_nothing(daemon):
    d = daemon()
    assert d.log_path.is_file()
    assert re.search(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} WARN l2tpns "
                     r"\S+ starting", d.log_text(), re.M), d.log_text()
    d.stop()
    assert d.stdout() == ""


def test_empty_log_file_logs_to_stdout(daemon):
    d = daemon({"log_file": ""})
    wait_until(lambda: " ready: " in d.stdout(), what="ready on stdout")
    assert re.search(r"WARN l2tpns \S+ starting", d.stdout())
    assert d.stop() == 0
    # stand-alone (no cluster_interface address): nobody takes them over
    assert "(tunnels and sessions left alone)" in d.stdout()


def test_legacy_keys_start(daemon):
    d = daemon({"save_state": "no", "cleanup_interval": 10,
                "as_number": 65001, "bgp_peer1": "127.0.0.2",
                "bgp_peer1_as": 65002, "bind_address": "192.0.2.10"})
    assert_tun(d, "192.0.2.10", 1500)
    assert d.running()
    assert not re.search(r"ERROR|CRIT", d.log_text()), d.log_text()


def test_legacy_bgp_peer_without_as_is_refused(daemon):
    d = daemon({"as_number": 65001, "bgp_peer1": "127.0.0.2"}, start=False)
    err = refusal(d)
    assert "127.0.0.2 has no remote-as" in err, err


def test_legacy_obsolete_keys_are_reported(daemon, tmp_path):
    # save_state is no longer obsolete: it keeps the state file (issue 21)
    d = daemon({"save_state": "yes", "state_dir": str(tmp_path / "st"),
                "cleanup_interval": 10})
    d.wait_for_log(r"obsolete key cleanup_interval accepted and ignored")
    assert "obsolete key save_state" not in d.log_text()
    assert (tmp_path / "st" / "state").exists()


def test_hup_l2tp_mtu_applies_to_tun(daemon):
    d = daemon({"l2tp_mtu": 1500})
    assert d.tun_link()["mtu"] == 1500
    out = d.reload({"l2tp_mtu": 1400})
    assert 'l2tp_mtu changed from "1500" to "1400"' in out
    wait_until(lambda: d.tun_link()["mtu"] == 1400, what="tun mtu 1400")
