import { describe, expect, it } from "vitest";
import table from "../../../../src-tauri/crates/engine/tests/fixtures/step_status.json";
import { type Counts, type ElementStatus, statusFromCounts } from "./reducer";

// The same table braid_engine's StepStatus::of_parts (show, run --json,
// analytics) is tested against: a map step reads the same everywhere.
describe("a map step's status from its elements", () => {
  it("matches the engine's rule", () => {
    for (const [parts, want] of table.cases as [ElementStatus[], string][]) {
      const counts: Counts = {};
      for (const p of parts) counts[p] = (counts[p] ?? 0) + 1;
      expect(statusFromCounts(counts), JSON.stringify(parts)).toBe(want);
    }
  });
});
