"""Generate the app icons for every platform from ``resources/icons/studio.svg``.

PNG sizes are rendered with PySide6's ``QSvgRenderer`` offscreen (QtSvg ships in
PySide6-Essentials). The Windows ``.ico`` and macOS ``.icns`` containers are written here in
pure Python with PNG payloads, so every OS can build every icon without Pillow or Apple's
``iconutil``; Qt's own ico/icns image plugins read them back as a check.

Run alone: ``python packaging/icons.py [OUT_DIR]`` (default ``packaging/build/icons``).
"""

from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SVG = ROOT / "resources" / "icons" / "studio.svg"
DEFAULT_OUT = Path(__file__).resolve().parent / "build" / "icons"

# Sizes the freedesktop hicolor theme, Windows and macOS ask for between them
PNG_SIZES = (16, 24, 32, 48, 64, 128, 256, 512, 1024)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
# ICNS element types holding PNG data, by pixel size (Retina "@2x" types reuse a size)
ICNS_TYPES = (
    (b"icp4", 16),
    (b"icp5", 32),
    (b"ic11", 32),  # 16@2x
    (b"icp6", 64),
    (b"ic12", 64),  # 32@2x
    (b"ic07", 128),
    (b"ic08", 256),
    (b"ic13", 256),  # 128@2x
    (b"ic09", 512),
    (b"ic14", 512),  # 256@2x
    (b"ic10", 1024),  # 512@2x
)


def _qt_app() -> object:
    """A QGuiApplication (offscreen unless a platform is already chosen); painting needs one."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    return QGuiApplication.instance() or QGuiApplication(["studio-icons"])


def render_pngs(svg: Path, sizes: tuple[int, ...] = PNG_SIZES) -> dict[int, bytes]:
    """Render ``svg`` at each size; returns PNG bytes by pixel size.

    Falls back to pre-rendered ``studio-<size>.png`` files beside the SVG when QtSvg is not
    importable (a PySide6 build without it).
    """
    try:
        from PySide6.QtSvg import QSvgRenderer
    except ImportError:
        return _shipped_pngs(svg, sizes)
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QImage, QImageWriter, QPainter

    app = _qt_app()  # noqa: F841  (kept alive while painting)
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"{svg} is not a valid SVG file; fix it or ship PNG icons.")
    out: dict[int, bytes] = {}
    for size in sizes:
        image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        renderer.render(painter)
        painter.end()
        data = QByteArray()
        buf = QBuffer(data)
        buf.open(QIODevice.OpenModeFlag.WriteOnly)
        writer = QImageWriter(buf, QByteArray(b"png"))
        if not writer.write(image):
            raise SystemExit(
                f"Qt could not encode the {size}px icon as PNG: {writer.errorString()}"
            )
        buf.close()
        out[size] = bytes(data.data())
    return out


def _shipped_pngs(svg: Path, sizes: tuple[int, ...]) -> dict[int, bytes]:
    out: dict[int, bytes] = {}
    for size in sizes:
        png = svg.with_name(f"{svg.stem}-{size}.png")
        if png.is_file():
            out[size] = png.read_bytes()
    if not out:
        raise SystemExit(
            f"QtSvg is not available and no pre-rendered {svg.stem}-<size>.png files sit beside "
            f"{svg}; install PySide6-Essentials (it has QtSvg) or ship the PNGs."
        )
    return out


def ico_bytes(pngs: dict[int, bytes], sizes: tuple[int, ...] = ICO_SIZES) -> bytes:
    """A Windows ``.ico`` holding one PNG image per size (Windows Vista+ reads PNG entries)."""
    chosen = [s for s in sizes if s in pngs]
    header = struct.pack("<HHH", 0, 1, len(chosen))  # reserved, type 1 = icon, count
    offset = len(header) + 16 * len(chosen)
    entries = b""
    payload = b""
    for size in chosen:
        data = pngs[size]
        dim = 0 if size >= 256 else size  # 0 means 256 in an ICONDIRENTRY
        entries += struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(data), offset)
        offset += len(data)
        payload += data
    return header + entries + payload


def icns_bytes(pngs: dict[int, bytes]) -> bytes:
    """A macOS ``.icns`` with PNG elements (the format ``iconutil`` writes since 10.7)."""
    body = b""
    for kind, size in ICNS_TYPES:
        if size in pngs:
            body += kind + struct.pack(">I", 8 + len(pngs[size])) + pngs[size]
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def _check_readable(path: Path, fmt: str) -> None:
    """Read the file back with Qt's own plugin: a malformed container fails the build."""
    from PySide6.QtGui import QImageReader

    reader = QImageReader(str(path), fmt.encode())
    if fmt.encode() not in [bytes(f.data()) for f in QImageReader.supportedImageFormats()]:
        return  # no plugin for this format in this Qt: nothing to check against
    if reader.imageCount() < 1 or reader.read().isNull():
        raise SystemExit(f"The generated {path.name} cannot be read back: {reader.errorString()}")


def generate(out_dir: Path = DEFAULT_OUT, svg: Path = SVG) -> dict[str, Path]:
    """Write ``studio-<size>.png``, ``studio.png`` (256), ``studio.ico`` and ``studio.icns``.

    Returns the written paths by kind (``"ico"``, ``"icns"``, ``"png"``, ``"svg"``, ``"png<N>"``).
    """
    if not svg.is_file():
        raise SystemExit(f"The app icon {svg} is missing; it is the source of every icon.")
    out_dir.mkdir(parents=True, exist_ok=True)
    pngs = render_pngs(svg)
    written: dict[str, Path] = {}
    for size, data in pngs.items():
        path = out_dir / f"studio-{size}.png"
        path.write_bytes(data)
        written[f"png{size}"] = path
    main_png = out_dir / "studio.png"
    main_png.write_bytes(pngs[max(s for s in pngs if s <= 256)])
    written["png"] = main_png
    ico = out_dir / "studio.ico"
    ico.write_bytes(ico_bytes(pngs))
    written["ico"] = ico
    icns = out_dir / "studio.icns"
    icns.write_bytes(icns_bytes(pngs))
    written["icns"] = icns
    svg_copy = out_dir / "studio.svg"
    svg_copy.write_bytes(svg.read_bytes())
    written["svg"] = svg_copy
    _qt_app()
    _check_readable(ico, "ico")
    _check_readable(icns, "icns")
    return written


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_OUT
    for kind, path in generate(target).items():
        print(f"{kind:8} {path}")
