// The run view in the real app: a run started from the toolbar, watched on
// the canvas, cancelled, reopened from history after a restart, and a burst
// of thousands of events — each checked against what the store recorded
// (`braid show RUN --json`, the same database through the CLI).
//   BRAID_E2E_PORT=4450 xvfb-run -a -s "-screen 0 1280x800x24" node --test --test-concurrency=1 specs/run.test.mjs
// BRAID_SHOTS_DIR=<dir> also saves screenshots of the run view there.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { By, CLI, Key, SHOTS, WORKFLOWS, startDriver, withApp, shot } from "../lib/app.mjs";
import { burstWorkflow } from "../fixtures/burst.mjs";

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), "../fixtures");
let driver;
/** The blog run of the first test, reopened after a restart. */
let blogRun = null;
let blogPath = null;

/** A private copy of blog-publishing with its sidecar and its agent script. */
function blogCopy() {
  const dir = mkdtempSync(join(tmpdir(), "braid-e2e-run-"));
  copyFileSync(join(WORKFLOWS, "blog-publishing.json"), join(dir, "blog-publishing.json"));
  copyFileSync(join(WORKFLOWS, "blog-publishing.layout.json"), join(dir, "blog-publishing.layout.json"));
  mkdirSync(join(dir, "agents"));
  copyFileSync(join(WORKFLOWS, "agents/check-page.sh"), join(dir, "agents/check-page.sh"));
  chmodSync(join(dir, "agents/check-page.sh"), 0o755);
  return join(dir, "blog-publishing.json");
}

/** For screenshots: the window fills the (Xvfb) screen, so every panel shows at that size. */
async function fillScreen(app) {
  if (!SHOTS) return;
  const [width, height] = await app.exec("return [screen.width, screen.height]");
  await app.driver.manage().window().setRect({ x: 0, y: 0, width, height });
  await new Promise((r) => setTimeout(r, 400));
}

/** A private copy of agent-with-critic with its two agent scripts. */
function criticCopy() {
  const dir = mkdtempSync(join(tmpdir(), "braid-e2e-critic-"));
  copyFileSync(join(WORKFLOWS, "agent-with-critic.json"), join(dir, "agent-with-critic.json"));
  mkdirSync(join(dir, "agents"));
  for (const script of ["writer.sh", "critic.sh"]) {
    copyFileSync(join(WORKFLOWS, "agents", script), join(dir, "agents", script));
    chmodSync(join(dir, "agents", script), 0o755);
  }
  return join(dir, "agent-with-critic.json");
}

function fixtureCopy(...files) {
  const dir = mkdtempSync(join(tmpdir(), "braid-e2e-run-"));
  for (const f of files) {
    copyFileSync(join(FIXTURES, f), join(dir, f));
    if (f.endsWith(".sh")) chmodSync(join(dir, f), 0o755);
  }
  return dir;
}

/** `braid --db <the app's store> show RUN --json`. */
function show(runId) {
  return JSON.parse(execFileSync(CLI, ["--db", driver.db, "show", runId, "--json"], { encoding: "utf8", maxBuffer: 256 << 20 }));
}



/** Sets a form field like typing would (React's value tracker sees the change). */
async function setValue(app, testid, value) {
  const el = await app.waitTestId(testid);
  await app.exec(
    `const [el, v] = arguments;
     const proto = el.tagName === 'TEXTAREA' ? HTMLTextAreaElement.prototype : HTMLInputElement.prototype;
     Object.getOwnPropertyDescriptor(proto, 'value').set.call(el, v);
     el.dispatchEvent(new Event('input', { bubbles: true }));`,
    el,
    value,
  );
}

/** Records every data-status each node shows, in order (runs can be faster than polling). */
async function recordStatuses(app) {
  await app.exec(`
    window.__statusLog = {};
    const note = (el) => {
      const id = (el.getAttribute('data-testid') || '').replace(/^node-/, '');
      const s = el.getAttribute('data-status');
      if (!id || !s) return;
      const log = (window.__statusLog[id] ||= []);
      if (log[log.length - 1] !== s) log.push(s);
    };
    new MutationObserver((muts) => {
      for (const m of muts) {
        if (m.type === 'attributes') note(m.target);
        else for (const n of m.addedNodes) if (n.querySelectorAll) n.querySelectorAll('[data-status]').forEach(note);
      }
    }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-status'] });
  `);
}

