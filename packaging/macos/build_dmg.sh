#!/usr/bin/env bash
# The macOS app and disk image. NOT built or tested here (no Mac in this project's CI):
# run it on a Mac (arm64 or x86_64: PyInstaller builds for the machine it runs on) from
# the repository root:
#
#   bash packaging/macos/build_dmg.sh
#
# -> dist/medcomp.app (medcomp.spec's BUNDLE: Info.plist from
#    packaging/bundle_contents.py's macos_info_plist: version, the icon, the document
#    types DICOM (org.nema.dicom, "Alternate": offered in Open With) and .mcz
#    (org.medcomp.mcz, exported, "Owner": double-click opens the viewer))
# -> dist/medcomp-VERSION.dmg (hdiutil, compressed, with a link to /Applications).
# The CLI is inside the app: /Applications/medcomp.app/Contents/MacOS/medcomp (link it
# into /usr/local/bin to have it on PATH). Uninstall: drag medcomp.app to the Trash.
#
# Not done here, needed for distribution beyond your own machines: signing with a
# Developer ID (codesign --deep --options runtime) and notarisation (xcrun notarytool),
# without which Gatekeeper asks the user to confirm the first start.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ "$(uname)" = Darwin ] || { echo "build_dmg.sh: run this on macOS" >&2; exit 2; }
VERSION=$(python3 -c 'import tomllib;print(tomllib.load(open("pyproject.toml","rb"))["project"]["version"])')

python3 -m venv .venv-package
.venv-package/bin/python -m pip install --quiet --upgrade pip
.venv-package/bin/python -m pip install --quiet -e '.[package]'
.venv-package/bin/pyinstaller --noconfirm --clean packaging/medcomp.spec

# Check before packing: the bundled viewer shows all four panes (exit status 1 if not).
QT_QPA_PLATFORM=offscreen dist/medcomp.app/Contents/MacOS/medcomp-gui \
	--screenshot dist/check.png resources/sample_mr.dcm

STAGE=$(mktemp -d)
cp -R dist/medcomp.app "$STAGE/"
ln -s /Applications "$STAGE/Applications"
hdiutil create -volname "medcomp $VERSION" -srcfolder "$STAGE" -ov -format UDZO \
	"dist/medcomp-$VERSION.dmg"
rm -rf "$STAGE"
echo "built dist/medcomp-$VERSION.dmg"
