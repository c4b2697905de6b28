// index.js — the one responsibility of this module: fill the index page's
// "recently viewed" list (and the minion box's suggestions) from recent.js.
// Ids are put in as text and encoded into the link; nothing becomes markup.

import { recent } from "./recent.js";

const list = document.getElementById("recent-list");
const none = document.getElementById("recent-none");
const options = document.getElementById("minion-suggestions");
const base = document.getElementById("index-page").dataset.base;

const ids = recent();
for (const id of ids) {
  const li = document.createElement("li");
  const a = document.createElement("a");
  a.href = `${base}minions/${encodeURIComponent(id)}`;
  a.textContent = id;
  a.className = "mono";
  li.append(a);
  list.append(li);
  if (![...options.options].some((o) => o.value === id)) {
    const o = document.createElement("option");
    o.value = id;
    options.append(o);
  }
}
none.hidden = ids.length > 0;
