//! A fault-injecting HTTP/1.1 reverse proxy the tests put between s3lease and moto.
//!
//! Std only: a thread accepts connections on 127.0.0.1:0 and a thread per client connection
//! reads requests (keep-alive, as the AWS SDK's hyper client sends them). For each request a
//! test-supplied [`Rule`] picks an [`Action`]: forward it upstream, hold it until a [`Gate`]
//! opens, answer with a [`Canned`] response (an `ExpiredToken` error, a 503 `SlowDown`, a 500
//! `InternalError`, ...), or drop the connection without answering. The faults a network or a
//! server adds on the way back are actions too: [`Action::Delay`] (latency),
//! [`Action::Truncate`] (the connection reset after part of the body) and
//! [`Action::TruncateXml`] (a 200 whose body is cut, framed as if complete: a lying
//! Content-Length), [`Action::Corrupt`] (bytes changed, length intact) and [`Action::Stall`]
//! (the body stops mid-way until a gate opens). The whole server
//! can vanish and come back ([`Proxy::go_down`], [`Proxy::come_back`]): connections are refused
//! and cut meanwhile, as when the process was killed and restarted. Every request is logged ([`Seen`]) with the STS
//! `Action` of form-encoded POST bodies, and its [`Outcome`] once handled. A held request
//! whose client hangs up (its task was aborted) ends as [`Outcome::ClientGone`], unforwarded.
//!
//! Upstream, each forwarded request gets its own connection with `Connection: close`; the
//! response is read whole (Content-Length, chunked or until EOF) and re-framed with a
//! Content-Length for the client, so the client's connection stays reusable.
//!
//! ```ignore
//! let gate = Gate::new();
//! let g = gate.clone();
//! let proxy = Proxy::start(tb.endpoint(), move |r: &RequestHead| {
//!     if r.has_query_key("continuation-token") { Action::hold(&g) } else { Action::Forward }
//! });
//! // point endpoint_url at proxy.url(), run something, then:
//! assert!(gate.wait_held(1, Duration::from_secs(60)));
//! gate.release();
//! ```
//!
//! Dropping the proxy closes the listener and every connection, wakes held requests, and joins
//! all its threads.
//!
//! ## Replaying
//!
//! A run that lists the same pages thousands of times would spend its time in moto (~0.1 s a
//! page). Proxies sharing a [`ReplayCache`] ([`Proxy::replay_from`]) ask upstream once per
//! distinct read (method, path and query, `Range`) and answer repeats with upstream's own
//! bytes; rules and faults apply to replayed answers exactly as to forwarded ones.
//!
//! ## Session tokens
//!
//! moto never checks that temporary credentials have expired, so the proxy does the checking.
//! It learns every set of temporary credentials STS issues through it (the `<Credentials>` of
//! an `AssumeRole`, `GetSessionToken`, `GetFederationToken`, ... answer it relays) as an
//! [`Issued`]: access key, session token, `<Expiration>`. With that a test can
//!
//! - check that nothing was sent with a token past its expiry: [`Proxy::token_misuse`] compares
//!   each request's `x-amz-security-token` ([`RequestHead::session_token`]) and arrival time
//!   with what was learned ([`Proxy::token_expiries`], [`Proxy::learned_expiry`]);
//! - refuse a token as a server that revoked it would (or whose clock runs ahead):
//!   [`Proxy::revoke_token`] answers `ExpiredToken` to every request signed with it that would
//!   be forwarded, including one a gate releases after the revocation;
//! - write rules that look at the token: [`Proxy::tokens`] is a cheap handle a rule can capture.
//!
//! moto's `GetSessionToken` and `GetFederationToken` hand out the same token every time (only
//! `AssumeRole`'s are random); [`Proxy::set_distinct_tokens`] makes each issuance unique.
//!
//! ```ignore
//! let proxy = Proxy::forwarding(tb.endpoint());
//! // ... a session starts through the proxy ...
//! let first = proxy.tokens().get(0).expect("a token");
//! proxy.revoke_token(&first.token); // S3 now answers 400 ExpiredToken to it
//! // ... run on, then:
//! assert!(proxy.token_misuse().is_empty(), "{:#?}", proxy.token_misuse());
//! ```

#![allow(dead_code)] // each test binary uses a different part of the API

use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, RwLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

/// How long a held request waits between checks that the proxy runs and the client is still there.
const HOLD_CHECK: Duration = Duration::from_millis(50);

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// A request as the proxy read it from the client.
#[derive(Debug, Clone)]
pub struct RequestHead {
    pub method: String,
    /// Path and query, as sent (e.g. `/demo-data?list-type=2&prefix=logs%2F`).
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RequestHead {
    pub fn path(&self) -> &str {
        self.target.split_once('?').map_or(self.target.as_str(), |(p, _)| p)
    }

    pub fn query(&self) -> &str {
        self.target.split_once('?').map_or("", |(_, q)| q)
    }

    /// The first header of that name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// Whether the query has the key, with or without a value (`?list-type=2`, `?uploads`).
    pub fn has_query_key(&self, key: &str) -> bool {
        form_pairs(self.query()).any(|(k, _)| k == key)
    }

    pub fn query_param(&self, key: &str) -> Option<String> {
        form_pairs(self.query()).find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// A parameter of a form-encoded body (how the SDK sends STS calls).
    pub fn form_param(&self, key: &str) -> Option<String> {
        let form = self
            .header("content-type")
            .is_some_and(|t| t.to_ascii_lowercase().starts_with("application/x-www-form-urlencoded"));
        if !form {
            return None;
        }
        let body = std::str::from_utf8(&self.body).ok()?;
        form_pairs(body).find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// The query-protocol `Action` (STS, IAM), from the form body or the query.
    pub fn api_action(&self) -> Option<String> {
        self.form_param("Action").or_else(|| self.query_param("Action"))
    }

    /// An S3 ListObjectsV2 call.
    pub fn is_list_objects_v2(&self) -> bool {
        self.method == "GET" && self.query_param("list-type").as_deref() == Some("2")
    }

    /// The session token the request is signed with: the `x-amz-security-token` header, or
    /// the `X-Amz-Security-Token` parameter of a presigned URL. `None` for long-term keys.
    pub fn session_token(&self) -> Option<String> {
        self.header("x-amz-security-token")
            .map(str::to_string)
            .or_else(|| self.query_param("X-Amz-Security-Token"))
            .filter(|t| !t.is_empty())
    }
}

/// `application/x-www-form-urlencoded` pairs, decoded.
fn form_pairs(text: &str) -> impl Iterator<Item = (String, String)> + '_ {
    text.split('&').filter(|p| !p.is_empty()).map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (url_decode(k), url_decode(v))
    })
}

