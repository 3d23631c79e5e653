#!/usr/bin/env bash
# Installs the Debian packages the tests and the lab need: real routers (FRR, BIRD 2,
# GoBGP), ExaBGP as a scriptable peer, and the network tools. Idempotent.
set -euo pipefail
packages=(frr bird2 gobgpd exabgp iproute2 tcpdump procps curl jq python3 util-linux)
if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: run as root (the lab creates network namespaces and starts routers)" >&2
    exit 1
fi
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "install-deps: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; }; then
        echo "install-deps: could not install ${missing[*]} (apt-get failed, see above)" >&2
        exit 1
    fi
fi
