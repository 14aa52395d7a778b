// "Make it a loop": an edge drawn back to `to` (from itself or a node before
// it) closes a cycle, which only a loop edge may do. The sheet asks for the
// two things a loop edge needs — its round limit and its condition (required
// for loops) — and adds it; Escape or Cancel adds nothing.
import { useState } from "react";
import type { When } from "../../../ipc";
import { Field, Select } from "../../../components/form";
import { Modal } from "../../editor/Modals";
import { addLoopEdge, defaultLoopWhen, groupById, LOOP_ROUNDS } from "../../editor/ops";
import { useEditor } from "../../editor/store";
import { GROUP_WHEN, STEP_WHEN } from "./Panel";

export interface LoopProposal {
  from: string;
  to: string;
}

export function LoopDialog({ proposal, onClose }: { proposal: LoopProposal; onClose: () => void }) {
  const doc = useEditor((s) => s.doc);
  const fromGroup = groupById(doc, proposal.from) != null;
  const [when, setWhen] = useState<When>(() => defaultLoopWhen(doc, proposal.from));
  const [rounds, setRounds] = useState(String(LOOP_ROUNDS.default));
  const n = Number(rounds);
  const valid = Number.isInteger(n) && n >= LOOP_ROUNDS.min && n <= LOOP_ROUNDS.max;
  const create = () => {
    if (!valid) return;
    useEditor.getState().edit((d) => addLoopEdge(d, proposal.from, proposal.to, when, n));
    onClose();
  };
  const self = proposal.from === proposal.to;
  return (
    <Modal title="Make it a loop" sub={self ? `${proposal.from} runs again` : `${proposal.from} → back to ${proposal.to}`} onClose={onClose} testid="loop-dialog" width="min(460px, 92vw)">
      <p className="help" style={{ marginTop: 0 }}>
        This edge closes a cycle. As a loop edge it runs {self ? <code>{proposal.from}</code> : <>everything from <code>{proposal.to}</code> to <code>{proposal.from}</code></>} again while its
        condition holds, up to a number of rounds; then the other edges out of <code>{proposal.from}</code> decide.
      </p>
      <Field label="Loop while" help={`${fromGroup ? "The group's outcome" : "The step's result"} that starts another round`}>
        <Select<When> value={when} options={fromGroup ? GROUP_WHEN : STEP_WHEN} onChange={(v) => v && setWhen(v)} testid="loop-when" />
      </Field>
      <Field label="At most" error={valid ? null : `rounds are ${LOOP_ROUNDS.min}–${LOOP_ROUNDS.max}`} help="rounds, the first included">
        <input
          className="input"
          type="number"
          min={LOOP_ROUNDS.min}
          max={LOOP_ROUNDS.max}
          step={1}
          value={rounds}
          onChange={(e) => setRounds(e.target.value)}
          onKeyDown={(e) => e.key === "Enter" && create()}
          data-testid="loop-rounds"
          autoFocus
        />
      </Field>
      <div style={{ display: "flex", justifyContent: "flex-end", gap: 8, marginTop: 16 }}>
        <button type="button" className="btn outline" onClick={onClose}>
          Cancel
        </button>
        <button type="button" className="btn primary" disabled={!valid} onClick={create} data-testid="loop-create">
          Make it a loop
        </button>
      </div>
    </Modal>
  );
}
