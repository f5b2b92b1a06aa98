//! Invariants of the generated data: schemas, determinism, metadata
//! resolution, time order, file round trips and realism checks.

use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::compute::concat_batches;
use datafusion::arrow::datatypes::{Int64Type, SchemaRef};
use datafusion::arrow::ipc::reader::FileReader;
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use pxl_datagen::{
    Dataset, Format, Options, World, default_rows, default_tables, generate, generate_table, write,
};
use pxl_stdlib::runtime::metadata::{Metadata, MetadataIndex, MetadataProvider};
use pxl_stdlib::runtime::{table_schema, upid_parts};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::OnceLock;

/// 2023-11-14 22:13:20 UTC.
const END: i64 = 1_700_000_000_000_000_000;
const HOUR: i64 = 3_600_000_000_000;

fn opts() -> Options {
    Options::new(20_000, 42, END)
}

/// One dataset shared by the read-only tests.
fn dataset() -> &'static Dataset {
    static DS: OnceLock<Dataset> = OnceLock::new();
    DS.get_or_init(|| generate(&opts()))
}

fn table(ds: &Dataset, name: &str) -> RecordBatch {
    let batches = ds.table(name).unwrap_or_else(|| panic!("{name} generated"));
    let schema = table_schema(pxl_stdlib::tables::table(name).unwrap());
    concat_batches(&schema, batches).unwrap()
}

fn i64_col(b: &RecordBatch, name: &str) -> Vec<i64> {
    b.column_by_name(name)
        .unwrap_or_else(|| panic!("column {name}"))
        .as_primitive::<Int64Type>()
        .values()
        .to_vec()
}

fn str_col(b: &RecordBatch, name: &str) -> Vec<String> {
    let a = b
        .column_by_name(name)
        .unwrap_or_else(|| panic!("column {name}"));
    let s = a.as_string::<i32>();
    (0..s.len()).map(|i| s.value(i).to_string()).collect()
}

fn tmp_dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("datagen-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[test]
fn every_default_table_has_its_registry_schema_and_rows() {
    let ds = dataset();
    let names: Vec<&str> = ds.tables.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, default_tables());
    assert_eq!(names.len(), 20);
    for (name, batches) in &ds.tables {
        let t = pxl_stdlib::tables::table(name).unwrap();
        let schema: SchemaRef = table_schema(t);
        assert!(!batches.is_empty(), "{name} has no batches");
        for b in batches {
            assert_eq!(b.schema(), schema, "{name} schema");
            assert!(b.num_rows() > 0, "{name} has an empty batch");
            for (f, c) in schema.fields().iter().zip(b.columns()) {
                assert_eq!(c.null_count(), 0, "{name}.{} has nulls", f.name());
            }
        }
    }
}

#[test]
fn row_counts_follow_the_options() {
    let ds = dataset();
    let rows = |n: &str| {
        ds.table(n)
            .unwrap()
            .iter()
            .map(|b| b.num_rows())
            .sum::<usize>()
    };
    assert_eq!(rows("http_events"), 20_000);
    assert_eq!(rows("dns_events"), 4_000);
    let world = World::new(42, END);
    // One sample per process every 10 s.
    let procs = world.metadata().processes.len();
    let ps = rows("process_stats");
    assert!(
        ps > 300 * 20 && ps <= 360 * procs,
        "process_stats has {ps} rows"
    );
    for (name, _) in &ds.tables {
        assert!(rows(name) >= 3, "{name} has {} rows", rows(name));
    }
    assert_eq!(default_rows(&world, "conn_stats", 20_000, HOUR), 5_000);
}

