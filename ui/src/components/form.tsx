// Inspector form fields. Text and numbers commit on blur or Enter, so one
// edit is one undo step and one validation, not one per keystroke.
import { useEffect, useId, useState, type ReactNode } from "react";

export function Field({ label, children, help, stack, error }: { label: string; children: ReactNode; help?: ReactNode; stack?: boolean; error?: string | null }) {
  return (
    <div className={`field${stack ? " stack" : ""}`}>
      <span className="label">{label}</span>
      {children}
      {error ? <span className="err-text">{error}</span> : help ? <span className="help">{help}</span> : null}
    </div>
  );
}

function useDraft<T>(value: T): [T, (v: T) => void] {
  const [draft, setDraft] = useState(value);
  const [seen, setSeen] = useState(value);
  if (!Object.is(seen, value)) {
    setSeen(value);
    setDraft(value);
  }
  return [draft, setDraft];
}

function commitOnEnter(e: React.KeyboardEvent<HTMLInputElement>) {
  if (e.key === "Enter") (e.target as HTMLInputElement).blur();
  if (e.key === "Escape") (e.target as HTMLInputElement).blur();
}

export function TextInput({
  value,
  onCommit,
  placeholder,
  mono,
  testid,
  list,
}: {
  value: string | null | undefined;
  onCommit: (v: string | undefined) => void;
  placeholder?: string;
  mono?: boolean;
  testid?: string;
  list?: string;
}) {
  const [draft, setDraft] = useDraft(value ?? "");
  return (
    <input
      className={`input${mono ? " mono" : ""}`}
      value={draft}
      placeholder={placeholder}
      data-testid={testid}
      list={list}
      onChange={(e) => setDraft(e.target.value)}
      onBlur={() => {
        if (draft !== (value ?? "")) onCommit(draft === "" ? undefined : draft);
      }}
      onKeyDown={commitOnEnter}
      spellCheck={false}
    />
  );
}

export function NumberInput({
  value,
  onCommit,
  placeholder,
  min,
  max,
  step,
  integer,
  testid,
}: {
  value: number | null | undefined;
  onCommit: (v: number | undefined) => void;
  placeholder?: string;
  min?: number;
  max?: number;
  step?: number;
  integer?: boolean;
  testid?: string;
}) {
  const [draft, setDraft] = useDraft(value == null ? "" : String(value));
  const commit = () => {
    const text = draft.trim();
    if (text === (value == null ? "" : String(value))) return;
    if (text === "") return onCommit(undefined);
    const n = Number(text);
    if (!Number.isFinite(n)) return setDraft(value == null ? "" : String(value));
    onCommit(integer ? Math.trunc(n) : n);
  };
  return (
    <input
      className="input"
      type="number"
      inputMode={integer ? "numeric" : "decimal"}
      value={draft}
      placeholder={placeholder}
      min={min}
      max={max}
      step={step ?? (integer ? 1 : "any")}
      data-testid={testid}
      onChange={(e) => setDraft(e.target.value)}
      onBlur={commit}
      onKeyDown={commitOnEnter}
    />
  );
}

export function Select<T extends string>({
  value,
  options,
  onChange,
  testid,
  allowEmpty,
}: {
  value: T | null | undefined;
  options: { value: T; label: string }[];
  onChange: (v: T | undefined) => void;
  testid?: string;
  allowEmpty?: string;
}) {
  return (
    <select className="select" value={value ?? ""} data-testid={testid} onChange={(e) => onChange(e.target.value === "" ? undefined : (e.target.value as T))}>
      {allowEmpty != null && <option value="">{allowEmpty}</option>}
      {options.map((o) => (
        <option key={o.value} value={o.value}>
          {o.label}
        </option>
      ))}
    </select>
  );
}

/** true / false / unset (the file's default applies). */
export function TriState({ value, onChange, labels, testid }: { value: boolean | null | undefined; onChange: (v: boolean | undefined) => void; labels?: [string, string, string]; testid?: string }) {
  const [unset, yes, no] = labels ?? ["default", "yes", "no"];
  return (
    <span className="seg" data-testid={testid}>
      <button type="button" className={value == null ? "on" : ""} onClick={() => onChange(undefined)}>
        {unset}
      </button>
      <button type="button" className={value === true ? "on" : ""} onClick={() => onChange(true)}>
        {yes}
      </button>
      <button type="button" className={value === false ? "on" : ""} onClick={() => onChange(false)}>
        {no}
      </button>
    </span>
  );
}

/** A list of keys as chips, with suggestions (e.g. keys known upstream). */
export function ChipsInput({ values, onCommit, suggestions, testid, placeholder }: { values: string[]; onCommit: (v: string[]) => void; suggestions?: string[]; testid?: string; placeholder?: string }) {
  const [draft, setDraft] = useState("");
  const listId = useId();
  const add = (raw: string) => {
    const parts = raw
      .split(/[\s,]+/)
      .map((p) => p.trim())
      .filter(Boolean)
      .filter((p) => !values.includes(p));
    if (parts.length) onCommit([...values, ...parts]);
    setDraft("");
  };
  return (
    <div className="chip-input" data-testid={testid}>
      {values.map((v) => (
        <span className="chip" key={v}>
          {v}
          <button type="button" aria-label={`remove ${v}`} onClick={() => onCommit(values.filter((x) => x !== v))}>
            ×
          </button>
        </span>
      ))}
      <input
        value={draft}
        list={suggestions ? listId : undefined}
        placeholder={values.length ? "" : placeholder}
        onChange={(e) => {
          const v = e.target.value;
          // Choosing from the datalist fills the whole value at once.
          if (suggestions?.includes(v) && !values.includes(v)) {
            onCommit([...values, v]);
            setDraft("");
          } else setDraft(v);
        }}
        onKeyDown={(e) => {
          if (e.key === "Enter" || e.key === ",") {
            e.preventDefault();
            add(draft);
          } else if (e.key === "Backspace" && draft === "" && values.length) onCommit(values.slice(0, -1));
        }}
        onBlur={() => draft && add(draft)}
        spellCheck={false}
      />
      {suggestions && (
        <datalist id={listId}>
          {suggestions
            .filter((s) => !values.includes(s))
            .map((s) => (
              <option key={s} value={s} />
            ))}
        </datalist>
      )}
    </div>
  );
}

