"""Stack settings from CDK context: cdk.json types and `-c key=value` strings alike."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from infra.settings import StackSettings, settings_from_context
from site_builder.core.errors import DeployError, NotesError

REPO_CDK_JSON = Path(__file__).resolve().parents[1] / "cdk.json"


def _from(values: dict) -> StackSettings:
    return settings_from_context(values.get)


def test_defaults_without_context() -> None:
    assert _from({}) == StackSettings("NotesSite", 365, True, False)


def test_cdk_json_defaults_match() -> None:
    context = json.loads(REPO_CDK_JSON.read_text())["context"]
    assert _from(context) == StackSettings("NotesSite", 365, True, False)


def test_command_line_strings() -> None:
    got = _from(
        {
            "stackName": "MyNotes",
            "noncurrentVersionDays": "0",
            "retain": "false",
            "allowMassDelete": "TRUE",
        }
    )
    assert got == StackSettings("MyNotes", 0, False, True)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (
            {"retain": "maybe"},
            "context retain='maybe' is not a boolean (use -c retain=true or -c retain=false)",
        ),
        (
            {"noncurrentVersionDays": "-1"},
            (
                "context noncurrentVersionDays='-1' is not a number "
                "of days (use a whole number >= 0, e.g. -c noncurrentVersionDays=365 (0 keeps old "
                "versions forever))"
            ),
        ),
        ({"noncurrentVersionDays": "a year"}, "context noncurrentVersionDays='a year' is not"),
        ({"noncurrentVersionDays": True}, "context noncurrentVersionDays=True is not"),
        ({"stackName": " "}, "context stackName is empty (use -c stackName=NotesSite)"),
    ],
)
def test_bad_values_are_one_line_errors(values: dict, message: str) -> None:
    with pytest.raises(DeployError) as err:
        _from(values)
    assert isinstance(err.value, NotesError)
    assert str(err.value).startswith(message)
    assert "\n" not in str(err.value)


def test_cdk_json_has_no_watch() -> None:
    """`cdk watch` hotswaps code only: it skips the publish custom resource and IAM changes
    without a word, so it would publish nothing.  The local loop is `notes serve` (docs/content/local/serve.md)."""
    config = json.loads(REPO_CDK_JSON.read_text())
    assert "watch" not in config
    assert not {"hotswap", "hotswapFallback"} & set(config)


@pytest.mark.cdk
def test_cdk_watch_refuses_to_start() -> None:
    """With the pinned CLI, `cdk watch` stops at once instead of watching and doing nothing."""
    import os
    import shutil
    import subprocess

    repo = REPO_CDK_JSON.parent
    if not (repo / "node_modules" / ".bin" / "cdk").exists() or shutil.which("npx") is None:
        pytest.skip("the pinned CDK CLI is not installed (make node)")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_EC2_METADATA_DISABLED="true", CDK_DISABLE_CLI_TELEMETRY="true",
               AWS_REGION="us-east-1")
    done = subprocess.run(["npx", "cdk", "watch"], cwd=repo, env=env, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 1
    assert "without specifying at least one directory to monitor" in done.stderr + done.stdout
