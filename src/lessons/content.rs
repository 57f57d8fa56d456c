//! What a valid lesson is, one rule for both ways in: a file of question-bank/lessons/ (TOML front
//! matter between `+++` lines, then the Markdown body) and a staff member's form. Raw input
//! becomes `LessonContent`, which cannot be wrong: bounded text, real articles, allowed Markdown.

use chrono::NaiveDate;
use serde::Deserialize;

use super::code::ARTICLES;
use super::markdown::{Block, render};
use crate::problems::{FieldProblem, PlacedProblem};

pub const MAX_TITLE_CHARS: usize = 40;
pub const MAX_SUMMARY_CHARS: usize = 120;
pub const MAX_ARTICLES: usize = 20;
pub const MAX_TAGS: usize = 5;
pub const MAX_TAG_CHARS: usize = 20;
pub const MAX_AUTHOR_CHARS: usize = 40;
/// Room for thirty times the longest shipped lesson, and within the JSON body limit in Chinese.
pub const MAX_BODY_CHARS: usize = 10_000;

/// A lesson's stable name in its address: lowercase ASCII letters, digits and inner hyphens.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Slug(String);

impl Slug {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let ok = (3..=64).contains(&raw.len())
            && raw.split('-').all(|part| !part.is_empty())
            && raw.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err("课程标识只能用小写英文字母、数字和中间的“-”，3到64个字符，例如 loan-no-iou".to_owned())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A lesson's content, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LessonContent {
    pub title: String,
    pub summary: String,
    /// Civil Code articles, each once, in the order given.
    pub articles: Vec<u32>,
    pub tags: Vec<String>,
    pub author: String,
    pub published_on: NaiveDate,
    /// The Markdown as written (line ends normalised).
    pub body: String,
    pub blocks: Vec<Block>,
}

impl LessonContent {
    /// What identifies this content: an unchanged file is not a new revision.
    pub fn content_hash(&self) -> String {
        let canonical = serde_json::json!([
            self.title,
            self.summary,
            self.articles,
            self.tags,
            self.author,
            self.published_on.to_string(),
            self.body
        ]);
        crate::digest::sha256_hex(canonical.to_string().as_bytes())
    }
}

/// A staff member's new lesson: a slug, the content, and whether to publish it at once.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewLesson {
    /// Lowercase letters, digits and hyphens, 3–64 characters; cannot be changed later.
    #[schema(example = "loan-no-iou")]
    pub slug: String,
    #[schema(example = "借钱没写借条，还能要回来吗？")]
    pub title: String,
    pub summary: String,
    #[schema(example = json!([668, 679]))]
    pub articles: Vec<i64>,
    #[schema(example = json!(["民间借贷与担保"]))]
    pub tags: Vec<String>,
    #[schema(example = "乌拉特中旗司法局")]
    pub author: String,
    #[serde(default)]
    #[schema(nullable = false, example = "2026-12-01")]
    pub published_on: Option<String>,
    pub body: String,
    /// Publish at once (default: a draft only staff see).
    #[serde(default)]
    pub published: bool,
}

impl NewLesson {
    /// The slug, the content as an edit, and whether to publish.
    pub fn into_parts(self) -> (String, LessonEdit, bool) {
        let Self { slug, title, summary, articles, tags, author, published_on, body, published } = self;
        (slug, LessonEdit { title, summary, articles, tags, author, published_on, body }, published)
    }
}

/// A lesson's content as staff write it.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LessonEdit {
    /// 2–40 characters.
    #[schema(example = "借钱没写借条，还能要回来吗？")]
    pub title: String,
    /// One sentence, at most 120 characters.
    pub summary: String,
    /// Civil Code article numbers (1–1260), 1 to 20.
    #[schema(example = json!([668, 679]))]
    pub articles: Vec<i64>,
    /// Topic tags, 1 to 5, each at most 20 characters.
    #[schema(example = json!(["民间借贷与担保"]))]
    pub tags: Vec<String>,
    /// At most 40 characters.
    #[schema(example = "乌拉特中旗司法局")]
    pub author: String,
    /// `YYYY-MM-DD`; when left out, a new lesson's is today (Asia/Shanghai) and an edited one keeps its own.
    #[serde(default)]
    #[schema(nullable = false, example = "2026-12-01")]
    pub published_on: Option<String>,
    /// Markdown: `## ` headings, paragraphs, `- ` lists and `**bold**` only; at most 10,000 characters.
    pub body: String,
}

