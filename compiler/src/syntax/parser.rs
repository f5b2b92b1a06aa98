//! Parsing: layout tokens → LALRPOP parser → [`Parsed`]. The parser never
//! gives up: every syntax error of the file is reported and the statements
//! around it are still in the tree.

use super::ast::*;
use super::layout::{Tok, layout};
use crate::diagnostic::Diagnostic;
use crate::span::Span;
use lalrpop_util::{ErrorRecovery, ParseError};

/// The lexer cannot fail (its errors are diagnostics), so its error type is empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Never {}

/// A parsed file: the tree and every problem found on the way.
#[derive(Debug, Clone)]
pub struct Parsed {
    pub module: Module,
    pub diagnostics: Vec<Diagnostic>,
}

/// State the grammar's actions write to.
#[derive(Debug, Default)]
pub struct ParseCtx {
    pub(crate) diagnostics: Vec<Diagnostic>,
}

pub fn parse(src: &str) -> Parsed {
    let mut diagnostics = Vec::new();
    let tokens = layout(src, &mut diagnostics);
    let mut ctx = ParseCtx { diagnostics };
    let parser = super::grammar::ModuleParser::new();
    let iter = tokens.iter().map(|&(l, t, r)| Ok::<_, Never>((l, t, r)));
    let module = match parser.parse(&mut ctx, iter) {
        Ok(m) => m,
        Err(e) => {
            // Unrecoverable (typically the file ends inside a statement): keep
            // every complete top-level statement before the failing one.
            let at = match &e {
                ParseError::UnrecognizedEof { location, .. }
                | ParseError::InvalidToken { location } => *location,
                ParseError::UnrecognizedToken { token, .. } | ParseError::ExtraToken { token } => {
                    token.0
                }
                ParseError::User { error } => match *error {},
            };
            ctx.diagnostics.push(convert_error(e, src.len()));
            let cut = statement_start_before(&tokens, at);
            let mut retry = ParseCtx::default();
            let prefix = tokens[..cut]
                .iter()
                .map(|&(l, t, r)| Ok::<_, Never>((l, t, r)));
            parser
                .parse(&mut retry, prefix)
                .unwrap_or(Module { body: Vec::new() })
        }
    };
    let mut diagnostics = ctx.diagnostics;
    diagnostics.sort_by_key(|d| (d.span.start, d.span.end));
    Parsed {
        module,
        diagnostics,
    }
}

