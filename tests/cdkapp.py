"""Synthesizing the CDK app with the pinned CLI, offline, for the tests that need a real
cloud assembly (tests/test_cdk_synth.py, tests/test_lambda_asset.py).

A synth takes 20-30 s (jsii starts Node), so each settings combination is synthesized once per
test session (the ``cdk_synth`` fixture in conftest.py) and shared by every module.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CDK_BIN = REPO / "node_modules" / ".bin" / "cdk"
NOTES = {
    "docker/networking.md": "---\ntitle: Networking\ntags: [docker]\n---\n# Networking\n\n"
    "Bridges and overlays.\n",
    "docker/volumes.md": "# Volumes\n\nNamed volumes outlive containers.\n",
}
CERTIFICATE = "arn:aws:acm:us-east-1:123456789012:certificate/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"
# Every settings combination the stack has (README: Your own domain with HTTPS); the last one
# also carries the optional CI deploy role (githubRepo).
SETTINGS = {
    "plain": (),
    "https": ("https=true",),
    "domain": ("https=true", "domainName=notes.example.com", "hostedZoneId=Z0123456789ABC",
               "hostedZoneName=example.com"),
    "certificate": ("https=true", "domainName=notes.example.com",
                    f"certificateArn={CERTIFICATE}", "githubRepo=ada/notes"),
}


def cdk_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("AWS_") and k not in ("CDK_CONTEXT_JSON", "CDK_OUTDIR")}
    env.update(AWS_EC2_METADATA_DISABLED="true", CDK_DISABLE_CLI_TELEMETRY="true",
               AWS_REGION="us-east-1", JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="20")
    return env


def need_cli() -> None:
    if not CDK_BIN.exists() or shutil.which("npx") is None:
        if os.environ.get("CI"):
            pytest.fail("node_modules/.bin/cdk is missing: `make test` runs `npm ci` first")
        pytest.skip("the pinned CDK CLI is not installed (make node)")


def make_project(root: Path, notes: Mapping[str, str] = NOTES) -> Path:
    for rel, text in notes.items():
        (root / "content" / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / "content" / rel).write_text(text)
    return root


def run_synth(project: Path, out: Path, *context: str) -> subprocess.CompletedProcess:
    extra = [arg for c in context for arg in ("-c", c)]
    return subprocess.run(
        ["npx", "cdk", "synth", "--quiet", "-o", str(out), "-c", f"projectDir={project}",
         *extra],
        cwd=REPO, env=cdk_env(), capture_output=True, text=True, timeout=280, check=False)


@dataclass(frozen=True)
class Synthesized:
    done: subprocess.CompletedProcess
    out: Path

    @property
    def template(self) -> dict:
        return json.loads((self.out / "NotesSite.template.json").read_text())

    def resources(self, kind: str) -> dict[str, dict]:
        return {k: v for k, v in self.template["Resources"].items() if v["Type"] == kind}

    def publish_properties(self) -> dict:
        (res,) = self.resources("Custom::NotesSitePublish").values()
        return res["Properties"]

    def site_asset(self) -> Path:
        return self.out / f"asset.{self.publish_properties()['AssetHash']}"

    def lambda_asset(self) -> Path:
        """The publish function's code as staged in cdk.out: what AWS runs."""
        (fn,) = [v for v in self.resources("AWS::Lambda::Function").values()
                 if v["Properties"].get("Handler") == "index.handler"]
        return self.out / f"asset.{fn['Properties']['Code']['S3Key'].removesuffix('.zip')}"


class SynthCache:
    """One synth per (settings, notes) for the whole session."""

    def __init__(self, root: Path):
        self.root = root
        self._done: dict[tuple, Synthesized] = {}

    def __call__(self, *context: str, notes: Mapping[str, str] = NOTES) -> Synthesized:
        key = (context, tuple(sorted(notes.items())))
        if key not in self._done:
            need_cli()
            work = self.root / f"synth-{len(self._done)}"
            project = make_project(work / "project", notes)
            self._done[key] = Synthesized(run_synth(project, work / "cdk.out", *context),
                                          work / "cdk.out")
        return self._done[key]
