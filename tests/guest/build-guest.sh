#!/bin/bash
# build-guest.sh OUTDIR
#
# Builds the tiny test guest used by the integration tests, entirely from
# Debian packages, at test time (nothing binary is committed):
#
#   OUTDIR/vmlinuz       x86_64 kernel from a linux-image-*-amd64 package
#                        (apt-get download + dpkg-deb -x, never installed)
#   OUTDIR/initrd.img    busybox initramfs (busybox-static package) whose init
#                        loads a few modules, starts an ACPI power-button
#                        handler, prints MODVIRT-GUEST-READY on ttyS0 and keeps
#                        a shell on the serial console
#   OUTDIR/guest.xml.in  libvirt domain XML template (@NAME@ placeholder)
#
# Idempotent: downloaded packages are cached in OUTDIR/cache and a stamp
# records what the outputs were built from; a second run with the same
# inputs does nothing.  Concurrent runs on one OUTDIR are serialised with
# flock.  Must run as root (apt-get download into a root-owned cache and
# mknod for /dev/console in the initramfs).
#
# Environment:
#   MODVIRT_GUEST_KERNEL_PKG   force a kernel package name
#                              (default: newest linux-image-<ver>-amd64)
#   MODVIRT_GUEST_MODULES      space-separated module names to put in the
#                              initramfs (dependencies are added)
#   MODVIRT_GUEST_QEMU         emulator path written into guest.xml.in
#
# See README.md in this directory.

set -euo pipefail
umask 022

die() { echo "build-guest.sh: error: $*" >&2; exit 1; }
log() { echo "build-guest.sh: $*" >&2; }

