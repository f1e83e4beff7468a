#!/usr/bin/env bash
# Install the built studio for the current user (no root): the app folder, a `studio` command,
# the menu entry, the icons and the application/x-prompt-studio file type for *.studio files.
#
#   packaging/linux/install.sh              # from packaging/dist/studio into ~/.local
#   packaging/linux/install.sh --uninstall
#
# Honours XDG_DATA_HOME (default ~/.local/share) and STUDIO_PREFIX (default ~/.local; the app
# goes to $STUDIO_PREFIX/opt/prompt-dataset-studio and the command to $STUDIO_PREFIX/bin).
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
PACKAGING="$(dirname "$HERE")"
DIST="${STUDIO_DIST:-$PACKAGING/dist/studio}"
ICONS="${STUDIO_ICON_DIR:-$PACKAGING/build/icons}"
PREFIX="${STUDIO_PREFIX:-$HOME/.local}"
DATA="${XDG_DATA_HOME:-$HOME/.local/share}"
APP_DIR="$PREFIX/opt/prompt-dataset-studio"
BIN="$PREFIX/bin/studio"
ICON_NAME="prompt-dataset-studio"
MIME_ICON="application-x-prompt-studio"
SIZES="16 24 32 48 64 128 256 512"

refresh() {
    # Each cache tool is optional: desktops rebuild their caches on their own as well
    if command -v update-mime-database >/dev/null; then update-mime-database "$DATA/mime"; fi
    if command -v update-desktop-database >/dev/null; then
        update-desktop-database "$DATA/applications" || true
    fi
    if command -v gtk-update-icon-cache >/dev/null; then
        gtk-update-icon-cache -q -t -f "$DATA/icons/hicolor" || true
    fi
}

if [[ "${1:-}" == "--uninstall" ]]; then
    rm -rf "$APP_DIR"
    rm -f "$BIN" "$DATA/applications/studio.desktop" "$DATA/mime/packages/$ICON_NAME.xml"
    for s in $SIZES; do
        rm -f "$DATA/icons/hicolor/${s}x${s}/apps/$ICON_NAME.png" \
              "$DATA/icons/hicolor/${s}x${s}/mimetypes/$MIME_ICON.png"
    done
    rm -f "$DATA/icons/hicolor/scalable/apps/$ICON_NAME.svg" \
          "$DATA/icons/hicolor/scalable/mimetypes/$MIME_ICON.svg"
    refresh
    echo "Removed Prompt & Dataset Studio from $PREFIX and $DATA."
    exit 0
fi

if [[ ! -x "$DIST/studio" ]]; then
    echo "No built app in $DIST; run: python packaging/build.py" >&2
    exit 1
fi
if [[ ! -f "$ICONS/studio-256.png" ]]; then
    echo "No icons in $ICONS; run: python packaging/build.py --icons-only" >&2
    exit 1
fi

mkdir -p "$PREFIX/opt" "$PREFIX/bin" "$DATA/applications" "$DATA/mime/packages"
rm -rf "$APP_DIR"
cp -a "$DIST" "$APP_DIR"
ln -sfn "$APP_DIR/studio" "$BIN"

# The menu entry runs the installed executable by its full path (~/.local/bin may not be on
# the PATH a desktop session starts programs with)
sed -e "s|^Exec=studio |Exec=$APP_DIR/studio |" -e "s|^TryExec=studio$|TryExec=$APP_DIR/studio|" \
    "$HERE/studio.desktop" > "$DATA/applications/studio.desktop"
cp "$HERE/prompt-dataset-studio.xml" "$DATA/mime/packages/$ICON_NAME.xml"

for s in $SIZES; do
    for kind in apps mimetypes; do mkdir -p "$DATA/icons/hicolor/${s}x${s}/$kind"; done
    cp "$ICONS/studio-$s.png" "$DATA/icons/hicolor/${s}x${s}/apps/$ICON_NAME.png"
    cp "$ICONS/studio-$s.png" "$DATA/icons/hicolor/${s}x${s}/mimetypes/$MIME_ICON.png"
done
mkdir -p "$DATA/icons/hicolor/scalable/apps" "$DATA/icons/hicolor/scalable/mimetypes"
cp "$ICONS/studio.svg" "$DATA/icons/hicolor/scalable/apps/$ICON_NAME.svg"
cp "$ICONS/studio.svg" "$DATA/icons/hicolor/scalable/mimetypes/$MIME_ICON.svg"

refresh
echo "Installed: $APP_DIR"
echo "Command:   $BIN (make sure $PREFIX/bin is on your PATH)"
echo "Menu:      $DATA/applications/studio.desktop"
