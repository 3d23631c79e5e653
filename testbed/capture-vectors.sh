#!/usr/bin/env bash
# Records what FRR, BIRD 2, GoBGP and ExaBGP really send to an eBGP peer, for
# bgp/tests/captured_vectors.rs. Run as root:
#
#   testbed/capture-vectors.sh [frr|bird|gobgp|exabgp ...]
#
# For each router: two fresh network namespaces joined by one veth (10.255.N.0/30 and
# fd00:255:0:N::/64, nothing attached to the root namespace); the router in one,
# testbed/bgp-recorder.py in the other. The router (4-octet ASN 42000001NN) peers with
# the recorder (AS 65001) over IPv4 for IPv4 and IPv6 unicast and originates two /32 and
# two /128 with MED 50, community 65001:100 and large community ASN:1:2 where it can.
# The recorder answers the OPEN, collects the routes and the End-of-RIB markers, asks
# for them again with ROUTE-REFRESH, then the router is shut down with a shutdown
# communication (ExaBGP: connection closed). Every received message becomes one hex line in
# bgp/tests/data/captured/<router>.hex. Every process is stopped by the pid recorded
# when it was started; the namespaces and the work directory are removed on exit.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
out_dir="$here/../bgp/tests/data/captured"
recorder="$here/bgp-recorder.py"
mkdir -p "$out_dir"

[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }

work=$(mktemp -d /tmp/capture-vectors.XXXXXX)
# FRR drops privileges to the frr user, which must reach its files.
chmod 755 "$work"
tag="c$$"
namespaces=()
pids=()

