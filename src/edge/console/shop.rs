//! The rules cache that serves the shop's pages in this isolate, as the console sees it. Two
//! answers look at it: a saved draft drops the draft from it (previews show the draft at once),
//! and `api/status` reports the revision it serves. Built with the shop, that cache is this
//! module's own; built alone, it is the shop module's, which `edge/entry.mjs` hands over.

use js_sys::Promise;
use wasm_bindgen::JsValue;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen_futures::JsFuture;
use worker::Env;

use crate::edge::config::Config;
use crate::edge::rules_cache::{forget_rules, serving_revision};
use crate::edge::runtime::{js_message, log_event};

#[wasm_bindgen]
extern "C" {
    /// The shop's module in this isolate, as `edge/entry.mjs` hands it over (its exports
    /// `forgetRules` and `servingRevision`, in `edge::handler`).
    pub type ShopModule;

    /// Drops what the shop's module holds for a KV key.
    #[wasm_bindgen(method, catch, js_name = forgetRules)]
    fn forget_rules(this: &ShopModule, key: &str) -> Result<(), JsValue>;

    /// The console revision the shop's module serves under a KV key (`null`: none), reading
    /// the rules as a shop page would.
    #[wasm_bindgen(method, catch, js_name = servingRevision)]
    fn serving_revision(this: &ShopModule, key: &str) -> Result<Promise, JsValue>;
}

/// Where the shop's rules cache is (see the module's documentation).
pub(in crate::edge) struct Shop {
    /// The shop's module; `None`: this module serves the shop too.
    module: Option<ShopModule>,
}

impl Shop {
    /// The shop's cache: the given module's, else this module's own.
    pub(in crate::edge) fn of(module: Option<ShopModule>) -> Self {
        Self { module }
    }

    /// Drops what the shop holds for `key`, so its next request reads it from KV.
    pub(super) fn forget(&self, key: &str) {
        match &self.module {
            None => forget_rules(key),
            Some(shop) => {
                if let Err(e) = shop.forget_rules(key) {
                    log_event("shop_unreachable", &js_message(&e), None, "");
                }
            }
        }
    }

    /// The console revision of the document the shop serves under `key`, read as a shop page
    /// would read it (from memory while fresh, else from KV).
    pub(super) async fn revision(
        &self,
        env: &Env,
        config: &Config,
        key: &str,
        now_ms: f64,
    ) -> Option<u64> {
        let Some(shop) = &self.module else {
            return serving_revision(env, config, key, now_ms).await;
        };
        let answer = match shop.serving_revision(key) {
            Ok(promise) => JsFuture::from(promise).await,
            Err(e) => Err(e),
        };
        match answer {
            Ok(revision) => revision.as_f64().map(|n| n as u64),
            Err(e) => {
                log_event("shop_unreachable", &js_message(&e), None, "");
                None
            }
        }
    }
}
