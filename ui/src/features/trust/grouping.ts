// Turns the backend's review of a workflow file into what the review screen
// shows: one section per kind of effect (commands, scripts, hosts, secrets,
// sub-workflows), each item naming the step that causes it. Pure, so the
// wording and ordering can be tested without rendering.
import type { PendingApproval, Review } from "./types";

export type ReviewItem =
  | { kind: "command"; step: string; argv: string[]; cwd: string | null; env: [string, string][] }
  | { kind: "script"; step: string; script: string }
  | { kind: "host"; step: string; agent: string; origin: string; request: string }
  | { kind: "secret"; name: string; steps: string[] }
  | { kind: "sub_workflow"; step: string; path: string };

export type SectionKind = "commands" | "scripts" | "hosts" | "secrets" | "sub_workflows";

export interface ReviewSection {
  kind: SectionKind;
  title: string;
  /** One line saying what approving this kind of item allows. */
  explain: string;
  items: ReviewItem[];
}

/** The sections that have items, always in the same order (most direct effect first). */
export function reviewSections(review: Review): ReviewSection[] {
  const sections: ReviewSection[] = [
    {
      kind: "commands",
      title: "Programs it starts",
      explain: "Each runs directly with exactly these arguments (no shell); {{…}} is filled in from the run's data.",
      items: review.commands.map((c) => ({
        kind: "command",
        step: c.step,
        argv: c.argv,
        cwd: c.cwd ?? null,
        env: Object.entries(c.env ?? {}).filter((e): e is [string, string] => e[1] !== undefined),
      })),
    },
    {
      kind: "scripts",
      title: "Shell scripts it runs",
      explain: "Run by sh -c with your user's permissions.",
      items: review.scripts.map((s) => ({ kind: "script", step: s.step, script: s.script })),
    },
    {
      kind: "hosts",
      title: "Hosts it sends requests to",
      explain: "The scheme, host and port are fixed in the file; data can only fill in the path and query.",
      items: review.hosts.map((h) => ({ kind: "host", step: h.step, agent: h.agent, origin: h.origin, request: h.request })),
    },
    {
      kind: "secrets",
      title: "Secrets it reads",
      explain: "From your keychain or environment, sent only to the hosts above. Values are never shown or stored.",
      items: review.secrets.map((s) => ({ kind: "secret", name: s.name, steps: s.steps })),
    },
    {
      kind: "sub_workflows",
      title: "Workflows it runs",
      explain: "Each file is reviewed on its own; it runs only with the content approved here.",
      items: review.sub_workflows.map((w) => ({ kind: "sub_workflow", step: w.step, path: w.path })),
    },
  ];
  return sections.filter((s) => s.items.length > 0);
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** "2 programs · 1 host · 1 secret": the review of one file in a line. */
export function reviewSummary(review: Review | null): string {
  if (!review) return "could not be read";
  const parts = [
    review.commands.length && plural(review.commands.length, "program"),
    review.scripts.length && plural(review.scripts.length, "script"),
    review.hosts.length && plural(new Set(review.hosts.map((h) => h.origin)).size, "host"),
    review.secrets.length && plural(review.secrets.length, "secret"),
    review.sub_workflows.length && plural(review.sub_workflows.length, "sub-workflow"),
  ].filter((p): p is string => Boolean(p));
  return parts.length ? parts.join(" · ") : "nothing to run";
}

/** The first 12 hex digits, as the CLI prints them. */
export function shortHash(hash: string): string {
  return hash.slice(0, 12);
}

/** File name and the folder it is in, for a header that tells files apart. */
export function splitPath(path: string): { name: string; dir: string } {
  const cut = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"));
  return cut < 0 ? { name: path, dir: "" } : { name: path.slice(cut + 1), dir: path.slice(0, cut) };
}

/** What approving sends to the backend: exactly the reviewed content of each file. */
export function approvalsOf(files: PendingApproval[]): { path: string; hash: string }[] {
  return files.map((f) => ({ path: f.path, hash: f.hash }));
}
