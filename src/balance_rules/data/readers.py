"""Reading the canonical school table and county facts from users' files.

XLSX, CSV (UTF-8, UTF-8 with BOM, GB18030/GBK), JSON and YAML are read into
:class:`~balance_rules.data.model.School` and
:class:`~balance_rules.data.model.County` objects.  Headers may be canonical
names, Chinese aliases (``domain/data.md``) or names from a user's mapping file;
a unit in a header (``万元``) is applied.  Every bad cell is reported in one
:class:`~balance_rules.errors.DataError` naming file, row and column, or, when
asked, the bad rows are skipped and listed.  Nothing is dropped silently.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs

from ..errors import DataError, Problem, did_you_mean
from ..yamlio import YamlReadError, read_yaml
from .cells import UNIT_FACTORS, CellError, normalise_header, parse_bool, parse_number
from .fields import (
    AUTHORITIES,
    COMBINED_TYPES,
    COUNT_FIELDS,
    FACT_ALIASES,
    FACTS,
    LEVEL_SUFFIXES,
    LOCATIONS,
    NUMERIC_FIELDS,
    OWNERSHIPS,
    PERCENT_FACTS,
    SCHOOL_ALIASES,
    SCHOOL_TYPE_LEVELS,
    SCHOOL_TYPES,
    TEXT_FIELDS,
    VALUE_ALIASES,
)
from .model import County, School
from .tables import RawTable, load_structured, read_raw_table

__all__ = [
    "HeaderMapping",
    "SchoolTable",
    "SkippedRow",
    "group_counties",
    "load_mapping",
    "read_counties",
    "read_facts",
    "read_school_raw_table",
    "read_school_table",
    "school_table",
]

_TOTAL_MARKERS = frozenset({"合计", "总计", "小计", "全县合计", "total", "sum"})
_UNPREFIXED = frozenset(LEVEL_SUFFIXES)


@attrs.frozen
class SkippedRow:
    """A row left out of the evaluation because of bad data (``--skip-bad-rows``)."""

    file: str
    row: int | None
    school_id: str | None
    county: str | None
    problems: tuple[Problem, ...]


@attrs.frozen
class SchoolTable:
    """The schools read from one file, with warnings and any skipped rows."""

    schools: tuple[School, ...]
    warnings: tuple[Problem, ...] = ()
    skipped: tuple[SkippedRow, ...] = ()
    file: str = ""


@attrs.frozen
class HeaderMapping:
    """A user's header spellings: header text -> (canonical field, unit factor)."""

    columns: Mapping[str, tuple[str, Decimal]] = attrs.field(factory=dict)
    file: str | None = None

    def lookup(self, header: str) -> tuple[str, Decimal] | None:
        for key in (header, header.strip(), normalise_header(header)[0]):
            if key in self.columns:
                return self.columns[key]
        return None


def load_mapping(path: str | Path) -> HeaderMapping:
    """Read a mapping file: ``columns: {表头: field}`` or ``{表头: {field: f, unit: 万元}}``."""
    file = str(path)
    try:
        document = read_yaml(Path(path))
    except YamlReadError as exc:
        raise DataError(exc.problems) from None
    except OSError as exc:
        raise DataError([Problem(exc.strerror or "cannot read", file=file)]) from None
    columns = document.get("columns") if isinstance(document, Mapping) else None
    if not isinstance(columns, Mapping):
        raise DataError([Problem("a mapping file has `columns: {header: field}`", file=file)])
    known = {*TEXT_FIELDS, *NUMERIC_FIELDS, *_UNPREFIXED}
    result: dict[str, tuple[str, Decimal]] = {}
    problems = []
    for header, target in columns.items():
        line = columns.key_lines.get(header) if hasattr(columns, "key_lines") else None
        field, unit = (
            (target, None)
            if isinstance(target, str)
            else (
                (target.get("field"), target.get("unit"))
                if isinstance(target, Mapping)
                else (None, None)
            )
        )
        if not isinstance(field, str):
            problems.append(
                Problem("expected a field name or {field:, unit:}", file, line, column=str(header))
            )
            continue
        if field not in known and not field.startswith("extra."):
            problems.append(
                Problem(
                    f"unknown field {field!r} (use extra.NAME for a column of your own)",
                    file,
                    line,
                    column=str(header),
                    suggestion=did_you_mean(field, known),
                )
            )
            continue
        if unit is not None and unit not in UNIT_FACTORS:
            problems.append(
                Problem(
                    f"unknown unit {unit!r}; known: {', '.join(UNIT_FACTORS)}",
                    file,
                    line,
                    column=str(header),
                    suggestion=did_you_mean(str(unit), UNIT_FACTORS),
                )
            )
            continue
        factor = UNIT_FACTORS[unit] if unit is not None else Decimal(1)
        result[str(header)] = (field.removeprefix("extra."), factor)
    if problems:
        raise DataError(problems, f"{file}: {len(problems)} problem(s) in the header mapping")
    return HeaderMapping(result, file)


