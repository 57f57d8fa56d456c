//! Large JSON answers (a session with its twenty questions, a review, a board page) travel gzipped
//! when the client accepts it: on a weak rural network the bytes are the wait. Small answers (an
//! answer's outcome, most errors) are sent as they are: compressing them costs the server more than
//! it saves the phone.

use std::io::Write;

use rocket::fairing::{Fairing, Info, Kind};
use rocket::http::Header;
use rocket::{Request, Response};

/// Bodies smaller than this are not worth compressing.
const MIN_BYTES: usize = 1024;

pub struct JsonCompression;

#[rocket::async_trait]
impl Fairing for JsonCompression {
    fn info(&self) -> Info {
        Info { name: "gzip for large JSON answers", kind: Kind::Response }
    }

    async fn on_response<'r>(&self, req: &'r Request<'_>, res: &mut Response<'r>) {
        if !req.uri().path().starts_with("/api/")
            || !res.content_type().is_some_and(|ct| ct.is_json())
            || res.headers().contains("Content-Encoding")
            || !req.headers().get("Accept-Encoding").any(|v| v.contains("gzip"))
        {
            return;
        }
        let Ok(body) = res.body_mut().to_bytes().await else { return };
        res.set_header(Header::new("Vary", "Accept-Encoding"));
        if body.len() < MIN_BYTES {
            res.set_sized_body(body.len(), std::io::Cursor::new(body));
            return;
        }
        let mut encoder =
            flate2::write::GzEncoder::new(Vec::with_capacity(body.len() / 3), flate2::Compression::fast());
        match encoder.write_all(&body).and_then(|()| encoder.finish()) {
            Ok(gz) => {
                res.set_header(Header::new("Content-Encoding", "gzip"));
                res.set_sized_body(gz.len(), std::io::Cursor::new(gz));
            }
            Err(_) => res.set_sized_body(body.len(), std::io::Cursor::new(body)),
        }
    }
}