cleanup() {
    local pid ns
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    sleep 0.5
    for pid in "${pids[@]}"; do
        kill -9 "$pid" 2>/dev/null || true
    done
    for ns in "${namespaces[@]}"; do
        ip netns del "$ns" 2>/dev/null || true
    done
    if [ -n "${CAPTURE_KEEP:-}" ]; then
        log "work directory kept: $work"
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT

log() { echo "capture: $*" >&2; }

# Waits up to $1 seconds for command "${@:2}" to succeed.
wait_for() {
    local t=$1; shift
    local end=$((SECONDS + t))
    until "$@" >/dev/null 2>&1; do
        if [ "$SECONDS" -ge "$end" ]; then
            log "timed out waiting for: $*"
            return 1
        fi
        sleep 0.2
    done
}

RECORDER_ASN=65001
NOW=$(date -u +%Y-%m-%dT%H:%MZ)

# Creates the namespace pair of router number $1; sets rns, pns, r4, p4, r6, p6.
make_link() {
    local n=$1
    rns="${tag}r$n"
    pns="${tag}p$n"
    local va="${tag}a$n" vb="${tag}b$n"
    ip netns add "$rns"; namespaces+=("$rns")
    ip netns add "$pns"; namespaces+=("$pns")
    ip link add "$va" netns "$rns" type veth peer name "$vb" netns "$pns"
    r4="10.255.$n.1"; p4="10.255.$n.2"
    r6="fd00:255:0:$n::1"; p6="fd00:255:0:$n::2"
    ip -n "$rns" addr add "$r4/30" dev "$va"
    ip -n "$pns" addr add "$p4/30" dev "$vb"
    ip -n "$rns" addr add "$r6/64" dev "$va" nodad
    ip -n "$pns" addr add "$p6/64" dev "$vb" nodad
    for ns in "$rns" "$pns"; do ip -n "$ns" link set lo up; done
    ip -n "$rns" link set "$va" up
    ip -n "$pns" link set "$vb" up
    rif="$va"
}

# Starts the recorder for router $1 (file name) with version text $2.
start_recorder() {
    local name=$1 version=$2
    rm -f "$work/$name.ready"
    ip netns exec "$pns" python3 "$recorder" \
        --listen "$p4" --asn "$RECORDER_ASN" --router-id "$p4" \
        --out "$out_dir/$name.hex" --ready "$work/$name.ready" \
        --header "Messages sent by $version to a passive eBGP peer (AS $RECORDER_ASN), one per line, as received." \
        --header "Captured $NOW by testbed/capture-vectors.sh; see bgp/tests/captured_vectors.rs for the configuration." \
        2>"$work/$name.recorder.log" &
    recorder_pid=$!
    pids+=("$recorder_pid")
}

# Waits for the recorder to have seen the refreshed routes.
wait_ready() {
    wait_for 60 test -e "$work/$1.ready" || { cat "$work/$1.recorder.log" >&2; return 1; }
}

finish_recorder() {
    if ! wait "$recorder_pid"; then
        cat "$work/$1.recorder.log" >&2
        return 1
    fi
    log "$1: $(grep -vc '^#' "$out_dir/$1.hex") messages"
}

# FRR; $1 is the capture name (default frr), $2 extra route-map lines, $3 the link number.
capture_frr() {
    local name=${1:-frr} extra=${2:-} n=${3:-1}
    make_link "$n"
    local d="$work/$name" asn=42000001$(printf %02d "$n")
    mkdir -p "$d"
    cat >"$d/zebra.conf" <<EOF
hostname cap-frr
EOF
    cat >"$d/bgpd.conf" <<EOF
hostname cap-frr
debug bgp updates
debug bgp neighbor-events
router bgp $asn
 bgp router-id $r4
 no bgp ebgp-requires-policy
 no bgp default ipv4-unicast
 no bgp network import-check
 bgp graceful-restart
 no bgp suppress-duplicates
 neighbor $p4 remote-as $RECORDER_ASN
 neighbor $p4 timers connect 1
 neighbor $p4 advertisement-interval 0
 address-family ipv4 unicast
  network 10.201.$n.1/32 route-map ORIG
  network 10.201.$n.2/32 route-map ORIG
  neighbor $p4 activate
 exit-address-family
 address-family ipv6 unicast
  network fd00:201:$n::1/128 route-map ORIG
  network fd00:201:$n::2/128 route-map ORIG
  neighbor $p4 activate
 exit-address-family
route-map ORIG permit 10
 set metric 50
 set community 65001:100
 set large-community $asn:1:2
$extra
EOF
    chown -R frr:frr "$d"
    local daemon
    for daemon in zebra bgpd; do
        ip netns exec "$rns" /usr/lib/frr/$daemon -d -f "$d/$daemon.conf" -i "$d/$daemon.pid" \
            -z "$d/zserv.api" --vty_socket "$d" -P 0 --log "file:$d/$daemon.log"
        wait_for 15 test -s "$d/$daemon.pid"
        pids+=("$(cat "$d/$daemon.pid")")
        [ "$daemon" = zebra ] && wait_for 15 vtysh --vty_socket "$d" -d zebra -c "show version"
    done
    local version
    # vtysh has no --version; the daemons do.
    version="FRR $(/usr/lib/frr/bgpd --version | sed -n 's/.*version \([^ ]*\).*/\1/p' | head -1)"
    start_recorder "$name" "$version"
    wait_ready "$name"
    vtysh --vty_socket "$d" -c "configure terminal" -c "router bgp $asn" \
        -c "neighbor $p4 shutdown message capture complete" >/dev/null
    finish_recorder "$name"
}

# FRR with the link bandwidth extended community (draft-ietf-idr-link-bandwidth) on
# every route: 8 Mbit/s, i.e. 1,000,000 bytes/s on the wire. Transitive (Type 0x00):
# FRR, as RFC 4360 section 2 asks, does not send a non-transitive extended community
# (Type 0x40, what kube-anycast sends) to an eBGP peer, so that form cannot be captured
# on this eBGP session.
capture_frr_bandwidth() {
    capture_frr frr-bandwidth " set extcommunity bandwidth 8" 5
}

capture_bird() {
    make_link 2
    local d="$work/bird" asn=4200000102
    mkdir -p "$d"
    cat >"$d/bird.conf" <<EOF
log "$d/bird.log" all;
router id $r4;
protocol device { scan time 2; }
protocol static orig4 {
  ipv4;
  route 10.201.2.1/32 unreachable { bgp_med = 50; bgp_community.add((65001, 100)); bgp_large_community.add(($asn, 1, 2)); };
  route 10.201.2.2/32 unreachable { bgp_med = 50; bgp_community.add((65001, 100)); bgp_large_community.add(($asn, 1, 2)); };
}
protocol static orig6 {
  ipv6;
  route fd00:201:2::1/128 unreachable { bgp_med = 50; bgp_community.add((65001, 100)); bgp_large_community.add(($asn, 1, 2)); };
  route fd00:201:2::2/128 unreachable { bgp_med = 50; bgp_community.add((65001, 100)); bgp_large_community.add(($asn, 1, 2)); };
}
protocol bgp cap {
  local $r4 as $asn;
  neighbor $p4 as $RECORDER_ASN;
  connect retry time 1;
  graceful restart on;
  enable route refresh on;
  ipv4 { import all; export where source = RTS_STATIC; next hop self; };
  ipv6 { import all; export where source = RTS_STATIC; next hop address $r6; };
}
EOF
    bird -p -c "$d/bird.conf"
    ip netns exec "$rns" bird -c "$d/bird.conf" -s "$d/bird.ctl" -P "$d/bird.pid"
    wait_for 15 test -s "$d/bird.pid"
    pids+=("$(cat "$d/bird.pid")")
    local version
    version="BIRD $(bird --version 2>&1 | sed -n 's/.*version \([^ ]*\).*/\1/p' | head -1)"
    start_recorder bird "$version"
    wait_ready bird
    birdc -s "$d/bird.ctl" disable cap '"capture complete"' >/dev/null
    finish_recorder bird
}

capture_gobgp() {
    make_link 3
    local d="$work/gobgp" asn=4200000103
    mkdir -p "$d"
    cat >"$d/gobgpd.toml" <<EOF
[global.config]
  as = $asn
  router-id = "$r4"
  port = 179
[[neighbors]]
  [neighbors.config]
    neighbor-address = "$p4"
    peer-as = $RECORDER_ASN
  [neighbors.timers.config]
    connect-retry = 1
  [neighbors.graceful-restart.config]
    enabled = true
    restart-time = 120
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv4-unicast"
    [neighbors.afi-safis.mp-graceful-restart.config]
      enabled = true
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv6-unicast"
    [neighbors.afi-safis.mp-graceful-restart.config]
      enabled = true
EOF
    ip netns exec "$rns" gobgpd -f "$d/gobgpd.toml" -t toml --pprof-disable -l info \
        >"$d/gobgpd.log" 2>&1 &
    pids+=("$!")
    local g=(ip netns exec "$rns" gobgp)
    wait_for 15 "${g[@]}" neighbor
    local i
    for i in 1 2; do
        "${g[@]}" global rib -a ipv4 add "10.201.3.$i/32" nexthop "$r4" med 50 \
            community 65001:100 large-community "$asn:1:2"
        "${g[@]}" global rib -a ipv6 add "fd00:201:3::$i/128" nexthop "$r6" med 50 \
            community 65001:100 large-community "$asn:1:2"
    done
    local version
    version="GoBGP $(gobgpd --version 2>&1 | sed -n 's/.*version \([^ ]*\).*/\1/p' | head -1)"
    start_recorder gobgp "$version"
    wait_ready gobgp
    "${g[@]}" neighbor "$p4" shutdown --reason "capture complete" >/dev/null
    finish_recorder gobgp
}

capture_exabgp() {
    make_link 4
    local d="$work/exabgp" asn=4200000104
    mkdir -p "$d"
    cat >"$d/exabgp.conf" <<EOF
neighbor $p4 {
  router-id $r4;
  local-address $r4;
  local-as $asn;
  peer-as $RECORDER_ASN;
  capability {
    graceful-restart 120;
    route-refresh;
  }
  family {
    ipv4 unicast;
    ipv6 unicast;
  }
  static {
    route 10.201.4.1/32 next-hop $r4 med 50 community [ 65001:100 ] large-community [ $asn:1:2 ];
    route 10.201.4.2/32 next-hop $r4 med 50 community [ 65001:100 ] large-community [ $asn:1:2 ];
    route fd00:201:4::1/128 next-hop $r6 med 50 community [ 65001:100 ] large-community [ $asn:1:2 ];
    route fd00:201:4::2/128 next-hop $r6 med 50 community [ 65001:100 ] large-community [ $asn:1:2 ];
  }
}
EOF
    env exabgp.daemon.user=root exabgp.daemon.drop=false exabgp.api.cli=false \
        exabgp.daemon.pid="$d/exabgp.pid" exabgp.log.destination="$d/exabgp.log" \
        ip netns exec "$rns" exabgp "$d/exabgp.conf" >"$d/exabgp.out" 2>&1 &
    local exa_pid=$!
    pids+=("$exa_pid")
    local version
    version="ExaBGP $(exabgp --version 2>&1 | sed -n 's/.*ExaBGP : \([^ ]*\).*/\1/p' | head -1)"
    start_recorder exabgp "$version"
    wait_ready exabgp
    # ExaBGP 4.2 closes the TCP connection without a NOTIFICATION when stopped (its API
    # "teardown" command does the same), so its capture ends with the last UPDATE.
    kill -TERM "$exa_pid"
    finish_recorder exabgp
}

routers=("$@")
[ ${#routers[@]} -gt 0 ] || routers=(frr bird gobgp exabgp)
for r in "${routers[@]}"; do
    log "capturing $r"
    "capture_$r"
done
