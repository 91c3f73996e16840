"""What the RWNet probes share: ideal adaptive code lengths, the encoder's latent of an
image (as :class:`~medcomp_gui.codecs.rwnet.entropy.Prepared`), and the dyadic layout's
bands as images."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from medcomp_gui.codecs.rwnet import codec as rc  # noqa: E402
from medcomp_gui.codecs.rwnet import entropy  # noqa: E402
from medcomp_gui.imaging.image import MedicalImage  # noqa: E402


def bits(symbols: np.ndarray, contexts: np.ndarray) -> float:
    """Empirical conditional entropy of ``symbols`` given ``contexts``, plus a learning
    cost of half a bit times log2(count) per symbol and context."""
    if symbols.size == 0:
        return 0.0
    order = np.lexsort((symbols, contexts))
    s, c = symbols[order], contexts[order]
    pair_start = np.r_[True, (s[1:] != s[:-1]) | (c[1:] != c[:-1])]
    pair_counts = np.diff(np.r_[np.flatnonzero(pair_start), s.size])
    ctx_values, ctx_counts = np.unique(c, return_counts=True)
    n_of_pair = ctx_counts[np.searchsorted(ctx_values, c[pair_start])]
    h = -(pair_counts * np.log2(pair_counts / n_of_pair)).sum()
    return float(h + 0.5 * np.log2(n_of_pair).sum())


def report(entry: dict, quality: int, ways: dict[str, float], total: dict[str, float]) -> None:
    """Print one image's bytes per way of coding (and each against ``now``), adding them to
    ``total``."""
    for name, value in ways.items():
        total[name] = total.get(name, 0.0) + value
    print(
        entry["source"],
        f"q{quality}:",
        ", ".join(f"{n} {v:.0f} B ({100 * (v / ways['now'] - 1):+.1f} %)" for n, v in ways.items()),
        flush=True,
    )


def report_total(total: dict[str, float]) -> None:
    """Print the totals of :func:`report` against ``now``."""
    print(
        "total", ", ".join(f"{n} {100 * (v / total['now'] - 1):+.2f} %" for n, v in total.items())
    )


def encoded_latent(image: MedicalImage, quality: int) -> entropy.Prepared | None:
    """The latent the encoder codes for ``image`` at ``quality`` (after RDOQ), as its
    entropy coder prepared it; None where the level was stored losslessly."""
    got: dict = {}
    coded = entropy._encode_latent  # what every way of coding a latent calls

    def keep(*args, **kwargs):
        got["prepared"] = args[4] if len(args) > 4 else kwargs.get("prepared")
        return coded(*args, **kwargs)

    entropy._encode_latent = keep
    try:
        rc.RWNetCodec().encode(image, quality=quality)
    finally:
        entropy._encode_latent = coded
    return got.get("prepared")


def channel(depth: int, band: int, i: int, j: int) -> int:
    """The channel of phase (i, j) of ``band`` at ``depth`` (1 coarsest) of the layout."""
    size = 2 ** (depth - 1)
    start = 1 + sum(3 * 4 ** (k - 1) for k in range(1, depth))
    return start + band * size * size + i * size + j


def band_image(by_channel: np.ndarray, depth: int, band: int, h: int, w: int) -> np.ndarray:
    """The values of one band as an image (rows ``h * size``, cols ``w * size``)."""
    size = 2 ** (depth - 1)
    out = np.zeros((h * size, w * size), np.int64)
    for i in range(size):
        for j in range(size):
            out[i::size, j::size] = by_channel[channel(depth, band, i, j)].reshape(h, w)
    return out


def shifted(a: np.ndarray, di: int, dj: int) -> np.ndarray:
    """``a[r + di, c + dj]``, 0 beyond the edges."""
    out = np.zeros_like(a)
    rows, cols = a.shape
    out[max(-di, 0) : rows - max(di, 0), max(-dj, 0) : cols - max(dj, 0)] = a[
        max(di, 0) : rows - max(-di, 0), max(dj, 0) : cols - max(-dj, 0)
    ]
    return out


def dev_latents(folder: str, prefixes: tuple[str, ...], qualities: tuple[int, ...]):
    """(manifest entry, quality, :func:`encoded_latent`) of each development image whose
    source starts with one of ``prefixes``, at each of ``qualities`` (levels stored
    losslessly left out)."""
    from medcomp_gui.codecs.rwnet import data

    for pixels, entry in data.load(folder, split="dev"):
        if not entry["source"].startswith(prefixes):
            continue
        image = MedicalImage(pixels, entry["bits_stored"])
        for quality in qualities:
            prepared = encoded_latent(image, quality)
            if prepared is not None:
                yield entry, quality, prepared


def dev_frames(folder: str, prefixes: tuple[str, ...]):
    """(manifest entry, padded normalised frame ``x``, (rows, cols)) of each development
    image whose source starts with one of ``prefixes``."""
    from medcomp_gui.codecs.rwnet import data

    for pixels, entry in data.load(folder, split="dev"):
        if entry["source"].startswith(prefixes):
            image = MedicalImage(pixels, entry["bits_stored"])
            yield entry, rc._padded(rc._normalised(image.frames[0], image)[3]), pixels.shape


def scaled_point(model, x, shape, level: int, steps: np.ndarray, dc_step: float) -> dict:
    """{bpp, psnr} of ``x`` at ``level`` (stream bytes only, no reconstruction offsets)
    with each channel quantised at ``steps`` times its step (its RDOQ weight times
    ``steps**2``), the DC also at ``dc_step`` times (as the encoder's ``DC_STEP``)."""
    from medcomp_gui.codecs.rwnet import rdoq

    tables, (rows, cols) = model.tables, shape
    y = np.asarray(model.analysis(x[np.newaxis, :, :, np.newaxis], level))[0]
    total = np.asarray(steps, np.float32).copy()
    total[0] *= dc_step
    saved = tables.rdo_weights[level].copy()
    tables.rdo_weights[level] = saved * steps * steps
    try:
        symbols = rdoq.optimise(y / total, tables, level, dc_step=dc_step)
    finally:
        tables.rdo_weights[level] = saved
    prepared = entropy.Prepared(symbols, tables, level)
    chosen = entropy.choose_table_levels(symbols, tables, level, prepared=prepared)
    signs = entropy.sign_weights(prepared.by_channel, prepared.where)
    n = len(entropy.encode_latent(symbols, tables, level, chosen, prepared, signs))
    latent = symbols.astype(np.float32) * total
    out = np.asarray(model.synthesis(latent[np.newaxis], level))[0, :rows, :cols, 0]
    mse = float(((out - x[:rows, :cols]) ** 2).mean())
    return {"bpp": 8 * n / (rows * cols), "psnr": 10 * np.log10(1 / mse)}


def coder_frames(folder: str, every: int, levels, modalities=None):
    """(entry, level, latent, its :class:`~.entropy.Prepared`, table levels, sign weights)
    of every ``every``-th development image (of ``modalities``, all if None) at each
    0-based level of ``levels``: what the encoder's coder gets (RDOQ, each group's table
    level, the sign weights)."""
    from medcomp_gui.codecs.rwnet import data, rdoq

    model = rc.load_model()
    tables = model.tables
    for n, (pixels, entry) in enumerate(data.load(folder, split="dev")):
        if n % every or (modalities and entry["modality"] not in modalities):
            continue
        image = MedicalImage(pixels, entry["bits_stored"])
        x = rc._padded(rc._normalised(image.frames[0], image)[3])
        for level in levels:
            y = model.latent(x, level)
            symbols = rdoq.optimise(y, tables, level, predict=False, dc_step=rc.DC_STEP)
            prepared = entropy.Prepared(symbols, tables, level, predict=False)
            chosen = entropy.choose_table_levels(symbols, tables, level, prepared=prepared)
            signs = entropy.sign_weights(prepared.by_channel, prepared.where)
            yield entry, level, symbols, prepared, chosen, signs
