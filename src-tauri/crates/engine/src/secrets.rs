//! Secrets: `{{secret:NAME}}` in an `http` agent's headers or an `llm`
//! agent's `api_key`.
//!
//! A secret's value comes, at run time, from the OS keychain (service
//! [`KEYCHAIN_SERVICE`], account `NAME`; the `keyring` crate: Secret Service
//! on Linux, Keychain on macOS, Credential Manager on Windows) or, failing
//! that, from the environment variable `NAME`. Set `BRAID_KEYCHAIN=off` to
//! skip the keychain entirely (CI, headless machines without a Secret
//! Service).
//!
//! Values never leave memory except inside the request that needs them:
//!
//! - the driver resolves every secret a workflow names *before* anything
//!   runs and registers the values with the run's [`Masker`];
//! - the masker rewrites every event before it is numbered and delivered
//!   (so the store, the progress display, logs of events, reports and
//!   exports only ever see `[secret:NAME]`), and every attempt's report
//!   before the scheduler reads it (so an echoed secret never reaches the
//!   context either);
//! - agents substitute a value only at the moment they build a request, and
//!   mark such headers sensitive (their `Debug` output shows nothing).
//!
//! Keychains cannot list their entries, so [`set_secret`] also keeps an
//! index of names (never values) in one more keychain entry, read by
//! [`list_secrets`].

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, RwLock};

use serde_json::Value;

use crate::events::EventKind;

/// Keychain service name every Braid secret is stored under.
pub const KEYCHAIN_SERVICE: &str = "braid";
/// `BRAID_KEYCHAIN=off` turns keychain lookups off (environment only).
pub const KEYCHAIN_ENV: &str = "BRAID_KEYCHAIN";

// The name grammar lives with the placeholders (braid-model); the keychain side
// re-exports what its callers (the CLI's and the app's secret commands) need.
pub use crate::template::{INDEX_ACCOUNT, is_valid_name};

// --- keychains -------------------------------------------------------------

/// Why the keychain could not answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeychainError {
    /// No usable keychain on this machine (no Secret Service, locked, …).
    #[error("no OS keychain available: {0}")]
    Unavailable(String),
    #[error("keychain error: {0}")]
    Other(String),
}

/// Where secrets are kept. [`OsKeychain`] in real use; [`MemoryKeychain`]
/// in tests.
pub trait Keychain: Send + Sync {
    fn get(&self, name: &str) -> Result<Option<String>, KeychainError>;
    fn set(&self, name: &str, value: &str) -> Result<(), KeychainError>;
    /// Whether there was an entry to delete.
    fn delete(&self, name: &str) -> Result<bool, KeychainError>;
}

/// The operating system's keychain through the `keyring` crate.
#[derive(Debug, Default, Clone, Copy)]
pub struct OsKeychain;

fn keychain_error(e: keyring::Error) -> KeychainError {
    match e {
        keyring::Error::PlatformFailure(err) | keyring::Error::NoStorageAccess(err) => {
            KeychainError::Unavailable(err.to_string())
        }
        other => KeychainError::Other(other.to_string()),
    }
}

