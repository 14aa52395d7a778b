// The analytics shapes this feature reads, as the generated bindings name
// them (engine/src/analytics/report.rs, timeline.rs; plan/mod.rs).
import type { Plan } from "../../ipc";

export type {
  AttemptSpan,
  Bottleneck,
  Edit,
  ExecSpan,
  GroupReport,
  GroupSpan,
  Recommendation,
  RunDigest,
  RunReport,
  StepDigest,
  StepReport,
  StepSpan,
  StepTrend,
  Timeline,
  TrendReport,
} from "../../ipc";

/** What the critical-path marks read of the planner's prediction. */
export type PlanLike = Pick<Plan, "predicted_ms" | "critical_path" | "steps" | "schedule"> & Partial<Pick<Plan, "branches" | "slack">>;
