//! The natively compiled program writes its log lines (`msg!`) to the process's stdout. These
//! keep them out of the CLI's output: `Quiet` discards them, `Capture` keeps them for reading.

use std::io::{Read, Seek, Write};

/// Redirects file descriptor 1 to `target` until dropped (then restores it).
struct Redirect(Option<i32>);

impl Redirect {
    fn to(target: i32) -> Self {
        let _ = std::io::stdout().flush();
        // SAFETY: dup/dup2 on valid descriptors; the saved descriptor is restored on drop.
        unsafe {
            let saved = libc::dup(1);
            if saved < 0 || target < 0 || libc::dup2(target, 1) < 0 {
                return Redirect(None);
            }
            Redirect(Some(saved))
        }
    }
}

impl Drop for Redirect {
    fn drop(&mut self) {
        if let Some(saved) = self.0 {
            let _ = std::io::stdout().flush();
            // SAFETY: `saved` is the descriptor `to` duplicated from stdout.
            unsafe {
                libc::dup2(saved, 1);
                libc::close(saved);
            }
        }
    }
}

/// Stdout to /dev/null while alive.
pub struct Quiet(#[allow(dead_code)] Redirect);

impl Quiet {
    pub fn new() -> Quiet {
        let null = std::fs::OpenOptions::new().write(true).open("/dev/null");
        match null {
            Ok(f) => {
                use std::os::fd::AsRawFd;
                let r = Redirect::to(f.as_raw_fd());
                Quiet(r)
            }
            Err(_) => Quiet(Redirect(None)),
        }
    }
}

/// Stdout into a temporary file until `finish`, which returns the lines written.
pub struct Capture {
    file: Option<std::fs::File>,
    redirect: Option<Redirect>,
}

impl Capture {
    pub fn start() -> Capture {
        let path = std::env::temp_dir().join(format!("options-amm-{}.log", std::process::id()));
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)
            .ok();
        let _ = std::fs::remove_file(&path);
        let redirect = file.as_ref().map(|f| {
            use std::os::fd::AsRawFd;
            Redirect::to(f.as_raw_fd())
        });
        Capture { file, redirect }
    }

    pub fn finish(mut self) -> Vec<String> {
        drop(self.redirect.take());
        let mut text = String::new();
        if let Some(f) = self.file.as_mut() {
            let _ = f.rewind();
            let _ = f.read_to_string(&mut text);
        }
        text.lines().map(str::to_string).collect()
    }
}
