//! Running one child process for an agent: argv without a shell, its own
//! process group, stdin fed then closed, stdout/stderr captured as bounded
//! tails plus rate-limited live lines, and a timeout or cancellation that
//! takes down the whole group, not just the direct child.
//!
//! Unix only (process groups and signals). Everything here is async and never
//! blocks a runtime worker thread; the one scan of `/proc` runs on the
//! blocking pool.
//!
//! # How a run ends
//!
//! The child is started with `process_group(0)`, so its pid is also the id
//! of a new process group (pgid) that every descendant joins unless it leaves
//! on purpose (`setsid`/`setpgid`). Signals go to that group, never to a
//! single pid, so `sh -c 'a | b'` or a script that backgrounds helpers is
//! stopped as a whole.
//!
//! * **Normal exit.** When the direct child exits, its output may still be in
//!   the pipes, and a descendant may still hold them open (`sleep 300 &`).
//!   We keep reading for at most [`EXIT_DRAIN`] until both pipes reach EOF,
//!   then send SIGKILL to whatever is left in the group: anything still there
//!   outlived the step's program and must not outlive the step. A few more
//!   milliseconds of reading ([`POST_KILL_DRAIN`]) collect what the killed
//!   processes had already written.
//! * **Timeout or cancel.** SIGTERM (and SIGCONT, so stopped members can
//!   act on it) to the group, then wait up to
//!   [`ProcessSpec::kill_grace`] (still reading output, still reaping) for
//!   the group to have no live member; if something is left, SIGKILL to the
//!   group. The outcome is [`Termination::TimedOut`] / [`Termination::Cancelled`]
//!   whatever the exit status was.
//!
//! In both cases the direct child is always reaped, and `run_process` returns
//! only once no live (non-zombie) process is left in the group, or after a
//! bounded wait ([`GROUP_EXIT_WAIT`]) for one that SIGKILL could not stop at
//! once (e.g. in uninterruptible sleep). Orphaned grandchildren become
//! zombies of PID 1 for as long as it takes PID 1 to reap them; they are
//! dead, so we do not wait for that.
//!
//! If the future is dropped midway (the engine shutting down, a `select!`
//! elsewhere), a guard SIGKILLs the group and tokio's `kill_on_drop` reaps
//! the child in the background, so nothing leaks.
//!
//! # Output
//!
//! Each stream keeps its last [`ProcessSpec::tail_bytes`] bytes in a ring
//! buffer; everything beyond is read (so the child never blocks on a full
//! pipe) and dropped, and the total is counted. Memory stays bounded however
//! much a program writes. Separately, complete lines go to
//! [`ProcessObserver::line`] for live display, each cut at [`LINE_CAP`] bytes
//! and at most [`LINES_PER_WINDOW`] per [`LINE_WINDOW`] per stream; the lines
//! over that quota are counted and announced as one `[… N lines not shown]`
//! line, so `yes` cannot flood the UI or the event store.
//!
//! # Known limits
//!
//! * A process that leaves the group (`setsid`, a daemon) escapes the kill;
//!   if it keeps our pipes open we still stop reading after the drain window.
//! * The pgid is the child's pid. Once the child is reaped and the group is
//!   empty the number could in theory be reused; we only signal a group
//!   between the child's exit and our return, a window of at most a few
//!   hundred milliseconds, far shorter than the time the kernel takes to
//!   cycle through the pid space.

use std::io;
use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::process::{ChildStdin, Command};
use tokio::time::{Instant, sleep, sleep_until, timeout};
use tokio_util::sync::CancellationToken;

/// Default [`ProcessSpec::kill_grace`]: time between SIGTERM and SIGKILL.
pub const DEFAULT_KILL_GRACE: Duration = Duration::from_secs(2);
/// Default [`ProcessSpec::tail_bytes`]: the spec keeps the last 64 KiB of
/// stdout and of stderr with each attempt.
pub const DEFAULT_TAIL_BYTES: usize = 64 * 1024;
/// After the direct child exits, how long we keep reading pipes that are
/// still open (held by a descendant) before killing the rest of the group.
pub const EXIT_DRAIN: Duration = Duration::from_millis(200);
/// After a SIGKILL, how long we keep reading to collect what the killed
/// processes had already written.
pub const POST_KILL_DRAIN: Duration = Duration::from_millis(200);
/// After a SIGKILL, how long we wait for the group to have no live member.
pub const GROUP_EXIT_WAIT: Duration = Duration::from_secs(1);
/// How long we wait to reap the direct child after SIGKILL. Only a process
/// stuck in the kernel (uninterruptible sleep) takes longer; then we give up
/// and tokio reaps it in the background when it finally dies.
pub const REAP_WAIT: Duration = Duration::from_secs(2);
/// Longest line passed to [`ProcessObserver::line`], in bytes; longer lines
/// are cut and marked.
pub const LINE_CAP: usize = 4096;
/// Most lines per stream passed to [`ProcessObserver::line`] in one
/// [`LINE_WINDOW`].
pub const LINES_PER_WINDOW: u32 = 200;
/// The rate-limit window for [`ProcessObserver::line`].
pub const LINE_WINDOW: Duration = Duration::from_millis(100);

