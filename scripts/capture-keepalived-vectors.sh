#!/usr/bin/env bash
# Capture real keepalived VRRP advertisements as test vectors for vrrp-rs.
#
# Usage (as root):   bash scripts/capture-keepalived-vectors.sh
#
# For every case a pair of throw-away network namespaces is created
# (vrrpcap-<pid>-<case>-r / -p) joined by a veth pair whose ends are both
# called eth1.  keepalived runs in the "-r" namespace as the only router,
# becomes MASTER and sends adverts; tcpdump captures them on eth1 in the
# same namespace.  Nothing in the root namespace is touched, and only
# TEST-NET addresses (192.0.2.0/24, 2001:db8::/32, fe80::/64) are used.
#
# Cases (written to core/tests/vectors/):
#   v2-pass       VRRPv2, IPv4, auth_type PASS, vrid 200, prio 101, 1 s
#   v3-ipv4       VRRPv3, IPv4, two VIPs,       vrid 51,  prio 101, 1 s
#   v3-ipv6       VRRPv3, IPv6,                 vrid 52,  prio 150, 0.5 s
#   v2-priority0  the priority-0 advert keepalived sends when it gets
#                 SIGTERM while MASTER (taken from the v2-pass run)
#   v2-no-vip     VRRPv2, IPv4, no virtual_ipaddress, vrid 53, prio 100, 1 s
#                 (keepalived warns "No VIP specified" and advertises Count 0)
#   v2-ipv6       VRRPv2 over IPv6 (`version 2`, no vrrp_strict: vrrp.c 2863
#                 keeps v2), two VIPs, vrid 54, prio 120, 2 s
#   v2-ipv6-priority0  the priority-0 advert of the v2-ipv6 run (SIGTERM)
#   v2-ipv6-pass  VRRPv2 over IPv6 with auth_type PASS, vrid 55, prio 101, 1 s
#                 (keepalived keeps PASS over IPv6 but has no room for the
#                 password: Auth Type 1, no auth data, vrrp.c 1254/1264)
#
# Per case: <case>.ip.hex (one advert: IP header + VRRP, lowercase hex,
# 32 bytes a line) and <case>.pcap (a few packets of the raw capture).
# README.md is regenerated with the decoded fields and checksum checks.
#
# Requires: ip (iproute2), keepalived, tcpdump, python3.
set -euo pipefail

if [[ ${EUID:-$(id -u)} -ne 0 ]]; then
    echo "error: must be run as root (network namespaces, keepalived, tcpdump)" >&2
    exit 1
fi
for tool in ip keepalived tcpdump python3; do
    command -v "$tool" >/dev/null 2>&1 || { echo "error: $tool not found" >&2; exit 1; }
done

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT="$REPO_ROOT/core/tests/vectors"
PFX="vrrpcap-$$-"
ADVERT_SECONDS=${ADVERT_SECONDS:-3.5}
WORK=$(mktemp -d /tmp/vrrpcap.XXXXXX)

NAMESPACES=()
PIDS=()

