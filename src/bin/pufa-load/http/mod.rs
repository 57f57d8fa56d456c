//! A small HTTP/1.1 keep-alive client over one `tokio::net::TcpStream`.
//!
//! Why hand-written: the load generator may use no crates beyond the ones pufa already has, and
//! it shares the machine's two cores with the server it measures, so the client must cost little
//! CPU. A request is one buffered write; a response is parsed in place from one reusable read
//! buffer (status line, the few headers that matter, a `Content-Length` or chunked body).
//! One `Conn` is one connection of one virtual user; it reconnects by itself after an error.

use std::fmt;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Every request gives up after this long (reported as the error `timeout`).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// The largest response head or body accepted (a leaderboard page or a review is a few tens of KB).
const MAX_RESPONSE: usize = 16 * 1024 * 1024;

/// Where requests go: `host:port` to connect to and the `Host` header to send.
#[derive(Debug, Clone)]
pub struct Target {
    pub connect_to: String,
    pub host_header: String,
}

impl Target {
    /// Parses `http://host[:port]` (a trailing `/` or path is refused: paths come per request).
    pub fn parse(url: &str) -> Result<Self, String> {
        let rest = url.strip_prefix("http://").ok_or_else(|| format!("{url}: only http:// URLs are supported"))?;
        let authority = rest.trim_end_matches('/');
        if authority.is_empty() || authority.contains('/') {
            return Err(format!("{url}: give the server's base URL without a path, e.g. http://127.0.0.1:8000"));
        }
        let connect_to = if authority.rsplit_once(':').is_some_and(|(_, port)| port.parse::<u16>().is_ok()) {
            authority.to_owned()
        } else {
            format!("{authority}:80")
        };
        Ok(Self { connect_to, host_header: authority.to_owned() })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Put,
}

impl Method {
    fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
            Self::Put => "PUT",
        }
    }
}

/// A transport failure (no HTTP status).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpError {
    /// No answer within `REQUEST_TIMEOUT`.
    Timeout,
    /// The TCP connection could not be made.
    Connect,
    /// Reset, closed early, or an unreadable response.
    Io,
}

impl HttpError {
    pub fn code(self) -> &'static str {
        match self {
            Self::Timeout => "timeout",
            Self::Connect => "connect",
            Self::Io => "io",
        }
    }
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl std::error::Error for HttpError {}

pub struct Response {
    pub status: u16,
    pub body: Vec<u8>,
}

impl Response {
    /// `error.code` of pufa's error body, if the body is one.
    pub fn error_code(&self) -> Option<String> {
        let value: serde_json::Value = serde_json::from_slice(&self.body).ok()?;
        value.get("error")?.get("code")?.as_str().map(str::to_owned)
    }
}

/// Why reading one response failed; `Stale` means the connection closed before any byte of
/// the response came back (a keep-alive connection the server had already closed).
enum ReadFailure {
    Stale,
    Broken,
}

pub struct Conn {
    target: Target,
    stream: Option<TcpStream>,
    /// Outgoing request, reused.
    out: Vec<u8>,
    /// Incoming bytes; `buf[pos..len]` is unread.
    buf: Vec<u8>,
    pos: usize,
    len: usize,
    /// Connections made (the first included).
    pub connects: u64,
    /// When the connection last finished a request (to drop idle ones the server may have closed).
    pub last_used: std::time::Instant,
}

impl Conn {
    pub fn new(target: Target) -> Self {
        Self {
            target,
            stream: None,
            out: Vec::with_capacity(1024),
            buf: vec![0; 64 * 1024],
            pos: 0,
            len: 0,
            connects: 0,
            last_used: std::time::Instant::now(),
        }
    }

