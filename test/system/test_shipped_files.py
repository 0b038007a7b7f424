"""The shipped configuration files and the manual agree with config.c.

Self-contained (no fixtures from conftest.py).  Runs the built daemon
only with -n, so it needs neither root nor a network namespace.

  - every directive of the table in config.c is in
    etc/startup-config.default and in Docs/manual.md;
  - the shipped startup-config, users and ip_pool pass `l2tpns -n`,
    as shipped and with every commented-out statement uncommented;
  - the generated directive sections are what scripts/gen-directives.py
    makes of the current config.c.
"""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from test_docs import GENERATOR, load_generator

ROOT = Path(__file__).resolve().parents[2]
DAEMON = ROOT / "l2tpns"
ETC = ROOT / "etc"
MANUAL = ROOT / "Docs" / "manual.md"


@pytest.fixture(scope="module")
def directives():
    ds = load_generator().parse_config_c(str(ROOT / "config.c"))
    assert len(ds) > 50, "directive table parsed too short"
    return ds


def word_in(name, text):
    return re.search(r"(?<![\w])%s(?![\w])" % re.escape(name), text)


def test_every_directive_in_startup_config_default(directives):
    text = (ETC / "startup-config.default").read_text()
    missing = [d.name for d in directives if not word_in(d.name, text)]
    assert not missing, "missing from etc/startup-config.default: %s" % missing


def test_every_directive_has_a_commented_default(directives):
    """Each non-legacy key has a '#set KEY DEFAULT' line."""
    text = (ETC / "startup-config.default").read_text()
    gen = load_generator()
    for d in directives:
        if d.legacy:
            continue
        line = "#set %s %s" % (d.name, gen.file_value(d.default or ""))
        assert line in text.splitlines(), line


def test_every_directive_in_manual(directives):
    text = MANUAL.read_text()
    missing = [d.name for d in directives if not word_in(d.name, text)]
    assert not missing, "missing from Docs/manual.md: %s" % missing


def test_generated_sections_up_to_date():
    r = subprocess.run([sys.executable, str(GENERATOR), "--check"],
                       capture_output=True, text=True)
    assert r.returncode == 0, (
        "generated directive sections are stale; run "
        "scripts/gen-directives.py\n" + r.stdout + r.stderr)


def test_generated_manual_matches_generator():
    gen = load_generator()
    block = gen.gen_manual(gen.parse_config_c(str(ROOT / "config.c")))
    assert block in MANUAL.read_text()


def stage(tmp_path, config_text):
    """Copy the shipped files to tmp_path; return the config's path."""
    users = tmp_path / "users"
    pool = tmp_path / "ip_pool"
    users.write_text((ETC / "users.default").read_text())
    pool.write_text((ETC / "ip_pool.default").read_text())
    conf = tmp_path / "startup-config"
    conf.write_text(config_text + "\n# test: point at the copies\n"
                    "set users_file %s\nset ip_pool_file %s\n"
                    % (users, pool))
    return conf


def check(conf):
    if not DAEMON.exists():
        pytest.fail("%s not built (run make)" % DAEMON)
    r = subprocess.run([str(DAEMON), "-n", "-c", str(conf)],
                       capture_output=True, text=True, timeout=30)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out
    assert "configuration OK" in r.stdout, out
    # The shipped files draw no error and no warning either.
    assert "error" not in r.stderr.lower(), out
    assert "warning" not in r.stderr.lower(), out
    return r


def test_shipped_files_parse(tmp_path):
    check(stage(tmp_path, (ETC / "startup-config.default").read_text()))


def test_shipped_config_has_few_active_lines():
    active = [l for l in (ETC / "startup-config.default").read_text()
              .splitlines() if l.strip() and l.lstrip()[0] not in "#!"]
    assert len(active) <= 3, active


def uncomment(text):
    """Activate every commented-out statement: '#' followed by no blank."""
    return "\n".join(re.sub(r"^#(?=[^\s#!-])", "", l)
                     for l in text.splitlines())


def test_shipped_config_uncommented_parses(tmp_path):
    text = uncomment((ETC / "startup-config.default").read_text())
    # It did uncomment the defaults and every kind of example.
    for stmt in ("set debug ", "load plugin ", "router bgp ", "neighbour ",
                 "ip access-list standard ", "ip access-list extended ",
                 "permit ", "deny ", "setforward "):
        assert re.search(r"^%s" % stmt, text, re.M), stmt
    check(stage(tmp_path, text))


def test_users_and_pool_defaults():
    users = (ETC / "users.default").read_text().splitlines()
    # No account is active as shipped; the examples are commented out.
    assert all(not l.strip() or l.startswith("#") for l in users)
    assert any(l.startswith("#admin:$1$") for l in users)
    pool = [l for l in (ETC / "ip_pool.default").read_text().splitlines()
            if l.strip() and not l.startswith("#")]
    assert pool == ["10.255.0.0/24"]


def test_users_example_uncommented_parses(tmp_path):
    """The commented example accounts are valid when uncommented."""
    text = uncomment((ETC / "users.default").read_text())
    conf = stage(tmp_path, "")
    (tmp_path / "users").write_text(text)
    check(conf)


def test_service_and_logrotate():
    unit = (ETC / "l2tpns.service").read_text()
    for line in ("Type=simple", "ExecStart=/usr/sbin/l2tpns",
                 "ExecReload=/bin/kill -HUP $MAINPID", "KillSignal=SIGTERM"):
        assert line in unit.splitlines(), line
    assert "systemctl kill -s QUIT l2tpns" in unit
    rot = (ETC / "l2tpns.logrotate").read_text()
    assert "postrotate" in rot and "HUP" in rot
