"""Damaged variants of real DICOM files, and a runner that puts them through `medcomp`.

The fuzz test (tests/test_dicom_fuzz.py) and the before/after counts of issue 11 use
this one generator. Every base file is a real file from pydicom's test files or
pydicom-data (no WG04 image), given the patient name ``SECRET^PATIENT`` and id
``PHI-123`` so that any leak of patient data into a message is seen. A variant is the
base file with one kind of damage, drawn from a seeded generator (same seed, same bytes):

truncate, flip_header, flip_pixels, length, syntax, attribute, fragments, value,
unknown_vr, command_set, stored_range.

Run ``python tests/dicom_variants.py [N] [SEED]`` for a table of outcomes by kind.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import struct
import sys
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pydicom
from pydicom.dataset import Dataset
from pydicom.uid import (
    UID,
    JPEG2000Lossless,
)

PHI_NAME = "SECRET^PATIENT"
PHI_ID = "PHI-123"
PHI_STRINGS = ("SECRET", "PHI-123")

#: (file name in pydicom's test data or pydicom-data, weight). Large and multi-frame
#: files cost more RWNet encoding (about 0.3 s a 64 x 64 frame), so they are drawn less.
BASE_FILES: tuple[tuple[str, float], ...] = (
    ("MR_small.dcm", 3),
    ("MR_small_bigendian.dcm", 2),
    ("MR_small_implicit.dcm", 2),
    ("MR_small_expb.dcm", 1),
    ("MR_small_padded.dcm", 1),
    ("MR_small_RLE.dcm", 2),
    ("MR_small_jp2klossless.dcm", 2),
    ("MR_small_jpeg_ls_lossless.dcm", 2),
    ("CT_small.dcm", 3),
    ("image_dfl.dcm", 0.5),
    ("JPEGLSNearLossless_08.dcm", 1),
    ("JPEGLSNearLossless_16.dcm", 1),
    ("JPEG2000.dcm", 0.5),
    ("MR_truncated.dcm", 0.5),
    ("rtdose_1frame.dcm", 0.5),
    ("emri_small_big_endian.dcm", 0.05),
    ("emri_small_jpeg_2k_lossless.dcm", 0.05),
)

KINDS: tuple[tuple[str, float], ...] = (
    ("truncate", 2),
    ("flip_header", 2),
    ("flip_pixels", 1.5),
    ("length", 2),
    ("syntax", 1),
    ("attribute", 2),
    ("fragments", 1),
    ("value", 2),
    ("unknown_vr", 0.5),
    ("command_set", 0.5),
    ("stored_range", 0.5),
)

_LONG_LENGTH_VRS = {"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "UC", "UN", "UR", "UT"}


@dataclass
class Base:
    """A base file with PHI set, and where its elements are."""

    name: str
    data: bytes
    dataset: Dataset
    #: (length field offset, its size in bytes, little endian) of top-level elements
    lengths: list[tuple[int, int, bool]]
    #: (offset, VR bytes) of explicit-VR elements
    vrs: list[int]
    pixel_start: int  # offset of the PixelData value (or len(data))
    dataset_start: int  # offset of the first element after the file meta
    encapsulated: bool
    little: bool
    implicit: bool


@dataclass
class Variant:
    name: str  # base file name
    kind: str
    data: bytes
    detail: str = ""


def _base_path(name: str) -> str:
    from pydicom.data import get_testdata_file

    path = get_testdata_file(name)
    if path is None:
        raise FileNotFoundError(f"{name}: pydicom test file not found (pydicom-data installed?)")
    return str(path)


def load_base(name: str) -> Base:
    """The base file ``name`` with PatientName/PatientID set to the PHI markers."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = pydicom.dcmread(_base_path(name), force=True)
        ds.PatientName = PHI_NAME
        ds.PatientID = PHI_ID
        buffer = io.BytesIO()
        ds.save_as(buffer)
        data = buffer.getvalue()
        reread = pydicom.dcmread(io.BytesIO(data), force=True)
    implicit, little = reread.original_encoding
    lengths, vrs = [], []
    pixel_start, dataset_start = len(data), len(data)
    deflated = str(reread.file_meta.get("TransferSyntaxUID", "")) == "1.2.840.10008.1.2.1.99"
    if not deflated:
        for tag in sorted(reread.keys()):
            raw = reread.get_item(tag)
            tell = getattr(raw, "value_tell", None)
            if tell is None:
                continue
            vr = data[tell - 4 : tell - 2].decode("latin-1") if not implicit else ""
            long_form = implicit or data[tell - 8 : tell - 6].decode("latin-1") in _LONG_LENGTH_VRS
            if long_form:
                lengths.append((tell - 4, 4, little))
                if not implicit:
                    vrs.append(tell - 8)
            else:
                lengths.append((tell - 2, 2, little))
                vrs.append(tell - 4)
            del vr
            header = 8 if implicit or not long_form else 12
            dataset_start = min(dataset_start, tell - header)
            if tag == 0x7FE00010:
                pixel_start = tell
    encapsulated = getattr(reread.file_meta.get("TransferSyntaxUID"), "is_compressed", False)
    return Base(
        name,
        data,
        reread,
        lengths,
        vrs,
        pixel_start,
        dataset_start,
        bool(encapsulated),
        little,
        implicit,
    )


