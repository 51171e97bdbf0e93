from pathlib import Path

import pytest

from site_builder.config import Settings, load_settings
from site_builder.errors import ContentError


def test_defaults_without_notes_toml(tmp_path: Path) -> None:
    assert load_settings(tmp_path) == Settings()
    assert load_settings(tmp_path).base_url is None


def test_reads_site_values_and_deploy_table(tmp_path: Path) -> None:
    (tmp_path / "notes.toml").write_text(
        'title = "Ops notes"\ndescription = "Things I learned"\nauthor = "Ada"\n'
        'base_url = "https://notes.example.com/"\n\n[deploy]\nbucket = "my-bucket"\n'
        'region = "eu-west-1"\n', "utf-8")
    s = load_settings(tmp_path)
    assert (s.title, s.description, s.author) == ("Ops notes", "Things I learned", "Ada")
    assert s.base_url == "https://notes.example.com"  # trailing slash dropped
    assert s.deploy == {"bucket": "my-bucket", "region": "eu-west-1"}


def test_malformed_toml_names_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "notes.toml").write_text('title = "ok"\nbase_url = \n', "utf-8")
    with pytest.raises(ContentError) as err:
        load_settings(tmp_path)
    assert str(err.value).startswith(f"{tmp_path / 'notes.toml'}:2: malformed TOML: ")
    assert "\n" not in str(err.value)


def test_wrong_type_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "notes.toml").write_text("title = 3\n", "utf-8")
    with pytest.raises(ContentError, match="'title' must be a string"):
        load_settings(tmp_path)
