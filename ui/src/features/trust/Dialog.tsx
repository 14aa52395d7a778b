// An accessible modal dialog in the look of the editor's modals: labelled
// by its title, Escape and the backdrop close it, Tab stays inside it, and
// focus returns to where it was when it closes. Keys pressed inside it do
// not reach the editor's shortcuts (Delete would delete the selection).
import { useEffect, useId, useRef, type ReactNode, type RefObject } from "react";
import "./trust.css";

const FOCUSABLE = 'button:not([disabled]), [href], input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

function focusables(root: HTMLElement): HTMLElement[] {
  return Array.from(root.querySelectorAll<HTMLElement>(FOCUSABLE));
}

// Open dialogs, newest last: only the top one answers keys.
const stack: HTMLElement[] = [];

export function Dialog({
  title,
  sub,
  onClose,
  children,
  footer,
  testid,
  initialFocus,
  className,
}: {
  title: string;
  sub?: ReactNode;
  onClose: () => void;
  children: ReactNode;
  footer?: ReactNode;
  testid: string;
  /** What gets focus first; the first focusable element otherwise. */
  initialFocus?: RefObject<HTMLElement | null>;
  className?: string;
}) {
  const titleId = useId();
  const ref = useRef<HTMLDivElement>(null);
  const close = useRef(onClose);
  useEffect(() => {
    close.current = onClose;
  });

  useEffect(() => {
    const before = document.activeElement as HTMLElement | null;
    const root = ref.current;
    if (!root) return;
    const first = initialFocus?.current ?? focusables(root)[0];
    (first ?? root).focus();
    stack.push(root);

    // On the window, in the capture phase: this also sees keys pressed
    // while focus is outside the dialog (after the focused button was
    // removed, say), before the editor's shortcuts do.
    const onKey = (e: KeyboardEvent) => {
      if (stack[stack.length - 1] !== root) return;
      const inside = root.contains(e.target as Node);
      if (e.key === "Escape") {
        e.preventDefault();
        e.stopPropagation();
        close.current();
        return;
      }
      if (e.key === "Tab") {
        const items = focusables(root);
        if (items.length === 0) return;
        const at = items.indexOf(document.activeElement as HTMLElement);
        const wrap = !inside || (e.shiftKey ? at <= 0 : at === items.length - 1);
        if (wrap) {
          e.preventDefault();
          e.stopPropagation();
          (e.shiftKey ? items[items.length - 1] : items[0]).focus();
        }
        return;
      }
      // A key aimed at the page behind a modal would reach the editor's
      // shortcuts (Delete deletes the selection): keep it from the editor.
      if (!inside) {
        e.preventDefault();
        e.stopPropagation();
      }
    };
    window.addEventListener("keydown", onKey, true);
    return () => {
      window.removeEventListener("keydown", onKey, true);
      stack.splice(stack.indexOf(root), 1);
      before?.focus?.();
    };
  }, [initialFocus]);

  return (
    <div className="modal-back" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div
        ref={ref}
        className={`modal trust-dialog${className ? ` ${className}` : ""}`}
        role="dialog"
        aria-modal="true"
        aria-labelledby={titleId}
        data-testid={testid}
        tabIndex={-1}
        // Keys typed inside stay inside: the editor's shortcuts listen on the window.
        onKeyDown={(e) => e.stopPropagation()}
      >
        <div className="modal-head">
          <h2 id={titleId}>{title}</h2>
          {sub && <span className="sub">{sub}</span>}
          <span className="spacer" />
          <button className="btn icon" onClick={onClose} aria-label="Close" data-testid={`${testid}-close`}>
            <svg viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth={2} strokeLinecap="round" aria-hidden="true">
              <path d="M6 6l12 12M18 6L6 18" />
            </svg>
          </button>
        </div>
        <div className="modal-body">{children}</div>
        {footer && <div className="trust-dialog-foot">{footer}</div>}
      </div>
    </div>
  );
}
