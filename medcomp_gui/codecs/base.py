"""The one protocol every codec follows.

A codec turns a :class:`~medcomp_gui.imaging.MedicalImage` into a payload (bytes) and
back. The .mcz container (``medcomp_gui.container``) wraps the payload with a header that
records shape, dtype, bits stored, the codec's name and the parameters it used, so a
codec's ``decode`` receives that header and must validate its payload against it.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from medcomp_gui.errors import CodecError

if TYPE_CHECKING:
    from medcomp_gui.imaging.image import MedicalImage


@dataclass(frozen=True)
class ParamSpec:
    """One encoding parameter: its name, type, range and meaning (for CLI, GUI, docs)."""

    name: str
    kind: type  # int, float or bool
    low: float | None = None
    high: float | None = None
    default: Any = None
    help: str = ""

    def check(self, value: Any) -> Any:
        """Return ``value`` converted to ``kind``; CodecError when out of range."""
        try:
            converted = self.kind(value)
        except (TypeError, ValueError) as exc:
            raise CodecError(f"{self.name} must be a {self.kind.__name__}, not {value!r}") from exc
        if self.kind is not bool:
            if not math.isfinite(float(min(max(converted, -1e308), 1e308))):  # huge ints too
                raise CodecError(f"{self.name} must be finite, not {value!r}")
            if self.low is not None and converted < self.low:
                raise CodecError(f"{self.name} must be >= {self.low}, not {value}")
            if self.high is not None and converted > self.high:
                raise CodecError(f"{self.name} must be <= {self.high}, not {value}")
        return converted

    def describe(self) -> str:
        bounds = ""
        if self.low is not None or self.high is not None:
            low = "" if self.low is None else self.low
            high = "" if self.high is None else self.high
            bounds = f" [{low}..{high}]"
        default = f" (default {self.default})" if self.default is not None else ""
        return f"--{self.name.replace('_', '-')} {self.kind.__name__}{bounds}{default}: {self.help}"


@dataclass
class Encoded:
    """What ``Codec.encode`` returns.

    ``params``: the parameters actually used (defaults filled in, targets resolved),
    stored in the .mcz header. ``extra``: codec-specific header fields that ``decode``
    needs (e.g. RWNet's model id, hash and normalisation), JSON-serialisable.
    """

    payload: bytes
    params: dict[str, Any]
    lossless: bool
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PayloadInfo:
    """What ``Codec.decode`` may rely on: the validated .mcz header fields."""

    shape: tuple[int, ...]  # (rows, cols) or (frames, rows, cols)
    dtype: np.dtype
    bits_stored: int
    params: dict[str, Any]
    extra: dict[str, Any]


class Codec(Protocol):
    """A registered codec. Implementations import heavy dependencies lazily."""

    name: str
    description: str
    params: tuple[ParamSpec, ...]
    #: DICOM Lossy Image Compression Method (0028,2114) of its lossy output: the defined
    #: term (PS3.3 C.7.6.1.1.5.1, e.g. ISO_15444_1), or where the standard has none a
    #: medcomp term MEDCOMP_<CODEC> (Defined Terms may be extended), so that Method
    #: always keeps in step with Lossy Image Compression Ratio, value by value.
    dicom_method: str

    def availability(self) -> str | None:
        """``None`` when usable, else what is missing and how to install it."""

    def is_lossless(self, params: dict[str, Any]) -> bool:
        """Whether a payload made with ``params`` (as :class:`Encoded` records them)
        decodes to exactly the values encoded; CodecError for parameters it never writes.

        The .mcz header's ``lossless`` flag must agree (``medcomp_gui.container``): the
        codec decides, a header cannot claim otherwise.
        """

    def encode(self, image: MedicalImage, **params: Any) -> Encoded:
        """Compress all frames of ``image``; raises CodecError on bad parameters."""

    def decode(self, payload: bytes, info: PayloadInfo) -> np.ndarray:
        """Stored values of dtype ``info.dtype`` and shape ``info.shape``.

        Must raise CodecError (never anything else) for a payload it cannot decode.
        """


def resolve_params(codec: Codec, given: dict[str, Any]) -> dict[str, Any]:
    """Check ``given`` against ``codec.params``: unknown names and bad values are errors.

    Parameters left out and without a default are left out of the result.
    """
    specs = {spec.name: spec for spec in codec.params}
    unknown = sorted(set(given) - set(specs))
    if unknown:
        known = ", ".join(specs) or "none"
        raise CodecError(f"codec {codec.name!r} has no parameter {unknown[0]!r} (it has: {known})")
    out: dict[str, Any] = {}
    for name, spec in specs.items():
        value = given.get(name, spec.default)
        if value is not None:
            out[name] = spec.check(value)
    return out


def to_unsigned(frames: np.ndarray, bits_stored: int) -> np.ndarray:
    """Map signed stored values to unsigned by adding ``2**(bits_stored-1)``.

    A bijection that changes no difference between values, so codecs that take only
    unsigned samples stay lossless and their PSNR is unchanged.
    """
    if frames.dtype.kind != "i":
        return frames
    offset = 1 << (bits_stored - 1)
    return (frames.astype(np.int32) + offset).astype(np.uint16)


def from_unsigned(frames: np.ndarray, dtype: np.dtype, bits_stored: int) -> np.ndarray:
    """Inverse of :func:`to_unsigned`, clipped to the stored range of ``dtype``."""
    dtype = np.dtype(dtype)
    if dtype.kind != "i":
        return np.clip(frames, 0, (1 << bits_stored) - 1).astype(dtype)
    offset = 1 << (bits_stored - 1)
    return np.clip(frames.astype(np.int32) - offset, -offset, offset - 1).astype(dtype)


@contextlib.contextmanager
def native_errors(what: str) -> Iterator[None]:
    """Turn any failure inside a native coder (constriction, OpenJPEG, CharLS, libjxl)
    into CodecError(``what (reason)``).

    constriction reports a broken invariant with a Rust panic: pyo3's PanicException,
    which derives from BaseException, not Exception, so ``except Exception`` misses it.
    """
    try:
        yield
    except CodecError:
        raise
    except Exception as exc:  # native libraries raise many types for damaged data
        reason = " ".join(str(exc).split())[:120] or type(exc).__name__
        raise CodecError(f"{what} ({reason})") from exc
    except BaseException as exc:
        if type(exc).__name__ != "PanicException":
            raise
        raise CodecError(f"{what} (the entropy coder stopped on an internal check)") from exc
