#!/usr/bin/python3
"""Generate the directive reference from the table in config.c.

The `directives[]` array in config.c is the single source of truth for
every `set` key: its type, bounds, flags, default and help text.  This
script reads that table and writes it out in two places, each between
marker lines:

  Docs/manual.md               the "Directive reference" tables, and
                               the lists of "Reloading" by reload class
  etc/startup-config.default   every directive, commented out, with its
                               default and a one-line comment
  Docs/startup-config.5        the DIRECTIVES section of the manual page

Usage:
  scripts/gen-directives.py            update both files in place
  scripts/gen-directives.py --check    exit 1 if either file is stale
  scripts/gen-directives.py --print manual|reload|config|man
                                       write one generated block to stdout

The test suite (test/system/test_shipped_files.py) runs --check, so a
change to the table without re-running this script fails the tests.
"""

import argparse
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIG_C = os.path.join(ROOT, "config.c")
MANUAL = os.path.join(ROOT, "Docs", "manual.md")
STARTUP = os.path.join(ROOT, "etc", "startup-config.default")
MANPAGE = os.path.join(ROOT, "Docs", "startup-config.5")

MANUAL_BEGIN = "<!-- BEGIN GENERATED DIRECTIVES: scripts/gen-directives.py -->"
MANUAL_END = "<!-- END GENERATED DIRECTIVES -->"
RELOAD_BEGIN = ("<!-- BEGIN GENERATED RELOAD CLASSES: "
                "scripts/gen-directives.py -->")
RELOAD_END = "<!-- END GENERATED RELOAD CLASSES -->"
CONFIG_BEGIN = ("# ---- BEGIN GENERATED DIRECTIVES "
                "(scripts/gen-directives.py, from config.c) ----")
CONFIG_END = "# ---- END GENERATED DIRECTIVES ----"
MAN_BEGIN = ('.\\" ---- BEGIN GENERATED DIRECTIVES '
             '(scripts/gen-directives.py, from config.c) ----')
MAN_END = '.\\" ---- END GENERATED DIRECTIVES ----'

# Flag values, as in config.h.
CF_RESTART = 0x01
CF_SECRET = 0x02
CF_OBSOLETE = 0x04
CF_HIDDEN = 0x08
CF_NOSET = 0x10
CF_NEWSESS = 0x20
CF_UNSUPPORTED = 0x40
FLAG_NAMES = {"CF_RESTART": CF_RESTART, "CF_SECRET": CF_SECRET,
              "CF_OBSOLETE": CF_OBSOLETE, "CF_HIDDEN": CF_HIDDEN,
              "CF_NOSET": CF_NOSET, "CF_NEWSESS": CF_NEWSESS,
              "CF_UNSUPPORTED": CF_UNSUPPORTED}

# The reload classes, as cfg_reload_class() in config.c decides them
# from the flags (the order of the tests is the same).
RELOAD_WORDS = {"now": "at once", "new": "new sessions",
                "restart": "restart", "ignored": "ignored"}

TYPE_WORDS = {
    "CT_INT": "integer",
    "CT_SHORT": "integer",
    "CT_ULONG": "unsigned integer",
    "CT_BOOL": "boolean",
    "CT_STRING": "string",
    "CT_IPV4": "IPv4 address",
    "CT_IPV6": "IPv6 address",
    "CT_IPV6PFX": "IPv6 prefix",
    "CT_LEGACY": "legacy",
}

# Symbolic bounds that appear in the table.
CONSTANTS = {"INT_MAX": 2147483647, "UINT16_MAX": 65535}


class Directive:
    def __init__(self, group, name, ctype, lo, hi, flags, dflt, help_):
        self.group = group
        self.name = name
        self.ctype = ctype
        self.min = lo
        self.max = hi
        self.flags = flags
        self.default = dflt
        self.help = help_

    @property
    def restart(self):
        return bool(self.flags & CF_RESTART)

    @property
    def reload_class(self):
        if self.flags & (CF_OBSOLETE | CF_UNSUPPORTED):
            return "ignored"
        if self.flags & CF_RESTART:
            return "restart"
        if self.flags & CF_NEWSESS:
            return "new"
        return "now"

    @property
    def unsupported(self):
        return bool(self.flags & CF_UNSUPPORTED)

    @property
    def secret(self):
        return bool(self.flags & CF_SECRET)

    @property
    def obsolete(self):
        return bool(self.flags & CF_OBSOLETE)

    @property
    def legacy(self):
        return self.ctype == "CT_LEGACY"

    def type_text(self):
        word = TYPE_WORDS.get(self.ctype, self.ctype)
        if self.ctype in ("CT_INT", "CT_SHORT"):
            return "%s %s-%s" % (word, self.min, self.max)
        return word


