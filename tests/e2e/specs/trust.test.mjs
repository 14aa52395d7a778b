// Import quarantine and secrets in the real app (see lib/app.mjs).
//
// A workflow from elsewhere (fixtures/trust-import.json, copied to a temp
// dir: only the gallery's own examples are trusted) shows its review when it
// opens, cannot run before approval, runs after it, and the approval is the
// store's: a relaunched app and the CLI (`braid run` without --trust) agree.
//
// Its http step posts to a review service this test starts on 127.0.0.1
// (standing in for a real one), with a secret from the environment.
//
// Secrets: with dbus-daemon and gnome-keyring-daemon installed
// (apt-get install dbus gnome-keyring), the test starts a private session bus
// with an unlocked GNOME Keyring in a temp dir and drives the secrets screen
// against that real keychain (the CLI's `braid secret ls` sees the same
// entries). Then, with BRAID_KEYCHAIN=off, the screen must explain the
// environment-variable fallback.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { appendFileSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Key } from "selenium-webdriver";
import { CLI, WORKFLOWS, startDriver, withApp, shot } from "../lib/app.mjs";

const FIXTURE = join(dirname(fileURLToPath(import.meta.url)), "../fixtures/trust-import.json");
/** Fixed in the fixture's URL (hosts are literal in workflow files); BRAID_E2E_PORT 4470 uses 4470 and 4471. */
const REVIEW_PORT = 4472;
const TOKEN = "trust-e2e-token-7d1c";
/** Set to a folder (e.g. docs/screenshots) to save the screens this spec shows. */

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function importedCopy() {
  const dir = mkdtempSync(join(tmpdir(), "braid-e2e-trust-"));
  const file = join(dir, "trust-import.json");
  copyFileSync(FIXTURE, file);
  return file;
}

const sha256 = (file) => createHash("sha256").update(readFileSync(file)).digest("hex");

/**
 * Runs the CLI against the app's store; resolves to { status, stdout, stderr }.
 * Asynchronous: the review service the run calls lives in this process.
 */
function cli(db, args) {
  return new Promise((ok, fail) => {
    const child = spawn(CLI, ["--db", db, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill(), 60000);
    child.on("error", fail);
    child.on("close", (status) => {
      clearTimeout(timer);
      ok({ status, stdout, stderr });
    });
  });
}

async function runsOf(db, workflowId) {
  const r = await cli(db, ["runs", "--workflow", workflowId, "--json"]);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout).runs;
}

/** A review service on 127.0.0.1 that records what it was sent. */
function startReviewService() {
  const requests = [];
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      requests.push({ method: req.method, url: req.url, authorization: req.headers.authorization, body });
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ approved: true, score: 88, outputs: { review_notes: "reads well" } }));
    });
  });
  return new Promise((ok) => server.listen(REVIEW_PORT, "127.0.0.1", () => ok({ requests, close: () => new Promise((c) => server.close(c)) })));
}



const texts = (app, css) => app.exec(`return [...document.querySelectorAll(${JSON.stringify(css)})].map((e) => e.textContent.trim())`);
const attrs = (app, css, attr) => app.exec(`return [...document.querySelectorAll(${JSON.stringify(css)})].map((e) => e.getAttribute(${JSON.stringify(attr)}))`);