fn url_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'+', _) => out.push(b' '),
            (b'%', Some(decoded)) => {
                out.push(decoded);
                i += 2;
            }
            (b, _) => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A response the proxy answers with itself, never reaching upstream.
#[derive(Debug, Clone)]
pub struct Canned {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Canned {
    pub fn new(status: u16, body: impl Into<Vec<u8>>) -> Self {
        Canned { status, headers: Vec::new(), body: body.into() }
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// An S3-style XML error, e.g. `Canned::s3_error(400, "ExpiredToken", "The provided token has expired.")`.
    pub fn s3_error(status: u16, code: &str, message: &str) -> Self {
        let body = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message><RequestId>proxy</RequestId></Error>"
        );
        Canned::new(status, body).header("Content-Type", "application/xml")
    }

    /// An STS (query protocol) XML error.
    pub fn sts_error(status: u16, code: &str, message: &str) -> Self {
        let body = format!(
            "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>proxy</RequestId></ErrorResponse>"
        );
        Canned::new(status, body).header("Content-Type", "text/xml")
    }

    /// S3's throttling answer.
    pub fn slow_down() -> Self {
        Canned::s3_error(503, "SlowDown", "Please reduce your request rate.")
    }

    /// S3's answer when it fails inside (the SDK retries it, as any 500).
    pub fn internal_error() -> Self {
        Canned::s3_error(500, "InternalError", "We encountered an internal error. Please try again.")
    }

    /// S3's answer to a request signed with an expired (or revoked) session token.
    pub fn expired_token() -> Self {
        Canned::s3_error(400, "ExpiredToken", "The provided token has expired.")
    }
}

/// What to do with one request.
#[derive(Debug, Clone)]
pub enum Action {
    Forward,
    /// Wait until the gate is released (or the proxy stops), then do `then`.
    Hold {
        gate: Gate,
        then: Box<Action>,
    },
    Respond(Canned),
    /// Close the client connection without answering.
    Drop,
    /// Forward, then relay the status, the headers (announcing the whole body) and only the
    /// first `keep` bytes of the body before closing the connection: a body cut off mid-way.
    Truncate {
        keep: usize,
    },
    /// Forward, then relay the status and headers with only part of the body, framed as if it
    /// were all of it (Content-Length says so), and keep the connection: a 200 whose XML ends
    /// mid-document yet arrives "complete". Always cuts at least one byte off.
    TruncateXml {
        keep: Keep,
    },
    /// Forward, then relay the answer framed as upstream sent it, its length intact, with the
    /// byte at each offset of `at` inverted (offsets past the end count from the last byte):
    /// data changed on the way.
    Corrupt {
        at: Vec<usize>,
    },
    /// Forward, then relay the status and headers (announcing the whole body) and the first
    /// `keep` bytes of the body, then send nothing more until `gate` is released (the rest
    /// follows) or the client hangs up: an answer that stalls mid-body.
    Stall {
        keep: usize,
        gate: Gate,
    },
    /// Wait `by` (a slow network or server), then do `then`.
    Delay {
        by: Duration,
        then: Box<Action>,
    },
}

/// How much of a body [`Action::TruncateXml`] keeps.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Keep {
    Bytes(usize),
    /// This share of the body (0.0 to 1.0), rounded down.
    Fraction(f64),
}

impl Keep {
    /// The bytes kept of a `len`-byte body: fewer than `len`, so something is always cut.
    fn of(self, len: usize) -> usize {
        let keep = match self {
            Keep::Bytes(n) => n,
            Keep::Fraction(f) => (len as f64 * f.clamp(0.0, 1.0)) as usize,
        };
        keep.min(len.saturating_sub(1))
    }
}

impl Action {
    /// Hold until `gate` is released, then forward.
    pub fn hold(gate: &Gate) -> Action {
        Action::Hold { gate: gate.clone(), then: Box::new(Action::Forward) }
    }

    pub fn respond(canned: Canned) -> Action {
        Action::Respond(canned)
    }

    /// Wait `by`, then forward.
    pub fn delay(by: Duration) -> Action {
        Action::Delay { by, then: Box::new(Action::Forward) }
    }
}

/// Decides the action per request; may keep its own state (counters, one-shot faults).
pub type Rule = Arc<dyn Fn(&RequestHead) -> Action + Send + Sync>;

/// A barrier for held requests. Clones share state; once released it stays open.
#[derive(Clone, Default)]
pub struct Gate {
    inner: Arc<(Mutex<GateState>, Condvar)>,
}

#[derive(Debug, Default)]
struct GateState {
    released: bool,
    /// Requests waiting at the gate now.
    waiting: usize,
    /// Requests that ever arrived at the gate.
    arrived: usize,
}

impl std::fmt::Debug for Gate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Gate({:?})", *lock(&self.inner.0))
    }
}

impl Gate {
    pub fn new() -> Self {
        Gate::default()
    }

    pub fn release(&self) {
        lock(&self.inner.0).released = true;
        self.inner.1.notify_all();
    }

    pub fn is_released(&self) -> bool {
        lock(&self.inner.0).released
    }

    /// Requests waiting at the gate now.
    pub fn held(&self) -> usize {
        lock(&self.inner.0).waiting
    }

    /// Requests that ever reached the gate (including ones that passed after release).
    pub fn arrived(&self) -> usize {
        lock(&self.inner.0).arrived
    }

    /// Waits until at least `n` requests are being held; false if `timeout` passes first.
    pub fn wait_held(&self, n: usize, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let (state, cv) = &*self.inner;
        let mut guard = lock(state);
        while guard.waiting < n {
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            guard = cv.wait_timeout(guard, deadline - now).unwrap_or_else(|p| p.into_inner()).0;
        }
        true
    }

    /// Blocks a request until release, the proxy stopping or going down, or `client_gone` saying the client
    /// hung up (checked every [`HOLD_CHECK`]).
    fn pass(&self, shared: &Shared, client_gone: &mut dyn FnMut() -> bool) -> HoldEnd {
        let (state, cv) = &*self.inner;
        let mut guard = lock(state);
        guard.arrived += 1;
        guard.waiting += 1;
        cv.notify_all();
        let end = loop {
            // A server that went away answers nothing, released or not.
            if shared.gone() {
                break HoldEnd::Stopped;
            }
            if guard.released {
                break HoldEnd::Released;
            }
            drop(guard);
            let gone = client_gone();
            guard = lock(state);
            if gone {
                break HoldEnd::ClientGone;
            }
            guard = cv.wait_timeout(guard, HOLD_CHECK).unwrap_or_else(|p| p.into_inner()).0;
        };
        guard.waiting -= 1;
        cv.notify_all();
        end
    }
}

