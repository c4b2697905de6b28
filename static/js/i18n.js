// i18n.js — the one responsibility of this module: the words of the page's
// language for the scripts. The page embeds the `js.*` part of its catalogue
// (locales/*.toml) as `<script type="application/json" id="i18n">`; `t(key,
// args)` looks a key up and fills its `{name}` placeholders. Every key is a
// literal at its call, so the Rust test `every_key_the_sources_use_exists…`
// finds it in both catalogues.

function load() {
  if (typeof document === "undefined") return {};
  const el = document.getElementById("i18n");
  if (!el) return {};
  try {
    const words = JSON.parse(el.textContent);
    return words && typeof words === "object" ? words : {};
  } catch {
    return {};
  }
}

const WORDS = load();

/** The page's language tag (`en`, `zh-CN`). */
export const lang = typeof document === "undefined" ? "en" : document.documentElement.lang || "en";

/** The words of `key` with `{name}` replaced by `args[name]`; the key itself when unknown. */
export function t(key, args = {}) {
  const text = typeof WORDS[key] === "string" ? WORDS[key] : key;
  return text.replace(/\{([A-Za-z0-9_]+)\}/g, (whole, name) =>
    Object.hasOwn(args, name) && args[name] !== undefined && args[name] !== null ? String(args[name]) : whole,
  );
}
