//! Issue 22 through the API: the Code's own text, 以案释法 lessons (import, staff writing,
//! publishing, revisions), 每日一法, and lessons related to the questions a resident got wrong.

mod common;

use std::collections::BTreeSet;

use common::TestApp;
use rocket::http::Status;
use serde_json::{Value, json};

const CODE_FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/question-bank/reference/civil-code.jsonl");
/// SHA-256 of the shipped file: a changed byte of the Code's text fails this test.
const CODE_SHA256: &str = "e480b73fe8ea13bdd7f9b37ad13f89bf2ce56d4e64353fcb960ffe1405b9e74c";
const SHIPPED_LESSONS: usize = 30;

/// Percent-encodes a query value (tags are Chinese).
fn enc(text: &str) -> String {
    text.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b == b'-' { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

/// The Civil Code article numbers a question's basis cites.
fn cited(basis: &Value) -> Vec<u64> {
    basis
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|b| b.as_str()?.strip_prefix("民法典第")?.strip_suffix('条')?.parse().ok())
        .collect()
}

fn slugs(links: &Value) -> Vec<String> {
    links.as_array().expect("a list").iter().map(|l| l["slug"].as_str().expect("slug").to_owned()).collect()
}

#[rocket::async_test]
async fn all_1260_articles_are_served_from_the_shipped_file_and_nothing_else() {
    let bytes = std::fs::read(CODE_FILE).expect("the shipped Code");
    assert_eq!(pufa::digest::sha256_hex(&bytes), CODE_SHA256, "question-bank/reference/civil-code.jsonl changed");
    let lines: Vec<Value> = String::from_utf8(bytes)
        .expect("UTF-8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert_eq!(lines.len(), 1260);

    let app = TestApp::plain().await;
    for (i, line) in lines.iter().enumerate() {
        let reply = app.get(&format!("/api/v1/articles/{}", i + 1), None).await;
        assert_eq!(reply.status, Status::Ok, "article {}", i + 1);
        assert_eq!(reply.body["number"], i + 1);
        for field in ["title", "part", "text"] {
            assert_eq!(reply.body[field], line[field], "article {} {field}", i + 1);
        }
        assert_eq!(reply.body["chapter"], line.get("chapter").cloned().unwrap_or(Value::Null));
    }
    let marriage_age = app.get("/api/v1/articles/1047", None).await.body;
    assert_eq!(marriage_age["part"], "第五编 婚姻家庭");
    assert!(marriage_age["text"].as_str().expect("text").contains("男不得早于二十二周岁"), "{marriage_age}");
    for missing in ["0", "1261", "-1", "abc", "1047.0", "99999999999999999999"] {
        let reply = app.get(&format!("/api/v1/articles/{missing}"), None).await;
        assert_eq!((reply.status, reply.error_code()), (Status::NotFound, "not_found"), "{missing}");
    }
}

/// `1047` or `一千零四十七` → 1047.
fn article_number(raw: &str) -> Option<u32> {
    if raw.chars().all(|c| c.is_ascii_digit()) {
        return raw.parse().ok();
    }
    let (mut total, mut digit) = (0, 0);
    for c in raw.chars() {
        let value = match c {
            '十' => 10,
            '百' => 100,
            '千' => 1000,
            '零' | '〇' => 0,
            '一' => 1,
            '二' | '两' => 2,
            '三' => 3,
            '四' => 4,
            '五' => 5,
            '六' => 6,
            '七' => 7,
            '八' => 8,
            '九' => 9,
            _ => return None,
        };
        if value < 10 {
            digit = value;
        } else {
            total += digit.max(1) * value;
            digit = 0;
        }
    }
    Some(total + digit)
}

/// The Civil Code articles a text cites, as the app links them (static/app/parts/law.js): `第N条`
/// after 民法典 is the Code's; after another law's name (…法, …解释（一）, …规定, …条例, 通则) it
/// is that law's; a bare one belongs to the law cited last before it (the Code when none is).
fn code_citations(text: &str) -> Vec<u32> {
    let mut found = Vec::new();
    let mut code = true;
    let mut rest = text;
    let mut before = String::new();
    while let Some(at) = rest.find('第') {
        before.push_str(&rest[..at]);
        let after = &rest[at + '第'.len_utf8()..];
        let digits: String =
            after.chars().take_while(|c| c.is_ascii_digit() || "零〇一二两三四五六七八九十百千".contains(*c)).collect();
        rest = &after[digits.len()..];
        before.push('第');
        if digits.is_empty() || !rest.starts_with('条') {
            continue;
        }
        if before.ends_with("民法典第") || before.ends_with("民法典》第") {
            code = true;
        } else if before.trim_end_matches('第').ends_with(['法', '释', '定', '例', '则', '）', ')', '》']) {
            code = false;
        }
        if code {
            found.push(article_number(&digits).unwrap_or(0));
        }
        before.push_str(&digits);
    }
    found
}

#[test]
fn the_shipped_content_is_enough_and_every_citation_is_a_real_article_the_lesson_carries() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("question-bank/lessons");
    let mut lessons = 0;
    for entry in std::fs::read_dir(&dir).expect("lessons dir").flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.ends_with(".md") || name == "README.md" {
            continue;
        }
        let text = std::fs::read_to_string(entry.path()).expect("a lesson");
        let lesson = pufa::lessons::content::parse_file(&name, &text).unwrap_or_else(|p| panic!("{name}: {p:?}"));
        let listed: BTreeSet<u32> = lesson.content.articles.iter().copied().collect();
        assert!(listed.iter().all(|n| (1..=1260).contains(n)), "{name}: {listed:?}");
        // Every article the text cites is one of the lesson's, so its text travels with the lesson
        // (and opens offline); and every listed article is cited in the text.
        let cited: BTreeSet<u32> = code_citations(&lesson.content.body).into_iter().collect();
        assert_eq!(cited, listed, "{name}: the articles cited in the text and the lesson's `articles`");
        lessons += 1;
    }
    assert!(lessons >= 24, "at least 24 lessons: {lessons}");

    #[derive(serde::Deserialize)]
    struct Daily {
        items: Vec<Item>,
    }
    #[derive(serde::Deserialize)]
    struct Item {
        article: u32,
        title: String,
        gloss: String,
    }
    let daily: Daily =
        toml::from_str(&std::fs::read_to_string(dir.join("daily-law.toml")).expect("daily")).expect("toml");
    let articles: BTreeSet<u32> = daily.items.iter().map(|i| i.article).collect();
    assert!(articles.len() >= 90, "at least 90 distinct daily items: {}", articles.len());
    for item in &daily.items {
        assert!((1..=1260).contains(&item.article), "{}", item.article);
        for n in code_citations(&format!("{}。{}", item.title, item.gloss)) {
            assert!((1..=1260).contains(&n), "第{}条's gloss cites 第{n}条", item.article);
        }
    }
    // The rule itself, on the texts it must get right.
    assert_eq!(code_citations("民法典第339条规定…第340条规定"), [339, 340]);
    assert_eq!(code_citations("农村土地承包法第四十三条规定；第42条"), Vec::<u32>::new());
    assert_eq!(code_citations("依据第一千二百五十九条；婚姻家庭编解释（一）第5条；《民法典》第1062条"), [1259, 1062]);
    assert_eq!(code_citations("第十条、第两百条和第一千零四十七条"), [10, 200, 1047]);
}

