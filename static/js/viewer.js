// viewer.js — the one responsibility of this module: start the live viewer:
// read the page's config, connect the stream to the log view, the header and
// the controls.

import { Connection } from "./connection.js";
import { wireControls } from "./controls.js";
import { describeDropped, describeEvent } from "./events.js";
import { t } from "./i18n.js";
import { LogView } from "./logview.js";
import { StatusBar } from "./status.js";

const config = JSON.parse(document.getElementById("viewer-config").textContent);
const status = new StatusBar(config);
const view = new LogView(
  document.getElementById("scroller"),
  document.getElementById("log"),
  config.max_lines,
  (counts) => status.counts(counts),
);
wireControls(view, config);

let everLive = false;
let outage = false;

function onState(s) {
  status.connection(s);
  if (s.state === "reconnecting" && !outage && everLive) {
    outage = true;
    view.addMarker("disconnected", t("js.marker.disconnected", { reason: s.reason }));
  } else if (s.state === "live") {
    if (outage) view.addMarker("reconnected", t("js.marker.reconnected"));
    everLive = true;
    outage = false;
  } else if (s.state === "refused") {
    view.addMarker("refused", s.message);
  }
}

function onMessage(msg) {
  if (msg.type === "lines" && Array.isArray(msg.lines)) {
    view.addLines(msg.lines, msg.fd === 2 ? 2 : msg.fd === 1 ? 1 : 0, msg.id);
    status.linesArrived();
  } else if (msg.type === "event") {
    const words = describeEvent(msg, config);
    if (words.marker !== null) view.addMarker(words.cls || msg.event, words.marker, words.title, msg.id);
    if (words.state) status.streamState(words.state);
  } else if (msg.type === "dropped") {
    view.addMarker("dropped", describeDropped(msg));
  }
}

new Connection({
  wsUrl: config.ws_url,
  sseUrl: config.sse_url,
  heartbeatSecs: config.heartbeat_secs,
  onState,
  onMessage,
}).start();
