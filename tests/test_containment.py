"""Containment on real paths: content/, static/ and templates/ may be links, but nothing
outside the project (or a vault named on its own) and nothing hidden is ever published."""

import shutil
import subprocess
from pathlib import Path

import pytest

from site_builder.core.errors import ContentError
from site_builder.pipeline.build import build_site
from site_builder.pipeline.options import BuildOptions


def notes(folder: Path, files: dict[str, str] | None = None) -> Path:
    for rel, text in (files or {"a.md": "# A\n"}).items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return folder


def secrets(tmp_path: Path) -> Path:
    aws = tmp_path / "home" / ".aws"
    aws.mkdir(parents=True)
    (aws / "credentials").write_text("aws_secret_access_key = LEAKED\n")
    return aws


def build(project: Path, **opts) -> Path:
    out = project / "build" / "site"
    build_site(BuildOptions(project_dir=project, search=False, **opts))
    return out


def published(out: Path) -> str:
    return "".join(p.read_text(errors="replace") for p in out.rglob("*") if p.is_file())


def error(project: Path, **opts) -> str:
    with pytest.raises(ContentError) as exc:
        build(project, **opts)
    assert not (project / "build").exists()
    return str(exc.value)


def test_a_static_folder_that_is_a_link_out_of_the_project_is_refused(tmp_path: Path) -> None:
    aws = secrets(tmp_path)
    project = notes(tmp_path / "p" / "notes") / ".."
    project = project.resolve()
    notes(project / "content")
    (project / "static").symlink_to(Path("..") / "home" / ".aws")
    assert error(project) == (f"static: symlink to {aws} leads outside the project folder "
                              f"{project}: it is never published (name the folder with "
                              "--content, or copy the files in)")


def test_a_content_folder_that_is_a_link_out_of_the_project_is_refused(tmp_path: Path) -> None:
    aws = secrets(tmp_path)
    notes(aws, {"note.md": "# Secret\n"})
    project = tmp_path / "p"
    project.mkdir()
    (project / "content").symlink_to(aws)
    assert error(project) == (f"content: symlink to {aws} leads outside the project folder "
                              f"{project}: it is never published (name the folder with "
                              "--content, or copy the files in)")


def test_links_to_hidden_files_are_refused_inside_the_project_too(tmp_path: Path) -> None:
    project = tmp_path / "p"
    notes(project / "content", {"a.md": "# A\n", ".env": "TOKEN=LEAKED\n"})
    (project / "content" / "env.txt").symlink_to(".env")
    assert error(project) == (f"content/env.txt: symlink to {project}/content/.env lands on a "
                              "hidden file: it is never published")
    (project / "content" / "env.txt").unlink()
    (project / ".private").mkdir()
    (project / "static").symlink_to(".private")
    assert error(project) == (f"static: symlink to {project}/.private lands on a hidden file: "
                              "it is never published")


def test_links_that_stay_in_the_project_are_followed(tmp_path: Path) -> None:
    project = tmp_path / "p"
    notes(project / "notes-repo", {"a.md": "# A\n\n![p](pic.svg)\n", "pic.svg": "<svg/>"})
    notes(project / "assets", {"humans.txt": "We are people\n"})
    (project / "content").symlink_to("notes-repo")
    (project / "static").symlink_to("assets")
    out = build(project)
    assert (out / "a" / "index.html").is_file() and (out / "pic.svg").is_file()
    assert (out / "humans.txt").read_text() == "We are people\n"


@pytest.mark.parametrize("link", ["root", "parent"])
def test_a_project_reached_through_a_link_builds_and_still_guards_its_folders(
        tmp_path: Path, link: str) -> None:
    """root: the project folder is itself a link; parent: a folder above it is."""
    real = tmp_path / "real"
    notes(real / "proj" / "content")
    if link == "root":
        (tmp_path / "proj").symlink_to(real / "proj")
        project = tmp_path / "proj"
    else:
        (tmp_path / "via").symlink_to(real)
        project = tmp_path / "via" / "proj"
    assert (build(project) / "a" / "index.html").is_file()
    shutil.rmtree(real / "proj" / "build")
    aws = secrets(tmp_path)
    (real / "proj" / "static").symlink_to(aws)
    message = error(project)
    assert message.startswith(f"static: symlink to {aws} leads outside the project folder "
                              f"{real / 'proj'}:")


