"""Writing a command's output: whole or not at all, never over an input file.

Every subcommand that writes a file goes through :func:`open_output`: the output
is written to a uniquely named temporary file beside the target and renamed into
place only when complete, so a crash, a full disk or Ctrl-C leaves an earlier
file intact, and concurrent runs never share a temporary name.  The target may not
be any of the run's input files (compared by resolved path).

:func:`choose_format` picks the format from ``--format`` or the ``--output``
suffix, and refuses a suffix that contradicts ``--format``.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, Literal, TextIO, overload

from ..errors import DataError, Problem

__all__ = ["SUFFIX_FORMATS", "choose_format", "open_output"]

#: Output suffix → format.
SUFFIX_FORMATS = {
    ".html": "html",
    ".htm": "html",
    ".xlsx": "xlsx",
    ".csv": "csv",
    ".json": "json",
    ".jsonl": "jsonl",
    ".md": "markdown",
    ".markdown": "markdown",
    ".txt": "text",
}


def choose_format(
    fmt: str | None, output: str | None, allowed: Sequence[str], default: str = "text"
) -> str:
    """The format to write: ``fmt`` if given, else the one ``output``'s suffix names.

    A suffix that names another format than ``fmt`` is a usage error; an unknown
    suffix with no ``fmt`` falls back to ``default``.
    """
    by_suffix = SUFFIX_FORMATS.get(Path(output).suffix.lower()) if output else None
    if fmt is None:
        chosen = by_suffix or default
        if chosen not in allowed:
            raise DataError(
                [
                    Problem(
                        f"this command cannot write {chosen} (from the suffix of --output); "
                        f"use one of: {', '.join(allowed)}",
                        file=output,
                    )
                ]
            )
        return chosen
    if by_suffix is not None and by_suffix != fmt:
        raise DataError(
            [
                Problem(
                    f"--output ends in {Path(output or '').suffix!r} (a {by_suffix} file) "
                    f"but --format is {fmt}; change one of them",
                    file=output,
                )
            ]
        )
    return fmt


def _same_file(a: Path, b: Path) -> bool:
    try:
        if a.exists() and b.exists():
            return a.samefile(b)
    except OSError:
        pass
    return a.resolve() == b.resolve()


_UMASK_LOCK = threading.Lock()


def _umask() -> int:
    """The process's umask, read without changing it where the system allows
    (setting it, even briefly, would affect files other threads create)."""
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    with _UMASK_LOCK:
        mask = os.umask(0o077)
        os.umask(mask)
    return mask


@overload
@contextlib.contextmanager
def open_output(
    path: str | None,
    stdout: TextIO,
    *,
    inputs: Iterable[str | None] = (),
    binary: Literal[False] = False,
    encoding: str = "utf-8",
    option: str = "--output",
) -> Iterator[TextIO]: ...


@overload
@contextlib.contextmanager
def open_output(
    path: str | None,
    stdout: TextIO,
    *,
    inputs: Iterable[str | None] = (),
    binary: Literal[True],
    encoding: str = "utf-8",
    option: str = "--output",
) -> Iterator[IO[bytes]]: ...


@contextlib.contextmanager
def open_output(
    path: str | None,
    stdout: TextIO,
    *,
    inputs: Iterable[str | None] = (),
    binary: bool = False,
    encoding: str = "utf-8",
    option: str = "--output",
) -> Iterator[IO[str] | IO[bytes]]:
    """The ``--output`` file (complete or not there at all), else ``stdout``.

    With ``binary`` (xlsx) a path is required.  ``inputs`` are the run's input
    files; the output may be none of them.  ``option`` is how messages name the
    path (``--write-applied``, say).
    """
    if not path:
        if binary:
            raise DataError([Problem("this format needs --output FILE (it is not text)")])
        yield stdout
        return
    target = Path(path)
    for name in inputs:
        if name and _same_file(target, Path(name)):
            raise DataError(
                [
                    Problem(
                        f"{option} names an input file of this run; it would be overwritten. "
                        "Choose another output file",
                        file=path,
                        message_zh=f"{option} 指向本次运行的输入文件，会被覆盖；请换一个输出文件",
                    )
                ]
            )
    if target.is_dir():
        raise DataError([Problem(f"{option} names a folder, not a file", file=path)])
    folder = target.parent if str(target.parent) else Path(".")
    try:
        fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=folder)
    except OSError as exc:
        raise DataError([Problem(f"cannot write here: {exc.strerror or exc}", file=path)]) from None
    done = False
    try:
        try:
            os.fchmod(fd, 0o666 & ~_umask())
        except OSError:
            os.close(fd)
            raise
        if binary:
            with os.fdopen(fd, "wb") as raw:
                yield raw
                raw.flush()
                os.fsync(raw.fileno())  # on disk before it replaces the earlier file
        else:
            with os.fdopen(fd, "w", encoding=encoding, newline="") as text:
                yield text
                text.flush()
                os.fsync(text.fileno())
        os.replace(temp, target)
        done = True
    except OSError as exc:  # a full disk, a quota, a vanished folder: name the file
        kept = "the earlier file is left unchanged" if target.exists() else "nothing was written"
        raise DataError(
            [
                Problem(
                    f"cannot write the output ({exc.strerror or exc}); {kept}",
                    file=path,
                    message_zh=f"无法写入输出（{exc.strerror or exc}）；"
                    + ("原有文件保持不变" if target.exists() else "未写入任何内容"),
                )
            ]
        ) from None
    finally:
        if not done:
            with contextlib.suppress(OSError):
                os.unlink(temp)
