"""10,000 damaged .mcz files, every codec, through ``api.decompress`` (issue 11).

Most cases have their CRCs recomputed after the damage, so that the header parser, the
codecs' payload parsers and the embedded DICOM reader are reached instead of the
checksum test. Every case must end in our own error (a MedcompError) or in an image of
the shape and dtype its header states; no decode may take over 2 s, and none may
allocate more than a small multiple of the real image (tracemalloc's peak, numpy's
arrays included): a header or codestream that claims a huge image must be refused before
anything of its size is allocated. Seeded: the same cases every run.
"""

from __future__ import annotations

import collections
import copy
import json
import time
import tracemalloc
import zlib

import numpy as np
import pytest
from parallel import spawn_map

CASES = 10_000
CHUNKS = 8
SEED = 1111
#: Peak allocation allowed for one decode: this much, plus BYTES_PER_PIXEL per real pixel.
BASE_BYTES = 8 << 20
BYTES_PER_PIXEL = 256
SECONDS = 2.0

_SOURCES = (
    ("rwnet", {"quality": 3}),
    ("svd", {"rank": 4}),
    ("jpeg2000", {"psnr": 40}),
    ("jpeg2000", {"lossless": True}),
    ("htj2k", {"lossless": True}),
    ("htj2k", {"psnr": 45}),
    ("jpegls", {"near": 1}),
    ("jpegls", {"lossless": True}),
    ("jpegxl", {"lossless": True}),
    ("jpegxl", {"distance": 1.0}),
)


def _images():
    """Small real-looking images: with a DICOM header (12-bit), signed multi-frame CT,
    and 8-bit without any header."""
    from reference_images import Reference, make_dataset

    from medcomp_gui.imaging import MedicalImage
    from medcomp_gui.imaging.dicom_io import dataset_to_image

    mr = dataset_to_image(make_dataset(Reference("mr", 12, shape=(24, 20))), "mr")
    ct = dataset_to_image(
        make_dataset(Reference("ct", 12, signed=True, shape=(2, 16, 12), modality="CT")), "ct"
    )
    from reference_images import phantom

    plain = MedicalImage(phantom((16, 16), 8, False), 8)
    return [mr, ct, plain]


def sources() -> list[tuple[str, bytes, int]]:
    """(codec, .mcz bytes, real pixels) for every codec setting and image."""
    from medcomp_gui import api

    return [
        (codec, api.compress(image, codec, **params), image.n_pixels)
        for codec, params in _SOURCES
        for image in _images()
    ]


# --- kinds of damage (each returns the damaged bytes) -----------------------------------


def _value(rng: np.random.Generator, old):  # noqa: ANN001, ANN202
    """Another value for a header field: near the old one, of another type, or absurd."""
    choices = [
        None,
        True,
        -1,
        0,
        1,
        2**31,
        2**63,
        1e308,
        -0.5,
        "",
        "x" * 70,
        [],
        {},
        [1],
        [65535, 65535],
        [16384, 16384],
        [3, 16384, 16384],
        [1, 1, 1, 1],
    ]
    if isinstance(old, bool):
        choices.append(not old)
    elif isinstance(old, int | float):
        choices += [old + 1, old - 1, old * 2, -old]
    elif isinstance(old, list) and old:
        choices += [old[:-1], [*old, old[-1]], old[::-1], [x * 2 for x in old if _num(x)]]
    elif isinstance(old, str):
        choices += [old.upper(), old[::-1], "svd", "rwnet", "jpegls", "uint16", "int16", "CT"]
    return choices[int(rng.integers(0, len(choices)))]


def _num(x) -> bool:  # noqa: ANN001
    return isinstance(x, int | float) and not isinstance(x, bool)


def _header_field(rng, header, payload, dicom, pool):  # noqa: ANN001, ANN202
    from mcz_tools import forge

    header = copy.deepcopy(header)
    target, key = header, None
    for _ in range(3):  # walk into params / extra / normalisation sometimes
        key = sorted(target)[int(rng.integers(0, len(target)))]
        if isinstance(target[key], dict) and target[key] and rng.random() < 0.6:
            target = target[key]
        else:
            break
    if rng.random() < 0.1:
        del target[key]
    else:
        target[key] = _value(rng, target[key])
    return forge(header, payload, dicom)


def _bytes(rng: np.random.Generator, data: bytes) -> bytes:
    """``data`` with a few bytes flipped, cut, inserted or spliced."""
    data = bytearray(data)
    kind = int(rng.integers(0, 4))
    if kind == 0 or not data:
        for _ in range(int(rng.integers(1, 9))):
            if data:
                data[int(rng.integers(0, len(data)))] ^= int(rng.integers(1, 256))
    elif kind == 1:
        data = data[: int(rng.integers(0, len(data)))]
    elif kind == 2:
        at = int(rng.integers(0, len(data) + 1))
        data[at:at] = rng.integers(0, 256, int(rng.integers(1, 17)), dtype=np.uint8).tobytes()
    else:
        at = int(rng.integers(0, len(data) + 1))
        data = data[:at] + rng.integers(0, 256, int(rng.integers(0, 65)), np.uint8).tobytes()
    return bytes(data)


