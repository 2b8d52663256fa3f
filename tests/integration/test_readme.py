"""The README's runnable code blocks work as written.

Every fenced block that follows a `<!-- runnable -->` line runs with
`bash -euo pipefail`, from the top of the tree, against a pgsteer set up as
contrib/demo.sh sets it up: the primary and two replicas, trust, admin_users
= admin, the stats endpoint on. The README speaks of the demo's addresses;
this test substitutes its own, and nothing else: port 6432 becomes the test
instance's port, 9930 its stats port, and build/src/pgsteer the binary under
test (PGSTEER_BIN). psql stops at the first error (ON_ERROR_STOP), and a
block passes when it exits 0 and nothing on its stderr says ERROR or FATAL.
"""
import os
import re
import subprocess

import pytest

import helpers
from helpers import PG_BIN, PGSTEER_BIN, REPO, wait_for

README = os.path.join(REPO, "README.md")
MARK = "<!-- runnable -->"


def runnable_blocks():
    """[(line number, text)] of the blocks right after a MARK line."""
    lines = open(README).read().split("\n")
    blocks = []
    for i, line in enumerate(lines):
        if line.strip() != MARK:
            continue
        assert i + 1 < len(lines) and lines[i + 1].startswith("```"), \
            "README.md:%d: %s must be followed by a fenced block" % (i + 1, MARK)
        end = lines.index("```", i + 2)
        blocks.append((i + 3, "\n".join(lines[i + 2:end]) + "\n"))
    return blocks


def as_tested(text, port, stats_port):
    text = re.sub(r"\b6432\b", str(port), text)
    text = re.sub(r"\b9930\b", str(stats_port), text)
    return text.replace("build/src/pgsteer", PGSTEER_BIN)


def test_readme_has_runnable_blocks():
    assert len(runnable_blocks()) >= 2


@pytest.fixture(scope="module")
def demo_like(pgsteer_module, cluster):
    stats_port = helpers.free_port()
    p = pgsteer_module(extra={"stats": {"listen": "127.0.0.1:%d" % stats_port}})
    # like a demo that has been up a moment: the replicas are eligible for reads
    wait_for(lambda: helpers.scalar(helpers.connect(p.port), "SELECT pg_is_in_recovery()"),
             15, "a read on a replica through pgsteer")
    return p, stats_port


@pytest.mark.proxy_only
@pytest.mark.parametrize("line,text", runnable_blocks(), ids=lambda v: str(v) if isinstance(v, int) else "")
def test_runnable_block(demo_like, tmp_path, line, text):
    p, stats_port = demo_like
    psqlrc = tmp_path / "psqlrc"
    psqlrc.write_text("\\set ON_ERROR_STOP on\n")
    env = dict(os.environ, PSQLRC=str(psqlrc), PGCONNECT_TIMEOUT="10",
               PATH="%s:%s" % (PG_BIN, os.environ.get("PATH", "")))
    script = as_tested(text, p.port, stats_port)
    r = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=REPO, env=env,
                       capture_output=True, text=True, timeout=120)
    where = "README.md:%d, run as:\n%s\nstdout:\n%s\nstderr:\n%s" % (line, script, r.stdout, r.stderr)
    assert r.returncode == 0, where
    assert not re.search(r"\b(ERROR|FATAL):", r.stderr), where
    if "SHOW pgsteer.last_route" in text and "INSERT INTO tour" in text:
        # what the README says the tour shows: a read on a replica, then the write on the primary
        routes = re.findall(r"\b(replica|primary):main\d\b", r.stdout)
        assert routes[:2] == ["replica", "primary"], where
