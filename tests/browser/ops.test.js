// ops.test.js — the ops page of the test stack's minion in real headless
// Chromium, signed in with HTTP Basic: errors in words (a missing file), with
// and without JavaScript, forms refused from other sites, and a tail started
// from the page playing in the page's own viewer.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { append, launch, logDir, newLogFile, removeLogFiles, shippedSetting, stackEnv, WAIT_MS } from "./support.js";

describe("ops page", () => {
  let env;
  let browser;
  let opsUrl;

  before(async () => {
    env = stackEnv();
    browser = await launch();
    opsUrl = `${env.LOGVIEW_URL}minions/${env.MINION_ID}`;
  });
  after(async () => {
    await browser?.close();
    removeLogFiles();
  });

  function signedIn(javaScriptEnabled) {
    return browser.newContext({
      httpCredentials: { username: env.OPS_USER, password: env.OPS_PASSWORD },
      javaScriptEnabled,
    });
  }

  test("without credentials the page asks for them and shows no form", async () => {
    const res = await fetch(opsUrl);
    assert.equal(res.status, 401);
    assert.match(res.headers.get("www-authenticate") || "", /^Basic /);
    assert.doesNotMatch(await res.text(), /name="log_path"/);
  });

  test("a missing file is reported in words next to the form (with JavaScript)", async () => {
    const context = await signedIn(true);
    const page = await context.newPage();
    await page.goto(opsUrl);
    assert.equal(await page.textContent("#minion-id"), env.MINION_ID);
    assert.equal(await page.inputValue("#line_count"), String(shippedSetting("default_lines")));
    await page.fill("#log_path", `${logDir(env)}/bt-does-not-exist.log`);
    await page.click("#tail-form button[type=submit]");
    const error = page.locator("#tail-form .form-error");
    await error.waitFor({ state: "visible", timeout: WAIT_MS });
    assert.match(await error.textContent(), /does not exist/);
    assert.doesNotMatch(await error.textContent(), /\b(404|500|Error:|panicked)\b/);
    assert.equal(await page.getAttribute("#log_path", "aria-invalid"), "true");
    assert.equal(await page.isHidden("#viewer-frame"), true);
    await context.close();
  });

  test("a missing file is reported in words without JavaScript too", async () => {
    const context = await signedIn(false);
    const page = await context.newPage();
    await page.goto(opsUrl);
    await page.fill("#log_path", `${logDir(env)}/bt-does-not-exist.log`);
    await Promise.all([page.waitForLoadState("domcontentloaded"), page.click("#tail-form button[type=submit]")]);
    await page.waitForSelector("#tail-form .form-error:not([hidden])", { timeout: WAIT_MS });
    assert.match(await page.textContent("#tail-form .form-error"), /does not exist/);
    // The form keeps what was typed.
    assert.equal(await page.inputValue("#log_path"), `${logDir(env)}/bt-does-not-exist.log`);
    await context.close();
  });

  test("a form post from another site is refused", async () => {
    const auth = Buffer.from(`${env.OPS_USER}:${env.OPS_PASSWORD}`).toString("base64");
    const res = await fetch(`${opsUrl}/tail`, {
      method: "POST",
      headers: {
        Authorization: `Basic ${auth}`,
        Origin: "https://evil.example.net",
        "Content-Type": "application/x-www-form-urlencoded",
        Accept: "application/json",
      },
      body: new URLSearchParams({ log_path: `${logDir(env)}/app.log`, line_count: "10", csrf: "forged" }),
    });
    assert.equal(res.status, 403);
    const body = await res.json();
    assert.equal(body.success, false);
    assert.match(body.message, /another site/);
  });

  test("Start opens the live view on the same page", async () => {
    const file = newLogFile(env, "ops", ["first line from the ops page test"]);
    const context = await signedIn(true);
    const page = await context.newPage();
    await page.goto(opsUrl);
    await page.fill("#log_path", file);
    await page.fill("#line_count", "5");
    await page.click("#tail-form button[type=submit]");
    await page.waitForSelector("#viewer-frame:not([hidden]), #tail-form .form-error:not([hidden])", {
      timeout: WAIT_MS,
    });
    const refused = page.locator("#tail-form .form-error");
    assert.equal(await refused.isHidden(), true, `the ops page said: ${await refused.textContent()}`);
    const viewer = page.frameLocator("#viewer-frame");
    await viewer.locator("#log .line .txt", { hasText: "first line from the ops page test" }).waitFor({ timeout: WAIT_MS });
    append(file, ["second line, live"]);
    await viewer.locator("#log .line .txt", { hasText: "second line, live" }).waitFor({ timeout: WAIT_MS });
    assert.equal(page.url(), opsUrl, "no navigation away from the ops page");
    await context.close();
  });

  test("Run plays an allow-listed command's output and exit status in the page", async () => {
    const context = await signedIn(true);
    const page = await context.newPage();
    await page.goto(opsUrl);
    const names = await page.locator(".commands .cmd-name").allTextContents();
    assert.ok(names.length > 0, "settings.toml ships [commands.*]");
    await page.locator(".commands li", { hasText: names[0] }).locator("button").click();
    await page.waitForSelector("#viewer-frame:not([hidden]), #run-error:not([hidden])", { timeout: WAIT_MS });
    assert.equal(await page.isHidden("#run-error"), true, `the ops page said: ${await page.textContent("#run-error")}`);
    const viewer = page.frameLocator("#viewer-frame");
    await viewer.locator("#log .marker", { hasText: "command exited with status 0" }).waitFor({ timeout: WAIT_MS });
    assert.ok((await viewer.locator("#log .line").count()) > 0, "the command printed something");
    assert.match(await viewer.locator("#target").textContent(), new RegExp(`\\$ ${names[0]}`));
    await context.close();
  });
});
