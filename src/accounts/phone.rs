//! A mainland China mobile number, parsed once at the edge; shown masked everywhere public.

use std::fmt;

/// 11 digits, `1[3-9]xxxxxxxxx`. The only way to build one is `Phone::parse`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Phone(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("手机号应为11位中国大陆手机号码")]
pub struct InvalidPhone;

impl Phone {
    /// Accepts what people type: spaces, dashes and a leading `+86`/`86` are dropped.
    pub fn parse(raw: &str) -> Result<Self, InvalidPhone> {
        let digits: String = raw.chars().filter(|c| !matches!(c, ' ' | '-' | '\u{3000}')).collect();
        let digits = digits.strip_prefix("+86").or_else(|| digits.strip_prefix("0086")).unwrap_or(&digits);
        let digits = if digits.len() == 13 { digits.strip_prefix("86").unwrap_or(digits) } else { digits };
        let bytes = digits.as_bytes();
        let valid = bytes.len() == 11
            && bytes[0] == b'1'
            && (b'3'..=b'9').contains(&bytes[1])
            && bytes.iter().all(u8::is_ascii_digit);
        if valid { Ok(Self(digits.to_owned())) } else { Err(InvalidPhone) }
    }

    /// A number for the first admin when the operator named none: `199` and eight random digits.
    /// It is printed once with the password, and the password must be changed at first sign-in.
    pub fn random_for_bootstrap() -> Self {
        use rand::RngExt;
        let mut rng = rand::rng();
        Self(format!("199{:08}", rng.random_range(0..100_000_000u32)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `138****5678`: what any public view shows.
    pub fn masked(&self) -> String {
        mask(&self.0)
    }
}

/// Masks a stored phone string; anything not 11 characters long is masked whole.
pub fn mask(phone: &str) -> String {
    if phone.len() == 11 && phone.is_ascii() {
        format!("{}****{}", &phone[..3], &phone[7..])
    } else {
        "***********".to_owned()
    }
}

// Debug must not leak the number into logs.
impl fmt::Debug for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Phone({})", self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_mainland_mobiles_as_people_type_them() {
        for raw in ["13812345678", "138 1234 5678", "138-1234-5678", "+8613812345678", "8613812345678"] {
            assert_eq!(Phone::parse(raw).map(|p| p.0), Ok("13812345678".to_owned()), "{raw}");
        }
    }

    #[test]
    fn refuses_what_is_not_a_mobile() {
        for raw in
            ["", "1381234567", "138123456789", "12812345678", "23812345678", "1381234567x", "１３８１２３４５６７８"]
        {
            assert_eq!(Phone::parse(raw), Err(InvalidPhone), "{raw}");
        }
    }

    #[test]
    fn masks_the_middle_four_digits() {
        let phone = Phone::parse("13812345678").expect("valid");
        assert_eq!(phone.masked(), "138****5678");
        assert!(!format!("{phone:?}").contains("1234"));
    }
}
