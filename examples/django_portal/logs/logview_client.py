"""The portal's one call to logview: `POST {LOGVIEW_URL}api/tail`, server-side.

The bearer token goes in the Authorization header (never in a URL, never
logged); the fields go form-encoded in the body. Every way the call can fail
becomes one `LogviewError` with the HTTP status the portal should answer and
a message a person can act on. Only the standard library is used.
"""

import http.client
import json
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlencode

# At most this much of an answer is read (logview's answers are a few hundred bytes).
MAX_ANSWER_BYTES = 64 * 1024

# logview's statuses the portal passes on as they are: the user's input (400,
# 404), too busy (429), Salt, saltgate or the minion (502, 503, 504). Any other
# failure status means the portal itself is misconfigured: 502.
PASSED_ON = {400, 404, 429, 502, 503, 504}


@dataclass(frozen=True)
class TailRequest:
    """What the portal asks logview for, and for whom (recorded in logview's audit trail)."""

    minion_id: str
    log_path: str
    line_count: str  # "" = logview's tail.default_lines
    on_behalf_of: str

    def form(self):
        fields = {"minion_id": self.minion_id, "log_path": self.log_path, "on_behalf_of": self.on_behalf_of}
        if self.line_count:
            fields["line_count"] = self.line_count
        return urlencode(fields).encode("ascii")


class LogviewError(Exception):
    """A tail that did not start: the status to answer with, the message, and the field at fault."""

    def __init__(self, status, message, field=None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is refused, not followed: it would carry the token elsewhere or turn the POST into a GET."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


def start_tail(base_url, token, timeout_secs, request):
    """Starts the tail and returns logview's viewer URL, or raises `LogviewError`."""
    url = base_url + "api/tail"
    req = urllib.request.Request(
        url,
        data=request.form(),
        method="POST",
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json",
        },
    )
    try:
        with _OPENER.open(req, timeout=timeout_secs) as resp:
            status, content_type, body = resp.status, resp.headers.get("Content-Type", ""), resp.read(MAX_ANSWER_BYTES)
    except urllib.error.HTTPError as e:
        status, content_type, body = e.code, (e.headers or {}).get("Content-Type", ""), _error_body(e)
    except urllib.error.URLError as e:
        raise _unreachable(url, e.reason, timeout_secs) from e
    except (OSError, http.client.HTTPException) as e:
        raise _unreachable(url, e, timeout_secs) from e
    return _viewer_url(url, status, content_type, body)


def _error_body(error):
    """The body of a failure answer (empty when it cannot be read)."""
    try:
        return error.read(MAX_ANSWER_BYTES)
    except (OSError, http.client.HTTPException, AttributeError):
        return b""
    finally:
        error.close()


def _unreachable(url, reason, timeout_secs):
    if isinstance(reason, (TimeoutError, socket.timeout)):
        return LogviewError(504, f"logview at {url} did not answer within {timeout_secs} s; try again shortly")
    if isinstance(reason, ConnectionRefusedError):
        return LogviewError(502, f"logview at {url} is not reachable (connection refused); is it running?")
    return LogviewError(502, f"logview at {url} is not reachable ({reason}); check LOGVIEW_URL")


def _viewer_url(url, status, content_type, body):
    """logview's answer → the viewer URL, or the `LogviewError` it stands for."""
    if 300 <= status < 400:
        raise LogviewError(502, f"logview at {url} answered with a redirect (HTTP {status}); check LOGVIEW_URL")
    try:
        answer = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        kind = content_type.split(";")[0].strip() or "no Content-Type"
        raise LogviewError(502, f"logview at {url} answered HTTP {status} with {kind}, not JSON; is LOGVIEW_URL logview?")
    if not isinstance(answer, dict):
        raise LogviewError(502, f"logview at {url} answered HTTP {status} with JSON that is not an object")
    message = answer.get("message") if isinstance(answer.get("message"), str) else None
    field = answer.get("field") if isinstance(answer.get("field"), str) else None
    if status == 200 and answer.get("success") is True:
        viewer = answer.get("url")
        if isinstance(viewer, str) and viewer.startswith(("https://", "http://")):
            return viewer
        raise LogviewError(502, f"logview at {url} answered success without an http(s) viewer URL")
    message = message or f"logview answered HTTP {status} without a message"
    if status in (401, 403):
        raise LogviewError(502, f"logview refused the portal's API token (LOGVIEW_API_TOKEN): {message}")
    raise LogviewError(status if status in PASSED_ON else 502, message, field)
