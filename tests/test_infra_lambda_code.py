"""What goes into the publish Lambda: the deploy engine, the handler and the SDK, nothing else."""

from __future__ import annotations

import importlib.metadata
import re
from email.parser import Parser
from pathlib import Path

import pytest

from infra.lambda_code import (
    HANDLER,
    REPO,
    SDK_DISTRIBUTIONS,
    lambda_files,
    sdk_files,
    stage_lambda_code,
)
from infra.sdk_pins import read_pins
from site_builder.core.errors import DeployError


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _closure(root: str) -> set[str]:
    """``root`` and everything it requires (no extras), from the installed metadata."""
    seen, todo = set(), [root]
    while todo:
        name = _canonical(todo.pop())
        if name in seen:
            continue
        seen.add(name)
        for req in importlib.metadata.requires(name) or ():
            if "extra ==" in req:
                continue
            todo.append(re.match(r"[A-Za-z0-9._-]+", req).group(0))
    return seen


def test_sdk_distributions_are_boto3_and_its_dependencies() -> None:
    assert {_canonical(n) for n in SDK_DISTRIBUTIONS} == _closure("boto3")


def test_staged_sdk_is_this_environments(tmp_path: Path) -> None:
    """Same versions and bytes as installed here; botocore's models cut to S3; no bytecode."""
    out = stage_lambda_code(tmp_path / "out")
    staged = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    for name in SDK_DISTRIBUTIONS:
        version = importlib.metadata.version(name)
        (meta,) = out.glob(f"{_canonical(name).replace('-', '_')}-{version}.dist-info/METADATA")
        assert Parser().parsestr(meta.read_text())["Version"] == version
    import botocore

    installed = Path(botocore.__file__).parent
    assert (out / "botocore" / "__init__.py").read_bytes() == (
        installed / "__init__.py").read_bytes()
    services = {p.split("/")[2] for p in staged
                if p.startswith("botocore/data/") and p.count("/") > 2}
    assert services == {"s3", "cloudfront"}  # the two clients the handler makes
    assert any(p.startswith("botocore/data/s3/") and "service-2.json" in p for p in staged)
    assert {"boto3/__init__.py", "s3transfer/__init__.py", "jmespath/__init__.py",
            "dateutil/parser/__init__.py", "six.py", "urllib3/__init__.py"} <= staged
    assert not [p for p in staged if p.endswith(".pyc") or "__pycache__" in p]
    assert not [p for p in staged if p.endswith(("RECORD", "INSTALLER", "direct_url.json"))]
    size = sum((out / p).stat().st_size for p in staged)
    assert size < 20 * 2**20  # Lambda's limit is 250 MB unzipped; all of botocore is ~30 MB


def test_sdk_files_map_installed_files() -> None:
    files = sdk_files()
    import boto3

    assert files["boto3/__init__.py"] == Path(boto3.__file__)
    assert all(not k.startswith("..") for k in files)


def test_files_from_the_repo() -> None:
    files = lambda_files()
    assert files["index.py"] == HANDLER
    assert files["site_builder/core/errors.py"] == REPO / "site_builder" / "core" / "errors.py"
    engine = sorted((REPO / "site_builder" / "deploy").glob("*.py"))
    assert engine, "the deploy engine has modules"
    for path in engine:
        assert files[f"site_builder/deploy/{path.name}"] == path
    # Beyond the engine, only what it imports from the bottom layer (never the builder).
    extra = set(files) - {"index.py", "site_builder/__init__.py"}
    assert all(k.startswith(("site_builder/deploy/", "site_builder/core/")) for k in extra)
    assert "site_builder/core/config.py" not in files  # core, but the engine never imports it


def test_stage_copies_bytes_and_skips_caches(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "site_builder" / "deploy" / "__pycache__").mkdir(parents=True)
    (repo / "site_builder" / "core").mkdir()
    (repo / "site_builder" / "__init__.py").write_text("")
    (repo / "site_builder" / "core" / "__init__.py").write_text("")
    (repo / "site_builder" / "core" / "errors.py").write_text("E = 1\n")
    (repo / "site_builder" / "core" / "config.py").write_text("import tomllib\n")
    (repo / "site_builder" / "build.py").write_text("import markdown\n")
    (repo / "site_builder" / "deploy" / "__init__.py").write_text(
        "from site_builder.core.errors import E\n\n\ndef later():\n"
        "    from site_builder.deploy import plan\n")
    (repo / "site_builder" / "deploy" / "plan.py").write_text("P = 1\n")
    (repo / "site_builder" / "deploy" / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"\0")
    out = stage_lambda_code(tmp_path / "out", repo, sdk=False)
    staged = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert staged == [  # the handler's and the engine's imports, never the builder's modules
        "index.py",
        "site_builder/__init__.py",
        "site_builder/core/__init__.py",
        "site_builder/core/errors.py",
        "site_builder/deploy/__init__.py",
        "site_builder/deploy/plan.py",
    ]
    assert (out / "index.py").read_bytes() == HANDLER.read_bytes()


def test_missing_engine_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "site_builder").mkdir()
    with pytest.raises(DeployError, match=r"the deploy engine is missing: .*__init__.py not found"):
        stage_lambda_code(tmp_path / "out", tmp_path)
    assert not (tmp_path / "out").exists()


# --- the pinned SDK (infra/lambda-sdk.txt) ---------------------------------------------------


def test_pins_are_the_sdk_distributions_and_the_cdk_extra() -> None:
    """One list, three places: the pins file, the bundled distributions and the `cdk` extra
    (which installs exactly them), so a synth environment has the pinned SDK."""
    import tomllib

    pins = read_pins()
    assert {_canonical(n) for n in pins} == {_canonical(n) for n in SDK_DISTRIBUTIONS}
    extra = tomllib.loads((REPO / "pyproject.toml").read_text())["project"][
        "optional-dependencies"]["cdk"]
    pinned = {_canonical(d.split("==")[0]): d.split("==")[1] for d in extra if "==" in d}
    assert pinned == {_canonical(n): v for n, v in pins.items()}
    for name, version in pins.items():  # this environment is a synth environment
        assert importlib.metadata.version(name) == version


def test_a_different_sdk_stops_the_staging_in_one_line(tmp_path: Path, monkeypatch) -> None:
    from infra import lambda_code

    wrong = {**read_pins(), "botocore": "1.35.69", "jmespath": "0.9.0"}
    monkeypatch.setattr(lambda_code, "read_pins", lambda: wrong)
    with pytest.raises(DeployError) as err:
        stage_lambda_code(tmp_path / "out")
    have = importlib.metadata.version("botocore")
    assert str(err.value) == (
        "the publish Lambda bundles the AWS SDK pinned in infra/lambda-sdk.txt, but this "
        f"environment has botocore {have} (pinned 1.35.69), jmespath "
        f"{importlib.metadata.version('jmespath')} (pinned 0.9.0) (install the pins: "
        "`make install-cdk`, or pip install 'notes-publisher[cdk]')")
    assert not (tmp_path / "out").exists()


def test_a_pins_file_line_that_is_not_exact_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "pins.txt"
    bad.write_text("# comment\nboto3==1.44.18\nbotocore>=1.35\n")
    with pytest.raises(DeployError, match=r"pins.txt:3: 'botocore>=1.35' is not an exact pin"):
        read_pins(bad)
