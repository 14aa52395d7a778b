import { describe, expect, it } from "vitest";
import type { Step, Workflow } from "../../ipc";
import { placeholderNames, referencedSecrets, secretNameProblem } from "./names";

describe("secret names", () => {
  it("accepts what the engine accepts: letters, digits, _, not starting with a digit", () => {
    for (const ok of ["REVIEW_TOKEN", "_x", "a1", "A"]) expect(secretNameProblem(ok)).toBeNull();
    expect(secretNameProblem("")).toMatch(/Enter a name/);
    expect(secretNameProblem("1TOKEN")).toMatch(/digit/);
    for (const bad of ["MY-TOKEN", "MY TOKEN", "tök", "a.b", "secret:X"]) expect(secretNameProblem(bad)).toMatch(/letters, digits and _/);
  });

  it("refuses the keychain entry that holds the list of names", () => {
    expect(secretNameProblem("__braid_secret_names__")).toMatch(/reserved/);
  });
});

const step = (id: string, agent: Step["agent"]): Step => ({ id, agent }) as Step;
const workflow = (steps: Step[]): Workflow => ({ format: "braid/1", id: "w", steps, groups: [], edges: [] }) as unknown as Workflow;

describe("secrets a workflow reads", () => {
  it("finds placeholders like the engine: trimmed, unclosed ones ignored", () => {
    expect(placeholderNames("a {{ x }} b {{y}}{{secret:T}} {{open")).toEqual(["x", "y", "secret:T"]);
  });

  it("reads http headers and llm api_key, sorted by name, with the steps that read each", () => {
    const wf = workflow([
      step("fetch", { kind: "http", url: "https://h/x", headers: { Authorization: "Bearer {{secret:REVIEW_TOKEN}}", "X-Page": "{{page_id}}" } } as Step["agent"]),
      step("ask", { kind: "llm", base_url: "http://127.0.0.1:11434/v1", model: "m", prompt: "p", api_key: "{{ secret: API_KEY }}" } as Step["agent"]),
      step("again", { kind: "http", url: "https://h/y", headers: { A: "{{secret:REVIEW_TOKEN}}", B: "{{secret:REVIEW_TOKEN}}" } } as Step["agent"]),
      step("local", { kind: "sim", duration_ms: 1 } as Step["agent"]),
    ]);
    expect(referencedSecrets(wf)).toEqual([
      { name: "API_KEY", steps: ["ask"] },
      { name: "REVIEW_TOKEN", steps: ["fetch", "again"] },
    ]);
  });

  it("ignores secret syntax where the format does not allow secrets", () => {
    const wf = workflow([
      step("s", { kind: "shell", command: ["echo", "{{secret:NOPE}}"] } as Step["agent"]),
      step("h", { kind: "http", url: "https://h/{{secret:ALSO_NOT}}", body: { k: "{{secret:NOR_THIS}}" } } as Step["agent"]),
    ]);
    expect(referencedSecrets(wf)).toEqual([]);
  });
});