cleanup() {
    local rc=$?
    set +e
    for pid in "${PIDS[@]}"; do
        if kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid" 2>/dev/null
            for _ in 1 2 3 4 5 6 7 8 9 10; do
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.2
            done
            kill -KILL "$pid" 2>/dev/null
        fi
    done
    for ns in "${NAMESPACES[@]}"; do
        ip netns del "$ns" 2>/dev/null
    done
    if [[ $rc -ne 0 ]]; then
        echo "capture failed (rc=$rc); logs kept in $WORK" >&2
    else
        rm -rf "$WORK"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { printf '==> %s\n' "$*" >&2; }

# ---------------------------------------------------------------- configs --

write_configs() {
    cat >"$WORK/v2-pass.conf" <<'EOF'
global_defs {
    router_id cap
    vrrp_garp_master_delay 5
}

vrrp_instance VI {
    state MASTER
    interface eth1
    garp_master_delay 5
    virtual_router_id 200
    priority 101
    advert_int 1
    authentication {
        auth_type PASS
        auth_pass XXXXXX
    }
    virtual_ipaddress {
        192.0.2.1/24 dev eth1
    }
}
EOF

    cat >"$WORK/v3-ipv4.conf" <<'EOF'
global_defs {
    router_id cap
    vrrp_garp_master_delay 5
}

vrrp_instance VI {
    version 3
    state MASTER
    interface eth1
    garp_master_delay 5
    virtual_router_id 51
    priority 101
    advert_int 1
    virtual_ipaddress {
        192.0.2.1/24 dev eth1
        192.0.2.2/24 dev eth1
    }
}
EOF

    cat >"$WORK/v2-no-vip.conf" <<'EOF'
global_defs {
    router_id cap
    vrrp_garp_master_delay 5
}

vrrp_instance VI {
    state MASTER
    interface eth1
    garp_master_delay 5
    virtual_router_id 53
    priority 100
    advert_int 1
}
EOF

    cat >"$WORK/v2-ipv6.conf" <<'EOF'
global_defs {
    router_id cap
    vrrp_garp_master_delay 5
}

vrrp_instance VI {
    version 2
    state MASTER
    interface eth1
    garp_master_delay 5
    virtual_router_id 54
    priority 120
    advert_int 2
    virtual_ipaddress {
        2001:db8::1/64 dev eth1
        2001:db8::2/64 dev eth1
    }
}
EOF

    cat >"$WORK/v2-ipv6-pass.conf" <<'EOF'
global_defs {
    router_id cap
    vrrp_garp_master_delay 5
}

vrrp_instance VI {
    version 2
    state MASTER
    interface eth1
    garp_master_delay 5
    virtual_router_id 55
    priority 101
    advert_int 1
    authentication {
        auth_type PASS
        auth_pass XXXXXX
    }
    virtual_ipaddress {
        2001:db8::1/64 dev eth1
    }
}
EOF

    cat >"$WORK/v3-ipv6.conf" <<'EOF'
global_defs {
    router_id cap
    vrrp_garp_master_delay 5
}

vrrp_instance VI {
    version 3
    state MASTER
    interface eth1
    garp_master_delay 5
    virtual_router_id 52
    priority 150
    advert_int 0.5
    virtual_ipaddress {
        2001:db8::1/64 dev eth1
    }
}
EOF
}

# ------------------------------------------------------------- namespaces --

# setup_netns CASE -> creates ${PFX}CASE-r (router) and ${PFX}CASE-p (peer)
setup_netns() {
    local case=$1 r="${PFX}$1-r" p="${PFX}$1-p"
    ip netns add "$r"; NAMESPACES+=("$r")
    ip netns add "$p"; NAMESPACES+=("$p")
    # Fixed, locally administered MACs so the link-local address
    # (EUI-64: fe80::ff:fe00:11) is the same on every run.
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
        v2-pass|v3-ipv4|v2-no-vip)
            ip -n "$r" addr add 192.0.2.11/24 dev eth1
            ip -n "$p" addr add 192.0.2.12/24 dev eth1
            ;;
        v3-ipv6|v2-ipv6|v2-ipv6-pass)
            ip -n "$r" addr add 2001:db8::11/64 dev eth1 nodad
            ip -n "$p" addr add 2001:db8::12/64 dev eth1 nodad
            ;;
    esac
    ip -n "$r" link set eth1 up
    ip -n "$p" link set eth1 up
    # wait for carrier and (for IPv6) a usable link-local address
    local i
    for i in $(seq 50); do
        local link addrs
        link=$(ip -n "$r" link show eth1)
        addrs=$(ip -n "$r" -6 addr show dev eth1)
        if [[ $link == *LOWER_UP* && $addrs == *"inet6 fe80"* &&
              $addrs != *tentative* ]]; then
            return 0
        fi
        sleep 0.1
    done
    echo "error: eth1 in $r did not come up" >&2
    return 1
}

