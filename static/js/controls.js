// controls.js — the one responsibility of this module: wire the viewer's
// toolbar and keyboard shortcuts (space pause, End live, / filter) to LogView.

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

function toggleClass(checkbox, key, cls) {
  checkbox.checked = recalled(key);
  const apply = () => {
    document.body.classList.toggle(cls, checkbox.checked);
    remember(key, checkbox.checked);
  };
  checkbox.addEventListener("change", apply);
  apply();
}

function fileName(config) {
  const what = (config.path || config.command || "log").split("/").pop() || "log";
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  return `${config.minion}_${what}_${stamp}.log`.replace(/[^A-Za-z0-9._-]/g, "_");
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
    } else view.setHighlight(matcher);
  };
  filter.addEventListener("input", debounce(applyFilter, 120));
  mode.addEventListener("change", applyFilter);
  regex.addEventListener("change", () => {
    applyFilter();
    applyHighlight();
  });
  highlight.addEventListener("input", debounce(applyHighlight, 200));

  toggleClass($("wrap"), "wrap", "wrap");
  toggleClass($("show-time"), "time", "show-time");

  $("download").addEventListener("click", () => {
    const blob = new Blob([view.text()], { type: "text/plain;charset=utf-8" });
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = fileName(config);
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10000);
  });

  document.addEventListener("keydown", (ev) => {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const typing = ev.target instanceof HTMLElement && ev.target.closest("input, select, textarea, button");
    if (typing) {
      if (ev.key === "Escape" && ev.target instanceof HTMLElement) ev.target.blur();
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
    }
  });
}
