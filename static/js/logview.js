// logview.js — the one responsibility of this module: hold the records shown
// in the viewer (lines and markers), render them in batches once per animation
// frame, keep at most `maxLines` of them, and apply pause, filter (text, and
// in a fleet view the minion), highlight and stick-to-bottom scrolling.

import { sgrOnly, stripAnsi } from "./ansi.js";
import { fillText, levelOf, lineNode, markerNode } from "./render.js";

/** Records turned into DOM nodes per animation frame (keeps frames short under floods). */
const FRAME_BUDGET = 2000;
/** Distance from the bottom (px) that still counts as "at the bottom". */
const BOTTOM_SLACK = 8;

/** The ms of a stream entry id `ms-seq`, or now when `id` is not one. */
export function entryTime(id) {
  const m = typeof id === "string" ? /^(\d{1,15})-\d+$/.exec(id) : null;
  return m ? Number(m[1]) : Date.now();
}

export class LogView {
  /**
   * @param {HTMLElement} scroller the scrolling box
   * @param {HTMLElement} list the element the line nodes go into
   * @param {number} maxLines records kept at most
   * @param {(counts: object) => void} onChange called after every change of the counts
   */
  constructor(scroller, list, maxLines, onChange) {
    this.scroller = scroller;
    this.list = list;
    this.maxLines = Math.max(1, maxLines | 0);
    this.onChange = onChange;
    this.held = []; // rendered records, oldest first
    this.pending = []; // received, not rendered yet (always while paused)
    this.trimmed = 0; // records dropped to stay within maxLines
    this.lines = 0; // held line records (the rest are markers)
    this.shown = 0; // held line records passing the filter
    this.statusFrame = 0;
    this.paused = false;
    this.stick = true;
    this.frame = 0;
    this.visible = () => true;
    this.only = null; // fleet view: the one minion shown, or null for all
    this.colours = new Map(); // fleet view: minion id → palette index (palette.js)
    this.highlight = null;
    scroller.addEventListener("scroll", () => this.onScroll(), { passive: true });
  }

  /**
   * Queues the lines of one `lines` message. Their time is when the tailer
   * read them: the ms part of the stream entry id `id` (`ms-seq`, the time
   * Redis stored the entry); the arrival time only when there is no id.
   * `minion`: the member they came from in a fleet view (null otherwise).
   */
  addLines(lines, fd, id, minion = null) {
    const at = entryTime(id);
    const colour = this.colourOf(minion);
    for (const raw of lines) {
      this.pending.push({ kind: "line", raw: String(raw), fd, at, minion, colour, text: null, node: null });
    }
    this.capPending();
    this.schedule();
  }

  /**
   * Queues one marker line (an event or a notice from the viewer itself);
   * `title` is its tooltip, `id` its stream entry id, `minion` the fleet member it is about.
   */
  addMarker(event, text, title = "", id = undefined, minion = null) {
    const safe = String(event).replace(/[^a-z0-9-]/g, "") || "notice";
    const colour = this.colourOf(minion);
    this.pending.push({ kind: "marker", event: safe, text, title, at: entryTime(id), minion, colour, node: null });
    this.capPending();
    this.schedule();
  }

  colourOf(minion) {
    return minion === null ? null : (this.colours.get(minion) ?? 0);
  }

  /** Whether a rendered or pending record passes the minion filter (and, for a line, the text filter). */
  shows(rec) {
    if (this.only !== null && rec.minion !== null && rec.minion !== undefined && rec.minion !== this.only) return false;
    if (rec.kind !== "line") return true;
    return this.visible(rec.text === null ? stripAnsi(rec.raw) : rec.text);
  }

  capPending() {
    const excess = this.pending.length - this.maxLines;
    if (excess > 0) {
      // Never rendered: what the flood pushed past the cap before a frame
      // could show it. Dropping the oldest keeps memory and work bounded.
      this.pending.splice(0, excess);
      this.trimmed += excess;
    }
    this.changed();
  }

  schedule() {
    if (this.paused || this.frame !== 0 || this.pending.length === 0) return;
    this.frame = requestAnimationFrame(() => this.flush());
  }

