//! Citations in a question's `basis`: `民法典第1047条`, or another law's or a judicial
//! interpretation's `<short name>第N条`. The laws the shipped bank cites are known here with their
//! article counts, so a citation past a law's last article is refused; a clerk's file may cite
//! other laws too (checked for form only).

/// A law or judicial interpretation pufa knows by its short name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KnownLaw {
    /// As written in `basis`: `婚姻家庭编解释（一）`.
    pub short_name: &'static str,
    /// Its full title, with its document number where it has one.
    pub title: &'static str,
    /// How many articles it has.
    pub articles: u32,
}

/// Every law the shipped bank may cite. Article counts read from the texts themselves
/// (the Civil Code from shared/reference; the interpretations from their published texts).
pub const KNOWN_LAWS: &[KnownLaw] = &[
    KnownLaw { short_name: "民法典", title: "中华人民共和国民法典", articles: 1260 },
    KnownLaw {
        short_name: "总则编解释",
        title: "最高人民法院关于适用《中华人民共和国民法典》总则编若干问题的解释（法释〔2022〕6号）",
        articles: 39,
    },
    KnownLaw {
        short_name: "物权编解释（一）",
        title: "最高人民法院关于适用《中华人民共和国民法典》物权编的解释（一）（法释〔2020〕24号）",
        articles: 21,
    },
    KnownLaw {
        short_name: "建筑物区分所有权解释",
        title: "最高人民法院关于审理建筑物区分所有权纠纷案件适用法律若干问题的解释（2020年修正）",
        articles: 19,
    },
    KnownLaw {
        short_name: "合同编通则解释",
        title: "最高人民法院关于适用《中华人民共和国民法典》合同编通则若干问题的解释（法释〔2023〕13号）",
        articles: 69,
    },
    KnownLaw {
        short_name: "担保制度解释",
        title: "最高人民法院关于适用《中华人民共和国民法典》有关担保制度的解释（法释〔2020〕28号）",
        articles: 71,
    },
    KnownLaw {
        short_name: "民间借贷规定",
        title: "最高人民法院关于审理民间借贷案件适用法律若干问题的规定（2020年第二次修正）",
        articles: 31,
    },
    KnownLaw {
        short_name: "婚姻家庭编解释（一）",
        title: "最高人民法院关于适用《中华人民共和国民法典》婚姻家庭编的解释（一）（法释〔2020〕22号）",
        articles: 91,
    },
    KnownLaw {
        short_name: "婚姻家庭编解释（二）",
        title: "最高人民法院关于适用《中华人民共和国民法典》婚姻家庭编的解释（二）（法释〔2025〕1号）",
        articles: 23,
    },
    KnownLaw {
        short_name: "彩礼纠纷规定",
        title: "最高人民法院关于审理涉彩礼纠纷案件适用法律若干问题的规定（法释〔2024〕1号）",
        articles: 7,
    },
    KnownLaw {
        short_name: "继承编解释（一）",
        title: "最高人民法院关于适用《中华人民共和国民法典》继承编的解释（一）（法释〔2020〕23号）",
        articles: 45,
    },
    KnownLaw {
        short_name: "侵权责任编解释（一）",
        title: "最高人民法院关于适用《中华人民共和国民法典》侵权责任编的解释（一）（法释〔2024〕12号）",
        articles: 26,
    },
    KnownLaw {
        short_name: "人身损害赔偿解释",
        title: "最高人民法院关于审理人身损害赔偿案件适用法律若干问题的解释（2022年修正）",
        articles: 24,
    },
    KnownLaw {
        short_name: "农村土地承包法", title: "中华人民共和国农村土地承包法（2018年修正）", articles: 70
    },
    KnownLaw {
        short_name: "消费者权益保护法", title: "中华人民共和国消费者权益保护法（2013年修正）", articles: 63
    },
];

/// One citation: the law's short name and the article number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Citation {
    pub law: String,
    pub article: u32,
}

impl Citation {
    /// `民法典第1047条` → (民法典, 1047); article numbers in Arabic digits.
    pub fn parse(item: &str) -> Result<Self, String> {
        let bad = || format!("依据“{item}”格式不对，应写成 民法典第1047条");
        let rest = item.strip_suffix('条').ok_or_else(bad)?;
        let (law, number) = rest.rsplit_once('第').ok_or_else(bad)?;
        if law.is_empty()
            || law.chars().count() > 30
            || number.is_empty()
            || !number.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(bad());
        }
        let article: u32 = number.parse().map_err(|_| bad())?;
        if article == 0 {
            return Err(bad());
        }
        if let Some(known) = KnownLaw::named(law)
            && article > known.articles
        {
            return Err(format!("{law}只有{}条，没有第{article}条", known.articles));
        }
        Ok(Self { law: law.to_owned(), article })
    }

    /// The Civil Code article this cites, if it cites the Civil Code.
    pub fn civil_code_article(&self) -> Option<u32> {
        (self.law == "民法典").then_some(self.article)
    }
}

impl KnownLaw {
    pub fn named(short_name: &str) -> Option<&'static Self> {
        KNOWN_LAWS.iter().find(|law| law.short_name == short_name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn citations_parse_and_known_laws_are_bounded() {
        assert_eq!(Citation::parse("民法典第1047条").map(|c| c.civil_code_article()), Ok(Some(1047)));
        let c = Citation::parse("婚姻家庭编解释（一）第10条").expect("interpretation");
        assert_eq!((c.law.as_str(), c.article, c.civil_code_article()), ("婚姻家庭编解释（一）", 10, None));
        assert!(Citation::parse("民法典第1261条").is_err());
        assert!(Citation::parse("彩礼纠纷规定第8条").is_err());
        assert!(Citation::parse("刑法第264条").is_ok(), "a law pufa does not know is checked for form only");
        for bad in ["民法典1047条", "民法典第一千条", "第5条", "民法典第0条", "民法典第10"] {
            assert!(Citation::parse(bad).is_err(), "{bad}");
        }
    }
}
