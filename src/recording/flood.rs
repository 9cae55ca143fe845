//! Bounding `/collect` per client, per isolate: a pure fixed-window counter the edge keeps in
//! memory, so a flood is answered 429 without a write.

use std::collections::HashMap;

/// Events one client may send per window.
pub const FLOOD_LIMIT: u32 = 60;

/// The window, in milliseconds.
pub const FLOOD_WINDOW_MS: i64 = 60_000;

/// Most clients remembered at once; when full, expired windows are forgotten, then all.
const MAX_CLIENTS: usize = 10_000;

/// Longest client key kept, in bytes.
const MAX_KEY_LEN: usize = 64;

/// Events per client in the current window.
#[derive(Debug, Default)]
pub struct FloodGuard {
    clients: HashMap<String, (i64, u32)>,
}

impl FloodGuard {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Counts one event from `client` at `now_ms`; false when it is over [`FLOOD_LIMIT`] in
    /// this window (refuse it).
    pub fn allow(&mut self, client: &str, now_ms: i64) -> bool {
        let end = (0..=client.len().min(MAX_KEY_LEN))
            .rev()
            .find(|&i| client.is_char_boundary(i))
            .unwrap_or(0);
        let key = &client[..end];
        if !self.clients.contains_key(key) && self.clients.len() >= MAX_CLIENTS {
            self.clients
                .retain(|_, (start, _)| now_ms - *start < FLOOD_WINDOW_MS);
            if self.clients.len() >= MAX_CLIENTS {
                self.clients.clear();
            }
        }
        let entry = self.clients.entry(key.to_owned()).or_insert((now_ms, 0));
        if now_ms - entry.0 >= FLOOD_WINDOW_MS {
            *entry = (now_ms, 0);
        }
        entry.1 = entry.1.saturating_add(1);
        entry.1 <= FLOOD_LIMIT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_gets_the_limit_per_window_then_429_until_the_next_window() {
        let mut guard = FloodGuard::new();
        for i in 0..FLOOD_LIMIT {
            assert!(guard.allow("v1", 1_000 + i64::from(i)), "event {i}");
        }
        assert!(!guard.allow("v1", 2_000));
        assert!(guard.allow("v2", 2_000), "another client is not affected");
        assert!(guard.allow("v1", 1_000 + FLOOD_WINDOW_MS));
    }

    #[test]
    fn memory_is_bounded_under_many_clients() {
        let mut guard = FloodGuard::new();
        for i in 0..(MAX_CLIENTS + 10) {
            assert!(guard.allow(&format!("client-{i}"), 0));
        }
        assert!(guard.clients.len() <= MAX_CLIENTS);
        assert!(guard.allow(&"x".repeat(10_000), 0));
        assert!(guard.clients.keys().all(|k| k.len() <= MAX_KEY_LEN));
    }
}
