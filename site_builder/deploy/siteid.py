"""Which project a bucket's site belongs to: the site id every deploy record carries.

Two projects deploying to one bucket used to replace each other's site without a word (a
37-file site became another's with 59 uploads and 7 deletions, under the mass-delete limit).
So each project has a site id (``notes init`` writes one into notes.toml as ``site_id``), every
record keeps it, and a deploy whose site id differs from the one in the bucket's latest record
is refused unless the user says ``--adopt``, with an error naming both.

A deploy without a site id (a project made before site ids, such as this repository's sample,
a ``--site`` folder from outside a project, the CDK stack's Lambda) is not checked, and its
record keeps the bucket's site id, so the claim of the project that has one stays.  A bucket
whose latest record has no site id is anyone's: the first deploy with one claims it.

Pure: the engine (``publish``) reads the latest record anyway; this only compares.
"""

from __future__ import annotations

import re
import secrets

from site_builder.core.errors import DeployError
from site_builder.deploy.record import DeployRecord

SITE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def new_site_id(name: str) -> str:
    """A fresh id for a project named ``name``: its name as a slug, and 8 random hex digits
    (two projects named alike still differ)."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40] or "notes"
    return f"{slug}-{secrets.token_hex(4)}"


def check_site(parent: DeployRecord | None, site_id: str | None, bucket: str,
               adopt: bool) -> None:
    """Refuse to replace another project's site (see the module docstring)."""
    theirs = parent.site_id if parent is not None else None
    if site_id is None or theirs is None or site_id == theirs or adopt:
        return
    raise DeployError(
        f"bucket {bucket!r} serves site {theirs!r} (deploy {parent.id}), and this project's "
        f"site_id in notes.toml is {site_id!r}",
        "check that it is the right bucket; if this project is that site, set site_id = "
        f"\"{theirs}\" in notes.toml; to replace that site with this one, pass --adopt")


def record_site(parent: DeployRecord | None, site_id: str | None) -> str | None:
    """The site id a new record keeps: this deploy's, else the bucket's (see above)."""
    return site_id if site_id is not None else (parent.site_id if parent else None)
