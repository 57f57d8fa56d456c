//! The region tree (旗 > 苏木镇 > 嘎查/村/社区) from question-bank/regions.toml, kept in SQL
//! (users reference it) and in memory (every user view names its region).

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, PoisonError, RwLock};

use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, DatabaseConnection, DbErr, EntityTrait, TransactionTrait};
use serde::{Deserialize, Serialize};

use crate::db::entity::region;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Banner,
    Township,
    Village,
}

impl Level {
    fn as_str(self) -> &'static str {
        match self {
            Self::Banner => "banner",
            Self::Township => "township",
            Self::Village => "village",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "banner" => Self::Banner,
            "township" => Self::Township,
            _ => Self::Village,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Region {
    pub code: String,
    pub name: String,
    pub level: Level,
    pub parent: Option<String>,
    pub residents: u32,
    pub active: bool,
    children: Vec<String>,
}

/// Public tree node, as `GET /api/v1/regions` shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RegionNode {
    pub code: String,
    pub name: String,
    pub level: Level,
    pub residents: u32,
    #[schema(no_recursion)]
    pub children: Vec<RegionNode>,
}

/// `{code, name}` as a user view names a region.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct RegionRef {
    pub code: String,
    pub name: String,
}

#[derive(Debug, Default)]
struct Tree {
    by_code: HashMap<String, Region>,
    roots: Vec<String>,
}

/// The in-memory region tree; cheap to clone, refreshed by `load`.
#[derive(Clone, Default)]
pub struct Regions {
    tree: Arc<RwLock<Tree>>,
}

