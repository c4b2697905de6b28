// render.js — the one responsibility of this module: build the DOM nodes of
// one log line or one event marker (in a fleet view with the minion's id as a
// column). Log text only ever reaches the page via text nodes / textContent;
// styling comes from a fixed set of class names.

import { parseAnsi } from "./ansi.js";

// One pass finds the first level word of the line. Full words match in any
// case; the short or ambiguous forms (ERR, CRIT, EMERG, ALERT, PANIC, SEVERE)
// only in capitals, so "alert(1)" or "err" in a message do not colour a line.
const LEVEL_WORD =
  /\b(?:(fatal|critical|error)|(warn|warning)|(info|notice)|(debug|trace))\b|\b(?:(ERR|CRIT|EMERG|ALERT|PANIC|SEVERE)|(WRN)|(INF)|(DBG|TRC))\b/gi;
const LEVEL_OF_GROUP = [null, "error", "warn", "info", "debug", "error", "warn", "info", "debug"];

/** The level class of a line of text (`error`, `warn`, `info`, `debug` or ""). */
export function levelOf(text) {
  // Only the start of the line is looked at: the level sits in the prefix of
  // virtually every log format, and a message *about* an error far into an
  // INFO line should not turn it red. 160 characters cover long timestamps.
  const head = text.length > 160 ? text.slice(0, 160) : text;
  LEVEL_WORD.lastIndex = 0;
  for (let m = LEVEL_WORD.exec(head); m !== null; m = LEVEL_WORD.exec(head)) {
    const g = m.findIndex((v, i) => i > 0 && v !== undefined);
    // The capitals-only alternatives: the regex is case-insensitive as a whole.
    if (g >= 5 && m[g] !== m[g].toUpperCase()) continue;
    return LEVEL_OF_GROUP[g];
  }
  return "";
}

/** `HH:MM:SS.mmm` of a timestamp in local time. */
export function clock(ms) {
  const d = new Date(ms);
  const p = (n, w = 2) => String(n).padStart(w, "0");
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

/**
 * Fills `target` with the styled text of `raw`, wrapping the character
 * `ranges` (of the escape-free text) in <mark>.
 */
export function fillText(target, raw, ranges) {
  target.textContent = "";
  let offset = 0;
  let r = 0;
  for (const seg of parseAnsi(raw)) {
    const holder = seg.classes.length || seg.fgRgb || seg.bgRgb ? styled(seg) : null;
    const into = holder || target;
    let pos = 0;
    const text = seg.text;
    while (pos < text.length) {
      while (r < ranges.length && ranges[r][1] <= offset + pos) r += 1;
      const range = ranges[r];
      if (!range || range[0] >= offset + text.length) {
        into.append(text.slice(pos));
        break;
      }
      const start = Math.max(range[0] - offset, pos);
      if (start > pos) {
        into.append(text.slice(pos, start));
        pos = start;
        continue;
      }
      const end = Math.min(range[1] - offset, text.length);
      const mark = document.createElement("mark");
      mark.textContent = text.slice(pos, end);
      into.append(mark);
      pos = end;
    }
    offset += text.length;
    if (holder) target.append(holder);
  }
}

function styled(seg) {
  const span = document.createElement("span");
  span.className = seg.classes.join(" ");
  // Numeric colours only (built by ansi.js from validated integers), set via
  // the CSSOM, which the Content-Security-Policy allows, never as markup.
  if (seg.fgRgb) span.style.color = seg.fgRgb;
  if (seg.bgRgb) span.style.backgroundColor = seg.bgRgb;
  return span;
}

/** The minion column of a fleet record (`rec.minion`, colour `rec.colour`), or null. */
function minionNode(rec) {
  if (typeof rec.minion !== "string") return null;
  const span = document.createElement("span");
  span.className = `mn mc-${Number.isInteger(rec.colour) ? rec.colour : 0}`;
  span.textContent = rec.minion;
  return span;
}

/** The node of one log line record. */
export function lineNode(rec, ranges) {
  const div = document.createElement("div");
  div.className = "line";
  if (rec.level) div.classList.add(`lvl-${rec.level}`);
  if (rec.fd === 2) div.classList.add("fd-err");
  const ts = document.createElement("span");
  ts.className = "ts";
  ts.textContent = clock(rec.at);
  const txt = document.createElement("span");
  txt.className = "txt";
  fillText(txt, rec.raw, ranges);
  const mn = minionNode(rec);
  if (mn) div.append(ts, mn, txt);
  else div.append(ts, txt);
  return div;
}

/** The node of one event/notice marker record. */
export function markerNode(rec) {
  const div = document.createElement("div");
  div.className = `marker marker-${rec.event}`;
  div.dataset.event = rec.event;
  if (rec.title) div.title = rec.title;
  const ts = document.createElement("span");
  ts.className = "ts";
  ts.textContent = clock(rec.at);
  const txt = document.createElement("span");
  txt.className = "txt";
  txt.textContent = rec.text;
  const mn = minionNode(rec);
  if (mn) div.append(ts, mn, txt);
  else div.append(ts, txt);
  return div;
}