/** Run from the toolbar: fill the form, start, approve the review if one opens; returns the run id. */
async function runFromToolbar(app, { inputs = {}, timeScale } = {}) {
  // Opening a file that runs commands shows its trust review at once: approve it there.
  await new Promise((r) => setTimeout(r, 500));
  if ((await app.count('[data-testid="review-approve"]')) > 0) {
    await app.click("review-approve");
    await app.waitGone('[data-testid="review-approve"]');
  }
  await app.click("run-button");
  await app.waitTestId("run-dialog");
  for (const [k, v] of Object.entries(inputs)) await setValue(app, `run-input-${k}`, v);
  if (timeScale != null) await setValue(app, "run-time-scale", String(timeScale));
  await app.click("run-start");
  // A workflow that runs commands needs the trust review first ("Approve and run").
  const next = await app.waitUntil(
    async () => {
      if ((await app.count('[data-testid="review-approve"]')) > 0) return "review";
      const id = await app.exec("const v = window.__braid.run.getState().view; return v && v.runId");
      return id ? "started" : false;
    },
    20000,
    "the run to start or the review to open",
  );
  if (next === "review") await app.click("review-approve");
  return app.waitUntil(() => app.exec("const v = window.__braid.run.getState().view; return v && v.runId"), 20000, "a run id");
}

const runState = (app) => app.exec("const s = window.__braid.run.getState(); return s.view && { status: s.view.status, summary: !!s.summary }");
async function waitRunEnd(app, ms = 60000) {
  await app.waitUntil(async () => {
    const s = await runState(app);
    return s && s.status !== "running" && s.status !== "pending" && s.summary;
  }, ms, "the run to end");
}
const domStatus = (app, id) => app.exec(`const el = document.querySelector('[data-testid="node-${id}"]'); return el && el.getAttribute('data-status')`);
const domStatuses = (app) =>
  app.exec(
    "return Object.fromEntries([...document.querySelectorAll('[data-testid^=\"node-\"][data-status]')].map((el) => [el.getAttribute('data-testid').slice(5), el.getAttribute('data-status')]))",
  );

