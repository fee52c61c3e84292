"""Reading several years of school tables, county facts and changed school ids.

A file's year comes from, in order: the ``years`` given for it (``--year``), a
year in its file name (``schools-2023.csv``), or a ``year`` column (``年份``,
``年度``) — one file may then hold several years, split by that column with each
row keeping its own row number for messages.  Two files claiming the same year
are an error naming both.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from decimal import Decimal
from pathlib import Path

import attrs

from ..data.cells import normalise_header
from ..data.model import County
from ..data.readers import (
    HeaderMapping,
    SkippedRow,
    group_counties,
    read_facts,
    read_school_raw_table,
    school_table,
)
from ..data.tables import RawTable, load_structured, read_raw_table
from ..errors import DataError, Problem, did_you_mean
from .model import YearNote

__all__ = ["YEAR_HEADERS", "Years", "read_renamed", "read_years", "year_of_name"]

#: Headers of a year column.
YEAR_HEADERS = frozenset({"year", "年份", "年度", "学年", "统计年份", "监测年份"})
_YEAR_IN_NAME = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")


@attrs.frozen(kw_only=True)
class Years:
    """Several years of counties read from files."""

    counties: Mapping[int, tuple[County, ...]]
    #: The file each year came from.
    files: Mapping[int, str]
    warnings: tuple[Problem, ...] = ()
    skipped: tuple[SkippedRow, ...] = ()
    notes: tuple[YearNote, ...] = ()


def year_of_name(path: str | Path) -> int | None:
    """The one year (1900–2099) written in a file name, else None."""
    found = set(_YEAR_IN_NAME.findall(Path(path).name))
    return int(found.pop()) if len(found) == 1 else None


def _year_column(table: RawTable) -> int | None:
    for index, header in enumerate(table.header):
        name = normalise_header(header)[0].strip().lower()
        if name in YEAR_HEADERS:
            return index
    return None


def _split_by_year(table: RawTable, column: int) -> dict[int, RawTable]:
    rows: dict[int, list[tuple[int, tuple[str, ...]]]] = {}
    problems = []
    header = table.header[column]
    for number, cells in table.rows:
        text = cells[column].strip() if column < len(cells) else ""
        text = text[:-1] if text.endswith("年") else text
        if text.endswith(".0"):
            text = text[:-2]
        if not (text.isdigit() and len(text) == 4):
            if any(c.strip() for c in cells):
                problems.append(
                    Problem(
                        f"year {text!r} is not a year (write it as 2023)" if text else "no year",
                        file=table.file,
                        row=number,
                        column=header,
                    )
                )
            continue
        rows.setdefault(int(text), []).append((number, cells))
    if problems:
        raise DataError(problems, f"{table.file}: {len(problems)} row(s) without a year")
    # The year column stays (read as an extra numeric field): only rows are split, so
    # every cell keeps its row and column for messages.
    return {year: attrs.evolve(table, rows=tuple(items)) for year, items in sorted(rows.items())}


def read_years(
    paths: Sequence[str | Path],
    *,
    years: Sequence[int] | None = None,
    facts: Sequence[str | Path] = (),
    encoding: str | None = None,
    sheet: str | None = None,
    mapping: HeaderMapping | None = None,
    skip_bad_rows: bool = False,
    known: Collection[str] = (),
) -> Years:
    """Read one school table per year (or one with a year column) and the facts.

    ``facts`` files carry their year in the name; one facts file without a year
    applies to every year.  Facts for a county that has no schools in any year
    are an error; a county missing from some years is noted, not dropped.
    """
    if years is not None and len(years) != len(paths):
        raise DataError(
            [
                Problem(
                    f"{len(years)} --year value(s) for {len(paths)} data file(s): "
                    "give one year per file, in the same order"
                )
            ]
        )
    tables: dict[int, tuple[str, RawTable]] = {}
    for index, path in enumerate(paths):
        raw = read_school_raw_table(path, encoding=encoding, sheet=sheet, mapping=mapping)
        year = years[index] if years is not None else year_of_name(path)
        column = _year_column(raw)
        if year is not None:
            parts = {year: raw}
        elif column is not None:
            parts = _split_by_year(raw, column)
        else:
            raise DataError(
                [
                    Problem(
                        "which year is this? Put the year in the file name "
                        "(schools-2023.csv), add a year column (年份), or give --year",
                        file=str(path),
                    )
                ]
            )
        for part_year, part in parts.items():
            if part_year in tables:
                raise DataError(
                    [
                        Problem(
                            f"two files claim the year {part_year}: {tables[part_year][0]} and "
                            f"{path}; give each year once",
                            file=str(path),
                        )
                    ]
                )
            tables[part_year] = (str(path), part)
    fact_tables = _facts_by_year(facts, sorted(tables), encoding, known)
    counties: dict[int, tuple[County, ...]] = {}
    warnings: list[Problem] = []
    skipped: list[SkippedRow] = []
    for year, (file, raw) in sorted(tables.items()):
        parsed = school_table(raw, mapping=mapping, skip_bad_rows=skip_bad_rows)
        warnings += parsed.warnings
        skipped += parsed.skipped
        counties[year] = tuple(
            group_counties(parsed.schools, fact_tables.get(year, {}), default_name=Path(file).stem)
        )
    names = {c.name for items in counties.values() for c in items}
    problems = []
    for year, table in fact_tables.items():
        for name in sorted(set(table) - names):
            problems.append(
                Problem(
                    f"facts for county {name!r} ({year}), which has no schools in any year",
                    suggestion=did_you_mean(name, sorted(names)),
                )
            )
    if problems:
        raise DataError(problems)
    return Years(
        counties=counties,
        files={year: file for year, (file, _) in tables.items()},
        warnings=tuple(warnings),
        skipped=tuple(skipped),
    )


def _facts_by_year(
    facts: Sequence[str | Path],
    years: Sequence[int],
    encoding: str | None,
    known: Collection[str] = (),
) -> dict[int, dict[str, dict[str, Decimal | bool]]]:
    by_year: dict[int, dict[str, dict[str, Decimal | bool]]] = {}
    general: str | None = None
    for path in facts:
        year = year_of_name(path)
        if year is None:
            if general is not None:
                raise DataError(
                    [
                        Problem(
                            f"two facts files without a year in the name ({general} and {path}); "
                            "name them by year (facts-2023.yaml)",
                            file=str(path),
                        )
                    ]
                )
            general = str(path)
            continue
        if year not in years:
            raise DataError(
                [Problem(f"facts for {year}, a year without school data", file=str(path))]
            )
        if year in by_year:
            raise DataError([Problem(f"two facts files for {year}", file=str(path))])
        by_year[year] = read_facts(path, encoding=encoding, known=known)
    if general is not None:
        table = read_facts(general, encoding=encoding, known=known)
        for year in years:
            by_year.setdefault(year, table)
    return by_year


_OLD = {"old_id", "old_school_id", "旧学校标识码", "原学校标识码", "原标识码"}
_NEW = {"new_id", "new_school_id", "新学校标识码", "现学校标识码", "新标识码"}


def _recognise(header: str) -> str | None:
    name = normalise_header(header)[0].strip().lower()
    return "old_id" if name in _OLD else "new_id" if name in _NEW else None


def read_renamed(path: str | Path) -> dict[str, str]:
    """Changed school ids, old → new: YAML/JSON ``{renamed: {old: new}}`` or a table
    with columns ``old_id``/``new_id`` (``原学校标识码``/``新学校标识码``)."""
    file = Path(path)
    if file.suffix.lower() in (".yaml", ".yml", ".json"):
        document = load_structured(file)
        if isinstance(document, Mapping) and isinstance(document.get("renamed"), Mapping):
            return {str(k): str(v) for k, v in document["renamed"].items()}
        if isinstance(document, Mapping) and all(
            isinstance(v, str | int) for v in document.values()
        ):
            return {str(k): str(v) for k, v in document.items()}
    table = read_raw_table(file, recognise=_recognise, key_field="old_id", records_key="renamed")
    columns = {(_recognise(h) or h): i for i, h in enumerate(table.header)}
    if "new_id" not in columns:
        raise DataError([Problem("no new_id (新学校标识码) column", file=str(path))])
    result: dict[str, str] = {}
    problems = []
    for number, cells in table.rows:
        old, new = cells[columns["old_id"]].strip(), cells[columns["new_id"]].strip()
        if not old or not new:
            problems.append(Problem("old or new id is blank", file=table.file, row=number))
        elif old in result and result[old] != new:
            problems.append(
                Problem(
                    f"{old} is renamed twice ({result[old]}, {new})", file=table.file, row=number
                )
            )
        else:
            result[old] = new
    if problems:
        raise DataError(problems)
    return result
