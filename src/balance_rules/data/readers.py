"""Reading the canonical school table and county facts from files.

CSV (UTF-8, UTF-8 with BOM, GB18030/GBK), JSON and YAML are read into
:class:`~balance_rules.data.model.School` and
:class:`~balance_rules.data.model.County` objects.  Headers may be canonical
names or Chinese aliases (``domain/data.md``); a unit in a header (``万元``) is
applied.  Every bad cell is reported in one :class:`~balance_rules.errors.DataError`
naming file, row and column; nothing is dropped silently.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs

from ..errors import DataError, Problem, did_you_mean
from ..yamlio import YamlReadError, read_yaml
from .cells import CellError, normalise_header, parse_bool, parse_number
from .fields import (
    COMBINED_TYPES,
    COUNT_FIELDS,
    FACT_ALIASES,
    FACTS,
    LEVEL_SUFFIXES,
    NUMERIC_FIELDS,
    PERCENT_FACTS,
    SCHOOL_ALIASES,
    SCHOOL_TYPE_LEVELS,
    TEXT_FIELDS,
    VALUE_ALIASES,
)
from .model import County, School

__all__ = [
    "SchoolTable",
    "group_counties",
    "read_counties",
    "read_facts",
    "read_school_table",
]

_TOTAL_MARKERS = ("合计", "总计", "小计", "total")
_UNPREFIXED = frozenset(LEVEL_SUFFIXES)


@attrs.frozen
class SchoolTable:
    """The schools read from one file, and warnings about columns or rows."""

    schools: tuple[School, ...]
    warnings: tuple[Problem, ...] = ()
    file: str = ""


@attrs.frozen
class _Column:
    header: str
    field: str | None  # canonical name, or None when ignored
    factor: Decimal = Decimal(1)
    percent: bool = False
    extra: bool = False


def _alias_table(aliases: Mapping[str, Sequence[str]]) -> dict[str, str]:
    table: dict[str, str] = {}
    for canonical, names in aliases.items():
        table[canonical.lower()] = canonical
        for name in names:
            table[normalise_header(name)[0].lower()] = canonical
    return table


_SCHOOL_HEADERS = _alias_table(
    {**{n: () for n in (*TEXT_FIELDS, *NUMERIC_FIELDS)}, **SCHOOL_ALIASES}
)
_FACT_HEADERS = _alias_table({**{n: () for n in FACTS}, **FACT_ALIASES})


# -- reading raw rows ---------------------------------------------------------------


def _decode(raw: bytes, file: str, encoding: str | None) -> str:
    if encoding:
        try:
            return raw.decode(encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise DataError([Problem(f"cannot decode as {encoding}: {exc}", file=file)]) from None
    for candidate in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(candidate)
        except UnicodeDecodeError:
            continue
    raise DataError(  # pragma: no cover - gb18030 decodes almost any bytes
        [Problem("cannot tell the text encoding; pass --encoding", file=file)]
    )


def _csv_rows(path: Path, encoding: str | None) -> tuple[list[str], list[tuple[int, list[str]]]]:
    text = _decode(path.read_bytes(), str(path), encoding)
    reader = csv.reader(io.StringIO(text))
    rows = [(number, row) for number, row in enumerate(reader, start=1)]
    rows = [(n, r) for n, r in rows if any(cell.strip() for cell in r)]
    if not rows:
        raise DataError([Problem("the file is empty", file=str(path))])
    header = rows[0][1]
    return header, rows[1:]


def _records_rows(
    records: Any, file: str, key: str
) -> tuple[list[str], list[tuple[int, list[str]]]]:
    if isinstance(records, Mapping) and key in records:
        records = records[key]
    if not isinstance(records, list) or not all(isinstance(r, Mapping) for r in records):
        raise DataError(
            [Problem(f"expected a list of records (or a mapping with {key!r})", file=file)]
        )
    header: list[str] = []
    for record in records:
        for name in record:
            if str(name) not in header:
                header.append(str(name))
    rows = []
    for number, record in enumerate(records, start=1):
        rows.append(
            (number, ["" if record.get(h) is None else _cell_text(record.get(h)) for h in header])
        )
    return header, rows


def _cell_text(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _load_structured(path: Path) -> Any:
    if path.suffix.lower() == ".json":
        try:
            return json.loads(path.read_text(encoding="utf-8-sig"), parse_float=Decimal)
        except json.JSONDecodeError as exc:
            raise DataError(
                [Problem(f"not valid JSON: {exc.msg}", file=str(path), line=exc.lineno)]
            ) from None
    try:
        return read_yaml(path)
    except YamlReadError as exc:
        raise DataError(exc.problems) from None


def _table_rows(
    path: Path, encoding: str | None, key: str
) -> tuple[list[str], list[tuple[int, list[str]]], str]:
    """(header, [(row number, cells)], what a row number means)."""
    if not path.is_file():
        raise DataError([Problem("no such file", file=str(path))])
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt"):
        header, rows = _csv_rows(path, encoding)
        return header, rows, "row"
    if suffix in (".json", ".yaml", ".yml"):
        header, rows = _records_rows(_load_structured(path), str(path), key)
        return header, rows, "record"
    if suffix in (".xlsx", ".xlsm", ".xls"):
        raise DataError(
            [Problem("spreadsheets are not supported yet; save the sheet as CSV", file=str(path))]
        )
    raise DataError(
        [Problem(f"unknown file type {suffix!r}; use .csv, .json or .yaml", file=str(path))]
    )


# -- the school table ---------------------------------------------------------------


def _columns(
    header: Sequence[str], file: str
) -> tuple[list[_Column], list[Problem], list[Problem]]:
    columns: list[_Column] = []
    problems: list[Problem] = []
    warnings: list[Problem] = []
    seen: dict[str, str] = {}
    for raw in header:
        name, factor, percent = normalise_header(raw)
        canonical = _SCHOOL_HEADERS.get(name.lower())
        if canonical is None:
            suggestion = did_you_mean(name.lower(), _SCHOOL_HEADERS)
            columns.append(_Column(raw, name, factor, percent, extra=True))
            if suggestion is not None:
                warnings.append(
                    Problem(
                        "unrecognised column kept as an extra field",
                        file=file,
                        column=raw,
                        suggestion=_SCHOOL_HEADERS[suggestion],
                    )
                )
            continue
        if canonical in seen:
            problems.append(
                Problem(
                    f"column for {canonical} appears twice ({seen[canonical]!r} and {raw!r})",
                    file=file,
                    column=raw,
                )
            )
        seen[canonical] = raw
        columns.append(_Column(raw, canonical, factor, percent))
    if "school_id" not in seen:
        problems.append(
            Problem(
                "no school id column (school_id or 学校标识码)",
                file=file,
                suggestion=None,
            )
        )
    return columns, problems, warnings


def _category(field: str, text: str) -> str:
    cleaned = text.strip()
    aliases = VALUE_ALIASES.get(field, {})
    return aliases.get(cleaned, cleaned.lower() if cleaned.isascii() else cleaned)


def read_school_table(path: str | Path, *, encoding: str | None = None) -> SchoolTable:
    """Read a school table (CSV, JSON or YAML) into :class:`School` objects.

    Raises :class:`DataError` listing every bad cell and row.
    """
    path = Path(path)
    file = str(path)
    header, rows, unit = _table_rows(path, encoding, "schools")
    columns, problems, warnings = _columns(header, file)
    extra_numeric = _numeric_extras(columns, rows)
    for column in columns:
        if column.extra and column.field not in extra_numeric:
            warnings.append(
                Problem("text column ignored (not a known field)", file=file, column=column.header)
            )
    records: list[tuple[int, dict[str, Any]]] = []
    for number, cells in rows:
        if _is_total_row(columns, cells):
            warnings.append(Problem("totals row skipped", file=file, row=number))
            continue
        record, cell_problems = _parse_row(columns, cells, extra_numeric, file, number, unit)
        problems += cell_problems
        records.append((number, record))
    schools: list[School] = []
    ids: dict[str, int] = {}
    for number, record in records:
        school_id = record.get("school_id")
        if not school_id:
            problems.append(_row_problem(file, number, unit, "school_id", "school id is blank"))
            continue
        if school_id in ids:
            problems.append(
                _row_problem(
                    file,
                    number,
                    unit,
                    "school_id",
                    f"school id {school_id!r} repeats {unit} {ids[school_id]}",
                )
            )
            continue
        ids[school_id] = number
        row_problems = _resolve_levels(record, file, number, unit)
        if row_problems:
            problems += row_problems
            continue
        try:
            schools.append(School(**record))
        except DataError as exc:
            problems += [
                attrs.evolve(
                    p,
                    file=file,
                    row=number if unit == "row" else None,
                    message=p.message if unit == "row" else f"{unit} {number}: {p.message}",
                )
                for p in exc.problems
            ]
    problems += _cross_row_problems(schools, ids, file, unit)
    if problems:
        raise DataError(problems, f"{file}: {len(problems)} problem(s) in the school table")
    return SchoolTable(tuple(schools), tuple(warnings), file)


def _row_problem(file: str, number: int, unit: str, column: str, message: str) -> Problem:
    if unit == "row":
        return Problem(message, file=file, row=number, column=column)
    return Problem(f"{unit} {number}: {message}", file=file, column=column)


def _numeric_extras(columns: Sequence[_Column], rows: Sequence[tuple[int, list[str]]]) -> set[str]:
    numeric: set[str] = set()
    for index, column in enumerate(columns):
        if not column.extra or column.field is None:
            continue
        try:
            for _, cells in rows:
                if index < len(cells):
                    parse_number(cells[index])
        except CellError:
            continue
        numeric.add(column.field)
    return numeric


def _is_total_row(columns: Sequence[_Column], cells: Sequence[str]) -> bool:
    for column, cell in zip(columns, cells, strict=False):
        if (
            column.field in ("school_id", "school_name", "county")
            and cell.strip().lower().replace(" ", "") in _TOTAL_MARKERS
        ):
            return True
    return False


def _parse_row(
    columns: Sequence[_Column],
    cells: Sequence[str],
    extra_numeric: set[str],
    file: str,
    number: int,
    unit: str,
) -> tuple[dict[str, Any], list[Problem]]:
    record: dict[str, Any] = {}
    extra: dict[str, Decimal | None] = {}
    problems: list[Problem] = []
    for index, column in enumerate(columns):
        text = cells[index] if index < len(cells) else ""
        field = column.field
        if field is None:
            continue
        try:
            if column.extra:
                if field in extra_numeric:
                    parsed = parse_number(text)
                    extra[field] = None if parsed is None else parsed[0] * column.factor
            elif field in TEXT_FIELDS:
                value = text.strip()
                if value:
                    record[field] = _category(field, value)
            elif field == "counted_as_school":
                flag = parse_bool(text)
                if flag is not None:
                    record[field] = flag
            else:
                parsed = parse_number(text)
                if parsed is not None:
                    value_number = parsed[0] * column.factor
                    if value_number < 0:
                        raise CellError(f"{text.strip()!r} is negative")
                    if _is_count(field) and value_number != value_number.to_integral_value():
                        raise CellError(f"{text.strip()!r} is not a whole number (a count)")
                    record[field] = value_number
        except CellError as exc:
            problems.append(_row_problem(file, number, unit, column.header, str(exc)))
    if extra:
        record["extra"] = extra
    return record, problems


def _is_count(field: str) -> bool:
    return (
        field in COUNT_FIELDS
        or field in ("students", "classes", "max_class_size")
        or (field in _UNPREFIXED and field.endswith("teachers"))
    )


def _resolve_levels(record: dict[str, Any], file: str, number: int, unit: str) -> list[Problem]:
    """Move unprefixed per-level columns (``teachers``) onto the school's one level."""
    school_type = record.get("school_type", "primary")
    unprefixed = [k for k in record if k in _UNPREFIXED]
    if not unprefixed:
        return []
    levels = [lv for lv in SCHOOL_TYPE_LEVELS.get(school_type, ()) if lv != "senior"]
    if len(levels) != 1:
        return [
            _row_problem(
                file,
                number,
                unit,
                name,
                f"a {school_type} school needs per-level columns (primary_{name}, junior_{name})",
            )
            for name in unprefixed
        ]
    for name in unprefixed:
        prefixed = f"{levels[0]}_{name}"
        value = record.pop(name)
        if record.get(prefixed) is None:
            record[prefixed] = value
    return []


