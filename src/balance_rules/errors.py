"""Errors raised by balance-rules.

Every error derives from :class:`BalanceRulesError` and also from the builtin
exception a caller would expect (``ValueError`` for bad content, ``LookupError``
for an unknown name), so ``except ValueError`` keeps working.  Errors about files
carry every :class:`Problem` found, not only the first.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence

import attrs

__all__ = [
    "BalanceRulesError",
    "DataError",
    "Problem",
    "StandardError",
    "UnknownStandardError",
    "did_you_mean",
]


def did_you_mean(word: str, candidates: Iterable[str], cutoff: float | None = None) -> str | None:
    """Return the candidate closest to *word*, or None when nothing is close.

    Short words (two Chinese characters, say) differ by a larger share when one
    character is wrong, so by default they get a lower cutoff.
    """
    if cutoff is None:
        cutoff = 0.5 if len(word) <= 4 else 0.6
    matches = difflib.get_close_matches(word, sorted(set(candidates)), n=1, cutoff=cutoff)
    return matches[0] if matches else None


@attrs.frozen
class Problem:
    """One thing wrong with an input file, located as precisely as possible.

    ``line`` is a 1-based line in a text file (YAML); ``row`` is the spreadsheet
    row number (the header is row 1); ``column`` names the column or the key;
    ``sheet`` the worksheet of a workbook.  ``message`` is English;
    ``message_zh`` the same in Chinese (when absent, :meth:`render` translates
    the known English phrasings through :mod:`balance_rules.messages`).
    ``str(problem)`` is the English text; :meth:`render` picks the language.
    """

    message: str
    file: str | None = None
    line: int | None = None
    row: int | None = None
    column: str | None = None
    path: str | None = None
    suggestion: str | None = None
    message_zh: str | None = attrs.field(default=None, kw_only=True)
    sheet: str | None = attrs.field(default=None, kw_only=True)

    def __str__(self) -> str:
        return self.render("en")

    def text(self, lang: str = "en") -> str:
        """The message alone, in *lang* (``"zh"`` or ``"en"``)."""
        if lang != "zh":
            return self.message
        if self.message_zh is not None:
            return self.message_zh
        from .messages import to_chinese

        return to_chinese(self.message)

    def render(self, lang: str = "zh") -> str:
        """The located message in *lang*: ``file:line, row N, column 'X': message``."""
        zh = lang == "zh"
        where = self.file or "<input>"
        if self.line is not None:
            where += f":{self.line}"
        if self.sheet is not None:
            where += f", 工作表「{self.sheet}」" if zh else f", sheet {self.sheet!r}"
        if self.row is not None:
            where += f", 第 {self.row} 行" if zh else f", row {self.row}"
        if self.column is not None:
            where += f", 列「{self.column}」" if zh else f", column {self.column!r}"
        text = f"{where}: "
        if self.path:
            text += f"{self.path}: "
        text += self.text(lang)
        if self.suggestion:
            text += (
                f"（是否应为 {self.suggestion!r}？）"
                if zh
                else f" (did you mean {self.suggestion!r}?)"
            )
        return text


class BalanceRulesError(Exception):
    """Root of every error balance-rules raises on purpose."""


class _ProblemsError(BalanceRulesError):
    """An error that carries one or more located :class:`Problem` records."""

    def __init__(
        self,
        problems: Sequence[Problem],
        summary: str | None = None,
        summary_zh: str | None = None,
    ) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        self.summary = summary
        self.summary_zh = summary_zh
        super().__init__(self._text())

    def summary_text(self, lang: str = "zh") -> str | None:
        """The one-line summary in *lang* (None when there is none)."""
        if self.summary is None or lang != "zh":
            return self.summary
        if self.summary_zh is not None:
            return self.summary_zh
        from .messages import to_chinese

        return to_chinese(self.summary)

    def _text(self) -> str:
        head = self.summary or ""
        lines = [str(p) for p in self.problems]
        if head and lines:
            return head + "\n" + "\n".join(lines)
        return head or "\n".join(lines)


class StandardError(_ProblemsError, ValueError):
    """A standard file is malformed or inconsistent.  ``problems`` lists all issues."""


class DataError(_ProblemsError, ValueError):
    """School or county data cannot be read.  ``problems`` lists every bad cell."""


class UnknownStandardError(BalanceRulesError, LookupError):
    """A standard id is neither bundled nor a readable file."""

    def __init__(self, name: str, known: Sequence[str]) -> None:
        self.name = name
        self.known = tuple(known)
        self.suggestion = did_you_mean(name, known)
        text = f"unknown standard {name!r}: not a bundled id and not a file"
        if self.suggestion:
            text += f" (did you mean {self.suggestion!r}?)"
        text += "; `balance-rules list` shows the bundled standards"
        super().__init__(text)
