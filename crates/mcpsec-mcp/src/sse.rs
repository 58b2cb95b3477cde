//! Client side of the legacy HTTP+SSE transport (MCP 2024-11-05), which
//! rmcp 3.x no longer ships: `GET` the SSE URL, wait for the `endpoint`
//! event (the URL to post to, relative to the SSE URL, same origin), `POST`
//! every JSON-RPC message there, and read responses and server messages as
//! `message` events on the stream.
//!
//! [`SseClientTransport`] implements rmcp's [`Transport`] for the client
//! role, so `().serve(transport)` works as with rmcp's own transports. The
//! event stream is parsed by `sse-stream` (the parser rmcp uses) behind a size
//! limiter: one event larger than the limit ends the stream.

use std::borrow::Cow;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures::{Stream, StreamExt as _};
use reqwest::Url;
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap};
use rmcp::RoleClient;
use rmcp::model::{ClientJsonRpcMessage, ServerJsonRpcMessage};
use rmcp::transport::Transport;
use tokio::sync::mpsc;

/// Why the SSE transport failed.
#[derive(Debug, thiserror::Error)]
pub enum SseTransportError {
    #[error("GET {url}: {source}")]
    Connect { url: String, source: reqwest::Error },
    #[error("GET {url}: HTTP {status}")]
    Status { url: String, status: u16 },
    #[error("GET {url}: expected text/event-stream, got {content_type:?}")]
    ContentType {
        url: String,
        content_type: Option<String>,
    },
    #[error("SSE stream: {0}")]
    Stream(String),
    #[error("the SSE stream ended before the `endpoint` event")]
    NoEndpoint,
    #[error("bad `endpoint` event {endpoint:?}: {message}")]
    BadEndpoint { endpoint: String, message: String },
    #[error("POST {url}: {source}")]
    Post { url: String, source: reqwest::Error },
    #[error("POST {url}: HTTP {status}")]
    PostStatus { url: String, status: u16 },
    #[error("cannot encode message: {0}")]
    Encode(#[from] serde_json::Error),
}

/// An rmcp client transport over legacy HTTP+SSE.
pub struct SseClientTransport {
    rx: mpsc::Receiver<ServerJsonRpcMessage>,
    client: reqwest::Client,
    endpoint: Url,
    headers: HeaderMap,
    reader: tokio::task::JoinHandle<()>,
}

impl SseClientTransport {
    /// Opens the event stream at `url` with `headers` (sent with the GET and
    /// every POST) and waits for the `endpoint` event. `max_event` bounds one
    /// event (bytes). The caller bounds the time (the connect and the first
    /// event are awaited here).
    pub async fn connect(
        client: reqwest::Client,
        url: &str,
        headers: HeaderMap,
        max_event: usize,
    ) -> Result<SseClientTransport, SseTransportError> {
        let base = Url::parse(url).map_err(|e| SseTransportError::BadEndpoint {
            endpoint: url.to_string(),
            message: e.to_string(),
        })?;
        let resp = client
            .get(base.clone())
            .headers(headers.clone())
            .header(ACCEPT, "text/event-stream")
            .send()
            .await
            .map_err(|source| SseTransportError::Connect {
                url: url.to_string(),
                source,
            })?;
        if !resp.status().is_success() {
            return Err(SseTransportError::Status {
                url: url.to_string(),
                status: resp.status().as_u16(),
            });
        }
        let ct = resp
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        if !ct
            .as_deref()
            .is_some_and(|c| c.trim_start().starts_with("text/event-stream"))
        {
            return Err(SseTransportError::ContentType {
                url: url.to_string(),
                content_type: ct,
            });
        }
        let limited = EventSizeLimit::new(resp.bytes_stream(), max_event);
        let mut events = sse_stream::SseStream::from_bytes_stream(limited);
        // The first event the client acts on must be `endpoint`.
        let endpoint = loop {
            match events.next().await {
                None => return Err(SseTransportError::NoEndpoint),
                Some(Err(e)) => return Err(SseTransportError::Stream(e.to_string())),
                Some(Ok(ev)) if ev.event.as_deref() == Some("endpoint") => {
                    break ev.data.unwrap_or_default();
                }
                Some(Ok(_)) => continue,
            }
        };
        let endpoint = resolve_endpoint(&base, endpoint.trim())?;
        let (tx, rx) = mpsc::channel(64);
        let reader = tokio::spawn(async move {
            while let Some(ev) = events.next().await {
                let ev = match ev {
                    Ok(ev) => ev,
                    Err(e) => {
                        tracing::warn!(error = %e, "MCP SSE stream failed");
                        break;
                    }
                };
                if !matches!(ev.event.as_deref(), None | Some("message")) {
                    continue;
                }
                let Some(data) = ev.data else { continue };
                match serde_json::from_str::<ServerJsonRpcMessage>(&data) {
                    Ok(msg) => {
                        if tx.send(msg).await.is_err() {
                            break;
                        }
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "MCP SSE server sent a message that is not JSON-RPC; dropped");
                    }
                }
            }
        });
        Ok(SseClientTransport {
            rx,
            client,
            endpoint,
            headers,
            reader,
        })
    }

    /// The URL messages are posted to (from the `endpoint` event).
    pub fn endpoint(&self) -> &Url {
        &self.endpoint
    }
}

/// The `endpoint` event's URL, resolved against the SSE URL; it must have the
/// same origin (a server must not send the client's messages elsewhere).
pub fn resolve_endpoint(base: &Url, endpoint: &str) -> Result<Url, SseTransportError> {
    let bad = |message: String| SseTransportError::BadEndpoint {
        endpoint: endpoint.to_string(),
        message,
    };
    let url = base.join(endpoint).map_err(|e| bad(e.to_string()))?;
    if url.origin() != base.origin() {
        return Err(bad(format!(
            "origin {} differs from the SSE URL's {}",
            url.origin().ascii_serialization(),
            base.origin().ascii_serialization()
        )));
    }
    Ok(url)
}

