//! The table registry against Pixie's schemas (`data/pixie-tables.txt`, one
//! line per column: `table column TYPE SEMANTIC_TYPE PATTERN`), plus the pxl
//! extensions of LANGUAGE.md §2.

use pxl_stdlib::tables::{Table, table, tables};
use pxl_stdlib::{DataType, SemanticType};

const FIXTURE: &str = include_str!("data/pixie-tables.txt");

/// One fact line of the fixture.
struct Fact<'a> {
    table: &'a str,
    column: &'a str,
    ty: &'a str,
    semantic: &'a str,
    pattern: &'a str,
}

fn facts() -> Vec<Fact<'static>> {
    FIXTURE
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            assert_eq!(f.len(), 5, "malformed fixture line: {l:?}");
            Fact {
                table: f[0],
                column: f[1],
                ty: f[2],
                semantic: f[3],
                pattern: f[4],
            }
        })
        .collect()
}

/// Fixture tables in first-seen order, each with its column names in order.
fn fixture_tables() -> Vec<(&'static str, Vec<&'static str>)> {
    let mut out: Vec<(&str, Vec<&str>)> = Vec::new();
    for f in facts() {
        match out.iter_mut().find(|(t, _)| *t == f.table) {
            Some((_, cols)) => cols.push(f.column),
            None => out.push((f.table, vec![f.column])),
        }
    }
    out
}

fn get(name: &str) -> &'static Table {
    table(name).unwrap_or_else(|| panic!("table `{name}` missing from the registry"))
}

#[test]
fn fixture_is_not_empty() {
    // Guards against a fixture that silently parses to nothing.
    assert!(facts().len() > 200);
    assert_eq!(fixture_tables().len(), 21);
}

#[test]
fn every_pixie_column_has_pixies_types() {
    let mut wrong = Vec::new();
    for f in facts() {
        let t = get(f.table);
        let Some(c) = t.column(f.column) else {
            wrong.push(format!("{}.{}: missing", f.table, f.column));
            continue;
        };
        let got = (c.ty.name(), c.semantic.name(), c.pattern.name());
        if got != (f.ty, f.semantic, f.pattern) {
            wrong.push(format!(
                "{}.{}: have {} {} {}, Pixie has {} {} {}",
                f.table, f.column, got.0, got.1, got.2, f.ty, f.semantic, f.pattern
            ));
        }
        if c.extension {
            wrong.push(format!(
                "{}.{}: Pixie column marked as extension",
                f.table, f.column
            ));
        }
        // The names in the fixture are valid names of our enums.
        assert!(DataType::from_name(f.ty).is_some(), "unknown type {}", f.ty);
        assert!(
            SemanticType::from_name(f.semantic).is_some(),
            "unknown {}",
            f.semantic
        );
    }
    assert!(
        wrong.is_empty(),
        "columns differing from Pixie:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn column_order_matches_pixie_with_extensions_last() {
    for (name, expected) in fixture_tables() {
        let t = get(name);
        let pixie: Vec<&str> = t
            .columns
            .iter()
            .take_while(|c| !c.extension)
            .map(|c| c.name)
            .collect();
        assert_eq!(pixie, expected, "column order of `{name}`");
        let rest = &t.columns[pixie.len()..];
        assert!(
            rest.iter().all(|c| c.extension),
            "`{name}`: a Pixie column follows an extension column"
        );
    }
}

#[test]
fn registry_has_exactly_the_fixture_tables() {
    let expected: Vec<&str> = fixture_tables().into_iter().map(|(t, _)| t).collect();
    let have: Vec<&str> = tables().iter().map(|t| t.name).collect();
    assert_eq!(
        have, expected,
        "table set or order differs from the fixture"
    );
}

#[test]
fn default_tables_come_first() {
    let all = tables();
    assert_eq!(all[0].name, "http_events");
    let defaults = all.iter().take_while(|t| t.default).count();
    assert_eq!(defaults, 20, "20 default tables, all before the others");
    assert!(all[defaults..].iter().all(|t| !t.default));
    assert!(!get("tcp_stats_events").default);
    for name in [
        "conn_stats",
        "stack_traces.beta",
        "probe_status",
        "kafka_events.beta",
    ] {
        assert!(get(name).default, "`{name}` should be a default table");
    }
}

#[test]
fn no_debug_only_or_duplicate_columns() {
    for t in tables() {
        assert!(t.column("px_info_").is_none(), "`{}` has px_info_", t.name);
        for (i, c) in t.columns.iter().enumerate() {
            assert!(
                t.columns[..i].iter().all(|d| d.name != c.name),
                "`{}` repeats column `{}`",
                t.name,
                c.name
            );
        }
    }
}

#[test]
fn everything_is_described() {
    for t in tables() {
        assert!(!t.desc.trim().is_empty(), "`{}` has no description", t.name);
        for c in t.columns {
            assert!(
                !c.desc.trim().is_empty(),
                "`{}.{}` has no description",
                t.name,
                c.name
            );
        }
    }
}

#[test]
fn resp_latency_resolves_to_latency() {
    let http = get("http_events");
    let c = http
        .resolve("resp_latency")
        .expect("resp_latency on http_events");
    assert_eq!(c.name, "latency");
    assert_eq!(c.ty, DataType::Int64);
    assert_eq!(c.semantic, SemanticType::DurationNs);
    assert!(
        http.column("resp_latency").is_none(),
        "alias, not a real column"
    );
    assert!(http.resolve("resp_latncy").is_none());

    // Every table with a latency column has the alias, and only those.
    for t in tables() {
        let has_latency = t.column("latency").is_some();
        assert_eq!(
            t.resolve("resp_latency").map(|c| c.name),
            has_latency.then_some("latency"),
            "resp_latency on `{}`",
            t.name
        );
    }
    assert!(get("nats_events.beta").resolve("resp_latency").is_none());
    assert!(get("conn_stats").resolve("resp_latency").is_none());
}

#[test]
fn dns_events_has_the_flattened_columns() {
    let dns = get("dns_events");
    let expected = [
        ("query_name", DataType::String, "GENERAL"),
        ("query_type", DataType::String, "GENERAL_ENUM"),
        ("resp_code", DataType::Int64, "GENERAL_ENUM"),
        ("answers", DataType::String, "GENERAL"),
    ];
    let ext: Vec<_> = dns.columns.iter().filter(|c| c.extension).collect();
    assert_eq!(ext.len(), 4);
    for (c, (name, ty, pattern)) in ext.iter().zip(expected) {
        assert_eq!(c.name, name);
        assert_eq!(c.ty, ty, "{name}");
        assert_eq!(c.semantic, SemanticType::None, "{name}");
        assert_eq!(c.pattern.name(), pattern, "{name}");
    }
    // They are the last four columns; the JSON columns stay.
    let n = dns.columns.len();
    assert!(dns.columns[n - 4..].iter().all(|c| c.extension));
    assert!(dns.column("resp_body").is_some_and(|c| !c.extension));
    // No other table has extension columns.
    for t in tables().iter().filter(|t| t.name != "dns_events") {
        assert!(
            t.columns.iter().all(|c| !c.extension),
            "`{}` has extensions",
            t.name
        );
    }
}
