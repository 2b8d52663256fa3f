#!/usr/bin/env python3
"""Generate src/classify_builtins.inc, the classifier's built-in function table.

The table gives each function name the classifier knows without asking the
server one of four kinds:

    r  reads: immutable or stable, or volatile but harmless
    w  writes, or must run on the primary
    p  like w, and ties state to the session (session locks, set_config)
    v  other volatile functions: ambiguous

Names and volatility come from a PostgreSQL share directory:

  * postgres.bki: every row of pg_proc (proname, provolatile).  A name whose
    overloads are all immutable or stable is 'r'; a name with any volatile
    overload is 'v'.
  * extension/*.sql: only the extensions and functions that
    tools/builtins-overrides.txt names in an [extension NAME] section; their
    volatility is read from the CREATE FUNCTION statements of the extension's
    scripts (VOLATILE when the statement says none).

Then tools/builtins-overrides.txt, the hand decisions, sets the kind of
volatile functions that are harmless or that write, and adds the names of
SQL syntax that looks like a function call and of functions from earlier
PostgreSQL versions.  See that file for its format.

The output is sorted by strcmp (the classifier's self-check and binary search
rely on it) and comes with an open-addressing hash: tab_hash[slot] is index + 1
into the table, 0 empty, slot = FNV-1a-32(name) masked to the size, linear
probing, names inserted in table order.  classify.c's fnv32() must stay the
same function.

Usage: gen_builtins.py [--sharedir DIR] [--overrides FILE] [--output FILE]
"""

import argparse
import os
import re
import shlex
import subprocess
import sys

KINDS = "rwpv"
DEFAULT_SHAREDIR = "/usr/share/postgresql/15"
HERE = os.path.dirname(os.path.abspath(__file__))

# the classifier's fn_entry lines: at most this many characters after the indent
WRAP = 95
HASH_PER_LINE = 16


class Error(Exception):
    pass


def warn(msg):
    print("gen_builtins.py: warning: " + msg, file=sys.stderr)


def default_sharedir():
    """$PG_SHAREDIR, else pg_config --sharedir, else PostgreSQL 15's Debian path."""
    env = os.environ.get("PG_SHAREDIR")
    if env:
        return env
    try:
        out = subprocess.run(["pg_config", "--sharedir"], capture_output=True,
                             text=True, check=True).stdout.strip()
        if out:
            return out
    except (OSError, subprocess.CalledProcessError):
        pass
    return DEFAULT_SHAREDIR


# ---- postgres.bki ----------------------------------------------------------

def read_bki(path):
    """Return (major version, {proname: set of provolatile}) from postgres.bki."""
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except OSError as e:
        raise Error("cannot read %s: %s" % (path, e.strerror))
    m = re.match(r"#\s*PostgreSQL\s+(\d+)", lines[0]) if lines else None
    if not m:
        raise Error("%s: first line does not name the PostgreSQL version" % path)
    version = m.group(1)

    # create pg_proc ... ( col = type , ... ) then one insert per row; the
    # column list gives the positions, so a new column does not shift us
    procs = {}
    columns = None
    in_proc = False
    for line in lines:
        if line.startswith("create "):
            in_proc = line.split()[1] == "pg_proc"
            columns = [] if in_proc else None
            continue
        if not in_proc:
            continue
        if line.startswith("close "):
            break
        if columns is not None and " = " in line and not line.startswith("insert"):
            columns.append(line.split("=")[0].strip())
            continue
        if line.startswith("insert"):
            body = line[line.index("(") + 1:line.rindex(")")]
            row = shlex.split(body)
            if len(row) != len(columns):
                raise Error("%s: pg_proc row has %d fields, expected %d: %s"
                            % (path, len(row), len(columns), line[:80]))
            name = row[columns.index("proname")]
            vol = row[columns.index("provolatile")]
            procs.setdefault(name, set()).add(vol)
    if not procs:
        raise Error("%s: no pg_proc rows" % path)
    return version, procs


# ---- extension scripts -----------------------------------------------------

