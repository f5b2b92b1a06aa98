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
    let mut st = State {
        out: Vec::with_capacity(src.len() / 4),
        indents: vec![0],
        at_line_start: true,
        ..State::default()
    };
    let mut lexer = RawTok::lexer(src);
    let mut line_start = 0usize; // byte offset where the current physical line begins
    let mut new_physical_line = true;

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
            new_physical_line = true;
            if st.brackets.is_empty() {
                st.end_line(range.start, diags);
            }
            continue;
        }
        // Indentation only matters for the first token of a physical line.
        let width = if new_physical_line {
            indent_width(&src[line_start..range.start])
        } else {
            0
        };
        if new_physical_line
            && !st.brackets.is_empty()
            && !st.continues()
            && starts_statement(tok, &lexer)
            && width <= st.line_indent
        {
            // A bracket left open on an earlier line: close it there and
            // start a new statement here, so the rest of the file is read.
            st.close_brackets(diags);
            st.end_line(range.start, diags);
        }
        new_physical_line = false;
        if st.at_line_start {
            st.at_line_start = false;
            st.line_indent = width;
            st.indent_to(width, line_start, range.start, diags);
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
                // Read it as an empty string so the statement still parses.
                Tok::Str("''")
            }
            RawTok::LPar | RawTok::LSqb | RawTok::LBrace => {
                st.brackets.push((tok, range.start));
                if st.brackets.len() > MAX_BRACKET_DEPTH && !st.poisoned {
                    st.poisoned = true;
                    diags.push(too_complex(
                        range.start,
                        format!("brackets are nested more than {MAX_BRACKET_DEPTH} levels deep"),
                    ));
                }
                Tok::P(tok)
            }
            RawTok::RPar | RawTok::RSqb | RawTok::RBrace => {
                st.brackets.pop();
                Tok::P(tok)
            }
            RawTok::Colon if st.brackets.is_empty() => {
                st.top_colon = true;
                Tok::P(tok)
            }
            other => Tok::P(other),
        };
        if is_operator(tok) {
            st.operators += 1;
            if st.operators > MAX_STATEMENT_OPERATORS && !st.poisoned {
                st.poisoned = true;
                diags.push(too_complex(
                    range.start,
                    format!("this statement has more than {MAX_STATEMENT_OPERATORS} operators"),
                ));
            }
        }
        st.line.push((range.start, t, range.end));
    }
    let end = src.len();
    if !st.brackets.is_empty() {
        st.close_brackets(diags);
    }
    st.end_line(end, diags);
    while st.indents.len() > 1 {
        st.indents.pop();
        st.out.push((end, Tok::Dedent, end));
    }
    st.out
}

#[derive(Default)]
struct State<'a> {
    out: Vec<Spanned<'a>>,
    indents: Vec<usize>,
    /// Open brackets of the current statement: kind and offset.
    brackets: Vec<(RawTok, usize)>,
    /// Tokens of the current logical line.
    line: Vec<Spanned<'a>>,
    at_line_start: bool,
    line_indent: usize,
    operators: usize,
    poisoned: bool,
    /// The line has a `:` outside brackets.
    top_colon: bool,
    /// The previous logical line ended with `:` (a block may follow).
    block_opened: bool,
}

impl<'a> State<'a> {
    fn end_line(&mut self, at: usize, diags: &mut Vec<Diagnostic>) {
        if self.line.is_empty() {
            self.reset_line();
            return;
        }
        if self.poisoned {
            self.line.clear();
            self.block_opened = false;
        } else {
            self.insert_missing_colon(diags);
            self.block_opened = matches!(self.line.last(), Some((_, Tok::P(RawTok::Colon), _)));
            self.out.append(&mut self.line);
            self.out.push((at, Tok::Newline, at + 1));
        }
        self.reset_line();
    }

    /// The open line ends where more must follow (`,`, an opening bracket,
    /// `=`, `:` or an operator), so its next physical line continues it even
    /// when it reads like a statement: `f(a,\nb=1)` is a keyword argument.
    fn continues(&self) -> bool {
        use RawTok::*;
        match self.line.last() {
            Some((_, Tok::P(t), _)) => {
                matches!(t, Comma | LPar | LSqb | LBrace | Colon | Eq) || is_operator(*t)
            }
            _ => false,
        }
    }

