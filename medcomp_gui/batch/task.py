"""One file, one idempotent task: read, encode, write to a temporary name, verify, rename.

:func:`run_task` is the function the local process pool and the Dask workers run. It
never raises for a file's sake: whatever goes wrong — our own errors, numpy's, a native
coder's panic (pyo3's PanicException derives from BaseException), a full disk — becomes
that file's "failed" row with a one-line reason that names no patient data, and the
temporary file is removed. Only KeyboardInterrupt and SystemExit go through.

Verification decodes the file as written (read back from disk, its digest compared with
the bytes encoded): a lossless output must equal the source bit for bit; a lossy one is
measured there, and the PSNR, SSIM and max error in the report are those figures.
"""

from __future__ import annotations

import errno
import hashlib
import json
import math
import os
import tempfile
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from medcomp_gui.batch.plan import Task
from medcomp_gui.batch.report import Row
from medcomp_gui.errors import MedcompError, UnsupportedImageError

#: Suffixes that claim to be images: a file with one that cannot be read has failed; any
#: other file that turns out not to be an image is skipped.
IMAGE_SUFFIXES = {".dcm", ".dicom", ".png", ".tif", ".tiff", ".jpg", ".jpeg", ".npy", ".mcz"}
PART_SUFFIX = ".part"
#: Outputs get the permissions any new file gets here (mkstemp's are owner-only).
_UMASK = os.umask(0o022)
os.umask(_UMASK)


class VerificationError(MedcompError):
    """The file as written does not decode to what was encoded."""


@dataclass(frozen=True)
class Fingerprint:
    """What identifies an input's content: size, modification time, SHA-256."""

    size: int
    mtime_ns: int
    sha256: str


@dataclass
class Outcome:
    row: Row
    fingerprint: Fingerprint | None


def fingerprint(path: str | os.PathLike[str]) -> Fingerprint:
    stat = os.stat(path)
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return Fingerprint(stat.st_size, stat.st_mtime_ns, digest.hexdigest())


def run_task(task: Task) -> Outcome:
    """Do ``task``; the outcome's row says what happened (never raises for the file)."""
    start = time.perf_counter()
    row = Row(source=task.source, note=task.note, codec=task.settings.codec)
    print_ = None
    temps: list[Path] = []  # the temporary file, once there is one
    try:
        print_ = fingerprint(task.source)
        row.input_bytes = print_.size
        work = _restore if task.settings.decode else _compress
        data = work(task, row, temps)
        os.replace(temps[-1], task.output)
        temps.clear()
        row.output, row.output_bytes, row.status = task.output, len(data), "ok"
        row.ratio_input = _finite(row.input_bytes / len(data))
        row.grew = not task.settings.decode and len(data) > row.input_bytes
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # any failure is this file's row, never the batch's end
        row.status, row.reason = classify(exc, task.source)
        row.output = ""
    finally:
        for temp in temps:
            temp.unlink(missing_ok=True)
    row.seconds = round(time.perf_counter() - start, 4)
    return Outcome(row, print_)


