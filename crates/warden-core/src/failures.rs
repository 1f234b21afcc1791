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

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: FailurePolicy = FailurePolicy {
        max_failures: 3,
        window: 60,
        lockout: 10,
        max_lockout: 25,
    };

    #[test]
    fn failures_outside_the_window_are_forgotten() {
        let mut l = FailureLimiter::new(POLICY);
        l.fail(&["k"], 0);
        l.fail(&["k"], 1);
        // The third failure comes after the window: it starts a new count.
        l.fail(&["k"], 61);
        assert!(!l.locked(&["k"], 61));
        l.fail(&["k"], 62);
        l.fail(&["k"], 63);
        assert!(l.locked(&["k"], 63));
    }

    #[test]
    fn lockouts_double_up_to_the_longest() {
        let mut l = FailureLimiter::new(POLICY);
        let mut now = 0;
        for expected in [10, 20, 25, 25] {
            for _ in 0..3 {
                l.fail(&["k"], now);
            }
            assert!(l.locked(&["k"], now + expected - 1), "{expected}");
            assert!(!l.locked(&["k"], now + expected), "{expected}");
            now += expected;
        }
        // A success starts over.
        l.succeed(&["k"]);
        for _ in 0..3 {
            l.fail(&["k"], now);
        }
        assert!(!l.locked(&["k"], now + 10));
    }

    #[test]
    fn memory_stays_bounded_and_locks_survive_the_sweep() {
        let mut l = FailureLimiter::new(POLICY);
        for i in 0..100_001 {
            l.fail(&[&format!("k{i}")], 0);
        }
        for _ in 0..3 {
            l.fail(&["locked"], 95);
        }
        // Past the others' window, the next failure sweeps what neither counts nor locks.
        l.fail(&["late"], 100);
        assert_eq!(l.counts.len(), 2);
        assert!(l.locked(&["locked"], 100));
        assert!(l.counts.contains_key("late"));
    }
}
