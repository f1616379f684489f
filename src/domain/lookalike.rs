//! Lookalike (homograph) names: a punycode label that decodes to letters of several scripts, or
//! whose confusable skeleton spells a well-known brand (`docs/design.md` "Domain risk").
//!
//! The script and confusable tables are deliberately small: the Latin, Greek and Cyrillic
//! letters that phishing kits actually swap, Latin letters with diacritics folded to their base,
//! and coarse blocks for the other scripts. Han, Hiragana, Katakana, Hangul and Bopomofo mix with
//! each other and with Latin in real names (Japanese, Chinese, Korean), so together they count as
//! one script.

use std::collections::BTreeSet;

use super::psl::DomainName;

/// A script, as coarse as the mixed-script check needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Script {
    Latin,
    Greek,
    Cyrillic,
    Armenian,
    Hebrew,
    Arabic,
    Indic,
    Thai,
    Georgian,
    /// Han, Kana, Hangul, Bopomofo: mixed freely in real names.
    EastAsian,
    Other,
}

/// The script of a letter; `None` for digits, `-` and other characters of no script.
fn script(c: char) -> Option<Script> {
    let cp = u32::from(c);
    Some(match cp {
        0x30..=0x39 | 0x2d | 0x5f => return None,
        0x61..=0x7a | 0x41..=0x5a | 0xc0..=0x24f | 0x1e00..=0x1eff => Script::Latin,
        0x370..=0x3ff | 0x1f00..=0x1fff => Script::Greek,
        0x400..=0x52f | 0x2de0..=0x2dff | 0xa640..=0xa69f => Script::Cyrillic,
        0x530..=0x58f => Script::Armenian,
        0x590..=0x5ff => Script::Hebrew,
        0x600..=0x6ff | 0x750..=0x77f => Script::Arabic,
        0x900..=0xdff => Script::Indic,
        0xe00..=0xe7f => Script::Thai,
        0x10a0..=0x10ff => Script::Georgian,
        0x1100..=0x11ff
        | 0x3040..=0x30ff
        | 0x3100..=0x312f
        | 0x3130..=0x318f
        | 0x31f0..=0x31ff
        | 0x3400..=0x4dbf
        | 0x4e00..=0x9fff
        | 0xac00..=0xd7af
        | 0xf900..=0xfaff
        | 0x20000..=0x3ffff => Script::EastAsian,
        // Combining marks and the like carry no script of their own.
        0x300..=0x36f | 0x3000..=0x303f => return None,
        _ => Script::Other,
    })
}

/// Whether the letters of `label` (decoded Unicode) come from more than one script; Latin
/// mixed with East Asian scripts is normal (`ソニー銀行`, `abc日本`) and does not count.
pub(crate) fn is_mixed_script(label: &str) -> bool {
    let scripts: BTreeSet<Script> = label.chars().filter_map(script).collect();
    let without_latin_cjk = scripts.iter().filter(|s| !matches!(s, Script::Latin | Script::EastAsian)).count();
    let latin_or_cjk = scripts.iter().any(|s| matches!(s, Script::Latin | Script::EastAsian));
    without_latin_cjk >= 2 || (without_latin_cjk == 1 && latin_or_cjk)
}

