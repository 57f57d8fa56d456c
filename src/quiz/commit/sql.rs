//! SQL text with placeholders in the backend's own style (`?` for SQLite, `$n` for PostgreSQL)
//! and the values bound to them: the batch's statements are built here, not by hand per backend.

use std::fmt::Write as _;

use sea_orm::sea_query::Value;
use sea_orm::{DbBackend, Statement};

/// SQL text with placeholders in the backend's own style, and the values bound to them.
pub(crate) struct Sql {
    backend: DbBackend,
    text: String,
    values: Vec<Value>,
}

impl Sql {
    pub(crate) fn new(backend: DbBackend) -> Self {
        Self { backend, text: String::new(), values: Vec::new() }
    }

    pub(crate) fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    pub(crate) fn param(&mut self, value: impl Into<Value>) -> &mut Self {
        self.values.push(value.into());
        match self.backend {
            DbBackend::Postgres => {
                let _ = write!(self.text, "${}", self.values.len());
            }
            _ => self.text.push('?'),
        }
        self
    }

    /// `(VALUES (a, b), (c, d)) AS v`: its columns are v.column1, v.column2… on both backends.
    pub(crate) fn values_table<T>(&mut self, rows: &[T], row: impl Fn(&T) -> Vec<Value>) -> &mut Self {
        self.push("(VALUES ");
        for (i, item) in rows.iter().enumerate() {
            self.push(if i == 0 { "(" } else { ", (" });
            for (j, value) in row(item).into_iter().enumerate() {
                if j > 0 {
                    self.push(", ");
                }
                self.param(value);
            }
            self.push(")");
        }
        self.push(") AS v")
    }

    pub(crate) fn statement(&self) -> Statement {
        Statement::from_sql_and_values(self.backend, self.text.clone(), self.values.clone())
    }
}
