import { describe, expect, it } from "vitest";
import table from "../../../src-tauri/crates/model/tests/fixtures/durations.json";
import { fmtDuration } from "./duration";

describe("fmtDuration", () => {
  it("matches the table the Rust formatter is tested against", () => {
    expect(table.cases.length).toBeGreaterThan(10);
    for (const [ms, text] of table.cases as [number, string][]) {
      expect(fmtDuration(ms), `${ms} ms`).toBe(text);
    }
  });

  it("never shows a carry", () => {
    expect(fmtDuration(999.6)).toBe("1.00 s");
    expect(fmtDuration(59_999)).toBe("1 min 00 s");
    expect(fmtDuration(119_600)).toBe("2 min 00 s");
    expect(fmtDuration(3_599_999)).toBe("1 h 00 min");
  });
});
