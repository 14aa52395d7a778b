// A crash shows what happened instead of a blank window.
import { Component, type ReactNode } from "react";

export function reportFatal(err: unknown) {
  const root = document.getElementById("root");
  if (root && root.childElementCount === 0) {
    const pre = document.createElement("pre");
    pre.setAttribute("data-testid", "fatal-error");
    pre.className = "fatal";
    pre.textContent = `Braid failed to start:\n${err instanceof Error ? `${err.message}\n${err.stack ?? ""}` : String(err)}`;
    root.appendChild(pre);
  }
}

export class ErrorBoundary extends Component<{ children: ReactNode }, { error: Error | null }> {
  state = { error: null as Error | null };
  static getDerivedStateFromError(error: Error) {
    return { error };
  }
  render() {
    if (this.state.error) {
      return (
        <pre className="fatal" data-testid="fatal-error">
          {`Something went wrong: ${this.state.error.message}\n${this.state.error.stack ?? ""}`}
          {"\n\nYour file on disk is unchanged. Reload the window (Ctrl+R) to continue."}
        </pre>
      );
    }
    return this.props.children;
  }
}
