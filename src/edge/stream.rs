//! The rewritten body: the origin's stream through the rewriter into the runtime's native pipe.

use std::pin::Pin;

use futures_util::TryStreamExt;
use futures_util::io::{AsyncRead, AsyncReadExt};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::ReadableStream;

use super::runtime::{js_message, log_event};
use crate::render::StreamRewriter;

/// The size of the reused input and output buffers of a rewritten stream.
const STREAM_BUFFER: usize = 64 * 1024;

#[wasm_bindgen]
extern "C" {
    /// The Workers runtime's native byte pipe: what is written comes out of `readable`, each
    /// write settling once the other side has taken the bytes.
    type IdentityTransformStream;
    #[wasm_bindgen(constructor, catch)]
    fn new() -> Result<IdentityTransformStream, JsValue>;
    #[wasm_bindgen(method, getter)]
    fn readable(this: &IdentityTransformStream) -> ReadableStream;
    #[wasm_bindgen(method, getter)]
    fn writable(this: &IdentityTransformStream) -> web_sys::WritableStream;
}

/// What a rewritten stream logs with, and whether it is an operator's mid-stream crash drill.
pub(super) struct StreamInfo {
    pub(super) version: Option<String>,
    pub(super) path: String,
    pub(super) crash_drill: bool,
}

/// The runtime's native pipe a rewritten page is written into, made before the origin's body is
/// touched: should anything fail up to the response, the origin's own response is still whole.
pub(super) struct Pipe {
    readable: ReadableStream,
    writer: web_sys::WritableStreamDefaultWriter,
}

impl Pipe {
    /// A new pipe and its writer, or why the runtime would not make them.
    pub(super) fn new() -> Result<Self, String> {
        let pipe = IdentityTransformStream::new().map_err(|e| {
            format!(
                "the runtime could not make an IdentityTransformStream: {}",
                js_message(&e)
            )
        })?;
        let writer = pipe.writable().get_writer().map_err(|e| {
            format!(
                "the runtime could not give a writer for the rewritten page: {}",
                js_message(&e)
            )
        })?;
        Ok(Self {
            readable: pipe.readable(),
            writer,
        })
    }

    /// What the visitor reads: the rewritten page, once [`Pipe::start`] runs.
    pub(super) fn readable(&self) -> &ReadableStream {
        &self.readable
    }

    /// Pipes the origin's body through the rewriter into the pipe. Input (a BYOB reader) and
    /// output each go through one reused buffer, so memory stays flat whatever the page's size:
    /// no chunk is left behind for the garbage collector.
    pub(super) fn start(
        self,
        body: ReadableStream,
        rewriter: StreamRewriter,
        ctx: &worker::worker_sys::Context,
        about: StreamInfo,
    ) {
        let input: Pin<Box<dyn AsyncRead>> =
            match wasm_streams::ReadableStream::from_raw(body.unchecked_into())
                .try_into_async_read()
            {
                Ok(bytes) => Box::pin(bytes),
                // Not a byte stream (never from the runtime's fetch): chunk by chunk.
                Err((_, stream)) => Box::pin(
                    stream
                        .into_stream()
                        .map_ok(|chunk| js_sys::Uint8Array::new(&chunk).to_vec())
                        .map_err(|e| std::io::Error::other(js_message(&e)))
                        .into_async_read(),
                ),
            };
        let (version, path) = (about.version.clone(), about.path.clone());
        let task = wasm_bindgen_futures::future_to_promise(async move {
            pump(input, self.writer, rewriter, about).await;
            Ok(JsValue::UNDEFINED)
        });
        // Should the wasm instance ever trap mid-page, the runtime ends the visitor's response
        // (as on a dropped origin connection); tests/edge/failopen.test.mjs drills it.
        if let Err(e) = ctx.wait_until(&task) {
            // The body is being read already: the rewritten page is the only one left to send.
            log_event(
                "wait_until_failed",
                &format!(
                    "ctx.waitUntil refused the rewriting task ({}); the rewritten page still \
                     streams, but the runtime may end it early",
                    js_message(&e)
                ),
                version.as_deref(),
                &path,
            );
        }
    }
}

/// Reads, rewrites and writes until the page ends, the origin fails or the visitor leaves.
pub(super) async fn pump(
    mut input: Pin<Box<dyn AsyncRead>>,
    writer: web_sys::WritableStreamDefaultWriter,
    mut rewriter: StreamRewriter,
    about: StreamInfo,
) {
    let mut buffer = vec![0u8; STREAM_BUFFER];
    let mut output = js_sys::Uint8Array::new_with_length(STREAM_BUFFER as u32);
    // `Err((true, _))`: the origin's body broke off; `Err((false, _))`: the visitor's side.
    let result: Result<(), (bool, JsValue)> = async {
        loop {
            let read = input
                .read(&mut buffer)
                .await
                .map_err(|e| (true, JsValue::from_str(&e.to_string())))?;
            let out = if read == 0 {
                rewriter.end()
            } else {
                rewriter.write(&buffer[..read])
            };
            if !out.is_empty() {
                let len = u32::try_from(out.len())
                    .map_err(|e| (false, JsValue::from_str(&e.to_string())))?;
                // A buffer the runtime detached, or one too small, is replaced.
                if output.byte_length() < len {
                    output = js_sys::Uint8Array::new_with_length(len.max(STREAM_BUFFER as u32));
                }
                let view = output.subarray(0, len);
                view.copy_from(&out);
                JsFuture::from(writer.write_with_chunk(&view))
                    .await
                    .map_err(|e| (false, e))?;
                if about.crash_drill {
                    panic!("fail-open drill mid-stream on {}", about.path);
                }
            }
            if read == 0 {
                return Ok(());
            }
        }
    }
    .await;
    for warning in rewriter.warnings() {
        log_event(
            "listing_fallback",
            &warning,
            about.version.as_deref(),
            &about.path,
        );
    }
    if let Some(failure) = rewriter.failure() {
        log_event(
            "rewrite_failed",
            failure,
            about.version.as_deref(),
            &about.path,
        );
    }
    let _ = match result {
        Ok(()) => JsFuture::from(writer.close()).await,
        // The origin broke off (the visitor sees the same, and one line says so), or the
        // visitor left (nothing to log: that is what visitors do).
        Err((from_origin, e)) => {
            if from_origin {
                log_event(
                    "origin_body_failed",
                    &format!(
                        "the origin's body broke off mid-page ({}); the visitor's response \
                         was ended the same way",
                        js_message(&e)
                    ),
                    about.version.as_deref(),
                    &about.path,
                );
            }
            JsFuture::from(writer.abort_with_reason(&e)).await
        }
    };
}