@attrs.frozen
class _Column:
    header: str
    field: str | None  # canonical name, extra-column name, or None when ignored
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


def _recognise_school(mapping: HeaderMapping | None) -> Any:
    def recognise(header: str) -> str | None:
        if mapping is not None:
            mapped = mapping.lookup(header)
            if mapped is not None:
                return mapped[0]
        return _SCHOOL_HEADERS.get(normalise_header(header)[0].lower())

    return recognise


def _recognise_fact(header: str) -> str | None:
    return _FACT_HEADERS.get(normalise_header(header)[0].lower())


# -- the school table ---------------------------------------------------------------


def _columns(
    header: Sequence[str], file: str, mapping: HeaderMapping | None
) -> tuple[list[_Column], list[Problem], list[Problem]]:
    columns: list[_Column] = []
    problems: list[Problem] = []
    warnings: list[Problem] = []
    seen: dict[str, str] = {}
    known = {*TEXT_FIELDS, *NUMERIC_FIELDS, *_UNPREFIXED}
    for raw in header:
        name, factor, percent = normalise_header(raw)
        mapped = mapping.lookup(raw) if mapping is not None else None
        canonical: str | None
        if mapped is not None:
            canonical, factor = mapped
        else:
            canonical = _SCHOOL_HEADERS.get(name.lower())
        if not name:
            columns.append(_Column(raw, None))
            continue
        if canonical is None or canonical not in known:
            extra_name = canonical or name
            columns.append(_Column(raw, extra_name, factor, percent, extra=True))
            # Headers are long and share words (面积, 教师数): only a close match is a typo.
            suggestion = (
                did_you_mean(name.lower(), _SCHOOL_HEADERS, cutoff=0.75)
                if canonical is None
                else None
            )
            if suggestion is not None:
                warnings.append(
                    Problem(
                        "unrecognised column, kept as an extra field",
                        file=file,
                        column=raw,
                        suggestion=_SCHOOL_HEADERS[suggestion],
                    )
                )
            continue
        if canonical in seen:
            problems.append(
                Problem(
                    f"two columns for {canonical}: {seen[canonical]!r} and {raw!r}",
                    file=file,
                    column=raw,
                )
            )
        seen[canonical] = raw
        columns.append(_Column(raw, canonical, factor, percent))
    if "school_id" not in seen:
        problems.append(Problem("no school id column (school_id or 学校标识码)", file=file))
    return columns, problems, warnings


def _text_value(field: str, text: str) -> str:
    """Identity text as written; a category (school type, ...) as its canonical code."""
    cleaned = text.strip()
    aliases = VALUE_ALIASES.get(field)
    if aliases is None:
        return cleaned
    return aliases.get(cleaned, cleaned.lower() if cleaned.isascii() else cleaned)


_CATEGORIES = {
    "school_type": SCHOOL_TYPES,
    "ownership": OWNERSHIPS,
    "authority": AUTHORITIES,
    "location": LOCATIONS,
}


def _check_category(field: str, value: str) -> None:
    allowed = _CATEGORIES.get(field)
    if allowed is None or value in allowed:
        return
    spellings = [*allowed, *VALUE_ALIASES.get(field, {})]
    suggestion = did_you_mean(value, spellings)
    hint = f" (did you mean {suggestion!r}?)" if suggestion else ""
    raise CellError(f"unknown {field} {value!r}{hint}; expected one of {', '.join(allowed)}")


