"""A generated corpus (../shared/bench/gen_corpus.py: links with anchors, wiki links, drafts,
images) builds cleanly, identically in parallel and serially, and incrementally."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from site_builder.deploy.manifest import OUTPUT_MARKER
from site_builder.pipeline.build import BASE_URL_WARNING, build_site
from site_builder.pipeline.options import BuildOptions

GEN = Path(__file__).resolve().parents[2] / "shared" / "bench" / "gen_corpus.py"
NOTES = 240

pytestmark = pytest.mark.skipif(not GEN.is_file(), reason=f"{GEN} is not beside the checkout")


def tree(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*")
            if p.is_file() and p.name != OUTPUT_MARKER}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = tmp_path_factory.mktemp("corpus")
    subprocess.run([sys.executable, str(GEN), str(project / "content"), str(NOTES)], check=True,
                   stdout=subprocess.DEVNULL)
    return project


def test_generated_corpus_builds_the_same_in_parallel_serially_and_from_the_cache(
        corpus: Path, tmp_path: Path) -> None:
    project = tmp_path / "p"
    shutil.copytree(corpus, project)
    parallel = build_site(BuildOptions(project_dir=project, search=False, jobs=2))
    assert parallel.warnings == (BASE_URL_WARNING,)  # every generated link resolves
    drafts = sum("draft: true" in p.read_text() for p in (project / "content").rglob("*.md"))
    assert len(parallel.rendered) == NOTES - drafts
    other = tmp_path / "q"  # a copy, so this build does not repoint p's cache at its output
    shutil.copytree(corpus, other)
    serial = build_site(BuildOptions(project_dir=other, search=False, jobs=1, cache=False))
    assert tree(serial.out_dir) == tree(parallel.out_dir)
    assert serial.pages == parallel.pages

    note = min((project / "content").rglob("note-7.md"))
    note.write_text(note.read_text() + "\nOne more paragraph.\n")
    edit = build_site(BuildOptions(project_dir=project, search=False, jobs=2))
    assert edit.rendered == (note.relative_to(project).as_posix(),)
    assert f"{note.parent.relative_to(project / 'content').as_posix()}/note-7/index.html" \
        in edit.written
    assert len(edit.made) < 10
