"""Render resources/icons/medcomp.svg to the PNG sizes of the hicolor theme, a Windows
.ico and a macOS .icns (committed; rerun after changing the SVG):

    QT_QPA_PLATFORM=offscreen python packaging/render_icons.py

Qt's SVG renderer draws the PNGs (the same renderer the app uses); Pillow packs them
into .ico and .icns.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

ICONS = Path(__file__).resolve().parent.parent / "resources" / "icons"
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def render(svg: Path, size: int) -> QImage:
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"{svg}: not a valid SVG for Qt")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    return image


def main() -> int:
    QGuiApplication(sys.argv[:1])
    svg = ICONS / "medcomp.svg"
    for size in SIZES:
        render(svg, size).save(str(ICONS / f"medcomp-{size}.png"))
    largest = Image.open(ICONS / "medcomp-512.png")
    largest.save(ICONS / "medcomp.ico", sizes=[(s, s) for s in SIZES if s <= 256])
    largest.save(ICONS / "medcomp.icns")
    print(f"wrote {len(SIZES)} PNGs, medcomp.ico and medcomp.icns in {ICONS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
