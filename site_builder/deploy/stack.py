"""``--stack NAME``: find the site bucket from the CDK stack's ``BucketName`` output."""

from __future__ import annotations

from typing import Any

from site_builder.deploy.errors import aws_errors
from site_builder.errors import DeployError

BUCKET_OUTPUT = "BucketName"


def bucket_from_stack(cloudformation: Any, stack: str) -> str:
    """The value of the stack's ``BucketName`` output (one DescribeStacks call)."""
    from botocore.exceptions import ClientError

    with aws_errors(f"(stack {stack})"):
        try:
            stacks = cloudformation.describe_stacks(StackName=stack)["Stacks"]
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ValidationError":
                raise DeployError(f"CloudFormation stack {stack!r} does not exist",
                                  "check --stack and --region, or run `npx cdk deploy`") from exc
            raise
    for output in (stacks[0].get("Outputs") or []) if stacks else []:
        if output.get("OutputKey") == BUCKET_OUTPUT:
            return str(output["OutputValue"])
    raise DeployError(f"CloudFormation stack {stack!r} has no {BUCKET_OUTPUT} output",
                      "is it the notes-publisher stack? pass --bucket instead")
