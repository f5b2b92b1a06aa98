//! `_DebugStackTrace()`: every thread of this process as the kernel sees
//! it (`/proc/self/task/*`), and the user-space stack of the thread that
//! plans the query. Other threads' user-space stacks are not captured:
//! that would need to stop them (a signal handler or ptrace), which pxl
//! does not do.

use std::fmt::Write;

/// One thread of the process.
struct Task {
    tid: u32,
    name: String,
    /// As `/proc/.../status` spells it: `S (sleeping)`.
    state: String,
    /// The kernel function it waits in; empty when it is not waiting.
    wchan: String,
    /// `/proc/.../stack`, or why it could not be read (it needs
    /// CAP_SYS_ADMIN).
    kernel: Result<String, String>,
}

/// The `Name:` and `State:` lines of a `/proc/PID/task/TID/status` file.
fn name_and_state(status: &str) -> (String, String) {
    let field = |key: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
            .map_or_else(String::new, |v| v.trim().to_string())
    };
    (field("Name"), field("State"))
}

/// The thread id in the target of `/proc/thread-self` (`PID/task/TID`).
fn tid_of_link(target: &str) -> Option<u32> {
    target.rsplit('/').next()?.parse().ok()
}

fn read_task(tid: u32) -> Task {
    let dir = format!("/proc/self/task/{tid}");
    let read = |f: &str| std::fs::read_to_string(format!("{dir}/{f}"));
    let (name, state) = read("status")
        .map(|s| name_and_state(&s))
        .unwrap_or_default();
    let wchan = read("wchan").unwrap_or_default().trim().to_string();
    Task {
        tid,
        name,
        state,
        // The kernel writes `0` for a thread that is not waiting.
        wchan: if wchan == "0" { String::new() } else { wchan },
        kernel: read("stack").map_err(|e| e.to_string()),
    }
}

fn format_task(out: &mut String, t: &Task, planning: bool) {
    let _ = writeln!(
        out,
        "thread {} \"{}\" state {} wchan {}{}",
        t.tid,
        t.name,
        if t.state.is_empty() { "?" } else { &t.state },
        if t.wchan.is_empty() { "-" } else { &t.wchan },
        if planning {
            " (planning this query)"
        } else {
            ""
        }
    );
    match &t.kernel {
        Ok(stack) if stack.trim().is_empty() => {
            let _ = writeln!(out, "  kernel stack: (empty)");
        }
        Ok(stack) => {
            let _ = writeln!(out, "  kernel stack:");
            for l in stack.lines() {
                let _ = writeln!(out, "    {l}");
            }
        }
        Err(e) => {
            let _ = writeln!(out, "  kernel stack: not readable ({e})");
        }
    }
}

/// The text of `_DebugStackTrace()`'s one row.
pub(super) fn stack_trace() -> String {
    let mut tids: Vec<u32> = std::fs::read_dir("/proc/self/task")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse().ok())
        .collect();
    tids.sort_unstable();
    let me = std::fs::read_link("/proc/thread-self")
        .ok()
        .and_then(|p| tid_of_link(&p.to_string_lossy()));
    let mut out = String::new();
    let _ = writeln!(
        out,
        "process {}: {} thread{} (user-space stacks of the other threads are not captured)",
        std::process::id(),
        tids.len(),
        if tids.len() == 1 { "" } else { "s" }
    );
    for &tid in &tids {
        format_task(&mut out, &read_task(tid), Some(tid) == me);
    }
    let _ = writeln!(
        out,
        "user-space stack of thread {} (planning this query):",
        me.map_or_else(|| "?".to_string(), |t| t.to_string())
    );
    let _ = write!(out, "{}", std::backtrace::Backtrace::force_capture());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_name_and_state() {
        let status = "Name:\ttokio-rt-worker\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t10\n";
        assert_eq!(
            name_and_state(status),
            ("tokio-rt-worker".to_string(), "S (sleeping)".to_string())
        );
        assert_eq!(name_and_state(""), (String::new(), String::new()));
    }

    #[test]
    fn thread_self_link() {
        assert_eq!(tid_of_link("20560/task/20561"), Some(20561));
        assert_eq!(tid_of_link("garbage"), None);
    }

    #[test]
    fn task_lines() {
        let mut out = String::new();
        let t = Task {
            tid: 7,
            name: "pxl".into(),
            state: "S (sleeping)".into(),
            wchan: "futex_wait_queue".into(),
            kernel: Ok("[<0>] futex_wait_queue+0x60/0x90\n[<0>] do_futex+0x10/0x20\n".into()),
        };
        format_task(&mut out, &t, true);
        let t = Task {
            tid: 8,
            name: "w".into(),
            state: String::new(),
            wchan: String::new(),
            kernel: Err("Permission denied (os error 13)".into()),
        };
        format_task(&mut out, &t, false);
        assert_eq!(
            out,
            "thread 7 \"pxl\" state S (sleeping) wchan futex_wait_queue (planning this query)\n\
             \x20 kernel stack:\n\
             \x20   [<0>] futex_wait_queue+0x60/0x90\n\
             \x20   [<0>] do_futex+0x10/0x20\n\
             thread 8 \"w\" state ? wchan -\n\
             \x20 kernel stack: not readable (Permission denied (os error 13))\n"
        );
    }

    #[test]
    fn this_process_is_listed() {
        let text = stack_trace();
        let me = std::fs::read_link("/proc/thread-self").expect("thread-self");
        let tid = tid_of_link(&me.to_string_lossy()).expect("tid");
        assert!(
            text.contains(&format!("thread {tid} \"")),
            "{tid} missing:\n{text}"
        );
        assert!(text.contains(&format!("user-space stack of thread {tid} (planning")));
        assert!(text.contains("this_process_is_listed"), "{text}");
    }
}
