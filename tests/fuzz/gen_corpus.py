#!/usr/bin/env python3
"""Write the seed corpus of the NNC fuzz targets (tests/fuzz/corpus/).

nnc_decode seeds are the known-answer vectors of docs/nnc.md §12 behind
the mode byte of nnc_fuzz_decode.cpp; nnc_encode seeds are transaction
lists in the input format documented in nnc_fuzz_encode.cpp. Run from
anywhere: tests/fuzz/gen_corpus.py [repo root]."""
import re
import shutil
import struct
import sys
from pathlib import Path

root = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parents[2])
doc = (root / "docs/nnc.md").read_text()
kav = {}
for name, body in re.findall(r"^```hex (\S+)\n(.*?)^```", doc, re.S | re.M):
    kav[name] = bytes(int(x, 16) for line in body.splitlines()
                      for x in line.partition(":")[2].split())

out = root / "tests/fuzz/corpus"
for target in ("nnc_decode", "nnc_encode"):
    shutil.rmtree(out / target, ignore_errors=True)
    (out / target).mkdir(parents=True)


def seed(target, name, data):
    (out / target / name).write_bytes(data)


# ---- nnc_decode: mode byte (+ info) + message ----
ALL_OK = 0x3c  # fail_at 15: every transaction answered OK
for name in ("KAV-1", "KAV-3", "KAV-5a", "KAV-5b", "KAV-6"):
    seed("nnc_decode", f"req-{name}", bytes([ALL_OK]) + kav[name])
seed("nnc_decode", "req-KAV-3-fail-first", bytes([0x00]) + kav["KAV-3"])
seed("nnc_decode", "req-KAV-3-fixcrc-require", bytes([0x80 | 0x40 | ALL_OK]) + kav["KAV-3"])
for name in ("KAV-2", "KAV-4", "KAV-7"):
    seed("nnc_decode", f"rsp-peek-{name}", bytes([0x01]) + kav[name])
seed("nnc_decode", "both-KAV-3", bytes([0x03 | ALL_OK]) + kav["KAV-3"])


def info(seq, handle, flags, trans):
    b = struct.pack("<IIBB", seq, handle, flags, len(trans))
    for ttype, tlen, key, received in trans:
        b += struct.pack("<BHIQ", ttype, tlen, key, received)
    return b


seed("nnc_decode", "rsp-info-KAV-4",
     bytes([0x02]) + info(0x1000, 7, 1, [(4, 32, 0, 0), (2, 32, 0, 0), (5, 16, 2, 0)])
     + kav["KAV-4"])
seed("nnc_decode", "rsp-info-KAV-2",
     bytes([0x02]) + info(1, 0, 0, [(1, 24, 0, 0)]) + kav["KAV-2"])


# ---- nnc_encode: transaction lists ----
def enc(cfg, handle, trans, size=None, answers=b""):
    b = bytes([cfg])
    if cfg & 2:
        b += struct.pack("<H", size)
    b += bytes([handle, len(trans) - 1])
    for t in trans:
        b += t
    return b + answers


def t_status(features):
    return bytes([0]) + struct.pack("<I", features)


def t_pt(words):
    return bytes([1]) + struct.pack("<H", words)


def t_dma(tag, xfer_id, segs, fl=0):
    b = bytes([2]) + struct.pack("<IBBH", tag, xfer_id, fl, len(segs))
    for sel, page, length in segs:
        b += bytes([sel]) + struct.pack("<IH", page, length)
    return b


def t_act(rs, req, rsp):
    return bytes([3, rs]) + struct.pack("<II", req, rsp)


def t_deact(dbc):
    return bytes([4]) + struct.pack("<I", dbc)


def t_term(h):
    return bytes([5, h])


segs5 = [(0, 0x100, 0x0fff), (0, 0x200, 0x0fff), (0, 0x300, 0x07ff), (0, 0x400, 0x1fff),
         (0x10, 0x500, 0x000f)]
seed("nnc_encode", "all-types-crc",
     enc(1, 7, [t_status(1), t_pt(2), t_dma(0xabcd, 5, segs5), t_act(7, 0x1000, 0x8000),
                t_deact(2)], answers=bytes([9, 0])))
seed("nnc_encode", "dma-split-128",
     enc(3, 7, [t_dma(0xabcd, 5, segs5)], size=32, answers=bytes([9, 0, 9, 0])))
seed("nnc_encode", "dma-split-4096",
     enc(0, 3, [t_pt(1), t_dma(1, 9, [(i & 0xfd, i, i) for i in range(300)]), t_deact(1)]))
seed("nnc_encode", "terminate", enc(1, 7, [t_term(0)]))
seed("nnc_encode", "abort", enc(0, 7, [t_dma(0, 5, [], fl=0xab)]))
seed("nnc_encode", "spill-40", enc(0, 1, [t_deact(i) for i in range(40)]))
seed("nnc_encode", "fail-second", enc(1, 2, [t_status(0), t_act(3, 0x100, 0x1000), t_deact(0)],
                                       answers=bytes([1, 3])))
print(f"wrote {sum(1 for _ in out.rglob('*') if _.is_file())} seeds under {out}")
