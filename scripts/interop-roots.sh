#!/usr/bin/env bash
# Debian 13 (trixie) roots for the newer interop peers: strongSwan 6.0.1 and libreswan 5.2.
# Their packages conflict with each other and with Debian 12's strongSwan, so each peer gets
# its own debootstrap root; tests/interop runs each one chrooted inside its own network and
# mount namespace. Roots are kept between runs (IKEWIRE_INTEROP_CACHE, default
# /var/cache/ikewire-interop); a root is used only once it is complete (the .ready file).
# Needs root, debootstrap and Debian's mirror. Each step is bounded in time.
set -euo pipefail
CACHE="${IKEWIRE_INTEROP_CACHE:-/var/cache/ikewire-interop}"
MIRROR="${IKEWIRE_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
mkdir -p "$CACHE"

make_root() {
    local name="$1"; shift
    local root="$CACHE/$name"
    if [ -e "$root/.ready" ]; then
        echo "interop root $name: cached at $root"
        return
    fi
    rm -rf "$root" "$root.tmp"
    echo "interop root $name: debootstrap trixie (about 30 s)"
    timeout 900 debootstrap --variant=minbase trixie "$root.tmp" "$MIRROR" >"$CACHE/$name.log" 2>&1 \
        || { tail -20 "$CACHE/$name.log"; exit 1; }
    echo "interop root $name: installing $*"
    timeout 900 chroot "$root.tmp" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends "$@" >>"$CACHE/$name.log" 2>&1 \
        || { tail -20 "$CACHE/$name.log"; exit 1; }
    chroot "$root.tmp" apt-get clean
    touch "$root.tmp/.ready"
    mv "$root.tmp" "$root"
}

make_root strongswan6 strongswan-charon strongswan-swanctl strongswan-pki \
    libstrongswan-extra-plugins libcharon-extra-plugins
make_root libreswan libreswan
