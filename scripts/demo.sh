#!/bin/bash
# demo.sh - a working l2tpns in three network namespaces, with simulated
# subscribers, in one command.
#
#   sudo scripts/demo.sh [start]  install what is missing, build, start it
#   sudo scripts/demo.sh status   what runs, the sessions, uptime
#   sudo scripts/demo.sh add N    bring up N more subscribers (another LAC)
#   sudo scripts/demo.sh stop     stop every process and delete the namespaces
#
# The network (nothing touches the host's own interfaces or routes):
#
#   l2tpns-demo-lac            l2tpns-demo-lns                l2tpns-demo-server
#   lacsim  to-lns ------- to-lac  l2tpns  to-server ------- to-lns
#           192.0.2.2/24   192.0.2.1/24    198.51.100.1/24   198.51.100.2/24
#                                  tun0: the pool 10.255.0.0/24
#
# The LAC simulator (test/lacsim/lacsim) opens an L2TP tunnel to l2tpns
# and brings up PPP subscribers in it (PAP, users demo1..demo5, password
# "demo"); l2tpns authenticates them against a local subscriber file,
# gives them addresses from the shipped ip_pool and routes them on tun0.
# The server namespace routes the pool back through the LNS, so a ping
# from there to a subscriber's address goes through l2tpns, down the
# tunnel, and lacsim (--echo) answers it.
#
# l2tpns runs with the shipped etc/startup-config.default plus the few
# lines this script appends (see write_config).  Every file is in
# /run/l2tpns-demo: startup-config, subscribers, ip_pool, l2tpns.log,
# the lacsim logs (JSON lines) and the pid files.
#
# Running "start" again while the demo runs shows it again (ping, CLI);
# a half-dead demo (a process gone) is cleaned up and started afresh.
# "stop" ends the processes whose pids it recorded (checking that each
# pid is still the program it started), then anything else left in the
# demo's namespaces, and deletes the namespaces.  The logs stay.
#
# Environment:
#   L2TPNS_DEMO_NO_INSTALL=1   skip scripts/install-deps.sh (no apt)
#   L2TPNS_DEMO_NO_BUILD=1     skip "make all": use the binaries as built
#   L2TPNS_DEMO_SESSIONS=N     subscribers brought up by start (5)
#   L2TPNS_DEMO_ID=X           a separate demo (see PREFIX below)

set -eu

# L2TPNS_DEMO_ID=X gives a second, separate demo: namespaces
# l2tpns-demo-X-*, files in /run/l2tpns-demo-X (the test uses it).
ID=${L2TPNS_DEMO_ID:-}
case "$ID" in
*[!a-z0-9]*) echo "demo.sh: L2TPNS_DEMO_ID: only a-z and 0-9" >&2; exit 1 ;;
esac
PREFIX=l2tpns-demo${ID:+-$ID}
NS_LAC=$PREFIX-lac
NS_LNS=$PREFIX-lns
NS_SRV=$PREFIX-server
DIR=/run/$PREFIX

LNS_LAC_ADDR=192.0.2.1		# LNS, towards the LAC (bind_address)
LAC_ADDR=192.0.2.2
LNS_SRV_ADDR=198.51.100.1	# LNS, towards the server (peer_address)
SRV_ADDR=198.51.100.2
LINK_LEN=24
HOSTNAME_LNS=lns-demo
PASSWORD=demo
SESSIONS=${L2TPNS_DEMO_SESSIONS:-5}
case "$SESSIONS" in
''|*[!0-9]*|0*) echo "demo.sh: L2TPNS_DEMO_SESSIONS: 1 to 200" >&2; exit 1 ;;
esac
[ "$SESSIONS" -le 200 ] || { echo "demo.sh: L2TPNS_DEMO_SESSIONS: 1 to 200" >&2; exit 1; }

CONF=$DIR/startup-config
LOG=$DIR/l2tpns.log
PIDFILE=$DIR/l2tpns.pid

cd "$(dirname "$0")/.."
ROOT=$(pwd)
L2TPNS=$ROOT/l2tpns
LACSIM=$ROOT/test/lacsim/lacsim
PYTHON=/usr/bin/python3
ME="sudo ${ID:+L2TPNS_DEMO_ID=$ID }scripts/demo.sh"

