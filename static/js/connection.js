// connection.js — the one responsibility of this module: keep one live stream
// open to logview (WebSocket first, Server-Sent Events as fallback), reconnect
// with backoff, and resume after the last entry id it delivered, so the
// consumer sees every entry once, in order (one stream, or a fleet stream
// with one resume id per minion: cursor.js).

import { StreamPosition } from "./cursor.js";
import { t } from "./i18n.js";

export { idAfter } from "./cursor.js";

const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 15000;

/**
 * Events reported through `onState(s)`:
 *   { state: "connecting" }
 *   { state: "live", transport: "ws" | "sse" }
 *   { state: "reconnecting", retryAt: <epoch ms>, reason: "..." }
 *   { state: "refused", message: "..." }   (final: the ticket is no longer accepted)
 * Messages with an id are delivered once each, in id order, through
 * `onMessage(m)`; `position` (cursor.js) decides which are new and where a
 * reconnect resumes (default: one stream).
 */
export class Connection {
  constructor({ wsUrl, sseUrl, heartbeatSecs, onMessage, onState, position = new StreamPosition() }) {
    this.wsUrl = wsUrl;
    this.sseUrl = sseUrl;
    this.onMessage = onMessage;
    this.onState = onState;
    this.silenceMs = Math.max(10, 3 * (heartbeatSecs || 15)) * 1000;
    this.position = position;
    this.failures = 0;
    this.preferSse = !("WebSocket" in window);
    this.current = null; // { close() } of the live attempt
    this.retryTimer = null;
    this.watchdog = null;
    this.finished = false;
  }

  /** Opens the first connection. */
  start() {
    window.addEventListener("online", () => this.connectNow());
    this.connect();
  }

  /** Skips the remaining backoff (e.g. the browser came back online). */
  connectNow() {
    if (this.retryTimer === null || this.finished) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.connect();
  }

  connect() {
    this.onState({ state: "connecting" });
    if (this.preferSse) this.openSse(false);
    else this.openWs();
  }

  // ---- WebSocket -----------------------------------------------------------

  openWs() {
    let url = this.wsUrl;
    const after = this.position.resumeAt();
    if (after !== null) url += `${url.includes("?") ? "&" : "?"}after=${encodeURIComponent(after)}`;
    let ws;
    try {
      ws = new WebSocket(url);
    } catch {
      this.openSse(true);
      return;
    }
    let opened = false;
    const attempt = { close: () => ws.close() };
    this.current = attempt;
    ws.onopen = () => {
      if (this.current !== attempt) return;
      opened = true;
      this.onState({ state: "live", transport: "ws" });
      this.touch();
    };
    ws.onmessage = (ev) => {
      if (this.current !== attempt) return;
      this.failures = 0;
      this.touch();
      this.receive(ev.data);
    };
    ws.onclose = () => {
      if (this.current !== attempt) return;
      this.current = null;
      if (opened) this.retry(t("js.retry.closed"));
      // Never opened: a proxy that does not pass WebSockets, or a refused
      // ticket (a WebSocket cannot see the HTTP status). SSE tells which.
      else this.openSse(true);
    };
  }

  // ---- Server-Sent Events (read with fetch, so the status is visible) ------

  openSse(afterWsFailed) {
    const ctrl = new AbortController();
    const attempt = { close: () => ctrl.abort() };
    let opened = false;
    this.current = attempt;
    const headers = { Accept: "text/event-stream" };
    const after = this.position.resumeAt();
    if (after !== null) headers["Last-Event-ID"] = after;
    fetch(this.sseUrl, { headers, signal: ctrl.signal, cache: "no-store", credentials: "same-origin" })
      .then(async (res) => {
        if (this.current !== attempt) return;
        if (res.status === 401 || res.status === 403 || res.status === 404) {
          this.refuse(await refusal(res));
          return;
        }
        if (!res.ok || !res.body) {
          this.current = null;
          this.retry(t("js.retry.status", { status: res.status }));
          return;
        }
        if (afterWsFailed) this.preferSse = true;
        opened = true;
        this.onState({ state: "live", transport: "sse" });
        this.touch();
        await this.readSse(res.body, attempt);
        if (this.current === attempt) {
          this.current = null;
          this.retry(t("js.retry.ended"));
        }
      })
      .catch(() => {
        if (this.current !== attempt) return;
        this.current = null;
        this.retry(opened ? t("js.retry.lost") : t("js.retry.unreachable"));
      });
  }

  async readSse(body, attempt) {
    const reader = body.pipeThrough(new TextDecoderStream()).getReader();
    let buf = "";
    let data = [];
    for (;;) {
      const { value, done } = await reader.read();
      if (done || this.current !== attempt) return;
      this.touch();
      buf += value;
      const lines = buf.split(/\r\n|\r|\n/);
      buf = lines.pop();
      for (const line of lines) {
        if (line === "") {
          if (data.length > 0) {
            this.failures = 0;
            this.receive(data.join("\n"));
          }
          data = [];
        } else if (line.startsWith("data:")) {
          data.push(line.slice(line.startsWith("data: ") ? 6 : 5));
        }
        // `id:` repeats the position the JSON carries (an entry id, or a fleet
        // stream's whole cursor), which `position` keeps itself; `:` lines are keep-alives.
      }
    }
  }

  // ---- shared ---------------------------------------------------------------

  receive(text) {
    let msg;
    try {
      msg = JSON.parse(text);
    } catch {
      return;
    }
    if (msg === null || typeof msg !== "object" || msg.type === "heartbeat") return;
    if (!this.position.accept(msg)) return; // already delivered
    this.onMessage(msg);
  }

  touch() {
    clearTimeout(this.watchdog);
    this.watchdog = setTimeout(() => {
      const stale = this.current;
      if (!stale) return;
      this.current = null;
      stale.close();
      this.retry(t("js.retry.silent"));
    }, this.silenceMs);
  }

  retry(reason) {
    clearTimeout(this.watchdog);
    if (this.finished) return;
    const base = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** this.failures);
    const delay = Math.round(base * (0.75 + Math.random() * 0.5));
    this.failures += 1;
    this.onState({ state: "reconnecting", retryAt: Date.now() + delay, reason });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.connect();
    }, delay);
  }

  refuse(message) {
    clearTimeout(this.watchdog);
    this.finished = true;
    this.current = null;
    this.onState({ state: "refused", message });
  }
}

async function refusal(res) {
  try {
    const body = await res.json();
    if (body && typeof body.message === "string" && body.message !== "") return body.message;
  } catch {
    // not JSON: fall through to a generic sentence
  }
  if (res.status === 403) return t("js.refused.origin");
  return t("js.refused.link");
}
