// events.js — the one responsibility of this module: put the stream's events
// (started, rotated, truncated, missing, reappeared, dropped, stopped, exit)
// and the viewer's own `dropped` notices into words: the marker line shown in
// the log and the stream state shown in the header.

import { entryTime } from "./logview.js";
import { clock } from "./render.js";

const STOP_REASONS = {
  idle: "nobody was watching",
  "max-duration": "it reached its maximum duration",
  signal: "it was stopped by a signal",
  replaced: "another tailer took over this file",
  "stop-command": "it was asked to stop",
  finished: "the command finished",
  timeout: "the command ran past its time limit and was killed",
  error: "of an error",
};

/** "line" for one, "lines" otherwise ("1 line", "some lines"). */
const lineWord = (n) => (String(n) === "1" ? "line" : "lines");

function field(msg, name) {
  const f = msg.fields;
  if (f && typeof f === "object" && f[name] !== undefined && f[name] !== null) return String(f[name]);
  return "";
}

/** `label: what the tailer said`, without repeating the label when it already starts with it. */
function words(label, said) {
  if (!said) return label;
  return said.toLowerCase().startsWith(label.toLowerCase()) ? said : `${label}: ${said}`;
}

function stopReason(msg) {
  const reason = field(msg, "reason");
  return STOP_REASONS[reason] || (reason ? reason : "of an unknown reason");
}

/** "tailer started: following PATH on MINION" / "command started: NAME on MINION". */
function startedWords(config) {
  const on = config && config.minion ? ` on ${config.minion}` : "";
  if (config && config.kind === "command") return `command started: ${config.command || "command"}${on}`;
  return `tailer started: following ${(config && config.path) || "the file"}${on}`;
}

/**
 * Words for one `event` message (`config`: the viewer's config, for the
 * minion id and the target: logtail's own message names its host, not the minion):
 * { marker: "text of the marker line", cls: marker class (default: the event name),
 *   state: { key, text } | null }.
 * `state` is the new stream state for the header (null = unchanged).
 */
export function describeEvent(msg, config) {
  const name = typeof msg.event === "string" ? msg.event : "event";
  const said = typeof msg.message === "string" ? msg.message : "";
  const at = clock(entryTime(msg.id));
  switch (name) {
    case "started": {
      const running = config && config.kind === "command";
      return {
        marker: startedWords(config),
        state: running ? { key: "running", text: "running" } : { key: "following", text: "following" },
      };
    }
    case "rotated":
      return {
        marker: words("file rotated", said),
        state: { key: "rotated", text: `following (rotated at ${at})` },
      };
    case "truncated":
      return {
        marker: words("file truncated", said),
        state: { key: "truncated", text: `following (truncated at ${at})` },
      };
    case "missing":
      return {
        marker: words("file missing", said || "file missing, waiting for it to come back"),
        state: { key: "missing", text: "file missing (waiting)" },
      };
    case "reappeared":
      return { marker: words("file is back", said), state: { key: "following", text: "following" } };
    case "dropped": {
      const count = field(msg, "count") || "some";
      const reason = field(msg, "reason");
      return { marker: words(`${count} ${lineWord(count)} lost at the source${reason ? ` (${reason})` : ""}`, said), state: null };
    }
    case "stopped": {
      const reason = field(msg, "reason");
      if (reason === "finished") {
        // The normal end of a command run, after its `exit` event: not an
        // alarm, and the header keeps saying how it exited.
        return { marker: "the command finished", cls: "exit", state: null };
      }
      const known = Object.hasOwn(STOP_REASONS, reason) && reason !== "error";
      return {
        marker: known ? `tailer stopped because ${stopReason(msg)}` : words("tailer stopped", said),
        state: { key: "stopped", text: `tailer stopped: ${stopReason(msg)}` },
      };
    }
    case "exit": {
      const status = field(msg, "status") || "unknown";
      // Anything but status 0 is a failure, and looks like one.
      const failed = status !== "0";
      return {
        marker: `command exited with status ${status}`,
        cls: failed ? "exit-failed" : "exit",
        state: { key: failed ? "failed" : "exited", text: `command exited (status ${status})` },
      };
    }
    default:
      return { marker: words(name, said), state: null };
  }
}

/** Words for a `dropped` message: this viewer fell behind and missed lines. */
export function describeDropped(msg) {
  const count = Number.isFinite(msg.count) ? msg.count : "some";
  const reason = typeof msg.reason === "string" && msg.reason ? msg.reason : "slow client";
  return `${count} ${lineWord(count)} skipped for this viewer (${reason}); reload to see the retained backlog`;
}
