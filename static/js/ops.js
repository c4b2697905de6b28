// ops.js — the one responsibility of this module: let the ops page's forms
// (start a tail, run a command) work without a page reload: post them with
// fetch, show an error in words next to the form, or open the returned viewer
// URL in the page's viewer frame, saying "Starting…" meanwhile. Without
// JavaScript the same forms post normally and the server redirects to the
// page with the viewer (post/redirect/get).

import { t } from "./i18n.js";
import { remember } from "./recent.js";

const frame = document.getElementById("viewer-frame");
const empty = document.getElementById("viewer-empty");
const link = document.getElementById("viewer-link");

/** Puts this page's minion first in the "recently viewed" list of the index page (recent.js). */
function rememberMinion() {
  const id = document.getElementById("minion-id")?.textContent?.trim();
  if (id) remember(id);
}

function errorBox(form) {
  const id = form.dataset.error;
  return id ? document.getElementById(id) : form.querySelector(".form-error");
}

function showError(form, message, field) {
  const box = errorBox(form);
  box.textContent = message;
  box.hidden = false;
  for (const input of form.querySelectorAll("input[name]")) {
    input.setAttribute("aria-invalid", String(input.name === field));
  }
}

function clearError(form) {
  const box = errorBox(form);
  box.hidden = true;
  box.textContent = "";
  for (const input of form.querySelectorAll("input[aria-invalid]")) input.setAttribute("aria-invalid", "false");
}

function openViewer(url) {
  frame.src = url;
  frame.hidden = false;
  empty.hidden = true;
  link.href = url;
  link.parentElement.hidden = false;
  // On a narrow screen the view sits below the forms: bring it into sight.
  frame.scrollIntoView({ block: "start" });
}

/** Marks `form` busy (or not): its button says what is going on, `aria-busy` for screen readers. */
function busy(form, on) {
  form.classList.toggle("busy", on);
  form.setAttribute("aria-busy", String(on));
  const button = form.querySelector("button[type=submit]");
  if (!button) return;
  if (on) {
    button.dataset.idle = button.textContent;
    button.textContent = form.id === "tail-form" ? t("js.ops.starting") : t("js.ops.running");
  } else if (button.dataset.idle) button.textContent = button.dataset.idle;
}

async function submit(form) {
  clearError(form);
  busy(form, true);
  try {
    const res = await fetch(form.action, {
      method: "POST",
      body: new URLSearchParams(new FormData(form)),
      headers: { Accept: "application/json" },
      credentials: "same-origin",
      cache: "no-store",
    });
    let body = null;
    try {
      body = await res.json();
    } catch {
      body = null;
    }
    if (body && body.success === true && typeof body.url === "string") openViewer(body.url);
    else if (body && typeof body.message === "string") showError(form, body.message, body.field);
    else showError(form, t("js.ops.http_error", { status: res.status }), null);
  } catch {
    showError(form, t("js.ops.unreachable"), null);
  } finally {
    busy(form, false);
  }
}

rememberMinion();

for (const form of document.querySelectorAll("form[data-enhance]")) {
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    submit(form);
  });
}
