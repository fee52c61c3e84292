"""Shared fixtures of the monitoring tests: a small standard with warning rules and
hand-set counties whose coefficients are computed by hand below."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import balance_rules as br

STANDARD_YAML = """\
format: 1
id: test/monitor
title: {zh: 监测测试标准, en: Monitoring test standard}
version: "1"
source: {document: 测试〔2026〕2号, issued: "2020-01-01"}
levels: [primary, junior]
scope:
  exclude:
    private: {when: {ownership: [private]}}
split:
  weights:
    nine_year: {primary: 1, junior: 1.1}
  items: [teaching_aux_area, books]
indicators:
  area:
    label: {zh: 生均教学及辅助用房面积, en: area per student}
    numerator: teaching_aux_area
    denominator: students
    source: {article: 第一条}
  books:
    label: {zh: 生均图书, en: books per student}
    numerator: books
    denominator: students
    source: {article: 第一条}
groups:
  main: {label: {zh: 主要, en: main}}
  watch: {label: {zh: 监测, en: watch}, required: false}
rules:
  area_min:
    kind: school_threshold
    group: main
    indicator: area
    op: ">="
    threshold: {primary: 4, junior: 5}
    source: {article: 第二条}
  books_min:
    kind: school_threshold
    group: main
    indicator: books
    op: ">="
    threshold: {primary: 20, junior: 25}
    source: {article: 第二条}
  both:
    kind: school_k_of_n
    group: main
    rules: [area_min, books_min]
    min_met: 2
    source: {article: 第二条}
  cv:
    kind: coefficients
    group: main
    indicators: [area]
    max: {primary: CAP, junior: 0.45}
    source: {article: 第三条}
  near_cap:
    kind: warning_cv_margin
    group: watch
    watches: cv
    margin: 0.1
    label: {zh: 接近上限, en: near the cap}
    source: {document: 测试约定, article: 预警一}
    confidence: unconfirmed
  rising:
    kind: warning_cv_rise
    group: watch
    watches: cv
    rise: 0.05
    label: {zh: 上升, en: rising}
    source: {document: 测试约定, article: 预警二}
    confidence: unconfirmed
  lost:
    kind: warning_k_of_n_lost
    group: watch
    watches: both
    severity: red
    label: {zh: 不再全部达标, en: lost 2 of 2}
    source: {document: 测试约定, article: 预警三}
    confidence: unconfirmed
"""


def standard_text(cap: str = "0.5", id_: str = "test/monitor") -> str:
    return STANDARD_YAML.replace("CAP", cap).replace("id: test/monitor", f"id: {id_}")


def standard(cap: str = "0.5", id_: str = "test/monitor") -> br.Standard:
    return br.standard_from_text(standard_text(cap, id_))


def school(county: str, school_id: str, area_per_student: str, **extra: Any) -> br.School:
    """A primary school of 100 pupils with 30 books each and the given area per pupil."""
    values: dict[str, Any] = {
        "school_type": "primary",
        "primary_students": 100,
        "teaching_aux_area": str(100 * float(area_per_student)),
        "books": 3000,
    }
    values.update(extra)
    name = values.pop("school_name", f"{county}{school_id}")
    return br.School(school_id=school_id, school_name=name, county=county, **values)


def county(name: str, *schools: br.School) -> br.County:
    return br.County(name=name, schools=schools)


# County A: area per pupil (three schools of 100 pupils)
#   2021: 5, 5, 5     → CV 0
#   2022: 4, 4, 16    → mean 8, S² = (16+16+64)/3 = 32, CV = √32/8 = 0.70711 > 0.5 (crosses)
#   2023: 3, 4.5, 4.5 → mean 4, S² = (1+0.25+0.25)/3 = 0.5, CV = √0.5/4 = 0.17678;
#                       A1 fails area ≥ 4 (it met both rules before: flips, loses 2 of 2)
# County B: 4, 4, 10 in 2021 → mean 6, S² = 8, CV = √8/6 = 0.47140 (within 0.1 of 0.5);
#           no data in 2022; 4, 4, 4 in 2023 (CV 0).
A_CV = {2021: 0.0, 2022: 32**0.5 / 8, 2023: 0.5**0.5 / 4}
B_CV_2021 = 8**0.5 / 6


def years() -> dict[int, list[br.County]]:
    return {
        2021: [
            county(
                "A县", school("A县", "A1", "5"), school("A县", "A2", "5"), school("A县", "A3", "5")
            ),
            county(
                "B县", school("B县", "B1", "4"), school("B县", "B2", "4"), school("B县", "B3", "10")
            ),
        ],
        2022: [
            county(
                "A县", school("A县", "A1", "4"), school("A县", "A2", "4"), school("A县", "A3", "16")
            ),
        ],
        2023: [
            county(
                "A县",
                school("A县", "A1", "3"),
                school("A县", "A2", "4.5"),
                school("A县", "A3", "4.5"),
            ),
            county(
                "B县", school("B县", "B1", "4"), school("B县", "B2", "4"), school("B县", "B3", "4")
            ),
        ],
    }


HEADER = "县区,学校标识码,学校名称,学校类型,小学在校生数,教学及辅助用房面积（平方米）,图书册数"


def write_year_csv(path: Path, rows: list[tuple[str, str, str, str, int, str, int]]) -> Path:
    lines = [HEADER] + [",".join(str(v) for v in row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
