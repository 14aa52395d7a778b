// Measures the real app on a generated 1,000-step workflow (run under Xvfb):
//   xvfb-run -a -s "-screen 0 1280x800x24" node perf/measure.mjs
// Time to interactive: `braid:open-start` → `braid:interactive` performance
// marks (read file, validate, auto-layout with ELK, render, fit). Frame
// times: requestAnimationFrame deltas recorded in the page while WebDriver
// drags the canvas (a pan) and then a node.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { launch, startDriver } from "../lib/app.mjs";
import { generate } from "./generate.mjs";

const dir = mkdtempSync(join(tmpdir(), "braid-perf-"));
// PERF_FILE=workflows/blog-publishing.json measures a small graph, for the floor.
const file = process.env.PERF_FILE ?? join(dir, "generated-1000.json");
const wf = process.env.PERF_FILE ? JSON.parse(readFileSync(file, "utf8")) : generate();
if (!process.env.PERF_FILE) writeFileSync(file, JSON.stringify(wf, null, 2) + "\n");

const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  const mean = s.reduce((a, b) => a + b, 0) / s.length;
  return { frames: s.length, mean: +mean.toFixed(1), p50: +q(0.5).toFixed(1), p95: +q(0.95).toFixed(1), max: +s[s.length - 1].toFixed(1) };
};

const RECORD = `
  window.__frames = [];
  let last = performance.now();
  window.__recording = true;
  const tick = (t) => { window.__frames.push(t - last); last = t; if (window.__recording) requestAnimationFrame(tick); };
  requestAnimationFrame(tick);`;
const STOP = "window.__recording = false; return window.__frames.slice(1);";

async function interactive(app) {
  await app.waitUntil(async () => (await app.exec("return performance.getEntriesByName('braid:interactive').length")) > 0, 120000, "interactive");
  return app.exec(`
    const s = performance.getEntriesByName('braid:open-start')[0].startTime;
    const i = performance.getEntriesByName('braid:interactive')[0].startTime;
    const at = (m) => { const e = performance.getEntriesByName(m)[0]; return e ? Math.round(e.startTime - s) : null; };
    return { tti_ms: Math.round(i - s), read_and_validated_ms: at('braid:read'), laid_out_ms: at('braid:laid-out'), loaded_ms: at('braid:loaded'), first_frame_ms: at('braid:first-frame'), committed_ms: at('braid:committed'), since_page_start_ms: Math.round(i), nodes: document.querySelectorAll('.react-flow__node').length };`);
}

async function dragFrames(app, from, to, steps = 60) {
  await app.exec(RECORD);
  const a = app.driver.actions({ async: true }).move({ x: from.x, y: from.y }).press();
  for (let i = 1; i <= steps; i++) {
    a.move({ x: Math.round(from.x + ((to.x - from.x) * i) / steps), y: Math.round(from.y + ((to.y - from.y) * i) / steps), duration: 16 });
  }
  await a.release().perform();
  await new Promise((r) => setTimeout(r, 200));
  return stats(await app.exec(STOP));
}

const results = { workflow: `${wf.steps.length} steps, ${wf.groups.length} groups, ${wf.edges.length} edges` };
const driver = await startDriver();
try {
  // First open: no sidecar, so ELK lays out all 1,200 nodes.
  let app = await launch([file]);
  try {
    // TUNING='{"minimap":false}' compares rendering switches (see Canvas.tsx).
    if (process.env.TUNING) {
      await interactive(app);
      await app.exec("localStorage.setItem('braid.tuning', arguments[0]); location.reload();", process.env.TUNING);
      await new Promise((r) => setTimeout(r, 500));
      results.tuning = JSON.parse(process.env.TUNING);
    }
    results.open_without_layout = await interactive(app);
    await new Promise((r) => setTimeout(r, 1500)); // let validation settle
    const canvas = await app.exec("const r = document.querySelector('.canvas').getBoundingClientRect(); return { x: r.left, y: r.top, w: r.width, h: r.height };");
    // A pan from an empty spot of the pane (zoomed to 0.8 so cards are readable).
    await app.exec("window.__braid.rf.setViewport({ x: 40, y: 40, zoom: 0.8 })");
    await new Promise((r) => setTimeout(r, 500));
    results.rendered_nodes_at_zoom_0_8 = await app.exec("return document.querySelectorAll('.react-flow__node').length");
    const spot = await app.exec(`
      const c = document.querySelector('.canvas').getBoundingClientRect();
      for (let y = c.top + 20; y < c.bottom - 150; y += 17) for (let x = c.left + 20; x < c.right - 200; x += 23) {
        const el = document.elementFromPoint(x, y);
        if (el && el.classList.contains('react-flow__pane')) return { x: Math.round(x), y: Math.round(y) };
      }
      return null;`);
    if (!spot) throw new Error("no empty spot on the pane");
    results.pan_zoom_0_8 = await dragFrames(app, spot, { x: spot.x + Math.min(400, canvas.w / 2), y: spot.y + 150 });
    // Zoomed out to fit: every node on screen.
    await app.exec("window.__braid.rf.fitView({ duration: 0 })");
    await new Promise((r) => setTimeout(r, 500));
    results.rendered_nodes_fit = await app.exec("return document.querySelectorAll('.react-flow__node').length");
    const spot2 = await app.exec(`
      const c = document.querySelector('.canvas').getBoundingClientRect();
      for (let y = c.top + 10; y < c.bottom - 150; y += 7) for (let x = c.left + 10; x < c.right - 200; x += 7) {
        const el = document.elementFromPoint(x, y);
        if (el && el.classList.contains('react-flow__pane')) return { x: Math.round(x), y: Math.round(y) };
      }
      return null;`);
    results.pan_fit_all = await dragFrames(app, spot2, { x: spot2.x + 300, y: spot2.y + 100 });
    // Dragging one card: only it and its edges should re-render.
    await app.exec("window.__braid.rf.setViewport({ x: 40, y: 40, zoom: 0.8 })");
    await new Promise((r) => setTimeout(r, 500));
    const card = await app.exec("const r = document.querySelector('[data-kind=\"step\"] .step-head').getBoundingClientRect(); return { x: Math.round(r.left + 60), y: Math.round(r.top + 8) };");
    results.drag_node = await dragFrames(app, card, { x: card.x + 200, y: card.y + 120 });
    // One edit → validation round trip through Rust on the 1,000-step model.
    results.validate_round_trip_ms = await app.driver.executeAsyncScript(`
      const done = arguments[arguments.length - 1];
      const s = window.__braid.store;
      const t0 = performance.now();
      s.getState().edit((d) => ({ ...d, workflow: { ...d.workflow, name: 'edited' } }));
      const un = s.subscribe((st) => { if (st.diagnosticsFor === st.doc) { un(); done(Math.round(performance.now() - t0)); } });`);
    // Save, so the second open reads positions from the sidecar.
    if (!process.env.PERF_FILE) {
      await app.click("save-button");
      await app.waitTestId("toast");
    }
  } finally {
    await app.quit();
  }
  if (!process.env.PERF_FILE) {
    app = await launch([file]);
    try {
      results.open_with_layout_sidecar = await interactive(app);
    } finally {
      await app.quit();
    }
  }
} finally {
  await driver.stop();
}
console.log(JSON.stringify(results, null, 2));