# --- the kinds of damage ---------------------------------------------------------------


def _truncate(rng: np.random.Generator, base: Base) -> tuple[bytes, str]:
    end = base.pixel_start + 16 if rng.random() < 0.6 else len(base.data)
    cut = int(rng.integers(0, min(end, len(base.data))))
    return base.data[:cut], f"cut at {cut}"


def _flip(data: bytes, rng: np.random.Generator, low: int, high: int, n: int) -> bytes:
    out = bytearray(data)
    for _ in range(n):
        i = int(rng.integers(low, max(high, low + 1)))
        if i < len(out):
            out[i] ^= 1 << int(rng.integers(0, 8))
    return bytes(out)


def _flip_header(rng: np.random.Generator, base: Base) -> tuple[bytes, str]:
    n = int(rng.integers(1, 5))
    return _flip(base.data, rng, 128, base.pixel_start, n), f"{n} bits"


def _flip_pixels(rng: np.random.Generator, base: Base) -> tuple[bytes, str]:
    n = int(rng.integers(1, 17))
    return _flip(base.data, rng, base.pixel_start, len(base.data), n), f"{n} bits"


def _length(rng: np.random.Generator, base: Base) -> tuple[bytes, str]:
    if not base.lengths:
        return _instead("flip_header", rng, base)
    offset, size, little = base.lengths[int(rng.integers(0, len(base.lengths)))]
    fmt = ("<" if little else ">") + ("H" if size == 2 else "I")
    (old,) = struct.unpack_from(fmt, base.data, offset)
    limit = (1 << (8 * size)) - 1
    choices = [0, 1, old + 1, old + 2, max(old - 2, 0), old * 2 + 7, limit, limit - 1]
    choices += [int(rng.integers(0, limit))]
    new = choices[int(rng.integers(0, len(choices)))] & limit
    out = bytearray(base.data)
    struct.pack_into(fmt, out, offset, new)
    return bytes(out), f"length at {offset}: {old} -> {new}"


_SYNTAXES = (
    "1.2.840.10008.1.2",
    "1.2.840.10008.1.2.1",
    "1.2.840.10008.1.2.2",
    "1.2.840.10008.1.2.1.99",
    "1.2.840.10008.1.2.4.50",
    "1.2.840.10008.1.2.4.70",
    "1.2.840.10008.1.2.4.80",
    "1.2.840.10008.1.2.4.90",
    "1.2.840.10008.1.2.4.91",
    "1.2.840.10008.1.2.5",
    "1.2.3.4.5.6.7",
    "",
    "garbage!",
)


def _syntax(rng: np.random.Generator, base: Base) -> tuple[bytes, str]:
    """Rewrite the Transfer Syntax UID in the file meta (group length left alone or fixed)."""
    data = base.data
    at = data.find(b"\x02\x00\x10\x00UI", 128, 400)
    if at < 0:
        return _instead("flip_header", rng, base)
    (old_len,) = struct.unpack_from("<H", data, at + 6)
    uid = _SYNTAXES[int(rng.integers(0, len(_SYNTAXES)))].encode()
    if len(uid) % 2:
        uid += b"\x00"
    out = bytearray(data[:at] + b"\x02\x00\x10\x00UI" + struct.pack("<H", len(uid)) + uid)
    out += data[at + 8 + old_len :]
    if rng.random() < 0.7:  # keep the meta group length right, so the meta still parses
        group = data.find(b"\x02\x00\x00\x00UL\x04\x00", 128, 200)
        if group >= 0:
            (glen,) = struct.unpack_from("<I", out, group + 8)
            struct.pack_into("<I", out, group + 8, glen + len(uid) - old_len)
    return bytes(out), f"syntax {uid.rstrip(bytes(1)).decode()!r}"


