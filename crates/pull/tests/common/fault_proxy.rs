//! A fault-injecting HTTP proxy in front of a real S3 server: the server still answers
//! everything that is not a fault, so the client meets real listings and real bytes,
//! with the failures a busy or flaky object store produces in between.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

/// What to do to the GETs of objects whose path ends with a given suffix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Answer `503 SlowDown` this many times, then pass through.
    SlowDown(u32),
    /// Send half the body of the first answer, then drop the connection.
    DropMidBody,
    /// Delete the object on the server just before the first GET reaches it.
    DeleteFirst,
}

pub struct FaultProxy {
    pub port: u16,
    /// GETs of objects (not listings) seen, by path.
    pub gets: Arc<Mutex<HashMap<String, u32>>>,
}

impl FaultProxy {
    pub fn start(upstream: u16, faults: Vec<(String, Fault)>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let gets: Arc<Mutex<HashMap<String, u32>>> = Arc::default();
        let counts = gets.clone();
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let counts = counts.clone();
                let faults = faults.clone();
                std::thread::spawn(move || serve(client, upstream, &faults, &counts));
            }
        });
        FaultProxy { port, gets }
    }

    pub fn gets_of(&self, suffix: &str) -> u32 {
        self.gets
            .lock()
            .unwrap()
            .iter()
            .filter(|(path, _)| path.ends_with(suffix))
            .map(|(_, n)| n)
            .sum()
    }
}

/// One request per connection: read its head, apply a fault or forward it with
/// `Connection: close`, relay the answer.
fn serve(
    mut client: TcpStream,
    upstream: u16,
    faults: &[(String, Fault)],
    counts: &Mutex<HashMap<String, u32>>,
) {
    let Some(head) = read_head(&mut client) else {
        return;
    };
    let request_line = head.lines().next().unwrap_or("").to_string();
    let mut parts = request_line.split(' ');
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let path = target.split('?').next().unwrap_or("").to_string();
    let is_object_get = method == "GET" && !target.contains('?');
    let mut fault = None;
    if is_object_get {
        let seen = {
            let mut counts = counts.lock().unwrap();
            let n = counts.entry(path.clone()).or_default();
            *n += 1;
            *n
        };
        fault = faults
            .iter()
            .find(|(suffix, _)| path.ends_with(suffix.as_str()))
            .map(|(_, f)| *f)
            .filter(|f| match f {
                Fault::SlowDown(times) => seen <= *times,
                Fault::DropMidBody | Fault::DeleteFirst => seen == 1,
            });
    }
    match fault {
        Some(Fault::SlowDown(_)) => {
            let body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>SlowDown</Code>\
                        <Message>Please reduce your request rate.</Message></Error>";
            let _ = write!(
                client,
                "HTTP/1.1 503 Slow Down\r\nContent-Type: application/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            return;
        }
        Some(Fault::DeleteFirst) => {
            super::raw_request(upstream, "DELETE", &path);
        }
        _ => {}
    }
    let Ok(mut server) = TcpStream::connect(("127.0.0.1", upstream)) else {
        return;
    };
    let head: String = head
        .split("\r\n")
        .filter(|line| !line.to_ascii_lowercase().starts_with("connection:") && !line.is_empty())
        .map(|line| format!("{line}\r\n"))
        .collect();
    let _ = write!(server, "{head}Connection: close\r\n\r\n");
    let mut answer = Vec::new();
    let _ = server.read_to_end(&mut answer);
    if fault == Some(Fault::DropMidBody) {
        let body_start = answer
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .map_or(0, |p| p + 4);
        let cut = body_start + (answer.len() - body_start) / 2;
        let _ = client.write_all(&answer[..cut]);
        let _ = client.shutdown(Shutdown::Both);
        return;
    }
    let _ = client.write_all(&answer);
}

/// The request head up to the blank line (requests through the proxy carry no body).
fn read_head(client: &mut TcpStream) -> Option<String> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if client.read(&mut byte).ok()? == 0 {
            return None;
        }
        head.push(byte[0]);
    }
    String::from_utf8(head).ok()
}
