"""The GitHub Actions workflow ``notes init`` writes into a new notes project.

Three jobs, each with only the rights it needs:

* ``check`` (every push and pull request, ``contents: read``): build the site with the link
  check, as ``notes build`` does; a broken link fails it.  No browser, no test suite: the
  package was tested before it was released.
* ``security-diff`` (pull requests): synthesize the base branch's stack and the pull request's,
  then ``cdk diff --security-only --fail`` between them, offline: a change that widens IAM
  (a new notes-publisher version, a context key) is shown and fails the check, so it is
  reviewed before it reaches ``main``.  No AWS credentials.
* ``deploy`` (pushes to ``main`` only, after ``check``): the only job with ``id-token: write``;
  short-lived credentials for the stack's CI role (``githubRepo`` in cdk.json, output
  ``DeployRoleArn``), the build cache ``.notes-cache/`` restored, then ``cdk deploy``.  Its
  ``--require-approval broadening`` lets content through (it never changes IAM) and stops a
  deploy that would widen permissions, which has no terminal in CI to approve it: deploy such
  a change once from a laptop.

Actions are pinned by full commit SHA (a tag can be moved), with the version as a comment;
``ACTIONS`` is the one list (this repository's own workflow uses the same pins).
"""

from __future__ import annotations

ACTIONS = {
    "checkout": "actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2",
    "setup-python": "actions/setup-python@0b93645e9fea7318ecaed2b359559ac225c90a2b # v5.3.0",
    "setup-node": "actions/setup-node@60edb5dd545a775178f52524783378180af0d1f8 # v4.0.2",
    "cache": "actions/cache@1bd1e32a3bdc45362d1e726936510720a7c30a57 # v4.2.0",
    "aws-credentials": "aws-actions/configure-aws-credentials@"
                       "e3dd6a429d7300a6a4c196c26e071d42e0343502 # v4.0.2",
}

WORKFLOW = """\
# Publish the notes: `check` builds every push and pull request with the link check,
# `security-diff` shows what a pull request changes in the stack's IAM, `deploy` publishes main
# with `cdk deploy` using short-lived credentials from GitHub's OIDC provider (no AWS keys in
# GitHub).  One-time setup: add "githubRepo": "OWNER/REPO" to cdk.json's context (a deploy
# without it deletes the role), commit it, deploy once from your machine (npx cdk deploy),
# then set the repository variables NOTES_DEPLOY_ROLE_ARN (the DeployRoleArn output) and
# AWS_REGION (the stack's region).
name: publish

on:
  push:
    branches: [main]
  pull_request:
  workflow_dispatch:

permissions:
  contents: read

env:
  AWS_EC2_METADATA_DISABLED: "true"
  CDK_DISABLE_CLI_TELEMETRY: "true"

jobs:
  check:
    runs-on: ubuntu-latest
    timeout-minutes: 20
    permissions:
      contents: read
    steps:
      - uses: {checkout}
        with:
          persist-credentials: false
      - uses: {setup-python}
        with:
          python-version: "3.12"
          cache: pip
      - run: pip install -r requirements.txt
      - name: Build with the link check
        run: notes build

  security-diff:
    if: github.event_name == 'pull_request'
    runs-on: ubuntu-latest
    timeout-minutes: 30
    permissions:
      contents: read
    env:
      AWS_REGION: us-east-1
    steps:
      - uses: {checkout}
        with:
          ref: ${{{{ github.event.pull_request.base.sha }}}}
          path: base
          persist-credentials: false
      - uses: {checkout}
        with:
          path: head
          persist-credentials: false
      - uses: {setup-python}
        with:
          python-version: "3.12"
      - uses: {setup-node}
        with:
          node-version: "22"
      - name: Synthesize the base branch's stack
        working-directory: base
        run: |
          python -m venv ../venv-base
          ../venv-base/bin/pip install -q -r requirements.txt
          npm ci
          npx cdk synth --quiet --app "../venv-base/bin/python app.py" -o ../base.out
      - name: Security changes of this pull request (IAM, security groups) fail the check
        working-directory: head
        run: |
          python -m venv ../venv-head
          ../venv-head/bin/pip install -q -r requirements.txt
          npm ci
          npx cdk diff --app "../venv-head/bin/python app.py" \\
            --template ../base.out/{stack}.template.json --security-only --fail {stack}

  deploy:
    if: github.event_name != 'pull_request' && github.ref == 'refs/heads/main'
    needs: check
    runs-on: ubuntu-latest
    timeout-minutes: 45
    permissions:
      contents: read
      id-token: write # the OIDC token for the CI role; this job only
    concurrency:
      group: publish-{stack}
      cancel-in-progress: false
    steps:
      - uses: {checkout}
        with:
          persist-credentials: false
      - uses: {setup-python}
        with:
          python-version: "3.12"
          cache: pip
      - uses: {setup-node}
        with:
          node-version: "22"
          cache: npm
      - run: pip install -r requirements.txt && npm ci
      - name: Restore the build cache (.notes-cache/)
        uses: {cache}
        with:
          path: .notes-cache
          key: notes-cache-${{{{ runner.os }}}}-${{{{ github.sha }}}}
          restore-keys: notes-cache-${{{{ runner.os }}}}-
      - name: AWS credentials (OIDC, the stack's CI role)
        uses: {aws-credentials}
        with:
          role-to-assume: ${{{{ vars.NOTES_DEPLOY_ROLE_ARN }}}}
          aws-region: ${{{{ vars.AWS_REGION }}}}
          role-session-name: notes-publish-${{{{ github.run_id }}}}
      - name: Deploy (stops on an IAM change, which needs a deploy from your machine)
        run: npx cdk deploy --app "python app.py" --require-approval broadening --progress events
"""


def workflow(stack: str) -> str:
    """The workflow for a project whose stack is ``stack``."""
    names = {key.replace("-", "_"): value for key, value in ACTIONS.items()}
    text = WORKFLOW.replace("{setup-python}", "{setup_python}").replace(
        "{setup-node}", "{setup_node}").replace("{aws-credentials}", "{aws_credentials}")
    return text.format(stack=stack, **names)


def requirements(version: str) -> str:
    """The project's pinned notes-publisher (with the CDK app's dependencies)."""
    return ("# What CI installs (and `pip install -r requirements.txt` on a new machine):\n"
            f"notes-publisher[cdk]=={version}\n")
