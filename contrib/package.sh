#!/usr/bin/env bash
# package.sh: builds the Debian package (debian/) and tries it end to end,
# from any directory; contrib/check.sh runs it. As root on Debian 12:
# installs what is missing, copies the tree (tracked and untracked files,
# not ignored ones such as build directories) to a temporary directory and
# runs `dpkg-buildpackage -us -uc -b` there, so the source tree gets no
# build artefacts; runs lintian on the .deb and the .changes (an error
# fails, warnings are listed); installs the .deb and checks every file is
# where it should be; starts the service (systemctl when systemd runs,
# otherwise the unit's ExecStart as its User=) with a configuration that
# points at a primary and two replicas from contrib/pgcluster.sh on free
# ports, connects through it with psql (SELECT 1, and SHOW VERSION on the
# admin console) and stops it; purges the package and checks nothing is
# left but the system user and group pgsteer, which are kept on purge as
# Debian packages do.
# Each check prints "ok: WHAT" or "FAILED: WHAT"; the last line is
# "N passed, N failed" and the exit code is non-zero if any failed.
#
# Environment: PACKAGE_KEEP=1 keeps the temporary directory (the .deb, the
# build log, the daemon's log), CHECK_SKIP_APT=1 (install nothing),
# PG_BIN (default /usr/lib/postgresql/15/bin).
set -euo pipefail

SRCDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PGCLUSTER=$SRCDIR/contrib/pgcluster.sh
export PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
T0=$SECONDS

# What the build needs (debian/control's Build-Depends), what tries the
# package, and postgresql-15 for the cluster it is tried against.
PACKAGES=(build-essential debhelper dpkg-dev lintian pkgconf libevent-dev
	libssl-dev libinih-dev libpcre2-dev libpq-dev libcmocka-dev adduser
	postgresql-15 postgresql-client-15 procps util-linux)

# Where the package puts things.
SBIN=/usr/sbin/pgsteer
CONFDIR=/etc/pgsteer
UNIT=/lib/systemd/system/pgsteer.service
WANTS=/etc/systemd/system/multi-user.target.wants/pgsteer.service
LOGROTATE=/etc/logrotate.d/pgsteer
MAN1=/usr/share/man/man1/pgsteer.1.gz
MAN5=/usr/share/man/man5/pgsteer.ini.5.gz
DOCDIR=/usr/share/doc/pgsteer
LOGDIR=/var/log/pgsteer

PASSED=0
FAILED=0
WORK=
CLUSTER=
DAEMON_PID=
INSTALLED=0

say() { printf '\n==== package.sh: %s\n' "$*"; }
pass() { echo "ok: $*"; PASSED=$((PASSED + 1)); }
fail() { echo "FAILED: $*"; FAILED=$((FAILED + 1)); }
# shellcheck disable=SC2317  # called through check
not() { ! "$@"; }
pkg_installed() { dpkg-query -W -f='${Status}' pgsteer 2>/dev/null | grep -q 'ok installed'; }
# check WHAT CMD...: one pass or one failure
check() {
	local what=$1
	shift
	if "$@"; then pass "$what"; else fail "$what"; fi
}

finish() {
	cleanup
	say "took $((SECONDS - T0))s"
	echo "$PASSED passed, $FAILED failed"
	if [ "$FAILED" -eq 0 ]; then exit 0; fi
	exit 1
}

# Leave the machine as it was: the daemon, the cluster and the package go,
# and the temporary directory unless PACKAGE_KEEP=1.
cleanup() {
	trap - EXIT INT TERM
	if [ -n "$DAEMON_PID" ] && kill -0 "$DAEMON_PID" 2>/dev/null; then
		kill -TERM "$DAEMON_PID" 2>/dev/null || true
		wait "$DAEMON_PID" 2>/dev/null || true
	fi
	if [ "$INSTALLED" = 1 ] && [ -d /run/systemd/system ]; then
		systemctl stop pgsteer.service >/dev/null 2>&1 || true
	fi
	if [ "$INSTALLED" = 1 ] && pkg_installed; then
		echo "package.sh: purging pgsteer, installed by this run"
		DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq pgsteer >/dev/null 2>&1 || true
	fi
	if [ -n "$CLUSTER" ] && [ -d "$CLUSTER" ]; then
		"$PGCLUSTER" destroy "$CLUSTER" >/dev/null 2>&1 || true
	fi
	if [ -n "$WORK" ] && [ -d "$WORK" ]; then
		if [ "${PACKAGE_KEEP:-0}" = 1 ]; then
			echo "package.sh: kept $WORK"
		else
			rm -rf "$WORK"
		fi
	fi
}
trap 'fail "stopped early: interrupted, or a command failed (exit $?)"; finish' EXIT
trap 'exit 130' INT TERM

