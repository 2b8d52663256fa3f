#!/usr/bin/env bash
# check-docs.sh: checks of what ships beside the code, from any directory;
# contrib/check.sh runs it. Each check prints "ok: WHAT" or "FAILED: WHAT"
# (with the reason below it); the last line is "N passed, N failed" and the
# exit code is non-zero if any failed. Needs groff and man (man-db),
# promtool (Debian package prometheus) and python3; it builds nothing.
#
#   - the man pages render without a groff warning (groff -ww) and
#     `man -l` prints nothing on standard error;
#   - contrib/pgsteer-alerts.yml passes `promtool check rules` and its unit
#     tests, contrib/pgsteer-alerts.test.yml, pass `promtool test rules`;
#   - contrib/grafana-dashboard.json is valid JSON and every query in it is
#     valid PromQL (promtool checks them as recording rules);
#   - every pgsteer_* metric the alerts, their tests and the dashboard name
#     is documented in doc/metrics.md;
#   - contrib/pgsteer.logrotate parses (logrotate -d, when installed);
#   - every relative link in README.md and doc/*.md points to a file, and
#     every #anchor into a .md file to one of its headings;
#   - every file of the tree those pages name (src/route.c, contrib/...)
#     exists.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
PYTHON=/usr/bin/python3
PATH=$PATH:/usr/sbin:/sbin   # logrotate
PASSED=0
FAILED=0
TMP=$(mktemp -d /tmp/pgsteer-docs.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

# run WHAT CMD...: a check passes when CMD exits 0 and prints nothing on stderr.
run() {
	local what=$1 rc=0
	shift
	"$@" >"$TMP/out" 2>"$TMP/err" || rc=$?
	if [ "$rc" -eq 0 ] && [ ! -s "$TMP/err" ]; then
		echo "ok: $what"
		PASSED=$((PASSED + 1))
	else
		echo "FAILED: $what (exit $rc)"
		cat "$TMP/out" "$TMP/err" | head -n 40
		FAILED=$((FAILED + 1))
	fi
}

# promtool prints its findings on stdout and exits non-zero; its "SUCCESS"
# lines go to stdout too, so only the exit code counts.
promtool_quiet() { promtool "$@" >"$TMP/promtool.out" 2>&1 || { cat "$TMP/promtool.out"; return 1; }; }

check_man() {
	local page
	for page in doc/pgsteer.1 doc/pgsteer.ini.5; do
		run "$page renders without groff warnings" groff -ww -z -man -t "$page"
		run "$page renders with man -l at 80 columns" env MANWIDTH=80 MAN_KEEP_FORMATTING=1 man -l "$page"
	done
}

check_alerts() {
	if ! command -v promtool >/dev/null; then
		echo "FAILED: promtool not installed (Debian package prometheus)"
		FAILED=$((FAILED + 1))
		return
	fi
	run "contrib/pgsteer-alerts.yml: promtool check rules" promtool_quiet check rules contrib/pgsteer-alerts.yml
	run "contrib/pgsteer-alerts.test.yml: promtool test rules" promtool_quiet test rules contrib/pgsteer-alerts.test.yml
	run "contrib/grafana-dashboard.json: valid JSON, every query valid PromQL" dashboard_queries_are_promql
}

# Each dashboard query becomes a recording rule, with Grafana's variables
# replaced by values, so that promtool parses it.
dashboard_queries_are_promql() {
	"$PYTHON" - contrib/grafana-dashboard.json "$TMP/dashboard-rules.yml" <<-'PY' || return 1
		import json, sys
		dash = json.load(open(sys.argv[1]))
		exprs = []
		def walk(node):
		    if isinstance(node, dict):
		        if isinstance(node.get("expr"), str):
		            exprs.append(node["expr"])
		        for v in node.values():
		            walk(v)
		    elif isinstance(node, list):
		        for v in node:
		            walk(v)
		walk(dash)
		if not exprs:
		    sys.exit("no queries in the dashboard")
		with open(sys.argv[2], "w") as out:
		    out.write("groups:\n  - name: dashboard\n    rules:\n")
		    for i, e in enumerate(exprs):
		        e = e.replace("$__rate_interval", "5m").replace("$instance", ".*")
		        out.write("      - record: dashboard:q%d\n        expr: %s\n" % (i, json.dumps(e)))
	PY
	promtool_quiet check rules "$TMP/dashboard-rules.yml"
}

# Every metric named in FILES must appear as `name` in doc/metrics.md
# (histogram series by their family name).
metrics_are_documented() {
	"$PYTHON" - doc/metrics.md "$@" <<-'PY'
		import re, sys
		doc = open(sys.argv[1]).read()
		bad = []
		for path in sys.argv[2:]:
		    for name in sorted(set(re.findall(r"\bpgsteer_[a-z0-9_]+", open(path).read()))):
		        family = re.sub(r"_(bucket|sum|count)$", "", name)
		        if "`%s`" % name not in doc and "`%s`" % family not in doc:
		            bad.append("%s: %s is not in doc/metrics.md" % (path, name))
		if bad:
		    sys.exit("\n".join(bad))
	PY
}

# logrotate -d parses the file and does nothing; it reports on stderr.
logrotate_parses() {
	logrotate -d -s "$TMP/logrotate.state" contrib/pgsteer.logrotate >"$TMP/logrotate.out" 2>&1
	if grep -i "error" "$TMP/logrotate.out"; then return 1; fi
}

# Relative links [text](path) and [text](path#anchor) must name a file,
# and an anchor into a .md file one of its headings (GitHub's slugs).
links_resolve() {
	"$PYTHON" - README.md doc/*.md <<-'PY'
		import os, re, sys
		def slugs(md):
		    text = re.sub(r"```.*?```", "", open(md).read(), flags=re.S)
		    out = set()
		    for h in re.findall(r"^#+\s+(.*?)\s*$", text, flags=re.M):
		        h = re.sub(r"[`*_]|\\", "", h).lower()
		        out.add(re.sub(r"[^\w\- ]", "", h).replace(" ", "-"))
		    return out
		bad = []
		for path in sys.argv[1:]:
		    text = re.sub(r"```.*?```", "", open(path).read(), flags=re.S)
		    for target in re.findall(r"\]\(([^)\s]+)\)", text):
		        if re.match(r"[a-z]+:", target):
		            continue
		        file, _, anchor = target.partition("#")
		        file = os.path.normpath(os.path.join(os.path.dirname(path), file)) if file else path
		        if not os.path.exists(file):
		            bad.append("%s: link to %s: no such file" % (path, target))
		        elif anchor and file.endswith(".md") and anchor not in slugs(file):
		            bad.append("%s: link to %s: no such heading" % (path, target))
		if bad:
		    sys.exit("\n".join(bad))
	PY
}

# Every file of the tree that README.md and doc/*.md name in passing
# (`src/route.c`, tests/unit/test_route.c, contrib/bench.sh ...) must
# exist, so that a rename cannot leave the docs pointing at nothing; paths
# that are build products (no extension under src/ and tests/) are skipped.
named_files_exist() {
	"$PYTHON" - README.md doc/*.md <<-'PY'
		import os, re, sys
		bad = []
		pat = re.compile(r"(?<![\w./-])((?:src|tests|contrib|conf|debian|doc|tools)/[A-Za-z0-9_./-]*[A-Za-z0-9_])")
		for path in sys.argv[1:]:
		    for name in sorted(set(pat.findall(open(path).read()))):
		        if os.path.exists(name) or "/build" in name:
		            continue
		        if name.startswith(("src/", "tests/")) and "." not in os.path.basename(name):
		            continue        # a built program: src/pgsteer, tests/unit/test_route
		        bad.append("%s: names %s: no such file in the tree" % (path, name))
		if bad:
		    sys.exit("\n".join(bad))
	PY
}

main() {
	check_man
	check_alerts
	run "every metric in the alerts and the dashboard is in doc/metrics.md" \
		metrics_are_documented contrib/pgsteer-alerts.yml contrib/pgsteer-alerts.test.yml \
		contrib/grafana-dashboard.json
	if command -v logrotate >/dev/null; then
		run "contrib/pgsteer.logrotate parses" logrotate_parses
	else
		echo "FAILED: logrotate not installed (Debian package logrotate)"
		FAILED=$((FAILED + 1))
	fi
	run "relative links in README.md and doc/*.md resolve" links_resolve
	run "every file of the tree README.md and doc/*.md name exists" named_files_exist
	echo "$PASSED passed, $FAILED failed"
	[ "$FAILED" -eq 0 ]
}

main "$@"
