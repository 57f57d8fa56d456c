//! A mainland China mobile number, parsed once at the edge; shown masked everywhere public. The
//! number itself is the SMS module's `MobileNumber` (the module below accounts that sends codes to
//! it); this type adds what people type around it.

use std::fmt;

use crate::sms::MobileNumber;

/// 11 digits, `1[3-9]xxxxxxxxx`. The only way to build one is `Phone::parse`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Phone(MobileNumber);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("手机号应为11位中国大陆手机号码")]
pub struct InvalidPhone;

impl Phone {
    /// Accepts what people type: spaces, dashes and a leading `+86`/`86` are dropped.
    pub fn parse(raw: &str) -> Result<Self, InvalidPhone> {
        let digits: String = raw.chars().filter(|c| !matches!(c, ' ' | '-' | '\u{3000}')).collect();
        let digits = digits.strip_prefix("+86").or_else(|| digits.strip_prefix("0086")).unwrap_or(&digits);
        let digits = if digits.len() == 13 { digits.strip_prefix("86").unwrap_or(digits) } else { digits };
        MobileNumber::parse(digits).map(Self).map_err(|_| InvalidPhone)
    }

    /// A number for the first admin when the operator named none: `199` and eight random digits.
    /// It is printed once with the password, and the password must be changed at first sign-in.
    pub fn random_for_bootstrap() -> Self {
        use rand::RngExt;
        let mut rng = rand::rng();
        loop {
            // Always a mobile number; the loop only satisfies the type.
            if let Ok(number) = MobileNumber::parse(&format!("199{:08}", rng.random_range(0..100_000_000u32))) {
                return Self(number);
            }
        }
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The number as the SMS module sends to it.
    pub fn mobile(&self) -> &MobileNumber {
        &self.0
    }

    /// `138****5678`: what any public view shows.
    pub fn masked(&self) -> String {
        self.0.masked()
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
            assert_eq!(Phone::parse(raw).map(|p| p.as_str().to_owned()), Ok("13812345678".to_owned()), "{raw}");
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
