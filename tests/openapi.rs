//! The OpenAPI document at /api/openapi.json names exactly the routes Rocket mounts.

mod common;

use std::collections::BTreeSet;

use common::TestApp;
use rocket::http::{ContentType, Status};
use serde_json::Value;

/// `/api/v1/sessions/<id>/answers/<position>?<x>` → `/api/v1/sessions/{id}/answers/{position}`.
fn openapi_path(rocket_path: &str) -> String {
    rocket_path
        .split('/')
        .map(|segment| match segment.strip_prefix('<').and_then(|s| s.strip_suffix('>')) {
            Some(name) => format!("{{{}}}", name.trim_end_matches("..")),
            None => segment.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

const METHODS: [&str; 8] = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

fn documented(doc: &Value) -> BTreeSet<(String, String)> {
    let paths = doc["paths"].as_object().expect("paths");
    paths
        .iter()
        .flat_map(|(path, item)| {
            METHODS.iter().filter(|m| item.get(**m).is_some()).map(move |m| (m.to_string(), path.clone()))
        })
        .collect()
}

#[rocket::async_test]
async fn every_mounted_route_is_documented_and_every_documented_path_is_mounted() {
    let app = TestApp::plain().await;
    let res = app.client.get("/api/openapi.json").dispatch().await;
    assert_eq!(res.status(), Status::Ok);
    assert_eq!(res.content_type(), Some(ContentType::JSON));
    let doc: Value = res.into_json().await.expect("JSON");
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")), "{}", doc["openapi"]);
    assert_eq!(doc, serde_json::to_value(pufa::api::openapi::document()).expect("document as JSON"));

    let mounted: BTreeSet<(String, String)> = app
        .client
        .rocket()
        .routes()
        .filter(|route| !route.name.as_deref().is_some_and(|name| name.starts_with("FileServer")))
        .map(|route| (route.method.as_str().to_lowercase(), openapi_path(route.uri.path())))
        .collect();
    assert!(mounted.len() > 40, "{mounted:?}");
    let documented = documented(&doc);
    let undocumented: Vec<_> = mounted.difference(&documented).collect();
    let not_mounted: Vec<_> = documented.difference(&mounted).collect();
    assert!(undocumented.is_empty(), "mounted but not in the document: {undocumented:?}");
    assert!(not_mounted.is_empty(), "in the document but not mounted: {not_mounted:?}");
}

#[rocket::async_test]
async fn every_operation_documents_its_parameters_errors_and_auth() {
    let doc = serde_json::to_value(pufa::api::openapi::document()).expect("document as JSON");
    assert_eq!(doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
    let error_ref = "#/components/schemas/ErrorBody";
    for (method, path) in documented(&doc) {
        let op = &doc["paths"][&path][&method];
        let what = format!("{method} {path}");
        // Every `{name}` of the path is a documented path parameter.
        let declared: BTreeSet<&str> = op["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| p["in"] == "path")
            .filter_map(|p| p["name"].as_str())
            .collect();
        let in_path: BTreeSet<&str> =
            path.split('/').filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}'))).collect();
        assert_eq!(declared, in_path, "{what}");

        let responses = op["responses"].as_object().unwrap_or_else(|| panic!("{what}: responses"));
        assert!(responses.keys().any(|s| s.starts_with('2')), "{what}: no success response");
        // Errors on /api have the one error body.
        if path.starts_with("/api/") {
            for (status, response) in responses.iter().filter(|(s, _)| !s.starts_with('2')) {
                assert_eq!(response["content"]["application/json"]["schema"]["$ref"], error_ref, "{what} {status}");
            }
        }
        // A route that needs a token says so, and documents 401.
        let security = op["security"].as_array();
        let needs_token = security.is_some_and(|s| !s.iter().any(|req| req.as_object().is_some_and(|o| o.is_empty())));
        if needs_token {
            assert!(responses.contains_key("401"), "{what}: needs a token but documents no 401");
        }
        // Every API operation may meet a database or live store that is away.
        if path.starts_with("/api/v1/") {
            assert!(responses.contains_key("503"), "{what}: documents no 503");
        }
        // A JSON body can be malformed, too large or of the wrong shape.
        if op["requestBody"]["content"].get("application/json").is_some() {
            for status in ["400", "413", "422"] {
                assert!(responses.contains_key(status), "{what}: JSON body without {status}");
            }
        }
    }
    // Every link names an operation of the document, by operationId.
    let operation_ids: BTreeSet<&str> = documented(&doc)
        .iter()
        .filter_map(|(method, path)| doc["paths"][path][method]["operationId"].as_str())
        .collect();
    let mut links = 0;
    for (method, path) in documented(&doc) {
        for (status, response) in doc["paths"][&path][&method]["responses"].as_object().into_iter().flatten() {
            for (name, link) in response["links"].as_object().into_iter().flatten() {
                let target = link["operationId"].as_str().unwrap_or_default();
                assert!(operation_ids.contains(target), "{method} {path} {status} link {name}: {link}");
                links += 1;
            }
        }
    }
    assert!(links >= 12, "{links} links");
    // Every schema reference resolves.
    let text = doc.to_string();
    let schemas = doc["components"]["schemas"].as_object().expect("schemas");
    for piece in text.split("\"#/components/schemas/").skip(1) {
        let name = piece.split('"').next().unwrap_or_default();
        assert!(schemas.contains_key(name), "dangling reference to {name}");
    }
    // Admin routes are documented as such.
    for (method, path) in documented(&doc).into_iter().filter(|(_, p)| p.starts_with("/api/v1/admin/")) {
        let responses = &doc["paths"][&path][&method]["responses"];
        assert!(responses.get("403").is_some(), "{method} {path}: admin route without 403");
    }
}
