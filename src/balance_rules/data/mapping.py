"""Mapping files: how a county's export maps onto the canonical school table.

A mapping is YAML (see ``docs/mapping-format.md``)::

    columns:            # header (or header path 专任教师/本科) -> field, or {field:, unit:}
      学校(机构)标识码: school_id
      图书（万册）: {field: books, unit: 万册}
    derived:            # a field as the sum (minus) of named headers
      teachers_above_degree: {sum: [专任教师/研究生, 专任教师/本科, 专任教师/专科]}
    values:             # code -> canonical value, per field
      school_type: {"211": primary, "311": junior}
    constants:          # the same value on every row
      county: 某县
    level: junior       # the level the file's level-free columns (在校生数) belong to
    sheets:             # several sheets (or files) joined on the school id
      - {sheet: 小学, level: primary}
      - {sheet: 初中, level: junior}

It is validated like a standard file: every error with file:line and a
did-you-mean, through a JSON Schema (:data:`MAPPING_SCHEMA`) and checks of the
field names, units and values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs

from ..errors import DataError, Problem, did_you_mean
from ..yamlio import YamlReadError, line_of, read_yaml
from .cells import UNIT_FACTORS, normalise_header
from .fields import (
    AUTHORITIES,
    LEVEL_SUFFIXES,
    LOCATIONS,
    NUMERIC_FIELDS,
    OWNERSHIPS,
    SCHOOL_TYPES,
    TEXT_FIELDS,
)

__all__ = [
    "IGNORE",
    "MAPPING_SCHEMA",
    "Derived",
    "HeaderMapping",
    "SheetMapping",
    "load_mapping",
    "mapping_inputs",
]

_CATEGORY_VALUES: dict[str, tuple[str, ...]] = {
    "school_type": SCHOOL_TYPES,
    "ownership": OWNERSHIPS,
    "authority": AUTHORITIES,
    "location": LOCATIONS,
}
_LEVELS = ("primary", "junior", "senior")
#: ``columns: {表头: ignore}`` leaves a column out on purpose.
IGNORE = "ignore"

_COLUMN = {
    "oneOf": [
        {"type": "string"},
        {
            "type": "object",
            "properties": {"field": {"type": "string"}, "unit": {"type": "string"}},
            "required": ["field"],
            "additionalProperties": False,
        },
    ]
}
_DERIVED = {
    "type": "object",
    "properties": {
        "sum": {"type": "array", "items": {"type": "string"}, "minItems": 1},
        "minus": {"type": "array", "items": {"type": "string"}},
        "unit": {"type": "string"},
    },
    "required": ["sum"],
    "additionalProperties": False,
}
_PART = {
    "columns": {"type": "object", "additionalProperties": _COLUMN},
    "derived": {"type": "object", "additionalProperties": _DERIVED},
    "values": {
        "type": "object",
        "additionalProperties": {
            "type": "object",
            "additionalProperties": {"type": ["string", "number", "integer"]},
        },
    },
    "constants": {
        "type": "object",
        "additionalProperties": {"type": ["string", "number", "integer", "boolean"]},
    },
    "county": {"type": ["string", "integer"]},
    "school_type": {"type": "string"},
    "level": {"enum": list(_LEVELS)},
}

#: The JSON Schema of a mapping file.
MAPPING_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {
        **_PART,
        "sheet": {"type": "string"},
        "sheets": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "properties": {**_PART, "sheet": {"type": "string"}, "file": {"type": "string"}},
                "additionalProperties": False,
            },
        },
    },
    "additionalProperties": False,
}


@attrs.frozen
class Derived:
    """A field computed from headers: ``sum`` of some minus ``minus`` of others."""

    field: str
    plus: tuple[str, ...]
    minus: tuple[str, ...] = ()
    factor: Decimal = Decimal(1)
    line: int | None = None


@attrs.frozen
class SheetMapping:
    """One sheet (or file) of a multi-sheet mapping and what it holds."""

    sheet: str | None
    file: str | None
    mapping: HeaderMapping
    line: int | None = None


@attrs.frozen
class HeaderMapping:
    """A user's mapping: header text -> (canonical field, unit factor), and more.

    ``columns`` is the original form (kept for callers that build one in code);
    ``derived``, ``values``, ``constants`` and ``level`` are the export forms;
    ``sheets`` the parts of a multi-sheet workbook; ``lines`` the mapping-file line
    of each entry (``columns.表头``, ``constants.county`` …) for messages.
    """

    columns: Mapping[str, tuple[str, Decimal]] = attrs.field(factory=dict)
    file: str | None = None
    derived: tuple[Derived, ...] = ()
    values: Mapping[str, Mapping[str, str]] = attrs.field(factory=dict)
    constants: Mapping[str, Any] = attrs.field(factory=dict)
    level: str | None = None
    sheet: str | None = None
    sheets: tuple[SheetMapping, ...] = ()
    lines: Mapping[str, int] = attrs.field(factory=dict)
    units: Mapping[str, str] = attrs.field(factory=dict)

    def lookup(self, header: str) -> tuple[str, Decimal] | None:
        for key in (header, header.strip(), normalise_header(header)[0]):
            if key in self.columns:
                return self.columns[key]
        return None

    def where(self, key: str) -> str:
        """``mapping.yaml:12`` for an entry, or the file alone."""
        line = self.lines.get(key)
        return f"{self.file}:{line}" if line is not None else str(self.file or "<mapping>")


def _known_fields() -> set[str]:
    return {*TEXT_FIELDS, *NUMERIC_FIELDS, *LEVEL_SUFFIXES}


def _schema_problems(document: Any, file: str) -> list[Problem]:
    from jsonschema import Draft202012Validator

    problems = []
    for error in Draft202012Validator(MAPPING_SCHEMA).iter_errors(document):
        path = tuple(error.absolute_path)
        suggestion = None
        if error.validator == "additionalProperties" and isinstance(error.instance, Mapping):
            allowed = set(error.schema.get("properties", {}))
            extra = sorted(str(k) for k in error.instance if k not in allowed)
            key = extra[0] if extra else ""
            message = f"unknown key {key!r}; allowed here: {', '.join(sorted(allowed))}"
            message_zh = f"未知的键 {key!r}；此处允许：{'、'.join(sorted(allowed))}"
            suggestion = did_you_mean(key, allowed)
            path = (*path, key)
        elif error.validator == "enum":
            options = [str(o) for o in error.validator_value]
            message = f"{error.instance!r} is not one of: {', '.join(options)}"
            message_zh = f"{error.instance!r} 不是以下之一：{'、'.join(options)}"
            suggestion = did_you_mean(str(error.instance), options)
        elif error.validator == "required":
            message = error.message
            message_zh = f"缺少必填项：{error.message.split(' is a required')[0]}"
        elif error.validator in ("type", "oneOf"):
            message = f"{error.instance!r} is not a valid value here"
            message_zh = f"{error.instance!r} 在此处不是有效值"
        else:
            message = error.message
            message_zh = None
        problems.append(
            Problem(
                message,
                file=file,
                line=line_of(document, path),
                path=".".join(str(p) for p in path),
                suggestion=suggestion,
                message_zh=message_zh,
            )
        )
    return sorted(problems, key=lambda p: (p.line or 0, p.path or ""))


def load_mapping(path: str | Path) -> HeaderMapping:
    """Read and validate a mapping file; every problem in one :class:`DataError`."""
    file = str(path)
    try:
        document = read_yaml(Path(path))
    except YamlReadError as exc:
        raise DataError(exc.problems) from None
    except FileNotFoundError:
        raise DataError([Problem("no such file", file=file, message_zh="文件不存在")]) from None
    except OSError as exc:
        raise DataError(
            [Problem(exc.strerror or "cannot read", file=file, message_zh="无法读取文件")]
        ) from None
    if not isinstance(document, Mapping):
        raise DataError(
            [
                Problem(
                    "a mapping file is a YAML mapping (columns:, derived:, values:, ...)",
                    file=file,
                    message_zh="映射文件应为 YAML 映射（columns:、derived:、values: 等）",
                )
            ]
        )
    problems = _schema_problems(document, file)
    if problems:
        raise DataError(
            problems,
            f"{file}: {len(problems)} problem(s) in the mapping",
            f"{file}：映射文件中有 {len(problems)} 个问题",
        )
    mapping = _part(document, document, file, (), problems)
    sheets = []
    for index, entry in enumerate(document.get("sheets") or ()):
        part = _part(entry, document, file, ("sheets", index), problems)
        sheets.append(
            SheetMapping(
                entry.get("sheet"),
                entry.get("file"),
                part,
                line_of(document, ("sheets", index)),
            )
        )
    if problems:
        raise DataError(
            problems,
            f"{file}: {len(problems)} problem(s) in the mapping",
            f"{file}：映射文件中有 {len(problems)} 个问题",
        )
    return attrs.evolve(mapping, sheet=document.get("sheet"), sheets=tuple(sheets))


def _part(
    part: Mapping[str, Any],
    document: Any,
    file: str,
    prefix: tuple[Any, ...],
    problems: list[Problem],
) -> HeaderMapping:
    known = _known_fields()
    lines: dict[str, int] = {}

    def line(*path: Any) -> int | None:
        return line_of(document, (*prefix, *path))

    def field_problem(name: str, *path: Any) -> bool:
        if name == IGNORE and path[:1] == ("columns",):
            return False
        target = name.removeprefix("extra.")
        if name.startswith("extra.") and target:
            return False
        if name in known:
            return False
        problems.append(
            Problem(
                f"unknown field {name!r} (use extra.NAME for a column of your own)",
                file=file,
                line=line(*path),
                path=".".join(str(p) for p in (*prefix, *path)),
                suggestion=did_you_mean(name, known),
                message_zh=f"未知字段 {name!r}（自己的列请写 extra.名称）",
            )
        )
        return True

    def unit_factor(unit: Any, *path: Any) -> Decimal | None:
        if unit is None:
            return Decimal(1)
        if unit in UNIT_FACTORS:
            return UNIT_FACTORS[unit]
        problems.append(
            Problem(
                f"unknown unit {unit!r}; known: {', '.join(UNIT_FACTORS)}",
                file=file,
                line=line(*path),
                suggestion=did_you_mean(str(unit), UNIT_FACTORS),
                message_zh=f"未知单位 {unit!r}；已知：{'、'.join(UNIT_FACTORS)}",
            )
        )
        return None

    columns: dict[str, tuple[str, Decimal]] = {}
    units: dict[str, str] = {}
    for header, target in (part.get("columns") or {}).items():
        field, unit = (
            (target, None) if isinstance(target, str) else (target["field"], target.get("unit"))
        )
        lines[f"columns.{header}"] = line("columns", header) or 0
        if field_problem(field, "columns", header):
            continue
        factor = unit_factor(unit, "columns", header)
        if factor is None:
            continue
        columns[str(header)] = (field.removeprefix("extra."), factor)
        if unit is not None:
            units[str(header)] = str(unit)
    derived = []
    for field, spec in (part.get("derived") or {}).items():
        lines[f"derived.{field}"] = line("derived", field) or 0
        if field_problem(field, "derived", field):
            continue
        if field in TEXT_FIELDS:
            problems.append(
                Problem(
                    f"{field} is text: it cannot be a sum",
                    file=file,
                    line=line("derived", field),
                    message_zh=f"{field} 是文本，不能由求和得到",
                )
            )
            continue
        factor = unit_factor(spec.get("unit"), "derived", field)
        derived.append(
            Derived(
                field.removeprefix("extra."),
                tuple(str(h) for h in spec["sum"]),
                tuple(str(h) for h in spec.get("minus") or ()),
                factor or Decimal(1),
                line("derived", field),
            )
        )
    values: dict[str, dict[str, str]] = {}
    for field, table in (part.get("values") or {}).items():
        lines[f"values.{field}"] = line("values", field) or 0
        allowed = _CATEGORY_VALUES.get(field)
        if allowed is None and field not in ("county",):
            problems.append(
                Problem(
                    f"value tables are for school_type, ownership, authority, location or "
                    f"county, not {field!r}",
                    file=file,
                    line=line("values", field),
                    suggestion=did_you_mean(field, [*_CATEGORY_VALUES, "county"]),
                    message_zh="代码表只用于 school_type、ownership、authority、location 或 "
                    f"county，不能用于 {field!r}",
                )
            )
            continue
        entries: dict[str, str] = {}
        for code, value in table.items():
            text = str(value)
            if allowed is not None and text not in allowed:
                problems.append(
                    Problem(
                        f"{field} {text!r} is not one of: {', '.join(allowed)}",
                        file=file,
                        line=line("values", field, code),
                        suggestion=did_you_mean(text, allowed),
                        message_zh=f"{field} 的值 {text!r} 不是以下之一：{'、'.join(allowed)}",
                    )
                )
                continue
            entries[str(code).strip()] = text
        values[field] = entries
    constants: dict[str, Any] = {}
    for key in ("county", "school_type"):
        if key in part:
            constants[key] = str(part[key])
            lines[f"constants.{key}"] = line(key) or 0
    for key, value in (part.get("constants") or {}).items():
        lines[f"constants.{key}"] = line("constants", key) or 0
        if field_problem(key, "constants", key):
            continue
        allowed = _CATEGORY_VALUES.get(key)
        if allowed is not None and str(value) not in allowed:
            problems.append(
                Problem(
                    f"{key} {value!r} is not one of: {', '.join(allowed)}",
                    file=file,
                    line=line("constants", key),
                    suggestion=did_you_mean(str(value), allowed),
                    message_zh=f"{key} 的值 {value!r} 不是以下之一：{'、'.join(allowed)}",
                )
            )
            continue
        constants[key] = value
    if "school_type" in constants and constants["school_type"] not in SCHOOL_TYPES:
        problems.append(
            Problem(
                f"school_type {constants['school_type']!r} is not one of: "
                + ", ".join(SCHOOL_TYPES),
                file=file,
                line=line("school_type"),
                suggestion=did_you_mean(str(constants["school_type"]), SCHOOL_TYPES),
                message_zh=f"school_type 的值 {constants['school_type']!r} 不是以下之一："
                + "、".join(SCHOOL_TYPES),
            )
        )
    level = part.get("level")
    if level is not None:
        lines["level"] = line("level") or 0
    return HeaderMapping(
        columns,
        file,
        tuple(derived),
        values,
        constants,
        level,
        None,
        (),
        {k: v for k, v in lines.items() if v},
        units,
    )


def sheet_parts(mapping: HeaderMapping) -> Sequence[SheetMapping]:
    """The sheets a mapping reads: its ``sheets:``, or the one default sheet."""
    if mapping.sheets:
        return [attrs.evolve(s, mapping=_inherit(mapping, s.mapping)) for s in mapping.sheets]
    return [SheetMapping(mapping.sheet, None, mapping)]


def _inherit(top: HeaderMapping, part: HeaderMapping) -> HeaderMapping:
    """A sheet's mapping with the file-level entries it does not override."""
    return attrs.evolve(
        part,
        columns={**top.columns, **part.columns},
        derived=(
            *part.derived,
            *(d for d in top.derived if d.field not in {p.field for p in part.derived}),
        ),
        values={**top.values, **part.values},
        constants={**top.constants, **part.constants},
        level=part.level or top.level,
        lines={**top.lines, **part.lines},
        units={**top.units, **part.units},
    )


def joined_path(name: str, mapping: HeaderMapping, data: str | Path) -> Path:
    """The file a mapping's ``sheets:`` entry names with ``file:``.

    Through the one resolver for files that a file names (``balance_rules.paths``):
    relative to the mapping file's folder, or to the data file's for a mapping
    made in memory.
    """
    from ..paths import resolve_named

    naming = Path(mapping.file).parent if mapping.file else Path(data).parent
    return resolve_named(name, naming, None)


def mapping_inputs(mapping: str | Path | None, data: str | Path) -> list[str]:
    """The other files a mapping's ``sheets:`` read (see :func:`joined_path`).

    For a command to refuse an output that would overwrite one of them; a mapping
    that cannot be read names none (reading it later reports why).
    """
    if not mapping:
        return []
    try:
        loaded = load_mapping(mapping)
    except DataError:
        return []
    return [str(joined_path(part.file, loaded, data)) for part in loaded.sheets if part.file]
