"""Preset dictionaries of the .mcz format version 2 (:mod:`medcomp_gui.container`).

A .mcz v2 file deflates its header and its embedded DICOM header with a preset
dictionary (zlib's ``zdict``): strings that such headers usually hold, so that a small
header costs bytes only for what is particular to it. Both dictionaries are part of the
format: they are built here by fixed code from fixed lists, and must never change
(a test pins their sha256); a new dictionary needs a new format version.
"""

from __future__ import annotations

import json
import struct

#: the JSON fields of a v2 header, with typical values (the end of a zdict is the
#: cheapest to refer to: the commonest strings come last)
_HEADER_TEMPLATES = (
    {"codec": "jpegls", "params": {"near": 0}, "lossless": True},
    {"codec": "jpegxl", "params": {"distance": 1.0}, "lossless": False},
    {"codec": "svd", "params": {"rank": 16}, "lossless": False},
    {"codec": "jpeg2000", "params": {"lossless": True}, "lossless": True},
    {"codec": "jpeg2000", "params": {"psnr": 50.0}, "lossless": False},
    {
        "codec": "rwnet",
        "params": {"quality": 4},
        "shape": [512, 512],
        "dtype": "uint16",
        "bits_stored": 12,
        "lossless": False,
        "photometric": "MONOCHROME2",
        "rescale": [1.0, -1024.0],
        "modality": "CT",
        "windows": [[40.0, 400.0, ""], [1000.0, 2000.0, "WINDOW1"]],
        "extra": {
            "model_id": "rwnet-v5",
            "model_hash": "",
            "normalisation": {"kind": "minmax", "low": [0], "high": [4095]},
        },
    },
    {
        "codec": "rwnet",
        "params": {"quality": 4},
        "shape": [1024, 1024],
        "dtype": "uint16",
        "bits_stored": 16,
        "lossless": False,
        "photometric": "MONOCHROME1",
        "rescale": [1.0, 0.0],
        "modality": "MR",
        "windows": [],
        "extra": {
            "model_id": "rwnet-v5",
            "model_hash": "",
            "normalisation": {"kind": "minmax", "low": [0], "high": [1]},
        },
    },
)
#: the default CT presets (``imaging.dicom_io.MODALITY_WINDOWS``) as headers list them
_CT_WINDOWS = (
    b'[40,80,"brain"],[-600,1500,"lung"],[400,1800,"bone"],[50,400,"abdomen"],'
    b'[50,350,"mediastinum"]]'
)
HEADER_DICT = (
    b"".join(json.dumps(t, separators=(",", ":")).encode() for t in _HEADER_TEMPLATES)
    + b'"int16","uint8","OT","US","CR","DX","MG","NM","PT","XA","RF","SC"'
    + _CT_WINDOWS
)

#: (group, element, VR, value) of elements DICOM headers commonly hold, in tag order
_DICOM_ELEMENTS = (
    (0x0002, 0x0000, "UL", 200),
    (0x0002, 0x0001, "OB", b"\x00\x01"),
    (0x0002, 0x0002, "UI", "1.2.840.10008.5.1.4.1.1.4"),
    (0x0002, 0x0003, "UI", "1.2.826.0.1.3680043.8.498.1"),
    (0x0002, 0x0010, "UI", "1.2.840.10008.1.2.1"),
    (0x0002, 0x0012, "UI", "1.2.826.0.1.3680043.8.498.1"),
    (0x0002, 0x0013, "SH", "PYDICOM 3.0.0"),
    (0x0008, 0x0005, "CS", "ISO_IR 100"),
    (0x0008, 0x0008, "CS", "ORIGINAL\\PRIMARY\\AXIAL"),
    (0x0008, 0x0016, "UI", "1.2.840.10008.5.1.4.1.1.2"),
    (0x0008, 0x0018, "UI", "1.2.826.0.1.3680043.8.498.1"),
    (0x0008, 0x0020, "DA", "20200101"),
    (0x0008, 0x0021, "DA", "20200101"),
    (0x0008, 0x0022, "DA", "20200101"),
    (0x0008, 0x0023, "DA", "20200101"),
    (0x0008, 0x0030, "TM", "120000"),
    (0x0008, 0x0031, "TM", "120000"),
    (0x0008, 0x0032, "TM", "120000"),
    (0x0008, 0x0033, "TM", "120000"),
    (0x0008, 0x0050, "SH", ""),
    (0x0008, 0x0060, "CS", "CT"),
    (0x0008, 0x0070, "LO", "SIEMENS GE MEDICAL SYSTEMS Philips Medical Systems TOSHIBA"),
    (0x0008, 0x0080, "LO", ""),
    (0x0008, 0x0090, "PN", ""),
    (0x0008, 0x1030, "LO", ""),
    (0x0008, 0x103E, "LO", ""),
    (0x0008, 0x1090, "LO", ""),
    (0x0010, 0x0010, "PN", "Anonymized"),
    (0x0010, 0x0020, "LO", ""),
    (0x0010, 0x0030, "DA", "19700101"),
    (0x0010, 0x0040, "CS", "O"),
    (0x0010, 0x1010, "AS", "000Y"),
    (0x0018, 0x0015, "CS", "HEAD"),
    (0x0018, 0x0050, "DS", "1.0"),
    (0x0018, 0x0060, "DS", "120"),
    (0x0018, 0x0088, "DS", "1.0"),
    (0x0018, 0x1020, "LO", ""),
    (0x0018, 0x1030, "LO", ""),
    (0x0018, 0x5100, "CS", "HFS"),
    (0x0020, 0x000D, "UI", "1.2.826.0.1.3680043.8.498.1"),
    (0x0020, 0x000E, "UI", "1.2.826.0.1.3680043.8.498.1"),
    (0x0020, 0x0010, "SH", "1"),
    (0x0020, 0x0011, "IS", "1"),
    (0x0020, 0x0012, "IS", "1"),
    (0x0020, 0x0013, "IS", "1"),
    (0x0020, 0x0032, "DS", "-125.0\\-125.0\\0.0"),
    (0x0020, 0x0037, "DS", "1.0\\0.0\\0.0\\0.0\\1.0\\0.0"),
    (0x0020, 0x0052, "UI", "1.2.826.0.1.3680043.8.498.1"),
    (0x0020, 0x1041, "DS", "0.0"),
    (0x0028, 0x0002, "US", 1),
    (0x0028, 0x0004, "CS", "MONOCHROME2"),
    (0x0028, 0x0010, "US", 512),
    (0x0028, 0x0011, "US", 512),
    (0x0028, 0x0030, "DS", "0.5\\0.5"),
    (0x0028, 0x0100, "US", 16),
    (0x0028, 0x0101, "US", 12),
    (0x0028, 0x0102, "US", 11),
    (0x0028, 0x0103, "US", 0),
    (0x0028, 0x1050, "DS", "40"),
    (0x0028, 0x1051, "DS", "400"),
    (0x0028, 0x1052, "DS", "-1024"),
    (0x0028, 0x1053, "DS", "1"),
    (0x0028, 0x1054, "LO", "HU"),
)
_LONG_VRS = {"OB", "OW", "OF", "SQ", "UT", "UN", "UC", "UR"}


