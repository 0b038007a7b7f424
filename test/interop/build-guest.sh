#!/bin/bash
# build-guest.sh - build, once, the small Linux guest that the interop test
# (test/interop/test_real_lac.py) boots under qemu as a real L2TP LAC:
# Debian's kernel (PPP and L2TP as modules), xl2tpd and pppd.
#
#   sudo test/interop/build-guest.sh          # build if missing, else say so
#   sudo test/interop/build-guest.sh --force  # build again
#
# Everything goes to $L2TPNS_INTEROP_DIR (default /var/tmp/l2tpns-interop),
# never into the repository:
#
#   rootfs/          a debootstrap'ed Debian (minbase + kernel, ppp, xl2tpd)
#   guest/kernel     the kernel, as an uncompressed ELF when it can be
#                    extracted (qemu boots it through PVH: no decompression
#                    under TCG, ~5 s saved per boot), else the bzImage
#   guest/base.cpio.gz  an initramfs with only what the LAC needs; it has no
#                    /init: the test appends one (test/interop/guest-init.sh)
#                    as a second cpio archive at each boot, so editing the
#                    init never needs a rebuild
#   guest/READY      written last; holds RECIPE below
#
# The guest is rebuilt when READY is missing or names another RECIPE (bump
# it when this script changes what it builds).  Needs root and a reachable
# Debian mirror: $L2TPNS_INTEROP_MIRROR, else the first URIs of the host's
# apt sources, else http://deb.debian.org/debian.  It installs the host
# packages it uses (qemu-system-x86, debootstrap, cpio) with apt-get when
# they are missing.  Exit status 0 when the guest is ready; otherwise a
# message that says why on stderr and status 1.

set -euo pipefail

RECIPE="l2tpns-interop-guest 1 bookworm"
DIR=${L2TPNS_INTEROP_DIR:-/var/tmp/l2tpns-interop}
SUITE=bookworm
GUEST_PACKAGES="linux-image-amd64,ppp,xl2tpd,iproute2,iputils-ping,kmod,busybox"
# Modules the LAC loads (their dependencies follow).
MODULES="l2tp_ppp l2tp_netlink pppox ppp_generic virtio_net virtio_pci"
# Programs copied into the initramfs, with their libraries.
PROGRAMS="/usr/sbin/pppd /usr/sbin/xl2tpd /usr/bin/ip /usr/bin/ping /usr/bin/kmod /usr/bin/busybox"

die() { echo "build-guest.sh: cannot build the interop guest: $*" >&2; exit 1; }
say() { echo "build-guest.sh: $*"; }

force=0
[ "${1:-}" = --force ] && force=1

[ "$(id -u)" -eq 0 ] || die "must run as root"
mkdir -p "$DIR"
# One build at a time (two test runs on one machine).
exec 9>"$DIR/.lock"
flock 9

if [ $force = 0 ] && [ "$(cat "$DIR/guest/READY" 2>/dev/null)" = "$RECIPE" ]; then
	say "guest ready in $DIR/guest ($RECIPE)"
	exit 0
fi
t0=$(date +%s)

# ---- host tools
need=
command -v qemu-system-x86_64 >/dev/null || need="$need qemu-system-x86"
command -v debootstrap >/dev/null || need="$need debootstrap"
command -v cpio >/dev/null || need="$need cpio"
if [ -n "$need" ]; then
	say "installing$need"
	apt-get update || die "apt-get update failed (no Debian mirror reachable?)"
	DEBIAN_FRONTEND=noninteractive apt-get install -y \
	    --no-install-recommends $need ||
	    die "apt-get install$need failed"
fi

