// Secret names: the backend's rule for a valid name, and which secrets a
// workflow reads. Both mirror the engine (secrets.rs `is_valid_name`,
// `secret_names`; template.rs `placeholders`) so the screen can say "no"
// before asking the keychain, and list what a run will need.
import type { Workflow } from "../../ipc";

/** The keychain entry where the engine keeps the list of names; never a user's secret. */
export const INDEX_ACCOUNT = "__braid_secret_names__";

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Why `name` cannot name a secret, or null when it can. */
export function secretNameProblem(name: string): string | null {
  if (name === "") return "Enter a name.";
  if (/^[0-9]/.test(name)) return "A name cannot start with a digit.";
  if (!NAME.test(name)) return "Use only letters, digits and _ (like an environment variable).";
  if (name === INDEX_ACCOUNT) return "This name is reserved by Braid.";
  return null;
}

/** Every `{{…}}` name in `text`, trimmed; an unclosed `{{` is not one. */
export function placeholderNames(text: string): string[] {
  const names: string[] = [];
  let from = 0;
  for (;;) {
    const open = text.indexOf("{{", from);
    if (open < 0) break;
    const close = text.indexOf("}}", open + 2);
    if (close < 0) break;
    names.push(text.slice(open + 2, close).trim());
    from = close + 2;
  }
  return names;
}

const SECRET_PREFIX = "secret:";

/** The secret named by a placeholder (`secret:NAME` → `NAME`), else null. */
export function secretOf(placeholder: string): string | null {
  return placeholder.startsWith(SECRET_PREFIX) ? placeholder.slice(SECRET_PREFIX.length).trim() : null;
}

export interface SecretReference {
  name: string;
  /** Steps that read it, in file order. */
  steps: string[];
}

/**
 * The secrets `workflow` reads, sorted by name: `{{secret:NAME}}` in an http
 * step's header values or an llm step's `api_key` (the only places the
 * format allows them).
 */
export function referencedSecrets(workflow: Workflow): SecretReference[] {
  const byName = new Map<string, string[]>();
  for (const step of workflow.steps) {
    const agent = step.agent;
    const texts =
      agent.kind === "http" ? Object.values(agent.headers ?? {}).filter((v): v is string => typeof v === "string") : agent.kind === "llm" && agent.api_key ? [agent.api_key] : [];
    for (const text of texts) {
      for (const placeholder of placeholderNames(text)) {
        const name = secretOf(placeholder);
        if (name === null) continue;
        const steps = byName.get(name) ?? [];
        if (!steps.includes(step.id)) steps.push(step.id);
        byName.set(name, steps);
      }
    }
  }
  return [...byName.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([name, steps]) => ({ name, steps }));
}
