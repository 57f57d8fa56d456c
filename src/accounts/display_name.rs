//! A nickname shown on the boards. A resident's may not pretend to be staff, and may hold no
//! invisible or direction-changing characters (which can make one name look like another, or turn
//! the text around it).

/// 1–20 characters after trimming, no control, format, bidi or zero-width characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidDisplayName {
    #[error("昵称应为1到20个字")]
    Length,
    #[error("昵称里不能有看不见的字符或控制字符")]
    Invisible,
    #[error("昵称不能含有“{0}”，以免被当成工作人员")]
    LooksLikeStaff(&'static str),
}

/// Words only the bureau's own accounts may carry in a name.
const STAFF_WORDS: [&str; 6] = ["管理员", "司法局", "司法所", "客服", "官方", "工作人员"];

/// Characters that are invisible or change the direction of text: the Unicode format category
/// (bidi embeddings and isolates, zero-width joiners and spaces, the BOM, soft hyphen…) and
/// control characters.
fn invisible(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{00AD}' | '\u{061C}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{206F}' | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}'
            | '\u{1D173}'..='\u{1D17A}' | '\u{E0001}' | '\u{E0020}'..='\u{E007F}')
}

impl DisplayName {
    /// A resident's nickname.
    pub fn parse(raw: &str) -> Result<Self, InvalidDisplayName> {
        let name = Self::for_staff(raw)?;
        // Compared without spaces and in NFKC-free simple form: full-width spaces are trimmed too.
        let compact: String = name.0.chars().filter(|c| !c.is_whitespace()).collect();
        if let Some(word) = STAFF_WORDS.iter().find(|w| compact.contains(*w)) {
            return Err(InvalidDisplayName::LooksLikeStaff(word));
        }
        Ok(name)
    }

    /// A staff account's name (created by an admin or the command line), which may say what it is.
    pub fn for_staff(raw: &str) -> Result<Self, InvalidDisplayName> {
        let name = raw.trim();
        if name.chars().any(invisible) {
            return Err(InvalidDisplayName::Invisible);
        }
        if !(1..=20).contains(&name.chars().count()) {
            return Err(InvalidDisplayName::Length);
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_hide_characters_or_pose_as_staff_are_refused() {
        assert!(DisplayName::parse("巴特尔").is_ok());
        assert!(DisplayName::parse(" 乌云 ").is_ok_and(|n| n.as_str() == "乌云"));
        for hidden in ["巴特\u{200B}尔", "\u{202E}尔特巴", "乌\u{2066}云", "a\u{FEFF}b", "x\u{0007}"] {
            assert_eq!(DisplayName::parse(hidden), Err(InvalidDisplayName::Invisible), "{hidden:?}");
        }
        for staff in ["管理员", "司法局小王", "官方 客服", "司 法 局"] {
            assert!(matches!(DisplayName::parse(staff), Err(InvalidDisplayName::LooksLikeStaff(_))), "{staff}");
        }
        assert!(DisplayName::for_staff("司法局管理员").is_ok());
        assert_eq!(DisplayName::parse(""), Err(InvalidDisplayName::Length));
        assert_eq!(DisplayName::parse(&"长".repeat(21)), Err(InvalidDisplayName::Length));
    }
}
