//! Every diagnostic code with its explanation (`pxl explain-error CODE`).

/// One diagnostic code.
#[derive(Debug, Clone, Copy)]
pub struct Code {
    pub code: &'static str,
    pub title: &'static str,
    /// Markdown: what triggers it, an example, how to fix it.
    pub explanation: &'static str,
}

pub fn lookup(code: &str) -> Option<&'static Code> {
    let code = code.trim().to_ascii_uppercase();
    CODES.iter().find(|c| c.code == code)
}

pub const CODES: &[Code] = &[
    Code {
        code: "E0001",
        title: "unexpected character",
        explanation: "The source contains a character that has no meaning in PxL outside strings and comments, such as `$` or `?`.\n\n```\nx = $total\n```\n\nRemove the character or put the text in a string.",
    },
    Code {
        code: "E0002",
        title: "unterminated string",
        explanation: "A string literal is not closed. Single- and double-quoted strings must close on the same line; use a triple-quoted string (`'''...'''`) for text that spans lines.\n\n```\nname = 'checkout\n```",
    },
    Code {
        code: "E0003",
        title: "inconsistent indentation",
        explanation: "A line is indented less than the block it is in but not as far as any enclosing block.\n\n```\ndef f():\n        x = 1\n    return x   # matches no outer level\n```\n\nIndent every line of a block by the same amount.",
    },
    Code {
        code: "E0004",
        title: "unexpected token",
        explanation: "The parser found something it cannot use at this point. The message says what it found and what would have fitted; common causes are a missing `,` between arguments, a missing `:` after `def f()`, or an unclosed bracket on an earlier line. Every syntax error of a file is reported, and the statements around it are still checked.",
    },
    Code {
        code: "E0005",
        title: "unexpected end of file",
        explanation: "The file ends in the middle of a statement, usually because a bracket or a block is never closed.",
    },
    Code {
        code: "E0006",
        title: "statement too complex",
        explanation: "A statement nests brackets more than 100 levels deep, has more than 5,000 operators, or builds an expression more than 200 levels deep. pxl refuses such input instead of exhausting its stack.\n\nSplit the expression into several assignments, e.g. intermediate columns.",
    },
    Code {
        code: "E0007",
        title: "integer literal too large",
        explanation: "An integer literal does not fit in a signed 64-bit integer (INT64), the only integer type of PxL.",
    },
    Code {
        code: "W0001",
        title: "missing comma before keyword argument",
        explanation: "Pixie's parser accepts a missing comma before a trailing keyword argument, and some shipped scripts rely on it:\n\n```\ndf.agg(a=('x', px.count)\n       b=('y', px.sum))\n```\n\npxl accepts it too, for compatibility, and warns. Add the comma.",
    },
    Code {
        code: "E0101",
        title: "unsupported statement",
        explanation: "PxL has no control flow and no classes: `if`, `for`, `while`, `try`, `with`, `class`, `pass`, `break`, `continue`, `raise`, `assert`, `del`, `global` and augmented assignment (`+=`) are rejected.\n\nFilter DataFrames instead of branching (`df = df[df.status >= 400]`), use `px.select(cond, a, b)` for per-row choices, and `x = x + 1` instead of `x += 1`.",
    },
    Code {
        code: "E0102",
        title: "unsupported expression",
        explanation: "The expression is Python but not PxL: conditional expressions (`a if c else b`), comprehensions, sets, slices, f-strings, bytes literals, `...` and `*`/`**` argument unpacking.\n\nUse `px.select(cond, a, b)` for a conditional, write lists out, and use `df.head(n)` rather than slicing.",
    },
    Code {
        code: "E0103",
        title: "unsupported operator",
        explanation: "PxL supports `+ - * / %`, comparisons `== != < <= > >=`, `and`, `or`, `not`, unary `-` and `~`. `//`, `**`, bitwise operators, `in` and `is` are not available.\n\nUse `px.floor(a / b)`, `px.pow(a, b)`, or `px.equals_any(x, [a, b])`.",
    },
    Code {
        code: "E0104",
        title: "chained comparison",
        explanation: "`a < b < c` is not supported. Write `(a < b) and (b < c)`.",
    },
    Code {
        code: "E0105",
        title: "lambda outside an agg spec",
        explanation: "pxl accepts a lambda only as the aggregate of an agg spec, where its body applies aggregates to an expression of the column:\n\n```\ndf.groupby('service').agg(error_rate=('resp_status', lambda x: px.mean(x >= 400)))\n```\n\nEverywhere else define a function with `def`.",
    },
    Code {
        code: "E0106",
        title: "unsupported assignment target",
        explanation: "PxL assigns one value to one target: a name, `df.col` or `df['col']`. Multiple targets (`a = b = 1`) and tuple unpacking (`a, b = f()`) are not supported.",
    },
    Code {
        code: "E0107",
        title: "unsupported parameter",
        explanation: "Function parameters cannot have default values, and `*args`/`**kwargs` are not supported. vis.json variables provide values for script functions.",
    },
    Code {
        code: "E0108",
        title: "return outside a function",
        explanation: "`return` can only appear inside a `def`.",
    },
    Code {
        code: "E0201",
        title: "undefined name",
        explanation: "A name is used that is neither defined in the script nor a builtin (`True`, `False`, `None`, `str`, `int`, `float`, `bool`, `list`). Modules must be imported: `import px`. The message suggests a close name when there is one.",
    },
    Code {
        code: "E0202",
        title: "unknown module",
        explanation: "PxL scripts can import `px`, `pxtrace`, `pxconfig` and `pxviews`; relative imports are not supported.",
    },
    Code {
        code: "E0203",
        title: "cannot import name",
        explanation: "`from m import x` names something module `m` does not have, or uses `import *`.",
    },
    Code {
        code: "E0204",
        title: "unknown attribute",
        explanation: "An attribute does not exist on the object: for example `px.cont` (did you mean `px.contains`?), a misspelt DataFrame method, or an attribute of a column other than the string methods `contains`, `startswith`, `endswith`, `lower`, `upper` and `strip`.",
    },
    Code {
        code: "E0205",
        title: "not callable",
        explanation: "A value is called that is not a function, e.g. a column (`df.latency()`) or a literal.",
    },
    Code {
        code: "E0206",
        title: "wrong arguments",
        explanation: "A call has too many or too few arguments, an unexpected keyword, or the same argument twice. The message lists the parameters the function takes. Registry functions (`px.contains`, ...) take positional arguments only.",
    },
    Code {
        code: "E0207",
        title: "invalid argument",
        explanation: "An argument has the wrong kind of value for a compile-time function: e.g. `px.DataFrame(table=5)`, a non-string column name in `select`, a non-literal duration for `px.minutes`.",
    },
    Code {
        code: "E0208",
        title: "invalid index",
        explanation: "Only lists and tuples can be indexed by an integer literal, and only within range; dicts are not subscriptable; DataFrames are indexed by a column name, a list of names, or a boolean expression.",
    },
    Code {
        code: "E0209",
        title: "recursion too deep",
        explanation: "User functions call each other more than 64 levels deep. PxL functions run at compile time and have no control flow, so recursion never ends.",
    },
    Code {
        code: "E0301",
        title: "unknown table",
        explanation: "`px.DataFrame` names a table that does not exist. The message suggests the closest table; `docs/reference/tables.md` lists them all.",
    },
    Code {
        code: "E0302",
        title: "column not found",
        explanation: "A column is used that the DataFrame does not have at that point, e.g. after a `groupby().agg()` only the group and aggregate columns remain.\n\n```\ndf = px.DataFrame('http_events')\ndf = df[df.latncy > 100]   # column `latncy` not found in `http_events`; did you mean `latency`?\n```",
    },
    Code {
        code: "E0303",
        title: "duplicate column",
        explanation: "A list of columns to keep names the same column twice.",
    },
    Code {
        code: "E0304",
        title: "unknown metadata key",
        explanation: "`df.ctx[...]` takes one of: pod (pod_name), service (service_name), namespace, node (node_name), container (container_name), deployment (deployment_name), replicaset (replicaset_name), hostname (host), cmdline (cmd), pid, asid, container_id, service_id, pod_id, deployment_id, replicaset_id.",
    },
    Code {
        code: "E0305",
        title: "metadata cannot be resolved",
        explanation: "A metadata key is computed from a key column such as `upid`, `pod_id` or `pod_name`. The DataFrame has none of the columns the key can be derived from, usually because an aggregation or a column selection removed `upid`. Read the metadata before aggregating, or keep the key column in the groupby.",
    },
    Code {
        code: "E0306",
        title: "invalid time",
        explanation: "A time bound is neither a relative time (`'-5m'`, `'-1h30m'`, units ns, us, ms, s, m, h, d) nor an absolute time (`'2024-01-02 15:04:05 -0700'`, `'2024-01-02T15:04:05Z'`), nor an integer of nanoseconds.",
    },
    Code {
        code: "E0401",
        title: "no matching overload",
        explanation: "A function or operator is applied to argument types it has no overload for. PxL does not convert types implicitly; the message lists the accepted argument types.\n\n```\ndf.x = df.req_path + 1      # STRING + INT64\n```\n\nConvert explicitly (`px.itoa`, `px.atoi`, `px.time_to_int64`).",
    },
    Code {
        code: "E0402",
        title: "filter condition is not boolean",
        explanation: "`df[cond]` and `df.filter(cond)` need a BOOLEAN expression. Compare the column: `df[df.resp_status >= 400]`.",
    },
    Code {
        code: "E0403",
        title: "invalid semantic cast",
        explanation: "`px.DurationNanos(x)`, `px.Service(x)` and friends only relabel the semantic type; the data type must already match (DurationNanos needs INT64, Service needs STRING).",
    },
    Code {
        code: "E0404",
        title: "expected an expression",
        explanation: "An operator or function needs a column expression, literal or function result, but got another object, e.g. a whole DataFrame (`px.contains(df, 'x')`).",
    },
    Code {
        code: "E0406",
        title: "aggregate misuse",
        explanation: "An aggregate was used outside `.agg()`, a scalar function was used as an aggregate, aggregates were nested, or the aggregate has no overload for the column's type (e.g. `px.mean` of a STRING column).",
    },
    Code {
        code: "E0407",
        title: "argument must be a literal",
        explanation: "Some function arguments are compiled once and must be literals, e.g. the pattern of `px.regex_match(pattern, s)` and the arguments of table functions.",
    },
    Code {
        code: "E0501",
        title: "groupby misuse",
        explanation: "`groupby()` must be followed by `.agg(...)` (or `.rolling(...)`), and needs at least one column.",
    },
    Code {
        code: "E0502",
        title: "invalid agg spec",
        explanation: "Each keyword of `.agg()` must be a tuple of column name(s) followed by an aggregate: `n=('latency', px.count)`, `p99=('latency', px.quantiles(0.99))` or `err=('resp_status', lambda x: px.mean(x >= 400))`. Output names must be distinct and must not repeat a group column; inside a lambda every use of the column must be inside an aggregate.",
    },
    Code {
        code: "E0503",
        title: "invalid join",
        explanation: "`merge(right, how, left_on, right_on, suffixes)`: `how` is inner, left, right or outer; left and right keys must be the same number of existing columns with equal types; after applying the suffixes every output column name must be unique.",
    },
    Code {
        code: "E0504",
        title: "append of different schemas",
        explanation: "`append()` needs DataFrames with the same column names and types.",
    },
    Code {
        code: "E0505",
        title: "invalid head",
        explanation: "`head(n)` takes a non-negative integer literal.",
    },
    Code {
        code: "E0506",
        title: "invalid sort",
        explanation: "`sort(by, ascending=True)`: `by` is a column name or a list of names; `ascending` is a bool or a list of bools of the same length.",
    },
    Code {
        code: "E0507",
        title: "invalid column assignment",
        explanation: "Columns are assigned on a DataFrame variable: `df.col = expr` or `df['col'] = expr`, with an expression on the right. `df.map()` does not exist; assign columns instead.",
    },
    Code {
        code: "E0509",
        title: "invalid rolling window",
        explanation: "`rolling(window, on='time_')` needs a positive window (a duration string or nanoseconds) and only works on `time_`.",
    },
    Code {
        code: "E0601",
        title: "no output",
        explanation: "The script compiles but outputs nothing. Add `px.display(df)` (or `px.debug`, `px.export`), or for a vis script make sure vis.json calls a function that returns a DataFrame.",
    },
    Code {
        code: "E0602",
        title: "empty script",
        explanation: "The script has no statements.",
    },
    Code {
        code: "E0603",
        title: "invalid vis.json",
        explanation: "vis.json is not valid JSON, or a variable, globalFunc or widget is malformed (missing names, unknown variable types, a widget referring to an undefined global function output).",
    },
    Code {
        code: "E0604",
        title: "vis function not found",
        explanation: "vis.json calls a function that the script does not define at module level.",
    },
    Code {
        code: "E0605",
        title: "invalid vis argument",
        explanation: "An argument passed by vis.json does not match the function: the parameter does not exist, has no type annotation (needed to convert the text value), or the value does not convert (e.g. `abc` for an `int` parameter).",
    },
    Code {
        code: "E0606",
        title: "vis function result",
        explanation: "A function called by vis.json must return a DataFrame, or a list of DataFrames.",
    },
    Code {
        code: "E0607",
        title: "invalid script argument",
        explanation: "`--arg NAME=VALUE` names a variable vis.json does not declare, gives a value outside its validValues, or a variable without default was not given a value.",
    },
    Code {
        code: "E0608",
        title: "invalid export",
        explanation: "`px.export(df, px.otel.Data(...))`: the resource needs 'service.name'; metrics need a `time_` column; fields refer to existing columns; metric names match `[A-Za-z][A-Za-z0-9_.-]*`.",
    },
    Code {
        code: "E0609",
        title: "invalid manifest.yaml",
        explanation: "manifest.yaml is not valid YAML or a key has the wrong type. Known keys: short, long, org_id, hidden.",
    },
    Code {
        code: "E0610",
        title: "invalid script directory",
        explanation: "A script directory must contain exactly one `.pxl` file (with optional vis.json and manifest.yaml).",
    },
    Code {
        code: "W0603",
        title: "duplicate output name",
        explanation: "Two outputs have the same name; the later ones are renamed `name_1`, `name_2`, ... as Pixie does. Give each output its own name.",
    },
    Code {
        code: "W0604",
        title: "unknown manifest key",
        explanation: "manifest.yaml has a key pxl does not know; it is ignored.",
    },
    Code {
        code: "W0605",
        title: "query flag ignored",
        explanation: "A `#px:set key=value` comment line sets a query flag. pxl uses `max_output_rows_per_table=N` (every shown output keeps at most N rows) and accepts Pixie's `explain` and `analyze` without effect; an unknown flag, or a value that is not a positive whole number, is ignored with this warning.",
    },
    Code {
        code: "E9999",
        title: "internal compiler error",
        explanation: "This is a bug in pxl. Please report it with the script that triggers it.",
    },
];
