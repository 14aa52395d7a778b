// End-to-end tests of the real desktop app (see lib/app.mjs). One app
// process per test; files are copied to a temp dir so the repo never changes.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Key } from "selenium-webdriver";
import { WORKFLOWS, startDriver, withApp } from "../lib/app.mjs";

const BLOG = join(WORKFLOWS, "blog-publishing.json");
let driver;

/** A private copy of blog-publishing (with its sidecar). */
function blogCopy() {
  const dir = mkdtempSync(join(tmpdir(), "braid-e2e-"));
  copyFileSync(BLOG, join(dir, "blog-publishing.json"));
  copyFileSync(join(WORKFLOWS, "blog-publishing.layout.json"), join(dir, "blog-publishing.layout.json"));
  return join(dir, "blog-publishing.json");
}


const ruleText = (app) => app.exec("return document.querySelector('[data-testid=\"rule-quality-gates\"]').textContent");
const edgeCount = (app) => app.count('path[data-testid^="edge-"]');
const nodePositions = (app) =>
  app.exec("return Object.fromEntries(window.__braid.rf.getNodes().map((n) => [n.id, [Math.round(n.position.x), Math.round(n.position.y), n.parentId ?? null]]))");

before(async () => {
  driver = await startDriver();
});
after(async () => {
  await driver?.stop();
});

describe("launching", () => {
  test("without a file it shows the example gallery, and an example opens from it", async () => {
    await withApp([], async (app) => {
      await app.waitTestId("gallery");
      await app.click("example-blog-publishing");
      await app.waitGone('[data-testid="gallery"]');
      await app.waitFor(".react-flow__edge");
      assert.equal(await app.count('[data-testid^="node-"]'), 13);
    });
  });

  test("without a file it reopens the last file", async () => {
    await withApp([], async (app) => {
      await app.waitFor(".react-flow__edge");
      assert.match(await app.exec("return document.querySelector('[data-testid=\"doc-name\"]').textContent"), /Financial blog publishing/);
    });
  });

  test("the webview's CSP forbids eval", async () => {
    await withApp([BLOG], async (app) => {
      await app.waitFor(".react-flow__edge");
      const result = await app.exec("try { new Function('return 1')(); return 'allowed'; } catch (e) { return 'blocked'; }");
      assert.equal(result, "blocked");
    });
  });
});

