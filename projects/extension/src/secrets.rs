//! API keys ("secrets"): the `api_key` argument, else the session setting `ai.<name>`, else the
//! server's environment variable `<NAME>` when `ai.secret_permissions` grants it to the current
//! user and `ai.secret_env_enabled` is not false. Errors name the secret, never its value.

use pgrx::prelude::*;

fn valid_name(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
}

use crate::call::setting;

fn env_permitted(name: &str) -> bool {
    Spi::get_one_with_args::<bool>(
        "select exists (select 1 from ai.secret_permissions p where p.name operator(pg_catalog.=) $1 or p.name operator(pg_catalog.=) '*')",
        &[name.into()],
    )
    .ok()
    .flatten()
    .unwrap_or(false)
}

/// Where a secret lookup ended: a value, or why there is none.
pub enum Lookup {
    Found(String),
    Missing,
    /// The variable exists in the server's environment, but the user may not read it.
    Forbidden,
}

pub fn lookup(name: &str) -> Lookup {
    if !valid_name(name) {
        error!("invalid secret name {name:?}: use letters, digits, _ and . only");
    }
    if let Some(v) = setting(&format!("ai.{}", name.to_lowercase())) {
        return Lookup::Found(v);
    }
    if setting("ai.secret_env_enabled").is_some_and(|v| v.eq_ignore_ascii_case("false") || v == "off" || v == "0") {
        return Lookup::Missing;
    }
    match std::env::var(name) {
        Ok(v) if !v.is_empty() => {
            if env_permitted(name) {
                Lookup::Found(v)
            } else {
                Lookup::Forbidden
            }
        }
        _ => Lookup::Missing,
    }
}

/// The key for a model call: the explicit argument, else the named secret; a clear error otherwise.
pub fn resolve_key(api_key: Option<&str>, api_key_name: Option<&str>, default_name: &str) -> String {
    match find_key(api_key, api_key_name, default_name) {
        Some(k) => k,
        None => error!(
            "missing API key: secret {name} is not set; pass api_key, run `set ai.{lower} = '...'`, or set the environment variable {name} for the server and grant it with ai.grant_secret",
            name = api_key_name.unwrap_or(default_name),
            lower = api_key_name.unwrap_or(default_name).to_lowercase()
        ),
    }
}

/// Like [`resolve_key`], but a missing secret is `None` (for servers that need no key); a
/// secret the user may not read is still an error.
pub fn find_key(api_key: Option<&str>, api_key_name: Option<&str>, default_name: &str) -> Option<String> {
    if let Some(k) = api_key.filter(|k| !k.is_empty()) {
        return Some(k.to_string());
    }
    let name = api_key_name.unwrap_or(default_name);
    match lookup(name) {
        Lookup::Found(v) => Some(v),
        Lookup::Missing => None,
        Lookup::Forbidden => error!(
            "permission denied for secret {name}: ask an administrator to run select ai.grant_secret('{name}', '<your role>')"
        ),
    }
}

#[pg_extern(stable, create_or_replace)]
fn reveal_secret(secret_name: &str, use_cache: default!(bool, true)) -> Option<String> {
    // Settings and the environment are read directly each time: there is nothing worth caching.
    let _ = use_cache;
    match lookup(secret_name) {
        Lookup::Found(v) => Some(v),
        Lookup::Missing | Lookup::Forbidden => None,
    }
}

/// Whether `secret_name` is set in the server's environment and the current user may not read
/// it (no row of `ai.secret_permissions` grants it). Session settings do not count: a vectorizer
/// that names such a secret would be embedded by the in-database worker with the server's value.
#[pg_extern(stable, create_or_replace)]
fn _secret_env_forbidden(secret_name: &str) -> bool {
    if !valid_name(secret_name) {
        error!("invalid secret name {secret_name:?}: use letters, digits, _ and . only");
    }
    matches!(std::env::var(secret_name), Ok(v) if !v.is_empty()) && !env_permitted(secret_name)
}