impl Keychain for OsKeychain {
    fn get(&self, name: &str) -> Result<Option<String>, KeychainError> {
        let entry = keyring::Entry::new(KEYCHAIN_SERVICE, name).map_err(keychain_error)?;
        match entry.get_password() {
            Ok(value) => Ok(Some(value)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(keychain_error(e)),
        }
    }
    fn set(&self, name: &str, value: &str) -> Result<(), KeychainError> {
        keyring::Entry::new(KEYCHAIN_SERVICE, name)
            .and_then(|entry| entry.set_password(value))
            .map_err(keychain_error)
    }
    fn delete(&self, name: &str) -> Result<bool, KeychainError> {
        let entry = keyring::Entry::new(KEYCHAIN_SERVICE, name).map_err(keychain_error)?;
        match entry.delete_credential() {
            Ok(()) => Ok(true),
            Err(keyring::Error::NoEntry) => Ok(false),
            Err(e) => Err(keychain_error(e)),
        }
    }
}

/// A keychain that is never there (`BRAID_KEYCHAIN=off`).
#[derive(Debug, Default, Clone, Copy)]
pub struct NoKeychain;

impl Keychain for NoKeychain {
    fn get(&self, _: &str) -> Result<Option<String>, KeychainError> {
        Err(KeychainError::Unavailable(format!(
            "turned off by {KEYCHAIN_ENV}=off"
        )))
    }
    fn set(&self, name: &str, _: &str) -> Result<(), KeychainError> {
        self.get(name).map(|_| ())
    }
    fn delete(&self, name: &str) -> Result<bool, KeychainError> {
        self.get(name).map(|_| false)
    }
}

/// An in-memory keychain (tests, previews).
#[derive(Debug, Default)]
pub struct MemoryKeychain {
    entries: Mutex<HashMap<String, String>>,
}

impl Keychain for MemoryKeychain {
    fn get(&self, name: &str) -> Result<Option<String>, KeychainError> {
        Ok(self.entries.lock().expect("lock").get(name).cloned())
    }
    fn set(&self, name: &str, value: &str) -> Result<(), KeychainError> {
        self.entries
            .lock()
            .expect("lock")
            .insert(name.to_string(), value.to_string());
        Ok(())
    }
    fn delete(&self, name: &str) -> Result<bool, KeychainError> {
        Ok(self.entries.lock().expect("lock").remove(name).is_some())
    }
}

/// The keychain this process should use: the OS keychain, unless
/// `BRAID_KEYCHAIN=off`.
pub fn default_keychain() -> Arc<dyn Keychain> {
    match std::env::var(KEYCHAIN_ENV) {
        Ok(v) if v.eq_ignore_ascii_case("off") => Arc::new(NoKeychain),
        _ => Arc::new(OsKeychain),
    }
}

fn bad_name(name: &str) -> KeychainError {
    KeychainError::Other(format!(
        "`{name}` is not a secret name (letters, digits and `_`, not starting with a digit)"
    ))
}

fn read_index(keychain: &dyn Keychain) -> Result<BTreeSet<String>, KeychainError> {
    Ok(keychain
        .get(INDEX_ACCOUNT)?
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default())
}

fn write_index(keychain: &dyn Keychain, names: &BTreeSet<String>) -> Result<(), KeychainError> {
    let text = serde_json::to_string(names).expect("names serialise");
    keychain.set(INDEX_ACCOUNT, &text)
}

/// Stores a secret in the keychain and adds its name to the index.
pub fn set_secret(keychain: &dyn Keychain, name: &str, value: &str) -> Result<(), KeychainError> {
    if !is_valid_name(name) {
        return Err(bad_name(name));
    }
    keychain.set(name, value)?;
    let mut names = read_index(keychain)?;
    if names.insert(name.to_string()) {
        write_index(keychain, &names)?;
    }
    Ok(())
}

/// Deletes a secret from the keychain and the index; whether it existed.
pub fn delete_secret(keychain: &dyn Keychain, name: &str) -> Result<bool, KeychainError> {
    if !is_valid_name(name) {
        return Err(bad_name(name));
    }
    let existed = keychain.delete(name)?;
    let mut names = read_index(keychain)?;
    if names.remove(name) {
        write_index(keychain, &names)?;
    }
    Ok(existed)
}

/// Names of the secrets set through [`set_secret`], sorted (never values).
pub fn list_secrets(keychain: &dyn Keychain) -> Result<Vec<String>, KeychainError> {
    Ok(read_index(keychain)?.into_iter().collect())
}

// --- resolution ------------------------------------------------------------

/// Where a resolved secret came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretOrigin {
    Keychain,
    Environment,
}

/// Looks secrets up by name. Blocking (a keychain may talk to a daemon):
/// call it off the async threads.
pub trait SecretSource: Send + Sync {
    /// `Ok(None)`: not set anywhere. `Err`: a message saying why not.
    fn lookup(&self, name: &str) -> Result<Option<(String, SecretOrigin)>, String>;
}

/// The keychain first, then the environment variable of the same name.
pub struct KeychainThenEnv {
    pub keychain: Arc<dyn Keychain>,
}

impl SecretSource for KeychainThenEnv {
    fn lookup(&self, name: &str) -> Result<Option<(String, SecretOrigin)>, String> {
        let keychain = self.keychain.get(name);
        if let Ok(Some(value)) = keychain {
            return Ok(Some((value, SecretOrigin::Keychain)));
        }
        if let Err(e) = &keychain {
            tracing::debug!(
                secret = name,
                "keychain lookup failed, trying the environment: {e}"
            );
        }
        match std::env::var(name) {
            Ok(value) => Ok(Some((value, SecretOrigin::Environment))),
            Err(_) => match keychain {
                Err(e) => Err(format!(
                    "secret `{name}` is not set: {e}, and there is no environment variable {name}"
                )),
                Ok(_) => Ok(None),
            },
        }
    }
}

/// Fixed values (tests, embedding).
#[derive(Debug, Default, Clone)]
pub struct StaticSecrets(pub HashMap<String, String>);

impl SecretSource for StaticSecrets {
    fn lookup(&self, name: &str) -> Result<Option<(String, SecretOrigin)>, String> {
        Ok(self
            .0
            .get(name)
            .map(|v| (v.clone(), SecretOrigin::Environment)))
    }
}

