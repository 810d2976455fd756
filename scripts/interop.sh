#!/usr/bin/env bash
# Interop tests: ikewire against strongSwan 5.9.8 and 6.0.1 and libreswan 5.2 (tests/interop).
#
# Needs root (network namespaces, a private mount namespace per peer), Debian's
# strongSwan 5.9.8 packages, and the Debian 13 roots of the newer peers that
# scripts/interop-roots.sh makes with debootstrap (kept in IKEWIRE_INTEROP_CACHE, default
# /var/cache/ikewire-interop). With --install (or INTEROP_INSTALL=1) the packages are
# installed with apt-get and the roots made first. Each run builds two namespaces iw<pid>a / iw<pid>b joined
# by a veth pair (10.231.0.1/24 <-> 10.231.0.2/24), starts one charon per test with
# kernel-libipsec (userspace ESP; the kernel here may lack it), and removes everything
# at the end, even on failure. Charon logs stay under the pytest temp directory
# (--basetemp, default /tmp/ikewire-interop).
#
# Usage: sudo scripts/interop.sh [--install] [pytest args...]
# Under CI=true a missing tool or missing root is a failure, not a skip.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(strongswan-charon strongswan-swanctl strongswan-pki libstrongswan-standard-plugins
          libstrongswan-extra-plugins
          libcharon-extra-plugins tshark iputils-ping iproute2 debootstrap)

install=${INTEROP_INSTALL:-0}
if [ "${1:-}" = "--install" ]; then install=1; shift; fi

if [ "$(id -u)" -ne 0 ]; then
    echo "interop.sh: needs root (network namespaces); run with sudo" >&2
    exit 2
fi
if [ "$install" = 1 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}" >/dev/null
    bash scripts/interop-roots.sh
fi
for tool in /usr/lib/ipsec/charon /usr/sbin/swanctl; do
    if [ ! -x "$tool" ]; then
        echo "interop.sh: $tool missing; rerun with --install" >&2
        exit 2
    fi
done

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$PY" -m venv .venv
    .venv/bin/python -m pip install --quiet -e '.[dev]'
fi
exec timeout 600 .venv/bin/python -m pytest -p no:cacheprovider \
    --basetemp="${INTEROP_TMP:-/tmp/ikewire-interop}" -rA tests/interop "$@"
