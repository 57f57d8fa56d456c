//! Checks made before a workbook is parsed, so that a small hostile file cannot cost more than a
//! clerk's largest real one (a 153 KB xlsx once made a 119 MB error answer and 1.8 GB of memory).
//!
//! - XLSX and ODS are zips: the central directory is read first (entries, sizes; nothing is
//!   inflated), and a file that would unzip past `MAX_UNZIPPED`, or an entry that inflates more than
//!   `MAX_RATIO` times, is refused. The zip reader then stops any entry at its declared size.
//! - An ODS sheet may repeat a row or cell a million times in a few bytes, and calamine expands
//!   every sheet into a dense grid: `content.xml` is scanned (streaming) for the rows and cells the
//!   sheets would expand to.
//! - calamine reads every sheet of an XLS at once, into a grid as large as the furthest cell, and
//!   reserves what the sheet's DIMENSIONS record claims: the BIFF records are scanned first.

use std::io::{BufReader, Cursor, Read};

use crate::bank::parse::MAX_ROWS;

/// The most a zip-based workbook may unzip to (20,000 questions of real text take about 20 MB).
pub(super) const MAX_UNZIPPED: u64 = 32 << 20;
/// The most an entry over `RATIO_FROM` bytes may inflate (XML usually inflates 5 to 20 times).
pub(super) const MAX_RATIO: u64 = 100;
const RATIO_FROM: u64 = 1 << 20;
/// The most entries a zip may list (an xlsx has about ten).
const MAX_ENTRIES: u64 = 5_000;
/// Row positions a sheet may use: `MAX_ROWS` questions, title and header rows, blank rows.
const MAX_SHEET_ROWS: u64 = MAX_ROWS as u64 + 1_000;
/// Columns a sheet may use (XLS has 256).
const MAX_COLUMNS: u64 = 256;
/// Cells the sheets of one workbook may expand to in memory (about 64 MB of calamine cells).
const MAX_CELLS: u64 = 2_000_000;

pub(super) const DAMAGED: &str = "文件已损坏，或不是Excel/WPS表格：请用Excel或WPS打开，另存为 .xlsx 后再上传";
pub(super) const PASSWORD: &str = "文件设置了打开密码，系统读不了：请在Excel或WPS里取消密码后再上传";
pub(super) const TOO_LARGE: &str =
    "文件解压后太大（超过32MB，或压缩比异常），不像一份题库：请检查文件，或分成几个文件上传";
pub(super) const NOT_A_SHEET: &str = "这不是表格文件（可能是Word文档或压缩包）：请上传 .xlsx、.xls、.ods 或 .csv";

fn too_many_rows() -> String {
    format!("表格超过{MAX_ROWS}行，一个文件最多{MAX_ROWS}道题：请分成几个文件上传")
}

/// What a zip-based workbook holds, once its sizes passed.
pub(super) struct ZipListing {
    pub names: Vec<String>,
}

/// The entry count and central-directory size from the end-of-central-directory record.
fn end_of_central_directory(bytes: &[u8]) -> Option<(u64, u64)> {
    let from = bytes.len().saturating_sub(22 + 65_535);
    let at = bytes[from..].windows(4).rposition(|w| w == b"PK\x05\x06")? + from;
    let field = |offset: usize, width: usize| -> Option<u64> {
        let raw = bytes.get(at + offset..at + offset + width)?;
        Some(raw.iter().rev().fold(0u64, |n, b| (n << 8) | u64::from(*b)))
    };
    Some((field(10, 2)?, field(12, 4)?))
}

pub(super) fn check_zip(bytes: &[u8]) -> Result<ZipListing, String> {
    let (entries, directory) = end_of_central_directory(bytes).ok_or(DAMAGED)?;
    // 0xFFFF entries means a ZIP64 directory: never needed by a question file this size.
    if entries >= MAX_ENTRIES || directory > 4 << 20 {
        return Err(TOO_LARGE.into());
    }
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| DAMAGED)?;
    let mut names = Vec::with_capacity(archive.len());
    let mut total = 0u64;
    for i in 0..archive.len() {
        let entry = archive.by_index_raw(i).map_err(|_| DAMAGED)?;
        let (size, packed) = (entry.size(), entry.compressed_size());
        total = total.saturating_add(size);
        if total > MAX_UNZIPPED || (size > RATIO_FROM && size / packed.max(1) > MAX_RATIO) {
            return Err(TOO_LARGE.into());
        }
        if entry.encrypted() {
            return Err(PASSWORD.into());
        }
        names.push(entry.name().map_err(|_| DAMAGED)?.into_owned());
    }
    Ok(ZipListing { names })
}

fn attribute(element: &quick_xml::events::BytesStart<'_>, name: &str) -> Result<Option<u64>, String> {
    match element.try_get_attribute(name) {
        Ok(None) => Ok(None),
        Ok(Some(attr)) => attr.value.trim().parse().map(Some).map_err(|_| DAMAGED.into()),
        Err(_) => Err(DAMAGED.into()),
    }
}

