"""The manual pages and etc/build-garden.

  - l2tpns(8), nsctl(8) and startup-config(5) render with groff and man
    without a warning;
  - startup-config(5) names every directive of config.c's table, and its
    generated DIRECTIVES section is what scripts/gen-directives.py makes
    of the table (so the page cannot drift from the parser);
  - l2tpns(8) documents every option of the usage text and every signal;
  - `make install` puts the three pages and build-garden in place;
  - etc/build-garden builds the nat chain "garden" (run twice, in a
    namespace of its own).
"""
import importlib.util
import os
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "Docs"
PAGES = ["l2tpns.8", "nsctl.8", "startup-config.5"]
GENERATOR = ROOT / "scripts" / "gen-directives.py"


def load_generator():
    """scripts/gen-directives.py as a module."""
    spec = importlib.util.spec_from_file_location("gen_directives", GENERATOR)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def rendered(page):
    """The page as man shows it, 80 columns, plain text."""
    env = dict(os.environ, MANWIDTH="80", MAN_KEEP_FORMATTING="",
               LC_ALL="C.UTF-8")
    p = subprocess.run(["man", "--warnings=w", "-l", str(DOCS / page)],
                       capture_output=True, text=True, env=env, timeout=30)
    assert p.returncode == 0, p.stderr
    assert p.stderr == "", p.stderr
    return re.sub(r".\x08", "", p.stdout)


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_without_warnings(page):
    p = subprocess.run(["groff", "-man", "-ww", "-z", str(DOCS / page)],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 0 and p.stderr == "", p.stderr
    text = rendered(page)
    name, section = page.rsplit(".", 1)
    assert text.startswith("%s(%s)" % (name.upper(), section)), text[:200]
    for heading in ("NAME", "SYNOPSIS", "DESCRIPTION", "SEE ALSO"):
        assert re.search(r"^%s$" % heading, text, re.M), heading


def test_startup_config_5_lists_every_directive():
    gen = load_generator()
    directives = gen.parse_config_c(str(ROOT / "config.c"))
    assert len(directives) > 50
    text = rendered("startup-config.5")
    missing = [d.name for d in directives
               if not re.search(r"(?<![\w])%s(?![\w])" % re.escape(d.name),
                                text)]
    assert not missing, "missing from startup-config(5): %s" % missing
    # Each regular directive has its entry: name, type and default.
    for d in directives:
        if d.legacy:
            continue
        assert re.search(r"^ {7}%s \(%s\)$" % (re.escape(d.name),
                                               re.escape(d.type_text())),
                         text, re.M), d.name
    src = (DOCS / "startup-config.5").read_text()
    assert gen.gen_man(directives) in src, \
        "run scripts/gen-directives.py: startup-config.5 is stale"


def test_l2tpns_8_documents_options_and_signals():
    usage = subprocess.run([str(ROOT / "l2tpns"), "--help"],
                           capture_output=True, text=True).stdout
    options = set(re.findall(r"^\s+(-\w|--[\w-]+)", usage, re.M))
    assert {"-c", "-d", "-h", "-n", "-v", "-V", "--help"} <= options, usage
    text = rendered("l2tpns.8")
    options_section = text.split("\nOPTIONS\n", 1)[1].split("\nSIGNALS\n")[0]
    for opt in options | {"--version"}:
        assert re.search(r"^ {7}%s\b" % re.escape(opt), options_section,
                         re.M) or re.search(r", %s\b" % re.escape(opt),
                                            options_section), opt
    signals = text.split("\nSIGNALS\n", 1)[1].split("\nLOGGING\n")[0]
    for sig in ("SIGHUP", "SIGTERM", "SIGINT", "SIGQUIT", "SIGPIPE"):
        assert re.search(r"^ {7}%s\b|^ {7}SIG\w+, %s\b" % (sig, sig),
                         signals, re.M), sig
    for f in ("/etc/l2tpns/startup-config", "/etc/l2tpns/users",
              "/etc/l2tpns/subscribers", "/etc/l2tpns/ip_pool",
              "/etc/l2tpns/build-garden"):
        assert f in text.split("\nFILES\n", 1)[1], f


def test_make_install_installs_pages_and_build_garden(tmp_path):
    # -o all: install what is built, never rebuild from here.
    p = subprocess.run(["make", "-C", str(ROOT), "-o", "all", "install",
                        "DESTDIR=%s" % tmp_path], capture_output=True,
                       text=True, timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr
    for rel in ("usr/share/man/man8/l2tpns.8", "usr/share/man/man8/nsctl.8",
                "usr/share/man/man5/startup-config.5"):
        f = tmp_path / rel
        assert f.read_bytes() == (DOCS / f.name).read_bytes(), rel
    garden = tmp_path / "etc/l2tpns/build-garden"
    assert garden.read_bytes() == (ROOT / "etc/build-garden").read_bytes()
    assert os.access(garden, os.X_OK)
    # A second install keeps a site's own build-garden.
    garden.write_text("# site\n")
    p = subprocess.run(["make", "-C", str(ROOT), "-o", "all", "install",
                        "DESTDIR=%s" % tmp_path], capture_output=True,
                       text=True, timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr
    assert garden.read_text() == "# site\n"


def test_build_garden_builds_the_chain(netns):
    ns = netns()
    script = str(ROOT / "etc" / "build-garden")
    for _ in range(2):          # safe to run again: the chain is rebuilt
        r = ns.run(["sh", script], check=False)
        assert r.returncode == 0, r.stdout + r.stderr
        rules = ns.run(["iptables", "-t", "nat", "-S", "garden"]).stdout
        lines = rules.splitlines()
        assert lines[0] == "-N garden", rules
        assert len([l for l in lines if l.startswith("-A garden")]) == 15, \
            rules
    assert re.search(r"^-A garden -d 192\.0\.2\.53/32 -p udp -m udp --dport 53 "
                     r"-j ACCEPT$", rules, re.M), rules
    assert re.search(r"^-A garden -p tcp -m tcp --dport 80 -j DNAT "
                     r"--to-destination 192\.0\.2\.80$", rules, re.M), rules
    assert lines[-1] == "-A garden -j DNAT --to-destination 192.0.2.80", rules
    # The addresses are the site's: the environment overrides them.
    r = ns.run(["env", "GARDEN_PORTAL=203.0.113.8", "GARDEN_DNS=203.0.113.53",
                "sh", script], check=False)
    assert r.returncode == 0, r.stderr
    rules = ns.run(["iptables", "-t", "nat", "-S", "garden"]).stdout
    assert "192.0.2" not in rules and "203.0.113.8" in rules, rules
