// viewer_keys.test.js — the viewer fixes of issue 10 in real headless
// Chromium against the test stack, on one shared page: Esc clears the filter
// for real, the log scrolls from the keyboard (Tab reaches it; PageUp/Home
// work before any click), blank lines keep their height, inverse is visible,
// wrap/time keep following, times are when the tailer read the line, Download
// "as shown" and "raw", a CJK font stack; and a failed command shows as one.

import assert from "node:assert/strict";
import fs from "node:fs";
import { after, before, beforeEach, describe, test } from "node:test";

import {
  launch,
  newLogFile,
  openViewer,
  removeLogFiles,
  stackEnv,
  startTail,
  waitForLastLine,
  WAIT_MS,
  watchedPage,
} from "./support.js";

/** Records the entry id of every `lines` message the page's WebSocket receives (window.__lineIds). */
function recordLineIds() {
  const Native = window.WebSocket;
  window.__lineIds = [];
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener("message", (ev) => {
        try {
          const msg = JSON.parse(ev.data);
          if (msg.type === "lines") window.__lineIds.push([msg.id, msg.lines.length]);
        } catch {
          // not JSON: nothing to record
        }
      });
    }
  };
}

/** Waits two animation frames (the view renders and reports once per frame). */
const frames = (page) =>
  page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));

const atBottom = (page) =>
  page.evaluate(() => {
    const s = document.getElementById("scroller");
    return s.scrollHeight - s.scrollTop - s.clientHeight <= 8;
  });

