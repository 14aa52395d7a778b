//! Is the process that owned a run still alive — *that* process, not a
//! later one that happens to have been given the same pid?
//!
//! A pid alone is not an identity: pids are reused, quickly on a busy
//! machine and always after a reboot. So next to the pid the store records
//! a *start marker*: `<boot id>:<start time>`, where the start time is field
//! 22 of `/proc/<pid>/stat` (clock ticks since boot) and the boot id is
//! `/proc/sys/kernel/random/boot_id`. The owner is alive only if a process
//! with that pid exists, is not a zombie, and has the same marker.
//!
//! Without `/proc` (macOS, BSD) the marker is absent and liveness falls
//! back to `kill(pid, 0)`, which a reused pid can fool.
//!
//! Pids are per pid namespace: a database shared between containers sees
//! each container's runs with pids that mean nothing to the other.

use std::sync::OnceLock;

use nix::errno::Errno;
use nix::sys::signal::{Signal, kill, killpg};
use nix::unistd::Pid;

/// What `/proc/<pid>/stat` says about a process.
struct Stat {
    zombie: bool,
    start_ticks: u64,
}

fn read_stat(pid: u32) -> Option<Stat> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // `pid (comm) state ...`: comm may contain spaces and parentheses, so
    // split after the last `)`. Fields from there are 3 (state), 4, …
    let rest = &text[text.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let state = fields.first()?;
    let start_ticks = fields.get(22 - 3)?.parse().ok()?;
    Some(Stat {
        zombie: matches!(*state, "Z" | "X" | "x"),
        start_ticks,
    })
}

fn boot_id() -> &'static str {
    static BOOT: OnceLock<String> = OnceLock::new();
    BOOT.get_or_init(|| {
        std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    })
}

/// The start marker of a process, if this platform can tell one.
pub fn start_marker(pid: u32) -> Option<String> {
    read_stat(pid).map(|s| format!("{}:{}", boot_id(), s.start_ticks))
}

/// This process: its pid and start marker (computed once).
pub fn current() -> (u32, Option<&'static str>) {
    static MARKER: OnceLock<Option<String>> = OnceLock::new();
    let pid = std::process::id();
    (pid, MARKER.get_or_init(|| start_marker(pid)).as_deref())
}

/// Whether the process recorded as (`pid`, `marker`) is still running.
pub fn is_alive(pid: u32, marker: Option<&str>) -> bool {
    let Ok(raw) = i32::try_from(pid) else {
        return false;
    };
    if raw <= 0 {
        return false;
    }
    if std::path::Path::new("/proc/self/stat").exists() {
        match read_stat(pid) {
            None => false,
            Some(stat) if stat.zombie => false,
            Some(stat) => match marker {
                Some(m) => format!("{}:{}", boot_id(), stat.start_ticks) == m,
                // Recorded where no marker could be taken: the pid is all we have.
                None => true,
            },
        }
    } else {
        matches!(kill(Pid::from_raw(raw), None), Ok(()) | Err(Errno::EPERM))
    }
}

/// Whether a process group still has members.
pub fn group_exists(pgid: i32) -> bool {
    pgid > 1
        && matches!(
            killpg(Pid::from_raw(pgid), None),
            Ok(()) | Err(Errno::EPERM)
        )
}

/// Kills the process group an attempt ran in, if it is still there and is
/// still that attempt's: when its leader (`pid == pgid`) exists, its start
/// marker must match the one recorded at spawn (else the pid has been
/// reused and the group is someone else's). When the leader is gone but the
/// group is not, the survivors are the attempt's orphans: Linux does not
/// hand out a pid while a process group of that number exists.
/// Returns whether a signal was sent.
pub fn kill_attempt_group(pgid: i32, leader_pid: Option<u32>, leader_marker: Option<&str>) -> bool {
    if !group_exists(pgid) {
        return false;
    }
    let leader = u32::try_from(pgid).ok();
    if let Some(leader) = leader.filter(|&l| read_stat(l).is_some()) {
        let recorded = if leader_pid == Some(leader) {
            leader_marker
        } else {
            None
        };
        match recorded {
            Some(m) if start_marker(leader).as_deref() == Some(m) => {}
            // Leader alive but not provably ours: leave it alone.
            _ if std::path::Path::new("/proc/self/stat").exists() => return false,
            _ => {}
        }
    }
    killpg(Pid::from_raw(pgid), Signal::SIGKILL).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_alive_under_its_own_marker_only() {
        let (pid, marker) = current();
        assert!(is_alive(pid, marker));
        if marker.is_some() {
            assert!(!is_alive(pid, Some("some-other-boot:1")));
        }
    }

    #[test]
    fn a_reaped_child_is_dead() {
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        let marker = start_marker(pid);
        child.wait().unwrap();
        assert!(!is_alive(pid, marker.as_deref()));
    }

    #[test]
    fn nonsense_pids_are_dead() {
        assert!(!is_alive(0, None));
        assert!(!is_alive(u32::MAX, None));
        assert!(!group_exists(0));
        assert!(!group_exists(1));
    }
}
