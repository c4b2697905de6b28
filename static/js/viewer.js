// viewer.js — the one responsibility of this module: start the live viewer:
// read the page's config, connect the stream to the log view, the header and
// the controls. One page for one stream (`/view/…`) and for a fleet
// (`/fleet/…`, config.kind "fleet"): there every message names its minion,
// the view shows it as a column, the chips (chips.js) carry each member's
// state, and the connection resumes each member after its own last id.

import { Chips } from "./chips.js";
import { Connection } from "./connection.js";
import { wireControls } from "./controls.js";
import { FleetPosition, StreamPosition } from "./cursor.js";
import { describeDropped, describeEvent } from "./events.js";
import { t } from "./i18n.js";
import { LogView } from "./logview.js";
import { assignColours } from "./palette.js";
import { StatusBar } from "./status.js";

const config = JSON.parse(document.getElementById("viewer-config").textContent);
const fleet = config.kind === "fleet";
const status = new StatusBar(config);
const view = new LogView(
  document.getElementById("scroller"),
  document.getElementById("log"),
  config.max_lines,
  (counts) => status.counts(counts),
);
wireControls(view, config);

let chips = null;
if (fleet) {
  view.colours = assignColours(config.members);
  // The minion column is as wide as the longest member id.
  const width = Math.max(1, ...config.members.map((m) => m.length));
  document.getElementById("log").style.setProperty("--mn-width", `${width}ch`);
  chips = new Chips(document.getElementById("chips"), view.colours, (minion) => view.setOnly(minion));
}

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
  // A fleet message's member (FleetPosition let through only members of the ticket).
  const minion = fleet ? msg.minion : null;
  if (msg.type === "lines" && Array.isArray(msg.lines)) {
    view.addLines(msg.lines, msg.fd === 2 ? 2 : msg.fd === 1 ? 1 : 0, msg.id, minion);
    if (fleet) chips.linesArrived(minion, msg.lines.length);
    else status.linesArrived();
  } else if (msg.type === "event") {
    const words = describeEvent(msg, fleet ? { kind: "file", path: config.path, minion } : config);
    if (words.marker !== null) view.addMarker(words.cls || msg.event, words.marker, words.title, msg.id, minion);
    if (words.state) {
      if (fleet) chips.state(minion, words.state);
      else status.streamState(words.state);
    }
  } else if (msg.type === "dropped") {
    view.addMarker("dropped", describeDropped(msg), "", undefined, minion);
  }
}

new Connection({
  wsUrl: config.ws_url,
  sseUrl: config.sse_url,
  heartbeatSecs: config.heartbeat_secs,
  position: fleet ? new FleetPosition(config.members) : new StreamPosition(),
  onState,
  onMessage,
}).start();
