//! Functions evaluated by the compiler rather than per row: the dataflow
//! entry points (`px.DataFrame`, `px.display`), time helpers, DataFrame
//! methods, the `px.otel`/`px.vis`/`pxtrace`/`pxconfig` objects and the type
//! objects used as annotations and semantic casts.
//!
//! Parameters are written like a Python parameter list; defaults are PxL
//! source that the compiler evaluates when the argument is missing.

use crate::datatype::{DataType, SemanticType};

/// A compile-time function or method.
#[derive(Debug, Clone, Copy)]
pub struct CompileTimeSpec {
    /// Dotted path: `px.DataFrame`, `DataFrame.merge`, `px.otel.metric.Gauge`.
    pub path: &'static str,
    /// Python-style parameter list, e.g. `"table, select=[], start_time=None"`.
    /// `**kwargs` accepts any keyword arguments.
    pub params: &'static str,
    /// What the call evaluates to, in words (`DataFrame`, `INT64 literal`, ...).
    pub returns: &'static str,
    pub brief: &'static str,
    pub doc: &'static str,
    pub examples: &'static [&'static str],
}

/// An importable module.
#[derive(Debug, Clone, Copy)]
pub struct ModuleSpec {
    pub name: &'static str,
    pub brief: &'static str,
}

/// `px.Service`, `px.DurationNanos`, ...: annotation types and semantic casts.
#[derive(Debug, Clone, Copy)]
pub struct TypeObject {
    pub path: &'static str,
    pub ty: DataType,
    pub semantic: SemanticType,
    pub brief: &'static str,
}

const fn ct(
    path: &'static str,
    params: &'static str,
    returns: &'static str,
    brief: &'static str,
    doc: &'static str,
    examples: &'static [&'static str],
) -> CompileTimeSpec {
    CompileTimeSpec {
        path,
        params,
        returns,
        brief,
        doc,
        examples,
    }
}

pub const MODULES: &[ModuleSpec] = &[
    ModuleSpec {
        name: "px",
        brief: "The core module: DataFrames, output sinks, time helpers, every function and \
                the semantic type objects.",
    },
    ModuleSpec {
        name: "pxtrace",
        brief: "Dynamic tracing: deploy uprobe and bpftrace tracepoints whose output becomes a \
                queryable table.",
    },
    ModuleSpec {
        name: "pxconfig",
        brief: "Changes runtime settings of the data-collecting agents.",
    },
    ModuleSpec {
        name: "pxviews",
        brief: "A library of ready-made PxL views (HTTP, network, process and pod summaries) \
                written in ordinary PxL.",
    },
];

