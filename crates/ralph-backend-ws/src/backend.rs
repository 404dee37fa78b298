//! The `ws` backend: a WebSocket client whose every message is a record.

use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use futures::{SinkExt, StreamExt};
use ralph_core::{
    BackendStatus, DataBackend, Error, ErrorKind, ReadRequest, Readable, Record, RecordStream,
    Result,
};
use tokio::net::TcpStream;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::error::ProtocolError;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::http::header::{ORIGIN, USER_AGENT};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::WsSettings;

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// The first wait before connecting again; it doubles up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(500);
/// The longest wait between two connection attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// The closing handshake wait when `close_timeout` is unset (the `websockets` default).
const DEFAULT_CLOSE_TIMEOUT: Duration = Duration::from_secs(10);

/// A WebSocket server, read message by message.
#[derive(Debug, Clone)]
pub struct WsBackend {
    settings: WsSettings,
    uri: String,
}

fn seconds(name: &str, value: Option<f64>) -> Result<Option<Duration>> {
    value
        .map(|v| {
            Duration::try_from_secs_f64(v).map_err(|_| {
                Error::config(format!(
                    "setting `backends.data.ws.client_options.{name}`: `{v}` is not a number of seconds"
                ))
            })
        })
        .transpose()
}

impl WsBackend {
    /// A client of the server of `settings` (it connects when read).
    pub fn new(settings: WsSettings) -> Result<Self> {
        let uri = settings
            .uri
            .clone()
            .filter(|u| !u.trim().is_empty())
            .ok_or_else(|| {
                Error::config(
                    "setting `backends.data.ws.uri` is required, e.g. \
                     `RALPH_BACKENDS__DATA__WS__URI=ws://127.0.0.1:8765` or `--ws-uri`",
                )
            })?;
        if !(uri.starts_with("ws://") || uri.starts_with("wss://")) {
            return Err(Error::config(format!(
                "setting `backends.data.ws.uri`: `{uri}` is not a `ws://` or `wss://` URI"
            )));
        }
        uri.as_str().into_client_request().map_err(|err| {
            Error::config(format!("setting `backends.data.ws.uri`: `{uri}`: {err}"))
        })?;
        if !settings.locale_encoding.eq_ignore_ascii_case("utf8")
            && !settings.locale_encoding.eq_ignore_ascii_case("utf-8")
        {
            return Err(Error::config(format!(
                "setting `backends.data.ws.locale_encoding`: `{}` is not supported; only `utf8` is",
                settings.locale_encoding
            )));
        }
        let options = &settings.client_options;
        if let Some(compression) = options.compression.as_deref()
            && !compression.is_empty()
            && compression != "deflate"
        {
            return Err(Error::config(format!(
                "setting `backends.data.ws.client_options.compression`: `{compression}`; expected `deflate` or nothing"
            )));
        }
        seconds("close_timeout", options.close_timeout)?;
        seconds("open_timeout", options.open_timeout)?;
        seconds("ping_interval", options.ping_interval)?;
        seconds("ping_timeout", options.ping_timeout)?;
        Ok(Self { settings, uri })
    }

    /// The settings in use.
    pub fn settings(&self) -> &WsSettings {
        &self.settings
    }

    fn option_seconds(&self, name: &str, value: Option<f64>) -> Option<Duration> {
        seconds(name, value).ok().flatten().filter(|d| !d.is_zero())
    }

    /// Opens a connection, within `open_timeout`.
    async fn connect(&self) -> Result<Socket> {
        let options = &self.settings.client_options;
        let mut request = self.uri.as_str().into_client_request().map_err(|err| {
            Error::config(format!(
                "setting `backends.data.ws.uri`: `{}`: {err}",
                self.uri
            ))
        })?;
        for (name, value, key) in [
            (ORIGIN, &options.origin, "origin"),
            (USER_AGENT, &options.user_agent_header, "user_agent_header"),
        ] {
            if let Some(value) = value.as_deref().filter(|v| !v.is_empty()) {
                let value = HeaderValue::from_str(value).map_err(|_| {
                    Error::config(format!(
                        "setting `backends.data.ws.client_options.{key}`: `{value}` is not a valid header value"
                    ))
                })?;
                request.headers_mut().insert(name, value);
            }
        }
        let max_size = options
            .max_size
            .filter(|&n| n > 0)
            .map(|n| usize::try_from(n).unwrap_or(usize::MAX));
        let config = WebSocketConfig::default()
            .read_buffer_size(usize::try_from(options.read_limit.max(4096)).unwrap_or(1 << 16))
            .write_buffer_size(usize::try_from(options.write_limit).unwrap_or(1 << 16))
            .max_message_size(max_size)
            .max_frame_size(max_size);
        let connect = tokio_tungstenite::connect_async_with_config(request, Some(config), true);
        let outcome = match self.option_seconds("open_timeout", options.open_timeout) {
            Some(limit) => tokio::time::timeout(limit, connect).await.map_err(|_| {
                Error::new(
                    ErrorKind::Unavailable,
                    format!(
                        "ws `{}`: no connection within {} s (`open_timeout`)",
                        self.uri,
                        limit.as_secs_f64()
                    ),
                )
            })?,
            None => connect.await,
        };
        let (socket, _) = outcome.map_err(|err| self.error(&err))?;
        tracing::debug!(target: "ralph", "ws `{}`: connected", self.uri);
        Ok(socket)
    }