impl Drop for SseClientTransport {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

impl Transport<RoleClient> for SseClientTransport {
    type Error = SseTransportError;

    fn name() -> Cow<'static, str> {
        "legacy-sse".into()
    }

    fn send(
        &mut self,
        item: ClientJsonRpcMessage,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send + 'static {
        let client = self.client.clone();
        let url = self.endpoint.clone();
        let headers = self.headers.clone();
        async move {
            let body = serde_json::to_vec(&item)?;
            let resp = client
                .post(url.clone())
                .headers(headers)
                .header(CONTENT_TYPE, "application/json")
                .body(body)
                .send()
                .await
                .map_err(|source| SseTransportError::Post {
                    url: url.to_string(),
                    source,
                })?;
            if !resp.status().is_success() {
                return Err(SseTransportError::PostStatus {
                    url: url.to_string(),
                    status: resp.status().as_u16(),
                });
            }
            Ok(())
        }
    }

    fn receive(&mut self) -> impl Future<Output = Option<ServerJsonRpcMessage>> + Send {
        self.rx.recv()
    }

    async fn close(&mut self) -> Result<(), Self::Error> {
        self.reader.abort();
        self.rx.close();
        Ok(())
    }
}

/// Passes the bytes of an SSE stream through and fails once one event (the
/// bytes between blank lines) grows beyond `max` bytes.
struct EventSizeLimit<S> {
    inner: S,
    max: usize,
    current: usize,
    /// Bytes in the current line.
    line_len: usize,
    prev_cr: bool,
    failed: bool,
}

impl<S> EventSizeLimit<S> {
    fn new(inner: S, max: usize) -> Self {
        EventSizeLimit {
            inner,
            max,
            current: 0,
            line_len: 0,
            prev_cr: false,
            failed: false,
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("SSE event larger than {0} bytes")]
struct EventTooLarge(usize);

#[derive(Debug, thiserror::Error)]
enum LimitError {
    #[error(transparent)]
    TooLarge(#[from] EventTooLarge),
    #[error(transparent)]
    Body(#[from] reqwest::Error),
}

impl<S> Stream for EventSizeLimit<S>
where
    S: Stream<Item = reqwest::Result<Bytes>> + Unpin,
{
    type Item = Result<Bytes, LimitError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.failed {
            return Poll::Ready(None);
        }
        match self.inner.poll_next_unpin(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                for &b in chunk.iter() {
                    let prev_cr = std::mem::replace(&mut self.prev_cr, b == b'\r');
                    match b {
                        b'\n' if prev_cr => {}
                        b'\n' | b'\r' => {
                            if self.line_len == 0 {
                                self.current = 0; // a blank line ends the event
                            }
                            self.line_len = 0;
                        }
                        _ => {
                            self.line_len += 1;
                            self.current += 1;
                        }
                    }
                    if self.current > self.max {
                        self.failed = true;
                        return Poll::Ready(Some(Err(EventTooLarge(self.max).into())));
                    }
                }
                Poll::Ready(Some(Ok(chunk)))
            }
            Poll::Ready(Some(Err(e))) => {
                self.failed = true;
                Poll::Ready(Some(Err(e.into())))
            }
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_is_resolved_and_must_keep_the_origin() {
        let base = Url::parse("http://127.0.0.1:8000/sse").unwrap();
        assert_eq!(
            resolve_endpoint(&base, "/messages?sessionId=1")
                .unwrap()
                .as_str(),
            "http://127.0.0.1:8000/messages?sessionId=1"
        );
        assert_eq!(
            resolve_endpoint(&base, "messages/").unwrap().as_str(),
            "http://127.0.0.1:8000/messages/"
        );
        assert!(resolve_endpoint(&base, "http://evil.example/collect").is_err());
        assert!(resolve_endpoint(&base, "http://127.0.0.1:9000/messages").is_err());
    }

    #[tokio::test]
    async fn oversized_event_ends_the_stream() {
        let chunks: Vec<reqwest::Result<Bytes>> = vec![
            Ok(Bytes::from_static(b"event: endpoint\ndata: /m\n\n")),
            Ok(Bytes::from(format!("data: {}\n\n", "x".repeat(100)))),
        ];
        let limited = EventSizeLimit::new(futures::stream::iter(chunks), 64);
        let mut events = sse_stream::SseStream::from_bytes_stream(limited);
        let first = events.next().await.unwrap().unwrap();
        assert_eq!(first.event.as_deref(), Some("endpoint"));
        assert!(events.next().await.unwrap().is_err());

        // CRLF line ends: two 9-byte data lines are one 18-byte event.
        let chunks: Vec<reqwest::Result<Bytes>> = vec![Ok(Bytes::from_static(
            b"data: aaa\r\n\r\ndata: bbb\r\ndata: ccc\r\n\r\n",
        ))];
        let limited = EventSizeLimit::new(futures::stream::iter(chunks), 12);
        let mut events = sse_stream::SseStream::from_bytes_stream(limited);
        assert!(events.next().await.unwrap().is_err());
        let chunks: Vec<reqwest::Result<Bytes>> = vec![Ok(Bytes::from_static(
            b"data: aaa\r\n\r\ndata: bbb\r\n\r\n",
        ))];
        let limited = EventSizeLimit::new(futures::stream::iter(chunks), 12);
        let events = sse_stream::SseStream::from_bytes_stream(limited);
        let all: Vec<_> = events.collect().await;
        assert_eq!(all.len(), 2);
        assert!(all.iter().all(|e| e.is_ok()));
    }
}