  flush() {
    this.frame = 0;
    if (this.paused) return;
    const batch = this.pending.splice(0, FRAME_BUDGET);
    const fragment = document.createDocumentFragment();
    for (const rec of batch) {
      if (rec.kind === "line") {
        rec.text = stripAnsi(rec.raw);
        rec.level = levelOf(rec.text);
        rec.node = lineNode(rec, this.rangesOf(rec));
        this.lines += 1;
        const show = this.shows(rec);
        if (!show) rec.node.classList.add("hidden");
        else this.shown += 1;
        if (this.highlight && this.highlight.test(rec.text)) rec.node.classList.add("hl");
      } else {
        rec.node = markerNode(rec);
        if (!this.shows(rec)) rec.node.classList.add("hidden");
      }
      fragment.append(rec.node);
      this.held.push(rec);
    }
    this.list.append(fragment);
    this.trimHeld();
    if (this.stick) this.scroller.scrollTop = this.scroller.scrollHeight;
    this.changed();
    this.schedule();
  }

  trimHeld() {
    const excess = this.held.length - this.maxLines;
    if (excess <= 0) return;
    for (const rec of this.held.splice(0, excess)) {
      if (rec.kind === "line") {
        this.lines -= 1;
        if (!rec.node.classList.contains("hidden")) this.shown -= 1;
      }
      rec.node.remove();
    }
    this.trimmed += excess;
  }

  rangesOf(rec) {
    return this.highlight ? this.highlight.ranges(rec.text) : [];
  }

  onScroll() {
    const s = this.scroller;
    const atBottom = s.scrollHeight - s.scrollTop - s.clientHeight <= BOTTOM_SLACK;
    if (atBottom !== this.stick) {
      this.stick = atBottom;
      this.changed();
    }
  }

  /** Scrolls to the newest line now and keeps following (after a layout change). */
  followNow() {
    this.stick = true;
    this.scroller.scrollTop = this.scroller.scrollHeight;
    this.changed();
  }

  /** Scrolls to the newest line and keeps following (also resumes). */
  jumpToLive() {
    this.stick = true;
    this.resume();
    this.scroller.scrollTop = this.scroller.scrollHeight;
    this.changed();
  }

  pause() {
    this.paused = true;
    this.changed();
  }

  /** Shows everything that arrived while paused (up to the cap). */
  resume() {
    if (!this.paused) return;
    this.paused = false;
    this.changed();
    this.schedule();
  }

  /** Sets the visibility predicate and re-applies it to every held line. */
  setFilter(visible) {
    this.visible = visible;
    this.refilter();
  }

  /** Fleet view: shows only the records of `minion` (null: every minion's). */
  setOnly(minion) {
    this.only = minion;
    this.refilter();
  }

  refilter() {
    let shown = 0;
    for (const rec of this.held) {
      const show = this.shows(rec);
      rec.node.classList.toggle("hidden", !show);
      if (show && rec.kind === "line") shown += 1;
    }
    this.shown = shown;
    if (this.stick) this.scroller.scrollTop = this.scroller.scrollHeight;
    this.changed();
  }

  /** Sets the highlight matcher (or null) and re-renders every held line's text. */
  setHighlight(matcher) {
    this.highlight = matcher;
    for (const rec of this.held) {
      if (rec.kind !== "line") continue;
      const txt = rec.node.querySelector(".txt");
      fillText(txt, rec.raw, this.rangesOf(rec));
      rec.node.classList.toggle("hl", matcher !== null && matcher.test(rec.text));
    }
  }

  /**
   * The text of a Download: `shown` = the lines the filters (text, minion)
   * let through, as plain text (no escape codes, no marker lines); `raw` =
   * every line held and pending as the tailer sent it (SGR colours kept,
   * other escapes removed), no marker lines. In a fleet view every line
   * starts with its minion id and `: `.
   */
  text(mode) {
    const out = [];
    for (const rec of this.held.concat(this.pending)) {
      if (rec.kind !== "line") continue;
      const prefix = typeof rec.minion === "string" ? `${rec.minion}: ` : "";
      if (mode === "raw") out.push(prefix + sgrOnly(rec.raw));
      else if (this.shows(rec)) out.push(prefix + (rec.text === null ? stripAnsi(rec.raw) : rec.text));
    }
    return out.length > 0 ? `${out.join("\n")}\n` : "";
  }

  counts() {
    return {
      held: this.held.length,
      lines: this.lines,
      shown: this.shown,
      pending: this.pending.length,
      trimmed: this.trimmed,
      paused: this.paused,
      atBottom: this.stick,
      only: this.only,
    };
  }

  /** Reports the counts once per frame at most, however many changes happened. */
  changed() {
    if (this.statusFrame !== 0) return;
    this.statusFrame = requestAnimationFrame(() => {
      this.statusFrame = 0;
      this.onChange(this.counts());
    });
  }
}
