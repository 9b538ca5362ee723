"""What a pcapng file of `topo capture` holds, for checks in tests: its ends (one interface per
end, named `node:iface`) and how many packets each got. Blocks are read as the pcapng format
lays them out (type, total length, body); what this does not need is skipped.
"""
from __future__ import annotations

import os
import struct
from collections import Counter
from typing import Iterator, Union

SECTION_HEADER = 0x0A0D0D0A
INTERFACE = 0x00000001
ENHANCED_PACKET = 0x00000006
OPTION_IF_NAME = 2


def _blocks(data: bytes) -> Iterator[tuple[int, bytes, str]]:
    """(type, body, byte order) of every block."""
    order = "<"
    at = 0
    while at + 12 <= len(data):
        if struct.unpack_from("<I", data, at)[0] == SECTION_HEADER:
            magic = data[at + 8:at + 12]
            order = "<" if magic == b"\x4d\x3c\x2b\x1a" else ">"
        kind, length = struct.unpack_from(order + "II", data, at)
        if length < 12 or at + length > len(data):
            return  # cut short: a capture still being written
        yield kind, data[at + 8:at + length - 4], order
        at += length


def _if_name(body: bytes, order: str) -> str:
    at = 8  # link type, reserved, snap length
    while at + 4 <= len(body):
        code, length = struct.unpack_from(order + "HH", body, at)
        if code == 0:
            break
        if code == OPTION_IF_NAME:
            return body[at + 4:at + 4 + length].decode("utf-8", errors="replace")
        at += 4 + (length + 3) // 4 * 4
    return ""


def read_capture(path: Union[str, os.PathLike]) -> tuple[list[str], Counter]:
    """The ends of a capture (its interfaces' names, in order) and packets per end."""
    with open(path, "rb") as f:
        data = f.read()
    ends: list[str] = []
    packets: Counter = Counter()
    for kind, body, order in _blocks(data):
        if kind == SECTION_HEADER:
            ends = []  # interface numbers start again in each section
        elif kind == INTERFACE:
            ends.append(_if_name(body, order))
        elif kind == ENHANCED_PACKET:
            interface = struct.unpack_from(order + "I", body, 0)[0]
            packets[ends[interface] if interface < len(ends) else str(interface)] += 1
    return ends, packets
