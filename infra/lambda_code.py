"""Stage the publish Lambda's code: the deploy engine, the thin handler and the AWS SDK.

Copying files into a folder at synth time is the whole "bundling": no Docker, no pip, no
network.  What of ``site_builder`` goes in is the import closure of the handler and of
``site_builder/deploy/`` (the engine and the few ``core`` modules it uses, with their
packages' ``__init__.py``), found by reading their imports, so a module moved or added is
packaged without a list to keep up to date.  Markdown, Jinja2, templates and content stay
out, so the Lambda cannot import the builder by accident.  The SDK (boto3, botocore and their dependencies, all pure Python) is
copied from the distributions installed here, the ones the test suite ran with: the Lambda
then runs the SDK it was tested with, not whatever the runtime bundles (AWS no longer documents
that version and recommends bundling; the lock's conditional writes need a recent botocore).
Its versions are pinned (``infra/lambda-sdk.txt``, checked by ``sdk_pins``), so the asset is
the same whichever machine synthesizes it.  botocore's service models are cut down to the
clients the handler makes: S3, and CloudFront for a stack with ``https`` (32 MB -> 6).
The folder's content (not its path or mtimes) makes the asset hash, so an unchanged engine and
SDK keep the hash.
"""

from __future__ import annotations

import ast
import importlib.metadata
import shutil
from pathlib import Path, PurePosixPath

from infra.sdk_pins import check_installed, read_pins
from site_builder.core.errors import DeployError

REPO = Path(__file__).resolve().parents[1]
HANDLER = Path(__file__).resolve().parent / "handler" / "index.py"
HANDLER_ENTRY = "index.handler"
_PACKAGE = "site_builder"
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
    roots = [HANDLER, *(p for p in sorted(engine.rglob("*.py")) if "__pycache__" not in p.parts)]
    files = {path.relative_to(repo).as_posix(): path for path in _closure(roots, repo)}
    files["index.py"] = HANDLER
    return files


def _closure(roots: list[Path], repo: Path) -> list[Path]:
    """The package's files ``roots`` import, transitively (imports inside functions too), with
    the ``__init__.py`` of every package on the way."""
    seen: dict[Path, None] = {}
    todo = list(roots)
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen[path] = None
        for module in _imported_modules(path):
            todo.extend(_module_files(module, repo))
    return sorted(p for p in seen if p != HANDLER)


def _imported_modules(path: Path) -> set[str]:
    """Every ``site_builder`` module a file imports (``from a import b``: ``a`` and ``a.b``,
    which is a module when such a file exists)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and not node.level and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {m for m in found if m == _PACKAGE or m.startswith(_PACKAGE + ".")}


def _module_files(module: str, repo: Path) -> list[Path]:
    """The files importing ``module`` runs: its own and each enclosing package's ``__init__``
    (none for a name that is not a module, such as a class imported from one)."""
    parts = module.split(".")
    files = [repo.joinpath(*parts[:i], "__init__.py") for i in range(1, len(parts))]
    own = [repo.joinpath(*parts, "__init__.py"), repo.joinpath(*parts[:-1], parts[-1] + ".py")]
    found = [p for p in own if p.is_file()]
    return [p for p in files if p.is_file()] + found if found else []


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
