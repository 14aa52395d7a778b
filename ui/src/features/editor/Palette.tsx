// The palette: click to add at the centre of the view, or drag onto the canvas (or into a group).
import { useReactFlow } from "@xyflow/react";
import { Icon } from "../../components/icons";
import { AGENT_KINDS } from "../nodes/step/defaults";
import { addFromPalette, type PaletteItem } from "./actions";
import { STEP_H, STEP_W } from "./geometry";

function Item({ item, testid, icon, name, sub, color }: { item: PaletteItem; testid: string; icon: React.ReactNode; name: string; sub: string; color: string }) {
  const rf = useReactFlow();
  return (
    <button
      className="palette-item"
      data-testid={testid}
      draggable
      title={`${name}: click to add, or drag onto the canvas`}
      onDragStart={(e) => {
        e.dataTransfer.setData("application/x-braid-palette", JSON.stringify(item));
        e.dataTransfer.effectAllowed = "copy";
      }}
      onClick={() => {
        const el = document.querySelector(".canvas");
        const r = el?.getBoundingClientRect();
        const center = r ? rf.screenToFlowPosition({ x: r.left + r.width / 2, y: r.top + r.height / 2 }) : { x: 0, y: 0 };
        // Nudge so repeated clicks do not stack exactly.
        const jitter = (Math.random() - 0.5) * 60;
        addFromPalette(item, { x: center.x - STEP_W / 2 + jitter, y: center.y - STEP_H / 2 + jitter });
      }}
    >
      <span className="pi-icon" style={{ color, background: `color-mix(in srgb, ${color} 13%, transparent)` }}>
        {icon}
      </span>
      <span className="pi-text">
        <span className="pi-name">{name}</span>
        <span className="pi-sub">{sub}</span>
      </span>
    </button>
  );
}

export function Palette() {
  return (
    <aside className="side" data-testid="palette">
      <div className="section-title">Steps</div>
      {AGENT_KINDS.map((k) => {
        const KindIcon = Icon[k.kind];
        return <Item key={k.kind} item={{ type: "step", kind: k.kind }} testid={`palette-step-${k.kind}`} icon={<KindIcon />} name={k.label} sub={k.blurb} color={`var(--kind-${k.kind})`} />;
      })}
      <div className="section-title">Groups</div>
      <Item item={{ type: "group" }} testid="palette-group" icon={<Icon.group />} name="Parallel group" sub="Fan out, aggregate verdicts" color="var(--accent)" />
      <Item item={{ type: "map" }} testid="palette-map" icon={<Icon.map />} name="Map group" sub="One branch per list element" color="var(--kind-http)" />
      <div className="palette-foot">
        Connect nodes by dragging from a right handle to a left one. Drop a step on a group to make it a branch.
        <br />
        <br />
        Press <span className="kbd">?</span> for shortcuts.
      </div>
    </aside>
  );
}
