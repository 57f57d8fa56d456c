//! The apps in static/: every file carries an `ETag` (a digest of its bytes) and is revalidated on
//! each use (`Cache-Control: no-cache`), so an unchanged file costs a 304 and a changed one is
//! never stale: no hand-kept `?v=` strings. Compressible files go out gzipped when the client
//! accepts it; the gzip of each version of a file is made once and kept.

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError};

use rocket::fairing::{Fairing, Info, Kind};
use rocket::http::{ContentType, Header, Status};
use rocket::{Request, Response};

/// Caching and compression for everything outside /api.
#[derive(Default)]
pub struct StaticDelivery {
    /// ETag → gzipped bytes (a file's versions are few; the map is cleared if it ever grows large).
    gzipped: Mutex<HashMap<String, Arc<Vec<u8>>>>,
}

fn compressible(ct: Option<ContentType>) -> bool {
    ct.is_some_and(|ct| {
        ct.top() == "text" || matches!(ct.sub().as_str(), "javascript" | "json" | "manifest+json" | "svg+xml" | "xml")
    })
}

/// A strong validator of the bytes (SHA-256, 128 bits are plenty); the gzipped representation
/// gets a validator of its own.
fn etag_of(body: &[u8], gzipped: bool) -> String {
    format!("\"{}{}\"", &crate::digest::sha256_hex(body)[..32], if gzipped { "-gz" } else { "" })
}

/// Whether `If-None-Match` names `etag` (or `*`).
fn matches(req: &Request<'_>, etag: &str) -> bool {
    req.headers().get("If-None-Match").flat_map(|v| v.split(',')).map(str::trim).any(|tag| {
        let tag = tag.strip_prefix("W/").unwrap_or(tag);
        tag == etag || tag == "*"
    })
}

impl StaticDelivery {
    fn gzip(&self, etag: &str, body: &[u8]) -> Option<Arc<Vec<u8>>> {
        if let Some(done) = self.gzipped.lock().unwrap_or_else(PoisonError::into_inner).get(etag) {
            return Some(Arc::clone(done));
        }
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        let compressed = Arc::new(encoder.write_all(body).and_then(|()| encoder.finish()).ok()?);
        let mut cache = self.gzipped.lock().unwrap_or_else(PoisonError::into_inner);
        if cache.len() >= 512 {
            cache.clear();
        }
        cache.insert(etag.to_owned(), Arc::clone(&compressed));
        Some(compressed)
    }
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
        if path.ends_with(".webmanifest") {
            res.set_header(ContentType::new("application", "manifest+json"));
        }
        let Ok(body) = res.body_mut().to_bytes().await else { return };
        let gzipped =
            compressible(res.content_type()) && req.headers().get("Accept-Encoding").any(|v| v.contains("gzip"));
        let etag = etag_of(&body, gzipped);
        res.set_header(Header::new("Cache-Control", "no-cache"));
        res.set_header(Header::new("ETag", etag.clone()));
        res.set_header(Header::new("Vary", "Accept-Encoding"));
        if matches(req, &etag) {
            res.set_status(Status::NotModified);
            res.set_sized_body(0, std::io::Cursor::new(Vec::new()));
            return;
        }
        match gzipped.then(|| self.gzip(&etag, &body)).flatten() {
            Some(gz) => {
                res.set_header(Header::new("Content-Encoding", "gzip"));
                res.set_sized_body(gz.len(), std::io::Cursor::new(gz.to_vec()));
            }
            None => res.set_sized_body(body.len(), std::io::Cursor::new(body)),
        }
    }
}