# ---- root filesystem (kept: the expensive part)
mirror=${L2TPNS_INTEROP_MIRROR:-}
if [ -z "$mirror" ]; then
	mirror=$(awk '$1 == "URIs:" { print $2; exit }' \
	    /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
fi
if [ -z "$mirror" ]; then
	mirror=$(awk '$1 == "deb" && $2 !~ /^\[/ { print $2; exit }' \
	    /etc/apt/sources.list 2>/dev/null || true)
fi
mirror=${mirror:-http://deb.debian.org/debian}

rootfs=$DIR/rootfs
if [ $force = 1 ] || [ ! -e "$rootfs/.complete" ]; then
	# Fail fast when the mirror is unreachable (debootstrap's wget
	# would retry for many minutes).
	wget -q --spider --timeout=15 --tries=2 \
	    "$mirror/dists/$SUITE/InRelease" ||
		die "no Debian mirror reachable: $mirror/dists/$SUITE/InRelease" \
		    "cannot be fetched (set L2TPNS_INTEROP_MIRROR?)"
	say "debootstrap $SUITE from $mirror into $rootfs (one to three minutes)"
	rm -rf "$rootfs" "$rootfs.new"
	# The kernel package's hook would build an initramfs we do not use.
	if ! INITRD=No debootstrap --variant=minbase --include="$GUEST_PACKAGES" \
	    "$SUITE" "$rootfs.new" "$mirror" > "$DIR/debootstrap.log" 2>&1; then
		tail -n 15 "$DIR/debootstrap.log" >&2
		die "debootstrap $SUITE from $mirror failed (no Debian mirror" \
		    "reachable?); full log: $DIR/debootstrap.log"
	fi
	touch "$rootfs.new/.complete"
	mv "$rootfs.new" "$rootfs"
fi

kver=$(ls "$rootfs/usr/lib/modules" | sort -V | tail -n 1)
[ -n "$kver" ] && [ -f "$rootfs/boot/vmlinuz-$kver" ] ||
	die "no kernel in $rootfs (remove it and run again)"

# ---- initramfs: the programs, their libraries, the modules
out=$DIR/guest
stage=$DIR/stage
rm -rf "$stage" "$out.new"
mkdir -p "$out.new" "$stage"/usr/{bin,sbin,lib,lib64} \
    "$stage"/{etc/ppp,etc/xl2tpd,proc,sys,dev,run,tmp,root,var}
# Debian's merged /usr.
for d in bin sbin lib lib64; do ln -s "usr/$d" "$stage/$d"; done
ln -s ../run "$stage/var/run"

# copy PATH (a file of the rootfs, symlinks resolved) to the same path
copy() {
	local real
	real=$(chroot "$rootfs" readlink -f "$1")
	mkdir -p "$stage$(dirname "$1")"
	cp "$rootfs$real" "$stage$1"
}

plugin=$(cd "$rootfs" && ls usr/lib/pppd/*/pppol2tp.so | head -n 1)
[ -n "$plugin" ] || die "pppd's pppol2tp.so plugin is missing"
files="$PROGRAMS /$plugin"
for f in $files; do
	copy "$f"
done
# Their shared libraries, as the guest's own loader resolves them.
for f in $files; do
	chroot "$rootfs" ldd "$f"
done | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' |
    sort -u | while read -r lib; do copy "$lib"; done

for a in $(chroot "$rootfs" /usr/bin/busybox --list); do
	[ -e "$stage/usr/bin/$a" ] || [ -e "$stage/usr/sbin/$a" ] ||
		ln -s busybox "$stage/usr/bin/$a"
done
for a in modprobe insmod lsmod rmmod depmod modinfo; do
	rm -f "$stage/usr/bin/$a"
	ln -s ../bin/kmod "$stage/usr/sbin/$a"
done
echo 'root:x:0:0:root:/root:/bin/sh' > "$stage/etc/passwd"
echo 'root:x:0:' > "$stage/etc/group"

moddir=/usr/lib/modules/$kver
for m in $MODULES; do
	# the guest's own kmod: the host may have none
	chroot "$rootfs" modprobe -S "$kver" --show-depends "$m" ||
		die "module $m not found for kernel $kver"
done | awk '$1 == "insmod" { print $2 }' | sort -u | while read -r ko; do
	mkdir -p "$stage$(dirname "$ko")"
	cp "$rootfs$ko" "$stage$ko"
done
for f in modules.order modules.builtin modules.builtin.modinfo; do
	[ -f "$rootfs$moddir/$f" ] && cp "$rootfs$moddir/$f" "$stage$moddir/"
done
chroot "$stage" /usr/sbin/depmod "$kver"

(cd "$stage" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) |
    gzip -1 > "$out.new/base.cpio.gz"
rm -rf "$stage"

# ---- kernel: extract the ELF image from Debian's XZ-compressed bzImage
if ! /usr/bin/python3 - "$rootfs/boot/vmlinuz-$kver" "$out.new/kernel" <<'EOF'
import lzma, sys
data = open(sys.argv[1], "rb").read()
start = data.find(b"\xfd7zXZ\x00")
if start < 0:
    sys.exit("not XZ-compressed")
elf = lzma.LZMADecompressor(format=lzma.FORMAT_XZ).decompress(data[start:])
if elf[:4] != b"\x7fELF":
    sys.exit("no ELF image inside")
open(sys.argv[2], "wb").write(elf)
EOF
then
	say "booting the compressed kernel (slower under TCG)"
	cp "$rootfs/boot/vmlinuz-$kver" "$out.new/kernel"
fi
echo "$kver" > "$out.new/KERNEL_VERSION"
echo "$RECIPE" > "$out.new/READY"
rm -rf "$out"
mv "$out.new" "$out"
say "guest built in $(( $(date +%s) - t0 )) s: kernel $kver," \
    "initramfs $(du -h "$out/base.cpio.gz" | cut -f1), in $out"
