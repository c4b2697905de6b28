// ops_index.test.js — the ops page fixes of issue 10 in real headless
// Chromium, signed in with HTTP Basic: the index page (`/`, `/minions/`) with
// its minion box and "recently viewed", post/redirect/get without JavaScript
// (a reload posts nothing; backlog 0 is accepted), a GET of a form's address
// explains itself, "Starting…" while Start is in flight, and on a phone the
// live view is scrolled into sight.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { launch, newLogFile, removeLogFiles, stackEnv, WAIT_MS } from "./support.js";

describe("index page and ops forms", () => {
  let env;
  let browser;
  let opsUrl;
  let basic;

  before(async () => {
    env = stackEnv();
    browser = await launch();
    opsUrl = `${env.LOGVIEW_URL}minions/${env.MINION_ID}`;
    basic = `Basic ${Buffer.from(`${env.OPS_USER}:${env.OPS_PASSWORD}`).toString("base64")}`;
  });
  after(async () => {
    await browser?.close();
    removeLogFiles();
  });

  const signedIn = (options = {}) =>
    browser.newContext({ httpCredentials: { username: env.OPS_USER, password: env.OPS_PASSWORD }, ...options });

  test("/ and /minions/ are the index page, behind the sign-in", async () => {
    const anonymous = await fetch(env.LOGVIEW_URL);
    assert.equal(anonymous.status, 401);
    assert.match(await anonymous.text(), /Sign in/);
    for (const url of [env.LOGVIEW_URL, `${env.LOGVIEW_URL}minions/`]) {
      const res = await fetch(url, { headers: { Authorization: basic } });
      assert.equal(res.status, 200, url);
      assert.match(await res.text(), /id="minion-form"/, url);
    }
  });

  test("the minion box suggests the known minions and opens one; it is then recently viewed", async () => {
    const context = await signedIn();
    const page = await context.newPage();
    await page.goto(env.LOGVIEW_URL);
    const offered = await page.$$eval("#minion-suggestions option", (os) => os.map((o) => o.value));
    for (const id of env.MINION_IDS.split(" ")) assert.ok(offered.includes(id), `${id} in suggestions: ${offered}`);
    assert.equal(await page.isVisible("#recent-none"), true);
    await page.fill("#minion", env.MINION_ID);
    await Promise.all([page.waitForURL(opsUrl, { timeout: WAIT_MS }), page.click("#minion-form button")]);
    assert.equal(await page.textContent("#minion-id"), env.MINION_ID);
    await page.goto(env.LOGVIEW_URL);
    assert.deepEqual(await page.locator("#recent-list a").allTextContents(), [env.MINION_ID]);
    assert.equal(await page.getAttribute("#recent-list a", "href"), opsUrl);
    assert.equal(await page.isHidden("#recent-none"), true);
    // A bad id in the box gets the page that explains minion ids.
    const bad = await page.goto(`${env.LOGVIEW_URL}minions/?minion=web*01`);
    assert.equal(bad.status(), 400);
    assert.match(await page.textContent("h1"), /Not a minion id/);
    await context.close();
  });

  test("without JavaScript Start redirects to the page with the viewer; a reload posts nothing", async () => {
    const file = newLogFile(env, "prg", ["prg line"]);
    const context = await signedIn({ javaScriptEnabled: false });
    const page = await context.newPage();
    const posts = [];
    page.on("request", (r) => {
      if (r.method() === "POST") posts.push(r.url());
    });
    await page.goto(opsUrl);
    await page.fill("#log_path", file);
    await page.fill("#line_count", "0"); // 0 = no backlog, as the hint says
    await Promise.all([page.waitForURL(/\?viewer=/, { timeout: WAIT_MS }), page.click("#tail-form button[type=submit]")]);
    assert.equal(posts.length, 1);
    assert.equal(await page.isHidden("#tail-form .form-error"), true, await page.textContent("#tail-form .form-error"));
    assert.match(await page.getAttribute("#viewer-frame", "src"), /\/view\//);
    assert.equal(await page.inputValue("#log_path"), file);
    const again = await page.reload();
    assert.equal(again.request().method(), "GET");
    assert.equal(posts.length, 1, "the reload did not post the form again");
    assert.match(await page.getAttribute("#viewer-frame", "src"), /\/view\//);
    await context.close();
  });

  test("a GET of a form's address (a bookmark) answers a page that explains", async () => {
    for (const form of ["tail", "run"]) {
      const res = await fetch(`${opsUrl}/${form}`, { headers: { Authorization: basic } });
      assert.equal(res.status, 405);
      assert.equal(res.headers.get("allow"), "POST");
      const html = await res.text();
      assert.match(html, /starts nothing/);
      assert.ok(html.includes(`href="${opsUrl}"`), "links the ops page");
    }
    assert.equal((await fetch(`${opsUrl}/tail`)).status, 401, "behind the sign-in too");
  });

  test("the index page and the 405 page speak the page's language (zh-CN)", async () => {
    const index = await fetch(`${env.LOGVIEW_URL}?lang=zh-CN`, { headers: { Authorization: basic } });
    assert.equal(index.status, 200);
    const html = await index.text();
    assert.match(html, /<html lang="zh-CN">/);
    for (const words of ["打开 minion", "最近查看", "此浏览器中还没有查看记录。"]) assert.ok(html.includes(words), words);
    assert.doesNotMatch(html, /Recently viewed|Open a minion/);
    const res = await fetch(`${opsUrl}/tail`, { headers: { Authorization: basic, "Accept-Language": "zh-CN" } });
    assert.equal(res.status, 405);
    const explained = await res.text();
    assert.match(explained, /<html lang="zh-CN">/);
    assert.ok(explained.includes("不会启动任何操作"), explained);
    assert.ok(explained.includes(`${env.MINION_ID} 的运维页面</a>`), "the link back, in Chinese");
    assert.doesNotMatch(explained, /starts nothing/);
  });

  test("on a phone Start says Starting… while in flight, then shows the live view in sight", async () => {
    const file = newLogFile(env, "phone", ["phone line"]);
    const context = await signedIn({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    const page = await context.newPage();
    let release;
    const held = new Promise((r) => {
      release = r;
    });
    let arrived;
    const posted = new Promise((r) => {
      arrived = r;
    });
    await page.route("**/tail", async (route) => {
      arrived();
      await held;
      await route.continue();
    });
    await page.goto(opsUrl);
    await page.fill("#log_path", file);
    await page.click("#tail-form button[type=submit]");
    await posted;
    assert.equal(await page.textContent("#tail-form button[type=submit]"), "Starting…");
    assert.equal(await page.getAttribute("#tail-form", "aria-busy"), "true");
    release();
    await page.frameLocator("#viewer-frame").locator("#log .line .txt", { hasText: "phone line" }).waitFor({ timeout: WAIT_MS });
    assert.equal(await page.textContent("#tail-form button[type=submit]"), "Start");
    assert.equal(await page.getAttribute("#tail-form", "aria-busy"), "false");
    const top = await page.evaluate(() => document.getElementById("viewer-frame").getBoundingClientRect().top);
    assert.ok(top >= 0 && top < 844 / 2, `the live view starts in the upper half of the screen (top ${top})`);
    await context.close();
  });
});
