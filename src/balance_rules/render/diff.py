"""``balance-rules diff``: the changes between two standards, and where each is set."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from ..standard.compare import Change
from ..standard.model import Origin, Standard
from ..standard.schema import format_path
from .explain import number

__all__ = ["render_diff_json", "render_diff_text"]

_ORDER = ("tightened", "loosened", "added", "removed", "scope", "split", "changed", "edited")
_ZH = {
    "tightened": "收紧",
    "loosened": "放宽",
    "added": "新增",
    "removed": "删除",
    "scope": "范围变更",
    "split": "拆分变更",
    "changed": "修改",
    "edited": "文字修改",
}


def _latest(standard: Standard, path: tuple[str, ...]) -> Origin | None:
    """The origin of *path*, or of the value under it set by the latest layer."""
    order = {layer: index for index, layer in enumerate(standard.layers)}
    found = [origin for key, origin in standard.provenance.items() if key[: len(path)] == path]
    if not found:
        return standard.origin(*path)
    return max(found, key=lambda o: order.get(o.layer, -1))


def _where(origin: Origin | None) -> str | None:
    if origin is None:
        return None
    return f"{origin.layer} ({origin.file}:{origin.line})" if origin.line else origin.layer


def _short(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, dict):
        if "kind" in value:
            return f"<{value['kind']} rule>"
        return "{" + ", ".join(f"{k}: {_short(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_short(v) for v in value) + "]"
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, Decimal):
        return number(value)
    return value


def render_diff_text(
    old: Standard, new: Standard, changes: Sequence[Change], lang: str = "zh"
) -> str:
    """Changes grouped by direction, each with the old and new value and where each is set."""
    lines = [f"{old.id} → {new.id}"]
    if not changes:
        lines.append("  no differences" if lang == "en" else "  无差异")
        return "\n".join(lines) + "\n"
    counts: Counter[str] = Counter(c.direction for c in changes)
    summary = ", ".join(f"{counts[d]} {d if lang == 'en' else _ZH[d]}" for d in _ORDER if counts[d])
    lines.append(f"  {summary}")
    for direction in _ORDER:
        selected = [c for c in changes if c.direction == direction]
        if not selected:
            continue
        lines += ["", f"{direction if lang == 'en' else _ZH[direction] + ' ' + direction}:"]
        for change in selected:
            lines.append(
                f"  {format_path(change.path)}: {_short(change.old)} → {_short(change.new)}"
            )
            before = _where(old.origin(*change.path)) if change.old is not None else None
            after = _where(_latest(new, change.path)) if change.new is not None else None
            if before:
                lines.append(
                    f"      was set in {before}" if lang == "en" else f"      原值来源 {before}"
                )
            if after:
                lines.append(
                    f"      now set in {after}" if lang == "en" else f"      现值来源 {after}"
                )
    return "\n".join(lines) + "\n"


def render_diff_json(old: Standard, new: Standard, changes: Sequence[Change]) -> str:
    """The changes as JSON: one object per change with both origins."""

    def origin(standard: Standard, change: Change) -> dict[str, Any] | None:
        found = _latest(standard, change.path)
        if found is None:
            return None
        return {"layer": found.layer, "file": found.file, "line": found.line}

    data = {
        "old": {"id": old.id, "layers": list(old.layers), "digest": old.digest},
        "new": {"id": new.id, "layers": list(new.layers), "digest": new.digest},
        "summary": {d: sum(1 for c in changes if c.direction == d) for d in _ORDER},
        "changes": [
            {
                "path": format_path(c.path),
                "direction": c.direction,
                "old": _plain(c.old),
                "new": _plain(c.new),
                "old_origin": origin(old, c) if c.old is not None else None,
                "new_origin": origin(new, c) if c.new is not None else None,
            }
            for c in changes
        ],
    }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