def _located(
    table: RawTable, number: int, column: str, message: str, suggestion: str | None = None
) -> Problem:
    if table.unit == "row":
        return Problem(message, file=table.file, row=number, column=column, suggestion=suggestion)
    return Problem(
        f"{table.unit} {number}: {message}", file=table.file, column=column, suggestion=suggestion
    )


def read_school_table(
    path: str | Path,
    *,
    encoding: str | None = None,
    sheet: str | None = None,
    mapping: HeaderMapping | None = None,
    skip_bad_rows: bool = False,
) -> SchoolTable:
    """Read a school table (XLSX, CSV, JSON or YAML) into :class:`School` objects.

    Raises :class:`DataError` listing every bad cell and row; with
    ``skip_bad_rows`` the bad rows are returned in ``skipped`` instead.
    Problems with the columns themselves (no school id column) always raise.
    """
    table = read_school_raw_table(path, encoding=encoding, sheet=sheet, mapping=mapping)
    return school_table(table, mapping=mapping, skip_bad_rows=skip_bad_rows)


def read_school_raw_table(
    path: str | Path,
    *,
    encoding: str | None = None,
    sheet: str | None = None,
    mapping: HeaderMapping | None = None,
) -> RawTable:
    """The cells of a school table, before parsing (for callers that split its rows)."""
    return read_raw_table(
        Path(path),
        recognise=_recognise_school(mapping),
        key_field="school_id",
        records_key="schools",
        encoding=encoding,
        sheet=sheet,
    )


def school_table(
    table: RawTable, *, mapping: HeaderMapping | None = None, skip_bad_rows: bool = False
) -> SchoolTable:
    """Parse and check the cells of a raw school table (see :func:`read_school_table`)."""
    columns, fatal, warnings = _columns(table.header, table.file, mapping)
    if fatal:
        raise DataError(fatal, f"{table.file}: the columns cannot be read")
    extra_numeric = _numeric_extras(columns, table.rows)
    for column in columns:
        if column.extra and column.field not in extra_numeric:
            warnings.append(
                Problem(
                    "text column ignored (not a known field)", file=table.file, column=column.header
                )
            )
    rows: list[_Row] = []
    for number, cells in table.rows:
        if _is_total_row(columns, cells):
            warnings.append(Problem("totals row skipped", file=table.file, row=number))
            continue
        rows.append(_parse_row(table, columns, cells, extra_numeric, number))
    headers = {c.field: c.header for c in columns if c.field is not None and not c.extra}
    _check_ids(table, rows, headers)
    for row in rows:
        if not row.problems:
            row.build(table, headers)
    _check_relations(table, rows, headers)
    bad = [row for row in rows if row.problems]
    if bad and not skip_bad_rows:
        problems = [p for row in bad for p in row.problems]
        raise DataError(problems, f"{table.file}: {len(problems)} problem(s) in the school table")
    skipped = tuple(
        SkippedRow(
            table.file,
            row.number,
            row.record.get("school_id"),
            row.record.get("county"),
            tuple(row.problems),
        )
        for row in bad
    )
    schools = tuple(row.school for row in rows if row.school is not None and not row.problems)
    return SchoolTable(schools, tuple(warnings), skipped, table.file)


@attrs.define
class _Row:
    number: int
    record: dict[str, Any]
    problems: list[Problem]
    school: School | None = None

    def build(self, table: RawTable, headers: Mapping[str, str]) -> None:
        problems = _resolve_levels(table, self, headers)
        if problems:
            self.problems += problems
            return
        try:
            self.school = School(**self.record)
        except DataError as exc:
            self.problems += [
                _located(table, self.number, headers.get(p.column or "", p.column or ""), p.message)
                for p in exc.problems
            ]


def _numeric_extras(
    columns: Sequence[_Column], rows: Sequence[tuple[int, Sequence[str]]]
) -> set[str]:
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
        marker = cell.strip().lower().replace(" ", "")
        if column.field in ("school_id", "school_name", "county") and marker in _TOTAL_MARKERS:
            return True
    return False


def _is_count(field: str) -> bool:
    return (
        field in COUNT_FIELDS
        or field in ("students", "classes", "max_class_size")
        or (field in _UNPREFIXED and field.endswith("teachers"))
    )


