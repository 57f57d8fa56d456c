//! The Markdown a lesson may use, and the blocks it becomes: `## ` headings, paragraphs, `- ` list
//! items and `**bold**`. Nothing else is accepted (no links, images, HTML, code, tables, quotes or
//! numbered lists), so the app can show a lesson with plain text nodes, never as HTML. Every
//! refusal names its line.

use serde::Serialize;

/// The most blocks one lesson may have.
pub const MAX_BLOCKS: usize = 300;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum BlockKind {
    /// A `## ` heading.
    H2,
    /// A paragraph.
    P,
    /// One `- ` list item (consecutive items form one list).
    Li,
}

/// A run of text, bold or not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Span {
    pub text: String,
    pub bold: bool,
}

/// One block of a lesson's body, to render as text nodes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Block {
    pub kind: BlockKind,
    /// The whole text, without markup (for read-aloud).
    pub text: String,
    pub spans: Vec<Span>,
}

/// A problem on a line of the Markdown (lines from 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineProblem {
    pub line: usize,
    pub problem: String,
}

/// A block being gathered: its kind, first line, and its lines' text so far.
struct Open {
    kind: BlockKind,
    line: usize,
    text: String,
}

/// Parses a lesson body into blocks, or lists what is not allowed (at most 20 problems).
pub fn render(markdown: &str) -> Result<Vec<Block>, Vec<LineProblem>> {
    let mut blocks = Vec::new();
    let mut problems = Vec::new();
    let mut open: Option<Open> = None;
    let close = |open: &mut Option<Open>, blocks: &mut Vec<Block>, problems: &mut Vec<LineProblem>| {
        if let Some(o) = open.take() {
            match spans(&o.text) {
                Ok(spans) => blocks.push(Block { kind: o.kind, text: o.text.replace("**", ""), spans }),
                Err(problem) => problems.push(LineProblem { line: o.line, problem }),
            }
        }
    };
    for (i, raw) in markdown.lines().enumerate() {
        let line_no = i + 1;
        // Chinese paragraphs are often indented with ideographic spaces: not Markdown, just dropped.
        let line = raw.trim_end().trim_start_matches('\u{3000}');
        if line.is_empty() {
            close(&mut open, &mut blocks, &mut problems);
            continue;
        }
        if let Some(problem) = refused_line(line).or_else(|| refused_inline(line)) {
            problems.push(LineProblem { line: line_no, problem: problem.to_owned() });
            close(&mut open, &mut blocks, &mut problems);
            continue;
        }
        let (kind, text) = if let Some(text) = line.strip_prefix("## ") {
            (BlockKind::H2, text.trim())
        } else if let Some(text) = line.strip_prefix("- ") {
            (BlockKind::Li, text.trim())
        } else {
            // A line that starts no block of its own continues a paragraph or list item.
            if let Some(o) = open.as_mut().filter(|o| o.kind != BlockKind::H2) {
                join_line(&mut o.text, line);
                continue;
            }
            (BlockKind::P, line)
        };
        close(&mut open, &mut blocks, &mut problems);
        if text.is_empty() {
            problems.push(LineProblem { line: line_no, problem: "这一行只有标记，没有文字".to_owned() });
            continue;
        }
        open = Some(Open { kind, line: line_no, text: text.to_owned() });
        if kind == BlockKind::H2 {
            close(&mut open, &mut blocks, &mut problems);
        }
    }
    close(&mut open, &mut blocks, &mut problems);
    if blocks.is_empty() && problems.is_empty() {
        problems.push(LineProblem { line: 1, problem: "正文是空的".to_owned() });
    }
    if blocks.len() > MAX_BLOCKS {
        problems.push(LineProblem {
            line: 1, problem: format!("正文最多{MAX_BLOCKS}段，现在有{}段", blocks.len())
        });
    }
    if problems.is_empty() {
        Ok(blocks)
    } else {
        problems.truncate(20);
        Err(problems)
    }
}

/// Joins a wrapped line to the text before it: a space between two Latin words, nothing in Chinese.
fn join_line(text: &mut String, line: &str) {
    let latin = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    if latin(text.chars().last()) && latin(line.chars().next()) {
        text.push(' ');
    }
    text.push_str(line);
}