/// How often we look whether a signalled group is gone.
const GROUP_POLL: Duration = Duration::from_millis(10);
/// Read size per stream; a Linux pipe holds 64 KiB, so one read can empty it.
const READ_CHUNK: usize = 64 * 1024;

/// What to run and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessSpec {
    /// The program, looked up in `PATH` when it has no slash.
    pub program: String,
    /// Arguments, each passed as exactly one argv element: no shell, no
    /// splitting, no globbing, no expansion.
    pub args: Vec<String>,
    /// Working directory. Empty means the engine's own current directory.
    pub cwd: PathBuf,
    /// Variables added to (or overriding) the inherited environment.
    pub env: Vec<(String, String)>,
    /// Written to the child's stdin, which is then closed (empty: closed at
    /// once). A child that does not read it is fine.
    pub stdin: Vec<u8>,
    /// Wall-clock limit from spawn; `None` for none.
    pub timeout: Option<Duration>,
    /// Time between SIGTERM and SIGKILL when stopping the group.
    pub kill_grace: Duration,
    /// How many trailing bytes of stdout and of stderr to keep.
    pub tail_bytes: usize,
}

impl Default for ProcessSpec {
    fn default() -> Self {
        Self {
            program: String::new(),
            args: Vec::new(),
            cwd: PathBuf::new(),
            env: Vec::new(),
            stdin: Vec::new(),
            timeout: None,
            kill_grace: DEFAULT_KILL_GRACE,
            tail_bytes: DEFAULT_TAIL_BYTES,
        }
    }
}

impl ProcessSpec {
    /// `program` with `args` and every other setting at its default.
    pub fn new<I, S>(program: impl Into<String>, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            program: program.into(),
            args: args.into_iter().map(Into::into).collect(),
            ..Self::default()
        }
    }
}

/// How the process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Termination {
    /// The direct child exited by itself with this status code.
    Exited(i32),
    /// The direct child was killed by this signal, not by us.
    Signaled(i32),
    /// [`ProcessSpec::timeout`] elapsed and we stopped the group.
    TimedOut,
    /// The cancellation token fired and we stopped the group.
    Cancelled,
}

impl Termination {
    /// Exit status 0: the spec's definition of a successful `shell` step.
    pub fn success(self) -> bool {
        self == Termination::Exited(0)
    }
}

impl std::fmt::Display for Termination {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Termination::Exited(code) => write!(f, "exited with status {code}"),
            Termination::Signaled(signal) => match Signal::try_from(*signal) {
                Ok(s) => write!(f, "killed by signal {signal} ({})", s.as_str()),
                Err(_) => write!(f, "killed by signal {signal}"),
            },
            Termination::TimedOut => f.write_str("timed out"),
            Termination::Cancelled => f.write_str("cancelled"),
        }
    }
}

/// What a finished process left behind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessOutcome {
    pub termination: Termination,
    /// The last [`ProcessSpec::tail_bytes`] bytes of stdout.
    pub stdout_tail: Vec<u8>,
    /// The last [`ProcessSpec::tail_bytes`] bytes of stderr.
    pub stderr_tail: Vec<u8>,
    /// Everything read from stdout, including what the tail dropped.
    pub stdout_bytes: u64,
    /// Everything read from stderr, including what the tail dropped.
    pub stderr_bytes: u64,
    /// The direct child's pid, which is also its process group id.
    pub pid: u32,
    /// From spawn to return, cleanup included.
    pub duration: Duration,
}

impl ProcessOutcome {
    /// The stdout tail as text (invalid UTF-8 replaced).
    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout_tail).into_owned()
    }

    /// The stderr tail as text (invalid UTF-8 replaced).
    pub fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr_tail).into_owned()
    }

    /// Whether stdout was longer than its tail, i.e. its start is missing.
    pub fn stdout_truncated(&self) -> bool {
        self.stdout_bytes > self.stdout_tail.len() as u64
    }

    /// Whether stderr was longer than its tail.
    pub fn stderr_truncated(&self) -> bool {
        self.stderr_bytes > self.stderr_tail.len() as u64
    }
}

