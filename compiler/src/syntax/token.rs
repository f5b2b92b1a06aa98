//! Raw tokens, recognised by logos. Indentation is handled by the layout pass.

use logos::Logos;

#[derive(Logos, Debug, Clone, Copy, PartialEq, Eq)]
#[logos(skip r"[ \t\f\r]+")]
#[logos(skip(r"#[^\n]*", allow_greedy = true))]
#[logos(skip r"\\\r?\n")]
pub(crate) enum RawTok {
    #[token("\n")]
    Newline,

    #[regex(r"[A-Za-z_][A-Za-z0-9_]*")]
    Name,
    #[regex(r"[0-9][0-9_]*[lL]?")]
    #[regex(r"0[xX][0-9a-fA-F_]+")]
    #[regex(r"0[oO][0-7_]+")]
    #[regex(r"0[bB][01_]+")]
    Int,
    #[regex(r"[0-9][0-9_]*\.[0-9_]*([eE][+-]?[0-9]+)?")]
    #[regex(r"\.[0-9][0-9_]*([eE][+-]?[0-9]+)?")]
    #[regex(r"[0-9][0-9_]*[eE][+-]?[0-9]+")]
    Float,
    #[regex(r#"[rRbBuUfF]{0,2}'([^'\\\n]|\\(.|\n))*'"#)]
    #[regex(r#"[rRbBuUfF]{0,2}"([^"\\\n]|\\(.|\n))*""#)]
    Str,
    #[regex(r#"[rRbBuUfF]{0,2}'''"#, |lex| triple(lex, "'''"))]
    #[regex(r#"[rRbBuUfF]{0,2}""""#, |lex| triple(lex, "\"\"\""))]
    TripleStr,
    #[regex(r#"[rRbBuUfF]{0,2}'([^'\\\n]|\\(.|\n))*"#, priority = 1)]
    #[regex(r#"[rRbBuUfF]{0,2}"([^"\\\n]|\\(.|\n))*"#, priority = 1)]
    UnterminatedStr,

    #[token("(")]
    LPar,
    #[token(")")]
    RPar,
    #[token("[")]
    LSqb,
    #[token("]")]
    RSqb,
    #[token("{")]
    LBrace,
    #[token("}")]
    RBrace,
    #[token(",")]
    Comma,
    #[token(":")]
    Colon,
    #[token(";")]
    Semi,
    #[token(".")]
    Dot,
    #[token("...")]
    Ellipsis,
    #[token("=")]
    Eq,
    #[token("->")]
    Arrow,
    #[token("+")]
    Plus,
    #[token("-")]
    Minus,
    #[token("*")]
    Star,
    #[token("/")]
    Slash,
    #[token("//")]
    DoubleSlash,
    #[token("%")]
    Percent,
    #[token("**")]
    DoubleStar,
    #[token("@")]
    At,
    #[token("&")]
    Amper,
    #[token("|")]
    Vbar,
    #[token("^")]
    Circumflex,
    #[token("~")]
    Tilde,
    #[token("<<")]
    LeftShift,
    #[token(">>")]
    RightShift,
    #[token("==")]
    EqEq,
    #[token("!=")]
    #[token("<>")]
    NotEq,
    #[token("<")]
    Less,
    #[token("<=")]
    LessEq,
    #[token(">")]
    Greater,
    #[token(">=")]
    GreaterEq,
    #[token("+=")]
    #[token("-=")]
    #[token("*=")]
    #[token("/=")]
    #[token("%=")]
    #[token("//=")]
    #[token("**=")]
    #[token("&=")]
    #[token("|=")]
    #[token("^=")]
    #[token("<<=")]
    #[token(">>=")]
    #[token("@=")]
    AugAssign,
    #[token(":=")]
    Walrus,

    #[token("and")]
    And,
    #[token("as")]
    As,
    #[token("assert")]
    Assert,
    #[token("break")]
    Break,
    #[token("class")]
    Class,
    #[token("continue")]
    Continue,
    #[token("def")]
    Def,
    #[token("del")]
    Del,
    #[token("elif")]
    Elif,
    #[token("else")]
    Else,
    #[token("except")]
    Except,
    #[token("finally")]
    Finally,
    #[token("for")]
    For,
    #[token("from")]
    From,
    #[token("global")]
    Global,
    #[token("if")]
    If,
    #[token("import")]
    Import,
    #[token("in")]
    In,
    #[token("is")]
    Is,
    #[token("lambda")]
    Lambda,
    #[token("nonlocal")]
    Nonlocal,
    #[token("not")]
    Not,
    #[token("or")]
    Or,
    #[token("pass")]
    Pass,
    #[token("raise")]
    Raise,
    #[token("return")]
    Return,
    #[token("try")]
    Try,
    #[token("while")]
    While,
    #[token("with")]
    With,
    #[token("yield")]
    Yield,
}

/// Scan to the end of a triple-quoted string; `false` (an error token) if unterminated.
fn triple(lex: &mut logos::Lexer<'_, RawTok>, close: &str) -> bool {
    let rest = lex.remainder();
    let bytes = rest.as_bytes();
    let close = close.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' {
            i += 2;
            continue;
        }
        if bytes[i..].starts_with(close) {
            lex.bump(i + close.len());
            return true;
        }
        i += 1;
    }
    lex.bump(rest.len());
    false
}