[ $# -eq 1 ] || die "usage: $0 OUTDIR"
[ "$(id -u)" -eq 0 ] || die "must run as root (needs apt-get download and mknod)"
for t in apt-cache apt-get dpkg-deb gzip flock sha256sum sort; do
    command -v "$t" >/dev/null 2>&1 || die "required tool '$t' not found"
done

mkdir -p "$1" || die "cannot create output directory $1"
OUT=$(cd "$1" && pwd)
CACHE="$OUT/cache"
mkdir -p "$CACHE"

# Serialise concurrent builds into the same OUTDIR.
exec 9>"$OUT/.lock"
flock 9 || die "cannot lock $OUT/.lock"

MODULES_WANTED=${MODVIRT_GUEST_MODULES:-"button evdev virtio_blk virtio_net virtio_balloon virtio_rng"}
QEMU_BIN=${MODVIRT_GUEST_QEMU:-$(command -v qemu-system-x86_64 || echo /usr/bin/qemu-system-x86_64)}

# ---------------------------------------------------------------- packages --

# candidates PKG... -> "PKG VERSION" lines (one apt-cache call: each costs ~1 s);
# VERSION is empty when apt has no installable version.
candidates() {
    apt-cache policy "$@" 2>/dev/null |
        awk '/^[^ ].*:$/ { p = substr($0, 1, length($0) - 1) }
             /^  Candidate:/ { v = $2; if (v == "(none)") v = ""; print p, v }'
}

pick_kernel() {
    if [ -n "${MODVIRT_GUEST_KERNEL_PKG:-}" ]; then
        echo "$MODVIRT_GUEST_KERNEL_PKG"; return
    fi
    local names signed
    # Generic amd64 flavour only: linux-image-<version>-amd64 (not cloud/rt,
    # not -dbg; meta-packages like linux-image-6.12-amd64 carry no kernel,
    # so require a real ABI version: 6.1.0-47 or 6.12.117+deb12).
    names=$(apt-cache search --names-only '^linux-image-[0-9]' 2>/dev/null | awk '{ print $1 }' |
            grep -E '^linux-image-[0-9]+\.[0-9]+(\.[0-9]+-[0-9]+|\.[0-9]+\+[a-z0-9]+)-amd64(-unsigned)?$' |
            grep -Ev -- '-(cloud|rt)-amd64' || true)
    [ -n "$names" ] || return 0
    signed=$(echo "$names" | grep -v -- '-unsigned$' || true)
    if [ -n "$signed" ]; then names=$signed; fi
    # Version-sort on the name with the prefix stripped.
    echo "$names" | sed 's/^linux-image-//' | sort -V | tail -n1 | sed 's/^/linux-image-/'
}

# fetch_deb PKG VERSION -> prints path of the .deb in $CACHE (downloads when missing).
fetch_deb() {
    local pkg=$1 ver=$2 deb vfile
    vfile=${ver//:/%3a}
    deb=$(ls "$CACHE/${pkg}_${vfile}_"*.deb 2>/dev/null | head -n1 || true)
    if [ -z "$deb" ]; then
        log "downloading $pkg=$ver"
        # Same file may already sit in apt's own cache.
        local cached
        cached=$(ls "/var/cache/apt/archives/${pkg}_${vfile}_"*.deb 2>/dev/null | head -n1 || true)
        if [ -n "$cached" ]; then
            cp "$cached" "$CACHE/"
        else
            (cd "$CACHE" && apt-get -q -o APT::Sandbox::User=root download "$pkg=$ver" >&2) ||
                die "apt-get download $pkg=$ver failed"
        fi
        deb=$(ls "$CACHE/${pkg}_${vfile}_"*.deb 2>/dev/null | head -n1 || true)
        [ -n "$deb" ] || die "apt-get download $pkg=$ver produced no .deb in $CACHE"
        dpkg-deb --info "$deb" >/dev/null 2>&1 || { rm -f "$deb"; die "$deb is not a valid .deb"; }
    fi
    echo "$deb"
}

KPKG=$(pick_kernel)
[ -n "$KPKG" ] || die "no linux-image-<version>-amd64 package known to apt (try apt-get update)"
CANDS=$(candidates "$KPKG" busybox-static)
KVER=$(echo "$CANDS" | awk -v p="$KPKG" '$1 == p { print $2 }')
BBVER=$(echo "$CANDS" | awk '$1 == "busybox-static" { print $2 }')
[ -n "$KVER" ] || die "apt knows no installable version of $KPKG (try apt-get update)"
[ -n "$BBVER" ] || die "apt knows no installable version of busybox-static (try apt-get update)"

# --------------------------------------------------------------- up to date? --

SCRIPT_SUM=$(sha256sum "${BASH_SOURCE[0]}" | cut -d' ' -f1)
STAMP_WANT="kernel=$KPKG=$KVER busybox=$BBVER modules=$MODULES_WANTED qemu=$QEMU_BIN script=$SCRIPT_SUM"
if [ -s "$OUT/vmlinuz" ] && [ -s "$OUT/initrd.img" ] && [ -s "$OUT/guest.xml.in" ] &&
   [ "$(cat "$OUT/.stamp" 2>/dev/null || true)" = "$STAMP_WANT" ]; then
    log "up to date in $OUT ($KPKG $KVER)"
    exit 0
fi

KDEB=$(fetch_deb "$KPKG" "$KVER")
BBDEB=$(fetch_deb busybox-static "$BBVER")

WORK=$(mktemp -d "$OUT/.work.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

log "extracting $(basename "$KDEB")"
dpkg-deb -x "$KDEB" "$WORK/kernel" || die "dpkg-deb -x $KDEB failed"
dpkg-deb -x "$BBDEB" "$WORK/bb" || die "dpkg-deb -x $BBDEB failed"

BB="$WORK/bb/bin/busybox"
[ -x "$BB" ] || die "busybox binary missing from $BBDEB"
"$BB" true || die "extracted busybox does not run"

VMLINUZ=$(ls "$WORK"/kernel/boot/vmlinuz-* 2>/dev/null | head -n1 || true)
[ -n "$VMLINUZ" ] || die "no /boot/vmlinuz-* in $KDEB"
MODROOT=$(ls -d "$WORK"/kernel/lib/modules/* "$WORK"/kernel/usr/lib/modules/* 2>/dev/null | head -n1 || true)
[ -n "$MODROOT" ] || die "no lib/modules/<version> in $KDEB"
KCONFIG=$(ls "$WORK"/kernel/boot/config-* 2>/dev/null | head -n1 || true)

# Sanity: the console and ACPI bits this guest relies on must be built in.
if [ -n "$KCONFIG" ]; then
    for opt in CONFIG_SERIAL_8250_CONSOLE CONFIG_BLK_DEV_INITRD CONFIG_RD_GZIP CONFIG_DEVTMPFS CONFIG_ACPI; do
        grep -q "^$opt=y" "$KCONFIG" || die "$KPKG: $opt is not built in"
    done
fi

# ----------------------------------------------------------------- modules --

ROOT="$WORK/root"
mkdir -p "$ROOT"/{bin,sbin,etc,proc,sys,dev,run,tmp,root,lib/modules,etc/acpi/PWRF,var/log}

declare -A MOD_PATH=() MOD_DONE=()
while IFS= read -r f; do
    n=$(basename "$f"); n=${n%%.ko*}
    MOD_PATH[$n]=$f
    MOD_PATH[${n//-/_}]=$f
done < <(find "$MODROOT/kernel" -name '*.ko' -o -name '*.ko.xz' -o -name '*.ko.zst' -o -name '*.ko.gz')

ko_plain() { # decompress a module file to stdout
    case "$1" in
        *.ko.xz)  "$BB" xzcat "$1" ;;
        *.ko.gz)  "$BB" zcat "$1" ;;
        *.ko.zst) zstd -dcq "$1" ;;
        *)        cat "$1" ;;
    esac
}

MOD_ORDER=()
add_module() { # depth-first: dependencies before the module itself
    local m=${1//-/_} f dep deps
    [ -z "${MOD_DONE[$m]:-}" ] || return 0
    MOD_DONE[$m]=1
    if [ -z "${MOD_PATH[$m]:-}" ]; then
        # Not a module in this package: either built in (fine) or absent.
        if [ -n "$KCONFIG" ] && [ -f "$MODROOT/modules.builtin" ] && grep -q "/$m.ko" "$MODROOT/modules.builtin"; then
            log "module $m is built in"
        else
            log "module $m not found in $KPKG (assumed built in)"
        fi
        return 0
    fi
    f=${MOD_PATH[$m]}
    ko_plain "$f" > "$ROOT/lib/modules/$m.ko" || die "cannot decompress $f"
    deps=$("$BB" strings "$ROOT/lib/modules/$m.ko" | sed -n 's/^depends=//p' | head -n1 | tr ',' ' ')
    for dep in $deps; do add_module "$dep"; done
    MOD_ORDER+=("$m")
}
for m in $MODULES_WANTED; do add_module "$m"; done
printf '%s\n' "${MOD_ORDER[@]}" > "$ROOT/etc/modules"
log "modules: ${MOD_ORDER[*]:-(none)}"

# --------------------------------------------------------------- initramfs --

cp "$BB" "$ROOT/bin/busybox"
for a in $("$BB" --list); do
    case "$a" in busybox) continue ;; esac
    ln -sf busybox "$ROOT/bin/$a"
done
for a in init poweroff reboot halt; do ln -sf ../bin/busybox "$ROOT/sbin/$a"; done
# The kernel opens /dev/console before running /init; devtmpfs is mounted
# later by /init, so the initramfs needs the node itself.
mknod -m 600 "$ROOT/dev/console" c 5 1 || die "mknod /dev/console failed"
mknod -m 666 "$ROOT/dev/null" c 1 3 || die "mknod /dev/null failed"

cat > "$ROOT/init" <<'EOF'
#!/bin/sh
# PID 1 of the modvirt test guest: set up the basics, then hand over to
# busybox init (which handles poweroff/reboot signals and the console shell).
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /run
while read -r m; do
    [ -n "$m" ] || continue
    insmod "/lib/modules/$m.ko" 2>/dev/null || echo "modvirt-guest: insmod $m failed" >/dev/console
done < /etc/modules
hostname modvirt-guest
exec /sbin/init
EOF
chmod 755 "$ROOT/init"

cat > "$ROOT/etc/inittab" <<'EOF'
::sysinit:/etc/rc
::respawn:/bin/cttyhack /bin/sh -l
::ctrlaltdel:/sbin/reboot
::shutdown:/bin/echo MODVIRT-GUEST-SHUTDOWN
EOF

cat > "$ROOT/etc/rc" <<'EOF'
#!/bin/sh
# sysinit: start the ACPI power-button handler, then announce readiness.
# busybox acpid reads /dev/input/event* (button.ko + evdev.ko) and, for the
# power button (KEY_POWER -> "PWRF/00000080"), runs /etc/acpi/PWRF/00000080.
acpid -c /etc/acpi -l /dev/null -p /run/acpid.pid
# acpid daemonizes before opening the event devices: wait (up to ~5 s) until
# it holds every /dev/input/event*, so a power-button press sent right after
# the marker is never lost.
want=$(ls /dev/input/ 2>/dev/null | grep -c '^event')
i=0
while [ $i -lt 100 ]; do
    pid=$(cat /run/acpid.pid 2>/dev/null)
    if [ -n "$pid" ]; then
        have=$(ls -l /proc/$pid/fd 2>/dev/null | grep -c /dev/input/event)
        [ "$have" -ge "$want" ] && [ "$have" -gt 0 ] && break
    fi
    usleep 50000
    i=$((i + 1))
done
[ $i -lt 100 ] || echo "modvirt-guest: acpid not watching /dev/input (power button will not work)" > /dev/ttyS0
echo MODVIRT-GUEST-READY > /dev/ttyS0
EOF
chmod 755 "$ROOT/etc/rc"

cat > "$ROOT/etc/acpi/PWRF/00000080" <<'EOF'
#!/bin/sh
echo MODVIRT-GUEST-POWERBUTTON > /dev/ttyS0
# Nothing to flush (no disks are mounted): power off at once instead of
# busybox init's ~2 s SIGTERM/SIGKILL sequence.
sync
exec /sbin/poweroff -f
EOF
chmod 755 "$ROOT/etc/acpi/PWRF/00000080"

cat > "$ROOT/etc/profile" <<'EOF'
export PATH=/bin:/sbin HOME=/root
PS1='modvirt-guest# '
EOF
echo 'root:x:0:0:root:/root:/bin/sh' > "$ROOT/etc/passwd"
echo 'root:x:0:' > "$ROOT/etc/group"

# Fixed mtimes and sorted names (inode numbers still differ between builds).
find "$ROOT" -exec touch -h -d @0 {} + 2>/dev/null || true
(cd "$ROOT" && find . | LC_ALL=C sort | "$BB" cpio -o -H newc 2>/dev/null) | gzip -9 -n > "$WORK/initrd.img" ||
    die "creating the initramfs failed"
[ -s "$WORK/initrd.img" ] || die "empty initramfs"

cp "$VMLINUZ" "$WORK/vmlinuz"

# ------------------------------------------------------------ XML template --

xml_escape() { sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g' -e "s/'/\&apos;/g"; }
X_OUT=$(printf '%s' "$OUT" | xml_escape)
X_QEMU=$(printf '%s' "$QEMU_BIN" | xml_escape)
cat > "$WORK/guest.xml.in" <<EOF
<domain type='qemu'>
  <name>@NAME@</name>
  <memory unit='KiB'>131072</memory>
  <currentMemory unit='KiB'>131072</currentMemory>
  <vcpu placement='static'>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>$X_OUT/vmlinuz</kernel>
    <initrd>$X_OUT/initrd.img</initrd>
    <cmdline>console=ttyS0 panic=-1 quiet</cmdline>
  </os>
  <features>
    <acpi/>
  </features>
  <clock offset='utc'/>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>$X_QEMU</emulator>
    <serial type='pty'>
      <target port='0'/>
    </serial>
    <console type='pty'>
      <target type='serial' port='0'/>
    </console>
    <video>
      <model type='none'/>
    </video>
    <memballoon model='virtio'/>
  </devices>
</domain>
EOF

# ------------------------------------------------------------------ install --

echo "$KPKG $KVER" > "$WORK/kernel-package"
for f in vmlinuz initrd.img guest.xml.in kernel-package; do
    mv -f "$WORK/$f" "$OUT/$f"
done
echo "$STAMP_WANT" > "$OUT/.stamp"
log "built $OUT/vmlinuz ($KPKG $KVER), $OUT/initrd.img ($(stat -c %s "$OUT/initrd.img") bytes), $OUT/guest.xml.in"
