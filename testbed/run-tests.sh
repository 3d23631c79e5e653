#!/usr/bin/env bash
# The test suite: unit, property, fuzz-corpus, interop (real FRR, BIRD 2 and GoBGP in
# network namespaces) and end-to-end tests (the whole daemon in a rack of namespaces with
# each router: tests/e2e_*.rs). Needs root for the namespaces.
set -euo pipefail
cd "$(dirname "$0")/.."
testbed/install-deps.sh
cargo test --workspace --locked "$@"
