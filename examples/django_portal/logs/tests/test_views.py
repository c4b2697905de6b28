"""The portal's pages against a stand-in logview: sign-in, the page, the error page, reuse per user."""

import json
from urllib.parse import parse_qs

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import TestCase, override_settings

from .fake_logview import FakeLogview

TOKEN = "portal-test-token-0123456789"
PAGE = "/logs/web-01/?path=/var/log/app.log&lines=20"


class PortalPageTests(TestCase):
    def setUp(self):
        self.logview = FakeLogview()
        self.addCleanup(self.logview.close)
        settings = override_settings(LOGVIEW_URL=self.logview.url, LOGVIEW_API_TOKEN=TOKEN, LOGVIEW_REUSE_SECS=60)
        settings.enable()
        self.addCleanup(settings.disable)
        cache.clear()
        self.alice = get_user_model().objects.create_user("alice")
        self.bob = get_user_model().objects.create_user("bob")

    def viewer(self, url="http://logview.test/view/one.sig"):
        self.logview.answer(200, json.dumps({"success": True, "url": url}))

    def test_signing_in_is_required_and_nothing_is_started_before(self):
        res = self.client.get(PAGE)
        self.assertEqual(res.status_code, 302)
        self.assertTrue(res["Location"].startswith("/accounts/login/?next="))
        self.assertEqual(self.logview.requests, [])

    def test_the_page_embeds_the_viewer_in_a_full_document(self):
        self.viewer()
        self.client.force_login(self.alice)
        res = self.client.get(PAGE)
        self.assertEqual(res.status_code, 200)
        html = res.content.decode()
        self.assertTrue(html.startswith("<!doctype html>"))
        self.assertIn('<meta name="viewport" content="width=device-width, initial-scale=1">', html)
        self.assertIn('src="http://logview.test/view/one.sig" title="live log: /var/log/app.log on web-01"', html)
        self.assertEqual(parse_qs(self.logview.requests[0]["body"].decode())["on_behalf_of"], ["alice"])

    def test_a_logview_error_is_a_page_with_the_message_field_and_status(self):
        message = "/var/log/app.log is not a regular file on minion web-01: it does not exist, or it is a directory or some other non-file"
        self.logview.answer(404, json.dumps({"success": False, "message": message, "field": "log_path"}))
        self.client.force_login(self.alice)
        with self.assertLogs("logs.views", "INFO") as logged:
            res = self.client.get(PAGE)
        self.assertIn("(user alice): 404 " + message, logged.output[0])
        self.assertEqual(res.status_code, 404)
        self.assertEqual(res["Content-Type"], "text/html; charset=utf-8")
        html = res.content.decode()
        self.assertIn(message, html)
        self.assertIn('data-field="log_path"', html)
        self.assertNotIn("<iframe", html)

    def test_logview_unreachable_is_a_page_too(self):
        self.logview.close()
        self.client.force_login(self.alice)
        with self.assertLogs("logs.views", "WARNING") as logged:
            res = self.client.get(PAGE)
        self.assertNotIn(TOKEN, "".join(logged.output))
        self.assertEqual(res.status_code, 502)
        self.assertIn("is not reachable", res.content.decode())

    def test_a_missing_path_is_refused_before_logview_is_asked(self):
        self.client.force_login(self.alice)
        res = self.client.get("/logs/web-01/")
        self.assertEqual(res.status_code, 400)
        self.assertIn('data-field="log_path"', res.content.decode())
        self.assertEqual(self.logview.requests, [])

    def test_the_viewer_url_is_reused_per_user_minion_path_and_backlog(self):
        self.viewer("http://logview.test/view/alice.sig")
        self.client.force_login(self.alice)
        self.client.get(PAGE)
        self.viewer("http://logview.test/view/other.sig")
        self.assertIn("view/alice.sig", self.client.get(PAGE).content.decode())
        self.assertEqual(len(self.logview.requests), 1)
        # Another backlog, another path, another user: each its own start.
        self.client.get(PAGE.replace("lines=20", "lines=30"))
        self.client.get(PAGE.replace("app.log", "other.log"))
        self.client.force_login(self.bob)
        self.assertIn("view/other.sig", self.client.get(PAGE).content.decode())
        self.assertEqual(len(self.logview.requests), 4)
        self.assertEqual(parse_qs(self.logview.requests[3]["body"].decode())["on_behalf_of"], ["bob"])

    def test_a_failed_start_is_not_reused(self):
        self.logview.answer(503, json.dumps({"success": False, "message": "Redis down"}))
        self.client.force_login(self.alice)
        with self.assertLogs("logs.views", "WARNING"):
            self.assertEqual(self.client.get(PAGE).status_code, 503)
        self.viewer()
        self.assertEqual(self.client.get(PAGE).status_code, 200)
        self.assertEqual(len(self.logview.requests), 2)

    @override_settings(LOGVIEW_REUSE_SECS=0)
    def test_reuse_can_be_turned_off(self):
        self.viewer()
        self.client.force_login(self.alice)
        self.client.get(PAGE)
        self.client.get(PAGE)
        self.assertEqual(len(self.logview.requests), 2)

    def test_the_form_page_and_signing_out(self):
        self.client.force_login(self.alice)
        html = self.client.get("/").content.decode()
        self.assertIn('action="/logs/"', html)
        self.assertIn('name="minion_id"', html)
        res = self.client.post("/accounts/logout/")
        self.assertEqual((res.status_code, res["Location"]), (302, "/accounts/login/"))
        self.assertEqual(self.client.get(PAGE).status_code, 302)

    def test_the_form_sends_the_minion_as_a_query_parameter(self):
        self.viewer()
        self.client.force_login(self.alice)
        res = self.client.get("/logs/?minion_id=web-01&path=/var/log/app.log&lines=")
        self.assertEqual(res.status_code, 200)
        sent = parse_qs(self.logview.requests[0]["body"].decode())
        self.assertEqual((sent["minion_id"], sent["log_path"]), (["web-01"], ["/var/log/app.log"]))
        self.assertNotIn("line_count", sent)
