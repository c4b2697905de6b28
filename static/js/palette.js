// palette.js — the one responsibility of this module: the colour of each
// minion of a fleet view, one of PALETTE_SIZE classes (`mc-0`…, style.css):
// chosen from a hash of the id, so a minion keeps its colour from one view to
// the next, and moved to the next free colour when two members of one view
// would share one (up to PALETTE_SIZE members). The id is always written out
// beside the colour: colour alone never tells minions apart.

export const PALETTE_SIZE = 8;

/** FNV-1a over the UTF-16 code units of `text` (32 bits). */
export function hashOf(text) {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** Member id → colour index, distinct while there are free colours. */
export function assignColours(members) {
  const colours = new Map();
  const used = new Set();
  for (const minion of members) {
    if (colours.has(minion)) continue;
    let c = hashOf(minion) % PALETTE_SIZE;
    if (used.size < PALETTE_SIZE) while (used.has(c)) c = (c + 1) % PALETTE_SIZE;
    used.add(c);
    colours.set(minion, c);
  }
  return colours;
}
