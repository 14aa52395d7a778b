//! `braid secret set NAME` (value on stdin) · `braid secret rm NAME` ·
//! `braid secret ls [--json]`
//!
//! Secrets live in the OS keychain under the service `braid`; a step reads
//! one with `{{secret:NAME}}` (http headers, llm api_key). The value is
//! read from stdin, never from the command line, where it would end up in
//! the shell's history and in `ps`. Keychains cannot list their entries, so
//! `ls` reads the index of names `set` keeps (names only).

use std::io::{IsTerminal, Read};

use braid_engine::secrets::{
    KEYCHAIN_ENV, KeychainError, default_keychain, delete_secret, is_valid_name, list_secrets,
    set_secret,
};
use serde_json::json;

use crate::{exit, output};

pub enum Action {
    Set { name: String },
    Rm { name: String },
    Ls { json: bool },
}

pub fn run(action: Action) -> u8 {
    match perform(action) {
        Ok(()) => exit::SUCCESS,
        Err(message) => {
            output::error_line(&message);
            exit::USAGE
        }
    }
}

fn check_name(name: &str) -> Result<(), String> {
    if is_valid_name(name) {
        Ok(())
    } else {
        Err(format!(
            "`{name}` is not a secret name: letters, digits and `_`, not starting with a digit"
        ))
    }
}

fn keychain_failure(name: Option<&str>, e: KeychainError) -> String {
    match (e, name) {
        (KeychainError::Unavailable(why), Some(name)) => format!(
            "no OS keychain available ({why}); at run time Braid reads the environment variable {name} instead, so set that"
        ),
        (KeychainError::Unavailable(why), None) => format!(
            "no OS keychain available ({why}); secrets then come from environment variables of the same name"
        ),
        (other, _) => other.to_string(),
    }
}

fn perform(action: Action) -> Result<(), String> {
    let keychain = default_keychain();
    match action {
        Action::Set { name } => {
            check_name(&name)?;
            let stdin = std::io::stdin();
            if stdin.is_terminal() {
                output::note(&format!(
                    "type the value of {name} and press Enter, then Ctrl-D (set {KEYCHAIN_ENV}=off to skip the keychain)"
                ));
            }
            let mut value = String::new();
            stdin
                .lock()
                .read_to_string(&mut value)
                .map_err(|e| format!("cannot read the value from stdin: {e}"))?;
            let value = value
                .strip_suffix("\r\n")
                .or_else(|| value.strip_suffix('\n'))
                .unwrap_or(&value);
            if value.is_empty() {
                return Err(format!("no value for {name} on stdin; nothing was stored"));
            }
            set_secret(keychain.as_ref(), &name, value)
                .map_err(|e| keychain_failure(Some(&name), e))?;
            output::note(&format!("stored {name} in the keychain"));
            Ok(())
        }
        Action::Rm { name } => {
            check_name(&name)?;
            let existed = delete_secret(keychain.as_ref(), &name)
                .map_err(|e| keychain_failure(Some(&name), e))?;
            if existed {
                output::note(&format!("deleted {name} from the keychain"));
                Ok(())
            } else {
                Err(format!("the keychain holds no secret {name}"))
            }
        }
        Action::Ls { json } => {
            let names = list_secrets(keychain.as_ref()).map_err(|e| keychain_failure(None, e))?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&json!({ "secrets": names }))
                        .expect("JSON values serialise")
                );
            } else {
                for name in names {
                    println!("{name}");
                }
            }
            Ok(())
        }
    }
}
