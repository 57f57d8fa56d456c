//! One module per table.

pub mod auth_token;
pub mod region;
pub mod user;