describe("import review", () => {
  let driver;
  let service;
  before(async () => {
    // The fixture's secret comes from the environment (no keychain entry).
    process.env.TRUST_E2E_TOKEN = TOKEN;
    process.env.BRAID_KEYCHAIN = "off";
    service = await startReviewService();
    driver = await startDriver();
  });
  after(async () => {
    await driver?.stop();
    await service?.close();
    delete process.env.BRAID_KEYCHAIN;
  });

  test("an imported workflow is reviewed on open, refused before approval, and runs after it — in the app and the CLI", async () => {
    const file = importedCopy();
    const hash = sha256(file);

    // The CLI refuses it too, before anyone approved it.
    const refused = await cli(driver.db, ["run", file]);
    assert.equal(refused.status, 2, `CLI run before approval: ${refused.stderr}`);
    assert.match(refused.stderr, /not been approved/);

    await withApp([file], async (app) => {
      // Opening shows the review; the editor underneath has the workflow.
      await app.waitTestId("review-dialog");
      await app.waitFor(".react-flow__node");
      await shot(app, "import-review.png");
      assert.deepEqual(await attrs(app, '[data-testid="review-file"]', "data-path"), [file]);
      assert.equal((await texts(app, '[data-testid="review-hash"]'))[0], hash.slice(0, 12));
      // argv as argv: three elements, the third one whole.
      assert.deepEqual(await texts(app, '[data-testid="review-command"] [data-testid="review-arg"]'), ["sh", "-c", `echo '{"outputs": {"word_count": 412}}'`]);
      assert.deepEqual(await attrs(app, '[data-testid="review-command"]', "data-step"), ["count-words"]);
      const host = (await texts(app, '[data-testid="review-host"]'))[0];
      assert.match(host, /http:\/\/127\.0\.0\.1:4472/);
      assert.match(host, /POST http:\/\/127\.0\.0\.1:4472\/review/);
      assert.deepEqual(await attrs(app, '[data-testid="review-secret"]', "data-name"), ["TRUST_E2E_TOKEN"]);
      assert.match((await texts(app, '[data-testid="review-notice"]'))[0], /Nothing from this workflow has run/);
      const focused = await app.exec("return document.activeElement && document.activeElement.dataset.testid");
      assert.equal(focused, "review-dismiss", "Not now has the focus, so Enter does not approve");

      // Not now: viewing stays possible, the toolbar says it is not approved.
      await app.click("review-dismiss");
      await app.waitGone('[data-testid="review-dialog"]');
      await app.waitTestId("trust-badge");

      // Run: refused (needs_approval) → the review again, nothing ran.
      await app.click("run-button");
      await app.click("run-start");
      await app.waitTestId("review-dialog");
      assert.match((await texts(app, '[data-testid="review-approve"]'))[0], /Approve and run/);
      assert.equal(service.requests.length, 0, "nothing reached the service before approval");
      assert.equal((await runsOf(driver.db, "trust-import")).length, 0, "no run was recorded before approval");

      // Approve and run.
      await app.click("review-approve");
      await app.waitGone('[data-testid="review-dialog"]');
      await app.waitGone('[data-testid="trust-badge"]');
      await app.waitUntil(async () => (await runsOf(driver.db, "trust-import")).some((r) => r.status === "succeeded"), 30000, "the app's run succeeded");
      assert.equal(service.requests.length, 1);
      assert.equal(service.requests[0].authorization, `Bearer ${TOKEN}`, "the secret reached the service");
      assert.deepEqual(JSON.parse(service.requests[0].body), { words: 412 });
    });

    // The approval is in the store: a relaunched app shows no review.
    await withApp([file], async (app) => {
      await app.waitFor(".react-flow__node");
      await sleep(1500);
      assert.equal(await app.count('[data-testid="review-dialog"]'), 0);
      assert.equal(await app.count('[data-testid="trust-badge"]'), 0);
    });

    // The CLI agrees: it runs without --trust now.
    const ran = await cli(driver.db, ["run", file]);
    assert.equal(ran.status, 0, `CLI run after approval: ${ran.stderr}`);
    assert.equal(service.requests.length, 2);

    // Any edit changes the hash: the CLI refuses again, the app reviews again.
    appendFileSync(file, "\n");
    assert.equal((await cli(driver.db, ["run", file])).status, 2);
    await withApp([file], async (app) => {
      await app.waitTestId("review-dialog");
      assert.equal((await texts(app, '[data-testid="review-hash"]'))[0], sha256(file).slice(0, 12));
    });
  });

  test("the gallery's own examples open without a review", async () => {
    // blog-publishing has a shell step; it is one of the app's examples.
    await withApp([join(WORKFLOWS, "blog-publishing.json")], async (app) => {
      await app.waitFor(".react-flow__edge");
      await sleep(1500);
      assert.equal(await app.count('[data-testid="review-dialog"]'), 0);
      assert.equal(await app.count('[data-testid="trust-badge"]'), 0);
    });
  });
});

/** A private D-Bus session with an unlocked GNOME Keyring, or null when they are not installed. */
async function startKeyring() {
  const have = (bin) => spawnSync("sh", ["-c", `command -v ${bin}`]).status === 0;
  if (!have("dbus-daemon") || !have("gnome-keyring-daemon")) return null;
  const dir = mkdtempSync(join(tmpdir(), "braid-e2e-keyring-"));
  const run = join(dir, "run");
  mkdirSync(run, { mode: 0o700 });
  const address = `unix:path=${join(dir, "bus")}`;
  const bus = spawn("dbus-daemon", ["--session", "--nofork", `--address=${address}`], { stdio: "ignore" });
  await sleep(500);
  const env = { ...process.env, DBUS_SESSION_BUS_ADDRESS: address, XDG_DATA_HOME: join(dir, "data"), XDG_RUNTIME_DIR: run };
  const keyring = spawn("gnome-keyring-daemon", ["--foreground", "--unlock", "--components=secrets"], { stdio: ["pipe", "ignore", "ignore"], env });
  keyring.stdin.end("e2e-password");
  await sleep(1000);
  return {
    address,
    stop: () => {
      keyring.kill();
      bus.kill();
    },
  };
}

