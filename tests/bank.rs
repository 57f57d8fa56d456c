//! Question banks: the shipped Civil Code bank, the four file formats, all-or-nothing import,
//! revisions and retirement, and the staff upload API.

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;

use common::TestApp;
use pufa::bank::{self, Format, QuestionKind};
use rocket::http::Status;
use sea_orm::{DatabaseConnection, EntityTrait};

fn repo(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(path)
}

#[test]
fn the_shipped_civil_code_bank_is_valid_large_and_well_spread() {
    let files = bank::read_paths(&[repo("question-bank")]).unwrap_or_else(|problems| {
        panic!("question-bank/ has problems:\n{}", problems.iter().map(|p| format!("  {p}\n")).collect::<String>())
    });
    let questions: Vec<&bank::Question> = files.iter().flat_map(|f| &f.questions).collect();
    assert!(questions.len() >= 350, "only {} questions", questions.len());

    let mut per_book: BTreeMap<&str, usize> = BTreeMap::new();
    let mut per_level = [0usize; 4];
    let (mut multiple, mut judge) = (0, 0);
    for q in &questions {
        *per_book.entry(q.category.as_str()).or_default() += 1;
        per_level[usize::from(q.difficulty.get())] += 1;
        match q.kind() {
            QuestionKind::Multiple => multiple += 1,
            QuestionKind::Judge => judge += 1,
            QuestionKind::Single => {}
        }
        assert!(q.explanation.chars().count() >= 20, "{}: explanation too thin", q.key);
        // Every citation names a law pufa knows and an article that law has (`Citation::parse`
        // refuses one past the end), and at least one is an article of the question's own 编.
        let mut own_book = false;
        for citation in &q.basis {
            let parsed = bank::citation::Citation::parse(citation).unwrap_or_else(|e| panic!("{}: {e}", q.key));
            assert!(
                bank::citation::KnownLaw::named(&parsed.law).is_some(),
                "{}: {citation} cites a law the bank does not know",
                q.key
            );
            let book = parsed.civil_code_article().and_then(bank::book_of_article);
            own_book |= book == Some(q.category.as_str());
        }
        assert!(own_book, "{}: no citation of an article of {}", q.key, q.category);
    }
    for book in bank::CODE_BOOKS {
        assert!(per_book.get(book).copied().unwrap_or(0) >= 50, "{book}: {:?}", per_book.get(book));
    }
    assert!(multiple * 4 >= questions.len(), "multiple: {multiple} of {}", questions.len());
    assert!(judge * 5 >= questions.len(), "judge: {judge} of {}", questions.len());
    for (level, count) in per_level.iter().enumerate().skip(1) {
        assert!(count * 10 >= questions.len(), "difficulty {level}: {count}");
    }
}

/// The four places a legal audit found a resident could learn a rule too narrowly (issue 24).
#[test]
fn the_four_audit_findings_stay_fixed() {
    let files = bank::read_paths(&[repo("question-bank/civil-code")]).expect("the shipped bank reads");
    let find = |key: &str| {
        files.iter().flat_map(|f| &f.questions).find(|q| q.key == key).unwrap_or_else(|| panic!("{key} is gone"))
    };
    let cites = |q: &bank::Question, citation: &str| q.basis.iter().any(|b| b == citation);

    // pr-016: every owner of the same building has an interest, not only the neighbours above and below.
    let q = find("pr-016");
    assert!(!q.explanation.contains("楼上楼下受影响的邻居"), "the narrow gloss is back");
    assert!(q.explanation.contains("这栋楼里的其他业主都算"), "{}", q.explanation);
    assert!(q.explanation.contains("物业公司同意不算数") && q.explanation.contains("过半数"), "{}", q.explanation);
    assert!(cites(q, "民法典第279条") && cites(q, "建筑物区分所有权解释第11条"));

    // su-020: art. 1130 is a rule of succession without a will, and the stem now says so.
    let q = find("su-020");
    assert!(q.stem.contains("老人去世时没有留下遗嘱"), "{}", q.stem);
    assert!(cites(q, "民法典第1130条"));

    // mf-004: options C and D turn on arts. 1048 and 1047, cited, and the age 22 is said.
    let q = find("mf-004");
    assert!(cites(q, "民法典第1047条") && cites(q, "民法典第1048条") && cites(q, "民法典第1051条"));
    assert!(q.explanation.contains("二十二周岁") && q.explanation.contains("三代以内的旁系血亲"));

    // to-040: option B in the Code's own words, and the 2024 interpretation's point explained.
    let q = find("to-040");
    assert_eq!(q.options[1], "从小刚本人的财产中支付赔偿费用");
    assert!(!q.options.iter().any(|o| o.contains("应当先从")), "the stronger wording is back");
    assert!(cites(q, "民法典第1188条") && cites(q, "侵权责任编解释（一）第5条"));
    assert!(q.explanation.contains("可以先从") && q.explanation.contains("义务教育"), "{}", q.explanation);
}

