//! A resident's rights over their data (个人信息保护法 第45、47条): an export of every row stored
//! about them, and erasure. Erasure overwrites the phone, name and password and ends every sign-in
//! (`accounts`), deletes what only served the person (the mistake book, daily answers, 你点我讲
//! requests), keeps the quiz sessions, anonymous, so campaign statistics stay true, and rebuilds
//! the boards of every campaign they took part in without them. A published prize record keeps only what it already
//! showed (a nickname and a masked phone).

use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, QueryFilter, QuerySelect,
};
use serde::Serialize;
use serde_json::Value;

use crate::accounts::{AccountError, Accounts, Role};
use crate::db::entity::{
    audit_entry, auth_token, daily_answer, lesson_request, mistake, quiz_session, session_question, user,
};
use crate::quiz::{Quiz, QuizError};
use crate::scores::ScoresError;

#[derive(Debug, thiserror::Error)]
pub enum PrivacyError {
    #[error(transparent)]
    Account(#[from] AccountError),
    #[error(transparent)]
    Quiz(#[from] QuizError),
    #[error(transparent)]
    Scores(#[from] ScoresError),
    #[error(transparent)]
    Db(#[from] DbErr),
    /// Staff accounts are removed by another admin, never by themselves (the bureau must not lose
    /// its last admin to a click).
    #[error("工作人员账号不能自行注销")]
    StaffAccount,
}

/// Everything stored about one resident, table by table, as the database holds it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DataExport {
    pub exported_at: chrono::DateTime<chrono::Utc>,
    /// The account; the password's hash is left out (it is not the password, and of no use to anyone).
    #[schema(value_type = Object)]
    pub account: Value,
    /// Sign-ins: when each began and ends (tokens are stored only as hashes, not exported).
    #[schema(value_type = Vec<Object>)]
    pub sign_ins: Vec<Value>,
    /// Every quiz attempt, each with its drawn questions and the answers given.
    #[schema(value_type = Vec<Object>)]
    pub quiz_sessions: Vec<Value>,
    #[schema(value_type = Vec<Object>)]
    pub mistakes: Vec<Value>,
    #[schema(value_type = Vec<Object>)]
    pub daily_answers: Vec<Value>,
    /// 你点我讲: the topics asked for, and what became of them.
    #[schema(value_type = Vec<Object>)]
    pub lesson_requests: Vec<Value>,
    /// Staff actions on this account (a password reset, a disabling), from the audit log.
    #[schema(value_type = Vec<Object>)]
    pub audit_entries: Vec<Value>,
}

/// What an erasure did.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Erasure {
    pub sessions_kept_anonymous: u64,
    pub boards_rebuilt: Vec<String>,
}

#[derive(Clone)]
pub struct Privacy {
    db: DatabaseConnection,
    accounts: Accounts,
    quiz: Quiz,
}

impl Privacy {
    pub fn new(db: DatabaseConnection, accounts: Accounts, quiz: Quiz) -> Self {
        Self { db, accounts, quiz }
    }

    /// Every row stored about `user_id`.
    pub async fn export(&self, user_id: i64) -> Result<DataExport, PrivacyError> {
        let db = &self.db;
        let mut account =
            user::Entity::find_by_id(user_id).into_json().one(db).await?.ok_or(AccountError::NoSuchUser)?;
        if let Some(fields) = account.as_object_mut() {
            fields.remove("password_hash");
        }
        let sign_ins = auth_token::Entity::find()
            .select_only()
            .column(auth_token::Column::CreatedAt)
            .column(auth_token::Column::ExpiresAt)
            .filter(auth_token::Column::UserId.eq(user_id))
            .into_json()
            .all(db)
            .await?;
        let mut quiz_sessions =
            quiz_session::Entity::find().filter(quiz_session::Column::UserId.eq(user_id)).into_json().all(db).await?;
        let ids: Vec<String> = quiz_sessions.iter().filter_map(|s| s["id"].as_str().map(str::to_owned)).collect();
        let questions = session_question::Entity::find()
            .filter(session_question::Column::SessionId.is_in(ids))
            .into_json()
            .all(db)
            .await?;
        for session in &mut quiz_sessions {
            let id = session["id"].clone();
            let drawn: Vec<Value> = questions.iter().filter(|q| q["session_id"] == id).cloned().collect();
            session["questions"] = Value::Array(drawn);
        }
        let mistakes = mistake::Entity::find().filter(mistake::Column::UserId.eq(user_id)).into_json().all(db).await?;
        let daily_answers =
            daily_answer::Entity::find().filter(daily_answer::Column::UserId.eq(user_id)).into_json().all(db).await?;
        let lesson_requests = lesson_request::Entity::find()
            .filter(lesson_request::Column::UserId.eq(user_id))
            .into_json()
            .all(db)
            .await?;
        let audit_entries = audit_entry::Entity::find()
            .filter(audit_entry::Column::Target.eq(user_id.to_string()))
            .filter(audit_entry::Column::Action.starts_with("account."))
            .into_json()
            .all(db)
            .await?;
        Ok(DataExport {
            exported_at: chrono::Utc::now(),
            account,
            sign_ins,
            quiz_sessions,
            mistakes,
            daily_answers,
            lesson_requests,
            audit_entries,
        })
    }

    /// Erases `user_id` (see the module docs). Answers a second call the same way.
    pub async fn erase(&self, user_id: i64) -> Result<Erasure, PrivacyError> {
        let row = user::Entity::find_by_id(user_id).one(&self.db).await?.ok_or(AccountError::NoSuchUser)?;
        if Role::from_stored(&row.role).is_staff() {
            return Err(PrivacyError::StaffAccount);
        }
        self.accounts.erase(user_id).await?;
        mistake::Entity::delete_many().filter(mistake::Column::UserId.eq(user_id)).exec(&self.db).await?;
        daily_answer::Entity::delete_many().filter(daily_answer::Column::UserId.eq(user_id)).exec(&self.db).await?;
        // A topic may name the person's own affairs: it goes with them.
        lesson_request::Entity::delete_many().filter(lesson_request::Column::UserId.eq(user_id)).exec(&self.db).await?;
        let sessions =
            quiz_session::Entity::find().filter(quiz_session::Column::UserId.eq(user_id)).all(&self.db).await?;
        let mut boards_rebuilt = Vec::new();
        for scoring in self.quiz.published_scorings().await? {
            if sessions.iter().any(|s| s.campaign_id == scoring.id) {
                // Boards are built from SQL without erased accounts (`scores::finished_sessions`).
                self.quiz.scores().forget_user(user_id);
                self.quiz.scores().rebuild(&scoring).await?;
                boards_rebuilt.push(scoring.slug);
            }
        }
        self.scrub_sqlite().await;
        Ok(Erasure { sessions_kept_anonymous: sessions.len() as u64, boards_rebuilt })
    }

    /// SQLite keeps old page images in its write-ahead log until a checkpoint; with
    /// `secure_delete` on (see `db::connect`) freed space is zeroed, and a checkpoint that truncates
    /// the log leaves the erased fields nowhere in the files. Best effort: a long reader elsewhere
    /// may delay it to the next automatic checkpoint.
    async fn scrub_sqlite(&self) {
        if self.db.get_database_backend() == DbBackend::Sqlite
            && let Err(e) = self.db.execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)").await
        {
            tracing::warn!(error = %e, "checkpoint after an erasure failed; the next one will do");
        }
    }
}
