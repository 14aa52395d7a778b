// Analytics in the real app: runs of the planted-bottleneck example are
// recorded by the CLI into the app's private store, then the app finds the
// laggard branch (`seo`) at the top of the bottleneck list and on the critical
// path, and previewing the top recommendation predicts a shorter run.
// With $BRAID_SHOTS_DIR set, it saves screenshots of the timeline, bottlenecks,
// recommendations and trends there (docs/screenshots/ holds the committed ones).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CLI, WORKFLOWS, startDriver, withApp, shot } from "../lib/app.mjs";

const pause = (ms) => new Promise((r) => setTimeout(r, ms));
let driver;
let file;



const RETRIES = {
  format: "braid/1",
  id: "retries-and-queueing",
  name: "Retries and queueing",
  limits: { concurrency: 2 },
  steps: [
    { id: "prepare", agent: { kind: "sim", duration_ms: 5000, outputs: { x: 1 } }, produces: ["x"] },
    { id: "flaky", name: "Flaky upload", agent: { kind: "sim", duration_ms: 4000, fail_rate: 0.7, seed: 3 }, retry: { max_attempts: 5, backoff_ms: 3000 }, requires: ["x"] },
    { id: "b1", group: "fan", agent: { kind: "sim", duration_ms: 6000 } },
    { id: "b2", group: "fan", agent: { kind: "sim", duration_ms: 6000 } },
    { id: "b3", group: "fan", agent: { kind: "sim", duration_ms: 6000 } },
    { id: "end", agent: { kind: "sim", duration_ms: 1000 } },
  ],
  groups: [{ id: "fan", aggregate: { strategy: "all" } }],
  edges: [
    { from: "prepare", to: "flaky" },
    { from: "prepare", to: "fan" },
    { from: "flaky", to: "end", when: "done" },
    { from: "fan", to: "end" },
  ],
};

const attr = (app, css, name) => app.exec("const el = document.querySelector(arguments[0]); return el && el.getAttribute(arguments[1]);", css, name);

before(async () => {
  driver = await startDriver();
  const dir = mkdtempSync(join(tmpdir(), "braid-e2e-analytics-"));
  file = join(dir, "planted-bottleneck.json");
  copyFileSync(join(WORKFLOWS, "planted-bottleneck.json"), file);
  // Five recorded runs in the app's store; earlier ones at slower time scales so
  // the trends have something to show (the newest, analysed one is the fastest,
  // so no regression outranks the planted fan-in).
  for (const scale of ["0.03", "0.025", "0.03", "0.02", "0.02"]) {
    execFileSync(CLI, ["--db", driver.db, "run", "--time-scale", scale, "--trust", file], { stdio: ["ignore", "ignore", "pipe"] });
  }
});
after(async () => {
  await driver?.stop();
});

