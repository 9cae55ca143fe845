//! Slowing and bounding failed sign-ins, per isolate: a pure table the edge keeps in memory.
//!
//! Before checking a token, the edge asks [`SignInThrottle::check`]: a client (an IP address,
//! IPv6 by its /64, see [`client_key`]) with [`MAX_FAILURES`] failures in the last
//! [`WINDOW_SECS`] is refused without the token being looked at. After a wrong token,
//! [`SignInThrottle::record_failure`] says how long to wait before answering: 1 s, then 2, 4
//! and 8 s, and 8 s for everyone while the isolate as a whole sees more than
//! [`MAX_GLOBAL_FAILURES`] failures in a window (guessing from many addresses). The table holds
//! at most [`MAX_CLIENTS`] clients: when full, the stalest is forgotten.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::time::Duration;

/// How long failures are remembered: a client's count resets this long after its last failure.
pub const WINDOW_SECS: u64 = 15 * 60;

/// Failures within the window after which a client is refused until the window passes.
pub const MAX_FAILURES: u32 = 10;

/// Failures within a window, all clients together, past which every failure waits the longest.
pub const MAX_GLOBAL_FAILURES: u32 = 100;

/// Most clients remembered at once.
pub const MAX_CLIENTS: usize = 1_000;

/// Longest client key kept, in bytes (an IPv6 address is at most 45).
const MAX_KEY_LEN: usize = 64;

/// The wait after the first failure; it doubles with each failure up to [`MAX_DELAY`].
const FIRST_DELAY: Duration = Duration::from_secs(1);

/// The longest wait before a failed sign-in's answer.
const MAX_DELAY: Duration = Duration::from_secs(8);

/// A sign-in refused without looking at the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "too many failed sign-ins from your address; try again in {} minute(s)",
    retry_after.div_ceil(60)
)]
pub struct Refused {
    /// Seconds until sign-in is allowed again (for `Retry-After`).
    pub retry_after: u64,
}

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last: u64,
}

/// Failed sign-ins per client over time, bounded in memory.
#[derive(Debug, Default)]
pub struct SignInThrottle {
    clients: HashMap<String, Failures>,
    /// All clients' failures in the current global window, which starts at `.last`.
    global: Option<Failures>,
}

