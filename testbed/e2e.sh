#!/usr/bin/env bash
# End-to-end tests: the lab (testbed/lab.sh) with each top-of-rack flavour, checking what a
# user of kube-anycast relies on:
#   - every node with a ready endpoint announces; the ToR has one next hop per node and
#     (FRR, BIRD: real FIB) the client's connections spread over them;
#   - a terminating endpoint withdraws while another node is ready, and keeps announcing
#     while no ready endpoint exists anywhere; a gone one stays withdrawn; ready returns;
#   - (FRR, BIRD) a client making sequential requests sees no failure while an endpoint
#     goes terminating then gone;
#   - SIGTERM: the routes leave the ToR while the session is still up, the UPDATE with the
#     withdrawals is on the wire before the NOTIFICATION and the FIN;
#   - SIGKILL, and a frozen speaker (SIGSTOP): the routes leave within the hold time;
#   - a restarted speaker announces again.
# Each lab has its own LAB_ID (e2e-<pid>-<flavour>), so this runs next to other tests and
# next to an interactive lab. Every check prints PASS or FAIL; the last line is
# `N passed, M failed`; the exit status is non-zero when anything failed.
#
#   testbed/e2e.sh [frr] [bird] [gobgp]      (default: all three, one after the other)
# KUBE_ANYCAST_BIN selects the binary; by default the debug binary is built and used.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
LAB="$ROOT/testbed/lab.sh"
FLAVOURS=("$@")
[ ${#FLAVOURS[@]} -gt 0 ] || FLAVOURS=(frr bird gobgp)
HOLD=9
MARGIN=3
WEB=203.0.113.10
API=203.0.113.20
N1=10.11.0.11
N2=10.11.0.12
N3=10.11.0.13
WEB6=fd00:203::10
API6=fd00:203::20
V6_1=fd00:11::11
V6_2=fd00:11::12
V6_3=fd00:11::13

if [ "$(id -u)" -ne 0 ]; then
    echo "e2e: run as root (network namespaces)" >&2
    exit 1
fi
if [ -z "${KUBE_ANYCAST_BIN:-}" ]; then
    cargo build --locked --quiet --bin kube-anycast || { echo "e2e: build failed" >&2; exit 1; }
    export KUBE_ANYCAST_BIN="$ROOT/target/debug/kube-anycast"
fi

passed=0
failed=0
LABS=()
BACKGROUND=()
WORK=$(mktemp -d /tmp/kube-anycast-e2e.XXXXXX)

cleanup() {
    local pid id
    for pid in "${BACKGROUND[@]}"; do kill "$pid" 2>/dev/null; done
    for id in "${LABS[@]}"; do LAB_ID=$id "$LAB" down >/dev/null 2>&1; done
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

pass() { passed=$((passed + 1)); echo "PASS [$FLAVOUR] $*"; }
fail() {
    failed=$((failed + 1))
    echo "FAIL [$FLAVOUR] $*"
    # The first failure of a lab shows what its speakers and router said.
    if [ -z "${DIAGNOSED:-}" ] && [ -d "/tmp/kube-anycast-lab-$LAB_ID" ]; then
        DIAGNOSED=1
        lab status 2>&1 | sed 's/^/      | /'
        lab logs 12 2>&1 | grep -v -E '"GET / HTTP|answering ' | sed 's/^/      | /'
    fi
}
check() { # DESCRIPTION COMMAND...
    local what=$1 out
    shift
    if out=$("$@" 2>&1); then
        pass "$what"
        [ -z "$out" ] || sed 's/^/      /' <<<"$out"
    else
        fail "$what"
        sed 's/^/      /' <<<"$out"
    fi
}

lab() { "$LAB" "$@"; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
route_of() { # ADDRESS: its next hops at the ToR
    local p="$1/32"
    [[ $1 == *:* ]] && p="$1/128"
    lab routes | awk -v p="$p" '$1 == p { $1 = ""; sub(/^ /, ""); print }'
}

# PREFIX EXPECTED-NEXT-HOPS... : the ToR has exactly these next hops (waits up to 15 s).
expect_route() {
    local prefix=$1 want got i
    shift
    want="$*"
    for i in $(seq 300); do
        got=$(route_of "$prefix")
        [ "$got" = "$want" ] && { echo "$prefix via ${want:-nothing}"; return 0; }
        sleep 0.05
    done
    echo "$prefix: want next hops '${want}', the ToR has '${got}'"
    return 1
}

peer_state() { lab peers | awk -v n="$1" '$1 == n { print $4 }'; }

all_established() {
    local i
    for i in $(seq 300); do
        [ "$(lab peers | awk '$4 == "Established"' | wc -l)" -eq 3 ] && { lab peers; return 0; }
        sleep 0.1
    done
    lab peers
    return 1
}

# N requests from the client: each must be answered, by at least MIN distinct nodes.
spread() { # N MIN [ALLOWED-NODES-REGEX] [6]
    local n=$1 min=$2 allowed=${3:-node[0-9]} answers distinct
    answers=$(lab curl "$n" "${4:-4}")
    if grep -q 'request failed' <<<"$answers"; then
        echo "failed requests: $(grep -c 'request failed' <<<"$answers") of $n"
        return 1
    fi
    if grep -qv -E "^($allowed)\$" <<<"$answers"; then
        echo "answers from unexpected nodes: $(sort <<<"$answers" | uniq -c | xargs)"
        return 1
    fi
    distinct=$(sort -u <<<"$answers" | wc -l)
    echo "$n answers from $distinct nodes: $(sort <<<"$answers" | uniq -c | xargs)"
    [ "$distinct" -ge "$min" ]
}

# Sequential short HTTP requests from the client until STOPFILE exists; one line each:
# `ok NODE`, `reset ...` (an established connection reset mid-request: curl exit 56
# "Connection reset by peer") or `fail ...` (anything else: refused, no route, timeout).
start_client_loop() { # OUTFILE STOPFILE
    ip netns exec "ka-$LAB_ID-client" bash -c '
        while [ ! -e "$2" ]; do
            a=$(curl -sS --max-time 2 "http://'"$WEB"'/" 2>&1); rc=$?
            if [ $rc -eq 0 ]; then echo "ok $a"
            elif [ $rc -eq 56 ] && [[ $a == *"reset by peer"* ]]; then echo "reset $a"
            else echo "fail $rc $a"; fi
        done >"$1"' _ "$1" "$2" &
    BACKGROUND+=($!)
    CLIENT_LOOP=$!
}

# Stateless ECMP rehashes some flows whenever the next-hop set changes: a connection in
# flight at that instant (a few milliseconds per request) may continue on another node,
# which resets it. That is the router's hashing, not the speaker: such resets are counted
# and shown, not failed. Every other failure fails the check: a refused connection (a node
# announcing without serving), a timeout or no route (a blackhole).
no_request_fails() {
    local out="$WORK/$LAB_ID.requests" stop="$WORK/$LAB_ID.stop" total failures resets
    start_client_loop "$out" "$stop"
    sleep 1
    lab set-endpoint node1 web terminating >/dev/null
    lab wait-routes "$WEB" 2 10 >/dev/null || echo "route did not drop to 2 next hops"
    sleep 1
    lab set-endpoint node1 web gone >/dev/null
    sleep 1
    touch "$stop"
    wait "$CLIENT_LOOP"
    total=$(wc -l <"$out")
    failures=$(grep -c '^fail' "$out")
    resets=$(grep -c '^reset' "$out")
    echo "$total sequential requests, $failures failed, answered by: $(awk '$1 == "ok" {print $2}' "$out" | sort | uniq -c | xargs)"
    [ "$resets" -eq 0 ] ||
        echo "$resets reset in flight when the router's next hops changed (ECMP rehash, not a failure of the speaker)"
    grep '^fail' "$out" | sort | uniq -c | head -5
    [ "$failures" -eq 0 ] && [ "$total" -ge 20 ]
}

# node3's speaker gets SIGTERM: its routes leave the ToR while its session is still
# Established, and on the wire the withdrawals precede the NOTIFICATION and the FIN.
sigterm_withdraws_first() {
    local pcap="$WORK/$LAB_ID.pcap" tcpdump_pid t0 t gone_at="" down_at="" state routes_now i
    local speaker_pid
    speaker_pid=$(cat "/tmp/kube-anycast-lab-$LAB_ID/pids/speaker-node3.pid")
    ip netns exec "ka-$LAB_ID-tor" tcpdump -i node3 -U -s 0 -w "$pcap" 'tcp port 179' \
        2>"$WORK/$LAB_ID.tcpdump.err" &
    tcpdump_pid=$!
    BACKGROUND+=("$tcpdump_pid")
    for i in $(seq 50); do grep -q listening "$WORK/$LAB_ID.tcpdump.err" && break; sleep 0.1; done
    t0=$(now_ms)
    lab speaker node3 term
    for i in $(seq 200); do
        routes_now=$(lab routes) || continue
        state=$(peer_state node3)
        t=$(now_ms)
        if [ -z "$gone_at" ] && ! grep -q -E "$N3|$V6_3" <<<"$routes_now" &&
            grep -q "^$WEB/32 " <<<"$routes_now"; then
            gone_at=$((t - t0))
            echo "node3's routes gone from the ToR after $gone_at ms, session $state"
            [ "$state" = Established ] || { kill "$tcpdump_pid"; return 1; }
        fi
        if [ "$state" != Established ]; then
            down_at=$((t - t0))
            echo "session left Established after $down_at ms"
            break
        fi
        sleep 0.05
    done
    # The speaker exits after its FIN; then the capture is complete.
    for i in $(seq 100); do [ -d "/proc/$speaker_pid" ] || break; sleep 0.1; done
    sleep 0.2
    kill "$tcpdump_pid" 2>/dev/null
    wait "$tcpdump_pid" 2>/dev/null
    [ -n "$gone_at" ] && [ -n "$down_at" ] || { echo "routes gone: ${gone_at:-never}, session down: ${down_at:-never}"; return 1; }
    # The order on the wire, from node3 to the ToR.
    tcpdump -r "$pcap" -nn -v "src host $N3" 2>/dev/null | awk '
        /Withdrawn routes/ && !w { w = NR }
        /Notification Message/ && !n { n = NR }
        /Flags \[[^]]*F/ && !f { f = NR }
        END {
            printf "on the wire (line): withdraw %d, notification %d, FIN %d\n", w, n, f
            exit !(w > 0 && n > w && f > w)
        }'
}

# Sends SIGNAL to NODE's speaker; the node's next hop must leave every route within the
# hold time plus a margin. Prints the time.
routes_leave_within_hold() { # NODE SIGNAL
    local node=$1 sig=$2 ip t0 t i now
    ip="10\.11\.0\.1${node#node}|fd00:11::1${node#node}"
    now=$(lab routes)
    grep -q -E "$ip" <<<"$now" || { echo "$node announces nothing before $sig"; return 1; }
    t0=$(now_ms)
    lab speaker "$node" "${sig,,}"
    for i in $(seq $(((HOLD + MARGIN) * 20))); do
        # Read first, then look: `lab routes | grep -q` fails under pipefail when grep
        # stops reading early. The other nodes' routes must still be there.
        now=$(lab routes) || continue
        if ! grep -q -E "$ip" <<<"$now" && grep -q "^$WEB/32 " <<<"$now"; then
            t=$(now_ms)
            echo "$node's routes left the ToR $((t - t0)) ms after $sig (hold time ${HOLD}s)"
            return 0
        fi
        sleep 0.05
    done
    echo "$node's routes still at the ToR $((HOLD + MARGIN)) s after $sig"
    return 1
}

restarts_and_announces() { # NODE
    local t0 t
    t0=$(now_ms)
    lab speaker "$1" start || return 1
    lab wait-routes "$WEB" 3 30 >/dev/null || return 1
    t=$(now_ms)
    echo "$1 announces again $((t - t0)) ms after start"
}

recovers_after_cont() {
    local t0 t
    t0=$(now_ms)
    lab speaker node1 cont || return 1
    lab wait-routes "$WEB" 3 30 >/dev/null || return 1
    t=$(now_ms)
    echo "node1 announces again $((t - t0)) ms after SIGCONT"
}

speaker_log_clean() { # NODE: no panic in the speaker's log
    local log="/tmp/kube-anycast-lab-$LAB_ID/logs/speaker-$1.log"
    [ -s "$log" ] || { echo "no log at $log"; return 1; }
    if grep -E -i 'panick|thread .* panicked' "$log"; then return 1; fi
    echo "no panic in $1's log"
}

run_flavour() {
    FLAVOUR=$1
    DIAGNOSED=
    LAB_ID="e2e-$$-$FLAVOUR"
    export LAB_ID
    local t0 fib=0
    [ "$FLAVOUR" != gobgp ] && fib=1
    echo "== $FLAVOUR (LAB_ID=$LAB_ID)"
    LABS+=("$LAB_ID")
    t0=$(now_ms)
    if ! lab up "$FLAVOUR" >"$WORK/$LAB_ID.up" 2>&1; then
        fail "lab up"
        sed 's/^/      /' "$WORK/$LAB_ID.up"
        return
    fi
    grep -v "^lab '$LAB_ID' up" "$WORK/$LAB_ID.up" | sed 's/^/   /'

    check "all three sessions Established" all_established
    check "web announced by all three nodes" expect_route "$WEB" "$N1 $N2 $N3"
    check "api announced by the two nodes with endpoints" expect_route "$API" "$N2 $N3"
    check "IPv6: web announced by all three nodes, next hops their global addresses" \
        expect_route "$WEB6" "$V6_1 $V6_2 $V6_3"
    check "IPv6: api announced by the two nodes with endpoints" expect_route "$API6" "$V6_2 $V6_3"
    echo "   (up to converged: $(($(now_ms) - t0)) ms)"
    if [ $fib -eq 1 ]; then
        check "the ToR FIB has three next hops and L4 hashing spreads 30 requests" spread 30 2
        check "IPv6: 30 requests spread too" spread 30 2 'node[0-9]' 6
    fi

    lab set-endpoint node1 web terminating >/dev/null
    check "terminating endpoint with ready ones elsewhere: node1 withdraws" expect_route "$WEB" "$N2 $N3"
    check "IPv6: node1 withdraws too" expect_route "$WEB6" "$V6_2 $V6_3"
    [ $fib -eq 1 ] && check "the client is answered by node2 and node3 only" spread 10 1 'node2|node3'
    lab set-endpoint node1 web gone >/dev/null
    check "gone endpoint: still withdrawn" expect_route "$WEB" "$N2 $N3"
    [ $fib -eq 1 ] && check "the client is still answered" spread 10 1 'node2|node3'
    lab set-endpoint node1 web ready >/dev/null
    check "ready again: node1 announces again" expect_route "$WEB" "$N1 $N2 $N3"
    check "IPv6: ready again, announced again" expect_route "$WEB6" "$V6_1 $V6_2 $V6_3"

    lab set-endpoint node2 api terminating >/dev/null
    lab set-endpoint node3 api terminating >/dev/null
    check "no ready endpoint anywhere: terminating endpoints keep announcing" expect_route "$API" "$N2 $N3"
    lab set-endpoint node3 api ready >/dev/null
    check "a ready endpoint appears: the terminating-only node withdraws" expect_route "$API" "$N3"
    lab set-endpoint node2 api gone >/dev/null
    lab set-endpoint node3 api gone >/dev/null
    check "no endpoint at all: nothing announced" expect_route "$API" ""

    if [ $fib -eq 1 ]; then
        check "sequential requests while node1 goes terminating then gone: none fails (ECMP rehash resets apart)" no_request_fails
        lab set-endpoint node1 web ready >/dev/null
        lab wait-routes "$WEB" 3 10 >/dev/null
    fi

    check "SIGTERM: routes withdrawn while the session is up, before NOTIFICATION and FIN" sigterm_withdraws_first
    check "SIGTERM: the speaker exits cleanly" bash -c "sleep 0.5; grep -q 'stopped' /tmp/kube-anycast-lab-$LAB_ID/logs/speaker-node3.log"
    check "SIGTERM: restarted speaker announces again" restarts_and_announces node3

    check "SIGKILL: routes leave within the hold time" routes_leave_within_hold node2 KILL
    check "SIGKILL: restarted speaker announces again" restarts_and_announces node2

    check "frozen speaker (SIGSTOP): routes leave within the hold time" routes_leave_within_hold node1 STOP
    check "frozen speaker resumed (SIGCONT): announces again" recovers_after_cont

    local node
    for node in node1 node2 node3; do
        check "$node's speaker did not panic" speaker_log_clean "$node"
    done
    lab down >/dev/null 2>&1 || fail "lab down"
    if grep -q "^ka-$LAB_ID-" <<<"$(ip netns list)"; then fail "lab down left namespaces"; else pass "lab down removes its namespaces"; fi
    echo "   ($FLAVOUR took $(($(now_ms) - t0)) ms)"
}

for f in "${FLAVOURS[@]}"; do
    case $f in
        frr | bird | gobgp) run_flavour "$f" ;;
        *) echo "e2e: unknown flavour $f" >&2; failed=$((failed + 1)) ;;
    esac
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
