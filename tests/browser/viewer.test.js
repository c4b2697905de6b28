// viewer.test.js — the live viewer in real headless Chromium against the real
// test stack (logview, salt-api, minion, logtail, Redis): log text stays text,
// pause/resume loses nothing, floods stay within the cap, the filter hides and
// restores, rotation and truncation show markers, and a screenshot.

import assert from "node:assert/strict";
import fs from "node:fs";
import { after, before, describe, test } from "node:test";

import {
  append,
  launch,
  lineTexts,
  newLogFile,
  removeLogFiles,
  resignedViewerUrl,
  numbered,
  openViewer,
  REPO,
  screenshotPath,
  stackEnv,
  startTail,
  waitForLastLine,
  WAIT_MS,
  watchedPage,
} from "./support.js";

describe("live viewer", () => {
  let env;
  let browser;

  before(async () => {
    env = stackEnv();
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
    removeLogFiles();
  });

  test("log text that looks like HTML is shown as text and runs nothing", async () => {
    const hostile = [
      "2026-11-21T10:00:00Z INFO user agent <img src=x onerror=alert(1)>",
      "2026-11-21T10:00:01Z WARN body was </pre><script>alert(2)</script>",
      '2026-11-21T10:00:02Z ERROR "><svg onload=alert(3)> & &amp; &lt;b&gt;',
    ];
    const file = newLogFile(env, "xss", hostile);
    const { page, incidents } = await watchedPage(browser.context);
    await openViewer(page, await startTail(env, file, 10));
    await waitForLastLine(page, hostile[2]);

    assert.deepEqual(await lineTexts(page), hostile);
    const injected = await page.evaluate(() => ({
      img: document.querySelectorAll("#log img").length,
      script: document.querySelectorAll("body script").length,
      svg: document.querySelectorAll("#log svg").length,
      pre: document.querySelectorAll("#log pre").length,
    }));
    // The page's own three scripts (config JSON, viewer module, words JSON) and nothing else.
    assert.deepEqual(injected, { img: 0, script: 3, svg: 0, pre: 0 });
    // Levels come from the text, through classes.
    const levels = await page.evaluate(() =>
      [...document.querySelectorAll("#log .line")].map((n) => [...n.classList].filter((c) => c.startsWith("lvl-"))),
    );
    assert.deepEqual(levels, [["lvl-info"], ["lvl-warn"], ["lvl-error"]]);
    assert.deepEqual(incidents, []);
    await page.close();
  });

  test("pause keeps receiving and resume shows all 100 lines that arrived, in order", async () => {
    const file = newLogFile(env, "pause", ["before pause"]);
    const { page, incidents } = await watchedPage(browser.context);
    await openViewer(page, await startTail(env, file, 10));
    await waitForLastLine(page, "before pause");

    await page.keyboard.press("Space"); // the shortcut pauses
    assert.equal(await page.getAttribute("#pause", "aria-pressed"), "true");
    const during = numbered("while paused", 0, 100);
    append(file, during);
    await page.waitForFunction(() => document.getElementById("pending-count").textContent === "100 new", null, {
      timeout: WAIT_MS,
    });
    // Nothing was rendered while paused.
    assert.deepEqual(await lineTexts(page), ["before pause"]);

    await page.click("#pause");
    await waitForLastLine(page, during[99]);
    assert.deepEqual(await lineTexts(page), ["before pause", ...during]);
    assert.equal(await page.isHidden("#pending-count"), true);
    assert.deepEqual(incidents, []);
    await page.close();
  });

  test("a second viewer of the same file shares its tailer: its own backlog, the first sees nothing new", async () => {
    const file = newLogFile(env, "shared", numbered("shared", 0, 30));
    const first = await watchedPage(browser.context);
    await openViewer(first.page, await startTail(env, file, 10));
    await waitForLastLine(first.page, "shared 00029");
    const second = await watchedPage(browser.context);
    await openViewer(second.page, await startTail(env, file, 3));
    await waitForLastLine(second.page, "shared 00029");
    assert.deepEqual(await lineTexts(second.page), numbered("shared", 27, 30));
    // It never saw the tailer start, yet it says it is following.
    assert.equal(await second.page.getAttribute("#stream-state", "data-state"), "following");
    append(file, ["both see this"]);
    for (const { page } of [first, second]) await waitForLastLine(page, "both see this");
    assert.deepEqual(await lineTexts(first.page), [...numbered("shared", 20, 30), "both see this"]);
    assert.equal(await first.page.locator("#log .marker-stopped").count(), 0, "no restart");
    assert.equal(await first.page.locator("#log .marker-started").count(), 1);
    assert.deepEqual(first.incidents, []);
    assert.deepEqual(second.incidents, []);
    await first.page.close();
    await second.page.close();
  });

  test("a 50,000-line burst keeps the DOM at the cap and the page answering", async () => {
    const file = newLogFile(env, "flood", ["start"]);
    const { page, incidents } = await watchedPage(browser.context);
    await openViewer(page, await startTail(env, file, 10));
    await waitForLastLine(page, "start");
    const cap = await page.evaluate(() => JSON.parse(document.getElementById("viewer-config").textContent).max_lines);

    const burst = numbered("flood line", 0, 50_000);
    append(file, burst);
    await waitForLastLine(page, burst[burst.length - 1], 180_000);

    // The page still answers input after the burst: the pause shortcut
    // (Space) pauses, and pressing it again resumes.
    const pressed = (state) =>
      page.waitForFunction((s) => document.getElementById("pause").getAttribute("aria-pressed") === s, state, {
        timeout: WAIT_MS,
      });
    await page.keyboard.press("Space");
    await pressed("true");
    assert.equal(await page.textContent("#pause"), "Resume");
    await page.keyboard.press("Space");
    await pressed("false");
    assert.equal(await page.textContent("#pause"), "Pause");
    const nodes = await page.evaluate(() => document.querySelectorAll("#log > *").length);
    assert.ok(nodes <= cap, `${nodes} nodes in the log, cap ${cap}`);
    assert.ok(nodes >= Math.min(cap, 50_000) - 5, `${nodes} nodes: the page should hold about the cap`);
    const texts = await lineTexts(page);
    assert.deepEqual(texts.slice(-3), burst.slice(-3));
    const note = await page.textContent("#trimmed-note");
    assert.match(note, /earlier lines were trimmed/);
    assert.equal(await page.isVisible("#trimmed-note"), true);
    assert.deepEqual(incidents, []);
    await page.close();
  });

  test("the filter hides non-matching lines and clearing it restores them", async () => {
    const lines = ["GET /health 200", "POST /login 401", "GET /api/items 200", "POST /login 200", "GET /health 200"];
    const file = newLogFile(env, "filter", lines);
    const { page, incidents } = await watchedPage(browser.context);
    await openViewer(page, await startTail(env, file, 10));
    await waitForLastLine(page, lines[4]);
    const visible = () =>
      page.evaluate(() => [...document.querySelectorAll("#log .line:not(.hidden) .txt")].map((n) => n.textContent));

    await page.keyboard.press("/"); // the shortcut focuses the filter
    await page.keyboard.type("login");
    await page.waitForFunction(() => document.querySelectorAll("#log .line:not(.hidden)").length === 2, null, {
      timeout: WAIT_MS,
    });
    assert.deepEqual(await visible(), ["POST /login 401", "POST /login 200"]);

    await page.selectOption("#filter-mode", "exclude");
    await page.waitForFunction(() => document.querySelectorAll("#log .line:not(.hidden)").length === 3);
    assert.deepEqual(await visible(), ["GET /health 200", "GET /api/items 200", "GET /health 200"]);

    await page.selectOption("#filter-mode", "include");
    await page.check("#filter-regex");
    await page.fill("#filter", " 40\\d$");
    await page.waitForFunction(() => document.querySelectorAll("#log .line:not(.hidden)").length === 1);
    assert.deepEqual(await visible(), ["POST /login 401"]);

    await page.fill("#filter", "(");
    await page.waitForSelector("#filter-error:not([hidden])");
    assert.match(await page.textContent("#filter-error"), /not a valid regular expression/);

    await page.fill("#filter", "");
    await page.waitForFunction(() => document.querySelectorAll("#log .line:not(.hidden)").length === 5);
    assert.deepEqual(await visible(), lines);
    assert.deepEqual(incidents, []);
    await page.close();
  });

  test("rotation and truncation appear as marker lines, then a screenshot", async () => {
    const t = (s) => `2026-11-21T16:${s} `;
    const file = newLogFile(env, "rotate", [
      `${t("40:01.120Z")}INFO  api      listening on 0.0.0.0:8443 (workers=8)`,
      `${t("40:02.004Z")}DEBUG db       pool ready: 16 connections`,
      `${t("40:05.311Z")}INFO  api      GET /v1/orders 200 12ms`,
      `${t("40:07.902Z")}WARN  api      GET /v1/orders/991 slow: 1840ms`,
      `${t("40:09.015Z")}ERROR worker   job 7731 failed: timeout talking to payments`,
      `${t("40:09.016Z")}\u001b[2m        at Payments.charge (payments.js:88)\u001b[0m`,
      `${t("40:11.420Z")}INFO  deploy   \u001b[32m✔ release 2026.11.21-3 healthy\u001b[0m on \u001b[1;36mweb-01\u001b[0m`,
    ]);
    const { page, incidents } = await watchedPage(browser.context);
    await openViewer(page, await startTail(env, file, 50));
    await page.waitForFunction(() => document.querySelectorAll("#log .line").length === 7, null, { timeout: WAIT_MS });

    // logrotate's default: rename, then a new file takes the name.
    fs.renameSync(file, `${file}.1`);
    fs.writeFileSync(file, `${t("41:00.001Z")}INFO  api      reopened log after rotation\n`);
    await page.waitForSelector("#log .marker-rotated", { timeout: WAIT_MS });
    await waitForLastLine(page, `${t("41:00.001Z")}INFO  api      reopened log after rotation`);

    // copytruncate: the file shrinks in place.
    fs.truncateSync(file, 0);
    append(file, [`${t("42:00.500Z")}INFO  api      GET /v1/health 200 1ms`]);
    await page.waitForSelector("#log .marker-truncated", { timeout: WAIT_MS });
    await waitForLastLine(page, `${t("42:00.500Z")}INFO  api      GET /v1/health 200 1ms`);

    const order = await page.evaluate(() =>
      [...document.querySelectorAll("#log > *")].map((n) => (n.classList.contains("marker") ? n.dataset.event : "line")),
    );
    const rotated = order.indexOf("rotated");
    const truncated = order.indexOf("truncated");
    assert.ok(rotated > 0 && truncated > rotated, `marker order: ${order.join(",")}`);
    assert.match(await page.textContent("#log .marker-rotated"), /file rotated/);
    assert.match(await page.textContent("#log .marker-truncated"), /file truncated/);
    assert.equal(await page.getAttribute("#stream-state", "data-state"), "truncated");
    // ANSI colours became classes, the escape bytes are gone.
    assert.equal(await page.locator("#log .fg-green").count(), 1);
    assert.equal((await lineTexts(page)).some((s) => s.includes("\u001b")), false);

    await page.setViewportSize({ width: 1280, height: 460 });
    const shot = screenshotPath("viewer.png");
    await page.screenshot({ path: shot });
    assert.ok(fs.statSync(shot).size > 10_000, "screenshot written");
    console.log(`# screenshot: ${shot.replace(`${REPO}/`, "")}`);
    assert.deepEqual(incidents, []);
    await page.close();
  });

  test("the viewer is sent with a strict policy, its assets with their types", async () => {
    const url = await startTail(env, newLogFile(env, "headers", ["x"]), 1);
    const page = await fetch(url);
    assert.equal(page.status, 200);
    const csp = page.headers.get("content-security-policy");
    for (const part of ["default-src 'none'", "script-src 'self'", "style-src 'self'", "base-uri 'none'", "frame-ancestors "]) {
      assert.ok(csp.includes(part), `${part} in ${csp}`);
    }
    assert.doesNotMatch(csp, /unsafe/);
    assert.equal(page.headers.get("x-content-type-options"), "nosniff");
    assert.equal(page.headers.get("referrer-policy"), "no-referrer");
    for (const [asset, type] of [["static/js/viewer.js", /^text\/javascript/], ["static/style.css", /^text\/css/]]) {
      const res = await fetch(`${env.LOGVIEW_URL}${asset}`);
      assert.equal(res.status, 200, asset);
      assert.match(res.headers.get("content-type"), type, asset);
    }
  });

  test("a tampered or expired viewer link gets the error page in words", async () => {
    const url = await startTail(env, newLogFile(env, "ticket", ["x"]), 1);
    const [base, token] = url.split("/view/");
    const [payload, mac] = token.split(".");
    const tampered = `${base}/view/${payload}.${mac.startsWith("A") ? "B" : "A"}${mac.slice(1)}`;
    // An expired ticket signed with the stack's real key: only the expiry is wrong.
    const expired = resignedViewerUrl(env, url, Math.floor(Date.now() / 1000) - 60);

    const { page, incidents } = await watchedPage(browser.context);
    for (const [link, words] of [[tampered, /not valid|malformed/], [expired, /expired/]]) {
      const res = await page.goto(link);
      assert.equal(res.status(), 401, link);
      assert.equal(await page.textContent("h1"), "This viewer link cannot be used");
      assert.match(await page.textContent(".error-box"), words);
      assert.equal(await page.locator("#log").count(), 0);
    }
    assert.deepEqual(incidents, []);
    await page.close();
  });

  test("when WebSockets do not get through, the viewer streams over Server-Sent Events", async () => {
    const file = newLogFile(env, "sse", ["over sse 1"]);
    const { page, incidents } = await watchedPage(browser.context);
    // What a proxy that drops upgrades looks like to the page: every socket
    // closes before it opens.
    await page.addInitScript(() => {
      window.WebSocket = class {
        constructor() {
          setTimeout(() => this.onclose?.({ code: 1006 }), 0);
        }
        close() {}
      };
    });
    await openViewer(page, await startTail(env, file, 10));
    assert.equal(await page.getAttribute("#conn-state", "title"), "live (Server-Sent Events)");
    await waitForLastLine(page, "over sse 1");
    append(file, ["over sse 2", "over sse 3"]);
    await waitForLastLine(page, "over sse 3");
    assert.deepEqual(await lineTexts(page), ["over sse 1", "over sse 2", "over sse 3"]);
    assert.deepEqual(incidents, []);
    await page.close();
  });
});