async fn shipped_lessons_are_listed_filtered_and_read_as_safe_blocks(app: TestApp) {
    let all = app.get("/api/v1/lessons?limit=100", None).await.body;
    assert_eq!(all["total"], SHIPPED_LESSONS);
    let items = all["items"].as_array().expect("items");
    let days: Vec<&str> = items.iter().map(|l| l["published_on"].as_str().expect("day")).collect();
    assert!(days.windows(2).all(|w| w[0] >= w[1]), "newest first: {days:?}");
    let page = app.get("/api/v1/lessons?limit=5&offset=5", None).await.body;
    assert_eq!((page["total"].as_u64(), page["items"].as_array().map(Vec::len)), (Some(30), Some(5)));
    assert_eq!(page["items"][0], items[5]);

    let on_679 = app.get("/api/v1/lessons?article=679", None).await.body;
    assert!(slugs(&on_679["items"]).contains(&"loan-no-iou".to_owned()), "{on_679}");
    assert!(
        on_679["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|l| l["articles"].as_array().expect("a").contains(&json!(679)))
    );
    let tags = app.get("/api/v1/lesson-tags", None).await.body;
    let tag = &tags[0];
    let tagged = app.get(&format!("/api/v1/lessons?tag={}", enc(tag["tag"].as_str().expect("tag"))), None).await.body;
    assert_eq!(tagged["total"], tag["lessons"], "{tags}");
    let tag_names: BTreeSet<&str> = tags.as_array().expect("tags").iter().filter_map(|t| t["tag"].as_str()).collect();
    assert!(tag_names.contains("彩礼返还") && tag_names.contains("相邻关系"), "{tags}");
    for bad in ["abc", "0", "1261"] {
        let reply = app.get(&format!("/api/v1/lessons?article={bad}"), None).await;
        assert_eq!((reply.status, reply.error_code()), (Status::UnprocessableEntity, "invalid_query"), "{bad}");
    }

    let lesson = app.get("/api/v1/lessons/loan-no-iou", None).await;
    assert_eq!(lesson.status, Status::Ok);
    let lesson = lesson.body;
    assert_eq!(lesson["articles"], json!([668, 679, 680, 188, 195]));
    let blocks = lesson["blocks"].as_array().expect("blocks");
    assert_eq!((blocks[0]["kind"].as_str(), blocks[0]["text"].as_str()), (Some("h2"), Some("案例")));
    let bold: Vec<&Value> =
        blocks.iter().flat_map(|b| b["spans"].as_array().expect("spans")).filter(|s| s["bold"] == true).collect();
    assert_eq!(bold[0]["text"], "没借条，借款也算数。");
    assert!(blocks.iter().any(|b| b["kind"] == "li"));
    assert!(blocks.iter().all(|b| !b["text"].as_str().expect("text").contains("**")), "markup never reaches the text");
    assert!(lesson["markdown"].as_str().expect("markdown").starts_with("## 案例"));
    let cited: Vec<&Value> = lesson["cited"].as_array().expect("cited").iter().map(|a| &a["number"]).collect();
    assert_eq!(cited, [&json!(668), &json!(679), &json!(680), &json!(188), &json!(195)]);
    assert_eq!(lesson["cited"][1]["text"], app.get("/api/v1/articles/679", None).await.body["text"]);
    let missing = app.get("/api/v1/lessons/no-such-lesson", None).await;
    assert_eq!((missing.status, missing.error_code()), (Status::NotFound, "not_found"));
}

async fn staff_write_preview_publish_and_revise_a_lesson(app: TestApp) {
    let staff = app.admin_token().await;
    let resident = app.register("13812345001", "password-1").await;
    let draft = json!({
        "slug": "camel-loan-test", "title": "借骆驼的钱要还吗？", "summary": "一个测试案例。",
        "articles": [679, 667], "tags": ["民间借贷与担保"], "author": "乌拉特中旗司法局",
        "body": "## 案例\n\n巴特尔借了钱。\n\n## 该怎么办\n\n- **保存**转账记录\n- 写借条",
    });
    let created = app.post("/api/v1/admin/lessons", draft.clone(), Some(&staff)).await;
    assert_eq!(created.status, Status::Created, "{}", created.body);
    assert_eq!((created.body["published"].as_bool(), created.body["revision"].as_i64()), (Some(false), Some(1)));
    assert_eq!(app.get("/api/v1/lessons/camel-loan-test", None).await.status, Status::NotFound, "a draft is staff's");
    assert_eq!(app.post("/api/v1/admin/lessons", draft.clone(), Some(&staff)).await.error_code(), "slug_taken");
    assert_eq!(app.post("/api/v1/admin/lessons", draft.clone(), Some(&resident)).await.status, Status::Forbidden);

    let preview = app.post("/api/v1/admin/lessons/preview", json!({"body": "正文\n\n- **一**二"}), Some(&staff)).await;
    assert_eq!(
        preview.body["blocks"][1]["spans"],
        json!([{"text": "一", "bold": true}, {"text": "二", "bold": false}])
    );
    let bad_preview =
        app.post("/api/v1/admin/lessons/preview", json!({"body": "正文\n\n[链接](http://x)"}), Some(&staff)).await;
    assert_eq!((bad_preview.status, bad_preview.error_code()), (Status::UnprocessableEntity, "invalid_lesson"));
    assert!(
        bad_preview.body["error"]["message"].as_str().expect("message").starts_with("第3行："),
        "{}",
        bad_preview.body
    );

    let mut bad = draft.clone();
    bad["slug"] = json!("Bad Slug");
    bad["articles"] = json!([0, 1261]);
    bad["body"] = json!("<script>alert(1)</script>");
    bad["tags"] = json!([]);
    let refused = app.post("/api/v1/admin/lessons", bad, Some(&staff)).await;
    assert_eq!((refused.status, refused.error_code()), (Status::UnprocessableEntity, "invalid_lesson"));
    let fields: BTreeSet<&str> = refused.body["error"]["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .filter_map(|f| f["field"].as_str())
        .collect();
    assert_eq!(fields, BTreeSet::from(["slug", "articles", "tags", "body"]));
    let message = refused.body["error"]["message"].as_str().expect("message");
    assert!(!message.contains("articles") && message.contains("第1261条"), "Chinese only: {message}");

    let published = app.post("/api/v1/admin/lessons/camel-loan-test/publish", json!(null), Some(&staff)).await;
    assert_eq!(published.body["published"], true);
    assert_eq!(app.get("/api/v1/lessons/camel-loan-test", None).await.status, Status::Ok);
    let on_667 = app.get("/api/v1/lessons?article=667", None).await.body;
    assert_eq!(slugs(&on_667["items"]), ["camel-loan-test"], "the list shows it at once");

    let mut edit = draft.clone();
    edit.as_object_mut().expect("object").remove("slug");
    edit["title"] = json!("借了钱，到期要还");
    let saved = app.put("/api/v1/admin/lessons/camel-loan-test", edit.clone(), Some(&staff)).await;
    assert_eq!((saved.status, saved.body["revision"].as_i64()), (Status::Ok, Some(2)), "{}", saved.body);
    let again = app.put("/api/v1/admin/lessons/camel-loan-test", edit, Some(&staff)).await;
    assert_eq!(again.body["revision"], 2, "saving the same content makes no revision");
    let revisions = app.get("/api/v1/admin/lessons/camel-loan-test/revisions", Some(&staff)).await.body;
    let titles: Vec<&str> = revisions.as_array().expect("list").iter().filter_map(|r| r["title"].as_str()).collect();
    assert_eq!(titles, ["借了钱，到期要还", "借骆驼的钱要还吗？"]);
    assert_eq!(app.get("/api/v1/lessons/camel-loan-test", None).await.body["title"], "借了钱，到期要还");

    app.post("/api/v1/admin/lessons/camel-loan-test/unpublish", json!(null), Some(&staff)).await;
    assert_eq!(app.get("/api/v1/lessons/camel-loan-test", None).await.status, Status::NotFound);
    assert_eq!(app.get("/api/v1/admin/lessons/camel-loan-test", Some(&staff)).await.body["published"], false);
    let listed = app.get("/api/v1/admin/lessons?limit=200", Some(&staff)).await.body;
    assert_eq!(listed["total"], SHIPPED_LESSONS + 1);

    let audit = app.get("/api/v1/admin/audit", Some(&staff)).await.body;
    let actions: Vec<&str> = audit.as_array().expect("entries").iter().filter_map(|e| e["action"].as_str()).collect();
    assert_eq!(actions, ["lesson.unpublish", "lesson.update", "lesson.publish", "lesson.create"]);
}

async fn a_wrong_practice_answer_on_an_article_with_a_lesson_returns_that_lesson(app: TestApp) {
    let token = app.register("13812345002", "password-1").await;
    let categories = app.get("/api/v1/categories", None).await.body;
    let mut chosen = None;
    'search: for category in categories.as_array().expect("categories") {
        let name = category["name"].as_str().expect("name");
        let pack = app.get(&format!("/api/v1/practice/pack?count=200&category={}", enc(name)), None).await.body;
        for q in pack["questions"].as_array().expect("questions") {
            if q["kind"] == "multiple" {
                continue;
            }
            for article in cited(&q["basis"]) {
                let lessons = app.get(&format!("/api/v1/lessons?article={article}"), None).await.body;
                if lessons["total"].as_u64().unwrap_or(0) > 0 {
                    chosen = Some(q.clone());
                    break 'search;
                }
            }
        }
    }
    let q = chosen.expect("a practice question citing an article some lesson explains");
    let answer = q["answer"].as_str().expect("answer");
    let wrong = match q["kind"].as_str() {
        Some("judge") => json!(if answer == "T" { "F" } else { "T" }),
        _ => {
            q["options"].as_array().expect("options").iter().map(|o| o["key"].clone()).find(|k| k != answer).expect("k")
        }
    };
    let outcome =
        app.post("/api/v1/practice/answers", json!({"question_id": q["id"], "choice": wrong}), Some(&token)).await;
    assert_eq!((outcome.status, &outcome.body["correct"]), (Status::Ok, &json!(false)), "{}", outcome.body);

    // Every lesson sharing an article with the question's basis, most shared first (at most 3).
    let basis = cited(&q["basis"]);
    let mut sharing = BTreeSet::new();
    for article in &basis {
        let lessons = app.get(&format!("/api/v1/lessons?article={article}"), None).await.body;
        sharing.extend(slugs(&lessons["items"]));
    }
    let shown = slugs(&outcome.body["lessons"]);
    assert!(!shown.is_empty() && shown.len() <= 3, "{}", outcome.body);
    assert!(shown.iter().all(|s| sharing.contains(s)), "{shown:?} ⊄ {sharing:?}");
    if sharing.len() <= 3 {
        assert_eq!(shown.iter().cloned().collect::<BTreeSet<_>>(), sharing);
    }
    let first = app.get(&format!("/api/v1/lessons/{}", shown[0]), None).await.body;
    assert_eq!(outcome.body["lessons"][0]["title"], first["title"]);

    // The mistake book shows the same lessons with the question.
    let book = app.get("/api/v1/me/mistakes", Some(&token)).await.body;
    assert_eq!(book[0]["lessons"], outcome.body["lessons"], "{book}");
    // The daily question carries the field too (empty when its articles have no lesson).
    let daily = app.get("/api/v1/daily", None).await.body;
    assert!(daily["lessons"].is_array(), "{daily}");
}

async fn a_campaign_review_names_the_lessons_of_each_question(app: TestApp) {
    let token = app.register("13812345003", "password-1").await;
    let session = app.post("/api/v1/campaigns/2023-civil-code-month/sessions", json!(null), Some(&token)).await;
    assert_eq!(session.status, Status::Created, "{}", session.body);
    let id = session.body["id"].as_str().expect("id");
    let result = app.post(&format!("/api/v1/sessions/{id}/finish"), json!(null), Some(&token)).await.body;
    let review = result["review"].as_array().expect("review");
    let mut linked = 0;
    for item in review {
        let shown = slugs(&item["lessons"]);
        for slug in &shown {
            let lesson = app.get(&format!("/api/v1/lessons/{slug}"), None).await.body;
            let articles: Vec<u64> =
                lesson["articles"].as_array().expect("a").iter().filter_map(Value::as_u64).collect();
            assert!(cited(&item["basis"]).iter().any(|a| articles.contains(a)), "{slug} shares no article: {item}");
        }
        linked += usize::from(!shown.is_empty());
    }
    assert!(linked > 0, "some of the demo's questions cite an article a lesson explains");
}

async fn daily_law_is_one_item_a_day_for_everyone_in_turn_and_staff_may_edit_it(app: TestApp) {
    let day = |d: &str| format!("/api/v1/daily-law?date={d}");
    let first = app.get(&day("2026-12-02"), None).await;
    assert_eq!(first.status, Status::Ok, "{}", first.body);
    assert_eq!(app.get(&day("2026-12-02"), None).await.body, first.body, "the same all day");
    let number = first.body["article"]["number"].as_u64().expect("number");
    assert_eq!(first.body["article"]["text"], app.get(&format!("/api/v1/articles/{number}"), None).await.body["text"]);
    let today = pufa::clock::shanghai_day(app.clock.now_for_tests()).to_string();
    assert_eq!(app.get("/api/v1/daily-law", None).await.body, app.get(&day(&today), None).await.body);

    // 156 days show 156 different articles, then the rotation begins again.
    let start = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).expect("day");
    let mut articles = BTreeSet::new();
    let mut with_lesson = None;
    for offset in 0..156 {
        let date = (start + chrono::Days::new(offset)).to_string();
        let item = app.get(&day(&date), None).await.body;
        articles.insert(item["article"]["number"].as_u64().expect("number"));
        if with_lesson.is_none() && item.get("lesson").is_some() {
            with_lesson = Some(item);
        }
    }
    assert_eq!(articles.len(), 156);
    assert_eq!(
        app.get(&day("2026-06-06"), None).await.body["article"],
        app.get(&day("2026-01-01"), None).await.body["article"]
    );
    let item = with_lesson.expect("some day's article has a lesson");
    let lesson =
        app.get(&format!("/api/v1/lessons/{}", item["lesson"]["slug"].as_str().expect("slug")), None).await.body;
    assert!(lesson["articles"].as_array().expect("articles").contains(&item["article"]["number"]), "{item}");
    for bad in ["2026-13-01", "yesterday", "2026/12/02"] {
        let reply = app.get(&day(bad), None).await;
        assert_eq!((reply.status, reply.error_code()), (Status::UnprocessableEntity, "invalid_query"), "{bad}");
    }

    let staff = app.admin_token().await;
    let edit =
        json!({"title": "借钱要有凭据", "gloss": "借给别人钱，最好通过银行转账，并写一张借条，写清金额和还款日期。"});
    let saved = app.put(&format!("/api/v1/admin/daily-law/{number}"), edit.clone(), Some(&staff)).await;
    assert_eq!((saved.status, saved.body["source"].as_str()), (Status::Ok, Some("staff")), "{}", saved.body);
    assert_eq!(app.get(&day("2026-12-02"), None).await.body["title"], "借钱要有凭据");
    let too_short = app.put("/api/v1/admin/daily-law/679", json!({"title": "短", "gloss": "短"}), Some(&staff)).await;
    assert_eq!(too_short.error_code(), "invalid_daily_law");
    assert_eq!(app.put("/api/v1/admin/daily-law/1261", edit.clone(), Some(&staff)).await.status, Status::NotFound);
    let new = app.put("/api/v1/admin/daily-law/1", edit, Some(&staff)).await.body;
    let items = app.get("/api/v1/admin/daily-law", Some(&staff)).await.body;
    assert_eq!(items.as_array().map(Vec::len), Some(157));
    assert_eq!(items[156]["article"], 1, "a new item joins the end of the rotation: {new}");
    let audit = app.get("/api/v1/admin/audit?limit=2", Some(&staff)).await.body;
    assert_eq!(audit[0]["action"], "daily_law.create");
    assert_eq!(audit[1]["action"], "daily_law.update");
}

