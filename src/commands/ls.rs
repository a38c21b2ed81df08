//! `s3lease ls`: buckets, one level, or every key, printed page by page as they arrive. The
//! next page is fetched while the current one is written, so output starts after one round
//! trip and a slow reader does not stall the listing more than two pages ahead. A recursive
//! listing lists folders side by side ([`walk`]), in the same order a plain listing has.

use std::io::Write;

use serde::Serialize;
use tokio::sync::mpsc;

use crate::aws_error::AwsError;
use crate::credentials::Session;
use crate::error::{Error, Result};
use crate::escape::untrusted;
use crate::s3::list::{self, Object, Page};
use crate::s3::region::Regions;
use crate::s3::token_guard::TokenGuard;
use crate::s3::{Bucket, S3Uri, walk};
use crate::timefmt;

#[derive(Serialize)]
struct Line<'a> {
    kind: &'static str,
    key: &'a str,
    size: Option<u64>,
    last_modified: Option<String>,
    etag: Option<&'a str>,
    storage_class: Option<&'a str>,
}

impl<'a> Line<'a> {
    fn prefix(key: &'a str) -> Self {
        Line { kind: "prefix", key, size: None, last_modified: None, etag: None, storage_class: None }
    }

    fn object(o: &'a Object) -> Self {
        Line {
            kind: "object",
            key: &o.key,
            size: Some(o.size),
            last_modified: o.last_modified.map(timefmt::rfc3339),
            etag: o.etag.as_deref().map(|e| e.trim_matches('"')),
            storage_class: o.storage_class.as_deref(),
        }
    }

    fn bucket(b: &'a Bucket) -> Self {
        Line {
            kind: "bucket",
            key: &b.name,
            size: None,
            last_modified: b.created.map(timefmt::rfc3339),
            etag: None,
            storage_class: None,
        }
    }
}

fn json_line(out: &mut dyn Write, line: &Line) -> std::io::Result<()> {
    crate::escape::json_to_writer(&mut *out, line)?;
    writeln!(out)
}

fn when(t: Option<std::time::SystemTime>) -> String {
    t.map(timefmt::listing).unwrap_or_else(|| " ".repeat(19))
}

/// Writes one page the way `aws s3 ls` does, names relative to `base` unless `recursive`.
fn write_entries(
    out: &mut dyn Write,
    prefixes: &[String],
    objects: &[Object],
    base: usize,
    json: bool,
) -> std::io::Result<()> {
    let relative = |key: &str| key.get(base..).unwrap_or(key).to_string();
    for prefix in prefixes {
        if json {
            json_line(out, &Line::prefix(prefix))?;
        } else {
            writeln!(out, "{:>30} {}", "PRE", untrusted(&relative(prefix)))?;
        }
    }
    for object in objects {
        if json {
            json_line(out, &Line::object(object))?;
        } else {
            writeln!(out, "{} {:>10} {}", when(object.last_modified), object.size, untrusted(&relative(&object.key)))?;
        }
    }
    Ok(())
}

#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub recursive: bool,
    /// Folders listed at once when recursive (see [`crate::s3::walk`]).
    pub concurrency: usize,
    pub json: bool,
}

pub async fn run(session: &Session, regions: &Regions, uri: Option<S3Uri>, opts: Options) -> Result<()> {
    let Options { recursive, json, .. } = opts;
    let identity = session.info.identity.clone();
    let endpoint = session.info.endpoint.clone();
    let Some(uri) = uri else {
        let arn = session.info.arn.as_deref();
        let buckets = list::list_buckets(&session.s3, &endpoint).await.map_err(|e| e.as_identity(&identity).by(arn))?;
        // The plain format has no region column; only JSON readers would use the lookups.
        super::emit(|out| {
            for b in &buckets {
                if json {
                    json_line(out, &Line::bucket(b))?;
                } else {
                    writeln!(out, "{} {}", when(b.created), untrusted(&b.name))?;
                }
            }
            Ok(())
        })?;
        return Ok(());
    };

    let base = if recursive { 0 } else { uri.prefix.rfind('/').map_or(0, |i| i + 1) };
    let failed = |e: AwsError| Error::from(e.as_identity(&identity).by(session.info.arn.as_deref()));
    let start = |client: aws_sdk_s3::Client| {
        if recursive {
            let target = walk::Target { client, endpoint: endpoint.clone(), bucket: uri.bucket.clone() };
            let walk_opts = walk::WalkOptions { concurrency: opts.concurrency, ..walk::WalkOptions::default() };
            Listing::Walk(walk::walk(target, uri.prefix.clone(), walk_opts))
        } else {
            Listing::Level(one_level(client, endpoint.clone(), uri.clone()))
        }
    };
    // Guessed rather than looked up: a lookup would cost a round trip before the first line.
    let mut client = regions.guess(session, &uri.bucket);
    let mut pages = start(client.clone());
    // One resend: a server naming a different region each time must not be chased forever.
    let mut may_move = true;
    while let Some(page) = pages.recv().await {
        let (prefixes, objects) = match page {
            Err(e) if may_move && e.bucket_region.is_some() => {
                let moved = e.bucket_region.as_deref().and_then(|r| regions.learn(session, &uri.bucket, r, &client));
                let Some(moved) = moved else { return Err(failed(e)) };
                tracing::debug!(bucket = %uri.bucket, "listing again in the bucket's region");
                (client, may_move) = (moved, false);
                pages = start(client.clone());
                continue;
            }
            page => page.map_err(failed)?,
        };
        // Past the first page the region is settled.
        may_move = false;
        if !super::emit(|out| write_entries(out, &prefixes, &objects, base, json))? {
            break;
        }
    }
    Ok(())
}

