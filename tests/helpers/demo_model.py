"""``studio demo-model`` as a real subprocess, for the tests that talk to it."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def studio_env() -> dict[str, str]:
    """The environment for a ``python -m studio`` child: this checkout first."""
    return {
        **os.environ,
        "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""),
    }


@dataclass
class DemoModelProcess:
    """A running ``studio demo-model``: its base URL, then (after stop) how it ended."""

    proc: subprocess.Popen[str]
    base_url: str
    banner: list[str]
    pump: threading.Thread
    returncode: int | None = None
    stderr: str = field(default="")

    @property
    def port(self) -> int:
        return int(self.base_url.rsplit(":", 1)[1].split("/", 1)[0])

    def stop(self, sig: int = signal.SIGINT) -> None:
        """Send ``sig`` (Ctrl+C by default) and wait for the process to end."""
        if self.returncode is not None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.stderr = _close(self.proc, self.pump)
        self.returncode = self.proc.returncode


def _close(proc: subprocess.Popen[str], pump: threading.Thread) -> str:
    """Close the ended process's pipes; return what it wrote on standard error."""
    pump.join(timeout=10)
    assert proc.stdout is not None and proc.stderr is not None
    err = proc.stderr.read()
    proc.stdout.close()
    proc.stderr.close()
    return err


def _lines(proc: subprocess.Popen[str]) -> tuple[queue.Queue[str], threading.Thread]:
    """Standard output line by line on a thread (a blocking read never hangs the test)."""
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)
        lines.put("")

    thread = threading.Thread(target=pump, daemon=True)
    thread.start()
    return lines, thread


def _read_line(lines: queue.Queue[str], timeout: float) -> str:
    try:
        return lines.get(timeout=timeout)
    except queue.Empty:
        raise AssertionError(f"studio demo-model printed nothing in {timeout} s") from None


@contextmanager
def demo_model(*args: str) -> Iterator[DemoModelProcess]:
    """Start ``studio demo-model --port 0 ARGS`` and yield it once it prints its URL."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "studio", "demo-model", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=studio_env(),
    )
    running = None
    lines, pump = _lines(proc)
    try:
        first = _read_line(lines, 60)
        match = re.search(r"(http://127\.0\.0\.1:\d+/v1)", first)
        if match is None:
            proc.kill()
            proc.wait()
            raise AssertionError(f"no URL in {first!r}; stderr: {_close(proc, pump)}")
        banner = [first, _read_line(lines, 10), _read_line(lines, 10)]
        running = DemoModelProcess(proc, match.group(1), banner, pump)
        yield running
    finally:
        if running is not None:
            running.stop()
        else:  # it never printed its URL
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            assert proc.stdout is not None
            if not proc.stdout.closed:
                _close(proc, pump)
