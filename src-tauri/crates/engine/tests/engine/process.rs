//! The child-process layer (`agents::process`) against real processes: no
//! mocks, Linux `/proc` to look for leftovers.
//!
//! A note on zombies: orphaned grandchildren are re-parented to PID 1, and on
//! some machines (this project's VMs among them) PID 1 reaps them only about
//! once a second. Until then `killpg(pgid, 0)` still succeeds for a group
//! whose members are all dead. So each test checks right after `run_process`
//! returns that no *live* process is left in the group, and then waits
//! (bounded) for `killpg` to report ESRCH once PID 1 has caught up.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::{Duration, Instant};

use braid_engine::agents::process::{
    LINES_PER_WINDOW, NoObserver, ProcessObserver, ProcessSpec, SpawnError, Stream, Termination,
    run_process,
};
use nix::errno::Errno;
use nix::sys::signal::killpg;
use nix::unistd::Pid;
use tokio_util::sync::CancellationToken;

/// Remembers the process group and every line.
#[derive(Default)]
struct Recorder {
    pgid: AtomicI32,
    lines: Mutex<Vec<(Stream, String)>>,
}

impl ProcessObserver for Recorder {
    fn spawned(&self, pid: u32, pgid: i32) {
        assert_eq!(pid as i32, pgid, "the child leads its own group");
        self.pgid.store(pgid, Ordering::SeqCst);
    }
    fn line(&self, stream: Stream, line: &str) {
        self.lines.lock().unwrap().push((stream, line.to_owned()));
    }
}

impl Recorder {
    fn pgid(&self) -> i32 {
        let pgid = self.pgid.load(Ordering::SeqCst);
        assert!(pgid > 1, "spawned() was called");
        pgid
    }
    fn lines(&self, stream: Stream) -> Vec<String> {
        let lines = self.lines.lock().unwrap();
        lines
            .iter()
            .filter(|(s, _)| *s == stream)
            .map(|(_, l)| l.clone())
            .collect()
    }
}

fn spec(program: &str, args: &[&str]) -> ProcessSpec {
    ProcessSpec::new(program, args.iter().copied())
}

fn sh(script: &str) -> ProcessSpec {
    spec("/bin/sh", &["-c", script])
}

/// `(pid, state, comm)` of every process in group `pgid`, from `/proc`.
fn group_members(pgid: i32) -> Vec<(u32, char, String)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let comm = stat[open + 1..close].to_owned();
        let fields: Vec<&str> = stat[close + 1..].split_whitespace().collect();
        let state = fields[0].chars().next().unwrap();
        let pgrp: i32 = fields[2].parse().unwrap();
        if pgrp == pgid {
            found.push((pid, state, comm));
        }
    }
    found
}

fn live_members(pgid: i32) -> Vec<(u32, char, String)> {
    group_members(pgid)
        .into_iter()
        .filter(|(_, state, _)| *state != 'Z' && *state != 'X')
        .collect()
}