pub const MODULE_FUNCTIONS: &[CompileTimeSpec] = &[
    // ---- Dataflow and output -------------------------------------------------------------
    ct(
        "px.DataFrame",
        "table, select=[], start_time=None, end_time=None",
        "DataFrame",
        "Reads a table as a DataFrame.",
        "Creates a DataFrame over the rows of `table` (positionally or as `table=`). \
         `select` restricts the columns, as a list of names or a single name; empty means \
         all. `start_time` and `end_time` accept a relative string such as `'-5m'` (five \
         minutes before now), an absolute string such as `'2020-07-13 18:02:05.00 -0700'`, \
         integer nanoseconds since the epoch, or a `px.parse_time` value. Without \
         `start_time` reading begins at the oldest row still held; without `end_time` it \
         stops at the moment the query runs (or never, for a streamed DataFrame). Nothing is \
         read until the script's result sinks are planned; an unknown table is a compile \
         error.",
        &[
            "df = px.DataFrame('http_events', start_time='-5m')",
            "df = px.DataFrame(table='process_stats', select=['upid', 'rss_bytes'], \
             start_time='-10m', end_time='-5m')",
        ],
    ),
    ct(
        "px.display",
        "out, name='output', cols=[]",
        "None",
        "Sends a DataFrame to the results under a name.",
        "Adds a result sink for `out` called `name`. If that name is already taken by an \
         earlier sink, the new one becomes `name_1`, then `name_2`, and so on. `cols` is \
         accepted for compatibility and ignored. When a script runs through its vis.json \
         functions, module-level `px.display` calls do nothing; use `px.debug` to still see \
         a table then. A script must produce at least one result.",
        &["px.display(df, 'http_data')", "px.display(df)"],
    ),
    ct(
        "px.debug",
        "out, name='output', cols=[]",
        "None",
        "Sends a DataFrame to the results as a debug table.",
        "Like `px.display`, but the sink is named `'_' + name` and it is emitted even when \
         the script runs through its vis.json functions, which makes it the way to inspect \
         intermediate DataFrames of a view. A name that collides with another output gets \
         `_1`, `_2`, ... appended. `cols` is ignored.",
        &["px.debug(df, 'before_merge')"],
    ),
    ct(
        "px.export",
        "out, export_spec",
        "None",
        "Exports a DataFrame to an external system.",
        "Sends the rows of `out` to the destination described by `export_spec`, which must \
         be an exporter; today that is `px.otel.Data(...)`, which maps columns to \
         OpenTelemetry metrics or spans. The export happens as the query runs, once per execution \
         of the script.",
        &["px.export(df, \
             px.otel.Data(\n    endpoint=px.otel.Endpoint(url='otel-collector:4317'),\n    \
           resource={'service.name': df.service},\n    \
           data=[px.otel.metric.Gauge(name='http.latency', value=df.latency)],\n))"],
    ),
    // ---- Time ------------------------------------------------------------------------------
    ct(
        "px.now",
        "",
        "INT64 literal (nanoseconds since the epoch)",
        "The time the script was compiled.",
        "Returns the compilation time as nanoseconds since the Unix epoch. Note that the \
         result is an INT64, not a TIME64NS: compare it with `px.time_to_int64(df.time_)` or \
         turn it into a time with `px.int64_to_time`. It is evaluated once, so every use in \
         a script sees the same instant.",
        &["start = px.now() + px.parse_duration('-5m')"],
    ),
    ct(
        "px.minutes",
        "unit",
        "INT64 literal (nanoseconds)",
        "A number of minutes in nanoseconds.",
        "Multiplies `unit`, which must be an integer literal, by 60 × 10⁹ and returns the \
         duration in nanoseconds, evaluated at compile time. Because the result is a plain \
         integer, it can be added to `px.now()` or used as a `px.bin` width.",
        &["window_ns = px.minutes(1)"],
    ),
    ct(
        "px.hours",
        "unit",
        "INT64 literal (nanoseconds)",
        "A number of hours in nanoseconds.",
        "Multiplies `unit`, which must be an integer literal, by 3600 × 10⁹ and returns the \
         duration in nanoseconds, evaluated at compile time. Because the result is a plain \
         integer, it can be added to `px.now()` or compared with `DURATION_NS` columns.",
        &["df = df[df.latency > px.hours(1)]"],
    ),
    ct(
        "px.seconds",
        "unit",
        "INT64 literal (nanoseconds)",
        "A number of seconds in nanoseconds.",
        "Multiplies `unit`, which must be an integer literal, by 10⁹ and returns the duration \
         in nanoseconds, evaluated at compile time. Typical use is a bin width for \
         `px.bin(df.time_, ...)`.",
        &["df.timestamp = px.bin(df.time_, px.seconds(10))"],
    ),
    ct(
        "px.days",
        "unit",
        "INT64 literal (nanoseconds)",
        "A number of days in nanoseconds.",
        "Multiplies `unit`, which must be an integer literal, by 86400 × 10⁹ and returns the \
         duration in nanoseconds, evaluated at compile time. Because the result is a plain \
         integer, it can be added to `px.now()` or compared with `DURATION_NS` columns.",
        &["retention = px.days(2)"],
    ),
    ct(
        "px.milliseconds",
        "unit",
        "INT64 literal (nanoseconds)",
        "A number of milliseconds in nanoseconds.",
        "Multiplies `unit`, which must be an integer literal, by 10⁶ and returns the duration \
         in nanoseconds, evaluated at compile time. Handy for latency thresholds, since `latency` \
         columns hold nanoseconds.",
        &["slow = df[df.latency > px.milliseconds(200)]"],
    ),
    ct(
        "px.microseconds",
        "unit",
        "INT64 literal (nanoseconds)",
        "A number of microseconds in nanoseconds.",
        "Multiplies `unit`, which must be an integer literal, by 1000 and returns the \
         duration in nanoseconds, evaluated at compile time. Handy for latency thresholds, since \
         `latency` columns hold nanoseconds.",
        &["fast = df[df.latency < px.microseconds(500)]"],
    ),
    ct(
        "px.parse_duration",
        "duration",
        "INT64 literal (nanoseconds)",
        "Turns a duration string such as '-5m' into nanoseconds.",
        "Parses a string made of an optional minus sign, an integer and one of the units \
         `ms`, `s`, `m`, `h` or `d`, and returns the signed number of nanoseconds: `'-5m'` \
         gives −300000000000. Evaluated at compile time, so the result can be added to \
         `px.now()`.",
        &["start = px.now() + px.parse_duration('-15m')"],
    ),
    ct(
        "px.parse_time",
        "time",
        "TIME64NS literal",
        "Turns any accepted time form into a TIME64NS value.",
        "Accepts a relative string like `'-5m'` (added to the current time, so `'5m'` lies \
         in the future), an absolute string in the form `2020-07-13 18:02:05.00 -0700`, an \
         integer number of nanoseconds since the epoch, or an existing time value, and \
         returns a TIME64NS literal. Use it to do arithmetic on time arguments whatever \
         form the caller gave them in; the difference of two parsed times is an INT64 \
         duration.",
        &["window = px.parse_time(end_time) - px.parse_time(start_time)"],
    ),
    ct(
        "px.format_duration",
        "duration",
        "STRING literal",
        "Turns nanoseconds into a short duration string such as '-5m'.",
        "The inverse of `px.parse_duration`: expresses `duration` (INT64 nanoseconds) in the \
         largest of the units `d`, `h`, `m`, `s`, `ms` that fits at least once, truncating \
         toward zero and keeping the sign. So −300000000000 gives `'-5m'` and 90 seconds \
         gives `'1m'`.",
        &["label = px.format_duration(-5 * 60 * 1000 * 1000 * 1000)  # '-5m'"],
    ),
    ct(
        "px.strptime",
        "date_string, format",
        "INT64 literal (nanoseconds since the epoch)",
        "Parses a date string with a strptime-style format.",
        "Reads `date_string` according to `format`, which uses the C `strptime` directives \
         (`%Y`, `%m`, `%d`, `%H`, `%M`, `%S`, `%z`, ...), and returns nanoseconds since the \
         Unix epoch. Evaluated at compile time; a string that does not match the format is \
         a compile error.",
        &["t = px.strptime('2020-03-12 19:39:59 -0200', '%Y-%m-%d %H:%M:%S %z')"],
    ),
    // ---- Literals and expression helpers ---------------------------------------------------
    ct(
        "px.uint128",
        "uuid",
        "UINT128 literal",
        "Turns a UUID string into a UINT128 value.",
        "Parses the canonical 36-character form of a UUID (`8-4-4-4-12` hex digits) into a \
         128-bit literal, for comparison with UINT128 columns such as `upid` or \
         `agent_id`. A malformed string is a compile error.",
        &["df = df[df.upid == px.uint128('00000001-0000-1a2b-0000-00000000007b')]"],
    ),
    ct(
        "px.make_upid",
        "asid, pid, ts_ns",
        "UINT128 literal (semantic type UPID)",
        "Builds a UPID from its three parts.",
        "Combines an agent short ID, a process ID (both must fit in 32 bits) and the \
         process start time in nanoseconds into a unique process ID: the high 64 bits hold \
         `asid << 32 | pid`, the low 64 bits the start time. Mostly useful when a UPID was \
         printed as its parts; `px.uint128` reads the usual UUID rendering.",
        &["df = df[df.upid == px.make_upid(12, 4321, 1598419816000000)]"],
    ),
    ct(
        "px.equals_any",
        "value, comparisons",
        "BOOLEAN expression",
        "True when the value equals one of a list.",
        "Expands at compile time to `value == c0 or value == c1 or ...` over the elements of \
         `comparisons`, which must be a non-empty list or tuple of expressions or literals. \
         It stands in for Python's `in`, which PxL does not support.",
        &["df = df[px.equals_any(df.req_method, ['POST', 'PUT'])]"],
    ),
    ct(
        "px.script_reference",
        "label, script, args={}",
        "STRING expression (semantic type SCRIPT_REFERENCE)",
        "A value the UI renders as a link to another script.",
        "Produces a JSON string holding the link text `label`, the script ID `script` (such \
         as `'px/pod'`) and its arguments, which the UI shows as a clickable link that runs \
         that script. `label`, `script` and the values of `args` may be string literals, \
         columns or function calls; the keys of `args` must be string literals, and at most \
         8 arguments are allowed.",
        &["df.pod_link = px.script_reference(df.pod, 'px/pod', \
           {'pod': df.pod, 'start_time': '-5m'})"],
    ),
    ct(
        "px.vis.vega",
        "vega_spec",
        "decorator",
        "Attaches a Vega chart spec to a function.",
        "Used as a decorator on a function that returns a DataFrame: `vega_spec` is a Vega \
         or Vega-Lite specification (a JSON string) that tells the UI how to draw the \
         function's output. The function itself is unchanged otherwise and can still be called \
         from vis.json.",
        &["@px.vis.vega(spec)\ndef latency(start_time: str):\n    \
           return px.DataFrame('http_events', start_time=start_time)"],
    ),
    // ---- OpenTelemetry export --------------------------------------------------------------
    ct(
        "px.otel.Data",
        "resource, data=None, endpoint=None",
        "exporter",
        "Describes how a DataFrame becomes OpenTelemetry data.",
        "The argument for `px.export`. `resource` maps resource attribute names to string \
         literals or columns and must contain `'service.name'`. `data` is a non-empty list \
         of `px.otel.metric.Gauge`, `px.otel.metric.Summary` or `px.otel.trace.Span` \
         configurations. `endpoint` is a `px.otel.Endpoint`; without it, `pxl run` sends to \
         its `--otel-endpoint` (Pixie: the plugin's configured endpoint). pxl extension: \
         when `data` is omitted, every numeric column is exported as a gauge named after it, \
         with the string columns as attributes.",
        &[
            "px.export(df, \
             px.otel.Data(\n    endpoint=px.otel.Endpoint(url='collector:4317'),\n    \
             resource={'service.name': df.service},\n    \
             data=[px.otel.metric.Gauge(name='cpu.usage', value=df.cpu_pct)],\n))",
            "px.export(df, px.otel.Data(endpoint=px.otel.Endpoint(url='collector:4317'), \
             resource={'service.name': df.service}))",
        ],
    ),
    ct(
        "px.otel.Endpoint",
        "url, headers={}, insecure=False, timeout=5",
        "endpoint",
        "Where and how to reach an OpenTelemetry collector.",
        "Names the collector's `url`, extra request `headers` (a dict of strings, e.g. an API \
         key), whether to allow an `insecure` (plain-text) connection, and the `timeout` of \
         each export request in seconds. Pass it as `endpoint=` to `px.otel.Data`.",
        &[
            "ep = px.otel.Endpoint(url='otel-collector.monitoring:4317', \
           headers={'api-key': 'secret'}, insecure=True)",
        ],
    ),
    ct(
        "px.otel.metric.Gauge",
        "name, value, description='', attributes={}, unit=None",
        "metric configuration",
        "Exports a column as an OpenTelemetry gauge.",
        "Each row becomes one gauge data point of metric `name` with the value of the \
         `value` column (INT64 or FLOAT64), stamped with the row's `time_`, which the \
         DataFrame must have. `attributes` maps attribute names to literals or columns. \
         Without `unit`, the unit is derived from the value column's semantic type. Metric \
         names must start with a letter and contain only letters, digits, `_`, `.` and `-`.",
        &[
            "px.otel.metric.Gauge(name='http.request.count', value=df.requests, \
           attributes={'pod': df.pod})",
        ],
    ),
    ct(
        "px.otel.metric.Summary",
        "name, count, sum, quantile_values, description='', attributes={}, unit=None",
        "metric configuration",
        "Exports precomputed percentiles as an OpenTelemetry summary.",
        "Each row becomes one summary data point: `count` is an INT64 column with the number \
         of observations, `sum` a FLOAT64 column with their total, and `quantile_values` a \
         dict from quantile (a float such as `0.5` or `0.99`) to the FLOAT64 column holding \
         it. The DataFrame needs a `time_` column; without `unit`, the unit comes from the \
         semantic type of the quantile columns.",
        &[
            "px.otel.metric.Summary(name='http.latency', count=df.n, sum=df.total, \
           quantile_values={0.5: df.p50, 0.99: df.p99})",
        ],
    ),
    ct(
        "px.otel.trace.Span",
        "name, start_time, end_time, trace_id=None, span_id=None, parent_span_id=None, \
         attributes={}, kind=2",
        "span configuration",
        "Exports each row as an OpenTelemetry span.",
        "`name` is a string or STRING column; `start_time` and `end_time` are TIME64NS \
         columns. `trace_id` (32 lower-case hex characters) and `span_id` / \
         `parent_span_id` (16 hex characters) are optional columns: missing or malformed \
         IDs are generated, and a missing parent leaves the span a root. `kind` takes one of \
         the constants `px.otel.trace.SPAN_KIND_UNSPECIFIED` (0), `INTERNAL` (1), `SERVER` \
         (2, the default), `CLIENT` (3), `PRODUCER` (4) or `CONSUMER` (5).",
        &["df.end = df.time_\ndf.start = df.time_ - df.latency\n\
           span = px.otel.trace.Span(name=df.req_path, start_time=df.start, end_time=df.end, \
           kind=px.otel.trace.SPAN_KIND_SERVER)"],
    ),
    // ---- pxtrace ---------------------------------------------------------------------------
    ct(
        "pxtrace.probe",
        "fn_name",
        "decorator",
        "Turns a function into a probe on a traced program's function.",
        "Decorates a PxL function that describes what to capture when `fn_name` runs in the \
         target process; the language is detected from the binary. For Go, name the \
         function as `package.Func` (methods as `package.(*Type).Method`). The decorated \
         function returns a list of dicts mapping output column names to \
         `pxtrace.ArgExpr`, `pxtrace.RetExpr` or `pxtrace.FunctionLatency` fields.",
        &[
            "@pxtrace.probe('main.handleRequest')\ndef probe_fn():\n    \
           return [{'path': pxtrace.ArgExpr('r.URL.Path')}, \
           {'latency': pxtrace.FunctionLatency()}]",
        ],
    ),
    ct(
        "pxtrace.ArgExpr",
        "expr",
        "tracing field",
        "Captures an argument of the probed function.",
        "`expr` names an argument, optionally followed by struct fields in dotted form \
         (`arg1`, `req.Header.Host`); the dot works through pointers too. Scalars, strings \
         and byte arrays can be captured.",
        &["{'user_id': pxtrace.ArgExpr('userID')}"],
    ),
    ct(
        "pxtrace.RetExpr",
        "expr",
        "tracing field",
        "Captures a return value of the probed function.",
        "Return values are addressed by position as `$0`, `$1`, ..., optionally followed by \
         dotted struct fields (`$0.Status`). For Go functions the positions continue after \
         the arguments: the first result of a function with two arguments (receiver not \
         counted) is `$2`.",
        &["{'err': pxtrace.RetExpr('$1')}"],
    ),
    ct(
        "pxtrace.FunctionLatency",
        "",
        "tracing field",
        "Captures how long each call of the probed function took.",
        "Measures the time from entry to return of the probed function, in nanoseconds, \
         including time spent in the functions it calls. Use it as the value of an output column \
         of a `pxtrace.probe` function.",
        &["{'latency': pxtrace.FunctionLatency()}"],
    ),
    ct(
        "pxtrace.UpsertTracepoint",
        "name, table_name, probe_fn, target, ttl",
        "None",
        "Deploys a tracepoint that fills a table.",
        "Deploys `probe_fn` (a `pxtrace.probe` function, bpftrace source text, a \
         `pxtrace.TraceProgram` or a list of them) on `target` (a UPID, \
         `pxtrace.SharedObject`, `pxtrace.PodProcess`, `pxtrace.LabelSelector` or \
         `pxtrace.kprobe()`) for `ttl`, a duration string such as `'10m'`. Its output goes \
         to `table_name`, created if needed, which the script can then read with \
         `px.DataFrame(table=table_name)`. Calling it again with the same name and program \
         only renews the TTL; a different program under an existing name fails.",
        &[
            "pxtrace.UpsertTracepoint('tcp_drops', 'tcp_drops_table', program, \
           pxtrace.kprobe(), '10m')\ndf = px.DataFrame(table='tcp_drops_table')",
        ],
    ),
    ct(
        "pxtrace.TraceProgram",
        "program, **kwargs",
        "trace program",
        "A bpftrace program with host selectors.",
        "Wraps bpftrace source text so it can be passed to `pxtrace.UpsertTracepoint`. \
         Keyword arguments restrict where it is deployed: `min_kernel` and `max_kernel` \
         (kernel versions like `'5.19'`) and `host_name`. Passing a list of programs with \
         disjoint kernel ranges ships the right variant to each node.",
        &[
            "old = pxtrace.TraceProgram(program=src_old, max_kernel='5.18')\n\
           new = pxtrace.TraceProgram(program=src_new, min_kernel='5.19')",
        ],
    ),
    ct(
        "pxtrace.SharedObject",
        "name, upid",
        "tracepoint target",
        "Targets a shared library loaded by a process.",
        "Names a shared object (such as `libssl.so`) as loaded by the process `upid`, so the \
         tracepoint attaches to the library's functions rather than the executable's. Pass it as \
         the `target` of `pxtrace.UpsertTracepoint`.",
        &["target = pxtrace.SharedObject('libssl.so.1.1', upid)"],
    ),
    ct(
        "pxtrace.kprobe",
        "",
        "tracepoint target",
        "Targets the kernel.",
        "The target to use with bpftrace programs that attach to kernel probes or \
         tracepoints; they then run on every node rather than in one process. It takes no \
         arguments.",
        &["pxtrace.UpsertTracepoint('oom', 'oom_events', program, pxtrace.kprobe(), '5m')"],
    ),
    ct(
        "pxtrace.DeleteTracepoint",
        "name",
        "None",
        "Removes a tracepoint.",
        "Removes the tracepoint called `name` if it exists, without waiting for its TTL. Removing \
         a name that is not deployed is not an error.",
        &["pxtrace.DeleteTracepoint('tcp_drops')"],
    ),
    ct(
        "pxtrace.PodProcess",
        "pod_name, container_name='', process_name=''",
        "tracepoint target",
        "Targets a process by pod, container and command line.",
        "`pod_name` is `namespace/pod`; a prefix of the pod name is enough, which avoids \
         spelling the generated suffix. When the pod has several containers, \
         `container_name` picks one; when the container runs several processes, \
         `process_name` is a regular expression matched against their command lines. An \
         ambiguous target is a compile error.",
        &["target = pxtrace.PodProcess('default/checkout-', container_name='app')"],
    ),
    ct(
        "pxtrace.LabelSelector",
        "labels, namespace, container_name='', process_name=''",
        "tracepoint target",
        "Targets processes in every pod matching Kubernetes labels.",
        "Selects the pods of `namespace` carrying all the labels of the dict `labels`. As \
         with `pxtrace.PodProcess`, `container_name` and `process_name` (a regular \
         expression over command lines) narrow the choice when a pod has several \
         containers or a container several processes.",
        &["target = pxtrace.LabelSelector({'app': 'checkout'}, 'shop')"],
    ),
    // ---- pxconfig --------------------------------------------------------------------------
    ct(
        "pxconfig.set_agent_config",
        "agent_pod_name, key, value",
        "None",
        "Changes a runtime setting of one agent.",
        "Sets configuration `key` to `value` on the data-collecting agent running in pod \
         `agent_pod_name` (`namespace/pod`). Both `key` and `value` are strings; which keys exist \
         is up to the agent.",
        &["# The key and value are \
             illustrative.\npxconfig.set_agent_config('pl/vizier-pem-abcde', 'some_key', 'value')"],
    ),
];

