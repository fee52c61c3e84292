"""Unit costs for shortfall plans: a YAML file validated by a JSON Schema.

::

    format: 1
    title: 示例县补短板单价
    costs:
      teaching_aux_area: {value: 1300, source: "county planning note, classrooms"}
      teachers: {value: 120000, source: "assumption: pay and on-costs", assumption: true}

Every entry is 元 per unit of the input column that grows: per teacher-year, per
m², per computer, per volume, per room, and **per 万元** of equipment value.
Negative or missing values are refused; every error carries file:line and, for a
misspelt key, a did-you-mean.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any, Final

import attrs
import jsonschema

from ..errors import DataError, Problem, did_you_mean
from ..yamlio import YamlReadError, line_of, read_yaml
from .resources import RESOURCES

__all__ = ["COSTS_SCHEMA", "CostEntry", "Costs", "costs_from_mapping", "load_costs"]

#: Teacher kinds fall back to ``teachers`` when they have no entry of their own.
_TEACHER_KINDS: Final = frozenset(k for k, r in RESOURCES.items() if r.per_level)
COST_KEYS: Final = tuple(RESOURCES)

_ENTRY: Final[dict[str, Any]] = {
    "type": "object",
    "required": ["value", "source"],
    "additionalProperties": False,
    "properties": {
        "value": {"type": "number", "minimum": 0},
        "source": {"type": "string", "minLength": 1},
        "assumption": {"type": "boolean"},
        "note": {"type": "string"},
    },
}

#: JSON Schema (Draft 7) of a costs file.
COSTS_SCHEMA: Final[dict[str, Any]] = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "title": "balance-rules shortfall costs",
    "type": "object",
    "required": ["format", "costs"],
    "additionalProperties": False,
    "properties": {
        "format": {"const": 1},
        "title": {"type": "string"},
        "currency": {"const": "元"},
        "note": {"type": "string"},
        "costs": {
            "type": "object",
            "minProperties": 1,
            "additionalProperties": False,
            "properties": {key: _ENTRY for key in COST_KEYS},
        },
    },
}


@attrs.frozen
class CostEntry:
    """元 per unit of one resource (per 万元 for equipment value)."""

    key: str
    value: Decimal
    source: str
    assumption: bool = False
    line: int | None = None


@attrs.frozen
class Costs:
    """Unit costs by resource key; :meth:`per_unit` gives 元 per column unit."""

    entries: Mapping[str, CostEntry]
    file: str | None = None
    title: str | None = None

    def entry(self, field: str) -> CostEntry | None:
        """The cost entry for a level-free resource field (teacher kinds fall back)."""
        found = self.entries.get(field)
        if found is None and field in _TEACHER_KINDS:
            found = self.entries.get("teachers")
        return found

    def per_unit(self, field: str) -> Fraction | None:
        """元 per unit of the column (per 元 for equipment value), or None if absent."""
        entry = self.entry(field)
        if entry is None:
            return None
        value = Fraction(entry.value)
        return value / 10000 if field == "equipment_value" else value


def _problems(document: Any, file: str) -> list[Problem]:
    if not isinstance(document, dict):  # never quote a file that is not a costs file
        return [
            Problem(
                "not a costs file: a costs file is a YAML mapping of unit costs "
                "(see docs/costs-format.md)",
                file=file,
                message_zh="不是单价文件：单价文件应为各项单价的 YAML 映射"
                "（见 docs/costs-format.md）",
            )
        ]
    validator = jsonschema.Draft7Validator(COSTS_SCHEMA)
    problems: list[Problem] = []
    for error in sorted(validator.iter_errors(document), key=lambda e: list(map(str, e.path))):
        path = tuple(error.path)
        line = line_of(document, path)
        where = "/".join(str(p) for p in path) or None
        suggestion = None
        if error.validator == "additionalProperties":
            known = list(error.schema.get("properties", {}))
            extra = (
                [k for k in error.instance if k not in known]
                if isinstance(error.instance, dict)
                else []
            )
            for key in extra:
                problems.append(
                    Problem(
                        f"unknown key {key!r}; expected one of {', '.join(known)}",
                        file=file,
                        line=line_of(document, (*path, key)),
                        path=where,
                        suggestion=did_you_mean(str(key), known),
                    )
                )
            continue
        if error.validator == "minimum":
            message = f"a cost cannot be negative (got {error.instance})"
        elif error.validator == "required":
            message = str(error.message).replace("is a required property", "is missing")
        elif error.validator == "type" and error.schema.get("type") == "number":
            message = f"a cost must be a number of 元, got {error.instance!r}"
        else:
            message = error.message
        problems.append(Problem(message, file=file, line=line, path=where, suggestion=suggestion))
    return sorted(problems, key=lambda p: p.line or 0)


def costs_from_mapping(document: Any, file: str = "<costs>") -> Costs:
    """Validate a parsed costs document and build :class:`Costs`."""
    problems = _problems(document, file)
    if problems:
        raise DataError(problems, summary=f"{file}: invalid costs file")
    entries = {}
    for key, item in document["costs"].items():
        entries[key] = CostEntry(
            key,
            Decimal(item["value"]) if not isinstance(item["value"], Decimal) else item["value"],
            str(item["source"]),
            bool(item.get("assumption", False)),
            line_of(document, ("costs", key)),
        )
    return Costs(entries, file, document.get("title"))


def load_costs(path: str | Path) -> Costs:
    """Read and validate a costs file (YAML, read safely with exact decimals)."""
    file = str(path)
    try:
        document = read_yaml(Path(path))
    except YamlReadError as exc:
        raise DataError(exc.problems, summary=f"{file}: cannot read costs file") from None
    except FileNotFoundError:
        raise DataError([Problem("costs file not found", file=file)]) from None
    return costs_from_mapping(document, file)
