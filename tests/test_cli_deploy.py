"""`notes deploy/history/rollback/verify` through site_builder.cli.main: exact output, exit codes."""

from __future__ import annotations

import io
import json
import re
import sys
from datetime import UTC, datetime

import boto3
import pytest
from botocore.stub import Stubber
from test_deploy_publish import SITE_V1, Calls, page, site_v2, write_site

import site_builder.cli.connect as cli_connect
from site_builder.cli import main
from site_builder.deploy import history
from site_builder.deploy.manifest import OUTPUT_MARKER

URL = "Website: http://notes-test-site.s3-website-us-east-1.amazonaws.com/"


def run(capsys, *argv: str) -> tuple[int, list[str], str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out.splitlines(), err


def test_deploy_then_redeploy_then_edit(s3, bucket, tmp_path, capsys):
    site = str(write_site(tmp_path / "s", SITE_V1))
    code, out, err = run(capsys, "deploy", "--bucket", bucket, "--site", site, "--message", "v1")
    first = history(s3, bucket)[0]
    assert (code, err) == (0, "")  # no progress bar when stderr is not a terminal
    assert out == ["15 to upload, 0 to delete, 0 unchanged", f"Deployed {first.id}.", URL]
    assert first.message == "v1"

    code, out, _ = run(capsys, "deploy", "--bucket", bucket, "--site", site)
    assert (code, out) == (0, [
        "0 to upload, 0 to delete, 15 unchanged",
        f"Nothing to deploy: the bucket already serves this site (deploy {first.id}).", URL])

    write_site(tmp_path / "s", site_v2())
    code, out, _ = run(capsys, "deploy", "--bucket", bucket, "--site", site, "--dry-run")
    assert (code, out) == (0, [
        "4 to upload, 1 to delete, 11 unchanged",
        "  upload  docker/layers/index.html (md5 differs)",
        "  upload  git/rebase/index.html (new)",
        "  upload  index.html (md5 differs)",
        "  upload  feed.xml (md5 differs)",
        "  delete  docker/networking/index.html",
        "Dry run: nothing was changed."])
    assert len(history(s3, bucket)) == 1


def test_history_rollback_verify(two_deploys, s3, bucket, capsys):
    v2, v1 = two_deploys

    code, out, _ = run(capsys, "rollback", "--bucket", bucket)
    back = history(s3, bucket)[0]
    restored = sorted(k for k in ("docker/layers/index.html", "docker/networking/index.html",
                                  "index.html", "feed.xml"))
    lines = {k: f"  upload  {k} (restore version {v1.files[k].version_id})" for k in restored}
    assert code == 0
    assert out == [
        f"Rolling back to {v1.id} (deploy of {v1.created[:19].replace('T', ' ')}: first)",
        "4 to upload, 1 to delete, 11 unchanged",
        lines["docker/layers/index.html"], lines["docker/networking/index.html"],
        lines["index.html"], lines["feed.xml"],
        "  delete  git/rebase/index.html",
        f"Rolled back: new record {back.id}."]

    code, out, _ = run(capsys, "history", "--bucket", bucket)
    assert code == 0 and out[0].split() == ["ID", "CREATED", "KIND", "SOURCE", "UP", "DEL",
                                            "SAME", "MESSAGE"]
    assert [line.split()[0] for line in out[1:]] == [back.id, v2.id, v1.id]
    assert out[1].split()[3:] == ["rollback", "cli", "4", "1", "11", "rollback", "to", v1.id]
    assert out[3].split()[3:] == ["deploy", "cli", "15", "0", "0", "first"]

    code, out, _ = run(capsys, "history", "--bucket", bucket, "--json")
    data = json.loads("\n".join(out))
    assert [d["id"] for d in data] == [back.id, v2.id, v1.id]
    assert all("files" not in d for d in data) and data[0]["target"] == v1.id

    code, out, _ = run(capsys, "verify", "--bucket", bucket)
    assert (code, out) == (0, [f"No drift: bucket {bucket} matches deploy {back.id} (15 files)."])
    s3.put_object(Bucket=bucket, Key="extra.html", Body=page("note", "x").encode())
    code, out, _ = run(capsys, "verify", "--bucket", bucket)
    assert (code, out) == (1, ["unexpected  extra.html",
                               (f"Drift: 1 difference from deploy {back.id}; "
                               "`notes deploy --check-drift` repairs them.")])


@pytest.mark.parametrize(("setup", "message"), [
    ("missing", ("Error: bucket 'no-such-bucket' does not exist (check --bucket/--region, or "
                "create it with `npx cdk deploy`)")),
    ("unversioned", ("Error: versioning is not enabled on bucket 'no-such-bucket' (enable it "
                    "(`aws s3api put-bucket-versioning --bucket no-such-bucket "
                    "--versioning-configuration Status=Enabled`); the CDK stack does this)")),
])
def test_bucket_errors(s3, tmp_path, capsys, setup, message):
    if setup == "unversioned":
        s3.create_bucket(Bucket="no-such-bucket")
    site = str(write_site(tmp_path / "s", SITE_V1))
    for argv in (["deploy", "--site", site], ["rollback"], ["history"], ["verify"]):
        if setup == "unversioned" and argv[0] in ("history", "verify"):
            continue  # reading works without versioning
        code, out, err = run(capsys, *argv, "--bucket", "no-such-bucket")
        assert (code, out, err) == (1, [], message + "\n")


def test_no_credentials(aws_credentials, monkeypatch, tmp_path, capsys):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SECURITY_TOKEN",
                 "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    code, out, err = run(capsys, "history", "--bucket", "notes-test-site")
    assert (code, out) == (1, [])
    assert err == ("Error: no AWS credentials found (configure AWS credentials: `aws configure`, "
                   "AWS_PROFILE, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)\n")


def test_no_bucket_and_notes_toml_default(s3, bucket, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, "history")
    assert (code, err) == (1, ("Error: no bucket given (pass --bucket NAME or --stack NAME, or "
                              "set bucket in the [deploy] table of notes.toml)\n"))
    (tmp_path / "notes.toml").write_text(f'title = "T"\n[deploy]\nbucket = "{bucket}"\n')
    code, out, _ = run(capsys, "history")
    assert (code, out) == (0, [f"No deploys recorded in bucket {bucket}."])


def test_mass_delete_flags(s3, bucket, tmp_path, capsys):
    big = dict(SITE_V1, **{f"n/{i}/index.html": page("note", str(i)) for i in range(12)})
    site = str(write_site(tmp_path / "s", big))
    main(["deploy", "--bucket", bucket, "--site", site])
    write_site(tmp_path / "s", SITE_V1)
    capsys.readouterr()
    code, _, err = run(capsys, "deploy", "--bucket", bucket, "--site", site, "--max-deletes", "5")
    assert code == 1 and err.startswith("Error: this deploy would delete 12 of 27 live objects "
                                        "(limit 5)")
    code, out, _ = run(capsys, "deploy", "--bucket", bucket, "--site", site,
                       "--allow-mass-delete")
    assert code == 0 and out[0] == "0 to upload, 12 to delete, 15 unchanged"
    with pytest.raises(SystemExit):
        main(["deploy", "--bucket", bucket, "--max-deletes", "3", "--allow-mass-delete"])


@pytest.mark.parametrize("value", ["-1", "two"])
def test_max_deletes_is_a_count(value, capsys):
    """A negative limit used to be accepted and refused every deletion with "limit -1"."""
    with pytest.raises(SystemExit) as exit_:
        main(["deploy", "--bucket", "b", "--max-deletes", value])
    assert exit_.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"notes deploy: error: argument --max-deletes: expected a whole number of at least 0, "
        f"got '{value}'")