#[test]
fn generation_is_deterministic_down_to_the_bytes() {
    let o = Options::new(3_000, 7, END);
    let (a, b) = (generate(&o), generate(&o));
    assert_eq!(a.metadata, b.metadata);
    assert_eq!(a.tables, b.tables);
    let other = generate(&Options::new(3_000, 8, END));
    assert_ne!(a.tables, other.tables, "the seed changes the data");
    for format in [Format::Parquet, Format::Arrow] {
        let (da, db) = (
            tmp_dir(&format!("det-a-{format:?}")),
            tmp_dir(&format!("det-b-{format:?}")),
        );
        write(&a, &da, format).unwrap();
        write(&b, &db, format).unwrap();
        let mut files: Vec<_> = std::fs::read_dir(&da)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        files.sort();
        assert_eq!(files.len(), 21);
        for f in files {
            let (x, y) = (
                std::fs::read(da.join(&f)).unwrap(),
                std::fs::read(db.join(&f)).unwrap(),
            );
            assert!(x == y, "{f:?} differs between two runs");
        }
    }
}

#[test]
fn every_upid_resolves_to_a_process_with_pod_service_and_deployment() {
    let ds = dataset();
    let md = MetadataIndex::new(ds.metadata.clone());
    let mut checked = BTreeMap::new();
    for (name, batches) in &ds.tables {
        for b in batches {
            let Some(col) = b.column_by_name("upid") else {
                continue;
            };
            let col = col.as_fixed_size_binary();
            for i in 0..col.len() {
                let v = u128::from_be_bytes(col.value(i).try_into().unwrap());
                if checked.insert(v, name.clone()).is_some() {
                    continue;
                }
                let (asid, pid, ticks) = upid_parts(v);
                let p = md
                    .process(asid, pid, ticks)
                    .unwrap_or_else(|| panic!("{name}: upid {asid}:{pid}:{ticks} is no process"));
                assert!(md.node_by_asid(asid).is_some());
                let c = md.container(&p.container_id).expect("container");
                let pod = md.pod(&c.pod_id).expect("pod");
                assert_eq!(p.hostname, pod.name);
                assert!(!pod.service_ids.is_empty());
                for s in &pod.service_ids {
                    assert!(md.service(s).is_some(), "service {s}");
                }
                let rs = md.replicaset(&pod.replicaset_id).expect("replicaset");
                assert!(md.deployment(&rs.deployment_id).is_some(), "deployment");
            }
        }
    }
    assert!(checked.len() > 20, "only {} distinct upids", checked.len());
    let net = table(ds, "network_stats");
    for id in str_col(&net, "pod_id") {
        assert!(md.pod(&id).is_some(), "network_stats pod {id}");
    }
}

#[test]
fn remote_addresses_are_mostly_pods_and_services() {
    let ds = dataset();
    let md = MetadataIndex::new(ds.metadata.clone());
    for name in [
        "http_events",
        "dns_events",
        "mysql_events",
        "conn_stats",
        "kafka_events.beta",
    ] {
        let b = table(ds, name);
        let addrs = str_col(&b, "remote_addr");
        let known = addrs
            .iter()
            .filter(|a| md.pod_by_ip(a).is_some() || md.service_by_ip(a).is_some())
            .count();
        assert!(
            known as f64 >= 0.6 * addrs.len() as f64,
            "{name}: {known} of {} remote addresses resolve",
            addrs.len()
        );
    }
    let http = table(ds, "http_events");
    let addrs = str_col(&http, "remote_addr");
    assert!(
        addrs
            .iter()
            .any(|a| a.starts_with("203.0.113.") || a.starts_with("198.51.100."))
    );
    // Both sides of in-cluster calls.
    let roles = i64_col(&http, "trace_role");
    assert!(roles.contains(&1) && roles.contains(&2));
}

#[test]
fn time_is_sorted_and_inside_the_span() {
    let ds = dataset();
    let o = opts();
    for (name, batches) in &ds.tables {
        let mut prev = i64::MIN;
        for b in batches {
            for t in i64_col(b, "time_") {
                assert!(t >= prev, "{name}: time_ goes back");
                assert!(
                    t >= o.end_ns - o.span_ns && t <= o.end_ns,
                    "{name}: {t} out of range"
                );
                prev = t;
            }
        }
    }
    // Something happens in the last five minutes.
    let http = table(ds, "http_events");
    assert!(
        i64_col(&http, "time_")
            .iter()
            .any(|&t| t > END - 300_000_000_000)
    );
}

