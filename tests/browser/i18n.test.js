// i18n.test.js — 中文 and English in real headless Chromium against the real
// test stack: a browser asking for zh-CN (Accept-Language) gets the viewer in
// Chinese — its marker lines (started, truncated) and status texts come from
// the zh-CN catalogue, logtail's English sentence only in the tooltip — and
// the page's language switch turns the same view into English.

import assert from "node:assert/strict";
import fs from "node:fs";
import { after, before, describe, test } from "node:test";

import { append, launch, newLogFile, openViewer, removeLogFiles, stackEnv, startTail, waitForLastLine, WAIT_MS, watchedPage } from "./support.js";

describe("中文 and English", () => {
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

  test("the viewer's marker lines are Chinese for zh-CN and English after the switch", async () => {
    const context = await browser.newContext({ locale: "zh-CN", extraHTTPHeaders: { "Accept-Language": "zh-CN,zh;q=0.9" } });
    const { page, incidents } = await watchedPage(context);
    // Longer than what follows the truncation, so logtail sees the file shrink.
    const first = Array.from({ length: 5 }, (_, i) => `2026-12-03T06:00:0${i}Z INFO 第 ${i + 1} 行 line before the truncation`);
    const file = newLogFile(env, "i18n", first);
    await openViewer(page, await startTail(env, file, 10));
    await waitForLastLine(page, first[4]);

    assert.equal(await page.getAttribute("html", "lang"), "zh-CN");
    const started = page.locator("#log .marker-started");
    await started.waitFor({ timeout: WAIT_MS });
    assert.match(await started.textContent(), /跟踪已开始：正在跟踪 .*bt-i18n-/);
    // logtail's own English sentence stays available as the tooltip.
    assert.match((await started.getAttribute("title")) || "", /^following /);
    assert.equal(await page.textContent("#conn-state"), "实时");
    assert.equal(await page.textContent("#stream-state"), "跟踪中");
    assert.equal(await page.textContent("#pause"), "暂停");

    fs.truncateSync(file, 0);
    append(file, ["截断后"]);
    await page.waitForSelector("#log .marker-truncated", { timeout: WAIT_MS });
    assert.equal(await page.textContent("#log .marker-truncated .txt"), "日志文件被截断；从头开始读取");
    assert.match(await page.textContent("#stream-state"), /^跟踪中（.* 被截断）$/);
    await waitForLastLine(page, "截断后");

    // The switch: the same viewer (same ticket) again, in English, remembered by a cookie.
    await page.click(".lang-switch a[hreflang=en]");
    await page.waitForFunction(() => document.documentElement.lang === "en", null, { timeout: WAIT_MS });
    await page.waitForFunction(() => document.getElementById("conn-state")?.dataset.state === "live", null, { timeout: WAIT_MS });
    await page.locator("#log .marker-started").waitFor({ timeout: WAIT_MS });
    assert.match(await page.textContent("#log .marker-started .txt"), /^tailer started: following .*bt-i18n-/);
    await page.waitForSelector("#log .marker-truncated", { timeout: WAIT_MS });
    assert.equal(await page.textContent("#log .marker-truncated .txt"), "file truncated; reading from the start");
    assert.equal(await page.textContent("#conn-state"), "live");
    assert.equal(await page.textContent("#pause"), "Pause");
    const cookies = await context.cookies();
    assert.ok(cookies.some((c) => c.name === "logview_lang" && c.value === "en"), JSON.stringify(cookies));

    assert.deepEqual(incidents, []);
    await context.close();
  });
});