enum HoldEnd {
    Released,
    Stopped,
    ClientGone,
}

/// One request the proxy received, logged on arrival (before any hold).
#[derive(Debug, Clone)]
pub struct Seen {
    /// Arrival order, from 0.
    pub seq: u64,
    pub at: SystemTime,
    pub method: String,
    pub target: String,
    /// The query-protocol `Action` (STS), `None` for S3 calls.
    pub api_action: Option<String>,
    pub request: RequestHead,
}

impl Seen {
    pub fn is_s3(&self) -> bool {
        self.api_action.is_none()
    }

    /// The session token it was signed with, if any ([`RequestHead::session_token`]).
    pub fn session_token(&self) -> Option<String> {
        self.request.session_token()
    }
}

/// How a request ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Upstream answered with this status, and the proxy relayed it (or tried: `relayed`
    /// is false if the client had gone away).
    Forwarded {
        status: u16,
        relayed: bool,
    },
    Canned {
        status: u16,
    },
    Dropped,
    /// Relayed with only `kept` bytes of the body, then the connection closed.
    Truncated {
        status: u16,
        kept: usize,
    },
    /// Relayed as a complete answer of `kept` bytes, the rest of the body cut off.
    TruncatedXml {
        status: u16,
        kept: usize,
    },
    /// Relayed whole with `flipped` bytes inverted.
    Corrupted {
        status: u16,
        flipped: usize,
    },
    /// `kept` bytes of the body were relayed, then nothing until the gate opened (`released`:
    /// the rest followed) or the client hung up, or the proxy stopped or went down.
    Stalled {
        status: u16,
        kept: usize,
        released: bool,
    },
    /// Upstream could not be reached or answered garbage; the client got a 502.
    UpstreamFailed(String),
    /// The proxy stopped, or went down ([`Proxy::go_down`]), while the request was held or
    /// delayed; the client connection was closed unanswered.
    Abandoned,
    /// The client closed its connection while the request was held (it gave up on the
    /// request, e.g. its task was aborted); the request was never forwarded.
    ClientGone,
}

struct Shared {
    upstream: SocketAddr,
    rule: RwLock<Rule>,
    stop: AtomicBool,
    seq: AtomicU64,
    log: Mutex<Vec<Seen>>,
    outcomes: Mutex<HashMap<u64, Outcome>>,
    outcome_cv: Condvar,
    /// Open sockets (client and upstream sides), shut down on drop to unblock their threads.
    sockets: Mutex<HashMap<u64, TcpStream>>,
    next_socket: AtomicU64,
    threads: Mutex<Vec<JoinHandle<()>>>,
    /// Temporary credentials learned from STS answers.
    tokens: Tokens,
    /// Per-token faults, applied where a request would be forwarded.
    token_faults: Mutex<HashMap<String, TokenFault>>,
    /// Make every relayed session token unique (see `Proxy::set_distinct_tokens`).
    distinct_tokens: AtomicBool,
    /// Whether the proxy stands in for a server that is gone (see `Proxy::go_down`).
    down: Mutex<Availability>,
    down_cv: Condvar,
    /// Answers of earlier identical reads, served instead of asking upstream again.
    replay: RwLock<Option<ReplayCache>>,
}

#[derive(Debug, Clone, Copy, Default)]
struct Availability {
    /// Asked to be down.
    down: bool,
    /// The listener is bound (connections are accepted, not refused).
    listening: bool,
}

impl Shared {
    fn track(&self, stream: &TcpStream) -> Option<u64> {
        let id = self.next_socket.fetch_add(1, Ordering::SeqCst);
        let clone = stream.try_clone().ok()?;
        lock(&self.sockets).insert(id, clone);
        // A socket registered after drop's (or go_down's) sweep must not keep its thread blocked.
        if self.stop.load(Ordering::SeqCst) || self.is_down() {
            let _ = stream.shutdown(Shutdown::Both);
        }
        Some(id)
    }

    fn untrack(&self, id: Option<u64>) {
        if let Some(id) = id {
            lock(&self.sockets).remove(&id);
        }
    }

    fn is_down(&self) -> bool {
        lock(&self.down).down
    }

    /// Whether a held or delayed request must give up: the proxy stops or went down.
    fn gone(&self) -> bool {
        self.stop.load(Ordering::SeqCst) || self.is_down()
    }

    fn shut_all_sockets(&self) {
        for stream in lock(&self.sockets).values() {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }

    fn finish(&self, seq: u64, outcome: Outcome) {
        lock(&self.outcomes).insert(seq, outcome);
        self.outcome_cv.notify_all();
    }
}

pub struct Proxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
}

impl Proxy {
    /// Starts a proxy in front of `upstream` (`http://host:port`, no path).
    pub fn start(upstream: &str, rule: impl Fn(&RequestHead) -> Action + Send + Sync + 'static) -> Proxy {
        let authority = upstream
            .strip_prefix("http://")
            .unwrap_or_else(|| panic!("proxy upstream must be http://host:port, not {upstream}"))
            .trim_end_matches('/');
        let upstream: SocketAddr = std::net::ToSocketAddrs::to_socket_addrs(authority)
            .unwrap_or_else(|e| panic!("proxy upstream {authority}: {e}"))
            .next()
            .unwrap_or_else(|| panic!("proxy upstream {authority} resolves to nothing"));
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the proxy");
        let addr = listener.local_addr().expect("proxy address");
        let shared = Arc::new(Shared {
            upstream,
            rule: RwLock::new(Arc::new(rule)),
            stop: AtomicBool::new(false),
            seq: AtomicU64::new(0),
            log: Mutex::new(Vec::new()),
            outcomes: Mutex::new(HashMap::new()),
            outcome_cv: Condvar::new(),
            sockets: Mutex::new(HashMap::new()),
            next_socket: AtomicU64::new(0),
            threads: Mutex::new(Vec::new()),
            tokens: Tokens::default(),
            token_faults: Mutex::new(HashMap::new()),
            distinct_tokens: AtomicBool::new(false),
            down: Mutex::new(Availability { down: false, listening: true }),
            down_cv: Condvar::new(),
            replay: RwLock::new(None),
        });
        let acceptor = {
            let shared = shared.clone();
            std::thread::Builder::new()
                .name("test-proxy-accept".into())
                .spawn(move || accept_loop(listener, addr, shared))
                .expect("spawn the proxy thread")
        };
        Proxy { addr, shared, acceptor: Some(acceptor) }
    }

    /// A proxy that forwards everything (a request log in front of upstream).
    pub fn forwarding(upstream: &str) -> Proxy {
        Proxy::start(upstream, |_| Action::Forward)
    }

