//! The live table in the terminal: redrawn in place on a terminal, printed now and then
//! otherwise.

use std::io::{self, IsTerminal, Write};

use crate::summary::Summary;

/// Draws successive summaries to standard output.
#[derive(Debug)]
pub(crate) struct LiveTable {
    terminal: bool,
    /// Lines drawn last time, to move back over on a terminal.
    drawn: usize,
    ticks: u64,
}

impl LiveTable {
    pub(crate) fn new() -> Self {
        Self {
            terminal: io::stdout().is_terminal(),
            drawn: 0,
            ticks: 0,
        }
    }

    /// Draws `summary`; called once a second. Off a terminal, prints every fifth call.
    pub(crate) fn draw(&mut self, summary: &Summary) {
        self.ticks += 1;
        let text = format!(
            "{:>5.1} s\n{}",
            summary.elapsed.as_secs_f64(),
            summary.table()
        );
        let mut out = io::stdout().lock();
        // A closed or full standard output only loses the live view.
        if self.terminal {
            if self.drawn > 0 {
                let _ = write!(out, "\x1b[{}A", self.drawn);
            }
            for line in text.lines() {
                let _ = writeln!(out, "\x1b[2K{line}");
            }
            self.drawn = text.lines().count();
        } else if self.ticks.is_multiple_of(5) {
            let _ = write!(out, "{text}");
        }
        let _ = out.flush();
    }
}