/// Which output stream a line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// Live notifications from [`run_process`]. Called on the task running the
/// process, so implementations must be quick (push to a channel, not write
/// to a database).
pub trait ProcessObserver: Send + Sync {
    /// The child started: its pid and process group id (equal, since the
    /// child leads its own group).
    fn spawned(&self, _pid: u32, _pgid: i32) {}
    /// One line of output, without its line ending; at most [`LINE_CAP`]
    /// bytes of the original (then marked as cut), at most
    /// [`LINES_PER_WINDOW`] per [`LINE_WINDOW`] per stream, plus
    /// `[… N lines not shown]` lines for the rest. Invalid UTF-8 is replaced.
    fn line(&self, _stream: Stream, _line: &str) {}
}

/// An observer that ignores everything.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoObserver;

impl ProcessObserver for NoObserver {}

/// The child could not be started (or, rarely, could not be waited for).
#[derive(Debug, thiserror::Error)]
pub enum SpawnError {
    #[error("cannot run `{program}`: program not found")]
    NotFound {
        program: String,
        #[source]
        source: io::Error,
    },
    #[error("cannot run `{program}`: permission denied (is it executable?)")]
    PermissionDenied {
        program: String,
        #[source]
        source: io::Error,
    },
    #[error("cannot run `{program}`: working directory `{}` does not exist or is not a directory", .cwd.display())]
    BadCwd {
        program: String,
        cwd: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("cannot run `{program}`: {source}")]
    Io {
        program: String,
        #[source]
        source: io::Error,
    },
    /// Waiting for the started child failed (someone else reaped it). Its
    /// process group has been killed.
    #[error("lost track of `{program}` (pid {pid}): {source}")]
    Wait {
        program: String,
        pid: u32,
        #[source]
        source: io::Error,
    },
}

impl SpawnError {
    /// The program that could not be run.
    pub fn program(&self) -> &str {
        match self {
            SpawnError::NotFound { program, .. }
            | SpawnError::PermissionDenied { program, .. }
            | SpawnError::BadCwd { program, .. }
            | SpawnError::Io { program, .. }
            | SpawnError::Wait { program, .. } => program,
        }
    }

    fn from_spawn(program: &str, cwd: &std::path::Path, source: io::Error) -> Self {
        let program = program.to_owned();
        match source.kind() {
            // ENOENT is also what a missing working directory gives.
            io::ErrorKind::NotFound if !cwd.as_os_str().is_empty() && !cwd.is_dir() => {
                SpawnError::BadCwd {
                    program,
                    cwd: cwd.to_owned(),
                    source,
                }
            }
            io::ErrorKind::NotFound => SpawnError::NotFound { program, source },
            io::ErrorKind::PermissionDenied => SpawnError::PermissionDenied { program, source },
            _ => SpawnError::Io { program, source },
        }
    }
}