fn read_back(dir: &std::path::Path, name: &str, format: Format) -> Vec<RecordBatch> {
    let path = dir.join(format!("{name}.{}", format.extension()));
    let file = std::fs::File::open(&path).unwrap();
    match format {
        Format::Parquet => ParquetRecordBatchReaderBuilder::try_new(file)
            .unwrap()
            .build()
            .unwrap()
            .map(|b| b.unwrap())
            .collect(),
        Format::Arrow => FileReader::try_new(file, None)
            .unwrap()
            .map(|b| b.unwrap())
            .collect(),
    }
}

fn round_trip(format: Format) {
    let ds = generate(&Options::new(2_000, 3, END));
    let dir = tmp_dir(&format!("rt-{format:?}"));
    write(&ds, &dir, format).unwrap();
    for (name, _) in &ds.tables {
        let want = table(&ds, name);
        let got = read_back(&dir, name, format);
        assert_eq!(
            got[0].schema(),
            want.schema(),
            "{name}: schema after {format:?}"
        );
        let got = concat_batches(&want.schema(), &got).unwrap();
        assert_eq!(got, want, "{name}: data after {format:?}");
    }
    let json = std::fs::read_to_string(dir.join("metadata.json")).unwrap();
    let md: Metadata = serde_json::from_str(&json).unwrap();
    assert_eq!(md, ds.metadata);
}

#[test]
fn parquet_round_trip() {
    round_trip(Format::Parquet);
}

#[test]
fn arrow_round_trip() {
    round_trip(Format::Arrow);
}

fn quantile(v: &mut [i64], q: f64) -> i64 {
    v.sort_unstable();
    v[((v.len() - 1) as f64 * q) as usize]
}

#[test]
fn http_latency_is_skewed_and_errors_exist() {
    let http = table(dataset(), "http_events");
    let mut lat = i64_col(&http, "latency");
    let (p50, p99) = (quantile(&mut lat, 0.5), quantile(&mut lat, 0.99));
    assert!(p99 > 10 * p50, "p50 {p50} p99 {p99}");
    let status = i64_col(&http, "resp_status");
    let n = status.len() as f64;
    let count = |f: &dyn Fn(i64) -> bool| status.iter().filter(|&&s| f(s)).count() as f64;
    assert!(count(&|s| s == 200) / n > 0.7);
    assert!(count(&|s| s >= 500) > 0.0 && count(&|s| s == 404) > 0.0);
    assert!(count(&|s| s >= 400) / n < 0.1);
    let methods = str_col(&http, "req_method");
    let gets = methods.iter().filter(|m| *m == "GET").count() as f64;
    assert!(
        gets / n > 0.6
            && methods.iter().any(|m| m == "POST")
            && methods.iter().any(|m| m == "DELETE")
    );
    // Messages match statuses; the error-prone endpoint stands out.
    let msgs = str_col(&http, "resp_message");
    let paths = str_col(&http, "req_path");
    for i in 0..status.len() {
        let want = match status[i] {
            200 => "OK",
            404 => "Not Found",
            500 => "Internal Server Error",
            _ => continue,
        };
        assert_eq!(msgs[i], want);
    }
    let rate = |p: &str| {
        let rows: Vec<usize> = (0..paths.len()).filter(|&i| paths[i] == p).collect();
        rows.iter().filter(|&&i| status[i] >= 500).count() as f64 / rows.len() as f64
    };
    assert!(
        rate("/paymentAuth") > 0.08,
        "paymentAuth error rate {}",
        rate("/paymentAuth")
    );
    assert!(rate("/tags") < 0.01);
}

