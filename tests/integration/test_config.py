"""The pgsteer command line and configuration errors: every bad file
(unknown key or section, bad number/duration/enum, a node naming a missing
cluster, a cluster without nodes, a missing file) stops it with
`FILE:LINE: message` on stderr and exit code 1, both under --check-config
and on a normal start; --check-config on a good file prints a summary with
the nodes; -V and -h; SIGHUP with a bad file keeps the running config."""
import signal
import subprocess

import pytest

from helpers import (PGSTEER_BIN, free_port, pgsteer_sections, primary_only, render_ini,
                     scalar, wait_for)


@pytest.fixture
def pgsteer(pgsteer, cluster):
    """This module tests the proxy core, not routing: the primary is the only node."""
    return primary_only(pgsteer, cluster)


pytestmark = pytest.mark.proxy_only


def run(*args, timeout=15):
    return subprocess.run([PGSTEER_BIN, *args], capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def good_lines(cluster):
    return render_ini(pgsteer_sections(cluster, free_port())).splitlines()


def with_bad_line(lines, section, bad):
    """Put 'bad' (a "key = value" line) into [section]: it replaces that key's
    line if the section has one, else goes right after the header. Returns
    (text, 1-based line number of the bad line)."""
    lines = list(lines)
    head = lines.index(section)
    key = bad.split("=")[0].strip()
    end = next((n for n in range(head + 1, len(lines)) if lines[n].startswith("[")), len(lines))
    for n in range(head + 1, end):
        if lines[n].split("=")[0].strip() == key:
            lines[n] = bad
            return "\n".join(lines) + "\n", n + 1
    lines.insert(head + 1, bad)
    return "\n".join(lines) + "\n", head + 2


def bad_configs(cluster):
    lines = good_lines(cluster)
    yield "unknown key", with_bad_line(lines, "[pgsteer]", "no_such_key = 1")
    yield "bad number", with_bad_line(lines, "[pgsteer]", "default_pool_size = twenty")
    yield "negative number", with_bad_line(lines, "[pgsteer]", "max_client_conn = -5")
    yield "bad duration", with_bad_line(lines, "[pgsteer]", "query_wait_timeout = 5 parsecs")
    yield "bad pool_mode", with_bad_line(lines, "[pgsteer]", "pool_mode = sometimes")
    yield "bad port", with_bad_line(lines, "[node.main2]", "port = 99999")
    yield "node in missing cluster", with_bad_line(lines, "[node.main3]", "cluster = nosuch")
    # unknown section, appended: reported at its header
    text = "\n".join(lines) + "\n[nosuchsection]\nfoo = bar\n"
    yield "unknown section", (text, len(lines) + 1)
    # a cluster with no node: reported at its section header
    text = "\n".join(lines) + "\n[cluster.empty]\n"
    yield "cluster without nodes", (text, len(lines) + 1)


CASES = ["unknown key", "bad number", "negative number", "bad duration", "bad pool_mode",
         "bad port", "node in missing cluster", "unknown section", "cluster without nodes"]


@pytest.mark.parametrize("mode", ["check-config", "start"])
@pytest.mark.parametrize("case", CASES)
def test_bad_config_reports_file_and_line(cluster, tmp_path, case, mode):
    text, line = dict(bad_configs(cluster))[case]
    path = tmp_path / "bad.ini"
    path.write_text(text)
    args = ["--check-config", "-c", str(path)] if mode == "check-config" else ["-c", str(path)]
    r = run(*args)
    assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
    assert "%s:%d:" % (path, line) in r.stderr, "expected %s:%d: in stderr:\n%s\n---\n%s" % (
        path, line, r.stderr, text)


def test_missing_config_file(tmp_path):
    path = tmp_path / "absent.ini"
    r = run("--check-config", "-c", str(path))
    assert r.returncode == 1
    assert str(path) in r.stderr


def test_check_config_summary(cluster, tmp_path):
    path = tmp_path / "good.ini"
    path.write_text("\n".join(good_lines(cluster)) + "\n")
    r = run("--check-config", "-c", str(path))
    assert r.returncode == 0, r.stderr
    for port in (cluster.port, cluster.port + 1, cluster.port + 2):
        assert "127.0.0.1:%d" % port in r.stdout, r.stdout
    assert "main" in r.stdout
    assert len(r.stdout.splitlines()) <= 60, "the summary should fit on one screen"


def test_version_and_help():
    r = run("-V")
    assert r.returncode == 0
    assert "pgsteer" in r.stdout.lower()
    r = run("-h")
    assert r.returncode == 0
    assert "-c" in r.stdout and "--check-config" in r.stdout


def test_unknown_option():
    r = run("--no-such-option")
    assert r.returncode != 0
    assert r.stderr


def test_sighup_with_bad_file_keeps_running(cluster, pgsteer):
    p = pgsteer()
    with p.connect() as conn:
        assert scalar(conn, "SELECT inet_server_port()") == cluster.port
        good = open(p.config_path).read()
        lines = good.splitlines()
        text, line = with_bad_line(lines, "[pgsteer]", "no_such_key = 1")
        with open(p.config_path, "w") as f:
            f.write(text)
        p.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: "%s:%d:" % (p.config_path, line) in p.log(), 10,
                 "the reload error in pgsteer's log")
        assert p.running()
        assert scalar(conn, "SELECT 1") == 1
        with p.connect() as fresh:
            assert scalar(fresh, "SELECT inet_server_port()") == cluster.port
        with open(p.config_path, "w") as f:  # a good file reloads quietly
            f.write(good)
        p.proc.send_signal(signal.SIGHUP)
        with p.connect() as fresh:
            assert scalar(fresh, "SELECT 1") == 1
        assert p.running()
