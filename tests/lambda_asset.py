"""Running the publish Lambda's staged code asset (cdk.out) as AWS would: a clean interpreter
(``-I -S``: no site-packages, no user site, no PYTHONPATH) with the asset alone on sys.path,
calling its entry point ``index.handler`` with CloudFormation-shaped events, against moto's
server on 127.0.0.1.  CloudFormation's side is a small HTTP server that records the response
the handler PUTs to ``ResponseURL``; a CloudFront endpoint in front of moto can refuse
CreateInvalidation a given number of times (``TooManyInvalidationsInProgress``).
"""

from __future__ import annotations

import http.client
import io
import json
import subprocess
import sys
import threading
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ASSETS = "cdk-hnb659fds-assets-123456789012-us-east-1"
STACK_ID = "arn:aws:cloudformation:us-east-1:123456789012:stack/NotesSite/0b1c2d3e"
LOG_GROUP = "/aws/lambda/NotesSite-Publish"
# Run in the child: the asset's own modules only, the handler's waits shortened by the test.
_PROBE = """
import json, sys
code, events, patch = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
log_group = sys.argv[4]
sys.path.insert(0, code)
import index
for name, value in patch.items():
    setattr(index, name, tuple(value) if isinstance(value, list) else value)

class Context:
    log_group_name = log_group
    def get_remaining_time_in_millis(self):
        return 13 * 60 * 1000

for event in events:
    index.handler(event, Context())
import boto3, botocore, site_builder
outside = [m.__name__ for m in list(sys.modules.values())
           if getattr(m, "__file__", None) and "site-packages" in m.__file__]
assert not outside, outside
for mod in (boto3, botocore, index, site_builder):
    assert mod.__file__.startswith(code), mod.__file__
print(botocore.__version__)
"""


class _Recorder(BaseHTTPRequestHandler):
    """CloudFormation's pre-signed response URL: remembers each PUT body by path."""

    def do_PUT(self) -> None:  # http.server's naming
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.responses[self.path] = json.loads(body)  # type: ignore[attr-defined]
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


class _CloudFrontFront(BaseHTTPRequestHandler):
    """Forwards to moto, but answers the first ``refuse`` CreateInvalidation requests with
    the error CloudFront gives when three invalidations are already in progress."""

    def _forward(self) -> None:
        server = self.server
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        if self.command == "POST" and self.path.endswith("/invalidation"):
            server.attempts += 1  # type: ignore[attr-defined]
            if server.attempts <= server.refuse:  # type: ignore[attr-defined]
                error = (b'<?xml version="1.0"?><ErrorResponse><Error><Type>Sender</Type>'
                         b"<Code>TooManyInvalidationsInProgress</Code><Message>Processing "
                         b"your request will cause you to exceed the maximum number of "
                         b"in-progress wildcard invalidations.</Message></Error></ErrorResponse>")
                self.send_response(400)
                self.send_header("Content-Type", "text/xml")
                self.send_header("Content-Length", str(len(error)))
                self.end_headers()
                self.wfile.write(error)
                return
        headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
        host, port = urllib.parse.urlsplit(server.moto).netloc.split(":")  # type: ignore
        conn = http.client.HTTPConnection(host, int(port), timeout=30)  # no added headers
        conn.request(self.command, self.path, body=body, headers=headers)
        answer = conn.getresponse()
        data = answer.read()
        conn.close()
        self.send_response(answer.status)
        for key, value in answer.headers.items():
            if key.lower() not in ("content-length", "transfer-encoding", "connection",
                                   "server", "date"):
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = _forward

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def _serve(handler: type, **attrs: Any) -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    for name, value in attrs.items():
        setattr(server, name, value)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def zip_folder(folder: Path) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                zf.write(path, path.relative_to(folder).as_posix())
    return buf.getvalue()


def zip_files(files: Mapping[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for key, body in sorted(files.items()):
            zf.writestr(key, body)
    return buf.getvalue()


def read_zip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {name: zf.read(name) for name in zf.namelist() if not name.endswith("/")}


class LambdaRunner:
    """The staged asset ``code`` against moto at ``endpoint``: ``run`` sends events."""

    def __init__(self, code: Path, endpoint: str, recorder: ThreadingHTTPServer,
                 cloudfront: ThreadingHTTPServer):
        self.code, self.endpoint = code, endpoint
        self.recorder, self.cloudfront = recorder, cloudfront
        self._count = 0
        self.stderr = ""

    def event(self, request: str, props: dict[str, Any], old: dict[str, Any] | None = None,
              physical: str | None = None) -> dict[str, Any]:
        self._count += 1
        host, port = self.recorder.server_address[:2]
        event = {"RequestType": request, "ServiceToken": "arn:aws:lambda:us-east-1:"
                 "123456789012:function:NotesSite-Publish",
                 "ResponseURL": f"http://{host}:{port}/response/{self._count}",
                 "StackId": STACK_ID, "RequestId": f"req-{self._count}",
                 "LogicalResourceId": "Publish", "ResourceType": "Custom::NotesSitePublish",
                 "ResourceProperties": props}
        if old is not None:
            event["OldResourceProperties"] = old
        if physical is not None:
            event["PhysicalResourceId"] = physical
        return event

    def run(self, *events: dict[str, Any], refuse_invalidations: int = 0,
            **patch: Any) -> list[dict[str, Any]]:
        """Invoke the asset once per event (one interpreter for the batch); the responses
        CloudFormation received, in order."""
        self.cloudfront.refuse, self.cloudfront.attempts = refuse_invalidations, 0
        fhost, fport = self.cloudfront.server_address[:2]
        env = {"PATH": "/usr/bin:/bin", "AWS_EC2_METADATA_DISABLED": "true",
               "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
               "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1",
               "AWS_ENDPOINT_URL": self.endpoint,
               "AWS_ENDPOINT_URL_CLOUDFRONT": f"http://{fhost}:{fport}",
               "AWS_LAMBDA_LOG_STREAM_NAME": "2026/11/30/[$LATEST]0123abcd"}
        done = subprocess.run(
            [sys.executable, "-I", "-S", "-c", _PROBE, str(self.code), json.dumps(events),
             json.dumps(patch), LOG_GROUP],
            cwd=self.code, env=env, capture_output=True, text=True, timeout=240, check=False)
        self.stderr = done.stderr
        assert done.returncode == 0, done.stderr[-4000:]
        return [self.recorder.responses.pop(urllib.request.urlparse(e["ResponseURL"]).path)
                for e in events]


@contextmanager
def lambda_runner(code: Path, endpoint: str) -> Iterator[LambdaRunner]:
    with _serve(_Recorder, responses={}) as recorder, \
            _serve(_CloudFrontFront, moto=endpoint, refuse=0, attempts=0) as front:
        yield LambdaRunner(code, endpoint, recorder, front)