def stack_outputs(monkeypatch, **outputs: str) -> Stubber:
    """Make the CLI's CloudFormation client answer one DescribeStacks of stack NotesSite with
    ``outputs`` (moto has no CDK stack to read); S3 and CloudFront stay moto's."""
    cfn = boto3.client("cloudformation", region_name="us-east-1")
    stubber = Stubber(cfn)
    stubber.add_response("describe_stacks", {"Stacks": [{
        "StackName": "NotesSite", "CreationTime": datetime.now(UTC),
        "StackStatus": "UPDATE_COMPLETE",
        "Outputs": [{"OutputKey": k, "OutputValue": v} for k, v in outputs.items()]}]},
        {"StackName": "NotesSite"})
    stubber.activate()
    real = cli_connect.make_client
    monkeypatch.setattr(cli_connect, "make_client",
                        lambda service, args: cfn if service == "cloudformation"
                        else real(service, args))
    return stubber


def test_stack_flag_reads_bucket_output(s3, bucket, tmp_path, capsys, monkeypatch):
    main(["deploy", "--bucket", bucket, "--site", str(write_site(tmp_path / "s", SITE_V1))])
    capsys.readouterr()
    stubber = stack_outputs(monkeypatch, BucketName=bucket)
    code, out, _ = run(capsys, "verify", "--stack", "NotesSite")
    record = history(s3, bucket)[0]
    assert (code, out) == (0, [(f"No drift: bucket {bucket} matches deploy {record.id} "
                                "(15 files).")])
    stubber.assert_no_pending_responses()


