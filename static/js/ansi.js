// ansi.js — the one responsibility of this module: turn a log line that may
// contain ANSI escape sequences into styled text segments, safely.
//
// Only SGR sequences (ESC [ ... m) are interpreted, and only into a closed set
// of CSS class names (plus numeric 256-colour / RGB values applied through the
// CSSOM by render.js). Every other escape or control sequence is removed.
// Nothing here produces HTML: the caller puts `text` in a node's textContent.

const ESC = "\u001b";

/** Named classes for the 16 basic colours, index 0-15. */
const BASIC = [
  "black", "red", "green", "yellow", "blue", "magenta", "cyan", "white",
  "bright-black", "bright-red", "bright-green", "bright-yellow",
  "bright-blue", "bright-magenta", "bright-cyan", "bright-white",
];

/** xterm 256-colour palette entry `n` (16-255) as an `rgb()` string. */
function xterm256(n) {
  if (n < 232) {
    const i = n - 16;
    const steps = [0, 95, 135, 175, 215, 255];
    return `rgb(${steps[Math.floor(i / 36)]}, ${steps[Math.floor(i / 6) % 6]}, ${steps[i % 6]})`;
  }
  const g = 8 + (n - 232) * 10;
  return `rgb(${g}, ${g}, ${g})`;
}

function byte(v) {
  return Number.isInteger(v) && v >= 0 && v <= 255;
}

/** A fresh, unstyled state. */
function plain() {
  return { fg: null, bg: null, fgRgb: null, bgRgb: null, bold: false, dim: false, italic: false, underline: false, inverse: false };
}

/**
 * Reads an extended colour (38/48 ; 5 ; n  or  38/48 ; 2 ; r ; g ; b) from
 * `params` at `i` (the index of 38/48). Returns [className|null, rgb|null, nextIndex].
 */
function extended(params, i) {
  const mode = params[i + 1];
  if (mode === 5 && byte(params[i + 2])) {
    const n = params[i + 2];
    return n < 16 ? [BASIC[n], null, i + 3] : [null, xterm256(n), i + 3];
  }
  if (mode === 2 && byte(params[i + 2]) && byte(params[i + 3]) && byte(params[i + 4])) {
    return [null, `rgb(${params[i + 2]}, ${params[i + 3]}, ${params[i + 4]})`, i + 5];
  }
  return [null, null, params.length];
}

/** Applies one SGR parameter list to `st` (mutated). */
function applySgr(st, params) {
  if (params.length === 0) params = [0];
  for (let i = 0; i < params.length;) {
    const p = params[i];
    if (p === 0 || Number.isNaN(p)) Object.assign(st, plain());
    else if (p === 1) st.bold = true;
    else if (p === 2) st.dim = true;
    else if (p === 3) st.italic = true;
    else if (p === 4) st.underline = true;
    else if (p === 7) st.inverse = true;
    else if (p === 22) { st.bold = false; st.dim = false; }
    else if (p === 23) st.italic = false;
    else if (p === 24) st.underline = false;
    else if (p === 27) st.inverse = false;
    else if (p >= 30 && p <= 37) { st.fg = BASIC[p - 30]; st.fgRgb = null; }
    else if (p >= 90 && p <= 97) { st.fg = BASIC[p - 90 + 8]; st.fgRgb = null; }
    else if (p >= 40 && p <= 47) { st.bg = BASIC[p - 40]; st.bgRgb = null; }
    else if (p >= 100 && p <= 107) { st.bg = BASIC[p - 100 + 8]; st.bgRgb = null; }
    else if (p === 39) { st.fg = null; st.fgRgb = null; }
    else if (p === 49) { st.bg = null; st.bgRgb = null; }
    else if (p === 38 || p === 48) {
      const [cls, rgb, next] = extended(params, i);
      if (p === 38) { st.fg = cls; st.fgRgb = rgb; } else { st.bg = cls; st.bgRgb = rgb; }
      i = next;
      continue;
    }
    i += 1;
  }
}

/**
 * The colours a state shows: with inverse (SGR 7) foreground and background
 * swap, and an unset side takes the page's default colour of the other side
 * (`fg-inverse` = the page background, `bg-inverse` = the page text colour).
 */
