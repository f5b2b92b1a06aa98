//! Compile the benchmark script in a loop, for profilers:
//! `valgrind --tool=callgrind target/release/examples/profile_check 50`
/// The same allocator as the `pxl` binary, so the numbers are the product's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100);
    let file = std::env::args().nth(3);
    let text = file.map(|f| std::fs::read_to_string(f).expect("read the script"));
    let src = text
        .as_deref()
        .unwrap_or(include_str!("../benches/data/realistic.pxl"));
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