#[test]
fn http_headers_and_bodies_are_consistent() {
    let http = table(dataset(), "http_events");
    let req_h = str_col(&http, "req_headers");
    let resp_h = str_col(&http, "resp_headers");
    let body = str_col(&http, "resp_body");
    let size = i64_col(&http, "resp_body_size");
    let req_body = str_col(&http, "req_body");
    let req_size = i64_col(&http, "req_body_size");
    for i in 0..req_h.len() {
        let h: serde_json::Value = serde_json::from_str(&req_h[i]).expect("req_headers is JSON");
        assert!(h.is_object());
        let r: serde_json::Value = serde_json::from_str(&resp_h[i]).expect("resp_headers is JSON");
        assert!(r.is_object());
        for (b, s) in [(&body[i], size[i]), (&req_body[i], req_size[i])] {
            assert!(b.len() as i64 <= s);
            if (b.len() as i64) < s {
                assert_eq!(
                    b.len(),
                    512,
                    "only truncated bodies are shorter than their size"
                );
            }
        }
        if let Some(len) = r.get("Content-Length") {
            assert_eq!(len.as_str().unwrap().parse::<i64>().unwrap(), size[i]);
        }
    }
    // Small JSON bodies parse.
    let json_bodies = body.iter().filter(|b| b.starts_with('{') && b.len() < 512);
    for b in json_bodies.take(2_000) {
        serde_json::from_str::<serde_json::Value>(b).unwrap_or_else(|e| panic!("{e}: {b}"));
    }
}

#[test]
fn dns_events_have_pixie_json_and_flat_columns() {
    let dns = table(dataset(), "dns_events");
    for c in ["req_header", "req_body", "resp_header", "resp_body"] {
        for v in str_col(&dns, c) {
            serde_json::from_str::<serde_json::Value>(&v)
                .unwrap_or_else(|e| panic!("{c}: {e}: {v}"));
        }
    }
    let codes = i64_col(&dns, "resp_code");
    assert!(codes.iter().filter(|&&c| c == 0).count() > codes.len() * 3 / 4);
    assert!(codes.contains(&3));
    let types = str_col(&dns, "query_type");
    assert!(types.iter().any(|t| t == "A") && types.iter().any(|t| t == "AAAA"));
    let names = str_col(&dns, "query_name");
    let answers = str_col(&dns, "answers");
    let headers = str_col(&dns, "resp_header");
    for i in 0..names.len() {
        let h: serde_json::Value = serde_json::from_str(&headers[i]).unwrap();
        assert_eq!(h["rcode"].as_i64(), Some(codes[i]));
        if codes[i] != 0 {
            assert!(answers[i].is_empty());
        }
    }
}

#[test]
fn counters_only_grow() {
    let ds = dataset();
    let check = |name: &str, key: &[&str], counters: &[&str]| {
        let b = table(ds, name);
        let keys: Vec<Vec<String>> = key
            .iter()
            .map(|k| {
                let a = b.column_by_name(k).unwrap();
                (0..a.len())
                    .map(|i| datafusion::arrow::util::display::array_value_to_string(a, i).unwrap())
                    .collect()
            })
            .collect();
        for c in counters {
            let v = i64_col(&b, c);
            let mut last: BTreeMap<Vec<&str>, i64> = BTreeMap::new();
            for (i, x) in v.iter().enumerate() {
                let k: Vec<&str> = keys.iter().map(|col| col[i].as_str()).collect();
                if let Some(prev) = last.insert(k, *x) {
                    assert!(*x >= prev, "{name}.{c} goes down");
                }
            }
        }
    };
    check(
        "process_stats",
        &["upid"],
        &[
            "cpu_utime_ns",
            "cpu_ktime_ns",
            "major_faults",
            "minor_faults",
            "rchar_bytes",
            "write_bytes",
        ],
    );
    check(
        "conn_stats",
        &["upid", "remote_addr", "remote_port", "trace_role"],
        &["conn_open", "conn_close", "bytes_sent", "bytes_recv"],
    );
    check(
        "network_stats",
        &["pod_id"],
        &["rx_bytes", "tx_packets", "rx_drops"],
    );
    check("jvm_stats", &["upid"], &["young_gc_time", "full_gc_time"]);
}