/// Nothing alive in the group now, and the group itself disappears once
/// PID 1 has reaped the zombies (see the module note).
async fn assert_group_gone(pgid: i32) {
    assert_eq!(
        live_members(pgid),
        [],
        "live processes left in group {pgid}"
    );
    let start = Instant::now();
    loop {
        match killpg(Pid::from_raw(pgid), None) {
            Err(Errno::ESRCH) => return,
            other => {
                assert!(
                    start.elapsed() < Duration::from_secs(10),
                    "group {pgid} still exists ({other:?}): {:?}",
                    group_members(pgid)
                );
                // No live member may come back either.
                assert_eq!(live_members(pgid), [], "group {pgid}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

/// Is `pid` dead (gone or a zombie)?
fn is_dead(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => {
            let state = stat[stat.rfind(')').unwrap() + 1..]
                .split_whitespace()
                .next()
                .unwrap();
            state == "Z" || state == "X"
        }
    }
}

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

fn unique(name: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    std::env::temp_dir().join(format!("braid-{name}-{}-{nanos}", std::process::id()))
}

#[tokio::test]
async fn timeout_kills_the_whole_group() {
    let rec = Recorder::default();
    let mut s = sh("sleep 300 & sleep 300 & wait");
    s.timeout = Some(Duration::from_millis(300));
    s.kill_grace = Duration::from_millis(200);
    let t = Instant::now();
    let out = run_process(s, CancellationToken::new(), &rec)
        .await
        .unwrap();
    let took = t.elapsed();
    assert_eq!(out.termination, Termination::TimedOut);
    assert!(took >= Duration::from_millis(300), "{took:?}");
    assert!(took < Duration::from_millis(1500), "not prompt: {took:?}");
    let pgid = rec.pgid();
    assert_eq!(out.pid as i32, pgid);
    assert!(
        !live_members(pgid)
            .iter()
            .any(|(_, _, comm)| comm == "sleep"),
        "a sleep 300 survived"
    );
    assert_group_gone(pgid).await;
}

#[tokio::test]
async fn sigterm_ignored_escalates_to_sigkill_after_grace() {
    let rec = Recorder::default();
    // `trap "" TERM` makes the shell and (inherited) its sleep ignore SIGTERM.
    let mut s = sh("trap '' TERM; sleep 300 & sleep 300; wait");
    s.timeout = Some(Duration::from_millis(200));
    s.kill_grace = Duration::from_millis(300);
    let t = Instant::now();
    let out = run_process(s, CancellationToken::new(), &rec)
        .await
        .unwrap();
    let took = t.elapsed();
    assert_eq!(out.termination, Termination::TimedOut);
    assert!(
        took >= Duration::from_millis(500),
        "grace not honoured: {took:?}"
    );
    assert!(took < Duration::from_millis(2000), "{took:?}");
    assert_group_gone(rec.pgid()).await;
}

#[tokio::test]
async fn stopped_process_is_continued_to_receive_sigterm() {
    let rec = Recorder::default();
    let mut s = sh("kill -STOP $$");
    s.timeout = Some(Duration::from_millis(200));
    s.kill_grace = Duration::from_secs(10);
    let t = Instant::now();
    let out = run_process(s, CancellationToken::new(), &rec)
        .await
        .unwrap();
    assert_eq!(out.termination, Termination::TimedOut);
    // Well inside the grace period: SIGTERM worked, no SIGKILL was needed.
    assert!(
        t.elapsed() < Duration::from_millis(1500),
        "{:?}",
        t.elapsed()
    );
    assert_group_gone(rec.pgid()).await;
}

#[tokio::test]
async fn cancel_mid_run() {
    let rec = Recorder::default();
    let token = CancellationToken::new();
    let canceller = {
        let token = token.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(300)).await;
            token.cancel();
        })
    };
    let mut s = sh("echo started; sleep 300 & sleep 300; wait");
    s.kill_grace = Duration::from_millis(200);
    let t = Instant::now();
    let out = run_process(s, token, &rec).await.unwrap();
    canceller.await.unwrap();
    assert_eq!(out.termination, Termination::Cancelled);
    assert!(
        t.elapsed() < Duration::from_millis(1500),
        "{:?}",
        t.elapsed()
    );
    assert_eq!(out.stdout_text(), "started\n");
    assert_eq!(rec.lines(Stream::Stdout), ["started"]);
    assert_group_gone(rec.pgid()).await;
}

#[tokio::test]
async fn already_cancelled_token_still_starts_and_cleans_up() {
    let rec = Recorder::default();
    let token = CancellationToken::new();
    token.cancel();
    let out = run_process(sh("sleep 300"), token, &rec).await.unwrap();
    assert_eq!(out.termination, Termination::Cancelled);
    assert_group_gone(rec.pgid()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn yes_flood_keeps_memory_bounded() {
    const CAP: usize = 64 * 1024;
    let rec = Recorder::default();
    let mut s = spec("yes", &[]);
    s.timeout = Some(Duration::from_millis(1500));
    s.kill_grace = Duration::from_millis(200);
    s.tail_bytes = CAP;

    let before = rss_kib();
    let peak = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(before));
    let done = CancellationToken::new();
    let sampler = {
        let peak = peak.clone();
        let done = done.clone();
        tokio::spawn(async move {
            while !done.is_cancelled() {
                peak.fetch_max(rss_kib(), Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };
    let out = run_process(s, CancellationToken::new(), &rec)
        .await
        .unwrap();
    done.cancel();
    sampler.await.unwrap();
    let peak = peak.load(Ordering::SeqCst).max(rss_kib());

    assert_eq!(out.termination, Termination::TimedOut);
    assert_eq!(out.stdout_tail.len(), CAP);
    assert!(
        out.stdout_tail.chunks(2).all(|c| c == b"y\n") || out.stdout_tail.starts_with(b"\n"),
        "the tail is yes's output"
    );
    assert!(
        out.stdout_bytes >= 50_000_000,
        "only {} bytes read",
        out.stdout_bytes
    );
    assert!(out.stdout_truncated());
    let growth_mib = peak.saturating_sub(before) / 1024;
    eprintln!(
        "yes: {} bytes in {:?}, RSS {before} KiB -> peak {peak} KiB",
        out.stdout_bytes, out.duration
    );
    assert!(growth_mib <= 32, "RSS grew by {growth_mib} MiB");

    // Live lines were rate-limited: per 100 ms window at most the quota and
    // one notice, and the notices account for the withheld lines.
    let lines = rec.lines(Stream::Stdout);
    let windows = (out.duration.as_millis() / 100 + 2) as usize;
    assert!(
        lines.len() <= windows * (LINES_PER_WINDOW as usize + 1),
        "{} lines for {windows} windows",
        lines.len()
    );
    let mut shown = 0u64;
    let mut hidden = 0u64;
    for line in &lines {
        if let Some(n) = line
            .strip_prefix("[… ")
            .and_then(|l| l.strip_suffix(" lines not shown]"))
        {
            hidden += n.parse::<u64>().unwrap();
        } else {
            assert_eq!(line, "y");
            shown += 1;
        }
    }
    assert!(hidden > 0);
    // Every complete line was either shown or counted (a cut-off last line
    // may add one).
    let total_lines = out.stdout_bytes / 2;
    assert!(
        (shown + hidden).abs_diff(total_lines) <= 1,
        "{shown} + {hidden} vs {total_lines}"
    );
    assert_group_gone(rec.pgid()).await;
}

#[tokio::test]
async fn hostile_values_pass_through_argv_and_env_unchanged() {
    let canary = unique("canary");
    let c = canary.display();
    let hostile = format!(
        "$(touch {c}) `touch {c}` ; touch {c}; rm -rf x | cat && echo pwned \
         'single' \"double\" * ? [a] ~ $HOME ${{IFS}} \\ \n second line\t tab > {c} < /dev/null # end"
    );

    // As one argv element of a constant script.
    let rec = Recorder::default();
    let out = run_process(
        spec(
            "/bin/sh",
            &[
                "-c",
                r#"printf '%s|' "$#"; printf '%s' "$1""#,
                "sh",
                &hostile,
            ],
        ),
        CancellationToken::new(),
        &rec,
    )
    .await
    .unwrap();
    assert_eq!(out.termination, Termination::Exited(0));
    assert_eq!(out.stdout_text(), format!("1|{hostile}"));

    // As an environment variable.
    let mut s = sh(r#"printf '%s' "$BRAID_HOSTILE""#);
    s.env.push(("BRAID_HOSTILE".into(), hostile.clone()));
    let out = run_process(s, CancellationToken::new(), &NoObserver)
        .await
        .unwrap();
    assert_eq!(out.stdout_text(), hostile);

    // As argv of a program that is not a shell at all: several elements,
    // counted and echoed back exactly (`printf` quotes nothing itself).
    let args = ["plain", hostile.as_str(), "", " spaced out ", "*"];
    let mut argv = vec!["%s\\0"];
    argv.extend(args);
    let out = run_process(spec("printf", &argv), CancellationToken::new(), &NoObserver)
        .await
        .unwrap();
    let echoed: Vec<&[u8]> = out.stdout_tail.split(|&b| b == 0).collect();
    let want: Vec<&[u8]> = args
        .iter()
        .map(|a| a.as_bytes())
        .chain([&b""[..]])
        .collect();
    assert_eq!(echoed, want);

    assert!(!canary.exists(), "a metacharacter was executed");
}

#[tokio::test]
async fn grandchild_holding_stdout_does_not_hang() {
    let rec = Recorder::default();
    let t = Instant::now();
    let out = run_process(
        sh("sleep 300 & echo $!; echo done"),
        CancellationToken::new(),
        &rec,
    )
    .await
    .unwrap();
    let took = t.elapsed();
    assert_eq!(out.termination, Termination::Exited(0));
    assert!(took < Duration::from_secs(1), "{took:?}");
    let text = out.stdout_text();
    let mut lines = text.lines();
    let sleep_pid: u32 = lines.next().unwrap().parse().unwrap();
    assert_eq!(lines.next(), Some("done"));
    assert!(is_dead(sleep_pid), "the background sleep outlived the step");
    assert_group_gone(rec.pgid()).await;
}

#[tokio::test]
async fn background_process_with_closed_pipes_is_killed_too() {
    // The leftover does not hold our pipes, so nothing delays the return; it
    // must still not outlive the step.
    let rec = Recorder::default();
    let t = Instant::now();
    let out = run_process(
        sh("sleep 300 >/dev/null 2>&1 </dev/null & echo $!"),
        CancellationToken::new(),
        &rec,
    )
    .await
    .unwrap();
    assert!(t.elapsed() < Duration::from_secs(1));
    assert_eq!(out.termination, Termination::Exited(0));
    let sleep_pid: u32 = out.stdout_text().trim().parse().unwrap();
    assert!(is_dead(sleep_pid));
    assert_group_gone(rec.pgid()).await;
}

#[tokio::test]
async fn stdin_reaches_the_child() {
    let json = br#"{"page_id": "p-1", "html": "<p>caf\u00e9 \"q\"</p>"}"#.to_vec();
    let mut s = spec("cat", &[]);
    s.stdin = json.clone();
    let out = run_process(s, CancellationToken::new(), &NoObserver)
        .await
        .unwrap();
    assert_eq!(out.termination, Termination::Exited(0));
    assert_eq!(out.stdout_tail, json);
    assert_eq!(out.stdout_bytes, json.len() as u64);

    // Larger than a pipe buffer: written while the child reads and echoes.
    let big: Vec<u8> = (0..300_000u32).map(|i| b'a' + (i % 26) as u8).collect();
    let mut s = spec("cat", &[]);
    s.stdin = big.clone();
    s.tail_bytes = 1 << 20;
    let out = run_process(s, CancellationToken::new(), &NoObserver)
        .await
        .unwrap();
    assert_eq!(out.stdout_tail, big);

    // Empty stdin is closed at once: `cat` ends.
    let out = run_process(spec("cat", &[]), CancellationToken::new(), &NoObserver)
        .await
        .unwrap();
    assert_eq!(out.termination, Termination::Exited(0));
    assert!(out.stdout_tail.is_empty());
}

#[tokio::test]
async fn child_ignoring_large_stdin_is_fine() {
    for script in ["exit 0", "exec 0<&-; sleep 0.2; echo ok", "echo ok"] {
        let mut s = sh(script);
        s.stdin = vec![b'x'; 8 << 20];
        s.timeout = Some(Duration::from_secs(10));
        let t = Instant::now();
        let out = run_process(s, CancellationToken::new(), &NoObserver)
            .await
            .unwrap();
        assert_eq!(out.termination, Termination::Exited(0), "{script}");
        assert!(t.elapsed() < Duration::from_secs(2), "{script}");
    }
}

#[tokio::test]
async fn exit_codes_and_signals_propagate() {
    for code in [0, 1, 7, 255] {
        let out = run_process(
            sh(&format!("exit {code}")),
            CancellationToken::new(),
            &NoObserver,
        )
        .await
        .unwrap();
        assert_eq!(out.termination, Termination::Exited(code));
        assert_eq!(out.termination.success(), code == 0);
    }
    let out = run_process(sh("kill -9 $$"), CancellationToken::new(), &NoObserver)
        .await
        .unwrap();
    assert_eq!(out.termination, Termination::Signaled(9));
}

#[tokio::test]
async fn stdout_and_stderr_are_separate_with_lines() {
    let rec = Recorder::default();
    let out = run_process(
        sh("echo out1; echo err1 >&2; printf 'out2'; printf 'e\\r\\n' >&2"),
        CancellationToken::new(),
        &rec,
    )
    .await
    .unwrap();
    assert_eq!(out.stdout_tail, b"out1\nout2");
    assert_eq!(out.stderr_tail, b"err1\ne\r\n");
    assert_eq!(out.stderr_bytes, 8);
    assert_eq!(rec.lines(Stream::Stdout), ["out1", "out2"]);
    assert_eq!(rec.lines(Stream::Stderr), ["err1", "e"]);
}

#[tokio::test]
async fn tail_keeps_the_end_of_long_output() {
    let mut s = sh("seq 1 100000");
    s.tail_bytes = 100;
    let out = run_process(s, CancellationToken::new(), &NoObserver)
        .await
        .unwrap();
    let full: String = (1..=100_000).map(|i| format!("{i}\n")).collect();
    assert_eq!(out.stdout_bytes, full.len() as u64);
    assert_eq!(out.stdout_tail, full.as_bytes()[full.len() - 100..]);
}

#[tokio::test]
async fn env_and_cwd() {
    let dir = std::env::temp_dir().canonicalize().unwrap();
    let mut s = sh(r#"printf '%s %s %s' "$(pwd)" "$BRAID_A" "${HOME:+home-inherited}""#);
    s.cwd = dir.clone();
    s.env = vec![("BRAID_A".into(), "α β".into())];
    let out = run_process(s, CancellationToken::new(), &NoObserver)
        .await
        .unwrap();
    assert_eq!(
        out.stdout_text(),
        format!("{} α β home-inherited", dir.display())
    );
}

#[tokio::test]
async fn spawn_errors_name_the_program() {
    let err = run_process(
        spec("/nonexistent/braid-no-such-program", &[]),
        CancellationToken::new(),
        &NoObserver,
    )
    .await
    .unwrap_err();
    assert!(matches!(err, SpawnError::NotFound { .. }), "{err:?}");
    assert!(err.to_string().contains("braid-no-such-program"), "{err}");

    let err = run_process(
        spec("braid-no-such-program-on-path", &[]),
        CancellationToken::new(),
        &NoObserver,
    )
    .await
    .unwrap_err();
    assert!(matches!(err, SpawnError::NotFound { .. }), "{err:?}");

    // A file that is not executable.
    let path = unique("not-executable");
    std::fs::write(&path, "#!/bin/sh\necho hi\n").unwrap();
    let err = run_process(
        spec(path.to_str().unwrap(), &[]),
        CancellationToken::new(),
        &NoObserver,
    )
    .await
    .unwrap_err();
    std::fs::remove_file(&path).unwrap();
    assert!(
        matches!(err, SpawnError::PermissionDenied { .. }),
        "{err:?}"
    );

    let mut s = spec("true", &[]);
    s.cwd = PathBuf::from("/nonexistent/braid-dir");
    let err = run_process(s, CancellationToken::new(), &NoObserver)
        .await
        .unwrap_err();
    assert!(matches!(err, SpawnError::BadCwd { .. }), "{err:?}");
    assert!(err.to_string().contains("/nonexistent/braid-dir"), "{err}");
}

#[tokio::test]
async fn dropped_future_leaks_nothing() {
    static REC: std::sync::LazyLock<Recorder> = std::sync::LazyLock::new(Recorder::default);
    let mut s = sh("sleep 300 & sleep 300 & wait");
    s.timeout = Some(Duration::from_secs(60));
    // Spawnable: the future is Send with a 'static observer.
    let run = tokio::spawn(run_process(s, CancellationToken::new(), &*REC));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let pgid = REC.pgid();
    assert!(live_members(pgid).len() >= 3, "{:?}", group_members(pgid));
    run.abort();
    assert!(run.await.unwrap_err().is_cancelled());
    // SIGKILL was sent on drop; give the kernel a moment to deliver it.
    let start = Instant::now();
    while !live_members(pgid).is_empty() {
        assert!(start.elapsed() < Duration::from_secs(2), "leaked");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_group_gone(pgid).await;
}

#[tokio::test]
async fn concurrent_runs_are_independent() {
    let recs: Vec<Recorder> = (0..4).map(|_| Recorder::default()).collect();
    let run = |i: usize| {
        let mut s = sh(&format!("sleep 0.{i}; echo {i}; exit {i}"));
        s.timeout = Some(Duration::from_secs(10));
        run_process(s, CancellationToken::new(), &recs[i])
    };
    let (a, b, c, d) = tokio::join!(run(0), run(1), run(2), run(3));
    let mut pgids = HashSet::new();
    for (i, out) in [a, b, c, d].into_iter().enumerate() {
        let out = out.unwrap();
        assert_eq!(out.termination, Termination::Exited(i as i32));
        assert_eq!(out.stdout_text(), format!("{i}\n"));
        pgids.insert(recs[i].pgid());
    }
    assert_eq!(pgids.len(), 4);
}
