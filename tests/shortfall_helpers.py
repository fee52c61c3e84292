"""Small standards and counties for the shortfall tests (hand-checkable)."""

from __future__ import annotations

from typing import Any

import balance_rules as br

HEAD = """
format: 1
id: test/{id}
title: {{zh: 测试标准}}
version: "1"
source: {{document: 测试}}
levels: [primary, junior]
scope:
  exclude:
    private:
      when: {{ownership: [private]}}
split:
  weights:
    nine_year: {{primary: 1, junior: 1.1}}
  items: [teaching_aux_area, sports_area, equipment_value, computers, books]
indicators:
  above_degree_teachers_per_100:
    label: {{zh: 每百名学生高学历教师数}}
    numerator: teachers_above_degree
    denominator: students
    scale: 100
    source: {{article: 一}}
  teaching_aux_area_per_student:
    label: {{zh: 生均教学及辅助用房面积}}
    numerator: teaching_aux_area
    denominator: students
    source: {{article: 二}}
  equipment_value_per_student:
    label: {{zh: 生均教学仪器设备值}}
    numerator: equipment_value
    denominator: students
    source: {{article: 三}}
  books_per_student:
    label: {{zh: 生均图书}}
    numerator: books
    denominator: students
    source: {{article: 四}}
groups:
  resources:
    label: {{zh: 资源}}
rules:
"""

THRESHOLDS = """
  above_degree:
    kind: school_threshold
    group: resources
    indicator: above_degree_teachers_per_100
    op: "{op}"
    threshold: {{primary: 4.2, junior: 5.3}}
    source: {{article: 一}}
  area:
    kind: school_threshold
    group: resources
    indicator: teaching_aux_area_per_student
    op: "{op}"
    threshold: {{primary: 4.5, junior: 5.8}}
    source: {{article: 二}}
  equipment:
    kind: school_threshold
    group: resources
    indicator: equipment_value_per_student
    op: "{op}"
    threshold: {{primary: 2000, junior: 2500}}
    source: {{article: 三}}
"""

CV = """
  books_cv:
    kind: coefficients
    group: resources
    indicators: [books_per_student]
    max: {{primary: {cap}, junior: {cap}}}
    source: {{article: 四}}
"""


def thresholds_standard(op: str = ">=") -> br.Standard:
    text = HEAD.format(id="thresholds") + THRESHOLDS.format(op=op)
    return br.standard_from_text(text, name=f"thresholds{op}.yaml")


def cv_standard(cap: str = "0.3") -> br.Standard:
    text = HEAD.format(id="cv") + CV.format(cap=cap)
    return br.standard_from_text(text, name="cv.yaml")


def both_standard(cap: str = "0.3") -> br.Standard:
    text = HEAD.format(id="both") + THRESHOLDS.format(op=">=") + CV.format(cap=cap)
    return br.standard_from_text(text, name="both.yaml")


def school(school_id: str, students: int = 500, **values: Any) -> br.School:
    """A primary school that meets every threshold of the test standards unless told."""
    base: dict[str, Any] = {
        "school_type": "primary",
        "primary_students": students,
        "primary_teachers": students // 10,
        "primary_teachers_above_degree": students // 10,
        "teaching_aux_area": students * 5,
        "equipment_value": students * 2500,
        "books": students * 30,
    }
    base.update(values)
    return br.School(school_id=school_id, county="测试县", **base)


def county(*schools: br.School) -> br.County:
    return br.County(name="测试县", schools=schools)
