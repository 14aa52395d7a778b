// The trust review's shapes, as the backend sends them (engine trust.rs
// `Review`, the app's `TrustReview` / `PendingApproval`).
export type { PendingApproval, Review, TrustReview } from "../../ipc";
