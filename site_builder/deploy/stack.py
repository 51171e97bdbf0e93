"""``--stack NAME``: the site bucket (and, with https, the distribution) from the stack's outputs."""

from __future__ import annotations

from typing import Any

from site_builder.core.errors import DeployError
from site_builder.deploy.errors import aws_errors

BUCKET_OUTPUT = "BucketName"
# --stack (or notes.toml's stack, which `notes init` writes) is read from AWS even with
# --endpoint-url, so a local run without --bucket ends up here.
_NO_STACK_FIX = ("check --region, credentials and network, or pass --bucket NAME (needed with "
                 "--endpoint-url: the stack is read from AWS, not from that endpoint)")


def bucket_from_stack(cloudformation: Any, stack: str) -> str:
    """The value of the stack's ``BucketName`` output (one DescribeStacks call)."""
    return stack_outputs(cloudformation, stack)[BUCKET_OUTPUT]


def stack_outputs(cloudformation: Any, stack: str) -> dict[str, str]:
    """Every output of the stack (one DescribeStacks call); it must have ``BucketName``.

    With ``https`` the stack also has ``DistributionId`` (what to invalidate) and ``SiteURL``
    (where readers go).
    """
    from botocore.exceptions import ClientError, EndpointConnectionError

    with aws_errors(f"(stack {stack})"):
        try:
            stacks = cloudformation.describe_stacks(StackName=stack)["Stacks"]
        except ClientError as exc:
            error = exc.response.get("Error", {})
            if error.get("Code") == "ValidationError":
                raise DeployError(f"CloudFormation stack {stack!r} does not exist",
                                  "check --stack and --region, or run `npx cdk deploy`") from exc
            raise DeployError(f"cannot read CloudFormation stack {stack!r}: {error.get('Code')} "
                              f"{error.get('Message', '')}".rstrip(),
                              _NO_STACK_FIX) from exc
        except EndpointConnectionError as exc:  # S3's wording would name the wrong service
            raise DeployError(f"cannot reach CloudFormation at "
                              f"{exc.kwargs.get('endpoint_url', '?')} to read stack {stack!r}",
                              _NO_STACK_FIX) from exc
    outputs = {str(o.get("OutputKey")): str(o.get("OutputValue"))
               for o in ((stacks[0].get("Outputs") or []) if stacks else [])}
    if BUCKET_OUTPUT in outputs:
        return outputs
    raise DeployError(f"CloudFormation stack {stack!r} has no {BUCKET_OUTPUT} output",
                      "is it the notes-publisher stack? pass --bucket instead")
