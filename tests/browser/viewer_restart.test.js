// viewer_restart.test.js — logview restarted under an open viewer (real test
// stack): the viewer shows the outage, reconnects with backoff, resumes after
// the last entry id it had, and ends up with every line exactly once, in order.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";

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

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(what, check, ms = WAIT_MS) {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`gave up waiting: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Stops the stack's logview (the pid in its pid file) and returns the binary it ran. */
async function stopLogview() {
  const pidFile = path.join(env.STACK_DIR, "run", "logview.pid");
  const pid = Number(fs.readFileSync(pidFile, "utf8").trim());
  assert.ok(pid > 1 && alive(pid), `logview pid ${pid} from ${pidFile} is running`);
  // A binary rebuilt since logview started reads as "PATH (deleted)": the
  // file now at PATH is the current build, which is the one to restart.
  const binary = fs.readlinkSync(`/proc/${pid}/exe`).replace(/ \(deleted\)$/, "");
  process.kill(pid, "SIGTERM");
  await until(`logview pid ${pid} to exit after SIGTERM`, () => !alive(pid), 30_000);
  return binary;
}

/** `scripts/stack.sh up --name <this stack>`: starts only what is missing (logview). */
function startLogview(binary) {
  const name = path.basename(env.STACK_DIR);
  try {
    execFileSync(path.join(REPO, "scripts", "stack.sh"), ["up", "--name", name], {
      env: { ...process.env, SLV_LOGVIEW_BIN: binary },
      stdio: ["ignore", "pipe", "pipe"],
      encoding: "utf8",
      timeout: 600_000,
    });
  } catch (e) {
    throw new Error(`scripts/stack.sh up --name ${name} failed:\n${e.stderr || e.message}`);
  }
}

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

  const binary = await stopLogview();
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
    startLogview(binary);
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
