//! The data an editor needs: definitions and uses, types at a point, and no
//! panic on half-written code.

use pxl_compiler::analysis::{Info, SymbolKind};
use pxl_compiler::{CompileOptions, check_source};

const SRC: &str = "import px\n\
def stats(start: str):\n    \
    df = px.DataFrame('http_events', start_time=start)\n    \
    df.ms = df.latency / 1000000\n    \
    return df\n\
out = stats('-5m')\n\
px.display(out)\n";

fn offset(needle: &str, nth: usize) -> usize {
    SRC.match_indices(needle)
        .nth(nth)
        .map(|(i, _)| i)
        .expect("needle present")
}

#[test]
fn symbols_have_definitions_and_uses() {
    let c = check_source(SRC, &CompileOptions::default());
    assert!(!c.has_errors(), "{:?}", c.diagnostics);
    let a = &c.analysis;
    let stats = a
        .symbol_at(offset("stats('-5m')", 0))
        .expect("use of stats");
    assert_eq!(stats.kind, SymbolKind::Function);
    assert_eq!(stats.definition.start as usize, offset("stats", 0));
    let out = a.symbol_at(offset("out)", 0)).expect("use of out");
    assert_eq!(out.definition.start as usize, offset("out", 0));
    assert!(matches!(out.info, Info::DataFrame(_)));
    let rendered = a.describe(&out.info);
    assert!(rendered.contains("ms: FLOAT64"), "{rendered}");
    let start = a.symbol_at(offset("start)", 0)).expect("parameter use");
    assert_eq!(start.kind, SymbolKind::Parameter);
}

#[test]
fn types_at_a_point() {
    let c = check_source(SRC, &CompileOptions::default());
    let (_, info) = c
        .analysis
        .info_at(offset("latency /", 0) + 2)
        .expect("typed column");
    assert_eq!(c.analysis.describe(info), "INT64 (ST_DURATION_NS)");
    let (_, info) = c
        .analysis
        .info_at(offset("/ 1000000", 0))
        .expect("typed division");
    assert_eq!(c.analysis.describe(info), "FLOAT64");
}

#[test]
fn half_written_code_keeps_what_it_can() {
    for cut in 0..SRC.len() {
        if !SRC.is_char_boundary(cut) {
            continue;
        }
        let c = check_source(&SRC[..cut], &CompileOptions::default());
        if cut > offset("def", 0) + 3 {
            assert!(
                c.analysis.symbols.iter().any(|s| s.name == "px"),
                "import kept at cut {cut}"
            );
        }
    }
}
