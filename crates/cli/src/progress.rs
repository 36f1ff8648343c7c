//! Progress on stderr for long commands (bulk jobs): an `indicatif` spinner or bar while stderr
//! is a terminal, nothing at all otherwise (pipes, files, CI logs stay clean). The bar is
//! cleared when dropped, so summary and error lines start on a clean line.

use std::io::{self, IsTerminal};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

/// A progress display; see the module docs.
pub struct Progress {
    bar: ProgressBar,
}

impl Progress {
    /// A spinner (or bar, with a length) drawn with `template` when `show` is true and stderr
    /// is a terminal; hidden otherwise.
    pub fn new(template: &str, show: bool) -> Progress {
        let bar = if show && io::stderr().is_terminal() {
            let bar = ProgressBar::new_spinner();
            if let Ok(style) = ProgressStyle::with_template(template) {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        } else {
            ProgressBar::hidden()
        };
        Progress { bar }
    }

    /// The bar (cheap to clone: clones share one display).
    pub fn bar(&self) -> &ProgressBar {
        &self.bar
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}
