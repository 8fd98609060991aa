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

/// Stdout into a temporary file until `finish`, which returns the lines written. The file is
/// created (and unlinked) once per process and emptied at each `start`: a simulation captures
/// every transaction, and creating a file for each cost it about a twentieth of its time.
pub struct Capture {
    redirect: Option<Redirect>,
}

thread_local! {
    static CAPTURE_FILE: std::cell::RefCell<Option<std::fs::File>> =
        std::cell::RefCell::new(capture_file());
}

fn capture_file() -> Option<std::fs::File> {
    let path = std::env::temp_dir().join(format!("options-amm-{}.log", std::process::id()));
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(&path)
        .ok();
    let _ = std::fs::remove_file(&path);
    file
}

impl Capture {
    pub fn start() -> Capture {
        let redirect = CAPTURE_FILE.with(|f| {
            let mut f = f.borrow_mut();
            let file = f.as_mut()?;
            file.set_len(0).ok()?;
            file.rewind().ok()?;
            use std::os::fd::AsRawFd;
            Some(Redirect::to(file.as_raw_fd()))
        });
        Capture { redirect }
    }

    pub fn finish(mut self) -> Vec<String> {
        if self.redirect.is_none() {
            return vec![];
        }
        drop(self.redirect.take());
        let mut text = String::new();
        CAPTURE_FILE.with(|f| {
            if let Some(file) = f.borrow_mut().as_mut() {
                let _ = file.rewind();
                let _ = file.read_to_string(&mut text);
            }
        });
        text.lines().map(str::to_string).collect()
    }
}