# ---- a small C tokenizer: enough for one initializer table ----

TOKEN = re.compile(r'''
    (?P<ws>\s+)
  | (?P<comment>/\*.*?\*/)
  | (?P<line>//[^\n]*)
  | (?P<string>"(?:[^"\\\n]|\\.)*")
  | (?P<number>0[xX][0-9a-fA-F]+|\d+)[uUlL]*
  | (?P<ident>[A-Za-z_]\w*)
  | (?P<punct>[{}(),|+\-*/<>])
''', re.S | re.X)


def tokenize(text):
    pos = 0
    while pos < len(text):
        m = TOKEN.match(text, pos)
        if m is None:
            raise ValueError("config.c: cannot tokenize near %r"
                             % text[pos:pos + 40])
        pos = m.end()
        kind = m.lastgroup
        if kind in ("ws", "line"):
            continue
        if kind == "comment":
            yield ("comment", m.group("comment")[2:-2].strip())
        elif kind == "string":
            yield ("string", unescape(m.group("string")[1:-1]))
        elif kind == "number":
            yield ("number", int(m.group("number"), 0))
        else:
            yield (kind, m.group(kind))


def unescape(s):
    return re.sub(r'\\(.)', lambda m: {"n": "\n", "t": "\t"}.get(
        m.group(1), m.group(1)), s)


def table_text(src):
    m = re.search(r'struct\s+cfg_directive\s+directives\s*\[\s*\]\s*=\s*\{',
                  src)
    if m is None:
        raise ValueError("config.c: directives[] table not found")
    depth, i = 1, m.end()
    while depth and i < len(src):
        if src[i] == '{':
            depth += 1
        elif src[i] == '}':
            depth -= 1
        elif src[i] == '"':
            # skip a string literal so braces inside it do not count
            i += 1
            while src[i] != '"':
                i += 2 if src[i] == '\\' else 1
        elif src.startswith("/*", i):
            i = src.index("*/", i) + 1
        i += 1
    if depth:
        raise ValueError("config.c: directives[] table not closed")
    return src[m.end():i - 1]


def split_fields(tokens):
    """Split one entry's tokens on top-level commas."""
    fields, cur, depth = [], [], 0
    for t in tokens:
        if t == ("punct", "(") or t == ("punct", "{"):
            depth += 1
        elif t == ("punct", ")") or t == ("punct", "}"):
            depth -= 1
        if t == ("punct", ",") and depth == 0:
            fields.append(cur)
            cur = []
        else:
            cur.append(t)
    if cur:
        fields.append(cur)
    return fields


def eval_int(field, what):
    """Evaluate a bound or flag expression: numbers, names, | and unary -."""
    value, op, neg = 0, "|", False
    for kind, v in field:
        if kind == "punct" and v in "|+":
            op = v
            continue
        if kind == "punct" and v == "-":
            neg = True
            continue
        if kind == "number":
            n = v
        elif kind == "ident" and v in FLAG_NAMES:
            n = FLAG_NAMES[v]
        elif kind == "ident" and v in CONSTANTS:
            n = CONSTANTS[v]
        else:
            raise ValueError("config.c: cannot evaluate %s %r" % (what, v))
        if neg:
            n, neg = -n, False
        value = value | n if op == "|" else value + n
    return value


def string_field(field, what):
    """A string field: concatenated literals, or NULL."""
    if field == [("ident", "NULL")]:
        return None
    if not field or any(k != "string" for k, _ in field):
        raise ValueError("config.c: %s is not a string literal: %r"
                         % (what, field))
    return "".join(v for _, v in field)


def parse_config_c(path=CONFIG_C):
    with open(path, encoding="utf-8") as f:
        src = f.read()
    group = ""
    out = []
    entry = None
    for kind, v in tokenize(table_text(src)):
        if kind == "comment":
            if entry is None:
                group = v
            continue
        if entry is None:
            if (kind, v) == ("punct", "{"):
                entry, depth = [], 1
            continue
        if (kind, v) == ("punct", "{"):
            depth += 1
        elif (kind, v) == ("punct", "}"):
            depth -= 1
            if depth == 0:
                out.append(make_directive(group, entry))
                entry = None
                continue
        entry.append((kind, v))
    return out


