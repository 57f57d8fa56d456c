//! The client against a scripted local server: sized and chunked bodies, keep-alive retries,
//! refused connections.

use super::*;

#[test]
fn targets_parse() {
    let t = Target::parse("http://127.0.0.1:8100/").expect("valid");
    assert_eq!(t.connect_to, "127.0.0.1:8100");
    let t = Target::parse("http://localhost").expect("valid");
    assert_eq!(t.connect_to, "localhost:80");
    assert!(Target::parse("https://x").is_err());
    assert!(Target::parse("http://x/api").is_err());
}

/// Serves one connection: reads a request head (and a Content-Length body) per answer.
async fn serve(listener: tokio::net::TcpListener, answers: Vec<&'static [u8]>, close_after: bool) {
    let Ok((mut socket, _)) = listener.accept().await else { return };
    let mut pending = Vec::new();
    for answer in answers {
        let mut chunk = [0u8; 4096];
        loop {
            if let Some(end) = pending.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&pending[..end]).to_lowercase();
                let length: usize = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse().ok())
                    .unwrap_or(0);
                if pending.len() >= end + 4 + length {
                    pending.drain(..end + 4 + length);
                    break;
                }
            }
            let n = socket.read(&mut chunk).await.unwrap_or(0);
            if n == 0 {
                return;
            }
            pending.extend_from_slice(&chunk[..n]);
        }
        let _ = socket.write_all(answer).await;
    }
    if close_after {
        drop(socket);
    }
}

async fn listener() -> (tokio::net::TcpListener, Target) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    (listener, Target::parse(&format!("http://{addr}")).expect("target"))
}

#[tokio::test]
async fn chunked_and_sized_bodies_on_one_connection() {
    let (listener, target) = listener().await;
    let server = tokio::spawn(serve(
        listener,
        vec![
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;x=y\r\n world\r\n0\r\n\r\n",
            b"HTTP/1.1 409 Conflict\r\nContent-Length: 30\r\n\r\n{\"error\":{\"code\":\"taken\"}}    ",
            b"HTTP/1.1 204 No Content\r\n\r\n",
        ],
        false,
    ));
    let mut conn = Conn::new(target);
    let first = conn.request(Method::Get, "/a", None, None).await.expect("first");
    assert_eq!((first.status, first.body.as_slice()), (200, b"hello world".as_slice()));
    let second = conn.request(Method::Post, "/b", Some("t"), Some(b"{}")).await.expect("second");
    assert_eq!(second.status, 409);
    assert_eq!(second.error_code().as_deref(), Some("taken"));
    let third = conn.request(Method::Put, "/c", None, None).await.expect("third");
    assert_eq!((third.status, third.body.len()), (204, 0));
    assert_eq!(conn.connects, 1);
    server.await.expect("server");
}

#[tokio::test]
async fn a_closed_keep_alive_connection_is_retried_once_on_a_new_one() {
    let (listener, target) = listener().await;
    let mut conn = Conn::new(target);
    let server = tokio::spawn(async move {
        // First connection: one answer, then the server closes it as an idle timeout would.
        serve_on(&listener, vec![b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"]).await;
        serve_on(&listener, vec![b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n"]).await;
    });
    assert_eq!(conn.request(Method::Get, "/", None, None).await.expect("first").status, 200);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(conn.request(Method::Post, "/", None, None).await.expect("retried").status, 201);
    assert_eq!(conn.connects, 2);
    server.await.expect("server");
}

async fn serve_on(listener: &tokio::net::TcpListener, answers: Vec<&'static [u8]>) {
    let Ok((mut socket, _)) = listener.accept().await else { return };
    let mut buf = [0u8; 4096];
    for answer in answers {
        let _ = socket.read(&mut buf).await;
        let _ = socket.write_all(answer).await;
    }
}

#[tokio::test]
async fn a_refused_connection_is_a_connect_error() {
    let (listener, target) = listener().await;
    drop(listener);
    let mut conn = Conn::new(target);
    assert_eq!(conn.request(Method::Get, "/", None, None).await.err(), Some(HttpError::Connect));
}

#[test]
fn status_lines_parse() {
    assert_eq!(parse_status("HTTP/1.1 200 OK"), Some(200));
    assert_eq!(parse_status("HTTP/1.1 404"), Some(404));
    assert_eq!(parse_status("junk"), None);
}
