//! The console's static UI (`console/dist/__veneer/*`), through the `ASSETS` binding. The files
//! hold no data, so they are served to anyone (the UI itself asks the API, which needs a
//! session, and shows its sign-in page on a 401); `wrangler.toml`'s `run_worker_first` makes
//! them come through here, with the console's headers.

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Request, ResponseInit};
use worker::Env;

use super::{ConsoleSettings, console_headers, response};
use crate::request::split_url;

/// Where the files are in the assets directory, whatever the console's prefix.
const ASSET_DIR: &str = "/__veneer";

/// The UI's pages load only what the worker serves (nothing from a CDN): the policy
/// `console/README.md` says the UI works under, with inline styles allowed (CodeMirror injects
/// `<style>` elements) instead of a per-response nonce, and the shop's own pages in a frame
/// (the visual editor).
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
                   connect-src 'self'; img-src 'self' data:; frame-src 'self'; base-uri 'none'; \
                   form-action 'self'; frame-ancestors 'none'";

/// Headers of an asset response that are kept.
const KEPT: [&str; 3] = ["content-type", "etag", "last-modified"];

/// Answers `<prefix><rest>` (`rest` starts with `/`) with the file at `/__veneer<rest>`.
pub(super) async fn answer(
    req: &Request,
    env: &Env,
    settings: &ConsoleSettings,
    rest: &str,
) -> Result<web_sys::Response, JsValue> {
    let method = req.method();
    if method != "GET" && method != "HEAD" {
        return response(
            405,
            "application/json",
            r#"{"error":"the console's pages are read with GET; the API is under api/"}"#,
        );
    }
    let Ok(assets) = env.assets("ASSETS") else {
        return response(
            503,
            "text/plain; charset=utf-8",
            "The console's files are not deployed: wrangler.toml needs [assets] with directory = \
             \"console/dist\" and binding = \"ASSETS\" (npm run build:console makes the files).\n",
        );
    };
    let assets: worker::worker_sys::Fetcher = assets.into_rpc();
    let url = req.url();
    let base = match split_url(&url).authority {
        Some(authority) => format!(
            "{}//{authority}",
            url.split("//").next().unwrap_or("https:")
        ),
        None => "https://console.invalid".to_owned(),
    };
    let fetch = |path: String| {
        let assets = assets.clone();
        let url = format!("{base}{path}");
        async move {
            let promise = assets.fetch_with_str(&url)?;
            JsFuture::from(promise)
                .await?
                .dyn_into::<web_sys::Response>()
        }
    };
    let mut file = fetch(format!("{ASSET_DIR}{rest}")).await?;
    let last = rest.rsplit('/').next().unwrap_or_default();
    if file.status() == 404 && !last.contains('.') {
        // A page of the UI's own (`/__veneer/history`): the UI's index.html routes it.
        file = fetch(format!("{ASSET_DIR}/")).await?;
    }
    let headers = console_headers("application/octet-stream")?;
    let from = file.headers();
    for name in KEPT {
        if let Some(value) = from.get(name)? {
            headers.set(name, &value)?;
        }
    }
    if let Some(location) = from.get("location")? {
        // The assets' own redirects (`index.html` → `./`) point into the console's prefix.
        let location = match location.strip_prefix(ASSET_DIR) {
            Some(tail) => format!("{}{tail}", settings.prefix),
            None => location,
        };
        headers.set("location", &location)?;
    }
    if headers
        .get("content-type")?
        .is_some_and(|t| t.starts_with("text/html"))
    {
        headers.set("content-security-policy", CSP)?;
    }
    let init = ResponseInit::new();
    init.set_status(file.status());
    init.set_headers(&headers);
    let body = if method == "HEAD" { None } else { file.body() };
    web_sys::Response::new_with_opt_readable_stream_and_init(body.as_ref(), &init)
}
