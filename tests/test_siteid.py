"""A site id per project: another project's site in the bucket is not replaced unless
--adopt (issue 27).  Two projects made by `notes init`, one bucket."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from site_builder.cli import main
from site_builder.cli.init import init_project
from site_builder.core.config import load_settings
from site_builder.core.errors import ContentError
from site_builder.deploy import history, publish
from site_builder.deploy.record import DeployRecord
from site_builder.deploy.siteid import check_site, new_site_id, record_site


def deploy(capsys, monkeypatch, project: Path, bucket: str, *flags: str) -> tuple[int, str]:
    monkeypatch.chdir(project)
    code = main(["deploy", "--bucket", bucket, "--no-search", *flags])
    return code, capsys.readouterr().err


def make(tmp_path: Path, name: str, note: str) -> tuple[Path, str]:
    project = tmp_path / name
    init_project(project)
    (project / "content" / "only.md").write_text(f"# {note}\n")
    with open(project / "notes.toml", "r+") as fh:  # base_url at the top (no warning line)
        text = fh.read()
        fh.seek(0)
        fh.write('base_url = "https://notes.example.com"\n' + text)
    return project, load_settings(project).site_id


def test_two_projects_on_one_bucket(s3, bucket, tmp_path, capsys, monkeypatch) -> None:
    first, first_id = make(tmp_path, "field-notes", "Mine")
    second, second_id = make(tmp_path, "field-notes-2", "Theirs")
    assert re.fullmatch(r"field-notes-[0-9a-f]{8}", first_id) and first_id != second_id
    assert deploy(capsys, monkeypatch, first, bucket) == (0, "")
    mine = history(s3, bucket)[0]
    assert mine.site_id == first_id
    code, err = deploy(capsys, monkeypatch, second, bucket)
    assert (code, err) == (1, (
        f"Error: bucket '{bucket}' serves site '{first_id}' (deploy {mine.id}), and this "
        f"project's site_id in notes.toml is '{second_id}' (check that it is the right "
        f"bucket; if this project is that site, set site_id = \"{first_id}\" in notes.toml; "
        "to replace that site with this one, pass --adopt)\n"))
    assert [r.id for r in history(s3, bucket)] == [mine.id]  # nothing written
    assert b"Mine" in s3.get_object(Bucket=bucket, Key="only/index.html")["Body"].read()
    assert deploy(capsys, monkeypatch, second, bucket, "--adopt", "--allow-mass-delete")[0] == 0
    assert history(s3, bucket)[0].site_id == second_id
    assert deploy(capsys, monkeypatch, first, bucket)[0] == 1  # now the first one is refused


def test_a_project_without_a_site_id_neither_checks_nor_drops_the_claim(s3, bucket, tmp_path,
                                                                        capsys,
                                                                        monkeypatch) -> None:
    named, site_id = make(tmp_path, "named", "Named")
    assert deploy(capsys, monkeypatch, named, bucket)[0] == 0
    older = tmp_path / "older"
    (older / "content").mkdir(parents=True)
    (older / "content" / "only.md").write_text("# Older\n")
    (older / "notes.toml").write_text('base_url = "https://old.example.com"\n')
    assert deploy(capsys, monkeypatch, older, bucket)[0] == 0
    assert history(s3, bucket)[0].site_id == site_id  # kept for the project that has one
    assert deploy(capsys, monkeypatch, named, bucket)[0] == 0


def test_an_unnamed_bucket_is_claimed_by_its_first_named_deploy(s3, bucket, tmp_path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("<p>hi</p>")
    first = publish(s3, bucket, site).record
    assert first.site_id is None
    claimed = publish(s3, bucket, site, site_id="mine-0001")  # nothing to upload: a record
    assert claimed.record is not None and claimed.record.site_id == "mine-0001"
    assert publish(s3, bucket, site, site_id="mine-0001").record is None  # a real no-op


def test_the_rules_of_check_site() -> None:
    record = DeployRecord("20260101-000000-000000-abcd", "t", "deploy", "cli", "", None, {},
                          site_id="a")
    unnamed = DeployRecord(**{**record.__dict__, "site_id": None})
    for parent, site_id, adopt in ((None, "b", False), (unnamed, "b", False),
                                   (record, "a", False), (record, None, False),
                                   (record, "b", True)):
        check_site(parent, site_id, "bkt", adopt)  # allowed
    with pytest.raises(Exception, match="serves site 'a'"):
        check_site(record, "b", "bkt", False)
    assert [record_site(record, None), record_site(record, "b"), record_site(None, None)] == [
        "a", "b", None]
    assert re.fullmatch(r"notes-[0-9a-f]{8}", new_site_id("!!!"))


def test_a_malformed_site_id_is_a_one_line_error(tmp_path: Path) -> None:
    (tmp_path / "notes.toml").write_text('title = "T"\nsite_id = "has spaces"\n')
    with pytest.raises(ContentError) as exc:
        load_settings(tmp_path)
    assert str(exc.value) == ("notes.toml:2: site_id must be letters, digits, '.', '_' and '-' "
                              "(at most 64), not 'has spaces'")
