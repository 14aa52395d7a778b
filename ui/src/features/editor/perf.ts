// Performance marks the WebDriver tests read back (`performance.getEntriesByName`):
// `braid:open-start` when a file starts loading, `braid:read` when Rust has
// parsed and validated it, `braid:laid-out` after the layout (sidecar or
// ELK), `braid:interactive` once its graph is rendered and fitted.
let pending = false;

export function markOpenStart() {
  performance.clearMarks("braid:open-start");
  for (const m of ["braid:read", "braid:laid-out", "braid:interactive"]) performance.clearMarks(m);
  performance.mark("braid:open-start");
  pending = true;
}

export function markInteractive() {
  if (!pending) return;
  pending = false;
  // Two frames: React Flow has painted the nodes it was given.
  requestAnimationFrame(() =>
    requestAnimationFrame(() => {
      performance.mark("braid:interactive");
    }),
  );
}
