//! Aggregate functions (UDAs): one value per group, used as the last element
//! of an agg spec such as `n=('latency', px.count)`.

use super::{Family, FnKind, FunctionSpec, SemRule};

const fn uda(
    name: &'static str,
    sigs: &'static [&'static str],
    semantic: SemRule,
    brief: &'static str,
    doc: &'static str,
    examples: &'static [&'static str],
) -> FunctionSpec {
    FunctionSpec {
        name,
        kind: FnKind::Aggregate,
        family: Family::Aggregate,
        sigs,
        semantic,
        init_args: 0,
        brief,
        doc,
        examples,
    }
}

pub(super) const FUNCTIONS: &[FunctionSpec] = &[
    uda(
        "count",
        &[
            "(arg: BOOLEAN) -> INT64",
            "(arg: INT64) -> INT64",
            "(arg: UINT128) -> INT64",
            "(arg: FLOAT64) -> INT64",
            "(arg: STRING) -> INT64",
            "(arg: TIME64NS) -> INT64",
        ],
        SemRule::Fixed,
        "Number of rows in each group.",
        "Counts the rows of the group. The column named in the agg spec only has to exist: \
         every row counts, whatever its value, so any column of the table gives the same \
         result. The result is a plain INT64 without a semantic type.",
        &[
            "df = df.groupby('service').agg(requests=('latency', px.count))",
            "df = df.agg(total=('time_', px.count))",
        ],
    ),
    uda(
        "sum",
        &[
            "(arg: FLOAT64) -> FLOAT64",
            "(arg: INT64) -> INT64",
            "(arg: BOOLEAN) -> INT64",
        ],
        SemRule::Inherit,
        "Sum of the values in each group.",
        "Adds up the values of the group. INT64 input gives an INT64 total and FLOAT64 input \
         a FLOAT64 total; booleans count as 0 (false) and 1 (true), so summing a boolean \
         column counts the rows where it holds. The semantic type of the input (`BYTES`, \
         `DURATION_NS`, ...) is kept.\n\n\
         pxl also accepts a one-argument lambda in place of the function, to sum an \
         expression of the column: `errors=('resp_status', lambda x: px.sum(x >= 400))`.",
        &[
            "df = df.groupby('pod').agg(bytes_sent=('bytes_sent', px.sum))",
            "df = df.groupby('service').agg(errors=('resp_status', lambda x: px.sum(x >= 400)))",
        ],
    ),
    uda(
        "mean",
        &[
            "(arg: FLOAT64) -> FLOAT64",
            "(arg: INT64) -> FLOAT64",
            "(arg: BOOLEAN) -> FLOAT64",
        ],
        SemRule::Inherit,
        "Arithmetic mean of the values in each group.",
        "Averages the values of the group; the result is always FLOAT64. Booleans count as 0 \
         and 1, so the mean of a boolean column is the fraction of rows where it is true. \
         The semantic type of the input is kept, so the mean of a `DURATION_NS` column still \
         renders as a duration.\n\n\
         pxl also accepts a one-argument lambda in place of the function, to average an \
         expression of the column: `error_rate=('resp_status', lambda x: px.mean(x >= 400))` \
         or `avg_ms=('latency', lambda x: px.mean(x) / 1000000)`.",
        &[
            "df = df.groupby('service').agg(avg_latency=('latency', px.mean))",
            "df = df.groupby('service').agg(error_rate=('resp_status', lambda x: px.mean(x >= \
             400)))",
        ],
    ),
    uda(
        "min",
        &[
            "(arg: FLOAT64) -> FLOAT64",
            "(arg: INT64) -> INT64",
            "(arg: TIME64NS) -> TIME64NS",
        ],
        SemRule::Inherit,
        "Smallest value in each group.",
        "Returns the minimum of the group, with the input's data type and semantic type. \
         Together with `px.max` it turns a monotonic counter into a per-window delta: \
         `max - min` over each `px.bin` window.",
        &[
            "df = df.groupby('upid').agg(first_seen=('time_', px.min))",
            "df = df.groupby(['upid', 'timestamp']).agg(lo=('cpu_utime_ns', px.min), \
             hi=('cpu_utime_ns', px.max))",
        ],
    ),
    uda(
        "max",
        &[
            "(arg: FLOAT64) -> FLOAT64",
            "(arg: INT64) -> INT64",
            "(arg: TIME64NS) -> TIME64NS",
        ],
        SemRule::Inherit,
        "Largest value in each group.",
        "Returns the maximum of the group, with the input's data type and semantic type. \
         Strings, booleans and UINT128 values have no ordering here; use `px.any` to carry \
         such a column through an aggregation.",
        &[
            "df = df.groupby('upid').agg(cpu_utime=('cpu_utime_ns', px.max))",
            "df = df.groupby('service').agg(last_seen=('time_', px.max))",
        ],
    ),
    uda(
        "any",
        &[
            "(val: BOOLEAN) -> BOOLEAN",
            "(val: INT64) -> INT64",
            "(val: UINT128) -> UINT128",
            "(val: FLOAT64) -> FLOAT64",
            "(val: STRING) -> STRING",
            "(val: TIME64NS) -> TIME64NS",
        ],
        SemRule::Inherit,
        "One value of the group, whichever comes to hand.",
        "Picks a single value from the group, with no promise about which one (the \
         implementation keeps the last value it saw). Useful to carry along a column that \
         is constant within each group, such as a node name next to a pod, without adding \
         it to the group keys. The semantic type of the input is kept.",
        &["df = df.groupby('pod').agg(node=('node_name', px.any))"],
    ),
    uda(
        "quantiles",
        &["(val: INT64) -> STRING", "(val: FLOAT64) -> STRING"],
        SemRule::Quantiles,
        "Approximate percentiles of each group.",
        "Builds a t-digest sketch of the group and returns a JSON object string with the \
         keys `p01`, `p10`, `p25`, `p50`, `p75`, `p90` and `p99`; read one of them with \
         `px.pluck_float64(q, 'p99')`. The result has semantic type `QUANTILES`, or \
         `DURATION_NS_QUANTILES` when the input is a `DURATION_NS` column, so the UI can \
         draw it as a latency distribution.\n\n\
         In pxl, under `groupby`, a group of up to 4,096 values is digested from its exact \
         values; a larger group's values are first counted in buckets 1/128 of a power of \
         two wide, which adds at most 0.4% to the digest's error. The minimum and maximum \
         stay exact. Without `groupby` every value goes into the digest exactly.\n\n\
         pxl extension: `px.quantiles(0.99)` in an agg spec gives that one percentile \
         directly as FLOAT64, without the JSON step, and inside an agg lambda \
         `px.quantiles(expr, 0.5)` does the same for an expression of the column. Bare \
         `px.quantiles` keeps Pixie's JSON result.",
        &[
            "df = df.groupby('service').agg(lat=('latency', px.quantiles))\n\
             df.p99 = px.pluck_float64(df.lat, 'p99')",
            "df = df.groupby('service').agg(p99=('latency', px.quantiles(0.99)))",
        ],
    ),
    uda(
        "sample",
        &["(val: STRING) -> STRING"],
        SemRule::Fixed,
        "A random sample of the group's strings.",
        "Keeps a reservoir sample of the string values seen in the group and returns it. \
         Use it to show an example payload or query next to aggregated statistics; which \
         values are chosen is random.",
        &["df = df.groupby('req_path').agg(example_body=('req_body', px.sample))"],
    ),
    uda(
        "pprof",
        &["(stack_trace: STRING, count: INT64, profiler_period_ms: INT64) -> STRING"],
        SemRule::Fixed,
        "Folds sampled stack traces into a pprof profile.",
        "Combines the folded stack traces of the group (as found in `stack_traces.beta`), \
         each weighted by its sample count, into one profile in pprof format. The third \
         argument is the profiler's sampling period in milliseconds, which \
         `px.GetProfilerSamplingPeriodMS()` reports per agent. The agg spec names the three \
         columns in argument order.",
        &["df = df.groupby('pod').agg(profile=('stack_trace', 'count', 'period_ms', px.pprof))"],
    ),
    uda(
        "_kmeans_fit",
        &["(embedding: STRING, k: INT64) -> STRING"],
        SemRule::Fixed,
        "Internal: fits a k-means model to embeddings.",
        "Internal machine-learning helper. Fits `k` clusters to the group's embedding vectors \
         (as produced by `px._text_embedding`) and returns the model serialised as a string, \
         for use with `px._kmeans_inference`. Not part of the stable surface.",
        &["df = df.agg(model=('embedding', 'k', px._kmeans_fit))"],
    ),
    uda(
        "_build_request_path_clusters",
        &["(req_path: STRING) -> STRING"],
        SemRule::Fixed,
        "Internal: learns endpoint templates from request paths.",
        "Internal helper behind the service-endpoint views. Groups the request paths it sees \
         into templates (so `/users/17` and `/users/42` become one endpoint) and returns the \
         clustering as a string that `px._predict_request_path_cluster` applies to new \
         paths. Not part of the stable surface.",
        &["df = df.groupby('service').agg(clusters=('req_path', px._build_request_path_clusters))"],
    ),
];
