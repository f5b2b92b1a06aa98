//! Grouping by a function of the UPID one UPID at a time
//! (`pxl_exec::pregroup`), and grouping by a string column through the
//! table store's codes (`pxl_exec::dictgroup`), give exactly the rows
//! DataFusion gives without the rewrites, over one and several partitions,
//! and the rewrites do take place where they should.

use datafusion::arrow::array::{ArrayRef, FixedSizeBinaryArray, Int64Array, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::catalog::TableProvider;
use datafusion::datasource::MemTable;
use datafusion::execution::config::SessionConfig;
use datafusion::execution::runtime_env::{RuntimeEnv, RuntimeEnvBuilder};
use datafusion::physical_plan::displayable;
use datafusion::prelude::SessionContext;
use pxl_conformance::exec::{dataset, env, sorted_rows};
use pxl_planner::Functions;
use std::sync::Arc;

/// A small table whose UPIDs are partly null, spread over three batches
/// that are slices of larger ones (so arrays start at an offset).
fn nully(upids: &[u128]) -> MemTable {
    let schema = Arc::new(Schema::new(vec![
        Field::new("upid", DataType::FixedSizeBinary(16), true),
        Field::new("latency", DataType::Int64, true),
    ]));
    let batch = |from: usize| {
        let ids: Vec<Option<[u8; 16]>> = (from..from + 56)
            .map(|i| (i % 7 != 0).then(|| upids[i % upids.len()].to_be_bytes()))
            .collect();
        let upid = FixedSizeBinaryArray::try_from_sparse_iter_with_size(ids.into_iter(), 16)
            .expect("upids");
        let latency =
            Int64Array::from_iter((from..from + 56).map(|i| (i % 5 != 0).then_some(i as i64)));
        RecordBatch::try_new(
            schema.clone(),
            vec![Arc::new(upid) as ArrayRef, Arc::new(latency)],
        )
        .expect("batch")
        .slice(3, 50)
    };
    MemTable::try_new(
        schema.clone(),
        vec![vec![batch(0)], vec![batch(50)], vec![batch(100)]],
    )
    .expect("table")
}

/// (with the rewrite, without it), both over the conformance dataset;
/// `limited` gives them a memory pool, as agents have (DataFusion then
/// aggregates with its spilling stream).
fn contexts(partitions: usize, limited: bool) -> (SessionContext, SessionContext) {
    let (store, metadata) = dataset();
    let functions = Functions::new(env(metadata)).expect("functions");
    let config = || {
        SessionConfig::new()
            .with_target_partitions(partitions)
            .with_batch_size(64)
    };
    let runtime = || {
        if limited {
            RuntimeEnvBuilder::new()
                .with_memory_limit(1 << 30, 1.0)
                .build_arc()
                .expect("runtime")
        } else {
            Arc::new(RuntimeEnv::default())
        }
    };
    let with = pxl_exec::session(config(), runtime());
    let without = SessionContext::new_with_config_rt(config(), runtime());
    let upids: Vec<u128> = metadata
        .processes
        .iter()
        .map(|p| pxl_stdlib::runtime::upid(p.asid, p.pid, p.start_ticks))
        .collect();
    assert!(upids.len() > 3, "the dataset has processes");
    for ctx in [&with, &without] {
        let t: Arc<dyn TableProvider> = store.get("http_events").expect("http_events");
        ctx.register_table("http_events", t).expect("register");
        ctx.register_table("nully", Arc::new(nully(&upids)))
            .expect("register");
        for udf in functions.scalar.values() {
            ctx.register_udf(udf.as_ref().clone());
        }
    }
    (with, without)
}

fn rows(ctx: &SessionContext, sql: &str) -> (Vec<String>, String) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let df = ctx.sql(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
        let plan = df
            .clone()
            .create_physical_plan()
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        let shown = displayable(plan.as_ref()).indent(false).to_string();
        let batches = df.collect().await.unwrap_or_else(|e| panic!("{sql}: {e}"));
        (sorted_rows(&batches), shown)
    })
}