# --- deploy without --site: build first, then publish --------------------------------------

NOTES = {
    "content/first.md": ("---\ntitle: First note\ndate: 2024-05-01\ntags: [demo]\n---\n"
                         "Hello, see [[Second note]].\n"),
    "content/second.md": "# Second note\n\nBack to [the first](first.md).\n",
    "notes.toml": 'title = "Tiny"\nbase_url = "https://notes.example.org/"\n',
}


def tiny_project(root, extra: dict[str, str] | None = None):
    for rel, text in {**NOTES, **(extra or {})}.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def test_deploy_without_site_builds_then_publishes(s3, bucket, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tiny_project(tmp_path))
    code, out, err = run(capsys, "deploy", "--bucket", bucket, "--message", "built here")
    built = tmp_path / "build" / "site"
    files = {p.relative_to(built).as_posix(): p.read_bytes()
             for p in built.rglob("*") if p.is_file() and p.name != OUTPUT_MARKER}
    record = history(s3, bucket)[0]
    assert (code, err) == (0, "")
    # Every .html file is a page (8 since the graph page).
    pages = sum(1 for name in files if name.endswith(".html"))
    assert out == [f"Built {pages} pages ({len(files)} files) into build/site/",
                   f"{len(files)} to upload, 0 to delete, 0 unchanged",
                   f"Deployed {record.id}.", URL]
    assert {"first/index.html", "second/index.html", "index.html", "404.html", "feed.xml",
            "sitemap.xml", "tags/demo/index.html", "pagefind/pagefind-ui.js"} <= set(files)
    live = {k: s3.get_object(Bucket=bucket, Key=k)["Body"].read()
            for k in (o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"])
            if not k.startswith("_notes/")}
    assert live == files
    assert b"Second note" in live["first/index.html"]  # the wiki link was resolved and built
    assert record.message == "built here" and set(record.files) == set(files)

    code, out, _ = run(capsys, "deploy", "--bucket", bucket)  # rebuild: nothing changed
    assert (code, out[1:3]) == (0, [
        f"0 to upload, 0 to delete, {len(files)} unchanged",
        f"Nothing to deploy: the bucket already serves this site (deploy {record.id})."])


def test_deploy_build_error_is_one_line_and_uploads_nothing(s3, bucket, tmp_path, capsys,
                                                            monkeypatch):
    broken = {"content/third.md": "# Third\n\nSee [[First note]] and [[Nowhere]].\n"}
    monkeypatch.chdir(tiny_project(tmp_path, broken))
    code, out, err = run(capsys, "deploy", "--bucket", bucket)
    assert (code, out) == (1, [])
    assert err == ("Error: content/third.md:3: broken link to 'Nowhere' (no note titled or "
                   "named 'Nowhere')\n")
    assert "Versions" not in s3.list_object_versions(Bucket=bucket)
    assert not (tmp_path / "build" / "site").exists()


# --- progress bar ----------------------------------------------------------------------------

class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_redraws_one_line_on_a_terminal():
    stream = FakeTerminal()
    bar = cli_connect.ProgressBar(stream)
    for done in (1, 2, 4):
        bar(done, 4)
    bar.close()  # already ended: adds nothing
    assert stream.getvalue() == ("\r[#######-----------------------] 1/4"
                                 "\r[###############---------------] 2/4"
                                 "\r[##############################] 4/4\n")


def test_progress_bar_silent_off_terminal_and_for_empty_uploads():
    plain = io.StringIO()
    bar = cli_connect.ProgressBar(plain)
    bar(1, 2)
    bar.close()
    term = FakeTerminal()
    cli_connect.ProgressBar(term)(0, 0)
    assert (plain.getvalue(), term.getvalue()) == ("", "")


def test_deploy_progress_on_terminal_stderr_and_failed_upload_ends_the_line(
        s3, bucket, tmp_path, capsys, monkeypatch):
    assets = ("/assets/style.3f2a9c1b.css", "/docker/img/layers.svg", "/pagefind/pagefind.js",
              "/pagefind/index/en_b2deec9.pf_index")
    links = "".join(f'<link href="{a}">' for a in assets)
    files = {k: v.replace("</body>", links + "</body>") if k.endswith(".html") else v
             for k, v in SITE_V1.items()}  # every page links the 4 assets: they go up first
    site = str(write_site(tmp_path / "s", files))
    monkeypatch.setattr(cli_connect, "make_client", lambda service, args: s3)
    term = FakeTerminal()
    monkeypatch.setattr(sys, "stderr", term)
    calls = Calls(s3, fail_after=4)  # the 4 assets (the first upload wave) go through
    code, out, _ = run(capsys, "deploy", "--bucket", bucket, "--site", site)
    bar_line, error_line, rest = term.getvalue().split("\n")
    assert (code, out, rest) == (1, [], "")
    assert bar_line.startswith("\r[##----------------------------] 1/15\r")
    assert "\r[########----------------------] 4/15" in bar_line
    assert "15/15" not in bar_line  # stopped midway ...
    assert error_line.startswith("Error: S3 PutObject failed")  # ... and the error has its line

    calls.fail_after = None
    term.seek(0)
    term.truncate()
    code, out, _ = run(capsys, "deploy", "--bucket", bucket, "--site", site)
    left = int(out[0].split()[0])  # what the failed deploy did not upload
    assert code == 0 and out[-2] == f"Deployed {history(s3, bucket)[0].id}."
    assert 0 < left <= 11 and out[0] == f"{left} to upload, 0 to delete, {15 - left} unchanged"
    assert term.getvalue().endswith(f"] {left}/{left}\n")  # stdout carries no bar
    assert term.getvalue().count("\n") == 1


# --- unlock, --force-unlock, --adopt, warnings, region ------------------------------------------

def ages(lines: list[str]) -> list[str]:
    """A lock's age in seconds depends on timing (S3's LastModified has whole seconds)."""
    return [re.sub(r"renewed \d+ s ago", "renewed N s ago", line) for line in lines]


def _alice_lock(s3, bucket, **kw):
    from site_builder.deploy.lock import Owner, acquire

    return acquire(s3, bucket, "deploy", owner=Owner("alice", "laptop", 42, "deploy", "op1"),
                   **kw)


def test_unlock_shows_a_live_lock_and_breaks_it_only_when_confirmed(s3, bucket, tmp_path,
                                                                    capsys, monkeypatch):
    code, out, _ = run(capsys, "unlock", "--bucket", bucket)
    assert (code, out) == (0, [f"No lock on bucket {bucket}."])
    held = _alice_lock(s3, bucket)
    code, out, _ = run(capsys, "unlock", "--bucket", bucket)
    shown = (f"Lock: bucket '{bucket}' is locked by alice@laptop pid 42 (deploy op1) since "
             f"{held.body.acquired} (lease renewed N s ago)")
    assert (code, ages(out)) == (0, [shown, ("It is live: wait for it to finish, or break it with "
                               "--force-unlock.")])
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))  # not a terminal
    code, out, err = run(capsys, "unlock", "--bucket", bucket, "--force-unlock")
    assert (code, ages(out), err) == (1, [shown], (
        "Error: --force-unlock would break a live lock, and there is no terminal to confirm "
        "it (pass --yes as well to break it)\n"))
    terminal = FakeTerminal("n\n")
    monkeypatch.setattr(sys, "stdin", terminal)
    code, _, err = run(capsys, "unlock", "--bucket", bucket, "--force-unlock")
    assert (code, err) == (1, ("Break this live lock? Its operation stops before its next "
                              "write. [y/N] Error: the lock was not broken (wait for its "
                              "operation to finish)\n"))  # (a terminal echoes the Enter)
    monkeypatch.setattr(sys, "stdin", FakeTerminal("y\n"))
    code, out, _ = run(capsys, "unlock", "--bucket", bucket, "--force-unlock")
    assert code == 0 and out[-1].startswith("Lock broken; the next deploy")
    assert run(capsys, "unlock", "--bucket", bucket)[1] == [f"No lock on bucket {bucket}."]
    site = str(write_site(tmp_path / "s", SITE_V1))
    assert run(capsys, "deploy", "--bucket", bucket, "--site", site)[0] == 0
    assert history(s3, bucket)[0].broke_lock["holder"] == "alice@laptop pid 42 (deploy op1)"


