// The analytics commands this feature calls: the one place it talks to `ipc`.
import { ipc } from "../../ipc";

export type { RunInfo } from "../../ipc";

export const api = {
  listRuns: ipc.listRuns,
  analyzeRun: ipc.analyzeRun,
  workflowTrends: ipc.workflowTrends,
  workflowRunDigests: ipc.workflowRunDigests,
  exportReport: ipc.exportReport,
  previewEdits: ipc.previewEdits,
};