describe("editing blog-publishing", () => {
  test("opens the example and renders every step, group and edge", async () => {
    await withApp([BLOG], async (app) => {
      await app.waitFor(".react-flow__edge");
      await app.waitUntil(async () => (await edgeCount(app)) === 12, 10000, "12 edges");
      assert.equal(await app.count('[data-testid^="node-"][data-kind="step"]'), 12);
      // The revision loop is drawn as one, with its limit.
      await app.waitTestId("edge-loop-quality-gates-revise");
      assert.match(await app.exec("return document.querySelector('[data-testid=\"edge-loop-quality-gates-revise\"]').textContent"), /≤ 3 rounds/);
      assert.equal(await app.count('[data-testid="node-quality-gates"][data-kind="group"]'), 1);
      assert.equal(await app.count('[data-testid="edge-quality-gates-return-to-author"][data-when="rejected"]'), 1);
      assert.match(await ruleText(app), /weighted.*≥ 80.*needs work ≥ 60/i);
      assert.equal(await app.count('[data-testid="diagnostic"]'), 0);
    });
  });

  test("a step from the palette shows a badge for a missing input until it is connected", async () => {
    await withApp([blogCopy()], async (app) => {
      await app.waitFor(".react-flow__edge");
      await app.click("palette-step-sim");
      await app.waitTestId("node-sim-step");
      assert.equal(await app.exec("return document.querySelector('[data-testid=\"inspector\"]').dataset.selected"), "sim-step");

      // The mistake: it reads a key nothing upstream of it produces.
      const requires = await app.waitFor('[data-testid="step-requires"] input');
      await requires.sendKeys("published_url", Key.ENTER);
      await app.waitTestId("badge-sim-step");
      await app.waitFor('[data-testid="diagnostic"][data-code="missing_input"]');

      // Put it above `verify`, where a person would, and look at the whole graph.
      await app.exec("window.__braid.store.getState().edit((d) => ({ ...d, positions: { ...d.positions, 'sim-step': { x: d.positions.verify.x, y: d.positions.verify.y - 160 } } }))");
      await app.exec("window.__braid.rf.fitView({ padding: 0.1, duration: 0 })");

      // The fix: connect publish → sim-step, which guarantees published_url.
      await app.dragHandle("publish", "source", "sim-step", "target");
      await app.waitTestId("edge-publish-sim-step");
      await app.waitGone('[data-testid="badge-sim-step"]');
      assert.equal(await app.count('[data-testid="diagnostic"][data-code="missing_input"]'), 0);

      // A connection that would close a cycle offers to make it a loop;
      // Cancel (or Escape) adds nothing.
      const before = await edgeCount(app);
      await app.dragHandle("sim-step", "source", "validate", "target");
      await app.waitTestId("loop-dialog");
      await app.driver.actions({ async: true }).sendKeys(Key.ESCAPE).perform();
      await app.waitGone('[data-testid="loop-dialog"]');
      assert.equal(await edgeCount(app), before, "no edge without a decision");
      assert.equal(await app.count('[data-testid="edge-sim-step-validate"]'), 0);
      // Drawn back onto itself, `verify` becomes a loop of 4 rounds.
      await app.dragHandle("verify", "source", "verify", "target");
      await app.waitTestId("loop-dialog");
      const rounds = await app.waitTestId("loop-rounds");
      await rounds.clear();
      await rounds.sendKeys("4");
      await app.click("loop-create");
      assert.match(await (await app.waitTestId("edge-loop-verify-verify")).getText(), /≤ 4 rounds/);
      assert.equal(await app.count('[data-testid="diagnostic"][data-code="bad_loop"]'), 0);
    });
  });

  test("editing a group's aggregation in the inspector, with undo and redo", async () => {
    await withApp([blogCopy()], async (app) => {
      await app.waitFor(".react-flow__edge");
      await app.clickNode("quality-gates");
      await app.waitTestId("group-strategy");
      await app.waitFor('[data-testid="aggregate-preview"][data-outcome="approved"]');

      await app.choose("group-strategy", "quorum");
      await app.waitUntil(async () => /quorum/i.test(await ruleText(app)), 5000, "quorum in the header");
      await app.typeInto("group-k", "3");
      await app.waitUntil(async () => /k = 3/.test(await ruleText(app)), 5000, "k = 3 in the header");
      // The engine's aggregation decides the preview: 3 of 3 example branches approve.
      await app.waitFor('[data-testid="aggregate-preview"][data-outcome="approved"]');
      await app.typeInto("preview-score-0", "10");
      await app.choose("group-strategy", "quorum");
      await app.exec("const i = document.querySelectorAll('.preview-table select')[1]; i.value = 'no'; i.dispatchEvent(new Event('change', { bubbles: true }))");
      await app.waitFor('[data-testid="aggregate-preview"][data-outcome="rejected"], [data-testid="aggregate-preview"][data-outcome="needs_work"]');

      await app.click("undo-button");
      await app.waitUntil(async () => !/k = 3/.test(await ruleText(app)), 5000, "undo k");
      await app.click("undo-button");
      await app.waitUntil(async () => /weighted/i.test(await ruleText(app)), 5000, "undo strategy");
      assert.equal(await app.count('[data-testid="dirty"]'), 0, "clean after undoing everything");
      await app.click("redo-button");
      await app.waitUntil(async () => /quorum/i.test(await ruleText(app)), 5000, "redo strategy");
      // Keyboard shortcuts too (focus on the page, not in a field).
      await app.exec("document.activeElement && document.activeElement.blur()");
      await app.key(Key.CONTROL, "z");
      await app.waitUntil(async () => /weighted/i.test(await ruleText(app)), 5000, "Ctrl+Z");
      await app.key(Key.CONTROL, Key.SHIFT, "z");
      await app.waitUntil(async () => /quorum/i.test(await ruleText(app)), 5000, "Ctrl+Shift+Z");
    });
  });

  test("saving writes the canonical file byte for byte, and reopening shows the same layout", async () => {
    const file = blogCopy();
    const original = readFileSync(file, "utf8");
    let positions;
    await withApp([file], async (app) => {
      await app.waitFor(".react-flow__edge");
      await app.clickNode("quality-gates");
      await app.choose("group-strategy", "majority");
      await app.waitUntil(async () => /majority/i.test(await ruleText(app)), 5000, "majority");
      await app.dragNode("verify", 60, 120);
      await app.waitTestId("dirty");
      await app.click("save-button");
      await app.waitGone('[data-testid="dirty"]');
      positions = await nodePositions(app);
    });
    const expected = original.replace('"strategy": "weighted"', '"strategy": "majority"');
    assert.notEqual(expected, original);
    assert.equal(readFileSync(file, "utf8"), expected, "the workflow file is the canonical form, positions are not in it");
    const layoutFile = file.replace(/\.json$/, ".layout.json");
    assert.ok(existsSync(layoutFile));
    const layout = JSON.parse(readFileSync(layoutFile, "utf8"));
    assert.equal(Object.keys(layout.nodes).length, 13);
    assert.ok(readFileSync(layoutFile, "utf8").endsWith("}\n"));

    await withApp([file], async (app) => {
      await app.waitFor(".react-flow__edge");
      assert.deepEqual(await nodePositions(app), positions);
    });
  });

  test("dragging a branch out of its group makes it a phase, and back in a branch again", async () => {
    await withApp([blogCopy()], async (app) => {
      await app.waitFor(".react-flow__edge");
      const groupOf = () => app.exec("return window.__braid.store.getState().doc.workflow.steps.find((s) => s.id === 'tech-accuracy').group ?? null");
      assert.equal(await groupOf(), "quality-gates");
      await app.exec("window.__braid.rf.fitView({ nodes: [{ id: 'quality-gates' }], padding: 0.9, duration: 0 })");
      await app.dragNode("tech-accuracy", 0, 260);
      await app.waitUntil(async () => (await groupOf()) === null, 5000, "out of the group");
      await app.dragNode("tech-accuracy", 0, -260);
      await app.waitUntil(async () => (await groupOf()) === "quality-gates", 5000, "back in the group");
      // Each move was one undoable edit.
      await app.click("undo-button");
      await app.waitUntil(async () => (await groupOf()) === null, 5000, "undo");
    });
  });

  test("clicking a problem selects the node it is about", async () => {
    await withApp([blogCopy()], async (app) => {
      await app.waitFor(".react-flow__edge");
      await app.clickNode("verify");
      const requires = await app.waitFor('[data-testid="step-requires"] input');
      await requires.sendKeys("nowhere", Key.ENTER);
      const problem = await app.waitFor('[data-testid="diagnostic"][data-code="missing_input"]');
      await app.clickNode("transform");
      await problem.click();
      await app.waitFor('[data-testid="inspector"][data-selected="verify"]');
    });
  });
});
