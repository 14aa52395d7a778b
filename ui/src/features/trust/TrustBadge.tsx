// The toolbar's reminder that the open workflow may not run yet: shown while
// its file (or a sub-workflow) is not approved; clicking it opens the review.
import { useEditor } from "../editor/store";
import { TrustIcon } from "./icons";
import { openReview } from "./review";
import { useTrust } from "./status";
import "./trust.css";

export function TrustBadge() {
  const editorPath = useEditor((s) => s.path);
  const { path, pending } = useTrust();
  if (!editorPath || path !== editorPath || pending.length === 0) return null;
  return (
    <button
      className="btn trust-badge"
      onClick={() => openReview(pending)}
      data-testid="trust-badge"
      title="This workflow has not been approved to run on this computer. Click to review what it would run."
    >
      <TrustIcon.shield /> Not approved
    </button>
  );
}
