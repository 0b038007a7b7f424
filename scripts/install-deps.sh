#!/bin/sh
# install-deps.sh - install what l2tpns needs to build and to run its tests,
# on Debian 12 (bookworm).  Run as root, or as a user with sudo.
#
# Idempotent: when every package is already installed it does nothing but
# say so.  It runs "apt-get update" only when a package is missing and the
# package lists are absent or more than a day old (or an install fails on
# stale lists), and it never removes a package.
#
# It starts and stops no service.  While it installs, a temporary
# /usr/sbin/policy-rc.d asks the packages' maintainer scripts not to start
# their services (unless a policy-rc.d already exists, which is left as it
# is).  Note that on a machine booted with systemd, freeradius.service stays
# enabled and would start at the next boot; the test suite runs its own
# RADIUS server and does not need it.  "systemctl disable --now freeradius"
# turns it off, if you wish.  The same goes for the l2tpns package: Debian's
# build of the original daemon, which test/system/test_relay.py runs as the
# far LNS (a peer no one here wrote) in a namespace with its own config.

set -eu

# "install-deps.sh bench" also installs what "make bench" needs
# (bench/bench.py): gnuplot for the plots, perf for the profiles, ethtool
# for the links' offloads.
BENCH_PACKAGES="
	gnuplot-nox
	linux-perf
	ethtool
	iperf3
"

PACKAGES="
	build-essential
	clang
	libclang-rt-14-dev
	libcli-dev
	libpcap-dev
	libmd-dev
	nettle-dev
	libcmocka-dev
	libcrypt-dev
	python3
	python3-pytest
	python3-pexpect
	freeradius
	freeradius-utils
	iproute2
	iptables
	nftables
	telnet
	man-db
	tcpdump
	bird2
	frr
	gobgpd
	pkg-config
	procps
	qemu-system-x86
	debootstrap
	cpio
	iputils-ping
	tshark
	libmicrohttpd-dev
	prometheus
	chromium
	chromium-driver
	python3-selenium
	liburing-dev
	l2tpns
"

case "${1:-}" in
bench)	PACKAGES="$PACKAGES $BENCH_PACKAGES" ;;
'')	;;
*)	echo "usage: install-deps.sh [bench]" >&2
	exit 1 ;;
esac

if [ "$(id -u)" -eq 0 ]; then
	SUDO=
elif command -v sudo >/dev/null 2>&1; then
	SUDO=sudo
else
	echo "install-deps.sh: run as root (sudo is not installed)" >&2
	exit 1
fi

missing=
for p in $PACKAGES; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$status" in
	*" installed") ;;
	*) missing="$missing $p" ;;
	esac
done

if [ -z "$missing" ]; then
	echo "install-deps.sh: all $(echo "$PACKAGES" | wc -w) packages are installed"
	exit 0
fi
echo "install-deps.sh: to install:$missing"

# Package lists count as fresh when one was fetched within the last day.
lists_fresh() {
	[ -n "$(find /var/lib/apt/lists -maxdepth 1 -name '*_Packages*' \
	    -mtime -1 2>/dev/null | head -n 1)" ]
}

apt_install() {
	$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y \
	    --no-install-recommends "$@"
}

# Keep maintainer scripts from starting services during the install.
policy=/usr/sbin/policy-rc.d
made_policy=
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\n# temporary, from l2tpns scripts/install-deps.sh\nexit 101\n' |
	    $SUDO tee "$policy" >/dev/null
	$SUDO chmod 0755 "$policy"
	made_policy=1
fi
cleanup() {
	if [ -n "$made_policy" ]; then
		$SUDO rm -f "$policy"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if ! lists_fresh; then
	$SUDO apt-get update
fi
# tshark (the interception tests read pcap files with it) would ask
# whether non-root users may capture: answer no beforehand.
case "$missing" in
*" tshark"*)
	echo "wireshark-common wireshark-common/install-setuid boolean false" |
	    $SUDO debconf-set-selections
	;;
esac
# shellcheck disable=SC2086
if ! apt_install $missing; then
	echo "install-deps.sh: install failed; refreshing package lists and" \
	    "retrying" >&2
	$SUDO apt-get update
	# shellcheck disable=SC2086
	apt_install $missing
fi

# Report (only) if something already listens on the RADIUS ports.
if command -v ss >/dev/null 2>&1 &&
    ss -Hlun 2>/dev/null | grep -Eq ':(1812|1813)[[:space:]]'; then
	echo "install-deps.sh: note: a process listens on UDP port 1812 or" \
	    "1813 (perhaps the freeradius service); it is left running." \
	    "The tests do not use it."
fi
echo "install-deps.sh: done"
