#!/usr/bin/env python3
"""Independent check of the NNC known-answer vectors (docs/nnc.md §12).

Rebuilds every vector from the layout tables of docs/nnc.md with struct
and zlib.crc32 only (no code shared with common/ember_nnc.c) and compares it
byte for byte with the hex blocks in the document. The Catch2 test
unit.nnc.* compares the same blocks with the C encoder, so document,
Python and C agree."""
import re
import struct
import sys
import zlib
from pathlib import Path

MAGIC = 0x434E4E45
F_CRC, F_REPLY = 1, 2
T_STATUS, T_PT, T_DMA, T_ACT, T_DEACT, T_TERM = 1, 2, 3, 4, 5, 6
ST_BUSY, ST_BADCRC, ST_NOT_RUN = 4, 9, 10
DMA_MORE = 1
FEAT_CRC = 1


def message(seq, handle, trans, flags=0, status=0, count=None):
    body = b"".join(trans)
    length = 32 + len(body)
    n = len(trans) if count is None else count
    hdr = struct.pack("<IHHIIIIHHI", MAGIC, 1, 0, seq, length, n, handle, flags, status, 0)
    msg = hdr + body
    assert len(hdr) == 32 and length % 8 == 0 and length <= 4096
    if flags & F_CRC:
        crc = zlib.crc32(msg)  # crc32 field is zero while computing
        msg = msg[:28] + struct.pack("<I", crc) + msg[32:]
    return msg


def trans(ttype, payload, status=0):
    return struct.pack("<III", ttype, 12 + len(payload), status) + payload


def status_t(features, status=0):
    return trans(T_STATUS, struct.pack("<IHHI", features, 1, 0, 0), status)


def pt_t(data, status=0):
    return trans(T_PT, struct.pack("<I", 0) + data, status)


def dma_t(flags, tag, xfer_id, offset, total, segs):
    payload = struct.pack("<IIIIIQQ", flags, tag, xfer_id, len(segs), 0, offset, total)
    payload += b"".join(struct.pack("<QQ", a, n) for a, n in segs)
    return trans(T_DMA, payload)


def act_t(ring, req, rsp):
    return trans(T_ACT, struct.pack("<IQQ", ring, req, rsp))


def u32_t(ttype, value, status=0):
    return trans(ttype, struct.pack("<I", value), status)


def expected():
    cmd = b"ember-nnc-pt-01\0"
    segs = [(0x100000, 0x1000), (0x200000, 0x1000), (0x300800, 0x800),
            (0x400000, 0x2000), (0x500000, 0x10)]
    total = sum(n for _, n in segs)
    return {
        "KAV-1": message(1, 0, [status_t(FEAT_CRC)]),
        "KAV-2": message(1, 0, [status_t(FEAT_CRC)], F_CRC | F_REPLY),
        "KAV-3": message(0x1000, 7, [act_t(256, 0x10000000, 0x10004000), pt_t(cmd),
                                     u32_t(T_DEACT, 2)], F_CRC),
        "KAV-4": message(0x1000, 7, [u32_t(T_ACT, 1), pt_t(bytes.fromhex("deadbeef01020304"),
                                                            ST_BUSY),
                                     u32_t(T_DEACT, 2, ST_NOT_RUN)], F_CRC | F_REPLY),
        "KAV-5a": message(0x20, 7, [dma_t(DMA_MORE, 0xABCD, 5, 0, total, segs[:3])]),
        "KAV-5b": message(0x21, 7, [dma_t(0, 0xABCD, 5, 0x2800, total, segs[3:])]),
        "KAV-6": message(0x30, 7, [u32_t(T_TERM, 7)], F_CRC),
        "KAV-7": message(0x31, 7, [], F_REPLY, ST_BADCRC, 0),
    }


def main():
    root = Path(sys.argv[1] if len(sys.argv) > 1 else ".")
    doc = (root / "docs/nnc.md").read_text()
    blocks = {}
    for name, body in re.findall(r"^```hex (\S+)\n(.*?)^```", doc, re.S | re.M):
        data = bytearray()
        for line in body.splitlines():
            off, _, hexes = line.partition(":")
            if int(off, 16) != len(data):
                sys.exit(f"{name}: offset {off} out of sequence")
            data += bytes(int(x, 16) for x in hexes.split())
        blocks[name] = bytes(data)

    assert zlib.crc32(b"123456789") == 0xCBF43926
    want = expected()
    failures = 0
    for name, msg in want.items():
        got = blocks.get(name)
        if got != msg:
            failures += 1
            print(f"FAIL {name}: doc {got.hex() if got else None}\n     want {msg.hex()}")
        else:
            print(f"ok   {name} ({len(msg)} bytes, crc32 field {msg[28:32][::-1].hex()})")
    extra = set(blocks) - set(want)
    for name in sorted(extra):
        failures += 1
        print(f"FAIL {name}: vector in docs/nnc.md without an independent check")
    print(f"{len(want)} vectors checked: {failures} failures")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
