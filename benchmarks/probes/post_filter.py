"""Probe (2026-12-04, 9th session): which post-filter pays (payload version 10,
:mod:`medcomp_gui.codecs.rwnet.postfilter`)?

For every ``EVERY``-th development image at the given qualities, the encoder's own
reconstruction of each frame (captured where it calls ``postfilter.choose``) is filtered
by variants fitted by least squares to the coded frame: the shipped point-symmetric
5 x 5 filter, with coefficients pulled towards the identity (ridge), with a coarser
unit, a 7 x 7 one, and one filter per activity class of the decoded image (classes by
quantiles of its local Laplacian energy, which the decoder can compute). Each is
valued as the encoder values it (``postfilter.choose``: the gain in dB at the level's
dB per doubling, minus its side information) and reported as the bytes it would save,
in % of the files, per group.

Finding (every 4th image at qualities 2/4/6/8; saved bytes, % of the files, CR/DX / MR
/ CT / US / MG): the 5 x 5 filter first shipped 2.75 / 1.65 / 0.75 / 0.68 / 0.04;
pulled towards the identity (ridge 1e-5 / 1e-4 of the mean diagonal) 0.76 / 0.02 on
CR/DX (worse everywhere); its unit 1/1024 0.26 and 1/16384 3.90 on CR/DX (the fitted
coefficients are large and nearly cancel: rounding them changes the filter's gain); the
pairs' terms taken about the centre (``x[+d] + x[-d] - 2 x``, the gain kept apart)
3.94 / 1.91 / 0.78 / 0.69 at 1/1024 as at 1/4096, but 0 instead of 28 % of the
mammograms' files at quality 2, where the best filter also scales the image (so the
gain's coefficient stays, sent where it pays); a 3 x 3 filter 0.75 / 1.07 / 0.23 / 0.41;
a diamond of radius 3 (the same 12 pairs as 5 x 5) 4.69 / 2.00 / 0.89 / 0.73, of radius
4 (20 pairs) **5.22 / 2.20 / 1.04 / 0.74** (shipped), the 7 x 7 square 3.30 / 2.06 /
1.00 / 0.75; one filter per activity class of the decoded image (radius 3): 2 classes
4.97 / 1.95 / 0.95 / 1.10, 3 classes 5.15 / 2.16 / 1.04 / 1.30 (pays on ultrasound
only, for twice or three times the side information and a classification in the
decoder: not built).

Usage: python benchmarks/probes/post_filter.py DATA_FOLDER EVERY QUALITY[,...]
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from medcomp_gui import varint  # noqa: E402
from medcomp_gui.codecs.rwnet import codec as rc  # noqa: E402
from medcomp_gui.codecs.rwnet import data, postfilter  # noqa: E402
from medcomp_gui.imaging.image import MedicalImage  # noqa: E402


def pairs(radius: int, diamond: bool) -> list[tuple[int, int]]:
    return [
        (di, dj)
        for di in range(-radius, radius + 1)
        for dj in range(-radius, radius + 1)
        if (di, dj) > (0, 0) and (not diamond or abs(di) + abs(dj) <= radius)
    ]


def terms(x: np.ndarray, offsets, dc: bool = False) -> np.ndarray:
    """The filter's inputs: the centre and each pair's sum; with ``dc`` (a filter whose
    coefficients sum to 1), each pair's sum minus twice the centre, without the centre."""
    r = max(max(abs(a), abs(b)) for a, b in offsets)
    p = np.pad(x, r, mode="symmetric")
    h, w = x.shape

    def sh(di, dj):
        return p[r + di : r + di + h, r + dj : r + dj + w]

    if dc:
        return np.stack([sh(di, dj) + sh(-di, -dj) - 2 * x for di, dj in offsets], -1)
    return np.stack([x] + [sh(di, dj) + sh(-di, -dj) for di, dj in offsets], -1)


def side_bytes(q: np.ndarray, unit: int, dc: bool = False) -> int:
    values = [int(v) for v in q] if dc else [int(q[0]) - unit, *(int(v) for v in q[1:])]
    return 1 + sum(len(varint.encode(2 * v if v >= 0 else -2 * v - 1)) for v in values)


def fitted(a: np.ndarray, b: np.ndarray, unit: int, ridge: float, dc: bool = False):
    """(side bytes, squared error after) of one class's filter."""
    gram, cross = a.T @ a, a.T @ b
    eye = np.zeros(a.shape[1])
    eye[0] = 0.0 if dc else 1.0
    mu = ridge * np.trace(gram) / a.shape[1]
    try:
        c = np.linalg.solve(gram + mu * np.eye(a.shape[1]), cross + mu * eye)
    except np.linalg.LinAlgError:
        c = eye
    q = np.rint(c * unit)
    c = q / unit
    return side_bytes(q, unit, dc), float(((a @ c - b) ** 2).sum())


def activity(x: np.ndarray) -> np.ndarray:
    p = np.pad(x, 1, mode="symmetric")
    lap = np.abs(4 * x - p[:-2, 1:-1] - p[2:, 1:-1] - p[1:-1, :-2] - p[1:-1, 2:])
    s = np.pad(lap, 2, mode="symmetric")
    return sum(
        s[2 + i : 2 + i + x.shape[0], 2 + j : 2 + j + x.shape[1]]
        for i in range(-2, 3)
        for j in range(-2, 3)
    )


