//! API keys: from the worker's environment (the embedding config's `api_key_name`), else
//! from the database (`ai.reveal_secret`). Key values are never logged.

use sqlx::PgConnection;
use std::fmt;
use std::sync::Arc;

/// Where the worker looks up environment variables (the process environment, or a fixed map
/// in tests).
#[derive(Clone)]
pub struct Env(Arc<Lookup>);

type Lookup = dyn Fn(&str) -> Option<String> + Send + Sync;

impl Env {
    /// The process environment.
    pub fn process() -> Env {
        Env(Arc::new(|name| std::env::var(name).ok()))
    }

    /// Fixed variables, nothing else.
    pub fn fixed<I, K, V>(vars: I) -> Env
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        let vars: Vec<(String, String)> = vars.into_iter().map(|(k, v)| (k.into(), v.into())).collect();
        Env(Arc::new(move |name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())))
    }

    pub fn get(&self, name: &str) -> Option<String> {
        (self.0)(name).filter(|v| !v.is_empty())
    }
}

impl Default for Env {
    fn default() -> Self {
        Env::process()
    }
}

impl fmt::Debug for Env {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Env(..)")
    }
}

/// The secret `name`: the environment variable, else `ai.reveal_secret(name)` (which reads
/// the session settings and, where permitted, the server's environment). `None` when neither
/// has it (or the function is missing).
pub async fn lookup(conn: &mut PgConnection, env: &Env, name: &str) -> Option<String> {
    if let Some(v) = env.get(name) {
        return Some(v);
    }
    match sqlx::query_scalar::<_, Option<String>>("select ai.reveal_secret($1)").bind(name).fetch_one(conn).await {
        Ok(v) => v.filter(|v| !v.is_empty()),
        Err(e) => {
            tracing::debug!(secret = name, error = %e, "ai.reveal_secret failed");
            None
        }
    }
}