def _compress(task: Task, row: Row, temps: list[Path]) -> bytes:
    from medcomp_gui import api
    from medcomp_gui.batch import targets
    from medcomp_gui.guidance import guideline_ratio, ratio_warning

    settings = task.settings
    image = api.load_image(task.source).with_true_bits()
    row.modality = image.modality
    for note in image.notes:  # what the reader ignored or corrected in the file
        row.note = _join(row.note, note)
    body = str(image.dataset.get("BodyPartExamined", "")) if image.dataset is not None else ""

    def measure(params: dict[str, Any]) -> tuple[bytes, Any]:
        data = encode_bytes(image, settings.codec, settings.format, params)
        return data, quality_of(image, api.decode_output(data).pixels, len(data))

    if settings.targeted:
        target = targets.target_for(
            settings.psnr, settings.max_error, settings.within_guideline, image.modality, body
        )
        largest = min(image.rows, image.cols) if settings.codec == "svd" else None
        params, data, _ = targets.choose(settings.codec, settings.params, target, measure, largest)
        if target.ratio_limit is None and settings.within_guideline:
            row.note = _join(row.note, f"no CAR 2008 guideline for {image.modality}")
    else:
        params = dict(settings.params)
        data = encode_bytes(image, settings.codec, settings.format, params)
    temps.append(write_temp(Path(task.output), data))
    decoded, lossless, used = verify_written(temps[-1], data)
    if lossless and not _same_pixels(decoded.pixels, image.pixels):
        raise VerificationError("verification failed: the lossless output differs from the source")
    q = quality_of(image, decoded.pixels, len(data))
    if settings.targeted and not targets.target_for(
        settings.psnr, settings.max_error, settings.within_guideline, image.modality, body
    ).met(q):
        raise VerificationError("verification failed: the written file misses the target")
    row.params = json.dumps(used or params, sort_keys=True)
    row.lossless = lossless
    row.ratio_pixels = _finite(q.ratio)
    row.psnr, row.ssim = _finite(q.psnr), _finite(q.ssim)
    row.max_error = q.max_abs_error
    if image.modality.upper() == "CT":
        row.max_error_hu = q.max_abs_error_output
    row.guideline_ratio = guideline_ratio(image.modality, body)
    if not lossless:
        row.warning = ratio_warning(q.ratio, image.modality, body) or ""
    return data


def _restore(task: Task, row: Row, temps: list[Path]) -> bytes:
    """A .mcz back to an uncompressed DICOM file (lossy sources marked lossy)."""
    from medcomp_gui import api, container
    from medcomp_gui.imaging.dicom_io import dataset_bytes, image_dataset

    source = Path(task.source).read_bytes()
    header = container.unpack(source)
    row.codec, row.params = header.codec, json.dumps(header.params, sort_keys=True)
    row.lossless = header.lossless
    image = api.decompress(source, task.source)
    row.modality = image.modality
    data = dataset_bytes(image_dataset(image))
    temps.append(write_temp(Path(task.output), data))
    decoded, _, _ = verify_written(temps[-1], data)
    if not _same_pixels(decoded.pixels, image.pixels):
        raise VerificationError("verification failed: the DICOM file differs from the .mcz")
    row.ratio_pixels = _finite(image.original_bytes / len(source))
    return data


def encode_bytes(image: Any, codec: str, fmt: str, params: dict[str, Any]) -> bytes:
    """The output file's bytes: a .mcz, or a standard DICOM file."""
    from medcomp_gui import api

    if fmt == "dcm":
        return api.compress_dicom(image, codec, **params)
    return api.compress(image, codec, **params)


def write_temp(output: Path, data: bytes) -> Path:
    """``data`` in a new temporary file beside ``output`` (flushed to disk)."""
    output.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{output.name}.", suffix=PART_SUFFIX, dir=output.parent)
    temp = Path(name)
    try:
        os.fchmod(fd, 0o666 & ~_UMASK) if hasattr(os, "fchmod") else None
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return temp


def verify_written(path: Path, data: bytes) -> tuple[Any, bool, dict[str, Any] | None]:
    """The written file decoded, whether it is lossless, and its .mcz parameters.

    Its bytes must be the ones encoded (a damaged disk or a racing writer shows here)
    and must decode (.mcz: checksums; DICOM: plain pydicom)."""
    from medcomp_gui import api, container

    written = path.read_bytes()
    if hashlib.sha256(written).digest() != hashlib.sha256(data).digest():
        raise VerificationError(
            "verification failed: the file on disk differs from the encoded bytes"
        )
    try:
        decoded = api.decode_output(written)
    except MedcompError as exc:
        raise VerificationError(f"verification failed: the output does not decode ({exc})") from exc
    if container.is_mcz(written):
        header = container.unpack(written)
        return decoded, header.lossless, header.params
    lossy = (
        decoded.dataset is not None
        and str(decoded.dataset.get("LossyImageCompression", "")) == "01"
    )
    return decoded, not lossy, None


