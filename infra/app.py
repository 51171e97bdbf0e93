"""The CDK app's body, importable from the installed package: build the notes, then the stack.

The repository's ``app.py`` and the ``app.py`` that ``notes init`` writes into a new project
both call :func:`main` with their own folder, so a notes project outside this repository is
published by the same stack and the same deploy engine.

1. Read the settings from CDK context (cdk.json defaults, `-c key=value` overrides).
2. Build ``<project>/content`` into ``<project>/build/site`` with the same builder as
   `notes build`: a broken note stops the synth with the builder's one-line `Error: ...`,
   before anything reaches AWS.
3. Stage the publish Lambda's code (deploy engine + handler only) into build/lambda.
4. Instantiate NotesSiteStack and check it with cdk-nag's AwsSolutions pack: a finding that is
   neither fixed nor acknowledged (with its reason, in infra/stack.py) fails the synth.
"""

from __future__ import annotations

import sys
from pathlib import Path

from site_builder.core.errors import NotesError


def main(default_project: Path) -> int:
    """Synthesize the stack for the notes project ``default_project`` (``-c projectDir=...``
    overrides it; the synth test uses a temporary one)."""
    import aws_cdk as cdk
    from cdk_nag import AwsSolutionsChecks

    from infra.lambda_code import stage_lambda_code
    from infra.settings import settings_from_context
    from infra.stack import NotesSiteStack
    from site_builder.pipeline.build import build_site
    from site_builder.pipeline.options import BuildOptions

    app = cdk.App()
    project = Path(app.node.try_get_context("projectDir") or default_project).resolve()
    try:
        settings = settings_from_context(app.node.try_get_context)
        # cdk synth has no --allow-broken-links: the error suggests no flag.
        built = build_site(BuildOptions(project_dir=project, broken_links_hint=None))
        code_dir = stage_lambda_code(project / "build" / "lambda")
    except NotesError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    print(
        f"Built {built.pages} pages ({built.files} files) into {built.out_dir}",
        file=sys.stderr,
    )
    for warning in built.warnings:
        print(f"Warning: {warning}", file=sys.stderr)
    try:  # the CDN's policy reads the built pages: a refusal is one line too
        NotesSiteStack(
            app,
            settings.stack_name,
            site_dir=built.out_dir,
            lambda_code_dir=code_dir,
            settings=settings,
            project_dir=project,
            description="notes-publisher: versioned S3 website bucket, published by cdk deploy",
        )
    except NotesError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app, verbose=True))
    app.synth()
    return 0
