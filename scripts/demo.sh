#!/bin/bash
# The main job: install dependencies, build, start virtqemud on libvirt's
# standard socket (/run/libvirt/virtqemud-sock, or under $MODVIRT_ROOT when
# set), define a demo guest and show it with the stock `virsh list --all`.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
[ "$(id -u)" = 0 ] || { echo "run as root (system daemon)"; exit 1; }
"$top/scripts/deps.sh"
"$top/scripts/build.sh" "$top/build"

root=${MODVIRT_ROOT:-}
sock="$root/run/libvirt/virtqemud-sock"
uri="qemu:///system"
[ -n "$root" ] && uri="qemu+unix:///system?socket=$sock"

if [ -f "$root/run/virtqemud.pid" ] && kill -0 "$(cat "$root/run/virtqemud.pid")" 2>/dev/null; then
  echo "virtqemud already running (pid $(cat "$root/run/virtqemud.pid"))"
else
  MODVIRT_ROOT="$root" "$top/build/daemons/qemu/virtqemud" --daemon
  for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
  echo "virtqemud started (pid $(cat "$root/run/virtqemud.pid")), socket $sock"
fi

cat > /tmp/modvirt-demo.xml <<XML
<domain type='qemu'>
  <name>demo</name>
  <memory unit='MiB'>256</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <serial type='pty'/>
    <console type='pty'/>
  </devices>
</domain>
XML
virsh -c "$uri" domstate demo >/dev/null 2>&1 || virsh -c "$uri" define /tmp/modvirt-demo.xml
virsh -c "$uri" list --all
echo "stop it with: kill \$(cat $root/run/virtqemud.pid)"
