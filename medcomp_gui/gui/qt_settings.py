"""What the viewer remembers between sessions (QSettings, organisation "medcomp"):
user window presets per modality, the corner overlays' switch, the save dialog's last
codec and format.

``MEDCOMP_GUI_SETTINGS`` names an INI file to use instead of the user's settings (the
tests and the screenshot script use it, so that they neither read nor change a user's).
"""

from __future__ import annotations

import json
import os
from typing import Any

from PySide6.QtCore import QSettings

from medcomp_gui.imaging.image import WindowPreset

ENV = "MEDCOMP_GUI_SETTINGS"


class QtViewerSettings:
    def __init__(self) -> None:
        path = os.environ.get(ENV)
        if path:
            self.store = QSettings(path, QSettings.Format.IniFormat)
        else:
            self.store = QSettings("medcomp", "medcomp-gui")

    def _get(self, key: str, default: Any) -> Any:
        raw = self.store.value(key)
        if raw is None:
            return default
        try:
            return json.loads(str(raw))
        except ValueError:
            return default

    def _set(self, key: str, value: Any) -> None:
        self.store.setValue(key, json.dumps(value))
        self.store.sync()

    # -- window presets ------------------------------------------------------------
    def user_presets(self, modality: str) -> list[WindowPreset]:
        rows = self._get(f"presets/{modality.upper() or 'OT'}", [])
        presets = []
        for row in rows if isinstance(rows, list) else []:
            try:
                presets.append(WindowPreset(float(row[1]), float(row[2]), str(row[0])))
            except (TypeError, ValueError, IndexError):
                continue
        return presets

    def add_user_preset(self, modality: str, preset: WindowPreset) -> None:
        key = f"presets/{modality.upper() or 'OT'}"
        rows = [
            [p.name, p.center, p.width]
            for p in self.user_presets(modality)
            if p.name != preset.name
        ]
        self._set(key, [*rows, [preset.name, preset.center, preset.width]])

    # -- overlays ------------------------------------------------------------------
    def overlays(self) -> bool:
        return bool(self._get("view/overlays", True))

    def set_overlays(self, on: bool) -> None:
        self._set("view/overlays", on)

    # -- save dialog ---------------------------------------------------------------
    def last_save(self) -> dict[str, Any]:
        """``{"codec": name or "best", "format": ".mcz" | ".dcm"}`` of the last save."""
        value = self._get("save/last", {})
        return value if isinstance(value, dict) else {}

    def set_last_save(self, codec: str, suffix: str) -> None:
        self._set("save/last", {"codec": codec, "format": suffix})
