"""Reading the canonical school table and county facts from users' files.

XLSX, CSV (UTF-8, UTF-8 with BOM, GB18030/GBK), JSON and YAML are read into
:class:`~balance_rules.data.model.School` and
:class:`~balance_rules.data.model.County` objects.  Headers may be canonical
names, Chinese aliases (``domain/data.md``, ``domain/exports.md``), header paths
through several header rows (``专任教师/本科``) or names from a user's mapping
file (:mod:`.mapping`: derived sums, code tables, constants, several sheets
joined on the school id); a unit in a header or a unit row (``万元``, ``万册``) is
applied.  Every bad cell is reported in one :class:`~balance_rules.errors.DataError`
naming file, sheet, row and column, or, when asked, the bad rows are skipped and
listed.  Nothing is dropped or guessed silently: a file that could be misread
(no school-type column, an ambiguous student count, a one-field-per-row form,
an unknown unit) is refused with the mapping line that would fix it.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs

from ..collector import paused
from ..errors import DataError, Problem, did_you_mean
from .cells import (
    UNIT_FACTORS,
    CellError,
    alias_table,
    header_unit,
    normalise_header,
    parse_bool,
    parse_number,
)
from .facts import read_fact
from .facts import recognise_fact as _recognise_fact
from .fields import (
    AUTHORITIES,
    LEVEL_SUFFIXES,
    LOCATIONS,
    NUMERIC_FIELDS,
    OWNERSHIPS,
    SCHOOL_ALIASES,
    SCHOOL_TYPE_LEVELS,
    SCHOOL_TYPES,
    TEXT_FIELDS,
    VALUE_ALIASES,
)
from .headers import HeaderColumn, is_total_marker, name_candidates
from .mapping import IGNORE, HeaderMapping, SheetMapping, joined_path, load_mapping, sheet_parts
from .model import County, School
from .tables import RawTable, load_structured, read_raw_table

__all__ = [
    "ColumnInfo",
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
_KNOWN = frozenset({*TEXT_FIELDS, *NUMERIC_FIELDS, *_UNPREFIXED})
_LEVEL_TYPES = {
    frozenset({"primary"}): "primary",
    frozenset({"junior"}): "junior",
    frozenset({"primary", "junior"}): "nine_year",
    frozenset({"junior", "senior"}): "complete_secondary",
    frozenset({"primary", "junior", "senior"}): "twelve_year",
}


@attrs.frozen
class SkippedRow:
    """A row left out of the evaluation because of bad data (``--skip-bad-rows``)."""

    file: str
    row: int | None
    school_id: str | None
    county: str | None
    problems: tuple[Problem, ...]


@attrs.frozen
class ColumnInfo:
    """How one column of the file was understood (``check-data`` prints these)."""

    source: str  # the header path as the file writes it (专任教师/本科)
    field: str | None  # canonical field, extra column name, or None when ignored
    unit: str | None = None
    factor: Decimal = Decimal(1)
    sheet: str | None = None
    note: str = ""  # "ignored", "extra", "derived", "constant", "summed"


@attrs.frozen
class SchoolTable:
    """The schools read from one file, with warnings and any skipped rows.

    ``columns`` says how each column (and each derived or constant field) was
    understood; ``notes`` are cross-checks that do not stop a run (the category
    in a 10-digit school id against the school type), shown by ``check-data``.
    ``rows`` is each school's row in the file (its origin), ``sheet`` the sheet
    read (the first one of joined sheets).
    """

    schools: tuple[School, ...]
    warnings: tuple[Problem, ...] = ()
    skipped: tuple[SkippedRow, ...] = ()
    file: str = ""
    columns: tuple[ColumnInfo, ...] = ()
    notes: tuple[Problem, ...] = ()
    rows: tuple[int, ...] = ()
    sheet: str | None = None


@attrs.frozen
class _Column:
    header: str
    field: str | None  # canonical name, extra-column name, or None when ignored
    factor: Decimal = Decimal(1)
    percent: bool = False
    extra: bool = False
    source: str = ""
    unit: str | None = None
    summed: bool = False  # read only as a part of a derived field


_SCHOOL_HEADERS = alias_table(
    {**{n: () for n in (*TEXT_FIELDS, *NUMERIC_FIELDS)}, **SCHOOL_ALIASES}
)


def _recognise_school(mapping: HeaderMapping | None) -> Any:
    parts = (
        {h for d in mapping.derived for h in (*d.plus, *d.minus)} if mapping is not None else set()
    )

    def recognise(header: str) -> str | None:
        if mapping is not None:
            mapped = mapping.lookup(header)
            if mapped is not None:
                return mapped[0]
            if header in parts:
                return "derived part"
        return _SCHOOL_HEADERS.get(normalise_header(header)[0].lower())

    return recognise


# -- columns ------------------------------------------------------------------------


def _header_columns(table: RawTable) -> tuple[HeaderColumn, ...]:
    if table.columns:
        return table.columns
    return tuple(
        HeaderColumn(i, (h,) if h else (), h, header_unit(h), ignored=not h)
        for i, h in enumerate(table.header)
    )


def _mapped(mapping: HeaderMapping | None, column: HeaderColumn) -> tuple[str, Decimal, str] | None:
    if mapping is None:
        return None
    for key in (column.name, *name_candidates(column.path)):
        found = mapping.lookup(key)
        if found is not None:
            return found[0], found[1], key
    return None


def _where(table: RawTable, column: str | None = None, row: int | None = None) -> dict[str, Any]:
    return {"file": table.file, "sheet": table.sheet, "column": column, "row": row}


def _columns(
    table: RawTable, mapping: HeaderMapping | None
) -> tuple[list[_Column], list[Problem], list[Problem]]:
    columns: list[_Column] = []
    problems: list[Problem] = []
    warnings: list[Problem] = []
    seen: dict[str, str] = {}
    parts = {h for d in mapping.derived for h in (*d.plus, *d.minus)} if mapping else set()
    for hc in _header_columns(table):
        raw = hc.name
        source = hc.source or raw
        if hc.ignored or not raw:
            columns.append(_Column(raw, None, source=source))
            continue
        name, factor, percent = normalise_header(raw)
        unit = hc.unit
        mapped = _mapped(mapping, hc)
        canonical: str | None
        if mapped is not None:
            canonical, factor, key = mapped
            if canonical == IGNORE:
                columns.append(_Column(raw, None, source=source))
                continue
            if mapping is not None and key in mapping.units:
                unit = mapping.units[key]
        else:
            canonical = _SCHOOL_HEADERS.get(name.lower())
            if unit is not None and unit in UNIT_FACTORS:
                factor = UNIT_FACTORS[unit]
                percent = percent or unit == "%"
            elif unit is not None and canonical is None:
                # 占地面积（亩）: the name without the unknown unit is known: never guess the unit.
                bare = normalise_header(raw.split("(")[0].split("（")[0])[0]
                known = _SCHOOL_HEADERS.get(bare.lower()) or _SCHOOL_HEADERS.get(
                    normalise_header(hc.path[-1] if hc.path else raw)[0].lower()
                )
                if known is not None:
                    problems.append(
                        Problem(
                            f"unknown unit {unit!r} for {known}; give the unit in the mapping "
                            f"(columns: {{{raw!r}: {{field: {known}, unit: <one of "
                            f"{', '.join(list(UNIT_FACTORS)[:6])}, ...>}}}})",
                            **_where(table, source),
                            message_zh=f"{known} 的单位 {unit!r} 无法识别；请在映射文件中写明单位"
                            f"（columns: {{{raw!r}: {{field: {known}, unit: 万元/平方米/…}}}}）",
                        )
                    )
                    columns.append(_Column(raw, None, source=source))
                    continue
        if source in parts or raw in parts or any(c in parts for c in name_candidates(hc.path)):
            columns.append(
                _Column(raw, canonical or name, factor, percent, True, source, unit, summed=True)
            )
            if canonical is None or canonical not in _KNOWN:
                continue
        if canonical is None or canonical not in _KNOWN:
            extra_name = canonical or name
            columns.append(_Column(raw, extra_name, factor, percent, True, source, unit))
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
                        **_where(table, source),
                        suggestion=_SCHOOL_HEADERS[suggestion],
                        message_zh="未识别的列，作为额外字段保留",
                    )
                )
            continue
        if canonical in seen:
            problems.append(
                Problem(
                    f"two columns for {canonical}: {seen[canonical]!r} and {source!r}; "
                    f"map one of them in the mapping (columns: {{{source!r}: extra.NAME}})",
                    **_where(table, source),
                    message_zh=f"{canonical} 有两列：{seen[canonical]!r} 和 {source!r}；"
                    f"请在映射文件中改映射其中一列（columns: {{{source!r}: extra.名称}}）",
                )
            )
        seen[canonical] = source
        columns.append(_Column(raw, canonical, factor, percent, source=source, unit=unit))
    if "school_id" not in seen:
        problems.append(
            Problem(
                "no school id column (school_id or 学校标识码)",
                file=table.file,
                sheet=table.sheet,
                message_zh="没有学校标识码列（school_id 或 学校标识码）",
            )
        )
    return columns, problems, warnings


# -- reading ------------------------------------------------------------------------


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
    Problems with the columns themselves (no school id column, a header the
    mapping names that is not in the file) always raise.  A mapping with
    ``sheets:`` reads each sheet (or file) and joins them on the school id.
    """
    with paused():  # a row's cells and objects are many and acyclic
        if mapping is not None and mapping.sheets:
            return _read_joined(Path(path), mapping, encoding, skip_bad_rows)
        if sheet is None and mapping is not None:
            sheet = mapping.sheet
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
    table = read_raw_table(
        Path(path),
        recognise=_recognise_school(mapping),
        key_field="school_id",
        records_key="schools",
        encoding=encoding,
        sheet=sheet,
    )
    _refuse_form(table)
    return table