def _element(group: int, element: int, vr: str, value) -> bytes:
    """Explicit VR little endian bytes of one element (values padded to even length)."""
    if vr in ("UL",):
        data = struct.pack("<I", value)
    elif vr in ("US",):
        data = struct.pack("<H", value)
    else:
        data = value if isinstance(value, bytes) else value.encode("ascii")
        if len(data) % 2:
            data += b"\x00" if vr == "UI" else b" "
    head = struct.pack("<HH", group, element) + vr.encode()
    if vr in _LONG_VRS:
        return head + b"\x00\x00" + struct.pack("<I", len(data)) + data
    return head + struct.pack("<H", len(data)) + data


#: a small file as pydicom writes it (file meta, then the elements a minimal image
#: holds), placeholder UIDs: the commonest layout, so it sits at the dictionary's end
_MINIMAL_FILE = (
    (0x0002, 0x0000, "UL", 206),
    (0x0002, 0x0001, "OB", b"\x00\x01"),
    (0x0002, 0x0002, "UI", "1.2.840.10008.5.1.4.1.1.4"),
    (0x0002, 0x0003, "UI", "1.2.826.0.1.3680043.8.498.10000000000000000000000000000000000000"),
    (0x0002, 0x0010, "UI", "1.2.840.10008.1.2.1"),
    (0x0002, 0x0012, "UI", "1.2.826.0.1.3680043.8.498.1"),
    (0x0002, 0x0013, "SH", "PYDICOM 3.0.0"),
    (0x0008, 0x0008, "CS", "ORIGINAL\\PRIMARY\\AXIAL"),
    (0x0008, 0x0016, "UI", "1.2.840.10008.5.1.4.1.1.4"),
    (0x0008, 0x0018, "UI", "1.2.826.0.1.3680043.8.498.10000000000000000000000000000000000000"),
    (0x0008, 0x0050, "SH", ""),
    (0x0008, 0x0060, "CS", "MR"),
    (0x0008, 0x1030, "LO", ""),
    (0x0010, 0x0010, "PN", ""),
    (0x0010, 0x0020, "LO", ""),
    (0x0010, 0x0030, "DA", "19700101"),
    (0x0020, 0x000D, "UI", "1.2.826.0.1.3680043.8.498.10000000000000000000000000000000000000"),
    (0x0020, 0x000E, "UI", "1.2.826.0.1.3680043.8.498.10000000000000000000000000000000000000"),
    (0x0028, 0x0002, "US", 1),
    (0x0028, 0x0004, "CS", "MONOCHROME2"),
    (0x0028, 0x0010, "US", 256),
    (0x0028, 0x0011, "US", 256),
    (0x0028, 0x0100, "US", 16),
    (0x0028, 0x0101, "US", 12),
    (0x0028, 0x0102, "US", 11),
    (0x0028, 0x0103, "US", 0),
)

DICOM_DICT = (
    b"\x00" * 16
    + b"DICM"
    + b"".join(_element(*e) for e in _DICOM_ELEMENTS)
    + b"1.2.840.10008.5.1.4.1.1.1.1.2.840.10008.5.1.4.1.1.128.1.2.840.113619.2."
    + b"1.3.12.2.1107.5.1.3.46.670589.1.2.392.200036.9116.1.2.840.113704."
    + b"\x00" * 128
    + b"DICM"
    + b"".join(_element(*e) for e in _MINIMAL_FILE)
)
