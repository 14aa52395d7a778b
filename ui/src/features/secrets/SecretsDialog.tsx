// The secrets screen: names of the secrets kept in the OS keychain (values
// are never read back), a form to add or replace one, deletion with a
// confirmation, and which secrets the open workflow needs. Without a
// keychain, runs read each secret from the environment variable of the same
// name; the screen says so.
import { useCallback, useEffect, useId, useRef, useState } from "react";
import { ipc, type SecretReference, type Workflow } from "../../ipc";
import { useEditor } from "../editor/store";
import { Dialog } from "../trust/Dialog";
import { TrustIcon } from "../trust/icons";
import { closeSecrets, useSecretsScreen } from "./screen";
import "./secrets.css";

type SecretList = Awaited<ReturnType<typeof ipc.listSecrets>>;

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

export function SecretsDialog() {
  const open = useSecretsScreen((s) => s.open);
  return open ? <SecretsContent /> : null;
}

function SecretsContent() {
  const prefill = useSecretsScreen((s) => s.prefill);
  const workflow = useEditor((s) => s.doc.workflow);
  const [list, setList] = useState<SecretList | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const nameRef = useRef<HTMLInputElement>(null);
  const valueRef = useRef<HTMLInputElement>(null);
  const [name, setName] = useState(prefill);

  const reload = useCallback(async () => {
    try {
      setList(await ipc.listSecrets());
      setLoadError(null);
    } catch (err) {
      setLoadError(message(err));
    }
  }, []);
  useEffect(() => {
    void reload();
  }, [reload]);

  const stored = new Set(list?.names ?? []);
  const referenced = useWorkflowSecrets(workflow);

  /** Puts `n` in the form and moves to the value field (replace, set a missing one). */
  const edit = (n: string) => {
    setName(n);
    setStatus(null);
    valueRef.current?.focus();
  };

  return (
    <Dialog
      title="Secrets"
      sub="kept in your OS keychain; values are never shown"
      onClose={closeSecrets}
      testid="secrets-dialog"
      initialFocus={prefill ? valueRef : nameRef}
      className="secrets-dialog"
    >
      {list?.keychain_error && (
        <div className="trust-notice" role="note" data-testid="secrets-keychain-notice">
          <strong>No OS keychain is available here</strong> ({list.keychain_error}). Runs read each secret from the environment variable
          of the same name instead — for <code>{"{{secret:REVIEW_TOKEN}}"}</code>, start Braid (or <code>braid run</code>) with{" "}
          <code>REVIEW_TOKEN</code> set. Secrets cannot be saved here until a keychain (a Secret Service such as GNOME Keyring or KWallet on
          Linux) is running.
        </div>
      )}
      {loadError && (
        <div className="secrets-error" role="alert">
          Could not list secrets: {loadError}
        </div>
      )}

      <div className="secrets-columns">
        <section aria-labelledby="secrets-stored" className="secrets-section">
          <h3 id="secrets-stored">In the keychain</h3>
          {list && list.names.length === 0 && (
            <p className="secrets-empty" data-testid="secrets-empty">
              {list.keychain_error ? "Nothing can be listed without a keychain." : "No secrets yet."}
            </p>
          )}
          <ul className="secrets-list" data-testid="secrets-list">
            {list?.names.map((n) => (
              <StoredSecret
                key={n}
                name={n}
                onReplace={() => edit(n)}
                onDeleted={(existed) => {
                  setStatus(existed ? `Deleted ${n}.` : `${n} was not in the keychain.`);
                  // Its row (and the focused button) is gone: keep focus in the screen.
                  nameRef.current?.focus();
                  void reload();
                }}
              />
            ))}
          </ul>

          <SecretForm
            name={name}
            setName={setName}
            nameRef={nameRef}
            valueRef={valueRef}
            exists={stored.has(name)}
            onSaved={(n) => {
              setStatus(`Saved ${n}. Its value is in the keychain and will not be shown again.`);
              void reload();
            }}
          />
          <div className="secrets-status" role="status" aria-live="polite" data-testid="secrets-status">
            {status}
          </div>
        </section>

        <section aria-labelledby="secrets-used" className="secrets-section" data-testid="secrets-referenced">
          <h3 id="secrets-used">Used by this workflow</h3>
          {referenced.length === 0 && <p className="secrets-empty">This workflow reads no secrets.</p>}
          <ul className="secrets-list">
            {referenced.map((r) => {
              const missing = list !== null && !stored.has(r.name);
              return (
                <li key={r.name} className={`secrets-row${missing ? " missing" : ""}`} data-testid="secrets-ref" data-name={r.name} data-missing={String(missing)}>
                  <div className="secrets-name">
                    <span className="mono">{r.name}</span>
                    <span className="secrets-steps">read by {r.steps.join(", ")}</span>
                    {missing && (
                      <span className="secrets-missing">
                        Not in the keychain: runs read the environment variable <code>{r.name}</code>, and the steps that use it fail when that is not
                        set either.
                      </span>
                    )}
                  </div>
                  {missing && !list?.keychain_error && (
                    <button className="btn outline" onClick={() => edit(r.name)} data-testid={`secrets-set-${r.name}`}>
                      Set…
                    </button>
                  )}
                  {!missing && list !== null && <span className="secrets-ok">in keychain</span>}
                </li>
              );
            })}
          </ul>
        </section>
      </div>
    </Dialog>
  );
}

