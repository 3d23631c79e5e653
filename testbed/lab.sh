#!/usr/bin/env bash
# A rack in network namespaces: one top-of-rack router (FRR, BIRD 2 or GoBGP), three
# Kubernetes nodes each running `kube-anycast run` against a shared manifests file, and a
# client behind the router. Nothing is connected to the root namespace.
#
#   testbed/lab.sh up [frr|bird|gobgp]     build the rack (default frr)
#   testbed/lab.sh down                    remove everything `up` made
#   testbed/lab.sh routes                  one line per prefix: PREFIX NEXTHOP... (sorted)
#   testbed/lab.sh peers                   one line per node: NODE ADDRESS ASN STATE PREFIXES
#   testbed/lab.sh set-endpoint NODE SERVICE ready|terminating|gone
#   testbed/lab.sh status                  the ToR's view and every speaker's `status`
#   testbed/lab.sh curl [N] [6]            N requests from the client to the web Service
#   testbed/lab.sh speaker NODE start|term|kill|stop|cont
#   testbed/lab.sh failover NODE           freeze NODE, then cut its link: ms until the ToR FIB drops it
#   testbed/lab.sh wait-routes PREFIX N [TIMEOUT]   wait until PREFIX has N next hops
#   testbed/lab.sh exec NODE|tor|client CMD...      run a command in a namespace
#   testbed/lab.sh logs [N]                the last N lines of every log
#
# LAB_BFD=1 turns on BFD between the ToR and every node (FRR: bfdd and `neighbor ... bfd`,
# BIRD: `protocol bfd` and `bfd on`; GoBGP has none), at LAB_BFD_MS (default 300) x
# LAB_BFD_MULT (default 3); `status` then shows both ends' BFD sessions.
#
# LAB_ID (default `lab`) names the instance: namespaces `ka-<LAB_ID>-tor`, `-node1..3`,
# `-client`, state under /tmp/kube-anycast-lab-<LAB_ID>/. Several labs coexist.
#
# Addressing (the same in every lab; the namespaces keep them apart):
#   rack   10.11.0.0/24, fd00:11::/64  bridge br0 in the ToR: 10.11.0.1, fd00:11::1;
#          nodeN (eth0): 10.11.0.1N, fd00:11::1N, link-local fe80::1N
#   client 172.16.1.0/24, fd00:16::/64  ToR cl0: .1 / ::1; client eth0: .2 / ::2
#   pools  203.0.113.0/24 (documentation range) and fd00:203::/64 for externalIPs
# One BGP session per node (over IPv4) carries IPv4 and IPv6 unicast.
# ASNs, RFC 7938 style: ToR 65000, nodeN 6510N (eBGP, one ASN per node).
#
# Each node stands in for kube-proxy: every externalIP is bound on its loopback, and a
# responder (testbed/responder.py) answers the node's name on port 80 of a Service's
# externalIP while the node has an endpoint of that Service (ready or terminating), as
# kube-proxy does with externalTrafficPolicy: Local. `set-endpoint ... gone` stops it.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LAB_ID=${LAB_ID:-lab}
if ! [[ $LAB_ID =~ ^[a-z0-9][a-z0-9-]{0,19}$ ]]; then
    echo "lab: LAB_ID must be 1-20 of [a-z0-9-], got '$LAB_ID'" >&2
    exit 2
fi
PREFIX="ka-$LAB_ID"
TOR="$PREFIX-tor"
CLIENT="$PREFIX-client"
NODES=(node1 node2 node3)
DIR=${LAB_DIR:-/tmp/kube-anycast-lab-$LAB_ID}
BIN=${KUBE_ANYCAST_BIN:-$ROOT/target/release/kube-anycast}
PYTHON=$(command -v /usr/bin/python3 || command -v python3 || true)

TOR_ASN=65000
TOR_IP=10.11.0.1
CLIENT_IP=172.16.1.2
POOL=203.0.113.0/24
TOR_IP6=fd00:11::1
POOL6=fd00:203::/64
# Services: name IPv4-externalIP IPv6-externalIP nodes-with-an-endpoint-at-start
SERVICES=("web 203.0.113.10 fd00:203::10 node1,node2,node3" "api 203.0.113.20 fd00:203::20 node2,node3")
HOLD_TIME=${LAB_HOLD_TIME:-9}
BFD=${LAB_BFD:-0}
BFD_MS=${LAB_BFD_MS:-300}
BFD_MULT=${LAB_BFD_MULT:-3}
DRAIN=${LAB_DRAIN:-2s}

die() { echo "lab: $*" >&2; exit 1; }
node_ns() { echo "$PREFIX-$1"; }
node_index() { echo "${1#node}"; }
node_ip() { echo "10.11.0.1$(node_index "$1")"; }
node_ip6() { echo "fd00:11::1$(node_index "$1")"; }
node_asn() { echo "6510$(node_index "$1")"; }
is_node() { local n; for n in "${NODES[@]}"; do [ "$n" = "$1" ] && return 0; done; return 1; }
service_ip() { # SERVICE [6]
    local s name ip ip6
    for s in "${SERVICES[@]}"; do
        read -r name ip ip6 _ <<<"$s"
        [ "$name" = "$1" ] || continue
        if [ "${2:-4}" = 6 ]; then echo "$ip6"; else echo "$ip"; fi
        return 0
    done
    return 1
}
now_ms() { echo $(($(date +%s%N) / 1000000)); }
flavour() { cat "$DIR/flavour" 2>/dev/null || die "lab '$LAB_ID' is not up (no $DIR)"; }