#[test]
fn generate_table_streams_the_same_rows_in_any_batch_size() {
    let world = World::new(5, END);
    let collect = |batch: usize| -> Vec<RecordBatch> {
        generate_table(&world, "http_events", 10_000, 5, END, HOUR, batch)
            .unwrap()
            .collect()
    };
    let small = collect(1_000);
    assert_eq!(small.len(), 10);
    assert!(small.iter().all(|b| b.num_rows() == 1_000));
    let big = collect(4_096);
    let schema = small[0].schema();
    assert_eq!(
        concat_batches(&schema, &small).unwrap(),
        concat_batches(&schema, &big).unwrap()
    );
    assert!(generate_table(&world, "no_such_table", 10, 5, END, HOUR, 10).is_err());
    // Not a default table, but generated on request.
    let tcp: usize = generate_table(&world, "tcp_stats_events", 500, 5, END, HOUR, 100)
        .unwrap()
        .map(|b| b.num_rows())
        .sum();
    assert!(tcp > 0);
}

#[test]
fn protocol_tables_look_like_their_protocols() {
    let ds = dataset();
    let mysql = table(ds, "mysql_events");
    let bodies = str_col(&mysql, "req_body");
    assert!(bodies.iter().any(|b| b.starts_with("SELECT")));
    assert!(bodies.iter().any(|b| b.starts_with("UPDATE")));
    assert!(bodies.iter().any(|b| b.starts_with("INSERT")));
    let status = i64_col(&mysql, "resp_status");
    assert!(status.contains(&2) && status.contains(&3));
    let pg = table(ds, "pgsql_events");
    assert!(str_col(&pg, "resp").iter().any(|r| r.ends_with("SELECT 1")));
    let kafka = table(ds, "kafka_events.beta");
    for r in str_col(&kafka, "req_body") {
        serde_json::from_str::<serde_json::Value>(&r).unwrap_or_else(|e| panic!("{e}: {r}"));
    }
    let nats = table(ds, "nats_events.beta");
    for r in str_col(&nats, "body") {
        serde_json::from_str::<serde_json::Value>(&r).unwrap_or_else(|e| panic!("{e}: {r}"));
    }
    let mongo = table(ds, "mongodb_events");
    for r in str_col(&mongo, "req_body") {
        serde_json::from_str::<serde_json::Value>(&r).unwrap_or_else(|e| panic!("{e}: {r}"));
    }
    let exits = table(ds, "proc_exit_events");
    assert!(i64_col(&exits, "signal").contains(&9));
}

#[test]
fn the_incident_and_the_oom_kill_show_in_the_data() {
    let ds = dataset();
    let http = table(ds, "http_events");
    let (times, paths, status) = (
        i64_col(&http, "time_"),
        str_col(&http, "req_path"),
        i64_col(&http, "resp_status"),
    );
    let start = END - HOUR;
    let incident = |t: i64| (start + HOUR * 62 / 100..start + HOUR * 70 / 100).contains(&t);
    let rate = |inside: bool| {
        let rows: Vec<usize> = (0..paths.len())
            .filter(|&i| paths[i] == "/paymentAuth" && incident(times[i]) == inside)
            .collect();
        rows.iter().filter(|&&i| status[i] >= 500).count() as f64 / rows.len() as f64
    };
    assert!(
        rate(true) > 2.0 * rate(false),
        "incident {} vs {}",
        rate(true),
        rate(false)
    );

    let exits = table(ds, "proc_exit_events");
    let signals = i64_col(&exits, "signal");
    let killed = signals.iter().position(|&s| s == 9).expect("an OOM kill");
    let upid = exits
        .column_by_name("upid")
        .unwrap()
        .as_fixed_size_binary()
        .value(killed)
        .to_vec();
    let ps = table(ds, "process_stats");
    let upids = ps.column_by_name("upid").unwrap().as_fixed_size_binary();
    let rss = i64_col(&ps, "rss_bytes");
    let mine: Vec<i64> = (0..ps.num_rows())
        .filter(|&i| upids.value(i) == upid.as_slice())
        .map(|i| rss[i])
        .collect();
    assert!(mine.len() > 10);
    assert!(
        *mine.last().unwrap() as f64 > 1.8 * mine[0] as f64,
        "rss {} -> {}",
        mine[0],
        mine.last().unwrap()
    );
}
