//! Writes a dataset: `cargo run -p pxl-datagen --example write -- DIR [parquet|arrow] [ROWS] [SEED]`.

use pxl_datagen::{Format, Options, generate, write};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = args.first().map_or("datagen-out", String::as_str);
    let format = match args.get(1).map(String::as_str) {
        Some("arrow") => Format::Arrow,
        _ => Format::Parquet,
    };
    let rows = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let seed = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(1);
    let end = 1_700_000_000_000_000_000;
    let ds = generate(&Options::new(rows, seed, end));
    if let Err(e) = write(&ds, dir.as_ref(), format) {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
    for (name, batches) in &ds.tables {
        println!(
            "{name}: {} rows",
            batches.iter().map(|b| b.num_rows()).sum::<usize>()
        );
    }
}