    /// Sends one request and reads its response, within `REQUEST_TIMEOUT`.
    pub async fn request(
        &mut self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&[u8]>,
    ) -> Result<Response, HttpError> {
        let result = tokio::time::timeout(REQUEST_TIMEOUT, self.exchange(method, path, token, body)).await;
        self.last_used = std::time::Instant::now();
        match result {
            Ok(Ok(response)) => Ok(response),
            Ok(Err(e)) => {
                self.drop_connection();
                Err(e)
            }
            Err(_) => {
                // The connection is in an unknown state mid-response: never reuse it.
                self.drop_connection();
                Err(HttpError::Timeout)
            }
        }
    }

    fn drop_connection(&mut self) {
        self.stream = None;
        self.pos = 0;
        self.len = 0;
    }

    async fn exchange(
        &mut self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&[u8]>,
    ) -> Result<Response, HttpError> {
        self.encode(method, path, token, body);
        let reused = self.stream.is_some();
        self.send().await?;
        match self.read_response().await {
            Ok(response) => Ok(response),
            // The server closed an idle keep-alive connection just before our request reached
            // it: it never saw the request, so sending it once more on a new connection is safe.
            Err(ReadFailure::Stale) if reused => {
                self.drop_connection();
                self.send().await?;
                self.read_response().await.map_err(|_| HttpError::Io)
            }
            Err(_) => Err(HttpError::Io),
        }
    }

    fn encode(&mut self, method: Method, path: &str, token: Option<&str>, body: Option<&[u8]>) {
        use std::io::Write;
        let out = &mut self.out;
        out.clear();
        // Writing into a Vec cannot fail.
        let _ = write!(out, "{} {} HTTP/1.1\r\nHost: {}\r\n", method.as_str(), path, self.target.host_header);
        if let Some(token) = token {
            let _ = write!(out, "Authorization: Bearer {token}\r\n");
        }
        match body {
            Some(body) => {
                let _ = write!(out, "Content-Type: application/json\r\nContent-Length: {}\r\n\r\n", body.len());
                out.extend_from_slice(body);
            }
            None if method == Method::Get => out.extend_from_slice(b"\r\n"),
            None => out.extend_from_slice(b"Content-Length: 0\r\n\r\n"),
        }
    }

    async fn send(&mut self) -> Result<(), HttpError> {
        if self.stream.is_none() {
            let stream = TcpStream::connect(&self.target.connect_to).await.map_err(|_| HttpError::Connect)?;
            let _ = stream.set_nodelay(true);
            self.connects += 1;
            self.stream = Some(stream);
            self.pos = 0;
            self.len = 0;
        }
        let Some(stream) = self.stream.as_mut() else { return Err(HttpError::Io) };
        stream.write_all(&self.out).await.map_err(|_| HttpError::Io)
    }

    /// Reads more bytes into the buffer; `Ok(0)` at end of stream.
    async fn fill(&mut self) -> std::io::Result<usize> {
        if self.pos > 0 && self.pos == self.len {
            self.pos = 0;
            self.len = 0;
        }
        if self.len == self.buf.len() {
            if self.pos > 0 {
                self.buf.copy_within(self.pos..self.len, 0);
                self.len -= self.pos;
                self.pos = 0;
            } else {
                if self.buf.len() >= MAX_RESPONSE {
                    return Err(std::io::Error::other("response too large"));
                }
                let bigger = self.buf.len() * 2;
                self.buf.resize(bigger, 0);
            }
        }
        let Some(stream) = self.stream.as_mut() else { return Err(std::io::Error::other("not connected")) };
        let n = stream.read(&mut self.buf[self.len..]).await?;
        self.len += n;
        Ok(n)
    }

    /// Reads up to and including the next CRLF; returns the line without it.
    async fn line(&mut self) -> Result<String, ReadFailure> {
        loop {
            if let Some(i) = self.buf[self.pos..self.len].windows(2).position(|w| w == b"\r\n") {
                let line = String::from_utf8_lossy(&self.buf[self.pos..self.pos + i]).into_owned();
                self.pos += i + 2;
                return Ok(line);
            }
            if self.len - self.pos > 64 * 1024 {
                return Err(ReadFailure::Broken);
            }
            match self.fill().await {
                Ok(0) | Err(_) => return Err(ReadFailure::Broken),
                Ok(_) => {}
            }
        }
    }

