//! Secrets (API keys), resolved as pgai 0.7 resolves them:
//!
//! 1. a value cached in this session (unless `use_cache => false`, which also evicts it);
//! 2. the setting `ai.<lower(name)>` (no permission check: the session set it);
//! 3. the permission check: a row `*` or `<name>` in `ai.secret_permissions` for the current
//!    user, else an error, before anything below is read;
//! 4. the server's environment variable `<UPPER(NAME)>`, unless `ai.secret_env_enabled` is set
//!    to anything but `true`;
//! 5. the executor at `ai.external_functions_executor_url`, if set (see providers::executor);
//! 6. none.
//!
//! A value found is cached for the session; none is never cached. `ai.reveal_secret` and each
//! model function keep caches of their own (pgai keeps one per plpython function). Errors name
//! the secret, never its value.

use crate::call::{call_with_transport_retries, plpy_error, setting};
use pgrx::prelude::*;
use providers::executor::{self, SecretAnswer};
use std::cell::RefCell;
use std::collections::HashMap;
use std::time::Duration;

thread_local! {
    /// (cache owner, secret name) -> value, for this backend's session.
    static CACHE: RefCell<HashMap<(&'static str, String), String>> = RefCell::new(HashMap::new());
}

/// The cache of `ai.reveal_secret` itself.
const REVEAL_SECRET: &str = "reveal_secret";

/// Resolves `name` as described above, with the cache of `owner`.
pub fn reveal(owner: &'static str, name: &str, use_cache: bool) -> Option<String> {
    let key = (owner, name.to_string());
    if use_cache {
        if let Some(v) = CACHE.with(|c| c.borrow().get(&key).cloned()) {
            return Some(v);
        }
    } else {
        CACHE.with(|c| c.borrow_mut().remove(&key));
    }
    let value = resolve(name);
    if let (true, Some(v)) = (use_cache, &value) {
        CACHE.with(|c| c.borrow_mut().insert(key, v.clone()));
    }
    value
}

fn resolve(name: &str) -> Option<String> {
    if let Some(v) = setting(&format!("ai.{}", name.to_lowercase())) {
        return Some(v);
    }
    if !permitted(name) {
        plpy_error(&format!("user does not have access to secret '{name}'"), None);
    }
    if env_enabled() {
        if let Ok(v) = std::env::var(name.to_uppercase()) {
            return Some(v);
        }
    }
    setting("ai.external_functions_executor_url").and_then(|url| from_executor(&url, name))
}

/// Whether the current user may read `name`: a row `*` or `name` in the view
/// ai.secret_permissions (the rows of roles it is a member of).
fn permitted(name: &str) -> bool {
    Spi::get_one_with_args::<bool>(
        "select exists (select 1 from ai.secret_permissions p \
         where p.name operator(pg_catalog.=) '*' or p.name operator(pg_catalog.=) $1)",
        &[name.into()],
    )
    .unwrap_or_else(|e| error!("{e}"))
    .unwrap_or(false)
}

/// `ai.secret_env_enabled`: unset counts as `true`; anything but `true` turns the environment off.
fn env_enabled() -> bool {
    setting("ai.secret_env_enabled").is_none_or(|v| v == "true")
}

fn from_executor(url: &str, name: &str) -> Option<String> {
    let http = providers::blocking::client();
    let answer = call_with_transport_retries(
        3,
        Duration::from_secs(10),
        |tries, elapsed, wait| {
            warning!(
                "reveal secret '{name}' retry: {tries} elapsed: {:.3} wait: {:.3}...",
                elapsed.as_secs_f64(),
                wait.as_secs_f64()
            )
        },
        || executor::fetch_secret(&http, url, name),
    );
    match answer {
        SecretAnswer::Found(v) => v,
        SecretAnswer::NotFound => None,
        SecretAnswer::Failed { status, body } => {
            plpy_error(&format!("failed to reveal secret '{name}': {status}"), Some(body))
        }
    }
}

/// The key for a model call: the explicit `api_key`, else the secret `api_key_name` (or the
/// function's default name) resolved with the cache of `owner`; an error when there is none.
pub fn resolve_key(
    owner: &'static str,
    api_key: Option<&str>,
    api_key_name: Option<&str>,
    default_name: &str,
) -> String {
    match find_key(owner, api_key, api_key_name, default_name) {
        Some(k) => k,
        None => {
            let name = api_key_name.unwrap_or(default_name);
            plpy_error(
                &format!("missing {name} secret"),
                Some(format!(
                    "pass api_key, run `set ai.{} = '...'`, or set the environment variable {} for the server and grant it with ai.grant_secret",
                    name.to_lowercase(),
                    name.to_uppercase()
                )),
            );
        }
    }
}

/// Like [`resolve_key`], but none found is `None`.
pub fn find_key(
    owner: &'static str,
    api_key: Option<&str>,
    api_key_name: Option<&str>,
    default_name: &str,
) -> Option<String> {
    if let Some(k) = api_key.filter(|k| !k.is_empty()) {
        return Some(k.to_string());
    }
    let name = api_key_name.unwrap_or(default_name);
    if name.is_empty() {
        plpy_error("secret_name is required", None);
    }
    reveal(owner, name, true)
}

/// The key for a server that may not need one (an OpenAI-compatible server at another base
/// URL): as [`find_key`], except that a secret the user may not read counts as none.
pub fn optional_key(
    owner: &'static str,
    api_key: Option<&str>,
    api_key_name: Option<&str>,
    default_name: &str,
) -> Option<String> {
    if let Some(k) = api_key.filter(|k| !k.is_empty()) {
        return Some(k.to_string());
    }
    let name = api_key_name.unwrap_or(default_name);
    if name.is_empty() || !(setting(&format!("ai.{}", name.to_lowercase())).is_some() || permitted(name)) {
        return None;
    }
    reveal(owner, name, true)
}

#[pg_extern(stable, create_or_replace)]
fn reveal_secret(secret_name: &str, use_cache: default!(bool, true)) -> Option<String> {
    reveal(REVEAL_SECRET, secret_name, use_cache)
}

fn valid_name(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
}

/// Whether `secret_name` is set in the server's environment and the current user may not read
/// it (no row of `ai.secret_permissions` grants it). Session settings do not count: a vectorizer
/// that names such a secret would be embedded by the in-database worker with the server's value.
#[pg_extern(stable, create_or_replace, schema = "ai_extra")]
fn _secret_env_forbidden(secret_name: &str) -> bool {
    if !valid_name(secret_name) {
        error!("invalid secret name {secret_name:?}: use letters, digits, _ and . only");
    }
    let in_env = |n: &str| matches!(std::env::var(n), Ok(v) if !v.is_empty());
    (in_env(secret_name) || in_env(&secret_name.to_uppercase())) && !permitted(secret_name)
}
