//! The layout pass: turns logos tokens into the parser's token stream with
//! `Newline`, `Indent` and `Dedent`, the way Python's tokenizer does, so the
//! grammar stays context free. Lexical errors become diagnostics here and the
//! offending text is skipped, so parsing always goes on.

use super::token::RawTok;
use crate::diagnostic::Diagnostic;
use crate::span::Span;
use logos::Logos;

/// A token as the parser sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Tok<'a> {
    Name(&'a str),
    Int(&'a str),
    Float(&'a str),
    /// Raw text of a string literal, prefix and quotes included.
    Str(&'a str),
    Newline,
    Indent,
    Dedent,
    /// Punctuation and keywords.
    P(RawTok),
}

pub(crate) type Spanned<'a> = (usize, Tok<'a>, usize);

/// Deepest bracket nesting a statement may have.
pub const MAX_BRACKET_DEPTH: usize = 100;
/// Most operator-like tokens one statement may have (bounds the tree depth).
pub const MAX_STATEMENT_OPERATORS: usize = 5_000;

pub(crate) fn layout<'a>(src: &'a str, diags: &mut Vec<Diagnostic>) -> Vec<Spanned<'a>> {
    let mut out = Vec::with_capacity(src.len() / 4);
    let mut indents: Vec<usize> = vec![0];
    let mut depth = 0usize;
    let mut line: Vec<Spanned<'a>> = Vec::new();
    let mut line_start = 0usize; // byte offset where the current physical line begins
    let mut at_line_start = true;
    let mut operators = 0usize;
    let mut poisoned = false;
    let mut lexer = RawTok::lexer(src);

    while let Some(result) = lexer.next() {
        let range = lexer.span();
        let text = lexer.slice();
        let tok = match result {
            Ok(tok) => tok,
            Err(()) => {
                lex_error(text, range.start, range.end, diags);
                continue;
            }
        };
        if tok == RawTok::Newline {
            line_start = range.end;
            if depth == 0 {
                if !line.is_empty() {
                    if poisoned {
                        line.clear();
                    } else {
                        out.append(&mut line);
                        out.push((range.start, Tok::Newline, range.start + 1));
                    }
                }
                at_line_start = true;
                operators = 0;
                poisoned = false;
            }
            continue;
        }
        if at_line_start {
            at_line_start = false;
            let width = indent_width(&src[line_start..range.start]);
            let top = *indents.last().unwrap_or(&0);
            if width > top {
                indents.push(width);
                out.push((range.start, Tok::Indent, range.start));
            } else if width < top {
                while indents.len() > 1 && indents.last().is_some_and(|&t| t > width) {
                    indents.pop();
                    out.push((range.start, Tok::Dedent, range.start));
                }
                if indents.last() != Some(&width) {
                    diags.push(
                        Diagnostic::error(
                            "E0003",
                            Span::new(line_start, range.start),
                            "this line's indentation does not match any outer block",
                        )
                        .help("indent it exactly as far as the block it belongs to"),
                    );
                    if let Some(top) = indents.last_mut() {
                        *top = width;
                    }
                }
            }
        }
        let t = match tok {
            RawTok::Name => Tok::Name(text),
            RawTok::Int => Tok::Int(text),
            RawTok::Float => Tok::Float(text),
            RawTok::Str | RawTok::TripleStr => Tok::Str(text),
            RawTok::UnterminatedStr => {
                diags.push(
                    Diagnostic::error("E0002", Span::new(range.start, range.end), "string literal is not closed")
                        .help("add the closing quote on the same line, or use a triple-quoted string for text spanning lines"),
                );
                continue;
            }
            RawTok::LPar | RawTok::LSqb | RawTok::LBrace => {
                depth += 1;
                if depth > MAX_BRACKET_DEPTH && !poisoned {
                    poisoned = true;
                    diags.push(too_complex(
                        range.start,
                        format!("brackets are nested more than {MAX_BRACKET_DEPTH} levels deep"),
                    ));
                }
                Tok::P(tok)
            }
            RawTok::RPar | RawTok::RSqb | RawTok::RBrace => {
                depth = depth.saturating_sub(1);
                Tok::P(tok)
            }
            other => Tok::P(other),
        };
        if is_operator(tok) {
            operators += 1;
            if operators > MAX_STATEMENT_OPERATORS && !poisoned {
                poisoned = true;
                diags.push(too_complex(
                    range.start,
                    format!("this statement has more than {MAX_STATEMENT_OPERATORS} operators"),
                ));
            }
        }
        line.push((range.start, t, range.end));
    }
    let end = src.len();
    if !line.is_empty() && !poisoned {
        out.append(&mut line);
        out.push((end, Tok::Newline, end));
    }
    while indents.len() > 1 {
        indents.pop();
        out.push((end, Tok::Dedent, end));
    }
    out
}