def _refuse_form(table: RawTable) -> None:
    """A one-field-per-row form (``指标 | 数值``) is never read as one school per field."""
    if table.unit != "row" or len(table.rows) < 3:
        return
    used = [c for c in _header_columns(table) if not c.ignored and c.name]
    if len(used) > 4:
        return
    first = next((c.index for c in used), 0)
    named = [
        n
        for n, cells in table.rows
        if first < len(cells) and _SCHOOL_HEADERS.get(normalise_header(cells[first])[0].lower())
    ]
    if len(named) >= 2 and len(named) * 2 >= len(table.rows):
        raise DataError(
            [
                Problem(
                    f"this looks like a form with one field per row (指标 | 数值): rows "
                    f"{', '.join(map(str, named[:5]))} name fields, not schools; lay the data "
                    "out as one row per school (in Excel: copy, Paste Special, Transpose)",
                    file=table.file,
                    sheet=table.sheet,
                    row=named[0],
                    column=used[0].source if used else None,
                    message_zh="这像是“每行一个指标”的表单（指标 | 数值）：第 "
                    + "、".join(map(str, named[:5]))
                    + " 行是指标名而不是学校；请整理为每所学校一行"
                    "（Excel：复制 → 选择性粘贴 → 转置）",
                )
            ],
            f"{table.file}: not a school table",
            f"{table.file}：不是学校表",
        )


@attrs.frozen
class _Parsed:
    table: RawTable
    rows: list[_Row]
    columns: list[_Column]
    headers: dict[str, str]
    warnings: list[Problem]
    info: list[ColumnInfo]
    has_type: bool
    has_county: bool
    level: str | None
    unused: frozenset[str] = frozenset()  # mapping `columns:` keys no column matched


