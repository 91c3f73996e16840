"""The in-memory image every layer works on."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from pydicom.dataset import Dataset

#: Stored-value dtypes the core handles (DICOM Bits Allocated 8 or 16).
SUPPORTED_DTYPES = (np.dtype(np.uint8), np.dtype(np.uint16), np.dtype(np.int16))
GREY_PHOTOMETRICS = ("MONOCHROME1", "MONOCHROME2")
#: Most pixels (all frames) an image may have: 16384 x 16384 (decoders may allocate
#: float64 frames of this size).
MAX_PIXELS = 1 << 28


@dataclass(frozen=True)
class WindowPreset:
    """A display window in output units (HU for CT), as DICOM defines centre/width."""

    center: float
    width: float
    name: str = ""


#: Modality default windows (centre, width) in output units, appended to the file's own
#: (``dicom_io``).
MODALITY_WINDOWS: dict[str, tuple[WindowPreset, ...]] = {
    "CT": (
        WindowPreset(40, 80, "brain"),
        WindowPreset(-600, 1500, "lung"),
        WindowPreset(400, 1800, "bone"),
        WindowPreset(50, 400, "abdomen"),
        WindowPreset(50, 350, "mediastinum"),
    ),
}


@dataclass
class MedicalImage:
    """Stored pixel values plus what is needed to interpret and re-export them.

    ``pixels`` holds the stored values in their own dtype (uint8, uint16 or int16),
    shape ``(rows, cols)`` or ``(frames, rows, cols)``; never rescaled, never resized.
    ``dataset`` is the source DICOM header with the pixel data removed (``None`` for
    PNG/TIFF/JPEG/NPY sources), kept so that no attribute is ever lost.
    """

    pixels: np.ndarray
    bits_stored: int
    photometric: str = "MONOCHROME2"
    rescale_slope: float = 1.0
    rescale_intercept: float = 0.0
    modality: str = "OT"
    windows: tuple[WindowPreset, ...] = ()
    dataset: Dataset | None = field(default=None, repr=False)
    source: str = ""
    #: what the reader ignored or corrected (one line each, no patient data), e.g. an
    #: unreadable WindowWidth; shown once by the CLI and kept in reports
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.pixels.dtype not in SUPPORTED_DTYPES:
            raise ValueError(f"unsupported pixel dtype {self.pixels.dtype}")
        if self.pixels.ndim not in (2, 3):
            raise ValueError(f"pixels must be 2-D or 3-D, not {self.pixels.ndim}-D")
        if not 1 <= self.bits_stored <= self.pixels.dtype.itemsize * 8:
            raise ValueError(f"bits_stored {self.bits_stored} does not fit {self.pixels.dtype}")

    @property
    def signed(self) -> bool:
        return self.pixels.dtype.kind == "i"

    @property
    def bits_allocated(self) -> int:
        return self.pixels.dtype.itemsize * 8

    @property
    def frames(self) -> np.ndarray:
        """Pixels as ``(frames, rows, cols)`` (a view, never a copy)."""
        return self.pixels if self.pixels.ndim == 3 else self.pixels[np.newaxis]

    @property
    def n_frames(self) -> int:
        return self.frames.shape[0]

    @property
    def rows(self) -> int:
        return self.pixels.shape[-2]

    @property
    def cols(self) -> int:
        return self.pixels.shape[-1]

    @property
    def n_pixels(self) -> int:
        """Pixels over all frames."""
        return int(self.pixels.size)

    @property
    def stored_range(self) -> tuple[int, int]:
        """The smallest and largest value ``bits_stored`` can hold."""
        if self.signed:
            return -(1 << (self.bits_stored - 1)), (1 << (self.bits_stored - 1)) - 1
        return 0, (1 << self.bits_stored) - 1

    @property
    def peak(self) -> int:
        """PSNR peak: ``2**bits_stored - 1`` (DESIGN.md)."""
        return (1 << self.bits_stored) - 1

    @property
    def original_bytes(self) -> int:
        """Uncompressed size: pixels x BitsAllocated / 8."""
        return self.n_pixels * self.bits_allocated // 8

    def with_true_bits(self) -> MedicalImage:
        """This image, or a copy whose ``bits_stored`` covers every stored value (some
        modalities write values above Bits Stored): coded at their true range, nothing
        clipped, and a note that says so."""
        needed = needed_bits(self.pixels)
        if needed <= self.bits_stored:
            return self
        note = (
            f"stored values need {needed} bits but BitsStored is {self.bits_stored}: "
            f"read as {needed} bits (outputs say BitsStored {needed})"
        )
        return dataclasses.replace(self, bits_stored=needed, notes=(*self.notes, note))

    def with_pixels(self, pixels: np.ndarray, **changes: object) -> MedicalImage:
        """A copy with other pixels (same dtype and meaning), sharing the header."""
        return dataclasses.replace(self, pixels=pixels, **changes)


def needed_bits(pixels: np.ndarray) -> int:
    """The fewest bits that hold every value of ``pixels`` (signed: with the sign bit)."""
    if pixels.size == 0:
        return 1
    low, high = int(pixels.min()), int(pixels.max())
    if pixels.dtype.kind == "i":
        return max(high.bit_length(), (-low - 1).bit_length()) + 1
    return max(high.bit_length(), 1)
