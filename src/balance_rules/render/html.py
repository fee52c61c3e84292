"""The HTML report (``--format html``): one self-contained page, charts inline.

Templates are jinja2 (the ``report`` extra), autoescaped: every value from the
data — school names, ids, county names, notes — is shown as text, never run.
The page makes no network request (a Content-Security-Policy forbids it) and
prints on A4 with a page break before each county.

Other reports extend the same base page::

    from balance_rules.render.html import environment

    env = environment()                      # jinja2 imported lazily
    page = env.get_template("my_report.html.j2").render(lang_tag="zh-CN", ...)

with ``my_report.html.j2`` in ``balance_rules/render/templates/`` starting with
``{% extends "base.html.j2" %}`` and filling ``title``, ``style`` and ``content``.
``environment(extra_dir)`` also searches ``extra_dir`` first.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import DataError, Problem

if TYPE_CHECKING:
    import jinja2

__all__ = ["EXTRA_HINT", "TEMPLATES", "environment"]

EXTRA_HINT = "pip install 'balance-rules[report]'"
#: The folder of the packaged templates.
TEMPLATES = Path(__file__).parent / "templates"


def environment(*extra_dirs: str | Path) -> jinja2.Environment:
    """A jinja2 environment over the packaged templates, autoescaping everything.

    Raises :class:`DataError` naming the ``report`` extra when jinja2 is missing.
    """
    try:
        import jinja2
    except ImportError:
        raise DataError(
            [Problem(f"--format html needs the jinja2 package: {EXTRA_HINT}")]
        ) from None
    folders: Sequence[str | Path] = (*extra_dirs, TEMPLATES)
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(f) for f in folders]),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
