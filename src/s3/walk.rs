//! Every object under a prefix, in key order, listed by several requests at once.
//!
//! ListObjectsV2 pages are sequential: each needs the previous one's continuation token, so a
//! plain recursive listing of 100,000 keys is 100 round trips end to end. Most big buckets
//! are spread over folders, though, and a folder's keys are one contiguous run of the bucket's
//! sorted key space. So the walk lists the top level with the `/` delimiter, and lists each
//! folder it finds as its own flat range, up to `concurrency` ranges at once. Ranges come out
//! in order, interleaved with the top level's own objects where they fall, so the result is
//! exactly the plain listing, key for key and in the same order.
//!
//! Memory stays bounded however large the bucket: a range runs ahead of the reader by at most
//! `ahead` pages, and no more than `concurrency` ranges run at once.

// AwsError is returned only on the cold path after a network call; boxing it here buys nothing.
#![allow(clippy::result_large_err)]

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};
use tokio::task::JoinHandle;

use super::list::{Object, Page, follow, list_page};
use super::token_guard::TokenGuard;
use crate::aws_error::AwsError;

pub type Pages = mpsc::Receiver<Result<Vec<Object>, AwsError>>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WalkOptions {
    /// Ranges listed at once (at least 1). 1 lists page after page, as a plain listing does.
    pub concurrency: usize,
    /// Pages a range may fetch before the reader gets to it.
    pub ahead: usize,
}

impl Default for WalkOptions {
    fn default() -> Self {
        WalkOptions { concurrency: 8, ahead: 16 }
    }
}

/// Where to list: a client for the bucket's region and what names the endpoint in errors.
#[derive(Clone)]
pub struct Target {
    pub client: aws_sdk_s3::Client,
    pub endpoint: String,
    pub bucket: String,
}

/// Starts the walk of everything under `prefix`; pages of objects arrive in key order, an
/// error ends them. Dropping the receiver stops the walk and every range in flight at once.
pub fn walk(target: Target, prefix: String, opts: WalkOptions) -> Pages {
    let (tx, rx) = mpsc::channel(opts.ahead.max(1));
    tokio::spawn(async move {
        let work = async {
            if opts.concurrency <= 1 {
                flat(&target, &prefix, &tx).await
            } else {
                Walk { target: target.clone(), opts, out: tx.clone() }.run(prefix.clone()).await
            }
        };
        let result = tokio::select! {
            result = work => result,
            // The reader has gone: drop the request in flight (and every range) now, rather
            // than when its answer finds nobody to take it.
            () = tx.closed() => return,
        };
        if let Err(e) = result {
            let _ = tx.send(Err(e)).await;
        }
    });
    rx
}

/// The plain listing: one page after another, no delimiter.
async fn flat(
    target: &Target,
    prefix: &str,
    out: &mpsc::Sender<Result<Vec<Object>, AwsError>>,
) -> Result<(), AwsError> {
    let mut token = None;
    let mut guard = TokenGuard::new();
    loop {
        let page = list_page(&target.client, &target.endpoint, &target.bucket, prefix, None, token.take()).await?;
        let next = follow(&mut guard, page.next, &target.endpoint, &target.bucket, prefix)?;
        if !page.objects.is_empty() && out.send(Ok(page.objects)).await.is_err() {
            return Ok(());
        }
        match next {
            Some(next) => token = Some(next),
            None => return Ok(()),
        }
    }
}

/// What comes next in key order: objects of the top level, or a folder listed as a range.
enum Segment {
    Objects(Vec<Object>),
    Range(Range),
}

/// A folder being listed by its own task into its own channel. It holds one of the walk's
/// `concurrency` permits until it has been passed on whole (or dropped).
struct Range {
    pages: Pages,
    task: JoinHandle<()>,
    _permit: OwnedSemaphorePermit,
}

impl Drop for Range {
    fn drop(&mut self) {
        self.task.abort();
    }
}

type Out = mpsc::Sender<Result<Vec<Object>, AwsError>>;

struct Walk {
    target: Target,
    opts: WalkOptions,
    out: Out,
}

impl Walk {
    /// Two halves run side by side: one reads the level's pages and starts a range per folder
    /// (waiting for a permit when `concurrency` are out), the other passes segments on in key
    /// order as soon as the first one has something. So the first keys go out after the first
    /// page whatever comes behind them, and a long run of top-level objects streams as it is
    /// listed instead of waiting for a full window of folders.
    async fn run(self, prefix: String) -> Result<(), AwsError> {
        let (segments, queued) = mpsc::channel(self.opts.ahead.max(1));
        let permits = Arc::new(Semaphore::new(self.opts.concurrency.max(1)));
        let (listed, passed) = tokio::join!(self.list_level(prefix, segments, permits), pass_on(queued, &self.out));
        // What was listed before a failure is passed on first, so the error comes last.
        passed?;
        listed
    }