async fn the_import_is_idempotent_and_staff_edits_survive_a_restart(app: TestApp) {
    let staff = app.admin_token().await;
    let lesson = app.get("/api/v1/admin/lessons/loan-no-iou", Some(&staff)).await.body;
    let edit = json!({
        "title": "没写借条，借出的钱怎么要回来？", "summary": lesson["summary"], "articles": lesson["articles"],
        "tags": lesson["tags"], "author": lesson["author"], "body": lesson["markdown"],
    });
    assert_eq!(app.put("/api/v1/admin/lessons/loan-no-iou", edit, Some(&staff)).await.status, Status::Ok);
    app.post("/api/v1/admin/lessons/dog-bite-herding/unpublish", json!(null), Some(&staff)).await;
    let gloss = "私人之间借钱，钱真正给出去的时候借款合同才成立。借钱最好走银行转账，留下凭证。";
    app.put("/api/v1/admin/daily-law/679", json!({"title": "借钱，钱到才算数", "gloss": gloss}), Some(&staff)).await;
    let before = app.get("/api/v1/admin/lessons?limit=200", Some(&staff)).await.body;

    let restarted = TestApp::start_with(app.sql, app.live, |f| f.merge(("database_url", app.database_url())))
        .await
        .expect("restart");
    let after = restarted.get("/api/v1/admin/lessons?limit=200", Some(&staff)).await.body;
    assert_eq!(after, before, "a second import changes nothing");
    let kept = restarted.get("/api/v1/lessons/loan-no-iou", None).await.body;
    assert_eq!((kept["title"].as_str(), kept["revision"].as_i64()), (Some("没写借条，借出的钱怎么要回来？"), Some(2)));
    assert_eq!(kept["published_on"], "2026-11-10", "an edit without a date keeps the lesson's own");
    let revisions = restarted.get("/api/v1/admin/lessons/loan-no-iou/revisions", Some(&staff)).await.body;
    assert_eq!(revisions.as_array().map(Vec::len), Some(2));
    assert_eq!(restarted.get("/api/v1/lessons/dog-bite-herding", None).await.status, Status::NotFound, "still hidden");
    assert_eq!(restarted.get("/api/v1/lessons", None).await.body["total"], SHIPPED_LESSONS - 1);
    let items = restarted.get("/api/v1/admin/daily-law", Some(&staff)).await.body;
    let item = items.as_array().expect("items").iter().find(|i| i["article"] == 679).expect("679").clone();
    assert_eq!((item["gloss"].as_str(), item["source"].as_str()), (Some(gloss), Some("staff")));
    assert_eq!(items.as_array().map(Vec::len), Some(156));
    let unchanged = items.as_array().expect("items").iter().filter(|i| i["source"] == "file").count();
    assert_eq!(unchanged, 155);
}

on_every_database!(
    shipped_lessons_are_listed_filtered_and_read_as_safe_blocks,
    staff_write_preview_publish_and_revise_a_lesson,
    a_wrong_practice_answer_on_an_article_with_a_lesson_returns_that_lesson,
    a_campaign_review_names_the_lessons_of_each_question,
    daily_law_is_one_item_a_day_for_everyone_in_turn_and_staff_may_edit_it,
    the_import_is_idempotent_and_staff_edits_survive_a_restart,
);