/// Runs `spec` to completion, timeout or cancellation; see the module docs
/// for how the process group is stopped and reaped.
///
/// Returns `Err` only when the program cannot be started (or the started
/// child cannot be waited for); a non-zero exit, a signal, a timeout or a
/// cancellation are all `Ok` outcomes. The future is `Send` when spawned
/// with a `'static` observer reference.
pub async fn run_process(
    spec: ProcessSpec,
    cancel: CancellationToken,
    observer: &dyn ProcessObserver,
) -> Result<ProcessOutcome, SpawnError> {
    let ProcessSpec {
        program,
        args,
        cwd,
        env,
        stdin,
        timeout: time_limit,
        kill_grace,
        tail_bytes,
    } = spec;

    let mut command = Command::new(&program);
    command
        .args(&args)
        .envs(env)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own group, so signals reach every descendant and none reach us.
        .process_group(0)
        // If this future is dropped, tokio kills and reaps the direct child
        // (our guard below takes care of the rest of the group).
        .kill_on_drop(true);
    if !cwd.as_os_str().is_empty() {
        command.current_dir(&cwd);
    }

    let started = Instant::now();
    let mut child = command
        .spawn()
        .map_err(|e| SpawnError::from_spawn(&program, &cwd, e))?;
    // `id()` is `None` only once the child has been reaped, which cannot have
    // happened yet.
    let pid = child.id().expect("a just-spawned child has a pid");
    let pgid = i32::try_from(pid).expect("pids fit in i32");
    let mut guard = GroupGuard { pgid, armed: true };
    observer.spawned(pid, pgid);

    let child_stdin = child.stdin.take();
    let child_stdout = child.stdout.take().expect("stdout is piped");
    let child_stderr = child.stderr.take().expect("stderr is piped");
    let mut out = Capture::new(Stream::Stdout, tail_bytes, observer);
    let mut err = Capture::new(Stream::Stderr, tail_bytes, observer);
    let deadline = time_limit.map(|t| started + t);

    let ended = {
        // All pipe traffic as one future, polled alongside the child's exit,
        // the deadline and the token. Dropping it (when a drain window ends)
        // closes our ends of the pipes.
        let io = async {
            tokio::join!(
                feed_stdin(child_stdin, stdin),
                out.pump(child_stdout),
                err.pump(child_stderr),
            );
        };
        let mut io = std::pin::pin!(io);
        let mut io_done = false;

        let ending = loop {
            tokio::select! {
                status = child.wait() => break Ending::Exited(status),
                () = &mut io, if !io_done => io_done = true,
                () = sleep_until_opt(deadline) => break Ending::TimedOut,
                () = cancel.cancelled() => break Ending::Cancelled,
            }
        };

        match ending {
            Ending::Exited(Ok(status)) => {
                if !io_done {
                    io_done = timeout(EXIT_DRAIN, &mut io).await.is_ok();
                }
                // Whatever is left in the group outlived the program.
                if signal_group(pgid, Signal::SIGKILL) {
                    if !io_done {
                        let _ = timeout(POST_KILL_DRAIN, &mut io).await;
                    }
                    wait_group_gone(pgid, GROUP_EXIT_WAIT).await;
                }
                Ok(termination_of(status))
            }
            Ending::Exited(Err(source)) => {
                signal_group(pgid, Signal::SIGKILL);
                if !io_done {
                    let _ = timeout(POST_KILL_DRAIN, &mut io).await;
                }
                wait_group_gone(pgid, GROUP_EXIT_WAIT).await;
                Err(SpawnError::Wait {
                    program: program.clone(),
                    pid,
                    source,
                })
            }
            Ending::TimedOut | Ending::Cancelled => {
                signal_group(pgid, Signal::SIGTERM);
                // A stopped member (e.g. one that touched the terminal from
                // a background group) acts on SIGTERM only once continued.
                signal_group(pgid, Signal::SIGCONT);
                let grace_end = Instant::now() + kill_grace;
                let mut reaped = false;
                // The grace period: keep reading (so nobody blocks on a full
                // pipe while shutting down) and reaping, and stop early once
                // the group has no live member.
                let gone = loop {
                    tokio::select! {
                        _ = child.wait(), if !reaped => reaped = true,
                        () = &mut io, if !io_done => io_done = true,
                        // The group cannot be empty before its leader is reaped.
                        () = sleep(GROUP_POLL), if reaped => {
                            if !group_alive(pgid).await {
                                break true;
                            }
                        }
                        () = sleep_until(grace_end) => break false,
                    }
                };
                if !gone {
                    signal_group(pgid, Signal::SIGKILL);
                    // Reap the leader and collect the last output, bounded.
                    let kill_end = Instant::now() + POST_KILL_DRAIN;
                    while !reaped || !io_done {
                        tokio::select! {
                            _ = child.wait(), if !reaped => reaped = true,
                            () = &mut io, if !io_done => io_done = true,
                            () = sleep_until(kill_end) => break,
                        }
                    }
                    if !reaped {
                        let _ = timeout(REAP_WAIT, child.wait()).await;
                    }
                    wait_group_gone(pgid, GROUP_EXIT_WAIT).await;
                } else if !io_done {
                    // Everyone is dead; only buffered bytes remain (or a
                    // process outside the group holds the pipe).
                    let _ = timeout(POST_KILL_DRAIN, &mut io).await;
                }
                Ok(if matches!(ending, Ending::TimedOut) {
                    Termination::TimedOut
                } else {
                    Termination::Cancelled
                })
            }
        }
    };
    // The group has been dealt with; signalling the number again on drop
    // could only hit a stranger that reused it.
    guard.armed = false;

    let termination = ended?;
    let (stdout_tail, stdout_bytes) = out.finish();
    let (stderr_tail, stderr_bytes) = err.finish();
    Ok(ProcessOutcome {
        termination,
        stdout_tail,
        stderr_tail,
        stdout_bytes,
        stderr_bytes,
        pid,
        duration: started.elapsed(),
    })
}

/// Why the first phase (waiting for the child) ended.
enum Ending {
    Exited(io::Result<ExitStatus>),
    TimedOut,
    Cancelled,
}

fn termination_of(status: ExitStatus) -> Termination {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => Termination::Exited(code),
        (None, Some(signal)) => Termination::Signaled(signal),
        // `wait` reports only exits and deaths by signal; keep a value anyway.
        (None, None) => Termination::Exited(-1),
    }
}

