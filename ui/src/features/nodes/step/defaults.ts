import type { Agent, Step } from "../../../ipc";
import type { AgentKind } from "../../editor/ops";

export const AGENT_KINDS: { kind: AgentKind; label: string; blurb: string }[] = [
  { kind: "sim", label: "Simulated", blurb: "Sleeps, returns a verdict" },
  { kind: "shell", label: "Shell", blurb: "A local program (argv)" },
  { kind: "http", label: "HTTP", blurb: "Calls a service" },
  { kind: "llm", label: "LLM", blurb: "OpenAI-compatible chat" },
  { kind: "workflow", label: "Sub-workflow", blurb: "Runs another file" },
  { kind: "approval", label: "Approval", blurb: "A person approves or rejects" },
];

export function kindLabel(kind: AgentKind): string {
  return AGENT_KINDS.find((k) => k.kind === kind)?.label ?? kind;
}

/** A new agent of `kind`, with just enough set to be valid. */
export function defaultAgent(kind: AgentKind): Agent {
  switch (kind) {
    case "sim":
      return { kind: "sim", duration_ms: 5000 } as Agent;
    case "shell":
      return { kind: "shell", command: ["./agents/my-agent.sh"] } as Agent;
    case "http":
      return { kind: "http", method: "POST", url: "http://127.0.0.1:8080/review" } as Agent;
    case "llm":
      return { kind: "llm", base_url: "http://127.0.0.1:11434/v1", model: "llama3.1", prompt: "Review this and answer as JSON {\"approved\": bool, \"score\": 0-100}" } as Agent;
    case "workflow":
      return { kind: "workflow", path: "review-branch.json" } as Agent;
    case "approval":
      return { kind: "approval", prompt: "Approve this?" } as Agent;
  }
}

export function defaultStep(id: string, kind: AgentKind): Step {
  const label = kindLabel(kind);
  return { id, name: `${label} step`, agent: defaultAgent(kind) } as Step;
}
