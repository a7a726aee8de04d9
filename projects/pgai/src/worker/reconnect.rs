//! Losing the database: which errors mean the connection (or the whole server) went away, the
//! backoff before trying again, and dropping the pool's dead connections.
//!
//! A worker that is not `--once` retries after this backoff (from half a second up to
//! [`MAX_BACKOFF`]) rather than after its poll interval (minutes): its batches were rolled
//! back by the server, their keys are still queued, there is nothing else to wait for.

use sqlx::PgPool;
use std::time::Duration;

const FIRST_BACKOFF: Duration = Duration::from_millis(500);
pub const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Whether `e` means the session is gone: the socket closed or failed, the server shutting
/// down or not accepting connections yet (SQLSTATE class 08, 57P01 to 57P03), the pool
/// unable to connect.
pub fn is_connection_lost(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_) | sqlx::Error::Tls(_) | sqlx::Error::PoolTimedOut | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => {
            db.code().is_some_and(|c| c.starts_with("08") || matches!(c.as_ref(), "57P01" | "57P02" | "57P03"))
        }
        _ => false,
    }
}

/// Exponential backoff between reconnection attempts.
#[derive(Debug, Default)]
pub struct Backoff {
    failures: u32,
}

impl Backoff {
    /// The wait before the next attempt: 0.5 s, 1 s, 2 s... up to [`MAX_BACKOFF`].
    pub fn next_wait(&mut self) -> Duration {
        let wait = FIRST_BACKOFF.saturating_mul(2u32.saturating_pow(self.failures.min(16))).min(MAX_BACKOFF);
        self.failures += 1;
        wait
    }

    pub fn reset(&mut self) {
        self.failures = 0;
    }
}

/// Closes the pool's idle connections. After a server restart they are all dead, and the
/// pool (which does not test a connection before handing it out) would fail one batch per
/// dead connection before noticing.
pub async fn drop_idle(pool: &PgPool) {
    for _ in 0..pool.num_idle() {
        let Some(conn) = pool.try_acquire() else { break };
        let _ = tokio::time::timeout(Duration::from_secs(1), conn.close()).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let mut b = Backoff::default();
        let waits: Vec<u64> = (0..9).map(|_| b.next_wait().as_millis() as u64).collect();
        assert_eq!(waits, [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
        b.reset();
        assert_eq!(b.next_wait(), FIRST_BACKOFF);
    }

    #[test]
    fn connection_errors_are_recognised() {
        let io = sqlx::Error::Io(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "eof"));
        assert!(is_connection_lost(&io));
        assert!(is_connection_lost(&sqlx::Error::PoolTimedOut));
        assert!(!is_connection_lost(&sqlx::Error::RowNotFound));
        assert!(!is_connection_lost(&sqlx::Error::Protocol("x".into())));
    }
}
