//! `pxl check FILE` as a process (start-up included), against
//! `python3 -c 'import ast,sys; ast.parse(open(f).read())'` on the same file,
//! measured in the same run. `cargo bench -p pxl --bench process`

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

fn median(n: usize, mut f: impl FnMut()) -> Duration {
    let mut t: Vec<Duration> = (0..n)
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed()
        })
        .collect();
    t.sort();
    t[n / 2]
}

fn main() {
    let file =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../compiler/benches/data/realistic.pxl");
    let pxl = env!("CARGO_BIN_EXE_pxl");
    let ours = median(51, || {
        let s = Command::new(pxl)
            .arg("check")
            .arg("-q")
            .arg(&file)
            .output()
            .expect("pxl runs");
        assert!(s.status.success(), "{}", String::from_utf8_lossy(&s.stderr));
    });
    println!(
        "pxl check as a process: {:.2} ms (target < 20 ms)",
        ours.as_secs_f64() * 1e3
    );
    let code = format!(
        "import ast; ast.parse(open({:?}).read())",
        file.display().to_string()
    );
    if Command::new("python3")
        .arg("-c")
        .arg("pass")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        let py = median(51, || {
            Command::new("python3")
                .arg("-c")
                .arg(&code)
                .output()
                .expect("python3 runs");
        });
        println!(
            "python3 ast.parse as a process: {:.2} ms",
            py.as_secs_f64() * 1e3
        );
        println!(
            "ratio pxl / python3 (process): {:.2}",
            ours.as_secs_f64() / py.as_secs_f64()
        );
    } else {
        println!("CPython baseline skipped: python3 not found");
    }
}
