//! Table-valued functions that make sense on one node: the schemas and
//! function lists (from the registry), the version, the agent status and the
//! Linux-headers status, and the debugging aids that describe the process
//! that plans the query (its table store, /proc figures, allocator, threads
//! and metadata). Each becomes an in-memory table whose columns are the
//! registry's output relation.

mod metadata;
mod threads;

use crate::{Functions, HeapSource, PlanError};
use datafusion::arrow::array::{
    ArrayRef, BooleanArray, FixedSizeBinaryArray, Int64Array, RecordBatch, StringArray,
};
use datafusion::arrow::datatypes::Schema;
use datafusion::catalog::TableProvider;
use datafusion::common::DataFusionError;
use datafusion::datasource::MemTable;
use pxl_compiler::ir::Literal;
use pxl_stdlib::DataType;
use pxl_stdlib::functions::{FnKind, registry};
use pxl_stdlib::runtime::field;
use std::sync::Arc;

/// One column of a function's output, as values.
enum Values {
    Str(Vec<String>),
    Int(Vec<i64>),
    OptInt(Vec<Option<i64>>),
    Bool(Vec<bool>),
    U128(Vec<u128>),
}

fn strs(v: impl IntoIterator<Item = impl Into<String>>) -> Values {
    Values::Str(v.into_iter().map(Into::into).collect())
}

fn now_ns() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i64)
}

fn read_proc(path: &str) -> Result<String, PlanError> {
    std::fs::read_to_string(path)
        .map_err(|e| PlanError::Unsupported(format!("cannot read {path}: {e}")))
}

/// The `/proc/PID/status` sizes `_DebugAgentProcStatus` reports, in its
/// column order (the file gives kB).
const STATUS_KEYS: [&str; 16] = [
    "VmPeak",
    "VmSize",
    "VmLck",
    "VmPin",
    "VmHWM",
    "VmRSS",
    "RssAnon",
    "RssFile",
    "RssShmem",
    "VmData",
    "VmStk",
    "VmExe",
    "VmLib",
    "VmPTE",
    "VmSwap",
    "HugetlbPages",
];

/// The sizes of [`STATUS_KEYS`] in bytes and the voluntary and involuntary
/// context switches; a line the kernel does not have reads as 0.
fn proc_status(text: &str) -> (Vec<i64>, [i64; 2]) {
    let value = |key: &str| -> i64 {
        text.lines()
            .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
            .and_then(|v| v.split_whitespace().next()?.parse::<i64>().ok())
            .unwrap_or(0)
    };
    (
        STATUS_KEYS
            .iter()
            .map(|k| value(k).saturating_mul(1024))
            .collect(),
        [
            value("voluntary_ctxt_switches"),
            value("nonvoluntary_ctxt_switches"),
        ],
    )
}

/// The `/proc/PID/smaps` fields `_DebugAgentProcSMaps` reports, in its
/// column order.
const SMAPS_KEYS: [&str; 20] = [
    "Size",
    "KernelPageSize",
    "MMUPageSize",
    "Rss",
    "Pss",
    "Shared_Clean",
    "Shared_Dirty",
    "Private_Clean",
    "Private_Dirty",
    "Referenced",
    "Anonymous",
    "LazyFree",
    "AnonHugePages",
    "ShmemPmdMapped",
    "FilePmdMapped",
    "Shared_Hugetlb",
    "Private_Hugetlb",
    "Swap",
    "SwapPss",
    "Locked",
];

struct Mapping {
    address: String,
    offset: String,
    pathname: String,
    /// [`SMAPS_KEYS`] in bytes.
    sizes: [i64; SMAPS_KEYS.len()],
}

/// One entry per mapping of an smaps file: a header line
/// (`start-end perms offset dev inode [path]`) then `Key: N kB` lines.
fn proc_smaps(text: &str) -> Vec<Mapping> {
    let mut maps: Vec<Mapping> = Vec::new();
    for line in text.lines() {
        let mut words = line.split_whitespace();
        let Some(first) = words.next() else { continue };
        if let Some(key) = first.strip_suffix(':') {
            if let (Some(m), Some(k)) = (maps.last_mut(), SMAPS_KEYS.iter().position(|x| *x == key))
            {
                let n: i64 = words.next().and_then(|v| v.parse().ok()).unwrap_or(0);
                let unit = if words.next() == Some("kB") { 1024 } else { 1 };
                m.sizes[k] = n.saturating_mul(unit);
            }
        } else if first.contains('-') && first.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-') {
            // `address perms offset dev inode [path]`: the path is the rest
            // of the line as it is, spaces included.
            let mut rest = line.trim_start();
            let mut fields = Vec::with_capacity(5);
            for _ in 0..5 {
                let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
                fields.push(&rest[..end]);
                rest = rest[end..].trim_start();
            }
            maps.push(Mapping {
                address: first.to_string(),
                offset: fields.get(2).map_or_else(String::new, |s| s.to_string()),
                pathname: rest.to_string(),
                sizes: [0; SMAPS_KEYS.len()],
            });
        }
    }
    maps
}

