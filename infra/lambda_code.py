"""Stage the publish Lambda's code: the deploy engine, the thin handler and the AWS SDK.

Copying files into a folder at synth time is the whole "bundling": no Docker, no pip, no
network.  Markdown, Jinja2, templates and content stay out, so the Lambda cannot import the
builder by accident.  The SDK (boto3, botocore and their dependencies, all pure Python) is
copied from the distributions installed here, the ones the test suite ran with: the Lambda
then runs the SDK it was tested with, not whatever the runtime bundles (AWS no longer documents
that version and recommends bundling; the lock's conditional writes need a recent botocore).
Its versions are pinned (``infra/lambda-sdk.txt``, checked by ``sdk_pins``), so the asset is
the same whichever machine synthesizes it.  botocore's service models are cut down to the
clients the handler makes: S3, and CloudFront for a stack with ``https`` (32 MB -> 5).
The folder's content (not its path or mtimes) makes the asset hash, so an unchanged engine and
SDK keep the hash.
"""

from __future__ import annotations

import importlib.metadata
import shutil
from pathlib import Path, PurePosixPath

from infra.sdk_pins import check_installed, read_pins
from site_builder.errors import DeployError

REPO = Path(__file__).resolve().parents[1]
HANDLER = Path(__file__).resolve().parent / "handler" / "index.py"
HANDLER_ENTRY = "index.handler"
_PACKAGE_FILES = ("site_builder/__init__.py", "site_builder/errors.py")
_ENGINE_DIR = "site_builder/deploy"
# boto3's dependency closure (tests/test_infra_lambda_code.py checks it against the metadata).
SDK_DISTRIBUTIONS = (
    "boto3", "botocore", "s3transfer", "jmespath", "python-dateutil", "six", "urllib3",
)
# botocore/data/<service>/ kept in the asset: one per client infra/handler/index.py makes
BOTOCORE_SERVICES = frozenset({"s3", "cloudfront"})
_DIST_INFO_KEEP = ("METADATA", "LICENSE", "NOTICE", "licenses", "top_level.txt")


def lambda_files(repo: Path = REPO) -> dict[str, Path]:
    """Destination path (relative, posix) -> source file, for the engine and the handler."""
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


def _wanted(rel: PurePosixPath) -> bool:
    """Whether an installed file of an SDK distribution belongs in the Lambda."""
    parts = rel.parts
    if parts[0] == ".." or "__pycache__" in parts or rel.suffix == ".pyc":
        return False  # console scripts outside site-packages, bytecode of this Python
    if parts[0].endswith(".dist-info"):
        return len(parts) > 1 and parts[1].startswith(_DIST_INFO_KEEP)
    if parts[:2] == ("botocore", "data") and len(parts) > 3:
        return parts[2] in BOTOCORE_SERVICES
    return True


def sdk_files() -> dict[str, Path]:
    """Destination path -> installed file, for every SDK distribution this Python has (which
    must be the pinned versions)."""
    check_installed(read_pins())
    files: dict[str, Path] = {}
    for name in SDK_DISTRIBUTIONS:
        try:
            dist = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError as exc:
            raise DeployError(
                f"{name} is not installed: the publish Lambda bundles it from this environment",
                "install the project (`make install-cdk`)",
            ) from exc
        for rel in dist.files or ():
            path = PurePosixPath(rel.as_posix())
            if _wanted(path):
                files[path.as_posix()] = Path(str(dist.locate_file(rel)))
    return files


def stage_lambda_code(dest: Path, repo: Path = REPO, *, sdk: bool = True) -> Path:
    """Replace ``dest`` with a fresh copy of the Lambda's files; return ``dest``."""
    files = lambda_files(repo)
    if sdk:
        files = {**sdk_files(), **files}
    if dest.exists():
        shutil.rmtree(dest)
    for rel, src in files.items():
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, target)
    return dest
