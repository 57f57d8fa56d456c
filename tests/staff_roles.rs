//! Staff roles: the bureau's admin gives accounts a role with its region, the bureau never loses
//! its last active admin, and every change is in the audit log with before and after. On SQLite
//! and PostgreSQL.

mod common;

use common::TestApp;
use rocket::http::Status;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

/// The id of the account with `phone` (the admin's search).
async fn account_id(app: &TestApp, admin: &str, phone: &str) -> i64 {
    let found = app.get(&format!("/api/v1/admin/users?q={phone}"), Some(admin)).await.body;
    found[0]["id"].as_i64().expect("the account")
}

async fn set_role(app: &TestApp, admin: &str, id: i64, body: Value) -> common::Reply {
    app.post(&format!("/api/v1/admin/users/{id}/role"), body, Some(admin)).await
}

/// Disables every admin but the caller (the one made at first start among them), so the caller is
/// the last active admin.
async fn make_sole_admin(app: &TestApp, admin: &str) -> i64 {
    let me = account_id(app, admin, "13300000001").await;
    let accounts = app.get("/api/v1/admin/users?limit=200", Some(admin)).await.body;
    for other in accounts.as_array().expect("accounts").iter().filter(|a| a["role"] == "admin" && a["id"] != me) {
        let id = other["id"].as_i64().expect("id");
        let off = app.post(&format!("/api/v1/admin/users/{id}/disable"), json!(null), Some(admin)).await;
        assert_eq!(off.status, Status::NoContent, "{}", off.body);
    }
    me
}

async fn role_changes(app: &TestApp, admin: &str) -> Vec<Value> {
    let log = app.get("/api/v1/admin/audit?limit=100", Some(admin)).await.body;
    log.as_array().expect("log").iter().filter(|e| e["action"] == "account.role").cloned().collect()
}

/// A township's staff and a village's liaison are made with a region of the right level; the
/// account's old sign-in ends and the new one carries the role and its region on /me.
async fn roles_carry_a_region_of_the_right_level(app: TestApp) {
    let admin = app.admin_token().await;
    let old_token = app.register("13700000001", "steppe-wind-1").await;
    let id = account_id(&app, &admin, "13700000001").await;

    for (body, field_problem) in [
        (json!({"role": "township_staff"}), "苏木镇"),
        (json!({"role": "township_staff", "region_code": common::VILLAGE}), "苏木镇"),
        (json!({"role": "village_liaison", "region_code": common::TOWNSHIP}), "嘎查"),
        (json!({"role": "admin", "region_code": common::TOWNSHIP}), "不分管地区"),
        (json!({"role": "township_staff", "region_code": "nowhere"}), "苏木镇"),
    ] {
        let refused = set_role(&app, &admin, id, body.clone()).await;
        assert_eq!(refused.status, Status::UnprocessableEntity, "{body}: {}", refused.body);
        assert_eq!(refused.error_code(), "invalid_region");
        assert_eq!(refused.body["error"]["fields"][0]["field"], "region_code");
        let problem = refused.body["error"]["fields"][0]["problem"].as_str().unwrap_or_default();
        assert!(problem.contains(field_problem), "{body}: {problem}");
    }
    let unknown = set_role(&app, &admin, id, json!({"role": "superuser"})).await;
    assert_eq!(unknown.status, Status::UnprocessableEntity);

    let made = set_role(&app, &admin, id, json!({"role": "township_staff", "region_code": common::TOWNSHIP})).await;
    assert_eq!(made.status, Status::Ok, "{}", made.body);
    assert_eq!(made.body["role"], "township_staff");
    assert_eq!(made.body["scope_region"]["code"], common::TOWNSHIP);
    assert_eq!(made.body["scope_region"]["name"], "巴音乌兰苏木");
    assert_eq!(app.get("/api/v1/me", Some(&old_token)).await.status, Status::Unauthorized, "sign-ins end");

    let token = app.login("13700000001", "steppe-wind-1").await.body["token"].as_str().expect("token").to_owned();
    let me = app.get("/api/v1/me", Some(&token)).await.body;
    assert_eq!(me["role"], "township_staff");
    assert_eq!(me["scope_region"]["code"], common::TOWNSHIP);
    assert_eq!(app.get("/api/v1/me", Some(&admin)).await.body["scope_region"], Value::Null);

    let liaison = set_role(&app, &admin, id, json!({"role": "village_liaison", "region_code": common::VILLAGE})).await;
    assert_eq!(liaison.status, Status::Ok, "{}", liaison.body);
    assert_eq!(liaison.body["scope_region"]["code"], common::VILLAGE);
    let back = set_role(&app, &admin, id, json!({"role": "resident"})).await;
    assert_eq!(back.body["role"], "resident");
    assert_eq!(back.body["scope_region"], Value::Null);

    // Each change is audited with what the account held before and after.
    let changes = role_changes(&app, &admin).await;
    assert_eq!(changes.len(), 3, "{changes:#?}");
    let first = changes.iter().find(|e| e["details"]["after"]["role"] == "township_staff").expect("first change");
    assert_eq!(first["target"], id.to_string());
    assert_eq!(first["details"]["before"], json!({"role": "resident", "region_code": null}));
    assert_eq!(first["details"]["after"], json!({"role": "township_staff", "region_code": common::TOWNSHIP}));

    // Only the bureau's admin assigns roles.
    let resident = app.login("13700000001", "steppe-wind-1").await;
    let resident_token = resident.body["token"].as_str().expect("token").to_owned();
    let refused = set_role(&app, &resident_token, id, json!({"role": "admin"})).await;
    assert_eq!(refused.status, Status::Forbidden);
}

