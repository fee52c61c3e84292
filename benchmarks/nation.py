"""A seeded synthetic nation in the canonical school table.

About 150,000 primary and 52,000 junior schools plus 10,000 combined schools in
2,850 counties (about 222,000 school sections), with realistic skewed sizes,
every school type, sub-sites, private and city-run schools, and values spread
around the 2017 thresholds (some exactly at them).

    python benchmarks/nation.py --out /tmp/nation.csv [--scale 1.0] [--seed 2026]
"""

from __future__ import annotations

import argparse
import csv
import random
from pathlib import Path

COLUMNS = [
    "county", "school_id", "school_name", "school_type", "ownership", "authority", "location",
    "parent_school_id", "counted_as_school",
    "primary_students", "junior_students", "senior_students",
    "primary_classes", "junior_classes", "primary_max_class_size", "junior_max_class_size",
    "primary_teachers", "junior_teachers",
    "primary_teachers_above_degree", "junior_teachers_above_degree",
    "primary_teachers_mid_title", "junior_teachers_mid_title",
    "primary_backbone_teachers", "junior_backbone_teachers",
    "primary_pe_art_teachers", "junior_pe_art_teachers",
    "primary_certified_teachers", "junior_certified_teachers",
    "site_area", "building_area", "teaching_aux_area", "sports_area", "equipment_value",
    "computers", "books", "multimedia_rooms", "labs", "music_rooms", "art_rooms",
    "min_music_room_area", "min_art_room_area",
]  # fmt: skip

# 2017 thresholds (primary, junior), per student or per 100 students.
THRESHOLDS = {
    "above": (4.2, 5.3),
    "backbone": (1.0, 1.0),
    "pe_art": (0.9, 0.9),
    "teaching_aux_area": (4.5, 5.8),
    "sports_area": (7.5, 10.2),
    "equipment_value": (2000, 2500),
    "multimedia_rooms": (2.3, 2.4),
}


def _students(rng: random.Random) -> int:
    # Skewed: many small rural schools, some very large urban ones.
    return max(5, int(rng.lognormvariate(5.6, 0.9)))


def _factor(rng: random.Random) -> float:
    """How far a school sits from a threshold: mostly above, some at, some below."""
    roll = rng.random()
    if roll < 0.03:
        return 1.0  # exactly at the threshold
    if roll < 0.12:
        return rng.uniform(0.75, 1.0)
    return rng.uniform(1.0, 1.8)


