import { expect, test } from "vitest";
import { inputFields, parseTimeScale, readForm, simOnly } from "./inputs";

const fields = inputFields({
  page_id: { required: true, description: "CMS id" },
  publish_mode: { default: "draft" },
  retries: { default: 3 },
  dry_run: { default: false },
  tags: { default: ["a", "b"] },
  note: {},
});

test("fields take their kind from the default and start from it", () => {
  expect(fields.map((f) => [f.name, f.kind, f.required, f.initial])).toEqual([
    ["page_id", "text", true, ""],
    ["publish_mode", "text", false, "draft"],
    ["retries", "number", false, "3"],
    ["dry_run", "boolean", false, "false"],
    ["tags", "json", false, '[\n  "a",\n  "b"\n]'],
    ["note", "text", false, ""],
  ]);
});

test("required inputs are enforced; defaults fill what is left alone", () => {
  expect(readForm(fields, {}).errors).toEqual({ page_id: "required" });
  const { inputs, errors } = readForm(fields, { page_id: "post-1" });
  expect(errors).toEqual({});
  expect(inputs).toEqual({ page_id: "post-1", publish_mode: "draft", retries: 3, dry_run: false, tags: ["a", "b"] });
});

test("values are typed: numbers, booleans, JSON, and undeclared types parse like --input", () => {
  const { inputs, errors } = readForm(fields, { page_id: "42", retries: "5", dry_run: "true", tags: '{"x":1}', note: "[1,2]", publish_mode: "123" });
  expect(errors).toEqual({});
  expect(inputs).toEqual({ page_id: 42, publish_mode: "123", retries: 5, dry_run: true, tags: { x: 1 }, note: [1, 2] });
  expect(readForm(fields, { page_id: "p", retries: "many", tags: "{" }).errors).toEqual({ retries: "a number", tags: "not valid JSON" });
});

test("time scale and sim-only", () => {
  expect(parseTimeScale("0.01")).toBe(0.01);
  expect(parseTimeScale("0")).toBeNull();
  expect(parseTimeScale("x")).toBeNull();
  expect(simOnly([{ agent: { kind: "sim" } }])).toBe(true);
  expect(simOnly([{ agent: { kind: "sim" } }, { agent: { kind: "shell" } }])).toBe(false);
});