_ATTRIBUTES: tuple[tuple[str, tuple[object, ...]], ...] = (
    ("Rows", (0, 1, 3, 65535)),
    ("Columns", (0, 1, 65535)),
    ("BitsAllocated", (0, 1, 7, 12, 24, 32, 64, 255)),
    ("BitsStored", (0, 1, 17, 32, 255)),
    ("HighBit", (0, 31, 255)),
    ("PixelRepresentation", (1, 2, 65535)),
    ("SamplesPerPixel", (0, 2, 3, 65535)),
    ("NumberOfFrames", ("0", "-1", "2", "1000000000", "abc", "1.5")),
    ("PhotometricInterpretation", ("RGB", "", "PALETTE COLOR", "MONOCHROME3", "YBR_FULL")),
    ("PlanarConfiguration", (1, 7)),
)


def _resave(base: Base, change: Callable[[Dataset], None]) -> bytes:
    """``base``'s dataset changed by ``change`` and written in its own encoding."""
    with warnings.catch_warnings(), pydicom.config.disable_value_validation():
        warnings.simplefilter("ignore")
        ds = copy.deepcopy(base.dataset)
        change(ds)
        buffer = io.BytesIO()
        ds.save_as(buffer, implicit_vr=base.implicit, little_endian=base.little)
        return buffer.getvalue()


def _attribute(rng: np.random.Generator, base: Base) -> tuple[bytes, str]:
    keyword, values = _ATTRIBUTES[int(rng.integers(0, len(_ATTRIBUTES)))]
    value = values[int(rng.integers(0, len(values)))]

    def change(ds: Dataset) -> None:
        if isinstance(value, str):
            _set_raw(ds, base, keyword, value)
        else:
            setattr(ds, keyword, value)

    return _resave(base, change), f"{keyword} = {value!r}"


def _set_raw(ds: Dataset, base: Base, keyword: str, text: str) -> None:
    """Set ``keyword`` to the bytes of ``text``, unchecked (pydicom would refuse it)."""
    from pydicom.datadict import dictionary_VR, tag_for_keyword
    from pydicom.dataelem import RawDataElement

    tag = pydicom.tag.Tag(tag_for_keyword(keyword))
    raw = text.encode("latin-1")
    if len(raw) % 2:
        raw += b" "
    ds[tag] = RawDataElement(tag, dictionary_VR(tag), len(raw), raw, 0, base.implicit, base.little)


_ITEM_LE = b"\xfe\xff\x00\xe0"
_DELIM_LE = b"\xfe\xff\xdd\xe0"


def _fragments(rng: np.random.Generator, base: Base) -> tuple[bytes, str]:
    """Damage the encapsulated pixel data's items (or the native pixel data's length)."""
    data = bytearray(base.data)
    start = base.pixel_start
    if not base.encapsulated or start >= len(data):
        fmt = "<I" if base.little else ">I"
        if start < len(data):
            new = [0xFFFFFFFF, 1, 3, len(data) - start + 2][int(rng.integers(0, 4))]
            struct.pack_into(fmt, data, start - 4, new)
            return bytes(data), f"native pixel length -> {new}"
        return _instead("truncate", rng, base)
    items, pos = [], start
    while pos + 8 <= len(data) and data[pos : pos + 4] == _ITEM_LE:
        (length,) = struct.unpack_from("<I", data, pos + 4)
        items.append(pos)
        pos += 8 + length
    choice = int(rng.integers(0, 7))
    if choice == 0 and data.endswith(_DELIM_LE + bytes(4)):
        return bytes(data[:-8]), "no sequence delimiter"
    target = items[int(rng.integers(0, len(items)))] if items else start
    if choice == 1:
        data[target : target + 4] = b"\xfe\xff\x00\xe1"
        return bytes(data), "item tag damaged"
    if choice == 2:
        new = [0xFFFFFFFF, 0xFFFFFFF0, 1, 7][int(rng.integers(0, 4))]
        struct.pack_into("<I", data, target + 4, new)
        return bytes(data), f"item length -> {new}"
    if choice == 3 and len(items) > 1:
        del data[items[1] : items[1] + 8 + 16]
        return bytes(data), "first fragment cut"
    if choice == 4 and len(items) > 1:
        (length,) = struct.unpack_from("<I", data, items[1] + 4)
        end = items[1] + 8 + length
        data[end:end] = data[items[1] : end]
        return bytes(data), "fragment repeated"
    if choice == 5 and items:
        (length,) = struct.unpack_from("<I", data, items[0] + 4)
        struct.pack_into("<I", data, items[0] + 4, length + 8)
        return bytes(data), "offset table swallows a fragment"
    end = int(rng.integers(start, len(data)))
    data[end:end] = bytes(rng.integers(0, 256, int(rng.integers(1, 40)), dtype=np.uint8))
    return bytes(data), "garbage inside the fragments"


