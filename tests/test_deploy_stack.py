"""--stack: the bucket name comes from the stack's BucketName output (botocore Stubber)."""

from __future__ import annotations

from datetime import UTC, datetime

import boto3
import pytest
from botocore.stub import Stubber

from site_builder.core.errors import DeployError
from site_builder.deploy import bucket_from_stack


def stack(outputs):
    return {"Stacks": [{"StackName": "NotesSite", "CreationTime": datetime.now(UTC),
                        "StackStatus": "CREATE_COMPLETE", "Outputs": outputs}]}


@pytest.fixture
def cfn(aws_credentials):
    client = boto3.client("cloudformation", region_name="us-east-1")
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def test_reads_bucket_output(cfn):
    client, stubber = cfn
    stubber.add_response("describe_stacks", stack([
        {"OutputKey": "WebsiteURL", "OutputValue": "http://x"},
        {"OutputKey": "BucketName", "OutputValue": "notes-site-abc123"}]),
        {"StackName": "NotesSite"})
    assert bucket_from_stack(client, "NotesSite") == "notes-site-abc123"


def test_missing_stack_and_missing_output(cfn):
    client, stubber = cfn
    stubber.add_client_error("describe_stacks", service_error_code="ValidationError",
                             service_message="Stack with id Nope does not exist",
                             http_status_code=400, expected_params={"StackName": "Nope"})
    with pytest.raises(DeployError) as err:
        bucket_from_stack(client, "Nope")
    assert str(err.value) == ("CloudFormation stack 'Nope' does not exist (check --stack and "
                              "--region, or run `npx cdk deploy`)")
    stubber.add_response("describe_stacks", stack([]), {"StackName": "Other"})
    with pytest.raises(DeployError, match="stack 'Other' has no BucketName output"):
        bucket_from_stack(client, "Other")


def test_cloudformation_failures_name_cloudformation_not_s3(cfn):
    """notes.toml from `notes init` names a stack, so `notes deploy --endpoint-url ...` without
    --bucket reads it from AWS: a failure there must not be worded as an S3 problem."""
    from botocore.exceptions import EndpointConnectionError

    client, stubber = cfn
    stubber.add_client_error("describe_stacks", service_error_code="AccessDenied",
                             service_message="not authorized to perform DescribeStacks",
                             http_status_code=403, expected_params={"StackName": "NotesSite"})
    fix = ("check --region, credentials and network, or pass --bucket NAME (needed with "
           "--endpoint-url: the stack is read from AWS, not from that endpoint)")
    with pytest.raises(DeployError) as err:
        bucket_from_stack(client, "NotesSite")
    assert str(err.value) == ("cannot read CloudFormation stack 'NotesSite': AccessDenied not "
                              f"authorized to perform DescribeStacks ({fix})")

    def unreachable(**kwargs):
        raise EndpointConnectionError(endpoint_url="https://cloudformation.us-east-1.amazonaws.com/")

    client.describe_stacks = unreachable
    with pytest.raises(DeployError) as err:
        bucket_from_stack(client, "NotesSite")
    assert str(err.value) == ("cannot reach CloudFormation at https://cloudformation.us-east-1."
                              f"amazonaws.com/ to read stack 'NotesSite' ({fix})")
