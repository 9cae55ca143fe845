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

/// Pipes the origin's body through the rewriter into a native pipe that the visitor reads.
/// Input (a BYOB reader) and output each go through one reused buffer, so memory stays flat
/// whatever the page's size: no chunk is left behind for the garbage collector.
pub(super) fn rewrite_stream(
    body: ReadableStream,
    rewriter: StreamRewriter,
    ctx: &worker::worker_sys::Context,
    about: StreamInfo,
) -> Option<ReadableStream> {
    let pipe = IdentityTransformStream::new().ok()?;
    let writer = pipe.writable().get_writer().ok()?;
    let input: Pin<Box<dyn AsyncRead>> =
        match wasm_streams::ReadableStream::from_raw(body.unchecked_into()).try_into_async_read() {
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
    let task = wasm_bindgen_futures::future_to_promise(async move {
        pump(input, writer, rewriter, about).await;
        Ok(JsValue::UNDEFINED)
    });
    // Should the wasm instance ever trap mid-page, the runtime ends the visitor's response (as
    // on a dropped origin connection); tests/edge/failopen.test.mjs drills it.
    ctx.wait_until(&task).ok()?;
    Some(pipe.readable())
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
    let result: Result<(), JsValue> = async {
        loop {
            let read = input
                .read(&mut buffer)
                .await
                .map_err(|e| JsValue::from_str(&e.to_string()))?;
            let out = if read == 0 {
                rewriter.end()
            } else {
                rewriter.write(&buffer[..read])
            };
            if !out.is_empty() {
                let len =
                    u32::try_from(out.len()).map_err(|e| JsValue::from_str(&e.to_string()))?;
                // A buffer the runtime detached, or one too small, is replaced.
                if output.byte_length() < len {
                    output = js_sys::Uint8Array::new_with_length(len.max(STREAM_BUFFER as u32));
                }
                let view = output.subarray(0, len);
                view.copy_from(&out);
                JsFuture::from(writer.write_with_chunk(&view)).await?;
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
        // The origin broke off (the visitor sees the same), or the visitor left.
        Err(e) => JsFuture::from(writer.abort_with_reason(&e)).await,
    };
}