def _payload(rng, header, payload, dicom, pool):  # noqa: ANN001, ANN202
    from mcz_tools import forge, split

    if rng.random() < 0.15:  # another file's payload of the same codec (another shape)
        same = [split(d) for c, d, _ in pool if c == header["codec"]]
        payload = same[int(rng.integers(0, len(same)))][1]
    else:
        payload = _bytes(rng, payload)
    return forge(header, payload, dicom)


def _dicom(rng, header, payload, dicom, pool):  # noqa: ANN001, ANN202
    from mcz_tools import forge

    if dicom and rng.random() < 0.7:
        dicom = zlib.compress(_bytes(rng, zlib.decompress(dicom)))
    else:
        dicom = _bytes(rng, dicom)
    return forge(header, payload, dicom)


def _raw_header(rng, header, payload, dicom, pool):  # noqa: ANN001, ANN202
    from mcz_tools import forge

    raw = _bytes(rng, json.dumps(header).encode())
    return forge(header, payload, dicom, raw_header=raw)


def _outer(rng, header, payload, dicom, pool):  # noqa: ANN001, ANN202
    """Damage without fixing any CRC (the checksums must catch it)."""
    from mcz_tools import forge

    return _bytes(rng, forge(header, payload, dicom))


_KINDS = (
    (_header_field, 0.35),
    (_payload, 0.35),
    (_dicom, 0.1),
    (_raw_header, 0.1),
    (_outer, 0.1),
)


def run_chunk(chunk: int) -> dict:
    """Decode this chunk's cases; a summary and the problems found."""
    from mcz_tools import split

    from medcomp_gui import api
    from medcomp_gui.errors import MedcompError

    pool = sources()
    for _, data, _ in pool:  # load models and libraries before measuring
        api.decompress(data)
    rng = np.random.default_rng([SEED, chunk])
    weights = np.array([w for _, w in _KINDS]) / sum(w for _, w in _KINDS)
    summary: dict = {"outcomes": collections.Counter(), "problems": [], "slowest": 0.0}
    summary["peak"] = 0
    tracemalloc.start()
    try:
        for _ in range(CASES // CHUNKS):
            codec, data, pixels = pool[int(rng.integers(0, len(pool)))]
            damage = _KINDS[int(rng.choice(len(_KINDS), p=weights))][0]
            damaged = damage(rng, *split(data), pool)
            tracemalloc.reset_peak()
            start = time.perf_counter()
            try:
                image = api.decompress(damaged)
                outcome = "decoded"
            except MedcompError as exc:
                image, outcome = None, type(exc).__name__
            except BaseException as exc:  # noqa: BLE001 - what this test looks for
                image, outcome = None, "foreign"
                summary["problems"].append(f"{codec} {damage.__name__}: {exc!r}"[:300])
            seconds = time.perf_counter() - start
            peak = tracemalloc.get_traced_memory()[1]
            summary["outcomes"][f"{codec} {damage.__name__} {outcome}"] += 1
            summary["slowest"] = max(summary["slowest"], seconds)
            summary["peak"] = max(summary["peak"], peak)
            if seconds > SECONDS:
                summary["problems"].append(f"{codec} {damage.__name__}: {seconds:.1f} s")
            if peak > BASE_BYTES + BYTES_PER_PIXEL * pixels:
                summary["problems"].append(f"{codec} {damage.__name__}: allocated {peak} bytes")
            if image is not None:
                from medcomp_gui import container

                c = container.unpack(damaged)
                if image.pixels.shape != c.shape or image.pixels.dtype != c.dtype:
                    summary["problems"].append(f"{codec} {damage.__name__}: wrong shape")
    finally:
        tracemalloc.stop()
    return summary


@pytest.fixture(scope="module")
def fuzz_summary() -> dict:
    parts = spawn_map(run_chunk, range(CHUNKS))
    outcomes = sum((p["outcomes"] for p in parts), collections.Counter())
    return {
        "outcomes": outcomes,
        "problems": [problem for p in parts for problem in p["problems"]],
        "slowest": max(p["slowest"] for p in parts),
        "peak": max(p["peak"] for p in parts),
    }


@pytest.mark.slow
def test_damaged_mcz_files_raise_only_our_errors_quickly_and_small(fuzz_summary):
    problems = fuzz_summary["problems"]
    assert not problems, f"{len(problems)} problems, e.g.:\n" + "\n".join(problems[:20])


@pytest.mark.slow
def test_the_cases_reach_every_parser_of_every_codec(fuzz_summary):
    outcomes = fuzz_summary["outcomes"]
    assert sum(outcomes.values()) >= 10_000
    codecs = {key.split()[0] for key in outcomes}
    assert codecs == {codec for codec, _ in _SOURCES}
    by_outcome = collections.Counter()
    for key, n in outcomes.items():
        codec, kind, outcome = key.split()
        by_outcome[outcome] += n
        by_outcome[f"{codec} {outcome}"] += n
    # most cases get past the checksums: the codecs' own checks (CodecError) are reached
    # for every codec, and some damage decodes (pixels changed, header intact)
    for codec, _ in _SOURCES:
        assert by_outcome[f"{codec} CodecError"] > 20, (codec, by_outcome)
    assert by_outcome["decoded"] > 500 and by_outcome["CorruptFileError"] > 2000, by_outcome