if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		envs=()
		for v in L2TPNS_DEMO_NO_INSTALL L2TPNS_DEMO_NO_BUILD \
		    L2TPNS_DEMO_SESSIONS L2TPNS_DEMO_ID; do
			if [ -n "${!v:-}" ]; then
				envs+=("$v=${!v}")
			fi
		done
		exec sudo "${envs[@]}" "$ROOT/scripts/demo.sh" "$@"
	fi
	echo "demo.sh: must run as root" >&2
	exit 1
fi

say() {
	printf '\n== %s\n' "$*"
}

die() {
	echo "demo.sh: $*" >&2
	exit 1
}

# ---------------------------------------------------------------------
# processes and namespaces

ns_exists() {
	[ -e "/run/netns/$1" ]
}

demo_namespaces() {
	local ns
	for ns in $NS_LAC $NS_LNS $NS_SRV; do
		if ns_exists "$ns"; then
			echo "$ns"
		fi
	done
}

# ours PID PROGRAM: true if PID is alive and was started as PROGRAM (its
# argv[0]), so a pid file never makes us signal a recycled pid.
ours() {
	local pid=$1 prog=$2 argv0 state
	case "$pid" in
	''|*[!0-9]*) return 1 ;;
	esac
	[ -r "/proc/$pid/cmdline" ] || return 1
	state=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' \
	    "/proc/$pid/status" 2>/dev/null) || return 1
	[ "$state" != Z ] || return 1
	argv0=$(tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | head -n 1)
	[ "$argv0" = "$prog" ]
}

# The pid in FILE if it is a live PROGRAM; nothing otherwise.
pid_from() {
	local file=$1 prog=$2 pid
	[ -s "$file" ] || return 0
	pid=$(head -n 1 "$file")
	if ours "$pid" "$prog"; then
		echo "$pid"
	fi
}

daemon_pid() {
	pid_from "$PIDFILE" "$L2TPNS"
}

# Pids of every live lacsim the demo started, one per line.
lacsim_pids() {
	local f
	for f in "$DIR"/lacsim-*.pid; do
		[ -e "$f" ] || continue
		pid_from "$f" "$LACSIM"
	done
}

# wait_gone PID SECONDS: true once PID has exited.
wait_gone() {
	local pid=$1 n=$(($2 * 10))
	while [ "$n" -gt 0 ]; do
		[ -d "/proc/$pid" ] || return 0
		if [ "$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' \
		    "/proc/$pid/status" 2>/dev/null)" = Z ]; then
			return 0
		fi
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}

# Pids of the processes that have FILE open (lacsim's log filter).
writers() {
	find /proc/[0-9]*/fd -maxdepth 1 -lname "$1" 2>/dev/null |
	    cut -d/ -f3 | sort -u
}

# stop_pid PID WHAT SIGNAL SECONDS: SIGNAL; after SECONDS a SIGTERM
# (a second one makes lacsim exit without its teardown), then SIGKILL.
stop_pid() {
	local pid=$1 what=$2 sig=$3 secs=$4
	echo "stopping $what (pid $pid) with SIG$sig"
	kill "-$sig" "$pid" 2>/dev/null || return 0
	wait_gone "$pid" "$secs" && return 0
	echo "  still running after ${secs}s: SIGTERM"
	kill -TERM "$pid" 2>/dev/null || return 0
	wait_gone "$pid" 3 && return 0
	echo "  still running: SIGKILL"
	kill -KILL "$pid" 2>/dev/null || true
	wait_gone "$pid" 3 || echo "  pid $pid did not exit" >&2
}

