#!/usr/bin/env bash
# The README's screenshots: the viewer under a real X server (Xvfb, Qt's xcb platform)
# on the WG04 images MR2, 693 and RG1 (pydicom-data; shown and reported, never tuned on)
# at the defaults, with an ROI and, on 693, the SVD pane flickered to the original.
# Each PNG comes with the window's state (docs/screenshot_*.json, patient data redacted).
#
#   apt-get install xvfb      # once
#   bash scripts/screenshots.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
DATA=$("$PY" -c 'from pydicom.data import get_testdata_file as g; import os; print(os.path.dirname(g("MR2_UNCR.dcm")))')
SETTINGS=$(mktemp -d)  # a fresh settings file: no user's presets or remembered codec
trap 'rm -rf "$SETTINGS"' EXIT

shot() {  # name file extra-args...
    local name=$1 file=$2
    shift 2
    MEDCOMP_GUI_SETTINGS="$SETTINGS/settings.ini" QT_QPA_PLATFORM=xcb \
        xvfb-run -a -s "-screen 0 1600x1200x24" \
        "$PY" -m medcomp_gui --size 1280x1000 \
        --screenshot "docs/screenshot_$name.png" --state "docs/screenshot_$name.json" \
        "$@" "$DATA/$file"
}

shot mr2 MR2_UNCR.dcm --roi rect:560,330,150,110
shot 693 693_UNCR.dcm --roi ellipse:210,200,90,70 --flicker svd
shot rg1 RG1_UNCR.dcm --roi rect:560,700,300,260
