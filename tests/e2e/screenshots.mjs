// Takes the README's screenshots of the real app (run under Xvfb at 1280×800):
//   xvfb-run -a -s "-screen 0 1280x800x24" node screenshots.mjs [outdir]
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Key } from "selenium-webdriver";
import { REPO, WORKFLOWS, launch, startDriver } from "./lib/app.mjs";

const out = process.argv[2] ?? join(REPO, "docs/screenshots");
mkdirSync(out, { recursive: true });
const only = process.env.SHOTS?.split(",");

function shot(name) {
  if (only && !only.includes(name)) return;
  execFileSync("import", ["-window", "root", join(out, `${name}.png`)]);
  console.log(`wrote ${join(out, `${name}.png`)}`);
}
const pause = (ms) => new Promise((r) => setTimeout(r, ms));

const work = mkdtempSync(join(tmpdir(), "braid-shots-"));
for (const f of ["blog-publishing.json", "blog-publishing.layout.json"]) copyFileSync(join(WORKFLOWS, f), join(work, f));

const driver = await startDriver();
try {
  const app = await launch([join(work, "blog-publishing.json")]);
  try {
    if (process.env.THEME === "dark") await app.click("theme-button");
    await app.waitFor(".react-flow__edge");
    await app.waitTestId("predicted");
    // Frame the heart of the graph at a readable zoom (F shows all of it).
    await app.exec("window.__braid.rf.fitView({ nodes: ['validate', 'quality-gates', 'transform', 'optimise-assets', 'publish', 'return-to-author'].map((id) => ({ id })), padding: 0.06 })");
    await pause(800);
    shot("editor-blog-publishing");

    await app.clickNode("quality-gates");
    await app.waitTestId("aggregate-preview");
    await app.exec("window.__braid.rf.fitView({ nodes: [{ id: 'validate' }, { id: 'quality-gates' }, { id: 'transform' }, { id: 'return-to-author' }], padding: 0.12 })");
    await app.exec("document.querySelector('[data-testid=aggregate-preview-box]').scrollIntoView({ block: 'end' })");
    await pause(500);
    shot("inspector-group");

    await app.clickNode("publish");
    const input = await app.waitFor('[data-testid="step-requires"] input');
    await input.sendKeys("approval_ticket", Key.ENTER);
    await app.waitTestId("badge-publish");
    await app.exec("document.activeElement.blur(); document.querySelector('.insp-body').scrollTop = 0");
    await app.exec("window.__braid.rf.fitView({ nodes: [{ id: 'transform' }, { id: 'publish' }, { id: 'invalidate-cache' }, { id: 'optimise-assets' }], padding: 0.15 })");
    await pause(500);
    shot("validation-badge");
  } finally {
    await app.quit();
  }
} finally {
  await driver.stop();
}
