//! Pages in legacy encodings: text a rule inserts comes out in the page's own encoding, bytes
//! no rule touches stay exactly as the origin sent them, and encodings the rewriter cannot read
//! (UTF-16, ISO-2022-JP) or a byte-order mark that contradicts the declared charset pass the
//! page through untouched. Each page is fed whole and in 1-byte chunks.

use serde_json::json;
use veneer::{Plan, StreamRewriter, Visit, compile, decide};

fn plan(actions: serde_json::Value) -> Plan {
    let rules = compile(&json!({"rules": [{"id": "e", "actions": actions}]}).to_string()).unwrap();
    assert_eq!(rules.problems, []);
    let attrs = json!({});
    decide(
        &rules,
        &Visit::new(&attrs, "/", chrono::DateTime::UNIX_EPOCH),
        false,
    )
    .plan
}

/// The page rewritten whole and in 1-byte chunks (which must agree), and the failure if any.
fn rewrite(plan: &Plan, charset: Option<&str>, page: &[u8]) -> (Vec<u8>, Option<String>) {
    let mut whole = StreamRewriter::new(plan, charset);
    let mut out = whole.write(page);
    out.extend(whole.end());
    let mut bytes = StreamRewriter::new(plan, charset);
    let mut split = Vec::new();
    for b in page {
        split.extend(bytes.write(std::slice::from_ref(b)));
    }
    split.extend(bytes.end());
    assert_eq!(out, split, "1-byte chunks changed the output");
    assert_eq!(whole.failure(), bytes.failure());
    (out, whole.failure().map(str::to_owned))
}

fn encode(label: &str, text: &str) -> Vec<u8> {
    let encoding = encoding_rs::Encoding::for_label(label.as_bytes()).unwrap();
    let (bytes, _, unmappable) = encoding.encode(text);
    assert!(!unmappable, "{text} in {label}");
    bytes.into_owned()
}

#[test]
fn inserted_text_is_written_in_the_pages_encoding() {
    let p = plan(
        json!([{"select": "h1", "set_text": "Grüße für 5 €"}, {"select": "p", "append": "<i>¡Olé!</i>"}]),
    );
    for (label, via_header) in [
        ("windows-1252", true),
        ("iso-8859-1", true),
        ("iso-8859-15", true),
        ("windows-1254", true),
        ("windows-1252", false),
    ] {
        let meta = if via_header {
            String::new()
        } else {
            format!("<meta charset={label}>")
        };
        let page = encode(
            label,
            &format!("{meta}<h1>Hello</h1><p>Café crème</p><div>naïve</div>"),
        );
        let charset = via_header.then_some(label);
        let (out, failure) = rewrite(&p, charset, &page);
        assert_eq!(failure, None);
        assert_eq!(
            out,
            encode(
                label,
                &format!(
                    "{meta}<h1>Grüße für 5 €</h1><p>Café crème<i>¡Olé!</i></p><div>naïve</div>"
                )
            ),
            "{label} (header: {via_header})"
        );
    }
    let p = plan(json!([{"select": "h1", "set_text": "セール中"}]));
    for label in ["shift_jis", "euc-jp", "gbk", "big5", "euc-kr"] {
        let page = encode(label, "<h1>Hello</h1><p>日本</p>");
        let (out, failure) = rewrite(&p, Some(label), &page);
        assert_eq!(failure, None, "{label}");
        let expected = encoding_rs::Encoding::for_label(label.as_bytes())
            .unwrap()
            .encode("<h1>セール中</h1><p>日本</p>")
            .0;
        assert_eq!(out, expected.as_ref(), "{label}");
    }
}

