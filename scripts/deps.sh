#!/bin/bash
# Installs what modvirt needs to build, run and test on Debian 12 (as root).
set -euo pipefail
pkgs=(
  build-essential cmake pkg-config rpcsvc-proto libtirpc-dev
  libglib2.0-dev libxml2-dev libsystemd-dev libgnutls28-dev libjson-c-dev
  libnl-3-dev libnl-route-3-dev check
  python3 python3-libvirt libvirt-clients libxml2-utils
  qemu-system-x86 qemu-utils ovmf systemd procps iproute2 socat
)
export DEBIAN_FRONTEND=noninteractive
# Fresh package lists: the test guest's kernel is fetched with apt-get download.
apt-get update -q
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
