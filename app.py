#!/usr/bin/env python3
"""The CDK app (`npx cdk synth|deploy`, `make deploy`): build the notes, then the stack.

The work is in ``infra/app.py`` (shared with the projects `notes init` makes): it reads the
settings from CDK context, builds content/ with the same builder as `notes build` (a broken
note stops the synth with one `Error: ...` line), stages the publish Lambda's code, and
defines NotesSiteStack checked by cdk-nag's AwsSolutions pack.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))  # `python3 app.py` from a checkout without `pip install -e .`

from infra.app import main

if __name__ == "__main__":
    sys.exit(main(ROOT))
