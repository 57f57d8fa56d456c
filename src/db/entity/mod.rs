//! One module per table.

pub mod auth_token;
pub mod bank;
pub mod question;
pub mod question_revision;
pub mod region;
pub mod user;
