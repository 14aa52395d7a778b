// The toolbar's Run button: opens the run form (the form saves and starts).
import { useState } from "react";
import { Icon } from "../../components/icons";
import { useEditor } from "../editor/store";
import { RunDialog } from "./RunDialog";
import { useRun } from "./store";

export function RunButton() {
  const [open, setOpen] = useState(false);
  const empty = useEditor((s) => s.doc.workflow.steps.length === 0);
  const unreadable = useEditor((s) => s.unreadable);
  const running = useRun((s) => s.mode === "live" && s.view?.status === "running");
  const starting = useRun((s) => s.starting);
  return (
    <>
      <button
        className="btn primary"
        disabled={empty || unreadable || running || starting}
        title={running ? "A run is in progress (see the run dock)" : "Run this workflow (saves it first)"}
        onClick={() => setOpen(true)}
        data-testid="run-button"
      >
        <Icon.play /> Run
      </button>
      {open && <RunDialog onClose={() => setOpen(false)} />}
    </>
  );
}
