// replica_failover.test.js — the viewer page behind nginx (a stack brought up
// with `--replicas N`, docs/deploy.md): the logview replica serving it is
// killed (SIGKILL, no goodbye); the page reconnects through nginx to another
// replica, resumes after the last entry id it had, and ends up with every line
// exactly once, in order. Skipped on a stack without replicas. The killed
// replica is started again as it ran, so the stack is left as found.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";

import {
  append,
  launch,
  lineTexts,
  newLogFile,
  numbered,
  openViewer,
  removeLogFiles,
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
  if (env.LB_URL) browser = await launch();
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
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`gave up waiting: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** `logview_viewers` of the replica at `url` (its /metrics). */
async function viewersOn(url) {
  const res = await fetch(`${url}metrics`, { headers: { Authorization: `Bearer ${env.METRICS_TOKEN}` } });
  const m = /^logview_viewers (\d+)$/m.exec(await res.text());
  return m ? Number(m[1]) : 0;
}

/** What `pid` runs with (/proc), to start it again the same way. */
function relaunchOf(pid) {
  const nul = (f) => fs.readFileSync(`/proc/${pid}/${f}`, "latin1").split("\0").filter((s) => s);
  const environ = {};
  for (const kv of nul("environ")) {
    const i = kv.indexOf("=");
    if (i > 0) environ[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return { argv: nul("cmdline"), environ, cwd: fs.readlinkSync(`/proc/${pid}/cwd`) };
}

test("the replica serving a viewer is killed: the page resumes through nginx on another, no gap, no duplicate", async (t) => {
  if (!env.LB_URL) {
    t.skip("the stack has no logview replicas (scripts/stack.sh up --name NAME --replicas 3)");
    return;
  }
  const urls = env.REPLICA_URLS.split(" ");
  const pidfiles = env.REPLICA_PIDFILES.split(" ");
  const file = newLogFile(env, "failover", numbered("seq", 0, 50));
  const viewerUrl = await startTail({ ...env, LOGVIEW_URL: env.LB_URL }, file, 1000);
  assert.ok(viewerUrl.startsWith(env.LB_URL), `the viewer URL is the load balancer's: ${viewerUrl}`);
  const { page, incidents } = await watchedPage(browser.context);
  await openViewer(page, viewerUrl);
  await waitForLastLine(page, "seq 00049");

  let serving = -1;
  await until("one replica to count the viewer", async () => {
    const counts = await Promise.all(urls.map(viewersOn));
    serving = counts.findIndex((n) => n > 0);
    return serving >= 0;
  });
  const pidfile = pidfiles[serving];
  const pid = Number(fs.readFileSync(pidfile, "utf8").trim());
  const again = relaunchOf(pid);
  process.kill(pid, "SIGKILL");
  try {
    await until(`replica pid ${pid} to die`, () => !alive(pid));
    // Written while the page reconnects.
    append(file, numbered("seq", 50, 100));
    await page.waitForFunction(() => document.getElementById("conn-state").dataset.state === "live", null, {
      timeout: WAIT_MS,
    });
    append(file, numbered("seq", 100, 150));
    await waitForLastLine(page, "seq 00149");
    assert.deepEqual(await lineTexts(page), numbered("seq", 0, 150));
    const markers = await page.evaluate(() => [...document.querySelectorAll("#log .marker")].map((n) => n.dataset.event));
    assert.ok(markers.includes("disconnected") && markers.includes("reconnected"), `markers: ${markers}`);
    assert.deepEqual(incidents, []);
  } finally {
    const log = path.join(path.dirname(pidfile), "log", path.basename(pidfile).replace(/\.pid$/, ".log"));
    const out = fs.openSync(log, "a");
    const child = spawn(again.argv[0], again.argv.slice(1), {
      env: again.environ,
      cwd: again.cwd,
      detached: true,
      stdio: ["ignore", out, out],
    });
    child.unref();
    fs.writeFileSync(pidfile, `${child.pid}\n`);
    await until(`replica ${serving + 1} to answer /healthz again`, async () => {
      try {
        return (await fetch(`${urls[serving]}healthz`)).status === 200;
      } catch {
        return false;
      }
    });
  }
  await page.close();
});