/// Cross-checks the 编 ranges the bank uses against the Civil Code text in ../shared (when present).
#[test]
fn book_ranges_match_the_civil_code_text() {
    let path = repo("../shared/reference/civil-code.jsonl");
    let Ok(text) = std::fs::read_to_string(&path) else {
        eprintln!("NOTICE: {} not found; book ranges not cross-checked", path.display());
        return;
    };
    let mut articles = 0;
    for line in text.lines() {
        let article: serde_json::Value = serde_json::from_str(line).expect("jsonl");
        let number = u32::try_from(article["article"].as_u64().expect("number")).expect("u32");
        let part = article["part"].as_str().expect("part");
        match bank::book_of_article(number) {
            Some(book) => assert!(part.ends_with(book), "article {number}: {part} vs {book}"),
            None => assert_eq!(part, "附则", "article {number}"),
        }
        articles += 1;
    }
    assert_eq!(articles, 1260);
}

#[rocket::async_test]
async fn categories_show_the_shipped_bank_after_start() {
    let app = TestApp::plain().await;
    let reply = app.get("/api/v1/categories", None).await;
    assert_eq!(reply.status, Status::Ok);
    let names: Vec<&str> = reply.body.as_array().expect("list").iter().filter_map(|c| c["name"].as_str()).collect();
    assert_eq!(names, bank::CODE_BOOKS);
    for category in reply.body.as_array().expect("list") {
        assert!(category["questions"].as_u64().expect("count") >= 40, "{category}");
    }
}

fn template(name: &str) -> Vec<u8> {
    std::fs::read(repo(&format!("question-bank/templates/{name}"))).expect("template")
}

#[test]
fn csv_in_gbk_or_utf8_with_bom_and_xlsx_read_as_the_same_questions_as_toml() {
    let toml = std::fs::read(repo("tests/fixtures/template.toml")).expect("fixture");
    let expected = bank::parse_bank(&toml, Format::Toml, "template.toml", None, None).expect("toml").questions;
    assert_eq!(expected.len(), 2);

    let bom_csv = template("template.csv");
    assert!(bom_csv.starts_with(b"\xEF\xBB\xBF"), "the template is saved with a BOM");
    let text = bank::decode_csv(&bom_csv);
    let (gbk_csv, _, unmappable) = encoding_rs::GBK.encode(&text);
    assert!(!unmappable);
    assert!(std::str::from_utf8(&gbk_csv).is_err(), "really GBK, not UTF-8");
    let plain_csv = text.as_bytes().to_vec();

    for (name, bytes, format) in [
        ("utf8-bom.csv", bom_csv, Format::Csv),
        ("gbk.csv", gbk_csv.into_owned(), Format::Csv),
        ("utf8.csv", plain_csv, Format::Csv),
        ("template.xlsx", template("template.xlsx"), Format::Xlsx),
    ] {
        let parsed = bank::parse_bank(&bytes, format, name, Some("template"), None)
            .unwrap_or_else(|p| panic!("{name}: {p:?}"))
            .questions;
        assert_eq!(parsed, expected, "{name}");
    }
}

on_every_database!(
    every_format_imports_to_the_same_stored_questions,
    a_file_with_five_planted_errors_reports_all_five_and_changes_nothing,
    reimporting_keeps_unchanged_revises_edited_and_retires_removed,
    residents_cannot_upload_and_dry_runs_store_nothing,
    exported_banks_import_back_unchanged,
    an_upload_into_a_shipped_bank_never_breaks_the_running_campaign_nor_a_restart_the_staffs_work,
);

