// A generated 1,000-step workflow opens and becomes interactive; the figures
// themselves come from perf/measure.mjs (see the README).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { launch, startDriver } from "../lib/app.mjs";
import { generate } from "../perf/generate.mjs";

let driver;
before(async () => {
  driver = await startDriver();
});
after(async () => {
  await driver?.stop();
});

test("a 1,000-step workflow opens, is laid out, and stays responsive", async () => {
  const file = join(mkdtempSync(join(tmpdir(), "braid-e2e-large-")), "large.json");
  writeFileSync(file, JSON.stringify(generate(), null, 2) + "\n");
  const app = await launch([file]);
  try {
    await app.waitUntil(async () => (await app.exec("return performance.getEntriesByName('braid:interactive').length")) > 0, 60000, "interactive");
    const tti = await app.exec("return performance.getEntriesByName('braid:interactive')[0].startTime - performance.getEntriesByName('braid:open-start')[0].startTime");
    console.log(`1,000 steps: interactive after ${Math.round(tti)} ms`);
    assert.ok(tti < 30000, `interactive after ${tti} ms`);
    assert.match(await app.exec("return document.querySelector('[data-testid=\"counts\"]').textContent"), /1000 steps · 200 groups/);
    // Only the cards on screen are in the DOM.
    const rendered = await app.count(".react-flow__node");
    assert.ok(rendered > 0 && rendered < 200, `${rendered} nodes rendered`);
    // An edit is validated by Rust and the model stays valid.
    await app.clickNode("l0-s0-prep");
    await app.typeInto("step-name", "First preparation");
    await app.waitUntil(async () => (await app.exec("const s = window.__braid.store.getState(); return s.diagnosticsFor === s.doc")), 20000, "validated");
    assert.equal(await app.count('[data-testid="diagnostic"][data-severity="error"]'), 0);
  } finally {
    await app.quit();
  }
});