/// Index of the last top-level statement start before byte offset `at`.
fn statement_start_before(tokens: &[(usize, Tok<'_>, usize)], at: usize) -> usize {
    let mut depth = 0i32;
    let mut best = 0;
    for (i, (l, t, _)) in tokens.iter().enumerate() {
        if *l >= at && i > 0 {
            break;
        }
        let boundary = i == 0 || matches!(tokens[i - 1].1, Tok::Newline | Tok::Dedent);
        if boundary && depth == 0 && !matches!(t, Tok::Dedent) {
            best = i;
        }
        match t {
            Tok::Indent => depth += 1,
            Tok::Dedent => depth -= 1,
            _ => {}
        }
    }
    best
}

impl ParseCtx {
    pub(crate) fn recovered(&mut self, e: ErrorRecovery<usize, Tok<'_>, Never>) {
        let end = e.dropped_tokens.last().map_or(0, |t| t.2);
        self.diagnostics.push(convert_error(e.error, end));
    }

    pub(crate) fn missing_comma(&mut self, before: &[Arg], kw: &Arg) {
        let after = before
            .last()
            .map_or(kw.span.start, |a| a.span.end as usize as u32);
        let name = kw.keyword.as_ref().map_or("", |k| k.name.as_str());
        self.diagnostics.push(
            Diagnostic::warning(
                "W0001",
                Span {
                    start: after,
                    end: after,
                },
                format!("missing `,` before keyword argument `{name}`"),
            )
            .label(kw.span, "this argument follows without a comma")
            .help("Pixie accepts this, but add the comma: other tools will not")
            .suggest(","),
        );
    }

    pub(crate) fn string(&mut self, parts: &[&str], start: usize) -> ExprKind {
        let mut out = String::new();
        let mut offset = start;
        for raw in parts {
            let prefix_len = raw.find(['\'', '"']).unwrap_or(0);
            let prefix = raw[..prefix_len].to_ascii_lowercase();
            if let Some(p) = prefix.chars().find(|c| matches!(c, 'b' | 'f')) {
                let kind = if p == 'f' {
                    "f-strings are"
                } else {
                    "bytes literals are"
                };
                self.diagnostics.push(
                    Diagnostic::error(
                        "E0102",
                        Span::new(offset, offset + raw.len()),
                        format!("{kind} not supported in PxL"),
                    )
                    .help(if p == 'f' {
                        "build the text with `+` on strings, or pass values as separate columns"
                    } else {
                        "use a plain string literal"
                    }),
                );
                return ExprKind::BadStr { prefix: p };
            }
            let body = &raw[prefix_len..];
            let quote = if body.starts_with("'''") || body.starts_with("\"\"\"") {
                3
            } else {
                1
            };
            let inner = &body[quote.min(body.len())..body.len().saturating_sub(quote)];
            if prefix.contains('r') {
                out.push_str(inner);
            } else {
                unescape(inner, &mut out);
            }
            offset += raw.len();
        }
        ExprKind::Str(out)
    }
}

fn unescape(s: &str, out: &mut String) {
    if !s.contains('\\') {
        out.push_str(s);
        return;
    }
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('0') => out.push('\0'),
            Some('\\') => out.push('\\'),
            Some('\'') => out.push('\''),
            Some('"') => out.push('"'),
            Some('\n') => {}
            Some('x') => {
                let hex: String = (0..2)
                    .filter_map(|_| chars.next_if(char::is_ascii_hexdigit))
                    .collect();
                match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                    Some(ch) if hex.len() == 2 => out.push(ch),
                    _ => {
                        out.push_str("\\x");
                        out.push_str(&hex);
                    }
                }
            }
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
}

/// The one place LALRPOP's error type becomes a diagnostic.
fn convert_error(e: ParseError<usize, Tok<'_>, Never>, eof: usize) -> Diagnostic {
    match e {
        ParseError::InvalidToken { location } => {
            Diagnostic::error("E0001", Span::new(location, location + 1), "invalid token")
        }
        ParseError::UnrecognizedEof { location, expected } => {
            let at = location.max(eof.min(location));
            Diagnostic::error(
                "E0005",
                Span::new(at, at),
                "the file ends in the middle of a statement",
            )
            .help(format!("expected {}", describe_expected(&expected)))
        }
        ParseError::UnrecognizedToken {
            token: (l, tok, r),
            expected,
        } => {
            let found = describe_token(&tok);
            let mut d = Diagnostic::error("E0004", Span::new(l, r), format!("unexpected {found}"))
                .label(
                    Span::new(l, r),
                    format!("expected {} here", describe_expected(&expected)),
                );
            let wants = |s: &str| expected.iter().any(|e| e == s);
            if matches!(tok, Tok::Indent) {
                d.message = "unexpected indentation".into();
                d = d.help("this line is indented more than the statement before it; remove the extra indentation");
            } else if matches!(tok, Tok::Dedent | Tok::Newline)
                && (wants("\")\"") || wants("\"]\"") || wants("\"}\""))
            {
                d.message = "a bracket opened on this statement is never closed".into();
                d = d.help("add the missing closing bracket");
            } else if wants("\",\"")
                && matches!(
                    tok,
                    Tok::Name(_) | Tok::Int(_) | Tok::Float(_) | Tok::Str(_)
                )
            {
                d = d.help("is a `,` missing before it?");
            } else if wants("\":\"") && matches!(tok, Tok::Newline) {
                d = d.help("add `:` at the end of the line");
            } else if wants("\"=\"") && matches!(tok, Tok::P(super::token::RawTok::RPar)) {
                d = d.help("is a `,` missing between the arguments?");
            }
            d
        }
        ParseError::ExtraToken { token: (l, tok, r) } => Diagnostic::error(
            "E0004",
            Span::new(l, r),
            format!("unexpected {}", describe_token(&tok)),
        ),
        ParseError::User { error } => match error {},
    }
}

fn describe_token(tok: &Tok<'_>) -> String {
    match tok {
        Tok::Name(n) => format!("name `{n}`"),
        Tok::Int(n) | Tok::Float(n) => format!("number `{n}`"),
        Tok::Str(_) => "string literal".into(),
        Tok::Newline => "end of line".into(),
        Tok::Indent => "indentation".into(),
        Tok::Dedent => "end of block".into(),
        Tok::P(p) => format!("`{}`", punct_text(*p)),
    }
}

fn punct_text(p: super::token::RawTok) -> String {
    let dbg = format!("{p:?}");
    use super::token::RawTok::*;
    match p {
        LPar => "(".into(),
        RPar => ")".into(),
        LSqb => "[".into(),
        RSqb => "]".into(),
        LBrace => "{".into(),
        RBrace => "}".into(),
        Comma => ",".into(),
        Colon => ":".into(),
        Semi => ";".into(),
        Dot => ".".into(),
        Eq => "=".into(),
        Plus => "+".into(),
        Minus => "-".into(),
        Star => "*".into(),
        Slash => "/".into(),
        EqEq => "==".into(),
        Less => "<".into(),
        Greater => ">".into(),
        AugAssign => "augmented assignment".into(),
        _ => dbg.to_lowercase(),
    }
}

fn describe_expected(expected: &[String]) -> String {
    let mut names: Vec<String> = expected
        .iter()
        .map(|e| match e.as_str() {
            "Name" => "a name".to_string(),
            "Int" | "Float" => "a number".to_string(),
            "Str" => "a string".to_string(),
            "\"\\n\"" => "end of line".to_string(),
            "Indent" => "an indented block".to_string(),
            "Dedent" => "end of block".to_string(),
            other => format!("`{}`", other.trim_matches('"')),
        })
        .collect();
    names.dedup();
    let expression_starts = [
        "a name", "a number", "a string", "`(`", "`[`", "`{`", "`-`", "`not`", "`lambda`",
    ];
    if expression_starts
        .iter()
        .all(|s| names.iter().any(|n| n == s))
    {
        names.retain(|n| {
            !expression_starts.contains(&n.as_str())
                && !["`+`", "`~`", "`...`", "`yield`"].contains(&n.as_str())
        });
        names.insert(0, "an expression".to_string());
    }
    match names.len() {
        0 => "something else".to_string(),
        1 => names.remove(0),
        n if n <= 6 => format!("{} or {}", names[..n - 1].join(", "), names[n - 1]),
        _ => format!("{}, ...", names[..5].join(", ")),
    }
}

// Small constructors used by the grammar actions.

pub(crate) fn span(l: usize, r: usize) -> Span {
    Span::new(l, r)
}

pub(crate) fn expr(kind: ExprKind, l: usize, r: usize) -> Expr {
    Expr {
        kind,
        span: Span::new(l, r),
    }
}

pub(crate) fn stmt(kind: StmtKind, l: usize, r: usize) -> Stmt {
    Stmt {
        kind,
        span: Span::new(l, r),
    }
}

pub(crate) fn tuple(items: Vec<Expr>, l: usize, r: usize) -> Expr {
    expr(ExprKind::Tuple(items), l, r)
}

/// One piece of an operator chain, in source order.
#[derive(Debug)]
pub(crate) enum Piece {
    /// An operand with the byte range of its source text (parentheses
    /// included), which is where the spans of the nodes built on it start
    /// and end.
    Operand(Expr, usize, usize),
    /// A prefix operator and where it starts.
    Prefix(UnaryOp, usize),
    Infix(Infix),
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum Infix {
    Or,
    And,
    Cmp(CmpOp),
    Bin(BinOp),
}

// Python's precedence levels, loosest first.
const OR: u8 = 1;
const AND: u8 = 2;
const NOT: u8 = 3;
const CMP: u8 = 4;
const BITWISE: u8 = 5;
const ADD: u8 = 6;
const MUL: u8 = 7;
const UNARY: u8 = 8;
const POW: u8 = 9;

impl Infix {
    fn level(self) -> u8 {
        match self {
            Infix::Or => OR,
            Infix::And => AND,
            Infix::Cmp(_) => CMP,
            Infix::Bin(op) => match op {
                BinOp::BitOr | BinOp::BitXor | BinOp::BitAnd | BinOp::LShift | BinOp::RShift => {
                    BITWISE
                }
                BinOp::Add | BinOp::Sub => ADD,
                BinOp::Mul | BinOp::Div | BinOp::Mod | BinOp::FloorDiv | BinOp::MatMul => MUL,
                BinOp::Pow => POW,
            },
        }
    }
}

/// Appends `op`, the prefixes of its right operand and the operand to a chain.
pub(crate) fn chain_push(
    v: &mut Vec<Piece>,
    op: Infix,
    prefixes: Vec<Piece>,
    b: Expr,
    l: usize,
    r: usize,
) {
    v.push(Piece::Infix(op));
    v.extend(prefixes);
    v.push(Piece::Operand(b, l, r));
}

/// A built operand: the expression, the byte range of its source text, and
/// whether it is a comparison this chain built (which a further comparison
/// extends: `a < b < c` is one chain, as in Python).
struct Operand {
    expr: Expr,
    l: usize,
    r: usize,
    chain: bool,
}

/// An operator waiting for its right operand.
enum Pending {
    Prefix(UnaryOp, usize),
    Infix(Infix),
}

impl Pending {
    /// Whether this operator takes its operands before `next` (of `level`)
    /// may: it binds tighter, or as tightly and associates to the left.
    fn binds_before(&self, next: Infix) -> bool {
        let level = next.level();
        match self {
            Pending::Prefix(op, _) => prefix_level(*op) > level,
            Pending::Infix(op) => op.level() > level || (op.level() == level && level != POW),
        }
    }
}

fn prefix_level(op: UnaryOp) -> u8 {
    if op == UnaryOp::Not { NOT } else { UNARY }
}

/// The tree of an operator chain read by the grammar, by precedence
/// (shunting-yard, without recursion: the longest chains,
/// `MAX_STATEMENT_OPERATORS` operators, fit any thread's stack).
pub(crate) fn chain_tree(ctx: &mut ParseCtx, pieces: Vec<Piece>) -> Expr {
    let mut operands: Vec<Operand> = Vec::new();
    let mut pending: Vec<Pending> = Vec::new();
    for piece in pieces {
        match piece {
            Piece::Operand(expr, l, r) => operands.push(Operand {
                expr,
                l,
                r,
                chain: false,
            }),
            Piece::Prefix(op, l) => {
                if op == UnaryOp::Not
                    && matches!(pending.last(), Some(Pending::Prefix(sign, _)) if prefix_level(*sign) > NOT)
                {
                    let at = Span::new(l, l + 3);
                    ctx.diagnostics.push(
                        Diagnostic::error("E0004", at, "unexpected `not`")
                            .label(at, "`not` cannot be the operand of a sign")
                            .help("put `not` and what it negates in parentheses"),
                    );
                }
                pending.push(Pending::Prefix(op, l));
            }
            Piece::Infix(op) => {
                while pending.last().is_some_and(|p| p.binds_before(op)) {
                    if let Some(p) = pending.pop() {
                        apply(p, &mut operands);
                    }
                }
                pending.push(Pending::Infix(op));
            }
        }
    }
    while let Some(p) = pending.pop() {
        apply(p, &mut operands);
    }
    // The grammar makes every chain alternate operands and operators, so
    // exactly one operand is left.
    operands
        .pop()
        .map_or_else(|| expr(ExprKind::Error, 0, 0), |o| o.expr)
}

fn apply(op: Pending, operands: &mut Vec<Operand>) {
    let Some(right) = operands.pop() else { return };
    let built = match op {
        Pending::Prefix(op, l) => {
            let kind = ExprKind::UnaryOp {
                op,
                operand: Box::new(right.expr),
            };
            Operand {
                expr: expr(kind, l, right.r),
                l,
                r: right.r,
                chain: false,
            }
        }
        Pending::Infix(op) => {
            let Some(left) = operands.pop() else {
                operands.push(right);
                return;
            };
            let (l, r, left_chain) = (left.l, right.r, left.chain);
            let (kind, chain) = match op {
                Infix::Cmp(cmp) => {
                    let Expr { kind, span } = left.expr;
                    let (first, mut ops) = match kind {
                        ExprKind::Compare { left, ops } if left_chain => (left, ops),
                        kind => (Box::new(Expr { kind, span }), Vec::new()),
                    };
                    ops.push((cmp, right.expr));
                    (ExprKind::Compare { left: first, ops }, true)
                }
                Infix::Or | Infix::And => (
                    ExprKind::BoolOp {
                        op: if matches!(op, Infix::Or) {
                            BoolOp::Or
                        } else {
                            BoolOp::And
                        },
                        left: Box::new(left.expr),
                        right: Box::new(right.expr),
                    },
                    false,
                ),
                Infix::Bin(op) => (
                    ExprKind::BinOp {
                        op,
                        left: Box::new(left.expr),
                        right: Box::new(right.expr),
                    },
                    false,
                ),
            };
            Operand {
                expr: expr(kind, l, r),
                l,
                r,
                chain,
            }
        }
    };
    operands.push(built);
}

pub(crate) fn number(text: &str) -> ExprKind {
    let clean: String = text
        .chars()
        .filter(|&c| c != '_' && c != 'l' && c != 'L')
        .collect();
    let lower = clean.to_ascii_lowercase();
    let parsed = if let Some(h) = lower.strip_prefix("0x") {
        i64::from_str_radix(h, 16)
    } else if let Some(o) = lower.strip_prefix("0o") {
        i64::from_str_radix(o, 8)
    } else if let Some(b) = lower.strip_prefix("0b") {
        i64::from_str_radix(b, 2)
    } else {
        clean.parse::<i64>()
    };
    parsed.map_or_else(|_| ExprKind::BigInt(text.to_string()), ExprKind::Int)
}

pub(crate) fn float(text: &str) -> ExprKind {
    let clean: String = text.chars().filter(|&c| c != '_').collect();
    clean
        .parse::<f64>()
        .map_or(ExprKind::Error, ExprKind::Float)
}

pub(crate) fn docstring_of(body: &[Stmt]) -> Option<String> {
    match body.first().map(|s| &s.kind) {
        Some(StmtKind::Expr(Expr {
            kind: ExprKind::Str(s),
            ..
        })) => Some(s.clone()),
        _ => None,
    }
}
