//! Question files as county clerks make them (issue 19): full-width letters, title rows, extra
//! columns, CRLF with line breaks in cells, .xls from WPS, .ods from LibreOffice, GBK, misnamed
//! files; and hostile files (issue 17): a shared-strings bomb, too many rows, too many problems.

mod common;

use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use common::TestApp;
use pufa::bank::{self, Format};
use rocket::http::Status;

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/clerk").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn expected() -> Vec<bank::Question> {
    bank::parse_bank(&fixture("clerk.toml"), Format::Toml, "clerk.toml", None, None).expect("clerk.toml").questions
}

fn parse(name: &str, format: Format) -> bank::BankFile {
    bank::parse_bank(&fixture(name), format, name, Some("clerk"), None)
        .unwrap_or_else(|problems| panic!("{name} as {format:?}: {:#?}", &problems[..]))
}

#[test]
fn every_clerk_fixture_reads_as_exactly_the_questions_of_the_toml() {
    let expected = expected();
    assert_eq!(expected.len(), 3);
    for (name, format) in [
        ("fullwidth.csv", Format::Csv),
        ("fullwidth.xlsx", Format::Xlsx),
        ("title-row.csv", Format::Csv),
        ("title-row.xlsx", Format::Xlsx),
        ("xuhao.csv", Format::Csv),
        ("crlf-multiline.csv", Format::Csv),
        ("wps.xls", Format::Xls),
        ("wps-source.csv", Format::Csv),
        ("libreoffice.ods", Format::Ods),
        ("gbk.csv", Format::Csv),
    ] {
        assert_eq!(parse(name, format).questions, expected, "{name}");
    }
    assert!(std::str::from_utf8(&fixture("gbk.csv")).is_err(), "gbk.csv is really GBK");
    assert!(fixture("crlf-multiline.csv").windows(2).any(|w| w == b"\r\n"), "CRLF rows");
}

#[test]
fn a_mislabelled_workbook_reads_by_its_bytes() {
    let expected = expected();
    for (name, declared) in [
        ("wps.xls", Format::Xlsx),
        ("fullwidth.xlsx", Format::Xls),
        ("libreoffice.ods", Format::Xlsx),
        ("title-row.xlsx", Format::Csv),
        ("gbk.csv", Format::Xls),
    ] {
        assert_eq!(parse(name, declared).questions, expected, "{name} uploaded as {declared:?}");
    }
    assert_eq!(Format::of_bytes(&fixture("wps.xls")), Format::Xls);
    assert_eq!(Format::of_bytes(&fixture("libreoffice.ods")), Format::Ods);
    assert_eq!(Format::of_bytes(&fixture("fullwidth.xlsx")), Format::Xlsx);
    assert_eq!(Format::of_bytes(&fixture("clerk.toml")), Format::Toml);
}

#[test]
fn unknown_columns_are_ignored_and_listed_as_warnings() {
    let file = parse("xuhao.csv", Format::Csv);
    let warned: Vec<(&str, &str)> = file.warnings.iter().map(|w| (w.place.as_str(), w.field.as_str())).collect();
    assert_eq!(warned, [("xuhao.csv:1", "序号"), ("xuhao.csv:1", "备注")]);
    assert!(file.warnings.iter().all(|w| w.problem.contains("没有导入")), "{:?}", file.warnings);
}

#[test]
fn a_broken_crlf_file_with_a_multi_line_cell_reports_exactly_the_excel_rows() {
    let problems = bank::parse_bank(&fixture("broken-crlf.csv"), Format::Csv, "upload.csv", Some("b"), None)
        .expect_err("two planted errors");
    let found: Vec<(&str, &str)> = problems.iter().map(|p| (p.place.as_str(), p.field.as_str())).collect();
    // Row 3 holds a three-line cell and row 4 is blank: Excel shows the errors on rows 5 and 6.
    assert_eq!(found, [("upload.csv:5", "answer"), ("upload.csv:6", "basis")]);
    for p in problems.iter() {
        assert!(!p.problem.is_ascii() && !p.problem.contains(" ("), "Chinese only: {p:?}");
    }
}

