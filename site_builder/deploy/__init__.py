"""The deploy engine: publish a built site to a versioned S3 bucket, with history and rollback.

Used by the ``notes deploy/history/rollback/verify`` commands and by the CDK stack's Lambda, so
it depends on boto3/botocore and the standard library only (plus ``site_builder.core``: errors, process liveness).

Modules: ``local`` (scan a folder or zip), ``headers`` (Content-Type/Cache-Control),
``remote`` (live listing), ``plan`` (pure decisions), ``apply`` (the only writer),
``record`` (deploy records), ``lock``, ``publish``, ``history``, ``rollback``, ``verify``,
``stack`` (bucket from a CloudFormation stack), ``errors`` (AWS errors as one line),
``invalidate`` (CloudFront: invalidate exactly what a deploy or rollback changed).
"""

import importlib
import sys
import types

# Name -> the module defining it, imported on first use: the build imports ``deploy.local``
# and ``deploy.manifest`` for the site's manifest, and importing this package used to load
# every module (botocore and all), about 0.1 s of every `notes build`.
_LAZY = {
    "DeployRecord": "record", "DeployResult": "publish", "DriftReport": "verify",
    "FileEntry": "record", "LocalFile": "local", "Plan": "plan", "Upload": "plan",
    "bucket_from_stack": "stack", "history": "history", "make_plan": "plan",
    "make_restore_plan": "plan", "open_site": "local", "publish": "publish",
    "rollback": "rollback", "verify": "verify",
}
__all__ = [
    "DeployRecord", "DeployResult", "DriftReport", "FileEntry", "LocalFile", "Plan", "Upload",
    "bucket_from_stack", "history", "make_plan", "make_restore_plan", "open_site", "publish",
    "rollback", "verify",
]


class _Package(types.ModuleType):
    """This package, whose names in ``_LAZY`` are the functions and classes even after the
    module of the same name (``publish``, ``history``, ``rollback``, ``verify``) is imported:
    importing a submodule sets it as the package's attribute, which would otherwise hide the
    function of that name."""

    def __getattr__(self, name: str) -> object:
        if name not in _LAZY:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
        types.ModuleType.__setattr__(self, name, value)
        return value

    def __setattr__(self, name: str, value: object) -> None:
        if name in _LAZY and isinstance(value, types.ModuleType):
            return  # a submodule just imported: the name stays the function's
        types.ModuleType.__setattr__(self, name, value)


sys.modules[__name__].__class__ = _Package
