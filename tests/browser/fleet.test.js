// fleet.test.js — the merged (fleet) viewer in real headless Chromium,
// served by the real test stack's logview: the page names the target, path,
// members and failed minions from a signed fleet ticket (built from single
// starts on web-01..03, signed with the stack's key, so it does not depend on
// the fleet start API); the client's side of the fleet stream protocol
// (minion column, chips, filter, Download, reconnect with the per-minion
// cursor) against a scripted WebSocket; and the merged stream of three real
// tailers through logview's /ws/fleet/ and /sse/fleet/ across a logview restart.

import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";

import { startLogview, stopLogview } from "./restart.js";
import {
  launch,
  screenshotPath,
  signedFleetUrl,
  stackEnv,
  startFleet,
  startTail,
  ticketClaims,
  WAIT_MS,
  watchedPage,
} from "./support.js";

const MINIONS = ["web-01", "web-02", "web-03"];

describe("fleet viewer", () => {
  let env;
  let browser;
  const files = [];

  before(async () => {
    env = stackEnv();
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
    for (const f of files) fs.rmSync(f, { force: true });
  });

  /** One log file name, written on each of `minions` (its own file there) with `lines(minion)`. */
  function fleetFile(label, minions, lines) {
    const name = `bt-fleet-${label}-${randomBytes(4).toString("hex")}.log`;
    for (const m of minions) {
      const dir = env[`LOG_DIR_${m}`];
      assert.ok(dir, `stack.env has LOG_DIR_${m}`);
      const file = path.join(dir, name);
      fs.writeFileSync(file, lines(m).map((l) => `${l}\n`).join(""));
      files.push(file);
    }
    return path.join(env.LOG_DIR, name); // the path as every minion sees it
  }

  function appendOn(minion, logPath, lines) {
    fs.appendFileSync(path.join(env[`LOG_DIR_${minion}`], path.basename(logPath)), lines.map((l) => `${l}\n`).join(""));
  }

  /** Single starts on each minion, then one fleet ticket over them (where each session starts). */
  async function fleetView(logPath, minions, { target = "web", failed = [], lineCount = 100 } = {}) {
    const members = [];
    for (const m of minions) {
      const claims = ticketClaims(await startTail(env, logPath, lineCount, m));
      const member = { m };
      if (claims.start_after) member.a = claims.start_after;
      if (claims.skip_lines) member.s = claims.skip_lines;
      members.push(member);
    }
    const ticket = { path: logPath, members };
    if (target) ticket.target = target;
    if (failed.length > 0) ticket.failed = failed;
    return signedFleetUrl(env, ticket);
  }

  const seq = (m, label, from, to) => Array.from({ length: to - from }, (_, i) => `${m} ${label} ${String(from + i).padStart(3, "0")}`);

  /** [minion column, text] of every line the page shows (hidden ones too), in order. */
  const rows = (page) =>
    page.evaluate(() => [...document.querySelectorAll("#log .line")].map((n) => [n.querySelector(".mn")?.textContent, n.querySelector(".txt").textContent]));

  test("the page names the target and path, a chip per member, the failed minions; a bad or single ticket gets the error page", async () => {
    const logPath = fleetFile("page", ["web-01", "web-02"], (m) => [`${m} hello`]);
    const url = await fleetView(logPath, ["web-01", "web-02"], {
      failed: [
        { m: "web-03", o: "unreachable" },
        { m: "web-04", o: "missing" },
      ],
    });
    const { page, incidents } = await watchedPage(browser.context);
    const res = await page.goto(url);
    assert.equal(res.status(), 200);
    assert.equal(await page.title(), `web: ${logPath} — logview`);
    assert.equal(await page.textContent("#fleet-who"), "@web");
    assert.equal(await page.textContent("#target"), logPath);
    // Each member's one line arrives (a shared tailer sends no `started`: its first line says following).
    await page.waitForFunction(
      () => [...document.querySelectorAll("button.chip .chip-count")].every((n) => n.textContent === "1 line"),
      null,
      { timeout: WAIT_MS },
    );
    const chips = await page.evaluate(() =>
      [...document.querySelectorAll("#chips .chip")].map((c) => [c.tagName, c.dataset.minion, c.dataset.state, c.querySelector(".chip-state").textContent]),
    );
    assert.deepEqual(chips, [
      ["BUTTON", "web-01", "following", "following"],
      ["BUTTON", "web-02", "following", "following"],
      ["SPAN", "web-03", "unreachable", "unreachable"],
      ["SPAN", "web-04", "missing", "file missing"],
    ]);
    // web-01's tailer was started (and its backlog stored) before web-02's: the backlog merges by entry id.
    assert.deepEqual(await rows(page), [
      ["web-01", "web-01 hello"],
      ["web-02", "web-02 hello"],
    ]);
    // Each member's id is coloured, and no two members share a colour.
    const colours = await page.evaluate(() => [...document.querySelectorAll("button.chip .chip-id")].map((n) => [...n.classList].find((c) => /^mc-\d$/.test(c))));
    assert.equal(new Set(colours).size, 2, `colours: ${colours}`);
    assert.deepEqual(incidents, []);

    // An explicit list: the title counts the minions (members and failed).
    const list = await fleetView(logPath, ["web-01"], { target: "", failed: [{ m: "web-03", o: "not_started" }] });
    await page.goto(list);
    assert.equal(await page.title(), `2 minions: ${logPath} — logview`);

    // A single viewer's ticket does not open a fleet page, nor a tampered one.
    const single = await startTail(env, logPath, 1, "web-01");
    const token = single.split("/view/")[1];
    for (const bad of [`${env.LOGVIEW_URL}fleet/${token}`, `${url.slice(0, -3)}AAA`]) {
      const r = await page.goto(bad);
      assert.equal(r.status(), 401, bad);
      assert.match(await page.textContent("h1"), /cannot be used/);
    }
    await page.close();
  });

  test("a view started through the fleet API (target web, the file missing on web-03): both members merged, web-03's chip says why", async () => {
    const logPath = fleetFile("api", ["web-01", "web-02"], (m) => [`${m} via the api`]);
    const answer = await startFleet(env, { target: "web", log_path: logPath, line_count: 10 });
    assert.equal(answer.started, 2, JSON.stringify(answer));
    assert.match(answer.url, /\/fleet\/[^/]+$/);
    const { page, incidents } = await watchedPage(browser.context);
    await page.goto(answer.url);
    await page.waitForFunction(() => document.querySelectorAll("#log .line").length === 2, null, { timeout: WAIT_MS });
    const got = (await rows(page)).sort();
    assert.deepEqual(got, [
      ["web-01", "web-01 via the api"],
      ["web-02", "web-02 via the api"],
    ]);
    const chips = await page.evaluate(() =>
      [...document.querySelectorAll("#chips .chip")].map((c) => [c.tagName, c.dataset.minion, c.dataset.state]),
    );
    assert.deepEqual(chips, [
      ["BUTTON", "web-01", "following"],
      ["BUTTON", "web-02", "following"],
      ["SPAN", "web-03", "missing"],
    ]);
    assert.equal(await page.textContent("#fleet-who"), "@web");
    assert.deepEqual(incidents, []);
    await page.close();
  });

  test("the client's side of the fleet protocol: minion column, chips, filter, download, and a reconnect that resumes each minion after its own id", async () => {
    const logPath = fleetFile("proto", MINIONS, () => ["x"]);
    const url = await fleetView(logPath, MINIONS, { failed: [{ m: "web-04", o: "unreachable" }] });
    const lines = (minion, id, ...text) => JSON.stringify({ minion, type: "lines", id, lines: text });
    const event = (minion, id, name, fields = {}) => JSON.stringify({ minion, type: "event", id, event: name, message: `${name} on ${minion}`, fields });
    // What the scripted server sends on each connection; the second overlaps the first.
    const script = [
      [
        event("web-01", "1000-0", "started", { path: logPath }),
        lines("web-01", "1001-0", "a0", "a1"),
        lines("web-02", "1002-0", "b0"),
        lines("web-03", "1003-0", "c0"),
        lines("web-09", "1003-1", "not a member"),
        lines("web-02", "1004-0", "b1"),
        event("web-02", "1005-0", "rotated", { inode: "42" }),
      ],
      [
        lines("web-02", "1004-0", "b1"), // already had it
        lines("web-01", "1001-0", "a0", "a1"), // already had it
        lines("web-03", "1006-0", "c1"),
        lines("web-01", "1007-0", "a2"),
        event("web-03", "1008-0", "stopped", { reason: "idle" }),
        lines("web-02", "1009-0", "b2"),
      ],
    ];
    const urls = [];
    const { page, incidents } = await watchedPage(browser.context);
    await page.routeWebSocket(/\/ws\/fleet\//, (ws) => {
      const n = urls.length;
      urls.push(ws.url());
      for (const m of script[n] || []) ws.send(m);
      if (n === 0) ws.close({ code: 1011, reason: "test: dropped" });
    });
    await page.goto(url);
    await page.waitForFunction(() => [...document.querySelectorAll("#log .line .txt")].some((n) => n.textContent === "b2"), null, {
      timeout: WAIT_MS,
    });
    assert.deepEqual(await rows(page), [
      ["web-01", "a0"],
      ["web-01", "a1"],
      ["web-02", "b0"],
      ["web-03", "c0"],
      ["web-02", "b1"],
      ["web-03", "c1"],
      ["web-01", "a2"],
      ["web-02", "b2"],
    ]);
    assert.equal(urls.length, 2, `connections: ${urls}`);
    assert.ok(!urls[0].includes("after="), urls[0]);
    assert.equal(new URL(urls[1]).searchParams.get("after"), "web-01=1001-0,web-02=1005-0,web-03=1003-0");
    // The markers name their minion too.
    const markers = await page.evaluate(() => [...document.querySelectorAll("#log .marker")].map((n) => [n.querySelector(".mn")?.textContent ?? null, n.dataset.event]));
    assert.deepEqual(markers, [
      ["web-01", "started"],
      ["web-02", "rotated"],
      [null, "disconnected"],
      [null, "reconnected"],
      ["web-03", "stopped"],
    ]);
    const chips = () =>
      page.evaluate(() => [...document.querySelectorAll("button.chip")].map((c) => [c.dataset.minion, c.dataset.state, c.querySelector(".chip-count").textContent]));
    await page.waitForFunction(() => document.querySelector('button.chip[data-minion="web-02"] .chip-count').textContent === "3 lines", null, {
      timeout: WAIT_MS,
    });
    assert.deepEqual(await chips(), [
      ["web-01", "following", "3 lines"],
      ["web-02", "rotated", "3 lines"],
      ["web-03", "stopped", "2 lines"],
    ]);

    // A chip shows only its minion (its lines and markers); again: everything.
    await page.click('button.chip[data-minion="web-02"]');
    const visible = () => page.evaluate(() => [...document.querySelectorAll("#log .line:not(.hidden) .txt")].map((n) => n.textContent));
    assert.deepEqual(await visible(), ["b0", "b1", "b2"]);
    assert.equal(await page.getAttribute('button.chip[data-minion="web-02"]', "aria-pressed"), "true");
    await page.waitForFunction(() => document.getElementById("counts").textContent.includes("only web-02"), null, { timeout: WAIT_MS });
    assert.equal(await page.locator("#log .marker:not(.hidden)").count(), 3, "web-02's rotated and the viewer's own two");

    // Download as shown: the filtered lines, each with its minion.
    const download = async (mode) => {
      await page.selectOption("#download-mode", mode);
      const [d] = await Promise.all([page.waitForEvent("download"), page.click("#download")]);
      assert.match(d.suggestedFilename(), new RegExp(`^web_${path.basename(logPath).replace(/\./g, "\\.")}_${mode === "raw" ? "raw" : "shown"}_`));
      return fs.readFileSync(await d.path(), "utf8");
    };
    assert.equal(await download("shown"), "web-02: b0\nweb-02: b1\nweb-02: b2\n");
    // The keyboard works the chip too (a button): Enter on it again shows every minion.
    await page.focus('button.chip[data-minion="web-02"]');
    await page.keyboard.press("Enter");
    assert.equal((await visible()).length, 8);
    assert.equal(await page.getAttribute('button.chip[data-minion="web-02"]', "aria-pressed"), "false");
    assert.equal(await download("raw"), "web-01: a0\nweb-01: a1\nweb-02: b0\nweb-03: c0\nweb-02: b1\nweb-03: c1\nweb-01: a2\nweb-02: b2\n");
    // The text filter still applies, with the minion filter.
    await page.fill("#filter", "1");
    await page.waitForFunction(() => document.querySelectorAll("#log .line:not(.hidden)").length === 3, null, { timeout: WAIT_MS });
    assert.deepEqual(await visible(), ["a1", "b1", "c1"]);
    await page.screenshot({ path: screenshotPath("fleet-viewer.png") });
    assert.deepEqual(incidents, []);
    await page.close();
  });

  for (const transport of ["ws", "sse"]) {
    test(`three real tailers merged over ${transport}: every line once, in order per minion, each with its minion; a logview restart resumes each after its own id`, async () => {
      const logPath = fleetFile(`real-${transport}`, MINIONS, (m) => seq(m, "backlog", 0, 5));
      const url = await fleetView(logPath, MINIONS);
      const { page, incidents } = await watchedPage(browser.context);
      // A browser without WebSocket: the client reads SSE (fetch, `Last-Event-ID` = the cursor).
      if (transport === "sse") await page.addInitScript(() => delete window.WebSocket);
      await page.goto(url);
      const count = (n) =>
        page.waitForFunction((want) => document.querySelectorAll("#log .line").length >= want, n, { timeout: WAIT_MS });
      await count(15);
      for (const m of MINIONS) appendOn(m, logPath, seq(m, "live", 0, 3));
      await count(24);

      const binary = await stopLogview(env);
      try {
        await page.waitForFunction(() => document.getElementById("conn-state").dataset.state === "reconnecting", null, {
          timeout: WAIT_MS,
        });
        // Written while logview is down: each tailer keeps appending to its stream.
        for (const m of MINIONS) appendOn(m, logPath, seq(m, "down", 0, 4));
      } finally {
        startLogview(env, binary);
      }
      await page.waitForFunction(() => document.getElementById("conn-state").dataset.state === "live", null, { timeout: WAIT_MS });
      for (const m of MINIONS) appendOn(m, logPath, seq(m, "after", 0, 2));
      await count(42);

      const got = await rows(page);
      for (const m of MINIONS) {
        const mine = got.filter(([col]) => col === m).map(([, text]) => text);
        assert.deepEqual(
          mine,
          [...seq(m, "backlog", 0, 5), ...seq(m, "live", 0, 3), ...seq(m, "down", 0, 4), ...seq(m, "after", 0, 2)],
          `${m}: every line once, in its order`,
        );
      }
      assert.equal(got.length, 42, "nothing else, nothing twice");
      for (const [col, text] of got) assert.ok(text.startsWith(`${col} `), `the column names the line's minion: ${col} | ${text}`);
      const chips = await page.evaluate(() => [...document.querySelectorAll("button.chip .chip-count")].map((n) => n.textContent));
      assert.deepEqual(chips, ["14 lines", "14 lines", "14 lines"]);
      assert.equal(await page.getAttribute("#conn-state", "title"), transport === "sse" ? "live (Server-Sent Events)" : "live (WebSocket)");
      assert.deepEqual(incidents, []);
      await page.close();
    });
  }
});
