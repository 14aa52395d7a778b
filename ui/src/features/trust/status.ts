// Whether the workflow file open in the editor may run on this machine, as
// the backend judges it from the file on disk (its sha256 and those of its
// sub-workflows against the approvals in the store). Opening and editing
// never need approval; the trust badge and the review screen use this.
import { create } from "zustand";
import { ipc } from "../../ipc";
import { useEditor } from "../editor/store";
import { openReview } from "./review";
import type { PendingApproval } from "./types";

interface TrustStatus {
  /** The file the answer is about. */
  path: string | null;
  /** Files still to approve; empty when it may run (or needs no approval). */
  pending: PendingApproval[];
  /** The review could not be made (the message says why). */
  error: string | null;
}

export const useTrust = create<TrustStatus>(() => ({ path: null, pending: [], error: null }));

// Each check gets a number; only the newest one may write its answer, so a
// slow review of a file opened earlier cannot overwrite a newer file's.
let latest = 0;

/**
 * Asks the backend whether `path` (as it is on disk now) is approved, and
 * with `show` opens the review screen when it is not.
 */
export async function checkTrust(path: string, opts: { show: boolean }): Promise<PendingApproval[]> {
  const ticket = ++latest;
  try {
    const review = await ipc.reviewWorkflow(path);
    const pending = review.needs_approval ? review.files : [];
    if (ticket !== latest) return pending;
    useTrust.setState({ path, pending, error: null });
    if (opts.show && pending.length > 0 && useEditor.getState().path === path) openReview(pending);
    return pending;
  } catch (err) {
    if (ticket === latest) useTrust.setState({ path, pending: [], error: err instanceof Error ? err.message : String(err) });
    return [];
  }
}

/** Checks the open file again (after an approval or a save), without opening the review. */
export function refreshTrust(): Promise<PendingApproval[]> {
  const path = useEditor.getState().path;
  if (!path) {
    latest++;
    useTrust.setState({ path: null, pending: [], error: null });
    return Promise.resolve([]);
  }
  return checkTrust(path, { show: false });
}
