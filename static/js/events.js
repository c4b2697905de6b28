// events.js — the one responsibility of this module: put the stream's events
// (started, rotated, truncated, missing, reappeared, dropped, stopped, exit)
// and the viewer's own `dropped` notices into words: the marker line shown in
// the log and the stream state shown in the header.

import { t } from "./i18n.js";
import { entryTime } from "./logview.js";
import { clock } from "./render.js";

// Each a function, so every key is a literal where it is looked up.
const STOP_REASONS = {
  idle: () => t("js.stop.idle"),
  "max-duration": () => t("js.stop.max_duration"),
  signal: () => t("js.stop.signal"),
  replaced: () => t("js.stop.replaced"),
  "stop-command": () => t("js.stop.stop_command"),
  finished: () => t("js.stop.finished"),
  timeout: () => t("js.stop.timeout"),
  error: () => t("js.stop.error"),
};

const DROP_REASONS = {
  "rate-limit": () => t("js.drop.rate_limit"),
  "redis-outage": () => t("js.drop.redis_outage"),
  "redis-full": () => t("js.drop.redis_full"),
  "slow client": () => t("js.drop.slow_client"),
};

/** Exactly one (a count of 1 takes the `…_one` words: "1 line", not "1 lines"). */
const isOne = (n) => String(n) === "1";

function field(msg, name) {
  const f = msg.fields;
  if (f && typeof f === "object" && f[name] !== undefined && f[name] !== null) return String(f[name]);
  return "";
}

function stopReason(msg) {
  const reason = field(msg, "reason");
  if (Object.hasOwn(STOP_REASONS, reason)) return STOP_REASONS[reason]();
  return reason ? reason : t("js.stop.unknown");
}

function dropReason(reason) {
  return Object.hasOwn(DROP_REASONS, reason) ? DROP_REASONS[reason]() : reason;
}

/**
 * The started marker: it names the minion (logtail's own message names its
 * host, not the minion id) and the file or command, from the event's fields
 * and the viewer's config.
 */
function startedWords(msg, config) {
  const minion = (config && config.minion) || "?";
  if (config && config.kind === "command") {
    const command = config.command || field(msg, "program") || "?";
    return t("js.event.started_command", { command, minion });
  }
  const path = field(msg, "path") || (config && config.path) || "?";
  const size = field(msg, "size");
  if (size) return t("js.event.started_file_size", { path, minion, size });
  return t("js.event.started_file", { path, minion });
}

/**
 * Words for one `event` message, from its kind and fields in the page's
 * language (`config`: the viewer's config, for the minion id and the target;
 * logtail's English `message` is kept as the marker's tooltip):
 * { marker: "text of the marker line" (null: no marker line), title: tooltip, cls: marker class
 *   (default: the event name), state: { key, text } | null }.
 * `state` is the new stream state for the header (null = unchanged).
 */
export function describeEvent(msg, config) {
  const name = typeof msg.event === "string" ? msg.event : "event";
  const title = typeof msg.message === "string" ? msg.message : "";
  // When the tailer read it: the ms part of the stream entry id.
  const at = clock(entryTime(msg.id));
  const words = (() => {
    switch (name) {
      case "started": {
        const running = config && config.kind === "command";
        const state = running
          ? { key: "running", text: t("js.stream.running") }
          : { key: "following", text: t("js.stream.following") };
        // A tailer replacing a stale one: the one marker of the replacement.
        if (field(msg, "resumed") === "1") return { marker: t("js.event.resumed"), state };
        if (field(msg, "resumed") === "0") {
          return { marker: t("js.event.resume_failed", { reason: field(msg, "resume") || t("js.unknown") }), state };
        }
        return { marker: startedWords(msg, config), state };
      }
      case "rotated":
        return {
          marker: field(msg, "inode") ? t("js.event.rotated_inode", { inode: field(msg, "inode") }) : t("js.event.rotated"),
          state: { key: "rotated", text: t("js.stream.rotated", { at }) },
        };
      case "truncated":
        return {
          marker: t("js.event.truncated"),
          state: { key: "truncated", text: t("js.stream.truncated", { at }) },
        };
      case "missing": {
        const reason = field(msg, "reason");
        return {
          marker: reason ? t("js.event.refused", { reason }) : t("js.event.missing"),
          state: { key: "missing", text: t("js.stream.missing") },
        };
      }
      case "reappeared":
        return { marker: t("js.event.reappeared"), state: { key: "following", text: t("js.stream.following") } };
      case "dropped": {
        const count = field(msg, "count") || t("js.some");
        const reason = field(msg, "reason");
        let marker;
        if (reason) {
          const why = dropReason(reason);
          marker = isOne(count)
            ? t("js.event.dropped_one_reason", { count, reason: why })
            : t("js.event.dropped_reason", { count, reason: why });
        } else marker = isOne(count) ? t("js.event.dropped_one", { count }) : t("js.event.dropped", { count });
        return { marker, state: null };
      }
      case "stopped": {
        const reason = field(msg, "reason");
        if (reason === "finished") {
          // The normal end of a command run, after its `exit` event: not an
          // alarm, and the header keeps saying how it exited.
          return { marker: t("js.event.finished"), cls: "exit", state: null };
        }
        if (reason === "replaced") {
          // Its successor's `started` follows and is the one marker of the
          // replacement (docs/sharing.md); the state says stopped meanwhile.
          return { marker: null, state: { key: "stopped", text: t("js.stream.stopped", { reason: stopReason(msg) }) } };
        }
        return {
          marker: t("js.event.stopped", { reason: stopReason(msg) }),
          state: { key: "stopped", text: t("js.stream.stopped", { reason: stopReason(msg) }) },
        };
      }
      case "exit": {
        const status = field(msg, "status") || t("js.unknown");
        // Anything but status 0 is a failure, and looks like one.
        const failed = status !== "0";
        return {
          marker: t("js.event.exit", { status }),
          cls: failed ? "exit-failed" : "exit",
          state: { key: failed ? "failed" : "exited", text: t("js.stream.exited", { status }) },
        };
      }
      default:
        return { marker: t("js.event.other", { name }), state: null };
    }
  })();
  return { ...words, title };
}

/** Words for a `dropped` message: this viewer fell behind and missed lines. */
export function describeDropped(msg) {
  const count = Number.isFinite(msg.count) ? msg.count : t("js.some");
  const reason = typeof msg.reason === "string" && msg.reason ? dropReason(msg.reason) : t("js.drop.slow_client");
  return isOne(count) ? t("js.viewer_dropped_one", { count, reason }) : t("js.viewer_dropped", { count, reason });
}
