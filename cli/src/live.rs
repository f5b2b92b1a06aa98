//! Collecting live data on this host: `pxl run --live` and `pxl demo`.

use pxl_carnot::TableStore;
use pxl_stdlib::runtime::metadata::Metadata;
use pxl_stirling::{Collectors, Config};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Parses `15s`, `500ms`, `2m`, `1m30s` or a bare number of seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let t = s.trim();
    let bad = || format!("`{s}` is not a duration (use e.g. 15s, 500ms, 2m or 1m30s)");
    if let Ok(secs) = t.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    let mut total = Duration::ZERO;
    let mut rest = t;
    if rest.is_empty() {
        return Err(bad());
    }
    while !rest.is_empty() {
        let digits = rest.chars().take_while(char::is_ascii_digit).count();
        if digits == 0 {
            return Err(bad());
        }
        let n: u64 = rest[..digits].parse().map_err(|_| bad())?;
        rest = &rest[digits..];
        let unit_len = rest.chars().take_while(char::is_ascii_alphabetic).count();
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        total += match unit {
            "ms" => Duration::from_millis(n),
            "s" => Duration::from_secs(n),
            "m" => Duration::from_secs(n * 60),
            "h" => Duration::from_secs(n * 3600),
            _ => return Err(bad()),
        };
    }
    Ok(total)
}

/// What a live collection produced.
pub struct Collected {
    pub store: Arc<TableStore>,
    pub metadata: Metadata,
    pub ebpf_error: Option<String>,
}

/// Set by Ctrl-C: stop collecting early and go on with what was collected.
/// A second Ctrl-C exits at once.
pub fn interrupt_flag() -> Arc<AtomicBool> {
    let flag = Arc::new(AtomicBool::new(false));
    let _ = signal_hook::flag::register_conditional_shutdown(
        signal_hook::consts::SIGINT,
        130,
        flag.clone(),
    );
    let _ = signal_hook::flag::register(signal_hook::consts::SIGINT, flag.clone());
    flag
}

/// Starts the collectors, calls `during` once they run, waits for
/// `duration` (or Ctrl-C), stops them and returns the store.
pub fn collect(
    duration: Duration,
    interrupted: &AtomicBool,
    mut during: impl FnMut(&Collectors),
    mut tick: impl FnMut(Duration),
) -> Collected {
    let store = Arc::new(TableStore::for_collectors());
    let collectors = Collectors::start(Config::default(), store.clone());
    let ebpf_error = collectors.ebpf_error.clone();
    during(&collectors);
    let start = Instant::now();
    let mut last_tick = Duration::ZERO;
    while start.elapsed() < duration && !interrupted.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(50));
        let e = start.elapsed();
        if e - last_tick >= Duration::from_secs(1) {
            last_tick = e;
            tick(e);
        }
    }
    let metadata = collectors.metadata();
    let _report = collectors.stop();
    Collected {
        store,
        metadata,
        ebpf_error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("15s"), Ok(Duration::from_secs(15)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("7"), Ok(Duration::from_secs(7)));
        assert!(parse_duration("").is_err());
        assert!(parse_duration("5x").is_err());
        assert!(parse_duration("s").is_err());
    }
}