_VALUES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("RescaleIntercept", ("x", "abc", "1e400", "-1e400", "nan", "inf", "", "1\\2")),
    ("RescaleSlope", ("x", "0", "1e400", "nan", "-inf", "", "1\\2")),
    ("WindowCenter", ("abc", "1e400", "nan", "", "40\\x", "1\\2\\3")),
    ("WindowWidth", ("abc", "1e400", "-5", "0", "nan", "", "400\\y")),
    ("LossyImageCompressionRatio", ("abc", "1e400", "", "10\\x")),
    ("LossyImageCompression", ("01", "1", "yes", "")),
    ("LossyImageCompressionMethod", ("ISO_15444_1", "X\\Y\\Z", "")),
    ("PixelSpacing", ("abc", "1\\x", "1e400\\1")),
    ("SliceThickness", ("abc", "1e400")),
    ("NumberOfFrames", ("abc", "1.5", "", "-3")),
    ("InstanceNumber", ("x", "1e3")),
    ("Modality", ("", "A_VERY_LONG_MODALITY_NAME", "CT\\MR", "mr")),
    ("StudyDate", ("20xx1301", "not a date")),
    ("WindowCenterWidthExplanation", ("a\\b\\c\\d\\e\\f",)),
    ("ImageType", ("", "DERIVED", "X\\Y\\Z\\W\\V")),
    ("SpecificCharacterSet", ("ISO_IR 999", "GB18030", "\\ISO 2022 IR 87")),
)


def _value(rng: np.random.Generator, base: Base) -> tuple[bytes, str]:
    keyword, values = _VALUES[int(rng.integers(0, len(_VALUES)))]
    value = values[int(rng.integers(0, len(values)))]

    def change(ds: Dataset) -> None:
        _set_raw(ds, base, keyword, value)

    return _resave(base, change), f"{keyword} = {value!r}"


def _unknown_vr(rng: np.random.Generator, base: Base) -> tuple[bytes, str]:
    if not base.vrs:
        return _instead("value", rng, base)
    at = base.vrs[int(rng.integers(0, len(base.vrs)))]
    new = [b"ZZ", b"??", b"ob", b"\x00\x00"][int(rng.integers(0, 4))]
    out = bytearray(base.data)
    out[at : at + 2] = new
    return bytes(out), f"VR at {at} -> {new!r}"


def _command_set(rng: np.random.Generator, base: Base) -> tuple[bytes, str]:
    """A Command Set element (group 0000) at the start of the dataset."""
    if base.dataset_start >= len(base.data):
        return _instead("value", rng, base)
    if base.implicit:
        element = b"\x00\x00\x00\x01\x02\x00\x00\x00\x01\x00"  # (0000,0100) US
    elif base.little:
        element = b"\x00\x00\x00\x01US\x02\x00\x01\x00"
    else:
        element = b"\x00\x00\x01\x00US\x00\x02\x00\x01"
    at = base.dataset_start
    return base.data[:at] + element + base.data[at:], "(0000,0100) in the dataset"


def _stored_range(rng: np.random.Generator, base: Base) -> tuple[bytes, str]:
    """Stored values above Bits Stored (a defect of some modalities' files)."""
    ds = base.dataset
    if base.encapsulated or "PixelData" not in ds or int(ds.get("BitsAllocated", 0)) != 16:
        return _instead("value", rng, base)
    bits = int(rng.integers(4, 12))

    def change(d: Dataset) -> None:
        d.BitsStored = bits
        d.HighBit = bits - 1

    return _resave(base, change), f"BitsStored -> {bits}"


def _instead(kind: str, rng: np.random.Generator, base: Base) -> tuple[bytes, str]:
    """Another kind of damage where ``base`` has nothing to damage in this way."""
    data, detail = _MUTATIONS[kind](rng, base)
    return data, f"{kind}|{detail}"


_MUTATIONS: dict[str, Callable[[np.random.Generator, Base], tuple[bytes, str]]] = {
    "truncate": _truncate,
    "flip_header": _flip_header,
    "flip_pixels": _flip_pixels,
    "length": _length,
    "syntax": _syntax,
    "attribute": _attribute,
    "fragments": _fragments,
    "value": _value,
    "unknown_vr": _unknown_vr,
    "command_set": _command_set,
    "stored_range": _stored_range,
}


