// modules.test.js — the viewer's pure modules under node (no browser, no
// stack): the ANSI parser, level detection, filter patterns, entry-id order.

import assert from "node:assert/strict";
import { test } from "node:test";

import { parseAnsi, sgrOnly, stripAnsi } from "../../static/js/ansi.js";
import { idAfter } from "../../static/js/connection.js";
import { describeEvent } from "../../static/js/events.js";
import { compilePattern, makeFilter } from "../../static/js/filter.js";
import { levelOf } from "../../static/js/render.js";

test("SGR colours become classes and every other escape is dropped", () => {
  const segs = parseAnsi("a\u001b[1;31mred\u001b[0m b \u001b[38;5;208mor\u001b[39m \u001b]0;title\u0007\u001b[2Kc");
  assert.deepEqual(
    segs.map((s) => [s.text, s.classes.join(" "), s.fgRgb]),
    [
      ["a", "", null],
      ["red", "fg-red sgr-bold", null],
      [" b ", "", null],
      ["or", "", "rgb(255, 135, 0)"],
      [" ", "", null],
      ["c", "", null],
    ],
  );
  assert.equal(stripAnsi("x\u001b[32my\u001b[0m\u0007z"), "xyz");
  // Out-of-range colour values never reach a style.
  assert.deepEqual(parseAnsi("\u001b[38;2;999;0;0mq").map((s) => s.fgRgb), [null]);
});

test("the Download text keeps SGR colours and drops every other escape and control", () => {
  // The review's line: NUL, BEL, BS, a screen clear, a window-title OSC.
  const line = "nul:\u0000:ctl:\u0007\u0008\u001b[2J\u001b]0;pwned-title\u0007:end \u001b[31mred\u001b[0m\tt\u009b2Jx\u001bcR";
  assert.equal(sgrOnly(line), "nul::ctl::end \u001b[31mred\u001b[0m\ttxcR", "ESC c loses its ESC");
  assert.equal(sgrOnly("plain\rline"), "plainline");
  assert.equal(sgrOnly("\u001b]8;;https://evil.example\u001b\\link\u001b]8;;\u001b\\"), "link");
});

test("markup in a line is plain text to the parser", () => {
  const line = "<img src=x onerror=alert(1)></pre><script>";
  assert.deepEqual(parseAnsi(line), [{ text: line, classes: [], fgRgb: null, bgRgb: null }]);
});

test("the level is the first level word of the line", () => {
  assert.equal(levelOf("2026-11-21 ERROR db down"), "error");
  assert.equal(levelOf("Nov 21 host kernel: CRIT temp"), "error");
  assert.equal(levelOf("[warning] disk 91%"), "warn");
  assert.equal(levelOf("INFO user typed <img onerror=alert(1)> ERROR"), "info");
  assert.equal(levelOf("level=debug msg=tick"), "debug");
  assert.equal(levelOf("an alert(1) and err in prose"), "");
});

test("filters: substring with smart case, regex, exclude, bad regex", () => {
  const sub = compilePattern("login", false);
  assert.equal(sub.test("POST /LOGIN"), true);
  assert.equal(compilePattern("Login", false).test("POST /login"), false);
  const re = compilePattern(" 40\\d$", true);
  assert.deepEqual(re.ranges("POST /login 401"), [[11, 15]]);
  assert.equal(makeFilter(re, "exclude")("GET / 200"), true);
  assert.equal(makeFilter(re, "include")("GET / 200"), false);
  assert.match(compilePattern("(", true).error, /not a valid regular expression/);
  assert.equal(compilePattern("", true), null);
  assert.equal(makeFilter(null, "include")("anything"), true);
});

test("entry ids order by time, then sequence", () => {
  assert.equal(idAfter("1700000000001-0", null), true);
  assert.equal(idAfter("1700000000001-0", "1700000000000-9"), true);
  assert.equal(idAfter("1700000000000-10", "1700000000000-9"), true);
  assert.equal(idAfter("1700000000000-9", "1700000000000-9"), false);
  assert.equal(idAfter("1699999999999-99", "1700000000000-0"), false);
});

test("a stale tailer's replacement is one marker line: the resumed start", () => {
  const ev = (event, fields) => ({ type: "event", event, message: "", fields });
  // Version replacement: the old tailer's goodbye, then its successor.
  const replacement = [
    ev("stopped", { reason: "replaced" }),
    ev("started", { path: "/var/log/a.log", size: "10", backlog: "0", resumed: "1" }),
  ];
  const words = replacement.map((m) => describeEvent(m, { kind: "file", minion: "web-01" }));
  assert.deepEqual(
    words.map((w) => w.marker),
    [null, "js.event.resumed"],
    "under node `t` returns the key",
  );
  assert.equal(words[0].state.key, "stopped", "the state chip still says stopped until the start");
  assert.equal(words[1].state.key, "following");
  // A kill -9 leaves no goodbye: only the resumed start, one marker.
  assert.equal(describeEvent(replacement[1]).marker, "js.event.resumed");
  // A failed resume says so; any other stop keeps its marker.
  const failed = describeEvent(ev("started", { resumed: "0", resume: "file changed" }));
  assert.equal(failed.marker, "js.event.resume_failed");
  for (const reason of ["stop-command", "idle", "max-duration", "error"]) {
    assert.equal(describeEvent(ev("stopped", { reason })).marker, "js.event.stopped", reason);
  }
  assert.equal(describeEvent(ev("started", { path: "/x", size: "1" })).marker, "js.event.started_file_size");
});
