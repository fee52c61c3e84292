"""balance-rules: China's compulsory-education balance standards as data.

Load a standard, build or read counties, evaluate, render::

    import balance_rules as br

    standard = br.load_standard("national/quality-2017")
    counties = br.read_counties("schools.csv", facts="facts.yaml")
    report = br.evaluate(standard, counties)
    print(br.render_text(report, lang="en"))
"""

from __future__ import annotations

from ._version import __version__
from .data.model import County, School
from .data.readers import (
    HeaderMapping,
    SchoolTable,
    SkippedRow,
    load_mapping,
    read_counties,
    read_facts,
    read_school_table,
)
from .engine.plan import Plan, compile_standard, evaluate
from .errors import BalanceRulesError, DataError, Problem, StandardError, UnknownStandardError
from .monitor import Monitoring, monitor
from .render.json import render_json, report_dict
from .render.markdown import render_markdown
from .render.text import render_text
from .report import Coefficient, CountyResult, Finding, Report, SchoolResult
from .shortfall import ShortfallPlan, shortfall
from .standard.compare import Change, diff_standards
from .standard.loader import (
    bundled_ids,
    load_standard,
    standard_from_mapping,
    standard_from_text,
    validate_standard,
)
from .standard.model import Standard

__all__ = [
    "BalanceRulesError",
    "Change",
    "Coefficient",
    "County",
    "CountyResult",
    "DataError",
    "Finding",
    "HeaderMapping",
    "Monitoring",
    "Plan",
    "Problem",
    "Report",
    "School",
    "SchoolResult",
    "SchoolTable",
    "ShortfallPlan",
    "SkippedRow",
    "Standard",
    "StandardError",
    "UnknownStandardError",
    "__version__",
    "bundled_ids",
    "compile_standard",
    "diff_standards",
    "evaluate",
    "load_mapping",
    "load_standard",
    "monitor",
    "read_counties",
    "read_facts",
    "read_school_table",
    "render_json",
    "render_markdown",
    "render_text",
    "report_dict",
    "shortfall",
    "standard_from_mapping",
    "standard_from_text",
    "validate_standard",
]
