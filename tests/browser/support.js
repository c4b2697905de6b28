// support.js — the one responsibility of this module: what every browser test
// shares: the test stack's settings (stack.env), a headless Debian Chromium
// with a fresh profile, starting tails through the real JSON API, writing the
// tailed files, and waiting on the page.

import fs from "node:fs";
import path from "node:path";
import { createHmac, randomBytes } from "node:crypto";
import { chromium } from "playwright-core";

/** The repository root (tests/browser/..). */
export const REPO = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../..");

/** Upper bound of any single wait on the page (a wait, not a performance assertion). */
export const WAIT_MS = 60_000;

/** `KEY=VALUE` lines of `$SLV_STACK_ENV`. Throws, saying how to get one, without it. */
export function stackEnv() {
  const file = process.env.SLV_STACK_ENV;
  if (!file) throw new Error("run scripts/test.sh (SLV_STACK_ENV not set)");
  const env = {};
  for (const line of fs.readFileSync(file, "utf8").split("\n")) {
    const i = line.indexOf("=");
    if (i > 0 && !line.startsWith("#")) env[line.slice(0, i).trim()] = line.slice(i + 1).trim();
  }
  for (const key of ["LOGVIEW_URL", "API_TOKEN", "LOG_DIR", "MINION_ID", "OPS_USER", "OPS_PASSWORD", "STACK_DIR"]) {
    if (!env[key]) throw new Error(`${file} has no ${key} (is logview part of this stack?)`);
  }
  return env;
}

/**
 * Launches Debian's Chromium headless. Playwright gives every launch a new,
 * empty profile directory (--user-data-dir) and removes it on close.
 */
export async function launch() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_BIN || "/usr/bin/chromium",
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  const context = await browser.newContext({ viewport: VIEWPORT });
  return {
    browser,
    context,
    /** A further isolated context (own cookies), e.g. with HTTP Basic credentials. */
    newContext: (options = {}) => browser.newContext({ viewport: VIEWPORT, ...options }),
    close: () => browser.close(),
  };
}

const VIEWPORT = { width: 1280, height: 760 };

/** A value of the committed settings.toml (`key = number`), e.g. tail.default_lines. */
export function shippedSetting(key) {
  const text = fs.readFileSync(path.join(REPO, "settings.toml"), "utf8");
  const m = text.match(new RegExp(`^${key}\\s*=\\s*(\\d+)`, "m"));
  if (!m) throw new Error(`settings.toml has no ${key}`);
  return Number(m[1]);
}

/**
 * Opens a page that records what must never happen on a viewer: dialogs
 * (alert), uncaught errors and CSP violations.
 */
