"""PyInstaller runtime hook: ``STUDIO_PACKAGE_SELFCHECK=1`` checks the bundle and exits.

Runs before the studio's entry point in the packaged app only. Without the variable it does
nothing (one environment look-up). With it, it exercises what a frozen build most often
loses — data files read by path, modules imported by name, plugins loaded at run time — and
prints one line per check, then exits 0 (all passed) or 1. packaging/smoke_check.py uses it.

Checked: every ``studio.*`` module imports; resources/ is in the bundle; Alembic upgrades a
new SQLite file to head from the bundled migration scripts; quicktok counts with its bundled
encodings; the openai clients construct; keyring finds its backends; jsonschema validates;
Qt (offscreen) loads the SVG app icon and the PNG/SVG image plugins.
"""

from __future__ import annotations

import os
import sys


def _run_checks() -> int:
    import tempfile
    import time
    import traceback
    from collections.abc import Callable
    from pathlib import Path

    results: list[tuple[str, bool, str]] = []

    def check(name: str) -> Callable[[Callable[[], str]], None]:
        def run(fn: Callable[[], str]) -> None:
            started = time.perf_counter()
            try:
                detail = fn()
                ok = True
            except BaseException as exc:  # report every failure, keep checking
                detail = f"{type(exc).__name__}: {exc}"
                if os.environ.get("STUDIO_PACKAGE_SELFCHECK") == "verbose":
                    traceback.print_exc()
                ok = False
            ms = (time.perf_counter() - started) * 1000
            results.append((name, ok, detail))
            print(f"{'ok  ' if ok else 'FAIL'} {name:14} {ms:7.0f} ms  {detail}", flush=True)

        return run

    @check("studio modules")
    def _modules() -> str:
        import importlib
        import pkgutil

        import studio

        # Frozen, the modules live in the PYZ archive: walk PyInstaller's table of contents
        # (pkgutil would only see the data files on disk when this hook runs)
        known: set[str] = set()
        try:
            import pyimod02_importers  # PyInstaller's bootstrap module

            def walk(node: dict[str, object], prefix: str) -> None:
                for part, child in node.items():
                    known.add(prefix + part)
                    if isinstance(child, dict):
                        walk(child, f"{prefix}{part}.")

            walk(pyimod02_importers.get_pyz_toc_tree().get("studio", {}), "studio.")
        except ImportError:
            known = {m.name for m in pkgutil.walk_packages(studio.__path__, "studio.")}
        names = sorted(
            n
            for n in known
            if n.startswith("studio.") and not n.startswith("studio.core.db.migrations")
        )
        if len(names) < 10:
            raise RuntimeError(f"only {len(names)} studio modules are in the bundle")
        for name in names:
            importlib.import_module(name)
        return f"{len(names)} modules imported"

    @check("resources")
    def _resources() -> str:
        from studio.core.paths import resources_dir

        res = resources_dir()
        files = sorted(p.relative_to(res).as_posix() for p in res.rglob("*") if p.is_file())
        for needed in ("prices.json", "icons/studio.svg"):
            if needed not in files:
                raise FileNotFoundError(f"{needed} is not in {res}")
        return f"{len(files)} files in {res}"

    @check("migrations")
    def _migrations() -> str:
        from sqlalchemy import create_engine

        from studio.core.db import migrate

        with tempfile.TemporaryDirectory() as tmp:
            engine = create_engine(f"sqlite:///{Path(tmp) / 'check.studio'}")
            try:
                migrate.upgrade_to_head(engine)
                with engine.connect() as conn:
                    current = migrate.current_revision(conn)
            finally:
                engine.dispose()
        head = migrate.head_revision()
        if current != head:
            raise RuntimeError(f"upgraded to {current}, head is {head}")
        return f"head {head} of {len(migrate.known_revisions())} from {migrate.MIGRATIONS_DIR}"

    @check("tokens")
    def _tokens() -> str:
        import quicktok

        counts = {
            name: len(quicktok.get_encoding(name).encode("Hello, world! Tokens offline."))
            for name in ("o200k_base", "cl100k_base")
        }
        if not all(counts.values()):
            raise RuntimeError(f"empty encodings: {counts}")
        return ", ".join(f"{k}={v}" for k, v in counts.items())

    @check("openai")
    def _openai() -> str:
        from openai import AsyncOpenAI, AzureOpenAI, OpenAI

        OpenAI(api_key="check", base_url="http://127.0.0.1:9/v1").close()
        AsyncOpenAI(api_key="check", base_url="http://127.0.0.1:9/v1")
        AzureOpenAI(api_key="check", api_version="2024-10-21", azure_endpoint="http://127.0.0.1:9")
        import openai

        return f"openai {openai.__version__} clients constructed"

    @check("keyring")
    def _keyring() -> str:
        import importlib

        import keyring.backend

        names = sorted({type(k).__module__ for k in keyring.backend.get_all_keyring()})
        if not names:
            raise RuntimeError("no keyring backend found")
        # The OS backend must be in the bundle even where it is not usable (no D-Bus here)
        native = {
            "linux": ["keyring.backends.SecretService", "secretstorage"],
            "darwin": ["keyring.backends.macOS"],
            "win32": ["keyring.backends.Windows"],
        }.get(sys.platform, [])
        for module in native:
            importlib.import_module(module)
        return (
            f"active {type(keyring.get_keyring()).__module__}; usable {', '.join(names)}; "
            f"bundled {', '.join(native)}"
        )

    @check("jsonschema")
    def _jsonschema() -> str:
        import jsonschema

        schema = {"type": "object", "required": ["messages"]}
        jsonschema.validate({"messages": []}, schema)
        errors = list(jsonschema.Draft202012Validator(schema).iter_errors({}))
        if len(errors) != 1:
            raise RuntimeError("jsonschema missed a missing required field")
        return "validates"

    @check("qt")
    def _qt() -> str:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        from PySide6.QtGui import QGuiApplication, QIcon, QImageReader
        from PySide6.QtWidgets import QApplication

        from studio.core.paths import resources_dir

        QApplication.instance() or QApplication(["studio-selfcheck"])
        formats = {bytes(f.data()).decode() for f in QImageReader.supportedImageFormats()}
        missing = {"png", "svg", "ico"} - formats
        if missing:
            raise RuntimeError(f"image plugins missing: {sorted(missing)}")
        icon = QIcon(str(resources_dir() / "icons" / "studio.svg"))
        if icon.pixmap(64, 64).isNull():
            raise RuntimeError("the SVG app icon does not render")
        platform = QGuiApplication.platformName()
        return f"platform {platform}, {len(formats)} image formats, icon renders"

    failed = [name for name, ok, _ in results if not ok]
    print(f"selfcheck: {len(results) - len(failed)}/{len(results)} passed", flush=True)
    return 1 if failed else 0


if os.environ.get("STUDIO_PACKAGE_SELFCHECK") and getattr(sys, "frozen", False):
    sys.exit(_run_checks())
