//! Compile the benchmark script in a loop, for profilers:
//! `valgrind --tool=callgrind target/release/examples/profile_check 50`
fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100);
    let src = include_str!("../benches/data/realistic.pxl");
    let analysis = std::env::args().nth(2).is_none_or(|a| a != "noanalysis");
    let opts = pxl_compiler::CompileOptions {
        args: Vec::new(),
        now_ns: 0,
        analysis,
    };
    for _ in 0..n {
        std::hint::black_box(pxl_compiler::check_source(src, &opts));
    }
}
