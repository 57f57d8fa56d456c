//! One module per table.

pub mod audit_entry;
pub mod auth_token;
pub mod bank;
pub mod campaign;
pub mod daily_answer;
pub mod daily_law_item;
pub mod lesson;
pub mod lesson_request;
pub mod lesson_revision;
pub mod mistake;
pub mod question;
pub mod question_revision;
pub mod quiz_session;
pub mod region;
pub mod session_question;
pub mod sms_code;
pub mod sms_quota;
pub mod user;