def _parse_row(
    table: RawTable,
    columns: Sequence[_Column],
    cells: Sequence[str],
    extra_numeric: set[str],
    number: int,
) -> _Row:
    record: dict[str, Any] = {}
    extra: dict[str, Decimal | None] = {}
    problems: list[Problem] = []
    for index, column in enumerate(columns):
        text = cells[index] if index < len(cells) else ""
        field = column.field
        if field is None or (column.extra and field not in extra_numeric):
            continue
        try:
            if column.extra:
                parsed = parse_number(text)
                extra[field] = None if parsed is None else parsed[0] * column.factor
            elif field in TEXT_FIELDS:
                if text.strip():
                    record[field] = _text_value(field, text)
                    _check_category(field, record[field])
            elif field == "counted_as_school":
                flag = parse_bool(text)
                if flag is not None:
                    record[field] = flag
            else:
                parsed = parse_number(text)
                if parsed is not None:
                    value = parsed[0] * column.factor
                    if value < 0:
                        raise CellError(f"{text.strip()!r} is negative")
                    if _is_count(field) and value != value.to_integral_value():
                        raise CellError(f"{text.strip()!r} is not a whole number (a count)")
                    record[field] = value
        except CellError as exc:
            problems.append(_located(table, number, column.header, str(exc)))
    if extra:
        record["extra"] = extra
    return _Row(number, record, problems)


def _check_ids(table: RawTable, rows: Sequence[_Row], headers: Mapping[str, str]) -> None:
    column = headers.get("school_id", "school_id")
    first: dict[str, int] = {}
    for row in rows:
        school_id = row.record.get("school_id")
        if not school_id:
            row.problems.append(_located(table, row.number, column, "school id is blank"))
        elif school_id in first:
            row.problems.append(
                _located(
                    table,
                    row.number,
                    column,
                    f"school id {school_id!r} repeats {table.unit} {first[school_id]}",
                )
            )
        else:
            first[school_id] = row.number


def _resolve_levels(table: RawTable, row: _Row, headers: Mapping[str, str]) -> list[Problem]:
    """Move unprefixed per-level columns (``teachers``) onto the school's one level."""
    record = row.record
    school_type = record.get("school_type", "primary")
    unprefixed = [k for k in record if k in _UNPREFIXED]
    if not unprefixed:
        return []
    levels = [lv for lv in SCHOOL_TYPE_LEVELS.get(school_type, ()) if lv != "senior"]
    if len(levels) != 1:
        return [
            _located(
                table,
                row.number,
                name,
                f"a {school_type} school needs per-level columns (primary_{name}, junior_{name})",
            )
            for name in unprefixed
        ]
    for name in unprefixed:
        value = record.pop(name)
        record.setdefault(f"{levels[0]}_{name}", value)
    return []


def _check_relations(table: RawTable, rows: Sequence[_Row], headers: Mapping[str, str]) -> None:
    parent_column = headers.get("parent_school_id", "parent_school_id")
    ids = {row.record.get("school_id") for row in rows}
    for row in rows:
        school = row.school
        if school is None:
            continue
        parent = school.parent_school_id
        if not school.counted_as_school and not parent:
            row.problems.append(
                _located(
                    table,
                    row.number,
                    parent_column,
                    f"{school.school_id} is not counted as a school (是否计校数 = 否) "
                    "but names no parent school",
                )
            )
        elif parent and parent not in ids:
            row.problems.append(
                _located(
                    table,
                    row.number,
                    parent_column,
                    f"parent school {parent!r} of {school.school_id} is not in the table",
                    did_you_mean(parent, [i for i in ids if i]),
                )
            )
        if school.school_type in COMBINED_TYPES and school.counted_as_school:
            for level in SCHOOL_TYPE_LEVELS[school.school_type]:
                if school.value(f"{level}_students") is None:
                    row.problems.append(
                        _located(
                            table,
                            row.number,
                            headers.get(f"{level}_students", f"{level}_students"),
                            f"{school.school_type} school {school.school_id} has no {level} "
                            "student count (combined schools report each level)",
                        )
                    )


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
    schools: str | Path | SchoolTable,
    facts: str | Path | None = None,
    *,
    encoding: str | None = None,
    sheet: str | None = None,
    mapping: HeaderMapping | None = None,
    skip_bad_rows: bool = False,
) -> list[County]:
    """Read a school table and (optionally) a county facts file into counties.

    A facts file naming a county that has no schools is an error.
    """
    table = (
        schools
        if isinstance(schools, SchoolTable)
        else read_school_table(
            schools, encoding=encoding, sheet=sheet, mapping=mapping, skip_bad_rows=skip_bad_rows
        )
    )
    fact_table = read_facts(facts, encoding=encoding) if facts is not None else {}
    counties = group_counties(table.schools, fact_table, default_name=Path(table.file).stem)
    names = [c.name for c in counties]
    unknown = sorted(set(fact_table) - set(names))
    if unknown:
        raise DataError(
            [
                Problem(
                    f"facts for county {name!r}, which has no schools in {table.file}",
                    file=str(facts),
                    suggestion=did_you_mean(name, names),
                )
                for name in unknown
            ]
        )
    return counties


