// The review screen's state: which files wait for approval and what to do
// once they are approved. A tiny store so any flow (opening a file, the
// trust badge, the Run button when a run answers needs_approval) can open
// the one review modal that App renders.
import { create } from "zustand";
import type { PendingApproval } from "./types";

export interface ReviewRequest {
  files: PendingApproval[];
  /** Called after the files were approved (e.g. start the run that was refused). */
  onApproved: (() => void) | null;
  /** The approve button's words: "Approve and run" when approving continues a run. */
  approveLabel: string;
}

export const useReview = create<{ request: ReviewRequest | null }>(() => ({ request: null }));

/**
 * Shows the review of `files`. `onApproved` runs after the user approved them
 * (not when they chose "Not now"); pass it when approval should continue
 * something, such as the run that was refused.
 */
export function openReview(files: PendingApproval[], onApproved?: () => void, approveLabel?: string) {
  useReview.setState({
    request: { files, onApproved: onApproved ?? null, approveLabel: approveLabel ?? (onApproved ? "Approve and run" : "Approve") },
  });
}

export function closeReview() {
  useReview.setState({ request: null });
}
