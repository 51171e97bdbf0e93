"""What goes into the publish Lambda: the deploy engine and the handler, nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.lambda_code import HANDLER, REPO, lambda_files, stage_lambda_code
from site_builder.errors import DeployError


def test_files_from_the_repo() -> None:
    files = lambda_files()
    assert files["index.py"] == HANDLER
    assert files["site_builder/errors.py"] == REPO / "site_builder" / "errors.py"
    engine = sorted((REPO / "site_builder" / "deploy").glob("*.py"))
    assert engine, "the deploy engine has modules"
    for path in engine:
        assert files[f"site_builder/deploy/{path.name}"] == path
    extra = set(files) - {"index.py", "site_builder/__init__.py", "site_builder/errors.py"}
    assert all(k.startswith("site_builder/deploy/") for k in extra)


def test_stage_copies_bytes_and_skips_caches(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "site_builder" / "deploy" / "__pycache__").mkdir(parents=True)
    (repo / "site_builder" / "__init__.py").write_text("")
    (repo / "site_builder" / "errors.py").write_text("E = 1\n")
    (repo / "site_builder" / "build.py").write_text("import markdown\n")
    (repo / "site_builder" / "deploy" / "__init__.py").write_text("D = 1\n")
    (repo / "site_builder" / "deploy" / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"\0")
    out = stage_lambda_code(tmp_path / "out", repo)
    staged = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert staged == [
        "index.py",
        "site_builder/__init__.py",
        "site_builder/deploy/__init__.py",
        "site_builder/errors.py",
    ]
    assert (out / "index.py").read_bytes() == HANDLER.read_bytes()


def test_missing_engine_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "site_builder").mkdir()
    with pytest.raises(DeployError, match=r"the deploy engine is missing: .*__init__.py not found"):
        stage_lambda_code(tmp_path / "out", tmp_path)
    assert not (tmp_path / "out").exists()
