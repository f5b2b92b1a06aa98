//! Operator functions: what `+`, `==`, `and`, unary `-` ... compile to.
//!
//! Every Python operator PxL accepts is rewritten into a call of one of these
//! functions (see `PIXIE-COMPAT.md` §1.3), and each can also be called by name,
//! e.g. `px.add(df.a, df.b)`. Overloads are matched on exact argument types:
//! there is no implicit widening beyond the mixed INT64/FLOAT64 overloads
//! listed here.

use super::{Family, FnKind, FunctionSpec, SemRule};

const fn op(
    name: &'static str,
    sigs: &'static [&'static str],
    semantic: SemRule,
    brief: &'static str,
    doc: &'static str,
    examples: &'static [&'static str],
) -> FunctionSpec {
    FunctionSpec {
        name,
        kind: FnKind::Scalar,
        family: Family::Operator,
        sigs,
        semantic,
        init_args: 0,
        brief,
        doc,
        examples,
    }
}

pub(super) const FUNCTIONS: &[FunctionSpec] = &[
    op(
        "add",
        &[
            "(a: INT64, b: INT64) -> INT64",
            "(a: FLOAT64, b: FLOAT64) -> FLOAT64",
            "(a: INT64, b: FLOAT64) -> FLOAT64",
            "(a: FLOAT64, b: INT64) -> FLOAT64",
            "(a: STRING, b: STRING) -> STRING",
            "(a: TIME64NS, b: INT64) -> TIME64NS",
            "(a: INT64, b: TIME64NS) -> TIME64NS",
        ],
        SemRule::Inherit,
        "The `+` operator: numeric sum, time shift or string concatenation.",
        "Adds two numbers; mixing INT64 and FLOAT64 gives a FLOAT64. Adding an INT64 number \
         of nanoseconds to a TIME64NS moves the timestamp by that much, and two strings are \
         joined end to end. A string cannot be added to anything but another string.\n\n\
         The result keeps the semantic type of its operands, so the sum of two `BYTES` \
         columns still renders as bytes.",
        &[
            "df.total_bytes = df.req_body_size + df.resp_body_size",
            "df.label = df.namespace + '/' + df.pod",
        ],
    ),
    op(
        "subtract",
        &[
            "(a: INT64, b: INT64) -> INT64",
            "(a: FLOAT64, b: FLOAT64) -> FLOAT64",
            "(a: INT64, b: FLOAT64) -> FLOAT64",
            "(a: FLOAT64, b: INT64) -> FLOAT64",
            "(a: TIME64NS, b: INT64) -> TIME64NS",
            "(a: TIME64NS, b: TIME64NS) -> INT64",
            "(a: INT64, b: TIME64NS) -> INT64",
        ],
        SemRule::Inherit,
        "The `-` operator: numeric difference or time arithmetic.",
        "Subtracts `b` from `a`; mixing INT64 and FLOAT64 gives a FLOAT64. A TIME64NS minus \
         an INT64 number of nanoseconds is an earlier TIME64NS, and the difference of two \
         timestamps is an INT64 count of nanoseconds.\n\n\
         The result keeps the semantic type of its operands (bytes stay bytes, durations \
         stay durations).",
        &[
            "df.elapsed = df.time_ - df.start_time",
            "df.bytes_delta = df.rx_bytes - df.prev_rx_bytes",
        ],
    ),
    op(
        "multiply",
        &[
            "(a: INT64, b: INT64) -> INT64",
            "(a: FLOAT64, b: FLOAT64) -> FLOAT64",
            "(a: INT64, b: FLOAT64) -> FLOAT64",
            "(a: FLOAT64, b: INT64) -> FLOAT64",
        ],
        SemRule::Inherit,
        "The `*` operator: product of two numbers.",
        "Multiplies two numbers. Two INT64 operands give an INT64; as soon as one side is a \
         FLOAT64 the product is a FLOAT64. Times cannot be multiplied: convert them with \
         `px.time_to_int64` first.",
        &[
            "df.latency_us = df.latency_ms * 1000",
            "window = 10 * 1000 * 1000 * 1000",
        ],
    ),
    op(
        "divide",
        &[
            "(a: INT64, b: INT64) -> FLOAT64",
            "(a: FLOAT64, b: INT64) -> FLOAT64",
            "(a: INT64, b: FLOAT64) -> FLOAT64",
            "(a: FLOAT64, b: FLOAT64) -> FLOAT64",
        ],
        SemRule::Divide,
        "The `/` operator: quotient as a FLOAT64.",
        "Divides `a` by `b` in floating point; the result is FLOAT64 even when both operands \
         are INT64, so `7 / 2` is `3.5` (there is no integer division). Dividing by zero \
         follows IEEE rules and gives an infinity, or NaN for `0 / 0`.\n\n\
         Dividing by a `DURATION_NS` value gives a rate: bytes over a duration become \
         `THROUGHPUT_BYTES_PER_NS`, anything else over a duration becomes \
         `THROUGHPUT_PER_NS`.",
        &[
            "df.latency_ms = df.latency / 1000000",
            "df.bytes_per_ns = df.bytes_total / df.window",
        ],
    ),
    op(
        "modulo",
        &[
            "(a: INT64, n: INT64) -> INT64",
            "(a: TIME64NS, n: INT64) -> INT64",
            "(a: TIME64NS, n: TIME64NS) -> INT64",
            "(a: INT64, n: TIME64NS) -> INT64",
        ],
        SemRule::Fixed,
        "The `%` operator: remainder of an integer division.",
        "Returns the remainder of dividing `a` by `n`, as an INT64. The remainder has the \
         sign of `a` (truncating division, as in C), so `-7 % 3` is `-1`, not `2`. Timestamps \
         are treated as their nanosecond count. `n` must not be zero.",
        &[
            "df.offset_in_window = df.time_ % px.seconds(10)",
            "df.is_even = df.pid % 2 == 0",
        ],
    ),
    op(
        "equal",
        &[
            "(a: INT64, b: INT64) -> BOOLEAN",
            "(a: STRING, b: STRING) -> BOOLEAN",
            "(a: BOOLEAN, b: BOOLEAN) -> BOOLEAN",
            "(a: TIME64NS, b: TIME64NS) -> BOOLEAN",
            "(a: UINT128, b: UINT128) -> BOOLEAN",
            "(a: BOOLEAN, b: INT64) -> BOOLEAN",
            "(a: INT64, b: BOOLEAN) -> BOOLEAN",
            "(a: INT64, b: FLOAT64) -> BOOLEAN",
            "(a: FLOAT64, b: INT64) -> BOOLEAN",
            "(a: FLOAT64, b: FLOAT64) -> BOOLEAN",
        ],
        SemRule::Fixed,
        "The `==` operator: whether two values are the same.",
        "True when both values are equal. A boolean compared with an integer counts as 0 or \
         1. Two FLOAT64 values are compared approximately, like `px.approxEqual`: they are \
         equal when they differ by less than the double-precision epsilon (about 2.2e-16); \
         a mixed INT64/FLOAT64 comparison is exact.",
        &[
            "df = df[df.resp_status == 200]",
            "df = df[df.namespace == 'default']",
        ],
    ),
    op(
        "notEqual",
        &[
            "(a: INT64, b: INT64) -> BOOLEAN",
            "(a: STRING, b: STRING) -> BOOLEAN",
            "(a: BOOLEAN, b: BOOLEAN) -> BOOLEAN",
            "(a: TIME64NS, b: TIME64NS) -> BOOLEAN",
            "(a: UINT128, b: UINT128) -> BOOLEAN",
            "(a: BOOLEAN, b: INT64) -> BOOLEAN",
            "(a: INT64, b: BOOLEAN) -> BOOLEAN",
            "(a: INT64, b: FLOAT64) -> BOOLEAN",
            "(a: FLOAT64, b: INT64) -> BOOLEAN",
            "(a: FLOAT64, b: FLOAT64) -> BOOLEAN",
        ],
        SemRule::Fixed,
        "The `!=` operator: whether two values differ.",
        "The negation of `px.equal`, with the same overloads. A boolean compared with an integer \
         counts as 0 or 1. Two FLOAT64 values only count as different when they are further \
         apart than the double-precision epsilon (about 2.2e-16).",
        &[
            "df = df[df.service != '']",
            "df.failed = df.resp_status != 200",
        ],
    ),
    op(
        "approxEqual",
        &["(a: FLOAT64, b: FLOAT64) -> BOOLEAN"],
        SemRule::Fixed,
        "Whether two floats are equal up to rounding error.",
        "True when the absolute difference of the two FLOAT64 values is below the \
         double-precision epsilon (about 2.2e-16). This is also what `==` does between two \
         FLOAT64 values; the tolerance is absolute, so it is very strict for large numbers.",
        &["df.same = px.approxEqual(df.cpu_a, df.cpu_b)"],
    ),
    op(
        "lessThan",
        &[
            "(a: INT64, b: INT64) -> BOOLEAN",
            "(a: TIME64NS, b: TIME64NS) -> BOOLEAN",
            "(a: FLOAT64, b: FLOAT64) -> BOOLEAN",
            "(a: STRING, b: STRING) -> BOOLEAN",
        ],
        SemRule::Fixed,
        "The `<` operator.",
        "True when `a` sorts strictly before `b`. Both sides must have the same type: numbers \
         compare by value, timestamps chronologically and strings byte by byte \
         (lexicographically). A TIME64NS cannot be compared with an INT64; convert one side \
         with `px.int64_to_time` or `px.time_to_int64`.",
        &["df = df[df.latency < 1000000]"],
    ),
    op(
        "lessThanEqual",
        &[
            "(a: INT64, b: INT64) -> BOOLEAN",
            "(a: FLOAT64, b: FLOAT64) -> BOOLEAN",
            "(a: TIME64NS, b: TIME64NS) -> BOOLEAN",
            "(a: STRING, b: STRING) -> BOOLEAN",
        ],
        SemRule::Fixed,
        "The `<=` operator.",
        "True when `a` sorts before `b` or equals it. Both sides must have the same type: \
         numbers compare by value, timestamps chronologically and strings byte by byte.",
        &["df = df[df.cpu_usage <= 0.5]"],
    ),
    op(
        "greaterThan",
        &[
            "(a: INT64, b: INT64) -> BOOLEAN",
            "(a: TIME64NS, b: TIME64NS) -> BOOLEAN",
            "(a: FLOAT64, b: FLOAT64) -> BOOLEAN",
            "(a: STRING, b: STRING) -> BOOLEAN",
        ],
        SemRule::Fixed,
        "The `>` operator.",
        "True when `a` sorts strictly after `b`. Both sides must have the same type: numbers \
         compare by value, timestamps chronologically and strings byte by byte.",
        &["df = df[df.resp_status > 399]"],
    ),
    op(
        "greaterThanEqual",
        &[
            "(a: INT64, b: INT64) -> BOOLEAN",
            "(a: FLOAT64, b: FLOAT64) -> BOOLEAN",
            "(a: STRING, b: STRING) -> BOOLEAN",
            "(a: TIME64NS, b: TIME64NS) -> BOOLEAN",
        ],
        SemRule::Fixed,
        "The `>=` operator.",
        "True when `a` sorts after `b` or equals it. Both sides must have the same type: \
         numbers compare by value, timestamps chronologically and strings byte by byte.",
        &["df.is_error = df.resp_status >= 400"],
    ),
    op(
        "logicalAnd",
        &[
            "(a: BOOLEAN, b: BOOLEAN) -> BOOLEAN",
            "(a: INT64, b: INT64) -> BOOLEAN",
        ],
        SemRule::Fixed,
        "The `and` operator.",
        "True when both operands are true. INT64 operands count as true when non-zero; both \
         sides must have the same type. Both sides are always evaluated. Write `(a and b) \
         and c` rather than `a and b and c`: a chain of three operands is rejected.",
        &["df = df[df.resp_status >= 400 and df.latency > 1000000]"],
    ),
    op(
        "logicalOr",
        &[
            "(a: BOOLEAN, b: BOOLEAN) -> BOOLEAN",
            "(a: INT64, b: INT64) -> BOOLEAN",
        ],
        SemRule::Fixed,
        "The `or` operator.",
        "True when at least one operand is true. INT64 operands count as true when non-zero; \
         both sides must have the same type. Both sides are always evaluated, and a chain of \
         three operands needs parentheses: `(a or b) or c`.",
        &["df = df[df.resp_status == 500 or df.resp_status == 503]"],
    ),
    op(
        "logicalNot",
        &["(value: BOOLEAN) -> BOOLEAN", "(value: INT64) -> BOOLEAN"],
        SemRule::Fixed,
        "The `not` operator.",
        "Flips a boolean. For an INT64, the result is true exactly when the value is zero.",
        &["df = df[not px.contains(df.req_path, '/healthz')]"],
    ),
    op(
        "negate",
        &["(value: INT64) -> INT64", "(value: FLOAT64) -> FLOAT64"],
        SemRule::Inherit,
        "The unary `-` operator.",
        "Returns the value with its sign flipped, keeping its type and semantic type. A \
         negated literal such as `-5` is folded into a constant at compile time.",
        &["df.delta = -df.delta"],
    ),
    op(
        "invert",
        &["(value: INT64) -> INT64"],
        SemRule::Fixed,
        "The unary `~` operator: bitwise complement.",
        "Flips every bit of the 64-bit integer, which equals `-value - 1` in two's \
         complement. Only INT64 has this operator.",
        &["df.mask = ~df.flags"],
    ),
];
