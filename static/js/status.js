// status.js — the one responsibility of this module: show the viewer's
// state in its header and footer: connection state (with the reconnect
// countdown), stream state, line counts, trimmed note and link expiry.

const $ = (id) => document.getElementById(id);
const fmt = new Intl.NumberFormat("en");

/** "1 line", "1,234 lines". */
export function linesText(n) {
  return `${fmt.format(n)} ${n === 1 ? "line" : "lines"}`;
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
      expiry.textContent = `link valid until ${when.toLocaleString()}`;
    }
  }

  /** Shows a connection state from Connection.onState. */
  connection(s) {
    clearInterval(this.countdown);
    this.conn.dataset.state = s.state;
    if (s.state === "connecting") this.conn.textContent = "connecting…";
    else if (s.state === "live") {
      this.conn.textContent = "live";
      this.conn.title = s.transport === "sse" ? "live (Server-Sent Events)" : "live (WebSocket)";
    } else if (s.state === "reconnecting") {
      const tick = () => {
        const secs = Math.max(0, Math.ceil((s.retryAt - Date.now()) / 1000));
        this.conn.textContent = `reconnecting in ${secs} s`;
      };
      this.conn.title = s.reason;
      tick();
      this.countdown = setInterval(tick, 250);
    } else if (s.state === "refused") {
      this.conn.textContent = /expired/i.test(s.message) ? "ticket expired" : "link refused";
      this.conn.title = s.message;
    }
  }

  /** Shows a stream state `{ key, text }` from events.js. */
  streamState(state) {
    this.stream.dataset.state = state.key;
    this.stream.textContent = state.text;
  }

  /** Shows the counts reported by LogView. */
  counts(c) {
    const parts = [linesText(c.lines)];
    if (c.shown !== c.lines) parts.push(`${fmt.format(c.shown)} match the filter`);
    this.countsEl.textContent = parts.join(" · ");
    this.pendingEl.hidden = !c.paused;
    this.pendingEl.textContent = `${fmt.format(c.pending)} new`;
    this.pauseBtn.textContent = c.paused ? "Resume" : "Pause";
    this.pauseBtn.setAttribute("aria-pressed", String(c.paused));
    document.body.classList.toggle("paused", c.paused);
    this.trimmedEl.hidden = c.trimmed === 0;
    // Download holds only what this page holds: a reload replays what the stream retains.
    this.trimmedEl.textContent = `${fmt.format(c.trimmed)} earlier ${c.trimmed === 1 ? "line was" : "lines were"} trimmed (this page keeps the last ${fmt.format(this.maxLines)}; Download saves only those); reload the page to see the retained backlog again`;
    this.jump.hidden = c.atBottom && !c.paused;
  }
}