/// (query, whether the rewrite applies to it)
const QUERIES: &[(&str, bool)] = &[
    // The function in the grouping expression.
    (
        "SELECT upid_to_service_name(upid) AS s, count(latency) AS n, sum(resp_body_size) AS b, \
         min(latency) AS lo, max(latency) AS hi, avg(latency) AS m FROM http_events GROUP BY 1",
        true,
    ),
    // The function in the projection below, as PxL's `df.k = f(df.upid)`.
    (
        "SELECT s, count(*) AS n, max(latency) AS hi FROM \
         (SELECT upid_to_pod_name(upid) AS s, latency FROM http_events) GROUP BY s",
        true,
    ),
    // With another key and a filter.
    (
        "SELECT upid_to_service_name(upid) AS s, req_method, count(latency) AS n \
         FROM http_events WHERE resp_status >= 400 GROUP BY 1, 2",
        true,
    ),
    // Two functions of the same UPID.
    (
        "SELECT upid_to_pod_name(upid) AS p, upid_to_service_name(upid) AS s, \
         sum(latency) AS t FROM http_events GROUP BY 1, 2",
        true,
    ),
    // Distinct counts merge too.
    (
        "SELECT upid_to_namespace(upid) AS ns, count(DISTINCT req_path) AS paths \
         FROM http_events GROUP BY 1",
        true,
    ),
    // The function's result is also aggregated: left alone.
    (
        "SELECT s, count(s) AS n FROM \
         (SELECT upid_to_service_name(upid) AS s FROM http_events) GROUP BY s",
        false,
    ),
    // Null UPIDs form their own group.
    (
        "SELECT upid_to_service_name(upid) AS s, count(*) AS rows, count(latency) AS n, \
         sum(latency) AS t FROM nully GROUP BY 1",
        true,
    ),
    (
        "SELECT upid_to_pod_name(upid) AS p, latency % 2 AS odd, count(*) AS rows \
         FROM nully GROUP BY 1, 2",
        true,
    ),
];

/// Every query gives the same rows with PxL's rules as without, at one to
/// three partitions, with and without a memory pool; a rewritten plan
/// shows `marker`, exactly for the queries marked as rewritten.
fn same_rows(queries: &[(&str, bool)], marker: &str) {
    for (partitions, limited) in [(1, false), (2, false), (3, false), (1, true), (3, true)] {
        let (with, without) = contexts(partitions, limited);
        for (sql, rewritten) in queries {
            let (got, plan) = rows(&with, sql);
            let (want, _) = rows(&without, sql);
            assert!(!want.is_empty(), "{sql}: no rows");
            assert_eq!(got, want, "{partitions} partitions: {sql}\n{plan}");
            assert_eq!(
                plan.contains(marker),
                *rewritten,
                "{partitions} partitions: {sql}\n{plan}"
            );
        }
    }
}

#[test]
fn pregrouping_gives_the_same_rows() {
    same_rows(QUERIES, pxl_exec::pregroup::UPID_KEY);
}

/// (query, whether grouping by string codes applies to it)
const CODED: &[(&str, bool)] = &[
    // Q1's shape: filters, then a string key with the usual aggregates.
    (
        "SELECT req_path, count(latency) AS n, avg(latency) AS m, max(latency) AS hi, \
         min(latency) AS lo, sum(resp_body_size) AS b FROM http_events \
         WHERE req_method = 'GET' AND latency > 1000 GROUP BY req_path",
        true,
    ),
    // Two string keys, one through a projection.
    (
        "SELECT m, req_path, count(*) AS n FROM \
         (SELECT req_method AS m, req_path, latency FROM http_events) GROUP BY m, req_path",
        true,
    ),
    // A string key next to a computed one; distinct counts merge too.
    (
        "SELECT remote_addr, resp_status / 100 AS class, count(DISTINCT req_path) AS paths \
         FROM http_events GROUP BY 1, 2",
        true,
    ),
    // The key is also aggregated: left alone.
    (
        "SELECT req_method, count(req_method) AS n, max(req_method) AS last \
         FROM http_events GROUP BY req_method",
        false,
    ),
    // A computed string key: left alone.
    (
        "SELECT upper(req_method) AS m, count(*) AS n FROM http_events GROUP BY 1",
        false,
    ),
];