def test_unlock_breaks_a_stale_lock_without_asking(s3, bucket, capsys, monkeypatch):
    from site_builder.deploy import lock

    _alice_lock(s3, bucket, lease_seconds=0.5)
    real = lock.read_lock
    monkeypatch.setattr(lock, "read_lock", lambda c, b, clock=None: real(
        c, b, lambda: datetime.now(UTC).replace(year=2099)))
    code, out, _ = run(capsys, "unlock", "--bucket", bucket)
    assert code == 0 and "lease expired" in out[0] and out[1].startswith("Lock broken")


def test_deploy_force_unlock_needs_yes_off_a_terminal(s3, bucket, tmp_path, capsys,
                                                      monkeypatch):
    _alice_lock(s3, bucket)
    site = str(write_site(tmp_path / "s", SITE_V1))
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    code, _, err = run(capsys, "deploy", "--bucket", bucket, "--site", site, "--force-unlock")
    assert code == 1 and "pass --yes as well" in err
    code, out, _ = run(capsys, "deploy", "--bucket", bucket, "--site", site, "--force-unlock",
                       "--yes")
    assert code == 0 and out[0].startswith("Lock: bucket") and out[-2].startswith("Deployed")
    assert history(s3, bucket)[0].broke_lock["reason"] == "forced"


