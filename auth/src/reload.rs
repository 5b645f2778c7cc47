//! Reloading `service-accounts.yaml` and the key set while serving.
//!
//! The binary turns SIGHUP into a call of [`ReloadTrigger::reload`]; tests call it directly
//! and get the outcome back, so they need no signals and no sleeps. A registry that fails to
//! load, validate or cross-check is refused and the old one stays in force
//! (`service_accounts_reload_failed`); the same holds for the key set (`keys_reload_failed`).

use tokio::sync::{mpsc, oneshot};

/// What a reload did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReloadOutcome {
    /// The number of accounts now in force, or why the new file was refused.
    pub registry: Result<usize, String>,
    /// The published kids now in force (the key that signed when the directory was written
    /// first, then a staged key, then earlier keys), or why the key set was refused.
    pub keys: Result<Vec<String>, String>,
}

/// Asks a running server to reload. Cheap to clone.
#[derive(Debug, Clone)]
pub struct ReloadTrigger(mpsc::Sender<oneshot::Sender<ReloadOutcome>>);

/// The server's end of a [`reload_channel`]; give it to [`crate::AuthOptions::with_reload`].
#[derive(Debug)]
pub struct ReloadRequests(pub(crate) mpsc::Receiver<oneshot::Sender<ReloadOutcome>>);

/// A trigger and the requests it sends.
pub fn reload_channel() -> (ReloadTrigger, ReloadRequests) {
    let (sender, receiver) = mpsc::channel(4);
    (ReloadTrigger(sender), ReloadRequests(receiver))
}

impl ReloadTrigger {
    /// Reloads and waits for the outcome; `None` when the server is not running.
    pub async fn reload(&self) -> Option<ReloadOutcome> {
        let (reply, outcome) = oneshot::channel();
        self.0.send(reply).await.ok()?;
        outcome.await.ok()
    }
}