    /// A tungstenite error as a ralph error naming the server.
    fn error(&self, err: &tungstenite::Error) -> Error {
        use tungstenite::Error as E;
        let (kind, text) = match err {
            E::Io(io) => (ErrorKind::Unavailable, io.to_string()),
            E::Http(response) => {
                let status = response.status();
                let kind = if status.as_u16() == 401 || status.as_u16() == 403 {
                    ErrorKind::PermissionDenied
                } else if status.as_u16() == 404 {
                    ErrorKind::NotFound
                } else {
                    ErrorKind::Unavailable
                };
                (
                    kind,
                    format!("the server answered {status} to the opening handshake"),
                )
            }
            E::Capacity(cap) => (
                ErrorKind::InvalidInput,
                format!("{cap} (`client_options.max_size`)"),
            ),
            E::Url(url) => (ErrorKind::ConfigInvalid, url.to_string()),
            E::Tls(tls) => (ErrorKind::Unavailable, format!("TLS: {tls}")),
            other => (ErrorKind::Backend, other.to_string()),
        };
        Error::new(kind, format!("ws `{}`: {text}", self.uri))
    }
}

/// Whether `err` means the peer went away (without a closing handshake or after one).
fn is_drop(err: &tungstenite::Error) -> bool {
    use std::io::ErrorKind as Io;
    use tungstenite::Error as E;
    match err {
        E::ConnectionClosed
        | E::AlreadyClosed
        | E::Protocol(ProtocolError::ResetWithoutClosingHandshake) => true,
        E::Io(io) => matches!(
            io.kind(),
            Io::ConnectionReset | Io::ConnectionAborted | Io::UnexpectedEof | Io::BrokenPipe
        ),
        _ => false,
    }
}

#[async_trait]
impl DataBackend for WsBackend {
    fn name(&self) -> &'static str {
        "ws"
    }

    /// Connects and exchanges a ping and its pong.
    async fn status(&self) -> BackendStatus {
        let mut socket = match self.connect().await {
            Ok(socket) => socket,
            Err(err) => {
                tracing::error!(target: "ralph", "{err}");
                return if err.kind() == ErrorKind::Unavailable {
                    BackendStatus::Away
                } else {
                    BackendStatus::Error
                };
            }
        };
        let limit = self
            .option_seconds("ping_timeout", self.settings.client_options.ping_timeout)
            .unwrap_or(DEFAULT_CLOSE_TIMEOUT);
        let pong = async {
            socket
                .send(Message::Ping(Bytes::from_static(b"ralph")))
                .await?;
            while let Some(message) = socket.next().await {
                if let Message::Pong(_) = message? {
                    return Ok(true);
                }
            }
            Ok::<bool, tungstenite::Error>(false)
        };
        let status = match tokio::time::timeout(limit, pong).await {
            Ok(Ok(true)) => BackendStatus::Ok,
            Ok(Ok(false)) => BackendStatus::Away,
            Ok(Err(err)) if is_drop(&err) => BackendStatus::Away,
            Ok(Err(_)) | Err(_) => BackendStatus::Error,
        };
        let _ = tokio::time::timeout(DEFAULT_CLOSE_TIMEOUT, socket.close(None)).await;
        status
    }

    fn as_readable(&self) -> Option<&dyn Readable> {
        Some(self)
    }
}