def make_directive(group, tokens):
    f = split_fields(tokens)
    # { name, type, F(field) | 0, 0, min, max, flags, default, help [, fn] }
    # F(field) expands to two initializers (offset, size); a legacy row
    # writes them as "0, 0".
    if len(f) >= 3 and f[2] and f[2][0] == ("ident", "F"):
        f = f[:2] + [f[2], [("number", 0)]] + f[3:]
    if len(f) not in (9, 10):
        raise ValueError("config.c: directive entry with %d fields: %r"
                         % (len(f), tokens[:3]))
    name = string_field(f[0], "name")
    ctype = f[1][0][1]
    if ctype not in TYPE_WORDS:
        raise ValueError("config.c: %s: unknown type %s" % (name, ctype))
    return Directive(group, name, ctype, eval_int(f[4], name + " min"),
                     eval_int(f[5], name + " max"),
                     eval_int(f[6], name + " flags"),
                     string_field(f[7], name + " default"),
                     string_field(f[8], name + " help"))


# ---- output ----

def groups(directives):
    seen = []
    for d in directives:
        if d.group not in seen:
            seen.append(d.group)
    return [(g, [d for d in directives if d.group == g]) for g in seen]


def heading(group):
    return group[:1].upper() + group[1:]


def file_value(v):
    """A value as it is written in startup-config."""
    if v == "":
        return '""'
    if re.search(r'[\s"\'\\#!]', v):
        return '"%s"' % v.replace("\\", "\\\\").replace('"', '\\"')
    return v


def md(s):
    return s.replace("|", "\\|")


def gen_manual(directives):
    lines = [MANUAL_BEGIN, ""]
    lines.append("This section is generated from the directive table in "
                 "`config.c` by `scripts/gen-directives.py`; do not edit it "
                 "by hand.  *Reload* is what a SIGHUP reload or a CLI "
                 "`set` does with a new value (see [Reloading](#reloading)):"
                 " *at once* applies it to everything running, *new "
                 "sessions* to the sessions and tunnels set up from then "
                 "on, *restart* keeps the running value until the next "
                 "start.")
    lines.append("")
    for g, ds in groups(directives):
        regular = [d for d in ds if not d.legacy]
        if not regular:
            continue
        lines.append("#### %s" % heading(g))
        lines.append("")
        lines.append("| Directive | Type | Default | Reload | Meaning |")
        lines.append("|---|---|---|---|---|")
        for d in regular:
            meaning = d.help
            notes = []
            if d.secret:
                notes.append("secret: hidden by `show running-config`")
            if d.obsolete:
                notes.append("accepted and ignored")
            if d.unsupported:
                notes.append("accepted and ignored, with a warning at "
                             "startup")
            if notes:
                meaning += " (%s)" % "; ".join(notes)
            dflt = "`%s`" % d.default if d.default else "*(empty)*"
            lines.append("| `%s` | %s | %s | %s | %s |" % (
                d.name, d.type_text(), md(dflt),
                RELOAD_WORDS[d.reload_class], md(meaning)))
        lines.append("")
    legacy = [d for d in directives if d.legacy]
    if legacy:
        lines.append("#### Legacy keys")
        lines.append("")
        lines.append("These keys of older manuals are still accepted and "
                     "are translated to the statement shown.  They are "
                     "never written back by `write memory`.")
        lines.append("")
        lines.append("| Key | Same as |")
        lines.append("|---|---|")
        for d in legacy:
            lines.append("| `%s` | %s |" % (d.name, md(
                re.sub(r'^old form of: ', '', d.help))))
        lines.append("")
    lines.append(MANUAL_END)
    return "\n".join(lines) + "\n"


def gen_config(directives):
    lines = [CONFIG_BEGIN, "#",
             "# Every directive with its default value.  Uncomment a "
             "\"#set\" line to change it.",
             "# \"needs restart\": read at startup only; SIGHUP keeps the "
             "running value.",
             "# \"new sessions only\": a change reaches sessions and tunnels "
             "set up after it."]
    for g, ds in groups(directives):
        regular = [d for d in ds if not d.legacy]
        if not regular:
            continue
        lines.append("")
        lines.append("# == %s ==" % heading(g))
        for d in regular:
            parts = [d.type_text(), d.help]
            if d.restart:
                parts.append("needs restart")
            if d.reload_class == "new":
                parts.append("new sessions only")
            if d.secret:
                parts.append("hidden by show running-config")
            if d.obsolete or d.unsupported:
                parts.append("accepted, has no effect")
            lines.append("# %s: %s" % (d.name, "; ".join(parts)))
            lines.append("#set %s %s" % (d.name, file_value(d.default or "")))
    legacy = [d for d in directives if d.legacy]
    if legacy:
        lines.append("")
        lines.append("# == Legacy keys (accepted; write the new form "
                     "instead) ==")
        width = max(len(d.name) for d in legacy)
        for d in legacy:
            lines.append("#   %-*s  %s" % (width, d.name, d.help))
    lines.append("#")
    lines.append(CONFIG_END)
    return "\n".join(lines) + "\n"