/// Keychain (unless `BRAID_KEYCHAIN=off`), then environment.
pub fn default_source() -> Arc<dyn SecretSource> {
    Arc::new(KeychainThenEnv {
        keychain: default_keychain(),
    })
}

/// A run's secrets: resolved once, shared with its sub-workflow runs, every
/// value registered with the [`Masker`].
pub struct RunSecrets {
    source: Arc<dyn SecretSource>,
    masker: Arc<Masker>,
    resolved: Mutex<HashMap<String, Result<String, String>>>,
}

impl RunSecrets {
    pub fn new(source: Arc<dyn SecretSource>) -> Arc<Self> {
        Arc::new(Self {
            source,
            masker: Arc::new(Masker::default()),
            resolved: Mutex::new(HashMap::new()),
        })
    }

    pub fn masker(&self) -> &Arc<Masker> {
        &self.masker
    }

    /// Looks up every name not yet resolved (blocking) and registers the
    /// values with the masker.
    pub fn resolve_all<'a>(&self, names: impl IntoIterator<Item = &'a str>) {
        for name in names {
            if self.resolved.lock().expect("lock").contains_key(name) {
                continue;
            }
            let result = match self.source.lookup(name) {
                Ok(Some((value, _))) if value.is_empty() => {
                    Err(format!("secret `{name}` is empty"))
                }
                Ok(Some((value, _))) => Ok(value),
                Ok(None) => Err(format!(
                    "secret `{name}` is not set: not in the keychain and no environment variable {name} (set it with `braid secret set {name}`)"
                )),
                Err(e) => Err(e),
            };
            if let Ok(value) = &result {
                self.masker.register(name, value);
            }
            self.resolved
                .lock()
                .expect("lock")
                .insert(name.to_string(), result);
        }
    }

    /// A resolved value, or why there is none. Names not resolved up front
    /// are looked up now (blocking).
    pub fn get(&self, name: &str) -> Result<String, String> {
        if let Some(result) = self.resolved.lock().expect("lock").get(name) {
            return result.clone();
        }
        self.resolve_all([name]);
        self.resolved
            .lock()
            .expect("lock")
            .get(name)
            .cloned()
            .unwrap_or_else(|| Err(format!("secret `{name}` is not set")))
    }
}

/// Replaces registered secret values with `[secret:NAME]` in text, JSON
/// values and events. Masks the value as is and as it appears inside a JSON
/// string (escaped). Longer values first, so a secret that contains another
/// is masked whole.
#[derive(Debug, Default)]
pub struct Masker {
    /// (needle, replacement), longest needle first.
    needles: RwLock<Vec<(String, String)>>,
}

impl Masker {
    pub fn register(&self, name: &str, value: &str) {
        if value.is_empty() {
            return;
        }
        let replacement = format!("[secret:{name}]");
        let escaped = serde_json::to_string(value).expect("strings serialise");
        let escaped = escaped[1..escaped.len() - 1].to_string();
        let mut needles = self.needles.write().expect("lock");
        for needle in [value.to_string(), escaped] {
            if !needles.iter().any(|(n, _)| *n == needle) {
                needles.push((needle, replacement.clone()));
            }
        }
        needles.sort_by_key(|n| std::cmp::Reverse(n.0.len()));
    }

    pub fn is_empty(&self) -> bool {
        self.needles.read().expect("lock").is_empty()
    }

