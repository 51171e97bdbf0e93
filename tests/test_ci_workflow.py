"""The CI recipe (.github/workflows/publish.yml, not run here) and its role's policies parse
and say what docs/content/publishing/ci.md promises: cache restored, tests before deploy,
OIDC, no approval prompt, least privilege."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
WORKFLOW = REPO / ".github" / "workflows" / "publish.yml"
CI_ROLE = REPO / ".github" / "ci-role"


def _steps() -> list[dict]:
    workflow = yaml.safe_load(WORKFLOW.read_text())
    (job,) = workflow["jobs"].values()
    return job["steps"]


def _index(steps: list[dict], predicate) -> int:
    found = [i for i, step in enumerate(steps) if predicate(step)]
    assert len(found) == 1, found
    return found[0]


def test_workflow_triggers_and_permissions() -> None:
    workflow = yaml.safe_load(WORKFLOW.read_text())
    on = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert on["push"]["branches"] == ["main"]
    assert workflow["permissions"] == {"id-token": "write", "contents": "read"}
    assert workflow["concurrency"]["cancel-in-progress"] is False


def test_workflow_restores_cache_tests_then_deploys_with_oidc() -> None:
    steps = _steps()
    cache = _index(steps, lambda s: str(s.get("uses", "")).startswith("actions/cache@"))
    assert steps[cache]["with"]["path"] == ".notes-cache"
    assert steps[cache]["with"]["restore-keys"]
    tests = _index(steps, lambda s: s.get("run") == "make test")
    creds = _index(steps, lambda s: str(s.get("uses", "")).startswith(
        "aws-actions/configure-aws-credentials@"))
    with_ = steps[creds]["with"]
    assert with_["role-to-assume"] == "${{ vars.NOTES_DEPLOY_ROLE_ARN }}"
    assert not {"aws-access-key-id", "aws-secret-access-key"} & set(with_)
    deploy = _index(steps, lambda s: "cdk deploy" in str(s.get("run", "")))
    assert steps[deploy]["run"].startswith("npx cdk deploy --require-approval never")
    assert cache < tests < creds < deploy


def test_ci_role_may_only_assume_the_cdk_bootstrap_roles() -> None:
    policy = json.loads((CI_ROLE / "permissions-policy.json").read_text())
    (statement,) = policy["Statement"]
    assert statement["Effect"] == "Allow" and statement["Action"] == "sts:AssumeRole"
    roles = {r.split(":role/")[1] for r in statement["Resource"]}
    assert roles == {f"cdk-hnb659fds-{kind}-role-ACCOUNT_ID-REGION"
                     for kind in ("deploy", "file-publishing", "lookup")}
    assert "*" not in json.dumps(policy)


def test_ci_role_trusts_only_this_repository_main_branch() -> None:
    trust = json.loads((CI_ROLE / "trust-policy.json").read_text())
    (statement,) = trust["Statement"]
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert statement["Principal"]["Federated"].endswith(
        ":oidc-provider/token.actions.githubusercontent.com")
    equals = statement["Condition"]["StringEquals"]
    assert equals["token.actions.githubusercontent.com:aud"] == "sts.amazonaws.com"
    assert equals["token.actions.githubusercontent.com:sub"] == (
        "repo:OWNER/REPO:ref:refs/heads/main")
    assert "StringLike" not in statement["Condition"]  # no wildcard branches or forks
