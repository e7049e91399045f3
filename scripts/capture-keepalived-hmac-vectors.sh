#!/usr/bin/env bash
# Capture keepalived 2.4.3 `auth_hmac` adverts as known-answer vectors for vrrp-rs.
#
# Usage (as root):   bash scripts/capture-keepalived-hmac-vectors.sh
#
# Builds keepalived v2.4.3 with scripts/build-keepalived-2.4.sh (first release with
# auth_hmac), then per case runs it as the only router in a throw-away network namespace
# (vrrphmac-<pid>-<case>-r, veth "eth1" to a -p namespace), captures its adverts with
# tcpdump, and writes to node/tests/fixtures/hmac/:
#   <case>.conf   the keepalived.conf that produced them (key material included: test keys)
#   <case>.hex    the captured IP packets (IP header + VRRP + trailer), one per line, in
#                 capture order; the last one is the priority-0 advert sent on SIGTERM
#   <case>.pcap   the raw capture
#   hmac-v3-ipv6.key  the key file the IPv6 case reads with `key 7 file:...`
# Only TEST-NET addresses (192.0.2.0/24, 2001:db8::/32) and link-local ones are used;
# nothing in the root namespace is touched.
#
# Requires: ip (iproute2), tcpdump, python3, and what the build script needs.
set -euo pipefail

if [[ ${EUID:-$(id -u)} -ne 0 ]]; then
    echo "error: must be run as root (network namespaces, keepalived, tcpdump)" >&2
    exit 1
fi
for tool in ip tcpdump python3; do
    command -v "$tool" >/dev/null 2>&1 || { echo "error: $tool not found" >&2; exit 1; }
done

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
KEEPALIVED=$(bash "$REPO_ROOT/scripts/build-keepalived-2.4.sh")
OUT="$REPO_ROOT/node/tests/fixtures/hmac"
PFX="vrrphmac-$$-"
ADVERT_SECONDS=${ADVERT_SECONDS:-3.2}
WORK=$(mktemp -d /tmp/vrrphmac.XXXXXX)
NAMESPACES=()
PIDS=()

cleanup() {
    local rc=$?
    set +e
    for pid in "${PIDS[@]}"; do
        kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
    done
    for ns in "${NAMESPACES[@]}"; do ip netns del "$ns" 2>/dev/null; done
    if [[ $rc -ne 0 ]]; then echo "capture failed (rc=$rc); logs kept in $WORK" >&2; else rm -rf "$WORK"; fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
log() { printf '==> %s\n' "$*" >&2; }

mkdir -p "$OUT"
# The key the IPv6 case reads from a file (ASCII, 40 bytes, with the trailing newline
# keepalived strips), mode 0600 as keepalived wants for a secret.
printf 'vrrp-rs test key seven, not a secret!!!!\n' >"$OUT/hmac-v3-ipv6.key"
chmod 0600 "$OUT/hmac-v3-ipv6.key"
cp "$OUT/hmac-v3-ipv6.key" "$WORK/hmac-v3-ipv6.key"
chmod 0600 "$WORK/hmac-v3-ipv6.key"

write_configs() {
    # VRRPv2, IPv4, one hex key, time anti-replay (the defaults: mode enforce).
    cat >"$OUT/hmac-v2-ipv4.conf" <<'CONF'
global_defs {
    router_id cap
    vrrp_garp_master_delay 5
}

vrrp_instance VI {
    state MASTER
    interface eth1
    garp_master_delay 5
    virtual_router_id 60
    priority 101
    advert_int 1
    auth_hmac {
        key 1 hex:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
        active_key 1
    }
    virtual_ipaddress {
        192.0.2.1/24 dev eth1
    }
}
CONF
    # VRRPv3, IPv4, two keys (rotation: sends with id 2), monotonic anti-replay, ASCII key.
    cat >"$OUT/hmac-v3-ipv4.conf" <<'CONF'
global_defs {
    router_id cap
    vrrp_garp_master_delay 5
}

vrrp_instance VI {
    version 3
    state MASTER
    interface eth1
    garp_master_delay 5
    virtual_router_id 61
    priority 150
    advert_int 1
    auth_hmac {
        key 1 hex:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
        key 2 an-ascii-key-of-thirty-two-bytes
        active_key 2
        anti_replay monotonic
    }
    virtual_ipaddress {
        192.0.2.1/24 dev eth1
        192.0.2.2/24 dev eth1
    }
}
CONF
    # VRRPv3, IPv6, key from a file, permissive mode, explicit window.
    cat >"$OUT/hmac-v3-ipv6.conf" <<'CONF'
global_defs {
    router_id cap
    vrrp_garp_master_delay 5
}

vrrp_instance VI {
    version 3
    state MASTER
    interface eth1
    garp_master_delay 5
    virtual_router_id 62
    priority 200
    advert_int 0.5
    auth_hmac {
        key 7 file:hmac-v3-ipv6.key
        active_key 7
        mode permissive
        time_window 10
    }
    virtual_ipaddress {
        2001:db8::1/64 dev eth1
    }
}
CONF
}

setup_netns() {
    local case=$1 r="${PFX}$1-r" p="${PFX}$1-p"
    ip netns add "$r"; NAMESPACES+=("$r")
    ip netns add "$p"; NAMESPACES+=("$p")
    ip -n "$r" link add eth1 address 02:00:00:00:00:11 type veth \
        peer name eth1 address 02:00:00:00:00:12 netns "$p"
    local ns
    for ns in "$r" "$p"; do
        ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0
        ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.accept_dad=0
        ip netns exec "$ns" sysctl -qw net.ipv6.conf.eth1.accept_dad=0
        ip -n "$ns" link set lo up
    done
    case "$case" in
        *ipv4) ip -n "$r" addr add 192.0.2.11/24 dev eth1; ip -n "$p" addr add 192.0.2.12/24 dev eth1 ;;
        *ipv6) ip -n "$r" addr add 2001:db8::11/64 dev eth1 nodad; ip -n "$p" addr add 2001:db8::12/64 dev eth1 nodad ;;
    esac
    ip -n "$r" link set eth1 up
    ip -n "$p" link set eth1 up
    local i
    for i in $(seq 50); do
        local addrs
        addrs=$(ip -n "$r" -6 addr show dev eth1)
        if [[ $(ip -n "$r" link show eth1) == *LOWER_UP* && $addrs == *"inet6 fe80"* && $addrs != *tentative* ]]; then
            return 0
        fi
        sleep 0.1
    done
    echo "error: eth1 in $r did not come up" >&2
    return 1
}

