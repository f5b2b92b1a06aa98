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

/// The tree of the first statement's value, as an s-expression.
fn tree(src: &str) -> String {
    fn show(e: &super::ast::Expr) -> String {
        match &e.kind {
            ExprKind::Name(n) => n.clone(),
            ExprKind::Int(i) => i.to_string(),
            ExprKind::BinOp { op, left, right } => {
                format!("({} {} {})", op.symbol(), show(left), show(right))
            }
            ExprKind::UnaryOp { op, operand } => format!("({op:?} {})", show(operand)),
            ExprKind::BoolOp { op, left, right } => {
                format!("({op:?} {} {})", show(left), show(right))
            }
            ExprKind::Compare { left, ops } => {
                let mut s = format!("(cmp {}", show(left));
                for (op, e) in ops {
                    s += &format!(" {} {}", op.symbol(), show(e));
                }
                s + ")"
            }
            ExprKind::Call { func, args } => {
                let args: Vec<String> = args.iter().map(|a| show(&a.value)).collect();
                format!("{}({})", show(func), args.join(", "))
            }
            other => format!("{other:?}"),
        }
    }
    let p = parse(src);
    assert!(p.diagnostics.is_empty(), "{src}: {:?}", p.diagnostics);
    let StmtKind::Expr(e) = &p.module.body[0].kind else {
        panic!("{src}: not an expression statement")
    };
    show(e)
}

#[test]
fn operator_precedence_follows_python() {
    for (src, want) in [
        ("a + b * c - d\n", "(- (+ a (* b c)) d)"),
        ("a * b // c % d\n", "(% (// (* a b) c) d)"),
        ("-a ** b\n", "(Neg (** a b))"),
        ("a ** -b ** c\n", "(** a (Neg (** b c)))"),
        ("a ** b ** c\n", "(** a (** b c))"),
        ("-a * b\n", "(* (Neg a) b)"),
        ("- - ~a\n", "(Neg (Neg (Invert a)))"),
        ("a | b + c << d\n", "(<< (| a (+ b c)) d)"),
        ("a < b == c\n", "(cmp a < b == c)"),
        ("a + 1 < b * 2\n", "(cmp (+ a 1) < (* b 2))"),
        ("a is not b\n", "(cmp a is not b)"),
        ("a not in b\n", "(cmp a not in b)"),
        ("not a == b\n", "(Not (cmp a == b))"),
        ("not not a\n", "(Not (Not a))"),
        ("not -a < b\n", "(Not (cmp (Neg a) < b))"),
        ("a or b and not c\n", "(Or a (And b (Not c)))"),
        ("a and b or c and d\n", "(Or (And a b) (And c d))"),
        ("a or b or c\n", "(Or (Or a b) c)"),
        ("not a and b\n", "(And (Not a) b)"),
        (
            "f(x) + g(y)[0]\n",
            "(+ f(x) Subscript { value: Expr { kind: Call { func: Expr { kind: Name(\"g\"), span: Span { start: 7, end: 8 } }, args: [Arg { keyword: None, value: Expr { kind: Name(\"y\"), span: Span { start: 9, end: 10 } }, star: 0, span: Span { start: 9, end: 10 } }] }, span: Span { start: 7, end: 11 } }, index: Expr { kind: Int(0), span: Span { start: 12, end: 13 } } })",
        ),
        ("f(a + b, not c)\n", "f((+ a b), (Not c))"),
    ] {
        assert_eq!(tree(src), want, "{src}");
    }
}

#[test]
fn operator_spans_include_parentheses() {
    let p = parse("(a) + b * (c)\n");
    let StmtKind::Expr(e) = &p.module.body[0].kind else {
        panic!()
    };
    assert_eq!((e.span.start, e.span.end), (0, 13));
    let ExprKind::BinOp { left, right, .. } = &e.kind else {
        panic!()
    };
    assert_eq!((left.span.start, left.span.end), (1, 2));
    assert_eq!((right.span.start, right.span.end), (6, 13));
    let p = parse("x = -(a)\n");
    let StmtKind::Assign { value, .. } = &p.module.body[0].kind else {
        panic!()
    };
    assert_eq!((value.span.start, value.span.end), (4, 8));
}

#[test]
fn not_after_an_operator_is_an_error() {
    assert_eq!(codes("x = -not a\n"), vec!["E0004"]);
    assert_eq!(codes("x = a == not b\n"), vec!["E0004"]);
    assert_eq!(codes("x = a + not b\n"), vec!["E0004"]);
    assert_eq!(codes("x = a and not b\n"), Vec::<&str>::new());
}

#[test]
fn long_operator_chains_parse_on_a_small_stack() {
    // The longest chains layout lets through; parsing and dropping them must
    // fit the 2 MiB stack of a spawned thread (the language server's).
    let n = super::MAX_STATEMENT_OPERATORS - 1;
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || {
            for src in [
                format!("x = {}1\n", "-".repeat(n)),
                format!("x = {}1\n", "not ".repeat(n)),
                format!("x = {}\n", vec!["2"; n].join(" ** ")),
                format!("x = {}\n", vec!["2"; n].join(" + ")),
                format!("x = {}\n", vec!["2"; n].join(" < ")),
            ] {
                let p = parse(&src);
                assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
            }
        })
        .unwrap()
        .join()
        .unwrap();
}