stop_all() {
	local pid ns f sig=QUIT wait=5

	# Without the daemon, a LAC's teardown can only time out.
	[ -n "$(daemon_pid)" ] || wait=1
	# The LACs first: each clears its sessions and tunnel (CDN,
	# StopCCN), as a real LAC going down would.
	for f in "$DIR"/lacsim-*.pid; do
		[ -e "$f" ] || continue
		pid=$(pid_from "$f" "$LACSIM")
		if [ -n "$pid" ]; then
			stop_pid "$pid" lacsim TERM $wait
		else
			# A LAC that died cannot acknowledge a StopCCN.
			sig=TERM
		fi
		# Its log filter ends when lacsim's output does.
		for pid in $(writers "${f%.pid}.log"); do
			wait_gone "$pid" 2 ||
			    stop_pid "$pid" "the filter of ${f%.pid}.log" TERM 2
		done
	done
	pid=$(daemon_pid)
	if [ -n "$pid" ]; then
		# SIGQUIT: close every tunnel and session cleanly, then exit;
		# SIGTERM (exit at once) when a LAC is gone.
		stop_pid "$pid" l2tpns $sig 10
	fi
	# Anything else still in the demo's namespaces was started in
	# them by this script or by someone using the demo (a telnet, a
	# ping): it goes with them.
	for ns in $(demo_namespaces); do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			stop_pid "$pid" "process $(cat "/proc/$pid/comm" \
			    2>/dev/null || echo '?') in $ns" TERM 3
		done
	done
	for ns in $(demo_namespaces); do
		echo "deleting namespace $ns"
		ip netns delete "$ns"
	done
	rm -f "$DIR"/*.pid
}

# ---------------------------------------------------------------------
# setup

install_and_build() {
	if [ -n "${L2TPNS_DEMO_NO_INSTALL:-}" ]; then
		say "installing dependencies: skipped (L2TPNS_DEMO_NO_INSTALL)"
	else
		say "installing dependencies (scripts/install-deps.sh)"
		scripts/install-deps.sh
	fi
	if [ -n "${L2TPNS_DEMO_NO_BUILD:-}" ]; then
		say "building: skipped (L2TPNS_DEMO_NO_BUILD)"
	else
		say "building (make all)"
		make all
	fi
	[ -x "$L2TPNS" ] || die "$L2TPNS is not built (run make)"
	[ -x "$LACSIM" ] || die "$LACSIM is not built (run make)"
	"$PYTHON" -c 'import pexpect' 2>/dev/null ||
	    die "$PYTHON cannot import pexpect (apt-get install python3-pexpect)"
	command -v telnet >/dev/null || die "telnet is missing (apt-get install telnet)"
	command -v ping >/dev/null || die "ping is missing (apt-get install iputils-ping)"
}

# The CIDR blocks of the shipped pool (the server routes them back).
pool_blocks() {
	sed -e 's/#.*//' -e 's/[[:space:]]//g' etc/ip_pool.default |
	    grep -E '^[0-9.]+/[0-9]+$'
}

make_network() {
	local b ns

	say "network namespaces"
	for ns in $NS_LAC $NS_LNS $NS_SRV; do
		ip netns add "$ns"
		ip -n "$ns" link set lo up
	done
	# Each veth pair is created inside the namespaces: the host's
	# interfaces are never touched.
	ip -n "$NS_LAC" link add to-lns type veth peer name to-lac netns "$NS_LNS"
	ip -n "$NS_LNS" link add to-server type veth peer name to-lns netns "$NS_SRV"
	ip -n "$NS_LAC" addr add "$LAC_ADDR/$LINK_LEN" dev to-lns
	ip -n "$NS_LNS" addr add "$LNS_LAC_ADDR/$LINK_LEN" dev to-lac
	ip -n "$NS_LNS" addr add "$LNS_SRV_ADDR/$LINK_LEN" dev to-server
	ip -n "$NS_SRV" addr add "$SRV_ADDR/$LINK_LEN" dev to-lns
	ip -n "$NS_LAC" link set to-lns up
	ip -n "$NS_LNS" link set to-lac up
	ip -n "$NS_LNS" link set to-server up
	ip -n "$NS_SRV" link set to-lns up
	# The LNS is a router between its subscribers (tun0) and the server.
	ip netns exec "$NS_LNS" sysctl -q -w net.ipv4.ip_forward=1
	for b in $(pool_blocks); do
		ip -n "$NS_SRV" route add "$b" via "$LNS_SRV_ADDR"
	done
	printf '  %-20s %s\n' \
	    "$NS_LAC" "the LAC simulator: to-lns $LAC_ADDR/$LINK_LEN" \
	    "$NS_LNS" "l2tpns: to-lac $LNS_LAC_ADDR/$LINK_LEN, to-server $LNS_SRV_ADDR/$LINK_LEN, tun0" \
	    "$NS_SRV" "a host behind the LNS: to-lns $SRV_ADDR/$LINK_LEN, route to $(pool_blocks | paste -sd, -) via $LNS_SRV_ADDR"
}

