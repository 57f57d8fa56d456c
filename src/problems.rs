//! Problems found in what someone sent: a field of a form, or a place in an uploaded file. Domain
//! modules report them; `api` turns them into the `fields` and `problems` of an error body.

use serde::Serialize;

/// One field that failed validation.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct FieldProblem {
    pub field: String,
    pub problem: String,
}

impl FieldProblem {
    pub fn new(field: &str, problem: impl Into<String>) -> Self {
        Self { field: field.to_owned(), problem: problem.into() }
    }
}

/// A problem found in an uploaded file, with its place (`file:line`, `sheet!row`).
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct PlacedProblem {
    pub place: String,
    pub field: String,
    pub problem: String,
}

impl PlacedProblem {
    pub fn new(place: impl Into<String>, field: &str, problem: impl Into<String>) -> Self {
        Self { place: place.into(), field: field.to_owned(), problem: problem.into() }
    }
}

impl std::fmt::Display for PlacedProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}: {}", self.place, self.field, self.problem)
    }
}
