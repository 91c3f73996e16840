"""Layer rules of DESIGN.md, enforced by tests rather than memory."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _modules_after(statement: str) -> set[str]:
    code = f"import sys; {statement}; print(' '.join(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return set(result.stdout.split())


def test_api_imports_neither_qt_nor_tensorflow():
    loaded = _modules_after("import medcomp_gui.api, medcomp_gui.cli, medcomp_gui.codecs")
    assert not {
        m for m in loaded if m.split(".")[0] in {"PySide6", "pyqtgraph", "tensorflow", "keras"}
    }


def test_codec_registry_does_not_import_tensorflow_until_rwnet_is_used():
    loaded = _modules_after(
        "from medcomp_gui.codecs import codec_names, get_codec; codec_names(); "
        "get_codec('svd'); get_codec('jpeg2000')"
    )
    assert "tensorflow" not in loaded and "keras" not in loaded


def test_import_contracts_hold():
    result = subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports"))],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
