// Whether the secrets screen is open, so the toolbar button (and anything
// else, e.g. a "secret not set" hint) can open the one screen App renders.
import { create } from "zustand";

export const useSecretsScreen = create<{ open: boolean; prefill: string }>(() => ({ open: false, prefill: "" }));

/** Opens the secrets screen, with `name` already in the add form when given. */
export function openSecrets(name = "") {
  useSecretsScreen.setState({ open: true, prefill: name });
}

export function closeSecrets() {
  useSecretsScreen.setState({ open: false, prefill: "" });
}
