"""Shared helpers: small standards built in code, schools, and running the real command."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pytest

import balance_rules as br

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
EXAMPLE_SCHOOLS = EXAMPLES / "example-county.csv"
EXAMPLE_FACTS = EXAMPLES / "example-county-facts.yaml"

_SOURCE = {"article": "第一条"}

#: A small complete standard: one per-school threshold on teaching area per
#: student, a CV and composite over two indicators, and one county fact.
MINI: dict[str, Any] = {
    "format": 1,
    "id": "test/mini",
    "title": {"zh": "测试标准", "en": "Test standard"},
    "version": "1",
    "source": {"document": "测试〔2026〕1号"},
    "levels": ["primary", "junior"],
    "scope": {
        "exclude": {
            "private": {"when": {"ownership": ["private"]}},
            "teaching_point": {"when": {"school_type": ["teaching_point"]}},
        }
    },
    "split": {
        "weights": {
            "nine_year": {"primary": 1, "junior": D("1.1")},
            "complete_secondary": {"junior": 1, "senior": D("1.2")},
        },
        "items": ["teaching_aux_area", "books"],
    },
    "indicators": {
        "area": {
            "label": {"zh": "生均教学及辅助用房面积", "en": "area per student"},
            "numerator": "teaching_aux_area",
            "denominator": "students",
            "source": _SOURCE,
        },
        "books": {
            "label": {"zh": "生均图书", "en": "books per student"},
            "numerator": "books",
            "denominator": "students",
            "source": _SOURCE,
        },
        "above_100": {
            "label": {"zh": "每百名学生高学历教师", "en": "above-degree teachers per 100"},
            "numerator": "teachers_above_degree",
            "denominator": "students",
            "scale": 100,
            "source": _SOURCE,
        },
    },
    "groups": {"main": {"label": {"zh": "主要", "en": "main"}}},
    "rules": {
        "area_min": {
            "kind": "school_threshold",
            "group": "main",
            "indicator": "area",
            "op": ">=",
            "threshold": {"primary": D("4.5"), "junior": D("5.8")},
            "source": _SOURCE,
        },
        "cv": {
            "kind": "coefficients",
            "group": "main",
            "indicators": ["area", "books"],
            "max": {"primary": D("0.5"), "junior": D("0.45")},
            "source": _SOURCE,
        },
        "fact": {
            "kind": "county_fact",
            "group": "main",
            "fact": "retention_rate_junior",
            "op": ">=",
            "threshold": 95,
            "source": _SOURCE,
        },
    },
}


def mini(**changes: Any) -> dict[str, Any]:
    """A deep copy of MINI with top-level keys replaced."""
    document = copy.deepcopy(MINI)
    document.update(changes)
    return document


def mini_standard(**changes: Any) -> br.Standard:
    return br.standard_from_mapping(mini(**changes))


def school(school_id: str = "S1", **values: Any) -> br.School:
    """A public county primary school with the given values."""
    values.setdefault("school_type", "primary")
    values.setdefault("county", "测试县")
    return br.School(school_id=school_id, school_name=f"学校{school_id}", **values)


def run_cli(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real `balance-rules` command (as installed) in a subprocess."""
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "balance_rules", *map(str, args)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=cwd or ROOT,
        env=env,
        timeout=120,
    )


@pytest.fixture(scope="session")
def quality() -> br.Standard:
    return br.load_standard("national/quality-2017")


@pytest.fixture(scope="session")
def basic() -> br.Standard:
    return br.load_standard("national/basic-2012")
