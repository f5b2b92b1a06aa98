//! Inputs that must end in diagnostics, not crashes: huge files, deep
//! nesting, long chains, recursion. Run on the test thread (2 MiB stack).

use pxl_compiler::{CompileOptions, check_source};

fn codes(src: &str) -> Vec<&'static str> {
    let opts = CompileOptions {
        analysis: true,
        ..CompileOptions::default()
    };
    check_source(src, &opts)
        .diagnostics
        .iter()
        .map(|d| d.code)
        .collect()
}

#[test]
fn ten_thousand_nested_parentheses() {
    let src = format!(
        "import px\nx = {}1{}\n",
        "(".repeat(10_000),
        ")".repeat(10_000)
    );
    assert!(codes(&src).contains(&"E0006"));
}

#[test]
fn ten_thousand_nested_calls_and_unary_ops() {
    let src = format!(
        "import px\nx = {}1{}\n",
        "px.abs(".repeat(10_000),
        ")".repeat(10_000)
    );
    assert!(codes(&src).contains(&"E0006"));
    let src = format!("import px\nx = {}1\n", "not ".repeat(10_000));
    assert!(codes(&src).contains(&"E0006"));
    let src = format!("import px\nx = {}\n", vec!["1"; 10_000].join(" + "));
    assert!(codes(&src).contains(&"E0006"));
}

#[test]
fn deep_expression_built_across_statements() {
    // Each statement is shallow, the expression they build is not.
    let mut src = String::from("import px\ndf = px.DataFrame('http_events')\nx = df.latency\n");
    for _ in 0..5_000 {
        src.push_str("x = x + 1\n");
    }
    src.push_str("df.y = x\npx.display(df)\n");
    assert!(codes(&src).contains(&"E0006"));
}

#[test]
fn ten_megabyte_file() {
    let stmt = "df = df[df.resp_status >= 400]\n";
    let mut src = String::from("import px\ndf = px.DataFrame('http_events', start_time='-5m')\n");
    while src.len() < 10 * 1024 * 1024 {
        src.push_str(stmt);
    }
    src.push_str("px.display(df)\n");
    assert_eq!(codes(&src), Vec::<&str>::new());
    // And a 10 MB file of garbage.
    let junk: String = (0..10 * 1024 * 1024)
        .map(|i| ["(", "'", "x", "\n", " ", "$", "]", ":"][i % 8])
        .collect();
    let junk_codes = codes(&junk);
    assert_eq!(junk_codes.len(), 1001);
    assert_eq!(junk_codes.last(), Some(&"E0008"));
}

#[test]
fn recursion_is_an_error() {
    let src = "import px\ndef f(x):\n    return f(x)\npx.display(f(1))\n";
    assert!(codes(src).contains(&"E0209"));
}

#[test]
fn arbitrary_bytes_never_panic() {
    for src in [
        "\u{0}",
        "\t\t\tx",
        "def",
        "def f(:",
        "'''",
        "@",
        "@\n",
        "from . import",
        "x = [1,",
        "\\\n",
        "lambda",
        "df[::]",
        "a = b = c",
        "\u{feff}import px",
    ] {
        let _ = codes(src);
    }
}

/// Found by the fuzzer: an error inside a pxviews function carried a span
/// into the library's text, past the end of the script.
#[test]
fn library_errors_point_into_the_script() {
    let src = "import px\nimport pxviews\ndf = pxviews.inbound_http_summary('\u{1}\u{0}m', '-0m')\npx.display(df)\n";
    let opts = CompileOptions {
        analysis: true,
        ..CompileOptions::default()
    };
    let c = check_source(src, &opts);
    assert!(c.has_errors());
    for d in &c.diagnostics {
        assert!(d.span.end as usize <= src.len(), "{d:?}");
    }
}
