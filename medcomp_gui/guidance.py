"""Clinical guidance on irreversible compression ratios.

The Canadian Association of Radiologists' standard for irreversible compression (2008)
gives the highest JPEG / JPEG 2000 ratios found diagnostically acceptable, by modality
(ratio = original 16-bit storage / compressed size). Lossy settings are shown against
them and a warning is given above them.
"""

from __future__ import annotations

#: Modality (DICOM defined term) -> highest acceptable ratio.
CAR_2008_RATIOS: dict[str, float] = {
    "CR": 30.0,
    "DX": 30.0,
    "MG": 25.0,
    "CT": 15.0,
    "MR": 24.0,
    "US": 12.0,
    "NM": 11.0,
}
#: Stricter limits for body parts the standard names separately.
_BODY_PART_RATIOS = {("CT", "HEAD"): 12.0, ("CT", "BRAIN"): 12.0}


def guideline_ratio(modality: str, body_part: str = "") -> float | None:
    """The CAR 2008 limit for ``modality`` (and body part), or None when it names none."""
    return _BODY_PART_RATIOS.get((modality, body_part.upper()), CAR_2008_RATIOS.get(modality))


def ratio_warning(ratio: float, modality: str, body_part: str = "") -> str | None:
    """A warning when ``ratio`` exceeds the guideline for the modality, else None."""
    limit = guideline_ratio(modality, body_part)
    if limit is None or ratio <= limit:
        return None
    return (
        f"ratio {ratio:.1f}:1 exceeds the CAR 2008 guideline of {limit:g}:1 for {modality}"
        f"{' ' + body_part.lower() if (modality, body_part.upper()) in _BODY_PART_RATIOS else ''};"
        " check diagnostic quality"
    )