need_root() {
    [ "$(id -u)" -eq 0 ] || die "must run as root (it creates network namespaces and starts routers)"
}

# ---------------------------------------------------------------------------------------
# Processes: started with a pid file written by the process itself, stopped by that pid
# only, and only while it still lives in one of this lab's namespaces.

start_proc() { # NAME NAMESPACE COMMAND...
    local name=$1 ns=$2
    shift 2
    mkdir -p "$DIR/pids" "$DIR/logs"
    # setsid: the process outlives the shell that started it and ignores its terminal.
    ip netns exec "$ns" setsid sh -c 'echo $$ >"$0"; exec "$@"' "$DIR/pids/$name.pid" "$@" \
        >>"$DIR/logs/$name.log" 2>&1 </dev/null &
    local i
    for i in $(seq 50); do
        [ -s "$DIR/pids/$name.pid" ] && return 0
        sleep 0.02
    done
    die "$name did not start (see $DIR/logs/$name.log)"
}

# The pid of NAME if it is alive and inside one of our namespaces, else nothing.
live_pid() {
    local f="$DIR/pids/$1.pid" pid ns ino
    [ -s "$f" ] || return 1
    pid=$(cat "$f")
    [ -d "/proc/$pid" ] || return 1
    ino=$(stat -L -c %i "/proc/$pid/ns/net" 2>/dev/null) || return 1
    for ns in $(cat "$DIR/namespaces" 2>/dev/null); do
        if [ "$(stat -L -c %i "/run/netns/$ns" 2>/dev/null)" = "$ino" ]; then
            echo "$pid"
            return 0
        fi
    done
    return 1
}

signal_proc() { # NAME SIGNAL
    local pid
    pid=$(live_pid "$1") || return 1
    kill -"$2" "$pid" 2>/dev/null
}

stop_procs() { # NAME... : TERM, wait up to 5 s, then KILL
    local name pid pids=() i
    for name in "$@"; do
        if pid=$(live_pid "$name"); then
            kill -TERM "$pid" 2>/dev/null || true
            pids+=("$pid")
        fi
    done
    for i in $(seq 50); do
        local alive=0
        for pid in "${pids[@]}"; do [ -d "/proc/$pid" ] && alive=1; done
        [ $alive -eq 0 ] && break
        sleep 0.1
    done
    for name in "$@"; do
        if pid=$(live_pid "$name"); then kill -KILL "$pid" 2>/dev/null || true; fi
        rm -f "$DIR/pids/$name.pid"
    done
}

# ---------------------------------------------------------------------------------------
# Topology

add_ns() {
    ip netns add "$1"
    echo "$1" >>"$DIR/namespaces"
    ip -n "$1" link set lo up
}

build_topology() {
    add_ns "$TOR"
    ip netns exec "$TOR" sysctl -qw net.ipv4.ip_forward=1
    # Layer-4 hash: different source ports of one client spread over the next hops.
    ip netns exec "$TOR" sysctl -qw net.ipv4.fib_multipath_hash_policy=1
    ip netns exec "$TOR" sysctl -qw net.ipv6.conf.all.forwarding=1
    ip netns exec "$TOR" sysctl -qw net.ipv6.fib_multipath_hash_policy=1
    ip -n "$TOR" link add br0 type bridge
    ip -n "$TOR" addr add "$TOR_IP/24" dev br0
    ip -n "$TOR" addr add "$TOR_IP6/64" dev br0 nodad
    ip -n "$TOR" link set br0 up

    local node ns s name ip ip6
    for node in "${NODES[@]}"; do
        ns=$(node_ns "$node")
        add_ns "$ns"
        ip -n "$TOR" link add "$node" type veth peer name eth0 netns "$ns"
        ip -n "$TOR" link set "$node" master br0 up
        ip -n "$ns" addr add "$(node_ip "$node")/24" dev eth0
        # A link-local address that names the node (fe80::1N), so that next hops read well.
        ip -n "$ns" link set eth0 addrgenmode none
        ip -n "$ns" addr add "fe80::1$(node_index "$node")/64" dev eth0 nodad
        ip -n "$ns" addr add "$(node_ip6 "$node")/64" dev eth0 nodad
        ip -n "$ns" link set eth0 up
        ip -n "$ns" route add default via "$TOR_IP"
        ip -n "$ns" -6 route add default via "$TOR_IP6"
        for s in "${SERVICES[@]}"; do
            read -r name ip ip6 _ <<<"$s"
            ip -n "$ns" addr add "$ip/32" dev lo
            ip -n "$ns" addr add "$ip6/128" dev lo
        done
    done

    add_ns "$CLIENT"
    ip -n "$TOR" link add cl0 type veth peer name eth0 netns "$CLIENT"
    ip -n "$TOR" addr add 172.16.1.1/24 dev cl0
    ip -n "$TOR" addr add fd00:16::1/64 dev cl0 nodad
    ip -n "$TOR" link set cl0 up
    ip -n "$CLIENT" addr add "$CLIENT_IP/24" dev eth0
    ip -n "$CLIENT" addr add fd00:16::2/64 dev eth0 nodad
    ip -n "$CLIENT" link set eth0 up
    ip -n "$CLIENT" route add default via 172.16.1.1
    ip -n "$CLIENT" -6 route add default via fd00:16::1
}

