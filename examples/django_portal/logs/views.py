"""The portal's pages: a form, and a live log of one file on one minion.

Every page needs a signed-in Django user. The viewer URL is asked for on the
server (`POST api/tail` with the portal's token, on behalf of that user) and
embedded in an iframe; logview must allow the portal's origin in
`server.frame_ancestors`. Failures are a page with logview's message (and the
field at fault) and a fitting status, never a traceback or raw JSON.
"""

import logging

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from . import logview_client, viewer_reuse
from .logview_client import LogviewError, TailRequest

logger = logging.getLogger(__name__)


def may_watch(user, minion_id, log_path):
    """Whether `user` may watch `log_path` on `minion_id`.

    The portal's token opens any file logview allows on any minion, so this is
    where a real portal checks its own rules (groups, per-host permissions).
    The example lets every active, signed-in user watch.
    """
    return user.is_active


@login_required
def index(request):
    return render(request, "logs/index.html", {"form": _form_values(request, request.GET.get("minion_id", ""))})


@login_required
def watch_from_form(request):
    """What the form on the index page sends: the minion id as a query parameter."""
    return _watch(request, request.GET.get("minion_id", "").strip())


@login_required
def watch_log(request, minion_id):
    return _watch(request, minion_id)


def _watch(request, minion_id):
    form = _form_values(request, minion_id)
    try:
        tail = _tail_request(request, form)
        url, reused = viewer_reuse.viewer_url(tail, settings.LOGVIEW_REUSE_SECS, _start)
    except LogviewError as e:
        return render(request, "logs/error.html", {"error": e, "form": form}, status=e.status)
    return render(request, "logs/watch.html", {"form": form, "viewer_url": url, "reused": reused})


def _form_values(request, minion_id):
    return {
        "minion_id": minion_id,
        "path": request.GET.get("path", "").strip(),
        "lines": request.GET.get("lines", "").strip(),
    }


def _tail_request(request, form):
    if not form["minion_id"]:
        raise LogviewError(400, "choose a minion: its Salt minion id, e.g. web-01", "minion_id")
    if not form["path"]:
        raise LogviewError(400, "choose a log file: its absolute path on the minion", "log_path")
    if not may_watch(request.user, form["minion_id"], form["path"]):
        raise LogviewError(403, f"you may not watch {form['path']} on {form['minion_id']}")
    return TailRequest(
        minion_id=form["minion_id"],
        log_path=form["path"],
        line_count=form["lines"],
        on_behalf_of=request.user.get_username(),
    )


def _start(tail):
    try:
        return logview_client.start_tail(
            settings.LOGVIEW_URL, settings.LOGVIEW_API_TOKEN, settings.LOGVIEW_TIMEOUT_SECS, tail
        )
    except LogviewError as e:
        # The operator's side of the story (no token: it is never part of e).
        log = logger.warning if e.status >= 500 else logger.info
        log("api/tail for %s on %s (user %s): %s %s", tail.log_path, tail.minion_id, tail.on_behalf_of, e.status, e)
        raise