# run_capture CASE: keepalived as master for ADVERT_SECONDS, then SIGTERM
# (which makes it send a priority-0 advert), capture everything on eth1.
run_capture() {
    local case=$1 r="${PFX}$1-r"
    local pcap="$WORK/$case.raw.pcap"
    setup_netns "$case"

    ip netns exec "$r" tcpdump -i eth1 -U -n -s 0 -w "$pcap" \
        'ip proto 112 or ip6 proto 112' >"$WORK/$case.tcpdump.log" 2>&1 &
    local tcpdump_pid=$!
    PIDS+=("$tcpdump_pid")
    local i
    for i in $(seq 50); do
        grep -q 'listening on' "$WORK/$case.tcpdump.log" 2>/dev/null && break
        sleep 0.1
    done
    grep -q 'listening on' "$WORK/$case.tcpdump.log" ||
        { echo "error: tcpdump did not start" >&2; cat "$WORK/$case.tcpdump.log" >&2; return 1; }

    ip netns exec "$r" keepalived -n -l -D --vrrp \
        -f "$WORK/$case.conf" \
        -p "$WORK/$case.keepalived.pid" \
        -r "$WORK/$case.vrrp.pid" \
        >"$WORK/$case.keepalived.log" 2>&1 &
    local ka_pid=$!
    PIDS+=("$ka_pid")

    # keepalived 2.2.7 starts in BACKUP (init) even with "state MASTER" and
    # only becomes MASTER after the master-down timer (~3 advert intervals).
    for i in $(seq 150); do
        grep -q 'Entering MASTER STATE' "$WORK/$case.keepalived.log" && break
        if ! kill -0 "$ka_pid" 2>/dev/null; then
            echo "error: keepalived exited early; log:" >&2
            cat "$WORK/$case.keepalived.log" >&2
            return 1
        fi
        sleep 0.1
    done
    grep -q 'Entering MASTER STATE' "$WORK/$case.keepalived.log" || {
        echo "error: keepalived never became MASTER; log:" >&2
        cat "$WORK/$case.keepalived.log" >&2
        return 1
    }
    sleep "$ADVERT_SECONDS"   # let it send a few adverts as MASTER
    kill -TERM "$ka_pid"
    wait "$ka_pid" || true
    sleep 0.5
    kill -TERM "$tcpdump_pid"
    wait "$tcpdump_pid" || true
    log "$case: $(grep -E 'packets? captured' "$WORK/$case.tcpdump.log" || true)"

    ip netns del "${PFX}$case-r"
    ip netns del "${PFX}$case-p"
}

# ------------------------------------------------------------ processing --