def _cross_row_problems(
    schools: Sequence[School], ids: Mapping[str, int], file: str, unit: str
) -> list[Problem]:
    problems = []
    for school in schools:
        number = ids[school.school_id]
        parent = school.parent_school_id
        needs_parent = not school.counted_as_school
        if needs_parent and not parent:
            problems.append(
                _row_problem(
                    file,
                    number,
                    unit,
                    "parent_school_id",
                    f"{school.school_id} is not counted as a school but names no parent",
                )
            )
        elif parent and parent not in ids:
            problems.append(
                _row_problem(
                    file,
                    number,
                    unit,
                    "parent_school_id",
                    f"parent school {parent!r} of {school.school_id} is not in the table",
                )
            )
        if school.school_type in COMBINED_TYPES and school.counted_as_school:
            for level in SCHOOL_TYPE_LEVELS[school.school_type]:
                if school.value(f"{level}_students") is None:
                    problems.append(
                        _row_problem(
                            file,
                            number,
                            unit,
                            f"{level}_students",
                            f"{school.school_type} school {school.school_id} has no "
                            f"{level} student count (combined schools report each section)",
                        )
                    )
    return problems


def group_counties(
    schools: Iterable[School],
    facts: Mapping[str, Mapping[str, Decimal | bool]] | None = None,
    *,
    default_name: str = "",
) -> list[County]:
    """Group schools by their ``county`` column into :class:`County` objects."""
    groups: dict[str, list[School]] = {}
    for school in schools:
        groups.setdefault(school.county or default_name, []).append(school)
    facts = facts or {}
    return [
        County(name=name, schools=tuple(items), facts=facts.get(name, {}))
        for name, items in groups.items()
    ]