pub const DATAFRAME_METHODS: &[CompileTimeSpec] = &[
    ct(
        "DataFrame.filter",
        "predicate",
        "DataFrame",
        "Keeps the rows for which a condition holds.",
        "Returns the rows of the DataFrame where `predicate`, a BOOLEAN expression (a bare \
         boolean column works too), is true. `df.filter(cond)` and `df[cond]` are the same \
         operation. Combine conditions with `and`, `or` and `not`; a chain of three or more \
         needs parentheses: `(a and b) and c`.",
        &[
            "df = df.filter(df.resp_status >= 500)",
            "df = df[df.latency > px.milliseconds(100)]",
        ],
    ),
    ct(
        "DataFrame.drop",
        "columns",
        "DataFrame",
        "Removes columns.",
        "Returns the DataFrame without `columns`, a single name or a list of names; the \
         remaining columns keep their order. To say which columns to keep instead, index with a \
         list: `df[['a', 'b']]`.",
        &[
            "df = df.drop('upid')",
            "df = df.drop(['req_headers', 'resp_headers'])",
        ],
    ),
    ct(
        "DataFrame.head",
        "n=5, _pem_only=False",
        "DataFrame",
        "Keeps the first n rows.",
        "Limits the DataFrame to its first `n` rows (5 by default). Normally the limit \
         applies to the combined result and is blocking; with `_pem_only=True` it is \
         applied only on each data collector (at most `n` rows per node) and does not \
         block. Placed right after `sort` it becomes a top-n.",
        &["df = df.head(100)"],
    ),
    ct(
        "DataFrame.groupby",
        "by",
        "grouped DataFrame",
        "Groups rows by the values of some columns.",
        "Groups by `by`, a column name or a list of names. A grouped DataFrame can only be \
         followed by `.agg(...)` (or `.rolling(...)`); anything else is an error. The group \
         columns come first in the aggregated output, in the order given here.",
        &["df = df.groupby(['service', 'req_path']).agg(n=('latency', px.count))"],
    ),
    ct(
        "DataFrame.agg",
        "**kwargs",
        "DataFrame",
        "Computes aggregates per group (or over everything).",
        "Each keyword names an output column and gives a tuple of input column names \
         followed by an aggregate function: `n=('latency', px.count)`, or several columns for \
         multi-argument aggregates. The output holds the group columns, then the aggregates \
         in keyword order; without a preceding `groupby` there is a single row. \
         `groupby(...).agg()` with no keywords yields the distinct groups. pxl also accepts \
         a one-argument lambda as the function, aggregating an expression of the column: \
         `errors=('resp_status', lambda x: px.sum(x >= 400))`.",
        &[
            "df = df.groupby('service').agg(\n    requests=('latency', px.count),\n    \
             p50=('latency', px.quantiles(0.5)),\n)",
            "pods = df.groupby(['namespace', 'pod']).agg()",
        ],
    ),
    ct(
        "DataFrame.merge",
        "right, how='inner', left_on=None, right_on=None, suffixes=['_x', '_y']",
        "DataFrame",
        "Joins with another DataFrame on key columns.",
        "Joins this (left) DataFrame with `right`; `how` is `'inner'`, `'left'`, `'right'` \
         or `'outer'`. `left_on` and `right_on` name the key columns, as strings or lists of \
         equal length with matching data types. The output has all left columns, then all \
         right columns, keys of both sides included; a name present on both sides gets \
         `suffixes[0]` on the left copy and `suffixes[1]` on the right one, and a clash \
         that remains after renaming is an error. The common idiom `suffixes=['', '_x']` \
         keeps the left names as they are.",
        &[
            "df = left.merge(right, how='left', left_on='upid', right_on='upid', \
           suffixes=['', '_x'])",
        ],
    ),
    ct(
        "DataFrame.append",
        "objs",
        "DataFrame",
        "Stacks the rows of other DataFrames under this one.",
        "Unions this DataFrame with `objs`, one DataFrame or a list of them. All inputs must \
         have the same column names with the same data types; columns are matched by name \
         and the output uses the first input's order. When there is a `time_` column the \
         result is ordered by time. To combine DataFrames with different columns, use \
         `merge`.",
        &["df = mysql.append(pgsql)", "df = a.append([b, c])"],
    ),
    ct(
        "DataFrame.rolling",
        "window, on='time_'",
        "rolled DataFrame",
        "Groups rows into rolling time windows.",
        "Assigns rows to windows of size `window` (a duration string such as `'10s'` or \
         integer nanoseconds, greater than zero) over the `time_` column, the only value \
         `on` accepts. Follow it with `.agg(...)`, which then groups by window (within the \
         groups of a preceding `groupby`). Windows are tumbling and aligned on multiples of \
         `window` since the epoch; in the output, `time_` is the start of each window and \
         comes after the group columns. `df.rolling('1m').agg(...)` gives the same rows as \
         setting `df.time_ = px.bin(df.time_, px.DurationNanos(60000000000))` and grouping by \
         `time_`. Pixie accepts this method but cannot execute it; in pxl it is a real \
         operator.",
        &[
            "df = df.rolling('1m').agg(requests=('latency', px.count))",
            "df = df.groupby('service').rolling('10s').agg(p99=('latency', px.quantiles(0.99)))",
        ],
    ),
    ct(
        "DataFrame.stream",
        "",
        "DataFrame",
        "Runs the DataFrame as a never-ending stream.",
        "Marks the tables feeding this DataFrame as streaming: the query keeps delivering \
         new rows instead of returning once. Only allowed when no blocking operator (agg, \
         merge, append, head) comes before it and the result goes straight to a sink.",
        &["px.display(px.DataFrame('http_events').stream())"],
    ),
    ct(
        "DataFrame.map",
        "**kwargs",
        "error",
        "Not supported: assign columns instead.",
        "Calling `map` is always an error, as in Pixie. To add or replace a column, assign \
         to it: `df.col = expr` or `df['col'] = expr`. The new column goes at the end, and \
         replacing an existing column moves it to the end.",
        &[
            "df.latency_ms = df.latency / 1000000",
            "df['status class'] = df.resp_status / 100",
        ],
    ),
    ct(
        "DataFrame.sort",
        "by, ascending=True",
        "DataFrame",
        "Orders rows by columns (pxl extension).",
        "Sorts by `by`, a column name or a list of names, compared in order. `ascending` is \
         one boolean for all columns or a list of booleans of the same length as `by`. The \
         sort runs on the aggregator; followed by `head(n)` it becomes a top-n that keeps \
         only n rows instead of sorting everything.",
        &[
            "df = df.sort('latency', ascending=False).head(10)",
            "df = df.sort(['service', 'requests'], ascending=[True, False])",
        ],
    ),
    ct(
        "Column.contains",
        "substr",
        "BOOLEAN expression",
        "True when the string column contains a substring (pxl extension).",
        "Sugar for `px.contains(column, substr)`: true when `substr` occurs anywhere in the \
         value. Works on STRING columns and expressions.",
        &["df = df[df.req_path.contains('/api/')]"],
    ),
    ct(
        "Column.startswith",
        "prefix",
        "BOOLEAN expression",
        "True when the string column begins with a prefix (pxl extension).",
        "Method form of a prefix test on a STRING column or expression: true when the value \
         starts with `prefix`. An empty prefix matches every row.",
        &["df = df[df.req_path.startswith('/healthz')]"],
    ),
    ct(
        "Column.endswith",
        "suffix",
        "BOOLEAN expression",
        "True when the string column ends with a suffix (pxl extension).",
        "Method form of a suffix test on a STRING column or expression: true when the value \
         ends with `suffix`. An empty suffix matches every row.",
        &["df = df[df.req_path.endswith('.js')]"],
    ),
    ct(
        "Column.lower",
        "",
        "STRING expression",
        "Lower-cases a string column (pxl extension).",
        "Sugar for `px.tolower(column)`: converts ASCII letters to lower case and leaves \
         other bytes alone. Works on STRING columns and expressions.",
        &["df.method = df.req_method.lower()"],
    ),
    ct(
        "Column.upper",
        "",
        "STRING expression",
        "Upper-cases a string column (pxl extension).",
        "Sugar for `px.toupper(column)`: converts ASCII letters to upper case and leaves \
         other bytes alone. Works on STRING columns and expressions.",
        &["df.method = df.req_method.upper()"],
    ),
    ct(
        "Column.strip",
        "",
        "STRING expression",
        "Trims whitespace from both ends of a string column (pxl extension).",
        "Sugar for `px.trim(column)`: removes leading and trailing ASCII whitespace. Whitespace \
         inside the value is kept.",
        &["df.cmd = df.cmdline.strip()"],
    ),
    ct(
        "DataFrame.__getitem__",
        "key",
        "DataFrame or column expression",
        "Indexing: filter rows, keep columns, or read one column.",
        "`df[...]` means one of three things depending on the key. A BOOLEAN expression \
         filters rows, like `df.filter(...)`. A list or tuple of names — \
         `df[['a', 'b']]`, `df[('a', 'b')]` or simply `df['a', 'b']` — keeps exactly those \
         columns in that order (a repeated name is an error). A single string reads one \
         column, like `df.name`; this is how to reach columns whose names clash with a \
         method or contain spaces. Slices are not supported.",
        &[
            "df = df[df.resp_status == 200]",
            "df = df[['time_', 'req_path', 'latency']]",
            "df.n = df['count'] + 1",
        ],
    ),
    ct(
        "DataFrame.ctx.__getitem__",
        "key",
        "column expression (STRING; INT64 for asid and pid)",
        "Kubernetes and process metadata as a column.",
        "`df.ctx['pod']` derives a metadata column from a key column of the DataFrame, \
         usually `upid` (some keys can also start from `pod_id`, `pod_name`, `service_id`, \
         `service_name`, `deployment_*` or `replicaset_*` columns); if none of the usable \
         columns is present the compiler says which one is needed. Keys, with their \
         aliases in parentheses: `container_id`, `container_name` (`container`), \
         `service_id`, `service_name` (`service`), `pod_id`, `pod_name` (`pod`), \
         `deployment_id`, `deployment_name` (`deployment`), `replicaset_id` \
         (`replica_set_id`), `replicaset_name` (`replica_set`, `replicaset`), `namespace`, \
         `node_name` (`node`), `hostname` (`host`), `cmdline` (`cmd`), `asid` and `pid`. \
         Pod and service names have the form `namespace/name`. pxl extension: where the \
         table has no such column, `df.service`, `df.pod`, `df.namespace`, `df.node`, \
         `df.container` and `df.deployment` mean the same as the `ctx` lookup.",
        &[
            "df.pod = df.ctx['pod']",
            "df = df[df.ctx['namespace'] == 'default']",
        ],
    ),
];