write_processor() {
    cat >"$WORK/process.py" <<'PYEOF'
"""Extract, decode and checksum-verify VRRP adverts from tcpdump captures."""
import json
import socket
import struct
import sys


def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = data[:4]
    if magic == b"\xd4\xc3\xb2\xa1":
        endian = "<"
    elif magic == b"\xa1\xb2\xc3\xd4":
        endian = ">"
    else:
        raise SystemExit(f"{path}: not a microsecond pcap file")
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    if linktype != 1:
        raise SystemExit(f"{path}: unexpected linktype {linktype}")
    header = data[:24]
    recs = []
    off = 24
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack(endian + "IIII", data[off:off + 16])
        rec = data[off:off + 16 + incl]
        frame = rec[16:]
        recs.append((rec, frame))
        off += 16 + incl
    return header, recs


def ip_packet(frame):
    ethertype = struct.unpack("!H", frame[12:14])[0]
    pkt = frame[14:]
    if ethertype == 0x0800:
        total = struct.unpack("!H", pkt[2:4])[0]
        return pkt[:total]
    if ethertype == 0x86DD:
        plen = struct.unpack("!H", pkt[4:6])[0]
        return pkt[:40 + plen]
    raise ValueError(f"unexpected ethertype {ethertype:#06x}")


def split(pkt):
    """-> (family, ip_header, vrrp_message)."""
    if pkt[0] >> 4 == 4:
        ihl = (pkt[0] & 0x0F) * 4
        assert pkt[9] == 112, "not VRRP"
        return 4, pkt[:ihl], pkt[ihl:]
    assert pkt[0] >> 4 == 6 and pkt[6] == 112, "not VRRP over IPv6"
    return 6, pkt[:40], pkt[40:]


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def zero_csum(msg):
    return msg[:6] + b"\0\0" + msg[8:]


def priority(pkt):
    return split(pkt)[2][2]


def checks(pkt):
    fam, hdr, msg = split(pkt)
    field = struct.unpack("!H", msg[6:8])[0]
    z = zero_csum(msg)
    out = {"field": field}
    out["vrrp_only"] = csum(z)
    if fam == 4:
        src, dst = hdr[12:16], hdr[16:20]
        pseudo = src + dst + struct.pack("!BBH", 0, 112, len(msg))
        out["ipv4_pseudo"] = csum(pseudo + z)
        out["ip_header_ok"] = csum(hdr) == 0
        if msg[0] >> 4 == 2:
            # v2 with auth bytes left out (wrong form, for contrast)
            out["vrrp_without_auth"] = csum(z[:-8])
    else:
        src, dst = hdr[8:24], hdr[24:40]
        pseudo = src + dst + struct.pack("!I3xB", len(msg), 112)
        out["ipv6_pseudo"] = csum(pseudo + z)
    return out


def decode(pkt):
    fam, hdr, msg = split(pkt)
    d = {"family": f"IPv{fam}", "ip_len": len(pkt), "vrrp_len": len(msg)}
    if fam == 4:
        d.update(
            ip_ihl=(hdr[0] & 0xF) * 4,
            ip_tos=hdr[1],
            ip_total_length=struct.unpack("!H", hdr[2:4])[0],
            ip_id=struct.unpack("!H", hdr[4:6])[0],
            ip_flags_frag=struct.unpack("!H", hdr[6:8])[0],
            ttl=hdr[8],
            proto=hdr[9],
            ip_header_checksum=struct.unpack("!H", hdr[10:12])[0],
            src=socket.inet_ntop(socket.AF_INET, hdr[12:16]),
            dst=socket.inet_ntop(socket.AF_INET, hdr[16:20]),
        )
    else:
        vtcfl = struct.unpack("!I", hdr[0:4])[0]
        d.update(
            traffic_class=(vtcfl >> 20) & 0xFF,
            flow_label=vtcfl & 0xFFFFF,
            payload_length=struct.unpack("!H", hdr[4:6])[0],
            proto=hdr[6],
            ttl=hdr[7],
            src=socket.inet_ntop(socket.AF_INET6, hdr[8:24]),
            dst=socket.inet_ntop(socket.AF_INET6, hdr[24:40]),
        )
    ver, typ = msg[0] >> 4, msg[0] & 0xF
    d.update(version=ver, type=typ, vrid=msg[1], priority=msg[2], count=msg[3],
             checksum=struct.unpack("!H", msg[6:8])[0])
    alen = 4 if fam == 4 else 16
    af = socket.AF_INET if fam == 4 else socket.AF_INET6
    addrs = msg[8:8 + alen * msg[3]]
    d["addresses"] = [socket.inet_ntop(af, addrs[i:i + alen])
                      for i in range(0, len(addrs), alen)]
    if ver == 2:
        d["auth_type"] = msg[4]
        d["adver_int_s"] = msg[5]
        auth = msg[8 + alen * msg[3]:]
        d["auth_data_hex"] = auth.hex()
        d["auth_data_text"] = auth.rstrip(b"\0").decode("ascii", "replace")
    else:
        word = struct.unpack("!H", msg[4:6])[0]
        d["rsvd"] = word >> 12
        d["max_adver_int_cs"] = word & 0x0FFF
        d["trailing"] = msg[8 + alen * msg[3]:].hex()
    return d


def write_pcap(path, header, recs):
    with open(path, "wb") as f:
        f.write(header)
        for rec, _ in recs:
            f.write(rec)


def hexlines(pkt):
    h = pkt.hex()
    return "".join(h[i:i + 64] + "\n" for i in range(0, len(h), 64))


def cmd_extract(raw, case, outdir, want_zero):
    header, recs = read_pcap(raw)
    pkts = [ip_packet(fr) for _, fr in recs]
    if want_zero:
        idx = [i for i, p in enumerate(pkts) if priority(p) == 0]
        if not idx:
            raise SystemExit(f"{raw}: no priority-0 advert captured")
        sel = idx[0]
        keep = list(range(max(0, sel - 2), sel + 1))  # 2 adverts + prio 0
    else:
        idx = [i for i, p in enumerate(pkts) if priority(p) != 0]
        if len(idx) < 2:
            raise SystemExit(f"{raw}: fewer than 2 adverts captured")
        sel = idx[0]
        keep = idx[:3]
    pkt = pkts[sel]
    with open(f"{outdir}/{case}.ip.hex", "w") as f:
        f.write(hexlines(pkt))
    write_pcap(f"{outdir}/{case}.pcap", header, [recs[i] for i in keep])
    info = {"case": case, "captured": len(recs), "kept": len(keep),
            "decoded": decode(pkt), "checks": checks(pkt),
            "all_checksums_ok": all(verify_ok(p) for p in pkts)}
    json.dump(info, sys.stdout)


def verify_ok(pkt):
    c = checks(pkt)
    fam, _, msg = split(pkt)
    if fam == 6:
        return c["ipv6_pseudo"] == c["field"]
    if msg[0] >> 4 == 2:
        return c["vrrp_only"] == c["field"]
    return c["ipv4_pseudo"] == c["field"] or c["vrrp_only"] == c["field"]


if __name__ == "__main__":
    if sys.argv[1] == "extract":
        cmd_extract(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5] == "zero")
    else:
        raise SystemExit("usage: process.py extract RAW CASE OUTDIR zero|nonzero")
