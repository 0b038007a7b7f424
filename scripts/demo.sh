#!/bin/bash
# demo.sh - run l2tpns in a network namespace of its own.
#
#   sudo scripts/demo.sh          install deps, build, start the demo
#   sudo scripts/demo.sh status   show whether it runs, its tun0 and log
#   sudo scripts/demo.sh stop     stop the daemon and delete the namespace
#
# The daemon runs in the namespace "l2tpns-demo", so its tun0 and anything
# it does to routing stay out of the host's network.  Its files are in
# /run/l2tpns-demo: the startup-config (the shipped default with a few
# demo lines appended), users, ip_pool, the log and the pid file.
# Running "start" again while the demo runs only shows its status; "stop"
# ends only the process whose pid is in the demo's pid file.

set -eu

NS=l2tpns-demo
DIR=/run/l2tpns-demo
PIDFILE=$DIR/l2tpns.pid
LOG=$DIR/l2tpns.log
CONF=$DIR/startup-config

cd "$(dirname "$0")/.."
ROOT=$(pwd)

if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		exec sudo "$0" "$@"
	fi
	echo "demo.sh: must run as root" >&2
	exit 1
fi

say() {
	printf '\n== %s\n' "$*"
}

# The demo daemon's pid, if it is running; empty otherwise.
demo_pid() {
	local pid
	[ -s "$PIDFILE" ] || return 0
	pid=$(head -n 1 "$PIDFILE")
	case "$pid" in
	''|*[!0-9]*) return 0 ;;
	esac
	# Only a live l2tpns process counts, not a recycled pid.
	if [ -r "/proc/$pid/comm" ] && [ "$(cat "/proc/$pid/comm")" = l2tpns ]; then
		echo "$pid"
	fi
}

ns_exists() {
	ip netns list 2>/dev/null | awk '{print $1}' | grep -qx "$NS"
}

show() {
	local pid
	pid=$(demo_pid)
	if [ -n "$pid" ]; then
		say "l2tpns is running in namespace $NS, pid $pid"
	else
		say "l2tpns is not running"
	fi
	if ns_exists && ip -n "$NS" link show tun0 >/dev/null 2>&1; then
		say "ip -n $NS addr show tun0"
		ip -n "$NS" addr show tun0
		say "UDP sockets in $NS (L2TP listens on port 1701)"
		ip netns exec "$NS" ss -lunp
	fi
	if [ -s "$LOG" ]; then
		say "last lines of $LOG"
		tail -n 20 "$LOG"
	fi
}

stop() {
	local pid
	pid=$(demo_pid)
	if [ -n "$pid" ]; then
		say "stopping l2tpns (pid $pid) with SIGQUIT (full shutdown)"
		kill -QUIT "$pid"
		for _ in $(seq 50); do
			[ -d "/proc/$pid" ] || break
			sleep 0.1
		done
		if [ -d "/proc/$pid" ]; then
			echo "demo.sh: pid $pid did not exit in 5 s; sending SIGTERM"
			kill -TERM "$pid" 2>/dev/null || true
			sleep 1
		fi
	else
		say "no demo l2tpns is running"
	fi
	rm -f "$PIDFILE"
	if ns_exists; then
		say "deleting namespace $NS"
		ip netns delete "$NS"
	fi
	echo "The log stays in $LOG."
}

start() {
	local pid

	pid=$(demo_pid)
	if [ -n "$pid" ]; then
		echo "demo.sh: the demo is already running (pid $pid)."
		show
		echo
		echo "Stop it with: sudo scripts/demo.sh stop"
		return 0
	fi

	say "installing dependencies"
	scripts/install-deps.sh

	say "building"
	make all

	say "network namespace $NS"
	if ! ns_exists; then
		ip netns add "$NS"
	fi
	ip -n "$NS" link set lo up

	say "configuration in $DIR"
	mkdir -p "$DIR"
	chmod 0700 "$DIR"
	install -m 0600 etc/startup-config.default "$CONF"
	install -m 0600 etc/users.default "$DIR/users"
	install -m 0644 etc/ip_pool.default "$DIR/ip_pool"
	cat >>"$CONF" <<EOF

# ==== added by scripts/demo.sh ====
set log_file $LOG
set pid_file $PIDFILE
set users_file $DIR/users
set ip_pool_file $DIR/ip_pool
set debug 3
set max_sessions 1024
set max_tunnels 64
EOF
	: >"$LOG"
	"$ROOT/l2tpns" -n -c "$CONF"

	say "starting l2tpns in namespace $NS"
	# In the foreground of its own session, put in the background by the
	# shell, rather than with -d: l2tpns -d does not yet see signals
	# after it forks (its signalfd is watched from before the fork).
	# The log goes to $LOG; stderr (fatal errors) is appended to it.
	ip netns exec "$NS" setsid "$ROOT/l2tpns" -c "$CONF" \
	    </dev/null >/dev/null 2>>"$LOG" &
	for _ in $(seq 50); do
		pid=$(demo_pid)
		[ -n "$pid" ] && break
		sleep 0.1
	done
	if [ -z "$pid" ]; then
		echo "demo.sh: l2tpns did not start; its log:" >&2
		cat "$LOG" >&2
		exit 1
	fi
	show

	cat <<EOF

What you see: l2tpns read its configuration, sized its session tables,
created the tun0 device in namespace $NS and brought it up (1.1.1.1 is
the address it uses when bind_address is not set), opened its L2TP
socket on UDP port 1701, and now waits in its event loop.

What you do not see yet: subscribers.  The L2TP control plane is in
place, but PPP and RADIUS are still being written; a LAC simulator that
brings subscriber sessions up through this daemon will join this demo
in later work.

Try:
  sudo kill -HUP \$(cat $PIDFILE)     reload; see the log
  sudo tail -f $LOG
  sudo scripts/demo.sh status
Stop it (and delete the namespace):
  sudo scripts/demo.sh stop
EOF
}

case "${1:-start}" in
start)	start ;;
stop)	stop ;;
status)	show ;;
*)	echo "usage: $0 [start|stop|status]" >&2
	exit 1 ;;
esac