/// The throttle's key for a client address: an IPv6 address by its /64 (one subscriber's
/// prefix), anything else as it is, cut to 64 bytes.
pub fn client_key(address: &str) -> String {
    let address = address.trim();
    match address.parse::<IpAddr>() {
        Ok(IpAddr::V6(v6)) if v6.to_ipv4_mapped().is_none() => {
            let s = v6.segments();
            format!("{}/64", Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
        Ok(IpAddr::V6(v6)) => v6
            .to_ipv4_mapped()
            .map_or_else(String::new, |v4| v4.to_string()),
        Ok(IpAddr::V4(v4)) => v4.to_string(),
        Err(_) => {
            let end = (0..=address.len().min(MAX_KEY_LEN))
                .rev()
                .find(|&i| address.is_char_boundary(i))
                .unwrap_or(0);
            address[..end].to_owned()
        }
    }
}

impl SignInThrottle {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether `client` may try to sign in at `now` (Unix seconds).
    pub fn check(&self, client: &str, now: u64) -> Result<(), Refused> {
        match self.current(client, now) {
            Some(f) if f.count >= MAX_FAILURES => Err(Refused {
                retry_after: (f.last + WINDOW_SECS).saturating_sub(now).max(1),
            }),
            _ => Ok(()),
        }
    }

    /// Records a failed sign-in by `client` at `now`, and says how long to wait before answering.
    pub fn record_failure(&mut self, client: &str, now: u64) -> Duration {
        let count = self
            .current(client, now)
            .map_or(0, |f| f.count)
            .saturating_add(1);
        let key = client_key(client);
        if !self.clients.contains_key(&key) && self.clients.len() >= MAX_CLIENTS {
            self.make_room(now);
        }
        self.clients.insert(key, Failures { count, last: now });
        let global = match self.global {
            Some(g) if now.saturating_sub(g.last) < WINDOW_SECS => Failures {
                count: g.count.saturating_add(1),
                last: g.last,
            },
            _ => Failures {
                count: 1,
                last: now,
            },
        };
        self.global = Some(global);
        if global.count > MAX_GLOBAL_FAILURES {
            return MAX_DELAY;
        }
        let doublings = count.saturating_sub(1).min(3);
        (FIRST_DELAY * 2u32.pow(doublings)).min(MAX_DELAY)
    }

    /// Forgets `client`'s failures after it signed in.
    pub fn record_success(&mut self, client: &str) {
        self.clients.remove(&client_key(client));
    }

    /// How many clients are remembered.
    pub fn len(&self) -> usize {
        self.clients.len()
    }

    /// Whether no client is remembered.
    pub fn is_empty(&self) -> bool {
        self.clients.is_empty()
    }

    /// The client's failures still within the window at `now`.
    fn current(&self, client: &str, now: u64) -> Option<Failures> {
        self.clients
            .get(&client_key(client))
            .copied()
            .filter(|f| now.saturating_sub(f.last) < WINDOW_SECS)
    }

    /// Drops every client whose window has passed, or else the one whose last failure is oldest.
    fn make_room(&mut self, now: u64) {
        self.clients
            .retain(|_, f| now.saturating_sub(f.last) < WINDOW_SECS);
        if self.clients.len() >= MAX_CLIENTS {
            let stalest = self
                .clients
                .iter()
                .min_by_key(|(_, f)| f.last)
                .map(|(k, _)| k.clone());
            if let Some(key) = stalest {
                self.clients.remove(&key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_795_608_000;
    const IP: &str = "203.0.113.7";

    fn secs(d: Duration) -> u64 {
        d.as_secs()
    }

    #[test]
    fn each_failure_waits_longer_up_to_8_seconds() {
        let mut t = SignInThrottle::new();
        let waits: Vec<u64> = (0..9)
            .map(|i| secs(t.record_failure(IP, NOW + i)))
            .collect();
        assert_eq!(waits, [1, 2, 4, 8, 8, 8, 8, 8, 8]);
    }

    #[test]
    fn ten_failures_refuse_until_the_window_passes() {
        let mut t = SignInThrottle::new();
        for i in 0..MAX_FAILURES - 1 {
            t.record_failure(IP, NOW + u64::from(i));
            assert_eq!(t.check(IP, NOW + u64::from(i)), Ok(()));
        }
        let last = NOW + 100;
        t.record_failure(IP, last);
        let refused = t.check(IP, last);
        assert_eq!(
            refused,
            Err(Refused {
                retry_after: WINDOW_SECS
            })
        );
        assert_eq!(
            refused.map_err(|e| e.to_string()),
            Err("too many failed sign-ins from your address; try again in 15 minute(s)".into())
        );
        assert_eq!(
            t.check(IP, last + WINDOW_SECS - 1),
            Err(Refused { retry_after: 1 })
        );
        assert_eq!(t.check(IP, last + WINDOW_SECS), Ok(()));
        // Another address is not affected.
        assert_eq!(t.check("203.0.113.8", last), Ok(()));
        // After the window the count starts again.
        assert_eq!(secs(t.record_failure(IP, last + WINDOW_SECS)), 1);
    }

    #[test]
    fn a_success_forgets_the_failures() {
        let mut t = SignInThrottle::new();
        for _ in 0..5 {
            t.record_failure(IP, NOW);
        }
        t.record_success(IP);
        assert!(t.is_empty());
        assert_eq!(secs(t.record_failure(IP, NOW)), 1);
    }

    #[test]
    fn ipv6_is_throttled_by_its_64_prefix() {
        assert_eq!(client_key("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
        assert_eq!(client_key(" 2001:DB8:1:2:bbbb::2 "), "2001:db8:1:2::/64");
        assert_eq!(client_key("::ffff:203.0.113.7"), IP);
        assert_eq!(client_key(IP), IP);
        assert_eq!(client_key("not an ip"), "not an ip");
        assert_eq!(client_key(&"é".repeat(100)).len(), 64);
        assert_eq!(client_key(&"a".repeat(100)).len(), 64);
        let mut t = SignInThrottle::new();
        for i in 0..MAX_FAILURES {
            t.record_failure(&format!("2001:db8:1:2::{i:x}"), NOW);
        }
        assert!(t.check("2001:db8:1:2:ffff::9", NOW).is_err());
        assert!(t.check("2001:db8:1:3::1", NOW).is_ok());
    }

    #[test]
    fn many_failing_clients_slow_everyone() {
        let mut t = SignInThrottle::new();
        for i in 0..MAX_GLOBAL_FAILURES {
            let ip = format!("198.51.100.{}", i % 250);
            assert!(secs(t.record_failure(&ip, NOW)) <= 2);
        }
        assert_eq!(secs(t.record_failure("192.0.2.1", NOW + 1)), 8);
        // A new global window after the old one passes.
        assert_eq!(secs(t.record_failure("192.0.2.2", NOW + WINDOW_SECS)), 1);
    }

    #[test]
    fn memory_is_bounded() {
        let mut t = SignInThrottle::new();
        for i in 0..(MAX_CLIENTS as u64 * 3) {
            t.record_failure(&format!("client-{i}"), NOW + i / 100);
            assert!(t.len() <= MAX_CLIENTS);
        }
        assert_eq!(t.len(), MAX_CLIENTS);
        // The stalest went first: the newest clients are still remembered.
        for _ in 0..MAX_FAILURES {
            t.record_failure("client-2999", NOW + 30);
        }
        assert!(t.check("client-2999", NOW + 30).is_err());
        assert_eq!(t.len(), MAX_CLIENTS);
        // Expired clients are dropped when room is needed.
        t.record_failure("late", NOW + 30 + WINDOW_SECS);
        assert!(t.len() < 100, "{}", t.len());
    }
}
