//! The documents in KV, as `docs/console.md` lays them out: the draft (`rules:draft`, metadata
//! `{author, time}`), the live document (`rules`, metadata: the revision's meta), and immutable
//! revisions (`rules:rev:<n>`, metadata: their meta).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use worker::{Env, KvStore};

use super::Failure;
use crate::console::revision::{REVISION_PREFIX, RevisionMeta, revision_key};
use crate::edge::config::Config;

/// Who saved the draft, and when (RFC 3339).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(super) struct DraftMeta {
    pub(super) author: String,
    pub(super) time: String,
}

/// Most revisions listed (KV lists 1000 keys a call).
const MAX_LISTED: usize = 10_000;

/// The rules namespace, with the keys this deployment uses.
pub(super) struct Store {
    kv: KvStore,
    binding: String,
    live_key: String,
    draft_key: String,
}

impl Store {
    /// The store of the `RULES_BINDING` namespace; 503 when it is not bound.
    pub(super) fn new(env: &Env, config: &Config) -> Result<Self, Failure> {
        let kv = env.kv(&config.binding).map_err(|e| {
            Failure::new(
                503,
                format!(
                    "the KV binding {:?} is missing ({e}): add it to wrangler.toml",
                    config.binding
                ),
            )
        })?;
        Ok(Self {
            kv,
            binding: config.binding.clone(),
            live_key: config.key.clone(),
            draft_key: config.draft_key.clone(),
        })
    }

    fn failed(&self, what: &str, e: impl std::fmt::Display) -> Failure {
        Failure::new(
            503,
            format!(
                "KV ({}) could not {what}: {e}; try again in a moment",
                self.binding
            ),
        )
    }

    async fn read<M: for<'de> Deserialize<'de>>(
        &self,
        key: &str,
    ) -> Result<Option<(String, Option<M>)>, Failure> {
        // Metadata comes as JSON values, then becomes `M`: one conversion from JavaScript for
        // every type keeps the wasm small.
        match self.kv.get(key).text_with_metadata::<Value>().await {
            Ok((Some(text), meta)) => Ok(Some((
                text,
                meta.and_then(|m| serde_json::from_value(m).ok()),
            ))),
            Ok((None, _)) => Ok(None),
            Err(e) => Err(self.failed(&format!("read {key:?}"), e)),
        }
    }

    async fn write(&self, key: &str, text: &str, meta: Value) -> Result<(), Failure> {
        let failed = |e| self.failed(&format!("write {key:?}"), e);
        self.kv
            .put(key, text)
            .map_err(failed)?
            .metadata(meta)
            .map_err(failed)?
            .execute()
            .await
            .map_err(failed)
    }

    /// The draft and who saved it.
    pub(super) async fn draft(&self) -> Result<Option<(String, DraftMeta)>, Failure> {
        let draft = self.read::<DraftMeta>(&self.draft_key).await?;
        Ok(draft.map(|(text, meta)| (text, meta.unwrap_or_default())))
    }

    /// Saves the draft.
    pub(super) async fn save_draft(&self, text: &str, meta: &DraftMeta) -> Result<(), Failure> {
        let meta = serde_json::to_value(meta).unwrap_or_default();
        self.write(&self.draft_key, text, meta).await
    }

    /// The live document and the revision it is (`None` when it was put there by hand).
    pub(super) async fn live(&self) -> Result<Option<(String, Option<RevisionMeta>)>, Failure> {
        self.read::<RevisionMeta>(&self.live_key).await
    }

    /// Makes `text` (revision `meta`) the live document.
    pub(super) async fn make_live(&self, text: &str, meta: &RevisionMeta) -> Result<(), Failure> {
        self.write(&self.live_key, text, metadata(meta)).await
    }

    /// Revision `number`'s document and meta. Only ask for a revision that exists: KV would
    /// remember a miss for a while, hiding the revision once it is written.
    pub(super) async fn revision(
        &self,
        number: u64,
    ) -> Result<Option<(String, Option<RevisionMeta>)>, Failure> {
        self.read::<RevisionMeta>(&revision_key(number)).await
    }

    /// Writes revision `meta.number` (never written before: revisions are immutable).
    pub(super) async fn write_revision(
        &self,
        text: &str,
        meta: &RevisionMeta,
    ) -> Result<(), Failure> {
        self.write(&revision_key(meta.number), text, metadata(meta))
            .await
    }

    /// Every revision's meta, newest first, from KV's listing (no document is read).
    pub(super) async fn revisions(&self) -> Result<Vec<RevisionMeta>, Failure> {
        let mut metas = Vec::new();
        let mut cursor = None;
        loop {
            let mut list = self.kv.list().prefix(REVISION_PREFIX.to_owned());
            if let Some(cursor) = cursor.take() {
                list = list.cursor(cursor);
            }
            let page = list
                .execute()
                .await
                .map_err(|e| self.failed("list the revisions", e))?;
            metas.extend(
                page.keys
                    .into_iter()
                    .filter_map(|k| serde_json::from_value::<RevisionMeta>(k.metadata?).ok()),
            );
            match page.cursor {
                Some(next) if !page.list_complete && metas.len() < MAX_LISTED => {
                    cursor = Some(next);
                }
                _ => break,
            }
        }
        metas.sort_by_key(|m| std::cmp::Reverse(m.number));
        Ok(metas)
    }
}

/// A revision's meta as KV metadata (at most 1 KiB).
fn metadata(meta: &RevisionMeta) -> Value {
    serde_json::from_str(&meta.to_metadata_json()).unwrap_or_default()
}