/// The Latin letter (or letters) a character is read as, for the confusables the table knows.
fn fold(c: char) -> Option<&'static str> {
    Some(match c {
        // Cyrillic.
        'а' | 'ӓ' => "a",
        'в' => "b",
        'с' | 'ҫ' => "c",
        'ԁ' => "d",
        'е' | 'ё' | 'ҽ' => "e",
        'һ' | 'н' => "h",
        'і' | 'ї' | 'ӏ' => "i",
        'ј' => "j",
        'к' | 'ҟ' => "k",
        'м' => "m",
        'о' | 'ӧ' => "o",
        'р' => "p",
        'ԛ' => "q",
        'г' => "r",
        'ѕ' => "s",
        'т' => "t",
        'у' | 'ү' => "y",
        'ԝ' | 'ѡ' => "w",
        'х' | 'ҳ' => "x",
        // Greek.
        'α' | 'ά' => "a",
        'β' => "b",
        'ε' | 'έ' => "e",
        'η' => "n",
        'ι' | 'ί' | 'ϊ' => "i",
        'κ' => "k",
        'ν' => "v",
        'ο' | 'ό' => "o",
        'ρ' => "p",
        'τ' => "t",
        'υ' | 'ύ' => "u",
        'χ' => "x",
        'γ' => "y",
        // Latin with diacritics, and lookalike letters.
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' | 'ạ' => "a",
        'ç' | 'ć' | 'ĉ' | 'ċ' | 'č' => "c",
        'ď' | 'đ' => "d",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' | 'ẹ' => "e",
        'ĝ' | 'ğ' | 'ġ' | 'ģ' | 'ɡ' => "g",
        'ĥ' | 'ħ' => "h",
        'ì' | 'í' | 'î' | 'ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' | 'ı' | 'ị' => "i",
        'ĵ' => "j",
        'ķ' => "k",
        'ĺ' | 'ļ' | 'ľ' | 'ŀ' | 'ł' | 'ɩ' => "l",
        'ñ' | 'ń' | 'ņ' | 'ň' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ŏ' | 'ő' | 'ọ' => "o",
        'ŕ' | 'ŗ' | 'ř' => "r",
        'ś' | 'ŝ' | 'ş' | 'š' => "s",
        'ţ' | 'ť' | 'ŧ' => "t",
        'ù' | 'ú' | 'û' | 'ü' | 'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' | 'ụ' => "u",
        'ŵ' => "w",
        'ý' | 'ÿ' | 'ŷ' => "y",
        'ź' | 'ż' | 'ž' => "z",
        'ß' => "ss",
        // Digits read as letters.
        '0' => "o",
        '1' => "l",
        _ => return None,
    })
}

/// The confusable skeleton of `label`: every known confusable folded to Latin, `l` and `i`
/// merged (`paypaI`, `paypa1`), `rn` read as `m`, hyphens dropped.
pub(crate) fn skeleton(label: &str) -> String {
    let mut out = String::with_capacity(label.len());
    for c in label.chars() {
        match fold(c) {
            Some(s) => out.push_str(s),
            None if c == '-' => {}
            None => out.extend(c.to_lowercase()),
        }
    }
    out.replace("rn", "m").replace('i', "l")
}

/// A brand's skeleton is only looked for inside a longer label when it has at least this many
/// letters (short brands would match ordinary words).
const MIN_BRAND_IN_LABEL: usize = 5;

/// What the lookalike check found in a name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Lookalike {
    /// A punycode label mixes scripts.
    pub mixed_script: bool,
    /// The brand a punycode label imitates (its skeleton).
    pub brand: Option<String>,
}

/// Brand skeletons, precomputed from the `lookalike_brands` setting.
#[derive(Debug, Clone, Default)]
pub(crate) struct Brands {
    skeletons: Vec<(String, String)>,
}

impl Brands {
    /// The brands (normalised lowercase ASCII names) with their skeletons.
    pub fn new(brands: &[String]) -> Brands {
        Brands { skeletons: brands.iter().map(|b| (b.clone(), skeleton(b))).collect() }
    }

    /// Checks each punycode label of `name` left of its public suffix.
    pub fn check(&self, name: &DomainName) -> Lookalike {
        let mut found = Lookalike::default();
        let own = name.name.len().saturating_sub(name.suffix.len() + 1);
        let Some(head) = name.name.get(..own) else { return found };
        for label in head.split('.').filter(|l| l.starts_with("xn--")) {
            let Some(decoded) = label.get(4..).and_then(idna::punycode::decode_to_string) else { continue };
            found.mixed_script |= is_mixed_script(&decoded);
            if found.brand.is_none() {
                found.brand = self.imitated(&decoded);
            }
        }
        found
    }