async fn sleep_until_opt(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

/// Writes `data` to the child's stdin and closes it. Errors are ignored: a
/// child that exits or closes stdin without reading it (EPIPE) is entitled
/// to, and its exit status says whether it worked. (Rust runtimes ignore
/// SIGPIPE, so the write fails instead of killing us.)
async fn feed_stdin(stdin: Option<ChildStdin>, data: Vec<u8>) {
    if let Some(mut stdin) = stdin {
        if !data.is_empty() {
            let _ = stdin.write_all(&data).await;
        }
        // Dropping `stdin` closes the pipe: the child sees EOF.
    }
}

/// Sends `signal` to every process in group `pgid`. Returns whether the
/// group existed (ESRCH: gone; EPERM: the number now belongs to someone else,
/// so ours is gone too).
fn signal_group(pgid: i32, signal: Signal) -> bool {
    // killpg(0) would signal our own group and killpg(1) is kill(-1): every
    // process we may signal. A child's pid is never 0 or 1, but be certain.
    if pgid <= 1 {
        return false;
    }
    killpg(Pid::from_raw(pgid), signal).is_ok()
}

/// Whether group `pgid` still has a live (non-zombie) member. Blocking (it
/// may scan `/proc`), but only for a few milliseconds.
///
/// `killpg(pgid, 0)` alone also counts zombies: orphaned grandchildren stay
/// in the group until PID 1 reaps them, which some inits (containers, VMs)
/// do only every second or so. They are dead and hold nothing, so on Linux we
/// look at each process's state in `/proc` to tell them apart. Elsewhere (or
/// without `/proc`) any member counts.
pub fn group_has_live_member(pgid: i32) -> bool {
    if pgid <= 1 || killpg(Pid::from_raw(pgid), None).is_err() {
        return false;
    }
    #[cfg(target_os = "linux")]
    if let Some(live) = proc_group_has_live_member(pgid) {
        return live;
    }
    true
}

#[cfg(target_os = "linux")]
fn proc_group_has_live_member(pgid: i32) -> Option<bool> {
    let entries = std::fs::read_dir("/proc").ok()?;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        // The process may have vanished since the listing.
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        if let Some((state, pgrp)) = parse_proc_stat(&stat) {
            if pgrp == pgid && state != 'Z' && state != 'X' {
                return Some(true);
            }
        }
    }
    Some(false)
}

/// The state letter and process group of a `/proc/PID/stat` line:
/// `pid (comm) state ppid pgrp …`, where `comm` may itself contain spaces
/// and parentheses, hence the search for the last `)`.
#[cfg(target_os = "linux")]
fn parse_proc_stat(stat: &str) -> Option<(char, i32)> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_ascii_whitespace();
    let state = fields.next()?.chars().next()?;
    let _ppid = fields.next()?;
    let pgrp = fields.next()?.parse().ok()?;
    Some((state, pgrp))
}

/// [`group_has_live_member`] without blocking the runtime: the cheap
/// `killpg` check inline, the `/proc` scan on the blocking pool.
async fn group_alive(pgid: i32) -> bool {
    if pgid <= 1 || killpg(Pid::from_raw(pgid), None).is_err() {
        return false;
    }
    tokio::task::spawn_blocking(move || group_has_live_member(pgid))
        .await
        .unwrap_or(true)
}

/// Waits until group `pgid` has no live member, at most `limit`. Returns
/// whether it is gone.
async fn wait_group_gone(pgid: i32, limit: Duration) -> bool {
    let end = Instant::now() + limit;
    loop {
        if !group_alive(pgid).await {
            return true;
        }
        if Instant::now() >= end {
            return false;
        }
        sleep(GROUP_POLL).await;
    }
}

/// SIGKILLs the group when dropped while armed: the run's future was dropped
/// before it could clean up.
struct GroupGuard {
    pgid: i32,
    armed: bool,
}

impl Drop for GroupGuard {
    fn drop(&mut self) {
        if self.armed {
            signal_group(self.pgid, Signal::SIGKILL);
        }
    }
}

/// One output stream: its tail, its byte count and its live lines.
struct Capture<'o> {
    tail: Tail,
    bytes: u64,
    lines: Lines<'o>,
}

impl<'o> Capture<'o> {
    fn new(stream: Stream, tail_bytes: usize, observer: &'o dyn ProcessObserver) -> Self {
        Self {
            tail: Tail::new(tail_bytes),
            bytes: 0,
            lines: Lines::new(stream, observer),
        }
    }

