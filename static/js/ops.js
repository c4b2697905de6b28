// ops.js — the one responsibility of this module: let the ops page's forms
// (start a tail, run a command) work without a page reload: post them with
// fetch, show an error in words next to the form, or open the returned viewer
// URL in the page's viewer frame. Without JavaScript the same forms post
// normally and the server renders the same result.

import { t } from "./i18n.js";

const frame = document.getElementById("viewer-frame");
const empty = document.getElementById("viewer-empty");
const link = document.getElementById("viewer-link");

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
}

async function submit(form) {
  clearError(form);
  form.classList.add("busy");
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
    form.classList.remove("busy");
  }
}

for (const form of document.querySelectorAll("form[data-enhance]")) {
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    submit(form);
  });
}
