// recent.js — the one responsibility of this module: the browser's list of
// recently viewed minions (localStorage, newest first, at most MAX), written
// by the ops page and shown on the index page.

const KEY = "logview.recentMinions";
const MAX = 12;

/** The remembered minion ids, newest first (empty when storage is off). */
export function recent() {
  try {
    const list = JSON.parse(localStorage.getItem(KEY) || "[]");
    return Array.isArray(list) ? list.filter((v) => typeof v === "string").slice(0, MAX) : [];
  } catch {
    return [];
  }
}

/** Puts `id` first in the list. */
export function remember(id) {
  const list = [id, ...recent().filter((v) => v !== id)].slice(0, MAX);
  try {
    localStorage.setItem(KEY, JSON.stringify(list));
  } catch {
    // storage may be disabled: the list just is not kept
  }
}
