// The import review: before a workflow from elsewhere may run, everything it
// would execute or reach, file by file, for a person to approve. Nothing has
// run when this shows; approval is for the exact bytes reviewed (sha256).
import { useRef, useState } from "react";
import { approveReviewed } from "./approve";
import { Dialog } from "./Dialog";
import { reviewSections, reviewSummary, shortHash, splitPath, type ReviewItem } from "./grouping";
import { TrustIcon } from "./icons";
import { closeReview, useReview } from "./review";
import type { PendingApproval } from "./types";
import "./trust.css";

function Step({ id }: { id: string }) {
  return (
    <span className="trust-step" title={`step ${id}`}>
      {id}
    </span>
  );
}

function Item({ item }: { item: ReviewItem }) {
  switch (item.kind) {
    case "command":
      return (
        <li className="trust-item" data-testid="review-command" data-step={item.step}>
          <Step id={item.step} />
          <div className="trust-what">
            <ol className="argv" aria-label="arguments">
              {item.argv.map((arg, i) => (
                <li key={i} className="arg" data-testid="review-arg">
                  {arg === "" ? <span className="empty">(empty)</span> : arg}
                </li>
              ))}
            </ol>
            {item.cwd && (
              <div className="trust-detail">
                in <code>{item.cwd}</code>
              </div>
            )}
            {item.env.length > 0 && (
              <div className="trust-detail">
                environment{" "}
                {item.env.map(([k, v]) => (
                  <code key={k} className="env">
                    {k}={v}
                  </code>
                ))}
              </div>
            )}
          </div>
        </li>
      );
    case "script":
      return (
        <li className="trust-item" data-testid="review-script" data-step={item.step}>
          <Step id={item.step} />
          <pre className="trust-script">{item.script}</pre>
        </li>
      );
    case "host":
      return (
        <li className="trust-item" data-testid="review-host" data-step={item.step}>
          <Step id={item.step} />
          <div className="trust-what">
            <span className={`trust-agent ${item.agent}`}>{item.agent}</span> <strong className="mono">{item.origin}</strong>
            <div className="trust-detail mono">{item.request}</div>
          </div>
        </li>
      );
    case "secret":
      return (
        <li className="trust-item" data-testid="review-secret" data-name={item.name}>
          <span className="trust-secret mono">{item.name}</span>
          <div className="trust-what trust-detail">
            read by{" "}
            {item.steps.map((s) => (
              <Step key={s} id={s} />
            ))}
          </div>
        </li>
      );
    case "sub_workflow":
      return (
        <li className="trust-item" data-testid="review-sub-workflow" data-step={item.step}>
          <Step id={item.step} />
          <code className="trust-what">{item.path}</code>
        </li>
      );
  }
}

function FileReview({ file }: { file: PendingApproval }) {
  const { name } = splitPath(file.path);
  return (
    <section className="trust-file" data-testid="review-file" data-path={file.path} aria-label={`review of ${name}`}>
      <header className="trust-file-head">
        <div className="trust-file-name">
          <strong>{name}</strong>
          {file.review && <span className="muted"> · workflow {file.review.workflow_id}</span>}
          {/* The whole path: the folder is what tells a download from a checkout. */}
          <div className="trust-path mono">{file.path}</div>
        </div>
        <div className="trust-hash" title={`sha256 ${file.hash}`}>
          <span className="muted">sha256</span>{" "}
          <code data-testid="review-hash">{shortHash(file.hash)}</code>
        </div>
      </header>
      <div className="trust-summary">{reviewSummary(file.review)}</div>
      {!file.review && <p className="trust-unreadable">This file is not a valid workflow, so nothing in it can be listed. It cannot run until it is fixed.</p>}
      {file.review &&
        reviewSections(file.review).map((section) => (
          <div key={section.kind} className="trust-section" data-testid={`review-section-${section.kind}`}>
            <h3>{section.title}</h3>
            <p className="trust-explain">{section.explain}</p>
            <ul>
              {section.items.map((item, i) => (
                <Item key={i} item={item} />
              ))}
            </ul>
          </div>
        ))}
    </section>
  );
}

export function ReviewDialog() {
  const request = useReview((s) => s.request);
  if (!request) return null;
  // Keyed by the files, so a new request starts with a clean error and button state.
  return <ReviewContent key={request.files.map((f) => f.hash).join()} />;
}

function ReviewContent() {
  const request = useReview((s) => s.request)!;
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  // "Not now" is focused first: Enter on an unread review must not approve it.
  const notNow = useRef<HTMLButtonElement>(null);
  const count = request.files.length;

  const approve = async () => {
    setBusy(true);
    setError(null);
    try {
      await approveReviewed();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
      setBusy(false);
    }
  };

  return (
    <Dialog
      title="Review before running"
      sub={`${count} file${count === 1 ? "" : "s"} not yet approved on this computer`}
      onClose={closeReview}
      testid="review-dialog"
      initialFocus={notNow}
      className="trust-review"
      footer={
        <>
          {error && (
            <span className="trust-error" role="alert" data-testid="review-error">
              Not approved: {error}
            </span>
          )}
          <span className="spacer" />
          <button ref={notNow} className="btn outline" onClick={closeReview} data-testid="review-dismiss">
            Not now
          </button>
          <button className="btn primary" onClick={() => void approve()} disabled={busy} data-testid="review-approve">
            <TrustIcon.shield /> {request.approveLabel}
          </button>
        </>
      }
    >
      <div className="trust-notice" data-testid="review-notice">
        <strong>Nothing from this workflow has run.</strong> Its content has not been approved on this computer, and running it would act
        as listed below. Approving allows exactly this content to run — each file is identified by its SHA-256 hash. If a file is edited later,
        its hash changes and it needs a new approval. Viewing and editing need no approval.
      </div>
      {request.files.map((file) => (
        <FileReview key={`${file.path}:${file.hash}`} file={file} />
      ))}
    </Dialog>
  );
}