write_config() {
	local i

	install -m 0600 etc/startup-config.default "$CONF"
	install -m 0644 etc/ip_pool.default "$DIR/ip_pool"
	{
		echo "# $DIR/subscribers - the demo's subscribers (NAME PASSWORD [IP]);"
		echo "# see etc/subscribers.default.  \"*\" takes any other name,"
		echo "# for the subscribers that \"demo.sh add\" brings up."
		for i in $(seq "$SESSIONS"); do
			echo "demo$i $PASSWORD"
		done
		echo "* $PASSWORD"
	} >"$DIR/subscribers"
	chmod 0600 "$DIR/subscribers"
	# No CLI users file: the CLI asks for no password and therefore
	# listens on 127.0.0.1 only (of the LNS namespace).
	cat >>"$CONF" <<EOF

# ==== added by scripts/demo.sh ====
set hostname $HOSTNAME_LNS
set debug 3
set log_file $LOG
set pid_file $PIDFILE
set users_file $DIR/users
set ip_pool_file $DIR/ip_pool
set local_auth_file $DIR/subscribers
set bind_address $LNS_LAC_ADDR
set peer_address $LNS_SRV_ADDR
set primary_dns 198.51.100.53
set secondary_dns 198.51.100.54
EOF
	say "configuration: $CONF"
	echo "etc/startup-config.default with these lines appended:"
	sed -n '/^# ==== added by scripts\/demo.sh/,$p' "$CONF" | sed 's/^/  /'
	"$L2TPNS" -n -c "$CONF"
}

start_daemon() {
	local pid

	say "starting l2tpns in $NS_LNS"
	: >"$LOG"
	# In the foreground of a session of its own (setsid, so a ^C in this
	# terminal does not reach it), put in the background by the shell;
	# stderr (fatal errors, sanitizer reports) goes to the log too.
	# fd 9 (our lock) is not inherited.
	ip netns exec "$NS_LNS" setsid "$L2TPNS" -c "$CONF" \
	    </dev/null >/dev/null 2>>"$LOG" 9>&- &
	for _ in $(seq 100); do
		pid=$(daemon_pid)
		if [ -n "$pid" ] && grep -q ' ready: ' "$LOG"; then
			break
		fi
		sleep 0.1
	done
	if [ -z "$pid" ] || ! grep -q ' ready: ' "$LOG"; then
		echo "demo.sh: l2tpns did not start; its log:" >&2
		cat "$LOG" >&2
		exit 1
	fi
	echo "l2tpns runs, pid $pid:"
	grep -E ' (starting|ready|CLI listening)' "$LOG" | sed 's/^/  /'
}

# lacsim_argv NAME N USERFMT: the lacsim command line of batch NAME (N
# sessions, user names USERFMT) in the array LACSIM_ARGV.
lacsim_argv() {
	LACSIM_ARGV=("$LACSIM" --lns "$LNS_LAC_ADDR" --hostname "lac-$1"
	    --ppp --auth pap --user "$3" --password "$PASSWORD"
	    --tunnels 1 --sessions "$2" --timeout 30 --hold 10000000
	    --echo --json)
}

# Copies lacsim's JSON lines, keeping a "traffic" event (one a second)
# only when its counters change.
TRAFFIC_FILTER='
import re, sys
last = None
for line in iter(sys.stdin.readline, ""):
    if "\"event\":\"traffic\"" in line:
        key = re.sub(r"\"t\":[0-9.]+,?", "", line)
        if key == last:
            continue
        last = key
    sys.stdout.write(line)
    sys.stdout.flush()
'

# start_lacsim NAME N USERFMT: a LAC with one tunnel of N PPP sessions,
# held up (10^7 s: until stopped) and answering pings.  Its JSON lines go
# to $DIR/lacsim-NAME.log (through TRAFFIC_FILTER).
start_lacsim() {
	local name=$1 n=$2 user=$3 pid
	local log=$DIR/lacsim-$1.log pidf=$DIR/lacsim-$1.pid

	lacsim_argv "$name" "$n" "$user"
	: >"$log"
	ip netns exec "$NS_LAC" setsid "${LACSIM_ARGV[@]}" </dev/null 9>&- \
	    > >(exec setsid "$PYTHON" -c "$TRAFFIC_FILTER" >>"$log" 2>&1 9>&-) 2>&1 &
	pid=$!
	echo "$pid" >"$pidf"
	# ip netns exec and setsid exec lacsim: wait until they have.
	for _ in $(seq 50); do
		ours "$pid" "$LACSIM" && break
		[ -d "/proc/$pid" ] || break
		sleep 0.1
	done
	ours "$pid" "$LACSIM" || {
		cat "$log" >&2
		die "lacsim did not start"
	}
	echo "lacsim runs, pid $pid, its events in $log:"
	echo "  ip netns exec $NS_LAC ${LACSIM_ARGV[*]#"$ROOT"/}"
}

