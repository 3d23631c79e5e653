#!/usr/bin/env bash
# The test suite: unit, property, fuzz-corpus, interop (real FRR, BIRD 2 and GoBGP in
# network namespaces) and end-to-end tests of the daemon in a rack of namespaces. Needs
# root for the namespaces: here a lab test that cannot run fails
# (KUBE_ANYCAST_REQUIRE_LAB=1) instead of skipping as it does under a plain `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/.."
testbed/install-deps.sh
export KUBE_ANYCAST_REQUIRE_LAB=1
cargo test --workspace --locked "$@"
