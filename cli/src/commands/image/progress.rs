//! The progress bar of `load`, `import` and `save`: drawn on standard
//! error when it is a terminal and `-q` was not given, hidden otherwise.

use std::io::{IsTerminal, Read, Write};

use indicatif::{ProgressBar, ProgressStyle};

/// A byte counter shown as a bar (known length) or a spinner.
#[derive(Debug)]
pub(crate) struct Progress {
    bar: ProgressBar,
}

impl Progress {
    /// A bar for `len` bytes (a spinner when unknown) labelled `msg`.
    pub(crate) fn new(quiet: bool, len: Option<u64>, msg: &str) -> Progress {
        if quiet || !std::io::stderr().is_terminal() {
            return Progress {
                bar: ProgressBar::hidden(),
            };
        }
        let bar = match len {
            Some(n) => {
                let b = ProgressBar::new(n);
                if let Ok(st) = ProgressStyle::with_template(
                    "{msg} {bytes}/{total_bytes} [{wide_bar}] {bytes_per_sec}",
                ) {
                    b.set_style(st.progress_chars("=> "));
                }
                b
            }
            None => {
                let b = ProgressBar::new_spinner();
                if let Ok(st) =
                    ProgressStyle::with_template("{spinner} {msg} {bytes} {bytes_per_sec}")
                {
                    b.set_style(st);
                }
                b
            }
        };
        bar.set_message(msg.to_string());
        Progress { bar }
    }

    /// `r`, counting what is read.
    pub(crate) fn reader<R: Read>(&self, r: R) -> impl Read {
        self.bar.wrap_read(r)
    }

    /// `w`, counting what is written.
    pub(crate) fn writer<W: Write>(&self, w: W) -> impl Write {
        self.bar.wrap_write(w)
    }

    /// Removes the bar from the terminal.
    pub(crate) fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