#[derive(Debug, thiserror::Error)]
pub enum RegionsError {
    #[error("cannot read {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
    #[error(transparent)]
    Db(#[from] DbErr),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RegionsFile {
    banner: Entry,
    #[serde(default)]
    townships: Vec<TownshipEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    code: String,
    name: String,
    #[serde(default)]
    residents: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TownshipEntry {
    code: String,
    name: String,
    #[serde(default)]
    villages: Vec<Entry>,
}

impl Regions {
    /// Reads the file, upserts every region (never deleting one: users keep theirs), marks
    /// regions the file no longer lists inactive, and refreshes the in-memory tree.
    pub async fn load(&self, db: &DatabaseConnection, path: &Path) -> Result<(), RegionsError> {
        let shown = path.display().to_string();
        let text =
            std::fs::read_to_string(path).map_err(|source| RegionsError::Read { path: shown.clone(), source })?;
        let file: RegionsFile =
            toml::from_str(&text).map_err(|e| RegionsError::Invalid { path: shown.clone(), message: e.to_string() })?;
        let rows = flatten(file).map_err(|message| RegionsError::Invalid { path: shown, message })?;
        let listed: std::collections::HashSet<String> = rows.iter().map(|r| r.code.clone()).collect();

        let txn = db.begin().await?;
        for (position, row) in rows.iter().enumerate() {
            let model = region::ActiveModel {
                code: Set(row.code.clone()),
                name: Set(row.name.clone()),
                level: Set(row.level.as_str().to_owned()),
                parent_code: Set(row.parent.clone()),
                residents: Set(i32::try_from(row.residents).unwrap_or(i32::MAX)),
                position: Set(i32::try_from(position).unwrap_or(i32::MAX)),
                active: Set(true),
            };
            region::Entity::insert(model)
                .on_conflict(
                    OnConflict::column(region::Column::Code)
                        .update_columns([
                            region::Column::Name,
                            region::Column::Level,
                            region::Column::ParentCode,
                            region::Column::Residents,
                            region::Column::Position,
                            region::Column::Active,
                        ])
                        .to_owned(),
                )
                .exec(&txn)
                .await?;
        }
        let stored = region::Entity::find().all(&txn).await?;
        for row in stored.iter().filter(|r| r.active && !listed.contains(&r.code)) {
            let mut model: region::ActiveModel = row.clone().into();
            model.active = Set(false);
            region::Entity::update(model).exec(&txn).await?;
        }
        txn.commit().await?;
        self.refresh(db).await
    }

    /// Rebuilds the in-memory tree from SQL.
    pub async fn refresh(&self, db: &DatabaseConnection) -> Result<(), RegionsError> {
        let mut rows = region::Entity::find().all(db).await?;
        rows.sort_by_key(|r| r.position);
        let mut tree = Tree::default();
        for row in &rows {
            tree.by_code.insert(
                row.code.clone(),
                Region {
                    code: row.code.clone(),
                    name: row.name.clone(),
                    level: Level::parse(&row.level),
                    parent: row.parent_code.clone(),
                    residents: u32::try_from(row.residents).unwrap_or(0),
                    active: row.active,
                    children: Vec::new(),
                },
            );
        }
        for row in &rows {
            match row.parent_code.as_ref().and_then(|p| tree.by_code.get_mut(p)) {
                Some(parent) => parent.children.push(row.code.clone()),
                None => tree.roots.push(row.code.clone()),
            }
        }
        *self.tree.write().unwrap_or_else(PoisonError::into_inner) = tree;
        Ok(())
    }

    pub fn get(&self, code: &str) -> Option<Region> {
        self.tree.read().unwrap_or_else(PoisonError::into_inner).by_code.get(code).cloned()
    }

    /// `{code, name}` for a user view; a code missing from the tree shows as itself.
    pub fn reference(&self, code: &str) -> RegionRef {
        let name = self.get(code).map_or_else(|| code.to_owned(), |r| r.name);
        RegionRef { code: code.to_owned(), name }
    }

    /// The first root (the banner): where staff accounts are placed.
    pub fn root_code(&self) -> Option<String> {
        self.tree.read().unwrap_or_else(PoisonError::into_inner).roots.first().cloned()
    }

    /// A region a resident may register in: an active village, community or 嘎查.
    pub fn village_for_registration(&self, code: &str) -> Option<Region> {
        self.get(code).filter(|r| r.active && r.level == Level::Village)
    }

    /// The active tree, in file order.
    pub fn tree(&self) -> Vec<RegionNode> {
        let tree = self.tree.read().unwrap_or_else(PoisonError::into_inner);
        fn node(tree: &Tree, code: &str) -> Option<RegionNode> {
            let region = tree.by_code.get(code).filter(|r| r.active)?;
            let children: Vec<RegionNode> = region.children.iter().filter_map(|c| node(tree, c)).collect();
            let residents =
                if children.is_empty() { region.residents } else { children.iter().map(|c| c.residents).sum() };
            Some(RegionNode {
                code: region.code.clone(),
                name: region.name.clone(),
                level: region.level,
                residents,
                children,
            })
        }
        tree.roots.iter().filter_map(|code| node(&tree, code)).collect()
    }
}

struct Row {
    code: String,
    name: String,
    level: Level,
    parent: Option<String>,
    residents: u32,
}

fn flatten(file: RegionsFile) -> Result<Vec<Row>, String> {
    let mut rows = vec![Row {
        code: file.banner.code.clone(),
        name: file.banner.name,
        level: Level::Banner,
        parent: None,
        residents: file.banner.residents,
    }];
    for township in file.townships {
        rows.push(Row {
            code: township.code.clone(),
            name: township.name,
            level: Level::Township,
            parent: Some(file.banner.code.clone()),
            residents: 0,
        });
        for village in township.villages {
            rows.push(Row {
                code: village.code,
                name: village.name,
                level: Level::Village,
                parent: Some(township.code.clone()),
                residents: village.residents,
            });
        }
    }
    let mut seen = std::collections::HashSet::new();
    for row in &rows {
        if row.code.is_empty() || row.code.len() > 32 || row.name.trim().is_empty() {
            return Err(format!("region {:?} needs a code (≤ 32 characters) and a name", row.code));
        }
        if !seen.insert(row.code.clone()) {
            return Err(format!("region code {} appears twice", row.code));
        }
    }
    Ok(rows)
}