/** Polls `ok` outside the app (files, processes) until it holds. */
async function waitFor(ok, ms, what) {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function pgrep(marker) {
  const r = spawnSync("pgrep", ["-f", marker], { encoding: "utf8", maxBuffer: 256 << 20 });
  return r.stdout.split("\n").filter(Boolean).map(Number).filter((pid) => pid !== process.pid);
}

before(async () => {
  driver = await startDriver();
});
after(async () => {
  await driver?.stop();
});

describe("running from the app", () => {
  test("blog-publishing runs on the canvas: running → succeeded, the group's score, the rejected route skipped", async () => {
    blogPath = blogCopy();
    await withApp([blogPath], async (app) => {
      await app.waitFor(".react-flow__edge");
      await recordStatuses(app);
      const runId = await runFromToolbar(app, { inputs: { page_id: "post-1" }, timeScale: 0.05 });
      // Mid-run: something runs on the canvas while the dock streams.
      await app.waitUntil(async () => (await app.count('[data-status="running"]')) > 0, 20000, "a running node");
      if (SHOTS) {
        await app.waitUntil(async () => (await domStatus(app, "brand-voice")) === "running", 20000, "the reviews running");
        await app.exec("window.__braid.rf.fitView({ padding: 0.08, duration: 0 })");
        await app.clickNode("validate");
        await shot(app, "run-in-progress");
      }
      // The editor's sign-off: the run waits (in the store, so any process
      // sees it), the canvas says so, and a decision from the CLI moves it on.
      await app.waitUntil(() => show(runId).status === "waiting", 30000, "the run waiting for the editor");
      await app.waitUntil(async () => (await domStatus(app, "editor-ok")) === "waiting", 10000, "editor-ok waiting on the canvas");
      execFileSync(CLI, ["--db", driver.db, "approve", runId, "editor-ok", "--note", "Ship it"], { stdio: "pipe" });
      await waitRunEnd(app);
      blogRun = runId;
      const log = await app.exec("return window.__statusLog");
      // (validate, a quick shell step, may start and end within one frame: it can go pending → succeeded.)
      assert.equal(show(runId).context.editor_note, "Ship it");
      for (const id of ["brand-voice", "legal", "transform", "publish", "verify"]) {
        const seen = log[id] ?? [];
        assert.ok(seen.includes("running") && seen.indexOf("running") < seen.lastIndexOf("succeeded"), `${id} went running → succeeded (saw ${seen.join(" → ")})`);
      }
      assert.equal(await domStatus(app, "return-to-author"), "skipped");
      const outcome = await app.waitTestId("group-outcome-quality-gates");
      const summary = show(runId);
      assert.equal(summary.status, "succeeded");
      assert.equal(await outcome.getAttribute("data-outcome"), summary.groups["quality-gates"].outcome);
      assert.equal(Number(await outcome.getAttribute("data-score")), summary.groups["quality-gates"].score);
      assert.match(await (await app.waitTestId("group-score-quality-gates")).getText(), /^\d+(\.\d)?$/);
      // Taken routes are emphasised, the rejected one is not.
      assert.equal(await app.exec("return document.querySelector('[data-testid=\"edge-quality-gates-editor-ok\"]').getAttribute('data-taken')"), "true");
      assert.equal(await app.exec("return document.querySelector('[data-testid=\"edge-editor-ok-transform\"]').getAttribute('data-taken')"), "true");
      assert.equal(await app.exec("return document.querySelector('[data-testid=\"edge-quality-gates-return-to-author\"]').getAttribute('data-taken')"), "false");
      // The canvas ends where the store's record does.
      const dom = await domStatuses(app);
      for (const [id, s] of Object.entries(summary.steps)) assert.equal(dom[id], s.status, `status of ${id}`);

      // The run panel: the shell step's output from the store, the context audit trail.
      await app.clickNode("validate");
      await app.click("run-tab-output");
      await app.waitUntil(async () => /validation_passed/.test(await (await app.waitTestId("run-output")).getText()), 10000, "validate's stdout");
      await app.click("run-tab-context");
      const audit = await (await app.waitTestId("context-audit")).getText();
      assert.match(audit, /quality-gates\s*quality-gates\.outcome\s*— → "approved"/);
      assert.match(audit, /\$inputs\s*page_id\s*— → "post-1"/);
      await app.click("run-tab-output");
      await app.exec("window.__braid.rf.fitView({ padding: 0.08, duration: 0 })");
      await app.clickNode("validate");
      await shot(app, "run-panel");
    });
  });

  test("the critic example loops: rounds on the nodes, every round's verdict and the recommendations in the dock", async () => {
    await withApp([criticCopy()], async (app) => {
      await app.waitFor(".react-flow__edge");
      await fillScreen(app);
      // The loop edge is drawn as one, with its limit.
      assert.match(await (await app.waitTestId("edge-loop-review-generate")).getText(), /≤ 3 rounds/);
      const runId = await runFromToolbar(app, {});
      await app.waitUntil(async () => (await app.count('[data-testid="round-generate"]')) > 0 && /round [23]/.test(await (await app.waitTestId("round-generate")).getText()), 20000, "a later round on the canvas");
      await waitRunEnd(app);
      const summary = show(runId);
      assert.equal(summary.status, "succeeded");
      assert.deepEqual(summary.loops.generate, { rounds: 3, exhausted: false });
      assert.match(await (await app.waitTestId("round-generate")).getText(), /round 3 \/ 3/);
      await app.clickNode("review");
      await app.click("run-tab-result");
      await app.waitTestId("run-rounds");
      for (const round of [1, 2, 3]) assert.equal(await app.count(`[data-testid="round-review-${round}"]`), 1, `round ${round} of review listed`);
      assert.match(await (await app.waitTestId("recommendations-review")).getText(), /Ship it; consider a shorter title\./);
      if (SHOTS) {
        await app.exec("window.__braid.rf.fitView({ padding: 0.2, duration: 0 })");
        await shot(app, "run-round-badges");
        await app.click("analytics-button");
        await app.waitTestId("timeline-row-generate");
        await app.exec("window.__braid.rf.fitView({ padding: 0.15, duration: 0 })");
        await shot(app, "run-rounds-timeline");
      }
    });
  });

  test("the blog's editor approves in the app: the prompt on the node, real clicks and keys, the run finishes", async () => {
    await withApp([blogCopy()], async (app) => {
      await app.waitFor(".react-flow__edge");
      await fillScreen(app);
      const runId = await runFromToolbar(app, { inputs: { page_id: "post-2" }, timeScale: 0.02 });
      const prompt = await app.waitTestId("approval-prompt-editor-ok", 30000);
      assert.match(await prompt.getText(), /Publish page post-2\?/);
      assert.match(await prompt.getText(), /Add the risk disclaimer/, "the shown recommendations");
      assert.equal(show(runId).status, "waiting");
      // The dock says who waits; its button brings the step (and its prompt) into view.
      const chip = await app.waitTestId("run-waiting");
      await app.driver.actions({ async: true }).move({ origin: chip }).click().perform();
      await new Promise((r) => setTimeout(r, 600));
      await shot(app, "approval-prompt");
      // The same prompt, full size, in the dock's Output tab for the selected step.
      const dock = await app.waitTestId("approval-dock-editor-ok");
      // A person: clicks the note, types, presses Escape (which decides nothing), clicks Approve.
      const note = await dock.findElement(By.css('[data-testid="approval-note"]'));
      await app.exec("arguments[0].scrollIntoView({ block: 'center' })", note); // as a person scrolls the dock
      await app.driver.actions({ async: true }).move({ origin: note }).click().perform();
      await note.sendKeys("Reviewed the rate table");
      await note.sendKeys(Key.ESCAPE);
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(show(runId).status, "waiting", "Escape decided nothing");
      const approve = await dock.findElement(By.css('[data-testid="approval-approve"]'));
      await app.exec("arguments[0].scrollIntoView({ block: 'center' })", approve);
      await app.driver.actions({ async: true }).move({ origin: approve }).click().perform();
      await waitRunEnd(app);
      const summary = show(runId);
      assert.equal(summary.status, "succeeded");
      assert.equal(summary.context.editor_note, "Reviewed the rate table");
      assert.equal(summary.context["editor-ok.decision"].approved, true);
      assert.equal(await app.count('[data-testid="approval-prompt-editor-ok"]'), 0, "the prompt is gone");
      // The reviewers' recommendations, per branch, in the dock.
      await app.clickNode("quality-gates");
      await app.click("run-tab-result");
      assert.match(await (await app.waitTestId("recommendations-quality-gates")).getText(), /Add the risk disclaimer under the rate table\./);
      await shot(app, "run-dock-recommendations");
    });
  });

  test("cancelling a long shell step: the step ends cancelled and no process is left", async () => {
    const dir = fixtureCopy("long-shell.json", "long-step.sh");
    const marker = `braid-e2e-marker-${process.pid}-${Date.now()}`;
    await withApp([join(dir, "long-shell.json")], async (app) => {
      await app.waitFor(".react-flow__edge");
      await runFromToolbar(app, { inputs: { marker } });
      await app.waitUntil(async () => (await domStatus(app, "long")) === "running", 20000, "the shell step running");
      await app.waitUntil(async () => pgrep(marker).length > 0, 10000, "the step's processes");
      // Its output streams into the panel while it runs.
      await app.waitUntil(
        () => app.exec(`const o = window.__braid.run.getState().view.output.long; return !!o && o.lines.some((l) => l.line === 'started ${marker}')`),
        10000,
        "the live output line",
      );
      assert.equal(await app.count('[data-testid="run-cancel"]'), 1);
      await app.click("run-cancel");
      await waitRunEnd(app, 20000);
      assert.equal(await domStatus(app, "long"), "cancelled");
      assert.equal(await domStatus(app, "after"), "cancelled");
      assert.equal(await domStatus(app, "prepare"), "succeeded");
      assert.equal(await app.exec("return window.__braid.run.getState().view.status"), "cancelled");
      await app.waitUntil(async () => pgrep(marker).length === 0, 10000, "no process with the marker");
      assert.deepEqual(pgrep(marker), []);
    });
  });

  test("after a restart, the blog run opens from history with the statuses the store has", async () => {
    assert.ok(blogRun, "the first test recorded a run");
    await withApp([blogPath], async (app) => {
      await app.waitFor(".react-flow__edge");
      await app.click("run-tab-history");
      await app.click(`history-open-${blogRun}`);
      await app.waitUntil(() => app.exec(`const v = window.__braid.run.getState().view; return v && v.runId === '${blogRun}'`), 10000, "the run open");
      const summary = show(blogRun);
      const dom = await domStatuses(app);
      for (const [id, s] of Object.entries(summary.steps)) assert.equal(dom[id], s.status, `status of ${id}`);
      const outcome = await app.waitTestId("group-outcome-quality-gates");
      assert.equal(Number(await outcome.getAttribute("data-score")), summary.groups["quality-gates"].score);
      // The scrubber replays: at 0 events everything is pending, at the end it is the record again.
      await setValue(app, "run-scrubber", "0");
      await app.waitUntil(async () => (await domStatus(app, "validate")) === "pending", 5000, "replay at the start");
      const total = await app.exec("return window.__braid.run.getState().events.length");
      await setValue(app, "run-scrubber", String(total));
      await app.waitUntil(async () => (await domStatus(app, "validate")) === summary.steps.validate.status, 5000, "replay at the end");

      // Right-click a step of the finished run → "Rerun from here": upstream results are reused.
      await app.revealNode("transform");
      const card = await app.waitTestId("node-transform");
      await app.driver.actions({ async: true }).contextClick(card).perform();
      await app.click("rerun-from-here");
      await app.waitUntil(() => app.exec(`const v = window.__braid.run.getState().view; return v && v.runId && v.runId !== '${blogRun}'`), 20000, "the rerun");
      await waitRunEnd(app);
      const rerunId = await app.exec("return window.__braid.run.getState().view.runId");
      const again = show(rerunId);
      const after = await domStatuses(app);
      for (const [id, s] of Object.entries(again.steps)) assert.equal(after[id], s.status, `status of ${id} in the rerun`);
      for (const id of ["validate", "brand-voice", "legal"]) assert.equal(await app.count(`[data-testid="reused-${id}"]`), 1, `${id} shows reused`);
      assert.equal(await app.count('[data-testid="reused-transform"]'), 0);
    });
  });

  test("a run whose process died is recovered as interrupted and resumed from history, asking about its non-idempotent step", async () => {
    const dir = fixtureCopy("long-shell.json", "long-step.sh");
    const file = join(dir, "long-shell.json");
    const marker = `braid-e2e-resume-${process.pid}-${Date.now()}`;
    // A CLI run, killed (SIGKILL: no chance to record anything) while its shell step runs.
    const cli = spawn(CLI, ["--db", driver.db, "run", "--trust", "--input", `marker=${marker}`, file], { stdio: "ignore" });
    try {
      // (The CLI's own argv carries the marker too: wait for the step's.)
      await waitFor(() => pgrep(marker).some((pid) => pid !== cli.pid), 20000, "the step's processes");
    } finally {
      cli.kill("SIGKILL");
    }
    await new Promise((r) => cli.once("exit", r));
    const runId = JSON.parse(execFileSync(CLI, ["--db", driver.db, "runs", "--json"], { encoding: "utf8" })).runs.find((r) => r.workflow_id === "e2e-long-shell").run_id;
    await withApp([file], async (app) => {
      await app.waitFor(".react-flow__edge");
      // Opening the store found the dead owner: the run is interrupted and its orphans are gone.
      await app.waitUntil(async () => pgrep(marker).length === 0, 10000, "the orphaned step killed");
      await app.click("run-tab-history");
      const row = await app.waitTestId(`history-${runId}`);
      assert.equal(await row.getAttribute("data-status"), "interrupted");
      await app.click(`history-resume-${runId}`);
      // `long` is a shell step (not idempotent) that was mid-attempt: the app asks.
      const question = await app.waitTestId("resume-decision");
      assert.match(await question.getText(), /long/);
      await app.click("resume-skip");
      await waitRunEnd(app, 30000);
      assert.equal(await app.exec("return window.__braid.run.getState().view.runId"), runId, "resumed under the same id");
      const summary = show(runId);
      assert.notEqual(summary.status, "interrupted");
      const dom = await domStatuses(app);
      for (const [id, s] of Object.entries(summary.steps)) assert.equal(dom[id], s.status, `status of ${id}`);
      assert.equal(summary.steps.prepare.status, "succeeded", "the committed step kept its result");
      assert.deepEqual(pgrep(marker), []);
    });
  });

  test("replaying a run mid-scrub shows the recorded moment, not the wall clock", async () => {
    const planted = join(WORKFLOWS, "planted-bottleneck.json");
    execFileSync(CLI, ["--db", driver.db, "run", planted, "--time-scale", "0.02"], { stdio: "ignore" });
    const run = JSON.parse(execFileSync(CLI, ["--db", driver.db, "runs", "--json", "--limit", "1"], { encoding: "utf8" })).runs[0];
    await withApp([planted], async (app) => {
      await app.waitFor(".react-flow__edge");
      await app.click("run-tab-history");
      await app.click(`history-open-${run.run_id}`);
      await app.waitUntil(() => app.exec(`const v = window.__braid.run.getState().view; return v && v.runId === '${run.run_id}'`), 10000, "the run open");
      // Halfway through the record: the run, and some step, are running then.
      const total = await app.exec("return window.__braid.run.getState().events.length");
      await setValue(app, "run-scrubber", String(Math.floor(total / 2)));
      await app.waitUntil(async () => (await app.exec("return window.__braid.run.getState().view.status")) === "running", 5000, "mid-run");
      const read = () => app.exec("return document.querySelector('[data-testid=\"run-elapsed\"]').textContent");
      const first = await read();
      await new Promise((r) => setTimeout(r, 1500));
      assert.equal(await read(), first, "the replay's clock stands still");
      // And it reads a moment inside the run, not the time since it was recorded.
      const m = /^([\d.]+) (ms|s)$/.exec(first.trim());
      assert.ok(m, `elapsed reads "${first}"`);
      const shownMs = Number(m[1]) * (m[2] === "s" ? 1000 : 1);
      assert.ok(shownMs <= run.duration_ms + 10, `mid-scrub shows ${first} of a ${run.duration_ms} ms run`);
    });
  });

  test("a run going on in a terminal is watched live from history and cancelled from the app", async () => {
    const dir = fixtureCopy("long-shell.json", "long-step.sh");
    const file = join(dir, "long-shell.json");
    const marker = `braid-e2e-follow-${process.pid}-${Date.now()}`;
    const cli = spawn(CLI, ["--db", driver.db, "run", "--trust", "--json", "--input", `marker=${marker}`, file], { stdio: ["ignore", "pipe", "ignore"] });
    let out = "";
    cli.stdout.on("data", (d) => (out += d));
    const exited = new Promise((r) => cli.once("exit", (code) => r(code)));
    try {
      await waitFor(() => pgrep(marker).some((pid) => pid !== cli.pid), 20000, "the step's processes");
      const runId = JSON.parse(execFileSync(CLI, ["--db", driver.db, "runs", "--json"], { encoding: "utf8" })).runs.find((r) => r.status === "running").run_id;
      await withApp([file], async (app) => {
        await app.waitFor(".react-flow__edge");
        await app.click("run-tab-history");
        await app.click(`history-open-${runId}`);
        await app.waitUntil(async () => (await domStatus(app, "long")) === "running", 10000, "the terminal's run live on the canvas");
        assert.equal(await domStatus(app, "prepare"), "succeeded");
        // The app's Cancel reaches the other process through the store.
        await app.click("run-cancel");
        await waitRunEnd(app, 20000);
        assert.equal(await exited, 1, "the CLI run ended unsuccessfully");
        const summary = show(runId);
        assert.equal(summary.status, "cancelled");
        const dom = await domStatuses(app);
        for (const [id, st] of Object.entries(summary.steps)) assert.equal(dom[id], st.status, `status of ${id}`);
        assert.equal(JSON.parse(out).status, "cancelled", "the terminal printed the same end");
        await app.waitUntil(async () => pgrep(marker).length === 0, 10000, "no process with the marker");
      });
    } finally {
      cli.kill("SIGKILL");
    }
  });

  test("a sub-workflow step's run is linked to its parent and opens on its own canvas", async () => {
    const dir = fixtureCopy("sub-parent.json", "sub-child.json");
    await withApp([join(dir, "sub-parent.json")], async (app) => {
      await app.waitFor(".react-flow__edge");
      const parentRun = await runFromToolbar(app);
      await waitRunEnd(app);
      assert.equal(show(parentRun).status, "succeeded");
      await app.clickNode("delegate");
      await app.click("run-tab-result");
      const list = await app.waitTestId("sub-runs");
      const subRun = (await list.getText()).match(/[0-9A-HJKMNP-TV-Z]{26}/)?.[0];
      assert.ok(subRun, "the sub-run's id is listed");
      const child = show(subRun);
      assert.equal(child.workflow_id, "e2e-sub-child");
      await app.click(`sub-run-open-${subRun}`);
      await app.waitUntil(() => app.exec(`const v = window.__braid.run.getState().view; return v && v.runId === '${subRun}'`), 10000, "the sub-run open");
      assert.equal(await app.exec("return window.__braid.store.getState().doc.workflow.id"), "e2e-sub-child");
      const dom = await domStatuses(app);
      for (const [id, st] of Object.entries(child.steps)) assert.equal(dom[id], st.status, `status of ${id} in the sub-run`);
    });
  });

  test("a 2,000-element burst: every event applied, the canvas ends as the store records, frame times reported", async () => {
    const dir = mkdtempSync(join(tmpdir(), "braid-e2e-burst-"));
    const file = join(dir, "burst.json");
    writeFileSync(file, JSON.stringify(burstWorkflow(2000), null, 2) + "\n");
    await withApp([file], async (app) => {
      await app.waitFor(".react-flow__edge");
      const runId = await runFromToolbar(app, { timeScale: 1 });
      await waitRunEnd(app, 60000);
      const summary = show(runId);
      const state = await app.exec(`
        const s = window.__braid.run.getState();
        const counts = [...document.querySelectorAll('[data-testid="map-counts-fan"] [data-count]')].map((el) => [el.getAttribute('data-count'), Number(el.textContent.replace(/\\D/g, ''))]);
        return { perf: s.perf, events: s.events.length, lastSeq: s.view.lastSeq, counts: Object.fromEntries(counts) };
      `);
      const dom = await domStatuses(app);
      for (const [id, s] of Object.entries(summary.steps)) assert.equal(dom[id], s.status, `status of ${id}`);
      assert.deepEqual(state.counts, summary.steps.work.elements);
      assert.equal(summary.steps.work.elements.succeeded, 2000);
      assert.equal(state.events, state.lastSeq + 1, "no event missing (sequence numbers 0..n-1)");
      const stored = JSON.parse(execFileSync(CLI, ["--db", driver.db, "runs", "--json"], { encoding: "utf8", maxBuffer: 256 << 20 })).runs.find((r) => r.run_id === runId);
      const rate = Math.round(state.events / Math.max(0.001, stored.duration_ms / 1000));
      console.log(JSON.stringify({ burst: { events: state.events, run_ms: stored.duration_ms, events_per_s: rate, ui: state.perf } }));
      assert.ok(rate >= 2000, `the burst streamed ${rate} events/s`);
      assert.ok(state.perf && state.perf.frames > 0, "frames were measured");
    });
  });
});