async fn every_format_imports_to_the_same_stored_questions(app: TestApp) {
    let admin = app.admin_token().await;
    let toml = std::fs::read(repo("tests/fixtures/template.toml")).expect("fixture");
    let first = app.upload("format=toml", toml, &admin).await;
    assert_eq!(first.status, Status::Ok, "{}", first.body);
    assert_eq!((first.body["created"].as_u64(), first.body["unchanged"].as_u64()), (Some(2), Some(0)));

    let text = bank::decode_csv(&template("template.csv"));
    let gbk = encoding_rs::GBK.encode(&text).0.into_owned();
    let json = serde_json::to_vec(&serde_json::json!({
        "bank": {"key": "template", "title": "template"},
        "questions": toml_questions_as_json(),
    }))
    .expect("json");
    for (query, bytes) in [
        ("format=csv&bank=template", template("template.csv")),
        ("format=csv&bank=template", gbk),
        ("format=xlsx&bank=template", template("template.xlsx")),
        ("format=json", json),
    ] {
        let reply = app.upload(query, bytes, &admin).await;
        assert_eq!(reply.status, Status::Ok, "{query}: {}", reply.body);
        assert_eq!(reply.body["unchanged"], 2, "{query}: {}", reply.body);
        assert_eq!((reply.body["created"].as_u64(), reply.body["updated"].as_u64()), (Some(0), Some(0)), "{query}");
    }
}

fn toml_questions_as_json() -> serde_json::Value {
    let text = std::fs::read_to_string(repo("tests/fixtures/template.toml")).expect("fixture");
    let value: toml::Value = toml::from_str(&text).expect("toml");
    serde_json::to_value(&value["questions"]).expect("json")
}

/// Every row of every bank table, plus (for SQLite) the database files' bytes.
async fn snapshot(app: &TestApp) -> (String, Vec<u8>) {
    use pufa::db::entity::{bank as b, question as q, question_revision as r};
    let db: &DatabaseConnection = app.db();
    let rows = format!(
        "{:?}{:?}{:?}",
        b::Entity::find().all(db).await.expect("banks"),
        q::Entity::find().all(db).await.expect("questions"),
        r::Entity::find().all(db).await.expect("revisions"),
    );
    let mut bytes = Vec::new();
    if app.sql == common::Sql::Sqlite {
        let url = &app.state::<pufa::config::Settings>().database_url;
        let path = url.trim_start_matches("sqlite://").split('?').next().expect("path").to_owned();
        for suffix in ["", "-wal"] {
            bytes.extend(std::fs::read(format!("{path}{suffix}")).unwrap_or_default());
        }
    }
    (rows, bytes)
}

async fn a_file_with_five_planted_errors_reports_all_five_and_changes_nothing(app: TestApp) {
    let admin = app.admin_token().await;
    let good = std::fs::read_to_string(repo("question-bank/civil-code/05-marriage.toml")).expect("bank");
    // Five different mistakes a clerk makes, in five different questions.
    let broken = format!(
        "{good}\n{}",
        r#"
[[questions]]
key = "bad-1"
kind = "single"
category = "婚姻家庭"
difficulty = 1
stem = "答案超出选项"
options = ["甲", "乙", "丙"]
answer = "D"
explanation = "示例"
basis = ["民法典第1047条"]

[[questions]]
key = "bad-2"
kind = "judge"
category = "婚姻家庭"
difficulty = 1
stem = "判断题带了选项"
options = ["对", "错"]
answer = true
explanation = "示例"
basis = ["民法典第1047条"]

[[questions]]
key = "bad-3"
kind = "multiple"
category = "婚姻家庭"
difficulty = 5
stem = "难度写错"
options = ["甲", "乙", "丙"]
answer = "AB"
explanation = "示例"
basis = ["民法典第1047条"]

[[questions]]
key = "bad-4"
kind = "single"
category = "婚姻家庭"
difficulty = 2
stem = "依据写错"
options = ["甲", "乙"]
answer = "A"
explanation = "示例"
basis = ["民法典1047条"]

[[questions]]
key = "mf-001"
kind = "single"
category = "婚姻家庭"
difficulty = 2
stem = "编号重复"
options = ["甲", "乙"]
answer = "A"
explanation = "示例"
basis = ["民法典第1047条"]
"#
    );
    let before = snapshot(&app).await;
    let reply = app.upload("format=toml", broken.into_bytes(), &admin).await;
    assert_eq!(reply.status, Status::UnprocessableEntity);
    assert_eq!(reply.error_code(), "invalid_bank");
    let problems = reply.body["error"]["problems"].as_array().expect("problems");
    let fields: Vec<&str> = problems.iter().filter_map(|p| p["field"].as_str()).collect();
    assert_eq!(fields, ["answer", "options", "difficulty", "basis", "key"], "{problems:?}");
    let places: std::collections::HashSet<&str> = problems.iter().filter_map(|p| p["place"].as_str()).collect();
    assert_eq!(places.len(), 5, "each problem at its own line: {places:?}");
    assert!(places.iter().all(|p| p.starts_with("upload.toml:")), "{places:?}");
    assert_eq!(snapshot(&app).await, before, "the database changed");
}