def quality_of(image: Any, decoded: Any, n_bytes: int) -> Any:
    from medcomp_gui import metrics

    if decoded.shape != image.pixels.shape:
        raise VerificationError(
            f"verification failed: decoded shape {decoded.shape}, source {image.pixels.shape}"
        )
    return metrics.image_quality(image, decoded, n_bytes)


def _same_pixels(a: Any, b: Any) -> bool:
    import numpy as np

    return a.shape == b.shape and a.dtype == b.dtype and bool(np.array_equal(a, b))


def classify(exc: BaseException, source: str) -> tuple[str, str]:
    """("skipped" or "failed", a one-line reason without patient data) for ``exc``.

    Our own errors' messages are written to name files and problems, never header values;
    anything else is named by its type and where it was raised, not by its message (a
    library's message may quote a header value)."""
    if isinstance(exc, UnsupportedImageError | MedcompError) and _not_an_image(exc, source):
        return "skipped", "not an image: " + _first_line(str(exc), source)
    if isinstance(exc, MedcompError):
        if "no image in this DICOM file" in str(exc):
            return "failed", "an image's DICOM file without pixel data (cut short or damaged)"
        return "failed", _first_line(str(exc), source)
    if isinstance(exc, OSError):
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return "failed", "disk full: the output could not be written"
        where = f" ({exc.filename})" if exc.filename else ""
        return "failed", f"{exc.strerror or type(exc).__name__}{where}"
    if isinstance(exc, MemoryError):
        return "failed", "out of memory on this file"
    kind = "native coder panic" if type(exc).__name__ == "PanicException" else "internal error"
    return "failed", f"{kind}: {type(exc).__name__} in {_raised_in(exc)}"


def _not_an_image(exc: BaseException, source: str) -> bool:
    """A readable non-image (RT plan, SR, DICOMDIR; a text file without an image suffix)."""
    text = str(exc)
    if "unknown file type" in text:
        return True
    if "no image in this DICOM file" in text or "not a DICOM file" in text:
        kind = _dicom_kind(source)
        if kind is not None:
            return kind == "other"
        return Path(source).suffix.lower() not in IMAGE_SUFFIXES
    return False


def _dicom_kind(source: str) -> str | None:
    """ "image" for an image's DICOM header (Rows, or an image SOP class such as MR Image
    Storage: without pixel data it was cut short), "other" for a non-image DICOM object
    (RT plan, SR, DICOMDIR), None when the file is no DICOM at all."""
    import pydicom

    try:
        ds = pydicom.dcmread(source, stop_before_pixels=True, force=True)
    except Exception:  # pydicom raises many types for what is not DICOM
        return None
    sop_class = ds.get("SOPClassUID")
    if "Rows" in ds or "Image" in str(getattr(sop_class, "name", "")):
        return "image"
    return "other" if sop_class is not None or "DirectoryRecordSequence" in ds else None


def _first_line(message: str, source: str) -> str:
    line = (message.strip().splitlines() or [""])[0]
    if line.startswith(source):  # the row names the file already
        line = line[len(source) :].lstrip(": ")
    return line[:300]


def _raised_in(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if "medcomp_gui" in f.filename] or frames
    if not ours:
        return "unknown place"
    frame = ours[-1]
    module = Path(frame.filename).stem
    return f"{module}.{frame.name}"


def _finite(value: float) -> float | None:
    return round(float(value), 6) if math.isfinite(value) else None


def _join(a: str, b: str) -> str:
    return f"{a}; {b}" if a else b


def prepare_worker(codec: str, niceness: int = 0) -> None:
    """Load what every task of ``codec`` needs, once per worker process (RWNet's model
    and tables, a native library): a small image is encoded once and thrown away."""
    import numpy as np

    from medcomp_gui.codecs import get_codec
    from medcomp_gui.imaging.image import MedicalImage

    if niceness and hasattr(os, "nice"):
        os.nice(niceness)
    if not codec:
        return
    ramp = np.add.outer(np.arange(64), np.arange(64)).astype(np.uint16) * 16
    try:
        get_codec(codec).encode(MedicalImage(pixels=ramp, bits_stored=12))
    except Exception:  # a codec that fails here fails each task, with its reason
        pass
