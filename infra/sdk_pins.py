"""The exact AWS SDK the publish Lambda bundles: ``infra/lambda-sdk.txt``, checked at synth.

``lambda_code`` copies boto3 and its dependencies from the Python that runs the synth.  Left
to that environment, the Lambda's code (and its asset hash) would follow whatever boto3 the
synth machine happens to have: a laptop deploy and a CI deploy would flip the function back
and forth, and the Lambda could run an SDK the suite never ran.  So the versions are pinned
(the ``cdk`` extra installs them) and a synth from an environment with other versions stops
with one line naming the difference, instead of shipping it.
"""

from __future__ import annotations

import importlib.metadata
import re
from pathlib import Path

from site_builder.core.errors import DeployError

PINS_FILE = Path(__file__).resolve().parent / "lambda-sdk.txt"
_PIN = re.compile(r"^([A-Za-z0-9._-]+)==([A-Za-z0-9.+!-]+)$")


def read_pins(path: Path = PINS_FILE) -> dict[str, str]:
    """Distribution name -> exact version, in file order (comments and blanks skipped)."""
    pins: dict[str, str] = {}
    for number, raw in enumerate(path.read_text("utf-8").splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        match = _PIN.match(line)
        if not match:
            raise DeployError(f"{path}:{number}: {line!r} is not an exact pin",
                              "write each line as name==version")
        pins[match.group(1)] = match.group(2)
    return pins


def check_installed(pins: dict[str, str]) -> None:
    """Refuse to bundle an SDK other than the pinned one (one line, every difference)."""
    wrong = []
    for name, version in pins.items():
        try:
            have = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            have = "not installed"
        if have != version:
            wrong.append(f"{name} {have} (pinned {version})")
    if wrong:
        raise DeployError(
            "the publish Lambda bundles the AWS SDK pinned in infra/lambda-sdk.txt, but this "
            f"environment has {', '.join(wrong)}",
            "install the pins: `make install-cdk`, or pip install 'notes-publisher[cdk]'",
        )