# wait_sessions NAME N: wait until N subscribers of batch NAME are up;
# print them.
wait_sessions() {
	local name=$1 n=$2 log up=0 t0 ms
	log=$DIR/lacsim-$name.log
	t0=${EPOCHREALTIME/./}
	for _ in $(seq 400); do
		up=$(subscribers "$log" | grep -c . || true)
		[ "$up" -ge "$n" ] && break
		if grep -q '"event":"done"' "$log"; then
			break
		fi
		sleep 0.1
	done
	ms=$(( (${EPOCHREALTIME/./} - t0) / 1000 ))
	echo "$up of $n subscribers up (waited $ms ms):"
	subscribers "$log" | sed 's/^/  /'
	if [ "$up" -lt "$n" ]; then
		echo "demo.sh: not every subscriber came up; lacsim says:" >&2
		grep -E '"event":"(error|timeout|ppp_auth_fail|ppp_failed|done)"' \
		    "$log" | head -n 20 >&2
		echo "demo.sh: the end of $LOG:" >&2
		tail -n 20 "$LOG" >&2
		exit 1
	fi
}

# The subscribers of a lacsim log whose PPP is up now, one a line:
# USER IP (DNS ...).
subscribers() {
	"$PYTHON" - "$1" <<'EOF'
import json, sys
users, up = {}, {}
for line in open(sys.argv[1]):
    try:
        e = json.loads(line)
    except ValueError:
        continue
    ev, key = e.get("event"), (e.get("tunnel"), e.get("session"))
    if ev == "ppp_auth_ok":
        users[key] = e.get("user", "?")
    elif ev == "ppp_up":
        up[key] = e
    elif ev in ("ppp_down", "session_down"):
        up.pop(key, None)
    elif ev == "tunnel_down":
        up = {k: v for k, v in up.items() if k[0] != key[0]}
for key, e in up.items():
    print("%-12s %-15s (DNS %s, %s; the LNS is %s)" % (
        users.get(key, "?"), e["ip"], e.get("dns1"), e.get("dns2"),
        e.get("peer_ip")))
EOF
}

# The address of the first subscriber up in a lacsim log.
first_ip() {
	subscribers "$1" | awk 'NR == 1 { print $2 }'
}

# ---------------------------------------------------------------------
# showing it

# Ping the first subscriber up from the server; false if it fails.
do_ping() {
	local ip
	ip=$(first_ip "$DIR/lacsim-demo.log")
	if [ -z "$ip" ]; then
		say "ping: no subscriber of $DIR/lacsim-demo.log is up"
		return 0
	fi
	say "ping $ip (a subscriber) from $NS_SRV, through l2tpns"
	echo "# ip netns exec $NS_SRV ping -c 3 $ip"
	ip netns exec "$NS_SRV" ping -c 3 -i 0.2 -W 2 "$ip"
}

# cli COMMAND...: run each command in the daemon's CLI through a real
# telnet session (pexpect) and print the dialogue.
cli() {
	ip netns exec "$NS_LNS" "$PYTHON" - "$HOSTNAME_LNS" "$@" 9>&- <<'EOF'
import re, sys
import pexpect

host, cmds = sys.argv[1], sys.argv[2:]
prompt = re.escape(host) + r"(\([a-z-]+\))?[>#] "
t = pexpect.spawn("telnet", ["127.0.0.1", "23"], encoding="utf-8",
                  codec_errors="replace", timeout=10, dimensions=(200, 250))
try:
    t.expect(prompt)
    for c in cmds:
        t.send(c + "\r")
        t.expect(prompt)
        out = t.before.replace("\r", "")
        # The first line is the command echoed back.
        out = out.split("\n", 1)[1] if "\n" in out else ""
        print("%s> %s" % (host, c))
        print(out.rstrip("\n"))
    t.send("exit\r")
    t.expect(pexpect.EOF)
except (pexpect.TIMEOUT, pexpect.EOF) as e:
    sys.exit("demo.sh: the CLI did not answer as expected: %s\n%s"
             % (type(e).__name__, t.before))
finally:
    t.close(force=True)
EOF
}

show_cli() {
	say "the CLI (telnet 127.0.0.1 in $NS_LNS): show session, uptime"
	cli "show session" "uptime"
}