    /// Reads `reader` to EOF (or a read error, which for a pipe means the
    /// same). Between reads, flushes the "lines not shown" notice when its
    /// window ends, so a burst followed by silence is announced promptly.
    async fn pump(&mut self, mut reader: impl AsyncRead + Unpin) {
        let mut buf = vec![0u8; READ_CHUNK];
        loop {
            let window_end = self.lines.window_start + LINE_WINDOW;
            tokio::select! {
                biased;
                read = reader.read(&mut buf) => match read {
                    Ok(0) => break,
                    Ok(n) => {
                        let chunk = &buf[..n];
                        self.bytes += n as u64;
                        self.tail.push(chunk);
                        self.lines.feed(chunk, Instant::now());
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(_) => break,
                },
                () = sleep_until(window_end), if self.lines.hidden > 0 => {
                    self.lines.roll(Instant::now());
                }
            }
        }
    }

    /// Flushes the last partial line and notice; returns the tail and count.
    fn finish(mut self) -> (Vec<u8>, u64) {
        self.lines.finish();
        (self.tail.into_vec(), self.bytes)
    }
}

/// A ring buffer holding the last `cap` bytes pushed. It grows to `cap` as
/// bytes arrive and never beyond.
struct Tail {
    buf: Vec<u8>,
    cap: usize,
    /// Once `buf` is full: where the oldest byte is (and the next write goes).
    head: usize,
}

impl Tail {
    fn new(cap: usize) -> Self {
        Self {
            buf: Vec::new(),
            cap,
            head: 0,
        }
    }

    fn push(&mut self, mut data: &[u8]) {
        if self.cap == 0 {
            return;
        }
        if data.len() >= self.cap {
            // The chunk alone fills the tail: keep its end.
            self.buf.clear();
            self.buf.extend_from_slice(&data[data.len() - self.cap..]);
            self.head = 0;
            return;
        }
        if self.buf.len() < self.cap {
            let room = self.cap - self.buf.len();
            let n = room.min(data.len());
            self.buf.extend_from_slice(&data[..n]);
            data = &data[n..];
            if data.is_empty() {
                return;
            }
            // Just became full; the oldest byte is at 0.
            self.head = 0;
        }
        // Full: overwrite the oldest bytes, wrapping around.
        let first = (self.cap - self.head).min(data.len());
        self.buf[self.head..self.head + first].copy_from_slice(&data[..first]);
        let rest = &data[first..];
        self.buf[..rest.len()].copy_from_slice(rest);
        self.head = (self.head + data.len()) % self.cap;
    }

    fn into_vec(mut self) -> Vec<u8> {
        if self.buf.len() == self.cap {
            self.buf.rotate_left(self.head);
        }
        self.buf
    }
}

/// Splits a stream into lines for the observer, with the per-line cap and the
/// per-window quota.
struct Lines<'o> {
    stream: Stream,
    observer: &'o dyn ProcessObserver,
    /// The first [`LINE_CAP`] bytes of the line being read.
    partial: Vec<u8>,
    /// The full length of the line being read so far.
    partial_len: u64,
    window_start: Instant,
    /// Lines passed on in the current window.
    shown: u32,
    /// Lines withheld since the last notice.
    hidden: u64,
}

impl<'o> Lines<'o> {
    fn new(stream: Stream, observer: &'o dyn ProcessObserver) -> Self {
        Self {
            stream,
            observer,
            partial: Vec::new(),
            partial_len: 0,
            window_start: Instant::now(),
            shown: 0,
            hidden: 0,
        }
    }

    fn feed(&mut self, mut data: &[u8], now: Instant) {
        self.roll(now);
        while !data.is_empty() {
            if self.shown >= LINES_PER_WINDOW {
                // Over quota until the window ends, which is not before the
                // next chunk (`now` is per chunk): every line ending in this
                // chunk is withheld, so count them in one pass instead of
                // line by line. That keeps a flood like `yes` cheap.
                match data.iter().rposition(|&b| b == b'\n') {
                    Some(last) => {
                        self.hidden += count_newlines(&data[..=last]);
                        self.partial.clear();
                        self.partial_len = 0;
                        self.append(&data[last + 1..]);
                    }
                    None => self.append(data),
                }
                return;
            }
            match data.iter().position(|&b| b == b'\n') {
                Some(i) => {
                    self.append(&data[..i]);
                    self.end_line();
                    data = &data[i + 1..];
                }
                None => {
                    self.append(data);
                    return;
                }
            }
        }
    }

    fn append(&mut self, bytes: &[u8]) {
        let room = LINE_CAP.saturating_sub(self.partial.len());
        self.partial
            .extend_from_slice(&bytes[..bytes.len().min(room)]);
        self.partial_len += bytes.len() as u64;
    }

    fn end_line(&mut self) {
        if self.shown < LINES_PER_WINDOW {
            self.shown += 1;
            let text = self.render_partial();
            self.observer.line(self.stream, &text);
        } else {
            self.hidden += 1;
        }
        self.partial.clear();
        self.partial_len = 0;
    }