    /// `http://127.0.0.1:PORT`, for `endpoint_url`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Replaces the rule for requests that arrive from now on.
    pub fn set_rule(&self, rule: impl Fn(&RequestHead) -> Action + Send + Sync + 'static) {
        *self.shared.rule.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(rule);
    }

    /// Stands in for the server going away (killed, crashed, unplugged): the listening socket
    /// closes, so new connections are refused, and every open connection is cut, including
    /// requests being held, delayed or forwarded (they end as [`Outcome::Abandoned`] or
    /// [`Outcome::UpstreamFailed`], unanswered). Returns once connections are refused.
    pub fn go_down(&self) {
        lock(&self.shared.down).down = true;
        self.shared.down_cv.notify_all();
        // Wake the acceptor from accept(): it sees `down` and closes the listener.
        let _ = TcpStream::connect(self.addr);
        let mut state = lock(&self.shared.down);
        while state.listening && !self.shared.stop.load(Ordering::SeqCst) {
            state = self.shared.down_cv.wait_timeout(state, HOLD_CHECK).unwrap_or_else(|p| p.into_inner()).0;
        }
        drop(state);
        self.shared.shut_all_sockets();
        self.shared.down_cv.notify_all();
    }

    /// The server is back: the proxy listens on the same address again and handles requests
    /// as before (same rule, same log). Returns once connections are accepted.
    pub fn come_back(&self) {
        lock(&self.shared.down).down = false;
        self.shared.down_cv.notify_all();
        let mut state = lock(&self.shared.down);
        while !state.listening && !self.shared.stop.load(Ordering::SeqCst) {
            state = self.shared.down_cv.wait_timeout(state, HOLD_CHECK).unwrap_or_else(|p| p.into_inner()).0;
        }
    }

    pub fn is_down(&self) -> bool {
        self.shared.is_down()
    }