/// A problem with content: its field and, in the body, its line (from 1).
#[derive(Debug, Clone, PartialEq, Eq)]
struct ContentProblem {
    field: String,
    line: Option<usize>,
    problem: String,
}

impl From<FieldProblem> for ContentProblem {
    fn from(p: FieldProblem) -> Self {
        Self { field: p.field, line: None, problem: p.problem }
    }
}

/// Text of a field: trimmed, within `min..=max` characters, no control characters.
fn text(field: &str, raw: &str, min: usize, max: usize, what: &str) -> Result<String, FieldProblem> {
    let value = raw.trim();
    let count = value.chars().count();
    if value.chars().any(char::is_control) {
        return Err(FieldProblem::new(field, format!("{what}不能含换行或控制字符")));
    }
    if !(min..=max).contains(&count) {
        return Err(FieldProblem::new(field, format!("{what}要写{min}到{max}个字，现在是{count}个字")));
    }
    Ok(value.to_owned())
}

/// Checks content, listing every problem.
fn check(
    edit: &LessonEdit,
    published_on: Result<NaiveDate, FieldProblem>,
) -> Result<LessonContent, Vec<ContentProblem>> {
    let mut problems: Vec<FieldProblem> = Vec::new();
    let mut keep = |r: Result<String, FieldProblem>| r.map_err(|p| problems.push(p)).unwrap_or_default();
    let title = keep(text("title", &edit.title, 2, MAX_TITLE_CHARS, "标题"));
    let summary = keep(text("summary", &edit.summary, 1, MAX_SUMMARY_CHARS, "摘要"));
    let author = keep(text("author", &edit.author, 1, MAX_AUTHOR_CHARS, "作者"));
    let mut articles = Vec::new();
    if edit.articles.is_empty() || edit.articles.len() > MAX_ARTICLES {
        problems.push(FieldProblem::new("articles", format!("要引用1到{MAX_ARTICLES}条民法典条文")));
    }
    for &n in edit.articles.iter().take(MAX_ARTICLES + 1) {
        match u32::try_from(n).ok().filter(|n| (1..=ARTICLES).contains(n)) {
            Some(n) if articles.contains(&n) => problems.push(FieldProblem::new("articles", format!("第{n}条重复了"))),
            Some(n) => articles.push(n),
            None => {
                problems.push(FieldProblem::new("articles", format!("民法典只有第1条到第{ARTICLES}条，没有第{n}条")))
            }
        }
    }
    let mut tags: Vec<String> = Vec::new();
    if edit.tags.is_empty() || edit.tags.len() > MAX_TAGS {
        problems.push(FieldProblem::new("tags", format!("要有1到{MAX_TAGS}个话题标签")));
    }
    for raw in edit.tags.iter().take(MAX_TAGS + 1) {
        match text("tags", raw, 1, MAX_TAG_CHARS, "话题标签") {
            Ok(tag) if tags.contains(&tag) => {
                problems.push(FieldProblem::new("tags", format!("话题标签“{tag}”重复了")))
            }
            Ok(tag) => tags.push(tag),
            Err(p) => problems.push(p),
        }
    }
    let published_on = published_on.map_err(|p| problems.push(p)).ok();
    let mut problems: Vec<ContentProblem> = problems.into_iter().map(ContentProblem::from).collect();
    let (body, blocks) = check_body(&edit.body).map_err(|p| problems.extend(p)).unwrap_or_default();
    match published_on {
        Some(published_on) if problems.is_empty() => {
            Ok(LessonContent { title, summary, articles, tags, author, published_on, body, blocks })
        }
        _ => Err(problems),
    }
}

