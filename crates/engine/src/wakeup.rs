//! A background loop's alarm: it sleeps until woken or until its timeout, whichever
//! comes first; a wake while it runs is kept for its next wait.

use std::sync::{Condvar, Mutex, PoisonError};
use std::time::Duration;

#[derive(Debug)]
pub(crate) struct Wakeup {
    due: Mutex<bool>,
    signal: Condvar,
}

impl Wakeup {
    /// `due`: whether the first wait returns at once.
    pub(crate) fn new(due: bool) -> Self {
        Self {
            due: Mutex::new(due),
            signal: Condvar::new(),
        }
    }

    pub(crate) fn wake(&self) {
        *self.due.lock().unwrap_or_else(PoisonError::into_inner) = true;
        self.signal.notify_all();
    }

    /// Whether a wake waits for the loop's next wait to take it.
    pub(crate) fn is_due(&self) -> bool {
        *self.due.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn wait(&self, timeout: Duration) {
        let due = self.due.lock().unwrap_or_else(PoisonError::into_inner);
        let (mut due, _) = self
            .signal
            .wait_timeout_while(due, timeout, |due| !*due)
            .unwrap_or_else(PoisonError::into_inner);
        *due = false;
    }
}
