"""`notes init DIR`: a new project that builds as it is, a CDK app that synthesizes this
package's stack for it, and a one-line refusal to touch a folder that is not empty."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from test_links import Anchors

from site_builder.cli import main
from site_builder.cli.init import CDK_CLI_VERSION, init_project, stack_name
from site_builder.core.errors import NotesError

REPO = Path(__file__).resolve().parents[1]
CDK_BIN = REPO / "node_modules" / ".bin" / "cdk"


def test_init_then_build(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["init", "my-notes"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Created a notes project in my-notes/:")
    project = tmp_path / "my-notes"
    files = sorted(p.relative_to(project).as_posix() for p in project.rglob("*") if p.is_file())
    assert files == [".github/workflows/publish.yml", ".gitignore", "app.py", "cdk.json",
                     "content/guides/_index.md", "content/guides/writing-notes.md",
                     "content/welcome.md", "notes.toml", "package.json", "requirements.txt"]
    assert json.loads((project / "cdk.json").read_text())["context"]["stackName"] == (
        "MyNotesSite")
    assert 'stack = "MyNotesSite"' in (project / "notes.toml").read_text()

    monkeypatch.chdir(project)
    assert main(["build", "--no-search"]) == 0
    site = project / "build" / "site"
    html = (site / "welcome" / "index.html").read_text()
    assert "<title>Welcome" in html
    links = {attrs["href"]: text for attrs, text in Anchors(html, body_only=True).links}
    assert links == {"/guides/writing-notes/": "Writing notes", "/guides/": "the guides section"}
    assert "<title>Guides" in (site / "guides" / "index.html").read_text()
    assert main(["build"]) == 0  # with the search index too
    assert (site / "pagefind").is_dir()


@pytest.mark.parametrize("existing", ["a file", "a folder with a file"])
def test_init_refuses_a_folder_that_is_not_empty(tmp_path, monkeypatch, capsys,
                                                 existing) -> None:
    monkeypatch.chdir(tmp_path)
    if existing == "a file":
        Path("notes").write_text("x")
        message = "Error: notes exists and is not a folder (notes init makes a new folder)\n"
    else:
        Path("notes").mkdir()
        Path("notes/keep.md").write_text("mine")
        message = ("Error: notes is not empty (notes init only fills a new or empty folder; "
                   "pick another name)\n")
    assert main(["init", "notes"]) == 1
    assert capsys.readouterr() == ("", message)
    assert sorted(p.name for p in tmp_path.rglob("*")) == (
        ["notes"] if existing == "a file" else ["keep.md", "notes"])


def test_init_fills_an_empty_folder(tmp_path, monkeypatch) -> None:
    (tmp_path / "empty").mkdir()
    monkeypatch.chdir(tmp_path)
    assert main(["init", "empty"]) == 0
    assert (tmp_path / "empty" / "content" / "welcome.md").is_file()


def test_stack_names_and_the_pinned_cdk_cli() -> None:
    assert stack_name(Path("/x/my-notes")) == "MyNotesSite"
    assert stack_name(Path("/x/2024 notes")) == "Notes2024NotesSite"
    assert stack_name(Path("/x/___")) == "NotesSite"
    pinned = json.loads((REPO / "package.json").read_text())["devDependencies"]["aws-cdk"]
    assert CDK_CLI_VERSION == pinned


@pytest.mark.cdk
def test_the_generated_cdk_app_synthesizes(tmp_path, monkeypatch) -> None:
    if not CDK_BIN.exists() or shutil.which("node") is None:
        if os.environ.get("CI"):
            pytest.fail("node_modules/.bin/cdk is missing: `make test` runs `npm ci` first")
        pytest.skip("the pinned CDK CLI is not installed (make node)")
    monkeypatch.chdir(tmp_path)
    assert main(["init", "blog"]) == 0
    project = tmp_path / "blog"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "CDK_"))}
    env.update(AWS_EC2_METADATA_DISABLED="true", CDK_DISABLE_CLI_TELEMETRY="true",
               AWS_REGION="us-east-1", JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="20")
    done = subprocess.run([str(CDK_BIN), "synth", "--quiet", "-o", "cdk.out"], cwd=project,
                          env=env, capture_output=True, text=True, timeout=280, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    template = json.loads((project / "cdk.out" / "BlogSite.template.json").read_text())
    publish = next(r for r in template["Resources"].values()
                   if r["Type"] == "Custom::NotesSitePublish")
    asset = project / "cdk.out" / f"asset.{publish['Properties']['AssetHash']}"
    assert (asset / "welcome" / "index.html").is_file()
    assert (asset / "guides" / "writing-notes" / "index.html").is_file()
    assert (project / "build" / "lambda" / "index.py").is_file()


def test_init_vault_writes_its_folder_into_notes_toml_and_copies_nothing(tmp_path: Path) -> None:
    """``notes init --vault PATH``: the project reads the vault where it is (issue 25)."""
    import tomllib

    vault = tmp_path / "My Vault"
    (vault / ".obsidian").mkdir(parents=True)
    (vault / "Note.md").write_text("[[Missing]]\n")
    init_project(tmp_path / "site", vault=vault)
    settings = tomllib.loads((tmp_path / "site" / "notes.toml").read_text())
    assert settings["content"] == str(vault.resolve())
    assert settings["links"] == {"unresolved": "warn"}
    assert sorted(p.name for p in (tmp_path / "site").iterdir()) == [
        ".github", ".gitignore", "app.py", "cdk.json", "notes.toml", "package.json",
        "requirements.txt"]
    with pytest.raises(NotesError, match="is not a folder"):
        init_project(tmp_path / "other", vault=tmp_path / "nowhere")
