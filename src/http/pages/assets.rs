//! The static assets of the pages (`static/**`: ES modules, stylesheet, icon),
//! embedded in the binary and served under `/static/` with their content type,
//! an ETag and revalidation, so an upgraded binary never serves stale scripts.

use std::sync::OnceLock;

use axum::extract::Path;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

/// One embedded file.
struct Asset {
    /// Path below `static/`.
    path: &'static str,
    /// Its bytes.
    body: &'static str,
    /// `Content-Type` header value.
    content_type: &'static str,
}

macro_rules! asset {
    ($path:literal, $ct:expr) => {
        Asset {
            path: $path,
            body: include_str!(concat!("../../../static/", $path)),
            content_type: $ct,
        }
    };
}

const JS: &str = "text/javascript; charset=utf-8";

/// Every file of `static/` (a unit test checks the list against the directory).
const ASSETS: &[Asset] = &[
    asset!("style.css", "text/css; charset=utf-8"),
    asset!("favicon.svg", "image/svg+xml"),
    asset!("js/ansi.js", JS),
    asset!("js/chips.js", JS),
    asset!("js/connection.js", JS),
    asset!("js/controls.js", JS),
    asset!("js/cursor.js", JS),
    asset!("js/events.js", JS),
    asset!("js/filter.js", JS),
    asset!("js/i18n.js", JS),
    asset!("js/index.js", JS),
    asset!("js/logview.js", JS),
    asset!("js/ops.js", JS),
    asset!("js/palette.js", JS),
    asset!("js/recent.js", JS),
    asset!("js/render.js", JS),
    asset!("js/status.js", JS),
    asset!("js/viewer.js", JS),
];

/// Strong ETags of the assets, in `ASSETS` order, computed once.
fn etags() -> &'static [String] {
    static ETAGS: OnceLock<Vec<String>> = OnceLock::new();
    ETAGS.get_or_init(|| {
        ASSETS
            .iter()
            .map(|a| {
                let digest = Sha256::digest(a.body.as_bytes());
                let hex: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
                format!("\"{hex}\"")
            })
            .collect()
    })
}

/// `GET /static/{*path}`: the asset, `304` when the browser's copy is current,
/// `404` for anything else (no file-system access, so no traversal).
pub async fn serve(Path(path): Path<String>, headers: HeaderMap) -> Response {
    let Some(index) = ASSETS.iter().position(|a| a.path == path) else {
        return super::security::with_headers(
            (
                crate::http::error::no_such_asset(),
                [(CONTENT_TYPE, "text/plain; charset=utf-8")],
                "no such file\n",
            )
                .into_response(),
            None,
        );
    };
    let asset = &ASSETS[index];
    let etag = &etags()[index];
    let fresh = headers
        .get(IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        ([(CONTENT_TYPE, asset.content_type)], asset.body).into_response()
    };
    let h = response.headers_mut();
    // Revalidate every time: a cheap 304, and never a stale module after an upgrade.
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Ok(v) = HeaderValue::from_str(etag) {
        h.insert(ETAG, v);
    }
    super::security::with_headers(response, None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::{Path as FsPath, PathBuf};

    fn walk(dir: &FsPath, root: &FsPath, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir)
            .expect("readable static dir")
            .flatten()
        {
            let p = entry.path();
            if p.is_dir() {
                walk(&p, root, out);
            } else if let Ok(rel) = p.strip_prefix(root) {
                out.push(rel.to_string_lossy().into_owned());
            }
        }
    }

    #[test]
    fn every_static_file_is_embedded_with_a_content_type() {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("static");
        let mut on_disk = Vec::new();
        walk(&root, &root, &mut on_disk);
        on_disk.sort();
        let mut embedded: Vec<String> = ASSETS.iter().map(|a| a.path.to_owned()).collect();
        embedded.sort();
        assert_eq!(on_disk, embedded);
        for a in ASSETS {
            let expected = match a.path.rsplit('.').next() {
                Some("js") => JS,
                Some("css") => "text/css; charset=utf-8",
                Some("svg") => "image/svg+xml",
                other => panic!("no content type known for {other:?}"),
            };
            assert_eq!(a.content_type, expected, "{}", a.path);
        }
    }

    #[tokio::test]
    async fn an_unchanged_asset_answers_not_modified() {
        let first = serve(Path("js/viewer.js".to_owned()), HeaderMap::new()).await;
        assert_eq!(first.status(), StatusCode::OK);
        assert_eq!(first.headers()[CONTENT_TYPE], JS);
        let etag = first.headers()[ETAG].clone();
        let mut headers = HeaderMap::new();
        headers.insert(IF_NONE_MATCH, etag);
        let second = serve(Path("js/viewer.js".to_owned()), headers).await;
        assert_eq!(second.status(), StatusCode::NOT_MODIFIED);
    }

    #[tokio::test]
    async fn unknown_and_traversal_paths_are_not_found() {
        for p in ["../Cargo.toml", "js/../../settings.toml", "nope.js", ""] {
            let r = serve(Path(p.to_owned()), HeaderMap::new()).await;
            assert_eq!(r.status(), StatusCode::NOT_FOUND, "{p}");
        }
    }
}
