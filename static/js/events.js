// events.js — the one responsibility of this module: put the stream's events
// (started, rotated, truncated, missing, reappeared, dropped, stopped, exit)
// and the viewer's own `dropped` notices into words: the marker line shown in
// the log and the stream state shown in the header.

import { t } from "./i18n.js";
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
 * Words for one `event` message, from its kind and fields in the page's
 * language (logtail's English `message` is kept as the marker's tooltip):
 * { marker: "text of the marker line" (null: no marker line), title: tooltip, cls: marker class
 *   (default: the event name), state: { key, text } | null }.
 * `state` is the new stream state for the header (null = unchanged).
 */
export function describeEvent(msg) {
  const name = typeof msg.event === "string" ? msg.event : "event";
  const title = typeof msg.message === "string" ? msg.message : "";
  const at = clock(Date.now());
  const words = (() => {
    switch (name) {
      case "started": {
        const following = { key: "following", text: t("js.stream.following") };
        // A tailer replacing a stale one: the one marker of the replacement.
        if (field(msg, "resumed") === "1") return { marker: t("js.event.resumed"), state: following };
        if (field(msg, "resumed") === "0") {
          return { marker: t("js.event.resume_failed", { reason: field(msg, "resume") || t("js.unknown") }), state: following };
        }
        if (field(msg, "path")) {
          return { marker: t("js.event.started_file", { path: field(msg, "path"), size: field(msg, "size") || "?" }), state: following };
        }
        if (field(msg, "program")) {
          return { marker: t("js.event.started_exec", { program: field(msg, "program") }), state: following };
        }
        return { marker: t("js.event.started"), state: following };
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
        return {
          marker: reason ? t("js.event.dropped_reason", { count, reason: dropReason(reason) }) : t("js.event.dropped", { count }),
          state: null,
        };
      }
      case "stopped": {
        const reason = field(msg, "reason");
        if (reason === "finished") {
          // The normal end of a command run, after its `exit` event: not an alarm.
          return { marker: t("js.event.finished"), cls: "exit", state: { key: "finished", text: t("js.stream.finished") } };
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
        return {
          marker: t("js.event.exit", { status }),
          state: { key: "exited", text: t("js.stream.exited", { status }) },
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
  return t("js.viewer_dropped", { count, reason });
}
