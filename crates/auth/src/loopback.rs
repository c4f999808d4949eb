//! The browser comes back here: a one-shot HTTP listener on 127.0.0.1, any free port
//! (RFC 8252 §7.3), that takes the authorization response and tells the person they
//! can close the tab.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use url::Url;

use crate::AuthError;

const MAX_HEAD: usize = 16 * 1024;

pub struct Loopback {
    listener: TcpListener,
    port: u16,
}

/// What came back: the code and state, or the realm's error.
pub struct Callback {
    pub params: Vec<(String, String)>,
    stream: TcpStream,
}

impl Callback {
    /// Answers the browser, then closes the connection.
    pub async fn reply(mut self, ok: bool, message: &str) {
        let title = if ok { "Signed in" } else { "Sign-in failed" };
        let body = format!(
            "<!doctype html><html><head><meta charset=\"utf-8\"><title>SecondRead: {title}</title></head>\
             <body style=\"font: 18px sans-serif; margin: 3em\"><h1>{title}</h1><p>{}</p></body></html>",
            escape(message)
        );
        let status = if ok { "200 OK" } else { "400 Bad Request" };
        let response = format!(
            "HTTP/1.1 {status}\r\ncontent-type: text/html; charset=utf-8\r\ncache-control: no-store\r\n\
             content-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        let _ = self.stream.write_all(response.as_bytes()).await;
        let _ = self.stream.shutdown().await;
    }
}

impl Loopback {
    pub async fn bind() -> Result<Self, AuthError> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| AuthError::Io(format!("cannot listen for the browser: {e}")))?;
        let port = listener
            .local_addr()
            .map_err(|e| AuthError::Io(e.to_string()))?
            .port();
        Ok(Self { listener, port })
    }

    pub fn redirect_uri(&self) -> String {
        format!("http://127.0.0.1:{}/callback", self.port)
    }

    /// Waits for the browser's request to /callback; anything else (a favicon, a
    /// probe) is answered 404 and the wait goes on.
    pub async fn wait(self, timeout: Duration) -> Result<Callback, AuthError> {
        tokio::time::timeout(timeout, async {
            loop {
                let (mut stream, _) = self
                    .listener
                    .accept()
                    .await
                    .map_err(|e| AuthError::Io(format!("the browser's connection: {e}")))?;
                let Some(target) = request_target(&mut stream).await else {
                    continue;
                };
                let Ok(url) = Url::parse(&format!("http://127.0.0.1{target}")) else {
                    continue;
                };
                if url.path() != "/callback" {
                    let _ = stream
                        .write_all(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                        .await;
                    continue;
                }
                let params = url.query_pairs().into_owned().collect();
                return Ok(Callback { params, stream });
            }
        })
        .await
        .map_err(|_| AuthError::TimedOut(timeout.as_secs()))?
    }
}

/// The target of a `GET <target> HTTP/1.x` request, once its head has arrived.
async fn request_target(stream: &mut TcpStream) -> Option<String> {
    let mut head = Vec::new();
    let mut buf = [0u8; 2048];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buf))
            .await
            .ok()?
            .ok()?;
        if n == 0 || head.len() + n > MAX_HEAD {
            return None;
        }
        head.extend_from_slice(&buf[..n]);
    }
    let line = std::str::from_utf8(&head).ok()?.lines().next()?.to_owned();
    let mut parts = line.split(' ');
    match (parts.next(), parts.next()) {
        (Some("GET"), Some(target)) if target.starts_with('/') => Some(target.to_owned()),
        _ => None,
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