describe("viewer keys, lines and downloads", () => {
  let env;
  let browser;
  let page;
  let incidents;
  const lines = [];

  before(async () => {
    env = stackEnv();
    browser = await launch();
    for (let i = 0; i < 120; i += 1) lines.push(`line ${String(i).padStart(3, "0")} svc=${i === 42 ? "auth" : "web"}`);
    lines.push("", "after the blank line", "plain \u001b[7minverse\u001b[27m done", "中文日志 行");
    // Last: the line that grows when wrapped, below the scroll anchor.
    lines.push(`long ${"x".repeat(2000)} end`);
    const file = newLogFile(env, "keys", lines);
    ({ page, incidents } = await watchedPage(browser.context));
    await page.addInitScript(recordLineIds);
    await openViewer(page, await startTail(env, file, 1000));
    await waitForLastLine(page, lines[lines.length - 1]);
    await frames(page);
  });
  // Each test starts from the same state: no filter, nothing focused (so a
  // test failing half-way does not decide the next one).
  beforeEach(async () => {
    if (!page) return;
    await page.fill("#filter", " "); // a change, so emptying it fires `input` even if it was empty
    await page.fill("#filter", "");
    await page.waitForFunction(() => !/match the filter/.test(document.getElementById("counts").textContent), null, {
      timeout: WAIT_MS,
    });
    await page.evaluate(() => document.activeElement?.blur());
  });
  after(async () => {
    assert.deepEqual(incidents, []);
    await browser?.close();
    removeLogFiles();
  });

  test("turning wrap or time on while following keeps following", async () => {
    await page.keyboard.press("End");
    await frames(page);
    for (const box of ["#wrap", "#show-time", "#wrap"]) {
      await page.click(box);
      await frames(page);
      assert.equal(await atBottom(page), true, `still at the bottom after ${box}`);
      assert.equal(await page.isHidden("#jump-live"), true, `no "Jump to live" after ${box}`);
    }
  });

  test("Esc empties the filter box and the filter with it", async () => {
    await page.evaluate(() => document.activeElement?.blur());
    await page.keyboard.press("/");
    await page.keyboard.type("svc=auth");
    await page.waitForFunction(() => / 1 match the filter$/.test(document.getElementById("counts").textContent), null, {
      timeout: WAIT_MS,
    });
    await page.keyboard.press("Escape");
    assert.equal(await page.inputValue("#filter"), "");
    await page.waitForFunction(() => !/match the filter/.test(document.getElementById("counts").textContent), null, {
      timeout: WAIT_MS,
    });
    assert.equal(await page.locator("#log .line.hidden").count(), 0);
    // A second Esc, on the empty box, leaves it.
    await page.keyboard.press("Escape");
    assert.notEqual(await page.evaluate(() => document.activeElement?.id), "filter");
    // Esc on a highlight box holding a bad regex takes its error away with it.
    await page.check("#filter-regex");
    await page.fill("#highlight", "(");
    await page.locator("#filter-error", { hasText: "Highlight:" }).waitFor({ timeout: WAIT_MS });
    await page.focus("#highlight");
    await page.keyboard.press("Escape");
    assert.equal(await page.inputValue("#highlight"), "");
    assert.equal(await page.isHidden("#filter-error"), true);
    await page.uncheck("#filter-regex");
  });

  test("the log scrolls from the keyboard before any click, and Tab reaches it", async () => {
    await page.evaluate(() => document.activeElement?.blur());
    await page.keyboard.press("End");
    await frames(page);
    const bottom = await page.evaluate(() => document.getElementById("scroller").scrollTop);
    assert.ok(bottom > 0, "the log is taller than the page");
    await page.keyboard.press("PageUp");
    assert.ok((await page.evaluate(() => document.getElementById("scroller").scrollTop)) < bottom, "PageUp scrolled");
    await page.keyboard.press("Home");
    assert.equal(await page.evaluate(() => document.getElementById("scroller").scrollTop), 0);
    await page.keyboard.press("PageDown");
    assert.ok((await page.evaluate(() => document.getElementById("scroller").scrollTop)) > 0, "PageDown scrolled");

    let reached = false;
    for (let i = 0; i < 20 && !reached; i += 1) {
      await page.keyboard.press("Tab");
      reached = (await page.evaluate(() => document.activeElement?.id)) === "scroller";
    }
    assert.ok(reached, "Tab reaches the log");
    await page.keyboard.press("End");
    await frames(page);
    assert.equal(await atBottom(page), true);
  });

  test("a blank line is one line high", async () => {
    const [blank, normal] = await page.evaluate(() => {
      const nodes = [...document.querySelectorAll("#log .line")];
      const b = nodes.find((n) => n.querySelector(".txt").textContent === "");
      return [b.getBoundingClientRect().height, nodes[0].getBoundingClientRect().height];
    });
    assert.ok(normal > 0);
    assert.equal(blank, normal);
  });

  test("inverse text swaps the colours (a visible background)", async () => {
    const style = await page.evaluate(() => {
      const span = [...document.querySelectorAll("#log .txt span")].find((s) => s.textContent === "inverse");
      const cs = getComputedStyle(span);
      const page = getComputedStyle(document.body);
      return { bg: cs.backgroundColor, fg: cs.color, pageBg: page.backgroundColor, pageFg: page.color };
    });
    assert.equal(style.bg, style.pageFg);
    assert.equal(style.fg, style.pageBg);
  });

  test("a line's time is when the tailer read it (its entry id), and the toolbar says so", async () => {
    assert.equal(await page.isChecked("#show-time"), true);
    assert.match(await page.textContent("label:has(#show-time)"), /time read/);
    const { expected, shown } = await page.evaluate(() => {
      const [id] = window.__lineIds[0];
      const d = new Date(Number(id.split("-")[0]));
      const p = (n, w = 2) => String(n).padStart(w, "0");
      const clock = `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
      return { expected: clock, shown: document.querySelector("#log .line .ts").textContent };
    });
    assert.equal(shown, expected);
  });

  test("Download as shown: the filtered lines as plain text; raw: every line as sent", async () => {
    await page.fill("#filter", "svc=");
    await page.waitForFunction(() => / 120 match the filter$/.test(document.getElementById("counts").textContent), null, {
      timeout: WAIT_MS,
    });
    const save = async (mode) => {
      await page.selectOption("#download-mode", mode);
      const [download] = await Promise.all([page.waitForEvent("download"), page.click("#download")]);
      assert.match(download.suggestedFilename(), new RegExp(`_${mode}_.*\\.log$`));
      return fs.readFileSync(await download.path(), "utf8");
    };
    const shown = await save("shown");
    assert.equal(shown, `${lines.filter((l) => l.includes("svc=")).join("\n")}\n`);
    const raw = await save("raw");
    assert.equal(raw, `${lines.join("\n")}\n`, "every line, colour codes kept, no marker lines");
  });

  test("log and UI fonts fall back to CJK faces", async () => {
    const fonts = await page.evaluate(() => [
      getComputedStyle(document.getElementById("scroller")).fontFamily,
      getComputedStyle(document.body).fontFamily,
    ]);
    for (const f of fonts) {
      assert.match(f, /Noto Sans CJK SC/);
      assert.match(f, /PingFang SC/);
      assert.match(f, /Microsoft YaHei/);
    }
  });
});

describe("a failed command", () => {
  test("exit status 2 is shown as a failure, in the marker and the header", async () => {
    const env = stackEnv();
    const browser = await launch();
    try {
      const res = await fetch(`${env.LOGVIEW_URL}api/run`, {
        method: "POST",
        headers: { Authorization: `Bearer ${env.API_TOKEN}`, "Content-Type": "application/json" },
        body: JSON.stringify({ minion_id: env.MINION_ID, command: "pipe-check" }),
      });
      const body = await res.json();
      assert.equal(body.success, true, body.message);
      const { page, incidents } = await watchedPage(browser.context);
      await openViewer(page, body.url);
      const marker = page.locator("#log .marker", { hasText: "command exited with status 2" });
      await marker.waitFor({ timeout: WAIT_MS });
      assert.match(await marker.getAttribute("class"), /\bmarker-exit-failed\b/);
      await page.locator("#log .marker", { hasText: "the command finished" }).waitFor({ timeout: WAIT_MS });
      assert.equal(await page.getAttribute("#stream-state", "data-state"), "failed");
      assert.equal(await page.textContent("#stream-state"), "command exited (status 2)");
      const colour = await marker.evaluate((n) => getComputedStyle(n).color);
      assert.equal(colour, "rgb(248, 81, 73)", "the error red (--err)");
      assert.match(await page.textContent("#log .marker-started"), new RegExp(`command started: pipe-check on ${env.MINION_ID}`));
      assert.deepEqual(incidents, []);
    } finally {
      await browser.close();
    }
  });
});