    /// The brand whose skeleton the decoded label's skeleton is, or contains.
    fn imitated(&self, decoded: &str) -> Option<String> {
        let sk = skeleton(decoded);
        self.skeletons
            .iter()
            .find(|(_, b)| !b.is_empty() && (sk == *b || (b.len() >= MIN_BRAND_IN_LABEL && sk.contains(b.as_str()))))
            .map(|(brand, _)| brand.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Psl;

    fn brands() -> Brands {
        Brands::new(&["microsoft".into(), "apple".into(), "paypal".into(), "google".into()])
    }

    fn check(name: &str) -> Lookalike {
        brands().check(&Psl::vendored().parse(name).unwrap())
    }

    #[test]
    fn scripts_mix_only_across_alphabets() {
        assert!(is_mixed_script("pаypal"), "Latin with a Cyrillic а");
        assert!(is_mixed_script("αpple"), "Greek with Latin");
        assert!(is_mixed_script("приmer"));
        assert!(!is_mixed_script("münchen"));
        assert!(!is_mixed_script("яндекс"));
        assert!(!is_mixed_script("ソニー銀行"));
        assert!(!is_mixed_script("abc日本"));
        assert!(!is_mixed_script("ελληνικά"));
        assert!(is_mixed_script("ελληνικά中文яндекс"));
    }

    #[test]
    fn skeletons_fold_confusables() {
        assert_eq!(skeleton("аррӏе"), skeleton("apple"));
        assert_eq!(skeleton("раураl"), skeleton("paypal"));
        assert_eq!(skeleton("micrоsоft"), skeleton("microsoft"));
        assert_eq!(skeleton("rnicrosoft"), skeleton("microsoft"));
        assert_eq!(skeleton("paypa1"), skeleton("paypal"));
        assert_eq!(skeleton("gооgle-login"), "googlelogln");
        assert_eq!(skeleton("münchen"), "munchen");
    }

    #[test]
    fn mixed_script_punycode_is_a_lookalike() {
        // "pаypal" with a Cyrillic а.
        let l = check("www.xn--pypal-4ve.com");
        assert!(l.mixed_script);
        assert_eq!(l.brand.as_deref(), Some("paypal"));
    }

    #[test]
    fn whole_script_cyrillic_brand_is_a_lookalike() {
        // "аррӏе" (all Cyrillic): one script, but it spells apple.
        let l = check("xn--80ak6aa92e.com");
        assert!(!l.mixed_script);
        assert_eq!(l.brand.as_deref(), Some("apple"));
        // A brand inside a longer label.
        let l = check(&format!("{}.net", idna::domain_to_ascii("gооgle-login").unwrap()));
        assert_eq!(l.brand.as_deref(), Some("google"));
    }

    #[test]
    fn unicode_names_are_checked_as_their_punycode() {
        // A DNS answer or URL may carry the Unicode form; parsing converts it to punycode.
        let l = check("login.раураl.com");
        assert_eq!(l.brand.as_deref(), Some("paypal"));
        let l = check("www.micrоsоft-support.net");
        assert!(l.mixed_script);
        assert_eq!(l.brand.as_deref(), Some("microsoft"));
        // Greek omicron among Latin letters.
        assert!(check("gοogle.com").mixed_script);
    }

    #[test]
    fn legitimate_single_script_names_are_not_lookalikes() {
        for name in ["münchen.de", "bücher.de", "日本語.jp", "ソニー銀行.jp", "пример.рф", "яндекс.рф", "παράδειγμα.gr"]
        {
            let ascii = idna::domain_to_ascii(name).unwrap();
            assert_eq!(check(&ascii), Lookalike::default(), "{name} ({ascii})");
        }
        // ASCII names are not decoded at all (the lexical checks see them).
        assert_eq!(check("paypal.com"), Lookalike::default());
        // A punycode public suffix (.рф) is not looked at.
        assert_eq!(check("xn--p1ai"), Lookalike::default());
    }
}
