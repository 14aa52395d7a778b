// Approving what the review screen shows: the backend records the exact
// hashes that were reviewed, then the open file's status is read again and
// whatever was waiting for the approval (a refused run) continues.
import { ipc } from "../../ipc";
import { approvalsOf } from "./grouping";
import { closeReview, useReview } from "./review";
import { refreshTrust } from "./status";

/** Approves the files of the open review. Throws (review stays open) when the store refuses. */
export async function approveReviewed(): Promise<void> {
  const request = useReview.getState().request;
  if (!request) return;
  await ipc.approveWorkflow(approvalsOf(request.files));
  closeReview();
  await refreshTrust();
  request.onApproved?.();
}
