//! The `sr://` scheme: frames travel to the viewer as binary (see `frame_wire`),
//! decoded on a worker thread so the window never waits on a decoder.

use std::sync::Arc;

use sr_engine::{Engine, EngineError, ErrorCode, ErrorReport};
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
        return no_such(path);
    };
    match engine.frame(id, index) {
        Ok(bytes) => Response::builder()
            .header(header::CONTENT_TYPE, "application/octet-stream")
            .header(header::ACCESS_CONTROL_ALLOW_ORIGIN, "*")
            .header(header::CACHE_CONTROL, "no-store")
            .body(bytes.as_ref().clone())
            .unwrap_or_default(),
        Err(e) => failed(&e),
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
        Ok(None) => no_such(&format!("/heatmap/{rest}")),
        Err(e) => failed(&e),
    }
}

fn no_such(path: &str) -> Response<Vec<u8>> {
    error(&ErrorReport::new(
        ErrorCode::NotFound,
        format!("nothing at {path}"),
    ))
}

fn failed(e: &EngineError) -> Response<Vec<u8>> {
    error(&e.report())
}

/// Every refusal is an `ErrorReport` in JSON, as an IPC command's would be.
fn error(report: &ErrorReport) -> Response<Vec<u8>> {
    let status = match report.code {
        ErrorCode::NotFound => StatusCode::NOT_FOUND,
        ErrorCode::NotPermitted => StatusCode::FORBIDDEN,
        ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::ACCESS_CONTROL_ALLOW_ORIGIN, "*")
        .body(serde_json::to_vec(report).unwrap_or_default())
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
            "/heatmap/abc",
        ] {
            let refused = get(&engine, path);
            assert_eq!(refused.status(), StatusCode::NOT_FOUND, "{path}");
            let body: serde_json::Value = serde_json::from_slice(refused.body()).unwrap();
            assert_eq!(body["code"], "not_found", "{path}");
        }
        let missing = get(&engine, "/frame/42/0");
        assert_eq!(missing.status(), StatusCode::NOT_FOUND);
        let body: serde_json::Value = serde_json::from_slice(missing.body()).unwrap();
        assert_eq!(body["code"], "not_found");
    }
}