/// The allocator of this process, or why there is none.
fn heap<'a>(func: &str, f: &'a Functions) -> Result<&'a dyn HeapSource, PlanError> {
    f.heap.as_deref().ok_or_else(|| {
        PlanError::Unsupported(format!(
            "table function `{func}`: this process's allocator gives no statistics (only the \
             `pxl` binary, whose global allocator is mimalloc, reports them)"
        ))
    })
}

/// The metadata this process holds, or why it cannot be listed.
fn snapshot<'a>(
    func: &str,
    f: &'a Functions,
) -> Result<&'a pxl_stdlib::runtime::metadata::Metadata, PlanError> {
    f.env.metadata.snapshot().ok_or_else(|| {
        PlanError::Unsupported(format!(
            "table function `{func}`: this process's metadata provider answers lookups only \
             and cannot list what it holds"
        ))
    })
}

/// A string argument by name (the compiler has checked its type).
fn str_arg<'a>(args: &'a [(String, Literal)], name: &str) -> &'a str {
    args.iter()
        .find_map(|(n, v)| match v {
            Literal::Str(s) if n == name => Some(s.as_str()),
            _ => None,
        })
        .unwrap_or("")
}

/// The in-memory table for a call of `func`.
pub fn provider(
    func: &str,
    args: &[(String, Literal)],
    f: &Functions,
) -> Result<Arc<dyn TableProvider>, PlanError> {
    let batch = batch(func, args, f)?;
    Ok(Arc::new(MemTable::try_new(
        batch.schema(),
        vec![vec![batch]],
    )?))
}