#[test]
fn a_sheet_without_a_header_row_in_its_first_ten_rows_is_refused_plainly() {
    let mut text = String::new();
    for i in 1..=11 {
        text.push_str(&format!("说明第{i}行,,\r\n"));
    }
    text.push_str("编号,题型,题干,答案\r\n");
    let problems = bank::parse_bank(text.as_bytes(), Format::Csv, "upload.csv", Some("b"), None).expect_err("refused");
    assert_eq!(problems.len(), 1);
    assert!(problems[0].problem.contains("前10行"), "{:?}", problems[0]);
}

#[test]
fn password_protected_and_damaged_workbooks_get_plain_messages() {
    // An Office file encrypted with a password is a compound file holding an EncryptedPackage.
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut cfb = cfb::CompoundFile::create(&mut buf).expect("cfb");
        cfb.create_stream("/EncryptionInfo").expect("stream").write_all(b"\x04\x00\x04\x00").expect("write");
        cfb.create_stream("/EncryptedPackage").expect("stream").write_all(&[0u8; 64]).expect("write");
        cfb.flush().expect("flush");
    }
    let problems = bank::parse_bank(buf.get_ref(), Format::Xlsx, "upload.xlsx", Some("b"), None).expect_err("password");
    assert!(problems[0].problem.contains("密码"), "{:?}", problems[0]);

    let mut damaged = fixture("wps.xls");
    damaged.truncate(damaged.len() / 2);
    let problems = bank::parse_bank(&damaged, Format::Xls, "upload.xls", Some("b"), None).expect_err("damaged");
    assert!(problems[0].problem.contains("损坏"), "{:?}", problems[0]);
}

