"""Regenerate the invented monitoring example (examples/monitoring/).

Three years of two invented counties, built from the example county
(examples/example-county.csv):

- 示例县 in 2021, 2022 and 2023: in 2022 桃园村小学 closes and 新区小学 opens;
  in 2023 东坡村小学 gets a new school id (renamed.yaml), 城关第三小学 loses
  backbone and PE/art teachers (it no longer meets 6 of 7), and 实验小学's
  equipment grows, raising the primary equipment CV.
- 示例二县 in 2021 and 2023 only (no data for 2022: reported, not dropped).

    python examples/monitoring/make_monitoring.py
    balance-rules monitor examples/monitoring/schools-20*.csv \
        --facts examples/monitoring/facts.yaml --renamed examples/monitoring/renamed.yaml \
        --standard monitoring/quality-2017-warnings
"""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = HERE.parent / "example-county.csv"


def _scale(row: dict[str, str], header: str, factor: str) -> None:
    if row[header]:
        row[header] = str((Decimal(row[header]) * Decimal(factor)).quantize(Decimal(1)))


def main() -> None:
    with SOURCE.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        headers = list(reader.fieldnames or [])
        base = list(reader)
    second = []
    for row in base:
        copy = dict(row, 县区="示例二县", 学校标识码="3" + row["学校标识码"][1:])
        copy["学校名称"] = "二县" + row["学校名称"]
        if copy["所属学校标识码"]:
            copy["所属学校标识码"] = "3" + copy["所属学校标识码"][1:]
        second.append(copy)
    years: dict[int, list[dict[str, str]]] = {}
    # 2021: both counties as generated.
    years[2021] = [dict(r) for r in base] + [dict(r) for r in second]
    # 2022: 桃园村小学 closes, 新区小学 opens; 示例二县 sends no data.
    y2022 = [dict(r) for r in base if r["学校标识码"] != "2110000016"]
    opened = dict(next(r for r in base if r["学校标识码"] == "2110000005"))
    opened.update(学校标识码="2110000020", 学校名称="新区小学")
    y2022.append(opened)
    years[2022] = y2022
    # 2023: 东坡村小学's id changes; 城关第三小学 loses teachers; 实验小学's equipment grows.
    y2023 = []
    for row in y2022:
        row = dict(row)
        if row["学校标识码"] == "2110000013":
            row["学校标识码"] = "2110000113"
        if row["所属学校标识码"] == "2110000013":
            row["所属学校标识码"] = "2110000113"
        if row["学校标识码"] == "2110000003":
            _scale(row, "小学县级及以上骨干教师数", "0.5")
            _scale(row, "小学体育、艺术(音乐、美术)专任教师数", "0.5")
        if row["学校标识码"] == "2110000004":
            row["教学仪器设备资产值（万元）"] = str(
                Decimal(row["教学仪器设备资产值（万元）"]) * 3
            )
        y2023.append(row)
    years[2023] = y2023 + [dict(r) for r in second]
    for year, rows in years.items():
        with (HERE / f"schools-{year}.csv").open("w", encoding="utf-8", newline="") as f:
            writer = csv.DictWriter(f, headers, lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)


if __name__ == "__main__":
    main()
