use datafusion::arrow::util::display::array_value_to_string;
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let ds = pxl_datagen::generate(&pxl_datagen::Options::new(
        20_000,
        42,
        1_700_000_000_000_000_000,
    ));
    let k: usize = std::env::var("K")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    for (name, batches) in &ds.tables {
        if args.len() > 1 && !args[1..].iter().any(|a| a == name) {
            continue;
        }
        let n: usize = batches.iter().map(|b| b.num_rows()).sum();
        println!("== {name}: {n} rows");
        let b = &batches[batches.len() / 2];
        let step = (b.num_rows() / k).max(1);
        for r in (0..b.num_rows()).step_by(step).take(k) {
            println!("--");
            for (f, c) in b.schema().fields().iter().zip(b.columns()) {
                let v = array_value_to_string(c, r).unwrap();
                let v: String = v.chars().take(300).collect();
                println!("  {} = {}", f.name(), v);
            }
        }
    }
}