    /// From now on, a GET or HEAD whose method, target and `Range` match one that upstream
    /// answered 200 before (through any proxy sharing `cache`) is answered from the cache:
    /// upstream's own bytes, with this proxy's faults applied as usual. For runs that list the
    /// same pages thousands of times, where the server's time per page would dominate.
    pub fn replay_from(&self, cache: &ReplayCache) {
        *self.shared.replay.write().unwrap_or_else(|p| p.into_inner()) = Some(cache.clone());
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<Seen> {
        lock(&self.shared.log).clone()
    }

    /// How many requests had the query-protocol `Action` (e.g. `GetSessionToken`).
    pub fn count_action(&self, action: &str) -> usize {
        lock(&self.shared.log).iter().filter(|s| s.api_action.as_deref() == Some(action)).count()
    }

    pub fn outcome(&self, seq: u64) -> Option<Outcome> {
        lock(&self.shared.outcomes).get(&seq).cloned()
    }

    /// Waits until request `seq` has been handled; `None` if `timeout` passes first.
    pub fn wait_outcome(&self, seq: u64, timeout: Duration) -> Option<Outcome> {
        let deadline = Instant::now() + timeout;
        let mut guard = lock(&self.shared.outcomes);
        loop {
            if let Some(o) = guard.get(&seq) {
                return Some(o.clone());
            }
            let now = Instant::now();
            if now >= deadline {
                return None;
            }
            guard = self.shared.outcome_cv.wait_timeout(guard, deadline - now).unwrap_or_else(|p| p.into_inner()).0;
        }
    }

    /// The temporary credentials learned so far; the handle stays live (rules may capture it).
    pub fn tokens(&self) -> Tokens {
        self.shared.tokens.clone()
    }

    /// Every issuance of temporary credentials relayed so far, in order.
    pub fn token_expiries(&self) -> Vec<Issued> {
        self.shared.tokens.all()
    }

    /// The expiry STS gave `token` (the latest, if it was issued more than once).
    pub fn learned_expiry(&self, token: &str) -> Option<SystemTime> {
        self.shared.tokens.expiry(token)
    }

    /// With `on`, each session token relayed from STS gets a suffix naming its issuance
    /// (`...proxy0007`), so no two issuances share a token even where moto answers a constant
    /// one (`GetSessionToken`, `GetFederationToken`). Requests are forwarded with the token
    /// as signed: moto's default mode never looks at it. Affects answers relayed from now on.
    pub fn set_distinct_tokens(&self, on: bool) {
        self.shared.distinct_tokens.store(on, Ordering::SeqCst);
    }

    /// From now on, every request signed with `token` that the proxy would forward (its rule
    /// said [`Action::Forward`], or a gate released it) is answered `400 ExpiredToken` instead,
    /// as a server that revoked the token (or whose clock runs ahead) would: in S3's XML, or
    /// STS's for query-protocol calls. Rules answering or dropping a request come first.
    pub fn revoke_token(&self, token: &str) {
        lock(&self.shared.token_faults).insert(token.to_string(), TokenFault::Revoked);
    }

    /// Like [`Proxy::revoke_token`], with any answer.
    pub fn set_token_fault(&self, token: &str, canned: Canned) {
        lock(&self.shared.token_faults).insert(token.to_string(), TokenFault::Canned(canned));
    }

    /// Lets `token` through again.
    pub fn clear_token_fault(&self, token: &str) {
        lock(&self.shared.token_faults).remove(token);
    }

    /// Requests signed with a session token that, when they arrived, was past the expiry of
    /// every issuance of it the client could have known (learned before they arrived), or that
    /// was never issued through this proxy. Empty means no expired token was ever sent.
    pub fn token_misuse(&self) -> Vec<TokenMisuse> {
        let log = lock(&self.shared.log).clone();
        log.iter()
            .filter_map(|seen| {
                let token = seen.session_token()?;
                let misuse = match self.shared.tokens.check(&token, seen.seq, seen.at) {
                    TokenCheck::Valid(_) => return None,
                    TokenCheck::Expired(issued) => Misuse::Expired(issued),
                    TokenCheck::Unknown => Misuse::Unknown,
                };
                Some(TokenMisuse {
                    seq: seen.seq,
                    at: seen.at,
                    method: seen.method.clone(),
                    target: seen.target.clone(),
                    api_action: seen.api_action.clone(),
                    token: fingerprint(&token),
                    misuse,
                })
            })
            .collect()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let shared = &self.shared;
        shared.stop.store(true, Ordering::SeqCst);
        shared.down_cv.notify_all();
        // Wake the acceptor: it checks `stop` after every accept.
        let _ = TcpStream::connect(self.addr);
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
        for stream in lock(&shared.sockets).values() {
            let _ = stream.shutdown(Shutdown::Both);
        }
        let threads = std::mem::take(&mut *lock(&shared.threads));
        for thread in threads {
            let _ = thread.join();
        }
    }
}

fn accept_loop(listener: TcpListener, addr: SocketAddr, shared: Arc<Shared>) {
    let mut listener = Some(listener);
    loop {
        if shared.stop.load(Ordering::SeqCst) {
            return;
        }
        let Some(open) = &listener else {
            listener = relisten(addr, &shared);
            continue;
        };
        let stream = open.accept().map(|(s, _)| s);
        if shared.stop.load(Ordering::SeqCst) {
            return;
        }
        if shared.is_down() {
            // Closing the listener makes the kernel refuse connections, as to a dead server.
            listener = None;
            lock(&shared.down).listening = false;
            shared.down_cv.notify_all();
            continue;
        }
        let Ok(stream) = stream else { continue };
        let conn_shared = shared.clone();
        let handle = std::thread::Builder::new()
            .name("test-proxy-conn".into())
            .spawn(move || serve_connection(stream, conn_shared));
        if let Ok(handle) = handle {
            let mut threads = lock(&shared.threads);
            threads.retain(|t| !t.is_finished());
            threads.push(handle);
        }
    }
}

/// While down, waits to come back, then binds the same address again (std sets SO_REUSEADDR,
/// so connections left in TIME_WAIT do not stand in the way).
fn relisten(addr: SocketAddr, shared: &Shared) -> Option<TcpListener> {
    let mut state = lock(&shared.down);
    while state.down && !shared.stop.load(Ordering::SeqCst) {
        state = shared.down_cv.wait_timeout(state, HOLD_CHECK).unwrap_or_else(|p| p.into_inner()).0;
    }
    drop(state);
    if shared.stop.load(Ordering::SeqCst) {
        return None;
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    let listener = loop {
        match TcpListener::bind(addr) {
            Ok(listener) => break listener,
            Err(e) if Instant::now() > deadline => panic!("test proxy: cannot listen on {addr} again: {e}"),
            Err(_) => std::thread::sleep(HOLD_CHECK),
        }
    };
    lock(&shared.down).listening = true;
    shared.down_cv.notify_all();
    Some(listener)
}

fn serve_connection(client: TcpStream, shared: Arc<Shared>) {
    let id = shared.track(&client);
    let _ = client.set_nodelay(true);
    if let Ok(reader) = client.try_clone() {
        let mut reader = BufReader::new(reader);
        let mut writer = client;
        while !shared.stop.load(Ordering::SeqCst) {
            let request = match read_request(&mut reader, &mut writer) {
                Ok(Some(r)) => r,
                Ok(None) | Err(_) => break,
            };
            if !handle_request(request, &mut writer, &shared) {
                let _ = writer.shutdown(Shutdown::Both);
                break;
            }
        }
    }
    shared.untrack(id);
}

/// Handles one request; false if the client connection must close.
fn handle_request(request: RequestHead, client: &mut TcpStream, shared: &Shared) -> bool {
    let seq = shared.seq.fetch_add(1, Ordering::SeqCst);
    lock(&shared.log).push(Seen {
        seq,
        at: SystemTime::now(),
        method: request.method.clone(),
        target: request.target.clone(),
        api_action: request.api_action(),
        request: request.clone(),
    });
    let rule = shared.rule.read().unwrap_or_else(|p| p.into_inner()).clone();
    let mut action = rule(&request);
    loop {
        match action {
            Action::Hold { gate, then } => match gate.pass(shared, &mut || client_gone(client)) {
                HoldEnd::Released => action = *then,
                HoldEnd::Stopped => {
                    shared.finish(seq, Outcome::Abandoned);
                    return false;
                }
                HoldEnd::ClientGone => {
                    shared.finish(seq, Outcome::ClientGone);
                    return false;
                }
            },
            Action::Drop => {
                shared.finish(seq, Outcome::Dropped);
                return false;
            }
            Action::Delay { by, then } => {
                let until = Instant::now() + by;
                while Instant::now() < until {
                    if shared.gone() {
                        shared.finish(seq, Outcome::Abandoned);
                        return false;
                    }
                    std::thread::sleep(HOLD_CHECK.min(until.saturating_duration_since(Instant::now())));
                }
                action = *then;
            }
            Action::TruncateXml { keep } => {
                return match forward(&request, shared) {
                    Ok((status, mut headers, body)) => {
                        let kept = keep.of(body.len());
                        // A bodiless answer (HEAD) has nothing to cut; its Content-Length stays.
                        if !body.is_empty() {
                            headers.retain(|(k, _)| !k.eq_ignore_ascii_case("content-length"));
                        }
                        let ok = write_response(client, status, &headers, &body[..kept], &request.method).is_ok();
                        shared.finish(seq, Outcome::TruncatedXml { status, kept });
                        ok
                    }
                    Err(e) => {
                        shared.finish(seq, Outcome::UpstreamFailed(e.to_string()));
                        false
                    }
                };
            }
            Action::Corrupt { at } => {
                return match forward(&request, shared) {
                    Ok((status, headers, mut body)) => {
                        let mut flipped = 0;
                        for offset in at {
                            if let Some(last) = body.len().checked_sub(1) {
                                body[offset.min(last)] ^= 0xFF;
                                flipped += 1;
                            }
                        }
                        let ok = write_response(client, status, &headers, &body, &request.method).is_ok();
                        shared.finish(seq, Outcome::Corrupted { status, flipped });
                        ok
                    }
                    Err(e) => {
                        shared.finish(seq, Outcome::UpstreamFailed(e.to_string()));
                        false
                    }
                };
            }
            Action::Stall { keep, gate } => {
                return match forward(&request, shared) {
                    Ok((status, headers, body)) => {
                        let kept = keep.min(body.len());
                        if write_head_and(client, status, &headers, &body[..kept]).is_err() {
                            shared.finish(seq, Outcome::Stalled { status, kept, released: false });
                            return false;
                        }
                        let released = matches!(gate.pass(shared, &mut || client_gone(client)), HoldEnd::Released);
                        let ok = released && client.write_all(&body[kept..]).and_then(|()| client.flush()).is_ok();
                        shared.finish(seq, Outcome::Stalled { status, kept, released });
                        ok
                    }
                    Err(e) => {
                        shared.finish(seq, Outcome::UpstreamFailed(e.to_string()));
                        false
                    }
                };
            }
            Action::Respond(canned) => {
                let ok = write_response(client, canned.status, &canned.headers, &canned.body, &request.method).is_ok();
                shared.finish(seq, Outcome::Canned { status: canned.status });
                return ok;
            }
            Action::Truncate { keep } => {
                return match forward(&request, shared) {
                    Ok((status, headers, body)) => {
                        let _ = write_truncated(client, status, &headers, &body, keep);
                        shared.finish(seq, Outcome::Truncated { status, kept: keep.min(body.len()) });
                        false
                    }
                    Err(e) => {
                        shared.finish(seq, Outcome::UpstreamFailed(e.to_string()));
                        false
                    }
                };
            }
            Action::Forward => {
                if let Some(canned) = shared.token_fault(&request) {
                    let ok =
                        write_response(client, canned.status, &canned.headers, &canned.body, &request.method).is_ok();
                    shared.finish(seq, Outcome::Canned { status: canned.status });
                    return ok;
                }
                return match forward(&request, shared) {
                    Ok((status, mut headers, mut body)) => {
                        if status == 200 && request.api_action().is_some() {
                            shared.learn(seq, &request, &mut headers, &mut body);
                        }
                        let relayed = write_response(client, status, &headers, &body, &request.method).is_ok();
                        shared.finish(seq, Outcome::Forwarded { status, relayed });
                        relayed
                    }
                    Err(e) => {
                        let message = format!("test proxy: upstream failed: {e}");
                        let _ = write_response(client, 502, &[], message.as_bytes(), &request.method);
                        shared.finish(seq, Outcome::UpstreamFailed(e.to_string()));
                        false
                    }
                };
            }
        }
    }
}

/// Whether the client closed the connection (a non-blocking peek sees EOF or an error).
fn client_gone(client: &TcpStream) -> bool {
    if client.set_nonblocking(true).is_err() {
        return false;
    }
    let mut byte = [0u8; 1];
    let gone = match client.peek(&mut byte) {
        Ok(0) => true,
        Ok(_) => false, // it sent more (pipelining): still there
        Err(e) => e.kind() != io::ErrorKind::WouldBlock && e.kind() != io::ErrorKind::Interrupted,
    };
    let _ = client.set_nonblocking(false);
    gone
}

fn invalid(message: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message.into())
}

type Headers = Vec<(String, String)>;

/// Reads CRLF-terminated header lines up to the blank line. `None` at a clean EOF before any byte.
fn read_head(reader: &mut impl BufRead) -> io::Result<Option<(String, Headers)>> {
    let mut first = String::new();
    loop {
        first.clear();
        if reader.read_line(&mut first)? == 0 {
            return Ok(None);
        }
        // Tolerate stray blank lines between messages (RFC 9112 section 2.2).
        if !first.trim().is_empty() {
            break;
        }
    }
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Err(invalid("connection closed inside a header block"));
        }
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':').ok_or_else(|| invalid(format!("bad header line {line:?}")))?;
        headers.push((name.trim().to_string(), value.trim().to_string()));
    }
    Ok(Some((first.trim_end_matches(['\r', '\n']).to_string(), headers)))
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
}