async fn reimporting_keeps_unchanged_revises_edited_and_retires_removed(app: TestApp) {
    let admin = app.admin_token().await;
    let original = std::fs::read_to_string(repo("question-bank/civil-code/05-marriage.toml")).expect("bank");
    let total = original.matches("[[questions]]").count();

    let same = app.upload("format=toml", original.clone().into_bytes(), &admin).await;
    assert_eq!(same.status, Status::Ok, "{}", same.body);
    assert_eq!(same.body["unchanged"], total);
    assert_eq!(
        (same.body["created"].as_u64(), same.body["updated"].as_u64(), same.body["retired"].as_u64()),
        (Some(0), Some(0), Some(0))
    );

    let old_stem = first_stem(&original);
    let edited = original.replacen(&old_stem, "（修订）根据《民法典》，下列说法哪个正确？", 1);
    let reply = app.upload("format=toml", edited.clone().into_bytes(), &admin).await;
    assert_eq!((reply.body["updated"].as_u64(), reply.body["unchanged"].as_u64()), (Some(1), Some(total as u64 - 1)));
    let revisions = app.get("/api/v1/admin/banks/civil-code-marriage/questions/mf-001/revisions", Some(&admin)).await;
    let revisions = revisions.body.as_array().expect("revisions").clone();
    assert_eq!(revisions.len(), 2);
    assert_eq!(revisions[0]["stem"], old_stem.as_str(), "the old revision is still readable");
    assert_eq!((revisions[0]["status"].as_str(), revisions[1]["revision"].as_i64()), (Some("superseded"), Some(2)));

    let categories_before = category_count(&app, "婚姻家庭").await;
    let start = edited.rfind("[[questions]]").expect("a question");
    let removed = &edited[..start];
    let merged = app.upload("format=toml", removed.as_bytes().to_vec(), &admin).await;
    assert_eq!(merged.body["retired"], 0, "a merge never retires: {}", merged.body);
    let reply = app.upload("format=toml&mode=replace", removed.as_bytes().to_vec(), &admin).await;
    assert_eq!((reply.body["retired"].as_u64(), reply.body["unchanged"].as_u64()), (Some(1), Some(total as u64 - 1)));
    assert_eq!(category_count(&app, "婚姻家庭").await, categories_before - 1, "a retired question is no longer drawn");
    let listed = app.get("/api/v1/admin/banks", Some(&admin)).await;
    let marriage = listed
        .body
        .as_array()
        .expect("banks")
        .iter()
        .find(|b| b["key"] == "civil-code-marriage")
        .expect("bank")
        .clone();
    assert_eq!(
        (marriage["questions"].as_u64(), marriage["active"].as_u64()),
        (Some(total as u64), Some(total as u64 - 1))
    );

    // Putting it back brings the same question back, not a copy.
    let back = app.upload("format=toml", edited.into_bytes(), &admin).await;
    assert_eq!((back.body["created"].as_u64(), back.body["updated"].as_u64()), (Some(0), Some(1)));
}

fn first_stem(toml_text: &str) -> String {
    let value: toml::Value = toml::from_str(toml_text).expect("toml");
    value["questions"][0]["stem"].as_str().expect("stem").to_owned()
}

async fn category_count(app: &TestApp, name: &str) -> u64 {
    let reply = app.get("/api/v1/categories", None).await;
    reply
        .body
        .as_array()
        .expect("list")
        .iter()
        .find(|c| c["name"] == name)
        .and_then(|c| c["questions"].as_u64())
        .unwrap_or(0)
}