def test_dry_runs_with_force_unlock_neither_ask_nor_break(s3, bucket, tmp_path, capsys,
                                                          monkeypatch):
    """A dry run takes no lock, so --force-unlock has nothing to break: deploy (like rollback)
    prints its plan instead of refusing for want of a terminal, and the live lock survives."""
    site = str(write_site(tmp_path / "s", SITE_V1))
    assert run(capsys, "deploy", "--bucket", bucket, "--site", site)[0] == 0
    write_site(tmp_path / "s", site_v2())
    held = _alice_lock(s3, bucket)
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))  # not a terminal
    for argv in (["deploy", "--site", site], ["rollback", "--to", history(s3, bucket)[0].id]):
        code, out, err = run(capsys, *argv, "--bucket", bucket, "--dry-run", "--force-unlock")
        assert (code, out[-1], err) == (0, "Dry run: nothing was changed.", ""), argv
        assert not any(line.startswith("Lock:") for line in out), argv
        code, out, _ = run(capsys, "unlock", "--bucket", bucket)
        assert ages(out)[1:] == [("It is live: wait for it to finish, or break it with "
                                 "--force-unlock.")], argv
    held.release()


def test_first_deploy_into_a_used_bucket_needs_adopt(s3, bucket, tmp_path, capsys):
    for key in ("old/a.html", "old/b.html", "old/c.html", "z.txt"):
        s3.put_object(Bucket=bucket, Key=key, Body=b"theirs")
    site = str(write_site(tmp_path / "s", SITE_V1))
    code, out, err = run(capsys, "deploy", "--bucket", bucket, "--site", site)
    assert (code, out, err) == (1, [], (
        "Error: the bucket holds 4 objects that no deploy record knows (old/a.html, old/b.html, "
        "old/c.html, ...), and this first deploy would delete them (check that it is the right "
        "bucket; pass --adopt to take it over and delete them)\n"))
    assert s3.get_object(Bucket=bucket, Key="z.txt")["Body"].read() == b"theirs"
    code, out, _ = run(capsys, "deploy", "--bucket", bucket, "--site", site, "--adopt")
    assert code == 0 and out[0] == "15 to upload, 4 to delete, 0 unchanged"
    # later deploys have a record: objects added by hand are drift, deleted without --adopt
    # once the bucket is listed (within the hour after a listing: asked for by --check-drift)
    s3.put_object(Bucket=bucket, Key="stray.html", Body=b"x")
    code, out, _ = run(capsys, "deploy", "--bucket", bucket, "--site", site)
    assert code == 0 and out[0] == "0 to upload, 0 to delete, 15 unchanged"
    code, out, _ = run(capsys, "verify", "--bucket", bucket)
    assert code == 1 and "unexpected  stray.html" in out
    code, out, _ = run(capsys, "deploy", "--bucket", bucket, "--site", site, "--check-drift")
    assert code == 0 and out[0] == "0 to upload, 1 to delete, 15 unchanged"