PYEOF

    cat >"$WORK/readme.py" <<'PYEOF'
"""Render core/tests/vectors/README.md from the extract results."""
import json
import sys

work, outdir, version = sys.argv[1], sys.argv[2], sys.argv[3]
cases = ["v2-pass", "v3-ipv4", "v3-ipv6", "v2-priority0", "v2-no-vip",
         "v2-ipv6", "v2-ipv6-priority0", "v2-ipv6-pass"]
info = {c: json.load(open(f"{work}/{c}.json")) for c in cases}
conf_of = {"v2-pass": "v2-pass", "v2-priority0": "v2-pass",
           "v3-ipv4": "v3-ipv4", "v3-ipv6": "v3-ipv6", "v2-no-vip": "v2-no-vip",
           "v2-ipv6": "v2-ipv6", "v2-ipv6-priority0": "v2-ipv6", "v2-ipv6-pass": "v2-ipv6-pass"}


def hx(v):
    return f"0x{v:04x}"


def verdict(c, key):
    return "**match**" if c[key] == c["field"] else f"no ({hx(c[key])})"


rows = []


def row(name, fn):
    rows.append("| " + name + " | " + " | ".join(fn(c) for c in cases) + " |")


D = {c: info[c]["decoded"] for c in cases}
C = {c: info[c]["checks"] for c in cases}
row("IP packet file", lambda c: f"`{c}.ip.hex` ({D[c]['ip_len']} bytes)")
row("pcap file", lambda c: f"`{c}.pcap` ({info[c]['kept']} pkts)")
row("address family", lambda c: D[c]["family"])
row("IP source", lambda c: f"`{D[c]['src']}`")
row("IP destination", lambda c: f"`{D[c]['dst']}`")
row("TTL / hop limit", lambda c: str(D[c]["ttl"]))
row("IP protocol / next header", lambda c: str(D[c]["proto"]))
row("IPv4 TOS / IPv6 traffic class",
    lambda c: f"0x{D[c].get('ip_tos', D[c].get('traffic_class')):02x}")
row("IPv4 ID / flags+frag", lambda c: f"{hx(D[c]['ip_id'])} / {hx(D[c]['ip_flags_frag'])}"
    if "ip_id" in D[c] else "n/a")
row("IPv4 header checksum", lambda c: (f"{hx(D[c]['ip_header_checksum'])} "
    f"({'ok' if C[c]['ip_header_ok'] else 'BAD'})") if "ip_id" in D[c] else "n/a")
row("IPv6 flow label / payload len", lambda c: f"0x{D[c]['flow_label']:05x} / {D[c]['payload_length']}"
    if "flow_label" in D[c] else "n/a")
row("VRRP message length", lambda c: f"{D[c]['vrrp_len']} bytes")
row("VRRP version", lambda c: str(D[c]["version"]))
row("type", lambda c: f"{D[c]['type']} (ADVERTISEMENT)" if D[c]["type"] == 1 else str(D[c]["type"]))
row("VRID", lambda c: str(D[c]["vrid"]))
row("priority", lambda c: str(D[c]["priority"]))
row("count IP addrs", lambda c: str(D[c]["count"]))
row("v2 auth type", lambda c: (f"{D[c]['auth_type']} (simple text password)"
    if D[c]["auth_type"] == 1 else str(D[c]["auth_type"])) if D[c]["version"] == 2 else "n/a")
row("v2 adver int", lambda c: f"{D[c]['adver_int_s']} s" if D[c]["version"] == 2 else "n/a")
row("v3 rsvd / max adver int", lambda c: (f"{D[c]['rsvd']} / {D[c]['max_adver_int_cs']} cs"
    f" ({hx(D[c]['max_adver_int_cs'])})") if D[c]["version"] == 3 else "n/a")
