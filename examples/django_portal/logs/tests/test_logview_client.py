"""logview_client against a stand-in logview: what is sent, and every way an answer can fail."""

import json
import socket
from urllib.parse import parse_qs

from django.test import SimpleTestCase

from logs.logview_client import LogviewError, TailRequest, start_tail

from .fake_logview import FakeLogview

TOKEN = "test-token-0123456789abcdef"
REQUEST = TailRequest(minion_id="web-01", log_path="/var/log/app.log", line_count="50", on_behalf_of="alice")


class LogviewClientTests(SimpleTestCase):
    def setUp(self):
        self.logview = FakeLogview()
        self.addCleanup(self.logview.close)

    def start(self, request=REQUEST, timeout=5):
        return start_tail(self.logview.url, TOKEN, timeout, request)

    def error(self, **kwargs):
        with self.assertRaises(LogviewError) as caught:
            self.start(**kwargs)
        return caught.exception

    def test_posts_the_fields_in_the_body_and_the_token_in_the_header(self):
        self.logview.answer(200, json.dumps({"success": True, "url": "http://logview.test/view/abc.def"}))
        self.assertEqual(self.start(), "http://logview.test/view/abc.def")
        [got] = self.logview.requests
        self.assertEqual(got["path"], "/api/tail")  # nothing in the URL
        self.assertEqual(got["headers"]["Authorization"], f"Bearer {TOKEN}")
        self.assertEqual(
            parse_qs(got["body"].decode()),
            {"minion_id": ["web-01"], "log_path": ["/var/log/app.log"], "line_count": ["50"], "on_behalf_of": ["alice"]},
        )

    def test_no_line_count_leaves_the_backlog_to_logview(self):
        self.logview.answer(200, json.dumps({"success": True, "url": "http://logview.test/view/x"}))
        self.start(request=TailRequest("web-01", "/var/log/app.log", "", "alice"))
        self.assertNotIn("line_count", parse_qs(self.logview.requests[0]["body"].decode()))

    def test_an_input_error_keeps_logviews_status_message_and_field(self):
        message = "/var/log/app.log is not a regular file on minion web-01: it does not exist, or it is a directory or some other non-file"
        self.logview.answer(404, json.dumps({"success": False, "message": message, "field": "log_path"}))
        e = self.error()
        self.assertEqual((e.status, e.message, e.field), (404, message, "log_path"))

    def test_salt_failures_keep_their_status(self):
        for status in (502, 503, 504, 429):
            self.logview.answer(status, json.dumps({"success": False, "message": f"m{status}"}))
            e = self.error()
            self.assertEqual((e.status, e.message, e.field), (status, f"m{status}", None))

    def test_a_refused_token_is_the_portals_misconfiguration(self):
        self.logview.answer(401, json.dumps({"success": False, "message": "the bearer token is not valid"}))
        e = self.error()
        self.assertEqual(e.status, 502)
        self.assertIn("LOGVIEW_API_TOKEN", e.message)
        self.assertIn("the bearer token is not valid", e.message)
        self.assertNotIn(TOKEN, e.message)

    def test_a_non_json_answer_says_what_came(self):
        self.logview.answer(502, "<html><body>Bad Gateway</body></html>", content_type="text/html; charset=utf-8")
        e = self.error()
        self.assertEqual(e.status, 502)
        self.assertIn("HTTP 502 with text/html, not JSON", e.message)

    def test_a_success_without_a_viewer_url_is_refused(self):
        for body in ('{"success": true}', '{"success": true, "url": "javascript:alert(1)"}', "[1, 2]"):
            self.logview.answer(200, body)
            self.assertEqual(self.error().status, 502, body)

    def test_a_redirect_is_not_followed(self):
        self.logview.answer(302, "", content_type="text/plain", headers={"Location": "http://elsewhere.test/api/tail"})
        e = self.error()
        self.assertEqual(e.status, 502)
        self.assertIn("redirect", e.message)
        self.assertEqual(len(self.logview.requests), 1)

    def test_connection_refused(self):
        with socket.socket() as s:  # a port that nothing listens on once closed
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        with self.assertRaises(LogviewError) as caught:
            start_tail(f"http://127.0.0.1:{port}/", TOKEN, 5, REQUEST)
        self.assertEqual(caught.exception.status, 502)
        self.assertIn("connection refused", caught.exception.message)

    def test_no_answer_in_time(self):
        self.logview.answer(200, "{}", delay_secs=3)
        e = self.error(timeout=0.5)
        self.assertEqual(e.status, 504)
        self.assertIn("did not answer within 0.5 s", e.message)
