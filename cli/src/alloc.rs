//! The binaries' allocator: mimalloc (also included by `clickchain-bench`, so that its phases
//! measure what `clickchain` runs). The library leaves the allocator to the program embedding it.
//!
//! Readers allocate each event's strings and the engine frees them, on another thread with
//! `--threads`: glibc's malloc serialises those frees on the reading thread's arena, mimalloc
//! does not (`docs/performance.md` "Measurements behind the code").

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc 3's `mi_option_e`.
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
/// Its documented default (ms), by which the index is checked before it is changed.
const PURGE_DELAY_DEFAULT: std::ffi::c_long = 1000;

/// Returns freed memory to the OS at once instead of after a second: with `--threads 2` the
/// parsing threads' pages, freed by the engine threads, otherwise raise the peak RSS, with no
/// cost in time (`docs/performance.md`). Left alone if the option is not where this expects it.
pub fn configure() {
    // SAFETY: reading and setting a mimalloc option is thread-safe and has no preconditions.
    unsafe {
        if libmimalloc_sys::mi_option_get(PURGE_DELAY) == PURGE_DELAY_DEFAULT {
            libmimalloc_sys::mi_option_set(PURGE_DELAY, 0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purge_delay_is_found_and_set() {
        configure();
        // Fails when a mimalloc update moves the option or changes its default: check both.
        assert_eq!(unsafe { libmimalloc_sys::mi_option_get(PURGE_DELAY) }, 0);
    }
}