fn is_chunked(headers: &[(String, String)]) -> bool {
    header(headers, "transfer-encoding").is_some_and(|v| v.to_ascii_lowercase().contains("chunked"))
}

fn content_length(headers: &[(String, String)]) -> io::Result<Option<usize>> {
    header(headers, "content-length")
        .map(|v| v.trim().parse::<usize>().map_err(|_| invalid(format!("bad Content-Length {v:?}"))))
        .transpose()
}

fn read_chunked(reader: &mut impl BufRead) -> io::Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let mut size_line = String::new();
        if reader.read_line(&mut size_line)? == 0 {
            return Err(invalid("connection closed inside a chunked body"));
        }
        let size_text = size_line.trim().split(';').next().unwrap_or("");
        let size =
            usize::from_str_radix(size_text, 16).map_err(|_| invalid(format!("bad chunk size {size_line:?}")))?;
        if size == 0 {
            // Trailers, up to the blank line.
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line)? == 0 || line.trim().is_empty() {
                    return Ok(body);
                }
            }
        }
        let start = body.len();
        body.resize(start + size, 0);
        reader.read_exact(&mut body[start..])?;
        let mut crlf = [0u8; 2];
        reader.read_exact(&mut crlf)?;
    }
}

fn read_request(reader: &mut BufReader<TcpStream>, writer: &mut TcpStream) -> io::Result<Option<RequestHead>> {
    let Some((line, mut headers)) = read_head(reader)? else { return Ok(None) };
    let mut parts = line.split_whitespace();
    let (Some(method), Some(target)) = (parts.next(), parts.next()) else {
        return Err(invalid(format!("bad request line {line:?}")));
    };
    if header(&headers, "expect").is_some_and(|v| v.eq_ignore_ascii_case("100-continue")) {
        writer.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
        headers.retain(|(k, _)| !k.eq_ignore_ascii_case("expect"));
    }
    let body = if is_chunked(&headers) {
        let body = read_chunked(reader)?;
        headers.retain(|(k, _)| !k.eq_ignore_ascii_case("transfer-encoding"));
        headers.push(("Content-Length".into(), body.len().to_string()));
        body
    } else {
        let mut body = vec![0; content_length(&headers)?.unwrap_or(0)];
        reader.read_exact(&mut body)?;
        body
    };
    Ok(Some(RequestHead { method: method.to_string(), target: target.to_string(), headers, body }))
}

type Response = (u16, Headers, Vec<u8>);

/// Upstream's answer to the request: from the replay cache if one is set and holds it, else
/// asked for (and cached when it is a 200 to a read).
fn forward(request: &RequestHead, shared: &Shared) -> io::Result<Response> {
    let cache = shared.replay.read().unwrap_or_else(|p| p.into_inner()).clone();
    let Some(cache) = cache.filter(|_| request.method == "GET" || request.method == "HEAD") else {
        return fetch(request, shared);
    };
    let key = format!("{} {} {}", request.method, request.target, request.header("range").unwrap_or(""));
    if let Some(hit) = cache.get(&key) {
        return Ok(hit);
    }
    let response = fetch(request, shared)?;
    if response.0 == 200 {
        cache.put(key, response.clone());
    }
    Ok(response)
}