def _parse_table(table: RawTable, mapping: HeaderMapping | None) -> _Parsed:
    columns, fatal, warnings = _columns(table, mapping)
    derived = _derived_columns(table, columns, mapping, fatal)
    fatal += _formula_problems(table, columns)
    if fatal:
        raise DataError(
            fatal, f"{table.file}: the columns cannot be read", f"{table.file}：无法识别各列"
        )
    extra_numeric = _numeric_extras(columns, table.rows)
    _refuse_lookalikes(table, columns, extra_numeric, mapping)
    for column in columns:
        if column.extra and not column.summed and column.field not in extra_numeric:
            warnings.append(
                Problem(
                    "text column ignored (not a known field)",
                    **_where(table, column.source),
                    message_zh="已忽略文本列（不是已知字段）",
                )
            )
    constants = dict(mapping.constants) if mapping is not None else {}
    level = mapping.level if mapping is not None else None
    fields = {c.field for c in columns if c.field and not c.extra} | {d.field for d in derived}
    for key in list(constants):
        if key in fields:
            raise DataError(
                [
                    Problem(
                        f"{key} is both a column and a constant of the mapping "
                        f"({mapping.where('constants.' + key) if mapping else ''}): keep one",
                        **_where(table, key),
                        message_zh=f"{key} 既是表中的列，又是映射文件中的常量"
                        f"（{mapping.where('constants.' + key) if mapping else ''}）：只保留一个",
                    )
                ]
            )
    rows: list[_Row] = []
    for number, cells in table.rows:
        if _is_total_row(columns, cells):
            warnings.append(
                Problem(
                    "totals row skipped", **_where(table, None, number), message_zh="已跳过合计行"
                )
            )
            continue
        row = _parse_row(table, columns, cells, extra_numeric, number, mapping)
        _apply_derived(table, row, cells, derived, mapping)
        for key, value in constants.items():
            row.record.setdefault(key, value if key in TEXT_FIELDS else _constant(value))
        if level is not None:
            _apply_level(row, level)
        rows.append(row)
    headers = {c.field: c.source for c in columns if c.field is not None and not c.extra}
    info = [
        ColumnInfo(
            c.source,
            f"{level}_{c.field}" if level and c.field in _UNPREFIXED and not c.extra else c.field,
            c.unit,
            c.factor,
            table.sheet,
            "ignored"
            if c.field is None
            else "summed"
            if c.summed
            else "extra"
            if c.extra and c.field in extra_numeric
            else "ignored"
            if c.extra
            else "",
        )
        for c in columns
    ]
    for d in derived:
        info.append(
            ColumnInfo(
                " + ".join(d.plus_names) + "".join(f" - {m}" for m in d.minus_names),
                f"{level}_{d.field}" if level and d.field in _UNPREFIXED else d.field,
                None,
                d.factor,
                table.sheet,
                "derived",
            )
        )
        headers[d.field] = mapping.where(f"derived.{d.field}") if mapping else d.field
    for key, value in constants.items():
        info.append(ColumnInfo(f"= {value}", key, None, Decimal(1), table.sheet, "constant"))
    has_type = "school_type" in fields or "school_type" in constants
    has_county = "county" in fields or "county" in constants
    unused = _unused_keys(table, mapping)
    return _Parsed(
        table, rows, columns, headers, warnings, info, has_type, has_county, level, unused
    )


def _unused_keys(table: RawTable, mapping: HeaderMapping | None) -> frozenset[str]:
    if mapping is None or not mapping.columns:
        return frozenset()
    names: set[str] = set()
    for hc in _header_columns(table):
        for key in (hc.name, hc.source, *name_candidates(hc.path)):
            names |= {key, key.strip(), normalise_header(key)[0]}
    # As HeaderMapping.lookup matches: the key against a header, stripped or normalised.
    return frozenset(key for key in mapping.columns if key not in names)


def _unused_problems(table: RawTable, mapping: HeaderMapping, keys: Iterable[str]) -> list[Problem]:
    headers = [c.source for c in _header_columns(table) if c.source]
    plain = {normalise_header(h)[0]: h for h in headers}

    def suggest(key: str) -> str | None:
        near = did_you_mean(key, headers)
        if near is None:
            near = plain.get(did_you_mean(normalise_header(key)[0], plain) or "")
        return near

    return [
        Problem(
            f"the mapping ({mapping.where('columns.' + key)}) names header {key!r}, which is "
            "not in the file",
            file=table.file,
            sheet=table.sheet,
            column=key,
            suggestion=suggest(key),
            message_zh=f"映射文件（{mapping.where('columns.' + key)}）中的表头 {key!r} 不在文件中",
        )
        for key in sorted(keys)
    ]


def _refuse_lookalikes(
    table: RawTable,
    columns: Sequence[_Column],
    extra_numeric: set[str],
    mapping: HeaderMapping | None,
) -> None:
    """An unknown text column holding 公办/民办 (or 小学/初中 …) is never ignored silently.

    Without it, private schools would be read as public (the default) or every school
    as a primary school; the column is named with the mapping line that reads it.
    """
    present = {c.field for c in columns if c.field and not c.extra}
    if mapping is not None:
        present |= set(mapping.constants)
        if mapping.level is not None:
            present.add("school_type")
    problems = []
    for index, column in enumerate(columns):
        if not column.extra or column.summed or column.field in extra_numeric:
            continue
        values = [
            cells[index].strip()
            for _, cells in table.rows
            if index < len(cells) and cells[index].strip()
        ]
        if not values:
            continue
        for field in ("ownership", "school_type", "location"):
            if field in present:
                continue
            aliases = VALUE_ALIASES[field]
            known = [v for v in values if v in aliases or v.lower() in _CATEGORIES[field]]
            if len(known) * 2 <= len(values):
                continue
            sample = ", ".join(dict.fromkeys(known[:20]))
            problems.append(
                Problem(
                    f"column {column.source!r} holds {field} values ({sample}) but its header is "
                    f"not known, so it would be ignored (and {field} taken as its default); "
                    f"map it: columns: {{{column.source!r}: {field}}}"
                    + _mapping_hint(mapping)
                    + f" (or columns: {{{column.source!r}: ignore}} if it is something else)",
                    **_where(table, column.source),
                    message_zh=f"列 {column.source!r} 的值是{_CATEGORY_ZH[field]}（{sample}），"
                    f"但表头无法识别，会被忽略（{_CATEGORY_ZH[field]}将取默认值）；"
                    "请在映射文件中写 "
                    f"columns: {{{column.source!r}: {field}}}"
                    f"（若不是，写 columns: {{{column.source!r}: ignore}}）",
                )
            )
            break
    if problems:
        raise DataError(
            problems, f"{table.file}: the columns cannot be read", f"{table.file}：无法识别各列"
        )