/// A read in progress.
struct ReadState {
    backend: WsBackend,
    socket: Option<Socket>,
    /// Failed connection attempts in a row.
    failures: u32,
    backoff: Duration,
    /// Messages received so far (for error messages).
    received: u64,
    /// Messages received when the current connection opened.
    received_at_open: u64,
    remaining: Option<u64>,
    raw: bool,
    ignore_errors: bool,
    ping_interval: Option<Duration>,
    ping_timeout: Option<Duration>,
    next_ping: Option<Instant>,
    pong_due: Option<Instant>,
    done: bool,
}

/// What ended a connection.
enum Ended {
    /// A close frame with a normal code: the server is done.
    Closed,
    /// A close frame with another code, or a dropped connection: worth reconnecting.
    Lost(String),
}

impl ReadState {
    async fn next(&mut self) -> Option<Result<Record>> {
        loop {
            if self.done {
                return None;
            }
            if self.remaining == Some(0) {
                self.done = true;
                self.close().await;
                return None;
            }
            if self.socket.is_none()
                && let Err(err) = self.open().await
            {
                self.done = true;
                return Some(Err(err));
            }
            let ended = match self.receive().await {
                Ok(Some(record)) => return Some(record),
                Ok(None) => continue,
                Err(ended) => ended,
            };
            self.socket = None;
            match ended {
                Ended::Lost(why) if self.backend.settings.reconnect => {
                    if self.received == self.received_at_open {
                        // A server that accepts and drops at once must not be hammered.
                        tracing::warn!(
                            target: "ralph",
                            "ws `{}`: {why} before any message; connecting again in {:.1} s",
                            self.backend.uri,
                            self.backoff.as_secs_f64()
                        );
                        tokio::time::sleep(self.backoff).await;
                        self.backoff = (self.backoff * 2).min(MAX_BACKOFF);
                    } else {
                        tracing::warn!(target: "ralph", "ws `{}`: {why}; connecting again", self.backend.uri);
                        self.backoff = FIRST_BACKOFF;
                    }
                }
                Ended::Lost(why) => {
                    tracing::info!(target: "ralph", "ws `{}`: {why}; end of the read", self.backend.uri);
                    self.done = true;
                }
                Ended::Closed => {
                    tracing::info!(target: "ralph", "ws `{}`: closed by the server", self.backend.uri);
                    self.done = true;
                }
            }
        }
    }

    /// Connects, retrying with backoff when reconnection is on.
    async fn open(&mut self) -> Result<()> {
        loop {
            match self.backend.connect().await {
                Ok(socket) => {
                    self.socket = Some(socket);
                    self.failures = 0;
                    self.received_at_open = self.received;
                    self.next_ping = self.ping_interval.map(|i| Instant::now() + i);
                    self.pong_due = None;
                    return Ok(());
                }
                Err(err) => {
                    self.failures += 1;
                    let settings = &self.backend.settings;
                    let retry = settings.reconnect
                        && err.kind() == ErrorKind::Unavailable
                        && settings
                            .reconnect_max_attempts
                            .is_none_or(|max| self.failures < max);
                    if !retry {
                        if self.failures > 1 {
                            return Err(err.context(format!(
                                "gave up after {} connection attempts",
                                self.failures
                            )));
                        }
                        return Err(err);
                    }
                    tracing::warn!(
                        target: "ralph",
                        "{err}; attempt {} failed, next in {:.1} s",
                        self.failures,
                        self.backoff.as_secs_f64()
                    );
                    tokio::time::sleep(self.backoff).await;
                    self.backoff = (self.backoff * 2).min(MAX_BACKOFF);
                }
            }
        }
    }

