//! The phone app is served small, cached right, and never caches answer keys.

mod common;

use common::TestApp;
use rocket::http::{Header, Status};

#[rocket::async_test]
async fn the_app_shell_is_served_compressed_with_the_right_caching() {
    let app = TestApp::plain().await;
    let mut total_gzip = 0;
    for (path, mime, cache) in [
        ("/", "text/html", "no-cache"),
        ("/app.js?v=2", "text/javascript", "immutable"),
        ("/style.css?v=3", "text/css", "immutable"),
        ("/sw.js", "text/javascript", "no-cache"),
        ("/manifest.webmanifest", "application/manifest+json", "no-cache"),
    ] {
        let res = app.client.get(path).header(Header::new("Accept-Encoding", "gzip, deflate")).dispatch().await;
        assert_eq!(res.status(), Status::Ok, "{path}");
        assert!(
            res.content_type().is_some_and(|c| c.to_string().starts_with(mime)),
            "{path}: {:?}",
            res.content_type()
        );
        assert!(res.headers().get_one("Cache-Control").is_some_and(|c| c.contains(cache)), "{path}");
        assert_eq!(res.headers().get_one("Content-Encoding"), Some("gzip"), "{path}");
        let body = res.into_bytes().await.expect("body");
        if ["/", "/app.js?v=2", "/style.css?v=3"].contains(&path) {
            total_gzip += body.len();
        }
    }
    assert!(total_gzip < 60 * 1024, "first load is {total_gzip} bytes compressed");
    let plain = app.client.get("/").dispatch().await;
    assert_eq!(plain.headers().get_one("Content-Encoding"), None, "no gzip unless asked");
    assert!(plain.into_string().await.expect("html").contains("普法答题"));
}

#[rocket::async_test]
async fn the_manifest_makes_an_installable_app_and_the_service_worker_skips_the_api() {
    let app = TestApp::plain().await;
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
    let sw = app.client.get("/sw.js").dispatch().await.into_string().await.expect("sw");
    assert!(sw.contains("startsWith('/api/')"), "the service worker leaves API answers uncached");
    // The offline pack carries answers for practice only; campaign sessions never do before their time.
    let pack = app.get("/api/v1/practice/pack?count=5", None).await;
    assert_eq!(pack.body["questions"].as_array().map(Vec::len), Some(5));
    assert!(pack.body["questions"][0]["answer"].is_string());
}