# ---------------------------------------------------------------------------------------
# The ToR router

start_frr() {
    local d="$DIR/tor" node
    {
        echo "hostname $TOR"
        echo "log file $d/zebra.log"
    } >"$d/zebra.conf"
    {
        echo "frr defaults datacenter"
        echo "hostname $TOR"
        echo "log file $d/bgpd.log"
        echo "!"
        echo "! Only host routes inside the lab pool are accepted; nothing is sent back."
        echo "ip prefix-list LAB-POOL seq 10 permit $POOL ge 32"
        echo "ipv6 prefix-list LAB-POOL6 seq 10 permit $POOL6 ge 128"
        echo "route-map FROM-NODES permit 10"
        echo " match ip address prefix-list LAB-POOL"
        echo "route-map FROM-NODES6 permit 10"
        echo " match ipv6 address prefix-list LAB-POOL6"
        echo "route-map TO-NODES deny 10"
        echo "!"
        echo "router bgp $TOR_ASN"
        echo " bgp router-id $TOR_IP"
        echo " no bgp default ipv4-unicast"
        echo " ! Per-node ASNs: without this the FIB gets one next hop, not all of them."
        echo " bgp bestpath as-path multipath-relax"
        echo " neighbor NODES peer-group"
        echo " neighbor NODES passive"
        echo " neighbor NODES timers 3 $HOLD_TIME"
        if [ "$BFD" = 1 ]; then
            echo " neighbor NODES bfd"
            echo " neighbor NODES bfd profile lab"
        fi
        for node in "${NODES[@]}"; do
            echo " neighbor $(node_ip "$node") remote-as $(node_asn "$node")"
            echo " neighbor $(node_ip "$node") peer-group NODES"
            echo " neighbor $(node_ip "$node") description $node"
        done
        echo " address-family ipv4 unicast"
        echo "  maximum-paths 16"
        echo "  neighbor NODES activate"
        echo "  neighbor NODES route-map FROM-NODES in"
        echo "  neighbor NODES route-map TO-NODES out"
        echo " exit-address-family"
        echo " address-family ipv6 unicast"
        echo "  maximum-paths 16"
        echo "  neighbor NODES activate"
        echo "  neighbor NODES route-map FROM-NODES6 in"
        echo "  neighbor NODES route-map TO-NODES out"
        echo " exit-address-family"
    } >"$d/bgpd.conf"
    {
        echo "hostname $TOR"
        echo "log file $d/bfdd.log"
        echo "bfd"
        echo " profile lab"
        echo "  transmit-interval $BFD_MS"
        echo "  receive-interval $BFD_MS"
        echo "  detect-multiplier $BFD_MULT"
    } >"$d/bfdd.conf"
    chown -R frr:frr "$d"
    start_proc zebra "$TOR" /usr/lib/frr/zebra -f "$d/zebra.conf" -i "$d/zebra.pid" \
        -z "$d/zserv.api" --vty_socket "$d" -P 0
    local i
    for i in $(seq 100); do [ -S "$d/zserv.api" ] && break; sleep 0.05; done
    if [ "$BFD" = 1 ]; then
        start_proc bfdd "$TOR" /usr/lib/frr/bfdd -f "$d/bfdd.conf" -i "$d/bfdd.pid" \
            -z "$d/zserv.api" --vty_socket "$d" -P 0 --bfdctl "$d/bfdd.sock"
        for i in $(seq 100); do [ -S "$d/bfdd.vty" ] && break; sleep 0.05; done
        [ -S "$d/bfdd.vty" ] || die "bfdd did not start (see $DIR/logs/bfdd.log)"
    fi
    start_proc bgpd "$TOR" /usr/lib/frr/bgpd -f "$d/bgpd.conf" -i "$d/bgpd.pid" \
        -z "$d/zserv.api" --vty_socket "$d" -P 0
    for i in $(seq 100); do [ -S "$d/bgpd.vty" ] && break; sleep 0.05; done
    [ -S "$d/bgpd.vty" ] || die "bgpd did not start (see $DIR/logs/bgpd.log)"
}