def sql_statements(text):
    """Split an extension script into statements.

    psql meta-commands, comments and the contents of string and dollar-quoted
    literals are dropped (a function body may hold ';' and any keyword)."""
    text = re.sub(r"(?m)^\\.*$", "", text)
    out, cur, i, n = [], [], 0, len(text)
    dollar = re.compile(r"\$([A-Za-z_][A-Za-z_0-9]*)?\$")
    while i < n:
        c = text[i]
        if text.startswith("--", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            i = n if j < 0 else j + 2
            cur.append(" ")
        elif c == "'":
            j = i + 1
            while True:
                k = text.find("'", j)
                if k < 0:
                    k = n
                    break
                if text.startswith("''", k):
                    j = k + 2
                    continue
                break
            cur.append("''")
            i = k + 1
        elif c == "$" and dollar.match(text, i):
            tag = dollar.match(text, i).group(0)
            k = text.find(tag, i + len(tag))
            i = n if k < 0 else k + len(tag)
            cur.append("''")
        elif c == '"':
            k = text.find('"', i + 1)
            k = n if k < 0 else k + 1
            cur.append(text[i:k])
            i = k
        elif c == ";":
            out.append("".join(cur))
            cur = []
            i += 1
        else:
            cur.append(c)
            i += 1
    if "".join(cur).strip():
        out.append("".join(cur))
    return out


CREATE_FUNCTION = re.compile(
    r"\s*CREATE\s+(?:OR\s+REPLACE\s+)?FUNCTION\s+"
    r"(?:(\"?)[A-Za-z_0-9@]+\1\s*\.\s*)?"  # schema, or @extschema@
    r"(\"?)([A-Za-z_][A-Za-z_0-9]*)\2\s*\(", re.I)


def read_extension(extdir, ext):
    """{function name: set of provolatile} over every script of extension EXT."""
    try:
        scripts = sorted(f for f in os.listdir(extdir)
                         if f.startswith(ext + "--") and f.endswith(".sql"))
    except OSError as e:
        raise Error("cannot list %s: %s" % (extdir, e.strerror))
    if not scripts:
        raise Error("extension %s: no %s/%s--*.sql" % (ext, extdir, ext))
    funcs = {}
    for script in scripts:
        with open(os.path.join(extdir, script), encoding="utf-8") as f:
            text = f.read()
        for stmt in sql_statements(text):
            m = CREATE_FUNCTION.match(stmt)
            if not m:
                continue
            words = {w.upper() for w in re.findall(r"[A-Za-z]+", stmt[m.end():])}
            if "IMMUTABLE" in words:
                vol = "i"
            elif "STABLE" in words:
                vol = "s"
            else:
                vol = "v"
            funcs.setdefault(m.group(3), set()).add(vol)
    return funcs


# ---- overrides -------------------------------------------------------------

SECTIONS = ("override", "syntax", "retired")


def read_overrides(path):
    """Parse the overrides file: a list of (section, extension, name, kind, where).

    Sections: [override] catalog functions whose kind is decided by hand;
    [syntax] and [retired] names the catalog does not have; [extension NAME]
    functions read from that extension's scripts, kind optional."""
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except OSError as e:
        raise Error("cannot read %s: %s" % (path, e.strerror))
    entries = []
    seen = {}
    section, ext = None, None
    for no, raw in enumerate(lines, 1):
        where = "%s:%d" % (os.path.basename(path), no)
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        m = re.fullmatch(r"\[\s*([a-z]+)(?:\s+([A-Za-z0-9_-]+))?\s*\]", line)
        if m:
            section, ext = m.group(1), m.group(2)
            if (section == "extension") != (ext is not None) or \
                    (section != "extension" and section not in SECTIONS):
                raise Error("%s: unknown section %s" % (where, line))
            continue
        if section is None:
            raise Error("%s: entry before any [section]" % where)
        fields = line.split()
        if len(fields) > 2 or (len(fields) == 1 and section != "extension"):
            raise Error("%s: expected NAME KIND, got %r" % (where, line))
        name = fields[0]
        kind = fields[1] if len(fields) == 2 else None
        if kind is not None and (len(kind) != 1 or kind not in KINDS):
            raise Error("%s: kind %r is not one of %s" % (where, kind, ", ".join(KINDS)))
        if name in seen:
            raise Error("%s: %s already given at %s" % (where, name, seen[name]))
        seen[name] = where
        entries.append((section, ext, name, kind, where))
    return entries


# ---- the table -------------------------------------------------------------

def kind_of(volatilities):
    """Kind from the volatility of a name's overloads: one volatile one is enough."""
    return "v" if "v" in volatilities else "r"


def build(sharedir, overrides_path):
    version, procs = read_bki(os.path.join(sharedir, "postgres.bki"))
    table = {name: kind_of(vols) for name, vols in procs.items()}
    extdir = os.path.join(sharedir, "extension")
    extensions = {}

    for section, ext, name, kind, where in read_overrides(overrides_path):
        if section == "override":
            if name not in procs:
                warn("%s: %s is not in PostgreSQL %s's pg_proc; kept as %s"
                     % (where, name, version, kind))
            elif table[name] == kind:
                warn("%s: %s is %s by its volatility already" % (where, name, kind))
        elif section in ("syntax", "retired"):
            if name in procs:
                warn("%s: %s is now in PostgreSQL %s's pg_proc; [%s] kind %s wins"
                     % (where, name, version, section, kind))
        else:
            if ext not in extensions:
                extensions[ext] = read_extension(extdir, ext)
            funcs = extensions[ext]
            if name in procs:
                raise Error("%s: %s is a pg_proc function, not only %s's"
                            % (where, name, ext))
            if name not in funcs:
                if kind is None:
                    raise Error("%s: extension %s has no function %s"
                                % (where, ext, name))
                warn("%s: extension %s has no function %s; kept as %s"
                     % (where, ext, name, kind))
            elif kind is None:
                kind = kind_of(funcs[name])
        table[name] = kind
    return version, sorted(table.items(), key=lambda e: e[0].encode())


def fnv32(name):
    """FNV-1a, 32 bits: classify.c's fnv32()."""
    h = 2166136261
    for b in name.encode():
        h = ((h ^ b) * 16777619) & 0xFFFFFFFF
    return h


def build_hash(entries):
    """Open addressing at load <= 1/2: index + 1 into ENTRIES, 0 empty."""
    size = 1
    while size < 2 * len(entries):
        size *= 2
    if len(entries) >= 0xFFFF:
        raise Error("%d functions do not fit the uint16_t hash" % len(entries))
    slots = [0] * size
    for i, (name, _) in enumerate(entries):
        s = fnv32(name) & (size - 1)
        while slots[s]:
            s = (s + 1) & (size - 1)
        slots[s] = i + 1
    return slots


def wrap(items, indent):
    """Lines of ITEMS joined by ' ' and at most WRAP characters after INDENT."""
    lines, cur = [], ""
    for item in items:
        if cur and len(cur) + 1 + len(item) > WRAP:
            lines.append(indent + cur)
            cur = item
        else:
            cur = cur + " " + item if cur else item
    if cur:
        lines.append(indent + cur)
    return lines


def render(version, entries):
    slots = build_hash(entries)
    out = [
        "/*",
        " * generated by tools/gen_builtins.py from PostgreSQL %s's catalog; do not edit;" % version,
        " * `make builtins` regenerates.  Included by classify.c's builtin_functions():",
        " * the kinds are explained there, the hand decisions are in",
        " * tools/builtins-overrides.txt.",
        " */",
        "\tstatic const struct fn_entry tab[] = {",
    ]
    out += wrap(['{"%s", \'%s\'},' % e for e in entries], "\t\t")
    out += [
        "\t};",
        "\t/* open addressing by fnv32(name): index + 1 into tab, 0 empty (generated with the table) */",
        "\tstatic const uint16_t tab_hash[%d] = {" % len(slots),
    ]
    for i in range(0, len(slots), HASH_PER_LINE):
        out.append("\t\t" + " ".join("%d," % s for s in slots[i:i + HASH_PER_LINE]))
    out.append("\t};")
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sharedir", default=None,
                    help="PostgreSQL share directory (default: $PG_SHAREDIR, "
                         "pg_config --sharedir, " + DEFAULT_SHAREDIR + ")")
    ap.add_argument("--overrides",
                    default=os.path.join(HERE, "builtins-overrides.txt"),
                    help="hand decisions (default: tools/builtins-overrides.txt)")
    ap.add_argument("--output", default="-", help="output file (default: stdout)")
    args = ap.parse_args()
    sharedir = args.sharedir or default_sharedir()

    try:
        version, entries = build(sharedir, args.overrides)
        text = render(version, entries)
    except Error as e:
        print("gen_builtins.py: " + str(e), file=sys.stderr)
        return 1
    if args.output == "-":
        sys.stdout.write(text)
    else:
        # replace, never leave a half-written table behind
        tmp = args.output + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
