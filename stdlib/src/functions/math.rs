//! Math, time and conditional helpers: `abs`, logarithms, rounding, `bin`,
//! `select`, and the TIME64NS <-> INT64 reinterpretations.

use super::{Family, FnKind, FunctionSpec, SemRule};

const fn scalar(
    name: &'static str,
    family: Family,
    sigs: &'static [&'static str],
    semantic: SemRule,
    brief: &'static str,
    doc: &'static str,
    examples: &'static [&'static str],
) -> FunctionSpec {
    FunctionSpec {
        name,
        kind: FnKind::Scalar,
        family,
        sigs,
        semantic,
        init_args: 0,
        brief,
        doc,
        examples,
    }
}

pub(super) const FUNCTIONS: &[FunctionSpec] = &[
    scalar(
        "abs",
        Family::Math,
        &["(value: FLOAT64) -> FLOAT64", "(value: INT64) -> INT64"],
        SemRule::Inherit,
        "Absolute value.",
        "Returns the value without its sign, in the same type as the input. The semantic \
         type is kept, so the absolute value of a duration is still a duration.",
        &["df.abs_delta = px.abs(df.expected - df.actual)"],
    ),
    scalar(
        "sqrt",
        Family::Math,
        &["(value: FLOAT64) -> FLOAT64", "(value: INT64) -> FLOAT64"],
        SemRule::Fixed,
        "Square root.",
        "Returns the square root as a FLOAT64, for integer input too. A negative input gives \
         NaN.",
        &["df.stddev = px.sqrt(df.variance)"],
    ),
    scalar(
        "exp",
        Family::Math,
        &["(value: FLOAT64) -> FLOAT64", "(value: INT64) -> FLOAT64"],
        SemRule::Fixed,
        "e raised to a power.",
        "Returns e (about 2.71828) to the power `value`, as a FLOAT64. Large inputs overflow \
         to infinity. It is the inverse of `px.ln`.",
        &["df.growth = px.exp(df.rate * df.hours)"],
    ),
    scalar(
        "ln",
        Family::Math,
        &["(value: FLOAT64) -> FLOAT64", "(value: INT64) -> FLOAT64"],
        SemRule::Fixed,
        "Natural logarithm (base e).",
        "Returns the base-e logarithm as a FLOAT64. Zero gives negative infinity and a \
         negative input gives NaN.",
        &["df.log_latency = px.ln(df.latency)"],
    ),
    scalar(
        "log2",
        Family::Math,
        &["(value: FLOAT64) -> FLOAT64", "(value: INT64) -> FLOAT64"],
        SemRule::Fixed,
        "Base-2 logarithm.",
        "Returns the power of two that gives `value`, as a FLOAT64; `px.log2(1024)` is \
         `10.0`. Zero gives negative infinity and a negative input gives NaN.",
        &["df.size_bucket = px.floor(px.log2(df.resp_body_size + 1))"],
    ),
    scalar(
        "log10",
        Family::Math,
        &["(value: FLOAT64) -> FLOAT64", "(value: INT64) -> FLOAT64"],
        SemRule::Fixed,
        "Base-10 logarithm.",
        "Returns the power of ten that gives `value`, as a FLOAT64, which is handy to bucket \
         values by order of magnitude. Zero gives negative infinity and a negative input \
         gives NaN.",
        &["df.magnitude = px.floor(px.log10(df.latency))"],
    ),
    scalar(
        "log",
        Family::Math,
        &[
            "(base: FLOAT64, value: FLOAT64) -> FLOAT64",
            "(base: FLOAT64, value: INT64) -> FLOAT64",
            "(base: INT64, value: FLOAT64) -> FLOAT64",
            "(base: INT64, value: INT64) -> FLOAT64",
        ],
        SemRule::Fixed,
        "Logarithm in an arbitrary base.",
        "Returns the logarithm of `value` in base `base` as a FLOAT64. Note the order: the \
         base comes first, so `px.log(2, 8)` is `3.0`. It is computed as `ln(value) / \
         ln(base)`, so a base of 1 gives an infinity or NaN.",
        &["df.doublings = px.log(2, df.bytes_total)"],
    ),
    scalar(
        "pow",
        Family::Math,
        &[
            "(base: FLOAT64, exponent: FLOAT64) -> FLOAT64",
            "(base: FLOAT64, exponent: INT64) -> FLOAT64",
            "(base: INT64, exponent: FLOAT64) -> FLOAT64",
            "(base: INT64, exponent: INT64) -> FLOAT64",
        ],
        SemRule::Fixed,
        "Raises a number to a power.",
        "Returns `base` to the power `exponent`, always as a FLOAT64 (even `px.pow(2, 3)` is \
         `8.0`). PxL has no `**` operator, so this is the way to write powers. A negative \
         base with a fractional exponent gives NaN.",
        &["df.area = px.pow(df.radius, 2)"],
    ),
    scalar(
        "ceil",
        Family::Math,
        &["(value: FLOAT64) -> INT64"],
        SemRule::Fixed,
        "Rounds a float up to an integer.",
        "Returns the smallest integer that is not less than `value`, as an INT64: `px.ceil(1.2)` \
         is `2` and `px.ceil(-1.2)` is `-1`. Only FLOAT64 input is accepted; an INT64 is already \
         whole and needs no rounding.",
        &["df.pages = px.ceil(df.bytes_total / 4096)"],
    ),
    scalar(
        "floor",
        Family::Math,
        &["(value: FLOAT64) -> INT64"],
        SemRule::Fixed,
        "Rounds a float down to an integer.",
        "Returns the largest integer that is not greater than `value`, as an INT64: \
         `px.floor(1.8)` is `1` and `px.floor(-1.2)` is `-2`. Only FLOAT64 input is accepted; \
         since `/` always gives a FLOAT64, `px.floor(a / b)` is the way to get an integer \
         quotient.",
        &["df.latency_ms = px.floor(df.latency / 1000000)"],
    ),
    scalar(
        "round",
        Family::Math,
        &["(value: FLOAT64, decimals: INT64) -> STRING"],
        SemRule::Fixed,
        "Formats a float with a fixed number of decimals, as a STRING.",
        "Rounds `value` to `decimals` digits after the decimal point and returns the result \
         as **text**, not as a number: `px.round(0.248, 2)` is `\"0.25\"` and \
         `px.round(3.0, 2)` is `\"3.00\"`. Use it for display only; to keep computing with \
         the number, use `px.floor` or `px.ceil` instead. A `decimals` of 0 gives a whole \
         number without a decimal point.",
        &["df.cpu_pct = px.round(df.cpu_usage * 100, 1)"],
    ),
    scalar(
        "bin",
        Family::Math,
        &[
            "(value: INT64, size: INT64) -> INT64",
            "(value: TIME64NS, size: TIME64NS) -> TIME64NS",
            "(value: INT64, size: TIME64NS) -> INT64",
            "(value: TIME64NS, size: INT64) -> TIME64NS",
            "(value: FLOAT64, size: INT64) -> INT64",
        ],
        SemRule::Fixed,
        "Rounds a value down to a multiple of a bucket size.",
        "Computes `value - value % size`, which for non-negative values is the largest \
         multiple of `size` that is not above `value` (negative values move toward zero). \
         This is how time series are bucketed: `px.bin(df.time_, px.seconds(10))` maps every \
         timestamp to the start of its 10-second window. A FLOAT64 value is truncated to an \
         integer first and gives an INT64; the result is a TIME64NS when `value` is one.",
        &[
            "df.timestamp = px.bin(df.time_, px.seconds(10))",
            "df.latency_bucket = px.bin(df.latency, 1000000)",
        ],
    ),
    scalar(
        "select",
        Family::Math,
        &[
            "(cond: BOOLEAN, if_true: BOOLEAN, if_false: BOOLEAN) -> BOOLEAN",
            "(cond: BOOLEAN, if_true: INT64, if_false: INT64) -> INT64",
            "(cond: BOOLEAN, if_true: FLOAT64, if_false: FLOAT64) -> FLOAT64",
            "(cond: BOOLEAN, if_true: TIME64NS, if_false: TIME64NS) -> TIME64NS",
            "(cond: BOOLEAN, if_true: STRING, if_false: STRING) -> STRING",
        ],
        SemRule::InheritFromValues,
        "Picks one of two values per row, like `if_true if cond else if_false`.",
        "Returns `if_true` on rows where `cond` holds and `if_false` elsewhere. Both values \
         are computed for every row, so neither branch can guard the other against a bad \
         input. The two values must have the same type (UINT128 is not supported), and the \
         result takes the semantic type of the values.",
        &[
            "df.outcome = px.select(df.resp_status >= 400, 'error', 'ok')",
            "df.latency = px.select(df.latency < 0, 0, df.latency)",
        ],
    ),
    scalar(
        "time_to_int64",
        Family::Time,
        &["(time: TIME64NS) -> INT64"],
        SemRule::Fixed,
        "Reads a timestamp as its INT64 nanosecond count.",
        "Returns the number of nanoseconds since the Unix epoch held by the TIME64NS, as a \
         plain INT64. Nothing is converted; only the type changes, which lets integer-only \
         functions and comparisons with INT64 values apply to times.",
        &["df = df[px.time_to_int64(df.time_) > px.now() - px.minutes(5)]"],
    ),
    scalar(
        "int64_to_time",
        Family::Time,
        &["(nanos: INT64) -> TIME64NS"],
        SemRule::Fixed,
        "Reads an INT64 nanosecond count as a timestamp.",
        "Turns a number of nanoseconds since the Unix epoch into a TIME64NS. The value is not \
         changed, only its type, so it renders as a time and compares with other timestamps. It \
         is the inverse of `px.time_to_int64`.",
        &["df.start = px.int64_to_time(df.start_ns)"],
    ),
];
