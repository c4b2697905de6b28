// django_portal.test.js — the example Django portal (examples/django_portal,
// started by `scripts/stack.sh up --portal`) in real headless Chromium against
// the test stack: sign in to Django, the portal page (another origin than
// logview) embeds the viewer, whose live lines arrive inside the iframe; a
// reload reuses the viewer URL (one start, on behalf of the Django user in
// logview's audit trail); a missing file is the portal's error page with
// logview's message and field, and the portal's log says so without the token.

import assert from "node:assert/strict";
import fs from "node:fs";
import { after, before, describe, test } from "node:test";

import { append, launch, logDir, newLogFile, removeLogFiles, stackEnv, WAIT_MS, waitForLastLine } from "./support.js";

describe("Django portal", () => {
  let env;
  let browser;
  let page;
  let file;
  let viewerSrc;

  const portalPage = (path, lines = 20) =>
    `${env.PORTAL_URL}logs/${env.MINION_ID}/?path=${encodeURIComponent(path)}&lines=${lines}`;

  /** logview's audit records of `tail` starts of `path` (its audit file, JSON lines). */
  function tailRecords(path) {
    return fs
      .readFileSync(env.LOGVIEW_AUDIT, "utf8")
      .split("\n")
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l))
      .filter((r) => r.action === "tail" && r.path === path);
  }

  /** The embedded viewer's frame, once its stream is live. */
  async function liveFrame() {
    const frame = await (await page.waitForSelector("iframe#live-log", { timeout: WAIT_MS })).contentFrame();
    assert.ok(frame, "the iframe has no frame");
    await frame.waitForLoadState("load", { timeout: WAIT_MS });
    // A page that refuses to be framed leaves Chromium's error page in the frame.
    assert.ok(
      frame.url().startsWith(env.LOGVIEW_URL),
      `the viewer did not load in the portal's iframe (${frame.url()}): does logview's server.frame_ancestors name ${new URL(env.PORTAL_URL).origin}?`,
    );
    await frame.waitForFunction(() => document.getElementById("conn-state")?.dataset.state === "live", null, {
      timeout: WAIT_MS,
    });
    return frame;
  }

  before(async () => {
    env = stackEnv();
    for (const key of ["PORTAL_URL", "PORTAL_USER", "PORTAL_PASSWORD", "LOGVIEW_AUDIT"]) {
      if (!env[key]) throw new Error(`${process.env.SLV_STACK_ENV} has no ${key}: bring the stack up again`);
    }
    const up = await fetch(`${env.PORTAL_URL}accounts/login/`).catch(() => null);
    if (!up?.ok) {
      throw new Error(`the portal does not answer at ${env.PORTAL_URL}: start it with scripts/stack.sh up --name NAME --portal`);
    }
    browser = await launch();
    page = await browser.context.newPage();
    file = newLogFile(env, "portal", ["portal backlog 1", "portal backlog 2", "portal backlog 3"]);
  });
  after(async () => {
    await browser?.close();
    removeLogFiles();
  });

  test("the portal asks for a Django sign-in, then shows the log live inside the iframe", async () => {
    await page.goto(portalPage(file));
    assert.match(page.url(), /\/accounts\/login\/\?next=/);
    assert.deepEqual(tailRecords(file), [], "nothing may start before signing in");
    await page.fill("input[name=username]", env.PORTAL_USER);
    await page.fill("input[name=password]", env.PORTAL_PASSWORD);
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.url().includes(`/logs/${env.MINION_ID}/`), { timeout: WAIT_MS }),
      page.click("button[type=submit]"),
    ]);
    assert.equal(response.status(), 200);

    // A whole document: doctype, viewport, a titled iframe.
    assert.equal(await page.evaluate(() => document.doctype?.name), "html");
    assert.match(await page.getAttribute("meta[name=viewport]", "content"), /width=device-width/);
    assert.equal(await page.getAttribute("iframe#live-log", "title"), `live log: ${file} on ${env.MINION_ID}`);
    viewerSrc = await page.getAttribute("iframe#live-log", "src");
    assert.ok(viewerSrc.startsWith(`${env.LOGVIEW_URL}view/`), viewerSrc);
    assert.notEqual(new URL(env.PORTAL_URL).origin, new URL(viewerSrc).origin, "the test must cross origins");

    const frame = await liveFrame();
    await waitForLastLine(frame, "portal backlog 3");
    const live = `portal live line ${Date.now()}`;
    append(file, [live]);
    await waitForLastLine(frame, live);

    // The portal asked once, for the signed-in Django user.
    const records = tailRecords(file);
    assert.equal(records.length, 1, JSON.stringify(records));
    assert.equal(records[0].principal.on_behalf_of, env.PORTAL_USER);
    assert.equal(records[0].outcome, "ok");
  });

  test("a reload reuses the viewer URL: no second start, the lines are still there", async () => {
    assert.ok(viewerSrc, "needs the previous test");
    const response = await page.reload();
    assert.equal(response.status(), 200);
    assert.equal(await page.getAttribute("iframe#live-log", "src"), viewerSrc);
    const frame = await liveFrame();
    const live = `portal after reload ${Date.now()}`;
    append(file, [live]);
    await waitForLastLine(frame, live);
    assert.equal(tailRecords(file).length, 1);
  });

  test("a missing file is the portal's error page with logview's message and field", async () => {
    const missing = `${logDir(env)}/bt-portal-does-not-exist.log`;
    const response = await page.goto(portalPage(missing));
    assert.equal(response.status(), 404);
    assert.equal(await page.evaluate(() => document.doctype?.name), "html");
    const error = page.locator("#tail-error");
    assert.match(await error.textContent(), /is not a regular file on minion .*: it does not exist/);
    assert.equal(await error.getAttribute("data-field"), "log_path");
    assert.equal(await page.locator("iframe").count(), 0);
    // The form keeps what was asked, to correct it.
    assert.equal(await page.inputValue("input[name=path]"), missing);
  });

  test("the portal's log names the failures but never holds the API token", () => {
    const log = fs.readFileSync(`${env.STACK_DIR}/run/log/portal.log`, "utf8");
    assert.match(log, /api\/tail for .*bt-portal-does-not-exist\.log .*\(user [^)]+\): 404 /);
    assert.ok(!log.includes(env.API_TOKEN), "the API token is in the portal's log");
  });
});