    fn render_partial(&self) -> String {
        let kept = self.partial.len() as u64;
        if self.partial_len == kept {
            let line = self.partial.strip_suffix(b"\r").unwrap_or(&self.partial);
            return String::from_utf8_lossy(line).into_owned();
        }
        // Cut: don't end on half a UTF-8 character.
        let text = match std::str::from_utf8(&self.partial) {
            Ok(s) => s.to_owned(),
            Err(e) if e.error_len().is_none() => {
                String::from_utf8_lossy(&self.partial[..e.valid_up_to()]).into_owned()
            }
            Err(_) => String::from_utf8_lossy(&self.partial).into_owned(),
        };
        let more = self.partial_len - text.len() as u64;
        format!("{text}… [line cut, {more} more bytes]")
    }

    /// Starts a new window if the current one is over, announcing the lines
    /// withheld in it.
    fn roll(&mut self, now: Instant) {
        if now.duration_since(self.window_start) >= LINE_WINDOW {
            self.flush_hidden();
            self.window_start = now;
            self.shown = 0;
        }
    }

    fn flush_hidden(&mut self) {
        if self.hidden > 0 {
            let notice = format!("[… {} lines not shown]", self.hidden);
            self.observer.line(self.stream, &notice);
            self.hidden = 0;
        }
    }

    /// End of stream: a last line without a newline still counts.
    fn finish(&mut self) {
        if self.partial_len > 0 {
            self.end_line();
        }
        self.flush_hidden();
    }
}