start_bird() {
    local d="$DIR/tor" node
    {
        echo "log \"$d/bird.log\" all;"
        echo "router id $TOR_IP;"
        echo "protocol device {}"
        echo "# Installs the BGP routes into this namespace's FIB, all next hops of a prefix."
        echo "protocol kernel { ipv4 { import none; export all; }; merge paths on; }"
        echo "protocol kernel { ipv6 { import none; export all; }; merge paths on; }"
        echo "# Only host routes inside the lab pools are accepted; nothing is sent back."
        echo "filter from_nodes { if net ~ [ $POOL{32,32} ] then accept; reject; }"
        echo "filter from_nodes6 { if net ~ [ $POOL6{128,128} ] then accept; reject; }"
        echo "template bgp nodes {"
        echo "  local $TOR_IP as $TOR_ASN;"
        echo "  passive on;"
        echo "  hold time $HOLD_TIME;"
        echo "  error wait time 1, 10;"
        if [ "$BFD" = 1 ]; then echo "  bfd on;"; fi
        echo "  ipv4 { import filter from_nodes; export none; };"
        echo "  ipv6 { import filter from_nodes6; export none; };"
        echo "}"
        for node in "${NODES[@]}"; do
            echo "protocol bgp $node from nodes { neighbor $(node_ip "$node") as $(node_asn "$node"); }"
        done
        if [ "$BFD" = 1 ]; then
            echo "protocol bfd { interface \"*\" { min rx interval $BFD_MS ms; min tx interval $BFD_MS ms; multiplier $BFD_MULT; }; }"
        fi
    } >"$d/bird.conf"
    bird -p -c "$d/bird.conf" || die "bird rejects $d/bird.conf"
    start_proc bird "$TOR" bird -f -c "$d/bird.conf" -s "$d/bird.ctl" -P "$d/bird.pid"
    local i
    for i in $(seq 100); do [ -S "$d/bird.ctl" ] && break; sleep 0.05; done
    [ -S "$d/bird.ctl" ] || die "bird did not start (see $DIR/logs/bird.log)"
}

start_gobgp() {
    local d="$DIR/tor" node
    {
        echo "[global.config]"
        echo "  as = $TOR_ASN"
        echo "  router-id = \"$TOR_IP\""
        echo "  port = 179"
        echo "  local-address-list = [\"$TOR_IP\"]"
        echo "[global.apply-policy.config]"
        echo "  import-policy-list = [\"from-nodes\"]"
        echo "  default-import-policy = \"reject-route\""
        echo "  default-export-policy = \"reject-route\""
        echo "[[defined-sets.prefix-sets]]"
        echo "  prefix-set-name = \"lab-pool\""
        echo "  [[defined-sets.prefix-sets.prefix-list]]"
        echo "    ip-prefix = \"$POOL\""
        echo "    masklength-range = \"32..32\""
        echo "[[defined-sets.prefix-sets]]"
        echo "  prefix-set-name = \"lab-pool6\""
        echo "  [[defined-sets.prefix-sets.prefix-list]]"
        echo "    ip-prefix = \"$POOL6\""
        echo "    masklength-range = \"128..128\""
        echo "[[policy-definitions]]"
        echo "  name = \"from-nodes\""
        echo "  [[policy-definitions.statements]]"
        echo "    [policy-definitions.statements.conditions.match-prefix-set]"
        echo "      prefix-set = \"lab-pool\""
        echo "    [policy-definitions.statements.actions]"
        echo "      route-disposition = \"accept-route\""
        echo "  [[policy-definitions.statements]]"
        echo "    [policy-definitions.statements.conditions.match-prefix-set]"
        echo "      prefix-set = \"lab-pool6\""
        echo "    [policy-definitions.statements.actions]"
        echo "      route-disposition = \"accept-route\""
        for node in "${NODES[@]}"; do
            echo "[[neighbors]]"
            echo "  [neighbors.config]"
            echo "    neighbor-address = \"$(node_ip "$node")\""
            echo "    peer-as = $(node_asn "$node")"
            echo "    description = \"$node\""
            echo "  [neighbors.transport.config]"
            echo "    passive-mode = true"
            echo "  [neighbors.timers.config]"
            echo "    hold-time = $HOLD_TIME"
            echo "    keepalive-interval = $((HOLD_TIME / 3))"
            echo "  [[neighbors.afi-safis]]"
            echo "    [neighbors.afi-safis.config]"
            echo "      afi-safi-name = \"ipv4-unicast\""
            echo "  [[neighbors.afi-safis]]"
            echo "    [neighbors.afi-safis.config]"
            echo "      afi-safi-name = \"ipv6-unicast\""
        done
    } >"$d/gobgpd.toml"
    start_proc gobgpd "$TOR" gobgpd -f "$d/gobgpd.toml" -t toml --pprof-disable \
        --api-hosts 127.0.0.1:50051 -l info
    local i
    for i in $(seq 100); do
        ip netns exec "$TOR" gobgp global >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    die "gobgpd did not start (see $DIR/logs/gobgpd.log)"
}

