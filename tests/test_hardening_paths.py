"""One resolver for `extends:`: relative to the naming file, optionally confined to a root."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from balance_rules.cli import main
from balance_rules.errors import StandardError
from balance_rules.paths import OutsideRootError, resolve_named
from balance_rules.standard.loader import load_standard, standard_from_text

from .conftest import EXAMPLE_FACTS, EXAMPLE_SCHOOLS, EXAMPLES

SECRET = "password: hunter2\napi_key: s3cr3t-t0ken\n"


def _child(extends: str, id_: str = "test/child") -> str:
    return (
        "format: 1\n"
        f"id: {id_}\n"
        f"extends: {extends}\n"
        "title: {zh: 子标准}\n"
        'version: "1"\n'
        "source: {document: 测试〔2026〕1号}\n"
    )


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """root/parent.yaml (a full standard), root/sub/child.yaml extends ../parent.yaml;
    outside/secret.yaml beside root."""
    root = tmp_path / "root"
    (root / "sub").mkdir(parents=True)
    parent = (EXAMPLES / "example-county-standard.yaml").read_text(encoding="utf-8")
    (root / "parent.yaml").write_text(parent, encoding="utf-8")
    (root / "sub" / "child.yaml").write_text(_child("../parent.yaml"), encoding="utf-8")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.yaml").write_text(SECRET, encoding="utf-8")
    (tmp_path / "outside" / "parent.yaml").write_text(parent, encoding="utf-8")
    return root


def _run(*argv: str | Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main([str(a) for a in argv], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_extends_is_relative_to_the_naming_file(
    tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path / "outside")  # a parent.yaml here must not be the one used
    standard = load_standard(tree / "sub" / "child.yaml")
    assert standard.layers == ("national/quality-2017", "examples/shili-county", "test/child")


def test_extends_inside_the_root_works(tree: Path) -> None:
    standard = load_standard(tree / "sub" / "child.yaml", root=tree)
    assert standard.id == "test/child"
    assert _run("validate", "--root", tree, tree / "sub" / "child.yaml")[0] == 0


def test_bundled_ids_allowed_under_a_root(tree: Path) -> None:
    assert load_standard("national/quality-2017", root=tree).id == "national/quality-2017"


@pytest.mark.parametrize(
    "extends",
    ["../../outside/parent.yaml", "../../outside/secret.yaml", "ABSOLUTE", "../../nowhere.yaml"],
)
def test_extends_outside_the_root_refused(tree: Path, extends: str) -> None:
    if extends == "ABSOLUTE":
        extends = str(tree.parent / "outside" / "parent.yaml")
    child = tree / "sub" / "child.yaml"
    child.write_text(_child(extends), encoding="utf-8")
    with pytest.raises(StandardError) as caught:
        load_standard(child, root=tree)
    (problem,) = caught.value.problems
    assert problem.file == str(child) and problem.line == 3
    assert "allowed" in problem.message
    assert "hunter2" not in str(caught.value)
    # Without a root, a person's own files may extend anything.
    if "secret" not in extends and "nowhere" not in extends:
        assert load_standard(child).id == "test/child"


def test_same_message_whether_or_not_the_outside_file_exists(tree: Path) -> None:
    messages = []
    for name in ("../../outside/parent.yaml", "../../outside/no-such.yaml"):
        child = tree / "sub" / "child.yaml"
        child.write_text(_child(name), encoding="utf-8")
        with pytest.raises(StandardError) as caught:
            load_standard(child, root=tree)
        messages.append(caught.value.problems[0].message.replace(name, "NAME"))
    assert messages[0] == messages[1]


def test_absolute_path_inside_the_root_refused_in_extends(tree: Path) -> None:
    child = tree / "sub" / "child.yaml"
    child.write_text(_child(str(tree / "parent.yaml")), encoding="utf-8")
    with pytest.raises(StandardError, match="absolute path"):
        load_standard(child, root=tree)


def test_symlink_out_of_the_root_refused(tree: Path) -> None:
    (tree / "sub" / "link.yaml").symlink_to(tree.parent / "outside" / "parent.yaml")
    child = tree / "sub" / "child.yaml"
    child.write_text(_child("link.yaml"), encoding="utf-8")
    with pytest.raises(StandardError, match="allowed"):
        load_standard(child, root=tree)


def test_top_level_file_outside_the_root_refused(tree: Path) -> None:
    outside = tree.parent / "outside" / "parent.yaml"
    with pytest.raises(StandardError, match="outside the allowed folder"):
        load_standard(outside, root=tree)
    with pytest.raises(StandardError, match="outside the allowed folder"):
        load_standard(tree / ".." / "outside" / "parent.yaml", root=tree)


def test_bundled_id_with_dotdot_is_not_bundled(tree: Path) -> None:
    with pytest.raises(StandardError, match="allowed"):
        load_standard("national/../../../../../../etc/hostname", root=tree)


def test_text_and_mapping_resolve_against_the_root(tree: Path) -> None:
    standard = standard_from_text(_child("parent.yaml"), root=tree)
    assert standard.layers[-1] == "test/child"
    with pytest.raises(StandardError, match="allowed"):
        standard_from_text(_child("../outside/parent.yaml"), root=tree)


@pytest.mark.parametrize(
    "content",
    [SECRET, "root:x:0:0:root:/root:/bin/bash\n", "- hunter2\n- s3cr3t\n", "\x00\x01hunter2"],
)
def test_a_parent_that_is_not_a_standard_is_not_quoted(tree: Path, content: str) -> None:
    (tree / "notes.yaml").write_text(content, encoding="utf-8")
    child = tree / "sub" / "child.yaml"
    child.write_text(_child("../notes.yaml"), encoding="utf-8")
    code, _, err = _run("validate", "--root", tree, child)
    assert code == 2
    assert "notes.yaml" in err
    for word in ("hunter2", "s3cr3t", "password", "root:x", "/bin/bash"):
        assert word not in err


@pytest.mark.parametrize("command", ["validate", "show", "evaluate", "diff"])
def test_root_option_on_every_command_that_loads_standards(tree: Path, command: str) -> None:
    child = tree / "sub" / "child.yaml"
    child.write_text(_child("../../outside/parent.yaml"), encoding="utf-8")
    argv: dict[str, list[str | Path]] = {
        "validate": ["validate", "--root", tree, child],
        "show": ["show", "--root", tree, child],
        "evaluate": [
            "evaluate",
            EXAMPLE_SCHOOLS,
            "--facts",
            EXAMPLE_FACTS,
            "--root",
            tree,
            "--standard",
            child,
        ],
        "diff": ["diff", "--root", tree, "national/quality-2017", child],
    }
    code, _, err = _run(*argv[command])
    assert code == 2, err
    assert f"{child}:3" in err and "不在允许的文件夹" in err  # "outside the allowed folder"
    argv[command].remove("--root")
    argv[command].remove(tree)
    assert _run(*argv[command])[0] in (0, 1)


def test_resolve_named() -> None:
    assert resolve_named("a.yaml", Path("/x/y"), None) == Path("/x/y/a.yaml")
    with pytest.raises(OutsideRootError):
        resolve_named("/etc/passwd", None, "/srv")
    with pytest.raises(OutsideRootError):
        resolve_named("../etc/passwd", None, "/srv")
    assert resolve_named("ok/../a.yaml", None, "/srv") == Path("/srv/a.yaml").resolve()
