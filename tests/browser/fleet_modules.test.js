// fleet_modules.test.js — the fleet view's pure modules under node (no
// browser, no stack): the per-minion resume cursor and the minion colours.

import assert from "node:assert/strict";
import { test } from "node:test";

import { FleetPosition, StreamPosition } from "../../static/js/cursor.js";
import { assignColours, hashOf, PALETTE_SIZE } from "../../static/js/palette.js";

const lines = (minion, id) => ({ minion, type: "lines", id, lines: ["x"] });

test("a fleet position delivers each member's entries once, in its order, and resumes each after its own id", () => {
  const p = new FleetPosition(["web-01", "web-02", "web-03"]);
  assert.equal(p.resumeAt(), null, "nothing received: every member starts at its ticket's start");
  assert.equal(p.accept(lines("web-02", "100-0")), true);
  assert.equal(p.accept(lines("web-01", "90-0")), true, "an earlier id of another member is not old");
  assert.equal(p.accept(lines("web-02", "100-0")), false, "the same entry twice");
  assert.equal(p.accept(lines("web-02", "99-5")), false, "an older entry of the same member");
  assert.equal(p.accept(lines("web-02", "100-1")), true);
  assert.equal(p.accept(lines("web-04", "200-0")), false, "a minion the ticket does not list");
  assert.equal(p.accept({ type: "lines", id: "300-0", lines: [] }), false, "no minion at all");
  assert.equal(p.accept({ minion: "web-03", type: "dropped", count: 3, reason: "slow client" }), true, "no id: delivered");
  // web-03 has sent nothing with an id: absent from the cursor, it starts at its ticket's start.
  assert.equal(p.resumeAt(), "web-02=100-1,web-01=90-0");
});

test("a single stream's position is its last id", () => {
  const p = new StreamPosition();
  assert.equal(p.accept({ type: "lines", id: "5-0" }), true);
  assert.equal(p.accept({ type: "lines", id: "5-0" }), false);
  assert.equal(p.accept({ type: "heartbeat" }), true);
  assert.equal(p.resumeAt(), "5-0");
});

test("minion colours are stable, distinct within a view, and from the palette", () => {
  const members = ["web-01", "web-02", "web-03", "db-01", "db-02", "cache-1", "lb-1", "lb-2"];
  const a = assignColours(members);
  assert.deepEqual(assignColours(members), a, "the same ids get the same colours");
  assert.equal(new Set(a.values()).size, PALETTE_SIZE, "eight members, eight colours");
  for (const c of a.values()) assert.ok(Number.isInteger(c) && c >= 0 && c < PALETTE_SIZE);
  // The first member always gets its own hash colour.
  assert.equal(assignColours(["web-02"]).get("web-02"), hashOf("web-02") % PALETTE_SIZE);
  // More members than colours: colours repeat, nothing breaks.
  const many = assignColours(Array.from({ length: 20 }, (_, i) => `m-${i}`));
  assert.equal(many.size, 20);
});
