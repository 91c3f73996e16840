"""Reading a DICOM header defensively: every element parsed up front, every attribute
the pixels depend on checked, and no message that could carry patient data.

pydicom parses element values lazily, so a damaged element used to fail later, far from
any handler (writing the output, marking it). :func:`parse_eagerly` converts every
element at once, inside the reader's handler. pydicom's own messages and warnings can
quote element values, and a damaged length can make any value hold the bytes of the
patient's name: our messages name attributes and tags only (:func:`header_problem`,
:func:`sanitise`), and pydicom's warnings are silenced while we read and write
(:func:`quiet_pydicom`).
"""

from __future__ import annotations

import contextlib
import math
import re
import struct
import warnings
import zlib
from collections.abc import Iterator
from typing import Any

from pydicom.dataset import Dataset
from pydicom.errors import BytesLengthException, InvalidDicomError
from pydicom.multival import MultiValue
from pydicom.tag import Tag

from medcomp_gui.errors import CorruptFileError

#: Element values swapped when a big-endian header is rewritten little endian, by VR:
#: the size of one number. Other binary VRs are converted to numbers by pydicom
#: (US, SS, UL, FL, ...) or are bytes (OB); UN's structure is unknown, so it is kept.
_SWAP_SIZES = {"OW": 2, "OF": 4, "OL": 4, "OD": 8, "OV": 8}
_QUOTED = re.compile(r"""b?'[^']*'|b?"[^"]*\"""")


@contextlib.contextmanager
def quiet_pydicom() -> Iterator[None]:
    """Silence Python warnings (pydicom's quote element values) while reading or writing
    DICOM; whatever matters for the image is checked and raised by us instead."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def sanitise(text: str, limit: int = 160) -> str:
    """A third-party message on one line, quoted values removed (they may be patient
    data read from a damaged header), at most ``limit`` characters."""
    text = " ".join(_QUOTED.sub("(value)", str(text)).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def header_problem(exc: BaseException) -> str:
    """What a failure to parse a DICOM header means, without pydicom's message."""
    if isinstance(exc, InvalidDicomError):
        return "not a DICOM file"
    if isinstance(exc, zlib.error):
        return "the deflated dataset is damaged"
    if isinstance(exc, EOFError | BytesLengthException | struct.error):
        return "the file is truncated or an element's length is wrong"
    if isinstance(exc, NotImplementedError):
        return "an element has an unknown value representation"
    if isinstance(exc, MemoryError):
        return "an element is too large to read"
    return f"the DICOM header is damaged ({type(exc).__name__})"


def parse_eagerly(ds: Dataset) -> None:
    """Convert every element of ``ds`` (its file meta and sequences included) now;
    CorruptFileError naming the first element that cannot be read."""
    meta = getattr(ds, "file_meta", None)
    if meta is not None:
        parse_eagerly(meta)
    for tag in list(ds.keys()):
        try:
            elem = ds[tag]
            items = list(elem.value) if elem.VR == "SQ" else []
        except Exception as exc:  # pydicom raises many types for a damaged element
            raise CorruptFileError(
                f"DICOM element {Tag(tag)} cannot be read: {header_problem(exc)}"
            ) from exc
        for item in items:
            parse_eagerly(item)


def drop_misplaced_groups(ds: Dataset) -> list[str]:
    """Remove elements that PS3.10 keeps out of a file's dataset: Command Set elements
    (group 0000, a network message's) and File Meta elements (group 0002, which belong
    in the file meta; in the dataset they come from a damaged header). Returns what was
    removed, as notes."""
    notes = []
    for group, what in ((0x0000, "Command Set"), (0x0002, "File Meta")):
        tags = [tag for tag in ds.keys() if Tag(tag).group == group]
        for tag in tags:
            del ds[tag]
        if tags:
            notes.append(
                f"{what} elements (group {group:04X}) in the dataset are left out: "
                "PS3.10 keeps them out of a file's dataset"
            )
    return notes


def to_little_endian(ds: Dataset) -> None:
    """Make a parsed dataset (see :func:`parse_eagerly`) writable as little endian, in
    place: pydicom writes numbers in the output's byte order, but keeps OW/OF/OL/OD/OV
    values as the bytes that were read, so those are swapped here."""
    implicit, little = ds.original_encoding
    if little is not False:
        return
    for elem in ds.iterall():
        size = _SWAP_SIZES.get(str(elem.VR))
        if size and isinstance(elem.value, bytes) and len(elem.value) % size == 0:
            elem.value = _swap(elem.value, size)
    for item in _all_items(ds):
        item.set_original_encoding(bool(implicit), True, item.original_character_set)
    ds.set_original_encoding(False, True, ds.original_character_set)


def _all_items(ds: Dataset) -> Iterator[Dataset]:
    for elem in ds:
        if elem.VR == "SQ":
            for item in elem.value:
                yield item
                yield from _all_items(item)


def _swap(data: bytes, size: int) -> bytes:
    import numpy as np

    return np.frombuffer(data, f">u{size}").astype(f"<u{size}").tobytes()


# --- attributes the pixels depend on ----------------------------------------------------


def _single(ds: Dataset, keyword: str) -> Any:
    value = ds.get(keyword)
    if isinstance(value, MultiValue | list):
        raise CorruptFileError(f"{keyword} has {len(value)} values, one expected")
    return value


def integer(ds: Dataset, keyword: str, default: int | None, low: int, high: int) -> int:
    """The single integer ``keyword`` in ``[low, high]`` (``default`` when absent or
    empty; required when ``default`` is None); CorruptFileError naming the attribute
    otherwise."""
    value = _single(ds, keyword)
    if value is None or value == "":
        if default is None:
            raise CorruptFileError(f"{keyword} is missing")
        return default
    try:
        number = int(value)
        exact = number == float(value)
    except (TypeError, ValueError, OverflowError):
        exact = False
    if not exact:
        raise CorruptFileError(f"{keyword} is not a whole number")
    if not low <= number <= high:
        raise CorruptFileError(f"{keyword} {number} is out of range ({low}..{high})")
    return number


def real(ds: Dataset, keyword: str, default: float) -> float:
    """The single finite number ``keyword`` (``default`` when absent or empty);
    CorruptFileError naming the attribute otherwise."""
    value = _single(ds, keyword)
    if value is None or value == "":
        return default
    return _finite(value, keyword)


def _finite(value: Any, keyword: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        raise CorruptFileError(f"{keyword} is not a number") from None
    if not math.isfinite(number):
        raise CorruptFileError(f"{keyword} is not a finite number")
    return number


def reals(ds: Dataset, keyword: str) -> list[float]:
    """Every value of ``keyword`` as finite numbers ([] when absent); CorruptFileError
    naming the attribute when one is not."""
    value = ds.get(keyword)
    if value is None or value == "":
        return []
    values = list(value) if isinstance(value, MultiValue | list) else [value]
    return [_finite(v, keyword) for v in values]


def strings(ds: Dataset, keyword: str) -> list[str]:
    """Every value of a string attribute ([] when absent)."""
    value = ds.get(keyword)
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, MultiValue | list) else [str(value)]