/// The rows and cells an ODS's sheets expand to, counted from `content.xml` without expanding them.
pub(super) fn check_ods(bytes: &[u8]) -> Result<(), String> {
    use quick_xml::events::Event;
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| DAMAGED)?;
    let content = archive.by_name("content.xml").map_err(|_| DAMAGED)?;
    let mut reader = quick_xml::Reader::from_reader(BufReader::new(content));
    let mut buf = Vec::new();
    let (mut cells, mut rows_used, mut widest) = (0u64, 0u64, 0u64);
    let (mut row_at, mut row_repeats, mut column_at, mut row_width) = (0u64, 1u64, 0u64, 0u64);
    loop {
        let event = reader.read_event_into(&mut buf).map_err(|_| DAMAGED)?;
        let (element, has_content) = match &event {
            Event::Start(e) => (Some(e), true),
            Event::Empty(e) => (Some(e), false),
            _ => (None, false),
        };
        if let Some(e) = element {
            match e.name().as_ref() {
                "table:table" => (rows_used, widest, row_at) = (0, 0, 0),
                "table:table-row" => {
                    row_repeats = attribute(e, "table:number-rows-repeated")?.unwrap_or(1).max(1);
                    (column_at, row_width) = (0, 0);
                    if !has_content {
                        row_at = row_at.saturating_add(row_repeats);
                    }
                }
                "table:table-cell" | "table:covered-table-cell" => {
                    let repeats = attribute(e, "table:number-columns-repeated")?.unwrap_or(1).max(1);
                    column_at = column_at.saturating_add(repeats);
                    let filled = has_content || e.try_get_attribute("office:value-type").ok().flatten().is_some();
                    if filled {
                        row_width = column_at;
                    }
                }
                _ => {}
            }
        }
        match &event {
            Event::End(e) if e.name().as_ref() == "table:table-row" => {
                row_at = row_at.saturating_add(row_repeats);
                if row_width > 0 {
                    rows_used = row_at;
                    widest = widest.max(row_width.min(16_384));
                }
                if rows_used > MAX_SHEET_ROWS {
                    return Err(too_many_rows());
                }
                if cells.saturating_add(rows_used.saturating_mul(widest)) > MAX_CELLS {
                    return Err(TOO_LARGE.into());
                }
            }
            Event::End(e) if e.name().as_ref() == "table:table" => {
                cells = cells.saturating_add(rows_used.saturating_mul(widest));
            }
            Event::Eof => return Ok(()),
            _ => {}
        }
        buf.clear();
    }
}

/// BIFF records that place a cell: row in bytes 0–1, column in bytes 2–3.
const CELL_RECORDS: [u16; 8] = [0x0203, 0x0204, 0x00D6, 0x0205, 0x027E, 0x00FD, 0x00BD, 0x0006];
const DIMENSIONS: u16 = 0x0200;
const FILE_PASS: u16 = 0x002F;
const MUL_RK: u16 = 0x00BD;

fn u16_at(data: &[u8], at: usize) -> u64 {
    data.get(at..at + 2).map_or(0, |b| u64::from(u16::from_le_bytes([b[0], b[1]])))
}

fn u32_at(data: &[u8], at: usize) -> u64 {
    data.get(at..at + 4).map_or(0, |b| u64::from(u32::from_le_bytes([b[0], b[1], b[2], b[3]])))
}

/// The cells and sheet sizes of an XLS, from its BIFF records, before calamine lays them out.
pub(super) fn check_xls(bytes: &[u8]) -> Result<(), String> {
    let mut file = cfb::CompoundFile::open(Cursor::new(bytes)).map_err(|_| DAMAGED)?;
    if file.exists("/EncryptedPackage") || file.exists("/EncryptionInfo") {
        return Err(PASSWORD.into());
    }
    let name = ["/Workbook", "/Book"].into_iter().find(|n| file.is_stream(n)).ok_or(NOT_A_SHEET)?;
    let mut stream = Vec::new();
    let limit = bytes.len() as u64 + 1;
    file.open_stream(name).map_err(|_| DAMAGED)?.take(limit).read_to_end(&mut stream).map_err(|_| DAMAGED)?;
    let mut at = 0;
    let mut cells = 0u64;
    while let (Some(kind), Some(len)) = (stream.get(at..at + 2), stream.get(at + 2..at + 4)) {
        let kind = u16::from_le_bytes([kind[0], kind[1]]);
        let len = usize::from(u16::from_le_bytes([len[0], len[1]]));
        let Some(data) = stream.get(at + 4..at + 4 + len) else { break };
        at += 4 + len;
        match kind {
            FILE_PASS => return Err(PASSWORD.into()),
            DIMENSIONS => {
                let (first_row, last_row, first_col, last_col) = match data.len() {
                    10 => (u16_at(data, 0), u16_at(data, 2), u16_at(data, 4), u16_at(data, 6)),
                    _ => (u32_at(data, 0), u32_at(data, 4), u16_at(data, 8), u16_at(data, 10)),
                };
                if last_row > MAX_SHEET_ROWS || first_row > last_row {
                    return Err(too_many_rows());
                }
                if last_col > MAX_COLUMNS || first_col > last_col {
                    return Err(TOO_LARGE.into());
                }
            }
            k if CELL_RECORDS.contains(&k) => {
                let last_col = if k == MUL_RK { u16_at(data, data.len().saturating_sub(2)) } else { u16_at(data, 2) };
                if u16_at(data, 0) >= MAX_SHEET_ROWS {
                    return Err(too_many_rows());
                }
                cells += 1;
                if last_col >= MAX_COLUMNS || cells > MAX_CELLS {
                    return Err(TOO_LARGE.into());
                }
            }
            _ => {}
        }
    }
    Ok(())
}