fn too_complex(at: usize, what: String) -> Diagnostic {
    Diagnostic::error(
        "E0006",
        Span::new(at, at + 1),
        format!("statement is too complex: {what}"),
    )
    .help("split the expression into several assignments")
}

fn is_operator(tok: RawTok) -> bool {
    use RawTok::*;
    matches!(
        tok,
        Plus | Minus
            | Star
            | Slash
            | DoubleSlash
            | Percent
            | DoubleStar
            | At
            | Amper
            | Vbar
            | Circumflex
            | Tilde
            | LeftShift
            | RightShift
            | EqEq
            | NotEq
            | Less
            | LessEq
            | Greater
            | GreaterEq
            | And
            | Or
            | Not
            | Dot
            | LPar
            | LSqb
            | LBrace
            | Lambda
            | If
    )
}

fn indent_width(ws: &str) -> usize {
    ws.chars().fold(0, |w, c| match c {
        '\t' => (w / 8 + 1) * 8,
        ' ' => w + 1,
        _ => w,
    })
}

fn lex_error(text: &str, start: usize, end: usize, diags: &mut Vec<Diagnostic>) {
    let span = Span::new(start, end);
    let trimmed = text.trim_start_matches(|c: char| "rRbBuUfF".contains(c));
    let diag = if trimmed.starts_with("'''") || trimmed.starts_with("\"\"\"") {
        Diagnostic::error(
            "E0002",
            Span::new(
                start,
                start + text.len().min(3 + text.len() - trimmed.len()),
            ),
            "triple-quoted string is never closed",
        )
        .help("close it with the same three quotes it was opened with")
    } else {
        let c = text.chars().next().unwrap_or('?');
        let d = Diagnostic::error(
            "E0001",
            span,
            format!(
                "unexpected character `{}` in PxL source",
                c.escape_default()
            ),
        );
        match c {
            '$' | '?' | '`' | '!' => d.help("PxL is a Python subset; this character has no meaning outside strings and comments"),
            _ => d,
        }
    };
    diags.push(diag);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> String {
        let mut diags = Vec::new();
        let toks = layout(src, &mut diags);
        let mut s: Vec<String> = toks
            .iter()
            .map(|(_, t, _)| match t {
                Tok::Name(n) => n.to_string(),
                Tok::Int(n) | Tok::Float(n) | Tok::Str(n) => n.to_string(),
                Tok::Newline => "NL".into(),
                Tok::Indent => "IN".into(),
                Tok::Dedent => "DE".into(),
                Tok::P(p) => format!("{p:?}"),
            })
            .collect();
        s.extend(diags.iter().map(|d| format!("!{}", d.code)));
        s.join(" ")
    }

    #[test]
    fn indentation() {
        assert_eq!(
            kinds("def f():\n    x = 1\n\n    # c\n    return x\ny = f(\n  1,\n)\n"),
            "Def f LPar RPar Colon NL IN x Eq 1 NL Return x NL DE y Eq f LPar 1 Comma RPar NL"
        );
    }

    #[test]
    fn strings_and_errors() {
        assert_eq!(
            kinds("x = r'a\\'b' + '''q\nw'''"),
            "x Eq r'a\\'b' Plus '''q\nw''' NL"
        );
        assert_eq!(kinds("x = 'abc"), "x Eq NL !E0002");
        assert_eq!(kinds("x = $"), "x Eq NL !E0001");
        assert_eq!(
            kinds("if a:\n    b\n  c\n"),
            "If a Colon NL IN b NL DE c NL !E0003"
        );
    }

    #[test]
    fn deep_nesting_is_reported_not_parsed() {
        let src = format!("x = {}1{}\ny = 2\n", "(".repeat(10_000), ")".repeat(10_000));
        assert_eq!(kinds(&src), "y Eq 2 NL !E0006");
    }
}
