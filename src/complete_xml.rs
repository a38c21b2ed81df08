//! An answer whose XML stops mid-document is a failed attempt, not a smaller result.
//!
//! The SDK's XML decoders are lenient: a `ListObjectsV2` body cut after the 400th `<Contents>`
//! (a proxy or a server that died mid-write, with a Content-Length that matched what it did
//! send) decodes into 400 objects, and with `IsTruncated` or `NextContinuationToken` lost, a
//! listing would end there without a word. This interceptor checks every buffered 2xx XML
//! body for its root's closing tag before the retry strategy looks at the attempt, and turns
//! an incomplete one into a response error, which the SDK retries like a broken connection
//! and, when retries run out, reports as [`IncompleteXml`] (see `AwsErrorKind::BadResponse`).
//! Streamed bodies (`GetObject`) are not buffered and never checked here.

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::FinalizerInterceptorContextMut;
use aws_smithy_runtime_api::client::orchestrator::OrchestratorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

/// A 2xx answer whose XML document ends before its root element closes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the answer ended before </{root}> ({received} bytes received); it was cut off on the way")]
pub struct IncompleteXml {
    pub root: String,
    pub received: usize,
}

#[derive(Debug, Default)]
pub struct CompleteXml;

impl Intercept for CompleteXml {
    fn name(&self) -> &'static str {
        "CompleteXml"
    }

    fn modify_before_attempt_completion(
        &self,
        context: &mut FinalizerInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(response) = context.response() else { return Ok(()) };
        if !response.status().is_success() {
            return Ok(());
        }
        let Some(incomplete) = response.body().bytes().and_then(incomplete) else { return Ok(()) };
        if let Some(result) = context.output_or_error_mut() {
            *result = Err(OrchestratorError::response(Box::new(incomplete)));
        }
        Ok(())
    }
}

/// `Some` when `body` is an XML document whose root element is not closed at its end.
/// Anything that is not XML (empty, JSON, bytes) passes.
pub fn incomplete(body: &[u8]) -> Option<IncompleteXml> {
    let text = String::from_utf8_lossy(body);
    let text = text.trim_matches(|c: char| c.is_ascii_whitespace());
    if !text.starts_with('<') {
        return None;
    }
    let cut = |root: &str| Some(IncompleteXml { root: root.to_string(), received: body.len() });
    let Some(root_at) = root_start(text) else { return cut("the root element") };
    let tag = &text[root_at + 1..];
    let name_len = tag.find(|c: char| c.is_ascii_whitespace() || c == '>' || c == '/').unwrap_or(tag.len());
    let name = &tag[..name_len];
    let Some(tag_end) = tag.find('>') else { return cut(name) };
    // `<Root/>` as the whole document, or `<Root ...>...</Root>`.
    let self_closed = tag[..tag_end].ends_with('/') && tag_end + 1 == tag.len();
    if self_closed || text.ends_with(&format!("</{name}>")) { None } else { cut(name) }
}

/// Where the first element starts, past the `<?xml ...?>` prolog and any comments; `None` if
/// the text ends before it.
fn root_start(text: &str) -> Option<usize> {
    let mut at = 0;
    loop {
        let rest = &text[at..];
        let skipped = rest.len() - rest.trim_start().len();
        at += skipped;
        let rest = &text[at..];
        if rest.starts_with("<?") {
            at += rest.find("?>")? + 2;
        } else if rest.starts_with("<!--") {
            at += rest.find("-->")? + 3;
        } else if rest.starts_with('<') && rest.len() > 1 {
            return Some(at);
        } else {
            return None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIST: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>b</Name><IsTruncated>true</IsTruncated><Contents><Key>a</Key></Contents><NextContinuationToken>t</NextContinuationToken></ListBucketResult>\n";

    #[test]
    fn a_whole_document_passes() {
        assert_eq!(incomplete(LIST.as_bytes()), None);
        assert_eq!(incomplete(b"<CopyObjectResult/>"), None);
        assert_eq!(incomplete(b"<?xml version=\"1.0\"?><Empty />"), None);
    }

    #[test]
    fn every_cut_of_a_document_is_caught() {
        let whole = LIST.trim_end();
        let named = LIST.find("<ListBucketResult ").unwrap() + "<ListBucketResult ".len();
        for cut in 1..whole.len() {
            let found = incomplete(&LIST.as_bytes()[..cut]);
            assert!(found.as_ref().is_some_and(|f| f.received == cut), "cut at {cut}: {:?}", &LIST[..cut]);
            if cut >= named {
                assert_eq!(found.map(|f| f.root).as_deref(), Some("ListBucketResult"), "cut at {cut}");
            }
        }
    }

    #[test]
    fn what_is_not_xml_passes() {
        assert_eq!(incomplete(b""), None);
        assert_eq!(incomplete(b"   \n"), None);
        assert_eq!(incomplete(b"{\"Version\": \"2012-10-17\"}"), None);
        assert_eq!(incomplete(&[0, 159, 146, 150]), None);
    }
}
