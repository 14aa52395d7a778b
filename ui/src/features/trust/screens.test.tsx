import { act, cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ipc, type Step, type Workflow } from "../../ipc";
import { useEditor } from "../editor/store";
import { SecretsDialog } from "../secrets/SecretsDialog";
import { openSecrets, closeSecrets } from "../secrets/screen";
import { ReviewDialog } from "./ReviewDialog";
import { closeReview, openReview, useReview } from "./review";
import type { PendingApproval } from "./types";

// The screens talk to the backend only through these calls; here they are
// replaced by recorders so the screens' own behaviour can be checked.
vi.mock("../../ipc", async (importOriginal) => {
  const real = await importOriginal<typeof import("../../ipc")>();
  return {
    ...real,
    ipc: {
      ...real.ipc,
      approveWorkflow: vi.fn(async () => undefined),
      reviewWorkflow: vi.fn(async () => ({ needs_approval: false, files: [] })),
      listSecrets: vi.fn(async () => ({ names: ["REVIEW_TOKEN"], keychain_error: null })),
      setSecret: vi.fn(async () => undefined),
      deleteSecret: vi.fn(async () => true),
      // Stand-ins for the engine's rules (braid_model::template, tested in
      // Rust), which cannot run under jsdom: the answers they give here.
      workflowSecrets: vi.fn(async () => [
        { name: "OPENAI_API_KEY", steps: ["ask"] },
        { name: "REVIEW_TOKEN", steps: ["fetch"] },
      ]),
      secretNameProblem: vi.fn(async (name: string) => (name === "" ? "Enter a name." : /^[0-9]/.test(name) ? "A name cannot start with a digit." : null)),
    },
  };
});
const calls = ipc as unknown as Record<string, ReturnType<typeof vi.fn>>;

const imported: PendingApproval = {
  path: "/tmp/imports/trust-import.json",
  hash: "9f2c4e1ab3d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f",
  review: {
    workflow_id: "imported",
    commands: [{ step: "fetch", argv: ["curl", "-s", "a b"] }],
    scripts: [],
    hosts: [{ step: "post", agent: "http", origin: "https://review.example.com", request: "POST https://review.example.com/v1" }],
    secrets: [{ name: "REVIEW_TOKEN", steps: ["post"] }],
    sub_workflows: [],
  },
};

afterEach(() => {
  cleanup();
  act(() => {
    closeReview();
    closeSecrets();
  });
  vi.clearAllMocks();
});

describe("review screen", () => {
  it("lists argv element by element, the short hash and the secret, with Not now focused", () => {
    render(<ReviewDialog />);
    act(() => openReview([imported]));
    expect(screen.getByRole("dialog").getAttribute("aria-labelledby")).toBeTruthy();
    expect(screen.getAllByTestId("review-arg").map((a) => a.textContent)).toEqual(["curl", "-s", "a b"]);
    expect(screen.getByTestId("review-hash").textContent).toBe("9f2c4e1ab3d5");
    expect(screen.getByTestId("review-secret").dataset.name).toBe("REVIEW_TOKEN");
    expect(screen.getByTestId("review-notice").textContent).toMatch(/Nothing from this workflow has run/);
    expect(document.activeElement).toBe(screen.getByTestId("review-dismiss"));
    expect(screen.getByTestId("review-approve").textContent).toMatch(/^\s*Approve$/);
  });

  it("approves exactly the reviewed hashes, then continues what was waiting", async () => {
    const onApproved = vi.fn();
    render(<ReviewDialog />);
    act(() => openReview([imported], onApproved));
    expect(screen.getByTestId("review-approve").textContent).toMatch(/Approve and run/);
    fireEvent.click(screen.getByTestId("review-approve"));
    await waitFor(() => expect(onApproved).toHaveBeenCalledOnce());
    expect(calls.approveWorkflow).toHaveBeenCalledWith([{ path: imported.path, hash: imported.hash }]);
    expect(useReview.getState().request).toBeNull();
  });

  it("keeps the review open and says why when approval fails; Escape dismisses without approving", async () => {
    calls.approveWorkflow.mockRejectedValueOnce(new Error("store is read-only"));
    const onApproved = vi.fn();
    render(<ReviewDialog />);
    act(() => openReview([imported], onApproved));
    fireEvent.click(screen.getByTestId("review-approve"));
    await waitFor(() => expect(screen.getByTestId("review-error").textContent).toMatch(/read-only/));
    fireEvent.keyDown(screen.getByRole("dialog"), { key: "Escape" });
    expect(screen.queryByTestId("review-dialog")).toBeNull();
    expect(onApproved).not.toHaveBeenCalled();
  });
});

