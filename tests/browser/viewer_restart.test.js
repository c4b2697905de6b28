// viewer_restart.test.js — logview restarted under an open viewer (real test
// stack): the viewer shows the outage, reconnects with backoff, resumes after
// the last entry id it had, and ends up with every line exactly once, in order.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { startLogview, stopLogview, until } from "./restart.js";

import {
  append,
  launch,
  lineTexts,
  newLogFile,
  removeLogFiles,
  resignedViewerUrl,
  numbered,
  openViewer,
  stackEnv,
  startTail,
  waitForLastLine,
  WAIT_MS,
  watchedPage,
} from "./support.js";

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

test("a logview restart mid-stream: the viewer reconnects with no gap and no duplicate; an expired ticket is refused", async () => {
  const file = newLogFile(env, "restart", numbered("seq", 0, 100));
  const { page, incidents } = await watchedPage(browser.context);
  await openViewer(page, await startTail(env, file, 1000));
  await waitForLastLine(page, "seq 00099");
  // A second viewer whose ticket is valid now and expired by the time it reconnects.
  const exp = Math.floor(Date.now() / 1000) + 20;
  const late = await watchedPage(browser.context);
  await openViewer(late.page, resignedViewerUrl(env, page.url(), exp));
  await until("the short ticket to expire", () => Date.now() > (exp + 1) * 1000, 60_000);

  const binary = await stopLogview(env);
  try {
    // The header counts down to the next attempt (the state flips between
    // "reconnecting" and "connecting" while logview is down).
    await page.waitForFunction(
      () => {
        const s = document.getElementById("conn-state");
        return s.dataset.state === "reconnecting" && /^reconnecting in \d+ s$/.test(s.textContent);
      },
      null,
      { timeout: WAIT_MS },
    );
    // Written while logview is down: the tailer keeps appending to Redis.
    append(file, numbered("seq", 100, 200));
  } finally {
    startLogview(env, binary);
  }
  await page.waitForFunction(() => document.getElementById("conn-state").dataset.state === "live", null, {
    timeout: WAIT_MS,
  });
  append(file, numbered("seq", 200, 300));
  await waitForLastLine(page, "seq 00299");

  assert.deepEqual(await lineTexts(page), numbered("seq", 0, 300));
  const markers = await page.evaluate(() => [...document.querySelectorAll("#log .marker")].map((n) => n.dataset.event));
  assert.ok(markers.includes("disconnected") && markers.includes("reconnected"), `markers: ${markers}`);
  assert.deepEqual(incidents, []);
  await page.close();

  // The expired one is refused on reconnect and says so, once, in words.
  await late.page.waitForFunction(() => document.getElementById("conn-state").dataset.state === "refused", null, {
    timeout: WAIT_MS,
  });
  assert.equal(await late.page.textContent("#conn-state"), "ticket expired");
  assert.match(await late.page.textContent("#log .marker-refused"), /expired/);
  assert.deepEqual(late.incidents, []);
  await late.page.close();
});
