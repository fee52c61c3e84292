"""One resolver for every file a file names (``extends:``, a case file's standard).

A name is taken relative to the folder of the file that names it.  With a
*root*, everything is confined to that folder: a name written inside a file may
not be absolute, and no path, once ``..`` and symbolic links are resolved, may
lie outside the root.  The check is made before the file is opened, so nothing
outside the root is read, nor is its existence revealed.

A person evaluating their own files needs no root.  A service that evaluates
uploaded standards sets one (``load_standard(path, root=upload_dir)``, or the
command's ``--root DIR``).
"""

from __future__ import annotations

from pathlib import Path

from .errors import BalanceRulesError

__all__ = ["OutsideRootError", "confine", "resolve_named"]


class OutsideRootError(BalanceRulesError, PermissionError):
    """A named file lies outside the root folder (or is absolute under a root)."""

    def __init__(self, message: str, message_zh: str) -> None:
        super().__init__(message)
        self.message_zh = message_zh


def confine(path: Path, root: Path | str | None) -> Path:
    """*path* itself when no *root* is set; else its resolved form, inside *root*.

    Raises :class:`OutsideRootError` when the resolved path is outside *root*.
    """
    if root is None:
        return path
    base = Path(root).resolve()
    resolved = path.resolve()
    if resolved != base and not resolved.is_relative_to(base):
        raise OutsideRootError(
            f"{path} is outside the allowed folder ({root})",
            f"{path} 不在允许的文件夹（{root}）之内",
        )
    return resolved


def resolve_named(name: str, naming_dir: Path | None, root: Path | str | None) -> Path:
    """The path a file means by *name*: relative to *naming_dir* (the naming file's
    folder), or to *root*, or to the current folder.

    Under a *root*, an absolute *name* is refused, and so is any path that leaves
    the root.
    """
    path = Path(name)
    if root is not None and (path.is_absolute() or path.anchor):
        raise OutsideRootError(
            f"{name} is an absolute path; only paths inside {root} are allowed",
            f"{name} 是绝对路径；只允许 {root} 之内的路径",
        )
    if not path.is_absolute():
        base = naming_dir if naming_dir is not None else (Path(root) if root is not None else None)
        if base is not None:
            path = base / path
    return confine(path, root)
