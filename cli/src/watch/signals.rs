//! SIGINT and SIGTERM (Ctrl-C and Ctrl-Break on Windows) set a flag the watch loop reads.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Sets `stop` on the first stop signal; a second one ends the process at once.
pub fn on_stop(stop: Arc<AtomicBool>) -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_io().build()?;
    #[cfg(unix)]
    let mut term =
        runtime.block_on(async { tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) })?;
    std::thread::Builder::new().name("clickchain-signals".into()).spawn(move || {
        runtime.block_on(async {
            for _ in 0..2 {
                #[cfg(unix)]
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
                #[cfg(not(unix))]
                let _ = tokio::signal::ctrl_c().await;
                if stop.swap(true, Ordering::Relaxed) {
                    std::process::exit(130);
                }
            }
        })
    })?;
    Ok(())
}
