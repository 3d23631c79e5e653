#!/usr/bin/env bash
# The test suite: unit, property, fuzz-corpus, interop (real FRR, BIRD 2 and GoBGP in
# network namespaces) and end-to-end tests. Needs root for the namespaces: here a lab test
# that cannot run fails (KUBE_ANYCAST_REQUIRE_LAB=1) instead of skipping as it does under
# a plain `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/.."
testbed/install-deps.sh
export KUBE_ANYCAST_REQUIRE_LAB=1
cargo test --workspace --locked "$@"
# End to end: the whole daemon in a rack of namespaces with each router (testbed/e2e.sh);
# it builds and uses the debug binary, which the tests above have mostly compiled.
# KUBE_ANYCAST_E2E=0 skips it.
[ "${KUBE_ANYCAST_E2E:-1}" = 0 ] || testbed/e2e.sh
