"""A batch's settings, checked once before any file is touched.

Every mistake a user can make on the command line or in the dialog — an unknown codec,
one whose dependency is missing, a parameter out of range, a codec that cannot write
.dcm, a quality target together with a fixed setting — is a :class:`BatchUsageError`
here, before the first file is read (the CLI's exit status 2).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from medcomp_gui.errors import MedcompError

FORMATS = ("mcz", "dcm")
#: PSNR targets accepted (dB): below 10 nothing is recognisable, above 150 is lossless.
PSNR_RANGE = (10.0, 150.0)


class BatchUsageError(MedcompError):
    """The batch's settings are wrong; nothing was done."""


@dataclass(frozen=True)
class Settings:
    """What a batch does to every file.

    ``params``: the codec's fixed parameters as given (checked); ``psnr`` /
    ``max_error`` / ``within_guideline``: per-image quality targets, met by searching
    the codec's rate setting (:mod:`.targets`). ``decode``: restore .mcz files to DICOM.
    """

    codec: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    format: str = "mcz"
    psnr: float | None = None
    max_error: int | None = None
    within_guideline: bool = False
    decode: bool = False

    @property
    def suffix(self) -> str:
        return f".{self.format}"

    @property
    def targeted(self) -> bool:
        return self.psnr is not None or self.max_error is not None or self.within_guideline

    def key(self) -> str:
        """A stable text of everything that shapes an output (the journal compares it)."""
        return json.dumps(
            {
                "codec": self.codec,
                "params": self.params,
                "format": self.format,
                "psnr": self.psnr,
                "max_error": self.max_error,
                "within_guideline": self.within_guideline,
                "decode": self.decode,
            },
            sort_keys=True,
        )

    def describe(self) -> str:
        if self.decode:
            return "restore .mcz to DICOM"
        parts = [self.codec, *(f"{k}={v}" for k, v in self.params.items())]
        if self.psnr is not None:
            parts.append(f"target PSNR >= {self.psnr:g} dB")
        if self.max_error is not None:
            parts.append(f"target max error <= {self.max_error}")
        if self.within_guideline:
            parts.append("within the CAR 2008 guideline")
        return " ".join(parts) + f" -> .{self.format}"


def check_settings(
    codec: str,
    params: dict[str, Any] | None = None,
    *,
    format: str = "mcz",
    psnr: float | None = None,
    max_error: int | None = None,
    within_guideline: bool = False,
) -> Settings:
    """Settings for a compression batch, or BatchUsageError saying what is wrong."""
    from medcomp_gui.batch.targets import knob_for
    from medcomp_gui.codecs import codec_names, dicom_codec_names, get_codec
    from medcomp_gui.codecs.base import resolve_params

    params = dict(params or {})
    if codec not in codec_names():
        raise BatchUsageError(f"unknown codec {codec!r}; choose one of: {', '.join(codec_names())}")
    if format not in FORMATS:
        raise BatchUsageError(f"output format must be one of {', '.join(FORMATS)}, not {format!r}")
    if format == "dcm" and codec not in dicom_codec_names():
        raise BatchUsageError(
            f"{codec} has no DICOM transfer syntax; use --format mcz, or one of: "
            f"{', '.join(dicom_codec_names())} for .dcm"
        )
    chosen = get_codec(codec)
    if (missing := chosen.availability()) is not None:
        raise BatchUsageError(f"codec {codec} is not available: {missing}")
    try:
        resolve_params(chosen, params)
    except MedcompError as exc:
        raise BatchUsageError(str(exc)) from exc
    if psnr is not None and not PSNR_RANGE[0] <= psnr <= PSNR_RANGE[1]:
        raise BatchUsageError(f"--psnr must be {PSNR_RANGE[0]:g}..{PSNR_RANGE[1]:g} dB, not {psnr}")
    if max_error is not None and max_error < 0:
        raise BatchUsageError(f"--max-error must be 0 or more, not {max_error}")
    if psnr is not None and max_error is not None:
        raise BatchUsageError("give either --psnr or --max-error, not both")
    settings = Settings(codec, params, format, psnr, max_error, within_guideline)
    if settings.targeted:
        knob = knob_for(codec)
        if knob is None:
            raise BatchUsageError(f"{codec} has no rate setting to search for a quality target")
        if (psnr is not None or max_error is not None) and (
            fixed := sorted(set(params) & {knob.name, *knob.conflicts})
        ):
            raise BatchUsageError(
                f"give either a quality target or --{fixed[0].replace('_', '-')}, not both"
            )
    return settings


def decode_settings() -> Settings:
    """Settings of a restore batch (.mcz -> DICOM)."""
    return Settings(format="dcm", decode=True)
