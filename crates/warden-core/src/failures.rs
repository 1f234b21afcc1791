//! Lock-outs after repeated failures: the MFA code guesser's limit and the
//! SAML decryption oracle's. Memory only: a restart forgets the counts, and
//! each node counts alone (docs/security-choices.md).

use std::collections::HashMap;

/// When a key is locked: after `max_failures` failures within `window`
/// seconds, for `lockout` seconds, doubled by each further lock-out without
/// a success in between, up to `max_lockout`.
#[derive(Debug, Clone, Copy)]
pub struct FailurePolicy {
    /// Failures within the window that lock a key.
    pub max_failures: u32,
    /// Failures older than this are forgotten (seconds).
    pub window: u64,
    /// The first lock-out (seconds).
    pub lockout: u64,
    /// The longest lock-out (seconds).
    pub max_lockout: u64,
}

#[derive(Debug, Clone, Default)]
struct FailureCount {
    failures: u32,
    first_failure: u64,
    lockouts: u32,
    locked_until: u64,
}

/// Failure counts per key under one [`FailurePolicy`]. Times are monotonic
/// seconds ([`monotonic_secs`]).
#[derive(Debug)]
pub struct FailureLimiter {
    policy: FailurePolicy,
    counts: HashMap<String, FailureCount>,
}

impl FailureLimiter {
    /// An empty limiter.
    pub fn new(policy: FailurePolicy) -> Self {
        Self {
            policy,
            counts: HashMap::new(),
        }
    }

    /// Whether any of `keys` is locked at `now`.
    pub fn locked(&self, keys: &[&str], now: u64) -> bool {
        keys.iter()
            .filter_map(|k| self.counts.get(*k))
            .any(|c| now < c.locked_until)
    }

    /// Counts one failure against each of `keys`.
    pub fn fail(&mut self, keys: &[&str], now: u64) {
        let p = self.policy;
        if self.counts.len() > 100_000 {
            // Bounded: drop entries that neither lock nor count any more.
            self.counts
                .retain(|_, c| now < c.locked_until || now < c.first_failure + p.window);
        }
        for key in keys {
            let c = self.counts.entry((*key).to_string()).or_default();
            if c.failures == 0 || now >= c.first_failure + p.window {
                c.failures = 0;
                c.first_failure = now;
            }
            c.failures += 1;
            if c.failures >= p.max_failures {
                let factor = 1u64 << c.lockouts.min(16);
                c.locked_until = now + (p.lockout.saturating_mul(factor)).min(p.max_lockout);
                c.lockouts = c.lockouts.saturating_add(1);
                c.failures = 0;
            }
        }
    }

    /// A success: forgets the failures of `keys`.
    pub fn succeed(&mut self, keys: &[&str]) {
        for key in keys {
            self.counts.remove(*key);
        }
    }
}

/// Monotonic seconds since the first call (wall-clock jumps must neither
/// end nor extend a lock-out).
pub fn monotonic_secs() -> u64 {
    static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    START
        .get_or_init(std::time::Instant::now)
        .elapsed()
        .as_secs()
}
