// Drives the real Braid desktop app: tauri-driver (WebDriver on :4444, which
// runs WebKitWebDriver) launches target/debug/braid-desktop with the given
// arguments. Run under Xvfb: `xvfb-run -a -s "-screen 0 1280x800x24" npm test`.
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, existsSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import net from "node:net";
import { Builder, By, Key, until } from "selenium-webdriver";

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
// Where cargo put it: $BRAID_APP, else $CARGO_TARGET_DIR (a shared target
// directory), else the repository's own target/.
export const APP =
  process.env.BRAID_APP ??
  join(process.env.CARGO_TARGET_DIR ?? join(REPO, "target"), "debug/braid-desktop");
/** The headless CLI built next to the app (same store format). */
export const CLI = join(dirname(APP), "braid");
export const WORKFLOWS = join(REPO, "workflows");
// One tauri-driver per port: parallel runs (several worktrees) pick their own
// with BRAID_E2E_PORT; the native WebKitWebDriver takes the next port.
const PORT = Number(process.env.BRAID_E2E_PORT ?? 4444);

function portOpen(port) {
  return new Promise((ok) => {
    const s = net.connect(port, "127.0.0.1");
    s.once("connect", () => (s.destroy(), ok(true)));
    s.once("error", () => ok(false));
  });
}

async function waitPort(port, ms) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await portOpen(port)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`tauri-driver did not listen on ${port}`);
}

/** Starts tauri-driver with a private config dir; returns a handle to stop it. */
export async function startDriver() {
  if (!existsSync(APP)) throw new Error(`${APP} not built: run cargo build -p braid-desktop`);
  if (await portOpen(PORT)) throw new Error(`port ${PORT} is busy: is another tauri-driver running?`);
  const configDir = mkdtempSync(join(tmpdir(), "braid-e2e-config-"));
  const bin = process.env.TAURI_DRIVER ?? "tauri-driver";
  const child = spawn(bin, ["--port", String(PORT), "--native-port", String(PORT + 1)], {
    stdio: ["ignore", "inherit", "inherit"],
    // A private run store too: the app and `braid --db` of a test share it.
    env: { ...process.env, BRAID_CONFIG_DIR: configDir, BRAID_EXAMPLES_DIR: WORKFLOWS, BRAID_DB: join(configDir, "runs.db") },
  });
  await waitPort(PORT, 15000);
  return {
    configDir,
    db: join(configDir, "runs.db"),
    stop: () =>
      new Promise((ok) => {
        if (child.exitCode != null) return ok();
        child.once("exit", () => ok());
        child.kill("SIGTERM");
      }),
  };
}

/** Runs `fn` with a fresh app opened with `args`; a screenshot if it fails; the app quits either way. */
export async function withApp(args, fn) {
  const app = await launch(args);
  try {
    await fn(app);
  } catch (err) {
    app.screenshotOnFailure();
    throw err;
  } finally {
    await app.quit();
  }
}

/** With BRAID_SHOTS_DIR set, saves the whole screen there as NAME.png (the README's screenshots). */
export const SHOTS = process.env.BRAID_SHOTS_DIR;
export async function shot(app, name) {
  if (!SHOTS) return;
  mkdirSync(SHOTS, { recursive: true });
  // A control WebDriver had to scroll into view may leave the page scrolled.
  await app.exec("for (const el of [document.scrollingElement, document.body, document.querySelector('.app'), document.querySelector('.topbar')]) if (el) el.scrollLeft = 0;");
  await new Promise((r) => setTimeout(r, 300));
  const file = join(SHOTS, name.endsWith(".png") ? name : `${name}.png`);
  // The X screen, like screenshots.mjs: WebDriver's own screenshot can hang under Xvfb.
  execFileSync("import", ["-window", "root", file]);
  console.log(`wrote ${file}`);
}

/** A WebDriver session on a fresh app process opened with `args`. */
export async function launch(args = []) {
  const caps = { browserName: "wry", "tauri:options": { application: APP, args } };
  const driver = await new Builder().usingServer(`http://127.0.0.1:${PORT}/`).withCapabilities(caps).build();
  await driver.manage().setTimeouts({ implicit: 0, script: 60000 });
  return new App(driver);
}

