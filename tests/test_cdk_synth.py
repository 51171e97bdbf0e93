"""`npx cdk synth` with the pinned CLI, offline, on a temporary notes project; then cfn-lint.

One full synth per module (jsii + Node are slow).  The app applies cdk-nag's AwsSolutions pack
as a validation plugin: an unacknowledged finding makes the synth itself fail, so a passing
synth is the "no unsuppressed errors" check (tests/test_infra_stack.py shows the pack is live).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from cdkapp import NOTES, REPO, SETTINGS, cdk_env, make_project, run_synth

pytestmark = pytest.mark.cdk


@pytest.fixture(scope="module")
def synth(cdk_synth) -> tuple[subprocess.CompletedProcess, Path]:
    done = cdk_synth()
    return done.done, done.out


@pytest.fixture(scope="module")
def edited(tmp_path_factory: pytest.TempPathFactory, synth) -> tuple[subprocess.CompletedProcess, Path]:
    """The same project with one note edited: the next `cdk deploy` of a notes author."""
    tmp = tmp_path_factory.mktemp("synth-edited")
    text = NOTES["docker/volumes.md"].replace("containers.", "containers, and images.")
    project = make_project(tmp / "project", {**NOTES, "docker/volumes.md": text})
    out = tmp / "cdk.out"
    return run_synth(project, out), out


@pytest.fixture(scope="module")
def synth_https(cdk_synth) -> tuple[subprocess.CompletedProcess, Path]:
    """The same app with the CloudFront distribution (infra/cdn.py) switched on."""
    done = cdk_synth("https=true")
    return done.done, done.out


def _template(out: Path) -> dict:
    return json.loads((out / "NotesSite.template.json").read_text())


def test_synth_succeeds_with_the_pinned_cli(synth) -> None:
    done, out = synth
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Built " in done.stderr and " pages " in done.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert "NotesSite" in manifest["artifacts"]
    assert "Synthesis finished with errors" not in done.stderr
    assert "AwsSolutions" not in done.stderr  # no unacknowledged cdk-nag finding


def test_synthesized_template_is_the_stack(synth) -> None:
    done, out = synth
    assert done.returncode == 0, done.stderr
    t = _template(out)
    types = sorted(v["Type"] for v in t["Resources"].values())
    assert types.count("AWS::S3::Bucket") == 1
    assert types.count("Custom::NotesSitePublish") == 1
    assert set(t["Outputs"]) == {"WebsiteURL", "BucketName", "LastDeployId"}
    # The site asset is the builder's output for the temporary project.
    res = next(v for v in t["Resources"].values() if v["Type"] == "Custom::NotesSitePublish")
    site = out / f"asset.{res['Properties']['AssetHash']}"
    assert (site / "docker" / "networking" / "index.html").is_file()
    assert (site / "index.html").is_file() and (site / "404.html").is_file()
    assert not (site / "_notes").exists()


def test_edited_note_changes_only_the_publish_resource(synth, edited) -> None:
    """Resource by resource: only the custom resource's asset properties (and the assets'
    metadata) differ between two content versions; no AWS::IAM::* resource changes."""
    for done, _out in (synth, edited):
        assert done.returncode == 0, done.stderr
    before, after = _template(synth[1]), _template(edited[1])
    assert set(before["Resources"]) == set(after["Resources"])
    assert before.get("Parameters") == after.get("Parameters")
    assert before["Outputs"] == after["Outputs"]
    differing = {}
    for rid, old in before["Resources"].items():
        new = after["Resources"][rid]
        assert old["Type"] == new["Type"]
        if old != new:
            keys = {k for k in set(old) | set(new) if old.get(k) != new.get(k)}
            differing[rid] = (old["Type"], keys)
    publish = [rid for rid, v in before["Resources"].items()
               if v["Type"] == "Custom::NotesSitePublish"]
    assert {rid: t for rid, (t, _k) in differing.items()} == {
        publish[0]: "Custom::NotesSitePublish"}
    old_p, new_p = (t["Resources"][publish[0]]["Properties"] for t in (before, after))
    assert {k for k in old_p if old_p[k] != new_p[k]} == {"AssetHash", "AssetKey"}
    assert differing[publish[0]][1] <= {"Properties", "Metadata"}


def _security_diff(app: Path, template: Path) -> subprocess.CompletedProcess:
    """The pinned CLI's `cdk diff --security-only --fail` of a cloud assembly against a
    template, offline."""
    return subprocess.run(
        ["npx", "cdk", "diff", "--app", str(app), "--template", str(template),
         "--security-only", "--fail", "NotesSite"],
        cwd=REPO,
        env=cdk_env(),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def test_cdk_diff_security_only_passes_between_content_versions(synth, edited) -> None:
    """What `cdk deploy` asks approval for, offline: `--security-only --fail` exits 1 on any
    IAM or security-group change.  Old template vs the new cloud assembly: exit 0."""
    for done, _out in (synth, edited):
        assert done.returncode == 0, done.stderr
    old = synth[1] / "NotesSite.template.json"
    diff = _security_diff(edited[1], old)
    assert diff.returncode == 0, diff.stdout + diff.stderr
    # The same command does catch IAM changes: against a template whose publish role
    # lacks its policy, the diff fails.
    weaker = json.loads(old.read_text())
    policy = next(rid for rid, v in weaker["Resources"].items()
                  if v["Type"] == "AWS::IAM::Policy" and "PublishRole" in rid)
    statements = weaker["Resources"][policy]["Properties"]["PolicyDocument"]["Statement"]
    weaker["Resources"][policy]["Properties"]["PolicyDocument"]["Statement"] = statements[:1]
    weak_path = old.with_name("weaker.template.json")
    weak_path.write_text(json.dumps(weaker))
    caught = _security_diff(edited[1], weak_path)
    assert caught.returncode == 1, caught.stdout + caught.stderr


def test_https_synth_adds_the_distribution(synth_https) -> None:
    done, out = synth_https
    assert done.returncode == 0, done.stdout + done.stderr
    assert "AwsSolutions" not in done.stderr  # the CloudFront findings are acknowledged
    t = _template(out)
    types = sorted(v["Type"] for v in t["Resources"].values())
    assert types.count("AWS::CloudFront::Distribution") == 1
    assert types.count("Custom::NotesSitePublish") == 1
    assert set(t["Outputs"]) == {"WebsiteURL", "SiteURL", "DistributionId", "BucketName",
                                 "LastDeployId"}


@pytest.mark.parametrize("settings", sorted(SETTINGS))
def test_cfn_lint_passes(settings: str, cdk_synth) -> None:
    """Every settings combination (plain, https, a domain with a hosted zone or with a
    certificate), and the CI deploy role, lint clean but for CDK's own W3005."""
    synthesized = cdk_synth(*SETTINGS[settings])
    done, out = synthesized.done, synthesized.out
    assert done.returncode == 0, done.stderr
    lint = subprocess.run(
        [
            str(Path(sys.executable).with_name("cfn-lint")),
            "--ignore-checks",
            "W3005",
            "--",
            str(out / "NotesSite.template.json"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr


def test_broken_note_fails_the_synth_with_one_line(tmp_path: Path) -> None:
    """app.py itself (what the CLI runs): the builder's error, no traceback, exit 1."""
    project = make_project(tmp_path / "project", {"bad.md": "---\ntitle: [broken\n---\nText\n"})
    env = cdk_env() | {
        "CDK_CONTEXT_JSON": json.dumps({"projectDir": str(project)}),
        "CDK_OUTDIR": str(tmp_path / "cdk.out"),
    }
    done = subprocess.run(
        [sys.executable, str(REPO / "app.py")],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    # Exactly the builder's own one-line error for this project.
    from site_builder.core.errors import ContentError
    from site_builder.pipeline.build import build_site
    from site_builder.pipeline.options import BuildOptions

    with pytest.raises(ContentError) as expected:
        build_site(BuildOptions(project_dir=project, out_dir=tmp_path / "direct"))
    assert str(expected.value).startswith("content/bad.md:")
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert lines == [f"Error: {expected.value}"]
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "cdk.out" / "manifest.json").exists()


def test_https_synth_csp_is_computed_from_the_published_site(synth_https) -> None:
    """The headers policy of a real synth lists the inline scripts of the very site asset the
    stack publishes (the theme script of every page, the search page's)."""
    from infra.cdn import content_security_policy, inline_script_hashes

    done, out = synth_https
    assert done.returncode == 0, done.stderr
    t = _template(out)
    (policy,) = [v for v in t["Resources"].values()
                 if v["Type"] == "AWS::CloudFront::ResponseHeadersPolicy"]
    csp = policy["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"][
        "ContentSecurityPolicy"]["ContentSecurityPolicy"]
    res = next(v for v in t["Resources"].values() if v["Type"] == "Custom::NotesSitePublish")
    site = out / f"asset.{res['Properties']['AssetHash']}"
    assert csp == content_security_policy(site)
    assert len(inline_script_hashes(site)) >= 2
