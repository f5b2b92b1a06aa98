//! Random filter/map/agg/join pipelines give the same rows in PxL as the
//! equivalent DataFusion SQL over the same table provider.

use datafusion::catalog::TableProvider;
use datafusion::prelude::SessionContext;
use proptest::prelude::*;
use pxl_compiler::script::ScriptInput;
use pxl_conformance::exec::{dataset, run_script, sorted_rows};
use std::sync::{Arc, OnceLock};

/// Numeric columns of http_events usable in filters and maps.
const NUMS: [&str; 4] = ["resp_status", "latency", "req_body_size", "resp_body_size"];
/// Group keys.
const KEYS: [&str; 3] = ["req_method", "resp_status", "trace_role"];
const CMP: [&str; 4] = [">", ">=", "<", "=="];
const ARITH: [&str; 3] = ["+", "-", "*"];

#[derive(Debug, Clone)]
struct Pipeline {
    filter: Option<(usize, usize, i64)>,
    map: Option<(usize, usize, usize)>,
    key: usize,
    aggs: Vec<(usize, usize)>,
    join: bool,
}

fn pipeline() -> impl Strategy<Value = Pipeline> {
    (
        proptest::option::of((
            0..NUMS.len(),
            0..CMP.len(),
            prop_oneof![
                Just(200i64),
                Just(400),
                Just(1000),
                Just(1_000_000),
                Just(10_000_000)
            ],
        )),
        proptest::option::of((0..NUMS.len(), 0..ARITH.len(), 0..NUMS.len())),
        0..KEYS.len(),
        proptest::collection::vec((0..4usize, 0..5usize), 1..4),
        any::<bool>(),
    )
        .prop_map(|(filter, map, key, aggs, join)| Pipeline {
            filter,
            map,
            key,
            aggs,
            join,
        })
}

const AGGS: [(&str, &str); 4] = [
    ("count", "count"),
    ("sum", "sum"),
    ("min", "min"),
    ("max", "max"),
];

/// (PxL script, SQL) for a pipeline.
fn render(p: &Pipeline) -> (String, String) {
    let mut pxl = String::from("import px\ndf = px.DataFrame('http_events')\n");
    let mut where_ = String::new();
    if let Some((c, op, v)) = p.filter {
        pxl.push_str(&format!("df = df[df.{} {} {v}]\n", NUMS[c], CMP[op]));
        let sql_op = if CMP[op] == "==" { "=" } else { CMP[op] };
        where_ = format!(" WHERE {} {sql_op} {v}", NUMS[c]);
    }
    // The value column: a derived one when there is a map.
    let mut cols: Vec<String> = NUMS.iter().map(|s| (*s).to_string()).collect();
    let mut derived_sql = String::new();
    if let Some((a, op, b)) = p.map {
        pxl.push_str(&format!(
            "df.derived = df.{} {} df.{}\n",
            NUMS[a], ARITH[op], NUMS[b]
        ));
        cols.push("derived".into());
        derived_sql = format!(", {} {} {} AS derived", NUMS[a], ARITH[op], NUMS[b]);
    }
    let key = KEYS[p.key];
    let mut specs = Vec::new();
    let mut sql_aggs = Vec::new();
    for (i, (f, c)) in p.aggs.iter().enumerate() {
        let col = &cols[*c % cols.len()];
        let (pf, sf) = AGGS[*f];
        specs.push(format!("a{i}=('{col}', px.{pf})"));
        sql_aggs.push(format!("{sf}({col}) AS a{i}"));
    }
    pxl.push_str(&format!(
        "df = df.groupby('{key}').agg({})\n",
        specs.join(", ")
    ));
    let inner = format!("SELECT *{derived_sql} FROM http_events{where_}");
    let mut sql = format!(
        "SELECT {key}, {} FROM ({inner}) GROUP BY {key}",
        sql_aggs.join(", ")
    );
    if p.join {
        pxl.push_str(&format!(
            "other = px.DataFrame('http_events').groupby('{key}').agg(total=('latency', px.count))\n\
             df = df.merge(other, how='inner', left_on='{key}', right_on='{key}', suffixes=['', '_r'])\n\
             df = df.drop('{key}_r')\n"
        ));
        let names: Vec<String> = (0..p.aggs.len()).map(|i| format!("l.a{i}")).collect();
        sql = format!(
            "SELECT l.{key}, {}, r.total FROM ({sql}) l JOIN (SELECT {key}, count(latency) AS total FROM http_events GROUP BY {key}) r ON l.{key} = r.{key}",
            names.join(", ")
        );
    }
    pxl.push_str("px.display(df)\n");
    (pxl, sql)
}

fn sql_ctx() -> &'static SessionContext {
    static CTX: OnceLock<SessionContext> = OnceLock::new();
    CTX.get_or_init(|| {
        let ctx = SessionContext::new();
        let (store, _) = dataset();
        let t: Arc<dyn TableProvider> = store.get("http_events").expect("http_events");
        ctx.register_table("http_events", t).expect("register");
        ctx
    })
}

fn sql_rows(sql: &str) -> Vec<String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let batches = rt
        .block_on(async { sql_ctx().sql(sql).await?.collect().await })
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    sorted_rows(&batches)
}

fn pxl_rows(pxl: &str) -> Vec<String> {
    let input = ScriptInput {
        name: "prop".into(),
        pxl_path: "prop.pxl".into(),
        pxl: pxl.into(),
        vis: None,
        manifest: None,
    };
    let text = run_script(&input, &[]).unwrap_or_else(|e| panic!("{pxl}\n{e}"));
    let mut rows: Vec<String> = text.lines().skip(2).map(String::from).collect();
    rows.sort();
    rows
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn pxl_matches_sql(p in pipeline()) {
        let (pxl, sql) = render(&p);
        prop_assert_eq!(pxl_rows(&pxl), sql_rows(&sql), "PxL:\n{}\nSQL:\n{}", pxl, sql);
    }
}
