//! Execution conformance: `run/NNN_name.pxl` (+ `.vis.json`, `.args`) runs
//! over a fixed generated dataset and its outputs are snapshotted.
//!
//! The dataset is `pxl datagen` with [`ROWS`] rows, seed [`SEED`] and its
//! time axis ending at [`crate::NOW_NS`]; "now" of every run is the same
//! instant. Scans use one partition, so row order is deterministic; rows
//! are still sorted before snapshotting unless the script has a line
//! `# ordered` (for sort/head cases, whose order is the point).

use crate::NOW_NS;
use datafusion::catalog::TableProvider;
use pxl_carnot::TableStore;
use pxl_compiler::script::{ScriptInput, compile_input};
use pxl_compiler::{CompileOptions, Severity};
use pxl_exec::format::rows;
use pxl_planner::{Functions, lower};
use pxl_stdlib::runtime::metadata::{Metadata, MetadataIndex};
use pxl_stdlib::runtime::{ExecEnv, HostsResolver, table_schema};
use std::collections::HashMap;
use std::fmt::Write;
use std::sync::{Arc, OnceLock};

pub const ROWS: usize = 2000;
pub const SEED: u64 = 7;

/// The dataset, generated once per process.
pub fn dataset() -> &'static (Arc<TableStore>, Metadata) {
    static DATA: OnceLock<(Arc<TableStore>, Metadata)> = OnceLock::new();
    DATA.get_or_init(|| {
        let ds = pxl_datagen::generate(&pxl_datagen::Options::new(ROWS, SEED, NOW_NS));
        let store = TableStore::new();
        for (name, batches) in ds.tables {
            let Some(t) = pxl_stdlib::tables::table(&name) else {
                continue;
            };
            let table = store.create(&name, table_schema(t), usize::MAX);
            for b in batches {
                table.append(b).expect("generated batch matches its table");
            }
        }
        (Arc::new(store), ds.metadata)
    })
}

/// A fixed environment: host `conformance-host`, asid 1, 4 CPUs, and a
/// resolver that knows `10.0.0.1` as `gateway.local`.
pub fn env(metadata: &Metadata) -> Arc<ExecEnv> {
    let mut names = HashMap::new();
    names.insert("10.0.0.1".to_string(), "gateway.local".to_string());
    Arc::new(ExecEnv {
        metadata: Arc::new(MetadataIndex::new(metadata.clone())),
        resolver: Arc::new(HostsResolver::new(names)),
        hostname: "conformance-host".into(),
        asid: 1,
        num_cpus: 4,
        vizier_id: "00000000-0000-0000-0000-000000000001".into(),
        vizier_namespace: "pl".into(),
    })
}

/// Compiles, plans and runs a script; the outputs as text, or the error.
pub fn run_script(input: &ScriptInput, args: &[(String, String)]) -> Result<String, String> {
    let results = run_tables(input, args)?;
    let ordered = input.pxl.lines().any(|l| l.trim() == "# ordered");
    Ok(format_tables(&results, ordered))
}

/// Compiles, plans and runs a script over the dataset; its output tables.
pub fn run_tables(
    input: &ScriptInput,
    args: &[(String, String)],
) -> Result<Vec<pxl_exec::ResultTable>, String> {
    let (store, metadata) = dataset();
    let opts = CompileOptions {
        args: args.to_vec(),
        now_ns: NOW_NS,
        analysis: false,
    };
    let c = compile_input(input, &opts);
    let errors: Vec<String> = c
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| format!("{}: {}", d.code, d.message))
        .collect();
    if !errors.is_empty() {
        return Err(format!("compile errors:\n{}", errors.join("\n")));
    }
    let functions = Functions::new(env(metadata))
        .map_err(|e| e.to_string())?
        .with_tables(store.clone());
    let catalog: HashMap<String, Arc<dyn TableProvider>> = store
        .names()
        .into_iter()
        .filter_map(|n| store.get(&n).map(|t| (n, t as Arc<dyn TableProvider>)))
        .collect();
    let outputs = lower(&c.plan, &catalog, &functions, NOW_NS).map_err(|e| e.to_string())?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .map_err(|e| e.to_string())?;
    let engine = pxl_exec::Engine::with_partitions(1);
    rt.block_on(engine.run(&outputs, None))
        .map_err(|e| e.to_string())
}

/// Output tables as text: name, row count, typed header, then the rows
/// (sorted unless `ordered`).
pub fn format_tables(results: &[pxl_exec::ResultTable], ordered: bool) -> String {
    let mut out = String::new();
    for t in results {
        let cols: Vec<String> = t
            .relation
            .columns
            .iter()
            .map(|c| format!("{}:{}", c.name, c.ty.name()))
            .collect();
        let _ = writeln!(out, "== {} ({} rows)", t.name, t.num_rows());
        let _ = writeln!(out, "{}", cols.join(" | "));
        let mut lines: Vec<String> = rows(t)
            .iter()
            .map(|r| {
                r.iter()
                    .map(|c| c.text().replace('\n', "\\n"))
                    .collect::<Vec<_>>()
                    .join(" | ")
            })
            .collect();
        if !ordered {
            lines.sort();
        }
        for l in lines {
            let _ = writeln!(out, "{l}");
        }
    }
    out
}

/// The rows of `batches` as `a | b | c` lines in Arrow's display form,
/// sorted (for comparing results whose row order is not defined).
pub fn sorted_rows(batches: &[datafusion::arrow::array::RecordBatch]) -> Vec<String> {
    let mut out = Vec::new();
    for b in batches {
        for r in 0..b.num_rows() {
            let cells: Vec<String> = (0..b.num_columns())
                .map(|c| {
                    datafusion::arrow::util::display::array_value_to_string(b.column(c), r)
                        .unwrap_or_default()
                })
                .collect();
            out.push(cells.join(" | "));
        }
    }
    out.sort();
    out
}
