//! Graceful shutdown: a flag that SIGINT/SIGTERM set; the worker stops taking batches and
//! lets the one in flight commit or roll back.

use tokio::sync::watch;

/// A cloneable shutdown signal.
#[derive(Debug, Clone)]
pub struct Shutdown {
    rx: watch::Receiver<bool>,
}

/// Requests a shutdown.
#[derive(Debug, Clone)]
pub struct ShutdownTrigger {
    tx: std::sync::Arc<watch::Sender<bool>>,
}

impl Shutdown {
    /// A signal and the trigger that sets it.
    pub fn new() -> (Shutdown, ShutdownTrigger) {
        let (tx, rx) = watch::channel(false);
        (Shutdown { rx }, ShutdownTrigger { tx: std::sync::Arc::new(tx) })
    }

    /// A signal that never fires.
    pub fn never() -> Shutdown {
        Shutdown::new().0
    }

    pub fn is_requested(&self) -> bool {
        *self.rx.borrow()
    }

    /// Resolves once a shutdown is requested (never, once every trigger is gone unfired).
    pub async fn requested(&self) {
        let mut rx = self.rx.clone();
        if rx.wait_for(|v| *v).await.is_err() {
            std::future::pending::<()>().await;
        }
    }

    /// Sleeps for `d`, or less if a shutdown is requested meanwhile; true if it was.
    pub async fn sleep(&self, d: std::time::Duration) -> bool {
        tokio::select! {
            _ = tokio::time::sleep(d) => self.is_requested(),
            _ = self.requested() => true,
        }
    }
}

impl ShutdownTrigger {
    pub fn trigger(&self) {
        let _ = self.tx.send(true);
    }
}

/// Sets the returned signal on the first SIGINT or SIGTERM; exits the process (status 130)
/// on the second. Must be called inside a tokio runtime.
pub fn on_signals() -> Shutdown {
    let (shutdown, trigger) = Shutdown::new();
    tokio::spawn(async move {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                return;
            }
        };
        for n in 0.. {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            if n == 0 {
                tracing::info!("shutting down: finishing the batches in flight (signal again to abort them)");
                trigger.trigger();
            } else {
                tracing::warn!("aborted: the batches in flight are rolled back");
                std::process::exit(130);
            }
        }
    });
    shutdown
}
