//! The privacy notice, and a resident's own data: `GET /api/v1/me/export`, `DELETE /api/v1/me`.

use rocket::http::{ContentType, Header, Status};
use rocket::serde::json::Json;
use rocket::{State, delete, get, routes};

use super::guards::User;
use crate::accounts::PrivacyNotice;
use crate::config::Settings;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::privacy::{DataExport, Erasure, Privacy, PrivacyError};

pub fn routes() -> Vec<rocket::Route> {
    routes![privacy_notice, export_my_data, erase_me]
}

impl From<PrivacyError> for ApiError {
    fn from(err: PrivacyError) -> Self {
        match err {
            PrivacyError::Account(e) => e.into(),
            PrivacyError::Quiz(e) => e.into(),
            PrivacyError::Scores(e) => e.into(),
            PrivacyError::Db(e) => e.into(),
            PrivacyError::StaffAccount => {
                ApiError::conflict("staff_account", "工作人员账号不能自行注销，请另一位管理员处理")
            }
        }
    }
}

/// The privacy notice residents agree to at registration: who collects what, why, for how long,
/// and how to have it deleted.
#[utoipa::path(
    get,
    path = "/api/v1/privacy",
    tag = "accounts",
    responses((status = 200, description = "the notice and its version", body = PrivacyNotice))
)]
#[get("/privacy")]
fn privacy_notice(settings: &State<Settings>) -> Json<PrivacyNotice> {
    Json(PrivacyNotice::new(&settings.organiser_name, &settings.organiser_contact))
}

/// A JSON file of every row stored about the caller.
pub struct Download(DataExport);

impl<'r> rocket::response::Responder<'r, 'static> for Download {
    fn respond_to(self, req: &'r rocket::Request<'_>) -> rocket::response::Result<'static> {
        let mut res = Json(self.0).respond_to(req)?;
        res.set_header(ContentType::JSON);
        res.set_header(Header::new("Content-Disposition", "attachment; filename=\"pufa-my-data.json\""));
        Ok(res)
    }
}

/// Everything stored about the caller, as JSON (a download).
#[utoipa::path(
    get,
    path = "/api/v1/me/export",
    tag = "accounts",
    security(("bearer" = [])),
    responses((status = 200, description = "every row stored about the caller", body = DataExport))
)]
#[get("/me/export")]
async fn export_my_data(user: User, privacy: &State<Privacy>) -> ApiResult<Download> {
    Ok(Download(privacy.export(user.0.id).await?))
}

/// Erases the caller's account: phone, name and password are overwritten, every sign-in ends,
/// the boards are rebuilt without them; their sessions stay, anonymous, for statistics.
#[utoipa::path(
    delete,
    path = "/api/v1/me",
    tag = "accounts",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "erased", body = Erasure),
        (status = 404, description = "`not_found`", body = ErrorBody),
        (status = 409, description = "`staff_account`: staff accounts are not erased by themselves", body = ErrorBody),
    )
)]
#[delete("/me")]
async fn erase_me(user: User, privacy: &State<Privacy>) -> ApiResult<(Status, Json<Erasure>)> {
    Ok((Status::Ok, Json(privacy.erase(user.0.id).await?)))
}
