//! Server answers are untrusted too. The SDK reads a whole XML answer into memory before
//! parsing it, then builds a struct per element, so a hostile or broken endpoint could make
//! one listing page cost gigabytes. This interceptor bounds every answer that is parsed
//! (object bodies, which are streamed, are left alone): by `Content-Length` before anything
//! is read, and while the body streams in, by its bytes and by its XML elements (counted as
//! `<`, which XML text cannot hold raw).
//!
//! Real answers stay far below the limits: a ListObjectsV2 page of 1,000 keys of 1,024 bytes,
//! percent-encoded, is under 4 MiB and 30,000 tags; 10,000 buckets in one ListBuckets answer
//! are about 3 MiB and 100,000 tags.

use std::pin::Pin;
use std::task::{Context, Poll};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeDeserializationInterceptorContextMut;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::config_bag::ConfigBag;
use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};

/// Bytes of one answer that is parsed whole.
pub const MAX_BYTES: u64 = 16 * 1024 * 1024;
/// XML tags in one answer.
pub const MAX_TAGS: u64 = 250_000;

/// Why an answer was not read; found in the SDK error's sources by [`crate::aws_error`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TooLarge {
    #[error("the server announced a {0}-byte answer; s3lease reads at most {MAX_BYTES} bytes of one")]
    Announced(u64),
    #[error("the server's answer ran past {MAX_BYTES} bytes; s3lease reads at most that much of one")]
    Bytes,
    #[error("the server's answer holds more than {MAX_TAGS} XML tags; s3lease reads at most that many")]
    Tags,
}

#[derive(Debug, Default, Clone, Copy)]
pub struct ResponseCap;

/// Operations whose body is the object itself (streamed to disk or a preview), or that have
/// no body at all and whose `Content-Length` is the object's size.
fn streams(operation: &str) -> bool {
    operation == "GetObject" || operation.starts_with("Head")
}

impl Intercept for ResponseCap {
    fn name(&self) -> &'static str {
        "ResponseCap"
    }

    fn modify_before_deserialization(
        &self,
        context: &mut BeforeDeserializationInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if cfg.load::<Metadata>().is_some_and(|m| streams(m.name())) {
            return Ok(());
        }
        let response = context.response_mut();
        let announced = response.headers().get("content-length").and_then(|v| v.trim().parse::<u64>().ok());
        if let Some(len) = announced.filter(|&len| len > MAX_BYTES) {
            return Err(TooLarge::Announced(len).into());
        }
        let body = std::mem::replace(response.body_mut(), SdkBody::taken());
        *response.body_mut() = SdkBody::from_body_1_x(Capped { inner: body, bytes: 0, tags: 0 });
        Ok(())
    }
}

struct Capped {
    inner: SdkBody,
    bytes: u64,
    tags: u64,
}

impl Body for Capped {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let frame = match Pin::new(&mut self.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => frame,
            Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(e))),
            Poll::Ready(None) => return Poll::Ready(None),
            Poll::Pending => return Poll::Pending,
        };
        if let Some(data) = frame.data_ref() {
            self.bytes = self.bytes.saturating_add(data.len() as u64);
            self.tags = self.tags.saturating_add(data.iter().filter(|&&b| b == b'<').count() as u64);
            if self.bytes > MAX_BYTES {
                return Poll::Ready(Some(Err(TooLarge::Bytes.into())));
            }
            if self.tags > MAX_TAGS {
                return Poll::Ready(Some(Err(TooLarge::Tags.into())));
            }
        }
        Poll::Ready(Some(Ok(frame)))
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