@pytest.mark.parametrize("make, message", [
    (lambda p: (p / "static").symlink_to("static"),
     "static: symlink loop (Too many levels of symbolic links)"),
    (lambda p: (p / "static").symlink_to("."),
     "refusing to build into {p}/build/site: it would replace the static folder"),
    (lambda p: (p / "static").symlink_to("nowhere"),
     "static: broken symlink to nowhere (No such file or directory)"),
    (lambda p: (p / "static").symlink_to("content/a.md"), "static: not a folder"),
    (lambda p: ((p / "static").mkdir(), (p / "static" / "up").symlink_to("..")),
     ("static/up: symlink to {p} points outside its folder: it is never published (copy the "
     "file in instead)")),
])
def test_symlink_loops_are_one_line_errors(tmp_path: Path, make, message: str) -> None:
    project = tmp_path / "p"
    notes(project / "content")
    make(project)
    assert error(project) == message.format(p=project)


def test_a_template_link_out_of_the_project_is_refused(tmp_path: Path) -> None:
    aws = secrets(tmp_path)
    project = tmp_path / "p"
    notes(project / "content")
    (project / "templates").mkdir()
    (project / "templates" / "page.html").symlink_to(aws / "credentials")
    assert error(project) == (f"templates/page.html: symlink to {aws}/credentials points "
                              "outside its folder: it is never published (copy the file in "
                              "instead)")


def test_a_vault_named_on_its_own_is_its_own_root(tmp_path: Path) -> None:
    """--content ~/vault (or a vault folder in notes.toml): the user named it, links in it
    are checked against it, wherever it is."""
    vault = notes(tmp_path / "vaults" / "mine", {"n.md": "# N\n"})
    (tmp_path / "link-to-vault").symlink_to(vault)
    project = tmp_path / "p"
    project.mkdir()
    out = build(project, content_dir=tmp_path / "link-to-vault")
    assert (out / "n" / "index.html").is_file()
    (vault / "key").symlink_to(secrets(tmp_path) / "credentials")
    with pytest.raises(ContentError, match="points outside its folder"):
        build(project, content_dir=tmp_path / "link-to-vault")


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_a_git_clone_carrying_links_publishes_nothing_private(tmp_path: Path) -> None:
    """Git keeps links as links: a cloned notes repository (or a pull request built by CI)
    brings them along, pointing wherever their author liked."""
    secrets(tmp_path)
    origin = tmp_path / "origin"
    notes(origin / "content", {"a.md": "# A\n", ".env": "TOKEN=LEAKED\n"})
    (origin / "static").symlink_to(Path("..") / "home" / ".aws")
    git = ["git", "-c", "user.email=t@example.com", "-c", "user.name=t"]
    subprocess.run([*git, "init", "-q", str(origin)], check=True)
    subprocess.run([*git, "-C", str(origin), "add", "-A", "-f"], check=True)
    subprocess.run([*git, "-C", str(origin), "commit", "-qm", "notes"], check=True)
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(origin), str(clone)], check=True)
    assert (clone / "static").is_symlink()
    assert error(clone).startswith("static: symlink to ")
    (clone / "static").unlink()
    (clone / "content" / "env.txt").symlink_to(".env")
    assert error(clone).endswith("lands on a hidden file: it is never published")
    (clone / "content" / "env.txt").unlink()
    assert "LEAKED" not in published(build(clone))


def test_a_vault_named_in_notes_toml_is_its_own_root(tmp_path: Path) -> None:
    """notes.toml's ``content`` (``notes init --vault``): links in the vault stay in it."""
    vault = notes(tmp_path / "Vault", {"n.md": "# N\n", ".obsidian/app.json": "{}"})
    (tmp_path / "vault-link").symlink_to(vault)
    project = tmp_path / "p"
    project.mkdir()
    (project / "notes.toml").write_text(f'content = "{tmp_path / "vault-link"}"\n')
    assert (build(project) / "n" / "index.html").is_file()
    shutil.rmtree(project / "build")
    (vault / "creds.txt").symlink_to(secrets(tmp_path) / "credentials")
    assert error(project).startswith(f"{tmp_path / 'vault-link'}/creds.txt: symlink to ")