/// The bureau always keeps an active admin: the last one can be neither demoted nor disabled,
/// whoever asks; with a second admin, either may go.
async fn the_last_active_admin_cannot_be_demoted_or_disabled(app: TestApp) {
    let admin = app.admin_token().await;
    let me = make_sole_admin(&app, &admin).await;

    let demoted = set_role(&app, &admin, me, json!({"role": "resident"})).await;
    assert_eq!(demoted.status, Status::Conflict, "{}", demoted.body);
    assert_eq!(demoted.error_code(), "last_admin");
    assert!(demoted.body["error"]["message"].as_str().unwrap_or_default().contains("管理员"));
    let scoped = set_role(&app, &admin, me, json!({"role": "township_staff", "region_code": common::TOWNSHIP})).await;
    assert_eq!(scoped.error_code(), "last_admin");
    let disabled = app.post(&format!("/api/v1/admin/users/{me}/disable"), json!(null), Some(&admin)).await;
    assert_eq!(disabled.status, Status::Conflict);
    assert_eq!(disabled.error_code(), "last_admin");
    assert_eq!(app.get("/api/v1/me", Some(&admin)).await.body["role"], "admin", "nothing changed");

    // A second admin, disabled, does not count as one.
    app.register("13700000002", "steppe-wind-1").await;
    let second = account_id(&app, &admin, "13700000002").await;
    assert_eq!(set_role(&app, &admin, second, json!({"role": "admin"})).await.status, Status::Ok);
    let off = app.post(&format!("/api/v1/admin/users/{second}/disable"), json!(null), Some(&admin)).await;
    assert_eq!(off.status, Status::NoContent);
    assert_eq!(set_role(&app, &admin, me, json!({"role": "resident"})).await.error_code(), "last_admin");

    // Enabled again, it is: now the first may step down, and then the second is the last.
    let on = app.post(&format!("/api/v1/admin/users/{second}/enable"), json!(null), Some(&admin)).await;
    assert_eq!(on.status, Status::NoContent);
    let second_token =
        app.login("13700000002", "steppe-wind-1").await.body["token"].as_str().expect("token").to_owned();
    let stepped_down = set_role(&app, &admin, me, json!({"role": "resident"})).await;
    assert_eq!(stepped_down.status, Status::Ok, "{}", stepped_down.body);
    let last = app.post(&format!("/api/v1/admin/users/{second}/disable"), json!(null), Some(&second_token)).await;
    assert_eq!(last.error_code(), "last_admin");
}

/// Two pufa processes (two account services over one database, each with its own turn) demoting
/// the only two admins at the same moment: one of them stays admin.
async fn two_processes_demoting_the_last_two_admins_at_once_leave_one(app: TestApp) {
    use pufa::accounts::{Accounts, LoginLimits, PasswordHasher, RoleAssignment};
    let admin = app.admin_token().await;
    let first = make_sole_admin(&app, &admin).await;
    app.register("13700000003", "steppe-wind-1").await;
    let second = account_id(&app, &admin, "13700000003").await;
    assert_eq!(set_role(&app, &admin, second, json!({"role": "admin"})).await.status, Status::Ok);

    let here = app.state::<Accounts>().clone();
    let live = pufa::store::LiveStore::connect(pufa::store::StoreMode::Memory, None, "other").await.expect("store");
    let limits =
        LoginLimits { per_phone: 5, per_address: 50, window_secs: 900, registrations_per_address_per_hour: 10 };
    let hasher = PasswordHasher::new(1).await.expect("hasher");
    let verification = pufa::accounts::Verification { codes: app.state::<pufa::sms::Codes>().clone(), required: false };
    let there = Accounts::new(
        app.db().clone(),
        hasher,
        live,
        here.regions().clone(),
        limits,
        chrono::Duration::days(1),
        verification,
    );
    let (a, b) = tokio::join!(
        here.set_role(second, &RoleAssignment::Resident),
        there.set_role(first, &RoleAssignment::Resident),
    );
    assert!(a.is_ok() || b.is_ok(), "one of them steps down: {a:?} {b:?}");
    let active_admins = pufa::db::entity::user::Entity::find()
        .filter(pufa::db::entity::user::Column::Role.eq("admin"))
        .filter(pufa::db::entity::user::Column::Disabled.eq(false))
        .all(app.db())
        .await
        .expect("admins");
    assert_eq!(active_admins.len(), 1, "exactly one active admin is left: {a:?} {b:?}");
}

on_every_database!(
    roles_carry_a_region_of_the_right_level,
    the_last_active_admin_cannot_be_demoted_or_disabled,
    two_processes_demoting_the_last_two_admins_at_once_leave_one,
);