row("VRRP checksum (field)", lambda c: f"`{hx(D[c]['checksum'])}`")
row("addresses", lambda c: ", ".join(f"`{a}`" for a in D[c]["addresses"]) or "(none)")
row("v2 auth data (8 bytes)", lambda c: (f"`{D[c]['auth_data_hex']}` (\"{D[c]['auth_data_text']}\" + NUL pad)"
    if D[c]["auth_data_hex"] else "(none: not sent over IPv6)") if D[c]["version"] == 2 else "n/a")
row("csum over VRRP msg only", lambda c: verdict(C[c], "vrrp_only"))
row("csum VRRP msg w/o 8 auth bytes", lambda c: verdict(C[c], "vrrp_without_auth")
    if "vrrp_without_auth" in C[c] else "n/a")
row("csum with IPv4 pseudo-header", lambda c: verdict(C[c], "ipv4_pseudo")
    if "ipv4_pseudo" in C[c] else "n/a")
row("csum with IPv6 pseudo-header", lambda c: verdict(C[c], "ipv6_pseudo")
    if "ipv6_pseudo" in C[c] else "n/a")
row("all captured pkts verify", lambda c: f"{'yes' if info[c]['all_checksums_ok'] else 'NO'} "
    f"({info[c]['captured']} captured)")

v34 = C["v3-ipv4"]
if v34["ipv4_pseudo"] == v34["field"] and v34["vrrp_only"] != v34["field"]:
    v3form = ("keepalived computes the VRRPv3 IPv4 checksum **with the IPv4 pseudo-header** "
              "(src, dst, 0, 112, VRRP length) as RFC 5798 section 5.2.8 requires; the "
              "checksum over the VRRP message alone does not match.")
elif v34["vrrp_only"] == v34["field"] and v34["ipv4_pseudo"] != v34["field"]:
    v3form = ("keepalived computes the VRRPv3 IPv4 checksum **over the VRRP message alone** "
              "(VRRPv2 style, no pseudo-header); the RFC 5798 pseudo-header form does not match.")
else:
    v3form = "UNEXPECTED: neither / both checksum forms match for v3-ipv4."

cols = " | ".join(f"`{c}`" for c in cases)
out = []
out.append("# keepalived VRRP test vectors\n")
out.append("Real VRRP advertisements captured from keepalived, regenerated with\n"
           "`bash scripts/capture-keepalived-vectors.sh` (as root). Do not edit by hand;\n"
           "this file is written by that script.\n")
out.append(f"* keepalived version: `{version}` (`keepalived --version`)\n"
           "* captured with tcpdump on `eth1` inside a throw-away network namespace\n"
           "  (veth pair to a second namespace), filter `ip proto 112 or ip6 proto 112`.\n"
           "  Router `eth1`: MAC 02:00:00:00:00:11, 192.0.2.11/24, 2001:db8::11/64,\n"
           "  link-local fe80::ff:fe00:11 (EUI-64 of the MAC).\n"
           "* `<case>.ip.hex`: one complete IP packet (IP header + VRRP message),\n"
           "  lowercase hex, 32 bytes per line. For the non-zero cases it is the first\n"
           "  advert with non-zero priority; for `v2-priority0` it is the priority-0 advert\n"
           "  keepalived sent when stopped with SIGTERM while MASTER.\n"
           "* Fields that may differ between regenerations: the IPv4 ID (keepalived\n"
           "  counts it up from 1 per instance), hence the IPv4 header checksum, and the\n"
           "  IPv6 flow label (chosen by the kernel). Everything in the VRRP message is\n"
           "  fixed by the configuration.\n"
           "* `<case>.pcap`: a few packets of the raw capture (Ethernet link type);\n"
           "  `v2-priority0.pcap` holds the last two adverts before and the priority-0 one.\n")
out.append("## Decoded fields\n")
out.append("Values below are decoded from the `.ip.hex` packet; checksums are recomputed\n"
           "with the checksum field zeroed and compared to the field.\n")