def roff(s):
    """Text for a roff line: backslashes escaped, no leading control
    character, hyphens of options and ranges as minus signs."""
    s = s.replace("\\", "\\e").replace("-", "\\-")
    return "\\&" + s if s[:1] in (".", "'") else s


def gen_man(directives):
    lines = [MAN_BEGIN,
             '.\\" Generated from config.c; do not edit by hand.']
    for g, ds in groups(directives):
        regular = [d for d in ds if not d.legacy]
        if not regular:
            continue
        lines.append(".SS %s" % roff(heading(g)))
        for d in regular:
            lines.append(".TP")
            lines.append('.BR %s " (%s)"' % (roff(d.name),
                                            roff(d.type_text())))
            lines.append(roff(d.help) + ".")
            lines.append("Default: %s." % ("empty" if not d.default else
                         "\\fB%s\\fR" % roff(file_value(d.default))))
            if d.restart:
                lines.append("Read at startup only.")
            elif d.reload_class == "new":
                lines.append("A change applies to new sessions only.")
            if d.flags & CF_NOSET:
                lines.append("Cannot be changed from the CLI.")
            if d.secret:
                lines.append("Hidden by \\fBshow running\\-config\\fR.")
            if d.obsolete or d.unsupported:
                lines.append("Accepted and ignored.")
    legacy = [d for d in directives if d.legacy]
    if legacy:
        lines.append(".SS Legacy keys")
        lines.append("Accepted and translated; never written back by "
                     "\\fBwrite memory\\fR.")
        for d in legacy:
            lines.append(".TP")
            lines.append(".B %s" % roff(d.name))
            lines.append(roff(d.help) + ".")
    lines.append(MAN_END)
    return "\n".join(lines) + "\n"


def gen_reload(directives):
    """The directives of each reload class, for the manual's
    "Reloading" section."""
    lines = [RELOAD_BEGIN, ""]
    titles = (("now", "Applied at once"),
              ("new", "Applied to new sessions only"),
              ("restart", "Need a restart"),
              ("ignored", "Ignored (obsolete or not supported)"))
    for cls, title in titles:
        names = ["`%s`" % d.name for d in directives
                 if not d.legacy and d.reload_class == cls]
        if not names:
            continue
        lines.append("*%s* (%d): %s." % (title, len(names),
                                         ", ".join(names)))
        lines.append("")
    lines.append(RELOAD_END)
    return "\n".join(lines) + "\n"


def splice(path, begin, end, block):
    """Return the file's text with the block between the markers replaced."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    b = text.find(begin)
    e = text.find(end)
    if b < 0 or e < 0 or e < b:
        raise ValueError("%s: marker lines not found:\n  %s\n  %s"
                         % (path, begin, end))
    e = text.index("\n", e) + 1 if "\n" in text[e:] else len(text)
    return text, text[:b] + block + text[e:]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true",
                    help="exit 1 if a generated block is out of date")
    ap.add_argument("--print", choices=("manual", "reload", "config",
                                        "man"),
                    help="print one generated block and exit")
    ap.add_argument("--config-c", default=CONFIG_C)
    ap.add_argument("--manual", default=MANUAL)
    ap.add_argument("--startup-config", default=STARTUP)
    ap.add_argument("--man-page", default=MANPAGE)
    args = ap.parse_args()

    directives = parse_config_c(args.config_c)
    blocks = {"manual": gen_manual(directives),
              "reload": gen_reload(directives),
              "config": gen_config(directives),
              "man": gen_man(directives)}
    if args.print:
        sys.stdout.write(blocks[args.print])
        return 0

    stale = 0
    for path, begin, end, block in (
            (args.manual, MANUAL_BEGIN, MANUAL_END, blocks["manual"]),
            (args.manual, RELOAD_BEGIN, RELOAD_END, blocks["reload"]),
            (args.startup_config, CONFIG_BEGIN, CONFIG_END,
             blocks["config"]),
            (args.man_page, MAN_BEGIN, MAN_END, blocks["man"])):
        old, new = splice(path, begin, end, block)
        if old == new:
            continue
        rel = os.path.relpath(path, ROOT)
        if args.check:
            print("%s: generated directive section is out of date; run "
                  "scripts/gen-directives.py" % rel, file=sys.stderr)
            stale += 1
        else:
            with open(path, "w", encoding="utf-8") as f:
                f.write(new)
            print("updated %s" % rel)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
