//! Workbooks through calamine: XLSX (read cell by cell, so a reader stops at `MAX_ROWS` without
//! laying out the sheet), XLS (BIFF8, what WPS saves by default) and ODS (LibreOffice). Each is
//! checked by `guard` first. The first sheet with a header row among its first rows is read, and
//! every place is `sheet!row`. A password-protected or damaged file gets a plain message; a panic
//! deep in a reader becomes the same message, never a failed request.

use std::io::Cursor;
use std::panic::{AssertUnwindSafe, catch_unwind};

use calamine::{Data, DataRef, Ods, OdsError, Range, Reader, Xls, XlsError, Xlsx, XlsxError};

use super::Read;
use super::guard::{self, DAMAGED, NOT_A_SHEET, PASSWORD};
use super::table::{Flow, Places, Table};
use crate::bank::parse::{Problem, RawVal};

/// Sheets looked at for a header row.
const MAX_SHEETS: usize = 50;
/// Columns read from an XLSX row (the template has 16).
const MAX_COLUMNS: usize = 64;

fn refused(name: &str, message: impl Into<String>) -> Read {
    Read::refused(Problem::new(name, "file", message))
}

fn cell(data: &Data) -> RawVal {
    match data {
        Data::Int(i) => RawVal::Int(*i),
        Data::Float(f) => RawVal::Float(*f),
        Data::String(s) => RawVal::Text(s.clone()),
        Data::Bool(b) => RawVal::Bool(*b),
        Data::Empty => RawVal::Text(String::new()),
        other => RawVal::Text(other.to_string()),
    }
}

fn cell_ref(data: DataRef<'_>) -> RawVal {
    match data {
        DataRef::Int(i) => RawVal::Int(i),
        DataRef::Float(f) => RawVal::Float(f),
        DataRef::String(s) => RawVal::Text(s),
        DataRef::SharedString(s) => RawVal::Text(s.to_owned()),
        DataRef::Bool(b) => RawVal::Bool(b),
        DataRef::Empty => RawVal::Text(String::new()),
        other => RawVal::Text(Data::from(other).to_string()),
    }
}

/// Runs a reader, turning a panic inside calamine into the plain "damaged" answer.
fn guarded(name: &str, read: impl FnOnce() -> Read) -> Read {
    catch_unwind(AssertUnwindSafe(read)).unwrap_or_else(|_| refused(name, DAMAGED))
}

/// The first table with a header row, or the first sheet's problems.
fn first_with_header(name: &str, tables: impl Iterator<Item = Table>) -> Read {
    let mut first = None;
    for table in tables.take(MAX_SHEETS) {
        if table.header_found() {
            return table.finish();
        }
        first.get_or_insert(table.finish());
    }
    first.unwrap_or_else(|| refused(name, "工作簿里没有工作表"))
}

pub(super) fn read_xlsx(bytes: &[u8], name: &str) -> Read {
    let listing = match guard::check_zip(bytes) {
        Ok(listing) => listing,
        Err(message) => return refused(name, message),
    };
    let has = |entry: &str| listing.names.iter().any(|n| n == entry);
    if !has("xl/workbook.xml") {
        return if has("content.xml") {
            read_ods(bytes, name)
        } else if has("xl/workbook.bin") {
            refused(name, "这是 .xlsb 格式：请在Excel里另存为 .xlsx 后再上传")
        } else {
            refused(name, NOT_A_SHEET)
        };
    }
    guarded(name, || xlsx_tables(bytes, name))
}

fn xlsx_tables(bytes: &[u8], name: &str) -> Read {
    let mut workbook = match Xlsx::new(Cursor::new(bytes)) {
        Ok(workbook) => workbook,
        Err(XlsxError::Password) => return refused(name, PASSWORD),
        Err(_) => return refused(name, DAMAGED),
    };
    let mut first = None;
    for sheet in workbook.sheet_names().into_iter().take(MAX_SHEETS) {
        let mut table = Table::new(Places::Sheet(sheet.clone()));
        let Ok(mut cells) = workbook.worksheet_cells_reader(&sheet) else { return refused(name, DAMAGED) };
        let (mut row, mut values): (Option<u32>, Vec<RawVal>) = (None, Vec::new());
        loop {
            match cells.next_cell() {
                Ok(Some(c)) => {
                    let (r, col) = c.get_position();
                    if row != Some(r) {
                        if let Some(done) = row
                            && table.push(done.saturating_add(1), std::mem::take(&mut values)) == Flow::Stop
                        {
                            break;
                        }
                        (row, values) = (Some(r), Vec::new());
                    }
                    let col = col as usize;
                    if col < MAX_COLUMNS {
                        if values.len() <= col {
                            values.resize(col + 1, RawVal::Text(String::new()));
                        }
                        values[col] = cell_ref(c.get_value().clone());
                    }
                }
                Ok(None) => {
                    if let Some(done) = row {
                        table.push(done.saturating_add(1), values);
                    }
                    break;
                }
                Err(_) => {
                    return Read::refused(Problem::new(
                        format!("{sheet}!{}", row.map_or(1, |r| r + 1)),
                        "file",
                        DAMAGED,
                    ));
                }
            }
        }
        if table.header_found() {
            return table.finish();
        }
        first.get_or_insert(table.finish());
    }
    first.unwrap_or_else(|| refused(name, "工作簿里没有工作表"))
}

/// A laid-out sheet, fed to a table until it has what it needs.
fn feed(sheet: String, range: &Range<Data>) -> Table {
    let mut table = Table::new(Places::Sheet(sheet));
    let first_row = range.start().map_or(0, |(row, _)| row);
    for (i, cells) in range.rows().enumerate() {
        let row = first_row.saturating_add(u32::try_from(i).unwrap_or(u32::MAX)).saturating_add(1);
        if table.push(row, cells.iter().map(cell).collect()) == Flow::Stop {
            break;
        }
    }
    table
}

pub(super) fn read_xls(bytes: &[u8], name: &str) -> Read {
    if let Err(message) = guard::check_xls(bytes) {
        return refused(name, message);
    }
    guarded(name, || {
        let mut workbook = match Xls::new(Cursor::new(bytes)) {
            Ok(workbook) => workbook,
            Err(XlsError::Password) => return refused(name, PASSWORD),
            Err(_) => return refused(name, DAMAGED),
        };
        let sheets = workbook.sheet_names();
        let tables = sheets.into_iter().filter_map(|sheet| {
            let range = workbook.worksheet_range(&sheet).ok()?;
            Some(feed(sheet, &range))
        });
        first_with_header(name, tables)
    })
}

pub(super) fn read_ods(bytes: &[u8], name: &str) -> Read {
    if let Err(message) = guard::check_zip(bytes).and_then(|_| guard::check_ods(bytes)) {
        return refused(name, message);
    }
    guarded(name, || {
        let mut workbook = match Ods::new(Cursor::new(bytes)) {
            Ok(workbook) => workbook,
            Err(OdsError::Password) => return refused(name, PASSWORD),
            Err(_) => return refused(name, DAMAGED),
        };
        let sheets = workbook.sheet_names();
        let tables = sheets.into_iter().filter_map(|sheet| {
            let range = workbook.worksheet_range(&sheet).ok()?;
            Some(feed(sheet, &range))
        });
        first_with_header(name, tables)
    })
}