/// Sends the request upstream on a fresh connection and reads the whole response.
fn fetch(request: &RequestHead, shared: &Shared) -> io::Result<Response> {
    let mut upstream = TcpStream::connect(shared.upstream)?;
    let id = shared.track(&upstream);
    let result = (|| {
        let mut head = format!("{} {} HTTP/1.1\r\n", request.method, request.target);
        for (k, v) in &request.headers {
            if !k.eq_ignore_ascii_case("connection") && !k.eq_ignore_ascii_case("keep-alive") {
                head.push_str(&format!("{k}: {v}\r\n"));
            }
        }
        head.push_str("Connection: close\r\n\r\n");
        upstream.write_all(head.as_bytes())?;
        upstream.write_all(&request.body)?;
        upstream.flush()?;
        let mut reader = BufReader::new(&upstream);
        loop {
            let (line, headers) =
                read_head(&mut reader)?.ok_or_else(|| invalid("upstream closed without answering"))?;
            let status: u16 = line
                .split_whitespace()
                .nth(1)
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| invalid(format!("bad status line {line:?}")))?;
            if (100..200).contains(&status) {
                continue; // interim responses (100 Continue): the real one follows
            }
            let bodiless = request.method.eq_ignore_ascii_case("HEAD") || status == 204 || status == 304;
            let body = if bodiless {
                Vec::new()
            } else if is_chunked(&headers) {
                read_chunked(&mut reader)?
            } else if let Some(len) = content_length(&headers)? {
                let mut body = vec![0; len];
                reader.read_exact(&mut body)?;
                body
            } else {
                let mut body = Vec::new();
                reader.read_to_end(&mut body)?;
                body
            };
            let mut headers: Vec<(String, String)> = headers
                .into_iter()
                .filter(|(k, _)| {
                    !["transfer-encoding", "connection", "keep-alive"].iter().any(|h| k.eq_ignore_ascii_case(h))
                        && (bodiless || !k.eq_ignore_ascii_case("content-length"))
                })
                .collect();
            if bodiless {
                // HEAD keeps upstream's Content-Length (the size of what GET would return).
                return Ok((status, headers, Vec::new()));
            }
            headers.push(("Content-Length".into(), body.len().to_string()));
            return Ok((status, headers, body));
        }
    })();
    shared.untrack(id);
    result
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        204 => "No Content",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

/// Writes the head of a response announcing all of `body`, then only its first `keep` bytes.
fn write_truncated(
    client: &mut TcpStream,
    status: u16,
    headers: &[(String, String)],
    body: &[u8],
    keep: usize,
) -> io::Result<()> {
    let mut head = format!("HTTP/1.1 {status} {}\r\n", reason(status));
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    client.write_all(head.as_bytes())?;
    client.write_all(&body[..keep.min(body.len())])?;
    client.flush()?;
    client.shutdown(Shutdown::Both)
}

/// Writes the head of a response (its headers framing the whole body) and `part` of the body.
fn write_head_and(client: &mut TcpStream, status: u16, headers: &[(String, String)], part: &[u8]) -> io::Result<()> {
    let mut head = format!("HTTP/1.1 {status} {}\r\n", reason(status));
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    client.write_all(head.as_bytes())?;
    client.write_all(part)?;
    client.flush()
}

/// Writes a response framed by Content-Length (which `headers` may already carry).
fn write_response(
    client: &mut TcpStream,
    status: u16,
    headers: &[(String, String)],
    body: &[u8],
    method: &str,
) -> io::Result<()> {
    let mut head = format!("HTTP/1.1 {status} {}\r\n", reason(status));
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    if header(headers, "content-length").is_none() {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    client.write_all(head.as_bytes())?;
    if !method.eq_ignore_ascii_case("HEAD") {
        client.write_all(body)?;
    }
    client.flush()
}

/// Upstream's 200 answers to reads, shared by proxies in front of the same server (see
/// [`Proxy::replay_from`]). Clones share state.
#[derive(Clone, Default)]
pub struct ReplayCache {
    inner: Arc<ReplayInner>,
}

#[derive(Default)]
struct ReplayInner {
    answers: Mutex<HashMap<String, Response>>,
    fetched: AtomicU64,
    replayed: AtomicU64,
}

impl ReplayCache {
    pub fn new() -> Self {
        ReplayCache::default()
    }

    /// Reads that went upstream (and were cached).
    pub fn fetched(&self) -> u64 {
        self.inner.fetched.load(Ordering::SeqCst)
    }

    /// Reads answered from the cache.
    pub fn replayed(&self) -> u64 {
        self.inner.replayed.load(Ordering::SeqCst)
    }

    fn get(&self, key: &str) -> Option<Response> {
        let hit = lock(&self.inner.answers).get(key).cloned();
        if hit.is_some() {
            self.inner.replayed.fetch_add(1, Ordering::SeqCst);
        }
        hit
    }

    fn put(&self, key: String, response: Response) {
        self.inner.fetched.fetch_add(1, Ordering::SeqCst);
        lock(&self.inner.answers).insert(key, response);
    }
}

// Session tokens: learning them from STS answers, checking their use, faults per token.

/// One set of temporary credentials STS issued through the proxy. Its `Debug` names the token
/// by [`fingerprint`] only.
#[derive(Clone, PartialEq, Eq)]
pub struct Issued {
    /// The STS request (its [`Seen::seq`]) these credentials answered.
    pub seq: u64,
    /// Its query-protocol `Action` (`AssumeRole`, `GetSessionToken`, ...).
    pub action: String,
    pub access_key_id: String,
    /// The session token as the client received it (with the proxy's suffix under
    /// [`Proxy::set_distinct_tokens`]).
    pub token: String,
    /// STS's `<Expiration>`.
    pub expires_at: SystemTime,
    /// When the proxy relayed the answer.
    pub at: SystemTime,
    /// Requests from this `seq` on arrived after the proxy learned the token; earlier ones
    /// cannot have been signed with this issuance.
    pub known_from_seq: u64,
}

impl std::fmt::Debug for Issued {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Issued")
            .field("seq", &self.seq)
            .field("action", &self.action)
            .field("access_key_id", &self.access_key_id)
            .field("token", &fingerprint(&self.token))
            .field("expires_at", &jiff::Timestamp::try_from(self.expires_at).map(|t| t.to_string()).unwrap_or_default())
            .field("known_from_seq", &self.known_from_seq)
            .finish()
    }
}

impl Issued {
    /// A short description for test output, naming the token only by [`fingerprint`].
    pub fn label(&self) -> String {
        let expires = jiff::Timestamp::try_from(self.expires_at).map(|t| t.to_string()).unwrap_or_default();
        format!("{} (request #{}) token {} expires {expires}", self.action, self.seq, fingerprint(&self.token))
    }
}

/// A short, stable name for a token in test output (a hash, never the token itself).
pub fn fingerprint(token: &str) -> String {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    token.hash(&mut hasher);
    format!("tok-{:08x}", hasher.finish() as u32)
}

/// What the proxy learned from STS answers. Clones share state, so a rule can capture one and
/// look up the token of the request in front of it.
#[derive(Clone, Default)]
pub struct Tokens {
    inner: Arc<(Mutex<Vec<Issued>>, Condvar)>,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.all().iter().map(Issued::label)).finish()
    }
}