/// Why a line's start is not allowed Markdown.
fn refused_line(line: &str) -> Option<&'static str> {
    let first = line.chars().next()?;
    if first == ' ' || first == '\t' {
        return Some("行首不要留空格（缩进会变成代码或嵌套列表，这里不支持）");
    }
    if (first == '#' && !line.starts_with("## ")) || line.starts_with("###") {
        return Some("标题只能用“## ”开头的二级标题");
    }
    if line.starts_with("* ") || line.starts_with("+ ") || line == "-" {
        return Some("列表请用“- ”开头");
    }
    let digits = line.bytes().take_while(u8::is_ascii_digit).count();
    if digits > 0 && (line[digits..].starts_with(". ") || line[digits..].starts_with(") ")) {
        return Some("不支持编号列表，请用“- ”开头的列表");
    }
    if first == '>' {
        return Some("不支持引用块");
    }
    if first == '|' {
        return Some("不支持表格");
    }
    if line.starts_with("```") || line.starts_with("~~~") {
        return Some("不支持代码块");
    }
    let rule = line.chars().filter(|c| !c.is_whitespace()).collect::<String>();
    if rule.len() >= 3
        && (rule.chars().all(|c| c == '-') || rule.chars().all(|c| c == '=') || rule.chars().all(|c| c == '_'))
    {
        return Some("不支持分隔线或下划线式标题");
    }
    None
}

/// Why something inside a line is not allowed.
fn refused_inline(line: &str) -> Option<&'static str> {
    if line.chars().any(|c| c.is_control()) {
        return Some("含有控制字符");
    }
    if line.contains('`') {
        return Some("不支持代码格式（反引号）");
    }
    if line.contains("![") {
        return Some("不支持图片");
    }
    if line.contains("](") || line.contains("][") {
        return Some("不支持链接");
    }
    let bytes = line.as_bytes();
    let html =
        bytes.windows(2).any(|w| w[0] == b'<' && (w[1].is_ascii_alphabetic() || matches!(w[1], b'/' | b'!' | b'?')));
    if html {
        return Some("不支持HTML标签");
    }
    if line.contains("__") {
        return Some("加粗请用“**文字**”");
    }
    None
}

/// The spans of a block's text: `**` toggles bold; a lone `*` or an unpaired `**` is refused.
fn spans(text: &str) -> Result<Vec<Span>, String> {
    let parts: Vec<&str> = text.split("**").collect();
    if parts.len().is_multiple_of(2) {
        return Err("加粗标记“**”没有成对".to_owned());
    }
    let mut spans = Vec::new();
    for (i, part) in parts.into_iter().enumerate() {
        let bold = i % 2 == 1;
        if part.contains('*') {
            return Err("只支持“**文字**”加粗，不支持单个“*”".to_owned());
        }
        if bold && part.trim().is_empty() {
            return Err("“**”之间没有文字".to_owned());
        }
        if !part.is_empty() {
            spans.push(Span { text: part.to_owned(), bold });
        }
    }
    Ok(spans)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(md: &str) -> Vec<(BlockKind, String)> {
        render(md).expect("renders").into_iter().map(|b| (b.kind, b.text)).collect()
    }

    #[test]
    fn headings_paragraphs_items_and_bold_become_blocks() {
        let md = "## 案例\n\n王二柱借钱\n没写借条。\n\n**没借条，借款也算数。**第668条规定。\n\n- 保存转账记录\n- 补写借条\n";
        let blocks = render(md).expect("renders");
        assert_eq!(
            blocks.iter().map(|b| (b.kind, b.text.as_str())).collect::<Vec<_>>(),
            [
                (BlockKind::H2, "案例"),
                (BlockKind::P, "王二柱借钱没写借条。"),
                (BlockKind::P, "没借条，借款也算数。第668条规定。"),
                (BlockKind::Li, "保存转账记录"),
                (BlockKind::Li, "补写借条"),
            ]
        );
        assert_eq!(
            blocks[2].spans,
            [
                Span { text: "没借条，借款也算数。".into(), bold: true },
                Span { text: "第668条规定。".into(), bold: false }
            ]
        );
        assert_eq!(kinds("see\nthe law")[0].1, "see the law");
        assert_eq!(kinds("\u{3000}\u{3000}首行缩进")[0].1, "首行缩进");
    }

    #[test]
    fn everything_else_is_refused_with_its_line() {
        for (md, line) in [
            ("# 一级标题", 1),
            ("正文\n### 三级", 2),
            ("* 星号列表", 1),
            ("1. 编号", 1),
            ("> 引用", 1),
            ("| a | b |", 1),
            ("```\ncode\n```", 1),
            ("    缩进代码", 1),
            ("看[这里](http://x)", 1),
            ("![图](a.png)", 1),
            ("<script>alert(1)</script>", 1),
            ("a\n\n<img src=x onerror=alert(1)>", 3),
            ("`code`", 1),
            ("**没有成对", 1),
            ("*斜体*", 1),
            ("__粗__", 1),
            ("---", 1),
            ("控制\u{7}字符", 1),
            ("", 1),
            ("## ", 1),
        ] {
            let problems = render(md).expect_err(md);
            assert_eq!(problems[0].line, line, "{md}: {problems:?}");
        }
        assert!(render("3 < 5，这是正文").is_ok(), "a lone < is text");
        assert!(render("1、先调解。").is_ok(), "Chinese enumeration is text");
    }
}