    /// Takes exactly `n` body bytes.
    async fn take(&mut self, n: usize, into: &mut Vec<u8>) -> Result<(), ReadFailure> {
        if n > MAX_RESPONSE {
            return Err(ReadFailure::Broken);
        }
        let mut left = n;
        loop {
            let here = left.min(self.len - self.pos);
            into.extend_from_slice(&self.buf[self.pos..self.pos + here]);
            self.pos += here;
            left -= here;
            if left == 0 {
                return Ok(());
            }
            match self.fill().await {
                Ok(0) | Err(_) => return Err(ReadFailure::Broken),
                Ok(_) => {}
            }
        }
    }

    async fn read_response(&mut self) -> Result<Response, ReadFailure> {
        // Wait for the first byte separately: a close before it means a stale connection.
        while self.pos == self.len {
            match self.fill().await {
                Ok(0) | Err(_) => return Err(ReadFailure::Stale),
                Ok(_) => {}
            }
        }
        loop {
            let status_line = self.line().await?;
            let status = parse_status(&status_line).ok_or(ReadFailure::Broken)?;
            let mut content_length: Option<usize> = None;
            let mut chunked = false;
            let mut close = status_line.starts_with("HTTP/1.0");
            loop {
                let header = self.line().await?;
                if header.is_empty() {
                    break;
                }
                let Some((name, value)) = header.split_once(':') else { continue };
                let value = value.trim();
                if name.eq_ignore_ascii_case("content-length") {
                    content_length = Some(value.parse().map_err(|_| ReadFailure::Broken)?);
                } else if name.eq_ignore_ascii_case("transfer-encoding") {
                    chunked = value.to_ascii_lowercase().contains("chunked");
                } else if name.eq_ignore_ascii_case("connection") {
                    let value = value.to_ascii_lowercase();
                    if value.contains("close") {
                        close = true;
                    } else if value.contains("keep-alive") {
                        close = false;
                    }
                }
            }
            // 1xx answers (100 Continue) precede the real one.
            if (100..200).contains(&status) {
                continue;
            }
            let mut body = Vec::new();
            if status == 204 || status == 304 {
                // No body by definition.
            } else if chunked {
                self.read_chunked(&mut body).await?;
            } else if let Some(n) = content_length {
                self.take(n, &mut body).await?;
            } else {
                // No length: the body runs to the end of the connection.
                loop {
                    let here = self.len - self.pos;
                    body.extend_from_slice(&self.buf[self.pos..self.len]);
                    self.pos += here;
                    if body.len() > MAX_RESPONSE {
                        return Err(ReadFailure::Broken);
                    }
                    match self.fill().await {
                        Ok(0) => break,
                        Ok(_) => {}
                        Err(_) => return Err(ReadFailure::Broken),
                    }
                }
                close = true;
            }
            if close {
                self.drop_connection();
            }
            return Ok(Response { status, body });
        }
    }

    async fn read_chunked(&mut self, body: &mut Vec<u8>) -> Result<(), ReadFailure> {
        loop {
            let size_line = self.line().await?;
            let size_text = size_line.split(';').next().unwrap_or("").trim();
            let size = usize::from_str_radix(size_text, 16).map_err(|_| ReadFailure::Broken)?;
            if size == 0 {
                // Trailers, then the empty line.
                while !self.line().await?.is_empty() {}
                return Ok(());
            }
            if body.len() + size > MAX_RESPONSE {
                return Err(ReadFailure::Broken);
            }
            self.take(size, body).await?;
            if !self.line().await?.is_empty() {
                return Err(ReadFailure::Broken);
            }
        }
    }
}

fn parse_status(line: &str) -> Option<u16> {
    let mut parts = line.splitn(3, ' ');
    let version = parts.next()?;
    if !version.starts_with("HTTP/1.") {
        return None;
    }
    parts.next()?.parse().ok()
}

/// Percent-encodes a path segment (slugs are plain, but be safe).
pub fn encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests;
