//! The phone app in static/: served with the right caching and, when the phone accepts it, gzip.

use std::io::Write;

use rocket::fairing::{Fairing, Info, Kind};
use rocket::http::{ContentType, Header, Status};
use rocket::{Request, Response};

/// Caching and compression for everything outside /api.
pub struct StaticDelivery;

fn compressible(ct: Option<ContentType>) -> bool {
    ct.is_some_and(|ct| {
        ct.top() == "text" || matches!(ct.sub().as_str(), "javascript" | "json" | "manifest+json" | "svg+xml" | "xml")
    })
}

#[rocket::async_trait]
impl Fairing for StaticDelivery {
    fn info(&self) -> Info {
        Info { name: "static delivery", kind: Kind::Response }
    }

    async fn on_response<'r>(&self, req: &'r Request<'_>, res: &mut Response<'r>) {
        let path = req.uri().path();
        if path.starts_with("/api/") || path == "/healthz" || path == "/readyz" || path == "/metrics" {
            return;
        }
        if res.status() != Status::Ok {
            return;
        }
        // The shell and the service worker must always be checked for updates; versioned
        // assets (`?v=`) never change under the same name; the rest is cached for an hour.
        let cache = if path == "/" || path.ends_with(".html") || path == "/sw.js" || path.ends_with(".webmanifest") {
            "no-cache"
        } else if req.uri().query().is_some_and(|q| q.as_str().starts_with("v=")) {
            "public, max-age=31536000, immutable"
        } else {
            "public, max-age=3600"
        };
        res.set_header(Header::new("Cache-Control", cache));
        if path.ends_with(".webmanifest") {
            res.set_header(ContentType::new("application", "manifest+json"));
        }
        let accepts_gzip = req.headers().get("Accept-Encoding").any(|v| v.contains("gzip"));
        if !accepts_gzip || !compressible(res.content_type()) {
            return;
        }
        let Ok(body) = res.body_mut().to_bytes().await else { return };
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        let compressed = encoder.write_all(&body).and_then(|()| encoder.finish());
        match compressed {
            Ok(gz) => {
                res.set_header(Header::new("Content-Encoding", "gzip"));
                res.set_sized_body(gz.len(), std::io::Cursor::new(gz));
            }
            Err(_) => res.set_sized_body(body.len(), std::io::Cursor::new(body)),
        }
        res.set_header(Header::new("Vary", "Accept-Encoding"));
    }
}