install_packages() {
	local missing=() p
	for p in "${PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	say "apt-get install ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# True when something accepts TCP connections on 127.0.0.1:$1.
port_in_use() { timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }

# First port >= $1 such that it and the next $2-1 ports are all free.
free_port_block() {
	local p i ok
	for ((p = $1; p < $1 + 1000; p += $2)); do
		ok=1
		for ((i = 0; i < $2; i++)); do
			if port_in_use $((p + i)); then ok=0; break; fi
		done
		if [ "$ok" = 1 ]; then echo "$p"; return 0; fi
	done
	return 1
}

# The files an in-tree build would leave (debian/rules, dpkg-buildpackage).
tree_artefacts() {
	local f
	for f in "$SRCDIR"/debian/build "$SRCDIR"/debian/.debhelper "$SRCDIR"/debian/pgsteer \
		"$SRCDIR"/debian/files "$SRCDIR"/debian/debhelper-build-stamp "$SRCDIR"/config.status \
		"$SRCDIR"/../pgsteer_*.deb "$SRCDIR"/../pgsteer_*.changes; do
		if [ -e "$f" ]; then echo "$f"; fi
	done
}

# Copy tracked and untracked (not ignored) files; without git, everything
# but the usual build directories.
copy_tree() {
	local dest=$1
	mkdir -p "$dest"
	if git -C "$SRCDIR" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		(cd "$SRCDIR" && git ls-files -z -co --exclude-standard |
			while IFS= read -r -d '' f; do
				if [ -e "$f" ]; then printf '%s\0' "$f"; fi
			done | tar --null -T - -cf -) | tar -xf - -C "$dest"
	else
		(cd "$SRCDIR" && tar -cf - --exclude='./build*' --exclude=./autom4te.cache \
			--exclude=./bench-results --exclude='./debian/build' .) | tar -xf - -C "$dest"
	fi
}

build() {
	local ac_version deb_version rc=0
	ac_version=$(sed -n 's/^AC_INIT(\[pgsteer\], \[\([^]]*\)\].*/\1/p' "$SRCDIR/configure.ac")
	deb_version=$(dpkg-parsechangelog -l "$SRCDIR/debian/changelog" -S Version)
	check "debian/changelog's version $deb_version is configure.ac's $ac_version" \
		test -n "$ac_version" -a "$ac_version" = "$deb_version"
	VERSION=$deb_version
	ARCH=$(dpkg --print-architecture)
	DEB=$WORK/pgsteer_${VERSION}_${ARCH}.deb
	CHANGES=$WORK/pgsteer_${VERSION}_${ARCH}.changes

	say "dpkg-buildpackage -us -uc -b in $WORK/pgsteer-$VERSION (log: $WORK/build.log)"
	copy_tree "$WORK/pgsteer-$VERSION"
	(cd "$WORK/pgsteer-$VERSION" && timeout 900 dpkg-buildpackage -us -uc -b) >"$WORK/build.log" 2>&1 || rc=$?
	if [ "$rc" -ne 0 ]; then tail -n 60 "$WORK/build.log"; fi
	grep -E '^# (TOTAL|PASS|FAIL):' "$WORK/build.log" | sed 's/^/unit tests at build: /' || true
	check "dpkg-buildpackage -us -uc -b (exit $rc)" test "$rc" -eq 0
	check "built $(basename "$DEB")" test -s "$DEB"
	[ -s "$DEB" ] || finish

	say "lintian (fails on errors; lists warnings, notes and overrides)"
	local out lrc=0
	# lintian would rather not run as root; the files are world-readable
	chmod -R a+rX "$WORK"
	if id nobody >/dev/null 2>&1; then
		out=$(cd "$WORK" && HOME=$WORK setpriv --reuid=nobody --regid=nogroup --clear-groups \
			lintian -I --pedantic --show-overrides --fail-on error "$DEB" "$CHANGES" 2>&1) || lrc=$?
	else
		out=$(lintian -I --pedantic --show-overrides --fail-on error "$DEB" "$CHANGES" 2>&1) || lrc=$?
	fi
	printf '%s\n' "$out" | sort -u
	check "lintian: no errors (exit $lrc)" test "$lrc" -eq 0 -a -z "$(printf '%s\n' "$out" | grep '^E:' || true)"
}

# Check files after installation.
check_installed() {
	local f conffiles
	say "installed files"
	check "$SBIN is executable" test -x "$SBIN"
	check "$SBIN --version runs" "$SBIN" --version
	check "pgsteer --check-config (no -c) checks the example $CONFDIR/pgsteer.ini" \
		grep -q "^pgsteer configuration $CONFDIR/pgsteer.ini: OK" <<<"$("$SBIN" --check-config 2>&1)"
	check "$CONFDIR/pgsteer.ini is conf/pgsteer.ini" cmp -s "$CONFDIR/pgsteer.ini" "$SRCDIR/conf/pgsteer.ini"
	check "$CONFDIR/userlist.txt is conf/userlist.txt" cmp -s "$CONFDIR/userlist.txt" "$SRCDIR/conf/userlist.txt"
	check "$CONFDIR/userlist.txt is 0640 root:pgsteer" \
		test "$(stat -c '%a %U:%G' "$CONFDIR/userlist.txt")" = "640 root:pgsteer"
	check "$CONFDIR/pgsteer.ini is 0644 root:root" \
		test "$(stat -c '%a %U:%G' "$CONFDIR/pgsteer.ini")" = "644 root:root"
	conffiles=$(dpkg-query -W -f='${Conffiles}\n' pgsteer)
	for f in "$CONFDIR/pgsteer.ini" "$CONFDIR/userlist.txt" "$LOGROTATE"; do
		check "$f is a conffile" grep -q "^ $f " <<<"$conffiles"
	done
	check "system user pgsteer (group pgsteer, nologin shell)" \
		test "$(getent passwd pgsteer | cut -d: -f7)" = /usr/sbin/nologin -a \
		"$(id -gn pgsteer 2>/dev/null)" = pgsteer -a "$(id -u pgsteer 2>/dev/null || echo 99999)" -lt 1000
	check "$UNIT runs $SBIN -c $CONFDIR/pgsteer.ini as pgsteer" \
		grep -qx "ExecStart=$SBIN -c $CONFDIR/pgsteer.ini" "$UNIT"
	check "$UNIT: User=pgsteer" grep -qx 'User=pgsteer' "$UNIT"
	check "the unit is installed disabled" test ! -e "$WANTS"
	check "$LOGROTATE is contrib/pgsteer.logrotate" cmp -s "$LOGROTATE" "$SRCDIR/contrib/pgsteer.logrotate"
	check "man pages $MAN1 and $MAN5" test -s "$MAN1" -a -s "$MAN5"
	for f in "$SRCDIR"/README.md "$SRCDIR"/doc/*.md; do
		f=$(basename "$f")
		check "$DOCDIR/$f(.gz)" test -s "$DOCDIR/$f.gz" -o -s "$DOCDIR/$f"
	done
	check "$DOCDIR/copyright" test -s "$DOCDIR/copyright"
}

# Wait up to $1 s for `psql ARGS` (after $1) to succeed; prints its output.
psql_retry() {
	local deadline=$((SECONDS + $1)) out
	shift
	while :; do
		if out=$(psql -X -At -h 127.0.0.1 "$@" 2>&1); then
			printf '%s\n' "$out"
			return 0
		fi
		if [ "$SECONDS" -ge "$deadline" ]; then
			printf '%s\n' "$out" >&2
			return 1
		fi
		sleep 0.5
	done
}

# Start the service, use it, stop it.
try_service() {
	local pg_port px_port exec_line user rc out
	say "service: a cluster from contrib/pgcluster.sh, pgsteer in front of it"
	pg_port=$(free_port_block 25432 3) || { fail "no 3 free ports from 25432"; return; }
	px_port=$(free_port_block 26432 1) || { fail "no free port from 26432"; return; }
	CLUSTER=$WORK/cluster
	if ! "$PGCLUSTER" start "$CLUSTER" "$pg_port"; then
		fail "contrib/pgcluster.sh start $CLUSTER $pg_port"
		return
	fi
	pass "primary and 2 replicas on 127.0.0.1:$pg_port-$((pg_port + 2))"

	# the package's configuration file, rewritten for this cluster; the
	# package's user list (0640 root:pgsteer) as auth_file
	cat >"$CONFDIR/pgsteer.ini" <<-EOF
		; written by contrib/package.sh
		[pgsteer]
		listen_addr = 127.0.0.1
		listen_port = $px_port
		auth_type = trust
		auth_file = $CONFDIR/userlist.txt
		admin_users = admin
		pool_mode = transaction
		default_pool_size = 4
		max_client_conn = 100

		[routing]
		max_lag = 5
		check_interval = 100ms

		[stats]
		listen =

		[cluster.main]

		[node.primary]
		cluster = main
		host = 127.0.0.1
		port = $pg_port

		[node.replica1]
		cluster = main
		host = 127.0.0.1
		port = $((pg_port + 1))

		[node.replica2]
		cluster = main
		host = 127.0.0.1
		port = $((pg_port + 2))
	EOF

	exec_line=$(sed -n 's/^ExecStart=//p' "$UNIT")
	user=$(sed -n 's/^User=//p' "$UNIT")
	local -a cmd
	read -r -a cmd <<<"$exec_line"
	check "pgsteer --check-config, as $user (the unit's ExecReload)" \
		setpriv --reuid="$user" --regid="$user" --init-groups "$SBIN" --check-config -c "$CONFDIR/pgsteer.ini"

	if [ -d /run/systemd/system ]; then
		say "systemctl start pgsteer"
		check "systemctl start pgsteer" systemctl start pgsteer.service
	else
		say "no systemd: $exec_line, as $user (log: $WORK/pgsteer.log)"
		# as the unit would: its user and group, LimitNOFILE, UMask
		(
			ulimit -n 65536 2>/dev/null || true
			umask 0027
			exec setpriv --reuid="$user" --regid="$user" --init-groups "${cmd[@]}"
		) >"$WORK/pgsteer.log" 2>&1 &
		DAEMON_PID=$!
	fi

	if out=$(psql_retry 30 -p "$px_port" -U postgres -d postgres -c 'SELECT 1'); then
		check "psql through pgsteer: SELECT 1 returned 1 ($out)" test "$out" = 1
	else
		fail "psql through pgsteer: SELECT 1"
	fi
	if out=$(psql_retry 10 -p "$px_port" -U admin -d pgsteer -c 'SHOW VERSION'); then
		check "admin console: SHOW VERSION ($out)" grep -q pgsteer <<<"$out"
	else
		fail "admin console: SHOW VERSION"
	fi

	if [ -d /run/systemd/system ]; then
		check "systemctl stop pgsteer" systemctl stop pgsteer.service
		check "pgsteer.service is inactive" not systemctl --quiet is-active pgsteer.service
		journalctl -u pgsteer.service --no-pager -n 20 2>/dev/null || true
	else
		kill -TERM "$DAEMON_PID"
		rc=0
		wait "$DAEMON_PID" || rc=$?
		DAEMON_PID=
		check "pgsteer stopped on SIGTERM with exit 0 (exit $rc)" test "$rc" -eq 0
		check "its log ends with 'pgsteer exited (SIGTERM), exit code 0'" \
			grep -q 'pgsteer exited (SIGTERM), exit code 0' "$WORK/pgsteer.log"
		if [ "$FAILED" -ne 0 ]; then tail -n 30 "$WORK/pgsteer.log"; fi
	fi
	"$PGCLUSTER" destroy "$CLUSTER" >/dev/null 2>&1 || true
	CLUSTER=
}

purge() {
	local f left
	say "apt-get purge pgsteer"
	if DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq pgsteer >"$WORK/purge.log" 2>&1; then
		pass "apt-get purge pgsteer"
	else
		cat "$WORK/purge.log"
		fail "apt-get purge pgsteer"
	fi
	INSTALLED=0
	check "dpkg no longer lists pgsteer as installed" not pkg_installed
	for f in "$SBIN" "$CONFDIR" "$UNIT" "$WANTS" "$LOGROTATE" "$MAN1" "$MAN5" "$DOCDIR" "$LOGDIR"; do
		check "purged: $f" test ! -e "$f"
	done
	check "purged: the dpkg-statoverride of $CONFDIR/userlist.txt" \
		not dpkg-statoverride --list "$CONFDIR/userlist.txt"
	left=$(getent passwd pgsteer || true)
	echo "package.sh: left on purge, as Debian packages do: the system user and group pgsteer ($left)"
}

main() {
	if [ "$(id -u)" -ne 0 ]; then
		fail "package.sh installs and purges a package: run it as root"
		finish
	fi
	if [ "${CHECK_SKIP_APT:-0}" != 1 ]; then
		install_packages || { fail "apt-get install"; finish; }
	fi
	if pkg_installed || [ -e "$SBIN" ] || [ -e "$CONFDIR" ]; then
		fail "pgsteer is installed already ($SBIN or $CONFDIR exists): purge or remove it first"
		finish
	fi
	local before after
	before=$(tree_artefacts)
	WORK=$(mktemp -d /tmp/pgsteer-package.XXXXXX)
	chmod 0755 "$WORK"   # the postgres user must reach the cluster inside

	build

	say "apt-get install $DEB"
	INSTALLED=1
	if DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$DEB" >"$WORK/install.log" 2>&1; then
		pass "apt-get install $(basename "$DEB")"
		check_installed
		try_service
	else
		cat "$WORK/install.log"
		fail "apt-get install $(basename "$DEB")"
	fi
	purge

	after=$(tree_artefacts)
	check "no build artefacts in the source tree" test "$before" = "$after"
	finish
}

main "$@"