/// A body: line ends normalised, bounded, allowed Markdown only.
fn check_body(raw: &str) -> Result<(String, Vec<Block>), Vec<ContentProblem>> {
    let body = raw.replace("\r\n", "\n").replace('\r', "\n").trim_end().to_owned();
    let count = body.chars().count();
    if count > MAX_BODY_CHARS {
        let problem = format!("正文最多{MAX_BODY_CHARS}个字，现在是{count}个字");
        return Err(vec![ContentProblem { field: "body".to_owned(), line: None, problem }]);
    }
    let blocks = render(&body).map_err(|lines| {
        lines
            .into_iter()
            .map(|l| ContentProblem { field: "body".to_owned(), line: Some(l.line), problem: l.problem })
            .collect::<Vec<_>>()
    })?;
    Ok((body, blocks))
}

/// Problems as a form shows them: body problems say their line.
fn form_problems(problems: Vec<ContentProblem>) -> Vec<FieldProblem> {
    problems
        .into_iter()
        .map(|p| match p.line {
            Some(line) => FieldProblem::new(&p.field, format!("第{line}行：{}", p.problem)),
            None => FieldProblem::new(&p.field, p.problem),
        })
        .collect()
}

/// The blocks of a draft body (the console's preview).
pub fn preview_body(raw: &str) -> Result<Vec<Block>, Vec<FieldProblem>> {
    check_body(raw).map(|(_, blocks)| blocks).map_err(form_problems)
}

/// A date as staff type it.
pub fn parse_day(field: &str, raw: &str) -> Result<NaiveDate, FieldProblem> {
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
        .map_err(|_| FieldProblem::new(field, "日期应写成 2026-12-01 这样的格式"))
}

impl LessonEdit {
    /// The checked content; a missing date is `default_day`.
    pub fn check(&self, default_day: NaiveDate) -> Result<LessonContent, Vec<FieldProblem>> {
        let published_on = self.published_on.as_deref().map_or(Ok(default_day), |raw| parse_day("published_on", raw));
        check(self, published_on).map_err(form_problems)
    }
}

/// A lesson file's front matter.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FrontMatter {
    slug: String,
    title: String,
    summary: String,
    articles: Vec<i64>,
    tags: Vec<String>,
    author: String,
    published_on: toml::value::Datetime,
}

/// A lesson read from a file.
#[derive(Debug, Clone)]
pub struct LessonFile {
    pub slug: Slug,
    pub content: LessonContent,
}

/// Reads `<slug>.md`: the front matter's slug must be the file's name. Problems name `file:line`.
pub fn parse_file(file_name: &str, text: &str) -> Result<LessonFile, Vec<PlacedProblem>> {
    let place = |line: usize| format!("{file_name}:{line}");
    let whole = |field: &str, problem: &str| vec![PlacedProblem::new(place(1), field, problem)];
    let text = text.strip_prefix('\u{feff}').unwrap_or(text).replace("\r\n", "\n");
    let Some(rest) = text.strip_prefix("+++\n") else {
        return Err(whole("front_matter", "文件要以“+++”一行开头，后面是课程信息"));
    };
    let Some((front, body)) = rest.split_once("\n+++\n").or_else(|| rest.strip_suffix("\n+++").map(|f| (f, ""))) else {
        return Err(whole("front_matter", "课程信息后面缺少结束的“+++”一行"));
    };
    let front: FrontMatter =
        toml::from_str(front).map_err(|e| whole("front_matter", &format!("课程信息写法不对：{}", e.message())))?;
    let mut problems = Vec::new();
    let slug = Slug::parse(&front.slug).map_err(|p| problems.push(PlacedProblem::new(place(2), "slug", p))).ok();
    if slug.as_ref().is_some_and(|s| file_name.strip_suffix(".md") != Some(s.as_str())) {
        problems.push(PlacedProblem::new(place(2), "slug", format!("文件名应为 {}.md", front.slug)));
    }
    let published_on = match (front.published_on.date, front.published_on.time) {
        (Some(d), None) => NaiveDate::from_ymd_opt(i32::from(d.year), u32::from(d.month), u32::from(d.day))
            .ok_or_else(|| FieldProblem::new("published_on", "不是有效的日期")),
        _ => Err(FieldProblem::new("published_on", "发布日期只写日期，如 2026-12-01")),
    };
    // The blank lines after the closing `+++` are not part of the body.
    let body_start = body.trim_start_matches('\n');
    let edit = LessonEdit {
        title: front.title,
        summary: front.summary,
        articles: front.articles,
        tags: front.tags,
        author: front.author,
        published_on: None,
        body: body_start.to_owned(),
    };
    let body_offset = front_lines(&text) + (body.len() - body_start.len());
    let content = check(&edit, published_on).map_err(|found| {
        for p in found {
            let line = p.line.map_or_else(|| key_line(&text, &p.field), |line| line + body_offset);
            problems.push(PlacedProblem::new(place(line), &p.field, p.problem));
        }
    });
    match (slug, content) {
        (Some(slug), Ok(content)) if problems.is_empty() => Ok(LessonFile { slug, content }),
        _ => Err(problems),
    }
}

