import subprocess
import sys
from pathlib import Path

import pytest

from site_builder.cli import main

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "content").mkdir()
    (tmp_path / "content" / "a.md").write_text("---\ntitle: A\n---\nHello [[B]].\n")
    (tmp_path / "content" / "b.md").write_text("---\ntitle: B\ndraft: true\n---\nWIP\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_build_reports_broken_link_and_exits_1(project: Path, capsys) -> None:
    assert main(["build", "--no-search"]) == 1
    err = capsys.readouterr().err
    assert err == ("Error: content/a.md:4: broken link to 'B' "
                   "(it is a draft; build with --drafts to include it)\n")
    assert not (project / "build").exists()


def test_build_with_drafts_succeeds(project: Path, capsys) -> None:
    assert main(["build", "--no-search", "--drafts"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("Built ") and out.rstrip().endswith("into build/site/")
    assert err == "Warning: base_url should be set in notes.toml: feed.xml and sitemap.xml use " \
                  "root-relative URLs until it is\n"
    assert (project / "build/site/b/index.html").is_file()


def test_allow_broken_links_prints_warnings(project: Path, capsys) -> None:
    out_dir = project / "public"
    assert main(["build", "--no-search", "--allow-broken-links", "--out", str(out_dir)]) == 0
    err = capsys.readouterr().err
    assert err.splitlines()[0] == ("Warning: content/a.md:4: broken link to 'B' "
                                   "(it is a draft; build with --drafts to include it)")
    assert (out_dir / "a/index.html").is_file() and not (out_dir / "b").exists()


def test_content_option_and_no_traceback_in_subprocess(tmp_path: Path) -> None:
    notes = tmp_path / "mynotes"
    notes.mkdir()
    (notes / "x.md").write_text("---\ndate: 2024-02-30\n---\n")
    proc = subprocess.run([sys.executable, "-m", "site_builder", "build", "--content", "mynotes",
                           "--no-search"], cwd=tmp_path, capture_output=True, text=True, check=False,
                          env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 1
    assert proc.stderr == "Error: mynotes/x.md:2: date '2024-02-30' does not parse (use YYYY-MM-DD)\n"


def test_no_cache_and_jobs_flags(project: Path, capsys) -> None:
    (project / "content" / "b.md").write_text("---\ntitle: B\n---\nDone.\n")
    assert main(["build", "--no-search", "--jobs", "2"]) == 0
    site = project / "build" / "site"
    first = {p: p.read_bytes() for p in site.rglob("*") if p.is_file()}
    assert (project / ".notes-cache" / "state.bin").is_file()
    assert main(["build", "--no-search", "--no-cache", "--jobs", "1"]) == 0
    assert {p: p.read_bytes() for p in site.rglob("*") if p.is_file()} == first
    capsys.readouterr()
    with pytest.raises(SystemExit) as exc:
        main(["build", "--jobs", "0"])
    assert exc.value.code == 2
    assert "argument --jobs: expected a whole number of at least 1, got '0'" in \
        capsys.readouterr().err