#[test]
fn text_rules_leave_undeclared_legacy_bytes_as_they_are() {
    // No charset anywhere: the rewriter reads UTF-8, and cp1252 bytes are invalid in it.
    let page = b"<h1>Price: 10</h1><p>caf\xe9 cr\xe8me</p><div>na\xefve 10</div>";
    let p = plan(json!([{"replace_text": {"find": "10", "with": "8"}}]));
    // A text rule would turn them into U+FFFD: rewritten up to the first, the rest as it came.
    let (out, failure) = rewrite(&p, None, page);
    assert_eq!(
        out,
        b"<h1>Price: 8</h1><p>caf\xe9 cr\xe8me</p><div>na\xefve 10</div>".to_vec()
    );
    assert_eq!(
        failure.as_deref(),
        Some(
            "the page declares no charset and is not UTF-8: rewritten up to its first byte that is not, the rest passed through"
        )
    );
    // Declared (or by a <meta charset>), the same bytes are that encoding's, and rewritten.
    let (out, failure) = rewrite(&p, Some("windows-1252"), page);
    assert_eq!(failure, None);
    assert_eq!(
        out,
        b"<h1>Price: 8</h1><p>caf\xe9 cr\xe8me</p><div>na\xefve 8</div>".to_vec()
    );
    let mut with_meta = b"<meta charset=windows-1252>".to_vec();
    with_meta.extend_from_slice(page);
    let (out, failure) = rewrite(&p, None, &with_meta);
    assert_eq!(failure, None);
    assert_eq!(
        out[27..],
        b"<h1>Price: 8</h1><p>caf\xe9 cr\xe8me</p><div>na\xefve 8</div>"[..]
    );
    // Valid UTF-8, split anywhere, is no reason to stop.
    let (out, failure) = rewrite(&p, None, "<p>10 € für 10 Stück</p>".as_bytes());
    assert_eq!(failure, None);
    assert_eq!(out, "<p>8 € für 8 Stück</p>".as_bytes());
    // Element rules alone never touch text: the page's bytes stay, with no need to stop.
    let p = plan(json!([{"select": "h1", "set_text": "New"}]));
    let (out, failure) = rewrite(&p, None, page);
    assert_eq!(failure, None);
    assert_eq!(
        out,
        b"<h1>New</h1><p>caf\xe9 cr\xe8me</p><div>na\xefve 10</div>".to_vec()
    );
}

#[test]
fn encodings_the_rewriter_cannot_read_pass_through_untouched() {
    let p = plan(
        json!([{"select": "h1", "set_text": "New"}, {"replace_text": {"find": "Hello", "with": "Bye"}}]),
    );
    let utf16: Vec<u8> = "<h1>Hello</h1>"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    let iso2022 = encode("iso-2022-jp", "<h1>Hello 日本</h1>");
    for (charset, page) in [
        (Some("utf-16"), utf16.clone()),
        (Some("utf-16le"), utf16.clone()),
        (Some("iso-2022-jp"), iso2022.clone()),
    ] {
        let (out, failure) = rewrite(&p, charset, &page);
        assert_eq!(out, page, "{charset:?}");
        assert_eq!(
            failure.as_deref(),
            Some(
                format!(
                    "unsupported charset {:?}; page passed through",
                    charset.unwrap()
                )
                .as_str()
            )
        );
    }
    // A byte-order mark wins over the declared charset, as in browsers: when it names another
    // encoding than the rewriter's, the page passes through untouched.
    let mut bom16 = vec![0xFF, 0xFE];
    bom16.extend(&utf16);
    let mut bom8 = b"\xEF\xBB\xBF".to_vec();
    bom8.extend(b"<h1>Hello</h1><p>caf\xc3\xa9</p>");
    for (charset, page, named) in [
        (None, bom16.clone(), "UTF-16LE"),
        (Some("utf-8"), bom16.clone(), "UTF-16LE"),
        (Some("windows-1252"), bom8.clone(), "UTF-8"),
    ] {
        let (out, failure) = rewrite(&p, charset, &page);
        assert_eq!(out, page, "{charset:?} {named}");
        let declared = if charset == Some("windows-1252") {
            "windows-1252"
        } else {
            "UTF-8"
        };
        assert_eq!(
            failure,
            Some(format!(
                "the page starts with a {named} byte-order mark but is declared {declared}; page passed through"
            ))
        );
    }
    // A BOM that agrees is rewritten as usual.
    let (out, failure) = rewrite(&p, Some("utf-8"), &bom8);
    assert_eq!(failure, None);
    assert_eq!(out, b"\xEF\xBB\xBF<h1>New</h1><p>caf\xc3\xa9</p>".to_vec());
}