def variants(count: int, seed: int | tuple[int, ...] = 11) -> Iterator[Variant]:
    """``count`` damaged variants, deterministic for a given ``seed``."""
    rng = np.random.default_rng(seed)
    names = [n for n, _ in BASE_FILES]
    name_p = np.array([w for _, w in BASE_FILES]) / sum(w for _, w in BASE_FILES)
    kinds = [k for k, _ in KINDS]
    kind_p = np.array([w for _, w in KINDS]) / sum(w for _, w in KINDS)
    bases: dict[str, Base] = {}
    for _ in range(count):
        name = names[int(rng.choice(len(names), p=name_p))]
        kind = kinds[int(rng.choice(len(kinds), p=kind_p))]
        if name not in bases:
            bases[name] = load_base(name)
        data, detail = _MUTATIONS[kind](rng, bases[name])
        if "|" in detail:
            kind, detail = detail.split("|", 1)
        yield Variant(name, kind, data, detail)


# --- running a variant through the CLI ------------------------------------------------


@dataclass
class Run:
    command: str
    code: int | None  # None: main raised
    out: str
    err: str
    error: str = ""  # the exception main raised, if any


@dataclass
class Outcome:
    """Problems found for one variant (empty: every command behaved)."""

    variant: Variant
    runs: list[Run] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _to_stderr(message, category, filename, lineno, file=None, line=None) -> None:  # noqa: ANN001
    sys.stderr.write(warnings.formatwarning(message, category, filename, lineno, line))


def run_cli(argv: list[str]) -> Run:
    """``medcomp argv`` in this process, stdout and stderr captured, Python warnings
    printed to stderr as they would be in a fresh process."""
    from medcomp_gui.cli import main

    out, err = io.StringIO(), io.StringIO()
    code: int | None
    error = ""
    with (
        warnings.catch_warnings(),
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
    ):
        warnings.simplefilter("always")
        warnings.showwarning = _to_stderr
        try:
            code = main(argv)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        except BaseException as exc:  # noqa: BLE001 - a traceback is what we count
            code, error = None, f"{type(exc).__name__}: {exc}"[:300]
    return Run(argv[1] if argv[0] == "-q" else argv[0], code, out.getvalue(), err.getvalue(), error)


def _reference(path: Path):  # noqa: ANN202
    """What load_image gives for ``path`` (None when it refuses or fails)."""
    from medcomp_gui.api import load_image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return load_image(path)
    except BaseException:  # noqa: BLE001
        return None


def check_variant(variant: Variant, folder: Path, decode_rwnet: bool = True) -> Outcome:
    """Run `info`, `encode -c jpeg2000 --lossless -o .dcm` and `encode -c rwnet -q 3 -o
    .mcz` on ``variant`` and list what went wrong, as ``"command: category: detail"``.

    Every output is checked: the .dcm read back by plain pydicom must hold exactly the
    values :func:`load_image` gives; the .mcz must pass its checksums and header checks
    and (``decode_rwnet``; RWNet decoding is slow) decode to the input's shape."""
    source = folder / "variant.dcm"
    source.write_bytes(variant.data)
    outcome = Outcome(variant)
    reference = _reference(source)
    encode = ["-q", "encode", str(source), "-c"]
    commands = [
        ("info", ["info", str(source), "--json"], None),
        ("jpeg2000", [*encode, "jpeg2000", "--lossless"], folder / "out.dcm"),
        ("rwnet", [*encode, "rwnet", "-q", "3"], folder / "out.mcz"),
    ]
    for name, argv, output in commands:
        if output is not None:
            argv = [*argv, "-o", str(output), "--json"]
        run = run_cli(argv)
        outcome.runs.append(run)
        problems = _judge(run, reference, output, decode_rwnet)
        leftovers = sorted(p.name for p in folder.iterdir() if p.name != source.name)
        if run.code != 0 and leftovers:
            problems.append(("output left after a failure", str(leftovers)))
        outcome.problems += [f"{name}: {category}: {detail}" for category, detail in problems]
        for p in folder.iterdir():
            if p != source:
                p.unlink()
    if source.read_bytes() != variant.data:
        outcome.problems.append("all: input modified: ")
    return outcome


