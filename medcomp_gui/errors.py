"""Errors the core raises on purpose.

Every failure caused by bad input (a corrupt file, an unsupported image, an unwritable
path, a wrong parameter) is a :class:`MedcompError`; the CLI turns it into a one-line
message and exit status 2, the GUI into a message box. Anything else is a bug.
"""

from __future__ import annotations


class MedcompError(Exception):
    """Base class of the errors that describe bad input, not bugs."""


class UnsupportedImageError(MedcompError):
    """The file is readable but holds an image (or no image) we refuse to convert."""


class CorruptFileError(MedcompError):
    """The file is truncated, damaged or not of the type its name claims."""


class CodecError(MedcompError):
    """A codec refused its parameters or could not decode its payload."""


class CodecUnavailableError(CodecError):
    """A codec's optional dependency is missing; the message says what to install."""


class OutputError(MedcompError):
    """An output file could not be written."""
