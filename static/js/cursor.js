// cursor.js — the one responsibility of this module: where a viewer resumes
// and whether a message is new. One stream: the last entry id delivered. A
// fleet stream: the last id of each minion, sent back as the cursor
// `MINION=ID,MINION=ID` (docs/browser-protocol.md), so a reconnect resumes
// every member after its own last id: no gap, nothing twice.

/** True when Redis stream id `a` ("ms-seq") comes after `b`. */
export function idAfter(a, b) {
  if (b === null || b === undefined) return true;
  const [am, as] = a.split("-");
  const [bm, bs] = b.split("-");
  const amn = Number(am);
  const bmn = Number(bm);
  if (amn !== bmn) return amn > bmn;
  return Number(as || 0) > Number(bs || 0);
}

/** The position in one stream: the last entry id delivered. */
export class StreamPosition {
  constructor() {
    this.last = null;
  }

  /** True (and remembered) when `msg` is to be delivered: no id, or an id after the last one. */
  accept(msg) {
    if (typeof msg.id !== "string") return true;
    if (!idAfter(msg.id, this.last)) return false;
    this.last = msg.id;
    return true;
  }

  /** What to resume after (`?after=` / `Last-Event-ID`), or null at the start. */
  resumeAt() {
    return this.last;
  }
}

/** The position in a fleet stream: the last entry id of each member. */
export class FleetPosition {
  /** @param {string[]} members the minion ids of the ticket */
  constructor(members) {
    this.members = new Set(members);
    this.last = new Map();
  }

  /**
   * True (and remembered) when `msg` is to be delivered: a message of a
   * member with no id (`dropped`), or an id after that member's last one.
   * A message naming no member of the ticket is never delivered.
   */
  accept(msg) {
    const minion = msg.minion;
    if (typeof minion !== "string" || !this.members.has(minion)) return false;
    if (typeof msg.id !== "string") return true;
    if (!idAfter(msg.id, this.last.get(minion) ?? null)) return false;
    this.last.set(minion, msg.id);
    return true;
  }

  /** The cursor `MINION=ID,…` of every member heard from, or null before any. */
  resumeAt() {
    if (this.last.size === 0) return null;
    return [...this.last].map(([minion, id]) => `${minion}=${id}`).join(",");
  }
}
