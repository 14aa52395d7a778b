// The run shapes the backend sends (engine events.rs, run/summary.rs; store
// records.rs), as generated into the bindings and named by `ipc`.
import type { Event, EventKind, JsonValue, RunSummary } from "../../ipc";

export type { EventKind, JsonValue as Json, RunStatus, RunSummary, StepStatus } from "../../ipc";
export type JsonMap = { [key: string]: JsonValue };
export type RunEvent = Event;
export type StepSummary = RunSummary["steps"][string];
export type Outcome = NonNullable<RunSummary["groups"][string]["outcome"]>;
export type Stream = Extract<EventKind, { type: "output_line" }>["stream"];
