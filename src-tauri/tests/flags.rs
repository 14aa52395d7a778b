//! The real binary answers `--help` and `--version` and exits, with no
//! window (this runs without a display; opening one would fail or hang).

use std::process::Command;
use std::time::Duration;

fn answer(flag: &str) -> (Option<i32>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_braid-desktop"))
        .arg(flag)
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("the app starts");
    for _ in 0..100 {
        if child.try_wait().unwrap().is_some() {
            let out = child.wait_with_output().unwrap();
            return (
                out.status.code(),
                String::from_utf8_lossy(&out.stdout).into_owned(),
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    child.kill().unwrap();
    panic!("`braid-desktop {flag}` did not exit within 10 s");
}

#[test]
fn help_prints_usage_and_exits() {
    let (code, out) = answer("--help");
    assert_eq!(code, Some(0));
    assert!(out.contains("Usage: braid-desktop [FILE]"), "{out}");
}

#[test]
fn version_prints_the_version_and_exits() {
    let (code, out) = answer("--version");
    assert_eq!(code, Some(0));
    assert_eq!(
        out.trim(),
        format!("braid-desktop {}", env!("CARGO_PKG_VERSION"))
    );
}
