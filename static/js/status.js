// status.js — the one responsibility of this module: show the viewer's
// state in its header and footer: connection state (with the reconnect
// countdown), stream state, line counts, trimmed note and link expiry.

import { lang, t } from "./i18n.js";

const $ = (id) => document.getElementById(id);
const fmt = new Intl.NumberFormat(lang);

/** "1 line", "1,234 lines" (in the page's language). */
export function linesText(n) {
  const count = fmt.format(n);
  return n === 1 ? t("js.counts.lines_one", { count }) : t("js.counts.lines", { count });
}

export class StatusBar {
  constructor(config) {
    this.conn = $("conn-state");
    this.stream = $("stream-state");
    this.countsEl = $("counts");
    this.pendingEl = $("pending-count");
    this.trimmedEl = $("trimmed-note");
    this.jump = $("jump-live");
    this.pauseBtn = $("pause");
    this.maxLines = config.max_lines;
    this.countdown = 0;
    const expiry = $("expiry");
    if (expiry && Number.isFinite(config.expires_at)) {
      const when = new Date(config.expires_at * 1000);
      expiry.textContent = t("js.expiry", { when: when.toLocaleString(lang) });
    }
  }

  /** Shows a connection state from Connection.onState. */
  connection(s) {
    clearInterval(this.countdown);
    this.conn.dataset.state = s.state;
    if (s.state === "connecting") this.conn.textContent = t("js.conn.connecting");
    else if (s.state === "live") {
      this.conn.textContent = t("js.conn.live");
      this.conn.title = s.transport === "sse" ? t("js.conn.live_sse") : t("js.conn.live_ws");
    } else if (s.state === "reconnecting") {
      const tick = () => {
        const secs = Math.max(0, Math.ceil((s.retryAt - Date.now()) / 1000));
        this.conn.textContent = t("js.conn.reconnecting", { secs });
      };
      this.conn.title = s.reason;
      tick();
      this.countdown = setInterval(tick, 250);
    } else if (s.state === "refused") {
      this.conn.textContent = /expired|过期/i.test(s.message) ? t("js.conn.expired") : t("js.conn.refused");
      this.conn.title = s.message;
    }
  }

  /** Shows a stream state `{ key, text }` from events.js. */
  streamState(state) {
    this.stream.dataset.state = state.key;
    this.stream.textContent = state.text;
  }

  /**
   * Lines arrived: a viewer sharing a tailer that started before it never
   * gets that `started` event, so the first lines say it is following.
   */
  linesArrived() {
    if (this.stream.dataset.state === "waiting") {
      this.streamState({ key: "following", text: t("js.stream.following") });
    }
  }

  /** Shows the counts reported by LogView. */
  counts(c) {
    const parts = [linesText(c.lines)];
    if (c.shown !== c.lines) parts.push(t("js.counts.shown", { count: fmt.format(c.shown) }));
    if (c.only) parts.push(t("js.fleet.only", { minion: c.only }));
    this.countsEl.textContent = parts.join(" · ");
    this.pendingEl.hidden = !c.paused;
    this.pendingEl.textContent = t("js.pending", { count: fmt.format(c.pending) });
    this.pauseBtn.textContent = c.paused ? t("js.resume") : t("js.pause");
    this.pauseBtn.setAttribute("aria-pressed", String(c.paused));
    document.body.classList.toggle("paused", c.paused);
    this.trimmedEl.hidden = c.trimmed === 0;
    // Download holds only what this page holds: a reload replays what the stream retains.
    const trimmed = { count: fmt.format(c.trimmed), max: fmt.format(this.maxLines) };
    this.trimmedEl.textContent = c.trimmed === 1 ? t("js.trimmed_one", trimmed) : t("js.trimmed", trimmed);
    this.jump.hidden = c.atBottom && !c.paused;
  }
}
