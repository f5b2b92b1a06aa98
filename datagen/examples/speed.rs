//! Measures generation speed: `cargo run --release -p pxl-datagen --example speed [ROWS] [TABLE]`.

use pxl_datagen::{DEFAULT_SPAN_NS, World, generate_table};
use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let rows: usize = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let table = args.next().unwrap_or_else(|| "http_events".to_string());
    let end = 1_700_000_000_000_000_000;
    let world = World::new(1, end);
    let start = Instant::now();
    let (mut n, mut bytes) = (0, 0);
    for b in
        generate_table(&world, &table, rows, 1, end, DEFAULT_SPAN_NS, 8_192).expect("known table")
    {
        n += b.num_rows();
        bytes += b.get_array_memory_size();
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{table}: {n} rows in {secs:.2} s = {:.2} M rows/s ({:.0} MB of Arrow, {:.0} B/row)",
        n as f64 / secs / 1e6,
        bytes as f64 / 1e6,
        bytes as f64 / n.max(1) as f64
    );
}