def test_history_warns_about_bad_records_and_verify_names_them(s3, bucket, tmp_path, capsys):
    site = str(write_site(tmp_path / "s", SITE_V1))
    run(capsys, "deploy", "--bucket", bucket, "--site", site)
    good = history(s3, bucket)[0]
    bad = "_notes/deploys/29990101-000000-000000-abcd.json"
    s3.put_object(Bucket=bucket, Key=bad, Body=b"{}")
    s3.put_object(Bucket=bucket, Key="_notes/deploys/zz-backup.json", Body=b"[]")
    truncated = f"_notes/deploys/{good.id[:-4]}ffff.json"
    s3.put_object(Bucket=bucket, Key=truncated, Body=b'{"id": "x", "fi')
    code, out, err = run(capsys, "history", "--bucket", bucket)
    assert code == 0 and [line.split()[0] for line in out[1:]] == [good.id]
    assert err.splitlines() == [
        f"Warning: ignoring deploy record {bad}: its id is more than a day in the future",
        f"Warning: skipping invalid deploy record {truncated}: not valid JSON"]
    code, out, err = run(capsys, "verify", "--bucket", bucket)
    assert (code, out) == (1, [])
    assert err.splitlines()[-1] == (
        f"Error: invalid deploy record {truncated}: not valid JSON (move it out of "
        "_notes/deploys/ or restore an earlier version of it)")
    code, out, err = run(capsys, "deploy", "--bucket", bucket, "--site", site)
    assert code == 0 and f"Warning: skipping invalid deploy record {truncated}" in err


def test_website_url_uses_the_buckets_region(s3, tmp_path, capsys):
    s3.create_bucket(Bucket="notes-eu", CreateBucketConfiguration={
        "LocationConstraint": "eu-central-1"})
    s3.put_bucket_versioning(Bucket="notes-eu", VersioningConfiguration={"Status": "Enabled"})
    site = str(write_site(tmp_path / "s", SITE_V1))
    code, out, _ = run(capsys, "deploy", "--bucket", "notes-eu", "--site", site,
                       "--region", "us-east-1")
    assert (code, out[-1]) == (0, ("Website: http://notes-eu.s3-website.eu-central-1"
                                  ".amazonaws.com/"))
