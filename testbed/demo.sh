#!/usr/bin/env bash
# The kube-anycast story in two minutes: three nodes announce one Service externalIP to a
# top-of-rack FRR router, the router spreads a client's connections over all three (ECMP),
# a node's endpoint terminates and goes away without the client noticing, then comes back.
# Needs root (network namespaces); everything lives in namespaces `ka-demo-*` and is
# removed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
export LAB_ID=${LAB_ID:-demo}
FLAVOUR=${1:-frr}
LAB=target/release/lab
IP=203.0.113.10
IP6=fd00:203::10

if [ "$(id -u)" -ne 0 ]; then
    echo "demo: run as root (sudo $0): the lab creates network namespaces and starts a router" >&2
    exit 1
fi

step=0
say() {
    step=$((step + 1))
    printf '\n\033[1m%d. %s\033[0m\n' "$step" "$*"
}
run() { # show the command, then run it
    printf '   $ %s\n' "$*"
    "$@" 2>&1 | sed 's/^/   /'
}
tor_route() { run ip -n "$($LAB tor-ns)" route show "$IP"; }
endpoint_becomes() { # STATE NODES N: node1's endpoint goes STATE; once NODES nodes announce
    # $IP, the ToR's route and N requests from the client
    run $LAB set-endpoint node1 web "$1"
    $LAB wait-routes "$IP" "$2" 10 | sed 's/^/   /'
    tor_route
    requests "$3"
}
requests() { # N: requests from the client, one line per answer, then a tally
    local answers
    answers=$($LAB curl "$1")
    sed 's/^/   answered by /' <<<"$answers"
    printf '   tally: %s\n' "$(sort <<<"$answers" | uniq -c | awk '{printf "%s=%s ", $2, $1}')"
}

say "Installing the routers and tools if missing (testbed/install-deps.sh)"
if ! testbed/install-deps.sh; then
    echo "demo: could not install the packages (see above); on Debian 12: apt-get install frr bird2 gobgpd curl jq python3" >&2
    exit 1
fi

say "Building kube-anycast and the lab (cargo build --release -p kube-anycast -p lab)"
if ! command -v cargo >/dev/null; then
    echo "demo: cargo not found; install Rust (https://rustup.rs) first" >&2
    exit 1
fi
cargo build --release --quiet -p kube-anycast -p lab
echo "   target/release/kube-anycast and target/release/lab built"

if [ -d "/tmp/kube-anycast-lab-$LAB_ID" ]; then
    echo "   a previous demo lab was left over; removing it"
    $LAB down >/dev/null
fi
trap 'echo; echo "Tearing down"; $LAB down' EXIT

say "Bringing up the rack: ToR router ($FLAVOUR, AS 65000), node1..3 (AS 65101..65103), a client"
$LAB up "$FLAVOUR" | sed 's/^/   /'
echo "   every node binds $IP on its loopback (kube-proxy's job) and runs kube-anycast,"
echo "   which reads Services and EndpointSlices from a manifests file"

say "Waiting for all three nodes to announce $IP/32"
if ! $LAB wait-routes "$IP" 3 60 2>&1 | sed 's/^/   /'; then
    $LAB status
    $LAB logs 30
    exit 1
fi
run $LAB peers

say "The ToR's forwarding table: one route, three next hops (ECMP)"
tor_route
echo "   the Service's IPv6 externalIP too, sent over the same (IPv4) sessions:"
run ip -n "$($LAB tor-ns)" -6 route show "$IP6"

say "The client asks $IP ten times; the router hashes each connection (L4) to one node"
requests 10

say "node1's endpoint is terminating (a rolling update): node1 withdraws, the others are ready"
endpoint_becomes terminating 2 6

say "node1's endpoint is gone: nothing changes for the client"
run $LAB set-endpoint node1 web gone
requests 6

say "node1 gets a ready endpoint again and re-announces"
endpoint_becomes ready 3 10

say "What the speakers say (kube-anycast status on node1)"
run ip netns exec "ka-$LAB_ID-node1" target/release/kube-anycast status --http 127.0.0.1:9179

say "Done. Try it yourself: target/release/lab up (then routes, peers, set-endpoint, status, down)"
