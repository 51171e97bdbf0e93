"""``--stack NAME``: the site bucket (and, with https, the distribution) from the stack's outputs."""

from __future__ import annotations

from typing import Any

from site_builder.deploy.errors import aws_errors
from site_builder.errors import DeployError

BUCKET_OUTPUT = "BucketName"


def bucket_from_stack(cloudformation: Any, stack: str) -> str:
    """The value of the stack's ``BucketName`` output (one DescribeStacks call)."""
    return stack_outputs(cloudformation, stack)[BUCKET_OUTPUT]


def stack_outputs(cloudformation: Any, stack: str) -> dict[str, str]:
    """Every output of the stack (one DescribeStacks call); it must have ``BucketName``.

    With ``https`` the stack also has ``DistributionId`` (what to invalidate) and ``SiteURL``
    (where readers go).
    """
    from botocore.exceptions import ClientError

    with aws_errors(f"(stack {stack})"):
        try:
            stacks = cloudformation.describe_stacks(StackName=stack)["Stacks"]
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ValidationError":
                raise DeployError(f"CloudFormation stack {stack!r} does not exist",
                                  "check --stack and --region, or run `npx cdk deploy`") from exc
            raise
    outputs = {str(o.get("OutputKey")): str(o.get("OutputValue"))
               for o in ((stacks[0].get("Outputs") or []) if stacks else [])}
    if BUCKET_OUTPUT in outputs:
        return outputs
    raise DeployError(f"CloudFormation stack {stack!r} has no {BUCKET_OUTPUT} output",
                      "is it the notes-publisher stack? pass --bucket instead")
