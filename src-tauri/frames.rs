//! The `sr://` scheme: frames travel to the viewer as binary (see `frame_wire`),
//! decoded on a worker thread so the window never waits on a decoder.

use std::sync::Arc;

use sr_engine::Engine;
use tauri::http::{Request, Response, StatusCode, header};

pub const SCHEME: &str = "sr";

/// Answers `sr://localhost/frame/{item}/{index}` and `/heatmap/{item}/{model id}`.
pub fn respond(engine: Arc<Engine>, request: &Request<Vec<u8>>) -> Response<Vec<u8>> {
    let path = request.uri().path();
    if let Some(rest) = path.strip_prefix("/heatmap/") {
        return heatmap(&engine, rest);
    }
    let parsed = path
        .strip_prefix("/frame/")
        .and_then(|rest| rest.split_once('/'))
        .and_then(|(id, index)| Some((id.parse::<i64>().ok()?, index.parse::<u32>().ok()?)));
    let Some((id, index)) = parsed else {
        return text(StatusCode::NOT_FOUND, format!("no such resource: {path}"));
    };
    match engine.frame(id, index) {
        Ok(bytes) => Response::builder()
            .header(header::CONTENT_TYPE, "application/octet-stream")
            .header(header::ACCESS_CONTROL_ALLOW_ORIGIN, "*")
            .header(header::CACHE_CONTROL, "no-store")
            .body(bytes.as_ref().clone())
            .unwrap_or_default(),
        Err(e) => {
            let status = if e.code() == "not_found" {
                StatusCode::NOT_FOUND
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            text(
                status,
                serde_json::to_string(&e.report()).unwrap_or_default(),
            )
        }
    }
}

/// A diagnosis model's stored heat map, as an 8-bit PNG.
fn heatmap(engine: &Engine, rest: &str) -> Response<Vec<u8>> {
    let parsed = rest
        .split_once('/')
        .and_then(|(id, model)| Some((id.parse::<i64>().ok()?, model)));
    let found = match parsed {
        Some((id, model)) => engine.heatmap(id, model),
        None => Ok(None),
    };
    match found {
        Ok(Some(png)) => Response::builder()
            .header(header::CONTENT_TYPE, "image/png")
            .header(header::ACCESS_CONTROL_ALLOW_ORIGIN, "*")
            .header(header::CACHE_CONTROL, "no-store")
            .body(png)
            .unwrap_or_default(),
        Ok(None) => text(
            StatusCode::NOT_FOUND,
            format!("no heat map at /heatmap/{rest}"),
        ),
        Err(e) => text(
            StatusCode::UNPROCESSABLE_ENTITY,
            serde_json::to_string(&e.report()).unwrap_or_default(),
        ),
    }
}

fn text(status: StatusCode, body: String) -> Response<Vec<u8>> {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::ACCESS_CONTROL_ALLOW_ORIGIN, "*")
        .body(body.into_bytes())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(engine: &Arc<Engine>, path: &str) -> Response<Vec<u8>> {
        let request = Request::builder()
            .uri(format!("sr://localhost{path}"))
            .body(Vec::new())
            .unwrap();
        respond(engine.clone(), &request)
    }

    #[test]
    fn malformed_and_unknown_frame_requests_are_refused_cleanly() {
        let dir = tempfile::tempdir().unwrap();
        let engine =
            Arc::new(Engine::open(sr_engine::EngineConfig::new(dir.path().to_owned())).unwrap());
        for path in [
            "/frame/abc/0",
            "/frame/1",
            "/frame/1/-1",
            "/../../etc/passwd",
            "/",
        ] {
            assert_eq!(get(&engine, path).status(), StatusCode::NOT_FOUND, "{path}");
        }
        let missing = get(&engine, "/frame/42/0");
        assert_eq!(missing.status(), StatusCode::NOT_FOUND);
        let body: serde_json::Value = serde_json::from_slice(missing.body()).unwrap();
        assert_eq!(body["code"], "not_found");
    }
}