def read_counties(
    schools: str | Path, facts: str | Path | None = None, *, encoding: str | None = None
) -> list[County]:
    """Read a school table and (optionally) a county facts file into counties."""
    table = read_school_table(schools, encoding=encoding)
    fact_table = read_facts(facts, encoding=encoding) if facts is not None else {}
    counties = group_counties(table.schools, fact_table, default_name=Path(schools).stem)
    unknown = sorted(set(fact_table) - {c.name for c in counties})
    if unknown:
        raise DataError(
            [
                Problem(
                    f"facts for county {name!r}, which has no schools in {schools}",
                    file=str(facts),
                    suggestion=did_you_mean(name, [c.name for c in counties]),
                )
                for name in unknown
            ]
        )
    return counties


# -- county facts -------------------------------------------------------------------


def read_facts(
    path: str | Path, *, encoding: str | None = None
) -> dict[str, dict[str, Decimal | bool]]:
    """Read county facts keyed by county name.

    YAML/JSON: ``{rates: percent|fraction, counties: {name: {fact: value}}}`` or
    just ``{name: {fact: value}}``.  CSV: one row per county, a ``county`` column.
    Rates are percentages (95 or "95%"); a file whose rates are fractions (0.95)
    says ``rates: fraction``.  A bare rate between 0 and 1 in a file that does not
    say which is refused as ambiguous.
    """
    path = Path(path)
    file = str(path)
    suffix = path.suffix.lower()
    problems: list[Problem] = []
    result: dict[str, dict[str, Decimal | bool]] = {}
    rates: str | None = None
    entries: list[tuple[str, str, Any, str, bool]] = []  # county, fact, value, where, percent
    if suffix in (".yaml", ".yml", ".json"):
        if not path.is_file():
            raise DataError([Problem("no such file", file=file)])
        document = _load_structured(path)
        if not isinstance(document, Mapping):
            raise DataError([Problem("expected a mapping of county -> facts", file=file)])
        rates = document.get("rates")
        counties = document.get("counties", document if "rates" not in document else {})
        if rates not in (None, "percent", "fraction"):
            problems.append(
                Problem(f"rates must be 'percent' or 'fraction', got {rates!r}", file=file)
            )
        for county, facts in counties.items():
            if county == "rates":
                continue
            if not isinstance(facts, Mapping):
                problems.append(
                    Problem(f"county {county!r}: expected a mapping of facts", file=file)
                )
                continue
            for name, value in facts.items():
                line = getattr(facts, "key_lines", {}).get(name)
                entries.append(
                    (str(county), str(name), value, f"line {line}" if line else "", False)
                )
    else:
        header, rows, _ = _table_rows(path, encoding, "counties")
        names = [normalise_header(h) for h in header]
        for number, cells in rows:
            county = ""
            for (name, _, _), cell in zip(names, cells, strict=False):
                if _FACT_HEADERS.get(name.lower()) == "county":
                    county = cell.strip()
            for (name, _, percent), raw, cell in zip(names, header, cells, strict=False):
                canonical = _FACT_HEADERS.get(name.lower(), name)
                if canonical == "county" or cell.strip() == "":
                    continue
                entries.append(
                    (
                        county,
                        canonical if canonical in FACTS else name,
                        cell,
                        f"row {number}, column {raw!r}",
                        percent,
                    )
                )
    for county, name, value, where, header_percent in entries:
        canonical = _FACT_HEADERS.get(normalise_header(name)[0].lower(), name)
        try:
            parsed = _fact_value(canonical, value, rates, header_percent)
        except CellError as exc:
            problems.append(
                Problem(f"county {county!r}, {where or canonical}: {exc}", file=file, column=name)
            )
            continue
        if canonical not in FACTS and did_you_mean(canonical, FACTS):
            problems.append(
                Problem(
                    f"county {county!r}: unknown fact {canonical!r}",
                    file=file,
                    column=name,
                    suggestion=did_you_mean(canonical, FACTS),
                )
            )
            continue
        if parsed is not None:
            result.setdefault(county, {})[canonical] = parsed
    if problems:
        raise DataError(problems, f"{file}: {len(problems)} problem(s) in the county facts")
    return result


def _fact_value(
    name: str, value: Any, rates: str | None, header_percent: bool
) -> Decimal | bool | None:
    kind = FACTS.get(name)
    if isinstance(value, bool):
        if kind not in ("bool", None):
            raise CellError(f"{name} must be a number, got {value}")
        return value
    text = _cell_text(value).strip()
    if kind == "bool" or (
        kind is None and text.lower() in ("yes", "no", "是", "否", "true", "false")
    ):
        return parse_bool(text)
    parsed = parse_number(text)
    if parsed is None:
        return None
    number, percent_sign = parsed
    if name in PERCENT_FACTS and not (percent_sign or header_percent):
        if rates == "fraction":
            number *= 100
        elif rates is None and 0 < number <= 1:
            raise CellError(
                f"{name} = {text} is ambiguous: write 95 or 95% for a percentage, "
                "or declare `rates: fraction` (or `rates: percent`) in the file"
            )
    return number
