//! Logging to stderr: the level from `-v`/`-vv` or `CLICKCHAIN_LOG`; colour only on a terminal.
//! Messages to the user go through [`say!`](crate::say), which a closed stderr cannot make panic.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// Writes one line to stderr; a closed stderr is ignored (`eprintln!` would panic).
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

/// Starts the log: `verbose` 1 is debug, 2 or more trace; 0 leaves the level to
/// `CLICKCHAIN_LOG` (errors only when it is unset).
pub fn init(verbose: u8) {
    let filter = match verbose {
        0 => EnvFilter::from_env("CLICKCHAIN_LOG"),
        1 => EnvFilter::new("debug"),
        _ => EnvFilter::new("trace"),
    };
    // A subscriber already set (never, in the binary) is no reason to stop.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .try_init();
}
