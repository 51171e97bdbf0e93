"""The stack's settings, read from CDK context (cdk.json defaults, `-c key=value` overrides).

Context values given on the command line arrive as strings ("false", "30"), values from
cdk.json as JSON types, so both are accepted.  A bad value is a user error: it raises a
``DeployError`` that app.py prints as one ``Error: ...`` line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from site_builder.errors import DeployError

DEFAULT_STACK_NAME = "NotesSite"
DEFAULT_NONCURRENT_DAYS = 365


@dataclass(frozen=True)
class StackSettings:
    """What a user may choose about the stack without editing code."""

    stack_name: str = DEFAULT_STACK_NAME
    noncurrent_version_days: int = DEFAULT_NONCURRENT_DAYS  # 0 = keep old versions forever
    retain: bool = True  # keep the bucket (and every version) when the stack is deleted
    allow_mass_delete: bool = False  # let a publish delete most of the live site


def _as_bool(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes"):
        return True
    if text in ("false", "0", "no"):
        return False
    raise DeployError(
        f"context {name}={value!r} is not a boolean", f"use -c {name}=true or -c {name}=false"
    )


def _as_days(name: str, value: Any) -> int:
    try:
        days = int(str(value).strip())
    except ValueError:
        days = -1
    if isinstance(value, bool) or days < 0:
        raise DeployError(
            f"context {name}={value!r} is not a number of days",
            f"use a whole number >= 0, e.g. -c {name}=365 (0 keeps old versions forever)",
        )
    return days


def settings_from_context(get: Callable[[str], Any]) -> StackSettings:
    """Build settings from a context getter such as ``app.node.try_get_context``."""

    def pick(key: str, default: Any) -> Any:
        value = get(key)
        return default if value is None else value

    name = str(pick("stackName", DEFAULT_STACK_NAME)).strip()
    if not name:
        raise DeployError("context stackName is empty", "use -c stackName=NotesSite")
    return StackSettings(
        stack_name=name,
        noncurrent_version_days=_as_days(
            "noncurrentVersionDays", pick("noncurrentVersionDays", DEFAULT_NONCURRENT_DAYS)
        ),
        retain=_as_bool("retain", pick("retain", True)),
        allow_mass_delete=_as_bool("allowMassDelete", pick("allowMassDelete", False)),
    )