const withSecrets = (): Workflow =>
  ({
    format: "braid/1",
    id: "w",
    steps: [
      { id: "post", agent: { kind: "http", url: "https://h/x", headers: { Authorization: "Bearer {{secret:REVIEW_TOKEN}}" } } },
      { id: "ask", agent: { kind: "llm", base_url: "http://127.0.0.1:1/v1", model: "m", prompt: "p", api_key: "{{secret:OPENAI_API_KEY}}" } },
    ] as Step[],
    groups: [],
    edges: [],
  }) as unknown as Workflow;

describe("secrets screen", () => {
  beforeEach(() => {
    act(() => useEditor.getState().load({ workflow: withSecrets(), positions: {} }, "/tmp/w.json"));
  });

  it("lists stored names and marks the workflow's missing secrets", async () => {
    render(<SecretsDialog />);
    act(() => openSecrets());
    await waitFor(() => expect(screen.getAllByTestId("secrets-item").map((i) => i.dataset.name)).toEqual(["REVIEW_TOKEN"]));
    await waitFor(() => expect(screen.getAllByTestId("secrets-ref")).toHaveLength(2));
    const refs = screen.getAllByTestId("secrets-ref");
    expect(refs.map((r) => [r.dataset.name, r.dataset.missing])).toEqual([
      ["OPENAI_API_KEY", "true"],
      ["REVIEW_TOKEN", "false"],
    ]);
    expect(screen.queryByTestId("secrets-keychain-notice")).toBeNull();
  });

  it("validates the name like the backend, saves, and clears the value", async () => {
    render(<SecretsDialog />);
    act(() => openSecrets());
    const name = screen.getByTestId("secrets-name") as HTMLInputElement;
    const value = screen.getByTestId("secrets-value") as HTMLInputElement;
    expect(value.type).toBe("password");
    fireEvent.change(name, { target: { value: "1BAD" } });
    fireEvent.blur(name);
    fireEvent.change(value, { target: { value: "s3cret" } });
    await waitFor(() => expect(screen.getByTestId("secrets-name-help").textContent).toMatch(/digit/));
    // The backend's answer and the button's state arrive in separate renders (slow under load).
    await waitFor(() => expect((screen.getByTestId("secrets-save") as HTMLButtonElement).disabled).toBe(true));
    expect(calls.secretNameProblem).toHaveBeenCalledWith("1BAD");
    fireEvent.change(name, { target: { value: "OPENAI_API_KEY" } });
    await waitFor(() => expect((screen.getByTestId("secrets-save") as HTMLButtonElement).disabled).toBe(false));
    fireEvent.submit(screen.getByTestId("secrets-form"));
    await waitFor(() => expect(calls.setSecret).toHaveBeenCalledWith("OPENAI_API_KEY", "s3cret"));
    await waitFor(() => expect(value.value).toBe(""));
    expect(name.value).toBe("");
    expect(screen.getByTestId("secrets-status").textContent).toMatch(/Saved OPENAI_API_KEY/);
  });

  it("deletes only after a confirmation", async () => {
    render(<SecretsDialog />);
    act(() => openSecrets());
    fireEvent.click(await screen.findByTestId("secrets-delete-REVIEW_TOKEN"));
    expect(calls.deleteSecret).not.toHaveBeenCalled();
    fireEvent.click(screen.getByTestId("secrets-confirm-delete-REVIEW_TOKEN"));
    await waitFor(() => expect(calls.deleteSecret).toHaveBeenCalledWith("REVIEW_TOKEN"));
  });

  it("explains the environment fallback when there is no keychain", async () => {
    calls.listSecrets.mockResolvedValueOnce({ names: [], keychain_error: "no OS keychain available: no secret service" });
    render(<SecretsDialog />);
    act(() => openSecrets());
    const notice = await screen.findByTestId("secrets-keychain-notice");
    expect(notice.textContent).toMatch(/environment variable/);
    await waitFor(() => expect(screen.getAllByTestId("secrets-ref")).toHaveLength(2));
    expect(screen.getAllByTestId("secrets-ref").every((r) => r.dataset.missing === "true")).toBe(true);
  });
});
