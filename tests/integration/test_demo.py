"""contrib/demo.sh as the README tells a newcomer to use it: start, status
(each node's role as PostgreSQL reports it, and pgsteer's view), failover
(stop the primary, promote a replica, point the other at it; writes through
pgsteer land on the new primary), status again, stop. In a directory of its
own (PGSTEER_DEMO_DIR), on free ports; the build is the tree's build/."""
import os
import re
import shutil
import subprocess
import tempfile

import pytest

import helpers

pytestmark = pytest.mark.proxy_only
DEMO = os.path.join(helpers.REPO, "contrib", "demo.sh")


def demo(env, *args, timeout=300):
    r = subprocess.run(["bash", DEMO] + list(args), env=env, capture_output=True, text=True,
                       timeout=timeout)
    return r.returncode, r.stdout + r.stderr


@pytest.fixture
def demo_env():
    if os.geteuid() != 0:
        pytest.fail("contrib/demo.sh runs as root (it installs packages and runs pg_ctl as postgres)")
    base = tempfile.mkdtemp(prefix="pgsteer-demo-")
    os.chmod(base, 0o755)   # the postgres user keeps the cluster below it
    env = dict(os.environ, PGSTEER_DEMO_DIR=os.path.join(base, "demo"))
    yield env
    demo(env, "stop")
    shutil.rmtree(base, ignore_errors=True)


def test_demo_status_failover_stop(demo_env):
    rc, out = demo(demo_env)
    assert rc == 0, out[-3000:]
    assert "PGSTEER_DEMO_DIR=" in out and "demo.sh stop" in out, out[-1000:]
    rc, out = demo(demo_env, "status")
    assert rc == 0, out
    assert re.search(r"main1 .* primary, wal", out), out
    assert re.search(r"main2 .* replica, replayed .*following port", out), out
    assert "SHOW NODES" in out and "main3" in out
    rc, out = demo(demo_env, "failover")
    assert rc == 0, out[-3000:]
    m = re.search(r"writes through pgsteer land on the new primary ([0-9.]+) s", out)
    assert m, out[-3000:]
    assert re.search(r"main1 .* not answering", out), out
    assert re.search(r"main2 .* primary, wal", out), out
    port = int(re.search(r"main2\s+127\.0\.0\.1:(\d+)", out).group(1))
    assert re.search(r"main3 .* replica, replayed .*following port %d" % port, out), out
    print("\ndemo failover: writes on the new primary after %s s" % m.group(1))
    rc, out = demo(demo_env, "stop")
    assert rc == 0 and "removed" in out, out
    assert not os.path.exists(demo_env["PGSTEER_DEMO_DIR"])
