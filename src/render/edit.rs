//! Carrying out one edit on one element, and adding query parameters to links.

use lol_html::html_content::{ContentType, Element};

use crate::document::InsertPosition;
use crate::engine::{Edit, LinkRewrite};

/// Carries out one edit on one matched element.
pub(super) fn apply(edit: &Edit, el: &mut Element) {
    match edit {
        Edit::SetText(text) => el.set_inner_content(text, ContentType::Text),
        Edit::SetHtml(html) => el.set_inner_content(html, ContentType::Html),
        Edit::SetAttributes(pairs) => {
            for (name, value) in pairs {
                // Names were validated when the rules compiled; a refusal here changes nothing.
                let _ = el.set_attribute(name, value);
            }
        }
        Edit::RemoveAttributes(names) => names.iter().for_each(|n| el.remove_attribute(n)),
        Edit::AddClasses(add) => {
            let mut classes: Vec<String> = el
                .get_attribute("class")
                .map(|c| c.split_ascii_whitespace().map(str::to_owned).collect())
                .unwrap_or_default();
            for c in add {
                if !classes.contains(c) {
                    classes.push(c.clone());
                }
            }
            let _ = el.set_attribute("class", &classes.join(" "));
        }
        Edit::RemoveClasses(remove) => {
            if let Some(class) = el.get_attribute("class") {
                let kept: Vec<&str> = class
                    .split_ascii_whitespace()
                    .filter(|c| !remove.iter().any(|r| r == c))
                    .collect();
                let _ = el.set_attribute("class", &kept.join(" "));
            }
        }
        Edit::SetStyle(props) => {
            let existing = el.get_attribute("style").unwrap_or_default();
            let mut decls: Vec<(String, String)> = split_declarations(&existing)
                .into_iter()
                .filter_map(|d| d.split_once(':'))
                .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
                .filter(|(k, _)| !k.is_empty())
                .collect();
            for (prop, value) in props {
                match decls.iter_mut().find(|(k, _)| k == prop) {
                    Some(slot) => slot.1.clone_from(value),
                    None => decls.push((prop.clone(), value.clone())),
                }
            }
            let style: Vec<String> = decls.iter().map(|(k, v)| format!("{k}: {v}")).collect();
            let _ = el.set_attribute("style", &style.join("; "));
        }
        Edit::Insert {
            position,
            content,
            html,
        } => {
            let kind = if *html {
                ContentType::Html
            } else {
                ContentType::Text
            };
            match position {
                InsertPosition::Before => el.before(content, kind),
                InsertPosition::After => el.after(content, kind),
                InsertPosition::Prepend => el.prepend(content, kind),
                InsertPosition::Append => el.append(content, kind),
            }
        }
        Edit::Remove => el.remove(),
        Edit::Replace(html) => el.replace(html, ContentType::Html),
        Edit::Unwrap => el.remove_and_keep_content(),
    }
}

/// Splits an inline style at the `;` that end declarations, not those inside `url(...)` or quotes.
fn split_declarations(style: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut quote, mut start) = (0u32, None, 0);
    for (i, c) in style.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '(') => depth += 1,
            (None, ')') => depth = depth.saturating_sub(1),
            (None, ';') if depth == 0 => {
                parts.push(&style[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&style[start..]);
    parts
}

/// Adds the rewrites' query parameters to one link's `href`.
pub(super) fn rewrite_link(el: &mut Element, links: &[LinkRewrite]) {
    let Some(href) = el.get_attribute("href") else {
        return;
    };
    let mut url = href.clone();
    for link in links.iter().filter(|l| href.starts_with(&l.prefix)) {
        let (base, fragment) = match url.find('#') {
            Some(at) => (url[..at].to_owned(), url[at..].to_owned()),
            None => (url.clone(), String::new()),
        };
        let mut base = base;
        for (name, value) in &link.add_query {
            let query = base.split_once('?').map(|(_, q)| q).unwrap_or("");
            let present = query
                .split('&')
                .any(|pair| pair.split('=').next() == Some(name.as_str()));
            if !present {
                base.push(if base.contains('?') { '&' } else { '?' });
                base.push_str(name);
                base.push('=');
                base.push_str(value);
            }
        }
        url = base + &fragment;
    }
    if url != href {
        let _ = el.set_attribute("href", &url);
    }
}
