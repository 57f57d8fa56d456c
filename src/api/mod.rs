//! Thin HTTP routes: parse, call one domain function, map the result. No rules live here.

pub mod accounts;
pub mod admin;
pub mod banks;
pub mod codes;
pub mod compression;
pub mod guards;
pub mod headers;
pub mod lesson_admin;
pub mod lessons;
pub mod openapi;
pub mod privacy;
pub mod quiz;
pub mod scores;
pub mod static_files;
pub mod system;
pub mod users;