describe("secrets screen with a real keychain", () => {
  let driver;
  let keyring;
  let file;
  before(async () => {
    keyring = await startKeyring();
    if (!keyring) return;
    process.env.DBUS_SESSION_BUS_ADDRESS = keyring.address;
    driver = await startDriver();
    file = importedCopy();
  });
  after(async () => {
    await driver?.stop();
    keyring?.stop();
    delete process.env.DBUS_SESSION_BUS_ADDRESS;
  });

  test("adds, lists and deletes a secret; values never come back", async (t) => {
    if (!keyring) return t.skip("dbus-daemon and gnome-keyring-daemon are not installed (apt-get install dbus gnome-keyring)");
    // One secret set from the CLI: the app lists the same keychain.
    const set = spawnSync(CLI, ["secret", "set", "FROM_CLI"], { input: "cli-value", encoding: "utf8" });
    assert.equal(set.status, 0, set.stderr);

    await withApp([file], async (app) => {
      await app.waitTestId("review-dialog");
      await app.click("review-dismiss");
      await app.click("secrets-button");
      await app.waitTestId("secrets-dialog");
      await app.waitFor('[data-testid="secrets-item"][data-name="FROM_CLI"]');
      assert.equal(await app.count('[data-testid="secrets-keychain-notice"]'), 0, "a keychain is there");
      // The open workflow reads TRUST_E2E_TOKEN, which is not stored yet.
      assert.deepEqual(await attrs(app, '[data-testid="secrets-ref"]', "data-name"), ["TRUST_E2E_TOKEN"]);
      assert.deepEqual(await attrs(app, '[data-testid="secrets-ref"]', "data-missing"), ["true"]);

      // An invalid name is refused before the keychain is asked.
      await app.typeInto("secrets-name", "1TOKEN");
      assert.match((await texts(app, '[data-testid="secrets-name-help"]'))[0], /cannot start with a digit/);

      // Set the missing one from its row: the name is filled in.
      await app.click("secrets-set-TRUST_E2E_TOKEN");
      assert.equal(await app.exec("return document.querySelector('[data-testid=\"secrets-name\"]').value"), "TRUST_E2E_TOKEN");
      const value = await app.waitTestId("secrets-value");
      assert.equal(await value.getAttribute("type"), "password");
      await value.sendKeys("keychain-value-42");
      await app.click("secrets-save");
      await app.waitFor('[data-testid="secrets-item"][data-name="TRUST_E2E_TOKEN"]');
      assert.equal(await app.exec("return document.querySelector('[data-testid=\"secrets-value\"]').value"), "", "the value field is cleared");
      assert.deepEqual(await attrs(app, '[data-testid="secrets-ref"]', "data-missing"), ["false"]);
      assert.equal(await app.exec("return document.body.innerHTML.includes('keychain-value-42')"), false, "the value is nowhere in the page");
      await shot(app, "secrets.png");

      // The CLI sees the app's entry.
      const ls = spawnSync(CLI, ["secret", "ls"], { encoding: "utf8" });
      assert.deepEqual(ls.stdout.trim().split("\n").sort(), ["FROM_CLI", "TRUST_E2E_TOKEN"]);

      // Delete asks first.
      await app.click("secrets-delete-FROM_CLI");
      assert.equal(await app.count('[data-testid="secrets-item"][data-name="FROM_CLI"]'), 1, "not deleted before the confirmation");
      await app.click("secrets-confirm-delete-FROM_CLI");
      await app.waitGone('[data-testid="secrets-item"][data-name="FROM_CLI"]');
      assert.deepEqual(spawnSync(CLI, ["secret", "ls"], { encoding: "utf8" }).stdout.trim().split("\n"), ["TRUST_E2E_TOKEN"]);

      // Escape closes the screen.
      await app.driver.switchTo().activeElement().sendKeys(Key.ESCAPE);
      await app.waitGone('[data-testid="secrets-dialog"]');
    });
  });
});

describe("secrets screen without a keychain", () => {
  let driver;
  before(async () => {
    process.env.BRAID_KEYCHAIN = "off";
    driver = await startDriver();
  });
  after(async () => {
    await driver?.stop();
    delete process.env.BRAID_KEYCHAIN;
  });

  test("explains that runs read secrets from environment variables", async () => {
    await withApp([importedCopy()], async (app) => {
      await app.waitTestId("review-dialog");
      await app.click("review-dismiss");
      await app.click("secrets-button");
      const notice = await app.waitTestId("secrets-keychain-notice");
      assert.match(await notice.getText(), /environment variable/);
      assert.match(await notice.getText(), /BRAID_KEYCHAIN=off/);
      // Nothing is in a keychain, so the workflow's secret is marked missing.
      assert.deepEqual(await attrs(app, '[data-testid="secrets-ref"]', "data-missing"), ["true"]);
    });
  });
});
