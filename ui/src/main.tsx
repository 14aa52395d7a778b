import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import "@fontsource-variable/inter";
import "@fontsource-variable/jetbrains-mono";
import "@xyflow/react/dist/style.css";
import "./styles/theme.css";
import "./styles/app.css";
import App from "./App";
import { ErrorBoundary, reportFatal } from "./components/ErrorBoundary";

window.addEventListener("error", (e) => reportFatal(e.error ?? e.message));
window.addEventListener("unhandledrejection", (e) => console.error("unhandled rejection", e.reason));

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <ErrorBoundary>
      <App />
    </ErrorBoundary>
  </StrictMode>,
);