    /// Waits for the next data message: `Ok(Some)` a record (or its error), `Ok(None)` nothing
    /// yet (a control frame, a skipped message), `Err` the end of the connection.
    async fn receive(&mut self) -> std::result::Result<Option<Result<Record>>, Ended> {
        let wake = match (self.next_ping, self.pong_due) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let Some(socket) = self.socket.as_mut() else {
            return Ok(None);
        };
        let message = tokio::select! {
            message = socket.next() => message,
            () = sleep_until(wake) => {
                let now = Instant::now();
                if self.pong_due.is_some_and(|due| due <= now) {
                    return Err(Ended::Lost("no pong within `ping_timeout`: connection lost".to_owned()));
                }
                if self.next_ping.is_some_and(|at| at <= now) {
                    if let Err(err) = socket.send(Message::Ping(Bytes::from_static(b"ralph"))).await {
                        return Err(Ended::Lost(format!("ping failed: {err}")));
                    }
                    self.next_ping = self.ping_interval.map(|i| now + i);
                    if self.pong_due.is_none() {
                        self.pong_due = self.ping_timeout.map(|t| now + t);
                    }
                }
                return Ok(None);
            }
        };
        let bytes = match message {
            Some(Ok(Message::Text(text))) => Bytes::from(text),
            Some(Ok(Message::Binary(bytes))) => bytes,
            Some(Ok(Message::Pong(_))) => {
                self.pong_due = None;
                return Ok(None);
            }
            Some(Ok(Message::Ping(_) | Message::Frame(_))) => return Ok(None),
            Some(Ok(Message::Close(frame))) => {
                return match frame {
                    None => Err(Ended::Closed),
                    Some(f) if f.code == CloseCode::Normal => Err(Ended::Closed),
                    Some(f) => Err(Ended::Lost(format!(
                        "closed by the server with code {} `{}`",
                        u16::from(f.code),
                        f.reason
                    ))),
                };
            }
            None => {
                return Err(Ended::Lost(
                    "connection dropped without a close frame".to_owned(),
                ));
            }
            Some(Err(err)) if is_drop(&err) => {
                return Err(Ended::Lost(
                    "connection dropped without a close frame".to_owned(),
                ));
            }
            Some(Err(err)) => {
                // A message too large or a protocol violation: not a record, the read fails.
                self.done = true;
                return Ok(Some(Err(self.backend.error(&err))));
            }
        };
        self.received += 1;
        match self.record(bytes) {
            Ok(record) => {
                if let Some(n) = &mut self.remaining {
                    *n -= 1;
                }
                Ok(Some(Ok(record)))
            }
            Err(err) if self.ignore_errors => {
                tracing::warn!(target: "ralph", "skipped: {err}");
                Ok(None)
            }
            Err(err) => Ok(Some(Err(err))),
        }
    }

    fn record(&self, bytes: Bytes) -> Result<Record> {
        if self.raw {
            // One message, one line (websocketd sends the lines of its program without `\n`).
            if bytes.ends_with(b"\n") {
                return Ok(Record::Raw(bytes));
            }
            let mut line = Vec::with_capacity(bytes.len() + 1);
            line.extend_from_slice(&bytes);
            line.push(b'\n');
            return Ok(Record::Raw(Bytes::from(line)));
        }
        serde_json::from_slice(&bytes)
            .map(Record::Json)
            .map_err(|err| {
                Error::invalid_input(format!(
                    "ws `{}` message {}: not valid JSON: {err}",
                    self.backend.uri, self.received
                ))
            })
    }

    /// Closes the connection politely, within `close_timeout`.
    async fn close(&mut self) {
        let Some(mut socket) = self.socket.take() else {
            return;
        };
        let limit = self
            .backend
            .option_seconds(
                "close_timeout",
                self.backend.settings.client_options.close_timeout,
            )
            .unwrap_or(DEFAULT_CLOSE_TIMEOUT);
        let _ = tokio::time::timeout(limit, async {
            if socket.close(None).await.is_ok() {
                // Wait for the server's close frame (or the end of the connection).
                while let Some(Ok(_)) = socket.next().await {}
            }
        })
        .await;
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

#[async_trait]
impl Readable for WsBackend {
    /// Streams the messages of the server; the query and the target do not apply.
    async fn read(&self, request: ReadRequest) -> Result<RecordStream> {
        if request
            .query
            .as_deref()
            .is_some_and(|q| !q.trim().is_empty())
        {
            tracing::warn!(target: "ralph", "ws: the query is ignored");
        }
        let options = &self.settings.client_options;
        let mut state = ReadState {
            backend: self.clone(),
            socket: None,
            failures: 0,
            backoff: FIRST_BACKOFF,
            received: 0,
            received_at_open: 0,
            remaining: request.max_statements.filter(|&n| n > 0),
            raw: request.raw_output,
            ignore_errors: request.ignore_errors,
            ping_interval: self.option_seconds("ping_interval", options.ping_interval),
            ping_timeout: self.option_seconds("ping_timeout", options.ping_timeout),
            next_ping: None,
            pong_due: None,
            done: false,
        };
        // Connect now, so that a wrong URI or a server that is down fails the read at once.
        state.open().await?;
        Ok(futures::stream::unfold(state, |mut state| async move {
            state.next().await.map(|item| (item, state))
        })
        .boxed())
    }
}