pub const TYPE_OBJECTS: &[TypeObject] = &[
    TypeObject {
        path: "px.Time",
        ty: DataType::Time64Ns,
        semantic: SemanticType::TimeNs,
        brief: "A point in time (TIME64NS); as a parameter annotation, the argument arrives \
                as integer nanoseconds.",
    },
    TypeObject {
        path: "px.Service",
        ty: DataType::String,
        semantic: SemanticType::ServiceName,
        brief: "A Kubernetes service name (`namespace/service`).",
    },
    TypeObject {
        path: "px.Pod",
        ty: DataType::String,
        semantic: SemanticType::PodName,
        brief: "A Kubernetes pod name (`namespace/pod`).",
    },
    TypeObject {
        path: "px.Node",
        ty: DataType::String,
        semantic: SemanticType::NodeName,
        brief: "A Kubernetes node name.",
    },
    TypeObject {
        path: "px.Namespace",
        ty: DataType::String,
        semantic: SemanticType::NamespaceName,
        brief: "A Kubernetes namespace name.",
    },
    TypeObject {
        path: "px.Container",
        ty: DataType::String,
        semantic: SemanticType::ContainerName,
        brief: "A container name.",
    },
    TypeObject {
        path: "px.UPID",
        ty: DataType::Uint128,
        semantic: SemanticType::Upid,
        brief: "A unique process ID: agent, PID and process start time in 128 bits.",
    },
    TypeObject {
        path: "px.Bytes",
        ty: DataType::Int64,
        semantic: SemanticType::Bytes,
        brief: "An INT64 amount of bytes, shown with binary units.",
    },
    TypeObject {
        path: "px.DurationNanos",
        ty: DataType::Int64,
        semantic: SemanticType::DurationNs,
        brief: "An INT64 duration in nanoseconds, shown as a duration.",
    },
    TypeObject {
        path: "px.Percent",
        ty: DataType::Float64,
        semantic: SemanticType::Percent,
        brief: "A FLOAT64 ratio shown as a percentage.",
    },
    TypeObject {
        path: "str",
        ty: DataType::String,
        semantic: SemanticType::None,
        brief: "A plain string; as a cast it only clears the semantic type.",
    },
    TypeObject {
        path: "int",
        ty: DataType::Int64,
        semantic: SemanticType::None,
        brief: "A plain INT64; as a cast it only clears the semantic type (use `px.atoi` to \
                parse strings).",
    },
    TypeObject {
        path: "float",
        ty: DataType::Float64,
        semantic: SemanticType::None,
        brief: "A plain FLOAT64; as a cast it only clears the semantic type.",
    },
    TypeObject {
        path: "bool",
        ty: DataType::Boolean,
        semantic: SemanticType::None,
        brief: "A plain BOOLEAN; as a script argument it accepts true/false, 1/0, yes/no, t/f, \
                y/n.",
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    /// Splits a parameter list at commas outside brackets and quotes.
    fn split_params(params: &str) -> Result<Vec<&str>, String> {
        let mut out = Vec::new();
        let (mut depth, mut quote, mut start) = (0i32, None, 0);
        for (i, c) in params.char_indices() {
            match (quote, c) {
                (Some(q), _) if c == q => quote = None,
                (Some(_), _) => {}
                (None, '\'' | '"') => quote = Some(c),
                (None, '[' | '{' | '(') => depth += 1,
                (None, ']' | '}' | ')') => depth -= 1,
                (None, ',') if depth == 0 => {
                    out.push(params[start..i].trim());
                    start = i + 1;
                }
                _ => {}
            }
        }
        if quote.is_some() || depth != 0 {
            return Err("unbalanced brackets or quotes".into());
        }
        let last = params[start..].trim();
        if !last.is_empty() || !out.is_empty() {
            out.push(last);
        }
        Ok(out)
    }

    fn is_identifier(s: &str) -> bool {
        let mut chars = s.chars();
        matches!(chars.next(), Some(c) if c == '_' || c.is_ascii_alphabetic())
            && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
    }

    /// Checks that `params` is a valid Python-style parameter list.
    fn check_params(params: &str) -> Result<(), String> {
        let mut seen = HashSet::new();
        let mut defaults_started = false;
        let items = split_params(params)?;
        for (i, item) in items.iter().enumerate() {
            if item.is_empty() {
                return Err("empty parameter".into());
            }
            let (name, default) = match item.split_once('=') {
                Some((n, d)) => (n.trim(), Some(d.trim())),
                None => (item.trim(), None),
            };
            if let Some(kw) = name.strip_prefix("**") {
                if default.is_some() || i != items.len() - 1 {
                    return Err(format!("**{kw} must come last, without a default"));
                }
                if !is_identifier(kw) || !seen.insert(kw) {
                    return Err(format!("bad or duplicate name {name:?}"));
                }
                continue;
            }
            if !is_identifier(name) {
                return Err(format!("bad parameter name {name:?}"));
            }
            if !seen.insert(name) {
                return Err(format!("duplicate parameter {name}"));
            }
            match default {
                Some("") => return Err(format!("empty default for {name}")),
                Some(_) => defaults_started = true,
                None if defaults_started => {
                    return Err(format!("{name} has no default but follows one that has"));
                }
                None => {}
            }
        }
        Ok(())
    }

    #[test]
    fn params_are_python_parameter_lists() {
        for spec in MODULE_FUNCTIONS.iter().chain(DATAFRAME_METHODS) {
            if let Err(e) = check_params(spec.params) {
                panic!("{}({}): {e}", spec.path, spec.params);
            }
        }
    }

    #[test]
    fn param_checker_rejects_bad_lists() {
        for bad in [
            "a=1, b", "a, a", "**kw, a", "1a", "a, , b", "a=", "**kw=1", "a=[1, b",
        ] {
            assert!(check_params(bad).is_err(), "{bad:?} was accepted");
        }
        for good in ["", "a", "a, b=1, **kw", "out, name='output', cols=[]"] {
            assert_eq!(check_params(good), Ok(()), "{good:?} was rejected");
        }
        assert_eq!(
            split_params("a, b=['_x', '_y'], c={}"),
            Ok(vec!["a", "b=['_x', '_y']", "c={}"])
        );
    }

    #[test]
    fn entries_are_unique_and_documented() {
        let mut paths = HashSet::new();
        for spec in MODULE_FUNCTIONS.iter().chain(DATAFRAME_METHODS) {
            assert!(paths.insert(spec.path), "{} is listed twice", spec.path);
            assert!(
                !spec.brief.is_empty() && !spec.doc.is_empty(),
                "{} lacks docs",
                spec.path
            );
            assert!(
                !spec.returns.is_empty(),
                "{} lacks a return description",
                spec.path
            );
            assert!(!spec.examples.is_empty(), "{} has no example", spec.path);
        }
        let modules: HashSet<_> = MODULES.iter().map(|m| m.name).collect();
        for spec in MODULE_FUNCTIONS {
            let root = spec.path.split('.').next().unwrap();
            assert!(
                modules.contains(root),
                "{} is not in a known module",
                spec.path
            );
        }
        let mut types = HashSet::new();
        for t in TYPE_OBJECTS {
            assert!(
                types.insert(t.path),
                "type object {} is listed twice",
                t.path
            );
        }
    }
}
