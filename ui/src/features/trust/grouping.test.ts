import { describe, expect, it } from "vitest";
import { approvalsOf, reviewSections, reviewSummary, shortHash, splitPath } from "./grouping";
import type { Review } from "./types";

// The review the engine's own test builds (trust.rs), as JSON.
const mixed: Review = {
  workflow_id: "mixed",
  commands: [{ step: "b", argv: ["./x.sh", "--go"], env: { M: "1" } }],
  scripts: [{ step: "c", script: "rm -rf /tmp/x" }],
  hosts: [
    { step: "d", agent: "http", origin: "https://api.example.com:8443", request: "GET https://api.example.com:8443/v1/{{k}}" },
    { step: "e", agent: "llm", origin: "http://127.0.0.1:11434", request: "POST http://127.0.0.1:11434/v1/chat/completions (model m)" },
    { step: "g", agent: "http", origin: "https://api.example.com:8443", request: "POST https://api.example.com:8443/v2" },
  ],
  secrets: [{ name: "API_TOKEN", steps: ["d", "e"] }],
  sub_workflows: [{ step: "f", path: "sub/other.json" }],
};

const empty: Review = { workflow_id: "s", commands: [], scripts: [], hosts: [], secrets: [], sub_workflows: [] };

describe("review grouping", () => {
  it("groups by kind in a fixed order, each item with its step", () => {
    const sections = reviewSections(mixed);
    expect(sections.map((s) => s.kind)).toEqual(["commands", "scripts", "hosts", "secrets", "sub_workflows"]);
    expect(sections[0].items).toEqual([{ kind: "command", step: "b", argv: ["./x.sh", "--go"], cwd: null, env: [["M", "1"]] }]);
    expect(sections[2].items.map((i) => i.kind === "host" && `${i.step} ${i.agent} ${i.origin}`)).toEqual([
      "d http https://api.example.com:8443",
      "e llm http://127.0.0.1:11434",
      "g http https://api.example.com:8443",
    ]);
    expect(sections[3].items).toEqual([{ kind: "secret", name: "API_TOKEN", steps: ["d", "e"] }]);
  });

  it("keeps argv as separate elements, spaces and all", () => {
    const review = { ...empty, commands: [{ step: "a", argv: ["sh", "-c", "echo a b; rm x"], cwd: "/tmp" }] };
    const [section] = reviewSections(review);
    const item = section.items[0];
    expect(item.kind === "command" && item.argv).toEqual(["sh", "-c", "echo a b; rm x"]);
    expect(item.kind === "command" && item.cwd).toBe("/tmp");
  });

  it("leaves out kinds with nothing in them", () => {
    expect(reviewSections(empty)).toEqual([]);
    expect(reviewSections({ ...empty, scripts: mixed.scripts }).map((s) => s.kind)).toEqual(["scripts"]);
  });

  it("summarises a file in a line, counting distinct hosts", () => {
    expect(reviewSummary(mixed)).toBe("1 program · 1 script · 2 hosts · 1 secret · 1 sub-workflow");
    expect(reviewSummary(empty)).toBe("nothing to run");
    expect(reviewSummary(null)).toBe("could not be read");
  });

  it("shortens hashes like the CLI and splits paths for headers", () => {
    expect(shortHash("0123456789abcdef0123")).toBe("0123456789ab");
    expect(splitPath("/tmp/x/import.json")).toEqual({ name: "import.json", dir: "/tmp/x" });
    expect(splitPath("C:\\w\\a.json")).toEqual({ name: "a.json", dir: "C:\\w" });
    expect(splitPath("a.json")).toEqual({ name: "a.json", dir: "" });
  });

  it("approves exactly the reviewed hashes", () => {
    expect(approvalsOf([{ path: "/a.json", hash: "h1", review: mixed }, { path: "/b.json", hash: "h2", review: null }])).toEqual([
      { path: "/a.json", hash: "h1" },
      { path: "/b.json", hash: "h2" },
    ]);
  });
});
