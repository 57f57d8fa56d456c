//! The apps in static/ are served small, revalidated by ETag (a second visit gets 304s), and the
//! service worker caches the resident app whole but never an API answer or a staff page.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::TestApp;
use rocket::http::{Header, Status};

fn static_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("static")
}

/// The files a first visit to `/` loads: the page, its stylesheets and scripts, every module they
/// import (statically), and the first screen (home), with what it imports.
fn first_load() -> Vec<String> {
    let index = std::fs::read_to_string(static_dir().join("index.html")).expect("index.html");
    let mut files = vec!["/".to_owned()];
    for attr in ["href=\"", "src=\""] {
        for piece in index.split(attr).skip(1) {
            let url = piece.split('"').next().unwrap_or_default();
            if url.ends_with(".css") || url.ends_with(".js") {
                files.push(url.to_owned());
            }
        }
    }
    let mut queue: Vec<String> = files.iter().filter(|f| f.ends_with(".js")).cloned().collect();
    queue.push("/app/views/home.js".to_owned());
    while let Some(module) = queue.pop() {
        if !files.contains(&module) {
            files.push(module.clone());
        }
        let text = std::fs::read_to_string(static_dir().join(module.trim_start_matches('/'))).expect("module");
        for line in
            text.lines().filter(|l| l.starts_with("import ") || l.starts_with("export ") && l.contains(" from "))
        {
            let Some(spec) = line.split(" from '").nth(1).and_then(|s| s.split('\'').next()) else { continue };
            let base = Path::new(&module).parent().expect("dir");
            let joined = base.join(spec);
            let mut parts: Vec<String> = Vec::new();
            for c in joined.components() {
                match c.as_os_str().to_str().unwrap_or_default() {
                    ".." => {
                        parts.pop();
                    }
                    "." | "/" => {}
                    p => parts.push(p.to_owned()),
                }
            }
            let url = format!("/{}", parts.join("/"));
            if !files.contains(&url) && !queue.contains(&url) {
                queue.push(url);
            }
        }
    }
    files
}

#[rocket::async_test]
async fn the_first_load_is_small_compressed_and_every_file_revalidates_by_etag() {
    let app = TestApp::plain().await;
    let files = first_load();
    assert!(files.len() >= 8, "{files:?}");
    let mut total_gzip = 0;
    for path in &files {
        let res = app.client.get(path.clone()).header(Header::new("Accept-Encoding", "gzip, deflate")).dispatch().await;
        assert_eq!(res.status(), Status::Ok, "{path}");
        assert_eq!(res.headers().get_one("Cache-Control"), Some("no-cache"), "{path}");
        assert_eq!(res.headers().get_one("Content-Encoding"), Some("gzip"), "{path}");
        let etag = res.headers().get_one("ETag").expect("an ETag").to_owned();
        total_gzip += res.into_bytes().await.expect("body").len();
        // A second visit: the same file, unchanged, is a 304 with no body.
        let again = app
            .client
            .get(path.clone())
            .header(Header::new("Accept-Encoding", "gzip, deflate"))
            .header(Header::new("If-None-Match", etag.clone()))
            .dispatch()
            .await;
        assert_eq!(again.status(), Status::NotModified, "{path}");
        assert_eq!(again.headers().get_one("ETag"), Some(etag.as_str()));
        assert!(again.into_bytes().await.unwrap_or_default().is_empty());
    }
    assert!(total_gzip <= 25 * 1024, "the first load is {total_gzip} bytes compressed: {files:?}");
    let plain = app.client.get("/").dispatch().await;
    assert_eq!(plain.headers().get_one("Content-Encoding"), None, "no gzip unless asked");
    assert!(plain.into_string().await.expect("html").contains("普法答题"));
    let manifest = app.client.get("/manifest.webmanifest").dispatch().await;
    assert!(manifest.content_type().is_some_and(|c| c.to_string().starts_with("application/manifest+json")));
}

#[rocket::async_test]
async fn the_staff_console_has_its_own_page_and_the_old_address_leads_there() {
    let app = TestApp::plain().await;
    let console = app.client.get("/admin/").dispatch().await;
    assert_eq!(console.status(), Status::Ok);
    let html = console.into_string().await.expect("html");
    assert!(html.contains("/admin/main.js") && html.contains("/css/admin.css"), "{html}");
    let old = app.client.get("/admin.html").dispatch().await.into_string().await.expect("html");
    assert!(old.contains("url=/admin/"), "{old}");
}

#[rocket::async_test]
async fn the_service_worker_caches_the_whole_resident_app_and_never_the_api_or_staff_pages() {
    let app = TestApp::plain().await;
    let sw = app.client.get("/sw.js").dispatch().await.into_string().await.expect("sw");
    let listed: BTreeSet<String> = sw
        .split('\'')
        .filter(|s| s.starts_with('/') && (s.ends_with(".js") || s.ends_with(".css")))
        .map(str::to_owned)
        .collect();
    // Every module and stylesheet of the resident app is cached for offline use.
    let mut expected = BTreeSet::new();
    for dir in ["lib", "app", "app/parts", "app/views"] {
        for entry in std::fs::read_dir(static_dir().join(dir)).expect("dir").flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.ends_with(".js") {
                expected.insert(format!("/{dir}/{name}"));
            }
        }
    }
    expected.extend(["/css/base.css".to_owned(), "/css/app.css".to_owned()]);
    let missing: Vec<_> = expected.difference(&listed).collect();
    assert!(missing.is_empty(), "the service worker does not cache {missing:?}");
    assert!(!listed.iter().any(|f| f.starts_with("/admin")), "staff pages are never cached: {listed:?}");
    assert!(sw.contains("const VERSION = '"), "one version constant names the cache");
    assert!(sw.contains("path.startsWith('/api/')") && sw.contains("path.startsWith('/admin')"));
    // The lessons a resident has read are kept by the page in a cache of their own, which an app
    // update (a new VERSION, whose activation deletes the other caches) leaves in place.
    let kept = std::fs::read_to_string(static_dir().join("app/parts/kept.js")).expect("kept.js");
    let cache = kept.split("const CACHE = '").nth(1).and_then(|s| s.split('\'').next()).expect("the cache's name");
    let spared =
        sw.split("const KEPT_BY_THE_PAGE = [").nth(1).and_then(|s| s.split(']').next()).expect("spared caches");
    assert!(spared.contains(&format!("'{cache}'")), "sw.js deletes the {cache} cache on update");

    let manifest: serde_json::Value =
        serde_json::from_str(&app.client.get("/manifest.webmanifest").dispatch().await.into_string().await.expect("m"))
            .expect("json");
    assert_eq!((manifest["name"].as_str(), manifest["display"].as_str()), (Some("普法答题"), Some("standalone")));
    let icons = manifest["icons"].as_array().expect("icons");
    assert!(icons.iter().any(|i| i["sizes"] == "192x192") && icons.iter().any(|i| i["purpose"] == "maskable"));
    for icon in icons {
        let res = app.client.get(icon["src"].as_str().expect("src").to_owned()).dispatch().await;
        assert_eq!(res.status(), Status::Ok);
    }
}