# -- county facts -------------------------------------------------------------------


def read_facts(
    path: str | Path, *, encoding: str | None = None, sheet: str | None = None
) -> dict[str, dict[str, Decimal | bool]]:
    """Read county facts keyed by county name.

    YAML/JSON: ``{rates: percent|fraction, counties: {name: {fact: value}}}`` or
    just ``{name: {fact: value}}``.  CSV/XLSX: one row per county with a county
    column (``county`` or ``县区``) and one column per fact (canonical names or
    Chinese aliases).  Rates are percentages (95 or "95%"); a header with ``%``
    marks a percentage column; a file whose rates are fractions (0.95) says
    ``rates: fraction``.  A bare rate between 0 and 1 that nothing explains is
    refused as ambiguous.
    """
    path = Path(path)
    file = str(path)
    entries: list[tuple[str, str, Any, Problem, bool]] = []  # county, fact, value, where, %
    problems: list[Problem] = []
    rates: str | None = None
    if path.suffix.lower() in (".yaml", ".yml", ".json"):
        if not path.is_file():
            raise DataError([Problem("no such file", file=file)])
        document = load_structured(path)
        if not isinstance(document, Mapping):
            raise DataError([Problem("expected a mapping of county -> facts", file=file)])
        rates = document.get("rates")
        if rates not in (None, "percent", "fraction"):
            problems.append(
                Problem(f"rates must be 'percent' or 'fraction', got {rates!r}", file=file)
            )
        counties = document.get("counties", document)
        for county, facts in counties.items():
            if county in ("rates", "counties"):
                continue
            if not isinstance(facts, Mapping):
                problems.append(
                    Problem(f"county {county!r}: expected a mapping of facts", file=file)
                )
                continue
            key_lines = getattr(facts, "key_lines", {})
            for name, value in facts.items():
                where = Problem("", file=file, line=key_lines.get(name), column=str(name))
                entries.append((str(county), str(name), value, where, False))
    else:
        table = read_raw_table(
            path,
            recognise=_recognise_fact,
            key_field="county",
            records_key="counties",
            encoding=encoding,
            sheet=sheet,
        )
        headers = [normalise_header(h) for h in table.header]
        county_index = next(
            i for i, (name, _, _) in enumerate(headers) if _recognise_fact(name) == "county"
        )
        for number, cells in table.rows:
            county = cells[county_index].strip() if county_index < len(cells) else ""
            if county.lower() in _TOTAL_MARKERS:
                continue
            for index, ((name, _, percent), raw) in enumerate(
                zip(headers, table.header, strict=True)
            ):
                cell = cells[index] if index < len(cells) else ""
                if index == county_index or not cell.strip():
                    continue
                where = Problem("", file=file, row=number, column=raw)
                entries.append((county, name, cell, where, percent))
    result: dict[str, dict[str, Decimal | bool]] = {}
    for county, name, value, where, header_percent in entries:
        canonical = _recognise_fact(name) or name
        if canonical not in FACTS:
            suggestion = did_you_mean(canonical, FACTS)
            if suggestion is not None:
                problems.append(
                    attrs.evolve(
                        where,
                        message=f"county {county!r}: unknown fact {canonical!r}",
                        suggestion=suggestion,
                    )
                )
                continue
        try:
            parsed = _fact_value(canonical, value, rates, header_percent)
        except CellError as exc:
            problems.append(attrs.evolve(where, message=f"county {county!r}: {exc}"))
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
    text = str(value).strip() if value is not None else ""
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
