"""The CI deploy role (``-c githubRepo=owner/repo``): GitHub Actions on that repository's
``main`` branch may deploy this stack, with short-lived credentials and no stored keys.

* GitHub's OIDC provider for the account (``token.actions.githubusercontent.com``, audience
  ``sts.amazonaws.com``), unless the account already has one: IAM allows one provider per URL,
  so pass its ARN as ``-c githubOidcProvider=arn:...`` instead.
* A role only that repository's ``main`` can assume: the trust policy pins the token's ``sub``
  to ``repo:OWNER/REPO:ref:refs/heads/main`` and its ``aud`` (StringEquals: no wildcards, no
  other branch, no pull request, no fork).
* The role may do one thing: assume the three roles ``cdk bootstrap`` made (deploy,
  file-publishing, lookup) in this account and region; ``cdk deploy`` does the rest through
  them.  Its ARN is the ``DeployRoleArn`` output, for the repository variable
  ``NOTES_DEPLOY_ROLE_ARN`` that ``notes init``'s workflow reads.
"""

from __future__ import annotations

from aws_cdk import Aws, CfnOutput
from aws_cdk import aws_iam as iam
from constructs import Construct

GITHUB_OIDC_URL = "https://token.actions.githubusercontent.com"
AUDIENCE = "sts.amazonaws.com"
# The certificate thumbprints GitHub documents for its OIDC endpoint (IAM no longer checks
# them for GitHub, but older accounts' providers carry them).
THUMBPRINTS = ("6938fd4d98bab03faadb97b34396831e3780aea1",
               "1c58a3a8518e8759bf075b76b750d4f2df264fcd")
BOOTSTRAP_ROLES = ("deploy", "file-publishing", "lookup")
BOOTSTRAP_QUALIFIER = "hnb659fds"


class GitHubDeployRole(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, repo: str,
                 provider_arn: str | None = None) -> None:
        super().__init__(scope, construct_id)
        if provider_arn is None:
            provider = iam.CfnOIDCProvider(self, "GitHubOidc", url=GITHUB_OIDC_URL,
                                           client_id_list=[AUDIENCE],
                                           thumbprint_list=list(THUMBPRINTS))
            provider_arn = provider.attr_arn
        host = GITHUB_OIDC_URL.removeprefix("https://")
        self.role = iam.Role(
            self,
            "Role",
            description=f"notes-publisher: GitHub Actions on {repo} main deploys this stack",
            assumed_by=iam.FederatedPrincipal(
                provider_arn,
                conditions={"StringEquals": {f"{host}:aud": AUDIENCE,
                                             f"{host}:sub": f"repo:{repo}:ref:refs/heads/main"}},
                assume_role_action="sts:AssumeRoleWithWebIdentity",
            ),
        )
        self.role.add_to_policy(iam.PolicyStatement(
            sid="AssumeTheCdkBootstrapRoles",
            actions=["sts:AssumeRole"],
            resources=[f"arn:{Aws.PARTITION}:iam::{Aws.ACCOUNT_ID}:role/cdk-{BOOTSTRAP_QUALIFIER}-"
                       f"{kind}-role-{Aws.ACCOUNT_ID}-{Aws.REGION}" for kind in BOOTSTRAP_ROLES],
        ))
        CfnOutput(scope, "DeployRoleArn", value=self.role.role_arn,
                  description="For the GitHub repository variable NOTES_DEPLOY_ROLE_ARN")
