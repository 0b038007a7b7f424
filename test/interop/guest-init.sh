#!/bin/sh
# guest-init.sh - /init (PID 1) of the interop test's qemu guest: a real
# Linux LAC (xl2tpd + pppd over the kernel's L2TP) that dials the LNS under
# test once, reports what pppd saw on the serial console and powers off.
#
# The test appends this file to the guest's initramfs at every boot (see
# build-guest.sh), so changes here need no rebuild.
#
# Parameters, from the kernel command line (lac.KEY=VALUE, no blanks):
#   lac.addr=10.98.0.2/24   address of the guest's Ethernet interface
#   lac.lns=10.98.0.1       the LNS
#   lac.host=lac-interop    L2TP host name of the LAC
#   lac.user=NAME lac.pass=PASSWORD   PPP credentials
#   lac.auth=chap|pap|mschapv2  the only PPP authentication pppd will do
#   lac.secret=SECRET       L2TP tunnel secret (l2tp-secrets); empty: none
#   lac.challenge=yes|no    xl2tpd challenges the LNS too (needs a secret)
#   lac.hidden=yes|no       xl2tpd's "hidden bit"
#   lac.echo=N              pppd's lcp-echo-interval (0: no echoes)
#   lac.hold=N              keep the session N seconds after the pings (the
#                           LNS may end it first), then hang up
#   lac.shell=1             a shell on the console instead of powering off
#   lac.multilink=yes       pppd's multilink, endpoint discriminator IP:addr
#   lac.links=2             after the pings, dial a second call
#                           (another [lac] section to the same LNS), which
#                           pppd attaches to the first one's bundle
#   lac.pingrun=yes         ping the LNS through ppp0 every 0.2 s for the
#                           whole hold, then report PINGRUN
#
# Every report is one console line "@@LAC t=UPTIME EVENT details":
#   BOOT, NET, UNDERLAY ok|fail, DIAL, IPUP (from pppd's ip-up: interface,
#   addresses, DNS), UP (ppp0 has its address), RESOLV (pppd's
#   usepeerdns file), PING ok|fail, PINGBIG ok|fail, HOLD, LINKDOWN (pppd
#   ended during the hold: the LNS closed the session), HANGUP (we end it),
#   PPPD_EXIT, FAIL (no session), DONE; LINK2 (lac.links=2: how many
#   pppd run once the second call is dialled); PINGRUN (lac.pingrun=yes:
#   pings sent and answered during the hold, the longest run of
#   unanswered ones, the last one answered).  pppd's own log (option
#   debug) and xl2tpd's ("xl2tpd: " prefix) are on the console as well.

PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /dev/pts
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp

now() { read -r _t _ < /proc/uptime; echo "$_t"; }
# true until the uptime reaches $1 (whole seconds); loops count time, not
# turns (a turn costs 0.1-0.3 s under TCG)
before() { read -r _t _ < /proc/uptime; [ "${_t%.*}" -lt "$1" ]; }
report() { echo "@@LAC t=$(now) $*"; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

ADDR=10.98.0.2/24 LNS=10.98.0.1 HOST=lac-interop USER=interop PASS=interop
AUTH=chap SECRET= CHALLENGE=no HIDDEN=no ECHO=0 HOLD=0 SHELL=0
MULTILINK=no LINKS=1 PINGRUN=no
for arg in $(cat /proc/cmdline); do
	case $arg in
	lac.addr=*)	ADDR=${arg#*=} ;;
	lac.lns=*)	LNS=${arg#*=} ;;
	lac.host=*)	HOST=${arg#*=} ;;
	lac.user=*)	USER=${arg#*=} ;;
	lac.pass=*)	PASS=${arg#*=} ;;
	lac.auth=*)	AUTH=${arg#*=} ;;
	lac.secret=*)	SECRET=${arg#*=} ;;
	lac.challenge=*) CHALLENGE=${arg#*=} ;;
	lac.hidden=*)	HIDDEN=${arg#*=} ;;
	lac.echo=*)	ECHO=${arg#*=} ;;
	lac.hold=*)	HOLD=${arg#*=} ;;
	lac.shell=*)	SHELL=${arg#*=} ;;
	lac.multilink=*) MULTILINK=${arg#*=} ;;
	lac.links=*)	LINKS=${arg#*=} ;;
	lac.pingrun=*)	PINGRUN=${arg#*=} ;;
	esac
done

finish() {
	report DONE
	if [ "$SHELL" = 1 ]; then
		exec setsid sh -c 'exec sh < /dev/ttyS0 > /dev/ttyS0 2>&1'
	fi
	sync
	poweroff -f
	echo o > /proc/sysrq-trigger
	sleep 10
}

report BOOT "kernel=$(uname -r)"
for m in virtio_pci virtio_net ppp_generic pppox l2tp_core l2tp_netlink l2tp_ppp; do
	modprobe "$m" || report MODPROBE_FAILED "$m"
done
[ -c /dev/ppp ] || mknod /dev/ppp c 108 0

ip link set lo up
ETH=
for d in /sys/class/net/*; do
	case ${d##*/} in lo|sit*|tunl*|ip6tnl*) ;; *) ETH=${d##*/}; break ;; esac
done
ip addr add "$ADDR" dev "$ETH"
ip link set "$ETH" up
report NET "$ETH $ADDR"
if ping -c 1 -W 3 "$LNS" > /dev/null 2>&1; then
	report UNDERLAY ok
else
	report UNDERLAY fail
fi

# ---- pppd
mkdir -p /etc/ppp /etc/xl2tpd /run/xl2tpd
printf '"%s" * "%s" *\n' "$USER" "$PASS" > /etc/ppp/chap-secrets
cp /etc/ppp/chap-secrets /etc/ppp/pap-secrets
chmod 600 /etc/ppp/chap-secrets /etc/ppp/pap-secrets
# pppd authenticates itself with the one protocol lac.auth names.
case "$AUTH" in
pap)	refuse="refuse-chap
refuse-mschap-v2" ;;
mschapv2) refuse="refuse-pap
refuse-chap" ;;
*)	refuse="refuse-pap
refuse-mschap-v2" ;;
esac
if [ "$ECHO" -gt 0 ]; then
	echo="lcp-echo-interval $ECHO
