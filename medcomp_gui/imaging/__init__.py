"""Images in and out: :func:`load_image` for every supported format, atomic writes."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path

from medcomp_gui.errors import CorruptFileError, MedcompError, OutputError
from medcomp_gui.imaging.image import MedicalImage, WindowPreset

__all__ = ["MedicalImage", "WindowPreset", "load_image", "write_atomic", "MAX_INPUT_BYTES"]

#: Inputs larger than this are refused before reading (2 GiB).
MAX_INPUT_BYTES = 2 << 30


def load_image(path: str | os.PathLike[str]) -> MedicalImage:
    """Read a DICOM, PNG, TIFF, JPEG or NPY file (by content for DICOM, else by suffix).

    Raises a MedcompError subclass, naming the file, for missing, foreign, damaged or
    unsupported files.
    """
    from medcomp_gui.imaging.dicom_io import read_dicom
    from medcomp_gui.imaging.raster_io import RASTER_SUFFIXES, read_raster

    path = Path(path)
    if not path.exists():
        raise MedcompError(f"{path}: no such file")
    if path.is_dir():
        raise MedcompError(f"{path}: is a folder, not an image file")
    size = path.stat().st_size
    if size == 0:
        raise CorruptFileError(f"{path}: empty file")
    if size > MAX_INPUT_BYTES:
        raise MedcompError(f"{path}: {size} bytes is larger than the {MAX_INPUT_BYTES} limit")
    try:
        with path.open("rb") as f:
            head = f.read(132)
    except OSError as exc:
        raise MedcompError(f"{path}: cannot read ({exc.strerror})") from exc
    if head[128:132] == b"DICM" or path.suffix.lower() in (".dcm", ".dicom", ""):
        return read_dicom(path)
    if head.startswith(b"MCZ"):
        raise MedcompError(f"{path}: a compressed .mcz file; decode it with `medcomp decode`")
    if path.suffix.lower() in RASTER_SUFFIXES:
        return read_raster(path)
    raise MedcompError(
        f"{path}: unknown file type (DICOM, {', '.join(RASTER_SUFFIXES)} are supported)"
    )


def _create_temporary(path: Path, directory: Path) -> tuple[int, str]:
    """A new hidden file beside ``path``, created with mode 0666 so that the user's umask
    gives it the user's normal permissions (``tempfile.mkstemp`` would make it 0600)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        tmp = str(directory / f".{path.name}.{secrets.token_hex(6)}.part")
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name beside {path}")


def write_atomic(
    path: str | os.PathLike[str], data: bytes, verify: Callable[[Path], object] | None = None
) -> Path:
    """Write ``data`` to a temporary file beside ``path``, then rename it into place.

    ``verify(temporary_path)``, if given, runs on the complete temporary file before
    the rename; whatever it raises is raised here. An existing file at ``path`` is
    replaced only once the new one is complete (and verified); a failure leaves nothing
    behind. OutputError names the path and the reason.
    """
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise OutputError(f"{path}: folder {directory} does not exist")
    try:
        fd, tmp = _create_temporary(path, directory)
    except OSError as exc:
        raise OutputError(f"{path}: cannot write here ({exc.strerror})") from exc
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        if verify is not None:
            verify(Path(tmp))
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise OutputError(f"{path}: cannot write ({exc.strerror})") from exc
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