def _level(rng: random.Random, row: dict[str, object], level: str, n: int) -> None:
    t = 0 if level == "primary" else 1
    teachers = max(1, round(n / rng.uniform(11, 20)))
    row[f"{level}_students"] = n
    row[f"{level}_classes"] = max(1, -(-n // 45))
    row[f"{level}_max_class_size"] = min(n, rng.randint(25, 56))
    row[f"{level}_teachers"] = teachers
    row[f"{level}_teachers_mid_title"] = round(teachers * rng.uniform(0.3, 0.7))
    row[f"{level}_certified_teachers"] = teachers
    for key, column in (
        ("above", "teachers_above_degree"),
        ("backbone", "backbone_teachers"),
        ("pe_art", "pe_art_teachers"),
    ):
        row[f"{level}_{column}"] = round(n * THRESHOLDS[key][t] * _factor(rng) / 100)


def _facilities(rng: random.Random, row: dict[str, object], weighted: float, level: int) -> None:
    for key in ("teaching_aux_area", "sports_area", "equipment_value"):
        row[key] = round(weighted * THRESHOLDS[key][level] * _factor(rng), 1)
    row["multimedia_rooms"] = round(
        weighted * THRESHOLDS["multimedia_rooms"][level] * _factor(rng) / 100
    )
    row["computers"] = round(weighted * rng.uniform(0.05, 0.2))
    row["books"] = round(weighted * rng.uniform(15, 50))
    row["site_area"] = round(weighted * rng.uniform(10, 35), 1)
    row["building_area"] = round(weighted * rng.uniform(4, 10), 1)
    row["labs"] = rng.randint(0, 6)
    row["music_rooms"] = rng.randint(1, 3)
    row["art_rooms"] = rng.randint(1, 3)
    row["min_music_room_area"] = rng.choice((80, 96, 100))
    row["min_art_room_area"] = rng.choice((80, 90, 96))


def _site(
    rng: random.Random,
    county: str,
    serial: int,
    parent: str,
    name: str,
    counted: int,
    size: tuple[int, int, int],
) -> dict[str, object]:
    """A small rural site of a primary school: a sub-site (counted 0) or a teaching point."""
    row: dict[str, object] = {
        "county": county,
        "school_id": f"{county}-{serial:05d}",
        "school_name": name,
        "school_type": "primary" if counted == 0 else "teaching_point",
        "location": "rural",
        "parent_school_id": parent,
        "counted_as_school": counted,
    }
    smallest, low, high = size
    n = max(smallest, int(rng.uniform(low, high)))
    _level(rng, row, "primary", n)
    _facilities(rng, row, n, 0)
    return row


def generate(out: Path, scale: float = 1.0, seed: int = 2026) -> int:
    """Write the nation to *out*; returns the number of rows."""
    rng = random.Random(seed)
    counties = max(1, int(2850 * scale))
    per_county = {
        "primary": 150_000 / 2850,
        "junior": 52_000 / 2850,
        "nine_year": 7_000 / 2850,
        "twelve_year": 800 / 2850,
        "complete_secondary": 2_200 / 2850,
    }
    rows = 0
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        for c in range(counties):
            county = f"C{c:04d}"
            serial = 0
            for school_type, mean in per_county.items():
                count = max(0, round(rng.gauss(mean, mean * 0.3)))
                for _ in range(count):
                    serial += 1
                    sid = f"{county}-{serial:05d}"
                    row: dict[str, object] = {
                        "county": county,
                        "school_id": sid,
                        "school_name": f"学校{sid}",
                        "school_type": school_type,
                        "ownership": "private" if rng.random() < 0.05 else "public",
                        "authority": "city" if rng.random() < 0.02 else "county",
                        "location": rng.choice(("urban", "town", "rural", "rural")),
                        "counted_as_school": 1,
                    }
                    if school_type == "primary":
                        n = _students(rng)
                        _level(rng, row, "primary", n)
                        _facilities(rng, row, n, 0)
                    elif school_type == "junior":
                        n = _students(rng)
                        _level(rng, row, "junior", n)
                        _facilities(rng, row, n, 1)
                    else:
                        levels = {
                            "nine_year": ("primary", "junior"),
                            "twelve_year": ("primary", "junior", "senior"),
                            "complete_secondary": ("junior", "senior"),
                        }[school_type]
                        weighted = 0.0
                        for level in levels:
                            n = _students(rng)
                            if level == "senior":
                                row["senior_students"] = n
                            else:
                                _level(rng, row, level, n)
                            weighted += n * {"primary": 1, "junior": 1.1, "senior": 1.32}[level]
                        _facilities(rng, row, weighted, 1)
                    writer.writerow(row)
                    rows += 1
                    if school_type == "primary" and rng.random() < 0.02:
                        # A statistical sub-site, merged into this school.
                        serial += 1
                        writer.writerow(_site(rng, county, serial, sid, "分校点", 0, (5, 10, 80)))
                        rows += 1
                    if school_type == "primary" and rng.random() < 0.03:
                        serial += 1
                        writer.writerow(_site(rng, county, serial, sid, "教学点", 1, (3, 5, 90)))
                        rows += 1
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("/tmp/nation.csv"))
    parser.add_argument("--scale", type=float, default=1.0, help="share of the 2,850 counties")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    rows = generate(args.out, args.scale, args.seed)
    print(f"wrote {args.out}: {rows} rows")


if __name__ == "__main__":
    main()
