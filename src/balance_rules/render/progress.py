"""A one-line progress display for long runs, on a terminal only.

Drawn on stderr when it is a terminal, ``CI`` is not set and ``TERM`` is not
``dumb`` (the command also leaves it out when its output is piped), and only once
a run has taken ``delay`` seconds, so quick runs print nothing.  A background
thread redraws the line a few times a second, so a stage that is one long call
(reading a large file) still shows its elapsed time.
"""

from __future__ import annotations

import os
import threading
import time
from types import TracebackType
from typing import TextIO

__all__ = ["ProgressBar", "interactive"]

_LABELS = {
    "zh": {
        "read": "读取", "evaluate": "评估", "write": "输出", "counties": "个县区",
        "left": "剩余约 {} 秒", "spent": "已用 {} 秒",
    },
    "en": {
        "read": "reading", "evaluate": "evaluating", "write": "writing", "counties": "counties",
        "left": "~{} s left", "spent": "{} s",
    },
}  # fmt: skip
_WIDTH = 24


def interactive(stream: TextIO) -> bool:
    """Whether *stream* is a terminal a person is watching (not CI, not a dumb terminal)."""
    isatty = getattr(stream, "isatty", None)
    if isatty is None or not isatty():
        return False
    return not os.environ.get("CI") and os.environ.get("TERM") != "dumb"


class ProgressBar:
    """Stages (read, evaluate, write) with counts where known, drawn on one line.

    Use as a context manager; :meth:`stage` starts a stage, :meth:`update` is a
    :data:`~balance_rules.records.Progress` callback for counted work.
    """

    def __init__(
        self,
        stream: TextIO,
        lang: str = "zh",
        enabled: bool | None = None,
        delay: float = 1.5,
        interval: float = 0.2,
    ) -> None:
        self.stream = stream
        self.labels = _LABELS["en" if lang == "en" else "zh"]
        self.enabled = interactive(stream) if enabled is None else enabled
        self.delay = delay
        self.interval = interval
        self.started = time.monotonic()
        self.stage_started = self.started
        self.label = ""
        self.done = 0
        self.total = 0
        self.drawn = False
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> ProgressBar:
        if self.enabled:
            self._thread = threading.Thread(target=self._tick, daemon=True)
            self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def stage(self, name: str, detail: str = "") -> None:
        """Start a stage: ``read``, ``evaluate`` or ``write`` (or any label)."""
        with self._lock:
            label = self.labels.get(name, name)
            self.label = f"{label} {detail}".strip()
            self.done = self.total = 0
            self.stage_started = time.monotonic()

    def update(self, done: int, total: int) -> None:
        """Counted progress within the current stage."""
        with self._lock:
            self.done, self.total = done, total

    def line(self, now: float | None = None) -> str:
        """The text of the progress line at *now*."""
        now = time.monotonic() if now is None else now
        with self._lock:
            elapsed = now - self.started
            text = self.label
            if self.total:
                share = min(1.0, self.done / self.total)
                filled = int(share * _WIDTH)
                bar = "█" * filled + "░" * (_WIDTH - filled)
                text += f" {bar} {self.done}/{self.total} {self.labels['counties']}"
                spent = now - self.stage_started
                if 0 < share < 1 and spent > 1:
                    left = f"{spent * (1 - share) / share:.0f}"
                    text += " · " + self.labels["left"].format(left)
            return f"{text} · " + self.labels["spent"].format(f"{elapsed:.1f}")

    def _tick(self) -> None:
        while not self._stop.wait(self.interval):
            if time.monotonic() - self.started >= self.delay:
                self._draw(self.line())

    def _draw(self, text: str) -> None:
        try:
            self.stream.write("\r\x1b[2K" + text)
            self.stream.flush()
            self.drawn = True
        except (OSError, ValueError):  # the terminal went away: stop drawing
            self._stop.set()

    def close(self) -> None:
        """Stop drawing and clear the line."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self.drawn:
            try:
                self.stream.write("\r\x1b[2K")
                self.stream.flush()
            except (OSError, ValueError):
                pass
            self.drawn = False
