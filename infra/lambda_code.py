"""Stage the publish Lambda's code: the deploy engine and the thin handler, nothing else.

Copying the few files into a folder at synth time is the whole "bundling": no Docker, no pip
(boto3 ships with the Lambda Python runtime).  Markdown, Jinja2, templates and content stay out,
so the asset is small and the Lambda cannot import the builder by accident.  The folder's
content (not its path or mtimes) makes the asset hash, so an unchanged engine keeps the hash.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from site_builder.errors import DeployError

REPO = Path(__file__).resolve().parents[1]
HANDLER = Path(__file__).resolve().parent / "handler" / "index.py"
HANDLER_ENTRY = "index.on_event"
_PACKAGE_FILES = ("site_builder/__init__.py", "site_builder/errors.py")
_ENGINE_DIR = "site_builder/deploy"


def lambda_files(repo: Path = REPO) -> dict[str, Path]:
    """Destination path (relative, posix) -> source file, for everything the Lambda needs."""
    engine = repo / _ENGINE_DIR
    if not (engine / "__init__.py").is_file():
        raise DeployError(
            f"the deploy engine is missing: {engine / '__init__.py'} not found",
            "the CDK stack packages site_builder/deploy/ into its Lambda",
        )
    files = {rel: repo / rel for rel in _PACKAGE_FILES}
    for path in sorted(engine.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            files[path.relative_to(repo).as_posix()] = path
    files["index.py"] = HANDLER
    return files


def stage_lambda_code(dest: Path, repo: Path = REPO) -> Path:
    """Replace ``dest`` with a fresh copy of the Lambda's files; return ``dest``."""
    files = lambda_files(repo)
    if dest.exists():
        shutil.rmtree(dest)
    for rel, src in files.items():
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, target)
    return dest