export async function watchedPage(context) {
  const page = await context.newPage();
  const incidents = [];
  page.on("dialog", async (d) => {
    incidents.push(`dialog: ${d.message()}`);
    await d.dismiss();
  });
  page.on("pageerror", (e) => incidents.push(`page error: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error" && /Content Security Policy|Refused to/i.test(m.text())) incidents.push(`csp: ${m.text()}`);
  });
  return { page, incidents };
}

/**
 * The directory the tests write their logs to: the stack's LOG_DIR (tailable
 * by every layer), or `$SLV_BROWSER_LOG_DIR` (it must be inside the stack's
 * allowed paths, e.g. a directory under /var/log).
 */
export function logDir(env) {
  const dir = process.env.SLV_BROWSER_LOG_DIR || env.LOG_DIR;
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

const created = [];

/** A fresh log file (unique name, allowed by the path rule) with `initialLines`. */
export function newLogFile(env, label, initialLines = []) {
  const name = `bt-${label}-${randomBytes(4).toString("hex")}.log`;
  const file = path.join(logDir(env), name);
  fs.writeFileSync(file, initialLines.map((l) => `${l}\n`).join(""));
  created.push(file, `${file}.1`);
  return file;
}

/** Removes the files newLogFile made (and their rotated `.1`). */
export function removeLogFiles() {
  for (const f of created.splice(0)) fs.rmSync(f, { force: true });
}

/** Appends `lines` to `file` in one write. */
export function append(file, lines) {
  fs.appendFileSync(file, lines.map((l) => `${l}\n`).join(""));
}

/** `POST {LOGVIEW_URL}api/tail` (on `minion`, default the stack's first) → the viewer URL (throws the API's message). */
export async function startTail(env, file, lineCount = 200, minion = env.MINION_ID) {
  const res = await fetch(`${env.LOGVIEW_URL}api/tail`, {
    method: "POST",
    headers: { Authorization: `Bearer ${env.API_TOKEN}`, "Content-Type": "application/json" },
    body: JSON.stringify({ minion_id: minion, log_path: file, line_count: lineCount }),
  });
  const body = await res.json().catch(() => ({}));
  if (!res.ok || body.success !== true) {
    throw new Error(`POST api/tail ${file} -> ${res.status}: ${body.message || JSON.stringify(body)}`);
  }
  return body.url;
}

/**
 * `POST {LOGVIEW_URL}api/tail` with a fleet `body` (`target` or `minion_ids`,
 * `log_path`, `line_count`) → the answer (`url`, `started`, `of`, `minions`,
 * `message`); throws the API's message unless it started somewhere.
 */
export async function startFleet(env, body) {
  const res = await fetch(`${env.LOGVIEW_URL}api/tail`, {
    method: "POST",
    headers: { Authorization: `Bearer ${env.API_TOKEN}`, "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  const answer = await res.json().catch(() => ({}));
  if (!res.ok || answer.success !== true) {
    throw new Error(`POST api/tail ${JSON.stringify(body)} -> ${res.status}: ${answer.message || JSON.stringify(answer)}`);
  }
  return answer;
}

/** Opens the viewer URL and waits until the stream is live. */
export async function openViewer(page, url) {
  await page.goto(url);
  await page.waitForFunction(() => document.getElementById("conn-state")?.dataset.state === "live", null, {
    timeout: WAIT_MS,
  });
}

/** Texts of the log lines the viewer shows (markers excluded), in order. */
export function lineTexts(page) {
  return page.evaluate(() => [...document.querySelectorAll("#log .line .txt")].map((n) => n.textContent));
}

/** Waits until the last log line of the viewer is `text`. */
export async function waitForLastLine(page, text, timeout = WAIT_MS) {
  await page.waitForFunction(
    (t) => {
      const lines = document.querySelectorAll("#log .line .txt");
      return lines.length > 0 && lines[lines.length - 1].textContent === t;
    },
    text,
    { timeout },
  );
}

/** `prefix 0` … `prefix n-1`. */
export function numbered(prefix, from, to) {
  const out = [];
  for (let i = from; i < to; i += 1) out.push(`${prefix} ${String(i).padStart(5, "0")}`);
  return out;
}

/** Directory of the screenshots (target/screenshots). */
export function screenshotPath(name) {
  const dir = path.join(REPO, "target", "screenshots");
  fs.mkdirSync(dir, { recursive: true });
  return path.join(dir, name);
}

/** The stack's ticket signing key (from its LOGVIEW_SETTINGS overlay). */
function ticketKey(env) {
  const settings = fs.readFileSync(env.LOGVIEW_SETTINGS, "utf8");
  const key = settings.match(/^ticket_key\s*=\s*"([^"]+)"/m)?.[1];
  if (!key) throw new Error(`no ticket_key in ${env.LOGVIEW_SETTINGS}`);
  return key;
}

/** `payload.mac` of `claims`, signed like src/tickets.rs (HMAC-SHA256 over the base64url payload). */
function signClaims(env, claims) {
  const payload = Buffer.from(JSON.stringify(claims)).toString("base64url");
  const mac = createHmac("sha256", ticketKey(env)).update(payload).digest("base64url");
  return `${payload}.${mac}`;
}

/** The claims of the ticket in a viewer URL (`…/view/TICKET`). */
export function ticketClaims(url) {
  const token = url.split("/view/")[1];
  return JSON.parse(Buffer.from(token.split(".")[0], "base64url").toString("utf8"));
}

/**
 * The viewer URL `url` re-signed with the stack's ticket key (from its
 * LOGVIEW_SETTINGS overlay) to expire at `exp` (unix seconds): the tests'
 * way to hold a ticket that is valid now and expired later.
 */
export function resignedViewerUrl(env, url, exp) {
  const base = url.split("/view/")[0];
  return `${base}/view/${signClaims(env, { ...ticketClaims(url), exp })}`;
}

/**
 * A fleet viewer URL for `ticket` (src/tickets/fleet.rs: `{path, target,
 * members: [{m, a, s}], failed: [{m, o}], exp}`), signed with the stack's
 * ticket key: a fleet view built from single starts, without the fleet start API.
 */
export function signedFleetUrl(env, ticket) {
  const exp = ticket.exp ?? Math.floor(Date.now() / 1000) + 3600;
  return `${env.LOGVIEW_URL}fleet/${signClaims(env, { ...ticket, exp })}`;
}
