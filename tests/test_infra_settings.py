"""Stack settings from CDK context: cdk.json types and `-c key=value` strings alike."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from infra.settings import StackSettings, settings_from_context
from site_builder.errors import DeployError, NotesError

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