    async fn list_level(
        &self,
        prefix: String,
        segments: mpsc::Sender<Segment>,
        permits: Arc<Semaphore>,
    ) -> Result<(), AwsError> {
        let (prefix, mut page) = self.descend(prefix).await?;
        let mut guard = TokenGuard::new();
        loop {
            let t = &self.target;
            let token = follow(&mut guard, page.next.take(), &t.endpoint, &t.bucket, &prefix)?;
            for merged in merge(std::mem::take(&mut page)) {
                let segment = match merged {
                    Merged::Objects(objects) => Segment::Objects(objects),
                    Merged::Folder(folder) => {
                        let Ok(permit) = permits.clone().acquire_owned().await else { return Ok(()) };
                        Segment::Range(self.start(folder, permit))
                    }
                };
                if segments.send(segment).await.is_err() {
                    // The passing half stopped: the reader went away or a range failed.
                    return Ok(());
                }
            }
            match token {
                Some(token) => page = self.level_page(&prefix, Some(token)).await?,
                None => return Ok(()),
            }
        }
    }

    /// A bucket whose keys all sit in one folder (`data/...`) is split one level down, and
    /// so on: the top level of the walk is the first level with more than one folder.
    /// Returns the level's prefix and its first page.
    async fn descend(&self, mut prefix: String) -> Result<(String, Page), AwsError> {
        loop {
            let page = self.level_page(&prefix, None).await?;
            match (page.prefixes.as_slice(), page.objects.is_empty(), &page.next) {
                ([only], true, None) if only.len() > prefix.len() => prefix = only.clone(),
                _ => return Ok((prefix, page)),
            }
        }
    }

    async fn level_page(&self, prefix: &str, token: Option<String>) -> Result<Page, AwsError> {
        let t = &self.target;
        list_page(&t.client, &t.endpoint, &t.bucket, prefix, Some("/"), token).await
    }

    fn start(&self, folder: String, permit: OwnedSemaphorePermit) -> Range {
        let (tx, pages) = mpsc::channel(self.opts.ahead.max(1));
        let target = self.target.clone();
        let task = tokio::spawn(async move {
            if let Err(e) = flat(&target, &folder, &tx).await {
                let _ = tx.send(Err(e)).await;
            }
        });
        Range { pages, task, _permit: permit }
    }
}

/// Passes segments on in order, each whole. Ends early (dropping what is queued, which
/// stops its ranges) when the reader has gone away or a range failed.
async fn pass_on(mut queued: mpsc::Receiver<Segment>, out: &Out) -> Result<(), AwsError> {
    while let Some(segment) = queued.recv().await {
        match segment {
            Segment::Objects(objects) => {
                if out.send(Ok(objects)).await.is_err() {
                    return Ok(());
                }
            }
            Segment::Range(mut range) => {
                while let Some(page) = range.pages.recv().await {
                    if out.send(Ok(page?)).await.is_err() {
                        return Ok(());
                    }
                }
            }
        }
    }
    Ok(())
}

#[derive(Debug, PartialEq, Eq)]
enum Merged {
    Objects(Vec<Object>),
    Folder(String),
}

/// A level's page as it falls in key order: runs of objects between folders. A folder's keys
/// all start with its name, so they sort right where the name does.
fn merge(page: Page) -> Vec<Merged> {
    let mut merged = Vec::new();
    let mut run = Vec::new();
    let mut folders = page.prefixes.into_iter().peekable();
    for object in page.objects {
        while let Some(folder) = folders.next_if(|f| f.as_str() < object.key.as_str()) {
            if !run.is_empty() {
                merged.push(Merged::Objects(std::mem::take(&mut run)));
            }
            merged.push(Merged::Folder(folder));
        }
        run.push(object);
    }
    if !run.is_empty() {
        merged.push(Merged::Objects(run));
    }
    merged.extend(folders.map(Merged::Folder));
    merged
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(key: &str) -> Object {
        Object { key: key.into(), size: 0, last_modified: None, etag: None, storage_class: None }
    }

    fn keys(merged: &[Merged]) -> Vec<String> {
        merged
            .iter()
            .map(|m| match m {
                Merged::Objects(objects) => objects.iter().map(|o| o.key.as_str()).collect::<Vec<_>>().join(","),
                Merged::Folder(f) => format!("[{f}]"),
            })
            .collect()
    }

    #[test]
    fn folders_fall_between_objects_in_byte_order() {
        // '.' (0x2e) sorts before '/' (0x2f): `a.txt` comes before everything under `a/`.
        let page = Page {
            prefixes: vec!["a/".into(), "b/".into(), "z/".into()],
            objects: vec![object("0.txt"), object("a.txt"), object("a0"), object("b"), object("c.txt")],
            next: None,
        };
        assert_eq!(keys(&merge(page)), ["0.txt,a.txt", "[a/]", "a0,b", "[b/]", "c.txt", "[z/]"]);
    }

    #[test]
    fn a_level_of_only_folders_or_only_objects() {
        let folders = Page { prefixes: vec!["x/".into(), "y/".into()], objects: vec![], next: None };
        assert_eq!(keys(&merge(folders)), ["[x/]", "[y/]"]);
        let objects = Page { prefixes: vec![], objects: vec![object("1"), object("2")], next: None };
        assert_eq!(keys(&merge(objects)), ["1,2"]);
        assert!(merge(Page::default()).is_empty());
    }
}
