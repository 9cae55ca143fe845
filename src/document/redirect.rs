//! Redirect safety: a rule can only send visitors to this site or to listed hosts.

use super::template::Template;

/// Refuses redirect targets that could send visitors off-site.
///
/// Allowed: a path on this site (`/sale`, not `//host` or `/\host`), or an `https://`/`http://`
/// URL whose host is listed in `settings.redirect_hosts`. The part before the first template
/// must settle this on its own, since request data cannot be trusted to.
pub(super) fn safe_redirect(to: &Template, allowed_hosts: &[String]) -> Result<(), String> {
    let literal = to.literal_prefix();
    if literal
        .chars()
        .any(|c| c.is_control() || c.is_whitespace() || c == '\\')
    {
        return Err(format!(
            "redirect target {literal:?} contains a backslash, a space or a control character"
        ));
    }
    if let Some(rest) = literal.strip_prefix('/') {
        if rest.starts_with('/') {
            return Err(format!(
                "redirect target {literal:?} starts with \"//\", which browsers read as another site; write a path like \"/sale\""
            ));
        }
        return Ok(());
    }
    let lower = literal.to_ascii_lowercase();
    let after_scheme = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"));
    let Some(after_scheme) = after_scheme else {
        return Err(format!(
            "redirect target {literal:?} must be a path like \"/sale\" or an http(s) URL of a host listed in settings.redirect_hosts"
        ));
    };
    let host_end = after_scheme.find(['/', '?', '#']);
    let Some(host_end) = host_end else {
        if to.is_dynamic() {
            return Err(format!(
                "redirect target {literal:?} must end its host with \"/\" before any {{{{template}}}}"
            ));
        }
        return check_host(after_scheme, allowed_hosts);
    };
    check_host(&after_scheme[..host_end], allowed_hosts)
}

fn check_host(authority: &str, allowed: &[String]) -> Result<(), String> {
    let host = authority.rsplit_once(':').map_or(authority, |(h, port)| {
        if port.bytes().all(|b| b.is_ascii_digit()) {
            h
        } else {
            authority
        }
    });
    if authority.contains('@') || !allowed.iter().any(|a| a == host) {
        return Err(format!(
            "redirect host {host:?} is not listed in settings.redirect_hosts; list it there to allow it"
        ));
    }
    Ok(())
}
