//! Properties of the compiler over generated inputs.

use proptest::prelude::*;
use pxl_compiler::{CompileOptions, check_source};

fn opts() -> CompileOptions {
    CompileOptions {
        args: Vec::new(),
        now_ns: 1_700_000_000_000_000_000,
        analysis: true,
    }
}

/// Fragments that make near-PxL: the interesting input for a front end.
const FRAGMENTS: &[&str] = &[
    "import px\n",
    "df",
    " = ",
    "px.DataFrame('http_events')",
    "px.DataFrame(table='conn_stats', start_time='-5m')",
    "df.latency",
    "df.req_path",
    "df['resp_status']",
    "df.ctx['pod']",
    " > ",
    " + ",
    " == ",
    " and ",
    " or ",
    "not ",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ",",
    ":",
    "\n",
    "    ",
    "def f(a: str):\n",
    "return ",
    "px.display(df)\n",
    ".groupby('req_path')",
    ".agg(n=('latency', px.count))",
    "lambda x: px.mean(x)",
    "'''doc'''",
    "'s'",
    "1",
    "2.5",
    "px.quantiles(0.99)",
    "df[df.latency > 10]",
    "if x:\n",
    "for",
    "@",
    "$",
    "\t",
    "#c\n",
    "x",
    "=",
    ".",
    "'unterminated",
    "px.contains(",
    "px.bin(df.time_, px.seconds(1))",
    ".merge(df, how='inner', left_on='upid', right_on='upid')",
    ".head(3)",
    ".sort('latency', ascending=False)",
    "None",
    "True",
    "é",
    "\\\n",
];

fn soup() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(FRAGMENTS), 0..60).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn never_panics_and_spans_are_in_range(src in soup()) {
        let c = check_source(&src, &opts());
        for d in &c.diagnostics {
            prop_assert!(d.span.start <= d.span.end);
            prop_assert!(d.span.end as usize <= src.len() + 1, "{d:?}");
            prop_assert!(!d.message.is_empty());
            prop_assert!(pxl_compiler::codes::lookup(d.code).is_some(), "undocumented code {}", d.code);
        }
    }

    #[test]
    fn deterministic(src in soup()) {
        let a = check_source(&src, &opts());
        let b = check_source(&src, &opts());
        prop_assert_eq!(a.diagnostics, b.diagnostics);
        prop_assert_eq!(a.plan, b.plan);
    }

    #[test]
    fn arbitrary_text_never_panics(src in "\\PC{0,200}") {
        let _ = check_source(&src, &opts());
    }
}

/// One step of a valid pipeline over http_events.
#[derive(Debug, Clone)]
enum Step {
    Filter(&'static str, i64),
    Map(usize, &'static str, &'static str),
    Head(i64),
    Sort(&'static str, bool),
    Drop(&'static str),
}

const NUMERIC: &[&str] = &[
    "latency",
    "resp_status",
    "req_body_size",
    "resp_body_size",
    "remote_port",
];

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (prop::sample::select(NUMERIC), -5i64..1000).prop_map(|(c, v)| Step::Filter(c, v)),
        (
            0usize..4,
            prop::sample::select(NUMERIC),
            prop::sample::select(&["+", "-", "*", "/"][..])
        )
            .prop_map(|(i, c, op)| Step::Map(i, c, op)),
        (0i64..100).prop_map(Step::Head),
        (prop::sample::select(NUMERIC), any::<bool>()).prop_map(|(c, a)| Step::Sort(c, a)),
        prop::sample::select(&["req_headers", "resp_headers", "req_body", "resp_body"][..])
            .prop_map(Step::Drop),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Valid pipelines compile, and the output has the columns the steps imply.
    #[test]
    fn valid_pipelines_compile(steps in prop::collection::vec(step(), 0..12), agg in any::<bool>()) {
        let mut src = String::from("import px\ndf = px.DataFrame('http_events', start_time='-5m')\n");
        let mut dropped = std::collections::HashSet::new();
        let mut added = Vec::new();
        for s in &steps {
            match s {
                Step::Filter(c, v) => src.push_str(&format!("df = df[df.{c} > {v}]\n")),
                Step::Map(i, c, op) => {
                    src.push_str(&format!("df.new{i} = df.{c} {op} 2\n"));
                    added.push(format!("new{i}"));
                }
                Step::Head(n) => src.push_str(&format!("df = df.head({n})\n")),
                Step::Sort(c, a) => src.push_str(&format!("df = df.sort('{c}', ascending={})\n", if *a { "True" } else { "False" })),
                Step::Drop(c) => {
                    if dropped.insert(*c) {
                        src.push_str(&format!("df = df.drop('{c}')\n"));
                    }
                }
            }
        }
        if agg {
            src.push_str("df = df.groupby(['req_method', 'service']).agg(n=('latency', px.count), err=('resp_status', lambda x: px.mean(x >= 400)), p99=('latency', px.quantiles(0.99)))\n");
        }
        src.push_str("px.display(df, 'out')\n");
        let c = check_source(&src, &opts());
        prop_assert!(!c.has_errors(), "{src}\n{:?}", c.diagnostics);
        let sink = c.plan.sinks().next().expect("one sink");
        let names: Vec<&str> = sink.relation.names().collect();
        if agg {
            prop_assert_eq!(names, vec!["req_method", "service", "n", "err", "p99"]);
        } else {
            for a in &added {
                prop_assert!(names.contains(&a.as_str()), "{a} missing from {names:?}");
            }
            for d in &dropped {
                prop_assert!(!names.contains(d));
            }
        }
    }
}