/// The rows of a call of `func`.
fn batch(func: &str, args: &[(String, Literal)], f: &Functions) -> Result<RecordBatch, PlanError> {
    let spec = registry()
        .get(func)
        .ok_or_else(|| PlanError::MissingFunction(func.to_string()))?;
    let columns = spec
        .overloads
        .first()
        .map(|o| o.columns.clone())
        .unwrap_or_default();
    let reg = registry();
    let values: Vec<Values> = match func {
        "GetTables" => {
            let t = pxl_stdlib::tables::tables();
            vec![
                strs(t.iter().map(|t| t.name)),
                strs(t.iter().map(|t| t.desc)),
            ]
        }
        "GetSchemas" => {
            let rows: Vec<_> = pxl_stdlib::tables::tables()
                .iter()
                .flat_map(|t| t.columns.iter().map(move |c| (t, c)))
                .collect();
            vec![
                strs(rows.iter().map(|(t, _)| t.name)),
                strs(rows.iter().map(|(_, c)| c.name)),
                strs(rows.iter().map(|(_, c)| c.ty.name())),
                strs(rows.iter().map(|(_, c)| c.pattern.name())),
                strs(rows.iter().map(|(_, c)| c.desc)),
            ]
        }
        "GetUDFList" | "GetUDAList" => {
            let kind = if func == "GetUDFList" {
                FnKind::Scalar
            } else {
                FnKind::Aggregate
            };
            let rows: Vec<(String, String, String)> = reg
                .functions()
                .iter()
                .filter(|x| x.spec.kind == kind)
                .flat_map(|x| {
                    x.overloads.iter().map(move |o| {
                        let args: Vec<&str> = o.params.iter().map(|p| p.ty.name()).collect();
                        (
                            x.name().to_string(),
                            o.ret.name().to_string(),
                            args.join(","),
                        )
                    })
                })
                .collect();
            vec![
                strs(rows.iter().map(|r| r.0.clone())),
                strs(rows.iter().map(|r| r.1.clone())),
                strs(rows.iter().map(|r| r.2.clone())),
            ]
        }
        "GetUDTFList" => {
            let rows: Vec<_> = reg
                .functions()
                .iter()
                .filter(|x| x.spec.kind == FnKind::TableValued)
                .collect();
            vec![
                strs(rows.iter().map(|x| x.name())),
                strs(rows.iter().map(|_| "UDTF_ONE_KELVIN")),
                strs(rows.iter().map(|x| {
                    x.overloads
                        .first()
                        .map(|o| {
                            o.params
                                .iter()
                                .map(|p| format!("{}:{}", p.name, p.ty.name()))
                                .collect::<Vec<_>>()
                                .join(",")
                        })
                        .unwrap_or_default()
                })),
                strs(rows.iter().map(|x| {
                    x.overloads
                        .first()
                        .map(|o| {
                            o.columns
                                .iter()
                                .map(|(n, t)| format!("{n}:{}", t.name()))
                                .collect::<Vec<_>>()
                                .join(",")
                        })
                        .unwrap_or_default()
                })),
            ]
        }
        "Version" => vec![
            Values::Int(vec![i64::from(f.env.asid)]),
            strs([concat!("pxl ", env!("CARGO_PKG_VERSION"))]),
        ],
        "GetAgentStatus" => {
            let env = &f.env;
            let now = now_ns();
            vec![
                Values::U128(vec![u128::from(env.asid)]),
                Values::Int(vec![i64::from(env.asid)]),
                strs([env.hostname.clone()]),
                strs([String::new()]),
                strs(["AGENT_STATE_HEALTHY"]),
                Values::Int(vec![now]),
                Values::Int(vec![0]),
                Values::Bool(vec![
                    std::path::Path::new("/sys/kernel/btf/vmlinux").exists(),
                ]),
            ]
        }
        // No tracepoints can be deployed on one node: an empty table.
        "GetTracepointStatus" => vec![
            Values::U128(Vec::new()),
            strs(Vec::<String>::new()),
            strs(Vec::<String>::new()),
            strs(Vec::<String>::new()),
            strs(Vec::<String>::new()),
        ],
        "GetLinuxHeadersStatus" => vec![
            Values::Int(vec![i64::from(f.env.asid)]),
            Values::Bool(vec![
                std::path::Path::new("/sys/kernel/btf/vmlinux").exists(),
            ]),
        ],
        "_DebugTableInfo" => {
            let Some(tables) = &f.tables else {
                return Err(PlanError::Unsupported(
                    "table function `_DebugTableInfo` needs the table store of the process \
                     that runs the query; it is not available on a cluster yet"
                        .into(),
                ));
            };
            let t = tables.table_info();
            let ints = |g: fn(&crate::TableInfo) -> i64| Values::Int(t.iter().map(g).collect());
            vec![
                Values::Int(vec![i64::from(f.env.asid); t.len()]),
                strs(t.iter().map(|x| x.name.clone())),
                Values::Int((0..t.len() as i64).collect()),
                ints(|x| x.batches_added),
                ints(|x| x.batches_expired),
                ints(|x| x.bytes_added),
                ints(|x| x.num_batches),
                // pxl neither compacts batches nor keeps a cold tier.
                Values::Int(vec![0; t.len()]),
                ints(|x| x.size),
                Values::Int(vec![0; t.len()]),
                ints(|x| x.max_table_size),
                Values::OptInt(t.iter().map(|x| x.min_time).collect()),
            ]
        }
        "_DebugAgentProcStatus" => {
            let status = read_proc("/proc/self/status")?;
            let (fields, counts) = proc_status(&status);
            let mut cols = vec![Values::Int(vec![i64::from(f.env.asid)])];
            cols.extend(fields.into_iter().map(|v| Values::Int(vec![v])));
            cols.extend(counts.into_iter().map(|v| Values::Int(vec![v])));
            cols
        }
        "_DebugAgentProcSMaps" => {
            let smaps = read_proc("/proc/self/smaps")?;
            let maps = proc_smaps(&smaps);
            let mut cols = vec![
                Values::Int(vec![i64::from(f.env.asid); maps.len()]),
                strs(maps.iter().map(|m| m.address.clone())),
                strs(maps.iter().map(|m| m.offset.clone())),
                strs(maps.iter().map(|m| m.pathname.clone())),
            ];
            for k in 0..SMAPS_KEYS.len() {
                cols.push(Values::Int(maps.iter().map(|m| m.sizes[k]).collect()));
            }
            cols
        }
        // pxl does not schedule scripts, so no run has a history.
        "GetCronScriptHistory" => vec![
            strs(Vec::<String>::new()),
            Values::Int(Vec::new()),
            strs(Vec::<String>::new()),
            Values::Int(Vec::new()),
            Values::Int(Vec::new()),
            Values::Int(Vec::new()),
            Values::Int(Vec::new()),
        ],
        "_HeapStats" => vec![
            Values::Int(vec![i64::from(f.env.asid)]),
            strs([heap(func, f)?.report()]),
        ],
        "_HeapStatsNumeric" => {
            let n = heap(func, f)?.numbers();
            [
                i64::from(f.env.asid),
                n.current_allocated_bytes,
                n.heap_size_bytes,
                n.central_cache_free_bytes,
                n.transfer_cache_free_bytes,
                n.thread_cache_free_bytes,
                n.pageheap_free_bytes,
                n.pageheap_unmapped_bytes,
            ]
            .into_iter()
            .map(|v| Values::Int(vec![v]))
            .collect()
        }
        "_HeapReleaseFreeMemory" => {
            heap(func, f)?.release_free_memory();
            vec![Values::Int(vec![i64::from(f.env.asid)])]
        }
        "_DebugMDState" => {
            let md = snapshot(func, f)?;
            vec![
                Values::Int(vec![i64::from(f.env.asid)]),
                strs([metadata::own_pod(md)]),
                strs([metadata::state_text(md, f.env.asid)]),
            ]
        }
        "_DebugMDGetWithPrefix" => {
            // `proto` names the protobuf Pixie decodes values as; pxl's
            // values are JSON whatever it names.
            let prefix = str_arg(args, "prefix");
            let rows: Vec<_> = metadata::entries(snapshot(func, f)?)
                .into_iter()
                .filter(|(k, _)| k.starts_with(prefix))
                .collect();
            vec![
                strs(rows.iter().map(|(k, _)| k.clone())),
                strs(rows.into_iter().map(|(_, v)| v)),
            ]
        }
        "_DebugStackTrace" => vec![
            Values::Int(vec![i64::from(f.env.asid)]),
            strs([threads::stack_trace()]),
        ],
        "GetProfilerSamplingPeriodMS" => {
            return Err(PlanError::Unsupported(format!(
                "table function `{func}` is not available in pxl yet: pxl has no CPU profiler, \
                 so there is no sampling period to report"
            )));
        }
        "_HeapSample" | "_HeapGrowthStacks" => {
            return Err(PlanError::Unsupported(format!(
                "table function `{func}` is not available in pxl yet: it reports a heap \
                 profile (tcmalloc's sampled allocations, in Pixie) and pxl has no heap profiler"
            )));
        }
        "_HeapRanges" => {
            return Err(PlanError::Unsupported(format!(
                "table function `{func}` is not available in pxl yet: pxl has no heap \
                 profiler, and its allocator (mimalloc) does not list its heap ranges"
            )));
        }
        other => {
            return Err(PlanError::Unsupported(format!(
                "table function `{other}` is not available in pxl yet"
            )));
        }
    };
    if values.len() != columns.len() {
        return Err(PlanError::Unsupported(format!(
            "table function `{func}`: {} columns produced for {} declared",
            values.len(),
            columns.len()
        )));
    }
    let schema = Arc::new(Schema::new(
        columns
            .iter()
            .map(|(n, t)| field(n, *t, None))
            .collect::<Vec<_>>(),
    ));
    let arrays: Vec<ArrayRef> = values
        .into_iter()
        .zip(&columns)
        .map(|(v, (_, t))| -> Result<ArrayRef, PlanError> {
            Ok(match v {
                Values::Str(s) => Arc::new(StringArray::from(s)) as ArrayRef,
                Values::Int(i) => Arc::new(Int64Array::from(i)),
                Values::OptInt(i) => Arc::new(Int64Array::from(i)),
                Values::Bool(b) => Arc::new(BooleanArray::from(b)),
                Values::U128(u) => Arc::new(
                    FixedSizeBinaryArray::try_from_sparse_iter_with_size(
                        u.into_iter().map(|x| Some(x.to_be_bytes())),
                        16,
                    )
                    .map_err(DataFusionError::from)?,
                ),
            })
            .and_then(|a| {
                if pxl_stdlib::runtime::arrow_type(*t) == *a.data_type() || *t == DataType::Time64Ns
                {
                    Ok(a)
                } else {
                    Err(PlanError::Unsupported(format!(
                        "table function `{func}` produced the wrong type"
                    )))
                }
            })
        })
        .collect::<Result<_, _>>()?;
    Ok(RecordBatch::try_new(schema, arrays).map_err(DataFusionError::from)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::HeapNumbers;
    use datafusion::arrow::array::Array;
    use pxl_stdlib::runtime::ExecEnv;
    use pxl_stdlib::runtime::metadata::{Metadata, MetadataIndex, Namespace, Node};

    fn functions(md: Metadata) -> Functions {
        let env = ExecEnv::local(Arc::new(MetadataIndex::new(md)));
        Functions::new(Arc::new(env)).expect("functions")
    }

    fn call(func: &str, args: &[(&str, &str)], f: &Functions) -> Result<RecordBatch, String> {
        let args: Vec<(String, Literal)> = args
            .iter()
            .map(|(n, v)| (n.to_string(), Literal::Str(v.to_string())))
            .collect();
        batch(func, &args, f).map_err(|e| e.to_string())
    }

    fn ints(b: &RecordBatch, name: &str) -> Vec<i64> {
        let a = b.column_by_name(name).expect(name);
        let a = a.as_any().downcast_ref::<Int64Array>().expect("INT64");
        a.values().to_vec()
    }

    fn texts(b: &RecordBatch, name: &str) -> Vec<String> {
        let a = b.column_by_name(name).expect(name);
        let a = a.as_any().downcast_ref::<StringArray>().expect("STRING");
        (0..a.len()).map(|i| a.value(i).to_string()).collect()
    }

    #[derive(Debug, Default)]
    struct FakeHeap {
        released: std::sync::atomic::AtomicUsize,
    }

    impl HeapSource for FakeHeap {
        fn report(&self) -> String {
            "fake allocator report".into()
        }
        fn numbers(&self) -> HeapNumbers {
            HeapNumbers {
                current_allocated_bytes: 1,
                heap_size_bytes: 2,
                central_cache_free_bytes: 3,
                transfer_cache_free_bytes: 4,
                thread_cache_free_bytes: 5,
                pageheap_free_bytes: 6,
                pageheap_unmapped_bytes: 7,
            }
        }
        fn release_free_memory(&self) {
            self.released
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    }

    #[test]
    fn heap_functions_without_a_heap_source_say_why() {
        let f = functions(Metadata::default());
        for func in ["_HeapStats", "_HeapStatsNumeric", "_HeapReleaseFreeMemory"] {
            let e = call(func, &[], &f).expect_err(func);
            assert!(
                e.contains(&format!("`{func}`"))
                    && e.contains("this process's allocator gives no statistics"),
                "{e}"
            );
        }
    }

    #[test]
    fn heap_functions_report_the_heap_source() {
        let heap = Arc::new(FakeHeap::default());
        let f = functions(Metadata::default()).with_heap(Some(heap.clone()));
        let asid = i64::from(f.env.asid);
        let b = call("_HeapStats", &[], &f).expect("stats");
        assert_eq!(texts(&b, "heap"), ["fake allocator report"]);
        assert_eq!(ints(&b, "asid"), [asid]);
        let b = call("_HeapStatsNumeric", &[], &f).expect("numeric");
        assert_eq!(b.num_columns(), 8);
        let row: Vec<i64> = (0..8)
            .map(|i| {
                let a = b
                    .column(i)
                    .as_any()
                    .downcast_ref::<Int64Array>()
                    .expect("INT64");
                a.value(0)
            })
            .collect();
        assert_eq!(row, [asid, 1, 2, 3, 4, 5, 6, 7]);
        assert_eq!(ints(&b, "pageheap_unmapped_bytes"), [7]);
        let b = call("_HeapReleaseFreeMemory", &[], &f).expect("release");
        assert_eq!(ints(&b, "asid"), [asid]);
        assert_eq!(heap.released.load(std::sync::atomic::Ordering::SeqCst), 1);
    }

    #[test]
    fn profilers_that_pxl_lacks_say_so() {
        let f = functions(Metadata::default());
        let cases = [
            ("GetProfilerSamplingPeriodMS", "no CPU profiler"),
            ("_HeapSample", "no heap profiler"),
            ("_HeapGrowthStacks", "no heap profiler"),
            ("_HeapRanges", "no heap profiler"),
        ];
        for (func, why) in cases {
            let e = call(func, &[], &f).expect_err(func);
            assert!(e.contains(&format!("`{func}`")) && e.contains(why), "{e}");
        }
    }

    #[test]
    fn metadata_rows_under_a_prefix() {
        let md = Metadata {
            nodes: vec![Node {
                name: "n1".into(),
                asid: 1,
                ip: "10.0.0.1".into(),
            }],
            namespaces: vec![
                Namespace {
                    id: "2".into(),
                    name: "shop".into(),
                },
                Namespace {
                    id: "1".into(),
                    name: "default".into(),
                },
            ],
            ..Metadata::default()
        };
        let f = functions(md);
        let get = |prefix: &str| {
            let b = call(
                "_DebugMDGetWithPrefix",
                &[
                    ("prefix", prefix),
                    ("proto", "px.shared.k8s.metadatapb.Namespace"),
                ],
                &f,
            )
            .expect("get");
            texts(&b, "key")
        };
        assert_eq!(
            get("/namespace/"),
            ["/namespace/default", "/namespace/shop"]
        );
        assert_eq!(
            get("/n"),
            ["/namespace/default", "/namespace/shop", "/node/n1"]
        );
        assert_eq!(get("").len(), 4, "{:?}", get(""));
        assert!(get("/pod/").is_empty());
        let b = call(
            "_DebugMDGetWithPrefix",
            &[("prefix", "/node/"), ("proto", "")],
            &f,
        )
        .expect("get");
        assert_eq!(
            texts(&b, "value"),
            [r#"{"asid":1,"ip":"10.0.0.1","name":"n1"}"#]
        );
        let b = call("_DebugMDState", &[], &f).expect("state");
        let state = &texts(&b, "debug_state")[0];
        assert!(
            state.contains(
                "
namespaces (2):
  default id=1
  shop id=2
"
            ),
            "{state}"
        );
        // The test process is in no pod of this metadata.
        assert_eq!(texts(&b, "pod_name"), [""]);
    }

    #[test]
    fn stack_trace_is_one_row() {
        let f = functions(Metadata::default());
        let b = call("_DebugStackTrace", &[], &f).expect("stack");
        assert_eq!(b.num_rows(), 1);
        let text = &texts(&b, "stack_trace")[0];
        assert!(
            text.starts_with(&format!("process {}: ", std::process::id())),
            "{text}"
        );
    }

    #[test]
    fn smaps_entries_and_sizes() {
        let text = "\
55d0c0a00000-55d0c0a21000 r--p 00000000 fe:01 1312   /usr/bin/my  app
Size:                132 kB
KernelPageSize:        4 kB
Rss:                 128 kB
Pss:                  64 kB
VmFlags: rd mr mw me sd
7ffd1c000000-7ffd1c021000 rw-p 0000a000 00:00 0 
Size:                  8 kB
Locked:                4 kB
THPeligible:    0
";
        let maps = proc_smaps(text);
        assert_eq!(maps.len(), 2);
        assert_eq!(maps[0].address, "55d0c0a00000-55d0c0a21000");
        assert_eq!(maps[0].offset, "00000000");
        assert_eq!(maps[0].pathname, "/usr/bin/my  app");
        assert_eq!(maps[0].sizes[0], 132 * 1024);
        assert_eq!(maps[0].sizes[1], 4096);
        assert_eq!(maps[0].sizes[3], 128 * 1024);
        assert_eq!(maps[0].sizes[4], 64 * 1024);
        assert_eq!(maps[1].offset, "0000a000");
        assert_eq!(maps[1].pathname, "");
        assert_eq!(maps[1].sizes[0], 8 * 1024);
        assert_eq!(maps[1].sizes[SMAPS_KEYS.len() - 1], 4 * 1024);
    }

    #[test]
    fn status_sizes_in_bytes() {
        let text = "Name:\tpxl\nVmPeak:\t  2000 kB\nVmRSS:\t   300 kB\n\
                    voluntary_ctxt_switches:\t7\nnonvoluntary_ctxt_switches:\t2\n";
        let (sizes, switches) = proc_status(text);
        assert_eq!(sizes.len(), STATUS_KEYS.len());
        assert_eq!(sizes[0], 2000 * 1024);
        assert_eq!(sizes[5], 300 * 1024);
        // VmSize is missing from the text: 0.
        assert_eq!(sizes[1], 0);
        assert_eq!(switches, [7, 2]);
    }
}
