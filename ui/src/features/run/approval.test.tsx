// The "Waiting for you" prompt against a scripted backend at the IPC boundary.
import { act, cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, test, vi } from "vitest";
import { ApprovalPrompt, parseScore, showValue } from "./ApprovalPrompt";
import { applyEvents, initialView, shapeOf } from "./reducer";
import { useRun } from "./store";
import type { EventKind, RunEvent } from "./types";

const backend = vi.hoisted(() => ({ decided: [] as unknown[][], answer: null as Error | null }));

vi.mock("./api", () => ({
  runApi: {
    decide: async (...args: unknown[]) => {
      backend.decided.push(args);
      if (backend.answer) throw backend.answer;
    },
    load: async () => {
      throw new Error("not recorded in this test");
    },
  },
}));

const shape = shapeOf({ steps: [{ id: "editor-ok" }], groups: [], edges: [] });
const ev = (kinds: EventKind[]): RunEvent[] => kinds.map((k, i) => ({ seq: i, at_ms: 1000 + i * 10, ...k }) as RunEvent);

function waiting() {
  const view = applyEvents(
    initialView(shape),
    ev([
      { type: "run_started", run_id: "R9", workflow_id: "w", inputs: {}, time_scale: 1, concurrency: 4 },
      { type: "step_started", step: "editor-ok", attempt: 1, round: 1 },
      { type: "approval_requested", step: "editor-ok", attempt: 1, round: 1, prompt: "Publish Hello?", shown: { title: "Hello", "gates.score": 84 } },
      { type: "run_waiting", waiting: true },
    ]),
  );
  act(() => useRun.setState({ view, mode: "replay" }));
}

afterEach(() => {
  cleanup();
  backend.decided = [];
  backend.answer = null;
  act(() => useRun.setState({ view: null, mode: null, message: null }));
});

describe("the approval prompt", () => {
  test("shows the prompt and the shown values; Approve sends the decision with score and note", async () => {
    render(<ApprovalPrompt step="editor-ok" />);
    waiting();
    expect(screen.getByTestId("approval-prompt-editor-ok").textContent).toMatch(/Waiting for you.*Publish Hello\?.*title.*Hello.*gates\.score.*84/);
    fireEvent.change(screen.getByTestId("approval-score"), { target: { value: "90" } });
    fireEvent.change(screen.getByTestId("approval-note"), { target: { value: "ship it" } });
    fireEvent.click(screen.getByTestId("approval-approve"));
    await waitFor(() => expect(backend.decided).toEqual([["R9", "editor-ok", true, 90, "ship it"]]));
  });

  test("a decision refused by the backend (made elsewhere first) is shown", async () => {
    backend.answer = new Error("editor-ok was already decided (rejected by alice)");
    render(<ApprovalPrompt step="editor-ok" />);
    waiting();
    fireEvent.click(screen.getByTestId("approval-reject"));
    await waitFor(() => expect(screen.getByTestId("approval-error").textContent).toMatch(/already decided/));
    expect(backend.decided).toEqual([["R9", "editor-ok", false, null, null]]);
    // The buttons are usable again for another try.
    expect((screen.getByTestId("approval-approve") as HTMLButtonElement).disabled).toBe(false);
  });

  test("Escape and Enter decide nothing; a bad score blocks the buttons", () => {
    render(<ApprovalPrompt step="editor-ok" />);
    waiting();
    const note = screen.getByTestId("approval-note");
    fireEvent.keyDown(note, { key: "Escape" });
    fireEvent.keyDown(screen.getByTestId("approval-score"), { key: "Enter" });
    expect(backend.decided).toEqual([]);
    fireEvent.change(screen.getByTestId("approval-score"), { target: { value: "140" } });
    expect((screen.getByTestId("approval-approve") as HTMLButtonElement).disabled).toBe(true);
    expect(screen.getByTestId("approval-approve").tagName).toBe("BUTTON");
  });

  test("nothing shows once the step is decided", () => {
    render(<ApprovalPrompt step="editor-ok" />);
    waiting();
    act(() => {
      const v = useRun.getState().view!;
      useRun.setState({ view: applyEvents(v, [{ seq: 10, at_ms: 2000, type: "step_succeeded", step: "editor-ok", attempt: 1, round: 1, outputs: {}, approved: true }]) });
    });
    expect(screen.queryByTestId("approval-prompt-editor-ok")).toBeNull();
  });

  test("parses the optional score", () => {
    expect(parseScore("")).toEqual({ score: null, error: null });
    expect(parseScore(" 72.5 ")).toEqual({ score: 72.5, error: null });
    expect(parseScore("-1").error).toBeTruthy();
    expect(parseScore("abc").error).toBeTruthy();
  });
});

describe("showValue", () => {
  test("lists a recommendations key one line per recommendation", () => {
    expect(showValue([{ from: "legal", text: "Add the disclaimer." }, { from: "seo", index: 2, text: "Shorter title." }])).toBe("legal: Add the disclaimer.\nseo[2]: Shorter title.");
    expect(showValue("post-1")).toBe("post-1");
    expect(showValue(88.1)).toBe("88.1");
  });
});
