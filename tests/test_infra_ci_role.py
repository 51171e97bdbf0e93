"""The optional CI deploy role (-c githubRepo=owner/repo, infra/ci_role.py): only the
repository's main branch can assume it, it may only assume the CDK bootstrap roles, and its
ARN is an output; without the key the stack has none of it."""

from __future__ import annotations

import pytest

pytest.importorskip("aws_cdk")
import aws_cdk as cdk
from aws_cdk.assertions import Template
from cdk_nag import AwsSolutionsChecks

from infra.lambda_code import stage_lambda_code
from infra.settings import StackSettings, settings_from_context
from infra.stack import NotesSiteStack
from site_builder.core.errors import DeployError

pytestmark = pytest.mark.cdk
PROVIDER = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
HOST = "token.actions.githubusercontent.com"


@pytest.fixture(scope="module")
def stacks(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("ci")
    (tmp / "site").mkdir()
    (tmp / "site" / "index.html").write_text("<h1>Home</h1>")
    code = stage_lambda_code(tmp / "lambda")
    app = cdk.App(outdir=str(tmp / "cdk.out"))
    made = {name: NotesSiteStack(app, name, site_dir=tmp / "site", lambda_code_dir=code,
                                 settings=StackSettings(stack_name=name, **kw))
            for name, kw in (("Plain", {}), ("Ci", {"github_repo": "ada/notes"}),
                             ("CiShared", {"github_repo": "ada/notes",
                                           "github_oidc_provider_arn": PROVIDER}))}
    nag = AwsSolutionsChecks(app).validate_scope(app)
    return {k: Template.from_stack(v).to_json() for k, v in made.items()}, nag


def _of(t: dict, kind: str) -> dict:
    return {k: v for k, v in t["Resources"].items() if v["Type"] == kind}


def _ci_role(t: dict) -> tuple[str, dict]:
    (found,) = [(k, v) for k, v in _of(t, "AWS::IAM::Role").items() if "CiDeploy" in k]
    return found


def test_the_role_trusts_only_main_of_that_repository(stacks) -> None:
    t = stacks[0]["Ci"]
    (provider_id, provider), = _of(t, "AWS::IAM::OIDCProvider").items()
    assert provider["Properties"]["Url"] == f"https://{HOST}"
    assert provider["Properties"]["ClientIdList"] == ["sts.amazonaws.com"]
    _, role = _ci_role(t)
    (statement,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert statement["Principal"] == {"Federated": {"Fn::GetAtt": [provider_id, "Arn"]}}
    assert statement["Condition"] == {"StringEquals": {
        f"{HOST}:aud": "sts.amazonaws.com", f"{HOST}:sub": "repo:ada/notes:ref:refs/heads/main"}}


def test_the_role_may_only_assume_the_bootstrap_roles(stacks) -> None:
    t = stacks[0]["Ci"]
    role_id, _ = _ci_role(t)
    (policy,) = [v for v in _of(t, "AWS::IAM::Policy").values()
                 if v["Properties"]["Roles"] == [{"Ref": role_id}]]
    (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Action"] == "sts:AssumeRole"
    kinds = [part for r in statement["Resource"] for part in r["Fn::Join"][1]
             if isinstance(part, str) and part.startswith(":role/cdk-")]
    assert kinds == [f":role/cdk-hnb659fds-{k}-role-" for k in
                     ("deploy", "file-publishing", "lookup")]
    assert t["Outputs"]["DeployRoleArn"]["Value"] == {"Fn::GetAtt": [role_id, "Arn"]}


def test_an_existing_provider_is_reused_and_without_the_key_nothing_is_added(stacks) -> None:
    templates, nag = stacks
    shared = templates["CiShared"]
    assert not _of(shared, "AWS::IAM::OIDCProvider")
    _, role = _ci_role(shared)
    (statement,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Federated": PROVIDER}
    plain = templates["Plain"]
    assert not _of(plain, "AWS::IAM::OIDCProvider") and "DeployRoleArn" not in plain["Outputs"]
    assert not [k for k in plain["Resources"] if "CiDeploy" in k]
    assert [(v.rule_name, [r.construct_path for r in v.violating_resources])
            for v in nag.violations] == []


@pytest.mark.parametrize(("context", "message"), [
    ({"githubRepo": "not a repo"}, "context githubRepo='not a repo' is not a GitHub repository"),
    ({"githubOidcProvider": PROVIDER}, "context githubOidcProvider needs githubRepo"),
    ({"githubRepo": "ada/notes", "githubOidcProvider": "arn:aws:iam::1:role/x"},
     "context githubOidcProvider='arn:aws:iam::1:role/x' is not the ARN of a GitHub OIDC"),
])
def test_bad_ci_context_is_one_line(context: dict, message: str) -> None:
    with pytest.raises(DeployError) as err:
        settings_from_context(context.get)
    assert str(err.value).startswith(message) and "\n" not in str(err.value)


def test_repo_context_is_read() -> None:
    got = settings_from_context({"githubRepo": "ada/notes"}.get)
    assert (got.github_repo, got.github_oidc_provider_arn) == ("ada/notes", None)


