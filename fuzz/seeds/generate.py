#!/usr/bin/env python3
"""Regenerates the binary seeds of fuzz/seeds/decode_advert/ and fuzz/seeds/router_sequence/.

    python3 fuzz/seeds/generate.py        (from the repository root)

decode_advert: the keepalived vectors of core/tests/vectors/*.ip.hex with the IP header
stripped, behind the target's two selector bytes (see fuzz_targets/decode_advert.rs).

router_sequence: hand-written op sequences, encoded the way `arbitrary` 1.5 decodes the
target's `Input` (enum variant = (u32 LE * variant count) >> 32, bool = byte & 1,
Option = bool then value, integers little-endian, the trailing Vec<Op> as
"keep going" bool + element). Rerun this after changing `Input`, `Knobs`, `Op` or
anything they contain, or the seeds will decode to something else (still valid
inputs, just not the intended scenarios). config_parse seeds are plain text files.
"""
import glob
import os
import struct
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SEEDS = os.path.join(ROOT, "fuzz", "seeds")


def write(target, name, data):
    os.makedirs(os.path.join(SEEDS, target), exist_ok=True)
    with open(os.path.join(SEEDS, target, name), "wb") as f:
        f.write(data)
    print(f"{target}/{name}: {len(data)} bytes")


# --------------------------------------------------------------------------- decode_advert
# selector bit 0: IPv6; bits 1-2: checksum fix-up (1 message-only, 2 pseudo-header);
# bit 6: force type 1; bit 7: count from length. Second byte: source host.
for path in sorted(glob.glob(os.path.join(ROOT, "core", "tests", "vectors", "*.ip.hex"))):
    name = os.path.basename(path)[: -len(".ip.hex")]
    with open(path) as f:
        pkt = bytes.fromhex(f.read().replace("\n", "").strip())
    if pkt[0] >> 4 == 4:
        vrrp, sel, host = pkt[(pkt[0] & 15) * 4 :], 0x00, pkt[15]  # last octet of 192.0.2.x
    else:
        vrrp, sel, host = pkt[40:], 0x01, pkt[23]  # last octet of fe80::ff:fe00:xx
    write("decode_advert", name, bytes([sel, host]) + vrrp)
    fix = 0xC2 if vrrp[0] >> 4 == 2 else 0xC4
    write("decode_advert", name + "-fixups", bytes([sel | fix, host]) + vrrp)
    if name == "v3-ipv4":
        # The same advert with the message-only checksum (Cisco, holo).
        write("decode_advert", name + "-message-only", bytes([0xC2, host]) + vrrp)

# --------------------------------------------------------------------------- router_sequence
def enum(k, n):
    v = (k * 2**32 + n - 1) // n
    assert (v * n) >> 32 == k
    return struct.pack('<I', v)
u8 = lambda x: bytes([x & 0xff])
u16 = lambda x: struct.pack('<H', x)
u32 = lambda x: struct.pack('<I', x)
b = lambda x: u8(1 if x else 0)
none = b(False)
some = lambda payload: b(True) + payload

def knobs(priority=0, interval=0, preempt=True, preempt_delay=0, accept=False, msg_only=False, ann_delay=0, ann_refresh=0):
    return u8(priority)+u16(interval)+b(preempt)+u8(preempt_delay)+b(accept)+b(msg_only)+u8(ann_delay)+u8(ann_refresh)

OPS = 10
def op(k, payload=b''): return b(True) + enum(k, OPS) + payload   # take_rest "keep going" + variant
AdvanceTime = lambda us: op(1, u32(us))
Timeout = lambda: op(2)
NextDeadline = lambda lat=0: op(3, u16(lat))
LinkDown = lambda i: op(4, u8(i))
LinkUp = lambda i: op(5, u8(i))
SetPriority = lambda i, p: op(6, u8(i)+u8(p))
StartAll = lambda: op(7, none)
Start = lambda i: op(7, some(u8(i)))
ShutAll = lambda: op(8, none)
Shut = lambda i: op(8, some(u8(i)))
SetPrimary = lambda i, h, other=False: op(9, u8(i)+u8(h)+b(other))

def src_host(h): return enum(0, 3) + u8(h)
SRC_OWN = enum(1, 3)
def src_foreign(h): return enum(2, 3) + u8(h)

ADDR_SAME = enum(0, 6)
AUTH_SAME = enum(0, 4)
def advert(target, priority, src=None, vrid=None, interval=None, addrs=ADDR_SAME, auth=AUTH_SAME,
           other_version=False, message_only=False, ttl=None, late=None, unicast=False):
    src = src if src is not None else src_host(200)
    spec = (u8(target) + u8(priority) + (some(u8(vrid)) if vrid is not None else none) + b(other_version)
            + (some(u16(interval)) if interval is not None else none) + addrs + auth + b(message_only)
            + none + none)
    pkt = ((some(u32(late)) if late is not None else none) + none + src + b(unicast)
           + (some(u8(ttl)) if ttl is not None else none) + enum(1, 2) + spec)
    return op(0, pkt)

def seed(setup, ops):
    assert len(setup) == 7
    return b''.join(setup) + b''.join(ops)

default = [knobs() for _ in range(7)]
fast = [knobs(interval=10) for _ in range(7)]   # v3: 11 cs; v2: 300 cs
seeds = {
  'startup-timeouts-shutdown': seed(default, [StartAll()] + [NextDeadline(5)]*8 + [ShutAll()]),
  'higher-priority-master': seed(default, [StartAll(), advert(0, 250), NextDeadline(), advert(0, 250),
        NextDeadline(), advert(3, 250, src=src_host(0x20)), advert(1, 254), NextDeadline(), NextDeadline(),
        advert(0, 0), NextDeadline(), NextDeadline()]),
  'preempt-lower-master': seed([knobs(priority=200, preempt_delay=50)]*7, [StartAll(), advert(0, 20),
        advert(4, 10), NextDeadline(), advert(0, 20), NextDeadline(), NextDeadline(), advert(0, 20),
        advert(0, 0), NextDeadline(), SetPriority(0, 5), advert(0, 20), NextDeadline()]),
  'link-flap-priority': seed(fast, [StartAll(), NextDeadline(), LinkDown(0), AdvanceTime(3_000_000),
        LinkUp(0), NextDeadline(), SetPriority(0, 250), SetPriority(2, 100), SetPriority(2, 255),
        LinkDown(1), LinkDown(1), LinkUp(1), Shut(2), Start(2), SetPrimary(0, 200), NextDeadline(),
        SetPrimary(3, 1, True), ShutAll(), StartAll(), AdvanceTime(100_000_000)]),
  'receive-checks': seed(default, [StartAll(), advert(0, 150, ttl=64), advert(1, 200, auth=enum(2,4)+b'wrongpw!'),
        advert(1, 200, interval=7), advert(1, 200, other_version=True), advert(3, 200, src=src_foreign(5)),
        advert(2, 200), advert(0, 200, message_only=True), advert(0, 200, src=SRC_OWN),
        advert(0, 200, addrs=enum(1, 6)), advert(1, 200, addrs=enum(3, 6)+u8(9)), advert(0, 200, vrid=99),
        advert(0, 120, late=4_000_000, unicast=True), NextDeadline()]),
}

for name, data in seeds.items():
    write("router_sequence", name, data)