def _judge(run: Run, reference, output: Path | None, decode: bool) -> list[tuple[str, str]]:  # noqa: ANN001
    problems = []
    text = run.out + run.err
    if any(s in text for s in PHI_STRINGS):
        problems.append(("patient data shown", text[:300]))
    if run.code is None:
        return [*problems, ("traceback", run.error)]
    if run.code not in (0, 2):
        return [*problems, (f"exit {run.code}", run.err.strip()[:200])]
    if run.code == 2:
        lines = run.err.splitlines()
        if len(lines) != 1 or not lines[0].startswith("medcomp: error: "):
            problems.append(("exit 2 not with one line", run.err[:300]))
        if run.out:
            problems.append(("exit 2 with stdout", run.out[:100]))
        return problems
    if run.err:
        problems.append(("exit 0 with stderr", run.err[:300]))
    try:
        report = json.loads(run.out)
    except ValueError:
        return [*problems, ("exit 0 without a JSON object", run.out[:200])]
    if reference is None:
        return [*problems, ("exit 0 but load_image fails", "")]
    if output is None:
        if report.get("shape") != list(reference.pixels.shape):
            problems.append(("wrong info", f"{report.get('shape')} != {reference.pixels.shape}"))
        return problems
    return problems + _check_output(output, reference, report, decode)


def _check_output(output: Path, reference, report: dict, decode: bool) -> list[tuple[str, str]]:  # noqa: ANN001
    from medcomp_gui import api, container

    if not output.is_file():
        return [("exit 0 but no output", "")]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            data = output.read_bytes()
            if output.suffix == ".dcm":
                ds = pydicom.dcmread(io.BytesIO(data))
                if ds.file_meta.TransferSyntaxUID != UID(JPEG2000Lossless):
                    return [("wrong output", f"syntax {ds.file_meta.TransferSyntaxUID}")]
                if not np.array_equal(ds.pixel_array, reference.pixels):
                    return [("wrong output", "lossless output differs from the input")]
            else:
                header = container.unpack(data)
                pixels = api.decompress(data).pixels if decode else None
                shape, dtype = header.shape, header.dtype
                if shape != reference.pixels.shape or dtype != reference.pixels.dtype:
                    return [("wrong output", f"header says {shape} {dtype}")]
                if pixels is not None and (pixels.shape, pixels.dtype) != (shape, dtype):
                    return [("wrong output", f"decoded {pixels.shape} {pixels.dtype}")]
    except BaseException as exc:  # noqa: BLE001
        return [("output does not decode", f"{type(exc).__name__}: {str(exc)[:120]}")]
    if report.get("bytes") != len(data):
        return [("wrong output", f"reported {report.get('bytes')} bytes, file {len(data)}")]
    return []


def main(argv: list[str]) -> int:
    """Print the outcomes of ``argv[0]`` variants (seed ``argv[1]``) by kind and problem."""
    import collections
    import tempfile
    import time

    count = int(argv[0]) if argv else 2000
    seed = int(argv[1]) if len(argv) > 1 else 11
    exits: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    problems: collections.Counter = collections.Counter()
    bad_variants: collections.Counter = collections.Counter()
    examples: dict[str, str] = {}
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for i, variant in enumerate(variants(count, seed)):
            outcome = check_variant(variant, Path(tmp))
            codes = "/".join("T" if r.code is None else str(r.code) for r in outcome.runs)
            exits[variant.kind][codes] += 1
            exits["ALL"][codes] += 1
            if outcome.problems:
                bad_variants[variant.kind] += 1
                bad_variants["ALL"] += 1
            for p in outcome.problems:
                key = ": ".join(p.split(": ")[:2])
                problems[key] += 1
                examples.setdefault(key, f"{variant.name} [{variant.kind} {variant.detail}] {p}")
            if (i + 1) % 200 == 0:
                print(f"{i + 1} variants, {time.perf_counter() - start:.0f} s", file=sys.stderr)
    print(f"{count} variants (seed {seed}), {time.perf_counter() - start:.0f} s")
    print("exit codes info/jpeg2000/rwnet by kind:")
    for kind, counter in sorted(exits.items()):
        print(
            f"  {kind:>14} variants {sum(counter.values()):5d}, with problems "
            f"{bad_variants[kind]:4d}: {dict(counter.most_common())}"
        )
    print("problems (command: category: count):")
    for key, n in problems.most_common():
        print(f"  {key}: {n}")
    print("one example of each:")
    for key, example in sorted(examples.items()):
        print(f"  {key}: {' '.join(example.split())[:400]}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    sys.exit(main(sys.argv[1:]))