function colours(st) {
  if (!st.inverse) return st;
  return {
    fg: st.bg || (st.bgRgb ? null : "inverse"),
    bg: st.fg || (st.fgRgb ? null : "inverse"),
    fgRgb: st.bgRgb,
    bgRgb: st.fgRgb,
  };
}

/** The CSS classes of a state (all from a fixed vocabulary). */
function classesOf(st) {
  const out = [];
  const c = colours(st);
  if (c.fg) out.push(`fg-${c.fg}`);
  if (c.bg) out.push(`bg-${c.bg}`);
  if (st.bold) out.push("sgr-bold");
  if (st.dim) out.push("sgr-dim");
  if (st.italic) out.push("sgr-italic");
  if (st.underline) out.push("sgr-underline");
  return out;
}

// CSI: ESC [ params intermediates final; OSC: ESC ] ... (BEL | ESC \);
// other two-byte escapes: ESC followed by one char in @-_ .
// eslint-disable-next-line no-control-regex
const SEQUENCE = /\u001b\[([0-?]*)([ -/]*)([@-~])|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|\u001b[@-Z\\-_]?|\u009b[0-?]*[ -/]*[@-~]/g;
// C0/C1 control characters other than TAB, removed from the text.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g;

/**
 * Splits `line` into segments `{ text, classes, fgRgb, bgRgb }`.
 * Lines without any escape come back as a single unstyled segment quickly.
 */
export function parseAnsi(line) {
  if (line.indexOf(ESC) === -1 && line.indexOf("\u009b") === -1) {
    return [{ text: line.replace(CONTROL, ""), classes: [], fgRgb: null, bgRgb: null }];
  }
  const segments = [];
  const st = plain();
  let last = 0;
  const push = (raw) => {
    const text = raw.replace(CONTROL, "");
    if (text === "") return;
    const c = colours(st);
    segments.push({ text, classes: classesOf(st), fgRgb: c.fgRgb, bgRgb: c.bgRgb });
  };
  SEQUENCE.lastIndex = 0;
  for (let m = SEQUENCE.exec(line); m !== null; m = SEQUENCE.exec(line)) {
    push(line.slice(last, m.index));
    last = SEQUENCE.lastIndex;
    if (m[3] === "m" && m[2] === "" && /^[0-9;:]*$/.test(m[1])) {
      const params = m[1] === "" ? [] : m[1].split(/[;:]/).map((s) => (s === "" ? 0 : Number.parseInt(s, 10)));
      applySgr(st, params);
    }
  }
  push(line.slice(last));
  return segments.length > 0 ? segments : [{ text: "", classes: [], fgRgb: null, bgRgb: null }];
}

/**
 * The line for the Download file: SGR colour sequences kept (a terminal shows
 * them as colours), every other escape sequence (titles, cursor moves, screen
 * clears, OSC hyperlinks, …) and every C0/C1 control character but TAB removed,
 * so `cat`-ing the file cannot drive the terminal.
 */
export function sgrOnly(line) {
  if (line.indexOf(ESC) === -1 && line.indexOf("\u009b") === -1) return line.replace(CONTROL, "");
  let out = "";
  let last = 0;
  SEQUENCE.lastIndex = 0;
  for (let m = SEQUENCE.exec(line); m !== null; m = SEQUENCE.exec(line)) {
    out += line.slice(last, m.index).replace(CONTROL, "");
    last = SEQUENCE.lastIndex;
    const sgr = m[0].startsWith(`${ESC}[`) && m[3] === "m" && m[2] === "" && /^[0-9;:]*$/.test(m[1]);
    if (sgr) out += m[0];
  }
  return out + line.slice(last).replace(CONTROL, "");
}

/** The line with every escape and control sequence removed (for filters, levels, download). */
export function stripAnsi(line) {
  if (line.indexOf(ESC) === -1 && line.indexOf("\u009b") === -1) return line.replace(CONTROL, "");
  return line.replace(SEQUENCE, "").replace(CONTROL, "");
}
