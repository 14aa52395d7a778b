// What a new user hit in the editor's first hour (the "first hour" issue),
// each checked at the two window sizes people use most. The WebDriver
// clicks are real pointer events on the real app.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Key } from "selenium-webdriver";
import { WORKFLOWS, startDriver, withApp } from "../lib/app.mjs";

const BLOG = join(WORKFLOWS, "blog-publishing.json");
const SIZES = [
  [1280, 800],
  [1440, 900],
];
let driver;

before(async () => {
  driver = await startDriver();
});
after(async () => {
  await driver?.stop();
});

/** Opens BLOG in a window of `width` × `height` and runs `fn`. */
async function atSize([width, height], fn) {
  await withApp([BLOG], async (app) => {
    await app.driver.manage().window().setRect({ x: 0, y: 0, width, height });
    await app.waitFor(".react-flow__edge");
    await app.waitUntil(async () => (await app.exec("return window.innerWidth")) >= width - 40, 5000, `a ${width}px window`);
    await fn(app);
  });
}

describe("the editor's first hour", () => {
  for (const size of SIZES) {
    test(`the Recent menu is seen whole, not clipped by the top bar (${size.join("×")})`, async () => {
      await atSize(size, async (app) => {
        await app.click("recent-button");
        const menu = await app.waitTestId("recent-menu");
        const seen = await app.exec(
          `const menu = arguments[0];
           const r = menu.getBoundingClientRect();
           const item = menu.querySelector('button, .hint').getBoundingClientRect();
           const hit = document.elementFromPoint(item.left + item.width / 2, item.top + item.height / 2);
           return { height: r.height, inside: !!hit && menu.contains(hit), bottom: r.bottom, viewport: window.innerHeight };`,
          menu,
        );
        assert.ok(seen.height > 30, `the menu is ${seen.height}px tall`);
        assert.ok(seen.inside, "the point at the menu's first entry is the menu, not what is under it");
        assert.ok(seen.bottom <= seen.viewport, "the menu fits in the window");
      });
    });

    test(`the step inspector's data section has text-sized icons (${size.join("×")})`, async () => {
      await atSize(size, async (app) => {
        await app.clickNode("brand-voice");
        await app.waitFor('[data-testid="inspector"][data-selected="brand-voice"]');
        const sizes = await app.exec(
          `return [...document.querySelectorAll('[data-testid="inspector"] svg')].map((s) => {
             const r = s.getBoundingClientRect();
             return [Math.round(r.width), Math.round(r.height)];
           });`,
        );
        assert.ok(sizes.length > 0, "the inspector shows icons");
        for (const [w, h] of sizes) assert.ok(w <= 32 && h <= 32, `an inspector icon is ${w}×${h}px`);
      });
    });

    test(`Escape closes the shortcuts sheet and the gallery (${size.join("×")})`, async () => {
      await atSize(size, async (app) => {
        await app.key("?");
        await app.waitTestId("shortcut-help");
        await app.key(Key.ESCAPE);
        await app.waitGone('[data-testid="shortcut-help"]', 3000);
        await app.key("e");
        await app.waitTestId("gallery");
        await app.key(Key.ESCAPE);
        await app.waitGone('[data-testid="gallery"]', 3000);
      });
    });

    test(`Run on an invalid workflow says so and saves nothing (${size.join("×")})`, async () => {
      const dir = mkdtempSync(join(tmpdir(), "braid-e2e-"));
      const file = join(dir, "planted-bottleneck.json");
      copyFileSync(join(WORKFLOWS, "planted-bottleneck.json"), file);
      const before = readFileSync(file);
      await withApp([file], async (app) => {
        await app.driver.manage().window().setRect({ x: 0, y: 0, width: size[0], height: size[1] });
        await app.waitFor(".react-flow__edge");
        // An edge back from the last step to the first: a cycle, an error.
        await app.exec(
          "window.__braid.store.getState().edit((d) => ({ ...d, workflow: { ...d.workflow, edges: [...d.workflow.edges, { from: 'publish', to: 'fetch' }] } }))",
        );
        await app.click("run-button");
        await app.waitTestId("run-dialog");
        await app.click("run-start");
        await app.waitUntil(
          async () => /Nothing was run or saved/.test(await app.exec("return [...document.querySelectorAll('[data-testid=\"run-dialog\"] .run-msg')].map((m) => m.textContent).join(' ')")),
          10000,
          "the dialog saying the workflow is invalid",
        );
        assert.equal(await app.exec("return window.__braid.run.getState().view"), null, "nothing ran");
        assert.deepEqual(readFileSync(file), before, "the file on disk is untouched");
      });
    });
  }
});