/// How a token stood when a request carrying it arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenCheck {
    /// Within the lifetime of this issuance (the latest-expiring one known at the time).
    Valid(Issued),
    /// Past the expiry of every issuance known at the time; this one expired last.
    Expired(Issued),
    /// Never issued through this proxy (before the request arrived).
    Unknown,
}

impl Tokens {
    /// Every issuance so far, in the order learned.
    pub fn all(&self) -> Vec<Issued> {
        lock(&self.inner.0).clone()
    }

    pub fn len(&self) -> usize {
        lock(&self.inner.0).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The `i`-th issuance learned (from 0).
    pub fn get(&self, i: usize) -> Option<Issued> {
        lock(&self.inner.0).get(i).cloned()
    }

    pub fn last(&self) -> Option<Issued> {
        lock(&self.inner.0).last().cloned()
    }

    /// Every issuance of `token` (more than one only where STS repeats tokens).
    pub fn issuances(&self, token: &str) -> Vec<Issued> {
        lock(&self.inner.0).iter().filter(|i| i.token == token).cloned().collect()
    }

    /// Where `token` stands among the issuances, in learning order; `None` if never issued.
    pub fn position(&self, token: &str) -> Option<usize> {
        lock(&self.inner.0).iter().position(|i| i.token == token)
    }

    /// The expiry STS gave `token`: the latest, if it was issued more than once.
    pub fn expiry(&self, token: &str) -> Option<SystemTime> {
        lock(&self.inner.0).iter().filter(|i| i.token == token).map(|i| i.expires_at).max()
    }

    /// How `token` stood for a request that arrived as `seq` at `at`.
    pub fn check(&self, token: &str, seq: u64, at: SystemTime) -> TokenCheck {
        let known = lock(&self.inner.0);
        let latest =
            known.iter().filter(|i| i.token == token && i.known_from_seq <= seq).max_by_key(|i| i.expires_at).cloned();
        match latest {
            None => TokenCheck::Unknown,
            Some(issued) if at < issued.expires_at => TokenCheck::Valid(issued),
            Some(issued) => TokenCheck::Expired(issued),
        }
    }

    /// Waits until at least `n` issuances are known; false if `timeout` passes first.
    pub fn wait_len(&self, n: usize, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let (list, cv) = &*self.inner;
        let mut guard = lock(list);
        while guard.len() < n {
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            guard = cv.wait_timeout(guard, deadline - now).unwrap_or_else(|p| p.into_inner()).0;
        }
        true
    }

    fn push(&self, issued: Issued) {
        lock(&self.inner.0).push(issued);
        self.inner.1.notify_all();
    }
}

/// Why [`Proxy::token_misuse`] lists a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Misuse {
    /// Sent after this issuance (the latest-expiring known) expired.
    Expired(Issued),
    /// Signed with a token no STS answer through this proxy carried.
    Unknown,
}

/// A request signed with a token it should not have been.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenMisuse {
    pub seq: u64,
    pub at: SystemTime,
    pub method: String,
    pub target: String,
    pub api_action: Option<String>,
    /// The token's [`fingerprint`].
    pub token: String,
    pub misuse: Misuse,
}

#[derive(Debug, Clone)]
enum TokenFault {
    /// `400 ExpiredToken`, in the caller's protocol.
    Revoked,
    Canned(Canned),
}

impl Shared {
    /// The answer to give instead of forwarding, if the request's token has a fault.
    fn token_fault(&self, request: &RequestHead) -> Option<Canned> {
        let token = request.session_token()?;
        let fault = lock(&self.token_faults).get(&token).cloned()?;
        Some(match fault {
            TokenFault::Canned(canned) => canned,
            TokenFault::Revoked if request.api_action().is_some() => {
                Canned::sts_error(400, "ExpiredToken", "The security token included in the request is expired")
            }
            TokenFault::Revoked => Canned::expired_token(),
        })
    }

    /// Learns the credentials in an STS answer (request `seq`) about to be relayed, making the
    /// token distinct first if asked to.
    fn learn(&self, seq: u64, request: &RequestHead, headers: &mut [(String, String)], body: &mut Vec<u8>) {
        let Ok(text) = std::str::from_utf8(body) else { return };
        let Some(credentials) = xml_element(text, "Credentials", 0) else { return };
        let (Some(key), Some(token), Some(expiration)) = (
            xml_element(text, "AccessKeyId", credentials.start),
            xml_element(text, "SessionToken", credentials.start),
            xml_element(text, "Expiration", credentials.start),
        ) else {
            return;
        };
        let Some(expires_at) = parse_expiration(&text[expiration.clone()]) else {
            eprintln!("test proxy: cannot read the <Expiration> {:?} of request #{seq}", &text[expiration]);
            return;
        };
        let access_key_id = xml_unescape(&text[key]);
        let mut token_text = xml_unescape(&text[token.clone()]);
        if self.distinct_tokens.load(Ordering::SeqCst) {
            let suffix = format!("proxy{seq:04}");
            token_text.push_str(&suffix);
            let mut rewritten = text[..token.end].to_string();
            rewritten.push_str(&suffix);
            rewritten.push_str(&text[token.end..]);
            *body = rewritten.into_bytes();
            for (k, v) in headers.iter_mut() {
                if k.eq_ignore_ascii_case("content-length") {
                    *v = body.len().to_string();
                }
            }
        }
        self.tokens.push(Issued {
            seq,
            action: request.api_action().unwrap_or_default(),
            access_key_id,
            token: token_text,
            expires_at,
            at: SystemTime::now(),
            // Anything arriving from now on may carry it; nothing that arrived before can.
            known_from_seq: self.seq.load(Ordering::SeqCst),
        });
    }
}

/// The byte range of the text inside the first `<name>...</name>` at or after `from`.
fn xml_element(text: &str, name: &str, from: usize) -> Option<std::ops::Range<usize>> {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let start = from + text.get(from..)?.find(&open)? + open.len();
    let end = start + text[start..].find(&close)?;
    Some(start..end)
}

fn xml_unescape(text: &str) -> String {
    text.trim()
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// `2026-01-15T08:00:00Z`, with or without fractions or an offset (then UTC, as STS means).
fn parse_expiration(text: &str) -> Option<SystemTime> {
    let text = text.trim();
    if let Ok(ts) = text.parse::<jiff::Timestamp>() {
        return Some(SystemTime::from(ts));
    }
    let civil = text.parse::<jiff::civil::DateTime>().ok()?;
    civil.to_zoned(jiff::tz::TimeZone::UTC).ok().map(|z| SystemTime::from(z.timestamp()))
}