out.append(f"| field | {cols} |")
out.append("|---|" + "---|" * len(cases))
out.extend(rows)
out.append("")
out.append("## Checksum forms\n")
out.append("* VRRPv2 (`v2-pass`, `v2-priority0`, `v2-no-vip`): the checksum covers the whole VRRP\n"
           "  message **including the 8 authentication bytes** (RFC 3768 5.3.8), no\n"
           "  pseudo-header.\n"
           f"* VRRPv3 over IPv4 (`v3-ipv4`): {v3form}\n"
           "* VRRPv3 over IPv6 (`v3-ipv6`): IPv6 pseudo-header (src, dst, upper-layer\n"
           "  length, next header 112) + VRRP message, as RFC 5798 / RFC 8200 8.1.\n"
           "* VRRPv2 over IPv6 (`v2-ipv6`, `v2-ipv6-priority0`, `v2-ipv6-pass`, keepalived\n"
           "  without `vrrp_strict`): the same IPv6 pseudo-header form (the kernel fills it\n"
           "  in, IPV6_CHECKSUM offset 6, vrrp_if.c `if_setsockopt_ipv6_checksum`); the\n"
           "  message is the 8-octet header and the addresses, **no authentication data**\n"
           "  (vrrp.c `vrrp_pkt_len`), Adver Int in seconds, Auth Type as configured\n"
           "  (1 for `auth_type PASS`, whose password is not sent).\n")
out.append("## keepalived configurations\n")
out.append("Each ran as `ip netns exec NS keepalived -n -l -D --vrrp -f CONF -p PID -r VRRP_PID`.\n")
for c in ["v2-pass", "v3-ipv4", "v3-ipv6", "v2-no-vip", "v2-ipv6", "v2-ipv6-pass"]:
    extra = {"v2-pass": " (also used for `v2-priority0`)",
             "v2-ipv6": " (also used for `v2-ipv6-priority0`)"}.get(c, "")
    out.append(f"### `{c}`{extra}\n")
    out.append("```")
    out.append(open(f"{work}/{c}.conf").read().rstrip("\n"))
    out.append("```\n")
with open(f"{outdir}/README.md", "w") as f:
    f.write("\n".join(out))
PYEOF
}

# ------------------------------------------------------------------ main --

mkdir -p "$OUT"
write_configs
write_processor
KA_VERSION=$(keepalived --version 2>&1 || true)
KA_VERSION=${KA_VERSION%%$'\n'*}
log "using $KA_VERSION; work dir $WORK"

for case in v2-pass v3-ipv4 v3-ipv6 v2-no-vip v2-ipv6 v2-ipv6-pass; do
    log "capturing $case"
    run_capture "$case"
done

python3 "$WORK/process.py" extract "$WORK/v2-pass.raw.pcap" v2-pass "$OUT" nonzero >"$WORK/v2-pass.json"
python3 "$WORK/process.py" extract "$WORK/v2-pass.raw.pcap" v2-priority0 "$OUT" zero >"$WORK/v2-priority0.json"
python3 "$WORK/process.py" extract "$WORK/v3-ipv4.raw.pcap" v3-ipv4 "$OUT" nonzero >"$WORK/v3-ipv4.json"
python3 "$WORK/process.py" extract "$WORK/v3-ipv6.raw.pcap" v3-ipv6 "$OUT" nonzero >"$WORK/v3-ipv6.json"
python3 "$WORK/process.py" extract "$WORK/v2-no-vip.raw.pcap" v2-no-vip "$OUT" nonzero >"$WORK/v2-no-vip.json"
python3 "$WORK/process.py" extract "$WORK/v2-ipv6.raw.pcap" v2-ipv6 "$OUT" nonzero >"$WORK/v2-ipv6.json"
python3 "$WORK/process.py" extract "$WORK/v2-ipv6.raw.pcap" v2-ipv6-priority0 "$OUT" zero >"$WORK/v2-ipv6-priority0.json"
python3 "$WORK/process.py" extract "$WORK/v2-ipv6-pass.raw.pcap" v2-ipv6-pass "$OUT" nonzero >"$WORK/v2-ipv6-pass.json"
python3 "$WORK/readme.py" "$WORK" "$OUT" "$KA_VERSION"

echo "wrote:"
for case in v2-pass v2-priority0 v3-ipv4 v3-ipv6 v2-no-vip v2-ipv6 v2-ipv6-priority0 v2-ipv6-pass; do
    echo "  ${OUT#"$REPO_ROOT"/}/$case.ip.hex"
    echo "  ${OUT#"$REPO_ROOT"/}/$case.pcap"
done
echo "  ${OUT#"$REPO_ROOT"/}/README.md"
