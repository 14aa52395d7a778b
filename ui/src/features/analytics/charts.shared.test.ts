import { describe, expect, it } from "vitest";
import table from "../../../../src-tauri/crates/analytics/tests/fixtures/charts.json";
import { niceAxis, tickLabel } from "./scale";
import { sparkline } from "./sparkline";

// The same table braid_analytics::chart (the HTML report) is tested against:
// an export and the app draw the same run the same way.
describe("chart geometry shared with the report", () => {
  it("axes: step, domain and labels", () => {
    for (const c of table.axes) {
      const axis = niceAxis(c.span_ms, c.max_ticks);
      expect(axis.stepMs, `step for ${c.span_ms} ms`).toBe(c.step_ms);
      expect(axis.domainMs, `domain for ${c.span_ms} ms`).toBe(c.domain_ms);
      expect(axis.ticks.map((t) => tickLabel(t, axis.stepMs))).toEqual(c.labels);
    }
  });

  it("sparklines: points scaled from zero", () => {
    for (const c of table.sparklines) {
      const g = sparkline(c.series, c.width, c.height, c.pad, c.ceiling ?? undefined);
      expect(g.points.length).toBe(c.points.length);
      g.points.forEach((p, i) => {
        expect(p.x).toBeCloseTo(c.points[i][0], 3);
        expect(p.y).toBeCloseTo(c.points[i][1], 3);
      });
    }
  });
});