async fn residents_cannot_upload_and_dry_runs_store_nothing(app: TestApp) {
    let toml = std::fs::read(repo("tests/fixtures/template.toml")).expect("fixture");
    // Before anyone signs in (the test client keeps cookies, as a browser does).
    let anonymous = app.client.post("/api/v1/admin/banks?format=toml").body(toml.clone()).dispatch().await;
    assert_eq!(anonymous.status(), Status::Unauthorized);
    let resident = app.register("13900000001", "password-1").await;
    let refused = app.upload("format=toml", toml.clone(), &resident).await;
    assert_eq!((refused.status, refused.error_code()), (Status::Forbidden, "forbidden"));
    for path in ["/api/v1/admin/banks", "/api/v1/admin/banks/civil-code-marriage/questions"] {
        assert_eq!(app.get(path, Some(&resident)).await.status, Status::Forbidden, "{path}");
    }

    let admin = app.admin_token().await;
    let before = snapshot(&app).await.0;
    let dry = app.upload("format=toml&dry_run=true", toml, &admin).await;
    assert_eq!(
        (dry.status, dry.body["created"].as_u64(), dry.body["dry_run"].as_bool()),
        (Status::Ok, Some(2), Some(true))
    );
    assert_eq!(snapshot(&app).await.0, before, "a dry run stored something");

    let no_format = app.upload("", b"x".to_vec(), &admin).await;
    assert_eq!(no_format.error_code(), "invalid_bank");
    let sheet_without_bank = app.upload("format=csv", template("template.csv"), &admin).await;
    assert_eq!(sheet_without_bank.error_code(), "invalid_bank");
    let not_xlsx = app.upload("format=xlsx&bank=x", b"PK\x03\x04 not really".to_vec(), &admin).await;
    assert_eq!((not_xlsx.status, not_xlsx.error_code()), (Status::UnprocessableEntity, "invalid_bank"));

    let questions = app.get("/api/v1/admin/banks/civil-code-tort/questions?kind=judge&limit=5", Some(&admin)).await;
    let list = questions.body.as_array().expect("questions");
    assert_eq!(list.len(), 5);
    assert!(list.iter().all(|q| q["kind"] == "judge" && (q["answer"] == "T" || q["answer"] == "F")));
    assert_eq!(app.get("/api/v1/admin/banks/nope/questions", Some(&admin)).await.status, Status::NotFound);
}

async fn exported_banks_import_back_unchanged(app: TestApp) {
    let admin = app.admin_token().await;
    let banks = app.state::<bank::Banks>();
    for format in [Format::Toml, Format::Json, Format::Csv] {
        let bytes = banks.export("civil-code-contract", format).await.expect("export");
        let query = match format {
            Format::Toml => "format=toml",
            Format::Json => "format=json",
            _ => {
                "format=csv&bank=civil-code-contract&title=%E6%B0%91%E6%B3%95%E5%85%B8%C2%B7%E5%90%88%E5%90%8C%E7%BC%96"
            }
        };
        let reply = app.upload(query, bytes, &admin).await;
        assert_eq!(reply.status, Status::Ok, "{format:?}: {}", reply.body);
        assert_eq!(reply.body["unchanged"], 52, "{format:?}: {}", reply.body);
    }
}

