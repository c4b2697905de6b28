// restart.js — the one responsibility of this module: stop and start the
// test stack's logview under open viewers (viewer_restart.test.js,
// fleet.test.js), and wait for a condition without asserting on time.

import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

import { REPO, WAIT_MS } from "./support.js";

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function until(what, check, ms = WAIT_MS) {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`gave up waiting: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Stops the stack's logview (the pid in its pid file) and returns the binary it ran. */
export async function stopLogview(env) {
  const pidFile = path.join(env.STACK_DIR, "run", "logview.pid");
  const pid = Number(fs.readFileSync(pidFile, "utf8").trim());
  if (!(pid > 1 && alive(pid))) throw new Error(`logview pid ${pid} from ${pidFile} is not running`);
  // A binary rebuilt since logview started reads as "PATH (deleted)": the
  // file now at PATH is the current build, which is the one to restart.
  const binary = fs.readlinkSync(`/proc/${pid}/exe`).replace(/ \(deleted\)$/, "");
  process.kill(pid, "SIGTERM");
  await until(`logview pid ${pid} to exit after SIGTERM`, () => !alive(pid), 30_000);
  return binary;
}

/** `scripts/stack.sh up --name <this stack>`: starts only what is missing (logview). */
export function startLogview(env, binary) {
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