/// Counts `\n` bytes eight at a time. This runs over every byte of a flood
/// (`yes` writes gigabytes a second), and a byte-by-byte loop is the reader's
/// bottleneck in unoptimised builds, where tests run.
fn count_newlines(bytes: &[u8]) -> u64 {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    const NEWLINES: u64 = 0x0a0a_0a0a_0a0a_0a0a;
    let mut words = bytes.chunks_exact(8);
    let mut count = 0u64;
    for word in &mut words {
        let word = u64::from_ne_bytes([
            word[0], word[1], word[2], word[3], word[4], word[5], word[6], word[7],
        ]);
        // Bytes equal to '\n' become 0; then the classic exact zero-byte
        // test sets the high bit of exactly those bytes.
        let x = word ^ NEWLINES;
        let zero_bytes = !(((x & LOW7) + LOW7) | x | LOW7);
        count += u64::from(zero_bytes.count_ones());
    }
    count + words.remainder().iter().filter(|&&b| b == b'\n').count() as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[derive(Default)]
    struct Collect(Mutex<Vec<(Stream, String)>>);

    impl ProcessObserver for Collect {
        fn line(&self, stream: Stream, line: &str) {
            self.0.lock().unwrap().push((stream, line.to_owned()));
        }
    }

    impl Collect {
        fn lines(&self) -> Vec<String> {
            self.0
                .lock()
                .unwrap()
                .iter()
                .map(|(_, l)| l.clone())
                .collect()
        }
    }

    fn tail_of(cap: usize, chunks: &[&[u8]]) -> Vec<u8> {
        let mut tail = Tail::new(cap);
        for chunk in chunks {
            tail.push(chunk);
        }
        tail.into_vec()
    }

    #[test]
    fn tail_keeps_last_bytes() {
        assert_eq!(tail_of(4, &[b"ab"]), b"ab");
        assert_eq!(tail_of(4, &[b"ab", b"cd"]), b"abcd");
        assert_eq!(tail_of(4, &[b"ab", b"cde"]), b"bcde");
        assert_eq!(tail_of(4, &[b"abcdefg"]), b"defg");
        assert_eq!(
            tail_of(4, &[b"abc", b"d", b"e", b"f", b"gh", b"i"]),
            b"fghi"
        );
        assert_eq!(tail_of(4, &[b"abcd", b"xyz"]), b"dxyz");
        assert_eq!(tail_of(0, &[b"abc"]), b"");
        // Against a reference, over many chunkings.
        let data: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
        for cap in [1, 3, 7, 64, 999, 1000, 1001] {
            for step in [1, 2, 5, 13, 100, 1000] {
                let mut tail = Tail::new(cap);
                for chunk in data.chunks(step) {
                    tail.push(chunk);
                    assert!(tail.buf.len() <= cap);
                }
                let want = &data[data.len().saturating_sub(cap)..];
                assert_eq!(tail.into_vec(), want, "cap {cap} step {step}");
            }
        }
    }

    #[test]
    fn lines_split_across_chunks_and_crlf() {
        let seen = Collect::default();
        let mut lines = Lines::new(Stream::Stdout, &seen);
        let now = Instant::now();
        lines.feed(b"he", now);
        lines.feed(b"llo\r\nwor", now);
        lines.feed(b"ld\n\nlast", now);
        lines.finish();
        assert_eq!(seen.lines(), ["hello", "world", "", "last"]);
    }

    #[test]
    fn long_lines_are_cut_on_a_char_boundary() {
        let seen = Collect::default();
        let mut lines = Lines::new(Stream::Stderr, &seen);
        // 'é' is two bytes; LINE_CAP is even, so shift by one to split one.
        let mut long = b"x".to_vec();
        long.extend("é".repeat(LINE_CAP).as_bytes());
        long.push(b'\n');
        lines.feed(&long, Instant::now());
        let got = seen.lines();
        assert_eq!(got.len(), 1);
        let line = &got[0];
        assert!(line.starts_with("xéé"));
        assert!(!line.contains('\u{FFFD}'), "no half characters");
        let total = 1 + 2 * LINE_CAP;
        let kept = 1 + 2 * ((LINE_CAP - 1) / 2);
        let want = format!("… [line cut, {} more bytes]", total - kept);
        assert!(line.ends_with(&want), "{} bytes, want …{want}", line.len());
    }

    #[test]
    fn lines_are_rate_limited_per_window() {
        let seen = Collect::default();
        let mut lines = Lines::new(Stream::Stdout, &seen);
        let t0 = Instant::now();
        lines.feed(&b"y\n".repeat(1000), t0);
        assert_eq!(seen.lines().len(), LINES_PER_WINDOW as usize);
        // Still in the window: withheld, counted.
        lines.feed(&b"y\n".repeat(50), t0 + LINE_WINDOW / 2);
        assert_eq!(seen.lines().len(), LINES_PER_WINDOW as usize);
        // Next window: the notice, then lines again.
        lines.feed(b"z\n", t0 + LINE_WINDOW);
        let got = seen.lines();
        assert_eq!(got[LINES_PER_WINDOW as usize], "[… 850 lines not shown]");
        assert_eq!(got[LINES_PER_WINDOW as usize + 1], "z");
        // Partial lines over quota are still completed correctly later.
        lines.feed(&b"y\n".repeat(300), t0 + LINE_WINDOW);
        lines.feed(b"tail no newline", t0 + LINE_WINDOW);
        lines.finish();
        let got = seen.lines();
        assert_eq!(got.last().unwrap(), "[… 102 lines not shown]");
    }

    #[test]
    fn newline_counting() {
        let naive = |b: &[u8]| b.iter().filter(|&&c| c == b'\n').count() as u64;
        let samples: [&[u8]; 6] = [
            b"",
            b"\n",
            b"y\ny\ny\ny\ny\ny\ny\n",
            b"\n\n\n\n\n\n\n\n\n\n\n",
            b"\x0b\x09\x8a\x0a\xff\x00\x0a\x0a\x7f\x80\x0a",
            "é\nü\n—\n".as_bytes(),
        ];
        for sample in samples {
            assert_eq!(count_newlines(sample), naive(sample), "{sample:?}");
        }
        let all: Vec<u8> = (0..=255u8).cycle().take(10_007).collect();
        for start in 0..9 {
            assert_eq!(count_newlines(&all[start..]), naive(&all[start..]));
        }
    }

    #[test]
    fn proc_stat_parsing() {
        assert_eq!(
            parse_proc_stat("123 (sleep) S 1 456 456 0 -1 4194560"),
            Some(('S', 456))
        );
        assert_eq!(
            parse_proc_stat("7 (a) b (c) d) Z 1 99 99 0"),
            Some(('Z', 99))
        );
        assert_eq!(parse_proc_stat("garbage"), None);
    }

    #[test]
    fn spawn_error_messages() {
        let e = SpawnError::from_spawn(
            "nope",
            std::path::Path::new(""),
            io::Error::from(io::ErrorKind::NotFound),
        );
        assert_eq!(e.to_string(), "cannot run `nope`: program not found");
        assert_eq!(e.program(), "nope");
        let e = SpawnError::from_spawn(
            "ls",
            std::path::Path::new("/definitely/not/here"),
            io::Error::from(io::ErrorKind::NotFound),
        );
        assert!(matches!(e, SpawnError::BadCwd { .. }), "{e}");
    }

    #[test]
    fn termination_display() {
        assert!(Termination::Exited(0).success());
        assert!(!Termination::Exited(1).success());
        assert_eq!(
            Termination::Signaled(9).to_string(),
            "killed by signal 9 (SIGKILL)"
        );
        assert_eq!(Termination::TimedOut.to_string(), "timed out");
    }
}
