use super::ast::{ExprKind, StmtKind};
use super::parse;

fn codes(src: &str) -> Vec<&'static str> {
    parse(src).diagnostics.iter().map(|d| d.code).collect()
}

#[test]
fn parses_typical_pxl() {
    let src = r#"
'''Module doc.'''
import px

def f(start_time: str, svc: px.Service):
    df = px.DataFrame(table='http_events', start_time=start_time)
    df.svc = df.ctx['service']
    df = df[df.svc == svc and not df.x]
    df = df.groupby(['svc']).agg(n=('latency', px.count),
                                 p=('latency', lambda x: px.mean(x >= 400)))
    return df['svc', 'n']

px.display(f('-5m', 'a'), 'out')
"#;
    let p = parse(src);
    assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
    assert_eq!(p.module.body.len(), 4);
}

#[test]
fn missing_comma_quirk_is_a_warning() {
    let p = parse("df.agg(a=('x', px.count)\n       b=('y', px.sum))\n");
    assert_eq!(p.diagnostics.len(), 1);
    assert_eq!(p.diagnostics[0].code, "W0001");
    let StmtKind::Expr(e) = &p.module.body[0].kind else {
        panic!()
    };
    let ExprKind::Call { args, .. } = &e.kind else {
        panic!()
    };
    assert_eq!(args.len(), 2);
}

#[test]
fn recovers_and_reports_every_error() {
    let src = "a = (1 +\nb = 2\nc = )\nd = 3\ne = [1, 2\n";
    let p = parse(src);
    assert!(p.diagnostics.len() >= 2, "{:?}", p.diagnostics);
    assert!(p.module.body.iter().any(|s| matches!(&s.kind, StmtKind::Assign { targets, .. } if matches!(&targets[0].kind, ExprKind::Name(n) if n == "d"))));
}

#[test]
fn unsupported_constructs_are_kept() {
    let p = parse("if x:\n    y = 1\nelse:\n    pass\nz = [a for a in b]\nw = {1, 2}\n");
    assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
    assert!(matches!(
        p.module.body[0].kind,
        StmtKind::Unsupported { keyword: "if", .. }
    ));
}

#[test]
fn literals() {
    let p = parse("a = 0x10 + 1_000 + 9999999999999999999999 + 1.5e3\nb = 'a' \"b\" r'\\n'\n");
    assert!(p.diagnostics.is_empty());
    assert_eq!(codes("x = f'{a}'\n"), vec!["E0102"]);
}

#[test]
fn huge_inputs_do_not_overflow() {
    let src = format!("x = {}\n", vec!["1"; 200_000].join(" + "));
    assert_eq!(codes(&src), vec!["E0006"]);
    let src = format!("x = {}1\n", "-".repeat(100_000));
    assert_eq!(codes(&src), vec!["E0006"]);
    let src = format!("x = {}1{}\n", "[".repeat(100_000), "]".repeat(100_000));
    assert_eq!(codes(&src), vec!["E0006"]);
}

#[test]
fn non_ascii_text() {
    for src in [
        "'''é'''\n",
        "x = '''日本\\'''語'''\n",
        "x = 'é'\n",
        "# é\nx = \"ü\"\n",
        "x = '''é",
    ] {
        let _ = parse(src);
    }
    assert!(parse("x = '''é'''\n").diagnostics.is_empty());
}

#[test]
fn error_at_end_of_file_keeps_earlier_statements() {
    let p = parse("import px\nx = 1\ndef stats():\n");
    assert_eq!(p.module.body.len(), 2, "{:?}", p.diagnostics);
    assert_eq!(p.diagnostics.len(), 1);
}
