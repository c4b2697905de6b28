// controls.js — the one responsibility of this module: wire the viewer's
// toolbar and keyboard shortcuts (space pause, End live, / filter, Esc clear,
// PageUp/PageDown/Home/arrows scroll the log) to LogView.

import { compilePattern, makeFilter } from "./filter.js";
import { t } from "./i18n.js";

const $ = (id) => document.getElementById(id);

function remember(key, value) {
  try {
    localStorage.setItem(`logview.${key}`, value ? "1" : "0");
  } catch {
    // storage may be disabled (e.g. third-party iframe): preferences just don't persist
  }
}

function recalled(key) {
  try {
    return localStorage.getItem(`logview.${key}`) === "1";
  } catch {
    return false;
  }
}

function debounce(fn, ms) {
  let t = 0;
  return () => {
    clearTimeout(t);
    t = setTimeout(fn, ms);
  };
}

function toggleClass(view, checkbox, key, cls) {
  checkbox.checked = recalled(key);
  const apply = () => {
    // The layout changes height: a view that was following keeps following.
    const following = view.stick;
    document.body.classList.toggle(cls, checkbox.checked);
    remember(key, checkbox.checked);
    if (following) view.followNow();
  };
  checkbox.addEventListener("change", apply);
  apply();
}

function fileName(config, mode) {
  const what = (config.path || config.command || "log").split("/").pop() || "log";
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const kind = mode === "raw" ? "raw" : "shown";
  // A fleet view: its target's name, or "fleet" for an explicit list.
  const who = config.minion || config.target || "fleet";
  return `${who}_${what}_${kind}_${stamp}.log`.replace(/[^A-Za-z0-9._-]/g, "_");
}

/** Keys that scroll the log when no control has the focus (the scroller's own keys). */
function scrollKey(view, key) {
  const s = view.scroller;
  const page = Math.max(40, s.clientHeight - 40);
  const by = { PageUp: -page, PageDown: page, ArrowUp: -40, ArrowDown: 40 }[key];
  if (by !== undefined) {
    s.scrollTop += by;
    return true;
  }
  if (key === "Home") {
    s.scrollTop = 0;
    return true;
  }
  return false;
}

/** Connects every control of the page to `view`. */
export function wireControls(view, config) {
  const pause = $("pause");
  const filter = $("filter");
  const mode = $("filter-mode");
  const regex = $("filter-regex");
  const highlight = $("highlight");
  const error = $("filter-error");

  const togglePause = () => (view.paused ? view.resume() : view.pause());
  pause.addEventListener("click", togglePause);
  $("jump-live").addEventListener("click", () => view.jumpToLive());

  const applyFilter = () => {
    const matcher = compilePattern(filter.value, regex.checked);
    const bad = matcher !== null && matcher.error;
    error.hidden = !bad;
    error.textContent = bad ? t("js.filter.error", { detail: matcher.detail }) : "";
    if (bad) error.dataset.from = "filter";
    else delete error.dataset.from;
    filter.setAttribute("aria-invalid", String(Boolean(bad)));
    if (!bad) view.setFilter(makeFilter(matcher, mode.value));
  };
  const applyHighlight = () => {
    const matcher = compilePattern(highlight.value, regex.checked);
    const bad = matcher !== null && matcher.error;
    highlight.setAttribute("aria-invalid", String(Boolean(bad)));
    if (bad) {
      error.hidden = false;
      error.textContent = t("js.highlight.error", { detail: matcher.detail });
      error.dataset.from = "highlight";
    } else {
      // The error shown is the highlight's own: it goes with the bad pattern.
      if (error.dataset.from === "highlight") {
        error.hidden = true;
        error.textContent = "";
        delete error.dataset.from;
      }
      view.setHighlight(matcher);
    }
  };
  filter.addEventListener("input", debounce(applyFilter, 120));
  mode.addEventListener("change", applyFilter);
  regex.addEventListener("change", () => {
    applyFilter();
    applyHighlight();
  });
  highlight.addEventListener("input", debounce(applyHighlight, 200));

  toggleClass(view, $("wrap"), "wrap", "wrap");
  toggleClass(view, $("show-time"), "time", "show-time");

  $("download").addEventListener("click", () => {
    const mode = $("download-mode").value;
    const blob = new Blob([view.text(mode)], { type: "text/plain;charset=utf-8" });
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = fileName(config, mode);
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10000);
  });

  document.addEventListener("keydown", (ev) => {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const typing = ev.target instanceof HTMLElement && ev.target.closest("input, select, textarea, button");
    if (typing) {
      if (ev.key !== "Escape") return;
      // Esc empties a filter/highlight box, and the filter goes with it
      // (the box never shows less than what is applied); Esc on an empty box leaves it.
      ev.preventDefault();
      const box = ev.target;
      if ((box === filter || box === highlight) && box.value !== "") {
        box.value = "";
        if (box === filter) applyFilter();
        else applyHighlight();
      } else box.blur();
      return;
    }
    if (ev.key === " ") {
      ev.preventDefault();
      togglePause();
    } else if (ev.key === "End") {
      ev.preventDefault();
      view.jumpToLive();
    } else if (ev.key === "/") {
      ev.preventDefault();
      filter.focus();
      filter.select();
    } else if (ev.target !== view.scroller && scrollKey(view, ev.key)) {
      // Focus on the page itself (nothing clicked yet): the log still scrolls.
      ev.preventDefault();
    }
  });
}