#[rocket::async_test]
async fn importing_twenty_thousand_generated_questions_stays_correct() {
    let app = TestApp::plain().await;
    let mut text = String::from("[bank]\nkey = \"generated\"\ntitle = \"generated\"\n");
    for i in 0..20_000 {
        let book = bank::CODE_BOOK_ARTICLES[i % 7];
        text.push_str(&format!(
            "\n[[questions]]\nkey = \"g-{i:05}\"\nkind = \"single\"\ncategory = \"{}\"\ndifficulty = {}\nstem = \"生成的题目{i}\"\noptions = [\"甲\", \"乙\", \"丙\", \"丁\"]\nanswer = \"{}\"\nexplanation = \"生成的解析{i}\"\nbasis = [\"民法典第{}条\"]\n",
            book.0,
            i % 3 + 1,
            ["A", "B", "C", "D"][i % 4],
            book.1
        ));
    }
    let banks = app.state::<bank::Banks>();
    let upload =
        bank::Upload { bytes: text.as_bytes(), format: Format::Toml, name: "generated.toml", bank: None, title: None };
    let options = bank::ImportOptions {
        mode: bank::ImportMode::Merge,
        source: bank::Source::Upload,
        visibility: None,
        dry_run: false,
    };
    let started = std::time::Instant::now();
    let report = banks.import_upload(upload, options).await.expect("import");
    let first = started.elapsed();
    assert_eq!(report.created, 20_000);
    let started = std::time::Instant::now();
    let again = banks.import_upload(upload, options).await.expect("import");
    assert_eq!(again.unchanged, 20_000);
    eprintln!("FIGURE: 20,000 questions: first import {first:?}, re-import {:?}", started.elapsed());
    assert_eq!(banks.index().select(&["generated".to_owned()], None, None).len(), 20_000);

    // Drawing a 20-question quiz costs about the same from 52 questions as from 20,000.
    let seen = std::collections::HashSet::new();
    let mut timings = Vec::new();
    for (bank, category) in [("civil-code-marriage", "婚姻家庭"), ("generated", "婚姻家庭")] {
        let rule = pufa::quiz::DrawRule {
            banks: vec![bank.to_owned()],
            quotas: vec![pufa::quiz::Quota { category: Some(category.to_owned()), difficulty: None, count: 20 }],
            count: 20,
        };
        let started = std::time::Instant::now();
        for _ in 0..1000 {
            let drawn =
                pufa::quiz::draw_questions(banks.index(), &rule, &seen, pufa::quiz::draw::fresh_seed()).expect("draw");
            assert_eq!(drawn.len(), 20);
        }
        timings.push((bank, started.elapsed() / 1000));
    }
    eprintln!("FIGURE: one 20-question draw: {timings:?}");
}

const DEMO: &str = "2023-civil-code-month";

/// A new resident starts the demo campaign: it must always be able to fill its quiz.
async fn demo_starts(app: &TestApp, phone: &str) {
    let resident = app.register(phone, "password-9").await;
    let reply = app.post(&format!("/api/v1/campaigns/{DEMO}/sessions"), serde_json::json!({}), Some(&resident)).await;
    assert_eq!(reply.status, Status::Created, "the demo campaign no longer starts: {}", reply.body);
}

/// The shipped marriage bank as TOML, with `edit` applied to its questions.
fn marriage_toml(edit: impl FnOnce(&mut Vec<toml::Value>)) -> Vec<u8> {
    let text = std::fs::read_to_string(repo("question-bank/civil-code/05-marriage.toml")).expect("bank");
    let mut value: toml::Value = toml::from_str(&text).expect("toml");
    let questions = value["questions"].as_array_mut().expect("questions");
    edit(questions);
    toml::to_string(&value).expect("toml").into_bytes()
}

