import { memo } from "react";
import { Icon } from "../../components/icons";
import type { Issues } from "../editor/diagnostics";

/** The red (or amber) count on a node that has diagnostics. */
export const IssueBadge = memo(function IssueBadge({ id, issues }: { id: string; issues: Issues | undefined }) {
  if (!issues || issues.errors + issues.warnings === 0) return null;
  const error = issues.errors > 0;
  return (
    <span
      className={`badge${error ? "" : " warning"}`}
      data-testid={`badge-${id}`}
      data-severity={error ? "error" : "warning"}
      title={issues.messages.join("\n")}
    >
      {error ? <Icon.error /> : <Icon.warning />}
      {error ? issues.errors : issues.warnings}
    </span>
  );
});
