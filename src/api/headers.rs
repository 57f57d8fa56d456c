//! Security headers on every response, API and app alike. Rocket's Shield adds
//! X-Content-Type-Options, X-Frame-Options and Referrer-Policy (configured in `lib.rs`); the
//! content security policy is ours: the app loads only its own files and never runs inline code,
//! so text a resident typed can never become a script even if some page got escaping wrong.

use rocket::fairing::{Fairing, Info, Kind};
use rocket::http::Header;
use rocket::{Request, Response};

pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; img-src 'self' data:; object-src 'none'; \
     base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

pub struct ContentSecurityPolicy;

#[rocket::async_trait]
impl Fairing for ContentSecurityPolicy {
    fn info(&self) -> Info {
        Info { name: "content security policy", kind: Kind::Response }
    }

    async fn on_response<'r>(&self, _: &'r Request<'_>, res: &mut Response<'r>) {
        res.set_header(Header::new("Content-Security-Policy", CONTENT_SECURITY_POLICY));
    }
}

/// Answers that carry a token or personal data are never stored by a browser or a proxy: sign-in,
/// the caller's own data, and everything staff see.
pub struct NoStore;

/// Whether `path` answers with a token or personal data.
pub fn personal(path: &str) -> bool {
    path.starts_with("/api/v1/auth/")
        || path == "/api/v1/me"
        || path.starts_with("/api/v1/me/")
        || path.starts_with("/api/v1/admin/")
        || path.starts_with("/api/v1/sessions/")
}

#[rocket::async_trait]
impl Fairing for NoStore {
    fn info(&self) -> Info {
        Info { name: "no-store for personal data", kind: Kind::Response }
    }

    async fn on_response<'r>(&self, req: &'r Request<'_>, res: &mut Response<'r>) {
        if personal(req.uri().path().as_str()) {
            res.set_header(Header::new("Cache-Control", "no-store"));
        }
    }
}