#[test]
fn string_codes_give_the_same_rows() {
    same_rows(CODED, pxl_exec::dictgroup::DECODE);
}

/// (query, whether a comparison goes through string codes)
const FILTERED: &[(&str, bool)] = &[
    (
        "SELECT req_path, latency FROM http_events WHERE req_method = 'GET'",
        true,
    ),
    // Either way round, with `!=`, next to other conditions.
    (
        "SELECT req_method, req_path, resp_status FROM http_events \
         WHERE 'POST' != req_method AND latency > 1000",
        true,
    ),
    // A value no row has, under NOT and OR: nulls and negation as before.
    (
        "SELECT req_method, latency FROM http_events WHERE NOT (req_method = 'NOPE')",
        true,
    ),
    (
        "SELECT req_method, latency FROM http_events \
         WHERE req_method = 'NOPE' OR latency > 5000",
        true,
    ),
    // With the grouping by codes above it.
    (
        "SELECT req_path, count(*) AS n, max(latency) AS hi FROM http_events \
         WHERE req_method = 'GET' GROUP BY req_path",
        true,
    ),
    // A computed string: left alone.
    (
        "SELECT req_method, latency FROM http_events WHERE upper(req_method) = 'GET'",
        false,
    ),
];

#[test]
fn comparing_string_codes_gives_the_same_rows() {
    same_rows(FILTERED, "__pxl_code:req_method");
}

/// (query, whether the aggregation by codes runs as a dense, code-indexed
/// one)
const DENSE: &[(&str, bool)] = &[
    // Q1's shape: the filter folds into the aggregation.
    (
        "SELECT req_path, count(latency) AS n, avg(latency) AS m, max(latency) AS hi, \
         min(latency) AS lo, sum(resp_body_size) AS b FROM http_events \
         WHERE req_method = 'GET' AND latency > 1000 GROUP BY req_path",
        true,
    ),
    // No filter; a predicate that rejects most rows.
    (
        "SELECT remote_addr, count(*) AS n, sum(latency) AS t FROM http_events GROUP BY 1",
        true,
    ),
    (
        "SELECT req_path, count(*) AS n, min(resp_status) AS s FROM http_events \
         WHERE resp_status >= 500 GROUP BY req_path",
        true,
    ),
    // A filter that can be null: null passes no row.
    (
        "SELECT req_path, count(*) AS n FROM http_events \
         WHERE CASE WHEN resp_status >= 500 THEN NULL ELSE req_method = 'GET' END GROUP BY req_path",
        true,
    ),
    // An argument the filter guards (no division by zero): the filter is
    // not folded in, so the argument only sees the rows that pass.
    (
        "SELECT req_path, sum(1000 % (resp_status - 200)) AS m FROM http_events \
         WHERE resp_status <> 200 GROUP BY req_path",
        true,
    ),
    // Two keys, or a distinct count: DataFusion's hash aggregation.
    (
        "SELECT m, req_path, count(*) AS n FROM \
         (SELECT req_method AS m, req_path, latency FROM http_events) GROUP BY m, req_path",
        false,
    ),
    (
        "SELECT remote_addr, count(DISTINCT req_path) AS paths FROM http_events GROUP BY 1",
        false,
    ),
];

#[test]
fn dense_code_aggregation_gives_the_same_rows() {
    same_rows(DENSE, "DenseCodeAggregateExec");
}

/// A filter that passes nothing gives no groups, as without the rules.
#[test]
fn dense_code_aggregation_of_no_rows() {
    for partitions in [1, 2] {
        let (with, _) = contexts(partitions, false);
        let (got, plan) = rows(
            &with,
            "SELECT req_path, count(*) AS n FROM http_events \
             WHERE req_method = 'NOPE' GROUP BY req_path",
        );
        assert!(plan.contains("DenseCodeAggregateExec"), "{plan}");
        assert!(got.is_empty(), "{got:?}");
    }
}