describe("analytics of planted-bottleneck", () => {
  test("the laggard tops the bottlenecks and the critical path; its fix is predicted to save time", async () => {
    await withApp([file], async (app) => {
      await app.waitFor(".react-flow__edge");
      await app.exec("window.__braid.store.getState().setTheme('light')");

      // Predicted before running anything new: the planner with the store's history.
      await app.waitUntil(async () => Number(await attr(app, '[data-testid="predicted-duration"]', "data-ms")) > 0, 15000, "a predicted duration");

      // The critical path on the canvas (the newest run's, measured).
      await app.click("critical-toggle");
      await app.waitFor('[data-testid="critical-toggle"][data-source="run"]');
      await app.waitFor('[data-testid="node-seo"][data-critical="true"]');
      assert.equal(await attr(app, '[data-testid="node-reviews"]', "data-critical"), "true");
      assert.equal(await attr(app, '[data-testid="node-style"]', "data-critical"), "false");
      const slack = Number(await attr(app, '[data-testid="node-style"] [data-testid="slack"]', "data-ms"));
      assert.ok(slack > 0, `style has slack (${slack} ms)`);
      assert.equal(await attr(app, '[data-testid="edge-reviews-render"]', "data-critical"), "true");

      // The analytics dock: the timeline, seo's row on the critical path.
      await app.click("analytics-button");
      await app.waitTestId("timeline");
      assert.equal(await attr(app, '[data-testid="timeline-row-seo"]', "data-critical"), "true");
      assert.equal(await attr(app, '[data-testid="timeline-row-facts"]', "data-critical"), "false");
      // A click on a bar selects the node on the canvas.
      await app.exec("document.querySelector('[data-testid=\"seg-seo-1\"]').dispatchEvent(new MouseEvent('click', { bubbles: true }))");
      await app.waitUntil(async () => JSON.stringify(await app.exec("return window.__braid.store.getState().selection")) === '["seo"]', 5000, "seo selected");

      // With no run chosen, the toggle shows the planner's (history-aware) prediction.
      const newest = await app.exec("return document.querySelector('[data-testid=\"analytics-run\"]').value");
      assert.ok(newest, "the newest run is chosen by default");
      await app.choose("analytics-run", "");
      await app.waitFor('[data-testid="critical-toggle"][data-source="plan"]');
      await app.waitFor('[data-testid="node-seo"][data-critical="true"]');
      assert.equal(await attr(app, '[data-testid="node-render"]', "data-critical"), "true");
      assert.equal(await attr(app, '[data-testid="node-facts"]', "data-critical"), "false");
      await app.choose("analytics-run", newest);
      await app.waitFor('[data-testid="critical-toggle"][data-source="run"]');

      // Bottlenecks: the planted fan-in on seo first.
      await app.click("analytics-tab-bottlenecks");
      await app.waitTestId("bottlenecks");
      const top = await app.exec(
        "const b = document.querySelector('[data-testid=\"bottleneck\"]'); return { node: b.dataset.node, kind: b.dataset.kind, severity: b.dataset.severity, impact: Number(b.dataset.impactMs) };",
      );
      assert.equal(top.node, "seo");
      assert.equal(top.kind, "fan_in");
      assert.ok(top.impact > 0);
      // A click selects the node and centres the canvas on it.
      await app.exec("window.__braid.store.getState().select([], [])");
      await app.exec("document.querySelector('[data-testid=\"bottleneck\"]').click()");
      await app.waitUntil(async () => JSON.stringify(await app.exec("return window.__braid.store.getState().selection")) === '["seo"]', 5000, "seo selected");
      await pause(400);
      const centred = await app.exec(
        "const c = document.querySelector('.canvas').getBoundingClientRect(); const n = document.querySelector('[data-testid=\"node-seo\"]').getBoundingClientRect(); return Math.abs((n.left + n.right) / 2 - (c.left + c.right) / 2) < 40 && Math.abs((n.top + n.bottom) / 2 - (c.top + c.bottom) / 2) < 40;",
      );
      assert.ok(centred, "the canvas is centred on seo");
      await app.exec("window.__braid.rf.fitView({ padding: 0.1, duration: 0 })");
      await pause(400);
      await shot(app, "analytics-bottlenecks");

      // Recommendations: preview the top one; the re-planned run is shorter.
      await app.click("analytics-tab-recommendations");
      await app.waitTestId("recommendation");
      assert.equal(await attr(app, '[data-testid="recommendation"]', "data-kind"), "non_blocking");
      await app.click("preview-button");
      await app.waitTestId("preview-predicted");
      await app.waitUntil(async () => (await attr(app, '[data-testid="preview-predicted"]', "data-ms")) != null, 10000, "the preview's plan");
      const current = Number(await attr(app, '[data-testid="current-predicted"]', "data-ms"));
      const previewed = Number(await attr(app, '[data-testid="preview-predicted"]', "data-ms"));
      const toolbar = Number(await attr(app, '[data-testid="predicted-duration"]', "data-ms"));
      assert.equal(current, toolbar, "the preview compares with the toolbar's prediction");
      assert.ok(previewed < current, `predicted ${previewed} ms with the change < ${current} ms now`);
      const diff = await app.exec("return [...document.querySelectorAll('[data-testid=\"preview-diff\"] li')].map((li) => li.textContent)");
      assert.deepEqual(diff, ["seo: group reviews → unset", "add edge fetch → seo"]);
      await app.waitFor('[data-testid="node-seo"][data-preview="changed"]');
      await app.exec("document.querySelector('[data-testid=\"analytics-dock\"]').style.height = '430px'");
      await pause(200);
      await app.exec("document.querySelector('[data-testid=\"preview\"]').scrollIntoView({ block: 'end' })");
      await app.exec("window.__braid.rf.fitView({ padding: 0.1, duration: 0 })");
      await pause(400);
      await shot(app, "analytics-recommendations");

      // Apply: one edit, undone by one undo.
      await app.click("apply-button");
      await app.waitUntil(async () => (await app.exec("return window.__braid.store.getState().doc.workflow.steps.find((s) => s.id === 'seo').group ?? null")) === null, 5000, "seo out of its group");
      await app.waitUntil(async () => Number(await attr(app, '[data-testid="predicted-duration"]', "data-ms")) < current, 10000, "the toolbar predicts a shorter run");
      await app.click("undo-button");
      assert.equal(await app.exec("return window.__braid.store.getState().doc.workflow.steps.find((s) => s.id === 'seo').group"), "reviews");

      // Export: the menu offers both formats; the native save dialog cannot be
      // driven over WebDriver, so the command behind it is called as the
      // export does after the dialog (ipc.exportReport → export_report).
      await app.click("export-button");
      await app.waitTestId("export-html");
      assert.equal(await app.count('[data-testid="export-markdown"]'), 1);
      const out = join(mkdtempSync(join(tmpdir(), "braid-e2e-export-")), "report.html");
      const runId = await app.exec("return window.__braidAnalytics.getState().runId");
      await app.exec("return window.__TAURI_INTERNALS__.invoke('export_report', { runId: arguments[0], format: 'html', path: arguments[1] })", runId, out);
      const html = readFileSync(out, "utf8");
      assert.match(html, /<svg/);
      assert.match(html, /seo/);
    });
  });

  test("the timeline shows every attempt, the backoff between them and time spent queued", async () => {
    // A step that fails all five attempts (fixed seed) beside a fan-out that
    // queues for `concurrency: 2`; `end` follows the flaky step whatever it did.
    const dir = mkdtempSync(join(tmpdir(), "braid-e2e-retries-"));
    const retries = join(dir, "retries.json");
    writeFileSync(retries, JSON.stringify(RETRIES, null, 2));
    execFileSync(CLI, ["--db", driver.db, "run", "--time-scale", "0.05", retries], { stdio: ["ignore", "ignore", "pipe"] });
    await withApp([retries], async (app) => {
      await app.waitFor(".react-flow__edge");
      await app.exec("window.__braid.store.getState().setTheme('light')");
      await app.click("critical-toggle");
      await app.click("analytics-button");
      await app.waitTestId("timeline-row-flaky");
      await app.waitFor('[data-testid="node-flaky"][data-critical="true"]');
      for (let n = 1; n <= 5; n++) await app.waitTestId(`seg-flaky-${n}`);
      assert.equal(await app.count('[data-testid="timeline-row-flaky"] .an-seg.run.r-failed'), 5);
      assert.equal(await app.count('[data-testid="timeline-row-flaky"] .an-seg.backoff'), 4);
      assert.equal(await attr(app, '[data-testid="timeline-row-flaky"]', "data-status"), "failed");
      // Two branches waited for a slot: their queued time is drawn before their bars.
      assert.equal(await app.count('[data-testid="timeline-row-b3"] .an-seg.queued'), 1);
      // Hover: exact times of that attempt.
      const seg = await app.waitTestId("seg-flaky-2");
      await app.driver.actions({ async: true }).move({ origin: seg }).perform();
      await app.waitTestId("analytics-tip");
      assert.match(await app.exec("return document.querySelector('[data-testid=\"analytics-tip\"]').textContent"), /attempt 2.*running · failed.*from[\d,]+ ms/);
      await app.exec("window.__braid.rf.fitView({ padding: 0.1, duration: 0 })");
      await pause(400);
      await shot(app, "analytics-timeline");
    });
  });

  test("trends across the recorded runs, with a regression flagged", async () => {
    // A sixth run, slower than every earlier one: the newest run regresses.
    execFileSync(CLI, ["--db", driver.db, "run", "--time-scale", "0.04", "--trust", file], { stdio: ["ignore", "ignore", "pipe"] });
    await withApp([file], async (app) => {
      await app.waitFor(".react-flow__edge");
      await app.exec("window.__braid.store.getState().setTheme('light')");
      await app.click("analytics-button");
      await app.click("analytics-tab-trends");
      await app.waitTestId("trends");
      assert.equal(await attr(app, '[data-testid="trends"]', "data-runs"), "6");
      assert.equal(await app.count('[data-testid="duration-point"]'), 6);
      assert.equal(await attr(app, '[data-testid="spark-seo"]', "data-points"), "6");
      assert.match(await app.exec("return document.querySelector('[data-testid=\"success-rate\"]').textContent"), /100/);
      // seo got slower across the window, and this run's seo is past its p95.
      assert.equal(await attr(app, '[data-testid="step-trend-seo"]', "data-trend"), "rising");
      await app.waitFor('[data-testid="step-trend-seo"].regressed');
      assert.ok((await app.count('[data-testid="step-trend-seo"] [data-testid="regression-flag"]')) === 1);
      // More room for the chart and table.
      await app.exec("document.querySelector('[data-testid=\"analytics-dock\"]').style.height = '430px'");
      await pause(300);
      await app.exec("window.__braid.rf.fitView({ padding: 0.1, duration: 0 })");
      await pause(300);
      await shot(app, "analytics-trends");
    });
  });

  test("a run started in the app is analysed when it ends", async () => {
    await withApp([file], async (app) => {
      await app.waitFor(".react-flow__edge");
      await app.click("analytics-button");
      await app.waitTestId("timeline");
      const before = await app.exec("return window.__braidAnalytics.getState().runId");
      await app.click("run-button");
      await app.waitTestId("run-dialog");
      const scale = await app.waitTestId("run-time-scale");
      await app.exec(
        "const [el] = arguments; Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set.call(el, '0.02'); el.dispatchEvent(new Event('input', { bubbles: true }));",
        scale,
      );
      await app.click("run-start");
      const runId = await app.waitUntil(() => app.exec("const s = window.__braid.run.getState(); return s.summary && s.summary.run_id"), 30000, "the run to end");
      assert.notEqual(runId, before);
      // The dock follows: the new run is chosen, analysed and drawn.
      await app.waitUntil(async () => (await app.exec("return document.querySelector('[data-testid=\"analytics-run\"]').value")) === runId, 10000, "the new run chosen");
      await app.waitUntil(async () => (await app.exec("const s = window.__braidAnalytics.getState(); return s.report && s.report.run_id")) === runId, 10000, "its report");
      await app.waitTestId("timeline-row-seo");
    });
  });
});