next_steps() {
	cat <<EOF

== what next
Log in to the CLI yourself: no password (without a users file the CLI
listens on 127.0.0.1 of the LNS namespace only).  Try show tunnel, show
pool, show users, show session 1; "enable", then "drop session 2":
  sudo ip netns exec $NS_LNS telnet 127.0.0.1
Bring up 20 more subscribers (another LAC, users addK-user1..20):
  $ME add 20
Ping any subscriber from the server:
  sudo ip netns exec $NS_SRV ping $(first_ip "$DIR/lacsim-demo.log")
The logs (l2tpns at debug 3; lacsim's JSON events):
  sudo tail -f $LOG
  sudo cat $DIR/lacsim-demo.log
Reload the configuration ($CONF):
  sudo kill -HUP \$(sudo cat $PIDFILE)
See it again, or stop it (every process and namespace):
  $ME status
  $ME stop
EOF
}

# ---------------------------------------------------------------------
# commands

running() {
	[ -n "$(daemon_pid)" ] &&
	    [ -n "$(pid_from "$DIR/lacsim-demo.pid" "$LACSIM")" ]
}

start() {
	if running; then
		echo "demo.sh: the demo is already running (l2tpns pid $(daemon_pid))."
		say "subscribers of the first LAC"
		subscribers "$DIR/lacsim-demo.log" | sed 's/^/  /'
		show_and_tell
		return
	fi
	install_and_build
	if [ -n "$(demo_namespaces)$(daemon_pid)$(lacsim_pids)" ]; then
		say "cleaning up what is left of an earlier demo"
		stop_all
	fi
	rm -f "$DIR"/*.log "$DIR"/*.pid "$DIR"/subscribers "$DIR"/ip_pool \
	    "$CONF"
	make_network
	write_config
	start_daemon
	say "starting the LAC simulator in $NS_LAC: $SESSIONS PPP subscribers"
	start_lacsim demo "$SESSIONS" 'demo%d'
	say "waiting for the subscribers"
	wait_sessions demo "$SESSIONS"
	show_and_tell
}

# The ping, the CLI and what to do next; false if the ping failed.
show_and_tell() {
	local ping_ok=1
	do_ping || ping_ok=
	show_cli
	next_steps
	if [ -z "$ping_ok" ]; then
		echo
		echo "demo.sh: the ping through l2tpns failed; see $LOG" >&2
		return 1
	fi
}

add() {
	local n=${1:-} k name
	case "$n" in
	''|*[!0-9]*) die "usage: $0 add N (1 to 200 subscribers)" ;;
	esac
	if [ "$n" -lt 1 ] || [ "$n" -gt 200 ]; then
		die "add: N must be 1 to 200 (the pool has 254 addresses)"
	fi
	running || die "the demo is not running: $ME start"
	k=1
	while [ -e "$DIR/lacsim-add$k.log" ]; do
		k=$((k + 1))
	done
	name=add$k
	say "starting another LAC in $NS_LAC: $n PPP subscribers"
	start_lacsim "$name" "$n" "$name-user%d"
	wait_sessions "$name" "$n"
	say "the CLI: show tunnel, uptime"
	cli "show tunnel" "uptime"
}

status() {
	local pid f
	pid=$(daemon_pid)
	say "processes"
	if [ -n "$pid" ]; then
		echo "l2tpns pid $pid in $NS_LNS"
	else
		echo "l2tpns is not running"
	fi
	for f in "$DIR"/lacsim-*.pid; do
		[ -e "$f" ] || continue
		pid=$(pid_from "$f" "$LACSIM")
		if [ -n "$pid" ]; then
			echo "lacsim pid $pid in $NS_LAC, events in ${f%.pid}.log"
		else
			echo "lacsim of ${f%.pid}.log is not running"
		fi
	done
	say "namespaces"
	demo_namespaces | grep . || echo "(none)"
	if [ -n "$(daemon_pid)" ]; then
		show_cli
	fi
	if [ -s "$LOG" ]; then
		say "last lines of $LOG"
		tail -n 10 "$LOG"
	fi
}

stop() {
	say "stopping the demo"
	if [ -z "$(demo_namespaces)$(daemon_pid)$(lacsim_pids)" ]; then
		echo "nothing is running"
		return 0
	fi
	stop_all
	[ -z "$(demo_namespaces)" ] || die "namespaces left: $(demo_namespaces)"
	echo "stopped; the logs stay in $DIR"
}

mkdir -p "$DIR"
chmod 0700 "$DIR"
# One demo.sh at a time.
exec 9>"$DIR/lock"
flock -w 60 9 || die "another demo.sh holds $DIR/lock"

case "${1:-start}" in
start)	start ;;
stop)	stop ;;
status)	status ;;
add)	add "${2:-}" ;;
*)	echo "usage: $0 [start|status|add N|stop]" >&2
	exit 1 ;;
esac
