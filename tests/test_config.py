from pathlib import Path

import pytest

from site_builder.core.config import Settings, load_settings
from site_builder.core.errors import ContentError


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
    assert str(err.value).startswith("notes.toml:2: malformed TOML: ")
    assert "\n" not in str(err.value)


def test_wrong_type_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "notes.toml").write_text("title = 3\n", "utf-8")
    with pytest.raises(ContentError, match="'title' must be a string"):
        load_settings(tmp_path)


def _write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "notes.toml").write_text(text, "utf-8")
    return Path("notes.toml")  # messages name it relative to the project


def test_unknown_keys_are_warnings_with_a_did_you_mean(tmp_path: Path) -> None:
    path = _write(tmp_path, 'titel = "A"\nbase_ulr = "https://x.example"\ncolour = "red"\n\n'
                            '[deploy]\nbuckett = "b"\nregion = "eu-west-1"\n\n[markdwn]\n')
    s = load_settings(tmp_path)
    assert s.warnings == (
        f"{path}:1: unknown key 'titel' (did you mean 'title'?)",
        f"{path}:2: unknown key 'base_ulr' (did you mean 'base_url'?)",
        (f"{path}:3: unknown key 'colour' (known keys: title, description, author, base_url, "
         "site_id, content, deploy, markdown, links)"),
        f"{path}:9: unknown key 'markdwn' (did you mean 'markdown'?)",
        f"{path}:6: unknown key '[deploy] buckett' (did you mean 'bucket'?)",
    )
    assert (s.title, s.base_url, s.deploy) == ("Notes", None, {"buckett": "b",
                                                               "region": "eu-west-1"})


def test_known_keys_give_no_warning(tmp_path: Path) -> None:
    _write(tmp_path, 'title = "A"\ndescription = "B"\nauthor = "C"\nbase_url = "http://x.y"\n'
                     '[deploy]\nbucket = "b"\nstack = "s"\nregion = "r"\nendpoint_url = "e"\n'
                     'site = "build/site"\n[markdown]\nraw_html = "escape"\n')
    s = load_settings(tmp_path)
    assert s.warnings == () and s.raw_html == "escape"


@pytest.mark.parametrize("value", ["notes.example.com", "ftp://notes.example.com", "https://",
                                   "//notes.example.com", "https://notes .example.com"])
def test_base_url_needs_a_scheme_and_a_host(tmp_path: Path, value: str) -> None:
    path = _write(tmp_path, f'title = "A"\nbase_url = "{value}"\n')
    with pytest.raises(ContentError) as err:
        load_settings(tmp_path)
    assert str(err.value) == (f"{path}:2: base_url must start with http:// or https:// and a "
                              f"host, not '{value}' (e.g. base_url = "
                              '"https://notes.example.com")')


@pytest.mark.parametrize("value", ["HTTPS://Notes.Example.com/", "http://localhost:8000/sub/"])
def test_base_url_with_a_scheme_is_kept_without_its_trailing_slash(tmp_path: Path,
                                                                   value: str) -> None:
    _write(tmp_path, f'base_url = "{value}"\n')
    assert load_settings(tmp_path).base_url == value.rstrip("/")


def test_raw_html_mode_must_be_known(tmp_path: Path) -> None:
    path = _write(tmp_path, '[markdown]\nraw_html = "strip"\n')
    with pytest.raises(ContentError) as err:
        load_settings(tmp_path)
    assert str(err.value) == (f"{path}:2: [markdown] raw_html must be \"keep\" or \"escape\", "
                              "not 'strip'")


def test_every_deploy_flag_default_is_a_known_notes_toml_key() -> None:
    """`notes deploy` reads these from [deploy]: none of them may be warned about."""
    from site_builder.cli.connect import FLAG_DEFAULTS
    from site_builder.core.config import KNOWN_KEYS

    assert set(FLAG_DEFAULTS) <= set(KNOWN_KEYS["deploy"])


def test_content_folder_may_be_anywhere_and_links_may_warn(tmp_path: Path) -> None:
    """An Obsidian vault is read where it is: ``content`` may be absolute, ``~/...`` or
    relative to the project (issue 25)."""
    from site_builder.core.config import content_folder

    assert content_folder(tmp_path) == tmp_path / "content"
    _write(tmp_path, 'content = "~/Notes vault"\n[links]\nunresolved = "warn"\n')
    assert content_folder(tmp_path) == Path.home() / "Notes vault"
    assert load_settings(tmp_path).unresolved == "warn"
    _write(tmp_path, f'content = "{tmp_path / "v"}"\n')
    assert content_folder(tmp_path) == tmp_path / "v"
    path = _write(tmp_path, '[links]\nunresolved = "ignore"\n')
    with pytest.raises(ContentError) as exc:
        load_settings(tmp_path)
    assert str(exc.value) == (f"{path}:2: [links] unresolved must be \"error\" or \"warn\", "
                              "not 'ignore'")
