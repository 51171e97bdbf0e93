"""`notes rollback` shows what it will restore before it restores it, and in a terminal asks
first (`--yes` skips the question; no question when stdin is not a terminal)."""

from __future__ import annotations

import io
import sys

import pytest

from site_builder.cli import main
from site_builder.deploy import history


class Keyboard(io.StringIO):
    """stdin as a terminal with a person typing ``answer``."""

    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("answer", ["n\n", "\n", ""])
def test_a_terminal_is_asked_and_no_changes_nothing(two_deploys, s3, bucket, capsys,
                                                    monkeypatch, answer) -> None:
    v2, v1 = two_deploys
    monkeypatch.setattr(sys, "stdin", Keyboard(answer))
    assert main(["rollback", "--bucket", bucket]) == 1
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert lines[0].startswith(f"Rolling back to {v1.id} (deploy of ")
    assert lines[1] == "4 to upload, 1 to delete, 11 unchanged"
    assert "  delete  git/rebase/index.html" in lines
    assert lines[-1] == "Cancelled: nothing was changed."
    assert err == f"Roll back bucket {bucket} to {v1.id}? [y/N] "
    assert [r.id for r in history(s3, bucket)] == [v2.id, v1.id]


def test_a_terminal_that_says_yes_rolls_back(two_deploys, s3, bucket, capsys,
                                             monkeypatch) -> None:
    _, v1 = two_deploys
    monkeypatch.setattr(sys, "stdin", Keyboard("y\n"))
    assert main(["rollback", "--bucket", bucket]) == 0
    out, err = capsys.readouterr()
    back = history(s3, bucket)[0]
    assert back.kind == "rollback" and back.target == v1.id
    assert out.splitlines()[-1] == f"Rolled back: new record {back.id}."
    assert out.index("4 to upload") < out.index("Rolled back")  # the plan came first
    assert err.endswith("[y/N] ")


def test_yes_flag_and_non_terminals_are_not_asked(two_deploys, s3, bucket, capsys,
                                                  monkeypatch) -> None:
    monkeypatch.setattr(sys, "stdin", Keyboard(""))  # would cancel if asked
    assert main(["rollback", "--bucket", bucket, "--yes"]) == 0
    assert capsys.readouterr().err == ""
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))  # a pipe: not a terminal
    assert main(["rollback", "--bucket", bucket, "--to", two_deploys[0].id]) == 0
    out, err = capsys.readouterr()
    assert err == "" and out.splitlines()[-1].startswith("Rolled back: new record ")
    assert [r.kind for r in history(s3, bucket)] == ["rollback", "rollback", "deploy", "deploy"]
