import type { Group, Step } from "../../../ipc";

/** A map group over `items`, with its single branch step. */
export function defaultMap(id: string, branchId: string): { group: Group; branch: Step } {
  return {
    group: { id, name: "For each item", aggregate: { strategy: "all" }, max_concurrency: 4, for_each: "items" } as Group,
    branch: { id: branchId, name: "Per item", group: id, agent: { kind: "sim", duration_ms: 2000 }, requires: ["items"] } as Step,
  };
}
