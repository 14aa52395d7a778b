// The run form's logic: one field per declared input, its kind taken from
// the default's JSON type (the format declares no types), values parsed the
// way `braid run --input KEY=VALUE` parses them (JSON when it is JSON, else
// a string), required inputs enforced before anything starts.
import type { Json, JsonMap } from "./types";

export type FieldKind = "text" | "number" | "boolean" | "json";

export interface InputField {
  name: string;
  kind: FieldKind;
  required: boolean;
  description: string | null;
  /** The form's initial text (or "true"/"false" for a boolean). */
  initial: string;
  hasDefault: boolean;
}

interface InputSpecLike {
  required?: boolean | null;
  default?: Json;
  description?: string | null;
}

function kindOf(v: Json | undefined): FieldKind {
  if (typeof v === "boolean") return "boolean";
  if (typeof v === "number") return "number";
  if (v !== null && typeof v === "object") return "json";
  return "text";
}

export function inputFields(inputs: Record<string, InputSpecLike | undefined> | null | undefined): InputField[] {
  return Object.entries(inputs ?? {}).map(([name, spec]) => {
    const def = spec?.default;
    const kind = kindOf(def);
    const initial = def === undefined || def === null ? "" : kind === "json" ? JSON.stringify(def, null, 2) : String(def);
    return { name, kind, required: !!spec?.required, description: spec?.description ?? null, initial, hasDefault: def !== undefined };
  });
}

/** Text as the CLI reads `--input`: JSON when it parses, else the string itself. */
export function parseLoose(text: string): Json {
  try {
    return JSON.parse(text) as Json;
  } catch {
    return text;
  }
}

export interface FormResult {
  inputs: JsonMap;
  errors: Record<string, string>;
}

/** The inputs to send (empty optional fields are left out, so defaults apply), or per-field errors. */
export function readForm(fields: InputField[], values: Record<string, string>): FormResult {
  const inputs: JsonMap = {};
  const errors: Record<string, string> = {};
  for (const f of fields) {
    const raw = values[f.name] ?? f.initial;
    if (f.kind === "boolean") {
      inputs[f.name] = raw === "true";
      continue;
    }
    if (raw.trim() === "") {
      if (f.required) errors[f.name] = "required";
      continue;
    }
    if (f.kind === "number") {
      const n = Number(raw);
      if (!Number.isFinite(n)) errors[f.name] = "a number";
      else inputs[f.name] = n;
    } else if (f.kind === "json") {
      try {
        inputs[f.name] = JSON.parse(raw) as Json;
      } catch {
        errors[f.name] = "not valid JSON";
      }
    } else {
      inputs[f.name] = f.hasDefault ? raw : parseLoose(raw);
    }
  }
  return { inputs, errors };
}

/** Whether every step is simulated (a pure rehearsal). */
export function simOnly(steps: { agent: { kind: string } }[]): boolean {
  return steps.length > 0 && steps.every((s) => s.agent.kind === "sim");
}

/** Whether a time scale means anything: it speeds up (or slows) `sim` steps only. */
export function hasSim(steps: { agent: { kind: string } }[]): boolean {
  return steps.some((s) => s.agent.kind === "sim");
}

export function parseTimeScale(text: string): number | null {
  const n = Number(text);
  return Number.isFinite(n) && n > 0 && n <= 1000 ? n : null;
}