/** Editable map of string → string (env, headers) or string → number (limits, resources). */
export function MapEditor<V extends string | number>({
  value,
  onCommit,
  numeric,
  keyPlaceholder,
  valuePlaceholder,
  keySuggestions,
  testid,
}: {
  value: Record<string, V>;
  onCommit: (v: Record<string, V>) => void;
  numeric?: boolean;
  keyPlaceholder?: string;
  valuePlaceholder?: string;
  keySuggestions?: string[];
  testid?: string;
}) {
  const entries = Object.entries(value);
  const listId = useId();
  const put = (i: number, k: string | undefined, v: V | undefined) => {
    const next: [string, V][] = entries.map((e, j) => (j === i ? [k ?? e[0], v ?? e[1]] : e));
    onCommit(Object.fromEntries(next.filter(([key]) => key !== "")) as Record<string, V>);
  };
  const [newKey, setNewKey] = useState("");
  return (
    <div data-testid={testid}>
      {entries.map(([k, v], i) => (
        <div className="kv" key={k}>
          <TextInput value={k} mono onCommit={(nk) => put(i, nk ?? "", undefined)} />
          {numeric ? (
            <NumberInput value={v as number} integer onCommit={(nv) => put(i, undefined, (nv ?? 0) as V)} />
          ) : (
            <TextInput value={v as string} mono onCommit={(nv) => put(i, undefined, (nv ?? "") as V)} />
          )}
          <button type="button" className="x" aria-label={`remove ${k}`} onClick={() => onCommit(Object.fromEntries(entries.filter((_, j) => j !== i)) as Record<string, V>)}>
            ×
          </button>
        </div>
      ))}
      <div className="kv">
        <input
          className="input mono"
          placeholder={keyPlaceholder ?? "add key…"}
          value={newKey}
          list={keySuggestions ? listId : undefined}
          onChange={(e) => setNewKey(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === "Enter" && newKey.trim() && !(newKey.trim() in value)) {
              onCommit({ ...value, [newKey.trim()]: (numeric ? 1 : "") as V });
              setNewKey("");
            }
          }}
        />
        <span className="help" style={{ alignSelf: "center" }}>
          {valuePlaceholder ?? "Enter to add"}
        </span>
        <span />
        {keySuggestions && (
          <datalist id={listId}>
            {keySuggestions.map((s) => (
              <option key={s} value={s} />
            ))}
          </datalist>
        )}
      </div>
    </div>
  );
}

/** Free-form JSON (context, outputs, bodies): committed only when it parses. */
export function JsonInput({ value, onCommit, testid, rows = 4, objectOnly }: { value: unknown; onCommit: (v: unknown) => void; testid?: string; rows?: number; objectOnly?: boolean }) {
  const text = value === undefined ? "" : JSON.stringify(value, null, 2);
  const [draft, setDraft] = useDraft(text);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => setError(null), [text]);
  return (
    <>
      <textarea
        className={`textarea${error ? " invalid" : ""}`}
        rows={rows}
        value={draft}
        data-testid={testid}
        spellCheck={false}
        onChange={(e) => setDraft(e.target.value)}
        onBlur={() => {
          if (draft === text) return;
          if (draft.trim() === "") {
            setError(null);
            return onCommit(undefined);
          }
          try {
            const parsed: unknown = JSON.parse(draft);
            if (objectOnly && (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))) {
              setError("must be a JSON object");
              return;
            }
            setError(null);
            onCommit(parsed);
          } catch (e) {
            setError((e as Error).message);
          }
        }}
      />
      {error && <span className="err-text">{error}</span>}
    </>
  );
}

/** A list of strings, one per line (argv). */
export function LinesInput({ value, onCommit, testid, rows = 3 }: { value: string[]; onCommit: (v: string[]) => void; testid?: string; rows?: number }) {
  const text = value.join("\n");
  const [draft, setDraft] = useDraft(text);
  return (
    <textarea
      className="textarea"
      rows={rows}
      value={draft}
      data-testid={testid}
      spellCheck={false}
      onChange={(e) => setDraft(e.target.value)}
      onBlur={() => {
        if (draft !== text) onCommit(draft.split("\n").filter((l) => l.length > 0));
      }}
    />
  );
}

export function LongText({ value, onCommit, testid, rows = 4, mono }: { value: string | null | undefined; onCommit: (v: string | undefined) => void; testid?: string; rows?: number; mono?: boolean }) {
  const [draft, setDraft] = useDraft(value ?? "");
  return (
    <textarea
      className="textarea"
      rows={rows}
      value={draft}
      data-testid={testid}
      style={mono ? undefined : { fontFamily: "var(--font)", fontSize: 12.5 }}
      spellCheck={!mono}
      onChange={(e) => setDraft(e.target.value)}
      onBlur={() => {
        if (draft !== (value ?? "")) onCommit(draft === "" ? undefined : draft);
      }}
    />
  );
}
