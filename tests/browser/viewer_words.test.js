// viewer_words.test.js — the viewer's pure modules under node (no browser,
// no stack), for what issue 10 found wrong: ANSI inverse swaps the colours,
// a failed command is an error, "started" names the minion (not the host),
// one line is "1 line", times come from the stream entry id. The words are
// the English catalogue's (locales/en.toml), embedded the way a page embeds
// them for static/js/i18n.js.

import assert from "node:assert/strict";
import fs from "node:fs";
import { test } from "node:test";

/** The `js.*` words of a catalogue (flat `key = "text"` lines under `[table]` headers). */
function scriptWords(file) {
  const words = {};
  let table = "";
  for (const line of fs.readFileSync(new URL(file, import.meta.url), "utf8").split("\n")) {
    const header = /^\[([A-Za-z0-9_.-]+)\]\s*$/.exec(line);
    if (header) table = header[1];
    const pair = /^([A-Za-z0-9_]+) = (".*"|'.*')\s*$/.exec(line);
    if (pair && (table === "js" || table.startsWith("js."))) {
      words[`${table}.${pair[1]}`] = pair[2].startsWith('"') ? JSON.parse(pair[2]) : pair[2].slice(1, -1);
    }
  }
  return words;
}

// i18n.js reads its words from the page once, when it is first imported.
const embedded = JSON.stringify(scriptWords("../../locales/en.toml"));
globalThis.document = {
  documentElement: { lang: "en" },
  getElementById: (id) => (id === "i18n" ? { textContent: embedded } : null),
};
const { parseAnsi } = await import("../../static/js/ansi.js");
const { describeDropped, describeEvent } = await import("../../static/js/events.js");
const { entryTime } = await import("../../static/js/logview.js");
const { linesText } = await import("../../static/js/status.js");

test("inverse swaps foreground and background, defaults included", () => {
  const [plain, coloured, rgb] = [
    parseAnsi("\u001b[7minverse"),
    parseAnsi("\u001b[31;44;7mx"),
    parseAnsi("\u001b[38;2;1;2;3;7my"),
  ].map((segs) => segs[0]);
  // No colours set: text in the page background colour on the page text colour.
  assert.deepEqual(plain.classes, ["fg-inverse", "bg-inverse"]);
  assert.deepEqual(coloured.classes, ["fg-blue", "bg-red"]);
  assert.deepEqual([rgb.fgRgb, rgb.bgRgb, rgb.classes], [null, "rgb(1, 2, 3)", ["fg-inverse"]]);
  assert.deepEqual(parseAnsi("\u001b[7ma\u001b[27mb")[1].classes, []);
});

const fileConfig = { kind: "file", minion: "web-01", path: "/var/log/app.log" };
const commandConfig = { kind: "command", minion: "web-01", command: "pipe-check" };

test("a command that exits with a non-zero status is a failure, 0 is not", () => {
  const failed = describeEvent({ event: "exit", fields: { status: "2" } }, commandConfig);
  assert.equal(failed.cls, "exit-failed");
  assert.deepEqual(failed.state, { key: "failed", text: "command exited (status 2)" });
  const ok = describeEvent({ event: "exit", fields: { status: "0" } }, commandConfig);
  assert.equal(ok.cls, "exit");
  assert.equal(ok.state.key, "exited");
  // The "finished" stop that follows keeps the exit state in the header.
  assert.equal(describeEvent({ event: "stopped", fields: { reason: "finished" } }, commandConfig).state, null);
});

test("started names the minion and the target, never logtail's host name", () => {
  const msg = { event: "started", message: "tailer started: running /bin/ls on vm", fields: { host: "vm" } };
  assert.equal(describeEvent(msg, commandConfig).marker, "command started: pipe-check on web-01");
  const file = describeEvent({ ...msg, message: "tailer started on vm" }, fileConfig);
  assert.equal(file.marker, "tailer started: following /var/log/app.log on web-01");
  assert.doesNotMatch(file.marker, /\bvm\b/);
});

test("one line is one line", () => {
  assert.equal(linesText(1), "1 line");
  assert.equal(linesText(1234), "1,234 lines");
  assert.match(describeDropped({ count: 1, reason: "slow client" }), /^1 line skipped/);
  assert.match(describeEvent({ event: "dropped", fields: { count: "1" } }, fileConfig).marker, /^1 line lost/);
});

test("a line's time is when the tailer read it: the ms of its entry id", () => {
  assert.equal(entryTime("1795276199254-3"), 1795276199254);
  const before = Date.now();
  const now = entryTime(undefined);
  assert.ok(now >= before, "no id: the arrival time");
  const rotated = describeEvent({ event: "rotated", id: "1795276199254-0" }, fileConfig);
  assert.match(rotated.state.text, /^following \(rotated at \d\d:\d\d:\d\d\.254\)$/);
});