run_capture() {
    local case=$1 r="${PFX}$1-r"
    setup_netns "$case"
    sed "s#file:hmac-v3-ipv6.key#file:$WORK/hmac-v3-ipv6.key#" "$OUT/$case.conf" >"$WORK/$case.conf"
    ip netns exec "$r" tcpdump -i eth1 -U -n -s 0 -w "$WORK/$case.pcap" \
        'ip proto 112 or ip6 proto 112' >"$WORK/$case.tcpdump.log" 2>&1 &
    local tcpdump_pid=$!
    PIDS+=("$tcpdump_pid")
    local i
    for i in $(seq 50); do grep -q 'listening on' "$WORK/$case.tcpdump.log" && break; sleep 0.1; done
    ip netns exec "$r" "$KEEPALIVED" -n -l -D --use-file="$WORK/$case.conf" \
        --pid="$WORK/$case.keepalived.pid" --vrrp_pid="$WORK/$case.vrrp.pid" >"$WORK/$case.keepalived.log" 2>&1 &
    local ka_pid=$!
    PIDS+=("$ka_pid")
    for i in $(seq 150); do
        grep -q 'Entering MASTER STATE' "$WORK/$case.keepalived.log" && break
        kill -0 "$ka_pid" 2>/dev/null || { cat "$WORK/$case.keepalived.log" >&2; return 1; }
        sleep 0.1
    done
    grep -q 'Entering MASTER STATE' "$WORK/$case.keepalived.log" || { cat "$WORK/$case.keepalived.log" >&2; return 1; }
    if grep -qi 'auth_hmac' "$WORK/$case.keepalived.log"; then
        echo "error: keepalived reported an auth_hmac config problem:" >&2
        grep -i 'auth_hmac' "$WORK/$case.keepalived.log" >&2
        return 1
    fi
    sleep "$ADVERT_SECONDS"
    kill -TERM "$ka_pid"; wait "$ka_pid" || true
    sleep 0.5
    kill -TERM "$tcpdump_pid"; wait "$tcpdump_pid" || true
    cp "$WORK/$case.pcap" "$OUT/$case.pcap"
    python3 - "$WORK/$case.pcap" "$OUT/$case.hex" <<'PY'
import struct, sys
data = open(sys.argv[1], "rb").read()
end = "<" if data[:4] == b"\xd4\xc3\xb2\xa1" else ">"
off, lines = 24, []
while off + 16 <= len(data):
    incl = struct.unpack(end + "IIII", data[off:off + 16])[2]
    frame = data[off + 16:off + 16 + incl]
    off += 16 + incl
    et, pkt = struct.unpack("!H", frame[12:14])[0], frame[14:]
    n = struct.unpack("!H", pkt[2:4])[0] if et == 0x0800 else 40 + struct.unpack("!H", pkt[4:6])[0]
    lines.append(pkt[:n].hex())
assert len(lines) >= 3, "fewer than 3 adverts captured"
open(sys.argv[2], "w").write("\n".join(lines) + "\n")
print(f"{len(lines)} packets", file=sys.stderr)
PY
    ip netns del "${PFX}$case-r"; ip netns del "${PFX}$case-p"
}

write_configs
log "using $("$KEEPALIVED" --version 2>&1 | head -1)"
for case in hmac-v2-ipv4 hmac-v3-ipv4 hmac-v3-ipv6; do
    log "capturing $case"
    run_capture "$case"
done
log "wrote $OUT"