async fn an_upload_into_a_shipped_bank_never_breaks_the_running_campaign_nor_a_restart_the_staffs_work(app: TestApp) {
    let admin = app.admin_token().await;
    let sheet = "format=xlsx&bank=civil-code-marriage";
    demo_starts(&app, "13900000011").await;

    // The template under the built-in bank's key: a merge adds its two questions, retires nothing.
    let dry = app.upload(&format!("{sheet}&dry_run=true"), template("template.xlsx"), &admin).await;
    assert_eq!(dry.status, Status::Ok, "{}", dry.body);
    assert_eq!((dry.body["created"].as_u64(), dry.body["retired"].as_u64()), (Some(2), Some(0)));
    assert_eq!(dry.body["starves"], serde_json::json!([]));
    let preview = dry.body["preview"].as_array().expect("preview");
    assert_eq!(preview.len(), 2);
    assert_eq!(preview[1]["options"][0]["text"], "正确", "a judge question as residents see it");
    assert_eq!((preview[0]["options"][1]["key"].as_str(), preview[0]["answer"].as_str()), (Some("B"), Some("AB")));
    let merged = app.upload(sheet, template("template.xlsx"), &admin).await;
    assert_eq!((merged.body["created"].as_u64(), merged.body["retired"].as_u64()), (Some(2), Some(0)));
    assert_eq!(merged.body["bank"]["title"], "民法典·婚姻家庭编", "a spreadsheet without a title keeps the bank's");
    demo_starts(&app, "13900000012").await;

    // Replace would retire the 52 shipped questions and starve the running demo campaign.
    let dry = app.upload(&format!("{sheet}&mode=replace&dry_run=true"), template("template.xlsx"), &admin).await;
    assert_eq!(dry.status, Status::Ok, "{}", dry.body);
    assert_eq!(dry.body["retired"], 52);
    assert_eq!(dry.body["retiring"].as_array().map(Vec::len), Some(52));
    assert_eq!(
        (dry.body["starves"][0]["slug"].as_str(), dry.body["starves"][0]["state"].as_str()),
        (Some(DEMO), Some("open"))
    );
    let refused = app.upload(&format!("{sheet}&mode=replace"), template("template.xlsx"), &admin).await;
    assert_eq!((refused.status, refused.error_code()), (Status::Conflict, "bank_in_use"), "{}", refused.body);
    assert_eq!(refused.body["error"]["campaign"], DEMO);
    assert!(
        refused.body["error"]["message"].as_str().is_some_and(|m| m.contains("年民法典宣传月网络有奖答题")),
        "{}",
        refused.body
    );
    demo_starts(&app, "13900000013").await;

    // Staff retire the last shipped question and edit the second (a replace with what starves nothing),
    // then merge the template back (the replace retired its two questions).
    let (mut second, mut last) = (String::new(), String::new());
    let staff_file = marriage_toml(|questions| {
        last = questions.pop().expect("a question")["key"].as_str().expect("key").to_owned();
        second = questions[1]["key"].as_str().expect("key").to_owned();
        questions[1]["stem"] = toml::Value::String("（工作人员改过）下列哪一项说法正确？".into());
    });
    let replaced = app.upload("format=toml&mode=replace", staff_file, &admin).await;
    assert_eq!(replaced.status, Status::Ok, "{}", replaced.body);
    assert_eq!((replaced.body["retired"].as_u64(), replaced.body["updated"].as_u64()), (Some(3), Some(1)));
    assert_eq!(app.upload(sheet, template("template.xlsx"), &admin).await.body["updated"], 2);
    demo_starts(&app, "13900000014").await;

    // A restart on the same database keeps all of it.
    let url = app.database_url();
    let again = TestApp::start_with(app.sql, common::Live::Memory, |f| f.merge(("database_url", url.clone())))
        .await
        .expect("the same services");
    let banks = again.state::<bank::Banks>();
    let filter = bank::QuestionFilter { limit: 1000, ..Default::default() };
    let questions = banks.questions("civil-code-marriage", &filter).await.expect("questions");
    let find = |key: &str| questions.iter().find(|q| q.key == key).unwrap_or_else(|| panic!("{key}")).clone();
    assert_eq!(find(&last).status, "retired", "what staff retired stays retired");
    assert_eq!(find(&second).stem, "（工作人员改过）下列哪一项说法正确？", "what staff edited stays edited");
    assert_eq!(find(&second).source, bank::Source::Upload);
    assert_eq!((find("hy-001").status.as_str(), find("hy-001").source), ("active", bank::Source::Upload));
    demo_starts(&again, "13900000015").await;

    // The start-up import says what it left alone; a question only the shipped file made still
    // follows the file when the content team changes it.
    let reports = banks.import_dir(&repo("question-bank")).await.expect("start-up import");
    let marriage = reports.iter().find(|r| r.bank.key == "civil-code-marriage").expect("marriage");
    assert_eq!((marriage.kept, marriage.updated, marriage.retired, marriage.created), (4, 0, 0, 0));
    let dir = tempfile::tempdir().expect("dir");
    let mut third = String::new();
    let content_team = marriage_toml(|questions| {
        third = questions[2]["key"].as_str().expect("key").to_owned();
        questions[2]["stem"] = toml::Value::String("（内容组修订）根据《民法典》，下列说法哪个正确？".into());
    });
    std::fs::write(dir.path().join("05-marriage.toml"), content_team).expect("write");
    let reports = banks.import_dir(dir.path()).await.expect("start-up import");
    assert_eq!((reports[0].updated, reports[0].kept), (1, 4));
    let questions = banks.questions("civil-code-marriage", &filter).await.expect("questions");
    let updated = questions.iter().find(|q| q.key == third).expect("third");
    assert_eq!(
        (updated.stem.as_str(), updated.source),
        ("（内容组修订）根据《民法典》，下列说法哪个正确？", bank::Source::File)
    );
}