VARIANTS = {
    "5x5": dict(offsets=pairs(2, False), unit=4096, ridge=0.0, classes=1),
    "5x5 dc1 1024": dict(offsets=pairs(2, False), unit=1024, ridge=0.0, classes=1, dc=True),
    "5x5 dc1 4096": dict(offsets=pairs(2, False), unit=4096, ridge=0.0, classes=1, dc=True),
    "7x7d dc1 1024": dict(offsets=pairs(3, True), unit=1024, ridge=0.0, classes=1, dc=True),
    "7x7d dc1 4096": dict(offsets=pairs(3, True), unit=4096, ridge=0.0, classes=1, dc=True),
    "7x7d 16384": dict(offsets=pairs(3, True), unit=16384, ridge=0.0, classes=1),
    "7x7d dc1 1024 x2": dict(offsets=pairs(3, True), unit=1024, ridge=0.0, classes=2, dc=True),
    "7x7d dc1 1024 x3": dict(offsets=pairs(3, True), unit=1024, ridge=0.0, classes=3, dc=True),
    "9x9d dc1 1024": dict(offsets=pairs(4, True), unit=1024, ridge=0.0, classes=1, dc=True),
    "5x5 ridge 1e-5": dict(offsets=pairs(2, False), unit=4096, ridge=1e-5, classes=1),
    "5x5 ridge 1e-4": dict(offsets=pairs(2, False), unit=4096, ridge=1e-4, classes=1),
    "5x5 unit 1024": dict(offsets=pairs(2, False), unit=1024, ridge=0.0, classes=1),
    "5x5 unit 16384": dict(offsets=pairs(2, False), unit=16384, ridge=0.0, classes=1),
    "3x3": dict(offsets=pairs(1, False), unit=4096, ridge=0.0, classes=1),
    "7x7 diamond": dict(offsets=pairs(3, True), unit=4096, ridge=0.0, classes=1),
    "7x7": dict(offsets=pairs(3, False), unit=4096, ridge=0.0, classes=1),
    "5x5 x2 classes": dict(offsets=pairs(2, False), unit=4096, ridge=0.0, classes=2),
    "5x5 x3 classes": dict(offsets=pairs(2, False), unit=4096, ridge=0.0, classes=3),
    "5x5 x4 classes": dict(offsets=pairs(2, False), unit=4096, ridge=0.0, classes=4),
}


def saved_bits(decoded, target, level, stream_bytes, quantum, v) -> float:
    dc = v.get("dc", False)
    a_all = terms(decoded.astype(np.float64), v["offsets"], dc)
    b_all = target.astype(np.float64) - (decoded if dc else 0)
    if v["classes"] > 1:
        act = activity(decoded.astype(np.float64))
        edges = np.quantile(act, np.arange(1, v["classes"]) / v["classes"])
        cls = np.searchsorted(edges, act)
    else:
        cls = np.zeros(decoded.shape, np.int64)
    before = float(((decoded - target) ** 2).sum())
    side, after = 1, 0.0
    for k in range(v["classes"]):
        m = cls == k
        s, e = fitted(a_all[m], b_all[m], v["unit"], v["ridge"], dc)
        side += s
        after += e
    rounding = decoded.size * quantum**2 / 12
    if not after < before:
        return 0.0
    gain = 10 * np.log10((before + rounding) / (after + rounding))
    worth = 8 * stream_bytes * gain / postfilter.DB_PER_DOUBLING[min(level, 10)]
    return max(worth - 8 * side, 0.0)


def main() -> None:
    folder, every, qualities = (
        sys.argv[1],
        int(sys.argv[2]),
        [int(q) for q in sys.argv[3].split(",")],
    )
    captured = []
    original = postfilter.choose

    def capture(*args):
        captured.append(args)
        return original(*args)

    postfilter.choose = capture
    totals: dict = {}
    for n, (pixels, entry) in enumerate(data.load(folder, split="dev")):
        if n % every:
            continue
        image = MedicalImage(pixels.astype(np.uint16), int(entry["bits_stored"]))
        for quality in qualities:
            captured.clear()
            enc = rc.RWNetCodec().encode(image, quality=quality)
            if enc.lossless or not captured:
                continue
            decoded, target, level, stream_bytes, quantum = captured[-1]
            group = totals.setdefault(entry["modality"], {"bytes": 0.0})
            group["bytes"] += len(enc.payload)
            line = []
            for name, v in VARIANTS.items():
                s = saved_bits(decoded, target, level, stream_bytes, quantum, v) / 8
                group[name] = group.get(name, 0.0) + s
                line.append(f"{100 * s / len(enc.payload):.2f}")
            print(entry["source"][:30], f"q{quality}", len(enc.payload), " ".join(line), flush=True)
    print("saved, % of the files:", " | ".join(VARIANTS))
    for g, t in totals.items():
        print(g, " ".join(f"{name} {100 * t[name] / t['bytes']:.2f}" for name in VARIANTS))


if __name__ == "__main__":
    main()