    /// `text` with every registered value replaced.
    pub fn mask<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let needles = self.needles.read().expect("lock");
        if !needles.iter().any(|(n, _)| text.contains(n.as_str())) {
            return Cow::Borrowed(text);
        }
        let mut out = text.to_string();
        for (needle, replacement) in needles.iter() {
            if out.contains(needle.as_str()) {
                out = out.replace(needle.as_str(), replacement);
            }
        }
        Cow::Owned(out)
    }

    /// Masks every string (and object key) inside a JSON value, in place.
    pub fn mask_value(&self, value: &mut Value) {
        match value {
            Value::String(s) => {
                if let Cow::Owned(masked) = self.mask(s) {
                    *s = masked;
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|v| self.mask_value(v)),
            Value::Object(map) => {
                let needs_key_change = map.keys().any(|k| matches!(self.mask(k), Cow::Owned(_)));
                if needs_key_change {
                    let old = std::mem::take(map);
                    for (k, mut v) in old {
                        self.mask_value(&mut v);
                        map.insert(self.mask(&k).into_owned(), v);
                    }
                } else {
                    map.values_mut().for_each(|v| self.mask_value(v));
                }
            }
            _ => {}
        }
    }

    /// Masks any serde value through JSON; unchanged (and cheap) when no
    /// secret occurs in it.
    pub fn mask_serde<T>(&self, item: T) -> T
    where
        T: serde::Serialize + serde::de::DeserializeOwned,
    {
        if self.is_empty() {
            return item;
        }
        let Ok(text) = serde_json::to_string(&item) else {
            return item;
        };
        if matches!(self.mask(&text), Cow::Borrowed(_)) {
            return item;
        }
        let Ok(mut value) = serde_json::to_value(&item) else {
            return item;
        };
        self.mask_value(&mut value);
        serde_json::from_value(value).unwrap_or(item)
    }

    /// An event with every registered value masked.
    pub fn mask_event(&self, kind: EventKind) -> EventKind {
        self.mask_serde(kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_are_env_like() {
        assert!(is_valid_name("OPENAI_API_KEY"));
        assert!(is_valid_name("_x1"));
        assert!(!is_valid_name("1X"));
        assert!(!is_valid_name("A-B"));
        assert!(!is_valid_name(""));
        // The names index is not a secret anyone may set or read.
        assert!(!is_valid_name(INDEX_ACCOUNT));
    }

    #[test]
    fn the_index_lists_names_set_and_forgets_deleted_ones() {
        let keychain = MemoryKeychain::default();
        set_secret(&keychain, "B_TOKEN", "b").unwrap();
        set_secret(&keychain, "A_TOKEN", "a").unwrap();
        set_secret(&keychain, "A_TOKEN", "a2").unwrap();
        assert_eq!(list_secrets(&keychain).unwrap(), ["A_TOKEN", "B_TOKEN"]);
        assert_eq!(keychain.get("A_TOKEN").unwrap().as_deref(), Some("a2"));
        assert!(delete_secret(&keychain, "A_TOKEN").unwrap());
        assert!(!delete_secret(&keychain, "A_TOKEN").unwrap());
        assert_eq!(list_secrets(&keychain).unwrap(), ["B_TOKEN"]);
        assert!(set_secret(&keychain, "not a name", "x").is_err());
    }

    #[test]
    fn keychain_first_then_environment() {
        let keychain = Arc::new(MemoryKeychain::default());
        keychain.set("BRAID_TEST_KC_ONLY", "from-keychain").unwrap();
        let source = KeychainThenEnv { keychain };
        assert_eq!(
            source.lookup("BRAID_TEST_KC_ONLY").unwrap(),
            Some(("from-keychain".into(), SecretOrigin::Keychain))
        );
        // PATH is always set: found in the environment.
        assert!(matches!(
            source.lookup("PATH").unwrap(),
            Some((_, SecretOrigin::Environment))
        ));
        assert_eq!(source.lookup("BRAID_TEST_SURELY_UNSET_9").unwrap(), None);
        let off = KeychainThenEnv {
            keychain: Arc::new(NoKeychain),
        };
        let err = off.lookup("BRAID_TEST_SURELY_UNSET_9").unwrap_err();
        assert!(err.contains("no OS keychain"), "{err}");
    }

    #[test]
    fn the_masker_replaces_values_in_text_json_and_events() {
        let masker = Masker::default();
        masker.register("TOKEN", "s3cr\"et");
        masker.register("SHORT", "s3cr");
        assert_eq!(masker.mask("a s3cr\"et b"), "a [secret:TOKEN] b");
        assert_eq!(masker.mask("s3cr"), "[secret:SHORT]");
        assert!(matches!(masker.mask("nothing"), Cow::Borrowed(_)));
        let mut value = json!({"k": ["x s3cr\"et"], "s3cr\"et": 1});
        masker.mask_value(&mut value);
        assert_eq!(
            value,
            json!({"k": ["x [secret:TOKEN]"], "[secret:TOKEN]": 1})
        );
        let event = EventKind::Warning {
            step: None,
            message: "echo: s3cr\"et".into(),
        };
        assert_eq!(
            masker.mask_event(event),
            EventKind::Warning {
                step: None,
                message: "echo: [secret:TOKEN]".into()
            }
        );
    }

    #[test]
    fn run_secrets_register_what_they_resolve() {
        let source = StaticSecrets(HashMap::from([("T".to_string(), "value-1".to_string())]));
        let secrets = RunSecrets::new(Arc::new(source));
        secrets.resolve_all(["T", "MISSING"]);
        assert_eq!(secrets.get("T").unwrap(), "value-1");
        assert!(secrets.get("MISSING").unwrap_err().contains("not set"));
        assert_eq!(secrets.masker().mask("x value-1"), "x [secret:T]");
    }
}