export class App {
  constructor(driver) {
    this.driver = driver;
  }
  /** Ends the session. The edits of a test are thrown away first, so the
   * unsaved-changes guard does not keep the window (and the app) open. */
  async quit() {
    try {
      await this.exec("window.__braid && window.__braid.store.setState((s) => ({ savedDoc: s.doc }))");
    } catch {
      // the page is gone already
    }
    await this.driver.quit();
  }
  /** Saves the screen to $BRAID_E2E_ARTIFACTS (default: the temp dir) to see what went wrong. */
  screenshotOnFailure() {
    const dir = process.env.BRAID_E2E_ARTIFACTS ?? tmpdir();
    const file = join(dir, `braid-e2e-failure-${Date.now()}.png`);
    try {
      execFileSync("import", ["-window", "root", file]);
      console.error(`screenshot of the failure: ${file}`);
    } catch {
      // no display or no imagemagick: nothing to add
    }
  }
  byTestId(id) {
    return By.css(`[data-testid="${id}"]`);
  }
  async waitFor(css, ms = 20000) {
    return this.driver.wait(until.elementLocated(By.css(css)), ms, `waiting for ${css}`);
  }
  async waitTestId(id, ms = 20000) {
    return this.waitFor(`[data-testid="${id}"]`, ms);
  }
  async waitGone(css, ms = 10000) {
    await this.driver.wait(async () => (await this.driver.findElements(By.css(css))).length === 0, ms, `waiting for ${css} to go`);
  }
  async count(css) {
    return (await this.driver.findElements(By.css(css))).length;
  }
  async click(testid) {
    const el = await this.waitTestId(testid);
    await el.click();
    return el;
  }
  /** Runs `fn` (a function body) in the page. */
  exec(body, ...args) {
    return this.driver.executeScript(body, ...args);
  }
  async waitUntil(fn, ms = 15000, message = "condition") {
    return this.driver.wait(fn, ms, message);
  }
  /** Sets an input's value like a user and commits it (blur). */
  async typeInto(testid, text) {
    const el = await this.waitTestId(testid);
    await this.exec("arguments[0].scrollIntoView({ block: 'center' })", el);
    await el.click();
    await this.exec("arguments[0].select && arguments[0].select()", el);
    await el.sendKeys(text);
    await this.exec("arguments[0].blur()", el);
    return el;
  }
  /** Chooses an option of a <select> by value. */
  async choose(testid, value) {
    const el = await this.waitTestId(testid);
    await el.findElement(By.css(`option[value="${value}"]`)).click();
    return el;
  }
  async key(...keys) {
    const body = await this.driver.findElement(By.css("body"));
    await body.sendKeys(...keys);
  }
  /** Pans (not zooms) the canvas so node `id` is inside it, as a user would before clicking. */
  async revealNode(id) {
    await this.exec(
      `const [id] = arguments;
       const el = document.querySelector('[data-testid="node-' + id + '"]');
       const canvas = document.querySelector('.canvas').getBoundingClientRect();
       const r = el && el.getBoundingClientRect();
       const inside = r && r.left >= canvas.left && r.right <= canvas.right && r.top >= canvas.top && r.bottom <= canvas.bottom;
       if (!inside) {
         const n = window.__braid.rf.getInternalNode(id);
         const p = n.internals.positionAbsolute;
         const zoom = window.__braid.rf.getZoom();
         window.__braid.rf.setCenter(p.x + (n.measured.width || 200) / 2, p.y + 40, { zoom, duration: 0 });
       }`,
      id,
    );
    await new Promise((r) => setTimeout(r, 100));
  }
  /** Drags from one node's handle to another's, with real pointer events. */
  async dragHandle(fromId, fromType, toId, toType) {
    // Frame both nodes, as a person would before dragging between them.
    await this.exec("window.__braid.rf.fitView({ nodes: [{ id: arguments[0] }, { id: arguments[1] }], padding: 0.3, maxZoom: 1, duration: 0 })", fromId, toId);
    await new Promise((r) => setTimeout(r, 150));
    const from = await this.waitFor(`.react-flow__node[data-id="${fromId}"] .react-flow__handle.${fromType}`);
    const to = await this.waitFor(`.react-flow__node[data-id="${toId}"] .react-flow__handle.${toType}`);
    await this.driver
      .actions({ async: true })
      .move({ origin: from })
      .press()
      .move({ origin: from, x: 20, y: 10, duration: 100 })
      .move({ origin: to, duration: 250 })
      .move({ origin: to, x: 1, y: 1, duration: 50 })
      .release()
      .perform();
    await new Promise((r) => setTimeout(r, 300));
  }
  /** Drags a node card by (dx, dy) screen pixels. */
  async dragNode(id, dx, dy) {
    await this.revealNode(id);
    const el = await this.waitTestId(`node-${id}`);
    const head = (await el.findElements(By.css(".step-head, .group-head")))[0] ?? el;
    await this.driver
      .actions({ async: true })
      .move({ origin: head })
      .press()
      .move({ origin: head, x: 5, y: 5, duration: 50 })
      .move({ origin: head, x: dx, y: dy, duration: 300 })
      .release()
      .perform();
    await new Promise((r) => setTimeout(r, 300));
  }
  /** Clicks a node card (not on a chip or handle). */
  async clickNode(id) {
    await this.revealNode(id);
    const el = await this.waitTestId(`node-${id}`);
    const name = await el.findElements(By.css(".step-name, .g-name"));
    await (name[0] ?? el).click();
  }
}

export { By, Key, until };
