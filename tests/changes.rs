//! Uploads and deletes through the worker against moto, in a bucket of the test's own.

mod common;

use common::*;
use s3lease::credentials::mfa::GivenCode;
use s3lease::s3::list;
use s3lease::worker::{self, DeleteWhat, Request, RequestId, Response};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_folder_uploads_with_odd_names_and_a_prefix_deletes_whole() {
    let tb = testbed();
    let (dir, mut manager) = session_manager(tb, tb.endpoint(), "").await;
    let session = manager.start("admin-role", &mut GivenCode::new(None, "none needed")).await.unwrap();
    let bucket = format!("changes-{}", std::process::id());
    session.s3.create_bucket().bucket(&bucket).send().await.expect("create the test's own bucket");
    let mut worker = worker::spawn(manager);

    let source = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(source.path().join("nested dir/ключ")).unwrap();
    std::fs::write(source.path().join("a+b 100%.txt"), b"plus and percent").unwrap();
    std::fs::write(source.path().join("nested dir/ключ/deep.bin"), vec![7u8; 10_000]).unwrap();
    let upload = Request::Upload {
        id: RequestId(1),
        identity: "admin-role".into(),
        bucket: bucket.clone(),
        prefix: "in/".into(),
        source: source.path().to_path_buf(),
    };
    worker.requests.send(upload).unwrap();
    let Response::TransferDone { result: Ok(summary), .. } = answer(&mut worker, 1).await else { panic!("uploaded") };
    assert_eq!((summary.files, summary.bytes), (2, 10_016), "{summary:?}");

    let keys = |page: s3lease::s3::Page| page.objects.into_iter().map(|o| o.key).collect::<Vec<_>>();
    let listed = keys(list::list_page(&session.s3, tb.endpoint(), &bucket, "in/", None, None).await.unwrap());
    assert_eq!(listed, ["in/a+b 100%.txt", "in/nested dir/ключ/deep.bin"]);

    let delete = Request::Delete {
        id: RequestId(2),
        identity: "admin-role".into(),
        bucket: bucket.clone(),
        what: DeleteWhat::Prefix("in/".into()),
    };
    worker.requests.send(delete).unwrap();
    let Response::Deleted { result: Ok(deleted), .. } = answer(&mut worker, 2).await else { panic!("deleted") };
    assert_eq!((deleted.deleted, deleted.failed.len()), (2, 0), "{deleted:?}");
    let left = keys(list::list_page(&session.s3, tb.endpoint(), &bucket, "", None, None).await.unwrap());
    assert!(left.is_empty(), "{left:?}");
    drop(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn versions_of_a_key_list_every_version_and_the_delete_marker_and_any_version_is_read() {
    use aws_sdk_s3::primitives::ByteStream;
    use aws_sdk_s3::types::{BucketVersioningStatus, VersioningConfiguration};
    let tb = testbed();
    let (_dir, mut manager) = session_manager(tb, tb.endpoint(), "").await;
    let session = manager.start("admin-role", &mut GivenCode::new(None, "none needed")).await.unwrap();
    let bucket = format!("versions-{}", std::process::id());
    let s3 = &session.s3;
    s3.create_bucket().bucket(&bucket).send().await.expect("create the test's own bucket");
    let enabled = VersioningConfiguration::builder().status(BucketVersioningStatus::Enabled).build();
    s3.put_bucket_versioning().bucket(&bucket).versioning_configuration(enabled).send().await.unwrap();
    for body in ["one", "two", "three"] {
        s3.put_object()
            .bucket(&bucket)
            .key("doc.txt")
            .body(ByteStream::from_static(body.as_bytes()))
            .send()
            .await
            .unwrap();
    }
    s3.put_object()
        .bucket(&bucket)
        .key("doc.txt.bak")
        .body(ByteStream::from_static(b"other key"))
        .send()
        .await
        .unwrap();
    s3.delete_object().bucket(&bucket).key("doc.txt").send().await.unwrap();

    let mut worker = worker::spawn(manager);
    let request = Request::ListVersions {
        id: RequestId(1),
        identity: "admin-role".into(),
        bucket: bucket.clone(),
        key: "doc.txt".into(),
    };
    worker.requests.send(request).unwrap();
    let Response::Versions { result: Ok(versions), .. } = answer(&mut worker, 1).await else { panic!("versions") };
    assert_eq!(versions.len(), 4, "three versions and a delete marker, not the .bak key: {versions:#?}");
    assert!(versions.iter().all(|v| v.key == "doc.txt"));
    let markers: Vec<_> = versions.iter().filter(|v| v.is_delete_marker).collect();
    assert_eq!(markers.len(), 1);
    assert!(markers[0].is_latest, "the delete marker is the latest");
    let sizes: Vec<u64> = versions.iter().filter_map(|v| v.size).collect();
    assert_eq!(sizes.iter().sum::<u64>(), 3 + 3 + 5);

    // The oldest version, though a delete marker hides the key: previewed, inspected, downloaded.
    let oldest = versions.last().and_then(|v| v.version_id.clone()).expect("the oldest has an id");
    let read = Request::ReadRange {
        id: RequestId(2),
        identity: "admin-role".into(),
        bucket: bucket.clone(),
        key: "doc.txt".into(),
        version_id: Some(oldest.clone()),
        start: 0,
        len: 64 * 1024,
    };
    worker.requests.send(read).unwrap();
    let Response::Range { result: Ok(chunk), .. } = answer(&mut worker, 2).await else { panic!("a range") };
    assert_eq!(chunk.data, b"one");
    let details = Request::ObjectDetails {
        id: RequestId(3),
        identity: "admin-role".into(),
        bucket: bucket.clone(),
        key: "doc.txt".into(),
        version_id: Some(oldest.clone()),
    };
    worker.requests.send(details).unwrap();
    let Response::Details { result: Ok(details), .. } = answer(&mut worker, 3).await else { panic!("details") };
    assert_eq!((details.size, details.version_id.as_deref()), (3, Some(oldest.as_str())));
    let dest = tempfile::tempdir().unwrap();
    let download = Request::Download {
        id: RequestId(4),
        identity: "admin-role".into(),
        bucket,
        what: s3lease::worker::DownloadWhat::Object { key: "doc.txt".into(), version_id: Some(oldest) },
        dest_dir: dest.path().to_path_buf(),
        overwrite: false,
    };
    worker.requests.send(download).unwrap();
    let Response::TransferDone { result, .. } = answer(&mut worker, 4).await else { panic!("a download") };
    result.unwrap_or_else(|f| panic!("{}", f.message));
    assert_eq!(std::fs::read(dest.path().join("doc.txt")).unwrap(), b"one");
}
