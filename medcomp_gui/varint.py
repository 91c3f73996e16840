"""Unsigned LEB128 integers: the compact lengths of the .mcz v2 header and RWNet payloads."""

from __future__ import annotations

from medcomp_gui.errors import CorruptFileError, MedcompError

#: at most 5 bytes: every length and size fits 35 bits
MAX_BYTES = 5


def encode(value: int) -> bytes:
    """The LEB128 bytes of the non-negative ``value``."""
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def decode(
    data: bytes, pos: int, what: str, error: type[MedcompError] = CorruptFileError
) -> tuple[int, int]:
    """(value, position after it) of the LEB128 integer at ``pos``; ``error`` (naming
    ``what``) when it runs past the data or is longer than ``MAX_BYTES``."""
    value = 0
    for i in range(MAX_BYTES):
        if pos + i >= len(data):
            raise error(f"truncated in {what}")
        byte = data[pos + i]
        value |= (byte & 0x7F) << (7 * i)
        if byte < 0x80:
            return value, pos + i + 1
    raise error(f"{what} is damaged")