/// A listing's pages as (sub-prefixes, objects), whichever way it is walked.
enum Listing {
    Walk(mpsc::Receiver<Result<Vec<Object>, AwsError>>),
    Level(mpsc::Receiver<Result<Page, AwsError>>),
}

impl Listing {
    async fn recv(&mut self) -> Option<Result<(Vec<String>, Vec<Object>), AwsError>> {
        match self {
            Listing::Walk(rx) => Some(rx.recv().await?.map(|objects| (Vec::new(), objects))),
            Listing::Level(rx) => Some(rx.recv().await?.map(|page| (page.prefixes, page.objects))),
        }
    }
}

/// One level of `uri`, page after page, the next fetched while this one is written.
// AwsError is returned only on the cold path after a network call; boxing it here buys nothing.
#[allow(clippy::result_large_err)]
fn one_level(client: aws_sdk_s3::Client, endpoint: String, uri: S3Uri) -> mpsc::Receiver<Result<Page, AwsError>> {
    let (tx, rx) = mpsc::channel::<Result<Page, AwsError>>(2);
    tokio::spawn(async move {
        let mut token = None;
        let mut guard = TokenGuard::new();
        loop {
            let page = list::list_page(&client, &endpoint, &uri.bucket, &uri.prefix, Some("/"), token.take())
                .await
                .and_then(|mut page| {
                    page.next = list::follow(&mut guard, page.next.take(), &endpoint, &uri.bucket, &uri.prefix)?;
                    Ok(page)
                });
            let next = page.as_ref().ok().and_then(|p| p.next.clone());
            let failed = page.is_err();
            if tx.send(page).await.is_err() || failed {
                return;
            }
            match next {
                Some(t) => token = Some(t),
                None => return,
            }
        }
    });
    rx
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use super::*;

    fn page() -> Page {
        Page {
            prefixes: vec!["logs/archive/".into()],
            objects: vec![Object {
                key: "logs/evil\u{1b}[2J.txt".into(),
                size: 1234,
                last_modified: Some(SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000)),
                etag: Some("\"abc\"".into()),
                storage_class: Some("STANDARD".into()),
            }],
            next: None,
        }
    }

    #[test]
    fn plain_pages_look_like_aws_s3_ls_and_are_escaped() {
        let mut out = Vec::new();
        {
            let p = page();
            write_entries(&mut out, &p.prefixes, &p.objects, "logs/".len(), false).unwrap()
        };
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "                           PRE archive/\n2023-11-14 22:13:20       1234 evil\\u{1b}[2J.txt\n"
        );
    }

    #[test]
    fn json_pages_carry_full_keys_and_bare_etags() {
        let mut out = Vec::new();
        {
            let p = page();
            write_entries(&mut out, &p.prefixes, &p.objects, 5, true).unwrap()
        };
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(lines[0]["kind"], "prefix");
        assert_eq!(lines[0]["key"], "logs/archive/");
        assert_eq!(lines[1]["key"], "logs/evil\u{1b}[2J.txt");
        assert_eq!(lines[1]["etag"], "abc");
        assert_eq!(lines[1]["last_modified"], "2023-11-14T22:13:20Z");
        assert!(text.contains("\\u001b"), "JSON escapes the control character: {text}");
    }
}
