"""Codec registry: codecs registered by a stable name and imported on first use.

The CLI's choices, the GUI's combo box and the benchmarks are all built from
:func:`codec_names`. Importing this package imports no codec module (and so neither
TensorFlow nor imagecodecs) until :func:`get_codec` is called for it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from medcomp_gui.errors import CodecError

if TYPE_CHECKING:
    from medcomp_gui.codecs.base import Codec

#: name -> "module:attribute" of a zero-argument factory or class.
_REGISTRY: dict[str, str] = {
    "rwnet": "medcomp_gui.codecs.rwnet.codec:RWNetCodec",
    "svd": "medcomp_gui.codecs.svd_codec:SVDCodec",
    "jpeg2000": "medcomp_gui.codecs.jpeg2000_codec:JPEG2000Codec",
    "htj2k": "medcomp_gui.codecs.htj2k_codec:HTJ2KCodec",
    "jpegls": "medcomp_gui.codecs.jpegls_codec:JPEGLSCodec",
    "jpegxl": "medcomp_gui.codecs.jpegxl_codec:JPEGXLCodec",
}
_INSTANCES: dict[str, Codec] = {}


def codec_names() -> list[str]:
    """Every registered name, in a stable order."""
    return list(_REGISTRY)


def get_codec(name: str) -> Codec:
    """The codec registered as ``name`` (imported now if not yet)."""
    if name not in _REGISTRY:
        raise CodecError(f"unknown codec {name!r}; choose one of: {', '.join(_REGISTRY)}")
    if name not in _INSTANCES:
        module_name, attr = _REGISTRY[name].split(":")
        factory = getattr(importlib.import_module(module_name), attr)
        _INSTANCES[name] = factory()
    return _INSTANCES[name]


def dicom_codec_names() -> list[str]:
    """Codecs that write a standard DICOM transfer syntax (those with ``encode_dicom``;
    imports their modules, which import no heavy dependency at module level)."""
    return [name for name in _REGISTRY if hasattr(get_codec(name), "encode_dicom")]