/// A workbook with the given sheets of text cells (inline strings), as a minimal xlsx.
fn workbook(sheets: &[(&str, Vec<Vec<String>>)]) -> Vec<u8> {
    use zip::write::SimpleFileOptions;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default();
    let mut put = |name: String, body: String| {
        zip.start_file(name, options).expect("entry");
        zip.write_all(body.as_bytes()).expect("write");
    };
    let ns = r#"xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main""#;
    let rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
    put("[Content_Types].xml".into(), r#"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>"#.to_owned());
    put(
        "_rels/.rels".into(),
        format!(
            r#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>"#
        ),
    );
    let listed: String = (1..=sheets.len())
        .map(|i| format!(r#"<sheet name="{}" sheetId="{i}" r:id="rId{i}"/>"#, sheets[i - 1].0))
        .collect();
    put(
        "xl/workbook.xml".into(),
        format!(r#"<?xml version="1.0"?><workbook {ns} xmlns:r="{rel}"><sheets>{listed}</sheets></workbook>"#),
    );
    let rels: String = (1..=sheets.len())
        .map(|i| format!(r#"<Relationship Id="rId{i}" Type="{rel}/worksheet" Target="worksheets/sheet{i}.xml"/>"#))
        .collect();
    put(
        "xl/_rels/workbook.xml.rels".into(),
        format!(
            r#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}</Relationships>"#
        ),
    );
    for (i, (_, rows)) in sheets.iter().enumerate() {
        let data: String = rows
            .iter()
            .map(|row| {
                let cells: String =
                    row.iter().map(|c| format!(r#"<c t="inlineStr"><is><t>{c}</t></is></c>"#)).collect();
                format!("<row>{cells}</row>")
            })
            .collect();
        put(
            format!("xl/worksheets/sheet{}.xml", i + 1),
            format!(r#"<?xml version="1.0"?><worksheet {ns}><sheetData>{data}</sheetData></worksheet>"#),
        );
    }
    zip.finish().expect("zip").into_inner()
}

#[test]
fn the_first_sheet_with_a_header_row_is_read() {
    let text = String::from_utf8(fixture("title-row.csv")).expect("utf-8");
    let rows: Vec<Vec<String>> = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes())
        .records()
        .map(|r| r.expect("record").iter().map(|c| c.replace('\n', "&#10;")).collect())
        .collect();
    let notes: Vec<Vec<String>> = (1..=15).map(|i| vec![format!("填写说明第{i}条")]).collect();
    let bytes = workbook(&[("说明", notes), ("题目", rows)]);
    let file = bank::parse_bank(&bytes, Format::Xlsx, "upload.xlsx", Some("clerk"), None).expect("the second sheet");
    assert_eq!(file.questions, expected());
}

/// The review's upload bomb, rebuilt: a small xlsx whose one sheet has `rows` rows of twelve
/// cells pointing at shared strings that are wrong in every field. With `varied` false every row
/// is the same and the sheet inflates hundreds of times; with it true the cells point at a
/// thousand different strings, so it inflates only as much as a real sheet does.
fn hostile_xlsx(rows: usize, varied: bool) -> Vec<u8> {
    use zip::write::SimpleFileOptions;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let mut put = |name: &str, body: &[u8]| {
        zip.start_file(name, options).expect("entry");
        zip.write_all(body).expect("write");
    };
    put(
        "[Content_Types].xml",
        br#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>"#,
    );
    put(
        "_rels/.rels",
        br#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#,
    );
    put(
        "xl/workbook.xml",
        br#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#,
    );
    put(
        "xl/_rels/workbook.xml.rels",
        br#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>"#,
    );
    let headers = ["编号", "题型", "分类", "难度", "题干", "选项A", "选项B", "答案", "解析", "依据"];
    let bad: Vec<String> = (0..1000).map(|i| format!("坏{i}")).collect();
    let strings: String =
        headers.iter().map(|h| (*h).to_owned()).chain(bad).map(|s| format!("<si><t>{s}</t></si>")).collect();
    put(
        "xl/sharedStrings.xml",
        format!(r#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1010" uniqueCount="1010">{strings}</sst>"#).as_bytes(),
    );
    let mut sheet = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1">"#,
    );
    for i in 0..10 {
        sheet.push_str(&format!(r#"<c t="s"><v>{i}</v></c>"#));
    }
    sheet.push_str("</row>");
    // Every data row: "坏…" strings in every column, wrong everywhere.
    let mut seed = 7u64;
    for r in 2..rows + 2 {
        // Rows may leave out their number: the reader counts them. Identical rows inflate most.
        sheet.push_str(&if varied { format!(r#"<row r="{r}">"#) } else { "<row>".to_owned() });
        for _ in 0..12 {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            let string = if varied { 10 + (seed >> 33) % 1000 } else { 10 };
            sheet.push_str(&format!(r#"<c t="s"><v>{string}</v></c>"#));
        }
        sheet.push_str("</row>");
    }
    sheet.push_str("</sheetData></worksheet>");
    put("xl/worksheets/sheet1.xml", sheet.as_bytes());
    zip.finish().expect("zip").into_inner()
}

/// The server's resident set size, in bytes (Linux).
fn rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

#[rocket::async_test]
async fn the_upload_bomb_gets_a_bounded_422_within_a_second() {
    let app = TestApp::plain().await;
    let admin = app.admin_token().await;
    // About the review's file: some 150 KB that unzip to over 20 MB of rows.
    let bomb = hostile_xlsx(85_000, false);
    let inflated = 85_000u64 * 12 * 22;
    eprintln!("FIGURE: hostile xlsx {} KB, sheet ~{} MB unzipped", bomb.len() / 1024, inflated >> 20);
    assert!(bomb.len() < 200 << 10, "a small file: {} bytes", bomb.len());
    let before = rss();
    let started = Instant::now();
    let reply = app.upload("format=xlsx&bank=bomb&dry_run=true", bomb, &admin).await;
    let took = started.elapsed();
    let grew = rss().saturating_sub(before);
    eprintln!("FIGURE: bomb answered {} in {took:?}, {} bytes, RSS +{} MB", reply.status, reply.text.len(), grew >> 20);
    assert_eq!((reply.status, reply.error_code()), (Status::UnprocessableEntity, "invalid_bank"), "{}", reply.text);
    assert!(took < Duration::from_secs(1), "{took:?}");
    assert!(reply.text.len() < 16 << 10, "a bounded answer: {} bytes", reply.text.len());
    assert!(grew < 100 << 20, "RSS grew {} MB", grew >> 20);
    assert!(
        reply.body["error"]["problems"][0]["problem"].as_str().is_some_and(|p| p.contains("解压")),
        "{}",
        reply.text
    );

    // Inflating less than the ratio allows, it still holds more rows than a file may: refused at
    // row 20,002 without reading the rest, and with at most 200 problems listed.
    let tall = hostile_xlsx(60_000, true);
    eprintln!("FIGURE: varied 60,000-row xlsx {} KB", tall.len() / 1024);
    let started = Instant::now();
    let reply = app.upload("format=xlsx&bank=bomb&dry_run=true", tall, &admin).await;
    let took = started.elapsed();
    eprintln!("FIGURE: 60,000-row xlsx answered {} in {took:?}, {} bytes", reply.status, reply.text.len());
    assert_eq!(reply.status, Status::UnprocessableEntity, "{}", reply.text);
    let problems = reply.body["error"]["problems"].as_array().expect("problems");
    assert_eq!(problems.len(), bank::LISTED);
    assert!(reply.text.len() < 64 << 10, "a bounded answer: {} bytes", reply.text.len());
    let message = reply.body["error"]["message"].as_str().expect("message");
    assert!(message.contains("前200处"), "{message}");
    assert!(took < Duration::from_secs(5), "{took:?}");
}

#[test]
fn text_files_of_millions_of_tiny_questions_are_refused_before_parsing() {
    let toml = "[bank]\nkey = \"b\"\ntitle = \"b\"\n".to_owned() + &"[[questions]]\n".repeat(500_000);
    let json =
        format!("{{\"bank\": {{\"key\": \"b\", \"title\": \"b\"}}, \"questions\": [{}{{}}]}}", "{},".repeat(500_000));
    for (bytes, format) in [(toml.into_bytes(), Format::Toml), (json.into_bytes(), Format::Json)] {
        let started = Instant::now();
        let problems = bank::parse_bank(&bytes, format, "upload", None, None).expect_err("too many");
        assert!(problems[0].problem.contains("20000"), "{format:?}: {:?}", &problems[..]);
        assert!(started.elapsed() < Duration::from_secs(1), "{format:?}: {:?}", started.elapsed());
    }
}

#[rocket::async_test]
async fn a_file_over_twenty_thousand_rows_is_refused_and_problems_are_counted_past_two_hundred() {
    let app = TestApp::plain().await;
    let admin = app.admin_token().await;
    let mut csv = String::from("编号,题型,题干,答案\n");
    for i in 0..25_000 {
        csv.push_str(&format!("k{i},单选,题{i},Z\n"));
    }
    let reply = app.upload("format=csv&bank=big&dry_run=true", csv.into_bytes(), &admin).await;
    assert_eq!(reply.status, Status::UnprocessableEntity);
    let problems = reply.body["error"]["problems"].as_array().expect("problems");
    assert_eq!(problems.len(), bank::LISTED);
    let message = reply.body["error"]["message"].as_str().expect("message");
    // Every row has several problems; the total is counted, though only 200 are listed.
    let total: usize =
        message.trim_start_matches("题库文件有").split('处').next().and_then(|n| n.parse().ok()).expect("count");
    assert!(total > 20_000, "{message}");
    let mut good = String::from("编号,题型,题干,答案\n");
    for i in 0..25_000 {
        good.push_str(&format!("k{i},单选,题{i},A\n"));
    }
    let refused =
        bank::parse_bank(good.as_bytes(), Format::Csv, "upload.csv", Some("big"), None).expect_err("too many rows");
    assert!(
        refused.iter().any(|p| p.place == "upload.csv:20002" && p.problem.contains("20000")),
        "{:?}",
        &refused[..3]
    );
}
