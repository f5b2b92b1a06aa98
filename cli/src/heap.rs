//! The binary's global allocator, mimalloc, as the planner's
//! [`HeapSource`]: what `px._HeapStats()`, `px._HeapStatsNumeric()` and
//! `px._HeapReleaseFreeMemory()` report and do.
//!
//! Pixie's agents report tcmalloc; `_HeapStatsNumeric` keeps tcmalloc's
//! column names and fills them from mimalloc's process-wide statistics
//! (`mi_stats_get_json`):
//!
//! - `heap_size_bytes`: `reserved`, the address space mimalloc holds from
//!   the OS (tcmalloc's heap size also counts unmapped pages). mimalloc
//!   reserves arenas of 1 GiB, and where the kernel overcommits it counts
//!   an arena as committed at once, so this moves in large steps;
//! - `pageheap_unmapped_bytes`: `reserved - committed`, held address space
//!   that is not backed by memory (never committed, or purged back to the
//!   OS), as tcmalloc's unmapped pages are;
//! - `current_allocated_bytes`, `pageheap_free_bytes` and the three cache
//!   columns: 0. mimalloc counts allocated bytes only when built with
//!   `MI_STAT`, which `libmimalloc-sys` leaves out, and it has no central,
//!   transfer or thread caches of tcmalloc's kind.

#![allow(
    unsafe_code,
    reason = "calls mimalloc's C API, which has no safe wrapper; each block says why it is sound"
)]

use pxl_planner::{HeapNumbers, HeapSource};
use std::ffi::{CStr, c_char, c_void};
use std::sync::Arc;

// libmimalloc-sys declares `mi_stats_get_json` for mimalloc v3 only, but
// the v2 sources it builds (2.3, `v2` feature) define and export it too.
unsafe extern "C" {
    fn mi_stats_get_json(buf_size: usize, buf: *mut c_char) -> *mut c_char;
}

/// mimalloc, the allocator of this binary (see `GLOBAL` in main.rs).
#[derive(Debug)]
struct Mimalloc;

/// The heap source for this process. Only this binary may hand it out: its
/// figures describe the process only where mimalloc is the global
/// allocator.
pub fn source() -> Option<Arc<dyn HeapSource>> {
    Some(Arc::new(Mimalloc))
}

/// Appends one message of `mi_stats_print_out` to the `String` at `arg`.
unsafe extern "C" fn append(msg: *const c_char, arg: *mut c_void) {
    if msg.is_null() || arg.is_null() {
        return;
    }
    // SAFETY: `arg` is the `&mut String` that `report` passes to
    // `mi_stats_print_out`, which calls this only during that call, on the
    // calling thread; `msg` is a NUL-terminated string mimalloc owns for
    // the duration of the call.
    let (out, msg) = unsafe { (&mut *arg.cast::<String>(), CStr::from_ptr(msg)) };
    out.push_str(&msg.to_string_lossy());
}

/// mimalloc's statistics as JSON text.
fn stats_json() -> Option<String> {
    let mut size = 64 << 10;
    while size <= 4 << 20 {
        let mut buf = vec![0u8; size];
        // SAFETY: `buf` is `size` writable bytes; mimalloc writes at most
        // that many, NUL-terminated, and returns `buf` (or null when it
        // does not fit).
        let p = unsafe { mi_stats_get_json(size, buf.as_mut_ptr().cast()) };
        if !p.is_null() {
            return CStr::from_bytes_until_nul(&buf)
                .ok()
                .map(|s| s.to_string_lossy().into_owned());
        }
        size *= 2;
    }
    None
}

/// The `_HeapStatsNumeric` figures from mimalloc's JSON statistics.
fn numbers_from_json(json: &str) -> Option<HeapNumbers> {
    let v: serde_json::Value = serde_json::from_str(json).ok()?;
    let current = |key: &str| v.get(key)?.get("current")?.as_i64();
    let reserved = current("reserved")?;
    let committed = current("committed")?;
    Some(HeapNumbers {
        heap_size_bytes: reserved,
        pageheap_unmapped_bytes: reserved.saturating_sub(committed).max(0),
        ..HeapNumbers::default()
    })
}

impl HeapSource for Mimalloc {
    fn report(&self) -> String {
        // SAFETY: no arguments; returns the version as MMmmpp (20302).
        let v = unsafe { libmimalloc_sys::mi_version() };
        let mut out = format!(
            "mimalloc {}.{}.{} statistics (pxl's allocator; Pixie's agents report tcmalloc's)\n",
            v / 10000,
            v / 100 % 100,
            v % 100
        );
        // SAFETY: `append` matches `mi_output_fun`, and `arg` points to
        // `out`, which outlives the call (see `append`).
        unsafe {
            libmimalloc_sys::mi_stats_print_out(Some(append), (&raw mut out).cast::<c_void>());
        }
        out
    }

    fn numbers(&self) -> HeapNumbers {
        stats_json()
            .and_then(|j| numbers_from_json(&j))
            .unwrap_or_default()
    }

    fn release_free_memory(&self) {
        // SAFETY: no pointers; mimalloc frees what it holds unused.
        unsafe { libmimalloc_sys::mi_collect(true) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tcmalloc_columns_from_mimalloc_json() {
        let json = r#"{
          "stat_version": 4,
          "reserved": { "total": 9000, "peak": 8000, "current": 5000 },
          "committed": { "total": 7000, "peak": 4000, "current": 3000 },
          "malloc_normal": { "total": 0, "peak": 0, "current": 0 }
        }"#;
        assert_eq!(
            numbers_from_json(json),
            Some(HeapNumbers {
                heap_size_bytes: 5000,
                pageheap_unmapped_bytes: 2000,
                ..HeapNumbers::default()
            })
        );
        assert_eq!(numbers_from_json(r#"{"reserved": {"current": 1}}"#), None);
        assert_eq!(numbers_from_json("not json"), None);
    }

    /// The binary's unit tests run with mimalloc as the global allocator
    /// too (main.rs is part of the test binary).
    #[test]
    fn mimalloc_answers() {
        let json = stats_json().expect("mimalloc statistics");
        let n = numbers_from_json(&json).expect("reserved and committed");
        assert!(n.heap_size_bytes > n.pageheap_unmapped_bytes, "{json}");
        let report = Mimalloc.report();
        assert!(report.starts_with("mimalloc 2."), "{report}");
        assert!(report.contains("committed"), "{report}");
        Mimalloc.release_free_memory();
    }
}
