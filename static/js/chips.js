// chips.js — the one responsibility of this module: the minion chips of a
// fleet view (rendered by templates/fleet.html): each member's colour, state
// (waiting, following, rotated, file missing, stopped…) and line count, and
// the click (or Enter/Space: they are buttons) that shows only that minion's
// lines; a second click shows every minion again. The chips of minions that
// are not in the view (unreachable, file missing…) only say why.

import { linesText } from "./status.js";
import { t } from "./i18n.js";

export class Chips {
  /**
   * @param {HTMLElement} container the element holding the chips
   * @param {Map<string, number>} colours minion id → palette index
   * @param {(minion: string | null) => void} onPick called with the minion to show alone, or null for all
   */
  constructor(container, colours, onPick) {
    this.byMinion = new Map();
    this.only = null;
    this.onPick = onPick;
    for (const chip of container.querySelectorAll("button.chip")) {
      const minion = chip.dataset.minion;
      const entry = { chip, lines: 0, state: chip.querySelector(".chip-state"), count: chip.querySelector(".chip-count") };
      chip.querySelector(".chip-id").classList.add(`mc-${colours.get(minion) ?? 0}`);
      chip.addEventListener("click", () => this.pick(this.only === minion ? null : minion));
      this.byMinion.set(minion, entry);
    }
  }

  /** Shows only `minion`'s lines (null: every minion's). */
  pick(minion) {
    this.only = minion;
    for (const [m, e] of this.byMinion) e.chip.setAttribute("aria-pressed", String(m === minion));
    this.onPick(minion);
  }

  /** Sets a member's state `{ key, text }` (from events.js). */
  state(minion, state) {
    const e = this.byMinion.get(minion);
    if (!e || !state) return;
    e.chip.dataset.state = state.key;
    e.state.textContent = state.text;
  }

  /** `n` lines of `minion` arrived: counted, and a waiting member is following. */
  linesArrived(minion, n) {
    const e = this.byMinion.get(minion);
    if (!e) return;
    e.lines += n;
    e.count.textContent = linesText(e.lines);
    // A member sharing a tailer that started before this view never sends `started`.
    if (e.chip.dataset.state === "waiting") this.state(minion, { key: "following", text: t("js.stream.following") });
  }
}