lcp-echo-failure 3"
else
	echo="lcp-echo-interval 0"
fi
if [ "$MULTILINK" = yes ]; then
	mp="multilink
endpoint IP:${ADDR%/*}"
else
	mp=
fi
cat > /etc/ppp/options.lac <<EOF
$mp
name $USER
user $USER
noauth
$refuse
refuse-eap
refuse-mschap
noipdefault
ipcp-accept-local
ipcp-accept-remote
usepeerdns
nodefaultroute
$echo
debug
logfile /dev/console
EOF
cat > /etc/ppp/ip-up <<'EOF'
#!/bin/sh
# pppd's view of the link: ip-up IFACE TTY SPEED LOCAL REMOTE IPPARAM
read -r up _ < /proc/uptime
echo "@@LAC t=$up IPUP iface=$1 local=$4 remote=$5 dns1=${DNS1:-none} dns2=${DNS2:-none}" > /dev/console
EOF
chmod 755 /etc/ppp/ip-up

# ---- xl2tpd
cat > /etc/xl2tpd/xl2tpd.conf <<EOF
[global]
port = 1701
access control = no

[lac lns]
lns = $LNS
hostname = $HOST
name = $USER
require authentication = no
challenge = $CHALLENGE
hidden bit = $HIDDEN
length bit = yes
ppp debug = yes
pppoptfile = /etc/ppp/options.lac
autodial = no
redial = no
EOF
if [ "$LINKS" = 2 ]; then
	sed -n '/^\[lac lns\]/,$p' /etc/xl2tpd/xl2tpd.conf |
	    sed 's/^\[lac lns\]/[lac lns2]/' >> /etc/xl2tpd/xl2tpd.conf
fi
if [ -n "$SECRET" ]; then
	printf '* * %s\n' "$SECRET" > /etc/xl2tpd/l2tp-secrets
else
	: > /etc/xl2tpd/l2tp-secrets
fi
chmod 600 /etc/xl2tpd/l2tp-secrets

mkfifo /tmp/xl2tpd.out
while read -r line; do
	echo "xl2tpd: $line" > /dev/console
	echo "$line" >> /tmp/xl2tpd.log
done < /tmp/xl2tpd.out &
xl2tpd -D -c /etc/xl2tpd/xl2tpd.conf -s /etc/xl2tpd/l2tp-secrets \
    -p /run/xl2tpd.pid -C /run/xl2tpd/l2tp-control > /tmp/xl2tpd.out 2>&1 &
XL2TPD=$!
i=0
while [ ! -p /run/xl2tpd/l2tp-control ] && [ $i -lt 100 ]; do
	sleep 0.1; i=$((i + 1))
done

report DIAL "lns=$LNS auth=$AUTH user=$USER secret=${SECRET:+yes} challenge=$CHALLENGE hidden=$HIDDEN"
T0=$(now)
echo "c lns" > /run/xl2tpd/l2tp-control

# Up when ppp0 has its IPv4 address; failed when pppd came and went, when
# the tunnel was closed before pppd started, or after 60 s.
up=0 seen=0
deadline=$(( ${T0%.*} + 60 ))
while before $deadline; do
	if ip -4 addr show dev ppp0 2>/dev/null | grep -q ' inet '; then
		up=1; break
	fi
	if pidof pppd > /dev/null; then
		seen=1
	elif [ $seen = 1 ]; then
		break
	elif grep -q -e 'onnection.* closed to' -e 'Maximum retries exceeded' \
	    /tmp/xl2tpd.log 2>/dev/null; then
		break
	fi
	sleep 0.1
done

if [ $up = 0 ]; then
	report FAIL "after=$(elapsed "$T0")s pppd_started=$seen"
	echo "d lns" > /run/xl2tpd/l2tp-control	# the tunnel, if still up
	sleep 1
	finish
fi

set -- $(ip -4 addr show dev ppp0 | awk '$1 == "inet" { print $2, $4 }')
LOCAL=$1 PEER=${2%/*}
report UP "after=$(elapsed "$T0")s local=$LOCAL peer=$PEER"
sleep 0.3	# let ip-up and usepeerdns finish
report RESOLV "$(tr '\n' ' ' < /etc/ppp/resolv.conf 2>/dev/null)"

if ping -c 5 -i 0.2 -W 3 -I ppp0 "$PEER" > /tmp/ping 2>&1; then r=ok; else r=fail; fi
report PING "$r to=$PEER $(tail -n 2 /tmp/ping | tr '\n' ' ')"
if ping -c 2 -i 0.2 -W 3 -s 1200 -I ppp0 "$PEER" > /tmp/ping 2>&1; then r=ok; else r=fail; fi
report PINGBIG "$r to=$PEER size=1200 $(tail -n 2 /tmp/ping | tr '\n' ' ')"

if [ "$LINKS" = 2 ]; then
	# After the pings, a second link: pppd (multilink) attaches it to
	# ppp0's bundle.
	echo "c lns2" > /run/xl2tpd/l2tp-control
	T2=$(now)
	deadline=$(( ${T2%.*} + 30 ))
	while before $deadline; do
		set -- $(pidof pppd)
		[ $# -ge 2 ] && break
		sleep 0.2
	done
	T3=$(now)
	deadline=$(( ${T3%.*} + 5 ))
	while before $deadline; do sleep 0.2; done
	set -- $(pidof pppd)
	report LINK2 "pppds=$# after=$(elapsed "$T2")s"
fi

if [ "$HOLD" -gt 0 ]; then
	PINGER=
	if [ "$PINGRUN" = yes ]; then
		ping -i 0.2 -W 1 -I ppp0 "$PEER" > /tmp/pingrun 2>&1 &
		PINGER=$!
	fi
	report HOLD "seconds=$HOLD local=$LOCAL"
	T1=$(now)
	deadline=$(( ${T1%.*} + HOLD ))
	while before $deadline && pidof pppd > /dev/null; do
		sleep 0.2
	done
	if [ -n "$PINGER" ]; then
		kill -INT "$PINGER"
		wait "$PINGER"
		# icmp_seq counts from 1; a gap is a run of sequence numbers
		# without an answer, the tail after the last answer included.
		report PINGRUN "$(awk '
		    / bytes from / {
			for (i = 1; i <= NF; i++)
				if ($i ~ /^icmp_seq=/) {
					s = substr($i, 10) + 0
					if (s - last - 1 > gap) gap = s - last - 1
					if (s > last) last = s
					got++
				}
		    }
		    / packets transmitted/ { sent = $1 }
		    END {
			if (sent - last > gap) gap = sent - last
			printf "sent=%d received=%d maxgap=%d last=%d", sent, got, gap, last
		    }' /tmp/pingrun)"
	fi
fi
if pidof pppd > /dev/null; then
	report HANGUP "pid=$(pidof pppd)"
	T1=$(now)
	kill -TERM $(pidof pppd)
	deadline=$(( ${T1%.*} + 15 ))
	while pidof pppd > /dev/null && before $deadline; do
		sleep 0.1
	done
	if pidof pppd > /dev/null; then gone=no; else gone=yes; fi
	report PPPD_EXIT "after=$(elapsed "$T1")s gone=$gone"
else
	report LINKDOWN "after=$(elapsed "${T1:-$T0}")s"
fi
sleep 1
echo "d lns" > /run/xl2tpd/l2tp-control
sleep 1
kill "$XL2TPD" 2>/dev/null
finish