/// Lines up to and including the closing `+++`.
fn front_lines(text: &str) -> usize {
    text.lines().enumerate().skip(1).find(|(_, l)| *l == "+++").map_or(1, |(i, _)| i + 1)
}

/// The front-matter line that sets `key` (line 1 when none does).
fn key_line(text: &str, key: &str) -> usize {
    let sets = |line: &str| line.strip_prefix(key).is_some_and(|rest| rest.trim_start().starts_with('='));
    text.lines().take(front_lines(text)).position(sets).map_or(1, |i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "+++\nslug = \"loan-no-iou\"\ntitle = \"借钱没写借条\"\nsummary = \"一句话\"\narticles = [668, 679]\n\
        tags = [\"民间借贷与担保\"]\nauthor = \"乌拉特中旗司法局\"\npublished_on = 2026-11-10\n+++\n\n## 案例\n\n正文。\n";

    #[test]
    fn a_lesson_file_reads_and_its_problems_have_places() {
        let lesson = parse_file("loan-no-iou.md", FILE).expect("valid");
        assert_eq!(lesson.content.articles, [668, 679]);
        assert_eq!(lesson.content.blocks.len(), 2);
        let wrong_name = parse_file("other.md", FILE).expect_err("name");
        assert_eq!(wrong_name[0].field, "slug");
        let bad = FILE.replace("[668, 679]", "[0, 679, 679]").replace("正文。", "正文\n\n# 一级");
        let problems = parse_file("loan-no-iou.md", &bad).expect_err("bad");
        let places: Vec<(&str, &str)> = problems.iter().map(|p| (p.field.as_str(), p.place.as_str())).collect();
        assert_eq!(
            places,
            [("articles", "loan-no-iou.md:5"), ("articles", "loan-no-iou.md:5"), ("body", "loan-no-iou.md:15")]
        );
        let form = LessonEdit { body: "正文\n\n# 一级".into(), ..lesson_edit() };
        let problems = form.check(NaiveDate::MIN).expect_err("heading");
        assert!(problems[0].problem.starts_with("第3行："), "{problems:?}");
        assert!(parse_file("loan-no-iou.md", "no front matter").is_err());
        assert!(parse_file("loan-no-iou.md", &FILE.replace("author", "writer")).is_err());
    }

    fn lesson_edit() -> LessonEdit {
        LessonEdit {
            title: "标题标题".into(),
            summary: "摘要".into(),
            articles: vec![1047],
            tags: vec!["彩礼返还".into()],
            author: "司法局".into(),
            published_on: None,
            body: "正文".into(),
        }
    }

    #[test]
    fn staff_input_is_bounded_and_every_problem_is_named() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 2).expect("date");
        assert_eq!(lesson_edit().check(today).map(|c| c.published_on), Ok(today));
        let bad = LessonEdit {
            title: "x".into(),
            summary: "一".repeat(MAX_SUMMARY_CHARS + 1),
            articles: vec![-1, 1261],
            tags: vec![],
            author: "作\n者".into(),
            published_on: Some("2026/12/01".into()),
            body: "a".repeat(MAX_BODY_CHARS + 1),
        };
        let fields: Vec<String> = bad.check(today).expect_err("bad").into_iter().map(|p| p.field).collect();
        assert_eq!(fields, ["title", "summary", "author", "articles", "articles", "tags", "published_on", "body"]);
    }

    #[test]
    fn slugs_are_plain() {
        for ok in ["loan-no-iou", "a1b", "2026-law"] {
            assert!(Slug::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["ab", "Loan", "-ab", "ab-", "a--b", "借条", "a b c", "../x"] {
            assert!(Slug::parse(bad).is_err(), "{bad}");
        }
    }
}