function StoredSecret({ name, onReplace, onDeleted }: { name: string; onReplace: () => void; onDeleted: (existed: boolean) => void }) {
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const confirmRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (confirming) confirmRef.current?.focus();
  }, [confirming]);
  const remove = async () => {
    try {
      onDeleted(await ipc.deleteSecret(name));
    } catch (err) {
      setError(message(err));
      setConfirming(false);
    }
  };
  return (
    <li className="secrets-row" data-testid="secrets-item" data-name={name}>
      <div className="secrets-name">
        <span className="mono">
          <TrustIcon.key /> {name}
        </span>
        {error && <span className="secrets-error-inline">Not deleted: {error}</span>}
      </div>
      {confirming ? (
        <span className="secrets-confirm" role="group" aria-label={`Delete ${name}?`}>
          Delete {name}?
          <button ref={confirmRef} className="btn danger outline" onClick={() => void remove()} data-testid={`secrets-confirm-delete-${name}`}>
            Delete
          </button>
          <button className="btn" onClick={() => setConfirming(false)}>
            Cancel
          </button>
        </span>
      ) : (
        <span className="secrets-actions">
          <button className="btn" onClick={onReplace} data-testid={`secrets-replace-${name}`} aria-label={`Replace ${name}`}>
            Replace
          </button>
          <button className="btn danger" onClick={() => setConfirming(true)} data-testid={`secrets-delete-${name}`} aria-label={`Delete ${name}`}>
            Delete
          </button>
        </span>
      )}
    </li>
  );
}

function SecretForm({
  name,
  setName,
  nameRef,
  valueRef,
  exists,
  onSaved,
}: {
  name: string;
  setName: (n: string) => void;
  nameRef: React.RefObject<HTMLInputElement | null>;
  valueRef: React.RefObject<HTMLInputElement | null>;
  exists: boolean;
  onSaved: (name: string) => void;
}) {
  const ids = { name: useId(), value: useId(), nameHelp: useId() };
  const [touched, setTouched] = useState(false);
  const [hasValue, setHasValue] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const problem = useSecretNameProblem(name);
  const showProblem = touched && name !== "" ? problem : null;

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setTouched(true);
    const value = valueRef.current?.value ?? "";
    if (problem || value === "") {
      setError(problem ?? "Enter a value.");
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await ipc.setSecret(name, value);
      // The value leaves the page: the field is emptied, never refilled.
      if (valueRef.current) valueRef.current.value = "";
      setHasValue(false);
      setName("");
      setTouched(false);
      onSaved(name);
    } catch (err) {
      setError(message(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="secrets-form" onSubmit={(e) => void submit(e)} aria-label="Add or replace a secret" data-testid="secrets-form">
      <h4>{exists ? `Replace ${name}` : "Add a secret"}</h4>
      <label htmlFor={ids.name}>Name</label>
      <input
        id={ids.name}
        ref={nameRef}
        className={`input mono${showProblem ? " invalid" : ""}`}
        value={name}
        onChange={(e) => {
          setName(e.target.value);
          setError(null);
        }}
        onBlur={() => setTouched(true)}
        placeholder="REVIEW_TOKEN"
        spellCheck={false}
        autoComplete="off"
        aria-invalid={showProblem ? true : undefined}
        aria-describedby={ids.nameHelp}
        data-testid="secrets-name"
      />
      <span id={ids.nameHelp} className={showProblem ? "secrets-field-error" : "secrets-help"} data-testid="secrets-name-help">
        {showProblem ?? "Letters, digits and _, not starting with a digit. Used as {{secret:NAME}}."}
      </span>
      <label htmlFor={ids.value}>Value</label>
      <input
        id={ids.value}
        ref={valueRef}
        type="password"
        className="input mono"
        autoComplete="new-password"
        spellCheck={false}
        onChange={(e) => setHasValue(e.target.value !== "")}
        data-testid="secrets-value"
      />
      <span className="secrets-help">Stored in the keychain; it is never displayed again.</span>
      {error && (
        <span className="secrets-field-error" role="alert" data-testid="secrets-error">
          {error}
        </span>
      )}
      <div className="secrets-form-actions">
        <button type="submit" className="btn primary" disabled={busy || !hasValue || problem !== null} data-testid="secrets-save">
          {exists ? "Replace" : "Save"}
        </button>
      </div>
    </form>
  );
}

/** The secrets `workflow` reads, by the engine's rule (the `workflow_secrets` command). */
function useWorkflowSecrets(workflow: Workflow): SecretReference[] {
  const [refs, setRefs] = useState<SecretReference[]>([]);
  useEffect(() => {
    let current = true;
    ipc
      .workflowSecrets(workflow)
      .then((r) => current && setRefs(r))
      .catch(() => current && setRefs([]));
    return () => {
      current = false;
    };
  }, [workflow]);
  return refs;
}

/**
 * Why `name` cannot name a secret, by the engine's rule (asked as the user
 * types; `set_secret` checks again, so a stale answer never lets a bad name in).
 */
function useSecretNameProblem(name: string): string | null {
  const [problem, setProblem] = useState<string | null>(null);
  useEffect(() => {
    let current = true;
    void ipc.secretNameProblem(name).then((p) => current && setProblem(p));
    return () => {
      current = false;
    };
  }, [name]);
  return problem;
}