def _constant(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    return Decimal(str(value))


def _apply_level(row: _Row, level: str) -> None:
    for name in [k for k in row.record if k in _UNPREFIXED]:
        value = row.record.pop(name)
        row.record.setdefault(f"{level}_{name}", value)
    row.levels.add(level)


def school_table(
    table: RawTable, *, mapping: HeaderMapping | None = None, skip_bad_rows: bool = False
) -> SchoolTable:
    """Parse and check the cells of a raw school table (see :func:`read_school_table`)."""
    parsed = _parse_table(table, mapping)
    if parsed.unused and mapping is not None:
        raise DataError(
            _unused_problems(table, mapping, parsed.unused),
            f"{table.file}: the mapping does not fit the file",
            f"{table.file}：映射文件与数据文件不符",
        )
    warnings = list(parsed.warnings)
    _fill_type(parsed, mapping, warnings)
    _fill_county(parsed, mapping, warnings)
    return _finish(parsed.rows, parsed.headers, warnings, parsed.info, table.file, skip_bad_rows)


def _mapping_hint(mapping: HeaderMapping | None) -> str:
    return f" in {mapping.file}" if mapping is not None and mapping.file else " in a mapping file"


def _fill_type(parsed: _Parsed, mapping: HeaderMapping | None, warnings: list[Problem]) -> None:
    """No school-type column: read a type only when the columns leave no doubt."""
    if parsed.has_type:
        return
    table = parsed.table
    if parsed.level is not None:
        school_type = "primary" if parsed.level == "primary" else "junior"
        for row in parsed.rows:
            row.record.setdefault("school_type", school_type)
        return
    fields = {c.field for c in parsed.columns if c.field and not c.extra}
    fields |= {k for row in parsed.rows for k in row.record}
    levels = {
        lv for lv in ("primary", "junior", "senior") for f in fields if f.startswith(lv + "_")
    }
    unprefixed = sorted(f for f in fields if f in _UNPREFIXED)
    if levels == {"primary"} and not unprefixed:
        for row in parsed.rows:
            row.record.setdefault("school_type", "primary")
        warnings.append(
            Problem(
                "no school-type column: every school is read as a primary school, because the "
                "file has only primary-school columns; add a 学校类型 column, or "
                "`constants: {school_type: ...}`" + _mapping_hint(mapping),
                file=table.file,
                sheet=table.sheet,
                message_zh="没有学校类型列：表中只有小学的列，因此所有学校按小学读取；"
                "请增加“学校类型”列，或在映射文件中写 `constants: {school_type: ...}`",
            )
        )
        return
    if unprefixed:
        what = f"level-free columns ({', '.join(parsed.headers.get(f, f) for f in unprefixed)})"
        what_zh = f"不分学段的列（{'、'.join(parsed.headers.get(f, f) for f in unprefixed)}）"
    elif levels:
        what = f"columns of several levels ({', '.join(sorted(levels))})"
        what_zh = f"多个学段的列（{'、'.join(sorted(levels))}）"
    else:
        what, what_zh = "no per-level columns", "没有分学段的列"
    raise DataError(
        [
            Problem(
                f"no school-type column, and the file has {what}: the type of a school "
                "cannot be told; add a 学校类型 column, map yours "
                "(columns: {<header>: school_type}), or for a file of one level write "
                "`level: primary` or `level: junior`" + _mapping_hint(mapping),
                file=table.file,
                sheet=table.sheet,
                column=parsed.headers.get(unprefixed[0]) if unprefixed else None,
                message_zh=f"没有学校类型列，而表中有{what_zh}：无法判断学校类型；"
                "请增加“学校类型”列，或在映射文件中映射（columns: {<表头>: school_type}），"
                "单一学段的文件可写 `level: primary` 或 `level: junior`",
            )
        ],
        f"{table.file}: the school type cannot be read",
        f"{table.file}：无法读取学校类型",
    )


def _fill_county(parsed: _Parsed, mapping: HeaderMapping | None, warnings: list[Problem]) -> None:
    if parsed.has_county or not parsed.rows:
        return
    table = parsed.table
    name = Path(table.file).stem
    for row in parsed.rows:
        row.record.setdefault("county", name)
    warnings.append(
        Problem(
            f"no county column: all {len(parsed.rows)} schools are taken as one county named "
            f"{name!r} after the file; if the file holds several counties, map the county "
            "column (columns: {<header>: county}), or name the county with `county: 某县`"
            + _mapping_hint(mapping),
            file=table.file,
            sheet=table.sheet,
            message_zh=f"没有县区列：全部 {len(parsed.rows)} 所学校按文件名视为一个县 {name!r}；"
            "若文件含多个县区，请在映射文件中映射县区列（columns: {<表头>: county}），"
            "或写 `county: 某县`",
        )
    )


def _finish(
    rows: list[_Row],
    headers: Mapping[str, str],
    warnings: list[Problem],
    info: Sequence[ColumnInfo],
    file: str,
    skip_bad_rows: bool,
) -> SchoolTable:
    for row in rows:
        row.build(headers)
    _validate(rows, headers)
    bad = [row for row in rows if row.problems]
    if bad and not skip_bad_rows:
        problems = [p for row in bad for p in row.problems]
        raise DataError(
            problems,
            f"{file}: {len(problems)} problem(s) in the school table",
            f"{file}：学校表中有 {len(problems)} 个问题",
        )
    skipped = tuple(
        SkippedRow(
            row.table.file,
            row.number,
            row.record.get("school_id"),
            row.record.get("county"),
            tuple(row.problems),
        )
        for row in bad
    )
    good = [row for row in rows if row.school is not None and not row.problems]
    schools = tuple(row.school for row in good if row.school is not None)
    notes = _id_category_warnings(rows, headers) + _unit_notes(schools, info, file)
    return SchoolTable(
        schools,
        tuple(warnings),
        skipped,
        file,
        tuple(info),
        tuple(notes),
        tuple(row.number for row in good),
        rows[0].table.sheet if rows else None,
    )


#: Columns whose unit, when the header gives none, is worth a second look: a median
#: below the figure suggests the larger unit (设备 in 万元, 图书 in 万册).
_UNIT_HINTS = {"equipment_value": (Decimal(20000), "万元"), "books": (Decimal(200), "万册")}


def _unit_notes(schools: Sequence[School], info: Sequence[ColumnInfo], file: str) -> list[Problem]:
    notes = []
    for column in info:
        hint = _UNIT_HINTS.get(column.field or "")
        if hint is None or column.unit or column.factor != 1 or column.note:
            continue
        values = sorted(v for s in schools if (v := s.value(column.field or "")) is not None)
        if len(values) < 3:
            continue
        median = values[len(values) // 2]
        if median >= hint[0]:
            continue
        notes.append(
            Problem(
                f"{column.field} has no unit in its header and a median of {median} per "
                f"school: if the figures are in {hint[1]}, say so "
                f"(columns: {{{column.source!r}: {{field: {column.field}, unit: {hint[1]}}}}})",
                file=file,
                sheet=column.sheet,
                column=column.source,
                message_zh=f"{column.field} 的表头没有单位，每校中位数为 {median}：若单位是"
                f"{hint[1]}，请在映射文件中写明（columns: {{{column.source!r}: "
                f"{{field: {column.field}, unit: {hint[1]}}}}}）",
            )
        )
    return notes


#: The category in the first two digits of a 10-digit 学校(机构)标识码, and the school
#: types it fits (exports.md: a cross-check, never a substitute for the type column).
_ID_CATEGORIES = {
    "21": ("小学", frozenset({"primary", "teaching_point"})),
    "31": ("普通初中", frozenset({"junior", "nine_year"})),
    "34": ("普通高中", frozenset({"complete_secondary", "twelve_year"})),
    "51": ("特殊教育", frozenset({"special"})),
}


def _id_category_warnings(rows: Sequence[_Row], headers: Mapping[str, str]) -> list[Problem]:
    groups: dict[tuple[str, str], list[_Row]] = {}
    for row in rows:
        school = row.school
        if school is None or row.problems:
            continue
        school_id = school.school_id
        if len(school_id) != 10 or not school_id.isdigit():
            continue
        category = _ID_CATEGORIES.get(school_id[:2])
        if category is not None and school.school_type not in category[1]:
            groups.setdefault((school_id[:2], school.school_type), []).append(row)
    warnings = []
    for (prefix, school_type), found in groups.items():
        first = found[0]
        rows_text = ", ".join(str(r.number) for r in found[:5]) + (" …" if len(found) > 5 else "")
        name = _ID_CATEGORIES[prefix][0]
        warnings.append(
            Problem(
                f"{len(found)} school(s) typed {school_type} have ids starting {prefix} "
                f"({name}) (rows {rows_text}); check the school-type column",
                file=first.table.file,
                sheet=first.table.sheet,
                row=first.number,
                column=headers.get("school_type", "school_type"),
                message_zh=f"{len(found)} 所学校的类型为 {school_type}，"
                f"但标识码以 {prefix}（{name}）开头（第 {rows_text} 行）；请核对学校类型列",
            )
        )
    return warnings


# -- several sheets joined on the school id -----------------------------------------


def _read_joined(
    path: Path, mapping: HeaderMapping, encoding: str | None, skip_bad_rows: bool
) -> SchoolTable:
    parsed: list[tuple[SheetMapping, _Parsed]] = []
    for part in sheet_parts(mapping):
        source = path if part.file is None else joined_path(part.file, mapping, path)
        table = read_school_raw_table(
            source, encoding=encoding, sheet=part.sheet, mapping=part.mapping
        )
        parsed.append((part, _parse_table(table, part.mapping)))
    warnings = [w for _, p in parsed for w in p.warnings]
    unused: list[Problem] = []
    for own, (_, sheet_parsed) in zip(mapping.sheets, parsed, strict=True):
        keys = sheet_parsed.unused & set(own.mapping.columns)
        unused += _unused_problems(sheet_parsed.table, own.mapping, keys)
    everywhere = set(mapping.columns).intersection(*(p.unused for _, p in parsed))
    if everywhere:
        unused += _unused_problems(parsed[0][1].table, mapping, everywhere)
    if unused:
        raise DataError(
            unused,
            f"{path}: the mapping does not fit the file",
            f"{path}：映射文件与数据文件不符",
        )
    main_part, main = parsed[0]
    joined: dict[str, _Row] = {}
    order: list[_Row] = []
    problems: list[Problem] = []
    # Sheets of levels (小学, 初中) add up to the schools; any other sheet (a table
    # of teachers, of buildings) must join a school already read.
    union = main_part.mapping.level is not None
    for part, sheet in parsed:
        ids = {row.record.get("school_id") for row in sheet.rows}
        must_join = part is not main_part and not (union and part.mapping.level is not None)
        if must_join:
            known = {row.record.get("school_id") for row in main.rows}
            if sheet.rows and not ids & known:
                example = next(iter(sorted(i for i in ids if i)), "")
                problems.append(
                    Problem(
                        f"the school ids of this sheet do not join sheet "
                        f"{main.table.sheet or main.table.file!r}: none of its {len(ids)} ids "
                        f"(e.g. {example!r}) is there; are both id columns the 10-digit "
                        "学校(机构)标识码?",
                        **_where(sheet.table, sheet.headers.get("school_id"), sheet.rows[0].number),
                        message_zh=f"该表的学校标识码与工作表 "
                        f"{main.table.sheet or main.table.file!r} 对不上：其 {len(ids)} 个标识码"
                        f"（如 {example!r}）都不在其中；"
                        "两表的标识码列是否都是 10 位学校(机构)标识码？",
                    )
                )
                continue
        for row in sheet.rows:
            school_id = row.record.get("school_id")
            if not school_id:
                order.append(row)
                continue
            into = joined.get(school_id)
            if into is None:
                if must_join:
                    problems.append(
                        Problem(
                            f"school {school_id!r} is not in sheet "
                            f"{main.table.sheet or main.table.file!r}: the sheets do not join",
                            **_where(sheet.table, sheet.headers.get("school_id"), row.number),
                            suggestion=did_you_mean(school_id, [i for i in joined if i]),
                            message_zh=f"学校 {school_id!r} 不在工作表 "
                            f"{main.table.sheet or main.table.file!r} 中：两表对不上",
                        )
                    )
                    continue
                joined[school_id] = row
                order.append(row)
                continue
            into.problems += row.problems
            into.levels |= row.levels
            for key, value in row.record.items():
                old = into.record.get(key)
                if key == "school_type" and part.mapping.level is not None:
                    continue
                if old is None:
                    into.record[key] = value
                elif old != value and key not in ("school_type",):
                    problems.append(
                        Problem(
                            f"{key} of school {school_id!r} is {value} here but {old} in "
                            f"{into.table.sheet or into.table.file!r} row {into.number}",
                            **_where(sheet.table, sheet.headers.get(key, key), row.number),
                            message_zh=f"学校 {school_id!r} 的 {key} 在此为 {value}，"
                            f"而在 {into.table.sheet or into.table.file!r} "
                            f"第 {into.number} 行为 {old}",
                        )
                    )
    if problems:
        raise DataError(
            problems,
            f"{path}: the sheets cannot be joined on the school id",
            f"{path}：各工作表无法按学校标识码合并",
        )
    has_type = any(p.has_type and p.level is None for _, p in parsed)
    for row in order:
        if not has_type and row.levels:
            row.record["school_type"] = _LEVEL_TYPES.get(frozenset(row.levels), "nine_year")
    if not any(p.has_type for _, p in parsed) and not any(p.level for _, p in parsed):
        _fill_type(attrs.evolve(main, rows=order), mapping, warnings)
    if not any(p.has_county for _, p in parsed):
        _fill_county(attrs.evolve(main, rows=order), mapping, warnings)
    headers: dict[str, str] = {}
    for _, p in reversed(parsed):
        headers.update(p.headers)
    info = [i for _, p in parsed for i in p.info]
    return _finish(order, headers, warnings, info, str(path), skip_bad_rows)


# -- rows ---------------------------------------------------------------------------


def _text_value(field: str, text: str, mapping: HeaderMapping | None = None) -> str:
    """Identity text as written; a category (school type, ...) as its canonical code."""
    cleaned = text.strip()
    if mapping is not None and field in mapping.values:
        table = mapping.values[field]
        if cleaned in table:
            return table[cleaned]
        code = cleaned.split(" ")[0]
        if code in table:
            return table[code]
        if field != "county":
            raise CellError(
                f"code {cleaned!r} has no entry in the value table for {field} "
                f"({mapping.where('values.' + field)})",
                f"代码 {cleaned!r} 在 {field} 的代码表中没有对应项"
                f"（{mapping.where('values.' + field)}）",
            )
    aliases = VALUE_ALIASES.get(field)
    if aliases is None:
        return " ".join(cleaned.split()) if field == "county" else cleaned
    if cleaned in aliases:
        return aliases[cleaned]
    compact = cleaned.replace(" ", "").replace("\u3000", "")
    if compact in aliases:
        return aliases[compact]
    return cleaned.lower() if cleaned.isascii() else cleaned


_CATEGORIES = {
    "school_type": SCHOOL_TYPES,
    "ownership": OWNERSHIPS,
    "authority": AUTHORITIES,
    "location": LOCATIONS,
}
_CATEGORY_ZH = {
    "school_type": "学校类型",
    "ownership": "办学性质",
    "authority": "隶属",
    "location": "城乡分类",
}


def _located(
    table: RawTable,
    number: int,
    column: str,
    message: str,
    suggestion: str | None = None,
    message_zh: str | None = None,
) -> Problem:
    if table.unit == "row":
        return Problem(
            message,
            file=table.file,
            row=number,
            column=column,
            suggestion=suggestion,
            message_zh=message_zh,
            sheet=table.sheet,
        )
    return Problem(
        f"{table.unit} {number}: {message}",
        file=table.file,
        column=column,
        suggestion=suggestion,
        message_zh=f"第 {number} 条记录：{message_zh}" if message_zh else None,
    )


@attrs.define
class _Row:
    table: RawTable
    number: int
    record: dict[str, Any]
    problems: list[Problem]
    school: School | None = None
    levels: set[str] = attrs.field(factory=set)

    def build(self, headers: Mapping[str, str]) -> None:
        """The School of this row, even when some cells were bad (they are left out).

        Its values are judged afterwards with every other row's, by the validator.
        """
        self.problems += _resolve_levels(self, headers)
        record = {k: v for k, v in self.record.items() if k not in _UNPREFIXED}
        record.setdefault("school_id", "")
        try:
            self.school = School(**record)
        except DataError as exc:
            self.problems += [
                _located(
                    self.table,
                    self.number,
                    headers.get(p.column or "", p.column or ""),
                    p.message,
                    message_zh=p.text("zh"),
                )
                for p in exc.problems
            ]
        except (TypeError, ValueError) as exc:
            self.problems.append(_located(self.table, self.number, "", str(exc)))


def _numeric_extras(
    columns: Sequence[_Column], rows: Sequence[tuple[int, Sequence[str]]]
) -> set[str]:
    numeric: set[str] = set()
    for index, column in enumerate(columns):
        if not column.extra or column.field is None or column.summed:
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
            column.field in ("school_id", "school_name", "county") or column.field is None
        ) and is_total_marker(cell):
            return True
    return False


def _number(text: str, column: _Column, field: str) -> Decimal | None:
    parsed = parse_number(text)
    if parsed is None:
        return None
    value, percent = parsed
    if percent and not column.percent:
        raise CellError(
            f"{text.strip()!r} has a percent sign, but {field} is not a rate",
            f"{text.strip()!r} 带有百分号，但 {field} 不是比率",
        )
    return value * column.factor  # negative or fractional: the validator says so


def _parse_row(
    table: RawTable,
    columns: Sequence[_Column],
    cells: Sequence[str],
    extra_numeric: set[str],
    number: int,
    mapping: HeaderMapping | None = None,
) -> _Row:
    record: dict[str, Any] = {}
    extra: dict[str, Decimal | None] = {}
    problems: list[Problem] = []
    for index, column in enumerate(columns):
        text = cells[index] if index < len(cells) else ""
        field = column.field
        if field is None or column.summed or (column.extra and field not in extra_numeric):
            continue
        try:
            if column.extra:
                parsed = parse_number(text)
                extra[field] = None if parsed is None else parsed[0] * column.factor
            elif field in TEXT_FIELDS:
                if text.strip():
                    record[field] = _text_value(field, text, mapping)
            elif field == "counted_as_school":
                flag = parse_bool(text)
                if flag is not None:
                    record[field] = flag
            else:
                value = _number(text, column, field)
                if value is not None:
                    record[field] = value
        except CellError as exc:
            problems.append(_located(table, number, column.source, str(exc), message_zh=exc.zh))
    if extra:
        record["extra"] = extra
    return _Row(table, number, record, problems)


# -- derived fields -----------------------------------------------------------------


@attrs.frozen
class _DerivedColumns:
    field: str
    plus: tuple[int, ...]
    minus: tuple[int, ...]
    factor: Decimal
    plus_names: tuple[str, ...]
    minus_names: tuple[str, ...]
    where: str


def _derived_columns(
    table: RawTable,
    columns: Sequence[_Column],
    mapping: HeaderMapping | None,
    fatal: list[Problem],
) -> list[_DerivedColumns]:
    if mapping is None or not mapping.derived:
        return []
    index: dict[str, int] = {}
    for i, (column, hc) in enumerate(zip(columns, _header_columns(table), strict=False)):
        for key in (column.source, column.header, *name_candidates(hc.path)):
            index.setdefault(key, i)
    headers = [c.source for c in columns if c.source]
    out = []
    for d in mapping.derived:
        where = mapping.where(f"derived.{d.field}")
        found: list[list[int]] = [[], []]
        for side, names in enumerate((d.plus, d.minus)):
            for name in names:
                if name in index:
                    found[side].append(index[name])
                    continue
                fatal.append(
                    Problem(
                        f"the mapping ({where}) sums header {name!r} for {d.field}, which is "
                        f"not in the file",
                        file=table.file,
                        sheet=table.sheet,
                        column=name,
                        suggestion=did_you_mean(name, headers),
                        message_zh=f"映射文件（{where}）为 {d.field} 求和的表头 {name!r} "
                        "不在文件中",
                    )
                )
        if any(columns[i].field in TEXT_FIELDS for i in found[0] + found[1]):
            text = next(columns[i] for i in found[0] + found[1] if columns[i].field in TEXT_FIELDS)
            fatal.append(
                Problem(
                    f"the mapping ({where}) sums {text.source!r} for {d.field}, but it is a text "
                    f"column ({text.field})",
                    file=table.file,
                    sheet=table.sheet,
                    column=text.source,
                    message_zh=f"映射文件（{where}）为 {d.field} 求和的 {text.source!r} 是文本列"
                    f"（{text.field}）",
                )
            )
        out.append(
            _DerivedColumns(
                d.field, tuple(found[0]), tuple(found[1]), d.factor, d.plus, d.minus, where
            )
        )
    return out


def _apply_derived(
    table: RawTable,
    row: _Row,
    cells: Sequence[str],
    derived: Sequence[_DerivedColumns],
    mapping: HeaderMapping | None,
) -> None:
    for d in derived:
        total = Decimal(0)
        filled = 0
        bad = False
        for sign, indexes in ((1, d.plus), (-1, d.minus)):
            for i in indexes:
                text = cells[i] if i < len(cells) else ""
                try:
                    parsed = parse_number(text)
                except CellError as exc:
                    bad = True
                    row.problems.append(
                        _located(
                            table,
                            row.number,
                            _header_columns(table)[i].source or _header_columns(table)[i].name,
                            f"{exc} (summed into {d.field} by {d.where}; a sum over a text "
                            "column?)",
                            message_zh=f"{exc.zh or exc}（由 {d.where} 求和为 {d.field}；"
                            "是否对文本列求和？）",
                        )
                    )
                    continue
                if parsed is None:
                    continue
                filled += 1
                total += sign * parsed[0]
        if bad or filled == 0:
            continue  # every part blank: the field is missing, never zero
        value = total * d.factor
        if value < 0:
            row.problems.append(
                _located(
                    table,
                    row.number,
                    d.plus_names[0],
                    f"{d.field} = {value} is negative ({d.where})",
                    message_zh=f"{d.field} = {value} 为负数（{d.where}）",
                )
            )
            continue
        field = d.field
        if field in _KNOWN:
            row.record[field] = value
        else:
            row.record.setdefault("extra", {})[field] = value


def _formula_problems(table: RawTable, columns: Sequence[_Column]) -> list[Problem]:
    by_column: dict[int, list[int]] = {}
    first_data = table.rows[0][0] if table.rows else 0
    for row, column in table.formula_blanks:
        if row >= first_data and column < len(columns) and columns[column].field is not None:
            by_column.setdefault(column, []).append(row)
    problems = []
    for column, rows in sorted(by_column.items()):
        shown = ", ".join(map(str, rows[:5])) + (f" … ({len(rows)} cells)" if len(rows) > 5 else "")
        problems.append(
            Problem(
                f"formula cells without a stored value (rows {shown}): the workbook was saved "
                "by a program that does not calculate; open it in Excel or WPS and save it again",
                file=table.file,
                sheet=table.sheet,
                row=rows[0],
                column=columns[column].source,
                message_zh=f"公式单元格没有保存计算结果（第 {shown} 行）：该工作簿由不计算公式的"
                "程序保存；请用 Excel 或 WPS 打开后重新保存",
            )
        )
    return problems


def _resolve_levels(row: _Row, headers: Mapping[str, str]) -> list[Problem]:
    """Move unprefixed per-level columns (``teachers``) onto the school's one level."""
    record = row.record
    school_type = record.get("school_type", "primary")
    unprefixed = [k for k in record if k in _UNPREFIXED]
    if not unprefixed:
        return []
    if school_type not in SCHOOL_TYPE_LEVELS:
        return []  # an unknown school type: the validator names it
    levels = [lv for lv in SCHOOL_TYPE_LEVELS[school_type] if lv != "senior"]
    if len(levels) != 1:
        return [
            _located(
                row.table,
                row.number,
                headers.get(name, name),
                f"a {school_type} school needs per-level columns (primary_{name}, junior_{name}): "
                f"the level of this column is ambiguous; map per-level columns, or give the "
                "sheet's level (level: primary) in the mapping",
                message_zh=f"{school_type} 学校需要分学段的列（primary_{name}、junior_{name}）："
                "此列的学段不明确；请映射分学段的列，"
                "或在映射文件中写明本表的学段（level: primary）",
            )
            for name in unprefixed
        ]
    for name in unprefixed:
        value = record.pop(name)
        record.setdefault(f"{levels[0]}_{name}", value)
    return []


def _validate(rows: Sequence[_Row], headers: Mapping[str, str]) -> None:
    """The one validator (:mod:`.validate`) over every row read; each problem at its row."""
    built = [row for row in rows if row.school is not None]
    if not built:
        return
    import numpy as np  # the columns, here only: `import balance_rules` stays light

    from .columns import ColumnTable
    from .validate import find_problems

    schools = [row.school for row in built if row.school is not None]
    table = ColumnTable.from_schools(schools, check=False)
    table.rows = np.array([row.number for row in built], dtype=np.int64)
    table.file, table.sheet = built[0].table.file, built[0].table.sheet
    table.headers = dict(headers)
    for name, header in headers.items():  # 专任教师数 read as the school's one level's
        if name in _UNPREFIXED:
            for level in ("primary", "junior", "senior"):
                table.headers.setdefault(f"{level}_{name}", header)
    for flagged in find_problems(table):
        row = built[flagged.index]
        problem = flagged.at(table)
        message, message_zh = problem.message, problem.message_zh or ""
        if row.table.unit != "row":  # JSON/YAML: records, not rows
            message = re.sub(r" repeats row (\d+)$", rf" repeats {row.table.unit} \1", message)
            message_zh = re.sub(r"与第 (\d+) 行重复$", r"与第 \1 条记录重复", message_zh)
        row.problems.append(
            _located(
                row.table,
                row.number,
                problem.column or "",
                message,
                problem.suggestion,
                message_zh,
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
    known: Collection[str] = (),
) -> list[County]:
    """Read a school table and (optionally) a county facts file into counties.

    A facts file naming a county that has no schools is an error.  *known*: a
    standard's own facts, for :func:`read_facts`.
    """
    table = (
        schools
        if isinstance(schools, SchoolTable)
        else read_school_table(
            schools, encoding=encoding, sheet=sheet, mapping=mapping, skip_bad_rows=skip_bad_rows
        )
    )
    fact_table = read_facts(facts, encoding=encoding, known=known) if facts is not None else {}
    names = list(dict.fromkeys(s.county or Path(table.file).stem for s in table.schools))
    fact_table = _match_county_keys(fact_table, names)
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


def _match_county_keys(
    facts: dict[str, dict[str, Decimal | bool]], names: Sequence[str]
) -> dict[str, dict[str, Decimal | bool]]:
    """Facts keyed ``长安区`` or ``130102`` find the county written ``130102 长安区``."""
    parts: dict[str, list[str]] = {}
    for name in names:
        pieces = name.split()
        keys = {name, name.replace(" ", "")}
        if len(pieces) == 2 and pieces[0].isdigit():
            keys |= set(pieces)
        elif len(name) > 6 and name[:6].isdigit():
            keys |= {name[:6], name[6:].strip()}
        for key in keys:
            parts.setdefault(key, []).append(name)
    result: dict[str, dict[str, Decimal | bool]] = {}
    for key, value in facts.items():
        found = parts.get(key, [])
        target = found[0] if len(set(found)) == 1 and key not in names else key
        result[target] = value
    return result


# -- county facts -------------------------------------------------------------------


def read_facts(
    path: str | Path,
    *,
    encoding: str | None = None,
    sheet: str | None = None,
    known: Collection[str] = (),
) -> dict[str, dict[str, Decimal | bool]]:
    """Read county facts keyed by county name.

    YAML/JSON: ``{rates: percent|fraction, counties: {name: {fact: value}}}`` or
    just ``{name: {fact: value}}``.  CSV/XLSX: one row per county with a county
    column (``county`` or ``县区``) and one column per fact (canonical names or
    Chinese aliases).  Rates are percentages (95 or "95%"); a header with ``%``
    marks a percentage column; a file whose rates are fractions (0.95) says
    ``rates: fraction``.  A bare rate between 0 and 1 that nothing explains is
    refused as ambiguous.  A name close to a known fact but none is refused with
    a did-you-mean; *known* adds a standard's own facts
    (:func:`~balance_rules.data.facts.standard_facts`), which are then no typos.
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
        if not isinstance(counties, Mapping):
            line = getattr(document, "key_lines", {}).get("counties")
            problems.append(
                Problem("counties: expected a mapping of county -> facts", file=file, line=line)
            )
            counties = {}
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
        try:  # the checks County objects make too (data/facts.py)
            canonical, parsed = read_fact(
                county,
                name,
                value,
                where=where,
                rates=rates,
                header_percent=header_percent,
                known=known,
            )
        except DataError as exc:
            problems.extend(exc.problems)
            continue
        if parsed is not None:
            result.setdefault(county, {})[canonical] = parsed
    if problems:
        raise DataError(problems, f"{file}: {len(problems)} problem(s) in the county facts")
    return result
