//! Lexer → parser → evaluator → type checker on arbitrary input, as a
//! script alone and with the same bytes as vis.json. Any panic is a bug.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pxl_compiler::{CompileOptions, check_script, check_source};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let opts = CompileOptions { args: Vec::new(), now_ns: 1_700_000_000_000_000_000, analysis: true };
    let c = check_source(text, &opts);
    for d in &c.diagnostics {
        assert!(d.span.start <= d.span.end);
        assert!((d.span.end as usize) <= text.len() + 1, "span past the end: {d:?}");
    }
    // Split at the first NUL: script, then vis.json.
    if let Some((pxl, vis)) = text.split_once('\0') {
        let _ = check_script(pxl, Some(vis), &opts);
    }
});
