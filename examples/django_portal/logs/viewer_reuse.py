"""Reuse of a viewer URL while its tailer is sure to be running.

Every `POST api/tail` costs a Salt round trip (about a second) and, on a
logview that restarts a tailer for each start, replays the backlog into every
viewer of that file. So a page view reuses the URL of an earlier one for the
same (user, minion, path, backlog) for `LOGVIEW_REUSE_SECS`.

Per user, not shared between users: the viewer ticket carries `on_behalf_of`,
and logview's audit trail names it on every viewer attach, so a URL started
for alice and shown to bob would record bob's viewing as alice's.

The bound is the tailer's life, not the ticket's: logview sets the stream's
lease when it starts a tail, and a tailer nobody watches exits
`tail.idle_exit_secs` after the lease (`redis.lease_ttl_secs`) lapses, 75 s
after the start by default. Within that time the tailer is still running,
whether or not anyone watched; after it, a new start is needed.
"""

import hashlib

from django.core.cache import cache


def _key(request):
    parts = (request.on_behalf_of, request.minion_id, request.log_path, request.line_count)
    return "logview-viewer:" + hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()


def viewer_url(request, reuse_secs, start):
    """The cached viewer URL for `request`, else `start(request)`'s (then cached). Returns (url, reused)."""
    if reuse_secs <= 0:
        return start(request), False
    key = _key(request)
    url = cache.get(key)
    if url:
        return url, True
    url = start(request)
    # add, not set: the clock starts at the tail's start; another worker that
    # started the same tail meanwhile keeps its (older) entry.
    cache.add(key, url, timeout=reuse_secs)
    return url, False
