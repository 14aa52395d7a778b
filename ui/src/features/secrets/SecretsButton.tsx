// The toolbar button that opens the secrets screen.
import { TrustIcon } from "../trust/icons";
import { openSecrets } from "./screen";

export function SecretsButton() {
  return (
    <button className="btn icon" onClick={() => openSecrets()} title="Secrets (keychain)" aria-label="Secrets" data-testid="secrets-button">
      <TrustIcon.key />
    </button>
  );
}