# The router listens and waits for every node (FRR keeps an eBGP neighbor Idle, refusing
# its connections, until zebra confirms the address is directly connected), so that the
# speakers' first attempt succeeds instead of starting their connect backoff.
wait_tor_listening() {
    local i
    for i in $(seq 200); do
        if [ -n "$(ip netns exec "$TOR" ss -Hltn 'sport = :179')" ] &&
            [ "$(peers | awk '$4 == "Active" || $4 == "Passive"' | wc -l)" -eq ${#NODES[@]} ]; then
            return 0
        fi
        sleep 0.05
    done
    echo "lab: warning: the $(flavour) router is not waiting for every node after 10 s:" >&2
    peers >&2
}

# ---------------------------------------------------------------------------------------
# The cluster: one manifests file the speakers watch, rewritten atomically.

# $DIR/endpoints holds lines `NODE SERVICE STATE`; the manifests are generated from it.
write_manifests() {
    local tmp="$DIR/.cluster.yaml.tmp" s name ip ip6 node
    {
        for node in "${NODES[@]}"; do
            printf 'apiVersion: v1\nkind: Node\nmetadata: {name: %s}\n---\n' "$node"
        done
        for s in "${SERVICES[@]}"; do
            read -r name ip ip6 _ <<<"$s"
            printf 'apiVersion: v1\nkind: Service\nmetadata: {name: %s, namespace: demo}\n' "$name"
            printf 'spec:\n  type: ClusterIP\n  ipFamilyPolicy: RequireDualStack\n'
            printf '  externalIPs: [%s, "%s"]\n' "$ip" "$ip6"
            printf '  ports: [{port: 80, protocol: TCP}]\n---\n'
            endpoint_slice "$name" IPv4 "$ip"
            endpoint_slice "$name" IPv6 "$ip6"
        done
    } >"$tmp"
    mv -f "$tmp" "$DIR/cluster.yaml"
}

# One EndpointSlice of SERVICE for FAMILY, from $DIR/endpoints. Pod addresses are
# made up (10.244.N.x, fd00:244:N::x): only nodeName and the conditions matter here.
endpoint_slice() { # SERVICE IPv4|IPv6 EXTERNAL-IP
    local name=$1 family=$2 ip=$3 node sname state cond address any=0
    printf 'apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n'
    printf 'metadata:\n  name: %s-lab-%s\n  namespace: demo\n' "$name" "${family,,}"
    printf '  labels: {kubernetes.io/service-name: %s}\n' "$name"
    printf 'addressType: %s\nports: [{port: 80, protocol: TCP}]\nendpoints:\n' "$family"
    while read -r node sname state; do
        [ "$sname" = "$name" ] || continue
        case $state in
            ready) cond="{ready: true, serving: true, terminating: false}" ;;
            terminating) cond="{ready: false, serving: true, terminating: true}" ;;
            *) continue ;;
        esac
        if [ "$family" = IPv4 ]; then
            address="10.244.$(node_index "$node").${ip##*.}"
        else
            address="\"fd00:244:$(node_index "$node")::${ip##*:}\""
        fi
        printf '  - addresses: [%s]\n    nodeName: %s\n    conditions: %s\n' "$address" "$node" "$cond"
        any=1
    done <"$DIR/endpoints"
    [ $any -eq 1 ] || printf '  []\n'
    printf -- '---\n'
}

# Waits until NODE's responders for SERVICE accept connections (Python starts slowly).
wait_responder() { # NODE SERVICE
    local ns i
    ns=$(node_ns "$1")
    for i in $(seq 100); do
        [ "$(ip netns exec "$ns" ss -Hltn \
            "( src $(service_ip "$2") or src [$(service_ip "$2" 6)] ) and sport = :80" | wc -l)" -eq 2 ] &&
            return 0
        sleep 0.1
    done
    echo "lab: warning: the responder of $2 on $1 does not listen (see $DIR/logs)" >&2
}

responder_names() { echo "http-$1-$2 http6-$1-$2"; }

start_responder() { # NODE SERVICE: one per family
    local node=$1 service=$2
    live_pid "http-$node-$service" >/dev/null ||
        start_proc "http-$node-$service" "$(node_ns "$node")" \
            "$PYTHON" "$ROOT/testbed/responder.py" "$(service_ip "$service")" 80 "$node"
    live_pid "http6-$node-$service" >/dev/null ||
        start_proc "http6-$node-$service" "$(node_ns "$node")" \
            "$PYTHON" "$ROOT/testbed/responder.py" "$(service_ip "$service" 6)" 80 "$node"
}

start_speaker() { # NODE
    local node=$1 d="$DIR/$1"
    mkdir -p "$d"
    cat >"$d/config.yaml" <<EOF
node_name: $node
local_asn: $(node_asn "$node")
router_id: $(node_ip "$node")
source:
  manifests: [$DIR/cluster.yaml]
announce:
  allowed_cidrs: [$POOL, "$POOL6"]
peers:
  - name: tor
    address: $TOR_IP
    asn: $TOR_ASN
    hold_time: ${HOLD_TIME}s
    connect_retry: 1s
    # IPv6 routes over the IPv4 session; their next hop is the node's address on eth0.
    families: [ipv4, ipv6]
    bfd: {enabled: $([ "$BFD" = 1 ] && echo true || echo false), min_tx: ${BFD_MS}ms, min_rx: ${BFD_MS}ms, multiplier: $BFD_MULT}
# A dead node's routes must leave the ToR at once, not stay as stale graceful-restart routes.
graceful_restart:
  restart_time: 0s
shutdown:
  mode: withdraw
  drain: $DRAIN
http:
  listen: 127.0.0.1:9179
EOF
    RUST_LOG=${RUST_LOG:-info} start_proc "speaker-$node" "$(node_ns "$node")" \
        env RUST_LOG="${RUST_LOG:-info}" NO_COLOR=1 "$BIN" run --config "$d/config.yaml"
}

