"""What the viewer's worker processes answer (:mod:`worker_process`), no Qt.

Two services, each in its own child process:

- ``"compute"``: loading, ANLM, SVD factorisation and the real SVD file at a rank, the
  codecs' availability, saving, the rate-distortion plot's points. CPU-heavy
  numpy/scipy/codec work that, in a thread of the GUI process, would hold the GUI's
  interpreter lock for tens of milliseconds (a JPEG 2000 decode: for all of it) at a time.
- ``"rwnet"``: everything that may import TensorFlow (probe and warm-up, the pane's
  measurement, loading an RWNet .mcz, saving with RWNet, RWNet's points of the plot).

An SVD factorisation stays in the compute process under a key chosen by the GUI
(:func:`svd_factor`), so a rank change sends only the rank (:func:`svd_measure`); the
GUI gets float32 factors back for its own fast previews.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from medcomp_gui import api, series
from medcomp_gui.errors import MedcompError
from medcomp_gui.gui import compute, operating_point, report
from medcomp_gui.gui.operating_point import Target
from medcomp_gui.imaging.image import MedicalImage

#: Factorisations kept (the current source image's and the one before it).
KEEP_SESSIONS = 2

_lock = threading.Lock()
_sessions: OrderedDict[int, tuple[compute.SVDSession, MedicalImage]] = OrderedDict()


def svd_factor(
    key: int, source: MedicalImage, original: MedicalImage
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Factorise ``source`` and keep it under ``key`` (its files are measured against
    ``original``); the float32 preview factors of every frame."""
    session = compute.SVDSession(source)
    with _lock:
        _sessions[key] = (session, original)
        while len(_sessions) > KEEP_SESSIONS:
            _sessions.popitem(last=False)
    return session.preview_factors()


def svd_measure(key: int, rank: int) -> compute.Measured:
    """The real .mcz file at ``rank`` of the factorisation under ``key``, measured."""
    with _lock:
        kept = _sessions.get(key)
    if kept is None:
        raise MedcompError("this SVD factorisation has been superseded")
    session, original = kept
    return session.measure(rank, original)


def svd_default(key: int, target: Target, start_rank: int) -> compute.Measured:
    """The SVD file at the default setting (:func:`operating_point.svd_default`) of the
    factorisation under ``key``."""
    with _lock:
        kept = _sessions.get(key)
    if kept is None:
        raise MedcompError("this SVD factorisation has been superseded")
    session, original = kept
    return operating_point.svd_default(session, original, target, start_rank)


def best_codec(
    source: MedicalImage,
    original: MedicalImage,
    target: Target,
    codecs: list[str],
    known: list[operating_point.Candidate],
) -> list[operating_point.Candidate]:
    return operating_point.best_candidates(source, original, target, codecs, known)


def load(path: str) -> MedicalImage:
    """An image file or a .mcz decoded (a JPEG 2000 DICOM decodes under the interpreter
    lock: 0.1 s for MR2, 0.9 s for RG1)."""
    return api.load_any(path)


def scan(paths: list[Path]) -> list[series.Entry]:
    """The list entries for files and folders (studies, series, stacks of slices)."""
    return series.scan(paths)


def load_entry(entry: series.Entry) -> MedicalImage:
    """A list entry's image: a file (as :func:`load`) or a stack of slices."""
    return series.load_entry(entry)


def anlm(image: MedicalImage, strength: float) -> tuple[MedicalImage, str]:
    return compute.anlm_filter(image, strength)


def codec_status() -> dict[str, str | None]:
    return compute.codec_status()


def save(
    image: MedicalImage, path: str | Path, codec: str, params: dict[str, Any], denoised: bool
) -> tuple[Any, list[tuple[str, str]]]:
    return report.encode_and_report(image, path, codec, params, denoised)


def rd_point(image: MedicalImage, codec: str, params: dict[str, Any]) -> dict[str, Any]:
    """One point of the rate-distortion plot (``compare.measure``)."""
    from medcomp_gui.compare import measure

    return measure(image, codec, params)


def rwnet_probe() -> tuple[list[Any], str | None]:
    return compute.rwnet_probe()


def rwnet_default(
    source: MedicalImage, original: MedicalImage, target: Target, qualities: list[Any], start: Any
) -> compute.Measured:
    return operating_point.rwnet_default(source, original, target, qualities, start)


def rwnet_measure(source: MedicalImage, original: MedicalImage, quality: Any) -> compute.Measured:
    return compute.rwnet_measure(source, original, quality)


#: Calls by service; looked up at call time, so tests may replace ``compute`` functions.
SERVICES: dict[str, dict[str, Callable[..., Any]]] = {
    "compute": {
        "load": load,
        "load_entry": load_entry,
        "scan": scan,
        "anlm": anlm,
        "svd_factor": svd_factor,
        "svd_measure": svd_measure,
        "svd_default": svd_default,
        "best_codec": best_codec,
        "codec_status": codec_status,
        "save": save,
        "rd_point": rd_point,
    },
    "rwnet": {
        "probe": rwnet_probe,
        "measure": rwnet_measure,
        "default": rwnet_default,
        "load": load,
        "load_entry": load_entry,
        "save": save,
        "rd_point": rd_point,
    },
}
