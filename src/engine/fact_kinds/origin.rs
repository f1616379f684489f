//! Where a file came from or sits: the scheme of its origin URL (`write_origin`), its origin's
//! referrer (`referrer_domain`), and whether it lies inside an unpacked archive or a mounted
//! volume (`write_container`). html-smuggling's conditions are read from its crepe program.

use clickchain_logic::{ExtClass, OriginKind};

use super::{atom, fmt_time, ms, with_needs, ChainView};
use crate::alert::FactAtom;

/// How an html-smuggling file can be smuggled, by its extension class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Smuggle {
    /// A payload: built in the page (a blob:, data: or about: origin).
    Payload,
    /// A page file: from an untrusted origin the lineage never reached, then opened.
    Markup,
    /// Neither (a macro document, or no class).
    Neither,
}

impl Smuggle {
    fn of(class: Option<ExtClass>) -> Smuggle {
        match class {
            Some(ExtClass::Markup) => Smuggle::Markup,
            Some(ExtClass::MacroDocument) | None => Smuggle::Neither,
            Some(_) => Smuggle::Payload,
        }
    }
}

/// Whether an origin of `kind` lets a payload be smuggled (an about: one with a referrer).
fn built_in_page(kind: OriginKind) -> bool {
    matches!(kind, OriginKind::Blob | OriginKind::Data | OriginKind::About)
}

fn smuggle(view: &ChainView<'_>) -> Smuggle {
    Smuggle::of(view.write().extension.as_deref().and_then(ExtClass::of))
}

/// The `write_origin` kind.
pub(super) fn write_origin(kind: &str, view: &ChainView<'_>) -> FactAtom {
    let w = view.write();
    let url = w.origin.as_ref().and_then(|o| o.url.as_deref());
    let scheme = OriginKind::of(url);
    let origin = url.map_or("the file has no origin URL".to_owned(), |u| {
        format!("the file's origin `{u}` is a {} URL", scheme.as_str())
    });
    let record = super::final_record(w).cloned();
    if view.rule != "html-smuggling" {
        return atom(kind, origin, true, record);
    }
    let needs = Some(
        "a blob:, data: or about: origin on a payload, or a markup file from an untrusted origin the lineage never \
         connected to (then opened)"
            .to_owned(),
    );
    let (fact, holds) = match smuggle(view) {
        Smuggle::Payload => {
            let about = if scheme == OriginKind::About { " (an about: origin counts with a referrer)" } else { "" };
            (format!("{origin}, on a payload{about}"), built_in_page(scheme))
        }
        Smuggle::Neither => (format!("{origin}, on a file that is neither a payload nor markup"), false),
        Smuggle::Markup => match w.origin_key.as_deref() {
            None => (format!("{origin}; the page file has no origin domain"), false),
            Some(key) if w.origin_trusted => (format!("{origin}, on the trusted domain `{key}`"), false),
            Some(key) => match view.egress_in_window().find(|e| *e.dest.key == *key) {
                Some(e) => (
                    format!("{origin}, on `{key}`, which the lineage connected to at {}", fmt_time(&ms(e.time))),
                    false,
                ),
                None => {
                    (format!("{origin}, on `{key}`, which the lineage did not connect to within time_window"), true)
                }
            },
        },
    };
    with_needs(atom(kind, fact, holds, record), needs)
}

/// The `referrer_domain` kind: html-smuggling needs a referrer on an about: origin.
pub(super) fn referrer_domain(kind: &str, view: &ChainView<'_>) -> FactAtom {
    let w = view.write();
    let referrer = w.origin.as_ref().and_then(|o| o.referrer.as_deref());
    let fact = match (&w.held.referrer_key, referrer) {
        (Some(key), Some(r)) => format!("the origin's referrer `{r}` is on `{key}`"),
        (Some(key), None) => format!("the origin's referrer is on `{key}`"),
        (None, _) => "the file's origin has no referrer".to_owned(),
    };
    let about = OriginKind::of(w.origin.as_ref().and_then(|o| o.url.as_deref())) == OriginKind::About;
    let needs = (view.rule == "html-smuggling" && about && smuggle(view) == Smuggle::Payload)
        .then(|| "a referrer on the about: origin (the page that built the payload)".to_owned());
    let holds = needs.is_none() || w.held.referrer_key.is_some();
    with_needs(atom(kind, fact, holds, super::final_record(w).cloned()), needs)
}

/// The `write_container` kind: where the file lies, as the container classifier sees it.
pub(super) fn write_container(kind: &str, view: &ChainView<'_>) -> FactAtom {
    let w = view.write();
    let fact = match crate::lower::container::location(view.profile.paths.os(), &w.norm) {
        Some(k) => format!("`{}` lies inside a container ({})", w.path, k.as_str()),
        None => format!("`{}` lies inside no unpacked archive or mounted volume", w.path),
    };
    atom(kind, fact, true, super::final_record(w).cloned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_payload_is_smuggled_by_its_origin_and_a_page_file_by_where_it_came_from() {
        assert_eq!(Smuggle::of(Some(ExtClass::Archive)), Smuggle::Payload);
        assert_eq!(Smuggle::of(Some(ExtClass::Shortcut)), Smuggle::Payload);
        assert_eq!(Smuggle::of(Some(ExtClass::Markup)), Smuggle::Markup);
        assert_eq!(Smuggle::of(Some(ExtClass::MacroDocument)), Smuggle::Neither);
        assert_eq!(Smuggle::of(None), Smuggle::Neither, "a .pdf has no class");
        assert!(built_in_page(OriginKind::Blob) && built_in_page(OriginKind::Data) && built_in_page(OriginKind::About));
        assert!(
            !built_in_page(OriginKind::Http) && !built_in_page(OriginKind::File) && !built_in_page(OriginKind::None)
        );
    }
}
