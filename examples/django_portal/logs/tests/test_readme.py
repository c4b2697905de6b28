"""The README's Django view (section "Django integration") runs as printed, against a stand-in logview."""

import json
import re
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.test import RequestFactory, TestCase, override_settings

from logs.logview_client import LogviewError, TailRequest, start_tail

from .fake_logview import FakeLogview

README = Path(__file__).resolve().parents[4] / "README.md"


def readme_view():
    """`watch_log` defined by the README's Python block, with the imports the README leaves out."""
    section = README.read_text(encoding="utf-8").split("## Django integration", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    namespace = {
        "login_required": login_required,
        "render": render,
        "settings": settings,
        "LogviewError": LogviewError,
        "TailRequest": TailRequest,
        "start_tail": start_tail,
    }
    exec(compile(code, str(README), "exec"), namespace)
    return namespace["watch_log"]


class ReadmeViewTests(TestCase):
    def setUp(self):
        self.logview = FakeLogview()
        self.addCleanup(self.logview.close)
        patched = override_settings(LOGVIEW_URL=self.logview.url)
        patched.enable()
        self.addCleanup(patched.disable)
        self.view = readme_view()
        self.request = RequestFactory().get("/logs/web-01/", {"path": "/var/log/app.log"})
        self.request.user = get_user_model().objects.create_user("carol")

    def test_it_embeds_the_viewer_url_for_the_signed_in_user(self):
        self.logview.answer(200, json.dumps({"success": True, "url": "http://logview.test/view/r.sig"}))
        res = self.view(self.request, "web-01")
        self.assertEqual(res.status_code, 200)
        self.assertIn('src="http://logview.test/view/r.sig"', res.content.decode())
        self.assertIn(b"on_behalf_of=carol", self.logview.requests[0]["body"])

    def test_it_renders_logviews_error_with_its_status(self):
        self.logview.answer(404, json.dumps({"success": False, "message": "file x does not exist", "field": "log_path"}))
        res = self.view(self.request, "web-01")
        self.assertEqual(res.status_code, 404)
        self.assertIn("file x does not exist", res.content.decode())
