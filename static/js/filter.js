// filter.js — the one responsibility of this module: compile what the user
// typed in the filter and highlight boxes into a line predicate and a
// highlighter, and report a bad regular expression in words.

/**
 * Compiles a pattern. `regex` selects a regular expression; otherwise it is a
 * plain substring. Both ignore case unless the pattern has an upper-case letter
 * ("smart case", like less and ripgrep).
 * Returns { test(text) -> bool, ranges(text) -> [[start, end]...] } or
 * { error: "...", detail: "..." } for an invalid regular expression (`detail`:
 * the engine's own words, for a message in the page's language); null for an
 * empty pattern.
 */
export function compilePattern(pattern, regex) {
  if (pattern === "") return null;
  const flags = /[A-Z]/.test(pattern) ? "g" : "gi";
  let re;
  try {
    re = new RegExp(regex ? pattern : escapeRegExp(pattern), flags);
  } catch (e) {
    const detail = e.message.replace(/^Invalid regular expression: /, "");
    return { error: `not a valid regular expression: ${detail}`, detail };
  }
  return {
    test(text) {
      re.lastIndex = 0;
      return re.test(text);
    },
    ranges(text) {
      const out = [];
      re.lastIndex = 0;
      for (let m = re.exec(text); m !== null && out.length < 64; m = re.exec(text)) {
        if (m[0].length === 0) {
          re.lastIndex += 1;
          continue;
        }
        out.push([m.index, m.index + m[0].length]);
      }
      return out;
    },
  };
}

function escapeRegExp(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * The visibility rule of the view: `include` keeps matching lines, `exclude`
 * hides them. Markers (events) are always shown so state changes stay visible.
 */
export function makeFilter(matcher, mode) {
  if (matcher === null || matcher.error) return () => true;
  if (mode === "exclude") return (text) => !matcher.test(text);
  return (text) => matcher.test(text);
}
