"""medcomp: viewer and compressor for medical images."""

__version__ = "0.1.0"
