"""No file is ever harmed: outputs never replace inputs, and are written whole or not at all."""

from __future__ import annotations

import errno
import io
import os
import shutil
import threading
from pathlib import Path
from typing import Any

import pytest

from balance_rules.cli import main
from balance_rules.cli.output import open_output
from balance_rules.errors import DataError

from .conftest import EXAMPLE_FACTS, EXAMPLE_SCHOOLS, EXAMPLES


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """A folder with copies of the example table, facts and county standard."""
    for name in ("example-county.csv", "example-county-facts.yaml", "example-county-standard.yaml"):
        shutil.copy(EXAMPLES / name, tmp_path / name)
    (tmp_path / "sub").mkdir()
    return tmp_path


def _run(*argv: str | Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main([str(a) for a in argv], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.mark.parametrize(
    "target",
    [
        "example-county.csv",
        "example-county-facts.yaml",
        "example-county-standard.yaml",
        "sub/../example-county.csv",
        "./sub/../example-county-facts.yaml",
    ],
)
def test_output_may_not_be_any_input(
    work: Path, target: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _snapshot(work)
    monkeypatch.chdir(work)
    code, _, err = _run(
        "evaluate",
        "example-county.csv",
        "--facts",
        "example-county-facts.yaml",
        "--standard",
        "example-county-standard.yaml",
        "--output",
        target,
    )
    assert code == 2
    assert "输入文件" in err and target in err  # the message is Chinese by default
    assert _snapshot(work) == before


def test_output_may_not_be_the_mapping(work: Path) -> None:
    mapping = work / "mapping.yaml"
    mapping.write_text("columns:\n  学校名称: name\n", encoding="utf-8")
    before = mapping.read_bytes()
    code, _, err = _run(
        "evaluate",
        work / "example-county.csv",
        "--mapping",
        mapping,
        "--output",
        work / "sub" / ".." / "mapping.yaml",
        "--format",
        "text",
    )
    assert code == 2 and "mapping.yaml" in err
    assert mapping.read_bytes() == before


def test_output_through_a_symlink_to_an_input_is_refused(work: Path) -> None:
    link = work / "sub" / "link.csv"
    link.symlink_to(work / "example-county.csv")
    before = _snapshot(work)
    code, _, err = _run("evaluate", work / "example-county.csv", "--output", link)
    assert code == 2 and "link.csv" in err
    assert _snapshot(work) == before


def _failing_fdopen(after: int, error: BaseException) -> Any:
    """os.fdopen whose file raises *error* once more than *after* characters are written."""
    real = os.fdopen

    def fdopen(fd: int, *args: Any, **kwargs: Any) -> Any:
        handle = real(fd, *args, **kwargs)
        write = handle.write
        written = [0]

        def limited(data: Any) -> int:
            written[0] += len(data)
            if written[0] > after:
                raise error
            result: int = write(data)
            return result

        handle.write = limited
        return handle

    return fdopen


@pytest.mark.parametrize("fmt", ["json", "markdown", "text", "csv", "jsonl"])
def test_full_disk_keeps_the_earlier_output(
    work: Path, fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = work / "sub" / "report.out"
    out.write_text("earlier good report\n", encoding="utf-8")
    monkeypatch.setattr(
        "balance_rules.cli.output.os.fdopen",
        _failing_fdopen(10, OSError(errno.ENOSPC, "No space left on device")),
    )
    code, _, err = _run(
        "evaluate",
        work / "example-county.csv",
        "--facts",
        work / "example-county-facts.yaml",
        "--format",
        fmt,
        "--output",
        out,
    )
    assert code == 2
    assert str(out) in err and "No space left on device" in err
    assert "原有文件保持不变" in err  # "the earlier file is left unchanged"
    assert out.read_text(encoding="utf-8") == "earlier good report\n"
    assert [p.name for p in (work / "sub").iterdir()] == ["report.out"]  # no temp file left


def test_ctrl_c_while_writing_keeps_the_earlier_output(
    work: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = work / "sub" / "report.json"
    out.write_text("{}\n", encoding="utf-8")
    monkeypatch.setattr(
        "balance_rules.cli.output.os.fdopen", _failing_fdopen(100, KeyboardInterrupt())
    )
    code, stdout, err = _run(
        "evaluate",
        work / "example-county.csv",
        "--facts",
        work / "example-county-facts.yaml",
        "--output",
        out,
    )
    assert code == 130
    assert err == "" and stdout == ""
    assert out.read_text(encoding="utf-8") == "{}\n"
    assert [p.name for p in (work / "sub").iterdir()] == ["report.json"]


def test_crash_inside_the_writer_keeps_the_earlier_output(tmp_path: Path) -> None:
    out = tmp_path / "report.md"
    out.write_text("earlier\n", encoding="utf-8")
    with pytest.raises(ZeroDivisionError), open_output(str(out), io.StringIO()) as stream:
        stream.write("half a report")
        _ = 1 / 0
    assert out.read_text(encoding="utf-8") == "earlier\n"
    assert [p.name for p in tmp_path.iterdir()] == ["report.md"]


def test_output_into_a_missing_folder_names_the_file(tmp_path: Path) -> None:
    target = tmp_path / "no-such-folder" / "report.json"
    with pytest.raises(DataError) as caught, open_output(str(target), io.StringIO()) as stream:
        stream.write("x")
    assert str(target) in str(caught.value)


def test_output_permissions_follow_the_umask(tmp_path: Path) -> None:
    out = tmp_path / "r.txt"
    mask = os.umask(0o027)
    try:
        with open_output(str(out), io.StringIO()) as stream:
            stream.write("x")
    finally:
        os.umask(mask)
    assert out.stat().st_mode & 0o777 == 0o640


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "json"])
def test_eight_concurrent_runs_never_collide(tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"report.{fmt}"
    codes: list[int] = []
    errors: list[str] = []
    lock = threading.Lock()

    def one() -> None:
        code, _, err = _run("evaluate", EXAMPLE_SCHOOLS, "--facts", EXAMPLE_FACTS, "--output", out)
        with lock:
            codes.append(code)
            errors.append(err)

    threads = [threading.Thread(target=one) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert codes == [0] * 8, errors
    alone = tmp_path / f"alone.{fmt}"
    assert _run("evaluate", EXAMPLE_SCHOOLS, "--facts", EXAMPLE_FACTS, "--output", alone)[0] == 0
    assert out.read_bytes() == alone.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([out.name, alone.name])


def test_monitor_output_may_not_be_a_year_standard(work: Path) -> None:
    year_standard = work / "std.json"  # a suffix monitor writes, named by --standard-for
    year_standard.write_bytes((work / "example-county-standard.yaml").read_bytes())
    before = _snapshot(work)
    code, _, err = _run(
        "monitor",
        work / "example-county.csv",
        "--year",
        "2024",
        "--standard-for",
        f"2024={year_standard}",
        "--output",
        work / "sub" / ".." / "std.json",
    )
    assert code == 2 and "std.json" in err
    assert _snapshot(work) == before


def test_shortfall_applied_table_may_not_replace_the_plan(work: Path) -> None:
    plan = work / "sub" / "plan.csv"
    code, _, err = _run(
        "shortfall",
        work / "example-county.csv",
        "--facts",
        work / "example-county-facts.yaml",
        "--output",
        plan,
        "--write-applied",
        plan,
    )
    assert code == 2 and "plan.csv" in err, err


@pytest.mark.parametrize("fmt", ["text", "json", "csv"])
def test_output_may_not_be_a_layer_the_standard_extends(work: Path, fmt: str) -> None:
    parent = work / "parent.yaml"
    parent.write_bytes((work / "example-county-standard.yaml").read_bytes())
    child = work / "sub" / "child.yaml"
    child.write_text(
        "format: 1\nid: test/child\nextends: ../parent.yaml\ntitle: {zh: 子}\n"
        'version: "1"\nsource: {document: 测试}\n',
        encoding="utf-8",
    )
    before = _snapshot(work)
    code, _, err = _run(
        "evaluate",
        work / "example-county.csv",
        "--standard",
        child,
        "--format",
        fmt,
        "--output",
        work / "sub" / ".." / "parent.yaml",
    )
    assert code == 2 and "parent.yaml" in err, err
    assert _snapshot(work) == before