    fn reset_line(&mut self) {
        self.at_line_start = true;
        self.operators = 0;
        self.poisoned = false;
        self.top_colon = false;
    }

    /// `def f()` without `:`: report it and read the line as if it were there.
    fn insert_missing_colon(&mut self, diags: &mut Vec<Diagnostic>) {
        use RawTok::*;
        let Some(&(_, Tok::P(first), _)) = self.line.first() else {
            return;
        };
        let compound = matches!(
            first,
            Def | If | Elif | Else | For | While | With | Try | Except | Finally | Class
        );
        if !compound || self.top_colon {
            return;
        }
        // Only when the header is otherwise complete: `def f(...)`.
        if first == Def && !matches!(self.line.last(), Some((_, Tok::P(RPar), _))) {
            return;
        }
        let end = self.line.last().map_or(0, |t| t.2);
        diags.push(
            Diagnostic::error(
                "E0004",
                Span::new(end, end),
                "expected `:` at the end of this line",
            )
            .help("a `def` (or other block) header ends with a colon")
            .suggest(":"),
        );
        self.line.push((end, Tok::P(Colon), end));
    }

    fn close_brackets(&mut self, diags: &mut Vec<Diagnostic>) {
        let Some(&(kind, at)) = self.brackets.last() else {
            return;
        };
        let open = match kind {
            RawTok::LSqb => "[",
            RawTok::LBrace => "{",
            _ => "(",
        };
        diags.push(
            Diagnostic::error(
                "E0004",
                Span::new(at, at + 1),
                format!("`{open}` was never closed"),
            )
            .help("add the matching closing bracket at the end of the expression"),
        );
        let end = self.line.last().map_or(at, |t| t.2);
        while let Some((kind, _)) = self.brackets.pop() {
            let close = match kind {
                RawTok::LSqb => RawTok::RSqb,
                RawTok::LBrace => RawTok::RBrace,
                _ => RawTok::RPar,
            };
            self.line.push((end, Tok::P(close), end));
        }
    }

    fn indent_to(
        &mut self,
        width: usize,
        line_start: usize,
        at: usize,
        diags: &mut Vec<Diagnostic>,
    ) {
        let top = *self.indents.last().unwrap_or(&0);
        if width > top {
            if self.block_opened {
                self.indents.push(width);
                self.out.push((at, Tok::Indent, at));
            } else {
                diags.push(
                    Diagnostic::error("E0003", Span::new(line_start, at), "unexpected indentation")
                        .help("this line is indented more than the statement before it, which does not open a block; remove the extra indentation"),
                );
            }
        } else if width < top {
            while self.indents.len() > 1 && self.indents.last().is_some_and(|&t| t > width) {
                self.indents.pop();
                self.out.push((at, Tok::Dedent, at));
            }
            if self.indents.last() != Some(&width) {
                diags.push(
                    Diagnostic::error(
                        "E0003",
                        Span::new(line_start, at),
                        "this line's indentation does not match any outer block",
                    )
                    .help("indent it exactly as far as the block it belongs to"),
                );
                if let Some(top) = self.indents.last_mut() {
                    *top = width;
                }
            }
        }
        self.block_opened = false;
    }
}

/// Does this token, first on a physical line, begin a new statement?
fn starts_statement(tok: RawTok, lexer: &logos::Lexer<'_, RawTok>) -> bool {
    use RawTok::*;
    match tok {
        Def | Import | From | Return | If | For | While | Class | With | Try | Elif | Else
        | Except | Finally | At => true,
        Name => {
            // `name = ...` (an assignment, not a keyword argument `name=` that
            // continues a call: those are indented further).
            let mut peek = lexer.clone();
            matches!(peek.next(), Some(Ok(Eq)))
        }
        _ => false,
    }
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
            format!("unexpected character {c:?} in PxL source"),
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
        assert_eq!(kinds("x = 'abc"), "x Eq '' NL !E0002");
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