# ---------------------------------------------------------------------------------------
# Views

# One line per prefix of the pool: `PREFIX NEXTHOP...`, next hops sorted. FRR and BIRD:
# the ToR's kernel FIB (what traffic follows); GoBGP has no FIB: its RIB.
routes() {
    case $(flavour) in
        frr | bird)
            kernel_routes -4 "$POOL" /32
            kernel_routes -6 "$POOL6" /128
            ;;
        gobgp)
            # The next hop is in NEXT_HOP (type 3) for IPv4, MP_REACH_NLRI (14) for IPv6.
            local family
            for family in ipv4 ipv6; do
                ip netns exec "$TOR" gobgp global rib -a "$family" -j | jq -r 'to_entries[] |
                    [.key] + ([.value[] | .attrs[] | select(.type == 3 or .type == 14) |
                    (.nexthop // empty), (.nexthops // [] | .[])] | unique) |
                    join(" ")' | sort -V
            done
            ;;
    esac
}

kernel_routes() { # -4|-6 POOL HOST-SUFFIX: grouped by prefix (IPv6 multipath may come split)
    ip -n "$TOR" -j "$1" route show root "$2" | jq -r --arg host "$3" '
        [.[] | {dst: (.dst | if test("/") then . else . + $host end),
                nh: [(.gateway // empty), (.nexthops // [] | .[].gateway)]}] |
        group_by(.dst)[] | [.[0].dst] + ([.[].nh[]] | unique) | join(" ")' | sort -V
}

# One line per node: `NODE ADDRESS ASN STATE PREFIXES` (accepted, IPv4 and IPv6).
peers() {
    local node ip
    case $(flavour) in
        frr)
            local json
            json=$(vtysh_tor -c "show bgp neighbors json")
            for node in "${NODES[@]}"; do
                ip=$(node_ip "$node")
                jq -r --arg ip "$ip" --arg node "$node" '.[$ip] |
                    [$node, $ip, (.remoteAs|tostring), .bgpState,
                     ((.addressFamilyInfo.ipv4Unicast.acceptedPrefixCounter // 0) +
                      (.addressFamilyInfo.ipv6Unicast.acceptedPrefixCounter // 0) | tostring)] |
                    join(" ")' <<<"$json"
            done
            ;;
        bird)
            for node in "${NODES[@]}"; do
                local info state count
                info=$(birdc_tor show protocols all "$node")
                state=$(awk '/BGP state:/ {print $3; exit}' <<<"$info")
                count=$(awk '/Routes:/ {n += $2} END {print n + 0}' <<<"$info")
                echo "$node $(node_ip "$node") $(node_asn "$node") ${state:-unknown} ${count:-0}"
            done
            ;;
        gobgp)
            local json
            json=$(ip netns exec "$TOR" gobgp neighbor -j)
            for node in "${NODES[@]}"; do
                ip=$(node_ip "$node")
                jq -r --arg ip "$ip" --arg node "$node" '.[] | select(.conf.neighbor_address == $ip) |
                    [$node, $ip, (.conf.peer_asn|tostring),
                     (["Unknown", "Idle", "Connect", "Active", "OpenSent", "OpenConfirm",
                       "Established"][.state.session_state // 0]),
                     ([.afi_safis[]? | .state.received // 0] | add // 0 | tostring)] |
                    join(" ")' <<<"$json"
            done
            ;;
    esac
}

vtysh_tor() { ip netns exec "$TOR" vtysh --vty_socket "$DIR/tor" "$@"; }
birdc_tor() { ip netns exec "$TOR" birdc -s "$DIR/tor/bird.ctl" "$@"; }

wait_routes() { # PREFIX COUNT [TIMEOUT]
    local prefix=$1 count=$2 timeout=${3:-30} start now line n
    if [[ $prefix != */* ]]; then
        if [[ $prefix == *:* ]]; then prefix="$prefix/128"; else prefix="$prefix/32"; fi
    fi
    start=$(now_ms)
    while :; do
        line=$(routes | awk -v p="$prefix" '$1 == p' || true)
        n=0
        [ -n "$line" ] && n=$(($(wc -w <<<"$line") - 1))
        now=$(now_ms)
        if [ "$n" -eq "$count" ]; then
            echo "$prefix has $count next hops after $((now - start)) ms"
            return 0
        fi
        if ((now - start > timeout * 1000)); then
            echo "timeout: $prefix has $n next hops, wanted $count, after ${timeout}s" >&2
            return 1
        fi
        sleep 0.05
    done
}

# ---------------------------------------------------------------------------------------
# Commands

cmd_up() {
    need_root
    local flavour=${1:-frr}
    case $flavour in
        frr) [ -x /usr/lib/frr/bgpd ] && command -v vtysh >/dev/null || die "FRR missing: run testbed/install-deps.sh" ;;
        bird) command -v bird >/dev/null && command -v birdc >/dev/null || die "BIRD 2 missing: run testbed/install-deps.sh" ;;
        gobgp) command -v gobgpd >/dev/null && command -v gobgp >/dev/null || die "GoBGP missing: run testbed/install-deps.sh" ;;
        *) die "unknown flavour '$flavour' (frr, bird or gobgp)" ;;
    esac
    local tool
    for tool in jq curl setsid flock; do
        command -v $tool >/dev/null || die "$tool missing: run testbed/install-deps.sh"
    done
    [ -n "$PYTHON" ] || die "python3 missing: run testbed/install-deps.sh"
    [ -x "$BIN" ] || die "$BIN not found: run 'cargo build --release' (or set KUBE_ANYCAST_BIN)"
    if [ -e "$DIR" ] || grep -q "^$PREFIX-" <<<"$(ip netns list)"; then
        die "lab '$LAB_ID' is already up (or left over): LAB_ID=$LAB_ID $0 down"
    fi
    mkdir -p "$DIR/tor" "$DIR/pids" "$DIR/logs"
    echo "$flavour" >"$DIR/flavour"
    echo "$BFD $BFD_MS $BFD_MULT" >"$DIR/bfd"
    : >"$DIR/namespaces"
    # Whatever stops `up` half-way (a failed command, die, Ctrl-C) removes what it made.
    trap 'echo "lab: up failed; cleaning up" >&2; cmd_down >/dev/null 2>&1' EXIT
    build_topology

    local s name ip ip6 nodes node
    : >"$DIR/endpoints"
    for s in "${SERVICES[@]}"; do
        read -r name ip ip6 nodes <<<"$s"
        for node in ${nodes//,/ }; do echo "$node $name ready" >>"$DIR/endpoints"; done
    done
    write_manifests

    "start_$flavour"
    wait_tor_listening
    for node in "${NODES[@]}"; do
        while read -r n sname state; do
            [ "$n" = "$node" ] && start_responder "$node" "$sname"
        done <"$DIR/endpoints"
        start_speaker "$node"
    done
    trap - EXIT
    while read -r node sname state; do wait_responder "$node" "$sname"; done <"$DIR/endpoints"
    echo "lab '$LAB_ID' up with $flavour: namespaces $PREFIX-*, state in $DIR"
    local i
    for i in $(seq 150); do
        [ "$(peers | awk '$4 == "Established"' | wc -l)" -eq ${#NODES[@]} ] && return 0
        sleep 0.2
    done
    echo "lab: warning: not every session is Established after 30 s (testbed/lab.sh status, logs)" >&2
}

cmd_down() {
    [ -d "$DIR" ] || { echo "lab '$LAB_ID' is not up"; return 0; }
    need_root
    local f names=() name
    # Speakers first (they withdraw and say goodbye), then routers and responders.
    for f in "$DIR"/pids/speaker-*.pid; do
        [ -e "$f" ] && names+=("$(basename "$f" .pid)")
    done
    [ ${#names[@]} -gt 0 ] && stop_procs "${names[@]}"
    names=()
    for f in "$DIR"/pids/*.pid; do
        [ -e "$f" ] && names+=("$(basename "$f" .pid)")
    done
    [ ${#names[@]} -gt 0 ] && stop_procs "${names[@]}"
    local ns
    for ns in $(tac "$DIR/namespaces" 2>/dev/null); do
        ip netns del "$ns" 2>/dev/null || true
    done
    rm -rf "$DIR"
    echo "lab '$LAB_ID' down"
}

cmd_set_endpoint() { # NODE SERVICE STATE
    [ $# -eq 3 ] || die "usage: set-endpoint NODE SERVICE ready|terminating|gone"
    local node=$1 service=$2 state=$3
    is_node "$node" || die "unknown node '$node' (${NODES[*]})"
    service_ip "$service" >/dev/null || die "unknown service '$service'"
    case $state in ready | terminating | gone) ;; *) die "state must be ready, terminating or gone" ;; esac
    flavour >/dev/null
    # kube-proxy (Local) stand-in: the node answers while it has an endpoint of the
    # Service. A pod serves before it is ready, and stops after it is gone.
    if [ "$state" != gone ]; then
        start_responder "$node" "$service"
        wait_responder "$node" "$service"
    fi
    (
        flock 9
        grep -v "^$node $service " "$DIR/endpoints" >"$DIR/endpoints.new" || true
        [ "$state" = gone ] || echo "$node $service $state" >>"$DIR/endpoints.new"
        mv -f "$DIR/endpoints.new" "$DIR/endpoints"
        write_manifests
    ) 9>"$DIR/lock"
    if [ "$state" = gone ]; then
        stop_procs $(responder_names "$node" "$service")
    fi
    echo "$node $service $state"
}

cmd_status() {
    local node
    echo "== ToR ($(flavour)) peers: NODE ADDRESS ASN STATE PREFIXES"
    peers
    echo "== ToR routes: PREFIX NEXTHOPS"
    routes
    if [ "$(cut -d' ' -f1 "$DIR/bfd" 2>/dev/null)" = 1 ]; then
        echo "== ToR BFD sessions"
        case $(flavour) in
            frr) vtysh_tor -c "show bfd peers brief" || true ;;
            bird) birdc_tor show bfd sessions || true ;;
            *) echo "(no BFD on this router)" ;;
        esac
    fi
    for node in "${NODES[@]}"; do
        echo "== $node speaker"
        if live_pid "speaker-$node" >/dev/null; then
            ip netns exec "$(node_ns "$node")" "$BIN" status --http 127.0.0.1:9179 || true
        else
            echo "not running"
        fi
    done
}

cmd_curl() { # [N] [6]: N requests to the web Service's IPv4 (or IPv6) externalIP
    local n=${1:-6} i url
    if [ "${2:-4}" = 6 ]; then url="http://[$(service_ip web 6)]/"; else url="http://$(service_ip web)/"; fi
    for i in $(seq "$n"); do
        ip netns exec "$CLIENT" curl -sS --max-time 2 "$url" || echo "(request failed)"
    done
}

cmd_speaker() { # NODE start|term|kill|stop|cont
    [ $# -eq 2 ] || die "usage: speaker NODE start|term|kill|stop|cont"
    is_node "$1" || die "unknown node '$1'"
    flavour >/dev/null
    case $2 in
        start) live_pid "speaker-$1" >/dev/null && die "speaker on $1 already runs"; start_speaker "$1" ;;
        term) signal_proc "speaker-$1" TERM || die "speaker on $1 not running" ;;
        kill) signal_proc "speaker-$1" KILL || die "speaker on $1 not running" ;;
        stop) signal_proc "speaker-$1" STOP || die "speaker on $1 not running" ;;
        cont) signal_proc "speaker-$1" CONT || die "speaker on $1 not running" ;;
        *) die "usage: speaker NODE start|term|kill|stop|cont" ;;
    esac
}

cmd_logs() { # [N]: the last N lines of every log
    local f
    flavour >/dev/null
    for f in "$DIR"/logs/*.log "$DIR"/tor/*.log; do
        [ -s "$f" ] || continue
        echo "== $f"
        tail -n "${1:-20}" "$f"
    done
}

cmd_exec() { # NODE|tor|client CMD...
    local where=$1 ns
    shift
    case $where in
        tor) ns=$TOR ;;
        client) ns=$CLIENT ;;
        *) is_node "$where" || die "unknown namespace '$where'"; ns=$(node_ns "$where") ;;
    esac
    exec ip netns exec "$ns" "$@"
}

# Milliseconds until the ToR's kernel route to the web Service's IPv4 externalIP no longer
# has NODE's next hop (polled every 10 ms, up to 30 s).
ms_until_nexthop_gone() { # NODE START_MS
    local ip i
    ip=$(node_ip "$1")
    for i in $(seq 3000); do
        ip -n "$TOR" route show 203.0.113.10 | grep -qw "$ip" || break
        sleep 0.01
    done
    echo $(($(now_ms) - $2))
}

cmd_failover() { # NODE: freeze it, then cut its link; print how long the ToR took each time
    [ $# -eq 1 ] || die "usage: failover NODE"
    is_node "$1" || die "unknown node '$1'"
    need_root
    local node=$1 ns start bfd=0 ms mult
    ns=$(node_ns "$node")
    [ -s "$DIR/bfd" ] && read -r bfd ms mult <"$DIR/bfd"
    if [ "$bfd" = 1 ]; then echo "BFD on, $ms ms x $mult"; else echo "BFD off: hold time"; fi
    wait_routes 203.0.113.10/32 ${#NODES[@]} 60 >/dev/null
    start=$(now_ms)
    signal_proc "speaker-$node" STOP || die "speaker on $node not running"
    echo "freeze (SIGSTOP) $node: next hop gone from the ToR FIB after $(ms_until_nexthop_gone "$node" "$start") ms"
    signal_proc "speaker-$node" CONT
    wait_routes 203.0.113.10/32 ${#NODES[@]} 60 >/dev/null
    start=$(now_ms)
    ip -n "$ns" link set eth0 down
    echo "link cut on $node: next hop gone from the ToR FIB after $(ms_until_nexthop_gone "$node" "$start") ms"
    ip -n "$ns" link set eth0 up
    ip -n "$ns" route replace default via "$TOR_IP" 2>/dev/null || true
    wait_routes 203.0.113.10/32 ${#NODES[@]} 60 >/dev/null
    echo "$node re-added by itself"
}

main() {
    local cmd=${1:-}
    [ $# -gt 0 ] && shift
    case $cmd in
        up) cmd_up "$@" ;;
        down) cmd_down ;;
        routes) flavour >/dev/null; routes ;;
        peers) flavour >/dev/null; peers ;;
        set-endpoint) cmd_set_endpoint "$@" ;;
        status) cmd_status ;;
        curl) cmd_curl "$@" ;;
        speaker) cmd_speaker "$@" ;;
        failover) flavour >/dev/null; cmd_failover "$@" ;;
        wait-routes) flavour >/dev/null; wait_routes "$@" ;;
        exec) cmd_exec "$@" ;;
        logs) cmd_logs "$@" ;;
        tor-ns) echo "$TOR" ;;
        *) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
    esac
}

main "$@"
